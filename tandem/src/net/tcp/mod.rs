//! TCP: the halves a [`TcpStream`](crate::net::TcpStream) splits into.
//!
//! [`TcpListener`](crate::net::TcpListener), [`TcpStream`](crate::net::TcpStream) and
//! [`TcpSocket`](crate::net::TcpSocket) live in [`crate::net`], as in Tokio.

pub(crate) mod listener;
pub(crate) mod socket;
mod split;
mod split_owned;
pub(crate) mod stream;

pub use split::{ReadHalf, WriteHalf};
pub use split_owned::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
