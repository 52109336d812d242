//! `kind` (v0.29): clusters "created" with it are names for the session's cluster; `kind load
//! docker-image` copies an image from the laptop into its node.

use super::laptop::normalize;
use super::Done;
use crate::exec::Cx;
use crate::runtime::LocalImage;

/// `--name x` / `--name=x` / `-n x`, defaulting to `kind`.
fn cluster_name(args: &[String]) -> (String, Vec<String>) {
    let mut name = "kind".to_string();
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--name" | "-n" => {
                if let Some(n) = it.next() {
                    name = n.clone();
                }
            }
            s if s.starts_with("--name=") => name = s[7..].to_string(),
            _ => rest.push(a.clone()),
        }
    }
    (name, rest)
}

pub(crate) fn run(cx: &mut Cx, args: &[String]) -> Done {
    let words: Vec<&str> = args.iter().map(String::as_str).take(2).collect();
    match words.as_slice() {
        ["create", "cluster"] => create(cx, &args[2..]),
        ["delete", "cluster"] => delete(cx, &args[2..]),
        ["get", "clusters"] => {
            if cx.sh.laptop.kind_clusters.is_empty() {
                Done::err("No kind clusters found.\n", 0)
            } else {
                Done::out(cx.sh.laptop.kind_clusters.iter().map(|c| format!("{c}\n")).collect::<String>())
            }
        }
        ["get", "nodes"] => {
            let (name, _) = cluster_name(&args[2..]);
            if cx.sh.laptop.kind_clusters.contains(&name) {
                Done::out(format!("{name}-control-plane\n"))
            } else {
                Done::err(format!("No kind nodes found for cluster \"{name}\".\n"), 0)
            }
        }
        ["load", "docker-image"] => load(cx, &args[2..]),
        ["version", ..] | ["--version", ..] => Done::out("kind v0.29.0 go1.24.2 linux/amd64\n"),
        [] | ["help", ..] | ["--help", ..] => Done::out("kind creates and manages local Kubernetes clusters using Docker container 'nodes'\n\nUsage:\n  kind [command]\n\nAvailable Commands:\n  create      Creates one of [cluster]\n  delete      Deletes one of [cluster]\n  get         Gets one of [clusters, nodes, kubeconfig]\n  load        Loads images into nodes\n  version     Prints the kind CLI version\n"),
        [first, ..] => Done::err(
            format!("ERROR: unknown command \"{first}\" for \"kind\"\n"),
            1,
        ),
    }
}

fn create(cx: &mut Cx, args: &[String]) -> Done {
    let (name, _) = cluster_name(args);
    if cx.sh.laptop.kind_clusters.contains(&name) {
        return Done::err(
            format!("ERROR: failed to create cluster: node(s) already exist for a cluster with the name \"{name}\"\n"),
            1,
        );
    }
    cx.sh.laptop.kind_clusters.push(name.clone());
    Done::err(
        format!(
            "Creating cluster \"{name}\" ...\n \
             ✓ Ensuring node image (kindest/node:v1.33.1) 🖼\n \
             ✓ Preparing nodes 📦 \n \
             ✓ Writing configuration 📜\n \
             ✓ Starting control-plane 🕹️\n \
             ✓ Installing CNI 🔌\n \
             ✓ Installing StorageClass 💾\n\
             Set kubectl context to \"kind-{name}\"\n\
             You can now use your cluster with:\n\n\
             kubectl cluster-info --context kind-{name}\n\n\
             Have a nice day! 👋\n"
        ),
        0,
    )
}

fn delete(cx: &mut Cx, args: &[String]) -> Done {
    let (name, _) = cluster_name(args);
    cx.sh.laptop.kind_clusters.retain(|c| c != &name);
    Done::err(format!("Deleting cluster \"{name}\" ...\n"), 0)
}

fn load(cx: &mut Cx, args: &[String]) -> Done {
    let (name, images) = cluster_name(args);
    let images: Vec<String> = images.into_iter().filter(|a| !a.starts_with('-')).collect();
    if images.is_empty() {
        return Done::err("ERROR: a list of image names is required\n", 1);
    }
    if !cx.sh.laptop.kind_clusters.contains(&name) {
        return Done::err(format!("ERROR: no nodes found for cluster \"{name}\"\n"), 1);
    }
    let mut d = Done::default();
    for reference in &images {
        let Some(img) = cx.sh.laptop.image(reference).cloned() else {
            d.stderr = format!("ERROR: image: \"{reference}\" not present locally\n");
            d.code = 1;
            return d;
        };
        let loaded = cx.rt.load_image(&LocalImage {
            reference: normalize(reference),
            base: img.base.clone(),
            exposed_ports: img.exposed_ports.clone(),
            size_bytes: img.size_bytes,
        });
        match loaded {
            // kind names its one node after the cluster.
            Ok(nodes) if nodes.is_empty() => d.stderr.push_str(&format!(
                "Image: \"{reference}\" with ID \"{}\" found to be already present on all nodes.\n",
                img.id
            )),
            Ok(_) => d.stderr.push_str(&format!(
                "Image: \"{reference}\" with ID \"{}\" not yet present on node \"{name}-control-plane\", loading...\n",
                img.id
            )),
            Err(e) => {
                d.stderr.push_str(&format!("ERROR: failed to load image: {e}\n"));
                d.code = 1;
                return d;
            }
        }
    }
    d
}
