//! Validates a bearer token for the protected API, following the access-token state
//! machine of §8 and the error table of §6.3.

use crate::clock::secs_to_ms;
use crate::errors::ApiError;
use crate::ids;
use crate::store::{SessionStatus, State};
use axum::http::{header, HeaderMap};

/// What the request offered as credentials.
pub enum Credential {
    None,
    /// An `Authorization` header whose scheme is not Bearer.
    WrongScheme,
    /// `Authorization: Bearer` with nothing after it.
    Empty,
    Token(String),
}

/// Reads `Authorization: Bearer|bearer <token>` (scheme is case-insensitive, as the SDK
/// sends RC's own lower-case `token_type`), falling back to `?access_token=`.
pub fn credential(headers: &HeaderMap, query: Option<&str>) -> Credential {
    if let Some(h) = headers.get(header::AUTHORIZATION) {
        let h = h.to_str().unwrap_or("").trim();
        let (scheme, rest) = h.split_once(char::is_whitespace).unwrap_or((h, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Credential::WrongScheme;
        }
        let token = rest.trim();
        return if token.is_empty() {
            Credential::Empty
        } else {
            Credential::Token(token.to_string())
        };
    }
    let from_query = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, v)| k == "access_token" && !v.is_empty())
            .map(|(_, v)| v.into_owned())
    });
    from_query.map_or(Credential::None, Credential::Token)
}

/// Checks the credential; on success records the token's first use (which starts the
/// predecessor refresh token's short grace countdown) and returns the app's client_id.
pub fn authorize(st: &mut State, cred: &Credential) -> Result<String, ApiError> {
    let token = match cred {
        Credential::None => {
            return Err(ApiError::gateway(
                "AGW-401",
                "Authorization header is not specified",
            ))
        }
        Credential::WrongScheme => {
            return Err(ApiError::token(
                "OAU-151",
                "Authorization method not supported",
            ))
        }
        Credential::Empty => {
            return Err(ApiError::gateway("AGW-402", "Invalid Authorization header"))
        }
        Credential::Token(t) => t,
    };
    if !ids::is_token_shaped(token) {
        return Err(ApiError::token("OAU-149", "OAuth token is invalid"));
    }
    let not_found = || ApiError::token("OAU-213", "Token not found");
    let now = st.now();
    let corrupt_ms = secs_to_ms(st.config.corrupt_window_s);
    let at = st.access.get(token).cloned().ok_or_else(not_found)?;
    let session = st.sessions.get(&at.session_id).ok_or_else(not_found)?;
    if session.status != SessionStatus::Active {
        return Err(not_found());
    }
    if let Some(superseded) = at.superseded_ms {
        return Err(if now < superseded + corrupt_ms {
            ApiError::token("OAU-129", "Access token corrupted")
        } else {
            not_found()
        });
    }
    if now >= at.expires_ms {
        return Err(ApiError::token("OAU-128", "Access token expired"));
    }
    let client_id = session.client_id.clone();
    if let Some(a) = st.access.get_mut(token) {
        a.first_used_ms.get_or_insert(now);
    }
    Ok(client_id)
}
