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
    (
        "LooseCalendarDate",
        "crate::common::lenient::LooseCalendarDate",
    ),
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

    // The tables cover every operation and schema, the hand-written ones included.
    let operations = operations_module(&spec)?;
    let doc = serde_json::to_value(&spec)
        .map_err(|e| format!("the spec does not serialize back to JSON: {e}"))?;
    let schemas = schemas_module(&doc)?;
    let decoders = decoders_module(&doc);
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
    client.push_str(&schemas);
    client.push_str(&decoders);
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
            let response =
                success_schema(spec, op).map_or("None".to_owned(), |n| format!("Some({n:?})"));
            let name = id.to_ascii_uppercase();
            let summary = op
                .summary
                .as_deref()
                .unwrap_or_default()
                .replace(['\n', '\r'], " ");
            consts.push_str(&format!(
                "    /// `{method} {path}`: {summary} (retry: {retry})\n    pub const {name}: Operation = \
                 Operation {{ id: {id:?}, method: {method:?}, path: {path:?}, retry: Retry::{variant}, \
                 success: &[{success}], response: {response} }};\n",
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

/// The schema (component name) of an operation's first success response with a JSON body.
fn success_schema(spec: &openapiv3::OpenAPI, op: &openapiv3::Operation) -> Option<String> {
    op.responses.responses.iter().find_map(|(code, response)| {
        let openapiv3::StatusCode::Code(c) = code else {
            return None;
        };
        if !(200..300).contains(c) {
            return None;
        }
        let response = match response {
            openapiv3::ReferenceOr::Item(r) => r,
            openapiv3::ReferenceOr::Reference { reference } => {
                let name = reference.strip_prefix("#/components/responses/")?;
                match spec.components.as_ref()?.responses.get(name)? {
                    openapiv3::ReferenceOr::Item(r) => r,
                    openapiv3::ReferenceOr::Reference { .. } => return None,
                }
            }
        };
        let media = response.content.get("application/json")?;
        match media.schema.as_ref()? {
            openapiv3::ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/schemas/")
                .map(str::to_owned),
            openapiv3::ReferenceOr::Item(_) => None,
        }
    })
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

/// The `schemas` module of a provider: the shape of every component schema of the spec (its
/// fields, whether each is required, and its kind), read at run time by the lenient repairs of
/// `crate::common::shapes` and by drift detection. Inline object schemas get an entry of their
/// own, named `<Owner>.<field>`.
pub fn schemas_module(doc: &serde_json::Value) -> Result<String, String> {
    let mut shapes = Shapes::default();
    if let Some(components) = doc["components"]["schemas"].as_object() {
        for (name, schema) in components {
            if REPLACEMENTS.iter().any(|(n, _)| n == name) {
                continue;
            }
            shapes.component(doc, name, schema);
        }
    }
    let mut out = String::from(
        "\n/// The shapes of the spec's schemas: fields, required or not, and kinds.\n\
         pub mod schemas {\n    use crate::common::shapes::{Field, Kind, Shape};\n\n    \
         /// Every schema of the spec, in name order.\n    pub static ALL: &[Shape] = &[\n",
    );
    let mut arms = String::new();
    for (i, (name, shape)) in shapes.done.iter().enumerate() {
        out.push_str(&format!(
            "        Shape {{ name: {name:?}, object: {}, fields: &[",
            shape.object
        ));
        for f in &shape.fields {
            out.push_str(&format!(
                "Field {{ name: {:?}, kind: {}, required: {}, nullable: {} }}, ",
                f.name, f.kind, f.required, f.nullable
            ));
        }
        out.push_str(&format!("], items: {} }},\n", shape.items));
        arms.push_str(&format!("            {name:?} => Some(&ALL[{i}]),\n"));
    }
    out.push_str(&format!(
        "    ];\n\n    /// The schema with this name.\n    pub fn find(name: &str) -> \
         Option<&'static Shape> {{\n        match name {{\n{arms}            _ => None,\n        \
         }}\n    }}\n}}\n"
    ));
    Ok(out)
}

#[derive(Default)]
struct Shapes {
    done: std::collections::BTreeMap<String, ShapeOut>,
}

struct ShapeOut {
    object: bool,
    fields: Vec<FieldOut>,
    /// For a schema that is not an object: its own kind (an array alias, an enum, ...).
    items: String,
}

struct FieldOut {
    name: String,
    kind: String,
    required: bool,
    nullable: bool,
}

/// The component a `$ref` names, if it is a local schema reference.
fn ref_name(schema: &serde_json::Value) -> Option<&str> {
    schema["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

impl Shapes {
    fn component(&mut self, doc: &serde_json::Value, name: &str, schema: &serde_json::Value) {
        let properties = object_properties(doc, schema);
        let shape = match properties {
            Some((props, required)) => ShapeOut {
                object: true,
                fields: self.fields(doc, name, &props, &required),
                items: "Kind::Any".to_owned(),
            },
            None => ShapeOut {
                object: false,
                fields: Vec::new(),
                items: self.kind(doc, name, schema),
            },
        };
        self.done.insert(name.to_owned(), shape);
    }

    fn fields(
        &mut self,
        doc: &serde_json::Value,
        owner: &str,
        props: &serde_json::Map<String, serde_json::Value>,
        required: &[String],
    ) -> Vec<FieldOut> {
        props
            .iter()
            .map(|(field, schema)| FieldOut {
                name: field.clone(),
                kind: self.kind(doc, &format!("{owner}.{field}"), schema),
                required: required.contains(field),
                nullable: schema["nullable"].as_bool() == Some(true),
            })
            .collect()
    }

    /// The kind of a schema used at `at` (`Owner.field`), as Rust code.
    fn kind(&mut self, doc: &serde_json::Value, at: &str, schema: &serde_json::Value) -> String {
        if let Some(name) = ref_name(schema) {
            if let Some((_, rust)) = REPLACEMENTS.iter().find(|(n, _)| *n == name) {
                return format!(
                    "Kind::Lenient({:?})",
                    rust.rsplit("::").next().unwrap_or(name)
                );
            }
            let target = &doc["components"]["schemas"][name];
            if object_properties(doc, target).is_some() || target["type"] == "object" {
                return if target["properties"].is_object() || target["allOf"].is_array() {
                    format!("Kind::Object({name:?})")
                } else {
                    "Kind::AnyObject".to_owned()
                };
            }
            return self.kind(doc, name, target);
        }
        if let Some(branches) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
            // The open-enum pattern: a `Known` enum and an `Other` string.
            let names: Vec<&str> = branches.iter().filter_map(ref_name).collect();
            if names.len() == 2 && names.iter().any(|n| n.ends_with("Known")) {
                return open_enum_kind(doc, &names);
            }
            return "Kind::Any".to_owned();
        }
        if let Some([only]) = schema["allOf"].as_array().map(Vec::as_slice) {
            return self.kind(doc, at, only);
        }
        match schema["type"].as_str() {
            Some("object") => match object_properties(doc, schema) {
                Some((props, required)) if !props.is_empty() => {
                    let fields = self.fields(doc, at, &props, &required);
                    self.done.insert(
                        at.to_owned(),
                        ShapeOut {
                            object: true,
                            fields,
                            items: "Kind::Any".to_owned(),
                        },
                    );
                    format!("Kind::Object({at:?})")
                }
                _ => "Kind::AnyObject".to_owned(),
            },
            Some("array") => {
                let items = self.kind(doc, &format!("{at}[]"), &schema["items"]);
                format!("Kind::Array(&{items})")
            }
            Some("string") => match (schema["format"].as_str(), schema["enum"].as_array()) {
                (_, Some(values)) => {
                    let values: Vec<String> = values
                        .iter()
                        .filter_map(|v| v.as_str().map(|s| format!("{s:?}")))
                        .collect();
                    format!(
                        "Kind::Enum {{ open: false, values: &[{}] }}",
                        values.join(", ")
                    )
                }
                (Some("date"), _) => "Kind::Date".to_owned(),
                (Some("date-time"), _) => "Kind::DateTime".to_owned(),
                _ => "Kind::Text".to_owned(),
            },
            Some("integer") => "Kind::Integer".to_owned(),
            Some("number") => "Kind::Number".to_owned(),
            Some("boolean") => "Kind::Bool".to_owned(),
            _ => "Kind::Any".to_owned(),
        }
    }
}

/// The properties and required names of an object schema (merging `allOf` parts), or `None`
/// when the schema is not an object with properties.
fn object_properties(
    doc: &serde_json::Value,
    schema: &serde_json::Value,
) -> Option<(serde_json::Map<String, serde_json::Value>, Vec<String>)> {
    let required = |s: &serde_json::Value| -> Vec<String> {
        s["required"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(parts) = schema["allOf"].as_array() {
        let mut props = serde_json::Map::new();
        let mut req = required(schema);
        for part in parts {
            let part = match ref_name(part) {
                Some(name) => &doc["components"]["schemas"][name],
                None => part,
            };
            let (p, r) = object_properties(doc, part)?;
            props.extend(p);
            req.extend(r);
        }
        return Some((props, req));
    }
    let props = schema["properties"].as_object()?;
    Some((props.clone(), required(schema)))
}

/// The `decoders` module of a provider (hidden feature `__internal`, unstable, for the
/// spec-driven tests): decodes an answer given as the name of its component schema into the
/// generated type, the way the client decodes answers (directly, then repaired by the spec's
/// shapes), and gives it back as JSON.
pub fn decoders_module(doc: &serde_json::Value) -> String {
    let mut arms = String::new();
    if let Some(components) = doc["components"]["schemas"].as_object() {
        for name in components.keys() {
            let rust_name = name.chars().all(|c| c.is_ascii_alphanumeric());
            if REPLACEMENTS.iter().any(|(n, _)| n == name) || !rust_name {
                continue;
            }
            arms.push_str(&format!(
                "            {name:?} => Some(read::<super::types::{name}>({name:?}, json)),\n"
            ));
        }
    }
    format!(
        "\n/// Decoding by schema name, for the spec-driven tests (unstable).\n\
         #[cfg(feature = \"__internal\")]\n#[doc(hidden)]\npub mod decoders {{\n    \
         fn read<T: serde::de::DeserializeOwned + serde::Serialize>(\n        \
         schema: &'static str,\n        json: &[u8],\n    \
         ) -> Result<serde_json::Value, (String, String)> {{\n        \
         let value: T = crate::common::call::decode_read(super::schemas::find, schema, json)?;\n        \
         serde_json::to_value(value).map_err(|e| (String::new(), e.to_string()))\n    }}\n\n    \
         /// Decodes `json` as the schema `name` (`None`: no such schema).\n    \
         pub fn decode(name: &str, json: &[u8]) -> Option<Result<serde_json::Value, (String, String)>> {{\n        \
         match name {{\n{arms}            _ => None,\n        }}\n    }}\n}}\n"
    )
}

/// The kind of an open enum (`oneOf: [<X>Known, <X>Other]`, rule 8 of specs/README.md), listing
/// the values of its `Known` component: drift detection reports a value outside them.
fn open_enum_kind(doc: &serde_json::Value, branches: &[&str]) -> String {
    let values: Vec<String> = branches
        .iter()
        .filter(|n| n.ends_with("Known"))
        .flat_map(|n| {
            doc["components"]["schemas"][*n]["enum"]
                .as_array()
                .into_iter()
                .flatten()
        })
        .filter_map(|v| v.as_str().map(|s| format!("{s:?}")))
        .collect();
    format!(
        "Kind::Enum {{ open: true, values: &[{}] }}",
        values.join(", ")
    )
}
