//! Roles, cluster roles and their bindings (`RoleDescriber`, `RoleBindingDescriber`, ...), and
//! the rule compaction `auth can-i --list` shares (`pkg/describe` + `pkg/util/rbac`).

use serde_json::Value;

use super::{labels_and_annotations, s};
use crate::printers::describe::PrefixWriter;

/// One policy rule, its lists as kubectl's `rbacv1.PolicyRule` holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub resource_names: Vec<String>,
    pub non_resource_urls: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| s(x).to_string()).collect())
        .unwrap_or_default()
}

fn sorted_set(items: &[String]) -> Vec<String> {
    let mut v = items.to_vec();
    v.sort();
    v.dedup();
    v
}

impl Rule {
    /// A rule from its JSON (`apiGroups`, `resources`, ...).
    pub fn from_json(v: &Value) -> Rule {
        Rule {
            verbs: strings(&v["verbs"]),
            api_groups: strings(&v["apiGroups"]),
            resources: strings(&v["resources"]),
            resource_names: strings(&v["resourceNames"]),
            non_resource_urls: strings(&v["nonResourceURLs"]),
        }
    }

    /// The generated protobuf `String()`, which `SortableRuleSlice` orders rules by.
    fn sort_key(&self) -> String {
        format!(
            "&PolicyRule{{Verbs:[{}],APIGroups:[{}],Resources:[{}],ResourceNames:[{}],NonResourceURLs:[{}],}}",
            self.verbs.join(" "),
            self.api_groups.join(" "),
            self.resources.join(" "),
            self.resource_names.join(" "),
            self.non_resource_urls.join(" ")
        )
    }

    /// `CombineResourceGroup`: `resource.group/subresource` of the first resource.
    pub fn resource_column(&self) -> String {
        let Some(first) = self.resources.first() else {
            return String::new();
        };
        let (resource, sub) = match first.split_once('/') {
            Some((r, sub)) => (r, Some(sub)),
            None => (first.as_str(), None),
        };
        let mut out = resource.to_string();
        if let Some(group) = self.api_groups.first().filter(|g| !g.is_empty()) {
            out = format!("{out}.{group}");
        }
        if let Some(sub) = sub {
            out = format!("{out}/{sub}");
        }
        out
    }
}

/// Go's `%v` of a string slice: `[a b]`.
pub fn go_list(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// `BreakdownRule`: one rule per group, resource and name (verbs as a sorted set), and one per
/// non-resource URL.
fn breakdown(rule: &Rule) -> Vec<Rule> {
    let verbs = sorted_set(&rule.verbs);
    let mut out = Vec::new();
    for group in &rule.api_groups {
        for resource in &rule.resources {
            let base = Rule {
                verbs: verbs.clone(),
                api_groups: vec![group.clone()],
                resources: vec![resource.clone()],
                ..Rule::default()
            };
            if rule.resource_names.is_empty() {
                out.push(base);
            } else {
                for name in &rule.resource_names {
                    out.push(Rule {
                        resource_names: vec![name.clone()],
                        ..base.clone()
                    });
                }
            }
        }
    }
    for url in &rule.non_resource_urls {
        out.push(Rule {
            verbs: verbs.clone(),
            non_resource_urls: vec![url.clone()],
            ..Rule::default()
        });
    }
    out
}

/// `CompactRules` then `sort.Stable(SortableRuleSlice)`: rules on the same single resource
/// (and name) merge their verbs; the result is ordered by the rules' string form.
pub fn compact(rules: &[Rule]) -> Vec<Rule> {
    let mut simple: Vec<Rule> = Vec::new();
    let mut others: Vec<Rule> = Vec::new();
    for rule in rules.iter().flat_map(breakdown) {
        let is_simple = rule.non_resource_urls.is_empty()
            && rule.api_groups.len() == 1
            && rule.resources.len() == 1
            && rule.resource_names.len() <= 1;
        if !is_simple {
            others.push(rule);
            continue;
        }
        match simple.iter_mut().find(|r| {
            r.api_groups == rule.api_groups
                && r.resources == rule.resources
                && r.resource_names == rule.resource_names
        }) {
            Some(existing) => {
                for verb in rule.verbs {
                    if !existing.verbs.contains(&verb) {
                        existing.verbs.push(verb);
                    }
                }
            }
            None => simple.push(rule),
        }
    }
    others.extend(simple);
    others.sort_by_key(Rule::sort_key);
    others
}

/// The `PolicyRule:` table of roles and cluster roles.
fn policy_rules(w: &mut PrefixWriter, role: &Value) {
    let rules: Vec<Rule> = role["rules"]
        .as_array()
        .map(|a| a.iter().map(Rule::from_json).collect())
        .unwrap_or_default();
    w.write(0, "PolicyRule:\n");
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n");
    w.write(1, "---------\t-----------------\t--------------\t-----\n");
    for r in compact(&rules) {
        w.write(
            1,
            &format!(
                "{}\t{}\t{}\t{}\n",
                r.resource_column(),
                go_list(&r.non_resource_urls),
                go_list(&r.resource_names),
                go_list(&r.verbs)
            ),
        );
    }
}

/// `RoleDescriber` and `ClusterRoleDescriber` (no namespace line, no events).
pub fn role(w: &mut PrefixWriter, role: &Value) {
    w.write(0, &format!("Name:\t{}\n", s(&role["metadata"]["name"])));
    labels_and_annotations(w, role);
    policy_rules(w, role);
}

/// `RoleBindingDescriber` and `ClusterRoleBindingDescriber`.
pub fn binding(w: &mut PrefixWriter, binding: &Value) {
    w.write(0, &format!("Name:\t{}\n", s(&binding["metadata"]["name"])));
    labels_and_annotations(w, binding);
    w.write(0, "Role:\n");
    w.write(1, &format!("Kind:\t{}\n", s(&binding["roleRef"]["kind"])));
    w.write(1, &format!("Name:\t{}\n", s(&binding["roleRef"]["name"])));
    w.write(0, "Subjects:\n");
    w.write(1, "Kind\tName\tNamespace\n");
    w.write(1, "----\t----\t---------\n");
    for subject in binding["subjects"].as_array().cloned().unwrap_or_default() {
        w.write(
            1,
            &format!(
                "{}\t{}\t{}\n",
                s(&subject["kind"]),
                s(&subject["name"]),
                s(&subject["namespace"])
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_merge_verbs_and_sort_like_the_protobuf_string() {
        let rules = vec![
            Rule::from_json(
                &json!({"apiGroups": [""], "resources": ["namespaces", "namespaces/status"], "verbs": ["watch", "get", "list"]}),
            ),
            Rule::from_json(
                &json!({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}),
            ),
            Rule::from_json(
                &json!({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"]}),
            ),
            Rule::from_json(&json!({"nonResourceURLs": ["/healthz"], "verbs": ["get"]})),
        ];
        let rows: Vec<(String, String)> = compact(&rules)
            .iter()
            .map(|r| (r.resource_column(), go_list(&r.verbs)))
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "namespaces/status".to_string(),
                    "[get list watch]".to_string()
                ),
                ("namespaces".to_string(), "[get list watch]".to_string()),
                ("deployments.apps".to_string(), "[get list]".to_string()),
                ("".to_string(), "[get]".to_string()),
            ]
        );
    }

    #[test]
    fn the_resource_column_puts_the_group_before_the_subresource() {
        let r =
            Rule::from_json(&json!({"apiGroups": ["apps"], "resources": ["deployments/scale"]}));
        assert_eq!(r.resource_column(), "deployments.apps/scale");
        let all = Rule::from_json(&json!({"apiGroups": ["*"], "resources": ["*"]}));
        assert_eq!(all.resource_column(), "*.*");
    }
}
