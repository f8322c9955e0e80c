//! The resources the API serves: their names as URLs, kinds and kubectl
//! short names spell them, and whether they live in a namespace.

/// One resource of the core `v1` group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiResource {
    Pods,
    ReplicationControllers,
    Services,
    Endpoints,
    Nodes,
    Events,
    Namespaces,
}

impl ApiResource {
    pub const ALL: [ApiResource; 7] = [
        ApiResource::Pods,
        ApiResource::ReplicationControllers,
        ApiResource::Services,
        ApiResource::Endpoints,
        ApiResource::Nodes,
        ApiResource::Events,
        ApiResource::Namespaces,
    ];

    /// The resource named by a URL segment (`pods`).
    pub fn from_plural(plural: &str) -> Option<ApiResource> {
        ApiResource::ALL.into_iter().find(|r| r.plural() == plural)
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
        }
    }

    /// The discovery categories: `kubectl get all` lists the `all` ones.
    pub fn categories(self) -> &'static [&'static str] {
        match self {
            ApiResource::Pods | ApiResource::ReplicationControllers | ApiResource::Services => {
                &["all"]
            }
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
            assert_eq!(ApiResource::from_plural(resource.plural()), Some(resource));
        }
        assert_eq!(ApiResource::from_plural("deployments"), None);
    }
}
