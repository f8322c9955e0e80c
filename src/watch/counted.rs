//! An engine that keeps a ledger of its calls: counts by kind, for
//! `/metrics` (`berth_docker_calls_total{kind}`), and berth's own recent
//! container changes, so that the Docker events they cause (a start, a
//! removal) are known as echoes and do not wake the loop again. Every call
//! passes straight through.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::BoxStream;

use crate::engine::{
    ContainerConfig, ContainerDetails, ContainerSummary, Engine, EngineEvent, EngineInfo, Result,
};

/// The kinds counted, in the order of the counters.
pub const KINDS: [&str; 20] = [
    "list_containers",
    "inspect_container",
    "create_container",
    "start_container",
    "stop_container",
    "remove_container",
    "list_networks",
    "create_network",
    "remove_network",
    "list_volumes",
    "create_volume",
    "remove_volume",
    "image_exists",
    "pull_image",
    "import_image",
    "events",
    "info",
    "upload_archive",
    "download_archive",
    "exec",
];

/// How long after berth's own change of a container an event about it is
/// taken as the echo of that change.
const ECHO_WINDOW: Duration = Duration::from_secs(2);

/// The Docker event actions each of berth's own changes causes.
fn echoes(kind: usize) -> &'static [&'static str] {
    match kind {
        2 => &["create"],
        3 => &["start"],
        4 => &["kill", "die", "stop"],
        5 => &["kill", "die", "stop", "destroy"],
        _ => &[],
    }
}

/// Calls made so far, by kind, and berth's own recent container changes.
#[derive(Debug, Default)]
pub struct Ledger {
    counts: [AtomicU64; KINDS.len()],
    /// (container id, call kind, until when its events are echoes).
    own: Mutex<VecDeque<(String, usize, Instant)>>,
}

impl Ledger {
    fn add(&self, kind: usize) {
        self.counts[kind].fetch_add(1, Ordering::Relaxed);
    }

    /// Notes a change berth makes (or just made) to container `id`.
    fn own(&self, id: &str, kind: usize) {
        let now = Instant::now();
        let mut own = self.own.lock().unwrap_or_else(|e| e.into_inner());
        while own.front().is_some_and(|(_, _, until)| *until < now) {
            own.pop_front();
        }
        own.push_back((id.to_string(), kind, now + ECHO_WINDOW));
    }

    /// Whether Docker's `action` on container `id` is the echo of a change
    /// berth made to it moments ago.
    pub fn is_echo(&self, id: &str, action: &str) -> bool {
        let now = Instant::now();
        let own = self.own.lock().unwrap_or_else(|e| e.into_inner());
        own.iter().any(|(owned, kind, until)| {
            *until >= now && owned == id && echoes(*kind).contains(&action)
        })
    }

    /// The counts by kind name (every kind, zeros included).
    pub fn read(&self) -> BTreeMap<&'static str, u64> {
        KINDS
            .iter()
            .zip(&self.counts)
            .map(|(k, n)| (*k, n.load(Ordering::Relaxed)))
            .collect()
    }
}

/// `inner`, keeping the ledger.
#[derive(Debug)]
pub struct Counted<E> {
    inner: Arc<E>,
    ledger: Arc<Ledger>,
}

impl<E> Counted<E> {
    pub fn new(inner: Arc<E>, ledger: Arc<Ledger>) -> Counted<E> {
        Counted { inner, ledger }
    }

    fn count<T>(&self, kind: usize, call: T) -> T {
        self.ledger.add(kind);
        call
    }

    /// Counts a change of container `id`, noted before it is asked for and
    /// again when it is done (a stop may take its grace period).
    async fn change<T>(&self, kind: usize, id: &str, call: impl Future<Output = T>) -> T {
        self.ledger.add(kind);
        self.ledger.own(id, kind);
        let result = call.await;
        self.ledger.own(id, kind);
        result
    }
}

impl<E: Engine> Engine for Counted<E> {
    fn endpoint(&self) -> String {
        self.inner.endpoint()
    }

    fn info(&self) -> impl Future<Output = Result<EngineInfo>> + Send {
        self.count(16, self.inner.info())
    }

    fn list_containers(
        &self,
        labels: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<ContainerSummary>>> + Send {
        self.count(0, self.inner.list_containers(labels))
    }

    fn inspect_container(&self, id: &str) -> impl Future<Output = Result<ContainerDetails>> + Send {
        self.count(1, self.inner.inspect_container(id))
    }

    fn create_container(
        &self,
        config: &ContainerConfig,
    ) -> impl Future<Output = Result<String>> + Send {
        let call = self.count(2, self.inner.create_container(config));
        let ledger = self.ledger.clone();
        async move {
            let created = call.await;
            if let Ok(id) = &created {
                ledger.own(id, 2);
            }
            created
        }
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        self.change(3, id, self.inner.start_container(id)).await
    }

    async fn stop_container(&self, id: &str, timeout: Option<Duration>) -> Result<()> {
        self.change(4, id, self.inner.stop_container(id, timeout))
            .await
    }

    async fn remove_container(&self, id: &str) -> Result<()> {
        self.change(5, id, self.inner.remove_container(id)).await
    }

    fn list_networks(
        &self,
        labels: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<(String, BTreeMap<String, String>)>>> + Send {
        self.count(6, self.inner.list_networks(labels))
    }

    fn create_network(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<()>> + Send {
        self.count(7, self.inner.create_network(name, labels))
    }

    fn remove_network(&self, name: &str) -> impl Future<Output = Result<()>> + Send {
        self.count(8, self.inner.remove_network(name))
    }

    fn list_volumes(
        &self,
        labels: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<String>>> + Send {
        self.count(9, self.inner.list_volumes(labels))
    }

    fn create_volume(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<String>> + Send {
        self.count(10, self.inner.create_volume(name, labels))
    }

    fn remove_volume(&self, name: &str) -> impl Future<Output = Result<()>> + Send {
        self.count(11, self.inner.remove_volume(name))
    }

    fn image_exists(&self, image: &str) -> impl Future<Output = Result<bool>> + Send {
        self.count(12, self.inner.image_exists(image))
    }

    fn pull_image(&self, image: &str) -> impl Future<Output = Result<()>> + Send {
        self.count(13, self.inner.pull_image(image))
    }

    fn import_image(
        &self,
        rootfs_tar: Vec<u8>,
        image: &str,
        changes: &[String],
    ) -> impl Future<Output = Result<()>> + Send {
        self.count(14, self.inner.import_image(rootfs_tar, image, changes))
    }

    fn container_events(
        &self,
        since: i64,
        until: i64,
        labels: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<EngineEvent>>> + Send {
        self.count(15, self.inner.container_events(since, until, labels))
    }

    fn upload_archive(
        &self,
        id: &str,
        path: &str,
        tar: Vec<u8>,
    ) -> impl Future<Output = Result<()>> + Send {
        self.count(17, self.inner.upload_archive(id, path, tar))
    }

    fn download_archive(
        &self,
        id: &str,
        path: &str,
    ) -> impl Future<Output = Result<Vec<u8>>> + Send {
        self.count(18, self.inner.download_archive(id, path))
    }

    fn exec(
        &self,
        id: &str,
        cmd: &[String],
        working_dir: &str,
    ) -> impl Future<Output = Result<i64>> + Send {
        self.count(19, self.inner.exec(id, cmd, working_dir))
    }

    fn event_stream(
        &self,
        labels: &[(String, String)],
        actions: &[&str],
    ) -> BoxStream<'static, Result<EngineEvent>> {
        self.count(15, self.inner.event_stream(labels, actions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FakeEngine;

    #[tokio::test]
    async fn every_call_is_counted_by_kind_and_passed_through() {
        let fake = Arc::new(FakeEngine::new());
        let counts = Arc::new(Ledger::default());
        let engine = Counted::new(fake.clone(), counts.clone());
        engine.list_containers(&[]).await.unwrap();
        engine.list_containers(&[]).await.unwrap();
        assert!(engine.inspect_container("nope").await.is_err());
        engine.info().await.unwrap();
        let read = counts.read();
        assert_eq!(read["list_containers"], 2);
        assert_eq!(read["inspect_container"], 1);
        assert_eq!(read["create_container"], 0);
        assert_eq!(read["info"], 1);
        assert_eq!(fake.calls().len(), 4);
    }

    #[tokio::test]
    async fn events_of_berths_own_changes_are_echoes_and_others_are_not() {
        let fake = Arc::new(FakeEngine::new());
        fake.add_image("img");
        let ledger = Arc::new(Ledger::default());
        let engine = Counted::new(fake.clone(), ledger.clone());
        let id = engine
            .create_container(&ContainerConfig::new("c", "img"))
            .await
            .unwrap();
        engine.start_container(&id).await.unwrap();
        assert!(ledger.is_echo(&id, "create"));
        assert!(ledger.is_echo(&id, "start"));
        // The container dying on its own is no echo of a start.
        assert!(!ledger.is_echo(&id, "die"));
        assert!(!ledger.is_echo("someone-elses", "start"));
        engine.remove_container(&id).await.unwrap();
        assert!(ledger.is_echo(&id, "destroy"));
    }
}
