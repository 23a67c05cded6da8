//! A linked write and fsync on a temporary file, submitted together with `tandem::uring::Batch`:
//! the fsync starts only once the write has succeeded, and both reach the kernel in one
//! `io_uring_enter`. Then the same chain with a write that fails (to a read-only fd): the fsync
//! never runs and completes with `ECANCELED`. Both outcomes are checked.
//!
//! ```text
//! cargo run -p tandem --example uring_linked
//! ```

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use tandem::uring::io_uring::{opcode, squeue, types};
use tandem::uring::{Batch, Completion, Operation};

/// `pwrite(2)` of an owned buffer at `offset`.
struct WriteAt {
    fd: Arc<OwnedFd>,
    buf: Vec<u8>,
    offset: u64,
}

// SAFETY: the entry points at `buf`'s heap data, which the operation owns, and names `fd`,
// which it keeps open.
unsafe impl Operation for WriteAt {
    const OPCODE: u8 = opcode::Write::CODE;
    type Output = io::Result<usize>;

    fn entry(&mut self) -> squeue::Entry {
        let len = self.buf.len() as u32;
        opcode::Write::new(types::Fd(self.fd.as_raw_fd()), self.buf.as_ptr(), len)
            .offset(self.offset)
            .build()
    }

    fn complete(self, completion: Completion) -> io::Result<usize> {
        completion.io_result().map(|n| n as usize)
    }
}

/// `fsync(2)`.
struct Fsync {
    fd: Arc<OwnedFd>,
}

// SAFETY: the entry names `fd`, which the operation keeps open; it points at no memory.
unsafe impl Operation for Fsync {
    const OPCODE: u8 = opcode::Fsync::CODE;
    type Output = io::Result<()>;

    fn entry(&mut self) -> squeue::Entry {
        opcode::Fsync::new(types::Fd(self.fd.as_raw_fd())).build()
    }

    fn complete(self, completion: Completion) -> io::Result<()> {
        completion.io_result().map(drop)
    }
}

/// Submits `write` linked to an fsync of `sync_fd`; returns both results.
async fn write_then_sync(
    write: WriteAt,
    sync_fd: Arc<OwnedFd>,
) -> io::Result<(io::Result<usize>, io::Result<()>)> {
    let mut batch = Batch::new();
    let written = batch.push_with(write, squeue::Flags::IO_LINK);
    let synced = batch.push(Fsync { fd: sync_fd });
    batch.submit()?;
    Ok((written.await?, synced.await?))
}

#[tandem::main]
async fn main() -> io::Result<()> {
    for opcode in [opcode::Write::CODE, opcode::Fsync::CODE] {
        if !tandem::uring::is_supported(opcode) {
            println!("io_uring (or opcode {opcode}) is not available here: nothing to show");
            return Ok(());
        }
    }
    let dir = std::env::temp_dir().join(format!("tandem-uring-linked-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("data");

    let fd = Arc::new(OwnedFd::from(File::create(&path)?));
    let (written, synced) = write_then_sync(
        WriteAt {
            fd: fd.clone(),
            buf: b"durable bytes".to_vec(),
            offset: 0,
        },
        fd,
    )
    .await?;
    assert_eq!(written?, 13);
    synced?;
    assert_eq!(std::fs::read(&path)?, b"durable bytes");
    println!("linked write + fsync: both succeeded");

    // The file opened read-only: the write fails, and the fsync linked to it is cancelled.
    let read_only = Arc::new(OwnedFd::from(File::open(&path)?));
    let (written, synced) = write_then_sync(
        WriteAt {
            fd: read_only.clone(),
            buf: b"never".to_vec(),
            offset: 0,
        },
        read_only,
    )
    .await?;
    assert_eq!(written.unwrap_err().raw_os_error(), Some(libc::EBADF));
    assert_eq!(synced.unwrap_err().raw_os_error(), Some(libc::ECANCELED));
    assert_eq!(std::fs::read(&path)?, b"durable bytes");
    println!("failing write: EBADF, and the linked fsync got ECANCELED");

    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
