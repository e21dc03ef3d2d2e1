//! JSON across the boundary as text: `JSON.stringify`/`JSON.parse` on the JS side, the core's small parser
//! and writer on ours. Cheaper in bytes than a serde bridge, and the parser limits nesting depth.

#[allow(unused_imports)]
use crate::core::prelude::*;

use wasm_bindgen::JsValue;

use crate::core::Json;

pub fn parse_text(text: &str) -> Option<Json> {
    Json::parse(text)
}

/// A JS value as `Json` (functions and undefined fields drop out, as in `JSON.stringify`).
pub fn from_js(v: &JsValue) -> Option<Json> {
    let text = js_sys::JSON::stringify(v).ok()?.as_string()?;
    Json::parse(&text)
}

pub fn to_js(j: &Json) -> JsValue {
    js_sys::JSON::parse(&j.to_json_string()).unwrap_or(JsValue::NULL)
}
