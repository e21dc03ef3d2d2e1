//! Where tokens live: sessionStorage (per tab), cookies (shared by the tabs of a site), memory, or the app's own
//! persistence adapter. Never localStorage. Every text store seals its value so truncation or tampering is seen
//! on load; bad data is reported as `corrupt_storage` and the caller removes it.

#[allow(unused_imports)]
use crate::core::prelude::*;

use ::core::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::core::{
    cookie, seal, unseal, Error, ErrorCode, StorageKind, StoredTokens, TokenSet,
};
use crate::web::{browser, errors, json};

enum Backend {
    Session(web_sys::Storage),
    Cookie(web_sys::HtmlDocument),
    Memory,
    /// `{ load(): Promise<object|null>, save(t): Promise<void>, clear(): Promise<void> }`
    Adapter(JsValue),
}

pub struct Store {
    key: String,
    backend: RefCell<Backend>,
    memory: RefCell<Option<TokenSet>>,
}

fn unavailable(v: &JsValue) -> Error {
    errors::from_js(ErrorCode::StorageUnavailable, v)
}

fn corrupt() -> Error {
    Error::new(ErrorCode::CorruptStorage)
}

impl Store {
    /// Picks the backend; a storage the browser refuses (disabled, sandboxed) yields memory plus the error,
    /// so the caller can say so with an event.
    pub fn open(kind: &StorageKind, key: String, adapter: Option<JsValue>) -> (Store, Option<Error>) {
        let mut problem = None;
        let backend = if let Some(a) = adapter {
            Backend::Adapter(a)
        } else {
            match kind {
                StorageKind::Memory => Backend::Memory,
                StorageKind::SessionStorage => match browser::window().session_storage() {
                    Ok(Some(s)) => Backend::Session(s),
                    Ok(None) => {
                        problem = Some(Error::new(ErrorCode::StorageUnavailable));
                        Backend::Memory
                    }
                    Err(e) => {
                        problem = Some(unavailable(&e));
                        Backend::Memory
                    }
                },
                StorageKind::Cookie => match browser::window().document().and_then(|d| d.dyn_into().ok()) {
                    Some(d) => Backend::Cookie(d),
                    None => {
                        problem = Some(Error::new(ErrorCode::StorageUnavailable));
                        Backend::Memory
                    }
                },
            }
        };
        let store = Store { key, backend: RefCell::new(backend), memory: RefCell::new(None) };
        (store, problem)
    }

    /// Cookies and an app backend are seen by every tab; sessionStorage and memory are not.
    pub fn is_shared(&self) -> bool {
        matches!(&*self.backend.borrow(), Backend::Cookie(_) | Backend::Adapter(_))
    }

    pub fn kind_name(&self) -> &'static str {
        match &*self.backend.borrow() {
            Backend::Session(_) => "sessionStorage",
            Backend::Cookie(_) => "cookie",
            Backend::Memory => "memory",
            Backend::Adapter(_) => "persistence",
        }
    }

    pub fn fall_back_to_memory(&self) {
        *self.backend.borrow_mut() = Backend::Memory;
    }

    fn adapter(&self) -> Option<JsValue> {
        match &*self.backend.borrow() {
            Backend::Adapter(a) => Some(a.clone()),
            _ => None,
        }
    }

    pub async fn load(&self) -> Result<Option<TokenSet>, Error> {
        // Never hold the backend borrow across an await: a fallback may swap it meanwhile.
        if let Some(a) = self.adapter() {
            return load_adapter(&a).await;
        }
        let text = match &*self.backend.borrow() {
            Backend::Memory => return Ok(self.memory.borrow().clone()),
            Backend::Session(s) => s.get_item(&self.key).map_err(|e| unavailable(&e))?,
            Backend::Cookie(d) => {
                let jar = d.cookie().map_err(|e| unavailable(&e))?;
                cookie::read_split_cookie(&jar, &self.key)?
            }
            Backend::Adapter(_) => None,
        };
        match text {
            None => Ok(None),
            Some(t) => {
                let body = unseal(&t)?;
                let stored: StoredTokens = json::from_text(body).ok_or_else(corrupt)?;
                TokenSet::from_stored(stored).map(Some)
            }
        }
    }

    pub async fn save(&self, t: &TokenSet) -> Result<(), Error> {
        let stored = t.to_stored();
        if let Some(a) = self.adapter() {
            return call_adapter(&a, "save", Some(&json::to_js(&stored))).await.map(|_| ());
        }
        match &*self.backend.borrow() {
            Backend::Memory | Backend::Adapter(_) => {
                *self.memory.borrow_mut() = Some(t.clone());
                Ok(())
            }
            Backend::Session(s) => s.set_item(&self.key, &seal(&json::to_text(&stored))).map_err(|e| unavailable(&e)),
            Backend::Cookie(d) => save_cookie(d, &self.key, &stored, t),
        }
    }

    /// Removes this session's keys only (never other apps' data).
    pub async fn clear(&self) {
        *self.memory.borrow_mut() = None;
        if let Some(a) = self.adapter() {
            let _ = call_adapter(&a, "clear", None).await;
            return;
        }
        match &*self.backend.borrow() {
            Backend::Memory | Backend::Adapter(_) => {}
            Backend::Session(s) => {
                let _ = s.remove_item(&self.key);
            }
            Backend::Cookie(d) => delete_cookies(d, &self.key),
        }
    }
}

async fn load_adapter(a: &JsValue) -> Result<Option<TokenSet>, Error> {
    let v = call_adapter(a, "load", None).await?;
    if v.is_null() || v.is_undefined() {
        return Ok(None);
    }
    let stored: StoredTokens = json::from_js(v).map_err(|_| corrupt())?;
    TokenSet::from_stored(stored).map(Some)
}

/// Calls `adapter[name](arg)` and awaits it if it returned a promise (a plain value works too).
async fn call_adapter(a: &JsValue, name: &str, arg: Option<&JsValue>) -> Result<JsValue, Error> {
    let f = browser::as_function(browser::get(a, name))
        .ok_or_else(|| Error::new(ErrorCode::InvalidConfig).with_description("persistence adapter lacks a method"))?;
    let r = match arg {
        Some(x) => f.call1(a, x),
        None => f.call0(a),
    }
    .map_err(|e| unavailable(&e))?;
    match r.dyn_into::<js_sys::Promise>() {
        Ok(p) => JsFuture::from(p).await.map_err(|e| unavailable(&e)),
        Err(v) => Ok(v),
    }
}

fn save_cookie(d: &web_sys::HtmlDocument, key: &str, stored: &StoredTokens, t: &TokenSet) -> Result<(), Error> {
    let secure = browser::is_secure_context_for_cookies();
    // The cookie must not outlive the longest-lived token it carries.
    let until = t.refresh_expires_at_ms.unwrap_or(0.0).max(t.expires_at_ms);
    let max_age = ((until - browser::now_ms()) / 1000.0).ceil().max(1.0) as u64;
    let text = seal(&json::to_text(stored));
    let parts = cookie::split_into_cookies(key, &text);
    // Drop chunks of a longer previous value first, so a reader never joins old and new pieces.
    delete_cookies(d, key);
    for (name, value) in &parts {
        d.set_cookie(&cookie::set_cookie_string(name, value, max_age, secure))
            .map_err(|e| unavailable(&e))?;
    }
    // A browser that silently refused the cookie (too large, blocked) must not look like success.
    let jar = d.cookie().map_err(|e| unavailable(&e))?;
    match cookie::read_split_cookie(&jar, key) {
        Ok(Some(back)) if back == text => Ok(()),
        _ => Err(Error::new(ErrorCode::StorageUnavailable).with_description("the browser refused the cookie")),
    }
}

fn delete_cookies(d: &web_sys::HtmlDocument, key: &str) {
    let secure = browser::is_secure_context_for_cookies();
    let jar = d.cookie().unwrap_or_default();
    let mut prefix = key.to_string();
    prefix.push('.');
    for name in cookie::cookie_names_with_prefix(&jar, &prefix) {
        let _ = d.set_cookie(&cookie::delete_cookie_string(&name, secure));
    }
}
