//! The commands the shell knows: builtins, text tools, kubectl and the laptop's tools.

pub(crate) mod builtins;
pub(crate) mod container_shell;
pub(crate) mod curl;
pub(crate) mod docker;
pub(crate) mod edit;
pub(crate) mod kind;
pub(crate) mod kubectl;
pub mod laptop;
pub(crate) mod minikube;
pub(crate) mod port_forward;
pub(crate) mod text;

use crate::exec::Cx;
use crate::jobs::Process;

/// A finished command's output and exit status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Done {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Done {
    pub fn out(stdout: impl Into<String>) -> Done {
        Done {
            stdout: stdout.into(),
            ..Done::default()
        }
    }

    pub fn err(stderr: impl Into<String>, code: i32) -> Done {
        Done {
            stderr: stderr.into(),
            code,
            ..Done::default()
        }
    }

    pub fn status(code: i32) -> Done {
        Done {
            code,
            ..Done::default()
        }
    }
}

/// How a command started: finished, or still running with what it printed so far.
pub(crate) enum Proc {
    Done(Done),
    Running(Process, Done),
}

impl From<Done> for Proc {
    fn from(d: Done) -> Proc {
        Proc::Done(d)
    }
}

/// The commands a learner may expect that are not simulated, with nothing else to say than
/// bash's own answer.
pub(crate) fn command_names() -> &'static [&'static str] {
    &[
        "alias", "base64", "cat", "cd", "clear", "cp", "curl", "docker", "echo", "env", "export",
        "false", "fg", "grep", "egrep", "head", "history", "jobs", "kill", "kind", "kubectl", "ls",
        "minikube", "mv", "printenv", "pwd", "rm", "sleep", "sort", "tail", "touch", "true",
        "type", "unalias", "unset", "wc", "whoami", "which", "hostname", "uniq", "help",
    ]
}

/// Runs one command with its arguments.
pub(crate) fn run(cx: &mut Cx, argv: &[String], stdin: Option<String>) -> Proc {
    let Some(name) = argv.first() else {
        return Done::default().into();
    };
    let args = &argv[1..];
    match name.as_str() {
        "kubectl" => kubectl::run(cx, args, stdin),
        "minikube" => minikube::run(cx, args, stdin),
        "kind" => kind::run(cx, args).into(),
        "docker" => docker::run(cx, args, stdin).into(),
        "curl" => curl::run(cx, args),
        "sleep" => builtins::sleep(args),
        "grep" => text::grep(cx, argv, stdin).into(),
        "egrep" => {
            let mut v = vec!["grep".to_string(), "-E".to_string()];
            v.extend(args.iter().cloned());
            text::grep(cx, &v, stdin).into()
        }
        "head" => text::head_tail(cx, argv, stdin, true).into(),
        "tail" => text::head_tail(cx, argv, stdin, false).into(),
        "wc" => text::wc(cx, args, stdin).into(),
        "base64" => text::base64(cx, args, stdin).into(),
        "sort" => text::sort(cx, args, stdin).into(),
        "uniq" => text::uniq(cx, args, stdin).into(),
        "cat" => text::cat(cx, args, stdin).into(),
        _ => match builtins::run(cx, name, args, stdin) {
            Some(p) => p,
            None => not_found(cx, name).into(),
        },
    }
}

fn not_found(cx: &Cx, name: &str) -> Done {
    if name.contains('/') {
        return match cx.read(name) {
            Ok(_) => Done::err(format!("bash: {name}: Permission denied\n"), 126),
            Err(e) => Done::err(format!("bash: {name}: {}\n", e.message()), 127),
        };
    }
    Done::err(format!("{name}: command not found\n"), 127).prefixed()
}

impl Done {
    /// bash prefixes its own errors with `bash: `.
    fn prefixed(mut self) -> Done {
        self.stderr = format!("bash: {}", self.stderr);
        self
    }
}
