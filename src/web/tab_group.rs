//! Tabs on per-tab storage that join one session: plumbing for what `engine/join.rs` decides. The group's
//! BroadcastChannel (opened by the driver, web/tabs.rs) carries the notices and the asks (`ask:<id>`); the answer
//! goes on the asker's own channel `<id>`; the presence mark is a shared Web Lock. Both are named for this
//! client + server.

use core::cell::RefCell;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use crate::protocol::{Config, StoredTokens, TokenSet};
use crate::web::{json, tabs};

pub struct Group {
    pub name: String,
    /// The presence mark while this tab holds the session (js/glue.js `present`), else null.
    mark: RefCell<JsValue>,
}

impl Group {
    /// Where this session's tabs join: `shareTabs` (default on) with sessionStorage, no DPoP (its key is per
    /// tab), and Web Locks (the mark and the refresh lock). A popup's or silent frame's callback page runs in
    /// memory (`window_handover::inert_here`): it never joins nor answers.
    pub fn new(c: &Config, storage: &str) -> Option<Group> {
        (c.share_tabs && !c.dpop && storage == "sessionStorage" && tabs::locks_available()).then(|| Group {
            name: ["oss-tabs:", &c.client_id, "@", &c.server].concat(),
            mark: RefCell::new(JsValue::NULL),
        })
    }

    /// [`crate::engine::Command::AskTabs`] on the group's `channel`: the answers ([`answers`] of its outcome make
    /// [`crate::engine::Input::TabsAnswered`]).
    pub fn ask(&self, channel: &web_sys::BroadcastChannel, timeout_ms: u32) -> Promise {
        ask_tabs(channel, &self.name, &self.mark.borrow(), timeout_ms)
    }

    pub fn answer(id: &str, tokens: Option<&TokenSet>) {
        answer_tab(id, &tokens.map_or(JsValue::NULL, |t| json::object(|o| t.to_stored().write(o))));
    }

    pub fn present(&self, on: bool) {
        let m = present(&self.mark.borrow(), &self.name, on);
        *self.mark.borrow_mut() = m;
    }
}

/// The pairs in the tabs' answers ([`Group::ask`]'s outcome: how many holders did not answer, then the answers;
/// what does not read as a pair is left out), and that count.
pub fn answers(answers: Result<JsValue, JsValue>) -> (Vec<TokenSet>, u32) {
    let mut pairs = Vec::new();
    let a = Array::from(&answers.unwrap_or(JsValue::NULL));
    for v in a.iter().skip(1) {
        // Field by field, as storage reads the pair (no derived visitor in the wasm).
        if let Some(t) = StoredTokens::read(&v).ok().and_then(|s| TokenSet::from_stored(s).ok()) {
            pairs.push(t);
        }
    }
    (pairs, a.get(0).as_f64().unwrap_or(0.0) as u32)
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    fn present(mark: &JsValue, name: &str, on: bool) -> JsValue;
    #[wasm_bindgen(js_name = askTabs)]
    fn ask_tabs(channel: &web_sys::BroadcastChannel, name: &str, mark: &JsValue, ms: u32) -> Promise;
    #[wasm_bindgen(js_name = answerTab)]
    fn answer_tab(id: &str, pair: &JsValue);
}
