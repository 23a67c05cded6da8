//! hyper-util's pooled legacy client (`TokioExecutor`, `TokioTimer`, `HttpConnector`) against a
//! hyper server whose connections are served by hyper-util's `auto::Builder` on `TokioIo`, with
//! the connection pool reused across requests and for both HTTP/1 and HTTP/2.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::on_both_flavours;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;

/// A server that answers with the request's path and body and counts the connections it accepted,
/// which tells whether the client pooled its connection.
struct Server {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    stop: tokio::sync::watch::Sender<bool>,
    accept_loop: tokio::task::JoinHandle<()>,
}

async fn answer(req: http::Request<Incoming>) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let version = req.version();
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await.map(|b| b.to_bytes());
    let body = body.unwrap_or_default();
    let text = format!("{path} {version:?} {}", String::from_utf8_lossy(&body));
    Ok(http::Response::new(Full::new(Bytes::from(text))))
}

impl Server {
    async fn start() -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let counter = connections.clone();
        let accept_loop = tokio::spawn(async move {
            let mut served = tokio::task::JoinSet::new();
            loop {
                let (stream, _) = tokio::select! {
                    accepted = listener.accept() => accepted.expect("accept"),
                    _ = stopped.changed() => break,
                };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut stopped = stopped.clone();
                served.spawn(async move {
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let conn = builder
                        .serve_connection(TokioIo::new(stream), hyper::service::service_fn(answer));
                    tokio::pin!(conn);
                    tokio::select! {
                        result = conn.as_mut() => result.expect("serve connection"),
                        _ = stopped.changed() => {
                            conn.as_mut().graceful_shutdown();
                            conn.await.expect("serve connection after graceful shutdown");
                        }
                    }
                });
            }
            while let Some(result) = served.join_next().await {
                result.expect("connection task");
            }
        });
        Server {
            addr,
            connections,
            stop,
            accept_loop,
        }
    }

    fn uri(&self, path: &str) -> http::Uri {
        format!("http://{}{}", self.addr, path).parse().unwrap()
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        self.accept_loop.await.expect("accept loop");
    }
}

async fn read(response: http::Response<Incoming>) -> String {
    assert_eq!(response.status(), http::StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

fn client(http2_only: bool) -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .http2_only(http2_only)
        .build(HttpConnector::new())
}

#[test]
fn pooled_http1_requests() {
    on_both_flavours("hyper-util pooled_http1_requests", || async {
        let server = Server::start().await;
        let client = client(false);
        for i in 0..5 {
            let response = client.get(server.uri(&format!("/get/{i}"))).await.unwrap();
            assert_eq!(read(response).await, format!("/get/{i} HTTP/1.1 "));
            // An HTTP/1 connection goes back to the pool from a task the client spawns once the
            // response is read; a request made before that task has run opens a new connection.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let post = http::Request::post(server.uri("/post"))
            .body(Full::new(Bytes::from_static(b"payload")))
            .unwrap();
        assert_eq!(
            read(client.request(post).await.unwrap()).await,
            "/post HTTP/1.1 payload"
        );
        // Six sequential requests: the pool must have served some of them from one connection
        // (all but the first, unless a pool return lost its race on a loaded machine).
        let connections = server.connections.load(Ordering::SeqCst);
        assert!(
            (1..=3).contains(&connections),
            "{connections} connections for 6 sequential requests"
        );

        drop(client);
        server.stop().await;
    });
}

#[test]
fn pooled_http2_concurrent_requests() {
    on_both_flavours("hyper-util pooled_http2_concurrent_requests", || async {
        let server = Server::start().await;
        let client = client(true);
        // The first request makes the connection, which the concurrent ones then share.
        let first = client.get(server.uri("/first")).await.unwrap();
        assert_eq!(read(first).await, "/first HTTP/2.0 ");

        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..8 {
            let client = client.clone();
            let uri = server.uri(&format!("/concurrent/{i}"));
            tasks.spawn(async move { (i, read(client.get(uri).await.unwrap()).await) });
        }
        let mut seen = Vec::new();
        while let Some(result) = tasks.join_next().await {
            let (i, body) = result.unwrap();
            assert_eq!(body, format!("/concurrent/{i} HTTP/2.0 "));
            seen.push(i);
        }
        seen.sort();
        assert_eq!(seen, (0..8).collect::<Vec<_>>());
        assert_eq!(server.connections.load(Ordering::SeqCst), 1);

        drop(client);
        server.stop().await;
    });
}
