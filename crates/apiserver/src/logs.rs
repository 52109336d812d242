//! `GET .../pods/{name}/log`: container logs with the kubelet's options (`container`, `previous`,
//! `tailLines`, `timestamps`, `sinceSeconds`, `limitBytes`). Following (`follow=true`) is the
//! HTTP server's loop over [`lines`].

use cluster::api::User;
use cluster::kubelet::logs::LogLine;
use cluster::{resources, Cluster, Status};
use kubectl::rest::{Request, Response};

/// The options of a log request.
#[derive(Clone, Debug, Default)]
pub struct LogOptions {
    pub container: Option<String>,
    pub previous: bool,
    pub tail_lines: Option<usize>,
    pub timestamps: bool,
    pub since_seconds: Option<i64>,
    pub limit_bytes: Option<usize>,
    pub follow: bool,
}

impl LogOptions {
    pub fn from_request(request: &Request) -> LogOptions {
        let flag = |n: &str| {
            request
                .query_value(n)
                .is_some_and(|v| v == "true" || v == "1")
        };
        LogOptions {
            container: request.query_value("container").filter(|c| !c.is_empty()),
            previous: flag("previous"),
            tail_lines: request
                .query_value("tailLines")
                .and_then(|t| t.parse().ok()),
            timestamps: flag("timestamps"),
            since_seconds: request
                .query_value("sinceSeconds")
                .and_then(|t| t.parse().ok()),
            limit_bytes: request
                .query_value("limitBytes")
                .and_then(|t| t.parse().ok()),
            follow: flag("follow"),
        }
    }
}

/// One line as served: with `timestamps`, prefixed by its RFC 3339 time with nanoseconds.
pub fn render(line: &LogLine, timestamps: bool) -> String {
    if timestamps {
        format!(
            "{} {}\n",
            line.time
                .strftime("%Y-%m-%dT%H:%M:%S.%f%:z")
                .to_string()
                .replace("+00:00", "Z"),
            line.line
        )
    } else {
        format!("{}\n", line.line)
    }
}

/// The selected lines of a container's log (after `sinceSeconds` and `tailLines`).
pub fn lines(
    cluster: &Cluster,
    user: &User,
    namespace: &str,
    pod: &str,
    opts: &LogOptions,
) -> Result<Vec<LogLine>, Status> {
    let pods = resources::by_plural("", "pods").expect("pods are served");
    // Reading a log needs access to the pod (RBAC `get` on pods/log in the real server).
    cluster.get_with(user, pods, Some(namespace), pod)?;
    let mut lines =
        cluster.container_logs(namespace, pod, opts.container.as_deref(), opts.previous)?;
    if let Some(s) = opts.since_seconds {
        let since = cluster.now() - jiff::SignedDuration::from_secs(s);
        lines.retain(|l| l.time >= since);
    }
    if let Some(n) = opts.tail_lines {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    Ok(lines)
}

/// The whole log at once (no follow).
pub fn log(
    cluster: &Cluster,
    user: &User,
    request: &Request,
    namespace: &str,
    pod: &str,
) -> Result<Response, Status> {
    let opts = LogOptions::from_request(request);
    let mut body: String = lines(cluster, user, namespace, pod, &opts)?
        .iter()
        .map(|l| render(l, opts.timestamps))
        .collect();
    if let Some(limit) = opts.limit_bytes {
        let mut cut = limit.min(body.len());
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    Ok(Response {
        status: 200,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: body.into_bytes(),
    })
}
