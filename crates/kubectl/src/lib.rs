//! kubectl 1.33, emulated: the terminal's `kubectl` and the printers shared with the API server.
//!
//! The emulation talks to an API server only through [`rest::Transport`], with the same requests the
//! real kubectl sends, so it can be run side by side with the real binary against one server.

pub mod cmd;
pub mod config;
pub mod discovery;
pub mod flags;
pub mod klog;
pub mod manifest;
pub mod printers;
pub mod rest;
pub mod threeway;

use std::collections::BTreeMap;

pub use config::KubeConfig;
pub use printers::table::table;
use rest::{Response, Transport};

/// What a command printed and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

impl Output {
    /// Appends an error line and sets exit code 1 (what kubectl's `CheckErr` does).
    pub fn fail(&mut self, message: impl AsRef<str>) {
        self.stderr.push_str(message.as_ref());
        if !message.as_ref().ends_with('\n') {
            self.stderr.push('\n');
        }
        self.exit_code = 1;
    }
}

/// What a kubectl invocation can see besides the API server.
pub struct Context<'a> {
    pub transport: &'a mut dyn Transport,
    /// The workspace files (`-f pod.yaml` reads here).
    pub files: &'a BTreeMap<String, String>,
    /// The current context's namespace.
    pub namespace: String,
}

/// Runs `kubectl <args>` with a default kubeconfig whose namespace is `ctx.namespace`.
pub fn run(args: &[String], ctx: &mut Context) -> Output {
    let mut config = KubeConfig::default();
    config.set_namespace(&ctx.namespace);
    run_with_config(args, ctx, &mut config)
}

/// Runs `kubectl <args>`; `kubectl config ...` commands read and change `config`.
pub fn run_with_config(args: &[String], ctx: &mut Context, config: &mut KubeConfig) -> Output {
    cmd::dispatch(args, ctx, config)
}

/// A command that keeps running as the cluster changes (`kubectl rollout status`).
pub trait Running: Send {
    /// Looks at the cluster again: what the command printed since the last poll, and its exit
    /// code once it has ended.
    fn poll(&mut self, transport: &mut dyn Transport) -> (Output, Option<i32>);
}

/// How a command started: finished at once, or still running after printing `Output`.
pub enum Step {
    Done(Output),
    Running(Output, Box<dyn Running>),
}

/// Starts `kubectl <args>` for a caller that can poll long-running commands (the shell); [`run`]
/// instead runs them to their end against a cluster that does not change meanwhile.
///
/// `cache` is kubectl's discovery cache (`~/.kube/cache/discovery`) kept between commands;
/// without one, every command fetches discovery afresh.
pub fn start(
    args: &[String],
    ctx: &mut Context,
    config: &mut KubeConfig,
    cache: Option<&mut discovery::Cache>,
) -> Step {
    let mut running = None;
    let out = cmd::dispatch_streaming(args, ctx, config, Some(&mut running), cache);
    match running {
        Some(r) => Step::Running(out, r),
        None => Step::Done(out),
    }
}

/// `Error from server (Reason): message`, as kubectl prints an API error.
pub fn server_error(resp: &Response) -> String {
    let status = resp.body_json().unwrap_or_default();
    let message = status["message"].as_str().unwrap_or("").to_string();
    let reason = status["reason"].as_str().unwrap_or("");
    if message.is_empty() {
        return format!("Error from server: the server responded with the status code {} but did not return more information", resp.status);
    }
    if reason.is_empty() || reason == "Unknown" {
        format!("Error from server: {message}")
    } else {
        format!("Error from server ({reason}): {message}")
    }
}
