//! Money as ConnectPlug sends it: `{"amount": 99.95, "currency": "BRL"}`, an amount in major
//! units (reais, not cents) and an ISO 4217 currency code. The amount is a decimal, never a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::common::lenient::{DecimalNumber, ParseError};

/// An amount of money in a currency.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
pub struct Money {
    /// Amount in major units, sent as a JSON number (a numeric string is accepted on reading).
    pub amount: DecimalNumber,
    /// ISO 4217 code, e.g. `BRL`.
    pub currency: String,
}

impl Money {
    /// An amount in Brazilian reais.
    pub fn brl(amount: Decimal) -> Self {
        Self {
            amount: DecimalNumber(amount),
            currency: "BRL".to_owned(),
        }
    }
    /// The amount.
    pub fn amount(&self) -> Decimal {
        self.amount.0
    }
}

impl Default for Money {
    fn default() -> Self {
        Self::brl(Decimal::ZERO)
    }
}

/// `99.95 BRL`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// Parses `99.95 BRL` (or a bare amount, taken as BRL).
impl FromStr for Money {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let mut parts = s.split_whitespace();
        let (Some(amount), currency, None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ParseError::new(
                "an amount and an optional currency code (99.95 BRL)",
                s,
                "",
            ));
        };
        let amount: DecimalNumber = amount.parse()?;
        let currency = currency.unwrap_or("BRL");
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ParseError::new("a 3-letter currency code", currency, ""));
        }
        Ok(Self {
            amount,
            currency: currency.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parses_amount_and_currency_and_names_what_is_wrong() {
        assert_eq!("99.95 BRL".parse(), Ok(Money::brl(dec!(99.95))));
        assert_eq!("99,95".parse(), Ok(Money::brl(dec!(99.95))));
        let usd: Money = "1 USD".parse().unwrap();
        assert_eq!((usd.amount(), usd.currency.as_str()), (dec!(1), "USD"));
        assert_eq!(usd.to_string(), "1 USD");
        let shown = |s: &str| s.parse::<Money>().unwrap_err().to_string();
        assert_eq!(
            shown(""),
            "expected an amount and an optional currency code (99.95 BRL), found a blank value"
        );
        assert_eq!(shown("abc"), "expected a decimal number, found \"abc\"");
        assert_eq!(
            shown("1 usd"),
            "expected a 3-letter currency code, found \"usd\""
        );
        // Trailing words are refused, not ignored.
        assert_eq!(
            "1 BRL extra".parse::<Money>().unwrap_err().found(),
            "1 BRL extra"
        );
    }
}
