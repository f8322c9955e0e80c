//! The command line, as clap types only: what each command accepts.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const DEFAULT_INFRA_IMAGE: &str = "localhost/berth-pause:1";

/// Keeps a Docker engine in the state a directory of Kubernetes-style
/// manifests describes.
#[derive(Debug, Parser)]
#[command(name = "berth", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Scope of everything berth lists, diffs, prunes and reports (default:
    /// the manifest directory's base name).
    #[arg(long, global = true, env = "BERTH_PROJECT", value_name = "NAME")]
    pub project: Option<String>,
    /// Treat fields Kubernetes knows but berth does not implement as errors.
    #[arg(long, global = true)]
    pub strict: bool,
    /// The largest manifest file berth reads, in bytes (suffixes Ki, Mi,
    /// Gi); larger files are refused unread.
    #[arg(long, global = true, value_name = "SIZE", default_value = "8Mi", value_parser = parse_size)]
    pub max_file_size: u64,
    /// The most objects the manifests may hold (documents and List items,
    /// over all files).
    #[arg(long, global = true, value_name = "N", default_value_t = crate::manifest::DEFAULT_MAX_OBJECTS)]
    pub max_objects: usize,
    /// Accept `hostPath` volumes under PREFIX even where they are
    /// sensitive (`/etc`, `/var/lib/docker`, the Docker socket…); repeatable.
    #[arg(long, global = true, value_name = "PREFIX")]
    pub allow_host_path: Vec<std::path::PathBuf>,
    /// Accept `privileged: true` and capabilities beyond Docker's default set.
    #[arg(long, global = true)]
    pub allow_privileged: bool,
    /// Accept `hostPID` and `hostIPC`.
    #[arg(long, global = true)]
    pub allow_host_namespaces: bool,
    /// The image of every pod's infra container.
    #[arg(long, global = true, value_name = "IMAGE", default_value = DEFAULT_INFRA_IMAGE)]
    pub infra_image: String,
    /// Docker engines that are nodes, each named after its host
    /// (`unix:///path`, `tcp://host:port`), beside the Node manifests.
    #[arg(
        long,
        global = true,
        value_name = "ENDPOINT,...",
        value_delimiter = ','
    )]
    pub machines: Vec<String>,
    /// Probe the nodes' engines (`--sync-nodes=false` takes nodes as declared).
    #[arg(long, global = true, value_name = "BOOL", default_value_t = true,
          num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub sync_nodes: bool,
    /// How long a node's engine may not answer before the node is lost: its
    /// pods are Failed and its controllers' pods recreated on other nodes.
    #[arg(long, global = true, value_name = "DURATION", default_value = "40s", value_parser = parse_duration)]
    pub node_grace_period: Duration,
    /// How often `watch` probes the nodes.
    #[arg(long, global = true, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub node_sync_period: Duration,
}

impl GlobalArgs {
    /// How manifests are loaded: `--strict`, the caps and the `--allow-*`
    /// flags.
    pub fn load_options(&self) -> crate::manifest::LoadOptions {
        crate::manifest::LoadOptions {
            strict: self.strict,
            max_file_size: self.max_file_size,
            max_objects: self.max_objects,
            allow: crate::manifest::Allow {
                host_paths: self.allow_host_path.clone(),
                privileged: self.allow_privileged,
                host_namespaces: self.allow_host_namespaces,
            },
        }
    }

    /// The node controller's options.
    pub fn node_options(&self) -> crate::nodes::NodeOptions {
        crate::nodes::NodeOptions {
            machines: self.machines.clone(),
            sync: self.sync_nodes,
            grace: self.node_grace_period,
            sync_period: self.node_sync_period,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and check manifests without touching Docker (exit 0 valid, 2 invalid).
    Validate(ValidateArgs),
    /// List objects, live from the engine or (with -f) from the manifests.
    Get(GetArgs),
    /// Show what apply would change (exit 0 no change, 1 changes, 2 error).
    Diff(DiffArgs),
    /// Converge the engine to the manifests once.
    Apply(ApplyArgs),
    /// Show a pod (spec, status, containers, events) or a node (conditions,
    /// capacity, system, its pods and what they request).
    Describe(DescribeArgs),
    /// Remove objects berth manages.
    Delete(DeleteArgs),
    /// List recent events of the project's pods.
    Events(EventsArgs),
    /// Keep the engine converged to the manifests as files and containers
    /// change, with a live page and a read-only Kubernetes API.
    Watch(WatchArgs),
    /// Show a Deployment's rollout status or history, or the template an
    /// undo would go back to (berth never rolls back the engine by itself).
    Rollout(RolloutArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Manifest files or directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// The kinds `get`, `describe` and `delete` know, with kubectl's spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Resource {
    #[value(name = "pods", aliases = ["po", "pod"])]
    Pods,
    #[value(name = "replicationcontrollers", aliases = ["rc", "replicationcontroller"])]
    ReplicationControllers,
    #[value(name = "deployments", aliases = ["deploy", "deployment"])]
    Deployments,
    #[value(name = "replicasets", aliases = ["rs", "replicaset"])]
    ReplicaSets,
    #[value(name = "daemonsets", aliases = ["ds", "daemonset"])]
    DaemonSets,
    #[value(name = "nodes", aliases = ["no", "node"])]
    Nodes,
    #[value(name = "services", aliases = ["svc", "service"])]
    Services,
    #[value(name = "events", aliases = ["ev", "event"])]
    Events,
    #[value(name = "configmaps", aliases = ["cm", "configmap"])]
    ConfigMaps,
    #[value(name = "secrets", aliases = ["secret"])]
    Secrets,
    #[value(name = "endpoints", aliases = ["ep", "endpoint"])]
    Endpoints,
}

impl Resource {
    /// The plural kubectl uses in messages (`pods "x" not found`).
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Pods => "pods",
            Resource::ReplicationControllers => "replicationcontrollers",
            Resource::Deployments => "deployments",
            Resource::ReplicaSets => "replicasets",
            Resource::DaemonSets => "daemonsets",
            Resource::Nodes => "nodes",
            Resource::Services => "services",
            Resource::Events => "events",
            Resource::ConfigMaps => "configmaps",
            Resource::Secrets => "secrets",
            Resource::Endpoints => "endpoints",
        }
    }

    /// The `-o name` prefix (`pod/web`).
    pub fn singular(self) -> &'static str {
        match self {
            Resource::Pods => "pod",
            Resource::ReplicationControllers => "replicationcontroller",
            Resource::Deployments => "deployment",
            Resource::ReplicaSets => "replicaset",
            Resource::DaemonSets => "daemonset",
            Resource::Nodes => "node",
            Resource::Services => "service",
            Resource::Events => "event",
            Resource::ConfigMaps => "configmap",
            Resource::Secrets => "secret",
            Resource::Endpoints => "endpoints",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Table,
    Wide,
    Json,
    Yaml,
    Name,
}

#[derive(Debug, Clone, Args)]
pub struct Scope {
    /// Only objects of this namespace.
    #[arg(
        short = 'n',
        long,
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Objects of every namespace.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

impl Scope {
    /// The namespace to show, `None` for all of them.
    pub fn namespace(&self) -> Option<&str> {
        if self.all_namespaces {
            None
        } else {
            Some(
                self.namespace
                    .as_deref()
                    .unwrap_or(crate::manifest::DEFAULT_NAMESPACE),
            )
        }
    }
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// pods (po), replicationcontrollers (rc), deployments (deploy), replicasets (rs),
    /// daemonsets (ds), nodes (no), services (svc), events (ev), configmaps (cm), secrets.
    pub resource: Resource,
    /// Only the object of this name.
    pub name: Option<String>,
    /// Answer from these manifests instead of the engine (no Docker):
    /// controllers expanded to their pods, nothing observed (READY 0/N,
    /// STATUS, RESTARTS and AGE `-`).
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// Label selector (`app=web,tier!=db`, `env in (a,b)`, `!debug`).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    #[command(flatten)]
    pub scope: Scope,
    /// Output format: an aligned table, with more columns (wide), Kubernetes
    /// `List` JSON or YAML, or `kind/name` lines.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Add a LABELS column to the table, as kubectl's `--show-labels`.
    #[arg(long)]
    pub show_labels: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Compare with these manifests instead of the engine (no Docker).
    #[arg(long, value_name = "OLD_PATH")]
    pub base: Option<PathBuf>,
    /// Manifest files or directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Manifest files or directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub converge: ConvergeArgs,
    /// How long a rollout step may wait for a pod to run (e.g. 300s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "300s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// How `apply` and `watch` converge.
#[derive(Debug, Clone, Args)]
pub struct ConvergeArgs {
    /// Keep pods that are no longer declared.
    #[arg(long)]
    pub no_prune: bool,
    /// Allow an empty manifest set to remove every pod of the project.
    #[arg(long)]
    pub allow_empty: bool,
    /// How many pods to converge at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = parse_parallel)]
    pub parallel: usize,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Manifest files or directories (a git checkout, typically).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where the page, the API, /healthz and /metrics listen: IP:PORT,
    /// localhost:PORT or :PORT (both loopback); a wider address only when
    /// given; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7878", value_parser = parse_listen)]
    pub listen: std::net::SocketAddr,
    /// How often to look at everything even without a trigger.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub resync: Duration,
    /// How quiet the files must be before they are read (after a save, a
    /// git checkout).
    #[arg(long, value_name = "DURATION", default_value = "50ms", value_parser = parse_duration)]
    pub debounce: Duration,
    /// Log lines for people (text) or machines (json), on stderr.
    #[arg(long, value_enum, default_value_t)]
    pub log_format: crate::watch::LogFormat,
    #[command(flatten)]
    pub converge: ConvergeArgs,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// `pod`, `node`, `deploy`, `rs`, `ds`, `cm` or `secret`.
    pub resource: Resource,
    pub name: String,
    #[arg(short = 'n', long, value_name = "NS", default_value = crate::manifest::DEFAULT_NAMESPACE)]
    pub namespace: String,
    /// The manifests: where ConfigMaps and Secrets are read from, and a
    /// Deployment's strategy (which the engine does not record).
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// pod, rc, deploy, rs or ds.
    pub resource: Resource,
    pub name: String,
    #[arg(short = 'n', long, value_name = "NS", default_value = crate::manifest::DEFAULT_NAMESPACE)]
    pub namespace: String,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub scope: Scope,
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct RolloutArgs {
    #[command(subcommand)]
    pub command: RolloutCommand,
}

#[derive(Debug, Subcommand)]
pub enum RolloutCommand {
    /// Whether the Deployment has rolled out (exit 0) or not yet (exit 1).
    Status(RolloutStatusArgs),
    /// The Deployment's revisions (its ReplicaSets, oldest first).
    History(RolloutHistoryArgs),
    /// Print the template of an earlier revision to commit to the manifests
    /// (exit 1: berth applies what the files say and changes nothing here).
    Undo(RolloutUndoArgs),
}

/// `deployment/NAME` (also `deploy/NAME`, `deployments/NAME`, or
/// `deployment NAME`) in a namespace.
#[derive(Debug, Clone, Args)]
pub struct RolloutTarget {
    /// deployment/NAME.
    #[arg(value_name = "TYPE/NAME")]
    pub resource: String,
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    #[arg(short = 'n', long, value_name = "NS", default_value = crate::manifest::DEFAULT_NAMESPACE)]
    pub namespace: String,
}

#[derive(Debug, Args)]
pub struct RolloutStatusArgs {
    #[command(flatten)]
    pub target: RolloutTarget,
    /// Look again every 500 ms until the rollout is done (or `--timeout`).
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// How long `--watch` waits; 0 waits for ever.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct RolloutHistoryArgs {
    #[command(flatten)]
    pub target: RolloutTarget,
    /// Show the pod template of this revision.
    #[arg(long, value_name = "N")]
    pub revision: Option<u32>,
}

#[derive(Debug, Args)]
pub struct RolloutUndoArgs {
    #[command(flatten)]
    pub target: RolloutTarget,
    /// The revision to go back to (default: the one before the current).
    #[arg(long, value_name = "N")]
    pub to_revision: Option<u32>,
}

/// `300s`, `5m`, `1h`, `1m30s`, `250ms`, or a plain number of seconds.
/// A size in bytes: `1048576`, `512Ki`, `8Mi`, `1Gi`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let bad = || format!("invalid size {text:?}: expected bytes, or e.g. 512Ki, 8Mi, 1Gi");
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let factor: u64 = match unit {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        _ => return Err(bad()),
    };
    let value: u64 = digits.parse().map_err(|_| bad())?;
    value.checked_mul(factor).ok_or_else(bad)
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let bad = || format!("invalid duration {text:?}: expected e.g. 300s, 5m, 1m30s");
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let value: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(value),
            "s" => Duration::from_secs(value),
            "m" => Duration::from_secs(value * 60),
            "h" => Duration::from_secs(value * 3600),
            _ => return Err(bad()),
        };
        total += unit;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// `--listen`: `IP:PORT`, `[IPv6]:PORT`, or `localhost:PORT` and `:PORT`,
/// which both mean loopback (never every interface by omission).
pub fn parse_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    let port = text
        .strip_prefix("localhost:")
        .or_else(|| text.strip_prefix(':'))
        .and_then(|p| p.parse::<u16>().ok());
    match port {
        Some(port) => Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port))),
        None => Err(format!(
            "invalid address {text:?}: expected e.g. 127.0.0.1:7878, localhost:7878, :7878 or 0.0.0.0:7878"
        )),
    }
}

/// `--parallel`: a whole number of at least 1.
pub fn parse_parallel(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "invalid count {text:?}: expected a whole number of at least 1"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_default_to_loopback_when_no_host_is_given() {
        let at = |text: &str| parse_listen(text).map(|a| a.to_string());
        assert_eq!(at("127.0.0.1:7878").as_deref(), Ok("127.0.0.1:7878"));
        assert_eq!(at(":7878").as_deref(), Ok("127.0.0.1:7878"));
        assert_eq!(at("localhost:9000").as_deref(), Ok("127.0.0.1:9000"));
        assert_eq!(at("0.0.0.0:7878").as_deref(), Ok("0.0.0.0:7878"));
        assert_eq!(at("[::1]:7878").as_deref(), Ok("[::1]:7878"));
        assert!(parse_listen("7878").is_err());
        assert!(parse_listen("example:7878").is_err());
    }

    #[test]
    fn watch_listens_on_loopback_unless_told_otherwise() {
        use clap::Parser;
        let cli = Cli::try_parse_from(["berth", "watch", "dir"]).unwrap();
        let Command::Watch(args) = cli.command else {
            panic!("not watch");
        };
        assert!(args.listen.ip().is_loopback(), "{}", args.listen);
    }

    #[test]
    fn allow_flags_reach_the_load_options() {
        use clap::Parser;
        let cli = Cli::try_parse_from([
            "berth",
            "validate",
            "dir",
            "--allow-host-path",
            "/etc",
            "--allow-host-path=/var/lib/docker",
            "--allow-privileged",
        ])
        .unwrap();
        let allow = cli.global.load_options().allow;
        assert_eq!(
            allow.host_paths,
            [
                std::path::PathBuf::from("/etc"),
                std::path::PathBuf::from("/var/lib/docker")
            ]
        );
        assert!(allow.privileged && !allow.host_namespaces);
    }

    #[test]
    fn parallel_is_at_least_one() {
        assert_eq!(parse_parallel("8"), Ok(8));
        assert!(parse_parallel("0").is_err());
        assert!(parse_parallel("-2").is_err());
    }

    #[test]
    fn durations_read_like_kubectl_timeouts() {
        assert_eq!(parse_duration("300s"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn kubectl_aliases_name_the_same_resource() {
        for (word, want) in [
            ("po", Resource::Pods),
            ("pod", Resource::Pods),
            ("rc", Resource::ReplicationControllers),
            ("replicationcontroller", Resource::ReplicationControllers),
            ("no", Resource::Nodes),
            ("svc", Resource::Services),
            ("services", Resource::Services),
        ] {
            assert_eq!(Resource::from_str(word, true), Ok(want), "{word}");
        }
    }

    #[test]
    fn command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
