//! `session.fetch`: the bearer token goes to the allowed origins only, expiry is checked against the clock on
//! every call, and a 401 becomes at most one refresh and one retry — only while the rejected token is still
//! the current one (otherwise the call is retried with the newer token).

use super::flight::{Waiter, Why};
use super::{Instant, login_required, CallId, Command, Engine};
use crate::protocol::{Decision, Error, Secret};

/// An authenticated request on the wire.
#[derive(Debug)]
pub(super) struct Sent {
    call: CallId,
    token: Secret,
    /// The send after a 401 and a refresh (there is no other).
    retry: bool,
    /// DPoP: sent with a proof, and whether this was the one resend with the server's nonce.
    dpop: bool,
    nonce_retried: bool,
    /// The user (`ownerId`) it was sent as: if another user's session is current when its 401 comes (another
    /// tab's login, a renewal, a logout and a login), the 401 goes to the app as is, never resent as them.
    owner: Option<String>,
}

impl Engine {
    /// Whether a request of `origin` may receive the bearer token: exactly one of `apiOrigins`. Requests
    /// elsewhere are sent untouched and never wait for the restore or trigger a refresh.
    pub fn is_api_origin(&self, origin: &str) -> bool {
        self.cfg.api_origins.iter().any(|o| o == origin)
    }

    pub(super) fn fetch(&mut self, now: Instant, call: CallId, origin: &str) {
        if !self.is_api_origin(origin) {
            // Logged in, yet no token: likely a mistyped or missing `apiOrigins` entry (localhost vs 127.0.0.1),
            // which the app would otherwise only see as the server's 401.
            if self.tokens.is_some() && !self.withheld_from.iter().any(|o| o == origin) {
                self.withheld_from.push(origin.into());
                self.push(Command::WarnWithheld { origin: origin.into() });
            }
            return self.push(Command::SendApi { call, token: None, retry: false, proof: None });
        }
        self.dpop_track(call, origin);
        self.fetch_tracked(now, call);
    }

    /// A fetch to an API origin: sent with the current token, after a refresh, or rejected.
    pub(super) fn fetch_tracked(&mut self, now: Instant, call: CallId) {
        match self.decision(now) {
            Decision::Fresh => self.send_current(call, false),
            Decision::Expiring => {
                self.expiring_due(now);
                self.send_current(call, false);
            }
            Decision::Refresh => {
                if self.valid_now(now) && self.cooling(now) {
                    // A refresh gave up a moment ago: keep using the still-valid token meanwhile.
                    self.send_current(call, false);
                } else {
                    self.join_flight(now, Why::Due, Waiter::Due(call));
                }
            }
            Decision::LoginRequired if self.tokens.is_some() => self.pair_over(None, Some(call)),
            Decision::LoginRequired => self.settle(call, Err(login_required(None))),
        }
    }

    /// Sends `call` with the current token (the caller checked there is one).
    pub(super) fn send_current(&mut self, call: CallId, retry: bool) {
        self.send_with(call, retry, false);
    }

    /// The 401's one resend, with the pair that replaced the rejected one.
    pub(super) fn send_again(&mut self, call: CallId) {
        self.send_with(call, true, false);
    }

    fn send_with(&mut self, call: CallId, retry: bool, nonce_retried: bool) {
        let Some(t) = &self.tokens else {
            return self.settle(call, Err(login_required(None)));
        };
        let token = t.access_token.clone();
        let proof = self.api_proof(call, t);
        let owner = t.owner_id.clone();
        self.sent.push(Sent { call, token: token.clone(), retry, dpop: proof.is_some(), nonce_retried, owner });
        self.push(Command::SendApi { call, token: Some(token), retry: retry || nonce_retried, proof });
    }

    fn deliver(&mut self, call: CallId) {
        self.dpop_untrack(call);
        self.push(Command::Deliver { call });
    }

    pub(super) fn api_response(&mut self, now: Instant, call: CallId, status: u16, error: Option<Error>) {
        let Some(i) = self.sent.iter().position(|s| s.call == call) else {
            return self.push(Command::Deliver { call }); // sent untouched
        };
        let sent = self.sent.swap_remove(i);
        if self.owner_differs(sent.owner.as_ref()) {
            return self.deliver(call); // never resent with another user's token
        }
        let nonce_challenge = error.as_ref().is_some_and(super::dpop_policy::is_use_nonce);
        if status == 401 && sent.dpop && nonce_challenge && !sent.nonce_retried {
            // RFC 9449 §9: the resource wants its nonce (it came with this answer). One resend with it, keeping
            // whether the 401 refresh was already spent; a second demand reaches the app as the 401 it is.
            return self.send_with(call, sent.retry, true);
        }
        if status != 401 || sent.retry || nonce_challenge {
            return self.deliver(call);
        }
        let can_refresh = self.tokens.as_ref().is_some_and(|t| t.refresh_token.is_some());
        if can_refresh {
            return self.join_flight(now, Why::Rejected(sent.token), Waiter::Rejected(call));
        }
        // No way to refresh: if the server says this (current) token is dead, the session is over and the
        // call rejects like every call that finds the session over (the 401's reason in errorCode).
        let dead = error.as_ref().is_some_and(|e| e.error_code.is_some());
        match error {
            Some(e) if dead && self.current_access() == Some(&sent.token) => self.pair_over(Some(e), Some(call)),
            _ => self.deliver(call),
        }
    }
}
