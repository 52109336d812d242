//! `kubectl exec [-i] [-t] [-c CONTAINER] (POD | TYPE/NAME) -- COMMAND [args...]`.
//!
//! The real kubectl streams over a WebSocket (`v5.channel.k8s.io`). The emulation has no
//! socket: it sends the same `POST .../pods/{pod}/exec` with the header [`FRAMES_HEADER`], and
//! the API server answers with every message the WebSocket would have carried, in one body
//! (each a 4-byte big-endian length, then the channel byte and the data; see the API server's
//! `exec` module). The channels are replayed in order onto stdout and stderr, and the status on
//! the error channel gives the exit code, as client-go's v5 protocol handler does.
//!
//! The terminal's `kubectl exec -it ... -- sh` is an interactive mode of the shell itself,
//! which runs the container's shell line by line; this command runs one command to its end.

use serde_json::Value;

use super::{parse_flags, Env};
use crate::flags::{b, v, Flag};
use crate::rest::{percent_encode, Request};
use crate::{server_error, Output};

/// The request header that asks the API server for the messages in one body.
pub const FRAMES_HEADER: &str = "x-wheelhouse-exec";

const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;

const FLAGS: &[Flag] = &[
    v("container", Some('c')),
    b("stdin", Some('i')),
    b("tty", Some('t')),
    b("quiet", Some('q')),
    v("filename", Some('f')),
    v("pod-running-timeout", None),
];

/// What `exec` parsed from its command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub target: String,
    pub container: Option<String>,
    pub command: Vec<String>,
    pub stdin: bool,
    pub tty: bool,
    pub quiet: bool,
}

/// Parses and validates like `ExecOptions.Complete` and `Validate`; prints the failure.
pub fn parse(args: &[String], env: &mut Env, out: &mut Output) -> Option<Invocation> {
    let p = parse_flags("exec", args, FLAGS, out)?;
    super::resources::set_namespace(&p, env);
    let quiet = p.bool("quiet");
    let before_dash = p.args.len() - p.after_dash.as_ref().map_or(0, Vec::len);
    let target = if before_dash > 0 {
        p.args.first().cloned()
    } else {
        None
    };
    let command: Vec<String> = match &p.after_dash {
        Some(after) => after.clone(),
        // kubectl 1.33 no longer accepts the command without `--`.
        None if p.args.len() > 1 => {
            out.fail("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples");
            return None;
        }
        None => Vec::new(),
    };
    let Some(target) = target else {
        out.fail("error: pod, type/name or --filename must be specified");
        return None;
    };
    if command.is_empty() {
        out.fail("error: you must specify at least one command for the container");
        return None;
    }
    Some(Invocation {
        target,
        container: p.get("container").map(str::to_string),
        command,
        stdin: p.bool("stdin"),
        tty: p.bool("tty"),
        quiet,
    })
}

/// Where an interactive exec goes, for a caller that runs the session itself (the terminal's
/// `kubectl exec -it`): the parsed command line, the pod and container, and what kubectl printed
/// before streaming (the default-container notice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    pub invocation: Invocation,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub notices: String,
}

/// Parses `exec` arguments and resolves the pod and container through `ctx`'s transport, as
/// [`run`] does; on failure, what kubectl printed.
pub fn prepare(
    args: &[String],
    ctx: &mut crate::Context,
    config: &mut crate::KubeConfig,
) -> Result<Prepared, Output> {
    let mut out = Output::default();
    let mut env = Env {
        transport: ctx.transport,
        files: ctx.files,
        config,
        namespace: String::new(),
        explicit_namespace: false,
        discovery: None,
        stream: None,
    };
    env.namespace = env.config.namespace();
    let Some(invocation) = parse(args, &mut env, &mut out) else {
        return Err(out);
    };
    let Some((pod, container)) = resolve(&invocation, &mut env, &mut out) else {
        return Err(out);
    };
    Ok(Prepared {
        invocation,
        namespace: env.namespace.clone(),
        pod,
        container,
        notices: out.stderr,
    })
}

pub fn run(args: &[String], env: &mut Env, out: &mut Output) {
    let Some(inv) = parse(args, env, out) else {
        return;
    };
    let Some((pod, container)) = resolve(&inv, env, out) else {
        return;
    };
    let ns = env.namespace.clone();
    send(env.transport, &ns, &pod, &container, &inv, "", out);
}

/// `... | kubectl exec -i POD -- COMMAND`: `stdin` is the command's whole input.
pub fn run_with_stdin(
    args: &[String],
    ctx: &mut crate::Context,
    config: &mut crate::KubeConfig,
    stdin: &str,
) -> Output {
    let p = match prepare(args, ctx, config) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let mut out = Output {
        stderr: p.notices.clone(),
        ..Output::default()
    };
    let input = if p.invocation.stdin { stdin } else { "" };
    send(
        ctx.transport,
        &p.namespace,
        &p.pod,
        &p.container,
        &p.invocation,
        input,
        &mut out,
    );
    out
}

/// Sends the exec request and replays its streams.
fn send(
    transport: &mut dyn crate::rest::Transport,
    ns: &str,
    pod: &str,
    container: &str,
    inv: &Invocation,
    stdin: &str,
    out: &mut Output,
) {
    // The terminal gives kubectl no terminal of its own here: with -i -t there is none to put
    // in raw mode, and client-go says so (after picking the container) and carries on.
    if inv.stdin && inv.tty && !inv.quiet {
        out.stderr
            .push_str("Unable to use a TTY - input is not a terminal or the right kind of file\n");
    }
    let mut query: Vec<String> = inv
        .command
        .iter()
        .map(|c| format!("command={}", percent_encode(c)))
        .collect();
    query.push(format!("container={}", percent_encode(container)));
    query.push("stderr=true".into());
    if inv.stdin {
        query.push("stdin=true".into());
    }
    query.push("stdout=true".into());
    let mut request = Request::new(
        "POST",
        format!(
            "/api/v1/namespaces/{ns}/pods/{pod}/exec?{}",
            query.join("&")
        ),
    )
    .header(FRAMES_HEADER, "frames");
    request.body = stdin.as_bytes().to_vec();
    let resp = transport.call(request);
    if resp.status != 200 {
        // A Status is the API server's refusal; plain text is the kubelet's, reported by
        // client-go as a failed upgrade.
        if resp.body_json().is_some_and(|v| v["kind"] == "Status") {
            out.fail(server_error(&resp));
        } else {
            out.fail(format!(
                "error: unable to upgrade connection: {}",
                String::from_utf8_lossy(&resp.body).trim()
            ));
        }
        return;
    }
    replay(&resp.body, out);
}

/// Writes the streamed messages out and sets the exit code from the final status.
fn replay(body: &[u8], out: &mut Output) {
    let mut i = 0;
    while i + 4 <= body.len() {
        let n = u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]) as usize;
        let end = (i + 4 + n).min(body.len());
        let msg = &body[i + 4..end];
        i = end;
        let Some((&channel, data)) = msg.split_first() else {
            continue;
        };
        let text = String::from_utf8_lossy(data);
        match channel {
            STDOUT => out.stdout.push_str(&text),
            STDERR => out.stderr.push_str(&text),
            ERROR => {
                let status: Value = serde_json::from_slice(data).unwrap_or_default();
                if status["status"] == "Success" {
                    out.exit_code = 0;
                    continue;
                }
                let code = status["details"]["causes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|c| c["reason"] == "ExitCode")
                    .and_then(|c| c["message"].as_str()?.parse::<i32>().ok());
                match (status["reason"].as_str(), code) {
                    (Some("NonZeroExitCode"), Some(code)) => {
                        out.stderr
                            .push_str(&format!("command terminated with exit code {code}\n"));
                        out.exit_code = code;
                    }
                    _ => out.fail(format!(
                        "error: {}",
                        status["message"].as_str().unwrap_or("unknown error")
                    )),
                }
            }
            _ => {}
        }
    }
}

/// The pod and container the command goes to (`ExecutablePodFn`, `FindOrDefaultContainerByName`),
/// or the failure printed.
pub fn resolve(inv: &Invocation, env: &mut Env, out: &mut Output) -> Option<(String, String)> {
    let ns = env.namespace.clone();
    let pod = match inv.target.split_once('/') {
        Some(("pod" | "pods" | "po", n)) => {
            get(env, out, &format!("/api/v1/namespaces/{ns}/pods/{n}"))?
        }
        Some((typed, name)) => first_pod(typed, name, env, out)?,
        None => get(
            env,
            out,
            &format!("/api/v1/namespaces/{ns}/pods/{}", inv.target),
        )?,
    };
    let name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let phase = pod["status"]["phase"].as_str().unwrap_or_default();
    if phase == "Succeeded" || phase == "Failed" {
        out.fail(format!(
            "error: cannot exec into a container in a completed pod; current phase is {phase}"
        ));
        return None;
    }
    let names = |field: &str| -> Vec<String> {
        pod["spec"][field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect()
    };
    let (containers, init, ephemeral) = (
        names("containers"),
        names("initContainers"),
        names("ephemeralContainers"),
    );
    if let Some(c) = &inv.container {
        return Some((name, c.clone()));
    }
    let annotated = pod["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"]
        .as_str()
        .filter(|a| {
            containers
                .iter()
                .chain(&init)
                .chain(&ephemeral)
                .any(|c| c == a)
        });
    if let Some(a) = annotated {
        return Some((name, a.to_string()));
    }
    let Some(first) = containers.first().cloned() else {
        out.fail(format!(
            "error: pod {ns}/{name} does not have any containers"
        ));
        return None;
    };
    if !inv.quiet && (containers.len() > 1 || !init.is_empty() || !ephemeral.is_empty()) {
        let all: Vec<String> = containers
            .iter()
            .cloned()
            .chain(ephemeral.iter().map(|c| format!("{c} (ephem)")))
            .chain(init.iter().map(|c| format!("{c} (init)")))
            .collect();
        out.stderr.push_str(&format!(
            "Defaulted container \"{first}\" out of: {}\n",
            all.join(", ")
        ));
    }
    Some((name, first))
}

fn get(env: &mut Env, out: &mut Output, path: &str) -> Option<Value> {
    let resp = env
        .transport
        .call(Request::get(path).header("accept", "application/json"));
    if resp.status >= 400 {
        out.fail(server_error(&resp));
        return None;
    }
    resp.body_json()
}

/// `exec deploy/web`: the most active pod the controller's selector matches
/// (`GetFirstPod` sorted by `Reverse(ActivePods)`).
fn first_pod(typed: &str, name: &str, env: &mut Env, out: &mut Output) -> Option<Value> {
    let ns = env.namespace.clone();
    let Some(m) = env.discovery().resolve(typed).cloned() else {
        out.fail(format!(
            "error: the server doesn't have a resource type \"{typed}\""
        ));
        return None;
    };
    let obj = get(env, out, &m.object_path(Some(&ns), name))?;
    let selector = if m.kind == "Service" {
        &obj["spec"]["selector"]
    } else {
        &obj["spec"]["selector"]["matchLabels"]
    };
    let mut pairs: Vec<String> = selector
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    if pairs.is_empty() {
        out.fail(format!(
            "error: cannot attach to {}: selector for {} not implemented",
            m.kind, m.kind
        ));
        return None;
    }
    pairs.sort();
    let list = get(
        env,
        out,
        &format!(
            "/api/v1/namespaces/{ns}/pods?labelSelector={}",
            percent_encode(&pairs.join(","))
        ),
    )?;
    let mut pods = list["items"].as_array().cloned().unwrap_or_default();
    if pods.is_empty() {
        out.fail("error: timed out waiting for the condition");
        return None;
    }
    pods.sort_by_key(|p| {
        let unassigned = p["spec"]["nodeName"].as_str().unwrap_or("").is_empty();
        let phase = match p["status"]["phase"].as_str() {
            Some("Running") => 0,
            Some("Unknown") => 1,
            _ => 2,
        };
        let ready = p["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        let restarts: i64 = p["status"]["containerStatuses"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["restartCount"].as_i64().unwrap_or(0))
            .sum();
        let created = p["metadata"]["creationTimestamp"]
            .as_str()
            .unwrap_or("~")
            .to_string();
        (unassigned, phase, !ready, restarts, created)
    });
    pods.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_status_sets_the_exit_code() {
        let frame = |ch: u8, s: &str| {
            let mut f = ((s.len() + 1) as u32).to_be_bytes().to_vec();
            f.push(ch);
            f.extend_from_slice(s.as_bytes());
            f
        };
        let mut body = frame(STDOUT, "out\n");
        body.extend(frame(STDERR, "err\n"));
        body.extend(frame(ERROR, r#"{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}"#));
        let mut out = Output::default();
        replay(&body, &mut out);
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
            ("out\n", "err\ncommand terminated with exit code 3\n", 3)
        );
    }
}
