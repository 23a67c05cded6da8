//! More completions than a completion queue holds lose nothing.
//!
//! A task on a current-thread runtime reads one byte from each of 2,048 pipes at once
//! (`join_all` polls every read in one poll); the reads wait in the ring (1,024 CQ entries). The
//! runtime's thread then blocks in a plain sleep while another thread writes a byte to every
//! pipe: the kernel completes the reads meanwhile, nobody reaps, the CQ fills and the kernel
//! keeps the rest in its overflow list (`IORING_FEAT_NODROP`). When the thread comes back, every
//! read must deliver its own byte, and the ring's metrics must show that the CQ was really full.

use std::io::Write as _;
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::Duration;

use tandem::io::AsyncReadExt as _;
use tandem::runtime::{Builder, UringMode};

const PIPES: usize = 2048;

fn pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds `pipe2` writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: `pipe2` just created both fds; each is owned once, here.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    (r.into(), w.into())
}

#[test]
fn more_completions_than_the_cq_holds() {
    // A lost or stranded completion shows as a hang: fail instead, after a generous bound.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let res = std::panic::catch_unwind(overflow_and_recover);
        let _ = done.send(res);
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the reads did not all complete within 60 s: a completion was lost"),
    }
}

fn overflow_and_recover() {
    // Networking over io_uring gives worker rings a larger CQ (16,384): this test's 2,048
    // reads fill the default's 1,024.
    let rt = Builder::new_current_thread()
        .enable_all()
        .io_uring(UringMode::Auto)
        .net_io_uring(false)
        .build()
        .unwrap();
    if !rt.handle().metrics().io_uring().enabled {
        eprintln!("io_uring unavailable here: nothing to overflow");
        return;
    }
    let (readers, writers): (Vec<_>, Vec<_>) = (0..PIPES).map(|_| pipe()).unzip();
    let bytes = rt.block_on(async move {
        let reads = tandem::spawn(async move {
            let reads = readers.into_iter().enumerate().map(|(i, r)| async move {
                let mut file = tandem::fs::File::from_std(r);
                let mut byte = [0u8; 1];
                let n = file.read(&mut byte).await;
                (i, n.map(|n| (n, byte[0])))
            });
            futures::future::join_all(reads).await
        });
        // Let the task put its reads on the ring (this thread parks, which submits them).
        tandem::time::sleep(Duration::from_millis(50)).await;
        let in_flight = tandem::runtime::Handle::current()
            .metrics()
            .io_uring()
            .total();
        assert!(
            in_flight.submitted >= PIPES as u64,
            "the reads did not reach the ring: {in_flight:?}"
        );
        std::thread::spawn(move || {
            for (i, mut w) in writers.into_iter().enumerate() {
                w.write_all(&[i as u8]).unwrap();
            }
        })
        .join()
        .unwrap();
        // Blocks the runtime's only thread: completions pile up with nobody reaping.
        std::thread::sleep(Duration::from_millis(200));
        reads.await.unwrap()
    });
    assert_eq!(bytes.len(), PIPES);
    for (i, res) in bytes {
        assert_eq!(res.unwrap(), (1, i as u8), "pipe {i}");
    }
    let total = rt.handle().metrics().io_uring().total();
    assert_eq!(total.submitted, total.completed, "{total:?}");
    assert!(total.cq_full > 0, "the CQ never filled up: {total:?}");
    // One task started every read in one poll: they share enters.
    assert!(
        total.enters * 4 < total.submitted,
        "one task's {} reads took {} enters: not batched",
        total.submitted,
        total.enters
    );
    eprintln!("{total:?}");
}
