//! The resources the API serves: their names as URLs, kinds and kubectl
//! short names spell them, their group (core `v1` or `apps/v1`) and
//! whether they live in a namespace.

/// One resource of the core `v1` group or of `apps/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiResource {
    Pods,
    ReplicationControllers,
    Services,
    Endpoints,
    Nodes,
    Events,
    Namespaces,
    ConfigMaps,
    Secrets,
    Deployments,
    ReplicaSets,
    DaemonSets,
}

/// The named group berth serves besides the core one.
pub const APPS: &str = "apps";

impl ApiResource {
    pub const ALL: [ApiResource; 12] = [
        ApiResource::Pods,
        ApiResource::ReplicationControllers,
        ApiResource::Services,
        ApiResource::Endpoints,
        ApiResource::Nodes,
        ApiResource::Events,
        ApiResource::Namespaces,
        ApiResource::ConfigMaps,
        ApiResource::Secrets,
        ApiResource::Deployments,
        ApiResource::ReplicaSets,
        ApiResource::DaemonSets,
    ];

    /// The resource of `group` (`""` for the core one) named by a URL
    /// segment (`pods`).
    pub fn from_plural(group: &str, plural: &str) -> Option<ApiResource> {
        ApiResource::ALL
            .into_iter()
            .find(|r| r.group() == group && r.plural() == plural)
    }

    /// The resources of `group`, in discovery order.
    pub fn of_group(group: &str) -> impl Iterator<Item = ApiResource> + '_ {
        ApiResource::ALL
            .into_iter()
            .filter(move |r| r.group() == group)
    }

    /// `""` for the core group, `apps` for the workload controllers.
    pub fn group(self) -> &'static str {
        match self {
            ApiResource::Deployments | ApiResource::ReplicaSets | ApiResource::DaemonSets => APPS,
            _ => "",
        }
    }

    /// The `apiVersion` of its objects and lists (`v1`, `apps/v1`).
    pub fn api_version(self) -> &'static str {
        match self.group() {
            APPS => "apps/v1",
            _ => "v1",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            ApiResource::Pods => "pods",
            ApiResource::ReplicationControllers => "replicationcontrollers",
            ApiResource::Services => "services",
            ApiResource::Endpoints => "endpoints",
            ApiResource::Nodes => "nodes",
            ApiResource::Events => "events",
            ApiResource::Namespaces => "namespaces",
            ApiResource::ConfigMaps => "configmaps",
            ApiResource::Secrets => "secrets",
            ApiResource::Deployments => "deployments",
            ApiResource::ReplicaSets => "replicasets",
            ApiResource::DaemonSets => "daemonsets",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            ApiResource::Pods => "pod",
            ApiResource::ReplicationControllers => "replicationcontroller",
            ApiResource::Services => "service",
            ApiResource::Endpoints => "endpoints",
            ApiResource::Nodes => "node",
            ApiResource::Events => "event",
            ApiResource::Namespaces => "namespace",
            ApiResource::ConfigMaps => "configmap",
            ApiResource::Secrets => "secret",
            ApiResource::Deployments => "deployment",
            ApiResource::ReplicaSets => "replicaset",
            ApiResource::DaemonSets => "daemonset",
        }
    }

    /// The object kind (`Pod`); its list is `PodList`.
    pub fn kind(self) -> &'static str {
        match self {
            ApiResource::Pods => "Pod",
            ApiResource::ReplicationControllers => "ReplicationController",
            ApiResource::Services => "Service",
            ApiResource::Endpoints => "Endpoints",
            ApiResource::Nodes => "Node",
            ApiResource::Events => "Event",
            ApiResource::Namespaces => "Namespace",
            ApiResource::ConfigMaps => "ConfigMap",
            ApiResource::Secrets => "Secret",
            ApiResource::Deployments => "Deployment",
            ApiResource::ReplicaSets => "ReplicaSet",
            ApiResource::DaemonSets => "DaemonSet",
        }
    }

    pub fn short_names(self) -> &'static [&'static str] {
        match self {
            ApiResource::Pods => &["po"],
            ApiResource::ReplicationControllers => &["rc"],
            ApiResource::Services => &["svc"],
            ApiResource::Endpoints => &["ep"],
            ApiResource::Nodes => &["no"],
            ApiResource::Events => &["ev"],
            ApiResource::Namespaces => &["ns"],
            ApiResource::ConfigMaps => &["cm"],
            ApiResource::Secrets => &[],
            ApiResource::Deployments => &["deploy"],
            ApiResource::ReplicaSets => &["rs"],
            ApiResource::DaemonSets => &["ds"],
        }
    }

    /// The discovery categories: `kubectl get all` lists the `all` ones.
    pub fn categories(self) -> &'static [&'static str] {
        match self {
            ApiResource::Pods
            | ApiResource::ReplicationControllers
            | ApiResource::Services
            | ApiResource::Deployments
            | ApiResource::ReplicaSets
            | ApiResource::DaemonSets => &["all"],
            _ => &[],
        }
    }

    /// Nodes and namespaces are cluster-scoped.
    pub fn namespaced(self) -> bool {
        !matches!(self, ApiResource::Nodes | ApiResource::Namespaces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_is_found_by_its_plural() {
        for resource in ApiResource::ALL {
            let found = ApiResource::from_plural(resource.group(), resource.plural());
            assert_eq!(found, Some(resource));
        }
    }

    #[test]
    fn a_resource_is_found_only_in_its_own_group() {
        assert_eq!(ApiResource::from_plural("", "deployments"), None);
        assert_eq!(ApiResource::from_plural(APPS, "pods"), None);
        assert_eq!(
            ApiResource::from_plural(APPS, "daemonsets"),
            Some(ApiResource::DaemonSets)
        );
        assert_eq!(ApiResource::Deployments.api_version(), "apps/v1");
        assert_eq!(ApiResource::Secrets.api_version(), "v1");
    }
}
