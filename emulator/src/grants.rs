//! The token lifecycle (§8): authorization codes, sessions, minting token pairs,
//! refresh rotation with its grace-window replay. Pure state transitions on `State`;
//! the HTTP handlers around them live in `token.rs` and `authorize.rs`.

use crate::apps::{user, App};
use crate::clock::secs_to_ms;
use crate::config::Config;
use crate::errors::OAuthError;
use crate::ids;
use crate::params::{int, Params};
use crate::store::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Issues a single-use authorization code for an approved authorize request, as the default user.
pub fn issue_code(st: &mut State, req: &AuthRequest) -> String {
    issue_code_for(st, req, user::OWNER_ID)
}

/// Issues a single-use authorization code that user `owner_id` approved.
pub fn issue_code_for(st: &mut State, req: &AuthRequest, owner_id: &str) -> String {
    let code = ids::token();
    let expires_ms = st.now() + st.config.code_ttl_s * 1000;
    st.codes.insert(
        code.clone(),
        AuthCode {
            client_id: req.client_id.clone(),
            owner_id: owner_id.to_string(),
            redirect_uri: req.redirect_uri.clone(),
            challenge: req.challenge.clone(),
            expires_ms,
            used: false,
        },
    );
    code
}

/// `grant_type=authorization_code`.
pub fn exchange_code(st: &mut State, app: &App, p: &Params) -> Result<TokenResponse, OAuthError> {
    let code_str = p
        .get("code")
        .ok_or_else(|| OAuthError::missing_param("code"))?;
    let now = st.now();
    let code = st
        .codes
        .get(code_str)
        .cloned()
        .ok_or_else(|| OAuthError::invalid_grant("OAU-106", "Invalid authorization code"))?;
    if code.used {
        return Err(OAuthError::invalid_grant(
            "OAU-106",
            "Invalid authorization code",
        ));
    }
    if code.client_id != app.client_id {
        return Err(OAuthError::invalid_grant(
            "OAU-110",
            "Authorization code was issued to another client",
        ));
    }
    if now >= code.expires_ms {
        return Err(OAuthError::invalid_grant(
            "OAU-108",
            "Authorization code expired",
        ));
    }
    if p.get("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(OAuthError::invalid_grant(
            "OAU-109",
            "Redirect URI mismatch",
        ));
    }
    if let Some((challenge, method)) = &code.challenge {
        let verifier = p.get("code_verifier").unwrap_or("");
        if !pkce_matches(challenge, *method, verifier) {
            // No public sample of RC's answer exists; invalid_grant is RFC 7636 §4.6.
            return Err(OAuthError::invalid_grant(
                "OAU-106",
                "Invalid code_verifier",
            ));
        }
    }
    if let Some(c) = st.codes.get_mut(code_str) {
        c.used = true;
    }
    let session_id = new_session(
        st,
        app,
        &code.owner_id,
        p.get("endpoint_id"),
        p.get("scope"),
    );
    let (at_ttl, rt_ttl) = (access_ttl(&st.config, p), refresh_ttl(&st.config, app, p));
    Ok(mint(st, &session_id, at_ttl, rt_ttl))
}

/// `grant_type=refresh_token`: rotate once, then replay the same answer during grace.
pub fn refresh(st: &mut State, app: &App, p: &Params) -> Result<TokenResponse, OAuthError> {
    let rt = p
        .get("refresh_token")
        .ok_or_else(|| OAuthError::missing_param("refresh_token"))?;
    let not_found = || OAuthError::invalid_grant("OAU-213", "Token not found");
    let now = st.now();
    let record = st.refresh.get(rt).cloned().ok_or_else(not_found)?;
    let session = st
        .sessions
        .get(&record.session_id)
        .cloned()
        .ok_or_else(not_found)?;
    if session.client_id != app.client_id {
        return Err(not_found());
    }
    match session.status {
        SessionStatus::Revoked => {
            return Err(OAuthError::invalid_grant("OAU-211", "Token revoked"))
        }
        SessionStatus::Evicted => return Err(not_found()),
        SessionStatus::Active => {}
    }
    if now >= record.expires_ms {
        return Err(OAuthError::invalid_grant("OAU-210", "Token expired"));
    }
    if let Some(rotation) = &record.rotation {
        return if grace_open(st, &session, rotation, now) {
            Ok(rotation.response.clone())
        } else {
            Err(not_found())
        };
    }
    // The pair being replaced: its access token turns "corrupted", then "not found".
    if let Some(old) = st.access.get_mut(&session.current_access) {
        old.superseded_ms.get_or_insert(now);
    }
    if let (Some(ep), Some(s)) = (p.get("endpoint_id"), st.sessions.get_mut(&session.id)) {
        s.endpoint_id = ep.to_string();
    }
    let (at_ttl, rt_ttl) = (access_ttl(&st.config, p), refresh_ttl(&st.config, app, p));
    let response = mint(st, &session.id, at_ttl, rt_ttl);
    if let Some(r) = st.refresh.get_mut(rt) {
        r.rotation = Some(Rotation {
            at_ms: now,
            successor_access: response.access_token.clone(),
            response: response.clone(),
        });
    }
    Ok(response)
}

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with the configured assertion.
pub fn jwt(st: &mut State, app: &App, p: &Params) -> Result<TokenResponse, OAuthError> {
    let assertion = p
        .get("assertion")
        .ok_or_else(|| OAuthError::missing_param("assertion"))?;
    if assertion != st.config.jwt_assertion {
        return Err(OAuthError::new(
            400,
            "invalid_grant",
            Some("OAU-140"),
            "Invalid assertion",
        ));
    }
    let session_id = new_session(
        st,
        app,
        user::OWNER_ID,
        p.get("endpoint_id"),
        p.get("scope"),
    );
    let (at_ttl, rt_ttl) = (access_ttl(&st.config, p), refresh_ttl(&st.config, app, p));
    Ok(mint(st, &session_id, at_ttl, rt_ttl))
}

/// The implicit grant: a new session holding only an access token, as the default user.
pub fn implicit(st: &mut State, app: &App) -> TokenResponse {
    implicit_for(st, app, user::OWNER_ID)
}

/// The implicit grant that user `owner_id` approved.
pub fn implicit_for(st: &mut State, app: &App, owner_id: &str) -> TokenResponse {
    let session_id = new_session(st, app, owner_id, None, None);
    let ttl = st.config.access_token_ttl_default;
    mint(st, &session_id, ttl, None)
}

/// While in grace, a replayed refresh token answers with the pair it produced. Grace ends
/// `grace_after_use_s` after that pair's access token is first used on the API, or
/// `grace_unused_s` after the rotation if it never is. It also ends once the session has
/// moved on to a later pair (replaying would hand out superseded tokens).
fn grace_open(st: &State, session: &Session, rotation: &Rotation, now: i64) -> bool {
    if session.current_access != rotation.successor_access {
        return false;
    }
    let first_use = st
        .access
        .get(&rotation.successor_access)
        .and_then(|a| a.first_used_ms);
    let end = match first_use {
        Some(t) => t + secs_to_ms(st.config.grace_after_use_s),
        None => rotation.at_ms + secs_to_ms(st.config.grace_unused_s),
    };
    now < end
}

/// `access_token_ttl` is clamped, never rejected: below 600 → 600 (so the SDK's `-1`
/// becomes 600), above the default → the default.
pub fn access_ttl(cfg: &Config, p: &Params) -> i64 {
    let upper = cfg.access_token_ttl_default;
    let lower = 600.min(upper);
    int(p.get("access_token_ttl")).map_or(upper, |v| v.clamp(lower, upper))
}

/// `refresh_token_ttl`: `0` means "no refresh token"; above the cap the cap is used.
/// Apps without "Issue refresh tokens" never get one.
pub fn refresh_ttl(cfg: &Config, app: &App, p: &Params) -> Option<i64> {
    if !app.issue_refresh_tokens {
        return None;
    }
    let cap = cfg.refresh_token_ttl_default.min(cfg.refresh_token_ttl_max);
    match int(p.get("refresh_token_ttl")) {
        Some(0) => None,
        Some(v) if v > 0 => Some(v.min(cap)),
        _ => Some(cap),
    }
}

fn pkce_matches(challenge: &str, method: PkceMethod, verifier: &str) -> bool {
    if verifier.is_empty() {
        return false;
    }
    match method {
        PkceMethod::Plain => verifier == challenge,
        PkceMethod::S256 => {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
        }
    }
}

/// Narrows the app's registered scope to the requested words (unknown words are dropped).
fn granted_scope(app: &App, requested: Option<&str>) -> String {
    let Some(req) = requested else {
        return app.scope.clone();
    };
    let words: Vec<&str> = req
        .split_whitespace()
        .filter(|w| app.scope.split_whitespace().any(|a| a == *w))
        .collect();
    if words.is_empty() {
        app.scope.clone()
    } else {
        words.join(" ")
    }
}

/// Creates a session (each code/implicit/JWT grant does), evicting the user's oldest
/// live session beyond `max_sessions_per_user` (RC's "usually 5"; policy unverified).
fn new_session(
    st: &mut State,
    app: &App,
    owner_id: &str,
    endpoint_id: Option<&str>,
    scope: Option<&str>,
) -> String {
    let now = st.now();
    evict_over_cap(st, owner_id, now);
    st.sessions_created += 1;
    let id = ids::random_id(16);
    st.sessions.insert(
        id.clone(),
        Session {
            id: id.clone(),
            client_id: app.client_id.clone(),
            owner_id: owner_id.to_string(),
            endpoint_id: endpoint_id.map_or_else(|| ids::random_id(16), str::to_string),
            scope: granted_scope(app, scope),
            created_ms: now,
            ordinal: st.sessions_created,
            status: SessionStatus::Active,
            current_access: String::new(),
            current_refresh: None,
        },
    );
    id
}

fn evict_over_cap(st: &mut State, owner_id: &str, now: i64) {
    let cap = st.config.max_sessions_per_user;
    if cap == 0 {
        return;
    }
    let is_live = |s: &Session| {
        s.status == SessionStatus::Active
            && (st
                .access
                .get(&s.current_access)
                .is_some_and(|a| now < a.expires_ms)
                || s.current_refresh
                    .as_ref()
                    .and_then(|r| st.refresh.get(r))
                    .is_some_and(|r| now < r.expires_ms))
    };
    let mut live: Vec<(u64, String)> = st
        .sessions
        .values()
        .filter(|s| s.owner_id == owner_id && is_live(s))
        .map(|s| (s.ordinal, s.id.clone()))
        .collect();
    live.sort();
    let excess = (live.len() + 1).saturating_sub(cap);
    for (_, id) in live.into_iter().take(excess) {
        if let Some(s) = st.sessions.get_mut(&id) {
            s.status = SessionStatus::Evicted;
        }
    }
}

/// Creates the session's new current pair and the `TokenInfo` describing it.
fn mint(st: &mut State, session_id: &str, at_ttl: i64, rt_ttl: Option<i64>) -> TokenResponse {
    let now = st.now();
    let offset = st.config.expires_in_offset;
    let access_token = ids::token();
    st.access.insert(
        access_token.clone(),
        AccessToken {
            session_id: session_id.to_string(),
            expires_ms: now + at_ttl * 1000,
            superseded_ms: None,
            first_used_ms: None,
        },
    );
    let refresh_token = rt_ttl.map(|ttl| {
        let t = ids::token();
        st.refresh.insert(
            t.clone(),
            RefreshToken {
                session_id: session_id.to_string(),
                expires_ms: now + ttl * 1000,
                rotation: None,
            },
        );
        t
    });
    let session = st
        .sessions
        .get_mut(session_id)
        .expect("session exists while minting");
    session.current_access = access_token.clone();
    session.current_refresh = refresh_token.clone();
    TokenResponse {
        access_token,
        token_type: "bearer",
        expires_in: at_ttl - offset,
        refresh_token_expires_in: rt_ttl.map(|t| t - offset),
        refresh_token,
        scope: session.scope.clone(),
        owner_id: session.owner_id.clone(),
        endpoint_id: session.endpoint_id.clone(),
        session_id: session.id.clone(),
    }
}
