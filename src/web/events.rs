//! `session.on(name, listener)` and the emit side. The listener list is js/glue.js's `Emitter` (plain
//! bookkeeping); which names exist is decided here. A throwing listener never breaks the session.

use js_sys::Function;

use crate::engine::SessionEvent;
use crate::protocol::TokenInfo;
use crate::web::{browser, js_error};
use wasm_bindgen::prelude::*;

pub const EVENTS: &[&str] = &[
    "login", "refresh", "refreshError", "expiring", "expired", "logout", "rateLimit", "storageFallback", "change",
    "dpopDowngrade",
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

/// A Rust listener (the Rust API's `subscribe`).
pub type NativeListener = alloc::rc::Rc<dyn Fn(&SessionEvent)>;

pub struct Listeners {
    js: Emitter,
    native: core::cell::RefCell<Vec<(u32, NativeListener)>>,
    next: core::cell::Cell<u32>,
}

impl Default for Listeners {
    fn default() -> Self {
        Listeners { js: Emitter::new(), native: Default::default(), next: Default::default() }
    }
}

impl Listeners {
    /// Subscribes `f` to `name`; returns the function that unsubscribes, or `None` for an unknown name.
    pub fn add(&self, name: &str, f: &Function) -> Option<Function> {
        EVENTS.contains(&name).then(|| self.js.on_js(name, f))
    }

    pub fn add_native(&self, f: NativeListener) -> u32 {
        let id = self.next.get().wrapping_add(1);
        self.next.set(id);
        self.native.borrow_mut().push((id, f));
        id
    }

    pub fn remove_native(&self, id: u32) {
        self.native.borrow_mut().retain(|(i, _)| *i != id);
    }

    /// To the JS listeners (with the event's JS detail), then to the Rust ones.
    pub fn emit(&self, e: &SessionEvent) {
        self.js.emit_js(e.name(), &detail(e));
        let native: Vec<NativeListener> = self.native.borrow().iter().map(|(_, f)| f.clone()).collect();
        for f in native {
            f(e);
        }
    }
}

/// What a listener receives with an event: token info, a `SessionError`, or `null`. Never a token string.
pub fn detail(e: &SessionEvent) -> JsValue {
    match e {
        SessionEvent::Login(i) | SessionEvent::Refresh(i) | SessionEvent::Expiring(i) => info_js(i),
        SessionEvent::Change(Some(i)) | SessionEvent::DpopDowngrade(i) => info_js(i),
        SessionEvent::RefreshError(e) | SessionEvent::RateLimit(e) | SessionEvent::StorageFallback(e) => {
            js_error::to_js(e)
        }
        SessionEvent::Expired(Some(e)) => js_error::to_js(e),
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
    browser::set(&o, "tokenType", &JsValue::from_str(if i.dpop { "DPoP" } else { "Bearer" }));
    o.into()
}

fn opt_str(s: Option<&str>) -> JsValue {
    s.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}
