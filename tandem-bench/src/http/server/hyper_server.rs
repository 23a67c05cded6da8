//! The hyper servers: hyper 1.x's `server::conn::http1`, one task per connection, on Tandem
//! (`tandem::hyper::{TandemIo, TandemTimer}`) and on Tokio (hyper-util's `TokioIo` and
//! `TokioTimer`).
//!
//! Both share the listening socket's settings, the service and the connection settings, so
//! the runtime is the only difference: each wraps the suite's listener (see [`super::bind`])
//! in its runtime's `TcpListener::from_std`, sets `TCP_NODELAY` on every connection as the
//! blocking servers do, and lets hyper close a connection whose request head takes longer
//! than [`HEADER_READ_TIMEOUT`] to arrive, with that runtime's timer.
//!
//! Two diagnostics for the Tandem servers, read from the environment (the suite's servers
//! inherit it): `TANDEM_BENCH_RING_STATS=FILE` rewrites FILE every 100 ms with the injection
//! queue's depth so far (one figure per 100 ms) and the rings' counters
//! (`RuntimeMetrics::io_uring`); `TANDEM_BENCH_NET_BUFS=N` gives each worker ring N receive
//! buffers of 4 KiB (`Builder::net_io_uring_buffers`) instead of the default;
//! `TANDEM_BENCH_ACCEPT_TASK=1` runs the accept loop in a task on a worker instead of in
//! `block_on` (whose thread is no worker): with `TANDEM_NET_IO_URING=1`, accepts then go
//! through the worker ring's multishot accept (`docs/URING-NET.md`, decision 8).

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

/// hyper on Tandem's multi-thread runtime with `workers` workers; `net_io_uring`: its
/// networking over io_uring rather than the epoll reactor (set either way, so that
/// `TANDEM_NET_IO_URING` in the environment changes neither row).
pub fn tandem(listener: TcpListener, workers: usize, net_io_uring: bool) -> io::Result<()> {
    use tandem::hyper::{TandemIo, TandemTimer};

    let mut builder = tandem::runtime::Builder::new_multi_thread();
    builder.worker_threads(workers).net_io_uring(net_io_uring);
    if let Some(count) = std::env::var("TANDEM_BENCH_NET_BUFS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder.net_io_uring_buffers(count, 4096);
    }
    let rt = builder.enable_all().build()?;
    #[cfg(feature = "io-poll-delay")]
    crate::http::poll_delay::export();
    if let Some(path) = std::env::var_os("TANDEM_BENCH_RING_STATS") {
        let metrics = rt.metrics();
        std::thread::spawn(move || {
            let mut depths = Vec::new();
            loop {
                std::thread::sleep(std::time::Duration::from_millis(100));
                depths.push(metrics.global_queue_depth());
                let _ = std::fs::write(
                    &path,
                    format!("inject depths {depths:?}\n{:#?}\n", metrics.io_uring()),
                );
            }
        });
    }
    let accept_loop = async {
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
    };
    if std::env::var_os("TANDEM_BENCH_ACCEPT_TASK").is_some() {
        rt.block_on(async { tandem::spawn(accept_loop).await })
            .map_err(io::Error::other)?
    } else {
        rt.block_on(accept_loop)
    }
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
