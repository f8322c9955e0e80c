//! Load benchmark: loading and validating a large manifest directory against
//! the floor of merely parsing the same files with serde_yaml.
//!
//! `cargo bench --bench load`. No Docker needed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use berth::manifest::{load, LoadOptions};

const ROUNDS: usize = 5;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    println!("load benchmark: median of {ROUNDS} rounds\n");
    println!(
        "{:<30} {:>12} {:>17} {:>8} {:>12} {:>13}",
        "workload", "berth load", "serde_yaml parse", "ratio", "expand", "desired pods"
    );
    for (files, per_file) in [(100usize, 10usize), (1000, 10)] {
        let dir = write_tree(work.path(), files, per_file);
        let mut loads = Vec::new();
        let mut expands = Vec::new();
        let mut parses = Vec::new();
        let mut pods = 0;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let loaded = load(std::slice::from_ref(&dir), LoadOptions::default());
            loads.push(started.elapsed());
            assert!(!loaded.has_errors(), "bench manifests must be valid");
            let started = Instant::now();
            pods = berth::desired::expand_offline(&loaded.manifests).len();
            expands.push(started.elapsed());
            let started = Instant::now();
            parse_only(&dir);
            parses.push(started.elapsed());
        }
        let (l, p, e) = (med(loads), med(parses), med(expands));
        println!(
            "{:<30} {:>12} {:>17} {:>7.2}× {:>12} {:>13}",
            format!("{} objects in {} files", files * per_file, files),
            ms(l),
            ms(p),
            l.as_secs_f64() / p.as_secs_f64(),
            ms(e),
            pods
        );
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn med(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Half pods, half replication controllers of 2 replicas, several per file.
fn write_tree(root: &Path, files: usize, per_file: usize) -> PathBuf {
    let dir = root.join(format!("tree{files}"));
    for f in 0..files {
        let sub = dir.join(format!("team{}", f % 10));
        std::fs::create_dir_all(&sub).unwrap();
        let mut text = String::new();
        for o in 0..per_file {
            let name = format!("o{f}-{o}");
            if o % 2 == 0 {
                text.push_str(&format!(
                    "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: a{f}, tier: web}}\nspec:\n  containers:\n  - name: app\n    image: localhost/img:1\n    command: [sleep, '3600']\n    ports: [{{containerPort: 8080, name: http}}]\n    resources: {{limits: {{cpu: 100m, memory: 64Mi}}}}\n    env: [{{name: MODE, value: fast}}]\n"
                ));
            } else {
                text.push_str(&format!(
                    "---\napiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: {name}\nspec:\n  replicas: 2\n  selector: {{rc: {name}}}\n  template:\n    metadata:\n      labels: {{rc: {name}}}\n    spec:\n      containers:\n      - name: app\n        image: localhost/img:1\n"
                ));
            }
        }
        std::fs::write(sub.join(format!("f{f}.yaml")), text).unwrap();
    }
    dir
}

fn parse_only(dir: &Path) {
    for team in std::fs::read_dir(dir).unwrap() {
        for file in std::fs::read_dir(team.unwrap().path()).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            for doc in serde_yaml::Deserializer::from_str(&text) {
                let value: serde_yaml::Value = serde::Deserialize::deserialize(doc).unwrap();
                std::hint::black_box(value);
            }
        }
    }
}
