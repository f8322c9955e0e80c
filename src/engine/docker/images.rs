//! Images: existence, pulls and offline imports of root file systems.

use bollard::query_parameters::CreateImageOptions;
use futures_util::StreamExt;

use super::DockerEngine;
use crate::engine::{EngineError, Result};

/// Splits `repo[:tag]` (a registry port is not a tag); a digest reference
/// stays whole with no tag.
pub fn split_image_ref(image: &str) -> (&str, Option<&str>) {
    if image.contains('@') {
        return (image, None);
    }
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => {
            (&image[..colon], Some(&image[colon + 1..]))
        }
        _ => (image, None),
    }
}

impl DockerEngine {
    pub(super) async fn has_image(&self, image: &str) -> Result<bool> {
        let operation = format!("inspect image {image}");
        match self
            .call(
                &operation,
                image,
                self.timeouts.call,
                self.docker.inspect_image(image),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(EngineError::NotFound { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// `docker pull`; without a tag, `latest` (Docker would pull every tag).
    pub(super) async fn pull(&self, image: &str) -> Result<()> {
        let (repo, tag) = split_image_ref(image);
        let options = CreateImageOptions {
            from_image: Some(repo.to_string()),
            tag: if image.contains('@') {
                None
            } else {
                Some(tag.unwrap_or("latest").to_string())
            },
            ..Default::default()
        };
        let stream = self.docker.create_image(Some(options), None, None);
        self.drain(&format!("cannot pull image {image}"), stream)
            .await
    }

    /// `docker import - image` with `changes`, the tar as the request body.
    pub(super) async fn import(
        &self,
        rootfs_tar: Vec<u8>,
        image: &str,
        changes: &[String],
    ) -> Result<()> {
        let (repo, tag) = split_image_ref(image);
        let options = CreateImageOptions {
            from_src: Some("-".to_string()),
            repo: Some(repo.to_string()),
            tag: Some(tag.unwrap_or("latest").to_string()),
            changes: changes.to_vec(),
            ..Default::default()
        };
        let body = bollard::body_full(rootfs_tar.into());
        let stream = self.docker.create_image(Some(options), Some(body), None);
        self.drain(&format!("cannot import image {image}"), stream)
            .await
    }

    /// Reads a progress stream to its end within the image timeout; the
    /// first error in it fails the operation.
    async fn drain<T>(
        &self,
        operation: &str,
        mut stream: impl futures_util::Stream<Item = std::result::Result<T, bollard::errors::Error>>
            + Unpin,
    ) -> Result<()> {
        use bollard::errors::Error as DockerError;
        let read = async {
            while let Some(item) = stream.next().await {
                // Keep Docker's words even for a 404 ("repository does not exist").
                item.map_err(|error| match error {
                    DockerError::DockerResponseServerError { message, .. } => {
                        DockerError::DockerStreamError { error: message }
                    }
                    other => other,
                })?;
            }
            Ok(())
        };
        self.call(operation, operation, self.timeouts.image, read)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::split_image_ref;

    #[test]
    fn image_references_split_into_repo_and_tag() {
        assert_eq!(split_image_ref("busybox"), ("busybox", None));
        assert_eq!(split_image_ref("busybox:1.36"), ("busybox", Some("1.36")));
        assert_eq!(
            split_image_ref("localhost:5000/app"),
            ("localhost:5000/app", None)
        );
        assert_eq!(
            split_image_ref("localhost:5000/app:v2"),
            ("localhost:5000/app", Some("v2"))
        );
        assert_eq!(split_image_ref("app@sha256:abc"), ("app@sha256:abc", None));
    }
}
