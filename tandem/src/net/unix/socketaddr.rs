//! `SocketAddr`: the address of a Unix-domain socket.

use std::fmt;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The address of a Unix-domain socket: a path, an abstract name, or unnamed.
#[derive(Clone)]
pub struct SocketAddr(pub(super) std::os::unix::net::SocketAddr);

impl SocketAddr {
    /// True for an unnamed address (an unbound socket, or one end of a `pair()`).
    pub fn is_unnamed(&self) -> bool {
        self.0.is_unnamed()
    }

    /// The path, for an address bound to a path.
    pub fn as_pathname(&self) -> Option<&Path> {
        self.0.as_pathname()
    }

    /// The name, for an address in the abstract namespace (Linux).
    pub fn as_abstract_name(&self) -> Option<&[u8]> {
        self.0.as_abstract_name()
    }
}

impl fmt::Debug for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<std::os::unix::net::SocketAddr> for SocketAddr {
    fn from(addr: std::os::unix::net::SocketAddr) -> SocketAddr {
        SocketAddr(addr)
    }
}

impl From<SocketAddr> for std::os::unix::net::SocketAddr {
    fn from(addr: SocketAddr) -> std::os::unix::net::SocketAddr {
        addr.0
    }
}

/// The address a path names, as Tokio reads it: a path whose first byte is NUL names the rest
/// in the abstract namespace (Linux); any other path is a filesystem path.
pub(crate) fn from_path(path: &Path) -> io::Result<std::os::unix::net::SocketAddr> {
    match path.as_os_str().as_bytes() {
        [0, name @ ..] => std::os::unix::net::SocketAddr::from_abstract_name(name),
        _ => std::os::unix::net::SocketAddr::from_pathname(path),
    }
}

/// `addr` as socket2's address, for `bind(2)`/`connect(2)`. An unnamed address names no
/// socket: `InvalidInput`.
pub(crate) fn to_sockaddr(addr: &std::os::unix::net::SocketAddr) -> io::Result<socket2::SockAddr> {
    if let Some(path) = addr.as_pathname() {
        socket2::SockAddr::unix(path)
    } else if let Some(name) = addr.as_abstract_name() {
        // socket2 reads a leading NUL as the abstract namespace's marker.
        let mut bytes = Vec::with_capacity(name.len() + 1);
        bytes.push(0);
        bytes.extend_from_slice(name);
        socket2::SockAddr::unix(std::ffi::OsStr::from_bytes(&bytes))
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an unnamed address names no socket to bind or connect to",
        ))
    }
}
