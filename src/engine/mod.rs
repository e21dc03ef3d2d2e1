//! The session engine: every decision of a session (when to refresh, single flight, lock and re-read, retry
//! and backoff, terminal vs transient, the 401 policy, cross-tab adoption, timers) as one sans-IO state
//! machine. It takes [`Input`]s stamped with the time and queues [`Command`]s; it never calls the browser,
//! never sleeps and never awaits, so the host tests and the simulator drive it with a fake clock.
//!
//! One job per file: `io` (the vocabulary), `lifecycle` (restore, accept, forget, the policy check, other tabs,
//! logout), `flight` (the one refresh in flight), `silent` (silent renewal; it starts its frame login itself),
//! `end_of_pair` (look before clearing shared storage), `api_calls` (`session.fetch` and its 401 policy),
//! `dpop_policy` (proofs, nonces and the key, RFC 9449), `owner` (a pair of another user is another login),
//! `timers` (the timer table and `poll_timeout`), `storage_ops` (what each storage operation was for, and why a
//! pair ended), `login` (the authorize request, the callback's decision, the code exchange, a popup's and a
//! frame's outcomes), `join` (tabs on per-tab storage that join one session: every re-read of the shared session
//! asks the tabs that hold it). Files import each other one way (`storage_ops`, `owner`, `timers` and `io` are
//! leaves; tests/architecture.rs checks there is no circle). Each process with waits keeps a typed stage (see
//! ARCHITECTURE.md).

use alloc::collections::VecDeque;

use crate::protocol::{decide, Config, Decision, Error, ErrorCode, RandomSource, Secret, TokenInfo, TokenSet};

mod api_calls;
pub mod dpop_policy;
mod flight;
pub mod io;
mod lifecycle;
mod login;
mod silent;
mod storage_ops;
mod timers;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod dpop_policy_tests;
#[cfg(test)]
mod login_tests;
mod end_of_pair;
mod join;
mod owner;

pub use dpop_policy::retries_with_nonce;
pub use join::{ASK_AGAIN, ASK_WAIT_MS};
pub use io::{Caps, CallId, Command, Input, Instant, Logins, Notice, OpId, Proof, SessionEvent, Timer, Value};
pub use login::popup_timeout_ms;

use api_calls::Sent;
use dpop_policy::NonceFrom;
use flight::Flight;
use storage_ops::Op;
use silent::Silent;

/// How many transient failures one refresh tolerates (the same refresh token each time) before giving up.
pub const MAX_TRIES: u32 = 3;
/// After a refresh gave up, the timer waits this long before trying on its own (a still-valid token keeps
/// being used meanwhile): no refresh storm while a server is down.
pub const COOLDOWN_MS: f64 = 30_000.0;
/// Upper bound on waiting for another tab's refresh; then a retryable `lock_timeout`, never a hang.
pub const LOCK_WAIT_MS: u32 = 30_000;
/// How long one token request may take before it counts as a (retryable) timeout.
pub const TOKEN_TIMEOUT_MS: u32 = 30_000;
/// Timers are re-armed at least this often: `setTimeout` overflows past 2^31 ms, and a long wait is only a hint.
const MAX_TIMER_MS: f64 = 3_600_000.0;
/// The longest lives the session believes, counted from issue and from now (RingCentral's are 1 h and a
/// week): a stored or received value beyond them — forged, or a unit mistake — is cut to them.
pub const MAX_ACCESS_LIFETIME_MS: f64 = 24.0 * 3_600_000.0;
pub const MAX_REFRESH_LIFETIME_MS: f64 = 400.0 * 24.0 * 3_600_000.0;
/// Access tokens (and logins) this tab saw logged out; a stale read of storage must not revive one.
const DEAD_KEPT: usize = 8;
/// Tabs that join (`join.rs`): how long a tab that ended the session keeps the lock for its notice to reach the
/// others, since the next holder asks them and the ending tab no longer answers (BroadcastChannel delivers within
/// milliseconds; the simulator's within 50 ms).
pub const TABS_HANDOVER_MS: u32 = 100;
/// The restore from storage at the start: until it is done, inputs that need the tokens wait (with their time).
#[derive(Debug)]
enum Restore {
    Pending(Vec<(Instant, Input)>),
    Done,
}

/// What a pair taken from storage is announced as ([`Engine::adopt_stored`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Taken {
    /// `refresh`: the flight's looks at storage (another tab's refresh answered its need).
    AsRefresh,
    /// `login` to a tab that held none, else `refresh`.
    AsFound,
}

/// Where a flight or a silent renewal stands with the cross-tab lock, for a logout that takes it over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LockHold {
    Held,
    /// Asked for with this request; not granted yet.
    Asked(OpId),
}

/// The call of a revoke no app call waits for: a pair that landed after a logout ([`Engine::revoke_late`]).
pub const NO_CALL: CallId = CallId::MAX;
/// The "call" of a silent renewal's frame login (the engine starts it, `silent.rs`): no app call waits for it.
pub const FRAME_CALL: CallId = CallId::MAX - 1;

pub struct Engine {
    cfg: Config,
    caps: Caps,
    tokens: Option<TokenSet>,
    /// Restored from storage yet: inputs that need the tokens wait until then.
    restore: Restore,
    flight: Option<Flight>,
    /// Authenticated requests on the wire, with the token each carried.
    sent: Vec<Sent>,
    ops: Vec<(OpId, Op)>,
    next_op: OpId,
    /// Bumped whenever the session is replaced (login, logout, expiry): a refresh answer that belongs to an
    /// earlier session is dropped rather than reviving it.
    generation: u32,
    /// After a refresh gave up: no refresh on the policy's own before then.
    cooldown_until: Option<Instant>,
    /// `expires_at_ms` of the token for which `expiring` was emitted (once per token).
    expiring_sent_for: Option<f64>,
    timers: timers::Timers,
    dead: Vec<Secret>,
    /// Logins (their lineage's login time, whole ms: [`login_of`]) this tab saw logged out, or that a logout
    /// notice named: no pair of one is adopted or stored again.
    dead_logins: Vec<u64>,
    /// The logout in progress in this tab (until storage is cleared).
    logout: Option<lifecycle::Logout>,
    /// Bumped by every logout (this tab's, or another's heard): a refresh answer, a silent renewal's result or
    /// a save that belongs to an earlier count lands after a logout — it is revoked, never stored or adopted.
    logouts: u32,
    /// Shared storage was given up (a fallback to memory): other tabs' news is ignored, but not a logout.
    left_shared: bool,
    dpop: dpop_policy::Dpop,
    /// The silent renewal in progress, and `expires_at_ms` of the token it was last tried for (once per token).
    silent: Option<Silent>,
    silent_tried_for: Option<f64>,
    /// Origins whose token-less fetch while logged in was reported ([`Command::WarnWithheld`], once each).
    withheld_from: Vec<String>,
    /// Tabs on per-tab storage join one session (`join.rs`); `present`: this tab says it holds it; `join_asked`:
    /// the start asked the tabs once.
    group: bool,
    present: bool,
    /// The access token of a pair being taken from another tab's answer (`join.rs`).
    taken: Option<Secret>,
    /// The tabs holding the session that left the answer being handled unanswered (`join.rs`).
    unanswered: u32,
    /// Tabs that join: another tab may hold a newer pair than this tab's that no answer brought (`join.rs`).
    unsure: bool,
    join_asked: bool,
    /// Entropy for a login's state and PKCE verifier (the browser's `crypto.getRandomValues`; seeded in tests).
    random: Box<dyn RandomSource>,
    /// Logins of this tab in progress (a popup's, a redirect's code exchange).
    logins: Vec<login::Login>,
    out: VecDeque<Command>,
}

impl Engine {
    pub fn new(cfg: Config, caps: Caps, random: Box<dyn RandomSource>) -> Engine {
        Engine {
            cfg,
            caps,
            tokens: None,
            restore: Restore::Pending(Vec::new()),
            flight: None,
            sent: Vec::new(),
            ops: Vec::new(),
            next_op: 1,
            generation: 0,
            cooldown_until: None,
            expiring_sent_for: None,
            timers: Default::default(),
            dead: Vec::new(),
            dead_logins: Vec::new(),
            logout: None,
            logouts: 0,
            left_shared: false,
            dpop: Default::default(),
            silent: None,
            silent_tried_for: None,
            withheld_from: Vec::new(),
            group: false,
            present: false,
            taken: None,
            unanswered: 0,
            unsure: false,
            join_asked: false,
            random,
            logins: Vec::new(),
            out: VecDeque::new(),
        }
    }

    /// Feeds one input that happened at `now`. Commands queue up for [`Engine::poll`].
    pub fn handle(&mut self, now: Instant, input: Input) {
        self.timers.saw(now);
        let waits = match &input {
            Input::Fetch { origin, .. } => self.is_api_origin(origin),
            other => needs_ready(other),
        };
        if let (Restore::Pending(deferred), true) = (&mut self.restore, waits) {
            deferred.push((now, input));
            return;
        }
        let Some(input) = self.dpop_gate(input) else { return };
        match input {
            Input::Start { ready, storage_problem } => self.start(ready, storage_problem),
            Input::Fetch { call, origin } => self.fetch(now, call, &origin),
            Input::ApiResponse { call, status, error, dpop_nonce } => {
                self.dpop_nonce(NonceFrom::Call(call), dpop_nonce);
                self.api_response(now, call, status, error)
            }
            // Nothing to refresh with while a silent renewal holds the lock (it implies no refresh token).
            Input::Refresh { call } if self.silent.is_some() => self.settle(call, Err(no_refresh_token())),
            Input::Refresh { call } => self.join_flight(now, flight::Why::Forced, flight::Waiter::App(call)),
            Input::Logout { call } => self.logout(now, call),
            Input::LoggedIn { call, tokens } => self.logged_in(now, call, tokens, Value::Bool(true)),
            // (One call of `loaded` for both: it stays inlined, bytes.)
            i @ (Input::Loaded { .. } | Input::TabsAnswered { .. }) => self.read_done(now, i),
            Input::Saved { op, result } => self.saved(now, op, result),
            Input::Cleared { op } => self.cleared(now, op),
            Input::TokenReply { id, result, dpop_nonce } => {
                self.dpop_nonce(NonceFrom::TokenEndpoint, dpop_nonce);
                self.token_reply(now, id, result)
            }
            Input::RevokeDone { call, dpop_nonce } => {
                self.dpop_nonce(NonceFrom::RevokeEndpoint, dpop_nonce);
                if call != NO_CALL {
                    self.settle(call, Ok(Value::Unit));
                }
            }
            Input::LockGranted { id } => self.lock_answer(now, id, true),
            Input::LockTimedOut { id } => self.lock_answer(now, id, false),
            // A tab that no longer shares storage (it fell back to memory) follows no other tab.
            Input::Broadcast(n) if self.coordinated() => self.heard(n),
            // The session this tab keeps in memory came from the shared one: the user's logout ends it too.
            Input::Broadcast(n @ Notice::Logout(_)) if self.left_shared => self.broadcast_received(n),
            Input::Broadcast(_) => {}
            Input::Timeout => self.timeout(now),
            Input::Wake => {
                // Tabs that join: a tab the browser froze may have missed the others' notices (`join.rs`).
                self.unsure |= self.group;
                self.check(now)
            }
            Input::Renew { call } => self.renew(now, call),
            Input::SilentDone { id, result } => self.silent_result(now, id, result),
            Input::Login { call, kind, timeout_s } => self.login(now, call, kind, timeout_s),
            Input::Digested { call, digest } => self.digested(now, call, digest),
            Input::TransactionSaved { call, result } => self.transaction_saved(call, result),
            Input::LoginFailed { call, error } => self.login_failed(now, call, error),
            Input::Callback { call, href, response, tx } => self.callback(now, call, &href, response, tx),
            Input::Handover { call, response } => self.handover(now, call, response),
            Input::PopupClosed { call, back } => self.popup_closed(call, back),
            Input::LoginTimedOut { call } => self.login_timed_out(now, call),
            Input::Exchanged { call, result, dpop_nonce } => {
                self.dpop_nonce(NonceFrom::TokenEndpoint, dpop_nonce);
                self.exchanged(now, call, result)
            }
            Input::TabsAsked { id } => self.tabs_asked(id),
        }
        self.sync_presence();
    }

    /// The next command to carry out, oldest first.
    pub fn poll(&mut self) -> Option<Command> {
        self.out.pop_front()
    }

    /// True while a token is usable now or can be refreshed.
    pub fn is_logged_in(&self, now: Instant) -> bool {
        self.decision(now) != Decision::LoginRequired
    }

    pub fn token_info(&self) -> Option<TokenInfo> {
        self.tokens.as_ref().map(TokenSet::info)
    }

    /// The access token held now (the simulator's oracle tells logins apart by it; never for the app).
    pub fn access_token(&self) -> Option<&Secret> {
        self.current_access()
    }

    /// Whether the stored session is shared with other tabs (false after a fallback to memory).
    pub fn is_shared(&self) -> bool {
        self.caps.shared
    }

    // ---- small helpers shared by the files of this module ---------------------------------------

    fn decision(&self, now: Instant) -> Decision {
        decide(self.tokens.as_ref(), now.as_ms(), self.cfg.refresh_margin_s)
    }

    fn current_access(&self) -> Option<&Secret> {
        self.tokens.as_ref().map(|t| &t.access_token)
    }

    /// A refresh gave up a moment ago: the policy does not start another before the cool-down is over.
    fn cooling(&self, now: Instant) -> bool {
        self.cooldown_until.is_some_and(|c| now < c)
    }

    /// A cool-down until `at`, or until the one already running ends if that is later.
    fn cool_down_until(&mut self, at: Instant) {
        self.cooldown_until = Some(self.cooldown_until.map_or(at, |c| c.max(at)));
    }

    /// The access token is valid by the clock (whatever the margin says).
    fn valid_now(&self, now: Instant) -> bool {
        self.tokens.as_ref().is_some_and(|t| now.as_ms() < t.expires_at_ms)
    }

    fn push(&mut self, c: Command) {
        self.out.push_back(c);
    }

    fn emit(&mut self, e: SessionEvent) {
        self.push(Command::Emit(e));
    }

    fn settle(&mut self, call: CallId, result: Result<Value, Error>) {
        self.dpop_untrack(call);
        self.push(Command::Settle { call, result });
    }

    /// Asks for the cross-tab lock when there is one to share (shared storage and Web Locks): the request's
    /// id, and [`Input::LockGranted`] with it follows; `None`, the caller goes on at once, alone.
    fn ask_lock(&mut self) -> Option<OpId> {
        if !(self.coordinated() && self.caps.locks) {
            return None;
        }
        let name = self.cfg.lock_name();
        let id = self.next_id();
        self.push(Command::Lock { id, name, timeout_ms: LOCK_WAIT_MS });
        Some(id)
    }

    /// A lock answer goes to the one that asked for it: the logout, the silent renewal or the flight (a logout
    /// takes over the request of the one it ends). A grant nobody waits for is given back.
    fn lock_answer(&mut self, now: Instant, id: OpId, granted: bool) {
        if self.logout.as_ref().is_some_and(|l| l.waits_for(id)) {
            self.logout_locked(granted)
        } else if self.silent_waits_for(id) {
            self.silent_lock(now, granted)
        } else if self.flight_waits_for(id) {
            if granted {
                self.lock_granted(now)
            } else {
                self.lock_timed_out(now)
            }
        } else if granted {
            self.push(Command::Unlock);
        }
    }

    fn announce(&mut self, n: Notice) {
        // Tabs that join: a tab that heard the notice asks the tabs that say they hold the session; say so first.
        self.sync_presence();
        if self.coordinated() {
            self.push(Command::Broadcast(n));
        }
    }

    /// A new request's id (storage operations, token requests, silent renewals and lock requests share one count).
    fn next_id(&mut self) -> OpId {
        let id = self.next_op;
        self.next_op = self.next_op.wrapping_add(1);
        id
    }

    fn new_op(&mut self, op: Op) -> OpId {
        let id = self.next_id();
        self.ops.push((id, op));
        id
    }

    fn take_op(&mut self, id: OpId) -> Option<Op> {
        let i = self.ops.iter().position(|(o, _)| *o == id)?;
        Some(self.ops.swap_remove(i).1)
    }

    fn is_dead(&self, t: &TokenSet) -> bool {
        self.dead.contains(&t.access_token) || self.dead_login(t)
    }

    /// A pair of a login this tab saw logged out (a refresh or renewal of it that landed late). Pairs stored
    /// before lineages (login time 0) are told apart by their access token only.
    fn dead_login(&self, t: &TokenSet) -> bool {
        login_of(t) != 0 && self.dead_logins.contains(&login_of(t))
    }

    /// Every pair that enters the session (login, refresh, storage, another tab) passes here: the refresh-token
    /// choice of the config, and the lifetime caps.
    fn admit(&self, t: TokenSet, now: Instant) -> TokenSet {
        let mut t = self.cfg.keep_allowed(t);
        let cap = |at: f64, life: f64| at.min(t.issued_at_ms + life).min(now.as_ms() + life);
        t.expires_at_ms = cap(t.expires_at_ms, MAX_ACCESS_LIFETIME_MS);
        t.refresh_expires_at_ms = t.refresh_expires_at_ms.map(|r| cap(r, MAX_REFRESH_LIFETIME_MS));
        t
    }

    /// Whether a pair read from storage should become current: not one this tab saw logged out, not the one it
    /// holds, and not an older pair of the same login (a late write by a tab whose answer came last).
    fn takes_over(&self, stored: &TokenSet) -> bool {
        if self.is_dead(stored) {
            return false;
        }
        match &self.tokens {
            None => true,
            Some(c) => c.access_token != stored.access_token && stored.lineage.supersedes(c.lineage),
        }
    }

    fn bury(&mut self, t: &TokenSet) {
        // (A logout buries its pair and then revokes it, which buries again: one slot per token.)
        if self.dead.contains(&t.access_token) {
            return;
        }
        if self.dead.len() >= DEAD_KEPT {
            self.dead.remove(0);
        }
        self.dead.push(t.access_token.clone());
    }

    /// `t` is a pair of the login this tab holds.
    fn same_login(&self, t: &TokenSet) -> bool {
        self.tokens.as_ref().is_some_and(|c| c.lineage.since_ms == t.lineage.since_ms)
    }

    /// A logout: besides the pair, its whole login is dead here (any later pair of it is a revival).
    fn bury_login(&mut self, t: &TokenSet) {
        self.bury(t);
        self.bury_named(login_of(t));
    }

    /// A login a logout ended (this tab's, or one a logout notice named), by its name ([`login_of`]).
    fn bury_named(&mut self, login: u64) {
        if login != 0 && !self.dead_logins.contains(&login) {
            if self.dead_logins.len() >= DEAD_KEPT {
                self.dead_logins.remove(0);
            }
            self.dead_logins.push(login);
        }
    }

    /// A pair that landed after a logout (a refresh answer, a silent renewal, a write): the server is told to
    /// end it (no app call waits), and it is never stored or adopted.
    fn revoke_late(&mut self, t: &TokenSet) {
        self.bury(t); // (so a later sweep of the same pair does not revoke it again)
        let url = self.cfg.revoke_url();
        let proof = if t.is_dpop() { self.endpoint_proof(&url) } else { None };
        let token = t.refresh_token.as_ref().unwrap_or(&t.access_token);
        let form = crate::protocol::revoke_form(&self.cfg, token);
        self.push(Command::SendRevoke { call: NO_CALL, url, form, proof });
    }
}

/// A login's name (on the wire too): its lineage's login time in whole ms (0 for pairs stored before lineages).
fn login_of(t: &TokenSet) -> u64 {
    t.lineage.since_ms as u64
}

/// Inputs that use the tokens wait for the restore; I/O answers and the start itself never do.
fn needs_ready(i: &Input) -> bool {
    matches!(
        i,
        Input::Fetch { .. }
            | Input::Refresh { .. }
            | Input::Logout { .. }
            | Input::LoggedIn { .. }
            | Input::Callback { .. }
            | Input::Handover { .. }
            | Input::Exchanged { .. }
            | Input::Broadcast(_)
            | Input::Wake
    ) || silent::needs_ready(i)
}

fn login_required(description: Option<&str>) -> Error {
    Error::with(ErrorCode::LoginRequired, description.unwrap_or("not logged in: log in first"))
}

fn no_refresh_token() -> Error {
    login_required(Some("no refresh token: log in again"))
}

/// One code for "log in again": a call that fails because the session is over rejects with
/// `login_required`, carrying the server's reason (`status`, `errorCode`, and the original code and text in
/// `description`). Transient errors (the session goes on) keep their own code.
fn session_over(e: Error) -> Error {
    if e.retryable || e.code == ErrorCode::LoginRequired {
        return e;
    }
    let mut d = String::from("the session ended (");
    d.push_str(e.code.as_str());
    if let Some(x) = &e.description {
        d.push_str(": ");
        d.push_str(x);
    }
    d.push_str("): log in again");
    Error { code: ErrorCode::LoginRequired, description: Some(d), ..e }
}
