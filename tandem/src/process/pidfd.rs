//! `pidfd_open(2)`: a file descriptor that becomes readable when a child process exits, and the
//! mio source that lets the reactor watch it. The module's only `unsafe` is here.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A process file descriptor, registered with the reactor for `READABLE`: Linux reports it
/// readable once the process it names has terminated (and until it is reaped and beyond).
#[derive(Debug)]
pub(super) struct PidFd(OwnedFd);

impl PidFd {
    /// Opens a pidfd for `pid`, which must be an unreaped child of this process (its number
    /// cannot have been reused then: an exited child stays a zombie until it is waited for).
    ///
    /// # Errors
    /// `ENOSYS` before Linux 5.3, `EPERM`/`ENOSYS` under a seccomp filter that denies it,
    /// `EMFILE`/`ENFILE` when out of descriptors, `ESRCH` if `pid` is gone.
    pub(super) fn open(pid: u32) -> io::Result<PidFd> {
        let pid = libc::pid_t::try_from(pid)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "process id out of range"))?;
        // SAFETY: `pidfd_open` takes a pid and a flags word (0) and touches no memory of ours.
        let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0 as libc::c_uint) };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
        let raw = libc::c_int::try_from(ret)
            .map_err(|_| io::Error::other("pidfd_open returned an out-of-range descriptor"))?;
        // SAFETY: a successful `pidfd_open` returned a new descriptor that nothing else owns, so
        // the `OwnedFd` may take it: it is closed once, when that `OwnedFd` drops.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(PidFd(fd))
    }
}

impl mio::event::Source for PidFd {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}
