//! Unix-domain sockets: the halves a [`UnixStream`](crate::net::UnixStream) splits into, and
//! [`SocketAddr`].
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `socketaddr.rs` | `SocketAddr`: the address of a Unix-domain socket |
//! | `ucred.rs` | `UCred`: the credentials of a stream's peer (`SO_PEERCRED`) |
//! | `stream.rs` | `UnixStream`: a Unix-domain stream connection |
//! | `split.rs` | `UnixStream::split`: borrowed halves, for reading and writing concurrently in one task |
//! | `split_owned.rs` | `UnixStream::into_split`: owned halves that can move to different tasks |
//! | `listener.rs` | `UnixListener`: accepts Unix-domain stream connections |
//! | `datagram.rs` | `UnixDatagram`: Unix-domain datagrams |
//!
//! [`UnixListener`](crate::net::UnixListener), [`UnixStream`](crate::net::UnixStream) and
//! [`UnixDatagram`](crate::net::UnixDatagram) live in [`crate::net`], as in Tokio.

pub(crate) mod datagram;
pub(crate) mod listener;
mod socketaddr;
mod split;
mod split_owned;
pub(crate) mod stream;
mod ucred;

pub use socketaddr::SocketAddr;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use ucred::UCred;
