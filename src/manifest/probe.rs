//! `livenessProbe`, `readinessProbe` and `startupProbe` of a container:
//! decoded, defaulted and checked as the API server does (exactly one
//! handler, the timings' minimums, `successThreshold` 1 for liveness and
//! startup), their ports resolved against the container's own.

use super::decode::{index, join, Decoder};
use super::model::ContainerPort;
use super::probe_model::{HttpGetAction, HttpHeader, Probe, ProbeHandler, ProbeKind, ProbePort};
use super::schema::Schema;
use crate::names;
use crate::yaml::{Node, Resolved};

const PROBE: Schema = Schema {
    implemented: &[
        "exec",
        "httpGet",
        "tcpSocket",
        "initialDelaySeconds",
        "periodSeconds",
        "timeoutSeconds",
        "successThreshold",
        "failureThreshold",
    ],
    known: &["grpc", "terminationGracePeriodSeconds"],
};

const EXEC: Schema = Schema {
    implemented: &["command"],
    known: &[],
};

const HTTP_GET: Schema = Schema {
    implemented: &["path", "port", "host", "scheme", "httpHeaders"],
    known: &[],
};

const HTTP_HEADER: Schema = Schema {
    implemented: &["name", "value"],
    known: &[],
};

const TCP_SOCKET: Schema = Schema {
    implemented: &["port", "host"],
    known: &[],
};

/// The handlers in the API server's order, for "exactly one".
const HANDLERS: &[&str] = &["exec", "httpGet", "tcpSocket", "grpc"];

/// One probe of a container with `ports`; `None` when it is wrong or uses
/// what berth does not support (already reported).
pub fn probe(
    d: &mut Decoder,
    node: &Node,
    path: &str,
    kind: ProbeKind,
    ports: &[ContainerPort],
) -> Option<Probe> {
    let fields = d.mapping(node, path, &PROBE, &[])?;
    let given: Vec<&str> = HANDLERS
        .iter()
        .copied()
        .filter(|f| node.get(f).is_some_and(|n| !n.is_null()))
        .collect();
    match given.as_slice() {
        [] => {
            d.error(node, path, "must specify a handler type");
            return None;
        }
        [_] => {}
        [_, second, ..] => {
            let at = node.get(second).unwrap_or(node);
            let message = "may not specify more than 1 handler type";
            d.error(at, &join(path, second), message);
            return None;
        }
    }
    let seconds = |d: &mut Decoder, name: &str, default: u32, min: i64| -> Option<u32> {
        let Some(n) = fields.get(name) else {
            return Some(default);
        };
        let p = join(path, name);
        let value = d.int(n, &p)?;
        // The API server defaults a zero period, timeout and thresholds.
        if value == 0 && min > 0 {
            return Some(default);
        }
        if value < min || value > i64::from(i32::MAX) {
            let message = if min == 0 {
                format!("must be greater than or equal to 0 (found {value})")
            } else {
                format!("must be greater than or equal to {min} (found {value})")
            };
            d.error(n, &p, message);
            return None;
        }
        Some(value as u32)
    };
    let timings = (
        seconds(d, "initialDelaySeconds", 0, 0),
        seconds(d, "periodSeconds", 10, 1),
        seconds(d, "timeoutSeconds", 1, 1),
        seconds(d, "successThreshold", 1, 1),
        seconds(d, "failureThreshold", 3, 1),
    );
    if let (Some(s), Some(n)) = (timings.3, fields.get("successThreshold")) {
        if s != 1 && kind != ProbeKind::Readiness {
            d.error(
                n,
                &join(path, "successThreshold"),
                format!("must be 1 (found {s})"),
            );
        }
    }
    let handler = handler(d, &fields, path, given[0], ports);
    let (Some(initial), Some(period), Some(timeout), Some(success), Some(failure)) = timings else {
        return None;
    };
    if success != 1 && kind != ProbeKind::Readiness {
        return None;
    }
    Some(Probe {
        handler: handler?,
        initial_delay_seconds: initial,
        period_seconds: period,
        timeout_seconds: timeout,
        success_threshold: success,
        failure_threshold: failure,
    })
}

fn handler(
    d: &mut Decoder,
    fields: &super::decode::Fields,
    path: &str,
    which: &str,
    ports: &[ContainerPort],
) -> Option<ProbeHandler> {
    let p = join(path, which);
    if which == "grpc" {
        // A known field: the mapping check already said it is unsupported.
        return None;
    }
    let n = fields.get(which)?;
    match which {
        "exec" => {
            let exec = d.mapping(n, &p, &EXEC, &[])?;
            let command_path = join(&p, "command");
            let Some(c) = exec.get("command") else {
                d.required(n, &command_path);
                return None;
            };
            let before = d.diagnostics.len();
            let command = d.string_list(c, &command_path);
            if command.is_empty() && d.diagnostics.len() == before {
                d.required(n, &command_path);
            }
            if command.is_empty() || d.diagnostics.len() != before {
                return None;
            }
            Some(ProbeHandler::Exec { command })
        }
        "httpGet" => http_get(d, n, &p, ports).map(ProbeHandler::HttpGet),
        _ => {
            let tcp = d.mapping(n, &p, &TCP_SOCKET, &[])?;
            no_host(d, tcp.get("host"), &p);
            let (port, port_number) = port(d, tcp.get("port"), n, &p, ports)?;
            Some(ProbeHandler::TcpSocket { port, port_number })
        }
    }
}

fn http_get(
    d: &mut Decoder,
    node: &Node,
    path: &str,
    ports: &[ContainerPort],
) -> Option<HttpGetAction> {
    let fields = d.mapping(node, path, &HTTP_GET, &[])?;
    no_host(d, fields.get("host"), path);
    let mut ok = true;
    if let Some(n) = fields.get("scheme") {
        let p = join(path, "scheme");
        match d.string(n, &p).as_deref() {
            Some("HTTP" | "") => {}
            Some("HTTPS") => {
                let message = "HTTPS probes are not supported by berth; this probe is ignored";
                d.unsupported(n, &p, message);
                ok = false;
            }
            Some(other) => {
                let message =
                    format!("unsupported value {other:?}: supported values: \"HTTP\", \"HTTPS\"");
                d.error(n, &p, message);
                ok = false;
            }
            None => ok = false,
        }
    }
    let probe_path = match fields.get("path") {
        Some(n) => d.string(n, &join(path, "path"))?,
        None => String::new(),
    };
    let probe_path = match probe_path.as_str() {
        "" => "/".to_string(),
        p if p.starts_with('/') => p.to_string(),
        p => format!("/{p}"),
    };
    let http_headers = fields
        .get("httpHeaders")
        .map(|n| headers(d, n, &join(path, "httpHeaders")))
        .unwrap_or_default();
    let (port, port_number) = port(d, fields.get("port"), node, path, ports)?;
    ok.then_some(HttpGetAction {
        path: probe_path,
        port,
        port_number,
        http_headers,
    })
}

fn headers(d: &mut Decoder, node: &Node, path: &str) -> Vec<HttpHeader> {
    let mut out = Vec::new();
    for (i, item) in d.seq(node, path).iter().enumerate() {
        let item_path = index(path, i);
        let Some(fields) = d.mapping(item, &item_path, &HTTP_HEADER, &[]) else {
            continue;
        };
        let name = match fields.get("name") {
            Some(n) => d.string(n, &join(&item_path, "name")),
            None => {
                d.required(item, &join(&item_path, "name"));
                None
            }
        };
        let value = fields
            .get("value")
            .and_then(|n| d.string(n, &join(&item_path, "value")))
            .unwrap_or_default();
        let Some(name) = name else { continue };
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid {
            let at = fields.get("name").unwrap_or(item);
            let message = format!("invalid HTTP header name {name:?}");
            d.error(at, &join(&item_path, "name"), message);
            continue;
        }
        out.push(HttpHeader { name, value });
    }
    out
}

/// berth probes the pod's IP; another host is not something it does.
fn no_host(d: &mut Decoder, node: Option<&Node>, path: &str) {
    let Some(n) = node else { return };
    let p = join(path, "host");
    if d.string(n, &p).is_some_and(|h| !h.is_empty()) {
        let message = "probing another host than the pod's IP is not supported by berth; \
                       the pod's IP is probed";
        d.unsupported(n, &p, message);
    }
}

/// `port`: a number, or the name of one of the container's ports.
fn port(
    d: &mut Decoder,
    node: Option<&Node>,
    parent: &Node,
    path: &str,
    ports: &[ContainerPort],
) -> Option<(ProbePort, u16)> {
    let p = join(path, "port");
    let Some(n) = node else {
        d.required(parent, &p);
        return None;
    };
    match n.resolve() {
        Some(Resolved::Str(name)) => {
            let name = name.to_string();
            if let Ok(number) = name.parse::<i64>() {
                return port_number(d, n, &p, number);
            }
            if let Err(message) = names::port_name(&name) {
                d.error(n, &p, format!("invalid port name {name:?}: {message}"));
                return None;
            }
            let found = ports.iter().find(|c| c.name.as_deref() == Some(&name));
            match found {
                Some(c) => Some((ProbePort::Name(name), c.container_port)),
                None => {
                    let message = format!(
                        "no container port named {name:?}: name one of the container's ports, or give a number"
                    );
                    d.error(n, &p, message);
                    None
                }
            }
        }
        _ => {
            let number = d.int(n, &p)?;
            port_number(d, n, &p, number)
        }
    }
}

fn port_number(d: &mut Decoder, n: &Node, p: &str, number: i64) -> Option<(ProbePort, u16)> {
    if !(1..=65535).contains(&number) {
        let message = format!("must be between 1 and 65535, inclusive (found {number})");
        d.error(n, p, message);
        return None;
    }
    Some((ProbePort::Number(number as u16), number as u16))
}
