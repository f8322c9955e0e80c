//! Pure: the files berth keeps in a pod's ConfigMap, Secret, downward API
//! and projected volumes, laid out as the kubelet lays them out, so that
//! an update is one atomic step for a reader:
//!
//! ```text
//! ..2026_12_03_13_05_01.123456789/   the files of one version
//! ..data -> ..2026_12_03_13_05_01.123456789
//! key -> ..data/key                  one symlink per top-level name
//! ```
//!
//! A new version is written beside the old one with `..data_tmp` pointing
//! at it, then `..data_tmp` is renamed over `..data` (by the program of
//! `engine::rootfs::swap_elf`, run in the pod's infra container), then
//! the old version and the names no longer used are removed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use sha2::{Digest, Sha256};

use crate::desired::DesiredPod;
use crate::manifest::{format_labels_file, FileContent, PodSpec, Volume};

/// Where the pod's infra container mounts each such volume, writable (the
/// app containers mount it read-only where the spec says).
pub const MOUNT_ROOT: &str = "/.berth/volumes";

/// Where berth puts its swap program in the infra container.
pub const SWAP_PROGRAM: &str = "/.berth-swap";

/// The infra container's label with the source and a short digest of every
/// ConfigMap and Secret key (and downward API value known at load) that
/// the pod's files hold; a record container (`KIND_POD_RECORD`) carries the
/// same label once the files have been updated in place.
pub const FILE_SOURCES_LABEL: &str = "io.berth.file-sources";

const DATA: &str = "..data";
const DATA_TMP: &str = "..data_tmp";

/// The path of volume `name` in the infra container.
pub fn infra_path(volume: &str) -> String {
    format!("{MOUNT_ROOT}/{volume}")
}

/// One file as written: path inside the volume, mode, bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub path: String,
    pub mode: u32,
    pub data: Vec<u8>,
}

/// The volumes of `spec` that hold files.
pub fn file_volumes(spec: &PodSpec) -> impl Iterator<Item = &Volume> {
    spec.volumes.iter().filter(|v| v.source.holds_files())
}

/// The files of `volume` for `pod`, the pod's own fields filled in.
pub fn render(volume: &Volume, pod: &DesiredPod, uid: &str) -> Vec<Rendered> {
    volume
        .files
        .iter()
        .map(|f| {
            let data = match &f.content {
                FileContent::Known { data, .. } => data.clone(),
                FileContent::Secret { data, .. } => data.0.clone(),
                FileContent::Pod(field) => pod_field(field, pod, uid).into_bytes(),
            };
            Rendered {
                path: f.path.clone(),
                mode: f.mode,
                data,
            }
        })
        .collect()
}

fn pod_field(field: &str, pod: &DesiredPod, uid: &str) -> String {
    let label = field
        .strip_prefix("metadata.labels['")
        .and_then(|rest| rest.strip_suffix("']"));
    match field {
        "metadata.name" => pod.name.clone(),
        "metadata.uid" => uid.to_string(),
        "metadata.labels" => format_labels_file(&pod.labels),
        _ => label
            .and_then(|k| pod.labels.get(k))
            .cloned()
            .unwrap_or_default(),
    }
}

/// `source` → first 16 hex digits of the sha256 of the value, for every
/// file whose content comes from elsewhere than the pod itself.
pub fn sources(spec: &PodSpec) -> BTreeMap<String, String> {
    let short = |data: &[u8]| -> String {
        Sha256::digest(data)
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let mut out = BTreeMap::new();
    for v in file_volumes(spec) {
        for f in &v.files {
            match &f.content {
                FileContent::Known { source, data } => {
                    out.insert(source.clone(), short(data));
                }
                FileContent::Secret { source, data } => {
                    out.insert(source.clone(), short(&data.0));
                }
                FileContent::Pod(_) => {}
            }
        }
    }
    out
}

/// The label's text; `None` when the pod has no volume that holds files.
pub fn sources_label(spec: &PodSpec) -> Option<String> {
    file_volumes(spec)
        .next()
        .map(|_| serde_json::to_string(&sources(spec)).unwrap_or_default())
}

/// What changed between the recorded sources (`old`, the label's text) and
/// the desired ones, one line each, sorted.
pub fn changes(old: Option<&str>, spec: &PodSpec) -> Vec<String> {
    let old: BTreeMap<String, String> = old
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let new = sources(spec);
    let mut out = Vec::new();
    for (source, digest) in &new {
        match old.get(source) {
            Some(before) if before != digest => out.push(format!("{source} changed")),
            None => out.push(format!("{source} added")),
            _ => {}
        }
    }
    for source in old.keys().filter(|s| !new.contains_key(*s)) {
        out.push(format!("{source} removed"));
    }
    out
}

/// The name of a version directory written at `nanos` (Unix nanoseconds),
/// as the kubelet names them: `..2006_01_02_15_04_05.000000000`.
pub fn version_name(nanos: i128) -> String {
    let secs = nanos.div_euclid(1_000_000_000) as i64;
    let frac = nanos.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (y, m, d) = crate::timefmt::civil_from_days(days);
    format!(
        "..{y:04}_{m:02}_{d:02}_{:02}_{:02}_{:02}.{frac:09}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The top-level names the files use (`a` for `a/b`).
fn top_names(files: &[Rendered]) -> BTreeSet<String> {
    files
        .iter()
        .map(|f| f.path.split('/').next().unwrap_or_default().to_string())
        .collect()
}

/// The tar that writes `files` as version `version` of volume `volume`,
/// its entries under `.berth/volumes/<volume>/` (to extract at `/`).
/// `link` is `..data` for a new volume, `..data_tmp` for an update; the
/// symlinks of the top-level names are included either way (an update
/// adds only the names that are new: the others already point at `..data`).
pub fn version_tar(
    volume: &str,
    mtime: u64,
    files: &[Rendered],
    version: &str,
    link: Link,
    existing: &BTreeSet<String>,
    swap_program: Option<&[u8]>,
) -> std::io::Result<Vec<u8>> {
    let base = format!("{}/{volume}", MOUNT_ROOT.trim_start_matches('/'));
    let mut tar = tar::Builder::new(Vec::new());
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    dir(&mut tar, &format!("{base}/{version}"), 0o755, mtime)?;
    for f in files {
        let mut parent = String::new();
        let parts: Vec<&str> = f.path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            parent = if parent.is_empty() {
                part.to_string()
            } else {
                format!("{parent}/{part}")
            };
            if dirs.insert(parent.clone()) {
                dir(
                    &mut tar,
                    &format!("{base}/{version}/{parent}"),
                    0o755,
                    mtime,
                )?;
            }
        }
        let mut header = tar::Header::new_gnu();
        header.set_mode(f.mode);
        header.set_size(f.data.len() as u64);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(
            &mut header,
            format!("{base}/{version}/{}", f.path),
            f.data.as_slice(),
        )?;
    }
    let link_name = match link {
        Link::Data => DATA,
        Link::DataTmp => DATA_TMP,
    };
    symlink(&mut tar, &format!("{base}/{link_name}"), version, mtime)?;
    for name in top_names(files).difference(existing) {
        let target = format!("{DATA}/{name}");
        symlink(&mut tar, &format!("{base}/{name}"), &target, mtime)?;
    }
    if let Some(program) = swap_program {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o755);
        header.set_mtime(mtime);
        header.set_size(program.len() as u64);
        header.set_cksum();
        tar.append_data(&mut header, SWAP_PROGRAM.trim_start_matches('/'), program)?;
    }
    tar.into_inner()
}

/// Which link a version tar sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Data,
    DataTmp,
}

fn dir(tar: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32, mtime: u64) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mode(mode);
    header.set_mtime(mtime);
    header.set_size(0);
    header.set_cksum();
    tar.append_data(&mut header, format!("{path}/"), std::io::empty())
}

fn symlink(
    tar: &mut tar::Builder<Vec<u8>>,
    path: &str,
    target: &str,
    mtime: u64,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_mode(0o777);
    header.set_mtime(mtime);
    header.set_size(0);
    tar.append_link(&mut header, path, target)
}

/// A volume as read back (the archive of its directory): each entry by
/// path inside the volume.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub entries: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Dir,
    File { mode: u32, data: Vec<u8> },
    Symlink(String),
}

impl Listing {
    /// Reads the archive Docker returns for the volume's directory: its
    /// entries are under the directory's own name, which is dropped.
    pub fn parse(archive: &[u8]) -> std::io::Result<Listing> {
        let mut entries = BTreeMap::new();
        let mut tar = tar::Archive::new(archive);
        for entry in tar.entries()? {
            let mut entry = entry?;
            let full = entry.path()?.to_string_lossy().into_owned();
            let parts: Vec<&str> = full
                .split('/')
                .filter(|p| !p.is_empty() && *p != ".")
                .collect();
            if parts.len() < 2 {
                continue;
            }
            let path = parts[1..].join("/");
            let kind = match entry.header().entry_type() {
                tar::EntryType::Directory => Entry::Dir,
                tar::EntryType::Symlink => Entry::Symlink(
                    entry
                        .link_name()?
                        .map(|l| l.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ),
                _ => {
                    let mode = entry.header().mode()? & 0o7777;
                    let mut data = Vec::new();
                    entry.read_to_end(&mut data)?;
                    Entry::File { mode, data }
                }
            };
            entries.insert(path, kind);
        }
        Ok(Listing { entries })
    }

    /// The version `..data` points at.
    pub fn current_version(&self) -> Option<&str> {
        match self.entries.get(DATA) {
            Some(Entry::Symlink(target)) => Some(target.as_str()),
            _ => None,
        }
    }

    /// Whether the current version holds exactly `files`.
    pub fn holds(&self, files: &[Rendered]) -> bool {
        let Some(version) = self.current_version() else {
            return false;
        };
        let prefix = format!("{version}/");
        let current: BTreeMap<&str, (u32, &Vec<u8>)> = self
            .entries
            .iter()
            .filter_map(|(p, e)| match e {
                Entry::File { mode, data } => {
                    p.strip_prefix(&prefix).map(|rest| (rest, (*mode, data)))
                }
                _ => None,
            })
            .collect();
        let wanted: BTreeMap<&str, (u32, &Vec<u8>)> = files
            .iter()
            .map(|f| (f.path.as_str(), (f.mode, &f.data)))
            .collect();
        let names: BTreeSet<String> = self
            .entries
            .keys()
            .filter(|p| !p.contains('/') && !p.starts_with(".."))
            .cloned()
            .collect();
        current == wanted && names == top_names(files)
    }

    /// The top-level names in use (the symlinks of the current version).
    pub fn top_names(&self) -> BTreeSet<String> {
        self.entries
            .iter()
            .filter(|(p, e)| {
                !p.contains('/') && !p.starts_with("..") && matches!(e, Entry::Symlink(_))
            })
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// What to remove once version `new` is current, in an order that
    /// works (files before the directories that hold them, deepest first):
    /// every other version directory, and the top-level names `files` no
    /// longer use.
    pub fn leftovers(&self, new: &str, files: &[Rendered]) -> Vec<String> {
        let keep = top_names(files);
        let mut out: Vec<String> = self
            .entries
            .iter()
            .filter(|(p, _)| !p.contains('/') && !p.starts_with("..") && !keep.contains(*p))
            .map(|(p, _)| p.clone())
            .collect();
        let old_versions: Vec<&String> = self
            .entries
            .iter()
            .filter(|(p, e)| {
                !p.contains('/')
                    && p.starts_with("..")
                    && p.as_str() != new
                    && p.as_str() != DATA
                    && p.as_str() != DATA_TMP
                    && matches!(e, Entry::Dir)
            })
            .map(|(p, _)| p)
            .collect();
        for version in old_versions {
            let prefix = format!("{version}/");
            let mut inside: Vec<(&String, &Entry)> = self
                .entries
                .iter()
                .filter(|(p, _)| p.starts_with(&prefix))
                .collect();
            // Deepest first, files before directories at each depth.
            inside.sort_by_key(|(p, e)| {
                (
                    std::cmp::Reverse(p.matches('/').count()),
                    matches!(e, Entry::Dir),
                    (*p).clone(),
                )
            });
            out.extend(inside.into_iter().map(|(p, _)| p.clone()));
            out.push(version.clone());
        }
        out
    }
}

#[cfg(test)]
#[path = "podfiles/tests.rs"]
mod tests;
