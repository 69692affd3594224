//! An in-process PluggTo for tests and demos (feature `sandbox`).
//!
//! ```no_run
//! # async fn demo() -> brcommerce::Result<()> {
//! use brcommerce::pluggto::{Client, StockChange, sandbox::PluggtoSandbox};
//! let sandbox = PluggtoSandbox::start().await?;
//! let hub = Client::builder(PluggtoSandbox::credentials()).base_url(sandbox.base_url()).build()?;
//! hub.update_stock("pai-var1", StockChange::Set(5)).await?;
//! # Ok(()) }
//! ```
//!
//! It answers every operation of `specs/pluggto.yaml`. State is kept for the main flows: the
//! OAuth grants (password, authorization code `sandbox-code`, refresh tokens that work once and
//! rotate), products by SKU (`PUT /skus/{sku}` then read back, stock increase/decrease/update),
//! and orders (create, read, status changes; an identical update answers `not_updated`).
//! Resource calls without a valid token (`Authorization: Bearer`, or the `access_token` query
//! parameter) get 401.
//!
//! With [`Running::send_callbacks_to`] it also POSTs PluggTo's notifications to a URL, as
//! PluggTo does to an app's registered URL: `orders` created/updated when an order is created
//! or changed, `products` created/updated (with the product's PluggTo id) when a SKU is put or
//! its stock changes, and `skus` deleted (with the SKU as id) when one is deleted.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::client::Credentials;
use crate::common::error::{Provider, Result};
use crate::common::sandbox::{
    Backend, Callbacks, Example, SandboxRequest, SandboxResponse, SandboxTokens, SpecTables,
    merge_json,
};

const SPEC: &str = include_str!("../../specs/pluggto.yaml");
const CLIENT_ID: &str = "sandbox";
const CLIENT_SECRET: &str = "sandbox-secret";
const USER: &str = "sandbox-user";
const PASSWORD: &str = "sandbox-pass";
/// The user id the sandbox's notifications carry.
const USER_ID: u64 = 129;

/// The sandbox's state and behaviour.
pub struct PluggtoSandbox {
    state: Mutex<State>,
    product_template: Value,
    order_template: Value,
    callbacks: Callbacks,
}

#[derive(Default)]
struct State {
    tokens: SandboxTokens,
    products: BTreeMap<String, Value>,
    orders: BTreeMap<String, Value>,
    next_id: u64,
}

/// A running PluggTo sandbox.
pub type Running = crate::common::sandbox::Running<PluggtoSandbox>;

impl Running {
    /// Token grants answered so far.
    pub fn tokens_issued(&self) -> u64 {
        self.backend.lock().tokens.issued()
    }
    /// The stored product with this SKU, as the API returns it.
    pub fn product(&self, sku: &str) -> Option<Value> {
        self.backend.lock().products.get(sku).cloned()
    }

    /// POSTs PluggTo's notifications (orders, products, deleted SKUs) to `url` from now on,
    /// e.g. a [`webhooks`](crate::webhooks) receiver's `.../<token>/pluggto`.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when `url` is not a URL or there is no
    /// tokio runtime.
    pub fn send_callbacks_to(&self, url: &str) -> Result<()> {
        self.backend.callbacks.register(Provider::Pluggto, url)
    }
}

/// A notification as PluggTo sends it.
fn notification(kind: &str, id: &Value, action: &str, before: &Value, after: &Value) -> Value {
    let changed = |k: &str| before.get(k) != after.get(k);
    json!({"type": kind, "id": id, "action": action, "user": USER_ID,
           "changes": {"status": changed("status"), "stock": changed("quantity"),
                       "price": changed("price")}})
}

fn example(doc: &Value, path: &str, method: &str, status: &str) -> Value {
    let resp = &doc["paths"][path][method]["responses"][status];
    let resp = match resp["$ref"].as_str() {
        Some(r) => &doc["components"]["responses"][r.rsplit('/').next().unwrap_or_default()],
        None => resp,
    };
    resp["content"]["application/json"]["example"].clone()
}

impl PluggtoSandbox {
    /// Starts a sandbox on 127.0.0.1, seeded with the documentation's examples.
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn start() -> Result<Running> {
        Running::start(Self::seeded()).await
    }

    /// The credentials the sandbox accepts (password grant).
    pub fn credentials() -> Credentials {
        Credentials::password(CLIENT_ID, CLIENT_SECRET, USER, PASSWORD)
    }

    fn seeded() -> Self {
        let doc: Value = yaml_serde::from_str(SPEC).unwrap_or(Value::Null);
        let product = example(&doc, "/skus/{sku}", "get", "200")["Product"].clone();
        let order = example(&doc, "/orders/{id}", "get", "200")["Order"].clone();
        let mut state = State {
            next_id: 1,
            ..State::default()
        };
        if let Some(sku) = product["sku"].as_str() {
            state.products.insert(sku.to_owned(), product.clone());
        }
        if let Some(id) = order["id"].as_str() {
            state.orders.insert(id.to_owned(), order.clone());
        }
        Self {
            state: Mutex::new(state),
            product_template: product,
            order_template: order,
            callbacks: Callbacks::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::common::lock(&self.state)
    }

    fn token(&self, req: &SandboxRequest) -> SandboxResponse {
        let form = req.form();
        let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        let refused = |m: &str| {
            SandboxResponse::json(
                400,
                json!({"error": "invalid_grant", "error_description": m}),
            )
        };
        if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
            return SandboxResponse::json(
                401,
                json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
            );
        }
        let mut st = self.lock();
        let ok = match field("grant_type") {
            "password" => field("username") == USER && field("password") == PASSWORD,
            "authorization_code" => field("code") == "sandbox-code",
            "refresh_token" => st.tokens.redeem(field("refresh_token")),
            _ => return refused("unsupported grant"),
        };
        if !ok {
            return refused("Invalid credentials or refresh token");
        }
        let (access, refresh) = st.tokens.issue("pluggto");
        SandboxResponse::json(
            200,
            json!({"access_token": access, "refresh_token": refresh, "expires_in": 3600,
                   "token_type": "bearer"}),
        )
    }

    fn page(items: Vec<Value>, key: &str, req: &SandboxRequest) -> SandboxResponse {
        let limit: usize = req
            .query("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(100);
        let total = items.len();
        let after = req.query("next");
        let result: Vec<Value> = items
            .into_iter()
            .skip_while(|i| after.is_some_and(|n| i["id"].as_str() != Some(n)))
            .skip(usize::from(after.is_some()))
            .take(limit)
            .map(|i| json!({ key: i }))
            .collect();
        SandboxResponse::json(
            200,
            json!({"total": total, "showing": result.len(), "limit": limit, "result": result}),
        )
    }

    fn put_product(&self, sku: &str, body: &Value) -> SandboxResponse {
        let mut st = self.lock();
        let id = match st.products.get(sku).and_then(|p| p["id"].as_str()) {
            Some(id) => id.to_owned(),
            None => {
                st.next_id += 1;
                format!("sb{:022}", st.next_id)
            }
        };
        let mut product = st.products.get(sku).cloned().unwrap_or_else(|| {
            let mut t = self.product_template.clone();
            t["variations"] = json!([]);
            t
        });
        let before = product.clone();
        merge_json(&mut product, body);
        product["id"] = json!(id);
        product["sku"] = json!(sku);
        if product == before {
            return not_updated();
        }
        let action = if st.products.contains_key(sku) {
            "updated"
        } else {
            "created"
        };
        self.callbacks.fire(notification(
            "products",
            &product["id"],
            action,
            &before,
            &product,
        ));
        st.products.insert(sku.to_owned(), product.clone());
        SandboxResponse::json(200, json!({"Product": product}))
    }
}

fn not_updated() -> SandboxResponse {
    SandboxResponse::json(
        400,
        json!({"error": true, "type": "not_updated",
               "message": "An error occurred, see details for more information.",
               "details": "Changes not found in the order"}),
    )
}

fn not_found(what: &str) -> SandboxResponse {
    SandboxResponse::json(
        404,
        json!({"error": "Not Found", "type": "not_found", "message": format!("{what} not found")}),
    )
}

impl Backend for PluggtoSandbox {
    fn provider(&self) -> Provider {
        Provider::Pluggto
    }

    fn spec(&self) -> &'static str {
        SPEC
    }

    fn tables(&self) -> Option<SpecTables> {
        Some(SpecTables::new(
            super::generated::operations::find,
            super::generated::schemas::find,
        ))
    }

    fn handle(&self, req: &SandboxRequest, _example: &Example) -> Option<SandboxResponse> {
        let op = req.operation?;
        if op == "issue_token" {
            return Some(self.token(req));
        }
        // The header PluggTo documents now, or the older query parameter.
        let token = req
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .or_else(|| req.query("access_token"));
        let authorized = token.is_some_and(|t| self.lock().tokens.valid(t));
        if !authorized {
            return Some(SandboxResponse::json(
                401,
                json!({"error": "Unauthorized", "type": "invalid_token",
                       "message": "The access token provided is invalid"}),
            ));
        }
        let body = req.json();
        Some(match op {
            "put_sku" => self.put_product(req.param("sku"), &body),
            "get_sku" => match self.lock().products.get(req.param("sku")) {
                Some(p) => SandboxResponse::json(200, json!({"Product": p})),
                None => not_found("SKU"),
            },
            "delete_sku" => match self.lock().products.remove(req.param("sku")) {
                Some(p) => {
                    let sku = json!(req.param("sku"));
                    self.callbacks
                        .fire(notification("skus", &sku, "deleted", &p, &p));
                    SandboxResponse::json(200, json!({"message": "deleted"}))
                }
                None => not_found("SKU"),
            },
            "get_product" => {
                let st = self.lock();
                match st
                    .products
                    .values()
                    .find(|p| p["id"] == json!(req.param("id")))
                {
                    Some(p) => SandboxResponse::json(200, json!({"Product": p})),
                    None => not_found("Product"),
                }
            }
            "update_sku_stock" => {
                let mut st = self.lock();
                let Some(p) = st.products.get_mut(req.param("sku")) else {
                    return Some(not_found("SKU"));
                };
                let current = p["quantity"].as_i64().unwrap_or(0);
                let q = body["quantity"].as_i64().unwrap_or(0);
                let next = match body["action"].as_str() {
                    Some("increase") => current + q,
                    Some("decrease") => (current - q).max(0),
                    _ => q,
                };
                if next == current && body["action"] == "update" {
                    return Some(not_updated());
                }
                let before = p.clone();
                p["quantity"] = json!(next);
                self.callbacks
                    .fire(notification("products", &p["id"], "updated", &before, p));
                SandboxResponse::json(200, json!({"Product": p}))
            }
            "list_products" => {
                let items = self.lock().products.values().cloned().collect();
                Self::page(items, "Product", req)
            }
            "create_order" => {
                let mut st = self.lock();
                st.next_id += 1;
                let id = format!("sbo{:021}", st.next_id);
                let mut order = self.order_template.clone();
                order["items"] = json!([]);
                merge_json(&mut order, &body);
                order["id"] = json!(id);
                if body.get("status").is_none() {
                    order["status"] = json!("pending");
                }
                self.callbacks.fire(notification(
                    "orders",
                    &json!(id),
                    "created",
                    &order,
                    &order,
                ));
                st.orders.insert(id, order.clone());
                SandboxResponse::json(201, json!({"Order": order}))
            }
            "get_order" => match self.lock().orders.get(req.param("id")) {
                Some(o) => SandboxResponse::json(200, json!({"Order": o})),
                None => not_found("Order"),
            },
            "update_order" => {
                let mut st = self.lock();
                let Some(o) = st.orders.get_mut(req.param("id")) else {
                    return Some(not_found("Order"));
                };
                let before = o.clone();
                merge_json(o, &body);
                if *o == before {
                    return Some(not_updated());
                }
                let id = json!(req.param("id"));
                self.callbacks
                    .fire(notification("orders", &id, "updated", &before, o));
                SandboxResponse::json(200, json!({"Order": o}))
            }
            "list_orders" => {
                let st = self.lock();
                let items = st
                    .orders
                    .values()
                    .filter(|o| req.query("status").is_none_or(|s| o["status"] == json!(s)))
                    .cloned()
                    .collect();
                Self::page(items, "Order", req)
            }
            _ => return None,
        })
    }
}
