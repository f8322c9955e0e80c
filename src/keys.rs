//! The label keys berth puts on everything it creates. Other tools and our
//! own checks rely on these exact spellings.

pub const MANAGED_BY: &str = "io.berth.managed-by";
pub const MANAGED_BY_VALUE: &str = "berth";
pub const PROJECT: &str = "io.berth.project";
pub const NAMESPACE: &str = "io.berth.namespace";
pub const POD: &str = "io.berth.pod";
/// The container's name in the pod spec; `POD` for the infra container.
pub const CONTAINER: &str = "io.berth.container";
pub const NODE: &str = "io.berth.node";
pub const SPEC_HASH: &str = "io.berth.spec-hash";
/// `ReplicationController/<name>` when a controller owns the pod.
pub const OWNER: &str = "io.berth.owner";
/// On the infra container: the last applied pod spec, as JSON.
pub const LAST_APPLIED: &str = "io.berth.last-applied";
/// On the infra container: the pod's source file, for messages.
pub const SOURCE: &str = "io.berth.source";
/// On the infra container: the pod's own annotations (JSON), as it was
/// created, for `get -o json` (the downward API reads them too).
pub const ANNOTATIONS: &str = "io.berth.annotations";
/// Set on a container that berth re-created or restarted behind the user's
/// back: a human message, and the Unix time of the repair.
pub const REPAIR: &str = "io.berth.repair";
pub const REPAIR_TIME: &str = "io.berth.repair-time";
/// On an init container: its index in `spec.initContainers` (the pod's
/// members carry no such label).
pub const INIT: &str = "io.berth.init";
/// On an init container: how many times berth ran it again after it
/// failed (its restart count; each run is a new container).
pub const INIT_RESTARTS: &str = "io.berth.init-restarts";
/// Marks the infra container's role.
pub const INFRA_NAME: &str = "POD";
/// On the controller record container (never started) that remembers an RC.
pub const KIND: &str = "io.berth.kind";
pub const RC_REPLICAS: &str = "io.berth.rc.replicas";
pub const RC_SELECTOR: &str = "io.berth.rc.selector";
pub const RC_TEMPLATE_HASH: &str = "io.berth.rc.template-hash";
/// Unix time the controller was first created (its record is replaced on
/// every update; `get rc` AGE counts from this).
pub const RC_CREATED: &str = "io.berth.rc.created";

/// `io.berth.managed-by=berth` (and the project when given), as a filter.
pub fn filter(project: Option<&str>) -> Vec<(String, String)> {
    let mut labels = vec![(MANAGED_BY.to_string(), MANAGED_BY_VALUE.to_string())];
    if let Some(project) = project {
        labels.push((PROJECT.to_string(), project.to_string()));
    }
    labels
}
/// On the controller record container: the controller's name.
pub const RC_NAME: &str = "io.berth.rc.name";
/// `io.berth.kind` of a controller record.
pub const KIND_RC: &str = "ReplicationController";
/// `io.berth.kind` of a pod's record: what was changed in place since the
/// pod was created (its labels, its service aliases, what its files hold),
/// in labels of a container that is created and never started.
pub const KIND_POD_RECORD: &str = "PodRecord";
/// The pod's labels, as JSON, on its record (the containers keep those it
/// was created with).
pub const POD_LABELS: &str = "io.berth.pod-labels";
/// The pod's service aliases (DNS names on its network besides its own),
/// as a sorted JSON list, on its infra container and its record.
pub const ALIASES: &str = "io.berth.aliases";
/// `io.berth.kind` of a Deployment's record, and of a ReplicaSet's.
pub const KIND_DEPLOYMENT: &str = "Deployment";
pub const KIND_REPLICA_SET: &str = "ReplicaSet";
/// `io.berth.kind` of a DaemonSet's record.
pub const KIND_DAEMON_SET: &str = "DaemonSet";
/// The record container name suffix of a DaemonSet.
pub const DAEMON_SET_RECORD_NAME: &str = "DS";
/// The record container name suffix of a Deployment, and of a ReplicaSet.
pub const DEPLOYMENT_RECORD_NAME: &str = "DEPLOY";
pub const REPLICA_SET_RECORD_NAME: &str = "RS";

/// The record container name suffix of a record of `kind`.
pub fn record_name(kind: &str) -> &'static str {
    match kind {
        KIND_DEPLOYMENT => DEPLOYMENT_RECORD_NAME,
        KIND_REPLICA_SET => REPLICA_SET_RECORD_NAME,
        KIND_DAEMON_SET => DAEMON_SET_RECORD_NAME,
        _ => RC_RECORD_NAME,
    }
}

/// Whether `kind` (an `io.berth.kind` value) is a controller record's.
pub fn is_controller_kind(kind: &str) -> bool {
    matches!(
        kind,
        KIND_RC | KIND_DEPLOYMENT | KIND_REPLICA_SET | KIND_DAEMON_SET
    )
}
/// The container name suffix of a controller record (`berth_<p>_<ns>_<rc>_RC`).
pub const RC_RECORD_NAME: &str = "RC";
/// On the infra container of a pod whose images cannot be had (its members
/// are not created): the waiting reason (`ErrImagePull`,
/// `ErrImageNeverPull`), one line saying why, and the Unix time of the try.
pub const WAITING_REASON: &str = "io.berth.waiting-reason";
pub const WAITING_MESSAGE: &str = "io.berth.waiting-message";
pub const WAITING_TIME: &str = "io.berth.waiting-time";
