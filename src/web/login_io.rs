//! The engine's login commands in the browser (engine/login.rs decides): the verifier's SHA-256, a redirect's
//! transaction in sessionStorage (sealed, keyed by state, single use, stale after 10 minutes), and the callback
//! of `handleRedirect()` read from the address bar with the transaction it names.

use alloc::rc::Rc;

use js_sys::Promise;

use crate::engine::{CallId, Input};
use crate::protocol::handover_message::Kind;
use crate::protocol::{parse_redirect, seal, unseal, Error, HostFailure, Secret, StoredTransaction, Transaction};
use crate::web::browser;
use crate::web::driver::Driver;
use crate::web::{js_error, json};

impl Driver {
    fn tx_prefix(&self) -> String {
        let mut k = self.cfg.storage_key();
        k.push_str(".tx.");
        k
    }

    fn tx_store(&self) -> Result<web_sys::Storage, Error> {
        match browser::window().session_storage() {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(HostFailure::Storage(None).into()),
            Err(e) => Err(js_error::failed(HostFailure::Storage, &e)),
        }
    }

    /// `loginUrl()`: the engine makes the transaction and the URL; the promise resolves with the URL.
    pub fn login_url(self: &Rc<Self>) -> Promise {
        self.call(|call| Input::Login { call, kind: Kind::Redirect, timeout_s: None })
    }

    /// `handleRedirect()`: this page's authorization response and the transaction it names (removed: single use,
    /// whatever happens next), for the engine to decide.
    pub fn handle_redirect(self: &Rc<Self>) -> Promise {
        let (href, search, hash) = browser::location_parts();
        let response = parse_redirect(&search, &hash);
        let tx = match response.state() {
            None => Ok(None),
            Some(s) => self.take_transaction(s),
        };
        self.call(|call| Input::Callback { call, href, response, tx })
    }

    /// The engine's `Digest`: SHA-256 by `crypto.subtle`, its answer fed back through [`Driver::after`].
    pub(crate) fn digest(self: &Rc<Self>, call: CallId, text: Secret) {
        let p = browser::sha256(text.expose().as_bytes());
        self.after(&p, Box::new(move |d, r| {
            let digest = r
                .map(|buf| browser::bytes_of(&buf))
                .map_err(|e| js_error::failed(HostFailure::Hash, &e));
            d.feed(Input::Digested { call, digest });
        }));
    }

    /// The engine's `SaveTransaction`, after the stale ones went.
    pub(crate) fn save_transaction(&self, tx: &Transaction) -> Result<(), Error> {
        let ss = self.tx_store()?;
        self.purge_stale_transactions(&ss);
        let mut key = self.tx_prefix();
        key.push_str(&tx.state);
        ss.set_item(&key, &seal(&json::object_text(|o| tx.to_stored().write(o))))
            .map_err(|e| js_error::failed(HostFailure::Storage, &e))
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
    let stored = StoredTransaction::read(&js_sys::JSON::parse(unseal(text).ok()?).ok()?).ok()?;
    Transaction::from_stored(stored).ok()
}
