//! The two ends of a login that finishes in another window (see `protocol::handover_message`): the callback page in a popup
//! or hidden iframe hands its URL to the window that started the login, and that window listens for it.

use alloc::rc::Rc;

use gloo_timers::callback::{Interval, Timeout};
use js_sys::Object;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::engine::CallId;
use crate::protocol::handover_message::{self, Kind, Message};
use crate::protocol::{clean_url, parse_redirect, Config, StorageKind};
use crate::web::{browser, json};

/// A popup login's window and what watches it (web/popup.rs); all of it goes with the engine's `EndLogin`.
pub struct Popup {
    pub call: CallId,
    pub window: web_sys::Window,
    /// The hand-over listener and the popup's timeout.
    pub watch: Option<(Listener, Timeout)>,
    /// The closed-window poll, and the wait for a closed popup's last message.
    pub poll: Option<Interval>,
    pub last_word: Option<Timeout>,
}

/// A silent renewal's hidden iframe and its listener (web/silent_frame.rs): they go when it ends or is cancelled.
pub struct Frame {
    pub element: web_sys::Element,
    pub _listener: Listener,
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.element.remove();
    }
}

/// Listens for the hand-over of one login: `message` events on this window from `source` (the popup or the
/// frame's window), and, for a popup, its BroadcastChannel. Removed when dropped.
pub struct Listener {
    on_message: Closure<dyn FnMut(MessageEvent)>,
    channel: Option<(BroadcastChannel, Closure<dyn FnMut(MessageEvent)>)>,
}

/// The callback URL a hand-over message carries, `None` for any other data: the one reading of the message, for
/// the `message` listener and the BroadcastChannel's alike.
fn handed_over(data: JsValue) -> Option<String> {
    // Field by field (`Reflect.get` on a string or number fails: not ours).
    Message::read(&data)?.into_url()
}

impl Listener {
    /// `to` hears each callback URL handed over.
    pub fn new(source: JsValue, channel_state: Option<&str>, to: Rc<dyn Fn(String)>) -> Listener {
        let own = browser::own_origin();
        let t = to.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let from_ours = ev.source().is_some_and(|s| Object::is(&s, &source));
            if handover_message::accepts(&ev.origin(), &own, from_ours) {
                if let Some(url) = handed_over(ev.data()) {
                    t(url);
                }
            }
        });
        let _ = browser::window().add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
        // A BroadcastChannel delivers only between pages of our own origin; the tag and the state still decide.
        let channel = channel_state.and_then(|state| {
            let ch = BroadcastChannel::new(&handover_message::channel_name(state)).ok()?;
            let cb = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                if let Some(url) = handed_over(ev.data()) {
                    to(url);
                }
            });
            ch.set_onmessage(Some(cb.as_ref().unchecked_ref()));
            Some((ch, cb))
        });
        Listener { on_message, channel }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = browser::window().remove_event_listener_with_callback("message", self.on_message.as_ref().unchecked_ref());
        if let Some((ch, _)) = &self.channel {
            ch.set_onmessage(None);
            ch.close();
        }
    }
}

/// What this page is, judged by the callback in its URL: a popup's or a silent frame's callback page hands
/// the URL over instead of exchanging it.
pub fn kind_here() -> Kind {
    let (_, search, hash) = browser::location_parts();
    let kind = handover_message::kind_of(parse_redirect(&search, &hash).state());
    let w = browser::window();
    let framed = w.parent().ok().flatten().is_some_and(|p| !Object::is(&p, &w));
    match kind {
        Kind::Frame if !framed => Kind::Redirect,
        k => k,
    }
}

/// A popup's or silent frame's callback page only hands its URL over: its session must neither read nor write the
/// shared storage (a restore that found the token expired would clear it for every tab) nor renew anything, so it
/// runs in memory, logged out.
pub fn inert_here(mut cfg: Config, adapter: Option<JsValue>) -> (Config, Option<JsValue>) {
    if kind_here() == Kind::Redirect {
        return (cfg, adapter);
    }
    cfg.silent_renew = false;
    cfg.storage = StorageKind::Memory;
    (cfg, None)
}

/// On a popup's or silent frame's callback page: hands the callback URL to the window that started the login
/// (`postMessage` aimed at our own origin, never `*`; a popup without `opener` uses the transaction's
/// BroadcastChannel), cleans the URL, and a popup closes itself. `false`: this page is not one.
pub fn hand_over() -> bool {
    let kind = kind_here();
    if kind == Kind::Redirect {
        return false;
    }
    let (href, search, hash) = browser::location_parts();
    let w = browser::window();
    let msg = json::object(|o| Message::new(href.clone()).write(o));
    let own = browser::own_origin();
    let target = match kind {
        Kind::Frame => w.parent().ok().flatten(),
        _ => w.opener().ok().filter(|o| o.is_object()).map(|o| o.unchecked_into::<web_sys::Window>()),
    };
    match target {
        Some(t) => {
            let _ = t.post_message(&msg, &own);
        }
        None => {
            let state = parse_redirect(&search, &hash).state().map(str::to_string).unwrap_or_default();
            if let Ok(ch) = BroadcastChannel::new(&handover_message::channel_name(&state)) {
                let _ = ch.post_message(&msg);
                ch.close();
            }
        }
    }
    browser::replace_url(&clean_url(&href));
    if kind == Kind::Popup {
        let _ = w.close();
    }
    true
}
