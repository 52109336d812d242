//! The Endpoints and EndpointSlice controllers: for each Service with a selector, the IPs of the
//! matching pods, ready ones as `addresses` and unready ones as `notReadyAddresses` (slices carry
//! the same as `conditions.ready`). A Service selecting nothing gets an Endpoints with no subsets,
//! which `kubectl get endpoints` prints as `<none>`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod, Service,
};
use k8s_openapi::api::discovery::v1::{
    Endpoint, EndpointConditions, EndpointPort as SlicePort, EndpointSlice,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::controller_ref;
use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

/// The pods a Service's selector picks, in name order.
pub fn selected_pods(cluster: &Cluster, svc: &Service) -> Vec<Pod> {
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let Some(sel) = svc
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .filter(|s| !s.is_empty())
    else {
        return Vec::new();
    };
    cluster
        .runtime
        .index
        .pods
        .range(
            Key {
                kind: "Pod",
                namespace: ns.as_str().into(),
                name: Default::default(),
            }..,
        )
        .take_while(|(k, _)| k.kind == "Pod" && k.namespace == ns)
        .filter(|(_, e)| sel.iter().all(|(k, v)| e.labels.get(k) == Some(v)))
        .filter_map(|(k, _)| cluster.store().get(k).and_then(|o| o.as_pod().cloned()))
        .collect()
}

/// Resolves a Service port's targetPort on a pod (named ports look up the container ports).
pub fn target_port(pod: &Pod, target: Option<&IntOrString>, port: i32) -> Option<i32> {
    match target {
        None => Some(port),
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => pod
            .spec
            .iter()
            .flat_map(|s| s.containers.iter())
            .flat_map(|c| c.ports.iter().flatten())
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .map(|p| p.container_port),
    }
}

pub fn sync(cluster: &mut Cluster, key: &Key) {
    let obj = cluster.store().get(key).cloned();
    let ep_key = Key {
        kind: "Endpoints",
        namespace: key.namespace.clone(),
        name: key.name.clone(),
    };
    let Some(Object::Service(svc)) = obj.as_deref() else {
        // Service gone: its endpoints and slices go too (they are owned by it).
        cluster.store_mut().remove(&ep_key);
        let slices: Vec<Key> = cluster
            .store()
            .list("EndpointSlice", Some(&key.namespace))
            .filter(|o| {
                o.labels()
                    .and_then(|l| l.get("kubernetes.io/service-name"))
                    .map(String::as_str)
                    == Some(key.name.as_str())
            })
            .map(|o| Key::of(o))
            .collect();
        for k in slices {
            cluster.store_mut().remove(&k);
        }
        return;
    };
    let spec = svc.spec.clone().unwrap_or_default();
    if spec.selector.as_ref().is_none_or(|s| s.is_empty())
        || spec.type_.as_deref() == Some("ExternalName")
    {
        return;
    }
    let publish_not_ready = spec.publish_not_ready_addresses.unwrap_or(false);
    let pods: Vec<Pod> = selected_pods(cluster, svc)
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .filter(|p| {
            p.status
                .as_ref()
                .and_then(|s| s.pod_ip.as_ref())
                .is_some_and(|ip| !ip.is_empty())
        })
        .filter(|p| {
            !matches!(
                p.status.as_ref().and_then(|s| s.phase.as_deref()),
                Some("Succeeded" | "Failed")
            )
        })
        .collect();
    // Group pods by the port set they resolve to (the Endpoints subset rule).
    let mut subsets: BTreeMap<
        Vec<(Option<String>, i32, String)>,
        (Vec<EndpointAddress>, Vec<EndpointAddress>),
    > = BTreeMap::new();
    let mut slice_endpoints = Vec::new();
    let mut slice_ports: Option<Vec<SlicePort>> = None;
    for p in &pods {
        let ports: Vec<(Option<String>, i32, String)> = spec
            .ports
            .iter()
            .flatten()
            .filter_map(|sp| {
                target_port(p, sp.target_port.as_ref(), sp.port).map(|tp| {
                    (
                        sp.name.clone(),
                        tp,
                        sp.protocol.clone().unwrap_or_else(|| "TCP".into()),
                    )
                })
            })
            .collect();
        let ip = p
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.clone())
            .unwrap_or_default();
        let node = p.spec.as_ref().and_then(|s| s.node_name.clone());
        let target = ObjectReference {
            kind: Some("Pod".into()),
            namespace: p.metadata.namespace.clone(),
            name: p.metadata.name.clone(),
            uid: p.metadata.uid.clone(),
            ..ObjectReference::default()
        };
        let ready = super::is_ready(p) || publish_not_ready;
        let address = EndpointAddress {
            ip: ip.clone(),
            node_name: node.clone(),
            target_ref: Some(target.clone()),
            hostname: None,
        };
        let entry = subsets.entry(ports.clone()).or_default();
        if ready {
            entry.0.push(address);
        } else {
            entry.1.push(address);
        }
        slice_ports.get_or_insert_with(|| {
            ports
                .iter()
                .map(|(name, port, proto)| SlicePort {
                    name: Some(name.clone().unwrap_or_default()),
                    port: Some(*port),
                    protocol: Some(proto.clone()),
                    app_protocol: None,
                })
                .collect()
        });
        slice_endpoints.push(Endpoint {
            addresses: vec![ip],
            conditions: Some(EndpointConditions {
                ready: Some(ready),
                serving: Some(ready),
                terminating: Some(false),
            }),
            node_name: node,
            target_ref: Some(target),
            ..Endpoint::default()
        });
    }
    let subsets: Vec<EndpointSubset> = subsets
        .into_iter()
        .filter(|(ports, _)| !ports.is_empty())
        .map(|(ports, (ready, not_ready))| EndpointSubset {
            addresses: (!ready.is_empty()).then_some(ready),
            not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
            ports: Some(
                ports
                    .into_iter()
                    .map(|(name, port, proto)| EndpointPort {
                        name,
                        port,
                        protocol: Some(proto),
                        app_protocol: None,
                    })
                    .collect(),
            ),
        })
        .collect();
    let owner = Object::Service(svc.clone());
    let now = cluster.now();
    let mut labels = svc.metadata.labels.clone().unwrap_or_default();
    labels.insert(
        "endpoints.kubernetes.io/managed-by".into(),
        "endpoint-controller".into(),
    );
    let existing = match cluster.store().get(&ep_key).map(|o| o.as_ref()) {
        Some(Object::Endpoints(e)) => Some((**e).clone()),
        _ => None,
    };
    let subsets = (!subsets.is_empty()).then_some(subsets);
    let changed = existing
        .as_ref()
        .is_none_or(|e| e.subsets != subsets || e.metadata.labels.as_ref() != Some(&labels));
    if changed {
        let mut ep = existing.clone().unwrap_or_else(|| Endpoints {
            metadata: ObjectMeta {
                name: Some(key.name.to_string()),
                namespace: Some(key.namespace.to_string()),
                creation_timestamp: Some(crate::clock::api_time(now)),
                ..ObjectMeta::default()
            },
            subsets: None,
        });
        if ep.metadata.uid.is_none() {
            ep.metadata.uid = Some(cluster.new_uid());
        }
        ep.metadata.labels = Some(labels);
        ep.metadata.annotations = Some(
            [(
                "endpoints.kubernetes.io/last-change-trigger-time".to_string(),
                now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )]
            .into(),
        );
        ep.subsets = subsets;
        cluster.store_mut().put(Object::from(ep));
    }
    sync_slice(
        cluster,
        svc,
        &owner,
        slice_endpoints,
        slice_ports.unwrap_or_default(),
    );
}

fn sync_slice(
    cluster: &mut Cluster,
    svc: &Service,
    owner: &Object,
    endpoints: Vec<Endpoint>,
    ports: Vec<SlicePort>,
) {
    let ns = svc.metadata.namespace.clone().unwrap_or_default();
    let name = svc.metadata.name.clone().unwrap_or_default();
    let existing: Option<EndpointSlice> = cluster
        .store()
        .list("EndpointSlice", Some(&ns))
        .find_map(|o| match o.as_ref() {
            Object::EndpointSlice(s)
                if s.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("kubernetes.io/service-name"))
                    == Some(&name) =>
            {
                Some((**s).clone())
            }
            _ => None,
        });
    let ports = (!ports.is_empty()).then_some(ports);
    if let Some(s) = &existing {
        if s.endpoints == endpoints && s.ports == ports {
            return;
        }
    }
    let now = cluster.now();
    let mut slice = match existing {
        Some(s) => s,
        None => {
            let suffix = cluster.name_suffix();
            let mut labels = svc.metadata.labels.clone().unwrap_or_default();
            labels.insert(
                "endpointslice.kubernetes.io/managed-by".into(),
                "endpointslice-controller.k8s.io".into(),
            );
            labels.insert("kubernetes.io/service-name".into(), name.clone());
            EndpointSlice {
                metadata: ObjectMeta {
                    name: Some(format!("{name}-{suffix}")),
                    generate_name: Some(format!("{name}-")),
                    namespace: Some(ns.clone()),
                    labels: Some(labels),
                    owner_references: Some(vec![controller_ref(owner)]),
                    uid: Some(cluster.new_uid()),
                    creation_timestamp: Some(crate::clock::api_time(now)),
                    generation: Some(1),
                    ..ObjectMeta::default()
                },
                address_type: "IPv4".into(),
                endpoints: Vec::new(),
                ports: None,
            }
        }
    };
    slice.endpoints = endpoints;
    slice.ports = ports;
    slice.metadata.annotations = Some(
        [(
            "endpoints.kubernetes.io/last-change-trigger-time".to_string(),
            now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )]
        .into(),
    );
    cluster.store_mut().put(Object::from(slice));
}
