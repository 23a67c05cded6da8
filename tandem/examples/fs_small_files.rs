//! `fs::read` of many small files from many tasks (the fs suite's `read_small`), for profiling.
//!
//! `cargo run --release --example fs_small_files -- [TASKS] [FILES] [ROUNDS] [auto|off|ring|std]`
//!
//! `ring`: `auto` with `fs_nowait_first(false)`. `std`: `std::fs::read` from as many threads as
//! CPUs (at most TASKS), no runtime. With `SMALL_OP=open_read_close`, each step opens the file,
//! reads 4 KiB through `AsyncRead` and drops it (the suite's `open_read_close`) instead.

#[path = "support/fs_runtime.rs"]
mod fs_runtime;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut number = |default: usize| args.next().and_then(|a| a.parse().ok()).unwrap_or(default);
    let (tasks, files, rounds) = (number(64), number(10_000), number(5));
    let mode_arg = std::env::args().nth(4).unwrap_or_else(|| "auto".into());
    let dir = std::env::temp_dir().join(format!("tandem-example-small-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let paths: Arc<Vec<PathBuf>> = Arc::new((0..files).map(|i| dir.join(i.to_string())).collect());
    for path in paths.iter() {
        std::fs::write(path, [9u8; 4096])?;
        std::fs::read(path)?;
    }
    let total = files * rounds;
    let open_read_close = std::env::var("SMALL_OP").as_deref() == Ok("open_read_close");
    let start = Instant::now();
    if mode_arg == "std" {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(tasks);
        std::thread::scope(|s| {
            for t in 0..threads {
                let paths = &paths;
                s.spawn(move || {
                    for i in (t..total).step_by(threads) {
                        let path = &paths[i % files];
                        if open_read_close {
                            use std::io::Read as _;
                            let mut buf = [0u8; 4096];
                            let n = std::fs::File::open(path).unwrap().read(&mut buf).unwrap();
                            assert_eq!(n, buf.len());
                        } else {
                            std::fs::read(path).unwrap();
                        }
                    }
                });
            }
        });
    } else {
        let rt = fs_runtime::build(&mode_arg)?;
        rt.block_on(async {
            let handles: Vec<_> = (0..tasks)
                .map(|t| {
                    let paths = paths.clone();
                    tandem::spawn(async move {
                        // Contiguous shares, as the fs suite's `read_small`.
                        let per = total / tasks;
                        for i in t * per..(t + 1) * per {
                            let path = &paths[i % files];
                            if open_read_close {
                                use tandem::io::AsyncReadExt as _;
                                let mut buf = [0u8; 4096];
                                let n = tandem::fs::File::open(path).await?.read(&mut buf).await?;
                                assert_eq!(n, buf.len());
                            } else {
                                tandem::fs::read(path).await?;
                            }
                        }
                        Ok::<_, std::io::Error>(())
                    })
                })
                .collect();
            for h in handles {
                h.await??;
            }
            Ok::<_, std::io::Error>(())
        })?;
        println!("{:?}", rt.handle().metrics().io_uring().total());
    }
    let elapsed = start.elapsed();
    println!(
        "{mode_arg}: {tasks} tasks, {total} reads in {elapsed:?}: {:.0} files/s",
        total as f64 / elapsed.as_secs_f64()
    );
    std::fs::remove_dir_all(&dir)
}
