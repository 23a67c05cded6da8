//! TEMPORARY stand-in for `crate::time::Handle` (being written): the interface the driver calls,
//! with no timers. Replaced by `crate::time::Handle` when the time module lands.

use super::DriverUnpark;
use std::time::Instant;

#[derive(Clone)]
pub(crate) struct Handle;

impl Handle {
    pub(crate) fn new(_start_paused: bool, _unpark: DriverUnpark) -> Handle {
        Handle
    }
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        None
    }
    pub(crate) fn process(&self) {}
    pub(crate) fn is_paused(&self) -> bool {
        false
    }
    pub(crate) fn advance_to_next_deadline(&self) -> bool {
        false
    }
    pub(crate) fn shutdown(&self) {}
}
