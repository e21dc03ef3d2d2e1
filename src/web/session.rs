//! The `Session` class apps import. Thin: it parses the config, opens the storage, and turns each method into
//! an engine input (src/engine) through the driver, which carries out what the engine decides.

use alloc::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::engine::Input;
use crate::protocol::{config_error_from, persistence_error, Config, ConfigInput, Error, HostFailure};
use crate::web::driver::Driver;
use crate::web::{browser, js_error, events, window_handover, json};

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
    driver: Rc<Driver>,
    ready: Promise,
}

#[wasm_bindgen]
impl Session {
    /// Throws `SessionError` (`invalid_config`) for a bad config; never for bad stored data.
    #[wasm_bindgen(constructor)]
    pub fn new(config: SessionConfig) -> Result<Session, JsValue> {
        let config: JsValue = config.into();
        let adapter = browser::get(&config, "persistence");
        let adapter = (!adapter.is_undefined() && !adapter.is_null()).then_some(adapter);
        if let Some(a) = &adapter {
            let methods = ["load", "save", "clear"].iter().all(|m| browser::get(a, m).is_function());
            if let Some(e) = persistence_error(methods) {
                return Err(js_error::to_js(&e));
            }
        }
        let cfg = read_config(config, adapter.is_some()).map_err(|e| js_error::to_js(&e))?;
        let (driver, ready) = Driver::open(cfg, adapter);
        Ok(Session { driver, ready })
    }

    /// Resolves (never rejects) once stored tokens are restored; the value says whether a user is logged in.
    #[wasm_bindgen(getter)]
    pub fn ready(&self) -> PromiseBool {
        self.ready.clone().unchecked_into()
    }

    /// The authorize URL for a new login (saves the PKCE verifier and state for the callback).
    #[wasm_bindgen(js_name = loginUrl)]
    pub fn login_url(&self) -> PromiseString {
        self.driver.login_url().unchecked_into()
    }

    /// Navigates the page to the authorize URL.
    pub fn login(&self) -> PromiseVoid {
        let url = self.driver.login_url();
        let mut slot = None;
        let done = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
        let Some((resolve, reject)) = slot else { return done.unchecked_into() };
        self.driver.after(&url, Box::new(move |_, r| {
            let r = r.and_then(|url| {
                browser::navigate(&url.as_string().unwrap_or_default())
                    .map_err(|e| js_error::to_js(&js_error::failed(HostFailure::Network, &e)))
            });
            let _ = match r {
                Ok(()) => resolve.call0(&JsValue::UNDEFINED),
                Err(e) => reject.call1(&JsValue::UNDEFINED, &e),
            };
        }));
        done.unchecked_into()
    }

    /// Consumes the OAuth callback in the current URL, if this page load is one.
    #[wasm_bindgen(js_name = handleRedirect)]
    pub fn handle_redirect(&self) -> PromiseBool {
        if window_handover::hand_over() {
            // A popup's or silent frame's callback page: the window that started the login finishes it.
            return Promise::resolve(&JsValue::FALSE).unchecked_into();
        }
        // (The engine waits for the restore before it decides.)
        self.driver.handle_redirect().unchecked_into()
    }

    /// `fetch` with the bearer token for the configured API origins; anything else passes through untouched.
    pub fn fetch(&self, input: FetchInput, init: Option<FetchInit>) -> PromiseResponse {
        let init: JsValue = init.map(Into::into).unwrap_or(JsValue::UNDEFINED);
        self.driver.fetch(&input.into(), &init).unchecked_into()
    }

    /// Logs in in a popup (opened synchronously: call it from a click handler). (Typed in the custom section.)
    #[wasm_bindgen(js_name = loginPopup, skip_typescript)]
    pub fn login_popup(&self, options: JsValue) -> Promise {
        let features = browser::get(&options, "windowFeatures").as_string();
        // The engine chooses the timeout (engine::popup_timeout_ms): the option goes as given.
        self.driver.login_popup(features, browser::get(&options, "timeoutSeconds").as_f64())
    }

    /// New tokens without interaction: a refresh, or else a silent `prompt=none` renewal. (Typed in the custom
    /// section.)
    #[wasm_bindgen(skip_typescript)]
    pub fn renew(&self) -> Promise {
        self.driver.call(|call| Input::Renew { call })
    }

    /// Refreshes now (joins a refresh already in flight).
    pub fn refresh(&self) -> PromiseVoid {
        self.driver.call(|call| Input::Refresh { call }).unchecked_into()
    }

    /// Clears the session in every tab sharing storage, then revokes it at the server (errors ignored).
    pub fn logout(&self) -> PromiseVoid {
        self.driver.call(|call| Input::Logout { call }).unchecked_into()
    }

    /// True while a token is usable now or can be refreshed.
    #[wasm_bindgen(js_name = isLoggedIn)]
    pub fn is_logged_in(&self) -> bool {
        self.driver.engine.borrow().is_logged_in(crate::engine::Instant::from_ms(Driver::now()))
    }

    /// Expiries, scope and owner — never token strings.
    #[wasm_bindgen(js_name = tokenInfo)]
    pub fn token_info(&self) -> TokenInfoOrNull {
        let info = self.driver.engine.borrow().token_info();
        info.as_ref().map(events::info_js).unwrap_or(JsValue::NULL).unchecked_into()
    }

    /// Where tokens are kept now (after any fallback): sessionStorage, cookie, memory or persistence.
    #[wasm_bindgen(getter, js_name = storage)]
    pub fn storage(&self) -> StorageName {
        JsValue::from_str(self.driver.store.kind_name()).unchecked_into()
    }

    /// Subscribes to an event; returns the function that unsubscribes. (Typed in the custom section.)
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, name: &str, listener: Function) -> Result<Function, JsValue> {
        self.driver.listeners.add(name, &listener).ok_or_else(|| {
            js_error::to_js(&HostFailure::UnknownEvent.into())
        })
    }

    /// Removes the window listeners, timers and BroadcastChannel this session created (for a framework's
    /// unmount or hot reload). The session does nothing after this.
    pub fn dispose(&self) {
        self.driver.dispose();
    }
}

/// The config object through serde-wasm-bindgen, field by field (only the documented keys are read; `persistence` is taken
/// by the caller), then validated.
fn read_config(config: JsValue, has_persistence: bool) -> Result<Config, Error> {
    if !json::is_object(&config) {
        return Err(config_error_from(""));
    }
    let input = ConfigInput::read(&config).map_err(config_error_from)?;
    Config::from_input(input, has_persistence)
}
