//! DPoP (RFC 9449) in the browser: the key (js/glue.js keeps it, non-extractable, in IndexedDB next to the
//! cookie seal's key), the signature, and the token requests that carry a proof. The proof's JSON and
//! base64url are `protocol::dpop_proof`'s; which request gets a proof, which nonce, and the one resend (also the
//! code exchange's) are the engine's.
//! Nothing here logs, and no error carries a proof, a key or a token.

use alloc::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::protocol::dpop_proof::{signing_input_by, Claims, Jwk, ObjectText};
use crate::engine::{CallId, Input, OpId, Proof, TOKEN_TIMEOUT_MS};
use crate::protocol::{Error, HostFailure, RandomSource, StorageKind, TokenSet};
use crate::web::browser::{self, BrowserRandom};
use crate::web::driver::Driver;
use crate::web::{js_error, http, json};

/// JSON text by the browser's `JSON.stringify` of an object written field by field: the wasm carries no JSON
/// writer and no serializer.
struct BrowserJson;

impl ObjectText for BrowserJson {
    type Sink = json::Obj;
    fn object_text(&self, write: impl FnOnce(&mut json::Obj)) -> String {
        json::object_text(write)
    }
}

impl Driver {
    /// Per client and server, like the stored tokens; and per tab where they are (sessionStorage).
    fn key_name(&self) -> String {
        let mut k = self.cfg.storage_key();
        if let Some(id) = self.store.tab_id() {
            k.push('.');
            k.push_str(&id);
        }
        k.push_str(".dpop");
        k
    }

    /// `storage: 'memory'` keeps the key in this page only.
    fn key_persists(&self) -> bool {
        self.cfg.storage != StorageKind::Memory
    }

    /// A signed proof for `method url`, carrying `nonce`, and bound to `token` (`ath`) when given, as a promise of
    /// its compact text: glue.js gets the key and hashes the token, [`signing_input_by`] (through the `BUILD` hook)
    /// writes the header and claims, glue.js signs. `last`: the logout's revoke, signed with the key the logout
    /// already deleted (kept in memory for it).
    fn proof(&self, method: &str, url: &str, nonce: Option<&str>, token: Option<&str>, last: bool) -> Promise {
        BUILD.with(|b| dpop_prove(&self.key_name(), self.key_persists(), last, token, b, method, url, nonce))
    }

    /// `then` gets the proof's text (or why there is none) once it is signed.
    pub(crate) fn with_proof(self: &Rc<Self>, method: &str, url: &str, nonce: Option<&str>, token: Option<&str>, last: bool, then: Signed) {
        let p = self.proof(method, url, nonce, token, last);
        self.after(&p, Box::new(move |me, r| then(me, r.map(|v| v.as_string().unwrap_or_default()).map_err(|e| js_error::failed(HostFailure::DpopKey, &e)))));
    }

    /// The engine's `SendToken` with a proof; the `DPoP-Nonce` its answer carried goes with the answer.
    pub(crate) fn dpop_send_token(self: &Rc<Self>, id: OpId, url: String, form: String, timeout_ms: u32, p: Proof) {
        self.dpop_token(url, form, timeout_ms, p, Box::new(move |result, dpop_nonce| Input::TokenReply { id, result, dpop_nonce }));
    }

    /// The engine's `ExchangeCode` with a proof.
    pub(crate) fn dpop_exchange_code(self: &Rc<Self>, call: CallId, url: String, form: String, p: Proof) {
        self.dpop_token(url, form, TOKEN_TIMEOUT_MS, p, Box::new(move |result, dpop_nonce| Input::Exchanged { call, result, dpop_nonce }));
    }

    /// A token request with a proof, its answer fed as `answer` makes it.
    fn dpop_token(self: &Rc<Self>, url: String, form: String, timeout_ms: u32, p: Proof, answer: Box<dyn FnOnce(Result<TokenSet, Error>, Option<String>) -> Input>) {
        self.with_proof("POST", &url.clone(), p.nonce.as_deref(), None, false, Box::new(move |me, proof| {
            let proof = match proof {
                Ok(x) => x,
                Err(e) => return me.feed(answer(Err(e), None)),
            };
            let sent_at = Driver::now();
            me.after(&http::post_form(&url, &form, timeout_ms, Some(&proof)), Box::new(move |me, r| {
                let (result, dpop_nonce) = http::token_reply(r, sent_at, true);
                me.feed(answer(result, dpop_nonce));
            }));
        }));
    }

    /// The revoke POST with a proof (its outcome does not matter), by the key the logout deleted just before;
    /// the `DPoP-Nonce` its answer carried goes with `RevokeDone`.
    pub(crate) fn dpop_revoke(self: &Rc<Self>, call: CallId, url: String, form: String, p: Proof) {
        self.with_proof("POST", &url.clone(), p.nonce.as_deref(), None, true, Box::new(move |me, proof| {
            let Ok(proof) = proof else { return me.feed(Input::RevokeDone { call, dpop_nonce: None }) };
            me.after(&http::post_form(&url, &form, TOKEN_TIMEOUT_MS, Some(&proof)), Box::new(move |me, r| {
                let dpop_nonce = http::form_response(r).ok().and_then(|r| r.dpop_nonce);
                me.feed(Input::RevokeDone { call, dpop_nonce });
            }));
        }));
    }

    /// The engine's `ForgetKey`.
    pub fn dpop_forget(self: &Rc<Self>, delete: bool) {
        let p = dpop_forget(&self.key_name(), delete, self.key_persists());
        self.after(&p, Box::new(|_, _| {}));
    }
}

/// What to do with a proof ([`Driver::with_proof`]).
pub(crate) type Signed = Box<dyn FnOnce(&Rc<Driver>, Result<String, Error>)>;

thread_local! {
    /// The signing input of one proof from the key's public coordinates and the token's SHA-256 (glue.js's
    /// `dpopProve` calls it between getting the key and signing): made once, JS owns it.
    static BUILD: Function = Closure::<dyn FnMut(String, String, Option<Vec<u8>>, String, String, Option<String>) -> String>::new(
        |x: String, y: String, ath: Option<Vec<u8>>, method: String, url: String, nonce: Option<String>| {
            let mut jti = [0u8; 16];
            BrowserRandom.fill(&mut jti);
            let claims = Claims::new(&jti, &method, &url, browser::now_ms(), nonce.as_deref(), ath.as_deref());
            signing_input_by(&BrowserJson, &Jwk::p256(x, y), &claims)
        },
    )
    .into_js_value()
    .unchecked_into();
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    /// The compact proof: `build(x, y, ath, method, url, nonce)` gives the signing input, glue.js appends the
    /// ES256 signature by the key (made on first use). Rejects when no key can be had or signing fails.
    #[wasm_bindgen(js_name = dpopProve)]
    fn dpop_prove(name: &str, persist: bool, last: bool, token: Option<&str>, build: &Function, method: &str, url: &str, nonce: Option<&str>) -> Promise;
    #[wasm_bindgen(js_name = dpopForget)]
    fn dpop_forget(name: &str, delete: bool, persist: bool) -> Promise;
}
