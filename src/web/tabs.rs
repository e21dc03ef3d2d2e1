//! Plumbing for tabs that share storage: the BroadcastChannel that says "tokens changed" (never the tokens),
//! and the Web Locks call. What to announce and when to lock is the engine's.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::engine::{Input, Notice};

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
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Tabs {
    /// The channel `name`: a notice becomes [`Input::Broadcast`]; an ask of a tab that joins (`ask:<id>`, web/join.rs)
    /// [`Input::TabsAsked`].
    pub fn open(name: &str, on_input: impl Fn(Input) + 'static) -> Option<Tabs> {
        let channel = web_sys::BroadcastChannel::new(name).ok()?;
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(text) = ev.data().as_string() else { return };
            if let Some(id) = text.strip_prefix("ask:") {
                on_input(Input::TabsAsked { id: id.into() });
            } else if let Some(n) = Notice::from_wire(&text) {
                on_input(Input::Broadcast(n));
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Tabs { channel, _on_message: on_message })
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
