//! `kubectl options` (the global flags every command takes) and `kubectl completion SHELL`
//! (the shell scripts cobra generates), both the real kubectl 1.33's text; the default
//! `--cache-dir` in `options` is under the terminal's home (`/home/learner`), as the real one
//! prints it under `$HOME`.
//!
//! The completion scripts call `kubectl __complete`, which the emulation does not answer: the
//! terminal has its own tab completion. They are printed so that a learner can read or save
//! them for a real kubectl.

use super::{parse_flags, Env};
use crate::Output;

/// `kubectl options`; its `--help` prints nothing, as the real one does.
pub fn options(args: &[String], _env: &mut Env, out: &mut Output) {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        return;
    }
    if parse_flags("options", args, &[], out).is_none() {
        return;
    }
    out.stdout.push_str(include_str!("../../help/options.txt"));
}

/// `kubectl completion bash|zsh|fish|powershell`.
pub fn completion(args: &[String], _env: &mut Env, out: &mut Output) {
    let Some(p) = parse_flags("completion", args, &[], out) else {
        return;
    };
    const HINT: &str = "See 'kubectl completion -h' for help and examples";
    let script = match p.args.as_slice() {
        [] => {
            out.fail(format!("error: Shell not specified.\n{HINT}"));
            return;
        }
        [shell] => match shell.as_str() {
            "bash" => include_str!("../../help/completion_bash.txt"),
            "zsh" => include_str!("../../help/completion_zsh.txt"),
            "fish" => include_str!("../../help/completion_fish.txt"),
            "powershell" => include_str!("../../help/completion_powershell.txt"),
            other => {
                out.fail(format!(
                    "error: Unsupported shell type \"{other}\".\n{HINT}"
                ));
                return;
            }
        },
        _ => {
            out.fail(format!(
                "error: Too many arguments. Expected only the shell type.\n{HINT}"
            ));
            return;
        }
    };
    out.stdout.push_str(script);
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_are_the_real_ones() {
        assert!(include_str!("../../help/completion_bash.txt").contains("__start_kubectl"));
        assert!(include_str!("../../help/completion_zsh.txt").starts_with("#compdef kubectl"));
        assert!(include_str!("../../help/options.txt")
            .starts_with("The following options can be passed to any command:"));
    }
}
