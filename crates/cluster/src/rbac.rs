//! RBAC authorization (`rbac.authorization.k8s.io/v1`) and the access reviews that `kubectl
//! auth can-i` asks for.
//!
//! A request is allowed when the user is in `system:masters` (the API server's privileged-group
//! authorizer), or when a rule of a role bound to the user allows it: ClusterRoleBindings grant
//! everywhere, RoleBindings in their namespace (to a Role of that namespace or a ClusterRole).
//! Subjects match by user name, group, or ServiceAccount (namespace and name). Rules match on
//! verbs, apiGroups, resources (`pods`, `pods/log`, `*`, `*/scale`) and resourceNames, with `*`
//! wildcards. A denial is the real 403:
//! `pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"`.

use serde_json::{json, Value};

use crate::api::User;
use crate::resources::ResourceType;
use crate::status::Status;
use crate::Cluster;

/// What a request asks to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
    pub subresource: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

fn subject_matches(subject: &Value, user: &User, binding_ns: Option<&str>) -> bool {
    let name = subject["name"].as_str().unwrap_or_default();
    match subject["kind"].as_str() {
        Some("User") => user.username == name,
        Some("Group") => user.groups.iter().any(|g| g == name),
        Some("ServiceAccount") => {
            let ns = subject["namespace"]
                .as_str()
                .or(binding_ns)
                .unwrap_or_default();
            user.username == format!("system:serviceaccount:{ns}:{name}")
        }
        _ => false,
    }
}

fn matches_list(list: &Value, wanted: &str) -> bool {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|x| x == "*" || x == wanted)
}

/// Whether one PolicyRule allows the request.
pub fn rule_allows(rule: &Value, a: &Attributes) -> bool {
    if !matches_list(&rule["verbs"], a.verb) {
        return false;
    }
    if !matches_list(&rule["apiGroups"], a.group) {
        return false;
    }
    let wanted = match a.subresource {
        Some(sub) => format!("{}/{sub}", a.resource),
        None => a.resource.to_string(),
    };
    let resource_ok = rule["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|r| {
            r == "*"
                || r == wanted
                || (a.subresource.is_some()
                    && r == format!("*/{}", a.subresource.unwrap_or_default()))
        });
    if !resource_ok {
        return false;
    }
    match rule["resourceNames"].as_array().filter(|n| !n.is_empty()) {
        None => true,
        Some(names) => a
            .name
            .is_some_and(|n| names.iter().any(|x| x.as_str() == Some(n))),
    }
}

impl Cluster {
    /// The rules that apply to `user` in `namespace` (cluster-wide rules included).
    pub fn rules_for(&self, user: &User, namespace: Option<&str>) -> Vec<Value> {
        let mut rules = Vec::new();
        let role_rules = |kind: &str, ns: Option<&str>, name: &str| -> Vec<Value> {
            let obj = match kind {
                "ClusterRole" => self
                    .store
                    .list("ClusterRole", None)
                    .find(|o| o.name() == name)
                    .cloned(),
                _ => ns.and_then(|ns| {
                    self.store
                        .list("Role", Some(ns))
                        .find(|o| o.name() == name)
                        .cloned()
                }),
            };
            obj.map(|o| {
                o.to_value()["rules"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .unwrap_or_default()
        };
        for b in self.store.list("ClusterRoleBinding", None) {
            let v = b.to_value();
            if v["subjects"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| subject_matches(s, user, None))
            {
                rules.extend(role_rules(
                    "ClusterRole",
                    None,
                    v["roleRef"]["name"].as_str().unwrap_or_default(),
                ));
            }
        }
        if let Some(ns) = namespace {
            for b in self.store.list("RoleBinding", Some(ns)) {
                let v = b.to_value();
                if v["subjects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|s| subject_matches(s, user, Some(ns)))
                {
                    rules.extend(role_rules(
                        v["roleRef"]["kind"].as_str().unwrap_or("Role"),
                        Some(ns),
                        v["roleRef"]["name"].as_str().unwrap_or_default(),
                    ));
                }
            }
        }
        rules
    }

    /// Whether `user` may do what `a` describes.
    pub fn allowed(&self, user: &User, a: &Attributes) -> bool {
        user.is_privileged()
            || self
                .rules_for(user, a.namespace)
                .iter()
                .any(|r| rule_allows(r, a))
    }

    /// Authorizes a resource request, or returns the real 403.
    pub fn authorize(
        &self,
        user: &User,
        verb: &str,
        rt: &ResourceType,
        subresource: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<(), Status> {
        if user.is_privileged() {
            return Ok(());
        }
        let a = Attributes {
            verb,
            group: rt.group,
            resource: rt.plural,
            subresource,
            namespace: if rt.namespaced() { namespace } else { None },
            name,
        };
        if self.allowed(user, &a) {
            return Ok(());
        }
        let what = match subresource {
            Some(s) => format!("{}/{s}", rt.plural),
            None => rt.plural.to_string(),
        };
        let subject = match name {
            Some(n) => format!("{} \"{n}\"", rt.qualified_plural()),
            None => rt.qualified_plural(),
        };
        let scope = match a.namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        let mut s = Status::forbidden(format!(
            "{subject} is forbidden: User \"{}\" cannot {verb} resource \"{what}\" in API group \"{}\" {scope}",
            user.username, rt.group
        ));
        let mut d = json!({"kind": rt.plural});
        if let Some(n) = name {
            d["name"] = json!(n);
        }
        if !rt.group.is_empty() {
            d["group"] = json!(rt.group);
        }
        s.details = Some(d);
        Err(s)
    }

    /// Whether `user` may act as `target` (`kubectl --as`): the `impersonate` verb on `users`,
    /// `groups` or `serviceaccounts`, or the real 403 naming what was refused.
    pub fn authorize_impersonation(&self, user: &User, target: &User) -> Result<(), Status> {
        if user.is_privileged() {
            return Ok(());
        }
        let check = |resource: &str, namespace: Option<&str>, name: &str| {
            let a = Attributes {
                verb: "impersonate",
                group: "",
                resource,
                subresource: None,
                namespace,
                name: Some(name),
            };
            if self.allowed(user, &a) {
                Ok(())
            } else {
                let scope = match namespace {
                    Some(ns) => format!("in the namespace \"{ns}\""),
                    None => "at the cluster scope".to_string(),
                };
                Err(Status::forbidden(format!(
                    "{resource} \"{name}\" is forbidden: User \"{}\" cannot impersonate resource \"{resource}\" in API group \"\" {scope}",
                    user.username
                )))
            }
        };
        match target
            .username
            .strip_prefix("system:serviceaccount:")
            .and_then(|r| r.split_once(':'))
        {
            Some((ns, sa)) => check("serviceaccounts", Some(ns), sa)?,
            None => check("users", None, &target.username)?,
        }
        for g in target
            .groups
            .iter()
            .filter(|g| g.as_str() != "system:authenticated")
        {
            if !target.username.starts_with("system:serviceaccount:") {
                check("groups", None, g)?;
            }
        }
        Ok(())
    }

    /// Answers a SelfSubjectAccessReview (or SubjectAccessReview) body for `user`: the review
    /// with `status: {allowed, reason?}` filled in, as `kubectl auth can-i` reads it.
    pub fn access_review(&self, user: &User, review: &Value) -> Value {
        let spec = &review["spec"];
        let subject = match spec.get("user").and_then(Value::as_str) {
            Some(u) if review["kind"] == "SubjectAccessReview" => User {
                username: u.to_string(),
                groups: spec["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|g| g.as_str().map(str::to_string))
                    .collect(),
            },
            _ => user.clone(),
        };
        let (allowed, reason) = if let Some(ra) = spec.get("resourceAttributes") {
            let a = Attributes {
                verb: ra["verb"].as_str().unwrap_or_default(),
                group: ra["group"].as_str().unwrap_or_default(),
                resource: ra["resource"].as_str().unwrap_or_default(),
                subresource: ra["subresource"].as_str().filter(|s| !s.is_empty()),
                namespace: ra["namespace"].as_str().filter(|s| !s.is_empty()),
                name: ra["name"].as_str().filter(|s| !s.is_empty()),
            };
            self.explain(&subject, &a)
        } else if let Some(nra) = spec.get("nonResourceAttributes") {
            let path = nra["path"].as_str().unwrap_or_default();
            let verb = nra["verb"].as_str().unwrap_or_default();
            let ok = subject.is_privileged()
                || self.rules_for(&subject, None).iter().any(|r| {
                    matches_list(&r["verbs"], verb)
                        && r["nonResourceURLs"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .any(|u| {
                                u == "*"
                                    || u == path
                                    || u.strip_suffix('*').is_some_and(|p| path.starts_with(p))
                            })
                });
            (ok, None)
        } else {
            (false, None)
        };
        let mut out = review.clone();
        out["status"] = json!({"allowed": allowed});
        if let Some(r) = reason {
            out["status"]["reason"] = json!(r);
        }
        out
    }

    /// Allowed, and the RBAC authorizer's reason when a binding allowed it.
    fn explain(&self, user: &User, a: &Attributes) -> (bool, Option<String>) {
        if user.is_privileged() {
            return (true, None);
        }
        for b in self.store.list("ClusterRoleBinding", None) {
            let v = b.to_value();
            if v["subjects"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| subject_matches(s, user, None))
            {
                let role = v["roleRef"]["name"].as_str().unwrap_or_default();
                let rules = self
                    .store
                    .list("ClusterRole", None)
                    .find(|o| o.name() == role)
                    .map(|o| o.to_value()["rules"].clone())
                    .unwrap_or(Value::Null);
                if rules
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| rule_allows(r, a))
                {
                    return (
                        true,
                        Some(format!(
                            "RBAC: allowed by ClusterRoleBinding \"{}\" of ClusterRole \"{role}\" to {}",
                            b.name(),
                            describe_subjects(user)
                        )),
                    );
                }
            }
        }
        if let Some(ns) = a.namespace {
            for b in self.store.list("RoleBinding", Some(ns)) {
                let v = b.to_value();
                if !v["subjects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|s| subject_matches(s, user, Some(ns)))
                {
                    continue;
                }
                let kind = v["roleRef"]["kind"].as_str().unwrap_or("Role");
                let role = v["roleRef"]["name"].as_str().unwrap_or_default();
                let rules = if kind == "ClusterRole" {
                    self.store
                        .list("ClusterRole", None)
                        .find(|o| o.name() == role)
                        .map(|o| o.to_value()["rules"].clone())
                } else {
                    self.store
                        .list("Role", Some(ns))
                        .find(|o| o.name() == role)
                        .map(|o| o.to_value()["rules"].clone())
                };
                if rules
                    .unwrap_or(Value::Null)
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| rule_allows(r, a))
                {
                    return (
                        true,
                        Some(format!(
                            "RBAC: allowed by RoleBinding \"{}/{ns}\" of {kind} \"{role}\" to {}",
                            b.name(),
                            describe_subjects(user)
                        )),
                    );
                }
            }
        }
        (false, None)
    }

    /// Answers a SelfSubjectRulesReview: the rules that apply in `spec.namespace`.
    pub fn rules_review(&self, user: &User, review: &Value) -> Value {
        let ns = review["spec"]["namespace"]
            .as_str()
            .filter(|s| !s.is_empty());
        let mut resource_rules = Vec::new();
        let mut non_resource_rules = Vec::new();
        if user.is_privileged() {
            resource_rules.push(json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}));
            non_resource_rules.push(json!({"verbs": ["*"], "nonResourceURLs": ["*"]}));
        }
        for r in self.rules_for(user, ns) {
            if r.get("nonResourceURLs").is_some_and(|u| !u.is_null()) {
                non_resource_rules
                    .push(json!({"verbs": r["verbs"], "nonResourceURLs": r["nonResourceURLs"]}));
            } else {
                let mut rr = json!({"verbs": r["verbs"], "apiGroups": r["apiGroups"], "resources": r["resources"]});
                if r.get("resourceNames").is_some_and(|n| !n.is_null()) {
                    rr["resourceNames"] = r["resourceNames"].clone();
                }
                resource_rules.push(rr);
            }
        }
        let mut out = review.clone();
        out["status"] = json!({
            "resourceRules": resource_rules,
            "nonResourceRules": non_resource_rules,
            "incomplete": false
        });
        out
    }
}

fn describe_subjects(user: &User) -> String {
    format!("User \"{}\"", user.username)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impersonation_needs_the_impersonate_verb() {
        let mut c = crate::Cluster::new(&crate::ClusterConfig::default());
        c.stop_control_plane(true);
        let jane = User::named("jane", &[]);
        let target = User::impersonated("system:serviceaccount:default:app", &[]);
        assert!(c.authorize_impersonation(&User::admin(), &target).is_ok());
        let err = c.authorize_impersonation(&jane, &target).unwrap_err();
        assert_eq!(
            err.message,
            r#"serviceaccounts "app" is forbidden: User "jane" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "default""#
        );
        c.create(
            crate::resources::by_plural("rbac.authorization.k8s.io", "clusterroles").unwrap(),
            None,
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "imp"},
                "rules": [{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}]}),
        )
        .unwrap();
        c.create(
            crate::resources::by_plural("rbac.authorization.k8s.io", "clusterrolebindings").unwrap(),
            None,
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "imp"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "imp"},
                "subjects": [{"kind": "User", "name": "jane"}]}),
        )
        .unwrap();
        assert!(c.authorize_impersonation(&jane, &target).is_ok());
    }

    #[test]
    fn rules_match_verbs_groups_resources_and_names() {
        let rule = json!({"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"], "resourceNames": []});
        let a = |verb, resource, sub, name| Attributes {
            verb,
            group: "",
            resource,
            subresource: sub,
            namespace: Some("default"),
            name,
        };
        assert!(rule_allows(&rule, &a("get", "pods", None, None)));
        assert!(rule_allows(
            &rule,
            &a("get", "pods", Some("log"), Some("p"))
        ));
        assert!(!rule_allows(&rule, &a("delete", "pods", None, None)));
        assert!(!rule_allows(&rule, &a("get", "pods", Some("exec"), None)));
        let named = json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"], "resourceNames": ["only"]});
        assert!(rule_allows(
            &named,
            &a("get", "secrets", None, Some("only"))
        ));
        assert!(!rule_allows(
            &named,
            &a("get", "secrets", None, Some("other"))
        ));
        assert!(!rule_allows(&named, &a("list", "secrets", None, None)));
    }
}
