//! Shell builtins and the small file commands of the workspace.

use std::time::{Duration, Instant};

use super::{Done, Proc};
use crate::exec::{job_mark, set_var, Cx};
use crate::jobs::{Foreground, JobEnd, Process};
use crate::syntax::{is_name, Separator};
use crate::workspace::{self, PathError};

/// The escape sequence `clear` prints (xterm: home, erase screen, erase scrollback).
pub const CLEAR: &str = "\x1b[H\x1b[2J\x1b[3J";

pub(crate) fn run(
    cx: &mut Cx,
    name: &str,
    args: &[String],
    _stdin: Option<String>,
) -> Option<Proc> {
    let done = match name {
        "echo" => echo(args),
        "true" | ":" => Done::default(),
        "false" => Done::status(1),
        "clear" => Done::out(CLEAR),
        "pwd" => Done::out(format!("{}\n", working_directory(cx))),
        "mkdir" => mkdir(cx, args),
        "rmdir" => rmdir(cx, args),
        "cd" => cd(cx, args),
        "whoami" => Done::out("learner\n"),
        "hostname" => Done::out("laptop\n"),
        "export" => export(cx, args),
        "unset" => {
            for a in args {
                cx.sh.vars.remove(a);
            }
            Done::default()
        }
        "env" | "printenv" => env(cx, args),
        "alias" => alias(cx, args),
        "unalias" => unalias(cx, args),
        "history" => history(cx, args),
        "jobs" => jobs(cx),
        "kill" => kill(cx, args),
        "fg" => return Some(fg(cx, args)),
        "ls" => ls(cx, args),
        "rm" => rm(cx, args),
        "touch" => touch(cx, args),
        "cp" | "mv" => copy(cx, name, args),
        "type" | "which" => which(cx, name, args),
        "help" => Done::out(
            "Wheelhouse shell: a small bash with kubectl, minikube, kind, docker and curl.\n\
             Builtins: alias cd clear echo env export fg history jobs kill pwd sleep type unalias unset\n\
             Files (the editor's workspace): cat cp head ls mv rm tail touch, with > and >> redirections\n\
             Text: base64 grep head sort tail uniq wc, with | pipes\n",
        ),
        _ => return None,
    };
    Some(done.into())
}

fn echo(args: &[String]) -> Done {
    let mut newline = true;
    let mut escapes = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| matches!(c, 'n' | 'e' | 'E'))
        {
            for c in a[1..].chars() {
                match c {
                    'n' => newline = false,
                    'e' => escapes = true,
                    _ => escapes = false,
                }
            }
            i += 1;
        } else {
            break;
        }
    }
    let mut s = args[i..].join(" ");
    if escapes {
        s = s
            .replace("\\n", "\n")
            .replace("\\t", "\t")
            .replace("\\\\", "\\");
    }
    if newline {
        s.push('\n');
    }
    Done::out(s)
}

fn cd(cx: &mut Cx, args: &[String]) -> Done {
    let dir = args.first().map(String::as_str).unwrap_or("~");
    let key = match cx.resolve(dir) {
        Ok(None) => String::new(),
        Ok(Some(key)) if cx.is_dir(&key) => key,
        Ok(Some(key)) if cx.files.contains_key(&key) => {
            return Done::err(format!("bash: cd: {dir}: Not a directory\n"), 1)
        }
        // Outside the workspace there is nothing the terminal can show.
        Err(_) if dir.starts_with('/') => {
            return Done::err(
                format!(
                    "bash: cd: {dir}: Permission denied (the terminal stays in {})\n",
                    workspace::HOME
                ),
                1,
            )
        }
        _ => return Done::err(format!("bash: cd: {dir}: No such file or directory\n"), 1),
    };
    cx.sh.cwd = key;
    let pwd = working_directory(cx);
    set_var(cx.sh, "PWD", pwd, true);
    Done::default()
}

/// `$HOME` or `$HOME/<cwd>`.
fn working_directory(cx: &Cx) -> String {
    if cx.sh.cwd.is_empty() {
        workspace::HOME.to_string()
    } else {
        format!("{}/{}", workspace::HOME, cx.sh.cwd)
    }
}

fn mkdir(cx: &mut Cx, args: &[String]) -> Done {
    let parents = args.iter().any(|a| a == "-p" || a == "--parents");
    let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if operands.is_empty() {
        return Done::err(
            "mkdir: missing operand\nTry 'mkdir --help' for more information.\n",
            1,
        );
    }
    let mut d = Done::default();
    for a in operands {
        let key = match cx.resolve(a) {
            Ok(Some(key)) => key,
            Ok(None) if parents => continue,
            Ok(None) => {
                d.stderr.push_str(&format!(
                    "mkdir: cannot create directory '{a}': File exists\n"
                ));
                d.code = 1;
                continue;
            }
            Err(_) => {
                d.stderr.push_str(&format!(
                    "mkdir: cannot create directory '{a}': Permission denied\n"
                ));
                d.code = 1;
                continue;
            }
        };
        if cx.files.contains_key(&key) || (cx.is_dir(&key) && !parents) {
            d.stderr.push_str(&format!(
                "mkdir: cannot create directory '{a}': File exists\n"
            ));
            d.code = 1;
            continue;
        }
        let parent = key.rsplit_once('/').map(|(p, _)| p.to_string());
        if let Some(p) = &parent {
            if !parents && !cx.is_dir(p) {
                d.stderr.push_str(&format!(
                    "mkdir: cannot create directory '{a}': No such file or directory\n"
                ));
                d.code = 1;
                continue;
            }
        }
        if cx.sh.dirs.len() >= workspace::MAX_FILES {
            d.stderr.push_str(&format!(
                "mkdir: cannot create directory '{a}': {}\n",
                workspace::NO_SPACE
            ));
            d.code = 1;
            continue;
        }
        let mut path = String::new();
        for seg in key.split('/') {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(seg);
            cx.sh.dirs.insert(path.clone());
        }
    }
    d
}

fn rmdir(cx: &mut Cx, args: &[String]) -> Done {
    let mut d = Done::default();
    for a in args.iter().filter(|a| !a.starts_with('-')) {
        match cx.resolve(a) {
            Ok(Some(key))
                if workspace::is_dir(cx.files, &key)
                    || cx.sh.dirs.iter().any(|x| x.starts_with(&format!("{key}/"))) =>
            {
                d.stderr.push_str(&format!(
                    "rmdir: failed to remove '{a}': Directory not empty\n"
                ));
                d.code = 1;
            }
            Ok(Some(key)) if cx.sh.dirs.remove(&key) => {}
            _ => {
                d.stderr.push_str(&format!(
                    "rmdir: failed to remove '{a}': No such file or directory\n"
                ));
                d.code = 1;
            }
        }
    }
    d
}

fn export(cx: &mut Cx, args: &[String]) -> Done {
    if args.is_empty() || args == ["-p"] {
        let mut out = String::new();
        for (k, v) in cx.sh.vars.iter().filter(|(_, v)| v.exported) {
            out.push_str(&format!("declare -x {k}=\"{}\"\n", v.value));
        }
        return Done::out(out);
    }
    let mut d = Done::default();
    for a in args {
        let (name, value) = match a.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        if !is_name(name) {
            d.stderr
                .push_str(&format!("bash: export: `{a}': not a valid identifier\n"));
            d.code = 1;
            continue;
        }
        let value = value.unwrap_or_else(|| cx.sh.var(name).unwrap_or_default().to_string());
        set_var(cx.sh, name, value, true);
    }
    d
}

fn env(cx: &mut Cx, args: &[String]) -> Done {
    if let Some(name) = args.first() {
        return match cx.sh.vars.get(name).filter(|v| v.exported) {
            Some(v) => Done::out(format!("{}\n", v.value)),
            None => Done::status(1),
        };
    }
    let mut out = String::new();
    for (k, v) in cx.sh.vars.iter().filter(|(_, v)| v.exported) {
        out.push_str(&format!("{k}={}\n", v.value));
    }
    Done::out(out)
}

fn alias(cx: &mut Cx, args: &[String]) -> Done {
    let show = |k: &str, v: &str| format!("alias {k}='{v}'\n");
    if args.is_empty() {
        return Done::out(
            cx.sh
                .aliases
                .iter()
                .map(|(k, v)| show(k, v))
                .collect::<String>(),
        );
    }
    let mut d = Done::default();
    for a in args {
        match a.split_once('=') {
            Some((name, value)) => {
                cx.sh.aliases.insert(name.to_string(), value.to_string());
            }
            None => match cx.sh.aliases.get(a) {
                Some(v) => d.stdout.push_str(&show(a, v)),
                None => {
                    d.stderr.push_str(&format!("bash: alias: {a}: not found\n"));
                    d.code = 1;
                }
            },
        }
    }
    d
}

fn unalias(cx: &mut Cx, args: &[String]) -> Done {
    let mut d = Done::default();
    for a in args {
        if a == "-a" {
            cx.sh.aliases.clear();
        } else if cx.sh.aliases.remove(a).is_none() {
            d.stderr
                .push_str(&format!("bash: unalias: {a}: not found\n"));
            d.code = 1;
        }
    }
    d
}

fn history(cx: &mut Cx, args: &[String]) -> Done {
    if args.first().map(String::as_str) == Some("-c") {
        cx.sh.history.clear();
        return Done::default();
    }
    let h = &cx.sh.history;
    let skip = match args.first().and_then(|a| a.parse::<usize>().ok()) {
        Some(n) => h.len().saturating_sub(n),
        None => 0,
    };
    let out: String = h
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, l)| format!("{:>5}  {l}\n", i + 1))
        .collect();
    Done::out(out)
}

fn jobs(cx: &mut Cx) -> Done {
    let n = cx.sh.jobs.background.len();
    let out: String = cx
        .sh
        .jobs
        .background
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let state = match j.finished {
                None => "Running".to_string(),
                Some(JobEnd::Exit(0)) => "Done".to_string(),
                Some(JobEnd::Exit(c)) => format!("Exit {c}"),
                Some(JobEnd::Terminated) => "Terminated".to_string(),
            };
            let amp = if j.finished.is_none() { " &" } else { "" };
            format!("[{}]{}  {state:<24}{}{amp}\n", j.id, job_mark(i, n), j.text)
        })
        .collect();
    Done::out(out)
}

/// Finds a job by `%N`, `%%`/`%+` (current) or pid.
fn find_job(cx: &Cx, spec: Option<&str>) -> Option<usize> {
    let jobs = &cx.sh.jobs.background;
    match spec {
        None | Some("%%") | Some("%+") | Some("%") => jobs.len().checked_sub(1),
        Some("%-") => jobs.len().checked_sub(2),
        Some(s) if s.starts_with('%') => {
            let id: usize = s[1..].parse().ok()?;
            jobs.iter().position(|j| j.id == id)
        }
        Some(s) => {
            let pid: u32 = s.parse().ok()?;
            jobs.iter().position(|j| j.pid == pid)
        }
    }
}

fn kill(cx: &mut Cx, args: &[String]) -> Done {
    let targets: Vec<&String> = args
        .iter()
        .filter(|a| !a.starts_with('-') || a.len() == 1)
        .collect();
    if targets.is_empty() {
        return Done::err(
            "kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n",
            2,
        );
    }
    let mut d = Done::default();
    for t in targets {
        match find_job(cx, Some(t)) {
            Some(i) => {
                let job = &mut cx.sh.jobs.background[i];
                if job.finished.is_none() {
                    if let Some(mut p) = job.pipeline.take() {
                        // Kill runs inside a step with its own context; stopping needs no output.
                        if let Process::Edit(e) = &mut p.process {
                            e.cancel();
                        }
                    }
                    job.finished = Some(JobEnd::Terminated);
                }
            }
            None if t.starts_with('%') => {
                d.stderr
                    .push_str(&format!("bash: kill: {t}: no such job\n"));
                d.code = 1;
            }
            None if t.parse::<u32>().is_ok() => {
                d.stderr
                    .push_str(&format!("bash: kill: ({t}) - No such process\n"));
                d.code = 1;
            }
            None => {
                d.stderr.push_str(&format!(
                    "bash: kill: {t}: arguments must be process or job IDs\n"
                ));
                d.code = 1;
            }
        }
    }
    d
}

/// `fg`: the job becomes the foreground line (Ctrl-C stops it).
fn fg(cx: &mut Cx, args: &[String]) -> Proc {
    let spec = args.first().map(String::as_str);
    let Some(i) = find_job(cx, spec) else {
        let what = spec.unwrap_or("current");
        return Done::err(format!("bash: fg: {what}: no such job\n"), 1).into();
    };
    let job = cx.sh.jobs.background.remove(i);
    let text = format!("{}\n", job.text);
    match job.pipeline {
        Some(p) => {
            // The running pipeline moves into the foreground as is; `fg` itself ends at once.
            cx.sh.jobs.pending_foreground = Some(Foreground {
                pipeline: p,
                rest: Default::default(),
                separator: Separator::Then,
            });
            Done::out(text).into()
        }
        None => Done::out(text).into(),
    }
}

fn ls(cx: &mut Cx, args: &[String]) -> Done {
    let mut all = false;
    let mut one_per_line = false;
    let mut paths = Vec::new();
    for a in args {
        if a.starts_with('-') && a.len() > 1 {
            for c in a[1..].chars() {
                match c {
                    'a' | 'A' => all = true,
                    '1' => one_per_line = true,
                    'l' => one_per_line = true,
                    _ => {
                        return Done::err(
                            format!(
                            "ls: invalid option -- '{c}'\nTry 'ls --help' for more information.\n"
                        ),
                            2,
                        )
                    }
                }
            }
        } else {
            paths.push(a.as_str());
        }
    }
    let _ = all;
    if paths.is_empty() {
        paths.push(".");
    }
    let mut d = Done::default();
    let mut listed_files = Vec::new();
    let mut dirs = Vec::new();
    for p in &paths {
        match cx.resolve(p) {
            Ok(None) => dirs.push((p.to_string(), None)),
            Ok(Some(key)) if cx.files.contains_key(&key) => listed_files.push(p.to_string()),
            Ok(Some(key)) if cx.is_dir(&key) => dirs.push((p.to_string(), Some(key))),
            _ => {
                d.stderr.push_str(&format!(
                    "ls: cannot access '{p}': No such file or directory\n"
                ));
                d.code = 2;
            }
        }
    }
    let columns = cx.sh.columns as usize;
    let format = |names: Vec<String>| -> String {
        if names.is_empty() {
            return String::new();
        }
        if one_per_line {
            return names.iter().map(|n| format!("{n}\n")).collect();
        }
        columnate(&names, columns)
    };
    d.stdout.push_str(&format(listed_files.clone()));
    let several = paths.len() > 1;
    for (i, (name, key)) in dirs.iter().enumerate() {
        if several {
            if i > 0 || !listed_files.is_empty() {
                d.stdout.push('\n');
            }
            d.stdout.push_str(&format!("{name}:\n"));
        }
        let entries: Vec<String> = cx
            .list_dir(key.as_deref())
            .into_iter()
            .map(|e| e.trim_end_matches('/').to_string())
            .collect();
        d.stdout.push_str(&format(entries));
    }
    d
}

/// `ls`'s column layout: as many columns as fit, filled top to bottom, two spaces apart.
fn columnate(names: &[String], width: usize) -> String {
    let n = names.len();
    for cols in (1..=n).rev() {
        let rows = n.div_ceil(cols);
        let cols = n.div_ceil(rows);
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                (0..rows)
                    .filter_map(|r| names.get(c * rows + r))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let total: usize = widths.iter().sum::<usize>() + 2 * (cols - 1);
        if total < width || cols == 1 {
            let mut out = String::new();
            for r in 0..rows {
                let mut line = String::new();
                for c in 0..cols {
                    if let Some(name) = names.get(c * rows + r) {
                        if c > 0 {
                            line.push_str("  ");
                        }
                        line.push_str(name);
                        let pad = widths[c] - name.chars().count();
                        line.extend(std::iter::repeat_n(' ', pad));
                    }
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
            return out;
        }
    }
    String::new()
}

fn rm(cx: &mut Cx, args: &[String]) -> Done {
    let mut force = false;
    let mut recursive = false;
    let mut d = Done::default();
    for a in args.iter().filter(|a| a.starts_with('-') && a.len() > 1) {
        for c in a[1..].chars() {
            match c {
                'f' => force = true,
                'r' | 'R' => recursive = true,
                'v' | 'i' => {}
                _ => {
                    return Done::err(
                        format!(
                            "rm: invalid option -- '{c}'\nTry 'rm --help' for more information.\n"
                        ),
                        1,
                    )
                }
            }
        }
    }
    let targets: Vec<&String> = args
        .iter()
        .filter(|a| !(a.starts_with('-') && a.len() > 1))
        .collect();
    if targets.is_empty() && !force {
        return Done::err(
            "rm: missing operand\nTry 'rm --help' for more information.\n",
            1,
        );
    }
    for t in targets {
        if recursive && t.trim_end_matches('/').is_empty() {
            d.stderr.push_str("rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n");
            d.code = 1;
            continue;
        }
        match cx.resolve(t) {
            Ok(Some(key)) if cx.files.remove(&key).is_some() => {}
            Ok(Some(key)) if cx.is_dir(&key) => {
                if recursive {
                    let prefix = format!("{key}/");
                    cx.files.retain(|k, _| !k.starts_with(&prefix));
                    cx.sh.dirs.retain(|k| k != &key && !k.starts_with(&prefix));
                } else {
                    d.stderr
                        .push_str(&format!("rm: cannot remove '{t}': Is a directory\n"));
                    d.code = 1;
                }
            }
            Ok(None) => {
                d.stderr.push_str(&format!(
                    "rm: refusing to remove '.' or '..' directory: skipping '{t}'\n"
                ));
                d.code = 1;
            }
            _ if force => {}
            _ => {
                d.stderr.push_str(&format!(
                    "rm: cannot remove '{t}': No such file or directory\n"
                ));
                d.code = 1;
            }
        }
    }
    d
}

fn touch(cx: &mut Cx, args: &[String]) -> Done {
    if args.is_empty() {
        return Done::err(
            "touch: missing file operand\nTry 'touch --help' for more information.\n",
            1,
        );
    }
    let mut d = Done::default();
    for a in args.iter().filter(|a| !a.starts_with('-')) {
        match cx.writable(a) {
            Ok(key) if workspace::has_room(cx.files, &key, 0) => {
                cx.files.entry(key).or_default();
            }
            Ok(_) => {
                d.stderr.push_str(&format!(
                    "touch: cannot touch '{a}': {}\n",
                    workspace::NO_SPACE
                ));
                d.code = 1;
            }
            Err(e) => {
                d.stderr
                    .push_str(&format!("touch: cannot touch '{a}': {}\n", e.message()));
                d.code = 1;
            }
        }
    }
    d
}

fn copy(cx: &mut Cx, name: &str, args: &[String]) -> Done {
    let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let (src, dst) = match operands.as_slice() {
        [] => return Done::err(format!("{name}: missing file operand\nTry '{name} --help' for more information.\n"), 1),
        [s] => return Done::err(format!("{name}: missing destination file operand after '{s}'\nTry '{name} --help' for more information.\n"), 1),
        [s, d] => (*s, *d),
        _ => return Done::err(format!("{name}: copying several files at once is not supported here; copy them one by one\n"), 1),
    };
    let text = match cx.read(src) {
        Ok(t) => t.to_string(),
        Err(PathError::IsDirectory) => {
            return Done::err(
                format!("{name}: -r not specified; omitting directory '{src}'\n"),
                1,
            )
        }
        Err(e) => return Done::err(format!("{name}: cannot stat '{src}': {}\n", e.message()), 1),
    };
    let dest = match cx.resolve(dst) {
        Ok(Some(key)) if cx.is_dir(&key) => {
            let leaf = src.rsplit('/').next().unwrap_or(src);
            format!("{key}/{leaf}")
        }
        Ok(None) => src.rsplit('/').next().unwrap_or(src).to_string(),
        Ok(Some(key)) => key,
        Err(_) => {
            return Done::err(
                format!("{name}: cannot create regular file '{dst}': Permission denied\n"),
                1,
            )
        }
    };
    if name == "mv" {
        if let Ok(Some(key)) = cx.resolve(src) {
            cx.files.remove(&key);
        }
    }
    let existing = cx.files.get(&dest).map_or(0, String::len);
    if !workspace::has_room(cx.files, &dest, text.len().saturating_sub(existing)) {
        return Done::err(
            format!("{name}: error writing '{dst}': {}\n", workspace::NO_SPACE),
            1,
        );
    }
    cx.files.insert(dest, text);
    Done::default()
}

fn which(cx: &mut Cx, name: &str, args: &[String]) -> Done {
    let mut d = Done::default();
    for a in args {
        let known = super::command_names().contains(&a.as_str());
        let builtin = matches!(
            a.as_str(),
            "alias"
                | "cd"
                | "echo"
                | "export"
                | "fg"
                | "history"
                | "jobs"
                | "kill"
                | "pwd"
                | "type"
                | "unalias"
                | "unset"
                | "true"
                | "false"
                | "help"
        );
        match (name, cx.sh.aliases.get(a)) {
            ("type", Some(v)) => d.stdout.push_str(&format!("{a} is aliased to `{v}'\n")),
            ("type", None) if builtin => d.stdout.push_str(&format!("{a} is a shell builtin\n")),
            ("type", None) if known => d.stdout.push_str(&format!("{a} is /usr/bin/{a}\n")),
            ("type", None) => {
                d.stderr.push_str(&format!("bash: type: {a}: not found\n"));
                d.code = 1;
            }
            (_, _) if known && !builtin => d.stdout.push_str(&format!("/usr/bin/{a}\n")),
            _ => d.code = 1,
        }
    }
    d
}

/// `sleep N[smhd]` (several add up; fractions allowed), capped at a day.
pub(crate) fn sleep(args: &[String]) -> Proc {
    if args.is_empty() {
        return Done::err(
            "sleep: missing operand\nTry 'sleep --help' for more information.\n",
            1,
        )
        .into();
    }
    let mut total = 0f64;
    for a in args {
        let (num, unit) = match a.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => (&a[..i], c),
            _ => (a.as_str(), 's'),
        };
        let factor = match unit {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            _ => return Done::err(format!("sleep: invalid time interval '{a}'\nTry 'sleep --help' for more information.\n"), 1).into(),
        };
        match num.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => total += n * factor,
            _ => return Done::err(format!("sleep: invalid time interval '{a}'\nTry 'sleep --help' for more information.\n"), 1).into(),
        }
    }
    let d = Duration::from_secs_f64(total.min(86_400.0));
    Proc::Running(
        Process::Sleep {
            until: Instant::now() + d,
        },
        Done::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_columns_fill_down_then_across() {
        let names: Vec<String> = ["a.yaml", "bb.yaml", "c", "dd", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(columnate(&names, 80), "a.yaml  bb.yaml  c  dd  e\n");
        assert_eq!(columnate(&names, 16), "a.yaml   c   e\nbb.yaml  dd\n");
        assert_eq!(columnate(&names, 12), "a.yaml   dd\nbb.yaml  e\nc\n");
        assert_eq!(columnate(&names, 5), "a.yaml\nbb.yaml\nc\ndd\ne\n");
    }

    #[test]
    fn echo_flags() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(echo(&a(&["-n", "x"])).stdout, "x");
        assert_eq!(echo(&a(&["-e", "a\\nb"])).stdout, "a\nb\n");
        assert_eq!(echo(&a(&["-x", "y"])).stdout, "-x y\n");
    }
}
