//! `POST /restapi/oauth/token`: the gateway stage (rate limit, injected faults), then
//! client authentication and the grant itself, all logged for `GET /_emulator/log`.

use crate::client_auth::ClientCreds;
use crate::errors::{self, OAuthError};
use crate::faults::{Fault, FaultKind};
use crate::grants;
use crate::log::TokenEntry;
use crate::params::Params;
use crate::ratelimit::Verdict;
use crate::respond;
use crate::server::ConnAbort;
use crate::store::{State, TokenResponse};
use crate::Shared;
use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use std::time::Duration;

const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

pub async fn handle(AxState(emu): AxState<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let abort = parts.extensions.get::<ConnAbort>().cloned();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return OAuthError::invalid_request("OAU-100", "Request body too large or unreadable")
            .into_response();
    };
    let headers = &parts.headers;
    let content_type = header_str(headers, header::CONTENT_TYPE);
    let is_form = content_type.as_deref().is_some_and(is_form_content_type);
    let params = if is_form {
        Params::parse(&bytes)
    } else {
        Params::default()
    };
    let creds = ClientCreds::from_request(headers, &params);
    let mut entry = TokenEntry {
        seq: 0,
        time_ms: 0,
        grant_type: params.get("grant_type").map(str::to_string),
        params: params.to_map(),
        client_id: creds.claimed_id(),
        basic_auth: creds.basic.is_some(),
        content_type,
        origin: header_str(headers, header::ORIGIN),
        status: 0,
        fault: None,
        body_sent: None,
    };

    // Gateway stage: the rate limiter sees the request first, then a queued fault.
    let (verdict, fault) = {
        let mut st = emu.lock();
        let (now, enabled) = (st.now(), st.config.rate_limit);
        let key = creds.claimed_id().unwrap_or_default();
        let verdict = st.rate.hit(&key, now, enabled);
        let fault = match verdict {
            Verdict::Allowed { .. } => st.faults.pop_front(),
            Verdict::Limited { .. } => None,
        };
        (verdict, fault)
    };
    let remaining = match verdict {
        Verdict::Limited { retry_after_s } => {
            record(&emu, entry, 429);
            return with_rate_headers(errors::rate_limited(retry_after_s), 0);
        }
        Verdict::Allowed { remaining } => remaining,
    };
    entry.fault = fault.map(|f| f.kind.name());
    if let Some(f) = fault {
        if f.kind == FaultKind::Delay {
            tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
        } else if !f.kind.processes_grant() {
            let res = fault_response(f);
            record(&emu, entry, res.status().as_u16());
            return with_rate_headers(res, remaining);
        }
    }

    // Grant stage: one lock for the whole transition and its log entry.
    let (outcome, seq) = {
        let mut st = emu.lock();
        let outcome = process(&mut st, is_form, &params, &creds);
        let status = outcome.as_ref().map_or_else(|e| e.status, |_| 200);
        log_locked(&mut st, entry, status);
        (outcome, st.log.token_requests.last().map_or(0, |e| e.seq))
    };
    let mut res = match (fault.map(|f| f.kind), outcome) {
        (Some(FaultKind::DropAfterCommit), _) => {
            if let Some(abort) = abort {
                abort.abort();
                // The connection task drops this future together with the socket.
                std::future::pending::<()>().await;
            }
            respond::empty(500)
        }
        (Some(FaultKind::MalformedJson), outcome) => {
            let full = match outcome {
                Ok(t) => serde_json::to_string(&t).unwrap_or_default(),
                Err(e) => e.body(),
            };
            respond::json_str(200, full[..full.len() / 2].to_string())
        }
        (Some(FaultKind::HugeBody), Ok(t)) => {
            huge_body(emu.clone(), seq, &t, fault.map_or(0, |f| f.size))
        }
        (_, Ok(t)) => success(&t),
        (_, Err(e)) => e.into_response(),
    };
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    with_rate_headers(res, remaining)
}

/// The grant stage on its own (no gateway faults, no rate limit, no log): what the simulator calls.
pub fn process(
    st: &mut State,
    is_form: bool,
    p: &Params,
    creds: &ClientCreds,
) -> Result<TokenResponse, OAuthError> {
    if !is_form {
        return Err(OAuthError::new(
            415,
            "invalid_request",
            Some("CMN-415"),
            "Unsupported Media Type",
        ));
    }
    if let Some(name) = p.duplicate() {
        return Err(OAuthError::invalid_request(
            "OAU-111",
            &format!("Duplicate parameter [{name}]"),
        ));
    }
    let app = creds.authenticate(&st.apps)?;
    for name in ["access_token_ttl", "refresh_token_ttl"] {
        check_int32(p, name)?;
    }
    match p.get("grant_type") {
        None => Err(OAuthError::missing_param("grant_type")),
        Some("authorization_code") => grants::exchange_code(st, &app, p),
        Some("refresh_token") if app.issue_refresh_tokens => grants::refresh(st, &app, p),
        Some(JWT_GRANT) if creds.basic.is_some() => grants::jwt(st, &app, p),
        Some("refresh_token" | JWT_GRANT | "password") => Err(OAuthError::unauthorized_grant()),
        // The spec requires `errors[]` on every token-endpoint 400, this one included.
        Some(_) => Err(OAuthError::new(
            400,
            "unsupported_grant_type",
            Some("OAU-250"),
            "Unsupported grant type",
        )),
    }
}

/// The spec types the TTLs as `integer` (`int32`): `abc` or `1.5` is refused with
/// CMN-101 naming the parameter rather than read as "absent" or truncated to a value
/// the caller never asked for. Range is not checked here: out-of-range values clamp (§9).
fn check_int32(p: &Params, name: &str) -> Result<(), OAuthError> {
    match p.get(name) {
        Some(v) if v.parse::<i32>().is_err() => Err(OAuthError::invalid_request(
            "CMN-101",
            &format!("Parameter [{name}] value is invalid"),
        )
        .with_param(name, v)),
        _ => Ok(()),
    }
}

fn success(t: &TokenResponse) -> Response {
    let mut res = respond::json(200, t);
    respond::set_header(&mut res, "pragma", "no-cache");
    res
}

/// Counts the body bytes handed to the connection; when the body is dropped (sent, or the client went away)
/// the count goes to the request's log entry.
struct Sent {
    emu: Shared,
    seq: u64,
    n: u64,
}

impl Drop for Sent {
    fn drop(&mut self) {
        let mut st = self.emu.lock();
        if let Some(e) = st.log.token_requests.iter_mut().find(|e| e.seq == self.seq) {
            e.body_sent = Some(self.n);
        }
    }
}

/// The `huge_body` fault: the real token answer with a `padding` member that brings the body to `size` bytes,
/// streamed in 64 KiB chunks (hyper asks for the next one only when the previous one is written).
fn huge_body(emu: Shared, seq: u64, t: &TokenResponse, size: u64) -> Response {
    const CHUNK: usize = 64 * 1024;
    let size = if size == 0 { 64 << 20 } else { size };
    let mut head = serde_json::to_string(t).unwrap_or_default();
    head.pop(); // the closing brace
    head.push_str(",\"padding\":\"");
    let total = size.max(head.len() as u64 + 2);
    let pad = total - head.len() as u64 - 2;
    let state = (Sent { emu, seq, n: 0 }, Some(head), pad, false);
    let stream = futures_util::stream::unfold(state, |(mut sent, head, pad, done)| async move {
        if done {
            return None;
        }
        let (chunk, pad, done) = match head {
            Some(h) => (h.into_bytes(), pad, false),
            None if pad == 0 => (b"\"}".to_vec(), 0, true),
            None => {
                let n = pad.min(CHUNK as u64);
                (vec![b'x'; n as usize], pad - n, false)
            }
        };
        sent.n += chunk.len() as u64;
        Some((
            Ok::<_, std::io::Error>(axum::body::Bytes::from(chunk)),
            (sent, None, pad, done),
        ))
    });
    let mut res = Response::new(axum::body::Body::from_stream(stream));
    respond::set_header(&mut res, "content-type", "application/json;charset=utf-8");
    respond::set_header(&mut res, "content-length", &total.to_string());
    res
}

fn fault_response(f: Fault) -> Response {
    let retry = f.retry_after.to_string();
    match f.kind {
        FaultKind::Status503 => {
            let body = r#"{"message":"Service Unavailable","error":"service_unavailable","error_description":"The service is temporarily unavailable"}"#;
            let mut res = respond::json_str(503, body.to_string());
            respond::set_header(&mut res, "retry-after", &retry);
            res
        }
        FaultKind::Status429 => errors::rate_limited(f.retry_after as i64),
        _ => respond::raw(
            500,
            respond::HTML_CT,
            "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>",
        ),
    }
}

/// `X-Rate-Limit-*` appear on Auth-group responses, errors included (§6.4).
pub fn with_rate_headers(mut res: Response, remaining: usize) -> Response {
    respond::set_header(&mut res, "x-rate-limit-group", "auth");
    respond::set_header(
        &mut res,
        "x-rate-limit-limit",
        &crate::ratelimit::AUTH_LIMIT.to_string(),
    );
    respond::set_header(&mut res, "x-rate-limit-remaining", &remaining.to_string());
    respond::set_header(
        &mut res,
        "x-rate-limit-window",
        &crate::ratelimit::WINDOW_S.to_string(),
    );
    res
}

fn record(emu: &Shared, entry: TokenEntry, status: u16) {
    log_locked(&mut emu.lock(), entry, status);
}

fn log_locked(st: &mut State, mut entry: TokenEntry, status: u16) {
    entry.seq = st.log.next_seq();
    entry.time_ms = st.now();
    entry.status = status;
    st.log.token_requests.push(entry);
}

pub fn is_form_content_type(ct: &str) -> bool {
    ct.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

pub fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
