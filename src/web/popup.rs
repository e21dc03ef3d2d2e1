//! `loginPopup()`: the login of `login()` (same transaction, state and verifier handling), in a popup. The window
//! is opened synchronously, inside the click that called us (else the browser blocks it), and gets its URL once
//! the PKCE values are ready. The popup's callback page hands the callback URL back (web/window_handover.rs); this
//! window checks it like a redirect and exchanges the code.

use core::cell::Cell;
use alloc::rc::Rc;

use gloo_timers::callback::{Interval, Timeout};
use js_sys::Promise;
use wasm_bindgen::JsValue;
use web_sys::Window;

use crate::protocol::handover_message::Kind;
use crate::protocol::{Error, ErrorCode};
use crate::web::driver::Driver;
use crate::web::window_handover::{self, Inbox, Listener, Outcome};
use crate::web::{browser, js_error, task};

const FEATURES: &str = "popup,width=500,height=650";
/// `closed` is polled this often; a popup that closed itself after handing over gets this long for its message
/// to arrive. Together under the 1 s in which a closed popup is reported.
const POLL_MS: u32 = 400;
const LAST_WORD_MS: u32 = 300;

fn code(name: &str, description: &str) -> Error {
    Error::with(ErrorCode::Other(name.into()), description)
}

impl Driver {
    pub fn login_popup(self: &Rc<Self>, features: Option<String>, timeout_s: Option<u32>) -> Promise {
        let w = browser::window();
        let features = features.unwrap_or_else(|| FEATURES.into());
        let popup = match w.open_with_url_and_target_and_features("", "_blank", &features) {
            Ok(Some(p)) => p,
            _ => {
                let e = code("popup_blocked", "the browser blocked the popup: call loginPopup() from a click handler");
                return Promise::reject(&js_error::to_js(&e));
            }
        };
        let timeout_ms = timeout_s.filter(|s| *s > 0).unwrap_or(self.cfg.popup_timeout_s).saturating_mul(1000);
        let me = self.clone();
        task::promise(Box::pin(async move {
            let r = me.run_popup(&popup, timeout_ms).await;
            let _ = popup.close();
            r.map(|_| JsValue::UNDEFINED).map_err(|e| js_error::to_js(&e))
        }))
    }

    async fn run_popup(self: &Rc<Self>, popup: &Window, timeout_ms: u32) -> Result<(), Error> {
        let (url, state) = self.login_url_for(Kind::Popup, false).await?;
        popup.location().set_href(&url).map_err(|e| js_error::from_js(ErrorCode::Other("popup_blocked".into()), &e))?;
        let (tx, mut inbox) = window_handover::inbox();
        let listener = Listener::new(popup.clone().into(), Some(&state), tx.clone());
        // Whether the popup ever showed a page of our origin: its URL is unreadable (a SecurityError) while it is on
        // the server's, and about:blank until the authorize request answers. A login the server refused (e.g. an
        // unregistered redirectUri: an error page there) never comes back, and the app deserves to know which.
        let back = Rc::new(Cell::new(false));
        let (t, p, b) = (tx.clone(), popup.clone(), back.clone());
        let mut poll = Some(Interval::new(POLL_MS, move || {
            if p.closed().unwrap_or(true) {
                t.push(Outcome::Closed);
            } else if !b.get() {
                b.set(p.location().href().is_ok_and(|h| h != "about:blank"));
            }
        }));
        let t = tx.clone();
        let timeout = Timeout::new(timeout_ms, move || t.push(Outcome::TimedOut));
        let mut _last_word = None;
        loop {
            match inbox.next().await {
                Outcome::Url(u) => match self.complete_handover(&u, &state).await? {
                    None => continue, // an error response without our state: not an answer to this login
                    Some(tokens) => return self.log_in(tokens).await,
                },
                // Closed is final: the poll stops, and a popup that closed itself right after handing over gets
                // LAST_WORD_MS for its message, which the channel delivers before `Gone`.
                Outcome::Closed => {
                    if poll.take().is_some() {
                        let t = tx.clone();
                        _last_word = Some(Timeout::new(LAST_WORD_MS, move || t.push(Outcome::Gone)));
                    }
                }
                Outcome::Gone => {
                    self.late_handover(state, inbox, (listener, timeout));
                    let uri = &self.cfg.redirect_uri;
                    // (`concat`, not `format!`: no formatting machinery in the wasm.)
                    let why = if back.get() {
                        ["the login popup was closed before the login finished (it reached ", uri, ", which handed nothing back: does that page call handleRedirect()?)"].concat()
                    } else {
                        ["the login popup was closed and the login did not come back to ", uri, "; if the server showed an error, check that this redirectUri is registered"].concat()
                    };
                    return Err(code("popup_closed", &why));
                }
                Outcome::TimedOut => {
                    self.drop_transaction(&state);
                    return Err(Error::with(ErrorCode::Timeout, "the popup login did not finish in time"));
                }
            }
        }
    }

    /// The opener also sees a popup as closed when a Cross-Origin-Opener-Policy page severed it, while the user
    /// goes on logging in there. So after `popup_closed` the transaction's BroadcastChannel keeps listening until
    /// the popup timeout: a hand-over that still comes logs the session in (the app hears `login`).
    fn late_handover(self: &Rc<Self>, state: String, mut inbox: Inbox, keep: (Listener, Timeout)) {
        let me = self.clone();
        task::spawn(Box::pin(async move {
            let _keep = keep;
            loop {
                match inbox.next().await {
                    Outcome::Url(u) => match me.complete_handover(&u, &state).await {
                        Ok(None) => {}
                        Ok(Some(tokens)) => return drop(me.log_in(tokens).await),
                        Err(_) => return, // the transaction is spent; nobody waits for the reason any more
                    },
                    Outcome::Closed | Outcome::Gone => {}
                    Outcome::TimedOut => return me.drop_transaction(&state),
                }
            }
        }));
    }
}
