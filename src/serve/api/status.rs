//! Errors as the API server sends them: a `v1` `Status` object with the
//! HTTP code, a reason (`NotFound`, `BadRequest`, `MethodNotAllowed`,
//! `Expired`) and a message worded as Kubernetes words it.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::resource::ApiResource;
use super::store::Expired;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: String) -> ApiError {
        ApiError {
            code,
            reason,
            message,
            details: None,
        }
    }

    pub fn bad_request(message: String) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    /// `pods "web" not found`.
    pub fn object_not_found(resource: ApiResource, name: &str) -> ApiError {
        let mut error = ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", resource.plural()),
        );
        let mut details = json!({ "name": name, "kind": resource.plural() });
        if !resource.group().is_empty() {
            details["group"] = json!(resource.group());
        }
        error.details = Some(details);
        error
    }

    /// A path the API does not serve.
    pub fn path_not_found() -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource".into(),
        )
    }

    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!("berth serves a read-only API: {method} is not supported"),
        )
    }

    /// A watch resumed from a version older than the history keeps, or
    /// newer than any (from an earlier `watch`).
    pub fn expired(expired: Expired) -> ApiError {
        let Expired {
            requested,
            oldest,
            current,
        } = expired;
        let message = if requested < oldest {
            format!("too old resource version: {requested} ({oldest})")
        } else {
            format!("too large resource version: {requested}, current: {current}")
        };
        ApiError::new(410, "Expired", message)
    }

    /// The `Status` object.
    pub fn to_json(&self) -> Value {
        let mut value = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            value["details"] = details.clone();
        }
        value
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            code,
            [(header::CONTENT_TYPE, "application/json")],
            self.to_json().to_string(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_object_is_worded_as_the_api_server_words_it() {
        let body = ApiError::object_not_found(ApiResource::Pods, "x").to_json();
        assert_eq!(body["kind"], "Status");
        assert_eq!(body["status"], "Failure");
        assert_eq!(body["reason"], "NotFound");
        assert_eq!(body["code"], 404);
        assert_eq!(body["message"], "pods \"x\" not found");
        assert_eq!(body["details"]["kind"], "pods");
    }

    #[test]
    fn writes_are_method_not_allowed() {
        let body = ApiError::method_not_allowed("DELETE").to_json();
        assert_eq!(body["reason"], "MethodNotAllowed");
        assert_eq!(body["code"], 405);
        assert_eq!(body["apiVersion"], "v1");
    }
}
