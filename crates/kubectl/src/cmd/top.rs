//! `kubectl top pod|node`: resource usage from the metrics API (`metrics.k8s.io/v1beta1`), laid
//! out as kubectl 1.33's `metricsutil.TopCmdPrinter` does (every cell, the last one included, ends
//! with a tab, so the last column is padded too).

use std::cmp::Reverse;

use serde_json::Value;

use super::resources::set_namespace;
use super::{parse_flags, Env};
use crate::flags::{b, v, Flag, Parsed};
use crate::printers::tabwriter;
use crate::rest::{percent_encode, Request};
use crate::{server_error, Output};

const METRICS: &str = "/apis/metrics.k8s.io/v1beta1";

/// A pod with no metrics for longer than this is reported (`metricsCreationDelay`).
const METRICS_CREATION_DELAY_SECONDS: f64 = 120.0;

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    match args.first().map(String::as_str) {
        Some("pod" | "pods" | "po") => top_pod(&args[1..], env, out),
        Some("node" | "nodes" | "no") => top_node(&args[1..], env, out),
        _ => {
            // cobra's DefaultSubCommandRun: the help on stderr and exit code 1, once the flags
            // parse.
            if parse_flags("top", args, &[], out).is_some() {
                out.fail(super::help::text("top").unwrap_or(""));
            }
        }
    }
}

fn validate_sort_by(p: &Parsed, out: &mut Output) -> Option<String> {
    let sort_by = p.get("sort-by").unwrap_or("").to_string();
    if !matches!(sort_by.as_str(), "" | "cpu" | "memory") {
        out.fail("error: --sort-by accepts only cpu or memory");
        return None;
    }
    Some(sort_by)
}

/// kubectl refuses to ask for metrics the server does not serve.
fn metrics_api_available(env: &mut Env, out: &mut Output) -> bool {
    let served = env
        .discovery()
        .mappings
        .iter()
        .any(|m| m.group == "metrics.k8s.io" && m.version == "v1beta1");
    if !served {
        out.fail("error: Metrics API not available");
    }
    served
}

fn top_pod(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        b("all-namespaces", Some('A')),
        v("selector", Some('l')),
        v("field-selector", None),
        b("containers", None),
        b("no-headers", None),
        v("sort-by", None),
        b("sum", None),
        b("use-protocol-buffers", None),
        b("show-swap", None),
    ];
    let Some(p) = parse_flags("top pod", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let Some(sort_by) = validate_sort_by(&p, out) else {
        return;
    };
    if p.args.len() > 1 {
        out.fail("error: pod [NAME | -l label]\nSee 'kubectl top pod -h' for help and examples");
        return;
    }
    if !metrics_api_available(env, out) {
        return;
    }
    let name = p.args.first().cloned();
    let all = p.bool("all-namespaces");
    let ns = env.namespace.clone();
    let selectors = selector_query(&p);
    let path = match (&name, all) {
        (Some(n), _) => format!("{METRICS}/namespaces/{ns}/pods/{n}"),
        (None, true) => format!("{METRICS}/pods{selectors}"),
        (None, false) => format!("{METRICS}/namespaces/{ns}/pods{selectors}"),
    };
    let resp = env
        .transport
        .call(Request::get(path).header("accept", "application/json"));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return;
    }
    let body = resp.body_json().unwrap_or_default();
    let mut metrics: Vec<Value> = match &name {
        Some(_) => vec![body],
        None => body["items"].as_array().cloned().unwrap_or_default(),
    };
    if metrics.is_empty() {
        // Pods that exist but have no metrics yet: an error once they are old enough to have.
        if let Err(e) = verify_empty_metrics(env, &ns, &name, &selectors) {
            out.fail(e);
            return;
        }
        if all {
            out.stderr.push_str("No resources found\n");
        } else {
            out.stderr
                .push_str(&format!("No resources found in {ns} namespace.\n"));
        }
        return;
    }
    let pods: Vec<PodUsage> = metrics.iter_mut().map(PodUsage::from).collect();
    out.stdout.push_str(&print_pods(
        pods,
        p.bool("containers"),
        all,
        p.bool("no-headers"),
        &sort_by,
        p.bool("sum"),
    ));
}

/// `?labelSelector=...&fieldSelector=...` for list requests, or nothing.
fn selector_query(p: &Parsed) -> String {
    let mut q = Vec::new();
    if let Some(l) = p.get("selector") {
        q.push(format!("labelSelector={}", percent_encode(l)));
    }
    if let Some(f) = p.get("field-selector") {
        q.push(format!("fieldSelector={}", percent_encode(f)));
    }
    if q.is_empty() {
        String::new()
    } else {
        format!("?{}", q.join("&"))
    }
}

/// kubectl's `verifyEmptyMetrics`: no pods is fine; a pod older than two minutes without
/// metrics is an error naming it; younger ones mean "not available yet".
fn verify_empty_metrics(
    env: &mut Env,
    ns: &str,
    name: &Option<String>,
    selectors: &str,
) -> Result<(), String> {
    let path = match name {
        Some(n) => format!("/api/v1/namespaces/{ns}/pods/{n}"),
        None => format!("/api/v1/namespaces/{ns}/pods{selectors}"),
    };
    let resp = env
        .transport
        .call(Request::get(path).header("accept", "application/json"));
    if resp.status >= 400 {
        return Err(server_error(&resp));
    }
    let body = resp.body_json().unwrap_or_default();
    let pods = match name {
        Some(_) => vec![body],
        None => body["items"].as_array().cloned().unwrap_or_default(),
    };
    if pods.is_empty() && name.is_none() {
        return Ok(());
    }
    let now = env.transport.now();
    for pod in &pods {
        let created = pod["metadata"]["creationTimestamp"]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let age = created.map_or(0.0, |c| (now - c).total(jiff::Unit::Second).unwrap_or(0.0));
        if age > METRICS_CREATION_DELAY_SECONDS {
            return Err(format!(
                "error: Metrics not available for pod {}/{}, age: {}",
                pod["metadata"]["namespace"].as_str().unwrap_or(""),
                pod["metadata"]["name"].as_str().unwrap_or(""),
                go_duration(age)
            ));
        }
    }
    Err("error: metrics not available yet".into())
}

/// A duration as Go's `time.Duration.String()` writes it: `2m5s`, `1h0m3.5s`, `45.25s`.
pub fn go_duration(seconds: f64) -> String {
    let nanos = (seconds * 1e9).round() as i128;
    if nanos == 0 {
        return "0s".into();
    }
    let (sign, nanos) = if nanos < 0 {
        ("-", -nanos)
    } else {
        ("", nanos)
    };
    if nanos < 1_000_000_000 {
        // Go switches to ms/µs/ns below one second.
        let (unit, div) = if nanos >= 1_000_000 {
            ("ms", 1_000_000)
        } else if nanos >= 1_000 {
            ("µs", 1_000)
        } else {
            ("ns", 1)
        };
        return format!("{sign}{}{unit}", fraction(nanos, div));
    }
    let hours = nanos / 3_600_000_000_000;
    let minutes = nanos / 60_000_000_000 % 60;
    let secs = fraction(nanos % 60_000_000_000, 1_000_000_000);
    match (hours, minutes) {
        (0, 0) => format!("{sign}{secs}s"),
        (0, m) => format!("{sign}{m}m{secs}s"),
        (h, m) => format!("{sign}{h}h{m}m{secs}s"),
    }
}

/// `value / div` with the fraction's trailing zeros dropped.
fn fraction(value: i128, div: i128) -> String {
    let whole = value / div;
    let rest = value % div;
    if rest == 0 {
        return whole.to_string();
    }
    let digits = div.to_string().len() - 1;
    let frac = format!("{rest:0digits$}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// One pod's usage: the pod's totals and its containers'.
struct PodUsage {
    namespace: String,
    name: String,
    cpu_milli: i64,
    memory_bytes: i64,
    containers: Vec<(String, i64, i64)>,
}

impl From<&mut Value> for PodUsage {
    fn from(m: &mut Value) -> PodUsage {
        let containers: Vec<(String, i64, i64)> = m["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or("").to_string(),
                    cpu_milli(&c["usage"]["cpu"]),
                    memory_bytes(&c["usage"]["memory"]),
                )
            })
            .collect();
        PodUsage {
            namespace: m["metadata"]["namespace"].as_str().unwrap_or("").into(),
            name: m["metadata"]["name"].as_str().unwrap_or("").into(),
            cpu_milli: containers.iter().map(|c| c.1).sum(),
            memory_bytes: containers.iter().map(|c| c.2).sum(),
            containers,
        }
    }
}

fn cpu_milli(q: &Value) -> i64 {
    quantity::milli_value(q.as_str().unwrap_or("0"))
}

fn memory_bytes(q: &Value) -> i64 {
    quantity::value(q.as_str().unwrap_or("0"))
}

/// `PrintPodMetrics`.
fn print_pods(
    mut pods: Vec<PodUsage>,
    containers: bool,
    with_namespace: bool,
    no_headers: bool,
    sort_by: &str,
    sum: bool,
) -> String {
    let mut text = String::new();
    let mut columns = 3;
    if !no_headers {
        if with_namespace {
            text.push_str("NAMESPACE\t");
            columns += 1;
        }
        if containers {
            text.push_str("POD\t");
            columns += 1;
        }
        text.push_str("NAME\tCPU(cores)\tMEMORY(bytes)\t\n");
    }
    // Go's sort.Sort is an insertion sort (stable) on the short lists seen here; the list comes
    // sorted by namespace and name from the server.
    match sort_by {
        "cpu" => pods.sort_by_key(|p| Reverse(p.cpu_milli)),
        "memory" => pods.sort_by_key(|p| Reverse(p.memory_bytes)),
        _ => pods.sort_by(|a, b| {
            let ns = if with_namespace {
                a.namespace.cmp(&b.namespace)
            } else {
                std::cmp::Ordering::Equal
            };
            ns.then_with(|| a.name.cmp(&b.name))
        }),
    }
    for pod in &mut pods {
        let ns_cell = if with_namespace {
            format!("{}\t", pod.namespace)
        } else {
            String::new()
        };
        if containers {
            match sort_by {
                "cpu" => pod.containers.sort_by_key(|c| Reverse(c.1)),
                "memory" => pod.containers.sort_by_key(|c| Reverse(c.2)),
                _ => pod.containers.sort_by(|a, b| a.0.cmp(&b.0)),
            }
            for (name, cpu, mem) in &pod.containers {
                text.push_str(&format!(
                    "{ns_cell}{}\t{}",
                    pod.name,
                    usage_line(name, *cpu, *mem)
                ));
            }
        } else {
            text.push_str(&ns_cell);
            text.push_str(&usage_line(&pod.name, pod.cpu_milli, pod.memory_bytes));
        }
    }
    if sum {
        let cpu: i64 = pods.iter().map(|p| p.cpu_milli).sum();
        let mem: i64 = pods.iter().map(|p| p.memory_bytes).sum();
        text.push_str(&"\t".repeat(columns - 2));
        text.push_str("________\t________\t\n");
        text.push_str(&"\t".repeat(columns - 3));
        text.push_str(&usage_line("", cpu, mem));
    }
    tabwriter::align(tabwriter::GET, &text)
}

/// `name\tNm\tNMi\t\n`.
fn usage_line(name: &str, cpu_milli: i64, memory_bytes: i64) -> String {
    format!(
        "{name}\t{cpu_milli}m\t{}Mi\t\n",
        memory_bytes / (1024 * 1024)
    )
}

fn top_node(args: &[String], env: &mut Env, out: &mut Output) {
    const F: &[Flag] = &[
        v("selector", Some('l')),
        b("no-headers", None),
        v("sort-by", None),
        b("use-protocol-buffers", None),
        b("show-capacity", None),
        b("show-swap", None),
    ];
    let Some(p) = parse_flags("top node", args, F, out) else {
        return;
    };
    set_namespace(&p, env);
    let Some(sort_by) = validate_sort_by(&p, out) else {
        return;
    };
    if p.args.len() > 1 {
        out.fail("error: node [NAME | -l label]\nSee 'kubectl top node -h' for help and examples");
        return;
    }
    if !metrics_api_available(env, out) {
        return;
    }
    let name = p.args.first().cloned();
    let selectors = selector_query(&p);
    let path = match &name {
        Some(n) => format!("{METRICS}/nodes/{n}"),
        None => format!("{METRICS}/nodes{selectors}"),
    };
    let resp = env
        .transport
        .call(Request::get(path).header("accept", "application/json"));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return;
    }
    let body = resp.body_json().unwrap_or_default();
    let metrics: Vec<Value> = match &name {
        Some(_) => vec![body],
        None => body["items"].as_array().cloned().unwrap_or_default(),
    };
    if metrics.is_empty() {
        out.fail("error: metrics not available yet");
        return;
    }
    let path = match &name {
        Some(n) => format!("/api/v1/nodes/{n}"),
        None => format!("/api/v1/nodes{selectors}"),
    };
    let resp = env
        .transport
        .call(Request::get(path).header("accept", "application/json"));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return;
    }
    let body = resp.body_json().unwrap_or_default();
    let nodes: Vec<Value> = match &name {
        Some(_) => vec![body],
        None => body["items"].as_array().cloned().unwrap_or_default(),
    };
    let field = if p.bool("show-capacity") {
        "capacity"
    } else {
        "allocatable"
    };
    let available: Vec<(String, i64, i64)> = nodes
        .iter()
        .map(|n| {
            (
                n["metadata"]["name"].as_str().unwrap_or("").to_string(),
                cpu_milli(&n["status"][field]["cpu"]),
                quantity::milli_value(n["status"][field]["memory"].as_str().unwrap_or("0")),
            )
        })
        .collect();
    out.stdout.push_str(&print_nodes(
        &metrics,
        available,
        p.bool("no-headers"),
        &sort_by,
    ));
}

/// `PrintNodeMetrics`: usage with its share of the node's allocatable resources, then
/// `<unknown>` lines for nodes without metrics.
fn print_nodes(
    metrics: &[Value],
    mut available: Vec<(String, i64, i64)>,
    no_headers: bool,
    sort_by: &str,
) -> String {
    let mut rows: Vec<(String, i64, i64)> = metrics
        .iter()
        .map(|m| {
            (
                m["metadata"]["name"].as_str().unwrap_or("").to_string(),
                cpu_milli(&m["usage"]["cpu"]),
                memory_bytes(&m["usage"]["memory"]),
            )
        })
        .collect();
    match sort_by {
        "cpu" => rows.sort_by_key(|r| Reverse(r.1)),
        "memory" => rows.sort_by_key(|r| Reverse(r.2)),
        _ => rows.sort_by(|a, b| a.0.cmp(&b.0)),
    }
    let mut text = String::new();
    if !no_headers {
        text.push_str("NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)\t\n");
    }
    for (name, cpu, mem) in &rows {
        text.push_str(&format!("{name}\t{cpu}m\t"));
        let node = available.iter().position(|a| a.0 == *name);
        if let Some(i) = node {
            text.push_str(&format!("{}%\t", percent(*cpu, available[i].1)));
        }
        text.push_str(&format!("{}Mi\t", mem / (1024 * 1024)));
        if let Some(i) = node {
            text.push_str(&format!("{}%\t", percent(mem * 1000, available[i].2)));
            available.remove(i);
        }
        text.push('\n');
    }
    // Go ranges over the remaining map in random order; names sorted keep it stable.
    available.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, _, _) in available {
        text.push_str(&format!("{name}\t<unknown>\t\t<unknown>\t\t\n"));
    }
    tabwriter::align(tabwriter::GET, &text)
}

/// `int64(float64(used) / float64(available) * 100)`, both in milli-units.
fn percent(used_milli: i64, available_milli: i64) -> i64 {
    if available_milli == 0 {
        return 0;
    }
    (used_milli as f64 / available_milli as f64 * 100.0) as i64
}

/// Resource quantities (`250m`, `8192Ki`, `1.5Gi`, `2e3`) as client-go's `resource.Quantity`
/// reads them; `Value` and `MilliValue` round up.
pub mod quantity {
    /// The quantity times 1000, rounded up; 0 when it does not parse.
    pub fn milli_value(q: &str) -> i64 {
        scaled(q, 3)
    }

    /// The quantity, rounded up; 0 when it does not parse.
    pub fn value(q: &str) -> i64 {
        scaled(q, 0)
    }

    fn scaled(q: &str, exp10: i32) -> i64 {
        parse(q, exp10).map_or(0, |v| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }

    fn parse(q: &str, exp10: i32) -> Option<i128> {
        let q = q.trim();
        let split = q
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
            .unwrap_or(q.len());
        let (number, suffix) = q.split_at(split);
        let (binary, mut exp): (i128, i32) = match suffix {
            "" => (1, 0),
            "n" => (1, -9),
            "u" => (1, -6),
            "m" => (1, -3),
            "k" => (1, 3),
            "M" => (1, 6),
            "G" => (1, 9),
            "T" => (1, 12),
            "P" => (1, 15),
            "E" => (1, 18),
            "Ki" => (1 << 10, 0),
            "Mi" => (1 << 20, 0),
            "Gi" => (1 << 30, 0),
            "Ti" => (1 << 40, 0),
            "Pi" => (1 << 50, 0),
            "Ei" => (1 << 60, 0),
            s if s.starts_with(['e', 'E']) => (1, s[1..].parse().ok()?),
            _ => return None,
        };
        let negative = number.starts_with('-');
        let digits = number.trim_start_matches(['+', '-']);
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        let mantissa: i128 = format!("{whole}{frac}").parse().ok()?;
        exp += exp10 - frac.len() as i32;
        let mut v = mantissa * binary;
        if exp >= 0 {
            v = v.checked_mul(10i128.checked_pow(exp as u32)?)?;
        } else {
            let d = 10i128.checked_pow((-exp) as u32)?;
            v = (v + d - 1) / d;
        }
        Some(if negative { -v } else { v })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn suffixes_and_rounding() {
            assert_eq!(milli_value("250m"), 250);
            assert_eq!(milli_value("1000000n"), 1);
            assert_eq!(milli_value("1500001n"), 2);
            assert_eq!(milli_value("2"), 2000);
            assert_eq!(value("8192Ki"), 8 * 1024 * 1024);
            assert_eq!(value("1.5Gi"), 1610612736);
            assert_eq!(value("2e3"), 2000);
            assert_eq!(value("1k"), 1000);
            assert_eq!(value("nonsense"), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ns: &str, name: &str, containers: &[(&str, &str, &str)]) -> PodUsage {
        let mut v = json!({
            "metadata": {"namespace": ns, "name": name},
            "containers": containers.iter().map(|(n, c, m)| json!({"name": n, "usage": {"cpu": c, "memory": m}})).collect::<Vec<_>>(),
        });
        PodUsage::from(&mut v)
    }

    #[test]
    fn pods_print_usage_with_padded_last_column() {
        let text = print_pods(
            vec![
                pod("default", "web", &[("nginx", "1000000n", "8192Ki")]),
                pod(
                    "default",
                    "api",
                    &[("app", "5m", "64Mi"), ("sidecar", "1m", "2Mi")],
                ),
            ],
            false,
            false,
            false,
            "",
            false,
        );
        assert_eq!(
            text,
            "NAME   CPU(cores)   MEMORY(bytes)   \napi    6m           66Mi            \nweb    1m           8Mi             \n"
        );
    }

    #[test]
    fn containers_namespaces_sorting_and_sum() {
        let pods = || {
            vec![
                pod("a", "p1", &[("c", "2m", "10Mi")]),
                pod("b", "p2", &[("y", "1m", "30Mi"), ("x", "4m", "1Mi")]),
            ]
        };
        let text = print_pods(pods(), true, true, false, "cpu", false);
        assert_eq!(
            text,
            "NAMESPACE   POD   NAME   CPU(cores)   MEMORY(bytes)   \nb           p2    x      4m           1Mi             \nb           p2    y      1m           30Mi            \na           p1    c      2m           10Mi            \n"
        );
        let text = print_pods(pods(), false, false, true, "memory", true);
        assert_eq!(
            text,
            "p2    5m         31Mi       \np1    2m         10Mi       \n      ________   ________   \n      7m         41Mi       \n"
        );
    }

    #[test]
    fn nodes_show_shares_of_allocatable_and_unknowns() {
        let metrics = vec![
            json!({"metadata": {"name": "n1"}, "usage": {"cpu": "124000000n", "memory": "1031168Ki"}}),
        ];
        let text = print_nodes(
            &metrics,
            vec![
                ("n1".into(), 2000, 8 * 1024 * 1024 * 1024 * 1000),
                ("n2".into(), 2000, 1000),
            ],
            false,
            "",
        );
        assert_eq!(
            text,
            "NAME   CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)   \nn1     124m         6%       1007Mi          12%         \nn2     <unknown>             <unknown>                   \n"
        );
    }

    #[test]
    fn durations_read_like_go() {
        assert_eq!(go_duration(125.0), "2m5s");
        assert_eq!(go_duration(3603.5), "1h0m3.5s");
        assert_eq!(go_duration(45.25), "45.25s");
        assert_eq!(go_duration(0.0), "0s");
    }

    /// A server whose discovery lists no `metrics.k8s.io`.
    struct NoMetrics;

    impl crate::rest::Transport for NoMetrics {
        fn call(&mut self, r: Request) -> crate::rest::Response {
            let body = match r.path_only() {
                "/api" => {
                    json!({"items": [{"metadata": {"name": ""}, "versions": [{"version": "v1",
                    "resources": [{"resource": "pods", "responseKind": {"kind": "Pod"}, "scope": "Namespaced"}]}]}]})
                }
                _ => json!({"items": []}),
            };
            crate::rest::Response::json(200, &body)
        }
    }

    #[test]
    fn without_the_metrics_api_top_says_so() {
        let files = std::collections::BTreeMap::new();
        let mut config = crate::KubeConfig::default();
        let mut transport = NoMetrics;
        let mut env = Env {
            transport: &mut transport,
            files: &files,
            config: &mut config,
            namespace: "default".into(),
            explicit_namespace: false,
            discovery: None,
            stream: None,
        };
        for args in [["pods"], ["nodes"]] {
            let mut out = Output::default();
            let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
            run(&args, &mut env, &mut out);
            assert_eq!(out.stderr, "error: Metrics API not available\n");
            assert_eq!(out.exit_code, 1);
        }
    }
}
