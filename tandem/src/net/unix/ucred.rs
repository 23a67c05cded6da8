//! `UCred`: the credentials of the process at the other end of a Unix stream, as the kernel
//! recorded them when the connection was made (`SO_PEERCRED`).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// The user, group and process of a Unix socket's peer (`UnixStream::peer_cred`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: Option<libc::pid_t>,
    uid: libc::uid_t,
    gid: libc::gid_t,
}

impl UCred {
    /// The peer's effective user id.
    pub fn uid(&self) -> libc::uid_t {
        self.uid
    }

    /// The peer's effective group id.
    pub fn gid(&self) -> libc::gid_t {
        self.gid
    }

    /// The peer's process id (always known on Linux; an `Option` as in Tokio, for the systems
    /// that do not report it).
    pub fn pid(&self) -> Option<libc::pid_t> {
        self.pid
    }
}

/// Reads `SO_PEERCRED` of a connected Unix socket.
pub(crate) fn peer_cred(socket: BorrowedFd<'_>) -> io::Result<UCred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` is a live, writable `ucred` of `len` bytes, the size SO_PEERCRED writes
    // at most, and `len` is a live `socklen_t` the kernel updates; the fd is borrowed, so open.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred {
        pid: Some(cred.pid),
        uid: cred.uid,
        gid: cred.gid,
    })
}
