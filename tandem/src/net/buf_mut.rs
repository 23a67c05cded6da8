//! Reads into a `bytes::BufMut`'s spare capacity, for the `*_buf` methods (`try_read_buf`,
//! `recv_buf`, `recv_buf_from`, ...).
//!
//! The spare capacity of a `BufMut` may be uninitialised: it is only ever handed to the kernel
//! as `[MaybeUninit<u8>]` (through socket2's `recv`/`recv_from`, or `read(2)` for a pipe),
//! never as `&mut [u8]`, and the buffer advances by exactly the bytes the kernel wrote.

use bytes::BufMut;
use socket2::{SockAddr, SockRef};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

/// Runs `read` on the spare capacity of `buf` (its current chunk) and advances `buf` by the
/// count it returns. `read` must return how many leading bytes it initialised.
pub(crate) fn read_into<B, R>(
    buf: &mut B,
    read: impl FnOnce(&mut [MaybeUninit<u8>]) -> io::Result<(usize, R)>,
) -> io::Result<(usize, R)>
where
    B: BufMut + ?Sized,
{
    let chunk = buf.chunk_mut();
    let len = chunk.len();
    // SAFETY: the slice is only passed to `read`, which writes initialised bytes into it (the
    // kernel, or socket2); nothing writes uninitialised bytes into it.
    let spare = unsafe { chunk.as_uninit_slice_mut() };
    let (n, out) = read(spare)?;
    // A reader cannot claim more than it was given; `min` keeps `advance_mut` in bounds even
    // if one did.
    let n = n.min(len);
    // SAFETY: `read` initialised the first `n` bytes of the chunk, and `n <= len`, the length
    // of the chunk `chunk_mut` returned.
    unsafe { buf.advance_mut(n) };
    Ok((n, out))
}

/// `read(2)` into uninitialised memory, for descriptors that are not sockets (pipes).
pub(crate) fn read_fd(fd: BorrowedFd<'_>, dst: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
    // SAFETY: `dst` is writable memory of `dst.len()` bytes for the duration of the call, and
    // `fd` is open (borrowed).
    let n = unsafe { libc::read(fd.as_raw_fd(), dst.as_mut_ptr().cast(), dst.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// `recv(2)` from a socket into `buf`'s spare capacity.
pub(crate) fn recv<B: BufMut + ?Sized>(sock: &impl AsFd, buf: &mut B) -> io::Result<usize> {
    read_into(buf, |dst| Ok((SockRef::from(sock).recv(dst)?, ()))).map(|(n, ())| n)
}

/// `recvfrom(2)` from a socket into `buf`'s spare capacity; also returns the sender.
pub(crate) fn recv_from<B: BufMut + ?Sized>(
    sock: &impl AsFd,
    buf: &mut B,
) -> io::Result<(usize, SockAddr)> {
    read_into(buf, |dst| SockRef::from(sock).recv_from(dst))
}

/// The Unix-domain address in `addr` (a sender's, from `recv_from`) as std's type: a path, an
/// abstract name, or unnamed (an unbound sender).
pub(crate) fn unix_addr(addr: &SockAddr) -> io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;
    if let Some(path) = addr.as_pathname() {
        SocketAddr::from_pathname(path)
    } else if let Some(name) = addr.as_abstract_namespace() {
        SocketAddr::from_abstract_name(name)
    } else if addr.len() == 0 || addr.is_unnamed() {
        // An unbound sender: Linux reports no address at all (length 0), as std reads it. std
        // has no constructor for the unnamed address, but an empty path gives one (its length
        // stops at `sun_path`); `unnamed_unix_addr` below checks this holds.
        SocketAddr::from_pathname("")
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "sender is not a Unix-domain address",
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unnamed_unix_addr() {
        let (a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
        a.send(b"x").unwrap();
        let mut buf = Vec::with_capacity(8);
        let (n, from) = super::recv_from(&b, &mut buf).unwrap();
        assert_eq!((n, &buf[..]), (1, &b"x"[..]));
        assert!(super::unix_addr(&from).unwrap().is_unnamed());
    }
}
