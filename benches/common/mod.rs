//! What the benchmark programs share: their images, imported offline
//! (busybox from Debian's busybox-static, berth's pause program), and
//! cleaning a project up a few objects at a time (Docker 20.10 can deadlock
//! under mass concurrent removal on one network).

use std::process::Command;

use berth::engine::{rootfs, DockerEngine, Engine};

pub const IMAGE: &str = "localhost/berth-bench-busybox:1";
pub const PAUSE: &str = "localhost/berth-pause:1";

/// Imports `IMAGE` and `PAUSE` when the engine lacks them; never pulls.
pub async fn prepare_images(engine: &DockerEngine) {
    let busybox = rootfs::find_busybox().expect("busybox-static is not installed");
    if !engine.image_exists(IMAGE).await.expect("image inspect") {
        let tar = rootfs::busybox_rootfs_tar(&busybox).expect("busybox rootfs");
        let changes = vec![r#"CMD ["sh"]"#.to_string()];
        engine
            .import_image(tar, IMAGE, &changes)
            .await
            .expect("import busybox");
    }
    if !engine.image_exists(PAUSE).await.expect("image inspect") {
        let tar = rootfs::pause_rootfs_tar().expect("pause rootfs");
        let changes: Vec<String> = rootfs::PAUSE_CHANGES
            .iter()
            .map(|s| s.to_string())
            .collect();
        engine
            .import_image(tar, PAUSE, &changes)
            .await
            .expect("import pause");
    }
}

/// Removes the containers, volumes and networks labelled with `project`.
pub fn cleanup(project: &str) {
    let filter = format!("label=io.berth.project={project}");
    let steps: [(&[&str], &[&str]); 3] = [
        (&["ps", "-aq"], &["rm", "-f", "-v"]),
        (&["volume", "ls", "-q"], &["volume", "rm", "-f"]),
        (&["network", "ls", "-q"], &["network", "rm"]),
    ];
    for (list, remove) in steps {
        let Ok(out) = Command::new("docker")
            .args(list)
            .args(["--filter", filter.as_str()])
            .output()
        else {
            continue;
        };
        let ids = String::from_utf8_lossy(&out.stdout).to_string();
        let ids: Vec<&str> = ids.split_whitespace().collect();
        for chunk in ids.chunks(4) {
            let _ = Command::new("docker").args(remove).args(chunk).output();
        }
    }
}
