//! One sample of tandem-bench's fs suite on Tokio with its io_uring backend.
//!
//! `tokio-uring-runner KIND TASKS OPS SEED DIR` builds a multi-thread runtime with 2 workers
//! and io_uring enabled, runs the workload once as a warm-up and once measured, and prints
//! one line, `ops=N bytes=B ns=T` (see `work::Sample`). Exits with status 2 if this binary
//! was built without `--cfg tokio_unstable`, as Tokio would then silently use its blocking
//! pool.

#[path = "../../src/fs/work.rs"]
#[allow(dead_code)]
mod work;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use work::{fs_tasks, share, Kind, Sample, Spec, BLOCK};

fs_tasks!(tokio);
use tasks::run;

/// Worker threads, as for every contender of the suite.
const WORKERS: usize = 2;

fn main() -> ExitCode {
    if !cfg!(tokio_unstable) {
        eprintln!(
            "tokio-uring-runner: built without --cfg tokio_unstable: Tokio cannot use io_uring"
        );
        return ExitCode::from(2);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spec = match Spec::from_args(&args) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("tokio-uring-runner: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(WORKERS).enable_time();
    #[cfg(tokio_unstable)]
    builder.enable_io_uring();
    let rt = builder.build().expect("failed to build the Tokio runtime");

    let offsets = Arc::new(spec.offsets());
    let warm_up = Arc::new(spec.warm_up());
    let spec = Arc::new(spec);
    let measured = rt.block_on(async {
        run(warm_up, offsets.clone()).await?;
        let start = Instant::now();
        let bytes = run(spec.clone(), offsets).await?;
        Ok::<_, std::io::Error>((bytes, start.elapsed()))
    });
    match measured {
        Ok((bytes, elapsed)) => {
            let sample = Sample {
                ops: spec.ops as u64,
                bytes,
                elapsed,
            };
            println!("{}", sample.to_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tokio-uring-runner: {}: {e}", spec.kind.name());
            ExitCode::FAILURE
        }
    }
}
