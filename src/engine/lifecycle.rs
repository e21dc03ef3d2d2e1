//! A session's life: restore at start, accept new tokens (login, refresh, another tab's), forget them (expiry,
//! logout), keep the policy timer armed, and follow what other tabs announce.

use super::flight::{Waiter, Why};
use super::owner::owner_changed;
use super::storage_ops::{Accepted, AfterForget, EndedBy, Op};
use super::{login_of, login_required, CallId, Command, Engine, Instant, LockHold, Logins, Notice, OpId, SessionEvent, Timer, Value, MAX_TIMER_MS};

/// Fire a little after the instant the policy changes, so the check then sees the change (timer precision).
const TIMER_SLACK_MS: f64 = 5.0;
use crate::protocol::{next_check_ms, Decision, Error, ErrorCode, TokenSet};

/// A logout in progress: under the cross-tab lock where there is one, so no refresh or silent renewal of
/// another tab (nor of this one) can land between its read of storage and its clear.
#[derive(Debug)]
pub(super) struct Logout {
    /// `session.logout()` calls; the first settles when the server answered the revoke, the others at the clear.
    calls: Vec<CallId>,
    stage: LogoutStage,
    /// The logins it ends, for the `logout` notice; `None` once it cannot tell (storage unreadable).
    ended: Option<Logins>,
    /// The pair held when `logout()` was called: revoked if the tab lost it before its read of storage.
    held: Option<TokenSet>,
}

/// Where a logout is with the cross-tab lock. Under it or not, it then reads storage, clears it, and revokes.
#[derive(Debug, PartialEq, Eq)]
enum LogoutStage {
    /// Waiting for the lock this request asked for (its own, or that of the refresh or renewal it ended).
    Locking { lock: OpId },
    /// Holding the lock (released once storage is cleared and the other tabs told).
    Locked,
    /// Going on without it: no lock to share, or waiting for it took too long.
    Alone,
}

impl Logout {
    pub(super) fn waits_for(&self, id: OpId) -> bool {
        self.stage == LogoutStage::Locking { lock: id }
    }

    /// Still waiting for the cross-tab lock: another tab may refresh before this logout reads.
    pub(super) fn before_lock(&self) -> bool {
        matches!(self.stage, LogoutStage::Locking { .. })
    }
}

impl Engine {
    pub(super) fn start(&mut self, ready: CallId, problem: Option<Error>) {
        if let Some(e) = problem {
            self.emit(SessionEvent::StorageFallback(e));
        }
        let op = self.new_op(Op::Restore { ready });
        self.push(Command::Load { op });
    }

    pub(super) fn loaded(&mut self, now: Instant, op: OpId, result: Result<Option<TokenSet>, Error>) {
        match self.take_op(op) {
            Some(Op::Restore { ready }) => self.restored(now, ready, result),
            Some(Op::Flight) => self.flight_loaded(now, result),
            // A read from before this tab's own login (or logout) landed is stale: what it stored since is newer.
            Some(Op::Sync { generation }) if generation != self.generation => {}
            // This tab is logging out: its own read under the lock takes the newest pair (and the logout ends
            // the one held when it was called, which a read for an earlier notice must not replace first).
            Some(Op::Sync { .. }) if self.logout.is_some() => {}
            Some(Op::Sync { .. }) => {
                // Reads asked for before this one and still unanswered are older news: dropped (oss-sim seed
                // 1027646: two broadcasts' reads answered out of order, and the older pair was taken last).
                self.ops.retain(|(o, x)| !(matches!(x, Op::Sync { .. }) && (op.wrapping_sub(*o) as i32) > 0));
                self.synced(now, result)
            }
            Some(Op::Silent) => self.silent_loaded(now, result),
            Some(Op::Ending { token, owner, by }) => self.ending_loaded(now, token, owner, by, result),
            Some(Op::LogoutRead) => {
                // The notice names what is ended: the pair held, and the one storage held (cleared next). A read
                // that failed cannot tell which login storage holds: the notice names none (final for all).
                match &result {
                    Ok(Some(t)) => self.logout_ends(login_of(t)),
                    Ok(None) => {}
                    Err(_) => {
                        if let Some(l) = &mut self.logout {
                            l.ended = None;
                        }
                    }
                }
                if let Ok(Some(t)) = result {
                    if self.takes_over(&t) {
                        let t = self.admit(t, now);
                        // The pair this tab held is of another login (another server session) than the newest
                        // one it read: revoking only the newest would leave this tab's own login alive there.
                        if !self.same_login(&t) {
                            if let Some(held) = self.tokens.take() {
                                self.logout_ends(login_of(&held));
                                self.bury_login(&held);
                                self.revoke_late(&held);
                            }
                        }
                        self.tokens = Some(t);
                    }
                }
                self.end_session();
            }
            Some(Op::Sweep { token, login }) => {
                if let Ok(Some(t)) = result {
                    if t.access_token == token || (login != 0 && login_of(&t) == login) {
                        self.sweep(&t);
                    }
                }
            }
            _ => {}
        }
    }

    /// Never fails: bad data is removed, a refusing storage falls back to memory; the app learns only
    /// "logged in or not".
    fn restored(&mut self, now: Instant, ready: CallId, result: Result<Option<TokenSet>, Error>) {
        let logged_in = match result {
            Ok(Some(t)) => {
                // Its own storage (a reload, storage the browser copied): the tabs may have moved on since.
                self.unsure = self.group;
                self.store_taken(&t);
                self.tokens = Some(self.admit(t, now));
                if self.decision(now) == Decision::LoginRequired {
                    self.forget(SessionEvent::Expired(None), None, AfterForget::Nothing);
                    false
                } else {
                    true
                }
            }
            // Nothing stored: tabs that join ask the tabs holding the session first (`join.rs`).
            Ok(None) if self.ask_to_join(ready) => return,
            Ok(None) => false,
            Err(e) if e.code == ErrorCode::StorageUnavailable => {
                self.fall_back(e);
                false
            }
            Err(e) => {
                // Corrupt or tampered: logged out, the bad keys go, and the app hears why (`expired` with the
                // `corrupt_storage` error) once they are gone.
                let op = self.new_op(Op::Forget { event: SessionEvent::Expired(Some(e)), notice: None, then: AfterForget::Nothing });
                self.push(Command::Clear { op });
                false
            }
        };
        let deferred = match core::mem::replace(&mut self.restore, super::Restore::Done) {
            super::Restore::Pending(deferred) => deferred,
            super::Restore::Done => Vec::new(),
        };
        if logged_in {
            self.check(now);
        }
        self.settle(ready, Ok(Value::Bool(logged_in)));
        for (at, input) in deferred {
            self.handle(at.max(now), input);
        }
    }

    pub(super) fn fall_back(&mut self, e: Error) {
        self.left_shared |= self.caps.shared;
        self.caps.shared = false;
        self.push(Command::UseMemory);
        self.emit(SessionEvent::StorageFallback(e));
    }

    pub(super) fn logged_in(&mut self, now: Instant, call: CallId, mut tokens: TokenSet, value: Value) {
        // A refresh of the previous session that lands later must not overwrite this one.
        self.generation = self.generation.wrapping_add(1);
        tokens.lineage = crate::protocol::Lineage { since_ms: now.as_ms(), seq: 0 };
        self.accept(now, tokens, Accepted::Login(call, value));
    }

    /// New tokens: stored first (an app backend's `save` completes before a refresh resolves), then current.
    pub(super) fn accept(&mut self, now: Instant, tokens: TokenSet, event: Accepted) {
        let tokens = self.admit(tokens, now);
        let op = self.new_op(Op::Accept { tokens: tokens.clone(), event, logouts: self.logouts });
        self.push(Command::Save { op, tokens });
    }

    pub(super) fn saved(&mut self, now: Instant, op: OpId, result: Result<(), Error>) {
        let Some(Op::Accept { tokens, event, logouts }) = self.take_op(op) else { return };
        if logouts != self.logouts || self.dead_login(&tokens) {
            // A logout (this tab's, or another's of this login) came while the pair was being stored: it may have
            // been written after the logout's clear. Never adopted; revoked, and removed from storage if it is there.
            return self.landed_after_logout(now, tokens, event, result.is_ok());
        }
        if let Err(e) = result {
            if self.caps.shared && matches!(event, Accepted::Refresh) {
                // The other tabs read the spent pair until ours is stored: retry under the lock first.
                return self.save_failed(now, tokens, e);
            }
            self.fall_back(e);
            let op = self.new_op(Op::Ignore);
            self.push(Command::Save { op, tokens: tokens.clone() });
        }
        match event {
            Accepted::Login(call, value) => {
                self.adopt(now, tokens, SessionEvent::Login);
                self.announce(Notice::Login);
                self.settle(call, Ok(value));
            }
            Accepted::Refresh => {
                // A refresh grant never changes the user; if a server says otherwise, it is another login.
                let switched = self.adopt(now, tokens, SessionEvent::Refresh);
                self.announce(if switched { Notice::Login } else { Notice::Refresh });
                self.flight_done(now, if switched { Err(owner_changed()) } else { Ok(()) });
            }
            Accepted::Silent => self.silent_landed(now, tokens, false),
            Accepted::SilentLogin => self.silent_landed(now, tokens, true),
        }
    }

    /// Takes tokens that are already stored (by us or by another tab) as current. Another user's pair ends the
    /// session first and is announced as `login` whatever `event` says (see `owner`): then `true`.
    pub(super) fn adopt(&mut self, now: Instant, t: TokenSet, event: fn(crate::protocol::TokenInfo) -> SessionEvent) -> bool {
        let switched = self.other_owner(&t);
        if switched {
            self.end_for_owner();
        }
        let event: fn(crate::protocol::TokenInfo) -> SessionEvent = if switched { SessionEvent::Login } else { event };
        self.store_taken(&t);
        let info = t.info();
        self.dpop_adopting(&t);
        self.tokens = Some(t);
        self.cooldown_until = None;
        self.emit(event(info.clone()));
        self.emit(SessionEvent::Change(Some(info)));
        self.check(now);
        switched
    }

    /// A pair read from storage (another tab's, found by a re-read or a look before a write) becomes current:
    /// admitted (see `admit`) and adopted. Whether it should is the caller's test (`takes_over`, and what its
    /// look is for). `true`: another user's login (see `adopt`).
    pub(super) fn adopt_stored(&mut self, now: Instant, stored: TokenSet, taken: super::Taken) -> bool {
        let stored = self.admit(stored, now);
        let event = match taken {
            super::Taken::AsFound if self.tokens.is_none() => SessionEvent::Login,
            _ => SessionEvent::Refresh,
        };
        self.adopt(now, stored, event)
    }

    fn landed_after_logout(&mut self, now: Instant, tokens: TokenSet, event: Accepted, written: bool) {
        self.revoke_late(&tokens);
        if written {
            let op = self.new_op(Op::Sweep { token: tokens.access_token.clone(), login: 0 });
            self.push(Command::Load { op });
        }
        match event {
            Accepted::Login(call, _) => self.settle(call, Err(login_required(None))),
            Accepted::Refresh => self.flight_done(now, Err(login_required(None))),
            Accepted::Silent | Accepted::SilentLogin => self.silent_done(now, Err(login_required(None))),
        }
    }

    /// Storage holds a pair of a login this tab saw logged out: it goes, and the server is told, unless this tab
    /// held that pair (the logging-out tab read and revoked it under the lock) or revoked it already: one
    /// revocation per pair.
    fn sweep(&mut self, t: &TokenSet) {
        if !self.dead.contains(&t.access_token) {
            self.revoke_late(t);
        }
        let op = self.new_op(Op::Ignore);
        self.push(Command::Clear { op });
    }

    /// Drops the tokens at once (nothing may send them from now on), clears storage, and then emits `event`
    /// and tells the other tabs.
    pub(super) fn forget(&mut self, event: SessionEvent, notice: Option<Notice>, then: AfterForget) {
        self.generation = self.generation.wrapping_add(1);
        let had = self.tokens.take().is_some();
        self.set_timer(Timer::Check, None);
        let event = if had || matches!(event, SessionEvent::Logout) { Some(event) } else { None };
        let op = match event {
            Some(event) => self.new_op(Op::Forget { event, notice, then }),
            None => self.new_op(Op::Forget { event: SessionEvent::Change(None), notice: None, then }),
        };
        self.push(Command::Clear { op });
    }

    pub(super) fn cleared(&mut self, now: Instant, op: OpId) {
        let Some(Op::Forget { event, notice, then }) = self.take_op(op) else { return };
        if !matches!(event, SessionEvent::Change(_)) {
            self.emit(event);
            self.emit(SessionEvent::Change(None));
        }
        if let Some(n) = notice {
            self.announce(n);
        }
        if matches!(then, AfterForget::Revoke { .. }) {
            // The logout's clear is done and the other tabs are told: the lock goes back; a second logout()
            // made meanwhile settles now.
            if let Some(l) = self.logout.take() {
                if l.stage == LogoutStage::Locked {
                    self.unlock_after_end();
                }
                for call in l.calls.into_iter().skip(1) {
                    self.settle(call, Ok(Value::Unit));
                }
            }
        }
        match then {
            AfterForget::Nothing => {}
            AfterForget::FailFlight(e) => self.flight_failed(now, e),
            AfterForget::Revoke { call, form: Some(form), proof } => {
                let url = self.cfg.revoke_url();
                self.push(Command::SendRevoke { call, url, form, proof });
            }
            AfterForget::Revoke { call, form: None, .. } => self.settle(call, Ok(Value::Unit)),
        }
    }

    /// The session is over for the user: every tab sharing storage is logged out at once, then the server is
    /// told (the refresh token if any, else the access token; its answer is ignored — RingCentral advises not
    /// to retry).
    ///
    /// Final across tabs: it runs under the lock that refreshes and silent renewals take (where Web Locks
    /// exist), and it bumps `logouts`, which every refresh answer, silent result and save in flight checks: a
    /// pair that lands after it is revoked, never stored or adopted.
    pub(super) fn logout(&mut self, now: Instant, call: CallId) {
        if let Some(l) = &mut self.logout {
            return l.calls.push(call);
        }
        self.logouts = self.logouts.wrapping_add(1);
        let held = self.tokens.clone();
        self.logout = Some(Logout { calls: vec![call], stage: LogoutStage::Alone, ended: Some(Logins::default()), held });
        // The login held when the user logged out is ended even if it goes first on its own (oss-sim seed 2206: the
        // tab's jumped clock expired it while the logout waited for the lock, and the notice named no login, so
        // another tab went on sending its token).
        if let Some(t) = &self.tokens {
            self.logout_ends(login_of(t));
        }
        if !self.coordinated() {
            return self.end_session();
        }
        // A lock this tab holds for its refresh or renewal is the logout's now (their answers will be
        // revoked); one it waits for is the logout's too (they end now: the session is ending).
        let (f, s) = (self.flight_lock(), self.silent_lock_handover());
        let held = f == Some(LockHold::Held) || s == Some(LockHold::Held);
        let asked = [f, s].into_iter().find_map(|h| match h {
            Some(LockHold::Asked(id)) => Some(id),
            _ => None,
        });
        if matches!(f, Some(LockHold::Asked(_))) {
            self.flight_done(now, Err(login_required(None)));
        }
        if matches!(s, Some(LockHold::Asked(_))) {
            self.silent_done(now, Err(login_required(None)));
        }
        self.flight_stop_timed(now);
        let waiting = if asked.is_some() || held { asked } else { self.ask_lock() };
        let stage = match waiting {
            Some(lock) => LogoutStage::Locking { lock },
            None if held => LogoutStage::Locked,
            None => LogoutStage::Alone,
        };
        if let Some(l) = &mut self.logout {
            l.stage = stage;
        }
        if waiting.is_none() {
            self.logout_read();
        }
    }

    /// The lock came, or (after [`super::LOCK_WAIT_MS`]) did not: the logout goes on either way — it never
    /// fails; without the lock, a late pair of another tab is caught when that tab hears the logout.
    pub(super) fn logout_locked(&mut self, granted: bool) {
        if let Some(l) = &mut self.logout {
            l.stage = if granted { LogoutStage::Locked } else { LogoutStage::Alone };
        }
        self.logout_read();
    }

    /// Another tab may hold newer tokens of this session; revoking a superseded one would miss it.
    fn logout_read(&mut self) {
        self.read_shared(Op::LogoutRead);
    }

    /// The logout in progress ends `login`: its notice names it.
    fn logout_ends(&mut self, login: u64) {
        if let Some(l) = &mut self.logout {
            if l.ended.as_mut().is_some_and(|e| !e.add(login)) {
                l.ended = None;
            }
        }
    }

    fn end_session(&mut self) {
        if let Some(t) = &self.tokens {
            self.logout_ends(login_of(t));
        }
        let call = self.logout.as_ref().map_or(super::NO_CALL, |l| l.calls[0]);
        let notice = Notice::Logout(self.logout.as_ref().and_then(|l| l.ended));
        // DPoP: the key goes first, before storage is cleared and the revoke sent (which signs with it one last
        // time): a tab closed before the revoke returns leaves no key behind.
        self.delete_key();
        let revoke_url = self.cfg.revoke_url();
        // The pair held now, else the one held when the user asked (seeds 1039983, 1067880 on an older engine:
        // the tab dropped it before its read, and nothing was revoked).
        let pair = self.tokens.clone().or_else(|| self.logout.as_mut().and_then(|l| l.held.take()));
        let proof = pair.as_ref().filter(|t| t.is_dpop()).and_then(|_| self.endpoint_proof(&revoke_url));
        let form = pair.map(|t| {
            self.bury_login(&t);
            let token = t.refresh_token.as_ref().unwrap_or(&t.access_token);
            crate::protocol::revoke_form(&self.cfg, token)
        });
        self.forget(SessionEvent::Logout, Some(notice), AfterForget::Revoke { call, form, proof });
    }

    /// Applies the refresh policy now and arms the timer for its next change. Timers are only hints: every
    /// use of a token checks the clock again.
    pub(super) fn check(&mut self, now: Instant) {
        if self.logout.is_some() {
            return; // the session is ending: no refresh, renewal or timer for it
        }
        match self.decision(now) {
            Decision::Fresh => {}
            Decision::Expiring => self.expiring_due(now),
            Decision::Refresh => {
                if self.flight.is_some() {
                    return; // the flight re-checks when it lands
                }
                if !self.cooling(now) {
                    self.join_flight(now, Why::Due, Waiter::None);
                    return;
                }
            }
            Decision::LoginRequired => {
                self.pair_over(EndedBy::Clock);
                return;
            }
        }
        self.schedule(now);
    }

    fn schedule(&mut self, now: Instant) {
        let at = next_check_ms(self.tokens.as_ref(), now.as_ms(), self.cfg.refresh_margin_s).map(|at| {
            let at = Instant::from_ms(at + TIMER_SLACK_MS);
            self.cooldown_until.map_or(at, |c| at.max(c)).min(now.plus_ms(MAX_TIMER_MS))
        });
        self.set_timer(Timer::Check, at);
    }

    /// `expiring`, once per access token.
    pub(super) fn note_expiring(&mut self) {
        let Some(t) = &self.tokens else { return };
        if self.expiring_sent_for == Some(t.expires_at_ms) {
            return;
        }
        self.expiring_sent_for = Some(t.expires_at_ms);
        let info = t.info();
        self.emit(SessionEvent::Expiring(info));
    }

    /// Another tab changed the shared session. A logout of this tab's login drops its tokens whatever storage
    /// still shows (it can only lower privilege); anything else is re-read from storage, the one source of truth.
    pub(super) fn broadcast_received(&mut self, n: Notice) {
        if let Notice::Logout(named) = n {
            return self.logout_heard(named);
        }
        if self.logout.is_some() {
            return; // this tab's logout reads storage under the lock: it revokes whatever is newest
        }
        // An expiry of another login than this tab's (this tab's was stored after the sender looked at storage
        // and found it empty) says nothing about this one: storage decides.
        if let (Notice::Expired(Some(ended)), Some(t)) = (n, &self.tokens) {
            if login_of(t) != ended {
                return self.read_shared(Op::Sync { generation: self.generation });
            }
        }
        if let Notice::Expired(_) = n {
            // Final for this tab too: an expiry is announced only when storage held nothing better, or when a
            // tab gave up a storage that refused the new pair (what is stored then is spent).
            if let Some(t) = self.tokens.clone() {
                self.bury(&t);
                self.drop_tokens(SessionEvent::Expired(None));
            }
            self.drop_cached_key();
            return;
        }
        self.read_shared(Op::Sync { generation: self.generation });
    }

    /// Another tab logged out. The logins its notice names are dead here whatever this tab holds: no pair of one
    /// is taken from storage or stored again. This tab's session ends if it is one of them (any pair of its
    /// lineage), or if the notice names none (a plain `logout`: an earlier version's, or one that could not
    /// read storage). A tab that holds another login keeps it (oss-sim seed 1039109: a stale notice ended a
    /// login made after the other tab's logout had read storage), and the key it holds.
    fn logout_heard(&mut self, named: Option<Logins>) {
        for login in named.map_or([0; 2], |n| n.slots()) {
            self.bury_named(login);
        }
        let Some(t) = self.tokens.clone() else {
            return self.drop_cached_key();
        };
        if named.is_some_and(|named| !named.contains(login_of(&t))) {
            return;
        }
        // Whatever this tab has in flight for this login is stale (revoked when it lands), and a pair of it
        // written after the other tab's clear (our refresh or renewal raced the logout where there is no lock)
        // is removed.
        self.logouts = self.logouts.wrapping_add(1);
        self.bury_login(&t);
        let op = self.new_op(Op::Sweep { token: t.access_token.clone(), login: login_of(&t) });
        self.push(Command::Load { op });
        self.drop_tokens(SessionEvent::Logout);
        self.drop_cached_key();
    }

    /// This tab's session ended elsewhere: the tokens go, with no clear (the sender cleared storage).
    fn drop_tokens(&mut self, event: SessionEvent) {
        self.generation = self.generation.wrapping_add(1);
        self.tokens = None;
        self.set_timer(Timer::Check, None);
        self.emit(event);
        self.emit(SessionEvent::Change(None));
    }

    /// The `expired` notice for this tab's current pair: it names the pair's login.
    pub(super) fn ended_notice(&self) -> Notice {
        Notice::Expired(self.tokens.as_ref().map(login_of))
    }

    fn synced(&mut self, now: Instant, result: Result<Option<TokenSet>, Error>) {
        match result {
            // A pair of a login logged out here, written late by a tab that had not heard yet: removed.
            Ok(Some(t)) if self.dead_login(&t) => self.sweep(&t),
            Ok(Some(t)) => {
                if self.takes_over(&t) {
                    self.adopt_stored(now, t, super::Taken::AsFound);
                } else if let Some(ours) = self.storage_went_back(&t) {
                    // Without a lock, a tab whose refresh answer came last read storage before ours was written
                    // and wrote its older pair over it; every tab would then spend a spent refresh token, and the
                    // login end with `invalid_grant` (oss-sim seed 1193136). The newer pair goes back, and is told.
                    let op = self.new_op(Op::Ignore);
                    self.push(Command::Save { op, tokens: ours });
                    self.announce(Notice::Refresh);
                }
            }
            // A read that failed says nothing about the session: keep it.
            Err(e) if e.code == ErrorCode::StorageUnavailable => {}
            _ => self.storage_emptied(),
        }
    }

    /// Shared storage without Web Locks holds an older pair of this tab's login than the one it holds: that one.
    fn storage_went_back(&self, stored: &TokenSet) -> Option<TokenSet> {
        let newer = |c: &&TokenSet| c.lineage.seq > stored.lineage.seq && c.access_token != stored.access_token;
        let unlocked = self.caps.shared && !self.caps.locks && self.logout.is_none() && self.same_login(stored);
        self.tokens.as_ref().filter(|_| unlocked).filter(newer).cloned()
    }

    /// Shared storage no longer holds a session: another tab ended it. This tab follows (storage is the one
    /// source of truth) without clearing anything or telling anyone.
    pub(super) fn storage_emptied(&mut self) {
        if self.tokens.take().is_some() {
            self.generation = self.generation.wrapping_add(1);
            self.set_timer(Timer::Check, None);
            self.emit(SessionEvent::Expired(None));
            self.emit(SessionEvent::Change(None));
            self.drop_cached_key();
        }
    }
}
