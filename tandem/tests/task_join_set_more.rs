//! `JoinSet`'s remaining Tokio API: the `_with_id` joins, `join_all`, `FromIterator`/`Extend`,
//! `spawn_local(_on)` and `spawn_blocking_on`.

use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use tandem::runtime::Runtime;
use tandem::task::{JoinSet, LocalSet};

fn runtime() -> Runtime {
    tandem::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn joins_with_ids_name_the_tasks_that_completed() {
    runtime().block_on(async {
        let mut set = JoinSet::new();
        let mut spawned = HashMap::new();
        for i in 0..5u64 {
            let abort = set.spawn(async move {
                tandem::time::sleep(Duration::from_millis(i)).await;
                i
            });
            spawned.insert(abort.id(), i);
        }
        let failing = set.spawn(std::future::pending());
        let failing_id = failing.id();
        failing.abort();
        let mut seen = 0;
        while let Some(res) = set.join_next_with_id().await {
            match res {
                Ok((id, out)) => {
                    assert_eq!(spawned[&id], out);
                    seen += 1;
                }
                Err(e) => assert_eq!(e.id(), failing_id),
            }
        }
        assert_eq!(seen, 5);

        set.spawn(async { 7 });
        tandem::task::yield_now().await;
        let (id, out) = set.try_join_next_with_id().unwrap().unwrap();
        assert_eq!(out, 7);
        assert_ne!(id, failing_id);
        assert!(set.try_join_next_with_id().is_none());
    });
}

#[test]
fn join_all_collects_in_completion_order_and_resumes_a_panic() {
    let rt = runtime();
    let outputs = rt.block_on(async {
        let set: JoinSet<u64> = [30u64, 10, 20]
            .into_iter()
            .map(|ms| async move {
                tandem::time::sleep(Duration::from_millis(ms)).await;
                ms
            })
            .collect();
        set.join_all().await
    });
    assert_eq!(outputs, [10, 20, 30]);

    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let mut set = JoinSet::new();
            set.extend([Box::pin(async { 1 })
                as std::pin::Pin<Box<dyn std::future::Future<Output = i32> + Send>>]);
            set.spawn(async { panic!("member failed") });
            set.join_all().await
        })
    }))
    .unwrap_err();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"member failed"));
}

#[test]
fn spawn_local_members_and_blocking_on_another_handle() {
    let rt = runtime();
    let other = Runtime::new().unwrap();
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let mut set = JoinSet::new();
        let shared = Rc::new(5);
        let in_task = shared.clone();
        set.spawn_local(async move { *in_task + 1 });
        let in_task = shared.clone();
        let idle = LocalSet::new();
        set.spawn_local_on(async move { *in_task + 2 }, &idle);
        // The second went to a set nobody drives: only the first completes...
        assert_eq!(set.join_next().await.unwrap().unwrap(), 6);
        assert_eq!(set.len(), 1);
        // ...until that set is driven.
        assert_eq!(idle.run_until(set.join_next()).await.unwrap().unwrap(), 7);
        // A member whose LocalSet is dropped is cancelled.
        set.spawn_local_on(std::future::pending::<i32>(), &LocalSet::new());
        assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());

        let mut blocking = JoinSet::new();
        blocking.spawn_blocking_on(
            || std::thread::current().name().map(str::to_owned),
            other.handle(),
        );
        let name = blocking.join_next().await.unwrap().unwrap();
        assert!(name.is_some());
    });
}
