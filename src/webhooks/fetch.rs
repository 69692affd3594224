//! Shared reads of the resources events name (item "coalescing" of the module docs).
//!
//! One slot per resource. A read is scheduled to start `window` after the event that asked
//! for it arrived; an event joins a slot only if the slot's read starts at or after its own
//! arrival, so a shared result always reflects the change the event announces. A finished
//! read stays available to such events for a few seconds (a retried handler or a queue that
//! lags behind), then is forgotten. Failed reads are not kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::OnceCell;

use super::event::{Payload, Resource};
use crate::common::error::{Error, ErrorKind, Provider};
use crate::common::lock;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    #[cfg(feature = "ecomdc")]
    Ecomdc(crate::ecomdc::callbacks::Route),
    #[cfg(feature = "pluggto")]
    Pluggto(crate::pluggto::webhook::Route),
}

type Shared = Result<Resource, (Provider, String, ErrorKind)>;

struct Slot {
    /// When the read starts (wall clock, comparable with the events' arrival).
    starts: SystemTime,
    cell: Arc<OnceCell<Shared>>,
    /// When a finished slot is forgotten.
    expires: Option<Instant>,
}

/// The clients and the slots.
pub(crate) struct Fetcher {
    #[cfg(feature = "ecomdc")]
    pub(crate) ecomdc: Option<crate::ecomdc::Client>,
    #[cfg(feature = "pluggto")]
    pub(crate) pluggto: Option<crate::pluggto::Client>,
    pub(crate) window: Duration,
    slots: Mutex<HashMap<Key, Slot>>,
    last_sweep: Mutex<Instant>,
    pub(crate) reads: AtomicU64,
    pub(crate) shared: AtomicU64,
}

/// How long a finished read stays available to events that arrived before it started.
const KEEP: Duration = Duration::from_secs(5);

impl Fetcher {
    pub(crate) fn new(window: Duration) -> Self {
        Self {
            #[cfg(feature = "ecomdc")]
            ecomdc: None,
            #[cfg(feature = "pluggto")]
            pluggto: None,
            window,
            slots: Mutex::new(HashMap::new()),
            last_sweep: Mutex::new(Instant::now()),
            reads: AtomicU64::new(0),
            shared: AtomicU64::new(0),
        }
    }

    pub(crate) async fn fetch(
        &self,
        payload: &Payload,
        received: SystemTime,
    ) -> Result<Resource, Error> {
        let key = match payload {
            #[cfg(feature = "ecomdc")]
            Payload::Ecomdc(c) => {
                let route = crate::ecomdc::callbacks::Route::of(c);
                if let crate::ecomdc::callbacks::Route::Unknown(_) = route {
                    // Nothing to read: answer without a client.
                    return self.read(Key::Ecomdc(route)).await.map_err(rebuild);
                }
                Key::Ecomdc(route)
            }
            #[cfg(feature = "pluggto")]
            Payload::Pluggto(n) => {
                use crate::pluggto::webhook::Route;
                let route = Route::of(n);
                if matches!(route, Route::DeletedSku(_) | Route::Unknown(_)) {
                    return self.read(Key::Pluggto(route)).await.map_err(rebuild);
                }
                Key::Pluggto(route)
            }
        };
        self.sweep();
        let (cell, starts, joined) = {
            let mut slots = lock(&self.slots);
            match slots.get(&key) {
                Some(slot) if slot.starts >= received => (slot.cell.clone(), slot.starts, true),
                _ => {
                    let starts = (received + self.window).max(SystemTime::now());
                    let cell = Arc::new(OnceCell::new());
                    slots.insert(
                        key.clone(),
                        Slot {
                            starts,
                            cell: cell.clone(),
                            expires: None,
                        },
                    );
                    (cell, starts, false)
                }
            }
        };
        if joined {
            self.shared.fetch_add(1, Ordering::Relaxed);
        }
        let result = cell
            .get_or_init(|| async {
                if let Ok(wait) = starts.duration_since(SystemTime::now()) {
                    tokio::time::sleep(wait).await;
                }
                let result = self.read(key.clone()).await;
                let mut slots = lock(&self.slots);
                if let Some(slot) = slots.get_mut(&key)
                    && Arc::ptr_eq(&slot.cell, &cell)
                {
                    if result.is_ok() {
                        slot.expires = Some(Instant::now() + KEEP.max(self.window));
                    } else {
                        slots.remove(&key);
                    }
                }
                result
            })
            .await;
        result.clone().map_err(rebuild)
    }

    async fn read(&self, key: Key) -> Shared {
        match key {
            #[cfg(feature = "ecomdc")]
            Key::Ecomdc(route) => {
                if let crate::ecomdc::callbacks::Route::Unknown(e) = route {
                    return Ok(Resource::Ecomdc(
                        crate::ecomdc::callbacks::Fetched::Unknown(e),
                    ));
                }
                let client = self
                    .ecomdc
                    .as_ref()
                    .ok_or_else(|| no_client(Provider::Ecomdc))?;
                self.reads.fetch_add(1, Ordering::Relaxed);
                client
                    .fetch_route(route)
                    .await
                    .map(Resource::Ecomdc)
                    .map_err(parts)
            }
            #[cfg(feature = "pluggto")]
            Key::Pluggto(route) => {
                use crate::pluggto::webhook::Route;
                if let Route::DeletedSku(sku) = route {
                    return Ok(Resource::Pluggto(crate::pluggto::Notified::DeletedSku {
                        sku,
                    }));
                }
                if let Route::Unknown(t) = route {
                    return Ok(Resource::Pluggto(crate::pluggto::Notified::Unknown(t)));
                }
                let client = self
                    .pluggto
                    .as_ref()
                    .ok_or_else(|| no_client(Provider::Pluggto))?;
                self.reads.fetch_add(1, Ordering::Relaxed);
                client
                    .fetch_route(route)
                    .await
                    .map(Resource::Pluggto)
                    .map_err(parts)
            }
        }
    }

    /// Forgets finished reads past their time (at most once a second).
    fn sweep(&self) {
        let now = Instant::now();
        {
            let mut last = lock(&self.last_sweep);
            if now.duration_since(*last) < Duration::from_secs(1) {
                return;
            }
            *last = now;
        }
        lock(&self.slots).retain(|_, s| s.expires.is_none_or(|e| e > now));
    }
}

fn parts(e: Error) -> (Provider, String, ErrorKind) {
    (e.provider(), e.operation().to_owned(), e.kind().clone())
}

fn rebuild((provider, operation, kind): (Provider, String, ErrorKind)) -> Error {
    Error::new(provider, operation, kind)
}

fn no_client(provider: Provider) -> (Provider, String, ErrorKind) {
    (
        provider,
        "webhook_fetch".to_owned(),
        ErrorKind::Config {
            message: format!(
                "no {} client was given to the webhook receiver, so events cannot be fetched",
                provider.name()
            ),
        },
    )
}
