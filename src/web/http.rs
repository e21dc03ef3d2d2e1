//! POSTs a form to the token or revoke endpoint through gloo-net and turns every outcome into a `TokenSet` or a
//! classified error: network failures and timeouts, 4xx/5xx with RingCentral or RFC 6749 bodies, and malformed
//! or oversized 200s.

use gloo_net::http::Request;
use wasm_bindgen::JsValue;

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

/// One form POST. A failure before or while reading the body is `timeout` if `timeout_ms` (the engine's) ran
/// out, else `network` (the server may have committed, so both are retryable).
pub async fn post_form(url: &str, form: String, timeout_ms: u32) -> Result<FormResponse, Error> {
    post_form_with(url, form, timeout_ms, None).await
}

/// [`post_form`] with a `DPoP` proof header.
pub async fn post_form_with(url: &str, form: String, timeout_ms: u32, dpop: Option<&str>) -> Result<FormResponse, Error> {
    let signal = web_sys::AbortSignal::timeout_with_u32(timeout_ms);
    let failed = |signal: &web_sys::AbortSignal| if signal.aborted() { timeout_error() } else { network_error() };
    // The web_sys::Request is built here rather than with gloo-net's RequestBuilder: the builder re-parses the
    // URL to merge query parameters we never use, which costs formatting code in the wasm.
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(|_| network_error())?;
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
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|_| network_error())?;
    let res = Request::from(request).send().await.map_err(|_| failed(&signal))?;
    let status = res.status();
    let retry_after = res.headers().get("Retry-After");
    let dpop_nonce = if dpop.is_some() { res.headers().get("DPoP-Nonce") } else { None };
    // Through the body's stream, given up (and cancelled) past the cap: a huge answer is never held whole.
    let res = web_sys::Response::from(res);
    let text = wasm_bindgen_futures::JsFuture::from(read_capped(&res, MAX_BODY_BYTES as u32)).await.map_err(|_| failed(&signal))?;
    let body = text.as_string().and_then(|t| json::parse_body(&t));
    Ok(FormResponse { status, retry_after, body, dpop_nonce })
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    /// The body as text, `null` past `max` bytes (its stream cancelled there); rejects if it cannot be read.
    #[wasm_bindgen(js_name = readCapped)]
    fn read_capped(res: &web_sys::Response, max: u32) -> js_sys::Promise;
}

/// One token request: success parses into a `TokenSet` (the engine keeps the previous refresh token when the
/// server sends none); anything else becomes a classified error. Expiries count from when the request was sent,
/// so network delay shortens a token's life rather than stretching it.
pub async fn token_request(url: &str, form: String, timeout_ms: u32) -> Result<TokenSet, Error> {
    token_request_with(url, form, timeout_ms, None).await.0
}

/// [`token_request`] with a `DPoP` proof header; also the `DPoP-Nonce` the answer carried. A DPoP-bound token
/// is accepted only in answer to a proof.
pub async fn token_request_with(url: &str, form: String, timeout_ms: u32, dpop: Option<&str>) -> (Result<TokenSet, Error>, Option<String>) {
    let sent_at = browser::now_ms();
    match post_form_with(url, form, timeout_ms, dpop).await {
        Ok(r) => {
            let nonce = r.dpop_nonce.clone();
            (token_result(r, sent_at, dpop.is_some()), nonce)
        }
        Err(e) => (Err(e), None),
    }
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
