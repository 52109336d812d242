//! The programs a command line inside a container can run: coreutils/busybox basics, name
//! lookups against cluster DNS, `curl` and `wget` through the network model, and the version
//! queries of the images' own programs (`nginx -v`). Each prints what the real tool prints for
//! the options learners use; a program the image does not have never gets here (the shell or
//! the container runtime refuses it first).

use super::fs::{absolute, FsError};
use super::os::Os;
use super::shell::Shell;
use super::{Container, ExecOutput, Stream};
use crate::network::{NetError, Origin};
use crate::object::Object;
use crate::Cluster;

/// What a program runs with.
pub struct Ctx<'a> {
    pub container: &'a Container,
    pub cwd: &'a str,
    pub env: &'a [(String, String)],
    pub cluster: &'a mut Cluster,
}

/// `/usr/bin/env` → `env`.
pub fn program_name(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Whether `path` names a directory on the images' `$PATH`.
pub fn on_path(path: &str) -> bool {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    matches!(
        dir,
        "/bin" | "/usr/bin" | "/usr/local/bin" | "/sbin" | "/usr/sbin" | "/usr/local/sbin"
    )
}

/// Shell builtins that also exist as programs everywhere a shell does.
pub fn is_builtin_like(name: &str) -> bool {
    matches!(name, "echo" | "printf" | "test" | "[" | "true" | "false")
}

fn err(out: &mut ExecOutput, text: String) -> i32 {
    out.push(Stream::Stderr, &text);
    1
}

/// Runs `argv` (its program exists in the image).
pub fn run(ctx: &mut Ctx<'_>, argv: &[String], stdin: &str, out: &mut ExecOutput) -> i32 {
    let name = program_name(&argv[0]);
    let args = &argv[1..];
    let os = ctx.container.os.os;
    let busybox = matches!(os, Os::Busybox | Os::Alpine);
    if matches!(
        args.first().map(String::as_str),
        Some("-v" | "-V" | "--version" | "version")
    ) && name != "grep"
    {
        if let Some((on_stderr, text)) = ctx.container.os.version_of(name) {
            out.push(
                if on_stderr {
                    Stream::Stderr
                } else {
                    Stream::Stdout
                },
                &text,
            );
            return 0;
        }
    }
    match name {
        "sh" | "ash" | "dash" | "bash" => {
            let mut shell = Shell::new(ctx.container.clone(), &argv[0], false);
            shell.cwd = ctx.cwd.to_string();
            shell.vars = ctx.env.to_vec();
            let script = match args.iter().position(|a| a == "-c") {
                Some(i) => match args.get(i + 1) {
                    Some(s) => s.clone(),
                    None => {
                        return err(out, format!("{}: -c requires an argument\n", name));
                    }
                },
                None => stdin.to_string(),
            };
            let r = shell.run_script(ctx.cluster, &script, "");
            let code = r.exit_code;
            out.chunks.extend(r.chunks);
            code
        }
        "echo" => {
            let mut newline = true;
            let mut escapes = false;
            let mut words = args;
            while let Some(f) = words.first() {
                match f.as_str() {
                    "-n" => newline = false,
                    "-e" => escapes = true,
                    "-ne" | "-en" => {
                        newline = false;
                        escapes = true;
                    }
                    _ => break,
                }
                words = &words[1..];
            }
            let mut text = words.join(" ");
            if escapes || os == Os::Debian {
                text = text.replace("\\n", "\n").replace("\\t", "\t");
            }
            if newline {
                text.push('\n');
            }
            out.push(Stream::Stdout, &text);
            0
        }
        "printf" => {
            let Some(fmt) = args.first() else {
                return err(out, "printf: usage: printf format [arguments]\n".into());
            };
            let mut text = String::new();
            let mut rest = args[1..].iter();
            let mut parts = fmt.split("%s");
            text.push_str(parts.next().unwrap_or(""));
            for p in parts {
                text.push_str(rest.next().map(String::as_str).unwrap_or(""));
                text.push_str(p);
            }
            out.push(
                Stream::Stdout,
                &text.replace("\\n", "\n").replace("\\t", "\t"),
            );
            0
        }
        "cat" => cat(ctx, args, stdin, out),
        "tar" => super::tar::run(ctx, args, stdin, out),
        "ls" => ls(ctx, args, out),
        "env" => {
            if args.is_empty() {
                let text: String = ctx.env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                out.push(Stream::Stdout, &text);
                0
            } else {
                // `env VAR=x cmd`: not modelled beyond running the command.
                let start = args
                    .iter()
                    .position(|a| !a.contains('='))
                    .unwrap_or(args.len());
                if start == args.len() {
                    let mut text: String =
                        ctx.env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                    for a in args {
                        text.push_str(&format!("{a}\n"));
                    }
                    out.push(Stream::Stdout, &text);
                    return 0;
                }
                let rest: Vec<String> = args[start..].to_vec();
                if !ctx.container.os.has(program_name(&rest[0])) && !is_builtin_like(&rest[0]) {
                    return err(
                        out,
                        format!("env: '{}': No such file or directory\n", rest[0]),
                    )
                    .max(127);
                }
                run(ctx, &rest, stdin, out)
            }
        }
        "printenv" => {
            if args.is_empty() {
                let text: String = ctx.env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                out.push(Stream::Stdout, &text);
                return 0;
            }
            let mut code = 0;
            for a in args {
                match ctx.env.iter().find(|(k, _)| k == a) {
                    Some((_, v)) => out.push(Stream::Stdout, &format!("{v}\n")),
                    None => code = 1,
                }
            }
            code
        }
        "hostname" => {
            let text = match args.first().map(String::as_str) {
                Some("-i") => ctx.container.pod_ip.clone(),
                _ => ctx.container.pod.clone(),
            };
            out.push(Stream::Stdout, &format!("{text}\n"));
            0
        }
        "date" => {
            let now = ctx.cluster.now();
            let text = match args.first().map(String::as_str) {
                Some("-u" | "--utc") | None => now.strftime("%a %b %e %H:%M:%S UTC %Y").to_string(),
                Some(f) if f.starts_with('+') => now.strftime(&f[1..]).to_string(),
                Some(_) => now.strftime("%a %b %e %H:%M:%S UTC %Y").to_string(),
            };
            out.push(Stream::Stdout, &format!("{text}\n"));
            0
        }
        "true" => 0,
        "false" => 1,
        "pwd" => {
            out.push(Stream::Stdout, &format!("{}\n", ctx.cwd));
            0
        }
        "whoami" => {
            out.push(Stream::Stdout, "root\n");
            0
        }
        "id" => {
            let text = if busybox {
                "uid=0(root) gid=0(root) groups=0(root),10(wheel)\n"
            } else {
                "uid=0(root) gid=0(root) groups=0(root)\n"
            };
            out.push(Stream::Stdout, text);
            0
        }
        "uname" => {
            let release = "6.8.0-1030-gcp";
            let text = match args.first().map(String::as_str) {
                Some("-a") => format!(
                    "Linux {} {release} #32~22.04.1-Ubuntu SMP Tue Apr 29 23:17:11 UTC 2025 x86_64{}\n",
                    ctx.container.pod,
                    if busybox { " Linux" } else { " GNU/Linux" }
                ),
                Some("-r") => format!("{release}\n"),
                Some("-n") => format!("{}\n", ctx.container.pod),
                Some("-m") => "x86_64\n".into(),
                _ => "Linux\n".into(),
            };
            out.push(Stream::Stdout, &text);
            0
        }
        // Simulated time does not move while a command runs: the sleep is over at once.
        "sleep" => match args.first() {
            None => err(
                out,
                if busybox {
                    "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: sleep [N]...\n\nPause for a time equal to the total of the args given, where each arg can\nhave an optional suffix of (s)econds, (m)inutes, (h)ours, or (d)ays\n".into()
                } else {
                    "sleep: missing operand\nTry 'sleep --help' for more information.\n".into()
                },
            ),
            Some(_) => 0,
        },
        "ps" => {
            let mut text = String::from("PID   USER     TIME  COMMAND\n");
            let mut pid = 1;
            for p in &ctx.container.processes {
                text.push_str(&format!("{pid:>5} root      0:00 {p}\n"));
                pid += 1;
            }
            let me = format!("ps {}", args.join(" "));
            text.push_str(&format!(
                "{:>5} root      0:00 {}\n",
                pid + 5,
                me.trim_end()
            ));
            if os == Os::Ubuntu {
                text = String::from("    PID TTY          TIME CMD\n");
                for (i, p) in ctx.container.processes.iter().enumerate() {
                    let cmd = p
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .rsplit('/')
                        .next()
                        .unwrap_or("");
                    text.push_str(&format!("{:>7} ?        00:00:00 {cmd}\n", i + 1));
                }
                text.push_str(&format!("{:>7} ?        00:00:00 ps\n", pid + 5));
            }
            out.push(Stream::Stdout, &text);
            0
        }
        "grep" => grep(ctx, args, stdin, out),
        "head" | "tail" => head_tail(ctx, name, args, stdin, out),
        "wc" => {
            let (flags, files): (Vec<&String>, Vec<&String>) =
                args.iter().partition(|a| a.starts_with('-'));
            let text = match files.first() {
                Some(f) => match read(ctx, f) {
                    Ok(t) => t,
                    Err(e) => return err(out, format!("wc: {f}: {}\n", e.text())),
                },
                None => stdin.to_string(),
            };
            let l = text.matches('\n').count();
            let w = text.split_whitespace().count();
            let c = text.len();
            let suffix = files.first().map(|f| format!(" {f}")).unwrap_or_default();
            let line = match flags.first().map(|f| f.as_str()) {
                Some("-l") => format!("{l}{suffix}"),
                Some("-w") => format!("{w}{suffix}"),
                Some("-c" | "-m") => format!("{c}{suffix}"),
                _ if busybox => format!("{l:>9} {w:>9} {c:>9}{suffix}"),
                _ => format!("{l:>7} {w:>7} {c:>7}{suffix}"),
            };
            out.push(
                Stream::Stdout,
                &format!(
                    "{}\n",
                    if busybox || !suffix.is_empty() {
                        line
                    } else {
                        line.trim_start().to_string()
                    }
                ),
            );
            0
        }
        "sort" => {
            let text = match args.iter().find(|a| !a.starts_with('-')) {
                Some(f) => match read(ctx, f) {
                    Ok(t) => t,
                    Err(e) => return err(out, format!("sort: {f}: {}\n", e.text())),
                },
                None => stdin.to_string(),
            };
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort();
            if args.iter().any(|a| a == "-r") {
                lines.reverse();
            }
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            out.push(Stream::Stdout, &text);
            0
        }
        "mkdir" => {
            let parents = args.iter().any(|a| a == "-p");
            let mut code = 0;
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                let abs = absolute(ctx.cwd, a);
                if let Err(e) =
                    ctx.container
                        .fs
                        .mkdir(&mut ctx.cluster.runtime.kubelet.written, &abs, parents)
                {
                    let verb = if busybox { "can't" } else { "cannot" };
                    code = err(
                        out,
                        format!("mkdir: {verb} create directory '{a}': {}\n", e.text()),
                    );
                }
            }
            code
        }
        "touch" => {
            let mut code = 0;
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                let abs = absolute(ctx.cwd, a);
                let w = &mut ctx.cluster.runtime.kubelet.written;
                if ctx.container.fs.exists(w, &abs) {
                    continue;
                }
                if let Err(e) = ctx.container.fs.write(w, &abs, "", true) {
                    let msg = if busybox {
                        format!("touch: {a}: {}\n", e.text())
                    } else {
                        format!("touch: cannot touch '{a}': {}\n", e.text())
                    };
                    code = err(out, msg);
                }
            }
            code
        }
        "rm" => {
            let flags: String = args
                .iter()
                .filter(|a| a.starts_with('-'))
                .map(|a| &a[1..])
                .collect();
            let force = flags.contains('f');
            let recursive = flags.contains('r') || flags.contains('R');
            let mut code = 0;
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                let abs = absolute(ctx.cwd, a);
                match ctx.container.fs.remove(
                    &mut ctx.cluster.runtime.kubelet.written,
                    &abs,
                    recursive,
                ) {
                    Ok(()) => {}
                    Err(FsError::NotFound) if force => {}
                    Err(e) => {
                        let msg = if busybox {
                            format!("rm: can't remove '{a}': {}\n", e.text())
                        } else {
                            format!("rm: cannot remove '{a}': {}\n", e.text())
                        };
                        code = err(out, msg);
                    }
                }
            }
            code
        }
        "which" => {
            let mut code = 0;
            for a in args {
                if ctx.container.os.has(a) || is_builtin_like(a) {
                    let dir = if matches!(a.as_str(), "nginx") {
                        "/usr/sbin"
                    } else if busybox {
                        "/bin"
                    } else {
                        "/usr/bin"
                    };
                    out.push(Stream::Stdout, &format!("{dir}/{a}\n"));
                } else {
                    code = 1;
                }
            }
            code
        }
        "test" | "[" => test(ctx, name, args),
        "nslookup" => nslookup(ctx, args, out),
        "getent" => getent(ctx, args, out),
        "curl" => curl(ctx, args, out),
        "wget" => wget(ctx, args, out),
        "nginx" => match args.first().map(String::as_str) {
            Some("-t") => {
                out.push(Stream::Stderr, "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n");
                0
            }
            _ => {
                let t = ctx.cluster.now().strftime("%Y/%m/%d %H:%M:%S");
                out.push(Stream::Stderr, &format!("{t} [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)\nnginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\n"));
                1
            }
        },
        "redis-cli" => {
            let reply = match args
                .iter()
                .map(|a| a.to_lowercase())
                .collect::<Vec<_>>()
                .first()
                .map(String::as_str)
            {
                Some("ping") => "PONG",
                Some("info") => "# Server\r\nredis_version:7.4.2",
                _ => "(error) ERR unknown command",
            };
            out.push(Stream::Stdout, &format!("{reply}\n"));
            0
        }
        // An interpreter with no script reads its program from stdin: with none, it ends at once.
        "node" | "python" | "python3" if args.is_empty() => 0,
        other => err(
            out,
            format!("{other}: only `{other} --version` is simulated by Wheelhouse\n"),
        ),
    }
}

fn read(ctx: &Ctx<'_>, path: &str) -> Result<String, FsError> {
    let abs = absolute(ctx.cwd, path);
    ctx.container
        .fs
        .read(&ctx.cluster.runtime.kubelet.written, &abs)
}

fn busybox(ctx: &Ctx<'_>) -> bool {
    matches!(ctx.container.os.os, Os::Busybox | Os::Alpine)
}

fn cat(ctx: &mut Ctx<'_>, args: &[String], stdin: &str, out: &mut ExecOutput) -> i32 {
    let files: Vec<&String> = args
        .iter()
        .filter(|a| !a.starts_with('-') || *a == "-")
        .collect();
    if files.is_empty() {
        out.push(Stream::Stdout, stdin);
        return 0;
    }
    let mut code = 0;
    for f in files {
        if f == "-" {
            out.push(Stream::Stdout, stdin);
            continue;
        }
        match read(ctx, f) {
            Ok(text) => out.push(Stream::Stdout, &text),
            Err(e) => {
                let msg = if busybox(ctx) {
                    match e {
                        FsError::IsDirectory => format!("cat: read error: {}\n", e.text()),
                        _ => format!("cat: can't open '{f}': {}\n", e.text()),
                    }
                } else {
                    format!("cat: {f}: {}\n", e.text())
                };
                code = err(out, msg);
            }
        }
    }
    code
}

fn ls(ctx: &mut Ctx<'_>, args: &[String], out: &mut ExecOutput) -> i32 {
    let flags: String = args
        .iter()
        .filter(|a| a.starts_with('-') && a.len() > 1)
        .map(|a| &a[1..])
        .collect();
    let long = flags.contains('l');
    let all = flags.contains('a');
    let one = flags.contains('1') || !ctx.container.tty;
    let mut paths: Vec<&String> = args
        .iter()
        .filter(|a| !a.starts_with('-') || a.len() == 1)
        .collect();
    let dot = ".".to_string();
    if paths.is_empty() {
        paths.push(&dot);
    }
    let bb = busybox(ctx);
    let w = &ctx.cluster.runtime.kubelet.written;
    let fs = &ctx.container.fs;
    let mut code = 0;
    let mut text = String::new();
    let many = paths.len() > 1;
    let when = ctx.container.started.strftime("%b %e %H:%M").to_string();
    for (n, p) in paths.iter().enumerate() {
        let abs = absolute(ctx.cwd, p);
        let entries = match fs.list(w, &abs) {
            Ok(e) => e,
            Err(FsError::NotDirectory) => vec![(p.to_string(), false)],
            Err(e) => {
                code = if bb { 1 } else { 2 };
                let msg = if bb {
                    format!("ls: {p}: {}\n", e.text())
                } else {
                    format!("ls: cannot access '{p}': {}\n", e.text())
                };
                out.push(Stream::Stderr, &msg);
                continue;
            }
        };
        if many {
            if n > 0 {
                text.push('\n');
            }
            text.push_str(&format!("{p}:\n"));
        }
        // A ConfigMap or Secret volume: each key is a link into the atomically swapped `..data`.
        let projected = fs
            .mounts
            .iter()
            .any(|m| m.path == abs && m.storage.is_none());
        let mut names: Vec<(String, bool)> = entries;
        if all {
            names.insert(0, ("..".into(), true));
            names.insert(0, (".".into(), true));
            if projected {
                names.push(("..data".into(), true));
            }
        }
        if long {
            if !bb {
                text.push_str(&format!("total {}\n", names.len() * 4));
            }
            for (name, is_dir) in &names {
                let size = if *is_dir {
                    4096
                } else {
                    read(ctx, &format!("{abs}/{name}")).map_or(0, |c| c.len())
                };
                let (mode, size, suffix) = if projected && !is_dir {
                    ("lrwxrwxrwx", name.len() + 7, format!(" -> ..data/{name}"))
                } else if *is_dir {
                    ("drwxr-xr-x", size, String::new())
                } else {
                    ("-rw-r--r--", size, String::new())
                };
                if bb {
                    text.push_str(&format!(
                        "{mode}    1 root     root     {size:>9} {when} {name}{suffix}\n"
                    ));
                } else {
                    text.push_str(&format!(
                        "{mode} 1 root root {size:>4} {when} {name}{suffix}\n"
                    ));
                }
            }
        } else if one {
            for (name, _) in &names {
                text.push_str(&format!("{name}\n"));
            }
        } else {
            text.push_str(&columns(
                &names.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
            ));
        }
    }
    out.push(Stream::Stdout, &text);
    code
}

/// `ls` on a terminal: names in columns, filled top to bottom, for an 80-column screen.
fn columns(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0) + 2;
    let cols = (80 / width).max(1);
    let rows = names.len().div_ceil(cols);
    let mut out = String::new();
    for r in 0..rows {
        let mut line = String::new();
        for c in 0..cols {
            if let Some(n) = names.get(c * rows + r) {
                line.push_str(&format!("{n:<width$}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn grep(ctx: &mut Ctx<'_>, args: &[String], stdin: &str, out: &mut ExecOutput) -> i32 {
    let mut flags = String::new();
    let mut rest: Vec<&String> = Vec::new();
    for a in args {
        if a.starts_with('-') && a.len() > 1 && rest.is_empty() {
            flags.push_str(&a[1..]);
        } else {
            rest.push(a);
        }
    }
    let Some(pattern) = rest.first() else {
        return err(out, if busybox(ctx) { "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: grep [-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n".into() } else { "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n".into() }).max(2);
    };
    let ignore = flags.contains('i');
    let invert = flags.contains('v');
    let count = flags.contains('c');
    let quiet = flags.contains('q');
    let numbers = flags.contains('n');
    let text = match rest.get(1) {
        Some(f) => match read(ctx, f) {
            Ok(t) => t,
            Err(e) => {
                return err(out, format!("grep: {f}: {}\n", e.text())).max(2);
            }
        },
        None => stdin.to_string(),
    };
    let matcher = |line: &str| -> bool {
        let alternatives: Vec<&str> = pattern
            .split("\\|")
            .flat_map(|p| {
                if flags.contains('E') {
                    p.split('|').collect::<Vec<_>>()
                } else {
                    vec![p]
                }
            })
            .collect();
        alternatives.iter().any(|p| {
            let (anchored_start, p) = match p.strip_prefix('^') {
                Some(r) => (true, r),
                None => (false, *p),
            };
            let (anchored_end, p) = match p.strip_suffix('$') {
                Some(r) => (true, r),
                None => (false, p),
            };
            let (l, p) = if ignore {
                (line.to_lowercase(), p.to_lowercase())
            } else {
                (line.to_string(), p.to_string())
            };
            match (anchored_start, anchored_end) {
                (true, true) => l == p,
                (true, false) => l.starts_with(&p),
                (false, true) => l.ends_with(&p),
                (false, false) => l.contains(&p),
            }
        })
    };
    let mut found = 0;
    let mut text_out = String::new();
    for (i, line) in text.lines().enumerate() {
        if matcher(line) != invert {
            found += 1;
            if numbers {
                text_out.push_str(&format!("{}:", i + 1));
            }
            text_out.push_str(line);
            text_out.push('\n');
        }
    }
    if quiet {
        return if found > 0 { 0 } else { 1 };
    }
    if count {
        out.push(Stream::Stdout, &format!("{found}\n"));
    } else {
        out.push(Stream::Stdout, &text_out);
    }
    if found > 0 {
        0
    } else {
        1
    }
}

fn head_tail(
    ctx: &mut Ctx<'_>,
    name: &str,
    args: &[String],
    stdin: &str,
    out: &mut ExecOutput,
) -> i32 {
    let mut n: usize = 10;
    let mut file: Option<&String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-n" {
            n = args
                .get(i + 1)
                .and_then(|v| v.trim_start_matches('+').parse().ok())
                .unwrap_or(10);
            i += 1;
        } else if let Some(v) = a.strip_prefix("-n") {
            n = v.parse().unwrap_or(10);
        } else if let Some(v) = a
            .strip_prefix('-')
            .filter(|v| v.chars().all(|c| c.is_ascii_digit()) && !v.is_empty())
        {
            n = v.parse().unwrap_or(10);
        } else if !a.starts_with('-') {
            file = Some(a);
        }
        i += 1;
    }
    let text = match file {
        Some(f) => match read(ctx, f) {
            Ok(t) => t,
            Err(e) => {
                let msg = if busybox(ctx) {
                    format!("{name}: can't open '{f}': {}\n", e.text())
                } else {
                    format!("{name}: cannot open '{f}' for reading: {}\n", e.text())
                };
                return err(out, msg);
            }
        },
        None => stdin.to_string(),
    };
    let lines: Vec<&str> = text.lines().collect();
    let picked: &[&str] = if name == "head" {
        &lines[..n.min(lines.len())]
    } else {
        &lines[lines.len().saturating_sub(n)..]
    };
    let text: String = picked.iter().map(|l| format!("{l}\n")).collect();
    out.push(Stream::Stdout, &text);
    0
}

fn test(ctx: &mut Ctx<'_>, name: &str, args: &[String]) -> i32 {
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    if name == "[" {
        if args.last() != Some(&"]") {
            return 2;
        }
        args.pop();
    }
    let w = &ctx.cluster.runtime.kubelet.written;
    let fs = &ctx.container.fs;
    let truth = match args.as_slice() {
        [] => false,
        ["!", rest @ ..] => {
            return if test(
                ctx,
                "test",
                &rest.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            ) == 0
            {
                1
            } else {
                0
            }
        }
        ["-f", p] => {
            let a = absolute(ctx.cwd, p);
            fs.exists(w, &a) && !fs.is_dir(w, &a)
        }
        ["-d", p] => fs.is_dir(w, &absolute(ctx.cwd, p)),
        ["-e", p] => fs.exists(w, &absolute(ctx.cwd, p)),
        ["-z", s] => s.is_empty(),
        ["-n", s] => !s.is_empty(),
        [a, "=" | "==", b] => a == b,
        [a, "!=", b] => a != b,
        [a, op @ ("-eq" | "-ne" | "-lt" | "-gt" | "-le" | "-ge"), b] => {
            let (x, y) = (a.parse::<i64>().unwrap_or(0), b.parse::<i64>().unwrap_or(0));
            match *op {
                "-eq" => x == y,
                "-ne" => x != y,
                "-lt" => x < y,
                "-gt" => x > y,
                "-le" => x <= y,
                _ => x >= y,
            }
        }
        [s] => !s.is_empty(),
        _ => false,
    };
    if truth {
        0
    } else {
        1
    }
}

/// A name looked up through the pod's resolver: (fully qualified name, addresses).
fn resolve(ctx: &Ctx<'_>, host: &str) -> Option<(String, Vec<String>)> {
    let host = host.trim_end_matches('.');
    if host.split('.').count() == 4 && host.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some((host.to_string(), vec![host.to_string()]));
    }
    if host == "localhost" {
        return Some(("localhost".into(), vec!["127.0.0.1".into()]));
    }
    if host == ctx.container.pod {
        return Some((host.to_string(), vec![ctx.container.pod_ip.clone()]));
    }
    let ns = ctx.container.namespace.as_str();
    let parts: Vec<&str> = host.split('.').collect();
    let tail: Vec<&str> = match parts.as_slice() {
        [.., "svc", "cluster", "local"] => parts[..parts.len() - 3].to_vec(),
        [.., "svc"] => parts[..parts.len() - 1].to_vec(),
        _ => parts.clone(),
    };
    // `svc`, `svc.ns`, and `pod-hostname.svc.ns` for pods with a subdomain (StatefulSets).
    let (pod_host, svc, ns) = match tail.as_slice() {
        [svc] => (None, *svc, ns),
        [svc, n] => (None, *svc, *n),
        [h, svc, n] => (Some(*h), *svc, *n),
        _ => return None,
    };
    let store = ctx.cluster.store();
    let service = store
        .list("Service", Some(ns))
        .find_map(|o| match o.as_ref() {
            Object::Service(s) if s.metadata.name.as_deref() == Some(svc) => Some(s.clone()),
            _ => None,
        })?;
    let fqdn = match pod_host {
        Some(h) => format!("{h}.{svc}.{ns}.svc.cluster.local"),
        None => format!("{svc}.{ns}.svc.cluster.local"),
    };
    let spec = service.spec.clone().unwrap_or_default();
    let cluster_ip = spec.cluster_ip.clone().unwrap_or_default();
    if pod_host.is_none() && !cluster_ip.is_empty() && cluster_ip != "None" {
        return Some((fqdn, vec![cluster_ip]));
    }
    // Headless: the ready pods' own addresses.
    let pods = crate::controllers::endpoints::selected_pods(ctx.cluster, &service);
    let ips: Vec<String> = pods
        .iter()
        .filter(|p| crate::controllers::is_ready(p))
        .filter(|p| {
            pod_host.is_none_or(|h| {
                p.spec
                    .as_ref()
                    .and_then(|s| s.hostname.as_deref())
                    .or(p.metadata.name.as_deref())
                    == Some(h)
                    && p.spec.as_ref().and_then(|s| s.subdomain.as_deref()) == Some(svc)
            })
        })
        .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
        .collect();
    if ips.is_empty() {
        return None;
    }
    Some((fqdn, ips))
}

fn nslookup(ctx: &mut Ctx<'_>, args: &[String], out: &mut ExecOutput) -> i32 {
    let Some(host) = args.iter().find(|a| !a.starts_with('-')) else {
        return err(out, "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n\nQuery DNS about HOST\n".into());
    };
    let dns = ctx.container.dns_ip.clone();
    let mut text = format!("Server:\t\t{dns}\nAddress:\t{dns}:53\n\n");
    match resolve(ctx, host) {
        Some((fqdn, ips)) => {
            for ip in ips {
                text.push_str(&format!("Name:\t{fqdn}\nAddress: {ip}\n"));
            }
            text.push('\n');
            out.push(Stream::Stdout, &text);
            0
        }
        None => {
            let fq = if host.contains('.') {
                host.to_string()
            } else {
                format!("{host}.{}.svc.cluster.local", ctx.container.namespace)
            };
            text.push_str(&format!("** server can't find {fq}: NXDOMAIN\n\n"));
            out.push(Stream::Stdout, &text);
            1
        }
    }
}

fn getent(ctx: &mut Ctx<'_>, args: &[String], out: &mut ExecOutput) -> i32 {
    match args {
        [db, host] if db == "hosts" || db == "ahosts" => match resolve(ctx, host) {
            Some((fqdn, ips)) => {
                let text: String = ips.iter().map(|ip| format!("{ip:<15} {fqdn}\n")).collect();
                out.push(Stream::Stdout, &text);
                0
            }
            None => 2,
        },
        [] => err(out, "Usage: getent [OPTION...] database [key ...]\n".into()),
        _ => 2,
    }
}

/// The options of `curl` learners use: `-s`, `-S`, `-f`, `-o FILE`, `-m SECS`, `-I`/`-i` (as
/// `-s`), `-v` (ignored).
fn curl(ctx: &mut Ctx<'_>, args: &[String], out: &mut ExecOutput) -> i32 {
    let mut silent = false;
    let mut show_errors = false;
    let mut fail = false;
    let mut output: Option<String> = None;
    let mut url: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "-o" | "--output" => {
                output = args.get(i + 1).cloned();
                i += 1;
            }
            "-m" | "--max-time" | "--connect-timeout" | "-H" | "--header" | "-w" | "-X" => i += 1,
            "-s" | "--silent" => silent = true,
            "-S" | "--show-error" => show_errors = true,
            "-f" | "--fail" => fail = true,
            s if s.starts_with("--") => {}
            s if s.starts_with('-') && s.len() > 1 => {
                silent |= s.contains('s');
                show_errors |= s.contains('S');
                fail |= s.contains('f');
            }
            s => url = Some(s.to_string()),
        }
        i += 1;
    }
    let Some(url) = url else {
        return err(
            out,
            "curl: try 'curl --help' or 'curl --manual' for more information\n".into(),
        )
        .max(2);
    };
    let from = Origin::Pod {
        namespace: &ctx.container.namespace.clone(),
        name: &ctx.container.pod.clone(),
    };
    match ctx.cluster.http_request(from, &url) {
        Ok(r) => {
            if fail && r.status >= 400 {
                if !silent || show_errors {
                    out.push(
                        Stream::Stderr,
                        &format!(
                            "curl: (22) The requested URL returned error: {}\n",
                            r.status
                        ),
                    );
                }
                return 22;
            }
            match &output {
                Some(path) if path != "-" => {
                    let abs = absolute(ctx.cwd, path);
                    if let Err(e) = ctx.container.fs.write(
                        &mut ctx.cluster.runtime.kubelet.written,
                        &abs,
                        &r.body,
                        false,
                    ) {
                        out.push(Stream::Stderr, &format!("Warning: Failed to open the file {path}: {}\ncurl: (23) Failure writing output to destination\n", e.text()));
                        return 23;
                    }
                }
                _ => {}
            }
            // curl draws its progress meter when its output is not a terminal.
            let to_file = output.as_deref().is_some_and(|p| p != "-");
            if !silent && (!ctx.container.tty || to_file) {
                let n = r.body.len();
                out.push(Stream::Stderr, &format!(
                    "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n100 {n:>5}  100 {n:>5}    0     0   {s:>4}k      0 --:--:-- --:--:-- --:--:-- {s:>4}k\n",
                    s = (n / 1000).max(1)
                ));
            }
            if !to_file {
                out.push(Stream::Stdout, &r.body);
            }
            0
        }
        Err(e) => {
            if !silent || show_errors {
                out.push(Stream::Stderr, &format!("{e}\n"));
            }
            e.exit_code()
        }
    }
}

/// busybox `wget`: `-q`, `-O FILE` (`-O-` for stdout), `-T SECS`, `--spider`.
fn wget(ctx: &mut Ctx<'_>, args: &[String], out: &mut ExecOutput) -> i32 {
    let mut quiet = false;
    let mut output: Option<String> = None;
    let mut spider = false;
    let mut url: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "-O" => {
                output = args.get(i + 1).cloned();
                i += 1;
            }
            "-T" | "--timeout" => i += 1,
            "--spider" => spider = true,
            s if s.starts_with("-O") => output = Some(s[2..].to_string()),
            "-qO-" => {
                quiet = true;
                output = Some("-".into());
            }
            s if s.starts_with('-') => quiet |= s.contains('q'),
            s => url = Some(s.to_string()),
        }
        i += 1;
    }
    let Some(url) = url else {
        return err(out, "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...\n\nRetrieve files via HTTP or FTP\n".into());
    };
    let host_port = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    let host = host_port.split(':').next().unwrap_or("").to_string();
    let port = host_port.split(':').nth(1).unwrap_or("80").to_string();
    let from = Origin::Pod {
        namespace: &ctx.container.namespace.clone(),
        name: &ctx.container.pod.clone(),
    };
    let ip = resolve(ctx, &host).and_then(|(_, ips)| ips.first().cloned());
    match ctx.cluster.http_request(from, &url) {
        Ok(r) if r.status >= 400 => {
            if !quiet {
                out.push(
                    Stream::Stderr,
                    &format!(
                        "Connecting to {host_port} ({}:{port})\n",
                        ip.unwrap_or_default()
                    ),
                );
            }
            let reason = match r.status {
                404 => "Not Found",
                500 => "Internal Server Error",
                503 => "Service Unavailable",
                _ => "Error",
            };
            err(
                out,
                format!(
                    "wget: server returned error: HTTP/1.1 {} {reason}\n",
                    r.status
                ),
            )
        }
        Ok(r) => {
            let file = output.clone().unwrap_or_else(|| {
                let last = url.rsplit('/').next().unwrap_or("");
                if last.is_empty() || !url.trim_start_matches("http://").contains('/') {
                    "index.html".into()
                } else {
                    last.to_string()
                }
            });
            if !quiet {
                out.push(
                    Stream::Stderr,
                    &format!(
                        "Connecting to {host_port} ({}:{port})\n",
                        ip.clone().unwrap_or_default()
                    ),
                );
            }
            if spider {
                if !quiet {
                    out.push(Stream::Stderr, "remote file exists\n");
                }
                return 0;
            }
            if file == "-" {
                if !quiet {
                    out.push(Stream::Stderr, "writing to stdout\n");
                }
                out.push(Stream::Stdout, &r.body);
                if !quiet {
                    let n = r.body.len();
                    out.push(Stream::Stderr, &format!("-                    100% |********************************| {n:>5}  0:00:00 ETA\nwritten to stdout\n"));
                }
            } else {
                let abs = absolute(ctx.cwd, &file);
                if let Err(e) = ctx.container.fs.write(
                    &mut ctx.cluster.runtime.kubelet.written,
                    &abs,
                    &r.body,
                    false,
                ) {
                    return err(out, format!("wget: can't open '{file}': {}\n", e.text()));
                }
                if !quiet {
                    let n = r.body.len();
                    out.push(Stream::Stderr, &format!("saving to '{file}'\n{file:<21}100% |********************************| {n:>5}  0:00:00 ETA\n'{file}' saved\n"));
                }
            }
            0
        }
        Err(NetError::Unresolved(h)) => err(out, format!("wget: bad address '{h}'\n")),
        Err(NetError::Refused { host: _, port: p }) => {
            if !quiet {
                out.push(
                    Stream::Stderr,
                    &format!(
                        "Connecting to {host_port} ({}:{p})\n",
                        ip.clone().unwrap_or_default()
                    ),
                );
            }
            err(
                out,
                format!(
                    "wget: can't connect to remote host ({}): Connection refused\n",
                    ip.unwrap_or(host)
                ),
            )
        }
        Err(NetError::Timeout { .. }) => {
            if !quiet {
                out.push(
                    Stream::Stderr,
                    &format!(
                        "Connecting to {host_port} ({}:{port})\n",
                        ip.unwrap_or_default()
                    ),
                );
            }
            err(out, "wget: download timed out\n".into())
        }
        Err(NetError::EmptyReply) => err(
            out,
            "wget: error getting response: Connection reset by peer\n".into(),
        ),
        Err(NetError::BadUrl) => err(out, format!("wget: not an http or ftp url: {url}\n")),
    }
}
