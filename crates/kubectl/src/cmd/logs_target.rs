//! `kubectl logs TYPE/NAME` for a controller: the pod kubectl picks among the ones its selector
//! matches (upstream `polymorphichelpers.logsForObject` with `podutils.ByLogging`).

use serde_json::Value;

use super::Env;
use crate::rest::{percent_encode, Request};
use crate::{server_error, Output};

/// The chosen pod's name, after saying how many there were when more than one.
pub fn pick_pod(typed: &str, name: &str, env: &mut Env, out: &mut Output) -> Option<String> {
    let ns = env.namespace.clone();
    let Some(m) = env.discovery().resolve(typed).cloned() else {
        out.fail(format!(
            "error: the server doesn't have a resource type \"{typed}\""
        ));
        return None;
    };
    let resp = env
        .transport
        .call(Request::get(m.object_path(Some(&ns), name)).header("accept", "application/json"));
    if resp.status >= 400 {
        // The logs command words a failed GET its own way.
        let msg = server_error(&resp);
        let msg = msg
            .strip_prefix("Error from server")
            .map(|m| format!("error: error from server{m}"))
            .unwrap_or(msg);
        if resp.status == 404 {
            out.fail(format!("{msg} in namespace \"{ns}\""));
        } else {
            out.fail(msg);
        }
        return None;
    }
    let obj = resp.body_json().unwrap_or_default();
    let selector = match m.kind.as_str() {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
            match_labels(&obj["spec"]["selector"]["matchLabels"])
        }
        "ReplicationController" | "Service" => match_labels(&obj["spec"]["selector"]),
        other => {
            out.fail(format!(
                "error: cannot get the logs from {}",
                kind_path(other)
            ));
            return None;
        }
    };
    let resp = env.transport.call(
        Request::get(format!(
            "/api/v1/namespaces/{ns}/pods?labelSelector={}&limit=500",
            percent_encode(&selector)
        ))
        .header("accept", "application/json"),
    );
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return None;
    }
    let mut pods = resp.body_json().unwrap_or_default()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if pods.is_empty() {
        out.fail("error: timed out waiting for the condition");
        return None;
    }
    pods.sort_by_key(logging_rank);
    let chosen = pods[0]["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if pods.len() > 1 {
        out.stderr
            .push_str(&format!("Found {} pods, using pod/{chosen}\n", pods.len()));
    }
    Some(chosen)
}

fn kind_path(kind: &str) -> String {
    format!("*{kind}")
}

/// `a=b,c=d` from a label map, sorted by key like `labels.SelectorFromSet`.
fn match_labels(labels: &Value) -> String {
    let mut pairs: Vec<String> = labels
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    pairs.join(",")
}

/// `ByLogging`: assigned before unassigned, Running before Unknown before Pending, ready before
/// not ready, more restarts first, older before newer.
fn logging_rank(pod: &Value) -> (u8, u8, u8, i64, String) {
    let assigned = u8::from(pod["spec"]["nodeName"].as_str().unwrap_or("").is_empty());
    let phase = match pod["status"]["phase"].as_str() {
        Some("Running") => 0,
        Some("Unknown") => 1,
        Some("Pending") => 2,
        _ => 3,
    };
    let ready = pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    let restarts: i64 = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["restartCount"].as_i64().unwrap_or(0))
        .sum();
    let created = pod["metadata"]["creationTimestamp"]
        .as_str()
        .map_or_else(|| "~".to_string(), str::to_string);
    (assigned, phase, u8::from(!ready), -restarts, created)
}

/// `kubectl logs -f` after the log so far: the lines the container writes next, until it stops
/// running (the server ends a followed log then) or Ctrl-C.
///
/// Each poll reads the container's whole log again and prints the lines past those already
/// printed; `--tail` shaped only the first answer, as it does upstream.
pub struct LogFollow {
    /// `/api/v1/namespaces/{ns}/pods/{pod}`.
    pub pod_path: String,
    /// The log request without `follow` or `tailLines` (container, timestamps).
    pub log_path: String,
    pub container: Option<String>,
    /// Lines of the whole log printed or skipped so far.
    pub sent: usize,
    /// The container's restart count when following began: a new instance writes a new log.
    pub restarts: Option<i64>,
}

impl LogFollow {
    /// Starts following after the first answer: counts the whole log as seen.
    pub fn start(
        transport: &mut dyn crate::rest::Transport,
        pod_path: String,
        log_path: String,
        container: Option<String>,
    ) -> LogFollow {
        let mut f = LogFollow {
            pod_path,
            log_path,
            container,
            sent: 0,
            restarts: None,
        };
        f.sent = f.read_log(transport, false).map_or(0, |l| l.len());
        f.restarts = f.container_state(transport).and_then(|(_, r)| r);
        f
    }

    fn read_log(
        &self,
        transport: &mut dyn crate::rest::Transport,
        previous: bool,
    ) -> Option<Vec<String>> {
        let mut path = self.log_path.clone();
        if previous {
            path.push(if path.contains('?') { '&' } else { '?' });
            path.push_str("previous=true");
        }
        let resp = transport.call(Request::get(path).header("accept", "application/json, */*"));
        if resp.status >= 400 {
            return None;
        }
        let text = String::from_utf8_lossy(&resp.body).into_owned();
        Some(text.split_inclusive('\n').map(str::to_string).collect())
    }

    /// Whether the followed container runs now, and its restart count.
    fn container_state(
        &self,
        transport: &mut dyn crate::rest::Transport,
    ) -> Option<(bool, Option<i64>)> {
        let resp = transport
            .call(Request::get(self.pod_path.clone()).header("accept", "application/json"));
        if resp.status >= 400 {
            return None;
        }
        let pod = resp.body_json().unwrap_or_default();
        let status = pod["status"]["containerStatuses"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(
                pod["status"]["initContainerStatuses"]
                    .as_array()
                    .into_iter()
                    .flatten(),
            )
            .find(|c| match &self.container {
                Some(name) => c["name"] == name.as_str(),
                None => true,
            })?;
        Some((
            status["state"]["running"].is_object(),
            status["restartCount"].as_i64(),
        ))
    }
}

impl crate::Running for LogFollow {
    fn poll(&mut self, transport: &mut dyn crate::rest::Transport) -> (Output, Option<i32>) {
        let mut out = Output::default();
        let state = self.container_state(transport);
        // Restarted since the last poll: the followed instance's last lines are now its
        // "previous" log, and the follow ends there.
        let same_instance = state.is_some_and(|(_, r)| r == self.restarts);
        let restarted = state.is_some() && !same_instance;
        if let Some(lines) = self.read_log(transport, restarted) {
            for l in lines.iter().skip(self.sent) {
                out.stdout.push_str(l);
            }
            self.sent = self.sent.max(lines.len());
        }
        let running = same_instance && state.is_some_and(|(running, _)| running);
        (out, (!running).then_some(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn running_ready_older_pods_come_first() {
        let pod = |name: &str, phase: &str, ready: &str, created: &str| {
            json!({"metadata": {"name": name, "creationTimestamp": created},
                   "spec": {"nodeName": "minikube"},
                   "status": {"phase": phase, "conditions": [{"type": "Ready", "status": ready}]}})
        };
        let mut pods = vec![
            pod("pending", "Pending", "False", "2024-01-01T00:00:00Z"),
            pod("new", "Running", "True", "2024-01-03T00:00:00Z"),
            pod("old", "Running", "True", "2024-01-02T00:00:00Z"),
            pod("unready", "Running", "False", "2024-01-01T00:00:00Z"),
        ];
        pods.sort_by_key(logging_rank);
        let names: Vec<&str> = pods
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["old", "new", "unready", "pending"]);
        assert_eq!(
            match_labels(&json!({"tier": "a", "app": "web"})),
            "app=web,tier=a"
        );
    }
}
