//! The `axum_router` example, served on Tandem through hyper's connection API, routes requests:
//! `/users/42` reaches its handler with the path parameter, an unknown route is a 404.

#![cfg(feature = "hyper")]

mod support;

#[allow(dead_code)]
#[path = "../examples/axum_router.rs"]
mod axum_router;

use std::net::SocketAddr;

use axum_router::User;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, StatusCode};
use support::{run_flavor, Flavor};
use tandem::hyper::TandemIo;
use tandem::net::{TcpListener, TcpStream};

fn flavors() -> [Flavor; 2] {
    [Flavor::CURRENT_THREAD, Flavor::MULTI_2]
}

async fn connect(addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TandemIo::new(stream))
        .await
        .unwrap();
    tandem::spawn(async move {
        let _ = conn.await;
    });
    sender
}

/// `GET path` on the keep-alive connection: status, content type (if any) and body.
async fn get(
    sender: &mut SendRequest<Empty<Bytes>>,
    path: &str,
) -> (StatusCode, Option<String>, Bytes) {
    let req = Request::get(path)
        .header("host", "test")
        .body(Empty::new())
        .unwrap();
    sender.ready().await.unwrap();
    let res = sender.send_request(req).await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, body)
}

#[test]
fn routed_requests_and_unknown_route() {
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tandem::spawn(axum_router::serve(listener, axum_router::app()));
                let mut sender = connect(addr).await;

                let (status, content_type, body) = get(&mut sender, "/users/42").await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(content_type.as_deref(), Some("application/json"));
                assert_eq!(body, r#"{"id":42,"name":"user 42"}"#);
                let user: User = serde_json::from_slice(&body).unwrap();
                assert_eq!(
                    user,
                    User {
                        id: 42,
                        name: "user 42".into()
                    }
                );

                let (status, _, body) = get(&mut sender, "/").await;
                assert_eq!(status, StatusCode::OK);
                assert_eq!(body, "Hello, World!");

                let (status, _, body) = get(&mut sender, "/no/such/route").await;
                assert_eq!(status, StatusCode::NOT_FOUND);
                assert!(body.is_empty());

                // The path parameter is parsed: not a number, not this route's business.
                let (status, _, _) = get(&mut sender, "/users/forty-two").await;
                assert_eq!(status, StatusCode::BAD_REQUEST);

                // Many routed requests on the same connection, each with its own parameter.
                for id in 0..50u64 {
                    let (status, _, body) = get(&mut sender, &format!("/users/{id}")).await;
                    assert_eq!(status, StatusCode::OK);
                    let user: User = serde_json::from_slice(&body).unwrap();
                    assert_eq!(user.id, id);
                    assert_eq!(user.name, format!("user {id}"));
                }
            });
        });
    }
}
