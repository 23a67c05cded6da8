//! The kernel ties an io_uring request to the thread whose `io_uring_enter` submitted it, and
//! cancels the thread's pending requests when that thread exits. A worker thread that handed
//! its core away in `block_in_place` goes back to the blocking pool, which ends idle threads
//! after their keep-alive: the reads it submitted must not die with it.

mod support;
mod uring_ops;

use std::future::Future;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use support::make_fifo;
use tandem::runtime::Builder;

#[test]
fn a_read_outlives_the_exit_of_the_thread_that_submitted_it() {
    let dir = std::env::temp_dir().join(format!("tandem-submitter-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo_path = dir.join("fifo");
    make_fifo(&fifo_path);
    let Some(rt) = support::ring_runtime(
        Builder::new_multi_thread()
            .worker_threads(1)
            .thread_keep_alive(Duration::from_millis(20)),
    ) else {
        return;
    };
    let mut writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo_path)
        .unwrap();
    let fifo = Arc::new(rt.block_on(async {
        tandem::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo_path)
            .await
            .unwrap()
    }));
    let task = rt.spawn(async move {
        let op = uring_ops::StreamRead {
            file: fifo,
            buf: vec![0u8; 5],
        };
        let mut read = Box::pin(async move { tandem::uring::submit(op).await.expect("submitted") });
        let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx).is_pending()));
        assert!(first.await, "a read of an empty FIFO completed");
        // Let this worker thread submit it (its tick's flush), then give the core away: this
        // thread becomes an idle pool thread once the task's poll returns.
        tandem::task::yield_now().await;
        tandem::task::block_in_place(|| std::thread::sleep(Duration::from_millis(5)));
        tandem::time::sleep(Duration::from_millis(300)).await;
        read.await
    });
    // Long after the former worker thread's keep-alive ran out.
    std::thread::sleep(Duration::from_millis(150));
    writer.write_all(b"hello").unwrap();
    let (res, buf) = rt.block_on(task).unwrap();
    assert_eq!(res.expect("the read died with its submitting thread"), 5);
    assert_eq!(&buf[..], b"hello");
    drop(rt);
    std::fs::remove_dir_all(&dir).unwrap();
}
