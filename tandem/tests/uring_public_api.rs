//! `tandem::uring`, the public API for custom io_uring operations: results and output
//! conversion, `Send` futures moved between workers, linked and batched submission,
//! `is_supported`, and the errors without io_uring or outside a runtime. Every runtime test runs
//! on each flavour (current-thread, multi-thread with 1, 2 and 8 workers).

mod support;
mod uring_ops;

use std::future::Future;
use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use support::{flavors, run_flavor, wait_until, Flavor};
use tandem::runtime::{Runtime, UringMode};
use tandem::uring::io_uring::{opcode, squeue::Flags};
use tandem::uring::{is_supported, submit, Batch, OpFuture};
use uring_ops::{
    each_ring_flavor, pipe, Counters, Fsync, Nop, PanickyRead, Read, SkipSuccessNop, TempDir, Write,
};

/// A runtime of `flavor` with rings; `None` (the test has nothing to check) where io_uring is
/// unavailable.
fn ring_runtime(flavor: Flavor) -> Option<Runtime> {
    support::ring_runtime(&mut flavor.builder())
}

fn write_op(fd: &Arc<OwnedFd>, bytes: &[u8]) -> Write {
    Write {
        fd: fd.clone(),
        buf: bytes.to_vec(),
        offset: u64::MAX,
    }
}

const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<OpFuture<Read>>();
    assert_send::<OpFuture<Nop>>();
    assert_send::<Batch>();
};

#[test]
fn an_operation_completes_with_its_result_and_output() {
    each_ring_flavor(|_, rt| {
        rt.block_on(async {
            assert_eq!(submit(Nop).await.unwrap(), 0);
            let (rx, tx) = pipe();
            let counters = Arc::new(Counters::default());
            let written = submit(write_op(&tx, b"hello")).await.unwrap().unwrap();
            assert_eq!(written, 5);
            // The output hands the op's buffer back, cut to the bytes read.
            let bytes = submit(Read::new(&rx, 64, &counters))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(bytes, b"hello");
            // A kernel error reaches `complete` as a negative result.
            let (bad_rx, _) = pipe();
            let err = submit(write_op(&bad_rx, b"x")).await.unwrap().unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EBADF));
            assert_eq!(counters.get(), (1, 0, 1), "completed once, never released");
        });
    });
}

/// Flags an op sets in its own entry are cleared: a SKIP_SUCCESS NOP still completes (else it
/// would never post a CQE: the bound turns that hang into a failure), and its IO_LINK does not
/// reach the next entry.
#[test]
fn flags_set_by_the_entry_are_cleared() {
    each_ring_flavor(|_, rt| {
        rt.block_on(async {
            let both = async { tandem::join!(submit(SkipSuccessNop), submit(Nop)) };
            let (first, second) = tandem::time::timeout(Duration::from_secs(10), both)
                .await
                .expect("the SKIP_SUCCESS entry never completed: its flags were kept");
            assert_eq!((first.unwrap(), second.unwrap()), (0, 0));
        });
    });
}

/// Many operations at once from tasks that move between workers; some futures are polled on one
/// task (pushed on that worker's ring) and finished by another.
#[test]
fn futures_move_between_workers() {
    for workers in [2, 8] {
        let rt = support::ring_runtime(
            tandem::runtime::Builder::new_multi_thread().worker_threads(workers),
        );
        let Some(rt) = rt else { return };
        rt.block_on(async {
            let mut tasks = Vec::new();
            for task in 0..64 {
                tasks.push(tandem::spawn(async move {
                    for round in 0..20 {
                        assert_eq!(submit(Nop).await.unwrap(), 0);
                        let (rx, tx) = pipe();
                        let counters = Arc::new(Counters::default());
                        let mut read = submit(Read::new(&rx, 16, &counters));
                        // Pushed on this worker's ring (the pipe is empty: it waits) ...
                        let pending = std::future::poll_fn(|cx: &mut Context<'_>| {
                            Poll::Ready(Pin::new(&mut read).poll(cx).is_pending())
                        })
                        .await;
                        assert!(pending, "a read of an empty pipe completed");
                        // ... and finished by another task, wherever it runs.
                        let reader = tandem::spawn(read);
                        let msg = format!("{task}/{round}");
                        let n = submit(write_op(&tx, msg.as_bytes()))
                            .await
                            .unwrap()
                            .unwrap();
                        assert_eq!(n, msg.len());
                        let bytes = reader.await.unwrap().unwrap().unwrap();
                        assert_eq!(bytes, msg.as_bytes());
                        tandem::task::yield_now().await;
                    }
                }));
            }
            for task in tasks {
                task.await.unwrap();
            }
        });
        let total = rt.handle().metrics().io_uring().total();
        assert_eq!(total.submitted, total.completed, "{total:?}");
    }
}

/// A linked write and fsync both succeed; a failing first link cancels the second.
#[test]
fn a_linked_write_and_fsync() {
    each_ring_flavor(|_, rt| {
        let dir = TempDir::new("uring-linked");
        let path = dir.0.join("file");
        rt.block_on(async {
            let file = Arc::new(std::fs::File::create(&path).unwrap());
            let fd = Arc::new(OwnedFd::from(file.try_clone().unwrap()));
            let mut batch = Batch::new();
            let write = batch.push_with(
                Write {
                    fd,
                    buf: b"linked".to_vec(),
                    offset: 0,
                },
                Flags::IO_LINK,
            );
            let fsync = batch.push(Fsync { file: file.clone() });
            batch.submit().unwrap();
            assert_eq!(write.await.unwrap().unwrap(), 6);
            fsync.await.unwrap().unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"linked");

            // A write to a read-only fd fails: the fsync linked after it never runs.
            let read_only = Arc::new(OwnedFd::from(std::fs::File::open(&path).unwrap()));
            let mut batch = Batch::new();
            let write = batch.push_with(write_op(&read_only, b"no"), Flags::IO_LINK);
            let fsync = batch.push(Fsync { file });
            batch.submit().unwrap();
            let err = write.await.unwrap().unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EBADF));
            let err = fsync.await.unwrap().unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ECANCELED));
        });
    });
}

/// A batch's operations run in order, whether or not their futures are polled; futures may be
/// awaited in any order.
#[test]
fn a_batch_runs_in_order_without_being_polled() {
    each_ring_flavor(|_, rt| {
        rt.block_on(async {
            let (rx, tx) = pipe();
            let mut batch = Batch::new();
            let mut writes = Vec::new();
            for i in 0..8u8 {
                writes.push(batch.push_with(write_op(&tx, &[b'a' + i]), Flags::IO_LINK));
            }
            let last = batch.push(Nop);
            assert_eq!(batch.len(), 9);
            batch.submit().unwrap();
            assert_eq!(last.await.unwrap(), 0);
            for write in writes.into_iter().rev() {
                assert_eq!(write.await.unwrap().unwrap(), 1);
            }
            let counters = Arc::new(Counters::default());
            let bytes = submit(Read::new(&rx, 16, &counters))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(bytes, b"abcdefgh");
        });
    });
}

#[test]
fn an_invalid_batch_is_not_submitted() {
    each_ring_flavor(|_, rt| {
        rt.block_on(async {
            // The last op links out of the batch.
            let counters = Arc::new(Counters::default());
            let (rx, _tx) = pipe();
            let mut batch = Batch::new();
            let read = batch.push_with(Read::new(&rx, 1, &counters), Flags::IO_LINK);
            let err = batch.submit().unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
            assert_eq!(read.await.unwrap_err().kind(), io::ErrorKind::InvalidInput);
            assert_eq!(
                counters.get(),
                (0, 0, 1),
                "dropped, neither completed nor released"
            );

            // A flag the rings cannot honour.
            let mut batch = Batch::new();
            let nop = batch.push_with(Nop, Flags::SKIP_SUCCESS);
            let err = batch.submit().unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
            assert_eq!(nop.await.unwrap_err().kind(), io::ErrorKind::InvalidInput);

            // Too many.
            let mut batch = Batch::new();
            let nops: Vec<_> = (0..=Batch::MAX_LEN).map(|_| batch.push(Nop)).collect();
            assert_eq!(
                batch.submit().unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
            for nop in nops {
                assert_eq!(nop.await.unwrap_err().kind(), io::ErrorKind::InvalidInput);
            }

            // Dropped without submit.
            let mut batch = Batch::new();
            let read = batch.push(Read::new(&rx, 1, &counters));
            drop(batch);
            assert_eq!(read.await.unwrap_err().kind(), io::ErrorKind::Other);
            assert_eq!(counters.get(), (0, 0, 2));

            // A full batch is fine, and an empty one.
            let mut batch = Batch::new();
            let nops: Vec<_> = (0..Batch::MAX_LEN).map(|_| batch.push(Nop)).collect();
            batch.submit().unwrap();
            for nop in nops {
                assert_eq!(nop.await.unwrap(), 0);
            }
            Batch::new().submit().unwrap();
        });
    });
}

/// Off a worker: `block_on` of a multi-thread runtime, a blocking-pool thread and a thread that
/// entered the runtime use the shared ring.
#[test]
fn off_worker_threads_use_the_shared_ring() {
    each_ring_flavor(|flavor, rt| {
        let handle = rt.handle().clone();
        let blocking = rt.block_on(async {
            tandem::task::spawn_blocking(|| {
                let handle = tandem::runtime::Handle::current();
                handle.block_on(async { submit(Nop).await.unwrap() })
            })
            .await
            .unwrap()
        });
        assert_eq!(blocking, 0);
        let plain = std::thread::spawn(move || {
            let _guard = handle.enter();
            futures::executor::block_on(async {
                let (rx, tx) = pipe();
                let counters = Arc::new(Counters::default());
                let read = submit(Read::new(&rx, 8, &counters));
                let write = submit(write_op(&tx, b"shared"));
                let (read, write) = futures::join!(read, write);
                assert_eq!(write.unwrap().unwrap(), 6);
                read.unwrap().unwrap()
            })
        })
        .join()
        .unwrap();
        assert_eq!(plain, b"shared");
        if flavor.is_multi_thread() {
            let shared = *rt.handle().metrics().io_uring().rings.last().unwrap();
            assert!(
                shared.submitted >= 3,
                "the shared ring took them: {shared:?}"
            );
        }
    });
}

#[test]
fn is_supported_follows_the_kernel_and_the_runtime() {
    let kernel = is_supported(opcode::Nop::CODE);
    assert!(!is_supported(u8::MAX), "no kernel has opcode 255");
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let off = flavor.builder().io_uring(UringMode::Off).build().unwrap();
            off.block_on(async { assert!(!is_supported(opcode::Nop::CODE)) });
            if let Some(rt) = ring_runtime(flavor) {
                assert!(kernel, "a runtime has rings, so the kernel has io_uring");
                rt.block_on(async {
                    assert!(is_supported(opcode::Nop::CODE));
                    assert!(!is_supported(u8::MAX));
                });
            }
        });
    }
}

/// `UringMode::Off`: every submission fails with `Unsupported`, never panics, and the op is
/// dropped without `complete` or `release`.
#[test]
fn uring_mode_off_gives_unsupported() {
    for flavor in flavors() {
        run_flavor(flavor, |flavor| {
            let rt = flavor.builder().io_uring(UringMode::Off).build().unwrap();
            rt.block_on(async {
                let counters = Arc::new(Counters::default());
                let (rx, _tx) = pipe();
                let err = submit(Read::new(&rx, 1, &counters)).await.unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{err}");
                assert!(err.to_string().contains("UringMode::Off"), "{err}");
                assert_eq!(counters.get(), (0, 0, 1));

                let mut batch = Batch::new();
                let read = batch.push(Read::new(&rx, 1, &counters));
                let err = batch.submit().unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{err}");
                assert_eq!(read.await.unwrap_err().kind(), io::ErrorKind::Unsupported);
                assert_eq!(counters.get(), (0, 0, 2));
            });
            // A runtime without the I/O driver has no rings either.
            let mut builder = match flavor.workers {
                None => tandem::runtime::Builder::new_current_thread(),
                Some(n) => {
                    let mut b = tandem::runtime::Builder::new_multi_thread();
                    b.worker_threads(n);
                    b
                }
            };
            let no_io = builder.enable_time().build().unwrap();
            no_io.block_on(async {
                let err = submit(Nop).await.unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{err}");
            });
        });
    }
}

/// Outside a runtime the first poll panics, as `tandem::fs`'s calls do.
#[test]
fn outside_a_runtime_the_first_poll_panics_as_fs_does() {
    let message = |f: Box<dyn FnOnce() + std::panic::UnwindSafe>| {
        let payload = std::panic::catch_unwind(f).expect_err("expected a panic");
        support::panic_message(&*payload)
    };
    let ours = message(Box::new(|| {
        let _ = futures::executor::block_on(submit(Nop));
    }));
    let fs = message(Box::new(|| {
        let _ = futures::executor::block_on(tandem::fs::metadata("/"));
    }));
    assert!(ours.contains("no reactor running"), "{ours}");
    assert_eq!(ours, fs);
    // Creating the future is fine: nothing happens until it is polled.
    drop(submit(Nop));
}

/// After the runtime shut down, an op fails as a file call does ("background task failed").
#[test]
fn after_shutdown_an_op_fails_as_fs_does() {
    let Some(rt) = ring_runtime(Flavor::MULTI_2) else {
        return;
    };
    let handle = rt.handle().clone();
    drop(rt);
    let _guard = handle.enter();
    let err = futures::executor::block_on(submit(Nop)).unwrap_err();
    assert_eq!(err.to_string(), "background task failed");
    let mut batch = Batch::new();
    let nop = batch.push(Nop);
    batch.submit().unwrap();
    let err = futures::executor::block_on(nop).unwrap_err();
    assert_eq!(err.to_string(), "background task failed");
}

/// A read that waits in the kernel completes when another thread feeds its pipe. (The writer's
/// pause only makes it likely that the read waits first; the result holds either way.)
#[test]
fn a_read_completes_when_its_pipe_is_fed_from_another_thread() {
    each_ring_flavor(|_, rt| {
        let (rx, tx) = pipe();
        let counters = Arc::new(Counters::default());
        let reader = rt.spawn(submit(Read::new(&rx, 4, &counters)));
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            // SAFETY: a write of 4 bytes from a live buffer on an open fd.
            let n = unsafe {
                libc::write(
                    std::os::fd::AsRawFd::as_raw_fd(&*tx),
                    b"late".as_ptr().cast(),
                    4,
                )
            };
            assert_eq!(n, 4);
        });
        let bytes = rt.block_on(reader).unwrap().unwrap().unwrap();
        writer.join().unwrap();
        assert_eq!(bytes, b"late");
        assert!(wait_until(Duration::from_secs(5), || counters.get() == (1, 0, 1)));
    });
}

/// A `release` that panics runs on whichever thread reaps the ring: the panic is caught there,
/// and the runtime goes on.
#[test]
fn a_panicking_release_does_not_unwind_through_the_ring() {
    support::silence_expected_panics();
    each_ring_flavor(|_, rt| {
        let counters = Arc::new(Counters::default());
        let (rx, _tx) = pipe();
        rt.block_on(async {
            let mut read = submit(PanickyRead(Read::new(&rx, 8, &counters)));
            let pending = std::future::poll_fn(|cx: &mut Context<'_>| {
                Poll::Ready(Pin::new(&mut read).poll(cx).is_pending())
            })
            .await;
            assert!(pending, "a read of an empty pipe completed");
            drop(read);
            for _ in 0..10_000 {
                if counters.get() == (0, 1, 1) {
                    break;
                }
                tandem::time::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(counters.get(), (0, 1, 1), "released once, then dropped");
            // The runtime still runs operations and tasks.
            assert_eq!(submit(Nop).await.unwrap(), 0);
            assert_eq!(tandem::spawn(submit(Nop)).await.unwrap().unwrap(), 0);
        });
    });
}
