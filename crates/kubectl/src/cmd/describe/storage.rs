//! Persistent volumes, claims and storage classes (`PersistentVolumeDescriber`,
//! `PersistentVolumeClaimDescriber`, `StorageClassDescriber`).

use serde_json::Value;

use super::{labels_and_annotations, list, s, sorted_pairs};
use crate::cmd::Env;
use crate::printers::describe::{self as layout, PrefixWriter};

/// `storageutil.GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order, each once.
fn access_modes(modes: &Value) -> String {
    let modes: Vec<&str> = modes
        .as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(full, _)| modes.contains(full))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// Go's `%v` of a string slice.
fn go_list(v: &Value) -> String {
    let items: Vec<&str> = v
        .as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    format!("[{}]", items.join(" "))
}

/// `Status:`, or `Terminating (lasts ...)` for an object being deleted.
fn status_line(w: &mut PrefixWriter, obj: &Value, now: jiff::Timestamp) {
    if obj["metadata"]["deletionTimestamp"].is_string() {
        let since = crate::printers::age::since(obj["metadata"]["deletionTimestamp"].as_str(), now);
        w.write(0, &format!("Status:\tTerminating (lasts {since})\n"));
    } else {
        w.write(0, &format!("Status:\t{}\n", s(&obj["status"]["phase"])));
    }
}

/// `storageutil.GetPersistentVolumeClaimClass`: the field, else the beta annotation.
fn claim_class(pvc: &Value) -> &str {
    let annotation = &pvc["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"];
    if annotation.is_string() {
        return s(annotation);
    }
    s(&pvc["spec"]["storageClassName"])
}

pub fn persistent_volume_claim(env: &mut Env, w: &mut PrefixWriter, pvc: &Value) {
    let (spec, status) = (&pvc["spec"], &pvc["status"]);
    let name = s(&pvc["metadata"]["name"]);
    let ns = s(&pvc["metadata"]["namespace"]).to_string();
    w.write(0, &format!("Name:\t{name}\n"));
    w.write(0, &format!("Namespace:\t{ns}\n"));
    w.write(0, &format!("StorageClass:\t{}\n", claim_class(pvc)));
    status_line(w, pvc, env.transport.now());
    w.write(0, &format!("Volume:\t{}\n", s(&spec["volumeName"])));
    labels_and_annotations(w, pvc);
    w.write(
        0,
        &format!("Finalizers:\t{}\n", go_list(&pvc["metadata"]["finalizers"])),
    );
    let (capacity, modes) = if s(&spec["volumeName"]).is_empty() {
        (String::new(), String::new())
    } else {
        (
            s(&status["capacity"]["storage"]).to_string(),
            access_modes(&status["accessModes"]),
        )
    };
    w.write(0, &format!("Capacity:\t{capacity}\n"));
    w.write(0, &format!("Access Modes:\t{modes}\n"));
    if spec["volumeMode"].is_string() {
        w.write(0, &format!("VolumeMode:\t{}\n", s(&spec["volumeMode"])));
    }
    if spec["dataSource"].is_object() {
        let d = &spec["dataSource"];
        w.write(0, "DataSource:\n");
        if d["apiGroup"].is_string() {
            w.write(1, &format!("APIGroup:\t{}\n", s(&d["apiGroup"])));
        }
        w.write(1, &format!("Kind:\t{}\n", s(&d["kind"])));
        w.write(1, &format!("Name:\t{}\n", s(&d["name"])));
    }
    // `getPodsForPVC`: the pods mounting the claim.
    let pods = list(env, &format!("/api/v1/namespaces/{ns}/pods"), "");
    let mut users: Vec<String> = pods
        .iter()
        .filter(|p| {
            p["spec"]["volumes"].as_array().is_some_and(|vols| {
                vols.iter()
                    .any(|v| s(&v["persistentVolumeClaim"]["claimName"]) == name)
            })
        })
        .map(|p| s(&p["metadata"]["name"]).to_string())
        .collect();
    users.sort();
    match users.split_first() {
        None => w.write(0, "Used By:\t<none>\n"),
        Some((first, rest)) => {
            w.write(0, &format!("Used By:\t{first}\n"));
            for pod in rest {
                w.write(0, &format!("\t{pod}\n"));
            }
        }
    }
    if let Some(conditions) = status["conditions"].as_array().filter(|c| !c.is_empty()) {
        w.write(0, "Conditions:\n");
        w.write(
            1,
            "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n",
        );
        w.write(
            1,
            "----\t------\t-----------------\t------------------\t------\t-------\n",
        );
        for c in conditions {
            w.write(
                1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    s(&c["type"]),
                    s(&c["status"]),
                    layout::rfc1123z(&c["lastProbeTime"]),
                    layout::rfc1123z(&c["lastTransitionTime"]),
                    s(&c["reason"]),
                    s(&c["message"])
                ),
            );
        }
    }
}

pub fn persistent_volume(env: &mut Env, w: &mut PrefixWriter, pv: &Value) {
    let spec = &pv["spec"];
    w.write(0, &format!("Name:\t{}\n", s(&pv["metadata"]["name"])));
    labels_and_annotations(w, pv);
    w.write(
        0,
        &format!("Finalizers:\t{}\n", go_list(&pv["metadata"]["finalizers"])),
    );
    w.write(
        0,
        &format!("StorageClass:\t{}\n", s(&spec["storageClassName"])),
    );
    status_line(w, pv, env.transport.now());
    let claim = if spec["claimRef"].is_object() {
        format!(
            "{}/{}",
            s(&spec["claimRef"]["namespace"]),
            s(&spec["claimRef"]["name"])
        )
    } else {
        String::new()
    };
    w.write(0, &format!("Claim:\t{claim}\n"));
    w.write(
        0,
        &format!(
            "Reclaim Policy:\t{}\n",
            s(&spec["persistentVolumeReclaimPolicy"])
        ),
    );
    w.write(
        0,
        &format!("Access Modes:\t{}\n", access_modes(&spec["accessModes"])),
    );
    if spec["volumeMode"].is_string() {
        w.write(0, &format!("VolumeMode:\t{}\n", s(&spec["volumeMode"])));
    }
    w.write(
        0,
        &format!("Capacity:\t{}\n", s(&spec["capacity"]["storage"])),
    );
    let required = &spec["nodeAffinity"]["required"];
    if required.is_object() {
        w.write(0, "Node Affinity:\t\n");
        let terms = required["nodeSelectorTerms"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if terms.is_empty() {
            w.write(1, "Required Terms:\t<none>\n");
        } else {
            w.write(1, "Required Terms:\t\n");
            for (i, term) in terms.iter().enumerate() {
                w.write(2, &format!("Term {i}:\t"));
                let exprs = term["matchExpressions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if exprs.is_empty() {
                    w.line("<none>");
                }
                for (j, e) in exprs.iter().enumerate() {
                    if j != 0 {
                        w.write(2, "\t");
                    }
                    let mut text = format!("{} {}", s(&e["key"]), s(&e["operator"]).to_lowercase());
                    let values: Vec<&str> = e["values"]
                        .as_array()
                        .map(|a| a.iter().map(s).collect())
                        .unwrap_or_default();
                    if !values.is_empty() {
                        text.push_str(&format!(" [{}]", values.join(", ")));
                    }
                    w.write(0, &format!("{text}\n"));
                }
            }
        }
    } else {
        w.write(0, "Node Affinity:\t<none>\n");
    }
    w.write(0, &format!("Message:\t{}\n", s(&pv["status"]["message"])));
    w.write(0, "Source:\n");
    if spec["hostPath"].is_object() {
        let h = &spec["hostPath"];
        // A nil type prints `<none>`, an empty one nothing.
        let kind = h["type"].as_str().unwrap_or("<none>");
        w.write(
            2,
            &format!(
                "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n",
                s(&h["path"]),
                kind
            ),
        );
    } else if spec["local"].is_object() {
        let l = &spec["local"];
        w.write(
            2,
            &format!(
                "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n    Path:\t{}\n",
                s(&l["path"])
            ),
        );
    } else if spec["nfs"].is_object() {
        let n = &spec["nfs"];
        w.write(
            2,
            &format!(
                "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n",
                s(&n["server"]),
                s(&n["path"]),
                n["readOnly"].as_bool().unwrap_or(false)
            ),
        );
    } else {
        w.write(1, "<unknown>\n");
    }
}

pub fn storage_class(w: &mut PrefixWriter, sc: &Value) {
    let annotations = &sc["metadata"]["annotations"];
    let default = [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ]
    .iter()
    .any(|k| s(&annotations[*k]) == "true");
    w.write(0, &format!("Name:\t{}\n", s(&sc["metadata"]["name"])));
    w.write(
        0,
        &format!("IsDefaultClass:\t{}\n", if default { "Yes" } else { "No" }),
    );
    let pairs = sorted_pairs(annotations);
    w.write(
        0,
        &format!(
            "Annotations:\t{}\n",
            if pairs.is_empty() {
                "<none>".to_string()
            } else {
                pairs.join(",")
            }
        ),
    );
    w.write(0, &format!("Provisioner:\t{}\n", s(&sc["provisioner"])));
    let params = sorted_pairs(&sc["parameters"]);
    w.write(
        0,
        &format!(
            "Parameters:\t{}\n",
            if params.is_empty() {
                "<none>".to_string()
            } else {
                params.join(",")
            }
        ),
    );
    match sc["allowVolumeExpansion"].as_bool() {
        Some(b) => w.write(0, &format!("AllowVolumeExpansion:\t{b}\n")),
        None => w.write(0, "AllowVolumeExpansion:\t<unset>\n"),
    }
    let options: Vec<&str> = sc["mountOptions"]
        .as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_default();
    w.write(
        0,
        &format!(
            "MountOptions:\t{}\n",
            if options.is_empty() {
                "<none>".to_string()
            } else {
                options.join(", ")
            }
        ),
    );
    w.write(0, &format!("ReclaimPolicy:\t{}\n", s(&sc["reclaimPolicy"])));
    w.write(
        0,
        &format!("VolumeBindingMode:\t{}\n", s(&sc["volumeBindingMode"])),
    );
    if let Some(topologies) = sc["allowedTopologies"].as_array().filter(|a| !a.is_empty()) {
        w.write(0, "AllowedTopologies:\t\n");
        for (i, t) in topologies.iter().enumerate() {
            let exprs: Vec<String> = t["matchLabelExpressions"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| {
                            let values: Vec<&str> = e["values"]
                                .as_array()
                                .map(|v| v.iter().map(s).collect())
                                .unwrap_or_default();
                            format!("{} in [{}]", s(&e["key"]), values.join(", "))
                        })
                        .collect()
                })
                .unwrap_or_default();
            w.write(1, &format!("Term {i}:\t{}\n", exprs.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn access_modes_abbreviate_in_a_fixed_order() {
        assert_eq!(
            access_modes(&json!(["ReadWriteMany", "ReadWriteOnce"])),
            "RWO,RWX"
        );
        assert_eq!(access_modes(&json!(null)), "");
    }
}
