//! The API's one shared store: every object of the latest snapshot with the
//! generation at which it last changed (its `resourceVersion`), and a
//! bounded history of changes so that a watcher resuming from an older
//! `resourceVersion` gets what it missed. Brought up to date at most once
//! per published snapshot, by whichever request sees the snapshot first.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::manifest::Labels;
use crate::snapshot::Snapshot;

use super::build::{self, object_labels};
use super::resource::ApiResource;

/// How many changes the history keeps.
pub const HISTORY_LIMIT: usize = 4096;

/// One object as last built, without its `resourceVersion`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    /// The generation at which it last changed.
    pub rv: u64,
    body: Value,
}

impl Stored {
    fn new(body: Value, rv: u64) -> Stored {
        let text = |key: &str| {
            body["metadata"][key]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        Stored {
            namespace: text("namespace"),
            name: text("name"),
            labels: object_labels(&body),
            rv,
            body,
        }
    }

    #[cfg(test)]
    pub fn for_test(body: Value) -> Stored {
        Stored::new(body, 1)
    }

    /// The object with `metadata.resourceVersion`.
    pub fn json(&self) -> Value {
        let mut value = self.body.clone();
        value["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        value
    }
}

/// One change of one object; `old` and `new` are its states before and
/// after (`None`: it did not exist).
#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub resource: ApiResource,
    pub old: Option<Arc<Stored>>,
    pub new: Option<Arc<Stored>>,
}

/// A watch asked to resume from a version the history no longer covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    pub requested: u64,
    /// The oldest version a watch may resume from.
    pub oldest: u64,
    /// The newest version.
    pub current: u64,
}

type Key = (String, String);

#[derive(Debug)]
pub struct Store {
    /// How many changes `history` keeps.
    limit: usize,
    /// The generation of the snapshot the store reflects.
    generation: u64,
    synced: bool,
    objects: BTreeMap<ApiResource, BTreeMap<Key, Arc<Stored>>>,
    history: VecDeque<Change>,
    /// Every change after this version is in `history`.
    oldest: u64,
}

impl Default for Store {
    fn default() -> Store {
        Store::with_limit(HISTORY_LIMIT)
    }
}

impl Store {
    pub fn with_limit(limit: usize) -> Store {
        Store {
            limit,
            generation: 0,
            synced: false,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            oldest: 0,
        }
    }

    /// The `resourceVersion` of lists: the generation of the snapshot.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Brings the store to `snapshot` (nothing to do when it already is).
    /// A generation lower than the current one (a restarted loop) starts
    /// the history afresh.
    pub fn sync(&mut self, snapshot: &Snapshot) {
        if self.synced && snapshot.generation == self.generation {
            return;
        }
        let restart = !self.synced || snapshot.generation < self.generation;
        let generation = snapshot.generation;
        let mut built = build::objects(snapshot);
        for resource in ApiResource::ALL {
            let values = built.remove(&resource).unwrap_or_default();
            let old = self.objects.remove(&resource).unwrap_or_default();
            let new = self.merge(resource, old, values, generation, restart);
            self.objects.insert(resource, new);
        }
        if restart {
            self.history.clear();
            self.oldest = generation;
        }
        while self.history.len() > self.limit {
            if let Some(change) = self.history.pop_front() {
                self.oldest = change.rv;
            }
        }
        self.generation = generation;
        self.synced = true;
    }

    /// The new objects of `resource`: unchanged ones keep their version,
    /// changed, new and gone ones are recorded in the history.
    fn merge(
        &mut self,
        resource: ApiResource,
        mut old: BTreeMap<Key, Arc<Stored>>,
        values: Vec<Value>,
        generation: u64,
        restart: bool,
    ) -> BTreeMap<Key, Arc<Stored>> {
        let mut new = BTreeMap::new();
        for value in values {
            let fresh = Stored::new(value, generation);
            let key = (fresh.namespace.clone(), fresh.name.clone());
            let before = old.remove(&key);
            let stored = match before {
                Some(before) if before.body == fresh.body => before,
                before => {
                    let stored = Arc::new(fresh);
                    if !restart {
                        self.record(resource, before, Some(stored.clone()), generation);
                    }
                    stored
                }
            };
            new.insert(key, stored);
        }
        if !restart {
            for (_, gone) in old {
                self.record(resource, Some(gone), None, generation);
            }
        }
        new
    }

    fn record(
        &mut self,
        resource: ApiResource,
        old: Option<Arc<Stored>>,
        new: Option<Arc<Stored>>,
        rv: u64,
    ) {
        self.history.push_back(Change {
            rv,
            resource,
            old,
            new,
        });
    }

    /// The objects of `resource` (in `namespace` when given), by
    /// (namespace, name).
    pub fn list(&self, resource: ApiResource, namespace: Option<&str>) -> Vec<Arc<Stored>> {
        self.objects
            .get(&resource)
            .into_iter()
            .flat_map(|objects| objects.values())
            .filter(|o| namespace.is_none_or(|ns| ns == o.namespace))
            .cloned()
            .collect()
    }

    pub fn get(&self, resource: ApiResource, namespace: &str, name: &str) -> Option<Arc<Stored>> {
        self.objects
            .get(&resource)?
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// The changes of `resource` after version `since`, oldest first. A
    /// version the history no longer covers has expired, and so has one
    /// from the future (a version of an earlier `watch`): the client lists
    /// again.
    pub fn changes_since(&self, resource: ApiResource, since: u64) -> Result<Vec<Change>, Expired> {
        if since < self.oldest || since > self.generation {
            return Err(Expired {
                requested: since,
                oldest: self.oldest,
                current: self.generation,
            });
        }
        Ok(self
            .history
            .iter()
            .filter(|c| c.rv > since && c.resource == resource)
            .cloned()
            .collect())
    }
}
