//! tonic 0.13 over HTTP/2: a `transport::Server` fed by tokio-stream's `TcpListenerStream` with a
//! shutdown signal, a `Channel` from an `Endpoint`, and both deadline paths: the `grpc-timeout`
//! header enforced by the server and `Endpoint::timeout` enforced by the client.
//!
//! The greeter is written by hand (prost message derives, `tonic::server::Grpc` and
//! `tonic::client::Grpc` with `ProstCodec`) as tonic-build would generate it, so that building
//! needs no `protoc`.

mod common;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use common::on_both_flavours;
use tonic::codec::ProstCodec;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Status};

#[derive(Clone, PartialEq, prost::Message)]
struct HelloRequest {
    #[prost(string, tag = "1")]
    name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct HelloReply {
    #[prost(string, tag = "1")]
    message: String,
}

const SAY_HELLO: &str = "/helloworld.Greeter/SayHello";
const SAY_HELLO_SLOWLY: &str = "/helloworld.Greeter/SayHelloSlowly";

/// Far longer than any deadline below, so only the deadline can end the call.
const SLOW_REPLY: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Greeter;

impl tonic::server::NamedService for Greeter {
    const NAME: &'static str = "helloworld.Greeter";
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

async fn say_hello(
    request: tonic::Request<HelloRequest>,
) -> Result<tonic::Response<HelloReply>, Status> {
    let name = request.into_inner().name;
    if name.is_empty() {
        return Err(Status::invalid_argument("name is empty"));
    }
    Ok(tonic::Response::new(HelloReply {
        message: format!("Hello, {name}!"),
    }))
}

async fn say_hello_slowly(
    request: tonic::Request<HelloRequest>,
) -> Result<tonic::Response<HelloReply>, Status> {
    tokio::time::sleep(SLOW_REPLY).await;
    say_hello(request).await
}

impl tower::Service<http::Request<tonic::body::Body>> for Greeter {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let codec = || ProstCodec::<HelloReply, HelloRequest>::default();
        match req.uri().path() {
            SAY_HELLO => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(codec());
                Ok(grpc.unary(tower::service_fn(say_hello), req).await)
            }),
            SAY_HELLO_SLOWLY => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(codec());
                Ok(grpc.unary(tower::service_fn(say_hello_slowly), req).await)
            }),
            _ => Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

async fn call(
    channel: &Channel,
    path: &'static str,
    request: tonic::Request<HelloRequest>,
) -> Result<String, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("channel not ready: {e}")))?;
    let codec = ProstCodec::<HelloRequest, HelloReply>::default();
    let response = grpc
        .unary(request, http::uri::PathAndQuery::from_static(path), codec)
        .await?;
    Ok(response.into_inner().message)
}

fn hello(name: &str) -> tonic::Request<HelloRequest> {
    tonic::Request::new(HelloRequest {
        name: name.to_owned(),
    })
}

/// Runs a greeter server on an ephemeral port for the duration of `client`, then shuts it down
/// and waits for it, so that its listener and connections are gone when this returns.
async fn with_greeter<F, Fut>(client: F)
where
    F: FnOnce(Endpoint) -> Fut,
    Fut: Future<Output = ()>,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        Server::builder()
            .add_service(Greeter)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                async move {
                    let _ = stopped.await;
                },
            ),
    );
    let endpoint = Endpoint::from_shared(format!("http://{addr}")).unwrap();
    client(endpoint).await;
    let _ = stop.send(());
    server.await.expect("server task").expect("server");
}

/// The two codes tonic documents for an expired deadline: `DeadlineExceeded`, or `Cancelled` from
/// its own timeout layers.
fn assert_deadline(status: &Status, started: Instant) {
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "not a deadline status: {status:?}"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(200),
        "ended before the deadline: {elapsed:?}"
    );
    assert!(elapsed < SLOW_REPLY / 2, "the deadline took {elapsed:?}");
}

#[test]
fn unary_reply() {
    on_both_flavours("tonic unary_reply", || {
        with_greeter(|endpoint| async move {
            let channel = endpoint.connect().await.expect("connect");
            for name in ["tandem", "tokio", "tonic"] {
                let reply = call(&channel, SAY_HELLO, hello(name)).await.unwrap();
                assert_eq!(reply, format!("Hello, {name}!"));
            }
            let status = call(&channel, SAY_HELLO, hello("")).await.unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument);
            assert_eq!(status.message(), "name is empty");
            let status = call(&channel, "/helloworld.Greeter/Nope", hello("x"))
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::Unimplemented);
        })
    });
}

#[test]
fn grpc_timeout_header() {
    on_both_flavours("tonic grpc_timeout_header", || {
        with_greeter(|endpoint| async move {
            let channel = endpoint.connect().await.expect("connect");
            let mut request = hello("sleepy");
            request.set_timeout(Duration::from_millis(200));
            let started = Instant::now();
            let status = call(&channel, SAY_HELLO_SLOWLY, request).await.unwrap_err();
            assert_deadline(&status, started);

            // The connection is still good after a cancelled call.
            let reply = call(&channel, SAY_HELLO, hello("again")).await.unwrap();
            assert_eq!(reply, "Hello, again!");
        })
    });
}

#[test]
fn endpoint_timeout() {
    on_both_flavours("tonic endpoint_timeout", || {
        with_greeter(|endpoint| async move {
            let channel = endpoint
                .timeout(Duration::from_millis(200))
                .connect()
                .await
                .expect("connect");
            let started = Instant::now();
            let status = call(&channel, SAY_HELLO_SLOWLY, hello("sleepy"))
                .await
                .unwrap_err();
            assert_deadline(&status, started);

            let reply = call(&channel, SAY_HELLO, hello("again")).await.unwrap();
            assert_eq!(reply, "Hello, again!");
        })
    });
}
