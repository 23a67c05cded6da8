//! Socket options Tokio 1.54 names on `TcpSocket` and `UdpSocket` (`tclass_v6`, `tos_v4`,
//! `device`), and `TcpSocket`'s descriptor conversions, on every flavour.

mod support;

use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};

use support::each_flavor;
use tandem::net::{TcpSocket, UdpSocket};

#[test]
fn tcp_socket_ip_options() {
    let v4 = TcpSocket::new_v4().unwrap();
    assert_ne!(v4.tos_v4().unwrap(), 96);
    v4.set_tos_v4(96).unwrap();
    assert_eq!(v4.tos_v4().unwrap(), 96);
    #[allow(deprecated)] // Tokio's old names, kept
    {
        v4.set_tos(32).unwrap();
        assert_eq!(v4.tos().unwrap(), 32);
    }
    let v6 = TcpSocket::new_v6().unwrap();
    assert_ne!(v6.tclass_v6().unwrap(), 96);
    v6.set_tclass_v6(96).unwrap();
    assert_eq!(v6.tclass_v6().unwrap(), 96);
    assert_eq!(v4.device().unwrap(), None);
    // Binding to a device needs CAP_NET_RAW; either way the answer is an io::Result.
    match v4.bind_device(Some(b"lo")) {
        Ok(()) => assert_eq!(v4.device().unwrap().as_deref(), Some(&b"lo"[..])),
        Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EPERM)),
    }
    // An IPv6 option on an IPv4 socket is the kernel's error, not a panic.
    assert!(v4.set_tclass_v6(1).is_err());
}

#[test]
fn tcp_socket_fd_conversions() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let listener = tandem::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let socket = TcpSocket::new_v4().unwrap();
            let raw = socket.into_raw_fd();
            // SAFETY: `raw` came from `into_raw_fd` just above; nothing else owns it.
            let socket = unsafe { TcpSocket::from_raw_fd(raw) };
            assert_eq!(socket.as_raw_fd(), raw);
            let fd = OwnedFd::from(socket);
            let socket = TcpSocket::from(fd);
            let stream = socket
                .connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (accepted, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, stream.local_addr().unwrap());
            drop(accepted);
        });
    });
}

#[test]
fn udp_socket_ip_options() {
    each_flavor(|_, rt| {
        rt.block_on(async {
            let v4 = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            v4.set_tos_v4(96).unwrap();
            assert_eq!(v4.tos_v4().unwrap(), 96);
            let v6 = UdpSocket::bind("[::1]:0").await.unwrap();
            v6.set_tclass_v6(96).unwrap();
            assert_eq!(v6.tclass_v6().unwrap(), 96);
            assert_eq!(v4.device().unwrap(), None);
            match v4.bind_device(Some(b"lo")) {
                Ok(()) => assert_eq!(v4.device().unwrap().as_deref(), Some(&b"lo"[..])),
                Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EPERM)),
            }
        });
    });
}
