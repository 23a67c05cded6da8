//! The five contenders, and how each takes one sample.

use std::fs::File;
use std::io::{self, Read as _, Seek as _, SeekFrom};
use std::os::unix::fs::FileExt as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::runner::Runner;
use super::work::{fs_tasks, share, Kind, Sample, Spec, BLOCK};
use tandem::runtime::UringMode as Mode;

/// Worker threads of every runtime.
pub const WORKERS: usize = 2;

/// Who runs a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    /// Tandem, `UringMode::Auto`, the defaults (reads try the page cache first).
    TandemUring,
    /// Tandem, `UringMode::Auto` with `fs_nowait_first(false)`: every read through the ring.
    TandemRing,
    /// Tandem, `UringMode::Off`: its blocking pool.
    TandemOff,
    /// Tokio's default: its blocking pool.
    TokioPool,
    /// Tokio with `--cfg tokio_unstable` and `io-uring`, in the runner process.
    TokioUring,
    /// Blocking `std::fs` on plain threads.
    Std,
}

impl Contender {
    /// Every contender, in the order of the table's columns.
    pub const ALL: [Contender; 6] = [
        Contender::TandemUring,
        Contender::TandemRing,
        Contender::TandemOff,
        Contender::TokioPool,
        Contender::TokioUring,
        Contender::Std,
    ];

    /// The name in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Contender::TandemUring => "tandem_uring",
            Contender::TandemRing => "tandem_ring",
            Contender::TandemOff => "tandem_off",
            Contender::TokioPool => "tokio_pool",
            Contender::TokioUring => "tokio_uring",
            Contender::Std => "std",
        }
    }

    /// The column's title.
    pub fn label(self) -> &'static str {
        match self {
            Contender::TandemUring => "Tandem uring",
            Contender::TandemRing => "Tandem ring",
            Contender::TandemOff => "Tandem off",
            Contender::TokioPool => "Tokio pool",
            Contender::TokioUring => "Tokio uring",
            Contender::Std => "std",
        }
    }

    /// A name for the progress lines.
    pub fn short_label(self) -> &'static str {
        match self {
            Contender::TandemUring => "T-uring",
            Contender::TandemRing => "T-ring",
            Contender::TandemOff => "T-off",
            Contender::TokioPool => "tokio",
            Contender::TokioUring => "tokio-uring",
            Contender::Std => "std",
        }
    }

    /// Whether this is one of Tandem's.
    pub fn is_tandem(self) -> bool {
        matches!(
            self,
            Contender::TandemUring | Contender::TandemRing | Contender::TandemOff
        )
    }

    /// Takes one sample of `spec`; `None` if this contender is not available (the Tokio
    /// io_uring runner could not be built).
    pub fn sample(self, spec: &Spec, runner: Option<&Runner>) -> io::Result<Option<Sample>> {
        match self {
            Contender::TandemUring => tandem_side::sample(spec, Mode::Auto, true).map(Some),
            Contender::TandemRing => tandem_side::sample(spec, Mode::Auto, false).map(Some),
            Contender::TandemOff => tandem_side::sample(spec, Mode::Off, true).map(Some),
            Contender::TokioPool => tokio_pool::sample(spec).map(Some),
            Contender::TokioUring => match runner {
                Some(runner) => runner.sample(spec).map(Some),
                None => Ok(None),
            },
            Contender::Std => std_threads::sample(spec).map(Some),
        }
    }
}

/// Builds the runtime, runs the warm-up, then times `spec`'s work.
fn sample_with<F, Fut>(
    spec: &Spec,
    block_on: impl Fn(Fut) -> io::Result<u64>,
    run: F,
) -> io::Result<Sample>
where
    F: Fn(Arc<Spec>, Arc<Vec<u64>>) -> Fut,
{
    let offsets = Arc::new(spec.offsets());
    block_on(run(Arc::new(spec.warm_up()), offsets.clone()))?;
    let start = Instant::now();
    let bytes = block_on(run(Arc::new(spec.clone()), offsets))?;
    Ok(Sample {
        ops: spec.ops as u64,
        bytes,
        elapsed: start.elapsed(),
    })
}

mod tokio_pool {
    use super::*;

    fs_tasks!(tokio);

    pub fn sample(spec: &Spec) -> io::Result<Sample> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .enable_all()
            .build()?;
        sample_with(spec, |f| rt.block_on(f), tasks::run)
    }
}

mod tandem_side {
    use super::*;

    fs_tasks!(tandem, read_at);

    /// `nowait_first`: `Builder::fs_nowait_first`.
    pub fn sample(spec: &Spec, mode: Mode, nowait_first: bool) -> io::Result<Sample> {
        let rt = tandem::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .io_uring(mode)
            .fs_nowait_first(nowait_first)
            .enable_all()
            .build()?;
        sample_with(spec, |f| rt.block_on(f), tasks::run)
    }
}

/// Blocking `std::fs` on as many threads as cores, or as tasks if fewer.
mod std_threads {
    use super::*;

    pub fn sample(spec: &Spec) -> io::Result<Sample> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = spec.tasks.min(cores);
        let offsets = spec.offsets();
        let file = File::open(spec.big())?;
        let run = |spec: &Spec| -> io::Result<(u64, Duration)> {
            let start = Instant::now();
            let bytes = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let (offsets, file) = (&offsets, &file);
                        scope.spawn(move || work(spec, threads, t, offsets, file))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a benchmark thread panicked"))
                    .sum::<io::Result<u64>>()
            })?;
            Ok((bytes, start.elapsed()))
        };
        run(&spec.warm_up())?;
        let (bytes, elapsed) = run(spec)?;
        Ok(Sample {
            ops: spec.ops as u64,
            bytes,
            elapsed,
        })
    }

    /// Thread `t` of `threads`'s share of `spec`.
    fn work(spec: &Spec, threads: usize, t: usize, offsets: &[u64], big: &File) -> io::Result<u64> {
        let mut buf = vec![0; BLOCK];
        let mut bytes = 0;
        let ours = share(spec.ops, threads, t);
        match spec.kind {
            Kind::ReadSmall => {
                for i in ours {
                    bytes += std::fs::read(spec.small(i))?.len() as u64;
                }
            }
            Kind::WriteSmall => {
                let data = vec![b'w'; BLOCK];
                for i in ours {
                    std::fs::write(spec.written(i), &data)?;
                    bytes += data.len() as u64;
                }
            }
            Kind::OpenReadClose => {
                let path = spec.small(0);
                for _ in ours {
                    bytes += File::open(&path)?.read(&mut buf)? as u64;
                }
            }
            Kind::RandReadAt => {
                for i in ours {
                    bytes += big.read_at(&mut buf, offsets[i])? as u64;
                }
            }
            Kind::RandReadSeek => {
                let mut file = File::open(spec.big())?;
                for i in ours {
                    file.seek(SeekFrom::Start(offsets[i]))?;
                    bytes += file.read(&mut buf)? as u64;
                }
            }
        }
        Ok(bytes)
    }
}
