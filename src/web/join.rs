//! Tabs on per-tab storage that join one session: plumbing for what `engine/join.rs` decides. The group's
//! BroadcastChannel carries the notices and the asks (`ask:<id>`); the answer goes on the asker's own channel
//! `<id>`; the presence mark is a shared Web Lock, both named for this client + server.

use core::cell::RefCell;
use alloc::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::engine::{Input, OpId};
use crate::protocol::{Config, StoredTokens, TokenSet};
use crate::web::driver::Driver;
use crate::web::{json, task, tabs};

pub struct Group {
    name: String,
    /// The presence mark while this tab holds the session (js/glue.js `holdShared`).
    mark: RefCell<Option<JsValue>>,
}

/// Whether this session's tabs join: `shareTabs` (default on) with sessionStorage, no DPoP (its key is per tab),
/// and Web Locks (the mark and the refresh lock). A popup's or silent frame's callback page runs in memory
/// (`window_handover::inert_here`): it never joins nor answers.
fn wanted(cfg: &Config, storage: &str) -> bool {
    cfg.share_tabs && !cfg.dpop && storage == "sessionStorage" && tabs::locks_available()
}

/// Opens the group's channel and has the engine join; nothing where tabs do not join or the channel is missing.
pub fn open(d: &Rc<Driver>) {
    if !wanted(&d.cfg, d.store.kind_name()) {
        return;
    }
    let mut name = String::from("oss-tabs:");
    name.push_str(&d.cfg.client_id);
    name.push('@');
    name.push_str(&d.cfg.server);
    let w = Rc::downgrade(d);
    let Some(t) = tabs::Tabs::open_text(&name, move |text| {
        let input = match text.strip_prefix("ask:") {
            Some(id) => Input::TabsAsked { id: id.into() },
            None => match crate::engine::Notice::from_wire(&text) {
                Some(n) => Input::Broadcast(n),
                None => return,
            },
        };
        if let Some(me) = w.upgrade() {
            me.feed(input);
        }
    }) else {
        return;
    };
    *d.tabs.borrow_mut() = Some(t);
    *d.group.borrow_mut() = Some(Group { name, mark: RefCell::new(None) });
    d.engine.borrow_mut().join_tabs();
}

impl Driver {
    pub(crate) fn ask_tabs(self: &Rc<Self>, op: OpId, timeout_ms: u32) {
        let asked = {
            let (g, t) = (self.group.borrow(), self.tabs.borrow());
            match (g.as_ref(), t.as_ref()) {
                (Some(g), Some(t)) => Some(ask_tabs(t.channel(), &g.name, g.mark.borrow().as_ref().unwrap_or(&JsValue::NULL), timeout_ms)),
                _ => None,
            }
        };
        let me = self.clone();
        task::spawn(Box::pin(async move {
            let got = match asked {
                Some(p) => JsFuture::from(p).await.unwrap_or(JsValue::NULL),
                None => JsValue::NULL,
            };
            let pairs = Array::from(&got)
                .iter()
                .filter(|v| v.is_object())
                .filter_map(|v| json::from_js::<StoredTokens>(v).ok())
                .filter_map(|s| TokenSet::from_stored(s).ok())
                .collect();
            me.feed(Input::TabsAnswered { op, pairs });
        }));
    }

    pub(crate) fn answer_tab(&self, id: &str, tokens: Option<&TokenSet>) {
        answer_tab(id, &tokens.map_or(JsValue::NULL, |t| json::to_js(&t.to_stored())));
    }

    pub(crate) fn present(&self, on: bool) {
        let g = self.group.borrow();
        let Some(g) = g.as_ref() else { return };
        let old = g.mark.borrow_mut().take();
        if let Some(old) = old {
            release(&old);
        }
        if on {
            *g.mark.borrow_mut() = Some(hold_shared(&g.name));
        }
    }
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = holdShared)]
    fn hold_shared(name: &str) -> JsValue;
    #[wasm_bindgen(js_name = askTabs)]
    fn ask_tabs(channel: &web_sys::BroadcastChannel, name: &str, mark: &JsValue, ms: u32) -> Promise;
    #[wasm_bindgen(js_name = answerTab)]
    fn answer_tab(id: &str, pair: &JsValue);
}

/// `mark.release()`.
fn release(mark: &JsValue) {
    if let Some(f) = crate::web::browser::as_function(crate::web::browser::get(mark, "release")) {
        let _ = f.call0(mark);
    }
}
