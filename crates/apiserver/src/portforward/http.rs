//! HTTP/1.1 on a forwarded connection: the bytes kubectl relays from a local client (a browser,
//! curl) are requests to a container's simulated web server; the answers go back as that server
//! would write them. Requests are read with `httparse`; several may arrive in one go (keep-alive,
//! pipelining) or one may arrive in pieces, so whatever is incomplete waits for more bytes.

use cluster::network::{reason_phrase, HttpResponse, NetError};
use jiff::Timestamp;

/// The most a request's head may take before it is refused (nginx's default buffers hold 8 KiB;
/// 32 KiB leaves room for long cookies).
const MAX_HEAD: usize = 32 << 10;
const MAX_HEADERS: usize = 64;
/// The largest request body accepted (nginx's default `client_max_body_size`); a larger one is
/// refused before it is read, so a forward never holds more than this.
const MAX_BODY: usize = 1 << 20;

/// What serving the received bytes produced.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Served {
    /// Responses to write to the client.
    pub bytes: Vec<u8>,
    /// The server closes the connection after them.
    pub close: bool,
}

/// Answers each complete request at the front of `input` (removing it), with `answer(path)`
/// standing for the container's server. Stops at an incomplete request, or when the server
/// closes the connection.
pub(super) fn serve(
    input: &mut Vec<u8>,
    now: Timestamp,
    answer: impl Fn(&str) -> Result<HttpResponse, NetError>,
) -> Served {
    let mut served = Served::default();
    loop {
        if input.is_empty() {
            return served;
        }
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        let head_len = match request.parse(input) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if input.len() <= MAX_HEAD => return served,
            // Not HTTP, or a head too large: the server answers 400 and hangs up.
            _ => return refuse(input, served, 400, BAD_REQUEST, now),
        };
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
        };
        let body_len: usize = match header("content-length").map(|v| v.parse()) {
            None => 0,
            Some(Ok(n)) => n,
            Some(Err(_)) => return refuse(input, served, 400, BAD_REQUEST, now),
        };
        if body_len > MAX_BODY {
            return refuse(input, served, 413, TOO_LARGE, now);
        }
        if input.len() < head_len + body_len {
            return served;
        }
        // HTTP/1.1 keeps the connection open unless asked not to; 1.0 closes unless asked to.
        let keep_alive = match (request.version, header("connection").as_deref()) {
            (_, Some("close")) => false,
            (Some(1), _) => true,
            (_, Some("keep-alive")) => true,
            _ => false,
        };
        let head_only = request.method == Some("HEAD");
        let path = request.path.unwrap_or("/").to_string();
        input.drain(..head_len + body_len);
        match answer(&path) {
            Ok(r) => {
                let connection = if keep_alive { "keep-alive" } else { "close" };
                served
                    .bytes
                    .extend(response(r.status, &r.body, connection, now, head_only));
                if !keep_alive {
                    served.close = true;
                    return served;
                }
            }
            // The server accepted the connection and hung up without a word (not an HTTP
            // server), or went away meanwhile.
            Err(_) => {
                served.close = true;
                return served;
            }
        }
    }
}

/// The server's refusal of the request at the front of `input`: an error page, then it hangs up
/// (what else was received is dropped with the connection).
fn refuse(
    input: &mut Vec<u8>,
    mut served: Served,
    status: u16,
    page: &str,
    now: Timestamp,
) -> Served {
    input.clear();
    served
        .bytes
        .extend(response(status, page, "close", now, false));
    served.close = true;
    served
}

const BAD_REQUEST: &str = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n</body>\r\n</html>\r\n";

const TOO_LARGE: &str = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n</body>\r\n</html>\r\n";

fn response(status: u16, body: &str, connection: &str, now: Timestamp, head_only: bool) -> Vec<u8> {
    let content_type = match body.trim_start().as_bytes().first() {
        Some(b'<') => "text/html",
        Some(b'{' | b'[') => "application/json",
        _ => "text/plain; charset=utf-8",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nDate: {date}\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nConnection: {connection}\r\n\r\n",
        reason = reason_phrase(status),
        date = now.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        len = body.len(),
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    fn site(path: &str) -> Result<HttpResponse, NetError> {
        match path {
            "/" => Ok(HttpResponse {
                status: 200,
                body: "<h1>hi</h1>".into(),
                pod: ("default".into(), "web".into()),
            }),
            _ => Ok(HttpResponse {
                status: 404,
                body: "{\"detail\":\"Not Found\"}".into(),
                pod: ("default".into(), "web".into()),
            }),
        }
    }

    #[test]
    fn a_request_gets_the_containers_answer_and_the_connection_stays_open() {
        let mut input = b"GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n".to_vec();
        let served = serve(&mut input, now(), site);
        assert_eq!(
            String::from_utf8(served.bytes).unwrap(),
            "HTTP/1.1 200 OK\r\nDate: Sun, 22 Nov 2026 10:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n<h1>hi</h1>"
        );
        assert!(!served.close);
        assert!(input.is_empty());
    }

    #[test]
    fn pipelined_requests_are_answered_in_order_and_a_partial_one_waits() {
        let mut input =
            b"GET /x HTTP/1.1\r\n\r\nHEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nHost: a".to_vec();
        let served = serve(&mut input, now(), site);
        let text = String::from_utf8(served.bytes).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
        assert!(text.contains("application/json"), "{text}");
        // The HEAD answer has the length of the body it leaves out.
        assert!(
            text.ends_with("Content-Length: 11\r\nConnection: keep-alive\r\n\r\n"),
            "{text}"
        );
        assert_eq!(input, b"GET / HTTP/1.1\r\nHost: a");
        input.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
        let served = serve(&mut input, now(), site);
        assert!(served.close);
        assert!(String::from_utf8(served.bytes)
            .unwrap()
            .contains("Connection: close\r\n"));
    }

    #[test]
    fn a_body_is_read_past_and_http_1_0_closes() {
        let mut input = b"POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nab".to_vec();
        assert_eq!(serve(&mut input, now(), site), Served::default());
        input.push(b'c');
        let served = serve(&mut input, now(), site);
        assert!(served.close);
        assert!(input.is_empty());
    }

    #[test]
    fn junk_gets_400_and_a_silent_server_just_hangs_up() {
        let mut input = b"\x16\x03\x01 hello\r\n\r\n".to_vec();
        let served = serve(&mut input, now(), site);
        assert!(served.close);
        assert!(String::from_utf8(served.bytes)
            .unwrap()
            .starts_with("HTTP/1.1 400 Bad Request\r\n"));

        let mut input = b"GET / HTTP/1.1\r\n\r\n".to_vec();
        let served = serve(&mut input, now(), |_| Err(NetError::EmptyReply));
        assert_eq!(
            served,
            Served {
                bytes: Vec::new(),
                close: true
            }
        );

        let mut input = vec![b'a'; MAX_HEAD + 1];
        assert!(serve(&mut input, now(), site).close);

        // A body over the limit is refused from its head alone.
        let mut input = b"PUT / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n".to_vec();
        let served = serve(&mut input, now(), site);
        assert!(served.close);
        assert!(String::from_utf8(served.bytes)
            .unwrap()
            .starts_with("HTTP/1.1 413 Request Entity Too Large\r\n"));
    }
}
