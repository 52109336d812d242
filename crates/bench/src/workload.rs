//! The terminal workloads of the benchmarks, shared by `wheelhouse-bench` and the shell's
//! `latency` example (which includes this file, to measure the same work without the server).

use std::collections::BTreeMap;

use cluster::{Cluster, ClusterConfig};

/// A session's cluster, files and shell, as the server holds them, without the server.
pub struct Sandbox {
    pub cluster: Cluster,
    pub files: BTreeMap<String, String>,
    pub shell: shell::Shell,
}

impl Sandbox {
    pub fn new(cluster: Cluster) -> Sandbox {
        Sandbox {
            cluster,
            files: BTreeMap::new(),
            shell: shell::Shell::default(),
        }
    }

    pub fn run(&mut self, line: &str) -> shell::Output {
        self.shell
            .run_line(line, &mut self.cluster, &mut self.files)
    }

    /// Runs a line that must succeed, and returns what it printed.
    pub fn must(&mut self, line: &str) -> shell::Output {
        let out = self.run(line);
        assert_eq!(out.exit_code, 0, "{line}: {}{}", out.stdout, out.stderr);
        out
    }
}

/// A cluster with room for `pods` pods on its one node.
pub fn big_cluster(pods: u32) -> Cluster {
    let shape = cluster::minikube::Shape {
        control_plane_cpu: "1000".into(),
        control_plane_memory: "4000Gi".into(),
        control_plane_pods: pods + 50,
        ..Default::default()
    };
    let mut c = Cluster::with_shape(&ClusterConfig::default(), &shape);
    c.advance(jiff::SignedDuration::from_secs(120));
    c
}

/// Five ConfigMaps and five one-replica Deployments, as one file.
pub fn ten_object_manifest() -> String {
    let mut docs = Vec::new();
    for i in 0..5 {
        docs.push(format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-{i}\ndata:\n  key: value-{i}\n"
        ));
        docs.push(format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{i}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: app-{i}\n  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n"
        ));
    }
    docs.join("---\n")
}
