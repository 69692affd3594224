//! Lenient wire types for provider payloads.
//!
//! Brazilian commerce APIs send numbers as strings (`"720.00"`, `"2,00"`), `""` or `null` for
//! "no value", `0000-00-00 00:00:00` for a date that did not happen, ids that are numbers in one
//! place and strings in another, and dates in several formats. The specs declare small documented
//! components for these (`LooseDecimal`, `LooseInt`, ...) and `build.rs` replaces them with the
//! types of this module, so generated models decode real payloads without `serde_json::Value`.
//!
//! The `Loose*` types are option-like: they hold `Option<T>`, decode a blank, `null` or missing
//! key to `None`, and dereference to `Option<T>`. Input that is present but not understood is a
//! decode error naming what was expected, never a silent `None`.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A value that may be blank on the wire; see the module docs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Loose<T>(Option<T>);

impl<T> Loose<T> {
    /// A present value.
    pub const fn new(value: T) -> Self {
        Self(Some(value))
    }
    /// No value (blank on the wire).
    pub const fn none() -> Self {
        Self(None)
    }
    /// The value, if one was sent.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
    /// Consumes the wrapper.
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T: Copy> Loose<T> {
    /// The value, if one was sent (for `Copy` values).
    pub fn value(&self) -> Option<T> {
        self.0
    }
}

impl<T> Deref for Loose<T> {
    type Target = Option<T>;
    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> From<T> for Loose<T> {
    fn from(value: T) -> Self {
        Self(Some(value))
    }
}

impl<T> From<Option<T>> for Loose<T> {
    fn from(value: Option<T>) -> Self {
        Self(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for Loose<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(v) => v.fmt(f),
            None => f.write_str("None"),
        }
    }
}

/// Displays the canonical text of the value, or nothing when blank.
impl<T: LooseValue> fmt::Display for Loose<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(v) => v.fmt_text(f),
            None => Ok(()),
        }
    }
}

impl<T: LooseValue> FromStr for Loose<T> {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_text::<T>(s).map(Self)
    }
}

fn parse_text<T: LooseValue>(s: &str) -> Result<Option<T>, ParseError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    T::from_text(t).map_err(|why| ParseError::new(T::EXPECTING, s, why))
}

/// Why a text is not a value of one of this module's types: the `FromStr` error of [`Loose`],
/// [`DecimalNumber`], [`LooseId`] and [`NfKey`] (and of [`Money`](crate::common::money::Money)).
///
/// It says what was expected and what was found: `expected a decimal number (as a number or a
/// numeric string), found "abc"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    expected: &'static str,
    found: String,
    detail: String,
}

impl ParseError {
    /// `detail` is appended to the message as it is (` (out of range)`), or is empty.
    pub(crate) fn new(expected: &'static str, found: &str, detail: impl Into<String>) -> Self {
        Self {
            expected,
            found: found.to_owned(),
            detail: detail.into(),
        }
    }
    /// What the text should look like (`an integer (as a number or a numeric string)`).
    pub fn expected(&self) -> &'static str {
        self.expected
    }
    /// The text that was found.
    pub fn found(&self) -> &str {
        &self.found
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, found ", self.expected)?;
        if self.found.trim().is_empty() {
            f.write_str("a blank value")?;
        } else {
            write!(f, "{:?}", self.found)?;
        }
        f.write_str(&self.detail)
    }
}

impl std::error::Error for ParseError {}

/// How one kind of lenient value is read from the forms providers send.
pub trait LooseValue: Sized {
    /// What the value should look like, for error messages.
    const EXPECTING: &'static str;
    /// A short name for schemas (`Decimal`, `Int`, ...).
    const NAME: &'static str;
    /// Parses trimmed, non-empty text. `Ok(None)` means a sentinel for "no value" (such as a zero
    /// date); an `Err` carries an optional detail that is appended to the message.
    fn from_text(s: &str) -> Result<Option<Self>, String>;
    /// Reads a JSON integer.
    fn from_i128(v: i128) -> Result<Self, String> {
        Self::from_text(&v.to_string())?.ok_or_default()
    }
    /// Reads a JSON floating-point number.
    fn from_f64(v: f64) -> Result<Self, String> {
        let _ = v;
        Err(String::new())
    }
    /// Reads a JSON boolean.
    fn from_bool(v: bool) -> Result<Self, String> {
        let _ = v;
        Err(String::new())
    }
    /// Reads a PHP `DateTime` object (`{date, timezone_type, timezone}`).
    fn from_php_date(v: PhpDate) -> Result<Option<Self>, String> {
        let _ = v;
        Err(String::new())
    }
    /// Writes the canonical text form.
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// Serializes the canonical wire form; text unless overridden.
    fn serialize_value<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&TextOf(self))
    }
}

trait OkOrDefault<T> {
    fn ok_or_default(self) -> Result<T, String>;
}
impl<T> OkOrDefault<T> for Option<T> {
    fn ok_or_default(self) -> Result<T, String> {
        self.ok_or_else(String::new)
    }
}

struct TextOf<'a, T>(&'a T);
impl<T: LooseValue> fmt::Display for TextOf<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_text(f)
    }
}

impl<T: LooseValue> Serialize for Loose<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(v) => v.serialize_value(s),
            None => s.serialize_none(),
        }
    }
}

impl<'de, T: LooseValue> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `deserialize_option` also makes a missing key decode to `None` (serde asks missing
        // fields for an option), so read models tolerate absent keys.
        d.deserialize_option(LooseVisitor::<T>(std::marker::PhantomData))
    }
}

struct LooseVisitor<T>(std::marker::PhantomData<T>);

impl<T> LooseVisitor<T> {
    fn fail<E: de::Error>(found: fmt::Arguments<'_>, why: String) -> E
    where
        T: LooseValue,
    {
        E::custom(format_args!(
            "expected {}, found {found}{why}",
            T::EXPECTING
        ))
    }
}

impl<'de, T: LooseValue> Visitor<'de> for LooseVisitor<T> {
    type Value = Loose<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Loose(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(Loose(None));
        }
        T::from_text(t)
            .map(Loose)
            .map_err(|why| Self::fail(format_args!("{v:?}"), why))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::from_i128(v.into())
            .map(Loose::new)
            .map_err(|why| Self::fail(format_args!("{v}"), why))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::from_i128(v.into())
            .map(Loose::new)
            .map_err(|why| Self::fail(format_args!("{v}"), why))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        T::from_f64(v)
            .map(Loose::new)
            .map_err(|why| Self::fail(format_args!("{v}"), why))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        T::from_bool(v)
            .map(Loose::new)
            .map_err(|why| Self::fail(format_args!("{v}"), why))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let php = PhpDate::deserialize(de::value::MapAccessDeserializer::new(map))
            .map_err(|_| Self::fail(format_args!("an object"), String::new()))?;
        let shown = format!("{php:?}");
        T::from_php_date(php)
            .map(Loose)
            .map_err(|why| Self::fail(format_args!("{shown}"), why))
    }
}

/// PHP's JSON form of a `DateTime` (`{"date": "2020-04-01 22:49:40.770027", "timezone_type": 3,
/// "timezone": "America/Sao_Paulo"}`), as sent by Laravel APIs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PhpDate {
    /// Local date and time, `YYYY-MM-DD HH:MM:SS.ffffff`.
    pub date: String,
    /// 1 = UTC offset, 2 = abbreviation, 3 = zone identifier.
    pub timezone_type: u8,
    /// The zone in the form `timezone_type` says.
    pub timezone: String,
}

// ---------------------------------------------------------------------------------------------
// Decimals

/// A decimal that may arrive as a JSON number or a numeric string, or be blank.
pub type LooseDecimal = Loose<Decimal>;

impl LooseValue for Decimal {
    const NAME: &'static str = "Decimal";
    const EXPECTING: &'static str = "a decimal number (as a number or a numeric string)";
    fn from_text(s: &str) -> Result<Option<Self>, String> {
        parse_decimal(s).map(Some)
    }
    fn from_i128(v: i128) -> Result<Self, String> {
        Decimal::try_from_i128_with_scale(v, 0).map_err(|_| String::from(" (out of range)"))
    }
    fn from_f64(v: f64) -> Result<Self, String> {
        decimal_from_f64(v)
    }
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Parses the decimal forms providers send: `720.00`, `-3`, `2,00`, `1.234,56`, `1,234.56`,
/// optionally prefixed by `R$`.
///
/// A single `.` without a `,` is a decimal point, as APIs write it (AppClubMais sends `"2.000"`
/// for two units), so `1.000` is one, not a thousand; several dots are thousands separators.
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let t = t.strip_prefix("R$").map(str::trim_start).unwrap_or(t);
    let last_dot = t.rfind('.');
    let last_comma = t.rfind(',');
    let normalized: std::borrow::Cow<'_, str> = match (last_dot, last_comma) {
        (None, None) => t.into(),
        // Only dots: one dot is the decimal point; several are thousands separators.
        (Some(_), None) if t.matches('.').count() == 1 => t.into(),
        (Some(_), None) => t.replace('.', "").into(),
        // Only commas: one comma is the decimal separator (Brazilian style).
        (None, Some(_)) if t.matches(',').count() == 1 => t.replace(',', ".").into(),
        (None, Some(_)) => return Err(" (ambiguous separators)".into()),
        // Both: the last one is the decimal separator.
        (Some(d), Some(c)) if c > d => t.replace('.', "").replace(',', ".").into(),
        (Some(_), Some(_)) => t.replace(',', "").into(),
    };
    let n = normalized.as_ref();
    let valid = !n.is_empty()
        && n.strip_prefix('-')
            .unwrap_or(n)
            .bytes()
            .any(|b| b.is_ascii_digit())
        && n.strip_prefix('-')
            .unwrap_or(n)
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.');
    if !valid {
        return Err(String::new());
    }
    Decimal::from_str_exact(n).map_err(|e| format!(" ({e})"))
}

/// Converts a JSON float to the decimal it was written as (shortest round-trip digits), so
/// `720.2` becomes `720.2` and not `720.2000000000000454…`.
fn decimal_from_f64(v: f64) -> Result<Decimal, String> {
    if !v.is_finite() {
        return Err(String::new());
    }
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(v);
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).map_err(|e| format!(" ({e})"))
    } else {
        Decimal::from_str_exact(text).map_err(|e| format!(" ({e})"))
    }
}

/// Serializes a decimal as a JSON floating-point number (`720.0`, `0.99`): PHP backends check
/// money fields for floats. A value a JSON number cannot hold exactly (more than ~15 significant
/// digits) is an error, never a silent rounding.
fn serialize_decimal_number<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    use rust_decimal::prelude::ToPrimitive;
    let exact = d
        .to_f64()
        .filter(|f| decimal_from_f64(*f).is_ok_and(|back| back.normalize() == d.normalize()));
    match exact {
        Some(f) => s.serialize_f64(f),
        None => Err(serde::ser::Error::custom(format_args!(
            "decimal {d} has more digits than a JSON number keeps"
        ))),
    }
}

/// A decimal sent as a JSON number (write models), read leniently from a number or a numeric
/// string. Never blank.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DecimalNumber(pub Decimal);

impl DecimalNumber {
    /// The decimal value.
    pub const fn get(self) -> Decimal {
        self.0
    }
}

impl Deref for DecimalNumber {
    type Target = Decimal;
    fn deref(&self) -> &Decimal {
        &self.0
    }
}

impl From<Decimal> for DecimalNumber {
    fn from(d: Decimal) -> Self {
        Self(d)
    }
}

impl From<i64> for DecimalNumber {
    fn from(v: i64) -> Self {
        Self(Decimal::from(v))
    }
}

impl From<DecimalNumber> for Decimal {
    fn from(d: DecimalNumber) -> Self {
        d.0
    }
}

impl fmt::Debug for DecimalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for DecimalNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for DecimalNumber {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_decimal(s)
            .map(Self)
            .map_err(|why| ParseError::new("a decimal number", s, why))
    }
}

impl Serialize for DecimalNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_decimal_number(&self.0, s)
    }
}

impl<'de> Deserialize<'de> for DecimalNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Loose::<Decimal>::deserialize(d)?.into_inner() {
            Some(v) => Ok(Self(v)),
            None => Err(de::Error::custom(
                "expected a decimal number, found a blank value",
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Integers, text, booleans, ids

/// An integer that may arrive as a JSON number or a string, or be blank.
pub type LooseInt = Loose<i64>;

impl LooseValue for i64 {
    const NAME: &'static str = "Int";
    const EXPECTING: &'static str = "an integer (as a number or a numeric string)";
    fn from_text(s: &str) -> Result<Option<Self>, String> {
        if let Ok(v) = s.parse::<i64>() {
            return Ok(Some(v));
        }
        // "3.00" is an integer written as a decimal; "1.5" is not an integer.
        let d = parse_decimal(s)?;
        integral(d).map(Some)
    }
    fn from_i128(v: i128) -> Result<Self, String> {
        i64::try_from(v).map_err(|_| " (out of range)".into())
    }
    fn from_f64(v: f64) -> Result<Self, String> {
        integral(decimal_from_f64(v)?)
    }
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
    fn serialize_value<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(*self)
    }
}

fn integral(d: Decimal) -> Result<i64, String> {
    use rust_decimal::prelude::ToPrimitive;
    if d.fract().is_zero() {
        d.to_i64().ok_or_else(|| " (out of range)".into())
    } else {
        Err(" (has a fractional part)".into())
    }
}

/// Text that may arrive as a string or a JSON number (CEP, house number, phone), or be blank.
pub type LooseText = Loose<String>;

impl LooseValue for String {
    const NAME: &'static str = "Text";
    const EXPECTING: &'static str = "text";
    fn from_text(s: &str) -> Result<Option<Self>, String> {
        Ok(Some(s.to_owned()))
    }
    fn from_i128(v: i128) -> Result<Self, String> {
        Ok(v.to_string())
    }
    fn from_f64(v: f64) -> Result<Self, String> {
        Ok(ryu::Buffer::new()
            .format(v)
            .trim_end_matches(".0")
            .to_owned())
    }
    fn from_bool(v: bool) -> Result<Self, String> {
        Ok(v.to_string())
    }
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
    fn serialize_value<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

/// A boolean sent as `true`/`false`, `1`/`0`, `"1"`/`"0"`, `"S"`/`"N"`, or blank.
pub type LooseBool = Loose<bool>;

impl LooseValue for bool {
    const NAME: &'static str = "Bool";
    const EXPECTING: &'static str = "a boolean (true/false, 1/0)";
    fn from_text(s: &str) -> Result<Option<Self>, String> {
        match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "t" | "s" | "sim" | "y" | "yes" => Ok(Some(true)),
            "0" | "false" | "f" | "n" | "nao" | "não" | "no" => Ok(Some(false)),
            _ => Err(String::new()),
        }
    }
    fn from_i128(v: i128) -> Result<Self, String> {
        match v {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(String::new()),
        }
    }
    fn from_bool(v: bool) -> Result<Self, String> {
        Ok(v)
    }
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
    fn serialize_value<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*self)
    }
}

/// An identifier that is a JSON number in some payloads and a string in others. Kept as text;
/// never blank.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct LooseId(pub String);

impl LooseId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for LooseId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LooseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for LooseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for LooseId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        if t.is_empty() {
            Err(ParseError::new("an id", s, ""))
        } else {
            Ok(Self(t.to_owned()))
        }
    }
}

impl<T: Into<String>> From<T> for LooseId {
    fn from(s: T) -> Self {
        Self(s.into())
    }
}

impl Serialize for LooseId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for LooseId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LooseId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id (a string or an integer)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseId, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LooseId, E> {
                Ok(LooseId(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LooseId, E> {
                Ok(LooseId(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A 7-digit IBGE city code; `"N/I"` (not identified) and blanks are `None`.
pub type IbgeCode = Loose<Ibge>;

/// A 7-digit IBGE city code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ibge(String);

impl Ibge {
    /// The code's digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl LooseValue for Ibge {
    const NAME: &'static str = "IbgeCode";
    const EXPECTING: &'static str = "a 7-digit IBGE code or \"N/I\"";
    fn from_text(s: &str) -> Result<Option<Self>, String> {
        if s.eq_ignore_ascii_case("N/I") {
            Ok(None)
        } else if s.len() == 7 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Some(Self(s.to_owned())))
        } else {
            Err(String::new())
        }
    }
    fn from_i128(v: i128) -> Result<Self, String> {
        Self::from_text(&v.to_string())?.ok_or_default()
    }
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// NF-e key

/// An NF-e access key, or blank (no invoice).
///
/// A key has 44 characters: the state code (2), year and month (4), the issuer's CNPJ (14), the
/// model (2), series (3), number (9), emission type (1), a random code (8) and a check digit (1).
/// An issuer with an alphanumeric CNPJ (issued since July 2026) has capital letters in positions
/// 7–18; every other position is a digit.
///
/// Reading is lenient: any text of digits and letters decodes (letters are upper-cased), whatever
/// its length and check digit, so a provider's odd key never fails the record; [`NfKey::check`]
/// says whether it is a well-formed key. Some payloads send the key as a bare 44-digit JSON
/// number, which would lose digits as a float; this type reads the number's exact text instead.
/// A blank string or `null` is no key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NfKey(Option<String>);

/// The length of an NF-e key.
const NF_KEY_LEN: usize = 44;
/// Where the issuer's CNPJ stands in a key (positions 7–20, counted from 1).
const NF_KEY_ISSUER: std::ops::Range<usize> = 6..20;
/// The positions (from 0) that may hold letters: the alphanumeric part of the issuer's CNPJ.
const NF_KEY_LETTERS: std::ops::Range<usize> = 6..18;

impl NfKey {
    /// The key's text (digits and upper-case letters), if present.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// The issuer's CNPJ (positions 7–20) as written in a 44-character key; validate it with
    /// [`TaxId::parse`](crate::common::taxid::TaxId::parse) if you need to. `None` when there is
    /// no key or it does not have 44 characters.
    pub fn issuer_cnpj(&self) -> Option<&str> {
        self.get()
            .filter(|k| k.len() == NF_KEY_LEN)
            .and_then(|k| k.get(NF_KEY_ISSUER))
    }

    /// Checks that the key is well formed: 44 characters, digits everywhere but in the first 12
    /// of the issuer's CNPJ (positions 7–18, digits or capital letters), and the last digit the
    /// check digit of the others. Returns the key's text.
    ///
    /// The check digit is the NF-e's modulo 11: each of the first 43 characters, valued as its
    /// ASCII code minus 48 (the digits' own value; `A` = 17 … `Z` = 42, as in the alphanumeric
    /// CNPJ), is weighted 2, 3, …, 9, 2, 3, … from the right; a remainder of 0 or 1 gives 0, any
    /// other `r` gives `11 − r`.
    ///
    /// # Errors
    /// [`NfKeyError`] saying what is wrong.
    pub fn check(&self) -> Result<&str, NfKeyError> {
        let key = self.get().ok_or(NfKeyError::Missing)?;
        if key.len() != NF_KEY_LEN {
            // The text is ASCII (digits and letters): bytes are characters.
            return Err(NfKeyError::Length(key.len()));
        }
        for (i, c) in key.chars().enumerate() {
            let allowed =
                c.is_ascii_digit() || (NF_KEY_LETTERS.contains(&i) && c.is_ascii_uppercase());
            if !allowed {
                return Err(NfKeyError::Character {
                    position: i + 1,
                    found: c,
                });
            }
        }
        let (body, last) = key.split_at(NF_KEY_LEN - 1);
        let expected = nf_key_check_digit(body);
        match last.chars().next() {
            Some(found) if found == expected => Ok(key),
            found => Err(NfKeyError::CheckDigit {
                expected,
                found: found.unwrap_or_default(),
            }),
        }
    }
}

/// The check digit of a key's first 43 characters (see [`NfKey::check`]).
fn nf_key_check_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .zip([2, 3, 4, 5, 6, 7, 8, 9].into_iter().cycle())
        .map(|(b, weight)| u32::from(b.saturating_sub(b'0')) * weight)
        .sum();
    let digit = match sum % 11 {
        0 | 1 => 0,
        r => 11 - r,
    };
    char::from_digit(digit, 10).unwrap_or('0')
}

/// Why an [`NfKey`] is not a well-formed key ([`NfKey::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NfKeyError {
    /// There is no key (it was blank).
    Missing,
    /// Not 44 characters (the number found).
    Length(usize),
    /// A character where a key cannot have it (a letter outside positions 7–18).
    Character {
        /// Its position, counted from 1.
        position: usize,
        /// The character.
        found: char,
    },
    /// The last digit is not the check digit of the others.
    CheckDigit {
        /// The check digit of the first 43 characters.
        expected: char,
        /// The last character of the key.
        found: char,
    },
}

impl fmt::Display for NfKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NfKeyError::Missing => f.write_str("there is no NF-e key"),
            NfKeyError::Length(n) => {
                write!(f, "the NF-e key has {n} characters; a key has 44")
            }
            NfKeyError::Character { position, found } => write!(
                f,
                "the NF-e key has {found:?} at position {position}; a key has digits there \
                 (capital letters only in positions 7-18, the issuer's CNPJ)"
            ),
            NfKeyError::CheckDigit { expected, found } => write!(
                f,
                "the NF-e key ends in {found:?} but its check digit is {expected:?} (mistyped?)"
            ),
        }
    }
}

impl std::error::Error for NfKeyError {}

impl Deref for NfKey {
    type Target = Option<String>;
    fn deref(&self) -> &Option<String> {
        &self.0
    }
}

impl fmt::Debug for NfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for NfKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_deref().unwrap_or(""))
    }
}

/// What an NF-e key's text looks like, for error messages.
const NF_KEY_EXPECTING: &str = "an NF-e key (digits, and letters where the issuer's CNPJ has them)";

/// Reads a key from text: blank is no key; digits and letters are a key (letters upper-cased).
impl FromStr for NfKey {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let t = s.trim();
        if t.is_empty() {
            Ok(Self(None))
        } else if t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(Some(t.to_ascii_uppercase())))
        } else {
            Err(ParseError::new(NF_KEY_EXPECTING, s, ""))
        }
    }
}

impl Serialize for NfKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_deref().unwrap_or(""))
    }
}

impl<'de> Deserialize<'de> for NfKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Capture the raw JSON so a 44-digit number keeps all its digits.
        let raw = Option::<Box<serde_json::value::RawValue>>::deserialize(d)?;
        let Some(raw) = raw else {
            return Ok(Self(None));
        };
        let text = raw.get().trim();
        if text.starts_with('"') {
            let s: String = serde_json::from_str(text).map_err(de::Error::custom)?;
            return s.parse().map_err(de::Error::custom);
        }
        if text == "null" {
            return Ok(Self(None));
        }
        // Anything else must be a JSON integer: its digits are the key (`1e5`, `true` or an
        // object are not keys, although their text is made of letters and digits).
        if text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(Some(text.to_owned())))
        } else {
            Err(de::Error::custom(ParseError::new(
                NF_KEY_EXPECTING,
                text,
                "",
            )))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Dates

/// A date as providers send it: `YYYY-MM-DD` or `DD/MM/YYYY`, or a date and time in any of the
/// forms of [`LooseDateTime`] (the date is kept as written); `0000-00-00`, blanks, and PHP's
/// epoch artefacts `1969-12-31` and `1970-01-01` (a missing date formatted by PHP in Brazil or
/// at UTC) are `None`. Use [`LooseCalendarDate`] for dates that may really be those days (birth
/// dates).
pub type LooseDate = Loose<NaiveDate>;

impl LooseValue for NaiveDate {
    const NAME: &'static str = "Date";
    const EXPECTING: &'static str = "a date (YYYY-MM-DD or DD/MM/YYYY, or a date and time)";
    fn from_text(s: &str) -> Result<Option<Self>, String> {
        Ok(parse_date(s)?.filter(|d| !is_php_epoch_date(*d)))
    }
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.format("%Y-%m-%d"))
    }
}

/// A date that may be any day, PHP's epoch days included (`1969-12-31`, `1970-01-01`): birth and
/// founding dates. Read like [`LooseDate`] otherwise.
pub type LooseCalendarDate = Loose<CalendarDate>;

/// A calendar date kept whatever day it is (see [`LooseCalendarDate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CalendarDate(pub NaiveDate);

impl CalendarDate {
    /// The date.
    pub const fn date(self) -> NaiveDate {
        self.0
    }
}

impl LooseValue for CalendarDate {
    const NAME: &'static str = "CalendarDate";
    const EXPECTING: &'static str = "a date (YYYY-MM-DD or DD/MM/YYYY, or a date and time)";
    fn from_text(s: &str) -> Result<Option<Self>, String> {
        Ok(parse_date(s)?.map(Self))
    }
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt_text(f)
    }
}

/// A date, or the date of a date and time, as written; zero dates are `None`.
fn parse_date(s: &str) -> Result<Option<NaiveDate>, String> {
    if is_zero_date(s) {
        return Ok(None);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
    {
        return Ok(Some(d));
    }
    // A date and time where a date is expected (PluggTo's `2024-07-15T18:07:07.000Z`): the
    // date as written, not moved to another zone.
    match Timestamp::parse(s) {
        Ok(Some(ts)) => Ok(Some(ts.local.date())),
        _ => Err(String::new()),
    }
}

/// PHP writes a missing date as the Unix epoch, which in Brazil (UTC−3) reads `1969-12-31`.
fn is_php_epoch_date(d: NaiveDate) -> bool {
    matches!(
        (d.year(), d.month(), d.day()),
        (1969, 12, 31) | (1970, 1, 1)
    )
}

/// The epoch written in some zone's wall-clock time (`1970-01-01 00:00:00`,
/// `1969-12-31 21:00:00`), or exactly the epoch when the offset is known.
fn is_php_epoch_time(ts: &Timestamp) -> bool {
    match ts.with_offset() {
        Some(instant) => instant.timestamp() == 0,
        None => {
            let epoch = chrono::DateTime::UNIX_EPOCH.naive_utc();
            let off = ts.local - epoch;
            off.num_hours().abs() <= 14 && off.num_seconds() % 1800 == 0
        }
    }
}

fn is_zero_date(s: &str) -> bool {
    s.starts_with("0000-00-00") || s.starts_with("00/00/0000")
}

/// A point in time as providers send it: local wall-clock time, with the UTC offset or zone name
/// when the payload carried one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Date and time as written in the payload.
    pub local: NaiveDateTime,
    /// Offset from UTC, when the payload carried one (`Z`, `-03:00`).
    pub offset: Option<FixedOffset>,
    /// Zone name (e.g. `America/Sao_Paulo`), when the payload was a PHP date object with one.
    pub zone: Option<String>,
}

impl Timestamp {
    /// A wall-clock time without zone information.
    pub fn naive(local: NaiveDateTime) -> Self {
        Self {
            local,
            offset: None,
            zone: None,
        }
    }
    /// The instant, when the payload said its offset.
    pub fn with_offset(&self) -> Option<DateTime<FixedOffset>> {
        self.offset
            .and_then(|o| self.local.and_local_timezone(o).single())
    }
}

/// A date and time in any of the forms the providers send: `YYYY-MM-DD HH:MM:SS[.ffffff]`,
/// RFC 3339 (`2021-02-02T17:47:20.000000Z`), `DD/MM/YYYY[ HH:MM[:SS]]`, a bare date (midnight),
/// or a PHP date object. `0000-00-00 00:00:00` and blanks are `None`.
pub type LooseDateTime = Loose<Timestamp>;

impl Timestamp {
    /// Parses the text forms of [`LooseDateTime`], epoch artefacts included.
    fn parse(s: &str) -> Result<Option<Self>, String> {
        if is_zero_date(s) {
            return Ok(None);
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(Some(Self {
                local: dt.naive_local(),
                offset: Some(*dt.offset()),
                zone: None,
            }));
        }
        const FORMATS: [&str; 6] = [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%d/%m/%Y %H:%M:%S",
            "%d/%m/%Y %H:%M",
            "%d/%m/%Y %H:%M:%S%.f",
        ];
        for format in FORMATS {
            if let Ok(dt) = NaiveDateTime::parse_from_str(s, format) {
                return Ok(Some(Self::naive(dt)));
            }
        }
        match NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        {
            Ok(date) => Ok(Some(Self::naive(date.and_time(NaiveTime::MIN)))),
            _ => Err(String::new()),
        }
    }
}

impl LooseValue for Timestamp {
    const NAME: &'static str = "DateTime";
    const EXPECTING: &'static str =
        "a date and time (YYYY-MM-DD HH:MM:SS, RFC 3339, DD/MM/YYYY or a PHP date object)";
    /// The epoch (PHP's "no date") and a bare epoch day are `None`.
    fn from_text(s: &str) -> Result<Option<Self>, String> {
        Ok(Self::parse(s)?.filter(|ts| {
            !is_php_epoch_time(ts)
                && !(ts.local.time() == NaiveTime::MIN && is_php_epoch_date(ts.local.date()))
        }))
    }
    fn from_php_date(v: PhpDate) -> Result<Option<Self>, String> {
        let Some(mut ts) = Self::parse(v.date.trim())? else {
            return Ok(None);
        };
        let zone = v.timezone.trim();
        ts.offset = match zone {
            "UTC" | "Z" | "GMT" => Some(FixedOffset::east_opt(0).ok_or_default()?),
            _ => parse_offset(zone),
        };
        ts.zone = Some(zone.to_owned());
        Ok((!is_php_epoch_time(&ts)).then_some(ts))
    }
    fn fmt_text(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fraction = if self.local.and_utc().timestamp_subsec_nanos() == 0 {
            ""
        } else {
            "%.6f"
        };
        match (self.offset, &self.zone) {
            (Some(offset), None) => {
                // Formats the wall-clock time with its offset as `DateTime::format` does, without
                // converting to UTC first: that conversion fails at the ends of the calendar, and
                // a `Display` must not fail for a value that exists.
                let format = format!("%Y-%m-%dT%H:%M:%S{fraction}%:z");
                let shown = chrono::format::DelayedFormat::new_with_offset(
                    Some(self.local.date()),
                    Some(self.local.time()),
                    &offset,
                    chrono::format::StrftimeItems::new(&format),
                );
                write!(f, "{shown}")
            }
            _ => write!(
                f,
                "{}",
                self.local.format(&format!("%Y-%m-%d %H:%M:%S{fraction}"))
            ),
        }
    }
    fn serialize_value<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.zone {
            // Round-trip PHP date objects in their own shape.
            Some(zone) => PhpDate {
                date: self.local.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                timezone_type: if parse_offset(zone).is_some() { 1 } else { 3 },
                timezone: zone.clone(),
            }
            .serialize(s),
            None => s.collect_str(&TextOf(self)),
        }
    }
}

fn parse_offset(zone: &str) -> Option<FixedOffset> {
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let (h, m) = rest
        .split_once(':')
        .unwrap_or((rest.get(..2)?, rest.get(2..)?));
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[derive(Deserialize, Serialize, Debug)]
    struct Row {
        #[serde(default)]
        d: LooseDecimal,
        #[serde(default)]
        i: LooseInt,
    }

    #[test]
    fn decimals_in_every_form() {
        for (input, want) in [
            ("\"720.00\"", Some(dec!(720.00))),
            ("720.00", Some(dec!(720))),
            ("\"2,00\"", Some(dec!(2.00))),
            ("\"1.234,56\"", Some(dec!(1234.56))),
            ("\"1,234.56\"", Some(dec!(1234.56))),
            ("\"R$ 1,50\"", Some(dec!(1.50))),
            ("\"\"", None),
            ("null", None),
            ("0.29", Some(dec!(0.29))),
        ] {
            let v: LooseDecimal = serde_json::from_str(input).unwrap();
            assert_eq!(v.value(), want, "input {input}");
        }
        assert!(serde_json::from_str::<LooseDecimal>("\"abc\"").is_err());
        assert!(serde_json::from_str::<LooseDecimal>("\"1,2,3\"").is_err());
    }

    #[test]
    fn missing_key_is_none_and_wrong_value_names_expectation() {
        let row: Row = serde_json::from_str("{}").unwrap();
        assert_eq!(row.d.value(), None);
        let err = serde_json::from_str::<Row>(r#"{"i": "1.5"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected an integer"), "{err}");
    }

    #[test]
    fn big_nf_key_keeps_every_digit() {
        let key = "44444444444444444444444444444444444444444444";
        let v: NfKey = serde_json::from_str(key).unwrap();
        assert_eq!(v.get(), Some(key));
        let v: NfKey = serde_json::from_str("\"\"").unwrap();
        assert_eq!(v.get(), None);
        assert_eq!(serde_json::from_str::<NfKey>("null").unwrap().get(), None);
        // Short digit strings decode as they did before keys were checked.
        assert_eq!(
            serde_json::from_str::<NfKey>("\"123\"").unwrap().get(),
            Some("123")
        );
        // Other JSON is not a key, although its text is made of letters and digits.
        for not_a_key in ["1e5", "true", "-1", "1.5", "\"N/A\""] {
            let err = serde_json::from_str::<NfKey>(not_a_key).unwrap_err();
            assert!(err.to_string().contains("expected an NF-e key"), "{err}");
        }
    }

    /// A key of an issuer with the official example alphanumeric CNPJ (12.ABC.345/01DE-35), its
    /// check digit worked out by hand with the rule of [`NfKey::check`].
    const ALPHANUMERIC_KEY: &str = "35260812ABC34501DE35550010000001241000001243";

    #[test]
    fn nf_key_of_an_alphanumeric_cnpj_decodes_and_checks() {
        let v: NfKey = serde_json::from_value(serde_json::json!(ALPHANUMERIC_KEY)).unwrap();
        assert_eq!(v.get(), Some(ALPHANUMERIC_KEY));
        assert_eq!(v.issuer_cnpj(), Some("12ABC34501DE35"));
        assert_eq!(v.check(), Ok(ALPHANUMERIC_KEY));
        let lower: NfKey = ALPHANUMERIC_KEY.to_ascii_lowercase().parse().unwrap();
        assert_eq!(lower, v);
        assert_eq!(serde_json::to_value(&v).unwrap(), ALPHANUMERIC_KEY);
        // A CT-e key (same layout and rule) of an alphanumeric-CNPJ issuer, published with
        // wmixvideo/nfe pull request 1164: computed by another implementation.
        let cte: NfKey = "3526050X0J92JY000196570010000006041448679011"
            .parse()
            .unwrap();
        assert_eq!(cte.issuer_cnpj(), Some("0X0J92JY000196"));
        assert!(cte.check().is_ok());
        // A numeric key: the letters' value rule gives the digits their own value.
        let numeric: NfKey =
            serde_json::from_str("35260811222333000181550010000001231000001237").unwrap();
        assert_eq!(numeric.check().map(str::len), Ok(44));
    }

    #[test]
    fn nf_key_check_names_what_is_wrong_but_reading_never_does() {
        let key = |s: &str| s.parse::<NfKey>().unwrap();
        // A wrong check digit still decodes; only `check` says so.
        let wrong = key("35260812ABC34501DE35550010000001241000001240");
        assert_eq!(
            wrong.check(),
            Err(NfKeyError::CheckDigit {
                expected: '3',
                found: '0'
            })
        );
        // A changed letter changes the check digit, like a changed digit.
        assert!(matches!(
            key("35260812ABD34501DE35550010000001241000001243").check(),
            Err(NfKeyError::CheckDigit { .. })
        ));
        assert_eq!(key("123").check(), Err(NfKeyError::Length(3)));
        assert_eq!(key("123").issuer_cnpj(), None);
        assert_eq!(NfKey::default().check(), Err(NfKeyError::Missing));
        // Letters stand only in the first twelve characters of the issuer's CNPJ.
        for (text, position) in [
            ("A5260812ABC34501DE35550010000001241000001243", 1),
            ("35260812ABC34501DEA5550010000001241000001243", 19),
            ("35260812ABC34501DE355500100000012410000012B3", 43),
        ] {
            let err = key(text).check().unwrap_err();
            assert!(
                matches!(err, NfKeyError::Character { position: p, .. } if p == position),
                "{text}: {err:?}"
            );
            assert!(err.to_string().contains("positions 7-18"), "{err}");
        }
        let shown = wrong.check().unwrap_err().to_string();
        assert!(shown.contains("'0'") && shown.contains("'3'"), "{shown}");
    }

    #[test]
    fn from_str_errors_say_what_was_expected_and_found() {
        let err = "abc".parse::<LooseDecimal>().unwrap_err();
        assert_eq!(err.expected(), Decimal::EXPECTING);
        assert_eq!(err.found(), "abc");
        assert_eq!(
            err.to_string(),
            "expected a decimal number (as a number or a numeric string), found \"abc\""
        );
        assert_eq!(
            "1.5".parse::<LooseInt>().unwrap_err().to_string(),
            "expected an integer (as a number or a numeric string), found \"1.5\" \
             (has a fractional part)"
        );
        assert_eq!(
            "x".parse::<DecimalNumber>().unwrap_err().to_string(),
            "expected a decimal number, found \"x\""
        );
        assert_eq!(
            " ".parse::<LooseId>().unwrap_err().to_string(),
            "expected an id, found a blank value"
        );
        let err = "N/A".parse::<NfKey>().unwrap_err();
        assert_eq!(err.found(), "N/A");
        assert!(err.to_string().starts_with("expected an NF-e key"), "{err}");
        // The error is a real error type (what clap and `?` need).
        let boxed: Box<dyn std::error::Error + Send + Sync> = err.clone().into();
        assert_eq!(boxed.to_string(), err.to_string());
    }

    #[test]
    fn a_timestamp_at_the_end_of_the_calendar_still_displays() {
        let offset = FixedOffset::west_opt(3 * 3600).unwrap();
        let at_end = LooseDateTime::new(Timestamp {
            local: NaiveDateTime::MAX,
            offset: Some(offset),
            zone: None,
        });
        assert!(at_end.to_string().ends_with("-03:00"), "{at_end}");
        // The same text as `DateTime::format` for an ordinary time.
        let ts: LooseDateTime = "2021-02-02T17:47:20.5-03:00".parse().unwrap();
        assert_eq!(ts.to_string(), "2021-02-02T17:47:20.500000-03:00");
    }

    #[test]
    fn dates_accept_date_times_and_keep_the_date_as_written() {
        for (input, want) in [
            ("\"2024-07-15\"", "2024-07-15"),
            ("\"15/07/2024\"", "2024-07-15"),
            ("\"2024-07-15T18:07:07.000Z\"", "2024-07-15"),
            ("\"2024-07-15 23:59:59\"", "2024-07-15"),
            // As written: the date is not moved to UTC.
            ("\"2024-07-15T23:30:00-03:00\"", "2024-07-15"),
        ] {
            let d: LooseDate = serde_json::from_str(input).unwrap();
            assert_eq!(d.to_string(), want, "{input}");
        }
    }

    #[test]
    fn php_epoch_artefacts_are_no_date_except_in_calendar_dates() {
        for input in [
            "\"1969-12-31\"",
            "\"1970-01-01\"",
            "\"31/12/1969\"",
            "\"1969-12-31T21:00:00-03:00\"",
        ] {
            let d: LooseDate = serde_json::from_str(input).unwrap();
            assert_eq!(d.value(), None, "{input}");
            let c: LooseCalendarDate = serde_json::from_str(input).unwrap();
            assert!(c.value().is_some(), "a birth date may be {input}");
        }
        for input in [
            "\"1970-01-01 00:00:00\"",
            "\"1969-12-31 21:00:00\"",
            "\"1970-01-01T00:00:00Z\"",
            "\"1969-12-31T21:00:00-03:00\"",
            "{\"date\": \"1969-12-31 21:00:00.000000\", \"timezone_type\": 1, \"timezone\": \"-03:00\"}",
        ] {
            let t: LooseDateTime = serde_json::from_str(input).unwrap();
            assert_eq!(t.get(), None, "{input}");
        }
        // A real moment of those days, and every other day, is kept.
        for input in [
            "\"1969-12-31 15:17:00\"",
            "\"1970-01-02\"",
            "\"2021-02-02T17:47:20Z\"",
        ] {
            let t: LooseDateTime = serde_json::from_str(input).unwrap();
            assert!(t.get().is_some(), "{input}");
        }
        let d: LooseDate = serde_json::from_str("\"1970-01-02\"").unwrap();
        assert!(d.value().is_some());
    }

    #[test]
    fn decimal_number_refuses_to_lose_digits() {
        let ok = serde_json::to_string(&DecimalNumber(dec!(720.20))).unwrap();
        assert_eq!(ok, "720.2");
        assert_eq!(
            serde_json::to_string(&DecimalNumber(dec!(720.00))).unwrap(),
            "720.0"
        );
        let big = DecimalNumber(dec!(0.1234567890123456789));
        assert!(serde_json::to_string(&big).is_err());
    }
}

/// JSON Schemas for the lenient types (used by the generated command-line interface).
#[cfg(feature = "cli")]
mod json_schema {
    use schemars::JsonSchema;
    use schemars::r#gen::SchemaGenerator;
    use schemars::schema::{InstanceType, Metadata, Schema, SchemaObject, SingleOrVec};

    use super::{DecimalNumber, Loose, LooseId, LooseValue, NfKey};

    fn schema(types: &[InstanceType], description: &str) -> Schema {
        SchemaObject {
            instance_type: Some(SingleOrVec::Vec(types.to_vec())),
            metadata: Some(Box::new(Metadata {
                description: Some(description.to_owned()),
                ..Metadata::default()
            })),
            ..SchemaObject::default()
        }
        .into()
    }

    impl<T: LooseValue> JsonSchema for Loose<T> {
        fn schema_name() -> String {
            format!("Loose{}", T::NAME)
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            use InstanceType::*;
            schema(&[String, Number, Boolean, Object, Null], T::EXPECTING)
        }
    }

    impl JsonSchema for DecimalNumber {
        fn schema_name() -> String {
            "DecimalNumber".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            schema(
                &[InstanceType::Number, InstanceType::String],
                "a decimal number",
            )
        }
    }

    impl JsonSchema for LooseId {
        fn schema_name() -> String {
            "LooseId".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            schema(
                &[InstanceType::String, InstanceType::Integer],
                "an id (string or integer)",
            )
        }
    }

    impl JsonSchema for NfKey {
        fn schema_name() -> String {
            "NfKey".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            schema(
                &[
                    InstanceType::String,
                    InstanceType::Integer,
                    InstanceType::Null,
                ],
                "an NF-e key (44 digits, or capital letters in positions 7-18 for an issuer \
                 with an alphanumeric CNPJ)",
            )
        }
    }
}
