//! Tabs on per-tab storage that join one session: plumbing for what `engine/join.rs` decides. The group's
//! BroadcastChannel (opened by the driver, web/tabs.rs) carries the notices and the asks (`ask:<id>`); the answer
//! goes on the asker's own channel `<id>`; the presence mark is a shared Web Lock. Both are named for this
//! client + server.

use core::cell::RefCell;
use alloc::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::engine::{Input, OpId};
use crate::protocol::{StoredTokens, TokenSet};
use crate::web::driver::Driver;
use crate::web::{json, task, tabs};

pub struct Group {
    name: String,
    /// The presence mark while this tab holds the session (js/glue.js `present`), else null.
    mark: RefCell<JsValue>,
}

/// The group's name where this session's tabs join: `shareTabs` (default on) with sessionStorage, no DPoP (its
/// key is per tab), and Web Locks (the mark and the refresh lock). A popup's or silent frame's callback page
/// runs in memory (`window_handover::inert_here`): it never joins nor answers.
pub fn name(d: &Driver) -> Option<String> {
    let c = &d.cfg;
    (c.share_tabs && !c.dpop && d.store.kind_name() == "sessionStorage" && tabs::locks_available())
        .then(|| ["oss-tabs:", &c.client_id, "@", &c.server].concat())
}

/// The group's channel is open: the engine joins.
pub fn joined(d: &Rc<Driver>, name: String) {
    *d.group.borrow_mut() = Some(Group { name, mark: RefCell::new(JsValue::NULL) });
    d.engine.borrow_mut().join_tabs();
}

impl Driver {
    pub(crate) fn ask_tabs(self: &Rc<Self>, op: OpId, timeout_ms: u32) {
        let asked = match (self.group.borrow().as_ref(), self.tabs.borrow().as_ref()) {
            (Some(g), Some(t)) => ask_tabs(t.channel(), &g.name, &g.mark.borrow(), timeout_ms),
            _ => Promise::resolve(&JsValue::NULL),
        };
        let me = self.clone();
        task::spawn(Box::pin(async move {
            let mut pairs = Vec::new();
            for v in Array::from(&JsFuture::from(asked).await.unwrap_or(JsValue::NULL)).iter() {
                if let Some(t) = json::from_js::<StoredTokens>(v).ok().and_then(|s| TokenSet::from_stored(s).ok()) {
                    pairs.push(t);
                }
            }
            me.feed(Input::TabsAnswered { op, pairs });
        }));
    }

    pub(crate) fn answer_tab(&self, id: &str, tokens: Option<&TokenSet>) {
        answer_tab(id, &tokens.map_or(JsValue::NULL, |t| json::to_js(&t.to_stored())));
    }

    pub(crate) fn present(&self, on: bool) {
        if let Some(g) = self.group.borrow().as_ref() {
            let m = present(&g.mark.borrow(), &g.name, on);
            *g.mark.borrow_mut() = m;
        }
    }
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    fn present(mark: &JsValue, name: &str, on: bool) -> JsValue;
    #[wasm_bindgen(js_name = askTabs)]
    fn ask_tabs(channel: &web_sys::BroadcastChannel, name: &str, mark: &JsValue, ms: u32) -> Promise;
    #[wasm_bindgen(js_name = answerTab)]
    fn answer_tab(id: &str, pair: &JsValue);
}
