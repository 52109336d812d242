//! `kubectl create job` and `kubectl create cronjob` (`create_job.go`, `create_cronjob.go`).

use serde_json::{json, Value};

use super::{metadata, name_arg, send, Target};
use crate::cmd::Env;
use crate::flags::{v, Flag, Parsed};
use crate::rest::Request;
use crate::{server_error, Output};

pub const JOB_FLAGS: &[Flag] = &[v("image", None), v("from", None)];
pub const CRONJOB_FLAGS: &[Flag] = &[v("image", None), v("schedule", None), v("restart", None)];

const JOBS: Target = Target {
    plural: "jobs",
    namespaced: true,
    failure: Some("failed to create job: "),
};

/// `kubectl create job NAME --image=IMAGE [-- COMMAND...]` or `--from=cronjob/NAME`.
pub fn job(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "job", out) else {
        return;
    };
    let command = p.after_dash.clone().unwrap_or_default();
    let (image, from) = (p.get("image").unwrap_or(""), p.get("from").unwrap_or(""));
    if image.is_empty() == from.is_empty() {
        out.fail("error: either --image or --from must be specified");
        return;
    }
    if !command.is_empty() && !from.is_empty() {
        out.fail("error: cannot specify --from and command");
        return;
    }
    let obj = if image.is_empty() {
        let Some(cron_job) = from_cron_job(env, out, from) else {
            return;
        };
        job_from_cron_job(&cron_job, metadata(&name, env))
    } else {
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": metadata(&name, env),
            "spec": {"template": {
                "metadata": {"creationTimestamp": null},
                "spec": {"containers": [container(&name, image, &command)], "restartPolicy": "Never"},
            }},
            "status": {},
        })
    };
    send(p, env, out, obj, JOBS);
}

/// The container a generator makes: named after the object, with the command after `--`.
fn container(name: &str, image: &str, command: &[String]) -> Value {
    let mut c = json!({"name": name, "image": image, "resources": {}});
    if !command.is_empty() {
        c["command"] = json!(command);
    }
    c
}

/// Resolves `--from=cronjob/NAME` like the builder does, and GETs the cron job.
fn from_cron_job(env: &mut Env, out: &mut Output, from: &str) -> Option<Value> {
    // `ResourceTypeOrNameArgs(false, from)`: a bare type names no object.
    let Some((kind, name)) = from.split_once('/') else {
        out.fail("error: resource(s) were provided, but no name was specified");
        return None;
    };
    let Some(mapping) = env.discovery().resolve(kind).cloned() else {
        out.fail(format!(
            "error: the server doesn't have a resource type \"{kind}\""
        ));
        return None;
    };
    let ns = env.namespace.clone();
    let resp = env.transport.call(
        Request::get(mapping.object_path(Some(&ns), name)).header("accept", "application/json"),
    );
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return None;
    }
    if mapping.kind != "CronJob" {
        out.fail(format!("error: unknown object type *v1.{}", mapping.kind));
        return None;
    }
    resp.body_json()
}

/// `createJobFromCronJob`: the cron job's job template, marked as a manual run and owned by the
/// cron job (without `blockOwnerDeletion`, as kubectl leaves it).
fn job_from_cron_job(cron_job: &Value, mut meta: Value) -> Value {
    let template = &cron_job["spec"]["jobTemplate"];
    let mut annotations = json!({"cronjob.kubernetes.io/instantiate": "manual"});
    if let Some(extra) = template["metadata"]["annotations"].as_object() {
        for (k, v) in extra {
            annotations[k] = v.clone();
        }
    }
    meta["annotations"] = annotations;
    if template["metadata"]["labels"].is_object() {
        meta["labels"] = template["metadata"]["labels"].clone();
    }
    meta["ownerReferences"] = json!([{
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "name": cron_job["metadata"]["name"],
        "uid": cron_job["metadata"]["uid"],
        "controller": true,
    }]);
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": template["spec"],
        "status": {},
    })
}

/// `kubectl create cronjob NAME --image=IMAGE --schedule=SCHEDULE [--restart=POLICY] [-- COMMAND...]`.
pub fn cronjob(p: &Parsed, env: &mut Env, out: &mut Output) {
    let Some(name) = name_arg(p, "cronjob", out) else {
        return;
    };
    let command = p.after_dash.clone().unwrap_or_default();
    let image = p.get("image").unwrap_or("");
    let restart = p.get("restart").unwrap_or("OnFailure");
    let obj = json!({
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata(&name, env),
        "spec": {
            "schedule": p.get("schedule").unwrap_or(""),
            "jobTemplate": {
                "metadata": {"name": name, "creationTimestamp": null},
                "spec": {"template": {
                    "metadata": {"creationTimestamp": null},
                    "spec": {"containers": [container(&name, image, &command)], "restartPolicy": restart},
                }},
            },
        },
        "status": {},
    });
    send(
        p,
        env,
        out,
        obj,
        Target {
            plural: "cronjobs",
            namespaced: true,
            failure: Some("failed to create cronjob: "),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_from_cron_job_is_a_manual_owned_copy_of_the_template() {
        let cron_job = json!({"metadata": {"name": "tick", "uid": "u-1"},
            "spec": {"jobTemplate": {"metadata": {"labels": {"a": "b"}, "annotations": {"x": "y"}},
                "spec": {"template": {"spec": {"restartPolicy": "OnFailure"}}}}}});
        let job = job_from_cron_job(&cron_job, json!({"name": "manual"}));
        assert_eq!(
            job["metadata"]["annotations"],
            json!({"cronjob.kubernetes.io/instantiate": "manual", "x": "y"})
        );
        assert_eq!(job["metadata"]["labels"], json!({"a": "b"}));
        assert_eq!(job["metadata"]["ownerReferences"][0]["uid"], "u-1");
        assert_eq!(job["metadata"]["ownerReferences"][0]["controller"], true);
        assert!(job["metadata"]["ownerReferences"][0]["blockOwnerDeletion"].is_null());
        assert_eq!(
            job["spec"]["template"]["spec"]["restartPolicy"],
            "OnFailure"
        );
    }

    #[test]
    fn the_command_after_the_dashes_is_the_container_command() {
        assert_eq!(
            container("x", "busybox", &["echo".into(), "hi".into()]),
            json!({"name": "x", "image": "busybox", "resources": {}, "command": ["echo", "hi"]})
        );
        assert!(container("x", "busybox", &[])["command"].is_null());
    }
}
