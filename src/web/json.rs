//! JSON across the boundary: text is parsed by the browser's `JSON.parse` (no serde_json in the wasm), then
//! converted to the core's `Json` with serde-wasm-bindgen; the reverse builds plain JS objects.

use serde::Serialize;
use wasm_bindgen::JsValue;

use crate::core::Json;

pub fn parse_text(text: &str) -> Option<Json> {
    let v = js_sys::JSON::parse(text).ok()?;
    from_js(v)
}

pub fn from_js(v: JsValue) -> Option<Json> {
    serde_wasm_bindgen::from_value::<Json>(v).ok()
}

pub fn to_js(j: &Json) -> JsValue {
    j.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}
