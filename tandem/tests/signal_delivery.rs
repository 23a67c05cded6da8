//! Signals reach tasks on every flavour.
//!
//! Proves that a `Signal` created with `tandem::signal::unix::signal` completes `recv` after the
//! process raises that signal (delivered through the reactor's signal pipe), that `ctrl_c()`
//! completes on SIGINT, that signals which cannot be handled are refused with an error, and
//! that two runtimes alive at once both see a delivery.

mod support;

use support::each_flavor;
use tandem::signal::unix::{signal, SignalKind};

fn raise(signum: i32) {
    // SAFETY: raising a signal for which a handler is installed is sound.
    let rc = unsafe { libc::raise(signum) };
    assert_eq!(rc, 0, "raise({signum}) failed");
}

#[test]
fn sigusr1_reaches_a_listening_task_on_every_flavor() {
    each_flavor(|flavor, rt| {
        let delivered = rt.block_on(async {
            let mut sig = signal(SignalKind::user_defined1()).expect("install SIGUSR1 handler");
            let waiter = tandem::spawn(async move {
                sig.recv().await;
                true
            });
            // The handler is installed before the raise, so the delivery cannot be missed.
            raise(libc::SIGUSR1);
            waiter.await.expect("waiter task failed")
        });
        assert!(delivered, "[{}] SIGUSR1 not delivered", flavor.name);
    });
}

#[test]
fn ctrl_c_completes_on_sigint() {
    let rt = support::Flavor::MULTI_2.build();
    rt.block_on(async {
        // `ctrl_c` starts listening on its first poll, and a signal delivered before a listener
        // exists is not received (as Tokio documents): poll it once before raising.
        let ctrl_c = tandem::signal::ctrl_c();
        tandem::pin!(ctrl_c);
        assert!(futures::poll!(&mut ctrl_c).is_pending());
        raise(libc::SIGINT);
        ctrl_c.await.expect("ctrl_c failed");
    });
}

#[test]
fn unhandleable_signals_are_refused() {
    let rt = support::Flavor::CURRENT_THREAD.build();
    rt.block_on(async {
        // Tokio's kind and words.
        for kind in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, 0, -1] {
            let err = signal(SignalKind::from_raw(kind)).expect_err("must be refused");
            assert_eq!(err.kind(), std::io::ErrorKind::Other, "signal {kind}");
            assert_eq!(
                err.to_string(),
                format!("Refusing to register signal {kind}")
            );
        }
        for kind in [65, 1000] {
            let err = signal(SignalKind::from_raw(kind)).expect_err("must be refused");
            assert_eq!(err.kind(), std::io::ErrorKind::Other, "signal {kind}");
            assert_eq!(err.to_string(), "signal too large");
        }
    });
}

#[test]
fn two_runtimes_both_see_a_delivery() {
    let a = support::Flavor::CURRENT_THREAD.build();
    let b = support::Flavor::MULTI_2.build();
    let mut sig_a = a.block_on(async { signal(SignalKind::user_defined2()).unwrap() });
    let mut sig_b = b.block_on(async { signal(SignalKind::user_defined2()).unwrap() });
    let waiter_b = b.spawn(async move { sig_b.recv().await });
    raise(libc::SIGUSR2);
    a.block_on(async { sig_a.recv().await });
    b.block_on(waiter_b).unwrap();
}
