//! An HTTP/2 server over cleartext with prior knowledge (h2c): hyper's connection API on Tandem.
//!
//! HTTP/2 multiplexes many requests (streams) on one connection; hyper runs each stream as its
//! own task, spawned through `TandemExecutor`. `TandemTimer` drives HTTP/2 keep-alive pings, so
//! a peer that stops answering is disconnected.
//!
//! `GET` (any path) answers `Hello, World!`; `POST` echoes the request body back. Each
//! response says which HTTP version served it in `x-http-version`.
//!
//! ```text
//! cargo run -p tandem --example http2_server            # port 3000; or: -- 8080, or PORT=8080
//! curl -i --http2-prior-knowledge http://127.0.0.1:3000/
//! curl --http2-prior-knowledge --parallel --parallel-immediate \
//!     http://127.0.0.1:3000/a http://127.0.0.1:3000/b http://127.0.0.1:3000/c
//! curl --http2-prior-knowledge -d 'echo me' http://127.0.0.1:3000/
//! ```
//!
//! (Plain `curl http://...` speaks HTTP/1.1, which this server does not; see `http1_server`.)

use std::convert::Infallible;
use std::io;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use tandem::hyper::{TandemExecutor, TandemIo, TandemTimer};
use tandem::net::TcpListener;

/// The body of every `GET`.
pub const HELLO: &str = "Hello, World!";

/// Answers one request (one HTTP/2 stream): `GET` says hello, `POST` echoes its body, anything
/// else is a 405.
pub async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let version = format!("{:?}", req.version());
    let (status, body) = match *req.method() {
        Method::GET => (StatusCode::OK, Bytes::from_static(HELLO.as_bytes())),
        Method::POST => (StatusCode::OK, req.into_body().collect().await?.to_bytes()),
        _ => (StatusCode::METHOD_NOT_ALLOWED, Bytes::new()),
    };
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.insert(
        "x-http-version",
        HeaderValue::from_str(&version).expect("a version is a valid header value"),
    );
    Ok(res)
}

/// Accepts connections forever, serving each with HTTP/2 (prior knowledge) on its own task.
pub async fn serve(listener: TcpListener) -> io::Result<Infallible> {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tandem::spawn(async move {
            let conn = http2::Builder::new(TandemExecutor::new())
                .timer(TandemTimer::new())
                .keep_alive_interval(Duration::from_secs(20))
                .keep_alive_timeout(Duration::from_secs(20))
                .serve_connection(TandemIo::new(stream), service_fn(handle));
            let _ = conn.await;
        });
    }
}

/// The port from the first argument, else `$PORT`, else 3000 (`0` picks a free one).
pub fn port_from_args() -> u16 {
    std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PORT").ok())
        .map(|p| p.parse().expect("the port must be a number"))
        .unwrap_or(3000)
}

#[tandem::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port_from_args())).await?;
    println!(
        "HTTP/2 (h2c, prior knowledge) on http://{}",
        listener.local_addr()?
    );
    serve(listener).await?;
    Ok(())
}
