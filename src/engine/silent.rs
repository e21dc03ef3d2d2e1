//! Silent renewal: a session that cannot refresh (no refresh token, RingCentral's SPA default) logs in again
//! without interaction, `refreshMarginSeconds` before its access token expires, by a `prompt=none` authorize
//! request that the server answers from its own login cookie. The decisions are here:
//!
//! * when: the policy says `Expiring` (inside the margin, nothing to refresh with) and `silentRenew` is on;
//! * at most once per access token (the timer and every `session.fetch` ask; only the first starts one), unless
//!   the app calls `session.renew()`;
//! * across tabs sharing storage: under the refresh lock, after a re-read, so one tab renews and the others
//!   adopt what it stored;
//! * bounded: [`Timer::Silent`] (`silentTimeoutSeconds`) ends a renewal that got no answer;
//! * any failure (`login_required`, `interaction_required`, `consent_required`, a timeout, a failed exchange)
//!   falls back to what happens without it: `expiring` now, `expired` at expiry. No retry loop.

use super::storage_ops::{Accepted, AfterForget, Op};
use super::owner::owner_changed;
use super::{Taken, Instant, LockHold, OpId, login_required, session_over, CallId, Command, Engine, Input, Notice, SessionEvent, Timer, Value};
use crate::protocol::handover_message::Kind;
use crate::protocol::{Decision, Error, ErrorCode, Lineage, TokenSet};

/// Where the renewal is, with what that stage needs.
#[derive(Debug)]
enum Stage {
    /// Made; the lock not asked for yet.
    Starting,
    /// Waiting for the cross-tab lock this request asked for.
    Locking { lock: OpId },
    /// The re-read under the lock, asked for in this session generation.
    Rereading { generation: u32 },
    /// The frame login of this request is under way (login.rs); waiting for its outcome
    /// ([`Input::SilentDone`], which login.rs feeds) or the timer.
    Waiting { frame: OpId },
    /// Shared storage: a look (asked for in session generation `generation`) before the new pair is written, in
    /// case another login was stored meanwhile; then it is stored as `event` says.
    PreSave { generation: u32, answer: TokenSet, event: Accepted },
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
    /// The login (its lineage's login time) it renews, `None` from logged out: a pair of another login adopted
    /// meanwhile (taken from storage, same user) is not the session it renews either.
    login: Option<f64>,
}

impl Engine {
    /// The policy said `Expiring`: renew silently once for this access token, else tell the app.
    pub(super) fn expiring_due(&mut self, now: Instant) {
        if self.silent.is_some() {
            return; // one at a time; `expiring` waits for its outcome
        }
        let untried = self.tokens.as_ref().is_some_and(|t| Some(t.expires_at_ms) != self.silent_tried_for);
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
    pub(super) fn renew(&mut self, now: Instant, call: CallId) {
        let can_refresh = self.tokens.as_ref().is_some_and(|t| t.refresh_token.is_some());
        if can_refresh || self.flight.is_some() {
            return self.join_flight(now, super::flight::Why::Forced, super::flight::Waiter::App(call));
        }
        self.start_silent(now, Some(call), true);
    }

    fn start_silent(&mut self, now: Instant, waiter: Option<CallId>, forced: bool) {
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
            self.silent_tried_for = Some(t.expires_at_ms);
        }
        self.silent =
            Some(Silent {
                stage: Stage::Starting,
                waiters: waiter.into_iter().collect(),
                forced,
                locked: false,
                generation: self.generation,
                logouts: self.logouts,
                login: self.tokens.as_ref().map(|t| t.lineage.since_ms),
            });
        match self.ask_lock() {
            Some(lock) => self.set_silent_stage(Stage::Locking { lock }),
            None => self.silent_under_lock(now),
        }
    }

    /// The frame request the silent renewal waits for, if it waits for one (engine/login.rs answers it).
    pub(super) fn silent_frame(&self) -> Option<OpId> {
        match self.silent_stage() {
            Some(Stage::Waiting { frame }) => Some(*frame),
            _ => None,
        }
    }

    fn silent_stage(&self) -> Option<&Stage> {
        self.silent.as_ref().map(|s| &s.stage)
    }

    /// The stage's data, leaving `next` in its place.
    fn take_silent_stage(&mut self, next: Stage) -> Option<Stage> {
        self.silent.as_mut().map(|s| core::mem::replace(&mut s.stage, next))
    }

    fn set_silent_stage(&mut self, stage: Stage) {
        if let Some(s) = &mut self.silent {
            s.stage = stage;
        }
    }

    /// For a logout, as [`Engine::flight_lock`]: the renewal's lock is handed over, or its request is.
    pub(super) fn silent_lock_handover(&mut self) -> Option<LockHold> {
        let s = self.silent.as_mut()?;
        if s.locked {
            s.locked = false;
            return Some(LockHold::Held);
        }
        match s.stage {
            Stage::Locking { lock } => Some(LockHold::Asked(lock)),
            _ => None,
        }
    }

    /// Whether lock request `id` is the silent renewal's (it waits for it).
    pub(super) fn silent_waits_for(&self, id: OpId) -> bool {
        matches!(self.silent_stage(), Some(Stage::Locking { lock }) if *lock == id)
    }

    pub(super) fn silent_lock(&mut self, now: Instant, granted: bool) {
        if !granted {
            let e = Error::with(ErrorCode::LockTimeout, "waited too long for another tab's renewal").with_retryable(true);
            return self.silent_done(now, Err(e));
        }
        if let Some(s) = &mut self.silent {
            s.locked = true;
        }
        self.silent_under_lock(now);
    }

    fn silent_under_lock(&mut self, now: Instant) {
        if self.coordinated() {
            // Another tab may have renewed while we waited: its pair is in storage.
            self.set_silent_stage(Stage::Rereading { generation: self.generation });
            self.read_shared(Op::Silent);
        } else {
            self.send_silent(now);
        }
    }

    pub(super) fn silent_loaded(&mut self, now: Instant, result: Result<Option<TokenSet>, Error>) {
        let read_generation = match self.silent_stage() {
            Some(Stage::PreSave { .. }) => return self.silent_looked(now, result),
            Some(&Stage::Rereading { generation }) => generation,
            _ => return,
        };
        // A read asked for before this tab's own login (or logout) landed is stale: what this tab stored since is
        // newer (oss-sim seed 1088154: a renew() from logged out read storage, the login's pair was stored, and
        // the empty answer ended the new login).
        let stale = read_generation != self.generation;
        match result {
            Ok(Some(stored)) if stale && !self.same_login(&stored) => {}
            Ok(None) if stale => {}
            Ok(Some(stored)) if self.takes_over(&stored) => {
                let login = stored.lineage.since_ms;
                if self.adopt_stored(now, stored, Taken::AsFound) {
                    // Another user's login: the renewal was for a session that is gone.
                    return self.silent_done(now, Err(session_over(owner_changed())));
                }
                // Taken under the lock: from here the renewal renews that login.
                if let Some(s) = &mut self.silent {
                    s.login = Some(login);
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

    fn send_silent(&mut self, now: Instant) {
        // Once per pair: the one it renews, which the re-read may have replaced since the start.
        if let Some(t) = &self.tokens {
            self.silent_tried_for = Some(t.expires_at_ms);
        }
        let frame = self.next_id();
        self.set_silent_stage(Stage::Waiting { frame });
        // The frame is a login of kind `Frame` (login.rs), which asks the host for each step as a popup's does.
        self.login(now, super::FRAME_CALL, Kind::Frame, None);
        let at = now.plus_ms(self.cfg.silent_timeout_s as f64 * 1000.0);
        self.set_timer(Timer::Silent, Some(at));
    }

    pub(super) fn silent_timer(&mut self, now: Instant) {
        if matches!(self.silent_stage(), Some(Stage::Waiting { .. })) {
            self.push(Command::CancelSilent);
            self.drop_frame_login();
            let e = Error::with(ErrorCode::Timeout, "the silent renewal got no answer in time").with_retryable(true);
            self.silent_done(now, Err(e));
        }
    }

    pub(super) fn silent_result(&mut self, now: Instant, id: OpId, result: Result<TokenSet, Error>) {
        if !matches!(self.silent_stage(), Some(Stage::Waiting { frame }) if *frame == id) {
            return; // timed out (or the session went) already: a late answer is not this renewal's
        }
        self.set_timer(Timer::Silent, None);
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
                        t.lineage = Lineage { since_ms: now.as_ms(), seq: 0 };
                        Accepted::SilentLogin
                    }
                    // A renewal continues the session it renews: other tabs take it as that session's newer pair.
                    Some(base) => {
                        t.lineage = base.lineage.next();
                        Accepted::Silent
                    }
                    None => {
                        self.generation = self.generation.wrapping_add(1);
                        t.lineage = Lineage { since_ms: now.as_ms(), seq: 0 };
                        Accepted::SilentLogin
                    }
                };
                if self.caps.shared {
                    self.set_silent_stage(Stage::PreSave { generation: self.generation, answer: t, event });
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
    fn silent_storage_corrupt(&mut self, now: Instant, e: Error) {
        let notice = self.ended_notice();
        self.forget(SessionEvent::Expired(Some(e.clone())), Some(notice), AfterForget::Nothing);
        self.silent_done(now, Err(session_over(e)))
    }

    /// The renewal is of the login this tab holds (or of none, from logged out). A silent login started from
    /// logged out is not a renewal of a login taken from another tab meanwhile (oss-sim seed 1006293: its pair,
    /// a new server session, was written as that login's, and a logout then revoked it and not that login).
    fn renews_current(&self, s: &Silent) -> bool {
        match &self.tokens {
            Some(t) => s.login == Some(t.lineage.since_ms),
            None => true,
        }
    }

    /// The look before writing the renewed pair (oss-sim seed 1131537: a tab that slept got its renewal's answer
    /// before the logout and the new login queued behind it, and wrote the old login's pair over the new one).
    /// A logout meanwhile revokes the answer; a session that changed otherwise (another login heard) drops it;
    /// a later pair of this login, or another login, stored meanwhile is taken instead of overwritten.
    fn silent_looked(&mut self, now: Instant, result: Result<Option<TokenSet>, Error>) {
        // (Landing from here on: every other way out ends the renewal.)
        let Some(Stage::PreSave { generation, answer: ours, event }) = self.take_silent_stage(Stage::Landing) else { return };
        if self.silent.as_ref().is_some_and(|s| s.logouts != self.logouts) {
            self.revoke_late(&ours);
            return self.silent_done(now, Err(login_required(None)));
        }
        let current = generation == self.generation;
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
                    if self.adopt_stored(now, stored, Taken::AsFound) {
                        return self.silent_done(now, Err(session_over(owner_changed())));
                    }
                }
                return self.silent_done(now, Ok(()));
            }
        }
        self.accept(now, ours, event);
    }

    /// The renewed pair is stored: current, announced, and the lock goes back.
    pub(super) fn silent_landed(&mut self, now: Instant, tokens: TokenSet, login: bool) {
        let switched = self.adopt(now, tokens, if login { SessionEvent::Login } else { SessionEvent::Refresh });
        self.announce(if login || switched { Notice::Login } else { Notice::Refresh });
        // `renew()` asked to renew the session that just ended: it rejects (the new user's is announced as `login`).
        self.silent_done(now, if switched { Err(session_over(owner_changed())) } else { Ok(()) });
    }

    /// Ends the renewal: the lock goes back, `renew()` calls settle, and the policy runs again (after a failure
    /// it finds this token already tried and says `expiring`).
    pub(super) fn silent_done(&mut self, now: Instant, result: Result<(), Error>) {
        let Some(s) = self.silent.take() else { return };
        if s.locked {
            self.push(Command::Unlock);
        }
        self.set_timer(Timer::Silent, None);
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
