//! The session's shared state and its lifecycle: restore, accept new tokens, forget them, and the timer that
//! turns the core's refresh policy into action. Refresh, fetch and login live in their own files.

#[allow(unused_imports)]
use crate::core::prelude::*;

use ::core::cell::{Cell, RefCell};
use alloc::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::core::{decide, next_check_ms, Config, Decision, Error, ErrorCode, TokenSet};
use crate::web::events::Listeners;
use crate::web::refresh::Why;
use crate::web::store::Store;
use crate::web::tabs::Tabs;
use crate::web::{browser, errors, task};

/// After a refresh that failed transiently, wait this long before the timer tries again on its own
/// (a still-valid token keeps being used meanwhile). Stops refresh storms while a server is down.
pub const COOLDOWN_MS: f64 = 30_000.0;

/// The result cell of one refresh flight, shared by every caller that awaits it.
pub type FlightResult = Rc<RefCell<Option<Result<(), Error>>>>;

pub struct Inner {
    pub cfg: Config,
    pub store: Store,
    pub tokens: RefCell<Option<TokenSet>>,
    pub listeners: Listeners,
    pub in_flight: RefCell<Option<(Promise, FlightResult)>>,
    pub ready: RefCell<Option<Promise>>,
    /// Set once the restore from storage has finished: from then on `session.fetch` may take its hot path.
    pub ready_done: Cell<bool>,
    pub tabs: RefCell<Option<Tabs>>,
    /// `setTimeout` id of the armed check (undefined: none), and the callback that runs `check` (set once).
    timer: RefCell<JsValue>,
    pub wake: RefCell<Option<Function>>,
    /// `(response, spare request, token) => Promise<Response>`: the 401 path of `session.fetch` (set once).
    pub on_401: RefCell<Option<Function>>,
    /// `expires_at_ms` of the token for which `expiring` was already emitted (once per token).
    expiring_sent_for: Cell<f64>,
    pub cooldown_until: Cell<f64>,
}

impl Inner {
    pub fn new(cfg: Config, store: Store) -> Inner {
        Inner {
            cfg,
            store,
            tokens: RefCell::new(None),
            listeners: Listeners::default(),
            in_flight: RefCell::new(None),
            ready: RefCell::new(None),
            ready_done: Cell::new(false),
            tabs: RefCell::new(None),
            timer: RefCell::new(JsValue::UNDEFINED),
            wake: RefCell::new(None),
            on_401: RefCell::new(None),
            expiring_sent_for: Cell::new(0.0),
            cooldown_until: Cell::new(0.0),
        }
    }

    pub fn current(&self) -> Option<TokenSet> {
        self.tokens.borrow().clone()
    }

    pub fn access_token(&self) -> Option<String> {
        self.tokens.borrow().as_ref().map(|t| t.access_token.expose().to_string())
    }

    pub fn decision(&self) -> Decision {
        decide(self.tokens.borrow().as_ref(), browser::now_ms(), self.cfg.refresh_margin_s)
    }

    pub fn info_js(&self) -> JsValue {
        match self.tokens.borrow().as_ref() {
            None => JsValue::NULL,
            Some(t) => token_info_js(t),
        }
    }

    pub fn emit(&self, name: &str, detail: &JsValue) {
        self.listeners.emit(name, detail);
    }

    pub fn emit_error(&self, name: &str, e: &Error) {
        self.emit(name, &errors::to_js(e));
    }

    /// Awaits `session.ready` so no method races the restore from storage.
    pub async fn wait_ready(&self) {
        if self.ready_done.get() {
            return; // the hot path: no promise hop once restored
        }
        let p = self.ready.borrow().clone();
        if let Some(p) = p {
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        }
        self.ready_done.set(true);
    }

    /// Restores tokens from storage. Never fails: bad data is removed, a refusing storage falls back to memory.
    pub async fn restore(self: &Rc<Self>) -> bool {
        match self.store.load().await {
            Ok(Some(t)) => {
                *self.tokens.borrow_mut() = Some(t);
                if self.decision() == Decision::LoginRequired {
                    self.forget("expired", &JsValue::NULL, false).await;
                    return false;
                }
                self.check();
                true
            }
            Ok(None) => false,
            Err(e) => {
                if e.code == ErrorCode::StorageUnavailable {
                    self.fall_back(&e);
                } else {
                    // Corrupt or tampered: logged out, and the bad keys go.
                    self.store.clear().await;
                }
                false
            }
        }
    }

    pub fn fall_back(&self, e: &Error) {
        self.store.fall_back_to_memory();
        self.emit_error("storageFallback", e);
    }

    /// New tokens (login, refresh, or another tab's): persist first — an adapter's `save` completes before a
    /// refresh resolves — then publish, reschedule, and tell the other tabs.
    pub async fn accept(self: &Rc<Self>, t: TokenSet, event: &str, announce: bool) {
        let t = self.cfg.keep_allowed(t);
        if let Err(e) = self.store.save(&t).await {
            if self.store.is_shared() && e.code != ErrorCode::StorageUnavailable {
                self.emit_error("storageFallback", &e);
            } else {
                self.fall_back(&e);
                let _ = self.store.save(&t).await;
            }
        }
        self.adopt(t, event);
        if announce {
            self.announce(event);
        }
    }

    /// Takes tokens that are already stored (by us or by another tab) as current.
    pub fn adopt(self: &Rc<Self>, t: TokenSet, event: &str) {
        let info = token_info_js(&t);
        *self.tokens.borrow_mut() = Some(t);
        self.cooldown_until.set(0.0);
        self.emit(event, &info);
        self.emit("change", &info);
        self.check();
    }

    /// Drops the tokens: storage cleared (this session's keys only), timer stopped, `event` emitted.
    pub async fn forget(self: &Rc<Self>, event: &str, detail: &JsValue, announce: bool) {
        self.store.clear().await;
        self.drop_local(event, detail);
        if announce {
            self.announce(event);
        }
    }

    pub fn drop_local(&self, event: &str, detail: &JsValue) {
        let had = self.tokens.borrow_mut().take().is_some();
        self.disarm();
        if had || event == "logout" {
            self.emit(event, detail);
            self.emit("change", &JsValue::NULL);
        }
    }

    pub fn announce(&self, kind: &str) {
        if let Some(t) = self.tabs.borrow().as_ref() {
            t.announce(kind);
        }
    }

    /// Applies the refresh policy now and arms a timer for the next change. Timers are only hints: every use
    /// of a token checks the wall clock again.
    pub fn check(self: &Rc<Self>) {
        let now = browser::now_ms();
        match self.decision() {
            Decision::Fresh => {}
            Decision::Expiring => self.note_expiring(),
            Decision::Refresh => {
                if now >= self.cooldown_until.get() {
                    let me = self.clone();
                    task::spawn(Box::pin(async move {
                        let _ = me.refresh(Why::Due).await;
                    }));
                    return; // the refresh reschedules when it lands
                }
            }
            Decision::LoginRequired => {
                let me = self.clone();
                task::spawn(Box::pin(async move {
                    me.forget("expired", &JsValue::NULL, false).await;
                }));
                return;
            }
        }
        self.schedule(now);
    }

    pub fn note_expiring(&self) {
        let info = self.info_js();
        if let Some(t) = self.tokens.borrow().as_ref() {
            if self.expiring_sent_for.get() == t.expires_at_ms {
                return;
            }
            self.expiring_sent_for.set(t.expires_at_ms);
        }
        self.emit("expiring", &info);
    }

    fn schedule(self: &Rc<Self>, now: f64) {
        let next = {
            let t = self.tokens.borrow();
            next_check_ms(t.as_ref(), now, self.cfg.refresh_margin_s)
        };
        let Some(mut at) = next else {
            self.disarm();
            return;
        };
        at = at.max(self.cooldown_until.get());
        // setTimeout overflows past 2^31 ms; a long wait is re-armed hourly instead.
        let delay = (at - now).clamp(0.0, 3_600_000.0) as u32;
        if let Some(f) = self.wake.borrow().as_ref() {
            let id = arm(&self.timer.borrow(), delay + 5, f);
            *self.timer.borrow_mut() = id;
        }
    }

    fn disarm(&self) {
        disarm(&self.timer.replace(JsValue::UNDEFINED));
    }
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    fn arm(id: &JsValue, ms: u32, f: &Function) -> JsValue;
    fn disarm(id: &JsValue);
}

pub fn token_info_js(t: &TokenSet) -> JsValue {
    let i = t.info();
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

