//! Tabs that share storage (cookies, an app backend) act as one session: refreshes run under an exclusive
//! Web Lock, and a BroadcastChannel says "tokens changed" so the others reload from storage. The message never
//! carries tokens; receivers trust only what storage holds.

#[allow(unused_imports)]
use crate::core::prelude::*;

use ::core::cell::RefCell;
use ::core::future::Future;
use alloc::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::core::{Error, ErrorCode};
use crate::web::inner::Inner;
use crate::web::task;

/// Upper bound on waiting for another tab's refresh; then a retryable `lock_timeout`, never a hang.
const LOCK_WAIT_MS: u32 = 30_000;

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = locksAvailable)]
    fn locks_available_js() -> bool;
    #[wasm_bindgen(js_name = withLock)]
    fn with_lock_js(name: &str, timeout_ms: u32, work: &Function) -> Promise;
}

pub fn locks_available() -> bool {
    locks_available_js()
}

/// Runs `work` while holding the exclusive lock `name`.
pub async fn with_lock<F, Fut>(name: &str, work: F) -> Result<(), Error>
where
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = Result<(), Error>> + 'static,
{
    let slot: Rc<RefCell<Option<Result<(), Error>>>> = Rc::new(RefCell::new(None));
    let s = slot.clone();
    let cb = Closure::once(move || -> Promise {
        let fut = work();
        task::promise(Box::pin(async move {
            *s.borrow_mut() = Some(fut.await);
            Ok(JsValue::UNDEFINED)
        }))
    });
    let granted = JsFuture::from(with_lock_js(name, LOCK_WAIT_MS, cb.as_ref().unchecked_ref())).await;
    drop(cb);
    match granted {
        Ok(_) => slot.borrow_mut().take().unwrap_or_else(|| Err(Error::new(ErrorCode::LockTimeout))),
        Err(_) => {
            let mut e = Error::new(ErrorCode::LockTimeout);
            e.retryable = true;
            e.description = Some("waited too long for another tab's refresh".into());
            Err(e)
        }
    }
}

pub struct Tabs {
    channel: web_sys::BroadcastChannel,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

impl Tabs {
    pub fn open(name: &str, inner: Weak<Inner>) -> Option<Tabs> {
        let channel = web_sys::BroadcastChannel::new(name).ok()?;
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let kind = ev.data().as_string().unwrap_or_default();
            if let Some(me) = inner.upgrade() {
                task::spawn(Box::pin(async move { me.sync_from_store(&kind).await }));
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Tabs { channel, _on_message: on_message })
    }

    pub fn announce(&self, kind: &str) {
        let _ = self.channel.post_message(&JsValue::from_str(kind));
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

impl Inner {
    /// Another tab said the shared tokens changed: reload them from storage and emit the same event here.
    pub async fn sync_from_store(self: &Rc<Self>, kind: &str) {
        let had = self.access_token();
        match self.store.load().await {
            Ok(Some(t)) => {
                if Some(t.access_token.expose()) != had.as_deref() {
                    let event = if had.is_none() { "login" } else { "refresh" };
                    self.adopt(t, event);
                }
            }
            _ => {
                if had.is_some() {
                    let event = if kind == "logout" { "logout" } else { "expired" };
                    self.drop_local(event, &JsValue::NULL);
                }
            }
        }
    }
}
