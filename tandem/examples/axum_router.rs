//! An axum `Router` served on Tandem through hyper's connection API.
//!
//! axum's own `axum::serve` needs Tokio's runtime; any `tower::Service` can instead be handed to
//! hyper (`hyper_util::service::TowerToHyperService`), which runs it on a Tandem connection. axum
//! is built without its `tokio` feature, so Tokio's runtime is not even compiled.
//!
//! Routes: `GET /` answers `Hello, World!`; `GET /users/{id}` answers a JSON user; anything
//! else is a 404, and a non-numeric id a 400.
//!
//! ```text
//! cargo run -p tandem --example axum_router             # port 3000; or: -- 8080, or PORT=8080
//! curl -i http://127.0.0.1:3000/
//! curl -i http://127.0.0.1:3000/users/42                # {"id":42,"name":"user 42"}
//! curl -i http://127.0.0.1:3000/nowhere                 # 404
//! ```

use std::convert::Infallible;
use std::io;

use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use hyper::server::conn::http1;
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use tandem::hyper::{TandemIo, TandemTimer};
use tandem::net::TcpListener;

/// What `GET /users/{id}` answers, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    pub name: String,
}

async fn hello() -> &'static str {
    "Hello, World!"
}

async fn user(Path(id): Path<u64>) -> Json<User> {
    Json(User {
        id,
        name: format!("user {id}"),
    })
}

/// The application: two routes.
pub fn app() -> Router {
    Router::new()
        .route("/", get(hello))
        .route("/users/{id}", get(user))
}

/// Accepts connections forever and serves `router` on each, over HTTP/1.1, on its own task.
pub async fn serve(listener: TcpListener, router: Router) -> io::Result<Infallible> {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        // A `Router` is cheap to clone (an `Arc` inside); hyper clones it again per request.
        let service = TowerToHyperService::new(router.clone());
        tandem::spawn(async move {
            let _ = http1::Builder::new()
                .timer(TandemTimer::new())
                .serve_connection(TandemIo::new(stream), service)
                .await;
        });
    }
}

/// The port from the first argument, else `$PORT`, else 3000 (`0` picks a free one).
pub fn port_from_args() -> u16 {
    std::env::args()
        .nth(1)
        .or_else(|| std::env::var("PORT").ok())
        .map(|p| p.parse().expect("the port must be a number"))
        .unwrap_or(3000)
}

#[tandem::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port_from_args())).await?;
    println!("axum on http://{}", listener.local_addr()?);
    serve(listener, app()).await?;
    Ok(())
}
