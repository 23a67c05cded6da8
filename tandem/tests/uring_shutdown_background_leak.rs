//! `shutdown_background` with a read still running in the kernel: the operation outlives the
//! runtime's wait (zero), so its cell must live until the CQE (the kernel may still write the
//! buffer). What the cell keeps must not include its task's waker: that waker holds the task,
//! the task its runtime handle, and the handle the epoll fd, the eventfd and every ring fd. And
//! the operation must still be reaped once the runtime is gone (by the reaper thread), freeing
//! the cell and closing the file it reads and its ring: the fd count returns to the baseline.
//!
//! This must be the only test in this binary: the fd count is process-wide.

mod support;

use std::os::fd::AsRawFd;
use std::time::Duration;

use support::{fd_count, wait_until};

/// Big enough that reading it from the device takes a while in an io-wq worker.
const FILE_LEN: usize = 64 << 20;

fn drop_page_cache(file: &std::fs::File) {
    file.sync_all().unwrap();
    // SAFETY: plain advice on an fd we hold; touches no memory.
    let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    assert_eq!(rc, 0, "posix_fadvise(DONTNEED)");
}

#[test]
fn an_operation_left_in_flight_at_shutdown_keeps_no_runtime_alive() {
    let dir = std::env::temp_dir().join(format!("tandem-bg-leak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big");
    std::fs::write(&path, vec![7u8; FILE_LEN]).unwrap();
    let std_file = std::fs::File::open(&path).unwrap();
    for workers in [0, 2] {
        let baseline = fd_count();
        drop_page_cache(&std_file);
        let mut builder = support::builder_with_workers(workers);
        let Some(rt) = support::ring_runtime(&mut builder) else {
            return;
        };
        let file = rt.block_on(tandem::fs::File::open(&path)).unwrap();
        rt.spawn(async move {
            let (res, buf) = file.read_at(vec![0u8; FILE_LEN], 0).await;
            drop((res, buf));
            std::future::pending::<()>().await;
        });
        // The read is submitted once the task yields (a current-thread runtime runs the task
        // only inside `block_on`).
        rt.block_on(async {
            for _ in 0..10 {
                tandem::task::yield_now().await;
            }
        });
        let in_flight = || {
            let total = rt.handle().metrics().io_uring().total();
            total.submitted - total.completed
        };
        // On the multi-thread runtime the read is submitted by a worker, a moment later.
        wait_until(Duration::from_secs(5), || in_flight() > 0);
        let in_flight = in_flight();
        rt.shutdown_background();
        if in_flight == 0 {
            eprintln!(
                "{workers} workers: the read finished before shutdown; nothing leaked to check"
            );
        }
        // The read completes in the kernel; the reaper frees its cell (closing the file) and
        // then drops the ring. Nothing of the runtime's may stay either.
        assert!(
            wait_until(Duration::from_secs(20), || fd_count() == baseline),
            "{workers} workers: fd count is {} after shutdown_background, baseline {baseline} \
             ({in_flight} operations were in flight)",
            fd_count()
        );
    }
    drop(std_file);
    std::fs::remove_dir_all(&dir).unwrap();
}
