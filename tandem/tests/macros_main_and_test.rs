//! `#[tandem::main]` and `#[tandem::test]` end to end: the runtime flavour and worker count they
//! build, the arguments they accept, and what they keep of the annotated function.
#![cfg(feature = "macros")]

use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use tandem::runtime::{Handle, RuntimeFlavor};

fn flavor() -> RuntimeFlavor {
    Handle::current().runtime_flavor()
}

/// Spawns `n` tasks that each block their thread until all `n` are running at once (or a
/// deadline passes), and returns the threads they ran on. All `n` can only be running at once if
/// the runtime has at least `n` threads running tasks.
async fn run_concurrently(n: usize) -> Vec<ThreadId> {
    let started = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let started = started.clone();
            tandem::spawn(async move {
                started.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(10);
                while started.load(Ordering::SeqCst) < n {
                    assert!(Instant::now() < deadline, "the {n} tasks never ran at once");
                    thread::yield_now();
                }
                thread::current().id()
            })
        })
        .collect();
    let mut threads = Vec::new();
    for task in tasks {
        threads.push(task.await.unwrap());
    }
    threads
}

/// The default is a current-thread runtime that runs tasks on the test's own thread.
#[tandem::test]
async fn test_defaults_to_current_thread() {
    assert_eq!(flavor(), RuntimeFlavor::CurrentThread);
    let me = thread::current().id();
    let (value, thread) = tandem::spawn(async { (1 + 1, thread::current().id()) })
        .await
        .unwrap();
    assert_eq!(value, 2);
    assert_eq!(thread, me);
}

#[tandem::test(flavor = "current_thread")]
async fn test_explicit_current_thread() {
    assert_eq!(flavor(), RuntimeFlavor::CurrentThread);
    tandem::task::yield_now().await;
}

#[tandem::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_multi_thread_two_workers() {
    assert_eq!(flavor(), RuntimeFlavor::MultiThread);
    let threads = run_concurrently(2).await;
    assert_ne!(threads[0], threads[1]);
}

#[tandem::test(flavor = "multi_thread")]
async fn test_multi_thread_default_workers() {
    assert_eq!(flavor(), RuntimeFlavor::MultiThread);
    let sum = tandem::task::spawn_blocking(|| 20).await.unwrap()
        + tandem::task::spawn(async { 22 }).await.unwrap();
    assert_eq!(sum, 42);
}

#[tandem::test(crate = "tandem")]
async fn test_crate_argument() {
    assert_eq!(flavor(), RuntimeFlavor::CurrentThread);
}

mod reexport {
    pub use tandem as rt;
}

#[tandem::test(
    crate = "crate::reexport::rt",
    flavor = "multi_thread",
    worker_threads = 1
)]
async fn test_crate_argument_through_reexport() {
    assert_eq!(flavor(), RuntimeFlavor::MultiThread);
}

#[tandem::test]
async fn test_returning_result() -> Result<(), Box<dyn Error>> {
    let n: u32 = "42".parse()?;
    assert_eq!(n, 42);
    Ok(())
}

#[tandem::test]
#[should_panic(expected = "attributes are kept")]
async fn test_keeps_other_attributes() {
    panic!("attributes are kept");
}

// `#[tandem::main]` works on any `async fn`, keeping its arguments, visibility and return type.

/// Doc comments are kept too.
#[tandem::main]
async fn main_default() -> RuntimeFlavor {
    flavor()
}

#[tandem::main(flavor = "current_thread")]
pub(crate) async fn main_current_thread(x: u32, s: &str) -> (RuntimeFlavor, String) {
    tandem::task::yield_now().await;
    (flavor(), format!("{s}{x}"))
}

#[tandem::main(worker_threads = 2)]
async fn main_two_workers() -> (RuntimeFlavor, usize) {
    (flavor(), run_concurrently(2).await.len())
}

#[tandem::main]
async fn main_result(fail: bool) -> Result<u32, Box<dyn Error>> {
    if fail {
        return Err("failed".into());
    }
    let n: u32 = "7".parse()?;
    Ok(n)
}

#[test]
fn main_attribute_on_helpers() {
    assert_eq!(main_default(), RuntimeFlavor::MultiThread);
    assert_eq!(
        main_current_thread(1, "a"),
        (RuntimeFlavor::CurrentThread, "a1".to_string())
    );
    assert_eq!(main_two_workers(), (RuntimeFlavor::MultiThread, 2));
    assert_eq!(main_result(false).unwrap(), 7);
    assert_eq!(main_result(true).unwrap_err().to_string(), "failed");
}

/// Each call builds a fresh runtime, so a `main`-style fn can run more than once.
#[test]
fn main_attribute_runs_twice() {
    assert_eq!(main_default(), RuntimeFlavor::MultiThread);
    assert_eq!(main_default(), RuntimeFlavor::MultiThread);
}

#[tandem::test(
    flavor = "multi_thread",
    worker_threads = 1,
    name = "named by the macro"
)]
async fn test_named_runtime() {
    let handle = tandem::runtime::Handle::current();
    assert_eq!(handle.name(), Some("named by the macro"));
}

#[test]
fn builder_names_the_runtime_and_unnamed_has_none() {
    let named = tandem::runtime::Builder::new_current_thread()
        .name("by the builder")
        .build()
        .unwrap();
    assert_eq!(named.handle().name(), Some("by the builder"));
    let unnamed = tandem::runtime::Runtime::new().unwrap();
    assert_eq!(unnamed.handle().name(), None);
}

#[test]
#[should_panic = "runtime name shouldn't be empty"]
fn an_empty_runtime_name_panics_with_tokios_message() {
    tandem::runtime::Builder::new_multi_thread().name("  ");
}
