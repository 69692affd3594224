//! A broken spec stops the build with a message naming what is wrong, not a bare progenitor
//! panic. This drives the same routine build.rs uses (`build/generate.rs`) on broken specs.

#[path = "../build/generate.rs"]
#[allow(dead_code)]
mod generate;

const GOOD: &str = r##"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things/{id}:
    get:
      operationId: get_thing
      summary: Get a thing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        '404':
          description: no
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Problem'}
components:
  schemas:
    Thing:
      type: object
      properties:
        price: {$ref: '#/components/schemas/LooseDecimal'}
    LooseDecimal: {type: string}
    Other: {type: object, properties: {x: {type: integer}}}
    Problem: {type: object, properties: {message: {type: string}}}
"##;

fn error_for(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "fixture lacks {from:?}");
    generate::generate("fixture", &GOOD.replacen(from, to, 1), false)
        .expect_err("the broken spec was accepted")
}

#[test]
fn a_good_spec_generates_a_client_with_the_lenient_types() {
    let (code, cli) = generate::generate("fixture", GOOD, false).unwrap();
    assert!(code.contains("pub struct Client"));
    assert!(
        code.contains("crate::common::lenient::LooseDecimal"),
        "replacement applied"
    );
    assert!(cli.is_none());
}

#[test]
fn invalid_yaml_names_the_position() {
    let msg = error_for(
        "      operationId: get_thing",
        "      operationId: [get_thing",
    );
    assert!(msg.contains("not a valid OpenAPI document"), "{msg}");
    assert!(msg.contains("line"), "{msg}");
}

#[test]
fn a_structural_mistake_names_its_section_and_the_problem() {
    // openapiv3 reads path items through untagged enums, so the path stops at `paths`.
    let msg = error_for("      summary: Get a thing", "      summary: {oops: 1}");
    assert!(msg.contains("at `paths`"), "{msg}");
    assert!(msg.contains("expected a string"), "{msg}");
}

#[test]
fn openapi_3_1_is_refused_with_the_fix() {
    let msg = error_for("openapi: 3.0.3", "openapi: 3.1.0");
    assert!(msg.contains("3.1.0") && msg.contains("3.0.3"), "{msg}");
}

#[test]
fn two_success_types_explain_the_progenitor_panic() {
    let msg = error_for(
        "        '404':",
        "        '201':\n          description: other\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Other'}\n        '404':",
    );
    assert!(msg.contains("panicked"), "{msg}");
    assert!(
        msg.contains("two different success or error body types"),
        "{msg}"
    );
}

#[test]
fn handwritten_operations_are_left_out_of_generation() {
    let spec = GOOD.replacen(
        "      operationId: get_thing",
        "      operationId: get_thing\n      x-handwritten: true",
        1,
    );
    let (code, _) = generate::generate("fixture", &spec, false).unwrap();
    assert!(
        !code.contains("fn get_thing"),
        "the handwritten operation was generated"
    );
}
