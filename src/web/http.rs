//! POSTs a form to the token or revoke endpoint and turns every outcome into a `TokenSet` or a classified
//! error: network failures and timeouts, 4xx/5xx with RingCentral or RFC 6749 bodies, and malformed 200s.
//! Plain `fetch` through web-sys: a wrapper crate cost more wasm than it saved lines.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

use crate::core::{
    network_error, parse_token_response, timeout_error, token_endpoint_error, Error, ErrorCode, Json, TokenSet,
};
use crate::web::{browser, json};

/// How long one token request may take before it counts as a (retryable) timeout.
const TOKEN_TIMEOUT_MS: u32 = 30_000;

pub struct FormResponse {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Option<Json>,
}

fn form_request(url: &str, form: &str, signal: &web_sys::AbortSignal) -> Result<Request, JsValue> {
    let headers = Headers::new()?;
    headers.set("Content-Type", "application/x-www-form-urlencoded")?;
    headers.set("Accept", "application/json")?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(form));
    init.set_signal(Some(signal));
    Request::new_with_str_and_init(url, &init)
}

pub async fn post_form(url: &str, form: String) -> Result<FormResponse, Error> {
    let ctl = web_sys::AbortController::new().map_err(|_| network_error())?;
    let signal = ctl.signal();
    let timer = gloo_timers::callback::Timeout::new(TOKEN_TIMEOUT_MS, move || ctl.abort());
    let req = form_request(url, &form, &signal).map_err(|_| network_error())?;
    let sent = JsFuture::from(browser::window().fetch_with_request(&req)).await;
    let res: Response = match sent {
        Ok(r) => r.unchecked_into(),
        Err(_) if signal.aborted() => return Err(timeout_error()),
        Err(_) => return Err(network_error()),
    };
    let status = res.status();
    let retry_after = res.headers().get("Retry-After").ok().flatten();
    // A body that dies mid-stream is a network failure: the server may have committed, so it is retryable.
    let text = match res.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    let aborted = signal.aborted();
    drop(timer);
    let text = match text {
        Some(t) => t,
        None if aborted => return Err(timeout_error()),
        None => return Err(network_error()),
    };
    Ok(FormResponse { status, retry_after, body: json::parse_text(&text) })
}

/// One token request: success parses into a `TokenSet` (keeping `previous`'s refresh token when the server
/// sends none); anything else becomes a classified error. Expiries count from when the request was sent, so
/// network delay shortens a token's life rather than stretching it.
pub async fn token_request(url: &str, form: String, previous: Option<&TokenSet>) -> Result<TokenSet, Error> {
    let sent_at = browser::now_ms();
    let r = post_form(url, form).await?;
    if (200..300).contains(&r.status) {
        return match &r.body {
            Some(b) => parse_token_response(b, sent_at, previous),
            // A 200 whose body does not parse: the server may have rotated, so a retry (same refresh token,
            // inside RingCentral's grace window) is the way to recover.
            None => Err(Error::new(ErrorCode::InvalidResponse)
                .with_status(r.status)
                .with_description("token response is not JSON")
                .with_retryable(true)),
        };
    }
    Err(token_endpoint_error(r.status, r.body.as_ref(), r.retry_after.as_deref(), browser::now_ms()))
}
