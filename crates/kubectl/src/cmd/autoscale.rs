//! `kubectl autoscale (TYPE NAME | TYPE/NAME) --max=N [--min=N] [--cpu-percent=N]`: creates a
//! HorizontalPodAutoscaler for a scalable workload, as an `autoscaling/v2` object first and, when
//! the server refuses that, as an `autoscaling/v1` one (kubectl 1.33's fallback).

use serde_json::{json, Value};

use super::resources::{json_request, print_result, set_namespace, type_names};
use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag};
use crate::rest::Request;
use crate::{server_error, Output};

/// The kinds whose resource has a `scale` subresource in Kubernetes 1.33.
const SCALABLE: &[(&str, &str)] = &[
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("", "replicationcontrollers"),
];

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("max", None),
        v("min", None),
        v("cpu-percent", None),
        v("name", None),
        v("filename", Some('f')),
        b("recursive", Some('R')),
        v("kustomize", Some('k')),
        v("output", Some('o')),
        v("dry-run", None),
        b("save-config", None),
        b("record", None),
        v("field-manager", None),
        b("allow-missing-template-keys", None),
        v("template", None),
        b("show-managed-fields", None),
    ];
    let Some(p) = parse_flags("autoscale", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let change_cause = super::record::change_cause("autoscale", args, F, &p, out);
    let Some(max) = p.get("max") else {
        out.fail("error: required flag(s) \"max\" not set");
        return;
    };
    let int = |name: &str, default: i64| -> Result<i64, String> {
        match p.get(name) {
            None => Ok(default),
            Some(s) => s.parse().map_err(|_| {
                format!("invalid argument \"{s}\" for \"--{name}\" flag: strconv.ParseInt: parsing \"{s}\": invalid syntax")
            }),
        }
    };
    let (max, min, cpu) = match (max.parse::<i64>(), int("min", -1), int("cpu-percent", -1)) {
        (Ok(max), Ok(min), Ok(cpu)) => (max, min, cpu),
        (Err(_), _, _) => {
            out.fail(format!("error: invalid argument \"{max}\" for \"--max\" flag: strconv.ParseInt: parsing \"{max}\": invalid syntax\nSee 'kubectl autoscale --help' for usage."));
            return;
        }
        (_, Err(e), _) | (_, _, Err(e)) => {
            out.fail(format!(
                "error: {e}\nSee 'kubectl autoscale --help' for usage."
            ));
            return;
        }
    };
    if max < 1 {
        out.fail(format!(
            "error: --max=MAXPODS is required and must be at least 1, max: {max}"
        ));
        return;
    }
    if max < min {
        out.fail(format!(
            "error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: {max}, min: {min}"
        ));
        return;
    }
    if p.args.is_empty() {
        out.fail("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
        return;
    }
    let Some(targets) = type_names(&p.args, env, out) else {
        return;
    };
    let ns = env.namespace.clone();
    let dry = p.get("dry-run").unwrap_or("none").to_string();
    for (m, name) in targets {
        if name.is_empty() {
            out.fail("error: resource(s) were provided, but no name was specified");
            return;
        }
        let live = env.transport.call(
            Request::get(m.object_path(Some(&ns), &name)).header("accept", "application/json"),
        );
        if live.status >= 400 {
            out.fail(server_error(&live));
            return;
        }
        if !SCALABLE.contains(&(m.group.as_str(), m.plural.as_str())) {
            out.fail(format!(
                "error: cannot autoscale a {}: could not find scale subresource for {}/{}, Resource={} in discovery information",
                m.kind, m.group, m.version, m.plural
            ));
            return;
        }
        let hpa_name = p.get("name").unwrap_or(&name).to_string();
        let target = json!({"apiVersion": m.api_version(), "kind": m.kind, "name": name});
        let mut v2 = hpa_v2(&hpa_name, target.clone(), max, min, cpu);
        if let Some(cause) = &change_cause {
            v2["metadata"]["annotations"] = json!({super::record::CHANGE_CAUSE: cause});
        }
        let hpa_mapping = Mapping {
            group: "autoscaling".into(),
            version: "v2".into(),
            kind: "HorizontalPodAutoscaler".into(),
            plural: "horizontalpodautoscalers".into(),
            singular: "horizontalpodautoscaler".into(),
            short_names: vec!["hpa".into()],
            namespaced: true,
            categories: vec!["all".into()],
            verbs: Vec::new(),
        };
        if dry == "client" {
            // kubectl's client dry run says "created", not "autoscaled".
            let verb = if p.has("output") {
                "created"
            } else {
                "created (dry run)"
            };
            print_result(&p, out, &hpa_mapping, &hpa_name, verb, &v2);
            continue;
        }
        let query = format!(
            "?fieldManager={}{}",
            p.get("field-manager").unwrap_or("kubectl-autoscale"),
            if dry == "server" { "&dryRun=All" } else { "" }
        );
        let mut resp = env.transport.call(json_request(
            "POST",
            format!("/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers{query}"),
            "application/json",
            &v2,
        ));
        if resp.status >= 400 {
            let mut v1 = hpa_v1(&hpa_name, target, max, min, cpu);
            if let Some(cause) = &change_cause {
                v1["metadata"]["annotations"] = json!({super::record::CHANGE_CAUSE: cause});
            }
            resp = env.transport.call(json_request(
                "POST",
                format!("/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers{query}"),
                "application/json",
                &v1,
            ));
        }
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            return;
        }
        let suffix = if dry == "server" && !p.has("output") {
            " (server dry run)"
        } else {
            ""
        };
        let created = resp.body_json().unwrap_or(v2);
        print_result(
            &p,
            out,
            &hpa_mapping,
            &hpa_name,
            &format!("autoscaled{suffix}"),
            &created,
        );
    }
}

/// The `autoscaling/v2` object kubectl builds, with the zero values its Go struct serialises.
fn hpa_v2(name: &str, target: Value, max: i64, min: i64, cpu: i64) -> Value {
    let mut spec = json!({"maxReplicas": max, "scaleTargetRef": target});
    if min > 0 {
        spec["minReplicas"] = json!(min);
    }
    if cpu >= 0 {
        spec["metrics"] = json!([{
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}
        }]);
    }
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"creationTimestamp": null, "name": name},
        "spec": spec,
        "status": {"currentMetrics": null, "desiredReplicas": 0}
    })
}

/// The `autoscaling/v1` fallback.
fn hpa_v1(name: &str, target: Value, max: i64, min: i64, cpu: i64) -> Value {
    let mut spec = json!({"maxReplicas": max, "scaleTargetRef": target});
    if min > 0 {
        spec["minReplicas"] = json!(min);
    }
    if cpu >= 0 {
        spec["targetCPUUtilizationPercentage"] = json!(cpu);
    }
    json!({
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"creationTimestamp": null, "name": name},
        "spec": spec,
        "status": {"currentReplicas": 0, "desiredReplicas": 0}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_object_carries_cpu_target_and_bounds_only_when_given() {
        let target = json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"});
        let hpa = hpa_v2("web", target.clone(), 5, -1, -1);
        assert_eq!(
            hpa["spec"],
            json!({"maxReplicas": 5, "scaleTargetRef": target})
        );
        let hpa = hpa_v2("web", target.clone(), 5, 2, 80);
        assert_eq!(hpa["spec"]["minReplicas"], 2);
        assert_eq!(
            hpa["spec"]["metrics"][0]["resource"]["target"],
            json!({"type": "Utilization", "averageUtilization": 80})
        );
        let v1 = hpa_v1("web", target, 5, 2, 80);
        assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 80);
    }
}
