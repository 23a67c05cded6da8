//! What one sample of the fs suite does, written once for every contender.
//!
//! This file is compiled twice: into `tandem-bench`, and (through `#[path]`) into the Tokio
//! io_uring runner (`tandem-bench/tokio-uring-runner`), which must be built with
//! `--cfg tokio_unstable` and so cannot be part of this workspace. It therefore depends on
//! `std` only, except for the body of [`fs_tasks!`], which names the runtime crate it is
//! given (`tokio` or `tandem`: both have Tokio's `fs` API and `io` traits).
//!
//! A [`Spec`] says what to do (the kind of workload, how many concurrent tasks, how many
//! operations) and where the files are; it travels to the runner as command-line arguments
//! ([`Spec::to_args`], [`Spec::from_args`]), and the runner answers with one [`Sample`] line.

use std::path::PathBuf;
use std::time::Duration;

/// Size of each small file, of each read, and the alignment of the random offsets.
pub const BLOCK: usize = 4096;
/// Size of the file read at random offsets.
pub const BIG_FILE_BYTES: u64 = 256 << 20;

/// What a sample does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `fs::read` of `ops` distinct 4 KiB files.
    ReadSmall,
    /// `fs::write` of `ops` distinct 4 KiB files (truncating the previous round's).
    WriteSmall,
    /// Open one file, read 4 KiB, close it; `ops` times.
    OpenReadClose,
    /// `File::read_at` (pread) of 4 KiB at `ops` random offsets of the big file; every task
    /// shares one `File` (Tandem and std only: Tokio has no `read_at`).
    RandReadAt,
    /// `seek` + `read` of 4 KiB at `ops` random offsets of the big file; one `File` per task.
    RandReadSeek,
}

impl Kind {
    #[allow(dead_code)] // Used by the runner.
    const ALL: [Kind; 5] = [
        Kind::ReadSmall,
        Kind::WriteSmall,
        Kind::OpenReadClose,
        Kind::RandReadAt,
        Kind::RandReadSeek,
    ];

    /// The name used on the runner's command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ReadSmall => "read_small",
            Kind::WriteSmall => "write_small",
            Kind::OpenReadClose => "open_read_close",
            Kind::RandReadAt => "rand_read_at",
            Kind::RandReadSeek => "rand_read_seek",
        }
    }
}

/// One sample's work, and where its files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// What to do.
    pub kind: Kind,
    /// Concurrent tasks (or threads, for std).
    pub tasks: usize,
    /// Operations in all: files read or written, opens, random reads.
    pub ops: usize,
    /// The directory holding `small/`, `write/` and `big`.
    pub dir: PathBuf,
    /// Seed of the random offsets.
    pub seed: u64,
}

impl Spec {
    /// The `i`th small file to read.
    pub fn small(&self, i: usize) -> PathBuf {
        self.dir.join("small").join(i.to_string())
    }

    /// The `i`th small file to write.
    pub fn written(&self, i: usize) -> PathBuf {
        self.dir.join("write").join(i.to_string())
    }

    /// The file read at random offsets.
    pub fn big(&self) -> PathBuf {
        self.dir.join("big")
    }

    /// The same work, a tenth of it (at least one operation per task): the warm-up that
    /// precedes every measured sample in the same runtime.
    pub fn warm_up(&self) -> Spec {
        Spec {
            ops: (self.ops / 10).max(self.tasks).min(self.ops),
            ..self.clone()
        }
    }

    /// The random offsets, 4 KiB aligned, in the order they are read: the same sequence for
    /// every contender (xorshift64*, seeded).
    pub fn offsets(&self) -> Vec<u64> {
        let blocks = BIG_FILE_BYTES / BLOCK as u64;
        let mut x = self.seed | 1;
        (0..self.ops)
            .map(|_| {
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) % blocks * BLOCK as u64
            })
            .collect()
    }

    /// The runner's command line: `KIND TASKS OPS SEED DIR`.
    pub fn to_args(&self) -> Vec<String> {
        vec![
            self.kind.name().to_string(),
            self.tasks.to_string(),
            self.ops.to_string(),
            self.seed.to_string(),
            self.dir.display().to_string(),
        ]
    }

    /// Parses [`Spec::to_args`].
    #[allow(dead_code)] // Used by the runner.
    pub fn from_args(args: &[String]) -> Result<Spec, String> {
        let [kind, tasks, ops, seed, dir] = args else {
            return Err(format!("expected KIND TASKS OPS SEED DIR, got {args:?}"));
        };
        let number = |s: &str| s.parse::<u64>().map_err(|e| format!("{s:?}: {e}"));
        Ok(Spec {
            kind: Kind::ALL
                .into_iter()
                .find(|k| k.name() == kind)
                .ok_or_else(|| format!("unknown workload {kind:?}"))?,
            tasks: number(tasks)?.max(1) as usize,
            ops: number(ops)? as usize,
            seed: number(seed)?,
            dir: PathBuf::from(dir),
        })
    }
}

/// The share of `0..total` that worker `w` of `workers` takes: `w`, `w + workers`, ...
pub fn share(total: usize, workers: usize, w: usize) -> impl Iterator<Item = usize> {
    (w..total).step_by(workers)
}

/// One measured sample: the operations done, the bytes moved, the time taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Operations completed.
    pub ops: u64,
    /// Bytes read or written (a check that the work was really done).
    pub bytes: u64,
    /// Wall time of the measured run.
    pub elapsed: Duration,
}

impl Sample {
    /// The runner's answer: `ops=N bytes=B ns=T`.
    #[allow(dead_code)] // Used by the runner.
    pub fn to_line(self) -> String {
        format!(
            "ops={} bytes={} ns={}",
            self.ops,
            self.bytes,
            self.elapsed.as_nanos()
        )
    }

    /// Parses [`Sample::to_line`].
    pub fn from_line(line: &str) -> Result<Sample, String> {
        let mut fields = [None; 3];
        for part in line.split_whitespace() {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let slot = ["ops", "bytes", "ns"].iter().position(|k| *k == key);
            if let (Some(i), Ok(v)) = (slot, value.parse::<u64>()) {
                fields[i] = Some(v);
            }
        }
        match fields {
            [Some(ops), Some(bytes), Some(ns)] => Ok(Sample {
                ops,
                bytes,
                elapsed: Duration::from_nanos(ns),
            }),
            _ => Err(format!("not a sample line: {line:?}")),
        }
    }
}

/// Defines a module `tasks` with `async fn run(spec, offsets) -> io::Result<u64>` (bytes
/// moved) for the runtime crate `$krate`, with Tokio's `fs` API: `fs_tasks!(tokio)`, or
/// `fs_tasks!(tandem, read_at)` for a runtime whose `File` also has
/// `read_at(buf, offset) -> (io::Result<usize>, buf)`.
/// Without `read_at`, [`Kind::RandReadAt`] is refused. Expects `fs_tasks`, `Spec`, `Kind`,
/// `share` and `BLOCK` imported at the call site.
macro_rules! fs_tasks {
    ($krate:ident, read_at) => {
        pub mod tasks {
            use super::{fs_tasks, share, Kind, Spec};
            fs_tasks!(@common $krate);

            /// `read_at` from every task on one shared `File`.
            async fn rand_read_at(spec: Arc<Spec>, offsets: Arc<Vec<u64>>) -> io::Result<u64> {
                let file = Arc::new($krate::fs::File::open(spec.big()).await?);
                fan_out(spec.tasks, move |t| {
                    let (spec, offsets, file) = (spec.clone(), offsets.clone(), file.clone());
                    async move {
                        let mut buf = Vec::with_capacity(BLOCK);
                        let mut bytes = 0;
                        for i in share(spec.ops, spec.tasks, t) {
                            let (n, back) = file.read_at(buf, offsets[i]).await;
                            buf = back;
                            bytes += n? as u64;
                        }
                        Ok(bytes)
                    }
                })
                .await
            }
        }
    };
    ($krate:ident) => {
        pub mod tasks {
            use super::{fs_tasks, share, Kind, Spec};
            fs_tasks!(@common $krate);

            async fn rand_read_at(_: Arc<Spec>, _: Arc<Vec<u64>>) -> io::Result<u64> {
                Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    concat!(stringify!($krate), "::fs::File has no read_at"),
                ))
            }
        }
    };
    (@common $krate:ident) => {
        use std::future::Future;
        use std::io::{self, SeekFrom};
        use std::sync::Arc;

        use super::BLOCK;
        use $krate::io::{AsyncReadExt as _, AsyncSeekExt as _};

        /// Runs `spec` (`offsets`: its random offsets, or empty) and returns the bytes moved.
        pub async fn run(spec: Arc<Spec>, offsets: Arc<Vec<u64>>) -> io::Result<u64> {
            match spec.kind {
                Kind::ReadSmall => read_small(spec).await,
                Kind::WriteSmall => write_small(spec).await,
                Kind::OpenReadClose => open_read_close(spec).await,
                Kind::RandReadAt => rand_read_at(spec, offsets).await,
                Kind::RandReadSeek => rand_read_seek(spec, offsets).await,
            }
        }

        /// Spawns `task(0..tasks)` and adds up their results.
        async fn fan_out<F, Fut>(tasks: usize, task: F) -> io::Result<u64>
        where
            F: Fn(usize) -> Fut,
            Fut: Future<Output = io::Result<u64>> + Send + 'static,
        {
            let handles: Vec<_> = (0..tasks).map(|t| $krate::spawn(task(t))).collect();
            let mut total = 0;
            for handle in handles {
                total += handle.await.expect("a benchmark task panicked")?;
            }
            Ok(total)
        }

        async fn read_small(spec: Arc<Spec>) -> io::Result<u64> {
            fan_out(spec.tasks, move |t| {
                let spec = spec.clone();
                async move {
                    let mut bytes = 0;
                    for i in share(spec.ops, spec.tasks, t) {
                        bytes += $krate::fs::read(spec.small(i)).await?.len() as u64;
                    }
                    Ok(bytes)
                }
            })
            .await
        }

        async fn write_small(spec: Arc<Spec>) -> io::Result<u64> {
            let data: Arc<[u8]> = vec![b'w'; BLOCK].into();
            fan_out(spec.tasks, move |t| {
                let (spec, data) = (spec.clone(), data.clone());
                async move {
                    let mut bytes = 0;
                    for i in share(spec.ops, spec.tasks, t) {
                        $krate::fs::write(spec.written(i), &data[..]).await?;
                        bytes += data.len() as u64;
                    }
                    Ok(bytes)
                }
            })
            .await
        }

        async fn open_read_close(spec: Arc<Spec>) -> io::Result<u64> {
            fan_out(spec.tasks, move |t| {
                let spec = spec.clone();
                async move {
                    let path = spec.small(0);
                    let mut buf = vec![0; BLOCK];
                    let mut bytes = 0;
                    for _ in share(spec.ops, spec.tasks, t) {
                        let mut file = $krate::fs::File::open(&path).await?;
                        bytes += file.read(&mut buf).await? as u64;
                        drop(file);
                    }
                    Ok(bytes)
                }
            })
            .await
        }

        /// `seek` + `read`, what a Tokio user writes; one `File` per task.
        async fn rand_read_seek(spec: Arc<Spec>, offsets: Arc<Vec<u64>>) -> io::Result<u64> {
            fan_out(spec.tasks, move |t| {
                let (spec, offsets) = (spec.clone(), offsets.clone());
                async move {
                    let mut file = $krate::fs::File::open(spec.big()).await?;
                    let mut buf = vec![0; BLOCK];
                    let mut bytes = 0;
                    for i in share(spec.ops, spec.tasks, t) {
                        file.seek(SeekFrom::Start(offsets[i])).await?;
                        bytes += file.read(&mut buf).await? as u64;
                    }
                    Ok(bytes)
                }
            })
            .await
        }
    };
}
pub(crate) use fs_tasks;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_samples_round_trip() {
        let spec = Spec {
            kind: Kind::RandReadSeek,
            tasks: 64,
            ops: 1000,
            dir: PathBuf::from("/tmp/x y"),
            seed: 7,
        };
        assert_eq!(Spec::from_args(&spec.to_args()), Ok(spec.clone()));
        assert!(Spec::from_args(&["nope".into()]).is_err());
        let sample = Sample {
            ops: 3,
            bytes: 12288,
            elapsed: Duration::from_nanos(42),
        };
        assert_eq!(Sample::from_line(&sample.to_line()), Ok(sample));
        assert_eq!(spec.warm_up().ops, 100);
    }

    #[test]
    fn offsets_are_aligned_in_range_and_repeatable() {
        let spec = Spec {
            kind: Kind::RandReadAt,
            tasks: 1,
            ops: 10_000,
            dir: PathBuf::new(),
            seed: 1,
        };
        let offsets = spec.offsets();
        assert_eq!(offsets, spec.offsets());
        assert!(offsets
            .iter()
            .all(|&o| o % BLOCK as u64 == 0 && o < BIG_FILE_BYTES));
        let distinct: std::collections::HashSet<_> = offsets.iter().collect();
        assert!(distinct.len() > 9_000, "{}", distinct.len());
        let shares: usize = (0..3).map(|w| share(10, 3, w).count()).sum();
        assert_eq!(shares, 10);
    }
}
