//! `brc listen`: the webhook receiver on a local port, printing each typed event as one JSON
//! line (NDJSON) on standard output; notices go to standard error.
//!
//! With `--sandbox`, the embedded ecomDC and PluggTo sandboxes are started, send their
//! callbacks to it, and a few changes are made in them so events arrive at once; the sandboxes
//! stay up (their addresses and credentials are printed) for more changes from another `brc`.

use std::process::ExitCode;
use std::time::Duration;

use brcommerce::ecomdc::sandbox::EcomdcSandbox;
use brcommerce::pluggto::sandbox::PluggtoSandbox;
use brcommerce::webhooks::{self, Receiver};
use clap::{Arg, ArgMatches, Command};

pub fn command() -> Command {
    Command::new("listen")
        .about("Receive provider callbacks on a local port and print each typed event as NDJSON")
        .arg(
            Arg::new("port")
                .long("port")
                .value_parser(clap::value_parser!(u16))
                .default_value("8787")
                .help("Port on 127.0.0.1 (0 picks a free one)"),
        )
        .arg(
            Arg::new("token")
                .long("token")
                .env("BRC_LISTEN_TOKEN")
                .hide_env_values(true)
                .help("Secret path token of the callback URLs (default: a random one)"),
        )
}

pub async fn run(m: &ArgMatches, sandbox: bool) -> ExitCode {
    let port = m.get_one::<u16>("port").copied().unwrap_or(8787);
    let token = m
        .get_one::<String>("token")
        .cloned()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let receiver = match Receiver::builder(webhooks::ndjson(std::io::stdout()))
        .path_token(&token)
        .start()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("brc: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("brc: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::from(1);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let base = format!("http://{addr}/{token}");
    eprintln!(
        "brc: listening on {addr}; callback URLs:\n  ecomDC   {base}/ecomdc\n  PluggTo  {base}/pluggto"
    );
    let _sandboxes = if sandbox {
        match sandboxes(&base).await {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("brc: sandbox: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        None
    };
    eprintln!("brc: Ctrl-C stops");
    let result = tokio::select! {
        r = receiver.serve(listener) => r,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    receiver.shutdown().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("brc: {e}");
            ExitCode::from(1)
        }
    }
}

/// Starts the two sandboxes wired to the receiver and makes a few changes in them.
async fn sandboxes(
    base: &str,
) -> brcommerce::Result<(
    brcommerce::ecomdc::sandbox::Running,
    brcommerce::pluggto::sandbox::Running,
)> {
    let ecomdc = EcomdcSandbox::start().await?;
    ecomdc.send_callbacks_to(&format!("{base}/ecomdc"))?;
    let pluggto = PluggtoSandbox::start().await?;
    pluggto.send_callbacks_to(&format!("{base}/pluggto"))?;
    eprintln!(
        "brc: sandboxes sending callbacks; change them from another shell, e.g.\n  \
         BRC_ECOMDC_URL={} BRC_ECOMDC_ID=sandbox BRC_ECOMDC_TOKEN=sandbox-token brc ecomdc update-stock --referencia 11482378 --body FILE\n  \
         BRC_PLUGGTO_URL={} BRC_PLUGGTO_CLIENT_ID=sandbox BRC_PLUGGTO_CLIENT_SECRET=sandbox-secret \
         BRC_PLUGGTO_USERNAME=sandbox-user BRC_PLUGGTO_PASSWORD=sandbox-pass brc pluggto ...",
        ecomdc.base_url(),
        pluggto.base_url()
    );
    let store = brcommerce::ecomdc::Client::builder(EcomdcSandbox::credentials())
        .base_url(ecomdc.base_url())
        .build()?;
    store.set_stock("11482378", 9).await?;
    if ecomdc.place_order("11482378", 1, "Maria").is_none() {
        eprintln!("brc: the ecomDC sandbox could not place an order");
    }
    let hub = brcommerce::pluggto::Client::builder(PluggtoSandbox::credentials())
        .base_url(pluggto.base_url())
        .build()?;
    hub.update_stock("pai", brcommerce::pluggto::StockChange::Set(4))
        .await?;
    // Let the first callbacks arrive before the notice about Ctrl-C.
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok((ecomdc, pluggto))
}
