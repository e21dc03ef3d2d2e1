//! The engine's timers, quinn-style: a private table of deadlines. The host never arms a particular timer; it
//! asks [`Engine::poll_timeout`] for the next deadline after every input, arms one timer for it, and feeds
//! [`Input::Timeout`](super::Input::Timeout) when it fires. Which timers that ends is decided here.

use super::io::{Instant, Timer};
use super::Engine;

/// One deadline per [`Timer`]; re-arming replaces it.
#[derive(Debug, Default)]
pub(super) struct Timers([Option<Instant>; Timer::COUNT]);

impl Timers {
    fn earliest(&self) -> Option<Instant> {
        self.0.iter().flatten().copied().reduce(Instant::min)
    }

    /// The timers a timeout at `now` ends, earliest first: every one due by `now`; or, when none is (the host's
    /// timer counts a duration and the clock the inputs are stamped with moved back, or fired a little early),
    /// the earliest, as the host was told to wait for it.
    fn due(&self, now: Instant) -> Vec<Timer> {
        let Some(first) = self.earliest() else { return Vec::new() };
        let until = now.max(first);
        let mut due: Vec<(Instant, Timer)> =
            Timer::ALL.iter().filter_map(|&t| self.0[t as usize].filter(|at| *at <= until).map(|at| (at, t))).collect();
        due.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(core::cmp::Ordering::Equal));
        due.into_iter().map(|(_, t)| t).collect()
    }
}

impl Engine {
    /// When the host should feed [`Input::Timeout`](super::Input::Timeout) next (by the clock the inputs are
    /// stamped with), or `None`: no timer is armed. Ask after every [`Engine::handle`]; a new answer replaces
    /// the timer armed for the previous one.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.earliest()
    }

    /// The deadline of one timer (for traces, the simulator's bookkeeping and tests; hosts need only
    /// [`Engine::poll_timeout`]).
    pub fn deadline(&self, t: Timer) -> Option<Instant> {
        self.timers.0[t as usize]
    }

    /// The timers an [`Input::Timeout`](super::Input::Timeout) at `now` would end, earliest first.
    pub fn timers_due(&self, now: Instant) -> Vec<Timer> {
        self.timers.due(now)
    }

    pub(super) fn set_timer(&mut self, t: Timer, at: Option<Instant>) {
        self.timers.0[t as usize] = at;
    }

    /// The host's timer fired: each due timer is disarmed and handled, each at most once (a handler that
    /// disarms or re-arms a later one in the list is seen: it is not handled now).
    pub(super) fn timeout(&mut self, now: Instant) {
        let due = self.timers.due(now);
        let Some(until) = self.timers.earliest().map(|first| now.max(first)) else { return };
        for t in due {
            match self.timers.0[t as usize] {
                Some(at) if at <= until => self.timers.0[t as usize] = None,
                _ => continue,
            }
            match t {
                Timer::Check => self.check(now),
                Timer::RefreshRetry => self.retry_refresh(now),
                Timer::SaveRetry => self.retry_save(now),
                Timer::Handover => self.handover_over(now),
                Timer::Silent => self.silent_timer(now),
            }
        }
    }
}
