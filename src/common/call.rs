//! Running one generated call and turning its outcome into this crate's [`Error`].
//!
//! The hooks record what happened (attempts, last status, whether a write may have been
//! applied, why a token could not be had) in the call's scope; this module reads that record to
//! build an error that names the provider, the operation and, for a payload that does not match
//! the spec, the JSON path of the bad value. The path is found by decoding again with
//! `serde_path_to_error`, only when decoding failed, so the happy path pays nothing.

use std::future::Future;

use progenitor_client::{Error as GenError, ResponseValue};
use serde::de::DeserializeOwned;

use crate::common::drift;
use crate::common::error::{Error, ErrorKind, Provider, ProviderError, excerpt};
use crate::common::ops::Operation;
use crate::common::runtime::{CallScope, Overrides, Refusal, Report, Runtime};
use crate::common::secret::TransportError;
use crate::common::shapes;
use tokio::task::futures::TaskLocalFuture;

/// Turns a provider's typed error body into a [`ProviderError`].
pub(crate) trait ErrorBody {
    /// Builds the error for an answer with `status`.
    fn into_provider_error(self, status: u16) -> ProviderError;
}

impl ErrorBody for () {
    fn into_provider_error(self, status: u16) -> ProviderError {
        ProviderError::new(status, "")
    }
}

/// What a write got back from the provider. Any success status means the write went through;
/// an answer that does not have the documented shape is given back raw ([`Written::Unread`]),
/// never reported as a failure.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Written<T> {
    /// Stored; the provider's answer, decoded.
    Stored(T),
    /// The provider changed nothing because what was sent equals what it holds (PluggTo's
    /// `not_updated`).
    Unchanged {
        /// The provider's explanation.
        message: String,
    },
    /// The provider answered with a success status (the write went through) but its answer is
    /// not what the spec describes; a warning was logged.
    Unread(Unread),
}

/// A success answer that did not have the documented shape.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unread {
    /// The status the provider sent.
    pub status: u16,
    /// The whole body, as text (its `Debug` shows an excerpt).
    pub body: String,
    /// Why it could not be read (the JSON path and what was wrong).
    pub problem: String,
}

impl std::fmt::Debug for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unread")
            .field("status", &self.status)
            .field("body", &excerpt(self.body.as_bytes()))
            .field("problem", &self.problem)
            .finish()
    }
}

impl<T> Written<T> {
    /// The decoded answer, when there is one.
    pub fn stored(self) -> Option<T> {
        match self {
            Self::Stored(t) => Some(t),
            _ => None,
        }
    }
    /// The decoded answer, by reference.
    pub fn as_stored(&self) -> Option<&T> {
        match self {
            Self::Stored(t) => Some(t),
            _ => None,
        }
    }
    /// True when the provider changed nothing.
    pub fn is_unchanged(&self) -> bool {
        matches!(self, Self::Unchanged { .. })
    }
    /// Maps the decoded answer.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Written<U> {
        match self {
            Self::Stored(t) => Written::Stored(f(t)),
            Self::Unchanged { message } => Written::Unchanged { message },
            Self::Unread(u) => Written::Unread(u),
        }
    }
}

/// What a call came to: the decoded answer, or a success answer that did not decode.
enum Got<T> {
    Value(T),
    Unread(Unread),
}

/// Runs a generated call and maps its error. `op` names the operation for errors raised before
/// the request is built (the hooks name it otherwise); `None` takes it from the call's type.
pub(crate) fn run<'a, T, E, F>(
    rt: &'a Runtime,
    op: Option<&'static Operation>,
    overrides: Overrides,
    call: F,
) -> impl Future<Output = Result<T, Error>> + Send + 'a
where
    T: DeserializeOwned + Send + 'a,
    E: ErrorBody + Send + 'a,
    F: Future<Output = Result<ResponseValue<T>, GenError<E>>> + Send + 'a,
{
    // The generated future is held in place, not boxed: it is larger than the blocks glibc's
    // allocator serves from its per-thread cache, and a box of it takes the slow path (~1k
    // instructions per call, more than moving it into the caller's future; BENCHMARKS.md §1).
    Scoped::new(rt, op, overrides, call, Once, read_value)
}

/// Like [`run`], with the generated call made by `make`, which the facade calls again when a
/// safe call's answer breaks off in the middle of its body (the exec hook then hands such
/// answers on unread, and the generated code reads each body once instead of twice).
pub(crate) fn run_again<'a, T, E, F, G>(
    rt: &'a Runtime,
    op: Option<&'static Operation>,
    overrides: Overrides,
    mut make: G,
) -> impl Future<Output = Result<T, Error>> + Send + 'a
where
    T: DeserializeOwned + Send + 'a,
    E: ErrorBody + Send + 'a,
    F: Future<Output = Result<ResponseValue<T>, GenError<E>>> + Send + 'a,
    G: FnMut() -> F + Send + 'a,
{
    let call = make();
    Scoped::new(rt, op, overrides, call, Rerun(make), read_value)
}

/// `run`'s ending: a success answer that does not decode is an error.
fn read_value<T>(rt: &Runtime, op: Option<&'static Operation>, got: Got<T>) -> Result<T, Error> {
    match got {
        Got::Value(v) => Ok(v),
        Got::Unread(u) => Err(unread_error(rt, op, u)),
    }
}

/// Runs a generated write: a success status is never an error, whatever its body.
pub(crate) fn run_write<'a, T, E, F>(
    rt: &'a Runtime,
    op: Option<&'static Operation>,
    overrides: Overrides,
    call: F,
) -> impl Future<Output = Result<Written<T>, Error>> + Send + 'a
where
    T: DeserializeOwned + Send + 'a,
    E: ErrorBody + Send + 'a,
    F: Future<Output = Result<ResponseValue<T>, GenError<E>>> + Send + 'a,
{
    // Held in place, as in `run`.
    Scoped::new(rt, op, overrides, call, Once, |_, _, got| {
        Ok(match got {
            Got::Value(v) => Written::Stored(v),
            Got::Unread(u) => Written::Unread(u),
        })
    })
}

/// The operation of a generated call, from the type of its `send` future
/// (`...::builder::UpdateStock::send::{{closure}}` is `update_stock`); used only to name
/// errors raised before the hooks run.
pub(crate) fn operation_of<F>(rt: &Runtime) -> Option<&'static Operation> {
    let name = std::any::type_name::<F>();
    let builder = name.split("::builder::").nth(1)?.split([':', '<']).next()?;
    let mut id = String::with_capacity(builder.len() + 4);
    for (i, c) in builder.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            id.push('_');
        }
        id.push(c.to_ascii_lowercase());
    }
    (rt.operations)(&id)
}

/// A success answer that `run` cannot return as the asked-for type.
fn unread_error(rt: &Runtime, op: Option<&'static Operation>, u: Unread) -> Error {
    let name = op.map_or("unknown operation", |o| o.id);
    let write = op.is_some_and(Operation::is_write);
    let message = if write {
        format!(
            "the write was applied (status {}) but its answer could not be read ({}); `run_write` \
             gives such answers back raw; body: {}",
            u.status,
            u.problem,
            excerpt(u.body.as_bytes())
        )
    } else {
        format!("{}; body: {}", u.problem, excerpt(u.body.as_bytes()))
    };
    let e = Error::new(
        rt.provider,
        name,
        ErrorKind::Decode {
            path: String::new(),
            message,
        },
    );
    if write { e.applied() } else { e }
}

/// What `run` or `run_write` makes of a call's result.
type Finish<T, U> = fn(&Runtime, Option<&'static Operation>, Got<T>) -> Result<U, Error>;

/// The error mapping of a failed call, attempts included (boxed: rare, and its state would
/// otherwise sit in every call's future).
type Mapping<'a, T> = std::pin::Pin<Box<dyn Future<Output = Result<Got<T>, Error>> + Send + 'a>>;

/// Whether and how [`Scoped`] can make its generated call again.
trait Again<F> {
    /// It can (the exec hook may then hand answers on unread).
    const AGAIN: bool;
    /// The call, made again.
    fn again(&mut self) -> Option<F>;
}

/// A call given as a future: made once.
struct Once;

impl<F> Again<F> for Once {
    const AGAIN: bool = false;
    fn again(&mut self) -> Option<F> {
        None
    }
}

/// A call given as the closure that makes it.
struct Rerun<G>(G);

impl<F, G: FnMut() -> F> Again<F> for Rerun<G> {
    const AGAIN: bool = true;
    fn again(&mut self) -> Option<F> {
        Some((self.0)())
    }
}

/// The wait before a call is run again, giving back its scope (boxed: rare).
type Pause = std::pin::Pin<Box<dyn Future<Output = CallScope> + Send>>;

pin_project_lite::pin_project! {
    /// A generated call running in its scope: maps its error and hands what it came to to
    /// `finish`; runs the call again (`again`) when its answer broke off in the middle of the
    /// body and the retry rules allow it. Written by hand rather than as an `async fn` taking
    /// the call, whose future would hold the generated future twice (the argument and the
    /// awaited copy: rustc does not overlap them), ~4 KiB instead of ~2.
    struct Scoped<'a, F, T, E, U, A> {
        #[pin]
        call: TaskLocalFuture<CallScope, F>,
        rt: &'a Runtime,
        // Names the operation for errors the hooks did not see, else the call's type does
        // (only then).
        op: Option<&'static Operation>,
        again: A,
        finish: Finish<T, U>,
        pause: Option<Pause>,
        // The failure of the run before a run again, reported should the run again not be
        // sent (its pacing or credentials failed).
        last: Option<Box<GenError<E>>>,
        mapping: Option<Mapping<'a, T>>,
    }
}

impl<'a, F, T, E, U, A: Again<F>> Scoped<'a, F, T, E, U, A> {
    fn new(
        rt: &'a Runtime,
        op: Option<&'static Operation>,
        overrides: Overrides,
        call: F,
        again: A,
        finish: Finish<T, U>,
    ) -> Self
    where
        F: Future,
    {
        Self {
            call: CallScope::with(overrides, A::AGAIN).enter(call),
            rt,
            op,
            again,
            finish,
            pause: None,
            last: None,
            mapping: None,
        }
    }
}

impl<'a, F, T, E, U, A> Future for Scoped<'a, F, T, E, U, A>
where
    T: DeserializeOwned + Send + 'a,
    E: ErrorBody + Send + 'a,
    F: Future<Output = Result<ResponseValue<T>, GenError<E>>>,
    A: Again<F>,
{
    type Output = Result<U, Error>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::task::{Poll, ready};
        let mut this = self.project();
        let rt = *this.rt;
        loop {
            if let Some(mapping) = this.mapping.as_mut() {
                let mapped = ready!(mapping.as_mut().poll(cx));
                *this.mapping = None;
                return Poll::Ready(mapped.and_then(|got| (this.finish)(rt, *this.op, got)));
            }
            if let Some(pause) = this.pause.as_mut() {
                let scope = ready!(pause.as_mut().poll(cx));
                *this.pause = None;
                match this.again.again() {
                    Some(call) => this.call.set(scope.enter(call)),
                    None => unreachable!("only a call that can be made again pauses"),
                }
            }
            let result = ready!(this.call.as_mut().poll(cx));
            // A success needs nothing from the report (it goes with the scope).
            let e = match (result, this.last.take()) {
                (Ok(value), _) => {
                    return Poll::Ready((this.finish)(
                        rt,
                        *this.op,
                        Got::Value(value.into_inner()),
                    ));
                }
                // A run again that a hook stopped before it was sent: the call's error is the
                // last answer's, the report keeps the hook's error (as when the exec hook's own
                // retry is stopped).
                (Err(GenError::Custom(_)), Some(last)) => *last,
                (Err(e), _) => e,
            };
            let scope = this.call.as_mut().take_value();
            // Run the call again when the exec hook left a retry to the facade, or when a
            // success answer it handed on unread broke off in its body and the retry rules
            // allow another attempt (the hooks count its attempts with the earlier ones').
            let wait = match &scope {
                Some(scope) if A::AGAIN => {
                    let body_cut = match &e {
                        GenError::ResponseBodyError(cut) => Some(cut.is_timeout()),
                        _ => None,
                    };
                    scope.again_after(rt, body_cut)
                }
                _ => None,
            };
            let report = match (wait, scope) {
                (Some(wait), Some(scope)) => {
                    *this.pause = Some(Box::pin(async move {
                        tokio::time::sleep(wait).await;
                        scope
                    }));
                    *this.last = Some(Box::new(e));
                    continue;
                }
                (_, scope) => scope.map(CallScope::into_report).unwrap_or_default(),
            };
            let attempts = report.usual.attempts;
            let op = report
                .usual
                .operation
                .or(*this.op)
                .or_else(|| operation_of::<F>(rt));
            *this.op = op;
            *this.mapping = Some(Box::pin(async move {
                map_error::<T, E>(rt, op, e, report)
                    .await
                    .map_err(|e| e.with_attempts(attempts))
            }));
        }
    }
}

/// A failed generated call, owned and provider-independent: what [`classify`] needs.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A hook refused (credentials, pacing, idempotency key): the report holds the error.
    Hook(String),
    /// A builder refused its input before anything was sent.
    Invalid(String),
    /// The request or its answer got lost on the way.
    Transport {
        timeout: bool,
        source: TransportError,
    },
    /// An error status, with the provider's error as far as it could be read.
    Status { status: u16, body: ProviderError },
    /// A success status whose body did not decode.
    Payload {
        status: Option<u16>,
        bytes: bytes::Bytes,
        path: String,
        message: String,
    },
    /// A status the spec does not declare, with its body.
    Unexpected { status: u16, bytes: bytes::Bytes },
}

impl Failure {
    /// Reads a generated error (the answer's body included) into a `Failure`.
    async fn of<T: DeserializeOwned, E: ErrorBody>(error: GenError<E>, report: &Report) -> Self {
        match error {
            GenError::Custom(message) => Failure::Hook(message),
            GenError::InvalidRequest(message) => Failure::Invalid(message),
            GenError::CommunicationError(e)
            | GenError::ResponseBodyError(e)
            | GenError::InvalidUpgrade(e) => Failure::transport(&e),
            GenError::ErrorResponse(value) => {
                let status = value.status().as_u16();
                let body = value.into_inner().into_provider_error(status);
                Failure::Status { status, body }
            }
            GenError::InvalidResponsePayload(bytes, err) => {
                let (path, message) = decode_problem::<T>(&bytes, &err);
                Failure::Payload {
                    status: report.usual.last_status,
                    bytes,
                    path,
                    message,
                }
            }
            GenError::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(bytes) => Failure::Unexpected { status, bytes },
                    Err(e) => Failure::transport(&e),
                }
            }
        }
    }

    fn transport(e: &reqwest::Error) -> Self {
        Failure::Transport {
            timeout: e.is_timeout(),
            source: TransportError::new(e),
        }
    }
}

async fn map_error<T: DeserializeOwned, E: ErrorBody>(
    rt: &Runtime,
    op: Option<&'static Operation>,
    error: GenError<E>,
    report: Report,
) -> Result<Got<T>, Error> {
    let error = match error {
        // A success answer that did not decode: repaired by the spec's shapes, it may.
        GenError::InvalidResponsePayload(bytes, err)
            if report.usual.last_status.is_none_or(|s| s < 400) =>
        {
            match repair_decode::<T>(rt, op, &bytes) {
                Ok(value) => return Ok(Got::Value(value)),
                Err((path, message)) => {
                    let failure = Failure::Payload {
                        status: report.usual.last_status,
                        bytes,
                        path,
                        message: if message.is_empty() {
                            err.to_string()
                        } else {
                            message
                        },
                    };
                    return classify(rt, op, failure, report).map(Got::Unread);
                }
            }
        }
        other => other,
    };
    let failure = Failure::of::<T, E>(error, &report).await;
    classify(rt, op, failure, report).map(Got::Unread)
}

/// Decodes a success answer that failed to decode as `T` after repairing it by the spec's
/// shapes ([`shapes`]); or says where it fails once repaired (the path and the message).
fn repair_decode<T: DeserializeOwned>(
    rt: &Runtime,
    op: Option<&'static Operation>,
    bytes: &[u8],
) -> Result<T, (String, String)> {
    let mut value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return Err((String::new(), e.to_string())),
    };
    let repairs = repair_value(rt, op, &mut value);
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(t) => {
            note_repairs(rt, op, &repairs);
            Ok(t)
        }
        Err(e) => {
            let (path, message) = (e.path().to_string(), e.inner().to_string());
            note_rejected(rt, op, bytes, &path, &message);
            Err((path, message))
        }
    }
}

/// Records an answer that does not decode, even once repaired, for drift detection (the JSON
/// type at `path` is read from the answer as sent).
fn note_rejected(
    rt: &Runtime,
    op: Option<&'static Operation>,
    bytes: &[u8],
    path: &str,
    message: &str,
) {
    let answer = serde_json::from_slice::<serde_json::Value>(bytes).ok();
    let value = answer.as_ref().and_then(|a| drift::value_at(a, path));
    rt.drift.rejected(op, path, value, message);
}

/// Repairs an answer of `op` in place by the spec's shapes; the repairs made.
fn repair_value(
    rt: &Runtime,
    op: Option<&'static Operation>,
    value: &mut serde_json::Value,
) -> Vec<shapes::Repair> {
    repair_by(rt.shapes, op.and_then(|o| o.response), value)
}

/// Repairs an answer whose body is the schema `root` in place by the shapes of `lookup`.
fn repair_by(
    lookup: shapes::Lookup,
    root: Option<&'static str>,
    value: &mut serde_json::Value,
) -> Vec<shapes::Repair> {
    let mut repairs = Vec::new();
    if let Some(kind) = root.and_then(|name| shapes::root_kind(lookup, name)) {
        shapes::repair(value, &kind, lookup, "", &mut repairs);
    }
    repairs
}

/// Decodes a success answer whose body is the schema `schema` as every read does: directly,
/// and when that fails, once more after repairing it by the spec's shapes (`lookup`, a
/// provider's `schemas::find`); or says where it fails (the JSON path and the message).
///
/// Unstable, for the crate's spec-driven tests (hidden feature `__internal`).
#[cfg(feature = "__internal")]
#[doc(hidden)]
pub fn decode_read<T: DeserializeOwned>(
    lookup: fn(&str) -> Option<&'static shapes::Shape>,
    schema: &'static str,
    bytes: &[u8],
) -> Result<T, (String, String)> {
    if let Ok(t) = serde_json::from_slice(bytes) {
        return Ok(t);
    }
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| (String::new(), e.to_string()))?;
    repair_by(lookup, Some(schema), &mut value);
    serde_path_to_error::deserialize::<_, T>(value)
        .map_err(|e| (e.path().to_string(), e.inner().to_string()))
}

/// Logs the repairs an answer needed (paths and classes, never values).
fn note_repairs(rt: &Runtime, op: Option<&'static Operation>, repairs: &[shapes::Repair]) {
    rt.drift.repaired(op, repairs);
    for r in repairs {
        tracing::debug!(
            provider = rt.provider.id(),
            operation = op.map_or("", |o| o.id),
            path = %r.path,
            variance = %r.class,
            "repaired a value the spec describes otherwise"
        );
    }
}

/// Runs a generated list call whose records are in the array at `items` (a JSON pointer such
/// as `/produtos` or `/data/products`) of the answer: when the answer does not decode even
/// once repaired, each record that still does not decode as `I` is taken out and reported as
/// an error of its own (with its JSON path, id and raw JSON), and the rest of the page is
/// decoded without it. A clean page is decoded directly, once.
pub(crate) fn run_list<L, I, E, F>(
    rt: &Runtime,
    op: &'static Operation,
    call: F,
    items: &'static str,
) -> impl Future<Output = Result<(L, Vec<Error>), Error>>
where
    L: DeserializeOwned,
    I: DeserializeOwned,
    E: ErrorBody,
    F: Future<Output = Result<ResponseValue<L>, GenError<E>>>,
{
    // Boxed at once: next to a page's decoding the box costs nothing, and a page future (held by
    // the streams) then does not hold the ~1.7 KiB generated future two or three times over
    // (an `async fn`'s argument is not overlapped with the locals it is moved into).
    read_list::<L, I, E, F>(rt, op, Box::pin(call), items)
}

async fn read_list<L, I, E, F>(
    rt: &Runtime,
    op: &'static Operation,
    call: std::pin::Pin<Box<F>>,
    items: &'static str,
) -> Result<(L, Vec<Error>), Error>
where
    L: DeserializeOwned,
    I: DeserializeOwned,
    E: ErrorBody,
    F: Future<Output = Result<ResponseValue<L>, GenError<E>>>,
{
    let (result, report) = CallScope::new(Overrides::default()).run(call).await;
    let attempts = report.usual.attempts;
    let error = match result {
        Ok(value) => return Ok((value.into_inner(), Vec::new())),
        Err(e) => e,
    };
    let op = report.usual.operation.or(Some(op));
    let bytes = match error {
        GenError::InvalidResponsePayload(bytes, _)
            if report.usual.last_status.is_none_or(|s| s < 400) =>
        {
            bytes
        }
        other => {
            return match map_error::<L, E>(rt, op, other, report).await {
                Ok(Got::Value(l)) => Ok((l, Vec::new())),
                Ok(Got::Unread(u)) => Err(unread_error(rt, op, u)),
                Err(e) => Err(e.with_attempts(attempts)),
            };
        }
    };
    let operation = op.map_or("unknown operation", |o| o.id);
    let page_error = |path: String, message: String| {
        let message = format!("{message}; body: {}", excerpt(&bytes));
        Error::new(rt.provider, operation, ErrorKind::Decode { path, message })
            .with_attempts(attempts)
    };
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return Err(page_error(String::new(), e.to_string())),
    };
    let repairs = repair_value(rt, op, &mut value);
    note_repairs(rt, op, &repairs);
    let mut rejected = Vec::new();
    if let Some(records) = value.pointer_mut(items).and_then(|v| v.as_array_mut()) {
        let field = items.trim_start_matches('/').replace('/', ".");
        let mut kept = Vec::with_capacity(records.len());
        for (index, record) in std::mem::take(records).into_iter().enumerate() {
            match decode_traced::<I>(&record) {
                Ok(_) => kept.push(record),
                Err(e) => {
                    let path = format!("{field}[{index}].{}", e.path());
                    let reason = e.inner().to_string();
                    tracing::warn!(
                        provider = rt.provider.id(),
                        operation,
                        path = %path,
                        reason = %crate::common::secret::without_values(&reason),
                        "a record of the page does not decode; it is left out of the page"
                    );
                    let at = drift::value_at(&record, &e.path().to_string());
                    rt.drift.rejected(op, &path, at, &reason);
                    let id = record_id(&record);
                    rejected.push(
                        Error::new(
                            rt.provider,
                            operation,
                            ErrorKind::Decode {
                                path,
                                message: reason,
                            },
                        )
                        .with_record(index, id, record.to_string()),
                    );
                }
            }
        }
        *records = kept;
    }
    match decode_traced::<L>(&value) {
        Ok(list) => Ok((list, rejected)),
        Err(e) => Err(page_error(e.path().to_string(), e.inner().to_string())),
    }
}

/// Decodes `value` as `T` with plain serde first, and traces the JSON path (which costs on
/// every field) only when that fails, to say where.
fn decode_traced<T: DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
    match <T as serde::Deserialize>::deserialize(value) {
        Ok(t) => Ok(t),
        Err(_) => serde_path_to_error::deserialize(value),
    }
}

/// The names a record's id goes by, in the order they are tried: the common ones, then
/// AppClubMais's (`id_pedido` for orders, `id_cliente` for members).
const RECORD_ID_KEYS: [&str; 6] = [
    "id",
    "codigo",
    "sku",
    "referencia",
    "id_pedido",
    "id_cliente",
];

/// The id of a record, when it has one it can be told by ([`RECORD_ID_KEYS`]), at its top or
/// inside its one wrapper (PluggTo's `{"Order": {...}}`).
fn record_id(record: &serde_json::Value) -> Option<String> {
    let of = |v: &serde_json::Value| {
        RECORD_ID_KEYS.iter().find_map(|k| match v.get(k)? {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    of(record).or_else(|| match record.as_object() {
        Some(m) if m.len() == 1 => m.values().next().and_then(of),
        _ => None,
    })
}

/// What a failed call amounts to: a success answer that did not decode (for a write: the
/// [`Unread`] it is), or this crate's error built from the report of the hooks.
pub(crate) fn classify(
    rt: &Runtime,
    op: Option<&'static Operation>,
    failure: Failure,
    mut report: Report,
) -> Result<Unread, Error> {
    let p = rt.provider;
    let operation = op.map_or("unknown operation", |o| o.id);
    let write = op.is_some_and(Operation::is_write);
    let maybe = report.may_have_been_applied;
    let mark = |e: Error| if maybe { e.maybe_applied() } else { e };
    if let Some(refusal) = report.refused.take() {
        let kind = match refusal {
            Refusal::TooLarge { .. } => ErrorKind::TooLarge {
                limit: rt.max_answer_size,
            },
            Refusal::Redirect { status, host } => ErrorKind::Redirect {
                status,
                target: host,
            },
            Refusal::Followed { host } => ErrorKind::Redirect {
                status: 0,
                target: host,
            },
        };
        return Err(mark(Error::new(p, operation, kind)));
    }
    let e = match failure {
        Failure::Hook(message) => report
            .hook_error
            .take()
            .map(|e| e.with_operation(operation))
            .unwrap_or_else(|| Error::new(p, operation, ErrorKind::Config { message })),
        Failure::Invalid(message) => {
            let field = builder_field(&message).unwrap_or("request").to_owned();
            Error::new(p, operation, ErrorKind::InvalidInput { field, message })
        }
        Failure::Transport { timeout, source } => {
            let kind = if timeout {
                ErrorKind::Timeout {
                    may_have_been_applied: maybe,
                }
            } else {
                ErrorKind::Transport {
                    may_have_been_applied: maybe,
                }
            };
            Error::new(p, operation, kind).with_source(source)
        }
        Failure::Status { status, body } => from_status(rt, operation, status, body, report),
        Failure::Payload { status, bytes, .. }
            if status
                .or(report.usual.last_status)
                .is_some_and(|s| s >= 400) =>
        {
            let status = status.or(report.usual.last_status).unwrap_or(400);
            let body = raw_provider_error(status, &bytes);
            from_status(rt, operation, status, body, report)
        }
        Failure::Payload {
            status,
            bytes,
            path,
            message,
        } => {
            let status = status.or(report.usual.last_status).unwrap_or(200);
            return unread(rt, operation, write, status, &bytes, path, message);
        }
        Failure::Unexpected { status, bytes } if status < 400 => {
            let message = format!("status {status}, which the spec does not declare");
            return unread(rt, operation, write, status, &bytes, String::new(), message);
        }
        Failure::Unexpected { status, bytes } => from_status(
            rt,
            operation,
            status,
            raw_provider_error(status, &bytes),
            report,
        ),
    };
    Err(mark(e))
}

/// A success answer that did not decode: for a write, the success it is (with a warning); for a
/// read, a decode error naming the JSON path.
fn unread(
    rt: &Runtime,
    operation: &'static str,
    write: bool,
    status: u16,
    bytes: &[u8],
    path: String,
    message: String,
) -> Result<Unread, Error> {
    if write {
        let problem = if path.is_empty() {
            message
        } else {
            format!("at `{path}`: {message}")
        };
        tracing::warn!(
            provider = rt.provider.id(),
            operation,
            status,
            problem = %problem,
            "the write went through but its answer does not have the documented shape"
        );
        return Ok(Unread {
            status,
            body: String::from_utf8_lossy(bytes).into_owned(),
            problem,
        });
    }
    let message = format!("{message}; body: {}", excerpt(bytes));
    Err(Error::new(
        rt.provider,
        operation,
        ErrorKind::Decode { path, message },
    ))
}

fn from_status(
    rt: &Runtime,
    operation: &'static str,
    status: u16,
    body: ProviderError,
    mut report: Report,
) -> Error {
    let p = rt.provider;
    if rt.auth_statuses.contains(&status) {
        // A renewal that failed after the 401 says more than the 401 itself.
        if let Some(e) = report.hook_error.take() {
            return e.with_operation(operation);
        }
        return Error::new(
            p,
            operation,
            ErrorKind::Auth {
                status: Some(status),
                message: body.message,
            },
        );
    }
    if status == 429 {
        return Error::new(
            p,
            operation,
            ErrorKind::RateLimited {
                retry_after: report.retry_after,
            },
        );
    }
    let body = ProviderError {
        body: body.body.or_else(|| report.error_body.take()),
        ..body
    };
    Error::new(p, operation, ErrorKind::Provider(body))
}

/// An error answer whose body is not the documented error shape: keep its text.
pub(crate) fn raw_provider_error(status: u16, bytes: &[u8]) -> ProviderError {
    let message = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| message_in(&v))
        .unwrap_or_else(|| excerpt(bytes).trim().to_owned());
    ProviderError {
        status,
        message,
        body: Some(excerpt(bytes)),
        ..ProviderError::default()
    }
}

/// The first message-like string in a JSON error body.
pub(crate) fn message_in(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(map) => [
            "message",
            "error",
            "erro",
            "mensagem",
            "error_description",
            "msg",
        ]
        .iter()
        .find_map(|k| map.get(*k).and_then(message_in)),
        _ => None,
    }
}

/// What a command of the generated command-line interface came to (feature `cli`, for the
/// `brc` package): run it with the client's `run_generated`, and call [`capture`] from the
/// command config's `error` callback.
#[cfg(feature = "cli")]
#[doc(hidden)]
#[derive(Debug)]
pub enum Outcome {
    /// The provider answered as documented.
    Done,
    /// A write the provider answered with a success status whose body is not the documented
    /// one.
    Unread(Unread),
    /// The call failed.
    Failed(Error),
}

/// Keeps what a generated command's call failed with, for `run_generated` (call it from the
/// command config's `error` callback, which runs inside the call). `read` builds the provider's
/// error from an error answer's body ([`provider_error_as`] with the provider's error type, so
/// codes such as PluggTo's `not_updated` are read as the facades read them).
#[cfg(feature = "cli")]
pub(crate) fn capture_with<T: serde::Serialize>(
    error: &GenError<T>,
    read: fn(u16, &[u8]) -> ProviderError,
) {
    let failure = match error {
        GenError::Custom(m) => Failure::Hook(m.clone()),
        GenError::InvalidRequest(m) => Failure::Invalid(m.clone()),
        GenError::CommunicationError(e)
        | GenError::ResponseBodyError(e)
        | GenError::InvalidUpgrade(e) => Failure::transport(e),
        GenError::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let bytes = serde_json::to_vec(&**value).unwrap_or_default();
            Failure::Status {
                status,
                body: read(status, &bytes),
            }
        }
        GenError::InvalidResponsePayload(bytes, err) => Failure::Payload {
            status: None,
            bytes: bytes.clone(),
            path: String::new(),
            message: err.to_string(),
        },
        GenError::UnexpectedResponse(response) => Failure::Unexpected {
            status: response.status().as_u16(),
            bytes: bytes::Bytes::new(),
        },
    };
    crate::common::runtime::with_report(|r| r.captured = Some(failure));
}

/// [`capture_with`] reading error bodies as raw JSON (the first message-like field, no code).
#[cfg(feature = "cli")]
#[doc(hidden)]
pub fn capture<T: serde::Serialize>(error: &GenError<T>) {
    capture_with(error, raw_provider_error);
}

/// The provider's error of an error answer, read as the error type `E` (the provider's
/// documented error body) when it is one, else from the raw body.
#[cfg(feature = "cli")]
pub(crate) fn provider_error_as<E: ErrorBody + DeserializeOwned>(
    status: u16,
    bytes: &[u8],
) -> ProviderError {
    match serde_json::from_slice::<E>(bytes) {
        Ok(body) => body.into_provider_error(status),
        Err(_) => raw_provider_error(status, bytes),
    }
}

/// Runs a generated command in a call scope and says what its call came to.
#[cfg(feature = "cli")]
pub(crate) async fn run_generated<F: Future>(rt: &Runtime, command: F) -> (F::Output, Outcome) {
    let (output, mut report) = CallScope::new(Overrides::default()).run(command).await;
    let outcome = match report.captured.take() {
        None => Outcome::Done,
        Some(failure) => {
            let attempts = report.usual.attempts;
            let op = report.usual.operation;
            match classify(rt, op, failure, report) {
                Ok(unread) => Outcome::Unread(unread),
                Err(e) => Outcome::Failed(e.with_attempts(attempts)),
            }
        }
    };
    (output, outcome)
}

/// Why `bytes` did not decode as `T`: the JSON path (empty when unknown) and the message.
fn decode_problem<T: DeserializeOwned>(
    bytes: &[u8],
    original: &serde_json::Error,
) -> (String, String) {
    decode_path::<T>(bytes).unwrap_or_else(|| (String::new(), original.to_string()))
}

/// Decodes `bytes` as `T` again to find where it fails.
pub(crate) fn decode_path<T: DeserializeOwned>(bytes: &[u8]) -> Option<(String, String)> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(_) => None,
        Err(e) => Some((e.path().to_string(), e.inner().to_string())),
    }
}

/// The field a generated builder complained about. Builders say `conversion to `T` for <param>
/// failed: ...`, and typify's struct builders `error converting supplied value for <field>: ...`
/// or `no value supplied for <field>`.
pub(crate) fn builder_field(message: &str) -> Option<&str> {
    for marker in ["supplied value for ", "no value supplied for "] {
        if let Some((_, rest)) = message.rsplit_once(marker) {
            return rest.split([':', ' ']).next().filter(|f| !f.is_empty());
        }
    }
    let after = message.split_once(" for ")?.1;
    Some(after.split_once(" failed")?.0)
}

/// A token endpoint's refusal as an authentication failure (the grant was refused, whatever
/// the status).
#[allow(
    dead_code,
    reason = "token-auth machinery: unused in a build without a provider that authenticates with tokens"
)]
pub(crate) fn token_refused(e: Error) -> Error {
    match e.kind() {
        ErrorKind::Provider(p) => {
            let kind = ErrorKind::Auth {
                status: Some(p.status),
                message: p.message.clone(),
            };
            Error::new(e.provider(), e.operation().to_owned(), kind).with_attempts(e.attempts())
        }
        _ => e,
    }
}

/// An OAuth 2 error body (`{error, error_description, message}`) as a [`ProviderError`]: the
/// first non-empty explanation is the message, `error` the code.
#[allow(
    dead_code,
    reason = "token-auth machinery: unused in a build without a provider that authenticates with tokens"
)]
pub(crate) fn oauth_error(
    status: u16,
    error: Option<String>,
    description: Option<String>,
    message: Option<String>,
) -> ProviderError {
    let text = [description, message, error.clone()]
        .into_iter()
        .flatten()
        .find(|m| !m.is_empty())
        .unwrap_or_default();
    ProviderError {
        status,
        message: text,
        code: error,
        ..ProviderError::default()
    }
}

/// A request body from anything convertible into it (a generated builder, the type itself),
/// refusing before anything is sent with the field the conversion named.
pub(crate) fn typed<T, B>(provider: Provider, value: B, op: &'static Operation) -> Result<T, Error>
where
    B: TryInto<T>,
    B::Error: std::fmt::Display,
{
    value.try_into().map_err(|e| {
        let message = e.to_string();
        let field = builder_field(&message).unwrap_or("body").to_owned();
        Error::new(provider, op.id, ErrorKind::InvalidInput { field, message })
    })
}

/// The methods every provider's `Client` facade has, written once: `builder`, `new`,
/// `with_options`, `stats`, `raw`, `run` and `run_write`, and the private `runtime`, `call` and
/// `call_write` the facade methods use. With `token_requests` as argument it adds that counter
/// too (providers whose token comes from an endpoint; the client has an `auth: TokenAuth`
/// field).
///
/// Invoked inside `impl Client` of a provider module where `Credentials`, `generated` and
/// `types` name the provider's items; the client derives `Clone` and has a
/// `raw: generated::Client` field.
macro_rules! facade_basics {
    (token_requests) => {
        $crate::common::call::facade_basics!();

        /// How many times the token endpoint was called (the token is cached for its lifetime
        /// and refreshed once for all concurrent calls).
        pub fn token_requests(&self) -> u64 {
            self.auth.fetch_count()
        }
    };
    () => {
        /// Starts configuring a client.
        pub fn builder(credentials: Credentials) -> $crate::common::config::Builder<Credentials> {
            $crate::common::config::Builder::new(credentials)
        }

        /// A client with the default settings: production URL, pacing to the provider's
        /// published quotas (if it publishes any), standard retries.
        ///
        /// # Errors
        /// As `Builder::build`.
        pub fn new(credentials: Credentials) -> $crate::common::error::Result<Self> {
            Self::builder(credentials).build()
        }

        /// A handle whose calls use `options` (timeout, retry policy, idempotency key), calls
        /// through its [`raw`](Self::raw) client included; it shares everything else (token,
        /// pool, pacing, counters) with this one. A key in `options` is for one write: see
        /// [`CallOptions`]($crate::CallOptions).
        // Some clients hold nothing but `raw`, others more.
        #[allow(clippy::needless_update)]
        pub fn with_options(&self, options: $crate::common::runtime::CallOptions) -> Self {
            let runtime = self.raw.inner.with_options(options);
            Self {
                raw: generated::Client::new_with_client(
                    &self.raw.baseurl,
                    self.raw.client.clone(),
                    std::sync::Arc::new(runtime),
                ),
                ..self.clone()
            }
        }

        /// Requests, retries and throttling seen by this client and its clones.
        pub fn stats(&self) -> $crate::common::runtime::StatsSnapshot {
            self.runtime().stats()
        }

        /// What the provider sent that the spec does not describe, as seen by this client and
        /// its clones so far: unknown fields and enum values in the sampled answers, repairs
        /// and rejected records ([`drift`]($crate::common::drift); sampling set with
        /// `Builder::drift_sampling`). Write it with
        /// [`DriftReport::write_ndjson`]($crate::common::drift::DriftReport::write_ndjson) for
        /// `scripts/spec-drift`.
        pub fn drift(&self) -> $crate::common::drift::DriftReport {
            self.runtime().drift.report()
        }

        /// The generated client: every operation of the spec, for anything this facade does
        /// not wrap. Its calls get the same credentials, pacing, retries, size limit and
        /// tracing; run them with [`run`](Self::run) (or [`run_write`](Self::run_write)) to
        /// get this crate's errors.
        pub fn raw(&self) -> &generated::Client {
            &self.raw
        }

        /// Runs a call of the generated client ([`raw`](Self::raw)) and returns its answer,
        /// with errors as [`Error`]($crate::Error) naming the operation.
        ///
        /// # Errors
        /// Any [`ErrorKind`]($crate::ErrorKind). A write whose success answer does not have the
        /// documented shape is an error here (with [`Error::was_applied`]($crate::Error::was_applied));
        /// use [`run_write`](Self::run_write) for writes.
        pub fn run<'a, T, F>(
            &'a self,
            call: F,
        ) -> impl std::future::Future<Output = $crate::common::error::Result<T>> + Send + 'a
        where
            T: serde::de::DeserializeOwned + Send + 'a,
            F: std::future::Future<
                    Output = std::result::Result<
                        progenitor_client::ResponseValue<T>,
                        progenitor_client::Error<types::Error>,
                    >,
                > + Send
                + 'a,
        {
            // Not an `async fn`: its future would hold the call twice (see `call::Scoped`).
            $crate::common::call::run(self.runtime(), None, Default::default(), call)
        }

        /// Runs a write of the generated client: any success status is a success, and an
        /// answer that does not have the documented shape comes back raw
        /// ([`Written::Unread`]($crate::Written::Unread)) instead of failing the call.
        ///
        /// # Errors
        /// Any [`ErrorKind`]($crate::ErrorKind) but a success status.
        pub fn run_write<'a, T, F>(
            &'a self,
            call: F,
        ) -> impl std::future::Future<Output = $crate::common::error::Result<$crate::Written<T>>>
        + Send
        + 'a
        where
            T: serde::de::DeserializeOwned + Send + 'a,
            F: std::future::Future<
                    Output = std::result::Result<
                        progenitor_client::ResponseValue<T>,
                        progenitor_client::Error<types::Error>,
                    >,
                > + Send
                + 'a,
        {
            $crate::common::call::run_write(self.runtime(), None, Default::default(), call)
        }

        pub(crate) fn runtime(&self) -> &$crate::common::runtime::Runtime {
            &self.raw.inner
        }

        /// Runs a command of the generated command-line interface (feature `cli`, for the
        /// `brc` package) and says what its call came to.
        #[cfg(feature = "cli")]
        #[doc(hidden)]
        pub async fn run_generated<F: std::future::Future>(
            &self,
            command: F,
        ) -> (F::Output, $crate::common::call::Outcome) {
            $crate::common::call::run_generated(self.runtime(), command).await
        }

        /// Runs the generated call of `op` that `make` makes, with this handle's options;
        /// `make` is called again should a safe call's answer break off in its body.
        pub(crate) fn call<'a, T, F, G>(
            &'a self,
            op: &'static $crate::common::ops::Operation,
            make: G,
        ) -> impl std::future::Future<Output = $crate::common::error::Result<T>> + 'a
        where
            T: serde::de::DeserializeOwned + Send + 'a,
            F: std::future::Future<
                    Output = std::result::Result<
                        progenitor_client::ResponseValue<T>,
                        progenitor_client::Error<types::Error>,
                    >,
                > + Send
                + 'a,
            G: FnMut() -> F + Send + 'a,
        {
            $crate::common::call::run_again(self.runtime(), Some(op), Default::default(), make)
        }

        /// Runs a generated write of `op` with this handle's options and `overrides`.
        #[allow(dead_code)]
        pub(crate) fn call_write<'a, T, F>(
            &'a self,
            op: &'static $crate::common::ops::Operation,
            overrides: $crate::common::runtime::Overrides,
            fut: F,
        ) -> impl std::future::Future<Output = $crate::common::error::Result<$crate::Written<T>>> + 'a
        where
            T: serde::de::DeserializeOwned + Send + 'a,
            F: std::future::Future<
                    Output = std::result::Result<
                        progenitor_client::ResponseValue<T>,
                        progenitor_client::Error<types::Error>,
                    >,
                > + Send
                + 'a,
        {
            $crate::common::call::run_write(self.runtime(), Some(op), overrides, fut)
        }
    };
}
pub(crate) use facade_basics;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_name_from_builder_message() {
        assert_eq!(
            builder_field("conversion to `String` for codigo failed: x"),
            Some("codigo")
        );
        assert_eq!(builder_field("something else"), None);
        assert_eq!(
            builder_field(
                "conversion to `ProductCreate` for body failed: error converting supplied value for nome: longer than 100 characters"
            ),
            Some("nome")
        );
        assert_eq!(builder_field("no value supplied for preco"), Some("preco"));
    }

    #[test]
    fn message_from_common_error_bodies() {
        let v =
            serde_json::json!({"success": false, "error": "Cliente não encontrado.", "code": 404});
        assert_eq!(message_in(&v).as_deref(), Some("Cliente não encontrado."));
        let v = serde_json::json!({"message": "Unauthenticated."});
        assert_eq!(message_in(&v).as_deref(), Some("Unauthenticated."));
    }
}
