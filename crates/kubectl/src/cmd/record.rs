//! `--record`: the deprecated flag that stores the command line in the object's
//! `kubernetes.io/change-cause` annotation (which `rollout history` shows as CHANGE-CAUSE).
//!
//! The recorded text is what kubectl's `Factory.Command` rebuilds from its arguments: the
//! program name, the positional words (the command's own included), then every flag given as
//! ` --<long name>=<value>` in the order typed.

use crate::flags::{Flag, Kind, Parsed, GLOBAL};
use crate::Output;

/// The annotation kubectl records into.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

/// cobra's notice when a deprecated flag is used.
const DEPRECATED: &str =
    "Flag --record has been deprecated, --record will be removed in the future\n";

/// For a command run with `--record`: prints cobra's deprecation notice and returns the change
/// cause to record (`None` when the flag is absent or false). `command` is the command path
/// (`set image`), `args` what followed it, `spec` its flags.
pub fn change_cause(
    command: &str,
    args: &[String],
    spec: &[Flag],
    p: &Parsed,
    out: &mut Output,
) -> Option<String> {
    if !p.has("record") {
        return None;
    }
    out.stderr.push_str(DEPRECATED);
    p.bool("record").then(|| command_line(command, args, spec))
}

/// `kubectl <words> --flag=value ...`, as `Factory.Command` writes it.
pub fn command_line(command: &str, args: &[String], spec: &[Flag]) -> String {
    let find_long = |name: &str| spec.iter().chain(GLOBAL).find(|f| f.long == name);
    let find_short = |c: char| spec.iter().chain(GLOBAL).find(|f| f.short == Some(c));
    let mut words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
    let mut flags = String::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            words.extend(args[i..].iter().cloned());
            break;
        }
        let (flag, inline) = if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            (find_long(name), inline)
        } else if a.len() > 1 && a.starts_with('-') {
            let c = a[1..].chars().next().unwrap_or('-');
            let rest = &a[1 + c.len_utf8()..];
            let inline = if rest.is_empty() {
                None
            } else {
                Some(rest.strip_prefix('=').unwrap_or(rest).to_string())
            };
            (find_short(c), inline)
        } else {
            words.push(a.clone());
            continue;
        };
        let Some(flag) = flag else {
            continue;
        };
        let value = match (flag.kind, inline) {
            (_, Some(v)) => v,
            (Kind::Bool, None) => "true".to_string(),
            (Kind::Value, None) => {
                i += 1;
                args.get(i - 1).cloned().unwrap_or_default()
            }
        };
        flags.push_str(&format!(" --{}={value}", flag.long));
    }
    format!("kubectl {}{flags}", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::{b, v};

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn flags_follow_the_words_in_long_form() {
        let spec = [b("record", None), v("containers", Some('c'))];
        assert_eq!(
            command_line(
                "set image",
                &s(&["deployment/web", "--record", "nginx=nginx:1.27", "-n", "shop", "-cweb"]),
                &spec
            ),
            "kubectl set image deployment/web nginx=nginx:1.27 --record=true --namespace=shop --containers=web"
        );
    }

    #[test]
    fn record_prints_the_deprecation_and_false_records_nothing() {
        let spec = [b("record", None)];
        let p = crate::flags::parse(&s(&["x", "--record=false"]), &spec).unwrap();
        let mut out = Output::default();
        assert_eq!(
            change_cause("scale", &s(&["x", "--record=false"]), &spec, &p, &mut out),
            None
        );
        assert_eq!(out.stderr, DEPRECATED);
        let p = crate::flags::parse(&s(&["x"]), &spec).unwrap();
        let mut out = Output::default();
        assert_eq!(change_cause("scale", &s(&["x"]), &spec, &p, &mut out), None);
        assert_eq!(out.stderr, "");
    }
}
