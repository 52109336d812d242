//! `pods/exec`: running a command in a container, as the API server and kubelet serve it.
//!
//! The real API server only answers exec by upgrading the connection to a stream: a WebSocket
//! speaking `v5.channel.k8s.io` (or `v4`), where every message starts with a channel byte —
//! 0 stdin, 1 stdout, 2 stderr, 3 the final `Status` (`Success`, or `Failure` with reason
//! `NonZeroExitCode` and an `ExitCode` cause), 4 terminal resize, and in v5 255 to close a
//! stream. This module holds the pure parts: the request's options, RBAC and the refusals, the
//! framing, and a terminal line discipline for `-t`. The HTTP server runs the WebSocket loop.
//!
//! The terminal's own kubectl calls exec in-process, where no socket exists. It sends the request
//! with the header [`FRAMES_HEADER`] and its stdin as the body, and gets every message the
//! WebSocket would have carried in one body: each as a 4-byte big-endian length followed by the
//! message (channel byte and data). Without a WebSocket upgrade or this header, exec is refused
//! with `Upgrade request required`, as the real server does.

use cluster::api::User;
use cluster::kubelet::exec::{Container, ExecError, ExecOutput, ExecProcess, Stream};
use cluster::{resources, Cluster, Status};
use kubectl::rest::{Request, Response};
use serde_json::json;

pub const V5: &str = "v5.channel.k8s.io";
pub const V4: &str = "v4.channel.k8s.io";

/// Channel bytes of the remotecommand protocols.
pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
pub const ERROR: u8 = 3;
pub const RESIZE: u8 = 4;
/// v5: `[255, channel]` closes that channel (the client's stdin ended).
pub const CLOSE: u8 = 255;

/// The in-process request header asking for the exec's messages in one body (see module docs).
pub const FRAMES_HEADER: &str = kubectl::cmd::exec::FRAMES_HEADER;
/// The content type of that body.
pub const FRAMES_CONTENT_TYPE: &str = "application/vnd.wheelhouse.exec-frames";

/// The query of an exec request (`corev1.PodExecOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOptions {
    pub command: Vec<String>,
    pub container: Option<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

impl ExecOptions {
    pub fn from_request(request: &Request) -> ExecOptions {
        let query = request.query();
        let flag = |n: &str| {
            query
                .iter()
                .any(|(k, v)| k == n && (v == "true" || v == "1"))
        };
        ExecOptions {
            command: query
                .iter()
                .filter(|(k, _)| k == "command")
                .map(|(_, v)| v.clone())
                .collect(),
            container: query
                .iter()
                .find(|(k, v)| k == "container" && !v.is_empty())
                .map(|(_, v)| v.clone()),
            stdin: flag("stdin"),
            stdout: flag("stdout"),
            stderr: flag("stderr"),
            tty: flag("tty"),
        }
    }
}

/// Why an exec is refused before its stream opens, and how that answer looks on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// An API error, answered as a `Status`.
    Status(Status),
    /// The kubelet's plain-text refusal, passed through by the API server with a 500.
    Kubelet(String),
}

impl Refusal {
    pub fn response(&self) -> Response {
        match self {
            Refusal::Status(s) => crate::status_response(s),
            Refusal::Kubelet(text) => Response {
                status: 500,
                headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
                body: text.clone().into_bytes(),
            },
        }
    }
}

impl From<Status> for Refusal {
    fn from(s: Status) -> Self {
        Refusal::Status(s)
    }
}

impl From<ExecError> for Refusal {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::Api(s) => Refusal::Status(s),
            ExecError::Kubelet(t) => Refusal::Kubelet(t),
        }
    }
}

/// An exec whose stream is open.
pub struct Session {
    pub options: ExecOptions,
    pub process: ExecProcess,
    tty: Tty,
    /// Attached to a container's main process (`kubectl attach`, `kubectl run -i`) rather than
    /// running a command beside it.
    attached: Option<Attached>,
}

/// The container whose main process a session is attached to: when the process ends, so does
/// the container.
struct Attached {
    namespace: String,
    pod: String,
    container: String,
    ended: bool,
}

/// The `pods` resource, once `user` may `create` its `subresource` (exec, attach, portforward)
/// on `pod`: connecting to a pod is a create, as the API server authorizes it.
pub(crate) fn authorize_connect(
    cluster: &Cluster,
    user: &User,
    subresource: &str,
    namespace: &str,
    pod: &str,
) -> Result<&'static resources::ResourceType, Status> {
    let pods = resources::by_plural("", "pods").expect("pods are served");
    cluster.authorize(
        user,
        "create",
        pods,
        Some(subresource),
        Some(namespace),
        Some(pod),
    )?;
    Ok(pods)
}

/// Checks and starts the exec a request asks for: the messages to send first, and the session
/// to feed with the client's input.
pub fn start(
    cluster: &mut Cluster,
    user: &User,
    namespace: &str,
    pod: &str,
    options: ExecOptions,
) -> Result<(Session, Vec<Vec<u8>>), Refusal> {
    authorize_connect(cluster, user, "exec", namespace, pod)?;
    if options.command.is_empty() {
        return Err(Status::bad_request("you must specify at least 1 command").into());
    }
    if !options.stdin && !options.stdout && !options.stderr {
        return Err(
            Status::bad_request("you must specify at least 1 of stdin, stdout, stderr").into(),
        );
    }
    let container: Container =
        cluster.exec_container(namespace, pod, options.container.as_deref(), options.tty)?;
    let (process, first) = ExecProcess::start(
        cluster,
        container,
        &options.command,
        options.stdin,
        options.tty,
    );
    let mut s = Session {
        options,
        process,
        tty: Tty::default(),
        attached: None,
    };
    let frames = s.frames(first);
    Ok((s, frames))
}

/// `pods/attach`: connects to the main process of a container started with its standard input
/// held open (`stdin: true`, as `kubectl run -i` creates it). The simulation runs that process's
/// command as an interactive one, so what is typed reaches it; when it exits the container
/// terminates with its exit code, and the pod's restart policy takes over.
pub fn attach(
    cluster: &mut Cluster,
    user: &User,
    namespace: &str,
    pod: &str,
    options: ExecOptions,
) -> Result<(Session, Vec<Vec<u8>>), Refusal> {
    let pods = authorize_connect(cluster, user, "attach", namespace, pod)?;
    let container: Container =
        cluster.exec_container(namespace, pod, options.container.as_deref(), options.tty)?;
    let name = container.name.clone();
    let spec_stdin = cluster
        .get(pods, Some(namespace), pod)
        .ok()
        .and_then(|o| {
            o.as_pod()?
                .spec
                .as_ref()?
                .containers
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.stdin.unwrap_or(false))
        })
        .unwrap_or(false);
    if !spec_stdin {
        return Err(Status::bad_request(format!(
            "container {name} in pod {pod} was not started with stdin (stdin: true); Wheelhouse attaches only to such containers — use kubectl logs -f for the output of the others"
        ))
        .into());
    }
    let command = cluster.main_command(namespace, pod, &name);
    let (process, first) =
        ExecProcess::start(cluster, container, &command, options.stdin, options.tty);
    let mut s = Session {
        options: ExecOptions { command, ..options },
        process,
        tty: Tty::default(),
        attached: Some(Attached {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            container: name,
            ended: false,
        }),
    };
    let frames = s.frames(first);
    s.end_if_done(cluster);
    Ok((s, frames))
}

/// The `Status` written on the error channel when the command ends.
pub fn exit_status(command: &[String], code: i32) -> serde_json::Value {
    if code == 0 {
        return json!({"metadata": {}, "status": "Success"});
    }
    json!({
        "metadata": {},
        "status": "Failure",
        "message": format!(
            "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
            command.join(" ")
        ),
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}
    })
}

/// One WebSocket message: the channel byte, then the data.
pub fn message(channel: u8, data: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(data.len() + 1);
    m.push(channel);
    m.extend_from_slice(data);
    m
}

impl Session {
    /// Output as messages: with a terminal, stderr joins stdout and newlines become CRLF, as a
    /// pty's `onlcr` does; then, once the command has ended, its status.
    fn frames(&mut self, out: ExecOutput) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        for (stream, text) in out.chunks {
            let (channel, wanted) = match (stream, self.options.tty) {
                (_, true) => (STDOUT, self.options.stdout),
                (Stream::Stdout, false) => (STDOUT, self.options.stdout),
                (Stream::Stderr, false) => (STDERR, self.options.stderr),
            };
            if !wanted {
                continue;
            }
            let text = if self.options.tty {
                text.replace("\r\n", "\n").replace('\n', "\r\n")
            } else {
                text
            };
            frames.push(message(channel, text.as_bytes()));
        }
        if let Some(code) = self.process.exit_code() {
            // Attach reports Success whatever the exit code: kubectl reads the code from the
            // container's status.
            let code = if self.attached.is_some() { 0 } else { code };
            let status = exit_status(&self.options.command, code);
            frames.push(message(ERROR, status.to_string().as_bytes()));
        }
        frames
    }

    pub fn is_done(&self) -> bool {
        self.process.is_done()
    }

    /// A message from the client: stdin data, a resize, or (v5) the close of stdin.
    pub fn receive(&mut self, cluster: &mut Cluster, msg: &[u8]) -> Vec<Vec<u8>> {
        if self.is_done() {
            return Vec::new();
        }
        let frames = match msg.split_first() {
            Some((&STDIN, data)) => self.stdin(cluster, data),
            Some((&CLOSE, [STDIN])) => self.end_of_input(cluster),
            // Resizes change nothing the simulation draws.
            _ => Vec::new(),
        };
        self.end_if_done(cluster);
        frames
    }

    /// The client went away or its input ended without a v5 close message.
    pub fn end_of_input(&mut self, cluster: &mut Cluster) -> Vec<Vec<u8>> {
        if self.is_done() {
            return Vec::new();
        }
        let out = self.process.close_stdin(cluster);
        let frames = self.frames(out);
        self.end_if_done(cluster);
        frames
    }

    /// An attached main process that ended takes its container with it (once).
    fn end_if_done(&mut self, cluster: &mut Cluster) {
        if let (Some(code), Some(a)) = (self.process.exit_code(), &mut self.attached) {
            if !a.ended {
                cluster.end_main_process(&a.namespace, &a.pod, &a.container, code);
                a.ended = true;
            }
        }
    }

    fn stdin(&mut self, cluster: &mut Cluster, data: &[u8]) -> Vec<Vec<u8>> {
        let text = String::from_utf8_lossy(data);
        if !self.options.tty {
            // Without a terminal, a shell or filter reads its whole input before it runs.
            self.process.write(&text);
            return Vec::new();
        }
        let mut out = ExecOutput::default();
        for event in self.tty.feed(&text) {
            match event {
                TtyEvent::Echo(e) => out.push(Stream::Stdout, &e),
                TtyEvent::Line(line) => {
                    out.append(self.process.line(cluster, &line));
                }
                TtyEvent::Interrupt => {
                    out.push(Stream::Stdout, "^C\n");
                    if let Some(p) = self.process.prompt() {
                        out.push(Stream::Stdout, &p);
                    }
                }
                TtyEvent::Eof => {
                    if self
                        .process
                        .prompt()
                        .is_some_and(|p| p.starts_with("root@"))
                    {
                        out.push(Stream::Stdout, "exit\n");
                    }
                    out.append(self.process.close_stdin(cluster));
                }
            }
            if self.process.is_done() {
                break;
            }
        }
        self.frames(out)
    }
}

/// What the terminal's line discipline makes of typed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TtyEvent {
    /// Characters to show (the pty echoes what is typed).
    Echo(String),
    /// A finished line (Enter).
    Line(String),
    /// Ctrl-C: the line is dropped.
    Interrupt,
    /// Ctrl-D on an empty line.
    Eof,
}

/// A canonical-mode pty: echo, erase, kill line, Ctrl-C, Ctrl-D; escape sequences (arrow keys)
/// are swallowed, as line editing is not modelled.
#[derive(Clone, Debug, Default)]
pub struct Tty {
    line: String,
    escape: Option<String>,
}

impl Tty {
    pub fn feed(&mut self, text: &str) -> Vec<TtyEvent> {
        let mut events = Vec::new();
        let mut echo = String::new();
        let flush = |echo: &mut String, events: &mut Vec<TtyEvent>| {
            if !echo.is_empty() {
                events.push(TtyEvent::Echo(std::mem::take(echo)));
            }
        };
        for c in text.chars() {
            if let Some(seq) = &mut self.escape {
                seq.push(c);
                // CSI sequences end with a letter or `~`; others after one character.
                let done = (seq.len() > 1 && (c.is_ascii_alphabetic() || c == '~'))
                    || (seq.len() == 1 && c != '[' && c != 'O');
                if done {
                    self.escape = None;
                }
                continue;
            }
            match c {
                '\u{1b}' => self.escape = Some(String::new()),
                '\r' | '\n' => {
                    echo.push_str("\r\n");
                    flush(&mut echo, &mut events);
                    events.push(TtyEvent::Line(std::mem::take(&mut self.line)));
                }
                '\u{7f}' | '\u{8}' => {
                    if self.line.pop().is_some() {
                        echo.push_str("\u{8} \u{8}");
                    }
                }
                '\u{15}' => {
                    for _ in 0..self.line.chars().count() {
                        echo.push_str("\u{8} \u{8}");
                    }
                    self.line.clear();
                }
                '\u{3}' => {
                    flush(&mut echo, &mut events);
                    self.line.clear();
                    events.push(TtyEvent::Interrupt);
                }
                '\u{4}' if self.line.is_empty() => {
                    flush(&mut echo, &mut events);
                    events.push(TtyEvent::Eof);
                }
                '\t' => {}
                c if c.is_control() => {}
                c => {
                    self.line.push(c);
                    echo.push(c);
                }
            }
        }
        flush(&mut echo, &mut events);
        events
    }
}

/// Splits an in-process frames body back into messages.
pub fn split_frames(body: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= body.len() {
        let n = u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]) as usize;
        let end = (i + 4 + n).min(body.len());
        out.push(body[i + 4..end].to_vec());
        i = end;
    }
    out
}

fn join_frames(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for f in frames {
        body.extend_from_slice(&(f.len() as u32).to_be_bytes());
        body.extend_from_slice(f);
    }
    body
}

/// `GET|POST .../pods/{name}/exec` without a WebSocket: the in-process call (the body is the
/// whole stdin), or the real server's refusal of a plain HTTP request.
pub fn handle(
    cluster: &mut Cluster,
    user: &User,
    request: &Request,
    namespace: &str,
    pod: &str,
) -> Result<Response, Status> {
    if request.header_value(FRAMES_HEADER) != Some("frames") {
        return Err(Status::bad_request("Upgrade request required"));
    }
    let options = ExecOptions::from_request(request);
    let (mut session, mut frames) = match start(cluster, user, namespace, pod, options) {
        Ok(s) => s,
        Err(r) => return Ok(r.response()),
    };
    if !session.is_done() {
        if !request.body.is_empty() {
            frames.extend(session.receive(cluster, &message(STDIN, &request.body)));
        }
        frames.extend(session.end_of_input(cluster));
    }
    Ok(Response {
        status: 200,
        headers: vec![("content-type".into(), FRAMES_CONTENT_TYPE.into())],
        body: join_frames(&frames),
    })
}

pub mod over_spdy;
#[cfg(test)]
mod tests;
