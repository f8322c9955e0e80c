//! Images before pods: the infra image (imported offline when missing) and
//! each container image under its pull policy, resolved once per plan, each
//! pull reported as it starts and ends.

use std::collections::BTreeMap;

use crate::engine::rootfs::{pause_rootfs_tar, PAUSE_CHANGES};
use crate::engine::{Engine, EngineError};
use crate::manifest::{Container, PullPolicy};

/// The image is not present and pulling it failed.
pub const ERR_IMAGE_PULL: &str = "ErrImagePull";
/// The image is not present and the pull policy is `Never`.
pub const ERR_IMAGE_NEVER_PULL: &str = "ErrImageNeverPull";
/// The engine could not say whether the image is present.
pub const IMAGE_INSPECT_ERROR: &str = "ImageInspectError";

/// Why an image cannot be used: a kubelet waiting reason and one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageProblem {
    pub reason: &'static str,
    /// `cannot pull image "x": connection refused`.
    pub message: String,
}

/// `Ok(warning)` when the image can be used, `Err` when not.
pub type ImageStatus = Result<Option<String>, ImageProblem>;

/// Keyed by (image, pull policy).
pub type Images = BTreeMap<(String, String), ImageStatus>;

/// A pull as it happens, for the progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullEvent<'a> {
    Started { image: &'a str },
    Pulled { image: &'a str },
    Failed { image: &'a str, message: &'a str },
}

/// Receives `PullEvent`s.
pub type OnPull<'a> = &'a mut (dyn FnMut(PullEvent<'_>) + Send);

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
    on_pull: OnPull<'_>,
) -> Images {
    let mut out = Images::new();
    for c in containers {
        if let std::collections::btree_map::Entry::Vacant(slot) = out.entry(key(c)) {
            slot.insert(one(engine, &c.image, c.image_pull_policy, on_pull).await);
        }
    }
    out
}

/// Docker's own words, without the operation our engine layer puts first
/// (`cannot pull image x: …`) that would double ours.
fn engine_words(error: &EngineError) -> String {
    match error {
        EngineError::Api { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

async fn pull<E: Engine>(engine: &E, image: &str, on_pull: OnPull<'_>) -> Result<(), String> {
    on_pull(PullEvent::Started { image });
    match engine.pull_image(image).await {
        Ok(()) => {
            on_pull(PullEvent::Pulled { image });
            Ok(())
        }
        Err(e) => {
            let message = format!("cannot pull image \"{image}\": {}", engine_words(&e));
            on_pull(PullEvent::Failed {
                image,
                message: &message,
            });
            Err(message)
        }
    }
}

async fn one<E: Engine>(
    engine: &E,
    image: &str,
    policy: PullPolicy,
    on_pull: OnPull<'_>,
) -> ImageStatus {
    let present = engine.image_exists(image).await.map_err(|e| ImageProblem {
        reason: IMAGE_INSPECT_ERROR,
        message: format!("cannot inspect image \"{image}\": {}", engine_words(&e)),
    })?;
    let pull_error = |message: String| ImageProblem {
        reason: ERR_IMAGE_PULL,
        message,
    };
    match policy {
        PullPolicy::Never if present => Ok(None),
        PullPolicy::Never => Err(ImageProblem {
            reason: ERR_IMAGE_NEVER_PULL,
            message: format!(
                "container image \"{image}\" is not present with pull policy of Never"
            ),
        }),
        PullPolicy::IfNotPresent if present => Ok(None),
        PullPolicy::IfNotPresent => pull(engine, image, on_pull)
            .await
            .map(|()| None)
            .map_err(pull_error),
        PullPolicy::Always => match pull(engine, image, on_pull).await {
            Ok(()) => Ok(None),
            Err(e) if present => Ok(Some(format!("{e}; using the local copy"))),
            Err(e) => Err(pull_error(e)),
        },
    }
}
