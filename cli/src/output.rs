//! What `brc` prints: results as JSON (or captured for paging), errors as one short line.
//!
//! The generated commands report their results to [`Printer`] (a [`Sink`] of the library) and a
//! failed call to the library, which gives it back as a [`brcommerce::Error`] (provider, operation, kind, an excerpt of the
//! body), so `brc` prints the same errors a program using the library sees.

use std::fmt;
use std::io::Write;
use std::sync::Mutex;

use brcommerce::common::cli_glue::Sink;
use serde_json::Value;

/// What standard input is handed to the generated commands as (see `stdin_body` in main).
pub const STDIN_PATH: &str = "/dev/stdin";

/// The longest error line `brc` prints, in bytes, its `brc: ` included (a provider's error
/// body can be huge).
pub const MAX_LINE: usize = 300;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// Bad parameters or an operation that cannot do what was asked (exit code 2).
    Usage(String),
    /// The call failed (exit code 1; 2 when the library refused the input before sending).
    Call(brcommerce::Error),
    /// `--all-pages` printed every good record and reported these many rejected ones (exit 1).
    Rejected(usize),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Call(e) if matches!(e.kind(), brcommerce::ErrorKind::InvalidInput { .. }) => 2,
            Failure::Call(_) | Failure::Rejected(_) => 1,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage(m) => f.write_str(m),
            Failure::Call(e) => write!(f, "{e}"),
            Failure::Rejected(1) => f.write_str("1 record was rejected (see above)"),
            Failure::Rejected(n) => write!(f, "{n} records were rejected (see above)"),
        }
    }
}

/// `text` as one line of at most [`MAX_LINE`] bytes, with "stdin" for standard input's path.
pub fn line(text: &str) -> String {
    let text = stdin_named(text);
    let mut one: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    const CUT: &str = " […]";
    if one.len() > MAX_LINE {
        let mut end = MAX_LINE - CUT.len();
        while !one.is_char_boundary(end) {
            end -= 1;
        }
        one.truncate(end);
        one.push_str(CUT);
    }
    one
}

/// Prints `text` and a newline on standard output; a closed output (`| head`) is not an error.
pub fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"));
}

/// Says "stdin" where a message names the path standard input was read through.
pub fn stdin_named(text: &str) -> String {
    text.replace(STDIN_PATH, "stdin")
}

/// Receives the generated commands' results.
#[derive(Debug, Default)]
pub struct Printer {
    capture: bool,
    captured: Mutex<Option<Value>>,
    /// The status of a success answer without a documented body.
    empty: Mutex<Option<u16>>,
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

    /// The status of the last success answer that had no documented body.
    pub fn empty_answer(&self) -> Option<u16> {
        *self.empty.lock().ok()?
    }
}

impl Sink for Printer {
    fn item(&self, json: Value) {
        if self.capture {
            if let Ok(mut c) = self.captured.lock() {
                *c = Some(json);
            }
        } else {
            say(&serde_json::to_string_pretty(&json).unwrap_or_default());
        }
    }

    fn no_item(&self, status: u16) {
        if let Ok(mut e) = self.empty.lock() {
            *e = Some(status);
        }
    }
}
