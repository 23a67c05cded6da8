//! `LocalRuntime`: both ways to build it, `!Send` futures in `block_on` and `spawn_local`,
//! `tandem::spawn`, timers and sockets inside it, shutdown, and no descriptor left after a drop.
//!
//! The tests share one lock: the descriptor count must not see another test's runtime.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Mutex;
use std::time::Duration;

use support::fd_count;
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream};
use tandem::runtime::{Builder, LocalOptions, LocalRuntime};
use tandem::task;

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn both() -> Vec<LocalRuntime> {
    vec![
        LocalRuntime::new().unwrap(),
        Builder::new_current_thread()
            .enable_all()
            .build_local(LocalOptions::default())
            .unwrap(),
    ]
}

#[test]
fn block_on_runs_not_send_futures_and_spawn_local() {
    let _s = serial();
    for rt in both() {
        let rc = Rc::new(Cell::new(0));
        let out = rt.block_on({
            let rc = rc.clone();
            async move {
                let mut handles = Vec::new();
                for i in 0..10 {
                    let rc = rc.clone();
                    handles.push(task::spawn_local(async move {
                        task::yield_now().await;
                        rc.set(rc.get() + i);
                    }));
                }
                for h in handles {
                    h.await.unwrap();
                }
                rc.get()
            }
        });
        assert_eq!(out, 45);
    }
}

#[test]
fn spawn_local_method_spawn_and_spawn_blocking() {
    let _s = serial();
    let rt = LocalRuntime::new().unwrap();
    let local = rt.spawn_local(async { Rc::new(1) });
    let send = rt.spawn(async { 2 });
    let blocking = rt.spawn_blocking(|| 3);
    let from_handle = rt.handle().spawn(async { 4 });
    let sum = rt.block_on(async move {
        *local.await.unwrap()
            + send.await.unwrap()
            + blocking.await.unwrap()
            + from_handle.await.unwrap()
    });
    assert_eq!(sum, 10);
}

#[test]
fn enter_guard_allows_spawn_local_and_spawn() {
    let _s = serial();
    let rt = LocalRuntime::new().unwrap();
    let (local, send) = {
        let _guard = rt.enter();
        (
            task::spawn_local(async { Rc::new(5) }),
            tandem::spawn(async { 6 }),
        )
    };
    let out = rt.block_on(async move { *local.await.unwrap() + send.await.unwrap() });
    assert_eq!(out, 11);
}

#[test]
fn spawn_local_from_a_send_task_on_the_runtime_thread() {
    let _s = serial();
    let rt = LocalRuntime::new().unwrap();
    let out = rt.block_on(async {
        tandem::spawn(async {
            // The runtime's own thread, inside its block_on: the local scheduler is entered.
            task::spawn_local(async { Rc::new(8) }).abort_handle().id()
        })
        .await
        .unwrap()
    });
    let _ = out;
}

#[test]
fn timers_and_tcp_inside() {
    let _s = serial();
    for rt in both() {
        let out = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = task::spawn_local(async move {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 5];
                sock.read_exact(&mut buf).await.unwrap();
                sock.write_all(&buf).await.unwrap();
                Rc::new(buf)
            });
            let client = tandem::spawn(async move {
                tandem::time::sleep(Duration::from_millis(5)).await;
                let mut sock = TcpStream::connect(addr).await.unwrap();
                sock.write_all(b"hello").await.unwrap();
                let mut buf = [0u8; 5];
                sock.read_exact(&mut buf).await.unwrap();
                buf
            });
            let started = std::time::Instant::now();
            tandem::time::sleep(Duration::from_millis(20)).await;
            assert!(started.elapsed() >= Duration::from_millis(20));
            let echoed = client.await.unwrap();
            assert_eq!(*server.await.unwrap(), echoed);
            echoed
        });
        assert_eq!(&out, b"hello");
    }
}

#[test]
fn local_tasks_run_only_inside_block_on_and_drop_with_the_runtime() {
    let _s = serial();
    let rt = LocalRuntime::new().unwrap();
    let dropped = Rc::new(Cell::new(false));
    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let flag = Flag(dropped.clone());
    let handle = rt.spawn_local(async move {
        let _flag = flag;
        std::future::pending::<()>().await
    });
    rt.block_on(task::yield_now());
    assert!(!dropped.get());
    drop(rt);
    assert!(dropped.get());
    drop(handle);
}

#[test]
fn shutdown_timeout_and_background() {
    let _s = serial();
    let rt = LocalRuntime::new().unwrap();
    rt.spawn_local(std::future::pending::<()>());
    rt.spawn_blocking(|| std::thread::sleep(Duration::from_millis(200)));
    let start = std::time::Instant::now();
    rt.shutdown_timeout(Duration::from_millis(10));
    assert!(start.elapsed() < Duration::from_millis(150));
    let rt = LocalRuntime::new().unwrap();
    rt.spawn_local(std::future::pending::<()>());
    rt.shutdown_background();
}

#[test]
fn fd_count_returns_to_baseline_after_drop() {
    let _s = serial();
    // Warm up anything process-wide (first runtime, first socket).
    drop(LocalRuntime::new().unwrap());
    std::thread::sleep(Duration::from_millis(20));
    let before = fd_count();
    for _ in 0..3 {
        let rt = LocalRuntime::new().unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let accept = task::spawn_local(async move { listener.accept().await.unwrap().0 });
            let client = TcpStream::connect(addr).await.unwrap();
            let server = accept.await.unwrap();
            // Keep one socket in a local task that never completes: the drop must close it.
            task::spawn_local(async move {
                let _keep = (server, Rc::new(()));
                std::future::pending::<()>().await
            });
            drop(client);
        });
        drop(rt);
    }
    let mut after = fd_count();
    for _ in 0..50 {
        if after <= before {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        after = fd_count();
    }
    assert_eq!(after, before, "descriptors leaked by LocalRuntime");
}
