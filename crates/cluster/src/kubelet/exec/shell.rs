//! A small POSIX-ish shell, enough for what learners type inside a container: statements joined
//! by `;`, `&&`, `||` and newlines, pipelines with `|`, redirections (`>`, `>>`, `<`, `2>`,
//! `2>&1`), quoting, `$VAR`/`${VAR}`/`$?` expansion, `VAR=value` assignments and the builtins
//! (`cd`, `exit`, `export`, `unset`, `pwd`, `echo`, `true`, `false`, `:`). Everything else runs
//! as a program of the image ([`super::commands`]).
//!
//! The three shells found in images differ in how they say a command does not exist, which is
//! what learners see most: busybox `ash` (`sh: foo: not found`), Debian's `dash` (`sh: 1: foo:
//! not found`) and `bash` (`bash: foo: command not found`, or `bash: line 1: ...` when running
//! a `-c` script).

use super::{commands, Container, ExecOutput, Stream};
use crate::Cluster;

/// Which shell program is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Ash,
    Dash,
    Bash,
}

/// A running shell: its working directory, variables and last exit status.
#[derive(Clone, Debug)]
pub struct Shell {
    pub container: Container,
    pub dialect: Dialect,
    /// The name it was started as (`sh`, `bash`, `/bin/sh`), used in its messages.
    pub name: String,
    pub cwd: String,
    pub vars: Vec<(String, String)>,
    pub status: i32,
    /// Reading commands from a terminal (prompts, no line numbers in bash messages).
    pub interactive: bool,
    /// The line being run, for dash's and bash's `-c` messages.
    line_no: u32,
    /// Set by `exit`: the shell has ended with this code.
    pub exited: Option<i32>,
}

/// How two statements are joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Join {
    Always,
    And,
    Or,
}

/// A lexical token of one simple command.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    /// `>`, `>>`, `<`, `2>`, `2>>`, `2>&1`, `>&2`.
    Redirect(&'static str),
}

/// Splits a script into statements at `;`, `&&`, `||`, `&` and newlines outside quotes, with
/// how each is joined to the one before.
fn statements(script: &str) -> Vec<(Join, String)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut join = Join::Always;
    let mut quote: Option<char> = None;
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    let mut comment = false;
    while i < chars.len() {
        let c = chars[i];
        if comment {
            if c == '\n' {
                comment = false;
            } else {
                i += 1;
                continue;
            }
        }
        match quote {
            Some(q) => {
                if c == '\\' && q == '"' && i + 1 < chars.len() {
                    cur.push(c);
                    cur.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                if c == q {
                    quote = None;
                }
                cur.push(c);
            }
            None => match c {
                '\\' if i + 1 < chars.len() => {
                    cur.push(c);
                    cur.push(chars[i + 1]);
                    i += 1;
                }
                '\'' | '"' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '#' if cur.is_empty() || cur.ends_with(char::is_whitespace) => comment = true,
                ';' | '\n' => {
                    out.push((join, std::mem::take(&mut cur)));
                    join = Join::Always;
                }
                '&' if chars.get(i + 1) == Some(&'&') => {
                    out.push((join, std::mem::take(&mut cur)));
                    join = Join::And;
                    i += 1;
                }
                '|' if chars.get(i + 1) == Some(&'|') => {
                    out.push((join, std::mem::take(&mut cur)));
                    join = Join::Or;
                    i += 1;
                }
                // `cmd &` runs in the background; here it simply runs.
                '&' if chars.get(i + 1) != Some(&'>') && !cur.ends_with('>') => {
                    out.push((join, std::mem::take(&mut cur)));
                    join = Join::Always;
                }
                _ => cur.push(c),
            },
        }
        i += 1;
    }
    out.push((join, cur));
    out.into_iter()
        .map(|(j, s)| (j, s.trim().to_string()))
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

/// Splits a statement into pipeline stages at single `|` outside quotes.
fn stages(stmt: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in stmt.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match quote {
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            Some(_) => {
                if c == '\\' {
                    escaped = true;
                }
                cur.push(c);
            }
            None if c == '\\' => {
                escaped = true;
                cur.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c == '|' => out.push(std::mem::take(&mut cur)),
            None => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

impl Shell {
    pub fn new(container: Container, name: &str, interactive: bool) -> Shell {
        let base = name.rsplit('/').next().unwrap_or(name);
        let dialect = match (base, container.os.os) {
            ("bash", _) => Dialect::Bash,
            (_, super::os::Os::Debian | super::os::Os::Ubuntu) => Dialect::Dash,
            _ => Dialect::Ash,
        };
        let vars = container.env.clone();
        let cwd = container.workdir.clone();
        Shell {
            container,
            dialect,
            name: name.to_string(),
            cwd,
            vars,
            status: 0,
            interactive,
            line_no: 0,
            exited: None,
        }
    }

    /// The prompt an interactive shell prints: busybox `/ # `, dash `# `, bash `root@pod:/# `.
    pub fn prompt(&self) -> String {
        match self.dialect {
            Dialect::Ash => format!("{} # ", self.cwd),
            Dialect::Dash => "# ".to_string(),
            Dialect::Bash => {
                let dir = if self.cwd == "/root" {
                    "~"
                } else {
                    self.cwd.as_str()
                };
                format!("root@{}:{dir}# ", self.container.pod)
            }
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "PWD" => Some(self.cwd.clone()),
            "0" => Some(self.name.clone()),
            "$" => Some("1".into()),
            _ => self
                .vars
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
        }
    }

    pub fn set_var(&mut self, name: &str, value: &str) {
        match self.vars.iter_mut().find(|(k, _)| k == name) {
            Some(e) => e.1 = value.to_string(),
            None => self.vars.push((name.to_string(), value.to_string())),
        }
    }

    /// "command not found", in this shell's words.
    fn not_found(&self, cmd: &str) -> String {
        let sh = self.name.rsplit('/').next().unwrap_or(&self.name);
        match self.dialect {
            Dialect::Ash => format!("{sh}: {cmd}: not found\n"),
            Dialect::Dash => format!("{sh}: {}: {cmd}: not found\n", self.line_no.max(1)),
            Dialect::Bash if self.interactive => format!("bash: {cmd}: command not found\n"),
            Dialect::Bash => format!(
                "bash: line {}: {cmd}: command not found\n",
                self.line_no.max(1)
            ),
        }
    }

    /// Splits one command into words and redirections, expanding variables.
    fn tokens(&self, text: &str) -> Vec<Tok> {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut has_word = false;
        let mut quote: Option<char> = None;
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let flush = |out: &mut Vec<Tok>, cur: &mut String, has_word: &mut bool| {
            if *has_word || !cur.is_empty() {
                out.push(Tok::Word(std::mem::take(cur)));
            }
            *has_word = false;
        };
        while i < chars.len() {
            let c = chars[i];
            match quote {
                Some('\'') => {
                    if c == '\'' {
                        quote = None;
                    } else {
                        cur.push(c);
                    }
                }
                Some(_) => match c {
                    '"' => quote = None,
                    '\\' if matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) => {
                        cur.push(chars[i + 1]);
                        i += 1;
                    }
                    '$' => i = self.expand_at(&chars, i, &mut cur),
                    _ => cur.push(c),
                },
                None => match c {
                    '\'' | '"' => {
                        quote = Some(c);
                        has_word = true;
                    }
                    '\\' if i + 1 < chars.len() => {
                        cur.push(chars[i + 1]);
                        has_word = true;
                        i += 1;
                    }
                    '$' => {
                        i = self.expand_at(&chars, i, &mut cur);
                    }
                    c if c.is_whitespace() => flush(&mut out, &mut cur, &mut has_word),
                    '>' | '<' => {
                        let fd2 = cur == "2" && !has_word;
                        let fd1 = cur == "1" && !has_word;
                        if fd2 || fd1 {
                            cur.clear();
                        } else {
                            flush(&mut out, &mut cur, &mut has_word);
                        }
                        let rest: String = chars[i..].iter().take(4).collect();
                        let (op, len): (&'static str, usize) = if c == '<' {
                            ("<", 1)
                        } else if rest.starts_with(">&1") && fd2 {
                            ("2>&1", 3)
                        } else if rest.starts_with(">&2") {
                            (">&2", 3)
                        } else if rest.starts_with(">>") {
                            (if fd2 { "2>>" } else { ">>" }, 2)
                        } else {
                            (if fd2 { "2>" } else { ">" }, 1)
                        };
                        out.push(Tok::Redirect(op));
                        i += len;
                        continue;
                    }
                    _ => cur.push(c),
                },
            }
            i += 1;
        }
        flush(&mut out, &mut cur, &mut has_word);
        out
    }

    /// Expands the `$...` at `chars[i]` into `out`; returns the index of its last character.
    fn expand_at(&self, chars: &[char], i: usize, out: &mut String) -> usize {
        let mut j = i + 1;
        let braced = chars.get(j) == Some(&'{');
        if braced {
            j += 1;
        }
        let mut name = String::new();
        if matches!(chars.get(j), Some('?' | '$' | '0'..='9')) {
            name.push(chars[j]);
            j += 1;
        } else {
            while let Some(&c) = chars.get(j) {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    j += 1;
                } else {
                    break;
                }
            }
        }
        if braced && chars.get(j) == Some(&'}') {
            j += 1;
        }
        if name.is_empty() {
            out.push('$');
            return i;
        }
        out.push_str(&self.var(&name).unwrap_or_default());
        j - 1
    }

    /// Runs a script (several statements) to its end or to `exit`.
    pub fn run_script(&mut self, cluster: &mut Cluster, script: &str, stdin: &str) -> ExecOutput {
        let mut out = ExecOutput::default();
        for line in script.split_inclusive('\n') {
            self.line_no += 1;
            self.run_line_into(cluster, line, stdin, &mut out);
            if self.exited.is_some() {
                break;
            }
        }
        out.exit_code = self.exited.unwrap_or(self.status);
        out
    }

    /// Runs one line typed at the prompt.
    pub fn run_line(&mut self, cluster: &mut Cluster, line: &str) -> ExecOutput {
        self.line_no += 1;
        let mut out = ExecOutput::default();
        self.run_line_into(cluster, line, "", &mut out);
        out.exit_code = self.exited.unwrap_or(self.status);
        out
    }

    fn run_line_into(
        &mut self,
        cluster: &mut Cluster,
        line: &str,
        stdin: &str,
        out: &mut ExecOutput,
    ) {
        for (join, stmt) in statements(line) {
            let run = match join {
                Join::Always => true,
                Join::And => self.status == 0,
                Join::Or => self.status != 0,
            };
            if !run {
                continue;
            }
            self.status = self.pipeline(cluster, &stmt, stdin, out);
            if self.exited.is_some() {
                return;
            }
        }
    }

    /// Runs `a | b | c`; the status is the last stage's.
    fn pipeline(
        &mut self,
        cluster: &mut Cluster,
        stmt: &str,
        stdin: &str,
        out: &mut ExecOutput,
    ) -> i32 {
        let parts = stages(stmt);
        let mut input = stdin.to_string();
        let mut status = 0;
        let n = parts.len();
        for (idx, part) in parts.iter().enumerate() {
            let last = idx + 1 == n;
            let mut stage = ExecOutput::default();
            status = self.simple(cluster, part, &input, &mut stage);
            // stderr goes straight to the terminal; stdout feeds the next stage.
            let mut next = String::new();
            for (s, text) in stage.chunks {
                match (s, last) {
                    (Stream::Stdout, false) => next.push_str(&text),
                    _ => out.push(s, &text),
                }
            }
            input = next;
            if self.exited.is_some() {
                break;
            }
        }
        status
    }

    /// One simple command with its redirections.
    fn simple(
        &mut self,
        cluster: &mut Cluster,
        text: &str,
        stdin: &str,
        out: &mut ExecOutput,
    ) -> i32 {
        let toks = self.tokens(text);
        let mut argv: Vec<String> = Vec::new();
        let mut stdout_to: Option<(String, bool)> = None;
        let mut stderr_to: Option<(String, bool)> = None;
        let mut stderr_to_stdout = false;
        let mut stdout_to_stderr = false;
        let mut input_from: Option<String> = None;
        let mut it = toks.into_iter();
        while let Some(t) = it.next() {
            match t {
                Tok::Word(w) => argv.push(w),
                Tok::Redirect("2>&1") => stderr_to_stdout = true,
                Tok::Redirect(">&2") => stdout_to_stderr = true,
                Tok::Redirect(op) => {
                    let Some(Tok::Word(target)) = it.next() else {
                        out.push(Stream::Stderr, &self.syntax_error("newline"));
                        return 2;
                    };
                    match op {
                        ">" => stdout_to = Some((target, false)),
                        ">>" => stdout_to = Some((target, true)),
                        "2>" => stderr_to = Some((target, false)),
                        "2>>" => stderr_to = Some((target, true)),
                        _ => input_from = Some(target),
                    }
                }
            }
        }
        // Leading `NAME=value` words are assignments.
        let assignments = argv
            .iter()
            .take_while(|w| {
                w.split_once('=').is_some_and(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
            })
            .count();
        let assigned: Vec<(String, String)> = argv
            .drain(..assignments)
            .filter_map(|w| {
                w.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect();
        if argv.is_empty() {
            for (k, v) in assigned {
                self.set_var(&k, &v);
            }
            return 0;
        }
        let input = match input_from {
            Some(path) => {
                let abs = super::fs::absolute(&self.cwd, &path);
                match self
                    .container
                    .fs
                    .read(&cluster.runtime.kubelet.written, &abs)
                {
                    Ok(c) => c,
                    Err(e) => {
                        out.push(Stream::Stderr, &self.redirect_error(&path, e));
                        return 1;
                    }
                }
            }
            None => stdin.to_string(),
        };
        let saved = self.vars.clone();
        for (k, v) in &assigned {
            self.set_var(k, v);
        }
        let mut result = ExecOutput::default();
        let code = self.command(cluster, &argv, &input, &mut result);
        if !assigned.is_empty() {
            self.vars = saved;
        }
        // Apply redirections.
        let mut stdout = String::new();
        let mut stderr = String::new();
        for (s, text) in result.chunks {
            let to_stdout = match s {
                Stream::Stdout => !stdout_to_stderr,
                Stream::Stderr => stderr_to_stdout,
            };
            if to_stdout {
                if stdout_to.is_some() {
                    stdout.push_str(&text);
                } else {
                    out.push(Stream::Stdout, &text);
                }
            } else if stderr_to.is_some() {
                stderr.push_str(&text);
            } else {
                out.push(Stream::Stderr, &text);
            }
        }
        for (target, append, text) in [
            stdout_to.map(|(t, a)| (t, a, stdout)),
            stderr_to.map(|(t, a)| (t, a, stderr)),
        ]
        .into_iter()
        .flatten()
        {
            if target == "/dev/null" {
                continue;
            }
            if target == "/dev/stderr" {
                out.push(Stream::Stderr, &text);
                continue;
            }
            let abs = super::fs::absolute(&self.cwd, &target);
            if let Err(e) =
                self.container
                    .fs
                    .write(&mut cluster.runtime.kubelet.written, &abs, &text, append)
            {
                out.push(Stream::Stderr, &self.redirect_error(&target, e));
                // dash treats a failed redirection as a special-builtin error.
                return if self.dialect == Dialect::Dash { 2 } else { 1 };
            }
        }
        code
    }

    fn syntax_error(&self, near: &str) -> String {
        match self.dialect {
            Dialect::Ash => format!("{}: syntax error: unexpected {near}\n", self.short_name()),
            Dialect::Dash => format!(
                "{}: {}: Syntax error: {near} unexpected\n",
                self.short_name(),
                self.line_no.max(1)
            ),
            Dialect::Bash => format!("bash: syntax error near unexpected token `{near}'\n"),
        }
    }

    fn short_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    fn redirect_error(&self, path: &str, e: super::fs::FsError) -> String {
        let sh = self.short_name();
        match self.dialect {
            Dialect::Ash => format!("{sh}: can't create {path}: {}\n", e.text()),
            Dialect::Dash => format!(
                "{sh}: {}: cannot create {path}: {}\n",
                self.line_no.max(1),
                e.text()
            ),
            Dialect::Bash => format!("bash: {path}: {}\n", e.text()),
        }
    }

    /// A builtin, or a program of the image.
    fn command(
        &mut self,
        cluster: &mut Cluster,
        argv: &[String],
        stdin: &str,
        out: &mut ExecOutput,
    ) -> i32 {
        let name = argv[0].as_str();
        match name {
            "exit" => {
                let code = argv
                    .get(1)
                    .and_then(|c| c.parse::<i32>().ok())
                    .unwrap_or(self.status);
                self.exited = Some(code & 0xff);
                code & 0xff
            }
            "cd" => {
                let target = argv
                    .get(1)
                    .cloned()
                    .unwrap_or_else(|| self.var("HOME").unwrap_or_else(|| "/".into()));
                let abs = super::fs::absolute(&self.cwd, &target);
                if self
                    .container
                    .fs
                    .is_dir(&cluster.runtime.kubelet.written, &abs)
                {
                    self.cwd = abs;
                    0
                } else {
                    let why = if self
                        .container
                        .fs
                        .exists(&cluster.runtime.kubelet.written, &abs)
                    {
                        "Not a directory"
                    } else {
                        "No such file or directory"
                    };
                    let sh = self.short_name().to_string();
                    let msg = match self.dialect {
                        Dialect::Ash => format!("{sh}: cd: can't cd to {target}: {why}\n"),
                        Dialect::Dash => {
                            format!("{sh}: {}: cd: can't cd to {target}\n", self.line_no.max(1))
                        }
                        Dialect::Bash => format!("bash: cd: {target}: {why}\n"),
                    };
                    out.push(Stream::Stderr, &msg);
                    if self.dialect == Dialect::Dash {
                        2
                    } else {
                        1
                    }
                }
            }
            "export" => {
                for a in &argv[1..] {
                    if let Some((k, v)) = a.split_once('=') {
                        self.set_var(k, v);
                    }
                }
                0
            }
            "unset" => {
                self.vars.retain(|(k, _)| !argv[1..].contains(k));
                0
            }
            "pwd" => {
                out.push(Stream::Stdout, &format!("{}\n", self.cwd));
                0
            }
            "true" | ":" => 0,
            "false" => 1,
            _ => {
                let base = commands::program_name(name);
                let known = commands::is_builtin_like(base) || self.container.os.has(base);
                if !known || (name.contains('/') && !commands::on_path(name)) {
                    if name.contains('/') {
                        let sh = self.short_name().to_string();
                        let msg = match self.dialect {
                            Dialect::Ash => format!("{sh}: {name}: not found\n"),
                            Dialect::Dash => {
                                format!("{sh}: {}: {name}: not found\n", self.line_no.max(1))
                            }
                            Dialect::Bash => format!("bash: {name}: No such file or directory\n"),
                        };
                        out.push(Stream::Stderr, &msg);
                    } else {
                        out.push(Stream::Stderr, &self.not_found(name));
                    }
                    return 127;
                }
                let mut ctx = commands::Ctx {
                    container: &self.container,
                    cwd: &self.cwd,
                    env: &self.vars,
                    cluster,
                };
                commands::run(&mut ctx, argv, stdin, out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_on_operators_outside_quotes() {
        let s = statements("echo 'a; b' && ls || false; x\ny");
        let texts: Vec<_> = s.iter().map(|(j, t)| (*j, t.as_str())).collect();
        assert_eq!(
            texts,
            vec![
                (Join::Always, "echo 'a; b'"),
                (Join::And, "ls"),
                (Join::Or, "false"),
                (Join::Always, "x"),
                (Join::Always, "y"),
            ]
        );
        assert_eq!(
            stages("env | grep 'a|b' | wc -l"),
            vec!["env", "grep 'a|b'", "wc -l"]
        );
    }
}
