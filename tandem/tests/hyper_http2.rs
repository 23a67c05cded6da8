//! The `http2_server` example answers hyper's HTTP/2 client on Tandem: many concurrent streams
//! on one connection, with hyper's background tasks spawned by `TandemExecutor` on both sides.

#![cfg(feature = "hyper")]

mod support;

#[allow(dead_code)]
#[path = "../examples/http2_server.rs"]
mod http2_server;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http2::SendRequest;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Version};
use support::{run_flavor, Flavor};
use tandem::hyper::{TandemExecutor, TandemIo, TandemTimer};
use tandem::net::{TcpListener, TcpStream};
use tandem::sync::Barrier;

fn flavors() -> [Flavor; 2] {
    [Flavor::CURRENT_THREAD, Flavor::MULTI_2]
}

/// A hyper HTTP/2 client connection (prior knowledge) over a Tandem `TcpStream`.
async fn connect(addr: SocketAddr) -> SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http2::Builder::new(TandemExecutor::new())
        .timer(TandemTimer::new())
        .handshake(TandemIo::new(stream))
        .await
        .unwrap();
    tandem::spawn(async move {
        let _ = conn.await;
    });
    sender
}

/// Request `i` of client `c`: GETs and POSTs of various sizes, one of them larger than
/// HTTP/2's initial 64 KiB flow-control window. Returns the request and the expected body.
fn request(c: usize, i: usize) -> (Request<Full<Bytes>>, Bytes) {
    let uri = format!("http://test/{c}/{i}");
    if i % 3 == 0 {
        let req = Request::get(uri).body(Full::new(Bytes::new())).unwrap();
        (req, Bytes::from_static(http2_server::HELLO.as_bytes()))
    } else {
        let len = if c == 0 && i == 1 {
            200_000
        } else {
            c * 100 + i
        };
        let body: Bytes = (0..len).map(|k| (k * 7 + c + i) as u8).collect();
        let req = Request::post(uri).body(Full::new(body.clone())).unwrap();
        (req, body)
    }
}

/// 16 tasks, each sending 12 requests through its clone of one connection's `SendRequest`:
/// all streams of one HTTP/2 connection, in flight together.
#[test]
fn concurrent_streams_on_one_connection() {
    const CLIENTS: usize = 16;
    const REQUESTS: usize = 12;
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tandem::spawn(http2_server::serve(listener));

                let sender = connect(addr).await;
                let mut tasks = Vec::new();
                for c in 0..CLIENTS {
                    let mut sender = sender.clone();
                    tasks.push(tandem::spawn(async move {
                        for i in 0..REQUESTS {
                            let (req, expected) = request(c, i);
                            sender.ready().await.unwrap();
                            let res = sender.send_request(req).await.unwrap();
                            assert_eq!(res.status(), StatusCode::OK, "{c}/{i}");
                            assert_eq!(res.version(), Version::HTTP_2, "{c}/{i}");
                            assert_eq!(res.headers()["x-http-version"], "HTTP/2.0");
                            assert_eq!(res.headers()["content-type"], "text/plain");
                            let body = res.into_body().collect().await.unwrap().to_bytes();
                            assert_eq!(body.len(), expected.len(), "{c}/{i}");
                            assert!(body == expected, "{c}/{i}: body differs");
                        }
                    }));
                }
                for t in tasks {
                    t.await.unwrap();
                }
                assert!(!sender.is_closed());
            });
        });
    }
}

/// Streams really run concurrently: each handler waits until all `STREAMS` requests have
/// arrived before answering, so the responses come only if the client sent every stream
/// without waiting and the server (through `TandemExecutor`) ran every handler at once.
#[test]
fn streams_are_multiplexed_not_serialised() {
    const STREAMS: usize = 24;
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let barrier = Arc::new(Barrier::new(STREAMS));
                let arrived = Arc::new(AtomicUsize::new(0));
                {
                    let arrived = arrived.clone();
                    tandem::spawn(async move {
                        let (stream, _) = listener.accept().await.unwrap();
                        let service = service_fn(move |req: Request<Incoming>| {
                            let barrier = barrier.clone();
                            let arrived = arrived.clone();
                            async move {
                                arrived.fetch_add(1, Ordering::SeqCst);
                                barrier.wait().await;
                                let path = req.uri().path().to_string();
                                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(path))))
                            }
                        });
                        hyper::server::conn::http2::Builder::new(TandemExecutor::new())
                            .timer(TandemTimer::new())
                            .max_concurrent_streams(STREAMS as u32)
                            .serve_connection(TandemIo::new(stream), service)
                            .await
                            .unwrap();
                    });
                }

                let sender = connect(addr).await;
                let all = async {
                    let mut tasks = Vec::new();
                    for s in 0..STREAMS {
                        let mut sender = sender.clone();
                        tasks.push(tandem::spawn(async move {
                            let req = Request::get(format!("http://test/stream/{s}"))
                                .body(Full::new(Bytes::new()))
                                .unwrap();
                            sender.ready().await.unwrap();
                            let res = sender.send_request(req).await.unwrap();
                            let body = res.into_body().collect().await.unwrap().to_bytes();
                            assert_eq!(body, format!("/stream/{s}"));
                        }));
                    }
                    for t in tasks {
                        t.await.unwrap();
                    }
                };
                // A hang detector: serialised streams would wait at the barrier forever.
                let done = tandem::time::timeout(Duration::from_secs(10), all).await;
                assert!(
                    done.is_ok(),
                    "only {} of {STREAMS} streams reached the server concurrently",
                    arrived.load(Ordering::SeqCst)
                );
                assert_eq!(arrived.load(Ordering::SeqCst), STREAMS);
            });
        });
    }
}
