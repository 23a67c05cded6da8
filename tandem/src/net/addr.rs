//! `ToSocketAddrs`: what `bind`, `connect`, `send_to` and `lookup_host` accept.
//!
//! Literal addresses resolve at once; host names are looked up with the standard library's
//! resolver (`getaddrinfo`) on the blocking pool, so a slow DNS server never blocks a worker.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Types that resolve to one or more socket addresses, as Tokio's `ToSocketAddrs`.
///
/// Implemented for [`SocketAddr`] (and its V4/V6 forms), `(IpAddr, u16)` (and the V4/V6 forms),
/// `[SocketAddr]`, `str` and `String` (`"host:port"`), `(&str, u16)` and `(String, u16)`, and
/// references to any of them. Host names are resolved on the blocking pool; literal addresses
/// without any lookup.
///
/// The trait is sealed: its resolution method is not part of the public API.
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// use tandem::net::TcpListener;
///
/// let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let b = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
/// let c = TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
/// # let _ = (a, b, c);
/// # });
/// ```
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    use super::*;

    /// The result of a resolution that needs no lookup, or the name to look up.
    #[allow(unreachable_pub)] // Sealed-trait pattern: nameable by the trait, not by users.
    #[derive(Debug)]
    pub enum Resolved {
        Ready(io::Result<Vec<SocketAddr>>),
        Lookup(Lookup),
    }

    /// A host name to resolve on the blocking pool.
    #[allow(unreachable_pub)] // Sealed-trait pattern, as above.
    #[derive(Debug)]
    pub enum Lookup {
        /// `"host:port"`.
        HostPort(String),
        /// A host and a port given separately.
        Host(String, u16),
    }

    /// The sealed half of [`ToSocketAddrs`](super::ToSocketAddrs).
    #[allow(unreachable_pub)] // Sealed-trait pattern, as above.
    pub trait ToSocketAddrsPriv {
        fn resolve(&self) -> Resolved;
    }
}

use sealed::{Lookup, Resolved, ToSocketAddrsPriv};

impl Lookup {
    fn run(self) -> io::Result<Vec<SocketAddr>> {
        match self {
            Lookup::HostPort(s) => {
                std::net::ToSocketAddrs::to_socket_addrs(&s).map(Iterator::collect)
            }
            Lookup::Host(host, port) => {
                std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
                    .map(Iterator::collect)
            }
        }
    }
}

/// Resolves `addr`, on the blocking pool if it names a host.
pub(crate) async fn to_socket_addrs<T: ToSocketAddrs>(addr: T) -> io::Result<Vec<SocketAddr>> {
    let lookup = match addr.resolve() {
        Resolved::Ready(res) => return res,
        Resolved::Lookup(lookup) => lookup,
    };
    crate::task::spawn_blocking(move || lookup.run())
        .await
        .map_err(io::Error::other)?
}

fn ready(addr: SocketAddr) -> Resolved {
    Resolved::Ready(Ok(vec![addr]))
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrsPriv + ?Sized> ToSocketAddrsPriv for &T {
    fn resolve(&self) -> Resolved {
        (**self).resolve()
    }
}

impl ToSocketAddrs for SocketAddr {}
impl ToSocketAddrsPriv for SocketAddr {
    fn resolve(&self) -> Resolved {
        ready(*self)
    }
}

impl ToSocketAddrs for SocketAddrV4 {}
impl ToSocketAddrsPriv for SocketAddrV4 {
    fn resolve(&self) -> Resolved {
        ready((*self).into())
    }
}

impl ToSocketAddrs for SocketAddrV6 {}
impl ToSocketAddrsPriv for SocketAddrV6 {
    fn resolve(&self) -> Resolved {
        ready((*self).into())
    }
}

impl ToSocketAddrs for (IpAddr, u16) {}
impl ToSocketAddrsPriv for (IpAddr, u16) {
    fn resolve(&self) -> Resolved {
        ready((*self).into())
    }
}

impl ToSocketAddrs for (Ipv4Addr, u16) {}
impl ToSocketAddrsPriv for (Ipv4Addr, u16) {
    fn resolve(&self) -> Resolved {
        ready((*self).into())
    }
}

impl ToSocketAddrs for (Ipv6Addr, u16) {}
impl ToSocketAddrsPriv for (Ipv6Addr, u16) {
    fn resolve(&self) -> Resolved {
        ready((*self).into())
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl ToSocketAddrsPriv for [SocketAddr] {
    fn resolve(&self) -> Resolved {
        Resolved::Ready(Ok(self.to_vec()))
    }
}

impl ToSocketAddrs for str {}
impl ToSocketAddrsPriv for str {
    fn resolve(&self) -> Resolved {
        match self.parse::<SocketAddr>() {
            Ok(addr) => ready(addr),
            Err(_) => Resolved::Lookup(Lookup::HostPort(self.to_owned())),
        }
    }
}

impl ToSocketAddrs for String {}
impl ToSocketAddrsPriv for String {
    fn resolve(&self) -> Resolved {
        self.as_str().resolve()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl ToSocketAddrsPriv for (&str, u16) {
    fn resolve(&self) -> Resolved {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => ready((ip, port).into()),
            Err(_) => Resolved::Lookup(Lookup::Host(host.to_owned(), port)),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl ToSocketAddrsPriv for (String, u16) {
    fn resolve(&self) -> Resolved {
        (self.0.as_str(), self.1).resolve()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(r: Resolved) -> Vec<SocketAddr> {
        match r {
            Resolved::Ready(res) => res.unwrap(),
            Resolved::Lookup(l) => panic!("expected a literal address, got a lookup of {l:?}"),
        }
    }

    #[test]
    fn literals_need_no_lookup() {
        let v4: SocketAddr = "10.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:443".parse().unwrap();
        assert_eq!(literal("10.0.0.1:80".resolve()), [v4]);
        assert_eq!(literal(String::from("[::1]:443").resolve()), [v6]);
        assert_eq!(literal(("10.0.0.1", 80).resolve()), [v4]);
        assert_eq!(literal(("::1".to_string(), 443).resolve()), [v6]);
        assert_eq!(literal((Ipv4Addr::new(10, 0, 0, 1), 80).resolve()), [v4]);
        assert_eq!(literal([v4, v6][..].resolve()), [v4, v6]);
        assert_eq!(literal((&&v4).resolve()), [v4]);
    }

    #[test]
    fn names_are_looked_up() {
        assert!(matches!(
            "localhost:80".resolve(),
            Resolved::Lookup(Lookup::HostPort(_))
        ));
        assert!(matches!(
            ("localhost", 80).resolve(),
            Resolved::Lookup(Lookup::Host(_, 80))
        ));
    }
}
