//! Kubernetes name rules: DNS-1123 labels and subdomains, port names,
//! environment variable names. Each returns `Err(message)` saying what is
//! expected, in Kubernetes' words.

const DNS1123_LABEL_MAX: usize = 63;
const DNS1123_SUBDOMAIN_MAX: usize = 253;
const PORT_NAME_MAX: usize = 15;

const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric \
     characters or '-', and must start and end with an alphanumeric character \
     (e.g. 'my-name',  or '123-abc', regex used for validation is \
     '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case \
     alphanumeric characters, '-' or '.', and must start and end with an alphanumeric \
     character (e.g. 'example.com', regex used for validation is \
     '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const ENV_MSG: &str = "a valid environment variable name must consist only of printable \
     ASCII characters other than '='";

fn too_long(max: usize) -> String {
    format!("must be no more than {max} characters")
}

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// True when `part` matches `[a-z0-9]([-a-z0-9]*[a-z0-9])?`.
fn is_label_shape(part: &str) -> bool {
    let (Some(first), Some(last)) = (part.chars().next(), part.chars().last()) else {
        return false;
    };
    lower_alnum(first) && lower_alnum(last) && part.chars().all(|c| lower_alnum(c) || c == '-')
}

/// Object names (pods, controllers, services, nodes): at most 253 characters,
/// lowercase alphanumerics, `-` and `.`, starting and ending alphanumeric.
pub fn dns1123_subdomain(name: &str) -> Result<(), String> {
    if name.len() > DNS1123_SUBDOMAIN_MAX {
        return Err(too_long(DNS1123_SUBDOMAIN_MAX));
    }
    if name.split('.').all(is_label_shape) {
        Ok(())
    } else {
        Err(SUBDOMAIN_MSG.to_string())
    }
}

/// Container names, namespaces, projects: at most 63 characters, lowercase
/// alphanumerics and `-`, starting and ending alphanumeric.
pub fn dns1123_label(name: &str) -> Result<(), String> {
    if name.len() > DNS1123_LABEL_MAX {
        return Err(too_long(DNS1123_LABEL_MAX));
    }
    if is_label_shape(name) {
        Ok(())
    } else {
        Err(LABEL_MSG.to_string())
    }
}

/// Port names (IANA_SVC_NAME): at most 15 characters, lowercase
/// alphanumerics and `-`, at least one letter, no `--`, not starting or
/// ending with `-`.
pub fn port_name(name: &str) -> Result<(), String> {
    let mut errors = Vec::new();
    if name.len() > PORT_NAME_MAX {
        errors.push(too_long(PORT_NAME_MAX));
    }
    if name.is_empty() || !name.chars().all(|c| lower_alnum(c) || c == '-') {
        errors
            .push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !name.chars().any(|c| c.is_ascii_lowercase()) {
        errors.push("must contain at least one letter (a-z)".into());
    }
    if name.contains("--") {
        errors.push("must not contain consecutive hyphens".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        errors.push("must not begin or end with a hyphen".into());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join(", "))
    }
}

/// Environment variable names as current Kubernetes accepts them
/// (`IsRelaxedEnvVarName`, the default since 1.32 and GA in 1.34): not
/// empty, printable ASCII (space included) except `=`. So `1ABC` and
/// `my.var` are valid; Docker passes them through as written.
pub fn env_var_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("environment variable name must be non-empty".into());
    }
    if name.chars().all(|c| (' '..='~').contains(&c) && c != '=') {
        Ok(())
    } else {
        Err(ENV_MSG.to_string())
    }
}

/// A Docker image reference (`[domain[:port]/]path[:tag][@digest]`, the
/// distribution/reference grammar Docker applies when it creates a
/// container). Kubernetes stores any image and the kubelet reports
/// `InvalidImageName`; berth can say it at load.
pub fn image_reference(image: &str) -> Result<(), String> {
    let invalid = |why: &str| Err(format!("invalid reference format: {why}"));
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    if digest.is_some_and(|d| !is_digest(d)) {
        return invalid("a digest is algorithm:hex, e.g. sha256:<64 hex digits>");
    }
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) {
        return invalid(
            "a tag is up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'",
        );
    }
    if name.is_empty() || name.len() > 255 {
        return invalid("the repository name must have 1 to 255 characters");
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let first = parts[0];
    let is_domain = parts.len() > 1
        && (first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase()));
    if is_domain {
        parts.remove(0);
        let (host, port) = first.split_once(':').unwrap_or((first, "0"));
        let host_ok = host.split('.').all(|part| {
            !part.is_empty()
                && !part.starts_with('-')
                && !part.ends_with('-')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !host_ok || port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
            return invalid("the registry must be a host name with an optional :port");
        }
    }
    if !parts
        .iter()
        .all(|p| is_path_component(&p.to_ascii_lowercase()))
    {
        return invalid("a repository path is lowercase letters and digits separated by '/', and within a part by '.', '_', '__' or dashes");
    }
    if parts
        .iter()
        .any(|p| p.chars().any(|c| c.is_ascii_uppercase()))
    {
        return invalid("repository name must be lowercase");
    }
    Ok(())
}

/// `algorithm:hex`, the hex part at least 32 digits.
fn is_digest(digest: &str) -> bool {
    digest.split_once(':').is_some_and(|(algorithm, hex)| {
        algorithm.starts_with(|c: char| c.is_ascii_alphabetic())
            && algorithm
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.'))
            && hex.len() >= 32
            && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// `[\w][\w.-]{0,127}`
fn is_tag(tag: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    tag.len() <= 128
        && tag.starts_with(word)
        && tag.chars().all(|c| word(c) || matches!(c, '.' | '-'))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_path_component(part: &str) -> bool {
    let bytes = part.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &part[start..i];
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_accept_lowercase_alphanumerics_and_inner_dashes() {
        for ok in ["a", "0", "my-name", "123-abc", "a-b-c", &"a".repeat(63)] {
            assert_eq!(dns1123_label(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn labels_reject_uppercase_dots_edges_and_length() {
        for bad in ["", "A", "my_name", "-a", "a-", "a.b", "ünï", "a b"] {
            let err = dns1123_label(bad).unwrap_err();
            assert!(
                err.starts_with("a lowercase RFC 1123 label must consist"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            dns1123_label(&"a".repeat(64)).unwrap_err(),
            "must be no more than 63 characters"
        );
    }

    #[test]
    fn subdomains_accept_dotted_labels_up_to_253_characters() {
        for ok in ["example.com", "a", "web-1", "a.b.c", "1.2.3"] {
            assert_eq!(dns1123_subdomain(ok), Ok(()), "{ok}");
        }
        let long = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert_eq!(long.len(), 253);
        assert_eq!(dns1123_subdomain(&long), Ok(()));
    }

    #[test]
    fn subdomains_reject_empty_parts_uppercase_and_overlong_names() {
        for bad in ["", ".a", "a.", "a..b", "Web", "a.-b", "a_b", "web/1"] {
            let err = dns1123_subdomain(bad).unwrap_err();
            assert!(
                err.starts_with("a lowercase RFC 1123 subdomain"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            dns1123_subdomain(&"a".repeat(254)).unwrap_err(),
            "must be no more than 253 characters"
        );
    }

    #[test]
    fn port_names_follow_iana_svc_name() {
        for ok in ["http", "http-alt", "h2c", "a1", "web-8080", &"a".repeat(15)] {
            assert_eq!(port_name(ok), Ok(()), "{ok}");
        }
        let cases = [
            ("8080", "must contain at least one letter (a-z)"),
            ("a--b", "must not contain consecutive hyphens"),
            ("-http", "must not begin or end with a hyphen"),
            ("http-", "must not begin or end with a hyphen"),
            (
                "Http",
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            ),
            ("http_alt", "must contain only alpha-numeric characters"),
            ("abcdefghijklmnop", "must be no more than 15 characters"),
        ];
        for (bad, want) in cases {
            let err = port_name(bad).unwrap_err();
            assert!(err.contains(want), "{bad}: {err}");
        }
        assert!(port_name("").is_err());
    }

    #[test]
    fn env_var_names_follow_the_relaxed_rule_of_current_kubernetes() {
        for ok in [
            "HOME",
            "my.env-name",
            "1ABC",
            "_x",
            ".",
            "..",
            "A B",
            "a:b",
            "~!@#$%^&*()",
        ] {
            assert_eq!(env_var_name(ok), Ok(()), "{ok}");
        }
        for bad in ["A=B", "Ä", "tab\there", "new\nline", "\u{7f}"] {
            assert!(
                env_var_name(bad)
                    .unwrap_err()
                    .contains("printable ASCII characters other than '='"),
                "{bad}"
            );
        }
        assert_eq!(
            env_var_name("").unwrap_err(),
            "environment variable name must be non-empty"
        );
    }

    #[test]
    fn image_references_follow_dockers_grammar() {
        for ok in [
            "busybox",
            "busybox:1.36",
            "library/busybox:latest",
            "localhost/berth-pause:1",
            "localhost:5000/team/app:v1.2_3",
            "registry.example.com/a/b/c",
            "my-registry.io:443/x__y/z.w:tag",
            "a--b/c",
            "busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "Registry.Example.com/app",
        ] {
            assert_eq!(image_reference(ok), Ok(()), "{ok}");
        }
        for bad in [
            "Busybox",
            "busybox:",
            "busybox:-x",
            "busy box",
            "a//b",
            "-a",
            "a-",
            "a...b",
            "a/b:c:d",
            "busybox@sha256:xyz",
            "localhost:port/app",
            "<YOUR-IMAGE>",
            "",
        ] {
            assert!(image_reference(bad).is_err(), "{bad:?}");
        }
        assert!(image_reference("team/App")
            .unwrap_err()
            .contains("repository name must be lowercase"));
    }
}
