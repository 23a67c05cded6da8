//! HTTP/1.1 on the wire, as far as the suite needs it: where a message ends and whether the
//! connection stays open after it. Shared by the blocking servers (requests) and the load
//! generator (responses); `httparse` reads the head, this module decides the framing.
//!
//! Supported framing: a `Content-Length` body, or no body. A chunked or close-delimited body is
//! reported as unsupported: none of the suite's servers sends one, so meeting one is an error
//! worth counting rather than something to handle.

use httparse::{Header, Status};

/// The body every server sends.
pub const BODY: &[u8] = b"Hello, World!";

/// The blocking servers' response, byte for byte (hyper adds a `date` header to the same).
pub const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

/// What the blocking servers answer to a request they cannot parse, before closing.
pub const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Headers `httparse` may see in one message; more is a parse error.
const MAX_HEADERS: usize = 32;

/// A complete message at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    /// Bytes of head and body: where the next message starts.
    pub len: usize,
    /// The status code (responses) or 0 (requests).
    pub status: u16,
    /// The peer closes the connection after this message (`Connection: close`, or HTTP/1.0
    /// without `Connection: keep-alive`).
    pub close: bool,
}

/// Why a buffer does not hold a message we can frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// `httparse` rejected the head.
    Malformed,
    /// A `Content-Length` that is not a number.
    BadLength,
    /// A chunked or close-delimited body.
    Unsupported,
}

/// Parses the response at the start of `buf`: `Ok(None)` if it is not complete yet.
pub fn parse_response(buf: &[u8]) -> Result<Option<Message>, WireError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(buf) {
        Ok(Status::Complete(head)) => head,
        Ok(Status::Partial) => return Ok(None),
        Err(_) => return Err(WireError::Malformed),
    };
    let status = response.code.unwrap_or(0);
    let framing = framing(response.headers, response.version.unwrap_or(1))?;
    // 1xx, 204 and 304 never have a body, whatever the headers say.
    let bodiless = status < 200 || status == 204 || status == 304;
    let body = match framing.length {
        _ if bodiless => 0,
        Some(len) => len,
        None => return Err(WireError::Unsupported),
    };
    complete(buf, head, body, status, framing.close)
}

/// Parses the request at the start of `buf`: `Ok(None)` if it is not complete yet. A request
/// without `Content-Length` has no body.
pub fn parse_request(buf: &[u8]) -> Result<Option<Message>, WireError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let head = match request.parse(buf) {
        Ok(Status::Complete(head)) => head,
        Ok(Status::Partial) => return Ok(None),
        Err(_) => return Err(WireError::Malformed),
    };
    let framing = framing(request.headers, request.version.unwrap_or(1))?;
    complete(buf, head, framing.length.unwrap_or(0), 0, framing.close)
}

fn complete(
    buf: &[u8],
    head: usize,
    body: usize,
    status: u16,
    close: bool,
) -> Result<Option<Message>, WireError> {
    let len = head.checked_add(body).ok_or(WireError::BadLength)?;
    Ok((buf.len() >= len).then_some(Message { len, status, close }))
}

/// What the headers say about the body and the connection.
struct Framing {
    length: Option<usize>,
    close: bool,
}

/// `version` is `httparse`'s minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
fn framing(headers: &[Header<'_>], version: u8) -> Result<Framing, WireError> {
    let mut length = None;
    // HTTP/1.1 keeps the connection open unless told otherwise; HTTP/1.0 the reverse.
    let mut close = version == 0;
    for header in headers {
        if header.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).map_err(|_| WireError::BadLength)?;
            length = Some(text.trim().parse().map_err(|_| WireError::BadLength)?);
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(WireError::Unsupported);
        } else if header.name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
        }
    }
    Ok(Framing { length, close })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_our_response_and_what_follows_it() {
        let msg = parse_response(RESPONSE).unwrap().unwrap();
        assert_eq!(
            msg,
            Message {
                len: RESPONSE.len(),
                status: 200,
                close: false
            }
        );
        let two = [RESPONSE, RESPONSE].concat();
        assert_eq!(parse_response(&two).unwrap().unwrap().len, RESPONSE.len());
        assert_eq!(parse_response(&RESPONSE[..RESPONSE.len() - 1]), Ok(None));
        assert_eq!(parse_response(&RESPONSE[..10]), Ok(None));
    }

    #[test]
    fn reads_hypers_response_and_statuses() {
        let hyper = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\
                      date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nHello, World!";
        assert_eq!(parse_response(hyper).unwrap().unwrap().len, hyper.len());
        let closing = b"HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        let msg = parse_response(closing).unwrap().unwrap();
        assert_eq!((msg.status, msg.close), (503, true));
        let old = b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        assert!(parse_response(old).unwrap().unwrap().close);
        let old_kept = b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n";
        assert!(!parse_response(old_kept).unwrap().unwrap().close);
        assert_eq!(
            parse_response(b"HTTP/1.1 204 No Content\r\n\r\n")
                .unwrap()
                .unwrap()
                .len,
            27
        );
    }

    #[test]
    fn rejects_what_it_cannot_frame() {
        assert_eq!(
            parse_response(b"HTTX 200\r\n\r\n"),
            Err(WireError::Malformed)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"),
            Err(WireError::BadLength)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(WireError::Unsupported)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n\r\n"),
            Err(WireError::Unsupported)
        );
    }

    #[test]
    fn frames_requests_with_and_without_body() {
        let get = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(parse_request(get).unwrap().unwrap().len, get.len());
        let post = b"POST / HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc";
        let msg = parse_request(post).unwrap().unwrap();
        assert_eq!((msg.len, msg.close), (post.len(), true));
        assert_eq!(parse_request(&post[..post.len() - 1]), Ok(None));
    }
}
