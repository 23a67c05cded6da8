use super::OnceCell;
use crate::loom::model::model;
use crate::loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Arc;
use loom::thread;

/// Two tasks race to initialise: one function runs, and both see its value.
#[test]
fn one_initializer_runs_and_both_see_its_value() {
    model(|| {
        let cell = Arc::new(OnceCell::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let init = |cell: Arc<OnceCell<usize>>, runs: Arc<AtomicUsize>| {
            move || {
                let value = loom::future::block_on(
                    cell.get_or_init(|| async { runs.fetch_add(1, SeqCst) + 10 }),
                );
                *value
            }
        };
        let other = thread::spawn(init(cell.clone(), runs.clone()));
        let mine = init(cell.clone(), runs.clone())();
        assert_eq!(other.join().unwrap(), mine);
        assert_eq!(runs.load(SeqCst), 1);
    });
}

/// `set` on one thread and `get_or_init` on another: exactly one value wins, and a waiting
/// initializer is woken by the `set`.
#[test]
fn set_races_get_or_init() {
    model(|| {
        let cell = Arc::new(OnceCell::new());
        let setter = {
            let cell = cell.clone();
            thread::spawn(move || cell.set(1).is_ok())
        };
        let got = *loom::future::block_on(cell.get_or_init(|| async { 2 }));
        let set = setter.join().unwrap();
        assert_eq!(got, if set { 1 } else { 2 });
    });
}
