//! The `#[tandem::main]` and `#[tandem::test]` attributes, and the expansions behind
//! `tandem::select!`, `tandem::join!` and `tandem::try_join!`.
//!
//! Use them through the `tandem` crate, which re-exports them; this crate is an
//! implementation detail. Files:
//!
//! | file | responsibility |
//! |---|---|
//! | `config.rs`, `expand.rs` | `#[main]` and `#[test]`: their arguments, and the synchronous fn they make |
//! | `select.rs` | `select_internal!`: the branches' futures polled together, the first match's handler run |
//! | `join.rs` | `join_internal!`, `try_join_internal!`: the futures polled together to the last output (or first error) |
//!
//! The function-like macros here are hidden: each `tandem` macro is a `macro_rules!` front end
//! that calls its helper with `($crate)` first, so the expansion finds Tandem's support items
//! under whatever name the user's crate gives Tandem.
//!
//! `#[main]` and `#[test]` accept the same arguments as their Tokio namesakes:
//!
//! | argument | values | default |
//! |---|---|---|
//! | `flavor` | `"multi_thread"`, `"current_thread"`, `"local"` (a `LocalRuntime`: the body may `spawn_local`) | `main`: `"multi_thread"`, `test`: `"current_thread"` |
//! | `worker_threads` | an integer `>= 1`, only with `"multi_thread"` | the runtime's default |
//! | `start_paused` | `true` or `false`, only with `"current_thread"` or `"local"` | `false` |
//! | `crate` | a path in a string, e.g. `"::my_tandem"` | the `tandem` dependency, under whatever name it has |
#![warn(missing_docs)]

mod config;
mod expand;
mod join;
mod select;

use config::Kind;
use proc_macro::TokenStream;

/// Runs an `async fn` to completion on a new tandem runtime.
///
/// The function becomes a synchronous one that builds a runtime with
/// `tandem::runtime::Builder`, with all drivers enabled, and blocks on the
/// original body. Its attributes, visibility and return type are kept, so
/// `async fn main() -> Result<(), E>` works. It may be used on any `async fn`,
/// not only `main`.
///
/// Without arguments the runtime is multi-threaded with the default number of
/// worker threads.
///
/// ```ignore
/// #[tandem::main]
/// async fn main() {
///     println!("hello from a tandem worker");
/// }
/// ```
///
/// Arguments choose the runtime:
///
/// ```ignore
/// #[tandem::main(flavor = "multi_thread", worker_threads = 4)]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     tandem::spawn(async { /* ... */ }).await?;
///     Ok(())
/// }
///
/// #[tandem::main(flavor = "current_thread")]
/// async fn single_threaded() {}
/// ```
///
/// The first one expands to roughly:
///
/// ```ignore
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let body = async { /* the original body */ };
///     tandem::runtime::Builder::new_multi_thread()
///         .worker_threads(4)
///         .enable_all()
///         .build()
///         .expect("Failed building the Runtime")
///         .block_on(body)
/// }
/// ```
///
/// `crate = "path"` names the `tandem` crate explicitly, for code that
/// re-exports it. It is not needed when `tandem` is merely renamed in
/// `Cargo.toml` (e.g. `tokio = { package = "tandem", .. }`): the macro finds
/// the dependency under its new name.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::Main, args.into(), item.into()).into()
}

/// Turns an `async fn` into a `#[test]` that runs on its own tandem runtime.
///
/// Works like [`macro@main`], adds `#[test]`, and defaults to a
/// `current_thread` runtime. The function must take no arguments. Other
/// attributes such as `#[should_panic]` or `#[ignore]` are kept.
///
/// ```ignore
/// #[tandem::test]
/// async fn adds() {
///     assert_eq!(tandem::spawn(async { 1 + 1 }).await.unwrap(), 2);
/// }
///
/// #[tandem::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn on_two_workers() -> Result<(), Box<dyn std::error::Error>> {
///     tandem::spawn(async {}).await?;
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(Kind::Test, args.into(), item.into()).into()
}

/// The expansion of `tandem::select!` (which documents it); not for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn select_internal(input: TokenStream) -> TokenStream {
    select::expand(input.into()).into()
}

/// The expansion of `tandem::join!` (which documents it); not for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn join_internal(input: TokenStream) -> TokenStream {
    join::expand(join::Kind::Join, input.into()).into()
}

/// The expansion of `tandem::try_join!` (which documents it); not for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn try_join_internal(input: TokenStream) -> TokenStream {
    join::expand(join::Kind::TryJoin, input.into()).into()
}
