//! io_uring submissions are batched: with 64 tasks reading at once on a 2-worker runtime, the
//! workers make fewer than one `io_uring_enter` per four operations (counted by the runtime's
//! own metrics), and every read really went through a ring.

mod support;

use std::sync::Arc;

use tandem::runtime::{Builder, UringMode};

const TASKS: usize = 64;
const READS_PER_TASK: usize = 200;
const FILE_LEN: usize = 1 << 20;

#[test]
fn concurrent_reads_share_enters() {
    if std::env::var("TANDEM_IO_URING").as_deref() == Ok("off") {
        eprintln!("TANDEM_IO_URING=off: nothing to batch");
        return;
    }
    let path = std::env::temp_dir().join(format!("tandem-uring-batching-{}", std::process::id()));
    std::fs::write(&path, vec![7u8; FILE_LEN]).unwrap();
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .io_uring(UringMode::Auto)
        // Every read through the ring, even though the page cache holds the file.
        .fs_nowait_first(false)
        .build()
        .unwrap();
    let stats_before = rt.handle().metrics().io_uring();
    if !stats_before.enabled {
        eprintln!(
            "io_uring unavailable here ({:?}): nothing to batch",
            stats_before.disabled_reason
        );
        std::fs::remove_file(&path).unwrap();
        return;
    }
    let before = stats_before.total();
    let file = Arc::new(rt.block_on(tandem::fs::File::open(&path)).unwrap());
    rt.block_on(async {
        let mut tasks = Vec::new();
        for t in 0..TASKS {
            let file = file.clone();
            tasks.push(tandem::spawn(async move {
                let mut buf = Vec::with_capacity(4096);
                for i in 0..READS_PER_TASK {
                    let offset = ((t * 7919 + i * 104_729) % (FILE_LEN / 4096)) as u64 * 4096;
                    buf.clear();
                    let (n, back) = file.read_at(buf, offset).await;
                    assert_eq!(n.unwrap(), 4096);
                    assert!(back.iter().all(|&b| b == 7));
                    buf = back;
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    let after = rt.handle().metrics().io_uring().total();
    let ops = after.completed - before.completed;
    let enters = after.enters - before.enters;
    let reads = (TASKS * READS_PER_TASK) as u64;
    assert!(
        ops >= reads,
        "only {ops} of {reads} reads went through io_uring"
    );
    let ratio = enters as f64 / ops as f64;
    eprintln!("{ops} operations, {enters} io_uring_enter calls: {ratio:.3} per operation");
    assert!(
        ratio < 0.25,
        "{enters} enters for {ops} operations ({ratio:.3} per operation): not batched"
    );
    drop(rt);
    std::fs::remove_file(&path).unwrap();
}
