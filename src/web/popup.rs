//! `loginPopup()` in the browser: the window is opened synchronously, inside the click that called us (else the
//! browser blocks it), and gets the authorize URL once the engine has it (engine/login.rs). The popup's callback
//! page hands the callback URL back (web/window_handover.rs); the engine checks it like a redirect and exchanges
//! the code. This file opens, navigates, watches and closes the window, and feeds what it sees.

use core::cell::Cell;
use alloc::rc::Rc;

use gloo_timers::callback::{Interval, Timeout};
use js_sys::Promise;

use crate::engine::{CallId, Input};
use crate::protocol::handover_message::Kind;
use crate::protocol::HostFailure;
use crate::web::driver::{feed_weak, Driver};
use crate::web::window_handover::{Listener, Popup};
use crate::web::{browser, js_error};

const FEATURES: &str = "popup,width=500,height=650";
/// `closed` is polled this often; a popup that closed itself after handing over gets this long for its message
/// to arrive. Together under the 1 s in which a closed popup is reported.
const POLL_MS: u32 = 400;
const LAST_WORD_MS: u32 = 300;

impl Driver {
    pub fn login_popup(self: &Rc<Self>, features: Option<String>, timeout_s: Option<f64>) -> Promise {
        let features = features.unwrap_or_else(|| FEATURES.into());
        let window = match browser::window().open_with_url_and_target_and_features("", "_blank", &features) {
            Ok(Some(p)) => p,
            _ => {
                return Promise::reject(&js_error::to_js(&HostFailure::PopupNotOpened.into()));
            }
        };
        let call = self.calls.open(None);
        self.popups.borrow_mut().push(Popup { call, window, watch: None, poll: None, last_word: None });
        self.feed(Input::Login { call, kind: Kind::Popup, timeout_s });
        self.calls.promise(call)
    }

    /// The engine's `Authorize` for a popup: the authorize page, the hand-over listener, the closed-window poll and
    /// the timeout.
    pub(crate) fn show_popup(self: &Rc<Self>, call: CallId, url: &str, state: &str, timeout_ms: u32) {
        let Some(window) = self.popups.borrow().iter().find(|p| p.call == call).map(|p| p.window.clone()) else { return };
        if let Err(e) = window.location().set_href(url) {
            let error = js_error::failed(HostFailure::PopupRefused, &e);
            return self.feed(Input::LoginFailed { call, error });
        }
        let listener = Listener::new(window.clone().into(), Some(state), self.handover_to(call));
        // Whether the popup ever showed a page of our origin: its URL is unreadable (a SecurityError) while it is on
        // the server's, and about:blank until the authorize request answers.
        let back = Rc::new(Cell::new(false));
        let w = Rc::downgrade(self);
        let poll = Interval::new(POLL_MS, move || {
            if window.closed().unwrap_or(true) {
                // A popup that closed itself right after handing over gets LAST_WORD_MS for its message.
                if let Some(me) = w.upgrade() {
                    me.popup_closing(call, back.get());
                }
            } else if !back.get() {
                back.set(window.location().href().is_ok_and(|h| h != "about:blank"));
            }
        });
        let w = Rc::downgrade(self);
        let timeout = Timeout::new(timeout_ms, move || feed_weak(&w, Input::LoginTimedOut { call }));
        if let Some(p) = self.popups.borrow_mut().iter_mut().find(|p| p.call == call) {
            p.watch = Some((listener, timeout));
            p.poll = Some(poll);
        }
    }

    fn popup_closing(self: &Rc<Self>, call: CallId, back: bool) {
        let mut popups = self.popups.borrow_mut();
        let Some(p) = popups.iter_mut().find(|p| p.call == call) else { return };
        if p.last_word.is_none() {
            let w = Rc::downgrade(self);
            p.last_word = Some(Timeout::new(LAST_WORD_MS, move || {
                if let Some(me) = w.upgrade() {
                    // The poll stops (from outside its own callback), then the engine hears it.
                    let poll = me.popups.borrow_mut().iter_mut().find(|p| p.call == call).and_then(|p| p.poll.take());
                    drop(poll);
                    me.feed(Input::PopupClosed { call, back });
                }
            }));
        }
    }

    /// The engine's `EndLogin` for a popup: the window closes, its watchers go.
    pub(crate) fn end_popup(&self, call: CallId) {
        let mut popups = self.popups.borrow_mut();
        if let Some(i) = popups.iter().position(|p| p.call == call) {
            let p = popups.swap_remove(i);
            drop(popups);
            let _ = p.window.close();
        }
    }
}
