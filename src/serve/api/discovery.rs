//! Discovery, as clients walk it before any request: `/version`, `/api`
//! (APIVersions), `/api/v1` (APIResourceList), `/apis` (APIGroupList: the
//! `apps` group), `/apis/apps` (APIGroup) and `/apis/apps/v1`
//! (APIResourceList).

use serde_json::{json, Value};

use super::resource::{ApiResource, APPS};

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

/// The one version of the `apps` group, as `APIGroup` names it.
fn apps_group() -> Value {
    let version = json!({ "groupVersion": "apps/v1", "version": "v1" });
    json!({ "name": APPS, "versions": [version], "preferredVersion": version })
}

/// `/apis`: the named groups berth serves (`apps`).
pub fn api_groups() -> Value {
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": [apps_group()] })
}

/// `/apis/apps`: the group on its own.
pub fn apps_api_group() -> Value {
    let mut group = apps_group();
    group["kind"] = json!("APIGroup");
    group["apiVersion"] = json!("v1");
    group
}

/// `/api/v1`: every core resource berth serves, read-only.
pub fn resource_list() -> Value {
    group_resource_list("")
}

/// `/apis/apps/v1`: the workload controllers berth serves, read-only.
pub fn apps_resource_list() -> Value {
    group_resource_list(APPS)
}

fn group_resource_list(group: &str) -> Value {
    let resources: Vec<Value> = ApiResource::of_group(group)
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
        "groupVersion": if group.is_empty() { "v1" } else { "apps/v1" },
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
            "configmaps",
            "secrets",
        ] {
            assert!(names.contains(&name), "{names:?}");
        }
        let nodes = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "nodes");
        assert_eq!(nodes.unwrap()["namespaced"], false);
        assert!(!names.contains(&"deployments"), "{names:?}");
    }

    #[test]
    fn the_apps_group_lists_its_controllers_with_kubectls_short_names() {
        let groups = api_groups();
        assert_eq!(groups["groups"][0]["name"], "apps");
        assert_eq!(
            groups["groups"][0]["preferredVersion"]["groupVersion"],
            "apps/v1"
        );
        let list = apps_resource_list();
        assert_eq!(list["groupVersion"], "apps/v1");
        let found: Vec<(&str, &Value)> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["name"].as_str().unwrap(), &r["shortNames"]))
            .collect();
        assert_eq!(
            found,
            [
                ("deployments", &json!(["deploy"])),
                ("replicasets", &json!(["rs"])),
                ("daemonsets", &json!(["ds"])),
            ]
        );
        for resource in list["resources"].as_array().unwrap() {
            assert_eq!(resource["verbs"], json!(["get", "list", "watch"]));
            assert_eq!(resource["namespaced"], true);
        }
        assert_eq!(apps_api_group()["kind"], "APIGroup");
    }
}
