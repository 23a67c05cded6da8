//! `Batch`: several operations pushed on one ring in one go, in order, with links and drains.

use crate::rt::uring::{with_uring, Bridge, OpBatch, OpFuture, Operation, Refused};
use io_uring::squeue::Flags;
use std::fmt;
use std::io;

/// Several operations submitted together: pushed on one ring, contiguous and in the order they
/// were added, and handed to the kernel in one `io_uring_enter`, with nothing in between. That
/// is what link chains need (the kernel ends a chain at the end of a submission), and what a
/// caller wants when it knows the operations belong together.
///
/// [`push`](Batch::push) and [`push_with`](Batch::push_with) return each operation's future at
/// once; [`submit`](Batch::submit) pushes the whole batch on the ring of the calling thread
/// (its worker's, or the runtime's shared ring from any other thread) and fails the whole batch
/// if any operation cannot go. Each future then behaves as one from [`submit`](super::submit):
/// `Send`, cancelled on drop, released at its completion. The futures need not be polled for
/// the operations to run.
///
/// Links: an operation pushed with [`Flags::IO_LINK`] starts only after it completes
/// successfully, and if it fails (or completes short, for a read or a write) the rest of the
/// chain completes with `-ECANCELED` without running. [`Flags::IO_HARDLINK`] keeps the chain
/// going whatever the result. [`Flags::IO_DRAIN`] makes the operation wait until every
/// operation submitted before it on that ring (by anyone) has completed, and the ones after it
/// wait for it: costly on a worker's ring, which other tasks share. [`Flags::ASYNC`] sends the
/// operation straight to the kernel's worker threads.
///
/// ```no_run
/// # async fn example(write: impl tandem::uring::Operation, fsync: impl tandem::uring::Operation) -> std::io::Result<()> {
/// use tandem::uring::io_uring::squeue::Flags;
/// let mut batch = tandem::uring::Batch::new();
/// let written = batch.push_with(write, Flags::IO_LINK);
/// let synced = batch.push(fsync);
/// batch.submit()?;
/// let (written, synced) = (written.await?, synced.await?);
/// # Ok(())
/// # }
/// ```
///
/// A future dropped before its batch is submitted is not cancelled: its operation runs when
/// the batch is submitted and is released at its completion. A batch dropped without
/// `submit` fails its futures (kind `Other`) and drops their operations, which never ran.
pub struct Batch {
    ops: OpBatch,
    opcodes: Vec<u8>,
    /// The last operation pushed links to the next one.
    links_on: bool,
    /// The first rule the pushes broke, reported by `submit`.
    invalid: Option<&'static str>,
}

impl Batch {
    /// The most operations one batch may hold: the rings' submission queue size (the batch must
    /// fit in it whole).
    pub const MAX_LEN: usize = crate::rt::uring::SQ_ENTRIES as usize;

    /// The SQE flags [`push_with`](Batch::push_with) accepts.
    pub const ALLOWED_FLAGS: Flags = Flags::IO_LINK
        .union(Flags::IO_HARDLINK)
        .union(Flags::IO_DRAIN)
        .union(Flags::ASYNC);

    /// An empty batch.
    pub fn new() -> Batch {
        Batch {
            ops: OpBatch::new(),
            opcodes: Vec::new(),
            links_on: false,
            invalid: None,
        }
    }

    /// Adds `op` with no flags; returns its future.
    pub fn push<T: Operation>(&mut self, op: T) -> OpFuture<T> {
        self.push_with(op, Flags::empty())
    }

    /// Adds `op` with the SQE `flags` (among [`ALLOWED_FLAGS`](Batch::ALLOWED_FLAGS)); returns
    /// its future. Other flags (`FIXED_FILE`, `BUFFER_SELECT`, `SKIP_SUCCESS`: the rings register
    /// no files or buffers, and every operation needs its completion) make
    /// [`submit`](Batch::submit) fail with kind `InvalidInput`.
    pub fn push_with<T: Operation>(&mut self, op: T, flags: Flags) -> OpFuture<T> {
        if !Batch::ALLOWED_FLAGS.contains(flags) {
            self.invalid.get_or_insert(
                "a batch's operations may only have the flags IO_LINK, IO_HARDLINK, IO_DRAIN \
                 and ASYNC",
            );
        }
        self.links_on = flags.intersects(Flags::IO_LINK | Flags::IO_HARDLINK);
        self.opcodes.push(T::OPCODE);
        OpFuture::running(self.ops.add(Bridge(op), flags & Batch::ALLOWED_FLAGS))
    }

    /// The number of operations added.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True if no operation was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pushes every operation on the calling thread's ring, as one unit (see the type's docs).
    ///
    /// # Errors
    /// Nothing is submitted, every operation's future fails with an error of the same kind,
    /// and the operations are dropped, if:
    /// - kind [`Unsupported`](io::ErrorKind::Unsupported): the runtime does not use io_uring, or
    ///   the kernel lacks an operation's opcode (as [`submit`](super::submit));
    /// - kind [`InvalidInput`](io::ErrorKind::InvalidInput): an operation has a flag outside
    ///   [`ALLOWED_FLAGS`](Batch::ALLOWED_FLAGS), the last operation links to the next (a chain
    ///   must end inside its batch, or it would take in another task's entry), or the batch
    ///   has more than [`MAX_LEN`](Batch::MAX_LEN) operations.
    ///
    /// If the runtime has shut down, the futures fail as [`submit`](super::submit)'s do.
    ///
    /// # Panics
    /// Outside a runtime, as [`submit`](super::submit)'s first poll.
    pub fn submit(mut self) -> io::Result<()> {
        if let Err(e) = self.check() {
            self.ops.refuse(Refused::InvalidBatch);
            return Err(e);
        }
        let proof = with_uring(|uring| {
            let mut proof = None;
            for &opcode in &self.opcodes {
                proof = Some(uring.check(opcode)?);
            }
            Ok(proof)
        });
        match proof {
            Ok(Some(uring)) => {
                self.ops.push(uring);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) => {
                self.ops.refuse(Refused::Unsupported);
                Err(e)
            }
        }
    }

    fn check(&self) -> io::Result<()> {
        let invalid = |why: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, why));
        if let Some(why) = self.invalid {
            return invalid(why);
        }
        if self.links_on {
            return invalid("the last operation of a batch links to the next one");
        }
        if self.len() > Batch::MAX_LEN {
            return invalid("a batch holds at most `Batch::MAX_LEN` operations");
        }
        Ok(())
    }
}

impl Default for Batch {
    fn default() -> Batch {
        Batch::new()
    }
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("opcodes", &self.opcodes)
            .finish_non_exhaustive()
    }
}
