//! tokio-rustls 0.26 (rustls with the ring provider) over `tokio::net` TCP: a TLS echo server and
//! clients trusting a self-signed "localhost" certificate made by rcgen at test time, with
//! close_notify shutdowns on both sides.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::on_both_flavours;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::{TlsAcceptor, TlsConnector};

// ring is deprecated in rustls 0.23.48 for lacking post-quantum key exchange, but aws-lc-rs, the
// alternative, needs cmake and a C toolchain to build, which a fresh CI machine lacks.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server config for a fresh self-signed "localhost" certificate, and a client config whose
/// only root is that certificate.
fn configs() -> (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));

    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

/// Echoes every byte of `connections` TLS connections until each peer's close_notify, then
/// closes its side the same way.
async fn echo_server(
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    connections: usize,
) -> usize {
    let mut sessions = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (tcp, _) = listener.accept().await.unwrap();
        let acceptor = acceptor.clone();
        sessions.spawn(async move {
            let mut tls = acceptor.accept(tcp).await.expect("TLS accept");
            let mut buf = vec![0u8; 4096];
            let mut echoed = 0;
            loop {
                let n = tls.read(&mut buf).await.expect("server read");
                if n == 0 {
                    break;
                }
                tls.write_all(&buf[..n]).await.expect("server write");
                echoed += n;
            }
            tls.shutdown().await.expect("server shutdown");
            echoed
        });
    }
    let mut total = 0;
    while let Some(echoed) = sessions.join_next().await {
        total += echoed.unwrap();
    }
    total
}

async fn echo_client(addr: SocketAddr, connector: TlsConnector, id: usize) -> usize {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.expect("TLS connect");
    let (_, session) = tls.get_ref();
    assert!(session.protocol_version().is_some());

    let mut sent = 0;
    for round in 0..5 {
        // Up to 40 KB: several TLS records per message.
        let message: Vec<u8> = (0..(round * 10_000 + 17))
            .map(|i| ((i + id) % 256) as u8)
            .collect();
        tls.write_all(&message).await.unwrap();
        let mut back = vec![0u8; message.len()];
        tls.read_exact(&mut back).await.unwrap();
        assert!(back == message, "client {id} round {round}: echo differs");
        sent += message.len();
    }
    tls.shutdown().await.unwrap();
    // The server's close_notify ends the stream cleanly, with no bytes left over.
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).await.expect("clean TLS close");
    assert!(rest.is_empty());
    sent
}

#[test]
fn tls_echo() {
    on_both_flavours("tokio-rustls tls_echo", || async {
        let (server_config, client_config) = configs();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let clients = 3;
        let server = tokio::spawn(echo_server(
            listener,
            TlsAcceptor::from(server_config),
            clients,
        ));

        let connector = TlsConnector::from(client_config);
        let mut tasks = tokio::task::JoinSet::new();
        for id in 0..clients {
            tasks.spawn(echo_client(addr, connector.clone(), id));
        }
        let mut sent = 0;
        while let Some(result) = tasks.join_next().await {
            sent += result.unwrap();
        }
        assert_eq!(server.await.unwrap(), sent);
    });
}

#[test]
fn untrusted_certificate_is_refused() {
    on_both_flavours("tokio-rustls untrusted_certificate_is_refused", || async {
        let (server_config, _) = configs();
        // A client that trusts a different self-signed certificate.
        let (_, other_client_config) = configs();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = TlsAcceptor::from(server_config);
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            acceptor.accept(tcp).await.is_err()
        });

        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let err = TlsConnector::from(other_client_config)
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .expect_err("an unknown issuer must be refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err:?}");
        assert!(
            server.await.unwrap(),
            "the server saw the handshake fail too"
        );
    });
}
