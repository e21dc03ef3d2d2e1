//! All mutable server state, behind one mutex (see `Emu::lock`). Handlers take the lock,
//! do their whole transition, and release it before any await, so every grant, rotation
//! and log entry is atomic even under a thousand concurrent requests.

use crate::apps::{default_apps, App};
use crate::clock::Clock;
use crate::config::Config;
use crate::faults::Fault;
use crate::log::RequestLog;
use crate::ratelimit::RateLimiter;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    Code,
    Token,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkceMethod {
    Plain,
    S256,
}

/// A validated authorize request, kept while the sign-in page waits for a click.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub state: Option<String>,
    pub challenge: Option<(String, PkceMethod)>,
}

#[derive(Debug, Clone)]
pub struct PendingAuth {
    pub request: AuthRequest,
    pub expires_ms: i64,
}

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub client_id: String,
    /// The user who approved it: the exchange's session is theirs.
    pub owner_id: String,
    pub redirect_uri: String,
    pub challenge: Option<(String, PkceMethod)>,
    pub expires_ms: i64,
    pub used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Active,
    /// Ended by a revoke call: refresh answers OAU-211.
    Revoked,
    /// Pushed out by the per-user session cap.
    Evicted,
}

/// One OAuth session (`session_id`), created by each code/implicit/JWT grant. It holds
/// exactly one current token pair; refreshing replaces the pair within the session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub client_id: String,
    pub owner_id: String,
    pub endpoint_id: String,
    pub scope: String,
    pub created_ms: i64,
    /// Creation order, to evict the oldest deterministically even within one millisecond.
    pub ordinal: u64,
    pub status: SessionStatus,
    pub current_access: String,
    pub current_refresh: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub session_id: String,
    pub expires_ms: i64,
    /// When a refresh replaced this token (then OAU-129 for a while, then OAU-213).
    pub superseded_ms: Option<i64>,
    /// First successful API use; starts the predecessor refresh token's short grace.
    pub first_used_ms: Option<i64>,
}

/// A refresh token that has been used once: it keeps the answer it produced so a
/// replay inside the grace window gets the identical pair and never rotates again.
#[derive(Debug, Clone)]
pub struct Rotation {
    pub at_ms: i64,
    pub successor_access: String,
    pub response: TokenResponse,
}

#[derive(Debug, Clone)]
pub struct RefreshToken {
    pub session_id: String,
    pub expires_ms: i64,
    pub rotation: Option<Rotation>,
}

/// RingCentral's `TokenInfo`; field order follows the documented example.
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<i64>,
    pub scope: String,
    pub owner_id: String,
    pub endpoint_id: String,
    pub session_id: String,
}

#[derive(Debug, Clone)]
pub struct LoginSession {
    pub created_ms: i64,
    /// Who is signed in (the control API can switch it): a `prompt=none` request is answered as this user.
    pub owner_id: String,
}

pub struct State {
    /// The bound port; default apps' redirect URIs depend on it.
    pub port: u16,
    pub clock: Clock,
    pub config: Config,
    pub apps: HashMap<String, App>,
    pub pending: HashMap<String, PendingAuth>,
    pub codes: HashMap<String, AuthCode>,
    pub logins: HashMap<String, LoginSession>,
    pub sessions: HashMap<String, Session>,
    pub access: HashMap<String, AccessToken>,
    pub refresh: HashMap<String, RefreshToken>,
    pub rate: RateLimiter,
    pub faults: VecDeque<Fault>,
    pub log: RequestLog,
    pub sessions_created: u64,
}

impl State {
    pub fn new(port: u16) -> State {
        let mut s = State {
            port,
            clock: Clock::default(),
            config: Config::default(),
            apps: HashMap::new(),
            pending: HashMap::new(),
            codes: HashMap::new(),
            logins: HashMap::new(),
            sessions: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            rate: RateLimiter::default(),
            faults: VecDeque::new(),
            log: RequestLog::default(),
            sessions_created: 0,
        };
        s.register_default_apps();
        s
    }

    /// Back to a freshly started server (used between tests).
    pub fn reset(&mut self) {
        *self = State::new(self.port);
    }

    pub fn register_default_apps(&mut self) {
        for app in default_apps(self.port) {
            self.apps.insert(app.client_id.clone(), app);
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Whether the `RCEMU_LOGIN` cookie value names a live login session.
    pub fn login_valid(&self, id: &str) -> bool {
        let ttl = self.config.login_session_ttl_s;
        self.logins
            .get(id)
            .is_some_and(|l| ttl <= 0 || self.now() < l.created_ms + ttl * 1000)
    }

    /// The user of a live login session.
    pub fn login_owner(&self, id: &str) -> Option<String> {
        self.login_valid(id)
            .then(|| self.logins.get(id).map(|l| l.owner_id.clone()))
            .flatten()
    }

    /// Finds the session any access or refresh token (current or old) belongs to.
    pub fn session_of_token(&self, token: &str) -> Option<String> {
        self.access
            .get(token)
            .map(|a| a.session_id.clone())
            .or_else(|| self.refresh.get(token).map(|r| r.session_id.clone()))
    }

    /// Ends a whole session: every token it ever issued stops working.
    pub fn revoke_session(&mut self, session_id: &str) -> bool {
        match self.sessions.get_mut(session_id) {
            Some(s) => {
                s.status = SessionStatus::Revoked;
                true
            }
            None => false,
        }
    }
}
