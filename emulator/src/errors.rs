//! RingCentral's two error shapes (§6): OAuth errors from `/restapi/oauth/*` and
//! gateway/API errors from `/restapi/v1.0/*`, with their `WWW-Authenticate` headers.

use crate::respond;
use axum::response::Response;
use serde::Serialize;

const REALM: &str = "RingCentral REST API";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Param<'a> {
    parameter_name: &'a str,
    parameter_value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrItem<'a> {
    error_code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parameters: Vec<Param<'a>>,
}

/// Key order matches RingCentral's captures: error, errors, error_description.
#[derive(Serialize)]
struct OAuthBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ErrItem<'a>>,
    error_description: &'a str,
}

/// An error from the token or revoke endpoint.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
    pub parameters: Vec<(String, String)>,
}

impl OAuthError {
    pub fn new(
        status: u16,
        error: &'static str,
        code: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        OAuthError {
            status,
            error,
            code,
            message: message.into(),
            parameters: Vec::new(),
        }
    }

    pub fn invalid_grant(code: &'static str, message: &str) -> Self {
        Self::new(400, "invalid_grant", Some(code), message)
    }

    pub fn invalid_request(code: &'static str, message: &str) -> Self {
        Self::new(400, "invalid_request", Some(code), message)
    }

    pub fn missing_param(name: &str) -> Self {
        Self::invalid_request("OAU-101", &format!("Parameter [{name}] is missing"))
    }

    pub fn unauthorized_grant() -> Self {
        Self::new(
            400,
            "unauthorized_client",
            Some("OAU-251"),
            "Unauthorized for this grant type",
        )
    }

    pub fn with_param(mut self, name: &str, value: &str) -> Self {
        self.parameters.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(&self) -> String {
        let errors = match self.code {
            Some(code) => vec![ErrItem {
                error_code: code,
                message: &self.message,
                parameters: self
                    .parameters
                    .iter()
                    .map(|(n, v)| Param {
                        parameter_name: n,
                        parameter_value: v,
                    })
                    .collect(),
            }],
            None => Vec::new(),
        };
        let body = OAuthBody {
            error: self.error,
            errors,
            error_description: &self.message,
        };
        serde_json::to_string(&body).unwrap_or_default()
    }

    pub fn into_response(self) -> Response {
        let mut res = respond::json_str(self.status, self.body());
        // §6.4: Bearer challenge for invalid_client, Basic for the other OAuth errors.
        let challenge = if self.error == "invalid_client" {
            format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_client\", error_description=\"{}\"",
                header_safe(&self.message)
            )
        } else {
            format!("Basic realm=\"{REALM}\"")
        };
        respond::set_header(&mut res, "www-authenticate", &challenge);
        res
    }
}

/// An error from the protected API (`/restapi/v1.0/*`).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    /// Gateway code at the top level (`TokenInvalid`, `AGW-401`, `CMN-102`…).
    pub top_code: &'static str,
    /// The specific code nested in `errors[0]` (`OAU-129`…), also logged.
    pub code: &'static str,
    pub message: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiBody<'a> {
    error_code: &'a str,
    message: &'a str,
    errors: Vec<ErrItem<'a>>,
}

impl ApiError {
    /// A 401 for a token problem: top level `TokenInvalid`, nested OAU code.
    pub fn token(code: &'static str, message: &'static str) -> Self {
        ApiError {
            status: 401,
            top_code: "TokenInvalid",
            code,
            message,
        }
    }

    /// A 401 raised by the gateway itself (AGW-xxx at both levels).
    pub fn gateway(code: &'static str, message: &'static str) -> Self {
        ApiError {
            status: 401,
            top_code: code,
            code,
            message,
        }
    }

    pub fn body(&self) -> String {
        let body = ApiBody {
            error_code: self.top_code,
            message: self.message,
            errors: vec![ErrItem {
                error_code: self.code,
                message: self.message,
                parameters: vec![],
            }],
        };
        serde_json::to_string(&body).unwrap_or_default()
    }

    pub fn into_response(self, www_authenticate: bool) -> Response {
        let mut res = respond::json_str(self.status, self.body());
        if www_authenticate {
            let v = format!(
                "Bearer realm=\"{REALM}\", error=\"{}\", error_description=\"{}\"",
                self.code, self.message
            );
            respond::set_header(&mut res, "www-authenticate", &v);
        }
        res
    }
}

/// The CMN-301 body RingCentral sends with a 429.
pub fn rate_limited(retry_after_s: i64) -> Response {
    let err = ApiError {
        status: 429,
        top_code: "CMN-301",
        code: "CMN-301",
        message: "Request rate exceeded",
    };
    let mut res = err.into_response(true);
    respond::set_header(&mut res, "retry-after", &retry_after_s.to_string());
    res
}

fn header_safe(s: &str) -> String {
    s.chars().filter(|c| *c != '"' && !c.is_control()).collect()
}
