//! Silent renewal's browser half: a hidden iframe loads the `prompt=none` authorize URL; the server answers from
//! its login cookie with a redirect to our callback page, which hands the URL back (web/window_handover.rs); the code
//! is checked like a redirect and exchanged with PKCE. When and whether to renew, and how long to wait, is the
//! engine's (engine/silent.rs): this only carries `SilentRenew` / `CancelSilent` out.

use alloc::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::Element;

use crate::protocol::handover_message::Kind;
use crate::protocol::{Error, ErrorCode, TokenSet};
use crate::web::browser;
use crate::web::driver::Driver;
use crate::web::js_error;
use crate::web::window_handover::{self, Listener, Outcome, Sender};

/// The renewal in progress: its iframe and listener go when it ends or is cancelled.
pub struct Frame {
    element: Element,
    _listener: Listener,
    /// Tells the waiting renewal that it is over when the frame goes first (cancelled).
    outcomes: Sender,
}

impl Drop for Frame {
    fn drop(&mut self) {
        self.element.remove();
        self.outcomes.push(Outcome::TimedOut);
    }
}

/// The page could not host the frame: the renewal fails as one that needs the user.
fn no_frame() -> ErrorCode {
    ErrorCode::Other("interaction_required".into())
}

fn dom_error(e: JsValue) -> Error {
    js_error::from_js(no_frame(), &e)
}

impl Driver {
    pub async fn silent_renew(self: &Rc<Self>) -> Result<TokenSet, Error> {
        let (url, state) = self.login_url_for(Kind::Frame, true).await?;
        let doc = browser::window().document().ok_or_else(|| Error::new(no_frame()))?;
        let el = doc.create_element("iframe").map_err(dom_error)?;
        for (k, v) in [("style", "display:none"), ("aria-hidden", "true"), ("tabindex", "-1"), ("title", "session renewal"), ("src", &url)] {
            let _ = el.set_attribute(k, v);
        }
        let parent = doc.document_element().ok_or_else(|| Error::new(no_frame()))?;
        parent.append_child(&el).map_err(dom_error)?;
        let (tx, mut inbox) = window_handover::inbox();
        let source = browser::get(&el, "contentWindow");
        let listener = Listener::new(source, None, tx.clone());
        *self.frame.borrow_mut() = Some(Frame { element: el, _listener: listener, outcomes: tx });
        let result = loop {
            match inbox.next().await {
                Outcome::Url(u) => match self.complete_handover(&u, &state).await {
                    Ok(None) => continue,
                    Ok(Some(t)) => break Ok(t),
                    Err(e) => break Err(e),
                },
                _ => break Err(Error::new(ErrorCode::Timeout)),
            }
        };
        self.drop_transaction(&state);
        self.frame.borrow_mut().take();
        result
    }

    /// The engine gave up waiting: the iframe goes (its late answer would be ignored anyway).
    pub fn cancel_silent(&self) {
        let f = self.frame.borrow_mut().take();
        drop(f);
    }
}
