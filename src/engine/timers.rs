//! The engine's timers, quinn-style: a private table of deadlines. The host never arms a particular timer; it
//! asks [`Engine::poll_timeout`] for the next deadline after every input, arms one timer for it, and feeds
//! [`Input::Timeout`](super::Input::Timeout) when it fires. Which timers that ends is decided here.

use super::io::{Instant, Timer};
use super::Engine;

/// How early by the wall clock a host's timer may fire and still end the timers due then.
const EARLY_MS: f64 = 10.0;

/// One deadline per [`Timer`]; re-arming replaces it. Also the time of the input being handled, and for each
/// timer the time it was armed at (a clock that moved back since then makes the host's timer fire "early").
#[derive(Debug, Default)]
pub(super) struct Timers([Option<Instant>; Timer::COUNT], Option<Instant>, [Option<Instant>; Timer::COUNT]);

impl Timers {
    fn earliest(&self) -> Option<Instant> {
        let mut first: Option<Instant> = None;
        for at in self.0.iter().flatten() {
            if first.is_none_or(|f| *at < f) {
                first = Some(*at);
            }
        }
        first
    }

    /// The moment a timeout at `now` reaches: every timer due within [`EARLY_MS`] of `now` (a timer counts a
    /// duration, the inputs are stamped with the wall clock: they drift by a few ms). When none is, the host's
    /// timer fired before the deadline by that clock: if the clock moved back since the earliest was armed, it
    /// ends, as the host was told to wait for it; else nothing ends and the host arms its timer again
    /// (Playwright's fake clock fires early: ending the earliest anyway cut a silent renewal's wait short, its
    /// frame dropped as it opened).
    fn reach(&self, now: Instant) -> Option<Instant> {
        let first = self.earliest()?;
        let soon = now.plus_ms(EARLY_MS);
        let moved_back = Timer::ALL.iter().any(|&t| self.0[t as usize] == Some(first) && self.2[t as usize].is_some_and(|armed| now < armed));
        (first <= soon).then_some(soon).or(moved_back.then_some(first))
    }

    /// The time of the input being handled (what a timer armed now is armed at).
    pub(super) fn saw(&mut self, now: Instant) {
        self.1 = Some(now);
    }

    /// The earliest timer among `among` armed for `until` or before.
    fn next_due(&self, until: Instant, among: &[bool; Timer::COUNT]) -> Option<Timer> {
        let mut next: Option<(Instant, Timer)> = None;
        for t in Timer::ALL {
            if let Some(at) = self.0[t as usize].filter(|at| among[t as usize] && *at <= until) {
                if next.is_none_or(|(n, _)| at < n) {
                    next = Some((at, t));
                }
            }
        }
        next.map(|(_, t)| t)
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

    /// Whether an [`Input::Timeout`](super::Input::Timeout) at `now` would end timer `t`.
    pub fn timer_due(&self, t: Timer, now: Instant) -> bool {
        self.timers.reach(now).is_some_and(|until| self.timers.0[t as usize].is_some_and(|at| at <= until))
    }

    pub(super) fn set_timer(&mut self, t: Timer, at: Option<Instant>) {
        self.timers.0[t as usize] = at;
        self.timers.2[t as usize] = at.and(self.timers.1);
    }

    /// The host's timer fired: the timers due then are disarmed and handled, earliest first, each at most once
    /// (one that a handler disarms or re-arms for later is not handled now).
    pub(super) fn timeout(&mut self, now: Instant) {
        let Some(until) = self.timers.reach(now) else { return };
        let mut due = [false; Timer::COUNT];
        for t in Timer::ALL {
            due[t as usize] = self.timers.0[t as usize].is_some_and(|at| at <= until);
        }
        while let Some(t) = self.timers.next_due(until, &due) {
            due[t as usize] = false;
            self.timers.0[t as usize] = None;
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
