//! An in-process ConnectPlug for tests and demos (feature `sandbox`).
//!
//! It answers every operation of `specs/connectplug.yaml` from the spec's examples and keeps
//! state for the main flows: the password grant (refresh tokens work once), the company header
//! (missing → 400 `missing_headers`), and a catalogue of products with stock balances that
//! `list_products` pages through (`page`/`per_page` with `meta`), `get_product` and
//! `get_product_balance` read, and `create_product` extends.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::client::Credentials;
use crate::common::error::{Provider, Result};
use crate::common::sandbox::{
    Backend, Example, SandboxRequest, SandboxResponse, SandboxTokens, SpecTables, bearer,
    merge_json,
};

const SPEC: &str = include_str!("../../specs/connectplug.yaml");
const CLIENT_ID: &str = "sandbox";
const CLIENT_SECRET: &str = "sandbox-secret";
const USER: &str = "api@sandbox.connectplug.com.br";
const PASSWORD: &str = "sandbox-pass";
/// The company the sandbox serves.
pub const COMPANY: i64 = 12;

/// The sandbox's state and behaviour.
pub struct ConnectplugSandbox {
    state: Mutex<State>,
    template: Value,
}

struct State {
    tokens: SandboxTokens,
    products: BTreeMap<i64, Value>,
    balances: BTreeMap<i64, i64>,
}

/// A running ConnectPlug sandbox; its base URL serves both the API and the token endpoint.
pub type Running = crate::common::sandbox::Running<ConnectplugSandbox>;

impl Running {
    /// Number of products in the catalogue.
    pub fn product_count(&self) -> usize {
        self.backend.lock().products.len()
    }
}

impl ConnectplugSandbox {
    /// Starts a sandbox on 127.0.0.1 with a small catalogue (five products with stock).
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn start() -> Result<Running> {
        Running::start(Self::seeded()).await
    }

    /// The credentials the sandbox accepts; use them with `.company(COMPANY)`.
    pub fn credentials() -> Credentials {
        Credentials::password(CLIENT_ID, CLIENT_SECRET, USER, PASSWORD)
    }

    fn seeded() -> Self {
        let doc: Value = yaml_serde::from_str(SPEC).unwrap_or(Value::Null);
        let template = doc["paths"]["/api/v3/products"]["get"]["responses"]["200"]["content"]
            ["application/json"]["example"]["data"]["products"][0]
            .clone();
        let mut products = BTreeMap::new();
        let mut balances = BTreeMap::new();
        let names = [
            ("Camiseta básica", "CAM-BAS-01", "59.90", 14),
            ("Caneca esmaltada", "CAN-ESM-02", "34.50", 30),
            ("Boné aba reta", "BON-ABA-03", "79.00", 8),
            ("Meia cano alto", "MEI-CAN-04", "19.99", 120),
            ("Mochila urbana", "MOC-URB-05", "249.00", 5),
        ];
        for (i, (name, sku, price, stock)) in names.iter().enumerate() {
            let id = 100 + i64::try_from(i).unwrap_or_default();
            let mut p = template.clone();
            p["id"] = json!(id);
            p["name"] = json!(name);
            p["sku"] = json!(sku);
            p["barcodes"] = json!([]);
            p["components"] = json!([]);
            p["unitary_value"] =
                json!({"amount": price.parse::<f64>().unwrap_or_default(), "currency": "BRL"});
            products.insert(id, p);
            balances.insert(id, *stock);
        }
        Self {
            state: Mutex::new(State {
                tokens: SandboxTokens::default(),
                products,
                balances,
            }),
            template,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::common::lock(&self.state)
    }

    fn token(&self, req: &SandboxRequest) -> SandboxResponse {
        let body = req.json();
        let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
        if text("client_id") != CLIENT_ID || text("client_secret") != CLIENT_SECRET {
            return SandboxResponse::json(
                401,
                json!({"error": "invalid_client", "error_description": "Client authentication failed"}),
            );
        }
        let mut st = self.lock();
        let ok = match text("grant_type").as_str() {
            "password" => text("username") == USER && text("password") == PASSWORD,
            "refresh_token" => st.tokens.redeem(&text("refresh_token")),
            _ => false,
        };
        if !ok {
            return SandboxResponse::json(
                400,
                json!({"error": "invalid_grant", "error_description": "The user credentials were incorrect."}),
            );
        }
        let (access, refresh) = st.tokens.issue("connectplug");
        SandboxResponse::json(
            200,
            json!({"token_type": "Bearer", "expires_in": 3600, "access_token": access,
                   "refresh_token": refresh}),
        )
    }
}

fn error(status: u16, code: &str, message: &str) -> SandboxResponse {
    SandboxResponse::json(
        status,
        json!({"code": code, "message": message, "meta": []}),
    )
}

impl Backend for ConnectplugSandbox {
    fn provider(&self) -> Provider {
        Provider::Connectplug
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
        if !bearer(req).is_some_and(|t| self.lock().tokens.valid(t)) {
            return Some(SandboxResponse::empty(401));
        }
        if req.header("cplug-company-id") != Some(&COMPANY.to_string()) {
            return Some(error(
                400,
                "missing_headers",
                "CPlug-Company-Id is missing or unknown",
            ));
        }
        let id: Option<i64> = req.params.get("productId").and_then(|v| v.parse().ok());
        Some(match op {
            "list_products" => {
                let st = self.lock();
                let per_page: usize = req
                    .query("per_page")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(20);
                let page: usize = req
                    .query("page")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1)
                    .max(1);
                let total = st.products.len();
                let last = total.div_ceil(per_page.max(1)).max(1);
                let items: Vec<&Value> = st
                    .products
                    .values()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .collect();
                SandboxResponse::json(
                    200,
                    json!({"data": {"products": items},
                           "meta": {"current_page": page, "last_page": last, "per_page": per_page, "total": total}}),
                )
            }
            "get_product" => match id.and_then(|id| self.lock().products.get(&id).cloned()) {
                Some(p) => SandboxResponse::json(200, json!({"data": p})),
                None => SandboxResponse::empty(404),
            },
            "get_product_balance" => {
                let st = self.lock();
                match id.and_then(|id| Some((st.products.get(&id)?, st.balances.get(&id)?))) {
                    Some((p, balance)) => SandboxResponse::json(
                        200,
                        json!({"data": {
                            "product": {"id": p["id"], "name": p["name"], "sku": p["sku"],
                                        "unit_of_measure": {"abbreviation": "Un", "precision": 0}},
                            "balance": balance,
                            "stocks": [{"stock_name": "Estoque padrão",
                                        "product_stock_options": [{"balance": balance, "options": []}]}]}}),
                    ),
                    None => SandboxResponse::empty(404),
                }
            }
            "create_product" => {
                let body = req.json();
                let mut st = self.lock();
                if st.products.values().any(|p| p["sku"] == body["sku"]) {
                    return Some(SandboxResponse::json(
                        422,
                        json!({"code": "uneditable_entity", "message": "The given data was invalid.",
                               "meta": [{"field": "sku", "validations": [{"type": "Unique", "value": []}]}]}),
                    ));
                }
                let id = st.products.keys().max().copied().unwrap_or(99) + 1;
                let mut p = self.template.clone();
                merge_json(&mut p, &body);
                p["id"] = json!(id);
                st.products.insert(id, p.clone());
                st.balances.insert(id, 0);
                SandboxResponse::json(201, json!({"data": p}))
            }
            _ => return None,
        })
    }
}
