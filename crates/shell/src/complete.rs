//! Tab completion: commands, kubectl subcommands and flags, resource types, object names from the
//! session's cluster, workspace files, images, and the laptop tools' subcommands.
//!
//! The answer replaces the word under the cursor (`line[start..cursor]`) with one of the
//! candidates; the client inserts a lone candidate followed by a space, or the candidates' common
//! prefix and a listing when there are several (as bash does on a second Tab).

use crate::commands;
use crate::commands::edit::resolve_type;
use crate::runtime::Runtime;
use crate::workspace::{self, Files};
use crate::Shell;

/// Completion candidates for the word that starts at byte `start`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Completions {
    pub start: usize,
    pub candidates: Vec<String>,
}

const KUBECTL_COMMANDS: &[&str] = &[
    "annotate",
    "api-resources",
    "api-versions",
    "apply",
    "attach",
    "auth",
    "autoscale",
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
    "patch",
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

const KUBECTL_FLAGS: &[&str] = &[
    "--all-namespaces",
    "--dry-run=client",
    "--dry-run=server",
    "--filename",
    "--follow",
    "--help",
    "--image",
    "--labels",
    "--namespace",
    "--output",
    "--previous",
    "--replicas",
    "--selector",
    "--show-labels",
    "--sort-by",
    "--tail",
    "--watch",
    "--container",
    "--force",
    "--grace-period",
    "--record",
    "--port",
    "--target-port",
    "--type",
    "--timeout",
    "-A",
    "-f",
    "-l",
    "-n",
    "-o",
    "-w",
];

const OUTPUT_FORMATS: &[&str] = &[
    "custom-columns=",
    "go-template=",
    "json",
    "jsonpath=",
    "name",
    "wide",
    "yaml",
];

fn matching<'a>(prefix: &str, options: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = options
        .into_iter()
        .filter(|o| o.starts_with(prefix))
        .map(str::to_string)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Splits the text before the cursor into the current command's words and the partial word.
fn words_before(line: &str) -> (Vec<String>, String, usize) {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '\'' | '"') => quote = Some(c),
            (None, '\\') => {
                if let Some((_, e)) = chars.next() {
                    current.push(e);
                }
            }
            (None, ' ' | '\t') => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                start = i + 1;
            }
            (None, '|' | ';' | '&' | '(' | ')') => {
                words.clear();
                current.clear();
                start = i + 1;
            }
            (None, '>' | '<') => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                words.push(c.to_string());
                start = i + 1;
            }
            (None, c) => {
                if current.is_empty() {
                    start = i;
                }
                current.push(c);
            }
        }
    }
    (words, current, start)
}

pub(crate) fn complete(
    sh: &Shell,
    line: &str,
    cursor: usize,
    rt: &mut dyn Runtime,
    files: &Files,
) -> Completions {
    let mut cursor = cursor.min(line.len());
    while !line.is_char_boundary(cursor) {
        cursor -= 1;
    }
    let (mut words, prefix, start) = words_before(&line[..cursor]);
    if let Some(first) = words.first().cloned() {
        if let Some(alias) = sh.aliases.get(&first) {
            let expanded: Vec<String> = alias.split_whitespace().map(str::to_string).collect();
            words.splice(0..1, expanded);
        }
    }
    let candidates = if words.last().is_some_and(|w| w == ">" || w == "<") {
        file_names(sh, files, &prefix)
    } else if words.is_empty() {
        if prefix.contains('/') || prefix.starts_with('.') {
            file_names(sh, files, &prefix)
        } else {
            let mut names: Vec<&str> = commands::command_names().to_vec();
            names.extend(sh.aliases.keys().map(String::as_str));
            matching(&prefix, names)
        }
    } else {
        let rest = &words[1..];
        match words[0].as_str() {
            "kubectl" => kubectl(sh, rest, &prefix, rt, files),
            "minikube" => minikube(sh, rest, &prefix, rt),
            "kind" => kind(sh, rest, &prefix),
            "docker" => docker(sh, rest, &prefix, files),
            "curl" | "echo" | "sleep" | "export" | "alias" | "unalias" | "kill" | "jobs" | "fg" => {
                Vec::new()
            }
            _ => file_names(sh, files, &prefix),
        }
    };
    Completions { start, candidates }
}

/// Workspace paths: files, and directories with a trailing `/`.
fn file_names(sh: &Shell, files: &Files, prefix: &str) -> Vec<String> {
    let (dir, leaf) = match prefix.rsplit_once('/') {
        Some((d, l)) => (Some(d), l),
        None => (None, prefix),
    };
    let key = match workspace::resolve_in(&sh.cwd, dir.unwrap_or(".")) {
        Ok(k) => k,
        Err(_) => return Vec::new(),
    };
    let mut entries = workspace::list_dir(files, key.as_deref());
    let inner = key.as_ref().map(|k| format!("{k}/")).unwrap_or_default();
    for d in &sh.dirs {
        if let Some(rest) = d.strip_prefix(&inner) {
            let entry = format!("{}/", rest.split('/').next().unwrap_or(rest));
            if !rest.is_empty() && !entries.contains(&entry) {
                entries.push(entry);
            }
        }
    }
    entries.sort();
    entries
        .into_iter()
        .filter(|e| e.starts_with(leaf))
        .map(|e| match dir {
            Some(d) => format!("{d}/{e}"),
            None => e,
        })
        .collect()
}

fn resource_type_names() -> Vec<&'static str> {
    let mut v: Vec<&str> = Vec::new();
    for r in cluster::resources::RESOURCES {
        if r.verbs.contains(&"list") {
            v.push(r.plural);
            v.extend(r.short_names.iter().copied());
        }
    }
    v
}

fn object_names(rt: &mut dyn Runtime, type_name: &str, namespace: &str) -> Vec<String> {
    let Some(t) = resolve_type(type_name) else {
        return Vec::new();
    };
    let ns = t.namespaced().then_some(namespace);
    rt.cluster()
        .list(t, ns)
        .iter()
        .map(|o| o.name().to_string())
        .collect()
}

fn kubectl(
    sh: &Shell,
    rest: &[String],
    prefix: &str,
    rt: &mut dyn Runtime,
    files: &Files,
) -> Vec<String> {
    let mut namespace = sh.namespace();
    let mut positional: Vec<&str> = Vec::new();
    let mut it = rest.iter().peekable();
    let mut last_flag: Option<&str> = None;
    while let Some(w) = it.next() {
        last_flag = None;
        match w.as_str() {
            "-n" | "--namespace" => match it.next() {
                Some(ns) => namespace = ns.clone(),
                None => last_flag = Some("-n"),
            },
            "-f" | "--filename" | "-o" | "--output" | "-l" | "--selector" | "-c"
            | "--container" | "--image" | "--context" => {
                if it.next().is_none() {
                    last_flag = Some(w.as_str());
                }
            }
            s if s.starts_with("--namespace=") => namespace = s[12..].to_string(),
            s if s.starts_with('-') => {}
            s => positional.push(s),
        }
    }
    match last_flag {
        Some("-n" | "--namespace") => {
            return matching(
                prefix,
                object_names(rt, "namespaces", "")
                    .iter()
                    .map(String::as_str),
            )
        }
        Some("-f" | "--filename") => return file_names(sh, files, prefix),
        Some("-o" | "--output") => return matching(prefix, OUTPUT_FORMATS.iter().copied()),
        Some("--context") => return matching(prefix, ["minikube"]),
        Some(_) => return Vec::new(),
        None => {}
    }
    if let Some(v) = prefix.strip_prefix("--namespace=") {
        return matching(
            v,
            object_names(rt, "namespaces", "")
                .iter()
                .map(String::as_str),
        )
        .into_iter()
        .map(|n| format!("--namespace={n}"))
        .collect();
    }
    if let Some(v) = prefix
        .strip_prefix("--output=")
        .or_else(|| prefix.strip_prefix("-o="))
    {
        let flag = &prefix[..prefix.len() - v.len()];
        return matching(v, OUTPUT_FORMATS.iter().copied())
            .into_iter()
            .map(|o| format!("{flag}{o}"))
            .collect();
    }
    if prefix.starts_with('-') {
        return matching(prefix, KUBECTL_FLAGS.iter().copied());
    }
    let Some((sub, args)) = positional.split_first() else {
        return matching(prefix, KUBECTL_COMMANDS.iter().copied());
    };
    let typed_name = |rt: &mut dyn Runtime, prefix: &str| -> Vec<String> {
        let (t, p) = prefix.split_once('/').unwrap_or_default();
        matching(
            p,
            object_names(rt, t, &namespace).iter().map(String::as_str),
        )
        .into_iter()
        .map(|n| format!("{t}/{n}"))
        .collect()
    };
    match *sub {
        "get" | "describe" | "delete" | "edit" | "label" | "annotate" | "patch" | "explain"
        | "scale" | "expose" | "autoscale" | "wait" => {
            if prefix.contains('/') {
                typed_name(rt, prefix)
            } else if args.is_empty() {
                matching(prefix, resource_type_names())
            } else if *sub == "explain" {
                Vec::new()
            } else {
                let t = args[0].split(',').next().unwrap_or_default();
                matching(
                    prefix,
                    object_names(rt, t, &namespace).iter().map(String::as_str),
                )
            }
        }
        "logs" | "exec" | "attach" | "port-forward" | "cp" | "debug" => {
            if prefix.contains('/') {
                typed_name(rt, prefix)
            } else if args.is_empty() {
                matching(
                    prefix,
                    object_names(rt, "pods", &namespace)
                        .iter()
                        .map(String::as_str),
                )
            } else {
                Vec::new()
            }
        }
        "rollout" => match args {
            [] => matching(
                prefix,
                ["history", "pause", "restart", "resume", "status", "undo"],
            ),
            [_] if prefix.contains('/') => typed_name(rt, prefix),
            [_] => matching(
                prefix,
                [
                    "daemonsets",
                    "deployments",
                    "statefulsets",
                    "deploy",
                    "ds",
                    "sts",
                ],
            ),
            [_, t, ..] => matching(
                prefix,
                object_names(rt, t, &namespace).iter().map(String::as_str),
            ),
        },
        "set" => match args {
            [] => matching(
                prefix,
                [
                    "env",
                    "image",
                    "resources",
                    "selector",
                    "serviceaccount",
                    "subject",
                ],
            ),
            [_] if prefix.contains('/') => typed_name(rt, prefix),
            [_] => matching(
                prefix,
                [
                    "deployments",
                    "daemonsets",
                    "statefulsets",
                    "replicasets",
                    "pods",
                    "deploy",
                ],
            ),
            [_, t, ..] => matching(
                prefix,
                object_names(rt, t, &namespace).iter().map(String::as_str),
            ),
        },
        "create" => match args {
            [] => matching(
                prefix,
                [
                    "configmap",
                    "cronjob",
                    "deployment",
                    "ingress",
                    "job",
                    "namespace",
                    "secret",
                    "service",
                    "serviceaccount",
                ],
            ),
            ["secret"] => matching(prefix, ["docker-registry", "generic", "tls"]),
            ["service" | "svc"] => matching(
                prefix,
                ["clusterip", "externalname", "loadbalancer", "nodeport"],
            ),
            _ => Vec::new(),
        },
        "config" => matching(
            prefix,
            [
                "current-context",
                "get-contexts",
                "set-context",
                "use-context",
                "view",
            ],
        ),
        "top" => matching(prefix, ["node", "pod"]),
        "apply" | "replace" | "diff" => file_names(sh, files, prefix),
        _ => Vec::new(),
    }
}

fn minikube(sh: &Shell, rest: &[String], prefix: &str, rt: &mut dyn Runtime) -> Vec<String> {
    let positional: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .filter(|w| !w.starts_with('-'))
        .collect();
    match positional.as_slice() {
        [] => matching(
            prefix,
            [
                "image", "ip", "kubectl", "service", "start", "status", "stop", "version",
            ],
        ),
        ["service"] => {
            let names = object_names(rt, "services", &sh.namespace());
            let mut v = matching(prefix, names.iter().map(String::as_str));
            v.extend(matching(prefix, ["--url", "list"]));
            v
        }
        ["image"] => matching(prefix, ["load"]),
        ["image", "load", ..] => local_images(sh, prefix),
        _ => Vec::new(),
    }
}

fn kind(sh: &Shell, rest: &[String], prefix: &str) -> Vec<String> {
    if rest.last().is_some_and(|w| w == "--name" || w == "-n") {
        return matching(prefix, sh.laptop.kind_clusters.iter().map(String::as_str));
    }
    let positional: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .filter(|w| !w.starts_with('-'))
        .collect();
    match positional.as_slice() {
        [] => matching(prefix, ["create", "delete", "get", "load", "version"]),
        ["create" | "delete"] => matching(prefix, ["cluster"]),
        ["get"] => matching(prefix, ["clusters", "nodes"]),
        ["load"] => matching(prefix, ["docker-image"]),
        ["load", "docker-image", ..] => {
            let mut v = local_images(sh, prefix);
            v.extend(matching(prefix, ["--name"]));
            v
        }
        _ => Vec::new(),
    }
}

fn docker(sh: &Shell, rest: &[String], prefix: &str, files: &Files) -> Vec<String> {
    let positional: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .filter(|w| !w.starts_with('-'))
        .collect();
    match positional.as_slice() {
        [] => matching(
            prefix,
            [
                "build", "image", "images", "login", "logout", "ps", "pull", "push", "rmi", "tag",
                "version",
            ],
        ),
        ["push" | "tag" | "rmi", ..] => local_images(sh, prefix),
        ["build", ..] if !rest.last().is_some_and(|w| w == "-t" || w == "--tag") => {
            let mut v = file_names(sh, files, prefix);
            if ".".starts_with(prefix) {
                v.insert(0, ".".into());
            }
            v
        }
        _ => Vec::new(),
    }
}

fn local_images(sh: &Shell, prefix: &str) -> Vec<String> {
    matching(
        prefix,
        sh.laptop
            .images
            .iter()
            .filter(|i| i.reference != "<none>:<none>")
            .map(|i| i.reference.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_before_the_cursor() {
        assert_eq!(
            words_before("kubectl get po"),
            (vec!["kubectl".into(), "get".into()], "po".into(), 12)
        );
        assert_eq!(words_before("echo x | k"), (vec![], "k".into(), 9));
        assert_eq!(
            words_before("cat 'my fi"),
            (vec!["cat".into()], "my fi".into(), 4)
        );
        assert_eq!(
            words_before("kubectl get "),
            (vec!["kubectl".into(), "get".into()], "".into(), 12)
        );
    }
}
