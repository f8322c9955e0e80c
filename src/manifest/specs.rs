//! Every pod spec the manifests declare — pods' own and each controller's
//! template — with what the downward API reads of the pod it makes: the
//! one walk the resolvers of env and of volume files share.

use std::collections::BTreeMap;

use super::apps::{DaemonSet, Deployment, ReplicaSet};
use super::model::{Labels, Pod, PodSpec, ReplicationController};

/// One pod spec and its pod's (or template's) namespace, labels and
/// annotations.
pub struct Spec<'a> {
    pub namespace: &'a str,
    pub labels: &'a Labels,
    pub annotations: &'a BTreeMap<String, String>,
    pub spec: &'a mut PodSpec,
}

pub fn specs_mut<'a>(
    pods: &'a mut [Pod],
    controllers: &'a mut [ReplicationController],
    deployments: &'a mut [Deployment],
    replica_sets: &'a mut [ReplicaSet],
    daemon_sets: &'a mut [DaemonSet],
) -> Vec<Spec<'a>> {
    let mut out: Vec<Spec<'a>> = pods
        .iter_mut()
        .map(|p| Spec {
            namespace: &p.meta.namespace,
            labels: &p.meta.labels,
            annotations: &p.meta.annotations,
            spec: &mut p.spec,
        })
        .collect();
    let templates = controllers
        .iter_mut()
        .map(|c| (&c.meta.namespace, &mut c.template))
        .chain(
            deployments
                .iter_mut()
                .map(|d| (&d.meta.namespace, &mut d.template)),
        )
        .chain(
            replica_sets
                .iter_mut()
                .map(|r| (&r.meta.namespace, &mut r.template)),
        )
        .chain(
            daemon_sets
                .iter_mut()
                .map(|d| (&d.meta.namespace, &mut d.template)),
        );
    for (namespace, template) in templates {
        out.push(Spec {
            namespace,
            labels: &template.labels,
            annotations: &template.annotations,
            spec: &mut template.spec,
        });
    }
    out
}
