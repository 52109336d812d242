//! The kubeconfig state a session's shell keeps: contexts and the current one.

use serde::{Deserialize, Serialize};

/// One context: which cluster, which user, which namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NamedContext {
    pub name: String,
    pub cluster: String,
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// The parts of a kubeconfig kubectl's `config` commands work on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KubeConfig {
    pub current_context: String,
    pub contexts: Vec<NamedContext>,
    /// The server URL shown by `config view` and `cluster-info`.
    pub server: String,
}

impl Default for KubeConfig {
    fn default() -> KubeConfig {
        KubeConfig {
            current_context: "minikube".into(),
            contexts: vec![NamedContext {
                name: "minikube".into(),
                cluster: "minikube".into(),
                user: "minikube".into(),
                namespace: Some("default".into()),
            }],
            server: "https://192.168.49.2:8443".into(),
        }
    }
}

impl KubeConfig {
    pub fn current(&self) -> Option<&NamedContext> {
        self.contexts
            .iter()
            .find(|c| c.name == self.current_context)
    }

    /// The namespace commands default to.
    pub fn namespace(&self) -> String {
        self.current()
            .and_then(|c| c.namespace.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into())
    }

    pub fn set_namespace(&mut self, ns: &str) {
        let current = self.current_context.clone();
        if let Some(c) = self.contexts.iter_mut().find(|c| c.name == current) {
            c.namespace = Some(ns.to_string());
        }
    }
}
