//! `TandemIo` moves bytes exactly, and soundly, between Tandem's I/O traits and hyper's.
//!
//! hyper reads into buffers it never initialised (`hyper::rt::ReadBuf::uninit`); `TandemIo` must
//! hand those to the Tandem stream as uninitialised memory and report exactly the bytes the
//! stream wrote. The reverse adaptor (a hyper stream seen through Tandem's `AsyncRead`, used for
//! hyper's upgraded connections) must mark as initialised exactly the bytes it filled, and no
//! more: `ReadBuf::initialized` must never cover memory nobody wrote.

#![cfg(feature = "hyper")]

mod support;

use std::future::poll_fn;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;

use support::{run_flavor, Flavor};
use tandem::hyper::TandemIo;
use tandem::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tandem::net::{TcpListener, TcpStream};

const TOTAL: usize = 256 * 1024 + 17;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// A connected pair: (the client end, the accepted end).
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = tandem::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

/// One `hyper::rt::Read::poll_read` into the unfilled part of `buf`; returns how many bytes it
/// added (0 at EOF).
async fn hyper_read<T: hyper::rt::Read + Unpin>(
    io: &mut T,
    buf: &mut hyper::rt::ReadBuf<'_>,
) -> io::Result<usize> {
    let before = buf.filled().len();
    poll_fn(|cx| hyper::rt::Read::poll_read(Pin::new(&mut *io), cx, buf.unfilled())).await?;
    Ok(buf.filled().len() - before)
}

fn flavors() -> [Flavor; 2] {
    [Flavor::CURRENT_THREAD, Flavor::MULTI_2]
}

/// hyper reads a quarter megabyte through `TandemIo<TcpStream>` into one fresh, uninitialised
/// buffer, a read at a time, and gets exactly the bytes sent, then a clean EOF.
#[test]
fn hyper_reads_exact_bytes_into_uninit_buffer() {
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let (client, mut server) = pair().await;
                let sent = pattern(TOTAL);
                let writer = {
                    let sent = sent.clone();
                    tandem::spawn(async move {
                        // Uneven chunks, so reads end at arbitrary offsets.
                        for chunk in sent.chunks(7_919) {
                            server.write_all(chunk).await.unwrap();
                        }
                        server.shutdown().await.unwrap();
                    })
                };

                // One byte of slack, so the read that finds EOF still has room.
                let mut storage: Box<[MaybeUninit<u8>]> = Box::new_uninit_slice(TOTAL + 1);
                let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
                let mut io = TandemIo::new(client);
                let mut reads = 0;
                loop {
                    let n = hyper_read(&mut io, &mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    reads += 1;
                    assert!(buf.filled().len() <= TOTAL, "more bytes than were sent");
                }
                writer.await.unwrap();
                assert_eq!(buf.filled().len(), TOTAL, "byte count after {reads} reads");
                assert!(buf.filled() == &sent[..], "bytes differ from those sent");
                assert!(io.inner().peer_addr().is_ok());
            });
        });
    }
}

/// The reverse adaptor (`TandemIo<T: hyper::rt::Read>` as Tandem's `AsyncRead`) appends after
/// bytes already in the buffer and marks exactly the filled bytes as initialised.
#[test]
fn reverse_adaptor_marks_only_filled_bytes_initialised() {
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let (client, mut server) = pair().await;
                // Tandem stream -> hyper's traits -> back to Tandem's traits.
                let mut io = TandemIo::new(TandemIo::new(client));

                server.write_all(b"hello").await.unwrap();
                let mut storage = [MaybeUninit::<u8>::uninit(); 64];
                let mut buf = ReadBuf::uninit(&mut storage);
                buf.put_slice(b"abc");
                assert_eq!(buf.initialized().len(), 3);
                let mut got = 0;
                while got < 5 {
                    let before = buf.filled().len();
                    poll_fn(|cx| Pin::new(&mut io).poll_read(cx, &mut buf))
                        .await
                        .unwrap();
                    assert!(buf.filled().len() > before, "unexpected EOF");
                    got = buf.filled().len() - 3;
                    // Nothing past the filled bytes was written, so nothing past them may be
                    // claimed initialised (else `initialize_unfilled` would skip zeroing it and
                    // hand out uninitialised memory as `&mut [u8]`).
                    assert_eq!(
                        buf.initialized().len(),
                        buf.filled().len(),
                        "initialised bytes claimed beyond the filled ones"
                    );
                }
                assert_eq!(buf.filled(), b"abchello");

                // A bulk transfer through both adaptors into a Vec's spare (uninitialised)
                // capacity arrives intact.
                let sent = pattern(TOTAL);
                let writer = {
                    let sent = sent.clone();
                    tandem::spawn(async move {
                        server.write_all(&sent).await.unwrap();
                        server.shutdown().await.unwrap();
                    })
                };
                let mut received = Vec::with_capacity(1024);
                io.read_to_end(&mut received).await.unwrap();
                writer.await.unwrap();
                assert_eq!(received.len(), TOTAL);
                assert!(received == sent, "bytes differ from those sent");
            });
        });
    }
}
