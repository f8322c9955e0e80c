//! Loading paths into `Manifests`: finding the files, reading them in
//! parallel, decoding every document, and the checks that span files
//! (duplicate objects). Diagnostics come back in file order, then by position.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::decode::Decoder;
use super::diag::Diagnostic;
use super::envrefs;
use super::json::{self, JsonScan};
use super::kinds;
use super::model::{Manifests, Source};
use super::objects::Object;
use super::volume_files;
use crate::yaml;

/// The largest manifest file read by default (`--max-file-size`).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;
/// The most objects the manifests may hold by default (`--max-objects`).
pub const DEFAULT_MAX_OBJECTS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Unsupported-but-known fields and unknown kinds become errors.
    pub strict: bool,
    /// Files larger than this many bytes are refused unread.
    pub max_file_size: u64,
    /// More objects than this (documents and List items, over all files)
    /// are refused; one file stops parsing at the first one past it.
    pub max_objects: usize,
    /// What is allowed beyond the security defaults (`--allow-*`).
    pub allow: super::security_model::Allow,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            strict: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_objects: DEFAULT_MAX_OBJECTS,
            allow: Default::default(),
        }
    }
}

/// The result of loading: the objects, and every diagnostic in file order.
/// `manifests` must not be used when `has_errors()`.
#[derive(Debug, Default)]
pub struct Loaded {
    pub manifests: Manifests,
    pub diagnostics: Vec<Diagnostic>,
    /// How many manifest files were read.
    pub files: usize,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }
}

/// Load every manifest under `paths` (files or directories).
pub fn load(paths: &[PathBuf], options: LoadOptions) -> Loaded {
    let Walk {
        files, problems, ..
    } = Walk::over(paths);
    // Sort keys: file i is 2(i+1); a problem met after k files is 2k+1.
    let ordered = problems.into_iter().map(|(k, d)| (2 * k + 1, d)).collect();
    let results = read_all(&files, &options);
    assemble(ordered, results, files.len(), &options)
}

/// The manifest files `load` would read under `paths`, in its order.
pub fn manifest_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    Walk::over(paths).files
}

/// Load one file's text, named `path` in diagnostics (no file system access).
pub fn load_text(path: &Path, text: &str, options: LoadOptions) -> Loaded {
    assemble(
        Vec::new(),
        vec![decode_text(path, text, &options)],
        1,
        &options,
    )
}

fn assemble(
    mut ordered: Vec<(usize, Diagnostic)>,
    results: Vec<FileResult>,
    files: usize,
    options: &LoadOptions,
) -> Loaded {
    let mut objects = Vec::new();
    for (i, (file_objects, diagnostics)) in results.into_iter().enumerate() {
        ordered.extend(diagnostics.into_iter().map(|d| (2 * (i + 1), d)));
        objects.extend(file_objects.into_iter().map(|o| (2 * (i + 1), o)));
    }
    if let Some((key, object)) = objects.get(options.max_objects) {
        let source = object.identity().3.clone();
        ordered.push((*key, too_many_objects(source, options.max_objects)));
        objects.truncate(options.max_objects);
    }
    ordered.extend(duplicates(&objects));
    let file_keys: HashMap<PathBuf, usize> = objects
        .iter()
        .map(|(k, o)| (o.identity().3.file.clone(), *k))
        .collect();
    let mut manifests = Manifests::default();
    for (_, object) in objects {
        match object {
            Object::Pod(o) => manifests.pods.push(o),
            Object::Controller(o) => manifests.controllers.push(o),
            Object::Service(o) => manifests.services.push(o),
            Object::Node(o) => manifests.nodes.push(o),
            Object::Deployment(o) => manifests.deployments.push(o),
            Object::ReplicaSet(o) => manifests.replica_sets.push(o),
            Object::DaemonSet(o) => manifests.daemon_sets.push(o),
            Object::ConfigMap(o) => manifests.config_maps.push(o),
            Object::Secret(o) => manifests.secrets.push(o),
        }
    }
    // References between objects (env from ConfigMaps and Secrets) are
    // resolved once every file is read.
    let mut resolved = envrefs::resolve(&mut manifests);
    resolved.extend(volume_files::resolve(&mut manifests));
    for d in resolved {
        let key = file_keys.get(&d.source.file).copied().unwrap_or(usize::MAX);
        ordered.push((key, d));
    }
    ordered.sort_by_key(|(i, d)| (*i, d.source.line, d.source.column));
    Loaded {
        manifests,
        diagnostics: ordered.into_iter().map(|(_, d)| d).collect(),
        files,
    }
}

fn too_many_objects(source: Source, max: usize) -> Diagnostic {
    let message = format!(
        "more than {max} objects in the manifests; refused (raise the cap with --max-objects)"
    );
    Diagnostic::error(source, "", message)
}

fn whole_file(path: &Path, message: String) -> Diagnostic {
    Diagnostic::error(
        Source {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
        },
        "",
        message,
    )
}

/// What a walk over the paths finds: files to read, in order, and the
/// problems met on the way, each with the number of files found before it.
#[derive(Default)]
struct Walk {
    files: Vec<PathBuf>,
    problems: Vec<(usize, Diagnostic)>,
    seen_dirs: HashSet<PathBuf>,
    /// The real paths of the directories named on the command line: a
    /// symbolic link found inside them must stay inside one of them.
    roots: Vec<PathBuf>,
}

impl Walk {
    fn over(paths: &[PathBuf]) -> Walk {
        let mut walk = Walk {
            roots: paths
                .iter()
                .filter(|p| p.is_dir())
                .filter_map(|p| fs::canonicalize(p).ok())
                .collect(),
            ..Walk::default()
        };
        for path in paths {
            walk.visit(path, true);
        }
        walk
    }

    /// A symbolic link met in a directory: `false` (after saying why) when
    /// it leads out of the manifest tree, which berth never follows, so
    /// that a link cannot pull files from elsewhere into the desired state.
    fn link_stays_inside(&mut self, path: &Path) -> bool {
        let target = match fs::canonicalize(path) {
            Ok(target) => target,
            // A loop or a dangling link: reading it says what is wrong.
            Err(_) => return true,
        };
        if self.roots.iter().any(|root| target.starts_with(root)) {
            return true;
        }
        if target.is_dir() || is_manifest_name(path) || is_manifest_name(&target) {
            let message = format!(
                "symbolic link to {} points outside the manifest tree; not followed \
                 (copy the file in, or name the target on the command line)",
                target.display()
            );
            self.problem(path, message);
        }
        false
    }

    fn problem(&mut self, path: &Path, message: String) {
        self.problems
            .push((self.files.len(), whole_file(path, message)));
    }

    /// Adds the manifest files under `path` in sorted order. An explicitly
    /// named file is always read; in directories only `.yaml`, `.yml`,
    /// `.json` files count, and hidden entries are skipped.
    fn visit(&mut self, path: &Path, explicit: bool) {
        let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if is_link && !explicit && !self.link_stays_inside(path) {
            return;
        }
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(_) if !explicit && !is_manifest_name(path) => return,
            Err(e) => return self.problem(path, format!("cannot read: {e}")),
        };
        if !metadata.is_dir() {
            if !(explicit || is_manifest_name(path)) {
                return;
            }
            // Opening a FIFO would wait for a writer: never open one.
            if !metadata.is_file() {
                let message = format!(
                    "not a regular file ({}); refused",
                    file_kind(&metadata.file_type())
                );
                return self.problem(path, message);
            }
            self.files.push(path.to_path_buf());
            return;
        }
        // Symbolic links may loop: visit each real directory once.
        let real = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if !self.seen_dirs.insert(real) {
            return;
        }
        let entries = match fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => return self.problem(path, format!("cannot list directory: {e}")),
        };
        let mut children: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        children.sort();
        for child in children {
            self.visit(&child, false);
        }
    }
}

/// What a file that is neither a regular file nor a directory is.
fn file_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a file"
    }
}

/// Whether the loader reads a file of this name (`*.yaml`, `*.yml`,
/// `*.json`).
pub fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

type FileResult = (Vec<Object>, Vec<Diagnostic>);

/// Reads and decodes the files on a few threads, keeping their order.
fn read_all(files: &[PathBuf], options: &LoadOptions) -> Vec<FileResult> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if files.len() < 16 || threads == 1 {
        return files.iter().map(|f| read_file(f, options)).collect();
    }
    let chunk = files.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|f| read_file(f, options))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a loader thread panicked"))
            .collect()
    })
}

/// Parses and decodes one file (which may have changed or gone since the
/// walk listed it: that is an error of this file, never a hang or a panic).
pub(super) fn read_file(path: &Path, options: &LoadOptions) -> FileResult {
    let text = match read_bounded(path, options.max_file_size) {
        Ok(bytes) => text_of(bytes),
        Err(message) => Err(whole_file(path, message)),
    };
    match text {
        Ok(text) => decode_text(path, &text, options),
        Err(mut diagnostic) => {
            diagnostic.source.file = path.to_path_buf();
            (Vec::new(), vec![diagnostic])
        }
    }
}

/// The bytes of a regular file of at most `max` bytes. The file is opened
/// without blocking (a FIFO put in its place cannot stall the load), its
/// size checked before anything is read, and the read stops past `max`
/// (a file that grows while it is read).
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::OpenOptionsExt;
    const O_NONBLOCK: i32 = 0o4000; // Linux, every architecture berth builds for.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot read: {e}"))?;
    let metadata = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !metadata.is_file() {
        return Err(format!(
            "not a regular file ({}); refused",
            file_kind(&metadata.file_type())
        ));
    }
    let too_big = |size: String| {
        format!(
            "file is {size} bytes, more than the cap of {max} bytes; refused unread \
             (raise the cap with --max-file-size)"
        )
    };
    if metadata.len() > max {
        return Err(too_big(metadata.len().to_string()));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(too_big(format!("more than {max}")));
    }
    Ok(bytes)
}

/// A file's bytes as text: UTF-8, or UTF-16 with a byte order mark (as
/// kubectl reads it). Invalid UTF-8 is an error at the first bad byte.
fn text_of(bytes: Vec<u8>) -> Result<String, Diagnostic> {
    let utf16 = |little: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|p| {
                let pair = [p[0], p.get(1).copied().unwrap_or(0)];
                if little {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        String::from_utf16(&units)
            .map_err(|_| whole_file(Path::new(""), "not valid UTF-16 text".to_string()))
    };
    match bytes.get(..2) {
        Some([0xff, 0xfe]) => return utf16(true),
        Some([0xfe, 0xff]) => return utf16(false),
        _ => {}
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let before = String::from_utf8_lossy(valid);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        Diagnostic::error(
            Source {
                file: PathBuf::new(),
                line,
                column,
            },
            "",
            "not valid UTF-8 text (manifests are UTF-8, or UTF-16 with a byte order mark)",
        )
    })
}

/// The first control character YAML forbids in a stream (everything in C0
/// and DEL but tab and line breaks, as go-yaml refuses them), at (line,
/// column). A NUL read by mistake must not reach the parser's plain scalars.
fn forbidden_control(text: &str) -> Option<((usize, usize), char)> {
    let (mut line, mut column) = (1, 0);
    for c in text.chars() {
        column += 1;
        match c {
            '\n' => (line, column) = (line + 1, 0),
            '\t' | '\r' => {}
            c if c.is_ascii_control() => return Some(((line, column), c)),
            _ => {}
        }
    }
    None
}

/// Decodes the text of one file (named `path` in diagnostics).
fn decode_text(path: &Path, text: &str, options: &LoadOptions) -> FileResult {
    let is_json = path.extension().is_some_and(|e| e == "json");
    // JSON strings cannot hold raw tabs, so tabs there are only indentation,
    // which YAML forbids: read them as spaces (columns stay the same).
    let owned;
    let text = if is_json && text.contains('\t') {
        owned = text.replace('\t', " ");
        &owned
    } else {
        text
    };
    let scan = if is_json {
        json::scan(text)
    } else {
        JsonScan::default()
    };
    let at = |(line, column): (usize, usize)| Source {
        file: path.to_path_buf(),
        line,
        column,
    };
    if let Some((place, c)) = forbidden_control(text) {
        let message = format!(
            "control character U+{:04X} is not allowed in YAML or JSON (binary data, or the wrong encoding?)",
            c as u32
        );
        return (Vec::new(), vec![Diagnostic::error(at(place), "", message)]);
    }
    if let Some(comment) = scan.comment {
        let message = "JSON does not allow comments (kubectl refuses this file); \
                       remove it or write the manifest in YAML";
        return (
            Vec::new(),
            vec![Diagnostic::error(at(comment), "", message)],
        );
    }
    let mut decoder = Decoder::new(path, options.strict);
    decoder.allow = options.allow.clone();
    let limits = yaml::Limits {
        max_documents: Some(options.max_objects),
    };
    let (documents, errors) = match is_json {
        true => json::parse_values(text, limits)
            .unwrap_or_else(|| yaml::parse_stream_with(text, limits)),
        false => yaml::parse_stream_with(text, limits),
    };
    for e in errors {
        let source = at((e.line, e.column));
        decoder
            .diagnostics
            .push(Diagnostic::error(source, "", e.message));
    }
    // The seed's v1beta1 Minion example has trailing commas and must load as
    // written; anywhere else they are refused, as kubectl refuses them.
    let minions_only = documents
        .iter()
        .all(|d| d.get("kind").and_then(yaml::Node::text) == Some("Minion"));
    if let (Some(comma), false) = (scan.trailing_comma, minions_only) {
        let message = "JSON does not allow a trailing comma (kubectl refuses this file)";
        decoder
            .diagnostics
            .push(Diagnostic::error(at(comma), "", message));
    }
    // List items count as objects: refuse a file past the cap before
    // decoding any of it.
    let mut count = 0;
    for document in &documents {
        count += match document.get("items").map(|i| &i.value) {
            Some(yaml::Value::Seq(items)) => items.len(),
            _ => 1,
        };
        if count > options.max_objects {
            let source = at((document.line, document.column));
            decoder
                .diagnostics
                .push(too_many_objects(source, options.max_objects));
            return (Vec::new(), decoder.diagnostics);
        }
    }
    let mut objects = Vec::new();
    for document in &documents {
        kinds::document(&mut decoder, document, &mut objects);
    }
    (objects, decoder.diagnostics)
}

/// Two objects with the same kind, namespace and name: an error at the
/// later one naming the first.
fn duplicates(objects: &[(usize, Object)]) -> Vec<(usize, Diagnostic)> {
    let mut first: HashMap<(&str, &str, &str), &Source> = HashMap::new();
    let mut out = Vec::new();
    for (file, object) in objects {
        let (kind, namespace, name, source) = object.identity();
        if let Some(earlier) = first.get(&(kind, namespace, name)) {
            let shown = if namespace.is_empty() {
                name.to_string()
            } else {
                format!("{namespace}/{name}")
            };
            let message = format!("duplicate {kind} {shown:?}: also defined at {earlier}");
            out.push((
                *file,
                Diagnostic::error(source.clone(), "metadata.name", message),
            ));
        } else {
            first.insert((kind, namespace, name), source);
        }
    }
    out
}
