//! POSTs a form to the token or revoke endpoint through gloo-net and reads the facts of the answer (status,
//! `Retry-After`, `DPoP-Nonce`, the body as JSON or not). What they mean is `protocol::response`'s.

use gloo_net::http::Request;
use wasm_bindgen::JsValue;

use crate::protocol::{no_answer, token_response, Error, HttpAnswer, TokenSet, MAX_BODY_BYTES};
use crate::web::{browser, json};

pub struct FormResponse {
    pub answer: HttpAnswer<JsValue>,
    /// `DPoP-Nonce` (RFC 9449 §8), read only when the request carried a proof.
    pub dpop_nonce: Option<String>,
}

/// One form POST. `Err(timed_out)`: no answer, because `timeout_ms` (the engine's) ran out, or else a network
/// failure before or while reading the body.
pub async fn post_form(url: &str, form: String, timeout_ms: u32) -> Result<FormResponse, bool> {
    post_form_with(url, form, timeout_ms, None).await
}

/// [`post_form`] with a `DPoP` proof header.
pub async fn post_form_with(url: &str, form: String, timeout_ms: u32, dpop: Option<&str>) -> Result<FormResponse, bool> {
    let signal = web_sys::AbortSignal::timeout_with_u32(timeout_ms);
    let failed = |signal: &web_sys::AbortSignal| signal.aborted();
    // The web_sys::Request is built here rather than with gloo-net's RequestBuilder: the builder re-parses the
    // URL to merge query parameters we never use, which costs formatting code in the wasm.
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(|_| false)?;
    let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
    let _ = headers.set("Accept", "application/json");
    if let Some(p) = dpop {
        let _ = headers.set("DPoP", p);
    }
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&form));
    init.set_signal(Some(&signal));
    // The body carries a code, a refresh token or a proof: a redirect (to anywhere) is a failure, never a resend.
    init.set_redirect(web_sys::RequestRedirect::Error);
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| false)?;
    let res = Request::from(request).send().await.map_err(|_| failed(&signal))?;
    let status = res.status();
    let retry_after = res.headers().get("Retry-After");
    let dpop_nonce = if dpop.is_some() { res.headers().get("DPoP-Nonce") } else { None };
    // Through the body's stream, given up (and cancelled) past the cap: a huge answer is never held whole.
    let res = web_sys::Response::from(res);
    let text = wasm_bindgen_futures::JsFuture::from(read_capped(&res, MAX_BODY_BYTES as u32)).await.map_err(|_| failed(&signal))?;
    let body = json::body(text.as_string().as_deref());
    Ok(FormResponse { answer: HttpAnswer { status, retry_after, body }, dpop_nonce })
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    /// The body as text, `null` past `max` bytes (its stream cancelled there); rejects if it cannot be read.
    #[wasm_bindgen(js_name = readCapped)]
    fn read_capped(res: &web_sys::Response, max: u32) -> js_sys::Promise;
}

/// One token request, its answer read by `protocol::token_response`.
pub async fn token_request(url: &str, form: String, timeout_ms: u32) -> Result<TokenSet, Error> {
    token_request_with(url, form, timeout_ms, None).await.0
}

/// [`token_request`] with a `DPoP` proof header; also the `DPoP-Nonce` the answer carried.
pub async fn token_request_with(url: &str, form: String, timeout_ms: u32, dpop: Option<&str>) -> (Result<TokenSet, Error>, Option<String>) {
    let sent_at = browser::now_ms();
    match post_form_with(url, form, timeout_ms, dpop).await {
        Ok(r) => (token_response(&r.answer, sent_at, browser::now_ms(), dpop.is_some()), r.dpop_nonce),
        Err(timed_out) => (Err(no_answer(timed_out)), None),
    }
}
