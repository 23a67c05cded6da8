//! The extension traits and the futures they return.

use super::{Interrupting, Narrow, Trickle};
use crate::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt, BufWriter,
    ReadBuf,
};
use futures::executor::block_on;
use std::io::{Cursor, ErrorKind, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

#[test]
fn read_from_a_slice_shortens_it() {
    let mut src: &[u8] = b"hello";
    let mut buf = [0; 3];
    assert_eq!(block_on(src.read(&mut buf)).unwrap(), 3);
    assert_eq!(&buf, b"hel");
    assert_eq!(src, b"lo");
    assert_eq!(block_on(src.read(&mut buf)).unwrap(), 2);
    assert_eq!(block_on(src.read(&mut buf)).unwrap(), 0, "end of file");
}

#[test]
fn read_exact_across_pending_reads() {
    let mut src = Trickle::new(&[b"ab", b"c", b"def"]);
    let mut buf = [0; 5];
    assert_eq!(block_on(src.read_exact(&mut buf)).unwrap(), 5);
    assert_eq!(&buf, b"abcde");
}

#[test]
fn read_exact_fails_with_early_eof() {
    let mut src = Trickle::new(&[b"ab"]);
    let mut buf = [0; 5];
    let err = block_on(src.read_exact(&mut buf)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    assert_eq!(err.to_string(), "early eof");
}

#[test]
fn read_to_end_appends_everything() {
    let mut src = Trickle::new(&[b"one ", b"two ", &[b'x'; 100]]);
    let mut buf = b"zero ".to_vec();
    assert_eq!(block_on(src.read_to_end(&mut buf)).unwrap(), 108);
    assert_eq!(&buf[..13], b"zero one two ");
    assert_eq!(buf.len(), 113);
}

#[test]
fn read_to_string_keeps_dst_on_invalid_utf8() {
    let mut dst = String::from("kept");
    let err = block_on((&b"ok \xff"[..]).read_to_string(&mut dst)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(dst, "kept");
    let n = block_on(Trickle::new(&[b" and ", b"more"]).read_to_string(&mut dst)).unwrap();
    assert_eq!((n, dst.as_str()), (9, "kept and more"));
}

#[test]
fn read_buf_advances_a_buf_mut() {
    let mut src: &[u8] = b"abcdef";
    let mut buf = Vec::with_capacity(4);
    assert_eq!(block_on(src.read_buf(&mut buf)).unwrap(), 4);
    assert_eq!(buf, b"abcd");
    let mut full = [0u8; 0];
    assert_eq!(block_on(src.read_buf(&mut &mut full[..])).unwrap(), 0);
}

#[test]
fn numbers_round_trip_in_both_byte_orders() {
    let mut out = Vec::new();
    block_on(async {
        out.write_u8(1).await.unwrap();
        out.write_i16(-2).await.unwrap();
        out.write_u32_le(3).await.unwrap();
        out.write_i64(-4).await.unwrap();
        out.write_u128_le(5).await.unwrap();
        out.write_f32(1.5).await.unwrap();
        out.write_f64_le(-2.25).await.unwrap();
    });
    assert_eq!(out.len(), 1 + 2 + 4 + 8 + 16 + 4 + 8);
    assert_eq!(&out[..7], &[1, 0xff, 0xfe, 3, 0, 0, 0]);
    let mut chunks: Vec<&[u8]> = out.chunks(3).collect();
    chunks.push(b"");
    let mut src = Trickle::new(&chunks);
    block_on(async {
        assert_eq!(src.read_u8().await.unwrap(), 1);
        assert_eq!(src.read_i16().await.unwrap(), -2);
        assert_eq!(src.read_u32_le().await.unwrap(), 3);
        assert_eq!(src.read_i64().await.unwrap(), -4);
        assert_eq!(src.read_u128_le().await.unwrap(), 5);
        assert_eq!(src.read_f32().await.unwrap(), 1.5);
        assert_eq!(src.read_f64_le().await.unwrap(), -2.25);
        let err = src.read_u16().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    });
}

#[test]
fn write_all_through_a_narrow_writer() {
    let mut dst = Narrow::new(3, 100);
    block_on(dst.write_all(b"hello world")).unwrap();
    assert_eq!(dst.data, b"hello world");
}

#[test]
fn write_all_fails_with_write_zero() {
    let mut dst = Narrow::new(3, 4);
    let err = block_on(dst.write_all(b"hello")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WriteZero);
    assert_eq!(dst.data, b"hell");
    let err = block_on(dst.write_u16(7)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WriteZero);
}

#[test]
fn write_buf_and_write_all_buf_advance_the_buf() {
    let mut dst = Narrow::new(2, 100);
    let mut src: &[u8] = b"abcde";
    assert_eq!(block_on(dst.write_buf(&mut src)).unwrap(), 2);
    assert_eq!(src, b"cde");
    let mut chained = bytes::Buf::chain(&b"xy"[..], &b"z"[..]);
    block_on(dst.write_all_buf(&mut src)).unwrap();
    block_on(dst.write_all_buf(&mut chained)).unwrap();
    assert_eq!(dst.data, b"abcdexyz");
    let mut vectored = Vec::new();
    let mut chained = bytes::Buf::chain(&b"12"[..], &b"34"[..]);
    block_on(vectored.write_all_buf(&mut chained)).unwrap();
    assert_eq!(vectored, b"1234");
}

#[test]
fn write_vectored_to_a_vec_takes_every_slice() {
    let mut dst = Vec::new();
    let bufs = [IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cd")];
    assert!(dst.is_write_vectored());
    assert_eq!(block_on(dst.write_vectored(&bufs)).unwrap(), 4);
    // The default `poll_write_vectored` writes the first non-empty slice only.
    let mut narrow = Narrow::new(10, 10);
    assert!(!narrow.is_write_vectored());
    let bufs = [IoSlice::new(b""), IoSlice::new(b"ef"), IoSlice::new(b"gh")];
    assert_eq!(block_on(narrow.write_vectored(&bufs)).unwrap(), 2);
    assert_eq!(narrow.data, b"ef");
    block_on(async {
        dst.flush().await.unwrap();
        dst.shutdown().await.unwrap();
    });
}

#[test]
fn cursors_read_write_and_seek() {
    let mut cursor = Cursor::new(Vec::new());
    block_on(async {
        cursor.write_all(b"0123456789").await.unwrap();
        assert_eq!(cursor.stream_position().await.unwrap(), 10);
        assert_eq!(cursor.seek(SeekFrom::End(-3)).await.unwrap(), 7);
        let mut rest = String::new();
        cursor.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "789");
        assert_eq!(cursor.rewind().await.unwrap(), 0);
        assert_eq!(cursor.read_u8().await.unwrap(), b'0');
        let err = cursor.seek(SeekFrom::Current(-5)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        cursor.set_position(50);
        assert_eq!(cursor.read(&mut [0; 4]).await.unwrap(), 0, "past the end");
    });
    let mut storage = [0u8; 4];
    let mut fixed = Cursor::new(&mut storage[..]);
    assert_eq!(block_on(fixed.write(b"abcdef")).unwrap(), 4);
}

#[test]
fn pointers_forward_to_the_reader() {
    let mut boxed: Box<dyn AsyncRead + Unpin> = Box::new(&b"boxed"[..]);
    let mut pinned = Box::pin(Trickle::new(&[b"pinned"]));
    let mut out = Vec::new();
    block_on(async {
        boxed.read_to_end(&mut out).await.unwrap();
        pinned.read_to_end(&mut out).await.unwrap();
        (&mut &mut boxed).read_to_end(&mut out).await.unwrap();
    });
    assert_eq!(out, b"boxedpinned");
    let mut writer: Pin<Box<dyn AsyncWrite>> = Box::pin(Vec::new());
    block_on(writer.write_all(b"x")).unwrap();
    assert!(writer.is_write_vectored());
}

#[test]
fn take_stops_at_its_limit() {
    let mut take = Trickle::new(&[b"abc", b"defgh"]).take(5);
    let mut out = Vec::new();
    assert_eq!(block_on(take.read_to_end(&mut out)).unwrap(), 5);
    assert_eq!(out, b"abcde");
    assert_eq!(take.limit(), 0);
    take.set_limit(10);
    let mut rest = String::new();
    block_on(take.read_to_string(&mut rest)).unwrap();
    assert_eq!(rest, "fgh");
    let mut lines = (&b"one\ntwo\nthree"[..]).take(6).lines();
    let first = block_on(lines.next_line()).unwrap();
    let second = block_on(lines.next_line()).unwrap();
    assert_eq!(
        (first.as_deref(), second.as_deref()),
        (Some("one"), Some("tw"))
    );
}

#[test]
fn chain_reads_one_then_the_other() {
    let mut chain = Trickle::new(&[b"ab"]).chain(&b"cd"[..]);
    let mut out = String::new();
    block_on(chain.read_to_string(&mut out)).unwrap();
    assert_eq!(out, "abcd");
    let mut lines = (&b"a\nb"[..]).chain(&b"c\nd\n"[..]).lines();
    let mut seen = Vec::new();
    while let Some(line) = block_on(lines.next_line()).unwrap() {
        seen.push(line);
    }
    assert_eq!(seen, ["a", "bc", "d"]);
}

#[test]
fn lines_strip_lf_and_crlf() {
    let mut lines = Trickle::new(&[b"one\r", b"\ntwo\n\nthree\r\nlast"]).lines();
    let mut seen = Vec::new();
    while let Some(line) = block_on(lines.next_line()).unwrap() {
        seen.push(line);
    }
    assert_eq!(seen, ["one", "two", "", "three", "last"]);
    let mut bad = (&b"fine\n\xff\n"[..]).lines();
    assert_eq!(block_on(bad.next_line()).unwrap().as_deref(), Some("fine"));
    let err = block_on(bad.next_line()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
}

#[test]
fn split_strips_the_delimiter() {
    let mut split = Trickle::new(&[b"a,b", b"b,,c"]).split(b',');
    let mut seen = Vec::new();
    while let Some(segment) = block_on(split.next_segment()).unwrap() {
        seen.push(segment);
    }
    assert_eq!(seen, [&b"a"[..], b"bb", b"", b"c"]);
}

#[test]
fn read_until_and_read_line() {
    let mut src = Trickle::new(&[b"ab", b"c;de\nf", b"g\n"]);
    let mut buf = Vec::new();
    assert_eq!(block_on(src.read_until(b';', &mut buf)).unwrap(), 4);
    assert_eq!(buf, b"abc;");
    let mut line = String::from(">");
    assert_eq!(block_on(src.read_line(&mut line)).unwrap(), 3);
    assert_eq!(block_on(src.read_line(&mut line)).unwrap(), 3);
    assert_eq!(line, ">de\nfg\n");
    assert_eq!(block_on(src.read_line(&mut line)).unwrap(), 0);
    let mut bad: &[u8] = b"\xffx\n";
    let err = block_on(bad.read_line(&mut line)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(
        line, ">de\nfg\n",
        "bytes that are not UTF-8 never reach the string"
    );
}

#[test]
fn fill_buf_then_consume() {
    let mut src = Trickle::new(&[b"abc", b"de"]);
    block_on(async {
        assert_eq!(src.fill_buf().await.unwrap(), b"abc");
        src.consume(2);
        assert_eq!(src.fill_buf().await.unwrap(), b"c");
        AsyncBufReadExt::consume(&mut src, 1);
        assert_eq!(src.fill_buf().await.unwrap(), b"de");
        src.consume(2);
        assert!(src.fill_buf().await.unwrap().is_empty());
    });
}

#[test]
fn looping_reads_retry_interrupted() {
    block_on(async {
        let mut src = Interrupting::new(Trickle::new(&[b"ab", b"cdef", b"gh"]));
        let mut buf = [0; 3];
        assert_eq!(src.read_exact(&mut buf).await.unwrap(), 3);
        assert_eq!(&buf, b"abc");
        assert_eq!(src.read_u16().await.unwrap(), u16::from_be_bytes(*b"de"));
        let mut rest = Vec::new();
        assert_eq!(src.read_to_end(&mut rest).await.unwrap(), 3);
        assert_eq!(rest, b"fgh");

        let mut text = String::new();
        let mut src = Interrupting::new(Trickle::new(&[b"one ", b"two"]));
        assert_eq!(src.read_to_string(&mut text).await.unwrap(), 7);
        assert_eq!(text, "one two");

        let mut src = Interrupting::new(Trickle::new(&[b"a", b"b;c", b"\nd"]));
        let mut until = Vec::new();
        assert_eq!(src.read_until(b';', &mut until).await.unwrap(), 3);
        assert_eq!(until, b"ab;");
        let mut line = String::new();
        assert_eq!(src.read_line(&mut line).await.unwrap(), 2);
        assert_eq!(line, "c\n");

        // A real error still ends the read.
        let mut short = Interrupting::new(&b"x"[..]);
        let err = short.read_u32().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    });
}

#[test]
fn looping_writes_retry_interrupted() {
    block_on(async {
        let mut dst = Interrupting::new(Narrow::new(2, usize::MAX));
        dst.write_all(b"hello").await.unwrap();
        dst.write_u32(0x0102_0304).await.unwrap();
        let mut chained = bytes::Buf::chain(&b"ab"[..], &b"cd"[..]);
        dst.write_all_buf(&mut chained).await.unwrap();
        assert_eq!(dst.inner.data, b"hello\x01\x02\x03\x04abcd");

        // Over a vectored writer too.
        let mut dst = Interrupting::new(Vec::new());
        let mut chained = bytes::Buf::chain(&b"ab"[..], &b"cd"[..]);
        dst.write_all_buf(&mut chained).await.unwrap();
        assert_eq!(dst.inner, b"abcd");
    });
}

/// Reads `data` in one read, then reports end of file; counts the reads.
struct OneShot {
    data: &'static [u8],
    reads: usize,
}

impl AsyncRead for OneShot {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.reads += 1;
        let n = self.data.len().min(buf.remaining());
        buf.put_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Poll::Ready(Ok(()))
    }
}

#[test]
fn read_to_end_probes_before_growing_a_vector_sized_for_the_input() {
    block_on(async {
        for (len, cap) in [(32, 32), (40, 64), (64, 64), (33, 100)] {
            let data = &[7u8; 100][..len];
            let mut buf = Vec::with_capacity(cap);
            let cap = buf.capacity();
            let mut src = OneShot { data, reads: 0 };
            assert_eq!(src.read_to_end(&mut buf).await.unwrap(), len);
            assert_eq!(buf, data);
            assert_eq!(buf.capacity(), cap, "no growth to find end of file");
        }
        // A vector too small grows by `Vec::reserve`, once to take the rest, and once more
        // for the read that finds end of file.
        let data = &[1u8; 38][..];
        let mut buf = Vec::with_capacity(34);
        let mut src = OneShot { data, reads: 0 };
        src.read_to_end(&mut buf).await.unwrap();
        assert_eq!(buf, data);
        assert_eq!(buf.capacity(), 34 * 4);
    });
}

/// Initializes two bytes past what it fills, and checks it is handed back the initialized
/// bytes it left, as initialized.
struct Initializer {
    left_initialized: usize,
    reads: usize,
}

impl AsyncRead for Initializer {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let unfilled_init = buf.initialized().len() - buf.filled().len();
        assert_eq!(unfilled_init, self.left_initialized, "read {}", self.reads);
        self.reads += 1;
        if self.reads <= 10 {
            buf.initialize_unfilled_to(unfilled_init + 2);
            buf.advance(1);
            self.left_initialized = unfilled_init + 1;
        }
        Poll::Ready(Ok(()))
    }
}

#[test]
fn read_to_end_remembers_initialized_spare_capacity() {
    let mut buf = Vec::with_capacity(64);
    let mut src = Initializer {
        left_initialized: 0,
        reads: 0,
    };
    assert_eq!(block_on(src.read_to_end(&mut buf)).unwrap(), 10);
    assert_eq!(src.reads, 11);
}

#[test]
fn utf8_errors_count_from_the_start_of_the_string() {
    block_on(async {
        let mut text = String::from("abc");
        let err = (&b"d\xff"[..]).read_to_string(&mut text).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        let utf8 = err.into_inner().unwrap();
        let utf8 = utf8.downcast::<std::str::Utf8Error>().unwrap();
        assert_eq!(utf8.valid_up_to(), 4);
        assert_eq!(text, "abc");

        let mut line = String::from("Foo");
        let err = (&b"Hello Wor\xffld.\n"[..])
            .read_line(&mut line)
            .await
            .unwrap_err();
        let utf8 = err.into_inner().unwrap();
        let utf8 = utf8.downcast::<std::str::Utf8Error>().unwrap();
        assert_eq!(utf8.valid_up_to(), 12);
        assert_eq!(line, "Foo");
    });
}

/// A vectored writer that panics on a plain write; takes every slice.
struct VectoredOnly(Vec<u8>);

impl AsyncWrite for VectoredOnly {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        _buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        panic!("a vectored writer was written one slice at a time")
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let before = self.0.len();
        bufs.iter().for_each(|b| self.0.extend_from_slice(b));
        Poll::Ready(Ok(self.0.len() - before))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn buf_writes_gather_slices_for_a_vectored_writer() {
    block_on(async {
        let mut dst = VectoredOnly(Vec::new());
        let mut buf = bytes::Buf::chain(&b"hello"[..], &b" world"[..]);
        assert_eq!(dst.write_buf(&mut buf).await.unwrap(), 11);
        assert_eq!(dst.0, b"hello world");
    });
}

#[test]
fn buf_writer_buffers_whole_slices_over_a_plain_writer() {
    block_on(async {
        let msg = b"foo bar baz";
        let slices = [
            IoSlice::new(&msg[..4]),
            IoSlice::new(&msg[4..8]),
            IoSlice::new(&msg[8..]),
        ];
        let mut dst = BufWriter::with_capacity(8, Narrow::new(4, usize::MAX));
        assert_eq!(dst.write_vectored(&slices).await.unwrap(), 8);
        assert_eq!(dst.buffer(), &msg[..8]);
        assert_eq!(dst.write_vectored(&slices[2..]).await.unwrap(), 3);
        assert_eq!(dst.get_ref().data, &msg[..8]);
        assert_eq!(dst.buffer(), &msg[8..]);
    });
}
