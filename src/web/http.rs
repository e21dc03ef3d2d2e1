//! The token and revoke endpoints' answers: js/glue.js's `postForm` sends the form (a `fetch` with a timeout, no
//! redirects, the body read through its stream up to `MAX_BODY_BYTES` and parsed by the browser's `JSON.parse`),
//! and this reads the facts of the settled answer (status, `Retry-After`, `DPoP-Nonce`, the body as JSON or not).
//! What they mean is `protocol::response`'s. No future: the driver hands the promise to JS and reads the settled
//! value here.

use js_sys::Promise;
use wasm_bindgen::JsValue;

use crate::protocol::{no_answer, token_response, Error, HttpAnswer, TokenSet, MAX_BODY_BYTES};
use crate::web::{browser, json};

pub struct FormResponse {
    pub answer: HttpAnswer<JsValue>,
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

/// A settled [`post_form`]. `Err(timed_out)`: no answer, because the engine's timeout ran out, or else a network
/// failure before or while reading the body.
pub fn form_response(r: Result<JsValue, JsValue>) -> Result<FormResponse, bool> {
    let v = r.unwrap_or(JsValue::UNDEFINED);
    let text = |k: &str| browser::get(&v, k).as_string();
    match browser::get(&v, "status").as_f64().unwrap_or(0.0) {
        s if s < 0.0 => Err(true),
        s if s < 1.0 => Err(false),
        s => Ok(FormResponse {
            answer: HttpAnswer { status: s as u16, retry_after: text("retryAfter"), body: json::body_of(browser::get(&v, "body")) },
            dpop_nonce: text("nonce"),
        }),
    }
}

/// A settled token request (sent at `sent_at`; `proved`: it carried a DPoP proof), read by
/// `protocol::token_response`; also the `DPoP-Nonce` the answer carried.
pub fn token_reply(r: Result<JsValue, JsValue>, sent_at: f64, proved: bool) -> (Result<TokenSet, Error>, Option<String>) {
    match form_response(r) {
        Ok(r) => (token_response(&r.answer, sent_at, browser::now_ms(), proved), r.dpop_nonce),
        Err(timed_out) => (Err(no_answer(timed_out)), None),
    }
}
