//! The protocol: pure Rust, no browser calls, no decisions about time. Everything here is tested on the host.
//!
//! One job per file: `config` (validated settings), `pkce`/`authorize` (login URL),
//! `redirect` (reading the answer), `callback` (what to do with it), `transaction` (state across the redirect),
//! `handover_message` (a login finishing in another window), `token_request`/`token` (token endpoint bodies and
//! results), `response` (what a server's answer means: one pure function per answer, from the facts a host read), `error` (the one
//! error type), `host_failure` (what failed at the host itself, as an error), `policy` (when to refresh), `seal`/`cookie`/`encoding` (storage and wire formats),
//! `serde_fields` (serde helpers for the typed bodies), `url` (origins), `secret` (redaction), `random`
//! (entropy seam), `dpop_proof` (RFC 9449 proofs).

pub mod authorize;
pub mod callback;
pub(crate) mod bytes;
pub mod config;
pub mod cookie;
pub mod dpop_proof;
pub mod encoding;
pub mod error;
pub mod handover_message;
pub mod host_failure;
pub mod pkce;
pub mod policy;
pub mod random;
pub mod redirect;
pub mod seal;
pub mod secret;
pub mod response;
pub mod token;
pub mod token_request;
pub mod transaction;
pub mod url;
pub mod serde_fields;

pub use authorize::authorize_url;
pub use callback::{decide_callback, Callback};
pub use config::{
    config_error_from, persistence_error, AuthorizeParams, AuthorizeParamsInput, Config, ConfigInput, Endpoints, EndpointsInput, Flow,
    StorageKind,
};
pub use cookie::{
    cookie_base_name, cookie_max_age_s, cookie_names_with_prefix, delete_cookie_string, has_duplicate, read_split_cookie,
    removal_strings, set_cookie_string, split_into_cookies, HOST_PREFIX, MAX_COOKIE_VALUE,
};
pub use encoding::{base64url_nopad, form_encode, parse_form, percent_decode, percent_encode};
pub use error::{Error, ErrorCode};
pub use host_failure::HostFailure;
pub use pkce::{challenge_from_digest, is_valid_verifier, new_state, new_verifier};
pub use policy::{backoff_ms, decide, keep_until_ms, next_check_ms, Decision};
pub use random::RandomSource;
pub use redirect::{check_state, clean_url, parse_redirect, Redirect};
pub use seal::{aead_body, seal, unseal, AEAD_PREFIX};
pub use secret::Secret;
pub use response::{
    api_answer, api_error, bearer_refused, invalid_response, network_error, no_answer, parse_error_body,
    parse_retry_after, revoke_response, timeout_error, token_endpoint_error, token_response, unauthorized, ApiAnswer,
    Body, ErrorBody, ErrorItem, HttpAnswer, ServerErrorBody,
};
pub use token::{
    Lineage,
    from_implicit, invalid_response_from, StoredTokens, TokenInfo, TokenResponseBody, TokenSet,
};
pub use token_request::{authorization_code_form, refresh_form, revoke_form};
pub use transaction::{StoredTransaction, Transaction};
pub use url::{origin_of, resolve_api_url};
pub use serde_fields::MAX_BODY_BYTES;
