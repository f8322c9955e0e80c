//! Scheduling on the one node berth drives today: the local engine.
//!
//! A pod fits when its `nodeName` (if any) names that node and its
//! `nodeSelector` matches the node's labels — those of a Node manifest of
//! the same name, else the well-known labels Kubernetes gives every node.
//! A pod that does not fit is never created: it is reported unschedulable,
//! as the Kubernetes scheduler leaves such a pod Pending.

use crate::desired::DesiredPod;
use crate::manifest::{Labels, Manifests};

/// The node pods are placed on, with its labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalNode {
    pub name: String,
    pub labels: Labels,
}

impl LocalNode {
    /// The node called `name`: its labels from a Node manifest of that name
    /// when there is one, plus `kubernetes.io/hostname`, `kubernetes.io/os`
    /// and `kubernetes.io/arch` as every Kubernetes node carries them.
    pub fn new(manifests: &Manifests, name: &str) -> LocalNode {
        let mut labels = Labels::from([
            ("kubernetes.io/hostname".to_string(), name.to_string()),
            (
                "kubernetes.io/os".to_string(),
                std::env::consts::OS.to_string(),
            ),
            ("kubernetes.io/arch".to_string(), go_arch().to_string()),
        ]);
        if let Some(node) = manifests.nodes.iter().find(|n| n.meta.name == name) {
            labels.extend(node.meta.labels.clone());
        }
        LocalNode {
            name: name.to_string(),
            labels,
        }
    }

    /// Why `pod` cannot run here, or `None` when it fits.
    pub fn misfit(&self, pod: &DesiredPod) -> Option<String> {
        if let Some(wanted) = pod.spec.node_name.as_deref() {
            if wanted != self.name {
                return Some(format!(
                    "spec.nodeName is {wanted:?}, but berth runs pods only on node {:?}",
                    self.name
                ));
            }
        }
        let unmatched: Vec<String> = pod
            .spec
            .node_selector
            .iter()
            .filter(|(k, v)| self.labels.get(*k) != Some(*v))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if unmatched.is_empty() {
            return None;
        }
        Some(format!(
            "0/1 nodes are available: node {:?} does not match the pod's nodeSelector ({})",
            self.name,
            unmatched.join(",")
        ))
    }
}

/// Kubernetes' spelling of the architecture (`amd64`, `arm64`).
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::test_pod;
    use crate::manifest::{Node, ObjectMeta, Source};

    fn manifests_with_node(name: &str, labels: &[(&str, &str)]) -> Manifests {
        Manifests {
            nodes: vec![Node {
                meta: ObjectMeta {
                    name: name.into(),
                    namespace: String::new(),
                    labels: labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    annotations: Default::default(),
                },
                capacity: Default::default(),
                docker_host: None,
                source: Source::default(),
            }],
            ..Manifests::default()
        }
    }

    #[test]
    fn a_pod_without_constraints_fits() {
        let node = LocalNode::new(&Manifests::default(), "local");
        assert_eq!(node.misfit(&test_pod("web")), None);
    }

    #[test]
    fn a_node_selector_matching_the_declared_node_labels_fits() {
        let node = LocalNode::new(&manifests_with_node("local", &[("disk", "ssd")]), "local");
        let mut pod = test_pod("web");
        pod.spec.node_selector = Labels::from([("disk".into(), "ssd".into())]);
        assert_eq!(node.misfit(&pod), None);
    }

    #[test]
    fn a_node_selector_the_node_lacks_is_unschedulable_naming_the_label() {
        let node = LocalNode::new(&manifests_with_node("local", &[("disk", "hdd")]), "local");
        let mut pod = test_pod("web");
        pod.spec.node_selector = Labels::from([("disk".into(), "ssd".into())]);
        let why = node.misfit(&pod).expect("unschedulable");
        assert!(why.contains("disk=ssd"), "{why}");
    }

    #[test]
    fn the_well_known_hostname_label_selects_the_local_node() {
        let node = LocalNode::new(&Manifests::default(), "local");
        let mut pod = test_pod("web");
        pod.spec.node_selector = Labels::from([("kubernetes.io/hostname".into(), "local".into())]);
        assert_eq!(node.misfit(&pod), None);
    }

    #[test]
    fn a_node_name_of_another_node_is_unschedulable() {
        let node = LocalNode::new(&Manifests::default(), "local");
        let mut pod = test_pod("web");
        pod.spec.node_name = Some("elsewhere".into());
        assert!(node.misfit(&pod).unwrap().contains("elsewhere"));
        pod.spec.node_name = Some("local".into());
        assert_eq!(node.misfit(&pod), None);
    }
}
