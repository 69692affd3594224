//! Generates one typed client per enabled provider from `specs/<provider>.yaml`.
//!
//! For every provider whose cargo feature is on, this parses the YAML into `openapiv3`, runs
//! progenitor with the settings shared by all providers, pretty-prints the result and writes it
//! to `$OUT_DIR/<provider>.rs`, which `src/<provider>/mod.rs` includes. A broken spec stops the
//! build with one message naming the file and what is wrong.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::{env, fs};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

/// Every provider the crate knows; each has a cargo feature and a spec of the same name.
const PROVIDERS: [&str; 4] = ["ecomdc", "pluggto", "appclubmais", "connectplug"];

/// Components that specs declare for documentation and that are replaced by the lenient types of
/// `src/common/lenient.rs` (see `specs/README.md`). A spec that does not declare a name is not
/// affected by its row.
const REPLACEMENTS: &[(&str, &str)] = &[
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

fn main() {
    let out_dir =
        PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BRCOMMERCE_DUMP_GENERATED");

    let enabled = PROVIDERS
        .iter()
        .filter(|p| env::var_os(format!("CARGO_FEATURE_{}", p.to_uppercase())).is_some());
    let mut failed = false;
    for provider in enabled {
        let spec_path = Path::new("specs").join(format!("{provider}.yaml"));
        println!("cargo:rerun-if-changed={}", spec_path.display());
        match generate(provider, &spec_path) {
            Ok((code, cli)) => {
                let out = out_dir.join(format!("{provider}.rs"));
                write_if_changed(&out, &code);
                if let Some(cli) = cli {
                    write_if_changed(&out_dir.join(format!("{provider}_cli.rs")), &cli);
                }
                if let Some(dir) = env::var_os("BRCOMMERCE_DUMP_GENERATED") {
                    // Opt-in copy for people who want to read the generated client.
                    let _ = fs::create_dir_all(&dir);
                    let _ = fs::write(Path::new(&dir).join(format!("{provider}.rs")), &code);
                }
            }
            Err(msg) => {
                // cargo prints `error:` lines from build scripts prominently.
                println!("cargo::error={}: {msg}", spec_path.display());
                eprintln!("error: {}: {msg}", spec_path.display());
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

/// Reads, validates and generates one spec (and, with the `cli` feature, its command-line
/// interface); every failure is turned into a message.
fn generate(provider: &str, spec_path: &Path) -> Result<(String, Option<String>), String> {
    let text = fs::read_to_string(spec_path).map_err(|e| format!("cannot read the spec: {e}"))?;

    // Parse through serde_path_to_error so a structural mistake names its location.
    let yaml = yaml_serde::Deserializer::from_str(&text);
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

    let cli = env::var_os("CARGO_FEATURE_CLI").is_some();
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
    let file = syn::parse2::<syn::File>(tokens)
        .map_err(|e| format!("generated code does not parse (progenitor bug?): {e}"))?;
    Ok(prettyplease::unparse(&file))
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
    spec.paths.paths.retain(|_, item| match item {
        openapiv3::ReferenceOr::Item(item) => item.iter().next().is_some(),
        openapiv3::ReferenceOr::Reference { .. } => true,
    });
    spec
}

fn quote_path(path: &str) -> proc_macro2::TokenStream {
    path.parse().expect("static type path parses")
}

/// Leaves the file untouched when the content is the same, so rustc does not rebuild for nothing.
fn write_if_changed(path: &Path, content: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == content) {
        return;
    }
    fs::write(path, content).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
