//! The runtime's public types are `UnwindSafe + RefUnwindSafe`, as Tokio's are, so code that
//! holds them (a `&Runtime` in a `catch_unwind` closure, a listener in a test harness) compiles.
//! Tokio's `unwindsafe.rs` and `time_panic.rs` name these; this file fails to compile if one of
//! them loses the property.

use std::panic::{RefUnwindSafe, UnwindSafe};

fn is_unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

#[test]
fn runtime_types_are_unwind_safe() {
    is_unwind_safe::<tandem::runtime::Runtime>();
    is_unwind_safe::<tandem::runtime::Handle>();
    is_unwind_safe::<tandem::runtime::LocalRuntime>();
    is_unwind_safe::<tandem::runtime::RuntimeMetrics>();
    is_unwind_safe::<tandem::task::JoinHandle<()>>();
    is_unwind_safe::<tandem::task::AbortHandle>();
}

#[test]
fn resource_types_are_unwind_safe() {
    is_unwind_safe::<tandem::sync::Notify>();
    is_unwind_safe::<tandem::net::TcpListener>();
    is_unwind_safe::<tandem::net::TcpSocket>();
    is_unwind_safe::<tandem::net::TcpStream>();
    is_unwind_safe::<tandem::net::UdpSocket>();
    is_unwind_safe::<tandem::net::UnixDatagram>();
    is_unwind_safe::<tandem::net::UnixListener>();
    is_unwind_safe::<tandem::net::UnixStream>();
}
