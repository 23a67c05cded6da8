//! `try_join!`: `join!` for futures of `Result`, which stops at the first `Err`.

/// Awaits several futures of `Result` concurrently, on the current task: returns `Ok` with
/// the tuple of their `Ok` values once every one has succeeded, or the first `Err` as soon as
/// one fails (the other futures are then dropped).
///
/// Must be used inside an `async` function, block or closure. The error types must all be the
/// same. Evaluation, pinning, fairness and `biased;` are as for [`join!`](crate::join).
///
/// # Examples
///
/// ```
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// async fn parse(s: &str) -> Result<u32, std::num::ParseIntError> {
///     s.parse()
/// }
///
/// assert_eq!(tandem::try_join!(parse("1"), parse("2")), Ok((1, 2)));
/// assert!(tandem::try_join!(parse("1"), parse("x")).is_err());
/// # });
/// ```
#[cfg(feature = "macros")]
#[macro_export]
macro_rules! try_join {
    ($($input:tt)*) => {
        $crate::macros::support::try_join_internal! { ($crate) $($input)* }
    };
}
