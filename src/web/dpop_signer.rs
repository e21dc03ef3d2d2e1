//! DPoP (RFC 9449) in the browser: the key (js/glue.js keeps it, non-extractable, in IndexedDB next to the
//! cookie seal's key), the signature, and the token requests that carry a proof. The proof's JSON and
//! base64url are `protocol::dpop_proof`'s; which request gets a proof, which nonce, and the one resend (also the
//! code exchange's) are the engine's.
//! Nothing here logs, and no error carries a proof, a key or a token.

use alloc::rc::Rc;

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::protocol::dpop_proof::{compact, signing_input, Claims, JsonText, Jwk};
use crate::engine::{Input, Proof, TOKEN_TIMEOUT_MS};
use crate::protocol::{origin_of, Error, ErrorCode, RandomSource, StorageKind, TokenSet};
use crate::web::browser::{self, BrowserRandom};
use crate::web::driver::Driver;
use crate::web::{js_error, http, json};

/// JSON text by the browser's `JSON.stringify`: the wasm carries no JSON writer.
struct BrowserJson;

impl JsonText for BrowserJson {
    fn text<T: serde::Serialize>(&self, v: &T) -> String {
        json::to_text(v)
    }
}

fn unavailable(v: &JsValue) -> Error {
    // Local, and may pass (a blocked IndexedDB falls back to a key in memory): retryable, the tokens stay.
    js_error::from_js(ErrorCode::Other("crypto_unavailable".into()), v).with_retryable(true)
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

    /// A signed proof for `method url`, carrying `nonce`, and bound to `token` (`ath`) when given.
    pub async fn dpop_proof(&self, method: &str, url: &str, nonce: Option<&str>, token: Option<&str>) -> Result<String, Error> {
        self.proof_with(method, url, nonce, token, false).await
    }

    /// `last`: the logout's revoke, signed with the key the logout already deleted (kept in memory for it).
    async fn proof_with(&self, method: &str, url: &str, nonce: Option<&str>, token: Option<&str>, last: bool) -> Result<String, Error> {
        let key = JsFuture::from(dpop_key(&self.key_name(), self.key_persists(), last)).await.map_err(|e| unavailable(&e))?;
        let coord = |k: &str| browser::get(&key, k).as_string().unwrap_or_default();
        let jwk = Jwk::p256(coord("x"), coord("y"));
        let ath = match token {
            Some(t) => Some(browser::sha256(t.as_bytes()).await.map_err(|e| unavailable(&e))?),
            None => None,
        };
        let mut jti = [0u8; 16];
        BrowserRandom.fill(&mut jti);
        let claims = Claims::new(&jti, method, url, browser::now_ms(), nonce, ath.as_deref());
        let input = signing_input(&BrowserJson, &jwk, &claims);
        let sig = JsFuture::from(dpop_sign(&browser::get(&key, "key"), &input)).await.map_err(|e| unavailable(&e))?;
        Ok(compact(input, &Uint8Array::new(&sig).to_vec()))
    }

    /// A `DPoP-Nonce` the server sent: the engine keeps it for the next proof to that origin.
    pub fn dpop_heard(self: &Rc<Self>, url: &str, nonce: Option<String>) {
        if let (Some(origin), Some(nonce)) = (origin_of(url), nonce) {
            self.feed(Input::DpopNonce { origin, nonce });
        }
    }

    /// One token request with a proof (the engine's `SendToken` with `proof`); also whether a nonce came back.
    pub async fn dpop_token_request(self: &Rc<Self>, url: &str, form: String, timeout_ms: u32, p: &Proof) -> (Result<TokenSet, Error>, bool) {
        let proof = match self.dpop_proof("POST", url, p.nonce.as_deref(), None).await {
            Ok(x) => x,
            Err(e) => return (Err(e), false),
        };
        let (result, nonce) = http::token_request_with(url, form, timeout_ms, Some(&proof)).await;
        let got = nonce.is_some();
        self.dpop_heard(url, nonce);
        (result, got)
    }

    /// The revoke POST with a proof (its outcome does not matter), by the key the logout deleted just before.
    pub async fn dpop_revoke(self: &Rc<Self>, url: &str, form: String, p: &Proof) {
        if let Ok(proof) = self.proof_with("POST", url, p.nonce.as_deref(), None, true).await {
            let r = http::post_form_with(url, form, TOKEN_TIMEOUT_MS, Some(&proof)).await;
            self.dpop_heard(url, r.ok().and_then(|r| r.dpop_nonce));
        }
    }

    /// The engine's `ForgetKey`.
    pub fn dpop_forget(&self, delete: bool) {
        let p = dpop_forget(&self.key_name(), delete, self.key_persists());
        crate::web::task::spawn(Box::pin(async move {
            let _ = JsFuture::from(p).await;
        }));
    }
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    /// `{ key, x, y }`: the private key (non-extractable) and the public coordinates; made on first use.
    #[wasm_bindgen(js_name = dpopKey)]
    fn dpop_key(name: &str, persist: bool, last: bool) -> Promise;
    /// ECDSA P-256 / SHA-256 signature of `text` (raw r ‖ s).
    #[wasm_bindgen(js_name = dpopSign)]
    fn dpop_sign(key: &JsValue, text: &str) -> Promise;
    #[wasm_bindgen(js_name = dpopForget)]
    fn dpop_forget(name: &str, delete: bool, persist: bool) -> Promise;
}
