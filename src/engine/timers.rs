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

    /// The timers a timeout at `now` ends, and the latest of their deadlines: each timer due by `now`, and the
    /// policy's check also up to [`EARLY_MS`] before its deadline (it is armed a little after the instant the
    /// policy changes; a host's timer counts a duration while the inputs carry the wall clock). When none is due,
    /// the host's timer fired before the deadline by that clock: if the clock moved back since the earliest was
    /// armed, that one ends, as the host was told to wait for it; else nothing ends and the host arms its timer
    /// again (Playwright's fake clock fires early: ending the earliest anyway cut a silent renewal's wait short,
    /// its frame dropped as it opened). A retry never comes before its backoff.
    fn due(&self, now: Instant) -> Option<([bool; Timer::COUNT], Instant)> {
        let first = self.earliest()?;
        let mut due = [false; Timer::COUNT];
        let mut until = None::<Instant>;
        for t in Timer::ALL {
            let Some(at) = self.0[t as usize] else { continue };
            let moved_back = at == first && self.2[t as usize].is_some_and(|armed| now < armed);
            if at <= now || (t == Timer::Check && at <= now.plus_ms(EARLY_MS)) || moved_back {
                due[t as usize] = true;
                until = Some(until.map_or(at, |u| u.max(at)));
            }
        }
        let any_by_time = Timer::ALL.iter().any(|&t| due[t as usize] && self.0[t as usize].is_some_and(|at| at <= now || t == Timer::Check));
        if !any_by_time {
            // Only the earliest ends on a clock that moved back.
            for t in Timer::ALL {
                due[t as usize] = due[t as usize] && self.0[t as usize] == Some(first);
            }
            until = due.iter().any(|d| *d).then_some(first);
        }
        until.map(|u| (due, u))
    }

    /// The time of the input being handled (what a timer armed now is armed at). A clock that moved back
    /// moves every deadline back as far: the host's timer counts a duration, so a backoff or a wait must not
    /// grow by the jump (oss-sim seed 1088991: the clock went back 77 min during a 60 s Retry-After, and the
    /// retry was armed 77 min away). What passed between the last input and the jump cannot be told, so a wait
    /// ends at most that much late, never early; a timer the host armed before the jump still ends when it
    /// fires (the clock moved back since it was armed, see `due`).
    pub(super) fn saw(&mut self, now: Instant) {
        if let Some(back) = self.1.map(|prev| prev.ms_since(now)).filter(|b| *b > 0.0) {
            for at in self.0.iter_mut().flatten() {
                *at = at.plus_ms(-back);
            }
        }
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
        self.timers.due(now).is_some_and(|(due, _)| due[t as usize])
    }

    pub(super) fn set_timer(&mut self, t: Timer, at: Option<Instant>) {
        self.timers.0[t as usize] = at;
        self.timers.2[t as usize] = at.and(self.timers.1);
    }

    /// The host's timer fired: the timers due then are disarmed and handled, earliest first, each at most once
    /// (one that a handler disarms or re-arms for later is not handled now).
    pub(super) fn timeout(&mut self, now: Instant) {
        let Some((mut due, until)) = self.timers.due(now) else { return };
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
