"""The official Python `kubernetes` client against a Wheelhouse session: list pods and watch them.

Run by `server/tests/real_kubectl.rs` (test `python_client_lists_and_watches_pods`) with
KUBECONFIG pointing at the session and WH_NAMESPACE naming a namespace to work in.
"""
import os
import sys
import threading

from kubernetes import client, config, watch


def main():
    config.load_kube_config(config_file=os.environ["KUBECONFIG"])
    ns = os.environ["WH_NAMESPACE"]
    v1 = client.CoreV1Api()

    nodes = [n.metadata.name for n in v1.list_node().items]
    print("nodes:", ",".join(nodes))

    system = sorted(p.metadata.namespace for p in v1.list_pod_for_all_namespaces().items)
    print("kube-system pods present:", "kube-system" in system)

    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="py", labels={"app": "py"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.27")]),
    )
    v1.create_namespaced_pod(ns, pod)
    listed = v1.list_namespaced_pod(ns, label_selector="app=py")
    print("listed:", [p.metadata.name for p in listed.items])

    # Watch from the list's resourceVersion; create a second pod from another thread.
    def later():
        second = client.V1Pod(
            metadata=client.V1ObjectMeta(name="py2", labels={"app": "py"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.27")]),
        )
        v1.create_namespaced_pod(ns, second)

    threading.Timer(0.5, later).start()
    w = watch.Watch()
    seen = []
    for event in w.stream(
        v1.list_namespaced_pod,
        ns,
        label_selector="app=py",
        resource_version=listed.metadata.resource_version,
        timeout_seconds=10,
    ):
        seen.append((event["type"], event["object"].metadata.name))
        if ("ADDED", "py2") in seen:
            w.stop()
    print("watched py2 added:", ("ADDED", "py2") in seen)

    try:
        v1.read_namespaced_pod("missing", ns)
    except client.exceptions.ApiException as e:
        print("error:", e.status, e.reason)

    v1.delete_namespaced_pod("py", ns)
    v1.delete_namespaced_pod("py2", ns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
