//! Tandem's own `select!`, `join!`, `try_join!` and `pin!` (`task_local!` is the task's, in
//! `task/task_local.rs`), with Tokio's syntax and documented semantics.
//!
//! Files, lowest layer first:
//!
//! | file | responsibility |
//! |---|---|
//! | `maybe_done.rs` | `MaybeDone`, `TryMaybeDone`: a joined future, then its output, then nothing |
//! | `support.rs` | what the expansions name, under `$crate::macros::support` (hidden) |
//! | `pin.rs` | `pin!`: pins values on the stack (`std::pin::pin!` per binding) |
//! | `join.rs` | `join!`: awaits every future, rotating which is polled first |
//! | `try_join.rs` | `try_join!`: `join!` that stops at the first `Err` |
//! | `select.rs` | `select!`: awaits the first branch whose output matches its pattern |
//!
//! `select!`, `join!` and `try_join!` are `macro_rules!` front ends over hidden proc macros in
//! `tandem-macros` (so they need the `macros` feature, on by default, as Tokio's need its own):
//! a proc macro can count branches, name one type per branch and strip a pattern's binding
//! modes, which `macro_rules!` cannot. Each front end passes `$crate` to its proc macro, so the
//! expansion names this module's support items through it: the macros work when the crate is
//! renamed (`tokio = { package = "tandem", .. }`). How each expansion works is in the proc
//! macro's module docs (`tandem-macros/src/select.rs`, `join.rs`).

mod join;
mod maybe_done;
mod pin;
mod select;
#[doc(hidden)]
pub mod support;
mod try_join;
