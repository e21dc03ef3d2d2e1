//! Tunable server behaviour. Defaults are RingCentral's; tests change them through
//! `POST /_emulator/config` and get them back with `POST /_emulator/reset`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Consent {
    /// Show the sign-in page and wait for a click.
    Page,
    /// Approve immediately (as if the user clicked Allow).
    Auto,
    /// Refuse immediately (as if the user clicked Deny).
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorsMode {
    /// The 2017-captured expose list plus Retry-After, X-Rate-Limit-* and RCRequestId.
    Friendly,
    /// Only what RingCentral was seen to expose.
    Faithful,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Access-token lifetime when none is requested, and the upper clamp.
    pub access_token_ttl_default: i64,
    /// Refresh-token lifetime when none is requested.
    pub refresh_token_ttl_default: i64,
    /// Hard cap on a requested refresh-token lifetime (the effective cap is min(default, max)).
    pub refresh_token_ttl_max: i64,
    /// How long a superseded access token answers OAU-129 before OAU-213.
    pub corrupt_window_s: f64,
    /// Grace for replaying an old refresh token, counted from the first API use of its successor.
    pub grace_after_use_s: f64,
    /// Grace for replaying an old refresh token when the successor is never used.
    pub grace_unused_s: f64,
    /// Authorization-code lifetime (also reported as `expires_in` on the redirect).
    pub code_ttl_s: i64,
    /// Auth-group rate limiting (5/min, restarting 60 s penalty). Off so tests are not throttled.
    pub rate_limit: bool,
    pub consent: Consent,
    pub cors_mode: CorsMode,
    /// `expires_in` is reported as ttl minus this (RingCentral reports remaining whole seconds).
    pub expires_in_offset: i64,
    /// Parallel live sessions per user; the oldest is evicted beyond it. 0 = unlimited.
    pub max_sessions_per_user: usize,
    /// Lifetime of the `RCEMU_LOGIN` browser session. 0 = until reset (RC's ~30 min is unverified).
    pub login_session_ttl_s: i64,
    /// Add `WWW-Authenticate` to API 401s (its presence on RC's 401s is unverified).
    pub www_authenticate: bool,
    /// The assertion accepted by the jwt-bearer grant.
    pub jwt_assertion: String,
    /// RFC 9207: when set, a successful authorization response (code or implicit token) carries `iss=<this>`.
    /// RingCentral sends none, hence the default.
    #[serde(default)]
    pub authorization_response_iss: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            access_token_ttl_default: 3600,
            refresh_token_ttl_default: 604_800,
            refresh_token_ttl_max: 604_800,
            corrupt_window_s: 10.0,
            grace_after_use_s: 10.0,
            grace_unused_s: 3600.0,
            code_ttl_s: 60,
            rate_limit: false,
            consent: Consent::Page,
            cors_mode: CorsMode::Friendly,
            expires_in_offset: 1,
            max_sessions_per_user: 5,
            login_session_ttl_s: 0,
            www_authenticate: true,
            jwt_assertion: "emulator-jwt-assertion".to_string(),
            authorization_response_iss: None,
        }
    }
}

impl Config {
    /// Applies any subset of fields; unknown keys and wrong types are rejected as a whole
    /// so a typo in a test fails loudly instead of silently testing the defaults.
    pub fn merged(&self, patch: &Value) -> Result<Config, String> {
        let Value::Object(patch) = patch else {
            return Err("config must be a JSON object".into());
        };
        let mut current = serde_json::to_value(self).map_err(|e| e.to_string())?;
        if let Value::Object(map) = &mut current {
            for (k, v) in patch {
                map.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(current).map_err(|e| e.to_string())
    }
}
