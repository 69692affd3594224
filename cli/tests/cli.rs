//! The `brc` binary: help, a call per provider against its sandbox, paging through the
//! facades (against httpmock servers where the paging itself is under test), rejected records,
//! short errors, bodies from standard input, usage errors, credentials, and the demo.

use assert_cmd::Command;
use httpmock::prelude::*;
use serde_json::{Value, json};

const VARS: [&str; 15] = [
    "BRC_ECOMDC_URL",
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
        ("ecomdc", "get-stock", "stock"),
        ("pluggto", "update-sku-stock", "stock"),
        ("appclubmais", "register-purchase", "purchase"),
        ("connectplug", "list-products", "product"),
    ] {
        let r = run(brc().args([provider, "--help"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let line = r
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(op))
            .unwrap_or_else(|| panic!("{op} not listed by {provider} --help:\n{}", r.stdout));
        assert!(line.to_lowercase().contains(summary), "{line}");
        // The spec's snake-case ids are hidden aliases, not listed.
        let snake = op.replace('-', "_");
        assert!(
            !r.stdout.contains(&format!(" {snake} ")),
            "{snake} listed by {provider} --help:\n{}",
            r.stdout
        );
    }
}

#[test]
fn operations_are_kebab_case_and_the_snake_case_ids_still_work() {
    for op in ["get-stock", "get_stock"] {
        let r = run(brc().args(["--sandbox", "ecomdc", op, "--referencia", "11482378"]));
        assert_eq!(r.code, 0, "{op}: {}", r.stderr);
        assert_eq!(json(&r.stdout)["estoque"], 10, "{op}");
    }
    for op in ["list-products", "list_products"] {
        let r = run(brc().args(["--sandbox", "--all-pages", "connectplug", op]));
        assert_eq!(r.code, 0, "{op}: {}", r.stderr);
        assert_eq!(r.stdout.lines().count(), 5, "{op}: {}", r.stdout);
    }
}

#[test]
fn an_unknown_provider_is_a_clap_usage_error() {
    let r = run(brc().args(["shopify", "list-products"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unrecognized subcommand 'shopify'"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
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
    // `--per-page` is not in the facade's filter: the fallback pages the generated command by
    // ConnectPlug's `meta` (3 pages of 2, 2, 1).
    let r = run(brc().args([
        "--all-pages",
        "connectplug",
        "list-products",
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

    let r = run(brc().args(["--all-pages", "pluggto", "list-products"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(r.stdout.lines().next().unwrap())["sku"], "pai");

    for args in [
        ["ecomdc", "get-stock", "--referencia", "1"],
        ["pluggto", "get-sku", "--sku", "pai"],
    ] {
        let r = run(brc().arg("--all-pages").args(args));
        assert_eq!(r.code, 2, "not a list: {}", r.stderr);
        assert!(r.stderr.contains("not a paged list"), "{}", r.stderr);
    }
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

/// PluggTo answers a PUT that changes nothing with 400 `not_updated`; brc prints one line saying
/// so and exits 0, as the library's facade reads it (`Written::Unchanged`).
#[test]
fn a_put_that_changes_nothing_is_unchanged_not_a_failure() {
    let r = run(brc()
        .args([
            "--sandbox",
            "pluggto",
            "put-sku",
            "--sku",
            "pai",
            "--body",
            "-",
        ])
        .write_stdin(r#"{"sku": "pai"}"#));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("unchanged: PluggTo put_sku"),
        "{}",
        r.stdout
    );
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
        r.stderr.contains("PluggTo get_sku: provider answered 404"),
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

/// An ecomDC product page of the spec's example, with `codigo`s and `totais`.
fn ecomdc_page(codes: &[&str], page: u32, pages: u32) -> Value {
    let spec: Value =
        yaml_serde::from_str(include_str!("../../specs/ecomdc.yaml")).expect("the ecomDC spec");
    let mut body =
        spec["paths"]["/produtos"]["get"]["responses"]["200"]["content"]["application/json"]
            ["example"]
            .clone();
    let product = body["produtos"][0].clone();
    body["produtos"] = codes
        .iter()
        .map(|c| {
            let mut p = product.clone();
            p["codigo"] = json!(c);
            p
        })
        .collect();
    body["totais"] = json!({
        "totalProdutos": (codes.len() as u32 * pages).to_string(),
        "totalPaginas": pages.to_string(),
        "paginaAtual": page.to_string(),
    });
    body
}

/// `brc` with live ecomDC credentials pointing at `server`.
fn brc_ecomdc(server: &MockServer) -> Command {
    let mut cmd = brc();
    cmd.env("BRC_ECOMDC_ID", "3566")
        .env("BRC_ECOMDC_TOKEN", "tok-cli-test")
        .env("BRC_ECOMDC_URL", server.base_url());
    cmd
}

#[test]
fn ecomdc_all_pages_stops_at_totais() {
    let server = MockServer::start();
    let pages: Vec<_> = (1..=3)
        .map(|page| {
            // A third page exists on the server, but `totais` says there are 2.
            let body = ecomdc_page(&[&format!("P{page}a"), &format!("P{page}b")], page, 2);
            server.mock(|when, then| {
                when.method(GET)
                    .path("/produtos")
                    .query_param("page", page.to_string());
                then.status(200).json_body(body);
            })
        })
        .collect();
    let r = run(brc_ecomdc(&server).args(["--all-pages", "ecomdc", "list-products"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let codes: Vec<String> = r
        .stdout
        .lines()
        .map(|l| json(l)["codigo"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["P1a", "P1b", "P2a", "P2b"]);
    assert_eq!(pages[0].calls(), 1);
    assert_eq!(pages[1].calls(), 1);
    assert_eq!(pages[2].calls(), 0, "a page beyond totais was fetched");
    assert!(
        r.stderr.is_empty(),
        "nothing extra without a terminal: {}",
        r.stderr
    );
}

#[test]
fn rejected_records_are_one_line_each_and_exit_1_after_every_good_record() {
    let server = MockServer::start();
    let mut first = ecomdc_page(&["A1", "A2", "A3"], 1, 2);
    // The middle record cannot be read: its price is a sentence.
    first["produtos"][1]["preco"] = json!("caro demais, segredo 123");
    let second = ecomdc_page(&["B1"], 2, 2);
    for (page, body) in [(1, first), (2, second)] {
        server.mock(|when, then| {
            when.method(GET)
                .path("/produtos")
                .query_param("page", page.to_string());
            then.status(200).json_body(body);
        });
    }
    let r = run(brc_ecomdc(&server).args(["--all-pages", "ecomdc", "list-products"]));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let codes: Vec<String> = r
        .stdout
        .lines()
        .map(|l| json(l)["codigo"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["A1", "A3", "B1"], "every good record, in order");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "one line for the record, one summary: {}",
        r.stderr
    );
    let reject = lines[0];
    assert!(reject.contains("record 1 (id A2)"), "{reject}");
    assert!(reject.contains("produtos[1].preco"), "{reject}");
    assert!(reject.len() <= 300, "{} bytes: {reject}", reject.len());
    assert!(
        !r.stderr.contains("segredo") && !r.stderr.contains("bicicleta"),
        "values of the record on stderr: {}",
        r.stderr
    );
    assert!(lines[1].contains("1 record was rejected"), "{}", lines[1]);
}

#[test]
fn an_error_line_stays_short_whatever_the_body() {
    let server = MockServer::start();
    let huge = "x".repeat(1 << 20);
    server.mock(|when, then| {
        when.method(GET).path("/item/1/estoque");
        then.status(404).json_body(json!({ "message": huge }));
    });
    server.mock(|when, then| {
        when.method(GET).path("/item/2/estoque");
        then.status(404).body(&huge);
    });
    for referencia in ["1", "2"] {
        let r = run(brc_ecomdc(&server).args(["ecomdc", "get-stock", "--referencia", referencia]));
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "one line");
        let line = r.stderr.trim_end();
        assert!(line.len() <= 300, "{} bytes", line.len());
        assert!(
            line.starts_with("brc: ecomDC get_stock: provider answered 404"),
            "{line}"
        );
    }
}

#[test]
fn a_successful_write_prints_the_answer_or_a_confirmation_never_null() {
    // ecomDC documents no body for a stock update.
    let r = run(brc()
        .args([
            "--sandbox",
            "ecomdc",
            "update-stock",
            "--referencia",
            "11482378",
            "--body",
            "-",
        ])
        .write_stdin(r#"{"estoque": 4}"#));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "ok: ecomDC update_stock answered 201");
    let r = run(brc().args([
        "--sandbox",
        "ecomdc",
        "get-stock",
        "--referencia",
        "11482378",
    ]));
    assert_eq!(
        json(&r.stdout)["estoque"],
        10,
        "each run has a fresh sandbox"
    );

    // PluggTo answers with the stored product.
    let r = run(brc()
        .args([
            "--sandbox",
            "pluggto",
            "update-sku-stock",
            "--sku",
            "pai",
            "--body",
            "-",
        ])
        .write_stdin(r#"{"action": "update", "quantity": 3, "sku": "pai"}"#));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_ne!(r.stdout.trim(), "null");
    assert_eq!(json(&r.stdout)["Product"]["quantity"], 3);
}

#[test]
fn a_bad_body_from_standard_input_names_stdin() {
    let r = run(brc()
        .args([
            "--sandbox",
            "pluggto",
            "update-sku-stock",
            "--sku",
            "pai",
            "--body",
            "-",
        ])
        .write_stdin("{not json"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("stdin"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("/dev/") && !r.stderr.contains("brc-body"),
        "{}",
        r.stderr
    );
}

#[test]
fn all_pages_through_each_facade_prints_nothing_extra_without_a_terminal() {
    for (provider, op, count) in [
        ("ecomdc", "list-products", 1),
        ("pluggto", "list-products", 1),
        ("connectplug", "list-products", 5),
    ] {
        let r = run(brc().args(["--sandbox", "--all-pages", provider, op]));
        assert_eq!(r.code, 0, "{provider} {op}: {}", r.stderr);
        assert!(
            r.stdout.lines().count() >= count,
            "{provider} {op}: {}",
            r.stdout
        );
        assert!(r.stderr.is_empty(), "{provider} {op}: {}", r.stderr);
    }
}
