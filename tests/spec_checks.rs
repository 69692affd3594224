//! The specs are published documentation: these checks keep them honest. Each spec must parse
//! as OpenAPI 3.0.x, every `$ref` must resolve, every operation needs an operationId, a summary,
//! a declared tag and a 4xx response, every request body and response body needs an example,
//! every example must validate against its schema, and `additionalProperties: false` is
//! forbidden. A failure names the spec, the operation and the JSON path.
//!
//! The second half of the file breaks specs on purpose to show each check catches its problem.

use serde_json::{Map, Value, json};

/// Every spec in `specs/` (the one list of providers), sorted.
fn providers() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/specs");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            Some(name.strip_suffix(".yaml")?.to_owned())
        })
        .collect();
    found.sort();
    found
}
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Runs every check on one spec; returns the problems found.
fn check_spec(name: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let doc: Value = match yaml_serde::from_str(text) {
        Ok(v) => v,
        Err(e) => return vec![format!("{name}: not valid YAML: {e}")],
    };
    let version = doc["openapi"].as_str().unwrap_or_default();
    if !version.starts_with("3.0.") {
        problems.push(format!(
            "{name}: `openapi` is {version:?}; write 3.0.3 (progenitor rejects 3.1)"
        ));
    }
    if let Err(e) = yaml_serde::from_str::<openapiv3::OpenAPI>(text) {
        problems.push(format!("{name}: not an OpenAPI 3.0 document: {e}"));
    }
    check_refs(name, &doc, &doc, "#", &mut problems);
    check_no_closed_objects(name, &doc, "#", &mut problems);
    check_operations(name, &doc, &mut problems);
    check_component_examples(name, &doc, &mut problems);
    problems
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let path = reference.strip_prefix("#/")?;
    let mut cur = doc;
    for part in path.split('/') {
        let part = part.replace("~1", "/").replace("~0", "~");
        cur = cur.get(&part)?;
    }
    Some(cur)
}

fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| resolve(doc, r))
    {
        Some(target) => deref(doc, target),
        None => v,
    }
}

fn check_refs(name: &str, doc: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str)
                && resolve(doc, r).is_none()
            {
                problems.push(format!("{name}: {at}: $ref {r:?} does not resolve"));
            }
            for (k, child) in map {
                if k != "example" && k != "examples" {
                    check_refs(name, doc, child, &format!("{at}/{k}"), problems);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_refs(name, doc, child, &format!("{at}/{i}"), problems);
            }
        }
        _ => {}
    }
}

fn check_no_closed_objects(name: &str, v: &Value, at: &str, problems: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                problems.push(format!(
                    "{name}: {at}: `additionalProperties: false` makes decoding fail when the provider adds a field; remove it"
                ));
            }
            for (k, child) in map {
                if k != "example" && k != "examples" {
                    check_no_closed_objects(name, child, &format!("{at}/{k}"), problems);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_no_closed_objects(name, child, &format!("{at}/{i}"), problems);
            }
        }
        _ => {}
    }
}

fn check_operations(name: &str, doc: &Value, problems: &mut Vec<String>) {
    let declared: Vec<&str> = doc["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    let mut seen_ids = std::collections::BTreeSet::new();
    let Some(paths) = doc["paths"].as_object() else {
        problems.push(format!("{name}: no paths"));
        return;
    };
    for (path, item) in paths {
        let item = deref(doc, item);
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"].as_str().unwrap_or_default();
            let label = if id.is_empty() {
                format!("{} {path}", method.to_uppercase())
            } else {
                id.to_owned()
            };
            if id.is_empty() {
                problems.push(format!("{name}: {label}: no operationId"));
            } else if !seen_ids.insert(id.to_owned()) {
                problems.push(format!("{name}: {label}: operationId used twice"));
            }
            if op["summary"].as_str().is_none_or(|s| s.trim().is_empty()) {
                problems.push(format!("{name}: {label}: no summary"));
            }
            match op["tags"].as_array() {
                Some(tags) if !tags.is_empty() => {
                    for t in tags.iter().filter_map(Value::as_str) {
                        if !declared.contains(&t) {
                            problems.push(format!(
                                "{name}: {label}: tag {t:?} is not declared under `tags`"
                            ));
                        }
                    }
                }
                _ => problems.push(format!("{name}: {label}: no tag")),
            }
            if !matches!(method, "get" | "head" | "options") {
                match op["x-retry"].as_str() {
                    Some("safe" | "unsafe" | "with-idempotency-key") => {}
                    Some(other) => problems.push(format!(
                        "{name}: {label}: x-retry is {other:?}; expected safe, unsafe or \
                         with-idempotency-key"
                    )),
                    None => problems.push(format!(
                        "{name}: {label}: a write must say whether it may be repeated (x-retry)"
                    )),
                }
            }
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            if !responses.keys().any(|k| k.starts_with('4')) {
                problems.push(format!("{name}: {label}: no 4xx response documented"));
            }
            if let Some(body) = op.get("requestBody") {
                let body = deref(doc, body);
                check_content(
                    name,
                    doc,
                    &label,
                    "requestBody",
                    &body["content"],
                    true,
                    problems,
                );
            }
            for (status, resp) in &responses {
                let resp = deref(doc, resp);
                if let Some(content) = resp.get("content") {
                    let at = format!("responses/{status}");
                    check_content(name, doc, &label, &at, content, true, problems);
                }
            }
            for (i, param) in op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let param = deref(doc, param);
                if let Some(example) = param.get("example") {
                    validate(
                        name,
                        doc,
                        &label,
                        &format!("parameters/{i} ({})", param["name"]),
                        &param["schema"],
                        example,
                        problems,
                    );
                }
            }
        }
    }
}

fn check_content(
    name: &str,
    doc: &Value,
    label: &str,
    at: &str,
    content: &Value,
    example_required: bool,
    problems: &mut Vec<String>,
) {
    let Some(media) = content.as_object() else {
        return;
    };
    for (media_type, m) in media {
        let schema = &m["schema"];
        let mut examples: Vec<(String, Value)> = Vec::new();
        if let Some(e) = m.get("example") {
            examples.push((format!("{at}/{media_type}/example"), e.clone()));
        }
        if let Some(map) = m.get("examples").and_then(Value::as_object) {
            for (k, e) in map {
                examples.push((
                    format!("{at}/{media_type}/examples/{k}"),
                    deref(doc, e)["value"].clone(),
                ));
            }
        }
        if examples.is_empty()
            && let Some(e) = deref(doc, schema).get("example")
        {
            examples.push((format!("{at}/{media_type}/schema/example"), e.clone()));
        }
        if examples.is_empty() && example_required {
            problems.push(format!(
                "{name}: {label}: {at} ({media_type}) has no example"
            ));
        }
        if media_type.contains("json") || media_type.contains("x-www-form-urlencoded") {
            for (where_, e) in examples {
                validate(name, doc, label, &where_, schema, &e, problems);
            }
        }
    }
}

fn check_component_examples(name: &str, doc: &Value, problems: &mut Vec<String>) {
    let Some(schemas) = doc["components"]["schemas"].as_object() else {
        return;
    };
    for (schema_name, schema) in schemas {
        if let Some(e) = schema.get("example") {
            let at = format!("components/schemas/{schema_name}/example");
            validate(
                name,
                doc,
                "components",
                &at,
                &json!({"$ref": format!("#/components/schemas/{schema_name}")}),
                e,
                problems,
            );
        }
    }
}

/// Turns an OpenAPI 3.0 schema into JSON Schema (2020-12): `nullable` becomes a null
/// alternative, component refs point at `$defs`, OpenAPI-only keywords go away.
fn to_json_schema(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, child) in map {
                match k.as_str() {
                    "nullable" | "example" | "examples" | "discriminator" | "xml"
                    | "externalDocs" | "deprecated" => {}
                    k if k.starts_with("x-") => {}
                    "$ref" => {
                        let r = child
                            .as_str()
                            .unwrap_or_default()
                            .replace("#/components/schemas/", "#/$defs/");
                        out.insert(k.to_owned(), Value::String(r));
                    }
                    "properties" | "patternProperties" => {
                        let props = child
                            .as_object()
                            .map(|p| {
                                p.iter()
                                    .map(|(n, s)| (n.clone(), to_json_schema(s)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        out.insert(k.to_owned(), Value::Object(props));
                    }
                    _ => {
                        out.insert(k.to_owned(), to_json_schema(child));
                    }
                }
            }
            if map.get("nullable") == Some(&Value::Bool(true)) {
                return json!({"anyOf": [Value::Object(out), {"type": "null"}]});
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

/// Names of the components a schema refers to directly.
fn refs_in(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "$ref" {
                    if let Some(name) = child
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        out.push(name.to_owned());
                    }
                } else {
                    out.extend(refs_in(child));
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| out.extend(refs_in(i))),
        _ => {}
    }
    out
}

fn validate(
    name: &str,
    doc: &Value,
    label: &str,
    at: &str,
    schema: &Value,
    example: &Value,
    problems: &mut Vec<String>,
) {
    // Only the components this schema reaches: compiling every component of a large spec for
    // each example made the check slow.
    let all = doc["components"]["schemas"].as_object();
    let mut defs = Map::new();
    let mut pending = vec![schema.clone()];
    while let Some(s) = pending.pop() {
        for name in refs_in(&s) {
            if defs.contains_key(&name) {
                continue;
            }
            if let Some(component) = all.and_then(|a| a.get(&name)) {
                defs.insert(name, to_json_schema(component));
                pending.push(component.clone());
            }
        }
    }
    let mut root = to_json_schema(schema);
    if let Value::Object(map) = &mut root {
        map.insert("$defs".into(), Value::Object(defs));
        map.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
    } else {
        return;
    }
    let validator = match jsonschema::validator_for(&root) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!(
                "{name}: {label}: {at}: schema is not valid JSON Schema: {e}"
            ));
            return;
        }
    };
    for error in validator.iter_errors(example) {
        problems.push(format!(
            "{name}: {label}: {at}: example does not match its schema at `{}`: {error}",
            error.instance_path()
        ));
    }
}

/// `SPEC_CHECK_ONLY=ecomdc,pluggto` limits the check to some specs while editing them.
#[test]
fn every_spec_passes_every_check() {
    let only = std::env::var("SPEC_CHECK_ONLY").ok();
    let all = providers();
    let selected: Vec<&String> = all
        .iter()
        .filter(|p| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|x| x.trim() == p.as_str()))
        })
        .collect();
    let mut problems = Vec::new();
    let mut checked = 0;
    for provider in &selected {
        let path = format!("{}/specs/{provider}.yaml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        problems.extend(check_spec(&format!("specs/{provider}.yaml"), &text));
        checked += 1;
    }
    assert_eq!(checked, selected.len());
    assert!(
        only.is_some() || checked >= 4,
        "every spec is checked (four at least)"
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Breaking a spec on purpose: each check must catch its problem and say where.

const GOOD: &str = r##"
openapi: 3.0.3
info: {title: t, version: '1'}
tags: [{name: things, description: d}]
paths:
  /things/{id}:
    get:
      operationId: get_thing
      summary: Get a thing
      tags: [things]
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}, example: 7}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              example: {id: 7, price: '1.50', note: null}
        '404':
          description: no
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Problem'}
              example: {message: not found}
    put:
      operationId: put_thing
      x-retry: safe
      summary: Replace a thing
      tags: [things]
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
            example: {id: 7, price: 2.5}
      responses:
        '204': {description: done}
        '400': {description: bad}
components:
  schemas:
    Thing:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        price: {oneOf: [{type: number}, {type: string}]}
        note: {type: string, nullable: true}
    Problem:
      type: object
      properties:
        message: {type: string}
"##;

fn broken(from: &str, to: &str) -> Vec<String> {
    assert!(GOOD.contains(from), "fixture does not contain {from:?}");
    check_spec("fixture.yaml", &GOOD.replacen(from, to, 1))
}

#[track_caller]
fn assert_caught(problems: &[String], expected: &[&str]) {
    assert!(
        problems
            .iter()
            .any(|p| expected.iter().all(|e| p.contains(e))),
        "expected a problem containing {expected:?}, got {problems:#?}"
    );
}

#[test]
fn the_good_fixture_passes() {
    assert_eq!(check_spec("fixture.yaml", GOOD), Vec::<String>::new());
}

#[test]
fn openapi_3_1_is_caught() {
    assert_caught(
        &broken("openapi: 3.0.3", "openapi: 3.1.0"),
        &["fixture.yaml", "3.1.0", "3.0.3"],
    );
}

#[test]
fn a_dangling_ref_is_caught_with_its_location() {
    let p = broken(
        "schema: {$ref: '#/components/schemas/Problem'}",
        "schema: {$ref: '#/components/schemas/Missing'}",
    );
    assert_caught(
        &p,
        &[
            "fixture.yaml",
            "responses/404",
            "Missing",
            "does not resolve",
        ],
    );
}

#[test]
fn missing_operation_metadata_is_caught() {
    assert_caught(
        &broken("      operationId: put_thing\n", ""),
        &["PUT /things/{id}", "no operationId"],
    );
    assert_caught(
        &broken("      summary: Get a thing\n", ""),
        &["get_thing", "no summary"],
    );
    assert_caught(
        &broken(
            "tags: [things]\n      parameters:\n        - {name: id, in: path, required: true, schema: {type: integer}}",
            "tags: [stuff]\n      parameters:\n        - {name: id, in: path, required: true, schema: {type: integer}}",
        ),
        &["put_thing", "\"stuff\"", "not declared"],
    );
    assert_caught(
        &broken("'400': {description: bad}", "'500': {description: bad}"),
        &["put_thing", "no 4xx"],
    );
    assert_caught(
        &broken("      x-retry: safe\n", ""),
        &["put_thing", "x-retry"],
    );
    assert_caught(
        &broken("x-retry: safe", "x-retry: maybe"),
        &["put_thing", "\"maybe\""],
    );
}

#[test]
fn a_body_without_example_is_caught() {
    let p = broken("            example: {id: 7, price: 2.5}\n", "");
    assert_caught(&p, &["put_thing", "requestBody", "no example"]);
}

#[test]
fn an_example_that_contradicts_its_schema_is_caught_with_its_path() {
    let p = broken(
        "example: {id: 7, price: '1.50', note: null}",
        "example: {id: seven, price: '1.50', note: null}",
    );
    assert_caught(&p, &["get_thing", "responses/200", "/id", "does not match"]);
    let p = broken(
        "schema: {type: integer}, example: 7}",
        "schema: {type: integer}, example: x}",
    );
    assert_caught(&p, &["get_thing", "parameters/0", "does not match"]);
}

#[test]
fn closed_objects_are_caught() {
    let p = broken(
        "      required: [id]\n",
        "      required: [id]\n      additionalProperties: false\n",
    );
    assert_caught(
        &p,
        &["components/schemas/Thing", "additionalProperties: false"],
    );
}

/// The specs directory and `providers!` in src/lib.rs list the same providers (a spec without a
/// `Provider`, or a `Provider` without a spec, is a provider half added).
#[test]
fn every_spec_has_a_provider_and_every_provider_a_spec() {
    let mut ids: Vec<String> = brcommerce::Provider::ALL
        .iter()
        .map(|p| p.id().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, providers());
    for p in brcommerce::Provider::ALL {
        assert_eq!(brcommerce::Provider::from_id(p.id()), Some(*p));
    }
    assert_eq!(brcommerce::Provider::from_id("nope"), None);
}
