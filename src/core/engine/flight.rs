//! The one refresh in flight. Every caller in a tab joins it; across tabs that share storage it runs under an
//! exclusive lock and re-reads storage first, so a tab that waited uses the winner's tokens instead of
//! spending a single-use refresh token twice. Failures split into terminal (the session ends, `expired`) and
//! transient (the tokens stay; the *same* refresh token is retried with backoff — RingCentral's grace window
//! replays the same pair, so a lost response is recovered).

#[allow(unused_imports)]
use crate::core::prelude::*;

use super::lifecycle::{no_refresh_token, Accepted, AfterForget, Op};
use super::{
    login_required, CallId, Command, Engine, Notice, SessionEvent, TimerId, Value, COOLDOWN_MS, LOCK_WAIT_MS,
    MAX_TRIES, TOKEN_TIMEOUT_MS,
};
use crate::core::{backoff_ms, refresh_form, Decision, Error, ErrorCode, Secret, TokenSet};

/// Why a refresh is wanted. Checked again when the flight runs (under the lock): another tab, or a broadcast
/// that arrived meanwhile, may already have made it unnecessary.
#[derive(Clone, Debug)]
pub(super) enum Why {
    /// The policy says so (expiry near or past): skip if the tokens are fresh by then.
    Due,
    /// The server answered 401 to this access token: skip if it is no longer the current one.
    Rejected(Secret),
    /// The app called `session.refresh()`.
    Forced,
}

/// Who waits for the flight, and what happens to it when the flight lands.
#[derive(Clone, Debug)]
pub(super) enum Waiter {
    /// The timer or a wake-up.
    None,
    /// `session.refresh()`: settles with the flight's result.
    App(CallId),
    /// A fetch whose token was due: sent if a token is valid by then, else rejected.
    Due(CallId),
    /// A fetch that got a 401: sent once more with the current token, or rejected.
    Rejected(CallId),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    Locking,
    Rereading,
    Sending,
    Backoff,
    /// The answer is being stored (or storage cleared after a terminal error).
    Landing,
    /// A terminal error: one last look at storage for another tab's newer tokens.
    LastLook,
}

#[derive(Debug)]
pub(super) struct Flight {
    stage: Stage,
    forced: bool,
    due: bool,
    rejected: Vec<Secret>,
    waiters: Vec<Waiter>,
    locked: bool,
    attempt: u32,
    /// The refresh token being spent, and the session generation it belongs to.
    spending: Option<(Secret, u32)>,
    base: Option<TokenSet>,
    terminal: Option<Error>,
}

impl Flight {
    fn add(&mut self, why: Why, waiter: Waiter) {
        match why {
            Why::Due => self.due = true,
            Why::Forced => self.forced = true,
            Why::Rejected(t) => self.rejected.push(t),
        }
        if !matches!(waiter, Waiter::None) {
            self.waiters.push(waiter);
        }
    }
}

impl Engine {
    /// Refreshes, or joins the refresh already in flight.
    pub(super) fn join_flight(&mut self, now: f64, why: Why, waiter: Waiter) {
        if let Some(f) = &mut self.flight {
            f.add(why, waiter);
            return;
        }
        let mut f = Flight {
            stage: Stage::Locking,
            forced: false,
            due: false,
            rejected: Vec::new(),
            waiters: Vec::new(),
            locked: false,
            attempt: 0,
            spending: None,
            base: None,
            terminal: None,
        };
        f.add(why, waiter);
        self.flight = Some(f);
        if self.caps.shared && self.caps.locks {
            let name = self.cfg.lock_name();
            self.push(Command::Lock { name, timeout_ms: LOCK_WAIT_MS });
        } else {
            self.under_lock(now);
        }
    }

    fn stage(&self) -> Option<Stage> {
        self.flight.as_ref().map(|f| f.stage)
    }

    fn set_stage(&mut self, s: Stage) {
        if let Some(f) = &mut self.flight {
            f.stage = s;
        }
    }

    pub(super) fn lock_granted(&mut self, now: f64) {
        match &mut self.flight {
            Some(f) if f.stage == Stage::Locking => {
                f.locked = true;
                self.under_lock(now);
            }
            // Granted with no flight waiting for it (cannot happen in order; be safe): give it back.
            _ => self.push(Command::Unlock),
        }
    }

    pub(super) fn lock_timed_out(&mut self, now: f64) {
        if self.stage() == Some(Stage::Locking) {
            let e = Error::with(ErrorCode::LockTimeout, "waited too long for another tab's refresh").with_retryable(true);
            self.cooldown_until = now + COOLDOWN_MS;
            self.flight_done(now, Err(e));
        }
    }

    /// The flight's body, under the lock when storage is shared.
    fn under_lock(&mut self, now: f64) {
        if self.caps.shared {
            // Another tab may have refreshed while we waited for the lock: take its tokens first.
            self.set_stage(Stage::Rereading);
            let op = self.new_op(Op::Flight);
            self.push(Command::Load { op });
        } else {
            self.decide_need(now);
        }
    }

    pub(super) fn flight_loaded(&mut self, now: f64, result: Result<Option<TokenSet>, Error>) {
        match self.stage() {
            Some(Stage::Rereading) => {
                match result {
                    Ok(Some(stored)) => {
                        if Some(&stored.access_token) != self.current_access() && !self.is_dead(&stored) {
                            let stored = self.cfg.keep_allowed(stored);
                            self.adopt(now, stored, SessionEvent::Refresh);
                        }
                    }
                    Ok(None) if self.tokens.is_some() => {
                        // Another tab logged out or saw the session end, and cleared storage while we waited
                        // (its broadcast may still be on its way, or never come): our refresh token is spent or
                        // revoked, and sending it would only earn an invalid_grant. Follow storage.
                        self.storage_emptied();
                        return self.flight_done(now, Err(login_required(None)));
                    }
                    _ => {}
                }
                self.decide_need(now);
            }
            Some(Stage::LastLook) => {
                let used = self.flight.as_ref().and_then(|f| f.spending.clone()).map(|(rt, _)| rt);
                if let Ok(Some(stored)) = result {
                    // Another tab's refresh beat ours (or ran where Web Locks are missing): adopt its tokens
                    // instead of logging everyone out.
                    let newer = stored.refresh_token.is_some() && stored.refresh_token != used;
                    let usable = crate::core::decide(Some(&stored), now, 0) != Decision::LoginRequired;
                    if newer && usable && !self.is_dead(&stored) {
                        let stored = self.cfg.keep_allowed(stored);
                        self.adopt(now, stored, SessionEvent::Refresh);
                        self.flight_done(now, Ok(()));
                        return;
                    }
                }
                let e = self.flight.as_mut().and_then(|f| f.terminal.take()).unwrap_or_else(|| login_required(None));
                self.end_after_terminal(e);
            }
            _ => {}
        }
    }

    /// Whether the reasons still hold now that the flight runs; then spend the refresh token.
    fn decide_need(&mut self, now: f64) {
        let Some(f) = &self.flight else { return };
        let current = self.current_access();
        let needed = f.forced
            || (f.due && self.decision(now) != Decision::Fresh)
            || current.is_some_and(|c| f.rejected.contains(c));
        if !needed {
            return self.flight_done(now, Ok(())); // the current tokens already answer the need: send nothing
        }
        let Some(base) = self.tokens.clone() else {
            return self.flight_done(now, Err(login_required(None)));
        };
        let Some(rt) = base.refresh_token.clone() else {
            return self.flight_done(now, Err(no_refresh_token()));
        };
        let generation = self.generation;
        if let Some(f) = &mut self.flight {
            f.spending = Some((rt, generation));
            f.base = Some(base);
        }
        self.send_refresh();
    }

    fn send_refresh(&mut self) {
        let Some(f) = &mut self.flight else { return };
        let Some((rt, _)) = &f.spending else { return };
        f.stage = Stage::Sending;
        let form = refresh_form(&self.cfg, rt);
        let url = self.cfg.token_url();
        self.push(Command::SendToken { url, form, timeout_ms: TOKEN_TIMEOUT_MS });
    }

    pub(super) fn backoff_over(&mut self, _now: f64) {
        if self.stage() == Some(Stage::Backoff) {
            self.send_refresh();
        }
    }

    pub(super) fn token_reply(&mut self, now: f64, result: Result<TokenSet, Error>) {
        if self.stage() != Some(Stage::Sending) {
            return;
        }
        let Some(f) = &mut self.flight else { return };
        let same_session = f.spending.as_ref().is_some_and(|(_, g)| *g == self.generation);
        if !same_session {
            // Logged out (or in again) meanwhile: this answer belongs to a session that is gone.
            return self.flight_done(now, Err(login_required(None)));
        }
        match result {
            Ok(mut t) => {
                if t.refresh_token.is_none() {
                    // RFC 6749 §6: a server need not rotate; the refresh token we spent stays valid.
                    if let Some(b) = &f.base {
                        t.refresh_token = b.refresh_token.clone();
                        t.refresh_expires_at_ms = b.refresh_expires_at_ms;
                    }
                }
                f.stage = Stage::Landing;
                self.accept(t, Accepted::Refresh);
            }
            Err(e) if e.retryable => {
                f.attempt += 1;
                let attempt = f.attempt;
                if e.code == ErrorCode::RateLimited {
                    self.emit(SessionEvent::RateLimit(e.clone()));
                }
                if attempt >= MAX_TRIES {
                    self.emit(SessionEvent::RefreshError(e.clone()));
                    // The cool-down also honours the last answer's Retry-After (capped as in the backoff).
                    self.cooldown_until = now + COOLDOWN_MS.max(backoff_ms(0, e.retry_after_s));
                    return self.flight_done(now, Err(e));
                }
                self.set_stage(Stage::Backoff);
                let at = now + backoff_ms(attempt - 1, e.retry_after_s);
                self.set_timer(TimerId::Backoff, Some(at));
            }
            Err(e) => {
                if self.caps.shared {
                    f.terminal = Some(e);
                    f.stage = Stage::LastLook;
                    let op = self.new_op(Op::Flight);
                    self.push(Command::Load { op });
                } else {
                    self.end_after_terminal(e);
                }
            }
        }
    }

    fn end_after_terminal(&mut self, e: Error) {
        self.set_stage(Stage::Landing);
        self.emit(SessionEvent::RefreshError(e.clone()));
        let event = SessionEvent::Expired(Some(e.clone()));
        self.forget(event, Some(Notice::Expired), AfterForget::FailFlight(e));
    }

    /// The flight landed: the lock goes back, every waiter continues, and the policy timer is re-armed.
    pub(super) fn flight_done(&mut self, now: f64, result: Result<(), Error>) {
        let Some(f) = self.flight.take() else { return };
        if f.locked {
            self.push(Command::Unlock);
        }
        self.set_timer(TimerId::Backoff, None);
        for w in f.waiters {
            match w {
                Waiter::None => {}
                Waiter::App(call) => self.settle(call, result.clone().map(|_| Value::Unit)),
                Waiter::Due(call) => {
                    if self.valid_now(now) {
                        self.send_current(call, false);
                    } else {
                        let e = result.clone().err().unwrap_or_else(|| login_required(None));
                        self.settle(call, Err(e));
                    }
                }
                Waiter::Rejected(call) => match (&result, self.tokens.is_some()) {
                    (Ok(()), true) => self.send_current(call, true),
                    (Err(e), _) => self.settle(call, Err(e.clone())),
                    (Ok(()), false) => self.settle(call, Err(login_required(None))),
                },
            }
        }
        self.check(now);
    }
}
