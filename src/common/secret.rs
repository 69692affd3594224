//! Keeping credentials out of `Debug`, logs and errors.
//!
//! Credentials are held in [`secrecy::SecretString`]; header values carrying them are marked
//! sensitive; transport errors are rendered without their URL (PluggTo sends its token as the
//! `access_token` query parameter, and `reqwest` errors print the URL).

use std::error::Error as _;

use reqwest::header::HeaderValue;
pub use secrecy::{ExposeSecret, SecretString};

/// Query parameters whose values are credentials.
const SECRET_PARAMS: [&str; 6] = [
    "access_token",
    "refresh_token",
    "client_secret",
    "password",
    "code",
    "token",
];

/// A header value marked sensitive (hidden from `Debug` and HTTP/2 compression tables).
pub(crate) fn sensitive_header(
    value: &str,
) -> Result<HeaderValue, reqwest::header::InvalidHeaderValue> {
    let mut v = HeaderValue::from_str(value)?;
    v.set_sensitive(true);
    Ok(v)
}

/// Replaces the values of credential-like query parameters in any text (URLs, messages).
pub fn redact_query_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for name in SECRET_PARAMS {
            // Match `name=` only at a parameter boundary.
            if let Some(tail) = rest.strip_prefix(name).and_then(|t| t.strip_prefix('=')) {
                let boundary_ok = out.is_empty() || out.ends_with(['?', '&', ' ', '(', '"', '\'']);
                if boundary_ok {
                    out.push_str(name);
                    out.push_str("=[redacted]");
                    let end = tail
                        .find(|c: char| {
                            c == '&'
                                || c == '#'
                                || c.is_whitespace()
                                || c == ')'
                                || c == '"'
                                || c == '\''
                        })
                        .unwrap_or(tail.len());
                    rest = &tail[end..];
                    continue 'outer;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// A decoder's message without the values it quotes (`invalid type: string "Maria", expected
/// i64` becomes `invalid type: string "…", expected i64`): records hold personal data, and logs
/// keep the path and the reason only (`brc` reports rejected records with it).
pub fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    quote = Some(c);
                }
            }
        }
    }
    if quote.is_some() {
        out.push('…');
    }
    out
}

/// Describes a transport error without its URL and with any leftover secrets redacted.
pub(crate) fn redact_reqwest_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "failed reading the answer"
    } else if e.is_request() {
        "failed sending the request"
    } else {
        "transport error"
    };
    let mut text = String::from(kind);
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    redact_query_secrets(&text)
}

/// A transport error, kept as an error source without the request URL.
#[derive(Debug)]
pub(crate) struct TransportError(String);

impl TransportError {
    pub(crate) fn new(e: &reqwest::Error) -> Self {
        Self(redact_reqwest_error(e))
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TransportError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_secrets_are_redacted() {
        let text = "error for url (https://api.plugg.to/orders?access_token=abc123&limit=10)";
        let red = redact_query_secrets(text);
        assert_eq!(
            red,
            "error for url (https://api.plugg.to/orders?access_token=[redacted]&limit=10)"
        );
        assert_eq!(redact_query_secrets("no secrets here"), "no secrets here");
        // A parameter that merely ends with a secret's name is not touched.
        assert_eq!(redact_query_secrets("?xcode=1"), "?xcode=1");
    }

    #[test]
    fn decoder_messages_lose_their_values() {
        assert_eq!(
            without_values("invalid type: string \"Maria da Silva\", expected i64"),
            "invalid type: string \"…\", expected i64"
        );
        assert_eq!(
            without_values("invalid value: integer `529982247`, expected a CPF"),
            "invalid value: integer `…`, expected a CPF"
        );
        assert_eq!(without_values("missing field `id`"), "missing field `…`");
    }
}
