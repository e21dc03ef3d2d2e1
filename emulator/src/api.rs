//! The protected REST API under `/restapi/v1.0/`: just enough endpoints for a client
//! to prove its token works. Every call is authenticated first, then routed.

use crate::access::{self, Credential};
use crate::apps::{find_user, User, USERS};
use crate::errors::ApiError;
use crate::log::ApiEntry;
use crate::respond;
use crate::store::State;
use crate::token::header_str;
use crate::Shared;
use axum::extract::State as AxState;
use axum::http::{header, HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::json;

pub async fn handle(
    AxState(emu): AxState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let cred = access::credential(&headers, uri.query());
    let mut st = emu.lock();
    let (res, error_code) = match access::authorize(&mut st, &cred) {
        Err(e) => {
            let code = e.code.to_string();
            (e.into_response(st.config.www_authenticate), Some(code))
        }
        Ok(client_id) => {
            let me = owner_of(&st, &cred);
            route(&st, &method, uri.path(), &client_id, me)
        }
    };
    let entry = ApiEntry {
        seq: st.log.next_seq(),
        time_ms: st.now(),
        method: method.to_string(),
        path: uri.path().to_string(),
        token: match cred {
            Credential::Token(t) => Some(t),
            _ => None,
        },
        status: res.status().as_u16(),
        error_code,
        origin: header_str(&headers, header::ORIGIN),
    };
    st.log.api_requests.push(entry);
    res
}

/// The user whose session the (authorized) token belongs to.
fn owner_of(st: &State, cred: &Credential) -> &'static User {
    let Credential::Token(t) = cred else {
        return &USERS[0];
    };
    st.session_of_token(t)
        .and_then(|sid| st.sessions.get(&sid))
        .and_then(|s| find_user(&s.owner_id))
        .unwrap_or(&USERS[0])
}

/// `~` means "the current one", as on RingCentral; the real ids work too.
fn is_me(segment: &str, id: &str) -> bool {
    segment == "~" || segment == id
}

fn route(
    st: &State,
    method: &Method,
    path: &str,
    client_id: &str,
    me: &User,
) -> (Response, Option<String>) {
    let rest = path
        .trim_start_matches("/restapi/v1.0/")
        .trim_end_matches('/');
    let segments: Vec<&str> = rest.split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::GET, ["account", acc, "extension", ext])
            if is_me(acc, me.account_id) && is_me(ext, me.owner_id) =>
        {
            let body = json!({
                "id": me.owner_id.parse::<u64>().unwrap_or(0),
                "extensionNumber": me.extension_number,
                "name": me.name,
                "type": "User",
                "status": "Enabled",
                "account": { "id": me.account_id },
            });
            (respond::json(200, &body), None)
        }
        (&Method::GET, ["client-info"]) => {
            let name = st
                .apps
                .get(client_id)
                .map_or(client_id, |a| a.display_name());
            let body = json!({
                "client_id": client_id,
                "name": name,
                "client": { "appId": client_id, "appName": name },
            });
            (respond::json(200, &body), None)
        }
        _ => {
            let err = ApiError {
                status: 404,
                top_code: "CMN-102",
                code: "CMN-102",
                message: "Resource not found",
            };
            (err.into_response(false), Some("CMN-102".to_string()))
        }
    }
}
