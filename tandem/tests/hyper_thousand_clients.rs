//! 1,000 concurrent keep-alive clients of the `http1_server` example, each on its own
//! connection and all open at once, every one getting correct bodies for several requests.
//!
//! 1,000 client and 1,000 server sockets live in this one process (the test machine's
//! `ulimit -n` is 20,000).

#![cfg(feature = "hyper")]

mod support;

#[allow(dead_code)]
#[path = "../examples/http1_server.rs"]
mod http1_server;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use support::{run_flavor, Flavor};
use tandem::hyper::TandemIo;
use tandem::net::{TcpListener, TcpStream};
use tandem::sync::Barrier;
use tandem::task::JoinSet;

const CLIENTS: usize = 1_000;
const REQUESTS_PER_CLIENT: usize = 4;

/// One client: connects, sends a first request, waits until every client is connected and
/// answered once (so all connections are open together), then sends the rest on the same
/// connection. Returns how many responses were correct (it panics on any other).
async fn client(addr: SocketAddr, c: usize, barrier: Arc<Barrier>) -> usize {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TandemIo::new(stream))
        .await
        .unwrap();
    let conn = tandem::spawn(conn);
    let mut ok = 0;
    for i in 0..REQUESTS_PER_CLIENT {
        let (req, expected) = if (c + i) % 2 == 0 {
            let req = Request::get("/")
                .header("host", "test")
                .body(Full::new(Bytes::new()))
                .unwrap();
            (req, Bytes::from_static(http1_server::HELLO.as_bytes()))
        } else {
            let body = Bytes::from(format!("client {c} request {i}"));
            let req = Request::post("/")
                .header("host", "test")
                .body(Full::new(body.clone()))
                .unwrap();
            (req, body)
        };
        sender.ready().await.unwrap();
        let res = sender.send_request(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "client {c} request {i}");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, expected, "client {c} request {i}");
        ok += 1;
        if i == 0 {
            barrier.wait().await;
        }
    }
    // Dropping the sender ends the connection cleanly.
    drop(sender);
    conn.await.unwrap().unwrap();
    ok
}

#[test]
fn thousand_concurrent_keep_alive_clients() {
    for flavor in [Flavor::MULTI_2, Flavor::CURRENT_THREAD] {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tandem::spawn(http1_server::serve(
                    listener,
                    http1_server::HEADER_READ_TIMEOUT,
                ));

                let barrier = Arc::new(Barrier::new(CLIENTS));
                let correct = Arc::new(AtomicUsize::new(0));
                let mut clients = JoinSet::new();
                for c in 0..CLIENTS {
                    let barrier = barrier.clone();
                    let correct = correct.clone();
                    clients.spawn(async move {
                        let ok = client(addr, c, barrier).await;
                        correct.fetch_add(ok, Ordering::Relaxed);
                    });
                }
                // In completion order, so a failing client is reported at once rather than
                // leaving the others waiting at the barrier; the timeout only detects hangs.
                let all = async {
                    while let Some(done) = clients.join_next().await {
                        done.unwrap();
                    }
                };
                let finished = tandem::time::timeout(Duration::from_secs(60), all).await;
                assert!(
                    finished.is_ok(),
                    "hung with {} correct responses",
                    correct.load(Ordering::Relaxed)
                );
                assert_eq!(
                    correct.load(Ordering::Relaxed),
                    CLIENTS * REQUESTS_PER_CLIENT
                );
            });
        });
    }
}
