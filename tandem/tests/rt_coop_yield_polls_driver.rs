//! A task whose cooperative budget runs out is woken only after the scheduler has polled its
//! driver, as Tokio's: a task spinning on `consume_budget` while it waits for an I/O event sees
//! that event after one yield, on both flavours.
//!
//! Before, the task was woken at once: a current-thread runtime ran it again and again (up to
//! `event_interval` tasks between two driver turns) before the `accept` beside it could see its
//! connection, and the loop below counted 10 yields and failed.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use tandem::net::TcpListener;
use tandem::runtime::Builder;

async fn spin_until_accepted() -> usize {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let spinner = async {
        let _socket = std::net::TcpStream::connect(addr).unwrap();
        let mut yields = 0;
        while !flag.load(SeqCst) && yields < 10 {
            // A whole budget: at least one forced yield per round.
            for _ in 0..128 {
                tandem::task::consume_budget().await;
            }
            yields += 1;
        }
        yields
    };
    let acceptor = async {
        let _ = listener.accept().await.unwrap();
        flag.store(true, SeqCst);
    };
    tandem::join!(spinner, acceptor).0
}

#[test]
fn budget_yield_lets_the_driver_run_first() {
    for multi in [false, true] {
        let rt = if multi {
            Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
        } else {
            Builder::new_current_thread().enable_all().build()
        }
        .unwrap();
        let yields = rt.block_on(rt.spawn(spin_until_accepted())).unwrap();
        assert!(
            yields < 10,
            "multi={multi}: {yields} yields before the accept was seen"
        );
    }
}
