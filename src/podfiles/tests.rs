use super::*;
use crate::engine::fake::files::{self as fs, Tree};
use crate::manifest::{
    ConfigMapVolumeSource, PodSpec, RestartPolicy, SensitiveBytes, VolumeFile, VolumeSource,
};

fn file(path: &str, mode: u32, data: &str) -> Rendered {
    Rendered {
        path: path.to_string(),
        mode,
        data: data.as_bytes().to_vec(),
    }
}

/// Writes `files` as a first version into `tree`, as a new pod gets them.
fn write_new(tree: &mut Tree, files: &[Rendered], version: &str) {
    let tar = version_tar("cfg", 1, files, version, Link::Data, &BTreeSet::new(), None).unwrap();
    fs::extract(tree, "", fs::read_tar(&tar).unwrap());
}

/// One in-place update, as `apply::files::update` does it; the swap's
/// exit code.
fn update(tree: &mut Tree, files: &[Rendered], version: &str) -> i64 {
    let base = "berth/volumes/cfg";
    let listing = Listing::parse(&fs::archive(tree, ".berth/volumes/cfg").unwrap()).unwrap();
    let tar = version_tar(
        "cfg",
        2,
        files,
        version,
        Link::DataTmp,
        &listing.top_names(),
        Some(b"program"),
    )
    .unwrap();
    fs::extract(tree, "", fs::read_tar(&tar).unwrap());
    let mut args = vec!["..data_tmp".to_string(), "..data".to_string()];
    args.extend(listing.leftovers(version, files));
    let _ = base;
    fs::swap(tree, ".berth/volumes/cfg", &args)
}

fn read(tree: &Tree, path: &str) -> Option<String> {
    fs::read(tree, &format!(".berth/volumes/cfg/{path}")).map(|b| String::from_utf8(b).unwrap())
}

fn names(tree: &Tree) -> Vec<String> {
    tree.keys()
        .filter_map(|p| p.strip_prefix(".berth/volumes/cfg/"))
        .filter(|p| !p.contains('/'))
        .map(str::to_string)
        .collect()
}

#[test]
fn version_directories_are_named_as_the_kubelet_names_them() {
    // 2026-12-03 13:05:01.000000123 UTC
    let nanos = 1_796_303_101_000_000_123i128;
    assert_eq!(version_name(nanos), "..2026_12_03_13_05_01.000000123");
    assert_eq!(version_name(0), "..1970_01_01_00_00_00.000000000");
}

#[test]
fn a_new_volume_holds_a_version_its_data_link_and_one_link_per_top_name() {
    let mut tree = Tree::new();
    let files = [file("a", 0o644, "1"), file("conf/b.ini", 0o400, "2")];
    write_new(&mut tree, &files, "..v1");
    assert_eq!(names(&tree), ["..data", "..v1", "a", "conf"]);
    assert_eq!(read(&tree, "a").as_deref(), Some("1"));
    assert_eq!(read(&tree, "conf/b.ini").as_deref(), Some("2"));
    assert_eq!(
        tree.get(".berth/volumes/cfg/..v1/conf/b.ini"),
        Some(&fs::FakeFile::File {
            mode: 0o400,
            data: b"2".to_vec()
        })
    );
    let listing = Listing::parse(&fs::archive(&tree, ".berth/volumes/cfg").unwrap()).unwrap();
    assert_eq!(listing.current_version(), Some("..v1"));
    assert!(listing.holds(&files));
    assert!(!listing.holds(&[file("a", 0o644, "1")]));
    assert!(!listing.holds(&[file("a", 0o600, "1"), file("conf/b.ini", 0o400, "2")]));
}

#[test]
fn an_update_swaps_in_the_new_version_and_leaves_nothing_of_the_old() {
    let mut tree = Tree::new();
    write_new(
        &mut tree,
        &[
            file("a", 0o644, "1"),
            file("gone", 0o644, "x"),
            file("d/e/f", 0o644, "deep"),
        ],
        "..v1",
    );
    let new = [file("a", 0o644, "2"), file("added", 0o644, "new")];
    assert_eq!(update(&mut tree, &new, "..v2"), 0);
    assert_eq!(names(&tree), ["..data", "..v2", "a", "added"]);
    assert_eq!(read(&tree, "a").as_deref(), Some("2"));
    assert_eq!(read(&tree, "added").as_deref(), Some("new"));
    assert_eq!(read(&tree, "gone"), None);
    assert!(tree.keys().all(|p| !p.contains("..v1")), "{tree:?}");
    let listing = Listing::parse(&fs::archive(&tree, ".berth/volumes/cfg").unwrap()).unwrap();
    assert!(listing.holds(&new));
}

#[test]
fn an_update_interrupted_before_its_swap_is_finished_by_the_next() {
    let mut tree = Tree::new();
    write_new(&mut tree, &[file("a", 0o644, "1")], "..v1");
    // A run wrote ..v2 and ..data_tmp, then died before the swap.
    let half = version_tar(
        "cfg",
        2,
        &[file("a", 0o644, "2")],
        "..v2",
        Link::DataTmp,
        &BTreeSet::from(["a".to_string()]),
        None,
    )
    .unwrap();
    fs::extract(&mut tree, "", fs::read_tar(&half).unwrap());
    assert_eq!(
        read(&tree, "a").as_deref(),
        Some("1"),
        "readers still see v1"
    );
    assert_eq!(update(&mut tree, &[file("a", 0o644, "3")], "..v3"), 0);
    assert_eq!(names(&tree), ["..data", "..v3", "a"]);
    assert_eq!(read(&tree, "a").as_deref(), Some("3"));
}

#[test]
fn leftovers_remove_files_before_their_directories_deepest_first() {
    let mut tree = Tree::new();
    write_new(
        &mut tree,
        &[file("x/y/z", 0o644, "1"), file("x/w", 0o644, "2")],
        "..v1",
    );
    let listing = Listing::parse(&fs::archive(&tree, ".berth/volumes/cfg").unwrap()).unwrap();
    assert_eq!(
        listing.leftovers("..v2", &[file("x/w", 0o644, "3")]),
        ["..v1/x/y/z", "..v1/x/w", "..v1/x/y", "..v1/x", "..v1"]
    );
}

fn spec_with(files: Vec<VolumeFile>) -> PodSpec {
    PodSpec {
        containers: Vec::new(),
        init_containers: Vec::new(),
        volumes: vec![crate::manifest::Volume {
            name: "cfg".into(),
            source: VolumeSource::ConfigMap(ConfigMapVolumeSource {
                name: "app".into(),
                items: Vec::new(),
                default_mode: None,
                optional: None,
                origin: Default::default(),
            }),
            files,
        }],
        restart_policy: RestartPolicy::Always,
        termination_grace_period_seconds: 30,
        node_selector: Default::default(),
        node_name: None,
    }
}

fn known(source: &str, data: &str) -> VolumeFile {
    VolumeFile {
        path: source.rsplit(' ').next().unwrap().to_string(),
        mode: 0o644,
        content: FileContent::Known {
            source: source.to_string(),
            data: data.as_bytes().to_vec(),
        },
    }
}

#[test]
fn changes_name_each_key_and_never_a_value() {
    let old = spec_with(vec![
        known("ConfigMap default/app key a", "1"),
        known("ConfigMap default/app key gone", "x"),
        VolumeFile {
            path: "pw".into(),
            mode: 0o400,
            content: FileContent::Secret {
                source: "Secret default/s key pw".into(),
                data: SensitiveBytes(b"hunter2".to_vec()),
            },
        },
    ]);
    let label = sources_label(&old).unwrap();
    assert!(!label.contains("hunter2"));
    assert!(changes(Some(&label), &old).is_empty());
    let new = spec_with(vec![
        known("ConfigMap default/app key a", "2"),
        known("ConfigMap default/app key added", "y"),
        VolumeFile {
            path: "pw".into(),
            mode: 0o400,
            content: FileContent::Secret {
                source: "Secret default/s key pw".into(),
                data: SensitiveBytes(b"swordfish".to_vec()),
            },
        },
    ]);
    let said = changes(Some(&label), &new);
    assert_eq!(
        said,
        [
            "ConfigMap default/app key a changed",
            "ConfigMap default/app key added added",
            "Secret default/s key pw changed",
            "ConfigMap default/app key gone removed",
        ]
    );
    assert!(said
        .iter()
        .all(|c| !c.contains("swordfish") && !c.contains("hunter2")));
}

#[test]
fn a_pod_without_such_volumes_has_no_label() {
    let mut spec = spec_with(Vec::new());
    spec.volumes.clear();
    assert_eq!(sources_label(&spec), None);
    assert!(changes(None, &spec).is_empty());
}
