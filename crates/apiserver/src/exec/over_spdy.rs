//! exec over SPDY/3.1: the remotecommand protocol `v4.channel.k8s.io` as kubectl before 1.30
//! speaks it (and newer ones when the WebSocket upgrade fails). Instead of a channel byte per
//! message, the client opens one SPDY stream per channel, named by its `streamType` header:
//! `error`, `stdin`, `stdout`, `stderr` and, with a terminal, `resize`. The kubelet waits until
//! the streams the options call for are all open, then relays: stdin's bytes to the command,
//! its output to `stdout`/`stderr`, and at the end the `Status` to `error`, after which it
//! half-closes every stream it writes. kubectl half-closes `stdin` when its input ends.
//!
//! Sans-IO like the rest: [`SpdyExec::receive`] takes the connection's bytes and returns the
//! bytes to send.

use cluster::Cluster;

use super::{message, Session, CLOSE, ERROR, RESIZE, STDERR, STDIN, STDOUT};
use crate::spdy::{self, Frame, Framer, SpdyError};

/// The protocol this serves (the newest remotecommand version over SPDY).
pub const PROTOCOL: &str = "v4.channel.k8s.io";

/// One exec session carried by a SPDY connection.
pub struct SpdyExec {
    session: Session,
    framer: Framer,
    /// The SPDY stream of each channel, once the client has opened it.
    streams: [Option<u32>; 5],
    /// Output held until every stream the exec needs is open, in the order it was produced.
    pending: Vec<Vec<u8>>,
    /// The command ended and every output stream was closed.
    finished: bool,
    closed: bool,
}

impl SpdyExec {
    /// Wraps a started exec and the messages it produced on starting.
    pub fn new(session: Session, first: Vec<Vec<u8>>) -> SpdyExec {
        SpdyExec {
            session,
            framer: Framer::default(),
            streams: [None; 5],
            pending: first,
            finished: false,
            closed: false,
        }
    }

    /// The command ended and its status was sent.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    pub fn receive(&mut self, cluster: &mut Cluster, bytes: &[u8]) -> Result<Vec<u8>, SpdyError> {
        self.framer.feed(bytes);
        let mut out = Vec::new();
        while let Some(frame) = self.framer.next_frame()? {
            match frame {
                Frame::SynStream {
                    stream, headers, ..
                } => self.on_new_stream(stream, &headers, &mut out),
                Frame::Data {
                    stream,
                    flags,
                    data,
                } => {
                    if self.streams[usize::from(STDIN)] == Some(stream) {
                        if !data.is_empty() {
                            let produced = self.session.receive(cluster, &message(STDIN, &data));
                            self.pending.extend(produced);
                        }
                        if flags & spdy::FLAG_FIN != 0 {
                            let produced = self.session.receive(cluster, &[CLOSE, STDIN]);
                            self.pending.extend(produced);
                        }
                    }
                    // Resizes change nothing the simulation draws; nothing else is written to.
                }
                Frame::Ping { id } => Framer::ping(id, &mut out),
                Frame::GoAway { .. } => self.closed = true,
                Frame::RstStream { .. } | Frame::Other { .. } => {}
            }
        }
        self.flush(&mut out);
        Ok(out)
    }
}

impl spdy::Endpoint for SpdyExec {
    const CHANGES_CLUSTER: bool = true;

    fn receive(&mut self, cluster: &mut Cluster, bytes: &[u8]) -> Result<Vec<u8>, SpdyError> {
        SpdyExec::receive(self, cluster, bytes)
    }

    /// The client said GOAWAY.
    fn is_closed(&self) -> bool {
        self.closed
    }

    fn end_of_input(&mut self, cluster: &mut Cluster) {
        let _ = self.session.end_of_input(cluster);
    }
}

impl SpdyExec {
    fn on_new_stream(&mut self, stream: u32, headers: &[(String, String)], out: &mut Vec<u8>) {
        let kind = headers
            .iter()
            .find(|(n, _)| n == "streamtype")
            .map(|(_, v)| v.as_str());
        let channel = match kind {
            Some("error") => ERROR,
            Some("stdin") => STDIN,
            Some("stdout") => STDOUT,
            Some("stderr") => STDERR,
            Some("resize") => RESIZE,
            _ => return Framer::rst_stream(stream, spdy::PROTOCOL_ERROR, out),
        };
        self.framer.syn_reply(stream, out);
        self.streams[usize::from(channel)] = Some(stream);
    }

    /// The streams the kubelet waits for: error always, the others as the options ask (with a
    /// terminal, stderr is merged into stdout and a resize stream comes instead).
    fn ready(&self) -> bool {
        let o = &self.session.options;
        let needed = [
            (ERROR, true),
            (STDIN, o.stdin),
            (STDOUT, o.stdout),
            (STDERR, o.stderr && !o.tty),
            (RESIZE, o.tty),
        ];
        needed
            .iter()
            .all(|&(c, wanted)| !wanted || self.streams[usize::from(c)].is_some())
    }

    /// Sends held output once the streams are open, and after the status closes the streams
    /// the server writes, as the kubelet does when the command returns.
    fn flush(&mut self, out: &mut Vec<u8>) {
        if self.finished || !self.ready() {
            return;
        }
        for m in self.pending.drain(..) {
            let Some((&channel, data)) = m.split_first() else {
                continue;
            };
            if let Some(stream) = self.streams.get(usize::from(channel)).copied().flatten() {
                Framer::data(stream, data, false, out);
            }
        }
        if self.session.is_done() {
            for channel in [STDOUT, STDERR, ERROR] {
                if let Some(stream) = self.streams[usize::from(channel)] {
                    Framer::data(stream, &[], true, out);
                }
            }
            self.finished = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use cluster::api::User;

    use super::*;
    use crate::exec::tests::cluster;
    use crate::exec::{start, ExecOptions};
    use crate::spdy::testing::{data, sent, Client, Sent};

    fn exec(c: &mut Cluster, command: &[&str], stdin: bool) -> SpdyExec {
        let options = ExecOptions {
            command: command.iter().map(|s| s.to_string()).collect(),
            container: None,
            stdin,
            stdout: true,
            stderr: true,
            tty: false,
        };
        let (session, first) = start(c, &User::admin(), "default", "box", options).unwrap();
        SpdyExec::new(session, first)
    }

    /// kubectl's streams, in the order it opens them (error first).
    fn open(client: &mut Client, kinds: &[&str]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (i, kind) in kinds.iter().enumerate() {
            bytes.extend(client.syn_stream(1 + 2 * i as u32, &[("streamtype", kind)]));
        }
        bytes
    }

    #[test]
    fn output_waits_for_the_streams_then_the_status_closes_them() {
        let mut c = cluster();
        let mut e = exec(
            &mut c,
            &["sh", "-c", "printenv COLOR; echo oops >&2; exit 2"],
            false,
        );
        let mut client = Client::new();
        // Only the error stream so far: nothing is written yet.
        let out = sent(&e.receive(&mut c, &open(&mut client, &["error"])).unwrap());
        assert_eq!(out, [Sent::Reply(1)]);
        let mut more = client.syn_stream(3, &[("streamtype", "stdout")]);
        more.extend(client.syn_stream(5, &[("streamtype", "stderr")]));
        let out = sent(&e.receive(&mut c, &more).unwrap());
        let status = r#"{"details":{"causes":[{"message":"2","reason":"ExitCode"}]},"message":"command terminated with non-zero exit code: error executing command [sh -c printenv COLOR; echo oops >&2; exit 2], exit code 2","metadata":{},"reason":"NonZeroExitCode","status":"Failure"}"#;
        assert_eq!(
            out,
            [
                Sent::Reply(3),
                Sent::Reply(5),
                Sent::Data(3, false, "blue\n".into()),
                Sent::Data(5, false, "oops\n".into()),
                Sent::Data(1, false, status.into()),
                Sent::Data(3, true, String::new()),
                Sent::Data(5, true, String::new()),
                Sent::Data(1, true, String::new()),
            ]
        );
        assert!(e.is_finished());
    }

    #[test]
    fn stdin_is_read_until_its_half_close() {
        let mut c = cluster();
        let mut e = exec(&mut c, &["cat"], true);
        let mut client = Client::new();
        let out = sent(
            &e.receive(
                &mut c,
                &open(&mut client, &["error", "stdin", "stdout", "stderr"]),
            )
            .unwrap(),
        );
        assert_eq!(out.len(), 4, "{out:?}");
        let out = e.receive(&mut c, &data(3, b"one\ntwo\n", false)).unwrap();
        assert!(
            out.is_empty(),
            "without a terminal, cat reads all its input first"
        );
        let out = sent(&e.receive(&mut c, &data(3, b"", true)).unwrap());
        assert_eq!(out[0], Sent::Data(5, false, "one\ntwo\n".into()));
        assert_eq!(
            out[1],
            Sent::Data(1, false, r#"{"metadata":{},"status":"Success"}"#.into())
        );
        assert!(e.is_finished());
        // A ping is still answered; an unknown stream type is refused.
        let mut ping = vec![0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4];
        ping.extend(9u32.to_be_bytes());
        assert_eq!(sent(&e.receive(&mut c, &ping).unwrap()), [Sent::Ping(9)]);
        let out = sent(
            &e.receive(&mut c, &client.syn_stream(11, &[("streamtype", "video")]))
                .unwrap(),
        );
        assert_eq!(out, [Sent::Reset(11)]);
    }
}
