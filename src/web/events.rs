//! `session.on(name, listener)` and the emit side. The listener list is js/glue.js's `Emitter` (plain
//! bookkeeping); which names exist is decided here. A throwing listener never breaks the session.

#[allow(unused_imports)]
use crate::core::prelude::*;

use js_sys::Function;
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
