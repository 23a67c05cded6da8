//! Positional I/O with owned buffers (`pread(2)`/`pwrite(2)`): `read_at`, `write_at` and their
//! "all" variants. They take `&self`, ignore the internal buffer and never move the file
//! position, so many may run at once on one `File` (shared through an `Arc`).
//!
//! They do not wait for a streaming write in flight: flush first if a range may overlap one.
//! On a file that cannot seek (a FIFO, a socket) they fail with `ESPIPE`, as `pread`/`pwrite`
//! do, on every route (an io_uring read or write with an offset would not refuse one).

use std::io;
use std::sync::Arc;

use super::state::write_zero;
use super::File;
use crate::fs::backend;
use crate::rt::uring::buf::{IoBuf, IoBufMut};

impl File {
    /// Reads at `offset` into `buf`, from its start up to its
    /// [`bytes_total`](IoBuf::bytes_total), and hands the buffer back. `Ok(0)` means end of file
    /// (or an empty buffer). The initialised length of `buf` becomes at least the count read.
    ///
    /// ```
    /// # tandem::runtime::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("tandem-doc-read-at-{}", std::process::id()));
    /// tandem::fs::write(&path, b"0123456789").await?;
    /// let file = tandem::fs::File::open(&path).await?;
    /// let (n, buf) = file.read_at(Vec::with_capacity(4), 3).await;
    /// assert_eq!(&buf[..n?], b"3456");
    /// # tandem::fs::remove_file(&path).await?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn read_at<B: IoBufMut>(&self, buf: B, offset: u64) -> (io::Result<usize>, B) {
        if let Err(e) = self.can_seek() {
            return (Err(e), buf);
        }
        backend::read_into(
            Arc::clone(&self.std),
            buf,
            0,
            Some(offset),
            self.settings.direct_io,
        )
        .await
    }

    /// Writes the initialised bytes of `buf` ([`bytes_init`](IoBuf::bytes_init)) at `offset`,
    /// and hands the buffer back with the count written (possibly fewer).
    pub async fn write_at<B: IoBuf>(&self, buf: B, offset: u64) -> (io::Result<usize>, B) {
        if let Err(e) = self.can_seek() {
            return (Err(e), buf);
        }
        backend::write_from(Arc::clone(&self.std), buf, 0, Some(offset)).await
    }

    /// Fills `buf` up to its [`bytes_total`](IoBuf::bytes_total) from `offset`.
    ///
    /// # Errors
    /// `UnexpectedEof` if the file ends first (the bytes read so far are in the buffer, which
    /// reports them as initialised), or the error of a read.
    pub async fn read_exact_at<B: IoBufMut>(&self, mut buf: B, offset: u64) -> (io::Result<()>, B) {
        if let Err(e) = self.can_seek() {
            return (Err(e), buf);
        }
        let total = buf.bytes_total();
        let mut done = 0;
        while done < total {
            let at = offset.saturating_add(done as u64);
            let direct_io = self.settings.direct_io;
            let (res, back) =
                backend::read_into(Arc::clone(&self.std), buf, done, Some(at), direct_io).await;
            buf = back;
            match res {
                Ok(0) => {
                    let eof =
                        io::Error::new(io::ErrorKind::UnexpectedEof, "failed to fill whole buffer");
                    return (Err(eof), buf);
                }
                Ok(n) => done += n,
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }

    /// Writes all the initialised bytes of `buf` from `offset`.
    ///
    /// ```
    /// # tandem::runtime::Runtime::new().unwrap().block_on(async {
    /// let path = std::env::temp_dir().join(format!("tandem-doc-write-all-at-{}", std::process::id()));
    /// let file = tandem::fs::File::create(&path).await?;
    /// let (res, _buf) = file.write_all_at(b"world".to_vec(), 6).await;
    /// res?;
    /// let (res, _buf) = file.write_all_at("hello ", 0).await;
    /// res?;
    /// assert_eq!(tandem::fs::read(&path).await?, b"hello world");
    /// # tandem::fs::remove_file(&path).await?;
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// `WriteZero` if a write makes no progress, or the error of a write.
    pub async fn write_all_at<B: IoBuf>(&self, mut buf: B, offset: u64) -> (io::Result<()>, B) {
        if let Err(e) = self.can_seek() {
            return (Err(e), buf);
        }
        let len = buf.bytes_init();
        let mut done = 0;
        while done < len {
            let at = offset.saturating_add(done as u64);
            let (res, back) = backend::write_from(Arc::clone(&self.std), buf, done, Some(at)).await;
            buf = back;
            match res {
                Ok(0) => return (Err(write_zero()), buf),
                Ok(n) => done += n,
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }

    /// `ESPIPE`, as `pread`/`pwrite` give, for a file that cannot seek (see `File::seekable`).
    fn can_seek(&self) -> io::Result<()> {
        let seekable = *self.seekable.get_or_init(|| {
            // `lseek(2)` to where it is (moves nothing) fails with `ESPIPE` exactly for the
            // files `pread` refuses. Another error leaves the answer to the call itself.
            let at = io::Seek::stream_position(&mut &*self.std);
            !matches!(at, Err(e) if e.raw_os_error() == Some(libc::ESPIPE))
        });
        match seekable {
            true => Ok(()),
            false => Err(io::Error::from_raw_os_error(libc::ESPIPE)),
        }
    }
}
