//! Carries out the engine's commands in the browser and feeds back what happened. No decisions here: the
//! engine (src/engine) says what to send, store, lock, broadcast, arm and emit; this file only knows how.

use core::cell::RefCell;
use alloc::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use web_sys::{Request, Response};

use crate::engine::{CallId, Caps, Command, Engine, Input, Instant, Notice, OpId, Proof, SessionEvent, Value, FRAME_CALL, TOKEN_TIMEOUT_MS};
use crate::protocol::handover_message::Kind;
use crate::protocol::{api_answer, parse_redirect, unauthorized, ApiAnswer, Config, Error, HostFailure};
use crate::web::pending::{Answer, Calls};
use crate::web::events::Listeners;
use crate::web::store::{Io, Store};
use crate::web::tab_group::Group;
use crate::web::tabs::{self, Tabs};
use crate::web::{browser, js_error, http, json};

pub struct Driver {
    pub cfg: Config,
    pub store: Store,
    pub engine: RefCell<Engine>,
    pub calls: Calls,
    pub listeners: Listeners,
    /// `server` + `/`: what relative `session.fetch` URLs resolve against (a JS string, made once).
    base: JsValue,
    tabs: RefCell<Option<Tabs>>,
    /// Tabs on per-tab storage that join one session (web/tab_group.rs).
    group: RefCell<Option<Group>>,
    lock_release: RefCell<Option<Function>>,
    /// The one timer, armed for the engine's `poll_timeout()`: the deadline it was armed for, and its handle.
    timer: core::cell::Cell<Option<(Instant, i32)>>,
    hooks: RefCell<Option<Hooks>>,
    /// The I/O in flight: what to do with each promise's outcome ([`Driver::after`]).
    ios: RefCell<Vec<(u32, Then)>>,
    next_io: core::cell::Cell<u32>,
    disposed: core::cell::Cell<bool>,
    /// The silent renewal's iframe while one runs (web/silent_frame.rs).
    pub(crate) frame: RefCell<Option<crate::web::window_handover::Frame>>,
    /// The windows of popup logins in progress (web/popup.rs).
    pub(crate) popups: RefCell<Vec<crate::web::window_handover::Popup>>,
}

/// What to do with a promise's outcome ([`Driver::after`]).
pub(crate) type Then = Box<dyn FnOnce(&Rc<Driver>, Result<JsValue, JsValue>)>;

/// Every callback from JS reaches the driver through one hook, `(id, value, ok)`. An app call's response has its
/// `CallId` (counted up from 1); the rest carry this bit: the page's wake-ups, the other tabs' notices and the
/// engine's timer as fixed numbers, and each promise awaited ([`Driver::after`]) its own from
/// `FIRST_TICKET` on.
const IO: u32 = 1 << 31;
const WAKE: u32 = IO | 1;
const NOTICE: u32 = IO | 2;
const TIMER: u32 = IO | 4;
const FIRST_TICKET: u32 = IO | 16;
/// With an app call's id: its `AbortSignal` fired (glue.js `watchAbort`), the signal's reason as the value.
const ABORT: u32 = 1 << 30;

/// The long-lived JS callbacks, made once per session (no closure per call). JS owns them (`into_js_value`; its
/// GC frees them) and they hold only a `Weak` of the driver: a listener or a response that outlives a session
/// dropped without `dispose()` (`free()`, or the GC) finds a function that does nothing, not a destroyed closure.
struct Hooks {
    /// The hook itself.
    on_response: Function,
    /// `() => hook(WAKE)`: the window and document listener.
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
            engine: RefCell::new(Engine::new(cfg.clone(), caps, Box::new(browser::BrowserRandom))),
            cfg,
            store,
            calls: Calls::default(),
            listeners: Listeners::default(),
            base: JsValue::from_str(&base),
            tabs: RefCell::new(None),
            group: RefCell::new(None),
            lock_release: RefCell::new(None),
            timer: core::cell::Cell::new(None),
            hooks: RefCell::new(None),
            ios: RefCell::new(Vec::new()),
            next_io: core::cell::Cell::new(0),
            disposed: core::cell::Cell::new(false),
            frame: RefCell::new(None),
            popups: RefCell::new(Vec::new()),
        });
        let hooks = Hooks::new(&d);
        // Shared storage's channel, or (tabs on sessionStorage that join) the group's: web/tab_group.rs.
        let group = if caps.shared { None } else { Group::new(&d.cfg, d.store.kind_name()) };
        if let Some(name) = if caps.shared { Some(d.cfg.lock_name()) } else { group.as_ref().map(|g| g.name.clone()) } {
            *d.tabs.borrow_mut() = Tabs::open(&name, &bind_hook(&hooks.on_response, NOTICE, true));
        }
        if d.tabs.borrow().is_some() && group.is_some() {
            *d.group.borrow_mut() = group;
            d.engine.borrow_mut().join_tabs();
        }
        *d.hooks.borrow_mut() = Some(hooks);
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
        self.engine.borrow_mut().handle(Instant::from_ms(Self::now()), input);
        loop {
            let c = self.engine.borrow_mut().poll();
            match c {
                Some(c) => self.exec(c),
                None => break,
            }
        }
        self.arm_timer();
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
        self.after(&Promise::resolve(&JsValue::UNDEFINED), Box::new(move |me, _| me.feed(Input::Start { ready, storage_problem })));
        p
    }

    /// `session.fetch`: the request is built first (relative URLs against `server`), then the engine decides.
    pub fn fetch(self: &Rc<Self>, input: &JsValue, init: &JsValue) -> Promise {
        // A relative URL string resolves under `server`'s path, with or without a leading `/` (protocol::resolve_api_url).
        let resolved = input.as_string().map(|s| JsValue::from_str(&crate::protocol::resolve_api_url(&self.cfg.server, &s)));
        // Without DPoP a body-less request to a URL string needs no `Request` object (glue.js `makeRequest`).
        let req = match make_request(resolved.as_ref().unwrap_or(input), init, &self.base, !self.cfg.dpop) {
            Ok(Some(r)) => r,
            Ok(None) => return Promise::reject(&js_error::to_js(&HostFailure::NoRequest.into())),
            Err(e) => return Promise::reject(&e),
        };
        // The origin by the browser's own URL parser: the one `fetch` obeys.
        let origin = origin_of(&req);
        let id = self.calls.open(Some(req));
        self.feed(Input::Fetch { call: id, origin });
        let p = self.calls.promise(id);
        if let Some(h) = self.hooks.borrow().as_ref() {
            watch_abort(input, init, &h.on_response, id | ABORT, &p);
        }
        p
    }

    fn exec(self: &Rc<Self>, c: Command) {
        match c {
            Command::Load { op } => self.store_io(self.store.load_io(), move |result| Input::Loaded { op, result }),
            Command::Save { op, tokens } => self.store_io(self.store.save_io(&tokens), move |result| Input::Saved { op, result }),
            Command::Clear { op } => self.store_io(self.store.clear_io(), move |()| Input::Cleared { op }),
            // The channel stays open: the engine ignores the other tabs from now on, except a logout (the
            // session this tab keeps in memory came from the shared one).
            Command::UseMemory => self.store.fall_back_to_memory(),
            Command::SendToken { id, url, form, timeout_ms, proof: Some(p) } => self.dpop_send_token(id, url, form, timeout_ms, p),
            Command::SendToken { id, url, form, timeout_ms, proof: None } => {
                let sent_at = Self::now();
                self.after(&http::post_form(&url, &form, timeout_ms, None), Box::new(move |me, r| {
                    let (result, dpop_nonce) = http::token_reply(r, sent_at, false);
                    me.feed(Input::TokenReply { id, result, dpop_nonce })
                }));
            }
            Command::SendRevoke { call, url, form, proof: Some(p) } => self.dpop_revoke(call, url, form, p),
            Command::SendRevoke { call, url, form, proof: None } => {
                self.after(&http::post_form(&url, &form, TOKEN_TIMEOUT_MS, None), Box::new(move |me, _| me.feed(Input::RevokeDone { call, dpop_nonce: None })));
            }
            Command::ExchangeCode { call, url, form, proof: Some(p) } => self.dpop_exchange_code(call, url, form, p),
            Command::ExchangeCode { call, url, form, proof: None } => {
                let sent_at = Self::now();
                self.after(&http::post_form(&url, &form, TOKEN_TIMEOUT_MS, None), Box::new(move |me, r| {
                    let (result, dpop_nonce) = http::token_reply(r, sent_at, false);
                    me.feed(Input::Exchanged { call, result, dpop_nonce })
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
                    Ok(Value::Text(t)) => Answer::Value(JsValue::from_str(&t)),
                    Err(e) => Answer::Reject(js_error::to_js(&e)),
                };
                self.calls.answer(call, a, true);
            }
            Command::Lock { id, name, timeout_ms } => self.lock(id, &name, timeout_ms),
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
            Command::Emit(e) => self.emit(&e),
            Command::CancelSilent => self.cancel_silent(),
            Command::Digest { call, text } => self.digest(call, text),
            Command::SaveTransaction { call, tx } => {
                let result = self.save_transaction(&tx);
                self.feed(Input::TransactionSaved { call, result });
            }
            Command::Authorize { call, kind: Kind::Frame, url, .. } => self.show_frame(call, &url),
            Command::Authorize { call, url, state, timeout_ms, .. } => self.show_popup(call, &url, &state, timeout_ms),
            Command::EndLogin { call: FRAME_CALL } => self.cancel_silent(),
            Command::EndLogin { call } => self.end_popup(call),
            Command::ReplaceUrl { url } => browser::replace_url(&url),
            Command::AskTabs { op, timeout_ms } => {
                let asked = match (self.group.borrow().as_ref(), self.tabs.borrow().as_ref()) {
                    (Some(g), Some(t)) => Some(g.ask(t.channel(), timeout_ms)),
                    _ => None,
                };
                match asked {
                    Some(p) => self.after(&p, Box::new(move |me, r| {
                        let (pairs, silent) = crate::web::tab_group::answers(r);
                        me.feed(Input::TabsAnswered { op, pairs, silent })
                    })),
                    None => self.feed(Input::TabsAnswered { op, pairs: Vec::new(), silent: 0 }),
                }
            }
            Command::AnswerTab { id, tokens } => Group::answer(&id, tokens.as_ref()),
            Command::Present(on) => self.present(on),
        }
    }

    /// What a login's hand-over listener calls with the callback URL it received.
    pub(crate) fn handover_to(self: &Rc<Self>, call: CallId) -> Rc<dyn Fn(String)> {
        let w = Rc::downgrade(self);
        Rc::new(move |url: String| {
            let (search, hash) = browser::url_parts(&url);
            feed_weak(&w, Input::Handover { call, response: parse_redirect(&search, &hash) });
        })
    }

    /// Storage answers at once for sessionStorage and memory (so `session.fetch` stays synchronous on its hot
    /// path); the cookie seal's and an app backend's promises answer through [`Driver::after`].
    fn store_io<T: 'static>(self: &Rc<Self>, io: Io<T>, input: impl FnOnce(T) -> Input + 'static) {
        match io {
            Io::Done(v) => self.feed(input(v)),
            Io::Wait(p, then) => self.after(&p, Box::new(move |me, r| {
                let v = then(&me.store, r);
                me.feed(input(v))
            })),
        }
    }

    /// Runs `then` with the outcome of `p` once it settles: the browser layer's one way to wait. A numbered
    /// callback in a list, and JS's own `then` (glue.js `track`, through the long-lived hook): no future, no
    /// executor, nothing generated per I/O.
    pub(crate) fn after(self: &Rc<Self>, p: &Promise, then: Then) {
        let id = self.ticket(then);
        if let Some(h) = self.hooks.borrow().as_ref() {
            let _ = track(p, id, &h.on_response);
        }
    }

    /// Keeps `then` for the hook's call with the number returned.
    fn ticket(&self, then: Then) -> u32 {
        let id = (self.next_io.get().wrapping_add(1) | IO).max(FIRST_TICKET);
        self.next_io.set(id);
        self.ios.borrow_mut().push((id, then));
        id
    }

    fn take_ticket(&self, id: u32) -> Option<Then> {
        let mut ios = self.ios.borrow_mut();
        ios.iter().position(|(k, _)| *k == id).map(|i| ios.swap_remove(i).1)
    }

    /// A callback from JS that is not an app call's response.
    fn resume(self: &Rc<Self>, id: u32, v: JsValue, ok: bool) {
        match id {
            WAKE => self.feed(Input::Wake),
            // A notice, or an ask of a tab that joins (`ask:<id>`, web/tab_group.rs).
            NOTICE => {
                let Some(text) = v.as_string() else { return };
                if let Some(id) = text.strip_prefix("ask:") {
                    self.feed(Input::TabsAsked { id: id.into() });
                } else if let Some(n) = Notice::from_wire(&text) {
                    self.feed(Input::Broadcast(n));
                }
            }
            TIMER => {
                self.timer.set(None);
                self.feed(Input::Timeout);
            }
            _ => {
                if let Some(then) = self.take_ticket(id) {
                    then(self, if ok { Ok(v) } else { Err(v) });
                }
            }
        }
    }

    fn send_api(self: &Rc<Self>, call: CallId, token: Option<&str>, retry: bool, proof: Option<Proof>) {
        let Some((req, spare)) = self.calls.with(call, |c| {
            c.on_wire = true;
            (c.request.clone(), c.spare.clone())
        }) else {
            // Answered while it waited (the app's signal aborted it): never sent; the engine hears it failed.
            return self.feed(Input::ApiResponse { call, status: 0, error: None, dpop_nonce: None });
        };
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
    fn send_dpop(self: &Rc<Self>, call: CallId, req: JsValue, token: String, p: Proof) {
        // With DPoP every request is a `Request` (`makeRequest`'s `light` is off).
        let r = req.unchecked_ref::<Request>();
        self.with_proof(&r.method(), &r.url(), p.nonce.as_deref(), Some(&token.clone()), false, Box::new(move |me, proof| match proof {
            Ok(proof) => me.chain(call, &send_with_dpop(&req, &token, &proof)),
            Err(e) => drop(me.on_response(call, js_error::to_js(&e), false)),
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

    /// The app's signal aborted `call`. On the wire, its `fetch` carries the signal and fails by itself; while it
    /// waits (the restore, a refresh) it is reported as failed with the signal's reason, and the engine answers it
    /// now and never sends it.
    fn aborted(self: &Rc<Self>, call: CallId, reason: JsValue) {
        let waiting = self.calls.with(call, |c| {
            if !c.on_wire {
                c.response = reason;
                c.failed = true;
            }
            !c.on_wire
        });
        if waiting == Some(true) {
            self.feed(Input::ApiResponse { call, status: 0, error: None, dpop_nonce: None });
        }
    }

    /// A response (or a network failure) for `call`: the engine decides whether the app sees it.
    fn on_response(self: &Rc<Self>, call: CallId, v: JsValue, ok: bool) -> JsValue {
        self.calls.with(call, |c| {
            c.response = v.clone();
            c.failed = !ok;
            c.on_wire = false;
        });
        // The answer read through gloo-net's `Response` (a network failure has none): its status, and the headers
        // protocol::response reads. DPoP: every answer's `DPoP-Nonce` goes with it to the engine.
        let res = ok.then(|| gloo_net::http::Response::from(v.clone().unchecked_into::<Response>()));
        let status = res.as_ref().map_or(0, |r| r.status());
        let (dpop_nonce, www_authenticate) = match &res {
            Some(res) => {
                let headers = res.headers();
                (headers.get("DPoP-Nonce").filter(|_| self.cfg.dpop), headers.get("WWW-Authenticate"))
            }
            None => (None, None),
        };
        match api_answer(status, www_authenticate.as_deref(), self.cfg.dpop) {
            ApiAnswer::Known(error) => self.feed(Input::ApiResponse { call, status, error, dpop_nonce }),
            ApiAnswer::ReadBody => {
                // Read from a copy: the app gets the original.
                let peek = peek_text(v.unchecked_ref(), crate::protocol::MAX_BODY_BYTES as u32);
                self.after(&peek, Box::new(move |me, text| {
                    let text = text.ok().and_then(|t| t.as_string());
                    let error = Some(unauthorized(&json::body(text.as_deref())));
                    me.feed(Input::ApiResponse { call, status, error, dpop_nonce });
                }));
            }
        }
        self.calls.value(call)
    }

    /// The lock's work (glue.js `lockWork`) hands the hook the function that releases it; a request that timed
    /// out never runs it, and its ticket goes.
    fn lock(self: &Rc<Self>, id: OpId, name: &str, timeout_ms: u32) {
        let Some(hook) = self.hooks.borrow().as_ref().map(|h| h.on_response.clone()) else { return };
        let granted = self.ticket(Box::new(move |me, release| {
            *me.lock_release.borrow_mut() = release.ok().map(JsCast::unchecked_into);
            me.feed(Input::LockGranted { id });
        }));
        let p = tabs::with_lock(name, timeout_ms, &lock_work(&hook, granted));
        self.after(&p, Box::new(move |me, r| {
            if r.is_err() {
                drop(me.take_ticket(granted));
                me.feed(Input::LockTimedOut { id });
            }
        }));
    }

    fn present(&self, on: bool) {
        if let Some(g) = self.group.borrow().as_ref() {
            g.present(on);
        }
    }

    /// One timer for the engine's next deadline (`poll_timeout()`): re-arming replaces it.
    fn arm_timer(self: &Rc<Self>) {
        let at = self.engine.borrow().poll_timeout();
        if self.disposed.get() || self.timer.get().map(|(a, _)| a) == at {
            return;
        }
        self.disarm();
        let hooks = self.hooks.borrow();
        if let (Some(at), Some(h)) = (at, hooks.as_ref()) {
            let ms = (at.as_ms() - Self::now()).max(0.0) as u32;
            self.timer.set(Some((at, set_timer_js(ms, &h.on_response, TIMER))));
        }
    }

    fn disarm(&self) {
        if let Some((_, handle)) = self.timer.take() {
            clear_timer(handle);
        }
    }

    fn emit(&self, e: &SessionEvent) {
        self.listeners.emit(e);
    }

    /// A tab that slept or went offline must not send an expired token: re-check when it is seen or online, or
    /// the browser resumes it from frozen (tabs that join: it may have missed the others' notices meanwhile).
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
                let _ = d.add_event_listener_with_callback("resume", f);
            }
        } else {
            let _ = w.remove_event_listener_with_callback("online", f);
            if let Some(d) = d {
                let _ = d.remove_event_listener_with_callback("visibilitychange", f);
                let _ = d.remove_event_listener_with_callback("resume", f);
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
        self.disarm();
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
            move |id: u32, v: JsValue, ok: bool| match w.upgrade() {
                Some(me) if id & IO != 0 => {
                    me.resume(id, v, ok);
                    JsValue::UNDEFINED
                }
                Some(me) if id & ABORT != 0 => {
                    me.aborted(id & !ABORT, v);
                    JsValue::UNDEFINED
                }
                Some(me) => me.on_response(id, v, ok),
                None => v,
            },
        );
        let on_response: Function = on_response.into_js_value().unchecked_into();
        let wake = bind_hook(&on_response, WAKE, false);
        Hooks { on_response, wake }
    }
}

impl Drop for Driver {
    /// Dropped without `dispose()`: the window listeners and the timers go with it.
    fn drop(&mut self) {
        self.watch_wakeups(false);
        self.disarm();
    }
}

pub(crate) fn feed_weak(w: &Weak<Driver>, input: Input) {
    if let Some(me) = w.upgrade() {
        me.feed(input);
    }
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeRequest, catch)]
    fn make_request(input: &JsValue, init: &JsValue, base: &JsValue, light: bool) -> Result<Option<JsValue>, JsValue>;
    #[wasm_bindgen(js_name = watchAbort)]
    fn watch_abort(input: &JsValue, init: &JsValue, hook: &Function, id: u32, p: &Promise);
    #[wasm_bindgen(js_name = originOf)]
    fn origin_of(req: &JsValue) -> String;
    #[wasm_bindgen(js_name = sendWithToken)]
    fn send_with_token(req: &JsValue, token: &str) -> Promise;
    #[wasm_bindgen(js_name = sendWithDpop)]
    fn send_with_dpop(req: &JsValue, token: &str, proof: &str) -> Promise;
    /// A copy's body as text, `null` past `max` bytes (the copy's stream is cancelled there); rejects if the
    /// body cannot be read.
    #[wasm_bindgen(js_name = peekText)]
    fn peek_text(res: &Response, max: u32) -> Promise;
    /// `req.clone()` when it has a body, else `req` itself (a body-less request is never consumed).
    #[wasm_bindgen(js_name = spareOf, catch)]
    fn spare_of(req: &JsValue) -> Result<JsValue, JsValue>;
    /// `p.then(r => f(call, r, true), e => f(call, e, false))`.
    fn track(p: &Promise, call: CallId, f: &Function) -> Promise;
    /// `(e) => hook(id, data ? e.data : undefined, true)`.
    #[wasm_bindgen(js_name = bindHook)]
    fn bind_hook(hook: &Function, id: u32, data: bool) -> Function;
    /// `() => new Promise((release) => hook(id, release, true))`: holds a Web Lock until `release` is called.
    #[wasm_bindgen(js_name = lockWork)]
    fn lock_work(hook: &Function, id: u32) -> Function;
    /// `setTimeout(hook, ms, id, undefined, true)`.
    #[wasm_bindgen(js_name = setTimer)]
    fn set_timer_js(ms: u32, hook: &Function, id: u32) -> i32;
    #[wasm_bindgen(js_name = clearTimer)]
    fn clear_timer(handle: i32);
    /// The page's own `fetch` of the request as the app made it: not ours to authenticate.
    #[wasm_bindgen(js_name = sendPlain)]
    fn send(req: &JsValue) -> Promise;
}
