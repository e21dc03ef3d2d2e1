//! `session.fetch`: a drop-in `fetch` that attaches the bearer token to allowed origins only, checks expiry
//! against the wall clock on every call, and turns a 401 into one refresh and one retry.

#[allow(unused_imports)]
use crate::core::prelude::*;

use alloc::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response};

use crate::core::{api_error, is_allowed_origin, Decision, Error, ErrorCode};
use crate::web::inner::Inner;
use crate::web::refresh::Why;
use crate::web::{browser, errors, http, json};

impl Inner {
    /// The hot path: ready, and the token fresh by the wall clock. `fetch` is then called synchronously,
    /// before any await (every promise hop before it measurably delays the request in Chromium), and the
    /// response goes back to the app through a single `then` unless it is a 401. `None`: take `fetch`.
    pub fn fetch_now(&self, input: &JsValue, init: &JsValue) -> Option<Promise> {
        if !self.ready_done.get() || self.decision() != Decision::Fresh || self.on_401.borrow().is_none() {
            return None;
        }
        let token = self.access_token()?;
        // From here on the request is built (a body may move out of `input`), so this path always answers.
        Some(match self.build_request(input, init) {
            Ok(req) if !is_allowed_origin(&self.cfg.api_origins, &req.url()) => send(&req),
            Ok(req) => self.send_authenticated(&req, &token).unwrap_or_else(|e| Promise::reject(&e)),
            Err(e) => Promise::reject(&e),
        })
    }

    pub async fn fetch(self: &Rc<Self>, input: JsValue, init: JsValue) -> Result<JsValue, JsValue> {
        let req = self.build_request(&input, &init)?;
        if !is_allowed_origin(&self.cfg.api_origins, &req.url()) {
            // Not ours to authenticate: sent untouched, and no refresh is triggered for it.
            return JsFuture::from(send(&req)).await;
        }
        self.wait_ready().await;
        let token = self.token_for_request().await.map_err(|e| errors::to_js(&e))?;
        JsFuture::from(self.send_authenticated(&req, &token)?).await
    }

    /// Sends `req` with the bearer token; a 401 goes to the `on_401` path. A request with a body is cloned
    /// before the first send so the body is still readable for the retry.
    fn send_authenticated(&self, req: &Request, token: &str) -> Result<Promise, JsValue> {
        let spare = spare_of(req)?;
        let on_401 = self.on_401.borrow().clone().ok_or(JsValue::NULL)?;
        Ok(send_authed(req, &spare, token, &on_401))
    }

    /// A 401 on an API call: one refresh (only if `token` is still the current one) and one retry.
    pub async fn after_401(self: &Rc<Self>, res: Response, spare: Request, token: String) -> Result<JsValue, JsValue> {
        let can_refresh = self.tokens.borrow().as_ref().is_some_and(|t| t.refresh_token.is_some());
        if !can_refresh {
            self.note_rejected(&res, &token).await;
            return Ok(res.into());
        }
        self.refresh(Why::Rejected(token)).await.map_err(|e| errors::to_js(&e))?;
        let Some(fresh) = self.access_token() else {
            return Err(errors::to_js(&Error::new(ErrorCode::LoginRequired)));
        };
        JsFuture::from(send_with_token(&spare, &fresh)).await
    }

    /// Relative URLs resolve against `server` (not the page); Request objects and absolute URLs pass as they are.
    fn build_request(&self, input: &JsValue, init: &JsValue) -> Result<Request, JsValue> {
        if input.is_undefined() || input.is_null() {
            return Err(errors::to_js(&Error::new(ErrorCode::InvalidRequest)));
        }
        let mut base = self.cfg.server.clone();
        base.push('/');
        make_request(input, init, &base)
    }

    /// The token to send now, refreshing first when the policy says so. Without a usable token the request is
    /// never sent: `login_required`.
    async fn token_for_request(self: &Rc<Self>) -> Result<String, Error> {
        for _ in 0..2 {
            let now = browser::now_ms();
            let (decision, expires_at) = {
                let t = self.tokens.borrow();
                (self.decision(), t.as_ref().map(|t| t.expires_at_ms).unwrap_or(0.0))
            };
            let still_valid = now < expires_at;
            match decision {
                Decision::Fresh => return self.access_token().ok_or_else(login_required),
                Decision::Expiring => {
                    self.note_expiring();
                    return self.access_token().ok_or_else(login_required);
                }
                Decision::Refresh => {
                    if still_valid && now < self.cooldown_until.get() {
                        return self.access_token().ok_or_else(login_required);
                    }
                    if let Err(e) = self.refresh(Why::Due).await {
                        let valid_now = self.tokens.borrow().as_ref().is_some_and(|t| browser::now_ms() < t.expires_at_ms);
                        if valid_now {
                            return self.access_token().ok_or_else(login_required);
                        }
                        return Err(e);
                    }
                }
                Decision::LoginRequired => {
                    if self.tokens.borrow().is_some() {
                        self.forget("expired", &JsValue::NULL, false).await;
                    }
                    return Err(login_required());
                }
            }
        }
        self.access_token().ok_or_else(login_required)
    }

    /// A 401 with no way to refresh: if the server says the token is dead, the session is over.
    async fn note_rejected(self: &Rc<Self>, res: &Response, token: &str) {
        let text = JsFuture::from(peek_text(res)).await.ok().and_then(|t| t.as_string());
        let body = http::error_body(text.as_deref().and_then(json::parse_body));
        let e = api_error(401, body);
        if self.access_token().as_deref() == Some(token) && e.error_code.is_some() {
            self.forget("expired", &errors::to_js(&e), true).await;
        }
    }
}

fn login_required() -> Error {
    Error::new(ErrorCode::LoginRequired)
}

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeRequest, catch)]
    fn make_request(input: &JsValue, init: &JsValue, base: &str) -> Result<Request, JsValue>;
    #[wasm_bindgen(js_name = sendWithToken)]
    fn send_with_token(req: &Request, token: &str) -> Promise;
    /// `res.clone().text()`: rejects if the body cannot be read.
    #[wasm_bindgen(js_name = peekText)]
    fn peek_text(res: &Response) -> Promise;
    /// Sends with the token; a 401 goes to `on_401(res, spare, token)`, anything else straight back.
    #[wasm_bindgen(js_name = sendAuthed)]
    fn send_authed(req: &Request, spare: &Request, token: &str, on_401: &Function) -> Promise;
    /// `req.clone()` when it has a body, else `req` itself (a body-less request is never consumed).
    #[wasm_bindgen(js_name = spareOf, catch)]
    fn spare_of(req: &Request) -> Result<Request, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// The page's own `fetch`, for requests that are not ours to authenticate.
    #[wasm_bindgen(js_name = fetch)]
    fn send(req: &Request) -> Promise;

}
