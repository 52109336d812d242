//! Running parsed lines: expansions, redirections, pipelines, `&&`/`||`, background jobs.

use std::collections::VecDeque;

use crate::commands::{self, Proc};
use crate::jobs::{BackgroundJob, Filter, Foreground, JobEnd, RunningPipeline};
use crate::runtime::Runtime;
use crate::syntax::{self, Command, Part, Pipeline, Separator, Target, Word};
use crate::workspace::{self, Files};
use crate::{Chunk, EditRequest, Shell, State, Step, Stream, Wake, HISTORY_SIZE};

/// Everything a command can touch while it runs.
pub(crate) struct Cx<'a> {
    pub sh: &'a mut Shell,
    pub rt: &'a mut dyn Runtime,
    pub files: &'a mut Files,
    pub out: Vec<Chunk>,
    pub edit: Option<EditRequest>,
    /// Substitutions nest; each level runs with its own output.
    pub depth: usize,
}

/// Where a stream goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Sink {
    Terminal(Stream),
    /// Into the next command of the pipeline.
    Pipe,
    /// Appended to a workspace file (truncated when the redirection was set up, for `>`).
    File(String),
    Null,
}

/// Most output one step keeps: past this, output is dropped with a note, so a runaway command
/// cannot exhaust the server's memory.
pub const MAX_STEP_OUTPUT: usize = 4 * 1024 * 1024;

impl Cx<'_> {
    pub fn emit(&mut self, stream: Stream, data: &str) {
        if data.is_empty() {
            return;
        }
        let used: usize = self.out.iter().map(|c| c.data.len()).sum();
        if used >= MAX_STEP_OUTPUT {
            return;
        }
        let room = MAX_STEP_OUTPUT - used;
        let data = if data.len() > room {
            let mut cut = room;
            while !data.is_char_boundary(cut) {
                cut -= 1;
            }
            &data[..cut]
        } else {
            data
        };
        match self.out.last_mut() {
            Some(last) if last.stream == stream => last.data.push_str(data),
            _ => self.out.push(Chunk {
                stream,
                data: data.to_string(),
            }),
        }
    }

    /// Writes to a sink; pipe output is collected in `piped`.
    pub fn write(&mut self, sink: &Sink, data: &str, piped: &mut String) {
        if data.is_empty() {
            return;
        }
        match sink {
            Sink::Terminal(s) => self.emit(*s, data),
            Sink::Pipe => piped.push_str(data),
            Sink::Null => {}
            Sink::File(key) => {
                if workspace::has_room(self.files, key, data.len()) {
                    self.files.entry(key.clone()).or_default().push_str(data);
                } else {
                    self.emit(
                        Stream::Stderr,
                        &format!("bash: {key}: write error: {}\n", workspace::NO_SPACE),
                    );
                }
            }
        }
    }

    /// The workspace key of a path typed in the current directory.
    pub fn resolve(&self, path: &str) -> Result<Option<String>, workspace::PathError> {
        workspace::resolve_in(&self.sh.cwd, path)
    }

    pub fn read(&self, path: &str) -> Result<&str, workspace::PathError> {
        workspace::read(self.files, &self.sh.cwd, path)
    }

    pub fn writable(&self, path: &str) -> Result<String, workspace::PathError> {
        workspace::writable(self.files, &self.sh.cwd, path)
    }

    /// Whether a key is a directory: one holding files, or one made with `mkdir`.
    pub fn is_dir(&self, key: &str) -> bool {
        workspace::is_dir(self.files, key) || self.sh.dirs.contains(key)
    }

    /// The entries of a directory (`None` = the root), directories with a trailing `/`.
    pub fn list_dir(&self, dir: Option<&str>) -> Vec<String> {
        let mut entries = workspace::list_dir(self.files, dir);
        let prefix = dir.map(|d| format!("{d}/")).unwrap_or_default();
        for d in &self.sh.dirs {
            if let Some(rest) = d.strip_prefix(&prefix) {
                let entry = format!("{}/", rest.split('/').next().unwrap_or(rest));
                if !rest.is_empty() && !entries.contains(&entry) {
                    entries.push(entry);
                }
            }
        }
        entries.sort_by(|a, b| a.trim_end_matches('/').cmp(b.trim_end_matches('/')));
        entries
    }

    fn step(self, state: State) -> Step {
        Step {
            chunks: self.out,
            state,
            edit: self.edit,
        }
    }
}

pub(crate) fn start(sh: &mut Shell, line: &str, rt: &mut dyn Runtime, files: &mut Files) -> Step {
    let mut cx = Cx {
        sh,
        rt,
        files,
        out: Vec::new(),
        edit: None,
        depth: 0,
    };
    if cx.sh.jobs.foreground.is_some() {
        // The client should wait for the exit message; a line typed meanwhile is refused rather
        // than run under the running one.
        cx.emit(
            Stream::Stderr,
            "bash: a command is still running; press Ctrl-C to stop it\n",
        );
        return cx.step(State::Running(Wake::OnChange));
    }
    if line.len() > syntax::MAX_LINE_BYTES {
        cx.emit(Stream::Stderr, "bash: line too long\n");
        cx.sh.last_status = 1;
        return cx.step(State::Exited(1));
    }
    // Attached to a container by `kubectl exec -it`: the line is the container shell's,
    // and stays out of the learner's own history.
    if cx.sh.container.is_some() {
        let code = crate::commands::container_shell::line(&mut cx, line);
        return cx.step(State::Exited(code));
    }
    let trimmed = line.trim();
    if !trimmed.is_empty() {
        let h = &mut cx.sh.history;
        if h.last().map(String::as_str) != Some(trimmed) {
            h.push(trimmed.to_string());
        }
        if h.len() > HISTORY_SIZE {
            let excess = h.len() - HISTORY_SIZE;
            h.drain(..excess);
        }
    }
    let list = match syntax::parse(line) {
        Ok(list) => list,
        Err(e) => {
            cx.emit(Stream::Stderr, &format!("{e}\n"));
            cx.sh.last_status = 2;
            return cx.step(State::Exited(2));
        }
    };
    let state = run_items(&mut cx, list.into(), Separator::Then);
    poll_background(&mut cx);
    cx.step(state)
}

/// Runs list items in order until one blocks; `prev` is the separator before the first one.
fn run_items(
    cx: &mut Cx,
    mut items: VecDeque<(Pipeline, Separator)>,
    mut prev: Separator,
) -> State {
    while let Some((pipeline, sep)) = items.pop_front() {
        let status = cx.sh.last_status;
        let runs = match prev {
            Separator::And => status == 0,
            Separator::Or => status != 0,
            Separator::Then | Separator::Background => true,
        };
        prev = sep;
        if !runs {
            continue;
        }
        if sep == Separator::Background {
            start_background(cx, &pipeline);
            cx.sh.last_status = 0;
            continue;
        }
        match run_pipeline(cx, &pipeline) {
            Ok(code) => {
                cx.sh.last_status = code;
                // `fg` hands a background job over to become the foreground line.
                if let Some(mut fg) = cx.sh.jobs.pending_foreground.take() {
                    fg.rest = items;
                    fg.separator = sep;
                    cx.sh.jobs.foreground = Some(fg);
                    return advance_foreground(cx);
                }
            }
            Err(running) => {
                cx.sh.jobs.foreground = Some(Foreground {
                    pipeline: running,
                    rest: items,
                    separator: sep,
                });
                return advance_foreground(cx);
            }
        }
    }
    State::Exited(cx.sh.last_status)
}

/// Polls the foreground pipeline; when it ends, goes on with the rest of its line.
fn advance_foreground(cx: &mut Cx) -> State {
    let Some(mut fg) = cx.sh.jobs.foreground.take() else {
        return State::Exited(cx.sh.last_status);
    };
    let (exit, wake) = fg.pipeline.poll(cx);
    match exit {
        None => {
            cx.sh.jobs.foreground = Some(fg);
            State::Running(wake)
        }
        Some(code) => {
            cx.sh.last_status = code;
            run_items(cx, fg.rest, fg.separator)
        }
    }
}

pub(crate) fn poll(sh: &mut Shell, rt: &mut dyn Runtime, files: &mut Files) -> Step {
    let mut cx = Cx {
        sh,
        rt,
        files,
        out: Vec::new(),
        edit: None,
        depth: 0,
    };
    let state = advance_foreground(&mut cx);
    poll_background(&mut cx);
    cx.step(state)
}

pub(crate) fn interrupt(sh: &mut Shell, rt: &mut dyn Runtime, files: &mut Files) -> Step {
    let mut cx = Cx {
        sh,
        rt,
        files,
        out: Vec::new(),
        edit: None,
        depth: 0,
    };
    // Ctrl-C ends the whole line, not just the running pipeline: bash abandons the rest of it.
    if let Some(mut fg) = cx.sh.jobs.foreground.take() {
        fg.pipeline.stop(&mut cx);
        cx.sh.last_status = 130;
    }
    poll_background(&mut cx);
    let code = cx.sh.last_status;
    cx.step(State::Exited(code))
}

pub(crate) fn finish_edit(
    sh: &mut Shell,
    content: Option<String>,
    rt: &mut dyn Runtime,
    files: &mut Files,
) -> Step {
    let mut cx = Cx {
        sh,
        rt,
        files,
        out: Vec::new(),
        edit: None,
        depth: 0,
    };
    let Some(mut fg) = cx.sh.jobs.foreground.take() else {
        let code = cx.sh.last_status;
        return cx.step(State::Exited(code));
    };
    if let crate::jobs::Process::Edit(edit) = &mut fg.pipeline.process {
        edit.finish(content);
    }
    cx.sh.jobs.foreground = Some(fg);
    let state = advance_foreground(&mut cx);
    poll_background(&mut cx);
    cx.step(state)
}

/// Runs a pipeline: `Ok(status)` when it finished, `Err(pipeline)` when its source keeps running.
fn run_pipeline(cx: &mut Cx, pipeline: &Pipeline) -> Result<i32, RunningPipeline> {
    let n = pipeline.commands.len();
    let mut input: Option<String> = None;
    let mut status = 0;
    for (i, cmd) in pipeline.commands.iter().enumerate() {
        let last = i + 1 == n;
        let stdin = input.take();
        let mut piped = String::new();
        let setup = setup_command(cx, cmd, last);
        let (argv, stdout, stderr, redirected_in) = match setup {
            Ok(s) => s,
            Err(msg) => {
                cx.emit(Stream::Stderr, &msg);
                status = 1;
                input = Some(String::new());
                continue;
            }
        };
        let stdin = redirected_in.or(stdin);
        if argv.is_empty() {
            // Only assignments (or only redirections).
            for (name, value) in &cmd.assignments {
                let v = expand_joined(cx, value);
                set_var(cx.sh, name, v, false);
            }
            status = 0;
            input = Some(String::new());
            continue;
        }
        // `NAME=value cmd` sets NAME for that command only.
        let saved: Vec<(String, Option<crate::Variable>)> = cmd
            .assignments
            .iter()
            .map(|(name, value)| {
                let v = expand_joined(cx, value);
                let old = cx.sh.vars.get(name).cloned();
                set_var(cx.sh, name, v, true);
                (name.clone(), old)
            })
            .collect();
        let proc = commands::run(cx, &argv, stdin);
        for (name, old) in saved {
            match old {
                Some(v) => cx.sh.vars.insert(name, v),
                None => cx.sh.vars.remove(&name),
            };
        }
        match proc {
            Proc::Done(d) => {
                cx.write(&stdout, &d.stdout, &mut piped);
                cx.write(&stderr, &d.stderr, &mut piped);
                status = d.code;
                input = Some(piped);
            }
            Proc::Running(process, initial) => {
                let rest = &pipeline.commands[i + 1..];
                let mut output = Sink::Terminal(Stream::Stdout);
                let mut filters = Vec::new();
                for (j, c) in rest.iter().enumerate() {
                    match setup_command(cx, c, j + 1 == rest.len()) {
                        Ok((argv, out, _, _)) => {
                            if j + 1 == rest.len() {
                                output = out;
                            }
                            filters.push(Filter::new(argv));
                        }
                        Err(msg) => cx.emit(Stream::Stderr, &msg),
                    }
                }
                let mut running = RunningPipeline {
                    process,
                    filters,
                    stdout,
                    stderr,
                    output,
                    closed: false,
                };
                running.emit(cx, initial);
                return Err(running);
            }
        }
    }
    Ok(status)
}

/// Expands a command's words and sets up its redirections:
/// (argv, stdout sink, stderr sink, stdin from a file).
#[allow(clippy::type_complexity)]
fn setup_command(
    cx: &mut Cx,
    cmd: &Command,
    last: bool,
) -> Result<(Vec<String>, Sink, Sink, Option<String>), String> {
    let mut argv = Vec::new();
    for (i, w) in cmd.words.iter().enumerate() {
        if i == 0 {
            if let Some(alias) = w.plain().and_then(|name| cx.sh.aliases.get(name)).cloned() {
                argv.extend(alias.split_whitespace().map(str::to_string));
                continue;
            }
        }
        argv.extend(expand_word(cx, w));
    }
    let mut stdout = if last {
        Sink::Terminal(Stream::Stdout)
    } else {
        Sink::Pipe
    };
    let mut stderr = Sink::Terminal(Stream::Stderr);
    let mut stdin = None;
    for r in &cmd.redirects {
        let sink = match &r.target {
            Target::Fd(1) => stdout.clone(),
            Target::Fd(2) => stderr.clone(),
            Target::Fd(_) => return Err("bash: Bad file descriptor\n".into()),
            Target::File(w) => {
                let fields = expand_word(cx, w);
                let [path] = fields.as_slice() else {
                    return Err(format!("bash: {}: ambiguous redirect\n", word_text(w)));
                };
                if r.fd == 0 {
                    match cx.read(path) {
                        Ok(text) => stdin = Some(text.to_string()),
                        Err(e) => return Err(format!("bash: {path}: {}\n", e.message())),
                    }
                    continue;
                }
                if path == "/dev/null" {
                    Sink::Null
                } else {
                    match cx.writable(path) {
                        Ok(key) if !workspace::has_room(cx.files, &key, 0) => {
                            return Err(format!("bash: {path}: {}\n", workspace::NO_SPACE))
                        }
                        Ok(key) => {
                            let file = cx.files.entry(key.clone()).or_default();
                            if !r.append {
                                file.clear();
                            }
                            Sink::File(key)
                        }
                        Err(e) => return Err(format!("bash: {path}: {}\n", e.message())),
                    }
                }
            }
        };
        match r.fd {
            1 => stdout = sink,
            2 => stderr = sink,
            _ => {}
        }
    }
    Ok((argv, stdout, stderr, stdin))
}

fn word_text(w: &Word) -> String {
    w.parts
        .iter()
        .map(|p| match p {
            Part::Literal { text, .. } => text.clone(),
            Part::Var { name, .. } => format!("${name}"),
            Part::Substitution { line, .. } => format!("$({line})"),
        })
        .collect()
}

pub(crate) fn set_var(sh: &mut Shell, name: &str, value: String, export: bool) {
    let exported = export || sh.vars.get(name).is_some_and(|v| v.exported);
    sh.vars
        .insert(name.to_string(), crate::Variable { value, exported });
}

/// A word's expansion as one string (assignments do not split fields).
fn expand_joined(cx: &mut Cx, w: &Word) -> String {
    let mut s = String::new();
    for p in &w.parts {
        match p {
            Part::Literal { text, .. } => s.push_str(text),
            Part::Var { name, .. } => s.push_str(&var_value(cx, name)),
            Part::Substitution { line, .. } => s.push_str(&substitute(cx, line)),
        }
    }
    s
}

fn var_value(cx: &Cx, name: &str) -> String {
    if name == "?" {
        return cx.sh.last_status.to_string();
    }
    cx.sh.var(name).unwrap_or_default().to_string()
}

/// Expands a word into fields: unquoted expansions split on whitespace, an unquoted `~` at the
/// start is the home directory, and unquoted globs match workspace files.
pub(crate) fn expand_word(cx: &mut Cx, w: &Word) -> Vec<String> {
    let mut fields: Vec<String> = Vec::new();
    // Whether the current field has started (quoted empty strings start a field).
    let mut current: Option<String> = None;
    let mut globbable = true;
    for (i, p) in w.parts.iter().enumerate() {
        match p {
            Part::Literal { text, quoted } => {
                let mut text = text.clone();
                if i == 0 && !quoted && (text == "~" || text.starts_with("~/")) {
                    text = format!("{}{}", workspace::HOME, &text[1..]);
                }
                if *quoted {
                    globbable = false;
                }
                current.get_or_insert_with(String::new).push_str(&text);
            }
            Part::Var { name, quoted } => {
                let v = var_value(cx, name);
                split_into(&mut fields, &mut current, &v, *quoted);
            }
            Part::Substitution { line, quoted } => {
                let v = substitute(cx, line);
                split_into(&mut fields, &mut current, &v, *quoted);
            }
        }
    }
    if let Some(c) = current {
        if globbable && (c.contains('*') || c.contains('?')) && !w.has_quotes() {
            fields.extend(workspace::glob(cx.files, &cx.sh.cwd, &c));
        } else {
            fields.push(c);
        }
    }
    fields
}

fn split_into(fields: &mut Vec<String>, current: &mut Option<String>, value: &str, quoted: bool) {
    if quoted {
        current.get_or_insert_with(String::new).push_str(value);
        return;
    }
    let starts_blank = value.starts_with(char::is_whitespace);
    let ends_blank = value.ends_with(char::is_whitespace);
    let mut parts = value.split_whitespace().peekable();
    if parts.peek().is_none() {
        if starts_blank {
            if let Some(c) = current.take() {
                fields.push(c);
            }
        }
        return;
    }
    if starts_blank {
        if let Some(c) = current.take() {
            fields.push(c);
        }
    }
    while let Some(part) = parts.next() {
        current.get_or_insert_with(String::new).push_str(part);
        if parts.peek().is_some() || ends_blank {
            if let Some(c) = current.take() {
                fields.push(c);
            }
        }
    }
}

/// `$(line)`: runs the line with its stdout captured; trailing newlines are removed. A command
/// inside that would block is stopped at once (there is no terminal to wait on).
fn substitute(cx: &mut Cx, line: &str) -> String {
    if cx.depth >= syntax::MAX_SUBSTITUTION_DEPTH {
        return String::new();
    }
    let Ok(list) = syntax::parse(line) else {
        return String::new();
    };
    let outer_out = std::mem::take(&mut cx.out);
    let outer_fg = cx.sh.jobs.foreground.take();
    cx.depth += 1;
    let state = run_items(cx, list.into(), Separator::Then);
    if let State::Running(_) = state {
        if let Some(mut fg) = cx.sh.jobs.foreground.take() {
            fg.pipeline.stop(cx);
        }
    }
    cx.depth -= 1;
    cx.sh.jobs.foreground = outer_fg;
    let inner = std::mem::replace(&mut cx.out, outer_out);
    let mut captured = String::new();
    for c in inner {
        match c.stream {
            Stream::Stdout => captured.push_str(&c.data),
            Stream::Stderr => cx.emit(Stream::Stderr, &c.data),
        }
    }
    let trimmed = captured.trim_end_matches('\n').len();
    captured.truncate(trimmed);
    captured
}

/// Most background jobs a terminal keeps.
pub const MAX_BACKGROUND_JOBS: usize = 16;

/// `pipeline &`: starts it and prints `[id] pid`.
fn start_background(cx: &mut Cx, pipeline: &Pipeline) {
    if cx.sh.jobs.background.len() >= MAX_BACKGROUND_JOBS {
        cx.emit(
            Stream::Stderr,
            "bash: fork: retry: Resource temporarily unavailable\n",
        );
        return;
    }
    let id = cx.sh.jobs.next_id();
    let pid = cx.sh.jobs.next_pid();
    cx.emit(Stream::Stderr, &format!("[{id}] {pid}\n"));
    let text = pipeline_text(pipeline);
    let (pipeline, finished) = match run_pipeline(cx, pipeline) {
        Ok(code) => (None, Some(JobEnd::Exit(code))),
        Err(running) => (Some(running), None),
    };
    cx.sh.jobs.background.push(BackgroundJob {
        id,
        pid,
        text,
        pipeline,
        finished,
    });
}

/// The command text bash shows in `jobs` (words re-joined, redirections dropped).
fn pipeline_text(p: &Pipeline) -> String {
    p.commands
        .iter()
        .map(|c| {
            c.assignments
                .iter()
                .map(|(n, v)| format!("{n}={}", word_text(v)))
                .chain(c.words.iter().map(|w| {
                    let t = word_text(w);
                    if t.is_empty() || t.contains(char::is_whitespace) {
                        format!("'{t}'")
                    } else {
                        t
                    }
                }))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Advances background jobs and prints the notices of those that ended.
pub(crate) fn poll_background(cx: &mut Cx) {
    let mut jobs = std::mem::take(&mut cx.sh.jobs.background);
    for job in &mut jobs {
        if let Some(p) = &mut job.pipeline {
            let (exit, _) = p.poll(cx);
            if let Some(code) = exit {
                job.finished = Some(JobEnd::Exit(code));
                job.pipeline = None;
            }
        }
    }
    // Jobs started while polling (none today) would land in cx.sh.jobs.background.
    jobs.append(&mut cx.sh.jobs.background);
    let n = jobs.len();
    let mut kept = Vec::new();
    for (i, job) in jobs.into_iter().enumerate() {
        match job.finished {
            Some(end) => {
                let mark = job_mark(i, n);
                let what = match end {
                    JobEnd::Exit(0) => "Done".to_string(),
                    JobEnd::Exit(c) => format!("Exit {c}"),
                    JobEnd::Terminated => "Terminated".to_string(),
                };
                cx.emit(
                    Stream::Stderr,
                    &format!("[{}]{mark}  {what:<24}{}\n", job.id, job.text),
                );
            }
            None => kept.push(job),
        }
    }
    cx.sh.jobs.background = kept;
}

/// `+` marks the current (latest) job, `-` the previous one.
pub(crate) fn job_mark(index: usize, count: usize) -> char {
    if index + 1 == count {
        '+'
    } else if index + 2 == count {
        '-'
    } else {
        ' '
    }
}
