//! The server clock: real wall time plus a test-controlled offset.
//! Every expiry (codes, tokens, grace windows, rate-limit penalties) is judged
//! against this clock, so tests can "wait an hour" instantly and deterministically.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Default, Clone)]
pub struct Clock {
    offset_ms: i64,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        real + self.offset_ms
    }

    /// Moves the clock forward (fractional seconds allowed; negative values are ignored
    /// so time never runs backwards under a test's feet).
    pub fn advance(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds > 0.0 {
            self.offset_ms += (seconds * 1000.0).round() as i64;
        }
    }
}

/// Converts a (possibly fractional) number of seconds from the config into milliseconds.
pub fn secs_to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}
