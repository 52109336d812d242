//! Service IP and port allocation (the API server's service registry): a cluster IP from
//! 10.96.0.0/12 for ClusterIP, NodePort and LoadBalancer Services, and a node port in
//! 30000–32767 for each port of NodePort and LoadBalancer Services.

use std::collections::BTreeSet;

use crate::object::Object;
use crate::store::Key;
use crate::Cluster;

pub const NODE_PORT_MIN: i32 = 30000;
pub const NODE_PORT_MAX: i32 = 32767;

fn used(cluster: &Cluster) -> (BTreeSet<String>, BTreeSet<i32>) {
    let mut ips = BTreeSet::new();
    let mut ports = BTreeSet::new();
    for o in cluster.store().list("Service", None) {
        if let Object::Service(s) = o.as_ref() {
            if let Some(spec) = &s.spec {
                ips.extend(spec.cluster_ip.clone());
                ports.extend(spec.ports.iter().flatten().filter_map(|p| p.node_port));
            }
        }
    }
    (ips, ports)
}

/// Fills in `clusterIP(s)`, node ports and defaults the API server would have set.
pub fn allocate(cluster: &mut Cluster, key: &Key) {
    let Some(Object::Service(svc)) = cluster.store().get(key).map(|o| o.as_ref().clone()) else {
        return;
    };
    let mut s = svc.clone();
    let spec = s.spec.get_or_insert_with(Default::default);
    let type_ = spec.type_.clone().unwrap_or_else(|| "ClusterIP".into());
    if type_ == "ExternalName" {
        return;
    }
    let (ips, ports) = used(cluster);
    let spec = s.spec.as_mut().expect("set above");
    if spec.cluster_ip.as_deref().unwrap_or_default().is_empty() {
        let ip = loop {
            let a = cluster.random_below(16);
            let b = cluster.random_below(256);
            let c = 1 + cluster.random_below(254);
            let ip = format!("10.{}.{b}.{c}", 96 + a);
            if !ips.contains(&ip) && ip != "10.96.0.1" && ip != "10.96.0.10" {
                break ip;
            }
        };
        spec.cluster_ip = Some(ip.clone());
        spec.cluster_ips = Some(vec![ip]);
    }
    if spec.cluster_ip.as_deref() == Some("None") && spec.cluster_ips.is_none() {
        spec.cluster_ips = Some(vec!["None".into()]);
    }
    if type_ == "NodePort" || type_ == "LoadBalancer" {
        let mut taken = ports;
        for p in spec.ports.iter_mut().flatten() {
            if p.node_port.is_none() {
                let port = loop {
                    let n = NODE_PORT_MIN
                        + cluster.random_below((NODE_PORT_MAX - NODE_PORT_MIN + 1) as u32) as i32;
                    if taken.insert(n) {
                        break n;
                    }
                };
                p.node_port = Some(port);
            }
        }
        if spec.external_traffic_policy.is_none() {
            spec.external_traffic_policy = Some("Cluster".into());
        }
    }
    if s != svc {
        cluster.store_mut().put(Object::Service(s));
    }
}
