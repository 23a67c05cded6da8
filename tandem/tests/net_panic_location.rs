//! A socket made without a runtime's I/O driver panics at the caller's line (`#[track_caller]`
//! through every constructor), as Tokio's; so does `signal` and `pipe`. Checked on both runtime
//! flavours built without I/O.

mod support;

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use support::Flavor;
use tandem::runtime::Runtime;

/// The file of the location `f` panicked at (captured by a panic hook), or `None`.
fn panic_file(f: impl FnOnce()) -> Option<String> {
    static HOOK: Mutex<()> = Mutex::new(());
    let _one_at_a_time = HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let file = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&file);
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        *seen.lock().unwrap() = info.location().map(|l| l.file().to_string());
    }));
    let res = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    assert!(res.is_err(), "expected a panic");
    let file = file.lock().unwrap().clone();
    file
}

/// Both flavours, without `enable_io`.
fn runtimes_without_io() -> Vec<Runtime> {
    [Flavor::CURRENT_THREAD, Flavor::MULTI_2]
        .iter()
        .map(|f| {
            let mut b = match f.workers {
                None => tandem::runtime::Builder::new_current_thread(),
                Some(n) => {
                    let mut b = tandem::runtime::Builder::new_multi_thread();
                    b.worker_threads(n);
                    b
                }
            };
            b.enable_time().build().unwrap()
        })
        .collect()
}

#[test]
fn from_std_panics_at_the_caller() {
    for (i, rt) in runtimes_without_io().into_iter().enumerate() {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let std_stream = std::net::TcpStream::connect(addr).unwrap();
        let std_udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let (std_unix, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let (std_dgram, _peer2) = std::os::unix::net::UnixDatagram::pair().unwrap();
        let _guard = rt.enter();
        let here = Some(file!().to_string());
        assert_eq!(
            panic_file(|| drop(tandem::net::TcpListener::from_std(std_listener))),
            here
        );
        assert_eq!(
            panic_file(|| drop(tandem::net::TcpStream::from_std(std_stream))),
            here
        );
        assert_eq!(
            panic_file(|| drop(tandem::net::UdpSocket::from_std(std_udp))),
            here
        );
        assert_eq!(
            panic_file(|| drop(tandem::net::UnixStream::from_std(std_unix))),
            here
        );
        assert_eq!(
            panic_file(|| drop(tandem::net::UnixDatagram::from_std(std_dgram))),
            here
        );
        assert_eq!(panic_file(|| drop(tandem::net::unix::pipe::pipe())), here);
        let socket = tandem::net::UnixSocket::new_stream().unwrap();
        let path = std::env::temp_dir().join(format!(
            "tandem-panic-location-{}-{}.sock",
            std::process::id(),
            i
        ));
        let _ = std::fs::remove_file(&path);
        socket.bind(&path).unwrap();
        assert_eq!(panic_file(|| drop(socket.listen(1))), here);
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn signal_panics_at_the_caller_even_for_a_refused_number() {
    use tandem::signal::unix::{signal, SignalKind};
    for rt in runtimes_without_io() {
        let _guard = rt.enter();
        assert_eq!(
            panic_file(|| drop(signal(SignalKind::from_raw(-1)))),
            Some(file!().to_string())
        );
    }
}
