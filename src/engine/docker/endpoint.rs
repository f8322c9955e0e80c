//! Where an engine is and how to reach it: a unix socket, plain HTTP over
//! TCP, or TLS over TCP with a docker-style certificate directory.
//!
//! Kept apart from the connection itself so that the rules (which scheme
//! means what, which files a certificate directory must hold, what the
//! docker CLI's environment variables mean) are plain functions with tests.

use std::path::{Path, PathBuf};

/// The port the docker CLI assumes for `tcp://host` without TLS.
const PLAIN_PORT: u16 = 2375;
/// The port the docker CLI assumes for `tcp://host` with TLS.
const TLS_PORT: u16 = 2376;

/// The three files of a `DOCKER_CERT_PATH`-style directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFiles {
    /// The CA the server's certificate must chain to (`ca.pem`).
    pub ca: PathBuf,
    /// Our client certificate (`cert.pem`), which a `--tlsverify` engine asks for.
    pub cert: PathBuf,
    /// Its private key (`key.pem`).
    pub key: PathBuf,
}

impl CertFiles {
    /// `ca.pem`, `cert.pem` and `key.pem` in `dir`, each checked now to be
    /// a readable file holding what its name says (PEM certificates, a PEM
    /// private key): bollard only reads the key during the handshake and,
    /// failing, sends no client certificate, so a missing or mangled key
    /// would otherwise surface as the engine's terse "bad certificate".
    pub fn in_dir(dir: &Path) -> Result<CertFiles, String> {
        if !dir.is_dir() {
            return Err(format!(
                "the certificate directory {} does not exist (it must hold ca.pem, cert.pem and key.pem)",
                dir.display()
            ));
        }
        let files = CertFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        for (path, what, marker) in [
            (&files.ca, "the CA certificate", "CERTIFICATE-----"),
            (&files.cert, "the client certificate", "CERTIFICATE-----"),
            (&files.key, "the client key", "PRIVATE KEY-----"),
        ] {
            if path.is_dir() {
                return Err(format!("{what} {} is a directory", path.display()));
            }
            let text = std::fs::read(path)
                .map_err(|error| format!("{what} {} cannot be read: {error}", path.display()))?;
            let begin = format!("-----BEGIN {marker}");
            let begin_rsa_or_ec = |kind: &str| format!("-----BEGIN {kind} {marker}");
            let text = String::from_utf8_lossy(&text);
            let found = text.contains(&begin)
                || (marker.starts_with("PRIVATE")
                    && ["RSA", "EC"]
                        .iter()
                        .any(|k| text.contains(&begin_rsa_or_ec(k))));
            if !found {
                return Err(format!(
                    "{what} {} holds no PEM `{}` block",
                    path.display(),
                    begin.trim_start_matches('-').trim_end_matches('-')
                ));
            }
        }
        Ok(files)
    }
}

/// How to reach an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// The socket's path.
    Unix(PathBuf),
    /// `host:port`, plain HTTP.
    Http(String),
    /// `host:port`, HTTPS verified against `files.ca`, with our client certificate.
    Tls { address: String, files: CertFiles },
}

/// An endpoint understood: the URL for messages and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix:///path`, `tcp://host:port` or `https://host:port`.
    pub url: String,
    pub transport: Transport,
}

impl Endpoint {
    /// Reads `endpoint` as the docker CLI's `-H` does: `unix:///path` or a
    /// bare `/path` is a socket; `tcp://` and `http://` are plain HTTP unless
    /// `cert_dir` is given, then TLS; `https://` needs `cert_dir`. A missing
    /// port is the CLI's default (2375 plain, 2376 TLS). The error is a
    /// sentence for `EngineError::Connect`.
    pub fn parse(endpoint: &str, cert_dir: Option<&Path>) -> Result<Endpoint, String> {
        let endpoint = endpoint.trim();
        if endpoint.starts_with('/') {
            return Ok(unix(endpoint));
        }
        let Some((scheme, rest)) = endpoint.split_once("://") else {
            return Err(format!(
                "`{endpoint}` is not an endpoint: use unix:///path, tcp://host:port or https://host:port"
            ));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "unix" if rest.starts_with('/') => Ok(unix(rest)),
            "unix" => Err(format!(
                "`{endpoint}` names no socket: use unix:///absolute/path"
            )),
            "tcp" | "http" | "https" => {
                let tls = cert_dir.is_some();
                if scheme.eq_ignore_ascii_case("https") && !tls {
                    return Err(format!(
                        "`{endpoint}` asks for TLS but no certificate directory was given \
                         (set DOCKER_CERT_PATH to a directory with ca.pem, cert.pem and key.pem)"
                    ));
                }
                let address = host_port(rest, if tls { TLS_PORT } else { PLAIN_PORT })
                    .map_err(|why| format!("`{endpoint}`: {why}"))?;
                match cert_dir {
                    None => Ok(Endpoint {
                        url: format!("tcp://{address}"),
                        transport: Transport::Http(address),
                    }),
                    Some(dir) => Ok(Endpoint {
                        url: format!("{}://{address}", scheme.to_ascii_lowercase()),
                        transport: Transport::Tls {
                            address,
                            files: CertFiles::in_dir(dir)?,
                        },
                    }),
                }
            }
            other => Err(format!(
                "`{endpoint}`: the scheme `{other}://` is not supported \
                 (use unix://, tcp://, http:// or https://)"
            )),
        }
    }
}

fn unix(path: &str) -> Endpoint {
    Endpoint {
        url: format!("unix://{path}"),
        transport: Transport::Unix(PathBuf::from(path)),
    }
}

/// `host:port` from what follows the scheme (a trailing `/` is allowed, a
/// path is not: the engine's API has none).
fn host_port(rest: &str, default_port: u16) -> Result<String, String> {
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err("no host".to_string());
    }
    if authority.contains('/') {
        return Err("an engine address has no path".to_string());
    }
    // `[::1]:2376`: the port follows the bracket; `::1` alone has no port.
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port))
            if !host.ends_with(':') && (host.starts_with('[') == host.ends_with(']')) =>
        {
            (host, Some(port))
        }
        _ => (authority, None),
    };
    if host.is_empty() {
        return Err("no host".to_string());
    }
    let port = match port {
        None => default_port,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("`{port}` is not a port"))?,
    };
    Ok(format!("{host}:{port}"))
}

/// The certificate directory the docker CLI would use for `endpoint`, from
/// its environment: with `DOCKER_TLS_VERIFY` set to anything non-empty (the
/// CLI does not read the value, so `0` counts too) or an `https://`
/// endpoint, `DOCKER_CERT_PATH`, else `~/.docker`. A socket never uses TLS.
pub fn env_cert_dir(
    endpoint: &str,
    tls_verify: Option<&str>,
    cert_path: Option<&str>,
    home: Option<&str>,
) -> Option<PathBuf> {
    let endpoint = endpoint.trim().to_ascii_lowercase();
    let tcp = ["tcp://", "http://", "https://"]
        .iter()
        .any(|scheme| endpoint.starts_with(scheme));
    let wanted = endpoint.starts_with("https://") || tls_verify.is_some_and(|v| !v.is_empty());
    if !tcp || !wanted {
        return None;
    }
    match cert_path.filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => home.map(|home| Path::new(home).join(".docker")),
    }
}

/// Words by which a failure of the TLS layer shows in an error's causes
/// (rustls' "invalid peer certificate: UnknownIssuer", "received fatal
/// alert: BadCertificate", "corrupt message" when the port speaks plain HTTP).
const TLS_WORDS: [&str; 6] = [
    "certificate",
    "tls",
    "handshake",
    "alert",
    "corrupt message",
    "invalidcontenttype",
];

/// Whether an error's text (its causes included) tells of a TLS failure.
pub fn is_tls_failure(causes: &str) -> bool {
    let lower = causes.to_ascii_lowercase();
    TLS_WORDS.iter().any(|word| lower.contains(word))
}

/// The connection ended before any answer (hyper's words for it).
pub fn is_closed_early(causes: &str) -> bool {
    [
        "connection was not ready",
        "connection closed before message completed",
        "operation was canceled",
    ]
    .iter()
    .any(|words| causes.contains(words))
}

/// Go's HTTP server answers a plain request on a TLS port with this.
pub fn is_plain_http_to_tls_port(message: &str) -> bool {
    message.contains("HTTP request to an HTTPS server")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a PEM file of `name` starts with (the bodies are not read here).
    fn pem(name: &str) -> &'static str {
        if name == "key.pem" {
            "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"
        } else {
            "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"
        }
    }

    fn cert_dir(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for name in files {
            std::fs::write(dir.path().join(name), pem(name)).expect("write a pem file");
        }
        dir
    }

    #[test]
    fn sockets_are_unix_urls_or_bare_paths() {
        for endpoint in ["unix:///run/docker.sock", "/run/docker.sock"] {
            let parsed = Endpoint::parse(endpoint, None).expect("a socket");
            assert_eq!(parsed.url, "unix:///run/docker.sock");
            assert_eq!(
                parsed.transport,
                Transport::Unix(PathBuf::from("/run/docker.sock"))
            );
        }
        assert!(Endpoint::parse("unix://run/docker.sock", None).is_err());
    }

    #[test]
    fn tcp_and_http_without_certificates_are_plain() {
        for endpoint in [
            "tcp://10.0.0.2:2375",
            "http://10.0.0.2:2375/",
            "tcp://10.0.0.2",
        ] {
            let parsed = Endpoint::parse(endpoint, None).expect("plain TCP");
            assert_eq!(parsed.url, "tcp://10.0.0.2:2375");
            assert_eq!(parsed.transport, Transport::Http("10.0.0.2:2375".into()));
        }
        let v6 = Endpoint::parse("tcp://[::1]:2000", None).expect("IPv6");
        assert_eq!(v6.transport, Transport::Http("[::1]:2000".into()));
    }

    #[test]
    fn a_certificate_directory_makes_tcp_and_https_tls() {
        let dir = cert_dir(&["ca.pem", "cert.pem", "key.pem"]);
        for (endpoint, url) in [
            ("tcp://10.0.0.2:2376", "tcp://10.0.0.2:2376"),
            ("https://10.0.0.2", "https://10.0.0.2:2376"),
        ] {
            let parsed = Endpoint::parse(endpoint, Some(dir.path())).expect("TLS");
            assert_eq!(parsed.url, url);
            let Transport::Tls { address, files } = parsed.transport else {
                panic!("{endpoint} with certificates is TLS");
            };
            assert_eq!(address, "10.0.0.2:2376");
            assert_eq!(files.ca, dir.path().join("ca.pem"));
            assert_eq!(files.cert, dir.path().join("cert.pem"));
            assert_eq!(files.key, dir.path().join("key.pem"));
        }
    }

    #[test]
    fn https_without_certificates_says_what_is_missing() {
        let error = Endpoint::parse("https://10.0.0.2:2376", None).expect_err("no certificates");
        assert!(error.contains("no certificate directory"), "{error}");
        assert!(error.contains("DOCKER_CERT_PATH"), "{error}");
    }

    #[test]
    fn a_missing_certificate_file_is_named() {
        for (present, missing) in [
            (&["cert.pem", "key.pem"][..], "ca.pem"),
            (&["ca.pem", "key.pem"][..], "cert.pem"),
            (&["ca.pem", "cert.pem"][..], "key.pem"),
        ] {
            let dir = cert_dir(present);
            let error = Endpoint::parse("tcp://10.0.0.2:2376", Some(dir.path()))
                .expect_err("a file is missing");
            let path = dir.path().join(missing);
            assert!(
                error.contains(&path.display().to_string()),
                "{missing}: {error}"
            );
            assert!(error.contains("cannot be read"), "{error}");
        }
        let dir = cert_dir(&["ca.pem", "cert.pem"]);
        std::fs::write(dir.path().join("key.pem"), pem("cert.pem")).expect("write key.pem");
        let error = Endpoint::parse("tcp://h:1", Some(dir.path())).expect_err("no key in key.pem");
        assert!(
            error.contains("key.pem holds no PEM `BEGIN PRIVATE KEY` block"),
            "{error}"
        );
        std::fs::write(
            dir.path().join("key.pem"),
            "-----BEGIN EC PRIVATE KEY-----\n",
        )
        .expect("write key.pem");
        assert!(Endpoint::parse("tcp://h:1", Some(dir.path())).is_ok());
        let error = Endpoint::parse("tcp://h:1", Some(Path::new("/nonexistent/certs")))
            .expect_err("no directory");
        assert!(
            error.contains("/nonexistent/certs does not exist"),
            "{error}"
        );
    }

    #[test]
    fn malformed_endpoints_are_refused_with_a_reason() {
        for (endpoint, says) in [
            ("localhost:2375", "not an endpoint"),
            ("ssh://me@host", "not supported"),
            ("tcp://", "no host"),
            ("tcp://host:port", "not a port"),
            ("tcp://host:0", "not a port"),
            ("tcp://host:2375/v1.41", "no path"),
        ] {
            let error = Endpoint::parse(endpoint, None).expect_err(endpoint);
            assert!(error.contains(says), "{endpoint}: {error}");
        }
    }

    #[test]
    fn the_environment_asks_for_tls_as_the_docker_cli_reads_it() {
        let tcp = "tcp://10.0.0.2:2376";
        assert_eq!(env_cert_dir(tcp, None, Some("/certs"), Some("/root")), None);
        assert_eq!(
            env_cert_dir(tcp, Some("1"), Some("/certs"), Some("/root")),
            Some(PathBuf::from("/certs"))
        );
        assert_eq!(
            env_cert_dir(tcp, Some("0"), None, Some("/root")),
            Some(PathBuf::from("/root/.docker"))
        );
        assert_eq!(env_cert_dir(tcp, Some(""), Some("/certs"), None), None);
        assert_eq!(
            env_cert_dir("https://h:2376", None, Some("/certs"), None),
            Some(PathBuf::from("/certs"))
        );
        assert_eq!(
            env_cert_dir("unix:///var/run/docker.sock", Some("1"), Some("/c"), None),
            None
        );
    }

    #[test]
    fn tls_failures_are_told_from_other_connection_errors() {
        assert!(is_tls_failure(
            "client error (Connect): invalid peer certificate: UnknownIssuer"
        ));
        assert!(is_tls_failure("received fatal alert: BadCertificate"));
        assert!(!is_tls_failure(
            "client error (Connect): tcp connect error: Connection refused (os error 111)"
        ));
        assert!(is_plain_http_to_tls_port(
            "Client sent an HTTP request to an HTTPS server."
        ));
    }
}
