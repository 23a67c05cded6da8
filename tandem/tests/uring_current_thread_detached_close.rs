//! A current-thread `block_on` that returns leaves no entry unsubmitted on its ring. `fs::read`
//! closes its file with a detached close that rides along with the ring's next enter; on a
//! current-thread runtime that enter only comes with the next `block_on`, so 50 calls of
//! `rt.block_on(fs::read(p))` used to leave 50 more open fds.
//!
//! This must be the only test in this binary: the fd count is process-wide.

mod support;

use std::time::Duration;

use support::{fd_count, wait_until};
use tandem::runtime::{Builder, UringMode};

#[test]
fn block_on_returns_with_every_close_submitted() {
    let dir = std::env::temp_dir().join(format!("tandem-ct-close-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("data");
    std::fs::write(&path, b"some bytes").unwrap();

    for mode in [UringMode::Auto, UringMode::Off] {
        for nowait_first in [true, false] {
            let what = format!("{mode:?}, fs_nowait_first({nowait_first})");
            let rt = Builder::new_current_thread()
                .enable_all()
                .io_uring(mode)
                .fs_nowait_first(nowait_first)
                .build()
                .unwrap();
            // The first call sets up what the runtime keeps (the blocking pool's first thread).
            assert_eq!(rt.block_on(tandem::fs::read(&path)).unwrap(), b"some bytes");
            let baseline = fd_count();
            for _ in 0..50 {
                assert_eq!(rt.block_on(tandem::fs::read(&path)).unwrap(), b"some bytes");
            }
            // The closes may still be running in the kernel (or the pool): bounded.
            assert!(
                wait_until(Duration::from_secs(5), || fd_count() <= baseline),
                "{what}: {} fds open after 50 reads, {baseline} before",
                fd_count()
            );
            drop(rt);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
