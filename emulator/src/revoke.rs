//! `POST /restapi/oauth/revoke` (RFC 7009): ends the whole session the token belongs
//! to. Answers 200 with an empty body, also for a token it does not know.

use crate::apps::App;
use crate::client_auth::ClientCreds;
use crate::errors::{self, OAuthError};
use crate::log::RevocationEntry;
use crate::params::Params;
use crate::ratelimit::Verdict;
use crate::respond;
use crate::store::State;
use crate::token::{header_str, is_form_content_type, with_rate_headers};
use crate::Shared;
use axum::extract::{Request, State as AxState};
use axum::http::header;
use axum::response::Response;

pub async fn handle(AxState(emu): AxState<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return OAuthError::invalid_request("OAU-100", "Request body too large or unreadable")
            .into_response();
    };
    let is_form = header_str(&parts.headers, header::CONTENT_TYPE)
        .as_deref()
        .is_some_and(is_form_content_type);
    let query = Params::parse(parts.uri.query().unwrap_or("").as_bytes());
    if !bytes.is_empty() && !is_form {
        return OAuthError::new(
            415,
            "invalid_request",
            Some("CMN-415"),
            "Unsupported Media Type",
        )
        .into_response();
    }
    // The body is recommended, `?token=` also works (§4.1).
    let params = Params::parse(&bytes).merged(query);
    let creds = ClientCreds::from_request(&parts.headers, &params);
    let token = params.get("token").map(str::to_string);

    let mut st = emu.lock();
    let now = st.now();
    let enabled = st.config.rate_limit;
    let verdict = st
        .rate
        .hit(&creds.claimed_id().unwrap_or_default(), now, enabled);
    let (res, session_id) = match verdict {
        Verdict::Limited { retry_after_s } => (
            with_rate_headers(errors::rate_limited(retry_after_s), 0),
            None,
        ),
        Verdict::Allowed { remaining } => {
            let outcome = creds.authenticate(&st.apps).and_then(|app| {
                let token = token
                    .as_deref()
                    .ok_or_else(|| OAuthError::missing_param("token"))?;
                Ok(revoke(&mut st, &app, token))
            });
            match outcome {
                Ok(session) => (with_rate_headers(respond::empty(200), remaining), session),
                Err(e) => (with_rate_headers(e.into_response(), remaining), None),
            }
        }
    };
    let entry = RevocationEntry {
        seq: st.log.next_seq(),
        time_ms: now,
        token,
        session_id,
        client_id: creds.claimed_id(),
        status: res.status().as_u16(),
    };
    st.log.revocations.push(entry);
    res
}

/// Ends the session `token` (any of its access or refresh tokens) belongs to, if `app` owns it; returns
/// that session's id. Only the owning app may end a session; anything else is "unknown" (still 200).
pub fn revoke(st: &mut State, app: &App, token: &str) -> Option<String> {
    let session = st.session_of_token(token).filter(|sid| {
        st.sessions
            .get(sid)
            .is_some_and(|s| s.client_id == app.client_id)
    });
    if let Some(sid) = &session {
        st.revoke_session(sid);
    }
    session
}
