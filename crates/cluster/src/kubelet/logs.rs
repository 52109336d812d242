//! Container logs, as `GET /api/v1/namespaces/{ns}/pods/{name}/log` serves them, with the
//! kubelet's own refusals (`validateContainerLogStatus`).

use jiff::Timestamp;
use k8s_openapi::api::core::v1::Pod;

use super::Instance;
use crate::clock;
use crate::object::Object;
use crate::status::Status;
use crate::store::Key;
use crate::Cluster;

/// One log line and when it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub time: Timestamp,
    pub line: String,
}

fn bad_request(message: String) -> Status {
    Status::new(400, "BadRequest", message)
}

impl Cluster {
    /// The log of a container: the running one, or with `previous` the last terminated one.
    /// `container` may be omitted for single-container pods.
    pub fn container_logs(
        &self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        previous: bool,
    ) -> Result<Vec<LogLine>, Status> {
        let key = Key {
            kind: "Pod",
            namespace: namespace.into(),
            name: pod.into(),
        };
        let Some(Object::Pod(p)) = self.store().get(&key).map(|o| o.as_ref()) else {
            return Err(Status::new(
                404,
                "NotFound",
                format!("pods \"{pod}\" not found"),
            ));
        };
        let name = resolve_container(p, container)?;
        let rt = self
            .runtime
            .kubelet
            .pods
            .get(&super::PodName::new(namespace, pod));
        let c = rt.and_then(|rt| rt.containers.iter().find(|c| c.name == name));
        let status = p.status.as_ref().and_then(|s| {
            s.container_statuses
                .iter()
                .flatten()
                .chain(s.init_container_statuses.iter().flatten())
                .find(|c| c.name == name)
                .cloned()
        });
        let Some(st) = status else {
            return Err(bad_request(format!(
                "container \"{name}\" in pod \"{pod}\" is waiting to start: ContainerCreating"
            )));
        };
        let state = st.state.clone().unwrap_or_default();
        let last_terminated = st.last_state.as_ref().and_then(|l| l.terminated.as_ref());
        let wanted_id: String = if previous {
            match last_terminated.and_then(|t| t.container_id.clone()) {
                Some(id) => id,
                None => {
                    return Err(bad_request(format!(
                        "previous terminated container \"{name}\" in pod \"{pod}\" not found"
                    )))
                }
            }
        } else if let Some(id) = st
            .container_id
            .clone()
            .filter(|_| state.running.is_some() || state.terminated.is_some())
        {
            id
        } else if let Some(id) = last_terminated.and_then(|t| t.container_id.clone()) {
            id
        } else {
            let reason = state
                .waiting
                .and_then(|w| w.reason)
                .unwrap_or_else(|| "ContainerCreating".into());
            let why = match reason.as_str() {
                "ErrImagePull" => "image can't be pulled".to_string(),
                "ImagePullBackOff" => "trying and failing to pull image".to_string(),
                other => other.to_string(),
            };
            return Err(bad_request(format!(
                "container \"{name}\" in pod \"{pod}\" is waiting to start: {why}"
            )));
        };
        let id = wanted_id.trim_start_matches("docker://");
        let inst: Option<&Instance> = c.and_then(|c| {
            [c.current.as_ref(), c.previous.as_ref()]
                .into_iter()
                .flatten()
                .find(|i| i.container_id == id)
        });
        let Some(inst) = inst else {
            return Ok(Vec::new());
        };
        let until = inst
            .finished
            .as_ref()
            .map_or(self.now(), |f| f.0.min(self.now()));
        let secs = clock::seconds_between(inst.started, until);
        Ok(inst
            .plan
            .logs_until(secs)
            .into_iter()
            .map(|(off, line)| LogLine {
                time: clock::after(inst.started, off),
                line,
            })
            .collect())
    }
}

/// Picks the container a log request means, refusing like the API server when it is ambiguous.
fn resolve_container(p: &Pod, container: Option<&str>) -> Result<String, Status> {
    let pod = p.metadata.name.clone().unwrap_or_default();
    let spec = p.spec.clone().unwrap_or_default();
    let names: Vec<String> = spec.containers.iter().map(|c| c.name.clone()).collect();
    let init: Vec<String> = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| c.name.clone())
        .collect();
    match container {
        Some(c) if names.iter().chain(init.iter()).any(|n| n == c) => Ok(c.to_string()),
        Some(c) => {
            let mut msg = format!("container {c} is not valid for pod {pod}");
            if names.len() + init.len() > 0 {
                msg = format!("container {c} is not valid for pod {pod}");
            }
            Err(bad_request(msg))
        }
        None if names.len() == 1 => Ok(names[0].clone()),
        None => {
            let mut msg = format!(
                "a container name must be specified for pod {pod}, choose one of: [{}]",
                names.join(" ")
            );
            if !init.is_empty() {
                msg.push_str(&format!(
                    " or one of the init containers: [{}]",
                    init.join(" ")
                ));
            }
            Err(bad_request(msg))
        }
    }
}
