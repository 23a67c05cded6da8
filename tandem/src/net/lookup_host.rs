//! `lookup_host`: name resolution on the blocking pool.

use super::ToSocketAddrs;
use std::io;
use std::net::SocketAddr;

/// Resolves `host` to the socket addresses it names, as Tokio's `lookup_host`.
///
/// Literal addresses resolve at once; names go through the standard library's resolver
/// (`getaddrinfo`) on the blocking pool.
///
/// # Panics
/// Outside a runtime, when a name has to be looked up.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let addrs: Vec<_> = tandem::net::lookup_host("127.0.0.1:8080").await.unwrap().collect();
/// assert_eq!(addrs, ["127.0.0.1:8080".parse().unwrap()]);
/// # });
/// ```
pub async fn lookup_host<T: ToSocketAddrs>(
    host: T,
) -> io::Result<impl Iterator<Item = SocketAddr>> {
    super::to_socket_addrs(host).await.map(Vec::into_iter)
}
