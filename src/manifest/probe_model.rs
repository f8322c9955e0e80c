//! Container probes as berth keeps them: one handler and the timings, with
//! Kubernetes' defaults applied at load. Serialized with Kubernetes' field
//! names, so a probe is part of the spec hash and the last-applied spec.

use serde::{Deserialize, Serialize};

/// Which probe: they differ in what a failure does and in what
/// `successThreshold` may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

impl ProbeKind {
    /// `Liveness`, as the kubelet's event messages say it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
            ProbeKind::Startup => "Startup",
        }
    }

    /// The container field: `livenessProbe`.
    pub fn field(self) -> &'static str {
        match self {
            ProbeKind::Liveness => "livenessProbe",
            ProbeKind::Readiness => "readinessProbe",
            ProbeKind::Startup => "startupProbe",
        }
    }
}

/// A port as a probe names it: a number, or the name of a container port
/// (resolved at load; both kept so the spec reads as written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProbePort {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpGetAction {
    /// Always starts with `/` (Kubernetes' default `/` applied).
    pub path: String,
    pub port: ProbePort,
    /// The port number, `port` resolved against the container's ports.
    #[serde(skip)]
    pub port_number: u16,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_headers: Vec<HttpHeader>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProbeHandler {
    Exec {
        command: Vec<String>,
    },
    HttpGet(HttpGetAction),
    TcpSocket {
        port: ProbePort,
        #[serde(skip)]
        port_number: u16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    #[serde(flatten)]
    pub handler: ProbeHandler,
    pub initial_delay_seconds: u32,
    pub period_seconds: u32,
    pub timeout_seconds: u32,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl Probe {
    /// `handler` with Kubernetes' default timings.
    pub fn new(handler: ProbeHandler) -> Probe {
        Probe {
            handler,
            initial_delay_seconds: 0,
            period_seconds: 10,
            timeout_seconds: 1,
            success_threshold: 1,
            failure_threshold: 3,
        }
    }
}
