//! The laptop tools against the real simulated cluster: the course's three fixes for
//! ImagePullBackOff, and curl through NodePorts and port-forwards to a pod's real process.

use cluster::{resources, Cluster, ClusterConfig};
use jiff::SignedDuration;
use serde_json::{json, Value};
use shell::{Files, Output, Shell};

struct Laptop {
    shell: Shell,
    cluster: Cluster,
    files: Files,
}

impl Laptop {
    fn new() -> Laptop {
        Laptop {
            shell: Shell::default(),
            cluster: Cluster::new(&ClusterConfig::default()),
            files: Files::new(),
        }
    }

    fn run(&mut self, line: &str) -> Output {
        self.shell
            .run_line(line, &mut self.cluster, &mut self.files)
    }

    fn pod(&mut self, name: &str, image: &str, labels: Value) {
        let rt = resources::by_plural("", "pods").unwrap();
        self.cluster
            .create(
                rt,
                Some("default"),
                json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "labels": labels},
                    "spec": {"containers": [{"name": "app", "image": image}]}}),
            )
            .unwrap();
    }

    fn pod_status(&self, name: &str) -> Value {
        let rt = resources::by_plural("", "pods").unwrap();
        self.cluster
            .get(rt, Some("default"), name)
            .unwrap()
            .to_value()["status"]
            .clone()
    }

    /// The waiting reason of the pod's container, or its phase when it is not waiting.
    fn state(&self, name: &str) -> String {
        let s = self.pod_status(name);
        match s["containerStatuses"][0]["state"]["waiting"]["reason"].as_str() {
            Some(r) => r.to_string(),
            None => s["phase"].as_str().unwrap_or_default().to_string(),
        }
    }

    fn wait(&mut self, seconds: i64) {
        self.cluster.advance(SignedDuration::from_secs(seconds));
    }

    /// A pod of a local-only image, stuck pulling it.
    fn stuck_pod(&mut self, name: &str, image: &str) {
        self.pod(name, image, json!({"app": name}));
        self.wait(60);
        let state = self.state(name);
        assert!(
            state == "ImagePullBackOff" || state == "ErrImagePull",
            "{state}: {}",
            self.pod_status(name)
        );
    }
}

#[test]
fn minikube_image_load_fixes_image_pull_back_off() {
    let mut l = Laptop::new();
    l.stuck_pod("node", "node-app:v1");
    // Waiting does not help: the image is on no registry.
    l.wait(300);
    assert_eq!(l.state("node"), "ImagePullBackOff");
    let out = l.run("minikube image load node-app:v1");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
        ("", "", 0)
    );
    l.wait(300);
    assert_eq!(l.state("node"), "Running", "{}", l.pod_status("node"));
}

#[test]
fn kind_load_docker_image_fixes_image_pull_back_off() {
    let mut l = Laptop::new();
    l.stuck_pod("node", "node-app:v1");
    assert_eq!(l.run("kind create cluster --name kube-demo").exit_code, 0);
    let out = l.run("kind load docker-image --name kube-demo node-app:v1");
    assert!(
        out.stderr
            .contains("not yet present on node \"kube-demo-control-plane\", loading..."),
        "{}",
        out.stderr
    );
    let again = l.run("kind load docker-image --name kube-demo node-app:v1");
    assert!(
        again
            .stderr
            .contains("found to be already present on all nodes."),
        "{}",
        again.stderr
    );
    l.wait(300);
    assert_eq!(l.state("node"), "Running", "{}", l.pod_status("node"));
}

#[test]
fn docker_push_fixes_image_pull_back_off() {
    let mut l = Laptop::new();
    l.stuck_pod("backend", "mon-user/devops-backend:v1");
    // The course's image is on the laptop under :latest; tag and push the one the pod wants.
    assert_eq!(
        l.run("docker tag mon-user/devops-backend:latest mon-user/devops-backend:v1")
            .exit_code,
        0
    );
    assert_eq!(
        l.run("docker push mon-user/devops-backend:v1").exit_code,
        1,
        "not logged in"
    );
    assert_eq!(
        l.run("docker login -u mon-user -p secret").stdout,
        "Login Succeeded\n"
    );
    let out = l.run("docker push mon-user/devops-backend:v1");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    l.wait(300);
    assert_eq!(l.state("backend"), "Running", "{}", l.pod_status("backend"));
}

#[test]
fn curl_reaches_nginx_through_a_node_port_and_a_port_forward() {
    let mut l = Laptop::new();
    l.pod("web", "nginx:1.27", json!({"app": "web"}));
    let rt = resources::by_plural("", "services").unwrap();
    l.cluster
        .create(
            rt,
            Some("default"),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                "spec": {"type": "NodePort", "selector": {"app": "web"},
                    "ports": [{"port": 80, "targetPort": 80, "nodePort": 30080}]}}),
        )
        .unwrap();
    l.wait(60);
    assert_eq!(l.state("web"), "Running", "{}", l.pod_status("web"));
    let url = l.run("minikube service web --url");
    assert_eq!(url.stdout, "http://192.168.49.2:30080\n");
    let page = l.run("curl -s http://192.168.49.2:30080");
    assert_eq!(page.exit_code, 0, "{}", page.stderr);
    assert!(page.stdout.contains("Welcome to nginx!"), "{}", page.stdout);
    let out = l.run("kubectl port-forward svc/web 8080:80 &");
    assert!(
        out.stdout
            .starts_with("Forwarding from 127.0.0.1:8080 -> 80\n"),
        "{out:?}"
    );
    let through = l.run("curl localhost:8080");
    assert_eq!(
        through.stdout,
        format!("Handling connection for 8080\n{}", page.stdout)
    );
    // The cluster IP does not route from the laptop: curl waits for its timeout.
    let ip = l.run("kubectl get svc web -o jsonpath='{.spec.clusterIP}'");
    let hang = l.run(&format!("curl -m 0.01 http://{}", ip.stdout));
    assert_eq!(hang.exit_code, 130, "interrupted while it hangs: {hang:?}");
}

#[test]
fn a_forward_to_a_port_nothing_listens_on_fails_as_kubectl_does() {
    let mut l = Laptop::new();
    l.pod("web", "nginx:1.27", json!({"app": "web"}));
    l.wait(60);
    let out = l.run("kubectl port-forward pod/web 8081:81 &");
    assert!(
        out.stdout
            .starts_with("Forwarding from 127.0.0.1:8081 -> 81\n"),
        "{out:?}"
    );
    // kubectl accepts the connection, the kubelet finds nothing on port 81, and kubectl logs
    // the runtime's error, drops the connection and ends the forward.
    let curl = l.run("curl localhost:8081");
    assert_eq!(curl.exit_code, 52, "{curl:?}");
    assert!(
        curl.stdout.starts_with("Handling connection for 8081\n"),
        "{curl:?}"
    );
    let all = format!("{}{}", curl.stdout, curl.stderr);
    assert!(
        all.contains(" portforward.go:424] \"Unhandled Error\" err=\"an error occurred forwarding 8081 -> 81: error forwarding port 81 to pod "),
        "{all}"
    );
    assert!(
        all.contains("inside namespace \\\""),
        "the runtime's quotes are escaped in klog's value: {all}"
    );
    assert!(all.contains("error: lost connection to pod\n"), "{all}");
    assert!(
        all.contains("curl: (52) Empty reply from server\n"),
        "{all}"
    );
    // The job is over: the port is free again.
    let again = l.run("curl localhost:8081");
    assert_eq!(again.exit_code, 7, "{again:?}");
}
