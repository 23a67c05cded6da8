//! `task_local!`: a value that travels with a future, on every flavour.
//!
//! Proves:
//!   * inside `scope` the value is there for `get`/`with`/`try_with`, across awaits and worker
//!     migrations, and only for that future: another task, and the code outside, see none;
//!   * nested scopes of one key shadow and restore the outer value;
//!   * the value is there while the inner future is dropped: at completion and at abort;
//!   * `take_value` takes it out (then the inner future runs without it);
//!   * `sync_scope` sets it for a closure; the panics carry Tokio's messages: `with` outside a
//!     scope, entering a scope inside `with` on the same key, polling after completion.

mod support;

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use support::{each_flavor, panic_message, Flavor};
use tandem::runtime::Runtime;
use tandem::sync::oneshot;

tandem::task_local! {
    static ID: u32;
    pub static NAME: String
}

fn block_on<F: Future>(f: F) -> F::Output {
    Flavor::CURRENT_THREAD.build().block_on(f)
}

fn catch_panic(f: impl FnOnce()) -> String {
    let payload = panic::catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    panic_message(&*payload)
}

fn values_follow_their_tasks(flavor: Flavor, rt: Runtime) {
    rt.block_on(async {
        let tasks: Vec<_> = (0..16u32)
            .map(|i| {
                tandem::spawn(ID.scope(i, async move {
                    for _ in 0..20 {
                        assert_eq!(ID.get(), i);
                        tandem::task::yield_now().await;
                    }
                    tandem::time::sleep(Duration::from_millis(1)).await;
                    ID.with(|v| *v)
                }))
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap(), i as u32, "[{}]", flavor.name);
        }
        assert!(
            ID.try_get().is_err(),
            "[{}] the runtime's own future has no value",
            flavor.name
        );
    });
}

#[test]
fn values_follow_their_tasks_on_every_flavor() {
    each_flavor(values_follow_their_tasks);
}

#[test]
fn nested_scopes_shadow_and_restore() {
    block_on(async {
        NAME.scope("outer".to_string(), async {
            assert_eq!(NAME.get(), "outer");
            NAME.scope("inner".to_string(), async {
                assert_eq!(NAME.get(), "inner");
                tandem::task::yield_now().await;
                assert_eq!(NAME.get(), "inner");
            })
            .await;
            assert_eq!(NAME.get(), "outer");
        })
        .await;
        assert!(NAME.try_with(|_| ()).is_err());
    });
}

/// Sends the key's value from its destructor.
struct ReportOnDrop(Option<oneshot::Sender<Option<u32>>>);
impl Drop for ReportOnDrop {
    fn drop(&mut self) {
        let _ = self.0.take().unwrap().send(ID.try_get().ok());
    }
}

fn value_is_set_while_the_future_drops(flavor: Flavor, rt: Runtime) {
    rt.block_on(async {
        // At completion.
        let (tx, rx) = oneshot::channel();
        let guard = ReportOnDrop(Some(tx));
        tandem::spawn(ID.scope(7, async move {
            let _guard = guard;
        }))
        .await
        .unwrap();
        assert_eq!(
            rx.await.unwrap(),
            Some(7),
            "[{}] at completion",
            flavor.name
        );

        // At abort.
        let (tx, rx) = oneshot::channel();
        let (started_tx, started_rx) = oneshot::channel();
        let guard = ReportOnDrop(Some(tx));
        let task = tandem::spawn(ID.scope(8, async move {
            let _guard = guard;
            started_tx.send(()).unwrap();
            std::future::pending::<()>().await;
        }));
        started_rx.await.unwrap();
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(rx.await.unwrap(), Some(8), "[{}] at abort", flavor.name);
    });
}

#[test]
fn value_is_set_while_the_future_drops_on_every_flavor() {
    each_flavor(value_is_set_while_the_future_drops);
}

#[test]
fn take_value_leaves_the_future_without_it() {
    block_on(async {
        let mut fut = Box::pin(ID.scope(3, async { ID.try_get() }));
        assert_eq!(fut.as_mut().take_value(), Some(3));
        assert_eq!(fut.as_mut().take_value(), None);
        assert!(fut.await.is_err());
    });
}

#[test]
fn sync_scope_sets_the_value_for_a_closure() {
    let out = ID.sync_scope(11, || {
        let inner = ID.sync_scope(12, || ID.get());
        (ID.get(), inner)
    });
    assert_eq!(out, (11, 12));
    assert!(ID.try_get().is_err());
}

#[test]
fn panics_carry_tokios_messages() {
    assert_eq!(
        catch_panic(|| {
            ID.with(|_| ());
        }),
        "cannot access a task-local storage value without setting it first"
    );
    assert_eq!(
        catch_panic(|| ID.sync_scope(1, || ID.with(|_| ID.sync_scope(2, || ())))),
        "cannot enter a task-local scope while the task-local storage is borrowed"
    );
    assert_eq!(
        catch_panic(|| block_on(async {
            let mut fut = Box::pin(ID.scope(1, async {}));
            (&mut fut).await;
            (&mut fut).await;
        })),
        "`TaskLocalFuture` polled after completion"
    );
}

#[test]
fn access_error_formats() {
    let err = ID.try_get().unwrap_err();
    assert_eq!(err.to_string(), "task-local value not set");
    assert_eq!(format!("{err:?}"), "AccessError");
    let _: &dyn std::error::Error = &err;
    assert_eq!(format!("{:?}", &ID), "LocalKey { .. }");
}
