//! Which objects a request asks for: its namespace, `labelSelector` (the
//! full grammar of `labels::Selector`) and `fieldSelector` (the fields the
//! API server supports for each resource, `=`, `==`, `!=`, comma = AND).

use serde_json::Value;

use crate::labels::Selector;

use super::resource::ApiResource;
use super::status::ApiError;
use super::store::Stored;

/// One `field=value` or `field!=value` requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    pub field: String,
    pub value: String,
    pub equal: bool,
}

/// Everything that decides whether an object is in a response.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub namespace: Option<String>,
    pub labels: Selector,
    pub fields: Vec<FieldRequirement>,
}

impl Filter {
    /// Parses the selectors of a request for `resource`; a bad one is a 400.
    pub fn parse(
        resource: ApiResource,
        namespace: Option<String>,
        label_selector: Option<&str>,
        field_selector: Option<&str>,
    ) -> Result<Filter, ApiError> {
        let labels = match label_selector {
            Some(text) => Selector::parse(text)
                .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?,
            None => Selector::default(),
        };
        let fields = match field_selector {
            Some(text) => parse_fields(resource, text)?,
            None => Vec::new(),
        };
        Ok(Filter {
            namespace,
            labels,
            fields,
        })
    }

    pub fn matches(&self, object: &Stored, json: &Value) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|ns| ns == object.namespace)
            && (self.labels.is_empty() || self.labels.matches(&object.labels))
            && self
                .fields
                .iter()
                .all(|f| (field_value(json, &f.field) == f.value) == f.equal)
    }
}

/// The fields `resource` can be selected by, as the API server allows them.
pub fn supported_fields(resource: ApiResource) -> &'static [&'static str] {
    match resource {
        ApiResource::Pods => &[
            "metadata.name",
            "metadata.namespace",
            "status.phase",
            "spec.nodeName",
            "spec.restartPolicy",
            "status.podIP",
        ],
        ApiResource::Events => &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "type",
            "source",
        ],
        ApiResource::Namespaces => &["metadata.name", "status.phase"],
        ApiResource::Secrets => &["metadata.name", "metadata.namespace", "type"],
        _ => &["metadata.name", "metadata.namespace"],
    }
}

/// Parses `a=b,c!=d`; an unsupported field is a 400 worded as the API
/// server words it.
pub fn parse_fields(resource: ApiResource, text: &str) -> Result<Vec<FieldRequirement>, ApiError> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, value, equal) = if let Some((f, v)) = part.split_once("!=") {
            (f, v, false)
        } else if let Some((f, v)) = part.split_once("==") {
            (f, v, true)
        } else if let Some((f, v)) = part.split_once('=') {
            (f, v, true)
        } else {
            return Err(ApiError::bad_request(format!(
                "invalid selector: '{text}'; can't understand '{part}'"
            )));
        };
        let field = field.trim();
        if !supported_fields(resource).contains(&field) {
            return Err(ApiError::bad_request(format!(
                "field label not supported: {field}"
            )));
        }
        out.push(FieldRequirement {
            field: field.to_string(),
            value: value.trim().to_string(),
            equal,
        });
    }
    Ok(out)
}

/// The text of `field` in `object` (empty when absent); `source` is the
/// event's `source.component`.
fn field_value(object: &Value, field: &str) -> String {
    let path = if field == "source" {
        "source.component"
    } else {
        field
    };
    let mut value = object;
    for part in path.split('.') {
        value = &value[part];
    }
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(value: Value) -> (Stored, Value) {
        (Stored::for_test(value.clone()), value)
    }

    fn pod() -> (Stored, Value) {
        stored(json!({
            "metadata": { "name": "web", "namespace": "default", "labels": { "app": "web", "tier": "front" } },
            "spec": { "nodeName": "local" },
            "status": { "phase": "Running" },
        }))
    }

    fn filter(labels: Option<&str>, fields: Option<&str>) -> Filter {
        Filter::parse(ApiResource::Pods, None, labels, fields).unwrap()
    }

    #[test]
    fn label_selectors_use_the_full_grammar() {
        let (object, json) = pod();
        assert!(filter(Some("app in (web,db),!canary"), None).matches(&object, &json));
        assert!(filter(Some("tier,app==web"), None).matches(&object, &json));
        assert!(!filter(Some("app notin (web)"), None).matches(&object, &json));
    }

    #[test]
    fn field_selectors_compare_with_equal_and_not_equal() {
        let (object, json) = pod();
        assert!(
            filter(None, Some("status.phase=Running,spec.nodeName==local")).matches(&object, &json)
        );
        assert!(!filter(None, Some("status.phase!=Running")).matches(&object, &json));
        assert!(filter(None, Some("metadata.name!=db")).matches(&object, &json));
    }

    #[test]
    fn the_namespace_scopes_the_filter() {
        let (object, json) = pod();
        let other = Filter::parse(ApiResource::Pods, Some("prod".into()), None, None).unwrap();
        assert!(!other.matches(&object, &json));
    }

    #[test]
    fn an_unsupported_field_is_refused_as_the_api_server_words_it() {
        let error =
            Filter::parse(ApiResource::Pods, None, None, Some("spec.hostname=x")).unwrap_err();
        assert_eq!(error.code, 400);
        assert_eq!(error.message, "field label not supported: spec.hostname");
        let events = Filter::parse(
            ApiResource::Events,
            None,
            None,
            Some("involvedObject.uid=1"),
        );
        assert!(events.is_ok());
    }

    #[test]
    fn an_invalid_label_selector_is_a_bad_request() {
        let error = Filter::parse(ApiResource::Pods, None, Some("app in (web"), None).unwrap_err();
        assert_eq!(error.reason, "BadRequest");
        assert_eq!(error.code, 400);
    }
}
