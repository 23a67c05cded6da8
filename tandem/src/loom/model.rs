//! What every loom model in the crate shares: the model runner (deterministic task ids are
//! `rt::task::id`'s).

use std::cell::Cell;

thread_local! {
    /// Panics raised on this OS thread (loom runs every model thread on the test's thread).
    static PANICS: Cell<usize> = const { Cell::new(0) };
}

/// Runs `f` under loom, failing if any panic happened in an execution, even one caught by the
/// task harness (which would hide a data race loom reports by panicking). Without
/// `LOOM_MAX_PREEMPTIONS` the bound defaults to 2, so a bare `cargo test` stays fast.
pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            prev(info);
        }));
    });
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    let executions = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = executions.clone();
    builder.check(move || {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        PANICS.with(|p| p.set(0));
        f();
        assert_eq!(
            PANICS.with(Cell::get),
            0,
            "a panic was caught inside the runtime"
        );
    });
    let name = std::thread::current().name().unwrap_or("?").to_owned();
    eprintln!(
        "{name}: {} executions",
        executions.load(std::sync::atomic::Ordering::Relaxed)
    );
}
