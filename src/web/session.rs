//! The `Session` class apps import. Thin: it parses the config, wires the pieces, and turns Rust futures into
//! promises. The behaviour lives in inner.rs, refresh.rs, authed_fetch.rs, login.rs and tabs.rs.

#[allow(unused_imports)]
use crate::core::prelude::*;

use alloc::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::core::{config_error_from, Config, ConfigInput, Error, ErrorCode};
use crate::web::inner::Inner;
use crate::web::refresh::Why;
use crate::web::store::Store;
use crate::web::tabs::Tabs;
use crate::web::task::{self, LocalFuture};
use crate::web::{browser, errors, json};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("session.d.ts");

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "SessionConfig")]
    pub type SessionConfig;
    #[wasm_bindgen(typescript_type = "Promise<boolean>")]
    pub type PromiseBool;
    #[wasm_bindgen(typescript_type = "Promise<string>")]
    pub type PromiseString;
    #[wasm_bindgen(typescript_type = "Promise<void>")]
    pub type PromiseVoid;
    #[wasm_bindgen(typescript_type = "Promise<Response>")]
    pub type PromiseResponse;
    #[wasm_bindgen(typescript_type = "RequestInfo | URL")]
    pub type FetchInput;
    #[wasm_bindgen(typescript_type = "RequestInit | undefined")]
    pub type FetchInit;
    #[wasm_bindgen(typescript_type = "TokenInfo | null")]
    pub type TokenInfoOrNull;
    #[wasm_bindgen(typescript_type = "StorageName")]
    pub type StorageName;
}

#[wasm_bindgen]
pub struct Session {
    inner: Rc<Inner>,
}

fn promise(f: LocalFuture<Result<JsValue, Error>>) -> Promise {
    task::promise(Box::pin(async move { f.await.map_err(|e| errors::to_js(&e)) }))
}

#[wasm_bindgen]
impl Session {
    /// Throws `SessionError` (`invalid_config`) for a bad config; never for bad stored data.
    #[wasm_bindgen(constructor)]
    pub fn new(config: SessionConfig) -> Result<Session, JsValue> {
        let config: JsValue = config.into();
        let adapter = browser::get(&config, "persistence");
        let adapter = (!adapter.is_undefined() && !adapter.is_null()).then_some(adapter);
        let cfg = read_config(config, adapter.is_some()).map_err(|e| errors::to_js(&e))?;
        let (store, problem) = Store::open(&cfg.storage, cfg.storage_key(), adapter);
        let inner = Rc::new(Inner::new(cfg, store));
        if inner.store.is_shared() {
            *inner.tabs.borrow_mut() = Tabs::open(&inner.cfg.lock_name(), Rc::downgrade(&inner));
        }
        watch_wakeups(&inner);
        *inner.on_401.borrow_mut() = Some(on_401_handler(&inner));
        let me = inner.clone();
        let ready = task::promise(Box::pin(async move {
            if let Some(e) = problem {
                me.emit_error("storageFallback", &e);
            }
            let logged_in = me.restore().await;
            me.ready_done.set(true);
            Ok(JsValue::from_bool(logged_in))
        }));
        *inner.ready.borrow_mut() = Some(ready);
        Ok(Session { inner })
    }

    /// Resolves (never rejects) once stored tokens are restored; the value says whether a user is logged in.
    #[wasm_bindgen(getter)]
    pub fn ready(&self) -> PromiseBool {
        self.inner.ready.borrow().clone().unwrap_or_else(|| Promise::resolve(&JsValue::FALSE)).unchecked_into()
    }

    /// The authorize URL for a new login (saves the PKCE verifier and state for the callback).
    #[wasm_bindgen(js_name = loginUrl)]
    pub fn login_url(&self) -> PromiseString {
        let me = self.inner.clone();
        promise(Box::pin(async move { me.login_url().await.map(|u| JsValue::from_str(&u)) })).unchecked_into()
    }

    /// Navigates the page to the authorize URL.
    pub fn login(&self) -> PromiseVoid {
        let me = self.inner.clone();
        promise(Box::pin(async move {
            let url = me.login_url().await?;
            browser::navigate(&url).map_err(|e| errors::from_js(ErrorCode::Network, &e))?;
            Ok(JsValue::UNDEFINED)
        }))
        .unchecked_into()
    }

    /// Consumes the OAuth callback in the current URL, if this page load is one.
    #[wasm_bindgen(js_name = handleRedirect)]
    pub fn handle_redirect(&self) -> PromiseBool {
        let me = self.inner.clone();
        promise(Box::pin(async move {
            me.wait_ready().await;
            me.handle_redirect().await.map(JsValue::from_bool)
        }))
        .unchecked_into()
    }

    /// `fetch` with the bearer token for the configured API origins; anything else passes through untouched.
    pub fn fetch(&self, input: FetchInput, init: Option<FetchInit>) -> PromiseResponse {
        let init: JsValue = init.map(Into::into).unwrap_or(JsValue::UNDEFINED);
        let input: JsValue = input.into();
        if let Some(p) = self.inner.fetch_now(&input, &init) {
            return p.unchecked_into();
        }
        let me = self.inner.clone();
        task::promise(Box::pin(async move { me.fetch(input, init).await })).unchecked_into()
    }

    /// Refreshes now (joins a refresh already in flight).
    pub fn refresh(&self) -> PromiseVoid {
        let me = self.inner.clone();
        promise(Box::pin(async move {
            me.wait_ready().await;
            me.refresh(Why::Forced).await.map(|_| JsValue::UNDEFINED)
        }))
        .unchecked_into()
    }

    /// Revokes the session at the server (errors ignored) and clears it locally.
    pub fn logout(&self) -> PromiseVoid {
        let me = self.inner.clone();
        promise(Box::pin(async move {
            me.wait_ready().await;
            me.logout().await;
            Ok(JsValue::UNDEFINED)
        }))
        .unchecked_into()
    }

    /// True while a token is usable now or can be refreshed.
    #[wasm_bindgen(js_name = isLoggedIn)]
    pub fn is_logged_in(&self) -> bool {
        self.inner.decision() != crate::core::Decision::LoginRequired
    }

    /// Expiries, scope and owner — never token strings.
    #[wasm_bindgen(js_name = tokenInfo)]
    pub fn token_info(&self) -> TokenInfoOrNull {
        self.inner.info_js().unchecked_into()
    }

    /// Where tokens are kept now (after any fallback): sessionStorage, cookie, memory or persistence.
    #[wasm_bindgen(getter, js_name = storage)]
    pub fn storage(&self) -> StorageName {
        JsValue::from_str(self.inner.store.kind_name()).unchecked_into()
    }

    /// Subscribes to an event; returns the function that unsubscribes. (Typed in the custom section.)
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, name: &str, listener: Function) -> Result<Function, JsValue> {
        self.inner.listeners.add(name, &listener).ok_or_else(|| {
            errors::to_js(&Error::new(ErrorCode::InvalidConfig).with_description("unknown event name"))
        })
    }
}

/// The 401 path of `session.fetch`, as one long-lived JS function (no closure per call).
fn on_401_handler(inner: &Rc<Inner>) -> Function {
    let weak = Rc::downgrade(inner);
    let f = Closure::<dyn FnMut(web_sys::Response, web_sys::Request, String) -> Promise>::new(
        move |res: web_sys::Response, spare: web_sys::Request, token: String| match weak.upgrade() {
            Some(me) => task::promise(Box::pin(async move { me.after_401(res, spare, token).await })),
            None => Promise::resolve(&JsValue::from(res)),
        },
    );
    f.into_js_value().unchecked_into()
}

/// The config object through serde-wasm-bindgen (only the documented keys are read; `persistence` is taken
/// by the caller), then validated.
fn read_config(config: JsValue, has_persistence: bool) -> Result<Config, Error> {
    if !json::is_object(&config) {
        return Err(config_error_from(""));
    }
    let input: ConfigInput = json::from_js(config).map_err(|m| config_error_from(&m))?;
    Config::from_input(input, has_persistence)
}

/// A tab that slept or went offline must not send an expired token: re-check when it is seen or online again.
/// The same callback is the session's timer (inner.rs `schedule`).
fn watch_wakeups(inner: &Rc<Inner>) {
    let weak = Rc::downgrade(inner);
    let cb = Closure::<dyn FnMut()>::new(move || {
        if let Some(me) = weak.upgrade() {
            me.check();
        }
    });
    let f: &Function = cb.as_ref().unchecked_ref();
    let w = browser::window();
    let _ = w.add_event_listener_with_callback("online", f);
    if let Some(d) = w.document() {
        let _ = d.add_event_listener_with_callback("visibilitychange", f);
    }
    *inner.wake.borrow_mut() = Some(f.clone());
    // Lives as long as the page: a session is created once per page in practice.
    cb.forget();
}
