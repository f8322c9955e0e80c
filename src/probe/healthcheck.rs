//! A container's liveness probe as its Docker `HEALTHCHECK`, where Docker
//! can express it, so it keeps being checked while berth is not running.

use std::time::Duration;

use crate::engine::Healthcheck;
use crate::manifest::{Container, ProbeHandler};

/// The `HEALTHCHECK` of `c`: its liveness probe when that runs a command
/// (`exec` → `CMD` exec form). `httpGet` and `tcpSocket` would need a
/// client in the image, which berth cannot assume: those are probed by
/// berth alone. Docker counts no failures before `start_period`: the
/// initial delay, plus the longest a startup probe may take (Docker has no
/// startup probe to hold liveness back).
pub fn healthcheck(c: &Container) -> Option<Healthcheck> {
    let live = c.liveness_probe.as_ref()?;
    let ProbeHandler::Exec { command } = &live.handler else {
        return None;
    };
    let startup = c.startup_probe.as_ref().map_or(0, |s| {
        u64::from(s.initial_delay_seconds)
            + u64::from(s.period_seconds) * u64::from(s.failure_threshold)
    });
    Some(Healthcheck {
        command: command.clone(),
        interval: Duration::from_secs(live.period_seconds.into()),
        timeout: Duration::from_secs(live.timeout_seconds.into()),
        retries: live.failure_threshold,
        start_period: Duration::from_secs(u64::from(live.initial_delay_seconds) + startup),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::objects::fixtures::container;
    use crate::manifest::{Probe, ProbePort};

    fn exec(words: &[&str]) -> Probe {
        Probe::new(ProbeHandler::Exec {
            command: words.iter().map(|w| w.to_string()).collect(),
        })
    }

    #[test]
    fn an_exec_liveness_probe_becomes_the_healthcheck_with_its_timings() {
        let mut c = container("app");
        let mut probe = exec(&["test", "-f", "/tmp/alive"]);
        probe.initial_delay_seconds = 4;
        probe.period_seconds = 2;
        probe.failure_threshold = 5;
        c.liveness_probe = Some(probe);
        let check = healthcheck(&c).expect("a healthcheck");
        assert_eq!(check.command, ["test", "-f", "/tmp/alive"]);
        assert_eq!(check.interval, Duration::from_secs(2));
        assert_eq!(check.timeout, Duration::from_secs(1));
        assert_eq!(check.retries, 5);
        assert_eq!(check.start_period, Duration::from_secs(4));
    }

    #[test]
    fn a_startup_probe_lengthens_the_start_period_by_its_longest_run() {
        let mut c = container("app");
        c.liveness_probe = Some(exec(&["true"]));
        let mut startup = exec(&["true"]);
        startup.period_seconds = 3;
        startup.failure_threshold = 10;
        c.startup_probe = Some(startup);
        assert_eq!(
            healthcheck(&c).unwrap().start_period,
            Duration::from_secs(30)
        );
    }

    #[test]
    fn network_probes_and_readiness_make_no_healthcheck() {
        let mut c = container("app");
        c.readiness_probe = Some(exec(&["true"]));
        assert_eq!(healthcheck(&c), None);
        c.liveness_probe = Some(Probe::new(ProbeHandler::TcpSocket {
            port: ProbePort::Number(80),
            port_number: 80,
        }));
        assert_eq!(healthcheck(&c), None);
    }
}
