//! The engine's vocabulary: what the outside world tells it ([`Input`]) and what it asks the outside world to
//! do ([`Command`]). Plain data, no behaviour: the browser layer and the simulator both speak it.

use crate::protocol::{Error, Secret, TokenInfo, TokenSet};

/// An app call (fetch, refresh, logout, login, the `ready` promise), numbered by the caller.
pub type CallId = u32;
/// A storage operation, numbered by the engine; its result comes back with the same number.
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

/// The engine's timers. Each is armed at most once at a time; re-arming replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerId {
    /// The next instant the refresh policy changes its answer (a hint: every use re-checks the clock).
    Check = 0,
    /// The wait before retrying a refresh that failed transiently.
    Backoff = 1,
    /// How long a silent renewal may take ([`Command::SilentRenew`]); then it counts as failed.
    Silent = 2,
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
/// when storage held another, that one too (possibly none: it held nothing and storage was empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Logins([Option<u64>; 2]);

impl Logins {
    /// Adds a login; `false` if two others are named already (the caller then names none: final for all).
    pub fn add(&mut self, login: u64) -> bool {
        if self.contains(login) {
            return true;
        }
        match self.0.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(login);
                true
            }
            None => false,
        }
    }

    pub fn contains(&self, login: u64) -> bool {
        self.0.contains(&Some(login))
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.0.iter().flatten().copied()
    }

    /// `a,b` (no spaces); `None` for anything else, more than two included.
    fn from_wire(s: &str) -> Option<Logins> {
        let mut l = Logins::default();
        for part in s.split(',').filter(|_| !s.is_empty()) {
            if !l.add(part.parse().ok()?) {
                return None;
            }
        }
        Some(l)
    }
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
        match self {
            Notice::Expired(Some(login)) => {
                s.push(':');
                crate::protocol::encoding::push_u64(&mut s, login);
            }
            Notice::Logout(Some(logins)) => {
                s.push(':');
                for (i, login) in logins.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    crate::protocol::encoding::push_u64(&mut s, login);
                }
            }
            _ => {}
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
                None => s.strip_prefix("expired:")?.parse().ok().map(|login| Notice::Expired(Some(login))),
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
    ApiResponse { call: CallId, status: u16, error: Option<Error> },
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
    TokenReply { result: Result<TokenSet, Error> },
    /// The answer to [`Command::SendRevoke`] (its outcome does not matter).
    RevokeDone { call: CallId },
    LockGranted,
    /// Waiting for the lock took longer than [`Command::Lock`]'s timeout; the request was withdrawn.
    LockTimedOut,
    /// Another tab said something.
    Broadcast(Notice),
    Timer(TimerId),
    /// The page became visible or came back online: re-check now.
    Wake,
    /// A response from `origin` carried `DPoP-Nonce: nonce` (fed before the answer it came with).
    DpopNonce { origin: String, nonce: String },
    /// `session.renew()`: new tokens now without interaction (a refresh, or else a silent renewal).
    Renew { call: CallId },
    /// The answer to [`Command::SilentRenew`]: the tokens of the `prompt=none` login, or why there are none
    /// (`login_required`, `interaction_required`, `consent_required`, a failed exchange …).
    SilentDone { result: Result<TokenSet, Error> },
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
    SendToken { url: String, form: String, timeout_ms: u32, proof: Option<Proof> },
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
    Lock { name: String, timeout_ms: u32 },
    Unlock,
    Broadcast(Notice),
    /// Arm `timer` for the absolute time `at_ms` (by the clock the inputs are stamped with), or disarm it.
    SetTimer { timer: TimerId, at_ms: Option<f64> },
    Emit(SessionEvent),
    /// DPoP: drop the key this tab holds in memory (another tab may have replaced it), and with `delete` remove
    /// it from where it is kept (logout: the next login makes a new one).
    ForgetKey { delete: bool },
    /// Log in again without interaction: a `prompt=none` authorize request in a hidden iframe, its code
    /// exchanged with PKCE → [`Input::SilentDone`]. The engine's [`TimerId::Silent`] bounds it.
    SilentRenew,
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
}
