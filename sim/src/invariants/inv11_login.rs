//! Invariant 11: a login goes through the engine as in the browser, and the server checks it. Every authorize
//! request (interactive, or a silent renewal's `prompt=none`) carries a `state` and an S256 PKCE challenge; the
//! callback reaches the engine only with that state (the engine's `decide_callback` checks it); and the server
//! (the emulator's `exchange_code`) never refuses the code exchange for a reason of the client's making (a wrong
//! verifier, `redirect_uri` or client, a code spent twice). An expired code (a tab frozen between the hand-over
//! and the exchange) is the server's right.

use crate::*;

impl World {
    /// What the authorize request (its query) asks for: the client, the callback, a code, a state and S256.
    pub(crate) fn inv11_check_authorize(&mut self, tab: usize, p: &Params) {
        let missing = [
            ("client_id", Some(CLIENT_ID)),
            ("redirect_uri", Some(REDIRECT_URI)),
            ("response_type", Some("code")),
            ("code_challenge_method", Some("S256")),
            ("state", None),
            ("code_challenge", None),
        ]
        .into_iter()
        .find(|(k, want)| match (p.get(k), want) {
            (None, _) => true,
            (Some(v), Some(w)) => v != *w,
            (Some(v), None) => v.is_empty(),
        });
        if let Some((k, _)) = missing {
            self.fail(Inv::Login, format!("tab{tab} sent an authorize request with a missing or wrong {k}"));
        }
    }

    /// The server's answer to a code exchange.
    pub(crate) fn inv11_check_exchange(&mut self, tab: usize, outcome: &Result<TokenResponse, OAuthError>) {
        if let Err(e) = outcome {
            if e.code != Some("OAU-108") {
                self.fail(Inv::Login, format!("tab{tab}: the server refused the code exchange: {} {} ({})", e.error, e.code.unwrap_or(""), e.message));
            }
        }
    }
}
