//! What the specs say each answer looks like, and the repairs that make a provider's variance
//! decode, by rule rather than one field at a time.
//!
//! `build.rs` emits, beside each generated client, a `schemas` table: every component schema of
//! the spec with its fields, whether each is required, and its [`Kind`]. When an answer does not
//! decode into the generated type, the runtime walks the answer's JSON along that table and
//! repairs what the providers are known to send in place of the documented form (see
//! [`Variance`]), then decodes again. A clean answer never pays for this: the repairs run only
//! after a decode failed. What cannot be repaired is reported with its JSON path, and a list
//! answer loses only the records that still do not decode (see `call::run_list`).
//!
//! The repairs never invent data: an optional object sent as `[]` or `""` becomes absent, a
//! number sent where text is expected becomes its text, a date-time where a date is expected
//! keeps its date. Write models are never repaired: what the crate sends stays strict.

use std::fmt;

use serde_json::Value;

/// The shape of one schema of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Shape {
    /// The component's name (`Product`), or `<Owner>.<field>` for an inline object.
    pub name: &'static str,
    /// Whether it is an object with properties (its `fields`); otherwise `items` is its kind.
    pub object: bool,
    /// The properties of an object schema.
    pub fields: &'static [Field],
    /// The kind of a schema that is not an object (an array alias, an enum).
    pub items: Kind,
}

/// One property of an object schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Field {
    /// The property name on the wire.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Listed in the schema's `required`.
    pub required: bool,
    /// `nullable: true`.
    pub nullable: bool,
}

impl Field {
    /// A property built by hand (see [`Shape::new`]).
    pub const fn new(name: &'static str, kind: Kind, required: bool, nullable: bool) -> Self {
        Self {
            name,
            kind,
            required,
            nullable,
        }
    }
}

impl Shape {
    /// A shape built by hand; `build.rs` generates the table of each spec (`<provider>::raw::
    /// schemas`), this is for tools and tests that build one from another spec.
    pub const fn new(
        name: &'static str,
        object: bool,
        fields: &'static [Field],
        items: Kind,
    ) -> Self {
        Self {
            name,
            object,
            fields,
            items,
        }
    }
    /// Whether some property is required (an object sent as `{}` then cannot be it).
    pub fn has_required(&self) -> bool {
        self.fields.iter().any(|f| f.required)
    }
    /// The property with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// What a value of a schema holds, as far as decoding cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// A string.
    Text,
    /// An integer.
    Integer,
    /// A number.
    Number,
    /// A boolean.
    Bool,
    /// A `format: date` string (`YYYY-MM-DD`).
    Date,
    /// A `format: date-time` string (RFC 3339).
    DateTime,
    /// A string enum; `open` ones keep unknown values (rule 8 of `specs/README.md`).
    Enum {
        /// Unknown values decode (as `Other`).
        open: bool,
        /// The known values (of an open enum: those of its `<X>Known` component).
        values: &'static [&'static str],
    },
    /// An object of the named schema.
    Object(&'static str),
    /// An object without declared properties.
    AnyObject,
    /// An array of this kind.
    Array(&'static Kind),
    /// One of the lenient types (`LooseDecimal`, `NfKey`, ...), which read variance themselves.
    Lenient(&'static str),
    /// Anything (an undeclared type, a union).
    Any,
}

/// Finds a schema of one provider by name (the generated `schemas::find`).
pub(crate) type Lookup = fn(&str) -> Option<&'static Shape>;

/// A class of variance the providers send in place of the documented form, each repaired the
/// same way wherever it appears in a read model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Variance {
    /// An optional object sent as `null`, `""`, `[]` or `{}` (PHP's empty array): absent.
    EmptyObject,
    /// An object sent as JSON text (`"{\"doc\": ...}"`): the object.
    ObjectAsText,
    /// An optional list sent as `null`, `""` or `{}`: absent (a required one: empty).
    EmptyList,
    /// A number or a boolean where text is expected (an id, a code): its text.
    NumberAsText,
    /// A numeric string where a number is expected: the number.
    TextAsNumber,
    /// `1`/`0`, `"1"`/`"0"`, `"true"`/`"false"` where a boolean is expected: the boolean.
    FlagAsBool,
    /// A date-time where a date is expected: its date (as written, not moved to UTC).
    DateTimeAsDate,
    /// `DD/MM/YYYY` where `YYYY-MM-DD` is expected: the same date.
    DayFirstDate,
    /// A zero date (`0000-00-00`) or `""` in an optional date: absent.
    ZeroDate,
    /// `null` for required text: empty text.
    NullText,
}

impl Variance {
    /// Every class, in order.
    pub const ALL: [Variance; 10] = [
        Variance::EmptyObject,
        Variance::ObjectAsText,
        Variance::EmptyList,
        Variance::NumberAsText,
        Variance::TextAsNumber,
        Variance::FlagAsBool,
        Variance::DateTimeAsDate,
        Variance::DayFirstDate,
        Variance::ZeroDate,
        Variance::NullText,
    ];
}

impl fmt::Display for Variance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Variance::EmptyObject => "empty object",
            Variance::ObjectAsText => "object as JSON text",
            Variance::EmptyList => "empty list",
            Variance::NumberAsText => "number as text",
            Variance::TextAsNumber => "text as number",
            Variance::FlagAsBool => "flag as boolean",
            Variance::DateTimeAsDate => "date-time as date",
            Variance::DayFirstDate => "day-first date",
            Variance::ZeroDate => "zero date",
            Variance::NullText => "null text",
        })
    }
}

/// One repair made to an answer: where, and of which class.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Repair {
    /// JSON path of the repaired value (`pedidos[3].cliente`).
    pub path: String,
    /// What was repaired.
    pub class: Variance,
}

/// Repairs `value`, a value of `kind`, in place; records each repair with its path.
pub(crate) fn repair(
    value: &mut Value,
    kind: &Kind,
    lookup: Lookup,
    path: &str,
    out: &mut Vec<Repair>,
) {
    match (kind, value) {
        (Kind::Object(name), Value::Object(map)) => {
            let Some(shape) = lookup(name) else { return };
            for field in shape.fields {
                repair_field(map, field, lookup, path, out);
            }
        }
        (Kind::Array(inner), Value::Array(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                repair(item, inner, lookup, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The kind of an answer whose body is the schema `name`.
pub(crate) fn root_kind(lookup: Lookup, name: &'static str) -> Option<Kind> {
    let shape = lookup(name)?;
    Some(if shape.object {
        Kind::Object(shape.name)
    } else {
        shape.items
    })
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// What to do with a present field.
enum Fix {
    Keep,
    Remove(Variance),
    Replace(Value, Variance),
}

fn repair_field(
    map: &mut serde_json::Map<String, Value>,
    field: &Field,
    lookup: Lookup,
    path: &str,
    out: &mut Vec<Repair>,
) {
    let Some(value) = map.get_mut(field.name) else {
        return;
    };
    let at = join(path, field.name);
    let optional = !field.required;
    let fix = match (&field.kind, &*value) {
        (Kind::Object(_) | Kind::AnyObject, Value::String(s))
            if s.trim_start().starts_with('{') =>
        {
            match serde_json::from_str::<Value>(s) {
                Ok(object @ Value::Object(_)) => Fix::Replace(object, Variance::ObjectAsText),
                _ => Fix::Keep,
            }
        }
        (Kind::Object(_) | Kind::AnyObject, v) if optional && is_blank(v) => {
            Fix::Remove(Variance::EmptyObject)
        }
        (Kind::Object(name), Value::Object(m)) if optional && m.is_empty() => match lookup(name) {
            Some(shape) if shape.has_required() => Fix::Remove(Variance::EmptyObject),
            _ => Fix::Keep,
        },
        (Kind::Array(_), v)
            if matches!(v, Value::Null)
                || matches!(v, Value::String(s) if s.trim().is_empty())
                || matches!(v, Value::Object(m) if m.is_empty()) =>
        {
            if optional {
                Fix::Remove(Variance::EmptyList)
            } else {
                Fix::Replace(Value::Array(Vec::new()), Variance::EmptyList)
            }
        }
        (Kind::Text | Kind::Enum { open: true, .. }, Value::Number(n)) => {
            Fix::Replace(Value::String(n.to_string()), Variance::NumberAsText)
        }
        (Kind::Text, Value::Bool(b)) => {
            Fix::Replace(Value::String(b.to_string()), Variance::NumberAsText)
        }
        (Kind::Text, Value::Null) if field.required && !field.nullable => {
            Fix::Replace(Value::String(String::new()), Variance::NullText)
        }
        (Kind::Integer, Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(n) => Fix::Replace(Value::from(n), Variance::TextAsNumber),
            Err(_) => Fix::Keep,
        },
        (Kind::Integer, Value::Number(n)) if n.as_i64().is_none() && n.as_u64().is_none() => {
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    Fix::Replace(Value::from(f as i64), Variance::TextAsNumber)
                }
                _ => Fix::Keep,
            }
        }
        (Kind::Number, Value::String(s)) => {
            match crate::common::lenient::parse_decimal(s).ok().and_then(|d| {
                serde_json::Number::from_f64(rust_decimal::prelude::ToPrimitive::to_f64(&d)?)
            }) {
                Some(n) => Fix::Replace(Value::Number(n), Variance::TextAsNumber),
                None => Fix::Keep,
            }
        }
        (Kind::Bool, v) => match flag(v) {
            Some(b) if !v.is_boolean() => Fix::Replace(Value::Bool(b), Variance::FlagAsBool),
            _ => Fix::Keep,
        },
        (Kind::Date, Value::String(s)) => date_fix(s, optional),
        (Kind::DateTime, Value::String(s))
            if optional && (s.trim().is_empty() || s.starts_with("0000-00-00")) =>
        {
            Fix::Remove(Variance::ZeroDate)
        }
        _ => Fix::Keep,
    };
    match fix {
        Fix::Keep => {}
        Fix::Remove(class) => {
            map.remove(field.name);
            out.push(Repair { path: at, class });
            return;
        }
        Fix::Replace(v, class) => {
            *value = v;
            out.push(Repair {
                path: at.clone(),
                class,
            });
        }
    }
    repair(value, &field.kind, lookup, &at, out);
}

/// `null`, `""` (or blank) and `[]`: PHP's ways of saying "nothing".
fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "s" | "sim" | "y" | "yes" => Some(true),
            "0" | "false" | "n" | "nao" | "não" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn date_fix(s: &str, optional: bool) -> Fix {
    let t = s.trim();
    if optional && (t.is_empty() || t.starts_with("0000-00-00") || t.starts_with("00/00/0000")) {
        return Fix::Remove(Variance::ZeroDate);
    }
    let b = t.as_bytes();
    let iso = |b: &[u8]| {
        b.len() >= 10
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[7] == b'-'
            && b[5..7].iter().chain(&b[8..10]).all(u8::is_ascii_digit)
    };
    if iso(b) && b.len() > 10 && matches!(b[10], b'T' | b't' | b' ') {
        return Fix::Replace(Value::String(t[..10].to_owned()), Variance::DateTimeAsDate);
    }
    if b.len() >= 10 && b[2] == b'/' && b[5] == b'/' {
        let (d, m, y) = (&t[..2], &t[3..5], &t[6..10]);
        if [d, m, y]
            .iter()
            .all(|p| p.bytes().all(|c| c.is_ascii_digit()))
        {
            return Fix::Replace(
                Value::String(format!("{y}-{m}-{d}")),
                Variance::DayFirstDate,
            );
        }
    }
    Fix::Keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static ADDRESS: Shape = Shape {
        name: "Address",
        object: true,
        fields: &[Field {
            name: "cep",
            kind: Kind::Text,
            required: true,
            nullable: false,
        }],
        items: Kind::Any,
    };
    static ORDER: Shape = Shape {
        name: "Order",
        object: true,
        fields: &[
            Field {
                name: "id",
                kind: Kind::Text,
                required: true,
                nullable: false,
            },
            Field {
                name: "address",
                kind: Kind::Object("Address"),
                required: false,
                nullable: false,
            },
            Field {
                name: "fiscal",
                kind: Kind::AnyObject,
                required: false,
                nullable: false,
            },
            Field {
                name: "items",
                kind: Kind::Array(&Kind::Object("Address")),
                required: false,
                nullable: false,
            },
            Field {
                name: "paid",
                kind: Kind::Date,
                required: false,
                nullable: false,
            },
            Field {
                name: "count",
                kind: Kind::Integer,
                required: false,
                nullable: false,
            },
            Field {
                name: "active",
                kind: Kind::Bool,
                required: false,
                nullable: false,
            },
        ],
        items: Kind::Any,
    };

    fn lookup(name: &str) -> Option<&'static Shape> {
        match name {
            "Address" => Some(&ADDRESS),
            "Order" => Some(&ORDER),
            _ => None,
        }
    }

    fn repaired(mut v: Value) -> (Value, Vec<(String, Variance)>) {
        let mut out = Vec::new();
        repair(&mut v, &Kind::Object("Order"), lookup, "", &mut out);
        (v, out.into_iter().map(|r| (r.path, r.class)).collect())
    }

    #[test]
    fn each_class_is_repaired_where_the_schema_says() {
        let (v, repairs) = repaired(json!({
            "id": 42,
            "address": [],
            "fiscal": "{\"doc\": \"1\"}",
            "items": [{"cep": 36015001}, {"cep": null}],
            "paid": "2024-07-15T18:07:07.000Z",
            "count": "3",
            "active": "1",
        }));
        assert_eq!(
            v,
            json!({
                "id": "42",
                "fiscal": {"doc": "1"},
                "items": [{"cep": "36015001"}, {"cep": ""}],
                "paid": "2024-07-15",
                "count": 3,
                "active": true,
            })
        );
        assert_eq!(
            repairs,
            [
                ("id".into(), Variance::NumberAsText),
                ("address".into(), Variance::EmptyObject),
                ("fiscal".into(), Variance::ObjectAsText),
                ("items[0].cep".into(), Variance::NumberAsText),
                ("items[1].cep".into(), Variance::NullText),
                ("paid".into(), Variance::DateTimeAsDate),
                ("count".into(), Variance::TextAsNumber),
                ("active".into(), Variance::FlagAsBool),
            ]
        );
    }

    #[test]
    fn blanks_and_php_empties_of_optional_values_become_absent() {
        for blank in [json!(null), json!(""), json!([]), json!({})] {
            let (v, _) = repaired(json!({"id": "1", "address": blank.clone(), "items": blank}));
            // `[]` is a list already: it stays.
            let want = if blank == json!([]) {
                json!({"id": "1", "items": []})
            } else {
                json!({"id": "1"})
            };
            assert_eq!(v, want, "{blank}");
        }
        let (v, repairs) = repaired(json!({"id": "1", "paid": "0000-00-00", "items": null}));
        assert_eq!(v, json!({"id": "1"}));
        assert_eq!(
            repairs,
            [
                ("items".into(), Variance::EmptyList),
                ("paid".into(), Variance::ZeroDate)
            ]
        );
    }

    #[test]
    fn what_cannot_be_repaired_is_left_for_the_decoder_to_report() {
        let original = json!({"id": "1", "count": "three", "paid": "soon", "active": 7});
        let (v, repairs) = repaired(original.clone());
        assert_eq!(v, original);
        assert!(repairs.is_empty());
        // A day-first date is the same date.
        let (v, _) = repaired(json!({"id": "1", "paid": "20/10/2019"}));
        assert_eq!(v["paid"], "2019-10-20");
    }
}
