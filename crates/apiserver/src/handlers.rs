//! Resource requests: the REST verbs on `/api/v1/...` and `/apis/{group}/{version}/...`, mapped
//! onto the cluster's request API (`Cluster::*_with`), with the query parameters and headers
//! the real API server reads.

use std::sync::Arc;

use cluster::api::{DeleteOptions, ListOptions, Propagation, User, WriteOptions, Written};
use cluster::fieldvalidation::{self, FieldValidation};
use cluster::patch::PatchType;
use cluster::{Cluster, Object, ResourceType, Status};
use kubectl::rest::{Request, Response};
use serde_json::{json, Value};

use crate::path::ApiPath;
use crate::{decode_body, table, watch, Reply};

/// The user a request acts as: the session's admin, or whom `Impersonate-User` /
/// `Impersonate-Group` name (kubectl `--as`, `--as-group`). Impersonating needs the
/// `impersonate` verb on users (and groups), checked against the session's RBAC.
pub fn requesting_user(cluster: &Cluster, request: &Request) -> Result<User, Status> {
    let admin = User::admin();
    let Some(name) = request.header_value("impersonate-user") else {
        if request.header_value("impersonate-group").is_some() {
            return Err(Status::new(
                500,
                "InternalError",
                "Internal error occurred: requested [{Group  system:masters  impersonate  ...}] without impersonating a user",
            ));
        }
        return Ok(admin);
    };
    let groups: Vec<String> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("impersonate-group"))
        .map(|(_, v)| v.clone())
        .collect();
    let can = |resource: &str, what: &str| {
        let review = json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
            "spec": {"resourceAttributes": {"verb": "impersonate", "group": "", "resource": resource, "name": what}}});
        cluster.access_review(&admin, &review)["status"]["allowed"] == true
    };
    if !can("users", name) {
        return Err(Status::forbidden(format!(
            "users \"{name}\" is forbidden: User \"{}\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
            admin.username
        )));
    }
    for g in &groups {
        if !can("groups", g) {
            return Err(Status::forbidden(format!(
                "groups \"{g}\" is forbidden: User \"{}\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope",
                admin.username
            )));
        }
    }
    Ok(User::impersonated(name, &groups))
}

fn write_options(request: &Request) -> Result<WriteOptions, Status> {
    let validation = match request.query_value("fieldValidation") {
        Some(v) => FieldValidation::parse(&v)?,
        None => FieldValidation::default(),
    };
    let duplicate_fields = match std::str::from_utf8(&request.body) {
        Ok(text) if request.body.first() == Some(&b'{') => fieldvalidation::duplicate_fields(text),
        _ => Vec::new(),
    };
    Ok(WriteOptions {
        dry_run: crate::dry_run(request),
        field_validation: validation,
        // Without a fieldManager the real server names the writer after its User-Agent's
        // product (`kubectl/v1.33.1 (linux/amd64) ...` → `kubectl`).
        field_manager: request.query_value("fieldManager").or_else(|| {
            let agent = request.header_value("user-agent")?;
            Some(agent.split('/').next()?.chars().take(128).collect())
        }),
        duplicate_fields,
        ..WriteOptions::default()
    })
}

fn list_options(request: &Request) -> ListOptions {
    ListOptions {
        label_selector: request.query_value("labelSelector").unwrap_or_default(),
        field_selector: request.query_value("fieldSelector").unwrap_or_default(),
        limit: request
            .query_value("limit")
            .and_then(|l| l.parse().ok())
            .filter(|l| *l > 0),
        continue_token: request.query_value("continue").filter(|c| !c.is_empty()),
        resource_version: request.query_value("resourceVersion"),
    }
}

/// DeleteOptions from the body (kubectl sends them there) and the query.
fn delete_options(request: &Request) -> Result<DeleteOptions, Status> {
    let body: Value = if request.body.is_empty() {
        json!({})
    } else {
        decode_body(request)?
    };
    let propagation = body["propagationPolicy"]
        .as_str()
        .map(str::to_string)
        .or_else(|| request.query_value("propagationPolicy"));
    let propagation_policy = propagation.as_deref().map(Propagation::parse).transpose()?;
    let grace_period_seconds = body["gracePeriodSeconds"].as_i64().or_else(|| {
        request
            .query_value("gracePeriodSeconds")
            .and_then(|g| g.parse().ok())
    });
    let dry_run = crate::dry_run(request)
        || body["dryRun"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x == "All"));
    Ok(DeleteOptions {
        propagation_policy,
        grace_period_seconds,
        precondition_uid: body["preconditions"]["uid"].as_str().map(str::to_string),
        precondition_resource_version: body["preconditions"]["resourceVersion"]
            .as_str()
            .map(str::to_string),
        dry_run,
    })
}

/// `Warning: 299 - "..."` headers, one per warning, as the API server sends them.
fn with_warnings(mut r: Reply, warnings: &[String]) -> Reply {
    for w in warnings {
        let quoted = serde_json::to_string(w).expect("strings serialise");
        r.push_header("warning", format!("299 - {quoted}"));
    }
    r
}

fn object_response(
    cluster: &Cluster,
    request: &Request,
    rt: &'static ResourceType,
    code: u16,
    object: &Arc<Object>,
) -> Reply {
    if table::wants_table(request.header_value("accept")) {
        let include = table::IncludeObject::parse(request.query_value("includeObject").as_deref());
        let rv = object.meta().resource_version.clone().unwrap_or_default();
        return Reply::json(
            code,
            table::table(
                rt,
                std::slice::from_ref(object),
                include,
                &rv,
                cluster.now(),
            ),
        );
    }
    Reply::json(code, object.to_value())
}

fn written(
    cluster: &Cluster,
    request: &Request,
    rt: &'static ResourceType,
    code: u16,
    w: Written,
) -> Reply {
    with_warnings(
        object_response(cluster, request, rt, code, &w.object),
        &w.warnings,
    )
}

fn list(
    cluster: &Cluster,
    user: &User,
    request: &Request,
    rt: &'static ResourceType,
    ns: Option<&str>,
) -> Result<Reply, Status> {
    let result = cluster.list_with(user, rt, ns, &list_options(request))?;
    let rv = result.resource_version.to_string();
    let mut metadata = json!({"resourceVersion": rv});
    if let Some(c) = &result.continue_token {
        metadata["continue"] = json!(c);
    }
    if let Some(n) = result.remaining_item_count {
        metadata["remainingItemCount"] = json!(n);
    }
    if table::wants_table(request.header_value("accept")) {
        let include = table::IncludeObject::parse(request.query_value("includeObject").as_deref());
        let mut t = table::table(rt, &result.items, include, &rv, cluster.now());
        t["metadata"] = metadata;
        return Ok(Reply::json(200, t));
    }
    let items: Vec<Value> = result.items.iter().map(|o| o.to_value()).collect();
    Ok(Reply::json(200, list_document(rt, metadata, items)))
}

/// A `{Kind}List`. Built as a map: `json!` would copy every item through a serializer.
fn list_document(rt: &ResourceType, metadata: Value, items: Vec<Value>) -> Value {
    Value::Object(serde_json::Map::from_iter([
        ("apiVersion".to_string(), json!(rt.api_version())),
        ("kind".to_string(), json!(format!("{}List", rt.kind))),
        ("metadata".to_string(), metadata),
        ("items".to_string(), Value::Array(items)),
    ]))
}

fn patch_type(request: &Request) -> Result<PatchType, Status> {
    let ct = request.header_value("content-type").unwrap_or_default();
    PatchType::from_content_type(ct).ok_or_else(|| {
        Status::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"),
        )
    })
}

/// An apply patch's body: YAML, or JSON (which YAML reads too).
fn apply_body(request: &Request) -> Result<Value, Status> {
    serde_yaml_ng::from_slice(&request.body)
        .map_err(|e| Status::bad_request(format!("error decoding YAML: {e}")))
}

fn patch_body(request: &Request) -> Result<Value, Status> {
    if patch_type(request)? == PatchType::Apply {
        return apply_body(request);
    }
    serde_json::from_slice(&request.body)
        .map_err(|e| Status::bad_request(format!("error decoding patch: {e}")))
}

/// Served types that are answered and not stored: the access reviews.
fn review(
    cluster: &Cluster,
    user: &User,
    rt: &'static ResourceType,
    request: &Request,
) -> Result<Reply, Status> {
    let body = decode_body(request)?;
    let answer = match rt.kind {
        "SelfSubjectRulesReview" => cluster.rules_review(user, &body),
        _ => cluster.access_review(user, &body),
    };
    let mut answer = answer;
    answer["apiVersion"] = json!(rt.api_version());
    answer["kind"] = json!(rt.kind);
    if answer.get("metadata").is_none() {
        answer["metadata"] = json!({});
    }
    Ok(Reply::json(201, answer))
}

/// One request on a resource URL.
pub fn resource(
    cluster: &mut Cluster,
    request: &Request,
    rt: &'static ResourceType,
    p: &ApiPath,
) -> Result<Reply, Status> {
    let user = requesting_user(cluster, request)?;
    let ns = p.namespace.as_deref();
    let name = p.name.as_deref();
    let sub = p.subresource.as_deref();
    if cluster::resources::is_virtual(rt) {
        return match (request.method.as_str(), name) {
            ("POST", None) => review(cluster, &user, rt, request),
            _ => Err(Status::method_not_allowed(
                "the server does not allow this method on the requested resource",
            )),
        };
    }
    match (request.method.as_str(), name, sub) {
        ("GET", None, None) => {
            if request
                .query_value("watch")
                .is_some_and(|w| w == "true" || w == "1")
            {
                // A watch answered in one piece: the events available now. The HTTP server
                // streams instead (see `watch`).
                let body = watch::events_now(cluster, request, rt, ns)?;
                return Ok(Response {
                    status: 200,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body,
                }
                .into());
            }
            list(cluster, &user, request, rt, ns)
        }
        ("GET", Some(name), None | Some("status")) => {
            let o = cluster.get_with(&user, rt, ns, name)?;
            Ok(object_response(cluster, request, rt, 200, &o))
        }
        ("GET", Some(name), Some("scale")) => {
            Ok(Reply::json(200, cluster.get_scale(&user, rt, ns, name)?))
        }
        ("GET", Some(name), Some("log")) if rt.kind == "Pod" => {
            crate::logs::log(cluster, &user, request, ns.unwrap_or("default"), name)
                .map(Reply::from)
        }
        ("GET" | "POST", Some(name), Some("exec")) if rt.kind == "Pod" => {
            crate::exec::handle(cluster, &user, request, ns.unwrap_or("default"), name)
                .map(Reply::from)
        }
        ("POST", None, None) => {
            let body = decode_body(request)?;
            let w = cluster.create_with(&user, rt, ns, body, &write_options(request)?)?;
            Ok(written(cluster, request, rt, 201, w))
        }
        ("PUT", Some(name), None) => {
            let body = decode_body(request)?;
            let w = cluster.update_with(&user, rt, ns, name, body, &write_options(request)?)?;
            Ok(written(cluster, request, rt, 200, w))
        }
        ("PUT", Some(name), Some("status")) => {
            let body = decode_body(request)?;
            let w = cluster.update_status(&user, rt, ns, name, body, &write_options(request)?)?;
            Ok(written(cluster, request, rt, 200, w))
        }
        ("PUT", Some(name), Some("scale")) => {
            let body = decode_body(request)?;
            let s = cluster.update_scale(&user, rt, ns, name, &body, &write_options(request)?)?;
            Ok(Reply::json(200, s))
        }
        ("PATCH", Some(name), None) if patch_type(request)? == PatchType::Apply => {
            let applied = apply_body(request)?;
            let force = request.query_value("force").as_deref() == Some("true");
            let mut opts = write_options(request)?;
            // Apply needs an explicit manager: the User-Agent default does not count.
            opts.field_manager = request.query_value("fieldManager");
            let (created, w) = cluster.apply_with(&user, rt, ns, name, &applied, force, &opts)?;
            Ok(written(
                cluster,
                request,
                rt,
                if created { 201 } else { 200 },
                w,
            ))
        }
        ("PATCH", Some(name), None) => {
            let (pt, body) = (patch_type(request)?, patch_body(request)?);
            let w = cluster.patch_with(&user, rt, ns, name, pt, &body, &write_options(request)?)?;
            Ok(written(cluster, request, rt, 200, w))
        }
        ("PATCH", Some(name), Some("status")) => {
            let (pt, body) = (patch_type(request)?, patch_body(request)?);
            let w =
                cluster.patch_status(&user, rt, ns, name, pt, &body, &write_options(request)?)?;
            Ok(written(cluster, request, rt, 200, w))
        }
        ("PATCH", Some(name), Some("scale")) => {
            let (pt, body) = (patch_type(request)?, patch_body(request)?);
            let s =
                cluster.patch_scale(&user, rt, ns, name, pt, &body, &write_options(request)?)?;
            Ok(Reply::json(200, s))
        }
        ("POST", Some(name), Some("eviction")) if rt.kind == "Pod" => {
            let body = decode_body(request)?;
            let status = cluster.evict_pod(&user, ns.unwrap_or("default"), name, &body)?;
            Ok(Reply::json(201, status))
        }
        ("DELETE", Some(name), None) => {
            let d = cluster.delete_with(&user, rt, ns, name, &delete_options(request)?)?;
            Ok(Reply::json(200, d.response_body()))
        }
        ("DELETE", None, None) => {
            let deleted = cluster.delete_collection(
                &user,
                rt,
                ns,
                &list_options(request),
                &delete_options(request)?,
            )?;
            let items: Vec<Value> = deleted.iter().map(|d| d.object().to_value()).collect();
            let metadata =
                json!({"resourceVersion": cluster.store().resource_version().to_string()});
            Ok(Reply::json(200, list_document(rt, metadata, items)))
        }
        _ => Err(Status::method_not_allowed(
            "the server does not allow this method on the requested resource",
        )),
    }
}
