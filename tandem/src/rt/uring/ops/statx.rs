//! `IORING_OP_STATX`: probed, and used only to decide the route.
//!
//! The kernel always punts `IORING_OP_STATX` to its io-wq threads: a context switch and a
//! completion from another thread for every call (BENCHMARKS.md, the file-system section, has
//! what that cost small `fs::read`s). So `fs/backend.rs` asks for a file's size with a
//! `statx(2)` of the open fd on the worker itself, with `AT_STATX_DONT_SYNC`, which reads the
//! in-memory inode and never waits for a device or a server. This file keeps the opcode's
//! number for the route (a runtime without rings, or a kernel without the opcode, takes the
//! blocking pool for the whole call).

use io_uring::opcode;

pub(crate) const CODE: u8 = opcode::Statx::CODE;
