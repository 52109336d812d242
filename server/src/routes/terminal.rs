//! `GET /api/sessions/{id}/terminal`: the browser terminal's WebSocket.
//!
//! Authentication is the session cookie (or a bearer token), as for the rest of the session API;
//! a handshake whose `Origin` names another host is refused, so another site cannot open a
//! learner's terminal with their cookie.
//!
//! # Protocol
//!
//! Every message is one JSON text frame. Line editing, echo and the prompt are the client's
//! (xterm.js): the server receives whole lines and sends back what the commands print.
//!
//! Client → server:
//! - `{"type":"line","line":"kubectl get pods"}` runs a line. Lines sent while one is running
//!   wait their turn (up to 32), as type-ahead does in a real terminal.
//! - `{"type":"interrupt"}` is Ctrl-C: stops the running line (and drops type-ahead).
//! - `{"type":"complete","line":"kubectl get po","cursor":14}`: Tab. `cursor` is a byte offset.
//! - `{"type":"resize","cols":120,"rows":40}`: the terminal's size (`ls` lays out columns to fit).
//! - `{"type":"edited","content":"..."}` answers an `edit` message with the saved document;
//!   `{"type":"edited","content":null}` means the editor was closed without saving.
//!
//! Server → client:
//! - `{"type":"history","lines":["..."]}` once, on connect: the shell's history, oldest first,
//!   for the client's arrow keys.
//! - `{"type":"output","stream":"stdout"|"stderr","data":"..."}`: output, in order. `data` may
//!   hold escape sequences (`clear` sends `ESC[H ESC[2J ESC[3J`).
//! - `{"type":"exit","code":0}`: the line finished; the client shows the prompt again. After
//!   Ctrl-C the code is 130. Streaming commands (`kubectl get pods -w`, `logs -f`, `rollout
//!   status`, `sleep`, a foreground `kubectl port-forward`) keep sending output until they end or
//!   are interrupted, and only then send `exit`.
//!   `prompt` is the prompt to draw next when it is not the learner's own: the container shell's
//!   after `kubectl exec -it POD -- sh` (`/ # `, `root@web:/# `), `null` otherwise. While one is
//!   shown, Ctrl-D at an empty line is sent as the line `"\u0004"` (the shell ends the session).
//! - `{"type":"completions","start":12,"candidates":["pods","podtemplates"]}`: the candidates
//!   replace `line[start..cursor]`; one candidate is inserted with a trailing space, several are
//!   listed (and their common prefix inserted), as bash does.
//! - `{"type":"edit","path":"/tmp/kubectl-edit-1000012345.yaml","content":"..."}`: `kubectl edit`
//!   asks the client to open `content` in the editor under the name `path` (not a workspace
//!   file). The line stays running until the client sends `edited`; a YAML error in the answer
//!   makes the server send `edit` again with the error as a comment on top, as kubectl does.
//! - `{"type":"error","message":"..."}`: a message the server could not understand.
//!
//! # Memory
//!
//! An idle socket costs its task and tungstenite's buffers; the read buffer is 4 KiB and writes
//! are flushed as they are made (no 128 KiB default buffers), and messages are capped at 80 KiB
//! (a line is at most 64 KiB). `tests/terminal_memory.rs` measures about 11 KiB per idle
//! socket, counting both ends.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use shell::{State as LineState, Step, Wake};

use crate::routes::api::{authorize, ApiError};
use crate::sessions::{Session, SessionState};
use crate::AppState;

/// Longest message accepted from the client.
pub const MAX_MESSAGE_BYTES: usize = 80 * 1024;
/// Lines queued while one runs.
const MAX_TYPE_AHEAD: usize = 32;
/// How often a line waiting on the cluster is polled when no change was signalled (simulated
/// time moves on its own, e.g. a rollout progressing).
const CHANGE_TICK: Duration = Duration::from_millis(250);
/// How often background jobs are polled when nothing runs in the foreground.
const BACKGROUND_TICK: Duration = Duration::from_millis(500);

/// Rate limits for lines typed into terminals (configured like the HTTP ones, from the environment).
fn command_limits() -> &'static crate::security::Limits {
    static LIMITS: std::sync::OnceLock<crate::security::Limits> = std::sync::OnceLock::new();
    LIMITS.get_or_init(crate::security::Limits::from_env)
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/sessions/{id}/terminal", get(upgrade))
}

/// Whether the handshake's `Origin` (if any) is this server.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true; // not a browser
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

async fn upgrade(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let session = authorize(&state, &id, &headers)?;
    if !same_origin(&headers) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "cross-origin terminal connections are refused".into(),
        ));
    }
    Ok(ws
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * 1024 * 1024 + MAX_MESSAGE_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let mut t = Terminal {
                socket,
                session,
                persistence: state.persistence.clone(),
                running: None,
                type_ahead: VecDeque::new(),
            };
            t.serve().await;
        })
        .into_response())
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum ClientMessage {
    Line {
        line: String,
    },
    Interrupt,
    Complete {
        line: String,
        cursor: usize,
    },
    Resize {
        cols: u16,
        /// Accepted for completeness; nothing in the shell lays out by height.
        #[allow(dead_code)]
        rows: u16,
    },
    Edited {
        content: Option<String>,
    },
}

struct Terminal {
    socket: WebSocket,
    session: Arc<Session>,
    /// Brings the session back from its last snapshot after a panic (none without a database).
    persistence: Option<Arc<crate::persistence::Persistence>>,
    /// How the running line wants to be woken, if one runs.
    running: Option<Wake>,
    type_ahead: VecDeque<String>,
}

impl Terminal {
    async fn serve(&mut self) {
        let history = self.session.lock().shell.history.clone();
        if self
            .send(json!({"type": "history", "lines": history}))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let background = self.session.lock().shell.has_background_jobs();
            let tick = match self.running {
                Some(Wake::At(t)) => tokio::time::Instant::from_std(t)
                    .saturating_duration_since(tokio::time::Instant::now()),
                Some(Wake::OnChange) => CHANGE_TICK,
                None if background => BACKGROUND_TICK,
                None => Duration::from_secs(3600),
            };
            let session = self.session.clone();
            let changed = session.changed.notified();
            tokio::select! {
                msg = self.socket.recv() => {
                    let Some(Ok(msg)) = msg else { break };
                    let ok = match msg {
                        Message::Text(text) => self.on_message(text.as_str()).await,
                        Message::Binary(_) => self.send(json!({"type": "error", "message": "binary messages are not part of the terminal protocol"})).await,
                        Message::Close(_) => break,
                        Message::Ping(_) | Message::Pong(_) => Ok(()),
                    };
                    if ok.is_err() {
                        break;
                    }
                }
                _ = changed, if self.running == Some(Wake::OnChange) => {
                    if self.poll().await.is_err() { break; }
                }
                _ = tokio::time::sleep(tick) => {
                    if self.poll().await.is_err() { break; }
                }
            }
        }
        // The terminal went away: its foreground line dies with it, as with a hang-up. Background
        // jobs (port-forwards) keep running for the session.
        if self.running.is_some() {
            self.with_state(|st| st.shell.interrupt(&mut st.cluster, &mut st.files));
        }
    }

    async fn on_message(&mut self, text: &str) -> Result<(), axum::Error> {
        let msg: ClientMessage = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                return self
                    .send(json!({"type": "error", "message": format!("unreadable message: {e}")}))
                    .await
            }
        };
        match msg {
            ClientMessage::Line { line } => {
                if self.running.is_some() {
                    if self.type_ahead.len() < MAX_TYPE_AHEAD {
                        self.type_ahead.push_back(line);
                    }
                    return Ok(());
                }
                self.run(line).await
            }
            ClientMessage::Interrupt => {
                self.type_ahead.clear();
                if self.running.is_none() {
                    return Ok(());
                }
                let step = self.with_state(|st| st.shell.interrupt(&mut st.cluster, &mut st.files));
                self.deliver(step).await
            }
            ClientMessage::Complete { line, cursor } => {
                let completions = self
                    .with_state(|st| st.shell.complete(&line, cursor, &mut st.cluster, &st.files));
                self.send(json!({"type": "completions", "start": completions.start, "candidates": completions.candidates}))
                    .await
            }
            ClientMessage::Resize { cols, rows: _ } => {
                self.session.lock().shell.columns = cols.clamp(20, 1000);
                Ok(())
            }
            ClientMessage::Edited { content } => {
                if self.running.is_none() {
                    return Ok(());
                }
                let step = self.with_state(|st| {
                    st.shell
                        .finish_edit(content, &mut st.cluster, &mut st.files)
                });
                self.deliver(step).await
            }
        }
    }

    async fn run(&mut self, line: String) -> Result<(), axum::Error> {
        // The same per-session command budget as `POST /shell`: over it, the line waits its turn
        // instead of failing, as a slow terminal would.
        if let Err(after) = command_limits()
            .commands
            .take(&self.session.id, std::time::Instant::now())
        {
            tokio::time::sleep(Duration::from_secs(after)).await;
        }
        // A session still coming back from a panic is waited for, not run on its stand-in.
        if let Some(p) = self
            .persistence
            .as_ref()
            .filter(|_| self.session.needs_restore())
        {
            p.recover(&self.session).await;
        }
        let step = self.with_state(|st| st.shell.start(&line, &mut st.cluster, &mut st.files));
        self.deliver(step).await
    }

    async fn poll(&mut self) -> Result<(), axum::Error> {
        let step = self.with_state(|st| st.shell.poll(&mut st.cluster, &mut st.files));
        if self.running.is_none() {
            // Only background output: no exit message.
            for c in step.chunks {
                self.send(json!({"type": "output", "stream": c.stream, "data": c.data}))
                    .await?;
            }
            return Ok(());
        }
        self.deliver(step).await
    }

    /// Sends a step's output, its edit request and, if the line ended, its exit; then starts the
    /// next typed-ahead line.
    async fn deliver(&mut self, mut step: Step) -> Result<(), axum::Error> {
        loop {
            for c in std::mem::take(&mut step.chunks) {
                self.send(json!({"type": "output", "stream": c.stream, "data": c.data}))
                    .await?;
            }
            if let Some(edit) = step.edit.take() {
                self.send(json!({"type": "edit", "path": edit.path, "content": edit.content}))
                    .await?;
            }
            match step.state {
                LineState::Running(wake) => {
                    self.running = Some(wake);
                    return Ok(());
                }
                LineState::Exited(code) => {
                    self.running = None;
                    // Attached to a container (`kubectl exec -it`), its shell's prompt is drawn.
                    let prompt = self.session.lock().shell.prompt();
                    self.send(json!({"type": "exit", "code": code, "prompt": prompt}))
                        .await?;
                }
            }
            let Some(next) = self.type_ahead.pop_front() else {
                return Ok(());
            };
            step = self.with_state(|st| st.shell.start(&next, &mut st.cluster, &mut st.files));
        }
    }

    /// Runs `f` on the session's state with its clock caught up to now, then wakes whoever waits
    /// on the session's changes (watches, the cluster view). Never held across an await. A panic
    /// of the simulation ends the line with the terminal's message (see `Session::run`).
    fn with_state<R: AfterPanic>(&self, f: impl FnOnce(&mut SessionState) -> R) -> R {
        let r = self.session.run(f).unwrap_or_else(|_| R::after_panic());
        self.session.changed.notify_waiters();
        r
    }

    async fn send(&mut self, value: serde_json::Value) -> Result<(), axum::Error> {
        self.socket
            .send(Message::Text(Utf8Bytes::from(value.to_string())))
            .await
    }
}

/// What the terminal gets in place of a result when the simulation panicked.
trait AfterPanic {
    fn after_panic() -> Self;
}

impl AfterPanic for Step {
    /// The line ends with the message, as a crashed command would.
    fn after_panic() -> Step {
        Step {
            chunks: vec![shell::Chunk {
                stream: shell::Stream::Stderr,
                data: crate::sessions::Panicked::TERMINAL_MESSAGE.to_string(),
            }],
            state: LineState::Exited(1),
            edit: None,
        }
    }
}

impl AfterPanic for shell::complete::Completions {
    fn after_panic() -> Self {
        Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_must_match_host() {
        let mut h = HeaderMap::new();
        assert!(same_origin(&h));
        h.insert(header::HOST, "localhost:8080".parse().unwrap());
        h.insert(header::ORIGIN, "http://localhost:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
    }
}
