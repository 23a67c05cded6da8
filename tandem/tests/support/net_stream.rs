//! Helpers of the TCP-over-io_uring tests (`net_uring_recv.rs`, `net_uring_send.rs`):
//! deterministic byte patterns, a connected pair, and running a future on a worker.

use tandem::net::{TcpListener, TcpStream};
use tandem::runtime::Runtime;

/// Runs `fut` as a task: on a worker of a multi-thread runtime (`block_on`'s own thread is not
/// one, and reads and writes there go through the socket, not a ring).
pub fn run<T: Send + 'static>(
    rt: &Runtime,
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    rt.block_on(async move { tandem::spawn(fut).await.unwrap() })
}

/// The flavours the stream-over-io_uring tests run on.
#[allow(dead_code)] // (not every test binary that includes this file uses it)
pub const FLAVORS: [super::support::Flavor; 3] = [
    super::support::Flavor::CURRENT_THREAD,
    super::support::Flavor::MULTI_2,
    super::support::Flavor::MULTI_8,
];

/// A runtime of `flavor` with every driver and stream sockets over io_uring if `net`.
#[allow(dead_code)] // (not every test binary that includes this file uses it)
pub fn runtime(flavor: super::support::Flavor, net: bool) -> Runtime {
    flavor
        .builder()
        .net_io_uring(net)
        .build()
        .unwrap_or_else(|e| panic!("[{}] build: {e}", flavor.name))
}

/// A small deterministic generator (xorshift64*).
#[allow(dead_code)] // (not every test binary that includes this file uses it)
pub struct Rng(pub u64);

#[allow(dead_code)] // (not every test binary that includes this file uses it)
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `len` bytes from `seed`, so a misplaced or repeated chunk shows.
#[allow(dead_code)] // (not every test binary that includes this file uses it)
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// A connected loopback pair: (client, accepted).
pub async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tandem::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}
