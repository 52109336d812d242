//! The Kubernetes REST API of one simulated cluster, as pure request → response functions.
//!
//! The HTTP server adapts real requests to [`kubectl::rest::Request`] and calls [`handle`]; the
//! terminal's kubectl calls the same function in-process through [`InProcess`]. One code path
//! serves both, so the emulation meets exactly the server that the real kubectl meets.
//!
//! Streaming requests (watch, log follow, exec, port-forward) are split into a pure part here ([`watch`]) and
//! the IO loop in the server.

pub mod conversion;
pub mod discovery;
pub mod exec;
pub mod handlers;
mod health;
pub mod logs;
pub mod metrics;
pub mod openapi;
pub mod path;
pub mod portforward;
pub mod protobuf;
pub mod reply;
pub mod spdy;
pub mod table;
pub mod watch;

use cluster::{resources, Cluster, Status};
use kubectl::rest::{Request, Response, Transport};
use serde_json::Value;

use path::ApiPath;
pub use reply::Reply;

/// Answers one non-streaming API request.
pub fn handle(cluster: &mut Cluster, request: &Request) -> Response {
    reply(cluster, request).into_response()
}

/// Answers one non-streaming API request, leaving a JSON body unencoded (see [`Reply`]).
pub fn reply(cluster: &mut Cluster, request: &Request) -> Reply {
    match route(cluster, request) {
        Ok(r) => r,
        Err(status) => status_response(&status).into(),
    }
}

/// A failed request as the API server serves it.
pub fn status_response(status: &Status) -> Response {
    Response::json(status.code, &status.to_value())
}

/// What client-go sends for kubectl 1.33.1 (`<command>/<version> (<os>/<arch>) kubernetes/<commit>`).
const KUBECTL_USER_AGENT: &str = "kubectl/v1.33.1 (linux/amd64) kubernetes/8adc0f0";

/// kubectl's transport to a cluster in the same process.
pub struct InProcess<'a> {
    pub cluster: &'a mut Cluster,
}

/// The emulation identifies itself as the real kubectl does: the server names writers without a
/// fieldManager after the User-Agent's product (managedFields' `kubectl`).
fn with_user_agent(request: Request) -> Request {
    if request.header_value("user-agent").is_none() {
        request.header("user-agent", KUBECTL_USER_AGENT)
    } else {
        request
    }
}

impl Transport for InProcess<'_> {
    fn call(&mut self, request: Request) -> Response {
        handle(self.cluster, &with_user_agent(request))
    }

    /// The server's JSON documents are handed over without being encoded and parsed again.
    fn call_json(&mut self, request: Request) -> (Response, Option<Value>) {
        reply(self.cluster, &with_user_agent(request)).into_parts()
    }

    /// kubectl's own clock is the simulated one, so ages it computes match the server's.
    fn now(&mut self) -> jiff::Timestamp {
        self.cluster.now()
    }
}

/// The 404 of a URL that names nothing served.
pub fn not_found_path() -> Status {
    Status::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

/// Whether a path is one the API server itself answers, as opposed to an unknown URL.
fn route(cluster: &mut Cluster, request: &Request) -> Result<Reply, Status> {
    let path = request.path_only().trim_end_matches('/');
    let accept = request.header_value("accept");
    match path {
        "/version" => return Ok(Reply::json(200, discovery::version())),
        _ if health::is_health_path(path) => {
            return health::answer(path, request.query_value("verbose").is_some())
                .map(Reply::from)
                .ok_or_else(not_found_path)
        }
        "/api" | "/apis" => {
            if discovery::wants_aggregated(accept) {
                return Ok(Response {
                    status: 200,
                    headers: vec![("content-type".into(), discovery::AGGREGATED_V2.into())],
                    body: discovery::aggregated_bytes(path == "/api").to_vec(),
                }
                .into());
            }
            let doc = if path == "/api" {
                let host = request.header_value("host").unwrap_or("127.0.0.1:8080");
                discovery::api_versions(host)
            } else {
                discovery::api_group_list()
            };
            return Ok(Reply::json(200, doc));
        }
        "/openapi/v3" => return Ok(Reply::json(200, openapi::index())),
        "/openapi/v2" => {
            // kubectl asks for protobuf; JSON for anyone else (a browser, curl).
            let protobuf = accept
                .is_some_and(|a| openapi::v2::PROTOBUF_ACCEPTED.iter().any(|t| a.contains(t)));
            let (content_type, body) = if protobuf {
                (openapi::v2::PROTOBUF, openapi::v2::protobuf())
            } else {
                ("application/json", openapi::v2::json_bytes())
            };
            return Ok(Response {
                status: 200,
                headers: vec![("content-type".into(), content_type.into())],
                body: body.to_vec(),
            }
            .into());
        }
        _ => {}
    }
    if let Some((g, v)) = openapi::parse_path(path) {
        let bytes = openapi::group_version_bytes(g, v).ok_or_else(not_found_path)?;
        return Ok(Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: bytes.to_vec(),
        }
        .into());
    }
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let ["apis", discovery::METRICS_GROUP, discovery::METRICS_VERSION, rest @ ..] =
        segs.as_slice()
    {
        if !rest.is_empty() {
            return metrics::handle(cluster, request, rest).map(Reply::from);
        }
    }
    match segs.as_slice() {
        ["api", v] => {
            return discovery::api_resource_list("", v)
                .map(|d| Reply::json(200, d))
                .ok_or_else(not_found_path)
        }
        ["apis", g, v] => {
            return discovery::api_resource_list(g, v)
                .map(|d| Reply::json(200, d))
                .ok_or_else(not_found_path)
        }
        _ => {}
    }
    let api_path = ApiPath::parse(path).ok_or_else(not_found_path)?;
    if let Some(served) =
        resources::also_served(&api_path.group, &api_path.version, &api_path.plural)
    {
        if served.namespaced() != api_path.namespace.is_some() && api_path.name.is_some() {
            return Err(not_found_path());
        }
        return conversion::handle(cluster, request, served, &api_path);
    }
    let rt = resources::by_plural(&api_path.group, &api_path.plural)
        .filter(|r| r.version == api_path.version)
        .ok_or_else(not_found_path)?;
    if rt.namespaced() != api_path.namespace.is_some() && api_path.name.is_some() {
        return Err(not_found_path());
    }
    handlers::resource(cluster, request, rt, &api_path)
}

pub(crate) fn decode_body(request: &Request) -> Result<Value, Status> {
    let content_type = request.header_value("content-type").unwrap_or_default();
    if content_type.starts_with(protobuf::CONTENT_TYPE) {
        return protobuf::decode(&request.body, |api_version, kind| {
            let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
            openapi::schema_name(group, version, kind)
        })
        .map_err(|e| {
            Status::bad_request(format!("the body of the request could not be decoded: {e}"))
        });
    }
    serde_json::from_slice(&request.body).map_err(|e| {
        Status::bad_request(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf: {e}"
        ))
    })
}

/// `?dryRun=All`: the request is checked and answered, but nothing is stored.
pub(crate) fn dry_run(request: &Request) -> bool {
    request
        .query()
        .iter()
        .any(|(k, v)| k == "dryRun" && v == "All")
}
