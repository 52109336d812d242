//! Command-line parsing with pflag's rules, as kubectl (cobra) applies them.
//!
//! `-n ns`, `-nns`, `-n=ns`, `--namespace ns`, `--namespace=ns`; boolean flags take no value
//! unless written `--flag=false`; `--` ends flags; flags may come before or after arguments.

use std::collections::BTreeMap;

/// Whether a flag takes a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Value,
}

/// One flag a command accepts.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    pub kind: Kind,
}

pub const fn b(long: &'static str, short: Option<char>) -> Flag {
    Flag {
        long,
        short,
        kind: Kind::Bool,
    }
}
pub const fn v(long: &'static str, short: Option<char>) -> Flag {
    Flag {
        long,
        short,
        kind: Kind::Value,
    }
}

/// Flags every kubectl command accepts.
pub const GLOBAL: &[Flag] = &[
    v("namespace", Some('n')),
    v("context", None),
    v("kubeconfig", None),
    v("cluster", None),
    v("user", None),
    v("server", Some('s')),
    v("token", None),
    v("as", None),
    v("as-group", None),
    v("as-uid", None),
    v("request-timeout", None),
    v("v", Some('v')),
    b("insecure-skip-tls-verify", None),
    v("certificate-authority", None),
    v("client-certificate", None),
    v("client-key", None),
    v("tls-server-name", None),
    v("username", None),
    v("password", None),
    v("cache-dir", None),
    b("match-server-version", None),
    b("warnings-as-errors", None),
    b("disable-compression", None),
    v("log-flush-frequency", None),
    v("profile", None),
    v("profile-output", None),
];

/// What was typed: flag values by long name (in order) and positional arguments.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub values: BTreeMap<&'static str, Vec<String>>,
    pub args: Vec<String>,
    /// Arguments after `--` (for `exec`), when `--` was given.
    pub after_dash: Option<Vec<String>>,
}

impl Parsed {
    pub fn get(&self, long: &str) -> Option<&str> {
        self.values
            .get(long)
            .and_then(|v| v.last())
            .map(String::as_str)
    }
    pub fn all(&self, long: &str) -> Vec<String> {
        self.values.get(long).cloned().unwrap_or_default()
    }
    pub fn has(&self, long: &str) -> bool {
        self.values.contains_key(long)
    }
    /// A boolean flag's value (`--all`, `--all=true`, `--all=false`).
    pub fn bool(&self, long: &str) -> bool {
        self.get(long).is_some_and(|v| v != "false")
    }
}

/// A parse error, already worded like pflag's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagError(pub String);

/// Parses `args` against a command's flags plus the global ones.
pub fn parse(args: &[String], flags: &[Flag]) -> Result<Parsed, FlagError> {
    let find_long = |name: &str| flags.iter().chain(GLOBAL).find(|f| f.long == name).copied();
    let find_short = |c: char| {
        flags
            .iter()
            .chain(GLOBAL)
            .find(|f| f.short == Some(c))
            .copied()
    };
    let mut out = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            out.after_dash = Some(args[i..].to_vec());
            out.args.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let Some(flag) = find_long(name) else {
                return Err(FlagError(format!("unknown flag: --{name}")));
            };
            let value = match (flag.kind, inline) {
                (_, Some(v)) => v,
                (Kind::Bool, None) => "true".into(),
                (Kind::Value, None) => {
                    if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        return Err(FlagError(format!("flag needs an argument: --{name}")));
                    }
                }
            };
            out.values.entry(flag.long).or_default().push(value);
        } else if a.len() > 1 && a.starts_with('-') {
            let chars: Vec<char> = a[1..].chars().collect();
            let mut j = 0;
            while j < chars.len() {
                let c = chars[j];
                let Some(flag) = find_short(c) else {
                    return Err(FlagError(format!("unknown shorthand flag: '{c}' in {a}")));
                };
                match flag.kind {
                    Kind::Bool => {
                        if chars.get(j + 1) == Some(&'=') {
                            let v: String = chars[j + 2..].iter().collect();
                            out.values.entry(flag.long).or_default().push(v);
                            break;
                        }
                        out.values.entry(flag.long).or_default().push("true".into());
                        j += 1;
                    }
                    Kind::Value => {
                        let rest: String = chars[j + 1..].iter().collect();
                        let value = if let Some(v) = rest.strip_prefix('=') {
                            v.to_string()
                        } else if !rest.is_empty() {
                            rest
                        } else if i < args.len() {
                            i += 1;
                            args[i - 1].clone()
                        } else {
                            return Err(FlagError(format!("flag needs an argument: '{c}' in {a}")));
                        };
                        out.values.entry(flag.long).or_default().push(value);
                        break;
                    }
                }
            }
        } else {
            out.args.push(a.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    const F: &[Flag] = &[
        v("output", Some('o')),
        b("all-namespaces", Some('A')),
        b("watch", Some('w')),
    ];

    #[test]
    fn pflag_forms() {
        let p = parse(&s(&["pods", "-oyaml", "-n", "kube-system", "-Aw"]), F).unwrap();
        assert_eq!(p.args, ["pods"]);
        assert_eq!(p.get("output"), Some("yaml"));
        assert_eq!(p.get("namespace"), Some("kube-system"));
        assert!(p.bool("all-namespaces") && p.bool("watch"));
        let p = parse(&s(&["-o=json", "--namespace=x", "--watch=false"]), F).unwrap();
        assert_eq!(p.get("output"), Some("json"));
        assert_eq!(p.get("namespace"), Some("x"));
        assert!(!p.bool("watch"));
    }

    #[test]
    fn errors_are_worded_like_pflag() {
        assert_eq!(
            parse(&s(&["--foo"]), F).unwrap_err().0,
            "unknown flag: --foo"
        );
        assert_eq!(
            parse(&s(&["-z"]), F).unwrap_err().0,
            "unknown shorthand flag: 'z' in -z"
        );
        assert_eq!(
            parse(&s(&["-n"]), F).unwrap_err().0,
            "flag needs an argument: 'n' in -n"
        );
        assert_eq!(
            parse(&s(&["--output"]), F).unwrap_err().0,
            "flag needs an argument: --output"
        );
    }

    #[test]
    fn double_dash_ends_flags() {
        let p = parse(&s(&["web", "--", "ls", "-l"]), F).unwrap();
        assert_eq!(p.after_dash.unwrap(), ["ls", "-l"]);
    }
}
