//! The corpus's apps/v1 and config manifests, and its pods whose env reads
//! ConfigMaps, Secrets or the downward API: the exact warnings and errors
//! each gives (so a regression shows), and the ones that run offline, run
//! on the real engine with their image substituted by the test busybox.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use berth::manifest::{load, LoadOptions, Severity};
use common::*;

/// `BERTH_CORPUS` if set, else `../shared/corpus/k8s-manifests` beside the
/// checkout, else the workplace's shared copy.
fn corpus_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("BERTH_CORPUS").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/k8s-manifests")),
        Some(PathBuf::from("/work/shared/corpus/k8s-manifests")),
    ];
    candidates.into_iter().flatten().find(|dir| dir.is_dir())
}

fn manifest_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            manifest_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

const APPS_AND_CONFIG: &[&str] = &[
    "Deployment",
    "DaemonSet",
    "ReplicaSet",
    "ConfigMap",
    "Secret",
];

/// True when a document (or a List's item) is one of `APPS_AND_CONFIG`,
/// or a container's env reads a ConfigMap, a Secret or the downward API:
/// read independently of the loader.
fn in_scope(value: &serde_yaml::Value) -> bool {
    let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    if APPS_AND_CONFIG.contains(&kind.trim()) {
        return true;
    }
    if let Some(items) = value.get("items").and_then(|i| i.as_sequence()) {
        return items.iter().any(in_scope);
    }
    let text = serde_yaml::to_string(value).unwrap_or_default();
    text.contains("valueFrom:") || text.contains("envFrom:")
}

fn file_in_scope(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap();
    let found = serde_yaml::Deserializer::from_str(&text).any(|doc| {
        serde::Deserialize::deserialize(doc).is_ok_and(|v: serde_yaml::Value| in_scope(&v))
    });
    found
}

/// Every file in scope and what loading it says, paths relative to the
/// corpus. The corpus holds one Deployment and no DaemonSet, ReplicaSet,
/// ConfigMap or Secret; its env references are in four pods and RCs.
fn expected() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        // apps/v1 Deployment (`kind: Deployment ` with a trailing space):
        // loads clean.
        (
            "kubernetes-examples/web/guestbook-go/redis-master-controller.yaml",
            vec![],
        ),
        // A field of a later issue, legitimately reported; a privileged
        // init container and an added IPC_LOCK, refused by default.
        (
            "kubernetes-examples/_archived/elasticsearch/es-rc.yaml",
            vec![
                "warning: kubernetes-examples/_archived/elasticsearch/es-rc.yaml:14:7: spec.template.spec.serviceAccount: not supported by berth; ignored",
                "error: kubernetes-examples/_archived/elasticsearch/es-rc.yaml:21:23: spec.template.spec.initContainers[0].securityContext.privileged: privileged containers are refused by default (they can take over the host): pass --allow-privileged to allow them",
                "error: kubernetes-examples/_archived/elasticsearch/es-rc.yaml:27:17: spec.template.spec.containers[0].securityContext.capabilities.add[0]: capability \"IPC_LOCK\" is beyond Docker's default set and refused by default (it widens what the container may do to the host): pass --allow-privileged to allow it",
            ],
        ),
        ("kubernetes-examples/_archived/storage/rethinkdb/rc.yaml", vec![]),
        // The Secret it reads is not in the corpus: Kubernetes would stop
        // the container (CreateContainerConfigError); berth refuses to load.
        (
            "kubernetes-kubernetes/docs/user-guide/secrets/secret-env-pod.yaml",
            vec![
                "error: kubernetes-kubernetes/docs/user-guide/secrets/secret-env-pod.yaml:14:15: spec.containers[0].env[0].valueFrom.secretKeyRef: secret \"test-secret\" not found",
            ],
        ),
        (
            "kubernetes-website/content/en/examples/pods/inject/dapi-envars-pod.yaml",
            vec![],
        ),
    ])
}

#[test]
fn the_corpus_apps_config_and_env_reference_files_give_exactly_these_diagnostics() {
    let Some(dir) = corpus_dir() else {
        eprintln!("corpus not found (set BERTH_CORPUS); skipped");
        return;
    };
    let mut files = Vec::new();
    manifest_files(&dir, &mut files);
    let prefix = format!("{}/", dir.display());
    let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files.iter().filter(|f| file_in_scope(f)) {
        let result = load(std::slice::from_ref(file), LoadOptions::default());
        let short = file.strip_prefix(&dir).unwrap().display().to_string();
        let lines = result
            .diagnostics
            .iter()
            .map(|d| {
                let severity = match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                format!("{severity}: {}", d.to_string().replace(&prefix, ""))
            })
            .collect();
        got.insert(short, lines);
    }
    let want: BTreeMap<String, Vec<String>> = expected()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect();
    assert_eq!(got, want);
}

/// The corpus file's text, or `None` (skipped) without a corpus.
fn corpus_text(relative: &str) -> Option<String> {
    let Some(dir) = corpus_dir() else {
        eprintln!("corpus not found (set BERTH_CORPUS); skipped");
        return None;
    };
    Some(std::fs::read_to_string(dir.join(relative)).unwrap())
}

/// Stands in for `redis:7.2`: the busybox sleeping, as a server would.
const REDIS_STANDIN: &str = "localhost/berth-test-redis-standin:1";

#[test]
fn the_corpus_deployment_runs_with_its_image_substituted() {
    let Some(text) =
        corpus_text("kubernetes-examples/web/guestbook-go/redis-master-controller.yaml")
    else {
        return;
    };
    if try_docker(&["image", "inspect", REDIS_STANDIN]).is_err() {
        import_busybox_as(REDIS_STANDIN, &[r#"CMD ["sleep", "3600"]"#]);
    }
    assert!(text.contains("image: redis:7.2"), "{text}");
    let project = Project::new("corpusdeploy");
    let dir = ManifestDir::new();
    dir.write(
        "redis.yaml",
        &text.replace("image: redis:7.2", &format!("image: {REDIS_STANDIN}")),
    );
    let out = apply_ok(&project, &dir);
    assert_says(&out.stdout, "deployment default/redis-master created");
    let pods = live_pods(&project);
    assert_eq!(pods.len(), 1, "{pods:?}");
    let pod = &pods[0];
    let name = pod["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("redis-master-"), "{name}");
    assert_eq!(pod["metadata"]["labels"]["role"], "master");
    wait_for_pod(&project, name, PATIENCE, "Running", |p| {
        p["status"]["phase"] == "Running"
    });
    assert_exit(&diff(&project, &dir), 0);
}

#[test]
fn the_corpus_downward_api_pods_env_is_what_get_reports() {
    let Some(text) =
        corpus_text("kubernetes-website/content/en/examples/pods/inject/dapi-envars-pod.yaml")
    else {
        return;
    };
    let image = "image: registry.k8s.io/busybox:1.27.2";
    assert!(text.contains(image), "{text}");
    let project = Project::new("corpusdapi");
    let dir = ManifestDir::new();
    let manifest = text.replace(
        image,
        &format!("image: {TEST_IMAGE}\n      imagePullPolicy: Never"),
    );
    dir.write("pod.yaml", &manifest);
    apply_ok(&project, &dir);
    let name = "dapi-envars-fieldref";
    let pod = wait_for_pod(&project, name, PATIENCE, "Running", |p| {
        p["status"]["phase"] == "Running"
    });
    // The pod prints its env with `printenv`, an applet the test busybox
    // lacks: the same variables are read with `docker exec … env`.
    let container = container_name(&project, name, "test-container");
    let env: BTreeMap<String, String> = docker(&["exec", &container, "env"])
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let got = |k: &str| env.get(k).map(String::as_str);
    assert_eq!(got("MY_NODE_NAME"), pod["spec"]["nodeName"].as_str());
    assert_eq!(got("MY_POD_NAME"), Some(name));
    assert_eq!(
        got("MY_POD_NAMESPACE"),
        pod["metadata"]["namespace"].as_str()
    );
    assert_eq!(got("MY_POD_IP"), pod["status"]["podIP"].as_str());
    assert_eq!(got("MY_POD_SERVICE_ACCOUNT"), Some("default"));
}
