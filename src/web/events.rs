//! `session.on(name, listener)` and the emit side. A throwing listener never breaks the session.

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::JsValue;

pub const EVENTS: &[&str] = &[
    "login", "refresh", "refreshError", "expiring", "expired", "logout", "rateLimit", "storageFallback", "change",
];

#[derive(Default)]
pub struct Listeners {
    next_id: RefCell<u32>,
    list: RefCell<Vec<(u32, String, Function)>>,
}

impl Listeners {
    pub fn add(&self, name: &str, f: Function) -> Option<u32> {
        if !EVENTS.contains(&name) {
            return None;
        }
        let mut id = self.next_id.borrow_mut();
        *id += 1;
        self.list.borrow_mut().push((*id, name.to_string(), f));
        Some(*id)
    }

    pub fn remove(&self, id: u32) {
        self.list.borrow_mut().retain(|(i, _, _)| *i != id);
    }

    pub fn emit(&self, name: &str, detail: &JsValue) {
        // Copy first: a listener may add or remove listeners while we iterate.
        let targets: Vec<Function> =
            self.list.borrow().iter().filter(|(_, n, _)| n == name).map(|(_, _, f)| f.clone()).collect();
        for f in targets {
            let _ = f.call1(&JsValue::NULL, detail);
        }
    }
}
