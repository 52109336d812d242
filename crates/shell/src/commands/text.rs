//! Text tools for pipes: `grep`, `head`, `tail`, `wc`, `base64`, `sort`, `uniq`, `cat`.
//! Messages and exit statuses are GNU coreutils' and GNU grep's.

use base64::Engine;
use regex::{Regex, RegexBuilder};

use super::Done;
use crate::exec::Cx;
use crate::workspace::PathError;

/// The inputs of a text command: the named files, or stdin when none are named (or for `-`).
fn inputs(
    cx: &Cx,
    tool: &str,
    files: &[String],
    stdin: &Option<String>,
) -> (Vec<(String, String)>, Done) {
    let mut out = Vec::new();
    let mut errors = Done::default();
    if files.is_empty() {
        out.push((
            "(standard input)".to_string(),
            stdin.clone().unwrap_or_default(),
        ));
        return (out, errors);
    }
    for f in files {
        if f == "-" {
            out.push((
                "(standard input)".to_string(),
                stdin.clone().unwrap_or_default(),
            ));
            continue;
        }
        match cx.read(f) {
            Ok(t) => out.push((f.clone(), t.to_string())),
            Err(PathError::IsDirectory) => {
                errors
                    .stderr
                    .push_str(&format!("{tool}: {f}: Is a directory\n"));
                errors.code = if tool == "grep" { 2 } else { 1 };
            }
            Err(e) => {
                errors
                    .stderr
                    .push_str(&format!("{tool}: {f}: {}\n", e.message()));
                errors.code = if tool == "grep" { 2 } else { 1 };
            }
        }
    }
    (out, errors)
}

fn try_help(tool: &str) -> String {
    format!("Try '{tool} --help' for more information.\n")
}

/// Parsed `grep` options.
pub(crate) struct Grep {
    regex: Regex,
    invert: bool,
    pub count: bool,
    line_numbers: bool,
    only_matching: bool,
    quiet: bool,
    with_names: Option<bool>,
    pub files: Vec<String>,
}

/// Turns a POSIX basic regular expression into the `regex` crate's syntax: in BREs `+ ? | ( ) { }`
/// are literal unless escaped.
fn bre_to_ere(p: &str) -> String {
    let mut out = String::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('+' | '?' | '|' | '(' | ')' | '{' | '}')) => out.push(e),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push_str("\\\\"),
            },
            '+' | '?' | '|' | '(' | ')' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

impl Grep {
    pub fn parse(argv: &[String]) -> Result<Grep, Done> {
        let mut ignore_case = false;
        let mut invert = false;
        let mut count = false;
        let mut extended = false;
        let mut fixed = false;
        let mut words = false;
        let mut line_numbers = false;
        let mut only_matching = false;
        let mut quiet = false;
        let mut with_names = None;
        let mut patterns: Vec<String> = Vec::new();
        let mut operands: Vec<String> = Vec::new();
        let mut args = argv[1..].iter();
        let mut options_done = false;
        while let Some(a) = args.next() {
            if options_done || !a.starts_with('-') || a == "-" {
                operands.push(a.clone());
                continue;
            }
            if a == "--" {
                options_done = true;
                continue;
            }
            match a.as_str() {
                "--ignore-case" => ignore_case = true,
                "--invert-match" => invert = true,
                "--count" => count = true,
                "--extended-regexp" => extended = true,
                "--fixed-strings" => fixed = true,
                "--word-regexp" => words = true,
                "--line-number" => line_numbers = true,
                "--only-matching" => only_matching = true,
                "--quiet" | "--silent" => quiet = true,
                "--color" | "--colour" | "--color=auto" | "--color=never" | "--colour=auto" => {}
                s if s.starts_with("--regexp=") => patterns.push(s["--regexp=".len()..].to_string()),
                s if s.starts_with("--") => {
                    return Err(Done::err(
                        format!("grep: unrecognized option '{s}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n{}", try_help("grep")),
                        2,
                    ))
                }
                s => {
                    let flags: Vec<char> = s[1..].chars().collect();
                    for (i, c) in flags.iter().enumerate() {
                        match c {
                            'i' | 'y' => ignore_case = true,
                            'v' => invert = true,
                            'c' => count = true,
                            'E' => extended = true,
                            'F' => fixed = true,
                            'G' => extended = false,
                            'w' => words = true,
                            'n' => line_numbers = true,
                            'o' => only_matching = true,
                            'q' | 's' => quiet |= *c == 'q',
                            'h' => with_names = Some(false),
                            'H' => with_names = Some(true),
                            'e' => {
                                let rest: String = flags[i + 1..].iter().collect();
                                if !rest.is_empty() {
                                    patterns.push(rest);
                                } else if let Some(p) = args.next() {
                                    patterns.push(p.clone());
                                } else {
                                    return Err(Done::err(format!("grep: option requires an argument -- 'e'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n{}", try_help("grep")), 2));
                                }
                                break;
                            }
                            other => {
                                return Err(Done::err(
                                    format!("grep: invalid option -- '{other}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n{}", try_help("grep")),
                                    2,
                                ))
                            }
                        }
                    }
                }
            }
        }
        if patterns.is_empty() {
            if operands.is_empty() {
                return Err(Done::err(
                    format!(
                        "Usage: grep [OPTION]... PATTERNS [FILE]...\n{}",
                        try_help("grep")
                    ),
                    2,
                ));
            }
            patterns.push(operands.remove(0));
        }
        // Each pattern may hold several, one per line, as in GNU grep.
        let alternatives: Vec<String> = patterns
            .iter()
            .flat_map(|p| p.split('\n').map(str::to_string).collect::<Vec<_>>())
            .map(|p| {
                let p = if fixed {
                    regex::escape(&p)
                } else if extended {
                    p
                } else {
                    bre_to_ere(&p)
                };
                if words {
                    format!(r"\b(?:{p})\b")
                } else {
                    format!("(?:{p})")
                }
            })
            .collect();
        let regex = RegexBuilder::new(&alternatives.join("|"))
            .case_insensitive(ignore_case)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
            .map_err(|_| Done::err("grep: Invalid regular expression\n", 2))?;
        Ok(Grep {
            regex,
            invert,
            count,
            line_numbers,
            only_matching,
            quiet,
            with_names,
            files: operands,
        })
    }

    /// The text to print for one line, if it is selected (without the newline).
    pub fn filter_line(&self, line: &str) -> Option<String> {
        let hit = self.regex.is_match(line);
        if hit == self.invert {
            return None;
        }
        if self.only_matching && !self.invert {
            return Some(
                self.regex
                    .find_iter(line)
                    .filter(|m| !m.as_str().is_empty())
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        Some(line.to_string())
    }
}

pub(crate) fn grep(cx: &mut Cx, argv: &[String], stdin: Option<String>) -> Done {
    let g = match Grep::parse(argv) {
        Ok(g) => g,
        Err(d) => return d,
    };
    let (inputs, errors) = inputs(cx, "grep", &g.files, &stdin);
    let names = g.with_names.unwrap_or(g.files.len() > 1);
    let mut d = Done::default();
    let mut any = false;
    for (name, text) in &inputs {
        let mut n = 0usize;
        for (i, line) in text.lines().enumerate() {
            if let Some(l) = g.filter_line(line) {
                n += 1;
                any = true;
                if g.quiet || g.count {
                    continue;
                }
                for part in l.split('\n') {
                    if names {
                        d.stdout.push_str(name);
                        d.stdout.push(':');
                    }
                    if g.line_numbers {
                        d.stdout.push_str(&format!("{}:", i + 1));
                    }
                    d.stdout.push_str(part);
                    d.stdout.push('\n');
                }
            }
        }
        if g.count && !g.quiet {
            if names {
                d.stdout.push_str(&format!("{name}:{n}\n"));
            } else {
                d.stdout.push_str(&format!("{n}\n"));
            }
        }
    }
    if g.quiet {
        d.stdout.clear();
    }
    d.stderr = errors.stderr;
    d.code = if errors.code != 0 && !(g.quiet && any) {
        2
    } else if any {
        0
    } else {
        1
    };
    d
}

/// Parsed `head`/`tail` options.
pub(crate) struct HeadTail {
    pub lines: usize,
    /// `tail -n +N`: from line N on.
    pub from_start: bool,
    pub files: Vec<String>,
}

impl HeadTail {
    pub fn parse(argv: &[String]) -> Result<HeadTail, Done> {
        let tool = argv[0].as_str();
        let mut lines = 10usize;
        let mut from_start = false;
        let mut files = Vec::new();
        let mut args = argv[1..].iter();
        let count = |v: &str, from_start: &mut bool| -> Result<usize, Done> {
            let v = match v.strip_prefix('+') {
                Some(rest) if tool == "tail" => {
                    *from_start = true;
                    rest
                }
                _ => v.strip_prefix('-').unwrap_or(v),
            };
            v.parse::<usize>()
                .map_err(|_| Done::err(format!("{tool}: invalid number of lines: ‘{v}’\n"), 1))
        };
        while let Some(a) = args.next() {
            if a == "-n" || a == "--lines" {
                let Some(v) = args.next() else {
                    return Err(Done::err(
                        format!(
                            "{tool}: option requires an argument -- 'n'\n{}",
                            try_help(tool)
                        ),
                        1,
                    ));
                };
                lines = count(v, &mut from_start)?;
            } else if let Some(v) = a.strip_prefix("--lines=") {
                lines = count(v, &mut from_start)?;
            } else if let Some(v) = a.strip_prefix("-n") {
                lines = count(v, &mut from_start)?;
            } else if a.len() > 1
                && a.starts_with('-')
                && a[1..].bytes().all(|b| b.is_ascii_digit())
            {
                lines = count(&a[1..], &mut from_start)?;
            } else if a == "-f" || a == "-q" || a == "-s" {
                // Following a workspace file ends at its end: nothing else writes to it meanwhile.
            } else if a.starts_with('-') && a != "-" {
                return Err(Done::err(
                    format!(
                        "{tool}: invalid option -- '{}'\n{}",
                        a.trim_start_matches('-'),
                        try_help(tool)
                    ),
                    1,
                ));
            } else {
                files.push(a.clone());
            }
        }
        Ok(HeadTail {
            lines,
            from_start,
            files,
        })
    }
}

pub(crate) fn head_tail(cx: &mut Cx, argv: &[String], stdin: Option<String>, head: bool) -> Done {
    let h = match HeadTail::parse(argv) {
        Ok(h) => h,
        Err(d) => return d,
    };
    let tool = if head { "head" } else { "tail" };
    let (inputs, errors) = inputs(cx, tool, &h.files, &stdin);
    let mut d = Done::default();
    let several = inputs.len() > 1;
    for (i, (name, text)) in inputs.iter().enumerate() {
        if several {
            if i > 0 {
                d.stdout.push('\n');
            }
            d.stdout.push_str(&format!("==> {name} <==\n"));
        }
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let picked: &[&str] = if head {
            &lines[..h.lines.min(lines.len())]
        } else if h.from_start {
            &lines[h.lines.saturating_sub(1).min(lines.len())..]
        } else {
            &lines[lines.len().saturating_sub(h.lines)..]
        };
        d.stdout.extend(picked.iter().copied());
    }
    d.stderr = errors.stderr;
    d.code = errors.code;
    d
}

pub(crate) fn wc(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Done {
    let (mut l, mut w, mut c) = (false, false, false);
    let mut files = Vec::new();
    for a in args {
        match a.as_str() {
            "--lines" => l = true,
            "--words" => w = true,
            "--bytes" | "--chars" => c = true,
            s if s.starts_with('-') && s.len() > 1 => {
                for ch in s[1..].chars() {
                    match ch {
                        'l' => l = true,
                        'w' => w = true,
                        'c' | 'm' => c = true,
                        other => {
                            return Done::err(
                                format!("wc: invalid option -- '{other}'\n{}", try_help("wc")),
                                1,
                            )
                        }
                    }
                }
            }
            _ => files.push(a.clone()),
        }
    }
    if !(l || w || c) {
        (l, w, c) = (true, true, true);
    }
    let (inputs, errors) = inputs(cx, "wc", &files, &stdin);
    let counts: Vec<(String, [usize; 3])> = inputs
        .iter()
        .map(|(name, t)| {
            (
                name.clone(),
                [
                    t.matches('\n').count(),
                    t.split_whitespace().count(),
                    t.len(),
                ],
            )
        })
        .collect();
    let mut rows = counts.clone();
    if counts.len() > 1 {
        let mut total = [0; 3];
        for (_, c) in &counts {
            for i in 0..3 {
                total[i] += c[i];
            }
        }
        rows.push(("total".into(), total));
    }
    let selected = [l, w, c];
    let n_selected = selected.iter().filter(|x| **x).count();
    // GNU wc: no padding for one count of one input; 7 columns when reading stdin; otherwise
    // as wide as the total byte count.
    let width = if n_selected == 1 && rows.len() == 1 {
        1
    } else if files.is_empty() {
        7
    } else {
        rows.iter()
            .map(|(_, c)| c[2])
            .max()
            .unwrap_or(0)
            .to_string()
            .len()
    };
    let mut d = Done::default();
    for (name, c) in rows {
        let cells: Vec<String> = (0..3)
            .filter(|i| selected[*i])
            .map(|i| format!("{:>width$}", c[i]))
            .collect();
        d.stdout.push_str(&cells.join(" "));
        if !files.is_empty() {
            d.stdout.push(' ');
            d.stdout.push_str(&name);
        }
        d.stdout.push('\n');
    }
    d.stderr = errors.stderr;
    d.code = errors.code;
    d
}

pub(crate) fn base64(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Done {
    let mut decode = false;
    let mut wrap = 76usize;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-d" | "--decode" | "-D" => decode = true,
            "-i" | "--ignore-garbage" => {}
            "-w" | "--wrap" => match it.next().and_then(|v| v.parse().ok()) {
                Some(n) => wrap = n,
                None => return Done::err("base64: invalid wrap size\n", 1),
            },
            s if s.starts_with("-w") || s.starts_with("--wrap=") => {
                let v = s.trim_start_matches("--wrap=").trim_start_matches("-w");
                match v.parse() {
                    Ok(n) => wrap = n,
                    Err(_) => return Done::err(format!("base64: invalid wrap size: ‘{v}’\n"), 1),
                }
            }
            s if s.starts_with('-') && s != "-" => {
                return Done::err(
                    format!(
                        "base64: invalid option -- '{}'\n{}",
                        s.trim_start_matches('-'),
                        try_help("base64")
                    ),
                    1,
                )
            }
            _ => files.push(a.clone()),
        }
    }
    if files.len() > 1 {
        return Done::err(
            format!(
                "base64: extra operand ‘{}’\n{}",
                files[1],
                try_help("base64")
            ),
            1,
        );
    }
    let (inputs, errors) = inputs(cx, "base64", &files, &stdin);
    if errors.code != 0 {
        return errors;
    }
    let text = inputs
        .into_iter()
        .next()
        .map(|(_, t)| t)
        .unwrap_or_default();
    let engine = base64::engine::general_purpose::STANDARD;
    if decode {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        // GNU base64 decodes what it can and then complains; the valid prefix is printed.
        match engine.decode(compact.as_bytes()) {
            Ok(bytes) => Done::out(String::from_utf8_lossy(&bytes).into_owned()),
            Err(_) => {
                let valid = compact.len() / 4 * 4;
                let prefix = (0..=valid)
                    .rev()
                    .step_by(4)
                    .find_map(|n| engine.decode(&compact.as_bytes()[..n]).ok())
                    .unwrap_or_default();
                Done {
                    stdout: String::from_utf8_lossy(&prefix).into_owned(),
                    stderr: "base64: invalid input\n".into(),
                    code: 1,
                }
            }
        }
    } else {
        let encoded = engine.encode(text.as_bytes());
        let mut out = String::new();
        if wrap == 0 {
            out.push_str(&encoded);
            if !encoded.is_empty() {
                out.push('\n');
            }
        } else {
            for chunk in encoded.as_bytes().chunks(wrap) {
                out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
                out.push('\n');
            }
        }
        Done::out(out)
    }
}

pub(crate) fn sort(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Done {
    let (mut reverse, mut numeric, mut unique) = (false, false, false);
    let mut files = Vec::new();
    for a in args {
        if a.starts_with('-') && a.len() > 1 {
            for ch in a[1..].chars() {
                match ch {
                    'r' => reverse = true,
                    'n' | 'h' => numeric = true,
                    'u' => unique = true,
                    other => {
                        return Done::err(
                            format!("sort: invalid option -- '{other}'\n{}", try_help("sort")),
                            2,
                        )
                    }
                }
            }
        } else {
            files.push(a.clone());
        }
    }
    let (inputs, errors) = inputs(cx, "sort", &files, &stdin);
    let mut lines: Vec<String> = inputs
        .iter()
        .flat_map(|(_, t)| t.lines().map(str::to_string))
        .collect();
    let number = |s: &str| -> f64 {
        let t = s.trim_start();
        let end = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .unwrap_or(t.len());
        t[..end].parse().unwrap_or(0.0)
    };
    if numeric {
        lines.sort_by(|a, b| {
            number(a)
                .partial_cmp(&number(b))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(b))
        });
    } else {
        lines.sort();
    }
    if unique {
        lines.dedup();
    }
    if reverse {
        lines.reverse();
    }
    Done {
        stdout: lines.iter().map(|l| format!("{l}\n")).collect(),
        stderr: errors.stderr,
        code: if errors.code != 0 { 2 } else { 0 },
    }
}

pub(crate) fn uniq(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Done {
    let count = args.iter().any(|a| a == "-c");
    let files: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .cloned()
        .collect();
    let (inputs, errors) = inputs(cx, "uniq", &files[..files.len().min(1)], &stdin);
    let mut out = String::new();
    let text = inputs
        .into_iter()
        .next()
        .map(|(_, t)| t)
        .unwrap_or_default();
    let mut prev: Option<(&str, usize)> = None;
    let flush = |p: Option<(&str, usize)>, out: &mut String| {
        if let Some((l, n)) = p {
            if count {
                out.push_str(&format!("{n:>7} {l}\n"));
            } else {
                out.push_str(&format!("{l}\n"));
            }
        }
    };
    for line in text.lines() {
        match prev {
            Some((p, n)) if p == line => prev = Some((p, n + 1)),
            _ => {
                flush(prev, &mut out);
                prev = Some((line, 1));
            }
        }
    }
    flush(prev, &mut out);
    Done {
        stdout: out,
        stderr: errors.stderr,
        code: errors.code,
    }
}

pub(crate) fn cat(cx: &mut Cx, args: &[String], stdin: Option<String>) -> Done {
    let files: Vec<String> = args
        .iter()
        .filter(|a| !(a.starts_with('-') && a.len() > 1))
        .cloned()
        .collect();
    let (inputs, errors) = inputs(cx, "cat", &files, &stdin);
    Done {
        stdout: inputs.into_iter().map(|(_, t)| t).collect(),
        stderr: errors.stderr,
        code: errors.code,
    }
}
