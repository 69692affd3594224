//! The generation routine shared by `build.rs` and `tests/build_errors.rs`: spec text in,
//! pretty-printed client (and CLI) out, or a message saying what is wrong with the spec.

use std::panic::{self, AssertUnwindSafe};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

/// Components that specs declare for documentation and that are replaced by the lenient types of
/// `src/common/lenient.rs` (see `specs/README.md`). A spec that does not declare a name is not
/// affected by its row.
pub const REPLACEMENTS: &[(&str, &str)] = &[
    ("LooseDecimal", "crate::common::lenient::LooseDecimal"),
    ("DecimalNumber", "crate::common::lenient::DecimalNumber"),
    ("LooseInt", "crate::common::lenient::LooseInt"),
    ("LooseText", "crate::common::lenient::LooseText"),
    ("LooseId", "crate::common::lenient::LooseId"),
    ("LooseBool", "crate::common::lenient::LooseBool"),
    ("LooseDate", "crate::common::lenient::LooseDate"),
    ("LooseDateTime", "crate::common::lenient::LooseDateTime"),
    ("IbgeCode", "crate::common::lenient::IbgeCode"),
    ("NfKey", "crate::common::lenient::NfKey"),
    ("Money", "crate::common::money::Money"),
];

/// Validates and generates one spec (and, when `cli`, its command-line interface); every
/// failure is turned into a message.
pub fn generate(provider: &str, text: &str, cli: bool) -> Result<(String, Option<String>), String> {
    // Parse through serde_path_to_error so a structural mistake names its location.
    let yaml = yaml_serde::Deserializer::from_str(text);
    let spec: openapiv3::OpenAPI = serde_path_to_error::deserialize(yaml).map_err(|e| {
        format!(
            "not a valid OpenAPI document at `{}`: {}",
            e.path(),
            e.inner()
        )
    })?;
    let spec = without_handwritten(spec);
    if !spec.openapi.starts_with("3.0.") {
        return Err(format!(
            "declares openapi {:?}; progenitor accepts only 3.0.x (write 3.0.3)",
            spec.openapi
        ));
    }

    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote_path(
            "std::sync::Arc<crate::common::runtime::Runtime>",
        ))
        .with_hooks(HooksMode::Expected)
        .with_derive("PartialEq");
    if cli {
        settings.with_derive("schemars::JsonSchema");
    }
    for (name, rust_type) in REPLACEMENTS {
        settings.with_replacement(
            name,
            rust_type,
            [TypeImpl::Display, TypeImpl::FromStr, TypeImpl::Default].into_iter(),
        );
    }

    let client = pretty(run_generator(|| {
        Generator::new(&settings).generate_tokens(&spec)
    })?)?;
    let cli = if cli {
        let crate_path = format!("crate::{provider}::raw");
        Some(pretty(run_generator(|| {
            Generator::new(&settings).cli(&spec, &crate_path)
        })?)?)
    } else {
        None
    };
    Ok((client, cli))
}

/// Runs progenitor, turning its panics into messages.
fn run_generator(
    f: impl FnOnce() -> Result<proc_macro2::TokenStream, progenitor::Error>,
) -> Result<proc_macro2::TokenStream, String> {
    // progenitor reports some spec problems by panicking; keep its default hook from printing a
    // backtrace and turn the panic message into our error instead.
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous_hook);

    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(e)) => Err(format!("progenitor rejected the spec: {e}")),
        Err(panic) => {
            let detail = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Err(format!(
                "progenitor could not generate a client (it panicked: {detail}). Common causes: an \
                 operation with two different success or error body types, a request body with \
                 several media types, or a multipart body; see specs/README.md"
            ))
        }
    }
}

fn pretty(tokens: proc_macro2::TokenStream) -> Result<String, String> {
    let file = syn::parse2::<syn::File>(raw_keywords(tokens))
        .map_err(|e| format!("generated code does not parse (progenitor bug?): {e}"))?;
    Ok(prettyplease::unparse(&file))
}

/// Escapes identifiers that are keywords in edition 2024 (typify's schemars code names a
/// parameter and a module `gen`).
fn raw_keywords(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, Ident, TokenTree};
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(i) if i == "gen" => TokenTree::Ident(Ident::new_raw("gen", i.span())),
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), raw_keywords(g.stream()));
                inner.set_span(g.span());
                TokenTree::Group(inner)
            }
            other => other,
        })
        .collect()
}

/// Drops operations marked `x-handwritten: true` (multipart uploads and the like): the spec
/// documents them, the provider module implements them by hand.
fn without_handwritten(mut spec: openapiv3::OpenAPI) -> openapiv3::OpenAPI {
    let handwritten = |op: &Option<openapiv3::Operation>| {
        op.as_ref().is_some_and(|o| {
            o.extensions.get("x-handwritten").and_then(|v| v.as_bool()) == Some(true)
        })
    };
    for item in spec.paths.paths.values_mut() {
        if let openapiv3::ReferenceOr::Item(item) = item {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ] {
                if handwritten(op) {
                    *op = None;
                }
            }
        }
    }
    // Header parameters the client sets once for every call (`x-client-header: true` on a
    // component parameter, e.g. ConnectPlug's company id) are not asked for per call.
    let client_headers: Vec<String> = spec
        .components
        .iter()
        .flat_map(|c| c.parameters.iter())
        .filter(|(_, p)| match p {
            openapiv3::ReferenceOr::Item(p) => {
                p.parameter_data_ref().extensions.get("x-client-header")
                    == Some(&serde_json::Value::Bool(true))
            }
            openapiv3::ReferenceOr::Reference { .. } => false,
        })
        .map(|(name, _)| format!("#/components/parameters/{name}"))
        .collect();
    if !client_headers.is_empty() {
        for item in spec.paths.paths.values_mut() {
            if let openapiv3::ReferenceOr::Item(item) = item {
                for op in [
                    &mut item.get,
                    &mut item.put,
                    &mut item.post,
                    &mut item.delete,
                    &mut item.options,
                    &mut item.head,
                    &mut item.patch,
                    &mut item.trace,
                ]
                .into_iter()
                .flatten()
                {
                    op.parameters.retain(|p| {
                        !matches!(p, openapiv3::ReferenceOr::Reference { reference }
                            if client_headers.contains(reference))
                    });
                }
            }
        }
    }
    spec.paths.paths.retain(|_, item| match item {
        openapiv3::ReferenceOr::Item(item) => item.iter().next().is_some(),
        openapiv3::ReferenceOr::Reference { .. } => true,
    });
    spec
}

fn quote_path(path: &str) -> proc_macro2::TokenStream {
    path.parse().expect("static type path parses")
}
