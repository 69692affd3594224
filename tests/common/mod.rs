//! Helpers shared by the integration tests: spec examples, fixtures, fast client settings.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use brcommerce::common::ratelimit::RateLimits;
use brcommerce::common::retry::RetryPolicy;
use serde_json::Value;

/// The spec of a provider as JSON (parsed once per test binary).
pub fn spec(provider: &str) -> Value {
    static SPECS: OnceLock<Mutex<HashMap<String, Value>>> = OnceLock::new();
    let specs = SPECS.get_or_init(Default::default);
    let mut specs = specs.lock().unwrap();
    specs
        .entry(provider.to_owned())
        .or_insert_with(|| {
            let path = format!("{}/specs/{provider}.yaml", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap();
            yaml_serde::from_str(&text).unwrap()
        })
        .clone()
}

/// Follows a local `$ref`.
pub fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut cur = spec;
            for part in r.trim_start_matches("#/").split('/') {
                cur = &cur[part];
            }
            resolve(spec, cur)
        }
        None => v,
    }
}

/// The operation object with this operationId.
pub fn operation(spec: &Value, op_id: &str) -> Value {
    for (_, item) in spec["paths"].as_object().unwrap() {
        for (_, op) in item.as_object().unwrap() {
            if op.get("operationId").and_then(Value::as_str) == Some(op_id) {
                return op.clone();
            }
        }
    }
    panic!("no operation {op_id}");
}

fn example_of(spec: &Value, media: &Value) -> Value {
    if let Some(e) = media.get("example") {
        return e.clone();
    }
    if let Some(examples) = media.get("examples").and_then(Value::as_object) {
        let first = examples.values().next().unwrap();
        return resolve(spec, first)["value"].clone();
    }
    let schema = resolve(spec, &media["schema"]);
    schema
        .get("example")
        .cloned()
        .unwrap_or_else(|| panic!("no example in {media}"))
}

/// The example of an operation's response with `status`.
pub fn response_example(provider: &str, op_id: &str, status: &str) -> Value {
    let spec = spec(provider);
    let op = operation(&spec, op_id);
    let resp = resolve(&spec, &op["responses"][status]);
    let media = &resp["content"]["application/json"];
    example_of(&spec, media)
}

/// The example of an operation's request body.
pub fn request_example(provider: &str, op_id: &str) -> Value {
    let spec = spec(provider);
    let op = operation(&spec, op_id);
    let body = resolve(&spec, &op["requestBody"]);
    let content = body["content"].as_object().unwrap();
    let media = content.values().next().unwrap();
    example_of(&spec, media)
}

/// The example of a component schema.
pub fn schema_example(provider: &str, name: &str) -> Value {
    spec(provider)["components"]["schemas"][name]["example"].clone()
}

/// A fixture file's text.
pub fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Retries quick enough for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::standard().backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// No client-side pacing.
pub fn unlimited() -> RateLimits {
    RateLimits::unlimited()
}

/// JSON with every number as f64, so `720`, `720.0` and `720.00` compare equal (the manual is
/// not consistent about them).
pub fn numbers_as_f64(v: &Value) -> Value {
    match v {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(a) => Value::Array(a.iter().map(numbers_as_f64).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), numbers_as_f64(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Request bodies a mock received (JSON), for asserting after the call.
#[derive(Clone, Default)]
pub struct Bodies(std::sync::Arc<Mutex<Vec<String>>>);

impl Bodies {
    /// Records the bodies of requests matching `when`.
    pub fn record(&self, when: httpmock::When) -> httpmock::When {
        let store = self.0.clone();
        when.is_true(move |req| {
            store.lock().unwrap().push(req.body_string());
            true
        })
    }
    /// The last body, parsed.
    pub fn last_json(&self) -> Value {
        let bodies = self.0.lock().unwrap();
        let last = bodies.last().expect("no request was received");
        serde_json::from_str(last).unwrap_or_else(|e| panic!("body is not JSON ({e}): {last}"))
    }
    /// Every recorded body, in order.
    pub fn texts(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    /// How many requests were recorded.
    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Asserts two JSON documents are equal with numbers compared by value.
#[track_caller]
pub fn assert_json_eq(actual: &Value, expected: &Value) {
    assert_eq!(
        numbers_as_f64(actual),
        numbers_as_f64(expected),
        "\n actual: {}\nexpected: {}",
        serde_json::to_string_pretty(actual).unwrap(),
        serde_json::to_string_pretty(expected).unwrap()
    );
}

pub mod script_server;
