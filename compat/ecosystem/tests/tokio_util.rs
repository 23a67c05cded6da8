//! tokio-util 0.7: `Framed` codecs over a TCP pair (`LinesCodec`, `LengthDelimitedCodec`),
//! `DelayQueue` (its own timer wheel driven by `tokio::time::Sleep`), `CancellationToken` trees,
//! `TaskTracker` (also `spawn_local` in a `LocalSet`), `JoinMap`, and `LocalPoolHandle` (threads
//! each running a `LocalRuntime`, fed `!Send` futures).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::on_both_flavours;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LengthDelimitedCodec, LinesCodec};
use tokio_util::sync::CancellationToken;
use tokio_util::task::{JoinMap, LocalPoolHandle, TaskTracker};
use tokio_util::time::DelayQueue;

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

#[test]
fn framed_lines() {
    on_both_flavours("tokio-util framed_lines", || async {
        let (a, b) = tcp_pair().await;
        // The peer answers each line uppercased until it reads "bye".
        let peer = tokio::spawn(async move {
            let mut framed = Framed::new(b, LinesCodec::new_with_max_length(1024));
            while let Some(line) = framed.next().await {
                let line = line.unwrap();
                if line == "bye" {
                    break;
                }
                framed.send(line.to_uppercase()).await.unwrap();
            }
        });

        let mut framed = Framed::new(a, LinesCodec::new());
        let lines = [
            "first line",
            "second",
            "a much longer third line with spaces",
        ];
        for line in lines {
            framed.send(line).await.unwrap();
        }
        for line in lines {
            assert_eq!(framed.next().await.unwrap().unwrap(), line.to_uppercase());
        }
        framed.send("bye").await.unwrap();
        peer.await.unwrap();
        // The peer closed its end, so the stream ends.
        assert!(framed.next().await.is_none());
    });
}

#[test]
fn framed_length_delimited() {
    on_both_flavours("tokio-util framed_length_delimited", || async {
        let (a, b) = tcp_pair().await;
        let peer = tokio::spawn(async move {
            let mut framed = Framed::new(b, LengthDelimitedCodec::new());
            while let Some(frame) = framed.next().await {
                let mut frame = frame.unwrap();
                frame.reverse();
                framed.send(frame.freeze()).await.unwrap();
            }
        });

        let mut framed = Framed::new(a, LengthDelimitedCodec::new());
        // Frames of various sizes, one larger than a socket buffer fill.
        let frames: Vec<Vec<u8>> = [0usize, 1, 100, 300_000]
            .iter()
            .map(|&len| (0..len).map(|i| (i % 251) as u8).collect())
            .collect();
        for frame in &frames {
            framed.send(Bytes::from(frame.clone())).await.unwrap();
        }
        for frame in &frames {
            let back = framed.next().await.unwrap().unwrap();
            let mut expected = frame.clone();
            expected.reverse();
            assert_eq!(back.len(), expected.len());
            assert!(back[..] == expected[..]);
        }
        drop(framed);
        peer.await.unwrap();
    });
}

#[test]
fn delay_queue() {
    on_both_flavours("tokio-util delay_queue", || async {
        let mut queue = DelayQueue::new();
        let started = Instant::now();
        // Inserted out of deadline order.
        queue.insert("c", Duration::from_millis(150));
        let a = queue.insert("a", Duration::from_millis(50));
        queue.insert("b", Duration::from_millis(100));
        let removed = queue.insert("removed", Duration::from_millis(75));
        queue.insert("reset", Duration::from_millis(10));

        assert_eq!(queue.remove(&removed).into_inner(), "removed");
        // "a" moves behind "c"; "reset" would have come first but now comes last.
        queue.reset(&a, Duration::from_millis(200));
        let first = queue.next().await.unwrap();
        assert_eq!(*first.get_ref(), "reset");
        queue.insert(first.into_inner(), Duration::from_millis(250));

        let mut order = Vec::new();
        while let Some(expired) = queue.next().await {
            order.push((expired.into_inner(), started.elapsed()));
        }
        let names: Vec<&str> = order.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["b", "c", "a", "reset"]);
        let (_, last) = order.last().unwrap();
        assert!(
            *last >= Duration::from_millis(250),
            "last item after {last:?}"
        );
        assert!(queue.is_empty());
    });
}

#[test]
fn cancellation_token_tree() {
    on_both_flavours("tokio-util cancellation_token_tree", || async {
        let root = CancellationToken::new();
        let child = root.child_token();
        let grandchild = child.child_token();
        let sibling = root.child_token();

        // Cancelling a child reaches its own subtree only.
        let waiter = tokio::spawn({
            let grandchild = grandchild.clone();
            async move {
                grandchild.cancelled().await;
                "grandchild woken"
            }
        });
        tokio::task::yield_now().await;
        child.cancel();
        assert_eq!(waiter.await.unwrap(), "grandchild woken");
        assert!(grandchild.is_cancelled());
        assert!(!root.is_cancelled());
        assert!(!sibling.is_cancelled());

        // Cancelling the root wakes every task waiting below it, each exactly once.
        let woken = Arc::new(AtomicUsize::new(0));
        let mut waiters = tokio::task::JoinSet::new();
        for _ in 0..5 {
            let token = sibling.child_token();
            let woken = woken.clone();
            waiters.spawn(async move {
                tokio::select! {
                    _ = token.cancelled() => { woken.fetch_add(1, Ordering::SeqCst); }
                    _ = tokio::time::sleep(Duration::from_secs(30)) => panic!("never cancelled"),
                }
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(woken.load(Ordering::SeqCst), 0);
        root.cancel();
        while let Some(result) = waiters.join_next().await {
            result.unwrap();
        }
        assert_eq!(woken.load(Ordering::SeqCst), 5);

        // A token cancelled before anyone waits completes the wait at once.
        let late = root.child_token();
        assert!(late.is_cancelled());
        late.cancelled().await;

        // drop_guard cancels when dropped.
        let guarded = CancellationToken::new();
        let observer = guarded.clone();
        drop(guarded.drop_guard());
        assert!(observer.is_cancelled());
    });
}

#[test]
fn task_tracker() {
    on_both_flavours("tokio-util task_tracker", || async {
        let tracker = TaskTracker::new();
        let done = Arc::new(AtomicUsize::new(0));
        for i in 0..10u64 {
            let done = done.clone();
            tracker.spawn(async move {
                tokio::time::sleep(Duration::from_millis(5 * i)).await;
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        // Blocking-pool tasks are tracked as well.
        let blocking_done = done.clone();
        tracker.spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(20));
            blocking_done.fetch_add(1, Ordering::SeqCst);
        });

        // wait() on an open tracker does not finish, even once its tasks are done.
        let open_wait = tokio::time::timeout(Duration::from_millis(150), tracker.wait()).await;
        assert!(open_wait.is_err(), "wait() returned on an open tracker");
        tracker.close();
        assert!(tracker.is_closed());
        tracker.wait().await;
        assert_eq!(done.load(Ordering::SeqCst), 11);
        assert!(tracker.is_empty());
    });
}

#[test]
fn task_tracker_spawn_local() {
    on_both_flavours("tokio-util task_tracker spawn_local", || async {
        let tracker = TaskTracker::new();
        let local = tokio::task::LocalSet::new();
        let seen = std::rc::Rc::new(std::cell::Cell::new(0));
        local
            .run_until(async {
                for i in 1..=5 {
                    let seen = seen.clone();
                    // An `Rc` in the future: it could not be `tokio::spawn`ed.
                    tracker.spawn_local(async move {
                        tokio::time::sleep(Duration::from_millis(i)).await;
                        seen.set(seen.get() + i);
                    });
                }
                tracker.close();
                tracker.wait().await;
            })
            .await;
        assert_eq!(seen.get(), 15);
    });
}

#[test]
fn join_map() {
    on_both_flavours("tokio-util join_map", || async {
        let mut map = JoinMap::new();
        for (key, delay) in [("slow", 40u64), ("fast", 5), ("aborted", 10_000)] {
            map.spawn(key, async move {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                delay
            });
        }
        assert!(map.abort(&"aborted"));
        let mut done = Vec::new();
        while let Some((key, result)) = map.join_next().await {
            match result {
                Ok(delay) => done.push((key, delay)),
                Err(e) => {
                    assert_eq!(key, "aborted");
                    assert!(e.is_cancelled(), "{e}");
                }
            }
        }
        assert_eq!(done, [("fast", 5), ("slow", 40)]);
        assert!(map.is_empty());
    });
}

#[test]
fn local_pool_handle() {
    on_both_flavours("tokio-util local_pool_handle", || async {
        let pool = LocalPoolHandle::new(2);
        let mut answers = Vec::new();
        for i in 0..6u64 {
            answers.push(pool.spawn_pinned(move || async move {
                // `!Send` state across an await, on the pool's LocalRuntime.
                let cell = std::rc::Rc::new(std::cell::Cell::new(i));
                tokio::task::yield_now().await;
                tokio::time::sleep(Duration::from_millis(1)).await;
                cell.get() * 10
            }));
        }
        let mut sum = 0;
        for answer in answers {
            sum += answer.await.unwrap();
        }
        assert_eq!(sum, 150);
        drop(pool);
    });
}
