//! The benchmark suites. Each one is a module exposing
//! `fn workloads() -> Vec<Workload>`, registered in `main.rs`'s `SUITES`.

pub mod net;
pub mod sched;
pub mod sync;
pub mod timer;
