//! A custom io_uring operation Tandem does not ship: `splice(2)` between two pipes, moving bytes
//! inside the kernel. The operation owns both pipe ends it names, so they stay open until the
//! kernel is done, even if the future is dropped; `is_supported` picks the blocking fallback where
//! the runtime does not use io_uring. The example runs on a runtime with rings and on one built
//! with `UringMode::Off`, and checks the bytes that come out of each.
//!
//! ```text
//! cargo run -p tandem --example uring_splice
//! ```

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;

use tandem::runtime::{Builder, UringMode};
use tandem::uring::io_uring::{opcode, squeue, types};
use tandem::uring::{Completion, Operation};

/// Moves up to `len` bytes from the pipe `from` (its read end) to the pipe `to` (its write end).
struct Splice {
    from: Arc<OwnedFd>,
    to: Arc<OwnedFd>,
    len: u32,
}

// SAFETY: the entry names `from` and `to`, which the operation keeps open; it points at no
// memory.
unsafe impl Operation for Splice {
    const OPCODE: u8 = opcode::Splice::CODE;
    type Output = io::Result<usize>;

    fn entry(&mut self) -> squeue::Entry {
        // -1: no offset (pipes have none).
        opcode::Splice::new(
            types::Fd(self.from.as_raw_fd()),
            -1,
            types::Fd(self.to.as_raw_fd()),
            -1,
            self.len,
        )
        .build()
    }

    fn complete(self, completion: Completion) -> io::Result<usize> {
        completion.io_result().map(|n| n as usize)
    }
}

impl Splice {
    /// The same call on the blocking pool, for runtimes that do not use io_uring.
    async fn blocking(self) -> io::Result<usize> {
        tandem::task::spawn_blocking(move || {
            // SAFETY: both fds are open (owned by `self`); null offsets: the pipes' own.
            let n = unsafe {
                libc::splice(
                    self.from.as_raw_fd(),
                    std::ptr::null_mut(),
                    self.to.as_raw_fd(),
                    std::ptr::null_mut(),
                    self.len as usize,
                    0,
                )
            };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
        .await?
    }

    async fn run(self) -> io::Result<usize> {
        if tandem::uring::is_supported(Splice::OPCODE) {
            tandem::uring::submit(self).await?
        } else {
            self.blocking().await
        }
    }
}

fn pipe() -> io::Result<(Arc<OwnedFd>, Arc<OwnedFd>)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 just returned these fds; nothing else owns them.
    let (rx, tx) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((Arc::new(rx), Arc::new(tx)))
}

/// Writes `msg` into one pipe, splices it into another, and reads it back from there.
async fn round_trip(msg: &[u8]) -> io::Result<Vec<u8>> {
    let (a_rx, a_tx) = pipe()?;
    let (b_rx, b_tx) = pipe()?;
    // SAFETY: a write from a live buffer to an open pipe.
    let written = unsafe { libc::write(a_tx.as_raw_fd(), msg.as_ptr().cast(), msg.len()) };
    assert_eq!(written, msg.len() as isize);
    let moved = Splice {
        from: a_rx,
        to: b_tx,
        len: 4096,
    }
    .run()
    .await?;
    let mut out = vec![0u8; moved];
    // SAFETY: a read into a live buffer of `moved` bytes from an open pipe.
    let read = unsafe { libc::read(b_rx.as_raw_fd(), out.as_mut_ptr().cast(), moved) };
    assert_eq!(read, moved as isize);
    Ok(out)
}

fn main() -> io::Result<()> {
    let msg = b"spliced through the kernel";
    for mode in [UringMode::Auto, UringMode::Off] {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .io_uring(mode)
            .build()?;
        let (out, via_uring) = rt.block_on(async {
            // On a worker: its own ring.
            let out = tandem::spawn(round_trip(msg)).await??;
            io::Result::Ok((out, tandem::uring::is_supported(Splice::OPCODE)))
        })?;
        assert_eq!(out, msg);
        let how = if via_uring {
            "io_uring"
        } else {
            "the blocking pool"
        };
        println!("{mode:?}: {:?} via {how}", String::from_utf8_lossy(&out));
        if mode == UringMode::Off {
            assert!(!via_uring, "UringMode::Off must not use io_uring");
        }
    }
    Ok(())
}
