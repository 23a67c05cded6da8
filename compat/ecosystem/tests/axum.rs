//! axum 0.8 served by `axum::serve` on a `tokio::net::TcpListener` with graceful shutdown: plain
//! and JSON routes (driven by a bare hyper HTTP/1 client connection), a WebSocket echo (driven by
//! tokio-tungstenite) and server-sent events with keep-alive comments (hyper's timer path in axum).

mod common;

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use common::{on_both_flavours, AxumServer};
use futures_util::{SinkExt, Stream, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite;

fn router() -> Router {
    Router::new()
        .route("/hello", get(|| async { "hello from axum" }))
        .route(
            "/echo",
            post(|Json(body): Json<serde_json::Value>| async move { Json(body) }),
        )
        .route("/ws", get(ws_upgrade))
        .route("/sse", get(sse))
}

async fn ws_upgrade(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(ws_echo)
}

async fn ws_echo(mut socket: WebSocket) {
    while let Some(Ok(msg)) = socket.recv().await {
        match msg {
            Message::Text(_) | Message::Binary(_) => {
                if socket.send(msg).await.is_err() {
                    break;
                }
            }
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
}

/// Three events, each 150 ms after the last: three times the keep-alive interval, so keep-alive
/// comments must appear between them.
async fn sse() -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = futures_util::stream::unfold(0u32, |n| async move {
        if n == 3 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        let event = Event::default().event("tick").data(format!("tick {n}"));
        Some((Ok(event), n + 1))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_millis(50)))
}

/// One request on its own HTTP/1 connection, whose driver task is awaited so that the socket is
/// closed when this returns.
async fn request(
    server: &AxumServer,
    req: http::Request<Full<Bytes>>,
) -> (http::StatusCode, http::HeaderMap, Bytes) {
    let stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    let driver = tokio::spawn(conn);
    let response = sender.send_request(req).await.expect("send_request");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("read body").to_bytes();
    drop(sender);
    driver.await.expect("connection task").expect("connection");
    (parts.status, parts.headers, body)
}

fn get_request(server: &AxumServer, path: &str) -> http::Request<Full<Bytes>> {
    http::Request::get(path)
        .header(http::header::HOST, server.addr.to_string())
        .body(Full::new(Bytes::new()))
        .unwrap()
}

#[test]
fn get_and_json_post() {
    on_both_flavours("axum get_and_json_post", || async {
        let server = AxumServer::start(router()).await;

        let (status, _, body) = request(&server, get_request(&server, "/hello")).await;
        assert_eq!(status, http::StatusCode::OK);
        assert_eq!(&body[..], b"hello from axum");

        let sent =
            serde_json::json!({"name": "tandem", "numbers": [1, 2, 3], "nested": {"ok": true}});
        let post = http::Request::post("/echo")
            .header(http::header::HOST, server.addr.to_string())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(serde_json::to_vec(&sent).unwrap())))
            .unwrap();
        let (status, headers, body) = request(&server, post).await;
        assert_eq!(status, http::StatusCode::OK);
        assert_eq!(headers[http::header::CONTENT_TYPE], "application/json");
        let echoed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(echoed, sent);

        let (status, _, _) = request(&server, get_request(&server, "/missing")).await;
        assert_eq!(status, http::StatusCode::NOT_FOUND);

        server.stop().await;
    });
}

#[test]
fn websocket_echo() {
    on_both_flavours("axum websocket_echo", || async {
        let server = AxumServer::start(router()).await;
        let (mut ws, response) =
            tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
                .await
                .expect("websocket connect");
        assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);

        for i in 0..3 {
            let text = format!("text message {i}");
            ws.send(tungstenite::Message::text(text.clone()))
                .await
                .unwrap();
            let back = ws.next().await.expect("echo").expect("echo frame");
            assert_eq!(back, tungstenite::Message::text(text));

            let binary: Vec<u8> = (0..=255u8).cycle().skip(i).take(1000).collect();
            ws.send(tungstenite::Message::binary(binary.clone()))
                .await
                .unwrap();
            let back = ws.next().await.expect("echo").expect("echo frame");
            assert_eq!(back, tungstenite::Message::binary(binary));
        }

        // The close handshake: the server answers our Close, then the stream ends.
        ws.close(None).await.unwrap();
        while let Some(frame) = ws.next().await {
            match frame {
                Ok(tungstenite::Message::Close(_)) => {}
                Ok(other) => panic!("unexpected frame after close: {other:?}"),
                Err(_) => break,
            }
        }
        drop(ws);
        server.stop().await;
    });
}

#[test]
fn sse_with_keep_alive() {
    on_both_flavours("axum sse_with_keep_alive", || async {
        let server = AxumServer::start(router()).await;
        let started = std::time::Instant::now();
        let (status, headers, body) = request(&server, get_request(&server, "/sse")).await;
        assert_eq!(status, http::StatusCode::OK);
        assert_eq!(headers[http::header::CONTENT_TYPE], "text/event-stream");
        // Three sleeps of 150 ms each stand between the request and the end of the stream.
        assert!(
            started.elapsed() >= Duration::from_millis(450),
            "stream ended after {:?}",
            started.elapsed()
        );

        let body = std::str::from_utf8(&body).expect("utf-8 body");
        let data: Vec<&str> = body
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .collect();
        assert_eq!(data, ["tick 0", "tick 1", "tick 2"], "body: {body:?}");
        let event_lines = body.lines().filter(|l| *l == "event: tick").count();
        assert_eq!(event_lines, 3, "body: {body:?}");
        let keep_alives = body.lines().filter(|l| l.starts_with(':')).count();
        assert!(keep_alives >= 1, "no keep-alive comment in {body:?}");

        server.stop().await;
    });
}
