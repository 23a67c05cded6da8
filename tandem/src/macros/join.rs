//! `join!`: awaits several futures concurrently, on the current task.

/// Awaits several futures concurrently, on the current task, and returns the tuple of their
/// outputs once every one has completed.
///
/// Must be used inside an `async` function, block or closure. Each argument is anything that
/// implements `IntoFuture`; they are evaluated top to bottom and pinned on the stack. With
/// `Result` outputs, `join!` still waits for every future; [`try_join!`](crate::try_join)
/// stops at the first `Err`.
///
/// The futures run concurrently but not in parallel: they share the task, so one that blocks
/// the thread blocks them all. For parallelism, spawn them and join their `JoinHandle`s.
///
/// # Fairness
///
/// Each time the task polls it, `join!` starts with the future after the one it started with
/// last time (wrapping around), so a future that spends the task's whole cooperative budget
/// at every poll cannot starve the ones after it. With `biased;` first, it polls them top to
/// bottom every time.
///
/// # Examples
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// async fn double(x: u32) -> u32 {
///     tandem::task::yield_now().await;
///     x * 2
/// }
///
/// let (a, b) = tandem::join!(double(1), double(2));
/// assert_eq!((a, b), (2, 4));
///
/// let (a, b) = tandem::join!(biased; double(3), async { "done" });
/// assert_eq!((a, b), (6, "done"));
/// # });
/// ```
#[cfg(feature = "macros")]
#[macro_export]
macro_rules! join {
    ($($input:tt)*) => {
        $crate::macros::support::join_internal! { ($crate) $($input)* }
    };
}
