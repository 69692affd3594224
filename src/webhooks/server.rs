//! The endpoints: authentication, size limit, JSON check, de-duplication key, queueing, and the
//! freight quote answered at once.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, RawPathParams, Request, State};
use axum::http::{HeaderName, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::event::{DeadLetter, Endpoint, Envelope, now_ms};
use super::queue::{Pushed, QueueError};
use super::worker::{Core, bump};

pub(crate) enum Auth {
    Path(SecretString),
    Header {
        name: HeaderName,
        secret: SecretString,
    },
}

pub(crate) struct Shared {
    pub(crate) core: Arc<Core>,
    pub(crate) auth: Auth,
    pub(crate) allow: Vec<ipnet::IpNet>,
    pub(crate) body_limit: usize,
    #[cfg(feature = "pluggto")]
    pub(crate) quoter: Option<Box<dyn super::event::DynQuoter>>,
    #[cfg(feature = "pluggto")]
    pub(crate) freight_timeout: std::time::Duration,
}

/// How much of a body that is not JSON is kept in its dead letter.
const MALFORMED_EXCERPT: usize = 4096;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let prefix = match shared.auth {
        Auth::Path(_) => "/{token}/",
        Auth::Header { .. } => "/",
    };
    let mut router = Router::new();
    #[cfg(feature = "ecomdc")]
    {
        router = router.route(
            &format!("{prefix}{}", Endpoint::EcomdcCallback.path()),
            any(|State(s): State<Arc<Shared>>, body: Bytes| async move {
                accept(&s, Endpoint::EcomdcCallback, body).await
            }),
        );
    }
    #[cfg(feature = "pluggto")]
    {
        router =
            router
                .route(
                    &format!("{prefix}{}", Endpoint::PluggtoNotification.path()),
                    any(|State(s): State<Arc<Shared>>, body: Bytes| async move {
                        accept(&s, Endpoint::PluggtoNotification, body).await
                    }),
                )
                .route(
                    &format!("{prefix}{}", Endpoint::PluggtoFreight.path()),
                    any(|State(s): State<Arc<Shared>>, body: Bytes| async move {
                        freight(&s, body).await
                    }),
                );
    }
    router
        .route_layer(DefaultBodyLimit::max(shared.body_limit))
        .route_layer(middleware::from_fn_with_state(shared.clone(), guard))
        .with_state(shared)
}

fn same(given: &[u8], secret: &SecretString) -> bool {
    // Constant time in the content; the length is not secret (tokens have a fixed length).
    given.ct_eq(secret.expose_secret().as_bytes()).into()
}

/// Token or header, then source address, before anything else (the body is not read): a
/// stranger gets the same empty 404 as for a path that does not exist.
async fn guard(
    State(s): State<Arc<Shared>>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    let authenticated = match &s.auth {
        Auth::Path(secret) => params
            .iter()
            .find(|(k, _)| *k == "token")
            .is_some_and(|(_, v)| same(v.as_bytes(), secret)),
        Auth::Header { name, secret } => req
            .headers()
            .get(name)
            .is_some_and(|v| same(v.as_bytes(), secret)),
    };
    let allowed = s.allow.is_empty()
        || req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_some_and(|ConnectInfo(a)| {
                let ip = a.ip().to_canonical();
                s.allow.iter().any(|n| n.contains(&ip))
            });
    if !authenticated || !allowed {
        if authenticated && req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            tracing::error!(
                "webhook source allow-list set but the peer address is unknown: serve the router \
                 with into_make_service_with_connect_info::<SocketAddr>()"
            );
        }
        bump(&s.core.counters.unauthorized);
        return StatusCode::NOT_FOUND.into_response();
    }
    if req.method() != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response();
    }
    next.run(req).await
}

async fn accept(s: &Shared, endpoint: Endpoint, body: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return malformed(s, endpoint, &body, &e.to_string()).await,
    };
    let envelope = Envelope {
        id: uuid::Uuid::new_v4().to_string(),
        endpoint,
        received_at_ms: now_ms(),
        key: dedup_key(endpoint, &value, &body),
        failures: 0,
        last_error: None,
    };
    match s.core.queue.push(envelope, body).await {
        Ok(Pushed::Queued) => {
            bump(&s.core.counters.queued);
            StatusCode::OK.into_response()
        }
        Ok(Pushed::Duplicate) => {
            bump(&s.core.counters.duplicates);
            StatusCode::OK.into_response()
        }
        Err(e) => {
            match &e {
                QueueError::Full => bump(&s.core.counters.refused_full),
                QueueError::Unavailable(why) => {
                    bump(&s.core.counters.refused_unavailable);
                    tracing::warn!(error = %why, "webhook queue unavailable: answering 503");
                }
            }
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "60")],
            )
                .into_response()
        }
    }
}

/// 400, and a dead letter with a redacted excerpt of the body.
async fn malformed(s: &Shared, endpoint: Endpoint, body: &[u8], error: &str) -> Response {
    bump(&s.core.counters.malformed);
    let excerpt = String::from_utf8_lossy(&body[..body.len().min(MALFORMED_EXCERPT)]);
    let letter = DeadLetter {
        envelope: Envelope {
            id: uuid::Uuid::new_v4().to_string(),
            endpoint,
            received_at_ms: now_ms(),
            key: String::new(),
            failures: 0,
            last_error: None,
        },
        body: crate::common::secret::redact_query_secrets(&excerpt),
        replayable: false,
        error: format!("not JSON: {error}"),
        failed_at_ms: now_ms(),
    };
    tracing::warn!(endpoint = endpoint.path(), error = %letter.error, "malformed webhook body refused with 400");
    if let Err(e) = s.core.queue.dead(letter, None).await {
        tracing::warn!(error = ?e, "could not store the dead letter of a malformed body");
    }
    bump(&s.core.counters.dead_letters);
    StatusCode::BAD_REQUEST.into_response()
}

/// The key under which repeats of an event are recognised: provider, type, resource id, action
/// and change set for PluggTo; for ecomDC (whose callbacks carry the whole state and no event
/// id) the event, the resource and a hash of the body, so only an identical callback repeats.
pub(crate) fn dedup_key(endpoint: Endpoint, v: &Value, body: &[u8]) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let hash = || format!("{:032x}", xxhash_rust::xxh3::xxh3_128(body.trim_ascii()));
    match endpoint {
        Endpoint::PluggtoNotification | Endpoint::PluggtoFreight => {
            let (Some(kind), Some(id)) = (v.get("type"), v.get("id")) else {
                return format!("pluggto:?:{}", hash());
            };
            let changes = match v.get("changes") {
                Some(Value::Object(m)) => {
                    let mut parts: Vec<String> =
                        m.iter().map(|(k, v)| format!("{k}={}", text(v))).collect();
                    parts.sort();
                    parts.join(",")
                }
                Some(other) => text(other),
                None => String::new(),
            };
            format!(
                "pluggto:{}:{}:{}:{changes}",
                text(kind).to_ascii_lowercase(),
                text(id),
                v.get("action")
                    .map(text)
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
            )
        }
        Endpoint::EcomdcCallback => {
            let evento = v.get("evento").map(text).unwrap_or_default();
            let resource = match evento.as_str() {
                "estoque" => v.get("referencia_sku").map(text),
                "pedido" => v.get("pedido").and_then(|p| p.get("id")).map(text),
                _ => None,
            }
            .unwrap_or_default();
            format!("ecomdc:{evento}:{resource}:{}", hash())
        }
    }
}

#[cfg(feature = "pluggto")]
async fn freight(s: &Shared, body: Bytes) -> Response {
    let error = |status: StatusCode, message: &str| {
        (
            status,
            axum::Json(serde_json::json!([{ "mensage": message }])),
        )
            .into_response()
    };
    let Some(quoter) = &s.quoter else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let request = match crate::pluggto::parse_freight_request(&body) {
        Ok(r) => r,
        Err(e) => {
            if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
                malformed(s, Endpoint::PluggtoFreight, &body, &e.to_string()).await;
            } else {
                tracing::warn!(error = %e, "freight request does not match the documented shape");
            }
            bump(&s.core.counters.freight_failed);
            return error(StatusCode::BAD_REQUEST, "Requisição de frete inválida");
        }
    };
    match tokio::time::timeout(s.freight_timeout, quoter.call(request)).await {
        Ok(Ok(options)) => {
            bump(&s.core.counters.freight_answered);
            axum::Json(options).into_response()
        }
        Ok(Err(e)) => {
            bump(&s.core.counters.freight_failed);
            error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Err(_) => {
            bump(&s.core.counters.freight_failed);
            tracing::warn!(limit = ?s.freight_timeout, "freight quote late: answered with the error body");
            error(StatusCode::BAD_REQUEST, "Cotação indisponível no momento")
        }
    }
}
