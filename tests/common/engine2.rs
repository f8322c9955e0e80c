//! A second Docker engine for tests: a `dockerd` of its own in its own
//! network namespace, with its own socket, data root, exec root and
//! containerd namespaces, the test image imported; stopped, started again
//! and removed (namespace, mounts, files) by the test that owns it.
//!
//! The recipe is `shared/CRATES.md`'s: started in the host's network
//! namespace a second `dockerd` deletes the host's `docker0`, so it always
//! runs under `nsenter --net=/run/netns/…` (not `ip netns exec`, which hides
//! the cgroup mounts), with `--config-file` naming an empty `{}` because the
//! host's `/etc/docker/daemon.json` sets `data-root`.
//!
//! Checked here (Docker 20.10.24, cgroup v1): no other flag is needed. In
//! the fresh namespace `dockerd` creates its own `docker0` and its own
//! iptables chains (both belong to that namespace, the host's are not
//! touched), uses `overlay2` on the temporary directory's file system, and
//! starts containers on a user-defined network (what berth creates) in
//! well under a second; so neither `--bridge=none` nor `--iptables=false`
//! is passed.
//!
//! An engine may also listen on TCP (`Listen::Tcp`, plain, port 2375) or
//! TLS (`Listen::Tls`, `--tlsverify`, port 2376) inside its namespace. The
//! host reaches it through a veth pair on a /30 of 10.213.0.0/16 (host side
//! `.1`, namespace side `.2` of the block): a range neither Docker's
//! 172.17/16 nor its default address pools use, routed by the kernel's
//! connected route, so no NAT and no default route are needed. The host
//! side's interface name (`bth<slot>`) is the lock on the block: `ip link
//! add` fails for a name that exists, so two test processes never take the
//! same one. The certificates are made with the `openssl` CLI in the
//! engine's directory: a CA, a server certificate for the namespace
//! address, a client certificate, and a second, unrelated CA for the
//! "wrong certificate" case.
#![allow(dead_code)]

use std::fs::OpenOptions;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use berth::engine::rootfs;

use super::{run_with_timeout, TEST_IMAGE};

/// How long the daemon may take to answer `docker info` after its start.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a SIGTERM may take before the daemon is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one `docker -H …` call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The programs the engine needs and the Debian package of each.
const TOOLS: [(&str, &str); 4] = [
    ("dockerd", "docker.io"),
    ("docker", "docker.io (or docker-cli)"),
    ("ip", "iproute2"),
    ("nsenter", "util-linux"),
];

/// The /30 blocks of 10.213.0.0/16 a veth may take.
const SLOTS: u32 = 1 << 14;
/// The port a plain TCP engine listens on (Docker's convention).
pub const TCP_PORT: u16 = 2375;
/// The port a TLS engine listens on (Docker's convention).
pub const TLS_PORT: u16 = 2376;

/// Where an extra engine listens besides its unix socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// Only the unix socket.
    Socket,
    /// Also plain HTTP on `tcp://<namespace address>:2375`.
    Tcp,
    /// Also HTTPS with client certificates on `tcp://<namespace address>:2376`.
    Tls,
}

/// The veth pair between the host and the engine's namespace.
struct Veth {
    /// `bth<slot>`, on the host side.
    host_side: String,
    /// The namespace side's address (the block's `.2`).
    address: Ipv4Addr,
}

/// A running (or stopped) second engine; everything it made goes when dropped.
pub struct ExtraEngine {
    /// `berth-<name>-<pid>-<n>`: the network namespace and containerd namespace.
    id: String,
    /// `/tmp/be2-XXXXXX`: config, socket, data root, exec root, pidfile, log.
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    listen: Listen,
    /// Present when the engine listens on TCP.
    veth: Option<Veth>,
}

impl ExtraEngine {
    /// A fresh engine called `name` (unique per process and call), answering
    /// on its socket, with the test image imported. Panics with the daemon's
    /// log when it does not come up within a minute.
    pub fn start(name: &str) -> ExtraEngine {
        Self::start_with(name, Listen::Socket)
    }

    /// Same, also listening as `listen` says: with `Tcp` or `Tls` the
    /// namespace gets a veth to the host and `tcp_host()` reaches the engine
    /// from the host; with `Tls` the certificates are made first.
    pub fn start_with(name: &str, listen: Listen) -> ExtraEngine {
        require_tools();
        if listen == Listen::Tls {
            require_tool("openssl", "openssl");
        }
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let count = COUNTER.fetch_add(1, Ordering::SeqCst);
        let clean: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(20)
            .collect();
        let id = format!("berth-{clean}-{}-{count}", std::process::id());
        // Under /tmp, not $TMPDIR: a unix socket path must stay under ~100 bytes.
        let dir = tempfile::Builder::new()
            .prefix("be2-")
            .tempdir_in("/tmp")
            .expect("a temporary directory for the engine");
        std::fs::write(dir.path().join("daemon.json"), "{}\n").expect("write daemon.json");
        let mut engine = ExtraEngine {
            id,
            dir,
            daemon: None,
            listen,
            veth: None,
        };
        // From here on a panic drops `engine`, which removes what was made.
        run_checked("ip", &["netns", "add", &engine.id]);
        run_checked(
            "ip",
            &["netns", "exec", &engine.id, "ip", "link", "set", "lo", "up"],
        );
        if listen != Listen::Socket {
            engine.add_veth(count);
        }
        if listen == Listen::Tls {
            engine.make_certificates();
        }
        engine.start_again();
        engine.import_test_image();
        engine
    }

    /// `unix:///tmp/be2-…/docker.sock`, for `DOCKER_HOST` or `docker -H`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.path("docker.sock").display())
    }

    /// `tcp://<namespace address>:2375` (plain) or `:2376` (TLS): the engine
    /// as the host reaches it. Panics for an engine that listens only on
    /// its socket.
    pub fn tcp_host(&self) -> String {
        let veth = self.veth.as_ref().unwrap_or_else(|| {
            panic!(
                "engine {} listens only on its socket: start it with Listen::Tcp or Listen::Tls",
                self.id
            )
        });
        let port = if self.listen == Listen::Tls {
            TLS_PORT
        } else {
            TCP_PORT
        };
        format!("tcp://{}:{port}", veth.address)
    }

    /// The client's certificate directory, as `DOCKER_CERT_PATH` wants it:
    /// `ca.pem` (the CA that signed the engine's certificate), `cert.pem`
    /// and `key.pem` (a client certificate the engine accepts).
    pub fn cert_dir(&self) -> PathBuf {
        self.require_tls();
        self.path("client")
    }

    /// A certificate directory whose `ca.pem` is another, unrelated CA: the
    /// engine's certificate does not verify against it. Its client
    /// certificate is the good one, so that only the server's check fails.
    pub fn wrong_cert_dir(&self) -> PathBuf {
        self.require_tls();
        self.path("wrong-client")
    }

    /// A certificate directory with the right `ca.pem` but a client
    /// certificate signed by the unrelated CA: this side verifies the
    /// engine, and the engine refuses us.
    pub fn untrusted_client_dir(&self) -> PathBuf {
        self.require_tls();
        self.path("untrusted-client")
    }

    /// The network namespace the engine and its containers live in.
    pub fn netns(&self) -> &str {
        &self.id
    }

    /// Cuts the engine off the host's network (the host side of its veth
    /// goes down): its TCP endpoint stops answering while the daemon and
    /// its containers keep running, as in a network partition. The unix
    /// socket (`host()`) still works, for the test's own look.
    pub fn cut_off(&self) {
        self.set_link("down");
    }

    /// Undoes `cut_off`.
    pub fn reconnect(&self) {
        self.set_link("up");
    }

    fn set_link(&self, state: &str) {
        let veth = self
            .veth
            .as_ref()
            .expect("only an engine started with Listen::Tcp or Listen::Tls has a veth");
        let status = Command::new("ip")
            .args(["link", "set", &veth.host_side, state])
            .status()
            .expect("ip link set");
        assert!(
            status.success(),
            "ip link set {} {state} failed",
            veth.host_side
        );
    }

    /// Whether the daemon process runs (it may not answer yet).
    pub fn is_running(&mut self) -> bool {
        self.daemon
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Everything the daemon logged, across its starts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("dockerd.log")).unwrap_or_default()
    }

    /// Starts the daemon on the same data root and waits until it answers:
    /// its containers come back as their restart policies say.
    pub fn start_again(&mut self) {
        assert!(!self.is_running(), "engine {} is already running", self.id);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("dockerd.log"))
            .expect("the daemon's log file");
        let err = log.try_clone().expect("the daemon's log file");
        let netns = format!("--net=/run/netns/{}", self.id);
        let mut command = Command::new("nsenter");
        command
            .arg(&netns)
            .arg("dockerd")
            .arg("--config-file")
            .arg(self.path("daemon.json"))
            .args(["-H", &self.host()])
            .args(self.listen_args())
            .arg("--data-root")
            .arg(self.path("data"))
            .arg("--exec-root")
            .arg(self.path("exec"))
            .arg("--pidfile")
            .arg(self.path("dockerd.pid"))
            .args(["--containerd-namespace", &self.id])
            .args(["--containerd-plugins-namespace", &format!("{}-p", self.id)])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
        self.daemon = Some(child);
        self.wait_answering();
    }

    /// SIGTERM to the daemon and a wait for its exit (it stops its
    /// containers first); SIGKILL after 30 s. Returns how long it took.
    pub fn stop(&mut self) -> Duration {
        let began = Instant::now();
        let Some(mut child) = self.daemon.take() else {
            return Duration::ZERO;
        };
        // `nsenter` without a PID namespace to enter execs the daemon in
        // place: the child's pid is the daemon's.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = began + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    eprintln!(
                        "engine {}: no exit {STOP_TIMEOUT:?} after SIGTERM; killing it",
                        self.id
                    );
                    let _ = child.kill();
                    let _ = child.wait();
                    self.kill_leftovers();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        began.elapsed()
    }

    /// `docker -H <this engine> ARGS`; its trimmed stdout, or its stderr.
    pub fn try_docker(&self, args: &[&str]) -> Result<String, String> {
        self.try_docker_with_input(args, &[])
    }

    /// Same, with `stdin` fed in.
    pub fn try_docker_with_input(&self, args: &[&str], stdin: &[u8]) -> Result<String, String> {
        let mut command = Command::new("docker");
        command.args(["-H", &self.host()]).args(args);
        let output = run_with_timeout(command, stdin, CALL_TIMEOUT);
        if output.success() {
            Ok(output.stdout.trim().to_string())
        } else if output.timed_out {
            Err(format!(
                "docker -H {} {} timed out after {CALL_TIMEOUT:?}",
                self.host(),
                args.join(" ")
            ))
        } else {
            Err(format!(
                "docker -H {} {} failed: {}",
                self.host(),
                args.join(" "),
                output.stderr.trim()
            ))
        }
    }

    /// `docker -H <this engine> ARGS`; panics on failure.
    pub fn docker(&self, args: &[&str]) -> String {
        self.try_docker(args)
            .unwrap_or_else(|message| panic!("{message}"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn require_tls(&self) {
        assert!(
            self.listen == Listen::Tls,
            "engine {} has no certificates: start it with Listen::Tls",
            self.id
        );
    }

    /// dockerd's flags for the TCP listener, if any.
    fn listen_args(&self) -> Vec<String> {
        if self.veth.is_none() {
            return Vec::new();
        }
        let mut args = vec!["-H".to_string(), self.tcp_host()];
        if self.listen == Listen::Tcp {
            // Said explicitly, plain TCP skips dockerd's deliberate 15 s
            // start-up delay for listeners without TLS.
            args.push("--tls=false".to_string());
        }
        if self.listen == Listen::Tls {
            let tls = self.path("tls");
            let file = |name: &str| tls.join(name).to_string_lossy().into_owned();
            args.extend([
                "--tlsverify".to_string(),
                "--tlscacert".to_string(),
                file("ca.pem"),
                "--tlscert".to_string(),
                file("server-cert.pem"),
                "--tlskey".to_string(),
                file("server-key.pem"),
            ]);
        }
        args
    }

    /// Takes a free /30 of 10.213.0.0/16 by creating its veth (the name is
    /// the lock, see the module's doc), starting from a slot derived from
    /// the pid and `count` so that concurrent processes rarely probe the
    /// same ones; addresses both ends and brings them up.
    fn add_veth(&mut self, count: usize) {
        let start = (std::process::id().wrapping_mul(97) as usize + count * 7) % SLOTS as usize;
        let mut last_error = String::new();
        for probe in 0..SLOTS as usize {
            let slot = ((start + probe) % SLOTS as usize) as u32;
            let base = u32::from(Ipv4Addr::new(10, 213, 0, 0)) + slot * 4;
            let (host_address, address) = (Ipv4Addr::from(base + 1), Ipv4Addr::from(base + 2));
            if address_in_use(host_address) {
                continue;
            }
            let host_side = format!("bth{slot}");
            let mut command = Command::new("ip");
            command.args([
                "link", "add", &host_side, "type", "veth", "peer", "name", "eth-b2", "netns",
                &self.id,
            ]);
            let output = run_with_timeout(command, &[], CALL_TIMEOUT);
            if !output.success() {
                last_error = output.stderr.trim().to_string();
                // Another engine holds the name (this process's or
                // another's): try the next block; anything else is fatal.
                assert!(
                    last_error.contains("File exists"),
                    "ip link add {host_side} (veth into {}) failed: {last_error}",
                    self.id
                );
                continue;
            }
            self.veth = Some(Veth {
                host_side: host_side.clone(),
                address,
            });
            run_checked(
                "ip",
                &[
                    "addr",
                    "add",
                    &format!("{host_address}/30"),
                    "dev",
                    &host_side,
                ],
            );
            run_checked("ip", &["link", "set", &host_side, "up"]);
            let netns_ip = |args: &[&str]| {
                let mut all = vec!["netns", "exec", &self.id, "ip"];
                all.extend_from_slice(args);
                run_checked("ip", &all);
            };
            netns_ip(&["addr", "add", &format!("{address}/30"), "dev", "eth-b2"]);
            netns_ip(&["link", "set", "eth-b2", "up"]);
            return;
        }
        panic!(
            "no free /30 in 10.213.0.0/16 for engine {}: {last_error}",
            self.id
        );
    }

    /// A CA, the engine's certificate for its namespace address (signed by
    /// it), a client certificate (signed by it) in `client/`, a second CA
    /// in `wrong-client/` beside a copy of the good client certificate, and
    /// in `untrusted-client/` the good CA beside a client certificate the
    /// second CA signed.
    /// P-256 keys: quick to make, and both Go and rustls take them.
    fn make_certificates(&self) {
        let address = self
            .veth
            .as_ref()
            .map(|veth| veth.address)
            .expect("the veth is made before the certificates");
        let tls = self.path("tls");
        let client = self.path("client");
        let wrong = self.path("wrong-client");
        let untrusted = self.path("untrusted-client");
        for dir in [&tls, &client, &wrong, &untrusted] {
            std::fs::create_dir_all(dir).expect("a certificate directory");
        }
        let at = |name: &str| tls.join(name).to_string_lossy().into_owned();
        make_ca(&at("ca.pem"), &at("ca-key.pem"), "berth test CA");
        make_ca(
            &at("other-ca.pem"),
            &at("other-ca-key.pem"),
            "berth unrelated CA",
        );
        std::fs::write(
            tls.join("server.ext"),
            format!("subjectAltName=IP:{address}\nextendedKeyUsage=serverAuth\n"),
        )
        .expect("write server.ext");
        std::fs::write(tls.join("client.ext"), "extendedKeyUsage=clientAuth\n")
            .expect("write client.ext");
        let ca = (at("ca.pem"), at("ca-key.pem"));
        make_signed(&at("server"), &ca, &at("server.ext"), "berth engine");
        make_signed(&at("client"), &ca, &at("client.ext"), "berth client");
        let other = (at("other-ca.pem"), at("other-ca-key.pem"));
        make_signed(&at("stranger"), &other, &at("client.ext"), "berth stranger");
        let copy = |from: &str, to: &Path| {
            std::fs::copy(tls.join(from), to)
                .unwrap_or_else(|e| panic!("copy {from} to {}: {e}", to.display()));
        };
        copy("ca.pem", &client.join("ca.pem"));
        copy("client-cert.pem", &client.join("cert.pem"));
        copy("client-key.pem", &client.join("key.pem"));
        copy("other-ca.pem", &wrong.join("ca.pem"));
        copy("client-cert.pem", &wrong.join("cert.pem"));
        copy("client-key.pem", &wrong.join("key.pem"));
        copy("ca.pem", &untrusted.join("ca.pem"));
        copy("stranger-cert.pem", &untrusted.join("cert.pem"));
        copy("stranger-key.pem", &untrusted.join("key.pem"));
    }

    /// Polls `docker info` until it answers; panics with the log otherwise.
    fn wait_answering(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.daemon.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.daemon = None;
                    panic!(
                        "dockerd of engine {} exited ({status}) while starting:\n{}",
                        self.id,
                        self.log()
                    );
                }
            }
            let mut command = Command::new("docker");
            command.args(["-H", &self.host(), "info", "--format", "{{.ID}}"]);
            if run_with_timeout(command, &[], Duration::from_secs(5)).success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "dockerd of engine {} did not answer within {READY_TIMEOUT:?}:\n{}",
                self.id,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Imports the busybox root file system as `TEST_IMAGE`, as the host's
    /// engine has it (no registry, and no dependence on the host's copy).
    fn import_test_image(&self) {
        let busybox = rootfs::find_busybox().unwrap_or_else(|| {
            panic!("the extra engine needs a static busybox: apt-get install -y busybox-static")
        });
        let tar = rootfs::busybox_rootfs_tar(&busybox)
            .unwrap_or_else(|e| panic!("cannot build the busybox root file system: {e}"));
        self.try_docker_with_input(
            &["import", "--change", r#"CMD ["sh"]"#, "-", TEST_IMAGE],
            &tar,
        )
        .unwrap_or_else(|message| panic!("cannot import the test image: {message}"));
    }

    /// After a SIGKILL: ends, by pid, what the daemon left behind — its
    /// containerd and shims (their command lines name this engine's
    /// directory) and its containers' processes (their cgroups name one of
    /// this engine's container ids).
    fn kill_leftovers(&self) {
        let dir = self.dir.path().to_string_lossy().into_owned();
        let ids: Vec<String> = std::fs::read_dir(self.path("data").join("containers"))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in procs.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.parse::<u32>().is_err() {
                continue;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            let cgroup = std::fs::read_to_string(entry.path().join("cgroup")).unwrap_or_default();
            if cmdline.contains(&dir) || ids.iter().any(|id| cgroup.contains(id.as_str())) {
                let _ = Command::new("kill")
                    .args(["-KILL", &name])
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }

    /// Lazily unmounts everything mounted under the directory, deepest first.
    fn unmount_all(&self) {
        let dir = self.dir.path().to_string_lossy().into_owned();
        let mut points: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split(' ').nth(4))
            .map(unescape_mount_point)
            .filter(|point| Path::new(point).starts_with(&dir))
            .collect();
        points.sort_by_key(|point| std::cmp::Reverse(point.len()));
        points.dedup();
        for point in points {
            let _ = Command::new("umount")
                .args(["-l", &point])
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for ExtraEngine {
    /// Never panics: stops the daemon, ends its leftovers, unmounts, removes
    /// the namespace; the temporary directory goes after this body.
    fn drop(&mut self) {
        self.stop();
        self.kill_leftovers();
        self.unmount_all();
        if let Some(veth) = &self.veth {
            // Removing the namespace would take the pair with it; this says
            // so explicitly, and frees the slot even if that removal fails.
            let _ = Command::new("ip")
                .args(["link", "del", &veth.host_side])
                .stderr(Stdio::null())
                .status();
        }
        let removed = Command::new("ip")
            .args(["netns", "del", &self.id])
            .stderr(Stdio::null())
            .status();
        if !removed.is_ok_and(|s| s.success()) && Path::new("/run/netns").join(&self.id).exists() {
            eprintln!("engine {}: could not remove its network namespace", self.id);
        }
    }
}

/// `/proc/self/mountinfo` writes space, tab, newline and `\` as octal escapes.
fn unescape_mount_point(raw: &str) -> String {
    raw.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

/// Panics, naming the package to install, unless every tool is on `PATH`.
fn require_tools() {
    for (tool, package) in TOOLS {
        require_tool(tool, package);
    }
}

/// Panics, naming the package to install, unless `tool` is on `PATH`.
fn require_tool(tool: &str, package: &str) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).any(|dir| dir.join(tool).is_file());
    assert!(
        found,
        "the extra Docker engine needs `{tool}`: apt-get install -y {package}"
    );
}

/// Whether the host already has `address` (a block someone else uses
/// without our naming, e.g. set up by hand).
fn address_in_use(address: Ipv4Addr) -> bool {
    let mut command = Command::new("ip");
    command.args(["-4", "-o", "addr", "show"]);
    let output = run_with_timeout(command, &[], CALL_TIMEOUT);
    let needle = format!(" {address}/");
    output.stdout.contains(&needle)
}

/// A self-signed CA certificate and its key (P-256, two days).
fn make_ca(cert: &str, key: &str, name: &str) {
    run_checked(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
        ],
    );
}

/// `<stem>-cert.pem` and `<stem>-key.pem`: a P-256 key and its certificate
/// signed by `ca` (certificate, key) with the extensions in `extensions`.
fn make_signed(stem: &str, ca: &(String, String), extensions: &str, name: &str) {
    let (cert, key, csr) = (
        format!("{stem}-cert.pem"),
        format!("{stem}-key.pem"),
        format!("{stem}.csr"),
    );
    run_checked(
        "openssl",
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={name}"),
        ],
    );
    run_checked(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca.0,
            "-CAkey",
            &ca.1,
            "-CAcreateserial",
            "-out",
            &cert,
            "-days",
            "2",
            "-extfile",
            extensions,
        ],
    );
}

/// Runs `program ARGS` (bounded), panicking with its stderr on failure.
fn run_checked(program: &str, args: &[&str]) {
    let mut command = Command::new(program);
    command.args(args);
    let output = run_with_timeout(command, &[], CALL_TIMEOUT);
    assert!(
        output.success(),
        "{program} {} failed: {}",
        args.join(" "),
        output.stderr.trim()
    );
}
