//! Brazilian taxpayer ids: CPF (people, 11 digits) and CNPJ (companies, 14 characters).
//!
//! Since July 2026 the Receita Federal also issues **alphanumeric CNPJs** (IN RFB nº 2.229/2024):
//! twelve characters `0-9`/`A-Z` followed by two numeric check digits. Both check digits use the
//! same modulo-11 weights as the numeric CNPJ, with each character valued as its ASCII code minus
//! 48 (`0` = 0 … `9` = 9, `A` = 17 … `Z` = 42), so every numeric CNPJ keeps its check digits.
//!
//! [`TaxId::parse`] accepts the usual written forms (`529.982.247-25`, `11.222.333/0001-81`,
//! `12.ABC.345/01DE-35`, digits with spaces, a CNPJ's letters in lower case), keeps the digits
//! and letters only (upper case) and checks both check digits, so a mistyped id is refused before
//! it is sent. A [`TaxId`] cannot hold anything else: its representation is private.
//!
//! ```
//! use brcommerce::common::taxid::{TaxId, TaxIdKind};
//!
//! let cnpj = TaxId::parse("12.abc.345/01de-35")?;
//! assert_eq!(cnpj.kind(), TaxIdKind::Cnpj);
//! assert_eq!(cnpj.as_str(), "12ABC34501DE35");
//! assert_eq!(cnpj.formatted(), "12.ABC.345/01DE-35");
//! assert_eq!(format!("{cnpj:?}"), "Cnpj(…35)"); // ids are personal data
//!
//! let cpf: TaxId = "529.982.247-25".parse()?;
//! assert_eq!(cpf.to_string(), "52998224725");
//! assert!(TaxId::parse("529.982.247-26").is_err()); // a mistyped check digit
//! # Ok::<(), brcommerce::common::taxid::TaxIdError>(())
//! ```
//!
//! The crates of the field do not fit a shared, redacted id type: `cpf_cnpj` and `validador-br`
//! answer with a `bool`, and `stdbr-core` has one type per kind and no `Debug`. The arithmetic is
//! a dozen lines, so this module keeps its own and tests it against `cpf_cnpj` as an independent
//! oracle (`tests/taxid_oracle.rs`).

use std::fmt;
use std::str::FromStr;

/// A validated CPF or CNPJ, held as its normalized text (digits and upper-case letters only).
///
/// Build one with [`TaxId::parse`] (or `str::parse`); every value passed the length, character
/// and check-digit rules. `Display` writes the normalized text, which is what providers take;
/// `Debug` shows the kind and the last two characters only.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxId {
    kind: TaxIdKind,
    text: String,
}

/// Whether a [`TaxId`] is a person's CPF or a company's CNPJ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TaxIdKind {
    /// A person's CPF: 11 digits.
    Cpf,
    /// A company's CNPJ: 14 characters, numeric or alphanumeric (letters in the first 12).
    Cnpj,
}

/// `CPF` or `CNPJ`.
impl fmt::Display for TaxIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaxIdKind::Cpf => "CPF",
            TaxIdKind::Cnpj => "CNPJ",
        })
    }
}

/// Why a text is not a valid CPF or CNPJ.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaxIdError {
    /// Neither 11 nor 14 digits and letters (the number found).
    Length(usize),
    /// A character that no written form of an id has (only digits, letters, `.`, `-`, `/` and
    /// spaces are).
    Character(char),
    /// A letter where only digits may be: anywhere in a CPF, or in a CNPJ's two check digits.
    Letter {
        /// The kind the length says the id is.
        kind: TaxIdKind,
        /// The letter (upper case).
        letter: char,
    },
    /// All characters equal (`111.111.111-11` passes the arithmetic but is not issued).
    Repeated,
    /// The check digits do not match.
    CheckDigits,
}

impl fmt::Display for TaxIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaxIdError::Length(n) => {
                write!(f, "has {n} digits and letters; a CPF has 11 and a CNPJ 14")
            }
            TaxIdError::Character(c) => write!(
                f,
                "contains {c:?}; only digits, letters, '.', '-', '/' and spaces are allowed"
            ),
            TaxIdError::Letter {
                kind: TaxIdKind::Cpf,
                letter,
            } => write!(f, "contains the letter {letter:?}; a CPF has digits only"),
            TaxIdError::Letter { kind, letter } => write!(
                f,
                "contains the letter {letter:?} where a {kind} has its two numeric check digits"
            ),
            TaxIdError::Repeated => f.write_str("has all characters equal"),
            TaxIdError::CheckDigits => f.write_str("has wrong check digits (mistyped?)"),
        }
    }
}

impl std::error::Error for TaxIdError {}

/// The CPF's check-digit weights (the first digit uses the last nine).
const CPF_WEIGHTS: [u32; 10] = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
/// The CNPJ's check-digit weights (the first digit uses the last twelve).
const CNPJ_WEIGHTS: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

impl TaxId {
    /// Normalizes and validates a CPF or CNPJ (numeric or alphanumeric).
    ///
    /// Dots, dashes, slashes and spaces are ignored wherever they are; letters are upper-cased.
    /// Eleven characters make a CPF, fourteen a CNPJ.
    ///
    /// # Errors
    /// [`TaxIdError`] saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, TaxIdError> {
        let mut normalized = String::with_capacity(14);
        let mut count = 0;
        for c in text.chars() {
            match c {
                '0'..='9' | 'A'..='Z' | 'a'..='z' => {
                    count += 1;
                    // Keep at most one character too many: enough to know the length is wrong.
                    if count <= 15 {
                        normalized.push(c.to_ascii_uppercase());
                    }
                }
                '.' | '-' | '/' | ' ' => {}
                other => return Err(TaxIdError::Character(other)),
            }
        }
        let kind = match count {
            11 => TaxIdKind::Cpf,
            14 => TaxIdKind::Cnpj,
            n => return Err(TaxIdError::Length(n)),
        };
        // Letters may stand only in a CNPJ's first twelve positions.
        let numeric_from = match kind {
            TaxIdKind::Cpf => 0,
            TaxIdKind::Cnpj => 12,
        };
        if let Some(letter) = normalized
            .chars()
            .skip(numeric_from)
            .find(char::is_ascii_uppercase)
        {
            return Err(TaxIdError::Letter { kind, letter });
        }
        let values: Vec<u32> = normalized.bytes().map(value).collect();
        if values.windows(2).all(|w| w[0] == w[1]) {
            return Err(TaxIdError::Repeated);
        }
        let weights: &[u32] = match kind {
            TaxIdKind::Cpf => &CPF_WEIGHTS,
            TaxIdKind::Cnpj => &CNPJ_WEIGHTS,
        };
        let n = values.len();
        let first = check_digit(&values[..n - 2], &weights[1..]);
        let second = check_digit(&values[..n - 1], weights);
        if values[n - 2..] != [first, second] {
            return Err(TaxIdError::CheckDigits);
        }
        Ok(Self {
            kind,
            text: normalized,
        })
    }

    /// CPF or CNPJ.
    pub fn kind(&self) -> TaxIdKind {
        self.kind
    }

    /// The normalized text: digits and upper-case letters only (`52998224725`,
    /// `12ABC34501DE35`), as sent to providers.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The normalized text; an alphanumeric CNPJ has letters too.
    #[deprecated(note = "an alphanumeric CNPJ has letters; use `as_str`")]
    pub fn digits(&self) -> &str {
        &self.text
    }

    /// The usual written form (`529.982.247-25`, `11.222.333/0001-81`, `12.ABC.345/01DE-35`).
    pub fn formatted(&self) -> String {
        // The separator written before the character at each position.
        let separator = |i: usize| match (self.kind, i) {
            (TaxIdKind::Cpf, 3 | 6) | (TaxIdKind::Cnpj, 2 | 5) => Some('.'),
            (TaxIdKind::Cpf, 9) | (TaxIdKind::Cnpj, 12) => Some('-'),
            (TaxIdKind::Cnpj, 8) => Some('/'),
            _ => None,
        };
        let mut out = String::with_capacity(18);
        for (i, c) in self.text.chars().enumerate() {
            out.extend(separator(i));
            out.push(c);
        }
        out
    }
}

/// A character's value in the check-digit sums: its ASCII code minus 48 (`A` = 17).
fn value(b: u8) -> u32 {
    u32::from(b.saturating_sub(b'0'))
}

/// The modulo-11 check digit over `values` with `weights` (of the same length).
fn check_digit(values: &[u32], weights: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(weights).map(|(v, w)| v * w).sum();
    match sum % 11 {
        0 | 1 => 0,
        r => 11 - r,
    }
}

impl FromStr for TaxId {
    type Err = TaxIdError;
    fn from_str(s: &str) -> Result<Self, TaxIdError> {
        Self::parse(s)
    }
}

impl AsRef<str> for TaxId {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Shows the kind and the last two characters only (ids are personal data): `Cnpj(…35)`.
impl fmt::Debug for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            TaxIdKind::Cpf => "Cpf",
            TaxIdKind::Cnpj => "Cnpj",
        };
        let tail = self.text.get(self.text.len().saturating_sub(2)..);
        write!(f, "{kind}(…{})", tail.unwrap_or_default())
    }
}

/// The normalized text, as sent to providers (`52998224725`, `12ABC34501DE35`).
impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_forms_are_normalized() {
        // The manual's sample CPF is not a real one: its check digits fail.
        assert_eq!(TaxId::parse("071.999.186-18"), Err(TaxIdError::CheckDigits));
        let cpf = TaxId::parse("529.982.247-25").unwrap();
        assert_eq!(cpf.kind(), TaxIdKind::Cpf);
        assert_eq!(cpf.as_str(), "52998224725");
        assert_eq!(cpf.to_string(), "52998224725");
        assert_eq!(cpf.formatted(), "529.982.247-25");
        assert_eq!(format!("{cpf:?}"), "Cpf(…25)");
        assert_eq!(TaxId::parse(" 529 982 247 25 "), Ok(cpf));
        let cnpj = TaxId::parse("11.222.333/0001-81").unwrap();
        assert_eq!(cnpj.kind(), TaxIdKind::Cnpj);
        assert_eq!(cnpj.as_str(), "11222333000181");
        assert_eq!(cnpj.formatted(), "11.222.333/0001-81");
        assert_eq!(format!("{cnpj:?}"), "Cnpj(…81)");
    }

    #[test]
    fn the_official_alphanumeric_example_is_valid_in_every_form() {
        for written in [
            "12.ABC.345/01DE-35",
            "12ABC34501DE35",
            "12.abc.345/01de-35",
            " 12 ABC 345 01DE 35 ",
        ] {
            let cnpj = TaxId::parse(written).unwrap();
            assert_eq!(cnpj.kind(), TaxIdKind::Cnpj, "{written}");
            assert_eq!(cnpj.as_str(), "12ABC34501DE35");
            assert_eq!(cnpj.formatted(), "12.ABC.345/01DE-35");
            assert_eq!(format!("{cnpj:?}"), "Cnpj(…35)");
            assert_eq!(written.parse::<TaxId>(), Ok(cnpj));
        }
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(TaxId::parse("529.982.247-26"), Err(TaxIdError::CheckDigits));
        assert_eq!(
            TaxId::parse("12.ABC.345/01DE-36"),
            Err(TaxIdError::CheckDigits)
        );
        // A changed letter is caught like a changed digit.
        assert_eq!(
            TaxId::parse("12.ABD.345/01DE-35"),
            Err(TaxIdError::CheckDigits)
        );
        assert_eq!(TaxId::parse("123"), Err(TaxIdError::Length(3)));
        assert_eq!(
            TaxId::parse(&"1".repeat(1000)),
            Err(TaxIdError::Length(1000))
        );
        assert_eq!(TaxId::parse("111.111.111-11"), Err(TaxIdError::Repeated));
        assert_eq!(TaxId::parse("529x982"), Err(TaxIdError::Length(7)));
        assert_eq!(TaxId::parse("529_982"), Err(TaxIdError::Character('_')));
        assert_eq!(
            TaxId::parse("529.982.247-2A"),
            Err(TaxIdError::Letter {
                kind: TaxIdKind::Cpf,
                letter: 'A'
            })
        );
        assert_eq!(
            TaxId::parse("12.ABC.345/01DE-3e"),
            Err(TaxIdError::Letter {
                kind: TaxIdKind::Cnpj,
                letter: 'E'
            })
        );
    }

    #[test]
    fn errors_say_what_was_expected() {
        let shown = |text: &str| TaxId::parse(text).unwrap_err().to_string();
        assert_eq!(
            shown("123"),
            "has 3 digits and letters; a CPF has 11 and a CNPJ 14"
        );
        assert!(shown("12#").contains("'#'"));
        assert!(shown("5299822472A").contains("a CPF has digits only"));
        assert!(shown("12ABC34501DEA5").contains("two numeric check digits"));
        assert!(shown("529.982.247-26").contains("check digits"));
    }
}
