//! `SignalKind`'s conversions to and from the raw number (Tokio's `From<c_int>` both ways and
//! `as_raw_value(&self)`), and that a converted kind listens for the same signal, on every
//! flavour.

mod support;

use std::os::raw::c_int;

use support::each_flavor;
use tandem::signal::unix::{signal, SignalKind};

#[test]
fn conversions_round_trip() {
    let kind = SignalKind::from(libc::SIGUSR2);
    assert_eq!(kind, SignalKind::user_defined2());
    assert_eq!(SignalKind::as_raw_value(&kind), libc::SIGUSR2);
    let raw: c_int = kind.into();
    assert_eq!(raw, libc::SIGUSR2);
    assert_eq!(SignalKind::from(raw), kind);
}

#[test]
fn a_converted_kind_listens() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let mut sig = signal(SignalKind::from(libc::SIGUSR2)).unwrap();
            // SAFETY: a handler for SIGUSR2 is installed (by `signal` above).
            assert_eq!(unsafe { libc::raise(libc::SIGUSR2) }, 0);
            sig.recv().await;
            // A refused number is an error, not a panic, inside a runtime with I/O.
            assert!(signal(SignalKind::from(-1)).is_err());
        });
    });
}
