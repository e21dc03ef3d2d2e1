//! The JS boundary: our errors become real JS `SessionError` objects (an `Error` subclass defined in js/glue.js)
//! and back, and a browser API's exception becomes the [`HostFailure`] it is, with its message. The only file of
//! `web/` that handles an `Error`'s fields or codes (tests/architecture.rs checks it): elsewhere the browser layer
//! names what failed, and `protocol::host_failure` decides the error.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::protocol::{Error, ErrorCode, HostFailure};

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = SessionError)]
    pub type JsSessionError;

    #[wasm_bindgen(constructor, js_class = "SessionError")]
    fn new(
        code: &str,
        description: Option<String>,
        status: Option<u16>,
        error_code: Option<String>,
        retryable: bool,
        retry_after: Option<u32>,
        server_code: Option<String>,
    ) -> JsSessionError;
}

/// The codes of `ErrorCode::Other` that are in the JS `SessionErrorCode` union (ours, and the OIDC ones a silent
/// renewal documents). Any other `error` string from a server becomes `oauth_error` with it in `serverCode`, so
/// `code` is always one of the union's names.
const NAMED: [&str; 6] =
    ["popup_blocked", "popup_closed", "interaction_required", "consent_required", "crypto_unavailable", "dpop_downgrade"];

pub fn to_js(e: &Error) -> JsValue {
    let (code, server_code) = match &e.code {
        ErrorCode::Other(s) if !NAMED.contains(&s.as_str()) => ("oauth_error", Some(s.clone())),
        c => (c.as_str(), None),
    };
    JsSessionError::new(code, e.description.clone(), e.status, e.error_code.clone(), e.retryable, e.retry_after_s, server_code).into()
}

/// A JS exception from a browser API (fetch TypeError, storage SecurityError, …) as the failure `f` it is, with
/// the exception's message: browser messages never contain our tokens.
pub fn failed(f: fn(Option<String>) -> HostFailure, v: &JsValue) -> Error {
    f(v.dyn_ref::<js_sys::Error>().map(|x| String::from(x.message())).or_else(|| v.as_string())).into()
}

/// A `SessionError` (made by [`to_js`]) back as a core error, for the Rust API. Anything else — a browser
/// exception that reached a promise — is the failure `f`, with the exception's message.
pub fn from_session_error(v: &JsValue, f: fn(Option<String>) -> HostFailure) -> Error {
    let field = |k: &str| crate::web::browser::get(v, k);
    let Some(c) = field("code").as_string().filter(|_| v.is_instance_of::<JsSessionError>()) else {
        return failed(f, v);
    };
    let mut e = Error::new(ErrorCode::from_name(&field("serverCode").as_string().unwrap_or(c)));
    e.status = field("status").as_f64().map(|n| n as u16);
    e.error_code = field("errorCode").as_string();
    e.description = field("description").as_string();
    e.retryable = field("retryable").as_bool().unwrap_or(false);
    e.retry_after_s = field("retryAfter").as_f64().map(|n| n as u32);
    e
}
