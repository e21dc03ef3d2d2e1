//! POSTs a form to the token or revoke endpoint and turns every outcome into a `TokenSet` or a classified
//! error: network failures and timeouts, 4xx/5xx with RingCentral or RFC 6749 bodies, and malformed 200s.
//! The request itself is `postForm` in js/glue.js (a wrapper crate cost more wasm than it saved lines).

#[allow(unused_imports)]
use crate::core::prelude::*;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::{
    bytes, network_error, parse_token_response, timeout_error, token_endpoint_error, Error, ErrorCode, Json, TokenSet,
};
use crate::web::{browser, json};

/// How long one token request may take before it counts as a (retryable) timeout.
const TOKEN_TIMEOUT_MS: u32 = 30_000;

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = postForm)]
    fn post_form_js(url: &str, body: &str, timeout_ms: u32) -> js_sys::Promise;
}

pub struct FormResponse {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Option<Json>,
}

/// The fetch itself is js/glue.js's `postForm` (plumbing only); its answer is `"<status> <retry-after>\n<body>"`.
pub async fn post_form(url: &str, form: String) -> Result<FormResponse, Error> {
    let r = JsFuture::from(post_form_js(url, &form, TOKEN_TIMEOUT_MS)).await;
    let text = match r {
        Ok(t) => t.as_string().unwrap_or_default(),
        // A body that dies mid-stream is a network failure too: the server may have committed, so retryable.
        Err(e) if e.as_string().as_deref() == Some("timeout") => return Err(timeout_error()),
        Err(_) => return Err(network_error()),
    };
    let (head, body) = bytes::split_once(&text, "\n").unwrap_or((&text, ""));
    let (status, retry_after) = bytes::split_once(head, " ").unwrap_or((head, ""));
    Ok(FormResponse {
        status: status.bytes().fold(0u16, |a, b| a.wrapping_mul(10).wrapping_add(b.wrapping_sub(b'0') as u16)),
        retry_after: (!retry_after.is_empty()).then(|| retry_after.to_string()),
        body: json::parse_text(body),
    })
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
