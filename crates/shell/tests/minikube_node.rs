//! `minikube node stop|start`: a worker switched off and on again, as the node lifecycle
//! controller and `kubectl get nodes` then see it.

use cluster::minikube::Shape;
use cluster::{Cluster, ClusterConfig};
use jiff::SignedDuration;
use shell::{Files, Shell};

fn run(shell: &mut Shell, cluster: &mut Cluster, files: &mut Files, line: &str) -> String {
    let out = shell.run_line(line, cluster, files);
    assert_eq!(out.exit_code, 0, "{line}: {}", out.stderr);
    out.stdout
}

#[test]
fn a_stopped_worker_goes_not_ready_and_comes_back() {
    let mut cluster = Cluster::with_shape(
        &ClusterConfig::default(),
        &Shape::with_workers(1, "2", "8025424Ki"),
    );
    let (mut shell, mut files) = (Shell::default(), Files::new());
    let sh = &mut shell;
    assert_eq!(
        run(sh, &mut cluster, &mut files, "minikube node list"),
        "minikube\t192.168.49.2\nminikube-m02\t192.168.49.3\n"
    );
    let stop = run(sh, &mut cluster, &mut files, "minikube node stop m02");
    assert!(
        stop.ends_with("🛑  Successfully stopped node minikube-m02\n"),
        "{stop}"
    );
    cluster.advance(SignedDuration::from_secs(60));
    let nodes = run(sh, &mut cluster, &mut files, "kubectl get nodes");
    assert!(nodes.contains("minikube-m02   NotReady"), "{nodes}");
    run(
        sh,
        &mut cluster,
        &mut files,
        "minikube node start minikube-m02",
    );
    let nodes = run(sh, &mut cluster, &mut files, "kubectl get nodes");
    assert!(nodes.contains("minikube-m02   Ready"), "{nodes}");
    let missing = sh.run_line("minikube node stop m09", &mut cluster, &mut files);
    assert_eq!(missing.exit_code, 85);
}
