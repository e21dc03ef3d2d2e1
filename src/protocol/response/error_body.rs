//! Error bodies (RFC 6749 §5.2 and RingCentral's shapes) and the classification of a failed answer into a
//! terminal or retryable [`Error`].

use serde::Deserialize;

use super::retry_after::parse_retry_after;
use crate::protocol::error::{join_desc, Error, ErrorCode};
use crate::protocol::serde_fields::{lenient, lenient_field, Fields, FromFields, Maybe};

/// An error body as the server sent it: RFC 6749 §5.2 (`error`, `error_description`) and RingCentral's
/// (`errorCode`, `message`, `errors[]`). Tolerates anything: a field of the wrong type reads as absent, and
/// unknown fields are ignored.
#[derive(Deserialize, Default, Clone)]
#[cfg_attr(test, derive(Debug))]
pub struct ErrorBody {
    #[serde(default, deserialize_with = "lenient")]
    pub error: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub error_description: Option<String>,
    #[serde(default, rename = "errorCode", deserialize_with = "lenient")]
    pub error_code: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub errors: Option<Vec<Maybe<ErrorItem>>>,
}

impl ErrorBody {
    /// The body read field by field ([`Fields`]), as [`crate::protocol::ConfigInput::read`] reads the config.
    pub fn read(o: &impl Fields) -> ErrorBody {
        ErrorBody {
            error: lenient_field(o, "error"),
            error_description: lenient_field(o, "error_description"),
            error_code: lenient_field(o, "errorCode"),
            message: lenient_field(o, "message"),
            // Only the first entry counts (`parse_error_body`): the only one read.
            errors: o.first_entry::<ErrorItem>("errors").map(|first| vec![Maybe(Some(first))]),
        }
    }
}

/// One entry of RingCentral's `errors[]`.
#[derive(Deserialize, Default, Clone)]
#[cfg_attr(test, derive(Debug))]
pub struct ErrorItem {
    #[serde(default, rename = "errorCode", deserialize_with = "lenient")]
    pub error_code: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub message: Option<String>,
}

impl FromFields for ErrorItem {
    fn from_fields(o: &impl Fields) -> ErrorItem {
        ErrorItem { error_code: lenient_field(o, "errorCode"), message: lenient_field(o, "message") }
    }
}

/// The interesting parts of an error body; every field is optional.
#[derive(Clone, Default, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub struct ServerErrorBody {
    /// RFC 6749 `error`.
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// First `errors[].errorCode`, else a top-level `errorCode` that looks like `OAU-`/`CMN-`/`AGW-`.
    pub error_code: Option<String>,
    /// Top-level `errorCode` (`TokenInvalid`, `AGW-401`, `CMN-301`, …).
    pub top_error_code: Option<String>,
    /// Top-level `message`, else the first `errors[].message`.
    pub message: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

fn looks_like_rc_code(s: &str) -> bool {
    s.starts_with("OAU-") || s.starts_with("CMN-") || s.starts_with("AGW-")
}

/// `None` is a body that is not a JSON object (e.g. an HTML 500 page), or too large to read.
pub fn parse_error_body(body: Option<ErrorBody>) -> ServerErrorBody {
    let body = body.unwrap_or_default();
    // Only the first entry counts, and only if it is an object.
    let first = body
        .errors
        .and_then(|e| e.into_iter().next())
        .and_then(|m| m.0)
        .unwrap_or_default();
    let top_error_code = non_empty(body.error_code);
    let error_code = non_empty(first.error_code)
        .or_else(|| top_error_code.clone().filter(|c| looks_like_rc_code(c)));
    ServerErrorBody {
        error: non_empty(body.error),
        error_description: non_empty(body.error_description),
        error_code,
        top_error_code,
        message: non_empty(body.message).or_else(|| non_empty(first.message)),
    }
}

fn base(code: ErrorCode, status: u16, p: ServerErrorBody) -> Error {
    let mut e = Error::new(code).with_status(status);
    e.error_code = p.error_code.or(p.top_error_code);
    e.description = p.error_description.or(p.message);
    e
}

/// Classifies a non-2xx answer from the token endpoint.
///
/// * 429 → `rate_limited`, 408 → `timeout`, 5xx (and any other non-4xx status) → `server_error`:
///   retryable, with `retry_after_s` from the `Retry-After` header when given;
/// * 4xx → terminal (a 4xx is never retried): `invalid_grant` for `error=invalid_grant` or
///   OAU-210/211/213/129; `invalid_client` for `error=invalid_client` or OAU-153/123/146; else the
///   mapped `error` string, or `invalid_request` when there is none.
///
/// `error_code` keeps RingCentral's code; `description` is `error_description`, else `message`.
pub fn token_endpoint_error(
    status: u16,
    body: Option<ErrorBody>,
    retry_after: Option<&str>,
    now_ms: f64,
) -> Error {
    let p = parse_error_body(body);
    let code = match status {
        429 => ErrorCode::RateLimited,
        408 => ErrorCode::Timeout,
        400..=499 => {
            let ec = p.error_code.as_deref().unwrap_or("");
            match p.error.as_deref() {
                Some("invalid_grant") => ErrorCode::InvalidGrant,
                Some("invalid_client") => ErrorCode::InvalidClient,
                _ if matches!(ec, "OAU-210" | "OAU-211" | "OAU-213" | "OAU-129") => {
                    ErrorCode::InvalidGrant
                }
                _ if matches!(ec, "OAU-153" | "OAU-123" | "OAU-146") => ErrorCode::InvalidClient,
                Some(e) => ErrorCode::from_oauth(e),
                None => ErrorCode::InvalidRequest,
            }
        }
        _ => ErrorCode::ServerError,
    };
    let retryable = !(400..=499).contains(&status) || status == 429 || status == 408;
    let mut e = base(code, status, p).with_retryable(retryable);
    if retryable {
        e.retry_after_s = retry_after.and_then(|v| parse_retry_after(v, now_ms));
    }
    e
}

/// Classifies a non-2xx answer from a REST API call (after the single 401 retry):
/// 401 → `login_required` (terminal; `error_code` is the nested OAU-xxx, else the top-level code
/// such as `AGW-401`/`TokenInvalid`), 403 → `access_denied`, 429 → `rate_limited`, 408 → `timeout`,
/// 5xx → `server_error` (retryable), other 4xx → `invalid_request`.
/// The caller adds `with_retry_after(parse_retry_after(..))` when it can read the header.
pub fn api_error(status: u16, body: Option<ErrorBody>) -> Error {
    let (code, retryable) = match status {
        401 => (ErrorCode::LoginRequired, false),
        403 => (ErrorCode::AccessDenied, false),
        429 => (ErrorCode::RateLimited, true),
        408 => (ErrorCode::Timeout, true),
        400..=499 => (ErrorCode::InvalidRequest, false),
        _ => (ErrorCode::ServerError, true),
    };
    base(code, status, parse_error_body(body)).with_retryable(retryable)
}

/// `fetch` rejected (offline, DNS, CORS). Retryable.
pub fn network_error() -> Error {
    Error::with(ErrorCode::Network, "network request failed").with_retryable(true)
}

/// Our own timeout fired. Retryable.
pub fn timeout_error() -> Error {
    Error::with(ErrorCode::Timeout, "request timed out").with_retryable(true)
}

/// A 2xx response whose body is unusable; `field` names what was wrong (never its value).
pub fn invalid_response(field: &str) -> Error {
    Error::new(ErrorCode::InvalidResponse).with_description(&join_desc(
        field,
        "missing or invalid in the server response",
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const NOW: f64 = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT

    /// As the browser layer does it: parsed, then read into the typed body (`None` if it is not one).
    /// (`errors[]`'s first entry is read both ways, field by field as the wasm does and through serde as the
    /// simulator's bodies do, with the same outcome.)
    fn j(text: &str) -> Option<ErrorBody> {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let provided = crate::protocol::serde_fields::tests::Provided(v.clone());
        let both = v.is_object().then(|| (ErrorBody::read(&v), ErrorBody::read(&provided)));
        both.map(|(fields, serde)| {
            assert_eq!(parse_error_body(Some(fields.clone())), parse_error_body(Some(serde)), "{}", text);
            fields
        })
    }

    pub(crate) fn token_error_text(status: u16, text: &str) -> Error {
        token_endpoint_error(status, j(text), None, NOW)
    }

    fn tok(status: u16, body: &str) -> Error {
        token_endpoint_error(status, j(body), None, NOW)
    }

    #[test]
    fn oau_210_expired_refresh_token() {
        let body = r#"{"error":"invalid_grant","errors":[{"errorCode":"OAU-210","message":"Token expired"}],"error_description":"Token expired"}"#;
        let p = parse_error_body(j(body));
        assert_eq!(p.error.as_deref(), Some("invalid_grant"));
        assert_eq!(p.error_code.as_deref(), Some("OAU-210"));
        assert_eq!(p.top_error_code, None);
        assert_eq!(p.message.as_deref(), Some("Token expired"));
        let e = tok(400, body);
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        assert_eq!(e.error_code.as_deref(), Some("OAU-210"));
        assert_eq!(e.description.as_deref(), Some("Token expired"));
        assert_eq!(e.status, Some(400));
        assert!(e.is_terminal());
    }

    #[test]
    fn oau_211_and_213_are_invalid_grant() {
        let e = tok(
            400,
            r#"{"error":"invalid_grant","errors":[{"errorCode":"OAU-211","message":"Token revoked"}],"error_description":"Token revoked"}"#,
        );
        assert_eq!(
            (e.code.clone(), e.error_code.as_deref(), e.retryable),
            (ErrorCode::InvalidGrant, Some("OAU-211"), false)
        );
        // Pretty-printed with " : " separators and a different key order, as RingCentral sends it.
        let e = tok(400, "{\n  \"errors\" : [ {\n    \"errorCode\" : \"OAU-213\",\n    \"message\" : \"Token not found\"\n  } ],\n  \"error\" : \"invalid_grant\",\n  \"error_description\" : \"Token not found\"\n}");
        assert_eq!(
            (e.code.clone(), e.error_code.as_deref()),
            (ErrorCode::InvalidGrant, Some("OAU-213"))
        );
        // The OAU code alone is enough.
        let e = tok(
            401,
            r#"{"errors":[{"errorCode":"OAU-210","message":"Token expired"}]}"#,
        );
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        assert_eq!(e.description.as_deref(), Some("Token expired"));
    }

    #[test]
    fn invalid_client_with_parameters() {
        let body = r#"{"error":"invalid_client","errors":[{"errorCode":"OAU-153","message":"Invalid client: xx","parameters":[{"parameterName":"client_id","parameterValue":"xx"}]}],"error_description":"Invalid client: xx"}"#;
        let e = tok(400, body);
        assert_eq!(e.code, ErrorCode::InvalidClient);
        assert_eq!(e.error_code.as_deref(), Some("OAU-153"));
        assert_eq!(e.description.as_deref(), Some("Invalid client: xx"));
        assert!(e.is_terminal());
        let e = tok(
            401,
            r#"{"errors":[{"errorCode":"OAU-123","message":"Client authentication is required"}]}"#,
        );
        assert_eq!(e.code, ErrorCode::InvalidClient);
        let e = tok(
            401,
            r#"{"errors":[{"errorCode":"OAU-146","message":"Invalid client credentials"}]}"#,
        );
        assert_eq!(e.code, ErrorCode::InvalidClient);
    }

    #[test]
    fn service_unavailable_and_html_500_are_retryable() {
        let body = j(
            r#"{"message":"Service Unavailable","error":"service_unavailable","error_description":"The service is temporarily unavailable"}"#,
        );
        let e = token_endpoint_error(503, body.clone(), Some("30"), NOW);
        assert_eq!(e.code, ErrorCode::ServerError);
        assert!(e.retryable);
        assert_eq!(e.retry_after_s, Some(30));
        assert_eq!(
            e.description.as_deref(),
            Some("The service is temporarily unavailable")
        );
        let e = token_endpoint_error(500, None, None, NOW);
        assert_eq!(
            (e.code.clone(), e.retryable, e.status, e.description.clone()),
            (ErrorCode::ServerError, true, Some(500), None)
        );
        let e = token_endpoint_error(408, None, None, NOW);
        assert_eq!((e.code.clone(), e.retryable), (ErrorCode::Timeout, true));
    }

    #[test]
    fn rate_limited_cmn_301() {
        let body = j(
            r#"{"errorCode":"CMN-301","message":"Request rate exceeded","errors":[{"errorCode":"CMN-301","message":"Request rate exceeded"}]}"#,
        );
        let e = token_endpoint_error(429, body.clone(), Some("60"), NOW);
        assert_eq!(e.code, ErrorCode::RateLimited);
        assert!(e.retryable);
        assert_eq!(e.retry_after_s, Some(60));
        assert_eq!(e.error_code.as_deref(), Some("CMN-301"));
        assert_eq!(e.description.as_deref(), Some("Request rate exceeded"));
        let e = token_endpoint_error(429, body.clone(), None, NOW);
        assert_eq!(e.retry_after_s, None);
        let e = api_error(429, body.clone());
        assert_eq!(
            (e.code.clone(), e.retryable),
            (ErrorCode::RateLimited, true)
        );
    }

    #[test]
    fn plain_rfc6749_bodies() {
        let e = tok(
            400,
            r#"{"error":"invalid_request","error_description":"Missing code"}"#,
        );
        assert_eq!(
            (e.code.clone(), e.error_code.clone(), e.retryable),
            (ErrorCode::InvalidRequest, None, false)
        );
        let e = tok(400, r#"{"error":"unauthorized_client"}"#);
        assert_eq!(e.code, ErrorCode::Other("unauthorized_client".into()));
        assert_eq!(e.code.as_str(), "unauthorized_client");
        let e = tok(
            400,
            r#"{"error":"invalid_grant","error_description":"code expired"}"#,
        );
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        // A 4xx that looks transient is still not retried.
        let e = tok(400, r#"{"error":"temporarily_unavailable"}"#);
        assert!(e.is_terminal());
        let e = token_endpoint_error(403, None, Some("5"), NOW);
        assert_eq!(
            (e.code.clone(), e.retryable, e.retry_after_s),
            (ErrorCode::InvalidRequest, false, None)
        );
        // Garbage bodies are tolerated.
        for body in [
            "[]",
            "\"x\"",
            "42",
            r#"{"error":5,"errors":"no","message":[]}"#,
            r#"{"errors":[7]}"#,
        ] {
            let e = tok(400, body);
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{}", body);
            assert_eq!(e.description, None);
        }
    }

    #[test]
    fn api_401_bodies() {
        let e = api_error(
            401,
            j(
                r#"{"errorCode":"TokenInvalid","message":"Access token corrupted","errors":[{"errorCode":"OAU-129","message":"Access token corrupted"}]}"#,
            ),
        );
        assert_eq!(e.code, ErrorCode::LoginRequired);
        assert_eq!(e.error_code.as_deref(), Some("OAU-129"));
        assert_eq!(e.description.as_deref(), Some("Access token corrupted"));
        assert!(e.is_terminal());
        let p = parse_error_body(j(
            r#"{"errorCode":"TokenInvalid","message":"OAuth token is invalid","errors":[{"errorCode":"OAU-149","message":"OAuth token is invalid"}]}"#,
        ));
        assert_eq!(p.top_error_code.as_deref(), Some("TokenInvalid"));
        assert_eq!(p.error_code.as_deref(), Some("OAU-149"));
        let body =
            j(r#"{"errorCode":"AGW-401","message":"Authorization header is not specified"}"#);
        let p = parse_error_body(body.clone());
        assert_eq!(
            (p.error_code.as_deref(), p.top_error_code.as_deref()),
            (Some("AGW-401"), Some("AGW-401"))
        );
        let e = api_error(401, body.clone());
        assert_eq!(e.error_code.as_deref(), Some("AGW-401"));
        // TokenInvalid alone: not an OAU-/CMN-/AGW- code, but still reported.
        let p = parse_error_body(j(r#"{"errorCode":"TokenInvalid","message":"x"}"#));
        assert_eq!(
            (p.error_code, p.top_error_code.as_deref()),
            (None, Some("TokenInvalid"))
        );
        assert_eq!(
            api_error(401, j(r#"{"errorCode":"TokenInvalid"}"#))
                .error_code
                .as_deref(),
            Some("TokenInvalid")
        );
        assert_eq!(api_error(403, None).code, ErrorCode::AccessDenied);
        assert_eq!(api_error(404, None).code, ErrorCode::InvalidRequest);
        assert!(api_error(502, None).retryable);
    }

    #[test]
    fn constructors() {
        assert!(network_error().retryable && network_error().code == ErrorCode::Network);
        assert!(timeout_error().retryable && timeout_error().code == ErrorCode::Timeout);
        let e = invalid_response("access_token");
        assert_eq!(e.code, ErrorCode::InvalidResponse);
        assert!(e.is_terminal());
        assert!(e.description.unwrap().starts_with("access_token:"));
    }
}
