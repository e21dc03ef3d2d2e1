//! Silent renewal's browser half: a hidden iframe loads the `prompt=none` authorize URL; the server answers from
//! its login cookie with a redirect to our callback page, which hands the URL back (web/window_handover.rs). When
//! and whether to renew, the URL, the check of the answer and the code exchange are the engine's (engine/silent.rs,
//! engine/login.rs): this only shows and removes the frame.

use alloc::rc::Rc;

use wasm_bindgen::JsValue;

use crate::engine::{CallId, Input};
use crate::protocol::{Error, HostFailure};
use crate::web::browser;
use crate::web::driver::Driver;
use crate::web::js_error;
use crate::web::window_handover::{Frame, Listener};

/// The page could not host the frame.
fn dom_error(e: JsValue) -> Error {
    js_error::failed(HostFailure::Frame, &e)
}

impl Driver {
    /// The engine's `Authorize` for a silent renewal.
    pub(crate) fn show_frame(self: &Rc<Self>, call: CallId, url: &str) {
        if let Err(error) = self.try_frame(call, url) {
            self.feed(Input::LoginFailed { call, error });
        }
    }

    fn try_frame(self: &Rc<Self>, call: CallId, url: &str) -> Result<(), Error> {
        let doc = browser::window().document().ok_or(HostFailure::Frame(None))?;
        let el = doc.create_element("iframe").map_err(dom_error)?;
        for (k, v) in [("style", "display:none"), ("aria-hidden", "true"), ("tabindex", "-1"), ("title", "session renewal"), ("src", url)] {
            let _ = el.set_attribute(k, v);
        }
        let parent = doc.document_element().ok_or(HostFailure::Frame(None))?;
        parent.append_child(&el).map_err(dom_error)?;
        let source = browser::get(&el, "contentWindow");
        let listener = Listener::new(source, None, self.handover_to(call));
        *self.frame.borrow_mut() = Some(Frame { element: el, _listener: listener });
        Ok(())
    }

    /// The renewal is over, or the engine gave up waiting: the iframe goes (a late answer is not wanted).
    pub fn cancel_silent(&self) {
        let f = self.frame.borrow_mut().take();
        drop(f);
    }
}
