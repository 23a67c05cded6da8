//! An HTTP/1.1 client: hyper's client connection API over a Tandem `TcpStream`.
//!
//! Fetches one URL (default `http://127.0.0.1:3000/`) and prints the status line, the headers
//! and the body. Plain `http://` only (no TLS).
//!
//! ```text
//! cargo run -p tandem --example http1_server &               # something to talk to
//! cargo run -p tandem --example http_client
//! cargo run -p tandem --example http_client -- http://127.0.0.1:3000/users/42
//! curl -i http://127.0.0.1:3000/                              # the same request, by curl
//! ```

use std::error::Error;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::header::{HeaderValue, HOST};
use hyper::{Request, Response, Uri};
use tandem::hyper::TandemIo;
use tandem::net::TcpStream;

/// Any error the client can meet: a bad URL, I/O, or HTTP.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The URL fetched when none is given.
pub const DEFAULT_URL: &str = "http://127.0.0.1:3000/";

/// Sends `GET uri` on a fresh connection and returns the response with its whole body.
pub async fn get(uri: &Uri) -> Result<Response<Bytes>, BoxError> {
    if uri.scheme_str().is_some_and(|s| s != "http") {
        return Err(format!("only http:// URLs are supported, not {uri}").into());
    }
    let host = uri.host().ok_or_else(|| format!("no host in {uri}"))?;
    let port = uri.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host, port)).await?;
    let _ = stream.set_nodelay(true);

    let (mut sender, conn) = http1::handshake(TandemIo::new(stream)).await?;
    // The connection object does the actual I/O; it runs until the sender is dropped.
    tandem::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("connection error: {e}");
        }
    });

    let authority = uri.authority().expect("a URL with a host has an authority");
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let req = Request::get(path)
        .header(HOST, HeaderValue::from_str(authority.as_str())?)
        .body(Empty::<Bytes>::new())?;
    let res = sender.send_request(req).await?;
    let (parts, body) = res.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Response::from_parts(parts, body))
}

#[tandem::main]
async fn main() -> Result<(), BoxError> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    let uri: Uri = url.parse()?;
    let res = get(&uri).await?;
    println!("{:?} {}", res.version(), res.status());
    for (name, value) in res.headers() {
        println!("{name}: {}", value.to_str().unwrap_or("<binary>"));
    }
    println!();
    println!("{}", String::from_utf8_lossy(res.body()));
    Ok(())
}
