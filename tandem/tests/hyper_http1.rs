//! The `http1_server` example answers hyper's HTTP/1.1 client on Tandem, and its header-read
//! timeout (driven by `TandemTimer`) closes connections that send nothing.
//!
//! The examples are compiled into this test as modules, so what runs here is the examples' own
//! server and client code, on a current-thread and a two-worker runtime.

#![cfg(feature = "hyper")]

mod support;

#[allow(dead_code)]
#[path = "../examples/http1_server.rs"]
mod http1_server;
#[allow(dead_code)]
#[path = "../examples/http_client.rs"]
mod http_client;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, StatusCode};
use support::{run_flavor, Flavor};
use tandem::hyper::TandemIo;
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};

fn flavors() -> [Flavor; 2] {
    [Flavor::CURRENT_THREAD, Flavor::MULTI_2]
}

/// Starts the example's server on a free port with the given header-read timeout.
async fn start_server(header_read_timeout: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tandem::spawn(http1_server::serve(listener, header_read_timeout));
    addr
}

/// A hyper HTTP/1.1 client connection over a Tandem `TcpStream`.
async fn connect(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TandemIo::new(stream))
        .await
        .unwrap();
    tandem::spawn(async move {
        let _ = conn.await;
    });
    sender
}

/// Request `i` of a sequence: even ones GET the greeting, odd ones POST a body of their own
/// (of growing size) to be echoed. Returns the request and the body expected back.
fn request(i: usize) -> (Request<Full<Bytes>>, Bytes) {
    if i % 2 == 0 {
        let req = Request::get(format!("/hello/{i}"))
            .header("host", "test")
            .body(Full::new(Bytes::new()))
            .unwrap();
        (req, Bytes::from_static(http1_server::HELLO.as_bytes()))
    } else {
        let body = Bytes::from(format!("request {i}: {}", "x".repeat(i * 37)));
        let req = Request::post("/echo")
            .header("host", "test")
            .body(Full::new(body.clone()))
            .unwrap();
        (req, body)
    }
}

/// Sends request `i` and checks status, headers and body of the response.
async fn round_trip(sender: &mut SendRequest<Full<Bytes>>, i: usize) {
    let (req, expected) = request(i);
    sender.ready().await.unwrap();
    let res = sender.send_request(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "request {i}");
    assert_eq!(res.headers()[CONTENT_TYPE], "text/plain", "request {i}");
    assert_eq!(
        res.headers()[CONTENT_LENGTH],
        expected.len().to_string().as_str(),
        "request {i}"
    );
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body, expected, "request {i}");
}

/// 200 requests, one after another, on one keep-alive connection: a hyper HTTP/1.1
/// `SendRequest` is bound to its connection, so every request succeeding means the server kept
/// it open throughout.
#[test]
fn many_sequential_requests_on_one_keep_alive_connection() {
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let addr = start_server(http1_server::HEADER_READ_TIMEOUT).await;
                let mut sender = connect(addr).await;
                for i in 0..200 {
                    round_trip(&mut sender, i).await;
                }
                assert!(!sender.is_closed());

                // Anything other than GET and POST is refused, and the connection stays usable.
                let req = Request::builder()
                    .method(Method::DELETE)
                    .uri("/")
                    .header("host", "test")
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                sender.ready().await.unwrap();
                let res = sender.send_request(req).await.unwrap();
                assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
                round_trip(&mut sender, 201).await;
            });
        });
    }
}

/// The `http_client` example fetches from the `http1_server` example.
#[test]
fn example_client_gets_from_example_server() {
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let addr = start_server(http1_server::HEADER_READ_TIMEOUT).await;
                let uri = format!("http://{addr}/some/path?q=1").parse().unwrap();
                let res = http_client::get(&uri).await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                assert_eq!(res.headers()[CONTENT_TYPE], "text/plain");
                assert_eq!(res.body(), http1_server::HELLO.as_bytes());

                let bad = "https://127.0.0.1/".parse().unwrap();
                assert!(http_client::get(&bad).await.is_err(), "https is refused");
            });
        });
    }
}

const HEADER_TIMEOUT: Duration = Duration::from_millis(200);
/// Far more than the header timeout: only a hang detector.
const CLOSE_BOUND: Duration = Duration::from_secs(10);

/// Reads until the server closes the connection (EOF or a reset), appending what arrives to
/// `got`. Panics if the connection is still open after [`CLOSE_BOUND`].
async fn read_until_closed(stream: &mut TcpStream, got: &mut Vec<u8>) {
    let closed = tandem::time::timeout(CLOSE_BOUND, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the server did not close the connection within {CLOSE_BOUND:?}"
    );
}

/// With a 200 ms header-read timeout, the server closes: a connection that never sends a byte,
/// one that stops in the middle of its headers, and a keep-alive connection left idle after a
/// response. None of them is closed before the timeout (Tandem's timers never fire early).
#[test]
fn header_read_timeout_closes_silent_and_slow_clients() {
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let addr = start_server(HEADER_TIMEOUT).await;

                let silent = tandem::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    let start = Instant::now();
                    let mut got = Vec::new();
                    read_until_closed(&mut stream, &mut got).await;
                    (start.elapsed(), got)
                });

                let partial = tandem::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    let start = Instant::now();
                    stream
                        .write_all(b"GET / HTTP/1.1\r\nhost: test\r\n")
                        .await
                        .unwrap();
                    let mut got = Vec::new();
                    read_until_closed(&mut stream, &mut got).await;
                    (start.elapsed(), got)
                });

                let idle = tandem::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    stream
                        .write_all(b"GET / HTTP/1.1\r\nhost: test\r\n\r\n")
                        .await
                        .unwrap();
                    // The response arrives, then the connection idles until the timeout.
                    let mut got = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !got.ends_with(http1_server::HELLO.as_bytes()) {
                        let n = stream.read(&mut buf).await.unwrap();
                        assert_ne!(n, 0, "closed before the response");
                        got.extend_from_slice(&buf[..n]);
                    }
                    let start = Instant::now();
                    let mut after = Vec::new();
                    read_until_closed(&mut stream, &mut after).await;
                    (start.elapsed(), got, after)
                });

                let (elapsed, got) = silent.await.unwrap();
                assert!(got.is_empty(), "silent client got {got:?}");
                assert!(
                    elapsed >= HEADER_TIMEOUT,
                    "silent client closed after {elapsed:?}"
                );

                let (elapsed, _) = partial.await.unwrap();
                assert!(
                    elapsed >= HEADER_TIMEOUT,
                    "partial client closed after {elapsed:?}"
                );

                let (elapsed, response, after) = idle.await.unwrap();
                assert!(response.starts_with(b"HTTP/1.1 200 OK\r\n"));
                assert!(after.is_empty(), "idle client got more: {after:?}");
                // The idle timer started when the response was written, a little before the
                // client saw it; allow that much.
                assert!(
                    elapsed >= HEADER_TIMEOUT / 2,
                    "idle client closed after {elapsed:?}"
                );
            });
        });
    }
}
