//! The Service registry's allocators: ClusterIPs from 10.96.0.0/12 and NodePorts from
//! 30000-32767, chosen at random (from the seeded generator) outside the low band reserved for
//! static assignments, as the real allocators do. `10.96.0.1` is `kubernetes` and `10.96.0.10`
//! `kube-dns`, both assigned statically.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use serde_json::{json, Value};

use crate::resources::ResourceType;
use crate::status::{FieldError, Status};
use crate::Cluster;

pub const SERVICE_CIDR: &str = "10.96.0.0/12";
const BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
const SIZE: u32 = 1 << 20;
/// The low band left for static assignment: min(max(16, size/16), 256).
const STATIC_BAND: u32 = 256;
pub const NODE_PORT_MIN: i64 = 30000;
pub const NODE_PORT_MAX: i64 = 32767;
const NODE_PORT_STATIC_BAND: i64 = 86;

impl Cluster {
    fn allocated(&self, except: Option<(&str, &str)>) -> (HashSet<String>, HashSet<i64>) {
        let mut ips = HashSet::new();
        let mut ports = HashSet::new();
        for s in self.store.list("Service", None) {
            if except == Some((s.namespace().unwrap_or_default(), s.name())) {
                continue;
            }
            let v = s.to_value();
            for ip in v["spec"]["clusterIPs"].as_array().into_iter().flatten() {
                if let Some(ip) = ip.as_str() {
                    ips.insert(ip.to_string());
                }
            }
            if let Some(ip) = v["spec"]["clusterIP"].as_str() {
                ips.insert(ip.to_string());
            }
            for p in v["spec"]["ports"].as_array().into_iter().flatten() {
                if let Some(n) = p["nodePort"].as_i64() {
                    ports.insert(n);
                }
            }
        }
        (ips, ports)
    }

    /// Assigns (or checks) ClusterIPs and NodePorts of a Service being created or updated.
    pub(crate) fn allocate_service(
        &mut self,
        rt: &ResourceType,
        obj: &mut Value,
        old: Option<&Value>,
    ) -> Result<(), Status> {
        let name = obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (ips, ports) = self.allocated(Some((&ns, &name)));
        let spec = &mut obj["spec"];
        let ty = spec["type"].as_str().unwrap_or("ClusterIP").to_string();
        let mut errs = Vec::new();
        if ty == "ExternalName" {
            if let Some(m) = spec.as_object_mut() {
                m.remove("clusterIP");
                m.remove("clusterIPs");
            }
        } else {
            // Updates keep the allocated address when the client leaves it out.
            let old_ip = old
                .and_then(|o| o["spec"]["clusterIP"].as_str())
                .map(str::to_string);
            let wanted = spec["clusterIP"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string);
            let ip = match (wanted, old_ip) {
                (Some(w), _) if w == "None" => "None".to_string(),
                (Some(w), Some(o)) if w == o => w,
                (Some(w), _) => match check_ip(&w, &ips) {
                    Ok(()) => w,
                    Err(detail) => {
                        errs.push(crate::validation::invalid_go(
                            "spec.clusterIPs",
                            &format!("[]string{{{w:?}}}"),
                            &format!("failed to allocate IP {w}: {detail}"),
                        ));
                        w
                    }
                },
                (None, Some(o)) => o,
                (None, None) => self.random_ip(&ips),
            };
            spec["clusterIP"] = json!(ip);
            spec["clusterIPs"] = json!([ip]);
            if spec["ipFamilies"].is_null() {
                spec["ipFamilies"] = json!(["IPv4"]);
            }
            if spec["ipFamilyPolicy"].is_null() {
                spec["ipFamilyPolicy"] = json!("SingleStack");
            }
        }
        let needs_node_ports = ty == "NodePort" || ty == "LoadBalancer";
        let old_ports: Vec<Value> = old
            .and_then(|o| o["spec"]["ports"].as_array().cloned())
            .unwrap_or_default();
        let mut taken = ports;
        let count = spec["ports"].as_array().map_or(0, Vec::len);
        for i in 0..count {
            let p = &spec["ports"][i];
            if !needs_node_ports {
                if ty == "ClusterIP" && old.is_some() {
                    // Switching back to ClusterIP releases the ports.
                    if let Some(m) = spec["ports"][i].as_object_mut() {
                        if old_ports.iter().any(|o| {
                            o["nodePort"] == m.get("nodePort").cloned().unwrap_or(Value::Null)
                        }) {
                            m.remove("nodePort");
                        }
                    }
                }
                continue;
            }
            let port = match p["nodePort"].as_i64().filter(|n| *n != 0) {
                Some(n) => {
                    let ours = old_ports.iter().any(|o| o["nodePort"].as_i64() == Some(n));
                    if !ours && taken.contains(&n) {
                        errs.push(FieldError::invalid(
                            format!("spec.ports[{i}].nodePort"),
                            &json!(n),
                            "provided port is already allocated",
                        ));
                    }
                    n
                }
                None => {
                    let previous = old_ports
                        .iter()
                        .find(|o| o["port"] == p["port"] && o["protocol"] == p["protocol"])
                        .and_then(|o| o["nodePort"].as_i64());
                    match previous {
                        Some(n) => n,
                        None => self.random_node_port(&taken),
                    }
                }
            };
            taken.insert(port);
            spec["ports"][i]["nodePort"] = json!(port);
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Status::invalid(rt, &name, &errs))
        }
    }

    fn random_ip(&mut self, used: &HashSet<String>) -> String {
        loop {
            let offset = self.rng.u32(STATIC_BAND..SIZE - 1);
            let ip = Ipv4Addr::from(BASE + offset).to_string();
            if !used.contains(&ip) {
                return ip;
            }
        }
    }

    fn random_node_port(&mut self, used: &HashSet<i64>) -> i64 {
        if used.len() as i64 >= NODE_PORT_MAX - NODE_PORT_MIN {
            return 0;
        }
        loop {
            let p = self
                .rng
                .i64(NODE_PORT_MIN + NODE_PORT_STATIC_BAND..=NODE_PORT_MAX);
            if !used.contains(&p) {
                return p;
            }
        }
    }
}

fn check_ip(ip: &str, used: &HashSet<String>) -> Result<(), String> {
    let parsed: Ipv4Addr = ip
        .parse()
        .map_err(|_| format!("the provided IP ({ip}) is not in the valid range. The range of valid IPs is {SERVICE_CIDR}"))?;
    let n = u32::from(parsed);
    if !(BASE + 1..BASE + SIZE - 1).contains(&n) {
        return Err(format!(
            "the provided IP ({ip}) is not in the valid range. The range of valid IPs is {SERVICE_CIDR}"
        ));
    }
    if used.contains(ip) {
        return Err("provided IP is already allocated".to_string());
    }
    Ok(())
}
