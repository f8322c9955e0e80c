//! The store's versions and history, and what each watcher is sent, on
//! snapshots built in memory.

use std::sync::Arc;

use serde_json::Value;

use super::fixtures::{names, snapshot, web_pod};
use super::resource::ApiResource;
use super::select::Filter;
use super::store::Store;
use super::table::IncludeObject;
use super::watch::{event, WatchRequest};
use super::Format;

#[test]
fn every_object_carries_a_uid_a_creation_time_and_its_version() {
    let mut store = Store::default();
    store.sync(&snapshot(4, vec![web_pod("web", "web")]));
    for resource in ApiResource::ALL {
        for object in store.list(resource, None) {
            let json = object.json();
            let meta = &json["metadata"];
            assert_eq!(meta["resourceVersion"], "4", "{resource:?} {json}");
            assert_eq!(meta["uid"].as_str().map(str::len), Some(36), "{json}");
            assert!(meta["creationTimestamp"].is_string(), "{json}");
        }
    }
    assert_eq!(
        names(&store.list(ApiResource::Namespaces, None)),
        vec!["default"]
    );
    assert_eq!(names(&store.list(ApiResource::Nodes, None)), vec!["local"]);
}

#[test]
fn an_unchanged_object_keeps_its_version_across_snapshots() {
    let mut store = Store::default();
    let mut first = snapshot(1, vec![web_pod("web", "web")]);
    first.docker_events = Arc::new(vec![crate::status::fixtures::die("web-app", "app", 1, 0)]);
    store.sync(&first);
    let mut later = snapshot(2, vec![web_pod("web", "web")]);
    later.docker_events = first.docker_events.clone();
    later.taken_at += 3600;
    store.sync(&later);
    assert_eq!(store.generation(), 2);
    assert_eq!(
        store.get(ApiResource::Pods, "default", "web").unwrap().rv,
        1
    );
    for resource in ApiResource::ALL {
        let changes = store.changes_since(resource, 1).unwrap();
        assert!(
            changes.is_empty(),
            "{resource:?} changed with the clock alone"
        );
    }
}

#[test]
fn added_changed_and_removed_objects_are_recorded_at_their_generation() {
    let mut store = Store::default();
    store.sync(&snapshot(
        1,
        vec![web_pod("web", "web"), web_pod("db", "db")],
    ));
    store.sync(&snapshot(
        2,
        vec![web_pod("web", "web2"), web_pod("cache", "cache")],
    ));
    let changes = store.changes_since(ApiResource::Pods, 1).unwrap();
    let summary: Vec<(String, bool, bool, u64)> = changes
        .iter()
        .map(|c| {
            let name = c.new.as_ref().or(c.old.as_ref()).unwrap().name.clone();
            (name, c.old.is_some(), c.new.is_some(), c.rv)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("cache".to_string(), false, true, 2),
            ("web".to_string(), true, true, 2),
            ("db".to_string(), true, false, 2),
        ]
    );
    assert_eq!(
        store.get(ApiResource::Pods, "default", "web").unwrap().rv,
        2
    );
}

#[test]
fn a_version_older_than_the_history_has_expired() {
    let mut store = Store::with_limit(1);
    store.sync(&snapshot(1, vec![]));
    store.sync(&snapshot(2, vec![web_pod("a", "a")]));
    store.sync(&snapshot(3, vec![web_pod("a", "a"), web_pod("b", "b")]));
    // Each pod brings its events too: the history kept only the last change.
    assert!(store.changes_since(ApiResource::Pods, 1).is_err());
    assert!(store.changes_since(ApiResource::Pods, 3).is_ok());
    let mut roomy = Store::with_limit(100);
    roomy.sync(&snapshot(1, vec![]));
    roomy.sync(&snapshot(2, vec![web_pod("a", "a")]));
    roomy.sync(&snapshot(3, vec![web_pod("a", "a"), web_pod("b", "b")]));
    assert_eq!(roomy.changes_since(ApiResource::Pods, 1).unwrap().len(), 2);
}

#[test]
fn a_version_from_the_future_has_expired_too() {
    let mut store = Store::default();
    store.sync(&snapshot(5, vec![]));
    assert!(store.changes_since(ApiResource::Pods, 5).is_ok());
    assert!(store.changes_since(ApiResource::Pods, 500).is_err());
}

fn request(labels: Option<&str>) -> WatchRequest {
    WatchRequest {
        resource: ApiResource::Pods,
        filter: Filter::parse(ApiResource::Pods, None, labels, None).unwrap(),
        format: Format::Json,
        include: IncludeObject::Metadata,
        since: Some(1),
        timeout: None,
        bookmarks: false,
    }
}

fn sent(request: &WatchRequest, store: &Store) -> Vec<(String, String, String)> {
    store
        .changes_since(ApiResource::Pods, 1)
        .unwrap()
        .iter()
        .filter_map(|c| event(request, c))
        .map(|line| {
            let value: Value = serde_json::from_slice(&line).unwrap();
            let text = |v: &Value| v.as_str().unwrap().to_string();
            (
                text(&value["type"]),
                text(&value["object"]["metadata"]["name"]),
                text(&value["object"]["metadata"]["resourceVersion"]),
            )
        })
        .collect()
}

#[test]
fn an_object_that_stops_matching_is_deleted_for_that_watcher() {
    let mut store = Store::default();
    store.sync(&snapshot(
        1,
        vec![web_pod("web", "web"), web_pod("db", "db")],
    ));
    store.sync(&snapshot(
        2,
        vec![web_pod("web", "api"), web_pod("new", "web")],
    ));
    let event = |t: &str, n: &str| (t.to_string(), n.to_string(), "2".to_string());
    assert_eq!(
        sent(&request(Some("app=web")), &store),
        vec![event("ADDED", "new"), event("DELETED", "web")]
    );
    assert_eq!(
        sent(&request(None), &store),
        vec![
            event("ADDED", "new"),
            event("MODIFIED", "web"),
            event("DELETED", "db")
        ]
    );
}

#[test]
fn table_watch_events_carry_a_one_row_table() {
    let mut store = Store::default();
    store.sync(&snapshot(1, vec![]));
    store.sync(&snapshot(2, vec![web_pod("web", "web")]));
    let mut request = request(None);
    request.format = Format::Table("v1");
    let change = &store.changes_since(ApiResource::Pods, 1).unwrap()[0];
    let line: Value = serde_json::from_slice(&event(&request, change).unwrap()).unwrap();
    assert_eq!(line["type"], "ADDED");
    assert_eq!(line["object"]["kind"], "Table");
    assert_eq!(line["object"]["metadata"]["resourceVersion"], "2");
    assert_eq!(line["object"]["rows"].as_array().unwrap().len(), 1);
    assert_eq!(line["object"]["rows"][0]["cells"][0], "web");
}
