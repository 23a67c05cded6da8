//! Opening a FIFO behaves as `open(2)` on every backend: opened for writing only, the open waits
//! for a reader (io_uring's first, non-blocking attempt fails with `ENXIO` instead); opened for
//! reading only, it waits for a writer (io_uring's attempt returns at once, before any writer
//! came), and returns as soon as one opens it, even if it writes nothing yet. Also: the writer
//! already waiting when the reader opens (many times, to shake out a lost wake-up or lost data),
//! and an open dropped while it waits (no fd, no operation left behind).
//!
//! A lost wake-up would hang: every test runs its configurations on a thread of its own and fails
//! after a generous bound instead.

#[path = "support/fs.rs"]
mod fs_support;
mod support;

use std::fs::OpenOptions as OpenOptionsStd;
use std::future::{poll_fn, Future};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::Poll;
use std::thread::JoinHandle;
use std::time::Duration;

use tandem::fs::{File, OpenOptions};
use tandem::io::{AsyncReadExt, AsyncWriteExt};

/// How long a test may take before it counts as hung.
const HANG: Duration = Duration::from_secs(60);

/// Runs `test` on a thread of its own; a panic is re-raised, a hang becomes a failure.
fn without_hanging(name: &str, test: fn()) {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(std::panic::catch_unwind(test));
    });
    match finished.recv_timeout(HANG) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{name}: not done after {HANG:?}: an open or a read never woke up"),
    }
}

/// Awaits `fut`, calling `then` right after its first poll: what `then` starts happens while the
/// call is underway (or after it ended early, which is the bug these tests catch).
async fn after_first_poll<F: Future>(fut: F, then: impl FnOnce()) -> F::Output {
    let mut fut = pin!(fut);
    let mut then = Some(then);
    poll_fn(|cx| {
        let res = fut.as_mut().poll(cx);
        if let Some(then) = then.take() {
            then();
        }
        res
    })
    .await
}

/// A thread that opens `fifo` with std (blocking `open(2)`) and then runs `io` on it.
fn peer<T: Send + 'static>(
    fifo: &Path,
    write: bool,
    io: impl FnOnce(std::fs::File) -> T + Send + 'static,
) -> JoinHandle<T> {
    let fifo = fifo.to_owned();
    std::thread::spawn(move || {
        let file = std::fs::OpenOptions::new()
            .read(!write)
            .write(write)
            .open(&fifo)
            .unwrap_or_else(|e| panic!("std open of {fifo:?}: {e}"));
        io(file)
    })
}

/// Lets a peer blocked in `open(2)` go (an `O_RDWR` open is both a reader and a writer, and
/// never waits), so that a failed test does not leave it blocked.
fn release_peers(fifo: &Path) {
    drop(
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(fifo),
    );
}

fn new_fifo(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let fifo = dir.join("fifo");
    support::make_fifo(&fifo);
    fifo
}

#[test]
fn write_only_open_waits_for_a_reader() {
    without_hanging("write_only_open_waits_for_a_reader", || {
        fs_support::each_fs_config("write_only_open_waits_for_a_reader", |dir| async move {
            let fifo = new_fifo(&dir);
            for append in [false, true] {
                let mut options = OpenOptions::new();
                if append {
                    options.append(true);
                } else {
                    options.write(true);
                }
                // The reader comes only once the open is underway, so there is none when the
                // open starts: open(2) waits for it; a non-blocking attempt fails with ENXIO.
                let mut reader = None;
                let opened = after_first_poll(options.open(&fifo), || {
                    reader = Some(peer(&fifo, false, |mut file| {
                        let mut got = Vec::new();
                        file.read_to_end(&mut got).unwrap();
                        got
                    }));
                })
                .await;
                let mut file = opened.unwrap_or_else(|e| {
                    release_peers(&fifo);
                    panic!(
                        "append {append}: the open failed instead of waiting for a reader: {e:?}"
                    )
                });
                file.write_all(b"hello").await.unwrap();
                file.flush().await.unwrap();
                drop(file);
                let got = reader.unwrap().join().unwrap();
                assert_eq!(got, b"hello", "append {append}: what the reader got");
            }
        });
    });
}

/// A writer thread that, after a short pause, says it is about to open the FIFO, opens it
/// (blocking `open(2)`) and writes "hello". The pause only makes an open that does not wait (the
/// bug) return before the writer comes; an open that waits passes whatever the timing.
fn late_writer(fifo: &Path) -> (JoinHandle<()>, Arc<AtomicBool>) {
    let fifo = fifo.to_owned();
    let opening = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&opening);
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        // SeqCst: set before the open(2) that lets the reader's open return.
        flag.store(true, Ordering::SeqCst);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(&fifo)
            .unwrap_or_else(|e| panic!("std open of {fifo:?} for writing: {e}"));
        file.write_all(b"hello").unwrap();
    });
    (thread, opening)
}

#[test]
fn read_only_open_waits_for_a_writer() {
    without_hanging("read_only_open_waits_for_a_writer", || {
        fs_support::each_fs_config("read_only_open_waits_for_a_writer", |dir| async move {
            let fifo = new_fifo(&dir);

            let mut writer = None;
            let opened =
                after_first_poll(File::open(&fifo), || writer = Some(late_writer(&fifo))).await;
            let (writer, opening) = writer.unwrap();
            // Reads wait for data either way (through io_uring they wait for readiness); what
            // open(2) adds is that the open itself returns only once a writer has opened.
            let writer_came = opening.load(Ordering::SeqCst);
            let mut file = opened.unwrap();
            let mut got = Vec::new();
            file.read_to_end(&mut got).await.unwrap();
            writer.join().unwrap();
            assert!(
                writer_came,
                "File::open of a FIFO returned before any writer opened it"
            );
            assert_eq!(got, b"hello", "File::open, then read_to_end");

            let mut writer = None;
            let got = after_first_poll(tandem::fs::read(&fifo), || {
                writer = Some(late_writer(&fifo))
            })
            .await;
            writer.unwrap().0.join().unwrap();
            assert_eq!(got.unwrap(), b"hello", "fs::read");

            // Asked for O_NONBLOCK: open(2) does not wait, and neither do we.
            let file = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo)
                .await
                .unwrap();
            drop(file);
        });
    });
}

#[test]
fn read_only_open_returns_when_a_silent_writer_opens() {
    without_hanging("read_only_open_returns_when_a_silent_writer_opens", || {
        fs_support::each_fs_config(
            "read_only_open_returns_when_a_silent_writer_opens",
            |dir| async move {
                let fifo = new_fifo(&dir);
                // The writer opens after the reader, then writes nothing until the reader's
                // open has returned: open(2) returns on the writer's arrival alone, so an open
                // that waited for data (or for the writer to leave) would wait forever.
                let (opened_tx, opened_rx) = mpsc::channel::<()>();
                let mut writer = None;
                let opened = after_first_poll(File::open(&fifo), || {
                    let fifo = fifo.clone();
                    writer = Some(std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(20));
                        let mut file = OpenOptionsStd::new().write(true).open(&fifo).unwrap();
                        // Until the reader's open returned (or gave up).
                        let _ = opened_rx.recv();
                        file.write_all(b"late").unwrap();
                    }));
                })
                .await;
                drop(opened_tx);
                let mut file = opened.unwrap();
                let mut got = Vec::new();
                file.read_to_end(&mut got).await.unwrap();
                writer.unwrap().join().unwrap();
                assert_eq!(got, b"late");
            },
        );
    });
}

#[test]
fn reader_opening_after_the_writer_gets_everything() {
    without_hanging("reader_opening_after_the_writer_gets_everything", || {
        fs_support::each_fs_config(
            "reader_opening_after_the_writer_gets_everything",
            |dir| async move {
                let fifo = new_fifo(&dir);
                // The writer is blocked in open(2) when the reader opens: it wakes, writes and
                // closes while the reader's open is still deciding whether to wait. The reader must
                // neither wait for another writer nor miss the data.
                for i in 0..50u32 {
                    let writer = peer(&fifo, true, move |mut file| {
                        file.write_all(&i.to_le_bytes()).unwrap();
                    });
                    // Give it time to block in open (if it has not, this is the case above).
                    std::thread::sleep(Duration::from_millis(1));
                    let got = if i % 2 == 0 {
                        tandem::fs::read(&fifo).await.unwrap()
                    } else {
                        let mut got = Vec::new();
                        File::open(&fifo)
                            .await
                            .unwrap()
                            .read_to_end(&mut got)
                            .await
                            .unwrap();
                        got
                    };
                    // Shown if the test fails or hangs (a writer nobody read from never ends).
                    eprintln!("round {i}: read {got:?}");
                    writer.join().unwrap();
                    assert_eq!(got, i.to_le_bytes(), "round {i}");
                }
            },
        );
    });
}

/// Where the open fds of this process point.
fn fds_pointing_at(path: &Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target == path)
        .count()
}

/// Peers kept open until every runtime of a test is gone (see the test below).
static PEERS: Mutex<Vec<std::fs::File>> = Mutex::new(Vec::new());

#[test]
fn open_dropped_while_waiting_leaves_no_fd() {
    without_hanging("open_dropped_while_waiting_leaves_no_fd", || {
        fs_support::each_fs_config(
            "open_dropped_while_waiting_leaves_no_fd",
            |dir| async move {
                for write in [false, true] {
                    let fifo = new_fifo(&dir.join(if write { "w" } else { "r" }));
                    let fifo = fifo.canonicalize().unwrap();
                    let mut options = OpenOptions::new();
                    options.read(!write).write(write);
                    let mut open = Box::pin(options.open(&fifo));
                    let pending =
                        poll_fn(|cx| Poll::Ready(open.as_mut().poll(cx).is_pending())).await;
                    assert!(
                        pending,
                        "write {write}: the open of a FIFO without a peer is waiting"
                    );
                    drop(open);
                    // Nothing of the dropped open may stay in flight on the rings (an open there
                    // would wait for a peer that never comes).
                    let settled = support::wait_until_async(Duration::from_secs(10), || {
                        let ring = tandem::runtime::Handle::current()
                            .metrics()
                            .io_uring()
                            .total();
                        ring.submitted == ring.completed
                    })
                    .await;
                    assert!(
                        settled,
                        "write {write}: an operation of the dropped open is in flight"
                    );
                    // An open(2) on the blocking pool cannot be taken back (as in Tokio): it waits
                    // for a peer, and would keep the runtime from shutting down. Be that peer until
                    // the runtime is gone (an O_RDWR open never waits, and is both a reader and a
                    // writer), so that such an open returns and closes its fd, whenever it runs.
                    let peer = OpenOptionsStd::new()
                        .read(true)
                        .write(true)
                        .open(&fifo)
                        .unwrap();
                    PEERS.lock().unwrap().push(peer);
                    let closed = support::wait_until_async(Duration::from_secs(10), || {
                        fds_pointing_at(&fifo) == 1
                    })
                    .await;
                    assert!(
                        closed,
                        "write {write}: an fd of the dropped open is still open"
                    );
                }
            },
        );
        PEERS.lock().unwrap().clear();
    });
}
