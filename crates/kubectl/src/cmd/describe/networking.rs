//! Ingresses, ingress classes, endpoints, endpoint slices and network policies
//! (`IngressDescriber`, `IngressClassDescriber`, `EndpointsDescriber`,
//! `EndpointSliceDescriber`, `NetworkPolicyDescriber`).

use serde_json::Value;

use super::{format_endpoints, format_selector, labels_and_annotations, list, s};
use crate::cmd::Env;
use crate::printers::describe::{self as layout, PrefixWriter};
use crate::rest::Request;
use crate::server_error;

/// `serviceBackendStringer`: `name:port` (the port's name or number).
fn backend_text(service: &Value) -> String {
    let port = &service["port"];
    match port["name"].as_str().filter(|n| !n.is_empty()) {
        Some(name) => format!("{}:{name}", s(&service["name"])),
        None => format!(
            "{}:{}",
            s(&service["name"]),
            port["number"].as_i64().unwrap_or(0)
        ),
    }
}

/// `describeBackendV1`: the backend and the endpoints of its service port.
fn describe_backend(env: &mut Env, ns: &str, backend: &Value) -> String {
    let service = &backend["service"];
    if service.is_object() {
        let text = backend_text(service);
        let name = s(&service["name"]);
        let slices = list(
            env,
            &format!("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices"),
            &format!("kubernetes.io/service-name={name}"),
        );
        let resp = env.transport.call(
            Request::get(format!("/api/v1/namespaces/{ns}/services/{name}"))
                .header("accept", "application/json"),
        );
        if resp.status >= 400 {
            let message = resp
                .body_json()
                .and_then(|b| b["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| server_error(&resp));
            return format!("{text} (<error: {message}>)");
        }
        let svc = resp.body_json().unwrap_or_default();
        let mut port_name = String::new();
        for sp in svc["spec"]["ports"].as_array().cloned().unwrap_or_default() {
            let number = service["port"]["number"].as_i64().unwrap_or(0);
            let by_name = s(&service["port"]["name"]);
            if (number != 0 && sp["port"].as_i64() == Some(number))
                || (!by_name.is_empty() && s(&sp["name"]) == by_name)
            {
                port_name = s(&sp["name"]).to_string();
            }
        }
        return format!("{text} ({})", format_endpoints(&slices, &port_name));
    }
    let resource = &backend["resource"];
    if resource.is_object() {
        let group = resource["apiGroup"].as_str().unwrap_or("<none>");
        return format!(
            "APIGroup: {group}, Kind: {}, Name: {}",
            s(&resource["kind"]),
            s(&resource["name"])
        );
    }
    String::new()
}

pub fn ingress(env: &mut Env, w: &mut PrefixWriter, ing: &Value) {
    let (spec, meta) = (&ing["spec"], &ing["metadata"]);
    let ns = s(&meta["namespace"]).to_string();
    w.write(0, &format!("Name:\t{}\n", s(&meta["name"])));
    layout::labels(w, "Labels", &meta["labels"]);
    w.write(0, &format!("Namespace:\t{ns}\n"));
    let addresses: Vec<String> = ing["status"]["loadBalancer"]["ingress"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    if i["ip"].is_string() {
                        s(&i["ip"]).to_string()
                    } else {
                        s(&i["hostname"]).to_string()
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    w.write(0, &format!("Address:\t{}\n", addresses.join(",")));
    let class = spec["ingressClassName"].as_str().unwrap_or("<none>");
    w.write(0, &format!("Ingress Class:\t{class}\n"));
    let default_backend = if spec["defaultBackend"].is_object() {
        describe_backend(env, &ns, &spec["defaultBackend"])
    } else {
        "<default>".to_string()
    };
    w.write(0, &format!("Default backend:\t{default_backend}\n"));
    if let Some(tls) = spec["tls"].as_array().filter(|t| !t.is_empty()) {
        w.write(0, "TLS:\n");
        for t in tls {
            let hosts: Vec<&str> = t["hosts"]
                .as_array()
                .map(|a| a.iter().map(s).collect())
                .unwrap_or_default();
            match t["secretName"].as_str().filter(|n| !n.is_empty()) {
                Some(secret) => w.write(1, &format!("{secret} terminates {}\n", hosts.join(","))),
                None => w.write(1, &format!("SNI routes {}\n", hosts.join(","))),
            }
        }
    }
    w.write(0, "Rules:\n  Host\tPath\tBackends\n");
    w.write(1, "----\t----\t--------\n");
    let mut count = 0;
    for rule in spec["rules"].as_array().cloned().unwrap_or_default() {
        if !rule["http"].is_object() {
            continue;
        }
        count += 1;
        let host = rule["host"]
            .as_str()
            .filter(|h| !h.is_empty())
            .unwrap_or("*");
        w.write(1, &format!("{host}\t\n"));
        for path in rule["http"]["paths"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let backend = describe_backend(env, &ns, &path["backend"]);
            w.write(2, &format!("\t{} \t{backend}\n", s(&path["path"])));
        }
    }
    if count == 0 {
        w.write(1, &format!("*\t*\t{default_backend}\n"));
    }
    layout::annotations(w, "Annotations", &meta["annotations"]);
}

pub fn ingress_class(w: &mut PrefixWriter, ic: &Value) {
    w.write(0, &format!("Name:\t{}\n", s(&ic["metadata"]["name"])));
    labels_and_annotations(w, ic);
    w.write(
        0,
        &format!("Controller:\t{}\n", s(&ic["spec"]["controller"])),
    );
    let params = &ic["spec"]["parameters"];
    if params.is_object() {
        w.write(0, "Parameters:\n");
        if params["apiGroup"].is_string() {
            w.write(1, &format!("APIGroup:\t{}\n", s(&params["apiGroup"])));
        }
        w.write(1, &format!("Kind:\t{}\n", s(&params["kind"])));
        w.write(1, &format!("Name:\t{}\n", s(&params["name"])));
    }
}

fn ips(addresses: &Value) -> String {
    let list: Vec<&str> = addresses
        .as_array()
        .map(|a| a.iter().map(|x| s(&x["ip"])).collect())
        .unwrap_or_default();
    if list.is_empty() {
        "<none>".into()
    } else {
        list.join(",")
    }
}

pub fn endpoints(w: &mut PrefixWriter, ep: &Value) {
    w.write(0, &format!("Name:\t{}\n", s(&ep["metadata"]["name"])));
    w.write(
        0,
        &format!("Namespace:\t{}\n", s(&ep["metadata"]["namespace"])),
    );
    labels_and_annotations(w, ep);
    w.write(0, "Subsets:\n");
    for subset in ep["subsets"].as_array().cloned().unwrap_or_default() {
        w.write(1, &format!("Addresses:\t{}\n", ips(&subset["addresses"])));
        w.write(
            1,
            &format!(
                "NotReadyAddresses:\t{}\n",
                ips(&subset["notReadyAddresses"])
            ),
        );
        if let Some(ports) = subset["ports"].as_array().filter(|p| !p.is_empty()) {
            w.write(1, "Ports:\n");
            w.write(2, "Name\tPort\tProtocol\n");
            w.write(2, "----\t----\t--------\n");
            for port in ports {
                let name = port["name"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                    .unwrap_or("<unset>");
                w.write(
                    2,
                    &format!(
                        "{name}\t{}\t{}\n",
                        port["port"].as_i64().unwrap_or(0),
                        s(&port["protocol"])
                    ),
                );
            }
        }
        w.write(0, "\n");
    }
}

pub fn endpoint_slice(w: &mut PrefixWriter, eps: &Value) {
    w.write(0, &format!("Name:\t{}\n", s(&eps["metadata"]["name"])));
    w.write(
        0,
        &format!("Namespace:\t{}\n", s(&eps["metadata"]["namespace"])),
    );
    labels_and_annotations(w, eps);
    w.write(0, &format!("AddressType:\t{}\n", s(&eps["addressType"])));
    match eps["ports"].as_array().filter(|p| !p.is_empty()) {
        None => w.write(0, "Ports: <unset>\n"),
        Some(ports) => {
            w.write(0, "Ports:\n");
            w.write(1, "Name\tPort\tProtocol\n");
            w.write(1, "----\t----\t--------\n");
            for port in ports {
                let name = port["name"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                    .unwrap_or("<unset>");
                let number = port["port"]
                    .as_i64()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "<unset>".into());
                w.write(1, &format!("{name}\t{number}\t{}\n", s(&port["protocol"])));
            }
        }
    }
    let or_unset = |v: &Value| v.as_str().unwrap_or("<unset>").to_string();
    match eps["endpoints"].as_array().filter(|e| !e.is_empty()) {
        None => w.write(0, "Endpoints: <none>\n"),
        Some(list) => {
            w.write(0, "Endpoints:\n");
            for e in list {
                let addresses: Vec<&str> = e["addresses"]
                    .as_array()
                    .map(|a| a.iter().map(s).collect())
                    .unwrap_or_default();
                let addresses = if addresses.is_empty() {
                    "<none>".to_string()
                } else {
                    addresses.join(", ")
                };
                w.write(1, &format!("- Addresses:\t{addresses}\n"));
                w.write(2, "Conditions:\n");
                let ready = e["conditions"]["ready"]
                    .as_bool()
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "<unset>".into());
                w.write(3, &format!("Ready:\t{ready}\n"));
                w.write(2, &format!("Hostname:\t{}\n", or_unset(&e["hostname"])));
                if e["targetRef"].is_object() {
                    w.write(
                        2,
                        &format!(
                            "TargetRef:\t{}/{}\n",
                            s(&e["targetRef"]["kind"]),
                            s(&e["targetRef"]["name"])
                        ),
                    );
                }
                w.write(2, &format!("NodeName:\t{}\n", or_unset(&e["nodeName"])));
                w.write(2, &format!("Zone:\t{}\n", or_unset(&e["zone"])));
            }
        }
    }
}

/// Go's `metav1.Time` `%s`: `2006-01-02 15:04:05 +0000 UTC`.
fn go_time(ts: &Value) -> String {
    match ts.as_str().and_then(crate::printers::age::parse) {
        Some(t) => t.strftime("%Y-%m-%d %H:%M:%S +0000 UTC").to_string(),
        None => "0001-01-01 00:00:00 +0000 UTC".into(),
    }
}

/// The peers of ingress (`From`) or egress (`To`) rules.
fn policy_rules(w: &mut PrefixWriter, rules: &Value, egress: bool) {
    const INDENT: &str = "    ";
    let (peer, field, isolated, any_peer) = if egress {
        (
            "To",
            "to",
            "<none> (Selected pods are isolated for egress connectivity)",
            "To: <any> (traffic not restricted by destination)",
        )
    } else {
        (
            "From",
            "from",
            "<none> (Selected pods are isolated for ingress connectivity)",
            "From: <any> (traffic not restricted by source)",
        )
    };
    let list = rules.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        w.write(0, &format!("{INDENT}{isolated}\n"));
        return;
    }
    for (i, rule) in list.iter().enumerate() {
        match rule["ports"].as_array().filter(|p| !p.is_empty()) {
            None => w.write(
                0,
                &format!("{INDENT}To Port: <any> (traffic allowed to all ports)\n"),
            ),
            Some(ports) => {
                for port in ports {
                    let number = match &port["port"] {
                        Value::Null => "%!s(<nil>)".to_string(),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let proto = port["protocol"].as_str().unwrap_or("TCP");
                    w.write(0, &format!("{INDENT}To Port: {number}/{proto}\n"));
                }
            }
        }
        match rule[field].as_array().filter(|p| !p.is_empty()) {
            None => w.write(0, &format!("{INDENT}{any_peer}\n")),
            Some(peers) => {
                w.write(0, &format!("{INDENT}{peer}:\n"));
                for p in peers {
                    w.write(0, INDENT);
                    let (pods, namespaces) = (&p["podSelector"], &p["namespaceSelector"]);
                    if pods.is_object() && namespaces.is_object() {
                        w.write(
                            1,
                            &format!("NamespaceSelector: {}\n", format_selector(namespaces)),
                        );
                        w.write(0, INDENT);
                        w.write(1, &format!("PodSelector: {}\n", format_selector(pods)));
                    } else if pods.is_object() {
                        w.write(1, &format!("PodSelector: {}\n", format_selector(pods)));
                    } else if namespaces.is_object() {
                        w.write(
                            1,
                            &format!("NamespaceSelector: {}\n", format_selector(namespaces)),
                        );
                    } else if p["ipBlock"].is_object() {
                        let except: Vec<&str> = p["ipBlock"]["except"]
                            .as_array()
                            .map(|a| a.iter().map(s).collect())
                            .unwrap_or_default();
                        w.write(1, "IPBlock:\n");
                        w.write(0, INDENT);
                        w.write(2, &format!("CIDR: {}\n", s(&p["ipBlock"]["cidr"])));
                        w.write(0, INDENT);
                        w.write(2, &format!("Except: {}\n", except.join(", ")));
                    }
                }
            }
        }
        if i != list.len() - 1 {
            w.write(0, &format!("{INDENT}----------\n"));
        }
    }
}

pub fn network_policy(w: &mut PrefixWriter, np: &Value) {
    let (meta, spec) = (&np["metadata"], &np["spec"]);
    w.write(0, &format!("Name:\t{}\n", s(&meta["name"])));
    w.write(0, &format!("Namespace:\t{}\n", s(&meta["namespace"])));
    w.write(
        0,
        &format!("Created on:\t{}\n", go_time(&meta["creationTimestamp"])),
    );
    labels_and_annotations(w, np);
    w.write(0, "Spec:\n");
    w.write(1, "PodSelector: ");
    let selector = &spec["podSelector"];
    let empty = selector["matchLabels"]
        .as_object()
        .is_none_or(|m| m.is_empty())
        && selector["matchExpressions"]
            .as_array()
            .is_none_or(|m| m.is_empty());
    if empty {
        w.write(
            2,
            "<none> (Allowing the specific traffic to all pods in this namespace)\n",
        );
    } else {
        w.write(2, &format!("{}\n", format_selector(selector)));
    }
    let types: Vec<&str> = spec["policyTypes"]
        .as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    if types.contains(&"Ingress") {
        w.write(1, "Allowing ingress traffic:\n");
        policy_rules(w, &spec["ingress"], false);
    } else {
        w.write(1, "Not affecting ingress traffic\n");
    }
    if types.contains(&"Egress") {
        w.write(1, "Allowing egress traffic:\n");
        policy_rules(w, &spec["egress"], true);
    } else {
        w.write(1, "Not affecting egress traffic\n");
    }
    w.write(1, &format!("Policy Types: {}\n", types.join(", ")));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn network_policies_spell_out_peers_and_unaffected_directions() {
        let mut w = PrefixWriter::default();
        let np = json!({"metadata": {"name": "np", "namespace": "default", "creationTimestamp": "2026-01-02T03:04:05Z"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]}});
        network_policy(&mut w, &np);
        assert_eq!(
            w.finish(),
            "Name:         np\nNamespace:    default\nCreated on:   2026-01-02 03:04:05 +0000 UTC\nLabels:       <none>\nAnnotations:  <none>\nSpec:\n  PodSelector:     <none> (Allowing the specific traffic to all pods in this namespace)\n  Allowing ingress traffic:\n    To Port: <any> (traffic allowed to all ports)\n    From:\n      IPBlock:\n        CIDR: 10.0.0.0/8\n        Except: 10.1.0.0/16\n  Not affecting egress traffic\n  Policy Types: Ingress\n"
        );
    }

    #[test]
    fn slices_without_ports_or_endpoints_say_so() {
        let mut w = PrefixWriter::default();
        endpoint_slice(
            &mut w,
            &json!({"metadata": {"name": "s", "namespace": "d"}, "addressType": "IPv4"}),
        );
        let text = w.finish();
        assert!(
            text.contains("Ports: <unset>\nEndpoints: <none>\n"),
            "{text}"
        );
    }
}
