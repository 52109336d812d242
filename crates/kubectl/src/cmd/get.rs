//! `kubectl get`: Table requests for human-readable output, plain JSON for the other formats.

use serde_json::{json, Value};

use super::{parse_flags, Env};
use crate::discovery::Mapping;
use crate::flags::{b, v, Flag, Parsed};
use crate::printers::{fields::format_labels, jsonpath, tabwriter};
use crate::rest::{percent_encode, Request};
use crate::{printers, server_error, Output};

pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

const FLAGS: &[Flag] = &[
    v("output", Some('o')),
    b("all-namespaces", Some('A')),
    v("selector", Some('l')),
    v("field-selector", None),
    b("watch", Some('w')),
    b("watch-only", None),
    b("show-labels", None),
    v("label-columns", Some('L')),
    b("no-headers", None),
    v("sort-by", None),
    b("show-kind", None),
    v("chunk-size", None),
    b("ignore-not-found", None),
    b("output-watch-events", None),
    v("raw", None),
    v("filename", Some('f')),
    b("recursive", Some('R')),
    v("kustomize", Some('k')),
    v("template", None),
    b("allow-missing-template-keys", None),
    b("show-managed-fields", None),
    b("server-print", None),
    v("subresource", None),
];

/// One request kubectl makes for `get`: a type and maybe a name.
pub struct Target {
    pub mapping: Mapping,
    pub name: Option<String>,
}

/// Resolves `get`'s arguments (`pods`, `po,svc x`, `pod/x`, `all`) into request targets.
pub fn targets(args: &[String], env: &mut Env, out: &mut Output) -> Option<Vec<Target>> {
    let disc = env.discovery().clone();
    let resolve = |t: &str, out: &mut Output| -> Option<Vec<Mapping>> {
        if t == "all" {
            return Some(disc.category("all").into_iter().cloned().collect());
        }
        match disc.resolve(t) {
            Some(m) => Some(vec![m.clone()]),
            None => {
                out.fail(format!(
                    "error: the server doesn't have a resource type \"{t}\""
                ));
                None
            }
        }
    };
    let mut targets = Vec::new();
    if args.iter().any(|a| a.contains('/')) {
        for a in args {
            let Some((t, n)) = a.split_once('/') else {
                out.fail("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'");
                return None;
            };
            for m in resolve(t, out)? {
                targets.push(Target {
                    mapping: m,
                    name: Some(n.to_string()),
                });
            }
        }
        return Some(targets);
    }
    let types: Vec<&str> = args[0].split(',').filter(|s| !s.is_empty()).collect();
    let mut mappings = Vec::new();
    for t in &types {
        mappings.extend(resolve(t, out)?);
    }
    for m in mappings {
        if args.len() > 1 {
            for n in &args[1..] {
                targets.push(Target {
                    mapping: m.clone(),
                    name: Some(n.clone()),
                });
            }
        } else {
            targets.push(Target {
                mapping: m,
                name: None,
            });
        }
    }
    Some(targets)
}

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    let Some(p) = parse_flags("get", args, FLAGS, out) else {
        return;
    };
    if let Some(ns) = p.get("namespace") {
        env.namespace = ns.to_string();
    }
    if p.args.is_empty() {
        out.fail("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples");
        return;
    }
    let output = p.get("output").unwrap_or("").to_string();
    let known = output.is_empty()
        || matches!(output.as_str(), "wide" | "yaml" | "json" | "name")
        || output.starts_with("jsonpath")
        || output.starts_with("custom-columns");
    if !known {
        out.fail(format!("error: unable to match a printer suitable for the output format \"{output}\", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"));
        return;
    }
    let Some(targets) = targets(&p.args, env, out) else {
        return;
    };
    if super::watch::wanted(&p) {
        super::watch::run(&p, &targets, &output, env, out);
        return;
    }
    let multiple_types = p.args.len() == 1 && (p.args[0] == "all" || p.args[0].contains(',')) || {
        let mut kinds: Vec<&str> = targets.iter().map(|t| t.mapping.kind.as_str()).collect();
        kinds.dedup();
        kinds.len() > 1
    };
    if output.is_empty() || output == "wide" {
        human(
            &p,
            &targets,
            env,
            out,
            output == "wide",
            multiple_types || p.bool("show-kind"),
        );
    } else {
        generic(&p, &targets, env, out, &output);
    }
}

fn query(p: &Parsed, name: bool) -> String {
    let mut q: Vec<String> = Vec::new();
    if !name {
        if let Some(l) = p.get("selector") {
            q.push(format!("labelSelector={}", percent_encode(l)));
        }
        if let Some(f) = p.get("field-selector") {
            q.push(format!("fieldSelector={}", percent_encode(f)));
        }
        q.push(format!("limit={}", p.get("chunk-size").unwrap_or("500")));
    }
    q.join("&")
}

fn request_path(t: &Target, p: &Parsed, env: &Env, table_object: bool) -> String {
    let ns = if p.bool("all-namespaces") && t.name.is_none() {
        None
    } else {
        Some(env.namespace.as_str())
    };
    let base = match &t.name {
        Some(n) => t.mapping.object_path(ns, n),
        None => t.mapping.collection_path(ns),
    };
    let mut q = query(p, t.name.is_some());
    if table_object {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str("includeObject=Object");
    }
    if q.is_empty() {
        base
    } else {
        format!("{base}?{q}")
    }
}

/// GETs `path`, and for a list the pages after it (kubectl asks for `--chunk-size` items at a
/// time and follows `metadata.continue`), with each page's `field` (`rows` of a Table, `items` of
/// a list) appended to the first page's. Stops at the first failing page, which is returned.
fn fetch_all(
    env: &mut Env,
    path: &str,
    accept: &str,
    field: &str,
) -> (crate::rest::Response, Option<Value>) {
    let (resp, mut body) = env
        .transport
        .call_json(Request::get(path).header("accept", accept));
    if resp.status >= 400 {
        return (resp, body);
    }
    loop {
        let Some(doc) = body.as_mut() else {
            return (resp, body);
        };
        let token = match doc["metadata"]["continue"].as_str() {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => return (resp, body),
        };
        let sep = if path.contains('?') { '&' } else { '?' };
        let next = format!("{path}{sep}continue={}", percent_encode(&token));
        let (page_resp, page) = env
            .transport
            .call_json(Request::get(next).header("accept", accept));
        if page_resp.status >= 400 {
            return (page_resp, page);
        }
        let mut page = page.unwrap_or_default();
        let more = page[field].as_array_mut().map(std::mem::take);
        if let (Some(all), Some(more)) = (doc[field].as_array_mut(), more) {
            all.extend(more);
        }
        doc["metadata"] = page["metadata"].take();
    }
}

fn not_found_message(t: &Target) -> String {
    format!(
        "Error from server (NotFound): {} \"{}\" not found",
        t.mapping.qualified_plural(),
        t.name.as_deref().unwrap_or("")
    )
}

/// Tables, laid out by kubectl's table printer.
fn human(
    p: &Parsed,
    targets: &[Target],
    env: &mut Env,
    out: &mut Output,
    wide: bool,
    with_kind: bool,
) {
    let all_ns = p.bool("all-namespaces");
    let no_headers = p.bool("no-headers");
    let show_labels = p.bool("show-labels");
    let label_columns: Vec<String> = p
        .all("label-columns")
        .iter()
        .flat_map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let sort_by = p.get("sort-by").map(str::to_string);
    let mut w = tabwriter::TabWriter::new(tabwriter::GET);
    let mut errors: Vec<String> = Vec::new();
    let mut written = 0usize;
    let mut last_kind: Option<String> = None;
    let mut separator_ready = false;
    let mut printed_headers = false;
    let mut last_columns = Value::Null;
    let mut all_namespaced = !all_ns;
    for t in targets {
        all_namespaced &= t.mapping.namespaced;
        let path = request_path(t, p, env, sort_by.is_some());
        let (resp, body) = fetch_all(env, &path, TABLE_ACCEPT, "rows");
        if resp.status == 404 && t.name.is_some() {
            if !p.bool("ignore-not-found") {
                errors.push(not_found_message(t));
            }
            continue;
        }
        if resp.status >= 400 {
            errors.push(server_error(&resp));
            continue;
        }
        let Some(mut table) = body else {
            continue;
        };
        if table["kind"] != "Table" {
            table = fallback_table(&table, t.name.is_some(), env.transport.now());
        }
        if let Some(expr) = &sort_by {
            if let Err(e) = sort_rows(&mut table, expr) {
                errors.push(e);
                continue;
            }
        }
        let kind_key = t.mapping.qualified_plural();
        if last_kind.as_deref() != Some(&kind_key) {
            let text = w.take();
            if !text.is_empty() && separator_ready {
                out.stdout.push('\n');
                separator_ready = false;
            }
            written += text.len();
            out.stdout.push_str(&text);
            w.reset_remembered_widths();
            if last_kind.is_some() && !no_headers && written > 0 {
                separator_ready = true;
            }
            last_kind = Some(kind_key);
            printed_headers = false;
            last_columns = Value::Null;
        }
        let with_ns = all_ns && t.mapping.namespaced;
        let rows = match table["rows"].take() {
            Value::Array(rows) => rows,
            _ => Vec::new(),
        };
        let columns = table["columnDefinitions"].take();
        let mut headers_now = !no_headers;
        if printed_headers && columns == last_columns {
            headers_now = false;
        }
        let shown: Vec<bool> = columns
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| wide || c["priority"].as_i64().unwrap_or(0) == 0)
                    .collect()
            })
            .unwrap_or_default();
        let mut text = String::new();
        if headers_now && !rows.is_empty() {
            let mut headers: Vec<String> = Vec::new();
            if with_ns {
                headers.push("NAMESPACE".into());
            }
            for (c, show) in columns.as_array().into_iter().flatten().zip(&shown) {
                if *show {
                    headers.push(c["name"].as_str().unwrap_or("").to_uppercase());
                }
            }
            for l in &label_columns {
                headers.push(l.rsplit('/').next().unwrap_or(l).to_uppercase());
            }
            if show_labels {
                headers.push("LABELS".into());
            }
            text.push_str(&headers.join("\t"));
            text.push('\n');
            printed_headers = true;
            last_columns = columns.clone();
        }
        for row in &rows {
            let meta = &row["object"]["metadata"];
            if with_ns {
                text.push_str(meta["namespace"].as_str().unwrap_or(""));
                text.push('\t');
            }
            let mut first = true;
            for (cell, show) in row["cells"]
                .as_array()
                .into_iter()
                .flatten()
                .zip(shown.iter().chain(std::iter::repeat(&true)))
            {
                if !*show {
                    continue;
                }
                if !first {
                    text.push('\t');
                }
                let s = cell_text(cell);
                if first && with_kind {
                    text.push_str(&format!("{}/{}", t.mapping.kind_prefix(), s));
                } else {
                    text.push_str(&s);
                }
                first = false;
            }
            for l in &label_columns {
                text.push('\t');
                text.push_str(meta["labels"][l.as_str()].as_str().unwrap_or(""));
            }
            if show_labels {
                text.push('\t');
                text.push_str(&format_labels(&meta["labels"]));
            }
            text.push('\n');
        }
        w.write(&text);
    }
    let text = w.take();
    if !text.is_empty() && separator_ready {
        out.stdout.push('\n');
    }
    written += text.len();
    out.stdout.push_str(&text);
    if written == 0 && !p.bool("ignore-not-found") && errors.is_empty() {
        if all_namespaced {
            out.stderr.push_str(&format!(
                "No resources found in {} namespace.\n",
                env.namespace
            ));
        } else {
            out.stderr.push_str("No resources found\n");
        }
    }
    for e in errors {
        out.fail(e);
    }
}

/// How the table printer writes one cell (`fmt.Fprint` of the decoded JSON value).
pub(super) fn cell_text(cell: &Value) -> String {
    match cell {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        other => jsonpath::go_v(other),
    }
}

/// Without a Table the client prints NAME and AGE itself.
fn fallback_table(body: &Value, single: bool, now: jiff::Timestamp) -> Value {
    let items: Vec<Value> = if single {
        vec![body.clone()]
    } else {
        body["items"].as_array().cloned().unwrap_or_default()
    };
    let mut t = printers::table::table("", &items, now);
    if let Some(rows) = t["rows"].as_array_mut() {
        for (row, item) in rows.iter_mut().zip(&items) {
            row["object"] = item.clone();
        }
    }
    t
}

/// `--sort-by`: rows ordered by a jsonpath over their objects.
fn sort_rows(table: &mut Value, expr: &str) -> Result<(), String> {
    let template = jsonpath::relaxed(expr).map_err(|e| format!("error: {e}"))?;
    let jp = jsonpath::JsonPath::parse(&template).map_err(|e| format!("error: {e}"))?;
    let Some(rows) = table["rows"].as_array_mut() else {
        return Ok(());
    };
    let key = |row: &Value| -> Option<Value> {
        jp.find_results(&row["object"])
            .first()
            .and_then(|r| r.first())
            .map(|v| (*v).clone())
    };
    let mut keyed: Vec<(Option<Value>, Value)> = rows.drain(..).map(|r| (key(&r), r)).collect();
    // kubectl's TableSorter goes through Go's `sort.Sort`, which is not stable: rows with equal
    // keys (events without a lastTimestamp) come out in the order its algorithm leaves them.
    crate::printers::gosort::sort(&mut keyed, |a, b| {
        compare_sort_keys(&a.0, &b.0) == std::cmp::Ordering::Less
    });
    rows.extend(keyed.into_iter().map(|(_, r)| r));
    Ok(())
}

fn compare_sort_keys(a: &Option<Value>, b: &Option<Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => natural_less(x, y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

/// `sortorder.NaturalLess`: digit runs compare as numbers.
fn natural_less(a: &str, b: &str) -> std::cmp::Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < ab.len() && j < bb.len() {
        let (ca, cb) = (ab[i], bb[j]);
        if ca.is_ascii_digit() && cb.is_ascii_digit() {
            let si = i;
            while i < ab.len() && ab[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
            let na = a[si..i].trim_start_matches('0');
            let nb = b[sj..j].trim_start_matches('0');
            let o = na.len().cmp(&nb.len()).then(na.cmp(nb));
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        } else {
            if ca != cb {
                return ca.cmp(&cb);
            }
            i += 1;
            j += 1;
        }
    }
    (ab.len() - i).cmp(&(bb.len() - j))
}

/// Strips what kubectl strips before printing an object (managedFields).
pub fn strip(obj: &mut Value, show_managed: bool) {
    if !show_managed {
        if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("managedFields");
        }
    }
}

/// yaml, json, name, jsonpath and custom-columns.
fn generic(p: &Parsed, targets: &[Target], env: &mut Env, out: &mut Output, output: &str) {
    let single = targets.len() == 1 && targets[0].name.is_some();
    let mut items: Vec<(Value, Mapping)> = Vec::new();
    let mut errors = Vec::new();
    for t in targets {
        let path = request_path(t, p, env, false);
        let (resp, body) = fetch_all(env, &path, "application/json", "items");
        if resp.status == 404 && t.name.is_some() {
            if !p.bool("ignore-not-found") {
                errors.push(not_found_message(t));
            }
            continue;
        }
        if resp.status >= 400 {
            errors.push(server_error(&resp));
            continue;
        }
        let Some(body) = body else {
            continue;
        };
        if t.name.is_some() {
            items.push((body, t.mapping.clone()));
        } else {
            for mut item in body["items"].as_array().cloned().unwrap_or_default() {
                item["apiVersion"] = json!(t.mapping.api_version());
                item["kind"] = json!(t.mapping.kind);
                items.push((item, t.mapping.clone()));
            }
        }
    }
    if single && !errors.is_empty() {
        for e in errors {
            out.fail(e);
        }
        return;
    }
    // Only the json and yaml printers leave managedFields out (JSONYamlPrintFlags); jsonpath
    // and custom-columns see them.
    let show_managed = p.bool("show-managed-fields") || !matches!(output, "yaml" | "json");
    let mut objects: Vec<Value> = items
        .iter()
        .map(|(o, _)| {
            let mut o = o.clone();
            strip(&mut o, show_managed);
            o
        })
        .collect();
    let doc = if single && objects.len() == 1 {
        objects.pop().expect("one object")
    } else {
        // A map rather than `json!`, which would copy every object through a serializer.
        Value::Object(serde_json::Map::from_iter([
            ("apiVersion".to_string(), json!("v1")),
            ("items".to_string(), Value::Array(objects)),
            ("kind".to_string(), json!("List")),
            ("metadata".to_string(), json!({"resourceVersion": ""})),
        ]))
    };
    match output {
        "yaml" => out.stdout.push_str(&printers::yaml::to_string(&doc)),
        "json" => out.stdout.push_str(&printers::json::to_string(&doc)),
        "name" => {
            for (o, m) in &items {
                out.stdout.push_str(&format!(
                    "{}/{}\n",
                    m.kind_prefix(),
                    o["metadata"]["name"].as_str().unwrap_or("")
                ));
            }
        }
        o if o.starts_with("jsonpath") => {
            let template = o.split_once('=').map_or("", |(_, t)| t);
            match jsonpath::JsonPath::parse(template) {
                Ok(jp) => match jp.execute(&doc) {
                    Ok(s) => out.stdout.push_str(&s),
                    Err(e) => out.fail(format!("error: {e}")),
                },
                Err(e) => out.fail(format!("error: error parsing jsonpath {template}, {e}")),
            }
        }
        o if o.starts_with("custom-columns") => {
            let spec = o.split_once('=').map_or("", |(_, t)| t);
            custom_columns(spec, &doc, p.bool("no-headers"), out);
        }
        _ => {}
    }
    for e in errors {
        out.fail(e);
    }
}

/// `-o custom-columns=HEADER:.path,...`: parsed once, then applied to each object.
pub(super) struct CustomColumns {
    headers: Vec<String>,
    parsers: Vec<jsonpath::JsonPath>,
}

impl CustomColumns {
    /// Parses a spec; the error is worded as kubectl prints it.
    pub(super) fn parse(spec: &str) -> Result<CustomColumns, String> {
        let mut headers = Vec::new();
        let mut parsers = Vec::new();
        for part in spec.split(',') {
            let Some((h, expr)) = part.split_once(':') else {
                return Err(format!(
                    "error: unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
                ));
            };
            let template = jsonpath::relaxed(expr).map_err(|e| format!("error: {e}"))?;
            parsers.push(jsonpath::JsonPath::parse(&template).map_err(|e| format!("error: {e}"))?);
            headers.push(h.to_string());
        }
        Ok(CustomColumns { headers, parsers })
    }

    /// The header line, tab-separated.
    pub(super) fn header_line(&self) -> String {
        format!("{}\n", self.headers.join("\t"))
    }

    /// One object's line, tab-separated (`<none>` where a path finds nothing).
    pub(super) fn row(&self, obj: &Value) -> String {
        let cols: Vec<String> = self
            .parsers
            .iter()
            .map(|jp| {
                let results = jp.find_results(obj);
                let values: Vec<String> = results
                    .iter()
                    .flatten()
                    .map(|v| jsonpath::go_v(v))
                    .collect();
                if values.is_empty() {
                    "<none>".to_string()
                } else {
                    values.join(",")
                }
            })
            .collect();
        format!("{}\n", cols.join("\t"))
    }
}

fn custom_columns(spec: &str, doc: &Value, no_headers: bool, out: &mut Output) {
    let columns = match CustomColumns::parse(spec) {
        Ok(c) => c,
        Err(e) => return out.fail(e),
    };
    let mut text = String::new();
    if !no_headers {
        text.push_str(&columns.header_line());
    }
    let objects: Vec<&Value> = match doc["kind"].as_str() {
        Some("List") => doc["items"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default(),
        _ => vec![doc],
    };
    for obj in objects {
        text.push_str(&columns.row(obj));
    }
    out.stdout
        .push_str(&tabwriter::align(tabwriter::GET, &text));
}
