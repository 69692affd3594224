//! The `brc` binary: help, a call per provider against its sandbox, paging, bodies from
//! standard input, usage errors, credentials, and the demo.

use assert_cmd::Command;
use serde_json::Value;

const VARS: [&str; 14] = [
    "BRC_ECOMDC_ID",
    "BRC_ECOMDC_TOKEN",
    "BRC_PLUGGTO_CLIENT_ID",
    "BRC_PLUGGTO_CLIENT_SECRET",
    "BRC_PLUGGTO_USERNAME",
    "BRC_PLUGGTO_PASSWORD",
    "BRC_APPCLUBMAIS_CLIENT_ID",
    "BRC_APPCLUBMAIS_CLIENT_SECRET",
    "BRC_CONNECTPLUG_CLIENT_ID",
    "BRC_CONNECTPLUG_CLIENT_SECRET",
    "BRC_CONNECTPLUG_USERNAME",
    "BRC_CONNECTPLUG_PASSWORD",
    "BRC_CONNECTPLUG_COMPANY",
    "BRC_PLUGGTO_TOKEN_FILE",
];

fn brc() -> Command {
    let mut cmd = Command::cargo_bin("brc").unwrap();
    for v in VARS {
        cmd.env_remove(v);
    }
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn help_lists_the_providers_and_the_credential_variables() {
    let r = run(brc().arg("--help"));
    assert_eq!(r.code, 0);
    for p in [
        "demo",
        "ecomdc",
        "pluggto",
        "appclubmais",
        "connectplug",
        "BRC_PLUGGTO_CLIENT_SECRET",
    ] {
        assert!(r.stdout.contains(p), "{p} missing in:\n{}", r.stdout);
    }
}

#[test]
fn each_provider_lists_its_operations_with_summaries() {
    for (provider, op, summary) in [
        ("ecomdc", "get_stock", "stock"),
        ("pluggto", "update_sku_stock", "stock"),
        ("appclubmais", "register_purchase", "purchase"),
        ("connectplug", "list_products", "product"),
    ] {
        let r = run(brc().args([provider, "--help"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let line = r
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(op))
            .unwrap_or_else(|| panic!("{op} not listed by {provider} --help:\n{}", r.stdout));
        assert!(line.to_lowercase().contains(summary), "{line}");
    }
}

#[test]
fn a_call_per_provider_against_its_sandbox() {
    let r = run(brc().args([
        "--sandbox",
        "ecomdc",
        "get_stock",
        "--referencia",
        "11482378",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["estoque"], 10);

    let r = run(brc().args(["--sandbox", "pluggto", "get_sku", "--sku", "pai"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["Product"]["sku"], "pai");

    let r = run(brc().args([
        "--sandbox",
        "appclubmais",
        "get_benefits",
        "--cpf",
        "52998224725",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["success"], true);

    let r = run(brc().args([
        "--sandbox",
        "connectplug",
        "get_product",
        "--product-id",
        "101",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["data"]["sku"], "CAN-ESM-02");
    assert!(
        r.stderr.is_empty(),
        "no notice with --sandbox: {}",
        r.stderr
    );
}

#[test]
fn all_pages_prints_one_item_per_line() {
    let r = run(brc().args([
        "--all-pages",
        "connectplug",
        "list_products",
        "--per-page",
        "2",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let skus: Vec<String> = r
        .stdout
        .lines()
        .map(|l| json(l)["sku"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        skus,
        [
            "CAM-BAS-01",
            "CAN-ESM-02",
            "BON-ABA-03",
            "MEI-CAN-04",
            "MOC-URB-05"
        ]
    );

    let r = run(brc().args(["--all-pages", "pluggto", "list_products"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(r.stdout.lines().next().unwrap())["sku"], "pai");

    let r = run(brc().args(["--all-pages", "ecomdc", "get_stock", "--referencia", "1"]));
    assert_eq!(r.code, 2, "not a list: {}", r.stderr);
    assert!(r.stderr.contains("not a paged list"), "{}", r.stderr);
}

#[test]
fn a_body_can_come_from_standard_input() {
    let r = run(brc()
        .args([
            "--sandbox",
            "pluggto",
            "update_sku_stock",
            "--sku",
            "pai",
            "--body",
            "-",
        ])
        .write_stdin(r#"{"action": "update", "quantity": 7, "sku": "pai"}"#));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["Product"]["quantity"], 7);
}

#[test]
fn bad_parameters_are_usage_errors_with_exit_code_2() {
    let r = run(brc().args(["--sandbox", "ecomdc", "get_stock", "--bogus", "1"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--bogus"), "{}", r.stderr);

    let r = run(brc().args([
        "--sandbox",
        "connectplug",
        "get_product",
        "--product-id",
        "abc",
    ]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("product-id"), "{}", r.stderr);

    let r = run(brc().args([
        "--sandbox",
        "pluggto",
        "put_sku",
        "--sku",
        "x",
        "--body",
        "/nonexistent/body.json",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);

    let r = run(brc().args(["shopify", "list"]));
    assert_eq!(r.code, 2);
}

#[test]
fn a_failed_call_exits_1_with_the_provider_error() {
    let r = run(brc().args(["--sandbox", "pluggto", "get_sku", "--sku", "does-not-exist"]));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("pluggto get_sku") && r.stderr.contains("404"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_credentials_fall_back_to_the_sandbox_unless_live() {
    let r = run(brc().args(["ecomdc", "get_stock", "--referencia", "11482378"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("using the embedded sandbox"),
        "{}",
        r.stderr
    );

    let r = run(brc()
        .env("BRC_ECOMDC_TOKEN", "very-secret-token-123")
        .args(["--live", "ecomdc", "get_stock", "--referencia", "1"]));
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("BRC_ECOMDC_ID"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("very-secret-token-123") && !r.stdout.contains("very-secret-token-123")
    );
}

#[test]
fn the_demo_runs_across_the_four_sandboxes_and_verifies_every_step() {
    let r = run(brc().arg("demo"));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("items synced: 5"), "{}", r.stdout);
    assert!(
        r.stdout.contains("orders moved: 1 (4 phases)"),
        "{}",
        r.stdout
    );
    for p in ["ConnectPlug", "ecomDC", "PluggTo", "AppClubMais"] {
        assert!(r.stdout.contains(p), "{}", r.stdout);
    }
    assert!(r.stderr.contains("[5/5]"), "{}", r.stderr);
}

#[test]
fn listen_prints_the_sandboxes_callbacks_as_typed_ndjson() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("brc"))
        .args(["listen", "--port", "0", "--sandbox"])
        .env("BRC_LISTEN_TOKEN", "listen-test-token-0123456789")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // set_stock, then a placed order (its stock and the order), then a PluggTo stock change.
    let mut events = Vec::new();
    while events.len() < 4 {
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) => events.push(json(&line)),
            Err(e) => {
                let _ = child.kill();
                panic!("{e}: got {events:?}");
            }
        }
    }
    child.kill().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let _ = child.wait();
    assert!(
        stderr.contains("/listen-test-token-0123456789/ecomdc"),
        "{stderr}"
    );
    let endpoints: Vec<&str> = events
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(
        endpoints
            .iter()
            .filter(|e| **e == "ecomdc-callback")
            .count(),
        3,
        "{events:?}"
    );
    assert!(endpoints.contains(&"pluggto-notification"), "{events:?}");
    let stock = events
        .iter()
        .find(|e| e["event"]["evento"] == "estoque")
        .unwrap();
    assert_eq!(stock["event"]["referencia_sku"], "11482378");
    assert_eq!(stock["attempt"], 1);
    let order = events
        .iter()
        .find(|e| e["event"]["evento"] == "pedido")
        .unwrap();
    assert_eq!(order["event"]["pedido"]["fase_atual"], "novo");
    let n = events
        .iter()
        .find(|e| e["endpoint"] == "pluggto-notification")
        .unwrap();
    assert_eq!(n["event"]["type"], "products");
    assert_eq!(n["event"]["changes"]["stock"], true);
}

#[test]
fn drift_prints_the_findings_of_a_read_as_ndjson_without_the_answer() {
    let read = ["pluggto", "get_order", "--id", "5877efb70280833e402e54bc"];
    let r = run(brc().args(["drift", "--sandbox"]).args(read));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "", "the sandbox answers as its spec says");

    let r = run(brc().args(["drift", "--sandbox", "--drifting"]).args(read));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<Value> = r.stdout.lines().map(json).collect();
    // The token grant's answer drifts too: its findings are those of `issue_token`.
    let paths: Vec<&str> = lines
        .iter()
        .filter(|l| l["operation"] == "get_order")
        .filter_map(|l| l["path"].as_str())
        .collect();
    for path in [
        "Order.brc_drift_note",
        "Order.brc_drift_count",
        "Order.status",
    ] {
        assert!(paths.contains(&path), "{path} in {paths:?}");
    }
    for l in &lines {
        assert_eq!(l["provider"], "pluggto", "{l}");
        assert!(l["json_type"].is_string() && l["shape"].is_string(), "{l}");
    }
    assert!(
        !r.stdout.contains("added by the sandbox"),
        "no values: {}",
        r.stdout
    );
    assert!(!r.stdout.contains("receiver_name"), "no answer on stdout");

    let r = run(brc().args(["drift", "--live", "--drifting"]).args(read));
    assert_ne!(r.code, 0, "{}", r.stderr);
}
