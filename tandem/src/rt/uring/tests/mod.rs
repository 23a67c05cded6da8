//! Loom models of the operation lifecycle (`cell.rs`, `state.rs`) with a fake ring: a thread that
//! plays the kernel and the reaper (writes the buffer, then delivers the CQE), racing the
//! future's polls and drop; and of the multishot cell (`multishot.rs`): a stream of CQEs
//! racing the stream's polls and drop; and of a multishot receive over a provided-buffer group
//! (`ops/recv_multi.rs`, `buf_group.rs`): chunks read on another thread, the stream's drop racing
//! the final CQE, every buffer back in the group's ring once. The CQ drain protocol has its own
//! model in `util/drain_lock.rs`.

mod loom_multishot;
mod loom_op;
mod loom_recv;
