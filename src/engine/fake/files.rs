//! The fake's file systems: each volume's files and each container's own,
//! written by `upload_archive` with Docker's rules (an entry replaces what
//! is there unless both are directories), read by `download_archive`, and
//! the one program berth execs (`/.berth-swap`, see `engine::rootfs`)
//! carried out as the real one would: rename, then unlink or rmdir.

use std::collections::BTreeMap;
use std::io::Read;

use crate::engine::{ContainerConfig, EngineError, MountSource, Result};

/// One entry of a fake file system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeFile {
    Dir { mode: u32 },
    File { mode: u32, data: Vec<u8> },
    Symlink { target: String },
}

/// Paths relative to the file system's root, without a leading `/`.
pub type Tree = BTreeMap<String, FakeFile>;

/// Where an absolute path in a container lands: a volume (by name) or the
/// container's own file system, and the path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Volume(String, String),
    Own(String),
}

pub fn place(config: &ContainerConfig, path: &str) -> Place {
    let path = normalize(path);
    let best = config
        .mounts
        .iter()
        .filter_map(|m| match &m.source {
            MountSource::Volume(v) => {
                let target = normalize(&m.target);
                let rest = if path == target {
                    Some(String::new())
                } else {
                    path.strip_prefix(&format!("{target}/")).map(str::to_string)
                };
                rest.map(|rest| (target.len(), v.clone(), rest))
            }
            MountSource::Bind(_) | MountSource::VolumePath { .. } => None,
        })
        .max_by_key(|(len, _, _)| *len);
    match best {
        Some((_, volume, rest)) => Place::Volume(volume, rest),
        None => Place::Own(path),
    }
}

/// `/a//b/./c/` → `a/b/c`.
pub fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn join(base: &str, name: &str) -> String {
    match (base.is_empty(), name.is_empty()) {
        (true, _) => name.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}/{name}"),
    }
}

/// Removes `path` and everything under it.
fn remove_all(tree: &mut Tree, path: &str) {
    let prefix = format!("{path}/");
    tree.retain(|p, _| p != path && !p.starts_with(&prefix));
}

/// The entries of `tar`, each as (path, entry).
pub fn read_tar(tar: &[u8]) -> Result<Vec<(String, FakeFile)>> {
    let bad = |e: std::io::Error| EngineError::Api {
        operation: "write files".to_string(),
        message: format!("bad archive: {e}"),
    };
    let mut out = Vec::new();
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let path = normalize(&entry.path().map_err(bad)?.to_string_lossy());
        let mode = entry.header().mode().map_err(bad)? & 0o7777;
        let file = match entry.header().entry_type() {
            tar::EntryType::Directory => FakeFile::Dir { mode },
            tar::EntryType::Symlink => FakeFile::Symlink {
                target: entry
                    .link_name()
                    .map_err(bad)?
                    .map(|l| l.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            },
            _ => {
                let mut data = Vec::new();
                entry.read_to_end(&mut data).map_err(bad)?;
                FakeFile::File { mode, data }
            }
        };
        out.push((path, file));
    }
    Ok(out)
}

/// Extracts entries under `base` of `tree`, as Docker's untar does.
pub fn extract(tree: &mut Tree, base: &str, entries: Vec<(String, FakeFile)>) {
    for (path, file) in entries {
        let full = join(base, &path);
        if full.is_empty() {
            continue;
        }
        let both_dirs = matches!(
            (tree.get(&full), &file),
            (Some(FakeFile::Dir { .. }), FakeFile::Dir { .. })
        );
        if !both_dirs {
            remove_all(tree, &full);
        }
        tree.insert(full, file);
    }
}

/// `base` of `tree` as Docker's archive endpoint returns it: the entry
/// itself under its own name, then what it holds.
pub fn archive(tree: &Tree, base: &str) -> Result<Vec<u8>> {
    let fail = |e: std::io::Error| EngineError::Api {
        operation: "read files".to_string(),
        message: e.to_string(),
    };
    let name = base.rsplit('/').next().unwrap_or_default();
    let name = if name.is_empty() { "." } else { name };
    let prefix = if base.is_empty() {
        String::new()
    } else {
        format!("{base}/")
    };
    let mut builder = tar::Builder::new(Vec::new());
    let root = tree
        .get(base)
        .cloned()
        .unwrap_or(FakeFile::Dir { mode: 0o755 });
    let mut all = vec![(name.to_string(), root)];
    for (path, file) in tree.iter().filter(|(p, _)| p.starts_with(&prefix)) {
        all.push((join(name, &path[prefix.len()..]), file.clone()));
    }
    for (path, file) in all {
        let mut header = tar::Header::new_gnu();
        match file {
            FakeFile::Dir { mode } => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(mode);
                header.set_size(0);
                header.set_cksum();
                builder
                    .append_data(&mut header, format!("{path}/"), std::io::empty())
                    .map_err(fail)?;
            }
            FakeFile::File { mode, data } => {
                header.set_mode(mode);
                header.set_size(data.len() as u64);
                header.set_cksum();
                builder
                    .append_data(&mut header, &path, data.as_slice())
                    .map_err(fail)?;
            }
            FakeFile::Symlink { target } => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_size(0);
                builder
                    .append_link(&mut header, &path, &target)
                    .map_err(fail)?;
            }
        }
    }
    builder.into_inner().map_err(fail)
}

/// `/.berth-swap FROM TO [PATH...]` run in `base` of `tree`: renames FROM
/// to TO (the exit code is its errno), then unlinks each PATH, or removes
/// it as an empty directory.
pub fn swap(tree: &mut Tree, base: &str, args: &[String]) -> i64 {
    if args.len() < 2 {
        return 22;
    }
    let from = join(base, &normalize(&args[0]));
    let to = join(base, &normalize(&args[1]));
    let code = match tree.get(&from).cloned() {
        None => 2,
        Some(FakeFile::Dir { .. }) => 21,
        Some(file) => {
            if matches!(tree.get(&to), Some(FakeFile::Dir { .. })) {
                21
            } else {
                tree.remove(&from);
                tree.insert(to, file);
                0
            }
        }
    };
    for path in &args[2..] {
        let full = join(base, &normalize(path));
        let prefix = format!("{full}/");
        match tree.get(&full) {
            Some(FakeFile::Dir { .. }) if tree.keys().any(|p| p.starts_with(&prefix)) => {}
            Some(_) => {
                tree.remove(&full);
            }
            None => {}
        }
    }
    code
}

/// Reads `path` of `tree`, following symlinks inside it.
pub fn read(tree: &Tree, path: &str) -> Option<Vec<u8>> {
    let mut path = normalize(path);
    for _ in 0..16 {
        let mut resolved = String::new();
        let mut parts = path.split('/').peekable();
        let mut jumped = false;
        while let Some(part) = parts.next() {
            let here = join(&resolved, part);
            match tree.get(&here) {
                Some(FakeFile::Symlink { target }) => {
                    let rest: Vec<&str> = parts.collect();
                    let target = join(&resolved, target);
                    path = normalize(&join(&target, &rest.join("/")));
                    jumped = true;
                    break;
                }
                Some(FakeFile::File { data, .. }) if parts.peek().is_none() => {
                    return Some(data.clone());
                }
                Some(FakeFile::Dir { .. }) => resolved = here,
                // A directory no archive named (a volume's own mount point).
                None if parts.peek().is_some() => resolved = here,
                _ => return None,
            }
        }
        if !jumped {
            return None;
        }
    }
    None
}
