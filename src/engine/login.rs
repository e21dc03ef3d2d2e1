//! Getting a session: the authorize request (state and PKCE from the engine's [`RandomSource`], the transaction),
//! the callback's decision (`protocol::decide_callback`), the code exchange with its one DPoP nonce resend, and a
//! popup's outcomes (hand-over, closed, timed out). The browser layer carries the commands out: it hashes the
//! verifier, keeps a redirect's transaction in sessionStorage, opens the popup and listens for its hand-over,
//! sends the exchange, cleans the address bar.
//!
//! A popup's transaction stays here, in memory: its callback page hands the URL back to this window, so nothing of
//! it needs to outlive the page. A redirect's goes to sessionStorage (the page is replaced) and comes back with
//! [`Input::Callback`](super::Input::Callback).
//!
//! [`RandomSource`]: crate::protocol::RandomSource

use super::io::{Command, Value};
use super::{CallId, Engine, Instant};
use crate::protocol::handover_message::{self, Kind};
use crate::protocol::{
    authorization_code_form, authorize_url, challenge_from_digest, check_state, clean_url, decide_callback,
    from_implicit, new_state, new_verifier, Callback, Error, ErrorCode, Flow, Redirect, TokenSet,
    Transaction,
};

/// A login of this tab in progress, known by the app call that waits for it.
pub(super) struct Login {
    call: CallId,
    kind: Kind,
    tx: Transaction,
    stage: Stage,
    /// The app's call was settled already: a popup that closed (`popup_closed`) while a hand-over may still come
    /// (a Cross-Origin-Opener-Policy page severed it, and the user went on); its tokens still log in, until the
    /// timeout.
    answered: bool,
}

enum Stage {
    /// Waiting for the browser's SHA-256 of the verifier (`Input::Digested`).
    Digest { timeout_ms: u32 },
    /// A redirect's transaction is being stored; then the call resolves with the URL.
    Saving { url: String },
    /// The popup shows the authorize page: waiting for its callback.
    Waiting,
    /// The code is being exchanged (`form`, kept for the one resend with the server's nonce).
    Exchanging { form: String, retried: bool },
}

/// The popup's timeout: the app's `timeoutSeconds` (1 s to 11 days, whole seconds), else the configured one.
pub fn popup_timeout_ms(asked_s: Option<f64>, configured_s: u32) -> u32 {
    let s = asked_s.filter(|s| *s >= 1.0 && *s < 1e6).map_or(configured_s, |s| s as u32);
    // A browser timer overflows past 2^31 ms (24.8 days) and fires at once: a longer `popupTimeoutSeconds` (a
    // "wait for ever") waits 11.6 days instead of rejecting `timeout` as the popup opens.
    s.min(999_999).saturating_mul(1000)
}

fn popup_closed(back: bool, redirect_uri: &str) -> Error {
    // (`concat`, not `format!`: no formatting machinery in the wasm.)
    let why = if back {
        ["the login popup was closed before the login finished (it reached ", redirect_uri, ", which handed nothing back: does that page call handleRedirect()?)"].concat()
    } else {
        ["the login popup was closed and the login did not come back to ", redirect_uri, "; if the server showed an error, check that this redirectUri is registered"].concat()
    };
    Error::with(ErrorCode::Other("popup_closed".into()), &why)
}

impl Engine {
    fn login_at(&self, call: CallId) -> Option<usize> {
        self.logins.iter().position(|l| l.call == call)
    }

    /// `loginUrl()` (a redirect) or `loginPopup()`: a new transaction, and its authorize URL once the verifier's
    /// digest is back. `timeout_s`: a popup's `timeoutSeconds`.
    pub(super) fn login(&mut self, now: Instant, call: CallId, kind: Kind, timeout_s: Option<f64>) {
        if kind == Kind::Frame {
            self.drop_frame_login(); // one silent renewal at a time
        }
        let state = handover_message::state_for(kind, new_state(&mut self.random));
        let verifier = (self.cfg.flow == Flow::Pkce).then(|| new_verifier(&mut self.random));
        let tx = Transaction {
            state,
            verifier,
            flow: self.cfg.flow,
            redirect_uri: self.cfg.redirect_uri.clone(),
            created_at_ms: now.as_ms(),
        };
        let timeout_ms = popup_timeout_ms(timeout_s, self.cfg.popup_timeout_s);
        let digest = tx.verifier.clone();
        self.logins.push(Login { call, kind, tx, stage: Stage::Digest { timeout_ms }, answered: false });
        match digest {
            Some(text) => self.push(Command::Digest { call, text }),
            None => self.authorize(call, None),
        }
    }

    /// The verifier's SHA-256 (or why the browser could not compute it).
    pub(super) fn digested(&mut self, now: Instant, call: CallId, digest: Result<Vec<u8>, Error>) {
        match digest {
            Ok(d) => self.authorize(call, Some(challenge_from_digest(&d))),
            Err(e) => self.login_failed(now, call, e),
        }
    }

    fn authorize(&mut self, call: CallId, challenge: Option<String>) {
        let Some(i) = self.login_at(call) else { return };
        let Stage::Digest { timeout_ms } = self.logins[i].stage else { return };
        let l = &self.logins[i];
        let url = if l.kind == Kind::Frame {
            // Silent renewal: the server answers from its login session, never with a page.
            let mut cfg = self.cfg.clone();
            cfg.authorize_params.prompt = Some("none".into());
            authorize_url(&cfg, &l.tx.state, challenge.as_deref())
        } else {
            authorize_url(&self.cfg, &l.tx.state, challenge.as_deref())
        };
        match l.kind {
            Kind::Redirect => {
                let tx = l.tx.clone();
                self.logins[i].stage = Stage::Saving { url };
                self.push(Command::SaveTransaction { call, tx });
            }
            _ => {
                let (kind, state) = (l.kind, l.tx.state.clone());
                self.logins[i].stage = Stage::Waiting;
                self.push(Command::Authorize { call, kind, url, state, timeout_ms });
            }
        }
    }

    /// A redirect's transaction is stored (or could not be): `loginUrl()` resolves with the URL.
    pub(super) fn transaction_saved(&mut self, call: CallId, result: Result<(), Error>) {
        let Some(i) = self.login_at(call) else { return };
        let Stage::Saving { url } = &self.logins[i].stage else { return };
        let r = result.map(|()| Value::Text(url.clone()));
        self.logins.swap_remove(i);
        self.settle(call, r);
    }

    /// The browser could not carry out a step of the login (the digest, the popup's navigation, the frame).
    pub(super) fn login_failed(&mut self, now: Instant, call: CallId, e: Error) {
        if let Some(l) = self.end_login(call) {
            self.answer(now, &l, Err(e));
        }
    }

    /// A login's outcome for whoever waits: the app's call, or the silent renewal.
    fn answer(&mut self, now: Instant, l: &Login, result: Result<TokenSet, Error>) {
        match l.kind {
            Kind::Frame => {
                // The renewal that waits for this frame (none: it gave up, and the answer is not wanted).
                if let Some(id) = self.silent_frame() {
                    self.handle(now, super::Input::SilentDone { id, result })
                }
            }
            // `handleRedirect()` resolves `true`, `loginPopup()` with nothing; a closed popup's call is settled.
            kind => {
                let call = if l.answered { super::NO_CALL } else { l.call };
                let value = if kind == Kind::Redirect { Value::Bool(true) } else { Value::Unit };
                self.finish(now, call, value, result)
            }
        }
    }

    /// The silent renewal gave up waiting (its frame is being removed): a late answer is not wanted.
    pub(super) fn drop_frame_login(&mut self) {
        if let Some(i) = self.login_at(super::FRAME_CALL) {
            self.logins.swap_remove(i);
        }
    }

    /// The login is over: forgotten here, and the browser closes its popup and stops listening.
    fn end_login(&mut self, call: CallId) -> Option<Login> {
        let i = self.login_at(call)?;
        let l = self.logins.swap_remove(i);
        if l.kind != Kind::Redirect {
            self.push(Command::EndLogin { call });
        }
        Some(l)
    }

    /// `handleRedirect()`: the page's URL (`href`, its query and fragment) and the transaction stored under its
    /// `state` (already removed: single use), or why storage could not be read.
    pub(super) fn callback(&mut self, now: Instant, call: CallId, href: &str, r: Redirect, tx: Result<Option<Transaction>, Error>) {
        let (tx, storage_error) = match tx {
            Ok(tx) => (tx, None),
            Err(e) => (None, Some(e)),
        };
        let decision = decide_callback(r, tx.clone(), &self.cfg, now.as_ms());
        if !decision.cleans_url() {
            return self.settle(call, Ok(Value::Bool(false)));
        }
        // First of all: codes, tokens and errors leave the address bar and history, whatever happens next.
        self.push(Command::ReplaceUrl { url: clean_url(href) });
        if let Some(e) = storage_error {
            return self.settle(call, Err(e));
        }
        match (decision, tx) {
            (Callback::Exchange { code, verifier }, Some(tx)) => {
                self.logins.push(Login { call, kind: Kind::Redirect, tx, stage: Stage::Waiting, answered: false });
                self.carry_out(now, call, Callback::Exchange { code, verifier });
            }
            (Callback::Implicit { params }, _) => self.finish(now, call, Value::Bool(true), from_implicit(&params, now.as_ms())),
            (Callback::Reject(e), _) => self.settle(call, Err(e)),
            _ => {}
        }
    }

    /// A popup's callback URL, handed over by its callback page: checked against the transaction this window
    /// started exactly as a redirect is. One that is not an answer to this login (an error without our state)
    /// changes nothing.
    pub(super) fn handover(&mut self, now: Instant, call: CallId, r: Redirect) {
        let Some(i) = self.login_at(call) else { return };
        let l = &self.logins[i];
        if !matches!(l.stage, Stage::Waiting) {
            return;
        }
        // Only the transaction this window started may be spent here, never another pending login's.
        let tx = check_state(&l.tx.state, r.state()).is_ok().then(|| l.tx.clone());
        let decision = decide_callback(r, tx, &self.cfg, now.as_ms());
        self.carry_out(now, call, decision);
    }

    fn carry_out(&mut self, now: Instant, call: CallId, decision: Callback) {
        match decision {
            Callback::NotOurs => {}
            Callback::Reject(e) => self.login_done(now, call, Err(e)),
            Callback::Implicit { params } => self.login_done(now, call, from_implicit(&params, now.as_ms())),
            Callback::Exchange { code, verifier } => {
                let Some(i) = self.login_at(call) else { return };
                let form = authorization_code_form(&self.cfg, &code, verifier.as_ref());
                self.logins[i].stage = Stage::Exchanging { form: form.clone(), retried: false };
                self.send_exchange(call, form);
            }
        }
    }

    fn send_exchange(&mut self, call: CallId, form: String) {
        let url = self.cfg.token_url();
        let proof = self.endpoint_proof(&url);
        self.push(Command::ExchangeCode { call, url, form, proof });
    }

    /// The token endpoint's answer to the code exchange.
    pub(super) fn exchanged(&mut self, now: Instant, call: CallId, result: Result<TokenSet, Error>) {
        let Some(i) = self.login_at(call) else { return };
        let nonce_known = self.token_endpoint_nonce().is_some();
        let Stage::Exchanging { form, retried } = &mut self.logins[i].stage else { return };
        if matches!(&result, Err(e) if super::retries_with_nonce(e, nonce_known, *retried)) {
            // RFC 9449 §8: one resend with the server's nonce; a second demand is the answer.
            *retried = true;
            let form = form.clone();
            return self.send_exchange(call, form);
        }
        self.login_done(now, call, result);
    }

    /// The login's tokens (or why there are none) reach the session and the app's call. A popup's call that was
    /// already rejected as closed is not settled again; its tokens still log the session in.
    fn login_done(&mut self, now: Instant, call: CallId, result: Result<TokenSet, Error>) {
        let Some(l) = self.end_login(call) else { return };
        self.answer(now, &l, result);
    }

    /// Tokens of a login become the session (stored, current, announced; `call` resolves with `value`), unless
    /// `dpop: true` refuses them; an error settles `call`.
    fn finish(&mut self, now: Instant, call: CallId, value: Value, result: Result<TokenSet, Error>) {
        match result.and_then(|t| self.dpop_refuses(&t).map_or(Ok(t), Err)) {
            Ok(t) => self.logged_in(now, call, t, value),
            Err(e) => self.settle(call, Err(e)),
        }
    }

    /// The popup is closed (and its last message had its time to arrive). `back`: it showed a page of our origin
    /// at some point (the login came back, but nothing was handed over).
    pub(super) fn popup_closed(&mut self, call: CallId, back: bool) {
        let Some(i) = self.login_at(call) else { return };
        let l = &mut self.logins[i];
        if !matches!(l.stage, Stage::Waiting) || l.answered {
            return; // an exchange under way finishes first
        }
        l.answered = true;
        let e = popup_closed(back, &self.cfg.redirect_uri);
        self.settle(call, Err(e));
    }

    /// The popup's timeout ran out.
    pub(super) fn login_timed_out(&mut self, now: Instant, call: CallId) {
        let Some(i) = self.login_at(call) else { return };
        match self.logins[i] {
            Login { stage: Stage::Exchanging { .. }, .. } => {} // an exchange under way finishes first
            Login { answered: true, .. } => drop(self.end_login(call)),
            Login { stage: Stage::Waiting, .. } => {
                self.login_failed(now, call, Error::with(ErrorCode::Timeout, "the popup login did not finish in time"))
            }
            _ => {}
        }
    }
}
