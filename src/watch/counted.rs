//! An engine that counts its calls by kind, for `/metrics`
//! (`berth_docker_calls_total{kind}`): every call passes straight through.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::BoxStream;

use crate::engine::{
    ContainerConfig, ContainerDetails, ContainerSummary, Engine, EngineEvent, Result,
};

/// The kinds counted, in the order of the counters.
pub const KINDS: [&str; 16] = [
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
];

/// Calls made so far, by kind.
#[derive(Debug, Default)]
pub struct CallCounts([AtomicU64; KINDS.len()]);

impl CallCounts {
    fn add(&self, kind: usize) {
        self.0[kind].fetch_add(1, Ordering::Relaxed);
    }

    /// The counts by kind name (every kind, zeros included).
    pub fn read(&self) -> BTreeMap<&'static str, u64> {
        KINDS
            .iter()
            .zip(&self.0)
            .map(|(k, n)| (*k, n.load(Ordering::Relaxed)))
            .collect()
    }
}

/// `inner`, counting.
#[derive(Debug)]
pub struct Counted<E> {
    inner: Arc<E>,
    counts: Arc<CallCounts>,
}

impl<E> Counted<E> {
    pub fn new(inner: Arc<E>, counts: Arc<CallCounts>) -> Counted<E> {
        Counted { inner, counts }
    }

    fn count<T>(&self, kind: usize, call: T) -> T {
        self.counts.add(kind);
        call
    }
}

impl<E: Engine> Engine for Counted<E> {
    fn endpoint(&self) -> String {
        self.inner.endpoint()
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
        self.count(2, self.inner.create_container(config))
    }

    fn start_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send {
        self.count(3, self.inner.start_container(id))
    }

    fn stop_container(
        &self,
        id: &str,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<()>> + Send {
        self.count(4, self.inner.stop_container(id, timeout))
    }

    fn remove_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send {
        self.count(5, self.inner.remove_container(id))
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
    ) -> impl Future<Output = Result<()>> + Send {
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
        let counts = Arc::new(CallCounts::default());
        let engine = Counted::new(fake.clone(), counts.clone());
        engine.list_containers(&[]).await.unwrap();
        engine.list_containers(&[]).await.unwrap();
        assert!(engine.inspect_container("nope").await.is_err());
        let read = counts.read();
        assert_eq!(read["list_containers"], 2);
        assert_eq!(read["inspect_container"], 1);
        assert_eq!(read["create_container"], 0);
        assert_eq!(fake.calls().len(), 3);
    }
}
