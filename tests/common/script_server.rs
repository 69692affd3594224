//! A scripted HTTP/1.1 server on 127.0.0.1 for sequences and faults httpmock cannot express:
//! each connection gets the next step of the script (the last step repeats), and every request
//! is recorded. Steps can answer, reset the connection, close in the middle of the body, stall,
//! or send garbage.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone, Debug)]
pub enum Step {
    /// Answer with a status, headers and body.
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Reset the connection without answering.
    Reset,
    /// Send headers announcing a longer body, part of it, then close.
    CloseMidBody,
    /// Wait, then answer as the next field says.
    Stall(Duration, Box<Step>),
    /// Answer with a JSON content type and a chunked body (no length announced), each part
    /// written and flushed on its own after a short pause, so the client reads it in pieces.
    Chunked { status: u16, parts: Vec<String> },
}

impl Step {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Step::Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }
    pub fn text(status: u16, body: &str) -> Self {
        Step::Reply {
            status,
            headers: vec![],
            body: body.into(),
        }
    }
    pub fn with_header(self, name: &str, value: &str) -> Self {
        match self {
            Step::Reply {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Step::Reply {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct ScriptServer {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptServer {
    pub async fn start(script: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        let script = Arc::new(script);
        let task = tokio::spawn(async move {
            let mut n = 0usize;
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let step = script[n.min(script.len() - 1)].clone();
                n += 1;
                let seen = seen2.clone();
                tokio::spawn(async move { serve(stream, step, seen).await });
            }
        });
        Self {
            base_url: format!("http://{addr}"),
            seen,
            task,
        }
    }

    /// Requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, step: Step, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..(head_end + len).min(buf.len())]).to_string();
    seen.lock().unwrap().push(Seen {
        method,
        target,
        headers,
        body,
    });
    act(stream, step).await;
}

fn act(
    mut stream: TcpStream,
    step: Step,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(async move {
        match step {
            Step::Reply {
                status,
                headers,
                body,
            } => {
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                let _ = stream.write_all(out.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
            Step::Reset => {
                let _ = stream.set_zero_linger();
                drop(stream);
            }
            Step::CloseMidBody => {
                let out = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{\"partial\":";
                let _ = stream.write_all(out.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
            Step::Chunked { status, parts } => {
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.write_all(head.as_bytes()).await;
                for part in parts {
                    let chunk = format!("{:x}\r\n{part}\r\n", part.len());
                    let _ = stream.write_all(chunk.as_bytes()).await;
                    let _ = stream.flush().await;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let _ = stream.write_all(b"0\r\n\r\n").await;
                let _ = stream.shutdown().await;
            }
            Step::Stall(d, then) => {
                tokio::time::sleep(d).await;
                act(stream, *then).await;
            }
        }
    })
}
