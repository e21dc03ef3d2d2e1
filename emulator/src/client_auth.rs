//! Client authentication at the token and revoke endpoints (§1, §10.7): confidential
//! apps use `Authorization: Basic`, public apps send `client_id` in the body (or a
//! valid Basic header). `client_secret` in the body is not a supported method.

use crate::apps::App;
use crate::errors::OAuthError;
use crate::params::Params;
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct ClientCreds {
    /// `(id, secret)` from a Basic header; `Some(("", ""))` for an undecodable one.
    pub basic: Option<(String, String)>,
    pub body_client_id: Option<String>,
}

impl ClientCreds {
    pub fn from_request(headers: &HeaderMap, params: &Params) -> ClientCreds {
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                let (scheme, rest) = h.trim().split_once(' ')?;
                if !scheme.eq_ignore_ascii_case("basic") {
                    return None;
                }
                let decoded = STANDARD
                    .decode(rest.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                Some(match decoded.as_deref().and_then(|s| s.split_once(':')) {
                    Some((id, secret)) => (id.to_string(), secret.to_string()),
                    None => (String::new(), String::new()),
                })
            });
        ClientCreds {
            basic,
            body_client_id: params.get("client_id").map(str::to_string),
        }
    }

    /// The client the request claims to be (for logs and rate-limit keys).
    pub fn claimed_id(&self) -> Option<String> {
        match &self.basic {
            Some((id, _)) if !id.is_empty() => Some(id.clone()),
            _ => self.body_client_id.clone(),
        }
    }

    pub fn authenticate(&self, apps: &HashMap<String, App>) -> Result<App, OAuthError> {
        let unknown = |id: &str| {
            OAuthError::new(
                400,
                "invalid_client",
                Some("OAU-153"),
                format!("Invalid client: {id}"),
            )
            .with_param("client_id", id)
        };
        if let Some((id, secret)) = &self.basic {
            let app = apps.get(id).ok_or_else(|| unknown(id))?;
            // A secret-less app cannot pass Basic (RC answered such a header with an error, [I3]).
            return match &app.client_secret {
                Some(s) if s == secret => Ok(app.clone()),
                _ => Err(OAuthError::new(
                    401,
                    "invalid_client",
                    Some("OAU-146"),
                    "Invalid client credentials",
                )),
            };
        }
        let required = || {
            OAuthError::new(
                400,
                "invalid_client",
                Some("OAU-123"),
                "Client authentication is required",
            )
        };
        let id = self.body_client_id.as_deref().ok_or_else(required)?;
        let app = apps.get(id).ok_or_else(|| unknown(id))?;
        if app.confidential {
            return Err(required());
        }
        Ok(app.clone())
    }
}
