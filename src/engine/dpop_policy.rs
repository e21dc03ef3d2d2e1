//! DPoP (RFC 9449) decisions: which requests carry a proof and with which nonce, the one retry a
//! `use_dpop_nonce` answer earns (never a loop), and when the key is dropped. With `dpop` off nothing here runs
//! and no command asks for a proof.

use super::io::{Input, Proof};
use super::{CallId, Command, Engine};
use crate::protocol::dpop_proof::USE_DPOP_NONCE;
use crate::protocol::{origin_of, Error, ErrorCode, TokenSet};

/// Where a response with a `DPoP-Nonce` came from.
pub(super) enum NonceFrom {
    TokenEndpoint,
    RevokeEndpoint,
    /// The answer to an API call.
    Call(CallId),
}

/// Origins whose nonce is remembered (the token endpoint and a few APIs); the oldest goes first.
const NONCES_KEPT: usize = 8;

/// The session's DPoP state: the latest nonce of each origin, and the origin of each API call in flight (its
/// retry needs that origin's nonce).
#[derive(Default, Debug)]
pub(super) struct Dpop {
    nonces: Vec<(String, String)>,
    pub(super) calls: Vec<(CallId, String)>,
}

/// Whether a token-endpoint answer earns the retry with the server's nonce: `use_dpop_nonce` (RFC 9449 §8),
/// a nonce came with it, and this request was not already the retry. Shared by the refresh flight and the code
/// exchange (which runs outside the engine, across the login redirect).
pub fn retries_with_nonce(e: &Error, got_nonce: bool, retried: bool) -> bool {
    !retried && got_nonce && is_use_nonce(e)
}

pub(super) fn is_use_nonce(e: &Error) -> bool {
    matches!(&e.code, ErrorCode::Other(c) if c == USE_DPOP_NONCE)
}

pub use crate::protocol::response::DPOP_DOWNGRADE;

impl Dpop {
    pub(super) fn nonce(&self, origin: &str) -> Option<String> {
        self.nonces.iter().find(|(o, _)| o == origin).map(|(_, n)| n.clone())
    }

    fn set_nonce(&mut self, origin: String, nonce: String) {
        if let Some(i) = self.nonces.iter().position(|(o, _)| *o == origin) {
            self.nonces.remove(i);
        } else if self.nonces.len() >= NONCES_KEPT {
            self.nonces.remove(0);
        }
        self.nonces.push((origin, nonce));
    }
}

impl Engine {
    /// `DPoP-Nonce` from a response: the next proof to that origin carries it.
    pub(super) fn dpop_nonce(&mut self, from: NonceFrom, nonce: Option<String>) {
        let Some(nonce) = nonce.filter(|n| self.cfg.dpop && !n.is_empty()) else { return };
        let origin = match from {
            NonceFrom::TokenEndpoint => origin_of(&self.cfg.token_url()),
            NonceFrom::RevokeEndpoint => origin_of(&self.cfg.revoke_url()),
            // An API answer's nonce is its call's origin's (the origin its proofs go to).
            NonceFrom::Call(call) => self.dpop.calls.iter().find(|(c, _)| *c == call).map(|(_, o)| o.clone()),
        };
        if let Some(origin) = origin {
            self.dpop.set_nonce(origin, nonce);
        }
    }

    /// Why tokens are refused: `dpop: true` (not `'prefer'`) and they are not DPoP-bound.
    pub fn dpop_refuses(&self, t: &TokenSet) -> Option<Error> {
        crate::protocol::bearer_refused(t, self.cfg.dpop && !self.cfg.dpop_prefer)
    }

    /// Fails closed before any tokens reach the session: a refused refresh answer or silent renewal becomes
    /// that request's error (the session ends as on any terminal answer), a refused login rejects its call.
    /// `None`: the input was answered here.
    pub(super) fn dpop_gate(&mut self, input: Input) -> Option<Input> {
        let refused = match &input {
            Input::TokenReply { result: Ok(t), .. } | Input::SilentDone { result: Ok(t), .. } | Input::LoggedIn { tokens: t, .. } => {
                self.dpop_refuses(t)
            }
            _ => None,
        };
        let Some(e) = refused else { return Some(input) };
        match input {
            Input::TokenReply { id, dpop_nonce, .. } => Some(Input::TokenReply { id, result: Err(e), dpop_nonce }),
            Input::SilentDone { id, .. } => Some(Input::SilentDone { id, result: Err(e) }),
            Input::LoggedIn { call, .. } => {
                self.settle(call, Err(e));
                None
            }
            other => Some(other),
        }
    }

    /// The proof for a request to `url` at the token or revoke endpoint, when DPoP is on.
    pub(super) fn endpoint_proof(&self, url: &str) -> Option<Proof> {
        if !self.cfg.dpop {
            return None;
        }
        Some(Proof { nonce: origin_of(url).and_then(|o| self.dpop.nonce(&o)) })
    }

    /// The nonce the token endpoint sent last (the code exchange reads it).
    pub fn token_endpoint_nonce(&self) -> Option<String> {
        self.endpoint_proof(&self.cfg.token_url()).and_then(|p| p.nonce)
    }

    /// Remembers the origin of an API call, so its sends can carry that origin's nonce.
    pub(super) fn dpop_track(&mut self, call: CallId, origin: &str) {
        if self.cfg.dpop {
            self.dpop.calls.push((call, origin.to_string()));
        }
    }

    /// The call is over (delivered or settled): nothing more to send for it.
    pub(super) fn dpop_untrack(&mut self, call: CallId) {
        if self.cfg.dpop {
            self.dpop.calls.retain(|(c, _)| *c != call);
        }
    }

    /// The proof for an API call carrying `token`: only a DPoP-bound token gets one (a bearer token that the
    /// server issued although DPoP was asked for is sent as a bearer token), and only with `dpop` on (with it
    /// off no key exists, whatever a stored token or an implicit fragment says).
    pub(super) fn api_proof(&self, call: CallId, token: &TokenSet) -> Option<Proof> {
        if !self.cfg.dpop || !token.is_dpop() {
            return None;
        }
        let origin = self.dpop.calls.iter().find(|(c, _)| *c == call).map(|(_, o)| o.as_str());
        Some(Proof { nonce: origin.and_then(|o| self.dpop.nonce(o)) })
    }

    /// A logout: the key goes (here and, where tabs share the session, for every tab: the next login makes a
    /// new one), before storage is cleared and the revoke is sent.
    pub(super) fn delete_key(&mut self) {
        if self.cfg.dpop {
            self.push(Command::ForgetKey { delete: true });
        }
    }

    /// Another tab ended the session (and may make a new key at its next login): drop the key held in memory,
    /// so the next proof reads the one that is stored then.
    pub(super) fn drop_cached_key(&mut self) {
        if self.cfg.dpop {
            self.push(Command::ForgetKey { delete: false });
        }
    }

    /// Tokens are becoming current. `dpopDowngrade` when DPoP was asked for (`'prefer'`: with `true` they never
    /// get here) and they are bearer tokens; and when
    /// they belong to another login than the ones held (another tab logged out and in, and this tab missed the
    /// broadcast), the key held in memory may be the old one: drop it, the next proof reads the stored key.
    pub(super) fn dpop_adopting(&mut self, t: &TokenSet) {
        if !self.cfg.dpop {
            return;
        }
        if !t.is_dpop() {
            self.emit(super::SessionEvent::DpopDowngrade(t.info()));
        }
        if self.tokens.as_ref().is_some_and(|c| c.lineage.since_ms != t.lineage.since_ms) {
            self.drop_cached_key();
        }
    }
}
