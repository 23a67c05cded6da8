//! Writing to a reset or closed peer fails with `ConnectionReset`/`BrokenPipe` and never raises
//! SIGPIPE, on every flavour.
//!
//! Rust's runtime ignores SIGPIPE before `main`, which would hide the bug; so each flavour runs
//! in a child process (this binary, re-run for this one test) that first restores SIGPIPE's
//! default action, which kills the process. A write path that raised the signal would kill the
//! child, and the parent reports the signal.

mod support;

use std::io::{self, IoSlice};

use support::{assert_child_ok, child_role, flavor_named, flavors, run_child};
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::{TcpListener, TcpStream, UnixStream};

const CHILD_ENV: &str = "TANDEM_TEST_SIGPIPE_FLAVOR";
const TEST_NAME: &str = "writes_to_reset_peer_fail_without_sigpipe";
const DONE: &str = "sigpipe scenario complete";

#[test]
fn writes_to_reset_peer_fail_without_sigpipe() {
    if let Some(name) = child_role(CHILD_ENV) {
        child(&name);
        return;
    }
    for flavor in flavors() {
        let out = run_child(TEST_NAME, CHILD_ENV, flavor.name);
        assert_child_ok(flavor.name, &out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(DONE),
            "[{}] the child did not run the scenario:\n{stdout}",
            flavor.name
        );
    }
}

fn is_peer_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

/// A connected client whose peer reset the connection (zero linger, then close), after the
/// client has consumed the reset: its next write is a write to a dead socket (EPIPE), the case
/// that raises SIGPIPE unless the write says `MSG_NOSIGNAL`.
async fn reset_client() -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    server.set_zero_linger().unwrap();
    drop(server);
    let err = client.read(&mut [0; 16]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
    client
}

fn child(flavor: &str) {
    // SAFETY: restoring a signal's default disposition; no handler is involved, and the test
    // harness installs none for SIGPIPE.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
    let rt = flavor_named(flavor).build();
    rt.block_on(async {
        // AsyncWrite::poll_write. (With sends over io_uring, `TANDEM_NET_IO_URING=1`, a write
        // on a worker is taken into the stream's send buffer and its send's error comes with
        // the next write, flush or shutdown: the flush after it.)
        let mut client = reset_client().await;
        let err = match client.write_all(&[7; 1024]).await {
            Ok(()) => client.flush().await.unwrap_err(),
            Err(e) => e,
        };
        assert!(is_peer_gone(&err), "write: {err}");

        // AsyncWrite::poll_write_vectored.
        let mut client = reset_client().await;
        let bufs = [IoSlice::new(b"a"), IoSlice::new(b"b")];
        let err = match client.write_vectored(&bufs).await {
            Ok(_) => client.flush().await.unwrap_err(),
            Err(e) => e,
        };
        assert!(is_peer_gone(&err), "write_vectored: {err}");

        // try_write and try_write_vectored, through the owned write half.
        let client = reset_client().await;
        let (_r, mut w) = client.into_split();
        w.writable().await.unwrap();
        let err = match w.try_write(b"x") {
            Ok(_) => w.flush().await.unwrap_err(),
            Err(e) => e,
        };
        assert!(is_peer_gone(&err), "try_write: {err}");
        let err = match w.try_write_vectored(&bufs) {
            Ok(_) => w.flush().await.unwrap_err(),
            Err(e) => e,
        };
        assert!(is_peer_gone(&err), "try_write_vectored: {err}");

        // A Unix stream whose peer closed. (Over io_uring, as for TCP above, a write may be
        // taken and its send's error come with the flush after it.)
        let (mut a, b) = UnixStream::pair().unwrap();
        drop(b);
        let err = match a.write_all(b"anyone?").await {
            Ok(()) => a.flush().await.unwrap_err(),
            Err(e) => e,
        };
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "unix write: {err}");
        let err = match a.write_vectored(&bufs).await {
            Ok(_) => a.flush().await.unwrap_err(),
            Err(e) => e,
        };
        assert_eq!(
            err.kind(),
            io::ErrorKind::BrokenPipe,
            "unix write_vectored: {err}"
        );
        let err = match a.try_write(b"x") {
            Ok(_) => a.flush().await.unwrap_err(),
            Err(e) => e,
        };
        assert_eq!(
            err.kind(),
            io::ErrorKind::BrokenPipe,
            "unix try_write: {err}"
        );
    });
    println!("{DONE}");
}
