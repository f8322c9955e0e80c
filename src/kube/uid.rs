//! Stable object uids: the same (project, kind, namespace, name) always
//! gets the same `metadata.uid`, across berth restarts, without storing it.

use sha2::{Digest, Sha256};

/// A UUID (version 8, "custom") derived from what names the object.
pub fn uid(project: &str, kind: &str, namespace: &str, name: &str) -> String {
    let digest = Sha256::digest(format!("{project}\0{kind}\0{namespace}\0{name}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_is_stable_and_shaped_like_a_uuid() {
        let a = uid("shop", "Pod", "default", "web");
        assert_eq!(a, uid("shop", "Pod", "default", "web"));
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_eq!(&a[14..15], "8");
    }

    #[test]
    fn uid_differs_by_project_kind_namespace_and_name() {
        let base = uid("shop", "Pod", "default", "web");
        assert_ne!(base, uid("blog", "Pod", "default", "web"));
        assert_ne!(base, uid("shop", "ReplicationController", "default", "web"));
        assert_ne!(base, uid("shop", "Pod", "prod", "web"));
        assert_ne!(base, uid("shop", "Pod", "default", "db"));
    }
}
