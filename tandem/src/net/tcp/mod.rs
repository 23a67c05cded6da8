//! TCP: the halves a [`TcpStream`](crate::net::TcpStream) splits into.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `socket.rs` | `TcpSocket`: a TCP socket to configure before it connects or listens |
//! | `stream.rs` | `TcpStream`: a TCP connection; its reads, writes and readiness are `net/stream_io.rs`'s, shared with `UnixStream` (epoll, or the worker rings under `Builder::net_io_uring`) |
//! | `split.rs` | `TcpStream::split`: borrowed halves, for reading and writing concurrently in one task |
//! | `split_owned.rs` | `TcpStream::into_split`: owned halves that can move to different tasks |
//! | `uring_accept.rs` | a listener's accepts over io_uring (`Builder::net_io_uring`): the multishot accept armed on a worker's ring, its re-arming, the waiters it wakes |
//! | `listener.rs` | `TcpListener`: accepts TCP connections (under `Builder::net_io_uring`, through `uring_accept.rs` on the workers) |
//!
//! [`TcpListener`](crate::net::TcpListener), [`TcpStream`](crate::net::TcpStream) and
//! [`TcpSocket`](crate::net::TcpSocket) live in [`crate::net`], as in Tokio.

pub(crate) mod listener;
pub(crate) mod socket;
mod split;
mod split_owned;
pub(crate) mod stream;
mod uring_accept;

pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
