//! The fields Kubernetes v1 knows for each object berth decodes, split into
//! those berth implements and those it knows but does not implement, plus
//! the kinds Kubernetes serves. Nothing in a manifest is ever ignored
//! silently: what is not implemented is named, what is unknown is an error.

/// The field table of one object type.
#[derive(Debug)]
pub struct Schema {
    /// Fields berth decodes.
    pub implemented: &'static [&'static str],
    /// Fields Kubernetes knows that berth does not implement.
    pub known: &'static [&'static str],
}

impl Schema {
    pub fn is_implemented(&self, field: &str) -> bool {
        self.implemented.contains(&field)
    }

    pub fn is_known(&self, field: &str) -> bool {
        self.known.contains(&field)
    }

    /// The closest field name within edit distance 2, for "did you mean".
    pub fn suggest(&self, field: &str) -> Option<&'static str> {
        suggest(field, self.implemented.iter().chain(self.known))
    }
}

/// The closest candidate within edit distance 2 (case-insensitive match first).
pub fn suggest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a &'static str>,
) -> Option<&'static str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .map(|c| {
            let d = if c.to_ascii_lowercase() == lower {
                0
            } else {
                edit_distance(word, c)
            };
            (d, *c)
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

/// The top level of a Pod, ReplicationController or Service.
pub const OBJECT: Schema = Schema {
    implemented: &["apiVersion", "kind", "metadata", "spec"],
    known: &["status"],
};

pub const OBJECT_META: Schema = Schema {
    implemented: &["name", "namespace", "labels", "annotations"],
    known: &[
        "generateName",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "ownerReferences",
        "finalizers",
        "managedFields",
    ],
};

/// A List's own `metadata` (`resourceVersion: ""` in what kubectl prints)
/// says nothing about its items: read and set aside, without a warning.
pub const LIST: Schema = Schema {
    implemented: &["apiVersion", "kind", "items", "metadata"],
    known: &[],
};

pub const POD_SPEC: Schema = Schema {
    implemented: &[
        "containers",
        "initContainers",
        "volumes",
        "restartPolicy",
        "terminationGracePeriodSeconds",
        "nodeSelector",
        "nodeName",
        "securityContext",
        "hostNetwork",
        "hostPID",
        "hostIPC",
    ],
    known: &[
        "ephemeralContainers",
        "activeDeadlineSeconds",
        "dnsPolicy",
        "serviceAccountName",
        "serviceAccount",
        "automountServiceAccountToken",
        "shareProcessNamespace",
        "imagePullSecrets",
        "hostname",
        "subdomain",
        "affinity",
        "schedulerName",
        "tolerations",
        "hostAliases",
        "priorityClassName",
        "priority",
        "dnsConfig",
        "readinessGates",
        "runtimeClassName",
        "enableServiceLinks",
        "preemptionPolicy",
        "overhead",
        "topologySpreadConstraints",
        "setHostnameAsFQDN",
        "os",
        "hostUsers",
        "hostnameOverride",
        "schedulingGates",
        "resourceClaims",
        "resources",
    ],
};

pub const CONTAINER: Schema = Schema {
    implemented: &[
        "name",
        "image",
        "command",
        "args",
        "workingDir",
        "ports",
        "env",
        "resources",
        "volumeMounts",
        "imagePullPolicy",
        "envFrom",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "securityContext",
    ],
    known: &[
        "resizePolicy",
        "restartPolicy",
        "restartPolicyRules",
        "volumeDevices",
        "lifecycle",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "stdin",
        "stdinOnce",
        "tty",
    ],
};

/// An init container: a container's fields less those Kubernetes refuses
/// for init containers (`INIT_CONTAINER_FORBIDDEN`), which are errors.
pub const INIT_CONTAINER: Schema = Schema {
    // A container's fields but its probes, which Kubernetes refuses here.
    implemented: &[
        "name",
        "image",
        "command",
        "args",
        "workingDir",
        "ports",
        "env",
        "resources",
        "volumeMounts",
        "imagePullPolicy",
        "envFrom",
        "securityContext",
    ],
    known: &[
        "resizePolicy",
        "restartPolicyRules",
        "volumeDevices",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "stdin",
        "stdinOnce",
        "tty",
    ],
};

/// The fields an init container may not set, with the API server's words
/// (berth has no sidecar containers: `restartPolicy: Always` is refused
/// rather than ignored, since ignoring it would block the pod for good).
pub const INIT_CONTAINER_FORBIDDEN: &[(&str, &str)] = &[
    ("lifecycle", "may not be set for init containers"),
    ("livenessProbe", "may not be set for init containers"),
    ("readinessProbe", "may not be set for init containers"),
    ("startupProbe", "may not be set for init containers"),
    (
        "restartPolicy",
        "sidecar init containers (restartPolicy) are not supported by berth",
    ),
];

/// A pod's `spec.securityContext`: berth maps the IDs every container
/// inherits.
pub const POD_SECURITY_CONTEXT: Schema = Schema {
    implemented: &["runAsUser", "runAsGroup", "runAsNonRoot"],
    known: &[
        "fsGroup",
        "fsGroupChangePolicy",
        "supplementalGroups",
        "supplementalGroupsPolicy",
        "sysctls",
        "seLinuxOptions",
        "seLinuxChangePolicy",
        "seccompProfile",
        "appArmorProfile",
        "windowsOptions",
    ],
};

/// A container's `securityContext`.
pub const SECURITY_CONTEXT: Schema = Schema {
    implemented: &[
        "runAsUser",
        "runAsGroup",
        "readOnlyRootFilesystem",
        "allowPrivilegeEscalation",
        "privileged",
        "capabilities",
        "runAsNonRoot",
    ],
    known: &[
        "seLinuxOptions",
        "seccompProfile",
        "appArmorProfile",
        "windowsOptions",
        "procMount",
    ],
};

pub const CAPABILITIES: Schema = Schema {
    implemented: &["add", "drop"],
    known: &[],
};

pub const CONTAINER_PORT: Schema = Schema {
    implemented: &["name", "hostPort", "containerPort", "protocol", "hostIP"],
    known: &[],
};

pub const ENV_VAR: Schema = Schema {
    implemented: &["name", "value", "valueFrom"],
    known: &[],
};

pub const RESOURCES: Schema = Schema {
    implemented: &["limits", "requests"],
    known: &["claims"],
};

pub const VOLUME_MOUNT: Schema = Schema {
    implemented: &["name", "mountPath", "readOnly", "subPath"],
    known: &["recursiveReadOnly", "mountPropagation", "subPathExpr"],
};

/// The volume sources berth implements (the rest of `VOLUME.known`).
pub const VOLUME: Schema = Schema {
    implemented: &[
        "name",
        "emptyDir",
        "hostPath",
        "configMap",
        "secret",
        "downwardAPI",
        "projected",
    ],
    known: &[
        "gcePersistentDisk",
        "awsElasticBlockStore",
        "gitRepo",
        "nfs",
        "iscsi",
        "glusterfs",
        "persistentVolumeClaim",
        "rbd",
        "flexVolume",
        "cinder",
        "cephfs",
        "flocker",
        "fc",
        "azureFile",
        "vsphereVolume",
        "quobyte",
        "azureDisk",
        "photonPersistentDisk",
        "portworxVolume",
        "scaleIO",
        "storageos",
        "csi",
        "ephemeral",
        "image",
    ],
};

pub const EMPTY_DIR: Schema = Schema {
    implemented: &["medium", "sizeLimit"],
    known: &[],
};

pub const HOST_PATH: Schema = Schema {
    implemented: &["path", "type"],
    known: &[],
};

pub const RC_SPEC: Schema = Schema {
    implemented: &["replicas", "selector", "template"],
    known: &["minReadySeconds"],
};

pub const DEPLOYMENT_SPEC: Schema = Schema {
    implemented: &[
        "replicas",
        "selector",
        "template",
        "strategy",
        "minReadySeconds",
        "progressDeadlineSeconds",
        "paused",
        "revisionHistoryLimit",
    ],
    known: &[],
};

pub const REPLICA_SET_SPEC: Schema = Schema {
    implemented: &["replicas", "selector", "template", "minReadySeconds"],
    known: &[],
};

pub const DAEMON_SET_SPEC: Schema = Schema {
    implemented: &["selector", "template", "updateStrategy", "minReadySeconds"],
    known: &["revisionHistoryLimit"],
};

pub const DAEMON_SET_STRATEGY: Schema = Schema {
    implemented: &["type", "rollingUpdate"],
    known: &[],
};

pub const DAEMON_SET_ROLLING_UPDATE: Schema = Schema {
    implemented: &["maxUnavailable"],
    known: &["maxSurge"],
};

pub const LABEL_SELECTOR: Schema = Schema {
    implemented: &["matchLabels", "matchExpressions"],
    known: &[],
};

pub const SELECTOR_REQUIREMENT: Schema = Schema {
    implemented: &["key", "operator", "values"],
    known: &[],
};

pub const DEPLOYMENT_STRATEGY: Schema = Schema {
    implemented: &["type", "rollingUpdate"],
    known: &[],
};

pub const ROLLING_UPDATE: Schema = Schema {
    implemented: &["maxSurge", "maxUnavailable"],
    known: &[],
};

pub const POD_TEMPLATE: Schema = Schema {
    implemented: &["metadata", "spec"],
    known: &[],
};

pub const SERVICE_SPEC: Schema = Schema {
    implemented: &["ports", "selector"],
    known: &[
        "clusterIP",
        "clusterIPs",
        "type",
        "externalIPs",
        "sessionAffinity",
        "loadBalancerIP",
        "loadBalancerSourceRanges",
        "externalName",
        "externalTrafficPolicy",
        "healthCheckNodePort",
        "publishNotReadyAddresses",
        "sessionAffinityConfig",
        "ipFamilies",
        "ipFamilyPolicy",
        "allocateLoadBalancerNodePorts",
        "loadBalancerClass",
        "internalTrafficPolicy",
        "trafficDistribution",
    ],
};

pub const SERVICE_PORT: Schema = Schema {
    implemented: &["name", "protocol", "port", "targetPort"],
    known: &["appProtocol", "nodePort"],
};

pub const NODE_SPEC: Schema = Schema {
    implemented: &[],
    known: &[
        "podCIDR",
        "podCIDRs",
        "providerID",
        "unschedulable",
        "taints",
        "configSource",
        "externalID",
    ],
};

pub const NODE_STATUS: Schema = Schema {
    implemented: &["capacity"],
    known: &[
        "allocatable",
        "phase",
        "conditions",
        "addresses",
        "daemonEndpoints",
        "nodeInfo",
        "images",
        "volumesInUse",
        "volumesAttached",
        "config",
        "runtimeHandlers",
        "features",
    ],
};

/// The seed's `v1beta1` Minion layout.
pub const MINION: Schema = Schema {
    implemented: &[
        "apiVersion",
        "kind",
        "id",
        "resources",
        "labels",
        "annotations",
    ],
    known: &[
        "hostIP",
        "creationTimestamp",
        "selfLink",
        "uid",
        "resourceVersion",
        "namespace",
        "status",
        "externalID",
    ],
};

pub const MINION_RESOURCES: Schema = Schema {
    implemented: &["capacity"],
    known: &[],
};

/// Values of known-but-unimplemented fields that only restate what
/// Kubernetes (and berth) do anyway, so they deserve no warning.
pub const DEFAULT_VALUES: &[(&str, &str)] = &[
    ("schedulerName", "default-scheduler"),
    ("terminationMessagePath", "/dev/termination-log"),
    ("terminationMessagePolicy", "File"),
    ("type", "ClusterIP"),
    ("sessionAffinity", "None"),
    // What `kubectl get -o yaml` prints for a plain pod or service.
    ("dnsPolicy", "ClusterFirst"),
    ("enableServiceLinks", "true"),
    ("priority", "0"),
    ("preemptionPolicy", "PreemptLowerPriority"),
    ("serviceAccountName", "default"),
    ("serviceAccount", "default"),
    ("minReadySeconds", "0"),
    ("internalTrafficPolicy", "Cluster"),
    ("ipFamilyPolicy", "SingleStack"),
];

/// Top-level fields of the 2014 layouts, and what v1 says instead.
pub const LEGACY_FIELDS: &[(&str, &str)] = &[
    ("desiredState", "`desiredState` is the v1beta1/v1beta2 layout; use apiVersion: v1 with `spec` (spec.containers for a pod, spec.template for a controller)"),
    ("currentState", "`currentState` is the v1beta1/v1beta2 layout; v1 reports it as `status`, which is not written in manifests"),
    ("id", "`id` is the v1beta1/v1beta2 name field; use apiVersion: v1 with metadata.name"),
    ("labels", "top-level `labels` is the v1beta1/v1beta2 layout; use metadata.labels"),
    ("replicaSelector", "`replicaSelector` is the v1beta1 controller layout; use spec.selector"),
    ("podTemplate", "`podTemplate` is the v1beta1 controller layout; use spec.template"),
    ("selector", "top-level `selector` is the v1beta1/v1beta2 service layout; use spec.selector"),
    ("port", "top-level `port` is the v1beta1/v1beta2 service layout; use spec.ports"),
    ("containerPort", "top-level `containerPort` is the v1beta1/v1beta2 service layout; use spec.ports[].targetPort"),
];

/// Kinds berth decodes.
pub const HANDLED_KINDS: &[&str] = &[
    "Pod",
    "ReplicationController",
    "Service",
    "Node",
    "ConfigMap",
    "Secret",
    "List",
];

/// Kinds the core `v1` API serves that berth does not handle.
pub const CORE_UNHANDLED_KINDS: &[&str] = &[
    "Namespace",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ServiceAccount",
    "Endpoints",
    "LimitRange",
    "ResourceQuota",
    "PodTemplate",
    "Event",
    "ComponentStatus",
    "Binding",
];

/// Kinds served by named API groups (`apps/v1` ...), to tell a user who
/// writes them under `v1` which apiVersion they belong to.
pub const GROUP_KINDS: &[(&str, &str)] = &[
    ("Deployment", "apps/v1"),
    ("StatefulSet", "apps/v1"),
    ("DaemonSet", "apps/v1"),
    ("ReplicaSet", "apps/v1"),
    ("ControllerRevision", "apps/v1"),
    ("Job", "batch/v1"),
    ("CronJob", "batch/v1"),
    ("Ingress", "networking.k8s.io/v1"),
    ("IngressClass", "networking.k8s.io/v1"),
    ("NetworkPolicy", "networking.k8s.io/v1"),
    ("Role", "rbac.authorization.k8s.io/v1"),
    ("RoleBinding", "rbac.authorization.k8s.io/v1"),
    ("ClusterRole", "rbac.authorization.k8s.io/v1"),
    ("ClusterRoleBinding", "rbac.authorization.k8s.io/v1"),
    ("HorizontalPodAutoscaler", "autoscaling/v2"),
    ("PodDisruptionBudget", "policy/v1"),
    ("StorageClass", "storage.k8s.io/v1"),
    ("EndpointSlice", "discovery.k8s.io/v1"),
    ("CustomResourceDefinition", "apiextensions.k8s.io/v1"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("imagePullPolicyy", "imagePullPolicy"), 1);
        assert_eq!(edit_distance("contaners", "containers"), 1);
        assert_eq!(edit_distance("abc", "xyz"), 3);
    }

    #[test]
    fn suggestions_come_only_from_near_names() {
        assert_eq!(
            CONTAINER.suggest("imagePullPolicyy"),
            Some("imagePullPolicy")
        );
        assert_eq!(CONTAINER.suggest("livenessprobe"), Some("livenessProbe"));
        assert_eq!(CONTAINER.suggest("completelyDifferent"), None);
    }

    #[test]
    fn no_field_is_both_implemented_and_known() {
        for schema in [
            &POD_SPEC,
            &CONTAINER,
            &VOLUME,
            &SERVICE_SPEC,
            &OBJECT_META,
            &MINION,
        ] {
            for field in schema.implemented {
                assert!(!schema.is_known(field), "{field}");
            }
        }
    }
}
