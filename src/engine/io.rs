//! The engine's vocabulary: what the outside world tells it ([`Input`]) and what it asks the outside world to
//! do ([`Command`]). Plain data, no behaviour: the browser layer and the simulator both speak it.

use crate::protocol::handover_message::Kind;
use crate::protocol::{Error, Redirect, Secret, TokenInfo, TokenSet, Transaction};

/// A moment by the clock the inputs are stamped with: milliseconds since the Unix epoch (`Date.now()`), the
/// clock the tokens' expiries are written in. Every input carries one; the engine keeps no other notion of time.
/// "Never" is `Option<Instant>::None`, not a magic value.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Instant(f64);

impl Instant {
    pub const fn from_ms(ms: f64) -> Instant {
        Instant(ms)
    }

    /// The milliseconds since the epoch (to compare with a token's `expires_at_ms`, or to arm a host timer).
    pub const fn as_ms(self) -> f64 {
        self.0
    }

    /// `ms` milliseconds later.
    pub fn plus_ms(self, ms: f64) -> Instant {
        Instant(self.0 + ms)
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn ms_since(self, earlier: Instant) -> f64 {
        self.0 - earlier.0
    }

    pub fn max(self, other: Instant) -> Instant {
        if other > self { other } else { self }
    }

    pub fn min(self, other: Instant) -> Instant {
        if other < self { other } else { self }
    }
}

/// An app call (fetch, refresh, logout, login, the `ready` promise), numbered by the caller.
pub type CallId = u32;
/// An I/O request (storage, the token endpoint, a silent renewal, the cross-tab lock), numbered by the engine;
/// its answer comes back with the same number, so a late answer is never taken for another request's.
pub type OpId = u32;

/// DPoP (RFC 9449): sign a proof for the request being sent, with the session's key, carrying this nonce (the
/// latest the request's origin sent). The browser layer fills in the method, the URL and, for an API request,
/// the hash of the token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Proof {
    pub nonce: Option<String>,
}

/// What the browser (or the simulator) can do, fixed when the session is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// Storage seen by every tab (cookies, an app backend): refresh under a lock, broadcast changes.
    pub shared: bool,
    /// `navigator.locks` exists.
    pub locks: bool,
}

/// The engine's timers, one deadline each (kept by the engine: the host arms one timer for
/// [`Engine::poll_timeout`](super::Engine::poll_timeout) and feeds [`Input::Timeout`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// The next instant the refresh policy changes its answer (a hint: every use re-checks the clock).
    Check = 0,
    /// The wait before retrying a refresh that failed transiently (backoff, `Retry-After`).
    RefreshRetry = 1,
    /// The wait before writing a refreshed pair again that shared storage refused (under the lock).
    SaveRetry = 2,
    /// After giving shared storage up: how long the lock is kept so the other tabs hear it first.
    Handover = 3,
    /// How long a silent renewal may take ([`Command::SilentRenew`]); then it counts as failed.
    Silent = 4,
}

impl Timer {
    pub const COUNT: usize = 5;
    pub const ALL: [Timer; Timer::COUNT] = [Timer::Check, Timer::RefreshRetry, Timer::SaveRetry, Timer::Handover, Timer::Silent];

    /// Waits of the refresh flight (they end with it).
    pub fn is_flight(self) -> bool {
        matches!(self, Timer::RefreshRetry | Timer::SaveRetry | Timer::Handover)
    }
}

/// What tabs tell each other. Never carries tokens: receivers trust only what storage holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    Login,
    Refresh,
    /// A logout. It names the logins it ended ([`Logins`]): a tab that holds another one (made after the sender
    /// looked, oss-sim seed 1039109) keeps it. `None` — a plain `logout`, from a tab of an earlier version or
    /// a logout that could not read storage — is final for every tab.
    Logout(Option<Logins>),
    /// A session ended. It names the login it ended (its lineage's login time, ms), so a tab that holds another
    /// login (one stored after the sender looked) re-reads storage instead of dropping it; `None` (a sender
    /// that named none) is final for every tab.
    Expired(Option<u64>),
}

/// The logins a logout ended, by their lineage's login time in whole ms: the one the logging-out tab held and,
/// when storage held another, that one too (possibly none: it held nothing and storage was empty). 0 is an empty
/// slot: a pair stored before lineages has no name (a logout of one names none: final for every tab).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Logins([u64; 2]);

impl Logins {
    /// Adds a login; `false` if it has no name or two others are named already (the caller then names none).
    pub fn add(&mut self, login: u64) -> bool {
        if login == 0 {
            return false;
        }
        if !self.contains(login) {
            let [a, b] = &mut self.0;
            match (*a, *b) {
                (0, _) => *a = login,
                (_, 0) => *b = login,
                _ => return false,
            }
        }
        true
    }

    pub fn contains(&self, login: u64) -> bool {
        login != 0 && self.0.contains(&login)
    }

    /// The logins named (a 0 is an empty slot).
    pub fn slots(&self) -> [u64; 2] {
        self.0
    }

    /// `a,b` (no spaces); `None` for anything else, more than two and 0 included.
    fn from_wire(s: &str) -> Option<Logins> {
        let mut l = Logins::default();
        if !s.is_empty() {
            for part in s.as_bytes().split(|b| *b == b',') {
                if !l.add(decimal(part)?) {
                    return None;
                }
            }
        }
        Some(l)
    }
}

/// Digits only, as `push_u64` writes them (a byte loop: `split_once` and `str::parse` cost the wasm more).
fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

impl Notice {
    /// The kind, for traces.
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Login => "login",
            Notice::Refresh => "refresh",
            Notice::Logout(_) => "logout",
            Notice::Expired(_) => "expired",
        }
    }

    /// What goes on the BroadcastChannel: the kind; for `expired`, `:` and the login it ended; for a named
    /// `logout`, `:` and the logins it ended, comma-separated (`logout:` when it ended none).
    pub fn to_wire(self) -> String {
        let mut s = String::from(self.as_str());
        let logins = match &self {
            Notice::Expired(Some(login)) => core::slice::from_ref(login),
            // (`add` fills the first slot first: empty slots are last.)
            Notice::Logout(Some(l)) => l.0.get(..l.0.iter().take_while(|x| **x != 0).count()).unwrap_or_default(),
            _ => return s,
        };
        s.push(':');
        for (i, login) in logins.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            crate::protocol::encoding::push_u64(&mut s, *login);
        }
        s
    }

    /// The inverse of [`Notice::to_wire`]; `None` for what is no notice. A `logout:` whose list this version
    /// cannot read is still a logout: one that names none it understands, so final (as a plain `logout`).
    pub fn from_wire(s: &str) -> Option<Notice> {
        match s {
            "login" => Some(Notice::Login),
            "refresh" => Some(Notice::Refresh),
            "logout" => Some(Notice::Logout(None)),
            "expired" => Some(Notice::Expired(None)),
            _ => match s.strip_prefix("logout:") {
                Some(list) => Some(Notice::Logout(Logins::from_wire(list))),
                None => decimal(s.strip_prefix("expired:")?.as_bytes()).map(|login| Notice::Expired(Some(login))),
            },
        }
    }
}

/// Everything that happens to a session, with the time it happened passed beside it.
#[derive(Clone, Debug)]
pub enum Input {
    /// The session was made: restore from storage, then settle `ready` with "logged in?". `storage_problem`:
    /// the chosen storage refused to open (the browser layer already fell back to memory).
    Start { ready: CallId, storage_problem: Option<Error> },
    /// `session.fetch` of a request whose origin is `origin`, as the URL parser that `fetch` obeys serializes it
    /// (the browser's `new URL(request.url).origin`; `"null"` when opaque).
    Fetch { call: CallId, origin: String },
    /// The answer to a [`Command::SendApi`]. `error`: for a 401, the server's reason read from the body.
    /// `dpop_nonce`: its `DPoP-Nonce` header (the next proof to that origin carries it).
    ApiResponse { call: CallId, status: u16, error: Option<Error>, dpop_nonce: Option<String> },
    /// `session.refresh()`.
    Refresh { call: CallId },
    /// `session.logout()`.
    Logout { call: CallId },
    /// A login callback produced these tokens (code exchange or implicit fragment).
    LoggedIn { call: CallId, tokens: TokenSet },
    /// The answer to [`Command::Load`].
    Loaded { op: OpId, result: Result<Option<TokenSet>, Error> },
    /// The answer to [`Command::Save`].
    Saved { op: OpId, result: Result<(), Error> },
    /// The answer to [`Command::Clear`].
    Cleared { op: OpId },
    /// The answer to [`Command::SendToken`]: the parsed token set (no refresh token merged in), or the
    /// classified error (network, timeout, status and body).
    /// `dpop_nonce`: the answer's `DPoP-Nonce` header.
    TokenReply { id: OpId, result: Result<TokenSet, Error>, dpop_nonce: Option<String> },
    /// The answer to [`Command::SendRevoke`] (its outcome does not matter).
    RevokeDone { call: CallId, dpop_nonce: Option<String> },
    /// The lock [`Command::Lock`] `id` asked for is held.
    LockGranted { id: OpId },
    /// Waiting for the lock took longer than [`Command::Lock`]'s timeout; the request was withdrawn.
    LockTimedOut { id: OpId },
    /// Another tab said something.
    Broadcast(Notice),
    /// The deadline [`Engine::poll_timeout`](super::Engine::poll_timeout) gave has come (the host's timer fired).
    Timeout,
    /// The page became visible or came back online: re-check now.
    Wake,
    /// A response to a request the engine did not ask for (the code exchange of a login or of a silent
    /// renewal, which the browser layer runs) carried `DPoP-Nonce: nonce` from `origin`. The engine's own
    /// requests carry their nonce inside their answers.
    DpopNonce { origin: String, nonce: String },
    /// `session.renew()`: new tokens now without interaction (a refresh, or else a silent renewal).
    Renew { call: CallId },
    /// The answer to [`Command::SilentRenew`]: the tokens of the `prompt=none` login, or why there are none
    /// (`login_required`, `interaction_required`, `consent_required`, a failed exchange …).
    SilentDone { id: OpId, result: Result<TokenSet, Error> },
    /// `loginUrl()` (`kind` [`Kind::Redirect`]: the call resolves with the authorize URL) or `loginPopup()`
    /// (`Popup`, once the browser opened the window; `timeout_s`: its `timeoutSeconds` option as the app gave it).
    Login { call: CallId, kind: Kind, timeout_s: Option<f64> },
    /// The answer to [`Command::Digest`] (`Err`: the browser could not hash).
    Digested { call: CallId, digest: Result<Vec<u8>, Error> },
    /// The answer to [`Command::SaveTransaction`].
    TransactionSaved { call: CallId, result: Result<(), Error> },
    /// A login step failed in the browser (the popup could not be navigated).
    LoginFailed { call: CallId, error: Error },
    /// `handleRedirect()`: this page's URL, its authorization response (`protocol::parse_redirect` of its query
    /// and fragment) and the transaction stored under the response's state (removed: single use), or why storage
    /// could not be read. Resolves `true` once logged in, `false` when the page load was not a callback of ours.
    Callback { call: CallId, href: String, response: Redirect, tx: Result<Option<Transaction>, Error> },
    /// A popup's callback page handed over its URL: the authorization response in it.
    Handover { call: CallId, response: Redirect },
    /// The popup is closed, and its last message had its time to arrive. `back`: it showed a page of our
    /// origin at some point.
    PopupClosed { call: CallId, back: bool },
    /// The popup's timeout ([`Command::Authorize`]) ran out.
    LoginTimedOut { call: CallId },
    /// The answer to [`Command::ExchangeCode`]: the parsed token set, or the classified error, and the
    /// `DPoP-Nonce` that came with it.
    Exchanged { call: CallId, result: Result<TokenSet, Error>, dpop_nonce: Option<String> },
    /// Tabs that join ([`crate::engine::Engine::join_tabs`]): another tab asks for the session; `id` names the
    /// channel only that tab listens on → [`Command::AnswerTab`] (if this tab says it holds the session).
    TabsAsked { id: String },
    /// The answer to [`Command::AskTabs`]: the pairs the tabs that hold the session answered with (none when no
    /// tab holds one, or none answered in time).
    TabsAnswered { op: OpId, pairs: Vec<TokenSet> },
}

/// What a settled app call resolves with (fetch calls resolve with their response: [`Command::Deliver`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Unit,
    Bool(bool),
    /// `loginUrl()`'s authorize URL.
    Text(String),
}

/// The session's events, as the app sees them. Token strings never appear here.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionEvent {
    Login(TokenInfo),
    Refresh(TokenInfo),
    RefreshError(Error),
    /// The access token is about to expire and cannot be refreshed.
    Expiring(TokenInfo),
    /// The session ended without a logout; the error says why when there was one.
    Expired(Option<Error>),
    Logout,
    RateLimit(Error),
    /// The chosen storage refused to work; tokens are kept in memory from now on.
    StorageFallback(Error),
    Change(Option<TokenInfo>),
    /// DPoP was asked for, but the server issued a bearer token (it is used as such).
    DpopDowngrade(TokenInfo),
}

impl SessionEvent {
    pub fn name(&self) -> &'static str {
        match self {
            SessionEvent::Login(_) => "login",
            SessionEvent::Refresh(_) => "refresh",
            SessionEvent::RefreshError(_) => "refreshError",
            SessionEvent::Expiring(_) => "expiring",
            SessionEvent::Expired(_) => "expired",
            SessionEvent::Logout => "logout",
            SessionEvent::RateLimit(_) => "rateLimit",
            SessionEvent::StorageFallback(_) => "storageFallback",
            SessionEvent::Change(_) => "change",
            SessionEvent::DpopDowngrade(_) => "dpopDowngrade",
        }
    }
}

/// What the engine asks for. The browser layer carries each out and reports back with the matching input.
#[derive(Clone, Debug)]
pub enum Command {
    /// Read the stored tokens → [`Input::Loaded`].
    Load { op: OpId },
    /// Store these tokens → [`Input::Saved`].
    Save { op: OpId, tokens: TokenSet },
    /// Remove this session's stored keys → [`Input::Cleared`].
    Clear { op: OpId },
    /// The storage failed: keep tokens in memory from now on.
    UseMemory,
    /// POST `form` to the token endpoint `url`, giving up after `timeout_ms` → [`Input::TokenReply`]. With
    /// `proof`, a `DPoP` header.
    SendToken { id: OpId, url: String, form: String, timeout_ms: u32, proof: Option<Proof> },
    /// POST `form` to the revoke endpoint `url` → [`Input::RevokeDone`]. With `proof`, a `DPoP` header.
    SendRevoke { call: CallId, url: String, form: String, proof: Option<Proof> },
    /// Send the app's request for `call`, with this bearer token or untouched (`None`) → [`Input::ApiResponse`].
    /// `retry`: a later send of the call (its body comes from the copy kept before the first). With `proof`,
    /// the token goes as `Authorization: DPoP …` next to a proof bound to it (`ath`).
    SendApi { call: CallId, token: Option<Secret>, retry: bool, proof: Option<Proof> },
    /// Resolve fetch `call` with the response it got.
    Deliver { call: CallId },
    /// A `session.fetch` while logged in went to `origin` without the token (it is not in `apiOrigins`): tell the
    /// developer on the console. Once per origin per session; never carries a token.
    WarnWithheld { origin: String },
    /// Settle an app call (for fetch calls: reject with the error).
    Settle { call: CallId, result: Result<Value, Error> },
    /// Take the exclusive lock `name`; give up after `timeout_ms` → [`Input::LockGranted`] / [`Input::LockTimedOut`].
    Lock { id: OpId, name: String, timeout_ms: u32 },
    Unlock,
    Broadcast(Notice),
    Emit(SessionEvent),
    /// DPoP: drop the key this tab holds in memory (another tab may have replaced it), and with `delete` remove
    /// it from where it is kept (logout: the next login makes a new one).
    ForgetKey { delete: bool },
    /// Log in again without interaction: a `prompt=none` authorize request in a hidden iframe, its code
    /// exchanged with PKCE → [`Input::SilentDone`]. The engine's [`Timer::Silent`] bounds it. The browser
    /// answers with [`Input::Login`] of kind `Frame` (the engine then asks for each step).
    SilentRenew { id: OpId },
    /// The silent renewal took too long: remove its iframe; a late answer is not wanted.
    CancelSilent,
    /// Tabs that join: ask the tabs of this client + server that hold the session (see [`Command::Present`])
    /// for the pair each holds, and wait for their answers at most `timeout_ms` → [`Input::TabsAnswered`].
    /// When no tab holds it, nothing is asked and the answer (empty) comes at once.
    AskTabs { op: OpId, timeout_ms: u32 },
    /// Answer the asking tab alone, on its channel `id`: this pair, or that this tab holds none.
    AnswerTab { id: String, tokens: Option<TokenSet> },
    /// Say (`true`) or stop saying that this tab holds the session, where an asking tab looks first (a shared
    /// Web Lock, seen with `navigator.locks.query()`): a tab alone asks no one and waits for no one.
    Present(bool),
    /// Release the lock after `ms` (tabs that join: the other tabs hear that the session ended before the next
    /// holder asks them, see `engine/join.rs`).
    UnlockAfter { ms: u32 },
    /// SHA-256 of `text` (a PKCE verifier) → [`Input::Digested`].
    Digest { call: CallId, text: Secret },
    /// Keep a redirect's login transaction across the page load (sessionStorage, sealed, under its state) →
    /// [`Input::TransactionSaved`].
    SaveTransaction { call: CallId, tx: Transaction },
    /// Show the authorize page `url` and listen for its hand-over → [`Input::Handover`], or
    /// [`Input::LoginFailed`]. A `Popup`: in the window opened for `call` (`state`: the BroadcastChannel a callback
    /// page without `opener` uses), giving up after `timeout_ms` → [`Input::PopupClosed`], [`Input::LoginTimedOut`].
    /// A `Frame` (silent renewal, `call` is [`super::FRAME_CALL`]): in a hidden iframe; the engine's
    /// [`Timer::Silent`] bounds it.
    Authorize { call: CallId, kind: Kind, url: String, state: String, timeout_ms: u32 },
    /// The login of `call` is over: close its popup or remove its frame, stop listening.
    EndLogin { call: CallId },
    /// Replace the address bar's URL, without a history entry: a callback's code, tokens or error leave it.
    ReplaceUrl { url: String },
    /// POST the code exchange `form` to the token endpoint `url` → [`Input::Exchanged`]. With `proof`, a `DPoP`
    /// header.
    ExchangeCode { call: CallId, url: String, form: String, proof: Option<Proof> },
}
