//! A small, fast, non-cryptographic generator for picking steal victims and the branch
//! `select!` polls first.

use std::cell::Cell;

/// xorshift64*: plenty for spreading load, never for anything secret.
#[derive(Debug)]
pub(crate) struct FastRand {
    state: Cell<u64>,
}

impl FastRand {
    pub(crate) fn new(seed: u64) -> FastRand {
        FastRand {
            state: Cell::new(seed | 1),
        }
    }

    pub(crate) fn from_entropy() -> FastRand {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_usize(&hasher as *const _ as usize);
        FastRand::new(hasher.finish())
    }

    fn next(&self) -> u64 {
        let mut x = self.state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (n > 0), by multiply-shift rather than a slow modulo.
    pub(crate) fn below(&self, n: u32) -> u32 {
        (((self.next() >> 32) * n as u64) >> 32) as u32
    }
}

thread_local! {
    /// This thread's generator for [`thread_rng_n`], seeded on first use.
    static THREAD_RNG: FastRand = FastRand::from_entropy();
}

/// A number in `0..n` (n > 0) from this thread's generator: `select!`'s first branch.
pub(crate) fn thread_rng_n(n: u32) -> u32 {
    THREAD_RNG
        .try_with(|rng| rng.below(n))
        // During thread-local destruction any start will do.
        .unwrap_or(0)
}
