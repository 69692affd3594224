//! The one error type of the crate, shared by every provider.
//!
//! Every failure names the provider and the operation (the spec's `operationId`) and says what
//! kind of failure it was, so a sync job can decide what to do without parsing text. Secrets
//! never appear: transport errors are stored without their URL (PluggTo puts its token in the
//! query string) and response bodies are shortened.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

pub use crate::Provider;

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed call. See [`ErrorKind`] for what went wrong.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    provider: Provider,
    operation: Cow<'static, str>,
    kind: ErrorKind,
    attempts: u32,
    applied: Applied,
    record: Option<Box<Record>>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// A record of a list page that did not decode, left out of the page (see
/// [`Error::record`]).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// Its position in the page, from 0.
    pub index: usize,
    /// Its id (`id`, `codigo`, `sku` or `referencia`), when it has one.
    pub id: Option<String>,
    /// The record as the provider sent it (JSON), to log, skip or fix; it may hold personal
    /// data, so its `Debug` shows its length only.
    pub raw: String,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("index", &self.index)
            .field("id", &self.id)
            .field("raw", &format_args!("{} bytes", self.raw.len()))
            .finish()
    }
}

/// What is known of whether a failed write took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    /// It did not, or the call was not a write.
    No,
    /// Its answer was lost: it may have.
    Maybe,
    /// The provider answered with a success status.
    Yes,
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request could not be sent or the answer could not be read (connection refused or
    /// reset, DNS, TLS, body cut short).
    Transport {
        /// True when the request was a write that may have reached the provider and whose
        /// answer was lost (it was not repeated, or every repetition failed too): check before
        /// sending it again, unless it is safe to repeat.
        may_have_been_applied: bool,
    },
    /// No answer in time.
    Timeout {
        /// As for [`ErrorKind::Transport`].
        may_have_been_applied: bool,
    },
    /// Credentials were refused or could not be obtained.
    Auth {
        /// HTTP status, when the provider answered.
        status: Option<u16>,
        /// What the provider (or the token exchange) said.
        message: String,
    },
    /// The provider's rate limit was hit and retrying did not get through.
    RateLimited {
        /// How long the provider asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// The provider answered with an error.
    Provider(ProviderError),
    /// The provider's answer did not have the documented shape.
    Decode {
        /// JSON path of the value that failed (e.g. `produtos[3].preco`).
        path: String,
        /// What was wrong with it.
        message: String,
    },
    /// The caller's input was refused before anything was sent.
    InvalidInput {
        /// The offending field (or argument).
        field: String,
        /// Why it was refused.
        message: String,
    },
    /// A lookup found nothing (e.g. no order with this code).
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// The client is not configured correctly (e.g. a plain-HTTP base URL for a remote host).
    Config {
        /// What is wrong.
        message: String,
    },
    /// The store shared by several instances of a service (Redis: tokens, quotas) could not be
    /// reached and the client is configured to fail closed rather than act alone.
    SharedState {
        /// What failed (never the store's address or password).
        message: String,
    },
    /// The answer was a redirect to another origin (another host or port, or from HTTPS to
    /// HTTP). It was not followed, so the credentials were not sent there.
    Redirect {
        /// The redirect's status (e.g. 302).
        status: u16,
        /// Where it pointed: scheme, host and port only (no path or query).
        target: String,
    },
    /// The answer's body was larger than the client's limit (`Builder::max_answer_size`); the
    /// connection was dropped after the limit.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
}

/// An error answer from a provider.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ProviderError {
    /// HTTP status.
    pub status: u16,
    /// The provider's error code or type, when it sends one (e.g. PluggTo `not_updated`).
    pub code: Option<String>,
    /// The provider's message.
    pub message: String,
    /// Field validation errors, when the provider lists them.
    pub fields: Vec<FieldError>,
    /// The response body, shortened to a few kilobytes.
    pub body: Option<String>,
}

impl ProviderError {
    /// An error answer with a status and a message.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            ..Self::default()
        }
    }
}

/// Validation messages for one input field, as a person can read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field the provider named.
    pub field: String,
    /// Its messages.
    pub messages: Vec<String>,
}

impl Error {
    /// A new error of `kind` for `operation` of `provider`.
    pub fn new(
        provider: Provider,
        operation: impl Into<Cow<'static, str>>,
        mut kind: ErrorKind,
    ) -> Self {
        // A provider (or anything in between) may put a whole page in its message: keep an
        // excerpt, so that an error stays one short line (the body excerpt is kept apart).
        match &mut kind {
            ErrorKind::Auth { message, .. }
            | ErrorKind::Decode { message, .. }
            | ErrorKind::Config { message }
            | ErrorKind::SharedState { message } => shorten(message),
            ErrorKind::Provider(p) => {
                shorten(&mut p.message);
                for f in &mut p.fields {
                    f.messages.truncate(MAX_FIELD_MESSAGES);
                    f.messages.iter_mut().for_each(shorten);
                }
            }
            _ => {}
        }
        Self {
            inner: Box::new(Inner {
                provider,
                operation: operation.into(),
                kind,
                attempts: 1,
                applied: Applied::No,
                record: None,
                source: None,
            }),
        }
    }

    /// Input refused before sending.
    pub fn invalid_input(
        provider: Provider,
        operation: impl Into<Cow<'static, str>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(
            provider,
            operation,
            ErrorKind::InvalidInput {
                field: field.into(),
                message: message.into(),
            },
        )
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts.max(1);
        self
    }

    pub(crate) fn with_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.inner.operation = operation.into();
        self
    }

    /// Attaches the record of a list page this error is about.
    pub(crate) fn with_record(mut self, index: usize, id: Option<String>, raw: String) -> Self {
        self.inner.record = Some(Box::new(Record { index, id, raw }));
        self
    }

    /// Marks a write whose answer was lost (it may have been applied).
    pub(crate) fn maybe_applied(mut self) -> Self {
        self.inner.applied = Applied::Maybe;
        self
    }

    /// Marks a write the provider answered with a success status.
    pub(crate) fn applied(mut self) -> Self {
        self.inner.applied = Applied::Yes;
        self
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.inner.provider
    }
    /// The operation (the spec's `operationId`).
    pub fn operation(&self) -> &str {
        &self.inner.operation
    }
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }
    /// How many requests were sent for this call (retries included).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }
    /// The HTTP status, when the provider answered.
    pub fn status(&self) -> Option<u16> {
        match &self.inner.kind {
            ErrorKind::Provider(p) => Some(p.status),
            ErrorKind::Auth { status, .. } => *status,
            ErrorKind::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
    /// The provider's error answer, if this is one.
    pub fn provider_error(&self) -> Option<&ProviderError> {
        match &self.inner.kind {
            ErrorKind::Provider(p) => Some(p),
            _ => None,
        }
    }
    /// Field validation errors, when the provider listed them.
    pub fn field_errors(&self) -> &[FieldError] {
        self.provider_error()
            .map(|p| p.fields.as_slice())
            .unwrap_or(&[])
    }
    /// True when the call was a write that may have been applied although the call failed
    /// (its answer was lost, or came from a gateway): check before sending it again, unless it
    /// is safe to repeat. Also true when [`Error::was_applied`] is.
    pub fn may_have_been_applied(&self) -> bool {
        self.inner.applied != Applied::No
            || matches!(
                self.inner.kind,
                ErrorKind::Transport {
                    may_have_been_applied: true
                } | ErrorKind::Timeout {
                    may_have_been_applied: true
                }
            )
    }
    /// The record of a list page that did not decode, when this error is about one: the page
    /// was read without it (its other records are in the page or stream).
    pub fn record(&self) -> Option<&Record> {
        self.inner.record.as_deref()
    }
    /// True when the provider answered the write with a success status, but the answer could
    /// not be given back as the type asked for (see `Client::write` for a call that gives such
    /// answers back raw instead of failing). Do not send the write again.
    pub fn was_applied(&self) -> bool {
        self.inner.applied == Applied::Yes
    }
    /// True for failures that may pass if the same call is made again later.
    pub fn is_transient(&self) -> bool {
        match &self.inner.kind {
            ErrorKind::Transport { .. }
            | ErrorKind::Timeout { .. }
            | ErrorKind::RateLimited { .. }
            | ErrorKind::SharedState { .. } => true,
            ErrorKind::Provider(p) => crate::common::retry::transient_status(p.status),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{} {}: ", i.provider, i.operation)?;
        match &i.kind {
            ErrorKind::Transport {
                may_have_been_applied,
            } => {
                f.write_str("request failed in transit")?;
                if let Some(src) = &i.source {
                    write!(f, " ({src})")?;
                }
                if *may_have_been_applied {
                    f.write_str("; it may have been applied, check before repeating it")?;
                }
                Ok(())
            }
            ErrorKind::Timeout {
                may_have_been_applied,
            } => {
                f.write_str("no answer in time")?;
                if *may_have_been_applied {
                    f.write_str("; it may have been applied, check before repeating it")?;
                }
                Ok(())
            }
            ErrorKind::Auth { status, message } => {
                f.write_str("authentication failed")?;
                if let Some(s) = status {
                    write!(f, " (status {s})")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            ErrorKind::RateLimited { retry_after } => {
                f.write_str("rate limited by the provider")?;
                if let Some(d) = retry_after {
                    write!(f, " (asked to wait {} s)", d.as_secs_f64())?;
                }
                Ok(())
            }
            ErrorKind::Provider(p) => {
                write!(f, "provider answered {}", p.status)?;
                if let Some(code) = &p.code {
                    write!(f, " [{code}]")?;
                }
                if !p.message.is_empty() {
                    write!(f, ": {}", p.message)?;
                }
                // One line: the first fields and messages (all of them are in `fields`).
                for field in p.fields.iter().take(5) {
                    write!(f, "; {}: ", field.field)?;
                    for (i, m) in field.messages.iter().take(3).enumerate() {
                        write!(f, "{}{m}", if i == 0 { "" } else { ", " })?;
                    }
                    if field.messages.len() > 3 {
                        write!(f, " (+{} more)", field.messages.len() - 3)?;
                    }
                }
                if p.fields.len() > 5 {
                    write!(f, "; (+{} more fields)", p.fields.len() - 5)?;
                }
                Ok(())
            }
            ErrorKind::Decode { path, message } => {
                write!(f, "unexpected answer at `{path}`: {message}")
            }
            ErrorKind::InvalidInput { field, message } => {
                write!(f, "invalid `{field}`: {message}")
            }
            ErrorKind::NotFound { what } => write!(f, "not found: {what}"),
            ErrorKind::Config { message } => write!(f, "configuration: {message}"),
            ErrorKind::SharedState { message } => {
                write!(f, "shared state store unavailable: {message}")
            }
            ErrorKind::Redirect { status, target } => write!(
                f,
                "the answer ({status}) redirects to another origin, {target}; not followed, so \
                 the credentials were not sent there"
            ),
            ErrorKind::TooLarge { limit } => write!(
                f,
                "the answer is larger than the client's limit of {limit} bytes; the connection \
                 was dropped"
            ),
        }?;
        match i.applied {
            Applied::Yes => {
                f.write_str("; the write was applied (success status), do not repeat it")?
            }
            Applied::Maybe
                if !matches!(
                    i.kind,
                    ErrorKind::Transport { .. } | ErrorKind::Timeout { .. }
                ) =>
            {
                f.write_str("; it may have been applied, check before repeating it")?
            }
            _ => {}
        }
        if let Some(r) = &i.record {
            match &r.id {
                Some(id) => write!(f, " (record {} of the page, id {id})", r.index)?,
                None => write!(f, " (record {} of the page)", r.index)?,
            }
        }
        if i.attempts > 1 {
            write!(f, " (after {} attempts)", i.attempts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Error")
            .field("provider", &i.provider)
            .field("operation", &i.operation)
            .field("kind", &i.kind)
            .field("attempts", &i.attempts)
            .field("applied", &i.applied)
            .field("record", &i.record)
            .field("source", &i.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// The longest message an error keeps, in bytes (then an excerpt and the full length).
const MAX_MESSAGE: usize = 300;
/// The most messages an error keeps per field.
const MAX_FIELD_MESSAGES: usize = 20;

/// Cuts a message longer than [`MAX_MESSAGE`] to an excerpt that says how long it was.
fn shorten(message: &mut String) {
    if message.len() <= MAX_MESSAGE {
        return;
    }
    let mut end = MAX_MESSAGE;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    let total = message.len();
    message.truncate(end);
    message.push_str(&format!("… ({total} bytes)"));
}

/// Shortens a response body for keeping in an error.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 2048;
    let text = String::from_utf8_lossy(body);
    if text.len() <= MAX {
        return text.into_owned();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], body.len())
}

/// Result type of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_message_is_kept_as_a_short_excerpt() {
        let huge = "é".repeat(600_000);
        let mut body = ProviderError::new(500, huge.clone());
        body.fields.push(FieldError {
            field: "items".into(),
            messages: vec![huge.clone(); 1000],
        });
        for kind in [
            ErrorKind::Provider(body),
            ErrorKind::Auth {
                status: Some(401),
                message: huge.clone(),
            },
            ErrorKind::Decode {
                path: "x".into(),
                message: huge.clone(),
            },
        ] {
            let e = Error::new(Provider::Pluggto, "get_order", kind);
            let shown = e.to_string();
            assert!(shown.len() < 2_000, "{} bytes", shown.len());
            assert!(shown.contains("(1200000 bytes)"), "{}", &shown[..200]);
            if let Some(p) = e.provider_error() {
                assert!(p.message.len() < 400);
                assert_eq!(p.fields[0].messages.len(), MAX_FIELD_MESSAGES);
            }
        }
    }

    #[test]
    fn errors_are_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn display_names_provider_operation_and_field() {
        let e = Error::invalid_input(
            Provider::Ecomdc,
            "update_stock",
            "estoque",
            "must not be negative",
        );
        assert_eq!(
            e.to_string(),
            "ecomDC update_stock: invalid `estoque`: must not be negative"
        );
    }
}
