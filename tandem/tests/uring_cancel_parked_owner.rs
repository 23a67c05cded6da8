//! An operation dropped on a thread that does not own its ring is cancelled even while the
//! ring's owner sleeps: the cancel request goes to the owner's remote list and the owner is
//! unparked to push it. A worker that woke with no task to run used to park again without
//! pushing it; the orphaned FIFO read then stayed armed, swallowed the next bytes written to the
//! FIFO, and kept its fd until shutdown.
//!
//! This must be the only test in this binary: the fd count is process-wide.

mod support;
mod uring_ops;

use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use support::{fd_count, make_fifo, wait_until};
use tandem::runtime::Builder;

type ReadFuture = Pin<Box<dyn Future<Output = (std::io::Result<usize>, Vec<u8>)> + Send>>;

#[test]
fn a_read_dropped_off_its_ring_is_cancelled_while_the_owner_is_parked() {
    let dir = std::env::temp_dir().join(format!("tandem-cancel-parked-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo_path = dir.join("fifo");
    make_fifo(&fifo_path);
    let baseline = fd_count();

    let Some(rt) = support::ring_runtime(Builder::new_multi_thread().worker_threads(2)) else {
        return;
    };
    // O_RDWR: opening a FIFO for reading alone would wait for a writer.
    let fifo = std::sync::Arc::new(rt.block_on(async {
        tandem::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo_path)
            .await
            .unwrap()
    }));
    // Our own writer and reader, beside the runtime: a read still armed in the kernel would
    // take the bytes written below before `reader` sees them.
    let mut writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo_path)
        .unwrap();

    for round in 0..20 {
        // Poll the read once on a worker (so it is pushed on that worker's ring), then hand the
        // future out to this thread.
        let file = fifo.clone();
        let (tx, rx) = std::sync::mpsc::channel::<ReadFuture>();
        rt.spawn(async move {
            let op = uring_ops::StreamRead {
                file,
                buf: vec![0u8; 16],
            };
            let mut read: ReadFuture =
                Box::pin(async move { tandem::uring::submit(op).await.expect("submitted") });
            let polled = std::future::poll_fn(|cx: &mut Context<'_>| {
                Poll::Ready(read.as_mut().poll(cx).is_pending())
            })
            .await;
            assert!(polled, "round {round}: a read of an empty FIFO completed");
            tx.send(read).unwrap();
        });
        let read = rx.recv().unwrap();
        let in_flight = || {
            let total = rt.handle().metrics().io_uring().total();
            total.submitted - total.completed
        };
        assert!(
            wait_until(Duration::from_secs(10), || in_flight() == 1),
            "round {round}: the read never reached the kernel: {:?}",
            rt.handle().metrics().io_uring().total()
        );
        // Let both workers run out of work and park.
        std::thread::sleep(Duration::from_millis(50));
        drop(read);
        assert!(
            wait_until(Duration::from_secs(10), || in_flight() == 0),
            "round {round}: the dropped read is still in flight 10 s later: {:?}",
            rt.handle().metrics().io_uring().total()
        );
        // Nothing is armed on the FIFO any more: what we write is what we read.
        let message = format!("round {round}");
        writer.write_all(message.as_bytes()).unwrap();
        let mut got = vec![0u8; message.len()];
        writer.read_exact(&mut got).unwrap_or_else(|e| {
            panic!("round {round}: the bytes written after the drop were taken: {e}")
        });
        assert_eq!(got, message.as_bytes(), "round {round}");
    }

    drop(writer);
    drop(fifo);
    drop(rt);
    assert!(
        wait_until(Duration::from_secs(5), || fd_count() == baseline),
        "fd count is {} after shutdown, baseline {baseline}",
        fd_count()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
