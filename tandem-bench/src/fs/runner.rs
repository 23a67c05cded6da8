//! The Tokio io_uring contender: a small crate of its own (`tandem-bench/tokio-uring-runner`),
//! built on first use with `--cfg tokio_unstable` into `target/tokio-uring`, so that the rest
//! of the workspace never sees that flag, and run once per sample.

use std::io;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::work::{Sample, Spec};

/// The runner's manifest.
const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tokio-uring-runner/Cargo.toml");

/// The built runner.
#[derive(Debug)]
pub struct Runner {
    exe: PathBuf,
}

/// Builds the runner (a no-op for Cargo when it is up to date) and returns it.
pub fn build() -> Result<Runner, String> {
    let target = crate::harness::target_dir().join("tokio-uring");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .args(["build", "--release", "--quiet", "--manifest-path", MANIFEST])
        .arg("--target-dir")
        .arg(&target)
        .env("RUSTFLAGS", "--cfg tokio_unstable")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", cargo.to_string_lossy()))?;
    if !output.status.success() {
        return Err(format!(
            "building {MANIFEST} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let exe = target.join("release").join("tokio-uring-runner");
    match exe.is_file() {
        true => Ok(Runner { exe }),
        false => Err(format!("{} was not built", exe.display())),
    }
}

impl Runner {
    /// Runs one sample of `spec` in a fresh process.
    pub fn sample(&self, spec: &Spec) -> io::Result<Sample> {
        let output = Command::new(&self.exe)
            .args(spec.to_args())
            .stdin(Stdio::null())
            .output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "the Tokio io_uring runner failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Sample::from_line(stdout.trim()).map_err(io::Error::other)
    }
}
