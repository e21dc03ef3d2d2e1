//! Login across a full-page redirect. The PKCE verifier and the state travel in sessionStorage,
//! keyed by state, single use, stale after 10 minutes; nothing of the callback is left in the URL.

use alloc::rc::Rc;


use crate::protocol::handover_message::{self, Kind};
use crate::protocol::{
    authorization_code_form, authorize_url, challenge_from_digest, check_state, clean_url, decide_callback,
    from_implicit, new_state, new_verifier, parse_redirect, seal, unseal, Callback, Error, ErrorCode, Flow, Redirect,
    StoredTransaction, TokenSet, Transaction,
};
use crate::web::browser::{self, BrowserRandom};
use crate::engine::Input;
use crate::web::driver::Driver;
use crate::web::{js_error, http, json};

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
            Err(e) => Err(js_error::from_js(ErrorCode::StorageUnavailable, &e)),
        }
    }

    pub async fn login_url(&self) -> Result<String, Error> {
        Ok(self.login_url_for(Kind::Redirect, false).await?.0)
    }

    /// A new login transaction of `kind` (saved in sessionStorage under its state, as for a redirect) and its
    /// authorize URL, with `prompt=none` for a silent renewal. Returns the URL and the state.
    pub(crate) async fn login_url_for(&self, kind: Kind, prompt_none: bool) -> Result<(String, String), Error> {
        let ss = self.tx_store()?;
        self.purge_stale_transactions(&ss);
        let state = handover_message::state_for(kind, new_state(&mut BrowserRandom));
        let (verifier, challenge) = match self.cfg.flow {
            Flow::Pkce => {
                let v = new_verifier(&mut BrowserRandom);
                let digest = browser::sha256(v.expose().as_bytes())
                    .await
                    .map_err(|e| js_error::from_js(ErrorCode::Other("crypto_unavailable".into()), &e))?;
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
            .map_err(|e| js_error::from_js(ErrorCode::StorageUnavailable, &e))?;
        let url = if prompt_none {
            let mut cfg = self.cfg.clone();
            cfg.authorize_params.prompt = Some("none".into());
            authorize_url(&cfg, &state, challenge.as_deref())
        } else {
            authorize_url(&self.cfg, &state, challenge.as_deref())
        };
        Ok((url, state))
    }

    /// A callback URL handed over by our popup or silent frame: checked against the transaction of `expected`
    /// (the state this window started) exactly as `handleRedirect` checks a redirect, then exchanged.
    /// `Ok(None)`: not an answer to that login (keep waiting).
    pub(crate) async fn complete_handover(self: &Rc<Self>, url: &str, expected: &str) -> Result<Option<TokenSet>, Error> {
        let (search, hash) = browser::url_parts(url);
        let r = parse_redirect(&search, &hash);
        // Only the transaction this window started may be spent here, never another pending login's.
        let tx = if check_state(expected, r.state()).is_ok() { self.take_transaction(expected)? } else { None };
        self.carry_out(decide_callback(r, tx, &self.cfg, browser::now_ms())).await
    }

    /// Forgets a login transaction that will not be answered (the popup was closed, the renewal timed out).
    pub(crate) fn drop_transaction(&self, state: &str) {
        let _ = self.take_transaction(state);
    }

    /// Exchanges the code, or reads the implicit tokens, as `decision` says.
    async fn carry_out(self: &Rc<Self>, decision: Callback) -> Result<Option<TokenSet>, Error> {
        match decision {
            Callback::NotOurs => Ok(None),
            Callback::Reject(e) => Err(e),
            Callback::Exchange { code, verifier } => {
                let form = authorization_code_form(&self.cfg, &code, verifier.as_ref());
                if self.cfg.dpop {
                    return self.dpop_exchange(form).await.map(Some);
                }
                http::token_request(&self.cfg.token_url(), form, crate::engine::TOKEN_TIMEOUT_MS).await.map(Some)
            }
            Callback::Implicit { params } => from_implicit(&params, browser::now_ms()).map(Some),
        }
    }

    /// Consumes an OAuth callback in the current URL. `Ok(false)`: this page load was not one (no response in the
    /// URL, or an error response that names no pending login of this session). What to do is
    /// `protocol::decide_callback`'s decision; this looks the transaction up and carries the decision out.
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
        let Some(tokens) = self.carry_out(decision).await? else { return Ok(false) };
        self.log_in(tokens).await?;
        Ok(true)
    }

    /// The engine stores the tokens, makes them current and tells the other tabs; this resolves after that.
    pub(crate) async fn log_in(self: &Rc<Self>, tokens: TokenSet) -> Result<(), Error> {
        let done = self.call(|call| Input::LoggedIn { call, tokens });
        // The engine's own error when it refused the tokens (dpop_downgrade), else the storage's.
        wasm_bindgen_futures::JsFuture::from(done).await.map_err(|e| js_error::from_session_error(&e, ErrorCode::StorageUnavailable))?;
        Ok(())
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
