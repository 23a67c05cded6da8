//! The files the suite reads and writes: created once, read once so that the page cache is
//! warm, deleted at the end.

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use super::work::{BIG_FILE_BYTES, BLOCK};
use super::Plan;

/// The suite's directory, removed when dropped.
#[derive(Debug)]
pub struct Files {
    /// `target/tandem-bench/fs-data-PID`: `small/0..n`, `write/`, `big`.
    pub dir: PathBuf,
}

impl Files {
    /// Creates every file `plan` needs, and reads them all once.
    pub fn create(plan: &Plan) -> io::Result<Files> {
        let dir = crate::harness::target_dir()
            .join("tandem-bench")
            .join(format!("fs-data-{}", std::process::id()));
        let files = Files { dir };
        fs::create_dir_all(files.dir.join("small"))?;
        fs::create_dir_all(files.dir.join("write"))?;
        let block = vec![b'r'; BLOCK];
        for i in 0..plan.small_files.max(1) {
            fs::write(files.dir.join("small").join(i.to_string()), &block)?;
        }
        let mut big = fs::File::create(files.big())?;
        // Not sparse: every block holds data, distinct per block.
        let mut chunk = vec![0u8; 1 << 20];
        for offset in (0..BIG_FILE_BYTES).step_by(chunk.len()) {
            for (b, block) in chunk.chunks_mut(BLOCK).enumerate() {
                block.fill((offset as usize / BLOCK + b) as u8);
            }
            big.write_all(&chunk)?;
        }
        drop(big);
        // Warm the page cache.
        for i in 0..plan.small_files.max(1) {
            fs::read(files.dir.join("small").join(i.to_string()))?;
        }
        let mut big = fs::File::open(files.big())?;
        while big.read(&mut chunk)? > 0 {}
        Ok(files)
    }

    /// The file read at random offsets.
    pub fn big(&self) -> PathBuf {
        self.dir.join("big")
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        if let Err(e) = remove(&self.dir) {
            eprintln!("warning: cannot remove {}: {e}", self.dir.display());
        }
    }
}

fn remove(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}
