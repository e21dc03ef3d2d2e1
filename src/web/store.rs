//! Where tokens live: sessionStorage (per tab), cookies (shared by the tabs of a site), memory, or the app's own
//! persistence adapter. Never localStorage. Every text store seals its value so truncation or tampering is seen
//! on load; bad data is reported as `corrupt_storage` and the caller removes it.
//!
//! Cookies can be written by more than the origin's script (a sibling subdomain sets `Domain=<parent>`, any
//! path of the site sets a narrower `Path`), so they get more: `__Host-` names wherever the browser accepts
//! them, a name listed twice is tampering (every removable copy goes), and the value is sealed with AES-GCM
//! under the origin's non-extractable key from IndexedDB (js/glue.js), the cookie name as additional data.
//! sessionStorage keeps the checksum seal: only the origin's own script can write it, and that script could
//! use the key too.

use core::cell::RefCell;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::protocol::{
    aead_body, cookie, seal, unseal, Error, HostFailure, StorageKind, StoredTokens, TokenSet, AEAD_PREFIX,
};
use crate::web::{browser, js_error, json};

/// The cookie jar and how this page may write it.
#[derive(Clone)]
struct Jar {
    doc: web_sys::HtmlDocument,
    /// `__Host-<key>`, or `<key>` where the browser refuses `__Host-` cookies (plain http off loopback).
    name: String,
    /// `Secure` is set (always with `__Host-`; never where the browser would drop a Secure cookie).
    secure: bool,
}

enum Backend {
    Session(web_sys::Storage),
    Cookie(Jar),
    Memory,
    /// `{ load(): Promise<object|null>, save(t): Promise<void>, clear(): Promise<void> }`
    Adapter(JsValue),
}

pub struct Store {
    key: String,
    backend: RefCell<Backend>,
    memory: RefCell<Option<TokenSet>>,
    /// Bumped by every cookie save and clear: a save whose sealing finished after a newer save or a clear
    /// began writes nothing (it would bring back what that one replaced or removed).
    writes: core::cell::Cell<u32>,
    /// [`Store::tab_id`], once read.
    tab: core::cell::OnceCell<Option<String>>,
}

fn unavailable(v: &JsValue) -> Error {
    js_error::failed(HostFailure::Storage, v)
}

fn corrupt() -> Error {
    corrupt_with(None)
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
                        problem = Some(HostFailure::Storage(None).into());
                        Backend::Memory
                    }
                    Err(e) => {
                        problem = Some(unavailable(&e));
                        Backend::Memory
                    }
                },
                StorageKind::Cookie => match browser::window().document().and_then(|d| d.dyn_into().ok()) {
                    Some(doc) => {
                        let host = host_prefix_works(&doc);
                        Backend::Cookie(Jar { name: cookie::cookie_base_name(&key, host), secure: host, doc })
                    }
                    None => {
                        problem = Some(HostFailure::Storage(None).into());
                        Backend::Memory
                    }
                },
            }
        };
        let store = Store { key, backend: RefCell::new(backend), memory: RefCell::new(None), writes: Default::default(), tab: Default::default() };
        (store, problem)
    }

    /// Cookies and an app backend are seen by every tab; sessionStorage and memory are not.
    pub fn is_shared(&self) -> bool {
        matches!(&*self.backend.borrow(), Backend::Cookie(_) | Backend::Adapter(_))
    }

    /// A random id for this tab's session, kept in sessionStorage next to the tokens (a reload keeps it,
    /// another tab has its own): where tokens are per tab, so is the DPoP key, and one tab's logout cannot
    /// delete the key another tab's tokens are bound to. `None` where tokens are shared (cookies, an app
    /// backend) or in memory. Read once: a later fallback to memory keeps the key the tokens are bound to.
    pub fn tab_id(&self) -> Option<String> {
        self.tab
            .get_or_init(|| {
                let Backend::Session(s) = &*self.backend.borrow() else { return None };
                let mut name = self.key.clone();
                name.push_str(".tab");
                if let Some(id) = s.get_item(&name).ok().flatten().filter(|v| !v.is_empty()) {
                    return Some(id);
                }
                let mut b = [0u8; 12];
                crate::protocol::RandomSource::fill(&mut browser::BrowserRandom, &mut b);
                let id = crate::protocol::base64url_nopad(&b);
                s.set_item(&name, &id).ok().map(|_| id)
            })
            .clone()
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

    fn jar(&self) -> Option<Jar> {
        match &*self.backend.borrow() {
            Backend::Cookie(j) => Some(j.clone()),
            _ => None,
        }
    }

    /// The cookie base name in use (`__Host-…` or the bare key), for tests and diagnostics.
    pub fn cookie_name(&self) -> Option<String> {
        self.jar().map(|j| j.name)
    }

    fn adapter(&self) -> Option<JsValue> {
        match &*self.backend.borrow() {
            Backend::Adapter(a) => Some(a.clone()),
            _ => None,
        }
    }

    /// The stored tokens: at once for sessionStorage, memory and an adapter's plain value (so `session.fetch`'s
    /// hot path stays synchronous), else when the cookie opens or the adapter's promise settles.
    pub fn load_io(&self) -> Io<Result<Option<TokenSet>, Error>> {
        // Never hold the backend borrow until a promise settles: a fallback may swap it meanwhile.
        if let Some(a) = self.adapter() {
            return call_adapter(&a, "load", None, |r| {
                let v = r?;
                if v.is_null() || v.is_undefined() {
                    return Ok(None);
                }
                TokenSet::from_stored(StoredTokens::read(&v).map_err(|_| corrupt())?).map(Some)
            });
        }
        if let Some(j) = self.jar() {
            return match open_cookie(&j) {
                Ok(Some(p)) => Io::Wait(
                    p,
                    Box::new(move |_, r| {
                        let r = r.map_err(|e| key_unavailable(&e)).and_then(|opened| {
                            let plain = opened
                                .as_string()
                                .ok_or_else(|| corrupt_with(Some("the session cookie does not open under this origin's key")))?;
                            parse_stored(&plain)
                        });
                        purge_if_corrupt(&j, r)
                    }),
                ),
                Ok(None) => Io::Done(Ok(None)),
                Err(e) => Io::Done(purge_if_corrupt(&j, Err(e))),
            };
        }
        let text = match &*self.backend.borrow() {
            Backend::Memory => return Io::Done(Ok(self.memory.borrow().clone())),
            Backend::Session(s) => s.get_item(&self.key).map_err(|e| unavailable(&e)),
            Backend::Cookie(_) | Backend::Adapter(_) => Ok(None),
        };
        Io::Done(text.and_then(|t| match t {
            None => Ok(None),
            Some(t) => parse_stored(unseal(&t)?),
        }))
    }

    pub fn save_io(&self, t: &TokenSet) -> Io<Result<(), Error>> {
        if let Some(a) = self.adapter() {
            return call_adapter(&a, "save", Some(&json::object(|o| t.to_stored().write(o))), |r| r.map(drop));
        }
        if let Some(j) = self.jar() {
            let turn = self.writes.get().wrapping_add(1);
            self.writes.set(turn);
            let t = t.clone();
            return Io::Wait(
                seal_text(&j.name, &json::object_text(|o| t.to_stored().write(o))),
                Box::new(move |store, r| {
                    let v = r.map_err(|e| key_unavailable(&e))?;
                    if store.writes.get() != turn {
                        return Ok(()); // a newer save or a clear began meanwhile
                    }
                    if store.jar().is_some() {
                        let mut sealed = String::from(AEAD_PREFIX);
                        sealed.push_str(&v.as_string().unwrap_or_default());
                        return save_cookie(&j, &sealed, &t);
                    }
                    // Fell back to memory while sealing: the value goes there.
                    store.save_here(&t)
                }),
            );
        }
        Io::Done(self.save_here(t))
    }

    /// A save to sessionStorage or memory (synchronous).
    fn save_here(&self, t: &TokenSet) -> Result<(), Error> {
        match &*self.backend.borrow() {
            Backend::Memory | Backend::Adapter(_) => {
                *self.memory.borrow_mut() = Some(t.clone());
                Ok(())
            }
            Backend::Session(s) => s.set_item(&self.key, &seal(&json::object_text(|o| t.to_stored().write(o)))).map_err(|e| unavailable(&e)),
            Backend::Cookie(_) => Ok(()),
        }
    }

    /// Removes this session's keys only (never other apps' data).
    pub fn clear_io(&self) -> Io<()> {
        *self.memory.borrow_mut() = None;
        if let Some(a) = self.adapter() {
            return call_adapter(&a, "clear", None, drop);
        }
        match &*self.backend.borrow() {
            Backend::Memory | Backend::Adapter(_) => {}
            Backend::Session(s) => {
                let _ = s.remove_item(&self.key);
            }
            Backend::Cookie(j) => {
                self.writes.set(self.writes.get().wrapping_add(1));
                delete_cookies(j);
            }
        }
        Io::Done(())
    }

    /// [`Store::load_io`], awaited (for Rust callers and the tests; the driver uses the callbacks).
    pub async fn load(&self) -> Result<Option<TokenSet>, Error> {
        self.load_io().wait(self).await
    }

    pub async fn save(&self, t: &TokenSet) -> Result<(), Error> {
        self.save_io(t).wait(self).await
    }

    pub async fn clear(&self) {
        self.clear_io().wait(self).await
    }
}

/// A storage operation's outcome: now, or when a JS promise settles, through a callback that reads the settled
/// value. No future: the driver hands the promise to JS (`Driver::after`) and feeds the callback's result to the
/// engine.
pub enum Io<T> {
    Done(T),
    Wait(Promise, Then<T>),
}

pub type Then<T> = Box<dyn FnOnce(&Store, Result<JsValue, JsValue>) -> T>;

impl<T> Io<T> {
    pub async fn wait(self, store: &Store) -> T {
        match self {
            Io::Done(v) => v,
            Io::Wait(p, then) => then(store, JsFuture::from(p).await),
        }
    }
}

/// Calls `adapter[name](arg)`; `done` gets its value at once when it is a plain value, else when its promise
/// settles.
fn call_adapter<T: 'static>(
    a: &JsValue,
    name: &str,
    arg: Option<&JsValue>,
    done: impl FnOnce(Result<JsValue, Error>) -> T + 'static,
) -> Io<T> {
    let Some(f) = browser::as_function(browser::get(a, name)) else {
        return Io::Done(done(Err(HostFailure::AdapterMethod.into())));
    };
    let r = match arg {
        Some(x) => f.call1(a, x),
        None => f.call0(a),
    };
    match r.map(|v| v.dyn_into::<Promise>()) {
        Ok(Ok(p)) => Io::Wait(p, Box::new(move |_, r| done(r.map_err(|e| unavailable(&e))))),
        Ok(Err(v)) => Io::Done(done(Ok(v))),
        Err(e) => Io::Done(done(Err(unavailable(&e)))),
    }
}

/// Planted or edited: every copy this page can reach goes, not only the one it would write.
fn purge_if_corrupt<T>(j: &Jar, r: Result<T, Error>) -> Result<T, Error> {
    if matches!(&r, Err(e) if e.is_corrupt_storage()) {
        purge(j);
    }
    r
}

/// Stored JSON text (the browser's `JSON.parse`, then the field-by-field read).
fn parse_stored(body: &str) -> Result<Option<TokenSet>, Error> {
    let v = js_sys::JSON::parse(body).map_err(|_| corrupt())?;
    TokenSet::from_stored(StoredTokens::read(&v).map_err(|_| corrupt())?).map(Some)
}

/// Whether this page can hold a `__Host-` cookie (https; Chromium also on http loopback): a probe written,
/// read back and removed.
fn host_prefix_works(d: &web_sys::HtmlDocument) -> bool {
    const PROBE: &str = "__Host-oss-probe";
    let _ = d.set_cookie(&cookie::set_cookie_string(PROBE, "1", Some(10), true));
    let ok = d.cookie().is_ok_and(|jar| cookie::cookie_names_with_prefix(&jar, PROBE).iter().any(|n| n == PROBE));
    let _ = d.set_cookie(&cookie::delete_cookie_string(PROBE, true));
    ok
}

fn chunk_prefix(name: &str) -> String {
    let mut p = name.to_string();
    p.push('.');
    p
}

/// The cookie's sealed value, read and checked for planted copies: `Ok(Some(promise of the opened text))`.
fn open_cookie(j: &Jar) -> Result<Option<Promise>, Error> {
    let jar = j.doc.cookie().map_err(|e| unavailable(&e))?;
    if cookie::has_duplicate(&jar, &chunk_prefix(&j.name)) {
        return Err(corrupt_with(Some("a session cookie appears more than once (planted with another Domain or Path)")));
    }
    let Some(text) = cookie::read_split_cookie(&jar, &j.name)? else { return Ok(None) };
    Ok(Some(open_text(&j.name, aead_body(&text)?)))
}

fn corrupt_with(what: Option<&'static str>) -> Error {
    HostFailure::Corrupt(what).into()
}

/// No IndexedDB or WebCrypto: cookies are not used unsealed; the caller falls back to memory.
fn key_unavailable(v: &JsValue) -> Error {
    js_error::failed(HostFailure::SealKey, v)
}

fn save_cookie(j: &Jar, text: &str, t: &TokenSet) -> Result<(), Error> {
    let d = &j.doc;
    // As long as the tokens can serve and no longer (a session cookie when the refresh token's end is unknown).
    let max_age = cookie::cookie_max_age_s(t, browser::now_ms());
    let parts = cookie::split_into_cookies(&j.name, text);
    // Drop chunks of a longer previous value first, so a reader never joins old and new pieces; planted copies
    // (another Domain or Path) go too, or the next read would see the name twice.
    purge(j);
    for (name, value) in &parts {
        d.set_cookie(&cookie::set_cookie_string(name, value, max_age, j.secure))
            .map_err(|e| unavailable(&e))?;
    }
    // A browser that silently refused the cookie (too large, blocked) must not look like success, nor may a
    // planted copy this page cannot remove.
    let jar = d.cookie().map_err(|e| unavailable(&e))?;
    if cookie::has_duplicate(&jar, &chunk_prefix(&j.name)) {
        return Err(HostFailure::Storage(Some("a planted copy of the session cookie cannot be removed".into())).into());
    }
    match cookie::read_split_cookie(&jar, &j.name) {
        Ok(Some(back)) if back == text => Ok(()),
        _ => Err(HostFailure::Storage(Some("the browser refused the cookie".into())).into()),
    }
}

/// Our own cookies (host-only, `Path=/`): what a save wrote.
fn delete_cookies(j: &Jar) {
    let jar = j.doc.cookie().unwrap_or_default();
    for name in cookie::cookie_names_with_prefix(&jar, &chunk_prefix(&j.name)) {
        let _ = j.doc.set_cookie(&cookie::delete_cookie_string(&name, j.secure));
    }
}

/// Every copy of every chunk name visible here, whatever its Domain or Path (a `__Host-` name has only ours).
fn purge(j: &Jar) {
    if j.name.starts_with(cookie::HOST_PREFIX) {
        return delete_cookies(j);
    }
    let jar = j.doc.cookie().unwrap_or_default();
    let names = cookie::cookie_names_with_prefix(&jar, &chunk_prefix(&j.name));
    let loc = browser::window().location();
    let host = loc.hostname().unwrap_or_default();
    let path = loc.pathname().unwrap_or_default();
    for name in names {
        for line in cookie::removal_strings(&name, &host, &path, j.secure) {
            let _ = j.doc.set_cookie(&line);
        }
    }
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    /// AES-GCM under the origin's key for `name` (created on first use): base64url of iv ‖ ciphertext.
    /// Rejects when IndexedDB or WebCrypto is unavailable.
    #[wasm_bindgen(js_name = sealText)]
    fn seal_text(name: &str, text: &str) -> Promise;
    /// The text, or `null` when the value does not open; rejects when no key can be had.
    #[wasm_bindgen(js_name = openText)]
    fn open_text(name: &str, body: &str) -> Promise;
}
