//! Core errors become real JS `SessionError` objects (an `Error` subclass defined in js/glue.js).

#[allow(unused_imports)]
use crate::core::prelude::*;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::{Error, ErrorCode};

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
    ) -> JsSessionError;
}

pub fn to_js(e: &Error) -> JsValue {
    JsSessionError::new(
        e.code.as_str(),
        e.description.clone(),
        e.status,
        e.error_code.clone(),
        e.retryable,
        e.retry_after_s,
    )
    .into()
}

/// A JS exception from a browser API (fetch TypeError, storage SecurityError, …) as a core error of `code`.
/// The description is the exception's message: browser messages never contain our tokens.
pub fn from_js(code: ErrorCode, v: &JsValue) -> Error {
    let mut e = Error::new(code);
    let msg = v
        .dyn_ref::<js_sys::Error>()
        .map(|x| String::from(x.message()))
        .or_else(|| v.as_string());
    e.description = msg;
    e
}

/// A `SessionError` (made by [`to_js`]) back as a core error, for the Rust API. Anything else — a browser
/// exception that reached a promise — becomes `code` with the exception's message.
pub fn from_session_error(v: &JsValue, code: ErrorCode) -> Error {
    let field = |k: &str| crate::web::browser::get(v, k);
    let Some(c) = field("code").as_string().filter(|_| v.is_instance_of::<JsSessionError>()) else {
        return from_js(code, v);
    };
    let mut e = Error::new(ErrorCode::from_name(&c));
    e.status = field("status").as_f64().map(|n| n as u16);
    e.error_code = field("errorCode").as_string();
    e.description = field("description").as_string();
    e.retryable = field("retryable").as_bool().unwrap_or(false);
    e.retry_after_s = field("retryAfter").as_f64().map(|n| n as u32);
    e
}
