//! The HTTP exchange between kubectl and an API server, without any IO.
//!
//! The emulated kubectl speaks the same REST requests as the real one (same paths, query
//! parameters, `Accept` and `Content-Type` headers), through a [`Transport`]. In the terminal the
//! transport calls the session's API server in-process; in tests it can be a real HTTP client, so the
//! emulation and the real kubectl meet the server through the same door.

/// An HTTP request as kubectl would send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, `PUT`, `PATCH`, `DELETE`.
    pub method: String,
    /// Path and query, e.g. `/api/v1/namespaces/default/pods?limit=500`.
    pub path: String,
    /// Header names are lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn new(method: &str, path: impl Into<String>) -> Request {
        Request {
            method: method.to_string(),
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn get(path: impl Into<String>) -> Request {
        Request::new("GET", path)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn json_body(mut self, body: &serde_json::Value) -> Request {
        self.body = serde_json::to_vec(body).expect("JSON values serialise");
        if self.header_value("content-type").is_none() {
            self.headers
                .push(("content-type".into(), "application/json".into()));
        }
        self
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query string.
    pub fn path_only(&self) -> &str {
        self.path
            .split_once('?')
            .map_or(self.path.as_str(), |(p, _)| p)
    }

    /// Decoded query parameters, in order.
    pub fn query(&self) -> Vec<(String, String)> {
        let Some((_, q)) = self.path.split_once('?') else {
            return Vec::new();
        };
        q.split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }

    pub fn query_value(&self, name: &str) -> Option<String> {
        self.query()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// An HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).expect("JSON values serialise"),
        }
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Something that answers kubectl's requests.
pub trait Transport {
    fn call(&mut self, request: Request) -> Response;

    /// The same exchange, for a caller that reads the body as JSON: the response and its body
    /// parsed. A transport in the API server's process hands over the document the server built
    /// instead of encoding it and parsing it again: a success's `body` may then be empty, so a
    /// caller of this reads the returned value (an error keeps its body, for [`crate::server_error`]).
    fn call_json(&mut self, request: Request) -> (Response, Option<serde_json::Value>) {
        let response = self.call(request);
        let value = response.body_json();
        (response, value)
    }

    /// The client's clock, for ages kubectl computes itself (describe, NAME/AGE without a
    /// Table). In-process transports answer with the simulated cluster's time.
    fn now(&mut self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }
}

/// Percent-encodes a query parameter value the way Go's `url.QueryEscape` does.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` in a query component. Invalid escapes are kept as written.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip() {
        let sel = "app in (web,api),tier!=db";
        let r = Request::get(format!(
            "/api/v1/pods?labelSelector={}&limit=500",
            percent_encode(sel)
        ));
        assert_eq!(r.path_only(), "/api/v1/pods");
        assert_eq!(r.query_value("labelSelector").as_deref(), Some(sel));
        assert_eq!(r.query_value("limit").as_deref(), Some("500"));
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
