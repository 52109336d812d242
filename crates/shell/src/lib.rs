//! The learner's shell: what runs when a line is typed into the terminal.
//!
//! A small bash: quotes, variables, `$(...)`, pipes, `&&`/`||`/`;`, `&` background jobs and
//! redirections into the workspace files (the editor's files are the shell's current directory).
//! Commands are builtins (`echo`, `grep`, `head`, `base64`, `ls`, ...), the emulated `kubectl`, and
//! the laptop tools the course uses (`minikube`, `kind`, `docker`, `curl`), simulated on the
//! session's cluster. Nothing here starts a real process or touches the server's file system.
//!
//! Some commands keep running (`sleep`, `kubectl port-forward`, `kubectl edit`, streaming
//! kubectl): [`Shell::start`] returns while they run, [`Shell::poll`] advances them, and
//! [`Shell::interrupt`] is Ctrl-C. [`Shell::run_line`] is the one-shot form behind
//! `POST /api/sessions/{id}/shell`: it runs a line until it would block, then interrupts it.

mod commands;
pub mod complete;
mod exec;
mod jobs;
pub mod runtime;
pub mod syntax;
pub mod workspace;

use std::collections::BTreeMap;
use std::time::Instant;

pub use complete::Completions;
pub use kubectl::Output;
pub use runtime::Runtime;
pub use workspace::Files;

/// Which terminal stream a piece of output belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A piece of output, in the order the terminal shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub stream: Stream,
    pub data: String,
}

/// When a running line wants to be polled again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// At this instant (a `sleep` ending, a timeout).
    At(Instant),
    /// When the cluster may have changed, or the learner acts (a watch, a port-forward, an editor).
    OnChange,
}

/// Whether the foreground line has finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Exited(i32),
    Running(Wake),
}

/// `kubectl edit` asks the terminal's client to open a document in the editor; the client answers
/// with [`Shell::finish_edit`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EditRequest {
    /// The temporary file name kubectl would have used (`/tmp/kubectl-edit-1234567890.yaml`).
    pub path: String,
    pub content: String,
}

/// What one call into the shell printed and where the line stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub chunks: Vec<Chunk>,
    pub state: State,
    pub edit: Option<EditRequest>,
}

impl Step {
    /// Everything printed, split into the two streams.
    pub fn output(&self) -> (String, String) {
        let mut out = (String::new(), String::new());
        for c in &self.chunks {
            match c.stream {
                Stream::Stdout => out.0.push_str(&c.data),
                Stream::Stderr => out.1.push_str(&c.data),
            }
        }
        out
    }
}

/// A shell variable.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Variable {
    pub value: String,
    /// Exported variables are what `env` shows.
    pub exported: bool,
}

/// How many lines `history` keeps (bash's default HISTSIZE).
pub const HISTORY_SIZE: usize = 500;

/// A terminal's state that outlives one line. It serialises (with the session) except for running
/// processes, which a server restart ends as a closed terminal would.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Shell {
    /// kubectl's contexts and current context (`kubectl config ...` changes them), which the real
    /// kubectl keeps in `~/.kube/config`.
    pub kubeconfig: kubectl::KubeConfig,
    pub history: Vec<String>,
    pub vars: BTreeMap<String, Variable>,
    pub aliases: BTreeMap<String, String>,
    /// `$?`.
    pub last_status: i32,
    /// The simulated laptop's Docker, minikube and kind.
    pub laptop: commands::laptop::Laptop,
    /// The terminal width, for `ls` columns.
    pub columns: u16,
    /// The current directory, as a workspace key (`""` is `$HOME`, the workspace root).
    pub cwd: String,
    /// Directories made with `mkdir` that hold no file yet (the workspace stores files only).
    pub dirs: std::collections::BTreeSet<String>,
    #[serde(skip)]
    jobs: jobs::Jobs,
    /// kubectl's discovery cache (`~/.kube/cache`), refilled by the first command after a restore.
    #[serde(skip)]
    pub(crate) discovery: kubectl::discovery::Cache,
    /// A container shell the terminal is attached to (`kubectl exec -it`). Not kept across a
    /// server restart, which ends the stream as a dropped connection would.
    #[serde(skip)]
    container: Option<commands::container_shell::ContainerShell>,
}

impl Default for Shell {
    fn default() -> Shell {
        let vars = [
            ("HOME", workspace::HOME),
            ("USER", "learner"),
            ("LOGNAME", "learner"),
            ("SHELL", "/bin/bash"),
            ("PATH", "/usr/local/bin:/usr/bin:/bin"),
            ("PWD", workspace::HOME),
            ("TERM", "xterm-256color"),
            ("LANG", "C.UTF-8"),
            ("HOSTNAME", "laptop"),
        ]
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                Variable {
                    value: v.to_string(),
                    exported: true,
                },
            )
        })
        .collect();
        Shell {
            kubeconfig: kubectl::KubeConfig::default(),
            history: Vec::new(),
            vars,
            // The course writes `k` for kubectl everywhere; a learner's laptop would have this alias.
            aliases: [("k".to_string(), "kubectl".to_string())]
                .into_iter()
                .collect(),
            last_status: 0,
            laptop: commands::laptop::Laptop::default(),
            columns: 80,
            cwd: String::new(),
            dirs: Default::default(),
            jobs: jobs::Jobs::default(),
            discovery: Default::default(),
            container: None,
        }
    }
}

impl Shell {
    /// The namespace of kubectl's current context.
    pub fn namespace(&self) -> String {
        self.kubeconfig.namespace()
    }

    /// The prompt to draw when it is not the learner's own: the container shell's while attached
    /// by `kubectl exec -it` (`/ # `, `# `, `root@web:/# `).
    pub fn prompt(&self) -> Option<String> {
        self.container.as_ref().and_then(|c| c.prompt())
    }

    /// Starts one line: runs it until it finishes or blocks.
    pub fn start(&mut self, line: &str, rt: &mut dyn Runtime, files: &mut Files) -> Step {
        exec::start(self, line, rt, files)
    }

    /// Advances whatever is running (the foreground line and background jobs).
    pub fn poll(&mut self, rt: &mut dyn Runtime, files: &mut Files) -> Step {
        exec::poll(self, rt, files)
    }

    /// Ctrl-C: stops the foreground line (exit status 130).
    pub fn interrupt(&mut self, rt: &mut dyn Runtime, files: &mut Files) -> Step {
        exec::interrupt(self, rt, files)
    }

    /// The editor closed the document of a pending `kubectl edit`: `Some(text)` is what was saved,
    /// `None` means closed without saving.
    pub fn finish_edit(
        &mut self,
        content: Option<String>,
        rt: &mut dyn Runtime,
        files: &mut Files,
    ) -> Step {
        exec::finish_edit(self, content, rt, files)
    }

    /// Whether a foreground line is still running.
    pub fn is_running(&self) -> bool {
        self.jobs.foreground.is_some()
    }

    /// Whether background jobs are running (they may print later).
    pub fn has_background_jobs(&self) -> bool {
        !self.jobs.background.is_empty()
    }

    /// Runs a line to completion the way a script would see it in the terminal: what it prints until
    /// it would block, after which it is interrupted as if by Ctrl-C (a watch, `sleep`, or a
    /// `kubectl edit` cannot wait for a script).
    pub fn run_line(&mut self, line: &str, rt: &mut dyn Runtime, files: &mut Files) -> Output {
        let mut step = self.start(line, rt, files);
        let mut chunks = std::mem::take(&mut step.chunks);
        if let State::Running(_) = step.state {
            let mut stop = self.interrupt(rt, files);
            chunks.append(&mut stop.chunks);
            step.state = stop.state;
        }
        let code = match step.state {
            State::Exited(c) => c,
            State::Running(_) => 130,
        };
        let mut out = Output {
            exit_code: code,
            ..Output::default()
        };
        for c in chunks {
            match c.stream {
                Stream::Stdout => out.stdout.push_str(&c.data),
                Stream::Stderr => out.stderr.push_str(&c.data),
            }
        }
        out
    }

    /// Tab completion of `line` at byte offset `cursor`.
    pub fn complete(
        &self,
        line: &str,
        cursor: usize,
        rt: &mut dyn Runtime,
        files: &Files,
    ) -> Completions {
        if self.container.is_some() {
            // Inside a container, kubectl's and the laptop's completions do not apply.
            return Completions {
                start: cursor.min(line.len()),
                candidates: Vec::new(),
            };
        }
        complete::complete(self, line, cursor, rt, files)
    }

    /// A variable's value.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.value.as_str())
    }
}
