//! Random 4 KiB reads with `File::read_at` from many tasks: the io_uring fast path.
//!
//! `cargo run --release --example fs_rand_read -- [TASKS] [READS] [auto|off|ring|std]`
//!
//! `ring`: `auto` with `fs_nowait_first(false)`, so that every read goes through the ring even
//! when the page cache holds its data.
//!
//! `std`: blocking `pread` from as many threads as CPUs (at most TASKS), no runtime: the bound
//! the runtime is measured against.

#[path = "support/fs_runtime.rs"]
mod fs_runtime;

use std::sync::Arc;
use std::time::Instant;

const FILE_LEN: u64 = 64 << 20;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let tasks: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let reads: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mode_arg = args.next().unwrap_or_else(|| "auto".into());
    let path =
        std::env::temp_dir().join(format!("tandem-example-rand-read-{}", std::process::id()));
    std::fs::write(&path, vec![5u8; FILE_LEN as usize])?;
    if mode_arg == "std" {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(tasks);
        let file = Arc::new(std::fs::File::open(&path)?);
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..threads {
                let file = file.clone();
                s.spawn(move || {
                    use std::os::unix::fs::FileExt;
                    let mut buf = vec![0u8; 4096];
                    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ t as u64;
                    for _ in 0..reads / threads {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let offset = (x % (FILE_LEN / 4096)) * 4096;
                        file.read_at(&mut buf, offset).unwrap();
                    }
                });
            }
        });
        let elapsed = start.elapsed();
        println!(
            "std, {threads} threads, {reads} reads in {elapsed:?}: {:.0} reads/s",
            reads as f64 / elapsed.as_secs_f64()
        );
        return std::fs::remove_file(&path);
    }
    let rt = fs_runtime::build(&mode_arg)?;
    let elapsed = rt.block_on(async {
        let file = Arc::new(tandem::fs::File::open(&path).await?);
        let start = Instant::now();
        let mut handles = Vec::new();
        for t in 0..tasks {
            let file = file.clone();
            let per_task = reads / tasks;
            handles.push(tandem::spawn(async move {
                let mut buf = Vec::with_capacity(4096);
                let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ t as u64;
                for _ in 0..per_task {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let offset = (x % (FILE_LEN / 4096)) * 4096;
                    buf.clear();
                    let (res, back) = file.read_at(buf, offset).await;
                    res?;
                    buf = back;
                }
                Ok::<_, std::io::Error>(())
            }));
        }
        for h in handles {
            h.await??;
        }
        Ok::<_, std::io::Error>(start.elapsed())
    })?;
    let stats = rt.handle().metrics().io_uring().total();
    println!(
        "{tasks} tasks, {reads} reads in {elapsed:?}: {:.0} reads/s; {stats:?}",
        reads as f64 / elapsed.as_secs_f64()
    );
    drop(rt);
    std::fs::remove_file(&path)
}
