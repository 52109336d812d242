//! API errors as the real API server reports them: `metav1.Status` with reason, code, details.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::resources::ResourceType;

/// A failed API request. Serialises to a `Status` object (`kind: Status`, `status: Failure`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Status {
    pub code: u16,
    pub reason: String,
    pub message: String,
    pub details: Option<Value>,
}

/// One cause of an `Invalid` error: `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// `FieldValueInvalid`, `FieldValueRequired`, `FieldValueNotSupported`, `FieldValueForbidden`, ...
    pub cause: &'static str,
    pub field: String,
    /// Rendered whole, e.g. `Invalid value: "Foo": a lowercase RFC 1123 subdomain must ...`.
    pub message: String,
}

impl FieldError {
    pub fn required(field: impl Into<String>, detail: &str) -> Self {
        let message = if detail.is_empty() {
            "Required value".to_string()
        } else {
            format!("Required value: {detail}")
        };
        FieldError {
            cause: "FieldValueRequired",
            field: field.into(),
            message,
        }
    }

    /// `Invalid value: <value>: <detail>`; the value is printed the way Go's `%#v`-ish
    /// apimachinery printer does (strings quoted, numbers bare).
    pub fn invalid(field: impl Into<String>, value: &Value, detail: &str) -> Self {
        let shown = match value {
            Value::String(s) => format!("{s:?}"),
            Value::Null => "null".to_string(),
            other => other.to_string(),
        };
        FieldError {
            cause: "FieldValueInvalid",
            field: field.into(),
            message: format!("Invalid value: {shown}: {detail}"),
        }
    }

    pub fn forbidden(field: impl Into<String>, detail: &str) -> Self {
        FieldError {
            cause: "FieldValueForbidden",
            field: field.into(),
            message: format!("Forbidden: {detail}"),
        }
    }

    pub fn not_supported(field: impl Into<String>, value: &Value, supported: &[&str]) -> Self {
        let list = supported
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let shown = match value {
            Value::String(s) => format!("{s:?}"),
            other => other.to_string(),
        };
        FieldError {
            cause: "FieldValueNotSupported",
            field: field.into(),
            message: format!("Unsupported value: {shown}: supported values: {list}"),
        }
    }

    /// `field: message` as it appears inside the aggregated Invalid message.
    pub fn render(&self) -> String {
        format!("{}: {}", self.field, self.message)
    }
}

impl Status {
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Status {
            code,
            reason: reason.to_string(),
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, rt: &ResourceType, name: &str) -> Self {
        let mut d = json!({"name": name, "kind": rt.plural});
        if !rt.group.is_empty() {
            d["group"] = json!(rt.group);
        }
        self.details = Some(d);
        self
    }

    /// `pods "x" not found`
    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Status::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", rt.qualified_plural(), name),
        )
        .with_details(rt, name)
    }

    /// `pods "x" already exists`
    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Status::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", rt.qualified_plural(), name),
        )
        .with_details(rt, name)
    }

    /// The optimistic-concurrency failure.
    pub fn conflict(rt: &ResourceType, name: &str) -> Self {
        Status::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                rt.qualified_plural(),
                name
            ),
        )
        .with_details(rt, name)
    }

    /// `Deployment.apps "x" is invalid: [a: ..., b: ...]` (brackets only when several causes).
    pub fn invalid(rt: &ResourceType, name: &str, errors: &[FieldError]) -> Self {
        let body = match errors {
            [one] => one.render(),
            many => format!(
                "[{}]",
                many.iter()
                    .map(FieldError::render)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut s = Status::new(
            422,
            "Invalid",
            format!("{} \"{}\" is invalid: {}", rt.qualified_kind(), name, body),
        )
        .with_details(rt, name);
        let causes: Vec<Value> = errors
            .iter()
            .map(|e| json!({"reason": e.cause, "message": e.message, "field": e.field}))
            .collect();
        if let Some(d) = s.details.as_mut() {
            d["kind"] = json!(rt.kind);
            d["causes"] = json!(causes);
        }
        s
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Status::new(400, "BadRequest", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Status::new(403, "Forbidden", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Status::new(405, "MethodNotAllowed", message)
    }

    /// A watch or list from a resourceVersion that is no longer retained.
    pub fn expired(message: impl Into<String>) -> Self {
        Status::new(410, "Expired", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Status::new(500, "InternalError", message)
    }

    /// The `Status` object as served.
    pub fn to_value(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::by_plural;

    #[test]
    fn messages_match_the_api_server() {
        let pods = by_plural("", "pods").unwrap();
        assert_eq!(Status::not_found(pods, "x").message, "pods \"x\" not found");
        let deploy = by_plural("apps", "deployments").unwrap();
        let e = Status::invalid(
            deploy,
            "web",
            &[FieldError::invalid(
                "spec.replicas",
                &json!(-1),
                "must be greater than or equal to 0",
            )],
        );
        assert_eq!(
            e.message,
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(
            e.to_value()["details"]["causes"][0]["field"],
            "spec.replicas"
        );
    }
}
