//! The server clock: real wall time plus a test-controlled offset.
//! Every expiry (codes, tokens, grace windows, rate-limit penalties) is judged
//! against this clock, so tests can "wait an hour" instantly and deterministically.
//! A simulator that drives the grant logic as a library pins it to its own virtual time instead.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Default, Clone)]
pub struct Clock {
    offset_ms: i64,
    /// When set, the clock reads this virtual time (plus the offset) instead of wall time.
    pinned_ms: Option<i64>,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        let base = self.pinned_ms.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0)
        });
        base + self.offset_ms
    }

    /// Moves the clock forward (fractional seconds allowed; negative values are ignored
    /// so time never runs backwards under a test's feet).
    pub fn advance(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds > 0.0 {
            self.offset_ms += (seconds * 1000.0).round() as i64;
        }
    }

    /// Replaces wall time by a virtual time of `ms` (Unix milliseconds); the caller moves it on.
    /// The real server never calls this.
    pub fn pin(&mut self, ms: i64) {
        self.pinned_ms = Some(ms);
    }
}

/// Converts a (possibly fractional) number of seconds from the config into milliseconds.
pub fn secs_to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_clock_reads_virtual_time_plus_offset() {
        let mut c = Clock::default();
        c.pin(1_000);
        assert_eq!(c.now_ms(), 1_000);
        c.advance(2.5);
        assert_eq!(c.now_ms(), 3_500);
        c.pin(10_000);
        assert_eq!(c.now_ms(), 12_500);
    }
}
