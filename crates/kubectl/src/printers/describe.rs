//! The layouts of `k8s.io/kubectl/pkg/describe` (describe.go), over object JSON.
//!
//! Every describer writes tab-separated text through a [`PrefixWriter`] (two spaces per level)
//! into one tabwriter configured like kubectl's (`0, 8, 2, ' ', 0`); the events section flushes
//! it first, so its columns never line up with the fields above.

use jiff::Timestamp;
use serde_json::Value;

use super::age;
use super::tabwriter::{TabWriter, DESCRIBE};

/// Annotations describe never prints (`skipAnnotations`).
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// `maxAnnotationLen`: longer annotation values are printed on their own, shortened, lines.
const MAX_ANNOTATION_LEN: usize = 140;

/// describe.go's `PrefixWriter` over a tabwriter.
pub struct PrefixWriter {
    tw: TabWriter,
}

impl Default for PrefixWriter {
    fn default() -> Self {
        PrefixWriter {
            tw: TabWriter::new(DESCRIBE),
        }
    }
}

impl PrefixWriter {
    /// `Write(level, ...)`: the text indented by two spaces per level.
    pub fn write(&mut self, level: usize, text: &str) {
        self.tw.write(&"  ".repeat(level));
        self.tw.write(text);
    }

    /// `WriteLine(...)`: the text and a newline, not indented.
    pub fn line(&mut self, text: &str) {
        self.tw.write(text);
        self.tw.write("\n");
    }

    pub fn flush(&mut self) {
        self.tw.flush();
    }

    pub fn finish(mut self) -> String {
        self.tw.take()
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Go's `time.RFC1123Z` in UTC (the terminal's time zone).
pub fn rfc1123z(ts: &Value) -> String {
    match ts.as_str().and_then(age::parse) {
        Some(t) => t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string(),
        None => "Mon, 01 Jan 0001 00:00:00 +0000".into(),
    }
}

fn sorted_map(v: &Value) -> Vec<(String, String)> {
    let mut items: Vec<(String, String)> = v
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    items.sort();
    items
}

/// `printLabelsMultilineWithIndent`: `key=value` lines, `<none>` when empty.
pub fn labels(w: &mut PrefixWriter, title: &str, labels: &Value) {
    labels_with_indent(w, "", title, "\t", labels);
}

fn labels_with_indent(
    w: &mut PrefixWriter,
    initial: &str,
    title: &str,
    inner: &str,
    labels: &Value,
) {
    w.write(0, &format!("{initial}{title}:{inner}"));
    let items = sorted_map(labels);
    if items.is_empty() {
        w.line("<none>");
        return;
    }
    for (i, (k, v)) in items.iter().enumerate() {
        if i != 0 {
            w.write(0, initial);
            w.write(0, inner);
        }
        w.write(0, &format!("{k}={v}\n"));
    }
}

/// `printAnnotationsMultiline`: `key: value`, long or multi-line values on lines of their own.
pub fn annotations(w: &mut PrefixWriter, title: &str, annotations: &Value) {
    w.write(0, &format!("{title}:\t"));
    let items: Vec<(String, String)> = sorted_map(annotations)
        .into_iter()
        .filter(|(k, _)| k != LAST_APPLIED)
        .collect();
    if items.is_empty() {
        w.line("<none>");
        return;
    }
    let indent = "\t";
    for (i, (key, value)) in items.iter().enumerate() {
        if i != 0 {
            w.write(0, indent);
        }
        let value = value.strip_suffix('\n').unwrap_or(value);
        if value.len() + key.len() + 2 > MAX_ANNOTATION_LEN || value.contains('\n') {
            w.write(0, &format!("{key}:\n"));
            for line in value.split('\n') {
                w.write(
                    0,
                    &format!("{indent}  {}\n", shorten(line, MAX_ANNOTATION_LEN - 2)),
                );
            }
        } else {
            w.write(0, &format!("{key}: {value}\n"));
        }
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.len() > max {
        format!("{}...", &s[..max.min(s.len())])
    } else {
        s.to_string()
    }
}

/// `printTolerationsMultilineWithIndent`.
pub fn tolerations(w: &mut PrefixWriter, initial: &str, title: &str, tolerations: &Value) {
    w.write(0, &format!("{initial}{title}:\t"));
    let list = tolerations.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        w.line("<none>");
        return;
    }
    for (i, t) in list.iter().enumerate() {
        if i != 0 {
            w.write(0, initial);
            w.write(0, "\t");
        }
        let (key, value, effect) = (s(&t["key"]), s(&t["value"]), s(&t["effect"]));
        let mut text = key.to_string();
        if !value.is_empty() {
            text.push_str(&format!("={value}"));
        }
        if !effect.is_empty() {
            text.push_str(&format!(":{effect}"));
        }
        // `operator: Exists` without a value tolerates everything matching the key/effect.
        if s(&t["operator"]) == "Exists" && value.is_empty() {
            text.push_str(if key.is_empty() && effect.is_empty() {
                "op=Exists"
            } else {
                " op=Exists"
            });
        }
        if let Some(secs) = t["tolerationSeconds"].as_i64() {
            text.push_str(&format!(" for {secs}s"));
        }
        w.write(0, &format!("{text}\n"));
    }
}

/// `printTaintsMultilineWithIndent`: `key=value:effect`, one a line.
pub fn taints(w: &mut PrefixWriter, title: &str, taints: &Value) {
    w.write(0, &format!("{title}:\t"));
    let list = taints.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        w.line("<none>");
        return;
    }
    for (i, t) in list.iter().enumerate() {
        if i != 0 {
            w.write(0, "\t");
        }
        let value = s(&t["value"]);
        let text = if value.is_empty() {
            format!("{}:{}", s(&t["key"]), s(&t["effect"]))
        } else {
            format!("{}={value}:{}", s(&t["key"]), s(&t["effect"]))
        };
        w.write(0, &format!("{text}\n"));
    }
}

fn bool_word(v: &Value) -> &'static str {
    if v.as_bool().unwrap_or(false) {
        "True"
    } else {
        "False"
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "<none>"
    } else {
        s
    }
}

/// `describeContainers`: each container's image, ports, state, resources, env and mounts.
pub fn containers(
    w: &mut PrefixWriter,
    label: &str,
    containers: &Value,
    statuses: &Value,
    space: &str,
) {
    let list = containers.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        w.write(0, &format!("{space}{label}: <none>\n"));
    } else {
        w.write(0, &format!("{space}{label}:\n"));
    }
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in &list {
        let status = statuses
            .as_array()
            .and_then(|a| a.iter().find(|st| st["name"] == c["name"]));
        w.write(1, &format!("{name_indent}{}:\n", s(&c["name"])));
        if let Some(st) = status {
            w.write(2, &format!("Container ID:\t{}\n", s(&st["containerID"])));
        }
        w.write(2, &format!("Image:\t{}\n", s(&c["image"])));
        if let Some(st) = status {
            w.write(2, &format!("Image ID:\t{}\n", s(&st["imageID"])));
        }
        let ports = c["ports"].as_array().cloned().unwrap_or_default();
        let proto = |p: &Value| s(&p["protocol"]).to_string();
        let port_list: Vec<String> = ports
            .iter()
            .map(|p| format!("{}/{}", p["containerPort"].as_i64().unwrap_or(0), proto(p)))
            .collect();
        let host_list: Vec<String> = ports
            .iter()
            .map(|p| format!("{}/{}", p["hostPort"].as_i64().unwrap_or(0), proto(p)))
            .collect();
        let (port, host) = (port_list.join(", "), host_list.join(", "));
        if port.contains(',') {
            w.write(2, &format!("Ports:\t{port}\n"));
        } else {
            w.write(2, &format!("Port:\t{}\n", or_none(&port)));
        }
        if host.contains(',') {
            w.write(2, &format!("Host Ports:\t{host}\n"));
        } else {
            w.write(2, &format!("Host Port:\t{}\n", or_none(&host)));
        }
        for (field, title) in [("command", "Command"), ("args", "Args")] {
            if let Some(items) = c[field].as_array().filter(|a| !a.is_empty()) {
                w.write(2, &format!("{title}:\n"));
                for item in items {
                    for line in s(item).split('\n') {
                        w.write(3, &format!("{line}\n"));
                    }
                }
            }
        }
        if let Some(st) = status {
            container_state(w, "State", &st["state"]);
            if st["lastState"]["terminated"].is_object() {
                container_state(w, "Last State", &st["lastState"]);
            }
            w.write(2, &format!("Ready:\t{}\n", bool_word(&st["ready"])));
            w.write(
                2,
                &format!(
                    "Restart Count:\t{}\n",
                    st["restartCount"].as_i64().unwrap_or(0)
                ),
            );
        }
        for (field, title) in [("limits", "Limits"), ("requests", "Requests")] {
            let items = sorted_map(&c["resources"][field]);
            if !items.is_empty() {
                w.write(2, &format!("{title}:\n"));
                for (k, v) in items {
                    w.write(3, &format!("{k}:\t{v}\n"));
                }
            }
        }
        probes(w, c);
        if c["envFrom"].as_array().is_some_and(|a| !a.is_empty()) {
            env_from(w, c);
        }
        env_vars(w, c);
        mounts(w, c);
    }
}

/// `describeContainerProbe`: `Liveness:`, `Readiness:` and `Startup:` lines.
fn probes(w: &mut PrefixWriter, c: &Value) {
    for (field, title) in [
        ("livenessProbe", "Liveness"),
        ("readinessProbe", "Readiness"),
        ("startupProbe", "Startup"),
    ] {
        if c[field].is_object() {
            w.write(2, &format!("{title}:\t{}\n", probe(&c[field])));
        }
    }
}

/// `DescribeProbe`: the handler and its timing, e.g.
/// `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3`.
pub fn probe(p: &Value) -> String {
    let n = |k: &str| p[k].as_i64().unwrap_or(0);
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        n("initialDelaySeconds"),
        n("timeoutSeconds"),
        n("periodSeconds"),
        n("successThreshold"),
        n("failureThreshold")
    );
    let port = |v: &Value| match v {
        Value::Number(n) => n.to_string(),
        other => s(other).to_string(),
    };
    if let Some(cmd) = p["exec"]["command"].as_array() {
        let words: Vec<&str> = cmd.iter().map(s).collect();
        format!("exec [{}] {attrs}", words.join(" "))
    } else if p["httpGet"].is_object() {
        let h = &p["httpGet"];
        let scheme = s(&h["scheme"]).to_lowercase();
        let port = port(&h["port"]);
        let host = if port.is_empty() {
            s(&h["host"]).to_string()
        } else if s(&h["host"]).contains(':') {
            format!("[{}]:{port}", s(&h["host"]))
        } else {
            format!("{}:{port}", s(&h["host"]))
        };
        let scheme = if scheme.is_empty() {
            String::new()
        } else {
            format!("{scheme}:")
        };
        format!("http-get {scheme}//{host}{} {attrs}", s(&h["path"]))
    } else if p["tcpSocket"].is_object() {
        let t = &p["tcpSocket"];
        format!("tcp-socket {}:{} {attrs}", s(&t["host"]), port(&t["port"]))
    } else if p["grpc"].is_object() {
        let g = &p["grpc"];
        format!(
            "grpc <pod>:{} {} {attrs}",
            g["port"].as_i64().unwrap_or(0),
            s(&g["service"])
        )
    } else {
        format!("unknown {attrs}")
    }
}

/// `describeContainerEnvFrom`: the ConfigMaps and Secrets whose keys become variables.
fn env_from(w: &mut PrefixWriter, c: &Value) {
    w.write(2, "Environment Variables from:\n");
    for e in c["envFrom"].as_array().into_iter().flatten() {
        let (from, r) = if e["configMapRef"].is_object() {
            ("ConfigMap", &e["configMapRef"])
        } else if e["secretRef"].is_object() {
            ("Secret", &e["secretRef"])
        } else {
            ("", &Value::Null)
        };
        let optional = r["optional"].as_bool().unwrap_or(false);
        let prefix = s(&e["prefix"]);
        if prefix.is_empty() {
            w.write(
                3,
                &format!("{}\t{from}\tOptional: {optional}\n", s(&r["name"])),
            );
        } else {
            w.write(
                3,
                &format!(
                    "{}\t{from} with prefix '{prefix}'\tOptional: {optional}\n",
                    s(&r["name"])
                ),
            );
        }
    }
}

fn container_state(w: &mut PrefixWriter, name: &str, state: &Value) {
    if state["running"].is_object() {
        w.write(2, &format!("{name}:\tRunning\n"));
        w.write(
            3,
            &format!("Started:\t{}\n", rfc1123z(&state["running"]["startedAt"])),
        );
    } else if state["terminated"].is_object() {
        let t = &state["terminated"];
        w.write(2, &format!("{name}:\tTerminated\n"));
        if !s(&t["reason"]).is_empty() {
            w.write(3, &format!("Reason:\t{}\n", s(&t["reason"])));
        }
        if !s(&t["message"]).is_empty() {
            w.write(3, &format!("Message:\t{}\n", s(&t["message"])));
        }
        w.write(
            3,
            &format!("Exit Code:\t{}\n", t["exitCode"].as_i64().unwrap_or(0)),
        );
        if let Some(sig) = t["signal"].as_i64().filter(|s| *s > 0) {
            w.write(3, &format!("Signal:\t{sig}\n"));
        }
        w.write(3, &format!("Started:\t{}\n", rfc1123z(&t["startedAt"])));
        w.write(3, &format!("Finished:\t{}\n", rfc1123z(&t["finishedAt"])));
    } else {
        w.write(2, &format!("{name}:\tWaiting\n"));
        let reason = s(&state["waiting"]["reason"]);
        if !reason.is_empty() {
            w.write(3, &format!("Reason:\t{reason}\n"));
        }
    }
}

fn env_vars(w: &mut PrefixWriter, c: &Value) {
    let env = c["env"].as_array().cloned().unwrap_or_default();
    let none = if env.is_empty() { "\t<none>" } else { "" };
    w.write(2, &format!("Environment:{none}\n"));
    for e in &env {
        let name = s(&e["name"]);
        let from = &e["valueFrom"];
        if from.is_object() {
            let text = if from["fieldRef"].is_object() {
                let f = &from["fieldRef"];
                let version = f["apiVersion"].as_str().unwrap_or("v1");
                format!("{name}:\t (v1:{})\n", s(&f["fieldPath"]))
                    .replace("v1:", &format!("{version}:"))
            } else if from["configMapKeyRef"].is_object() {
                let r = &from["configMapKeyRef"];
                format!(
                    "{name}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n",
                    s(&r["key"]),
                    s(&r["name"]),
                    r["optional"].as_bool().unwrap_or(false)
                )
            } else if from["secretKeyRef"].is_object() {
                let r = &from["secretKeyRef"];
                format!(
                    "{name}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n",
                    s(&r["key"]),
                    s(&r["name"]),
                    r["optional"].as_bool().unwrap_or(false)
                )
            } else {
                format!("{name}:\t\n")
            };
            w.write(3, &text);
            continue;
        }
        for (i, line) in s(&e["value"]).split('\n').enumerate() {
            if i == 0 {
                w.write(3, &format!("{name}:\t{line}\n"));
            } else {
                w.write(3, &format!("\t{line}\n"));
            }
        }
    }
}

fn mounts(w: &mut PrefixWriter, c: &Value) {
    let mut list = c["volumeMounts"].as_array().cloned().unwrap_or_default();
    let none = if list.is_empty() { "\t<none>" } else { "" };
    w.write(2, &format!("Mounts:{none}\n"));
    list.sort_by(|a, b| s(&a["mountPath"]).cmp(s(&b["mountPath"])));
    for m in &list {
        let mut flags = vec![if m["readOnly"].as_bool().unwrap_or(false) {
            "ro"
        } else {
            "rw"
        }
        .to_string()];
        if !s(&m["subPath"]).is_empty() {
            flags.push(format!("path={:?}", s(&m["subPath"])));
        }
        w.write(
            3,
            &format!(
                "{} from {} ({})\n",
                s(&m["mountPath"]),
                s(&m["name"]),
                flags.join(",")
            ),
        );
    }
}

/// `describeVolumes`.
pub fn volumes(w: &mut PrefixWriter, volumes: &Value, space: &str) {
    let list = volumes.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        w.write(0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.write(0, &format!("{space}Volumes:\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in &list {
        w.write(1, &format!("{name_indent}{}:\n", s(&v["name"])));
        if v["projected"].is_object() {
            w.write(
                2,
                "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
            );
            for src in v["projected"]["sources"]
                .as_array()
                .cloned()
                .unwrap_or_default()
            {
                if src["secret"].is_object() {
                    w.write(
                        2,
                        &format!(
                            "SecretName:\t{}\n    Optional:\t{}\n",
                            s(&src["secret"]["name"]),
                            src["secret"]["optional"].as_bool().unwrap_or(false)
                        ),
                    );
                } else if src["downwardAPI"].is_object() {
                    w.write(2, "DownwardAPI:\ttrue\n");
                } else if src["configMap"].is_object() {
                    w.write(
                        2,
                        &format!(
                            "ConfigMapName:\t{}\n    Optional:\t{}\n",
                            s(&src["configMap"]["name"]),
                            src["configMap"]["optional"].as_bool().unwrap_or(false)
                        ),
                    );
                } else if src["serviceAccountToken"].is_object() {
                    w.write(
                        2,
                        &format!(
                            "TokenExpirationSeconds:\t{}\n",
                            src["serviceAccountToken"]["expirationSeconds"]
                                .as_i64()
                                .unwrap_or(3600)
                        ),
                    );
                }
            }
        } else if v["emptyDir"].is_object() {
            let e = &v["emptyDir"];
            w.write(2, &format!("Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n", s(&e["medium"])));
            w.write(
                2,
                &format!(
                    "SizeLimit:\t{}\n",
                    e["sizeLimit"].as_str().unwrap_or("<unset>")
                ),
            );
        } else if v["configMap"].is_object() {
            let c = &v["configMap"];
            w.write(2, &format!("Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n", s(&c["name"]), c["optional"].as_bool().unwrap_or(false)));
        } else if v["secret"].is_object() {
            let c = &v["secret"];
            w.write(2, &format!("Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n", s(&c["secretName"]), c["optional"].as_bool().unwrap_or(false)));
        } else if v["hostPath"].is_object() {
            let h = &v["hostPath"];
            w.write(2, &format!("Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n", s(&h["path"]), h["type"].as_str().unwrap_or("<none>")));
        } else if v["persistentVolumeClaim"].is_object() {
            let p = &v["persistentVolumeClaim"];
            w.write(2, &format!("Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n", s(&p["claimName"]), p["readOnly"].as_bool().unwrap_or(false)));
        } else {
            w.write(2, "<unknown>\n");
        }
    }
}

/// `DescribePodTemplate`, as deployments, replica sets and jobs show it.
pub fn pod_template(w: &mut PrefixWriter, template: &Value) {
    w.write(0, "Pod Template:\n");
    labels_with_indent(w, "  ", "Labels", "\t", &template["metadata"]["labels"]);
    if template["metadata"]["annotations"]
        .as_object()
        .is_some_and(|m| !m.is_empty())
    {
        annotations(w, "  Annotations", &template["metadata"]["annotations"]);
    }
    let spec = &template["spec"];
    if !s(&spec["serviceAccountName"]).is_empty() {
        w.write(
            1,
            &format!("Service Account:\t{}\n", s(&spec["serviceAccountName"])),
        );
    }
    if spec["initContainers"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
    {
        containers(
            w,
            "Init Containers",
            &spec["initContainers"],
            &Value::Null,
            "  ",
        );
    }
    containers(w, "Containers", &spec["containers"], &Value::Null, "  ");
    volumes(w, &spec["volumes"], "  ");
    if !s(&spec["priorityClassName"]).is_empty() {
        w.write(
            1,
            &format!("Priority Class Name:\t{}\n", s(&spec["priorityClassName"])),
        );
    }
    labels_with_indent(w, "  ", "Node-Selectors", "\t", &spec["nodeSelector"]);
    tolerations(w, "  ", "Tolerations", &spec["tolerations"]);
}

/// `DescribeEvents`: the events about an object, oldest first, or `<none>`.
pub fn events(w: &mut PrefixWriter, events: &[Value], now: Timestamp) {
    if events.is_empty() {
        w.write(0, "Events:\t<none>\n");
        return;
    }
    w.flush();
    let mut list = events.to_vec();
    // `SortableEvents`: by lastTimestamp (a stable sort, like Go's sort.Sort on few items).
    list.sort_by_key(|e| e["lastTimestamp"].as_str().and_then(age::parse));
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
    w.write(1, "----\t------\t----\t----\t-------\n");
    let since = |v: &Value| age::since(v.as_str(), now);
    for e in &list {
        let first = if e["eventTime"].is_string() {
            since(&e["eventTime"])
        } else {
            since(&e["firstTimestamp"])
        };
        let count = e["count"].as_i64().unwrap_or(0);
        let interval = if e["series"].is_object() {
            format!(
                "{} (x{} over {first})",
                since(&e["series"]["lastObservedTime"]),
                e["series"]["count"].as_i64().unwrap_or(0)
            )
        } else if count > 1 {
            format!("{} (x{count} over {first})", since(&e["lastTimestamp"]))
        } else {
            first
        };
        let mut source = s(&e["source"]["component"]);
        if source.is_empty() {
            source = s(&e["reportingComponent"]);
        }
        w.write(
            1,
            &format!(
                "{}\t{}\t{interval}\t{source}\t{}\n",
                s(&e["type"]),
                s(&e["reason"]),
                s(&e["message"]).trim()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_continue_under_the_first_value() {
        let mut w = PrefixWriter::default();
        w.write(0, "Name:\tweb\n");
        labels(&mut w, "Labels", &json!({"b": "2", "a": "1"}));
        annotations(&mut w, "Annotations", &json!({LAST_APPLIED: "{}"}));
        assert_eq!(
            w.finish(),
            "Name:         web\nLabels:       a=1\n              b=2\nAnnotations:  <none>\n"
        );
    }

    #[test]
    fn no_events_align_with_the_fields_above() {
        let mut w = PrefixWriter::default();
        w.write(0, "Name:\tweb\n");
        events(&mut w, &[], Timestamp::UNIX_EPOCH);
        assert_eq!(w.finish(), "Name:    web\nEvents:  <none>\n");
    }

    #[test]
    fn events_are_a_table_of_their_own() {
        let mut w = PrefixWriter::default();
        w.write(0, "Name:\tweb\n");
        let now: Timestamp = "2026-01-01T00:01:00Z".parse().unwrap();
        let e = json!({"type": "Normal", "reason": "Scheduled", "message": "done ",
            "firstTimestamp": "2026-01-01T00:00:50Z", "lastTimestamp": "2026-01-01T00:00:50Z",
            "count": 1, "source": {"component": "default-scheduler"}});
        let repeated = json!({"type": "Normal", "reason": "Pulled", "message": "again",
            "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:55Z",
            "count": 3, "source": {"component": "kubelet"}});
        events(&mut w, &[repeated, e], now);
        assert_eq!(
            w.finish(),
            "Name:  web\nEvents:\n  Type    Reason     Age               From               Message\n  ----    ------     ----              ----               -------\n  Normal  Scheduled  10s               default-scheduler  done\n  Normal  Pulled     5s (x3 over 60s)  kubelet            again\n"
        );
    }

    #[test]
    fn tolerations_print_operator_and_seconds() {
        let mut w = PrefixWriter::default();
        tolerations(
            &mut w,
            "",
            "Tolerations",
            &json!([{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}, {"operator": "Exists"}]),
        );
        assert_eq!(
            w.finish(),
            "Tolerations:  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n              op=Exists\n"
        );
    }
}
