//! tokio-stream 0.1: the `TcpListenerStream` and `IntervalStream` wrappers and
//! `StreamExt::timeout` (a `tokio::time::Sleep` reset for each item).

mod common;

use std::time::{Duration, Instant};

use common::on_both_flavours;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::wrappers::{IntervalStream, ReceiverStream, TcpListenerStream};
use tokio_stream::StreamExt;

#[test]
fn tcp_listener_stream() {
    on_both_flavours("tokio-stream tcp_listener_stream", || async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut incoming = TcpListenerStream::new(listener);

        let clients = tokio::spawn(async move {
            let mut replies = Vec::new();
            for i in 0..3u8 {
                let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                stream.write_all(&[i]).await.unwrap();
                let mut reply = [0u8; 1];
                stream.read_exact(&mut reply).await.unwrap();
                replies.push(reply[0]);
            }
            replies
        });

        let mut accepted = 0;
        while accepted < 3 {
            let mut stream = incoming.next().await.expect("stream ended").unwrap();
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await.unwrap();
            stream.write_all(&[byte[0] + 100]).await.unwrap();
            accepted += 1;
        }
        assert_eq!(clients.await.unwrap(), [100, 101, 102]);
        // The listener is handed back and closed with the wrapper.
        let listener = incoming.into_inner();
        assert_eq!(listener.local_addr().unwrap(), addr);
    });
}

#[test]
fn interval_stream() {
    on_both_flavours("tokio-stream interval_stream", || async {
        let period = Duration::from_millis(50);
        let started = Instant::now();
        let ticks: Vec<tokio::time::Instant> = IntervalStream::new(tokio::time::interval(period))
            .take(3)
            .collect()
            .await;
        assert_eq!(ticks.len(), 3);
        // The first tick is immediate, then one per period.
        assert!(ticks[1] - ticks[0] >= period);
        assert!(ticks[2] - ticks[1] >= period);
        assert!(started.elapsed() >= 2 * period);
    });
}

#[test]
fn stream_timeout() {
    on_both_flavours("tokio-stream stream_timeout", || async {
        let (tx, rx) = tokio::sync::mpsc::channel::<u32>(4);
        // Two items, then a stall far longer than the timeout, then one more.
        let producer = tokio::spawn(async move {
            tx.send(1).await.unwrap();
            tx.send(2).await.unwrap();
            tokio::time::sleep(Duration::from_millis(600)).await;
            tx.send(3).await.unwrap();
        });

        let stream = ReceiverStream::new(rx).timeout(Duration::from_millis(100));
        tokio::pin!(stream);
        assert_eq!(stream.next().await.unwrap().unwrap(), 1);
        assert_eq!(stream.next().await.unwrap().unwrap(), 2);
        let started = Instant::now();
        let stalled = stream.next().await.unwrap();
        assert!(stalled.is_err(), "expected Elapsed, got {stalled:?}");
        assert!(started.elapsed() >= Duration::from_millis(100));

        // An Elapsed item does not end the stream: the late value still arrives.
        let mut late = None;
        while let Some(item) = stream.next().await {
            if let Ok(value) = item {
                late = Some(value);
                break;
            }
        }
        assert_eq!(late, Some(3));
        producer.await.unwrap();
        assert!(stream.next().await.is_none());
    });
}
