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

pub mod rng;

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
const API_URL: &str = "http://127.0.0.1:8080/restapi/v1.0/account/~/extension/~";
/// URLs outside `apiOrigins` the app also fetches, as the browser's URL parser serialises them.
const FOREIGN_URLS: [&str; 5] = [
    "https://evil.example/collect",
    "http://127.0.0.1:8080@evil.example/x",
    "http://127.0.0.1:8080.evil.example/restapi/v1.0/x",
    "https://127.0.0.1:8080/restapi/v1.0/x",
    "http://127.0.0.1:8081/restapi/v1.0/x",
];
const EPOCH_MS: f64 = 1_750_000_000_000.0;
const MAX_TABS: usize = 4;
/// A tab's clock differs from the browser's by up to this much when it opens (clock jumps come on top).
const MAX_SKEW_MS: f64 = 120_000.0;
/// How long a DPoP nonce of the simulated server is current.
const NONCE_PERIOD_MS: f64 = 300_000.0;

/// Invariant 4's bound on one app call, in awake simulated time: two flights (the due one and the 401 one),
/// each at most a lock wait plus MAX_TRIES token requests that time out plus two Retry-After waits (capped
/// at 60 s by the engine), plus storage and API latency. Anything slower is a hang.
const CALL_BOUND_MS: f64 =
    2.0 * (LOCK_WAIT_MS as f64 + MAX_TRIES as f64 * TOKEN_TIMEOUT_MS as f64 + 2.0 * 60_000.0) + 60_000.0;
/// Invariant 4: at most this many inputs to one tab within one simulated second (a timer or message loop).
const LOOP_INPUTS_PER_S: u32 = 2_000;
/// After the run's last fault, the time every tab gets to converge before quiescence is required.
const HEAL_MS: f64 = 20.0 * 60_000.0;
/// Quiescence must come this long after the heal period at the latest (invariant 4: no endless activity).
const QUIESCE_CAP_MS: f64 = 30.0 * 60_000.0;
const MAX_STEPS: u64 = 400_000;
/// Invariant 9 without Web Locks: how long after hearing a logout a tab may take to remove a pair it stored
/// meanwhile (one storage read and one clear: the simulated storage answers within 5 ms each).
const LOGOUT_SWEEP_MS: f64 = 20.0;

// ---------------------------------------------------------------------------------------------------------
// Faults

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Fault {
    /// Token endpoint: the grant is committed, then the connection drops (the tab sees `network`).
    Drop,
    /// Token endpoint: no answer within the engine's timeout; the server may or may not have committed.
    Timeout,
    /// Token endpoint: 500 / 502 / 503 without Retry-After, nothing committed.
    Status5xx,
    /// Token endpoint: 429 or 503 with Retry-After, nothing committed.
    RetryAfter,
    /// One tab's clock jumps forward or back (up to 2 h).
    ClockJump,
    /// One tab is frozen (laptop lid, background tab) for up to 2 h, then wakes.
    Sleep,
    /// A tab closes (preferably while holding the lock or with a token request in flight).
    CloseTab,
    /// Storage throws on every write for a while (and on the first read of a tab opened meanwhile).
    StorageThrow,
    /// The next write to a storage fails (quota exceeded).
    StorageFull,
    /// A stored value is tampered with / planted (loads give `corrupt_storage`). Not transient.
    Tamper,
    /// The session is revoked server-side (refresh answers OAU-211). Not transient.
    Revoke,
    /// The refresh token expires server-side (OAU-210). Not transient.
    RtExpire,
    /// The seed runs without BroadcastChannel.
    NoBroadcast,
    /// The seed runs without Web Locks.
    NoLocks,
    /// A silent renewal's hidden frame answers after the engine's `silentTimeoutSeconds` (the server has
    /// issued the tokens by then; nobody receives them).
    SilentSlow,
}

pub const ALL_FAULTS: [Fault; 15] = [
    Fault::Drop,
    Fault::Timeout,
    Fault::Status5xx,
    Fault::RetryAfter,
    Fault::ClockJump,
    Fault::Sleep,
    Fault::CloseTab,
    Fault::StorageThrow,
    Fault::StorageFull,
    Fault::Tamper,
    Fault::Revoke,
    Fault::RtExpire,
    Fault::NoBroadcast,
    Fault::NoLocks,
    Fault::SilentSlow,
];

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Drop => "drop",
            Fault::Timeout => "timeout",
            Fault::Status5xx => "5xx",
            Fault::RetryAfter => "retry-after",
            Fault::ClockJump => "clock-jump",
            Fault::Sleep => "sleep",
            Fault::CloseTab => "close-tab",
            Fault::StorageThrow => "storage-throw",
            Fault::StorageFull => "storage-full",
            Fault::Tamper => "tamper",
            Fault::Revoke => "revoke",
            Fault::RtExpire => "rt-expire",
            Fault::NoBroadcast => "no-broadcast",
            Fault::NoLocks => "no-locks",
            Fault::SilentSlow => "silent-timeout",
        }
    }

    pub fn from_name(s: &str) -> Option<Fault> {
        ALL_FAULTS.iter().copied().find(|f| f.name() == s)
    }

    /// Transient faults leave the session recoverable: invariant 3 keeps applying after them.
    pub fn transient(self) -> bool {
        !matches!(self, Fault::Tamper | Fault::Revoke | Fault::RtExpire)
    }

    fn is_token_fault(self) -> bool {
        matches!(self, Fault::Drop | Fault::Timeout | Fault::Status5xx | Fault::RetryAfter)
    }

    /// Faults drawn per request (token endpoint, silent renewal) rather than at an instant.
    fn per_request(self) -> bool {
        self.is_token_fault() || self == Fault::SilentSlow
    }
}

/// What a run may do; `disabled` faults are never chosen (to bisect a finding by fault class).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub disabled: HashSet<Fault>,
    pub trace: bool,
}


/// The invariants of issue 9. Each check below says precisely what it measures.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Inv {
    /// 1. No self-inflicted reuse of a refresh token.
    Reuse = 1,
    /// 2. The bearer token goes only to `apiOrigins`.
    Origin = 2,
    /// 3. No `expired` / `logout` while the session is alive and every fault was transient.
    NoFalseEnd = 3,
    /// 4. Bounded: calls settle, retries and Retry-After respected, no loops.
    Bounded = 4,
    /// 5. With Web Locks and shared storage: one token request per expiry.
    OnePerExpiry = 5,
    /// 6. At quiescence storage holds the newest pair the server issued.
    Newest = 6,
    /// 7. Silent renewal: once per pair per tab, and with Web Locks and shared storage tabs adopt a renewed pair.
    Silent = 7,
    /// 8. DPoP: every token request carries a proof; a `use_dpop_nonce` answer earns one resend, never a loop.
    Nonce = 8,
    /// 10. A tab's user (`ownerId`) never changes without a `login` event.
    Owner = 10,
    /// 9. A logout is final: once it settled, no tab uses, stores or announces a pair of the login it ended.
    LogoutFinal = 9,
}

impl Inv {
    pub fn describe(self) -> &'static str {
        match self {
            Inv::Reuse => "1: a refresh token was sent again after the server answered its use",
            Inv::Origin => "2: a bearer token was sent outside apiOrigins",
            Inv::NoFalseEnd => "3: expired/logout while the server still holds a usable token and every fault was transient",
            Inv::Bounded => "4: an app call did not settle in bounded time, or token requests broke the retry / Retry-After bounds",
            Inv::OnePerExpiry => "5: more than one token request per expiry (Web Locks present)",
            Inv::Newest => "6: storage does not hold the newest pair the server issued (at quiescence)",
            Inv::Nonce => "8: DPoP: a token request without a proof, or more than one resend per use_dpop_nonce demand (a loop)",
            Inv::Silent => "7: a second silent renewal for one pair (in a tab, or across tabs with Web Locks and shared storage)",
            Inv::Owner => "10: a tab's user (ownerId) changed without a login event (a refresh of another user's pair, or a request sent as a user the app was not told of)",
            Inv::LogoutFinal => "9: after a logout settled, a pair of the login it ended was sent to the API, stored, or announced (login/refresh)",
        }
    }
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
// The run's shape, drawn from the seed

#[derive(Clone, Debug)]
struct Profile {
    tabs: usize,
    shared: bool,
    locks: bool,
    broadcast: bool,
    access_ttl_s: i64,
    /// The server says when the refresh token expires (`refresh_token_expires_in`, as RingCentral does);
    /// false: it omits it, as oidc-provider does (the engine then keeps the cookie as a session cookie).
    rt_expiry_known: bool,
    /// The app uses refresh tokens (`refreshTokens: true`, the server issues them); false: silent renewal is
    /// the only way the session outlives its access token.
    refresh: bool,
    silent_renew: bool,
    /// The user's login session at the server (what a `prompt=none` request is answered from), in seconds;
    /// 0: it outlives the run.
    login_ttl_s: i64,
    /// Per silent renewal: the chance its frame answers after the engine's timeout.
    silent_slow: f64,
    /// The app asks for DPoP; the server demands its nonce (`use_dpop_nonce`, RFC 9449 §8/§9) of proofs
    /// without the current or previous one; the server ignores DPoP and issues bearer tokens (a downgrade).
    dpop: bool,
    dpop_nonce: bool,
    dpop_downgrade: bool,
    /// The server demands a new nonce now and then even of a proof with the current one (a permanent fault: a
    /// second demand for one token request is terminal).
    dpop_stubborn: bool,
    /// Tabs on sessionStorage join one session (`shareTabs`, issue 23; drawn from its own stream in
    /// [`World::new`]): a new tab asks the tabs holding the session, and some open with a copy of another tab's
    /// sessionStorage (what `window.open` does).
    join: bool,
    duration_ms: f64,
    action_mean_ms: f64,
    /// Per token request: the chance of each enabled token-endpoint fault.
    token_faults: Vec<(Fault, f64)>,
    env_faults: Vec<Fault>,
    env_fault_count: u32,
    /// Two users (invariant 10): the user of the login session at the server switches at these instants (ms
    /// into the run), and an interactive login signs in as the other user with this chance. Drawn from their
    /// own stream ([`Users::draw`]), so seeds without them run exactly as before.
    users: Users,
}

#[derive(Clone, Debug, Default)]
struct Users {
    switches: Vec<f64>,
    other_login: f64,
}

impl Users {
    fn on(&self) -> bool {
        !self.switches.is_empty() || self.other_login > 0.0
    }

    fn draw(seed: u64, duration_ms: f64) -> (Users, Rng) {
        let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x0005_E2A0_0010_0000);
        if !rng.chance(0.2) {
            return (Users::default(), rng);
        }
        let n = rng.range(0, 3);
        let mut switches: Vec<f64> = (0..n).map(|_| rng.real(60_000.0, (duration_ms - 1_800_000.0).max(120_000.0))).collect();
        switches.sort_by(f64::total_cmp);
        let other_login = if n == 0 || rng.chance(0.5) { rng.real(0.1, 0.5) } else { 0.0 };
        (Users { switches, other_login }, rng)
    }
}

impl Profile {
    fn draw(rng: &mut Rng, opts: &Options) -> Profile {
        let on = |f: Fault| !opts.disabled.contains(&f);
        let tabs = rng.range(1, MAX_TABS as u64) as usize;
        let shared = rng.chance(0.6);
        let locks = !(shared && on(Fault::NoLocks) && rng.chance(0.2));
        let broadcast = !(on(Fault::NoBroadcast) && rng.chance(0.15));
        let access_ttl_s = if rng.chance(0.8) { 600 } else { 3600 };
        let rt_expiry_known = rng.chance(0.6);
        let refresh = rng.chance(0.7);
        let silent_renew = !refresh || rng.chance(0.5);
        let login_ttl_s = if rng.chance(0.5) { 0 } else { rng.range(1_800, 5 * 3_600) as i64 };
        let dpop = rng.chance(0.25);
        let dpop_nonce = dpop && rng.chance(0.7);
        let dpop_downgrade = dpop && rng.chance(0.15);
        let dpop_stubborn = dpop_nonce && rng.chance(0.2);
        let duration_ms = rng.real(2.0, 5.0) * 3_600_000.0;
        let action_mean_ms = rng.real(10_000.0, 180_000.0);
        let calm = rng.chance(0.15);
        let mut token_faults = Vec::new();
        let mut env_faults = Vec::new();
        if !calm {
            for f in ALL_FAULTS {
                if !on(f) || matches!(f, Fault::NoBroadcast | Fault::NoLocks) || !rng.chance(0.35) {
                    continue;
                }
                if f.per_request() {
                    token_faults.push((f, rng.real(0.03, 0.25)));
                } else {
                    env_faults.push(f);
                }
            }
        }
        let env_fault_count = if env_faults.is_empty() { 0 } else { rng.range(1, 6) as u32 };
        let silent_slow = token_faults.iter().find(|(f, _)| *f == Fault::SilentSlow).map_or(0.0, |(_, p)| *p);
        token_faults.retain(|(f, _)| *f != Fault::SilentSlow);
        Profile {
            tabs,
            shared,
            locks,
            broadcast,
            access_ttl_s,
            rt_expiry_known,
            refresh,
            silent_renew,
            login_ttl_s,
            silent_slow,
            dpop,
            dpop_nonce,
            dpop_downgrade,
            dpop_stubborn,
            duration_ms,
            action_mean_ms,
            token_faults,
            env_faults,
            env_fault_count,
            users: Users::default(),
            join: false,
        }
    }

    fn summary(&self) -> String {
        let tf: Vec<String> = self.token_faults.iter().map(|(f, p)| format!("{}@{:.2}", f.name(), p)).collect();
        let ef: Vec<&str> = self.env_faults.iter().map(|f| f.name()).collect();
        format!(
            "tabs={} storage={} locks={} broadcast={} access_ttl={}s rt_expiry={} refresh={} silent={} login_ttl={} silent_timeout@{:.2} dpop={} duration={:.1}h action_mean={:.0}s token_faults=[{}] env_faults=[{}]x{}",
            self.tabs,
            if self.shared { "cookie(shared)" } else { "sessionStorage" },
            self.locks,
            self.broadcast,
            self.access_ttl_s,
            if self.rt_expiry_known { "sent" } else { "omitted" },
            self.refresh,
            self.silent_renew,
            if self.login_ttl_s == 0 { "run".to_string() } else { format!("{}s", self.login_ttl_s) },
            self.silent_slow,
            match (self.dpop, self.dpop_nonce, self.dpop_downgrade) {
                (false, ..) => "off",
                (true, _, true) => "downgraded",
                (true, true, _) if self.dpop_stubborn => "nonce(stubborn)",
                (true, true, _) => "nonce",
                (true, false, _) => "on",
            },
            self.duration_ms / 3_600_000.0,
            self.action_mean_ms / 1000.0,
            tf.join(","),
            ef.join(","),
            self.env_fault_count
        ) + if self.join { " join" } else { "" } + &if self.users.on() {
            format!(" users=2(switches={} other_login@{:.2})", self.users.switches.len(), self.users.other_login)
        } else {
            String::new()
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Events

#[derive(Debug)]
enum Ev {
    App,
    /// An input for a tab (storage results, lock answers, API answers, revoke done).
    Feed { tab: usize, input: Input },
    /// A BroadcastChannel message from tab `from`, as it crosses the channel (text: `Notice::to_wire`).
    Notice { from: usize, tab: usize, wire: String },
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
    /// Tabs that join: a tab's answer to ask `id` reaches the asker's channel.
    Answer { id: u64, tokens: Option<TokenSet> },
    /// Tabs that join: a lock kept a moment after a logout is released (a closed tab's went with it).
    UnlockLater { tab: usize },
    /// Tabs that join: ask `id` stops waiting (`timeout_ms` of [`Command::AskTabs`]).
    AskTimeout { id: u64 },
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
    /// Invariant 9: when this tab last heard a logout broadcast from each tab (a logout's notice names the
    /// logins it ended: hearing another tab's says nothing of this one's), and when it opened.
    heard_logout_from: HashMap<usize, f64>,
    opened_at: f64,
    /// Tabs that join: the presence mark ([`Command::Present`]).
    present: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum TokFault {
    None,
    Drop,
    Timeout,
    Status(u16, Option<u32>),
}

struct TokenReq {
    tab: usize,
    rt: Option<String>,
    params: Params,
    fault: TokFault,
    #[allow(dead_code)]
    sent: f64,
    #[allow(dead_code)]
    timeout_ms: u32,
    session: Option<String>,
    proof: Option<Proof>,
}

#[derive(Default)]
struct RtObs {
    /// Tabs that received the server's answer to a use of this refresh token.
    answered_by: Vec<usize>,
    first_answer_at: f64,
    sends: u32,
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
    /// Tabs that join: server sessions whose newest pair the group lost (every tab that received it closed or
    /// was frozen when another had to refresh): a refresh with the pair before it may end them.
    lost_sessions: HashSet<String>,
    logins_pending: HashSet<usize>,
    /// Invariant 9: the login (a number of the simulation's own) of each server session: an interactive login
    /// starts one, a refresh stays in its session, a silent renewal continues the login of the pair it renews
    /// (a silent renewal of a tab holding nothing starts one, and so does one answered as another user: the
    /// engine takes that pair as another login, a `login`, as invariant 10 demands).
    login_of_session: HashMap<String, u64>,
    next_login: u64,
    /// The login each silent renewal (by number) continues, and the user of the pair it renews.
    silent_logins: HashMap<u64, Option<(u64, String)>>,
    /// Logout calls in progress, by tab and call: when called, and the logins they end (the one the tab held,
    /// and the one of each token it revoked).
    logouts: HashMap<(usize, CallId), (f64, bool, Vec<u64>)>,
    /// Logins a settled logout ended.
    dead_logins: HashMap<u64, DeadLogin>,
    stats: Stats,
    trace: Vec<String>,
    names: HashMap<String, String>,
    failure: Option<(Inv, String)>,
    /// Tabs that join: asks waiting for answers, by number.
    asks: HashMap<u64, Ask>,
    next_ask: u64,
    /// Tabs that join: the browser's clock (its offset), which they all share.
    browser_offset: f64,
}

/// Tabs that join: one [`Command::AskTabs`] in progress (the asker, its op, how many tabs were asked, what came).
struct Ask {
    tab: usize,
    op: oauth_spa_session::engine::OpId,
    want: usize,
    came: usize,
    pairs: Vec<TokenSet>,
}

/// Invariant 9: a login that a logout ended, which tab ended it, when logout() was called and when it settled.
#[derive(Clone, Copy, Debug)]
struct DeadLogin {
    tab: usize,
    /// The tab shared storage then (a tab that fell back to memory logs out alone: its logout is its own).
    shared: bool,
    called_at: f64,
    settled_at: f64,
}

impl Tab {
    /// When this tab last heard a logout broadcast from tab `from` (never: -inf).
    fn heard_logout(&self, from: usize) -> f64 {
        self.heard_logout_from.get(&from).copied().unwrap_or(f64::NEG_INFINITY)
    }
}

fn err(code: ErrorCode, desc: &str) -> Error {
    Error::with(code, desc)
}

/// The emulator's `TokenResponse` as the tab's core would hold it, received at the tab's `now`
/// (field by field, no JSON: the core's parser is being rewritten elsewhere).
fn token_set(r: &TokenResponse, now: f64, token_type: &str) -> TokenSet {
    TokenSet {
        access_token: Secret::new(r.access_token.clone()),
        token_type: token_type.to_string(),
        issued_at_ms: now,
        expires_at_ms: now + r.expires_in as f64 * 1000.0,
        refresh_token: r.refresh_token.clone().map(Secret::new),
        refresh_expires_at_ms: r.refresh_token_expires_in.map(|s| now + s as f64 * 1000.0),
        scope: Some(r.scope.clone()),
        owner_id: Some(r.owner_id.clone()),
        endpoint_id: Some(r.endpoint_id.clone()),
        session_id: Some(r.session_id.clone()),
        lineage: Default::default(),
    }
}

/// An OAuth error body from the token endpoint, classified the way the core's `token_endpoint_error`
/// classifies 4xx answers: terminal, `invalid_grant` for OAU-210/211/213/129, RingCentral's code kept.
fn oauth_error(e: &OAuthError) -> Error {
    let code = match (e.error, e.code.unwrap_or("")) {
        ("invalid_grant", _) | (_, "OAU-210" | "OAU-211" | "OAU-213" | "OAU-129") => ErrorCode::InvalidGrant,
        ("invalid_client", _) | (_, "OAU-153" | "OAU-123" | "OAU-146") => ErrorCode::InvalidClient,
        (other, _) => ErrorCode::from_oauth(other),
    };
    let retryable = e.status == 429 || e.status == 408 || !(400..=499).contains(&e.status);
    Error::new(code)
        .with_status(e.status)
        .with_error_code(e.code.map(str::to_string))
        .with_description(&e.message)
        .with_retryable(retryable)
}

/// The origin of an absolute URL the way the WHATWG parser serialises it (scheme and host lower case,
/// userinfo dropped, default port elided). The oracle for invariant 2, independent of the core's parser.
pub fn oracle_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h).to_ascii_lowercase();
    let hostport = match (scheme.as_str(), hostport.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_string(),
        _ => hostport,
    };
    if hostport.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{hostport}"))
}

fn describe_input(i: &Input) -> String {
    match i {
        Input::Start { ready, storage_problem } => format!("Start ready=#{ready} problem={}", storage_problem.is_some()),
        Input::Fetch { call, origin } => format!("Fetch #{call} {origin}"),
        Input::ApiResponse { call, status, error } => {
            format!("ApiResponse #{call} {status}{}", error.as_ref().and_then(|e| e.error_code.as_deref()).map(|c| format!(" {c}")).unwrap_or_default())
        }
        Input::Refresh { call } => format!("Refresh #{call}"),
        Input::Logout { call } => format!("Logout #{call}"),
        Input::LoggedIn { call, .. } => format!("LoggedIn #{call}"),
        Input::Loaded { op, result } => format!("Loaded op{op} {}", match result {
            Ok(Some(_)) => "tokens".to_string(),
            Ok(None) => "empty".to_string(),
            Err(e) => format!("Err({})", e.code.as_str()),
        }),
        Input::Saved { op, result } => format!("Saved op{op} {}", match result { Ok(()) => "ok".into(), Err(e) => format!("Err({})", e.code.as_str()) }),
        Input::Cleared { op } => format!("Cleared op{op}"),
        Input::TokenReply { result } => match result {
            Ok(_) => "TokenReply Ok".to_string(),
            Err(e) => format!(
                "TokenReply Err({}{}{})",
                e.code.as_str(),
                e.error_code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
                e.retry_after_s.map(|r| format!(" retry-after={r}s")).unwrap_or_default()
            ),
        },
        Input::RevokeDone { call } => format!("RevokeDone #{call}"),
        Input::LockGranted => "LockGranted".into(),
        Input::LockTimedOut => "LockTimedOut".into(),
        Input::Broadcast(n) => format!("Broadcast({})", n.to_wire()),
        Input::Timer(t) => format!("Timer({t:?})"),
        Input::Wake => "Wake".into(),
        Input::DpopNonce { origin, .. } => format!("DpopNonce {origin}"),
        Input::Renew { call } => format!("Renew #{call}"),
        Input::SilentDone { result } => format!("SilentDone {}", match result { Ok(_) => "Ok".into(), Err(e) => format!("Err({})", e.code.as_str()) }),
        Input::TabsAsked { id } => format!("TabsAsked {id}"),
        Input::TabsAnswered { op, pairs } => format!("TabsAnswered op{op} {} pair(s)", pairs.len()),
    }
}

impl World {
    pub fn new(seed: u64, opts: Options) -> World {
        rc_emulator::ids::seed_thread(Some(seed));
        let mut rng = Rng::new(seed);
        let mut prof = Profile::draw(&mut rng, &opts);
        let (users, users_rng) = Users::draw(seed, prof.duration_ms);
        prof.users = users;
        // Half the seeds on sessionStorage with a BroadcastChannel (and no DPoP: its key is per tab) join.
        prof.join = !prof.shared && prof.broadcast && !prof.dpop && Rng::new(seed ^ 0x0000_7AB5_0023_0000).chance(0.5);
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
            lost_sessions: HashSet::new(),
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
            asks: HashMap::new(),
            next_ask: 1,
            browser_offset: 0.0,
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

    fn fail(&mut self, inv: Inv, detail: String) {
        if self.failure.is_none() {
            self.failure = Some((inv, detail));
        }
    }

    fn tab_now(&self, tab: usize) -> f64 {
        self.now + self.tabs[tab].offset_ms
    }

    fn name(&mut self, token: &str, kind: char) -> String {
        let n = self.names.len() + 1;
        self.names.entry(token.to_string()).or_insert_with(|| format!("{kind}{n}")).clone()
    }

    fn tr(&mut self, tab: Option<usize>, line: String) {
        if self.opts.trace {
            let t = (self.now - EPOCH_MS) / 1000.0;
            let who = tab.map_or("      ".to_string(), |t| format!("tab{t:<3}"));
            self.trace.push(format!("{t:>10.3}s {who} {line}"));
        }
    }

    fn session_of(&self, token: &str) -> Option<String> {
        self.st.session_of_token(token)
    }

    fn touch(&mut self, tab: usize, token: &str) {
        if let Some(s) = self.session_of(token) {
            self.tabs[tab].last_session = Some(s);
        }
    }

    /// The session is alive on the server and the client side can know it: Active, its current pair was
    /// delivered to some tab, and that access or refresh token is still valid by the server's clock.
    fn usable_known(&self, sid: &str) -> bool {
        let Some(s) = self.st.sessions.get(sid) else { return false };
        if s.status != SessionStatus::Active || !self.delivered_access.contains(&s.current_access) {
            return false;
        }
        // Tabs that join keep the pair only in the tabs (their sessionStorage dies with them): the client knows it
        // while an open tab that received it can hand it over (not one the browser froze: it cannot answer).
        if self.prof.join && !self.open_tabs().iter().any(|&i| self.tabs[i].frozen_until.is_none() && self.delivered_to.contains(&(i, s.current_access.clone()))) {
            return false;
        }
        let now = self.st.now();
        // Without refresh tokens the session lives as long as its access token, which the tab judges by its own
        // clock from the pair's receipt, stamped by the receiving tab's clock: tabs' clocks differ by up to
        // 2 × MAX_SKEW_MS (a clock jump, by more: those runs are not judged here, see `any_jump`).
        let slack = if self.prof.refresh { 0 } else { 2 * MAX_SKEW_MS as i64 + 1_000 };
        let at_ok = self.st.access.get(&s.current_access).is_some_and(|a| now + slack < a.expires_ms);
        let rt_ok = s.current_refresh.as_ref().and_then(|r| self.st.refresh.get(r)).is_some_and(|r| now < r.expires_ms);
        at_ok || rt_ok
    }

    fn open_tabs(&self) -> Vec<usize> {
        (0..self.tabs.len()).filter(|&i| self.tabs[i].open).collect()
    }

    fn open_tab(&mut self) {
        let caps = Caps { shared: self.prof.shared, locks: self.prof.locks };
        let id = self.tabs.len();
        let skew = if self.rng.chance(0.3) { self.rng.real(-MAX_SKEW_MS, MAX_SKEW_MS) } else { 0.0 };
        // Tabs that join compare logins by the time each was made, by the clock of the tab that made it: the tabs
        // of one browser share one clock (oss-sim seed 1012502 gave them minutes of skew, and an older login
        // looked newer), so here they do, and a clock jump moves it for all.
        let skew = if self.prof.join { self.browser_offset } else { skew };
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
            heard_logout_from: HashMap::new(),
            opened_at: self.now,
            present: false,
        });
        self.tr(Some(id), "opened".into());
        if self.prof.join {
            self.tabs[id].engine.join_tabs();
            // `window.open`: the browser copies the opener's sessionStorage. The opener runs script, so it is
            // awake (oss-sim seed 1002970 copied a tab asleep through a logout: a tab cannot open one then).
            let donors: Vec<usize> = self
                .open_tabs()
                .into_iter()
                .filter(|&i| i != id && self.tabs[i].frozen_until.is_none() && matches!(self.tabs[i].own, Slot::Tokens(_)))
                .collect();
            if !donors.is_empty() && self.rng.chance(0.4) {
                let from = *self.rng.pick(&donors);
                self.tabs[id].own = self.tabs[from].own.clone();
                if let Slot::Tokens(t) = &self.tabs[from].own {
                    self.delivered_to.insert((id, t.access_token.expose().to_string()));
                }
                self.tr(Some(id), format!("opened with a copy of tab{from}'s sessionStorage"));
            }
        }
        let ready = self.new_call(id, CallKind::Ready, String::new());
        self.feed(id, Input::Start { ready, storage_problem: None }, Cause::Other);
    }

    /// Tabs that join: ask `id` has its answers (or stopped waiting): the asker gets them. A pair that reaches a
    /// tab this way reached it as a token answer does (invariant 6), and, like a pair read from storage, it is
    /// another chance for the engine (its cool-down restarts: invariant 4).
    fn answered(&mut self, id: u64) {
        let Some(a) = self.asks.remove(&id) else { return };
        if !self.tabs[a.tab].open {
            return;
        }
        for t in &a.pairs {
            self.delivered_to.insert((a.tab, t.access_token.expose().to_string()));
        }
        let before = self.tabs[a.tab].engine.access_token().map(|t| t.expose().to_string());
        self.feed(a.tab, Input::TabsAnswered { op: a.op, pairs: a.pairs }, Cause::Other);
        let after = self.tabs[a.tab].engine.access_token().map(|t| t.expose().to_string());
        if after.is_some() && after != before {
            let a_tok = after.unwrap_or_default();
            self.touch(a.tab, &a_tok);
            let t = &mut self.tabs[a.tab];
            t.known_access = Some(a_tok);
            t.auto_not_before = 0.0;
        }
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
        // Invariant 4 (no loop): at most LOOP_INPUTS_PER_S inputs per tab per simulated second.
        let now = self.now;
        {
            let w = &mut self.tabs[tab].inputs_window;
            if now - w.0 >= 1000.0 {
                *w = (now, 0);
            }
            w.1 += 1;
            if w.1 > LOOP_INPUTS_PER_S {
                self.fail(Inv::Bounded, format!("tab{tab} got more than {LOOP_INPUTS_PER_S} inputs within one simulated second (loop)"));
                return;
            }
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

    /// The type of the tokens the server issues: DPoP-bound when the app asks and the server honours it.
    fn token_type(&self) -> &'static str {
        if self.prof.dpop && !self.prof.dpop_downgrade {
            "dpop" // as the core stores it (lower-cased)
        } else {
            "bearer"
        }
    }

    /// DPoP nonces (one origin serves the token endpoint and the API): a new one every NONCE_PERIOD_MS of
    /// server time; a proof passes with the current or the previous one, else the server demands the current
    /// one. A stubborn server also skips ahead now and then (the resend it earned is refused too).
    fn nonce_demanded(&mut self, proof: &Option<Proof>) -> Option<String> {
        if !self.prof.dpop_nonce || self.prof.dpop_downgrade {
            return None;
        }
        let period = ((self.now - EPOCH_MS) / NONCE_PERIOD_MS) as u64;
        if self.prof.dpop_stubborn && self.rng.chance(0.1) {
            self.nonce_skip += 2;
        }
        self.nonce_gen = period + self.nonce_skip;
        let current = format!("n{}", self.nonce_gen);
        let previous = format!("n{}", self.nonce_gen.saturating_sub(1));
        let sent = proof.as_ref().and_then(|p| p.nonce.as_deref());
        if sent == Some(current.as_str()) || (self.nonce_gen > 0 && sent == Some(previous.as_str())) {
            None
        } else {
            Some(current)
        }
    }

    /// What the server tells the client: the emulator's answer, without `refresh_token_expires_in` when the
    /// run's server omits it.
    fn served(&self, mut r: TokenResponse) -> TokenResponse {
        if !self.prof.rt_expiry_known {
            r.refresh_token_expires_in = None;
        }
        r
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
                // Invariant 8 (DPoP): a call is sent at most four times (first, the 401's retry, and one nonce
                // resend each), and never again after two use_dpop_nonce demands in a row.
                if let Some(c) = self.tabs[tab].calls.get_mut(&call) {
                    c.sends += 1;
                    let (sends, demands) = (c.sends, c.nonce_demands);
                    if sends > 4 || demands >= 2 {
                        self.fail(Inv::Nonce, format!("tab{tab} sent call #{call} a {sends}th time ({demands} nonce demands in a row)"));
                    }
                }
                let url = self.tabs[tab].calls.get(&call).map(|c| c.url.clone()).unwrap_or_default();
                let api = oracle_origin(&url).is_some_and(|o| self.cfg.api_origins.contains(&o));
                let token = token.map(|t| t.expose().to_string());
                if self.opts.trace {
                    let tn = token.as_deref().map(|t| self.name(t, 'A')).unwrap_or_else(|| "-".into());
                    self.tr(Some(tab), format!("-> SendApi #{call} token={tn} retry={retry} {url}"));
                }
                // Invariant 2: every request that carries a bearer token goes to an origin in apiOrigins,
                // judged by an independent WHATWG-style origin oracle on the URL the app passed.
                if token.is_some() && !api {
                    self.fail(Inv::Origin, format!("tab{tab} sent its bearer token with call #{call} to {url}"));
                }
                if let Some(t) = &token {
                    self.touch(tab, t);
                    self.tabs[tab].known_access = Some(t.clone());
                    // Invariant 10: the request acts as the token's user at the server: the one the app was told of,
                    // and the one it made the call as.
                    let acts_as = self.session_of(t).and_then(|s| self.st.sessions.get(&s)).map(|s| s.owner_id.clone());
                    let made_as = self.tabs[tab].calls.get(&call).and_then(|c| c.owner.clone());
                    for (whose, told) in [("the app was told of", self.tabs[tab].app_owner.clone()), ("the app made it as", made_as)] {
                        if let (Some(a), Some(b)) = (told, &acts_as) {
                            if a != *b {
                                self.fail(Inv::Owner, format!("tab{tab} sent call #{call} as user {b}; {whose} user {a}"));
                            }
                        }
                    }
                    // Invariant 9: no API request with a token of a login a settled logout ended.
                    if let Some(l) = self.ended_login(tab, t) {
                        self.fail(Inv::LogoutFinal, format!("tab{tab} sent call #{call} with a token of login {l}, which a settled logout ended"));
                    }
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
                if !self.prof.locks {
                    self.fail(Inv::OnePerExpiry, format!("tab{tab} asked for a Web Lock although Web Locks are missing"));
                }
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
            Command::UnlockAfter { ms } => {
                self.tr(Some(tab), format!("-> UnlockAfter {ms} ms"));
                self.push(ms as f64, Ev::UnlockLater { tab });
            }
            Command::Broadcast(n) => {
                self.tr(Some(tab), format!("-> Broadcast({})", n.to_wire()));
                if self.prof.broadcast && (self.prof.shared || self.prof.join) {
                    for other in self.open_tabs() {
                        if other == tab {
                            continue;
                        }
                        // Per sender→receiver FIFO, as BroadcastChannel delivers.
                        let d = self.rng.real(0.5, 50.0);
                        let last = self.bc_last.get(&(tab, other)).copied().unwrap_or(0.0);
                        let at = (self.now + d).max(last + 0.001);
                        self.bc_last.insert((tab, other), at);
                        self.push_at(at, Ev::Notice { from: tab, tab: other, wire: n.to_wire() });
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
            Command::Present(on) => {
                self.tr(Some(tab), format!("-> Present({on})"));
                self.tabs[tab].present = on;
            }
            // The asker counts the tabs holding the mark (`navigator.locks.query()`, exact here), posts the ask on
            // the group's channel and waits for that many answers or the timeout.
            Command::AskTabs { op, timeout_ms } => {
                let peers: Vec<usize> = self.open_tabs().into_iter().filter(|&i| i != tab && self.tabs[i].present).collect();
                self.tr(Some(tab), format!("-> AskTabs op{op} ({} tab(s) hold the session)", peers.len()));
                if peers.is_empty() {
                    let d = self.rng.real(0.1, 2.0);
                    self.push(d, Ev::Feed { tab, input: Input::TabsAnswered { op, pairs: Vec::new() } });
                    return;
                }
                let id = self.next_ask;
                self.next_ask += 1;
                self.asks.insert(id, Ask { tab, op, want: peers.len(), came: 0, pairs: Vec::new() });
                for p in peers {
                    let d = self.rng.real(0.5, 50.0);
                    self.push(d, Ev::Feed { tab: p, input: Input::TabsAsked { id: id.to_string() } });
                }
                self.push(timeout_ms as f64, Ev::AskTimeout { id });
            }
            Command::AnswerTab { id, tokens } => {
                self.tr(Some(tab), format!("-> AnswerTab {id} {}", if tokens.is_some() { "pair" } else { "none" }));
                if let Ok(id) = id.parse() {
                    let d = self.rng.real(0.5, 50.0);
                    self.push(d, Ev::Answer { id, tokens });
                }
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
                if let Some((called_at, shared, ended)) = self.logouts.remove(&(tab, call)) {
                    for l in ended {
                        self.dead_logins.entry(l).or_insert(DeadLogin { tab, shared, called_at, settled_at: self.now });
                    }
                }
            }
        }
    }

    fn emitted(&mut self, tab: usize, e: SessionEvent) {
        self.tr(Some(tab), format!("-> Emit {}", e.name()));
        self.owner_told(tab, &e);
        // Invariant 9: no `login` / `refresh` for a login a settled logout ended.
        if matches!(e, SessionEvent::Login(_) | SessionEvent::Refresh(_)) {
            let held = self.tabs[tab].engine.access_token().map(|t| t.expose().to_string());
            if let Some(l) = held.and_then(|t| self.ended_login(tab, &t)) {
                self.fail(Inv::LogoutFinal, format!("tab{tab} emitted {} for login {l}, which a settled logout ended", e.name()));
            }
        }
        match e {
            SessionEvent::Refresh(_) => self.stats.refreshes_ok += 1,
            // Invariant 3 (logout): a `logout` event only after the app called logout() in this tab, or,
            // with shared storage, in any tab (logout propagates).
            SessionEvent::Logout => {
                let asked = if self.prof.shared || self.prof.join { self.any_logout } else { self.tabs[tab].logout_requested };
                if !asked {
                    self.fail(Inv::NoFalseEnd, format!("tab{tab} emitted logout but no app asked for a logout"));
                }
            }
            // Invariant 3 (expired): no `expired` while every fault so far was transient and the session of
            // the tokens this tab last touched is still alive on the server in a form the client knows
            // (Active, its current pair delivered to some tab, that pair's access or refresh token valid)
            // and the app did not log that session out (in any tab: a logout ends it everywhere).
            SessionEvent::Expired(e) => {
                // Without refresh tokens a clock jump moves the end of the session as a tab sees it (a pair a
                // tab stamped with a clock set back looks spent to the others), so such runs are not judged.
                let clock_judged = self.prof.refresh || !self.any_jump;
                // Another user's pair ended the session (invariant 10 judges that): the old one may live on.
                let user_changed = self.prof.users.on() && e.as_ref().is_some_and(|e| e.code == ErrorCode::OwnerChanged);
                if !self.non_transient && clock_judged && !user_changed {
                    if let Some(sid) = self.tabs[tab].last_session.clone() {
                        // A tab on the jar that finds it emptied by a logout follows the user's logout, whichever
                        // login it held (seed 93532972, no BroadcastChannel: another tab's login replaced this
                        // tab's in the jar, and that tab's logout then cleared it; the user logged out).
                        let followed_logout = self.tabs[tab].mode == Mode::Shared && self.jar_logged_out;
                        if self.usable_known(&sid) && !self.app_ended.contains(&sid) && !self.lost_sessions.contains(&sid) && !self.login_logged_out(&sid) && !followed_logout {
                            let why = e.map(|e| format!("{} {}", e.code.as_str(), e.error_code.unwrap_or_default())).unwrap_or_else(|| "no error".into());
                            self.fail(Inv::NoFalseEnd, format!("tab{tab} emitted expired ({why}) while its session is alive on the server and every fault was transient"));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Invariant 10: what the app learns of the tab's user from its events. A `refresh` is the same user's
    /// session, by definition: one carrying another user's pair is the failure.
    fn owner_told(&mut self, tab: usize, e: &SessionEvent) {
        let t = &mut self.tabs[tab];
        match e {
            SessionEvent::Login(i) => t.app_owner = i.owner_id.clone(),
            SessionEvent::Refresh(i) => match (&t.app_owner, &i.owner_id) {
                (Some(a), Some(b)) if a != b => {
                    let d = format!("tab{tab} emitted refresh with user {b}'s tokens; the app was told of user {a}");
                    self.fail(Inv::Owner, d);
                }
                (None, b) => t.app_owner = b.clone(),
                _ => {}
            },
            SessionEvent::Expired(_) | SessionEvent::Logout | SessionEvent::Change(None) => t.app_owner = None,
            _ => {}
        }
    }

    /// Invariant 10, after every input: the tab holds tokens of the user the app was told of (unknown is unknown).
    fn check_owner(&mut self, tab: usize) {
        let held = self.tabs[tab].engine.token_info().and_then(|i| i.owner_id);
        if let (Some(a), Some(b)) = (&self.tabs[tab].app_owner, &held) {
            if a != b {
                let d = format!("tab{tab} holds user {b}'s tokens without a login event; the app was told of user {a}");
                self.fail(Inv::Owner, d);
            }
        }
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
        // Invariant 8 (DPoP): with DPoP on every token request carries a proof, and a use_dpop_nonce answer earns
        // one resend of the request, never a second in a row (a loop).
        let nonce_retry = self.tabs[tab].feeding_nonce;
        if self.prof.dpop && proof.is_none() {
            self.fail(Inv::Nonce, format!("tab{tab} sent a token request without a DPoP proof"));
        }
        if nonce_retry && self.tabs[tab].last_send_nonce_retry {
            self.fail(Inv::Nonce, format!("tab{tab} resent a token request after a second use_dpop_nonce in a row"));
        }
        self.tabs[tab].last_send_nonce_retry = nonce_retry;
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
        // (Tabs that join refresh under the lock too, after asking the tabs: one session.)
        let shared_locked = (self.prof.shared || self.prof.join) && self.prof.locks;

        // Invariant 5 (single flight): one tab never has two token requests outstanding; with Web Locks and
        // shared storage, no two open tabs have requests for the same server session outstanding at once.
        if self.tabs[tab].outstanding.is_some() {
            self.fail(Inv::OnePerExpiry, format!("tab{tab} sent a token request while its previous one is unanswered"));
        }
        if shared_locked && !self.shared_abandoned {
            for other in self.open_tabs() {
                if other == tab {
                    continue;
                }
                if let Some(r) = self.tabs[other].outstanding {
                    if self.reqs[r].session.is_some() && self.reqs[r].session == session {
                        self.fail(Inv::OnePerExpiry, format!("tab{tab} and tab{other} have token requests for the same session in flight at once"));
                    }
                }
            }
        }
        if let Some(r) = &rt {
            let obs = self.rts.entry(r.clone()).or_default();
            obs.sends += 1;
            // Invariant 1: a refresh token is never sent again by a tab that received the server's answer to
            // its use (a success or a terminal error: the grant was processed and the answer reached it);
            // with Web Locks and shared storage, by no tab once any tab received that answer. Sends after a
            // lost answer (dropped after commit, timed out) are replays and allowed.
            // (Other tabs learn of a rotation only through storage: a tampered jar since the answer exempts.)
            let answered = obs.answered_by.clone();
            let tampered_since = self.jar_tampered_at >= obs.first_answer_at;
            // An answer that died with its tab (closed before its pair was stored: storage still gave this tab
            // the spent token at its re-read) is lost like a dropped one: replaying it is the only recovery.
            let loaded_rt = self.tabs[tab].last_loaded.as_ref().and_then(|t| t.refresh_token.as_ref()).map(|s| s.expose());
            // (Tabs that join: the tabs that received the answer closed, or the browser froze them, when this one
            // asked: the others can have it only from them.)
            let died = !answered.is_empty()
                && if self.prof.join {
                    answered.iter().all(|&a| !self.tabs[a].open || self.tabs[a].frozen_until.is_some())
                } else {
                    answered.iter().all(|&a| !self.tabs[a].open) && loaded_rt == Some(r.as_str())
                };
            if died && self.prof.join {
                // The group lost its newest pair (its holders closed or frozen): the replay may end the session
                // (a reuse past the grace window), and that end is the loss's, not the engine's (invariant 3).
                if let Some(sid) = session.clone() {
                    self.lost_sessions.insert(sid);
                }
            }
            if answered.contains(&tab) {
                self.fail(Inv::Reuse, format!("tab{tab} re-sent a refresh token whose answer it had received"));
            } else if shared_locked && !answered.is_empty() && !tampered_since && !self.shared_abandoned && !died {
                self.fail(Inv::Reuse, format!("tab{tab} sent a refresh token whose answer tab{} had received (Web Locks present)", answered[0]));
            }
            // Invariant 5 (one per expiry): a first attempt that no app call forced (session.refresh() or a
            // 401 during the flight) is only sent when the pair it renews is no longer fresh by the sending
            // tab's clock: a tab that waited for the lock must use the winner's tokens instead.
            if shared_locked && !retry && (self.tabs[tab].engine.is_shared() || self.prof.join) {
                // Judged on the engine's own view at the send (its token expiry, by its own clock; the
                // stored copy may carry another tab's clock): fresh = before expiry minus the margin.
                if let Some(info) = self.tabs[tab].engine.token_info() {
                    let lifetime = self.prof.access_ttl_s as f64 * 1000.0;
                    let margin = (self.cfg.refresh_margin_s as f64 * 1000.0).min(lifetime / 2.0);
                    let rt_due = info.refresh_expires_at_ms.is_some_and(|r| tnow >= r - self.cfg.refresh_margin_s as f64 * 1000.0);
                    if !forced && !rt_due && tnow < info.expires_at_ms - margin {
                        self.fail(Inv::OnePerExpiry, format!("tab{tab} refreshed a pair that was still fresh (no app call forced it): a second token request for one expiry"));
                    }
                }
            }
        }

        // Invariant 4 (retry bounds), per tab. A send caused by the Backoff timer is a retry: at most
        // MAX_TRIES-1 retries follow a first attempt, and each comes no earlier than the engine's backoff for
        // that attempt (Retry-After when given, capped at 60 s) after the failure it retries. A first attempt
        // caused by the Check timer or a wake-up (not by the app) comes no earlier than COOLDOWN_MS after the
        // last give-up (MAX_TRIES transient failures or a lock timeout), nor earlier than the last failure's
        // Retry-After, unless the tab's clock jumped meanwhile.
        let now = self.now;
        let t = &mut self.tabs[tab];
        let mut violation = None;
        if retry {
            t.retry_run += 1;
            if t.retry_run > MAX_TRIES - 1 {
                violation = Some(format!("tab{tab} retried a refresh {} times in a row (MAX_TRIES={MAX_TRIES})", t.retry_run));
            }
            if t.fails_in_flight >= 1 {
                let wait = backoff_ms(t.fails_in_flight - 1, t.last_fail_ra);
                if now + 1e-6 < t.last_fail_at + wait {
                    violation = Some(format!(
                        "tab{tab} retried {:.0} ms after a failure; the backoff (Retry-After {:?}) is {wait:.0} ms",
                        now - t.last_fail_at,
                        t.last_fail_ra
                    ));
                }
            }
        } else if !nonce_retry {
            t.retry_run = 0;
            t.fails_in_flight = 0;
            if matches!(cause, Cause::Check | Cause::Wake) && now + 1e-6 < t.auto_not_before && t.last_clock_jump < t.last_fail_at {
                violation = Some(format!(
                    "tab{tab} refreshed on its own {:.1} s before {} allowed it",
                    (t.auto_not_before - now) / 1000.0,
                    t.auto_reason
                ));
            }
        }
        if let Some(v) = violation {
            self.fail(Inv::Bounded, v);
        }

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

    fn draw_token_fault(&mut self) -> TokFault {
        if self.healing {
            return TokFault::None;
        }
        for i in 0..self.prof.token_faults.len() {
            let (f, p) = self.prof.token_faults[i];
            if self.rng.chance(p) {
                return match f {
                    Fault::Drop => TokFault::Drop,
                    Fault::Timeout => TokFault::Timeout,
                    Fault::Status5xx => TokFault::Status(*self.rng.pick(&[500, 502, 503]), None),
                    _ => {
                        let ra = *self.rng.pick(&[0u32, 1, 5, 20, 45, 60, 120]);
                        TokFault::Status(*self.rng.pick(&[429, 503]), Some(ra))
                    }
                };
            }
        }
        TokFault::None
    }

    fn token_arrive(&mut self, req: usize) {
        let fault = self.reqs[req].fault;
        if let TokFault::Status(status, ra) = fault {
            let code = if status == 429 { ErrorCode::RateLimited } else { ErrorCode::ServerError };
            let e = Error::new(code).with_status(status).with_retryable(true).with_retry_after(ra);
            let d = self.rng.real(5.0, 300.0);
            self.push(d, Ev::TokenReply { req, result: Err(e), answered: false });
            return;
        }
        let proof = self.reqs[req].proof.clone();
        if let Some(nonce) = self.nonce_demanded(&proof) {
            // Nothing processed: the answer carries the nonce (fed first, as the header comes with the body).
            let tab = self.reqs[req].tab;
            self.tr(None, format!("server: use_dpop_nonce ({nonce})"));
            let d = self.rng.real(5.0, 300.0);
            self.push(d, Ev::Feed { tab, input: Input::DpopNonce { origin: SERVER.into(), nonce } });
            let e = Error::new(ErrorCode::from_oauth(USE_DPOP_NONCE)).with_status(400).with_description("Authorization server requires nonce in DPoP proof");
            self.push(d, Ev::TokenReply { req, result: Err(e), answered: false });
            return;
        }
        let r = &self.reqs[req];
        let creds = ClientCreds { basic: None, body_client_id: r.params.get("client_id").map(str::to_string) };
        let params = r.params.clone();
        let outcome = rc_emulator::token::process(&mut self.st, true, &params, &creds);
        if self.opts.trace {
            let what = match &outcome {
                Ok(t) => {
                    let a = self.name(&t.access_token, 'A');
                    let r = t.refresh_token.as_deref().map(|r| self.name(r, 'R')).unwrap_or_default();
                    format!("server: issued {a}/{r}")
                }
                Err(e) => format!("server: {} {}", e.error, e.code.unwrap_or("")),
            };
            self.tr(None, what);
        }
        match fault {
            TokFault::Timeout => {} // the tab gets its timeout; whatever the server did is lost
            TokFault::Drop => {
                let d = self.rng.real(0.0, 50.0);
                self.push(d, Ev::TokenReply { req, result: Err(err(ErrorCode::Network, "network request failed").with_retryable(true)), answered: false });
            }
            _ => {
                let result = outcome.map(|t| self.served(t)).map_err(|e| oauth_error(&e));
                let d = self.rng.real(5.0, 300.0);
                self.push(d, Ev::TokenReply { req, result, answered: true });
            }
        }
    }

    fn token_reply(&mut self, req: usize, result: Result<TokenResponse, Error>, answered: bool) {
        let tab = self.reqs[req].tab;
        if !self.tabs[tab].open || self.tabs[tab].outstanding != Some(req) {
            return; // the tab closed: nobody reads this answer
        }
        self.tabs[tab].outstanding = None;
        if answered {
            if let Some(r) = self.reqs[req].rt.clone() {
                let now = self.now;
                let obs = self.rts.entry(r).or_default();
                if obs.answered_by.is_empty() {
                    obs.first_answer_at = now;
                }
                obs.answered_by.push(tab);
            }
        }
        let tnow = self.tab_now(tab);
        let now = self.now;
        let result = match result {
            Ok(resp) => {
                self.delivered_access.insert(resp.access_token.clone());
                self.delivered_to.insert((tab, resp.access_token.clone()));
                let ts = token_set(&resp, tnow, self.token_type());
                if let Some(r) = &resp.refresh_token {
                    self.rt_sets.entry(r.clone()).or_insert_with(|| ts.clone());
                }
                let t = &mut self.tabs[tab];
                t.fails_in_flight = 0;
                t.auto_not_before = 0.0;
                Ok(ts)
            }
            Err(e) => {
                let t = &mut self.tabs[tab];
                if e.retryable {
                    t.fails_in_flight += 1;
                    t.last_fail_at = now;
                    t.last_fail_ra = e.retry_after_s;
                    if let Some(ra) = e.retry_after_s {
                        let until = now + ra.min(60) as f64 * 1000.0;
                        if until > t.auto_not_before {
                            t.auto_not_before = until;
                            t.auto_reason = "the server's Retry-After";
                        }
                    }
                    if t.fails_in_flight >= MAX_TRIES && now + COOLDOWN_MS > t.auto_not_before {
                        t.auto_not_before = now + COOLDOWN_MS;
                        t.auto_reason = "the cool-down after a refresh gave up";
                    }
                }
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
        let base = self.tabs[tab].engine.token_info().map(|i| i.expires_at_ms);
        // Invariant 7 (once per pair): a tab renews the pair it holds silently at most once, unless the app
        // called renew() since (the engine keeps the first failure's `expiring` rather than trying again).
        if !forced {
            match base {
                None => self.fail(Inv::Silent, format!("tab{tab} renewed silently without tokens and without renew()")),
                Some(b) if self.tabs[tab].silent_bases.contains(&b) => {
                    self.fail(Inv::Silent, format!("tab{tab} renewed the same pair silently twice"));
                }
                _ => {}
            }
        }
        if let Some(b) = base {
            self.tabs[tab].silent_bases.push(b);
        }
        self.tabs[tab].silent_base = base;
        // Invariant 7 (adopt, not renew): with Web Locks and shared storage, a tab renews under the lock after a
        // re-read, so it never renews a pair that is still fresh by its clock, nor one that another tab's
        // silent renewal already replaced in the jar (it adopts the replacement), unless the app asked.
        if self.prof.shared && self.prof.locks && !self.shared_abandoned && self.tabs[tab].engine.is_shared() && !forced {
            if let (Some(info), Some(b)) = (self.tabs[tab].engine.token_info(), base) {
                let lifetime = self.prof.access_ttl_s as f64 * 1000.0;
                let margin = (self.cfg.refresh_margin_s as f64 * 1000.0).min(lifetime / 2.0);
                if tnow < info.expires_at_ms - margin {
                    self.fail(Inv::Silent, format!("tab{tab} renewed silently a pair that is still fresh"));
                }
                let replaced = self.silent_renewed.iter().find(|(old, _)| *old == b).map(|(_, at)| *at);
                if replaced.is_some_and(|at| self.jar_tampered_at < at) {
                    self.fail(Inv::Silent, format!("tab{tab} renewed silently a pair another tab's silent renewal had replaced in the jar"));
                }
            }
        }
        let id = self.next_silent;
        self.next_silent += 1;
        let continues = self.tabs[tab].engine.access_token().map(|t| t.expose().to_string()).and_then(|t| {
            let owner = self.session_of(&t).and_then(|s| self.st.sessions.get(&s)).map(|s| s.owner_id.clone())?;
            Some((self.login_of(&t)?, owner))
        });
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

    /// The server answers the `prompt=none` request from the user's login session: a code, exchanged (as the
    /// frame's callback does) for a new pair; `login_required` when that session has ended or never was.
    fn silent_arrive(&mut self, tab: usize, id: u64, slow: bool) {
        let signed_in = self.login_id.as_deref().and_then(|l| self.st.login_owner(l));
        let result = if let Some(owner) = signed_in {
            let resp = self.approve_and_exchange(&owner);
            let l = match self.silent_logins.get(&id).cloned().flatten() {
                // (oss-sim seeds 309, 5526, 9566: a renewal answered as the other user, counted as the old login,
                // which another tab's logout then named by the engine's login and not by this one.)
                Some((l, renewed)) if renewed == owner => l,
                _ => self.new_login(),
            };
            self.login_of_session.insert(resp.session_id.clone(), l);
            if self.opts.trace {
                let a = self.name(&resp.access_token, 'A');
                let r = resp.refresh_token.as_deref().map(|r| self.name(r, 'R')).unwrap_or_default();
                self.tr(Some(tab), format!("server: prompt=none, issued {a}/{r}"));
            }
            Ok(self.served(resp))
        } else {
            self.tr(Some(tab), "server: prompt=none, login_required".into());
            Err(Error::with(ErrorCode::LoginRequired, "User login is required"))
        };
        let d = if slow { 0.0 } else { self.rng.real(5.0, 300.0) };
        self.push(d, Ev::SilentReply { tab, id, result });
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

    // ---- the scheduler's app actions ------------------------------------------------------------------------

    fn app_action(&mut self) {
        if self.healing {
            return;
        }
        let next = self.rng.exp(self.prof.action_mean_ms);
        self.push(next, Ev::App);
        let awake: Vec<usize> = self.open_tabs().into_iter().filter(|&t| self.tabs[t].frozen_until.is_none()).collect();
        if awake.is_empty() {
            if self.open_tabs().is_empty() {
                self.open_tab();
            }
            return;
        }
        let tab = *self.rng.pick(&awake);
        let burst = if self.rng.chance(0.2) { self.rng.range(2, 12) } else { 1 };
        for _ in 0..burst {
            let tab = if burst > 1 && self.rng.chance(0.5) { *self.rng.pick(&awake) } else { tab };
            self.one_action(tab);
        }
        if self.rng.chance(0.01) && self.open_tabs().len() < MAX_TABS {
            self.open_tab();
        }
    }

    fn one_action(&mut self, tab: usize) {
        let tnow = self.tab_now(tab);
        let logged_in = self.tabs[tab].engine.is_logged_in(tnow);
        if !logged_in && !self.logins_pending.contains(&tab) && self.rng.chance(0.7) {
            return self.login(tab);
        }
        let x = self.rng.unit();
        if x < 0.01 && self.prof.silent_renew {
            // session.renew(): a refresh, or else a silent renewal even of a fresh pair (or when logged out).
            let has_rt = self.tabs[tab].engine.token_info().is_some_and(|i| i.has_refresh_token);
            self.tabs[tab].renew_asked = !has_rt;
            let call = self.new_call(tab, CallKind::Renew, String::new());
            self.feed(tab, Input::Renew { call }, Cause::AppRefresh);
        } else if x < 0.06 {
            let call = self.new_call(tab, CallKind::Refresh, String::new());
            self.feed(tab, Input::Refresh { call }, Cause::AppRefresh);
        } else if x < 0.07 {
            self.tabs[tab].logout_requested = true;
            self.any_logout = true;
            // Logout ends this tab's session; with shared storage it ends every tab's (it propagates).
            let ending: Vec<usize> = if self.prof.shared || self.prof.join { self.open_tabs() } else { vec![tab] };
            for t in ending {
                if let Some(sid) = self.tabs[t].last_session.clone() {
                    self.app_ended.insert(sid);
                }
            }
            let call = self.new_call(tab, CallKind::Logout, String::new());
            let held = self.tabs[tab].engine.access_token().map(|t| t.expose().to_string()).and_then(|t| self.login_of(&t));
            // (Tabs that join log out together whatever their storage: the notice reaches them all.)
            let shared = self.tabs[tab].mode == Mode::Shared || self.prof.join;
            self.logouts.insert((tab, call), (self.now, shared, held.into_iter().collect()));
            self.feed(tab, Input::Logout { call }, Cause::Other);
        } else {
            let url = if self.rng.chance(0.1) { self.rng.pick(&FOREIGN_URLS).to_string() } else { API_URL.to_string() };
            let call = self.new_call(tab, CallKind::Fetch, url.clone());
            // The origin as a browser serializes it; the bearer check below judges by the URL itself.
            let origin = oracle_origin(&url).unwrap_or_else(|| "null".into());
            self.feed(tab, Input::Fetch { call, origin }, Cause::AppFetch);
        }
    }

    /// An approved authorize request (interactive or `prompt=none`): the emulator issues a code and the client
    /// exchanges it, with the emulator's grant logic.
    fn approve_and_exchange(&mut self, owner: &str) -> TokenResponse {
        let req = AuthRequest {
            client_id: CLIENT_ID.into(),
            redirect_uri: REDIRECT_URI.into(),
            response_type: ResponseType::Code,
            state: None,
            challenge: None,
        };
        let code = rc_emulator::grants::issue_code_for(&mut self.st, &req, owner);
        let form = form_encode(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
        ]);
        let p = Params::parse(form.as_bytes());
        let creds = ClientCreds { basic: None, body_client_id: Some(CLIENT_ID.into()) };
        let resp = rc_emulator::token::process(&mut self.st, true, &p, &creds).expect("the emulator exchanges a fresh code");
        resp
    }

    /// A login callback: the server mints a session (authorization code, then its exchange, with the
    /// emulator's grant logic); the tab receives the tokens after a latency.
    fn login(&mut self, tab: usize) {
        // Who signs in: the default user, or (invariant 10's runs) sometimes the other one.
        let other = self.prof.users.other_login > 0.0 && self.users_rng.chance(self.prof.users.other_login);
        let owner = USERS[usize::from(other)].owner_id;
        let resp = self.approve_and_exchange(owner);
        let resp = self.served(resp);
        let l = self.new_login();
        self.login_of_session.insert(resp.session_id.clone(), l);
        // The interactive login leaves the user logged in at the server (its login cookie), unless still so.
        let signed_in = self.login_id.as_deref().and_then(|id| self.st.login_owner(id));
        if signed_in.as_deref() != Some(owner) {
            let id = format!("login{}", self.st.logins.len() + 1);
            let created_ms = self.st.now();
            self.st.logins.insert(id.clone(), LoginSession { created_ms, owner_id: owner.into() });
            self.login_id = Some(id);
        }
        if self.opts.trace {
            let a = self.name(&resp.access_token, 'A');
            let r = resp.refresh_token.as_deref().map(|r| self.name(r, 'R')).unwrap_or_default();
            self.tr(Some(tab), format!("app: login, server issued {a}/{r}"));
        }
        let call = self.new_call(tab, CallKind::Login, String::new());
        self.logins_pending.insert(tab);
        let d = self.rng.real(50.0, 800.0);
        self.push(d, Ev::LoginReply { tab, call, resp });
    }

    // ---- environment faults ---------------------------------------------------------------------------------

    fn env_fault(&mut self, f: Fault) {
        if self.healing {
            return;
        }
        let open = self.open_tabs();
        if open.is_empty() {
            return;
        }
        self.stats.faults += 1;
        if !f.transient() {
            self.non_transient = true;
        }
        let tab = *self.rng.pick(&open);
        match f {
            Fault::ClockJump => {
                let d = if self.rng.chance(0.5) { self.rng.real(1_000.0, 7_200_000.0) } else { -self.rng.real(1_000.0, 7_200_000.0) };
                let jumped: Vec<usize> = if self.prof.join { (0..self.tabs.len()).collect() } else { vec![tab] };
                if self.prof.join {
                    self.browser_offset += d;
                }
                for t in jumped {
                    self.tabs[t].offset_ms += d;
                    self.tabs[t].last_clock_jump = self.now;
                }
                self.any_jump = true;
                self.tr(Some(tab), format!("fault: clock jumps {:+.1} s", d / 1000.0));
            }
            Fault::Sleep => {
                let room = EPOCH_MS + self.prof.duration_ms - self.now - 60_000.0;
                if self.tabs[tab].frozen_until.is_none() && room > 10_000.0 {
                    let d = self.rng.real(10_000.0, 7_200_000.0_f64.min(room));
                    self.tabs[tab].frozen_until = Some(self.now + d);
                    self.tabs[tab].frozen_since = self.now;
                    self.tr(Some(tab), format!("fault: sleeps {:.1} s", d / 1000.0));
                    self.push(d, Ev::Wake { tab });
                }
            }
            Fault::CloseTab => {
                let victim = self.lock.holder.or_else(|| open.iter().copied().find(|&t| self.tabs[t].outstanding.is_some())).unwrap_or(tab);
                self.tr(Some(victim), format!("fault: closed (holding the lock: {})", self.lock.holder == Some(victim)));
                self.close_tab(victim);
            }
            Fault::StorageThrow => {
                let d = self.rng.real(10_000.0, 1_200_000.0);
                if self.prof.shared {
                    self.jar_broken_until = self.now + d;
                    self.push(d, Ev::EndStorageThrow { jar: true, tab });
                } else {
                    self.tabs[tab].own_broken_until = self.now + d;
                    self.push(d, Ev::EndStorageThrow { jar: false, tab });
                }
                self.tr(Some(tab), format!("fault: storage throws for {:.0} s (shared={})", d / 1000.0, self.prof.shared));
            }
            Fault::StorageFull => {
                if self.prof.shared {
                    self.jar_full = true;
                } else {
                    self.tabs[tab].own_full = true;
                }
                self.tr(Some(tab), "fault: storage full for the next write".into());
            }
            Fault::Tamper => {
                match self.tabs[tab].mode {
                    Mode::Shared => {
                        self.jar = Slot::Corrupt;
                        self.jar_tampered_at = self.now;
                        self.jar_logged_out = false;
                        self.jar_expires_at = None;
                    }
                    _ => self.tabs[tab].own = Slot::Corrupt,
                }
                self.tr(Some(tab), "fault: stored value tampered".into());
            }
            Fault::Revoke | Fault::RtExpire => {
                let Some(sid) = self.tabs[tab].last_session.clone() else { return };
                if f == Fault::Revoke {
                    self.st.revoke_session(&sid);
                } else {
                    let now = self.st.now();
                    for r in self.st.refresh.values_mut() {
                        if r.session_id == sid {
                            r.expires_ms = r.expires_ms.min(now);
                        }
                    }
                }
                self.tr(Some(tab), format!("fault: server-side {}", f.name()));
            }
            _ => {}
        }
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
            Ev::Feed { tab, .. }
            | Ev::Notice { tab, .. }
            | Ev::Timer { tab, .. }
            | Ev::LoginReply { tab, .. }
            | Ev::SilentReply { tab, .. } => Some(*tab),
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
            Ev::Notice { from, tab, wire } => {
                let Some(n) = Notice::from_wire(&wire) else {
                    self.fail(Inv::Bounded, format!("tab{from} broadcast {wire:?}, which no tab reads as a notice"));
                    return true;
                };
                if let (Notice::Logout(_), true) = (n, self.tabs[tab].open) {
                    self.tabs[tab].heard_logout_from.insert(from, self.now);
                }
                self.feed(tab, Input::Broadcast(n), Cause::Broadcast);
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
            Ev::ApiArrive { tab, call, token, api, proof } => {
                let demand = if api && token.is_some() && proof.is_some() { self.nonce_demanded(&proof) } else { None };
                if let Some(c) = self.tabs[tab].calls.get_mut(&call) {
                    c.nonce_demands = if demand.is_some() { c.nonce_demands + 1 } else { 0 };
                }
                let (status, error) = if demand.is_some() {
                    // The resource's challenge (`WWW-Authenticate: DPoP error="use_dpop_nonce"`) with its nonce.
                    (401, Some(Error::new(ErrorCode::from_oauth(USE_DPOP_NONCE)).with_status(401)))
                } else if !api {
                    (200, None)
                } else {
                    let cred = token.map_or(Credential::None, Credential::Token);
                    match authorize(&mut self.st, &cred) {
                        Ok(_) => (200, None),
                        Err(e) => (
                            e.status,
                            Some(
                                Error::new(ErrorCode::LoginRequired)
                                    .with_status(e.status)
                                    .with_error_code(Some(e.code.to_string()))
                                    .with_description(e.message),
                            ),
                        ),
                    }
                };
                let d = self.rng.real(5.0, 400.0);
                if let Some(nonce) = demand {
                    self.push(d, Ev::Feed { tab, input: Input::DpopNonce { origin: SERVER.into(), nonce } });
                }
                self.push(d, Ev::Feed { tab, input: Input::ApiResponse { call, status, error } });
            }
            Ev::RevokeArrive { tab, call, token } => {
                if let (Some(t), Some(app)) = (token, self.st.apps.get(CLIENT_ID).cloned()) {
                    rc_emulator::revoke::revoke(&mut self.st, &app, &t);
                }
                let d = self.rng.real(5.0, 300.0);
                self.push(d, Ev::Feed { tab, input: Input::RevokeDone { call } });
            }
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
            Ev::Answer { id, tokens } => {
                let Some(a) = self.asks.get_mut(&id) else { return true };
                a.came += 1;
                a.pairs.extend(tokens);
                if a.came >= a.want {
                    self.answered(id);
                }
            }
            Ev::AskTimeout { id } => self.answered(id),
            Ev::UnlockLater { tab } => {
                if self.lock.holder == Some(tab) && self.tabs[tab].open {
                    self.tr(Some(tab), "lock released".into());
                    self.lock.holder = None;
                    self.grant_next();
                }
            }
            Ev::SwitchUser => {
                // As the control API's login-user does: the next prompt=none is answered as the other user.
                if let Some(l) = self.login_id.clone().and_then(|id| self.st.login_valid(&id).then_some(id)) {
                    if let Some(s) = self.st.logins.get_mut(&l) {
                        let other = USERS.iter().find(|u| u.owner_id != s.owner_id).expect("two users");
                        s.owner_id = other.owner_id.to_string();
                        self.tr(None, format!("server: the login session's user is now {}", other.owner_id));
                    }
                }
            }
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

    fn new_login(&mut self) -> u64 {
        self.next_login += 1;
        self.next_login - 1
    }

    /// Invariant 9: the login of a token (through its server session).
    /// A logout on shared storage (settled, or called and pending) ended the login of server session `sid`:
    /// the app ended it, whichever server session of it (a silent renewal started after the logout was called
    /// makes a new one that logout never revoked: oss-sim seed 1054661, where a tab following the logout's
    /// cleared storage was judged by invariant 3 for ending a session of the login the user logged out).
    fn login_logged_out(&self, sid: &str) -> bool {
        let Some(l) = self.login_of_session.get(sid).copied() else { return false };
        self.dead_logins.get(&l).is_some_and(|d| d.shared)
            || self.logouts.values().any(|(_, shared, ended)| *shared && ended.contains(&l))
    }

    fn login_of(&self, token: &str) -> Option<u64> {
        self.session_of(token).and_then(|s| self.login_of_session.get(&s).copied())
    }

    /// Invariant 9: the login of `token` if a settled logout ended it and `tab` must know by now: the tab
    /// that logged out, and, with shared storage, a tab that heard a logout broadcast since the logout was
    /// called, or opened after it settled (it starts from storage). A tab that has not heard cannot know.
    fn ended_login(&self, tab: usize, token: &str) -> Option<u64> {
        let l = self.login_of(token)?;
        let d = self.dead_logins.get(&l)?;
        let t = &self.tabs[tab];
        let knows = d.tab == tab || (d.shared && (t.heard_logout(d.tab) >= d.called_at || t.opened_at > d.settled_at));
        (self.now >= d.settled_at && knows).then_some(l)
    }

    /// Invariant 9 (storage): once a logout settled, storage never holds a pair of the login it ended: the
    /// tab's own sessionStorage, and the shared jar. With Web Locks the jar is judged at once; without them,
    /// once every open tab has heard the logout and had a storage round trip ([`LOGOUT_SWEEP_MS`]) to remove
    /// what it wrote meanwhile; without Web Locks and BroadcastChannel it is not judged (nothing tells a tab).
    fn check_logout_final(&mut self) {
        if self.dead_logins.is_empty() || self.failure.is_some() {
            return;
        }
        let login = |slot: &Slot| match slot {
            Slot::Tokens(t) => self.login_of(t.access_token.expose()),
            _ => None,
        };
        for (i, t) in self.tabs.iter().enumerate() {
            if !t.open || t.mode != Mode::Session {
                continue;
            }
            if let Some(l) = login(&t.own) {
                if self.dead_logins.get(&l).is_some_and(|d| d.tab == i && self.now >= d.settled_at) {
                    return self.fail(Inv::LogoutFinal, format!("tab{i}'s sessionStorage holds a pair of login {l} after its logout settled"));
                }
            }
        }
        if !self.prof.shared {
            return;
        }
        let Some(l) = login(&self.jar_read()) else { return };
        let Some(d) = self.dead_logins.get(&l).copied() else { return };
        if self.now < d.settled_at || !d.shared {
            return;
        }
        let judged = if self.prof.locks {
            true
        } else if !self.prof.broadcast {
            false
        } else {
            let open = self.open_tabs();
            let heard = open.iter().all(|&i| i == d.tab || self.tabs[i].heard_logout(d.tab) >= d.called_at || self.tabs[i].opened_at > d.settled_at);
            let last = open.iter().map(|&i| self.tabs[i].heard_logout(d.tab)).fold(d.settled_at, f64::max);
            heard && self.now >= last + LOGOUT_SWEEP_MS
        };
        if judged {
            self.fail(Inv::LogoutFinal, format!("the cookie jar holds a pair of login {l} after a logout in tab{} settled", d.tab));
        }
    }

    /// Invariant 4 (bounded): every pending app call of an open tab is younger than CALL_BOUND_MS of awake
    /// time (time the tab spent frozen does not count), and no tab holds the lock longer than that.
    fn check_bounds(&mut self) {
        let now = self.now;
        for (i, t) in self.tabs.iter().enumerate() {
            if !t.open {
                continue;
            }
            for (id, c) in &t.calls {
                let asleep = t.frozen_total - c.frozen_at_start;
                if t.frozen_until.is_none() && now - c.start - asleep > CALL_BOUND_MS {
                    let msg = format!("tab{i} call #{id} ({:?}) pending for {:.0} s", c.kind, (now - c.start) / 1000.0);
                    self.failure.get_or_insert((Inv::Bounded, msg));
                    return;
                }
            }
        }
        if let Some(h) = self.lock.holder {
            let t = &self.tabs[h];
            if t.frozen_until.is_none() && now - self.lock.held_since - (t.frozen_total - self.lock.frozen_at_grant) > CALL_BOUND_MS {
                let msg = format!("tab{h} has held the lock for {:.0} s", (now - self.lock.held_since) / 1000.0);
                self.failure.get_or_insert((Inv::Bounded, msg));
            }
        }
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

    /// Invariant 6, at quiescence: (a) every storage that a tab reads (the cookie jar, each open tab's
    /// sessionStorage or in-memory fallback) and that holds tokens of a session still Active on the server
    /// holds that session's current pair, as long as that pair was delivered to the client at all (a lost
    /// answer never replayed cannot be stored), and for a tab's own storage, to that tab (tabs that gave the
    /// jar up for memory may hold one server session, and a pair another tab received cannot reach this one's
    /// memory: seed 1184651); (b) every open logged-in tab sends the access token its storage holds (probed with one fetch per tab; with shared storage only where BroadcastChannel exists).
    fn check_newest(&mut self) {
        let mut slots: Vec<(String, Slot, Option<usize>)> = Vec::new();
        if self.prof.shared && !self.shared_abandoned {
            slots.push(("the cookie jar".into(), self.jar_read(), None));
        }
        for i in self.open_tabs() {
            if self.tabs[i].mode != Mode::Shared {
                slots.push((format!("tab{i}'s {:?} storage", self.tabs[i].mode), self.tabs[i].own.clone(), Some(i)));
            }
        }
        for (what, slot, tab) in slots {
            let Slot::Tokens(ts) = slot else { continue };
            let Some(sid) = self.session_of(ts.access_token.expose()) else { continue };
            let Some(s) = self.st.sessions.get(&sid) else { continue };
            let reached = match tab {
                None => self.delivered_access.contains(&s.current_access),
                Some(i) => self.delivered_to.contains(&(i, s.current_access.clone())),
            };
            if s.status != SessionStatus::Active || !reached {
                continue;
            }
            let stored_rt = ts.refresh_token.as_ref().map(|r| r.expose().to_string());
            if ts.access_token.expose() != s.current_access || stored_rt != s.current_refresh {
                let msg = format!("{what} holds a superseded pair of its session: the server's newest pair was delivered but not stored");
                self.fail(Inv::Newest, msg);
                return;
            }
        }
        // (b) probe. Without BroadcastChannel a tab learns of another tab's login only at its next refresh,
        // so with shared storage (b) needs the channel.
        if self.prof.shared && !self.prof.broadcast {
            return;
        }
        let tabs: Vec<usize> = self.open_tabs().into_iter().filter(|&i| self.tabs[i].engine.token_info().is_some()).collect();
        if tabs.is_empty() {
            return;
        }
        for &i in &tabs {
            let call = self.new_call(i, CallKind::Probe, API_URL.into());
            self.tabs[i].probe = Some((call, None));
            let origin = oracle_origin(API_URL).unwrap_or_else(|| "null".into());
            self.feed(i, Input::Fetch { call, origin }, Cause::AppFetch);
        }
        let now = self.now;
        self.run_until_quiet(now);
        if self.failure.is_some() {
            return;
        }
        for &i in &tabs {
            let Some((_, Some((sent, stored)))) = self.tabs[i].probe.clone() else { continue };
            // Without Web Locks two tabs may renew silently at once: each keeps its own pair (both live, of
            // sessions of their own; neither supersedes the other) while storage holds the last one written.
            if !self.prof.locks && self.silent_from.contains_key(&sent) {
                continue;
            }
            // Without refresh tokens a pair ends with its access token. Storage that holds nothing (its cookie
            // gone by `Max-Age`, or cleared by a tab whose clock reached that end) has nothing newer to adopt,
            // and a tab whose clock is behind (by up to 2 × MAX_SKEW_MS: a real browser's tabs share one
            // clock) still sends the dead pair until its 401 or its own clock ends it.
            let slack = 2 * MAX_SKEW_MS as i64 + 1_000;
            let dead = self.st.access.get(&sent).is_some_and(|a| self.st.now() + slack >= a.expires_ms);
            // (A clock jump moves a tab's view of that end by more: such runs are not judged, as for invariant 3.)
            if !self.prof.refresh && stored.is_none() && (dead || self.any_jump) {
                continue;
            }
            if stored.as_deref() != Some(sent.as_str()) {
                let msg = format!("tab{i} uses an access token its storage ({:?}) does not hold", self.tabs[i].mode);
                self.fail(Inv::Newest, msg);
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
