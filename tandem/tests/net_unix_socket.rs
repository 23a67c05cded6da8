//! `UnixSocket` and the address-taking constructors on every flavour: a bound stream socket
//! listens and another connects, a bound datagram socket becomes a `UnixDatagram`, misuse is an
//! error with Tokio's message, and `UnixListener::bind_addr`/`UnixStream::connect_addr` (and
//! `bind`/`connect` with a leading NUL) reach the abstract namespace.

mod support;

use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use support::each_flavor;
use tandem::io::{AsyncReadExt, AsyncWriteExt};
use tandem::net::unix::SocketAddr;
use tandem::net::{UnixListener, UnixSocket, UnixStream};

fn unique(tag: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "tandem-uds-{}-{tag}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Relaxed)
    )
}

fn socket_path(tag: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("{}.sock", unique(tag)));
    let _ = std::fs::remove_file(&path);
    path
}

async fn ping(mut client: UnixStream, listener: &UnixListener) {
    let (mut server, _) = listener.accept().await.unwrap();
    client.write_all(b"ping").await.unwrap();
    let mut buf = [0; 4];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");
}

#[test]
fn stream_socket_listens_and_connects() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let server_path = socket_path("server");
            let client_path = socket_path("client");
            let server = UnixSocket::new_stream().unwrap();
            server.bind(&server_path).unwrap();
            let listener = server.listen(16).unwrap();

            let client = UnixSocket::new_stream().unwrap();
            client.bind(&client_path).unwrap();
            let stream = client.connect(&server_path).await.unwrap();
            assert_eq!(
                stream.local_addr().unwrap().as_pathname(),
                Some(&*client_path)
            );
            ping(stream, &listener).await;
            let _ = std::fs::remove_file(&server_path);
            let _ = std::fs::remove_file(&client_path);
        });
    });
}

#[test]
fn datagram_socket_becomes_a_unix_datagram() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let server_path = socket_path("dgram");
            let socket = UnixSocket::new_datagram().unwrap();
            socket.bind(&server_path).unwrap();
            let server = socket.datagram().unwrap();
            let client = UnixSocket::new_datagram().unwrap().datagram().unwrap();
            client.connect(&server_path).unwrap();
            client.send(b"hi").await.unwrap();
            let mut buf = [0; 2];
            assert_eq!(server.recv(&mut buf).await.unwrap(), 2);
            let _ = std::fs::remove_file(&server_path);
        });
    });
}

#[test]
fn misuse_is_an_error_with_tokios_message() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let err = UnixSocket::new_datagram()
                .unwrap()
                .connect("/nonexistent")
                .await
                .unwrap_err();
            assert_eq!(
                err.to_string(),
                "connect cannot be called on a datagram socket"
            );
            let err = UnixSocket::new_datagram().unwrap().listen(1).unwrap_err();
            assert_eq!(
                err.to_string(),
                "listen cannot be called on a datagram socket"
            );
            let err = UnixSocket::new_stream().unwrap().datagram().unwrap_err();
            assert_eq!(
                err.to_string(),
                "datagram cannot be called on a stream socket"
            );
            // A bad path is the kernel's error, not a panic.
            let err = UnixSocket::new_stream()
                .unwrap()
                .connect("/nonexistent/tandem.sock")
                .await
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
        });
    });
}

#[test]
fn bind_addr_and_connect_addr() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            // A path.
            let path = socket_path("addr");
            let addr: SocketAddr = std::os::unix::net::SocketAddr::from_pathname(&path)
                .unwrap()
                .into();
            let listener = UnixListener::bind_addr(&addr).unwrap();
            ping(UnixStream::connect_addr(&addr).await.unwrap(), &listener).await;
            let _ = std::fs::remove_file(&path);

            // An abstract name, by address and by a path with a leading NUL.
            let name = unique("abstract");
            let addr: SocketAddr =
                std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                    .unwrap()
                    .into();
            let listener = UnixListener::bind_addr(&addr).unwrap();
            assert_eq!(
                listener.local_addr().unwrap().as_abstract_name(),
                Some(name.as_bytes())
            );
            ping(UnixStream::connect_addr(&addr).await.unwrap(), &listener).await;
            let mut nul_path = vec![0u8];
            nul_path.extend_from_slice(name.as_bytes());
            let nul_path = std::ffi::OsStr::from_bytes(&nul_path);
            ping(UnixStream::connect(nul_path).await.unwrap(), &listener).await;
            drop(listener);
            let listener = UnixListener::bind(nul_path).unwrap();
            ping(UnixStream::connect_addr(&addr).await.unwrap(), &listener).await;

            // An unnamed address names nothing to bind to.
            let (a, _b) = UnixStream::pair().unwrap();
            let unnamed = a.local_addr().unwrap();
            assert!(unnamed.is_unnamed());
            let err = UnixListener::bind_addr(&unnamed).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        });
    });
}
