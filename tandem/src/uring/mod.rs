//! io_uring: per-worker rings, the operation lifecycle, owned buffers, the probe, and one file per
//! opcode under `ops/`.

pub(crate) mod buf;
