//! A write `File` accepted (its `write_all` returned `Ok`, no flush) reaches the file even when
//! the runtime ends right after, by any of its three ways, as Tokio's does (it runs the write as
//! a blocking job that runs even during shutdown). Before the fix the write was a task the
//! shutdown dropped, often before it had run: the file stayed empty.

#[path = "support/fs.rs"]
mod fs_support;
#[path = "support/hang_guard.rs"]
mod hang_guard;
mod support;

use std::time::{Duration, Instant};
use tandem::io::AsyncWriteExt;
use tandem::runtime::{Builder, Runtime, UringMode};

#[derive(Clone, Copy, Debug)]
enum End {
    Drop,
    ShutdownTimeoutZero,
    ShutdownBackground,
}

fn runtime(workers: Option<usize>, mode: UringMode) -> Runtime {
    let mut builder = match workers {
        None => Builder::new_current_thread(),
        Some(n) => {
            let mut builder = Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
    };
    builder.enable_all().io_uring(mode).build().unwrap()
}

/// Writes 64 KiB through a `File`, ends the runtime by `end`, and waits up to 2 s for the file
/// to hold them all. `Err` says what it held instead.
fn write_then_end(
    dir: &std::path::Path,
    workers: Option<usize>,
    mode: UringMode,
    end: End,
    keep_file: bool,
) -> Result<(), String> {
    let case = format!("workers {workers:?}, {mode:?}, {end:?}, file kept {keep_file}");
    let path = dir.join(case.replace([' ', ',', '(', ')'], "_"));
    let data: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let rt = runtime(workers, mode);
    let kept = rt.block_on({
        let (path, data) = (path.clone(), data.clone());
        async move {
            let mut file = tandem::fs::File::create(&path).await.unwrap();
            file.write_all(&data).await.unwrap();
            keep_file.then_some(file)
        }
    });
    match end {
        End::Drop => drop(rt),
        End::ShutdownTimeoutZero => rt.shutdown_timeout(Duration::ZERO),
        End::ShutdownBackground => rt.shutdown_background(),
    }
    drop(kept);
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let written = std::fs::read(&path).unwrap_or_default();
        if written == data {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{case}: the file holds {} of {} bytes",
                written.len(),
                data.len()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_accepted_write_reaches_the_file_however_the_runtime_ends() {
    hang_guard::within(Duration::from_secs(240), "the cases", || {
        let dir = fs_support::TestDir::new("write_survives_shutdown", "all");
        let mut failures = Vec::new();
        for workers in [None, Some(1), Some(2)] {
            for mode in [UringMode::Auto, UringMode::Off] {
                for end in [End::Drop, End::ShutdownTimeoutZero, End::ShutdownBackground] {
                    for keep_file in [false, true] {
                        if let Err(e) = write_then_end(dir.path(), workers, mode, end, keep_file) {
                            failures.push(e);
                        }
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} cases lost data:\n{}",
            failures.len(),
            failures.join("\n")
        );
    });
}
