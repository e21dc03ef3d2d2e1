//! RingCentral's "Auth" rate-limit group: 5 requests per sliding 60 s window per
//! (user, app); exceeding it starts a 60 s penalty that restarts with every request
//! made during the penalty.

use std::collections::{HashMap, VecDeque};

pub const AUTH_LIMIT: usize = 5;
pub const WINDOW_S: i64 = 60;
pub const PENALTY_S: i64 = 60;

#[derive(Debug, Default)]
struct Bucket {
    hits: VecDeque<i64>,
    penalty_until: Option<i64>,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: HashMap<String, Bucket>,
}

/// Outcome of one request against the limiter.
#[derive(Debug, Clone, Copy)]
pub enum Verdict {
    Allowed { remaining: usize },
    Limited { retry_after_s: i64 },
}

impl RateLimiter {
    /// Counts one request for `key` at `now_ms`. When `enabled` is false nothing is recorded.
    pub fn hit(&mut self, key: &str, now_ms: i64, enabled: bool) -> Verdict {
        if !enabled {
            return Verdict::Allowed {
                remaining: AUTH_LIMIT,
            };
        }
        let b = self.buckets.entry(key.to_string()).or_default();
        if let Some(until) = b.penalty_until {
            if now_ms < until {
                b.penalty_until = Some(now_ms + PENALTY_S * 1000);
                return Verdict::Limited {
                    retry_after_s: PENALTY_S,
                };
            }
            b.penalty_until = None;
            b.hits.clear();
        }
        while b
            .hits
            .front()
            .is_some_and(|&t| t <= now_ms - WINDOW_S * 1000)
        {
            b.hits.pop_front();
        }
        if b.hits.len() >= AUTH_LIMIT {
            b.penalty_until = Some(now_ms + PENALTY_S * 1000);
            return Verdict::Limited {
                retry_after_s: PENALTY_S,
            };
        }
        b.hits.push_back(now_ms);
        Verdict::Allowed {
            remaining: AUTH_LIMIT - b.hits.len(),
        }
    }
}
