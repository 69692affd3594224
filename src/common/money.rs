//! Money as ConnectPlug sends it: `{"amount": 99.95, "currency": "BRL"}`, an amount in major
//! units (reais, not cents) and an ISO 4217 currency code. The amount is a decimal, never a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::common::lenient::DecimalNumber;

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
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split_whitespace();
        let amount = parts
            .next()
            .ok_or_else(|| "expected an amount".to_owned())?;
        let amount: DecimalNumber = amount.parse()?;
        let currency = parts.next().unwrap_or("BRL");
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "expected a 3-letter currency code, found {currency:?}"
            ));
        }
        Ok(Self {
            amount,
            currency: currency.to_owned(),
        })
    }
}
