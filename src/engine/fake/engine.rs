//! The `Engine` trait on the fake: every call recorded, then carried out on
//! the in-memory state with Docker's rules (name conflicts, missing images,
//! joining a stopped container's network fails).

use std::collections::BTreeMap;
use std::time::Duration;

use super::{files, has_labels, not_found, Call, FakeContainer, FakeEngine};
use crate::engine::{
    ContainerConfig, ContainerDetails, ContainerState, ContainerSummary, Engine, EngineError,
    EngineEvent, EngineInfo, Result,
};

impl Engine for FakeEngine {
    fn endpoint(&self) -> String {
        "fake://".to_string()
    }

    async fn info(&self) -> Result<EngineInfo> {
        self.begin(Call::Info)?;
        Ok(self.info_now())
    }

    async fn list_containers(&self, labels: &[(String, String)]) -> Result<Vec<ContainerSummary>> {
        self.begin(Call::List)?;
        let s = self.lock();
        Ok(s.containers
            .values()
            .filter(|c| has_labels(&c.config.labels, labels))
            .map(FakeContainer::summary)
            .collect())
    }

    async fn inspect_container(&self, id: &str) -> Result<ContainerDetails> {
        self.begin(Call::Inspect { id: id.to_string() })?;
        let s = self.lock();
        s.containers
            .get(id)
            .map(FakeContainer::details)
            .ok_or_else(|| not_found("inspect container", id))
    }

    async fn create_container(&self, config: &ContainerConfig) -> Result<String> {
        self.begin(Call::Create {
            name: config.name.clone(),
        })?;
        {
            let s = self.lock();
            if s.containers.values().any(|c| c.config.name == config.name) {
                return Err(EngineError::Api {
                    operation: "create container".to_string(),
                    message: format!(
                        "Conflict. The container name \"/{}\" is already in use",
                        config.name
                    ),
                });
            }
            if !s.images.contains(&config.image) {
                return Err(not_found(
                    "create container",
                    &format!("No such image: {}", config.image),
                ));
            }
        }
        Ok(self.insert(config.clone(), ContainerState::Created))
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        self.begin(Call::Start { id: id.to_string() })?;
        let mut s = self.lock();
        let joined = s
            .containers
            .get(id)
            .and_then(|c| c.config.network_mode.clone());
        if let Some(target) = joined.as_deref().and_then(|m| m.strip_prefix("container:")) {
            let running = s
                .containers
                .get(target)
                .is_some_and(|c| c.state == ContainerState::Running);
            if !running {
                return Err(EngineError::Api {
                    operation: "start container".to_string(),
                    message: format!("cannot join network of a non running container: {target}"),
                });
            }
        }
        let crashing = s.crashing.clone();
        let c = s
            .containers
            .get_mut(id)
            .ok_or_else(|| not_found("start container", id))?;
        c.state = ContainerState::Running;
        if crashing.contains(&c.config.image) {
            c.state = ContainerState::Restarting;
            c.exit_code = 1;
            c.restart_count += 1;
        }
        drop(s);
        self.emit_about(id, &["start"]);
        Ok(())
    }

    async fn stop_container(&self, id: &str, _timeout: Option<Duration>) -> Result<()> {
        self.begin(Call::Stop { id: id.to_string() })?;
        let mut s = self.lock();
        let c = s
            .containers
            .get_mut(id)
            .ok_or_else(|| not_found("stop container", id))?;
        if c.state == ContainerState::Running || c.state == ContainerState::Restarting {
            c.state = ContainerState::Exited;
            c.exit_code = 137;
            drop(s);
            self.emit_about(id, &["die", "stop"]);
        }
        Ok(())
    }

    async fn remove_container(&self, id: &str) -> Result<()> {
        self.begin(Call::Remove { id: id.to_string() })?;
        self.emit_about(id, &["destroy"]);
        let mut s = self.lock();
        s.containers.remove(id);
        s.own_files.remove(id);
        Ok(())
    }

    async fn list_networks(
        &self,
        labels: &[(String, String)],
    ) -> Result<Vec<(String, BTreeMap<String, String>)>> {
        self.begin(Call::ListNetworks)?;
        let s = self.lock();
        Ok(s.networks
            .iter()
            .filter(|(_, l)| has_labels(l, labels))
            .map(|(n, l)| (n.clone(), l.clone()))
            .collect())
    }

    async fn create_network(&self, name: &str, labels: &BTreeMap<String, String>) -> Result<()> {
        self.begin(Call::CreateNetwork {
            name: name.to_string(),
        })?;
        let mut s = self.lock();
        if s.networks.contains_key(name) {
            return Err(EngineError::Api {
                operation: "create network".to_string(),
                message: format!("network with name {name} already exists"),
            });
        }
        s.networks.insert(name.to_string(), labels.clone());
        Ok(())
    }

    async fn remove_network(&self, name: &str) -> Result<()> {
        self.begin(Call::RemoveNetwork {
            name: name.to_string(),
        })?;
        let mut s = self.lock();
        let in_use = s
            .containers
            .values()
            .any(|c| c.config.network.as_ref().is_some_and(|(n, _)| n == name));
        if !in_use {
            s.networks.remove(name);
        }
        Ok(())
    }

    async fn list_volumes(&self, labels: &[(String, String)]) -> Result<Vec<String>> {
        self.begin(Call::ListVolumes)?;
        let s = self.lock();
        Ok(s.volumes
            .iter()
            .filter(|(_, l)| has_labels(l, labels))
            .map(|(n, _)| n.clone())
            .collect())
    }

    async fn create_volume(&self, name: &str, labels: &BTreeMap<String, String>) -> Result<String> {
        self.begin(Call::CreateVolume {
            name: name.to_string(),
        })?;
        self.lock()
            .volumes
            .entry(name.to_string())
            .or_insert_with(|| labels.clone());
        Ok(format!("{}/{name}/_data", super::VOLUME_ROOT))
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.begin(Call::RemoveVolume {
            name: name.to_string(),
        })?;
        let mut s = self.lock();
        s.volumes.remove(name);
        s.volume_files.remove(name);
        Ok(())
    }

    async fn upload_archive(&self, id: &str, path: &str, tar: Vec<u8>) -> Result<()> {
        self.begin(Call::Upload {
            id: id.to_string(),
            path: path.to_string(),
        })?;
        let entries = files::read_tar(&tar)?;
        let mut s = self.lock();
        let config = s
            .containers
            .get(id)
            .map(|c| c.config.clone())
            .ok_or_else(|| not_found("write files", id))?;
        // Each entry lands where its own full path does (a volume or the
        // container's own file system).
        for (rel, file) in entries {
            let full = format!("{}/{rel}", path.trim_end_matches('/'));
            let (tree, at) = match files::place(&config, &full) {
                files::Place::Volume(v, at) => (s.volume_files.entry(v).or_default(), at),
                files::Place::Own(at) => (s.own_files.entry(id.to_string()).or_default(), at),
            };
            files::extract(tree, "", vec![(at, file)]);
        }
        Ok(())
    }

    async fn download_archive(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        self.begin(Call::Download {
            id: id.to_string(),
            path: path.to_string(),
        })?;
        let s = self.lock();
        let config = s
            .containers
            .get(id)
            .map(|c| c.config.clone())
            .ok_or_else(|| not_found("read files", id))?;
        let empty = files::Tree::new();
        match files::place(&config, path) {
            files::Place::Volume(v, at) => {
                files::archive(s.volume_files.get(&v).unwrap_or(&empty), &at)
            }
            files::Place::Own(at) => files::archive(s.own_files.get(id).unwrap_or(&empty), &at),
        }
    }

    async fn exec(&self, id: &str, cmd: &[String], working_dir: &str) -> Result<i64> {
        self.begin(Call::Exec {
            id: id.to_string(),
            cmd: cmd.to_vec(),
        })?;
        let mut s = self.lock();
        let Some(c) = s.containers.get(id).cloned() else {
            return Err(not_found("exec", id));
        };
        if c.state != ContainerState::Running {
            return Err(EngineError::Api {
                operation: "exec".to_string(),
                message: format!("Container {id} is not running"),
            });
        }
        let program = cmd.first().map(String::as_str).unwrap_or_default();
        let has_program = s
            .own_files
            .get(id)
            .is_some_and(|t| t.contains_key(&files::normalize(program)));
        if program != "/.berth-swap" || !has_program {
            return Ok(127);
        }
        let (tree, base) = match files::place(&c.config, working_dir) {
            files::Place::Volume(v, at) => (s.volume_files.entry(v).or_default(), at),
            files::Place::Own(at) => (s.own_files.entry(id.to_string()).or_default(), at),
        };
        Ok(files::swap(tree, &base, &cmd[1..]))
    }

    async fn image_exists(&self, image: &str) -> Result<bool> {
        self.begin(Call::ImageExists {
            image: image.to_string(),
        })?;
        Ok(self.lock().images.contains(image))
    }

    async fn pull_image(&self, image: &str) -> Result<()> {
        self.begin(Call::Pull {
            image: image.to_string(),
        })?;
        let mut s = self.lock();
        if !s.registry.contains(image) {
            return Err(EngineError::Api {
                operation: "pull image".to_string(),
                message: format!("pull access denied for {image}, repository does not exist"),
            });
        }
        s.images.insert(image.to_string());
        Ok(())
    }

    async fn import_image(
        &self,
        _rootfs_tar: Vec<u8>,
        image: &str,
        _changes: &[String],
    ) -> Result<()> {
        self.begin(Call::Import {
            image: image.to_string(),
        })?;
        self.lock().images.insert(image.to_string());
        Ok(())
    }

    async fn container_events(
        &self,
        _since: i64,
        _until: i64,
        _labels: &[(String, String)],
    ) -> Result<Vec<EngineEvent>> {
        self.begin(Call::Events)?;
        Ok(Vec::new())
    }

    fn event_stream(
        &self,
        labels: &[(String, String)],
        actions: &[&str],
    ) -> futures_util::stream::BoxStream<'static, Result<EngineEvent>> {
        self.subscribe(labels, actions)
    }
}
