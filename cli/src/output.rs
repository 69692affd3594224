//! What `brc` prints: results as pretty JSON (or captured for paging), errors without secrets.

use std::fmt::Debug;
use std::sync::Mutex;

use brcommerce::common::secret::redact_query_secrets;
use progenitor_client::{Error, ResponseValue};
use serde::Serialize;
use serde_json::Value;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad parameters or an operation that cannot do what was asked (exit code 2).
    Usage(String),
    /// The provider call failed (exit code 1).
    Call(String),
}

/// Receives the generated commands' results.
#[derive(Debug, Default)]
pub struct Printer {
    capture: bool,
    captured: Mutex<Option<Value>>,
    failed: Mutex<Option<String>>,
}

impl Printer {
    /// Prints results as they come.
    pub fn print() -> Self {
        Self::default()
    }

    /// Keeps the result for the caller (paging).
    pub fn capture() -> Self {
        Self {
            capture: true,
            ..Self::default()
        }
    }

    /// The captured result.
    pub fn take(&self) -> Option<Value> {
        self.captured.lock().ok()?.take()
    }

    /// The failure the last call reported.
    pub fn failure(&self) -> Option<String> {
        self.failed.lock().ok()?.clone()
    }

    fn item<T: Serialize>(&self, value: &T) {
        let json = serde_json::to_value(value).unwrap_or(Value::Null);
        if self.capture {
            if let Ok(mut c) = self.captured.lock() {
                *c = Some(json);
            }
        } else {
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
    }

    fn fail<T: Serialize + Debug>(&self, error: &Error<T>) {
        let text = match error {
            Error::ErrorResponse(rv) => format!(
                "HTTP {}: {}",
                rv.status().as_u16(),
                serde_json::to_string(rv.as_ref()).unwrap_or_default()
            ),
            Error::UnexpectedResponse(r) => format!("unexpected HTTP {}", r.status().as_u16()),
            Error::InvalidRequest(m) => format!("invalid parameter: {m}"),
            other => redact_query_secrets(&other.to_string()),
        };
        if let Ok(mut f) = self.failed.lock() {
            *f = Some(text);
        }
    }
}

macro_rules! config {
    ($p:ident) => {
        // Implemented for a reference: a generated command owns its config, and the caller
        // keeps the printer to read what it captured.
        impl brcommerce::$p::cli::CliConfig for &Printer {
            fn success_item<T>(&self, value: &ResponseValue<T>)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
                self.item(value.as_ref());
            }
            fn success_no_item(&self, _value: &ResponseValue<()>) {
                self.item(&Value::Null);
            }
            fn error<T>(&self, value: &Error<T>)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
                self.fail(value);
            }
            fn list_start<T>(&self)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
            }
            fn list_item<T>(&self, value: &T)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
                self.item(value);
            }
            fn list_end_success<T>(&self)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
            }
            fn list_end_error<T>(&self, value: &Error<T>)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
                self.fail(value);
            }
        }
    };
}

config!(ecomdc);
config!(pluggto);
config!(appclubmais);
config!(connectplug);
