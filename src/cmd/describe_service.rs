//! `berth describe service NAME -f PATH`: the Service from the manifests,
//! its Endpoints over the pods that run now (ready addresses; the others
//! counted apart), in kubectl's layout.

use serde_json::Value;

use crate::cli::{DescribeArgs, GlobalArgs};
use crate::kube::{endpoints, objects};
use crate::report::{self, Field};

use super::describe_apps::identity;
use super::{load_reported, ExitStatus, Io};

pub fn run(
    global: &GlobalArgs,
    args: &DescribeArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    if args.files.is_empty() {
        let message =
            "services live only in the manifests; use `berth describe service NAME -f PATH`";
        report::error_message(io.err, message)?;
        return Ok(ExitStatus::Error);
    }
    let Some(loaded) = load_reported(&args.files, global.load_options(), io)? else {
        return Ok(ExitStatus::Error);
    };
    let Some(service) = loaded
        .manifests
        .services
        .iter()
        .find(|s| s.meta.namespace == args.namespace && s.meta.name == args.name)
    else {
        let message = format!("services {:?} not found", args.name);
        report::error_message(io.err, &message)?;
        return Ok(ExitStatus::Failure);
    };
    let json = objects::service_json(service);
    let pods = super::get_live::live_pod_objects(global, io)?;
    let served = endpoints::endpoints(std::slice::from_ref(&json), &pods);
    let fields = service_fields(&json, &served[0]);
    report::fields(io.out, &fields)?;
    Ok(ExitStatus::Success)
}

/// kubectl's lines for a Service and its Endpoints.
pub(crate) fn service_fields(service: &Value, endpoints: &Value) -> Vec<Field> {
    let mut fields = identity(service);
    fields.remove(2);
    let spec = &service["spec"];
    let selector: Vec<String> = spec["selector"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    let selector = if selector.is_empty() {
        "<none>".to_string()
    } else {
        selector.join(",")
    };
    fields.push(Field::new(0, "Selector", selector));
    // berth's services are names on the pod network, without a virtual IP:
    // what Kubernetes calls headless.
    fields.push(Field::new(0, "Type", "ClusterIP"));
    fields.push(Field::new(0, "IP", "None"));
    let not_ready: usize = endpoints["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s["notReadyAddresses"].as_array().map_or(0, Vec::len))
        .sum();
    for port in spec["ports"].as_array().into_iter().flatten() {
        let name = port["name"].as_str().unwrap_or("<unset>");
        let protocol = port["protocol"].as_str().unwrap_or("TCP");
        let number = port["port"].as_u64().unwrap_or_default();
        fields.push(Field::new(
            0,
            "Port",
            format!("{name}  {number}/{protocol}"),
        ));
        let target = match &port["targetPort"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => number.to_string(),
        };
        fields.push(Field::new(0, "TargetPort", format!("{target}/{protocol}")));
        let mut text = endpoints::endpoints_text(endpoints);
        if not_ready > 0 {
            text.push_str(&format!(" ({not_ready} not ready)"));
        }
        fields.push(Field::new(0, "Endpoints", text));
    }
    let affinity = spec["sessionAffinity"].as_str().unwrap_or("None");
    fields.push(Field::new(0, "Session Affinity", affinity));
    fields.push(Field::new(0, "Events", "<none>"));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_service_is_described_as_kubectl_does() {
        let service = json!({
            "metadata": {"name": "front", "namespace": "default"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http", "protocol": "TCP"}]},
        });
        let endpoints = json!({"subsets": [{
            "addresses": [{"ip": "10.0.0.2"}],
            "notReadyAddresses": [{"ip": "10.0.0.3"}],
            "ports": [{"port": 8080}],
        }]});
        let mut out = Vec::new();
        report::fields(&mut out, &service_fields(&service, &endpoints)).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in [
            "Name:",
            "front",
            "Selector:          app=web",
            "Port:              <unset>  80/TCP",
            "TargetPort:        http/TCP",
            "Endpoints:         10.0.0.2:8080 (1 not ready)",
            "Session Affinity:  None",
        ] {
            assert!(text.contains(line), "{line:?} in:\n{text}");
        }
    }
}
