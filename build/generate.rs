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
    if !spec.openapi.starts_with("3.0.") {
        return Err(format!(
            "declares openapi {:?}; progenitor accepts only 3.0.x (write 3.0.3)",
            spec.openapi
        ));
    }

    // The table covers every operation, the hand-written ones included.
    let operations = operations_module(&spec)?;
    let spec = without_handwritten(spec);

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

    let mut client = pretty(run_generator(|| {
        Generator::new(&settings).generate_tokens(&spec)
    })?)?;
    client.push_str(&operations);
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
            for op in operations_mut(item) {
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
                for op in operations_mut(item).into_iter().flatten() {
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

/// The eight operation slots of a path item.
fn operations_mut(item: &mut openapiv3::PathItem) -> [&mut Option<openapiv3::Operation>; 8] {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
}

fn quote_path(path: &str) -> proc_macro2::TokenStream {
    path.parse().expect("static type path parses")
}

/// The `operations` module of a provider: one constant per operation of the spec (id, method,
/// path, retry class from `x-retry`, declared success statuses) and a lookup by id, read by the
/// runtime (`crate::common::ops`).
pub fn operations_module(spec: &openapiv3::OpenAPI) -> Result<String, String> {
    let mut consts = String::new();
    let mut arms = String::new();
    let mut names = Vec::new();
    for (path, item) in &spec.paths.paths {
        let openapiv3::ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let method = method.to_ascii_uppercase();
            let id = op
                .operation_id
                .as_deref()
                .ok_or_else(|| format!("{method} {path} has no operationId"))?;
            let (retry, variant) = retry_class(spec, item, op, &method)
                .map_err(|e| format!("operation `{id}` ({method} {path}): {e}"))?;
            let success: Vec<String> = op
                .responses
                .responses
                .keys()
                .filter_map(|code| match code {
                    openapiv3::StatusCode::Code(c) if (200..300).contains(c) => Some(c.to_string()),
                    _ => None,
                })
                .collect();
            let name = id.to_ascii_uppercase();
            let summary = op
                .summary
                .as_deref()
                .unwrap_or_default()
                .replace(['\n', '\r'], " ");
            consts.push_str(&format!(
                "    /// `{method} {path}`: {summary} (retry: {retry})\n    pub const {name}: Operation = \
                 Operation {{ id: {id:?}, method: {method:?}, path: {path:?}, retry: Retry::{variant}, \
                 success: &[{success}] }};\n",
                success = success.join(", "),
            ));
            arms.push_str(&format!("            {id:?} => Some(&{name}),\n"));
            names.push(name);
        }
    }
    Ok(format!(
        "\n/// The operations of the spec: id, method, path, retry class and success statuses.\n\
         pub mod operations {{\n    use crate::common::ops::{{Operation, Retry}};\n\n{consts}\n    \
         /// Every operation of the spec, in the spec's order.\n    pub const ALL: &[Operation] = &[{all}];\n\n    \
         /// The operation with this id.\n    pub fn find(id: &str) -> Option<&'static Operation> {{\n        \
         match id {{\n{arms}            _ => None,\n        }}\n    }}\n}}\n",
        all = names.join(", "),
    ))
}

/// The retry classes: the spec's word and the `crate::common::ops::Retry` variant.
const RETRY_CLASSES: [(&str, &str); 3] = [
    ("safe", "Safe"),
    ("unsafe", "Unsafe"),
    ("with-idempotency-key", "WithIdempotencyKey"),
];

/// `x-retry` of an operation, or the default for its method: reads are safe, writes with an
/// `Idempotency-Key` parameter are repeated with their key, other writes are not repeated.
fn retry_class(
    spec: &openapiv3::OpenAPI,
    item: &openapiv3::PathItem,
    op: &openapiv3::Operation,
    method: &str,
) -> Result<(&'static str, &'static str), String> {
    if let Some(value) = op.extensions.get("x-retry") {
        return RETRY_CLASSES
            .into_iter()
            .find(|(word, _)| value.as_str() == Some(word))
            .ok_or_else(|| {
                format!("x-retry is {value}; expected safe, unsafe or with-idempotency-key")
            });
    }
    let class =
        if matches!(method, "GET" | "HEAD" | "OPTIONS") {
            0
        } else if op.parameters.iter().chain(&item.parameters).any(|p| {
            parameter_name(spec, p).is_some_and(|n| n.eq_ignore_ascii_case("idempotency-key"))
        }) {
            2
        } else {
            1
        };
    Ok(RETRY_CLASSES[class])
}

/// The name of a parameter, following a `#/components/parameters/...` reference.
fn parameter_name<'a>(
    spec: &'a openapiv3::OpenAPI,
    p: &'a openapiv3::ReferenceOr<openapiv3::Parameter>,
) -> Option<&'a str> {
    match p {
        openapiv3::ReferenceOr::Item(p) => Some(&p.parameter_data_ref().name),
        openapiv3::ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/")?;
            match spec.components.as_ref()?.parameters.get(name)? {
                openapiv3::ReferenceOr::Item(p) => Some(&p.parameter_data_ref().name),
                openapiv3::ReferenceOr::Reference { .. } => None,
            }
        }
    }
}
