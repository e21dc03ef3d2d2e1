//! `session.on(name, listener)` and the emit side. The listener list is js/glue.js's `Emitter` (plain
//! bookkeeping); which names exist is decided here. A throwing listener never breaks the session.

#[allow(unused_imports)]
use crate::core::prelude::*;

use js_sys::Function;

use crate::core::engine::SessionEvent;
use crate::core::TokenInfo;
use crate::web::{browser, errors};
use wasm_bindgen::prelude::*;

pub const EVENTS: &[&str] = &[
    "login", "refresh", "refreshError", "expiring", "expired", "logout", "rateLimit", "storageFallback", "change",
];

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    pub type Emitter;
    #[wasm_bindgen(constructor)]
    fn new() -> Emitter;
    #[wasm_bindgen(method, js_name = on)]
    fn on_js(this: &Emitter, name: &str, f: &Function) -> Function;
    #[wasm_bindgen(method, js_name = emit)]
    fn emit_js(this: &Emitter, name: &str, detail: &JsValue);
}

pub struct Listeners(Emitter);

impl Default for Listeners {
    fn default() -> Self {
        Listeners(Emitter::new())
    }
}

impl Listeners {
    /// Subscribes `f` to `name`; returns the function that unsubscribes, or `None` for an unknown name.
    pub fn add(&self, name: &str, f: &Function) -> Option<Function> {
        EVENTS.contains(&name).then(|| self.0.on_js(name, f))
    }

    pub fn emit(&self, name: &str, detail: &JsValue) {
        self.0.emit_js(name, detail);
    }
}

/// What a listener receives with an event: token info, a `SessionError`, or `null`. Never a token string.
pub fn detail(e: &SessionEvent) -> JsValue {
    match e {
        SessionEvent::Login(i) | SessionEvent::Refresh(i) | SessionEvent::Expiring(i) => info_js(i),
        SessionEvent::Change(Some(i)) => info_js(i),
        SessionEvent::RefreshError(e) | SessionEvent::RateLimit(e) | SessionEvent::StorageFallback(e) => {
            errors::to_js(e)
        }
        SessionEvent::Expired(Some(e)) => errors::to_js(e),
        SessionEvent::Expired(None) | SessionEvent::Change(None) | SessionEvent::Logout => JsValue::NULL,
    }
}

pub fn info_js(i: &TokenInfo) -> JsValue {
    let o = js_sys::Object::new();
    browser::set(&o, "expiresAt", &JsValue::from_f64(i.expires_at_ms));
    if let Some(r) = i.refresh_expires_at_ms {
        browser::set(&o, "refreshExpiresAt", &JsValue::from_f64(r));
    }
    browser::set(&o, "scope", &opt_str(i.scope.as_deref()));
    browser::set(&o, "ownerId", &opt_str(i.owner_id.as_deref()));
    browser::set(&o, "hasRefreshToken", &JsValue::from_bool(i.has_refresh_token));
    o.into()
}

fn opt_str(s: Option<&str>) -> JsValue {
    s.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}
