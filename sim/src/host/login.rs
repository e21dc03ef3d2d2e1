//! A login as the host sees it, as web/ carries it out in the browser: the engine makes the transaction and the
//! authorize URL (`Input::Login`; `Command::Digest` is `crypto.subtle.digest`, a microtask later), the user logs
//! in at the server in the popup (`Command::Authorize`, answered in `server.rs`), the callback page hands the
//! URL back (`Input::Handover`), and the engine exchanges the code (`Command::ExchangeCode`, answered by the
//! emulator's `exchange_code`, which checks the PKCE verifier) and decides what the answer means.

use sha2::{Digest as _, Sha256};

use crate::*;

impl World {
    /// `loginPopup()` (a popup keeps the tab: a redirect would replace its page) as `owner`.
    pub(crate) fn login_popup(&mut self, tab: usize, owner: &'static str) {
        let call = self.new_call(tab, CallKind::Login, String::new());
        self.logins_pending.insert(tab);
        self.login_as.insert((tab, call), owner);
        self.tr(Some(tab), format!("app: loginPopup() as {owner}"));
        self.feed(tab, Input::Login { call, kind: Kind::Popup, timeout_s: None }, Cause::Other);
    }

    /// `Command::Digest`.
    pub(crate) fn digest(&mut self, tab: usize, call: CallId, text: Secret) {
        let digest = Ok(Sha256::digest(text.expose().as_bytes()).to_vec());
        self.push(0.0, Ev::Feed { tab, input: Input::Digested { call, digest } });
    }

    /// `Command::Authorize`: the authorize request goes to the server (invariant 11 reads it first).
    pub(crate) fn authorize(&mut self, tab: usize, call: CallId, kind: Kind, url: String) {
        self.tr(Some(tab), format!("-> Authorize {kind:?}"));
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let params = Params::parse(query.as_bytes());
        self.inv11_check_authorize(tab, &params);
        match kind {
            Kind::Frame => self.silent_authorize(tab, params),
            _ => {
                let d = self.rng.real(50.0, 800.0);
                self.push(d, Ev::AuthorizeArrive { tab, call, params });
            }
        }
    }

    /// `Command::ExchangeCode`: the code exchange goes to the token endpoint (with a proof when DPoP is on).
    pub(crate) fn send_exchange(&mut self, tab: usize, call: CallId, form: String, proof: Option<Proof>) {
        self.tr(Some(tab), "-> ExchangeCode".into());
        if self.cfg.dpop && proof.is_none() {
            self.fail(Inv::Nonce, format!("tab{tab} exchanged a code without a DPoP proof"));
        }
        let d = self.rng.real(5.0, 300.0);
        self.push(d, Ev::ExchangeArrive { tab, call, form, proof });
    }

    /// The exchange's answer, read as web/http.rs reads it, fed as `Input::Exchanged`.
    pub(crate) fn exchange_reply(&mut self, tab: usize, call: CallId, wire: Wire, proved: bool, dpop_nonce: Option<String>) {
        if !self.tabs[tab].open {
            self.logins_pending.remove(&tab);
            return;
        }
        let tnow = self.tab_now(tab);
        let result = wire.read_tokens(tnow, tnow, proved);
        if let Ok(ts) = &result {
            let a = ts.access_token.expose().to_string();
            self.delivered(tab, ts);
            self.touch(tab, &a);
            if call == FRAME_CALL {
                self.silent_delivered(tab, a);
            }
        }
        self.feed(tab, Input::Exchanged { call, result, dpop_nonce }, Cause::Other);
    }
}
