//! The one refresh in flight. Every caller in a tab joins it; across tabs that share storage it runs under an
//! exclusive lock and re-reads storage first, so a tab that waited uses the winner's tokens instead of
//! spending a single-use refresh token twice. Failures split into terminal (the session ends, `expired`) and
//! transient (the tokens stay; the *same* refresh token is retried with backoff — RingCentral's grace window
//! replays the same pair, so a lost response is recovered).

use super::storage_ops::{Accepted, AfterForget, Op};
use super::owner::owner_changed;
use super::{no_refresh_token, Taken, Instant, LockHold, OpId, 
    login_required, session_over, CallId, Command, Engine, SessionEvent, Timer, Value, COOLDOWN_MS,
    MAX_TRIES, TOKEN_TIMEOUT_MS,
};

/// Writes of a refreshed pair to shared storage before giving it up (backoff 0.25 s … 4 s: about 20 s in all,
/// inside the other tabs' lock wait).
const SAVE_TRIES: u32 = 8;
/// How long the lock is kept after giving shared storage up (BroadcastChannel delivers within milliseconds).
const HANDOVER_MS: f64 = 1_000.0;
use crate::protocol::{backoff_ms, refresh_form, Decision, Error, ErrorCode, Secret, TokenSet};

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

/// Where the flight is, with what that stage needs.
#[derive(Debug)]
enum Stage {
    /// Made; the lock not asked for yet (or the flight ends at once).
    Starting,
    /// Waiting for the cross-tab lock this request asked for.
    Locking { lock: OpId },
    /// The re-read under the lock, asked for in this session generation.
    Rereading { generation: u32 },
    /// The token request with this id is on the wire.
    Sending { request: OpId },
    /// Waiting for [`Timer::RefreshRetry`] after a transient failure.
    Backoff,
    /// Tabs that join: a tab holding the session left the re-read unanswered; waiting for [`Timer::RefreshRetry`]
    /// to ask again (the re-read's generation kept).
    AskWait { generation: u32 },
    /// The answer is being stored (or storage cleared after a terminal error).
    Landing,
    /// A terminal error: one last look at storage for another tab's newer tokens; else the flight ends with it.
    LastLook { terminal: Error },
    /// Shared storage refused our answer: waiting (until [`Timer::SaveRetry`], due at `retry_at`) to write it
    /// again, still under the lock.
    SaveWait { answer: TokenSet, retry_at: Instant },
    /// Gave shared storage up: the lock is kept a moment so the other tabs hear that what storage holds is
    /// spent before any of them can take the lock and read it. Tabs that join: the flight ended the session with
    /// `terminal` ([`Engine::flight_failed`]), the lock is kept until the others heard it.
    Handover { terminal: Option<Error> },
    /// A look at storage before writing our answer, in case another tab stored a newer pair meanwhile: without
    /// Web Locks its refresh raced ours, or a logout cleared storage; with them, a login in another tab (it takes
    /// no lock) may have landed, or a logout went on without the lock (held longer than the others wait for it).
    PreSave { answer: TokenSet },
}

/// The refresh token being spent: from the decision to send it until the flight ends.
#[derive(Debug)]
struct Spend {
    refresh_token: Secret,
    /// The session generation it belongs to: an answer after a login meanwhile is of a session that is gone.
    generation: u32,
    /// The pair it refreshes (the answer continues its lineage, and keeps its refresh token if none came).
    base: TokenSet,
    /// The engine's logout count when it was spent (see `Engine::logouts`).
    logouts: u32,
}

#[derive(Debug)]
pub(super) struct Flight {
    stage: Stage,
    forced: bool,
    due: bool,
    rejected: Vec<Secret>,
    waiters: Vec<Waiter>,
    locked: bool,
    /// The refresh token being spent (none until the reasons were weighed under the lock).
    spend: Option<Spend>,
    /// Transient failures so far, and writes of the answer that shared storage refused.
    attempt: u32,
    save_attempt: u32,
    /// Tabs that join: the asks again ([`Engine::ask_again`]).
    asks: u32,
    /// DPoP: the one resend with the server's nonce was made (for the request on the wire).
    nonce_retried: bool,
    /// The user (`ownerId`) whose session the waiters called in: if another user's is current when the flight
    /// lands (a broadcast, a login meanwhile), no waiter goes on with it.
    owner: Option<String>,
}

impl Flight {
    fn new(owner: Option<String>) -> Flight {
        Flight {
            owner,
            stage: Stage::Starting,
            forced: false,
            due: false,
            rejected: Vec::new(),
            waiters: Vec::new(),
            locked: false,
            spend: None,
            attempt: 0,
            save_attempt: 0,
            asks: 0,
            nonce_retried: false,
        }
    }

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
    pub(super) fn join_flight(&mut self, now: Instant, why: Why, waiter: Waiter) {
        if let Some(f) = &mut self.flight {
            f.add(why, waiter);
            return;
        }
        if self.logout.is_some() {
            // The session is ending: no refresh for it. The waiter is answered as by a failed flight.
            let mut f = Flight::new(None);
            f.add(why, waiter);
            self.flight = Some(f);
            return self.flight_done(now, Err(login_required(None)));
        }
        let mut f = Flight::new(self.tokens.as_ref().and_then(|t| t.owner_id.clone()));
        f.add(why, waiter);
        self.flight = Some(f);
        match self.ask_lock() {
            Some(lock) => self.set_stage(Stage::Locking { lock }),
            None => self.under_lock(now),
        }
    }

    /// For a logout: [`LockHold::Held`] if the flight holds the lock (the logout keeps it; the flight no longer
    /// releases it), [`LockHold::Asked`] if it waits for it, `None` if neither.
    pub(super) fn flight_lock(&mut self) -> Option<LockHold> {
        let f = self.flight.as_mut()?;
        if f.locked {
            f.locked = false;
            return Some(LockHold::Held);
        }
        match f.stage {
            Stage::Locking { lock } => Some(LockHold::Asked(lock)),
            _ => None,
        }
    }

    /// Whether lock request `id` is the flight's (it waits for it).
    pub(super) fn flight_waits_for(&self, id: OpId) -> bool {
        matches!(self.stage(), Some(Stage::Locking { lock }) if *lock == id)
    }

    /// For a logout: a flight that waits on a timer (a backoff, a save retry) ends now; one waiting for an
    /// answer (token endpoint, storage) ends when it comes, its pair revoked.
    pub(super) fn flight_stop_timed(&mut self, now: Instant) {
        if matches!(self.stage(), Some(Stage::Backoff | Stage::AskWait { .. } | Stage::Handover { .. } | Stage::SaveWait { .. })) {
            self.flight_done(now, Err(login_required(None)));
        }
    }

    /// A logout came since the flight spent its refresh token: its pair is of an ended login.
    fn flight_after_logout(&self) -> bool {
        self.flight.as_ref().and_then(|f| f.spend.as_ref()).is_some_and(|s| s.logouts != self.logouts)
    }

    fn stage(&self) -> Option<&Stage> {
        self.flight.as_ref().map(|f| &f.stage)
    }

    fn set_stage(&mut self, s: Stage) {
        if let Some(f) = &mut self.flight {
            f.stage = s;
        }
    }

    /// The stage's data, leaving `next` in its place.
    fn take_stage(&mut self, next: Stage) -> Option<Stage> {
        self.flight.as_mut().map(|f| core::mem::replace(&mut f.stage, next))
    }

    pub(super) fn lock_granted(&mut self, now: Instant) {
        if let Some(f) = &mut self.flight {
            f.locked = true;
            self.under_lock(now);
        }
    }

    pub(super) fn lock_timed_out(&mut self, now: Instant) {
        if matches!(self.stage(), Some(Stage::Locking { .. })) {
            let e = Error::with(ErrorCode::LockTimeout, "waited too long for another tab's refresh").with_retryable(true);
            self.cool_down_until(now.plus_ms(COOLDOWN_MS));
            self.flight_done(now, Err(e));
        }
    }

    /// The flight's body, under the lock when storage is shared.
    fn under_lock(&mut self, now: Instant) {
        if self.coordinated() {
            // Another tab may have refreshed while we waited for the lock: take its tokens first.
            self.set_stage(Stage::Rereading { generation: self.generation });
            self.read_shared(Op::Flight);
        } else {
            self.decide_need(now);
        }
    }

    pub(super) fn flight_loaded(&mut self, now: Instant, result: Result<Option<TokenSet>, Error>) {
        match self.stage() {
            Some(&Stage::Rereading { generation: read_generation }) => {
                // A read asked for before this tab's own login (or logout) landed is stale: what this tab stored
                // since is newer (oss-sim seed 1179805: a refresh() from logged out read storage, the login's
                // pair was stored, and the empty answer ended the new login).
                // A later pair of the login this tab holds is still taken (oss-sim seed 1184817: ignoring it spent
                // the refresh token the winner had used).
                let stale = read_generation != self.generation;
                match result {
                    Ok(Some(stored)) if stale && !self.same_login(&stored) => {}
                    Ok(Some(stored)) if self.takes_over(&stored) => {
                        if self.adopt_stored(now, stored, Taken::AsRefresh) {
                            // Another user's login: what this flight was for is gone with the session.
                            return self.flight_done(now, Err(owner_changed()));
                        }
                    }
                    // (A read made before this tab's own login landed says nothing about that login.)
                    Ok(None) if self.tokens.is_some() && !stale => {
                        // Another tab logged out or saw the session end, and cleared storage while we waited
                        // (its broadcast may still be on its way, or never come): our refresh token is spent or
                        // revoked, and sending it would only earn an invalid_grant. Follow storage.
                        self.storage_emptied();
                        return self.flight_done(now, Err(login_required(None)));
                    }
                    _ => {}
                }
                if !self.ask_again(now, read_generation) {
                    self.decide_need(now);
                }
            }
            Some(Stage::LastLook { .. }) if self.logout.is_some() => self.flight_done(now, Err(login_required(None))),
            Some(Stage::LastLook { .. }) => {
                let used = self.flight.as_ref().and_then(|f| f.spend.as_ref()).map(|s| s.refresh_token.clone());
                if let Ok(Some(stored)) = result {
                    // Another tab's refresh beat ours (or ran where Web Locks are missing): adopt its tokens
                    // instead of logging everyone out.
                    let other = stored.refresh_token.is_some() && stored.refresh_token != used;
                    let usable = crate::protocol::decide(Some(&stored), now.as_ms(), 0) != Decision::LoginRequired;
                    let held = self.current_access() == Some(&stored.access_token) && !self.is_dead(&stored);
                    if other && usable && (held || self.takes_over(&stored)) {
                        let switched = self.adopt_stored(now, stored, Taken::AsRefresh);
                        return self.flight_done(now, if switched { Err(owner_changed()) } else { Ok(()) });
                    }
                }
                let Some(Stage::LastLook { terminal }) = self.take_stage(Stage::Landing) else { return };
                self.end_after_terminal(terminal);
            }
            Some(Stage::PreSave { .. }) => {
                // (Landing from here on: every other way out ends the flight.)
                let Some(Stage::PreSave { answer: ours }) = self.take_stage(Stage::Landing) else { return };
                if self.flight_after_logout() {
                    self.revoke_late(&ours);
                    return self.flight_done(now, Err(login_required(None)));
                }
                if matches!(result, Ok(None)) && self.tokens.is_some() {
                    // Another tab ended the session (a logout that did not wait for us) while our request was
                    // out: writing our pair would revive it. Follow storage, and have the server end the pair.
                    self.revoke_late(&ours);
                    self.storage_emptied();
                    return self.flight_done(now, Err(login_required(None)));
                }
                if self.tokens.as_ref().is_some_and(|c| c.lineage.since_ms != ours.lineage.since_ms) {
                    // This tab took another login (another tab's, heard while our request was out): our pair is
                    // of the login it left, and writing it would end the one every tab now holds (oss-sim seed
                    // 1010142: a logout of the old login then cleared storage, and the new login's tabs expired).
                    return self.flight_done(now, Ok(()));
                }
                if let Ok(Some(stored)) = result {
                    let same_login = stored.lineage.since_ms == ours.lineage.since_ms;
                    // Another tab already stored a later pair of this login, or another login (a tab logged in
                    // while ours was on the wire; without a BroadcastChannel this tab never hears of it, and
                    // writing over it would end that login for every tab — oss-sim seed 1095171): ours is
                    // superseded.
                    if (same_login && stored.lineage.seq > ours.lineage.seq) || (!same_login && self.takes_over(&stored)) {
                        if self.takes_over(&stored) {
                            if self.adopt_stored(now, stored, Taken::AsRefresh) {
                                return self.flight_done(now, Err(owner_changed()));
                            }
                        }
                        return self.flight_done(now, Ok(()));
                    }
                }
                self.accept(now, ours, Accepted::Refresh);
            }
            _ => {}
        }
    }

    /// Whether the flight's reasons still hold against the current tokens.
    fn needed(&self, now: Instant) -> bool {
        let Some(f) = &self.flight else { return false };
        let current = self.current_access();
        f.forced || (f.due && self.decision(now) != Decision::Fresh) || current.is_some_and(|c| f.rejected.contains(c))
    }

    /// Tabs that join: a tab holding the session did not answer the re-read under the lock, and it may hold a
    /// newer pair than this tab's (`unsure`: it refreshed, told the tabs, and the browser froze it before it
    /// answered): spending this tab's refresh token then may be a replay, which the server answers with that
    /// pair only in its grace window.
    /// So, as for a transient failure, the tabs are asked again after a backoff, [`super::ASK_AGAIN`] times;
    /// then the token is spent anyway (`true`: asked again).
    fn ask_again(&mut self, now: Instant, generation: u32) -> bool {
        let spends = self.logout.is_none() && self.needed(now) && self.tokens.as_ref().is_some_and(|t| t.refresh_token.is_some());
        let Some(f) = &mut self.flight else { return false };
        if self.unanswered == 0 || !self.unsure || f.asks >= super::ASK_AGAIN || !spends {
            return false;
        }
        f.asks += 1;
        f.stage = Stage::AskWait { generation };
        let at = now.plus_ms(backoff_ms(f.asks - 1, None));
        self.set_timer(Timer::RefreshRetry, Some(at));
        true
    }

    /// Whether the reasons still hold now that the flight runs; then spend the refresh token.
    fn decide_need(&mut self, now: Instant) {
        if self.logout.is_some() {
            return self.flight_done(now, Err(login_required(None))); // nothing is spent for an ending session
        }
        if !self.needed(now) {
            return self.flight_done(now, Ok(())); // the current tokens already answer the need: send nothing
        }
        let Some(base) = self.tokens.clone() else {
            return self.flight_done(now, Err(login_required(None)));
        };
        let Some(refresh_token) = base.refresh_token.clone() else {
            return self.flight_done(now, Err(no_refresh_token()));
        };
        let spend = Spend { refresh_token, generation: self.generation, base, logouts: self.logouts };
        if let Some(f) = &mut self.flight {
            f.spend = Some(spend);
        }
        self.send_refresh();
    }

    fn send_refresh(&mut self) {
        let Some(spend) = self.flight.as_ref().and_then(|f| f.spend.as_ref()) else { return };
        let form = refresh_form(&self.cfg, &spend.refresh_token);
        let request = self.next_id();
        self.set_stage(Stage::Sending { request });
        let url = self.cfg.token_url();
        let proof = self.endpoint_proof(&url);
        self.push(Command::SendToken { id: request, url, form, timeout_ms: TOKEN_TIMEOUT_MS, proof });
    }

    /// [`Timer::Handover`]: the other tabs heard that storage was given up; the lock goes back.
    pub(super) fn handover_over(&mut self, now: Instant) {
        if matches!(self.stage(), Some(Stage::Handover { .. })) {
            let Some(Stage::Handover { terminal }) = self.take_stage(Stage::Landing) else { return };
            self.flight_done(now, terminal.map_or(Ok(()), Err));
        }
    }

    /// [`Timer::SaveRetry`]: write the refreshed pair again (or look first, where no lock covers the wait).
    pub(super) fn retry_save(&mut self, now: Instant) {
        let Some(&Stage::SaveWait { retry_at, .. }) = self.stage() else { return };
        let slept = now.ms_since(retry_at) >= super::LOCK_WAIT_MS as f64;
        let Some(Stage::SaveWait { answer, .. }) = self.take_stage(Stage::Landing) else { return };
        if self.caps.shared && (!self.caps.locks || slept) {
            // No lock: other tabs may have refreshed and stored a later pair while we waited (a tab that
            // slept through its retry): look before writing ours again, as before the first write. (A tab
            // that slept past what a logout waits for the lock: that logout may have cleared storage.)
            self.set_stage(Stage::PreSave { answer });
            let op = self.new_op(Op::Flight);
            return self.push(Command::Load { op });
        }
        if self.flight_after_logout() {
            // A logout came while the write waited to be retried: the pair is not written again.
            self.revoke_late(&answer);
            return self.flight_done(now, Err(login_required(None)));
        }
        self.accept(now, answer, Accepted::Refresh);
    }

    /// [`Timer::RefreshRetry`]: the backoff after a transient failure is over; the same refresh token again.
    pub(super) fn retry_refresh(&mut self, now: Instant) {
        let ask = match self.stage() {
            Some(Stage::Backoff) => None,
            Some(&Stage::AskWait { generation }) => Some(generation),
            _ => return,
        };
        if self.logout.is_some() {
            return self.flight_done(now, Err(login_required(None)));
        }
        if let Some(generation) = ask {
            self.set_stage(Stage::Rereading { generation });
            return self.read_shared(Op::Flight);
        }
        // Retrying the *same* refresh token recovers a lost answer; but if another tab's newer pair was
        // adopted meanwhile, ours is spent for good: weigh the reasons again against the new tokens.
        let spent = self.flight.as_ref().and_then(|f| f.spend.as_ref()).map(|s| &s.refresh_token);
        let current = self.tokens.as_ref().and_then(|t| t.refresh_token.as_ref());
        if spent.is_some() && spent != current {
            return self.decide_need(now);
        }
        self.send_refresh();
    }

    pub(super) fn token_reply(&mut self, now: Instant, id: OpId, result: Result<TokenSet, Error>) {
        // Only the answer to the request on the wire: a late one (a request the flight gave up) is not it.
        if !matches!(self.stage(), Some(Stage::Sending { request }) if *request == id) {
            return;
        }
        let nonce_known = self.token_endpoint_nonce().is_some();
        let Some(f) = &mut self.flight else { return };
        let Some(spend) = &f.spend else { return };
        let same_session = spend.generation == self.generation;
        if spend.logouts != self.logouts {
            // A logout (here, or heard from another tab) came while the refresh was out: the new pair is of a
            // login that is over. The server is told; nothing is stored.
            if let Ok(t) = &result {
                self.revoke_late(t);
            }
            return self.flight_done(now, Err(login_required(None)));
        }
        if !same_session {
            // Logged in again meanwhile: this answer belongs to a session that is gone.
            return self.flight_done(now, Err(login_required(None)));
        }
        match result {
            Ok(mut t) => {
                self.unsure = false; // the server's newest pair (a replay in its grace window: the same one)
                let b = &spend.base;
                t.lineage = b.lineage.next();
                if t.refresh_token.is_none() {
                    // RFC 6749 §6: a server need not rotate; the refresh token we spent stays valid.
                    t.refresh_token = b.refresh_token.clone();
                    t.refresh_expires_at_ms = b.refresh_expires_at_ms;
                }
                if self.caps.shared {
                    f.stage = Stage::PreSave { answer: t };
                    let op = self.new_op(Op::Flight);
                    return self.push(Command::Load { op });
                }
                f.stage = Stage::Landing;
                self.accept(now, t, Accepted::Refresh);
            }
            Err(e) if super::retries_with_nonce(&e, nonce_known, f.nonce_retried) => {
                // RFC 9449 §8: the server wants its nonce in the proof. One resend with it; a second demand is
                // the error it says (terminal), never a loop.
                f.nonce_retried = true;
                self.send_refresh();
            }
            Err(e) if e.retryable => {
                // The retry after the backoff is a new request: it earns its own nonce resend (the nonce may
                // have changed meanwhile: a tab asleep through the backoff).
                f.nonce_retried = false;
                f.attempt += 1;
                let attempt = f.attempt;
                if e.code == ErrorCode::RateLimited {
                    self.emit(SessionEvent::RateLimit(e.clone()));
                }
                if attempt >= MAX_TRIES {
                    self.emit(SessionEvent::RefreshError(e.clone()));
                    // The cool-down also honours the last answer's Retry-After (capped as in the backoff), and
                    // never shortens an earlier one (oss-sim seed 1457357: a 429's 45 s, then an app's refresh
                    // failed on the network, and its 30 s cool-down let the policy refresh 3.9 s too early).
                    self.cool_down_until(now.plus_ms(COOLDOWN_MS.max(backoff_ms(0, e.retry_after_s))));
                    return self.flight_done(now, Err(e));
                }
                self.set_stage(Stage::Backoff);
                let at = now.plus_ms(backoff_ms(attempt - 1, e.retry_after_s));
                self.set_timer(Timer::RefreshRetry, Some(at));
            }
            Err(e) => {
                if self.caps.shared || self.group {
                    f.stage = Stage::LastLook { terminal: e };
                    self.read_shared(Op::Flight);
                } else {
                    self.end_after_terminal(e);
                }
            }
        }
    }

    /// Shared storage refused the refreshed pair. The other tabs would read the spent one, so the pair is
    /// written again with backoff while the lock is held; if storage still refuses, this tab keeps the
    /// session in memory and tells the others theirs is over (what storage holds is spent).
    pub(super) fn save_failed(&mut self, now: Instant, tokens: TokenSet, e: Error) {
        let Some(f) = &mut self.flight else { return };
        f.save_attempt += 1;
        if f.save_attempt < SAVE_TRIES {
            let at = now.plus_ms(backoff_ms(f.save_attempt - 1, None));
            f.stage = Stage::SaveWait { answer: tokens, retry_at: at };
            return self.set_timer(Timer::SaveRetry, Some(at));
        }
        self.announce(self.ended_notice());
        self.fall_back(e);
        let op = self.new_op(Op::Ignore);
        self.push(Command::Save { op, tokens: tokens.clone() });
        self.adopt(now, tokens, SessionEvent::Refresh);
        self.set_stage(Stage::Handover { terminal: None });
        self.set_timer(Timer::Handover, Some(now.plus_ms(HANDOVER_MS)));
    }

    /// The flight ended the session (storage cleared, the other tabs told). Tabs that join keep the lock a moment
    /// ([`super::TABS_HANDOVER_MS`]): the next holder asks the tabs, and the one that ended it no longer answers, so it must
    /// have heard the notice first, or it would spend the refresh token whose answer ended the session.
    pub(super) fn flight_failed(&mut self, now: Instant, e: Error) {
        if !(self.group && self.flight.as_ref().is_some_and(|f| f.locked)) {
            return self.flight_done(now, Err(e));
        }
        self.set_stage(Stage::Handover { terminal: Some(e) });
        self.set_timer(Timer::Handover, Some(now.plus_ms(super::TABS_HANDOVER_MS as f64)));
    }

    fn end_after_terminal(&mut self, e: Error) {
        self.set_stage(Stage::Landing);
        self.emit(SessionEvent::RefreshError(e.clone()));
        let event = SessionEvent::Expired(Some(e.clone()));
        let notice = self.ended_notice();
        self.forget(event, Some(notice), AfterForget::FailFlight(e));
    }

    /// The flight landed: the lock goes back, every waiter continues, and the policy timer is re-armed.
    pub(super) fn flight_done(&mut self, now: Instant, result: Result<(), Error>) {
        let Some(f) = self.flight.take() else { return };
        if f.locked {
            self.push(Command::Unlock);
        }
        self.set_timer(Timer::RefreshRetry, None);
        self.set_timer(Timer::SaveRetry, None);
        self.set_timer(Timer::Handover, None);
        // The session's user changed under the flight: no waiting call is sent as the new one.
        let switched = matches!(&result, Err(e) if e.code == ErrorCode::OwnerChanged) || self.owner_differs(f.owner.as_ref());
        let result = if switched { Err(owner_changed()) } else { result };
        let result = result.map_err(session_over);
        for w in f.waiters {
            match w {
                Waiter::None => {}
                Waiter::App(call) => self.settle(call, result.clone().map(|_| Value::Unit)),
                Waiter::Due(call) => {
                    if self.valid_now(now) && !switched {
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
