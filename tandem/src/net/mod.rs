//! TCP, UDP and Unix-domain sockets driven by the reactor, with Tokio's names and signatures.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `addr.rs` | `ToSocketAddrs`: what `bind`, `connect`, `send_to` and `lookup_host` accept |
//! | `lookup_host.rs` | `lookup_host`: name resolution on the blocking pool |
//! | `send.rs` | Stream writes that cannot raise SIGPIPE |
//! | `buf_mut.rs` | Reads into a `bytes::BufMut`'s spare capacity, for the `*_buf` methods |
//! | `uring_recv.rs` | A stream socket's receive over io_uring (`Builder::net_io_uring`): the chunk held between reads, arming, re-arming, the readiness answers |
//! | `stream_io.rs` | `StreamIo`: a connected stream socket's I/O (TCP or Unix-domain) through epoll or, under `Builder::net_io_uring`, the worker rings: reads, writes, readiness, flush, shutdown, the drop that hands the fd over |
//! | `accept_backoff.rs` | The pause a listener takes after `accept(2)` failed for lack of resources |
//! | `udp.rs` | `UdpSocket`: UDP datagrams |
//! | `tcp/` | TCP: `TcpSocket`, `TcpStream` and its halves, `TcpListener` |
//! | `unix/` | Unix-domain sockets: `SocketAddr`, `UnixSocket`, `UnixStream` and its halves, `UnixListener`, `UnixDatagram`; Unix pipes (`unix::pipe`) |
//!
//! Every type here owns a non-blocking socket registered with the reactor of the runtime it was
//! created in (a `PollEvented`), and offers two styles of I/O, as Tokio does:
//! - `AsyncRead`/`AsyncWrite` (Tokio's traits, re-exported by [`crate::io`]) and the `poll_*`
//!   methods keep **one waker per direction**: only the last task to poll a direction is woken.
//! - The readiness futures (`readable`, `writable`, `ready`, `accept`, `recv`, ...) keep a list
//!   entry per waiting future, so any number of tasks may wait on one socket at once.
//!
//! `try_*` methods never wait: they attempt the operation if the socket looks ready and return
//! `WouldBlock` otherwise (clearing the readiness they acted on, so the next wait is real).
//!
//! # Invariants
//! - A socket leaves epoll before its fd is closed (`PollEvented`'s drop), so no event can name
//!   a registration whose fd number was reused.
//! - Stream writes go through `send(2)`/`sendmsg(2)` with `MSG_NOSIGNAL` (`send.rs`): writing to
//!   a reset peer gives `BrokenPipe`/`ConnectionReset`, never a SIGPIPE, whatever the process's
//!   SIGPIPE disposition.
//! - Once the runtime shuts down, every readiness wait returns an error instead of hanging.
//!
//! # Accept errors
//! When `accept(2)` fails for lack of resources (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) the
//! listener returns the error, keeps its readiness (the pending connections are still queued, and
//! no new edge may come for them), and makes the *next* accept wait a short, growing backoff
//! before it retries (`accept_backoff.rs`). A loop on `accept()` therefore neither spins nor
//! loses the queued connections once descriptors free up.

mod accept_backoff;
mod addr;
mod buf_mut;
mod lookup_host;
mod send;
mod stream_io;
pub mod tcp;
mod udp;
pub mod unix;
mod uring_recv;

pub use addr::ToSocketAddrs;
pub use lookup_host::lookup_host;
pub use tcp::listener::TcpListener;
pub use tcp::socket::TcpSocket;
pub use tcp::stream::TcpStream;
pub use udp::UdpSocket;
pub use unix::datagram::UnixDatagram;
pub use unix::listener::UnixListener;
pub use unix::socket::UnixSocket;
pub use unix::stream::UnixStream;

pub(crate) use addr::to_socket_addrs;

/// Tries `f` on each address in turn; returns the first success or the last error.
async fn each_addr<T, F, Fut>(addrs: Vec<std::net::SocketAddr>, mut f: F) -> std::io::Result<T>
where
    F: FnMut(std::net::SocketAddr) -> Fut,
    Fut: std::future::Future<Output = std::io::Result<T>>,
{
    let mut last_err = None;
    for addr in addrs {
        match f(addr).await {
            Ok(out) => return Ok(out),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}
