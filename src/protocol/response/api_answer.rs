//! A protected resource's answer to `session.fetch`: which answers the engine needs to hear about beyond their
//! status, and the `WWW-Authenticate` challenge (RFC 6750 §3, RFC 9449 §7.1) of a 401.

use super::{api_error, Body, ErrorBody};
use crate::protocol::bytes;
use crate::protocol::dpop_proof::USE_DPOP_NONCE;
use crate::protocol::error::{Error, ErrorCode};
use crate::protocol::serde_fields::Fields;

/// What an API answer's status and `WWW-Authenticate` say, before any body is read.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum ApiAnswer {
    /// All the engine needs: the status, and for DPoP's nonce challenge the `use_dpop_nonce` error (its one
    /// resend with the resource's nonce, which the `DPoP-Nonce` header of the same answer carried).
    Known(Option<Error>),
    /// A 401 whose reason is in its body (RingCentral's OAU-xxx decides whether the session is over): read a
    /// copy of the body (the app gets the original) and pass it to [`unauthorized`].
    ReadBody,
}

/// The first reading of an API answer; `dpop`: the session uses DPoP (a challenge is read only then).
pub fn api_answer(status: u16, www_authenticate: Option<&str>, dpop: bool) -> ApiAnswer {
    if status != 401 {
        return ApiAnswer::Known(None);
    }
    if dpop && www_authenticate.is_some_and(is_nonce_challenge) {
        return ApiAnswer::Known(Some(Error::new(ErrorCode::Other(USE_DPOP_NONCE.into())).with_status(401)));
    }
    ApiAnswer::ReadBody
}

/// A 401's body ([`ApiAnswer::ReadBody`]) → the error the engine weighs (`login_required` carrying the
/// server's code and text; see [`api_error`]).
pub fn unauthorized<B: Fields>(body: &Body<B>) -> Error {
    api_error(401, body.object().map(ErrorBody::read))
}

/// The `error` parameter of a `WWW-Authenticate` header's `DPoP` challenge (RFC 9449 §7.1, §9), lower case:
/// `use_dpop_nonce`, `invalid_token`, `invalid_dpop_proof` … The header may list several challenges
/// (`Bearer …, DPoP …`); the value may be quoted or not, names are case-insensitive. Not a general parser: one
/// parameter of one scheme is all the session ever reads.
pub fn dpop_challenge_error(www_authenticate: &str) -> Option<String> {
    let h = www_authenticate.to_ascii_lowercase();
    let at = scheme_at(&h, "dpop")?;
    // Slices by `get`: every index is next to an ASCII byte found, so none fails (and none links a panic).
    let rest = h.get(at + 4..)?;
    // Parameters of this challenge run until the next scheme (a token followed by a space and no `=`).
    let mut i = 0;
    while let Some(p) = bytes::find(rest.get(i..)?, "error") {
        let start = i + p;
        let before = byte_before(rest, start);
        let after = rest.get(start + 5..)?.trim_start();
        i = start + 5;
        if !matches!(before, Some(b' ' | b',' | b'\t')) {
            continue;
        }
        let Some(v) = after.strip_prefix('=') else { continue };
        let v = v.trim_start();
        let v = v.strip_prefix('"').unwrap_or(v);
        let end = v.bytes().position(|b| !(b.is_ascii_alphanumeric() || b == b'_')).unwrap_or(v.len());
        return Some(v.get(..end)?.to_string());
    }
    None
}

/// The byte of `s` just before index `at` (`None` at the start).
fn byte_before(s: &str, at: usize) -> Option<u8> {
    s.as_bytes().get(at.checked_sub(1)?).copied()
}

/// Whether a `WWW-Authenticate` header is a DPoP challenge with `error="use_dpop_nonce"` (RFC 9449 §9).
pub fn is_nonce_challenge(www_authenticate: &str) -> bool {
    dpop_challenge_error(www_authenticate).as_deref() == Some(USE_DPOP_NONCE)
}

/// Where the auth-scheme `scheme` (lower case) starts in `h`: at the start or after `,`/space, followed by a space.
fn scheme_at(h: &str, scheme: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = bytes::find(h.get(from..)?, scheme) {
        let at = from + p;
        let before = byte_before(h, at);
        let after = h.as_bytes().get(at + scheme.len());
        if matches!(before, None | Some(b' ' | b',')) && matches!(after, Some(b' ')) {
            return Some(at);
        }
        from = at + scheme.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_challenges() {
        for yes in [
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
            r#"DPoP realm="http://127.0.0.1:1", error="use_dpop_nonce", error_description="nonce is required", algs="ES256 EdDSA""#,
            r#"Bearer realm="x", DPoP error="use_dpop_nonce""#,
            r#"dpop error=use_dpop_nonce"#,
            r#"DPoP algs="ES256",error = "use_dpop_nonce""#,
        ] {
            assert!(is_nonce_challenge(yes), "{yes}");
        }
        for no in [
            "",
            r#"Bearer error="use_dpop_nonce""#,
            r#"DPoP error="invalid_token""#,
            r#"DPoP error="invalid_dpop_proof", error_description="use_dpop_nonce later""#,
            r#"DPoP error="use_dpop_nonce_x""#,
            r#"DPoPx error="use_dpop_nonce""#,
            r#"DPoP myerror="use_dpop_nonce""#,
        ] {
            assert!(!is_nonce_challenge(no), "{no}");
        }
    }

    #[test]
    fn the_challenge_error_is_read_whatever_it_is() {
        assert_eq!(dpop_challenge_error(r#"DPoP error="invalid_token", error_description="expired""#).as_deref(), Some("invalid_token"));
        assert_eq!(dpop_challenge_error(r#"Bearer error="invalid_token""#), None);
        assert_eq!(dpop_challenge_error(r#"DPoP realm="x""#), None);
    }

    #[test]
    fn which_api_answers_are_read() {
        let nonce = Some(r#"DPoP error="use_dpop_nonce""#);
        for s in [200, 204, 403, 404, 429, 500] {
            assert_eq!(api_answer(s, nonce, true), ApiAnswer::Known(None), "{s}");
        }
        match api_answer(401, nonce, true) {
            ApiAnswer::Known(Some(e)) => assert_eq!((e.code.as_str(), e.status), (USE_DPOP_NONCE, Some(401))),
            other => panic!("{other:?}"),
        }
        // Without DPoP the challenge is not ours; any other 401 is read for its reason.
        assert_eq!(api_answer(401, nonce, false), ApiAnswer::ReadBody);
        assert_eq!(api_answer(401, Some(r#"DPoP error="invalid_token""#), true), ApiAnswer::ReadBody);
        assert_eq!(api_answer(401, None, true), ApiAnswer::ReadBody);
    }

    #[test]
    fn a_401_body_is_the_servers_reason() {
        let v: serde_json::Value = serde_json::from_str(r#"{"errorCode":"TokenInvalid","message":"Access token corrupted","errors":[{"errorCode":"OAU-129","message":"Access token corrupted"}]}"#).unwrap();
        let e = unauthorized(&Body::Object(v));
        assert_eq!((e.code, e.error_code.as_deref(), e.status), (ErrorCode::LoginRequired, Some("OAU-129"), Some(401)));
        let e = unauthorized::<serde_json::Value>(&Body::NotJson);
        assert_eq!((e.code, e.error_code), (ErrorCode::LoginRequired, None));
    }
}
