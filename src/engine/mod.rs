//! The session engine: every decision of a session (when to refresh, single flight, lock and re-read, retry
//! and backoff, terminal vs transient, the 401 policy, cross-tab adoption, timers) as one sans-IO state
//! machine. It takes [`Input`]s stamped with the time and queues [`Command`]s; it never calls the browser,
//! never sleeps and never awaits, so the host tests and the simulator drive it with a fake clock.
//!
//! One job per file: `io` (the vocabulary), `lifecycle` (restore, accept, forget, timers, other tabs,
//! logout), `flight` (the one refresh in flight), `silent` (silent renewal), `end_of_pair` (look before
//! clearing shared storage), `api_calls` (`session.fetch` and its 401 policy), `dpop_policy` (proofs, nonces and
//! the key, RFC 9449), `owner` (a pair of another user is another login), `join` (tabs on per-tab storage that join
//! one session: every re-read of the shared session asks the tabs that hold it).

use alloc::collections::VecDeque;

use crate::protocol::{decide, Config, Decision, Error, ErrorCode, Secret, TokenInfo, TokenSet};

mod api_calls;
pub mod dpop_policy;
mod flight;
pub mod io;
mod lifecycle;
mod silent;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod dpop_policy_tests;
mod end_of_pair;
mod join;
mod owner;

pub use dpop_policy::retries_with_nonce;
pub use join::ASK_WAIT_MS;
pub use io::{Caps, CallId, Command, Input, Logins, Notice, OpId, Proof, SessionEvent, TimerId, Value};

use api_calls::Sent;
use flight::Flight;
use lifecycle::Op;
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
/// The call of a revoke no app call waits for: a pair that landed after a logout ([`Engine::revoke_late`]).
pub const NO_CALL: CallId = CallId::MAX;

pub struct Engine {
    cfg: Config,
    caps: Caps,
    tokens: Option<TokenSet>,
    /// Restored from storage: inputs that need the tokens wait in `deferred` until then.
    ready: bool,
    deferred: Vec<(f64, Input)>,
    flight: Option<Flight>,
    /// Authenticated requests on the wire, with the token each carried.
    sent: Vec<Sent>,
    ops: Vec<(OpId, Op)>,
    next_op: OpId,
    /// Bumped whenever the session is replaced (login, logout, expiry): a refresh answer that belongs to an
    /// earlier session is dropped rather than reviving it.
    generation: u32,
    cooldown_until: f64,
    /// `expires_at_ms` of the token for which `expiring` was emitted (once per token).
    expiring_sent_for: f64,
    armed: [Option<f64>; 3],
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
    silent_tried_for: f64,
    /// Origins whose token-less fetch while logged in was reported ([`Command::WarnWithheld`], once each).
    withheld_from: Vec<String>,
    /// Tabs on per-tab storage join one session (`join.rs`); `present`: this tab says it holds it; `join_asked`:
    /// the start asked the tabs once.
    group: bool,
    present: bool,
    /// The access token of a pair being taken from another tab's answer (`join.rs`).
    taken: Option<Secret>,
    join_asked: bool,
    out: VecDeque<Command>,
}

impl Engine {
    pub fn new(cfg: Config, caps: Caps) -> Engine {
        Engine {
            cfg,
            caps,
            tokens: None,
            ready: false,
            deferred: Vec::new(),
            flight: None,
            sent: Vec::new(),
            ops: Vec::new(),
            next_op: 1,
            generation: 0,
            cooldown_until: 0.0,
            expiring_sent_for: 0.0,
            armed: [None, None, None],
            dead: Vec::new(),
            dead_logins: Vec::new(),
            logout: None,
            logouts: 0,
            left_shared: false,
            dpop: Default::default(),
            silent: None,
            silent_tried_for: f64::NAN,
            withheld_from: Vec::new(),
            group: false,
            present: false,
            taken: None,
            join_asked: false,
            out: VecDeque::new(),
        }
    }

    /// Feeds one input that happened at `now_ms`. Commands queue up for [`Engine::poll`].
    pub fn handle(&mut self, now_ms: f64, input: Input) {
        let waits = match &input {
            Input::Fetch { origin, .. } => self.is_api_origin(origin),
            other => needs_ready(other),
        };
        if !self.ready && waits {
            self.deferred.push((now_ms, input));
            return;
        }
        let Some(input) = self.dpop_gate(input) else { return };
        match input {
            Input::Start { ready, storage_problem } => self.start(ready, storage_problem),
            Input::Fetch { call, origin } => self.fetch(now_ms, call, &origin),
            Input::ApiResponse { call, status, error } => self.api_response(now_ms, call, status, error),
            // Nothing to refresh with while a silent renewal holds the lock (it implies no refresh token).
            Input::Refresh { call } if self.silent.is_some() => self.settle(call, Err(lifecycle::no_refresh_token())),
            Input::Refresh { call } => self.join_flight(now_ms, flight::Why::Forced, flight::Waiter::App(call)),
            Input::Logout { call } => self.logout(now_ms, call),
            Input::LoggedIn { call, tokens } => self.logged_in(now_ms, call, tokens),
            // (One call of `loaded` for both: it stays inlined, bytes.)
            i @ (Input::Loaded { .. } | Input::TabsAnswered { .. }) => self.read_done(now_ms, i),
            Input::Saved { op, result } => self.saved(now_ms, op, result),
            Input::Cleared { op } => self.cleared(now_ms, op),
            Input::TokenReply { result } => self.token_reply(now_ms, result),
            Input::RevokeDone { call } if call == NO_CALL => {}
            Input::RevokeDone { call } => self.settle(call, Ok(Value::Unit)),
            Input::LockGranted if self.logout_wants_lock() => self.logout_locked(true),
            Input::LockTimedOut if self.logout_wants_lock() => self.logout_locked(false),
            Input::LockGranted if self.silent_wants_lock() => self.silent_lock(now_ms, true),
            Input::LockTimedOut if self.silent_wants_lock() => self.silent_lock(now_ms, false),
            Input::LockGranted => self.lock_granted(now_ms),
            Input::LockTimedOut => self.lock_timed_out(now_ms),
            // A tab that no longer shares storage (it fell back to memory) follows no other tab.
            Input::Broadcast(n) if self.coordinated() => self.heard(n),
            // The session this tab keeps in memory came from the shared one: the user's logout ends it too.
            Input::Broadcast(n @ Notice::Logout(_)) if self.left_shared => self.broadcast_received(n),
            Input::Broadcast(_) => {}
            Input::Timer(TimerId::Check) => {
                self.armed[TimerId::Check as usize] = None;
                self.check(now_ms);
            }
            Input::Timer(TimerId::Backoff) => {
                self.armed[TimerId::Backoff as usize] = None;
                self.backoff_over(now_ms);
            }
            Input::Wake => self.check(now_ms),
            Input::DpopNonce { origin, nonce } => self.dpop_nonce(origin, nonce),
            Input::Timer(TimerId::Silent) => {
                self.armed[TimerId::Silent as usize] = None;
                self.silent_timer(now_ms);
            }
            Input::Renew { call } => self.renew(now_ms, call),
            Input::SilentDone { result } => self.silent_result(now_ms, result),
            Input::TabsAsked { id } => self.tabs_asked(id),
        }
        self.sync_presence();
    }

    /// The next command to carry out, oldest first.
    pub fn poll(&mut self) -> Option<Command> {
        self.out.pop_front()
    }

    /// True while a token is usable now or can be refreshed.
    pub fn is_logged_in(&self, now_ms: f64) -> bool {
        self.decision(now_ms) != Decision::LoginRequired
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

    fn decision(&self, now_ms: f64) -> Decision {
        decide(self.tokens.as_ref(), now_ms, self.cfg.refresh_margin_s)
    }

    fn current_access(&self) -> Option<&Secret> {
        self.tokens.as_ref().map(|t| &t.access_token)
    }

    /// The access token is valid by the clock (whatever the margin says).
    fn valid_now(&self, now_ms: f64) -> bool {
        self.tokens.as_ref().is_some_and(|t| now_ms < t.expires_at_ms)
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

    fn set_timer(&mut self, timer: TimerId, at_ms: Option<f64>) {
        if self.armed[timer as usize] != at_ms {
            self.armed[timer as usize] = at_ms;
            self.push(Command::SetTimer { timer, at_ms });
        }
    }

    /// Asks for the cross-tab lock when there is one to share (shared storage and Web Locks): `true`, and
    /// [`Input::LockGranted`] follows; `false`, the caller goes on at once, alone.
    fn ask_lock(&mut self) -> bool {
        if !(self.coordinated() && self.caps.locks) {
            return false;
        }
        let name = self.cfg.lock_name();
        self.push(Command::Lock { name, timeout_ms: LOCK_WAIT_MS });
        true
    }

    fn announce(&mut self, n: Notice) {
        // Tabs that join: a tab that heard the notice asks the tabs that say they hold the session; say so first.
        self.sync_presence();
        if self.coordinated() {
            self.push(Command::Broadcast(n));
        }
    }

    fn new_op(&mut self, op: Op) -> OpId {
        let id = self.next_op;
        self.next_op = self.next_op.wrapping_add(1);
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
    fn admit(&self, t: TokenSet, now: f64) -> TokenSet {
        let mut t = self.cfg.keep_allowed(t);
        let cap = |at: f64, life: f64| at.min(t.issued_at_ms + life).min(now + life);
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
            | Input::Broadcast(_)
            | Input::Wake
    ) || silent::needs_ready(i)
}

fn login_required(description: Option<&str>) -> Error {
    Error::with(ErrorCode::LoginRequired, description.unwrap_or("not logged in: log in first"))
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
