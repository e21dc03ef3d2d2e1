//! The simulated RingCentral-compatible server: the emulator's own grant logic (`rc_emulator::token::process`,
//! `grants::issue_code_for`, `access::authorize`, `revoke::revoke`) on its own `rc_emulator::store::State`, pinned
//! to the simulated time, plus what the emulator's HTTP layer would add: DPoP nonces, the answer as the client
//! sees it (`served`), and the token faults drawn for a request (`faults.rs`) applied as it arrives.
//!
//! The logic is the emulator's, used as a library; what lives here is the wiring. (`rc-emulator` builds its
//! library with axum: its pure functions share files with their HTTP handlers, so the sim links axum although
//! it never serves HTTP. Splitting those files behind a feature is emulator work, not done here.)

use crate::*;

/// A token request on the wire: what the host sent, and the fault drawn for it.
pub(crate) struct TokenReq {
    /// The engine's id of the request (its answer carries it).
    pub(crate) id: OpId,
    /// The `DPoP-Nonce` its answer carries.
    pub(crate) nonce: Option<String>,
    pub(crate) tab: usize,
    pub(crate) rt: Option<String>,
    pub(crate) params: Params,
    pub(crate) fault: TokFault,
    #[allow(dead_code)]
    pub(crate) sent: f64,
    #[allow(dead_code)]
    pub(crate) timeout_ms: u32,
    pub(crate) session: Option<String>,
    pub(crate) proof: Option<Proof>,
    /// Invariant 1: a replay of the group's lost newest pair (its holders closed, or frozen through every ask):
    /// if the server refuses it (past the grace window), the session that ends is the loss's (invariant 3).
    pub(crate) lost: Option<String>,
}

/// An answer of the simulated server as the browser layer reads it off the wire: the status, `Retry-After` and
/// the body's text; or none (the connection dropped, or the engine's timeout ran out first). What it means is the
/// library's own `protocol::response` (`Wire::read_tokens`), as in the browser: the simulator classifies nothing.
#[derive(Debug)]
pub(crate) enum Wire {
    Answer { status: u16, retry_after: Option<u32>, body: String },
    Lost { timed_out: bool },
}

impl Wire {
    /// The emulator's token answer, as its HTTP handler sends it.
    pub(crate) fn tokens(r: &TokenResponse) -> Wire {
        Wire::Answer { status: 200, retry_after: None, body: serde_json::to_string(r).expect("a token body") }
    }

    /// The emulator's OAuth error, as its HTTP handler sends it.
    fn oauth_error(e: &OAuthError) -> Wire {
        Wire::Answer { status: e.status, retry_after: None, body: e.body() }
    }

    /// A gateway's answer without a JSON body (5xx, 429).
    fn status(status: u16, retry_after: Option<u32>) -> Wire {
        Wire::Answer { status, retry_after, body: String::new() }
    }

    /// The token endpoint's answer read as the browser layer reads it (`protocol::token_response`), by a request
    /// sent at `sent_at` (`proved`: with a DPoP proof), read at `now`.
    pub(crate) fn read_tokens(&self, sent_at: f64, now: f64, proved: bool) -> Result<TokenSet, Error> {
        match self {
            Wire::Answer { status, retry_after, body } => {
                let answer = HttpAnswer { status: *status, retry_after: retry_after.map(|r| r.to_string()), body: json_body(body) };
                token_response(&answer, sent_at, now, proved)
            }
            Wire::Lost { timed_out } => Err(no_answer(*timed_out)),
        }
    }
}

/// A JSON value the library's typed bodies read field by field (`protocol::serde_fields::Fields`), as they read
/// the browser's `JsValue`.
pub(crate) struct Json(serde_json::Value);

impl Fields for Json {
    fn field<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<T, String> {
        T::deserialize(self.0.get(key).cloned().unwrap_or_default()).map_err(|e| e.to_string())
    }
}

/// A body's text as the browser layer hands it over (`web::json::body`).
pub(crate) fn json_body(text: &str) -> Body<Json> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) if v.is_object() => Body::Object(Json(v)),
        Ok(_) => Body::NotObject,
        Err(_) => Body::NotJson,
    }
}

impl World {
    /// The type of the tokens the server issues: DPoP-bound when the app asks and the server honours it.
    pub(crate) fn token_type(&self) -> &'static str {
        if self.prof.dpop && !self.prof.dpop_downgrade {
            "DPoP"
        } else {
            "bearer"
        }
    }

    /// DPoP nonces (one origin serves the token endpoint and the API): a new one every NONCE_PERIOD_MS of
    /// server time; a proof passes with the current or the previous one, else the server demands the current
    /// one. A stubborn server also skips ahead now and then (the resend it earned is refused too).
    pub(crate) fn nonce_demanded(&mut self, proof: &Option<Proof>) -> Option<String> {
        if !self.prof.dpop_nonce || self.prof.dpop_downgrade {
            return None;
        }
        let period = ((self.now - EPOCH_MS) / NONCE_PERIOD_MS) as u64;
        if self.prof.dpop_stubborn && self.rng.chance(0.1) {
            self.nonce_skip += 2;
        }
        self.nonce_gen = period + self.nonce_skip;
        let current = format!("n{}", self.nonce_gen);
        let previous = format!("n{}", self.nonce_gen.saturating_sub(1));
        let sent = proof.as_ref().and_then(|p| p.nonce.as_deref());
        if sent == Some(current.as_str()) || (self.nonce_gen > 0 && sent == Some(previous.as_str())) {
            None
        } else {
            Some(current)
        }
    }

    /// What the server tells the client: the emulator's answer, without `refresh_token_expires_in` when the
    /// run's server omits it.
    pub(crate) fn served(&self, mut r: TokenResponse) -> TokenResponse {
        r.token_type = self.token_type();
        if !self.prof.rt_expiry_known {
            r.refresh_token_expires_in = None;
        }
        r
    }

    pub(crate) fn token_arrive(&mut self, req: usize) {
        let fault = self.reqs[req].fault;
        if let TokFault::Status(status, ra) = fault {
            let d = self.rng.real(5.0, 300.0);
            self.push(d, Ev::TokenReply { req, wire: Wire::status(status, ra), answered: false });
            return;
        }
        let proof = self.reqs[req].proof.clone();
        if let Some(nonce) = self.nonce_demanded(&proof) {
            // Nothing processed: the answer carries the nonce.
            self.tr(None, format!("server: use_dpop_nonce ({nonce})"));
            let d = self.rng.real(5.0, 300.0);
            self.reqs[req].nonce = Some(nonce);
            // RFC 9449 §8's answer.
            let body = format!(r#"{{"error":"{USE_DPOP_NONCE}","error_description":"Authorization server requires nonce in DPoP proof"}}"#);
            self.push(d, Ev::TokenReply { req, wire: Wire::Answer { status: 400, retry_after: None, body }, answered: false });
            return;
        }
        let r = &self.reqs[req];
        let creds = ClientCreds { basic: None, body_client_id: r.params.get("client_id").map(str::to_string) };
        let params = r.params.clone();
        let outcome = rc_emulator::token::process(&mut self.st, true, &params, &creds);
        if self.opts.trace {
            let what = match &outcome {
                Ok(t) => {
                    let a = self.name(&t.access_token, 'A');
                    let r = t.refresh_token.as_deref().map(|r| self.name(r, 'R')).unwrap_or_default();
                    format!("server: issued {a}/{r}")
                }
                Err(e) => format!("server: {} {}", e.error, e.code.unwrap_or("")),
            };
            self.tr(None, what);
        }
        match fault {
            TokFault::Timeout => {} // the tab gets its timeout; whatever the server did is lost
            TokFault::Drop => {
                let d = self.rng.real(0.0, 50.0);
                self.push(d, Ev::TokenReply { req, wire: Wire::Lost { timed_out: false }, answered: false });
            }
            _ => {
                let wire = match outcome {
                    Ok(t) => Wire::tokens(&self.served(t)),
                    Err(e) => Wire::oauth_error(&e),
                };
                let d = self.rng.real(5.0, 300.0);
                self.push(d, Ev::TokenReply { req, wire, answered: true });
            }
        }
    }

    /// An authorize request the user approved as `owner` (interactive, or `prompt=none` from the login session):
    /// the emulator's code for it, bound to its PKCE challenge, counted as login `login` (invariant 9). The
    /// callback's query.
    fn approve(&mut self, p: &Params, owner: &str, login: u64) -> String {
        let state = p.get("state").unwrap_or_default().to_string();
        let req = AuthRequest {
            client_id: CLIENT_ID.into(),
            redirect_uri: REDIRECT_URI.into(),
            response_type: ResponseType::Code,
            state: Some(state.clone()),
            challenge: p.get("code_challenge").map(|c| (c.to_string(), PkceMethod::S256)),
        };
        let code = rc_emulator::grants::issue_code_for(&mut self.st, &req, owner);
        self.code_logins.insert(code.clone(), login);
        form_encode(&[("code", &code), ("state", &state)])
    }

    /// A popup's authorize request: the user signs in as the app's chosen user, which leaves them logged in at
    /// the server (its login cookie), unless still so; the callback page hands the code back to the tab.
    pub(crate) fn authorize_arrive(&mut self, tab: usize, call: CallId, params: Params) {
        let owner = self.login_as.remove(&(tab, call)).unwrap_or(USERS[0].owner_id);
        let l = self.new_login();
        let query = self.approve(&params, owner, l);
        let signed_in = self.login_id.as_deref().and_then(|id| self.st.login_owner(id));
        if signed_in.as_deref() != Some(owner) {
            let id = format!("login{}", self.st.logins.len() + 1);
            let created_ms = self.st.now();
            self.st.logins.insert(id.clone(), LoginSession { created_ms, owner_id: owner.into() });
            self.login_id = Some(id);
        }
        self.tr(Some(tab), format!("server: login as {owner}, code issued"));
        let d = self.rng.real(5.0, 100.0);
        self.push(d, Ev::Feed { tab, input: Input::Handover { call, response: parse_redirect(&format!("?{query}"), "") } });
    }

    /// A code exchange: the emulator's `exchange_code` (client, redirect_uri, PKCE verifier, single use), after
    /// the DPoP nonce check.
    pub(crate) fn exchange_arrive(&mut self, tab: usize, call: CallId, form: String, proof: Option<Proof>) {
        let proved = proof.is_some();
        let d = self.rng.real(5.0, 300.0);
        if let Some(nonce) = self.nonce_demanded(&proof) {
            self.tr(None, format!("server: use_dpop_nonce ({nonce})"));
            // The nonce comes with the answer (its `DPoP-Nonce` header).
            let body = format!(r#"{{"error":"{USE_DPOP_NONCE}","error_description":"Authorization server requires nonce in DPoP proof"}}"#);
            let wire = Wire::Answer { status: 400, retry_after: None, body };
            self.push(d, Ev::ExchangeReply { tab, call, wire, proved, nonce: Some(nonce) });
            return;
        }
        let params = Params::parse(form.as_bytes());
        let login = params.get("code").and_then(|c| self.code_logins.remove(c));
        let creds = ClientCreds { basic: None, body_client_id: params.get("client_id").map(str::to_string) };
        let outcome = rc_emulator::token::process(&mut self.st, true, &params, &creds);
        self.inv11_check_exchange(tab, &outcome);
        let wire = match outcome {
            Ok(t) => {
                let t = self.served(t);
                if let Some(l) = login {
                    self.login_of_session.insert(t.session_id.clone(), l);
                }
                if self.opts.trace {
                    let a = self.name(&t.access_token, 'A');
                    let r = t.refresh_token.as_deref().map(|r| self.name(r, 'R')).unwrap_or_default();
                    self.tr(Some(tab), format!("server: code exchanged, issued {a}/{r}"));
                }
                Wire::tokens(&t)
            }
            Err(e) => {
                self.tr(Some(tab), format!("server: code exchange refused: {} {}", e.error, e.code.unwrap_or("")));
                Wire::oauth_error(&e)
            }
        };
        self.push(d, Ev::ExchangeReply { tab, call, wire, proved, nonce: None });
    }

    /// The server answers the `prompt=none` request from the user's login session: a code (its exchange follows
    /// through the engine); `login_required` when that session has ended or never was.
    pub(crate) fn silent_arrive(&mut self, tab: usize, id: u64, slow: bool, params: Params) {
        let signed_in = self.login_id.as_deref().and_then(|l| self.st.login_owner(l));
        let query = if let Some(owner) = signed_in {
            let l = match self.silent_logins.get(&id).cloned().flatten() {
                // (oss-sim seeds 309, 5526, 9566: a renewal answered as the other user, counted as the old login,
                // which another tab's logout then named by the engine's login and not by this one.)
                Some((l, renewed)) if renewed == owner => l,
                _ => self.new_login(),
            };
            self.tr(Some(tab), format!("server: prompt=none as {owner}, code issued"));
            self.approve(&params, &owner, l)
        } else {
            self.tr(Some(tab), "server: prompt=none, login_required".into());
            let state = params.get("state").unwrap_or_default();
            form_encode(&[("error", "login_required"), ("error_description", "User login is required"), ("state", state)])
        };
        let d = if slow { 0.0 } else { self.rng.real(5.0, 300.0) };
        self.push(d, Ev::SilentReply { tab, id, query });
    }

    /// An API request reaches the server (or, outside `apiOrigins`, another origin that answers 200): the
    /// resource's DPoP nonce challenge, or the emulator's `authorize` of the bearer token.
    pub(crate) fn api_arrive(&mut self, tab: usize, call: CallId, token: Option<String>, api: bool, proof: Option<Proof>) {
            let demand = if api && token.is_some() && proof.is_some() { self.nonce_demanded(&proof) } else { None };
            if let Some(c) = self.tabs[tab].calls.get_mut(&call) {
                c.nonce_demands = if demand.is_some() { c.nonce_demands + 1 } else { 0 };
            }
            // The answer's facts (status, `WWW-Authenticate`, body), read as web/driver.rs reads them.
            let (status, challenge, body) = if demand.is_some() {
                // The resource's challenge (RFC 9449 §9), with its nonce in `DPoP-Nonce`.
                (401, Some(r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#), String::new())
            } else if !api {
                (200, None, String::new())
            } else {
                let cred = token.map_or(Credential::None, Credential::Token);
                match authorize(&mut self.st, &cred) {
                    Ok(_) => (200, None, String::new()),
                    Err(e) => (e.status, None, e.body()),
                }
            };
            let error = match api_answer(status, challenge, self.cfg.dpop) {
                ApiAnswer::Known(error) => error,
                ApiAnswer::ReadBody => Some(unauthorized(&json_body(&body))),
            };
            let d = self.rng.real(5.0, 400.0);
            self.push(d, Ev::Feed { tab, input: Input::ApiResponse { call, status, error, dpop_nonce: demand } });
    }

    /// A revocation reaches the server: the emulator's `revoke`.
    pub(crate) fn revoke_arrive(&mut self, tab: usize, call: CallId, token: Option<String>) {
            if let (Some(t), Some(app)) = (token, self.st.apps.get(CLIENT_ID).cloned()) {
                rc_emulator::revoke::revoke(&mut self.st, &app, &t);
            }
            let d = self.rng.real(5.0, 300.0);
            self.push(d, Ev::Feed { tab, input: Input::RevokeDone { call, dpop_nonce: None } });
    }

    /// Invariant 10's runs: as the control API's login-user does, the next prompt=none is answered as the other user.
    pub(crate) fn switch_user(&mut self) {
        if let Some(l) = self.login_id.clone().and_then(|id| self.st.login_valid(&id).then_some(id)) {
            if let Some(s) = self.st.logins.get_mut(&l) {
                let other = USERS.iter().find(|u| u.owner_id != s.owner_id).expect("two users");
                s.owner_id = other.owner_id.to_string();
                self.tr(None, format!("server: the login session's user is now {}", other.owner_id));
            }
        }
    }
}
