//! reqwest's async client (hyper-util's pooled client, tokio TCP connector, its tokio-timer-based
//! request timeout) against an axum server in the same process.

mod common;

use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::{Json, Router};
use common::{on_both_flavours, AxumServer};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    item: String,
    quantity: u32,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Receipt {
    item: String,
    total_cents: u64,
}

fn router() -> Router {
    Router::new()
        .route("/hello", get(|| async { "hello from axum" }))
        .route(
            "/big",
            get(|| async { "0123456789abcdef".repeat(64 * 1024 / 16) }),
        )
        .route(
            "/order",
            post(|Json(order): Json<Order>| async move {
                Json(Receipt {
                    total_cents: u64::from(order.quantity) * 250,
                    item: order.item,
                })
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                "too late"
            }),
        )
}

#[test]
fn get_text_and_stream() {
    on_both_flavours("reqwest get_text_and_stream", || async {
        let server = AxumServer::start(router()).await;
        let client = reqwest::Client::new();
        for _ in 0..3 {
            let response = client.get(server.url("/hello")).send().await.unwrap();
            assert_eq!(response.status(), reqwest::StatusCode::OK);
            assert_eq!(response.text().await.unwrap(), "hello from axum");
        }

        // A body large enough to arrive in several chunks, read as a stream.
        let response = client.get(server.url("/big")).send().await.unwrap();
        let mut chunks = response.bytes_stream();
        let mut received = Vec::new();
        while let Some(chunk) = chunks.next().await {
            received.extend_from_slice(&chunk.unwrap());
        }
        assert_eq!(received.len(), 64 * 1024);
        assert!(received.starts_with(b"0123456789abcdef0123"));

        drop(client);
        server.stop().await;
    });
}

#[test]
fn post_json() {
    on_both_flavours("reqwest post_json", || async {
        let server = AxumServer::start(router()).await;
        let client = reqwest::Client::new();
        let order = Order {
            item: "widget".to_owned(),
            quantity: 4,
        };
        let response = client
            .post(server.url("/order"))
            .json(&order)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        let receipt: Receipt = response.json().await.unwrap();
        assert_eq!(
            receipt,
            Receipt {
                item: "widget".to_owned(),
                total_cents: 1000
            }
        );

        // A malformed body is the server's 4xx, not a client error.
        let response = client
            .post(server.url("/order"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{}", response.status());

        drop(client);
        server.stop().await;
    });
}

#[test]
fn timeout_fires() {
    on_both_flavours("reqwest timeout_fires", || async {
        let server = AxumServer::start(router()).await;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let started = Instant::now();
        let err = client
            .get(server.url("/slow"))
            .send()
            .await
            .expect_err("the route sleeps 2 s, the client gives up after 200 ms");
        let elapsed = started.elapsed();
        assert!(err.is_timeout(), "not a timeout: {err:?}");
        assert!(
            elapsed < Duration::from_millis(1500),
            "the timeout took {elapsed:?}"
        );
        assert!(
            elapsed >= Duration::from_millis(200),
            "gave up before the timeout: {elapsed:?}"
        );

        drop(client);
        // Graceful shutdown waits for the abandoned handler's sleep to end.
        server.stop().await;
    });
}
