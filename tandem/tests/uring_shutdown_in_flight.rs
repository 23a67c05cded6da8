//! Runtime shutdown with 10,000 operations in flight returns, frees every buffer exactly once
//! (never while the kernel may still write it: the rings wait for each completion), and leaves
//! no fd behind.
//!
//! With io_uring, half the operations are reads of a FIFO that nobody writes: they would never
//! complete on their own, so shutdown must cancel them (`IORING_OP_ASYNC_CANCEL`) rather than wait
//! forever. On the blocking pool a read of an empty FIFO blocks its thread for good (as in
//! Tokio), so that backend gets regular-file reads only.
//!
//! This must be the only test in this binary: the fd count is process-wide.

#[path = "support/guard_buf.rs"]
mod guard_buf;
mod support;
mod uring_ops;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use guard_buf::{Counts, GuardBuf};
use support::{fd_count, make_fifo, wait_until};
use tandem::runtime::UringMode;

const IN_FLIGHT: usize = 10_000;

fn settled_fd_count() -> usize {
    let mut min = fd_count();
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(5));
        min = min.min(fd_count());
    }
    min
}

#[test]
fn shutdown_with_operations_in_flight() {
    let dir = std::env::temp_dir().join(format!("tandem-uring-shutdown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file_path = dir.join("data");
    std::fs::write(&file_path, vec![3u8; 1 << 20]).unwrap();
    let fifo_path = dir.join("fifo");
    make_fifo(&fifo_path);
    let baseline = settled_fd_count();

    // `timeout`: shut down with `Runtime::shutdown_timeout`, which also bounds the wait for the
    // rings' operations, instead of dropping the runtime.
    for (mode, workers, timeout) in [
        (UringMode::Auto, 2, None),
        (UringMode::Auto, 0, None),
        (UringMode::Off, 2, None),
        (UringMode::Auto, 0, Some(Duration::from_secs(5))),
        (UringMode::Auto, 2, Some(Duration::from_secs(5))),
    ] {
        let what = format!("{mode:?} with {workers} workers, shutdown timeout {timeout:?}");
        let counts = Arc::new(Counts::default());
        let mut builder = support::builder_with_workers(workers);
        // Every read through the ring or the pool: tried on the worker first, the regular-file
        // reads would complete from the page cache before shutdown, with nothing in flight.
        let rt = builder
            .enable_all()
            .io_uring(mode)
            .fs_nowait_first(false)
            .build()
            .unwrap();
        let uring = rt.handle().metrics().io_uring().enabled;
        let started = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let file = Arc::new(tandem::fs::File::open(&file_path).await.unwrap());
            // O_RDWR: opening a FIFO for reading alone would block until a writer appears.
            let fifo = Arc::new(
                tandem::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&fifo_path)
                    .await
                    .unwrap(),
            );
            for i in 0..IN_FLIGHT {
                let buf = GuardBuf::new(4096, &counts);
                let on_fifo = uring && i % 2 == 0;
                let (fifo, file) = (fifo.clone(), file.clone());
                let started = started.clone();
                tandem::spawn(async move {
                    started.fetch_add(1, SeqCst);
                    let (_res, _buf) = match on_fifo {
                        // Never completes on its own: nobody writes the FIFO.
                        true => {
                            let op = uring_ops::StreamRead { file: fifo, buf };
                            tandem::uring::submit(op).await.expect("submitted")
                        }
                        false => file.read_at(buf, (i % 256) as u64 * 4096).await,
                    };
                    // Regular reads finish; the task then waits forever, keeping its task
                    // (and with it nothing of the op) alive until shutdown.
                    std::future::pending::<()>().await;
                });
            }
            // Let every task start and submit its read (a current-thread runtime runs them only
            // inside `block_on`), and the ring submit them.
            while started.load(SeqCst) < IN_FLIGHT {
                tandem::task::yield_now().await;
            }
            for _ in 0..10 {
                tandem::task::yield_now().await;
            }
        });
        if uring {
            let total = rt.handle().metrics().io_uring().total();
            let in_flight = total.submitted - total.completed;
            assert!(
                in_flight >= (IN_FLIGHT / 2) as u64,
                "{what}: only {in_flight} operations in flight before shutdown: {total:?}"
            );
        }
        // Shut down now, with the reads in flight.
        match timeout {
            Some(limit) => rt.shutdown_timeout(limit),
            None => drop(rt),
        }
        assert_eq!(
            counts.created(),
            counts.dropped(),
            "{what}: buffers created vs dropped after shutdown"
        );
        let back = wait_until(Duration::from_secs(5), || fd_count() == baseline);
        assert!(
            back,
            "{what}: fd count is {} after shutdown, baseline {baseline}",
            fd_count()
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
