//! Kubernetes name rules: DNS-1123 labels and subdomains, port names,
//! environment variable names. Each returns `Err(message)` saying what is
//! expected, in Kubernetes' words.

/// Object names (pods, controllers, services, nodes): at most 253 characters,
/// lowercase alphanumerics, `-` and `.`, starting and ending alphanumeric.
pub fn dns1123_subdomain(name: &str) -> Result<(), String> {
    let _ = name;
    todo!()
}

/// Container names, namespaces, projects: at most 63 characters, lowercase
/// alphanumerics and `-`, starting and ending alphanumeric.
pub fn dns1123_label(name: &str) -> Result<(), String> {
    let _ = name;
    todo!()
}

/// Port names (IANA_SVC_NAME): at most 15 characters, lowercase
/// alphanumerics and `-`, at least one letter, no `--`, not starting or
/// ending with `-`.
pub fn port_name(name: &str) -> Result<(), String> {
    let _ = name;
    todo!()
}

/// Environment variable names as Kubernetes accepts them.
pub fn env_var_name(name: &str) -> Result<(), String> {
    let _ = name;
    todo!()
}
