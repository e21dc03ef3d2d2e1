//! What a server's answer means: one pure function per answer (as panva's oauth4webapi has
//! `processRefreshTokenResponse`, `processAuthorizationCodeResponse`, `parseWwwAuthenticateChallenges`). A host
//! (the browser layer, the simulator) reads the facts off the wire — the status, the few headers that matter, the
//! body parsed as JSON or not — into an [`HttpAnswer`], and these functions turn them into a [`TokenSet`] or a
//! classified [`Error`]. A host never builds an `Error` for a server's answer itself.
//!
//! One job per file: `token` (token and revoke endpoint answers), `api` (a protected resource's answer and its
//! `WWW-Authenticate` challenge), `error_body` (error bodies, terminal vs retryable), `retry_after`.
//!
//! [`TokenSet`]: crate::protocol::TokenSet

mod api_answer;
mod error_body;
mod retry_after;
mod token_answer;

pub use api_answer::{api_answer, dpop_challenge_error, is_nonce_challenge, unauthorized, ApiAnswer};
pub use error_body::{
    api_error, invalid_response, network_error, parse_error_body, timeout_error, token_endpoint_error, ErrorBody,
    ErrorItem, ServerErrorBody,
};
pub use retry_after::parse_retry_after;
pub use token_answer::{bearer_refused, no_answer, revoke_response, token_response, DPOP_DOWNGRADE};

#[cfg(test)]
pub(crate) use error_body::tests;

/// A parsed response body, as the host found it.
pub enum Body<B> {
    /// A JSON object (read field by field through [`crate::protocol::serde_fields::Fields`]).
    Object(B),
    /// JSON, but not an object (an array, a string, a number, `null`).
    NotObject,
    /// Not JSON, longer than [`crate::protocol::MAX_BODY_BYTES`], or not read.
    NotJson,
}

impl<B> Body<B> {
    fn object(&self) -> Option<&B> {
        match self {
            Body::Object(b) => Some(b),
            _ => None,
        }
    }
}

/// The facts of one HTTP answer: its status, the headers the session reads, and its body. `B` is the parsed JSON
/// value of the host (the browser's `JsValue`, `serde_json::Value` in the simulator and the tests).
pub struct HttpAnswer<B> {
    pub status: u16,
    /// `Retry-After`.
    pub retry_after: Option<String>,
    pub body: Body<B>,
}
