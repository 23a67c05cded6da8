//! An HTTP/1.1 hello-world server: hyper's connection API on Tandem.
//!
//! Every connection is a Tandem task serving requests one after another on a keep-alive
//! connection. `TandemTimer` drives hyper's header-read timeout, so a client that connects and
//! sends nothing (or sends its headers too slowly) is disconnected.
//!
//! `GET` (any path) answers `Hello, World!`; `POST` echoes the request body back.
//!
//! ```text
//! cargo run -p tandem --example http1_server            # port 3000; or: -- 8080, or PORT=8080
//! curl -i http://127.0.0.1:3000/
//! curl -i http://127.0.0.1:3000/ http://127.0.0.1:3000/  # two requests, one connection
//! curl -i -d 'echo me' http://127.0.0.1:3000/
//! nc 127.0.0.1 3000                                      # say nothing: closed after 5 s
//! ```

use std::convert::Infallible;
use std::io;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use tandem::hyper::{TandemIo, TandemTimer};
use tandem::net::TcpListener;

/// How long a client may take to send a request's headers, from the moment the server starts
/// waiting for them (connection start, or the end of the previous response).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The body of every `GET`.
pub const HELLO: &str = "Hello, World!";

/// Answers one request: `GET` says hello, `POST` echoes its body, anything else is a 405.
pub async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let (status, body) = match *req.method() {
        Method::GET => (StatusCode::OK, Bytes::from_static(HELLO.as_bytes())),
        Method::POST => (StatusCode::OK, req.into_body().collect().await?.to_bytes()),
        _ => (StatusCode::METHOD_NOT_ALLOWED, Bytes::new()),
    };
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    Ok(res)
}

/// Accepts connections forever, serving each on its own task with HTTP/1.1 keep-alive and the
/// given header-read timeout.
pub async fn serve(listener: TcpListener, header_read_timeout: Duration) -> io::Result<Infallible> {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            // Out of descriptors and the like: the listener backs off by itself; keep serving.
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tandem::spawn(async move {
            let conn = http1::Builder::new()
                .timer(TandemTimer::new())
                .header_read_timeout(header_read_timeout)
                .keep_alive(true)
                .serve_connection(TandemIo::new(stream), service_fn(handle));
            // Errors here are the client's (reset, timeout, malformed request): drop the
            // connection and keep serving the others.
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
    println!("HTTP/1.1 on http://{}", listener.local_addr()?);
    serve(listener, HEADER_READ_TIMEOUT).await?;
    Ok(())
}
