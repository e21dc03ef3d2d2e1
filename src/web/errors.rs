//! Core errors become real JS `SessionError` objects (an `Error` subclass defined in js/glue.js).

#[allow(unused_imports)]
use crate::core::prelude::*;

use wasm_bindgen::prelude::*;

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
