#![cfg(target_arch = "wasm32")]
//! A plain web-sys app on the Rust API of oauth-spa-session (`oauth_spa_session::native::Session`): log in
//! with PKCE, call the RingCentral API with `session.fetch`, log out, and show the session's events.
//! The page is index.html; `bash scripts/build-example.sh` builds `pkg/`; tests/e2e/rust_example.test.mjs
//! drives it in headless Chromium against the emulator. On the host this crate compiles to nothing.

use std::cell::Cell;
use std::future::Future;
use std::rc::{Rc, Weak};

use oauth_spa_session::protocol::{Config, Error, TokenInfo};
use oauth_spa_session::native::{Session, SessionEvent, Subscription};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Document, HtmlElement, Request, UrlSearchParams, Window};

/// One of the emulator's default apps: a public client that may receive refresh tokens.
const CLIENT_ID: &str = "demo-spa";
const API_PATH: &str = "/restapi/v1.0/account/~/extension/~";
/// `?server=` is remembered here for the return from the authorize page.
const SERVER_KEY: &str = "rust-app-example.server";

struct App {
    session: Session,
    /// The normalised server URL (API URLs are built from it).
    server: String,
    doc: Document,
    /// Set once `handle_redirect` has run: until then the page says "loading".
    ready: Cell<bool>,
    api_calls: Cell<u32>,
    _events: Subscription,
}

#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let win = web_sys::window().ok_or("no window")?;
    let doc = win.document().ok_or("no document")?;
    let loc = win.location();
    // The redirect URI is this page's own URL, without query or fragment (registered for `demo-spa`).
    let redirect_uri = format!("{}{}", loc.origin()?, loc.pathname()?);
    let mut cfg = Config::with_defaults(CLIENT_ID, &server_url(&win)?, &redirect_uri)
        .ok_or("the server must be an absolute http(s) URL")?;
    // Tokens stay in sessionStorage (the default); ask for a refresh token so an expired access token is
    // renewed instead of ending the session.
    cfg.refresh_tokens = true;
    let server = cfg.server.clone();

    let app = Rc::new_cyclic(|me: &Weak<App>| {
        let session = Session::new(cfg);
        let me = me.clone();
        let log_doc = doc.clone();
        let events = session.subscribe(move |e| {
            log_event(&log_doc, e);
            // Re-render after the session has finished handling the event.
            let me = me.clone();
            spawn_local(async move {
                if let Some(app) = me.upgrade() {
                    app.render();
                }
            });
        });
        App { session, server, doc, ready: Cell::new(false), api_calls: Cell::new(0), _events: events }
    });

    app.on_click("login", |app| async move {
        if let Err(e) = app.session.login().await {
            app.set_text("status", &format!("login failed: {}", describe(&e)));
        }
    })?;
    app.on_click("call", |app| app.call_api())?;
    app.on_click("logout", |app| async move {
        app.session.logout().await;
        app.render();
    })?;

    spawn_local(async move {
        // Consumes `?code=…&state=…` when this page load is the return from the authorize page.
        let result = app.session.handle_redirect().await;
        app.ready.set(true);
        app.render();
        if let Err(e) = result {
            app.set_text("status", &format!("login failed: {}", describe(&e)));
        }
    });
    Ok(())
}

/// `?server=URL` (remembered in sessionStorage), else this page's origin.
fn server_url(win: &Window) -> Result<String, JsValue> {
    let store = win.session_storage().ok().flatten();
    let given = UrlSearchParams::new_with_str(&win.location().search()?)?.get("server");
    if let Some(s) = given {
        if let Some(store) = &store {
            let _ = store.set_item(SERVER_KEY, &s);
        }
        return Ok(s);
    }
    match store.and_then(|s| s.get_item(SERVER_KEY).ok().flatten()) {
        Some(s) => Ok(s),
        None => win.location().origin(),
    }
}

impl App {
    fn el(&self, id: &str) -> Option<HtmlElement> {
        self.doc.get_element_by_id(id).and_then(|e| e.dyn_into::<HtmlElement>().ok())
    }

    fn set_text(&self, id: &str, text: &str) {
        if let Some(e) = self.el(id) {
            e.set_text_content(Some(text));
        }
    }

    fn show(&self, id: &str, visible: bool) {
        if let Some(e) = self.el(id) {
            e.set_hidden(!visible);
        }
    }

    fn render(&self) {
        if !self.ready.get() {
            return;
        }
        let logged_in = self.session.is_logged_in();
        let status = match self.session.token_info() {
            Some(TokenInfo { owner_id: Some(owner), .. }) if logged_in => format!("logged in as {owner}"),
            _ if logged_in => "logged in".to_string(),
            _ => "logged out".to_string(),
        };
        self.set_text("status", &status);
        self.show("login", !logged_in);
        self.show("call", logged_in);
        self.show("logout", logged_in);
    }

    /// Runs `f` on every click of `#id`.
    fn on_click<F, Fut>(self: &Rc<Self>, id: &str, f: F) -> Result<(), JsValue>
    where
        F: Fn(Rc<App>) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let button = self.el(id).ok_or_else(|| JsValue::from_str(&format!("no #{id}")))?;
        let app = self.clone();
        let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| spawn_local(f(app.clone())));
        button.add_event_listener_with_callback("click", cb.as_ref().unchecked_ref())?;
        cb.forget(); // the page's lifetime
        Ok(())
    }

    async fn call_api(self: Rc<Self>) {
        self.set_text("api-status", "pending");
        // An absolute URL: a `web_sys::Request` resolves a relative one against the page, not the server.
        let url = format!("{}{}", self.server, API_PATH);
        let (status, body) = match Request::new_with_str(&url) {
            Err(e) => ("error".to_string(), format!("{e:?}")),
            Ok(req) => match self.session.fetch(&req).await {
                Err(e) => ("error".to_string(), describe(&e)),
                Ok(res) => (res.status().to_string(), pretty(&text_of(&res).await)),
            },
        };
        self.set_text("api-status", &status);
        self.set_text("api-body", &body);
        self.api_calls.set(self.api_calls.get() + 1);
        self.set_text("api-calls", &self.api_calls.get().to_string());
        self.render();
    }
}

async fn text_of(res: &web_sys::Response) -> String {
    match res.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Indented JSON when the body is JSON, else the body as is.
fn pretty(body: &str) -> String {
    js_sys::JSON::parse(body)
        .and_then(|v| js_sys::JSON::stringify_with_replacer_and_space(&v, &JsValue::NULL, &JsValue::from(2)))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| body.to_string())
}

fn describe(e: &Error) -> String {
    let mut s = e.code.as_str().to_string();
    if let Some(status) = e.status {
        s.push_str(&format!(" (HTTP {status})"));
    }
    if let Some(code) = &e.error_code {
        s.push_str(&format!(" {code}"));
    }
    if let Some(d) = &e.description {
        s.push_str(&format!(": {d}"));
    }
    s
}

/// Token info only ever carries expiries, scope and owner: nothing here can print a token.
fn describe_info(info: &TokenInfo) -> String {
    let left = ((info.expires_at_ms - js_sys::Date::now()) / 1000.0).round();
    format!(
        "owner {}, expires in {left} s, refresh token: {}",
        info.owner_id.as_deref().unwrap_or("?"),
        if info.has_refresh_token { "yes" } else { "no" }
    )
}

fn log_event(doc: &Document, e: &SessionEvent) {
    let detail = match e {
        SessionEvent::Login(i) | SessionEvent::Refresh(i) | SessionEvent::Expiring(i) | SessionEvent::DpopDowngrade(i) => {
            describe_info(i)
        }
        SessionEvent::RefreshError(err) | SessionEvent::RateLimit(err) | SessionEvent::StorageFallback(err) => {
            describe(err)
        }
        SessionEvent::Expired(err) => err.as_ref().map(describe).unwrap_or_default(),
        SessionEvent::Change(Some(_)) => "logged in".to_string(),
        SessionEvent::Change(None) => "logged out".to_string(),
        SessionEvent::Logout => String::new(),
    };
    let line = if detail.is_empty() { e.name().to_string() } else { format!("{}: {detail}", e.name()) };
    web_sys::console::log_1(&JsValue::from_str(&format!("[rust-app] {line}")));
    if let (Some(list), Ok(item)) = (doc.get_element_by_id("events"), doc.create_element("li")) {
        item.set_text_content(Some(&line));
        item.set_attribute("data-event", e.name()).ok();
        let _ = list.append_child(&item);
    }
}
