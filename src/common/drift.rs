//! Drift detection: what a provider sends that its spec does not describe.
//!
//! The generated read models keep only the fields their spec knows, so a field the provider
//! added is dropped without a trace and a changed type shows up only as a decode failure. Every
//! client therefore compares a sample of the success answers it reads with its spec's
//! `schemas` table (the one `build.rs` emits beside the generated code, see
//! [`crate::common::shapes`]) and records:
//!
//! * **unknown fields**: a key of an object whose schema has no such property;
//! * **unknown enum values**: a value of an enum outside its known values (for an open enum,
//!   those of its `<X>Known` component);
//! * **repairs**: values the reads had to repair ([`Variance`]), on every answer;
//! * **rejected records**: records left out of a page, or answers that did not decode, on every
//!   answer.
//!
//! A finding carries the provider, the operation, the JSON path with array indices normalised
//! (`result[].Order.sub_status`), the JSON type and the *shape* of a value
//! (`string(len 1-16)`, `number(integer)`, `object{keys: 3}`), never the value itself: values
//! may be personal data or secrets. The one exception is an unknown enum value, which is the
//! vocabulary a spec editor has to add; it is kept only when it looks like a code word (letters,
//! digits, `_`, `-`, `.` and spaces, at most 40 characters, at most 3 digits, not a mixed-case
//! run that looks like a token), and otherwise replaced by its shape. An object key that does
//! not look like a property name (`{"52998224725": {...}}`) is recorded as `{key}`.
//!
//! **Sampling.** By default the first success answer of each operation a client (and its
//! clones) reads is compared, then one in [`DEFAULT_SAMPLING`]; set it with the builder's
//! `drift_sampling(n)` (`1`: every answer, `0`: off). Deciding costs one atomic increment on the
//! operation's counter (no allocation, no parsing); a sampled answer is parsed once more into a
//! `serde_json::Value` and walked along the shapes. Each new finding is logged once at `INFO`
//! (target `brcommerce::common::drift`); `client.drift()` returns them with their counts, and
//! [`DriftReport::write_ndjson`] writes them for `scripts/spec-drift`, which turns them into a
//! report per spec and a suggested patch (README, "Tracking an API change"). A client keeps at
//! most [`MAX_FINDINGS`] distinct findings; what does not fit is counted, not kept.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use serde_json::Value;

use crate::common::error::Provider;
use crate::common::lock;
use crate::common::ops::Operation;
use crate::common::shapes::{Kind, Repair, Shape, Variance};

/// By default, after the first answer of each operation, one answer in this many is compared
/// with the spec.
pub const DEFAULT_SAMPLING: u32 = 1000;

/// The most distinct findings a client keeps.
pub const MAX_FINDINGS: usize = 512;

/// What differs from the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DriftKind {
    /// A key the object's schema has no property for.
    UnknownField,
    /// An enum value outside the known ones.
    UnknownEnumValue,
    /// A value the reads repaired (sent in a form the spec describes otherwise).
    Repaired(Variance),
    /// A record left out of its page, or an answer that did not decode, even once repaired.
    Rejected,
}

impl DriftKind {
    /// The NDJSON spelling: `unknown_field`, `unknown_enum_value`, `repaired`, `rejected`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DriftKind::UnknownField => "unknown_field",
            DriftKind::UnknownEnumValue => "unknown_enum_value",
            DriftKind::Repaired(_) => "repaired",
            DriftKind::Rejected => "rejected",
        }
    }
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriftKind::Repaired(class) => write!(f, "repaired ({class})"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// The type of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonType {
    /// The JSON name (`string`, `number`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Boolean => "boolean",
            JsonType::Number => "number",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between an answer and the spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Difference {
    /// What differs.
    pub kind: DriftKind,
    /// JSON path, array indices normalised (`result[].Order.sub_status`).
    pub path: String,
    /// The schema the path ends in (the object lacking the field, the owner of the enum
    /// property), when known.
    pub schema: Option<&'static str>,
    /// The property (the unknown key, or the enum property), when there is one.
    pub field: Option<String>,
    /// The JSON type of the value, when known.
    pub json_type: Option<JsonType>,
    /// The shape of the value (`string(len 1-16)`, `number(integer)`, `object{keys: 3}`), or
    /// for a repair the class of variance; never the value.
    pub shape: String,
    /// An unknown enum value that looks like a code word (see the module docs); `None`
    /// otherwise.
    pub value: Option<String>,
    /// Why a record was rejected (the decoder's message, values taken out).
    pub reason: Option<String>,
}

/// A difference seen by a client, with how often.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The provider.
    pub provider: Provider,
    /// The operation (the spec's `operationId`).
    pub operation: &'static str,
    /// What differs, where (the first shape seen for it).
    pub difference: Difference,
    /// How many values showed it (a page of 100 orders with the field counts 100).
    pub count: u64,
    /// In how many answers.
    pub answers: u64,
    /// When it was first seen.
    pub first_seen: SystemTime,
}

impl Finding {
    /// The finding as one NDJSON object (what `scripts/spec-drift` reads).
    pub fn to_json(&self, answers_checked: u64) -> Value {
        let d = &self.difference;
        let mut line = serde_json::json!({
            "provider": self.provider.id(),
            "operation": self.operation,
            "kind": d.kind.as_str(),
            "path": d.path,
            "shape": d.shape,
            "count": self.count,
            "answers": self.answers,
            "answers_checked": answers_checked,
            "first_seen": chrono::DateTime::<chrono::Utc>::from(self.first_seen)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        let put = |line: &mut Value, key: &str, v: Option<String>| {
            if let Some(v) = v {
                line[key] = Value::String(v);
            }
        };
        put(&mut line, "schema", d.schema.map(str::to_owned));
        put(&mut line, "field", d.field.clone());
        put(
            &mut line,
            "json_type",
            d.json_type.map(|t| t.as_str().to_owned()),
        );
        put(&mut line, "value", d.value.clone());
        put(&mut line, "reason", d.reason.clone());
        if let DriftKind::Repaired(class) = d.kind {
            put(&mut line, "variance", Some(class.to_string()));
        }
        line
    }
}

/// The findings of a client so far (`client.drift()`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriftReport {
    /// The provider.
    pub provider: Provider,
    /// The findings, in the order they were first seen.
    pub findings: Vec<Finding>,
    /// Answers compared with the spec, per operation.
    pub checked: Vec<(&'static str, u64)>,
    /// Findings not kept because the client already holds [`MAX_FINDINGS`].
    pub dropped: u64,
}

impl DriftReport {
    /// True when nothing differs from the spec.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// Answers of `operation` compared with the spec.
    pub fn checked(&self, operation: &str) -> u64 {
        self.checked
            .iter()
            .find(|(op, _)| *op == operation)
            .map_or(0, |(_, n)| *n)
    }

    /// Writes the findings as NDJSON, one object per line (the input of `scripts/spec-drift`).
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_ndjson(&self, mut out: impl io::Write) -> io::Result<()> {
        for f in &self.findings {
            let line = f.to_json(self.checked(f.operation));
            writeln!(out, "{line}")?;
        }
        out.flush()
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing one answer

/// Finds a schema of one provider by name (the generated `schemas::find`).
pub type Shapes = fn(&str) -> Option<&'static Shape>;

/// Compares an answer whose body is the schema `schema` with the spec's shapes (a generated
/// `<provider>::raw::schemas::find`): the unknown fields and unknown enum values in it, in
/// document order, one per occurrence. A schema the table lacks gives nothing.
pub fn compare(answer: &Value, schema: &str, shapes: Shapes) -> Vec<Difference> {
    let mut out = Vec::new();
    let Some(shape) = shapes(schema) else {
        return out;
    };
    let kind = if shape.object {
        Kind::Object(shape.name)
    } else {
        shape.items
    };
    let at = At {
        owner: Some(shape.name),
        field: None,
    };
    walk(answer, &kind, shapes, at, &mut String::new(), &mut out);
    out
}

/// Where a value sits: the schema that declares it and its property.
#[derive(Clone, Copy)]
struct At<'a> {
    owner: Option<&'static str>,
    field: Option<&'a str>,
}

fn walk(
    value: &Value,
    kind: &Kind,
    shapes: Shapes,
    at: At<'_>,
    path: &mut String,
    out: &mut Vec<Difference>,
) {
    match (kind, value) {
        (Kind::Object(name), Value::Object(map)) => {
            let Some(shape) = shapes(name) else { return };
            if !shape.object {
                return walk(value, &shape.items, shapes, at, path, out);
            }
            for (key, v) in map {
                let len = path.len();
                match shape.field(key) {
                    Some(field) => {
                        push_segment(path, key);
                        let at = At {
                            owner: Some(shape.name),
                            field: Some(field.name),
                        };
                        walk(v, &field.kind, shapes, at, path, out);
                    }
                    None => {
                        let key = if name_like(key) {
                            key.as_str()
                        } else {
                            "{key}"
                        };
                        push_segment(path, key);
                        let (json_type, shape_text) = describe(v);
                        out.push(Difference {
                            kind: DriftKind::UnknownField,
                            path: path.clone(),
                            schema: Some(shape.name),
                            field: Some(key.to_owned()),
                            json_type: Some(json_type),
                            shape: shape_text,
                            value: None,
                            reason: None,
                        });
                    }
                }
                path.truncate(len);
            }
        }
        (Kind::Array(inner), Value::Array(items)) => {
            let len = path.len();
            path.push_str("[]");
            for item in items {
                walk(item, inner, shapes, at, path, out);
            }
            path.truncate(len);
        }
        (Kind::Enum { values, .. }, Value::String(s))
            if !values.is_empty() && !values.contains(&s.as_str()) =>
        {
            out.push(Difference {
                kind: DriftKind::UnknownEnumValue,
                path: path.clone(),
                schema: at.owner,
                field: at.field.map(str::to_owned),
                json_type: Some(JsonType::String),
                shape: text_shape(s),
                value: code_word(s).then(|| s.clone()),
                reason: None,
            });
        }
        _ => {}
    }
}

fn push_segment(path: &mut String, segment: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(segment);
}

/// A key that reads as a property name, not as data (an id, a CPF, an e-mail used as a key).
fn name_like(key: &str) -> bool {
    let mut chars = key.chars();
    let starts = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    starts
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && key.chars().filter(char::is_ascii_digit).count() <= 4
}

/// An enum value that reads as a code word (`awaiting_pickup`, `EM SEPARAÇÃO`), not as data.
fn code_word(s: &str) -> bool {
    let n = s.chars().count();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let separated = s.contains(['_', '-', ' ', '.']);
    let mixed_case = s.chars().any(char::is_uppercase) && s.chars().any(char::is_lowercase);
    (1..=40).contains(&n)
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
        && s.chars().any(char::is_alphabetic)
        && digits <= 3
        && !(n > 12 && !separated && mixed_case)
}

/// The JSON type and shape of a value (never the value).
pub(crate) fn describe(v: &Value) -> (JsonType, String) {
    match v {
        Value::Null => (JsonType::Null, "null".to_owned()),
        Value::Bool(_) => (JsonType::Boolean, "boolean".to_owned()),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            (JsonType::Number, "number(integer)".to_owned())
        }
        Value::Number(_) => (JsonType::Number, "number(decimal)".to_owned()),
        Value::String(s) => (JsonType::String, text_shape(s)),
        Value::Array(items) => (
            JsonType::Array,
            match items.first() {
                None => "array(len 0)".to_owned(),
                Some(first) => format!(
                    "array(len {}, of {})",
                    bucket(items.len()),
                    describe(first).1
                ),
            },
        ),
        Value::Object(map) => (JsonType::Object, format!("object{{keys: {}}}", map.len())),
    }
}

/// A length as a range: `0`, `1-16`, `17-64`, `65-256`, `257+`.
fn bucket(n: usize) -> &'static str {
    match n {
        0 => "0",
        1..=16 => "1-16",
        17..=64 => "17-64",
        65..=256 => "65-256",
        _ => "257+",
    }
}

/// `string(len 1-16)`, with the format when the text has a recognisable one.
fn text_shape(s: &str) -> String {
    let len = bucket(s.chars().count());
    match text_format(s) {
        Some(format) => format!("string(len {len}, {format})"),
        None => format!("string(len {len})"),
    }
}

fn text_format(s: &str) -> Option<&'static str> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|p| p.iter().all(u8::is_ascii_digit));
    let iso_date = b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10);
    if iso_date && b.len() == 10 {
        return Some("date");
    }
    if iso_date && b.len() >= 16 && matches!(b[10], b'T' | b' ') && digits(11..13) && b[13] == b':'
    {
        let zoned = b[10] == b'T'
            && (s.ends_with('Z')
                || b[b.len() - 6..].starts_with(b"+")
                || b[b.len() - 6..].starts_with(b"-"));
        return Some(if zoned {
            "date-time"
        } else {
            "local date-time"
        });
    }
    if b.len() >= 10
        && digits(0..2)
        && b[2] == b'/'
        && digits(3..5)
        && b[5] == b'/'
        && digits(6..10)
    {
        return Some("day-first date");
    }
    let t = s.strip_prefix('-').unwrap_or(s);
    if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
        return Some("digits");
    }
    match t.split_once(['.', ',']) {
        Some((i, f))
            if !i.is_empty()
                && !f.is_empty()
                && i.bytes().all(|c| c.is_ascii_digit())
                && f.bytes().all(|c| c.is_ascii_digit()) =>
        {
            Some("decimal text")
        }
        _ => None,
    }
}

/// The value at a path as `serde_path_to_error` writes it (`result[3].Order.total`; `.` is the
/// root), if the answer has one there.
pub(crate) fn value_at<'a>(answer: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = answer;
    if path == "." || path.is_empty() {
        return Some(at);
    }
    for part in path.split('.') {
        let (name, indices) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !name.is_empty() {
            at = at.get(name)?;
        }
        for index in indices.split('[').skip(1) {
            at = at.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(at)
}

/// `pedidos[3].itens[0].sku` as `pedidos[].itens[].sku` (`.`, the root, as nothing).
fn normalise(path: &str) -> String {
    if path == "." {
        return String::new();
    }
    let mut out = String::with_capacity(path.len());
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A client's findings

/// The drift detection of one client and its clones: the sampling counters and the findings.
pub(crate) struct Drift {
    provider: Provider,
    /// One answer in this many is compared after the first of each operation; 0: off.
    one_in: u64,
    shapes: Shapes,
    /// One counter of success answers per operation, sorted by id.
    counters: Box<[(&'static str, AtomicU64)]>,
    store: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    findings: Vec<Finding>,
    index: HashMap<Key, usize>,
    checked: HashMap<&'static str, u64>,
    dropped: u64,
}

/// What tells two findings apart (the shape is an example, not part of it).
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    operation: &'static str,
    kind: DriftKind,
    path: String,
    json_type: Option<JsonType>,
    value: Option<String>,
}

impl Key {
    fn of(operation: &'static str, d: &Difference) -> Self {
        Self {
            operation,
            kind: d.kind,
            path: d.path.clone(),
            json_type: d.json_type,
            value: d.value.clone(),
        }
    }
}

impl fmt::Debug for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drift")
            .field("provider", &self.provider)
            .field("one_in", &self.one_in)
            .finish_non_exhaustive()
    }
}

impl Drift {
    /// Drift detection for a provider's operations and shapes; `one_in` 0 turns it off.
    pub(crate) fn new(
        provider: Provider,
        operations: &'static [Operation],
        shapes: Shapes,
        one_in: u32,
    ) -> Self {
        let mut counters: Vec<(&'static str, AtomicU64)> = if one_in == 0 {
            Vec::new()
        } else {
            operations
                .iter()
                .filter(|op| op.response.is_some())
                .map(|op| (op.id, AtomicU64::new(0)))
                .collect()
        };
        counters.sort_by_key(|(id, _)| *id);
        counters.dedup_by_key(|(id, _)| *id);
        Self {
            provider,
            one_in: u64::from(one_in),
            shapes,
            counters: counters.into_boxed_slice(),
            store: Mutex::default(),
        }
    }

    /// Whether this success answer of `op` is compared with the spec: the first of each
    /// operation, then one in `one_in`. One atomic increment; no allocation.
    #[inline]
    pub(crate) fn sample(&self, op: Option<&'static Operation>) -> Option<&'static Operation> {
        if self.one_in == 0 {
            return None;
        }
        let op = op?;
        let i = self
            .counters
            .binary_search_by(|(id, _)| (*id).cmp(op.id))
            .ok()?;
        let seen = self.counters[i].1.fetch_add(1, Ordering::Relaxed);
        seen.is_multiple_of(self.one_in).then_some(op)
    }

    /// Compares a sampled answer of `op` with the spec and records what differs.
    pub(crate) fn check(&self, op: &'static Operation, body: &[u8]) {
        let Some(schema) = op.response else { return };
        // Not JSON: the decoder reports it.
        let Ok(answer) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        let differences = compare(&answer, schema, self.shapes);
        *lock(&self.store).checked.entry(op.id).or_default() += 1;
        self.record(op.id, differences);
    }

    /// Records the repairs an answer of `op` needed.
    pub(crate) fn repaired(&self, op: Option<&'static Operation>, repairs: &[Repair]) {
        let Some(op) = op.filter(|_| self.one_in != 0 && !repairs.is_empty()) else {
            return;
        };
        let differences = repairs
            .iter()
            .map(|r| {
                let path = normalise(&r.path);
                Difference {
                    kind: DriftKind::Repaired(r.class),
                    field: last_segment(&path),
                    path,
                    schema: None,
                    json_type: None,
                    shape: r.class.to_string(),
                    value: None,
                    reason: None,
                }
            })
            .collect();
        self.record(op.id, differences);
    }

    /// Records a record (or an answer) of `op` that did not decode: `path` is where, `value`
    /// the value there if it could be found, `reason` the decoder's message.
    pub(crate) fn rejected(
        &self,
        op: Option<&'static Operation>,
        path: &str,
        value: Option<&Value>,
        reason: &str,
    ) {
        let Some(op) = op.filter(|_| self.one_in != 0) else {
            return;
        };
        let path = normalise(path);
        let (json_type, shape) = match value.map(describe) {
            Some((t, s)) => (Some(t), s),
            None => (None, String::new()),
        };
        let difference = Difference {
            kind: DriftKind::Rejected,
            field: last_segment(&path),
            path,
            schema: None,
            json_type,
            shape,
            value: None,
            reason: Some(crate::common::secret::without_values(reason)),
        };
        self.record(op.id, vec![difference]);
    }

    /// Merges one answer's differences into the store; logs each new one once.
    fn record(&self, operation: &'static str, differences: Vec<Difference>) {
        if differences.is_empty() {
            return;
        }
        let now = SystemTime::now();
        let mut new = Vec::new();
        let mut dropped_now = false;
        {
            let mut store = lock(&self.store);
            let mut in_this_answer: Vec<usize> = Vec::new();
            for d in differences {
                let key = Key::of(operation, &d);
                let i = match store.index.get(&key) {
                    Some(&i) => i,
                    None if store.findings.len() >= MAX_FINDINGS => {
                        dropped_now |= store.dropped == 0;
                        store.dropped += 1;
                        continue;
                    }
                    None => {
                        let i = store.findings.len();
                        new.push(i);
                        store.findings.push(Finding {
                            provider: self.provider,
                            operation,
                            difference: d,
                            count: 0,
                            answers: 0,
                            first_seen: now,
                        });
                        store.index.insert(key, i);
                        i
                    }
                };
                let finding = &mut store.findings[i];
                finding.count = finding.count.saturating_add(1);
                if !in_this_answer.contains(&i) {
                    in_this_answer.push(i);
                    finding.answers = finding.answers.saturating_add(1);
                }
            }
            for &i in &new {
                log_new(&store.findings[i]);
            }
        }
        if dropped_now {
            tracing::warn!(
                provider = self.provider.id(),
                limit = MAX_FINDINGS,
                "drift detection holds as many findings as it keeps; new ones are counted, not kept"
            );
        }
    }

    /// The findings so far.
    pub(crate) fn report(&self) -> DriftReport {
        let store = lock(&self.store);
        let mut checked: Vec<(&'static str, u64)> =
            store.checked.iter().map(|(op, n)| (*op, *n)).collect();
        checked.sort_unstable();
        DriftReport {
            provider: self.provider,
            findings: store.findings.clone(),
            checked,
            dropped: store.dropped,
        }
    }
}

fn log_new(f: &Finding) {
    let d = &f.difference;
    tracing::info!(
        provider = f.provider.id(),
        operation = f.operation,
        kind = %d.kind,
        path = %d.path,
        json_type = d.json_type.map_or("", JsonType::as_str),
        shape = %d.shape,
        value = d.value.as_deref().unwrap_or(""),
        "the provider's answer differs from its spec (drift)"
    );
}

fn last_segment(path: &str) -> Option<String> {
    path.rsplit('.')
        .next()
        .map(|s| s.trim_end_matches("[]"))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::shapes::Field;
    use serde_json::json;

    static ORDER: Shape = Shape::new(
        "Order",
        true,
        &[
            Field::new("id", Kind::Text, true, false),
            Field::new(
                "status",
                Kind::Enum {
                    open: true,
                    values: &["pending", "approved"],
                },
                false,
                false,
            ),
            Field::new("items", Kind::Array(&Kind::Object("Item")), false, false),
            Field::new("extra", Kind::AnyObject, false, false),
        ],
        Kind::Any,
    );
    static ITEM: Shape = Shape::new(
        "Item",
        true,
        &[Field::new("sku", Kind::Text, true, false)],
        Kind::Any,
    );
    static PAGE: Shape = Shape::new(
        "Page",
        true,
        &[Field::new(
            "result",
            Kind::Array(&Kind::Object("Envelope")),
            true,
            false,
        )],
        Kind::Any,
    );
    static ENVELOPE: Shape = Shape::new(
        "Envelope",
        true,
        &[Field::new("Order", Kind::Object("Order"), true, false)],
        Kind::Any,
    );

    fn shapes(name: &str) -> Option<&'static Shape> {
        match name {
            "Order" => Some(&ORDER),
            "Item" => Some(&ITEM),
            "Page" => Some(&PAGE),
            "Envelope" => Some(&ENVELOPE),
            _ => None,
        }
    }

    fn found(answer: Value, schema: &str) -> Vec<(DriftKind, String, Option<JsonType>, String)> {
        // Sorted: the order of an object's keys depends on serde_json's features.
        let mut found: Vec<_> = compare(&answer, schema, shapes)
            .into_iter()
            .map(|d| (d.kind, d.path, d.json_type, d.shape))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn unknown_fields_and_enum_values_are_found_with_normalised_paths() {
        let page = json!({"result": [
            {"Order": {"id": "1", "status": "approved", "sub_status": "x",
                       "items": [{"sku": "a", "photo_url": "https://e/x.jpg"}]}},
            {"Order": {"id": "2", "status": "awaiting_pickup", "extra": {"anything": 1}}},
        ]});
        assert_eq!(
            found(page, "Page"),
            [
                (
                    DriftKind::UnknownField,
                    "result[].Order.items[].photo_url".to_owned(),
                    Some(JsonType::String),
                    "string(len 1-16)".to_owned()
                ),
                (
                    DriftKind::UnknownField,
                    "result[].Order.sub_status".to_owned(),
                    Some(JsonType::String),
                    "string(len 1-16)".to_owned()
                ),
                (
                    DriftKind::UnknownEnumValue,
                    "result[].Order.status".to_owned(),
                    Some(JsonType::String),
                    "string(len 1-16)".to_owned()
                ),
            ]
        );
        let d = compare(
            &json!({"id": "1", "status": "awaiting_pickup"}),
            "Order",
            shapes,
        );
        assert_eq!(d[0].value.as_deref(), Some("awaiting_pickup"));
        assert_eq!(
            (d[0].schema, d[0].field.as_deref()),
            (Some("Order"), Some("status"))
        );
        assert!(found(json!({"id": "1", "status": "pending"}), "Order").is_empty());
    }

    #[test]
    fn shapes_describe_values_without_their_content() {
        let shape = |v: Value| describe(&v).1;
        assert_eq!(shape(json!("")), "string(len 0)");
        assert_eq!(shape(json!("529.982.247-25")), "string(len 1-16)");
        assert_eq!(shape(json!("52998224725")), "string(len 1-16, digits)");
        assert_eq!(shape(json!("2024-07-15")), "string(len 1-16, date)");
        assert_eq!(
            shape(json!("2024-07-15T18:07:07Z")),
            "string(len 17-64, date-time)"
        );
        assert_eq!(
            shape(json!("2016-11-01 10:31:22")),
            "string(len 17-64, local date-time)"
        );
        assert_eq!(
            shape(json!("15/07/2024")),
            "string(len 1-16, day-first date)"
        );
        assert_eq!(shape(json!("12,50")), "string(len 1-16, decimal text)");
        assert_eq!(shape(json!(3)), "number(integer)");
        assert_eq!(shape(json!(3.5)), "number(decimal)");
        assert_eq!(shape(json!({"a": 1, "b": 2})), "object{keys: 2}");
        assert_eq!(
            shape(json!([{"id": 1}])),
            "array(len 1-16, of object{keys: 1})"
        );
        assert_eq!(shape(json!([])), "array(len 0)");
    }

    #[test]
    fn data_is_kept_out_of_keys_and_enum_values() {
        // A key that is data, and enum values that are data, are not recorded as such.
        let d = compare(
            &json!({"id": "1", "52998224725": {"x": 1}}),
            "Order",
            shapes,
        );
        assert_eq!(d[0].path, "{key}");
        for data in [
            "ana@example.com",
            "529.982.247-25",
            "eyJhbGciOiJIUzI1NiJ9abcDEF",
            "+55 11 98765-4321",
        ] {
            let d = compare(&json!({"id": "1", "status": data}), "Order", shapes);
            assert_eq!(d[0].value, None, "{data}");
        }
        for word in [
            "awaiting_pickup",
            "EM SEPARAÇÃO",
            "Pedido Enviado",
            "step-2",
        ] {
            assert!(code_word(word), "{word}");
        }
    }

    fn op(id: &'static str) -> &'static Operation {
        Box::leak(Box::new(Operation {
            id,
            method: "GET",
            path: "/x",
            retry: crate::common::ops::Retry::Safe,
            success: &[200],
            response: Some("Order"),
        }))
    }

    #[test]
    fn sampling_takes_the_first_answer_of_each_operation_then_one_in_n() {
        let ops: &'static [Operation] = Box::leak(vec![*op("a"), *op("b")].into_boxed_slice());
        let drift = Drift::new(Provider::Pluggto, ops, shapes, 3);
        let a = Some(&ops[0]);
        let b = Some(&ops[1]);
        let picks: Vec<bool> = (0..7).map(|_| drift.sample(a).is_some()).collect();
        assert_eq!(picks, [true, false, false, true, false, false, true]);
        assert!(
            drift.sample(b).is_some(),
            "the first answer of another operation"
        );
        assert!(drift.sample(Some(op("unknown"))).is_none());
        let off = Drift::new(Provider::Pluggto, ops, shapes, 0);
        assert!(off.sample(a).is_none());
        let every = Drift::new(Provider::Pluggto, ops, shapes, 1);
        assert!((0..5).all(|_| every.sample(a).is_some()));
    }

    #[test]
    fn findings_are_counted_once_per_key_and_bounded() {
        let ops: &'static [Operation] = Box::leak(vec![*op("get")].into_boxed_slice());
        let drift = Drift::new(Provider::Pluggto, ops, shapes, 1);
        let body = br#"{"id": "1", "status": "new", "items": [{"sku": "a", "n": 1}, {"sku": "b", "n": 2}]}"#;
        drift.check(&ops[0], body);
        drift.check(&ops[0], body);
        let report = drift.report();
        let mut counts: Vec<(&str, u64, u64)> = report
            .findings
            .iter()
            .map(|f| (f.difference.path.as_str(), f.count, f.answers))
            .collect();
        counts.sort();
        assert_eq!(counts, [("items[].n", 4, 2), ("status", 2, 2)]);
        assert_eq!(report.checked("get"), 2);
        for i in 0..MAX_FINDINGS + 10 {
            drift.check(&ops[0], format!(r#"{{"id": "1", "f{i}": 1}}"#).as_bytes());
        }
        let report = drift.report();
        assert_eq!(report.findings.len(), MAX_FINDINGS);
        assert_eq!(report.dropped, 12);
    }

    #[test]
    fn repairs_and_rejections_are_findings_with_normalised_paths() {
        let ops: &'static [Operation] = Box::leak(vec![*op("list")].into_boxed_slice());
        let drift = Drift::new(Provider::Ecomdc, ops, shapes, 1000);
        drift.repaired(
            Some(&ops[0]),
            &[Repair {
                path: "produtos[3].preco".into(),
                class: Variance::TextAsNumber,
            }],
        );
        drift.rejected(
            Some(&ops[0]),
            "produtos[7].estoque",
            Some(&json!("muitos")),
            "invalid type: string \"muitos\", expected i64",
        );
        let report = drift.report();
        let d: Vec<&Difference> = report.findings.iter().map(|f| &f.difference).collect();
        assert_eq!(d[0].kind, DriftKind::Repaired(Variance::TextAsNumber));
        assert_eq!(d[0].path, "produtos[].preco");
        assert_eq!(d[1].kind, DriftKind::Rejected);
        assert_eq!(d[1].path, "produtos[].estoque");
        assert_eq!(d[1].field.as_deref(), Some("estoque"));
        let mut out = Vec::new();
        report.write_ndjson(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("muitos"), "{text}");
        assert_eq!(text.lines().count(), 2);
    }
}
