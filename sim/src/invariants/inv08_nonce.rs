//! Invariant 8: DPoP: every token request carries a proof; a `use_dpop_nonce` demand earns one resend, never a loop.

use crate::*;

impl World {
    /// Invariant 8 (DPoP): with DPoP on every token request carries a proof, and a use_dpop_nonce answer earns
    /// one resend of the request, never a second in a row (a loop).
    pub(crate) fn inv8_check_token_send(&mut self, tab: usize, no_proof: bool, nonce_retry: bool) {
        if self.prof.dpop && no_proof {
            self.fail(Inv::Nonce, format!("tab{tab} sent a token request without a DPoP proof"));
        }
        if nonce_retry && self.tabs[tab].last_send_nonce_retry {
            self.fail(Inv::Nonce, format!("tab{tab} resent a token request after a second use_dpop_nonce in a row"));
        }
        self.tabs[tab].last_send_nonce_retry = nonce_retry;
    }

    /// Invariant 8 (DPoP): a call is sent at most four times (first, the 401's retry, and one nonce resend
    /// each), and never again after two use_dpop_nonce demands in a row.
    pub(crate) fn inv8_check_api_send(&mut self, tab: usize, call: CallId) {
        if let Some(c) = self.tabs[tab].calls.get_mut(&call) {
            c.sends += 1;
            let (sends, demands) = (c.sends, c.nonce_demands);
            if sends > 4 || demands >= 2 {
                self.fail(Inv::Nonce, format!("tab{tab} sent call #{call} a {sends}th time ({demands} nonce demands in a row)"));
            }
        }
    }
}
