//! `GET|POST /restapi/oauth/authorize` and the sign-in page's decision
//! (`POST /restapi/oauth/authorize/decision`). Validation failures on client_id or
//! redirect_uri answer a 400 page and never redirect (§2.1); everything later is
//! reported to the app through the redirect, in the query (code flow) or the
//! fragment (implicit, RFC 6749 §4.2.2.1). A request that needs the user answers
//! 302 to the sign-in page (`LOGIN_PATH?txn=…`), as RingCentral's spec says.

use crate::apps::{find_user, user, App, User, USERS};
use crate::config::Consent;
use crate::errors;
use crate::grants;
use crate::ids;
use crate::params::{form_encode, fragment_encode, Params};
use crate::ratelimit::Verdict;
use crate::respond::{self, escape_html};
use crate::store::{AuthRequest, LoginSession, PendingAuth, PkceMethod, ResponseType, State};
use crate::Shared;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{header, HeaderMap, Uri};
use axum::response::Response;

pub const LOGIN_COOKIE: &str = "RCEMU_LOGIN";
/// The login UI the authorize endpoint redirects to (under the authorize path, so a
/// test that waits for "still on /restapi/oauth/authorize…" sees it as the sign-in step).
pub const LOGIN_PATH: &str = "/restapi/oauth/authorize/login";
/// How long the sign-in page's transaction stays usable.
const PENDING_TTL_MS: i64 = 30 * 60 * 1000;

pub async fn get(AxState(emu): AxState<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let params = Params::parse(uri.query().unwrap_or("").as_bytes());
    start(&mut emu.lock(), &params, &headers)
}

/// The same fields, form-encoded (body wins over query).
pub async fn post(
    AxState(emu): AxState<Shared>,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let params = Params::parse(&body).merged(Params::parse(uri.query().unwrap_or("").as_bytes()));
    start(&mut emu.lock(), &params, &headers)
}

/// `GET LOGIN_PATH?txn=…`: the sign-in page of a pending request.
pub async fn login_page(AxState(emu): AxState<Shared>, headers: HeaderMap, uri: Uri) -> Response {
    let p = Params::parse(uri.query().unwrap_or("").as_bytes());
    let st = emu.lock();
    let now = st.now();
    let pending = p
        .get("txn")
        .and_then(|t| st.pending.get(t).map(|pa| (t, pa)))
        .filter(|(_, pa)| now < pa.expires_ms);
    let Some((txn, PendingAuth { request, .. })) = pending else {
        return bad_page(
            "This sign-in request has expired or was already answered. Start the login again.",
        );
    };
    let Some(app) = st.apps.get(&request.client_id) else {
        return bad_page("The application is no longer registered.");
    };
    let current = current_user(&st, &headers);
    respond::html(200, sign_in_page(app, txn, current))
}

/// The user the sign-in page offers first: whoever is signed in (the login cookie), else the default user.
fn current_user(st: &State, headers: &HeaderMap) -> &'static User {
    login_cookie(headers)
        .and_then(|id| st.login_owner(&id))
        .and_then(|o| find_user(&o))
        .unwrap_or(&USERS[0])
}

/// The sign-in page's Allow/Deny form, and who signs in (`user`: an owner id; absent: as on the page).
pub async fn decision(AxState(emu): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let p = Params::parse(&body);
    let mut st = emu.lock();
    let who = match p.get("user") {
        None => current_user(&st, &headers).owner_id,
        Some(o) => match find_user(o) {
            Some(u) => u.owner_id,
            None => return bad_page(&format!("Unknown user: {o}")),
        },
    };
    let now = st.now();
    let pending = p
        .get("txn")
        .and_then(|t| st.pending.remove(t))
        .filter(|pa| now < pa.expires_ms);
    let Some(PendingAuth { request, .. }) = pending else {
        return bad_page(
            "This sign-in request has expired or was already answered. Start the login again.",
        );
    };
    let Some(app) = st.apps.get(&request.client_id).cloned() else {
        return bad_page("The application is no longer registered.");
    };
    if p.get("decision") == Some("allow") {
        let login = new_login(&mut st, who);
        approve(&mut st, &app, &request, who, Some(login))
    } else {
        error_redirect(
            &request,
            "access_denied",
            "The user denied access to your application",
        )
    }
}

fn start(st: &mut State, p: &Params, headers: &HeaderMap) -> Response {
    let Some(client_id) = p.get("client_id") else {
        return bad_page("Parameter [client_id] is missing.");
    };
    let now = st.now();
    let enabled = st.config.rate_limit;
    if let Verdict::Limited { retry_after_s } = st.rate.hit(client_id, now, enabled) {
        return crate::token::with_rate_headers(errors::rate_limited(retry_after_s), 0);
    }
    let Some(app) = st.apps.get(client_id).cloned() else {
        return bad_page(&format!("Invalid client_id: {client_id}"));
    };
    // Exact string match; fall back to the only registered URI when none is given.
    let redirect_uri = match p.get("redirect_uri") {
        Some(u) if app.redirect_uris.iter().any(|r| r == u) => u.to_string(),
        Some(u) => {
            return bad_page(&format!(
                "redirect_uri does not match a registered URI: {u}"
            ))
        }
        None if app.redirect_uris.len() == 1 => app.redirect_uris[0].clone(),
        None => {
            return bad_page(
                "Parameter [redirect_uri] is required (the app has several registered).",
            )
        }
    };
    let mut request = AuthRequest {
        client_id: app.client_id.clone(),
        redirect_uri,
        response_type: ResponseType::Code,
        state: p.get("state").map(str::to_string),
        challenge: None,
    };
    // Errors about response_type itself go back in the query (the code-flow default).
    request.response_type = match p.get("response_type") {
        Some("code") => ResponseType::Code,
        Some("token") => ResponseType::Token,
        Some(_) => {
            return error_redirect(
                &request,
                "unsupported_response_type",
                "Unsupported response_type",
            )
        }
        None => {
            return error_redirect(
                &request,
                "invalid_request",
                "Parameter [response_type] is missing",
            )
        }
    };
    if request.response_type == ResponseType::Token && !app.allow_implicit {
        let msg = "The implicit grant is not enabled for this application";
        return error_redirect(&request, "unauthorized_client", msg);
    }
    if let Some(challenge) = p.get("code_challenge") {
        let method = match p.get("code_challenge_method") {
            None | Some("plain") => PkceMethod::Plain,
            Some("S256") => PkceMethod::S256,
            Some(_) => {
                return error_redirect(
                    &request,
                    "invalid_request",
                    "Unsupported code_challenge_method",
                )
            }
        };
        request.challenge = Some((challenge.to_string(), method));
    }

    let prompt: Vec<&str> = p.get("prompt").unwrap_or("").split_whitespace().collect();
    // Who is signed in at this server (the login cookie), if anyone: a request they need not confirm is theirs.
    let signed_in = login_cookie(headers).and_then(|id| st.login_owner(&id));
    let logged_in = signed_in.is_some();
    let owner = signed_in.unwrap_or_else(|| user::OWNER_ID.to_string());
    if prompt.contains(&"none") {
        return if prompt.len() > 1 {
            error_redirect(
                &request,
                "invalid_request",
                "prompt=none cannot be combined with other values",
            )
        } else if logged_in {
            approve(st, &app, &request, &owner, None)
        } else {
            error_redirect(&request, "login_required", "User login is required")
        };
    }
    match st.config.consent {
        Consent::Auto => {
            let login = if logged_in {
                None
            } else {
                Some(new_login(st, &owner))
            };
            return approve(st, &app, &request, &owner, login);
        }
        Consent::Deny => {
            return error_redirect(
                &request,
                "access_denied",
                "The user denied access to your application",
            );
        }
        Consent::Page => {}
    }
    let forced = prompt.iter().any(|w| *w == "login" || *w == "consent");
    if logged_in && !forced {
        return approve(st, &app, &request, &owner, None);
    }
    let txn = ids::random_id(16);
    st.pending.insert(
        txn.clone(),
        PendingAuth {
            request,
            expires_ms: now + PENDING_TTL_MS,
        },
    );
    // Absolute, on the host the browser used, so the login cookie lands where it asked.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| format!("127.0.0.1:{}", st.port), str::to_string);
    let query = form_encode(&[("txn", &txn)]);
    respond::redirect(&format!("http://{host}{LOGIN_PATH}?{query}"))
}

/// Completes a request that user `owner` approved: a code (query) or an implicit token (fragment).
fn approve(
    st: &mut State,
    app: &App,
    req: &AuthRequest,
    owner: &str,
    set_login: Option<String>,
) -> Response {
    let state = req.state.as_deref();
    let iss = st.config.authorization_response_iss.clone();
    let location = match req.response_type {
        ResponseType::Code => {
            let code = grants::issue_code_for(st, req, owner);
            let ttl = st.config.code_ttl_s.to_string();
            let mut pairs = vec![("code", code.as_str())];
            pairs.extend(state.map(|s| ("state", s)));
            pairs.push(("expires_in", &ttl));
            pairs.extend(iss.as_deref().map(|i| ("iss", i)));
            with_query(&req.redirect_uri, &form_encode(&pairs))
        }
        ResponseType::Token => {
            let t = grants::implicit_for(st, app, owner);
            let expires_in = t.expires_in.to_string();
            let mut pairs = vec![
                ("access_token", t.access_token.as_str()),
                ("token_type", t.token_type),
                ("expires_in", &expires_in),
                ("scope", &t.scope),
                ("owner_id", &t.owner_id),
                ("endpoint_id", &t.endpoint_id),
            ];
            pairs.extend(state.map(|s| ("state", s)));
            pairs.extend(iss.as_deref().map(|i| ("iss", i)));
            with_fragment(&req.redirect_uri, &fragment_encode(&pairs))
        }
    };
    let mut res = respond::redirect(&location);
    if let Some(id) = set_login {
        // `SameSite=None; Secure`, as a login server must for silent renewal: the `prompt=none` request comes
        // from a hidden iframe on the app's site, where a Lax cookie is not sent. Browsers take `Secure`
        // cookies from loopback http too.
        respond::set_header(
            &mut res,
            "set-cookie",
            &format!("{LOGIN_COOKIE}={id}; HttpOnly; SameSite=None; Secure; Path=/"),
        );
    }
    res
}

fn error_redirect(req: &AuthRequest, error: &str, description: &str) -> Response {
    let mut pairs = vec![("error", error), ("error_description", description)];
    pairs.extend(req.state.as_deref().map(|s| ("state", s)));
    let location = match req.response_type {
        ResponseType::Code => with_query(&req.redirect_uri, &form_encode(&pairs)),
        ResponseType::Token => with_fragment(&req.redirect_uri, &fragment_encode(&pairs)),
    };
    respond::redirect(&location)
}

fn new_login(st: &mut State, owner_id: &str) -> String {
    let id = ids::random_id(18);
    let created_ms = st.now();
    let owner_id = owner_id.to_string();
    st.logins.insert(
        id.clone(),
        LoginSession {
            created_ms,
            owner_id,
        },
    );
    id
}

fn login_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == LOGIN_COOKIE)
        .map(|(_, v)| v.to_string())
}

fn with_query(uri: &str, query: &str) -> String {
    let base = uri.split('#').next().unwrap_or(uri);
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{query}")
}

fn with_fragment(uri: &str, fragment: &str) -> String {
    let base = uri.split('#').next().unwrap_or(uri);
    format!("{base}#{fragment}")
}

/// An empty icon, so a browser showing one of these pages asks for no `/favicon.ico` (a 404 in the app's console).
const ICON: &str = r#"<link rel="icon" href="data:,">"#;

fn bad_page(message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">{ICON}<title>Bad request — RingCentral emulator</title></head>\
         <body><h1>400 Bad Request</h1><p id=\"error\">{}</p></body></html>",
        escape_html(message)
    );
    respond::html(400, body)
}

fn sign_in_page(app: &App, txn: &str, current: &User) -> String {
    let scopes: String = app
        .scope
        .split_whitespace()
        .map(|s| format!("<li>{}</li>", escape_html(s)))
        .collect();
    // Who signs in: the current user is checked, so a plain click on Allow signs in as before.
    let users: String = USERS
        .iter()
        .map(|u| {
            let checked = if u.owner_id == current.owner_id { " checked" } else { "" };
            format!(
                r#"<label><input type="radio" name="user" id="user-{id}" value="{id}"{checked}> {name} (extension {ext}, account {account})</label><br>"#,
                id = u.owner_id,
                name = escape_html(u.name),
                ext = u.extension_number,
                account = u.account_id,
            )
        })
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{icon}
<title>Sign in — RingCentral emulator</title>
<style>
 body {{ font-family: system-ui, sans-serif; background: #f3f5f7; margin: 0; }}
 main {{ max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }}
 h1 {{ font-size: 1.3rem; margin-top: 0; }}
 .buttons {{ display: flex; gap: 1rem; margin-top: 1.5rem; }}
 button {{ flex: 1; padding: .7rem; font-size: 1rem; border-radius: 4px; border: 1px solid #0073ae; cursor: pointer; }}
 #allow {{ background: #0073ae; color: #fff; }}
 #deny {{ background: #fff; color: #0073ae; }}
 code {{ background: #eef; padding: 0 .2rem; }}
</style></head>
<body><main>
<h1>Sign in — RingCentral emulator</h1>
<p>Signed in as <strong id="user">{name}</strong> (extension {ext}, account {account}).</p>
<p><strong id="app-name">{app_name}</strong> (client_id <code id="client-id">{client_id}</code>) wants to access your account with these permissions:</p>
<ul id="scopes">{scopes}</ul>
<form method="post" action="/restapi/oauth/authorize/decision">
 <fieldset id="users"><legend>Sign in as</legend>{users}</fieldset>
 <input type="hidden" name="txn" value="{txn}">
 <div class="buttons">
  <button type="submit" id="allow" name="decision" value="allow">Allow</button>
  <button type="submit" id="deny" name="decision" value="deny">Deny</button>
 </div>
</form>
</main></body></html>
"#,
        name = escape_html(current.name),
        ext = current.extension_number,
        account = current.account_id,
        app_name = escape_html(app.display_name()),
        client_id = escape_html(&app.client_id),
        txn = escape_html(txn),
        icon = ICON,
    )
}
