//! Carries out the engine's commands in the browser and feeds back what happened. No decisions here: the
//! engine (src/engine) says what to send, store, lock, broadcast, arm and emit; this file only knows how.

use core::cell::RefCell;
use core::task::{Context, Poll, Waker};
use alloc::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

use crate::engine::{CallId, Caps, Command, Engine, Input, Proof, SessionEvent, TimerId, Value, TOKEN_TIMEOUT_MS};
use crate::protocol::{api_error, Config, Error};
use crate::web::pending::{Answer, Calls};
use crate::web::events::Listeners;
use crate::web::store::Store;
use crate::web::join::Group;
use crate::web::tabs::{self, Tabs};
use crate::web::task::{self, LocalFuture};
use crate::web::{browser, js_error, http, json};

pub struct Driver {
    pub cfg: Config,
    pub store: Store,
    pub engine: RefCell<Engine>,
    pub calls: Calls,
    pub listeners: Listeners,
    /// `server` + `/`: what relative `session.fetch` URLs resolve against.
    base: String,
    tabs: RefCell<Option<Tabs>>,
    /// Tabs on per-tab storage that join one session (web/join.rs).
    group: RefCell<Option<Group>>,
    lock_release: RefCell<Option<Function>>,
    timers: RefCell<[Option<Timeout>; 3]>,
    hooks: RefCell<Option<Hooks>>,
    disposed: core::cell::Cell<bool>,
    /// The silent renewal's iframe while one runs (web/silent_frame.rs).
    pub(crate) frame: RefCell<Option<crate::web::silent_frame::Frame>>,
}

/// The long-lived JS callbacks, made once per session (no closure per call). JS owns them (`into_js_value`; its
/// GC frees them) and they hold only a `Weak` of the driver: a listener or a response that outlives a session
/// dropped without `dispose()` (`free()`, or the GC) finds a function that does nothing, not a destroyed closure.
struct Hooks {
    on_response: Function,
    wake: Function,
}

impl Driver {
    /// Opens the configured storage (or the app's adapter) and starts the restore: the driver, and the promise
    /// that is `session.ready`. The one way the JS class and the Rust API make a session.
    pub fn open(cfg: Config, adapter: Option<JsValue>) -> (Rc<Driver>, Promise) {
        let (cfg, adapter) = crate::web::window_handover::inert_here(cfg, adapter);
        let (store, storage_problem) = Store::open(&cfg.storage, cfg.storage_key(), adapter);
        let driver = Driver::new(cfg, store);
        let ready = driver.start(storage_problem);
        (driver, ready)
    }

    fn new(cfg: Config, store: Store) -> Rc<Driver> {
        let caps = Caps { shared: store.is_shared(), locks: tabs::locks_available() };
        let mut base = cfg.server.clone();
        base.push('/');
        let d = Rc::new(Driver {
            engine: RefCell::new(Engine::new(cfg.clone(), caps)),
            cfg,
            store,
            calls: Calls::default(),
            listeners: Listeners::default(),
            base,
            tabs: RefCell::new(None),
            group: RefCell::new(None),
            lock_release: RefCell::new(None),
            timers: RefCell::new([None, None, None]),
            hooks: RefCell::new(None),
            disposed: core::cell::Cell::new(false),
            frame: RefCell::new(None),
        });
        // Shared storage's channel, or (tabs on sessionStorage that join) the group's: web/join.rs.
        let group = if caps.shared { None } else { Group::new(&d.cfg, d.store.kind_name()) };
        if let Some(name) = if caps.shared { Some(d.cfg.lock_name()) } else { group.as_ref().map(|g| g.name.clone()) } {
            let w = Rc::downgrade(&d);
            *d.tabs.borrow_mut() = Tabs::open(&name, move |i| feed_weak(&w, i));
        }
        if d.tabs.borrow().is_some() && group.is_some() {
            *d.group.borrow_mut() = group;
            d.engine.borrow_mut().join_tabs();
        }
        *d.hooks.borrow_mut() = Some(Hooks::new(&d));
        d.watch_wakeups(true);
        d
    }

    pub fn now() -> f64 {
        browser::now_ms()
    }

    /// One input, then every command it led to.
    pub fn feed(self: &Rc<Self>, input: Input) {
        if self.disposed.get() {
            return; // answers still in flight after dispose() change nothing
        }
        self.engine.borrow_mut().handle(Self::now(), input);
        loop {
            let c = self.engine.borrow_mut().poll();
            match c {
                Some(c) => self.exec(c),
                None => break,
            }
        }
    }

    /// An app call: registers it, feeds `input(call)`, and returns the promise the app gets.
    pub fn call(self: &Rc<Self>, input: impl FnOnce(CallId) -> Input) -> Promise {
        let id = self.calls.open(None);
        self.feed(input(id));
        self.calls.promise(id)
    }

    /// Restores from storage after the constructor returned, so the app's listeners (attached right after
    /// `new Session`) hear a `storageFallback`. The promise is `session.ready`.
    fn start(self: &Rc<Self>, storage_problem: Option<Error>) -> Promise {
        let ready = self.calls.open(None);
        let p = self.calls.promise(ready);
        let me = self.clone();
        task::spawn(Box::pin(async move { me.feed(Input::Start { ready, storage_problem }) }));
        p
    }

    /// `session.fetch`: the request is built first (relative URLs against `server`), then the engine decides.
    pub fn fetch(self: &Rc<Self>, input: &JsValue, init: &JsValue) -> Promise {
        if input.is_undefined() || input.is_null() {
            return Promise::reject(&js_error::to_js(&Error::new(crate::protocol::ErrorCode::InvalidRequest)));
        }
        // A relative URL string resolves under `server`'s path, with or without a leading `/` (protocol::resolve_api_url).
        let resolved = input.as_string().map(|s| JsValue::from_str(&crate::protocol::resolve_api_url(&self.cfg.server, &s)));
        let req = match make_request(resolved.as_ref().unwrap_or(input), init, &self.base) {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        // The origin by the browser's own URL parser: the one `fetch` obeys.
        let origin = web_sys::Url::new(&req.url()).map(|u| u.origin()).unwrap_or_else(|_| "null".into());
        let id = self.calls.open(Some(req));
        self.feed(Input::Fetch { call: id, origin });
        self.calls.promise(id)
    }

    fn exec(self: &Rc<Self>, c: Command) {
        match c {
            Command::Load { op } => {
                let me = self.clone();
                self.io(Box::pin(async move { Input::Loaded { op, result: me.store.load().await } }));
            }
            Command::Save { op, tokens } => {
                let me = self.clone();
                self.io(Box::pin(async move { Input::Saved { op, result: me.store.save(&tokens).await } }));
            }
            Command::Clear { op } => {
                let me = self.clone();
                self.io(Box::pin(async move {
                    me.store.clear().await;
                    Input::Cleared { op }
                }));
            }
            // The channel stays open: the engine ignores the other tabs from now on, except a logout (the
            // session this tab keeps in memory came from the shared one).
            Command::UseMemory => self.store.fall_back_to_memory(),
            Command::SendToken { url, form, timeout_ms, proof } => {
                let me = self.clone();
                task::spawn(Box::pin(async move {
                    let result = match proof {
                        None => http::token_request(&url, form, timeout_ms).await,
                        Some(p) => me.dpop_token_request(&url, form, timeout_ms, &p).await.0,
                    };
                    me.feed(Input::TokenReply { result });
                }));
            }
            Command::SendRevoke { call, url, form, proof } => {
                let me = self.clone();
                task::spawn(Box::pin(async move {
                    match proof {
                        None => drop(http::post_form(&url, form, TOKEN_TIMEOUT_MS).await),
                        Some(p) => me.dpop_revoke(&url, form, &p).await,
                    }
                    me.feed(Input::RevokeDone { call });
                }));
            }
            Command::SendApi { call, token, retry, proof } => {
                self.send_api(call, token.as_ref().map(|t| t.expose()), retry, proof)
            }
            Command::ForgetKey { delete } => self.dpop_forget(delete),
            Command::WarnWithheld { origin } => browser::warn(
                &[
                    "oauth-spa-session: session.fetch sent a request to ",
                    &origin,
                    " without the access token: that origin is not in the apiOrigins option (",
                    &self.cfg.api_origins.join(", "),
                    "). Add it there if it is your API.",
                ]
                .concat(),
            ),
            Command::Deliver { call } => {
                let (res, failed) = self.calls.with(call, |c| (c.response.clone(), c.failed)).unwrap_or_default();
                self.calls.answer(call, if failed { Answer::Reject(res) } else { Answer::Value(res) }, true);
            }
            Command::Settle { call, result } => {
                let a = match result {
                    Ok(Value::Unit) => Answer::Value(JsValue::UNDEFINED),
                    Ok(Value::Bool(b)) => Answer::Value(JsValue::from_bool(b)),
                    Err(e) => Answer::Reject(js_error::to_js(&e)),
                };
                self.calls.answer(call, a, true);
            }
            Command::Lock { name, timeout_ms } => self.lock(&name, timeout_ms),
            Command::Unlock => {
                if let Some(release) = self.lock_release.borrow_mut().take() {
                    let _ = release.call0(&JsValue::UNDEFINED);
                }
            }
            Command::UnlockAfter { ms } => {
                if let Some(release) = self.lock_release.borrow_mut().take() {
                    let _ = browser::window().set_timeout_with_callback_and_timeout_and_arguments_0(&release, ms as i32);
                }
            }
            Command::Broadcast(n) => {
                if let Some(t) = self.tabs.borrow().as_ref() {
                    t.announce(&n.to_wire());
                }
            }
            Command::SetTimer { timer, at_ms } => self.set_timer(timer, at_ms),
            Command::Emit(e) => self.emit(&e),
            Command::SilentRenew => {
                let me = self.clone();
                task::spawn(Box::pin(async move {
                    let result = me.silent_renew().await;
                    me.feed(Input::SilentDone { result });
                }));
            }
            Command::CancelSilent => self.cancel_silent(),
            Command::AskTabs { op, timeout_ms } => {
                let asked = match (self.group.borrow().as_ref(), self.tabs.borrow().as_ref()) {
                    (Some(g), Some(t)) => Some(g.ask(t.channel(), op, timeout_ms)),
                    _ => None,
                };
                self.io(asked.unwrap_or_else(|| Box::pin(async move { Input::TabsAnswered { op, pairs: Vec::new() } })));
            }
            Command::AnswerTab { id, tokens } => Group::answer(&id, tokens.as_ref()),
            Command::Present(on) => self.present(on),
        }
    }

    /// Storage answers at once for sessionStorage, cookies and memory (so `session.fetch` stays synchronous
    /// on its hot path); an app backend's promise is awaited.
    fn io(self: &Rc<Self>, mut f: LocalFuture<Input>) {
        let mut cx = Context::from_waker(Waker::noop());
        match f.as_mut().poll(&mut cx) {
            Poll::Ready(input) => self.feed(input),
            Poll::Pending => {
                let me = self.clone();
                task::spawn(Box::pin(async move {
                    let input = f.await;
                    me.feed(input);
                }));
            }
        }
    }

    fn send_api(self: &Rc<Self>, call: CallId, token: Option<&str>, retry: bool, proof: Option<Proof>) {
        let Some((req, spare)) = self.calls.with(call, |c| (c.request.clone(), c.spare.clone())) else { return };
        let Some(req) = (if retry { spare.or(req) } else { req }) else { return };
        let sent = match token {
            None => send(&req),
            Some(t) => {
                // A body can be read once: keep a copy for a retry after a 401 (a retry keeps one too: DPoP's
                // nonce challenge may come before it).
                let copy = match spare_of(&req) {
                    Ok(c) => c,
                    Err(e) => return self.calls.answer(call, Answer::Reject(e), true),
                };
                // The first send uses the app's request and keeps the copy; a retry sends a copy of the copy.
                let (req, keep) = if retry { (copy, req) } else { (req, copy) };
                self.calls.with(call, |c| c.spare = Some(keep));
                match proof {
                    None => send_with_token(&req, t),
                    Some(p) => return self.send_dpop(call, req, t.to_string(), p),
                }
            }
        };
        self.chain(call, &sent);
    }

    /// DPoP: the proof is signed first (asynchronously), then the request goes out; a signing failure reaches
    /// the app as this call's error.
    fn send_dpop(self: &Rc<Self>, call: CallId, req: Request, token: String, p: Proof) {
        let me = self.clone();
        task::spawn(Box::pin(async move {
            match me.dpop_proof(&req.method(), &req.url(), p.nonce.as_deref(), Some(&token)).await {
                Ok(proof) => me.chain(call, &send_with_dpop(&req, &token, &proof)),
                Err(e) => drop(me.on_response(call, js_error::to_js(&e), false)),
            }
        }));
    }

    /// The app's promise follows the request now on the wire; its response passes `on_response` first.
    fn chain(self: &Rc<Self>, call: CallId, sent: &Promise) {
        let hooks = self.hooks.borrow();
        let Some(h) = hooks.as_ref() else { return };
        let p = track(sent, call, &h.on_response);
        drop(hooks);
        self.calls.answer(call, Answer::Chain(p), false);
    }

    /// A response (or a network failure) for `call`: the engine decides whether the app sees it.
    fn on_response(self: &Rc<Self>, call: CallId, v: JsValue, ok: bool) -> JsValue {
        self.calls.with(call, |c| {
            c.response = v.clone();
            c.failed = !ok;
        });
        let status = if ok { v.unchecked_ref::<Response>().status() } else { 0 };
        // DPoP: every answer's `DPoP-Nonce` is kept, and a 401 may be the resource asking for one.
        let nonce_challenge = ok && self.cfg.dpop && {
            let res = v.unchecked_ref::<Response>();
            self.dpop_heard(&res.url(), res.headers().get("DPoP-Nonce").ok().flatten());
            status == 401
                && res.headers().get("WWW-Authenticate").ok().flatten().is_some_and(|h| crate::protocol::dpop_proof::is_nonce_challenge(&h))
        };
        if nonce_challenge {
            let error = Some(Error::new(crate::protocol::ErrorCode::Other(crate::protocol::dpop_proof::USE_DPOP_NONCE.into())).with_status(401));
            self.feed(Input::ApiResponse { call, status, error });
        } else if status == 401 {
            // The server's reason (OAU-xxx) decides whether the session is over; read it from a copy.
            let me = self.clone();
            let res: Response = v.unchecked_into();
            task::spawn(Box::pin(async move {
                let text = JsFuture::from(peek_text(&res, crate::protocol::MAX_BODY_BYTES as u32)).await.ok().and_then(|t| t.as_string());
                let body = http::error_body(text.as_deref().and_then(json::parse_body));
                let error = Some(api_error(401, body));
                me.feed(Input::ApiResponse { call, status, error });
            }));
        } else {
            self.feed(Input::ApiResponse { call, status, error: None });
        }
        self.calls.value(call)
    }

    fn lock(self: &Rc<Self>, name: &str, timeout_ms: u32) {
        let w = Rc::downgrade(self);
        let work = Closure::once(move || -> Promise {
            let mut release = None;
            let held = Promise::new(&mut |resolve, _| release = Some(resolve));
            if let Some(me) = w.upgrade() {
                *me.lock_release.borrow_mut() = release;
                me.feed(Input::LockGranted);
            }
            held
        });
        let p = tabs::with_lock(name, timeout_ms, work.as_ref().unchecked_ref());
        let me = self.clone();
        task::spawn(Box::pin(async move {
            let r = JsFuture::from(p).await;
            drop(work);
            if r.is_err() {
                me.feed(Input::LockTimedOut);
            }
        }));
    }

    fn present(&self, on: bool) {
        if let Some(g) = self.group.borrow().as_ref() {
            g.present(on);
        }
    }

    /// Re-arming replaces the timer; dropping a `Timeout` cancels it.
    fn set_timer(self: &Rc<Self>, timer: TimerId, at_ms: Option<f64>) {
        let next = at_ms.map(|at| {
            let ms = (at - Self::now()).max(0.0) as u32;
            let w = Rc::downgrade(self);
            Timeout::new(ms, move || feed_weak(&w, Input::Timer(timer)))
        });
        let old = core::mem::replace(&mut self.timers.borrow_mut()[timer as usize], next);
        drop(old);
    }

    fn emit(&self, e: &SessionEvent) {
        self.listeners.emit(e);
    }

    /// A tab that slept or went offline must not send an expired token: re-check when it is seen or online.
    fn watch_wakeups(&self, on: bool) {
        let hooks = self.hooks.borrow();
        let Some(h) = hooks.as_ref() else { return };
        let f = &h.wake;
        let w = browser::window();
        let d = w.document();
        if on {
            let _ = w.add_event_listener_with_callback("online", f);
            if let Some(d) = d {
                let _ = d.add_event_listener_with_callback("visibilitychange", f);
            }
        } else {
            let _ = w.remove_event_listener_with_callback("online", f);
            if let Some(d) = d {
                let _ = d.remove_event_listener_with_callback("visibilitychange", f);
            }
        }
    }

    /// Removes what the session added to the page: listeners, timers, the BroadcastChannel, a held lock.
    /// Pending calls never settle after this.
    pub fn dispose(&self) {
        if self.disposed.replace(true) {
            return;
        }
        self.watch_wakeups(false);
        let timers = core::mem::take(&mut *self.timers.borrow_mut());
        drop(timers);
        self.present(false);
        self.tabs.borrow_mut().take();
        self.cancel_silent();
        if let Some(release) = self.lock_release.borrow_mut().take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
        self.calls.clear();
        // The hooks stay alive: a response still on the wire calls `on_response`, which must find a live
        // closure (and then changes nothing, see `feed`).
    }
}

impl Hooks {
    fn new(d: &Rc<Driver>) -> Hooks {
        let w = Rc::downgrade(d);
        let on_response = Closure::<dyn FnMut(CallId, JsValue, bool) -> JsValue>::new(
            move |call: CallId, v: JsValue, ok: bool| match w.upgrade() {
                Some(me) => me.on_response(call, v, ok),
                None => v,
            },
        );
        let w = Rc::downgrade(d);
        let wake = Closure::<dyn FnMut()>::new(move || feed_weak(&w, Input::Wake));
        Hooks { on_response: on_response.into_js_value().unchecked_into(), wake: wake.into_js_value().unchecked_into() }
    }
}

impl Drop for Driver {
    /// Dropped without `dispose()`: the window listeners go with it.
    fn drop(&mut self) {
        self.watch_wakeups(false);
    }
}

fn feed_weak(w: &Weak<Driver>, input: Input) {
    if let Some(me) = w.upgrade() {
        me.feed(input);
    }
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeRequest, catch)]
    fn make_request(input: &JsValue, init: &JsValue, base: &str) -> Result<Request, JsValue>;
    #[wasm_bindgen(js_name = sendWithToken)]
    fn send_with_token(req: &Request, token: &str) -> Promise;
    #[wasm_bindgen(js_name = sendWithDpop)]
    fn send_with_dpop(req: &Request, token: &str, proof: &str) -> Promise;
    /// A copy's body as text, `null` past `max` bytes (the copy's stream is cancelled there); rejects if the
    /// body cannot be read.
    #[wasm_bindgen(js_name = peekText)]
    fn peek_text(res: &Response, max: u32) -> Promise;
    /// `req.clone()` when it has a body, else `req` itself (a body-less request is never consumed).
    #[wasm_bindgen(js_name = spareOf, catch)]
    fn spare_of(req: &Request) -> Result<Request, JsValue>;
    /// `p.then(r => f(call, r, true), e => f(call, e, false))`.
    fn track(p: &Promise, call: CallId, f: &Function) -> Promise;
}

#[wasm_bindgen]
extern "C" {
    /// The page's own `fetch`, for requests that are not ours to authenticate.
    #[wasm_bindgen(js_name = fetch)]
    fn send(req: &Request) -> Promise;
}
