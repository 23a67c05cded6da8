//! Tandem under Tokio's name.
//!
//! A project puts this crate in place of Tokio for its whole dependency graph with
//!
//! ```toml
//! [patch.crates-io]
//! tokio = { path = "../tandem/compat/tokio" }
//! ```
//!
//! and every crate in it that depends on `tokio` (the program and axum, hyper-util, reqwest,
//! tonic, tower, tokio-util, ...) then builds on Tandem: `tokio::spawn`, `tokio::net`,
//! `tokio::time`, `tokio::sync`, `tokio::io` and `#[tokio::main]` are Tandem's. This crate adds
//! nothing of its own; it is Tandem's public API at Tokio's paths, which are Tandem's paths.
//!
//! Every Tokio feature name is declared, and none selects anything: all of Tandem is always
//! here. Where a dependency uses a part of Tokio's API Tandem lacks, the build fails inside that
//! dependency with a "cannot find" error naming the item (the README's compatibility table says
//! which libraries run).

pub use tandem::*;
