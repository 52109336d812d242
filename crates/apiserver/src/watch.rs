//! Watches: `GET ...?watch=true&resourceVersion=N` answered as newline-delimited JSON events.
//!
//! A [`Watch`] is the pure state of one watch request; the HTTP server calls [`Watch::poll`]
//! whenever the session changes and writes the lines it returns to the chunked response. An
//! in-process caller polls once and gets the events available now.

use std::collections::BTreeMap;
use std::sync::Arc;

use cluster::{Cluster, EventType, Object, ResourceType, Status};
use kubectl::rest::Request;
use serde_json::{json, Value};

use crate::table::{self, IncludeObject};

/// One requirement of a label selector (`app=web`, `tier!=db`, `env in (a,b)`, `!canary`).
#[derive(Clone, Debug, PartialEq)]
enum LabelRequirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

impl LabelRequirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Self::Equals(k, v) => labels.get(k) == Some(v),
            Self::NotEquals(k, v) => labels.get(k) != Some(v),
            Self::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
            Self::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
            Self::Exists(k) => labels.contains_key(k),
            Self::DoesNotExist(k) => !labels.contains_key(k),
        }
    }
}

/// Splits a selector on the commas that are not inside `( )`.
fn split_top_level(s: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn parse_label_requirement(s: &str) -> Result<LabelRequirement, Status> {
    let bad = || {
        Status::bad_request(format!(
            "unable to parse requirement: found '{s}', expected: identifier"
        ))
    };
    let set = |rest: &str| -> Result<Vec<String>, Status> {
        let inner = rest
            .trim()
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(bad)?;
        Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
    };
    if let Some(k) = s.strip_prefix('!') {
        return Ok(LabelRequirement::DoesNotExist(k.trim().to_string()));
    }
    if let Some((k, v)) = s.split_once("!=") {
        return Ok(LabelRequirement::NotEquals(
            k.trim().into(),
            v.trim().into(),
        ));
    }
    if let Some((k, v)) = s.split_once("==").or_else(|| s.split_once('=')) {
        return Ok(LabelRequirement::Equals(k.trim().into(), v.trim().into()));
    }
    if let Some((k, rest)) = s.split_once(" notin ") {
        return Ok(LabelRequirement::NotIn(k.trim().into(), set(rest)?));
    }
    if let Some((k, rest)) = s.split_once(" in ") {
        return Ok(LabelRequirement::In(k.trim().into(), set(rest)?));
    }
    if s.contains(char::is_whitespace) {
        return Err(bad());
    }
    Ok(LabelRequirement::Exists(s.to_string()))
}

/// The `labelSelector` and `fieldSelector` of a list or watch.
#[derive(Clone, Debug, Default)]
pub struct Selectors {
    labels: Vec<LabelRequirement>,
    /// (field path, wanted value, equal?)
    fields: Vec<(String, String, bool)>,
}

/// A field's value as field selectors see it (`metadata.name`, `spec.nodeName`, `status.phase`,
/// `involvedObject.name`, ...): the string at that path of the object's JSON.
fn field_value(object: &Value, path: &str) -> String {
    let mut v = object;
    for seg in path.split('.') {
        v = &v[seg];
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Selectors {
    pub fn from_request(rt: &ResourceType, request: &Request) -> Result<Selectors, Status> {
        let mut sel = Selectors::default();
        if let Some(ls) = request.query_value("labelSelector") {
            for part in split_top_level(&ls) {
                sel.labels.push(parse_label_requirement(part)?);
            }
        }
        if let Some(fs) = request.query_value("fieldSelector") {
            for part in split_top_level(&fs) {
                let (field, value, eq) = if let Some((f, v)) = part.split_once("!=") {
                    (f, v, false)
                } else if let Some((f, v)) = part.split_once("==").or_else(|| part.split_once('='))
                {
                    (f, v, true)
                } else {
                    return Err(Status::bad_request(format!(
                        "invalid selector: '{fs}'; can't understand '{part}'"
                    )));
                };
                let field = field.trim();
                let known = field.starts_with("metadata.")
                    || field.starts_with("spec.")
                    || field.starts_with("status.")
                    || field.starts_with("involvedObject.")
                    || matches!(field, "type" | "reason" | "source" | "reportingComponent");
                if !known {
                    return Err(Status::bad_request(format!(
                        "field label not supported: {field}"
                    )));
                }
                let _ = rt;
                sel.fields
                    .push((field.to_string(), value.trim().to_string(), eq));
            }
        }
        Ok(sel)
    }

    pub fn matches(&self, o: &Object) -> bool {
        let empty = BTreeMap::new();
        let labels = o.labels().unwrap_or(&empty);
        if !self.labels.iter().all(|r| r.matches(labels)) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        let v = o.to_value();
        self.fields
            .iter()
            .all(|(f, want, eq)| (field_value(&v, f) == *want) == *eq)
    }

    pub fn filter(&self, items: Vec<Arc<Object>>) -> Vec<Arc<Object>> {
        items.into_iter().filter(|o| self.matches(o)).collect()
    }
}

/// One watch request in progress.
pub struct Watch {
    rt: &'static ResourceType,
    /// Objects are sent in the older version the watch was asked for ([`crate::conversion`]).
    serving_older: bool,
    namespace: Option<String>,
    selectors: Selectors,
    /// The last resourceVersion sent (events after it are still to come).
    since: u64,
    /// Set by a `resourceVersion` that the store no longer retains: the watch ends with 410.
    expired: bool,
    /// ADDED events for the objects that existed when a watch without a resourceVersion started.
    initial: Vec<Arc<Object>>,
    table: Option<IncludeObject>,
    pub bookmarks: bool,
    /// `sendInitialEvents=true` (client-go's WatchList): after the initial ADDED events, a
    /// BOOKMARK annotated `k8s.io/initial-events-end` tells the client the list is complete.
    initial_events_end: bool,
    done: bool,
}

impl Watch {
    pub fn start(
        cluster: &Cluster,
        request: &Request,
        rt: &'static ResourceType,
        namespace: Option<&str>,
    ) -> Result<Watch, Status> {
        let selectors = Selectors::from_request(rt, request)?;
        let rv = request.query_value("resourceVersion").unwrap_or_default();
        let current = cluster.store().resource_version();
        let send_initial = request.query_value("sendInitialEvents").as_deref() == Some("true");
        let (since, initial, expired) = match rv.as_str() {
            // "Any": start with the current state as ADDED events, then follow changes.
            _ if send_initial => (
                current,
                selectors.filter(cluster.list(rt, namespace)),
                false,
            ),
            "" | "0" => (
                current,
                selectors.filter(cluster.list(rt, namespace)),
                false,
            ),
            n => {
                let n: u64 = n
                    .parse()
                    .map_err(|_| Status::bad_request(format!("invalid resource version: {n:?}")))?;
                (n, Vec::new(), n < cluster.store().oldest_watchable())
            }
        };
        let table = table::wants_table(request.header_value("accept"))
            .then(|| IncludeObject::parse(request.query_value("includeObject").as_deref()));
        Ok(Watch {
            rt,
            serving_older: false,
            namespace: namespace.map(str::to_string),
            selectors,
            since,
            expired,
            initial,
            table,
            bookmarks: request.query_value("allowWatchBookmarks").as_deref() == Some("true"),
            initial_events_end: send_initial,
            done: false,
        })
    }

    /// Sends objects in the older version `rt` is also served at.
    pub fn serving(mut self, served: &'static ResourceType) -> Watch {
        self.serving_older = served.version != self.rt.version;
        self
    }

    /// Whether the watch has ended (after a 410 Expired event).
    pub fn is_done(&self) -> bool {
        self.done
    }

    fn line(&self, cluster: &Cluster, event_type: &str, object: &Arc<Object>) -> Vec<u8> {
        let object = match self.table {
            Some(include) => {
                let rv = object.meta().resource_version.clone().unwrap_or_default();
                table::table(
                    self.rt,
                    std::slice::from_ref(object),
                    include,
                    &rv,
                    cluster.now(),
                )
            }
            None if self.serving_older => crate::conversion::convert_document(object.to_value()),
            None => object.to_value(),
        };
        let mut line = serde_json::to_vec(&json!({"type": event_type, "object": object}))
            .expect("events serialise");
        line.push(b'\n');
        line
    }

    /// The events since the last poll, one JSON line each.
    pub fn poll(&mut self, cluster: &Cluster) -> Vec<Vec<u8>> {
        if self.done {
            return Vec::new();
        }
        if self.expired {
            self.done = true;
            let status = Status::expired(format!(
                "too old resource version: {} ({})",
                self.since,
                cluster.store().oldest_watchable() + 1
            ));
            let mut line =
                serde_json::to_vec(&json!({"type": "ERROR", "object": status.to_value()}))
                    .expect("events serialise");
            line.push(b'\n');
            return vec![line];
        }
        let mut lines: Vec<Vec<u8>> = std::mem::take(&mut self.initial)
            .iter()
            .map(|o| self.line(cluster, "ADDED", o))
            .collect();
        if std::mem::take(&mut self.initial_events_end) {
            let object = json!({
                "kind": self.rt.kind,
                "apiVersion": self.rt.api_version(),
                "metadata": {"resourceVersion": self.since.to_string(),
                             "annotations": {"k8s.io/initial-events-end": "true"}},
            });
            let mut line = serde_json::to_vec(&json!({"type": "BOOKMARK", "object": object}))
                .expect("events serialise");
            line.push(b'\n');
            lines.push(line);
        }
        let Some(events) = cluster.store().events_since(self.since) else {
            self.expired = true;
            lines.extend(self.poll(cluster));
            return lines;
        };
        let mut last = self.since;
        for c in events {
            last = c.resource_version();
            if !c.is(self.rt.kind, self.namespace.as_deref()) {
                continue;
            }
            let e = c.event();
            let o = &e.object;
            if o.api_version() != self.rt.api_version() || !self.selectors.matches(o) {
                continue;
            }
            let t = match e.event_type {
                EventType::Added => "ADDED",
                EventType::Modified => "MODIFIED",
                EventType::Deleted => "DELETED",
            };
            lines.push(self.line(cluster, t, o));
        }
        self.since = last.max(self.since);
        lines
    }

    /// A BOOKMARK event at the current resourceVersion, if the client allowed them.
    pub fn bookmark(&mut self, cluster: &Cluster) -> Option<Vec<u8>> {
        if !self.bookmarks || self.done {
            return None;
        }
        self.since = self.since.max(cluster.store().resource_version());
        let object = json!({
            "kind": self.rt.kind,
            "apiVersion": self.rt.api_version(),
            "metadata": {"resourceVersion": self.since.to_string()},
        });
        let mut line = serde_json::to_vec(&json!({"type": "BOOKMARK", "object": object}))
            .expect("events serialise");
        line.push(b'\n');
        Some(line)
    }
}

/// A watch answered in one piece, for an in-process client: the events since the request's
/// `resourceVersion`, then (if the client allows bookmarks) a BOOKMARK at the store's current
/// resourceVersion. A client that polls this way resumes from the last resourceVersion it saw; the
/// bookmark moves it past changes that its selectors filtered out, so a quiet watch never falls
/// behind the store's watch log and expires.
pub fn events_now(
    cluster: &Cluster,
    request: &Request,
    rt: &'static ResourceType,
    namespace: Option<&str>,
) -> Result<Vec<u8>, Status> {
    let mut w = Watch::start(cluster, request, rt, namespace)?;
    let mut body = w.poll(cluster).concat();
    if let Some(bookmark) = w.bookmark(cluster) {
        body.extend(bookmark);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cluster::{resources, ClusterConfig};

    fn pods() -> &'static ResourceType {
        resources::by_plural("", "pods").unwrap()
    }

    fn pod(name: &str, app: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": app}},
               "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    }

    #[test]
    fn label_selectors() {
        let labels: BTreeMap<String, String> = [("app".to_string(), "web".to_string())]
            .into_iter()
            .collect();
        for (sel, want) in [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app in (api, web)", true),
            ("app notin (web)", false),
            ("app", true),
            ("!app", false),
            ("tier", false),
        ] {
            let r = parse_label_requirement(sel).unwrap();
            assert_eq!(r.matches(&labels), want, "{sel}");
        }
        assert_eq!(split_top_level("a in (x,y),b=c"), ["a in (x,y)", "b=c"]);
    }

    #[test]
    fn watch_reports_changes_after_its_resource_version() {
        let mut c = Cluster::new(&ClusterConfig::default());
        c.create(pods(), None, pod("a", "web")).unwrap();
        let rv = c.store().resource_version();
        let req = Request::get(format!(
            "/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&labelSelector=app%3Dweb"
        ));
        let mut w = Watch::start(&c, &req, pods(), Some("default")).unwrap();
        assert!(w.poll(&c).is_empty());
        c.create(pods(), None, pod("b", "web")).unwrap();
        c.create(pods(), None, pod("c", "db")).unwrap();
        // Pod b is added (and then scheduled and started: MODIFIED); pod c is not selected.
        let events: Vec<(String, String)> = w
            .poll(&c)
            .iter()
            .map(|l| serde_json::from_slice::<Value>(l).unwrap())
            .map(|e| {
                (
                    e["type"].as_str().unwrap().to_string(),
                    e["object"]["metadata"]["name"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect();
        assert_eq!(events[0], ("ADDED".to_string(), "b".to_string()));
        assert!(
            events[1..].iter().all(|(t, n)| t == "MODIFIED" && n == "b"),
            "{events:?}"
        );
        assert!(w.poll(&c).is_empty());
    }

    #[test]
    fn send_initial_events_ends_the_list_with_a_bookmark() {
        let mut c = Cluster::new(&ClusterConfig::default());
        c.create(pods(), None, pod("a", "web")).unwrap();
        let req = Request::get("/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true");
        let mut w = Watch::start(&c, &req, pods(), Some("default")).unwrap();
        let events: Vec<Value> = w
            .poll(&c)
            .iter()
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(events.len(), 2);
        assert_eq!(
            (
                events[0]["type"].as_str(),
                events[0]["object"]["metadata"]["name"].as_str()
            ),
            (Some("ADDED"), Some("a"))
        );
        assert_eq!(events[1]["type"], "BOOKMARK");
        assert_eq!(
            events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
            "true"
        );
    }

    #[test]
    fn events_now_resumes_from_a_bookmark_past_filtered_changes() {
        let mut c = Cluster::new(&ClusterConfig::default());
        let rv = c.store().resource_version();
        c.create(pods(), None, pod("db", "db")).unwrap();
        let ask = |rv: &str| {
            Request::get(format!(
                "/api/v1/namespaces/default/pods?watch=true&resourceVersion={rv}&labelSelector=app%3Dweb&allowWatchBookmarks=true"
            ))
        };
        let events = |body: Vec<u8>| -> Vec<Value> {
            body.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).unwrap())
                .collect()
        };
        let first = events(events_now(&c, &ask(&rv.to_string()), pods(), Some("default")).unwrap());
        // Only the bookmark: pod db is not selected, but the watch has seen past it.
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0]["type"], "BOOKMARK");
        let seen = first[0]["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(seen, c.store().resource_version().to_string());
        c.create(pods(), None, pod("web", "web")).unwrap();
        let next = events(events_now(&c, &ask(&seen), pods(), Some("default")).unwrap());
        assert_eq!(next[0]["type"], "ADDED");
        assert_eq!(next[0]["object"]["metadata"]["name"], "web");
        assert_eq!(next.last().unwrap()["type"], "BOOKMARK");
        // Without allowWatchBookmarks the answer is the events alone.
        let plain = Request::get(format!(
            "/api/v1/namespaces/default/pods?watch=true&resourceVersion={seen}"
        ));
        let lines = events(events_now(&c, &plain, pods(), Some("default")).unwrap());
        assert!(lines.iter().all(|e| e["type"] != "BOOKMARK"));
    }

    #[test]
    fn too_old_resource_version_ends_with_410() {
        let mut c = Cluster::new(&ClusterConfig::default());
        for i in 0..cluster::store::WATCH_LOG_CAPACITY + 2 {
            c.create(pods(), None, pod(&format!("p{i}"), "x")).unwrap();
        }
        let req = Request::get("/api/v1/pods?watch=true&resourceVersion=1");
        let mut w = Watch::start(&c, &req, pods(), None).unwrap();
        let lines = w.poll(&c);
        let ev: Value = serde_json::from_slice(&lines[0]).unwrap();
        assert_eq!(ev["type"], "ERROR");
        assert_eq!(ev["object"]["code"], 410);
        assert!(w.is_done());
    }
}
