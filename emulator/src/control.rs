//! The test-control API under `/_emulator/`, mounted only with `--test-mode`.
//! JSON in, JSON out; bodies are parsed whatever their Content-Type so browser test
//! pages may send simple (non-preflighted) requests.

use crate::apps::{find_user, App, USERS};
use crate::faults::FaultRequest;
use crate::respond;
use crate::Shared;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/clock", get(clock))
        .route("/_emulator/clock/advance", post(advance))
        .route("/_emulator/config", get(get_config).post(set_config))
        .route("/_emulator/revoke-session", post(revoke_session))
        .route("/_emulator/users", get(list_users))
        .route("/_emulator/login-user", post(switch_login_user))
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/_emulator/log", get(log))
        .route("/_emulator/apps", get(list_apps).post(put_app))
        .route("/_emulator/echo", any(echo))
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    respond::json(400, &json!({ "error": message.to_string() }))
}

/// An empty body counts as `{}`.
fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, String> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

async fn reset(AxState(emu): AxState<Shared>) -> Response {
    emu.lock().reset();
    respond::json(200, &json!({ "ok": true }))
}

async fn clock(AxState(emu): AxState<Shared>) -> Response {
    respond::json(200, &json!({ "now_ms": emu.lock().now() }))
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

async fn advance(AxState(emu): AxState<Shared>, body: Bytes) -> Response {
    let req: Advance = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let mut st = emu.lock();
    st.clock.advance(req.seconds);
    respond::json(200, &json!({ "now_ms": st.now() }))
}

async fn get_config(AxState(emu): AxState<Shared>) -> Response {
    respond::json(200, &emu.lock().config)
}

async fn set_config(AxState(emu): AxState<Shared>, body: Bytes) -> Response {
    let patch: Value = match parse(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let mut st = emu.lock();
    match st.config.merged(&patch) {
        Ok(config) => {
            st.config = config;
            respond::json(200, &st.config)
        }
        Err(e) => bad_request(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeSession {
    session_id: Option<String>,
    token: Option<String>,
}

async fn revoke_session(AxState(emu): AxState<Shared>, body: Bytes) -> Response {
    let req: RevokeSession = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let mut st = emu.lock();
    let session_id = req
        .session_id
        .or_else(|| req.token.and_then(|t| st.session_of_token(&t)));
    let revoked = session_id
        .as_deref()
        .is_some_and(|sid| st.revoke_session(sid));
    respond::json(
        200,
        &json!({ "revoked": revoked, "session_id": session_id }),
    )
}

async fn list_users() -> Response {
    respond::json(200, &USERS)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchUser {
    owner_id: String,
    /// The `RCEMU_LOGIN` cookie's value; absent: every live login session.
    login: Option<String>,
}

/// Another user is now signed in at the server in that browser (as if they signed in over the old login): the
/// next `prompt=none` request of that login session is answered as them. Tokens already issued keep their owner.
async fn switch_login_user(AxState(emu): AxState<Shared>, body: Bytes) -> Response {
    let req: SwitchUser = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    if find_user(&req.owner_id).is_none() {
        return bad_request(format!("unknown owner_id: {}", req.owner_id));
    }
    let mut st = emu.lock();
    let live: Vec<String> = st
        .logins
        .keys()
        .filter(|id| req.login.as_ref().map_or(true, |l| l == *id) && st.login_valid(id))
        .cloned()
        .collect();
    for id in &live {
        if let Some(l) = st.logins.get_mut(id) {
            l.owner_id = req.owner_id.clone();
        }
    }
    respond::json(
        200,
        &json!({ "switched": live.len(), "owner_id": req.owner_id }),
    )
}

async fn add_faults(AxState(emu): AxState<Shared>, body: Bytes) -> Response {
    let req: FaultRequest = match parse(&body) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    let mut st = emu.lock();
    st.faults.extend(req.expand());
    respond::json(200, &json!({ "queued": st.faults.len() }))
}

async fn list_faults(AxState(emu): AxState<Shared>) -> Response {
    let st = emu.lock();
    let kinds: Vec<&str> = st.faults.iter().map(|f| f.kind.name()).collect();
    respond::json(200, &json!({ "queued": kinds }))
}

async fn clear_faults(AxState(emu): AxState<Shared>) -> Response {
    emu.lock().faults.clear();
    respond::json(200, &json!({ "queued": 0 }))
}

/// The request log, tokens shortened. `?full=1` shows them whole, for test runners only: a request a browser
/// sent (it carries `Origin` or `Sec-Fetch-Site`) is refused, so no page, not even a loopback one, reads a token.
async fn log(AxState(emu): AxState<Shared>, uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let full = uri.query().is_some_and(|q| q.split('&').any(|p| p == "full=1"));
    if !full {
        return respond::json(200, &emu.lock().log.shortened());
    }
    if headers.contains_key(axum::http::header::ORIGIN) || headers.contains_key("sec-fetch-site") {
        return respond::json(403, &json!({ "error": "the full log is for test runners, not for pages" }));
    }
    respond::json(200, &emu.lock().log)
}

async fn list_apps(AxState(emu): AxState<Shared>) -> Response {
    let st = emu.lock();
    let mut apps: Vec<&App> = st.apps.values().collect();
    apps.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    respond::json(200, &apps)
}

async fn put_app(AxState(emu): AxState<Shared>, body: Bytes) -> Response {
    let app: App = match parse(&body) {
        Ok(a) => a,
        Err(e) => return bad_request(e),
    };
    if app.client_id.is_empty() {
        return bad_request("client_id must not be empty");
    }
    if app.confidential && app.client_secret.is_none() {
        return bad_request("a confidential app needs a client_secret");
    }
    emu.lock().apps.insert(app.client_id.clone(), app.clone());
    respond::json(200, &app)
}

/// Reflects the request so a browser test can see exactly what headers it sent. A request that presents a
/// credential (an `Authorization` header) is authenticated like the API first, so an expired or revoked token
/// gets the API's 401 and a client's retry can be observed; one without reaches the echo as it is.
async fn echo(AxState(emu): AxState<Shared>, method: Method, headers: HeaderMap) -> Response {
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        let cred = crate::access::credential(&headers, None);
        let mut st = emu.lock();
        if let Err(e) = crate::access::authorize(&mut st, &cred) {
            return e.into_response(st.config.www_authenticate);
        }
    }
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                Value::String(v.to_str().unwrap_or("").to_string()),
            )
        })
        .collect();
    respond::json(
        200,
        &json!({ "method": method.as_str(), "headers": headers }),
    )
}
