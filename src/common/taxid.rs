//! Brazilian taxpayer ids: CPF (people, 11 digits) and CNPJ (companies, 14 digits).
//!
//! [`TaxId::parse`] accepts the usual written forms (`071.999.186-18`, `12.345.678/0001-95`,
//! digits with spaces), keeps the digits only and checks both check digits, so a mistyped id is
//! refused before it is sent.

use std::fmt;
use std::str::FromStr;

/// A validated CPF or CNPJ, digits only.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaxId {
    /// A person's CPF (11 digits).
    Cpf(String),
    /// A company's CNPJ (14 digits).
    Cnpj(String),
}

/// Why a text is not a valid CPF or CNPJ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaxIdError {
    /// Neither 11 nor 14 digits.
    Length(usize),
    /// A character other than digits, `.`, `-`, `/` or spaces.
    Character(char),
    /// All digits equal (`111.111.111-11` passes the arithmetic but is not issued).
    Repeated,
    /// The check digits do not match.
    CheckDigits,
}

impl fmt::Display for TaxIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaxIdError::Length(n) => write!(f, "has {n} digits; a CPF has 11 and a CNPJ 14"),
            TaxIdError::Character(c) => write!(
                f,
                "contains {c:?}; only digits, '.', '-' and '/' are allowed"
            ),
            TaxIdError::Repeated => f.write_str("has all digits equal"),
            TaxIdError::CheckDigits => f.write_str("has wrong check digits (mistyped?)"),
        }
    }
}

impl std::error::Error for TaxIdError {}

impl TaxId {
    /// Normalizes and validates a CPF or CNPJ.
    ///
    /// # Errors
    /// [`TaxIdError`] saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, TaxIdError> {
        let mut digits = String::with_capacity(14);
        for c in text.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '.' | '-' | '/' | ' ' => {}
                other => return Err(TaxIdError::Character(other)),
            }
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if d.len() != 11 && d.len() != 14 {
            return Err(TaxIdError::Length(d.len()));
        }
        if d.iter().all(|x| *x == d[0]) {
            return Err(TaxIdError::Repeated);
        }
        let ok = if d.len() == 11 {
            check_digit(&d[..9], &[10, 9, 8, 7, 6, 5, 4, 3, 2]) == d[9]
                && check_digit(&d[..10], &[11, 10, 9, 8, 7, 6, 5, 4, 3, 2]) == d[10]
        } else {
            check_digit(&d[..12], &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) == d[12]
                && check_digit(&d[..13], &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]) == d[13]
        };
        if !ok {
            return Err(TaxIdError::CheckDigits);
        }
        Ok(if d.len() == 11 {
            TaxId::Cpf(digits)
        } else {
            TaxId::Cnpj(digits)
        })
    }

    /// The digits.
    pub fn digits(&self) -> &str {
        match self {
            TaxId::Cpf(d) | TaxId::Cnpj(d) => d,
        }
    }

    /// The usual written form (`071.999.186-18`, `12.345.678/0001-95`).
    pub fn formatted(&self) -> String {
        match self {
            TaxId::Cpf(d) => format!("{}.{}.{}-{}", &d[..3], &d[3..6], &d[6..9], &d[9..]),
            TaxId::Cnpj(d) => format!(
                "{}.{}.{}/{}-{}",
                &d[..2],
                &d[2..5],
                &d[5..8],
                &d[8..12],
                &d[12..]
            ),
        }
    }
}

/// The modulo-11 check digit over `digits` with `weights`.
fn check_digit(digits: &[u32], weights: &[u32]) -> u32 {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
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

/// Shows the kind and the last digits only (ids are personal data).
impl fmt::Debug for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, d) = match self {
            TaxId::Cpf(d) => ("Cpf", d),
            TaxId::Cnpj(d) => ("Cnpj", d),
        };
        write!(f, "{kind}(…{})", &d[d.len() - 2..])
    }
}

/// The digits, as sent to providers.
impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.digits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_forms_are_normalized() {
        let cpf = TaxId::parse("071.999.186-18").map(|t| t.digits().to_owned());
        // The manual's sample CPF is not a real one: its check digits fail.
        assert_eq!(cpf, Err(TaxIdError::CheckDigits));
        let cpf = TaxId::parse("529.982.247-25").unwrap();
        assert_eq!(cpf, TaxId::Cpf("52998224725".into()));
        assert_eq!(cpf.formatted(), "529.982.247-25");
        let cnpj = TaxId::parse("11.222.333/0001-81").unwrap();
        assert_eq!(cnpj.digits(), "11222333000181");
        assert_eq!(cnpj.formatted(), "11.222.333/0001-81");
        assert_eq!(format!("{cnpj:?}"), "Cnpj(…81)");
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(TaxId::parse("529.982.247-26"), Err(TaxIdError::CheckDigits));
        assert_eq!(TaxId::parse("123"), Err(TaxIdError::Length(3)));
        assert_eq!(TaxId::parse("111.111.111-11"), Err(TaxIdError::Repeated));
        assert_eq!(TaxId::parse("529x982"), Err(TaxIdError::Character('x')));
    }
}
