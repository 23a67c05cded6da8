//! The fs examples' runtime, from their mode argument (`auto`, `off`, `required`, `ring`).

use tandem::runtime::{Builder, Runtime, UringMode};

/// A multi-thread runtime for `mode`: a `UringMode`, or `ring`, which is `auto` with
/// `fs_nowait_first(false)` (every read and open through the ring, even when the kernel's
/// caches could answer at once).
///
/// # Panics
/// On any other mode.
pub fn build(mode: &str) -> std::io::Result<Runtime> {
    let (mode, nowait_first) = match mode {
        "ring" => (UringMode::Auto, false),
        other => (
            other.parse().expect("auto, off, required, ring or std"),
            true,
        ),
    };
    Builder::new_multi_thread()
        .enable_all()
        .io_uring(mode)
        .fs_nowait_first(nowait_first)
        .build()
}
