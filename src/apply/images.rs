//! Images before pods: the infra image (imported offline when missing) and
//! each container image under its pull policy, resolved once per plan.

use std::collections::BTreeMap;

use crate::engine::rootfs::{pause_rootfs_tar, PAUSE_CHANGES};
use crate::engine::Engine;
use crate::manifest::{Container, PullPolicy};

/// `Ok(warning)` when the image can be used, `Err(reason)` when not.
pub type ImageStatus = Result<Option<String>, String>;

/// Keyed by (image, pull policy).
pub type Images = BTreeMap<(String, String), ImageStatus>;

pub fn key(c: &Container) -> (String, String) {
    (c.image.clone(), format!("{:?}", c.image_pull_policy))
}

/// Makes sure the infra image exists, importing berth's own when missing.
pub async fn ensure_infra<E: Engine>(engine: &E, image: &str) -> Result<(), String> {
    let exists = engine
        .image_exists(image)
        .await
        .map_err(|e| format!("infra image {image}: {e}"))?;
    if exists {
        return Ok(());
    }
    let tar =
        pause_rootfs_tar().map_err(|e| format!("cannot build the infra image {image}: {e}"))?;
    let changes: Vec<String> = PAUSE_CHANGES.iter().map(|c| c.to_string()).collect();
    engine
        .import_image(tar, image, &changes)
        .await
        .map_err(|e| format!("cannot import the infra image {image}: {e}"))
}

/// Resolves every distinct (image, policy) of `containers`.
pub async fn resolve<'a, E: Engine>(
    engine: &E,
    containers: impl Iterator<Item = &'a Container>,
) -> Images {
    let mut out = Images::new();
    for c in containers {
        if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(key(c)) {
            slot.insert(one(engine, &c.image, c.image_pull_policy).await);
        }
    }
    out
}

async fn one<E: Engine>(engine: &E, image: &str, policy: PullPolicy) -> ImageStatus {
    let present = engine
        .image_exists(image)
        .await
        .map_err(|e| format!("cannot inspect image \"{image}\": {e}"))?;
    let pull_error = |e: String| format!("ErrImagePull: cannot pull image \"{image}\": {e}");
    match policy {
        PullPolicy::Never if present => Ok(None),
        PullPolicy::Never => Err(format!(
            "ErrImageNeverPull: container image \"{image}\" is not present with pull policy of Never"
        )),
        PullPolicy::IfNotPresent if present => Ok(None),
        PullPolicy::IfNotPresent => engine.pull_image(image).await.map(|_| None).map_err(|e| pull_error(e.to_string())),
        PullPolicy::Always => match engine.pull_image(image).await {
            Ok(()) => Ok(None),
            Err(e) if present => Ok(Some(format!("cannot pull image \"{image}\" ({e}); using the local copy"))),
            Err(e) => Err(pull_error(e.to_string())),
        },
    }
}
