//! Processes that keep running after their line was started, and the pipelines around them.
//!
//! A running pipeline has one source (the process that blocks) and the commands after it in the
//! pipeline as filters, fed its output as it comes: `kubectl get pods -w | grep web` shows matching
//! lines live, `| head -3` ends the pipeline after three lines, `| wc -l` answers when it ends.

use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

use crate::commands::{self, text, Done};
use crate::exec::{Cx, Sink};
use crate::syntax::{Pipeline, Separator};
use crate::Wake;

/// A process that runs for a while.
pub(crate) enum Process {
    /// `sleep N`.
    Sleep { until: Instant },
    /// `kubectl port-forward`: serves until stopped.
    PortForward(commands::port_forward::Forward),
    /// A command that hangs and then fails (curl to an unreachable address until its timeout).
    Stall { until: Instant, then: Done },
    /// `kubectl edit`, waiting for the editor.
    Edit(commands::edit::Edit),
    /// A kubectl command that follows the cluster (`kubectl rollout status`).
    Kubectl(Box<dyn kubectl::Running>),
}

/// What a poll of a process produced.
pub(crate) struct Progress {
    pub output: Done,
    /// `Some(status)` when the process ended.
    pub exit: Option<i32>,
    pub wake: Wake,
}

impl Process {
    pub fn poll(&mut self, cx: &mut Cx) -> Progress {
        let now = Instant::now();
        match self {
            Process::Sleep { until } => Progress {
                output: Done::default(),
                exit: (now >= *until).then_some(0),
                wake: Wake::At(*until),
            },
            Process::Stall { until, then } => {
                if now >= *until {
                    let out = std::mem::take(then);
                    let code = out.code;
                    Progress {
                        output: out,
                        exit: Some(code),
                        wake: Wake::At(*until),
                    }
                } else {
                    Progress {
                        output: Done::default(),
                        exit: None,
                        wake: Wake::At(*until),
                    }
                }
            }
            Process::PortForward(f) => {
                let mut output = Done::out(std::mem::take(&mut f.pending));
                let exit = f.failure.take().map(|stderr| {
                    output.stderr = stderr;
                    output.code = 1;
                    1
                });
                Progress {
                    output,
                    exit,
                    wake: Wake::OnChange,
                }
            }
            Process::Edit(e) => e.poll(cx),
            Process::Kubectl(k) => {
                let mut transport = apiserver::InProcess {
                    cluster: cx.rt.cluster(),
                };
                let (out, exit) = k.poll(&mut transport);
                Progress {
                    output: commands::Done {
                        stdout: out.stdout,
                        stderr: out.stderr,
                        code: out.exit_code,
                    },
                    exit,
                    wake: Wake::OnChange,
                }
            }
        }
    }

    /// The local port of a port-forward.
    pub fn forwarded_port(&mut self) -> Option<&mut commands::port_forward::Forward> {
        match self {
            Process::PortForward(f) => Some(f),
            _ => None,
        }
    }
}

/// A command after the running one in a pipeline.
pub(crate) enum Filter {
    /// `grep`: line by line, so matches show up as they come.
    Grep {
        grep: text::Grep,
        partial: String,
        matched: usize,
    },
    /// `head -n N`: ends the pipeline after N lines (the source gets SIGPIPE).
    Head { remaining: usize, partial: String },
    /// `cat` with no files: passes everything through.
    Cat,
    /// Any other command: gets the whole stream when it ends.
    Buffered { argv: Vec<String>, input: String },
}

/// Longest stream a buffered filter keeps (`kubectl get pods -w | wc -l` left running for hours).
const MAX_BUFFERED: usize = 1024 * 1024;

impl Filter {
    pub fn new(argv: Vec<String>) -> Filter {
        match argv.first().map(String::as_str) {
            Some("grep") | Some("egrep") => match text::Grep::parse(&argv) {
                Ok(grep) if grep.files.is_empty() && !grep.count => {
                    return Filter::Grep {
                        grep,
                        partial: String::new(),
                        matched: 0,
                    }
                }
                _ => {}
            },
            Some("head") => {
                if let Ok(h) = text::HeadTail::parse(&argv) {
                    if h.files.is_empty() {
                        return Filter::Head {
                            remaining: h.lines,
                            partial: String::new(),
                        };
                    }
                }
            }
            Some("cat") if argv.len() == 1 => return Filter::Cat,
            _ => {}
        }
        Filter::Buffered {
            argv,
            input: String::new(),
        }
    }

    /// Feeds text; returns what passes on, and whether the filter has closed its input.
    pub fn push(&mut self, text: &str) -> (String, bool) {
        match self {
            Filter::Cat => (text.to_string(), false),
            Filter::Grep {
                grep,
                partial,
                matched,
            } => {
                partial.push_str(text);
                let mut out = String::new();
                while let Some(i) = partial.find('\n') {
                    let line: String = partial.drain(..=i).collect();
                    if let Some(l) = grep.filter_line(&line[..line.len() - 1]) {
                        *matched += 1;
                        out.push_str(&l);
                        out.push('\n');
                    }
                }
                (out, false)
            }
            Filter::Head { remaining, partial } => {
                partial.push_str(text);
                let mut out = String::new();
                while *remaining > 0 {
                    let Some(i) = partial.find('\n') else { break };
                    out.extend(partial.drain(..=i));
                    *remaining -= 1;
                }
                (out, *remaining == 0)
            }
            Filter::Buffered { input, .. } => {
                if input.len() + text.len() <= MAX_BUFFERED {
                    input.push_str(text);
                }
                (String::new(), false)
            }
        }
    }

    /// The input ended: what is left to print, and the filter's exit status.
    pub fn finish(&mut self, cx: &mut Cx) -> Done {
        match self {
            Filter::Cat => Done::default(),
            Filter::Grep {
                grep,
                partial,
                matched,
            } => {
                let mut out = String::new();
                if !partial.is_empty() {
                    if let Some(l) = grep.filter_line(partial) {
                        *matched += 1;
                        out.push_str(&l);
                        out.push('\n');
                    }
                }
                Done {
                    stdout: out,
                    stderr: String::new(),
                    code: if *matched > 0 { 0 } else { 1 },
                }
            }
            Filter::Head { remaining, partial } => {
                let out = if *remaining > 0 {
                    std::mem::take(partial)
                } else {
                    String::new()
                };
                Done::out(out)
            }
            Filter::Buffered { argv, input } => {
                match commands::run(cx, argv, Some(std::mem::take(input))) {
                    commands::Proc::Done(d) => d,
                    // A filter that would itself block is stopped at once.
                    commands::Proc::Running(_, d) => Done { code: 130, ..d },
                }
            }
        }
    }
}

/// A pipeline whose source keeps running.
pub(crate) struct RunningPipeline {
    pub process: Process,
    pub filters: Vec<Filter>,
    /// Where the source's stdout goes: [`Sink::Pipe`] means through the filters to `output`.
    pub stdout: Sink,
    pub stderr: Sink,
    /// Where the pipeline's final output goes.
    pub output: Sink,
    /// Set when a filter closed its input (`head` is satisfied).
    pub closed: bool,
}

impl RunningPipeline {
    /// Routes a piece of the source's output.
    pub fn emit(&mut self, cx: &mut Cx, out: Done) {
        let mut piped = String::new();
        cx.write(&self.stdout, &out.stdout, &mut piped);
        cx.write(&self.stderr, &out.stderr, &mut piped);
        if piped.is_empty() || self.closed {
            return;
        }
        let mut text = piped;
        for f in &mut self.filters {
            let (t, closed) = f.push(&text);
            text = t;
            if closed {
                self.closed = true;
            }
        }
        let output = self.output.clone();
        cx.write(&output, &text, &mut String::new());
    }

    /// The source ended (or was closed by a filter): flush the filters; the pipeline's status.
    pub fn finish(&mut self, cx: &mut Cx, source_status: i32) -> i32 {
        let mut carry = String::new();
        let mut status = source_status;
        let mut filters = std::mem::take(&mut self.filters);
        for f in &mut filters {
            let (mut text, _) = f.push(&carry);
            let done = f.finish(cx);
            text.push_str(&done.stdout);
            if !done.stderr.is_empty() {
                cx.emit(crate::Stream::Stderr, &done.stderr);
            }
            carry = text;
            status = done.code;
        }
        let output = self.output.clone();
        cx.write(&output, &carry, &mut String::new());
        status
    }

    /// Advances the source. `Some(status)` when the pipeline has ended.
    pub fn poll(&mut self, cx: &mut Cx) -> (Option<i32>, Wake) {
        let p = self.process.poll(cx);
        self.emit(cx, p.output);
        if let Some(code) = p.exit {
            return (Some(self.finish(cx, code)), p.wake);
        }
        if self.closed {
            // The source dies of SIGPIPE; the pipeline's status is the last filter's.
            self.stop(cx);
            return (Some(self.finish(cx, 141)), p.wake);
        }
        (None, p.wake)
    }

    /// Ends the source without flushing the filters (Ctrl-C kills the whole pipeline).
    /// A port-forward stops listening as soon as its job is dropped: forwards are found by
    /// looking through the running jobs.
    pub fn stop(&mut self, _cx: &mut Cx) {
        if let Process::Edit(e) = &mut self.process {
            e.cancel();
        }
    }
}

/// The line in the foreground: its running pipeline and the rest of the line after it.
pub(crate) struct Foreground {
    pub pipeline: RunningPipeline,
    pub rest: VecDeque<(Pipeline, Separator)>,
    /// The separator after the running pipeline (decides whether the rest runs).
    pub separator: Separator,
}

/// A job started with `&`.
pub(crate) struct BackgroundJob {
    pub id: usize,
    pub pid: u32,
    /// The command as typed, for `jobs` and the Done notice.
    pub text: String,
    pub pipeline: Option<RunningPipeline>,
    /// Set once finished, until the notice is printed.
    pub finished: Option<JobEnd>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobEnd {
    Exit(i32),
    Terminated,
}

/// The running processes of a shell. Not part of its saved state: cloning gives none.
#[derive(Default)]
pub(crate) struct Jobs {
    pub foreground: Option<Foreground>,
    pub background: Vec<BackgroundJob>,
    /// Set by `fg` for the line to take over.
    pub pending_foreground: Option<Foreground>,
    pub last_pid: u32,
}

impl Clone for Jobs {
    fn clone(&self) -> Jobs {
        Jobs {
            last_pid: self.last_pid,
            ..Jobs::default()
        }
    }
}

impl fmt::Debug for Jobs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jobs")
            .field("foreground", &self.foreground.is_some())
            .field("background", &self.background.len())
            .finish()
    }
}

impl Jobs {
    /// A new process id: increasing, like a real kernel's, starting where a fresh laptop would be.
    pub fn next_pid(&mut self) -> u32 {
        self.last_pid = if self.last_pid == 0 {
            4187
        } else {
            self.last_pid + fastrand_step(self.last_pid)
        };
        self.last_pid
    }

    pub fn next_id(&self) -> usize {
        self.background.iter().map(|j| j.id).max().unwrap_or(0) + 1
    }
}

/// Other processes start between ours, so pids do not follow one another exactly.
fn fastrand_step(last: u32) -> u32 {
    1 + (last.wrapping_mul(2_654_435_761) >> 28) % 7
}
