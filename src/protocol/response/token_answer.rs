//! The token endpoint's answers (RFC 6749 §5, RFC 9449 §5) and the revoke endpoint's (RFC 7009 §2.2).

use super::{error_body::ErrorBody, network_error, timeout_error, token_endpoint_error, Body, HttpAnswer};
use crate::protocol::error::{Error, ErrorCode};
use crate::protocol::serde_fields::Fields;
use crate::protocol::token::{invalid_response_from, TokenResponseBody, TokenSet};
use crate::protocol::invalid_response;

/// The code of [`bearer_refused`]'s error.
pub const DPOP_DOWNGRADE: &str = "dpop_downgrade";

/// An answer to a token request sent at `sent_at_ms` (expiries count from then, so network delay shortens a
/// token's life rather than stretching it), read at `now_ms`; `proved`: the request carried a DPoP proof.
///
/// * 2xx with a token body → the [`TokenSet`] (no refresh token merged in: that is the engine's);
/// * 2xx with a body that is not an object → `invalid_response`; a DPoP-bound token in answer to a request
///   without a proof → `invalid_response` (`token_type`);
/// * 2xx whose body is not JSON (or too large to read) → a *retryable* `invalid_response`: the server may have
///   rotated, and a retry with the same refresh token (inside RingCentral's grace window) is the way back;
/// * anything else → [`token_endpoint_error`].
pub fn token_response<B: Fields>(a: &HttpAnswer<B>, sent_at_ms: f64, now_ms: f64, proved: bool) -> Result<TokenSet, Error> {
    if !(200..300).contains(&a.status) {
        let body = a.body.object().map(ErrorBody::read);
        return Err(token_endpoint_error(a.status, body, a.retry_after.as_deref(), now_ms));
    }
    match &a.body {
        Body::Object(b) => {
            let body = TokenResponseBody::read(b).map_err(invalid_response_from)?;
            let t = TokenSet::from_response(body, sent_at_ms, None)?;
            if t.is_dpop() && !proved {
                return Err(invalid_response("token_type"));
            }
            Ok(t)
        }
        Body::NotObject => Err(invalid_response("body")),
        Body::NotJson => Err(Error::new(ErrorCode::InvalidResponse)
            .with_status(a.status)
            .with_description("token response is not JSON")
            .with_retryable(true)),
    }
}

/// No answer came: our timeout ran out (`timed_out`), or `fetch` failed (offline, DNS, CORS, a redirect). The
/// server may have committed either way, so both are retryable.
pub fn no_answer(timed_out: bool) -> Error {
    if timed_out {
        timeout_error()
    } else {
        network_error()
    }
}

/// The revoke endpoint's answer: 2xx (RFC 7009 §2.2: also for a token it did not know) or the classified error.
/// A logout goes on whatever it says; the simulator's trace and invariants read it.
pub fn revoke_response<B: Fields>(a: &HttpAnswer<B>, now_ms: f64) -> Result<(), Error> {
    if (200..300).contains(&a.status) {
        return Ok(());
    }
    Err(token_endpoint_error(a.status, a.body.object().map(ErrorBody::read), a.retry_after.as_deref(), now_ms))
}

/// `dpop: true` (`required`) and the server answered a proof with tokens that are not DPoP-bound (RFC 9449 §5:
/// it may): refused, never stored. Not retryable: the same server answers the same way.
pub fn bearer_refused(t: &TokenSet, required: bool) -> Option<Error> {
    (required && !t.is_dpop()).then(|| {
        Error::new(ErrorCode::Other(DPOP_DOWNGRADE.into()))
            .with_description("the server issued a bearer token although DPoP is required (dpop: 'prefer' accepts it)")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENT: f64 = 1_700_000_000_000.0;
    const NOW: f64 = SENT + 250.0;

    fn answer(status: u16, text: Option<&str>) -> HttpAnswer<serde_json::Value> {
        let body = match text.map(serde_json::from_str::<serde_json::Value>) {
            Some(Ok(v)) if v.is_object() => Body::Object(v),
            Some(Ok(_)) => Body::NotObject,
            _ => Body::NotJson,
        };
        HttpAnswer { status, retry_after: None, body }
    }

    const OK: &str = r#"{"access_token":"A","token_type":"bearer","expires_in":3600,"refresh_token":"R","refresh_token_expires_in":604800,"scope":"ReadAccounts","owner_id":"42"}"#;

    #[test]
    fn a_success_body_is_a_token_set_counted_from_the_send() {
        let t = token_response(&answer(200, Some(OK)), SENT, NOW, false).unwrap();
        assert_eq!(t.access_token.expose(), "A");
        assert_eq!(t.refresh_token.as_ref().map(|r| r.expose()), Some("R"));
        assert_eq!(t.expires_at_ms, SENT + 3_600_000.0);
        assert_eq!(t.refresh_expires_at_ms, Some(SENT + 604_800_000.0));
        assert_eq!(t.owner_id.as_deref(), Some("42"));
        assert!(!t.is_dpop());
    }

    #[test]
    fn a_dpop_token_needs_a_proof() {
        let dpop = OK.replace("\"bearer\"", "\"DPoP\"");
        assert!(token_response(&answer(200, Some(&dpop)), SENT, NOW, true).unwrap().is_dpop());
        let e = token_response(&answer(200, Some(&dpop)), SENT, NOW, false).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidResponse);
        assert!(e.description.unwrap().starts_with("token_type:"));
        assert!(!e.retryable);
    }

    #[test]
    fn a_200_that_is_not_json_is_retryable_and_one_that_is_not_an_object_is_not() {
        for text in [None, Some("<html>"), Some(&OK[..OK.len() / 2])] {
            let e = token_response(&answer(200, text), SENT, NOW, false).unwrap_err();
            assert_eq!((e.code.clone(), e.status, e.retryable), (ErrorCode::InvalidResponse, Some(200), true), "{text:?}");
            assert_eq!(e.description.as_deref(), Some("token response is not JSON"));
        }
        for text in ["[]", "42", "\"x\"", "null"] {
            let e = token_response(&answer(200, Some(text)), SENT, NOW, false).unwrap_err();
            assert_eq!((e.code.clone(), e.retryable), (ErrorCode::InvalidResponse, false), "{text}");
            assert!(e.description.unwrap().starts_with("body:"));
        }
        // A field of the wrong type names the field, never its value.
        let e = token_response(&answer(200, Some(r#"{"access_token":5}"#)), SENT, NOW, false).unwrap_err();
        assert!(e.description.unwrap().starts_with("access_token:"));
    }

    #[test]
    fn error_answers_are_classified_with_their_retry_after() {
        let e = token_response(
            &answer(400, Some(r#"{"error":"invalid_grant","errors":[{"errorCode":"OAU-210","message":"Token expired"}]}"#)),
            SENT,
            NOW,
            false,
        )
        .unwrap_err();
        assert_eq!((e.code.clone(), e.error_code.as_deref(), e.retryable), (ErrorCode::InvalidGrant, Some("OAU-210"), false));
        let mut a = answer(503, Some("<html>busy</html>"));
        a.retry_after = Some("20".into());
        let e = token_response(&a, SENT, NOW, false).unwrap_err();
        assert_eq!((e.code.clone(), e.retryable, e.retry_after_s, e.status), (ErrorCode::ServerError, true, Some(20), Some(503)));
        // A 4xx whose body is an array reads as no body.
        let e = token_response(&answer(400, Some("[1]")), SENT, NOW, false).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        // The nonce demand is an error of its own (the engine's one resend).
        let e = token_response(&answer(400, Some(r#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#)), SENT, NOW, true).unwrap_err();
        assert_eq!(e.code.as_str(), "use_dpop_nonce");
    }

    #[test]
    fn no_answer_is_retryable() {
        assert_eq!((no_answer(true).code, no_answer(true).retryable), (ErrorCode::Timeout, true));
        assert_eq!((no_answer(false).code, no_answer(false).retryable), (ErrorCode::Network, true));
    }

    #[test]
    fn revoke_answers() {
        assert!(revoke_response(&answer(200, None), NOW).is_ok());
        assert!(revoke_response(&answer(204, None), NOW).is_ok());
        let e = revoke_response(&answer(400, Some(r#"{"error":"invalid_client"}"#)), NOW).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
    }

    #[test]
    fn a_bearer_answer_is_refused_only_when_dpop_is_required() {
        let t = token_response(&answer(200, Some(OK)), SENT, NOW, true).unwrap();
        let e = bearer_refused(&t, true).unwrap();
        assert_eq!((e.code.as_str(), e.retryable), (DPOP_DOWNGRADE, false));
        assert!(bearer_refused(&t, false).is_none());
        let dpop = token_response(&answer(200, Some(&OK.replace("\"bearer\"", "\"DPoP\""))), SENT, NOW, true).unwrap();
        assert!(bearer_refused(&dpop, true).is_none());
    }
}
