//! Where a command's calls go: the real provider with credentials from the environment, or the
//! provider's embedded sandbox.

use std::sync::Arc;

use brcommerce::{appclubmais, connectplug, ecomdc, pluggto};
use clap::ArgMatches;

use crate::Flags;
use crate::output::{Failure, Printer};

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

fn required(provider: &str) -> &'static [&'static str] {
    match provider {
        "ecomdc" => &["BRC_ECOMDC_ID", "BRC_ECOMDC_TOKEN"],
        "pluggto" => &[
            "BRC_PLUGGTO_CLIENT_ID",
            "BRC_PLUGGTO_CLIENT_SECRET",
            "BRC_PLUGGTO_USERNAME",
            "BRC_PLUGGTO_PASSWORD",
        ],
        "appclubmais" => &["BRC_APPCLUBMAIS_CLIENT_ID", "BRC_APPCLUBMAIS_CLIENT_SECRET"],
        _ => &[
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

/// A client and, for a sandbox, the running sandbox it talks to (held, not read: dropping it
/// stops the server).
#[allow(dead_code)]
pub enum Target {
    Ecomdc(ecomdc::Client, Option<ecomdc::sandbox::Running>),
    Pluggto(pluggto::Client, Option<pluggto::sandbox::Running>),
    Appclubmais(appclubmais::Client, Option<appclubmais::sandbox::Running>),
    Connectplug(connectplug::Client, Option<connectplug::sandbox::Running>),
}

/// The client for `provider`: live with credentials, else (unless `--live`) the sandbox.
pub async fn connect(provider: &str, flags: Flags) -> Result<Target, String> {
    let missing: Vec<&str> = required(provider)
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
        return sandbox(provider, flags).await.map_err(|e| e.to_string());
    }
    if !missing.is_empty() {
        return Err(format!(
            "missing {provider} credentials: set {} (see brc --help)",
            missing.join(", ")
        ));
    }
    live(provider, flags).map_err(|e| e.to_string())
}

/// Drift detection: every answer for `brc drift`, else the library's default.
fn sampling(flags: Flags) -> u32 {
    if flags.drift {
        1
    } else {
        brcommerce::common::drift::DEFAULT_SAMPLING
    }
}

fn url(provider: &str) -> Option<String> {
    std::env::var(format!("BRC_{}_URL", provider.to_uppercase())).ok()
}

fn live(provider: &str, flags: Flags) -> brcommerce::Result<Target> {
    Ok(match provider {
        "ecomdc" => {
            let mut b = ecomdc::Client::builder(ecomdc::Credentials::new(
                var("BRC_ECOMDC_ID"),
                var("BRC_ECOMDC_TOKEN"),
            ));
            b = b.drift_sampling(sampling(flags));
            if let Some(u) = url(provider) {
                b = b.base_url(u);
            }
            Target::Ecomdc(b.build()?, None)
        }
        "pluggto" => {
            let mut b = pluggto::Client::builder(pluggto::Credentials::password(
                var("BRC_PLUGGTO_CLIENT_ID"),
                var("BRC_PLUGGTO_CLIENT_SECRET"),
                var("BRC_PLUGGTO_USERNAME"),
                var("BRC_PLUGGTO_PASSWORD"),
            ));
            b = b.drift_sampling(sampling(flags));
            if let Some(u) = url(provider) {
                b = b.base_url(u);
            }
            let file = var("BRC_PLUGGTO_TOKEN_FILE");
            if !file.is_empty() {
                b = b.token_store(Arc::new(brcommerce::common::token::FileStore::new(
                    brcommerce::Provider::Pluggto,
                    file,
                )));
            }
            Target::Pluggto(b.build()?, None)
        }
        "appclubmais" => {
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
            if let Some(u) = url(provider) {
                b = b.base_url(u);
            }
            Target::Appclubmais(b.build()?, None)
        }
        _ => {
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
            if let Some(u) = url(provider) {
                b = b.base_url(u);
            }
            Target::Connectplug(b.build()?, None)
        }
    })
}

/// A sandboxed client (no pacing: the sandboxes do not enforce quotas).
pub async fn sandbox(provider: &str, flags: Flags) -> brcommerce::Result<Target> {
    use brcommerce::common::ratelimit::RateLimits;
    Ok(match provider {
        "ecomdc" => {
            let s = ecomdc::sandbox::EcomdcSandbox::start().await?;
            let c = ecomdc::Client::builder(ecomdc::sandbox::EcomdcSandbox::credentials())
                .base_url(s.base_url())
                .drift_sampling(sampling(flags))
                .rate_limits(RateLimits::unlimited())
                .build()?;
            Target::Ecomdc(c, Some(s))
        }
        "pluggto" => {
            let s = pluggto::sandbox::PluggtoSandbox::start().await?;
            let c = pluggto::Client::builder(pluggto::sandbox::PluggtoSandbox::credentials())
                .base_url(s.base_url())
                .drift_sampling(sampling(flags))
                .build()?;
            Target::Pluggto(c, Some(s))
        }
        "appclubmais" => {
            let s = appclubmais::sandbox::AppclubmaisSandbox::start().await?;
            let c = appclubmais::Client::builder(
                appclubmais::sandbox::AppclubmaisSandbox::credentials(),
            )
            .base_url(s.base_url())
            .drift_sampling(sampling(flags))
            .build()?;
            Target::Appclubmais(c, Some(s))
        }
        _ => {
            let s = connectplug::sandbox::ConnectplugSandbox::start().await?;
            let c = connectplug::Client::builder(
                connectplug::sandbox::ConnectplugSandbox::credentials(),
            )
            .base_url(s.base_url())
            .drift_sampling(sampling(flags))
            .token_url(s.base_url())
            .company(connectplug::sandbox::COMPANY)
            .build()?;
            Target::Connectplug(c, Some(s))
        }
    })
}

impl Target {
    /// Runs the generated command `op` with `matches`, reporting to `printer`.
    pub async fn execute(
        &self,
        op: &str,
        matches: &ArgMatches,
        printer: Printer,
    ) -> Result<(), Failure> {
        self.execute_with(op, matches, &printer).await
    }

    /// As [`Target::execute`], keeping the printer (to read a captured result).
    pub async fn execute_with(
        &self,
        op: &str,
        matches: &ArgMatches,
        printer: &Printer,
    ) -> Result<(), Failure> {
        macro_rules! exec {
            ($p:ident, $client:expr) => {{
                use brcommerce::$p::cli::{Cli, CliCommand};
                let cmd = CliCommand::iter()
                    .find(|c| c.operation_id() == op)
                    .ok_or_else(|| Failure::Usage(format!("unknown operation {op}")))?;
                let cli = Cli::new($client.raw().clone(), printer);
                cli.execute(cmd, matches).await
            }};
        }
        let result = match self {
            Target::Ecomdc(c, _) => exec!(ecomdc, c),
            Target::Pluggto(c, _) => exec!(pluggto, c),
            Target::Appclubmais(c, _) => exec!(appclubmais, c),
            Target::Connectplug(c, _) => exec!(connectplug, c),
        };
        match result {
            Ok(()) => Ok(()),
            Err(e) => Err(match printer.failure() {
                Some(call) if call.starts_with("invalid parameter") => Failure::Usage(call),
                Some(call) => Failure::Call(call),
                // Failed before any call: a bad or unreadable parameter (e.g. the body file).
                None => Failure::Usage(brcommerce::common::secret::redact_query_secrets(&format!(
                    "{e:#}"
                ))),
            }),
        }
    }
}
