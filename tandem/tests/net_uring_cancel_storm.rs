//! The network cancellation storm (`support/net_storm.rs`): reads, writes and accepts dropped
//! at random points on the task that polled them, another task and a plain thread, or polled
//! outside the runtime; byte streams checked end to end; the fd count back to its baseline;
//! with TCP receives over io_uring on and off, on 2 and 8 workers.
//!
//! `TANDEM_NET_STORM_OPS` sets the operations per configuration. The only test in this binary:
//! the fd count is process-wide.

#[path = "support/net_storm.rs"]
mod net_storm;
mod support;

#[test]
fn dropped_network_operations_lose_nothing_and_leak_nothing() {
    net_storm::run();
}
