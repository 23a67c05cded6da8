//! `TaskLocalFuture`'s `Debug` says what Tokio's says: the value itself (it said `Some(5)`),
//! `<missing>` once taken, and nothing more (it ended with `..`).

use std::pin::pin;

tandem::task_local! {
    static KEY: u32;
}

#[test]
fn task_local_future_debug_is_tokios() {
    let fut = KEY.scope(5, async {});
    assert_eq!(format!("{fut:?}"), "TaskLocalFuture { value: 5 }");

    let mut fut = pin!(KEY.scope(6, async {}));
    assert_eq!(fut.as_mut().take_value(), Some(6));
    assert_eq!(format!("{fut:?}"), "TaskLocalFuture { value: <missing> }");
}
