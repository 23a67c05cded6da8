//! With a paused clock, I/O that is ready when the runtime runs out of tasks is handled at the
//! current instant; the clock auto-advances only once nothing is left to do (Tokio's
//! `time_pause::paused_time_*_unix_datagram_and_sleep`).
//!
//! The runtime used to jump the clock to the next timer first and only then collect I/O
//! events, so a task whose datagram was already waiting saw the sleep's 100 ms pass.

#[path = "support/hang_guard.rs"]
mod hang_guard;

use std::time::Duration;
use tandem::net::{UdpSocket, UnixDatagram};
use tandem::runtime::{Builder, Runtime, UringMode};
use tandem::time::{self, Instant};

const HANG: Duration = Duration::from_secs(30);

/// Paused current-thread runtimes on both I/O backends' settings.
fn paused_runtimes() -> impl Iterator<Item = (UringMode, Runtime)> {
    [UringMode::Auto, UringMode::Off].into_iter().map(|mode| {
        let rt = Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .io_uring(mode)
            .build()
            .unwrap();
        (mode, rt)
    })
}

#[test]
fn paused_time_join_unix_datagram_and_sleep() {
    hang_guard::within(HANG, "join_unix_datagram_and_sleep", || {
        for (mode, rt) in paused_runtimes() {
            rt.block_on(async {
                let time = Instant::now();
                let (sock1, sock2) = UnixDatagram::pair().unwrap();
                let mut buf = [0u8; 1];
                tandem::join!(
                    async {
                        sock1.send(&[1u8]).await.unwrap();
                        time::sleep(Duration::from_millis(100)).await;
                    },
                    async {
                        sock2.recv(&mut buf).await.unwrap();
                        assert_eq!(time.elapsed(), Duration::ZERO, "{mode:?}");
                    },
                );
                assert_eq!(time.elapsed(), Duration::from_millis(100), "{mode:?}");
            });
        }
    });
}

#[test]
fn paused_time_spawn_unix_datagram_and_sleep() {
    hang_guard::within(HANG, "spawn_unix_datagram_and_sleep", || {
        for (mode, rt) in paused_runtimes() {
            rt.block_on(async {
                let time = Instant::now();
                let (sock1, sock2) = UnixDatagram::pair().unwrap();
                sock1.send(&[1u8]).await.unwrap();
                let h = tandem::spawn(async move {
                    let mut buf = [0u8; 1];
                    sock2.recv(&mut buf).await.unwrap();
                    assert_eq!(time.elapsed(), Duration::ZERO, "{mode:?}");
                });
                time::sleep(Duration::from_millis(100)).await;
                h.await.unwrap();
                assert_eq!(time.elapsed(), Duration::from_millis(100), "{mode:?}");
            });
        }
    });
}

/// The same with UDP on the loopback, the datagram sent from a plain `std` socket before the
/// receiver first polls: already queued when the runtime runs out of work, it is received at
/// that instant, not an hour later.
#[test]
fn paused_time_udp_datagram_and_sleep() {
    hang_guard::within(HANG, "udp_datagram_and_sleep", || {
        for (mode, rt) in paused_runtimes() {
            rt.block_on(async {
                let time = Instant::now();
                let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                let to = socket.local_addr().unwrap();
                let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                sender.send_to(&[7u8], to).unwrap();
                // On the loopback the datagram is queued before `send_to` returns.
                let mut buf = [0u8; 1];
                tandem::join!(time::sleep(Duration::from_secs(3600)), async {
                    assert_eq!(socket.recv(&mut buf).await.unwrap(), 1);
                    assert_eq!(time.elapsed(), Duration::ZERO, "{mode:?}");
                });
                assert_eq!(time.elapsed(), Duration::from_secs(3600), "{mode:?}");
            });
        }
    });
}
