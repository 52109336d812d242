//! What a started container does, decided when it starts: a [`Plan`] of log lines over time, an
//! exit (or none), memory use, listening ports and files it creates. Logs and probe answers are
//! read off the plan lazily at any later time, so a running container costs no timers.
//!
//! Commands are interpreted the way the course uses them: `sh -c "echo ...; sleep 5; exit 1"`,
//! `while true; do ...; done`, `sleep 3600`, `cat /etc/config/x`, `printenv`, `touch`/`rm` for
//! exec probes, `stress --vm-bytes 250M` for OOM lessons. Unknown commands fail like a shell.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::images::{App, ImageSpec};

/// Lines logged forever, every `period` seconds, starting `first` seconds after start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Repeat {
    pub first: f64,
    pub period: f64,
    pub lines: Vec<(f64, String)>,
}

/// A container process's whole life, relative to its start.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub logs: Vec<(f64, String)>,
    pub repeat: Option<Repeat>,
    /// Seconds after start, exit code, and the runtime's reason (`Completed`, `Error`, `OOMKilled`).
    pub exit: Option<(f64, i32, String)>,
    pub memory_mib: u64,
    pub ports: Vec<u16>,
    pub app: Option<App>,
    /// Files the process creates or removes over time: (seconds, path, exists afterwards).
    pub file_changes: Vec<(f64, String, bool)>,
    /// Files present from the start (mounted ConfigMaps and Secrets).
    pub files: BTreeMap<String, String>,
    pub env: Vec<(String, String)>,
    /// URLs fetched by `wget`/`curl` outside a loop.
    #[serde(default)]
    pub requests: Vec<String>,
    /// A loop fetching a URL over and over: the load the HPA lessons generate.
    #[serde(default)]
    pub load: Option<Load>,
}

/// A steady stream of HTTP requests from a container's loop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Load {
    pub url: String,
    pub per_second: f64,
}

/// How long one `wget`/`curl` inside the cluster takes, start of the process to end of the
/// reply: it bounds the rate of a loop that does not sleep.
pub const REQUEST_SECONDS: f64 = 0.01;

impl Plan {
    /// Log lines up to `secs` after start.
    pub fn logs_until(&self, secs: f64) -> Vec<(f64, String)> {
        let end = self.exit.as_ref().map_or(secs, |(at, _, _)| secs.min(*at));
        let mut out: Vec<(f64, String)> = self
            .logs
            .iter()
            .filter(|(t, _)| *t <= end)
            .cloned()
            .collect();
        if let Some(r) = &self.repeat {
            let mut base = r.first;
            // Cap what one read can produce: logs are a view, not a history to replay forever.
            let mut n = 0;
            while base <= end && n < 100_000 {
                for (off, line) in &r.lines {
                    if base + off <= end {
                        out.push((base + off, line.clone()));
                    }
                }
                base += r.period.max(0.001);
                n += 1;
            }
        }
        out
    }

    /// Whether `path` exists `secs` after start (for exec probes).
    pub fn file_exists(&self, path: &str, secs: f64) -> bool {
        let mut exists = self.files.contains_key(path);
        for (t, p, e) in &self.file_changes {
            if p == path && *t <= secs {
                exists = *e;
            }
        }
        exists
    }
}

/// Everything the plan depends on.
pub struct Launch<'a> {
    pub image: Option<&'static ImageSpec>,
    pub command: &'a [String],
    pub args: &'a [String],
    pub env: &'a [(String, String)],
    pub files: &'a BTreeMap<String, String>,
    pub memory_limit: Option<i64>,
    pub start: Timestamp,
    pub pod_name: &'a str,
    /// The container's standard input is held open (`stdin: true`, as `kubectl run -i` sets).
    pub stdin: bool,
}

/// Decides what the container will do.
pub fn plan(l: &Launch<'_>) -> Plan {
    let mut p = Plan {
        memory_mib: l.image.map_or(10, |i| i.memory_mib),
        app: l.image.map(|i| i.app),
        files: l.files.clone(),
        env: l.env.to_vec(),
        ..Plan::default()
    };
    if p.app == Some(App::System) {
        // Control-plane binaries: their flags change nothing the simulation shows.
        default_process(l, &mut p);
        return p;
    }
    let shell_words = ["sh", "/bin/sh", "bash", "/bin/bash", "ash"];
    let script: Option<String> = match (l.command.first(), l.args.first()) {
        (Some(c), _)
            if shell_words.contains(&c.as_str())
                && l.command.get(1).map(String::as_str) == Some("-c") =>
        {
            Some(
                l.command
                    .get(2)
                    .or(l.args.first())
                    .cloned()
                    .unwrap_or_default(),
            )
        }
        (Some(_), _) => Some(join_words(l.command.iter().chain(l.args.iter()))),
        (None, Some(a)) if l.image.is_none_or(|i| i.app == App::Shell) => {
            if shell_words.contains(&a.as_str()) && l.args.get(1).map(String::as_str) == Some("-c")
            {
                Some(l.args.get(2).cloned().unwrap_or_default())
            } else {
                Some(join_words(l.args.iter()))
            }
        }
        _ => None,
    };
    match script {
        Some(s) => {
            p.ports.clear();
            // A server image whose command was overridden by a shell still serves only if the
            // script execs its server; keep the image's ports when the script is its entrypoint.
            run_script(&s, l, &mut p);
        }
        None => default_process(l, &mut p),
    }
    if let Some(limit) = l.memory_limit {
        let limit_mib = (limit as f64 / 1048576.0).max(0.0);
        if (p.memory_mib as f64) > limit_mib {
            // The kernel's OOM killer ends the process as soon as it allocates past the limit.
            let at = 1.2_f64;
            if p.exit.as_ref().is_none_or(|(t, _, _)| *t > at) {
                p.exit = Some((at, 137, "OOMKilled".to_string()));
            }
        }
    }
    p
}

fn join_words<'a>(words: impl Iterator<Item = &'a String>) -> String {
    words
        .map(|w| {
            if w.contains(' ') {
                format!("'{w}'")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn ts(start: Timestamp, secs: f64) -> Timestamp {
    clock::after(start, secs)
}

fn default_process(l: &Launch<'_>, p: &mut Plan) {
    let Some(image) = l.image else {
        p.exit = Some((0.1, 0, "Completed".into()));
        return;
    };
    p.ports = image.ports.to_vec();
    let at = |secs: f64| ts(l.start, secs);
    let env = |k: &str| l.env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match image.app {
        App::Nginx | App::DevopsFrontend => {
            let t = at(0.05).strftime("%Y/%m/%d %H:%M:%S").to_string();
            for line in [
                "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration".to_string(),
                "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/".into(),
                "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh".into(),
                "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf".into(),
                "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf".into(),
                "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh".into(),
                "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh".into(),
                "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh".into(),
                "/docker-entrypoint.sh: Configuration complete; ready for start up".into(),
                format!("{t} [notice] 1#1: using the \"epoll\" event method"),
                format!("{t} [notice] 1#1: nginx/1.27.5"),
                format!("{t} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14) "),
                format!("{t} [notice] 1#1: OS: Linux 6.8.0-1030-gcp"),
                format!("{t} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576"),
                format!("{t} [notice] 1#1: start worker processes"),
                format!("{t} [notice] 1#1: start worker process 29"),
                format!("{t} [notice] 1#1: start worker process 30"),
            ] {
                p.logs.push((0.05, line));
            }
        }
        App::Httpd => {
            let t = at(0.1).strftime("%a %b %d %H:%M:%S%.6f %Y").to_string();
            p.logs.push((0.1, "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using 10.244.0.5. Set the 'ServerName' directive globally to suppress this message".into()));
            p.logs.push((0.1, format!("[{t}] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/2.4.63 (Unix) configured -- resuming normal operations")));
            p.logs.push((0.1, format!("[{t}] [core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'")));
        }
        App::HpaExample => {
            let t = at(0.1).strftime("%a %b %d %H:%M:%S%.6f %Y").to_string();
            let fqdn = "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 10.244.0.5. Set the 'ServerName' directive globally to suppress this message";
            p.logs.push((0.1, fqdn.into()));
            p.logs.push((0.1, fqdn.into()));
            p.logs.push((0.1, format!("[{t}] [mpm_prefork:notice] [pid 1] AH00163: Apache/2.4.10 (Debian) PHP/5.6.14 configured -- resuming normal operations")));
            p.logs.push((
                0.1,
                format!(
                    "[{t}] [core:notice] [pid 1] AH00094: Command line: 'apache2 -D FOREGROUND'"
                ),
            ));
        }
        App::Redis => {
            let t = at(0.05).strftime("%d %b %Y %H:%M:%S%.3f").to_string();
            for line in [
                "# WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition.",
                "* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
                "* Redis version=7.4.2, bits=64, commit=00000000, modified=0, pid=1, just started",
                "# Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf",
                "* monotonic clock: POSIX clock_gettime",
                "* Running mode=standalone, port=6379.",
                "* Server initialized",
                "* Ready to accept connections tcp",
            ] {
                p.logs.push((0.05, format!("1:M {t} {line}")));
            }
        }
        App::Postgres => {
            if env("POSTGRES_PASSWORD").is_none_or(|v| v.is_empty())
                && env("POSTGRES_HOST_AUTH_METHOD").as_deref() != Some("trust")
            {
                for line in [
                    "Error: Database is uninitialized and superuser password is not specified.",
                    "       You must specify POSTGRES_PASSWORD to a non-empty value for the",
                    "       superuser. For example, \"-e POSTGRES_PASSWORD=password\" on \"docker run\".",
                    "",
                    "       You may also use \"POSTGRES_HOST_AUTH_METHOD=trust\" to allow all",
                    "       connections without a password. This is *not* recommended.",
                    "",
                    "       See PostgreSQL documentation about \"trust\":",
                    "       https://www.postgresql.org/docs/current/auth-trust.html",
                ] {
                    p.logs.push((0.2, line.to_string()));
                }
                p.ports.clear();
                p.exit = Some((0.3, 1, "Error".into()));
            } else {
                let t = at(2.0).strftime("%Y-%m-%d %H:%M:%S%.3f UTC").to_string();
                p.logs.push((0.2, "The files belonging to this database system will be owned by user \"postgres\".".into()));
                p.logs.push((2.0, format!("{t} [1] LOG:  starting PostgreSQL 17.2 (Debian 17.2-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit")));
                p.logs.push((
                    2.0,
                    format!("{t} [1] LOG:  listening on IPv4 address \"0.0.0.0\", port 5432"),
                ));
                p.logs.push((
                    2.0,
                    format!("{t} [1] LOG:  database system is ready to accept connections"),
                ));
            }
        }
        App::Mysql => {
            let t = at(0.2).strftime("%Y-%m-%d %H:%M:%S+00:00").to_string();
            p.logs.push((0.2, format!("{t} [Note] [Entrypoint]: Entrypoint script for MySQL Server 9.1.0-1.el9 started.")));
            p.logs.push((
                0.2,
                format!("{t} [Note] [Entrypoint]: Switching to dedicated user 'mysql'"),
            ));
            p.logs.push((0.2, format!("{t} [Note] [Entrypoint]: Entrypoint script for MySQL Server 9.1.0-1.el9 started.")));
            let has_password = [
                "MYSQL_ROOT_PASSWORD",
                "MYSQL_ALLOW_EMPTY_PASSWORD",
                "MYSQL_RANDOM_ROOT_PASSWORD",
            ]
            .iter()
            .any(|k| env(k).is_some_and(|v| !v.is_empty()));
            if has_password {
                p.logs.push((
                    8.0,
                    format!(
                        "{} [Note] [Entrypoint]: MySQL init process done. Ready for start up.",
                        at(8.0).strftime("%Y-%m-%d %H:%M:%S+00:00")
                    ),
                ));
            } else {
                for line in [
                    format!("{t} [ERROR] [Entrypoint]: Database is uninitialized and password option is not specified"),
                    "    You need to specify one of the following as an environment variable:".into(),
                    "    - MYSQL_ROOT_PASSWORD".into(),
                    "    - MYSQL_ALLOW_EMPTY_PASSWORD".into(),
                    "    - MYSQL_RANDOM_ROOT_PASSWORD".into(),
                ] {
                    p.logs.push((0.3, line));
                }
                p.ports.clear();
                p.exit = Some((0.4, 1, "Error".into()));
            }
        }
        App::Interpreter | App::Shell => {
            // No terminal attached: the REPL or shell reads EOF and exits successfully at once.
            p.exit = Some((0.05, 0, "Completed".into()));
        }
        App::NodeWeb | App::Liveness => {
            let port = image.ports.first().copied().unwrap_or(8080);
            if image.app == App::NodeWeb {
                p.logs
                    .push((0.3, format!("Server listening on port {port}")));
            }
        }
        App::DevopsBackend => {
            p.logs
                .push((0.4, "INFO:     Started server process [1]".into()));
            p.logs
                .push((0.4, "INFO:     Waiting for application startup.".into()));
            for (k, v) in l.env.iter().filter(|(k, _)| {
                !k.ends_with("_SERVICE_HOST")
                    && !k.ends_with("_PORT")
                    && !k.contains("_PORT_")
                    && k != "KUBERNETES_SERVICE_PORT_HTTPS"
            }) {
                p.logs.push((0.4, format!("INFO:     config {k}={v}")));
            }
            p.logs
                .push((0.5, "INFO:     Application startup complete.".into()));
            p.logs.push((
                0.5,
                "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)".into(),
            ));
        }
        App::System => {}
    }
}

fn expand(word: &str, env: &[(String, String)], pod_name: &str) -> String {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let braced = chars.peek() == Some(&'{');
        if braced {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphanumeric() || n == '_' {
                name.push(n);
                chars.next();
            } else {
                break;
            }
        }
        if braced && chars.peek() == Some(&'}') {
            chars.next();
        }
        if name.is_empty() {
            out.push('$');
        } else if name == "HOSTNAME" {
            out.push_str(pod_name);
        } else if let Some((_, v)) = env.iter().find(|(k, _)| *k == name) {
            out.push_str(v);
        }
    }
    out
}

/// Splits a shell line into words, honouring single and double quotes.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

/// Splits a script into statements at `;`, `&&`, `||` and newlines outside quotes.
fn statements(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c == ';' || c == '\n' => out.push(std::mem::take(&mut cur)),
            None if (c == '&' || c == '|') && chars.get(i + 1) == Some(&c) => {
                out.push(std::mem::take(&mut cur));
                i += 1;
            }
            None => cur.push(c),
        }
        i += 1;
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses a size like `150M` or `1G` as stress does (binary units).
fn stress_bytes(s: &str) -> u64 {
    let (n, mult) = match s.chars().last() {
        Some('K' | 'k') => (&s[..s.len() - 1], 1024.0),
        Some('M' | 'm') => (&s[..s.len() - 1], 1048576.0),
        Some('G' | 'g') => (&s[..s.len() - 1], 1073741824.0),
        _ => (s, 1.0),
    };
    (n.parse::<f64>().unwrap_or(0.0) * mult) as u64
}

/// Interprets a script; fills `p.logs`, `p.exit`, `p.repeat`.
fn run_script(script: &str, l: &Launch<'_>, p: &mut Plan) {
    let stmts = statements(script);
    let mut t = 0.05_f64;
    let mut status = 0;
    let mut i = 0;
    while i < stmts.len() {
        let stmt = &stmts[i];
        i += 1;
        if stmt.starts_with("while ") || stmt.starts_with("until ") {
            // `while true; do BODY; done`: the body becomes a repeating block.
            let mut body = Vec::new();
            let mut first = true;
            while i < stmts.len() && stmts[i] != "done" {
                let s = &stmts[i];
                let s = if first {
                    s.strip_prefix("do ").unwrap_or(s).to_string()
                } else {
                    s.clone()
                };
                first = false;
                if s != "do" {
                    body.push(s);
                }
                i += 1;
            }
            let mut lines = Vec::new();
            let mut off = 0.0;
            // `while sleep 0.01; do ...`: the condition's sleep is part of every iteration.
            let condition = stmt.split_once(' ').map_or("", |(_, c)| c);
            if let Some(d) = condition
                .strip_prefix("sleep ")
                .and_then(|d| d.trim().trim_end_matches('s').parse::<f64>().ok())
            {
                off += d;
            }
            let mut q = Plan::default();
            for s in &body {
                let mut tt = 0.0;
                if let Step::Sleep(d) = step(s, l, &mut q, &mut tt, &mut status) {
                    off += d.unwrap_or(1e9);
                }
                for (_, line) in q.logs.drain(..) {
                    lines.push((off, line));
                }
            }
            if let Some(url) = q.requests.first() {
                let n = q.requests.len() as f64;
                p.load = Some(Load {
                    url: url.clone(),
                    per_second: n / (off + n * REQUEST_SECONDS),
                });
            }
            p.repeat = Some(Repeat {
                first: t,
                period: off.max(1.0),
                lines,
            });
            p.memory_mib = p.memory_mib.max(q.memory_mib);
            return;
        }
        match step(stmt, l, p, &mut t, &mut status) {
            Step::Continue => {}
            Step::Sleep(Some(d)) => t += d,
            Step::Sleep(None) | Step::Forever => return,
            Step::Exit(code) => {
                p.exit = Some((
                    t,
                    code,
                    if code == 0 { "Completed" } else { "Error" }.into(),
                ));
                return;
            }
        }
    }
    p.exit = Some((
        t,
        status,
        if status == 0 { "Completed" } else { "Error" }.into(),
    ));
}

enum Step {
    Continue,
    /// Sleeps this long (None: forever).
    Sleep(Option<f64>),
    Forever,
    Exit(i32),
}

fn step(stmt: &str, l: &Launch<'_>, p: &mut Plan, t: &mut f64, status: &mut i32) -> Step {
    let w: Vec<String> = words(stmt)
        .iter()
        .map(|w| expand(w, l.env, l.pod_name))
        .collect();
    let Some(cmd) = w.first().map(String::as_str) else {
        return Step::Continue;
    };
    let cmd = cmd.rsplit('/').next().unwrap_or(cmd);
    let log = |p: &mut Plan, t: f64, line: String| p.logs.push((t, line));
    *status = 0;
    match cmd {
        "echo" => {
            let (newline_args, rest): (bool, &[String]) = match w.get(1).map(String::as_str) {
                Some("-n") | Some("-e") => (true, &w[2..]),
                _ => (false, &w[1..]),
            };
            let _ = newline_args;
            log(p, *t, rest.join(" "));
        }
        "printf" => log(p, *t, w[1..].join(" ").replace("\\n", "")),
        "sleep" => {
            let arg = w.get(1).map(String::as_str).unwrap_or("0");
            if arg == "infinity" {
                return Step::Sleep(None);
            }
            let secs = arg.trim_end_matches('s').parse::<f64>().unwrap_or(0.0);
            return Step::Sleep(Some(secs));
        }
        "exit" => return Step::Exit(w.get(1).and_then(|c| c.parse().ok()).unwrap_or(*status)),
        // A shell without a script reads its commands from standard input: held open, it waits
        // there; otherwise it reads end-of-file at once and exits 0 (so `-- sh` alone completes,
        // and under restartPolicy Always ends in CrashLoopBackOff, as on a real cluster).
        "sh" | "ash" | "dash" | "bash" if !w.iter().any(|a| a == "-c") => {
            if l.stdin {
                return Step::Forever;
            }
        }
        "true" | ":" => {}
        "false" => *status = 1,
        "date" => log(
            p,
            *t,
            ts(l.start, *t)
                .strftime("%a %b %e %H:%M:%S UTC %Y")
                .to_string(),
        ),
        "hostname" => log(p, *t, l.pod_name.to_string()),
        "env" | "printenv" if w.len() == 1 => {
            for (k, v) in l.env {
                log(p, *t, format!("{k}={v}"));
            }
            log(p, *t, format!("HOSTNAME={}", l.pod_name));
        }
        "printenv" => match l.env.iter().find(|(k, _)| *k == w[1]) {
            Some((_, v)) => log(p, *t, v.clone()),
            None => *status = 1,
        },
        "cat" => {
            for path in &w[1..] {
                if p.file_exists(path, *t) {
                    if let Some(content) = l.files.get(path) {
                        for line in content.lines() {
                            log(p, *t, line.to_string());
                        }
                    }
                } else {
                    log(
                        p,
                        *t,
                        format!("cat: can't open '{path}': No such file or directory"),
                    );
                    *status = 1;
                }
            }
        }
        "ls" => {
            let dir = w.get(1).cloned().unwrap_or_else(|| "/".into());
            let prefix = format!("{}/", dir.trim_end_matches('/'));
            let names: Vec<_> = l
                .files
                .keys()
                .filter_map(|f| f.strip_prefix(&prefix))
                .filter(|f| !f.contains('/'))
                .collect();
            for n in names {
                log(p, *t, n.to_string());
            }
        }
        "touch" => {
            for path in &w[1..] {
                p.file_changes.push((*t, path.clone(), true));
            }
        }
        "rm" => {
            for path in w[1..].iter().filter(|a| !a.starts_with('-')) {
                p.file_changes.push((*t, path.clone(), false));
            }
        }
        "tail" if w.iter().any(|a| a == "-f") => return Step::Forever,
        "wget" | "curl" => {
            // The URL is the last word that is not an option (`wget -q -O- http://svc`).
            if let Some(url) = w[1..].iter().rev().find(|a| !a.starts_with('-')) {
                p.requests.push(url.clone());
            }
        }
        "stress" => {
            let bytes = w
                .iter()
                .position(|a| a == "--vm-bytes")
                .and_then(|i| w.get(i + 1))
                .map_or(256 * 1048576, |s| stress_bytes(s));
            p.memory_mib = p.memory_mib.max(bytes / 1048576 + 1);
            log(
                p,
                *t,
                "stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd".into(),
            );
            return Step::Forever;
        }
        "nginx"
        | "httpd"
        | "redis-server"
        | "httpd-foreground"
        | "docker-entrypoint.sh"
        | "node"
        | "python"
        | "python3"
        | "npm"
        | "uvicorn" => {
            // Exec'ing the image's own server: behave as the image does by default.
            let mut q = Plan::default();
            default_process(l, &mut q);
            p.ports = q.ports;
            p.logs.extend(q.logs.into_iter().map(|(o, s)| (*t + o, s)));
            p.memory_mib = p.memory_mib.max(q.memory_mib);
            match q.exit {
                Some((o, code, _)) => {
                    *t += o;
                    return Step::Exit(code);
                }
                None => return Step::Forever,
            }
        }
        other => {
            log(p, *t, format!("sh: {other}: not found"));
            *status = 127;
        }
    }
    Step::Continue
}

/// How an HTTP request to the container is answered, `secs` after it started.
#[derive(Clone, Debug, PartialEq)]
pub enum HttpAnswer {
    Response {
        status: u16,
        body: String,
    },
    /// Nothing listens on the port.
    Refused,
    /// Something listens but does not speak HTTP.
    EmptyReply,
}

pub const NGINX_WELCOME: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n\n<p>For online documentation and support please refer to\n<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at\n<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n";

const NGINX_404: &str = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.27.5</center>\r\n</body>\r\n</html>\r\n";

pub fn http(plan: &Plan, port: u16, path: &str, secs: f64) -> HttpAnswer {
    if !plan.ports.contains(&port) {
        return HttpAnswer::Refused;
    }
    let ok = |body: &str| HttpAnswer::Response {
        status: 200,
        body: body.to_string(),
    };
    let path = path.split('?').next().unwrap_or("/");
    match plan.app {
        Some(App::Nginx) => match path {
            "/" | "/index.html" => ok(NGINX_WELCOME),
            _ => HttpAnswer::Response { status: 404, body: NGINX_404.into() },
        },
        Some(App::DevopsFrontend) => match path {
            "/" | "/index.html" => ok("<!DOCTYPE html>\n<html>\n<head><title>DevOps Frontend</title></head>\n<body>\n<h1>DevOps Frontend</h1>\n<p>Backend: <span id=\"status\">connected</span></p>\n</body>\n</html>\n"),
            _ => HttpAnswer::Response { status: 404, body: NGINX_404.into() },
        },
        Some(App::HpaExample) => ok("OK!"),
        Some(App::Httpd) => match path {
            "/" | "/index.html" => ok("<html><body><h1>It works!</h1></body></html>\n"),
            _ => HttpAnswer::Response { status: 404, body: format!("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n") },
        },
        Some(App::NodeWeb) => match path {
            "/" => ok("Hello World!"),
            _ => HttpAnswer::Response { status: 404, body: format!("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET {path}</pre>\n</body>\n</html>\n") },
        },
        Some(App::Liveness) => match path {
            "/healthz" if secs < 10.0 => ok("ok"),
            "/healthz" => HttpAnswer::Response { status: 500, body: format!("error: {:.6}", secs) },
            _ => HttpAnswer::Response { status: 404, body: "404 page not found\n".into() },
        },
        Some(App::DevopsBackend) => match path {
            "/" => ok("{\"message\":\"Hello from the backend\"}"),
            "/health" | "/healthz" | "/api/health" => ok("{\"status\":\"ok\"}"),
            _ => HttpAnswer::Response { status: 404, body: "{\"detail\":\"Not Found\"}".into() },
        },
        // Health and metrics endpoints of system components answer "OK".
        Some(App::System) => ok("OK"),
        _ => HttpAnswer::EmptyReply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::images::{lookup, ImageRef};

    fn launch<'a>(
        image: &str,
        command: &'a [String],
        env: &'a [(String, String)],
        files: &'a BTreeMap<String, String>,
    ) -> Launch<'a> {
        Launch {
            image: lookup(&ImageRef::parse(image)),
            command,
            args: &[],
            env,
            files,
            memory_limit: None,
            start: "2026-01-01T00:00:00Z".parse().unwrap(),
            pod_name: "p",
            stdin: false,
        }
    }

    #[test]
    fn a_shell_without_a_script_reads_its_input() {
        let cmd: Vec<String> = vec!["sh".into()];
        let (env, files) = (Vec::new(), BTreeMap::new());
        // Nothing on stdin: end-of-file, exit 0.
        let p = plan(&launch("busybox", &cmd, &env, &files));
        assert_eq!(p.exit.as_ref().map(|(_, code, _)| *code), Some(0));
        assert!(p.logs.is_empty(), "{:?}", p.logs);
        // Input held open: it waits.
        let waiting = plan(&Launch {
            stdin: true,
            ..launch("busybox", &cmd, &env, &files)
        });
        assert_eq!(waiting.exit, None);
    }

    #[test]
    fn a_crashing_script_logs_then_exits_with_its_code() {
        let cmd: Vec<String> = ["sh", "-c", "echo starting $APP; sleep 2; echo boom; exit 3"]
            .map(String::from)
            .to_vec();
        let env = vec![("APP".to_string(), "web".to_string())];
        let files = BTreeMap::new();
        let p = plan(&launch("busybox", &cmd, &env, &files));
        assert_eq!(p.exit, Some((2.05, 3, "Error".into())));
        let logs: Vec<_> = p.logs_until(10.0).into_iter().map(|(_, l)| l).collect();
        assert_eq!(logs, ["starting web", "boom"]);
    }

    #[test]
    fn a_while_loop_logs_forever() {
        let cmd: Vec<String> = ["sh", "-c", "while true; do echo tick; sleep 5; done"]
            .map(String::from)
            .to_vec();
        let files = BTreeMap::new();
        let p = plan(&launch("busybox", &cmd, &[], &files));
        assert!(p.exit.is_none());
        assert_eq!(p.logs_until(12.0).len(), 3);
    }

    #[test]
    fn php_apache_answers_ok() {
        let files = BTreeMap::new();
        let p = plan(&launch("registry.k8s.io/hpa-example", &[], &[], &files));
        assert_eq!(
            http(&p, 80, "/", 5.0),
            HttpAnswer::Response {
                status: 200,
                body: "OK!".into()
            }
        );
    }

    #[test]
    fn a_wget_loop_is_a_steady_load() {
        let script = "while sleep 0.01; do wget -q -O- http://php-apache; done";
        let cmd: Vec<String> = ["/bin/sh", "-c", script].map(String::from).to_vec();
        let files = BTreeMap::new();
        let p = plan(&launch("busybox", &cmd, &[], &files));
        assert!(p.exit.is_none());
        let load = p.load.expect("a load");
        assert_eq!(load.url, "http://php-apache");
        // One request per 0.01 s sleep plus the request's own 0.01 s.
        assert!((load.per_second - 50.0).abs() < 1e-9);
        // One fetch outside a loop is no load.
        let once: Vec<String> = ["sh", "-c", "wget -q -O- http://web; sleep 3600"]
            .map(String::from)
            .to_vec();
        let p = plan(&launch("busybox", &once, &[], &files));
        assert_eq!(p.load, None);
        assert_eq!(p.requests, ["http://web"]);
    }

    #[test]
    fn memory_over_the_limit_is_oom_killed() {
        let cmd: Vec<String> = [
            "stress",
            "--vm",
            "1",
            "--vm-bytes",
            "250M",
            "--vm-hang",
            "1",
        ]
        .map(String::from)
        .to_vec();
        let files = BTreeMap::new();
        let mut l = launch("polinux/stress", &cmd, &[], &files);
        l.memory_limit = Some(100 * 1048576);
        assert_eq!(
            plan(&l).exit.map(|e| (e.1, e.2)),
            Some((137, "OOMKilled".into()))
        );
    }

    #[test]
    fn exec_probe_files_appear_and_disappear() {
        let cmd: Vec<String> = [
            "/bin/sh",
            "-c",
            "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600",
        ]
        .map(String::from)
        .to_vec();
        let files = BTreeMap::new();
        let p = plan(&launch("busybox", &cmd, &[], &files));
        assert!(p.file_exists("/tmp/healthy", 10.0));
        assert!(!p.file_exists("/tmp/healthy", 31.0));
    }

    #[test]
    fn postgres_without_a_password_exits_with_its_real_error() {
        let files = BTreeMap::new();
        let p = plan(&launch("postgres:16", &[], &[], &files));
        assert_eq!(p.exit.as_ref().map(|e| e.1), Some(1));
        assert!(p.logs[0].1.starts_with("Error: Database is uninitialized"));
    }
}
