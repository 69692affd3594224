//! Credentials stay at the provider's origin. A first server answers every request with a
//! redirect to a second server that records what reaches it: another host (`localhost` instead
//! of `127.0.0.1`), another port, or plain HTTP from HTTPS. For each of the four providers, a
//! read and a write: nothing reaches the second server (so none of the credentials, which each
//! provider sends its own way: headers, a bearer token, a token in the query string), and the
//! error names the provider, the operation and the target's origin, not its path or query. A
//! redirect within the origin is followed, credentials included.

mod common;

use std::sync::Arc;

use brcommerce::common::token::{MemoryStore, TokenSet};
use brcommerce::{Error, ErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::script_server::{ScriptServer, Step};
use common::{fast_retry, unlimited};

const SECRET: &str = "s3cr3t-credential";

/// Where the first server (on `127.0.0.1`) sends its clients; the second server listens on
/// `127.0.0.1` too, as every test server here does.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// Another host name: `localhost` (and the second server's port).
    OtherHost,
    /// `127.0.0.1`, another port.
    OtherPort,
    /// From `https://localhost:<p>` to `http://localhost:<q>`.
    PlainHttp,
}

fn store() -> Arc<MemoryStore> {
    Arc::new(MemoryStore::with(TokenSet::issued(
        SECRET.into(),
        Some(format!("{SECRET}-refresh")),
        Some(365 * 24 * 3600),
    )))
}

/// A TLS server on 127.0.0.1 (certificate for `localhost`) that answers every request with
/// `302 Location: <location>`. Returns its port and the certificate to trust.
async fn tls_redirector(location: String) -> (u16, reqwest::Certificate) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pem = cert.cert.pem();
    let key = rustls_key(&cert);
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let location = location.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut buf = vec![0u8; 16 * 1024];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (
        port,
        reqwest::Certificate::from_pem(pem.as_bytes()).unwrap(),
    )
}

fn rustls_key(
    cert: &rcgen::CertifiedKey<rcgen::KeyPair>,
) -> tokio_rustls::rustls::pki_types::PrivateKeyDer<'static> {
    tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into())
}

/// The first server's base URL, the second (recording) server, and the certificate to trust.
async fn servers(target: Target) -> (String, ScriptServer, Option<reqwest::Certificate>) {
    let second = ScriptServer::start(vec![Step::json(200, serde_json::json!({}))]).await;
    let second_port = second.base_url.rsplit(':').next().unwrap().to_owned();
    match target {
        Target::OtherHost => {
            let first = ScriptServer::start(vec![Step::text(302, "").with_header(
                "Location",
                &format!("http://localhost:{second_port}/stolen?x=1"),
            )])
            .await;
            let url = first.base_url.clone();
            std::mem::forget(first);
            (url, second, None)
        }
        Target::OtherPort => {
            let first = ScriptServer::start(vec![Step::text(302, "").with_header(
                "Location",
                &format!("http://127.0.0.1:{second_port}/stolen?x=1"),
            )])
            .await;
            let url = first.base_url.clone();
            std::mem::forget(first);
            (url, second, None)
        }
        Target::PlainHttp => {
            let (port, cert) =
                tls_redirector(format!("http://localhost:{second_port}/stolen?x=1")).await;
            (format!("https://localhost:{port}"), second, Some(cert))
        }
    }
}

/// Applies the test's settings to a provider's builder.
macro_rules! settings {
    ($builder:expr, $url:expr, $cert:expr) => {{
        let mut b = $builder
            .base_url($url)
            .rate_limits(unlimited())
            .retry(fast_retry());
        if let Some(cert) = $cert.clone() {
            b = b.add_root_certificate(cert);
        }
        b
    }};
}

async fn calls(provider: &str, url: &str, cert: &Option<reqwest::Certificate>) -> Vec<Error> {
    match provider {
        "ecomdc" => {
            use brcommerce::ecomdc::{Client, Credentials};
            let c = settings!(Client::builder(Credentials::new("3566", SECRET)), url, cert)
                .build()
                .unwrap();
            vec![
                c.stock("A").await.unwrap_err(),
                c.set_stock("A", 1).await.unwrap_err(),
            ]
        }
        "pluggto" => {
            use brcommerce::pluggto::{Client, Credentials, StockChange};
            let c = settings!(
                Client::builder(Credentials::password("id", SECRET, "user", SECRET)),
                url,
                cert
            )
            .token_store(store())
            .build()
            .unwrap();
            vec![
                c.order("o1").await.unwrap_err(),
                c.update_stock("s1", StockChange::Set(3)).await.unwrap_err(),
            ]
        }
        "appclubmais" => {
            use brcommerce::appclubmais::{Client, Credentials};
            let c = settings!(Client::builder(Credentials::new(1, SECRET)), url, cert)
                .token_store(store())
                .build()
                .unwrap();
            vec![
                c.promotions().await.unwrap_err(),
                c.acknowledge_order(5).await.unwrap_err(),
            ]
        }
        _ => {
            use brcommerce::connectplug::{Client, Credentials};
            let c = settings!(
                Client::builder(Credentials::password("id", SECRET, "u@x.br", SECRET)),
                url,
                cert
            )
            .token_url(url)
            .company(12)
            .token_store(store())
            .build()
            .unwrap();
            vec![
                c.product(1).await.unwrap_err(),
                c.run_write(c.raw().delete_product().product_id(1).send())
                    .await
                    .unwrap_err(),
            ]
        }
    }
}

#[tokio::test]
async fn no_credential_follows_a_redirect_to_another_origin() {
    for target in [Target::OtherHost, Target::OtherPort, Target::PlainHttp] {
        for provider in ["ecomdc", "pluggto", "appclubmais", "connectplug"] {
            let (url, second, cert) = servers(target).await;
            let errors = calls(provider, &url, &cert).await;
            assert_eq!(
                second.count(),
                0,
                "{provider} {target:?}: a request reached the other origin: {:?}",
                second.seen()
            );
            for e in errors {
                let ErrorKind::Redirect { status, target: to } = e.kind() else {
                    panic!("{provider} {target:?}: expected a redirect error, got {e}");
                };
                assert_eq!(*status, 302);
                assert!(to.starts_with("http://") && !to.contains('?') && !to.contains("/stolen"));
                let shown = format!("{e} {e:?}");
                assert!(!shown.contains(SECRET), "{provider}: {shown}");
                assert!(
                    !shown.contains("stolen"),
                    "only the origin is named: {shown}"
                );
                assert!(shown.contains(e.provider().name()) && !e.operation().is_empty());
                assert!(
                    !e.may_have_been_applied(),
                    "a redirect applied nothing: {e}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_the_credentials() {
    let server = ScriptServer::start(vec![
        Step::text(302, "").with_header("Location", "/item/B/estoque"),
        Step::json(200, serde_json::json!({"estoque": 4})),
    ])
    .await;
    use brcommerce::ecomdc::{Client, Credentials};
    let c = Client::builder(Credentials::new("3566", SECRET))
        .base_url(&server.base_url)
        .rate_limits(unlimited())
        .build()
        .unwrap();
    assert_eq!(c.stock("A").await.unwrap(), 4);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].target, "/item/B/estoque");
    assert_eq!(seen[1].header("x-token"), Some(SECRET));
}
