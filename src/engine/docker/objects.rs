//! Containers, networks and volumes on the Docker engine.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::models::{
    ContainerInspectResponse, EndpointSettings, NetworkCreateRequest, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptions, ListContainersOptions, ListNetworksOptions, ListVolumesOptions,
    RemoveContainerOptions, RemoveVolumeOptions, StopContainerOptions,
};

use super::{btree, label_filters, tolerate, DockerEngine};
use crate::engine::{
    ContainerConfig, ContainerDetails, ContainerState, ContainerSummary, EngineError, Result,
};

impl DockerEngine {
    pub(super) async fn containers(
        &self,
        labels: &[(String, String)],
    ) -> Result<Vec<ContainerSummary>> {
        let options = ListContainersOptions {
            all: true,
            filters: Some(label_filters(labels)),
            ..Default::default()
        };
        let rows = self
            .call(
                "list containers",
                "containers",
                self.timeouts.call,
                self.docker.list_containers(Some(options)),
            )
            .await?;
        let summary = |row: bollard::models::ContainerSummary| ContainerSummary {
            id: row.id.unwrap_or_default(),
            name: row
                .names
                .unwrap_or_default()
                .first()
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            image: row.image.unwrap_or_default(),
            labels: btree(row.labels),
            state: ContainerState::parse(&row.state.map(|s| s.to_string()).unwrap_or_default()),
            created: row.created.unwrap_or(0),
        };
        Ok(rows.into_iter().map(summary).collect())
    }

    pub(super) async fn inspect(&self, id: &str) -> Result<ContainerDetails> {
        let operation = format!("inspect container {id}");
        let request = self.docker.inspect_container(id, None);
        let response = self
            .call(
                &operation,
                &format!("container {id}"),
                self.timeouts.call,
                request,
            )
            .await?;
        Ok(details(response))
    }

    pub(super) async fn create(&self, config: &ContainerConfig) -> Result<String> {
        let operation = format!("create container {}", config.name);
        let options = CreateContainerOptions {
            name: Some(config.name.clone()),
            ..Default::default()
        };
        let request = self
            .docker
            .create_container(Some(options), super::container_body(config));
        let what = format!("image {}", config.image);
        Ok(self
            .call(&operation, &what, self.timeouts.call, request)
            .await?
            .id)
    }

    pub(super) async fn start(&self, id: &str) -> Result<()> {
        let request = tolerate(304, self.docker.start_container(id, None));
        self.call(
            &format!("start container {id}"),
            &format!("container {id}"),
            self.timeouts.call,
            request,
        )
        .await
    }

    /// The call may last the stop timeout itself: the limit grows with it.
    pub(super) async fn stop(&self, id: &str, timeout: Option<Duration>) -> Result<()> {
        let options = StopContainerOptions {
            t: timeout.map(|t| i32::try_from(t.as_secs()).unwrap_or(i32::MAX)),
            ..Default::default()
        };
        let limit = match timeout {
            Some(t) => self.timeouts.call + t,
            None => self.timeouts.call.max(self.timeouts.image),
        };
        let request = tolerate(304, self.docker.stop_container(id, Some(options)));
        self.call(
            &format!("stop container {id}"),
            &format!("container {id}"),
            limit,
            request,
        )
        .await
    }

    pub(super) async fn remove(&self, id: &str) -> Result<()> {
        let options = RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        let request = tolerate(404, self.docker.remove_container(id, Some(options)));
        self.call(
            &format!("remove container {id}"),
            &format!("container {id}"),
            self.timeouts.call,
            request,
        )
        .await
    }

    pub(super) async fn networks(
        &self,
        labels: &[(String, String)],
    ) -> Result<Vec<(String, BTreeMap<String, String>)>> {
        let options = ListNetworksOptions {
            filters: Some(label_filters(labels)),
        };
        let request = self.docker.list_networks(Some(options));
        let rows = self
            .call("list networks", "networks", self.timeouts.call, request)
            .await?;
        Ok(rows
            .into_iter()
            .map(|n| (n.name.unwrap_or_default(), btree(n.labels)))
            .collect())
    }

    /// The ids of the networks named exactly `name` (Docker's `name` filter
    /// matches substrings), oldest first.
    async fn network_ids(&self, name: &str) -> Result<Vec<String>> {
        let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
        let options = ListNetworksOptions {
            filters: Some(filters),
        };
        let request = self.docker.list_networks(Some(options));
        let operation = format!("list networks named {name}");
        let rows = self
            .call(&operation, name, self.timeouts.call, request)
            .await?;
        let mut found: Vec<(String, String)> = rows
            .into_iter()
            .filter(|n| n.name.as_deref() == Some(name))
            .map(|n| {
                (
                    sortable_time(n.created.as_deref().unwrap_or("")),
                    n.id.unwrap_or_default(),
                )
            })
            .collect();
        found.sort();
        Ok(found.into_iter().map(|(_, id)| id).collect())
    }

    /// Creates a bridge network; one already named so is an error, as with
    /// Docker's `CheckDuplicate` (which bollard 0.21 cannot send). Docker
    /// 20.10 lets concurrent creations through, so each creator looks again
    /// afterwards: only the oldest network stays, the others' creators
    /// remove their own and report the name as taken.
    pub(super) async fn create_net(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<()> {
        let operation = format!("create network {name}");
        let taken = || EngineError::Api {
            operation: operation.clone(),
            message: format!("network with name {name} already exists"),
        };
        if !self.network_ids(name).await?.is_empty() {
            return Err(taken());
        }
        // A subnet of its own, so that a pod reconnected with new aliases
        // keeps its address (Docker pins an address only on such networks).
        // Without one (two berths creating the network at once race for the
        // probe's name), Docker picks as it always did.
        let subnet = self.free_subnet(name, labels).await.unwrap_or(None);
        let request = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".to_string()),
            labels: Some(labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            ipam: subnet.map(|config| bollard::models::Ipam {
                config: Some(vec![config]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let request = self.docker.create_network(request);
        let created = self
            .call(&operation, name, self.timeouts.call, request)
            .await?
            .id;
        match self.network_ids(name).await?.first() {
            Some(oldest) if *oldest != created => {
                let request = tolerate(404, self.docker.remove_network(&created));
                self.call(&operation, &created, self.timeouts.call, request)
                    .await?;
                Err(taken())
            }
            _ => Ok(()),
        }
    }

    /// The subnet (and its gateway) Docker would give a new network now:
    /// those of a network created and removed at once (labelled like the
    /// real one, so a crash in between leaves nothing berth does not
    /// clean). `None` when Docker says nothing of them.
    async fn free_subnet(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<Option<bollard::models::IpamConfig>> {
        let probe = format!("{name}.subnet");
        let operation = format!("create network {name}");
        let request = NetworkCreateRequest {
            name: probe.clone(),
            driver: Some("bridge".to_string()),
            labels: Some(labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            ..Default::default()
        };
        let created = self
            .call(
                &operation,
                &probe,
                self.timeouts.call,
                self.docker.create_network(request),
            )
            .await?
            .id;
        let inspected = self
            .call(
                &operation,
                &probe,
                self.timeouts.call,
                self.docker.inspect_network(
                    &created,
                    None::<bollard::query_parameters::InspectNetworkOptions>,
                ),
            )
            .await;
        let removed = tolerate(404, self.docker.remove_network(&created));
        self.call(&operation, &probe, self.timeouts.call, removed)
            .await?;
        Ok(inspected?
            .ipam
            .and_then(|ipam| ipam.config)
            .and_then(|configs| configs.into_iter().find(|c| c.subnet.is_some()))
            .map(|c| bollard::models::IpamConfig {
                subnet: c.subnet,
                gateway: c.gateway,
                ..Default::default()
            }))
    }

    /// Connects the container to the network with `aliases`, at `ip` when
    /// given and the network allows it (one berth created before it chose
    /// subnets does not: then Docker picks the address).
    pub(super) async fn connect_net(
        &self,
        network: &str,
        id: &str,
        aliases: &[String],
        ip: Option<&str>,
    ) -> Result<()> {
        let operation = format!("connect container {id} to network {network}");
        let request = |ip: Option<&str>| bollard::models::NetworkConnectRequest {
            container: id.to_string(),
            endpoint_config: Some(bollard::models::EndpointSettings {
                aliases: Some(aliases.to_vec()),
                ipam_config: ip.map(|ip| bollard::models::EndpointIpamConfig {
                    ipv4_address: Some(ip.to_string()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        };
        let first = self
            .call(
                &operation,
                network,
                self.timeouts.call,
                self.docker.connect_network(network, request(ip)),
            )
            .await;
        match first {
            Err(EngineError::Api { message, .. })
                if ip.is_some() && message.contains("user configured subnets") =>
            {
                self.call(
                    &operation,
                    network,
                    self.timeouts.call,
                    self.docker.connect_network(network, request(None)),
                )
                .await
            }
            other => other,
        }
    }

    pub(super) async fn disconnect_net(&self, network: &str, id: &str) -> Result<()> {
        let request = bollard::models::NetworkDisconnectRequest {
            container: id.to_string(),
            force: Some(true),
        };
        self.call(
            &format!("disconnect container {id} from network {network}"),
            network,
            self.timeouts.call,
            self.docker.disconnect_network(network, request),
        )
        .await
    }

    /// A missing network is fine; one still in use is an `Api` error (the
    /// caller decides whether that matters).
    pub(super) async fn remove_net(&self, name: &str) -> Result<()> {
        let request = tolerate(404, self.docker.remove_network(name));
        self.call(
            &format!("remove network {name}"),
            &format!("network {name}"),
            self.timeouts.call,
            request,
        )
        .await
    }

    pub(super) async fn volumes(&self, labels: &[(String, String)]) -> Result<Vec<String>> {
        let options = ListVolumesOptions {
            filters: Some(label_filters(labels)),
        };
        let request = self.docker.list_volumes(Some(options));
        let response = self
            .call("list volumes", "volumes", self.timeouts.call, request)
            .await?;
        Ok(response
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    pub(super) async fn create_vol(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<String> {
        let request = VolumeCreateRequest {
            name: Some(name.to_string()),
            driver: Some("local".to_string()),
            labels: Some(labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            ..Default::default()
        };
        let request = self.docker.create_volume(request);
        self.call(
            &format!("create volume {name}"),
            name,
            self.timeouts.call,
            request,
        )
        .await
        .map(|volume| volume.mountpoint)
    }

    pub(super) async fn remove_vol(&self, name: &str) -> Result<()> {
        let request = tolerate(
            404,
            self.docker.remove_volume(name, None::<RemoveVolumeOptions>),
        );
        self.call(
            &format!("remove volume {name}"),
            &format!("volume {name}"),
            self.timeouts.call,
            request,
        )
        .await
    }
}

/// Docker's RFC 3339 time with its fraction padded to nine digits, so that
/// times from one engine sort as strings.
fn sortable_time(time: &str) -> String {
    let (whole, rest) = time.split_once('.').unwrap_or((time, ""));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let zone = &rest[digits.len()..];
    let zone = if rest.is_empty() {
        whole.get(19..).unwrap_or("")
    } else {
        zone
    };
    let whole = whole.get(..19).unwrap_or(whole);
    format!("{whole}.{digits:0<9}{zone}")
}

/// The parts of `docker inspect` berth reads; IPs only where one is set.
fn details(response: ContainerInspectResponse) -> ContainerDetails {
    let state = response.state.unwrap_or_default();
    let networks = response
        .network_settings
        .and_then(|n| n.networks)
        .unwrap_or_default();
    let set = |pick: fn(&EndpointSettings) -> Option<&String>| -> BTreeMap<String, String> {
        networks
            .iter()
            .filter_map(|(name, endpoint)| {
                pick(endpoint)
                    .filter(|ip| !ip.is_empty())
                    .map(|ip| (name.clone(), ip.clone()))
            })
            .collect()
    };
    let ips = set(|e| e.ip_address.as_ref());
    let gateways = set(|e| e.gateway.as_ref());
    ContainerDetails {
        id: response.id.unwrap_or_default(),
        exit_code: state.exit_code.unwrap_or(0),
        oom_killed: state.oom_killed.unwrap_or(false),
        restart_count: u64::try_from(response.restart_count.unwrap_or(0)).unwrap_or(0),
        started_at: state.started_at.unwrap_or_default(),
        finished_at: state.finished_at.unwrap_or_default(),
        error: state.error.unwrap_or_default(),
        ips,
        gateways,
        labels: btree(response.config.and_then(|c| c.labels)),
        running: state.running.unwrap_or(false),
        restarting: state.restarting.unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::sortable_time;

    #[test]
    fn network_times_sort_as_strings_once_padded() {
        assert_eq!(
            sortable_time("2026-11-29T21:05:50.9295Z"),
            "2026-11-29T21:05:50.929500000Z"
        );
        assert_eq!(
            sortable_time("2026-11-29T21:05:50Z"),
            "2026-11-29T21:05:50.000000000Z"
        );
        assert!(sortable_time("2026-11-29T21:05:50.9Z") > sortable_time("2026-11-29T21:05:50.12Z"));
    }
}
