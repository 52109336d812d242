//! SPDY/3.1 framing: the part of the protocol exec and port-forward use, from the side that accepts
//! streams (the kubelet's). kubectl's SPDY library (moby/spdystream) opens streams with
//! SYN_STREAM, sends bytes in DATA frames, half-closes a stream with an empty DATA frame carrying
//! FIN, pings every few seconds and resets streams it is done with.
//!
//! Header blocks are zlib-compressed, one compression stream per direction for the whole
//! connection, primed with the dictionary from the SPDY/3 specification. kubectl's compressor uses
//! that dictionary, so reading its headers needs it; ours does not (a zlib stream says whether it
//! uses a dictionary, and the reader only applies one when told), which keeps our side simple.

use cluster::Cluster;
use miniz_oxide::deflate::core::{create_comp_flags_from_zip_params, CompressorOxide};
use miniz_oxide::deflate::stream::deflate;
use miniz_oxide::inflate::core::inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
use miniz_oxide::inflate::core::{decompress, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::MZFlush;

const VERSION: u16 = 3;

const SYN_STREAM: u16 = 1;
const SYN_REPLY: u16 = 2;
const RST_STREAM: u16 = 3;
const PING: u16 = 6;
const GOAWAY: u16 = 7;
const HEADERS: u16 = 8;

/// The FIN flag: the sender will send nothing more on the stream.
pub const FLAG_FIN: u8 = 1;

/// RST_STREAM status codes.
pub const PROTOCOL_ERROR: u32 = 1;
pub const INVALID_STREAM: u32 = 2;
pub const REFUSED_STREAM: u32 = 3;

/// The largest frame accepted. kubectl's frames are small (it writes what it reads from a local
/// socket, 32 KiB at a time); a larger one is a broken or hostile peer.
const MAX_FRAME: usize = 1 << 20;
/// The most a header block may inflate to: kubectl's carry three short headers.
const MAX_HEADER_BLOCK: usize = 64 << 10;
/// Deflate looks back at most 32 KiB; the inflater keeps that much history in a ring.
const WINDOW: usize = 32 << 10;
/// The most a DATA frame carries when we send (what spdystream reads in one go).
const MAX_DATA: usize = 32 << 10;

/// A frame received from the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    SynStream {
        stream: u32,
        flags: u8,
        headers: Vec<(String, String)>,
    },
    Data {
        stream: u32,
        flags: u8,
        data: Vec<u8>,
    },
    RstStream {
        stream: u32,
        status: u32,
    },
    Ping {
        id: u32,
    },
    GoAway {
        last_stream: u32,
    },
    /// SETTINGS (4), WINDOW_UPDATE (9), HEADERS and SYN_REPLY: nothing exec or port-forward acts on.
    Other {
        kind: u16,
    },
}

/// Why the connection cannot go on (the peer broke the protocol).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpdyError {
    #[error("unsupported SPDY version {0}")]
    Version(u16),
    #[error("SPDY frame of {0} bytes is too large")]
    TooLarge(usize),
    #[error("invalid SPDY {0} frame")]
    Invalid(&'static str),
    #[error("invalid SPDY header block: {0}")]
    HeaderBlock(&'static str),
}

/// The server's end of a SPDY session (exec, port-forward), sans-IO: the HTTP server feeds it
/// the connection's bytes, whether they arrive in WebSocket messages or on an upgraded socket,
/// and sends back what it returns.
pub trait Endpoint: Send + 'static {
    /// Whether what the peer sends can change the cluster (the server then wakes its watchers).
    const CHANGES_CLUSTER: bool;

    /// Reads received bytes and returns the bytes to send. An error means the peer broke the
    /// protocol: the connection is closed.
    fn receive(&mut self, cluster: &mut Cluster, bytes: &[u8]) -> Result<Vec<u8>, SpdyError>;

    /// Nothing more will be said (the peer's GOAWAY).
    fn is_closed(&self) -> bool;

    /// The connection ended: what the peer sent is all the input there is.
    fn end_of_input(&mut self, _cluster: &mut Cluster) {}
}

/// One SPDY connection's framing state: unparsed input and both header compression streams.
pub struct Framer {
    input: Vec<u8>,
    inflater: HeaderInflater,
    deflater: Box<CompressorOxide>,
}

impl Default for Framer {
    fn default() -> Self {
        Framer {
            input: Vec::new(),
            inflater: HeaderInflater::default(),
            // Level 1 with zlib framing (window bits > 0): our header blocks are a few bytes.
            deflater: Box::new(CompressorOxide::new(create_comp_flags_from_zip_params(
                1, 15, 0,
            ))),
        }
    }
}

impl Framer {
    /// Adds bytes received from the peer.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// The next whole frame received, if one has arrived.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, SpdyError> {
        if self.input.len() < 8 {
            return Ok(None);
        }
        let first = u32::from_be_bytes(self.input[0..4].try_into().expect("4 bytes"));
        let word = u32::from_be_bytes(self.input[4..8].try_into().expect("4 bytes"));
        let (flags, len) = ((word >> 24) as u8, (word & 0x00ff_ffff) as usize);
        if len > MAX_FRAME {
            return Err(SpdyError::TooLarge(len));
        }
        if self.input.len() < 8 + len {
            return Ok(None);
        }
        let body: Vec<u8> = self.input.drain(..8 + len).skip(8).collect();
        if first & 0x8000_0000 == 0 {
            return Ok(Some(Frame::Data {
                stream: first,
                flags,
                data: body,
            }));
        }
        let version = ((first >> 16) & 0x7fff) as u16;
        if version != VERSION {
            return Err(SpdyError::Version(version));
        }
        let kind = (first & 0xffff) as u16;
        let word_at = |i: usize, what| {
            body.get(i..i + 4)
                .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")))
                .ok_or(SpdyError::Invalid(what))
        };
        let frame = match kind {
            SYN_STREAM => {
                let stream = word_at(0, "SYN_STREAM")? & 0x7fff_ffff;
                // Then the associated stream (4 bytes), priority and slot (2 bytes).
                let block = body.get(10..).ok_or(SpdyError::Invalid("SYN_STREAM"))?;
                let headers = parse_header_block(&self.inflater.inflate(block)?)?;
                Frame::SynStream {
                    stream,
                    flags,
                    headers,
                }
            }
            // A header block must still be inflated: the compression stream runs through it.
            SYN_REPLY | HEADERS => {
                let block = body.get(4..).ok_or(SpdyError::Invalid("HEADERS"))?;
                parse_header_block(&self.inflater.inflate(block)?)?;
                Frame::Other { kind }
            }
            RST_STREAM => Frame::RstStream {
                stream: word_at(0, "RST_STREAM")? & 0x7fff_ffff,
                status: word_at(4, "RST_STREAM")?,
            },
            PING => Frame::Ping {
                id: word_at(0, "PING")?,
            },
            GOAWAY => Frame::GoAway {
                last_stream: word_at(0, "GOAWAY")? & 0x7fff_ffff,
            },
            // SETTINGS, WINDOW_UPDATE and anything newer: nothing a port-forward acts on.
            _ => Frame::Other { kind },
        };
        Ok(Some(frame))
    }

    /// SYN_REPLY accepting a stream, with no headers (as spdystream's server answers).
    pub fn syn_reply(&mut self, stream: u32, out: &mut Vec<u8>) {
        let block = self.compress(&0u32.to_be_bytes());
        control(out, SYN_REPLY, 0, 4 + block.len());
        out.extend_from_slice(&stream.to_be_bytes());
        out.extend_from_slice(&block);
    }

    /// DATA frames carrying `data`, the last one with FIN when `fin`.
    pub fn data(stream: u32, data: &[u8], fin: bool, out: &mut Vec<u8>) {
        let mut chunks = data.chunks(MAX_DATA).peekable();
        if chunks.peek().is_none() {
            data_frame(out, stream, &[], fin);
        }
        while let Some(chunk) = chunks.next() {
            data_frame(out, stream, chunk, fin && chunks.peek().is_none());
        }
    }

    pub fn rst_stream(stream: u32, status: u32, out: &mut Vec<u8>) {
        control(out, RST_STREAM, 0, 8);
        out.extend_from_slice(&stream.to_be_bytes());
        out.extend_from_slice(&status.to_be_bytes());
    }

    pub fn ping(id: u32, out: &mut Vec<u8>) {
        control(out, PING, 0, 4);
        out.extend_from_slice(&id.to_be_bytes());
    }

    /// Compresses one header block, flushed so the peer can read it whole from this frame.
    fn compress(&mut self, block: &[u8]) -> Vec<u8> {
        let mut out = vec![0; block.len() + 64];
        let mut written = 0;
        let mut consumed = 0;
        loop {
            let r = deflate(
                &mut self.deflater,
                &block[consumed..],
                &mut out[written..],
                MZFlush::Sync,
            );
            consumed += r.bytes_consumed;
            written += r.bytes_written;
            if consumed == block.len() && written < out.len() {
                break;
            }
            out.resize(out.len() * 2, 0);
        }
        out.truncate(written);
        out
    }
}

fn control(out: &mut Vec<u8>, kind: u16, flags: u8, len: usize) {
    out.extend_from_slice(&(0x8000 | VERSION).to_be_bytes());
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&((u32::from(flags) << 24) | len as u32).to_be_bytes());
}

fn data_frame(out: &mut Vec<u8>, stream: u32, data: &[u8], fin: bool) {
    out.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
    let flags = if fin { FLAG_FIN } else { 0 };
    out.extend_from_slice(&((u32::from(flags) << 24) | data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
}

/// A header block: a count, then length-prefixed names and values (32-bit lengths in SPDY/3).
/// A value holding several values separates them with NUL; a port-forward's have one each.
fn parse_header_block(block: &[u8]) -> Result<Vec<(String, String)>, SpdyError> {
    let mut cursor = Cursor(block);
    let count = cursor.word()?;
    let mut headers = Vec::new();
    for _ in 0..count {
        let name_len = cursor.word()?;
        let name = cursor.take(name_len)?;
        let value_len = cursor.word()?;
        let value = cursor.take(value_len)?;
        headers.push((
            String::from_utf8_lossy(name).to_ascii_lowercase(),
            String::from_utf8_lossy(value).into_owned(),
        ));
    }
    Ok(headers)
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SpdyError> {
        if self.0.len() < n {
            return Err(SpdyError::HeaderBlock("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn word(&mut self) -> Result<usize, SpdyError> {
        self.take(4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize)
    }
}

/// The peer's header compression stream: zlib over the whole connection, with the SPDY/3
/// dictionary as its preset history. The zlib header is read by hand (it names the dictionary)
/// and the deflate data inflated into a ring buffer whose start holds the dictionary, so
/// back-references into it resolve as the peer meant.
struct HeaderInflater {
    state: Box<DecompressorOxide>,
    ring: Vec<u8>,
    pos: usize,
    /// Bytes of the zlib header still to skip (2, plus 4 naming a preset dictionary).
    header: Vec<u8>,
    started: bool,
}

impl Default for HeaderInflater {
    fn default() -> Self {
        let mut ring = vec![0; WINDOW];
        let dictionary = dictionary();
        ring[..dictionary.len()].copy_from_slice(&dictionary);
        HeaderInflater {
            state: Box::default(),
            ring,
            pos: dictionary.len(),
            header: Vec::new(),
            started: false,
        }
    }
}

impl HeaderInflater {
    fn inflate(&mut self, mut block: &[u8]) -> Result<Vec<u8>, SpdyError> {
        if !self.started {
            // CMF and FLG, then the dictionary's Adler-32 when FLG has FDICT (0x20).
            let len = |h: &[u8]| {
                if h.len() >= 2 && h[1] & 0x20 != 0 {
                    6
                } else {
                    2
                }
            };
            while self.header.len() < len(&self.header) && !block.is_empty() {
                self.header.push(block[0]);
                block = &block[1..];
            }
            if self.header.len() < len(&self.header) {
                return Err(SpdyError::HeaderBlock("truncated zlib header"));
            }
            let (cmf, flg) = (self.header[0], self.header[1]);
            if cmf & 0x0f != 8 || (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 {
                return Err(SpdyError::HeaderBlock("not a zlib stream"));
            }
            self.started = true;
        }
        let mut out = Vec::new();
        loop {
            let (status, read, written) = decompress(
                &mut self.state,
                block,
                &mut self.ring,
                self.pos,
                TINFL_FLAG_HAS_MORE_INPUT,
            );
            for i in 0..written {
                out.push(self.ring[(self.pos + i) & (WINDOW - 1)]);
            }
            self.pos = (self.pos + written) & (WINDOW - 1);
            block = &block[read..];
            if out.len() > MAX_HEADER_BLOCK {
                return Err(SpdyError::HeaderBlock("too large"));
            }
            match status {
                TINFLStatus::NeedsMoreInput if block.is_empty() => return Ok(out),
                TINFLStatus::HasMoreOutput | TINFLStatus::NeedsMoreInput => {
                    if read == 0 && written == 0 {
                        return Err(SpdyError::HeaderBlock("no progress"));
                    }
                }
                TINFLStatus::Done => return Err(SpdyError::HeaderBlock("stream ended")),
                _ => return Err(SpdyError::HeaderBlock("corrupt")),
            }
        }
    }
}

/// The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1): common
/// header names and values, each name-like entry with a 32-bit length before it, then a run of
/// status codes, reason phrases, dates and media types.
fn dictionary() -> Vec<u8> {
    const WORDS: &[&str] = &[
        "options",
        "head",
        "post",
        "put",
        "delete",
        "trace",
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "accept-ranges",
        "age",
        "allow",
        "authorization",
        "cache-control",
        "connection",
        "content-base",
        "content-encoding",
        "content-language",
        "content-length",
        "content-location",
        "content-md5",
        "content-range",
        "content-type",
        "date",
        "etag",
        "expect",
        "expires",
        "from",
        "host",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "pragma",
        "proxy-authenticate",
        "proxy-authorization",
        "range",
        "referer",
        "retry-after",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "vary",
        "via",
        "warning",
        "www-authenticate",
        "method",
        "get",
        "status",
        "200 OK",
        "version",
        "HTTP/1.1",
        "url",
        "public",
        "set-cookie",
        "keep-alive",
        "origin",
    ];
    const TAIL: &str = concat!(
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
        "203 Non-Authoritative Information",
        "204 No Content",
        "301 Moved Permanently",
        "400 Bad Request",
        "401 Unauthorized",
        "403 Forbidden",
        "404 Not Found",
        "500 Internal Server Error",
        "501 Not Implemented",
        "503 Service Unavailable",
        "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ",
        "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
        "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,",
        "text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch",
        "charset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
    );
    let mut d = Vec::with_capacity(1423);
    for w in WORDS {
        d.extend_from_slice(&(w.len() as u32).to_be_bytes());
        d.extend_from_slice(w.as_bytes());
    }
    d.extend_from_slice(TAIL.as_bytes());
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_is_the_specifications() {
        let d = dictionary();
        assert_eq!(d.len(), 1423);
        // Every SPDY/3 header stream starts with a zlib header naming its dictionary by this
        // checksum (the well-known bytes 38 ea e3 c6 a7 c2 / 78 f9 e3 c6 a7 c2).
        assert_eq!(adler(&d), 0xe3c6_a7c2);
    }

    fn adler(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &x in data {
            a = (a + u32::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    }
}

/// kubectl's side of the framing, for tests of what is built on it.
#[cfg(test)]
pub(crate) mod testing {
    use miniz_oxide::deflate::core::{create_comp_flags_from_zip_params, CompressorOxide};
    use miniz_oxide::deflate::stream::deflate;
    use miniz_oxide::MZFlush;

    use super::Framer;

    /// kubectl's end: frames written as spdystream writes them, header blocks compressed in one
    /// zlib stream (without the dictionary here; `kubectls_own_header_blocks_are_read` covers it).
    pub(crate) struct Client {
        compressor: Box<CompressorOxide>,
    }

    impl Client {
        pub(crate) fn new() -> Client {
            Client {
                compressor: Box::new(CompressorOxide::new(create_comp_flags_from_zip_params(
                    9, 15, 0,
                ))),
            }
        }

        pub(crate) fn syn_stream(&mut self, stream: u32, headers: &[(&str, &str)]) -> Vec<u8> {
            let mut block = (headers.len() as u32).to_be_bytes().to_vec();
            for (k, v) in headers {
                block.extend((k.len() as u32).to_be_bytes());
                block.extend(k.as_bytes());
                block.extend((v.len() as u32).to_be_bytes());
                block.extend(v.as_bytes());
            }
            let mut compressed = vec![0; block.len() + 128];
            let r = deflate(&mut self.compressor, &block, &mut compressed, MZFlush::Sync);
            assert_eq!(r.bytes_consumed, block.len());
            compressed.truncate(r.bytes_written);
            syn_stream_frame(stream, &compressed)
        }

        /// The two streams kubectl opens for one local connection.
        pub(crate) fn connection(&mut self, request: u32, port: u16) -> Vec<u8> {
            let (id, port) = (request.to_string(), port.to_string());
            let error = 1 + request * 4;
            let mut bytes = self.syn_stream(
                error,
                &[("streamtype", "error"), ("port", &port), ("requestid", &id)],
            );
            // kubectl half-closes the error stream at once: it only reads it.
            bytes.extend(data(error, b"", true));
            bytes.extend(self.syn_stream(
                error + 2,
                &[("streamtype", "data"), ("port", &port), ("requestid", &id)],
            ));
            bytes
        }
    }

    pub(crate) fn syn_stream_frame(stream: u32, block: &[u8]) -> Vec<u8> {
        let mut f = vec![0x80, 0x03, 0x00, 0x01];
        f.extend(((10 + block.len()) as u32).to_be_bytes());
        f.extend(stream.to_be_bytes());
        f.extend([0, 0, 0, 0, 0, 0]);
        f.extend(block);
        f
    }

    pub(crate) fn data(stream: u32, bytes: &[u8], fin: bool) -> Vec<u8> {
        let mut out = Vec::new();
        Framer::data(stream, bytes, fin, &mut out);
        out
    }

    /// The frames the server sent, as (kind, stream or ping id, flags, data).
    #[derive(Debug, PartialEq, Eq)]
    pub(crate) enum Sent {
        Reply(u32),
        Data(u32, bool, String),
        Reset(u32),
        Ping(u32),
    }

    pub(crate) fn sent(mut bytes: &[u8]) -> Vec<Sent> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let first = u32::from_be_bytes(bytes[0..4].try_into().unwrap());
            let word = u32::from_be_bytes(bytes[4..8].try_into().unwrap());
            let len = (word & 0xff_ffff) as usize;
            let body = &bytes[8..8 + len];
            let id = || u32::from_be_bytes(body[0..4].try_into().unwrap());
            out.push(if first & 0x8000_0000 == 0 {
                Sent::Data(
                    first,
                    word >> 24 == 1,
                    String::from_utf8_lossy(body).into_owned(),
                )
            } else {
                match first & 0xffff {
                    2 => Sent::Reply(id()),
                    3 => Sent::Reset(id()),
                    6 => Sent::Ping(id()),
                    k => panic!("unexpected control frame {k}"),
                }
            });
            bytes = &bytes[8 + len..];
        }
        out
    }
}
