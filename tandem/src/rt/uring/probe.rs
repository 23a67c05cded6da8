//! What the kernel allows: probed once per process, logged once.
//!
//! Setting up a ring can fail with ENOSYS (no io_uring), EPERM (a seccomp filter, as in Docker's
//! default profile, or `kernel.io_uring_disabled`), or ENOMEM (a memlock limit on older kernels).
//! A kernel with rings may still lack opcodes: `IORING_REGISTER_PROBE` says which. It may also
//! lack two features the rings themselves rely on, whatever the opcode: shutdown's bounded wait
//! (`io_uring_enter` with a timeout, `IORING_FEAT_EXT_ARG`, Linux 5.11) and its cancel of
//! everything in flight (`IORING_OP_ASYNC_CANCEL` with `ANY | ALL`, Linux 5.19). Without either,
//! a shutdown could wait forever or leave operations running, so such a kernel gets no rings:
//! file calls use the blocking pool, and the reason is logged once.

use io_uring::{IoUring, Probe};
use std::io;
use std::sync::OnceLock;

/// The outcome of the process-wide probe.
pub(crate) struct Support {
    /// `Err`: rings cannot be set up here; the message says why.
    pub(crate) rings: Result<Opcodes, Unavailable>,
}

#[derive(Clone)]
pub(crate) struct Unavailable {
    pub(crate) error: io::ErrorKind,
    pub(crate) raw_os_error: Option<i32>,
    pub(crate) reason: String,
}

pub(crate) struct Opcodes {
    supported: [bool; 256],
}

impl Opcodes {
    pub(crate) fn supports(&self, opcode: u8) -> bool {
        self.supported[opcode as usize]
    }
}

static SUPPORT: OnceLock<Support> = OnceLock::new();

/// True if rings can be set up here and the kernel has `opcode` (probing on the first call).
pub(crate) fn kernel_supports(opcode: u8) -> bool {
    support()
        .rings
        .as_ref()
        .is_ok_and(|opcodes| opcodes.supports(opcode))
}

/// The probe's result, probing (and logging) on the first call.
pub(crate) fn support() -> &'static Support {
    SUPPORT.get_or_init(|| {
        let support = probe();
        if let Err(unavailable) = &support.rings {
            eprintln!(
                "tandem: io_uring unavailable ({}); file-system calls use the blocking pool",
                unavailable.reason
            );
        }
        support
    })
}

fn probe() -> Support {
    let ring = match IoUring::new(2) {
        Ok(ring) => ring,
        Err(e) => {
            return Support {
                rings: Err(explain(&e)),
            }
        }
    };
    if let Err(missing) =
        required_features(ring.params().is_feature_ext_arg(), cancels_any_all(&ring))
    {
        return Support {
            rings: Err(Unavailable {
                error: io::ErrorKind::Unsupported,
                raw_os_error: None,
                reason: missing,
            }),
        };
    }
    let mut probe = Probe::new();
    let mut supported = [false; 256];
    match ring.submitter().register_probe(&mut probe) {
        Ok(()) => {
            for (op, slot) in supported.iter_mut().enumerate() {
                *slot = probe.is_supported(op as u8);
            }
        }
        // Kernels before 5.6 cannot say; treat the 5.1 basics as present.
        Err(_) => {
            for op in [
                io_uring::opcode::Readv::CODE,
                io_uring::opcode::Writev::CODE,
                io_uring::opcode::Fsync::CODE,
            ] {
                supported[op as usize] = true;
            }
        }
    }
    Support {
        rings: Ok(Opcodes { supported }),
    }
}

/// `Err` (why, in words an operator can act on) unless the kernel has every ring-wide feature
/// the rings rely on (see the module docs).
fn required_features(ext_arg: bool, cancel_any_all: bool) -> Result<(), String> {
    let mut missing = Vec::new();
    if !ext_arg {
        missing.push("IORING_FEAT_EXT_ARG (Linux 5.11), for shutdown's bounded wait");
    }
    if !cancel_any_all {
        missing.push("ASYNC_CANCEL with ANY|ALL (Linux 5.19), for shutdown's cancel");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("the kernel lacks {}", missing.join(" and ")))
    }
}

/// Whether `IORING_OP_ASYNC_CANCEL` takes `IORING_ASYNC_CANCEL_ANY | ALL` on this kernel: a
/// cancel of everything on the empty probe ring finds nothing (`-ENOENT`, or 0) where it does,
/// and is rejected (`-EINVAL`) where it does not.
fn cancels_any_all(ring: &IoUring) -> bool {
    let entry = io_uring::opcode::AsyncCancel2::new(io_uring::types::CancelBuilder::any().all())
        .build()
        .user_data(1);
    // SAFETY: the entry points at no memory; the probe ring is ours alone.
    if unsafe { ring.submission_shared().push(&entry) }.is_err() {
        return false;
    }
    // An enter may be refused for now (EINTR, EAGAIN, EBUSY): try a few times.
    for _ in 0..16 {
        match ring.submit_and_wait(1) {
            Ok(_) => break,
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EINTR | libc::EAGAIN | libc::EBUSY)
                ) => {}
            Err(_) => return false,
        }
    }
    // SAFETY: the probe ring is used by this thread only; nothing else reaps it.
    let result = unsafe { ring.completion_shared() }
        .next()
        .map(|cqe| cqe.result());
    result.is_some_and(|r| r == 0 || r == -libc::ENOENT)
}

/// Why `io_uring_setup` failed, in words an operator can act on.
pub(crate) fn explain(e: &io::Error) -> Unavailable {
    let reason = match e.raw_os_error() {
        Some(libc::ENOSYS) => "io_uring_setup: ENOSYS, the kernel has no io_uring".to_string(),
        Some(libc::EPERM) => match std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled") {
            Ok(v) if v.trim() != "0" => format!(
                "io_uring_setup: EPERM, kernel.io_uring_disabled = {}",
                v.trim()
            ),
            _ => "io_uring_setup: EPERM, refused by a seccomp filter or a security policy"
                .to_string(),
        },
        Some(libc::ENOMEM) => {
            "io_uring_setup: ENOMEM, the locked-memory limit (ulimit -l) is too low".to_string()
        }
        _ => format!("io_uring_setup: {e}"),
    };
    Unavailable {
        error: e.kind(),
        raw_os_error: e.raw_os_error(),
        reason,
    }
}

impl Unavailable {
    pub(crate) fn to_io_error(&self) -> io::Error {
        let base = match self.raw_os_error {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::from(self.error),
        };
        io::Error::new(
            base.kind(),
            format!("io_uring required but {}", self.reason),
        )
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{required_features, support};

    #[test]
    fn a_kernel_without_a_ring_wide_feature_gets_no_rings() {
        assert!(required_features(true, true).is_ok());
        let no_ext_arg = required_features(false, true).unwrap_err();
        assert!(no_ext_arg.contains("IORING_FEAT_EXT_ARG"), "{no_ext_arg}");
        let no_cancel_all = required_features(true, false).unwrap_err();
        assert!(no_cancel_all.contains("ANY|ALL"), "{no_cancel_all}");
        let neither = required_features(false, false).unwrap_err();
        assert!(
            neither.contains("EXT_ARG") && neither.contains("ANY|ALL"),
            "{neither}"
        );
    }

    /// This machine's kernel (6.x) has both: the probe must find them, not fall back.
    #[test]
    fn this_kernel_has_the_ring_wide_features() {
        if let Err(unavailable) = &support().rings {
            assert!(
                !unavailable.reason.contains("lacks"),
                "a 5.19+ kernel was judged to lack a feature: {}",
                unavailable.reason
            );
        }
    }
}
