//! Embedded sandboxes: in-process mock providers on 127.0.0.1.
//!
//! A sandbox reads its provider's spec (embedded at compile time), matches each request to an
//! operation by method and path template, and lets the provider's [`Backend`] answer it; what the
//! backend does not handle is answered with the example of the operation's success response, so
//! every operation of the spec answers something realistic. Backends keep state for the main
//! flows (create a product and read it back, change stock, move an order through its phases,
//! issue and refresh tokens), so a caller can verify its writes by reading them back.
//!
//! Use it to try the clients without an account (`brc --sandbox`, `brc demo`) or to test your
//! own service against a provider that behaves like the real one.
//!
//! A running sandbox can also drift from its spec on purpose ([`Sandbox::drift`] with a
//! [`SandboxDrift`]): its answers then carry fields and enum values the spec does not know, as a
//! provider's do after an unannounced change, so the drift-detection loop (README, "Tracking an
//! API change") can be tried offline and tested.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::Value;

use crate::common::drift::Shapes;
use crate::common::error::{Error, ErrorKind, Provider};
use crate::common::shapes::Kind;

/// A request as a backend sees it.
#[derive(Debug, Clone)]
pub struct SandboxRequest {
    /// HTTP method.
    pub method: Method,
    /// The operation it matched (the spec's operationId), if any.
    pub operation: Option<&'static str>,
    /// Path parameters of the matched operation, by name.
    pub params: BTreeMap<String, String>,
    /// Query parameters (first value of each).
    pub query: BTreeMap<String, String>,
    /// Headers.
    pub headers: HeaderMap,
    /// Raw body.
    pub body: Bytes,
}

impl SandboxRequest {
    /// A path parameter.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
    /// A query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The body as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    /// The body as form fields.
    pub fn form(&self) -> BTreeMap<String, String> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }
}

/// A backend's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body, if any.
    pub body: Option<Value>,
}

impl SandboxResponse {
    /// A JSON answer.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
        }
    }
    /// An answer without a body.
    pub fn empty(status: u16) -> Self {
        Self { status, body: None }
    }
}

/// A provider's behaviour in the sandbox.
pub trait Backend: Send + Sync + 'static {
    /// The provider.
    fn provider(&self) -> Provider;
    /// The provider's spec (YAML).
    fn spec(&self) -> &'static str;
    /// Answers a request, or `None` to answer with the spec's example.
    fn handle(&self, request: &SandboxRequest, example: &Example) -> Option<SandboxResponse>;
    /// The provider's generated operations and schemas, which [`SandboxDrift`] walks answers
    /// along; without them the sandbox cannot drift.
    fn tables(&self) -> Option<SpecTables> {
        None
    }
}

/// A provider's generated tables: `<provider>::operations::find` and
/// `<provider>::raw::schemas::find`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct SpecTables {
    /// The operation with an id.
    pub operations: fn(&str) -> Option<&'static crate::common::ops::Operation>,
    /// The schema with a name.
    pub schemas: Shapes,
}

impl SpecTables {
    /// The tables of one provider.
    pub fn new(
        operations: fn(&str) -> Option<&'static crate::common::ops::Operation>,
        schemas: Shapes,
    ) -> Self {
        Self {
            operations,
            schemas,
        }
    }
}

/// How a sandbox's answers drift from its spec: fields added to the objects of a schema, enum
/// values replaced by ones the spec does not list. Applied to the success answers of every
/// operation whose response schema contains the schema named (walking the answer along the
/// spec's shapes); answers without such an object are left as they are.
///
/// ```no_run
/// # async fn demo() -> brcommerce::Result<()> {
/// use brcommerce::common::sandbox::SandboxDrift;
/// use brcommerce::pluggto::sandbox::PluggtoSandbox;
/// let sandbox = PluggtoSandbox::start().await?;
/// sandbox.drift(
///     SandboxDrift::new()
///         .add_field("Order", "sub_status", serde_json::json!("aguardando_coleta"))
///         .enum_value("Order", "status", "awaiting_pickup"),
/// )?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SandboxDrift {
    fields: Vec<(String, String, Value)>,
    enums: Vec<(String, String, String)>,
    everywhere: bool,
}

/// The fields [`SandboxDrift::everywhere`] adds.
pub const EVERYWHERE_FIELDS: [&str; 2] = ["brc_drift_note", "brc_drift_count"];
/// The enum value [`SandboxDrift::everywhere`] puts in open enums.
pub const EVERYWHERE_ENUM_VALUE: &str = "brc_drift_value";

impl SandboxDrift {
    /// No drift (what a sandbox starts with).
    pub fn new() -> Self {
        Self::default()
    }

    /// Drift in every answer: each object of a schema with properties gains
    /// [`EVERYWHERE_FIELDS`] (a string and an integer), and each open enum value becomes
    /// [`EVERYWHERE_ENUM_VALUE`] (closed enums are left alone: a value outside them fails the
    /// decode, which is not drift the client can live with).
    pub fn everywhere() -> Self {
        Self {
            everywhere: true,
            ..Self::default()
        }
    }

    /// Adds the field `name` with `value` to every object of `schema` (a component name, or
    /// `<Owner>.<field>` for an inline object).
    pub fn add_field(mut self, schema: &str, name: &str, value: Value) -> Self {
        self.fields
            .push((schema.to_owned(), name.to_owned(), value));
        self
    }

    /// Sets the enum property `field` of every object of `schema` that has it to `value`.
    pub fn enum_value(mut self, schema: &str, field: &str, value: &str) -> Self {
        self.enums
            .push((schema.to_owned(), field.to_owned(), value.to_owned()));
        self
    }

    /// True when the answers are left as they are.
    pub fn is_none(&self) -> bool {
        !self.everywhere && self.fields.is_empty() && self.enums.is_empty()
    }

    /// Applies the drift to an answer whose body is `schema`.
    fn apply(&self, answer: &mut Value, schema: &str, shapes: Shapes) {
        let Some(shape) = shapes(schema) else { return };
        let kind = if shape.object {
            Kind::Object(shape.name)
        } else {
            shape.items
        };
        self.walk(answer, &kind, shapes, None);
    }

    fn walk(&self, value: &mut Value, kind: &Kind, shapes: Shapes, replace: Option<&str>) {
        match kind {
            Kind::Object(name) => {
                let Some(shape) = shapes(name) else { return };
                if !shape.object {
                    return self.walk(value, &shape.items, shapes, replace);
                }
                let Value::Object(map) = value else { return };
                for field in shape.fields {
                    let Some(v) = map.get_mut(field.name) else {
                        continue;
                    };
                    let replace = self
                        .enums
                        .iter()
                        .find(|(s, f, _)| s == shape.name && f == field.name)
                        .map(|(_, _, value)| value.as_str());
                    self.walk(v, &field.kind, shapes, replace);
                }
                for (s, name, v) in &self.fields {
                    if s == shape.name {
                        map.insert(name.clone(), v.clone());
                    }
                }
                if self.everywhere {
                    map.insert(
                        EVERYWHERE_FIELDS[0].to_owned(),
                        Value::from("added by the sandbox"),
                    );
                    map.insert(EVERYWHERE_FIELDS[1].to_owned(), Value::from(3));
                }
            }
            Kind::Array(inner) => {
                if let Value::Array(items) = value {
                    for item in items {
                        self.walk(item, inner, shapes, replace);
                    }
                }
            }
            Kind::Enum { open, values } if value.is_string() => {
                if let Some(replacement) = replace {
                    *value = Value::from(replacement);
                } else if self.everywhere && *open && !values.is_empty() {
                    *value = Value::from(EVERYWHERE_ENUM_VALUE);
                }
            }
            _ => {}
        }
    }
}

/// The documented success answer of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Its status.
    pub status: u16,
    /// Its example body, if the spec has one.
    pub body: Option<Value>,
}

struct Operation {
    method: Method,
    segments: Vec<Segment>,
    id: &'static str,
    example: Example,
}

enum Segment {
    Literal(String),
    Param(String),
}

/// The operations of a spec, for matching requests.
pub(crate) struct Routes {
    ops: Vec<Operation>,
}

impl Routes {
    /// Reads the spec. Operation ids are leaked once per sandbox start (a handful of strings).
    pub(crate) fn from_spec(yaml: &str) -> Result<Self, String> {
        let doc: Value = yaml_serde::from_str(yaml).map_err(|e| e.to_string())?;
        let mut ops = Vec::new();
        let paths = doc["paths"].as_object().ok_or("spec has no paths")?;
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let Ok(m) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                let Some(id) = op["operationId"].as_str() else {
                    continue;
                };
                let segments = path
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(
                        |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                            Some(name) => Segment::Param(name.to_owned()),
                            None => Segment::Literal(s.to_owned()),
                        },
                    )
                    .collect();
                ops.push(Operation {
                    method: m,
                    segments,
                    id: Box::leak(id.to_owned().into_boxed_str()),
                    example: success_example(&doc, op),
                });
            }
        }
        // Literal segments win over parameters (`/produto/null/preco` vs `/produto/{codigo}`).
        ops.sort_by_key(|o| {
            o.segments
                .iter()
                .filter(|s| matches!(s, Segment::Param(_)))
                .count()
        });
        Ok(Self { ops })
    }

    fn find(&self, method: &Method, path: &str) -> Option<(&Operation, BTreeMap<String, String>)> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.ops
            .iter()
            .filter(|o| o.method == *method && o.segments.len() == parts.len())
            .find_map(|o| {
                let mut params = BTreeMap::new();
                for (seg, part) in o.segments.iter().zip(&parts) {
                    match seg {
                        Segment::Literal(l) if l == part => {}
                        Segment::Literal(_) => return None,
                        Segment::Param(name) => {
                            let decoded = percent_decode(part);
                            params.insert(name.clone(), decoded);
                        }
                    }
                }
                Some((o, params))
            })
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_owned())
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut cur = doc;
            for part in r.trim_start_matches("#/").split('/') {
                cur = &cur[part];
            }
            resolve(doc, cur)
        }
        None => v,
    }
}

fn success_example(doc: &Value, op: &Value) -> Example {
    let responses = op["responses"].as_object().cloned().unwrap_or_default();
    let Some((code, resp)) = responses.iter().find(|(k, _)| k.starts_with('2')) else {
        return Example {
            status: 200,
            body: None,
        };
    };
    let resp = resolve(doc, resp);
    let media = &resp["content"]["application/json"];
    let body = media
        .get("example")
        .cloned()
        .or_else(|| {
            media["examples"]
                .as_object()
                .and_then(|e| e.values().next())
                .map(|e| resolve(doc, e)["value"].clone())
        })
        .or_else(|| resolve(doc, &media["schema"]).get("example").cloned());
    Example {
        status: code.parse().unwrap_or(200),
        body,
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    base_url: String,
    provider: Provider,
    requests: Arc<AtomicU64>,
    drift: Arc<RwLock<SandboxDrift>>,
    drifts: bool,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Sandbox {
    /// Starts `backend` on a free port of 127.0.0.1 (on the current tokio runtime).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when the spec cannot be read or no port can be bound.
    pub async fn start(backend: Arc<dyn Backend>) -> Result<Self, Error> {
        let provider = backend.provider();
        let fail = |m: String| Error::new(provider, "sandbox", ErrorKind::Config { message: m });
        let routes = Arc::new(
            Routes::from_spec(backend.spec()).map_err(|e| fail(format!("sandbox spec: {e}")))?,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| fail(format!("cannot bind 127.0.0.1: {e}")))?;
        let addr = listener.local_addr().map_err(|e| fail(e.to_string()))?;
        let requests = Arc::new(AtomicU64::new(0));
        let counter = requests.clone();
        let drift = Arc::new(RwLock::new(SandboxDrift::new()));
        let drifts = backend.tables().is_some();
        let plan = drift.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let routes = routes.clone();
            let backend = backend.clone();
            let counter = counter.clone();
            let plan = plan.clone();
            async move {
                counter.fetch_add(1, Ordering::Relaxed);
                dispatch(&routes, backend.as_ref(), &plan, req).await
            }
        });
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self {
            base_url: format!("http://{addr}"),
            provider,
            requests,
            drift,
            drifts,
            shutdown: Some(tx),
        })
    }

    /// Makes the answers from now on drift from the spec as `drift` says
    /// ([`SandboxDrift::new()`] stops it).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when the backend does not give its spec's tables
    /// ([`Backend::tables`]); the four provider sandboxes do.
    pub fn drift(&self, drift: SandboxDrift) -> Result<(), Error> {
        if !self.drifts && !drift.is_none() {
            return Err(Error::new(
                self.provider,
                "sandbox",
                ErrorKind::Config {
                    message: "this sandbox's backend gives no spec tables to drift along".into(),
                },
            ));
        }
        *self.drift.write().unwrap_or_else(|p| p.into_inner()) = drift;
        Ok(())
    }

    /// Base URL to give a client (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// A running provider sandbox: the server and a handle on the backend's state, for tests that
/// check what a client did. Each provider module names it `Running` and adds accessors for its
/// state. Dropping it stops the server.
pub struct Running<B> {
    pub(crate) server: Sandbox,
    pub(crate) backend: Arc<B>,
}

impl<B: Backend + 'static> Running<B> {
    /// Starts `backend` on a free port of 127.0.0.1 (on the current tokio runtime).
    ///
    /// # Errors
    /// As [`Sandbox::start`].
    pub async fn start(backend: B) -> Result<Self, Error> {
        let backend = Arc::new(backend);
        let server = Sandbox::start(backend.clone()).await?;
        Ok(Self { server, backend })
    }
}

impl<B> Running<B> {
    /// Base URL to give a client (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> &str {
        self.server.base_url()
    }
    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.server.requests()
    }
    /// Makes the answers from now on drift from the spec ([`Sandbox::drift`]).
    ///
    /// # Errors
    /// As [`Sandbox::drift`]; never for the four provider sandboxes.
    pub fn drift(&self, drift: SandboxDrift) -> Result<(), Error> {
        self.server.drift(drift)
    }
}

impl<B> fmt::Debug for Running<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Running")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn dispatch(
    routes: &Routes,
    backend: &dyn Backend,
    drift: &RwLock<SandboxDrift>,
    req: Request<Body>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let query = parts
        .uri
        .query()
        .map(|q| {
            // First value wins for a repeated parameter.
            let mut map = BTreeMap::new();
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()).into_owned() {
                map.entry(k).or_insert(v);
            }
            map
        })
        .unwrap_or_default();
    let matched = routes.find(&parts.method, parts.uri.path());
    let (operation, params, example) = match matched {
        Some((op, params)) => (Some(op.id), params, op.example.clone()),
        None => (
            None,
            BTreeMap::new(),
            Example {
                status: 404,
                body: None,
            },
        ),
    };
    let request = SandboxRequest {
        method: parts.method,
        operation,
        params,
        query,
        headers: parts.headers,
        body,
    };
    let answer = backend
        .handle(&request, &example)
        .unwrap_or_else(|| match operation {
            Some(_) => SandboxResponse {
                status: example.status,
                body: example.body.clone(),
            },
            None => SandboxResponse::json(
                404,
                serde_json::json!({"message": "no such operation in the sandbox"}),
            ),
        });
    let mut answer = answer;
    if let (Some(id), Some(tables), Some(body)) = (operation, backend.tables(), &mut answer.body) {
        let plan = drift.read().unwrap_or_else(|p| p.into_inner());
        let schema = (tables.operations)(id).and_then(|op| op.response);
        if let Some(schema) =
            schema.filter(|_| (200..300).contains(&answer.status) && !plan.is_none())
        {
            plan.apply(body, schema, tables.schemas);
        }
    }
    let mut response =
        Response::builder().status(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK));
    let body = match answer.body {
        Some(v) => {
            response = response.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    response
        .body(body)
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /produto/{codigo}/preco:
    get:
      operationId: get_price
      responses:
        '200':
          description: ok
          content:
            application/json:
              example: {preco: '1.00'}
  /produto/null/preco:
    get:
      operationId: literal
      responses:
        '201': {description: ok}
"#;

    #[test]
    fn literal_segments_win_and_params_are_decoded() {
        let routes = Routes::from_spec(SPEC).unwrap();
        let (op, _) = routes.find(&Method::GET, "/produto/null/preco").unwrap();
        assert_eq!(op.id, "literal");
        let (op, params) = routes.find(&Method::GET, "/produto/A%2FB/preco").unwrap();
        assert_eq!(op.id, "get_price");
        assert_eq!(params["codigo"], "A/B");
        assert_eq!(op.example.body, Some(serde_json::json!({"preco": "1.00"})));
        assert!(routes.find(&Method::POST, "/produto/1/preco").is_none());
    }
}

/// Copies every key of `patch` into `base` (objects merged recursively, anything else
/// replaced): a sandbox stores what a client wrote on top of a documented example, so reads
/// carry every key the spec says the provider always sends.
pub fn merge_json(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge_json(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// Where a sandbox POSTs its provider's callbacks: one task per registered URL sends them in
/// the order they happened, once each (a failed delivery is logged, not retried).
#[derive(Default)]
pub(crate) struct Callbacks {
    tx: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedSender<Value>>>,
}

impl Callbacks {
    /// Sends the callbacks from now on to `url` (replacing an earlier URL).
    pub(crate) fn register(&self, provider: Provider, url: &str) -> Result<(), Error> {
        let fail = |m: String| Error::new(provider, "sandbox", ErrorKind::Config { message: m });
        let url = url::Url::parse(url).map_err(|e| fail(format!("callback URL: {e}")))?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| fail("registering a callback URL needs a tokio runtime".into()))?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
        let client = reqwest::Client::new();
        runtime.spawn(async move {
            while let Some(body) = rx.recv().await {
                match client.post(url.clone()).json(&body).send().await {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => tracing::warn!(provider = provider.id(), status = r.status().as_u16(), "sandbox callback refused"),
                    Err(e) => tracing::warn!(provider = provider.id(), error = %e.without_url(), "sandbox callback not delivered"),
                }
            }
        });
        *crate::common::lock(&self.tx) = Some(tx);
        Ok(())
    }

    /// Queues `body` for the registered URL (nothing happens without one).
    pub(crate) fn fire(&self, body: Value) {
        if let Some(tx) = crate::common::lock(&self.tx).as_ref() {
            let _ = tx.send(body);
        }
    }
}

/// The bearer token of a request, if any.
pub fn bearer(request: &SandboxRequest) -> Option<&str> {
    request
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// Issued tokens: access tokens accepted by the sandbox and refresh tokens that can be used
/// once (they rotate, like PluggTo's).
#[derive(Debug, Default)]
pub struct SandboxTokens {
    access: std::collections::BTreeSet<String>,
    refresh: std::collections::BTreeSet<String>,
    issued: u64,
}

impl SandboxTokens {
    /// Issues a new access token and refresh token.
    pub fn issue(&mut self, prefix: &str) -> (String, String) {
        self.issued += 1;
        let access = format!("{prefix}-access-{}", self.issued);
        let refresh = format!("{prefix}-refresh-{}", self.issued);
        self.access.insert(access.clone());
        self.refresh.insert(refresh.clone());
        (access, refresh)
    }
    /// Uses up a refresh token; false when it is unknown or was already used.
    pub fn redeem(&mut self, refresh: &str) -> bool {
        self.refresh.remove(refresh)
    }
    /// True for an access token the sandbox issued.
    pub fn valid(&self, access: &str) -> bool {
        self.access.contains(access)
    }
    /// Tokens issued so far.
    pub fn issued(&self) -> u64 {
        self.issued
    }
}
