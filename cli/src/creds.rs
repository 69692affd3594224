//! Where a command's calls go: the real provider with credentials from the environment, or the
//! provider's embedded sandbox.

use std::sync::Arc;

use brcommerce::{appclubmais, connectplug, ecomdc, pluggto};

use crate::Api;

use crate::Flags;

/// Shown under `brc --help`.
pub const HELP: &str = "\
Credentials (environment variables; never printed):
  ecomDC       BRC_ECOMDC_ID, BRC_ECOMDC_TOKEN
  PluggTo      BRC_PLUGGTO_CLIENT_ID, BRC_PLUGGTO_CLIENT_SECRET, BRC_PLUGGTO_USERNAME,
               BRC_PLUGGTO_PASSWORD (optional BRC_PLUGGTO_TOKEN_FILE keeps the rotating refresh token)
  AppClubMais  BRC_APPCLUBMAIS_CLIENT_ID, BRC_APPCLUBMAIS_CLIENT_SECRET
  ConnectPlug  BRC_CONNECTPLUG_CLIENT_ID, BRC_CONNECTPLUG_CLIENT_SECRET, BRC_CONNECTPLUG_USERNAME,
               BRC_CONNECTPLUG_PASSWORD, BRC_CONNECTPLUG_COMPANY
  BRC_<PROVIDER>_URL overrides the base URL.
Without a provider's credentials (or with --sandbox) the call goes to its embedded sandbox.

Exit codes: 0 success, 1 the call failed, 2 bad usage or parameters, 3 missing credentials.";

fn required(api: Api) -> &'static [&'static str] {
    match api {
        Api::Ecomdc => &["BRC_ECOMDC_ID", "BRC_ECOMDC_TOKEN"],
        Api::Pluggto => &[
            "BRC_PLUGGTO_CLIENT_ID",
            "BRC_PLUGGTO_CLIENT_SECRET",
            "BRC_PLUGGTO_USERNAME",
            "BRC_PLUGGTO_PASSWORD",
        ],
        Api::Appclubmais => &["BRC_APPCLUBMAIS_CLIENT_ID", "BRC_APPCLUBMAIS_CLIENT_SECRET"],
        Api::Connectplug => &[
            "BRC_CONNECTPLUG_CLIENT_ID",
            "BRC_CONNECTPLUG_CLIENT_SECRET",
            "BRC_CONNECTPLUG_USERNAME",
            "BRC_CONNECTPLUG_PASSWORD",
            "BRC_CONNECTPLUG_COMPANY",
        ],
    }
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// A client of one provider (cheap to clone: clones share the pool, pacing and counters).
#[derive(Clone, Debug)]
pub enum AnyClient {
    Ecomdc(ecomdc::Client),
    Pluggto(pluggto::Client),
    Appclubmais(appclubmais::Client),
    Connectplug(connectplug::Client),
}

/// A running embedded sandbox (held, not read: dropping it stops the server).
#[allow(dead_code)]
pub enum Sandbox {
    Ecomdc(ecomdc::sandbox::Running),
    Pluggto(pluggto::sandbox::Running),
    Appclubmais(appclubmais::sandbox::Running),
    Connectplug(connectplug::sandbox::Running),
}

/// Where the calls go: a client and, for a sandbox, the sandbox it talks to.
pub struct Target {
    pub client: AnyClient,
    _sandbox: Option<Sandbox>,
}

impl Target {
    /// The embedded sandbox the calls go to, if any.
    pub fn sandbox(&self) -> Option<&Sandbox> {
        self._sandbox.as_ref()
    }

    fn live(client: AnyClient) -> Self {
        Self {
            client,
            _sandbox: None,
        }
    }
}

/// The client for `api`: live with credentials, else (unless `--live`) the sandbox.
pub async fn connect(api: Api, flags: Flags) -> Result<Target, String> {
    let provider = api.id();
    let missing: Vec<&str> = required(api)
        .iter()
        .copied()
        .filter(|v| var(v).is_empty())
        .collect();
    if flags.sandbox || (!missing.is_empty() && !flags.live) {
        if !flags.sandbox {
            eprintln!(
                "brc: no {provider} credentials ({} not set); using the embedded sandbox. \
                 Pass --live to refuse.",
                missing.join(", ")
            );
        }
        return sandbox(api, flags).await.map_err(|e| e.to_string());
    }
    if !missing.is_empty() {
        return Err(format!(
            "missing {provider} credentials: set {} (see brc --help)",
            missing.join(", ")
        ));
    }
    live(api, flags).map_err(|e| e.to_string())
}

/// Drift detection: every answer for `brc drift`, else the library's default.
fn sampling(flags: Flags) -> u32 {
    if flags.drift {
        1
    } else {
        brcommerce::common::drift::DEFAULT_SAMPLING
    }
}

fn url(api: Api) -> Option<String> {
    std::env::var(format!("BRC_{}_URL", api.id().to_uppercase())).ok()
}

fn live(api: Api, flags: Flags) -> brcommerce::Result<Target> {
    Ok(Target::live(match api {
        Api::Ecomdc => {
            let mut b = ecomdc::Client::builder(ecomdc::Credentials::new(
                var("BRC_ECOMDC_ID"),
                var("BRC_ECOMDC_TOKEN"),
            ));
            b = b.drift_sampling(sampling(flags));
            if let Some(u) = url(api) {
                b = b.base_url(u);
            }
            AnyClient::Ecomdc(b.build()?)
        }
        Api::Pluggto => {
            let mut b = pluggto::Client::builder(pluggto::Credentials::password(
                var("BRC_PLUGGTO_CLIENT_ID"),
                var("BRC_PLUGGTO_CLIENT_SECRET"),
                var("BRC_PLUGGTO_USERNAME"),
                var("BRC_PLUGGTO_PASSWORD"),
            ));
            b = b.drift_sampling(sampling(flags));
            if let Some(u) = url(api) {
                b = b.base_url(u);
            }
            let file = var("BRC_PLUGGTO_TOKEN_FILE");
            if !file.is_empty() {
                b = b.token_store(Arc::new(brcommerce::common::token::FileStore::new(
                    brcommerce::Provider::Pluggto,
                    file,
                )));
            }
            AnyClient::Pluggto(b.build()?)
        }
        Api::Appclubmais => {
            let id = var("BRC_APPCLUBMAIS_CLIENT_ID");
            let id = match id.parse::<i64>() {
                Ok(n) => appclubmais::ClientId::Number(n),
                Err(_) => appclubmais::ClientId::Text(id),
            };
            let mut b = appclubmais::Client::builder(appclubmais::Credentials::new(
                id,
                var("BRC_APPCLUBMAIS_CLIENT_SECRET"),
            ));
            b = b.drift_sampling(sampling(flags));
            if let Some(u) = url(api) {
                b = b.base_url(u);
            }
            AnyClient::Appclubmais(b.build()?)
        }
        Api::Connectplug => {
            let company = var("BRC_CONNECTPLUG_COMPANY").parse::<i64>().map_err(|_| {
                brcommerce::Error::invalid_input(
                    brcommerce::Provider::Connectplug,
                    "configure",
                    "BRC_CONNECTPLUG_COMPANY",
                    "is not a company id (a number)",
                )
            })?;
            let mut b = connectplug::Client::builder(connectplug::Credentials::password(
                var("BRC_CONNECTPLUG_CLIENT_ID"),
                var("BRC_CONNECTPLUG_CLIENT_SECRET"),
                var("BRC_CONNECTPLUG_USERNAME"),
                var("BRC_CONNECTPLUG_PASSWORD"),
            ))
            .company(company);
            b = b.drift_sampling(sampling(flags));
            if let Some(u) = url(api) {
                b = b.base_url(u);
            }
            AnyClient::Connectplug(b.build()?)
        }
    }))
}

/// A sandboxed client (no pacing: the sandboxes do not enforce quotas).
pub async fn sandbox(api: Api, flags: Flags) -> brcommerce::Result<Target> {
    use brcommerce::common::ratelimit::RateLimits;
    let (client, sandbox) = match api {
        Api::Ecomdc => {
            let s = ecomdc::sandbox::EcomdcSandbox::start().await?;
            let c = ecomdc::Client::builder(ecomdc::sandbox::EcomdcSandbox::credentials())
                .base_url(s.base_url())
                .drift_sampling(sampling(flags))
                .rate_limits(RateLimits::unlimited())
                .build()?;
            (AnyClient::Ecomdc(c), Sandbox::Ecomdc(s))
        }
        Api::Pluggto => {
            let s = pluggto::sandbox::PluggtoSandbox::start().await?;
            let c = pluggto::Client::builder(pluggto::sandbox::PluggtoSandbox::credentials())
                .base_url(s.base_url())
                .drift_sampling(sampling(flags))
                .build()?;
            (AnyClient::Pluggto(c), Sandbox::Pluggto(s))
        }
        Api::Appclubmais => {
            let s = appclubmais::sandbox::AppclubmaisSandbox::start().await?;
            let c = appclubmais::Client::builder(
                appclubmais::sandbox::AppclubmaisSandbox::credentials(),
            )
            .base_url(s.base_url())
            .drift_sampling(sampling(flags))
            .build()?;
            (AnyClient::Appclubmais(c), Sandbox::Appclubmais(s))
        }
        Api::Connectplug => {
            let s = connectplug::sandbox::ConnectplugSandbox::start().await?;
            let c = connectplug::Client::builder(
                connectplug::sandbox::ConnectplugSandbox::credentials(),
            )
            .base_url(s.base_url())
            .drift_sampling(sampling(flags))
            .token_url(s.base_url())
            .company(connectplug::sandbox::COMPANY)
            .build()?;
            (AnyClient::Connectplug(c), Sandbox::Connectplug(s))
        }
    };
    Ok(Target {
        client,
        _sandbox: Some(sandbox),
    })
}
