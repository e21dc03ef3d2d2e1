//! The browser facts the session needs: time, randomness, SHA-256, the current URL and history.
//! Each is one small function so the rest of the web layer reads as protocol, not plumbing.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::protocol::RandomSource;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `console.warn`: a message for the app's developer (never with a token in it).
    #[wasm_bindgen(js_namespace = console)]
    pub fn warn(message: &str);
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = theWindow)]
    fn the_window() -> JsValue;
}

pub fn window() -> web_sys::Window {
    // The session is a window API; constructing it elsewhere (a worker) fails at `new Session`.
    let w = the_window();
    if w.is_undefined() {
        wasm_bindgen::throw_str("oauth-spa-session needs a window");
    }
    w.unchecked_into()
}

/// `crypto.getRandomValues`, behind the core's trait.
pub struct BrowserRandom;

impl RandomSource for BrowserRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        if let Ok(c) = window().crypto() {
            if c.get_random_values_with_u8_array(buf).is_ok() {
                return;
            }
        }
        // A browser without WebCrypto cannot do PKCE safely; never fall back to a weak generator.
        wasm_bindgen::throw_str("crypto.getRandomValues is unavailable");
    }
}

/// SHA-256 through `crypto.subtle.digest` (costs no wasm bytes, unlike a Rust implementation): the promise of
/// the digest's `ArrayBuffer` (read with [`bytes_of`]), rejected when WebCrypto is missing.
pub fn sha256(data: &[u8]) -> Promise {
    let started = window().crypto().and_then(|c| c.subtle().digest_with_str_and_buffer_source("SHA-256", &Uint8Array::from(data)));
    started.unwrap_or_else(|e| Promise::reject(&e))
}

/// An `ArrayBuffer`'s bytes.
pub fn bytes_of(buf: &JsValue) -> Vec<u8> {
    Uint8Array::new(buf).to_vec()
}

pub fn location_parts() -> (String, String, String) {
    let loc = window().location();
    (
        loc.href().unwrap_or_default(),
        loc.search().unwrap_or_default(),
        loc.hash().unwrap_or_default(),
    )
}

/// The query and fragment (`search`, `hash`) of a URL by the browser's own parser; `("", "")` for a string it
/// refuses.
pub fn url_parts(url: &str) -> (String, String) {
    web_sys::Url::new(url).map(|u| (u.search(), u.hash())).unwrap_or_default()
}

/// Rewrites the address bar without a navigation, so codes and tokens do not stay in the URL or history.
pub fn replace_url(href: &str) {
    if let Ok(h) = window().history() {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(href));
    }
}

pub fn navigate(href: &str) -> Result<(), JsValue> {
    window().location().assign(href)
}

pub fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), value);
}

pub fn as_function(v: JsValue) -> Option<js_sys::Function> {
    v.dyn_into::<js_sys::Function>().ok()
}

/// This page's origin (`"null"` when opaque).
pub fn own_origin() -> String {
    window().location().origin().unwrap_or_else(|_| "null".into())
}
