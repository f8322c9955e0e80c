//! One check of one probe: `exec` through the engine, `httpGet` and
//! `tcpSocket` against the pod's IP, each bounded by `timeoutSeconds`.
//! The outcome carries the kubelet's words for a failure.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::engine::Engine;
use crate::manifest::{HttpGetAction, Probe, ProbeHandler};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Why, as the kubelet says it after "Liveness probe failed: ".
    Failure(String),
}

impl Outcome {
    pub fn passed(&self) -> bool {
        *self == Outcome::Success
    }
}

/// Runs `probe` once against container `id` of a pod at `pod_ip`.
pub async fn check<E: Engine>(
    engine: &E,
    id: &str,
    pod_ip: Option<IpAddr>,
    probe: &Probe,
) -> Outcome {
    let timeout = Duration::from_secs(probe.timeout_seconds.max(1).into());
    match &probe.handler {
        ProbeHandler::Exec { command } => exec(engine, id, command, timeout).await,
        ProbeHandler::HttpGet(get) => match pod_ip {
            Some(ip) => http_get(SocketAddr::new(ip, get.port_number), get, timeout).await,
            None => Outcome::Failure("the pod has no IP yet".to_string()),
        },
        ProbeHandler::TcpSocket { port_number, .. } => match pod_ip {
            Some(ip) => tcp(SocketAddr::new(ip, *port_number), timeout).await,
            None => Outcome::Failure("the pod has no IP yet".to_string()),
        },
    }
}

async fn exec<E: Engine>(engine: &E, id: &str, command: &[String], timeout: Duration) -> Outcome {
    // A command still running at the timeout is left to end on its own, as
    // the kubelet's runtime leaves it; the check has failed.
    match tokio::time::timeout(timeout, engine.exec(id, command, "")).await {
        Ok(Ok(0)) => Outcome::Success,
        Ok(Ok(code)) => Outcome::Failure(format!(
            "command {:?} exited with {code}",
            command.join(" ")
        )),
        Ok(Err(e)) => Outcome::Failure(e.to_string()),
        Err(_) => Outcome::Failure(format!(
            "command {:?} timed out after {}s",
            command.join(" "),
            timeout.as_secs()
        )),
    }
}

async fn tcp(addr: SocketAddr, timeout: Duration) -> Outcome {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Outcome::Success,
        Ok(Err(e)) => Outcome::Failure(format!("dial tcp {addr}: connect: {e}")),
        Err(_) => Outcome::Failure(format!("dial tcp {addr}: i/o timeout")),
    }
}

/// A GET whose status is 200–399 passes, as the kubelet's does (redirects
/// are not followed: a 3xx passes as it is).
async fn http_get(addr: SocketAddr, get: &HttpGetAction, timeout: Duration) -> Outcome {
    let url = format!("http://{addr}{}", get.path);
    match tokio::time::timeout(timeout, status_of(addr, get)).await {
        Ok(Ok(code)) if (200..400).contains(&code) => Outcome::Success,
        Ok(Ok(code)) => Outcome::Failure(format!("HTTP probe failed with statuscode: {code}")),
        Ok(Err(e)) => Outcome::Failure(format!("Get \"{url}\": {e}")),
        Err(_) => Outcome::Failure(format!(
            "Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        )),
    }
}

/// The status code of `GET path` at `addr`.
async fn status_of(addr: SocketAddr, get: &HttpGetAction) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request(addr, get).as_bytes()).await?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 8192 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    status_code(&head).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed HTTP response")
    })
}

/// The request the kubelet sends: its `User-Agent` and `Accept` unless the
/// probe sets them, then the probe's headers.
fn request(addr: SocketAddr, get: &HttpGetAction) -> String {
    let has = |name: &str| {
        get.http_headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case(name))
    };
    let mut text = format!("GET {} HTTP/1.1\r\n", get.path);
    if !has("Host") {
        text.push_str(&format!("Host: {addr}\r\n"));
    }
    if !has("User-Agent") {
        text.push_str("User-Agent: kube-probe/berth\r\n");
    }
    if !has("Accept") {
        text.push_str("Accept: */*\r\n");
    }
    for h in &get.http_headers {
        text.push_str(&format!("{}: {}\r\n", h.name, h.value));
    }
    text.push_str("Connection: close\r\n\r\n");
    text
}

/// `HTTP/1.1 200 OK` → 200.
fn status_code(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_whitespace();
    words.next().filter(|v| v.starts_with("HTTP/"))?;
    words.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{HttpHeader, ProbePort};

    fn get(path: &str) -> HttpGetAction {
        HttpGetAction {
            path: path.into(),
            port: ProbePort::Number(80),
            port_number: 80,
            http_headers: vec![HttpHeader {
                name: "X-Check".into(),
                value: "1".into(),
            }],
        }
    }

    #[test]
    fn the_request_names_the_probe_and_carries_its_headers() {
        let addr: SocketAddr = "10.0.0.2:80".parse().unwrap();
        let text = request(addr, &get("/healthz"));
        assert!(text.starts_with("GET /healthz HTTP/1.1\r\nHost: 10.0.0.2:80\r\n"));
        assert!(text.contains("User-Agent: kube-probe/berth\r\n"));
        assert!(text.ends_with("X-Check: 1\r\nConnection: close\r\n\r\n"));
    }

    #[test]
    fn the_status_code_is_read_from_the_status_line() {
        assert_eq!(status_code(b"HTTP/1.0 404 Not Found\r\n"), Some(404));
        assert_eq!(status_code(b"SSH-2.0-OpenSSH\r\n"), None);
    }

    #[tokio::test]
    async fn an_http_server_answering_200_passes_and_500_fails() {
        for (answer, passed) in [("200 OK", true), ("500 Oops", false)] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(async move {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let reply = format!("HTTP/1.1 {answer}\r\nContent-Length: 0\r\n\r\n");
                s.write_all(reply.as_bytes()).await.unwrap();
            });
            let outcome = http_get(addr, &get("/"), Duration::from_secs(2)).await;
            assert_eq!(outcome.passed(), passed, "{outcome:?}");
            server.await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_closed_port_fails_a_tcp_probe() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        assert_eq!(tcp(addr, Duration::from_secs(1)).await, Outcome::Success);
        drop(listener);
        let outcome = tcp(addr, Duration::from_secs(1)).await;
        assert!(
            matches!(outcome, Outcome::Failure(ref m) if m.contains("connect")),
            "{outcome:?}"
        );
    }
}
