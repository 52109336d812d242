//! The learner's shell: what runs when a line is typed into the terminal.

use std::collections::BTreeMap;

use cluster::Cluster;
pub use kubectl::Output;

/// A terminal's state that outlives one line: the current namespace and history.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Shell {
    pub namespace: Option<String>,
    pub history: Vec<String>,
}

impl Shell {
    /// Runs one line against the session's cluster and workspace files.
    pub fn run_line(
        &mut self,
        line: &str,
        cluster: &mut Cluster,
        files: &mut BTreeMap<String, String>,
    ) -> Output {
        let line = line.trim();
        if !line.is_empty() {
            self.history.push(line.to_string());
        }
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        match words.first().map(String::as_str) {
            None => Output::default(),
            Some("kubectl") | Some("k") => {
                let mut transport = apiserver::InProcess { cluster };
                let mut ctx = kubectl::Context {
                    transport: &mut transport,
                    files,
                    namespace: self.namespace.clone().unwrap_or_else(|| "default".into()),
                };
                kubectl::run(&words[1..], &mut ctx)
            }
            Some(cmd) => Output {
                stderr: format!("bash: {cmd}: command not found\n"),
                exit_code: 127,
                ..Default::default()
            },
        }
    }
}
