//! Drift detection end to end: sandboxes that drift on purpose, the findings a client records
//! (and logs once), what is kept out of them, sampling, and the answer of the spec editor's loop
//! (`scripts/check-spec-drift`: findings → `scripts/spec-drift` patch → regenerate → no finding).

use std::sync::OnceLock;

use brcommerce::common::drift::{DriftKind, DriftReport, JsonType};
use brcommerce::common::sandbox::SandboxDrift;
use brcommerce::pluggto::sandbox::{PluggtoSandbox, Running};
use serde_json::json;

#[path = "../support/logs.rs"]
mod support_logs;
use support_logs::Captured;

/// The order every test reads (an example of the spec, seeded in the sandbox).
const ORDER: &str = "5877efb70280833e402e54bc";

/// Everything this crate logs (TRACE), from every test of this binary.
fn logs() -> String {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    let captured = LOGS.get_or_init(|| {
        let captured = Captured::default();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,brcommerce=trace"))
            .with_writer(captured.clone())
            .with_ansi(false)
            .init();
        captured
    });
    captured.text()
}

async fn client(sampling: Option<u32>) -> (Running, brcommerce::pluggto::Client) {
    logs();
    let sandbox = PluggtoSandbox::start().await.unwrap();
    let mut builder = brcommerce::pluggto::Client::builder(PluggtoSandbox::credentials())
        .base_url(sandbox.base_url());
    if let Some(n) = sampling {
        builder = builder.drift_sampling(n);
    }
    (sandbox, builder.build().unwrap())
}

/// (kind, path, JSON type) of each finding of `operation`, sorted.
fn found(report: &DriftReport, operation: &str) -> Vec<(DriftKind, String, Option<JsonType>)> {
    let mut found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.operation == operation)
        .map(|f| {
            (
                f.difference.kind,
                f.difference.path.clone(),
                f.difference.json_type,
            )
        })
        .collect();
    found.sort();
    found
}

fn ndjson(report: &DriftReport) -> String {
    let mut out = Vec::new();
    report.write_ndjson(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The drift of the loop: two fields PluggTo sends today and the spec lacks, and an order
/// status it does not list.
fn loop_drift() -> SandboxDrift {
    SandboxDrift::new()
        .add_field("Order", "collection_point", json!("aguardando_retirada"))
        .add_field("Order", "intermediary_fee", json!(12.37))
        .enum_value("Order", "status", "awaiting_withdrawal")
}

#[tokio::test]
async fn two_added_fields_and_an_unknown_enum_value_are_three_findings_logged_once() {
    let (sandbox, hub) = client(Some(1)).await;
    hub.order(ORDER).await.unwrap();
    assert!(
        hub.drift().is_empty(),
        "the undrifted sandbox answers as its spec says: {:?}",
        hub.drift()
    );
    sandbox
        .drift(
            SandboxDrift::new()
                .add_field("Order", "pickup_window", json!("14h-18h"))
                .add_field("Order", "marketplace_fee", json!(7))
                .enum_value("Order", "status", "ready_for_pickup"),
        )
        .unwrap();
    let order = hub.order(ORDER).await.unwrap();
    assert_eq!(order.id, ORDER, "a drifted answer still decodes");
    hub.order(ORDER).await.unwrap();

    let report = hub.drift();
    assert_eq!(
        found(&report, "get_order"),
        [
            (
                DriftKind::UnknownField,
                "Order.marketplace_fee".to_owned(),
                Some(JsonType::Number)
            ),
            (
                DriftKind::UnknownField,
                "Order.pickup_window".to_owned(),
                Some(JsonType::String)
            ),
            (
                DriftKind::UnknownEnumValue,
                "Order.status".to_owned(),
                Some(JsonType::String)
            ),
        ]
    );
    assert_eq!(report.findings.len(), 3, "nothing else: {report:?}");
    for f in &report.findings {
        assert_eq!(
            (f.count, f.answers),
            (2, 2),
            "one finding seen in both answers: {f:?}"
        );
        assert_eq!(f.difference.schema, Some("Order"));
        let field = f.difference.field.as_deref().unwrap();
        let expected = if f.difference.kind == DriftKind::UnknownEnumValue {
            // An enum value that reads as a code is the vocabulary the spec lacks: kept.
            Some("ready_for_pickup")
        } else {
            None
        };
        assert_eq!(f.difference.value.as_deref(), expected, "{field}");
    }
    assert_eq!(report.checked("get_order"), 3);
    let text = format!("{report:?}\n{}", ndjson(&report));
    assert!(
        !text.contains("14h-18h"),
        "the value of pickup_window was recorded: {text}"
    );
    assert_eq!(ndjson(&report).lines().count(), 3);

    let logs = logs();
    for path in ["Order.pickup_window", "Order.marketplace_fee"] {
        let lines: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains(&format!("path={path} ")))
            .collect();
        assert_eq!(lines.len(), 1, "{path} logged once: {lines:?}");
        assert!(lines[0].contains(" INFO "), "{}", lines[0]);
        assert!(
            lines[0].contains("provider=\"pluggto\"") || lines[0].contains("provider=pluggto"),
            "{}",
            lines[0]
        );
        assert!(
            lines[0].contains("operation=\"get_order\"")
                || lines[0].contains("operation=get_order"),
            "{}",
            lines[0]
        );
    }
}

#[tokio::test]
async fn personal_data_and_tokens_in_added_fields_stay_out_of_findings_debug_ndjson_and_logs() {
    const CPF: &str = "529.982.247-25";
    const CPF_DIGITS: &str = "52998224725";
    const EMAIL: &str = "ana.souza@example.com";
    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.Qx7vR2mK9pLw";
    let (sandbox, hub) = client(Some(1)).await;
    sandbox
        .drift(
            SandboxDrift::new()
                .add_field("Order", "buyer_document", json!(CPF))
                .add_field("Order", "buyer_email", json!(EMAIL))
                .add_field("Order", "access_token", json!(TOKEN))
                .add_field("Order", "buyer", json!({"cpf": CPF_DIGITS, "email": EMAIL}))
                .add_field("Order", "tokens", json!([TOKEN]))
                // A key that is data, and an enum value that is data.
                .add_field("Order", CPF_DIGITS, json!({"email": EMAIL}))
                .enum_value("Order", "status", CPF_DIGITS),
        )
        .unwrap();
    hub.order(ORDER).await.unwrap();
    let report = hub.drift();
    assert_eq!(report.findings.len(), 7, "{report:?}");
    let status = report
        .findings
        .iter()
        .find(|f| f.difference.path == "Order.status")
        .unwrap();
    assert_eq!(status.difference.kind, DriftKind::UnknownEnumValue);
    assert_eq!(
        status.difference.value, None,
        "a value that is not a code is not kept"
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.difference.path == "Order.{key}")
    );
    let texts = [
        format!("{report:?}"),
        format!("{:?}", report.findings),
        ndjson(&report),
        logs(),
    ];
    for secret in [CPF, CPF_DIGITS, EMAIL, TOKEN, "ana.souza", "Qx7vR2mK9pLw"] {
        for text in &texts {
            assert!(!text.contains(secret), "{secret} found in:\n{text}");
        }
    }
}

#[tokio::test]
async fn sampling_zero_records_nothing() {
    let (sandbox, hub) = client(Some(0)).await;
    sandbox.drift(SandboxDrift::everywhere()).unwrap();
    for _ in 0..3 {
        hub.order(ORDER).await.unwrap();
    }
    let report = hub.drift();
    assert!(report.is_empty(), "{report:?}");
    assert_eq!(report.checked("get_order"), 0);
    assert_eq!(ndjson(&report), "");
}

#[tokio::test]
async fn by_default_the_first_answer_of_each_operation_is_checked_then_one_in_a_thousand() {
    let (sandbox, hub) = client(None).await;
    sandbox.drift(loop_drift()).unwrap();
    for _ in 0..5 {
        hub.order(ORDER).await.unwrap();
    }
    let clone = hub.clone();
    clone.order(ORDER).await.unwrap();
    let report = hub.drift();
    assert_eq!(
        report.checked("get_order"),
        1,
        "clones share the counters: {report:?}"
    );
    assert_eq!(report.findings.len(), 3, "{report:?}");
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.count == 1 && f.answers == 1)
    );
}

/// Each provider's client has `drift()`, and its sandbox drifts: every object of an answer
/// gains the two fields of [`SandboxDrift::everywhere`].
#[tokio::test]
async fn every_sandbox_drifts_and_every_client_reports_it() {
    use brcommerce::common::sandbox::EVERYWHERE_FIELDS;
    let (sandbox, hub) = client(Some(1)).await;
    sandbox.drift(SandboxDrift::everywhere()).unwrap();
    hub.order(ORDER).await.unwrap();
    let report = hub.drift();
    for field in EVERYWHERE_FIELDS {
        assert!(
            found(&report, "get_order")
                .iter()
                .any(|(_, p, _)| *p == format!("Order.{field}")),
            "{report:?}"
        );
    }
    assert!(
        found(&report, "get_order").contains(&(
            DriftKind::UnknownEnumValue,
            "Order.status".into(),
            Some(JsonType::String)
        )),
        "{report:?}"
    );

    #[cfg(feature = "ecomdc")]
    {
        use brcommerce::ecomdc::sandbox::EcomdcSandbox;
        let sandbox = EcomdcSandbox::start().await.unwrap();
        let store = brcommerce::ecomdc::Client::builder(EcomdcSandbox::credentials())
            .base_url(sandbox.base_url())
            .drift_sampling(1)
            .build()
            .unwrap();
        let filter = brcommerce::ecomdc::ProductFilter::default();
        store.products_page(&filter, None).await.unwrap();
        assert!(store.drift().is_empty(), "{:?}", store.drift());
        sandbox.drift(SandboxDrift::everywhere()).unwrap();
        store.products_page(&filter, None).await.unwrap();
        let report = store.drift();
        for field in EVERYWHERE_FIELDS {
            assert!(
                report
                    .findings
                    .iter()
                    .any(|f| f.difference.field.as_deref() == Some(field)),
                "{report:?}"
            );
        }
    }
}

/// The answer of the spec editor's loop (`scripts/check-spec-drift`, run by `.ci/run`): with
/// today's spec it gives the three findings and, when `BRC_DRIFT_OUT` names a file, writes them
/// there as NDJSON; built from a spec patched with `scripts/spec-drift`'s suggestion
/// (`BRC_DRIFT_PATCHED=1`) it gives none.
#[tokio::test]
async fn the_loop_answer_gives_findings_until_the_spec_is_patched() {
    let (sandbox, hub) = client(Some(1)).await;
    sandbox.drift(loop_drift()).unwrap();
    hub.order(ORDER).await.unwrap();
    let report = hub.drift();
    if std::env::var_os("BRC_DRIFT_PATCHED").is_some() {
        assert!(
            report.is_empty(),
            "the patched spec still differs: {report:?}"
        );
        return;
    }
    assert_eq!(
        found(&report, "get_order"),
        [
            (
                DriftKind::UnknownField,
                "Order.collection_point".to_owned(),
                Some(JsonType::String)
            ),
            (
                DriftKind::UnknownField,
                "Order.intermediary_fee".to_owned(),
                Some(JsonType::Number)
            ),
            (
                DriftKind::UnknownEnumValue,
                "Order.status".to_owned(),
                Some(JsonType::String)
            ),
        ]
    );
    if let Some(path) = std::env::var_os("BRC_DRIFT_OUT") {
        report
            .write_ndjson(std::fs::File::create(path).unwrap())
            .unwrap();
    }
}
