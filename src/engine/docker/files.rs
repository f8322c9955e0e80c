//! Files inside containers: `docker cp` in and out (the archive endpoint),
//! and running a program in a running container (exec), for the files
//! berth keeps in a pod's ConfigMap, Secret and downward API volumes.

use bollard::exec::StartExecOptions;
use bollard::models::ExecConfig;
use bollard::query_parameters::{DownloadFromContainerOptions, UploadToContainerOptions};
use futures_util::StreamExt;

use super::DockerEngine;
use crate::engine::{EngineError, Result};

impl DockerEngine {
    pub(super) async fn upload(&self, id: &str, path: &str, tar: Vec<u8>) -> Result<()> {
        let options = UploadToContainerOptions {
            path: path.to_string(),
            ..Default::default()
        };
        let body = bollard::body_full(tar.into());
        let request = self.docker.upload_to_container(id, Some(options), body);
        self.call(
            &format!("write files into container {id} at {path}"),
            &format!("container {id} path {path}"),
            self.timeouts.call,
            request,
        )
        .await
    }

    pub(super) async fn download(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        let options = DownloadFromContainerOptions {
            path: path.to_string(),
        };
        let mut stream = self.docker.download_from_container(id, Some(options));
        let collect = async move {
            let mut out = Vec::new();
            while let Some(chunk) = stream.next().await {
                out.extend_from_slice(&chunk?);
            }
            Ok(out)
        };
        self.call(
            &format!("read files of container {id} at {path}"),
            &format!("container {id} path {path}"),
            self.timeouts.call,
            collect,
        )
        .await
    }

    pub(super) async fn run(&self, id: &str, cmd: &[String], working_dir: &str) -> Result<i64> {
        let operation = format!("exec {} in container {id}", cmd.join(" "));
        let config = ExecConfig {
            cmd: Some(cmd.to_vec()),
            working_dir: Some(working_dir.to_string()),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        let docker = &self.docker;
        let run = async move {
            let exec = docker.create_exec(id, config).await?;
            let options = StartExecOptions {
                detach: false,
                ..Default::default()
            };
            // Attached: the call returns once the program is done and its
            // (discarded) output has been read to the end.
            if let bollard::exec::StartExecResults::Attached { mut output, .. } =
                docker.start_exec(&exec.id, Some(options)).await?
            {
                while let Some(item) = output.next().await {
                    item?;
                }
            }
            docker.inspect_exec(&exec.id).await
        };
        let inspected = self
            .call(
                &operation,
                &format!("container {id}"),
                self.timeouts.call,
                run,
            )
            .await?;
        match (inspected.running, inspected.exit_code) {
            (Some(false) | None, Some(code)) => Ok(code),
            _ => Err(EngineError::Api {
                operation,
                message: "the program's exit code is not known".to_string(),
            }),
        }
    }
}
