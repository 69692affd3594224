//! What the receiver stores, what the handler gets, and the handler traits.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::fetch::Fetcher;
use crate::common::error::{Error, Provider};

/// What a handler returns when it failed; the event is tried again (see
/// [`Builder::retries`](super::Builder::retries)).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The endpoint an event arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Endpoint {
    /// ecomDC's callback (`evento=estoque` or `evento=pedido`), path `ecomdc`.
    #[serde(rename = "ecomdc-callback")]
    EcomdcCallback,
    /// A PluggTo notification, path `pluggto`.
    #[serde(rename = "pluggto-notification")]
    PluggtoNotification,
    /// PluggTo's freight quote request, path `pluggto/freight` (answered at once, never queued;
    /// it appears only in dead letters, for a malformed request).
    #[serde(rename = "pluggto-freight")]
    PluggtoFreight,
}

impl Endpoint {
    /// The provider that calls this endpoint.
    pub const fn provider(self) -> Provider {
        match self {
            Endpoint::EcomdcCallback => Provider::Ecomdc,
            Endpoint::PluggtoNotification | Endpoint::PluggtoFreight => Provider::Pluggto,
        }
    }
    /// The endpoint's path below the receiver's root (and below the path token, when one is
    /// used).
    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::EcomdcCallback => "ecomdc",
            Endpoint::PluggtoNotification => "pluggto",
            Endpoint::PluggtoFreight => "pluggto/freight",
        }
    }
}

/// The small record stored next to an event's raw body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// A unique id given on receipt.
    pub id: String,
    /// Where the event arrived.
    pub endpoint: Endpoint,
    /// When it arrived, milliseconds since the Unix epoch (the receiving instance's clock).
    pub received_at_ms: i64,
    /// The de-duplication key (provider, type, resource id, action, change set).
    pub key: String,
    /// Handler attempts that failed so far.
    pub failures: u32,
    /// The last failure, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl Envelope {
    /// When the event arrived.
    pub fn received_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(u64::try_from(self.received_at_ms).unwrap_or(0))
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A typed event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Payload {
    /// An ecomDC callback (stock or order).
    #[cfg(feature = "ecomdc")]
    Ecomdc(crate::ecomdc::callbacks::Callback),
    /// A PluggTo notification.
    #[cfg(feature = "pluggto")]
    Pluggto(crate::pluggto::types::Notification),
}

impl Payload {
    /// Types a stored body again (the endpoint's parser).
    pub(crate) fn parse(endpoint: Endpoint, raw: &[u8]) -> Result<Self, Error> {
        match endpoint {
            #[cfg(feature = "ecomdc")]
            Endpoint::EcomdcCallback => crate::ecomdc::callbacks::parse(raw).map(Payload::Ecomdc),
            #[cfg(feature = "pluggto")]
            Endpoint::PluggtoNotification => {
                crate::pluggto::parse_notification(raw).map(Payload::Pluggto)
            }
            other => Err(Error::new(
                other.provider(),
                "webhook",
                crate::ErrorKind::Config {
                    message: format!(
                        "events of `{}` cannot be handled by this build (its provider feature is off)",
                        other.path()
                    ),
                },
            )),
        }
    }
}

/// The resource an event names, read back from the provider by [`Event::fetch`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Resource {
    /// What an ecomDC callback names.
    #[cfg(feature = "ecomdc")]
    Ecomdc(crate::ecomdc::callbacks::Fetched),
    /// What a PluggTo notification names.
    #[cfg(feature = "pluggto")]
    Pluggto(crate::pluggto::Notified),
}

/// One event handed to the [`Handler`]: the typed payload, the raw body and its envelope.
pub struct Event {
    pub(crate) payload: Payload,
    pub(crate) envelope: Envelope,
    pub(crate) raw: Bytes,
    pub(crate) fetcher: Arc<Fetcher>,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("envelope", &self.envelope)
            .field("payload", &self.payload)
            .finish_non_exhaustive()
    }
}

impl Event {
    /// The typed payload.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }
    /// The body exactly as the provider sent it.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
    /// The stored envelope (id, endpoint, time of receipt, de-duplication key, failures).
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }
    /// This is the handler's `n`th attempt at the event (1 the first time).
    pub fn attempt(&self) -> u32 {
        self.envelope.failures + 1
    }

    /// Reads the resource the event names from the provider, through the client given to
    /// [`Builder::pluggto`](super::Builder::pluggto) / [`Builder::ecomdc`](super::Builder::ecomdc).
    ///
    /// Reads are shared: events about the same resource that arrived within the coalescing
    /// window ([`Builder::coalesce_window`](super::Builder::coalesce_window)) get the result of
    /// one read, which starts only after the last of them arrived (so it reflects every change
    /// they announce). A `skus` + `deleted` notification, a message or an invoice costs no read
    /// (see [`Notified`](crate::pluggto::Notified)).
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when no client was given for the
    /// provider, or the client's error for the read.
    pub async fn fetch(&self) -> Result<Resource, Error> {
        self.fetcher
            .fetch(&self.payload, self.envelope.received_at())
            .await
    }

    /// The event as one JSON object: `{id, endpoint, received_at, attempt, key, event}`, where
    /// `event` is the typed payload written back as JSON (what `brc listen` prints).
    pub fn to_json(&self) -> serde_json::Value {
        let event = match &self.payload {
            #[cfg(feature = "ecomdc")]
            Payload::Ecomdc(c) => {
                use crate::ecomdc::callbacks::Callback;
                match c {
                    Callback::Stock(s) => serde_json::to_value(s),
                    Callback::Order(o) => serde_json::to_value(o),
                    Callback::Unknown { payload, .. } => Ok(payload.clone()),
                }
            }
            #[cfg(feature = "pluggto")]
            Payload::Pluggto(n) => serde_json::to_value(n),
        };
        let received = chrono::DateTime::<chrono::Utc>::from(self.envelope.received_at());
        serde_json::json!({
            "id": self.envelope.id,
            "endpoint": self.envelope.endpoint,
            "received_at": received.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "attempt": self.attempt(),
            "key": self.envelope.key,
            "event": event.unwrap_or(serde_json::Value::Null),
        })
    }
}

/// Your code that acts on events. It runs from the queue, at least once per event: return
/// `Err` to have the event tried again later, `Ok` once it is done (make it idempotent; an
/// instance that stops mid-handler has its event run again elsewhere).
///
/// Write it as an `async fn` in your `impl`, or pass a closure
/// `|event: Event| async move { ... }`:
///
/// ```
/// use brcommerce::webhooks::{Event, Handler, HandlerError};
/// struct Printer;
/// impl Handler for Printer {
///     async fn handle(&self, event: Event) -> Result<(), HandlerError> {
///         println!("{}", event.to_json());
///         Ok(())
///     }
/// }
/// ```
///
/// The method returns `impl Future + Send` rather than a boxed future so that an `async fn`
/// needs no macro and no allocation in your code; the receiver boxes it once per event
/// internally (one allocation, next to a network round trip), which keeps the receiver itself
/// free of type parameters.
pub trait Handler: Send + Sync + 'static {
    /// Handles one event.
    fn handle(&self, event: Event) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

impl<F, Fut> Handler for F
where
    F: Fn(Event) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send,
{
    fn handle(&self, event: Event) -> impl Future<Output = Result<(), HandlerError>> + Send {
        self(event)
    }
}

/// A [`Handler`] behind a pointer.
pub(crate) trait DynHandler: Send + Sync + 'static {
    fn call(&self, event: Event) -> BoxFuture<'_, Result<(), HandlerError>>;
}

impl<H: Handler> DynHandler for H {
    fn call(&self, event: Event) -> BoxFuture<'_, Result<(), HandlerError>> {
        Box::pin(self.handle(event))
    }
}

/// Answers PluggTo's freight quote requests (see
/// [`Builder::freight`](super::Builder::freight)). An `Err` (its text becomes the answer's
/// `mensage`) or an answer later than the time limit is answered with PluggTo's documented
/// error body.
#[cfg(feature = "pluggto")]
pub trait FreightQuoter: Send + Sync + 'static {
    /// Quotes one request.
    fn quote(
        &self,
        request: crate::pluggto::types::FreightRequest,
    ) -> impl Future<Output = Result<crate::pluggto::types::FreightResponse, HandlerError>> + Send;
}

#[cfg(feature = "pluggto")]
impl<F, Fut> FreightQuoter for F
where
    F: Fn(crate::pluggto::types::FreightRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<crate::pluggto::types::FreightResponse, HandlerError>> + Send,
{
    fn quote(
        &self,
        request: crate::pluggto::types::FreightRequest,
    ) -> impl Future<Output = Result<crate::pluggto::types::FreightResponse, HandlerError>> + Send
    {
        self(request)
    }
}

#[cfg(feature = "pluggto")]
pub(crate) trait DynQuoter: Send + Sync + 'static {
    fn call(
        &self,
        request: crate::pluggto::types::FreightRequest,
    ) -> BoxFuture<'_, Result<crate::pluggto::types::FreightResponse, HandlerError>>;
}

#[cfg(feature = "pluggto")]
impl<Q: FreightQuoter> DynQuoter for Q {
    fn call(
        &self,
        request: crate::pluggto::types::FreightRequest,
    ) -> BoxFuture<'_, Result<crate::pluggto::types::FreightResponse, HandlerError>> {
        Box::pin(self.quote(request))
    }
}

/// An event the receiver gave up on, with what is needed to understand or replay it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The event's envelope (with the number of failed attempts).
    pub envelope: Envelope,
    /// The body: exactly as received when it was JSON (replay it with
    /// [`Receiver::requeue_dead_letters`](super::Receiver::requeue_dead_letters)); for a body
    /// that was not JSON, an excerpt with credential-like values redacted.
    pub body: String,
    /// Whether `body` is the exact body (false for the redacted excerpt of a malformed body).
    pub replayable: bool,
    /// Why: the decode error, or the handler's last error.
    pub error: String,
    /// When it was given up on, milliseconds since the Unix epoch.
    pub failed_at_ms: i64,
}
