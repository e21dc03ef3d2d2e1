//! Silent renewal: a session that cannot refresh (no refresh token, RingCentral's SPA default) logs in again
//! without interaction, `refreshMarginSeconds` before its access token expires, by a `prompt=none` authorize
//! request that the server answers from its own login cookie. The decisions are here:
//!
//! * when: the policy says `Expiring` (inside the margin, nothing to refresh with) and `silentRenew` is on;
//! * at most once per access token (the timer and every `session.fetch` ask; only the first starts one), unless
//!   the app calls `session.renew()`;
//! * across tabs sharing storage: under the refresh lock, after a re-read, so one tab renews and the others
//!   adopt what it stored;
//! * bounded: [`TimerId::Silent`] (`silentTimeoutSeconds`) ends a renewal that got no answer;
//! * any failure (`login_required`, `interaction_required`, `consent_required`, a timeout, a failed exchange)
//!   falls back to what happens without it: `expiring` now, `expired` at expiry. No retry loop.

use super::lifecycle::{Accepted, Op};
use super::owner::owner_changed;
use super::{login_required, session_over, CallId, Command, Engine, Input, Notice, SessionEvent, TimerId, Value};
use crate::protocol::{Decision, Error, ErrorCode, Lineage, TokenSet};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    Locking,
    Rereading,
    /// The iframe is out; waiting for [`Input::SilentDone`] or the timer.
    Waiting,
    /// Shared storage: a look before the new pair is written, in case another login was stored meanwhile.
    PreSave,
    /// The new pair is being stored.
    Landing,
}

#[derive(Debug)]
pub(super) struct Silent {
    stage: Stage,
    /// `session.renew()` calls waiting for it.
    waiters: Vec<CallId>,
    /// Asked for by the app: runs even when the tokens are fresh by the time it holds the lock.
    forced: bool,
    locked: bool,
    /// The session generation it renews: an answer for a session that is gone (logout, another login) is dropped.
    generation: u32,
    /// The engine's logout count at the start: an answer after a logout is revoked (see `Engine::logouts`).
    logouts: u32,
    /// The session generation when the re-read under the lock (or the look before the write) was asked for.
    read_gen: u32,
    /// The login (its lineage's login time) it renews, NaN from logged out: a pair of another login adopted
    /// meanwhile (taken from storage, same user) is not the session it renews either.
    login: f64,
    /// The answer waiting for the look before it is written.
    answer: Option<(TokenSet, Accepted)>,
}

impl Engine {
    /// The policy said `Expiring`: renew silently once for this access token, else tell the app.
    pub(super) fn expiring_due(&mut self, now: f64) {
        if self.silent.is_some() {
            return; // one at a time; `expiring` waits for its outcome
        }
        let untried = self.tokens.as_ref().is_some_and(|t| t.expires_at_ms != self.silent_tried_for);
        if !(self.cfg.silent_renew && untried) {
            return self.note_expiring();
        }
        if self.flight.is_some() {
            return; // the flight holds the lock; its end re-checks
        }
        self.start_silent(now, None, false);
    }

    /// `session.renew()`: a refresh when there is a refresh token, else a silent renewal (also when logged out:
    /// a live login at the server logs the session in).
    pub(super) fn renew(&mut self, now: f64, call: CallId) {
        let can_refresh = self.tokens.as_ref().is_some_and(|t| t.refresh_token.is_some());
        if can_refresh || self.flight.is_some() {
            return self.join_flight(now, super::flight::Why::Forced, super::flight::Waiter::App(call));
        }
        self.start_silent(now, Some(call), true);
    }

    fn start_silent(&mut self, now: f64, waiter: Option<CallId>, forced: bool) {
        if self.logout.is_some() {
            // The session is ending: no renewal of it (nor a silent login that the logout would end).
            if let Some(call) = waiter {
                self.settle(call, Err(login_required(None)));
            }
            return;
        }
        if let Some(s) = &mut self.silent {
            s.waiters.extend(waiter);
            s.forced |= forced;
            return;
        }
        if let Some(t) = &self.tokens {
            self.silent_tried_for = t.expires_at_ms;
        }
        self.silent =
            Some(Silent {
                stage: Stage::Locking,
                waiters: waiter.into_iter().collect(),
                forced,
                locked: false,
                generation: self.generation,
                logouts: self.logouts,
                read_gen: 0,
                answer: None,
                login: self.tokens.as_ref().map_or(f64::NAN, |t| t.lineage.since_ms),
            });
        if !self.ask_lock() {
            self.silent_under_lock(now);
        }
    }

    fn silent_stage(&self) -> Option<Stage> {
        self.silent.as_ref().map(|s| s.stage)
    }

    fn set_silent_stage(&mut self, stage: Stage) {
        if let Some(s) = &mut self.silent {
            s.stage = stage;
        }
    }

    /// For a logout, as [`Engine::flight_lock`]: the renewal's lock is handed over, or its request is.
    pub(super) fn silent_lock_handover(&mut self) -> Option<bool> {
        let s = self.silent.as_mut()?;
        if s.locked {
            s.locked = false;
            return Some(true);
        }
        (s.stage == Stage::Locking).then_some(false)
    }

    /// Whether a lock answer is the silent renewal's (a flight and a silent renewal never wait for it together).
    pub(super) fn silent_wants_lock(&self) -> bool {
        self.silent_stage() == Some(Stage::Locking)
    }

    pub(super) fn silent_lock(&mut self, now: f64, granted: bool) {
        if !granted {
            let e = Error::with(ErrorCode::LockTimeout, "waited too long for another tab's renewal").with_retryable(true);
            return self.silent_done(now, Err(e));
        }
        if let Some(s) = &mut self.silent {
            s.locked = true;
        }
        self.silent_under_lock(now);
    }

    fn silent_under_lock(&mut self, now: f64) {
        if self.coordinated() {
            // Another tab may have renewed while we waited: its pair is in storage.
            self.set_silent_stage(Stage::Rereading);
            let generation = self.generation;
            if let Some(s) = &mut self.silent {
                s.read_gen = generation;
            }
            self.read_shared(Op::Silent);
        } else {
            self.send_silent(now);
        }
    }

    pub(super) fn silent_loaded(&mut self, now: f64, result: Result<Option<TokenSet>, Error>) {
        if self.silent_stage() == Some(Stage::PreSave) {
            return self.silent_looked(now, result);
        }
        if self.silent_stage() != Some(Stage::Rereading) {
            return;
        }
        // A read asked for before this tab's own login (or logout) landed is stale: what this tab stored since is
        // newer (oss-sim seed 1088154: a renew() from logged out read storage, the login's pair was stored, and
        // the empty answer ended the new login).
        let stale = self.silent.as_ref().is_some_and(|s| s.read_gen != self.generation);
        match result {
            Ok(Some(stored)) if stale && !self.same_login(&stored) => {}
            Ok(None) if stale => {}
            Ok(Some(stored)) if self.takes_over(&stored) => {
                let stored = self.admit(stored, now);
                let event = if self.tokens.is_none() { SessionEvent::Login } else { SessionEvent::Refresh };
                let login = stored.lineage.since_ms;
                if self.adopt(now, stored, event) {
                    // Another user's login: the renewal was for a session that is gone.
                    return self.silent_done(now, Err(session_over(owner_changed())));
                }
                // Taken under the lock: from here the renewal renews that login.
                if let Some(s) = &mut self.silent {
                    s.login = login;
                }
            }
            Ok(None) if self.tokens.is_some() => {
                // Another tab ended the session while we waited: follow storage.
                self.storage_emptied();
                return self.silent_done(now, Err(login_required(None)));
            }
            Err(e) if e.code != ErrorCode::StorageUnavailable && self.tokens.is_some() => {
                return self.silent_storage_corrupt(now, e);
            }
            _ => {}
        }
        if self.logout.is_some() {
            return self.silent_done(now, Err(login_required(None)));
        }
        let forced = self.silent.as_ref().is_some_and(|s| s.forced);
        // The session it was for ended while it waited for the lock (a logout or expiry broadcast, the pair
        // over): no prompt=none frame for a session that is gone; its answer would be dropped anyway.
        let gone = self.tokens.is_none() || self.silent.as_ref().is_some_and(|s| s.generation != self.generation);
        if !forced && gone {
            return self.silent_done(now, Err(login_required(None)));
        }
        if !forced && self.decision(now) == Decision::Fresh {
            return self.silent_done(now, Ok(())); // another tab's renewal answers the need
        }
        self.send_silent(now);
    }

    fn send_silent(&mut self, now: f64) {
        // Once per pair: the one it renews, which the re-read may have replaced since the start.
        if let Some(t) = &self.tokens {
            self.silent_tried_for = t.expires_at_ms;
        }
        self.set_silent_stage(Stage::Waiting);
        self.push(Command::SilentRenew);
        let at = now + self.cfg.silent_timeout_s as f64 * 1000.0;
        self.set_timer(TimerId::Silent, Some(at));
    }

    pub(super) fn silent_timer(&mut self, now: f64) {
        if self.silent_stage() == Some(Stage::Waiting) {
            self.push(Command::CancelSilent);
            let e = Error::with(ErrorCode::Timeout, "the silent renewal got no answer in time").with_retryable(true);
            self.silent_done(now, Err(e));
        }
    }

    pub(super) fn silent_result(&mut self, now: f64, result: Result<TokenSet, Error>) {
        if self.silent_stage() != Some(Stage::Waiting) {
            return; // timed out (or the session went) already
        }
        self.set_timer(TimerId::Silent, None);
        // (oss-sim seed 9971: without a BroadcastChannel, a tab renewing login 10 took login 11 from storage after
        // a 401 — login 10 had been logged out in another tab — and wrote its renewal of login 10 over it.)
        let same_session = self.silent.as_ref().is_some_and(|s| s.generation == self.generation && self.renews_current(s));
        if self.silent.as_ref().is_some_and(|s| s.logouts != self.logouts) {
            // A logout came while the frame was out: the new pair (a new code, a new server session) would
            // revive what the user ended. The server is told; nothing is stored.
            if let Ok(t) = &result {
                self.revoke_late(t);
            }
            return self.silent_done(now, Err(login_required(None)));
        }
        match result {
            Ok(_) if !same_session => self.silent_done(now, Err(login_required(None))),
            Ok(mut t) => {
                let event = match &self.tokens {
                    // The server's login now belongs to another user: not a renewal but that user's login (a new
                    // lineage, so other tabs take it as another login too); `adopt` ends this session first.
                    Some(_) if self.other_owner(&t) => {
                        t.lineage = Lineage { since_ms: now, seq: 0 };
                        Accepted::SilentLogin
                    }
                    // A renewal continues the session it renews: other tabs take it as that session's newer pair.
                    Some(base) => {
                        t.lineage = base.lineage.next();
                        Accepted::Silent
                    }
                    None => {
                        self.generation = self.generation.wrapping_add(1);
                        t.lineage = Lineage { since_ms: now, seq: 0 };
                        Accepted::SilentLogin
                    }
                };
                if self.caps.shared {
                    let generation = self.generation;
                    if let Some(s) = &mut self.silent {
                        s.stage = Stage::PreSave;
                        s.read_gen = generation;
                        s.answer = Some((t, event));
                    }
                    let op = self.new_op(Op::Silent);
                    return self.push(Command::Load { op });
                }
                self.set_silent_stage(Stage::Landing);
                self.accept(now, t, event);
            }
            Err(e) => self.silent_done(now, Err(e)),
        }
    }

    /// Shared storage holds something unreadable (tampered) where the session should be: whether another tab
    /// logged out meanwhile cannot be told, and a renewal would mint a new pair of a login the user may have
    /// ended (oss-sim seeds 1028081, 1047205, 1066619, 1099633: without a BroadcastChannel, a logout cleared
    /// storage, a tamper followed, and a tab that had not heard renewed and wrote the logged-out login back).
    /// As at the start, corrupt storage is logged out: cleared, `expired` with the error, the others told.
    fn silent_storage_corrupt(&mut self, now: f64, e: Error) {
        let notice = self.ended_notice();
        self.forget(SessionEvent::Expired(Some(e.clone())), Some(notice), super::lifecycle::AfterForget::Nothing);
        self.silent_done(now, Err(session_over(e)))
    }

    /// The renewal is of the login this tab holds (or of none, from logged out). A silent login started from
    /// logged out is not a renewal of a login taken from another tab meanwhile (oss-sim seed 1006293: its pair,
    /// a new server session, was written as that login's, and a logout then revoked it and not that login).
    fn renews_current(&self, s: &Silent) -> bool {
        match &self.tokens {
            Some(t) => !s.login.is_nan() && t.lineage.since_ms == s.login,
            None => true,
        }
    }

    /// The look before writing the renewed pair (oss-sim seed 1131537: a tab that slept got its renewal's answer
    /// before the logout and the new login queued behind it, and wrote the old login's pair over the new one).
    /// A logout meanwhile revokes the answer; a session that changed otherwise (another login heard) drops it;
    /// a later pair of this login, or another login, stored meanwhile is taken instead of overwritten.
    fn silent_looked(&mut self, now: f64, result: Result<Option<TokenSet>, Error>) {
        let Some(s) = &mut self.silent else { return };
        let Some((ours, event)) = s.answer.take() else { return };
        if s.logouts != self.logouts {
            self.revoke_late(&ours);
            return self.silent_done(now, Err(login_required(None)));
        }
        let current = s.read_gen == self.generation;
        if !current || !self.silent.as_ref().is_some_and(|s| self.renews_current(s)) {
            return self.silent_done(now, Err(login_required(None)));
        }
        if let Err(e) = result.as_ref().map(|_| ()) {
            if e.code != ErrorCode::StorageUnavailable && self.tokens.is_some() {
                let e = e.clone();
                return self.silent_storage_corrupt(now, e);
            }
        }
        if matches!(result, Ok(None)) && self.tokens.is_some() && matches!(event, Accepted::Silent) {
            // As for a refreshed pair: another tab ended the session (a logout that did not wait for us) while
            // the frame was out; writing the renewal would revive it. Follow storage; the server ends the pair.
            self.revoke_late(&ours);
            self.storage_emptied();
            return self.silent_done(now, Err(login_required(None)));
        }
        if let Ok(Some(stored)) = result {
            let same_login = stored.lineage.since_ms == ours.lineage.since_ms;
            // As for a refreshed pair: a later pair of this login, or another login, is not overwritten.
            if (same_login && stored.lineage.seq > ours.lineage.seq) || (!same_login && self.takes_over(&stored)) {
                if self.takes_over(&stored) {
                    let stored = self.admit(stored, now);
                    let event = if self.tokens.is_none() { SessionEvent::Login } else { SessionEvent::Refresh };
                    if self.adopt(now, stored, event) {
                        return self.silent_done(now, Err(session_over(owner_changed())));
                    }
                }
                return self.silent_done(now, Ok(()));
            }
        }
        self.set_silent_stage(Stage::Landing);
        self.accept(now, ours, event);
    }

    /// The renewed pair is stored: current, announced, and the lock goes back.
    pub(super) fn silent_landed(&mut self, now: f64, tokens: TokenSet, login: bool) {
        let switched = self.adopt(now, tokens, if login { SessionEvent::Login } else { SessionEvent::Refresh });
        self.announce(if login || switched { Notice::Login } else { Notice::Refresh });
        // `renew()` asked to renew the session that just ended: it rejects (the new user's is announced as `login`).
        self.silent_done(now, if switched { Err(session_over(owner_changed())) } else { Ok(()) });
    }

    /// Ends the renewal: the lock goes back, `renew()` calls settle, and the policy runs again (after a failure
    /// it finds this token already tried and says `expiring`).
    pub(super) fn silent_done(&mut self, now: f64, result: Result<(), Error>) {
        let Some(s) = self.silent.take() else { return };
        if s.locked {
            self.push(Command::Unlock);
        }
        self.set_timer(TimerId::Silent, None);
        for call in s.waiters {
            self.settle(call, result.clone().map(|_| Value::Unit));
        }
        self.check(now);
    }
}

/// Inputs of this file that must wait for the restore.
pub(super) fn needs_ready(i: &Input) -> bool {
    matches!(i, Input::Renew { .. })
}
