//! `kubectl exec -it POD -- sh` in the terminal: the learner's lines go to a shell inside the
//! container until it exits.
//!
//! The real kubectl would put the terminal in raw mode and stream keystrokes to the container's
//! pty. The browser terminal already edits lines itself, so here each finished line is run by the
//! container's shell ([`cluster::kubelet::exec::ExecProcess`]), and the terminal draws the
//! container's prompt (`/ # ` for busybox, `# ` for Debian's `sh`, `root@web:/# ` for `bash`,
//! see [`crate::Shell::prompt`]). `exit` (or Ctrl-D at an empty prompt, which the terminal sends
//! as a line holding the EOT character) returns to the learner's shell, with kubectl's
//! `command terminated with exit code N` when the shell's status is not 0. A command that is not
//! a shell (`kubectl exec -it web -- ls`) runs at once, with stderr joined to stdout as on a pty.

use cluster::kubelet::exec::{ExecError, ExecOutput, ExecProcess};

use super::{Done, Proc};
use crate::exec::Cx;
use crate::Stream;

/// An exec session attached to the terminal.
#[derive(Clone, Debug)]
pub struct ContainerShell {
    process: ExecProcess,
    namespace: String,
    pod: String,
    container: String,
}

impl ContainerShell {
    pub fn prompt(&self) -> Option<String> {
        self.process.prompt()
    }
}

/// The character Ctrl-D produces; the terminal sends it alone on a line.
pub const EOT: &str = "\u{4}";

/// Whether `kubectl ARGS` asks for stdin and a terminal (`-it`, `-ti`, `-i -t`, `--stdin --tty`).
pub(crate) fn wants_terminal(args: &[String]) -> bool {
    if args.first().map(String::as_str) != Some("exec") {
        return false;
    }
    let flags: Vec<&String> = args[1..].iter().take_while(|a| *a != "--").collect();
    let short = |c: char| {
        flags.iter().any(|a| {
            a.starts_with('-') && !a.starts_with("--") && a[1..].contains(c) && a.len() <= 4
        })
    };
    let long = |n: &str| flags.iter().any(|a| *a == n || **a == format!("{n}=true"));
    (short('i') || long("--stdin")) && (short('t') || long("--tty"))
}

/// Printed output as the pty shows it: one stream.
fn tty_text(out: &ExecOutput) -> String {
    out.chunks.iter().map(|(_, t)| t.as_str()).collect()
}

/// Starts `kubectl exec -it` (ARGS without `exec`).
pub(crate) fn start(cx: &mut Cx, args: &[String]) -> Proc {
    let namespace = cx.sh.namespace();
    let files = crate::workspace::Files::new();
    let mut transport = apiserver::InProcess {
        cluster: cx.rt.cluster(),
    };
    let mut ctx = kubectl::Context {
        transport: &mut transport,
        files: &files,
        namespace,
    };
    let prepared = match kubectl::cmd::exec::prepare(args, &mut ctx, &mut cx.sh.kubeconfig) {
        Ok(p) => p,
        Err(out) => {
            return Done {
                stdout: out.stdout,
                stderr: out.stderr,
                code: out.exit_code,
            }
            .into()
        }
    };
    let cluster = cx.rt.cluster();
    let container = match cluster.exec_container(
        &prepared.namespace,
        &prepared.pod,
        Some(&prepared.container),
        true,
    ) {
        Ok(c) => c,
        Err(e) => {
            let message = match e {
                ExecError::Api(s) => {
                    let reason = if s.reason.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", s.reason)
                    };
                    format!("Error from server{reason}: {}\n", s.message)
                }
                ExecError::Kubelet(t) => format!("error: unable to upgrade connection: {t}\n"),
            };
            return Done::err(format!("{}{message}", prepared.notices), 1).into();
        }
    };
    let (process, first) =
        ExecProcess::start(cluster, container, &prepared.invocation.command, true, true);
    if process.is_interactive() {
        cx.sh.container = Some(ContainerShell {
            process,
            namespace: prepared.namespace,
            pod: prepared.pod,
            container: prepared.container,
        });
        // The first prompt is drawn by the terminal from `Shell::prompt`.
        return Done::err(prepared.notices, 0).into();
    }
    let code = first.exit_code;
    let mut stderr = prepared.notices;
    if code != 0 {
        stderr.push_str(&format!("command terminated with exit code {code}\n"));
    }
    Done {
        stdout: tty_text(&first),
        stderr,
        code,
    }
    .into()
}

/// `... | kubectl exec -i POD -- COMMAND`: the pipe is the command's stdin (without `-i` it is
/// not read, as with the real kubectl).
pub(crate) fn piped(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Proc {
    let namespace = cx.sh.namespace();
    let files = crate::workspace::Files::new();
    let mut transport = apiserver::InProcess {
        cluster: cx.rt.cluster(),
    };
    let mut ctx = kubectl::Context {
        transport: &mut transport,
        files: &files,
        namespace,
    };
    let out = kubectl::cmd::exec::run_with_stdin(
        args,
        &mut ctx,
        &mut cx.sh.kubeconfig,
        stdin.as_deref().unwrap_or(""),
    );
    Done {
        stdout: out.stdout,
        stderr: out.stderr,
        code: out.exit_code,
    }
    .into()
}

/// Runs one line typed while attached; returns its status. Leaves the session when the shell
/// exits or its container is gone.
pub(crate) fn line(cx: &mut Cx, line: &str) -> i32 {
    let Some(mut session) = cx.sh.container.take() else {
        return 0;
    };
    // The container may have stopped since the last line (pod deleted, crash, restart): the
    // stream breaks and kubectl reports the runtime's kill.
    let same = cx
        .rt
        .cluster()
        .exec_container(
            &session.namespace,
            &session.pod,
            Some(&session.container),
            true,
        )
        .is_ok();
    if !same {
        cx.emit(Stream::Stderr, "command terminated with exit code 137\n");
        return 137;
    }
    let out = if line == EOT {
        // bash says `exit` on Ctrl-D; busybox ash and dash just end.
        if session.prompt().is_some_and(|p| p.starts_with("root@")) {
            cx.emit(Stream::Stdout, "exit\n");
        }
        session.process.close_stdin(cx.rt.cluster())
    } else {
        session.process.input_line(cx.rt.cluster(), line)
    };
    let text = tty_text(&out);
    cx.emit(Stream::Stdout, &text);
    if session.process.is_done() {
        let code = session.process.exit_code().unwrap_or(0);
        if code != 0 {
            cx.emit(
                Stream::Stderr,
                &format!("command terminated with exit code {code}\n"),
            );
        }
        return code;
    }
    let code = out.exit_code;
    cx.sh.container = Some(session);
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn only_stdin_with_a_terminal_attaches() {
        assert!(wants_terminal(&s(&["exec", "-it", "web", "--", "sh"])));
        assert!(wants_terminal(&s(&["exec", "web", "-t", "-i", "--", "sh"])));
        assert!(wants_terminal(&s(&[
            "exec", "--stdin", "--tty", "web", "--", "sh"
        ])));
        assert!(!wants_terminal(&s(&["exec", "-i", "web", "--", "sh"])));
        assert!(!wants_terminal(&s(&["exec", "web", "--", "sh", "-it"])));
        assert!(!wants_terminal(&s(&["logs", "-it"])));
    }
}
