//! Unix-domain sockets: the halves a [`UnixStream`](crate::net::UnixStream) splits into,
//! [`SocketAddr`], and Unix pipes ([`pipe`]).
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `socketaddr.rs` | `SocketAddr`: the address of a Unix-domain socket |
//! | `ucred.rs` | `UCred`: the credentials of a stream's peer (`SO_PEERCRED`) |
//! | `stream.rs` | `UnixStream`: a Unix-domain stream connection; its reads, writes and readiness are `net/stream_io.rs`'s, shared with `TcpStream` (epoll, or the worker rings under `Builder::net_io_uring`) |
//! | `split.rs` | `UnixStream::split`: borrowed halves, for reading and writing concurrently in one task |
//! | `split_owned.rs` | `UnixStream::into_split`: owned halves that can move to different tasks |
//! | `listener.rs` | `UnixListener`: accepts Unix-domain stream connections |
//! | `datagram.rs` | `UnixDatagram`: Unix-domain datagrams |
//! | `socket.rs` | `UnixSocket`: a socket to bind before it listens, connects or becomes a datagram socket |
//! | `pipe.rs` | `pipe`: anonymous pipes and FIFOs, `Sender`/`Receiver`/`OpenOptions` |
//!
//! [`UnixListener`](crate::net::UnixListener), [`UnixStream`](crate::net::UnixStream),
//! [`UnixDatagram`](crate::net::UnixDatagram) and [`UnixSocket`](crate::net::UnixSocket) live in
//! [`crate::net`], as in Tokio.

pub(crate) mod datagram;
pub(crate) mod listener;
pub mod pipe;
pub(crate) mod socket;
mod socketaddr;
mod split;
mod split_owned;
pub(crate) mod stream;
mod ucred;

pub use socketaddr::SocketAddr;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use ucred::UCred;
