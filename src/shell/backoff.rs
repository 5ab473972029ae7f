//! Capped exponential backoff with full jitter, for reconnecting to the control plane.

use crate::core::rng::Rng;
use std::time::Duration;

/// Capped exponential backoff with full jitter: the n-th wait is uniform in
/// [0, min(cap, base·2ⁿ)], so that a room of consoles does not reconnect in lockstep.
#[derive(Clone, Debug)]
pub struct Backoff {
    attempt: u32,
    rng: Rng,
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    #[must_use]
    pub fn new(seed: u64) -> Backoff {
        Backoff {
            attempt: 0,
            rng: Rng::new(seed),
            base: Duration::from_millis(100),
            cap: Duration::from_secs(5),
        }
    }

    /// The ceiling of the next wait (before jitter).
    #[must_use]
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        ceiling.mul_f64(self.rng.unit())
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    #[must_use]
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_with_full_jitter() {
        let mut b = Backoff::new(3);
        let ceilings: Vec<u128> = (0..8)
            .map(|_| {
                let c = b.ceiling();
                let d = b.next_delay();
                assert!(d <= c);
                c.as_millis()
            })
            .collect();
        assert_eq!(ceilings, vec![100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        b.reset();
        assert_eq!(b.ceiling().as_millis(), 100);
        // Full jitter: over many draws the waits spread over the whole range.
        let mut b = Backoff::new(9);
        for _ in 0..6 {
            b.next_delay();
        }
        let draws: Vec<Duration> = (0..200).map(|_| b.next_delay()).collect();
        assert!(
            draws.iter().any(|d| d.as_millis() < 1000)
                && draws.iter().any(|d| d.as_millis() > 4000)
        );
    }
}
