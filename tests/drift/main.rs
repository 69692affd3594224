//! Drift detection end to end: sandboxes that drift on purpose, the findings a client records,
//! and the loop a spec editor follows (findings → `scripts/spec-drift` → patch → regenerate →
//! no finding).

use brcommerce::common::drift::DriftKind;
use brcommerce::common::sandbox::SandboxDrift;
use brcommerce::pluggto::sandbox::PluggtoSandbox;

#[tokio::test]
async fn explore() {
    let sandbox = PluggtoSandbox::start().await.unwrap();
    let hub = brcommerce::pluggto::Client::builder(PluggtoSandbox::credentials())
        .base_url(sandbox.base_url())
        .drift_sampling(1)
        .build()
        .unwrap();
    hub.order("5877efb70280833e402e54bc").await.unwrap();
    let _ = hub.orders_page(&Default::default(), None).await.unwrap();
    for f in hub.drift().findings {
        println!("{f:?}");
    }
    sandbox.drift(SandboxDrift::everywhere()).unwrap();
    hub.order("5877efb70280833e402e54bc").await.unwrap();
    for f in hub.drift().findings {
        println!(
            "{} {} {:?}",
            f.operation, f.difference.path, f.difference.kind
        );
    }
    let _ = DriftKind::UnknownField;
}
