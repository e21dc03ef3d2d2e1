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
}

/// The emulator's `TokenResponse` as the tab's core would hold it, received at the tab's `now`
/// (field by field, no JSON: the core's parser is being rewritten elsewhere).
pub(crate) fn token_set(r: &TokenResponse, now: f64, token_type: &str) -> TokenSet {
    TokenSet {
        access_token: Secret::new(r.access_token.clone()),
        token_type: token_type.to_string(),
        issued_at_ms: now,
        expires_at_ms: now + r.expires_in as f64 * 1000.0,
        refresh_token: r.refresh_token.clone().map(Secret::new),
        refresh_expires_at_ms: r.refresh_token_expires_in.map(|s| now + s as f64 * 1000.0),
        scope: Some(r.scope.clone()),
        owner_id: Some(r.owner_id.clone()),
        endpoint_id: Some(r.endpoint_id.clone()),
        session_id: Some(r.session_id.clone()),
        lineage: Default::default(),
    }
}

/// An OAuth error body from the token endpoint, classified the way the core's `token_endpoint_error`
/// classifies 4xx answers: terminal, `invalid_grant` for OAU-210/211/213/129, RingCentral's code kept.
pub(crate) fn oauth_error(e: &OAuthError) -> Error {
    let code = match (e.error, e.code.unwrap_or("")) {
        ("invalid_grant", _) | (_, "OAU-210" | "OAU-211" | "OAU-213" | "OAU-129") => ErrorCode::InvalidGrant,
        ("invalid_client", _) | (_, "OAU-153" | "OAU-123" | "OAU-146") => ErrorCode::InvalidClient,
        (other, _) => ErrorCode::from_oauth(other),
    };
    let retryable = e.status == 429 || e.status == 408 || !(400..=499).contains(&e.status);
    Error::new(code)
        .with_status(e.status)
        .with_error_code(e.code.map(str::to_string))
        .with_description(&e.message)
        .with_retryable(retryable)
}

impl World {
    /// The type of the tokens the server issues: DPoP-bound when the app asks and the server honours it.
    pub(crate) fn token_type(&self) -> &'static str {
        if self.prof.dpop && !self.prof.dpop_downgrade {
            "dpop" // as the core stores it (lower-cased)
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
        if !self.prof.rt_expiry_known {
            r.refresh_token_expires_in = None;
        }
        r
    }

    pub(crate) fn token_arrive(&mut self, req: usize) {
        let fault = self.reqs[req].fault;
        if let TokFault::Status(status, ra) = fault {
            let code = if status == 429 { ErrorCode::RateLimited } else { ErrorCode::ServerError };
            let e = Error::new(code).with_status(status).with_retryable(true).with_retry_after(ra);
            let d = self.rng.real(5.0, 300.0);
            self.push(d, Ev::TokenReply { req, result: Err(e), answered: false });
            return;
        }
        let proof = self.reqs[req].proof.clone();
        if let Some(nonce) = self.nonce_demanded(&proof) {
            // Nothing processed: the answer carries the nonce.
            self.tr(None, format!("server: use_dpop_nonce ({nonce})"));
            let d = self.rng.real(5.0, 300.0);
            self.reqs[req].nonce = Some(nonce);
            let e = Error::new(ErrorCode::from_oauth(USE_DPOP_NONCE)).with_status(400).with_description("Authorization server requires nonce in DPoP proof");
            self.push(d, Ev::TokenReply { req, result: Err(e), answered: false });
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
                self.push(d, Ev::TokenReply { req, result: Err(err(ErrorCode::Network, "network request failed").with_retryable(true)), answered: false });
            }
            _ => {
                let result = outcome.map(|t| self.served(t)).map_err(|e| oauth_error(&e));
                let d = self.rng.real(5.0, 300.0);
                self.push(d, Ev::TokenReply { req, result, answered: true });
            }
        }
    }

    /// An approved authorize request (interactive or `prompt=none`): the emulator issues a code and the client
    /// exchanges it, with the emulator's grant logic.
    pub(crate) fn approve_and_exchange(&mut self, owner: &str) -> TokenResponse {
        let req = AuthRequest {
            client_id: CLIENT_ID.into(),
            redirect_uri: REDIRECT_URI.into(),
            response_type: ResponseType::Code,
            state: None,
            challenge: None,
        };
        let code = rc_emulator::grants::issue_code_for(&mut self.st, &req, owner);
        let form = form_encode(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
        ]);
        let p = Params::parse(form.as_bytes());
        let creds = ClientCreds { basic: None, body_client_id: Some(CLIENT_ID.into()) };
        let resp = rc_emulator::token::process(&mut self.st, true, &p, &creds).expect("the emulator exchanges a fresh code");
        resp
    }

    /// An interactive login as `owner`: the server mints a session (authorization code, then its exchange, with
    /// the emulator's grant logic), a login of the simulation's own (invariant 9), and leaves the user logged in
    /// at the server (its login cookie), unless still so.
    pub(crate) fn interactive_login(&mut self, owner: &str) -> TokenResponse {
        let resp = self.approve_and_exchange(owner);
        let resp = self.served(resp);
        let l = self.new_login();
        self.login_of_session.insert(resp.session_id.clone(), l);
        let signed_in = self.login_id.as_deref().and_then(|id| self.st.login_owner(id));
        if signed_in.as_deref() != Some(owner) {
            let id = format!("login{}", self.st.logins.len() + 1);
            let created_ms = self.st.now();
            self.st.logins.insert(id.clone(), LoginSession { created_ms, owner_id: owner.into() });
            self.login_id = Some(id);
        }
        resp
    }

    /// The server answers the `prompt=none` request from the user's login session: a code, exchanged (as the
    /// frame's callback does) for a new pair; `login_required` when that session has ended or never was.
    pub(crate) fn silent_arrive(&mut self, tab: usize, id: u64, slow: bool) {
        let signed_in = self.login_id.as_deref().and_then(|l| self.st.login_owner(l));
        let result = if let Some(owner) = signed_in {
            let resp = self.approve_and_exchange(&owner);
            let l = match self.silent_logins.get(&id).cloned().flatten() {
                // (oss-sim seeds 309, 5526, 9566: a renewal answered as the other user, counted as the old login,
                // which another tab's logout then named by the engine's login and not by this one.)
                Some((l, renewed)) if renewed == owner => l,
                _ => self.new_login(),
            };
            self.login_of_session.insert(resp.session_id.clone(), l);
            if self.opts.trace {
                let a = self.name(&resp.access_token, 'A');
                let r = resp.refresh_token.as_deref().map(|r| self.name(r, 'R')).unwrap_or_default();
                self.tr(Some(tab), format!("server: prompt=none, issued {a}/{r}"));
            }
            Ok(self.served(resp))
        } else {
            self.tr(Some(tab), "server: prompt=none, login_required".into());
            Err(Error::with(ErrorCode::LoginRequired, "User login is required"))
        };
        let d = if slow { 0.0 } else { self.rng.real(5.0, 300.0) };
        self.push(d, Ev::SilentReply { tab, id, result });
    }

    /// An API request reaches the server (or, outside `apiOrigins`, another origin that answers 200): the
    /// resource's DPoP nonce challenge, or the emulator's `authorize` of the bearer token.
    pub(crate) fn api_arrive(&mut self, tab: usize, call: CallId, token: Option<String>, api: bool, proof: Option<Proof>) {
            let demand = if api && token.is_some() && proof.is_some() { self.nonce_demanded(&proof) } else { None };
            if let Some(c) = self.tabs[tab].calls.get_mut(&call) {
                c.nonce_demands = if demand.is_some() { c.nonce_demands + 1 } else { 0 };
            }
            let (status, error) = if demand.is_some() {
                // The resource's challenge (`WWW-Authenticate: DPoP error="use_dpop_nonce"`) with its nonce.
                (401, Some(Error::new(ErrorCode::from_oauth(USE_DPOP_NONCE)).with_status(401)))
            } else if !api {
                (200, None)
            } else {
                let cred = token.map_or(Credential::None, Credential::Token);
                match authorize(&mut self.st, &cred) {
                    Ok(_) => (200, None),
                    Err(e) => (
                        e.status,
                        Some(
                            Error::new(ErrorCode::LoginRequired)
                                .with_status(e.status)
                                .with_error_code(Some(e.code.to_string()))
                                .with_description(e.message),
                        ),
                    ),
                }
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
