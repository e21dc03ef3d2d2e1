//! oss-sim: a deterministic simulator for the session engine (`oauth_spa_session::engine`).
//!
//! One seed = one run: 1–4 tabs (each an [`Engine`] with its own clock), their storage (sessionStorage per
//! tab, or one cookie jar shared by all that drops its cookie when the `Max-Age` the engine's
//! `cookie_max_age_s` gave it has passed, by the browser's clock), a FIFO Web Locks manager, a
//! BroadcastChannel with random delays, timers, and an in-process RingCentral server that is the emulator's own
//! token logic (`rc_emulator::token::process`, `grants`, `access::authorize`, `revoke::revoke`) on its own
//! `rc_emulator::store::State`, pinned to the simulated time. Drawn per seed as well: whether the server sends
//! `refresh_token_expires_in` (oidc-provider does not), whether the app uses refresh tokens or lives on silent
//! renewal alone, and how long the user's login session at the server lasts (what a `prompt=none` renewal is
//! answered from; the simulated frame exchanges the code with the emulator and answers `Input::SilentDone`). A seeded scheduler interleaves app calls,
//! I/O completions (each after a random latency) and timers, and injects faults. After every step the
//! invariants of issue 9 are checked (see [`Inv`] and the comments at each check). Everything is a function
//! of the seed: a failing seed replays exactly, with `--seed N --trace`.

mod app;
mod faults;
mod invariants;
mod profile;
mod server;
mod trace;
pub mod rng;

pub use faults::{Fault, ALL_FAULTS};
use app::API_URL;
pub use invariants::{oracle_origin, Inv};
use faults::TokFault;
use profile::{Profile, Users};
use invariants::{DeadLogin, RtObs};
use trace::describe_input;
use server::{token_set, TokenReq};

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use oauth_spa_session::engine::{
    Caps, CallId, Command, Engine, Input, Notice, Proof, SessionEvent, TimerId, Value, COOLDOWN_MS, LOCK_WAIT_MS,
    MAX_TRIES, TOKEN_TIMEOUT_MS,
};
use oauth_spa_session::protocol::dpop_proof::USE_DPOP_NONCE;
use oauth_spa_session::protocol::{backoff_ms, Config, Error, ErrorCode, Secret, StorageKind, TokenSet};
use rc_emulator::access::{authorize, Credential};
use rc_emulator::client_auth::ClientCreds;
use rc_emulator::errors::OAuthError;
use rc_emulator::params::{form_encode, Params};
use rc_emulator::apps::USERS;
use rc_emulator::store::{AuthRequest, LoginSession, ResponseType, SessionStatus, State, TokenResponse};
use rng::Rng;

pub const SERVER: &str = "http://127.0.0.1:8080";
pub const CLIENT_ID: &str = "demo-spa";
pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/callback";
const EPOCH_MS: f64 = 1_750_000_000_000.0;
const MAX_TABS: usize = 4;
/// A tab's clock differs from the browser's by up to this much when it opens (clock jumps come on top).
const MAX_SKEW_MS: f64 = 120_000.0;
/// How long a DPoP nonce of the simulated server is current.
const NONCE_PERIOD_MS: f64 = 300_000.0;

/// After the run's last fault, the time every tab gets to converge before quiescence is required.
const HEAL_MS: f64 = 20.0 * 60_000.0;
/// Quiescence must come this long after the heal period at the latest (invariant 4: no endless activity).
const QUIESCE_CAP_MS: f64 = 30.0 * 60_000.0;
const MAX_STEPS: u64 = 400_000;
/// What a run may do; `disabled` faults are never chosen (to bisect a finding by fault class).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub disabled: HashSet<Fault>,
    pub trace: bool,
}


#[derive(Debug, Clone)]
pub struct Failure {
    pub seed: u64,
    pub inv: Inv,
    pub detail: String,
    pub at_ms: f64,
    pub trace: Vec<String>,
    pub profile: String,
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub steps: u64,
    pub token_requests: u64,
    pub faults: u64,
    pub app_calls: u64,
    pub refreshes_ok: u64,
    pub silent_ok: u64,
}

// ---------------------------------------------------------------------------------------------------------
// Events

#[derive(Debug)]
enum Ev {
    App,
    /// An input for a tab (storage results, lock answers, broadcasts, API answers, revoke done).
    Feed { tab: usize, input: Input },
    LoginReply { tab: usize, call: CallId, resp: TokenResponse },
    /// A silent renewal's `prompt=none` request reaches the server (answered from the user's login session).
    SilentArrive { tab: usize, id: u64, slow: bool },
    /// Its frame's answer (the exchanged tokens, or `login_required`) reaches the tab, unless cancelled.
    SilentReply { tab: usize, id: u64, result: Result<TokenResponse, Error> },
    Timer { tab: usize, timer: TimerId, gen: u64 },
    TokenArrive { req: usize },
    TokenReply { req: usize, result: Result<TokenResponse, Error>, answered: bool },
    ApiArrive { tab: usize, call: CallId, token: Option<String>, api: bool, proof: Option<Proof> },
    RevokeArrive { tab: usize, call: CallId, token: Option<String> },
    LockTimeout { ticket: u64 },
    Env(Fault),
    EndStorageThrow { jar: bool, tab: usize },
    Wake { tab: usize },
    OpenTab,
    HealStart,
    /// Invariant 10: another user is now signed in at the server in the browser's login session.
    SwitchUser,
}

impl Ev {
    /// Events that are part of some activity in progress (quiescence waits for them).
    fn active(&self) -> bool {
        !matches!(
            self,
            Ev::App | Ev::Env(_) | Ev::OpenTab | Ev::HealStart | Ev::EndStorageThrow { .. } | Ev::SwitchUser
        ) && !matches!(self, Ev::Timer { timer: TimerId::Check, .. })
    }
}

struct Item {
    t: f64,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Item {
    fn eq(&self, o: &Item) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Item) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    /// Min-heap on (time, insertion order).
    fn cmp(&self, o: &Item) -> Ordering {
        o.t.total_cmp(&self.t).then(o.seq.cmp(&self.seq))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Tabs, storage, requests

#[derive(Clone, Debug)]
enum Slot {
    Empty,
    Tokens(TokenSet),
    Corrupt,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Shared,
    Session,
    Memory,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum CallKind {
    Ready,
    Fetch,
    Refresh,
    Logout,
    Login,
    Probe,
    Renew,
}

struct Call {
    kind: CallKind,
    start: f64,
    frozen_at_start: f64,
    url: String,
    /// Invariant 8: sends of this call, and the nonce demands answered in a row.
    sends: u32,
    nonce_demands: u32,
    /// Invariant 10: the user the app was told of when it made the call.
    owner: Option<String>,
}

/// What caused the commands of one `handle` call.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Cause {
    AppRefresh,
    AppFetch,
    Api401,
    Backoff,
    Check,
    Wake,
    Broadcast,
    /// An I/O completion (storage, lock, token answer): it continues whatever the last trigger started.
    Other,
}

struct Tab {
    open: bool,
    engine: Engine,
    offset_ms: f64,
    mode: Mode,
    own: Slot,
    own_broken_until: f64,
    own_full: bool,
    loads: u32,
    frozen_until: Option<f64>,
    frozen_since: f64,
    frozen_total: f64,
    timers: [Option<u64>; 3],
    timer_gen: u64,
    next_call: CallId,
    calls: HashMap<CallId, Call>,
    logout_requested: bool,
    /// The server session of the tokens this tab touched last (sent, stored, loaded or received).
    last_session: Option<String>,
    outstanding: Option<usize>,
    // flight observation for invariants 4 and 5
    /// The last input that can start a flight (not an I/O completion) since this tab's last token request.
    trigger: Cause,
    /// An app call forced a refresh (session.refresh() or a 401) since this tab's last token request.
    forced_since_send: bool,
    /// The access token this tab last stored, loaded or sent (to tell an adoption from a re-read).
    known_access: Option<String>,
    last_loaded: Option<TokenSet>,
    retry_run: u32,
    fails_in_flight: u32,
    last_fail_at: f64,
    last_fail_ra: Option<u32>,
    auto_not_before: f64,
    auto_reason: &'static str,
    last_clock_jump: f64,
    inputs_window: (f64, u32),
    /// A quiescence probe: its call, and (once sent) the token it carried and what storage held then.
    probe: Option<(CallId, Option<(String, Option<String>)>)>,
    /// The silent renewal whose frame is out (its answer is wanted), by number.
    silent_pending: Option<u64>,
    /// Invariant 7: the pairs (by their access token's expiry, as the engine holds it) this tab renewed
    /// silently, and whether the app called `renew()` since its last silent renewal.
    silent_bases: Vec<f64>,
    /// The pair the pending silent renewal renews.
    silent_base: Option<f64>,
    renew_asked: bool,
    /// Invariant 8: the input being fed is a token answer demanding a DPoP nonce; the last token request
    /// was the resend such an answer earns.
    feeding_nonce: bool,
    last_send_nonce_retry: bool,
    /// Invariant 10: the user the app was last told of (`login`, or `tokenInfo()` once `ready` settled);
    /// `None` after the session ended (`expired`, `logout`, `change(null)`) or when no owner is known.
    app_owner: Option<String>,
    /// Invariant 9: when this tab last heard a logout broadcast, and when it opened.
    heard_logout_at: f64,
    opened_at: f64,
}

struct LockMgr {
    holder: Option<usize>,
    held_since: f64,
    frozen_at_grant: f64,
    queue: VecDeque<(usize, u64)>,
    next_ticket: u64,
}

pub struct World {
    seed: u64,
    rng: Rng,
    prof: Profile,
    opts: Options,
    now: f64,
    seq: u64,
    queue: BinaryHeap<Item>,
    active_events: u64,
    st: State,
    cfg: Config,
    tabs: Vec<Tab>,
    jar: Slot,
    jar_broken_until: f64,
    jar_full: bool,
    jar_tampered_at: f64,
    /// When the jar's cookie expires by the browser's (the simulation's) clock: the `Max-Age` the engine's
    /// `cookie_max_age_s` gives the tokens at the write, by the writing tab's clock. `None`: a session cookie.
    jar_expires_at: Option<f64>,
    /// The user's login session at the server (the browser's login cookie, shared by its tabs).
    login_id: Option<String>,
    /// Invariant 10's draws (who signs in), apart from the main stream.
    users_rng: Rng,
    next_silent: u64,
    /// Invariant 7: pairs (by access expiry) a silent renewal replaced in the jar, and when.
    silent_renewed: Vec<(f64, f64)>,
    /// Access tokens a silent renewal delivered, with the pair (access expiry) it renewed.
    silent_from: HashMap<String, f64>,
    nonce_gen: u64,
    nonce_skip: u64,
    lock: LockMgr,
    bc_last: HashMap<(usize, usize), f64>,
    reqs: Vec<TokenReq>,
    rts: HashMap<String, RtObs>,
    /// The token set as first received for each refresh token (for invariant 5's "was it still fresh?").
    rt_sets: HashMap<String, TokenSet>,
    delivered_access: HashSet<String>,
    /// The jar was last emptied by a tab's logout (seeds 93532972, 1116067).
    jar_logged_out: bool,
    /// (tab, access token): which tab each pair reached (a tab's own storage can hold only what reached it).
    delivered_to: HashSet<(usize, String)>,
    healing: bool,
    non_transient: bool,
    /// A tab gave shared storage up (it refused the refreshed pair for ~20 s: `UseMemory` in shared mode).
    /// From then on the jar holds a spent pair that only a broadcast can warn the other tabs about: a
    /// permanent fault for the session (invariant 3), and invariants 1, 5 and 6 cannot hold for what the jar
    /// feeds tabs that did not hear the broadcast (none, or opened later).
    shared_abandoned: bool,
    any_logout: bool,
    /// Some tab's clock jumped.
    any_jump: bool,
    /// Sessions the app logged out (the logging-out tab's session when logout() was called, and the session
    /// of every revoked token): their end is the user's doing.
    app_ended: HashSet<String>,
    logins_pending: HashSet<usize>,
    /// Invariant 9: the login (a number of the simulation's own) of each server session: an interactive login
    /// starts one, a refresh stays in its session, a silent renewal continues the login of the pair it renews
    /// (a silent renewal of a tab holding nothing starts one).
    login_of_session: HashMap<String, u64>,
    next_login: u64,
    /// The login each silent renewal (by number) continues.
    silent_logins: HashMap<u64, Option<u64>>,
    /// Logout calls in progress, by tab and call: when called, and the logins they end (the one the tab held,
    /// and the one of each token it revoked).
    logouts: HashMap<(usize, CallId), (f64, bool, Vec<u64>)>,
    /// Logins a settled logout ended.
    dead_logins: HashMap<u64, DeadLogin>,
    stats: Stats,
    trace: Vec<String>,
    names: HashMap<String, String>,
    failure: Option<(Inv, String)>,
}

fn err(code: ErrorCode, desc: &str) -> Error {
    Error::with(code, desc)
}

impl World {
    pub fn new(seed: u64, opts: Options) -> World {
        rc_emulator::ids::seed_thread(Some(seed));
        let mut rng = Rng::new(seed);
        let mut prof = Profile::draw(&mut rng, &opts);
        let (users, users_rng) = Users::draw(seed, prof.duration_ms);
        prof.users = users;
        let mut st = State::new(8080);
        st.clock.pin(EPOCH_MS as i64);
        st.config.access_token_ttl_default = prof.access_ttl_s;
        // Unlimited sessions per user: many tabs with their own sessionStorage log in many times, and the
        // eviction of the oldest is a server policy this simulation does not study.
        st.config.max_sessions_per_user = 0;
        st.config.login_session_ttl_s = prof.login_ttl_s;
        if let Some(app) = st.apps.get_mut(CLIENT_ID) {
            app.issue_refresh_tokens = prof.refresh;
        }
        let mut cfg = Config::with_defaults(CLIENT_ID, SERVER, REDIRECT_URI).expect("valid config");
        cfg.refresh_tokens = prof.refresh;
        cfg.silent_renew = prof.silent_renew;
        cfg.dpop = prof.dpop;
        // The downgrade mode runs a session on the bearer tokens the server hands out: that is `dpop: 'prefer'`.
        // With `dpop: true` every login would fail closed (dpop_downgrade) and the seed would exercise nothing;
        // that refusal is covered by the engine's host tests and tests/e2e/dpop.test.mjs.
        cfg.dpop_prefer = prof.dpop_downgrade;
        let stubborn = prof.dpop_stubborn;
        cfg.storage = if prof.shared { StorageKind::Cookie } else { StorageKind::SessionStorage };
        cfg.api_origins = vec![SERVER.to_string()];
        let mut w = World {
            seed,
            rng,
            prof,
            opts,
            now: EPOCH_MS,
            seq: 0,
            queue: BinaryHeap::new(),
            active_events: 0,
            st,
            cfg,
            tabs: Vec::new(),
            jar: Slot::Empty,
            jar_broken_until: 0.0,
            jar_full: false,
            jar_tampered_at: f64::NEG_INFINITY,
            jar_expires_at: None,
            login_id: None,
            users_rng,
            next_silent: 1,
            silent_renewed: Vec::new(),
            silent_from: HashMap::new(),
            nonce_gen: 0,
            nonce_skip: 0,
            lock: LockMgr { holder: None, held_since: 0.0, frozen_at_grant: 0.0, queue: VecDeque::new(), next_ticket: 1 },
            bc_last: HashMap::new(),
            reqs: Vec::new(),
            rts: HashMap::new(),
            rt_sets: HashMap::new(),
            delivered_access: HashSet::new(),
            jar_logged_out: false,
            delivered_to: HashSet::new(),
            healing: false,
            non_transient: stubborn,
            shared_abandoned: false,
            any_logout: false,
            any_jump: false,
            app_ended: HashSet::new(),
            logins_pending: HashSet::new(),
            login_of_session: HashMap::new(),
            next_login: 1,
            silent_logins: HashMap::new(),
            logouts: HashMap::new(),
            dead_logins: HashMap::new(),
            stats: Stats::default(),
            trace: Vec::new(),
            names: HashMap::new(),
            failure: None,
        };
        for _ in 0..w.prof.tabs {
            w.open_tab();
        }
        let first = w.rng.real(0.0, 5_000.0);
        w.push(first, Ev::App);
        let end = EPOCH_MS + w.prof.duration_ms;
        w.push_at(end, Ev::HealStart);
        for at in w.prof.users.switches.clone() {
            w.push_at(EPOCH_MS + at, Ev::SwitchUser);
        }
        // Environment faults at random instants, early enough to be over before the heal period.
        for _ in 0..w.prof.env_fault_count {
            let f = *w.rng.pick(&w.prof.env_faults.clone());
            let at = w.rng.real(60_000.0, w.prof.duration_ms - 2.5 * 3_600_000.0_f64.min(w.prof.duration_ms / 2.0));
            w.push(at.max(60_000.0), Ev::Env(f));
        }
        w
    }

    // ---- plumbing -----------------------------------------------------------------------------

    fn push(&mut self, delay: f64, ev: Ev) {
        let t = self.now + delay.max(0.0);
        self.push_at(t, ev);
    }

    fn push_at(&mut self, t: f64, ev: Ev) {
        if ev.active() {
            self.active_events += 1;
        }
        self.seq += 1;
        self.queue.push(Item { t: t.max(self.now), seq: self.seq, ev });
    }

    fn tab_now(&self, tab: usize) -> f64 {
        self.now + self.tabs[tab].offset_ms
    }

    fn session_of(&self, token: &str) -> Option<String> {
        self.st.session_of_token(token)
    }

    fn touch(&mut self, tab: usize, token: &str) {
        if let Some(s) = self.session_of(token) {
            self.tabs[tab].last_session = Some(s);
        }
    }

    fn open_tabs(&self) -> Vec<usize> {
        (0..self.tabs.len()).filter(|&i| self.tabs[i].open).collect()
    }

    fn open_tab(&mut self) {
        let caps = Caps { shared: self.prof.shared, locks: self.prof.locks };
        let id = self.tabs.len();
        let skew = if self.rng.chance(0.3) { self.rng.real(-MAX_SKEW_MS, MAX_SKEW_MS) } else { 0.0 };
        self.tabs.push(Tab {
            open: true,
            engine: Engine::new(self.cfg.clone(), caps),
            offset_ms: skew,
            mode: if self.prof.shared { Mode::Shared } else { Mode::Session },
            own: Slot::Empty,
            own_broken_until: 0.0,
            own_full: false,
            loads: 0,
            frozen_until: None,
            frozen_since: 0.0,
            frozen_total: 0.0,
            timers: [None, None, None],
            timer_gen: 0,
            next_call: 1,
            calls: HashMap::new(),
            logout_requested: false,
            last_session: None,
            outstanding: None,
            trigger: Cause::Other,
            forced_since_send: false,
            known_access: None,
            last_loaded: None,
            retry_run: 0,
            fails_in_flight: 0,
            last_fail_at: 0.0,
            last_fail_ra: None,
            auto_not_before: 0.0,
            auto_reason: "",
            last_clock_jump: f64::NEG_INFINITY,
            inputs_window: (0.0, 0),
            probe: None,
            silent_pending: None,
            silent_bases: Vec::new(),
            silent_base: None,
            renew_asked: false,
            feeding_nonce: false,
            last_send_nonce_retry: false,
            app_owner: None,
            heard_logout_at: f64::NEG_INFINITY,
            opened_at: self.now,
        });
        self.tr(Some(id), "opened".into());
        let ready = self.new_call(id, CallKind::Ready, String::new());
        self.feed(id, Input::Start { ready, storage_problem: None }, Cause::Other);
    }

    fn close_tab(&mut self, tab: usize) {
        let t = &mut self.tabs[tab];
        if !t.open {
            return;
        }
        t.open = false;
        t.calls.clear();
        t.outstanding = None;
        self.tr(Some(tab), "closed".into());
        // A closed tab's locks are released; its queued requests vanish.
        self.lock.queue.retain(|(t, _)| *t != tab);
        if self.lock.holder == Some(tab) {
            self.lock.holder = None;
            self.grant_next();
        }
        if !self.healing && self.rng.chance(0.7) {
            let d = self.rng.real(1_000.0, 300_000.0);
            self.push(d, Ev::OpenTab);
        }
    }

    fn new_call(&mut self, tab: usize, kind: CallKind, url: String) -> CallId {
        let now = self.now;
        let t = &mut self.tabs[tab];
        let id = t.next_call;
        t.next_call += 1;
        let frozen_at_start = t.frozen_total;
        let owner = t.app_owner.clone();
        t.calls.insert(id, Call { kind, start: now, frozen_at_start, url, sends: 0, nonce_demands: 0, owner });
        self.stats.app_calls += 1;
        id
    }

    /// Feeds one input to a tab and carries out every command it produces.
    fn feed(&mut self, tab: usize, input: Input, cause: Cause) {
        if !self.tabs[tab].open {
            return;
        }
        if !self.inv4_count_input(tab) {
            return;
        }
        if self.opts.trace {
            let d = describe_input(&input);
            self.tr(Some(tab), format!("<- {d}"));
        }
        let forced = matches!(cause, Cause::AppRefresh | Cause::Api401);
        if forced {
            self.tabs[tab].forced_since_send = true;
        }
        if !matches!(cause, Cause::Other | Cause::Backoff) {
            self.tabs[tab].trigger = cause;
        }
        let tnow = self.tab_now(tab);
        self.tabs[tab].engine.handle(tnow, input);
        while let Some(cmd) = self.tabs[tab].engine.poll() {
            if !self.tabs[tab].open {
                break;
            }
            self.exec(tab, cmd, cause);
        }
        if self.tabs[tab].open {
            self.check_owner(tab);
        }
    }

    fn slot_read(&self, tab: usize) -> Slot {
        match self.tabs[tab].mode {
            Mode::Shared => self.jar_read(),
            _ => self.tabs[tab].own.clone(),
        }
    }

    /// The jar as the browser shows it: nothing once the cookie's `Max-Age` has passed.
    fn jar_read(&self) -> Slot {
        match self.jar_expires_at {
            Some(at) if self.now >= at => Slot::Empty,
            _ => self.jar.clone(),
        }
    }

    fn broken(&self, tab: usize) -> bool {
        match self.tabs[tab].mode {
            Mode::Shared => self.now < self.jar_broken_until,
            Mode::Session => self.now < self.tabs[tab].own_broken_until,
            Mode::Memory => false,
        }
    }

    fn storage_latency(&mut self) -> f64 {
        if self.rng.chance(0.8) {
            0.0
        } else {
            self.rng.real(0.0, 5.0)
        }
    }

    fn exec(&mut self, tab: usize, cmd: Command, cause: Cause) {
        match cmd {
            Command::Load { op } => {
                self.tabs[tab].loads += 1;
                let first = self.tabs[tab].loads == 1;
                let result = if first && self.broken(tab) {
                    Err(err(ErrorCode::StorageUnavailable, "storage refused to open"))
                } else {
                    match self.slot_read(tab) {
                        Slot::Empty => Ok(None),
                        // The tab touches these tokens when the read's answer reaches it (below, in `step`).
                        Slot::Tokens(t) => Ok(Some(t)),
                        Slot::Corrupt => Err(err(ErrorCode::CorruptStorage, "stored tokens are malformed")),
                    }
                };
                self.tr(Some(tab), format!("-> Load op{op}"));
                let d = self.storage_latency();
                self.push(d, Ev::Feed { tab, input: Input::Loaded { op, result } });
            }
            Command::Save { op, tokens } => {
                let (a, r) = (tokens.access_token.expose().to_string(), tokens.refresh_token.as_ref().map(|r| r.expose().to_string()));
                if self.opts.trace {
                    let an = self.name(&a, 'A');
                    let rn = r.as_deref().map(|r| self.name(r, 'R')).unwrap_or_default();
                    self.tr(Some(tab), format!("-> Save op{op} {an}/{rn}"));
                }
                self.touch(tab, &a);
                self.tabs[tab].known_access = Some(a.clone());
                let full = match self.tabs[tab].mode {
                    Mode::Shared => std::mem::take(&mut self.jar_full),
                    Mode::Session => std::mem::take(&mut self.tabs[tab].own_full),
                    Mode::Memory => false,
                };
                let result = if self.broken(tab) {
                    Err(err(ErrorCode::StorageUnavailable, "the browser refused the write"))
                } else if full {
                    Err(err(ErrorCode::StorageUnavailable, "quota exceeded"))
                } else {
                    match self.tabs[tab].mode {
                        Mode::Shared => {
                            // The cookie's lifetime, as the web layer's store computes it at the write.
                            let tnow = self.tab_now(tab);
                            let max_age = oauth_spa_session::protocol::cookie_max_age_s(&tokens, tnow);
                            self.jar_expires_at = max_age.map(|s| self.now + s as f64 * 1000.0);
                            if let Some(&b) = self.silent_from.get(&a) {
                                self.silent_renewed.push((b, self.now));
                            }
                            self.jar = Slot::Tokens(tokens);
                            self.jar_logged_out = false;
                        }
                        _ => self.tabs[tab].own = Slot::Tokens(tokens),
                    }
                    Ok(())
                };
                let d = self.storage_latency();
                self.push(d, Ev::Feed { tab, input: Input::Saved { op, result } });
            }
            Command::Clear { op } => {
                self.tr(Some(tab), format!("-> Clear op{op}"));
                match self.tabs[tab].mode {
                    Mode::Shared => {
                        self.jar = Slot::Empty;
                        self.jar_expires_at = None;
                        self.jar_logged_out = self.logouts.keys().any(|(t, _)| *t == tab);
                    }
                    _ => self.tabs[tab].own = Slot::Empty,
                }
                let d = self.storage_latency();
                self.push(d, Ev::Feed { tab, input: Input::Cleared { op } });
            }
            Command::UseMemory => {
                self.tr(Some(tab), "-> UseMemory".into());
                if self.tabs[tab].mode == Mode::Shared {
                    self.shared_abandoned = true;
                    self.non_transient = true;
                }
                let t = &mut self.tabs[tab];
                t.mode = Mode::Memory;
                t.own = Slot::Empty;
            }
            Command::SendToken { url: _, form, timeout_ms, proof } => self.send_token(tab, form, timeout_ms, proof, cause),
            Command::SendRevoke { call, url: _, form, proof: _ } => {
                let p = Params::parse(form.as_bytes());
                let token = p.get("token").map(str::to_string);
                if let Some(sid) = token.as_deref().and_then(|t| self.session_of(t)) {
                    self.app_ended.insert(sid);
                }
                if let Some(l) = token.as_deref().and_then(|t| self.login_of(t)) {
                    if let Some((_, _, ended)) = self.logouts.get_mut(&(tab, call)) {
                        ended.push(l);
                    }
                }
                self.tr(Some(tab), "-> SendRevoke".into());
                let d = self.rng.real(5.0, 300.0);
                self.push(d, Ev::RevokeArrive { tab, call, token });
            }
            Command::SendApi { call, token, retry, proof } => {
                self.inv8_check_api_send(tab, call);
                let url = self.tabs[tab].calls.get(&call).map(|c| c.url.clone()).unwrap_or_default();
                let api = oracle_origin(&url).is_some_and(|o| self.cfg.api_origins.contains(&o));
                let token = token.map(|t| t.expose().to_string());
                if self.opts.trace {
                    let tn = token.as_deref().map(|t| self.name(t, 'A')).unwrap_or_else(|| "-".into());
                    self.tr(Some(tab), format!("-> SendApi #{call} token={tn} retry={retry} {url}"));
                }
                self.inv2_check_api_send(tab, call, token.is_some(), api, &url);
                if let Some(t) = &token {
                    self.touch(tab, t);
                    self.tabs[tab].known_access = Some(t.clone());
                    self.inv10_check_api_send(tab, call, t);
                    self.inv9_check_api_send(tab, call, t);
                }
                if self.tabs[tab].probe.as_ref().is_some_and(|p| p.0 == call) {
                    let stored = match self.slot_read(tab) {
                        Slot::Tokens(t) => Some(t.access_token.expose().to_string()),
                        _ => None,
                    };
                    if let (Some(p), Some(t)) = (&mut self.tabs[tab].probe, &token) {
                        p.1 = Some((t.clone(), stored));
                    }
                }
                let d = self.rng.real(5.0, 400.0);
                self.push(d, Ev::ApiArrive { tab, call, token, api, proof });
            }
            Command::Deliver { call } => self.settled(tab, call, "delivered".into()),
            // A console message for the developer; the simulated tabs only fetch their API origin.
            Command::WarnWithheld { .. } => {}
            Command::Settle { call, result } => {
                let how = match &result {
                    Ok(Value::Unit) => "ok".to_string(),
                    Ok(Value::Bool(b)) => format!("ok({b})"),
                    Err(e) => format!("Err({})", e.code.as_str()),
                };
                self.settled(tab, call, how);
            }
            Command::Lock { name: _, timeout_ms } => {
                self.tr(Some(tab), "-> Lock".into());
                self.inv5_check_lock(tab);
                let ticket = self.lock.next_ticket;
                self.lock.next_ticket += 1;
                self.lock.queue.push_back((tab, ticket));
                self.push(timeout_ms as f64, Ev::LockTimeout { ticket });
                if self.lock.holder.is_none() {
                    self.grant_next();
                }
            }
            Command::Unlock => {
                self.tr(Some(tab), "-> Unlock".into());
                if self.lock.holder == Some(tab) {
                    self.lock.holder = None;
                    self.grant_next();
                }
            }
            Command::Broadcast(n) => {
                self.tr(Some(tab), format!("-> Broadcast({})", n.as_str()));
                if self.prof.broadcast && self.prof.shared {
                    for other in self.open_tabs() {
                        if other == tab {
                            continue;
                        }
                        // Per sender→receiver FIFO, as BroadcastChannel delivers.
                        let d = self.rng.real(0.5, 50.0);
                        let last = self.bc_last.get(&(tab, other)).copied().unwrap_or(0.0);
                        let at = (self.now + d).max(last + 0.001);
                        self.bc_last.insert((tab, other), at);
                        self.push_at(at, Ev::Feed { tab: other, input: Input::Broadcast(n) });
                    }
                }
            }
            Command::SetTimer { timer, at_ms } => {
                let tnow = self.tab_now(tab);
                let t = &mut self.tabs[tab];
                match at_ms {
                    None => t.timers[timer as usize] = None,
                    Some(at) => {
                        t.timer_gen += 1;
                        let gen = t.timer_gen;
                        t.timers[timer as usize] = Some(gen);
                        // setTimeout counts a duration: later clock jumps do not move it.
                        let delay = (at - tnow).max(0.0);
                        self.push(delay, Ev::Timer { tab, timer, gen });
                    }
                }
            }
            Command::Emit(e) => self.emitted(tab, e),
            // The simulated sessions run without DPoP: no key exists to forget.
            Command::ForgetKey { .. } => {}
            Command::SilentRenew => self.silent_renew(tab),
            // The frame is removed: its answer, if it still comes, is not wanted.
            Command::CancelSilent => {
                self.tr(Some(tab), "-> CancelSilent".into());
                self.tabs[tab].silent_pending = None;
            }
        }
    }

    fn settled(&mut self, tab: usize, call: CallId, how: String) {
        self.tr(Some(tab), format!("-> Settle #{call} {how}"));
        // Invariant 4: every call settles exactly once.
        match self.tabs[tab].calls.remove(&call) {
            None => self.fail(Inv::Bounded, format!("tab{tab} settled call #{call} that is not pending (twice?)")),
            Some(c) => {
                if c.kind == CallKind::Login {
                    self.logins_pending.remove(&tab);
                }
                if c.kind == CallKind::Ready {
                    // The app reads tokenInfo() once ready: that is the user it was told of.
                    self.tabs[tab].app_owner = self.tabs[tab].engine.token_info().and_then(|i| i.owner_id);
                }
                self.inv9_logout_settled(tab, call);
            }
        }
    }

    fn emitted(&mut self, tab: usize, e: SessionEvent) {
        self.tr(Some(tab), format!("-> Emit {}", e.name()));
        self.owner_told(tab, &e);
        self.inv9_check_event(tab, &e);
        if let SessionEvent::Refresh(_) = e {
            self.stats.refreshes_ok += 1;
        }
        self.inv3_check_event(tab, e);
    }

    fn grant_next(&mut self) {
        if self.lock.holder.is_some() {
            return;
        }
        while let Some((tab, _)) = self.lock.queue.pop_front() {
            if !self.tabs[tab].open {
                continue;
            }
            self.lock.holder = Some(tab);
            self.lock.held_since = self.now;
            self.lock.frozen_at_grant = self.tabs[tab].frozen_total;
            self.push(0.0, Ev::Feed { tab, input: Input::LockGranted });
            return;
        }
    }

    // ---- the token endpoint ----------------------------------------------------------------------------

    fn send_token(&mut self, tab: usize, form: String, timeout_ms: u32, proof: Option<Proof>, cause: Cause) {
        // A retry resends after a transient failure. The Backoff timer also ends a flight that succeeded (the
        // wait before rewriting a refused save, the handover after giving shared storage up), and the policy
        // check then may start a new refresh at once: that send is a first attempt (seed 1016046).
        let retry = cause == Cause::Backoff && self.tabs[tab].fails_in_flight >= 1;
        // What started this flight: the send's own input, or (when the send follows an I/O completion such
        // as the re-read under the lock) the last input that could start one.
        let cause = if cause == Cause::Other { self.tabs[tab].trigger } else { cause };
        let nonce_retry = self.tabs[tab].feeding_nonce;
        self.inv8_check_token_send(tab, proof.is_none(), nonce_retry);
        // The nonce resend belongs to the request it repeats: what forced that one still counts.
        let forced = if nonce_retry { true } else { std::mem::take(&mut self.tabs[tab].forced_since_send) };
        self.tabs[tab].trigger = Cause::Other;
        self.stats.token_requests += 1;
        let params = Params::parse(form.as_bytes());
        let rt = params.get("refresh_token").map(str::to_string);
        let tnow = self.tab_now(tab);
        if self.opts.trace {
            let rn = rt.as_deref().map(|r| self.name(r, 'R')).unwrap_or_else(|| "-".into());
            self.tr(Some(tab), format!("-> SendToken {} rt={rn}", params.get("grant_type").unwrap_or("?")));
        }
        let session = rt.as_deref().and_then(|r| self.session_of(r));
        if let Some(r) = &rt {
            self.touch(tab, r);
        }
        let shared_locked = self.prof.shared && self.prof.locks;

        self.inv5_check_single_flight(tab, &session, shared_locked);
        if let Some(r) = &rt {
            self.inv1_check_send(tab, r, shared_locked);
            self.inv5_check_fresh(tab, tnow, retry, forced, shared_locked);
        }

        self.inv4_check_token_send(tab, retry, nonce_retry, cause);

        let fault = self.draw_token_fault();
        if fault != TokFault::None {
            self.stats.faults += 1;
            self.tr(None, format!("   fault: token request {fault:?}"));
        }
        let req = self.reqs.len();
        self.reqs.push(TokenReq { tab, rt, params, fault, sent: self.now, timeout_ms, session, proof });
        self.tabs[tab].outstanding = Some(req);
        let lat = match fault {
            TokFault::Timeout => self.rng.real(0.0, 2.0 * timeout_ms as f64),
            _ => self.rng.real(5.0, 300.0),
        };
        self.push(lat, Ev::TokenArrive { req });
        if fault == TokFault::Timeout {
            self.push(timeout_ms as f64, Ev::TokenReply { req, result: Err(err(ErrorCode::Timeout, "request timed out").with_retryable(true)), answered: false });
        }
    }

    fn token_reply(&mut self, req: usize, result: Result<TokenResponse, Error>, answered: bool) {
        let tab = self.reqs[req].tab;
        if !self.tabs[tab].open || self.tabs[tab].outstanding != Some(req) {
            return; // the tab closed: nobody reads this answer
        }
        self.tabs[tab].outstanding = None;
        if answered {
            self.inv1_answered(req, tab);
        }
        let tnow = self.tab_now(tab);
        let result = match result {
            Ok(resp) => {
                self.delivered_access.insert(resp.access_token.clone());
                self.delivered_to.insert((tab, resp.access_token.clone()));
                let ts = token_set(&resp, tnow, self.token_type());
                if let Some(r) = &resp.refresh_token {
                    self.rt_sets.entry(r.clone()).or_insert_with(|| ts.clone());
                }
                self.inv4_answer_ok(tab);
                Ok(ts)
            }
            Err(e) => {
                self.inv4_answer_err(tab, &e);
                Err(e)
            }
        };
        let nonce = matches!(&result, Err(e) if e.code == ErrorCode::from_oauth(USE_DPOP_NONCE));
        self.tabs[tab].feeding_nonce = nonce;
        self.feed(tab, Input::TokenReply { result }, Cause::Other);
        self.tabs[tab].feeding_nonce = false;
    }

    // ---- silent renewal ---------------------------------------------------------------------------------------

    /// A `prompt=none` frame goes out (after invariant 7's checks); the server answers it after a page load's
    /// worth of time, or (fault) after the engine has given up on it.
    fn silent_renew(&mut self, tab: usize) {
        self.tr(Some(tab), "-> SilentRenew".into());
        let tnow = self.tab_now(tab);
        let forced = std::mem::take(&mut self.tabs[tab].renew_asked);
        self.inv7_check_silent(tab, tnow, forced);
        let id = self.next_silent;
        self.next_silent += 1;
        let continues = self.tabs[tab].engine.access_token().map(|t| t.expose().to_string()).and_then(|t| self.login_of(&t));
        self.silent_logins.insert(id, continues);
        self.tabs[tab].silent_pending = Some(id);
        let slow = !self.healing && self.prof.silent_slow > 0.0 && self.rng.chance(self.prof.silent_slow);
        let d = if slow {
            self.stats.faults += 1;
            self.tr(None, "   fault: silent frame too slow".into());
            self.rng.real(1.0, 3.0) * self.cfg.silent_timeout_s as f64 * 1000.0
        } else {
            self.rng.real(20.0, 900.0)
        };
        self.push(d, Ev::SilentArrive { tab, id, slow });
    }

    fn silent_reply(&mut self, tab: usize, id: u64, result: Result<TokenResponse, Error>) {
        if !self.tabs[tab].open || self.tabs[tab].silent_pending != Some(id) {
            return; // cancelled (timed out) or the tab closed: the frame is gone
        }
        self.tabs[tab].silent_pending = None;
        let result = result.map(|resp| {
            self.delivered_access.insert(resp.access_token.clone());
            self.delivered_to.insert((tab, resp.access_token.clone()));
            self.touch(tab, &resp.access_token);
            self.stats.silent_ok += 1;
            if let Some(b) = self.tabs[tab].silent_base {
                self.silent_from.insert(resp.access_token.clone(), b);
            }
            let ts = token_set(&resp, self.tab_now(tab), self.token_type());
            if let Some(r) = &resp.refresh_token {
                self.rt_sets.entry(r.clone()).or_insert_with(|| ts.clone());
            }
            ts
        });
        self.feed(tab, Input::SilentDone { result }, Cause::Other);
    }

    // ---- the loop --------------------------------------------------------------------------------------------

    fn quiescent(&self) -> bool {
        self.active_events == 0
            && self.lock.holder.is_none()
            && self.lock.queue.is_empty()
            && self.tabs.iter().all(|t| !t.open || (t.outstanding.is_none() && t.calls.is_empty() && t.frozen_until.is_none()))
    }

    fn step(&mut self) -> bool {
        let Some(item) = self.queue.pop() else { return false };
        if item.ev.active() {
            self.active_events -= 1;
        }
        self.now = item.t;
        self.st.clock.pin(self.now as i64);
        self.stats.steps += 1;
        // A frozen tab runs nothing: its inputs wait for the wake-up (in order).
        let target = match &item.ev {
            Ev::Feed { tab, .. } | Ev::Timer { tab, .. } | Ev::LoginReply { tab, .. } | Ev::SilentReply { tab, .. } => Some(*tab),
            Ev::ApiArrive { .. } | Ev::RevokeArrive { .. } => None,
            _ => None,
        };
        if let Some(tab) = target {
            if let Some(until) = self.tabs[tab].frozen_until {
                self.push_at(until.max(self.now), item.ev);
                return true;
            }
        }
        match item.ev {
            Ev::App => self.app_action(),
            Ev::Feed { tab, input } => {
                let cause = match &input {
                    Input::ApiResponse { status: 401, .. } => Cause::Api401,
                    Input::Wake => Cause::Wake,
                    Input::Broadcast(_) => Cause::Broadcast,
                    _ => Cause::Other,
                };
                if let Input::Broadcast(Notice::Logout) = input {
                    self.tabs[tab].heard_logout_at = self.now;
                }
                if let Input::LockTimedOut = input {
                    let t = &mut self.tabs[tab];
                    if self.now + COOLDOWN_MS > t.auto_not_before {
                        t.auto_not_before = self.now + COOLDOWN_MS;
                        t.auto_reason = "the cool-down after a lock timeout";
                        t.last_fail_at = self.now;
                    }
                }
                if let Input::Loaded { result: Ok(Some(ts)), .. } = &input {
                    // Other tokens read from storage are adopted, and adoption resets the engine's cool-down
                    // (new tokens, a new chance): invariant 4's cool-down bound restarts too.
                    self.touch(tab, ts.access_token.expose());
                    let t = &mut self.tabs[tab];
                    t.last_loaded = Some(ts.clone());
                    let a = ts.access_token.expose();
                    if t.known_access.as_deref() != Some(a) {
                        t.known_access = Some(a.to_string());
                        t.auto_not_before = 0.0;
                    }
                }
                self.feed(tab, input, cause);
            }
            Ev::LoginReply { tab, call, resp } => {
                if self.tabs[tab].open {
                    self.delivered_access.insert(resp.access_token.clone());
                    self.delivered_to.insert((tab, resp.access_token.clone()));
                    let ts = token_set(&resp, self.tab_now(tab), self.token_type());
                    if let Some(r) = &resp.refresh_token {
                        self.rt_sets.entry(r.clone()).or_insert_with(|| ts.clone());
                    }
                    self.touch(tab, &resp.access_token);
                    self.feed(tab, Input::LoggedIn { call, tokens: ts }, Cause::Other);
                } else {
                    self.logins_pending.remove(&tab);
                }
            }
            Ev::Timer { tab, timer, gen } => {
                if self.tabs[tab].open && self.tabs[tab].timers[timer as usize] == Some(gen) {
                    self.tabs[tab].timers[timer as usize] = None;
                    let cause = if timer == TimerId::Backoff { Cause::Backoff } else { Cause::Check };
                    self.feed(tab, Input::Timer(timer), cause);
                }
            }
            Ev::TokenArrive { req } => self.token_arrive(req),
            Ev::SilentArrive { tab, id, slow } => self.silent_arrive(tab, id, slow),
            Ev::SilentReply { tab, id, result } => self.silent_reply(tab, id, result),
            Ev::TokenReply { req, result, answered } => {
                let tab = self.reqs[req].tab;
                if let Some(until) = self.tabs[tab].frozen_until {
                    self.push_at(until, Ev::TokenReply { req, result, answered });
                    return true;
                }
                self.token_reply(req, result, answered)
            }
            Ev::ApiArrive { tab, call, token, api, proof } => self.api_arrive(tab, call, token, api, proof),
            Ev::RevokeArrive { tab, call, token } => self.revoke_arrive(tab, call, token),
            Ev::LockTimeout { ticket } => {
                if let Some(i) = self.lock.queue.iter().position(|(_, k)| *k == ticket) {
                    let (tab, _) = self.lock.queue.remove(i).expect("queued");
                    self.push(0.0, Ev::Feed { tab, input: Input::LockTimedOut });
                }
            }
            Ev::Env(f) => self.env_fault(f),
            Ev::EndStorageThrow { jar, tab } => {
                if jar {
                    self.jar_broken_until = 0.0;
                } else {
                    self.tabs[tab].own_broken_until = 0.0;
                }
            }
            Ev::Wake { tab } => {
                let t = &mut self.tabs[tab];
                if t.frozen_until.take().is_some() {
                    t.frozen_total += self.now - t.frozen_since;
                }
                self.feed(tab, Input::Wake, Cause::Wake);
            }
            Ev::OpenTab => {
                if !self.healing && self.open_tabs().len() < MAX_TABS {
                    self.open_tab();
                }
            }
            Ev::SwitchUser => self.switch_user(),
            Ev::HealStart => {
                self.healing = true;
                self.jar_full = false;
                self.jar_broken_until = 0.0;
                for t in &mut self.tabs {
                    t.own_full = false;
                    t.own_broken_until = 0.0;
                }
                self.tr(None, "heal: no more app calls or faults".into());
            }
        }
        self.check_bounds();
        self.check_logout_final();
        true
    }

    /// Runs until quiescence after the heal period (or a failure).
    fn run_until_quiet(&mut self, not_before: f64) {
        let cap = not_before + QUIESCE_CAP_MS;
        loop {
            if self.failure.is_some() {
                return;
            }
            // Quiet, and nothing happens before `not_before` but the policy timers: quiescent from then on.
            if self.quiescent() && self.queue.peek().is_none_or(|i| self.now >= not_before || i.t >= not_before) {
                self.now = self.now.max(not_before);
                return;
            }
            if self.now > cap {
                self.fail(Inv::Bounded, "the tabs never became quiet after the faults stopped (endless activity)".into());
                return;
            }
            if self.stats.steps > MAX_STEPS {
                self.fail(Inv::Bounded, format!("more than {MAX_STEPS} steps (loop)"));
                return;
            }
            if !self.step() {
                return;
            }
        }
    }

    pub fn run(mut self) -> Result<Stats, Failure> {
        let heal_end = EPOCH_MS + self.prof.duration_ms + HEAL_MS;
        self.run_until_quiet(heal_end);
        if self.failure.is_none() {
            self.check_newest();
        }
        rc_emulator::ids::seed_thread(None);
        match self.failure.take() {
            None => Ok(self.stats),
            Some((inv, detail)) => Err(Failure {
                seed: self.seed,
                inv,
                detail,
                at_ms: self.now - EPOCH_MS,
                trace: std::mem::take(&mut self.trace),
                profile: self.prof.summary(),
            }),
        }
    }

    pub fn profile_summary(&self) -> String {
        self.prof.summary()
    }
}

/// Runs one seed. On failure with `trace` off, the seed is run again with tracing on (it replays exactly)
/// so the failure carries its trace.
pub fn run_seed(seed: u64, opts: &Options) -> Result<Stats, Failure> {
    match World::new(seed, opts.clone()).run() {
        Ok(s) => Ok(s),
        Err(f) if opts.trace => Err(f),
        Err(first) => {
            let mut o = opts.clone();
            o.trace = true;
            match World::new(seed, o).run() {
                Err(f) if f.inv == first.inv && f.detail == first.detail => Err(f),
                // The traced replay must fail the same way: a seed that does not replay exactly is a simulator
                // bug (hidden state such as a hash map's iteration order), never a pass.
                other => Err(Failure {
                    detail: format!(
                        "{} — and the traced replay did not fail the same way ({}): the simulator is not deterministic",
                        first.detail,
                        match other {
                            Ok(_) => "it passed".to_string(),
                            Err(f) => format!("{:?}: {}", f.inv, f.detail),
                        }
                    ),
                    ..first
                }),
            }
        }
    }
}

pub fn format_failure(f: &Failure, last: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "sim: seed {} FAILED invariant {}", f.seed, f.inv.describe());
    let _ = writeln!(s, "  {} (at {:.3} s)", f.detail, f.at_ms / 1000.0);
    let _ = writeln!(s, "  profile: {}", f.profile);
    let _ = writeln!(s, "  replay: cargo run --release -p oss-sim -- --seed {} --trace", f.seed);
    let start = f.trace.len().saturating_sub(last);
    let _ = writeln!(s, "  last {} trace lines:", f.trace.len() - start);
    for l in &f.trace[start..] {
        let _ = writeln!(s, "  {l}");
    }
    s
}


/// The whole trace of a run (for `--seed N --trace` on a passing seed).
pub fn trace_of(seed: u64, opts: &Options) -> Vec<String> {
    let mut o = opts.clone();
    o.trace = true;
    let mut w = World::new(seed, o);
    let heal_end = EPOCH_MS + w.prof.duration_ms + HEAL_MS;
    w.run_until_quiet(heal_end);
    if w.failure.is_none() {
        w.check_newest();
    }
    rc_emulator::ids::seed_thread(None);
    std::mem::take(&mut w.trace)
}
