//! `pin!`: pins values on the stack.

/// Pins values on the stack: each named variable is shadowed by a `Pin<&mut T>` to its value,
/// which can no longer be moved.
///
/// Two forms: variables already bound, or `let` bindings made and pinned in one step.
///
/// ```
/// async fn ready() -> u32 {
///     7
/// }
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let fut = ready();
/// tandem::pin!(fut);
/// // `fut` is a `Pin<&mut impl Future>`: it can be polled through `&mut`, and again.
/// assert_eq!((&mut fut).await, 7);
///
/// tandem::pin! {
///     let a = ready();
///     let b = ready();
/// }
/// assert_eq!(a.await + b.await, 14);
/// # });
/// ```
#[macro_export]
macro_rules! pin {
    ($($name:ident),* $(,)?) => {
        $(
            #[allow(unused_mut)]
            let mut $name = $crate::macros::support::pin!($name);
        )*
    };
    ($(let $name:ident = $value:expr;)*) => {
        $(
            #[allow(unused_mut)]
            let mut $name = $crate::macros::support::pin!($value);
        )*
    };
}
