//! Shared by the API tests: a tiny HTTP/1.0 client over a tokio
//! `TcpStream` (HTTP/1.0, so a watch stream arrives as plain lines until
//! the server closes it), and a server of snapshots on 127.0.0.1:0.

#![allow(dead_code)]

pub mod clients;

use std::sync::Arc;
use std::time::Duration;

use berth::serve::{serve, ServeState};
use berth::snapshot::Snapshot;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

/// A server of snapshots; dropping it stops the server.
pub struct Served {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    pub publish: watch::Sender<Arc<Snapshot>>,
    _stop: oneshot::Sender<()>,
}

impl Served {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Serves `first` on a free loopback port, in this runtime.
pub async fn start(first: Snapshot) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (publish, snapshots) = watch::channel(Arc::new(first));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        serve(listener, ServeState::new(snapshots), shutdown)
            .await
            .unwrap();
    });
    Served {
        addr,
        publish,
        _stop: stop,
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

async fn open(
    addr: &str,
    method: &str,
    path: &str,
    accept: Option<&str>,
) -> (u16, String, BufReader<TcpStream>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
    if let Some(accept) = accept {
        request.push_str(&format!("Accept: {accept}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {line:?}"));
    let mut content_type = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-type") {
                content_type = value.trim().to_string();
            }
        }
    }
    (status, content_type, reader)
}

/// One request; the whole body.
pub async fn request(addr: &str, method: &str, path: &str, accept: Option<&str>) -> Reply {
    let (status, content_type, mut reader) = open(addr, method, path, accept).await;
    let mut body = String::new();
    tokio::time::timeout(Duration::from_secs(10), reader.read_to_string(&mut body))
        .await
        .expect("the body ends")
        .unwrap();
    Reply {
        status,
        content_type,
        body,
    }
}

pub async fn get(addr: &str, path: &str) -> Reply {
    request(addr, "GET", path, None).await
}

/// A watch stream, read line by line.
pub struct Watch {
    pub status: u16,
    reader: BufReader<TcpStream>,
}

impl Watch {
    pub async fn open(addr: &str, path: &str, accept: Option<&str>) -> Watch {
        let (status, _, reader) = open(addr, "GET", path, accept).await;
        Watch { status, reader }
    }

    /// The next event, or `None` when the stream ended or nothing came
    /// within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        let mut line = String::new();
        match tokio::time::timeout(wait, self.reader.read_line(&mut line)).await {
            Ok(Ok(n)) if n > 0 => Some(serde_json::from_str(&line).unwrap()),
            _ => None,
        }
    }
}
