//! `kubectl create role|clusterrole|rolebinding|clusterrolebinding` (`create_role.go`,
//! `create_clusterrole.go`, `create_rolebinding.go`, `create_clusterrolebinding.go`).

use serde_json::{json, Map, Value};

use super::{metadata, name_arg, send, slice, Target};
use crate::cmd::Env;
use crate::discovery::Discovery;
use crate::flags::{v, Flag, Parsed};
use crate::Output;

pub const ROLE_FLAGS: &[Flag] = &[
    v("verb", None),
    v("resource", None),
    v("resource-name", None),
];
pub const CLUSTER_ROLE_FLAGS: &[Flag] = &[
    v("verb", None),
    v("resource", None),
    v("resource-name", None),
    v("non-resource-url", None),
    v("aggregation-rule", None),
];
pub const ROLE_BINDING_FLAGS: &[Flag] = &[
    v("role", None),
    v("clusterrole", None),
    v("user", None),
    v("group", None),
    v("serviceaccount", None),
];
pub const CLUSTER_ROLE_BINDING_FLAGS: &[Flag] = &[
    v("clusterrole", None),
    v("user", None),
    v("group", None),
    v("serviceaccount", None),
];

/// `validResourceVerbs`: other verbs only draw a warning.
const STANDARD_VERBS: &[&str] = &[
    "*",
    "get",
    "delete",
    "list",
    "create",
    "update",
    "patch",
    "watch",
    "proxy",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
];

/// `specialVerbs`: verbs that only make sense on certain resources.
const SPECIAL_VERBS: &[(&str, &[(&str, &str)])] = &[
    ("use", &[("policy", "podsecuritypolicies")]),
    (
        "bind",
        &[
            ("rbac.authorization.k8s.io", "roles"),
            ("rbac.authorization.k8s.io", "clusterroles"),
        ],
    ),
    (
        "escalate",
        &[
            ("rbac.authorization.k8s.io", "roles"),
            ("rbac.authorization.k8s.io", "clusterroles"),
        ],
    ),
    (
        "impersonate",
        &[
            ("", "users"),
            ("", "serviceaccounts"),
            ("", "groups"),
            ("authentication.k8s.io", "userextras"),
            ("authentication.k8s.io", "uids"),
        ],
    ),
];

/// One `--resource` value: `resource[.group][/subresource]`.
#[derive(Debug, Clone, PartialEq)]
struct ResourceOption {
    resource: String,
    group: String,
    subresource: String,
}

/// The parsed rule flags of `create role` and `create clusterrole`.
struct RuleOptions {
    verbs: Vec<String>,
    resources: Vec<ResourceOption>,
    resource_names: Vec<String>,
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// `CreateRoleOptions.Complete`: `*` as a verb or resource stands for all.
fn rule_options(p: &Parsed) -> RuleOptions {
    let mut verbs = Vec::new();
    for v in slice(p, "verb") {
        if v == "*" {
            verbs = vec!["*".to_string()];
            break;
        }
        if !verbs.contains(&v) {
            verbs.push(v);
        }
    }
    let mut resources = Vec::new();
    for r in slice(p, "resource") {
        let (head, subresource) = r.split_once('/').unwrap_or((&r, ""));
        let (resource, group) = head.split_once('.').unwrap_or((head, ""));
        let option = ResourceOption {
            resource: resource.to_string(),
            group: group.to_string(),
            subresource: subresource.to_string(),
        };
        if resource == "*" && group.is_empty() && subresource.is_empty() && !r.contains('.') {
            resources = vec![option];
            break;
        }
        resources.push(option);
    }
    RuleOptions {
        verbs,
        resources,
        resource_names: dedup(p.all("resource-name")),
    }
}

/// `mapper.ResourceFor`: the full plural and group of `rs`, `deployments.apps`, ...
fn resolve(discovery: &Discovery, r: &ResourceOption) -> Option<(String, String)> {
    let typed = if r.group.is_empty() {
        r.resource.clone()
    } else {
        format!("{}.{}", r.resource, r.group)
    };
    discovery
        .resolve(&typed)
        .map(|m| (m.plural.clone(), m.group.clone()))
}

/// `validateResource`: every resource must exist, and special verbs need their resources.
fn validate_resources(discovery: &Discovery, o: &RuleOptions) -> Result<(), String> {
    for r in &o.resources {
        if r.resource.is_empty() {
            return Err(
                "error: resource must be specified if apiGroup/subresource specified".into(),
            );
        }
        if r.resource == "*" {
            return Ok(());
        }
        let resolved = resolve(discovery, r);
        let (resource, group) = resolved
            .clone()
            .unwrap_or_else(|| (r.resource.clone(), r.group.clone()));
        for verb in &o.verbs {
            if let Some((_, allowed)) = SPECIAL_VERBS.iter().find(|(v, _)| v == verb) {
                if !allowed
                    .iter()
                    .any(|(g, res)| *g == group && *res == resource)
                {
                    return Err(format!(
                        "error: can not perform '{verb}' on '{resource}' in group '{group}'"
                    ));
                }
                return Ok(());
            }
        }
        if resolved.is_none() {
            // The RESTMapper's error, which kubectl prints as it is.
            let typed = if r.group.is_empty() {
                r.resource.clone()
            } else {
                format!("{}.{}", r.resource, r.group)
            };
            return Err(format!(
                "the server doesn't have a resource type \"{typed}\""
            ));
        }
    }
    Ok(())
}

/// `generateResourcePolicyRules`: one rule per API group (groups in name order), resources in
/// the order given, plus one rule for the non-resource URLs.
fn policy_rules(
    discovery: &Discovery,
    o: &RuleOptions,
    non_resource_urls: &[String],
) -> Vec<Value> {
    let mut by_group: Vec<(String, Vec<String>)> = Vec::new();
    for r in &o.resources {
        let (mut resource, group) =
            resolve(discovery, r).unwrap_or_else(|| (r.resource.clone(), r.group.clone()));
        if !r.subresource.is_empty() {
            resource = format!("{resource}/{}", r.subresource);
        }
        match by_group.iter_mut().find(|(g, _)| *g == group) {
            Some((_, list)) => {
                if !list.contains(&resource) {
                    list.push(resource);
                }
            }
            None => by_group.push((group, vec![resource])),
        }
    }
    by_group.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rules: Vec<Value> = by_group
        .into_iter()
        .map(|(group, resources)| {
            let mut rule = Map::new();
            rule.insert("verbs".into(), json!(o.verbs));
            rule.insert("apiGroups".into(), json!([group]));
            rule.insert("resources".into(), json!(resources));
            if !o.resource_names.is_empty() {
                rule.insert("resourceNames".into(), json!(o.resource_names));
            }
            Value::Object(rule)
        })
        .collect();
    if !non_resource_urls.is_empty() {
        rules.push(json!({"verbs": o.verbs, "nonResourceURLs": non_resource_urls}));
    }
    rules
}

fn warn_nonstandard_verbs(o: &RuleOptions, out: &mut Output) {
    for verb in &o.verbs {
        if !STANDARD_VERBS.contains(&verb.as_str()) {
            out.stderr.push_str(&format!(
                "Warning: '{verb}' is not a standard resource verb\n"
            ));
        }
    }
}

/// `kubectl create role NAME --verb=... --resource=... [--resource-name=...]`.
pub fn role(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "role", out) else {
        return;
    };
    let o = rule_options(p);
    if o.verbs.is_empty() {
        out.fail("error: at least one verb must be specified");
        return;
    }
    warn_nonstandard_verbs(&o, out);
    if o.resources.is_empty() {
        out.fail("error: at least one resource must be specified");
        return;
    }
    let discovery = env.discovery().clone();
    if let Err(e) = validate_resources(&discovery, &o) {
        out.fail(e);
        return;
    }
    let obj = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": metadata(&name, env),
        "rules": policy_rules(&discovery, &o, &[]),
    });
    let target = Target {
        plural: "roles",
        namespaced: true,
        failure: None,
    };
    send(p, env, out, obj, target);
}

/// `kubectl create clusterrole NAME --verb=... (--resource=...|--non-resource-url=...)` or
/// `--aggregation-rule=key=value`.
pub fn cluster_role(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "clusterrole", out) else {
        return;
    };
    let o = rule_options(p);
    let urls = slice(p, "non-resource-url");
    let aggregation: Vec<String> = slice(p, "aggregation-rule");
    let discovery = env.discovery().clone();
    let mut obj = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "creationTimestamp": null},
    });
    if !aggregation.is_empty() {
        if !urls.is_empty()
            || !o.verbs.is_empty()
            || !o.resources.is_empty()
            || !o.resource_names.is_empty()
        {
            out.fail("error: aggregation rule must be specified without nonResourceURLs, verbs, resources or resourceNames");
            return;
        }
        let mut labels = Map::new();
        for pair in &aggregation {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            labels.insert(k.to_string(), json!(v));
        }
        obj["aggregationRule"] = json!({"clusterRoleSelectors": [{"matchLabels": labels}]});
        obj["rules"] = Value::Null;
    } else {
        if o.verbs.is_empty() {
            out.fail("error: at least one verb must be specified");
            return;
        }
        if o.resources.is_empty() && urls.is_empty() {
            out.fail("error: one of resource or nonResourceURL must be specified");
            return;
        }
        if !o.resources.is_empty() {
            warn_nonstandard_verbs(&o, out);
            if let Err(e) = validate_resources(&discovery, &o) {
                out.fail(e);
                return;
            }
        }
        if !urls.is_empty() {
            if !o.resource_names.is_empty() {
                out.fail("error: resource-name must not be specified with non-resource-url");
                return;
            }
            for url in &urls {
                if url == "*" {
                    continue;
                }
                if !url.starts_with('/') {
                    out.fail("error: nonResourceURL should start with /");
                    return;
                }
                if url[..url.len() - 1].contains('*') {
                    out.fail(
                        "error: nonResourceURL only supports wildcard matches when '*' is at the end",
                    );
                    return;
                }
            }
            const NON_RESOURCE_VERBS: &[&str] = &[
                "*", "get", "post", "put", "delete", "patch", "head", "options",
            ];
            if let Some(verb) = o
                .verbs
                .iter()
                .find(|v| !NON_RESOURCE_VERBS.contains(&v.as_str()))
            {
                out.fail(format!("error: invalid verb: '{verb}' for nonResourceURL"));
                return;
            }
        }
        obj["rules"] = json!(policy_rules(&discovery, &o, &urls));
    }
    let target = Target {
        plural: "clusterroles",
        namespaced: false,
        failure: None,
    };
    send(p, env, out, obj, target);
}

/// `--user`, `--group` and `--serviceaccount=ns:name` as binding subjects, in that order.
fn subjects(p: &Parsed) -> Result<Vec<Value>, String> {
    let mut list = Vec::new();
    for user in p.all("user") {
        list.push(json!({"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user}));
    }
    for group in p.all("group") {
        list.push(json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": group}));
    }
    for sa in p.all("serviceaccount") {
        match sa.split(':').collect::<Vec<_>>().as_slice() {
            [ns, name] if !ns.is_empty() && !name.is_empty() => {
                list.push(json!({"kind": "ServiceAccount", "namespace": ns, "name": name}))
            }
            _ => return Err("error: serviceaccount must be <namespace>:<name>".into()),
        }
    }
    Ok(list)
}

fn binding(kind: &str, meta: Value, role_kind: &str, role: &str, subjects: Vec<Value>) -> Value {
    let mut obj = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
    });
    if !subjects.is_empty() {
        obj["subjects"] = json!(subjects);
    }
    obj
}

/// `kubectl create rolebinding NAME (--role=R|--clusterrole=CR) [--user] [--group] [--serviceaccount]`.
pub fn role_binding(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "rolebinding", out) else {
        return;
    };
    let (role, cluster_role) = (
        p.get("role").unwrap_or(""),
        p.get("clusterrole").unwrap_or(""),
    );
    if role.is_empty() == cluster_role.is_empty() {
        out.fail("error: exactly one of clusterrole or role must be specified");
        return;
    }
    let subjects = match subjects(p) {
        Ok(s) => s,
        Err(e) => {
            out.fail(e);
            return;
        }
    };
    let (role_kind, role_name) = if role.is_empty() {
        ("ClusterRole", cluster_role)
    } else {
        ("Role", role)
    };
    let obj = binding(
        "RoleBinding",
        metadata(&name, env),
        role_kind,
        role_name,
        subjects,
    );
    let target = Target {
        plural: "rolebindings",
        namespaced: true,
        failure: Some("failed to create rolebinding: "),
    };
    send(p, env, out, obj, target);
}

/// `kubectl create clusterrolebinding NAME --clusterrole=CR [--user] [--group] [--serviceaccount]`.
pub fn cluster_role_binding(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "clusterrolebinding", out) else {
        return;
    };
    let subjects = match subjects(p) {
        Ok(s) => s,
        Err(e) => {
            out.fail(e);
            return;
        }
    };
    let meta = json!({"name": name, "creationTimestamp": null});
    let obj = binding(
        "ClusterRoleBinding",
        meta,
        "ClusterRole",
        p.get("clusterrole").unwrap_or(""),
        subjects,
    );
    let target = Target {
        plural: "clusterrolebindings",
        namespaced: false,
        failure: Some("failed to create clusterrolebinding: "),
    };
    send(p, env, out, obj, target);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str], flags: &[Flag]) -> Parsed {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        crate::flags::parse(&args, flags).unwrap()
    }

    #[test]
    fn a_star_verb_or_resource_stands_for_all() {
        let p = parsed(
            &["role", "x", "--verb=get,*,list", "--resource=*,pods"],
            ROLE_FLAGS,
        );
        let o = rule_options(&p);
        assert_eq!(o.verbs, ["*"]);
        assert_eq!(o.resources.len(), 1);
        assert_eq!(o.resources[0].resource, "*");
    }

    #[test]
    fn resources_split_into_resource_group_and_subresource() {
        let p = parsed(
            &[
                "role",
                "x",
                "--verb=get",
                "--verb=get",
                "--resource=deployments.apps/scale",
            ],
            ROLE_FLAGS,
        );
        let o = rule_options(&p);
        assert_eq!(o.verbs, ["get"]);
        assert_eq!(
            o.resources[0],
            ResourceOption {
                resource: "deployments".into(),
                group: "apps".into(),
                subresource: "scale".into()
            }
        );
    }

    #[test]
    fn subjects_are_users_then_groups_then_service_accounts() {
        let p = parsed(
            &[
                "rolebinding",
                "b",
                "--serviceaccount=ns:sa",
                "--group=g",
                "--user=u",
            ],
            ROLE_BINDING_FLAGS,
        );
        let kinds: Vec<Value> = subjects(&p)
            .unwrap()
            .iter()
            .map(|s| s["kind"].clone())
            .collect();
        assert_eq!(
            kinds,
            [json!("User"), json!("Group"), json!("ServiceAccount")]
        );
        let bad = parsed(
            &["rolebinding", "b", "--serviceaccount=sa"],
            ROLE_BINDING_FLAGS,
        );
        assert_eq!(
            subjects(&bad).unwrap_err(),
            "error: serviceaccount must be <namespace>:<name>"
        );
    }
}
