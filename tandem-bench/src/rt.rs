//! The runtime-specific part of every benchmark: the [`Rt`] trait and its two
//! implementations, [`Tandem`] and [`Tokio`].
//!
//! Workloads are written once, generic over `R: Rt`, and only ever touch a
//! runtime through this trait. Both implementations are thin wrappers that map
//! each method onto the runtime's API of the same name, so what is measured is
//! the runtime and not the wrapper (everything is statically dispatched).
//!
//! Channels are not part of the trait: the scheduler, timer and network suites
//! use `tokio::sync` on both runtimes (it runs on any executor), so that they
//! compare schedulers and drivers with the same channel code on both sides; the
//! `sync` suite compares each runtime's own primitives (`suites/sync.rs`).
//! The I/O traits are each runtime's own (`tandem::io` and `tokio::io` are distinct traits), so
//! the trait reads and writes a stream through [`Rt::tcp_read_exact`] and [`Rt::tcp_write_all`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use std::time::Duration;

/// An async runtime under test, seen through the subset of the Tokio API the
/// benchmarks need.
///
/// There are three ways to spawn, because the benchmarks deliberately take
/// different paths into the scheduler:
/// - [`Rt::spawn`]: `Runtime::spawn`, from a thread outside the runtime;
/// - [`Rt::handle_spawn`]: `Handle::spawn`, likewise from outside;
/// - [`Rt::task_spawn`]: the free function `spawn`, from inside a task.
pub trait Rt: Sized + 'static {
    /// The runtime's name as printed in tables and JSON.
    const NAME: &'static str;

    /// A cloneable handle to the runtime (`runtime::Handle`).
    type Handle: Clone + Send + Sync + 'static;

    /// The runtime's `JoinHandle<T>`; await it with [`Rt::join`].
    type JoinHandle<T: Send + 'static>: Send + 'static;

    /// Builds a multi-threaded runtime with `workers` worker threads and all
    /// drivers enabled.
    fn build(workers: usize) -> Self;

    /// As [`Rt::build`], with TCP over io_uring where the runtime has it (Tandem's
    /// `Builder::net_io_uring(true)`); Tokio has no io_uring networking, and builds as `build`.
    fn build_net_uring(workers: usize) -> Self {
        Self::build(workers)
    }

    /// `Runtime::block_on`: runs `future` to completion on the current thread.
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// `Runtime::handle`.
    fn handle(&self) -> Self::Handle;

    /// `Runtime::spawn`, called from outside the runtime.
    fn spawn<F>(&self, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// `Handle::spawn`, called from outside the runtime.
    fn handle_spawn<F>(handle: &Self::Handle, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// The free function `spawn`, called from inside a task of this runtime.
    fn task_spawn<F>(future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Awaits a task's completion and returns its output.
    ///
    /// # Panics
    ///
    /// If the task panicked or was cancelled: a benchmark cannot continue then.
    fn join<T: Send + 'static>(handle: Self::JoinHandle<T>) -> impl Future<Output = T> + Send;

    /// `task::yield_now`.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// `time::sleep`: the runtime's `Sleep` future (registers at its first poll).
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static;

    /// `time::sleep_until`, with the deadline as a `std::time::Instant`.
    fn sleep_until(deadline: std::time::Instant) -> impl Future<Output = ()> + Send + 'static;

    /// Spawns `n` tasks into the runtime's own `JoinSet` (each yields once and returns its index)
    /// and joins them all; returns the sum of the outputs.
    fn join_set_round(n: usize) -> impl Future<Output = usize> + Send;

    /// `net::TcpListener`.
    type TcpListener: Send + Sync + 'static;

    /// `net::TcpStream`.
    type TcpStream: Unpin + Send + 'static;

    /// `TcpListener::bind`, then `local_addr`.
    fn tcp_bind(
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<(Self::TcpListener, SocketAddr)>> + Send;

    /// `TcpListener::accept` (the stream only).
    fn tcp_accept(
        listener: &Self::TcpListener,
    ) -> impl Future<Output = io::Result<Self::TcpStream>> + Send;

    /// `TcpStream::connect`.
    fn tcp_connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::TcpStream>> + Send;

    /// `TcpStream::set_nodelay`.
    fn tcp_set_nodelay(stream: &Self::TcpStream, nodelay: bool) -> io::Result<()>;

    /// `AsyncReadExt::read_exact` on a stream.
    fn tcp_read_exact<'a>(
        stream: &'a mut Self::TcpStream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;

    /// `AsyncWriteExt::write_all` on a stream.
    fn tcp_write_all<'a>(
        stream: &'a mut Self::TcpStream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;
}

/// The runtime being developed in this workspace.
pub struct Tandem(tandem::runtime::Runtime);

impl Rt for Tandem {
    const NAME: &'static str = "Tandem";

    type Handle = tandem::runtime::Handle;
    type JoinHandle<T: Send + 'static> = tandem::task::JoinHandle<T>;

    fn build(workers: usize) -> Self {
        let rt = tandem::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("failed to build the Tandem runtime");
        Tandem(rt)
    }

    fn build_net_uring(workers: usize) -> Self {
        let rt = tandem::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .net_io_uring(true)
            .enable_all()
            .build()
            .expect("failed to build the Tandem runtime");
        Tandem(rt)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn handle(&self) -> Self::Handle {
        self.0.handle().clone()
    }

    fn spawn<F>(&self, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(future)
    }

    fn handle_spawn<F>(handle: &Self::Handle, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn(future)
    }

    fn task_spawn<F>(future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tandem::spawn(future)
    }

    async fn join<T: Send + 'static>(handle: Self::JoinHandle<T>) -> T {
        handle.await.expect("a Tandem task failed")
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tandem::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        tandem::time::sleep(duration)
    }

    fn sleep_until(deadline: std::time::Instant) -> impl Future<Output = ()> + Send + 'static {
        tandem::time::sleep_until(tandem::time::Instant::from_std(deadline))
    }

    async fn join_set_round(n: usize) -> usize {
        let mut set = tandem::task::JoinSet::new();
        for i in 0..n {
            set.spawn(async move {
                tandem::task::yield_now().await;
                i
            });
        }
        let mut sum = 0;
        while let Some(res) = set.join_next().await {
            sum += res.expect("a Tandem task failed");
        }
        sum
    }

    type TcpListener = tandem::net::TcpListener;
    type TcpStream = tandem::net::TcpStream;

    async fn tcp_bind(addr: SocketAddr) -> io::Result<(Self::TcpListener, SocketAddr)> {
        let listener = tandem::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        Ok((listener, addr))
    }

    async fn tcp_accept(listener: &Self::TcpListener) -> io::Result<Self::TcpStream> {
        Ok(listener.accept().await?.0)
    }

    fn tcp_connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::TcpStream>> + Send {
        tandem::net::TcpStream::connect(addr)
    }

    fn tcp_set_nodelay(stream: &Self::TcpStream, nodelay: bool) -> io::Result<()> {
        stream.set_nodelay(nodelay)
    }

    fn tcp_read_exact<'a>(
        stream: &'a mut Self::TcpStream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        tandem::io::AsyncReadExt::read_exact(stream, buf)
    }

    fn tcp_write_all<'a>(
        stream: &'a mut Self::TcpStream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        tandem::io::AsyncWriteExt::write_all(stream, buf)
    }
}

/// The reference: Tokio's multi-thread scheduler.
pub struct Tokio(tokio::runtime::Runtime);

impl Rt for Tokio {
    const NAME: &'static str = "Tokio";

    type Handle = tokio::runtime::Handle;
    type JoinHandle<T: Send + 'static> = tokio::task::JoinHandle<T>;

    fn build(workers: usize) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("failed to build the Tokio runtime");
        Tokio(rt)
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.block_on(future)
    }

    fn handle(&self) -> Self::Handle {
        self.0.handle().clone()
    }

    fn spawn<F>(&self, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(future)
    }

    fn handle_spawn<F>(handle: &Self::Handle, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn(future)
    }

    fn task_spawn<F>(future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(future)
    }

    async fn join<T: Send + 'static>(handle: Self::JoinHandle<T>) -> T {
        handle.await.expect("a Tokio task failed")
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep(duration)
    }

    fn sleep_until(deadline: std::time::Instant) -> impl Future<Output = ()> + Send + 'static {
        tokio::time::sleep_until(tokio::time::Instant::from_std(deadline))
    }

    async fn join_set_round(n: usize) -> usize {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n {
            set.spawn(async move {
                tokio::task::yield_now().await;
                i
            });
        }
        let mut sum = 0;
        while let Some(res) = set.join_next().await {
            sum += res.expect("a Tokio task failed");
        }
        sum
    }

    type TcpListener = tokio::net::TcpListener;
    type TcpStream = tokio::net::TcpStream;

    async fn tcp_bind(addr: SocketAddr) -> io::Result<(Self::TcpListener, SocketAddr)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        Ok((listener, addr))
    }

    async fn tcp_accept(listener: &Self::TcpListener) -> io::Result<Self::TcpStream> {
        Ok(listener.accept().await?.0)
    }

    fn tcp_connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::TcpStream>> + Send {
        tokio::net::TcpStream::connect(addr)
    }

    fn tcp_set_nodelay(stream: &Self::TcpStream, nodelay: bool) -> io::Result<()> {
        stream.set_nodelay(nodelay)
    }

    fn tcp_read_exact<'a>(
        stream: &'a mut Self::TcpStream,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        tokio::io::AsyncReadExt::read_exact(stream, buf)
    }

    fn tcp_write_all<'a>(
        stream: &'a mut Self::TcpStream,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        tokio::io::AsyncWriteExt::write_all(stream, buf)
    }
}
