//! `kubectl get --watch` / `--watch-only`: list, then print every watch event after the list.
//!
//! Upstream (`get.go` `watch`) lists the objects (or gets the one named), prints them unless
//! `--watch-only`, and watches from the list's resourceVersion (from `0` for one named object, whose
//! synthetic first ADDED event it does not print). Every event goes through the same printer and the
//! same tab writer, which remembers column widths: later rows line up with the list, and a wider
//! cell (`ContainerCreating`) widens its column from then on. Headers print once.
//!
//! In the terminal the watch is a [`crate::Running`]: each poll sends the watch request again from
//! the last resourceVersion seen, and the in-process API server answers with the events since then
//! (plus a bookmark, which this client asks for so that a quiet watch keeps up with the store).

use serde_json::{json, Value};

use super::get::{self, Target, TABLE_ACCEPT};
use super::Env;
use crate::discovery::Mapping;
use crate::flags::Parsed;
use crate::printers::{self, fields::format_labels, jsonpath, tabwriter};
use crate::rest::{percent_encode, Request, Transport};
use crate::{server_error, Output};

/// How events are printed (`-o`).
enum Format {
    /// The server's Table, as `kubectl get` prints it (`wide` adds the priority-1 columns).
    Table {
        wide: bool,
    },
    Name,
    Yaml,
    Json,
    JsonPath(jsonpath::JsonPath),
    CustomColumns(get::CustomColumns),
}

impl Format {
    fn parse(output: &str) -> Result<Format, String> {
        Ok(match output {
            "" => Format::Table { wide: false },
            "wide" => Format::Table { wide: true },
            "name" => Format::Name,
            "yaml" => Format::Yaml,
            "json" => Format::Json,
            o if o.starts_with("jsonpath") => {
                let template = o.split_once('=').map_or("", |(_, t)| t);
                let jp = jsonpath::JsonPath::parse(template)
                    .map_err(|e| format!("error: error parsing jsonpath {template}, {e}"))?;
                Format::JsonPath(jp)
            }
            o => {
                let spec = o.split_once('=').map_or("", |(_, t)| t);
                Format::CustomColumns(get::CustomColumns::parse(spec)?)
            }
        })
    }

    fn accept(&self) -> &'static str {
        match self {
            Format::Table { .. } => TABLE_ACCEPT,
            _ => "application/json",
        }
    }
}

/// The printer of one watch: what it has printed so far decides headers and separators.
struct Printer {
    format: Format,
    mapping: Mapping,
    tab: tabwriter::TabWriter,
    /// `--output-watch-events`: each row starts with the event type.
    with_events: bool,
    with_namespace: bool,
    no_headers: bool,
    show_labels: bool,
    label_columns: Vec<String>,
    printed_headers: bool,
    last_columns: Value,
    /// Objects printed so far (the YAML printer separates documents with `---`).
    printed: usize,
}

/// `formatEventType`: event types padded to the width of `MODIFIED`.
fn event_cell(event_type: &str) -> String {
    format!("{event_type:<8}")
}

impl Printer {
    /// Prints one object (`Table` for the table format) and flushes, as kubectl does after the
    /// list and after each event. A printer error is worded as kubectl prints it.
    fn print(&mut self, obj: &Value, event: &str) -> Result<String, String> {
        match &self.format {
            Format::Table { wide } => {
                let wide = *wide;
                self.table(obj, event, wide)
            }
            Format::Name => {
                let name = obj["metadata"]["name"].as_str().unwrap_or("");
                self.tab
                    .write(&format!("{}/{name}\n", self.mapping.kind_prefix()));
            }
            Format::Yaml => {
                let doc = self.with_event(obj, event);
                if self.printed > 0 {
                    self.tab.write("---\n");
                }
                self.tab.write(&printers::yaml::to_string(&doc));
            }
            Format::Json => {
                if self.with_events {
                    let line = printers::json::to_compact(&json!({"type": event, "object": obj}));
                    self.tab.write(&format!("{line}\n"));
                } else {
                    self.tab.write(&printers::json::to_string(obj));
                }
            }
            Format::JsonPath(jp) => {
                let doc = self.with_event(obj, event);
                let text = jp.execute(&doc).map_err(|e| format!("error: {e}"))?;
                self.tab.write(&text);
            }
            Format::CustomColumns(cc) => {
                if !self.printed_headers && !self.no_headers {
                    self.tab.write(&cc.header_line());
                }
                self.printed_headers = true;
                self.tab.write(&cc.row(obj));
            }
        }
        self.printed += 1;
        Ok(self.tab.take())
    }

    fn with_event(&self, obj: &Value, event: &str) -> Value {
        if self.with_events {
            json!({"type": event, "object": obj})
        } else {
            obj.clone()
        }
    }

    /// Rows of a server-side Table (a list's, or a watch event's single row).
    fn table(&mut self, table: &Value, event: &str, wide: bool) {
        let columns = &table["columnDefinitions"];
        let rows = table["rows"].as_array().cloned().unwrap_or_default();
        let mut headers_now = !self.no_headers;
        if self.printed_headers
            && (columns.as_array().is_none_or(Vec::is_empty) || *columns == self.last_columns)
        {
            headers_now = false;
        }
        if columns.as_array().is_some_and(|c| !c.is_empty()) && *columns != self.last_columns {
            self.last_columns = columns.clone();
            self.printed_headers = false;
        }
        if !rows.is_empty() {
            self.printed_headers = true;
        }
        let columns = self.last_columns.as_array().cloned().unwrap_or_default();
        let shown: Vec<bool> = columns
            .iter()
            .map(|c| wide || c["priority"].as_i64().unwrap_or(0) == 0)
            .collect();
        let mut text = String::new();
        if headers_now && !rows.is_empty() {
            let mut headers: Vec<String> = Vec::new();
            if self.with_events {
                headers.push("EVENT".into());
            }
            if self.with_namespace {
                headers.push("NAMESPACE".into());
            }
            for (c, show) in columns.iter().zip(&shown) {
                if *show {
                    headers.push(c["name"].as_str().unwrap_or("").to_uppercase());
                }
            }
            for l in &self.label_columns {
                headers.push(l.rsplit('/').next().unwrap_or(l).to_uppercase());
            }
            if self.show_labels {
                headers.push("LABELS".into());
            }
            text.push_str(&headers.join("\t"));
            text.push('\n');
        }
        for row in &rows {
            let meta = &row["object"]["metadata"];
            let mut cells: Vec<String> = Vec::new();
            if self.with_events {
                cells.push(event_cell(event));
            }
            if self.with_namespace {
                cells.push(meta["namespace"].as_str().unwrap_or("").to_string());
            }
            for (cell, show) in row["cells"]
                .as_array()
                .into_iter()
                .flatten()
                .zip(shown.iter().chain(std::iter::repeat(&true)))
            {
                if *show {
                    cells.push(get::cell_text(cell));
                }
            }
            for l in &self.label_columns {
                cells.push(
                    meta["labels"][l.as_str()]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                );
            }
            if self.show_labels {
                cells.push(format_labels(&meta["labels"]));
            }
            text.push_str(&cells.join("\t"));
            text.push('\n');
        }
        self.tab.write(&text);
    }
}

/// Adds what a printer printed to `out`; false (and the error reported) when printing failed.
pub(super) fn emit(out: &mut Output, printed: Result<String, String>) -> bool {
    match printed {
        Ok(text) => {
            out.stdout.push_str(&text);
            true
        }
        Err(e) => {
            out.fail(e);
            false
        }
    }
}

/// `kubectl get -w`: prints the list and, when the caller can poll, leaves the watch running.
pub fn run(p: &Parsed, targets: &[Target], output: &str, env: &mut Env, out: &mut Output) {
    let mut kinds: Vec<&Mapping> = targets.iter().map(|t| &t.mapping).collect();
    kinds.dedup();
    if kinds.len() > 1 {
        out.fail("error: you may only specify a single resource type");
        return;
    }
    let format = match Format::parse(output) {
        Ok(f) => f,
        Err(e) => return out.fail(e),
    };
    let deadline = match request_deadline(p, env.transport.now()) {
        Ok(d) => d,
        Err(e) => return out.fail(e),
    };
    let Some(first) = targets.first() else {
        return;
    };
    let all_ns = p.bool("all-namespaces");
    let mapping = first.mapping.clone();
    let ns = (!all_ns || first.name.is_some()).then(|| env.namespace.clone());
    let mut printer = Printer {
        format,
        mapping: mapping.clone(),
        tab: tabwriter::TabWriter::new(tabwriter::GET),
        with_events: p.bool("output-watch-events"),
        with_namespace: all_ns && mapping.namespaced && first.name.is_none(),
        no_headers: p.bool("no-headers"),
        show_labels: p.bool("show-labels"),
        label_columns: p
            .all("label-columns")
            .iter()
            .flat_map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
            .collect(),
        printed_headers: false,
        last_columns: Value::Null,
        printed: 0,
    };
    let accept = printer.format.accept();
    let watch_only = p.bool("watch-only");
    let mut selectors: Vec<(&str, String)> = Vec::new();
    if let Some(f) = p.get("field-selector") {
        selectors.push(("fieldSelector", f.to_string()));
    }
    if let Some(l) = p.get("selector") {
        selectors.push(("labelSelector", l.to_string()));
    }

    // What `r.Object()` returns: one named object, or the list.
    let named: Vec<&str> = targets.iter().filter_map(|t| t.name.as_deref()).collect();
    let mut objects: Vec<Value> = Vec::new();
    let resource_version;
    if named.is_empty() {
        // Go sorts query parameters by name: fieldSelector, labelSelector, limit.
        let mut q: Vec<String> = selectors
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        q.push(format!("limit={}", p.get("chunk-size").unwrap_or("500")));
        let path = format!("{}?{}", mapping.collection_path(ns.as_deref()), q.join("&"));
        let resp = env
            .transport
            .call(Request::get(path).header("accept", accept));
        if resp.status >= 400 {
            return out.fail(server_error(&resp));
        }
        let body = resp.body_json().unwrap_or_default();
        resource_version = body["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or("")
            .to_string();
        match &printer.format {
            Format::Table { .. } => objects.push(body),
            _ => {
                for mut item in body["items"].as_array().cloned().unwrap_or_default() {
                    item["apiVersion"] = json!(mapping.api_version());
                    item["kind"] = json!(mapping.kind);
                    objects.push(item);
                }
            }
        }
    } else {
        for name in &named {
            let resp = env.transport.call(
                Request::get(mapping.object_path(ns.as_deref(), name)).header("accept", accept),
            );
            if resp.status == 404 {
                return out.fail(format!(
                    "Error from server (NotFound): {} \"{name}\" not found",
                    mapping.qualified_plural()
                ));
            }
            if resp.status >= 400 {
                return out.fail(server_error(&resp));
            }
            objects.push(resp.body_json().unwrap_or_default());
        }
        // A list of several named objects has no resourceVersion; one object is watched from 0.
        resource_version = "0".to_string();
    }
    if !watch_only {
        for o in &objects {
            if !emit(out, printer.print(o, "ADDED")) {
                return;
            }
        }
    }
    if named.len() > 1 {
        return out
            .fail("error: you may only watch a single resource or type of resource at a time");
    }

    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(name) = named.first() {
        query.push(("fieldSelector", format!("metadata.name={name}")));
    } else {
        query.extend(selectors);
    }
    let watch = Follow {
        path: mapping.collection_path(ns.as_deref()),
        query,
        accept,
        resource_version,
        deadline,
        on_event: GetEvents {
            printer,
            skip_first: !named.is_empty(),
        },
    };
    // When nobody polls, the cluster cannot change before the command would be stopped: the
    // listing is all there is to print.
    if let Some(slot) = env.stream.as_mut() {
        **slot = Some(Box::new(watch));
    }
}

/// What a followed watch does with each event: the text to print, or an error that ends it.
pub(super) trait OnEvent: Send {
    /// Called before the events of each poll, with the client's clock.
    fn on_poll(&mut self, _now: jiff::Timestamp) {}

    fn on_event(&mut self, event_type: &str, object: &Value) -> Result<String, String>;
}

/// A watch request followed by polling: each poll asks for the events after the last
/// resourceVersion seen (the in-process API server answers with what is there now).
pub(super) struct Follow<E: OnEvent> {
    /// The collection URL.
    pub path: String,
    /// Selectors and other parameters of the watch.
    pub query: Vec<(&'static str, String)>,
    pub accept: &'static str,
    /// The last resourceVersion seen (empty: start with the current objects as ADDED events).
    pub resource_version: String,
    pub on_event: E,
    /// `--request-timeout`, on the cluster's clock: the watch request ends then, and with it the
    /// command (exit 0, as upstream ignores how its watch ended).
    pub deadline: Option<jiff::Timestamp>,
}

impl<E: OnEvent> Follow<E> {
    fn request(&self) -> Request {
        // Go sorts query parameters by name. The real kubectl does not ask for bookmarks over its
        // long-lived stream; polling in pieces, this client needs them to keep its place.
        let mut q: Vec<(&str, String)> = self.query.clone();
        q.push(("allowWatchBookmarks", "true".into()));
        if !self.resource_version.is_empty() {
            q.push(("resourceVersion", self.resource_version.clone()));
        }
        q.push(("watch", "true".into()));
        q.sort_by(|a, b| a.0.cmp(b.0));
        let q: Vec<String> = q
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        Request::get(format!("{}?{}", self.path, q.join("&"))).header("accept", self.accept)
    }
}

impl<E: OnEvent> crate::Running for Follow<E> {
    fn poll(&mut self, transport: &mut dyn Transport) -> (Output, Option<i32>) {
        let mut out = Output::default();
        let now = transport.now();
        self.on_event.on_poll(now);
        let resp = transport.call(self.request());
        if resp.status >= 400 {
            out.fail(server_error(&resp));
            return (out, Some(1));
        }
        for line in resp.body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let Ok(event) = serde_json::from_slice::<Value>(line) else {
                continue;
            };
            let event_type = event["type"].as_str().unwrap_or("");
            let object = &event["object"];
            match event_type {
                // A watch that ends with an error (410 Gone) ends the command quietly: upstream
                // discards what `UntilWithoutRetry` returns.
                "ERROR" => return (out, Some(0)),
                "BOOKMARK" => {}
                _ => {
                    if !emit(&mut out, self.on_event.on_event(event_type, object)) {
                        return (out, Some(1));
                    }
                }
            }
            if let Some(rv) = object["metadata"]["resourceVersion"].as_str() {
                if !rv.is_empty() {
                    self.resource_version = rv.to_string();
                }
            }
        }
        let expired = self.deadline.is_some_and(|d| now >= d);
        (out, expired.then_some(0))
    }
}

/// The global `--request-timeout` (`0` or absent: none; a bare number is seconds), as a deadline
/// from `now`. An unparsable value is reported the way kubectl reports it.
pub(super) fn request_deadline(
    p: &Parsed,
    now: jiff::Timestamp,
) -> Result<Option<jiff::Timestamp>, String> {
    let Some(raw) = p.get("request-timeout") else {
        return Ok(None);
    };
    let seconds: f64 = match raw.parse::<i64>() {
        Ok(n) => n as f64,
        Err(_) => go_duration_seconds(raw).ok_or_else(|| {
            "error: Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)".to_string()
        })?,
    };
    if seconds <= 0.0 {
        return Ok(None);
    }
    Ok(Some(now + jiff::SignedDuration::from_secs_f64(seconds)))
}

/// A Go duration (`1m30s`, `500ms`) in seconds.
fn go_duration_seconds(text: &str) -> Option<f64> {
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        total += value
            * match &rest[..u] {
                "ns" => 1e-9,
                "us" | "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                _ => return None,
            };
        rest = &rest[u..];
    }
    Some(total)
}

/// `get -w`'s printing of events after the list.
struct GetEvents {
    printer: Printer,
    /// The synthetic ADDED event of a watch on one object repeats what was just printed.
    skip_first: bool,
}

impl OnEvent for GetEvents {
    fn on_event(&mut self, event_type: &str, object: &Value) -> Result<String, String> {
        if std::mem::take(&mut self.skip_first) {
            return Ok(String::new());
        }
        self.printer.print(object, event_type)
    }
}

/// Whether `get`'s flags ask for a watch.
pub fn wanted(p: &Parsed) -> bool {
    p.bool("watch") || p.bool("watch-only")
}
