//! A port-forward driven frame by frame, as kubectl's SPDY client drives it.

use cluster::api::{User, WriteOptions};
use cluster::{resources, Cluster, ClusterConfig};
use serde_json::json;

use super::*;
use crate::spdy::testing::{data, sent, syn_stream_frame, Client, Sent};
use crate::spdy::Endpoint;

fn cluster() -> Cluster {
    let mut c = Cluster::new(&ClusterConfig::default());
    let pods = resources::by_plural("", "pods").unwrap();
    for (name, image) in [("web", "nginx:1.27"), ("box", "busybox")] {
        c.create_with(
            &User::admin(),
            pods,
            Some("default"),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                   "spec": {"containers": [{"name": name, "image": image,
                            "command": if name == "box" { json!(["sleep", "3600"]) } else { json!(null) }}]}}),
            &WriteOptions::default(),
        )
        .unwrap();
    }
    c.advance(jiff::SignedDuration::from_secs(30));
    c
}

fn tunnel(c: &Cluster, pod: &str) -> Tunnel {
    open(c, &User::admin(), "default", pod).unwrap()
}

#[test]
fn a_request_through_the_forward_reaches_nginx_and_keeps_the_connection() {
    let c = cluster();
    let mut t = tunnel(&c, "web");
    let mut client = Client::new();
    let out = sent(&t.receive(&c, &client.connection(0, 80)).unwrap());
    assert_eq!(out, [Sent::Reply(1), Sent::Reply(3)]);

    // curl's request arrives in two pieces.
    let out = t
        .receive(
            &c,
            &data(3, b"GET / HTTP/1.1\r\nHost: localhost:8080\r\n", false),
        )
        .unwrap();
    assert!(out.is_empty());
    let out = sent(
        &t.receive(&c, &data(3, b"User-Agent: curl/8.14.1\r\n\r\n", false))
            .unwrap(),
    );
    let [Sent::Data(3, false, response)] = &out[..] else {
        panic!("{out:?}")
    };
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(
        response.ends_with(cluster::kubelet::process::NGINX_WELCOME),
        "{response}"
    );

    // curl is done: kubectl half-closes the data stream, and the server closes both.
    let out = sent(&t.receive(&c, &data(3, b"", true)).unwrap());
    assert_eq!(
        out,
        [
            Sent::Data(3, true, String::new()),
            Sent::Data(1, true, String::new())
        ]
    );
}

#[test]
fn nothing_listening_gives_the_runtimes_error_and_ends_the_forward() {
    let c = cluster();
    let mut t = tunnel(&c, "web");
    let out = sent(&t.receive(&c, &Client::new().connection(0, 81)).unwrap());
    let [Sent::Reply(1), Sent::Reply(3), Sent::Data(1, true, message), Sent::Data(3, true, rest)] =
        &out[..]
    else {
        panic!("{out:?}")
    };
    assert!(rest.is_empty());
    assert!(
        message.starts_with("error forwarding port 81 to pod "),
        "{message}"
    );
    assert!(
        message.contains(
            ", uid : failed to execute portforward in network namespace \"/var/run/netns/cni-"
        ),
        "{message}"
    );
    assert!(
        message.contains(": failed to connect to localhost:81 inside namespace \""),
        "{message}"
    );
    assert!(
        message.ends_with(", IPv4: dial tcp4 127.0.0.1:81: connect: connection refused IPv6 dial tcp6: address localhost: no suitable address found "),
        "{message}"
    );
    // Later bytes for the ended forward are dropped.
    assert!(t
        .receive(&c, &data(3, b"GET / HTTP/1.1\r\n\r\n", false))
        .unwrap()
        .is_empty());
}

#[test]
fn a_container_that_is_not_an_http_server_hangs_up() {
    let c = cluster();
    let mut t = tunnel(&c, "box");
    // busybox running sleep listens on nothing.
    let out = sent(&t.receive(&c, &Client::new().connection(0, 80)).unwrap());
    assert!(matches!(&out[2], Sent::Data(1, true, m) if m.contains("connection refused")));
}

#[test]
fn pings_are_answered_and_goaway_ends_the_session() {
    let c = cluster();
    let mut t = tunnel(&c, "web");
    let mut ping = vec![0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4];
    ping.extend(7u32.to_be_bytes());
    // A frame split across two WebSocket messages is read once it is whole.
    assert!(t.receive(&c, &ping[..5]).unwrap().is_empty());
    assert_eq!(sent(&t.receive(&c, &ping[5..]).unwrap()), [Sent::Ping(7)]);
    assert!(!t.is_closed());
    let goaway = [0x80, 0x03, 0x00, 0x07, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 0];
    t.receive(&c, &goaway).unwrap();
    assert!(t.is_closed());
}

#[test]
fn several_connections_share_the_session_and_resets_forget_them() {
    let c = cluster();
    let mut t = tunnel(&c, "web");
    let mut client = Client::new();
    for request in 0..3 {
        let out = sent(&t.receive(&c, &client.connection(request, 80)).unwrap());
        assert_eq!(out.len(), 2, "{out:?}");
        let stream = 3 + request * 4;
        let out = sent(
            &t.receive(&c, &data(stream, b"GET /nope HTTP/1.1\r\n\r\n", false))
                .unwrap(),
        );
        assert!(
            matches!(&out[..], [Sent::Data(s, false, r)] if *s == stream && r.starts_with("HTTP/1.1 404 Not Found"))
        );
        for s in [stream - 2, stream] {
            let mut rst = vec![0x80, 0x03, 0x00, 0x03, 0, 0, 0, 8];
            rst.extend(s.to_be_bytes());
            rst.extend(5u32.to_be_bytes());
            t.receive(&c, &rst).unwrap();
        }
    }
    assert!(t.forwards.is_empty() && t.streams.is_empty());
    // Data on a stream that was never opened is refused.
    assert_eq!(
        sent(&t.receive(&c, &data(99, b"x", false)).unwrap()),
        [Sent::Reset(99)]
    );
}

#[test]
fn kubectls_own_header_blocks_are_read() {
    // Two header blocks as kubectl compresses them: zlib at its best compression, primed with
    // the SPDY/3 dictionary (the stream names it: 0x78 0xf9, then its Adler-32), flushed after
    // each block. Made with Python's zlib (`compressobj(9, DEFLATED, 15, 9, zdict=...)`).
    let first = [
        0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2, 0x02, 0x25, 0x3a, 0x48, 0xf9, 0x5b, 0x04, 0x4a, 0xab,
        0x4c, 0x16, 0x06, 0x40, 0x92, 0xb3, 0x08, 0x12, 0x5b, 0x99, 0xa0, 0x54, 0xcc, 0x68, 0x00,
        0x4e, 0x87, 0x25, 0x45, 0xa9, 0x89, 0xb9, 0xd0, 0xa2, 0x86, 0x35, 0x15, 0x14, 0x11, 0x00,
        0x00, 0x00, 0x00, 0xff, 0xff,
    ];
    let second = [
        0x82, 0x6a, 0x45, 0x95, 0x02, 0x95, 0x42, 0x89, 0x84, 0x0c, 0x04, 0x00, 0x00, 0x00, 0xff,
        0xff,
    ];
    let mut f = Framer::default();
    f.feed(&syn_stream_frame(1, &first));
    f.feed(&syn_stream_frame(3, &second));
    let headers = |f: &mut Framer| match f.next_frame().unwrap() {
        Some(Frame::SynStream { headers, .. }) => headers,
        other => panic!("{other:?}"),
    };
    let pairs = |h: &[(&str, &str)]| -> Vec<(String, String)> {
        h.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(
        headers(&mut f),
        pairs(&[("port", "80"), ("requestid", "0"), ("streamtype", "error")])
    );
    assert_eq!(
        headers(&mut f),
        pairs(&[("streamtype", "data"), ("port", "80"), ("requestid", "0")])
    );
}

#[test]
fn a_broken_peer_ends_the_connection_with_an_error() {
    let c = cluster();
    // A frame larger than any kubectl sends.
    let mut t = tunnel(&c, "web");
    assert!(t
        .receive(&c, &[0, 0, 0, 1, 0x00, 0xff, 0xff, 0xff])
        .is_err());
    // A SPDY version kubectl does not speak.
    let mut t = tunnel(&c, "web");
    assert!(t
        .receive(&c, &[0x80, 0x02, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])
        .is_err());
    // A header block that is not zlib.
    let mut t = tunnel(&c, "web");
    assert!(t.receive(&c, &syn_stream_frame(1, b"junk junk")).is_err());
}

#[test]
fn opening_checks_the_pod_and_the_permission() {
    let c = cluster();
    let err = open(&c, &User::admin(), "default", "ghost").err().unwrap();
    assert_eq!(err.message, "pods \"ghost\" not found");
    let nobody = User::named("nobody", &[]);
    let err = open(&c, &nobody, "default", "web").err().unwrap();
    assert_eq!(err.code, 403, "{}", err.message);
}

#[test]
fn a_client_that_never_resets_its_streams_is_refused_new_ones() {
    let c = cluster();
    let mut t = tunnel(&c, "web");
    let mut client = Client::new();
    for request in 0..(MAX_STREAMS as u32 / 2) {
        t.receive(&c, &client.connection(request, 80)).unwrap();
    }
    let next = MAX_STREAMS as u32 / 2;
    let out = sent(&t.receive(&c, &client.connection(next, 80)).unwrap());
    // Both streams are refused (the error stream twice: the half-close that follows its opening
    // arrives on a stream that does not exist).
    let (error, data) = (1 + next * 4, 3 + next * 4);
    assert_eq!(
        out,
        [Sent::Reset(error), Sent::Reset(error), Sent::Reset(data)]
    );
}
