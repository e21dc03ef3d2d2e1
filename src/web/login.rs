//! Login across a full-page redirect. The PKCE verifier and the state travel in sessionStorage,
//! keyed by state, single use, stale after 10 minutes; nothing of the callback is left in the URL.

#[allow(unused_imports)]
use crate::core::prelude::*;

use alloc::rc::Rc;


use crate::core::{
    authorization_code_form, authorize_url, challenge_from_digest, clean_url, decide_callback, from_implicit, new_state,
    new_verifier, parse_redirect, seal, unseal, Callback, Error, ErrorCode, Flow, Redirect, StoredTransaction,
    Transaction,
};
use crate::web::browser::{self, BrowserRandom};
use crate::core::engine::Input;
use crate::web::driver::Driver;
use crate::web::{errors, http, json};

impl Driver {
    fn tx_prefix(&self) -> String {
        let mut k = self.cfg.storage_key();
        k.push_str(".tx.");
        k
    }

    fn tx_store(&self) -> Result<web_sys::Storage, Error> {
        match browser::window().session_storage() {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(Error::new(ErrorCode::StorageUnavailable)),
            Err(e) => Err(errors::from_js(ErrorCode::StorageUnavailable, &e)),
        }
    }

    pub async fn login_url(&self) -> Result<String, Error> {
        let ss = self.tx_store()?;
        self.purge_stale_transactions(&ss);
        let state = new_state(&mut BrowserRandom);
        let (verifier, challenge) = match self.cfg.flow {
            Flow::Pkce => {
                let v = new_verifier(&mut BrowserRandom);
                let digest = browser::sha256(v.expose().as_bytes())
                    .await
                    .map_err(|e| errors::from_js(ErrorCode::Other("crypto_unavailable".into()), &e))?;
                let c = challenge_from_digest(&digest);
                (Some(v), Some(c))
            }
            Flow::Implicit => (None, None),
        };
        let tx = Transaction {
            state: state.clone(),
            verifier,
            flow: self.cfg.flow,
            redirect_uri: self.cfg.redirect_uri.clone(),
            created_at_ms: browser::now_ms(),
        };
        let mut key = self.tx_prefix();
        key.push_str(&state);
        ss.set_item(&key, &seal(&json::to_text(&tx.to_stored())))
            .map_err(|e| errors::from_js(ErrorCode::StorageUnavailable, &e))?;
        Ok(authorize_url(&self.cfg, &state, challenge.as_deref()))
    }

    /// Consumes an OAuth callback in the current URL. `Ok(false)`: this page load was not one (no response in the
    /// URL, or an error response that names no pending login of this session). What to do is
    /// `core::decide_callback`'s decision; this looks the transaction up and carries the decision out.
    pub async fn handle_redirect(self: &Rc<Self>) -> Result<bool, Error> {
        let (href, search, hash) = browser::location_parts();
        let r = parse_redirect(&search, &hash);
        if matches!(r, Redirect::None) {
            return Ok(false);
        }
        // The transaction this response names, removed (single use) whatever happens next.
        let found = match r.state() {
            None => Ok(None),
            Some(s) => self.take_transaction(s),
        };
        let (tx, storage_error) = match found {
            Ok(tx) => (tx, None),
            Err(e) => (None, Some(e)),
        };
        let decision = decide_callback(r, tx, &self.cfg, browser::now_ms());
        if !decision.cleans_url() {
            return Ok(false);
        }
        // First of all: codes, tokens and errors leave the address bar and history, whatever happens next.
        browser::replace_url(&clean_url(&href));
        if let Some(e) = storage_error {
            return Err(e);
        }
        let tokens = match decision {
            Callback::NotOurs => return Ok(false),
            Callback::Reject(e) => return Err(e),
            Callback::Exchange { code, verifier } => {
                let form = authorization_code_form(&self.cfg, &code, verifier.as_ref());
                if self.cfg.dpop {
                    self.dpop_exchange(form).await?
                } else {
                    http::token_request(&self.cfg.token_url(), form, crate::core::engine::TOKEN_TIMEOUT_MS).await?
                }
            }
            Callback::Implicit { params } => from_implicit(&params, browser::now_ms())?,
        };
        // The engine stores them, makes them current and tells the other tabs; this resolves after that.
        let done = self.call(|call| Input::LoggedIn { call, tokens });
        wasm_bindgen_futures::JsFuture::from(done).await.map_err(|e| errors::from_js(ErrorCode::StorageUnavailable, &e))?;
        Ok(true)
    }

    /// Reads and removes (single use) the transaction saved for `state`: `Ok(None)` when there is none or it
    /// was tampered with; `Err` only when sessionStorage itself is unavailable.
    fn take_transaction(&self, state: &str) -> Result<Option<Transaction>, Error> {
        let ss = self.tx_store()?;
        let mut key = self.tx_prefix();
        key.push_str(state);
        let text = ss.get_item(&key).ok().flatten();
        let _ = ss.remove_item(&key);
        Ok(text.as_deref().and_then(read_transaction))
    }

    fn purge_stale_transactions(&self, ss: &web_sys::Storage) {
        let prefix = self.tx_prefix();
        let now = browser::now_ms();
        let n = ss.length().unwrap_or(0);
        let mut stale = Vec::new();
        for i in 0..n {
            let Some(k) = ss.key(i).ok().flatten() else { continue };
            if !k.starts_with(&prefix) {
                continue;
            }
            let keep = ss
                .get_item(&k)
                .ok()
                .flatten()
                .and_then(|t| read_transaction(&t))
                .is_some_and(|tx| !tx.is_stale(now));
            if !keep {
                stale.push(k);
            }
        }
        for k in stale {
            let _ = ss.remove_item(&k);
        }
    }
}

/// A sealed stored transaction; `None` when it was tampered with, malformed or of another version.
fn read_transaction(text: &str) -> Option<Transaction> {
    let stored: StoredTransaction = json::from_text(unseal(text).ok()?)?;
    Transaction::from_stored(stored).ok()
}
