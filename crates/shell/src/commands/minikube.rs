//! `minikube`, driving the session's cluster as the laptop's single-node minikube (v1.36, docker
//! driver). Its output is minikube's, emoji and all.

use super::kubectl::{self, node_ip};
use super::{Done, Proc};
use crate::exec::Cx;
use crate::runtime::LocalImage;

pub const VERSION: &str = "v1.36.0";

pub(crate) fn run(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Proc {
    let (sub, rest) = match args.split_first() {
        Some((s, r)) => (s.as_str(), r),
        None => return Done::out(USAGE).into(),
    };
    match sub {
        "start" => start(cx).into(),
        "stop" => stop(cx).into(),
        "status" => status(cx).into(),
        "ip" => match running(cx) {
            Ok(()) => Done::out(format!("{}\n", node_ip(cx))).into(),
            Err(d) => d.into(),
        },
        "service" => service(cx, rest).into(),
        "node" => node(cx, rest).into(),
        "image" => image(cx, rest).into(),
        "kubectl" => {
            // `minikube kubectl -- get pods`: everything after `--` goes to kubectl.
            let args: Vec<String> = match rest.iter().position(|a| a == "--") {
                Some(i) => rest[i + 1..].to_vec(),
                None => rest.to_vec(),
            };
            kubectl::run(cx, &args, stdin)
        }
        "version" => Done::out(format!("minikube version: {VERSION}\ncommit: f8f52f5de11fc6ad8244afac475e1d0f96841df1-dirty\n")).into(),
        "delete" => Done::err(
            "🔥  This playground's cluster cannot be deleted; use `minikube stop` to stop it, or remove objects with kubectl delete.\n",
            1,
        )
        .into(),
        "help" | "--help" | "-h" => Done::out(USAGE).into(),
        other => Done::err(
            format!("Error: unknown command \"{other}\" for \"minikube\"\nRun 'minikube --help' for usage.\n"),
            1,
        )
        .into(),
    }
}

const USAGE: &str = "minikube provisions and manages local Kubernetes clusters optimized for development workflows.\n\nBasic Commands:\n  start            Starts a local Kubernetes cluster\n  status           Gets the status of a local Kubernetes cluster\n  stop             Stops a running local Kubernetes cluster\n\nImages Commands:\n  image            Manage images\n\nNetworking and Connectivity Commands:\n  service          Returns a URL to connect to a service\n  ip               Retrieves the IP address of the specified node\n\nTroubleshooting Commands:\n  kubectl          Run a kubectl binary matching the cluster version\n  version          Print the version of minikube\n\nUse \"minikube <command> --help\" for more information about a given command.\n";

/// `minikube node list|stop|start NAME`: a worker's machine switched off and on again (its
/// kubelet stops posting status; see `cluster::controllers::node_lifecycle`).
fn node(cx: &mut Cx, args: &[String]) -> Done {
    if let Err(d) = running(cx) {
        return d;
    }
    let nodes: Vec<(String, String)> = {
        let cluster = cx.rt.cluster();
        let rt = cluster::resources::by_plural("", "nodes").expect("nodes are served");
        cluster
            .list(rt, None)
            .iter()
            .map(|n| {
                let ip = n.to_value()["status"]["addresses"][0]["address"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                (n.name().to_string(), ip)
            })
            .collect()
    };
    let sub = args.first().map(String::as_str).unwrap_or_default();
    if sub == "list" {
        let out: String = nodes.iter().map(|(n, ip)| format!("{n}\t{ip}\n")).collect();
        return Done::out(out);
    }
    if !matches!(sub, "stop" | "start") {
        return Done::err(
            format!("Error: unknown command \"{sub}\" for \"minikube node\"\nRun 'minikube node --help' for usage.\n"),
            1,
        );
    }
    let Some(given) = args.get(1) else {
        return Done::err(
            "❌  Exiting due to MK_USAGE: Usage: minikube node stop [name]\n",
            64,
        );
    };
    // minikube accepts `m02` for `minikube-m02`.
    let name = nodes
        .iter()
        .map(|(n, _)| n.clone())
        .find(|n| n == given || n.strip_prefix("minikube-") == Some(given.as_str()));
    let Some(name) = name else {
        return Done::err(
            format!("🤷  Node {given} was not found.\n❌  Exiting due to GUEST_NODE_RETRIEVE: retrieving node: Could not find node {given}\n"),
            85,
        );
    };
    if name == "minikube" {
        return Done::err(
            "❌  Exiting due to MK_USAGE: the control-plane node cannot be stopped alone; use `minikube stop`\n",
            64,
        );
    }
    let cluster = cx.rt.cluster();
    if sub == "stop" {
        let _ = cluster.stop_kubelet(&name);
        Done::out(format!(
            "✋  Stopping node \"{name}\"  ...\n🛑  Powering off \"{name}\" via SSH ...\n🛑  Successfully stopped node {name}\n"
        ))
    } else {
        let _ = cluster.start_kubelet(&name);
        Done::out(format!(
            "👍  Starting \"{name}\" worker node in \"minikube\" cluster\n🚜  Pulling base image v0.0.47 ...\n🔄  Restarting existing docker container for \"{name}\" ...\n🐳  Preparing Kubernetes v1.33.1 on Docker 28.1.1 ...\n🔎  Verifying Kubernetes components...\n😄  Successfully started node {name}!\n"
        ))
    }
}

/// Fails like minikube does when the cluster is stopped.
fn running(cx: &Cx) -> Result<(), Done> {
    if cx.sh.laptop.minikube_running {
        Ok(())
    } else {
        Err(Done::err(
            "🤷  The control-plane node minikube host is not running: state=Stopped\n👉  To start a cluster, run: \"minikube start\"\n",
            85,
        ))
    }
}

fn start(cx: &mut Cx) -> Done {
    let header = format!("😄  minikube {VERSION} on Ubuntu 22.04\n");
    let body = if cx.sh.laptop.minikube_running {
        "✨  Using the docker driver based on existing profile\n\
         👍  Starting \"minikube\" primary control-plane node in \"minikube\" cluster\n\
         🚜  Pulling base image v0.0.47 ...\n\
         🏃  Updating the running docker \"minikube\" container ...\n\
         🐳  Preparing Kubernetes v1.33.1 on Docker 28.1.1 ...\n\
         🔎  Verifying Kubernetes components...\n\
         \x20   ▪ Using image gcr.io/k8s-minikube/storage-provisioner:v5\n\
         🌟  Enabled addons: default-storageclass, storage-provisioner\n"
    } else {
        "✨  Using the docker driver based on existing profile\n\
         👍  Starting \"minikube\" primary control-plane node in \"minikube\" cluster\n\
         🚜  Pulling base image v0.0.47 ...\n\
         🔄  Restarting existing docker container for \"minikube\" ...\n\
         🐳  Preparing Kubernetes v1.33.1 on Docker 28.1.1 ...\n\
         🔎  Verifying Kubernetes components...\n\
         \x20   ▪ Using image gcr.io/k8s-minikube/storage-provisioner:v5\n\
         🌟  Enabled addons: storage-provisioner, default-storageclass\n"
    };
    cx.sh.laptop.minikube_running = true;
    Done {
        stdout: format!(
            "{header}{body}🏄  Done! kubectl is now configured to use \"minikube\" cluster and \"default\" namespace by default\n"
        ),
        ..Done::default()
    }
}

fn stop(cx: &mut Cx) -> Done {
    if !cx.sh.laptop.minikube_running {
        return Done::out("✋  Stopping node \"minikube\"  ...\n🛑  1 node stopped.\n");
    }
    cx.sh.laptop.minikube_running = false;
    Done::out("✋  Stopping node \"minikube\"  ...\n🛑  Powering off \"minikube\" via SSH ...\n🛑  1 node stopped.\n")
}

fn status(cx: &mut Cx) -> Done {
    if cx.sh.laptop.minikube_running {
        Done::out("minikube\ntype: Control Plane\nhost: Running\nkubelet: Running\napiserver: Running\nkubeconfig: Configured\n\n")
    } else {
        // Exit status bits: 1 host, 2 cluster, 4 Kubernetes not OK.
        Done {
            stdout: "minikube\ntype: Control Plane\nhost: Stopped\nkubelet: Stopped\napiserver: Stopped\nkubeconfig: Stopped\n\n".into(),
            code: 7,
            ..Done::default()
        }
    }
}

fn service(cx: &mut Cx, args: &[String]) -> Done {
    if let Err(d) = running(cx) {
        return d;
    }
    let mut url = false;
    let mut namespace = "default".to_string();
    let mut name = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--url" => url = true,
            "-n" | "--namespace" => namespace = it.next().cloned().unwrap_or_default(),
            s if s.starts_with("--namespace=") => namespace = s[12..].to_string(),
            "list" if name.is_none() => return service_list(cx),
            s if !s.starts_with('-') => name = Some(s.to_string()),
            _ => {}
        }
    }
    let Some(name) = name else {
        return Done::err(
            "❌  Exiting due to MK_USAGE: You must specify service name(s) or --all\n",
            64,
        );
    };
    let Some(svc) = kubectl::get_object(cx, "services", Some(&namespace), &name) else {
        return Done::err(
            format!(
                "\n❌  Exiting due to SVC_NOT_FOUND: Service '{name}' was not found in '{namespace}' namespace.\nYou may select another namespace by using 'minikube service {name} -n <namespace>'. Or list out all the services using 'minikube service list'\n\n"
            ),
            1,
        );
    };
    let ip = node_ip(cx);
    let ports: Vec<(String, i64)> = svc["spec"]["ports"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    let target = match &p["targetPort"] {
                        serde_json::Value::Number(n) => n.to_string(),
                        serde_json::Value::String(s) => s.clone(),
                        _ => p["port"].to_string(),
                    };
                    p["nodePort"].as_i64().map(|np| (target, np))
                })
                .collect()
        })
        .unwrap_or_default();
    if ports.is_empty() {
        return Done::err(
            format!("😿  service {namespace}/{name} has no node port\n"),
            0,
        );
    }
    if url {
        return Done::out(
            ports
                .iter()
                .map(|(_, np)| format!("http://{ip}:{np}\n"))
                .collect::<String>(),
        );
    }
    let rows: Vec<[String; 4]> = ports
        .iter()
        .map(|(t, np)| {
            [
                namespace.clone(),
                name.clone(),
                t.clone(),
                format!("http://{ip}:{np}"),
            ]
        })
        .collect();
    let mut out = boxed_table(&["NAMESPACE", "NAME", "TARGET PORT", "URL"], &rows);
    out.push_str(&format!(
        "🎉  Opening service {namespace}/{name} in default browser...\n"
    ));
    Done::out(out)
}

fn service_list(cx: &mut Cx) -> Done {
    let ip = node_ip(cx);
    let mut rows = Vec::new();
    for svc in kubectl::list_objects(cx, "services", None) {
        let ns = svc["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let name = svc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ports = svc["spec"]["ports"].as_array().cloned().unwrap_or_default();
        let with_node_port: Vec<&serde_json::Value> =
            ports.iter().filter(|p| p["nodePort"].is_i64()).collect();
        if with_node_port.is_empty() {
            rows.push([ns, name, "No node port".into(), String::new()]);
        } else {
            for p in with_node_port {
                let label = match p["name"].as_str() {
                    Some(n) if !n.is_empty() => format!("{n}/{}", p["port"]),
                    _ => p["port"].to_string(),
                };
                rows.push([
                    ns.clone(),
                    name.clone(),
                    label,
                    format!("http://{ip}:{}", p["nodePort"]),
                ]);
            }
        }
    }
    Done::out(boxed_table(
        &["NAMESPACE", "NAME", "TARGET PORT", "URL"],
        &rows,
    ))
}

/// minikube's tables: `|`-separated cells, header and bottom rules; numbers right-aligned.
fn boxed_table(header: &[&str; 4], rows: &[[String; 4]]) -> String {
    let widths: Vec<usize> = (0..4)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let rule: String = format!(
        "|{}|\n",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("|")
    );
    let centered = |s: &str, w: usize| {
        let total = w - s.len();
        let left = total / 2;
        format!("{}{s}{}", " ".repeat(left), " ".repeat(total - left))
    };
    let mut out = rule.clone();
    out.push('|');
    for c in 0..4 {
        out.push_str(&format!(" {} |", centered(header[c], widths[c])));
    }
    out.push('\n');
    out.push_str(&rule);
    for r in rows {
        out.push('|');
        for c in 0..4 {
            let cell = &r[c];
            let numeric = !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit());
            if numeric {
                out.push_str(&format!(" {cell:>w$} |", w = widths[c]));
            } else {
                out.push_str(&format!(" {cell:<w$} |", w = widths[c]));
            }
        }
        out.push('\n');
    }
    out.push_str(&rule);
    out
}

fn image(cx: &mut Cx, args: &[String]) -> Done {
    if let Err(d) = running(cx) {
        return d;
    }
    match args.first().map(String::as_str) {
        Some("load") => {
            let images: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
            if images.is_empty() {
                return Done::err("❌  Exiting due to MK_USAGE: Please provide an image in your local daemon to load into minikube via <minikube image load IMAGE_NAME>\n", 64);
            }
            for reference in images {
                match local_or_remote(cx, reference) {
                    Some(img) => {
                        if let Err(e) = cx.rt.load_image(&img) {
                            return Done::err(
                                format!("\n❌  Exiting due to GUEST_IMAGE_LOAD: Failed to load image: {e}\n\n"),
                                80,
                            );
                        }
                    }
                    None => {
                        let r = super::laptop::normalize(reference);
                        return Done::err(
                            format!(
                                "\n❌  Exiting due to GUEST_IMAGE_LOAD: Failed to load image: save to dir: caching images: caching image \"/home/learner/.minikube/cache/images/amd64/{}\": write: unable to calculate manifest: GET https://index.docker.io/v2/{}/manifests/{}: UNAUTHORIZED: authentication required\n\n",
                                r.replace(':', "_"),
                                super::laptop::split(&r).0,
                                super::laptop::split(&r).1,
                            ),
                            80,
                        );
                    }
                }
            }
            Done::default()
        }
        Some(other) => Done::err(
            format!("Error: unknown command \"{other}\" for \"minikube image\"\nRun 'minikube image --help' for usage.\n"),
            1,
        ),
        None => Done::out("Manage images\n\nAvailable Commands:\n  load          Load an image into minikube\n\nUse \"minikube image <command> --help\" for more information about a given command.\n"),
    }
}

/// An image from the laptop's Docker, or (as minikube does) from the registry when not local.
pub(crate) fn local_or_remote(cx: &mut Cx, reference: &str) -> Option<LocalImage> {
    if let Some(i) = cx.sh.laptop.image(reference) {
        return Some(LocalImage {
            reference: i.reference.clone(),
            base: i.base.clone(),
            exposed_ports: i.exposed_ports.clone(),
            size_bytes: i.size_bytes,
        });
    }
    let r = super::laptop::normalize(reference);
    cx.rt.registry_image(&r).map(|size| LocalImage {
        reference: r,
        base: None,
        exposed_ports: Vec::new(),
        size_bytes: size,
    })
}
