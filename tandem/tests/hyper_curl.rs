//! `curl` talks to the example servers on Tandem: HTTP/1.1 with keep-alive, HTTP/2 with prior
//! knowledge (h2c), and the axum router.
//!
//! Without `curl` on the PATH (or without HTTP/2 support in it), each test says so and makes the
//! same requests with hyper's client instead, so it still checks the servers.

#![cfg(feature = "hyper")]

mod support;

#[allow(dead_code)]
#[path = "../examples/axum_router.rs"]
mod axum_router;
#[allow(dead_code)]
#[path = "../examples/http1_server.rs"]
mod http1_server;
#[allow(dead_code)]
#[path = "../examples/http2_server.rs"]
mod http2_server;
#[allow(dead_code)]
#[path = "../examples/http_client.rs"]
mod http_client;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode, Version};
use support::{run_flavor, Flavor};
use tandem::hyper::{TandemExecutor, TandemIo, TandemTimer};
use tandem::net::{TcpListener, TcpStream};

fn flavors() -> [Flavor; 2] {
    [Flavor::CURRENT_THREAD, Flavor::MULTI_2]
}

/// `curl`'s path, if it is on the PATH.
fn find_curl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("curl"))
        .find(|p| p.is_file())
}

/// Whether this `curl` speaks HTTP/2 (it is built with nghttp2).
fn curl_has_http2(curl: &PathBuf) -> bool {
    Command::new(curl)
        .arg("--version")
        .output()
        .map(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.starts_with("Features:") && l.split_whitespace().any(|f| f == "HTTP2"))
        })
        .unwrap_or(false)
}

/// Whether this `curl` can send a second request on a reused prior-knowledge HTTP/2
/// connection. curl 7.88 cannot: it fails with "Error in the HTTP2 framing layer" whatever the
/// server (curl/curl#10634, fixed in curl 8.0), so older curls get one URL per run.
fn curl_reuses_h2c(curl: &PathBuf) -> bool {
    let Ok(out) = Command::new(curl).arg("--version").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    // "curl 7.88.1 (x86_64-pc-linux-gnu) ..."
    let major = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    major.is_some_and(|m| m >= 8)
}

/// Binds a listener on a free port and serves `serve(listener)` on a task.
async fn start<F, Fut, T>(serve: F) -> SocketAddr
where
    F: FnOnce(TcpListener) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tandem::spawn(serve(listener));
    addr
}

/// What `curl -w` prints after each transfer: `body|status|version|new connections|type`.
const WRITE_OUT: &str = "|%{http_code}|%{http_version}|%{num_connects}|%{content_type}\n";

/// One transfer as reported through [`WRITE_OUT`].
#[derive(Debug, PartialEq)]
struct Transfer {
    body: String,
    status: u16,
    version: String,
    connects: u32,
    content_type: String,
}

/// Runs curl (on the blocking pool, so a current-thread runtime keeps serving meanwhile) with
/// `args` and returns its transfers.
async fn curl(curl: &PathBuf, args: &[&str]) -> Vec<Transfer> {
    let mut cmd = Command::new(curl);
    cmd.args([
        "--silent",
        "--show-error",
        "--max-time",
        "10",
        "--write-out",
        WRITE_OUT,
    ]);
    cmd.args(args);
    let what = format!("{cmd:?}");
    let out = tandem::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("run curl");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 from curl");
    assert!(
        out.status.success(),
        "{what}: {}\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            assert_eq!(f.len(), 5, "{what}: unexpected line {line:?}");
            Transfer {
                body: f[0].to_string(),
                status: f[1].parse().unwrap(),
                version: f[2].to_string(),
                connects: f[3].parse().unwrap(),
                content_type: f[4].to_string(),
            }
        })
        .collect()
}

fn transfer(body: &str, status: u16, version: &str, connects: u32, ct: &str) -> Transfer {
    Transfer {
        body: body.to_string(),
        status,
        version: version.to_string(),
        connects,
        content_type: ct.to_string(),
    }
}

/// `GET` with hyper's HTTP/1.1 client (the `http_client` example): (status, body).
async fn hyper_get(addr: SocketAddr, path: &str) -> (StatusCode, Bytes) {
    let uri = format!("http://{addr}{path}").parse().unwrap();
    let res = http_client::get(&uri).await.unwrap();
    (res.status(), res.into_body())
}

#[test]
fn curl_http1_keep_alive_and_post() {
    let curl_path = find_curl();
    if curl_path.is_none() {
        println!("note: curl is not on the PATH; checking with hyper's client instead");
    }
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let addr =
                    start(|l| http1_server::serve(l, http1_server::HEADER_READ_TIMEOUT)).await;
                let url = |path: &str| format!("http://{addr}{path}");
                let hello = http1_server::HELLO;
                let Some(curl_path) = &curl_path else {
                    for path in ["/", "/a", "/b"] {
                        assert_eq!(
                            hyper_get(addr, path).await,
                            (StatusCode::OK, Bytes::from(hello))
                        );
                    }
                    return;
                };

                // Three URLs in one curl run: one connection, reused for the second and third.
                let (a, b, c) = (url("/"), url("/a"), url("/b?x=1"));
                let got = curl(curl_path, &["--http1.1", &a, &b, &c]).await;
                let expected = vec![
                    transfer(hello, 200, "1.1", 1, "text/plain"),
                    transfer(hello, 200, "1.1", 0, "text/plain"),
                    transfer(hello, 200, "1.1", 0, "text/plain"),
                ];
                assert_eq!(got, expected);

                let body = "posted by curl";
                let got = curl(curl_path, &["--http1.1", "--data-binary", body, &a]).await;
                assert_eq!(got, vec![transfer(body, 200, "1.1", 1, "text/plain")]);
            });
        });
    }
}

#[test]
fn curl_http2_prior_knowledge() {
    let curl_path = find_curl().filter(|c| {
        let ok = curl_has_http2(c);
        if !ok {
            println!("note: this curl has no HTTP/2 support");
        }
        ok
    });
    if curl_path.is_none() {
        println!("note: no HTTP/2-capable curl on the PATH; checking with hyper's client instead");
    }
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let addr = start(http2_server::serve).await;
                let url = |path: &str| format!("http://{addr}{path}");
                let hello = http2_server::HELLO;
                let Some(curl_path) = &curl_path else {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    let (mut sender, conn) =
                        hyper::client::conn::http2::Builder::new(TandemExecutor::new())
                            .timer(TandemTimer::new())
                            .handshake(TandemIo::new(stream))
                            .await
                            .unwrap();
                    tandem::spawn(conn);
                    for path in ["/", "/a", "/b"] {
                        let req = Request::get(url(path))
                            .body(Full::new(Bytes::new()))
                            .unwrap();
                        let res = sender.send_request(req).await.unwrap();
                        assert_eq!(res.status(), StatusCode::OK);
                        assert_eq!(res.version(), Version::HTTP_2);
                        let body = res.into_body().collect().await.unwrap().to_bytes();
                        assert_eq!(body, hello);
                    }
                    return;
                };

                let (a, b, c) = (url("/"), url("/a"), url("/b"));
                let h2 = "--http2-prior-knowledge";
                if curl_reuses_h2c(curl_path) {
                    let got = curl(curl_path, &[h2, &a, &b, &c]).await;
                    let expected = vec![
                        transfer(hello, 200, "2", 1, "text/plain"),
                        transfer(hello, 200, "2", 0, "text/plain"),
                        transfer(hello, 200, "2", 0, "text/plain"),
                    ];
                    assert_eq!(got, expected);
                } else {
                    // One URL per curl, three curls at once.
                    let runs = [&a, &b, &c].map(|u| {
                        let (curl_path, u) = (curl_path.clone(), u.clone());
                        tandem::spawn(async move { curl(&curl_path, &[h2, &u]).await })
                    });
                    for run in runs {
                        let got = run.await.unwrap();
                        assert_eq!(got, vec![transfer(hello, 200, "2", 1, "text/plain")]);
                    }
                }

                let body = "posted over h2c";
                let got = curl(curl_path, &[h2, "--data-binary", body, &a]).await;
                assert_eq!(got, vec![transfer(body, 200, "2", 1, "text/plain")]);
            });
        });
    }
}

#[test]
fn curl_axum_routes() {
    let curl_path = find_curl();
    if curl_path.is_none() {
        println!("note: curl is not on the PATH; checking with hyper's client instead");
    }
    for flavor in flavors() {
        run_flavor(flavor, |fl| {
            fl.build().block_on(async {
                let addr = start(|l| axum_router::serve(l, axum_router::app())).await;
                let user = r#"{"id":42,"name":"user 42"}"#;
                let Some(curl_path) = &curl_path else {
                    assert_eq!(
                        hyper_get(addr, "/users/42").await,
                        (StatusCode::OK, Bytes::from(user))
                    );
                    assert_eq!(hyper_get(addr, "/nope").await.0, StatusCode::NOT_FOUND);
                    return;
                };

                let (a, b) = (
                    format!("http://{addr}/users/42"),
                    format!("http://{addr}/nope"),
                );
                let got = curl(curl_path, &[&a, &b]).await;
                let expected = vec![
                    transfer(user, 200, "1.1", 1, "application/json"),
                    transfer("", 404, "1.1", 0, ""),
                ];
                assert_eq!(got, expected);
            });
        });
    }
}
