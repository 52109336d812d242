//! The Kubernetes REST API of one simulated cluster, as pure request → response functions.
//!
//! The HTTP server adapts real requests to [`kubectl::rest::Request`] and calls [`handle`]; the
//! terminal's kubectl calls the same function in-process through [`InProcess`]. One code path
//! serves both, so the emulation meets exactly the server that the real kubectl meets.

pub mod path;

use cluster::{resources, Cluster, Status};
use kubectl::rest::{Request, Response, Transport};
use serde_json::{json, Value};

use path::ApiPath;

/// Answers one non-streaming API request.
pub fn handle(cluster: &mut Cluster, request: &Request) -> Response {
    match route(cluster, request) {
        Ok(r) => r,
        Err(status) => Response::json(status.code, &status.to_value()),
    }
}

/// kubectl's transport to a cluster in the same process.
pub struct InProcess<'a> {
    pub cluster: &'a mut Cluster,
}

impl Transport for InProcess<'_> {
    fn call(&mut self, request: Request) -> Response {
        handle(self.cluster, &request)
    }
}

fn not_found_path() -> Status {
    Status::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

fn route(cluster: &mut Cluster, request: &Request) -> Result<Response, Status> {
    let path = ApiPath::parse(request.path_only()).ok_or_else(not_found_path)?;
    let rt = resources::by_plural(&path.group, &path.plural)
        .filter(|r| r.version == path.version)
        .ok_or_else(not_found_path)?;
    let ns = path.namespace.as_deref();
    match (
        request.method.as_str(),
        path.name.as_deref(),
        path.subresource.as_deref(),
    ) {
        ("GET", None, None) => {
            let items: Vec<Value> = cluster.list(rt, ns).iter().map(|o| o.to_value()).collect();
            Ok(Response::json(
                200,
                &json!({
                    "apiVersion": rt.api_version(),
                    "kind": format!("{}List", rt.kind),
                    "metadata": {"resourceVersion": cluster.store().resource_version().to_string()},
                    "items": items,
                }),
            ))
        }
        ("GET", Some(name), None) => {
            Ok(Response::json(200, &cluster.get(rt, ns, name)?.to_value()))
        }
        ("POST", None, None) => {
            let body: Value = serde_json::from_slice(&request.body).map_err(|e| {
                Status::bad_request(format!(
                    "the body of the request was in an unknown format: {e}"
                ))
            })?;
            Ok(Response::json(
                201,
                &cluster.create(rt, ns, body)?.to_value(),
            ))
        }
        ("DELETE", Some(name), None) => Ok(Response::json(
            200,
            &cluster.delete(rt, ns, name)?.to_value(),
        )),
        _ => Err(Status::method_not_allowed(
            "the server does not allow this method on the requested resource",
        )),
    }
}
