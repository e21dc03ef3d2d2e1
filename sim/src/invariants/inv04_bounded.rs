//! Invariant 4: bounded: calls settle, retries keep `MAX_TRIES`, backoff, `Retry-After` and the cool-down;
//! no loops. (The scheduler's `run_until_quiet` also fails a run that never becomes quiet or takes too many steps.)

use crate::*;

/// Invariant 4's bound on one app call, in awake simulated time: two flights (the due one and the 401 one),
/// each at most a lock wait plus MAX_TRIES token requests that time out plus two Retry-After waits (capped
/// at 60 s by the engine), plus storage and API latency. Anything slower is a hang.
const CALL_BOUND_MS: f64 =
    2.0 * (LOCK_WAIT_MS as f64 + MAX_TRIES as f64 * TOKEN_TIMEOUT_MS as f64 + 2.0 * 60_000.0) + 60_000.0;
/// Invariant 4: at most this many inputs to one tab within one simulated second (a timer or message loop).
const LOOP_INPUTS_PER_S: u32 = 2_000;

impl World {
    /// Invariant 4 (no loop): at most LOOP_INPUTS_PER_S inputs per tab per simulated second. False: a loop.
    pub(crate) fn inv4_count_input(&mut self, tab: usize) -> bool {
        let now = self.now;
        let w = &mut self.tabs[tab].inputs_window;
        if now - w.0 >= 1000.0 {
            *w = (now, 0);
        }
        w.1 += 1;
        if w.1 > LOOP_INPUTS_PER_S {
            self.fail(Inv::Bounded, format!("tab{tab} got more than {LOOP_INPUTS_PER_S} inputs within one simulated second (loop)"));
            return false;
        }
        true
    }

    /// Invariant 4 (retry bounds), per tab. A send caused by the Backoff timer is a retry: at most MAX_TRIES-1
    /// retries follow a first attempt, and each comes no earlier than the engine's backoff for that attempt
    /// (Retry-After when given, capped at 60 s) after the failure it retries. A first attempt caused by the
    /// Check timer or a wake-up (not by the app) comes no earlier than COOLDOWN_MS after the last give-up
    /// (MAX_TRIES transient failures or a lock timeout), nor earlier than the last failure's Retry-After, unless
    /// the tab's clock jumped meanwhile.
    pub(crate) fn inv4_check_token_send(&mut self, tab: usize, retry: bool, nonce_retry: bool, cause: Cause) {
        let now = self.now;
        let t = &mut self.tabs[tab];
        let mut violation = None;
        if retry {
            t.retry_run += 1;
            if t.retry_run > MAX_TRIES - 1 {
                violation = Some(format!("tab{tab} retried a refresh {} times in a row (MAX_TRIES={MAX_TRIES})", t.retry_run));
            }
            if t.fails_in_flight >= 1 {
                let wait = backoff_ms(t.fails_in_flight - 1, t.last_fail_ra);
                if now + 1e-6 < t.last_fail_at + wait {
                    violation = Some(format!(
                        "tab{tab} retried {:.0} ms after a failure; the backoff (Retry-After {:?}) is {wait:.0} ms",
                        now - t.last_fail_at,
                        t.last_fail_ra
                    ));
                }
            }
        } else if !nonce_retry {
            t.retry_run = 0;
            t.fails_in_flight = 0;
            if matches!(cause, Cause::Check | Cause::Wake) && now + 1e-6 < t.auto_not_before && t.last_clock_jump < t.last_fail_at {
                violation = Some(format!(
                    "tab{tab} refreshed on its own {:.1} s before {} allowed it",
                    (t.auto_not_before - now) / 1000.0,
                    t.auto_reason
                ));
            }
        }
        if let Some(v) = violation {
            self.fail(Inv::Bounded, v);
        }
    }

    /// Invariant 4: a token answer reached the tab: a success ends the failure run and the cool-down.
    pub(crate) fn inv4_answer_ok(&mut self, tab: usize) {
        let t = &mut self.tabs[tab];
        t.fails_in_flight = 0;
        t.auto_not_before = 0.0;
    }

    /// Invariant 4: a transient failure counts towards the retry run, its Retry-After and a give-up's
    /// cool-down bound the next attempt the tab makes on its own.
    pub(crate) fn inv4_answer_err(&mut self, tab: usize, e: &Error) {
        let now = self.now;
        let t = &mut self.tabs[tab];
        if e.retryable {
            t.fails_in_flight += 1;
            t.last_fail_at = now;
            t.last_fail_ra = e.retry_after_s;
            if let Some(ra) = e.retry_after_s {
                let until = now + ra.min(60) as f64 * 1000.0;
                if until > t.auto_not_before {
                    t.auto_not_before = until;
                    t.auto_reason = "the server's Retry-After";
                }
            }
            if t.fails_in_flight >= MAX_TRIES && now + COOLDOWN_MS > t.auto_not_before {
                t.auto_not_before = now + COOLDOWN_MS;
                t.auto_reason = "the cool-down after a refresh gave up";
            }
        }
    }

    /// Invariant 4 (bounded): every pending app call of an open tab is younger than CALL_BOUND_MS of awake
    /// time (time the tab spent frozen does not count), and no tab holds the lock longer than that.
    pub(crate) fn check_bounds(&mut self) {
        let now = self.now;
        for (i, t) in self.tabs.iter().enumerate() {
            if !t.open {
                continue;
            }
            for (id, c) in &t.calls {
                let asleep = t.frozen_total - c.frozen_at_start;
                if t.frozen_until.is_none() && now - c.start - asleep > CALL_BOUND_MS {
                    let msg = format!("tab{i} call #{id} ({:?}) pending for {:.0} s", c.kind, (now - c.start) / 1000.0);
                    self.failure.get_or_insert((Inv::Bounded, msg));
                    return;
                }
            }
        }
        if let Some(h) = self.lock.holder {
            let t = &self.tabs[h];
            if t.frozen_until.is_none() && now - self.lock.held_since - (t.frozen_total - self.lock.frozen_at_grant) > CALL_BOUND_MS {
                let msg = format!("tab{h} has held the lock for {:.0} s", (now - self.lock.held_since) / 1000.0);
                self.failure.get_or_insert((Inv::Bounded, msg));
            }
        }
    }
}
