//! The Rust API: the same session for a Rust wasm app (Leptos, Yew, plain web-sys), with `async` methods,
//! `web_sys` requests and responses, the core's [`Error`], and events as a Rust enum. It drives the very
//! engine and driver the JS `Session` class does; only the edges differ.
//!
//! ```ignore
//! let cfg = Config::with_defaults("client-id", "https://platform.ringcentral.com", "https://app.example/cb").unwrap();
//! let session = oauth_spa_session::native::Session::new(cfg);
//! if session.handle_redirect().await? { /* logged in */ }
//! let res = session.fetch(web_sys::Request::new_with_str("/restapi/v1.0/account/~")?).await?;
//! ```

use alloc::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub use crate::engine::SessionEvent;
pub use crate::protocol::{Config, Error, ErrorCode, TokenInfo};

use crate::engine::Input;
use crate::protocol::HostFailure;
use crate::web::driver::Driver;
use crate::web::js_error;

pub struct Session {
    driver: Rc<Driver>,
    ready: Promise,
}

/// Keeps a listener subscribed; dropping it (or calling [`Subscription::cancel`]) unsubscribes.
pub struct Subscription {
    driver: alloc::rc::Weak<Driver>,
    id: u32,
}

impl Subscription {
    pub fn cancel(self) {}
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(d) = self.driver.upgrade() {
            d.listeners.remove_native(self.id);
        }
    }
}

/// `f`: what a browser exception that reached the promise is.
async fn settle(p: Promise, f: fn(Option<String>) -> HostFailure) -> Result<JsValue, Error> {
    JsFuture::from(p).await.map_err(|e| js_error::from_session_error(&e, f))
}

impl Session {
    /// A session with `cfg` (see [`Config::with_defaults`]; set `storage`, `refresh_tokens`, `api_origins`…
    /// on it). Stored tokens are restored in the background: await [`Session::ready`].
    pub fn new(cfg: Config) -> Session {
        let (driver, ready) = Driver::open(cfg, None);
        Session { driver, ready }
    }

    /// Whether a user is logged in once the stored tokens are restored. Never fails.
    pub async fn ready(&self) -> bool {
        JsFuture::from(self.ready.clone()).await.ok().and_then(|v| v.as_bool()).unwrap_or(false)
    }

    /// The authorize URL for a new login (saves the PKCE verifier and state for the callback).
    pub async fn login_url(&self) -> Result<String, Error> {
        Ok(settle(self.driver.login_url(), HostFailure::Storage).await?.as_string().unwrap_or_default())
    }

    /// Navigates to the authorize URL.
    pub async fn login(&self) -> Result<(), Error> {
        let url = self.login_url().await?;
        crate::web::browser::navigate(&url).map_err(|e| js_error::failed(HostFailure::Network, &e))
    }

    /// Consumes the OAuth callback in the current URL; `Ok(false)` when this page load is not one.
    pub async fn handle_redirect(&self) -> Result<bool, Error> {
        if crate::web::window_handover::hand_over() {
            return Ok(false); // a popup's or silent frame's callback page: the window that started it finishes it
        }
        Ok(settle(self.driver.handle_redirect(), HostFailure::Storage).await?.as_bool().unwrap_or(false))
    }

    /// `fetch` with the bearer token for the API origins; other URLs are fetched untouched. A 401 that a
    /// refresh can fix is never returned. The browser resolves a relative URL in a `Request` against the page:
    /// use an absolute URL, or [`Session::fetch_path`].
    pub async fn fetch(&self, request: &web_sys::Request) -> Result<web_sys::Response, Error> {
        self.send(request.as_ref(), &JsValue::UNDEFINED).await
    }

    /// Like [`Session::fetch`] for a URL string, which may be relative to `server` (as in JS
    /// `session.fetch('/restapi/…')`), with optional `RequestInit`.
    pub async fn fetch_path(&self, url: &str, init: Option<&web_sys::RequestInit>) -> Result<web_sys::Response, Error> {
        let init = init.map(|i| JsValue::from(i.clone())).unwrap_or(JsValue::UNDEFINED);
        self.send(&JsValue::from_str(url), &init).await
    }

    async fn send(&self, input: &JsValue, init: &JsValue) -> Result<web_sys::Response, Error> {
        let v = settle(self.driver.fetch(input, init), HostFailure::Network).await?;
        v.dyn_into::<web_sys::Response>().map_err(|_| HostFailure::NotAResponse.into())
    }

    /// Refreshes now (joins a refresh already in flight).
    /// Logs in in a popup; call it from a click handler (the window is opened before the first await).
    pub async fn login_popup(&self) -> Result<(), Error> {
        settle(self.driver.login_popup(None, None), HostFailure::Network).await.map(|_| ())
    }

    /// New tokens without interaction: a refresh, or else a silent `prompt=none` renewal.
    pub async fn renew(&self) -> Result<(), Error> {
        settle(self.driver.call(|call| Input::Renew { call }), HostFailure::Network).await.map(|_| ())
    }

    pub async fn refresh(&self) -> Result<(), Error> {
        settle(self.driver.call(|call| Input::Refresh { call }), HostFailure::Network).await.map(|_| ())
    }

    /// Ends the session in every tab sharing storage, then revokes it at the server.
    pub async fn logout(&self) {
        let _ = settle(self.driver.call(|call| Input::Logout { call }), HostFailure::Network).await;
    }

    pub fn is_logged_in(&self) -> bool {
        self.driver.engine.borrow().is_logged_in(crate::engine::Instant::from_ms(Driver::now()))
    }

    /// Expiries, scope and owner — never token strings.
    pub fn token_info(&self) -> Option<TokenInfo> {
        self.driver.engine.borrow().token_info()
    }

    /// Calls `f` for every session event until the returned [`Subscription`] is dropped.
    pub fn subscribe(&self, f: impl Fn(&SessionEvent) + 'static) -> Subscription {
        let id = self.driver.listeners.add_native(Rc::new(f));
        Subscription { driver: Rc::downgrade(&self.driver), id }
    }

    /// Removes the listeners, timers and BroadcastChannel the session added to the page.
    pub fn dispose(&self) {
        self.driver.dispose();
    }
}
