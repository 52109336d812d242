//! `tar`, for what `kubectl cp` runs in the container: `tar cf - <path>` to copy out (the archive
//! on stdout) and `tar -xmf - -C <dir>` to copy in (the archive on stdin). Archives are real
//! ustar archives (the `tar` crate writes and reads them); files hold text in this simulation,
//! so an archive is valid UTF-8 and travels through exec's text streams unchanged.

use super::commands::Ctx;
use super::fs::absolute;
use super::os::Os;
use super::{ExecOutput, Stream};

/// What the options ask for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    create: bool,
    extract: bool,
    list: bool,
    verbose: bool,
    /// `-f`: the archive file; only `-` (stdin or stdout) is served.
    file: Option<String>,
    /// `-C`: the directory to work in.
    directory: Option<String>,
    operands: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut args = args.iter().peekable();
    let mut first = true;
    while let Some(a) = args.next() {
        // The first word may bundle its letters without a dash (`tar cf -`).
        let letters = match a.strip_prefix('-') {
            Some(l) if !l.starts_with('-') && !l.is_empty() => Some(l),
            None if first => Some(a.as_str()),
            _ => None,
        };
        first = false;
        if let Some(letters) = letters {
            for c in letters.chars() {
                match c {
                    'c' => o.create = true,
                    'x' => o.extract = true,
                    't' => o.list = true,
                    'v' => o.verbose = true,
                    // Keep modification times as extracted / ownership: nothing to do here.
                    'm' | 'o' | 'p' => {}
                    'f' => o.file = args.next().cloned(),
                    'C' => o.directory = args.next().cloned(),
                    'z' | 'j' | 'J' => return Err("compressed archives are not supported".into()),
                    other => return Err(format!("invalid option -- '{other}'")),
                }
            }
        } else if let Some(long) = a.strip_prefix("--") {
            match long {
                "no-same-permissions" | "no-same-owner" | "touch" => {}
                "directory" => o.directory = args.next().cloned(),
                _ if long.starts_with("directory=") => {
                    o.directory = Some(long["directory=".len()..].to_string())
                }
                _ => return Err(format!("unrecognized option '--{long}'")),
            }
        } else {
            o.operands.push(a.clone());
        }
    }
    Ok(o)
}

/// Runs `tar` with `args`; returns its exit status.
pub fn run(ctx: &mut Ctx<'_>, args: &[String], stdin: &str, out: &mut ExecOutput) -> i32 {
    let gnu = !matches!(ctx.container.os.os, Os::Busybox | Os::Alpine);
    let fail = |out: &mut ExecOutput, msg: &str| {
        out.push(Stream::Stderr, &format!("tar: {msg}\n"));
        if gnu {
            out.push(
                Stream::Stderr,
                "Try 'tar --help' or 'tar --usage' for more information.\n",
            );
        }
        2
    };
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) => return fail(out, &e),
    };
    if [o.create, o.extract, o.list].iter().filter(|b| **b).count() != 1 {
        return fail(
            out,
            "You must specify one of the '-Acdtrux', '--delete' or '--test-label' options",
        );
    }
    if o.file.as_deref().is_some_and(|f| f != "-") {
        return fail(
            out,
            "only '-f -' (standard input or output) is supported here",
        );
    }
    let dir = absolute(ctx.cwd, o.directory.as_deref().unwrap_or(ctx.cwd));
    if o.create {
        create(ctx, &o, &dir, gnu, out)
    } else {
        extract(ctx, &o, &dir, stdin, out)
    }
}

fn create(ctx: &mut Ctx<'_>, o: &Options, dir: &str, gnu: bool, out: &mut ExecOutput) -> i32 {
    let mtime = ctx.cluster.now().as_second().max(0) as u64;
    let mut builder = tar::Builder::new(Vec::new());
    let mut code = 0;
    let mut warned = false;
    for operand in &o.operands {
        let path = absolute(dir, operand);
        if operand.starts_with('/') && !warned {
            warned = true;
            out.push(
                Stream::Stderr,
                if gnu {
                    "tar: Removing leading `/' from member names\n"
                } else {
                    "tar: removing leading '/' from member names\n"
                },
            );
        }
        let name = |p: &str| {
            if operand.starts_with('/') {
                p.trim_start_matches('/').to_string()
            } else {
                // Relative to the working directory, as given.
                let base = path.trim_end_matches(operand.trim_start_matches("./"));
                p.strip_prefix(base).unwrap_or(p).to_string()
            }
        };
        let mut todo = vec![path.clone()];
        while let Some(p) = todo.pop() {
            let fs = &ctx.container.fs;
            let written = &ctx.cluster.runtime.kubelet.written;
            if fs.is_dir(written, &p) {
                // A directory entry: its name ends with a slash.
                let _ = append(&mut builder, &format!("{}/", name(&p)), None, mtime);
                if let Ok(entries) = fs.list(written, &p) {
                    for (entry, _) in entries.into_iter().rev() {
                        todo.push(format!("{}/{entry}", p.trim_end_matches('/')));
                    }
                }
                continue;
            }
            match fs.read(written, &p) {
                Ok(content) => {
                    if append(&mut builder, &name(&p), Some(&content), mtime).is_err() {
                        out.push(
                            Stream::Stderr,
                            &format!("tar: {}: Cannot add to the archive\n", name(&p)),
                        );
                        code = 2;
                    }
                }
                Err(e) => {
                    let msg = if gnu {
                        format!("tar: {operand}: Cannot stat: {}\n", e.text())
                    } else {
                        format!("tar: {operand}: {}\n", e.text())
                    };
                    out.push(Stream::Stderr, &msg);
                    code = 2;
                }
            }
        }
    }
    if code != 0 && gnu {
        out.push(
            Stream::Stderr,
            "tar: Exiting with failure status due to previous errors\n",
        );
    }
    let bytes = builder.into_inner().unwrap_or_default();
    out.push(Stream::Stdout, &String::from_utf8_lossy(&bytes));
    code
}

/// Adds a file (with content) or a directory (without) to the archive, in GNU tar's format (long
/// names get its long-name entries).
fn append(
    builder: &mut tar::Builder<Vec<u8>>,
    name: &str,
    content: Option<&str>,
    mtime: u64,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    let data = content.unwrap_or_default().as_bytes();
    header.set_size(data.len() as u64);
    header.set_mtime(mtime);
    header.set_mode(if content.is_some() { 0o644 } else { 0o755 });
    header.set_entry_type(if content.is_some() {
        tar::EntryType::Regular
    } else {
        tar::EntryType::Directory
    });
    builder.append_data(&mut header, name, data)
}

fn extract(ctx: &mut Ctx<'_>, o: &Options, dir: &str, stdin: &str, out: &mut ExecOutput) -> i32 {
    let mut archive = tar::Archive::new(stdin.as_bytes());
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(_) => {
            out.push(
                Stream::Stderr,
                "tar: This does not look like a tar archive\n",
            );
            return 2;
        }
    };
    let mut code = 0;
    for entry in entries {
        let Ok(mut entry) = entry else {
            out.push(Stream::Stderr, "tar: Unexpected EOF in archive\n");
            return 2;
        };
        let Ok(name) = entry.path().map(|p| p.to_string_lossy().into_owned()) else {
            continue;
        };
        // Never outside the target directory, as tar refuses `..` members.
        if name.split('/').any(|part| part == "..") {
            out.push(
                Stream::Stderr,
                &format!("tar: {name}: Member name contains '..'\n"),
            );
            code = 2;
            continue;
        }
        let path = absolute(dir, name.trim_start_matches('/'));
        if o.list || o.verbose {
            out.push(Stream::Stdout, &format!("{name}\n"));
        }
        if o.list {
            continue;
        }
        let fs = &ctx.container.fs;
        let written = &mut ctx.cluster.runtime.kubelet.written;
        let result = if entry.header().entry_type().is_dir() {
            fs.mkdir(written, path.trim_end_matches('/'), true)
        } else {
            let mut content = String::new();
            let _ = std::io::Read::read_to_string(&mut entry, &mut content);
            let parent = path.rsplit_once('/').map_or("/", |(p, _)| p);
            let parent = if parent.is_empty() { "/" } else { parent };
            fs.mkdir(written, parent, true)
                .and_then(|()| fs.write(written, &path, &content, false))
        };
        if let Err(e) = result {
            out.push(
                Stream::Stderr,
                &format!("tar: {name}: Cannot open: {}\n", e.text()),
            );
            code = 2;
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn kubectl_cps_command_lines_parse() {
        let o = parse(&args("cf - /tmp/local.txt")).unwrap();
        assert!(o.create && o.file.as_deref() == Some("-"));
        assert_eq!(o.operands, ["/tmp/local.txt"]);
        let o = parse(&args("-xmf - -C /tmp --no-same-owner")).unwrap();
        assert!(o.extract && o.directory.as_deref() == Some("/tmp"));
        assert!(o.operands.is_empty());
        assert!(parse(&args("czf - x")).is_err());
    }
}
