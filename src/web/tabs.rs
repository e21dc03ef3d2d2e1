//! Plumbing for tabs that share storage: the BroadcastChannel that says "tokens changed" (never the tokens),
//! and the Web Locks call. What to announce and when to lock is the engine's.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = locksAvailable)]
    fn locks_available_js() -> bool;
    #[wasm_bindgen(js_name = withLock)]
    fn with_lock_js(name: &str, timeout_ms: u32, work: &Function) -> Promise;
}

pub fn locks_available() -> bool {
    locks_available_js()
}

/// Runs `work` (returning the promise that holds the lock) under the exclusive lock `name`; the result
/// rejects if the lock was not granted within `timeout_ms`.
pub fn with_lock(name: &str, timeout_ms: u32, work: &Function) -> Promise {
    with_lock_js(name, timeout_ms, work)
}

pub struct Tabs {
    channel: web_sys::BroadcastChannel,
}

impl Tabs {
    /// The channel `name`; `on_message` gets each message event (the driver's hook, glue.js `bindHook`).
    pub fn open(name: &str, on_message: &Function) -> Option<Tabs> {
        let channel = web_sys::BroadcastChannel::new(name).ok()?;
        channel.set_onmessage(Some(on_message));
        Some(Tabs { channel })
    }

    pub fn channel(&self) -> &web_sys::BroadcastChannel {
        &self.channel
    }

    pub fn announce(&self, kind: &str) {
        let _ = self.channel.post_message(&JsValue::from_str(kind));
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
