//! `TaxId::parse` against an independent implementation: the `cpf_cnpj` crate (0.3, which
//! validates alphanumeric CNPJs), used here only, as a dev-dependency. Valid ids are made by
//! asking the oracle which check digits complete a generated base, never by our own arithmetic;
//! invalid ones change a check digit or a character, the length, or put letters where digits
//! must be. Each property runs 5,000 cases.

use brcommerce::common::taxid::{TaxId, TaxIdError, TaxIdKind};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 5_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The oracle's verdict on compact text (it ignores `.`, `-` and `/`, not spaces).
fn oracle(text: &str) -> bool {
    let compact = text.replace(' ', "");
    cpf_cnpj::cpf::validate(&compact) || cpf_cnpj::cnpj::validate(&compact)
}

/// The two check digits that make `base` valid for the oracle, if any (a base of one repeated
/// character has none).
fn complete(base: &str) -> Option<String> {
    (0..100)
        .map(|n| format!("{base}{n:02}"))
        .find(|candidate| oracle(candidate))
}

/// Bases of valid ids: 9 digits (CPF), 12 digits (numeric CNPJ), 12 of `[0-9A-Z]` (alphanumeric).
fn base() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{9}",
        "[0-9]{8}0001",
        "[0-9]{12}",
        "[0-9A-Z]{12}",
        "[A-Z]{2}[0-9A-Z]{6}0001",
    ]
}

fn valid() -> impl Strategy<Value = String> {
    base().prop_filter_map("a base of one repeated character", |b| complete(&b))
}

/// The written form, built independently of `TaxId::formatted`.
fn written(id: &str) -> String {
    let (a, b) = id.split_at(id.len() - 2);
    if id.len() == 11 {
        format!("{}.{}.{}-{b}", &a[..3], &a[3..6], &a[6..])
    } else {
        format!("{}.{}.{}/{}-{b}", &a[..2], &a[2..5], &a[5..8], &a[8..])
    }
}

/// Characters a mutated position may take.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

proptest! {
    #![proptest_config(config())]

    #[test]
    fn valid_ids_parse_in_every_written_form(id in valid()) {
        let kind = if id.len() == 11 { TaxIdKind::Cpf } else { TaxIdKind::Cnpj };
        let parsed = TaxId::parse(&id);
        prop_assert!(parsed.is_ok(), "{} refused: {:?}", id, parsed);
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.kind(), kind);
        prop_assert_eq!(parsed.as_str(), id.as_str());
        prop_assert_eq!(parsed.to_string(), id.clone());
        prop_assert_eq!(parsed.formatted(), written(&id));
        prop_assert_eq!(TaxId::parse(&written(&id)), Ok(parsed.clone()));
        prop_assert_eq!(TaxId::parse(&format!(" {} ", written(&id).replace('.', " "))), Ok(parsed.clone()));
        if kind == TaxIdKind::Cnpj {
            prop_assert_eq!(TaxId::parse(&id.to_ascii_lowercase()), Ok(parsed.clone()));
        }
        // Only the last two characters show in `Debug`.
        let shown = format!("{parsed:?}");
        prop_assert!(shown.ends_with(&format!("…{})", &id[id.len() - 2..])), "{}", shown);
        prop_assert!(!shown.contains(&id[..id.len() - 2]), "{}", shown);
    }

    #[test]
    fn a_changed_check_digit_is_refused(id in valid(), position in 0usize..2, delta in 1u8..10) {
        let mut bytes = id.clone().into_bytes();
        let at = bytes.len() - 2 + position;
        bytes[at] = b'0' + (bytes[at] - b'0' + delta) % 10;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(!oracle(&changed));
        prop_assert_eq!(TaxId::parse(&changed), Err(TaxIdError::CheckDigits));
    }

    #[test]
    fn a_changed_character_agrees_with_the_oracle(id in valid(), position in 0usize..14, pick in 0usize..36) {
        let mut bytes = id.clone().into_bytes();
        let at = position % bytes.len();
        // A CPF has digits only; elsewhere any of the 36 characters.
        let choices = if id.len() == 11 || at >= 12 { 10 } else { ALPHABET.len() };
        let replacement = ALPHABET[pick % choices];
        prop_assume!(replacement != bytes[at]);
        bytes[at] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        // Usually refused; but the official scheme cannot see some substitutions (characters
        // whose values differ by 11, such as `6` and `A`), so the oracle decides.
        prop_assert_eq!(TaxId::parse(&changed).is_ok(), oracle(&changed), "{}", changed);
    }

    #[test]
    fn a_wrong_length_is_refused(id in valid(), extra in "[0-9A-Z]{1,2}", cut in 1usize..3) {
        // One or two characters more or fewer never reach the other kind's length.
        for changed in [format!("{id}{extra}"), id[..id.len() - cut].to_owned()] {
            prop_assert!(!oracle(&changed), "{}", changed);
            prop_assert_eq!(TaxId::parse(&changed), Err(TaxIdError::Length(changed.len())));
        }
    }

    #[test]
    fn letters_where_digits_must_be_are_refused(id in valid(), letter in "[A-Z]", position in 0usize..11) {
        let mut chars: Vec<char> = id.chars().collect();
        let at = if id.len() == 11 { position } else { 12 + position % 2 };
        chars[at] = letter.chars().next().unwrap();
        let changed: String = chars.into_iter().collect();
        let kind = if id.len() == 11 { TaxIdKind::Cpf } else { TaxIdKind::Cnpj };
        prop_assert!(!oracle(&changed));
        let got = TaxId::parse(&changed);
        prop_assert!(matches!(got, Err(TaxIdError::Letter { kind: k, .. }) if k == kind), "{}: {:?}", changed, got);
    }

    #[test]
    fn arbitrary_text_agrees_with_the_oracle(text in "[0-9A-Za-z./ -]{0,20}") {
        prop_assert_eq!(TaxId::parse(&text).is_ok(), oracle(&text), "{:?}", text);
    }
}

#[test]
fn known_values() {
    // The Receita Federal's example of an alphanumeric CNPJ.
    assert!(oracle("12.ABC.345/01DE-35"));
    let cnpj = TaxId::parse("12.ABC.345/01DE-35").unwrap();
    assert_eq!(cnpj.as_str(), "12ABC34501DE35");
    assert_eq!(cnpj.formatted(), "12.ABC.345/01DE-35");
    for (text, valid) in [
        ("529.982.247-25", true),
        ("11.222.333/0001-81", true),
        ("071.999.186-18", false), // the AppClubMais manual's sample CPF
        ("12.ABC.345/01DE-36", false),
        ("000.000.000-00", false),
    ] {
        assert_eq!(oracle(text), valid, "{text}");
        assert_eq!(TaxId::parse(text).is_ok(), valid, "{text}");
    }
    // One repeated digit passes the arithmetic but is never issued.
    for digit in '0'..='9' {
        for len in [11, 14] {
            let text: String = std::iter::repeat_n(digit, len).collect();
            assert!(!oracle(&text), "{text}");
            assert_eq!(TaxId::parse(&text), Err(TaxIdError::Repeated), "{text}");
        }
    }
}
