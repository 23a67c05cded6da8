//! The hyper servers: hyper 1.x's `server::conn::http1`, one task per connection, on Tandem
//! (`tandem::hyper::{TandemIo, TandemTimer}`) and on Tokio (hyper-util's `TokioIo` and
//! `TokioTimer`).
//!
//! Both share the listening socket's settings, the service and the connection settings, so
//! the runtime is the only difference: each wraps the suite's listener (see [`super::bind`])
//! in its runtime's `TcpListener::from_std`, sets `TCP_NODELAY` on every connection as the
//! blocking servers do, and lets hyper close a connection whose request head takes longer
//! than [`HEADER_READ_TIMEOUT`] to arrive, with that runtime's timer.

use std::convert::Infallible;
use std::io;
use std::net::TcpListener;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

use super::{accept_failed, announce, ACCEPT_PAUSE, HEADER_READ_TIMEOUT};
use crate::http::wire::BODY;

/// The service: `Hello, World!` for every request (hyper adds `content-length` and `date`).
async fn hello(_request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(BODY)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    Ok(response)
}

/// The connection settings, with `timer` driving the header-read timeout.
fn http1_builder(timer: impl hyper::rt::Timer + Send + Sync + 'static) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(timer)
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder
}

/// hyper on Tandem's multi-thread runtime with `workers` workers.
pub fn tandem(listener: TcpListener, workers: usize) -> io::Result<()> {
    use tandem::hyper::{TandemIo, TandemTimer};

    let rt = tandem::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    #[cfg(feature = "io-poll-delay")]
    crate::http::poll_delay::export();
    rt.block_on(async {
        let listener = tandem::net::TcpListener::from_std(listener)?;
        announce(listener.local_addr()?)?;
        let builder = http1_builder(TandemTimer::new());
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(&e);
                    tandem::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let connection = builder.serve_connection(TandemIo::new(stream), service_fn(hello));
            tandem::spawn(async move {
                // A client that resets or times out ends its connection: nothing to report.
                let _ = connection.await;
            });
        }
    })
}

/// hyper on Tokio's multi-thread runtime with `workers` workers.
pub fn tokio(listener: TcpListener, workers: usize) -> io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    rt.block_on(async {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        announce(listener.local_addr()?)?;
        let builder = http1_builder(TokioTimer::new());
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(&e);
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let connection = builder.serve_connection(TokioIo::new(stream), service_fn(hello));
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
    })
}
