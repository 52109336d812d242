//! kubectl's commands: each parses its flags, sends the requests the real kubectl sends, and
//! prints what the real one prints.

pub mod auth;
pub mod autoscale;
pub mod completion;
pub mod create_more;
pub mod describe;
pub mod diff;
pub mod drain;
pub mod events;
pub mod exec;
pub mod explain;
pub mod expose;
pub mod get;
pub mod help;
pub mod kubeconfig;
pub mod logs_target;
pub mod misc;
pub mod record;
pub mod replace;
pub mod resources;
pub mod rollout;
pub mod set_env;
pub mod taint;
pub mod top;
pub mod wait;
pub mod watch;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::discovery::Discovery;
use crate::flags::{self, Flag, Parsed};
use crate::rest::Transport;
use crate::{Context, KubeConfig, Output};

/// What a running command works with.
pub struct Env<'a> {
    pub transport: &'a mut dyn Transport,
    pub files: &'a BTreeMap<String, String>,
    pub config: &'a mut KubeConfig,
    /// The namespace in effect (`-n`, else the context's).
    pub namespace: String,
    /// Whether `-n` was given.
    pub explicit_namespace: bool,
    discovery: Option<Arc<Discovery>>,
    /// Where a command that keeps running leaves itself, when the caller can poll it
    /// ([`crate::start`]); `None` runs every command to its end.
    pub stream: Option<&'a mut Option<Box<dyn crate::Running>>>,
}

impl Env<'_> {
    /// Discovery: from the caller's cache when it has one, else fetched once per command.
    pub fn discovery(&mut self) -> Arc<Discovery> {
        self.discovery
            .get_or_insert_with(|| Discovery::fetch_shared(self.transport))
            .clone()
    }
}

/// Parses flags for `command` (e.g. `get`, `create deployment`), printing pflag's error on failure.
pub fn parse_flags(
    command: &str,
    args: &[String],
    spec: &[Flag],
    out: &mut Output,
) -> Option<Parsed> {
    match flags::parse(args, spec) {
        Ok(p) => Some(p),
        Err(e) => {
            out.fail(format!(
                "error: {}\nSee 'kubectl {command} --help' for usage.",
                e.0
            ));
            None
        }
    }
}

/// Prints the real help text when `-h`/`--help` is among the arguments.
fn wants_help(args: &[String]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-h" || a == "--help")
}

/// The commands kubectl knows, for "unknown command" and help.
const COMMANDS: &[&str] = &[
    "annotate",
    "api-resources",
    "api-versions",
    "apply",
    "attach",
    "auth",
    "autoscale",
    "certificate",
    "cluster-info",
    "completion",
    "config",
    "cordon",
    "cp",
    "create",
    "debug",
    "delete",
    "describe",
    "diff",
    "drain",
    "edit",
    "events",
    "exec",
    "explain",
    "expose",
    "get",
    "help",
    "kustomize",
    "label",
    "logs",
    "options",
    "patch",
    "plugin",
    "port-forward",
    "proxy",
    "replace",
    "rollout",
    "run",
    "scale",
    "set",
    "taint",
    "top",
    "uncordon",
    "version",
    "wait",
];

/// Runs one kubectl command line (without the leading `kubectl`).
pub fn dispatch(args: &[String], ctx: &mut Context, config: &mut KubeConfig) -> Output {
    dispatch_streaming(args, ctx, config, None, None)
}

/// [`dispatch`], leaving a command that keeps running in `stream` when one is given.
pub fn dispatch_streaming(
    args: &[String],
    ctx: &mut Context,
    config: &mut KubeConfig,
    stream: Option<&mut Option<Box<dyn crate::Running>>>,
    mut cache: Option<&mut crate::discovery::Cache>,
) -> Output {
    let mut out = Output::default();
    // Global flags may come before the command name.
    let mut i = 0;
    let mut pre: Vec<String> = Vec::new();
    while i < args.len() && args[i].starts_with('-') && args[i] != "-h" && args[i] != "--help" {
        pre.push(args[i].clone());
        let takes_value = flags::GLOBAL.iter().any(|f| {
            f.kind == flags::Kind::Value
                && (args[i] == format!("--{}", f.long)
                    || f.short.is_some_and(|s| args[i] == format!("-{s}")))
        });
        if takes_value && i + 1 < args.len() {
            pre.push(args[i + 1].clone());
            i += 1;
        }
        i += 1;
    }
    let Some(command) = args.get(i).map(String::as_str) else {
        if wants_help(args) || args.is_empty() {
            out.stdout.push_str(help::text("").unwrap_or(""));
        }
        return out;
    };
    let mut rest: Vec<String> = args[i + 1..].to_vec();
    rest.extend(pre);

    if command == "help" {
        let path = rest.join(" ");
        match help::text(&path) {
            Some(t) => out.stdout.push_str(t),
            None => out.stdout.push_str(help::text("").unwrap_or("")),
        }
        return out;
    }
    if command == "-h" || command == "--help" {
        out.stdout.push_str(help::text("").unwrap_or(""));
        return out;
    }
    if !COMMANDS.contains(&command) {
        let suggestions: Vec<&str> = COMMANDS
            .iter()
            .copied()
            .filter(|c| levenshtein(command, c) <= 2 || c.starts_with(&command.to_lowercase()))
            .collect();
        let mut msg = format!("error: unknown command \"{command}\" for \"kubectl\"");
        if !suggestions.is_empty() {
            msg.push_str("\n\nDid you mean this?\n");
            for s in suggestions {
                msg.push_str(&format!("\t{s}\n"));
            }
        }
        out.fail(msg);
        return out;
    }
    if wants_help(&rest) {
        // `kubectl create deployment --help`: the longest command path with a help text.
        let words: Vec<&str> = std::iter::once(command)
            .chain(
                rest.iter()
                    .take_while(|a| !a.starts_with('-'))
                    .map(String::as_str),
            )
            .collect();
        for n in (1..=words.len()).rev() {
            if let Some(t) = help::text(&words[..n].join(" ")) {
                out.stdout.push_str(t);
                return out;
            }
        }
    }

    let explicit = rest.iter().any(|a| {
        a == "-n"
            || a.starts_with("--namespace")
            || (a.starts_with("-n") && a.len() > 2 && !a.starts_with("--"))
    });
    let server = config.server.clone();
    let mut env = Env {
        transport: ctx.transport,
        files: ctx.files,
        config,
        namespace: String::new(),
        explicit_namespace: explicit,
        discovery: cache.as_deref().and_then(|c| c.lookup(&server)),
        stream,
    };
    env.namespace = env.config.namespace();
    match command {
        "get" => get::run(&rest, &mut env, &mut out),
        "describe" => describe::run(&rest, &mut env, &mut out),
        "exec" => exec::run(&rest, &mut env, &mut out),
        "wait" => wait::run(&rest, &mut env, &mut out),
        "events" => events::run(&rest, &mut env, &mut out),
        "version" | "api-resources" | "api-versions" | "config" | "cluster-info" => {
            misc::run(command, &rest, &mut env, &mut out)
        }
        _ => resources::run(command, &rest, &mut env, &mut out),
    }
    if let (Some(cache), Some(discovery)) = (cache.as_deref_mut(), env.discovery) {
        cache.store(&server, discovery);
    }
    out
}

/// Edit distance, for cobra's "Did you mean this?" (suggestions within distance 2).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
