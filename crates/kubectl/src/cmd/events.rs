//! `kubectl events` (1.33): the events of a namespace, or of one object (`--for`), as a table of
//! LAST SEEN, TYPE, REASON, OBJECT and MESSAGE; `--watch` follows new ones.
//!
//! Unlike `get events` the table is printed by kubectl itself (`events/printer.go`), from core/v1
//! Events it lists (sorted by when they last happened) or watches.

use jiff::Timestamp;
use serde_json::Value;

use super::watch::{Follow, OnEvent};
use super::{parse_flags, Env};
use crate::flags::{b, v, Flag};
use crate::printers::{self, age, json, tabwriter, yaml};
use crate::rest::{percent_encode, Request};
use crate::{server_error, Output};

const FLAGS: &[Flag] = &[
    b("all-namespaces", Some('A')),
    v("for", None),
    v("types", None),
    b("watch", Some('w')),
    b("no-headers", None),
    v("output", Some('o')),
    v("chunk-size", None),
    b("allow-missing-template-keys", None),
    b("show-managed-fields", None),
    v("template", None),
];

/// How kubectl's event printer lays out one event; it prints headers before the first one.
struct EventPrinter {
    all_namespaces: bool,
    no_headers: bool,
    headers_printed: bool,
    tab: tabwriter::TabWriter,
}

impl EventPrinter {
    fn new(all_namespaces: bool, no_headers: bool) -> EventPrinter {
        EventPrinter {
            all_namespaces,
            no_headers,
            headers_printed: false,
            tab: tabwriter::TabWriter::new(tabwriter::GET),
        }
    }

    fn write(&mut self, e: &Value, now: Timestamp) {
        if !self.no_headers && !self.headers_printed {
            if self.all_namespaces {
                self.tab.write("NAMESPACE\t");
            }
            self.tab.write("LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n");
            self.headers_printed = true;
        }
        if self.all_namespaces {
            self.tab.write(&format!(
                "{}\t",
                e["metadata"]["namespace"].as_str().unwrap_or("")
            ));
        }
        let text = |v: &Value| v.as_str().unwrap_or("").to_string();
        self.tab.write(&format!(
            "{}\t{}\t{}\t{}/{}\t{}\n",
            interval(e, now),
            text(&e["type"]),
            text(&e["reason"]),
            text(&e["involvedObject"]["kind"]),
            text(&e["involvedObject"]["name"]),
            text(&e["message"]).trim(),
        ));
    }
}

/// `getInterval`: how long ago the event last happened, with its count when it repeated.
fn interval(e: &Value, now: Timestamp) -> String {
    let since = |v: &Value| age::since(v.as_str(), now);
    let first = if e["eventTime"].is_string() {
        since(&e["eventTime"])
    } else {
        since(&e["firstTimestamp"])
    };
    let count = e["count"].as_i64().unwrap_or(0);
    if e["series"].is_object() {
        format!(
            "{} (x{} over {first})",
            since(&e["series"]["lastObservedTime"]),
            e["series"]["count"].as_i64().unwrap_or(0)
        )
    } else if count > 1 {
        format!("{} (x{count} over {first})", since(&e["lastTimestamp"]))
    } else {
        first
    }
}

/// `eventTime`: when an event last happened, for sorting.
fn last_happened(e: &Value) -> Option<Timestamp> {
    let at = |v: &Value| v.as_str().and_then(age::parse);
    if e["series"].is_object() {
        return at(&e["series"]["lastObservedTime"]);
    }
    at(&e["lastTimestamp"]).or_else(|| at(&e["eventTime"]))
}

/// `--types=Normal,Warning`, matched without regard to case.
fn parse_types(raw: Option<&str>) -> Result<Vec<String>, String> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|t| match t.trim().to_ascii_lowercase().as_str() {
            "normal" => Ok("Normal".to_string()),
            "warning" => Ok("Warning".to_string()),
            _ => Err("error: valid --types are Normal or Warning".to_string()),
        })
        .collect()
}

fn type_allowed(types: &[String], e: &Value) -> bool {
    types.is_empty()
        || types.iter().any(|t| {
            e["type"]
                .as_str()
                .is_some_and(|et| et.eq_ignore_ascii_case(t))
        })
}

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    let Some(p) = parse_flags("events", args, FLAGS, out) else {
        return;
    };
    if let Some(ns) = p.get("namespace") {
        env.namespace = ns.to_string();
    }
    let output = p.get("output").unwrap_or("").to_string();
    if !matches!(output.as_str(), "" | "yaml" | "json") {
        out.fail(format!("error: unable to match a printer suitable for the output format \"{output}\", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml"));
        return;
    }
    let types = match parse_types(p.get("types")) {
        Ok(t) => t,
        Err(e) => return out.fail(e),
    };
    let all_ns = p.bool("all-namespaces");
    let mut field_selector = None;
    if let Some(target) = p.get("for") {
        let Some((typed, name)) = target.split_once('/') else {
            return out.fail("error: --for must be in resource/name form");
        };
        let Some(m) = env.discovery().resolve(typed).cloned() else {
            // Printed without kubectl's "error: " prefix: upstream returns the mapper's error text.
            return out.fail(format!(
                "the server doesn't have a resource type \"{typed}\""
            ));
        };
        field_selector = Some(format!(
            "involvedObject.kind={},involvedObject.apiVersion={},involvedObject.name={name}",
            m.kind,
            m.api_version()
        ));
    }
    let path = if all_ns {
        "/api/v1/events".to_string()
    } else {
        format!("/api/v1/namespaces/{}/events", env.namespace)
    };
    let limit = p.get("chunk-size").unwrap_or("500").to_string();
    if p.bool("watch") {
        let deadline = match super::watch::request_deadline(&p, env.transport.now()) {
            Ok(d) => d,
            Err(e) => return out.fail(e),
        };
        let mut query = vec![("limit", limit)];
        if let Some(f) = field_selector {
            query.push(("fieldSelector", f));
        }
        let follow = Follow {
            path,
            query,
            accept: "application/json",
            resource_version: String::new(),
            deadline,
            on_event: WatchedEvents {
                printer: EventPrinter::new(all_ns, p.bool("no-headers")),
                types,
                now: env.transport.now(),
            },
        };
        start_watch(follow, env, out);
        return;
    }
    let mut q = Vec::new();
    if let Some(f) = &field_selector {
        q.push(format!("fieldSelector={}", percent_encode(f)));
    }
    q.push(format!("limit={limit}"));
    let resp = env
        .transport
        .call(Request::get(format!("{path}?{}", q.join("&"))).header("accept", "application/json"));
    if resp.status >= 400 {
        return out.fail(server_error(&resp));
    }
    let mut list = resp.body_json().unwrap_or_default();
    let mut items: Vec<Value> = list["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| type_allowed(&types, e))
        .collect();
    if items.is_empty() {
        if all_ns {
            out.stderr.push_str("No events found.\n");
        } else {
            out.stderr.push_str(&format!(
                "No events found in {} namespace.\n",
                env.namespace
            ));
        }
        return;
    }
    // `sort.Sort(SortableEvents)`: not stable, so ties (events of one second) come out in the
    // order Go's algorithm leaves them.
    printers::gosort::sort(&mut items, |a, b| last_happened(a) < last_happened(b));
    match output.as_str() {
        "yaml" | "json" => {
            for e in &mut items {
                e["apiVersion"] = "v1".into();
                e["kind"] = "Event".into();
                if !p.bool("show-managed-fields") {
                    if let Some(m) = e["metadata"].as_object_mut() {
                        m.remove("managedFields");
                    }
                }
            }
            list["items"] = Value::Array(items);
            let doc = serde_json::json!({"apiVersion": "v1", "items": list["items"], "kind": "List", "metadata": {"resourceVersion": ""}});
            out.stdout.push_str(&if output == "yaml" {
                yaml::to_string(&doc)
            } else {
                json::to_string(&doc)
            });
        }
        _ => {
            let now = env.transport.now();
            let mut printer = EventPrinter::new(all_ns, p.bool("no-headers"));
            for e in &items {
                printer.write(e, now);
            }
            out.stdout.push_str(&printer.tab.take());
        }
    }
}

fn start_watch(follow: Follow<WatchedEvents>, env: &mut Env, out: &mut Output) {
    let mut follow = follow;
    // The first answer holds the events that exist now, as ADDED events.
    let (first, ended) = crate::Running::poll(&mut follow, env.transport);
    out.stdout.push_str(&first.stdout);
    out.stderr.push_str(&first.stderr);
    if let Some(code) = ended {
        out.exit_code = code;
        return;
    }
    if let Some(slot) = env.stream.as_mut() {
        **slot = Some(Box::new(follow));
    }
}

/// `events --watch`: each added or changed event as one more row (deleted ones are not shown:
/// events are deleted when they expire).
struct WatchedEvents {
    printer: EventPrinter,
    types: Vec<String>,
    /// The clock of the latest poll (ages are computed by kubectl when it prints).
    now: Timestamp,
}

impl OnEvent for WatchedEvents {
    fn on_poll(&mut self, now: Timestamp) {
        self.now = now;
    }

    fn on_event(&mut self, event_type: &str, object: &Value) -> Result<String, String> {
        if event_type == "DELETED" || !type_allowed(&self.types, object) {
            return Ok(String::new());
        }
        self.printer.write(object, self.now);
        Ok(self.printer.tab.take())
    }
}
