//! `curl` from the laptop (curl 8.5). Like a real laptop next to minikube, it reaches the node's
//! address (NodePort services) and `localhost` ports opened by `kubectl port-forward`; cluster IPs
//! and pod IPs do not route from the laptop, and service DNS names only resolve inside the cluster.

use std::time::{Duration, Instant};

use super::kubectl::node_ip;
use super::{port_forward, Done, Proc};
use crate::exec::Cx;
use crate::jobs::Process;
use crate::runtime::{Endpoint, HttpRequest, HttpResponse, NetError};
use crate::workspace;

/// How long the kernel tries to connect to an address nothing answers (Linux's SYN retries).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(133);

#[derive(Default)]
struct Options {
    url: Option<String>,
    silent: bool,
    show_error: bool,
    include: bool,
    head: bool,
    verbose: bool,
    fail: bool,
    method: Option<String>,
    data: Option<String>,
    headers: Vec<(String, String)>,
    output: Option<String>,
    timeout: Option<f64>,
    write_out: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, Done> {
    let mut o = Options::default();
    let mut it = args.iter();
    let needs = |flag: &str| {
        Done::err(
            format!("curl: option {flag}: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n"),
            2,
        )
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "-s" | "--silent" => o.silent = true,
            "-S" | "--show-error" => o.show_error = true,
            "-i" | "--include" => o.include = true,
            "-I" | "--head" => o.head = true,
            "-v" | "--verbose" => o.verbose = true,
            "-f" | "--fail" => o.fail = true,
            "-L" | "--location" | "-k" | "--insecure" | "-N" | "--no-buffer" => {}
            "-sS" | "-Ss" => {
                o.silent = true;
                o.show_error = true;
            }
            "-X" | "--request" => o.method = Some(it.next().ok_or_else(|| needs(a))?.clone()),
            "-d" | "--data" | "--data-raw" | "--data-binary" => {
                o.data = Some(it.next().ok_or_else(|| needs(a))?.clone())
            }
            "-H" | "--header" => {
                let h = it.next().ok_or_else(|| needs(a))?;
                if let Some((k, v)) = h.split_once(':') {
                    o.headers.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            "-o" | "--output" => o.output = Some(it.next().ok_or_else(|| needs(a))?.clone()),
            "-m" | "--max-time" | "--connect-timeout" => {
                let v = it.next().ok_or_else(|| needs(a))?;
                o.timeout = Some(v.parse().map_err(|_| {
                    Done::err(format!("curl: option {a}: expected a proper numerical parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n"), 2)
                })?);
            }
            "-w" | "--write-out" => o.write_out = Some(it.next().ok_or_else(|| needs(a))?.clone()),
            s if s.starts_with('-') && s.len() > 1 => {
                // Combined short flags such as -sSL or -sI.
                if s[1..].chars().all(|c| "sSiIvfLkN".contains(c)) && !s.starts_with("--") {
                    for c in s[1..].chars() {
                        match c {
                            's' => o.silent = true,
                            'S' => o.show_error = true,
                            'i' => o.include = true,
                            'I' => o.head = true,
                            'v' => o.verbose = true,
                            'f' => o.fail = true,
                            _ => {}
                        }
                    }
                } else {
                    return Err(Done::err(
                        format!("curl: option {s}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n"),
                        2,
                    ));
                }
            }
            _ => o.url = Some(a.clone()),
        }
    }
    Ok(o)
}

struct Url {
    scheme: String,
    host: String,
    port: u16,
    path: String,
}

fn parse_url(raw: &str) -> Result<Url, Done> {
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("http".to_string(), raw),
    };
    if scheme != "http" && scheme != "https" {
        return Err(Done::err(
            format!("curl: (1) Protocol \"{scheme}\" not supported\n"),
            1,
        ));
    }
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path
    };
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        match h.split_once(']') {
            Some((h, p)) => (format!("[{h}]"), p.strip_prefix(':').map(str::to_string)),
            None => return Err(Done::err(format!("curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n"), 3)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.to_string())),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(Done::err(
            "curl: (3) URL rejected: No host part in the URL\n",
            3,
        ));
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| {
            Done::err("curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535\n", 3)
        })?,
        None if scheme == "https" => 443,
        None => 80,
    };
    Ok(Url {
        scheme,
        host: host.to_ascii_lowercase(),
        port,
        path,
    })
}

fn is_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok())
}

pub(crate) fn run(cx: &mut Cx, args: &[String]) -> Proc {
    let o = match parse(args) {
        Ok(o) => o,
        Err(d) => return d.into(),
    };
    let Some(raw) = o.url.clone() else {
        return Done::err(
            "curl: try 'curl --help' or 'curl --manual' for more information\n",
            2,
        )
        .into();
    };
    let url = match parse_url(&raw) {
        Ok(u) => u,
        Err(d) => return quiet(&o, d).into(),
    };
    let node = node_ip(cx);
    let localhost = matches!(url.host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
    let ip_for_messages = if url.host == "localhost" {
        "localhost".to_string()
    } else {
        url.host.clone()
    };
    let endpoint = if localhost {
        match port_forward::find(cx, url.port) {
            Some(f) => {
                let e = Endpoint::Pod {
                    namespace: f.namespace.clone(),
                    name: f.pod.clone(),
                    port: f.remote_port,
                };
                f.pending
                    .push_str(&format!("Handling connection for {}\n", url.port));
                // kubectl prints this as it accepts the connection, before curl gets an answer.
                crate::exec::poll_background(cx);
                Ok(e)
            }
            None => Err(NetError::Refused),
        }
    } else if url.host == node {
        if cx.sh.laptop.minikube_running {
            Ok(Endpoint::Node {
                ip: node.clone(),
                port: url.port,
            })
        } else {
            return quiet(
                &o,
                Done::err(
                    format!("curl: (7) Failed to connect to {} port {} after 3071 ms: No route to host\n", url.host, url.port),
                    7,
                ),
            )
            .into();
        }
    } else if is_ipv4(&url.host) {
        Err(NetError::Unreachable)
    } else {
        // Service names (`web`, `web.default.svc.cluster.local`) only resolve inside the cluster;
        // the playground's laptop has no internet either.
        return quiet(
            &o,
            Done::err(
                format!("curl: (6) Could not resolve host: {}\n", url.host),
                6,
            ),
        )
        .into();
    };
    let method = o.method.clone().unwrap_or_else(|| {
        if o.head {
            "HEAD"
        } else if o.data.is_some() {
            "POST"
        } else {
            "GET"
        }
        .to_string()
    });
    let host_header =
        if (url.scheme == "http" && url.port == 80) || (url.scheme == "https" && url.port == 443) {
            url.host.clone()
        } else {
            format!("{}:{}", url.host, url.port)
        };
    let mut headers = vec![
        ("Host".to_string(), host_header.clone()),
        ("User-Agent".to_string(), "curl/8.5.0".to_string()),
        ("Accept".to_string(), "*/*".to_string()),
    ];
    if let Some(d) = &o.data {
        headers.push(("Content-Length".into(), d.len().to_string()));
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    headers.extend(o.headers.iter().cloned());
    let request = HttpRequest {
        method: method.clone(),
        path: url.path.clone(),
        host: host_header,
        headers: headers.clone(),
        body: o.data.clone().unwrap_or_default(),
    };
    let mut verbose = String::new();
    if o.verbose {
        verbose.push_str(&format!(
            "*   Trying {}:{}...\n",
            if localhost {
                "127.0.0.1".to_string()
            } else {
                url.host.clone()
            },
            url.port
        ));
    }
    let through_forward = matches!(endpoint, Ok(Endpoint::Pod { .. }));
    let mut result = match endpoint {
        Ok(e) => cx.rt.http(&e, &request),
        Err(e) => Err(e),
    };
    if through_forward && matches!(result, Err(NetError::Refused)) {
        // kubectl accepted the connection; the forward behind it failed, so it hangs up.
        port_forward::refused(cx, url.port);
        crate::exec::poll_background(cx);
        result = Err(NetError::EmptyReply);
    }
    let response = match result {
        Ok(r) => r,
        Err(NetError::Refused) => {
            let mut d = Done::err(
                format!("curl: (7) Failed to connect to {ip_for_messages} port {} after 0 ms: Couldn't connect to server\n", url.port),
                7,
            );
            d.stderr.insert_str(0, &verbose);
            return quiet(&o, d).into();
        }
        Err(NetError::EmptyReply) => {
            return quiet(&o, Done::err("curl: (52) Empty reply from server\n", 52)).into();
        }
        Err(NetError::Unreachable) => {
            // Nothing answers: curl waits for the kernel (or its own timeout) and gives up.
            let (wait, msg) = match o.timeout {
                Some(t) => (
                    Duration::from_secs_f64(t.clamp(0.0, 86_400.0)),
                    format!("curl: (28) Connection timed out after {} milliseconds\n", (t * 1000.0) as u64 + 1),
                ),
                None => (
                    CONNECT_TIMEOUT,
                    format!(
                        "curl: (28) Failed to connect to {} port {} after {} ms: Couldn't connect to server\n",
                        url.host,
                        url.port,
                        CONNECT_TIMEOUT.as_millis() + 107
                    ),
                ),
            };
            let then = quiet(&o, Done::err(msg, 28));
            return Proc::Running(
                Process::Stall {
                    until: Instant::now() + wait,
                    then,
                },
                Done::err(verbose, 0),
            );
        }
    };
    if url.scheme == "https" {
        return quiet(
            &o,
            Done::err(
                "curl: (35) OpenSSL/3.0.13: error:0A00010B:SSL routines::wrong version number\n",
                35,
            ),
        )
        .into();
    }
    finish(cx, &o, &url, &method, &headers, response, verbose).into()
}

/// `-s` without `-S` hides error messages.
fn quiet(o: &Options, mut d: Done) -> Done {
    if o.silent && !o.show_error {
        d.stderr.clear();
    }
    d
}

fn finish(
    cx: &mut Cx,
    o: &Options,
    url: &Url,
    method: &str,
    headers: &[(String, String)],
    r: HttpResponse,
    mut verbose: String,
) -> Done {
    let status_line = format!("HTTP/1.1 {} {}", r.status, r.reason);
    let mut head = format!("{status_line}\r\n");
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    if o.verbose {
        let peer = if url.host == "localhost" {
            "127.0.0.1".to_string()
        } else {
            url.host.clone()
        };
        verbose.push_str(&format!(
            "* Connected to {} ({peer}) port {}\n",
            url.host, url.port
        ));
        verbose.push_str(&format!("> {method} {} HTTP/1.1\n", url.path));
        for (k, v) in headers {
            verbose.push_str(&format!("> {k}: {v}\n"));
        }
        verbose.push_str(">\n");
        verbose.push_str(&format!("< {status_line}\n"));
        for (k, v) in &r.headers {
            verbose.push_str(&format!("< {k}: {v}\n"));
        }
        verbose.push_str("<\n");
    }
    if o.fail && r.status >= 400 {
        let mut d = quiet(
            o,
            Done::err(
                format!(
                    "curl: (22) The requested URL returned error: {}\n",
                    r.status
                ),
                22,
            ),
        );
        d.stderr.insert_str(0, &verbose);
        return d;
    }
    let mut body = String::new();
    if o.include || o.head {
        body.push_str(&head);
    }
    if !o.head && method != "HEAD" {
        body.push_str(&r.body);
    }
    if let Some(w) = &o.write_out {
        body.push_str(
            &w.replace("%{http_code}", &r.status.to_string())
                .replace("%{size_download}", &r.body.len().to_string())
                .replace("\\n", "\n"),
        );
    }
    if o.verbose {
        verbose.push_str(&format!(
            "* Connection #0 to host {} left intact\n",
            url.host
        ));
    }
    let mut d = Done {
        stdout: String::new(),
        stderr: verbose,
        code: 0,
    };
    match &o.output {
        Some(path) if path != "-" => {
            match cx.writable(path) {
                Ok(key) if workspace::has_room(cx.files, &key, body.len()) => {
                    cx.files.insert(key, body);
                }
                Ok(_) => {
                    d.stderr.push_str(&format!(
                        "curl: (23) Failure writing output to destination, passed {} returned 0\n",
                        r.body.len()
                    ));
                    d.code = 23;
                    return d;
                }
                Err(e) => {
                    d.stderr.push_str(&format!(
                        "curl: (23) Failure writing output to destination, passed {} returned 0\nWarning: Failed to open the file {path}: {}\n",
                        r.body.len(),
                        e.message()
                    ));
                    d.code = 23;
                    return d;
                }
            }
            if !o.silent {
                let n = r.body.len();
                d.stderr.push_str(&format!(
                    "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n100 {n:>5}  100 {n:>5}    0     0   {s:>4}k      0 --:--:-- --:--:-- --:--:-- {s:>4}k\n",
                    s = (n / 1000).max(1)
                ));
            }
        }
        _ => d.stdout = body,
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("http://192.168.49.2:30080/api/health?x=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("192.168.49.2", 30080, "/api/health?x=1")
        );
        let u = parse_url("localhost:8080").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port, u.path.as_str()),
            ("http", "localhost", 8080, "/")
        );
        let u = parse_url("https://[::1]").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("[::1]", 443));
        assert_eq!(parse_url("ftp://x").err().unwrap().code, 1);
        assert_eq!(parse_url("http://x:99999").err().unwrap().code, 3);
    }
}
