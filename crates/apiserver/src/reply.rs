//! A response whose JSON body may not be encoded yet.
//!
//! Over HTTP every body is bytes. The terminal's kubectl runs in the same process as its API
//! server, and encoding a document only for kubectl to parse it again was most of the cost of a
//! `kubectl get` (a 100-pod Table is about 300 KB of JSON). So the handlers build a [`Reply`]: the
//! HTTP server encodes it ([`Reply::into_response`]), the in-process transport hands the value
//! over as it is ([`Reply::into_parts`]). A value survives JSON encoding and decoding unchanged
//! (object keys are sorted either way, numbers keep their kind), so kubectl sees the same
//! document through either door.

use kubectl::rest::Response;
use serde_json::Value;

pub enum Reply {
    /// Already bytes (errors, logs, exec streams, the cached discovery and OpenAPI documents).
    Encoded(Response),
    /// A JSON document, encoded only if it goes over the wire.
    Json {
        status: u16,
        headers: Vec<(String, String)>,
        value: Value,
    },
}

impl Reply {
    pub fn json(status: u16, value: Value) -> Reply {
        Reply::Json {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            value,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Reply::Encoded(r) => r.status,
            Reply::Json { status, .. } => *status,
        }
    }

    pub fn push_header(&mut self, name: &str, value: String) {
        match self {
            Reply::Encoded(r) => r.headers.push((name.into(), value)),
            Reply::Json { headers, .. } => headers.push((name.into(), value)),
        }
    }

    /// The response as it goes over HTTP.
    pub fn into_response(self) -> Response {
        match self {
            Reply::Encoded(r) => r,
            Reply::Json {
                status,
                headers,
                value,
            } => Response {
                status,
                headers,
                body: serde_json::to_vec(&value).expect("JSON values serialise"),
            },
        }
    }

    /// The response and its body as JSON, for a client in the same process. A successful
    /// document built as a value comes back without its bytes (the response's body is empty); an
    /// encoded one, or an error, keeps its bytes (kubectl reads errors from them) and is parsed.
    pub fn into_parts(self) -> (Response, Option<Value>) {
        match self {
            Reply::Json { status, .. } if status >= 400 => {
                Reply::Encoded(self.into_response()).into_parts()
            }
            Reply::Encoded(r) => {
                let value = r.body_json();
                (r, value)
            }
            Reply::Json {
                status,
                headers,
                value,
            } => (
                Response {
                    status,
                    headers,
                    body: Vec::new(),
                },
                Some(value),
            ),
        }
    }
}

impl From<Response> for Reply {
    fn from(r: Response) -> Reply {
        Reply::Encoded(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The in-process client must see exactly the document the HTTP client parses.
    #[test]
    fn a_value_handed_over_equals_the_value_encoded_and_parsed() {
        let doc = json!({
            "kind": "Table", "rows": [{"cells": ["web", 1, -2, 0.5, 3.0, 1e21, null, true, "é\n\"q\""]}],
            "metadata": {"z": {}, "a": [], "resourceVersion": "12"},
        });
        let (resp, handed) = Reply::json(200, doc.clone()).into_parts();
        assert!(resp.body.is_empty());
        let encoded = Reply::json(200, doc).into_response();
        assert_eq!(handed, encoded.body_json());
        assert_eq!(
            serde_json::to_vec(&handed.unwrap()).unwrap(),
            encoded.body,
            "same bytes when kubectl re-encodes the value (-o json, --raw)"
        );
    }

    #[test]
    fn encoded_replies_keep_their_bytes_and_are_parsed() {
        let r = Response::json(404, &json!({"kind": "Status", "code": 404}));
        let (resp, value) = Reply::from(r.clone()).into_parts();
        assert_eq!(resp, r);
        assert_eq!(value.unwrap()["code"], 404);
    }
}
