//! Container probes at run time: the pure rules (Kubernetes' threshold
//! counting, which probe runs when, what readiness a container has), one
//! probe's check against the engine or the pod's IP (`check`), the
//! liveness probe as a Docker `HEALTHCHECK` (`healthcheck`), the probe
//! targets read from observed pods (`targets`), and the results shared
//! with one-shot commands (`store`). The watch loop drives them
//! (`watch::probes`).

pub mod check;
pub mod healthcheck;
pub mod oneshot;
pub mod prober;
pub mod store;
pub mod targets;
pub mod worker;

pub use check::{check, Outcome};
pub use healthcheck::healthcheck;
pub use store::{ProbeEvent, ProbeFacts};
pub use targets::{targets, Target};
pub use worker::{Counter, ProbeResult};
