//! What the kernel allows: probed once per process, logged once.
//!
//! Setting up a ring can fail with ENOSYS (no io_uring), EPERM (a seccomp filter, as in Docker's
//! default profile, or `kernel.io_uring_disabled`), or ENOMEM (a memlock limit on older kernels).
//! A kernel with rings may still lack opcodes: `IORING_REGISTER_PROBE` says which.

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
