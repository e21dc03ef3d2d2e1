//! One refresh at a time. In a tab: every caller shares one in-flight promise. Across tabs (shared storage):
//! the flight runs under a Web Lock and re-reads storage first, so a tab that waited uses the winner's tokens
//! instead of burning a single-use refresh token. Failures split into terminal (log out, `expired`) and
//! transient (keep the tokens, retry the same refresh token with backoff — RingCentral's grace window replays
//! the same pair, so a lost response is recovered).

#[allow(unused_imports)]
use crate::core::prelude::*;

use ::core::cell::RefCell;
use alloc::rc::Rc;

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::core::{backoff_ms, refresh_form, Decision, Error, ErrorCode, TokenSet};
use crate::web::inner::{FlightResult, Inner, COOLDOWN_MS};
use crate::web::{browser, errors, http, tabs, task};

const MAX_TRIES: u32 = 3;

/// Why a refresh is wanted. Checked again once the flight runs (under the lock): another tab, or a broadcast
/// that arrived meanwhile, may already have made it unnecessary.
#[derive(Clone)]
pub enum Why {
    /// The policy says so (expiry near or past): skip if the tokens are fresh by then.
    Due,
    /// The server answered 401 to this access token: skip if it is no longer the current one.
    Rejected(String),
    /// The app called `session.refresh()`.
    Forced,
}

impl Inner {
    /// Refreshes, or joins the refresh already in flight.
    pub async fn refresh(self: &Rc<Self>, why: Why) -> Result<(), Error> {
        let joined = self.in_flight.borrow().clone();
        let (promise, result) = match joined {
            Some(f) => f,
            None => {
                let result: FlightResult = Rc::new(RefCell::new(None));
                let (me, slot) = (self.clone(), result.clone());
                let promise = task::promise(Box::pin(async move {
                    let r = me.refresh_flight(why).await;
                    *slot.borrow_mut() = Some(r);
                    me.in_flight.borrow_mut().take();
                    Ok(JsValue::UNDEFINED)
                }));
                *self.in_flight.borrow_mut() = Some((promise.clone(), result.clone()));
                (promise, result)
            }
        };
        let _ = JsFuture::from(promise).await;
        let r = result.borrow().clone();
        r.unwrap_or_else(|| Err(Error::new(ErrorCode::Network)))
    }

    async fn refresh_flight(self: &Rc<Self>, why: Why) -> Result<(), Error> {
        if !self.store.is_shared() || !tabs::locks_available() {
            return self.refresh_unlocked(why).await;
        }
        let me = self.clone();
        let name = self.cfg.lock_name();
        tabs::with_lock(&name, move || {
            let me = me.clone();
            async move { me.refresh_unlocked(why).await }
        })
        .await
    }

    /// The body of a flight (under the lock when storage is shared).
    async fn refresh_unlocked(self: &Rc<Self>, why: Why) -> Result<(), Error> {
        if self.store.is_shared() {
            // Another tab may have refreshed while we waited for the lock: take its tokens first.
            if let Ok(Some(stored)) = self.store.load().await {
                if Some(stored.access_token.expose()) != self.access_token().as_deref() {
                    self.adopt(stored, "refresh");
                }
            }
        }
        let needed = match &why {
            Why::Forced => true,
            Why::Due => self.decision() != Decision::Fresh,
            Why::Rejected(token) => self.access_token().as_deref() == Some(token.as_str()),
        };
        if !needed {
            return Ok(()); // the current tokens already answer the need: send nothing
        }
        let Some(base) = self.current() else {
            return Err(Error::new(ErrorCode::LoginRequired));
        };
        let Some(rt) = base.refresh_token.clone() else {
            let mut e = Error::new(ErrorCode::LoginRequired);
            e.description = Some("no refresh token: log in again".into());
            return Err(e);
        };
        let url = self.cfg.token_url();
        let mut attempt = 0;
        loop {
            let form = refresh_form(&self.cfg, &rt);
            match http::token_request(&url, form, Some(&base)).await {
                Ok(t) => {
                    self.accept(t, "refresh", true).await;
                    return Ok(());
                }
                Err(e) if e.retryable => {
                    if e.code == ErrorCode::RateLimited {
                        self.emit_error("rateLimit", &e);
                    }
                    attempt += 1;
                    if attempt >= MAX_TRIES {
                        self.emit_error("refreshError", &e);
                        self.cooldown_until.set(browser::now_ms() + COOLDOWN_MS);
                        self.check();
                        return Err(e);
                    }
                    browser::sleep(backoff_ms(attempt - 1, e.retry_after_s) as u32).await;
                }
                Err(e) => return self.terminal(e, &rt).await,
            }
        }
    }

    /// A terminal refresh error. If another tab has since stored newer tokens (its refresh beat ours, or ran
    /// where Web Locks are missing), adopt those instead of logging everyone out.
    async fn terminal(self: &Rc<Self>, e: Error, used: &crate::core::Secret) -> Result<(), Error> {
        if self.store.is_shared() {
            if let Ok(Some(stored)) = self.store.load().await {
                if stored.refresh_token.as_ref() != Some(used) && newer_usable(&stored) {
                    self.adopt(stored, "refresh");
                    return Ok(());
                }
            }
        }
        self.emit_error("refreshError", &e);
        self.forget("expired", &errors::to_js(&e), true).await;
        Err(e)
    }
}

fn newer_usable(t: &TokenSet) -> bool {
    crate::core::decide(Some(t), browser::now_ms(), 0) != Decision::LoginRequired
}
