//! The Kubernetes REST API of one simulated cluster, as pure request → response functions.
//!
//! The HTTP server adapts real requests to [`kubectl::rest::Request`] and calls [`handle`]; the
//! terminal's kubectl calls the same function in-process through [`InProcess`]. One code path
//! serves both, so the emulation meets exactly the server that the real kubectl meets.
//!
//! Streaming requests (watch, log follow, exec) are split into a pure part here ([`watch`]) and
//! the IO loop in the server.

pub mod discovery;
pub mod openapi;
pub mod path;
pub mod protobuf;
pub mod table;
pub mod watch;

use std::sync::Arc;

use cluster::{resources, Cluster, Object, ResourceType, Status};
use kubectl::rest::{Request, Response, Transport};
use serde_json::{json, Value};

use path::ApiPath;

/// Answers one non-streaming API request.
pub fn handle(cluster: &mut Cluster, request: &Request) -> Response {
    match route(cluster, request) {
        Ok(r) => r,
        Err(status) => status_response(&status),
    }
}

/// A failed request as the API server serves it.
pub fn status_response(status: &Status) -> Response {
    Response::json(status.code, &status.to_value())
}

/// kubectl's transport to a cluster in the same process.
pub struct InProcess<'a> {
    pub cluster: &'a mut Cluster,
}

impl Transport for InProcess<'_> {
    fn call(&mut self, request: Request) -> Response {
        handle(self.cluster, &request)
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

fn with_content_type(mut r: Response, content_type: &str) -> Response {
    r.headers.retain(|(n, _)| n != "content-type");
    r.headers.push(("content-type".into(), content_type.into()));
    r
}

/// Whether a path is one the API server itself answers, as opposed to an unknown URL.
fn route(cluster: &mut Cluster, request: &Request) -> Result<Response, Status> {
    let path = request.path_only().trim_end_matches('/');
    let accept = request.header_value("accept");
    match path {
        "/version" => return Ok(Response::json(200, &discovery::version())),
        "/api" | "/apis" => {
            if discovery::wants_aggregated(accept) {
                let doc = discovery::aggregated(path == "/api");
                return Ok(with_content_type(
                    Response::json(200, &doc),
                    discovery::AGGREGATED_V2,
                ));
            }
            let doc = if path == "/api" {
                let host = request.header_value("host").unwrap_or("127.0.0.1:8080");
                discovery::api_versions(host)
            } else {
                discovery::api_group_list()
            };
            return Ok(Response::json(200, &doc));
        }
        "/openapi/v3" => return Ok(Response::json(200, &openapi::index())),
        _ => {}
    }
    if let Some((g, v)) = openapi::parse_path(path) {
        let bytes = openapi::group_version_bytes(g, v).ok_or_else(not_found_path)?;
        return Ok(Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: bytes.to_vec(),
        });
    }
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segs.as_slice() {
        ["api", v] => {
            return discovery::api_resource_list("", v)
                .map(|d| Response::json(200, &d))
                .ok_or_else(not_found_path)
        }
        ["apis", g, v] => {
            return discovery::api_resource_list(g, v)
                .map(|d| Response::json(200, &d))
                .ok_or_else(not_found_path)
        }
        _ => {}
    }
    let api_path = ApiPath::parse(path).ok_or_else(not_found_path)?;
    let rt = resources::by_plural(&api_path.group, &api_path.plural)
        .filter(|r| r.version == api_path.version)
        .ok_or_else(not_found_path)?;
    if rt.namespaced() != api_path.namespace.is_some() && api_path.name.is_some() {
        return Err(not_found_path());
    }
    resource(cluster, request, rt, &api_path)
}

fn decode_body(request: &Request) -> Result<Value, Status> {
    let content_type = request.header_value("content-type").unwrap_or_default();
    if content_type.starts_with(protobuf::CONTENT_TYPE) {
        return protobuf::decode(&request.body, |api_version, kind| {
            let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
            openapi::schema_name(group, version, kind)
        })
        .map_err(|e| Status::bad_request(format!("the body of the request could not be decoded: {e}")));
    }
    serde_json::from_slice(&request.body).map_err(|e| {
        Status::bad_request(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf: {e}"
        ))
    })
}

/// `?dryRun=All`: the request is checked and answered, but nothing is stored.
fn dry_run(request: &Request) -> bool {
    request.query().iter().any(|(k, v)| k == "dryRun" && v == "All")
}

fn list_response(
    cluster: &Cluster,
    request: &Request,
    rt: &'static ResourceType,
    items: &[Arc<Object>],
) -> Response {
    let rv = cluster.store().resource_version().to_string();
    if table::wants_table(request.header_value("accept")) {
        let include = table::IncludeObject::parse(request.query_value("includeObject").as_deref());
        return Response::json(200, &table::table(rt, items, include, &rv, cluster.now()));
    }
    let items: Vec<Value> = items.iter().map(|o| o.to_value()).collect();
    Response::json(
        200,
        &json!({
            "apiVersion": rt.api_version(),
            "kind": format!("{}List", rt.kind),
            "metadata": {"resourceVersion": rv},
            "items": items,
        }),
    )
}

fn object_response(
    cluster: &Cluster,
    request: &Request,
    rt: &'static ResourceType,
    code: u16,
    object: Arc<Object>,
) -> Response {
    if table::wants_table(request.header_value("accept")) {
        let include = table::IncludeObject::parse(request.query_value("includeObject").as_deref());
        let rv = object.meta().resource_version.clone().unwrap_or_default();
        return Response::json(code, &table::table(rt, &[object], include, &rv, cluster.now()));
    }
    Response::json(code, &object.to_value())
}

fn resource(
    cluster: &mut Cluster,
    request: &Request,
    rt: &'static ResourceType,
    p: &ApiPath,
) -> Result<Response, Status> {
    let ns = p.namespace.as_deref();
    match (
        request.method.as_str(),
        p.name.as_deref(),
        p.subresource.as_deref(),
    ) {
        ("GET", None, None) => {
            if request.query_value("watch").is_some_and(|w| w == "true" || w == "1") {
                // A watch answered in one piece: the events available now. The HTTP server
                // streams instead (see `watch`).
                let mut w = watch::Watch::start(cluster, request, rt, ns)?;
                let mut body = Vec::new();
                for line in w.poll(cluster) {
                    body.extend(line);
                }
                return Ok(Response {
                    status: 200,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body,
                });
            }
            let items = watch::Selectors::from_request(rt, request)?.filter(cluster.list(rt, ns));
            Ok(list_response(cluster, request, rt, &items))
        }
        ("GET", Some(name), None | Some("status")) => {
            let o = cluster.get(rt, ns, name)?;
            Ok(object_response(cluster, request, rt, 200, o))
        }
        ("POST", None, None) => {
            let body = decode_body(request)?;
            if dry_run(request) {
                let mut scratch = cluster.clone();
                let o = scratch.create(rt, ns, body)?;
                return Ok(object_response(&scratch, request, rt, 201, o));
            }
            let o = cluster.create(rt, ns, body)?;
            Ok(object_response(cluster, request, rt, 201, o))
        }
        ("DELETE", Some(name), None) => {
            let o = if dry_run(request) {
                cluster.get(rt, ns, name)?
            } else {
                cluster.delete(rt, ns, name)?
            };
            Ok(Response::json(200, &o.to_value()))
        }
        _ => Err(Status::method_not_allowed(
            "the server does not allow this method on the requested resource",
        )),
    }
}
