//! A proxy on a Unix socket in front of the engine's, counting the
//! requests that pass by berth's call kinds: Docker calls counted from
//! outside berth, reads included (which `docker events` never shows).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A proxy on a Unix socket in front of the engine's, counting the
/// requests that pass by berth's call kinds (reads included, which
/// `docker events` never shows).
pub struct Wire {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl Wire {
    pub fn start(socket: &Path) -> Wire {
        let host = berth::engine::docker::default_endpoint();
        let upstream = host.strip_prefix("unix://").unwrap_or(&host).to_string();
        assert!(
            upstream.starts_with('/'),
            "the proxy needs the engine on a Unix socket, not {host}"
        );
        let listener = UnixListener::bind(socket).expect("the proxy's socket");
        let counts = Arc::new(Mutex::new(BTreeMap::new()));
        let shared = counts.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(engine) = UnixStream::connect(&upstream) else {
                    continue;
                };
                let (mut down_from, mut down_to) =
                    (engine.try_clone().unwrap(), client.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut down_from, &mut down_to);
                    let _ = down_to.shutdown(std::net::Shutdown::Write);
                });
                let counts = shared.clone();
                std::thread::spawn(move || forward_requests(client, engine, &counts));
            }
        });
        Wire { counts }
    }

    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap().clone()
    }
}

/// Copies requests to the engine, counting each head; bodies are skipped
/// by their length (a chunked body ends the counting on that connection).
fn forward_requests(
    mut from: UnixStream,
    mut to: UnixStream,
    counts: &Mutex<BTreeMap<String, u64>>,
) {
    let (mut pending, mut body, mut blind) = (Vec::new(), 0usize, false);
    let mut chunk = [0u8; 16 * 1024];
    while let Ok(n @ 1..) = from.read(&mut chunk) {
        if to.write_all(&chunk[..n]).is_err() {
            break;
        }
        if blind {
            continue;
        }
        pending.extend_from_slice(&chunk[..n]);
        loop {
            let skip = body.min(pending.len());
            pending.drain(..skip);
            body -= skip;
            let Some(end) = (body == 0)
                .then(|| pending.windows(4).position(|w| w == b"\r\n\r\n"))
                .flatten()
            else {
                break;
            };
            let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
            pending.drain(..end + 4);
            *counts.lock().unwrap().entry(call_kind(&head)).or_default() += 1;
            blind = head.contains("transfer-encoding: chunked");
            body = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

/// berth's name for the call a request head makes (`list_containers` …).
fn call_kind(head: &str) -> String {
    let mut first = head.lines().next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_ascii_uppercase();
    let target = first.next().unwrap_or("");
    let path = target.split('?').next().unwrap_or("");
    let path = path.trim_start_matches("http://localhost");
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let parts = match parts.first() {
        Some(v) if v.starts_with('v') && v[1..].starts_with(|c: char| c.is_ascii_digit()) => {
            &parts[1..]
        }
        _ => &parts[..],
    };
    let kind = match (method.as_str(), parts) {
        ("GET", ["containers", "json"]) => "list_containers",
        ("GET", ["containers", _, "json"]) => "inspect_container",
        ("POST", ["containers", "create"]) => "create_container",
        ("POST", ["containers", _, "start"]) => "start_container",
        ("POST", ["containers", _, "stop"]) => "stop_container",
        ("DELETE", ["containers", _]) => "remove_container",
        ("GET", ["networks"]) => "list_networks",
        ("POST", ["networks", "create"]) => "create_network",
        ("DELETE", ["networks", _]) => "remove_network",
        ("GET", ["volumes"]) => "list_volumes",
        ("POST", ["volumes", "create"]) => "create_volume",
        ("DELETE", ["volumes", _]) => "remove_volume",
        ("GET", ["images", .., "json"]) => "image_exists",
        ("GET", ["events"]) => "events",
        _ => return format!("{method} /{}", parts.first().unwrap_or(&"")),
    };
    kind.to_string()
}
