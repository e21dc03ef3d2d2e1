//! `session.fetch`: a drop-in `fetch` that attaches the bearer token to allowed origins only, checks expiry
//! against the wall clock on every call, and turns a 401 into one refresh and one retry.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

use crate::core::{api_error, is_allowed_origin, Decision, Error, ErrorCode};
use crate::web::inner::Inner;
use crate::web::{browser, errors, json};

impl Inner {
    pub async fn fetch(self: &Rc<Self>, input: JsValue, init: JsValue) -> Result<JsValue, JsValue> {
        let req = self.build_request(&input, &init)?;
        if !is_allowed_origin(&self.cfg.api_origins, &req.url()) {
            // Not ours to authenticate: sent untouched, and no refresh is triggered for it.
            return send(&req).await.map(Into::into);
        }
        self.wait_ready().await;
        let token = self.token_for_request().await.map_err(|e| errors::to_js(&e))?;
        // Cloned before the first send so the body is still readable for the retry.
        let spare = req.clone().map_err(|e| errors::to_js(&errors::from_js(ErrorCode::Network, &e)))?;
        let res = send_with_token(&req, &token).await?;
        if res.status() != 401 {
            return Ok(res.into());
        }
        let can_refresh = self.tokens.borrow().as_ref().is_some_and(|t| t.refresh_token.is_some());
        if !can_refresh {
            self.note_rejected(&res, &token).await;
            return Ok(res.into());
        }
        self.refresh(Some(token)).await.map_err(|e| errors::to_js(&e))?;
        let Some(fresh) = self.access_token() else {
            return Err(errors::to_js(&Error::new(ErrorCode::LoginRequired)));
        };
        send_with_token(&spare, &fresh).await.map(Into::into)
    }

    /// Relative URLs resolve against `server` (not the page); Request objects and absolute URLs pass as they are.
    fn build_request(&self, input: &JsValue, init: &JsValue) -> Result<Request, JsValue> {
        let init: RequestInit = if init.is_undefined() || init.is_null() {
            RequestInit::new()
        } else {
            init.clone().unchecked_into()
        };
        if let Some(r) = input.dyn_ref::<Request>() {
            return Request::new_with_request_and_init(r, &init);
        }
        if input.is_undefined() || input.is_null() {
            return Err(errors::to_js(&Error::new(ErrorCode::InvalidRequest)));
        }
        // A string, or anything with a URL-ish toString (URL objects).
        let text = match input.as_string() {
            Some(s) => s,
            None => String::from(input.unchecked_ref::<js_sys::Object>().to_string()),
        };
        let mut base = self.cfg.server.clone();
        base.push('/');
        let url = web_sys::Url::new_with_base(&text, &base)?;
        Request::new_with_str_and_init(&url.href(), &init)
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
                    if let Err(e) = self.refresh(None).await {
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
        let body = match res.clone() {
            Ok(c) => match c.text() {
                Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).and_then(|t| json::parse_text(&t)),
                Err(_) => None,
            },
            Err(_) => None,
        };
        let e = api_error(401, body.as_ref());
        if self.access_token().as_deref() == Some(token) && e.error_code.is_some() {
            self.forget("expired", &errors::to_js(&e), true).await;
        }
    }
}

fn login_required() -> Error {
    Error::new(ErrorCode::LoginRequired)
}

async fn send(req: &Request) -> Result<Response, JsValue> {
    let p = browser::window().fetch_with_request(req);
    Ok(JsFuture::from(p).await?.unchecked_into())
}

async fn send_with_token(req: &Request, token: &str) -> Result<Response, JsValue> {
    let headers = Headers::new_with_headers(&req.headers())?;
    let mut value = String::with_capacity(7 + token.len());
    value.push_str("Bearer ");
    value.push_str(token);
    headers.set("Authorization", &value)?;
    let init = RequestInit::new();
    init.set_headers(&headers);
    let authed = Request::new_with_request_and_init(req, &init)?;
    send(&authed).await
}
