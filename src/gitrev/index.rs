//! The git index file (`.git/index`), versions 2, 3 and 4: each tracked
//! path with the stat data and blob id git recorded for it.

use sha1::Digest;

/// The repository's object hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HashKind {
    Sha1,
    Sha256,
}

impl HashKind {
    fn len(self) -> usize {
        match self {
            HashKind::Sha1 => 20,
            HashKind::Sha256 => 32,
        }
    }

    /// The id git gives `content` stored as a blob.
    pub(super) fn blob_id(self, content: &[u8]) -> Vec<u8> {
        let header = format!("blob {}\0", content.len());
        match self {
            HashKind::Sha1 => {
                let mut hasher = sha1::Sha1::new();
                hasher.update(header.as_bytes());
                hasher.update(content);
                hasher.finalize().to_vec()
            }
            HashKind::Sha256 => {
                let mut hasher = sha2::Sha256::new();
                hasher.update(header.as_bytes());
                hasher.update(content);
                hasher.finalize().to_vec()
            }
        }
    }
}

/// One index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// Relative to the top of the work tree, `/`-separated.
    pub path: Vec<u8>,
    pub mtime_seconds: u32,
    pub mtime_nanos: u32,
    /// The file size, truncated to 32 bits; 0 when git did not trust it.
    pub size: u32,
    /// `0o100644`, `0o100755`, `0o120000` (symlink), `0o160000` (submodule).
    pub mode: u32,
    pub id: Vec<u8>,
    /// 0, or 1–3 during a merge conflict.
    pub stage: u16,
    /// Not checked out (sparse checkout): never compared.
    pub skip_worktree: bool,
}

pub(super) const MODE_TYPE: u32 = 0o170000;
pub(super) const MODE_SYMLINK: u32 = 0o120000;
pub(super) const MODE_GITLINK: u32 = 0o160000;
pub(super) const MODE_DIRECTORY: u32 = 0o040000;

/// The entries of an index, or `None` when it is not one berth can read
/// (another version, truncated, or split: its `link` extension keeps
/// entries in a second file).
pub(super) fn parse(bytes: &[u8], hash: HashKind) -> Option<Vec<Entry>> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(4)? != b"DIRC" {
        return None;
    }
    let version = reader.u32()?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = reader.u32()? as usize;
    let mut entries: Vec<Entry> = Vec::with_capacity(count.min(1 << 20));
    for _ in 0..count {
        let previous = entries.last().map_or(&[][..], |e| e.path.as_slice());
        let entry = reader.entry(version, hash, previous)?;
        entries.push(entry);
    }
    if reader.has_split_index_link(hash) {
        return None;
    }
    Some(entries)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(slice)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    /// One entry: stat data, id, flags, then the path — NUL-terminated and
    /// padded to 8 bytes (v2, v3), or prefix-compressed against the
    /// previous path (v4).
    fn entry(&mut self, version: u32, hash: HashKind, previous: &[u8]) -> Option<Entry> {
        let start = self.at;
        let stat = self.take(40)?;
        let word = |i: usize| u32::from_be_bytes(stat[i * 4..i * 4 + 4].try_into().unwrap());
        let id = self.take(hash.len())?.to_vec();
        let flags = self.u16()?;
        let extended = if flags & 0x4000 != 0 && version >= 3 {
            self.u16()?
        } else {
            0
        };
        let path = if version == 4 {
            let strip = self.varint()?;
            let kept = previous.len().checked_sub(strip)?;
            let mut path = previous[..kept].to_vec();
            path.extend_from_slice(self.until_nul()?);
            path
        } else {
            let path = self.until_nul()?.to_vec();
            let unpadded = self.at - 1 - start;
            self.at = start + ((unpadded + 8) & !7);
            path
        };
        Some(Entry {
            path,
            mtime_seconds: word(2),
            mtime_nanos: word(3),
            mode: word(6),
            size: word(9),
            id,
            stage: (flags >> 12) & 3,
            skip_worktree: extended & 0x4000 != 0,
        })
    }

    /// Bytes up to a NUL, which is consumed.
    fn until_nul(&mut self) -> Option<&'a [u8]> {
        let rest = self.bytes.get(self.at..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        self.at += end + 1;
        Some(&rest[..end])
    }

    /// git's offset varint (`decode_varint`): 7 bits a byte, most
    /// significant first, each continuation adding one.
    fn varint(&mut self) -> Option<usize> {
        let mut byte = self.take(1)?[0];
        let mut value = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            byte = self.take(1)?[0];
            value = value.checked_add(1)?.checked_mul(128)? + usize::from(byte & 0x7f);
        }
        Some(value)
    }

    /// Whether the extensions after the entries hold `link` (split index).
    fn has_split_index_link(&mut self, hash: HashKind) -> bool {
        while self.bytes.len().saturating_sub(self.at) > hash.len() {
            let (Some(signature), Some(size)) = (self.take(4), self.u32()) else {
                return false;
            };
            if signature == b"link" {
                return true;
            }
            if self.take(size as usize).is_none() {
                return false;
            }
        }
        false
    }
}
