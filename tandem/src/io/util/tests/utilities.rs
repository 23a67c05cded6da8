//! The buffered wrappers, the copies, the pipes, `split` and `join`, and the cooperative budget
//! the always-ready ones spend.

use super::{Interrupting, Narrow, Trickle};
use crate::io::{
    copy, copy_bidirectional, copy_bidirectional_with_sizes, copy_buf, duplex, empty, join, repeat,
    simplex, sink, split, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt,
    BufReader, BufStream, BufWriter, SimplexStream,
};
use futures::executor::block_on;
use std::io::{Cursor, ErrorKind, SeekFrom};
use std::pin::pin;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: std::future::Future>(future: F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    pin!(future).poll(&mut cx)
}

#[test]
fn buf_reader_reads_in_blocks_of_its_capacity() {
    let mut reader = BufReader::with_capacity(4, &b"abcdefghij"[..]);
    block_on(async {
        assert_eq!(reader.fill_buf().await.unwrap(), b"abcd");
        reader.consume(1);
        assert_eq!(reader.buffer(), b"bcd");
        let mut small = [0; 2];
        reader.read_exact(&mut small).await.unwrap();
        assert_eq!(&small, b"bc");
        assert_eq!(reader.buffer(), b"d");
        // A large read is served from the buffer first...
        let mut large = [0; 8];
        assert_eq!(reader.read(&mut large).await.unwrap(), 1);
        // ...and, once the buffer is empty, goes to the inner reader directly.
        assert_eq!(reader.read(&mut large).await.unwrap(), 6);
        assert_eq!(&large[..6], b"efghij");
        assert!(reader.buffer().is_empty());
    });
    assert_eq!(reader.into_inner(), b"");
}

#[test]
#[should_panic(expected = "capacity must be greater than zero")]
fn buf_reader_of_zero_capacity_panics() {
    let _ = BufReader::with_capacity(0, &b""[..]);
}

#[test]
fn buf_reader_seeks_from_the_position_it_returned() {
    let mut reader = BufReader::with_capacity(4, Cursor::new(b"abcdefgh".to_vec()));
    block_on(async {
        assert_eq!(reader.read_u8().await.unwrap(), b'a');
        assert_eq!(reader.get_ref().position(), 4, "the buffer was filled");
        assert_eq!(reader.stream_position().await.unwrap(), 1);
        assert_eq!(reader.seek(SeekFrom::Current(1)).await.unwrap(), 2);
        assert!(reader.buffer().is_empty(), "a seek discards the buffer");
        assert_eq!(reader.read_u8().await.unwrap(), b'c');
        assert_eq!(reader.seek(SeekFrom::End(-1)).await.unwrap(), 7);
        assert_eq!(reader.read_u8().await.unwrap(), b'h');
        // A relative seek whose offset, less the buffer, does not fit in an i64.
        reader.rewind().await.unwrap();
        reader.read_u8().await.unwrap();
        let err = reader.seek(SeekFrom::Current(i64::MIN)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn buf_writer_gathers_writes_smaller_than_its_capacity() {
    let mut writer = BufWriter::with_capacity(4, Vec::new());
    block_on(async {
        writer.write_all(b"ab").await.unwrap();
        assert_eq!(writer.buffer(), b"ab");
        assert!(writer.get_ref().is_empty());
        writer.write_all(b"cde").await.unwrap();
        assert_eq!(writer.get_ref(), b"ab", "full: the buffer went out first");
        assert_eq!(writer.buffer(), b"cde");
        writer.write_all(b"0123456789").await.unwrap();
        assert_eq!(
            writer.get_ref(),
            b"abcde0123456789",
            "large: written directly"
        );
        writer.write_u8(b'!').await.unwrap();
        writer.flush().await.unwrap();
    });
    assert_eq!(writer.into_inner(), b"abcde0123456789!");
}

#[test]
fn buf_writer_flush_through_a_narrow_writer() {
    let mut writer = BufWriter::with_capacity(8, Narrow::new(3, 5));
    block_on(writer.write_all(b"abcdefg")).unwrap();
    let err = block_on(writer.flush()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WriteZero);
    assert_eq!(err.to_string(), "failed to write the buffered data");
    assert_eq!(writer.get_ref().data, b"abcde");
    assert_eq!(writer.buffer(), b"fg", "what was written left the buffer");
}

#[test]
fn buf_stream_over_a_duplex() {
    let (near, mut far) = duplex(64);
    let mut stream = BufStream::new(near);
    block_on(async {
        stream.write_all(b"ping\n").await.unwrap();
        assert!(
            poll_once(far.read_u8()).is_pending(),
            "nothing leaves before a flush"
        );
        stream.flush().await.unwrap();
        let mut line = String::new();
        BufReader::new(&mut far).read_line(&mut line).await.unwrap();
        assert_eq!(line, "ping\n");
        far.write_all(b"pong\n").await.unwrap();
        line.clear();
        stream.read_line(&mut line).await.unwrap();
        assert_eq!(line, "pong\n");
    });
}

#[test]
fn buf_stream_from_either_nesting_keeps_both_buffers() {
    let (near, mut far) = duplex(64);
    block_on(async {
        far.write_all(b"abc").await.unwrap();
        let mut outer = BufWriter::new(BufReader::new(near));
        assert_eq!(outer.read_u8().await.unwrap(), b'a');
        outer.write_all(b"xyz").await.unwrap();
        let mut stream = BufStream::from(outer);
        assert_eq!(
            stream.read_u8().await.unwrap(),
            b'b',
            "the read buffer survived"
        );
        stream.flush().await.unwrap();
        let mut buf = [0; 3];
        far.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"xyz", "the write buffer survived");
        let nested = BufReader::new(BufWriter::new(stream.into_inner()));
        let _ = BufStream::from(nested);
    });
}

#[test]
fn copy_moves_everything_then_flushes() {
    let mut reader = Trickle::new(&[b"abc", b"", b"def"]);
    let mut writer = BufWriter::new(Vec::new());
    assert_eq!(block_on(copy(&mut reader, &mut writer)).unwrap(), 3);
    assert_eq!(
        writer.get_ref(),
        b"abc",
        "end of file at the empty chunk; flushed"
    );
    let mut big = vec![7u8; 100_000];
    let mut narrow = Narrow::new(1000, usize::MAX);
    assert_eq!(block_on(copy(&mut &big[..], &mut narrow)).unwrap(), 100_000);
    assert_eq!(narrow.data, big);
    big.truncate(10);
    let mut buffered = BufReader::with_capacity(3, &big[..]);
    let mut out = Vec::new();
    assert_eq!(block_on(copy_buf(&mut buffered, &mut out)).unwrap(), 10);
}

#[test]
fn copy_fails_with_write_zero() {
    let mut narrow = Narrow::new(2, 3);
    let err = block_on(copy(&mut &b"abcdef"[..], &mut narrow)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WriteZero);
    assert_eq!(err.to_string(), "write zero byte into writer");
    let err = block_on(copy_buf(&mut &b"abcdef"[..], &mut Narrow::new(2, 3))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WriteZero);
}

#[test]
fn copy_bidirectional_half_closes_each_way() {
    let (mut a, mut client) = duplex(16);
    let (mut b, mut server) = duplex(16);
    let proxy = copy_bidirectional(&mut a, &mut b);
    let client_side = async {
        client.write_all(b"request").await.unwrap();
        client.shutdown().await.unwrap();
        let mut reply = String::new();
        client.read_to_string(&mut reply).await.unwrap();
        reply
    };
    let server_side = async {
        let mut request = String::new();
        // End of file: the proxy shut down its write to the server when the client did.
        server.read_to_string(&mut request).await.unwrap();
        server.write_all(&[b'r'; 40]).await.unwrap();
        server.shutdown().await.unwrap();
        request
    };
    let (copied, reply, request) =
        block_on(async { futures::join!(proxy, client_side, server_side) });
    assert_eq!(copied.unwrap(), (7, 40));
    assert_eq!(request, "request");
    assert_eq!(reply.len(), 40);
}

#[test]
fn copy_bidirectional_stops_at_the_first_error() {
    let (mut a, mut client) = duplex(16);
    let (mut b, server) = duplex(16);
    drop(server);
    let proxy = copy_bidirectional_with_sizes(&mut a, &mut b, 4, 4);
    let client_side = async {
        client.write_all(b"lost").await.unwrap();
    };
    let (copied, ()) = block_on(async { futures::join!(proxy, client_side) });
    assert_eq!(copied.unwrap_err().kind(), ErrorKind::BrokenPipe);
}

#[test]
fn duplex_applies_backpressure_and_closes() {
    let (mut one, mut two) = duplex(4);
    block_on(async {
        assert_eq!(one.write(b"abcdef").await.unwrap(), 4);
        assert!(poll_once(one.write(b"ef")).is_pending(), "full");
        let mut buf = [0; 3];
        assert_eq!(two.read(&mut buf).await.unwrap(), 3);
        assert_eq!(one.write(b"ef").await.unwrap(), 2);
        one.shutdown().await.unwrap();
        let mut rest = Vec::new();
        two.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"def", "buffered bytes are read before end of file");
        two.write_all(b"ok").await.unwrap();
        let mut back = [0; 2];
        one.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"ok", "a shutdown closes one direction only");
    });
    let (one, mut two) = duplex(4);
    drop(one);
    block_on(async {
        assert_eq!(two.read(&mut [0; 4]).await.unwrap(), 0);
        let err = two.write(b"x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    });
}

#[test]
fn duplex_wakes_a_blocked_writer() {
    let (mut one, mut two) = duplex(2);
    let writer = async {
        one.write_all(b"hello world").await.unwrap();
        one.shutdown().await.unwrap();
    };
    let reader = async {
        let mut all = String::new();
        two.read_to_string(&mut all).await.unwrap();
        all
    };
    let ((), all) = block_on(async { futures::join!(writer, reader) });
    assert_eq!(all, "hello world");
}

#[test]
fn simplex_halves_and_unsplit() {
    let (mut rx, mut tx) = simplex(8);
    assert!(rx.is_pair_of(&tx) && tx.is_pair_of(&rx));
    block_on(async {
        tx.write_all(b"one way").await.unwrap();
        let mut buf = [0; 7];
        rx.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"one way");
    });
    let mut whole: SimplexStream = rx.unsplit(tx);
    block_on(async {
        whole.write_all(b"again").await.unwrap();
        whole.shutdown().await.unwrap();
        let mut all = String::new();
        whole.read_to_string(&mut all).await.unwrap();
        assert_eq!(all, "again");
    });
}

#[test]
#[should_panic(expected = "Unrelated `split::Write` passed to `split::Read::unsplit`.")]
fn unsplit_of_unrelated_halves_panics() {
    let (rx, _) = split(SimplexStream::new_unsplit(1));
    let (_, tx) = split(SimplexStream::new_unsplit(1));
    assert!(!rx.is_pair_of(&tx));
    let _ = rx.unsplit(tx);
}

#[test]
fn join_reads_one_and_writes_the_other() {
    let mut joined = join(&b"in"[..], Vec::new());
    block_on(async {
        let mut input = String::new();
        joined.read_to_string(&mut input).await.unwrap();
        assert_eq!(input, "in");
        joined.write_all(b"out").await.unwrap();
        assert!(joined.is_write_vectored());
    });
    let (reader, writer) = joined.into_inner();
    assert_eq!((reader, writer.as_slice()), (&b""[..], &b"out"[..]));
}

#[test]
fn empty_repeat_and_sink() {
    block_on(async {
        let mut out = Vec::new();
        assert_eq!(empty().read_to_end(&mut out).await.unwrap(), 0);
        assert_eq!(empty().write(b"gone").await.unwrap(), 4);
        let mut buf = [0; 3];
        repeat(7).read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, [7, 7, 7]);
        let copied = copy(&mut repeat(1).take(20_000), &mut sink())
            .await
            .unwrap();
        assert_eq!(copied, 20_000);
    });
}

#[test]
fn copy_is_cooperative() {
    let runtime = crate::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let spin = async {
            loop {
                let mut reader: &[u8] = b"hello";
                let mut writer = Vec::new();
                copy(&mut reader, &mut writer).await.unwrap();
            }
        };
        crate::select! {
            biased;
            _ = spin => {}
            _ = crate::task::yield_now() => {}
        }
    });
}

#[test]
fn copy_buf_is_cooperative() {
    let runtime = crate::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let spin = async {
            loop {
                let mut reader: &[u8] = b"hello";
                let mut writer = Vec::new();
                copy_buf(&mut reader, &mut writer).await.unwrap();
            }
        };
        crate::select! {
            biased;
            _ = spin => {}
            _ = crate::task::yield_now() => {}
        }
    });
}

#[test]
fn duplex_is_cooperative() {
    let runtime = crate::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (mut tx, mut rx) = duplex(1024 * 8);
        let spin = async {
            loop {
                let mut buf = [3u8; 4096];
                tx.write_all(&buf).await.unwrap();
                rx.read_exact(&mut buf).await.unwrap();
            }
        };
        crate::select! {
            biased;
            _ = spin => {}
            _ = crate::task::yield_now() => {}
        }
    });
}

#[test]
fn copies_retry_interrupted() {
    let mut reader = Interrupting::new(BufReader::with_capacity(2, Trickle::new(&[b"abc", b"d"])));
    let mut writer = Interrupting::new(Narrow::new(1, usize::MAX));
    assert_eq!(block_on(copy_buf(&mut reader, &mut writer)).unwrap(), 4);
    assert_eq!(writer.inner.data, b"abcd");

    let mut reader = Interrupting::new(Trickle::new(&[b"abc", b"d"]));
    let mut writer = Interrupting::new(Narrow::new(1, usize::MAX));
    assert_eq!(block_on(copy(&mut reader, &mut writer)).unwrap(), 4);
    assert_eq!(writer.inner.data, b"abcd");
}

/// Polls `future` with a waker that does nothing until it is ready, at most `polls` times.
fn poll_at_most<F: std::future::Future>(future: F, polls: usize) -> Option<F::Output> {
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    let mut future = pin!(future);
    (0..polls).find_map(|_| match future.as_mut().poll(&mut cx) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    })
}

#[test]
fn copy_buf_flushes_while_its_reader_waits() {
    // The copy writes into a `BufWriter` over the pipe it reads from: the reader can only get
    // more once the copy flushes what it wrote.
    let (rd, mut wd) = duplex(64);
    block_on(wd.write_all(&[1; 16])).unwrap();
    let mut reader = BufReader::new(rd).take(64);
    let mut writer = BufWriter::with_capacity(1024, wd);
    let copied = poll_at_most(copy_buf(&mut reader, &mut writer), 100);
    assert_eq!(copied.expect("the copy waits for itself").unwrap(), 64);
}

#[test]
#[should_panic(expected = "`a_to_b_buf_size` must be greater than 0")]
fn copy_bidirectional_of_a_zero_a_to_b_buffer_panics() {
    let (mut a, mut b) = duplex(1);
    let _ = poll_once(copy_bidirectional_with_sizes(&mut a, &mut b, 0, 1));
}

#[test]
#[should_panic(expected = "`b_to_a_buf_size` must be greater than 0")]
fn copy_bidirectional_of_a_zero_b_to_a_buffer_panics() {
    let (mut a, mut b) = duplex(1);
    let _ = poll_once(copy_bidirectional_with_sizes(&mut a, &mut b, 1, 0));
}

/// A waker that owns one end of a pipe (dropped with the waker) and does nothing.
struct Owner {
    _end: crate::io::DuplexStream,
}

impl Wake for Owner {
    fn wake(self: Arc<Self>) {}
}

/// Polls `future` once with a waker owning `peer`, then twice with another: replacing the
/// first waker drops `peer`, which closes the pipe, so the future must end. Fails (rather than
/// hanging) if that deadlocks.
fn check_replaced_waker_dropped_unlocked<F>(peer: crate::io::DuplexStream, future: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let mut future = pin!(future);
        let owner = Waker::from(Arc::new(Owner { _end: peer }));
        assert!(future
            .as_mut()
            .poll(&mut Context::from_waker(&owner))
            .is_pending());
        drop(owner);
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        assert!(future.as_mut().poll(&mut cx).is_pending());
        assert!(future.as_mut().poll(&mut cx).is_ready());
        done.send(()).unwrap();
    });
    finished
        .recv_timeout(Duration::from_secs(10))
        .expect("dropping the replaced waker deadlocked");
}

#[test]
fn duplex_zero_length_operations_complete_at_once() {
    let (mut one, two) = duplex(1);
    assert!(matches!(poll_once(one.read(&mut [])), Poll::Ready(Ok(0))));
    block_on(one.write_all(b"x")).unwrap();
    assert!(
        matches!(poll_once(one.write(&[])), Poll::Ready(Ok(0))),
        "full"
    );
    let empty = [std::io::IoSlice::new(&[]), std::io::IoSlice::new(&[])];
    assert!(matches!(
        poll_once(one.write_vectored(&empty)),
        Poll::Ready(Ok(0))
    ));
    drop(two);
    let err = block_on(one.write(&[])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe, "closed");
}

#[test]
fn duplex_drops_a_replaced_waker_outside_its_lock() {
    let (mut reader, peer) = duplex(1);
    check_replaced_waker_dropped_unlocked(peer, async move {
        assert_eq!(reader.read(&mut [0; 1]).await.unwrap(), 0);
    });
    let (mut writer, peer) = duplex(1);
    check_replaced_waker_dropped_unlocked(peer, async move {
        let err = writer.write_all(b"xy").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    });
}

#[test]
fn pipes_of_no_capacity_panic_at_the_callers_line() {
    for make in [
        || drop(crate::io::duplex(0)),
        || drop(crate::io::simplex(0)),
        || drop(crate::io::SimplexStream::new_unsplit(0)),
    ] {
        let panic = std::panic::catch_unwind(make).unwrap_err();
        assert_eq!(
            panic.downcast_ref::<&str>(),
            Some(&"`max_buf_size` must be greater than 0")
        );
    }
}
