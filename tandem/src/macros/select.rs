//! `select!`: waits on several branches at once and runs the first one that completes.

/// Waits on several futures at once, on the current task, and runs the handler of the first
/// one that completes with an output matching its pattern; the others are dropped.
///
/// Must be used inside an `async` function, block or closure. The syntax, as Tokio's:
///
/// ```text
/// select! {
///     biased;                                             // optional, first
///     <pattern> = <future> (, if <precondition>)? => <handler>,
///     ...
///     else => <expression>                                // optional, last
/// }
/// ```
///
/// A `<future>` is anything that implements `IntoFuture`. A handler that is a block needs no
/// comma after it. Up to 64 branches.
///
/// # What happens, in order
///
/// 1. Every `<precondition>` is evaluated, top to bottom; a `false` one disables its branch
///    for this `select!`.
/// 2. Every `<future>` is evaluated, top to bottom, disabled branches' too (but these are never
///    polled), and pinned on the stack.
/// 3. The futures of the enabled branches are polled concurrently. When one completes, its
///    branch is disabled, and its output is matched against the branch's `<pattern>`: if it
///    matches, every future is dropped, then the `<handler>` runs with the pattern's bindings
///    and its value is the value of `select!`. If it does not, the others are polled on.
/// 4. When every branch is disabled, the `else` expression is evaluated; without one,
///    `select!` panics ("all branches are disabled and there is no else branch").
///
/// The handler runs at the call site: `break`, `continue`, `return`, `?` and `.await` in it
/// act on the enclosing code, and it may use what the futures borrowed.
///
/// # Fairness
///
/// Each time the task polls it, `select!` starts with a randomly chosen branch and goes on in
/// order, wrapping around, so that a branch that is always ready cannot starve the others.
/// With `biased;` it polls the branches top to bottom instead: cheaper, and useful when the
/// order matters (a shutdown signal checked before a busy stream), but then starving the
/// branches below is the caller's business.
///
/// `select!` also takes part in the cooperative budget: if the task has spent its budget,
/// it yields (returns `Pending` and wakes the task) before polling any branch, so a `select!`
/// in a loop over futures that are always ready still lets the other tasks run.
///
/// # Cancellation
///
/// The futures that did not win are dropped before the handler runs. Whatever they had done
/// is lost: in a loop, use futures whose progress survives being dropped (receiving from a
/// channel with `recv`, for example), or create the future once outside the loop and select
/// on `&mut` to it.
///
/// # Examples
///
/// ```
/// use tandem::sync::mpsc;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let (tx1, mut rx1) = mpsc::unbounded_channel::<u32>();
/// let (tx2, mut rx2) = mpsc::unbounded_channel::<u32>();
/// tx1.send(1).unwrap();
/// tx2.send(2).unwrap();
/// drop((tx1, tx2));
///
/// let mut sum = 0;
/// loop {
///     tandem::select! {
///         Some(v) = rx1.recv() => sum += v,
///         Some(v) = rx2.recv() => sum += v,
///         // Both channels are closed and empty: each `None` disabled its branch.
///         else => break,
///     }
/// }
/// assert_eq!(sum, 3);
/// # });
/// ```
///
/// A future created once and selected on by reference keeps its progress across the loop:
///
/// ```
/// use tandem::sync::oneshot;
///
/// # tandem::runtime::Runtime::new().unwrap().block_on(async {
/// let (tx, mut rx) = oneshot::channel();
/// let mut tx = Some(tx);
/// let mut ticks = 0;
/// loop {
///     tandem::select! {
///         biased;
///         msg = &mut rx => {
///             assert_eq!(msg, Ok("stop"));
///             break;
///         }
///         () = tandem::task::yield_now() => {
///             ticks += 1;
///             if ticks == 3 {
///                 tx.take().unwrap().send("stop").unwrap();
///             }
///         }
///     }
/// }
/// assert_eq!(ticks, 3);
/// # });
/// ```
#[cfg(feature = "macros")]
#[macro_export]
macro_rules! select {
    ($($input:tt)*) => {
        $crate::macros::support::select_internal! { ($crate) $($input)* }
    };
}
