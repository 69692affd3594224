//! Fuzzing the lenient decoders with generated input (proptest): arbitrary input never panics,
//! every valid form decodes to the same value, and what we serialize decodes back unchanged.
//! Each property runs 20,000 cases (over 100,000 in total).

use brcommerce::common::lenient::{
    DecimalNumber, IbgeCode, LooseBool, LooseDate, LooseDateTime, LooseDecimal, LooseId, LooseInt,
    LooseText, NfKey, Timestamp, parse_decimal,
};
use chrono::{FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 20_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Arbitrary JSON values, including odd strings and big numbers.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,24}".prop_map(Value::String),
        "[0-9.,R$ -]{0,20}".prop_map(Value::String),
        "[0-9/: T-]{0,25}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn decimals() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=6).prop_map(|(m, s)| Decimal::new(m % 1_000_000_000_000, s))
}

/// 1234567.89 -> 1.234.567,89; always with a decimal comma, since `1.000` alone means one.
fn brazilian(d: Decimal) -> String {
    let text = format!("{:.*}", d.scale().max(1) as usize, d.abs());
    let (int, frac) = text
        .split_once('.')
        .map(|(i, f)| (i.to_owned(), Some(f.to_owned())))
        .unwrap_or((text.clone(), None));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if d.is_sign_negative() && !d.is_zero() {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_arbitrary_input_never_panics(v in any_json()) {
        let text = v.to_string();
        let _ = serde_json::from_str::<LooseDecimal>(&text);
        let _ = serde_json::from_str::<DecimalNumber>(&text);
        let _ = serde_json::from_str::<LooseInt>(&text);
        let _ = serde_json::from_str::<LooseText>(&text);
        let _ = serde_json::from_str::<LooseBool>(&text);
        let _ = serde_json::from_str::<LooseDate>(&text);
        let _ = serde_json::from_str::<LooseDateTime>(&text);
        let _ = serde_json::from_str::<LooseId>(&text);
        let _ = serde_json::from_str::<IbgeCode>(&text);
        if let Ok(key) = serde_json::from_str::<NfKey>(&text) {
            let _ = (key.check(), key.issuer_cnpj());
        }
    }

    #[test]
    fn fuzz_any_alphanumeric_text_is_a_key_to_read_and_check(text in "[0-9A-Za-z]{1,50}") {
        let key: NfKey = serde_json::from_value(json!(text)).unwrap();
        let upper = text.to_ascii_uppercase();
        prop_assert_eq!(key.get(), Some(upper.as_str()));
        if let Err(e) = key.check() {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn fuzz_decimals_decode_from_every_form_and_round_trip(d in decimals()) {
        let dot = d.to_string();
        prop_assert_eq!(serde_json::from_value::<LooseDecimal>(json!(dot)).unwrap().value(), Some(d));
        prop_assert_eq!(parse_decimal(&brazilian(d)).unwrap(), d, "{}", brazilian(d));
        prop_assert_eq!(parse_decimal(&format!("R$ {}", brazilian(d))).unwrap(), d);
        // What we serialize (a string keeping the scale) decodes to the same value.
        let ours = serde_json::to_value(LooseDecimal::new(d)).unwrap();
        prop_assert_eq!(serde_json::from_value::<LooseDecimal>(ours).unwrap().value(), Some(d));
        // As a JSON number: never a silent rounding.
        match serde_json::to_string(&DecimalNumber(d)) {
            Ok(text) => prop_assert_eq!(serde_json::from_str::<DecimalNumber>(&text).unwrap().0.normalize(), d.normalize()),
            Err(e) => prop_assert!(e.to_string().contains("digits")),
        }
    }

    #[test]
    fn fuzz_integers_and_ids_from_numbers_and_strings(n in any::<i64>(), u in any::<u64>()) {
        prop_assert_eq!(serde_json::from_value::<LooseInt>(json!(n)).unwrap().value(), Some(n));
        prop_assert_eq!(serde_json::from_value::<LooseInt>(json!(n.to_string())).unwrap().value(), Some(n));
        let id_num = serde_json::from_value::<LooseId>(json!(u)).unwrap();
        let id_str = serde_json::from_value::<LooseId>(json!(u.to_string())).unwrap();
        prop_assert_eq!(&id_num, &id_str);
        prop_assert_eq!(serde_json::from_value::<LooseId>(serde_json::to_value(&id_num).unwrap()).unwrap(), id_num);
        prop_assert_eq!(serde_json::from_value::<LooseText>(json!(u)).unwrap().get().cloned(), Some(u.to_string()));
    }

    #[test]
    fn fuzz_dates_in_every_format(days in 0i32..80_000, secs in 0u32..86_400, offset_min in -720i32..=720) {
        let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(i64::from(days));
        // 1969-12-31 and 1970-01-01 can be PHP's "no date" (Unix time 0), which reads as none:
        // the unit tests of `common::lenient` cover those two days.
        let epoch_day = NaiveDate::from_ymd_opt(1969, 12, 31).unwrap();
        prop_assume!(date != epoch_day && date != epoch_day.succ_opt().unwrap());
        let dt = date.and_hms_opt(secs / 3600, (secs / 60) % 60, secs % 60).unwrap();
        for form in [date.format("%Y-%m-%d").to_string(), date.format("%d/%m/%Y").to_string()] {
            prop_assert_eq!(serde_json::from_value::<LooseDate>(json!(form)).unwrap().value(), Some(date));
        }
        let naive = |v: Value| serde_json::from_value::<LooseDateTime>(v).unwrap().into_inner().map(|t| t.local);
        prop_assert_eq!(naive(json!(dt.format("%Y-%m-%d %H:%M:%S").to_string())), Some(dt));
        prop_assert_eq!(naive(json!(dt.format("%d/%m/%Y %H:%M:%S").to_string())), Some(dt));
        prop_assert_eq!(naive(json!({"date": dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string(), "timezone_type": 3, "timezone": "America/Sao_Paulo"})), Some(dt));
        let offset = FixedOffset::east_opt(offset_min * 60).unwrap();
        let with_offset = offset.from_local_datetime(&dt).single().unwrap();
        let parsed = serde_json::from_value::<LooseDateTime>(json!(with_offset.to_rfc3339())).unwrap().into_inner().unwrap();
        prop_assert_eq!(parsed.with_offset(), Some(with_offset));
        // What we serialize decodes back to the same timestamp.
        for ts in [Timestamp::naive(dt), parsed] {
            let back: LooseDateTime = serde_json::from_value(serde_json::to_value(LooseDateTime::new(ts.clone())).unwrap()).unwrap();
            prop_assert_eq!(back.into_inner(), Some(ts));
        }
        let ours = serde_json::to_value(LooseDate::new(date)).unwrap();
        prop_assert_eq!(serde_json::from_value::<LooseDate>(ours).unwrap().value(), Some(date));
    }

    #[test]
    fn fuzz_nf_keys_keep_every_digit(digits in "[1-9][0-9]{43}") {
        let as_number: NfKey = serde_json::from_str(&digits).unwrap();
        let as_string: NfKey = serde_json::from_value(json!(digits)).unwrap();
        prop_assert_eq!(as_number.get(), Some(digits.as_str()));
        prop_assert_eq!(&as_number, &as_string);
        let back: NfKey = serde_json::from_value(serde_json::to_value(&as_number).unwrap()).unwrap();
        prop_assert_eq!(back, as_number);
    }

    #[test]
    fn fuzz_nf_keys_of_alphanumeric_cnpjs_decode_exactly(key in "[0-9]{6}[0-9A-Z]{12}[0-9]{26}", lower in any::<bool>()) {
        let sent = if lower { key.to_ascii_lowercase() } else { key.clone() };
        let v: NfKey = serde_json::from_value(json!(sent)).unwrap();
        prop_assert_eq!(v.get(), Some(key.as_str()));
        prop_assert_eq!(v.issuer_cnpj(), Some(&key[6..20]));
        // Whatever the check digit says, the key decodes; `check` accepts it exactly when the
        // last digit is right (only one of the ten digits is).
        let right = (0..10u8)
            .filter(|d| {
                let candidate = format!("{}{}", &key[..43], d);
                candidate.parse::<NfKey>().unwrap().check().is_ok()
            })
            .count();
        prop_assert_eq!(right, 1);
        let back: NfKey = serde_json::from_value(serde_json::to_value(&v).unwrap()).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn fuzz_blanks_are_none_and_never_zero(blank in prop_oneof![Just(String::new()), " {1,4}".prop_map(|s| s)]) {
        prop_assert_eq!(serde_json::from_value::<LooseDecimal>(json!(blank)).unwrap().value(), None);
        prop_assert_eq!(serde_json::from_value::<LooseInt>(json!(blank)).unwrap().value(), None);
        prop_assert_eq!(serde_json::from_value::<LooseDate>(json!(blank)).unwrap().value(), None);
        prop_assert!(serde_json::from_value::<DecimalNumber>(json!(blank)).is_err());
    }
}

#[test]
fn fuzz_zero_dates_are_none() {
    let _ = NaiveDateTime::default();
    for zero in ["0000-00-00", "0000-00-00 00:00:00", "00/00/0000"] {
        assert_eq!(
            serde_json::from_value::<LooseDateTime>(json!(zero))
                .unwrap()
                .into_inner(),
            None
        );
        assert_eq!(
            serde_json::from_value::<LooseDate>(json!(zero))
                .unwrap()
                .value(),
            None
        );
    }
}
