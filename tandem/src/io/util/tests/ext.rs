//! The extension traits and the futures they return.

use super::{Narrow, Trickle};
use crate::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt,
};
use futures::executor::block_on;
use std::io::{Cursor, ErrorKind, IoSlice, SeekFrom};
use std::pin::Pin;

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
