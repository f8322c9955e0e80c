//! The downward API values only the running pod and its node know
//! (`status.podIP`, `status.hostIP`, the node's allocatable for a limit a
//! container does not set): placeholders in a member's env until `apply`
//! has read them from the engine, then filled in.

use crate::engine::ContainerConfig;

/// Stands for a downward API value of the running pod or its node in a
/// member's env (and the command expanded from it) until `apply` knows it:
/// `\0berth:<field>\0`, filled by `fill_late`.
const LATE_MARK: &str = "\u{0}berth:";

/// A downward API value that only the running pod and its node know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LateField {
    /// `status.podIP`: the infra container's IP.
    PodIp,
    /// `status.hostIP`: the gateway of the pod's network, the node's
    /// address as the pod sees it.
    HostIp,
    /// A `resourceFieldRef` limit the container does not set: the node's
    /// allocatable cpu (millicores) or memory (bytes), over `divisor`.
    Allocatable { cpu: bool, divisor: i128 },
}

impl LateField {
    pub(super) fn placeholder(self) -> String {
        let field = match self {
            LateField::PodIp => "status.podIP".to_string(),
            LateField::HostIp => "status.hostIP".to_string(),
            LateField::Allocatable { cpu, divisor } => {
                let resource = if cpu { "cpu" } else { "memory" };
                format!("allocatable.{resource}/{divisor}")
            }
        };
        format!("{LATE_MARK}{field}\u{0}")
    }

    fn parse(field: &str) -> Option<LateField> {
        match field {
            "status.podIP" => return Some(LateField::PodIp),
            "status.hostIP" => return Some(LateField::HostIp),
            _ => {}
        }
        let (resource, divisor) = field.strip_prefix("allocatable.")?.split_once('/')?;
        let divisor = divisor.parse().ok()?;
        match resource {
            "cpu" => Some(LateField::Allocatable { cpu: true, divisor }),
            "memory" => Some(LateField::Allocatable {
                cpu: false,
                divisor,
            }),
            _ => None,
        }
    }
}

/// What `apply` learns once the infra container runs: the values of every
/// `LateField`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LateValues {
    pub pod_ip: String,
    pub host_ip: String,
    /// The node's allocatable cpu in millicores and memory in bytes.
    pub cpu_milli: i128,
    pub memory_bytes: i128,
}

impl LateValues {
    /// The kubelet's value: a resource divided by the divisor, rounded up.
    pub fn value(&self, field: LateField) -> String {
        match field {
            LateField::PodIp => self.pod_ip.clone(),
            LateField::HostIp => self.host_ip.clone(),
            LateField::Allocatable { cpu: true, divisor } => {
                crate::manifest::ceil_div(self.cpu_milli, divisor).to_string()
            }
            LateField::Allocatable {
                cpu: false,
                divisor,
            } => crate::manifest::ceil_div(self.memory_bytes, divisor).to_string(),
        }
    }
}

/// The words of a member that may hold placeholders.
fn words_mut(member: &mut ContainerConfig) -> impl Iterator<Item = &mut String> {
    let env = member.env.iter_mut();
    let env = env.chain(member.entrypoint.iter_mut().flatten());
    env.chain(member.cmd.iter_mut().flatten())
}

/// The late fields a member waits for, each once, in order of appearance.
pub fn late_fields(member: &ContainerConfig) -> Vec<LateField> {
    let words = member.env.iter();
    let words = words.chain(member.entrypoint.iter().flatten());
    let words = words.chain(member.cmd.iter().flatten());
    let mut out = Vec::new();
    for word in words {
        let mut rest = word.as_str();
        while let Some(at) = rest.find(LATE_MARK) {
            rest = &rest[at + LATE_MARK.len()..];
            let Some(end) = rest.find('\u{0}') else {
                break;
            };
            if let Some(field) = LateField::parse(&rest[..end]) {
                if !out.contains(&field) {
                    out.push(field);
                }
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

/// Puts the values where a member's env (or command, expanded from it)
/// asked for a late field.
pub fn fill_late(member: &mut ContainerConfig, values: &LateValues) {
    let fields = late_fields(member);
    for word in words_mut(member) {
        for field in &fields {
            let placeholder = field.placeholder();
            if word.contains(&placeholder) {
                *word = word.replace(&placeholder, &values.value(*field));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(env: &[&str], cmd: &[&str]) -> ContainerConfig {
        ContainerConfig {
            env: env.iter().map(|e| e.to_string()).collect(),
            cmd: Some(cmd.iter().map(|w| w.to_string()).collect()),
            ..ContainerConfig::new("m", "busybox:1")
        }
    }

    #[test]
    fn every_late_field_is_found_once_and_filled_where_it_stands() {
        let ip = LateField::PodIp.placeholder();
        let host = LateField::HostIp.placeholder();
        let mem = LateField::Allocatable {
            cpu: false,
            divisor: 1 << 20,
        };
        let cpu = LateField::Allocatable {
            cpu: true,
            divisor: 1000,
        };
        let env = [
            format!("IP={ip}"),
            format!("ADDR={ip}:80,{host}:8125"),
            format!("MEM_MI={}", mem.placeholder()),
            format!("CPU={}", cpu.placeholder()),
        ];
        let env: Vec<&str> = env.iter().map(String::as_str).collect();
        let url = format!("http://{host}/");
        let mut m = member(&env, &["wget", &url]);
        assert_eq!(
            late_fields(&m),
            [LateField::PodIp, LateField::HostIp, mem, cpu]
        );
        let values = LateValues {
            pod_ip: "10.0.0.5".into(),
            host_ip: "10.0.0.1".into(),
            cpu_milli: 2500,
            memory_bytes: (3 << 30) + 1,
        };
        fill_late(&mut m, &values);
        assert_eq!(
            m.env,
            [
                "IP=10.0.0.5",
                "ADDR=10.0.0.5:80,10.0.0.1:8125",
                // 3 GiB and a byte, in MiB, rounded up; 2.5 cpus, rounded up.
                "MEM_MI=3073",
                "CPU=3",
            ]
        );
        assert_eq!(m.cmd, Some(vec!["wget".into(), "http://10.0.0.1/".into()]));
        assert!(late_fields(&m).is_empty());
    }

    #[test]
    fn text_that_only_looks_like_a_placeholder_is_left_alone() {
        let mut m = member(&["A=\u{0}berth:nonsense\u{0}", "B=\u{0}berth:"], &[]);
        assert!(late_fields(&m).is_empty());
        let before = m.clone();
        fill_late(&mut m, &LateValues::default());
        assert_eq!(m, before);
    }
}
