//! The variance rules of `specs/README.md`, checked on every field of every read schema of the
//! four specs, from the specs themselves (the schema and operation tables `build.rs` emits), so a
//! field or schema added to a spec is covered without touching this test.
//!
//! A read schema is one reachable from the success answer of an operation. For each read schema
//! that is an object, the test builds a minimal valid record (its required fields only), checks
//! that it decodes, then for every field (inline objects included) and every variance class that
//! applies to it, decodes the record with that one field varied and checks what a user reads:
//!
//! | class | applies to | sent | read as |
//! |---|---|---|---|
//! | `obj:null` `obj:""` `obj:[]` `obj:{}` | optional objects | `null`, `""`, `[]`, `{}` | nothing: absent, or an object of blank fields |
//! | `datetime` | dates | `2024-07-15T18:07:07.000Z` | `2024-07-15` |
//! | `number` | text: ids and free-text codes | `4711` | `"4711"` |
//! | `enum` | open enums | an unknown value | that value |
//! | `zero` | optional dates and date-times, lenient dates | `0000-00-00` (`00:00:00`) | none |
//! | `epoch` | `LooseDate`, `LooseDateTime` (fields that cannot hold PHP's "no date") | `1969-12-31`, `1970-01-01` | none |
//!
//! Decoding goes through the clients' own path (`common::call`'s decode, then
//! `shapes::repair` and decode again), via the hidden `__internal` feature. Run with
//! `--nocapture` to see the tables.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

use brcommerce::common::ops::Operation;
use brcommerce::common::shapes::{Field, Kind, Shape};
use serde_json::{Value, json};

type Decode = fn(&str, &[u8]) -> Option<Result<Value, (String, String)>>;

struct Spec {
    id: &'static str,
    operations: &'static [Operation],
    schemas: &'static [Shape],
    find: fn(&str) -> Option<&'static Shape>,
    decode: Decode,
}

fn specs() -> [Spec; 4] {
    use brcommerce::{appclubmais, connectplug, ecomdc, pluggto};
    [
        Spec {
            id: "ecomdc",
            operations: ecomdc::operations::ALL,
            schemas: ecomdc::raw::schemas::ALL,
            find: ecomdc::raw::schemas::find,
            decode: ecomdc::raw::decoders::decode,
        },
        Spec {
            id: "pluggto",
            operations: pluggto::operations::ALL,
            schemas: pluggto::raw::schemas::ALL,
            find: pluggto::raw::schemas::find,
            decode: pluggto::raw::decoders::decode,
        },
        Spec {
            id: "appclubmais",
            operations: appclubmais::operations::ALL,
            schemas: appclubmais::raw::schemas::ALL,
            find: appclubmais::raw::schemas::find,
            decode: appclubmais::raw::decoders::decode,
        },
        Spec {
            id: "connectplug",
            operations: connectplug::operations::ALL,
            schemas: connectplug::raw::schemas::ALL,
            find: connectplug::raw::schemas::find,
            decode: connectplug::raw::decoders::decode,
        },
    ]
}

/// The variance classes, in table order.
const CLASSES: [&str; 9] = [
    "obj:null", "obj:\"\"", "obj:[]", "obj:{}", "datetime", "number", "enum", "zero", "epoch",
];

/// The component schemas reachable from the success answer of some operation.
fn read_schemas(spec: &Spec) -> BTreeSet<&'static str> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<&'static str> =
        spec.operations.iter().filter_map(|o| o.response).collect();
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name) {
            continue;
        }
        let Some(shape) = (spec.find)(name) else {
            continue;
        };
        let mut kinds: Vec<&Kind> = shape.fields.iter().map(|f| &f.kind).collect();
        kinds.push(&shape.items);
        while let Some(kind) = kinds.pop() {
            match kind {
                Kind::Object(n) => queue.push_back(n),
                Kind::Array(inner) => kinds.push(inner),
                _ => {}
            }
        }
    }
    // Inline objects (`Owner.field`) are walked as part of their owner.
    seen.into_iter().filter(|n| !n.contains('.')).collect()
}

fn is_inline(name: &str) -> bool {
    name.contains('.')
}

/// A valid value of `kind` (for required fields).
fn sample(spec: &Spec, kind: &Kind, depth: usize) -> Value {
    match kind {
        Kind::Text | Kind::Any => json!("1"),
        Kind::Integer => json!(1),
        Kind::Number => json!(1.5),
        Kind::Bool => json!(true),
        Kind::Date => json!("2024-07-15"),
        Kind::DateTime => json!("2024-07-15T18:07:07Z"),
        Kind::Enum { values, .. } => json!(values.first().copied().unwrap_or("x")),
        Kind::Object(name) => minimal(spec, name, depth + 1),
        Kind::AnyObject => json!({}),
        Kind::Array(_) => json!([]),
        Kind::Lenient(name) => match *name {
            "LooseDecimal" | "DecimalNumber" | "Money" => json!("1.50"),
            "LooseInt" => json!(1),
            "LooseBool" => json!(true),
            "LooseDate" | "LooseCalendarDate" => json!("2024-07-15"),
            "LooseDateTime" => json!("2024-07-15 18:07:07"),
            "IbgeCode" => json!("3550308"),
            "NfKey" => json!("35240712345678000190550010000012341000012345"),
            _ => json!("1"),
        },
        _ => Value::Null,
    }
}

/// The schema `name` with its required fields only.
fn minimal(spec: &Spec, name: &str, depth: usize) -> Value {
    let mut out = serde_json::Map::new();
    if depth > 8 {
        return Value::Object(out);
    }
    if let Some(shape) = (spec.find)(name) {
        if !shape.object {
            return sample(spec, &shape.items, depth);
        }
        for f in shape.fields.iter().filter(|f| f.required) {
            out.insert(f.name.to_owned(), sample(spec, &f.kind, depth));
        }
    }
    Value::Object(out)
}

/// One field to vary: its JSON path inside the record (object keys, `0` for an array's first
/// element) and its declaration.
struct Target {
    path: Vec<String>,
    field: &'static Field,
}

/// Every field of `shape`, descending into inline objects.
fn targets(spec: &Spec, shape: &'static Shape, prefix: &[String], out: &mut Vec<Target>) {
    for field in shape.fields {
        let mut path = prefix.to_vec();
        path.push(field.name.to_owned());
        out.push(Target {
            path: path.clone(),
            field,
        });
        let (inline, inner_path) = match &field.kind {
            Kind::Object(n) if is_inline(n) => (Some(*n), path.clone()),
            Kind::Array(Kind::Object(n)) if is_inline(n) => {
                let mut p = path.clone();
                p.push("0".into());
                (Some(*n), p)
            }
            _ => (None, Vec::new()),
        };
        if let Some(inner) = inline.and_then(spec.find)
            && prefix.len() < 6
        {
            targets(spec, inner, &inner_path, out);
        }
    }
}

/// The record with the containers on `path` present (minimal), and `value` at its end.
fn with_value(spec: &Spec, host: &str, record: &Value, path: &[String], value: Value) -> Value {
    let mut record = record.clone();
    let mut cur = &mut record;
    let mut shape = (spec.find)(host);
    for (i, key) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        if let Value::Array(items) = cur {
            if items.is_empty() {
                items.push(json!({}));
            }
            cur = &mut items[0];
            continue;
        }
        let Some(map) = cur.as_object_mut() else {
            break;
        };
        if last {
            map.insert(key.clone(), value);
            break;
        }
        let kind = shape.and_then(|s| s.field(key)).map(|f| f.kind);
        let (container, next) = match kind {
            Some(Kind::Object(n)) => (minimal(spec, n, 0), (spec.find)(n)),
            Some(Kind::Array(Kind::Object(n))) => (json!([minimal(spec, n, 0)]), (spec.find)(n)),
            _ => (json!({}), None),
        };
        shape = next;
        let slot = map.entry(key.clone()).or_insert(container);
        if slot.is_null() {
            *slot = json!({});
        }
        cur = slot;
    }
    record
}

/// What a user reads at `path` of a decoded record (`None`: absent).
fn read_at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = value;
    for key in path {
        cur = match cur {
            Value::Array(items) => items.first()?,
            other => other,
        };
        cur = cur.get(key)?;
    }
    Some(cur)
}

fn is_none(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null))
}

/// Nothing, as a user reads it: absent, `null`, or an object whose every field is nothing
/// (`{}`, or an object of blank `Loose*` values).
fn is_nothing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.values().all(|v| is_nothing(Some(v))),
        Some(_) => false,
    }
}

fn is_date_kind(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Date | Kind::Lenient("LooseDate" | "LooseCalendarDate")
    )
}

/// The value to send for `class` on `field`, and the check of what is read back; `None` when
/// the class does not apply to the field.
#[allow(clippy::type_complexity)]
fn variant(field: &Field, class: &str) -> Option<(Value, Box<dyn Fn(Option<&Value>) -> bool>)> {
    let optional = !field.required;
    let kind = &field.kind;
    let object = matches!(kind, Kind::Object(_) | Kind::AnyObject);
    Some(match class {
        "obj:null" if object && optional => (json!(null), Box::new(is_nothing)),
        "obj:\"\"" if object && optional => (json!(""), Box::new(is_nothing)),
        "obj:[]" if object && optional => (json!([]), Box::new(is_nothing)),
        "obj:{}" if object && optional => (json!({}), Box::new(is_nothing)),
        "datetime" if is_date_kind(kind) => (
            json!("2024-07-15T18:07:07.000Z"),
            Box::new(|v: Option<&Value>| v == Some(&json!("2024-07-15"))),
        ),
        "number" if matches!(kind, Kind::Text | Kind::Lenient("LooseText" | "LooseId")) => (
            json!(4711),
            Box::new(|v: Option<&Value>| v == Some(&json!("4711"))),
        ),
        "enum" if matches!(kind, Kind::Enum { open: true, .. }) => (
            json!("valor_novo_2027"),
            Box::new(|v: Option<&Value>| v == Some(&json!("valor_novo_2027"))),
        ),
        "zero" if (optional && matches!(kind, Kind::Date)) || is_date_kind(kind) => {
            (json!("0000-00-00"), Box::new(is_none))
        }
        "zero"
            if (optional && matches!(kind, Kind::DateTime))
                || matches!(kind, Kind::Lenient("LooseDateTime")) =>
        {
            (json!("0000-00-00 00:00:00"), Box::new(is_none))
        }
        "epoch" if matches!(kind, Kind::Lenient("LooseDate")) => {
            (json!("1969-12-31"), Box::new(is_none))
        }
        "epoch" if matches!(kind, Kind::Lenient("LooseDateTime")) => {
            (json!("1970-01-01 00:00:00"), Box::new(is_none))
        }
        _ => return None,
    })
}

/// One spec's table: a row per field with a class that applies, and its failures.
struct Table {
    text: String,
    rows: usize,
    checks: usize,
    failures: Vec<String>,
    closed_enums: Vec<String>,
}

fn table(spec: &Spec) -> Table {
    let mut t = Table {
        text: String::new(),
        rows: 0,
        checks: 0,
        failures: Vec::new(),
        closed_enums: Vec::new(),
    };
    let _ = writeln!(t.text, "\n## {} read schemas: fields x classes\n", spec.id);
    let _ = writeln!(t.text, "| field | {} |", CLASSES.join(" | "));
    let _ = writeln!(t.text, "|---|{}", "---|".repeat(CLASSES.len()));
    for host in read_schemas(spec) {
        let Some(shape) = (spec.find)(host) else {
            continue;
        };
        if !shape.object {
            continue;
        }
        let base = minimal(spec, host, 0);
        let decode = |v: &Value| {
            (spec.decode)(host, v.to_string().as_bytes())
                .unwrap_or_else(|| panic!("{}: no decoder for {host}", spec.id))
        };
        if let Err((path, message)) = decode(&base) {
            t.failures.push(format!(
                "{}: {host}: a minimal record {base} does not decode: at `{path}`: {message}",
                spec.id
            ));
            continue;
        }
        let mut fields = Vec::new();
        targets(spec, shape, &[], &mut fields);
        for target in fields {
            let name = format!("{host}.{}", target.path.join("."));
            if let Kind::Enum { open: false, .. } = target.field.kind {
                t.closed_enums.push(name.clone());
            }
            let mut cells = Vec::new();
            for class in CLASSES {
                let Some((sent, check)) = variant(target.field, class) else {
                    cells.push("");
                    continue;
                };
                t.checks += 1;
                let record = with_value(spec, host, &base, &target.path, sent.clone());
                match decode(&record) {
                    Ok(read) if check(read_at(&read, &target.path)) => cells.push("ok"),
                    Ok(read) => {
                        cells.push("FAIL");
                        t.failures.push(format!(
                            "{}: {name} [{class}]: sent {sent}, read {:?}",
                            spec.id,
                            read_at(&read, &target.path)
                        ));
                    }
                    Err((path, message)) => {
                        cells.push("FAIL");
                        t.failures.push(format!(
                            "{}: {name} [{class}]: sent {sent}: at `{path}`: {message}",
                            spec.id
                        ));
                    }
                }
            }
            if cells.iter().any(|c| !c.is_empty()) {
                t.rows += 1;
                let _ = writeln!(t.text, "| {name} | {} |", cells.join(" | "));
            }
        }
    }
    t
}

/// Closed enums a read schema may keep: values fixed outside the provider (spec, field).
const CLOSED_ENUMS_ALLOWED: &[(&str, &str)] = &[
    // The seven days of the week.
    ("connectplug", "Shift.week_day"),
];

#[test]
fn every_read_field_of_every_spec_reads_each_variance_class_it_applies_to() {
    let mut failures = Vec::new();
    let mut summary = BTreeMap::new();
    for spec in specs() {
        let t = table(&spec);
        println!("{}", t.text);
        if !t.closed_enums.is_empty() {
            println!(
                "{}: closed enums in read schemas (an unknown value fails its record): {}",
                spec.id,
                t.closed_enums.join(", ")
            );
        }
        for name in &t.closed_enums {
            if !CLOSED_ENUMS_ALLOWED.contains(&(spec.id, name.as_str())) {
                failures.push(format!(
                    "{}: {name} is a closed enum in a read schema: a value the provider adds \
                     would fail its record (make it an open enum, specs/README.md rule 8, or \
                     list it in CLOSED_ENUMS_ALLOWED with the reason it cannot grow)",
                    spec.id
                ));
            }
        }
        assert!(
            t.rows > 0 && t.checks > 0,
            "{}: no field to check (the schema tables are empty?)",
            spec.id
        );
        summary.insert(spec.id, (t.rows, t.checks, t.failures.len()));
        failures.extend(t.failures);
    }
    println!("\nfields / checks / failures per spec: {summary:?}");
    assert!(
        failures.is_empty(),
        "{} variance checks fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The walk reaches the answer of every operation, every read schema has a decoder, and the
/// classes apply by the field's kind.
#[test]
fn the_schema_walk_covers_every_read_schema_and_the_classes_apply_by_kind() {
    for spec in specs() {
        let reads = read_schemas(&spec);
        for op in spec.operations {
            if let Some(r) = op.response {
                assert!(reads.contains(r), "{}: {r} not walked", spec.id);
            }
        }
        // Every read schema is known to the decoders (a schema added to the spec is decoded).
        for name in &reads {
            assert!(
                (spec.decode)(name, b"null").is_some()
                    || spec.schemas.iter().all(|s| s.name != *name),
                "{}: no decoder for {name}",
                spec.id
            );
        }
    }
    let text = *brcommerce::ecomdc::raw::schemas::find("Product")
        .and_then(|s| s.field("nome"))
        .expect("ecomdc Product.nome");
    assert!(variant(&text, "number").is_some());
    assert!(variant(&text, "obj:null").is_none());
}
