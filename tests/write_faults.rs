//! Every write operation of the four specs, found in the specs (not a hand-picked list), sent
//! through the generated client (by way of the generated command-line interface, the one
//! generic way to call any operation) against a server that applies the request and then loses
//! the answer: a reset connection, a stall past the client's timeout, or a 502. The server
//! records every request it applied. What each operation must do follows from its `x-retry` in
//! the spec:
//!
//! * `with-idempotency-key`: retried with the same key, so a server deduping by key (as
//!   ConnectPlug does) applies it once, and the call succeeds;
//! * `safe`: retried with the very same request (same state as one application), succeeds;
//! * `unsafe`: sent once, and the error says it may have been applied.
//!
//! The table of operation × fault → outcome is printed (`cargo test --test write_faults --
//! --nocapture`). A second pass answers every write with a success the spec does not describe
//! (another 2xx, an empty or odd body): none may be reported as an error.

mod common;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use brcommerce::common::call::{Outcome, capture};
use brcommerce::common::token::{MemoryStore, TokenSet};
use futures::StreamExt;
use progenitor_client::{Error as GenError, ResponseValue};
use serde::Serialize;
use serde_json::Value;

use common::script_server::{ScriptServer, Seen, Step};
use common::{fast_retry, resolve, spec, unlimited};

const PROVIDERS: [&str; 4] = ["ecomdc", "pluggto", "appclubmais", "connectplug"];
/// The client's per-attempt timeout when the server stalls (it answers after 30 s); generous,
/// because the runs go on several at a time on a small machine, where an answer that comes late
/// would count as one more timeout.
const STALL_TIMEOUT: Duration = Duration::from_millis(1500);
/// The per-attempt timeout otherwise: no answer should ever time out.
const TIMEOUT: Duration = Duration::from_secs(20);

/// How the answer of the first attempt is lost.
#[derive(Clone, Copy, Debug)]
enum Fault {
    Reset,
    Timeout,
    BadGateway,
}

impl Fault {
    fn step(self) -> Step {
        match self {
            Fault::Reset => Step::Reset,
            Fault::Timeout => Step::Stall(Duration::from_secs(30), Box::new(Step::text(201, ""))),
            Fault::BadGateway => Step::text(502, "bad gateway"),
        }
    }
}

/// A write operation as the spec describes it.
#[derive(Clone, Debug)]
struct Write {
    provider: &'static str,
    id: String,
    retry: String,
    /// Command-line arguments for its required parameters.
    args: Vec<String>,
    body: Option<Value>,
    /// The first success status and its example body.
    success: (u16, Option<Value>),
    handwritten: bool,
}

/// Every write operation of a spec.
fn writes(provider: &'static str) -> Vec<Write> {
    let spec = spec(provider);
    let mut out = Vec::new();
    for (_, item) in spec["paths"].as_object().unwrap() {
        let shared = item["parameters"].as_array().cloned().unwrap_or_default();
        for (method, op) in item.as_object().unwrap() {
            if !matches!(method.as_str(), "post" | "put" | "patch" | "delete") {
                continue;
            }
            let id = op["operationId"].as_str().unwrap().to_owned();
            let retry = op["x-retry"]
                .as_str()
                .unwrap_or_else(|| panic!("{provider} {id} declares no x-retry"))
                .to_owned();
            let mut args = Vec::new();
            let params = shared
                .iter()
                .chain(op["parameters"].as_array().into_iter().flatten());
            for p in params {
                let p = resolve(&spec, p);
                let required = p["required"].as_bool().unwrap_or(false);
                if !required || p["x-client-header"].as_bool() == Some(true) {
                    continue;
                }
                let name = p["name"].as_str().unwrap();
                args.push(format!("--{}", kebab(name)));
                args.push(value_for(&spec, p));
            }
            let body = op.get("requestBody").map(|b| {
                let b = resolve(&spec, b);
                let media = b["content"].as_object().unwrap().values().next().unwrap();
                example(&spec, media)
            });
            let (code, response) = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(c, _)| c.starts_with('2'))
                .unwrap();
            let response = resolve(&spec, response);
            let success_body = response["content"]["application/json"]
                .as_object()
                .map(|m| example(&spec, &Value::Object(m.clone())));
            out.push(Write {
                provider,
                id,
                retry,
                args,
                body,
                success: (code.parse().unwrap(), success_body),
                handwritten: op["x-handwritten"].as_bool() == Some(true),
            });
        }
    }
    out
}

fn example(spec: &Value, media: &Value) -> Value {
    if let Some(e) = media.get("example") {
        return e.clone();
    }
    if let Some(examples) = media.get("examples").and_then(Value::as_object) {
        return resolve(spec, examples.values().next().unwrap())["value"].clone();
    }
    resolve(spec, &media["schema"])["example"].clone()
}

/// progenitor's argument names: `productId` → `product-id`, `per_page` → `per-page`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('-') {
            out.push('-');
        }
        out.push(match c {
            '_' => '-',
            c => c.to_ascii_lowercase(),
        });
    }
    out
}

/// A value for a parameter: its example, or one of its type.
fn value_for(spec: &Value, p: &Value) -> String {
    let schema = resolve(spec, &p["schema"]);
    let example = p.get("example").or_else(|| schema.get("example"));
    match (example, schema["enum"].get(0)) {
        (Some(Value::String(s)), _) => s.clone(),
        (Some(v), _) if !v.is_null() => v.to_string(),
        (_, Some(Value::String(s))) => s.clone(),
        _ if schema["type"] == "integer" => "7".into(),
        _ => "ABC7".into(),
    }
}

/// What one run came to.
#[derive(Debug)]
struct Run {
    outcome: Result<(), brcommerce::Error>,
    seen: Vec<Seen>,
}

/// Records what the generated command printed, for the call's outcome.
#[derive(Debug, Default)]
struct Recorder;

macro_rules! config {
    ($p:ident) => {
        impl brcommerce::$p::cli::CliConfig for &Recorder {
            fn success_item<T>(&self, _value: &ResponseValue<T>)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
            }
            fn success_no_item(&self, _value: &ResponseValue<()>) {}
            fn error<T>(&self, value: &GenError<T>)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
                capture(value);
            }
            fn list_start<T>(&self)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
            }
            fn list_item<T>(&self, _value: &T)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
            }
            fn list_end_success<T>(&self)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
            }
            fn list_end_error<T>(&self, value: &GenError<T>)
            where
                T: schemars::JsonSchema + Serialize + Debug,
            {
                capture(value);
            }
        }
    };
}
config!(ecomdc);
config!(pluggto);
config!(appclubmais);
config!(connectplug);

fn store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::with(TokenSet::issued(
        "access-token".into(),
        Some("refresh-token".into()),
        // A year: no token request during the test (AppClubMais renews a day early).
        Some(365 * 24 * 3600),
    )))
}

/// Runs one generated command of `$p` against `$url` and says what its call came to.
macro_rules! run_generated {
    ($p:ident, $client:expr, $write:expr, $argv:expr) => {{
        use brcommerce::$p::cli::{Cli, CliCommand};
        let cmd = CliCommand::iter()
            .find(|c| c.operation_id() == $write.id)
            .unwrap_or_else(|| panic!("{} has no command {}", $write.provider, $write.id));
        let matches = Cli::<&Recorder>::get_command(cmd)
            .try_get_matches_from($argv)
            .unwrap_or_else(|e| panic!("{} {}: {e}", $write.provider, $write.id));
        let client = $client;
        let recorder = Recorder;
        let cli = Cli::new(client.raw().clone(), &recorder);
        let (_, outcome) = client.run_generated(cli.execute(cmd, &matches)).await;
        match outcome {
            Outcome::Done | Outcome::Unread(_) => Ok(()),
            Outcome::Failed(e) => Err(e),
        }
    }};
}

async fn run(
    write: &Write,
    steps: Vec<Step>,
    timeout: Duration,
    body_file: &std::path::Path,
) -> Run {
    let server = ScriptServer::start(steps).await;
    let url = server.base_url.clone();
    let mut argv = vec![write.id.clone()];
    argv.extend(write.args.iter().cloned());
    if let Some(body) = &write.body {
        std::fs::write(body_file, body.to_string()).unwrap();
        argv.extend(["--json-body".into(), body_file.display().to_string()]);
    }
    let outcome = match write.provider {
        "ecomdc" => {
            use brcommerce::ecomdc::{Client, Credentials};
            let c = Client::builder(Credentials::new("1", "token"))
                .base_url(&url)
                .rate_limits(unlimited())
                .retry(fast_retry())
                .timeout(timeout)
                .build()
                .unwrap();
            run_generated!(ecomdc, c, write, argv)
        }
        "pluggto" => {
            use brcommerce::pluggto::{Client, Credentials};
            let c = Client::builder(Credentials::password("id", "secret", "user", "pass"))
                .base_url(&url)
                .token_store(store())
                .retry(fast_retry())
                .timeout(timeout)
                .build()
                .unwrap();
            run_generated!(pluggto, c, write, argv)
        }
        "appclubmais" => {
            use brcommerce::appclubmais::{Client, Credentials};
            let c = Client::builder(Credentials::new(1, "secret"))
                .base_url(&url)
                .token_store(store())
                .retry(fast_retry())
                .timeout(timeout)
                .build()
                .unwrap();
            run_generated!(appclubmais, c, write, argv)
        }
        _ => {
            use brcommerce::connectplug::{Client, Credentials};
            let c = Client::builder(Credentials::password("id", "secret", "u@x.br", "pass"))
                .base_url(&url)
                .token_url(&url)
                .company(1)
                .token_store(store())
                .retry(fast_retry())
                .timeout(timeout)
                .build()
                .unwrap();
            run_generated!(connectplug, c, write, argv)
        }
    };
    Run {
        outcome,
        seen: server.seen(),
    }
}

fn success(write: &Write) -> Step {
    match &write.success {
        (status, Some(body)) => Step::json(*status, body.clone()),
        (status, None) => Step::text(*status, ""),
    }
}

/// Checks one run against the operation's `x-retry`; the table row's outcome.
fn judge(write: &Write, fault: Fault, run: &Run) -> Result<String, String> {
    let keys: BTreeSet<Option<&str>> = run
        .seen
        .iter()
        .map(|s| s.header("idempotency-key"))
        .collect();
    let identical = run.seen.windows(2).all(|w| {
        w[0].target == w[1].target && w[0].body == w[1].body && w[0].method == w[1].method
    });
    let sent = run.seen.len();
    let fail = |why: &str| {
        Err(format!(
            "{} {} ({}) after {fault:?}: {why}; sent {sent}, outcome {:?}",
            write.provider, write.id, write.retry, run.outcome
        ))
    };
    match write.retry.as_str() {
        "with-idempotency-key" => {
            if sent < 2 || !identical || keys.len() != 1 || keys.contains(&None) {
                return fail("expected a retry with the same key");
            }
            if run.outcome.is_err() {
                return fail("expected success");
            }
            Ok(format!("retried {}x, one key: applied once", sent - 1))
        }
        "safe" => {
            if sent < 2 || !identical {
                return fail("expected the same request again");
            }
            if run.outcome.is_err() {
                return fail("expected success");
            }
            Ok(format!("retried {}x, same request", sent - 1))
        }
        "unsafe" => match &run.outcome {
            Err(e) if sent == 1 && e.may_have_been_applied() => {
                Ok("sent once, error: may have been applied".into())
            }
            _ => fail("expected one request and a may-have-been-applied error"),
        },
        other => fail(&format!("unknown x-retry {other}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_of_every_spec_is_applied_once_or_reported_as_maybe_applied() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for provider in PROVIDERS {
        for write in writes(provider) {
            if write.handwritten {
                continue;
            }
            for fault in [Fault::Reset, Fault::Timeout, Fault::BadGateway] {
                cases.push((write.clone(), fault));
            }
        }
    }
    let total = cases.len();
    let dir_path = dir.path().to_owned();
    let results: Vec<(Write, Fault, Result<String, String>)> =
        futures::stream::iter(cases.into_iter().enumerate())
            .map(|(i, (write, fault))| {
                let file = dir_path.join(format!("body-{i}.json"));
                async move {
                    let steps = vec![fault.step(), success(&write)];
                    let timeout = match fault {
                        Fault::Timeout => STALL_TIMEOUT,
                        _ => TIMEOUT,
                    };
                    let run = run(&write, steps, timeout, &file).await;
                    let verdict = judge(&write, fault, &run);
                    (write, fault, verdict)
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
    let mut sorted = results;
    sorted.sort_by(|a, b| (a.0.provider, &a.0.id).cmp(&(b.0.provider, &b.0.id)));
    println!(
        "{:<12} {:<38} {:<22} {:<11} outcome",
        "provider", "operation", "x-retry", "fault"
    );
    let mut failures = Vec::new();
    for (write, fault, verdict) in &sorted {
        let shown = match verdict {
            Ok(row) => row.clone(),
            Err(why) => {
                failures.push(why.clone());
                format!("FAILED: {why}")
            }
        };
        println!(
            "{:<12} {:<38} {:<22} {:<11} {shown}",
            write.provider,
            write.id,
            write.retry,
            format!("{fault:?}")
        );
    }
    println!("{total} runs, {} failed", failures.len());
    assert!(
        total > 200,
        "the specs have more writes than {total} runs cover"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Bodies and statuses a provider may answer a write with that the spec does not describe.
fn odd_successes(write: &Write) -> Vec<Step> {
    let declared = write.success.0;
    let other = if declared == 200 { 201 } else { 200 };
    vec![
        Step::text(other, ""),
        Step::text(204, ""),
        Step::json(declared, serde_json::json!({"unexpected": [1, 2, 3]})),
        Step::text(declared, "true"),
        Step::text(declared, "<html>ok</html>"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_write_answered_with_a_success_status_is_reported_as_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for provider in PROVIDERS {
        for write in writes(provider) {
            if write.handwritten {
                continue;
            }
            for step in odd_successes(&write) {
                cases.push((write.clone(), step));
            }
        }
    }
    let total = cases.len();
    let dir_path = dir.path().to_owned();
    let failures: Vec<String> = futures::stream::iter(cases.into_iter().enumerate())
        .map(|(i, (write, step))| {
            let file = dir_path.join(format!("body-{i}.json"));
            async move {
                let shown = format!("{step:?}");
                let run = run(&write, vec![step], TIMEOUT, &file).await;
                match run.outcome {
                    Ok(()) if run.seen.len() == 1 => None,
                    other => Some(format!(
                        "{} {} answered {shown}: {other:?} after {} requests",
                        write.provider,
                        write.id,
                        run.seen.len()
                    )),
                }
            }
        })
        .buffer_unordered(8)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    println!(
        "{total} odd success answers, {} reported as errors",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The hand-written uploads (multipart, not in the generated code) carry a key like every other
/// ConnectPlug write: a lost answer is retried with the same key.
#[tokio::test]
async fn the_handwritten_uploads_are_retried_with_their_key() {
    use brcommerce::connectplug::{Client, Credentials, Upload};
    let handwritten: Vec<Write> = writes("connectplug")
        .into_iter()
        .filter(|w| w.handwritten)
        .collect();
    let mut ids: Vec<&str> = handwritten.iter().map(|w| w.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "upload_purchase_invoice",
            "upload_stock_inventory_spreadsheet"
        ],
        "a new hand-written operation needs a case here"
    );
    for write in &handwritten {
        let server = ScriptServer::start(vec![Step::Reset, success(write)]).await;
        let c = Client::builder(Credentials::password("id", "secret", "u@x.br", "pass"))
            .base_url(&server.base_url)
            .token_url(&server.base_url)
            .company(1)
            .token_store(store())
            .retry(fast_retry())
            .build()
            .unwrap();
        let file = Upload::new("f.xml", "application/xml", b"<nfe/>".to_vec());
        let result = match write.id.as_str() {
            "upload_purchase_invoice" => c.upload_purchase_invoice(&file).await.map(drop),
            _ => c.upload_inventory_spreadsheet(1, 2, &file).await,
        };
        let seen = server.seen();
        let run = Run {
            outcome: result,
            seen,
        };
        judge(write, Fault::Reset, &run).unwrap();
    }
}
