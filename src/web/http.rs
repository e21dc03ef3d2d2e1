//! The token and revoke endpoints' answers: js/glue.js's `postForm` sends the form (a `fetch` with a timeout, no
//! redirects, the body read through its stream up to `MAX_BODY_BYTES` and parsed by the browser's `JSON.parse`),
//! and this turns every outcome into a `TokenSet` or a classified error: network failures and timeouts, 4xx/5xx
//! with RingCentral or RFC 6749 bodies, and malformed or oversized 200s. No future: the driver hands the promise
//! to JS and reads the settled value here.

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::protocol::{
    invalid_response, invalid_response_from, network_error, timeout_error, token_endpoint_error, Error, ErrorBody, ErrorCode,
    TokenResponseBody, TokenSet, MAX_BODY_BYTES,
};
use crate::web::{browser, json};

pub struct FormResponse {
    pub status: u16,
    pub retry_after: Option<String>,
    /// The body as a JS value; `None` when it is not JSON or longer than `MAX_BODY_BYTES` (then not read further).
    pub body: Option<JsValue>,
    /// `DPoP-Nonce` (RFC 9449 §8), read only when the request carried a proof.
    pub dpop_nonce: Option<String>,
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = postForm)]
    fn post_form_js(url: &str, form: &str, timeout_ms: u32, dpop: Option<&str>, max: u32) -> Promise;
}

/// One form POST (with a `DPoP` proof header when given); its promise never rejects: [`form_response`] reads it.
pub fn post_form(url: &str, form: &str, timeout_ms: u32, dpop: Option<&str>) -> Promise {
    post_form_js(url, form, timeout_ms, dpop, MAX_BODY_BYTES as u32)
}

/// A settled [`post_form`]. A failure before or while reading the body is `timeout` if the engine's timeout ran
/// out, else `network` (the server may have committed, so both are retryable).
pub fn form_response(r: Result<JsValue, JsValue>) -> Result<FormResponse, Error> {
    let v = r.unwrap_or(JsValue::UNDEFINED);
    let text = |k: &str| browser::get(&v, k).as_string();
    match browser::get(&v, "status").as_f64().unwrap_or(0.0) {
        s if s < 0.0 => Err(timeout_error()),
        s if s < 1.0 => Err(network_error()),
        s => Ok(FormResponse {
            status: s as u16,
            retry_after: text("retryAfter"),
            body: Some(browser::get(&v, "body")).filter(|b| !b.is_undefined()),
            dpop_nonce: text("nonce"),
        }),
    }
}

/// A settled token request (sent at `sent_at`; `proved`: it carried a DPoP proof): success parses into a
/// `TokenSet` (the engine keeps the previous refresh token when the server sends none), anything else becomes a
/// classified error. Also the `DPoP-Nonce` the answer carried. Expiries count from when the request was sent, so
/// network delay shortens a token's life rather than stretching it.
pub fn token_reply(r: Result<JsValue, JsValue>, sent_at: f64, proved: bool) -> (Result<TokenSet, Error>, Option<String>) {
    match form_response(r) {
        Ok(mut r) => {
            let nonce = r.dpop_nonce.take();
            (token_result(r, sent_at, proved), nonce)
        }
        Err(e) => (Err(e), None),
    }
}

/// One token request without a proof, awaited (the login's code exchange, which runs outside the engine).
pub async fn token_request(url: &str, form: String, timeout_ms: u32) -> Result<TokenSet, Error> {
    let sent_at = browser::now_ms();
    token_reply(JsFuture::from(post_form(url, &form, timeout_ms, None)).await, sent_at, false).0
}

fn token_result(r: FormResponse, sent_at: f64, proved: bool) -> Result<TokenSet, Error> {
    if (200..300).contains(&r.status) {
        return match r.body {
            Some(b) if json::is_object(&b) => {
                let body = TokenResponseBody::read(&b).map_err(invalid_response_from)?;
                let t = TokenSet::from_response(body, sent_at, None)?;
                if t.is_dpop() && !proved {
                    return Err(crate::protocol::invalid_response("token_type"));
                }
                Ok(t)
            }
            Some(_) => Err(invalid_response("body")),
            // A 200 whose body is not JSON (or too large to read): the server may have rotated, so a retry (same
            // refresh token, inside RingCentral's grace window) is the way to recover.
            None => Err(Error::new(ErrorCode::InvalidResponse)
                .with_status(r.status)
                .with_description("token response is not JSON")
                .with_retryable(true)),
        };
    }
    Err(token_endpoint_error(r.status, error_body(r.body), r.retry_after.as_deref(), browser::now_ms()))
}

/// An error body (tolerant: anything that is not an object reads as no body).
pub fn error_body(v: Option<JsValue>) -> Option<ErrorBody> {
    Some(ErrorBody::read(&v.filter(json::is_object)?))
}
