//! `pods/portforward` for the real kubectl: the simulated kubelet's end of `kubectl port-forward`.
//!
//! kubectl 1.33 asks for a WebSocket speaking `SPDY/3.1+portforward.k8s.io` and runs a SPDY/3.1
//! session inside it ([`crate::spdy`]; each WebSocket message carries raw SPDY bytes). For every
//! connection made to its local port it opens two streams with the same `requestID` header: an
//! error stream, on which the kubelet writes why the forward failed if it did, and a data stream
//! carrying the connection's bytes. The far end of a data stream is `localhost:<port>` inside the
//! pod: a container's simulated HTTP server answers the requests that arrive on it
//! ([`http`]). With nothing listening there, the error stream gets containerd's words for the
//! refused connection, kubectl prints them and gives up the forward, as it does with a real
//! cluster.
//!
//! Like [`crate::exec`] this is sans-IO: the server checks the request with [`open`], then feeds
//! each WebSocket message to [`Tunnel::receive`] and sends back the bytes it returns.

mod http;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use cluster::api::User;
use cluster::{Cluster, Status};

use crate::spdy::{self, Frame, Framer, SpdyError};

/// The WebSocket subprotocol kubectl asks for: SPDY tunnelled over WebSocket, carrying the
/// port-forward protocol.
pub const PROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";

/// The most streams open at once on one connection (two per forwarded connection). kubectl resets
/// the streams of each connection it is done with; a client that does not is refused new ones.
const MAX_STREAMS: usize = 1000;

/// Checks a port-forward request as the API server and the kubelet would before the upgrade:
/// permission to `create pods/portforward`, the pod exists and has a node.
pub fn open(cluster: &Cluster, user: &User, namespace: &str, pod: &str) -> Result<Tunnel, Status> {
    let pods = crate::exec::authorize_connect(cluster, user, "portforward", namespace, pod)?;
    let found = cluster.get(pods, Some(namespace), pod)?;
    let found = found.as_pod().expect("pods are Pods");
    if found
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or_default()
        .is_empty()
    {
        return Err(Status::bad_request(format!(
            "pod {pod} does not have a host assigned"
        )));
    }
    let uid = found.metadata.uid.as_deref().unwrap_or_default();
    Ok(Tunnel {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        sandbox: SandboxId::of(uid),
        framer: Framer::default(),
        streams: BTreeMap::new(),
        forwards: BTreeMap::new(),
        closed: false,
    })
}

/// One port-forward connection: its SPDY framing and the forwards made through it.
pub struct Tunnel {
    namespace: String,
    pod: String,
    sandbox: SandboxId,
    framer: Framer,
    /// What each open stream is for.
    streams: BTreeMap<u32, Role>,
    /// The forwards by `requestID`, one per connection kubectl accepted locally.
    forwards: BTreeMap<String, Forward>,
    closed: bool,
}

#[derive(Clone, Debug)]
struct Role {
    request: String,
    kind: StreamKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StreamKind {
    Error,
    Data,
}

/// One forwarded connection.
#[derive(Debug, Default)]
struct Forward {
    port: u16,
    error_stream: Option<u32>,
    data_stream: Option<u32>,
    /// Both streams are here and something listens on the port.
    connected: bool,
    /// Bytes received on the data stream not yet answered.
    input: Vec<u8>,
    /// kubectl half-closed the data stream: nothing more will come.
    input_ended: bool,
    /// We closed our side of both streams.
    finished: bool,
}

impl Tunnel {
    /// Reads the bytes of one WebSocket message and returns the bytes to send back (possibly
    /// none). An error means kubectl broke the SPDY protocol: close the connection.
    pub fn receive(&mut self, cluster: &Cluster, bytes: &[u8]) -> Result<Vec<u8>, SpdyError> {
        self.framer.feed(bytes);
        let mut out = Vec::new();
        while let Some(frame) = self.framer.next_frame()? {
            self.on_frame(cluster, frame, &mut out);
        }
        Ok(out)
    }

    fn on_frame(&mut self, cluster: &Cluster, frame: Frame, out: &mut Vec<u8>) {
        match frame {
            Frame::SynStream {
                stream, headers, ..
            } => self.on_new_stream(cluster, stream, &headers, out),
            Frame::Data {
                stream,
                flags,
                data,
            } => self.on_data(cluster, stream, flags & spdy::FLAG_FIN != 0, &data, out),
            Frame::RstStream { stream, .. } => self.forget(stream),
            Frame::Ping { id } => Framer::ping(id, out),
            Frame::GoAway { .. } => self.closed = true,
            Frame::Other { .. } => {}
        }
    }

    fn on_new_stream(
        &mut self,
        cluster: &Cluster,
        stream: u32,
        headers: &[(String, String)],
        out: &mut Vec<u8>,
    ) {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let kind = match header("streamtype") {
            Some("error") => StreamKind::Error,
            Some("data") => StreamKind::Data,
            _ => return Framer::rst_stream(stream, spdy::PROTOCOL_ERROR, out),
        };
        let Some(port) = header("port")
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|&p| p > 0)
        else {
            return Framer::rst_stream(stream, spdy::PROTOCOL_ERROR, out);
        };
        // kubectl numbers its connections; the oldest clients sent no number, and the kubelet
        // then pairs streams by their ids (an error stream, then the data stream after it).
        let request = match header("requestid") {
            Some(id) => id.to_string(),
            None => match kind {
                StreamKind::Error => stream.to_string(),
                StreamKind::Data => stream.saturating_sub(2).to_string(),
            },
        };
        if self.streams.len() >= MAX_STREAMS {
            return Framer::rst_stream(stream, spdy::REFUSED_STREAM, out);
        }
        self.framer.syn_reply(stream, out);
        self.streams.insert(
            stream,
            Role {
                request: request.clone(),
                kind,
            },
        );
        let forward = self.forwards.entry(request.clone()).or_default();
        forward.port = port;
        match kind {
            StreamKind::Error => forward.error_stream = Some(stream),
            StreamKind::Data => forward.data_stream = Some(stream),
        }
        if forward.error_stream.is_some() && forward.data_stream.is_some() {
            self.connect(cluster, &request, out);
        }
    }

    /// Both streams of a forward are open: connect to the port inside the pod.
    fn connect(&mut self, cluster: &Cluster, request: &str, out: &mut Vec<u8>) {
        let Some(forward) = self.forwards.get_mut(request) else {
            return;
        };
        if !cluster.listens_in_pod(&self.namespace, &self.pod, forward.port) {
            let message = self.sandbox.refused(forward.port);
            if let Some(error) = forward.error_stream {
                Framer::data(error, message.as_bytes(), true, out);
            }
            if let Some(data) = forward.data_stream {
                Framer::data(data, &[], true, out);
            }
            forward.finished = true;
            return;
        }
        forward.connected = true;
        self.serve(cluster, request, out);
    }

    fn on_data(
        &mut self,
        cluster: &Cluster,
        stream: u32,
        fin: bool,
        data: &[u8],
        out: &mut Vec<u8>,
    ) {
        let Some(role) = self.streams.get(&stream).cloned() else {
            return Framer::rst_stream(stream, spdy::INVALID_STREAM, out);
        };
        // kubectl writes nothing on the error stream; it half-closes it at once.
        if role.kind == StreamKind::Error {
            return;
        }
        let Some(forward) = self.forwards.get_mut(&role.request) else {
            return;
        };
        if forward.finished {
            return;
        }
        forward.input.extend_from_slice(data);
        forward.input_ended |= fin;
        if forward.connected {
            self.serve(cluster, &role.request, out);
        }
    }

    /// Answers the complete requests received on a forward, and closes it when the exchange is
    /// over (kubectl's side ended, or the server closes the connection).
    fn serve(&mut self, cluster: &Cluster, request: &str, out: &mut Vec<u8>) {
        let (namespace, pod) = (&self.namespace, &self.pod);
        let Some(forward) = self.forwards.get_mut(request) else {
            return;
        };
        let port = forward.port;
        let served = http::serve(&mut forward.input, cluster.now(), |path| {
            cluster.request_in_pod(namespace, pod, port, path)
        });
        let data = forward
            .data_stream
            .expect("a connected forward has a data stream");
        let close = served.close || forward.input_ended;
        if !served.bytes.is_empty() || close {
            Framer::data(data, &served.bytes, close, out);
        }
        if close {
            if let Some(error) = forward.error_stream {
                Framer::data(error, &[], true, out);
            }
            forward.finished = true;
        }
    }

    /// kubectl reset a stream (it does once a forwarded connection is over).
    fn forget(&mut self, stream: u32) {
        let Some(role) = self.streams.remove(&stream) else {
            return;
        };
        if let Some(f) = self.forwards.get(&role.request) {
            let gone = |s: Option<u32>| s.is_none_or(|s| !self.streams.contains_key(&s));
            if gone(f.error_stream) && gone(f.data_stream) {
                self.forwards.remove(&role.request);
            }
        }
    }
}

/// What the kubelet writes on a forward's error stream when nothing listens on `port` inside the
/// pod: containerd's message, wrapped by the kubelet's streaming server. The terminal's kubectl
/// reports the same words.
pub fn refused_message(pod_uid: &str, port: u16) -> String {
    SandboxId::of(pod_uid).refused(port)
}

impl spdy::Endpoint for Tunnel {
    const CHANGES_CLUSTER: bool = false;

    fn receive(&mut self, cluster: &mut Cluster, bytes: &[u8]) -> Result<Vec<u8>, SpdyError> {
        Tunnel::receive(self, cluster, bytes)
    }

    /// kubectl said GOAWAY: the session is over.
    fn is_closed(&self) -> bool {
        self.closed
    }
}

/// The pod sandbox's id as the container runtime names it, made from the pod's uid. Only the
/// runtime's error messages show it.
#[derive(Clone, Debug)]
struct SandboxId {
    id: String,
    /// The network namespace the runtime made for the sandbox.
    netns: String,
}

impl SandboxId {
    fn of(uid: &str) -> SandboxId {
        // Rounds of FNV-1a over the uid, each seeded differently, 16 hex digits each.
        let round = |n: u64| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            for b in uid.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            format!("{h:016x}")
        };
        let id: String = (0..4).map(round).collect();
        let n = format!("{}{}", round(4), round(5));
        let netns = format!(
            "/var/run/netns/cni-{}-{}-{}-{}-{}",
            &n[0..8],
            &n[8..12],
            &n[12..16],
            &n[16..20],
            &n[20..32]
        );
        SandboxId { id, netns }
    }

    fn refused(&self, port: u16) -> String {
        format!(
            "error forwarding port {port} to pod {id}, uid : failed to execute portforward in network namespace \"{netns}\": failed to connect to localhost:{port} inside namespace \"{id}\", IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6: address localhost: no suitable address found ",
            id = self.id,
            netns = self.netns,
        )
    }
}
