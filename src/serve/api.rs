//! The read-only, Kubernetes-shaped API, on the same port as the page, so
//! that kubectl and Kubernetes clients read berth as they read a cluster:
//! discovery, lists and gets (JSON or server-side `Table`), label and field
//! selectors, and watch streams, all from the shared `Store` of the latest
//! snapshot. Writes are refused with a `Status`, as everything else that
//! goes wrong.

mod build;
mod discovery;
mod resource;
mod select;
mod status;
mod store;
mod table;
mod table_apps;
mod table_pod;
mod watch;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::ServeState;
use resource::ApiResource;
use select::Filter;
use status::ApiError;
use store::Store;
use table::IncludeObject;

/// What the API handlers share: the snapshots and the store built from them.
#[derive(Clone)]
pub(super) struct ApiState {
    serve: ServeState,
    store: Arc<Mutex<Store>>,
}

impl ApiState {
    /// The store, brought up to the latest snapshot. The snapshot is read
    /// under the store's lock, so the store never goes back to an older one.
    fn store(&self) -> MutexGuard<'_, Store> {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let snapshot = self.serve.current();
        store.sync(&snapshot);
        store
    }
}

/// The API's routes (`/version`, `/api…`, `/apis`).
pub(super) fn routes(state: ServeState) -> Router {
    let state = ApiState {
        serve: state,
        store: Arc::new(Mutex::new(Store::default())),
    };
    Router::new()
        .route(
            "/version",
            read(get(|| async { Json(discovery::version()) })),
        )
        .route(
            "/api",
            read(get(|| async { Json(discovery::api_versions()) })),
        )
        .route(
            "/apis",
            read(get(|| async { Json(discovery::api_groups()) })),
        )
        .route(
            "/apis/apps",
            read(get(|| async { Json(discovery::apps_api_group()) })),
        )
        .route(
            "/apis/apps/v1",
            read(get(|| async { Json(discovery::apps_resource_list()) })),
        )
        .route("/apis/apps/v1/{resource}", read(get(list_cluster::<true>)))
        .route(
            "/apis/apps/v1/namespaces/{ns}/{resource}",
            read(get(list_namespaced::<true>)),
        )
        .route(
            "/apis/apps/v1/namespaces/{ns}/{resource}/{name}",
            read(get(get_namespaced::<true>)),
        )
        .route(
            "/api/v1",
            read(get(|| async { Json(discovery::resource_list()) })),
        )
        .route("/api/v1/{resource}", read(get(list_cluster::<false>)))
        .route("/api/v1/{resource}/{name}", read(get(get_cluster)))
        .route(
            "/api/v1/namespaces/{ns}/{resource}",
            read(get(list_namespaced::<false>)),
        )
        .route(
            "/api/v1/namespaces/{ns}/{resource}/{name}",
            read(get(get_namespaced::<false>)),
        )
        .with_state(state)
}

/// Every other method on an API path is a write berth refuses.
fn read(route: MethodRouter<ApiState>) -> MethodRouter<ApiState> {
    route.fallback(|method: Method| async move { ApiError::method_not_allowed(method.as_str()) })
}

/// Unknown paths: 404 `Status`; writes to any API path: 405 `Status`.
pub(super) async fn fallback(method: Method, uri: Uri) -> Response {
    let api_path = uri.path().starts_with("/api");
    if api_path && method != Method::GET && method != Method::HEAD {
        ApiError::method_not_allowed(method.as_str()).into_response()
    } else {
        ApiError::path_not_found().into_response()
    }
}

/// The query parameters of lists, gets and watches.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListQuery {
    label_selector: Option<String>,
    field_selector: Option<String>,
    watch: Option<String>,
    resource_version: Option<String>,
    timeout_seconds: Option<u64>,
    allow_watch_bookmarks: Option<String>,
    include_object: Option<String>,
}

/// How the client wants objects: plain JSON or a `Table` of a
/// `meta.k8s.io` version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Json,
    Table(&'static str),
}

/// The first acceptable alternative of `Accept` (kubectl sends several,
/// separated by commas); plain JSON when none is.
pub(super) fn format(headers: &HeaderMap) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for alternative in accept.split(',') {
        let mut parts = alternative.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        if !matches!(media, "application/json" | "application/*" | "*/*") {
            continue;
        }
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |key: &str| params.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        match (param("as"), param("g"), param("v")) {
            (None, _, _) => return Format::Json,
            (Some("Table"), Some("meta.k8s.io"), Some("v1")) => return Format::Table("v1"),
            (Some("Table"), Some("meta.k8s.io"), Some("v1beta1")) => {
                return Format::Table("v1beta1")
            }
            _ => continue,
        }
    }
    Format::Json
}

/// The resource a path names: of the `apps` group under `/apis/apps/v1`
/// (`APPS_GROUP`), of the core group under `/api/v1`.
fn resource_of<const APPS_GROUP: bool>(plural: &str) -> Result<ApiResource, ApiError> {
    let group = if APPS_GROUP { resource::APPS } else { "" };
    ApiResource::from_plural(group, plural).ok_or_else(ApiError::path_not_found)
}

async fn list_cluster<const APPS_GROUP: bool>(
    State(state): State<ApiState>,
    Path(plural): Path<String>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let resource = resource_of::<APPS_GROUP>(&plural)?;
    list(state, resource, None, query, format(&headers)).await
}

async fn list_namespaced<const APPS_GROUP: bool>(
    State(state): State<ApiState>,
    Path((namespace, plural)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let resource = resource_of::<APPS_GROUP>(&plural)?;
    if !resource.namespaced() {
        return Err(ApiError::path_not_found());
    }
    list(state, resource, Some(namespace), query, format(&headers)).await
}

async fn get_cluster(
    State(state): State<ApiState>,
    Path((plural, name)): Path<(String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let resource = resource_of::<false>(&plural)?;
    if resource.namespaced() {
        return Err(ApiError::path_not_found());
    }
    get_one(state, resource, "", &name, query, format(&headers))
}

async fn get_namespaced<const APPS_GROUP: bool>(
    State(state): State<ApiState>,
    Path((namespace, plural, name)): Path<(String, String, String)>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let resource = resource_of::<APPS_GROUP>(&plural)?;
    if !resource.namespaced() {
        return Err(ApiError::path_not_found());
    }
    get_one(state, resource, &namespace, &name, query, format(&headers))
}

fn is_watch(query: &ListQuery) -> bool {
    matches!(query.watch.as_deref(), Some("true" | "1"))
}

async fn list(
    state: ApiState,
    resource: ApiResource,
    namespace: Option<String>,
    query: ListQuery,
    format: Format,
) -> Result<Response, ApiError> {
    let filter = Filter::parse(
        resource,
        namespace,
        query.label_selector.as_deref(),
        query.field_selector.as_deref(),
    )?;
    let include = IncludeObject::parse(query.include_object.as_deref());
    if is_watch(&query) {
        let since =
            match query.resource_version.as_deref() {
                None | Some("" | "0") => None,
                Some(text) => Some(text.parse::<u64>().map_err(|_| {
                    ApiError::bad_request(format!("invalid resourceVersion: {text}"))
                })?),
            };
        let request = watch::WatchRequest {
            resource,
            filter,
            format,
            include,
            since,
            timeout: query.timeout_seconds,
            bookmarks: format == Format::Json
                && matches!(query.allow_watch_bookmarks.as_deref(), Some("true" | "1")),
        };
        return watch::stream(state, request);
    }
    let (generation, items, now) = {
        let store = state.store();
        let items: Vec<Value> = store
            .list(resource, filter.namespace.as_deref())
            .iter()
            .map(|object| (object, object.json()))
            .filter(|(object, json)| filter.matches(object, json))
            .map(|(_, json)| json)
            .collect();
        (store.generation(), items, now())
    };
    let body = match format {
        Format::Table(version) => table::table(resource, version, generation, &items, include, now),
        Format::Json => json!({
            "apiVersion": resource.api_version(),
            "kind": format!("{}List", resource.kind()),
            "metadata": { "resourceVersion": generation.to_string() },
            "items": items,
        }),
    };
    Ok(json_response(&body))
}

fn get_one(
    state: ApiState,
    resource: ApiResource,
    namespace: &str,
    name: &str,
    query: ListQuery,
    format: Format,
) -> Result<Response, ApiError> {
    let object = state.store().get(resource, namespace, name);
    let object = object.ok_or_else(|| ApiError::object_not_found(resource, name))?;
    let json = object.json();
    let body = match format {
        Format::Table(version) => {
            let include = IncludeObject::parse(query.include_object.as_deref());
            table::table(resource, version, object.rv, &[json], include, now())
        }
        Format::Json => json,
    };
    Ok(json_response(&body))
}

/// Unix seconds now: ages in tables are as of the request.
pub(super) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn json_response(body: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
pub(in crate::serve) mod fixtures;
#[cfg(test)]
mod table_apps_tests;
#[cfg(test)]
mod table_tests;
#[cfg(test)]
mod tests;
