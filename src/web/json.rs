//! Values across the boundary: serde-wasm-bindgen from JS values to the typed structs (field by field), plain JS
//! objects written field by field from them (`Sink`: no serializer in the wasm), the browser's own
//! `JSON.parse`/`JSON.stringify` for text (sealed storage, response bodies, DPoP proofs). No JSON text is parsed
//! or written in Rust.

use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};

use crate::protocol::serde_fields::{Fields, FromFields, Objects, Sink};
use crate::protocol::{Body, MAX_BODY_BYTES};

/// A JS value as a typed struct; `Err` is the deserializer's message (it names our field when we do).
pub fn from_js<T: DeserializeOwned>(v: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(v).map_err(|e| message(&e.into()))
}

/// The config and the token and error bodies are read field by field (see [`Fields`]): `Reflect.get`, then
/// `from_value` of the field's type. An exception from a getter counts as a value of the wrong type. The error
/// carries no message: every reader names the field itself (`named_field`) or drops the error.
impl Fields for JsValue {
    fn field<T: DeserializeOwned>(&self, key: &str) -> Result<T, String> {
        let v = js_sys::Reflect::get(self, &JsValue::from_str(key)).map_err(|_| String::new())?;
        serde_wasm_bindgen::from_value(v).map_err(|_| String::new())
    }

    fn first_entry<T: DeserializeOwned + FromFields>(&self, key: &str) -> Option<T> {
        let list = js_sys::Reflect::get(self, &JsValue::from_str(key)).ok()?;
        if !js_sys::Array::is_array(&list) {
            return None;
        }
        let first = js_sys::Reflect::get(&list, &JsValue::from(0)).ok()?;
        is_object(&first).then(|| T::from_fields(&first))
    }
}

/// A nested object of the config (`endpoints`, `authorizeParams`), read field by field like the config itself.
impl Objects for JsValue {
    fn object(&self, key: &str) -> Result<Option<JsValue>, ()> {
        let v = js_sys::Reflect::get(self, &JsValue::from_str(key)).map_err(|_| ())?;
        if v.is_undefined() || v.is_null() {
            Ok(None)
        } else if is_object(&v) {
            Ok(Some(v))
        } else {
            Err(())
        }
    }
}

/// A plain JS object written field by field (`write` is a stored struct's `write`): no derived `Serialize` of
/// the stored forms in the wasm.
pub fn object(write: impl FnOnce(&mut Obj)) -> JsValue {
    let mut o = Obj(js_sys::Object::new().into());
    write(&mut o);
    o.0
}

/// The JSON text of [`object`].
pub fn object_text(write: impl FnOnce(&mut Obj)) -> String {
    stringify(&object(write))
}

pub struct Obj(JsValue);

impl Sink for Obj {
    fn text(&mut self, key: &str, v: &str) {
        let _ = js_sys::Reflect::set(&self.0, &JsValue::from_str(key), &JsValue::from_str(v));
    }
    fn number(&mut self, key: &str, v: f64) {
        let _ = js_sys::Reflect::set(&self.0, &JsValue::from_str(key), &JsValue::from_f64(v));
    }
    fn count(&mut self, key: &str, v: u64) {
        self.number(key, v as f64);
    }
    fn object(&mut self, key: &str, write: impl FnOnce(&mut Self)) {
        let o = object(write);
        let _ = js_sys::Reflect::set(&self.0, &JsValue::from_str(key), &o);
    }
}

fn stringify(v: &JsValue) -> String {
    js_sys::JSON::stringify(v).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// JSON text as a typed struct, `None` when it does not parse or does not fit.
pub fn from_text<T: DeserializeOwned>(text: &str) -> Option<T> {
    from_js(js_sys::JSON::parse(text).ok()?).ok()
}

/// A response body's text (`None`: unread, or past the cap) as the facts `protocol::response` reads: not JSON
/// when longer than `MAX_BODY_BYTES` (not parsed at all) or unparsable. The browser's parser is linear; the
/// typed read afterwards looks up only its own fields.
pub fn body(text: Option<&str>) -> Body<JsValue> {
    match text.filter(|t| t.len() <= MAX_BODY_BYTES).and_then(|t| js_sys::JSON::parse(t).ok()) {
        Some(v) if is_object(&v) => Body::Object(v),
        Some(_) => Body::NotObject,
        None => Body::NotJson,
    }
}

/// A body the browser already parsed (`undefined`: not JSON, or past the cap) as `protocol::response` reads it.
pub fn body_of(v: JsValue) -> Body<JsValue> {
    if v.is_undefined() {
        Body::NotJson
    } else if is_object(&v) {
        Body::Object(v)
    } else {
        Body::NotObject
    }
}

/// A plain object (not an array, not a primitive): what a config or a token body must be.
pub fn is_object(v: &JsValue) -> bool {
    v.is_object() && !js_sys::Array::is_array(v)
}

fn message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|x| String::from(x.message())).unwrap_or_default()
}
