//! A session for shell tests: a real cluster behind a runtime whose image stores, registry and
//! network are plain records, so tests can see exactly what the laptop tools asked for.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use cluster::{resources, Cluster, ClusterConfig};
use serde_json::{json, Value};
use shell::runtime::{Endpoint, HttpRequest, HttpResponse, LocalImage, NetError, Runtime};
use shell::{Files, Output, Shell, State, Step};

pub struct Recorder {
    pub cluster: Cluster,
    pub loaded: Vec<LocalImage>,
    pub pushed: Vec<LocalImage>,
    pub registry: BTreeSet<String>,
    pub requests: Vec<(Endpoint, HttpRequest)>,
}

impl Runtime for Recorder {
    fn cluster(&mut self) -> &mut Cluster {
        &mut self.cluster
    }

    fn load_image(&mut self, image: &LocalImage) -> Result<Vec<String>, String> {
        self.loaded.push(image.clone());
        Ok(vec!["minikube".into()])
    }

    fn push_image(&mut self, image: &LocalImage) -> Result<(), String> {
        self.registry.insert(image.reference.clone());
        self.pushed.push(image.clone());
        Ok(())
    }

    fn registry_image(&mut self, reference: &str) -> Option<u64> {
        self.registry.contains(reference).then_some(50_000_000)
    }

    fn http(&mut self, to: &Endpoint, request: &HttpRequest) -> Result<HttpResponse, NetError> {
        self.requests.push((to.clone(), request.clone()));
        let body = match to {
            Endpoint::Node { port, .. } => {
                let svc = self
                    .cluster
                    .list(resources::by_plural("", "services").unwrap(), None)
                    .into_iter()
                    .map(|s| s.to_value())
                    .find(|s| {
                        s["spec"]["ports"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|p| p["nodePort"].as_u64() == Some(u64::from(*port)))
                    })
                    .ok_or(NetError::Refused)?;
                format!(
                    "hello from service {}\n",
                    svc["metadata"]["name"].as_str().unwrap()
                )
            }
            Endpoint::Pod { name, port, .. } => format!("hello from pod {name} port {port}\n"),
        };
        Ok(HttpResponse {
            status: if request.path == "/missing" { 404 } else { 200 },
            reason: if request.path == "/missing" {
                "Not Found".into()
            } else {
                "OK".into()
            },
            headers: vec![
                ("Server".into(), "nginx/1.27.5".into()),
                ("Content-Length".into(), body.len().to_string()),
            ],
            body,
        })
    }
}

pub struct Session {
    pub shell: Shell,
    pub rt: Recorder,
    pub files: Files,
}

impl Session {
    pub fn new() -> Session {
        Session {
            shell: Shell::default(),
            rt: Recorder {
                cluster: Cluster::new(&ClusterConfig::default()),
                loaded: Vec::new(),
                pushed: Vec::new(),
                registry: [
                    "nginx:latest",
                    "node:18",
                    "nginx:alpine",
                    "python:3.12-slim",
                    "alpine:latest",
                ]
                .into_iter()
                .map(str::to_string)
                .collect(),
                requests: Vec::new(),
            },
            files: BTreeMap::new(),
        }
    }

    /// Runs a line the way `POST /shell` does.
    pub fn run(&mut self, line: &str) -> Output {
        self.shell.run_line(line, &mut self.rt, &mut self.files)
    }

    pub fn start(&mut self, line: &str) -> Step {
        self.shell.start(line, &mut self.rt, &mut self.files)
    }

    pub fn poll(&mut self) -> Step {
        self.shell.poll(&mut self.rt, &mut self.files)
    }

    pub fn interrupt(&mut self) -> Step {
        self.shell.interrupt(&mut self.rt, &mut self.files)
    }

    /// Polls until the line ends (or a few seconds pass).
    pub fn wait(&mut self, mut step: Step) -> (String, String, i32) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let (mut out, mut err) = step.output();
        while let State::Running(_) = step.state {
            assert!(std::time::Instant::now() < deadline, "line did not finish");
            std::thread::sleep(std::time::Duration::from_millis(5));
            step = self.poll();
            let (o, e) = step.output();
            out.push_str(&o);
            err.push_str(&e);
        }
        let State::Exited(code) = step.state else {
            unreachable!()
        };
        (out, err, code)
    }

    pub fn create(&mut self, plural: &str, group: &str, ns: Option<&str>, body: Value) {
        let rt = resources::by_plural(group, plural).unwrap();
        self.rt.cluster.create(rt, ns, body).unwrap();
    }

    /// A running pod `name` with labels, serving on `port`.
    pub fn running_pod(&mut self, name: &str, labels: Value, port: u16) {
        self.create(
            "pods",
            "",
            Some("default"),
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": port, "name": "http"}]}]},
            }),
        );
        // The simulated kubelet pulls and starts it as time passes.
        self.rt.cluster.advance(jiff::SignedDuration::from_secs(60));
        let rt = resources::by_plural("", "pods").unwrap();
        let pod = self
            .rt
            .cluster
            .get(rt, Some("default"), name)
            .unwrap()
            .to_value();
        assert_eq!(pod["status"]["phase"], "Running", "{}", pod["status"]);
    }

    /// A NodePort service `name` selecting `app=<app>`, port 80 → target `target`.
    pub fn node_port_service(&mut self, name: &str, app: &str, target: Value, node_port: u16) {
        self.create(
            "services",
            "",
            Some("default"),
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": name},
                "spec": {"type": "NodePort", "selector": {"app": app},
                    "ports": [{"port": 80, "targetPort": target, "nodePort": node_port, "protocol": "TCP"}]}}),
        );
    }
}
