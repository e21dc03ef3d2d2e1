//! The app's pending calls (fetch, refresh, logout, login, `ready`): the promise each returned and what it
//! settles with. Bookkeeping only: when a call settles is the engine's decision.

use core::cell::{Cell, RefCell};

use js_sys::{Function, Promise};
use wasm_bindgen::JsValue;

use crate::engine::CallId;

/// How a call ended before its promise existed (the engine answered synchronously).
pub enum Answer {
    /// Resolve with this value (a Response, or a plain value).
    Value(JsValue),
    /// Resolve with this promise (a request now on the wire).
    Chain(Promise),
    Reject(JsValue),
}

#[derive(Default)]
pub struct Call {
    /// The session's copy of the app's request (glue.js `makeRequest`: a `Request`, or a body-less request as
    /// `{ url, init }`), and its copy for a retry (a second one only when it has a body).
    pub request: Option<JsValue>,
    pub spare: Option<JsValue>,
    /// The last response the request got (or the network error, then `failed`).
    pub response: JsValue,
    pub failed: bool,
    /// Sent and not answered yet: an abort is then the browser's `fetch`'s to report.
    pub on_wire: bool,
    /// The promise handed to the app, once one exists.
    resolvers: Option<(Function, Function)>,
    answer: Option<Answer>,
}

/// A `Vec` searched by id, not a map: pending calls are few (a burst of a thousand is still a quick scan), and a
/// `BTreeMap` costs kilobytes of wasm. Order means nothing (a removal swaps the last entry in).
#[derive(Default)]
pub struct Calls {
    next: Cell<CallId>,
    map: RefCell<Vec<(CallId, Call)>>,
}

fn find(map: &mut [(CallId, Call)], id: CallId) -> Option<&mut Call> {
    map.iter_mut().find(|(k, _)| *k == id).map(|(_, c)| c)
}

fn remove(map: &mut Vec<(CallId, Call)>, id: CallId) {
    if let Some(i) = map.iter().position(|(k, _)| *k == id) {
        map.swap_remove(i);
    }
}

impl Calls {
    /// Registers a call (with the app's request, for a fetch) and gives it its number.
    pub fn open(&self, request: Option<JsValue>) -> CallId {
        let call = Call { request, ..Call::default() };
        let id = self.next.get().wrapping_add(1);
        self.next.set(id);
        self.map.borrow_mut().push((id, call));
        id
    }

    pub fn with<R>(&self, id: CallId, f: impl FnOnce(&mut Call) -> R) -> Option<R> {
        find(&mut self.map.borrow_mut(), id).map(f)
    }

    /// The call's outcome: settled through its promise if the app holds one, else kept for [`Calls::promise`].
    pub fn answer(&self, id: CallId, a: Answer, done: bool) {
        let mut map = self.map.borrow_mut();
        let Some(c) = find(&mut map, id) else { return };
        // A promise is settled once: a later answer (the retry after a 401) gets a new one.
        match c.resolvers.take() {
            Some((resolve, reject)) => {
                if done {
                    remove(&mut map, id);
                }
                drop(map);
                let _ = match a {
                    Answer::Value(v) => resolve.call1(&JsValue::UNDEFINED, &v),
                    Answer::Chain(p) => resolve.call1(&JsValue::UNDEFINED, &p),
                    Answer::Reject(e) => reject.call1(&JsValue::UNDEFINED, &e),
                };
            }
            None => {
                c.answer = Some(a);
                if done {
                    // Removed when the answer is collected by `promise`.
                    c.request = None;
                    c.spare = None;
                }
            }
        }
    }

    /// The promise for the app: the synchronous answer if there was one, else a pending promise that a later
    /// [`Calls::answer`] settles.
    pub fn promise(&self, id: CallId) -> Promise {
        let answer = self.with(id, |c| c.answer.take()).flatten();
        match answer {
            Some(Answer::Chain(p)) => p,
            Some(Answer::Value(v)) => {
                remove(&mut self.map.borrow_mut(), id);
                Promise::resolve(&v)
            }
            Some(Answer::Reject(e)) => {
                remove(&mut self.map.borrow_mut(), id);
                Promise::reject(&e)
            }
            None => {
                let mut slot = None;
                let p = Promise::new(&mut |resolve, reject| slot = Some((resolve, reject)));
                if let Some(c) = find(&mut self.map.borrow_mut(), id) {
                    c.resolvers = slot;
                }
                p
            }
        }
    }

    /// The value for a JS callback that must return synchronously: the answer if there was one (a Response,
    /// or a promise), else a pending promise.
    pub fn value(&self, id: CallId) -> JsValue {
        let answer = self.with(id, |c| c.answer.take()).flatten();
        match answer {
            Some(Answer::Value(v)) => {
                remove(&mut self.map.borrow_mut(), id);
                v
            }
            Some(a) => {
                self.with(id, |c| c.answer = Some(a));
                self.promise(id).into()
            }
            None => self.promise(id).into(),
        }
    }

    /// Forgets every call (dispose): their promises never settle after that.
    pub fn clear(&self) {
        self.map.borrow_mut().clear();
    }
}
