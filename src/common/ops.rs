//! The operations of a provider's spec, as `build.rs` reads them.
//!
//! For every operation of `specs/<provider>.yaml` (the hand-written ones included), `build.rs`
//! emits a constant in the provider's `operations` module (e.g.
//! `brcommerce::ecomdc::operations::UPDATE_STOCK`) with its id, method, path, declared success
//! statuses and whether it may be sent again after its answer was lost ([`Retry`], from the
//! operation's `x-retry` extension). The runtime looks an operation up by the id progenitor hands
//! to the hooks, so what the spec says is what the client does.

use std::fmt;

/// Whether a request may be sent again when its answer was lost (a timeout, a reset connection,
/// a `502`/`503`/`504` after it may have reached the provider).
///
/// Declared per operation in the spec with `x-retry: safe | unsafe | with-idempotency-key`.
/// Without it, reads (`GET`, `HEAD`, `OPTIONS`) are [`Retry::Safe`], writes that carry an
/// `Idempotency-Key` parameter [`Retry::WithIdempotencyKey`] and every other write
/// [`Retry::Unsafe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Retry {
    /// Repeating it leaves the same state as sending it once (a read, setting an absolute value).
    Safe,
    /// Repeating it may apply it twice (creating, adding, a workflow step): it is sent once, and
    /// when its answer is lost the error says it may have been applied.
    Unsafe,
    /// Repeated only with the same `Idempotency-Key`, which the provider uses to drop duplicates.
    WithIdempotencyKey,
}

impl Retry {
    /// The spec's spelling (`safe`, `unsafe`, `with-idempotency-key`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Retry::Safe => "safe",
            Retry::Unsafe => "unsafe",
            Retry::WithIdempotencyKey => "with-idempotency-key",
        }
    }

    /// Whether a request of this class may be repeated, given whether it carries an
    /// idempotency key.
    pub const fn allows_repeat(self, has_idempotency_key: bool) -> bool {
        match self {
            Retry::Safe => true,
            Retry::Unsafe => false,
            Retry::WithIdempotencyKey => has_idempotency_key,
        }
    }
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The spec's `operationId` (errors and traces name it).
    pub id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template (`/item/{referencia}/estoque`).
    pub path: &'static str,
    /// Whether it may be sent again after its answer was lost.
    pub retry: Retry,
    /// The success statuses the spec declares, in the order it declares them.
    pub success: &'static [u16],
    /// The schema of the success answer's body (a component name of the spec), if it has one.
    pub response: Option<&'static str>,
}

impl Operation {
    /// True for anything but `GET`, `HEAD` and `OPTIONS`.
    pub fn is_write(&self) -> bool {
        !matches!(self.method, "GET" | "HEAD" | "OPTIONS")
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id)
    }
}

/// Finds an operation of one provider by id (the generated `operations::find`).
pub(crate) type Lookup = fn(&str) -> Option<&'static Operation>;
