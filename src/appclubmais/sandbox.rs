//! An in-process AppClubMais for tests and demos (feature `sandbox`).
//!
//! It answers every operation of `specs/appclubmais.yaml` from the spec's examples and keeps
//! state for the main flows: the client-credentials token (requests without it get Laravel's
//! `{"message": "Unauthenticated."}` 401) and the purchases a store records, which can be read
//! back with [`Running::purchases`]. Requests without `Accept: application/json` are answered
//! with an HTML redirect, as the real API does.

use std::sync::Mutex;

use serde_json::{Value, json};

use super::client::{ClientId, Credentials};
use crate::common::error::{Provider, Result};
use crate::common::sandbox::{
    Backend, Example, SandboxRequest, SandboxResponse, SandboxTokens, SpecTables, bearer,
};

const SPEC: &str = include_str!("../../specs/appclubmais.yaml");
const CLIENT_ID: i64 = 1;
const CLIENT_SECRET: &str = "sandbox-secret";

/// The sandbox's state and behaviour.
#[derive(Default)]
pub struct AppclubmaisSandbox {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    tokens: SandboxTokens,
    purchases: Vec<(String, Value)>,
}

/// A running AppClubMais sandbox.
pub type Running = crate::common::sandbox::Running<AppclubmaisSandbox>;

impl Running {
    /// Purchases recorded so far: the member id and the body sent.
    pub fn purchases(&self) -> Vec<(String, Value)> {
        self.backend.lock().purchases.clone()
    }
}

impl AppclubmaisSandbox {
    /// Starts a sandbox on 127.0.0.1.
    ///
    /// # Errors
    /// When no local port can be bound.
    pub async fn start() -> Result<Running> {
        Running::start(Self::default()).await
    }

    /// The credentials the sandbox accepts.
    pub fn credentials() -> Credentials {
        Credentials::new(ClientId::Number(CLIENT_ID), CLIENT_SECRET)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        crate::common::lock(&self.state)
    }
}

impl Backend for AppclubmaisSandbox {
    fn provider(&self) -> Provider {
        Provider::Appclubmais
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

    fn handle(&self, req: &SandboxRequest, example: &Example) -> Option<SandboxResponse> {
        let op = req.operation?;
        if req.header("accept") != Some("application/json") {
            return Some(SandboxResponse::empty(302));
        }
        if op == "issue_token" {
            let body = req.json();
            let id_ok = body["client_id"] == json!(CLIENT_ID)
                || body["client_id"] == json!(CLIENT_ID.to_string());
            if body["grant_type"] != "client_credentials"
                || !id_ok
                || body["client_secret"] != CLIENT_SECRET
            {
                return Some(SandboxResponse::json(
                    401,
                    json!({"error": "invalid_client", "error_description": "Client authentication failed",
                           "message": "Client authentication failed"}),
                ));
            }
            let (access, _) = self.lock().tokens.issue("appclubmais");
            return Some(SandboxResponse::json(
                200,
                json!({"token_type": "Bearer", "expires_in": 31_536_000, "access_token": access}),
            ));
        }
        if !bearer(req).is_some_and(|t| self.lock().tokens.valid(t)) {
            return Some(SandboxResponse::json(
                401,
                json!({"message": "Unauthenticated."}),
            ));
        }
        match op {
            "register_purchase" => {
                let body = req.json();
                let mut answer = example.body.clone().unwrap_or(Value::Null);
                answer["data"]["valor_total"] = body["valor_total"].clone();
                answer["data"]["movimentacoes"] = json!([]);
                self.lock()
                    .purchases
                    .push((req.param("id").to_owned(), body));
                Some(SandboxResponse::json(example.status, answer))
            }
            _ => None,
        }
    }
}
