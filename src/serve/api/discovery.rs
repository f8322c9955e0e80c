//! Discovery, as clients walk it before any request: `/version`, `/api`
//! (APIVersions), `/api/v1` (APIResourceList) and `/apis` (no groups).

use serde_json::{json, Value};

use super::resource::ApiResource;

/// `/version`: the Kubernetes API berth's objects follow, and berth's own
/// version in `gitVersion`.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": concat!("v1.32.0-berth.", env!("CARGO_PKG_VERSION")),
        "gitCommit": "",
        "gitTreeState": "",
        "buildDate": "",
        "goVersion": "",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH),
    })
}

/// `/api`: the core group has one version.
pub fn api_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": "" }],
    })
}

/// `/apis`: berth serves no named groups.
pub fn api_groups() -> Value {
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": [] })
}

/// `/api/v1`: every resource berth serves, read-only.
pub fn resource_list() -> Value {
    let resources: Vec<Value> = ApiResource::ALL
        .into_iter()
        .map(|r| {
            json!({
                "name": r.plural(),
                "singularName": r.singular(),
                "namespaced": r.namespaced(),
                "kind": r.kind(),
                "verbs": ["get", "list", "watch"],
                "shortNames": r.short_names(),
                "categories": r.categories(),
            })
        })
        .collect();
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "v1",
        "resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_list_names_every_resource_with_read_verbs_and_short_names() {
        let list = resource_list();
        let pods = &list["resources"][0];
        assert_eq!(pods["name"], "pods");
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["verbs"], json!(["get", "list", "watch"]));
        let names: Vec<&str> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        for name in [
            "replicationcontrollers",
            "services",
            "nodes",
            "events",
            "endpoints",
        ] {
            assert!(names.contains(&name), "{names:?}");
        }
        let nodes = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "nodes");
        assert_eq!(nodes.unwrap()["namespaced"], false);
    }
}
