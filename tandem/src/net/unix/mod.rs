//! Unix-domain sockets: the halves a [`UnixStream`](crate::net::UnixStream) splits into, and
//! [`SocketAddr`].
//!
//! [`UnixListener`](crate::net::UnixListener), [`UnixStream`](crate::net::UnixStream) and
//! [`UnixDatagram`](crate::net::UnixDatagram) live in [`crate::net`], as in Tokio.

pub(crate) mod datagram;
pub(crate) mod listener;
mod socketaddr;
mod split;
mod split_owned;
pub(crate) mod stream;

pub use socketaddr::SocketAddr;
pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
