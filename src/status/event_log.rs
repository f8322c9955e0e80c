//! The bounded in-memory log of events Docker cannot tell again (image
//! pulls, scheduling), aggregated like the Kubernetes event recorder does.

use super::events::{aggregate, Event};

/// Events Docker cannot tell again (image pulls, scheduling), bounded: the
/// least recently seen goes first when full.
#[derive(Debug, Clone)]
pub struct EventLog {
    events: Vec<Event>,
    capacity: usize,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog::new()
    }
}

impl EventLog {
    pub const CAPACITY: usize = 1000;

    pub fn new() -> EventLog {
        EventLog::with_capacity(EventLog::CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> EventLog {
        EventLog {
            events: Vec::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records `event`, counting it into an identical one when there is one.
    pub fn record(&mut self, event: Event) {
        if let Some(existing) = self.events.iter_mut().find(|e| e.same_as(&event)) {
            existing.absorb(&event);
            return;
        }
        if self.events.len() >= self.capacity {
            let oldest = (0..self.events.len()).min_by_key(|&i| (self.events[i].last_seen, i));
            if let Some(oldest) = oldest {
                self.events.remove(oldest);
            }
        }
        self.events.push(event);
    }

    /// Every event, by `last_seen`.
    pub fn list(&self) -> Vec<Event> {
        aggregate(self.events.iter().cloned())
    }

    /// The events of one object (`pod/web`) of a namespace, by `last_seen`.
    pub fn for_object(&self, namespace: &str, object: &str) -> Vec<Event> {
        aggregate(
            self.events
                .iter()
                .filter(|e| e.namespace == namespace && e.object == object)
                .cloned(),
        )
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}
