//! Library configuration, read from the JS config object (camelCase keys) and validated once,
//! so everything downstream can rely on it (URLs are absolute, the server is normalised, …).

use serde::{Deserialize, Serialize};

use super::bytes;
use super::encoding::{fnv1a64, push_hex};
use super::error::{config_error, Error, ErrorCode};
use super::token::TokenSet;
use super::url::{is_secure_origin, normalize_base, origin_of, split_absolute};
use super::serde_fields::*;

/// Which OAuth flow `login()` uses. There is no PKCE `plain`: PKCE always means S256.
/// Stored (in a login transaction) as `"pkce"` / `"implicit"`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// Authorization code + PKCE (S256). The default.
    Pkce,
    /// Legacy implicit grant (`response_type=token`): no refresh token.
    Implicit,
}

impl Flow {
    pub fn as_str(&self) -> &'static str {
        match self {
            Flow::Pkce => "pkce",
            Flow::Implicit => "implicit",
        }
    }

    pub fn from_name(s: &str) -> Option<Flow> {
        if s.eq_ignore_ascii_case("pkce") {
            Some(Flow::Pkce)
        } else if s.eq_ignore_ascii_case("implicit") {
            Some(Flow::Implicit)
        } else {
            None
        }
    }
}

/// Where tokens are kept. `localStorage` is deliberately not offered.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum StorageKind {
    SessionStorage,
    Cookie,
    Memory,
}

#[derive(Clone, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub struct Endpoints {
    /// Each is a path joined to `Config::server`, or an absolute http(s) URL.
    pub authorize: String,
    pub token: String,
    pub revoke: String,
}

impl Default for Endpoints {
    fn default() -> Endpoints {
        Endpoints {
            authorize: "/restapi/oauth/authorize".to_string(),
            token: "/restapi/oauth/token".to_string(),
            revoke: "/restapi/oauth/revoke".to_string(),
        }
    }
}

/// Optional extra authorize parameters. Empty strings are stored as `None` (never sent).
#[derive(Clone, Default, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub struct AuthorizeParams {
    pub brand_id: Option<String>,
    pub display: Option<String>,
    pub prompt: Option<String>,
    pub ui_locales: Option<String>,
    pub login_hint: Option<String>,
    pub scope: Option<String>,
}

#[derive(Clone, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub struct Config {
    pub client_id: String,
    /// Normalised: `scheme://host[:port][/path]`, lower-case scheme and host, no trailing slash.
    pub server: String,
    /// Kept exactly as given (it must match the registered URI byte for byte).
    pub redirect_uri: String,
    pub flow: Flow,
    pub storage: StorageKind,
    /// Whether to ask for refresh tokens. When false, `refresh_token_ttl=0` is sent.
    pub refresh_tokens: bool,
    pub access_token_ttl: Option<u32>,
    pub refresh_token_ttl: Option<u32>,
    pub refresh_margin_s: u32,
    /// Normalised origins that receive the bearer token in `fetch`.
    pub api_origins: Vec<String>,
    pub endpoints: Endpoints,
    pub authorize_params: AuthorizeParams,
    /// RFC 9207: when set, every authorization response must carry `iss` equal to it (byte for byte).
    pub issuer: Option<String>,
    /// RFC 9449: bind tokens to a non-extractable key of this browser and prove possession on every use.
    pub dpop: bool,
    /// `dpop: 'prefer'`: a bearer answer to a request that carried a proof is used (`dpopDowngrade`). With
    /// `dpop: true` it is refused (`dpop_downgrade`, nothing stored).
    pub dpop_prefer: bool,
    /// Renew a session that cannot refresh with a hidden `prompt=none` authorize request before it expires.
    pub silent_renew: bool,
    /// How long a silent renewal may take (iframe and code exchange) before it counts as failed.
    pub silent_timeout_s: u32,
    /// How long `loginPopup()` waits for the popup's answer.
    pub popup_timeout_s: u32,
    /// `shareTabs` (default true): with per-tab storage (sessionStorage), the tabs of this client + server join
    /// one session over a BroadcastChannel (engine/join.rs). Cookie and persistence storage share anyway.
    pub share_tabs: bool,
}

/// Defaults of the popup login and silent renewal options.
pub const SILENT_TIMEOUT_S: u32 = 10;
pub const POPUP_TIMEOUT_S: u32 = 300;

// ---- the config object as the app writes it ---------------------------------------------------

/// The JS config object, camelCase as the README documents it. Absent and `null` both mean "not set"; unknown
/// keys (and `persistence`, which the browser layer takes itself) are ignored. A value of the wrong type fails
/// with an error naming the field ([`config_error_from`]); [`Config::from_input`] validates the rest.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, derive(Debug))]
pub struct ConfigInput {
    #[serde(default, deserialize_with = "named::<_, F_CLIENT_ID, _>")]
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_SERVER, _>")]
    pub server: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_REDIRECT_URI, _>")]
    pub redirect_uri: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_FLOW, _>")]
    pub flow: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_STORAGE, _>")]
    pub storage: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_REFRESH_TOKENS, _>")]
    pub refresh_tokens: Option<bool>,
    #[serde(default, deserialize_with = "named::<_, F_ACCESS_TOKEN_TTL, _>")]
    pub access_token_ttl: Option<u32>,
    #[serde(default, deserialize_with = "named::<_, F_REFRESH_TOKEN_TTL, _>")]
    pub refresh_token_ttl: Option<u32>,
    #[serde(default, deserialize_with = "named::<_, F_REFRESH_MARGIN, _>")]
    pub refresh_margin_seconds: Option<u32>,
    #[serde(default, deserialize_with = "named::<_, F_API_ORIGINS, _>")]
    pub api_origins: Option<OneOrMany>,
    #[serde(default, deserialize_with = "named_object::<_, F_ENDPOINTS, _>")]
    pub endpoints: Option<EndpointsInput>,
    #[serde(default, deserialize_with = "named_object::<_, F_AUTHORIZE_PARAMS, _>")]
    pub authorize_params: Option<AuthorizeParamsInput>,
    #[serde(default, deserialize_with = "named::<_, F_ISSUER, _>")]
    pub issuer: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_DPOP, _>")]
    pub dpop: Option<DpopSetting>,
    #[serde(default, deserialize_with = "named::<_, F_SILENT_RENEW, _>")]
    pub silent_renew: Option<bool>,
    #[serde(default, deserialize_with = "named::<_, F_SILENT_TIMEOUT, _>")]
    pub silent_timeout_seconds: Option<u32>,
    #[serde(default, deserialize_with = "named::<_, F_POPUP_TIMEOUT, _>")]
    pub popup_timeout_seconds: Option<u32>,
    #[serde(default, deserialize_with = "named::<_, F_SHARE_TABS, _>")]
    pub share_tabs: Option<bool>,
}

/// `endpoints`: each a path joined to `server`, or an absolute http(s) URL.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub struct EndpointsInput {
    #[serde(default, deserialize_with = "named::<_, F_EP_AUTHORIZE, _>")]
    pub authorize: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_EP_TOKEN, _>")]
    pub token: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_EP_REVOKE, _>")]
    pub revoke: Option<String>,
}

/// `authorizeParams`: the authorize endpoint's own (snake_case) names; camelCase spellings are accepted too.
/// `brand_id` may be a number (1210).
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug))]
pub struct AuthorizeParamsInput {
    #[serde(default, alias = "brandId", deserialize_with = "named::<_, F_AP_BRAND_ID, _>")]
    pub brand_id: Option<Scalar>,
    #[serde(default, deserialize_with = "named::<_, F_AP_DISPLAY, _>")]
    pub display: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_AP_PROMPT, _>")]
    pub prompt: Option<String>,
    #[serde(default, alias = "uiLocales", deserialize_with = "named::<_, F_AP_UI_LOCALES, _>")]
    pub ui_locales: Option<String>,
    #[serde(default, alias = "loginHint", deserialize_with = "named::<_, F_AP_LOGIN_HINT, _>")]
    pub login_hint: Option<String>,
    #[serde(default, deserialize_with = "named::<_, F_AP_SCOPE, _>")]
    pub scope: Option<String>,
}

impl ConfigInput {
    /// The config object read field by field ([`Fields`]: what the wasm does, so no derived visitor for the
    /// whole struct is linked), in declaration order, with the derived read's errors and defaults; the nested
    /// objects likewise ([`Objects`]).
    pub fn read<O: Objects>(o: &O) -> Result<ConfigInput, &'static str> {
        Ok(ConfigInput {
            client_id: named_field(o, "clientId", F_CLIENT_ID)?,
            server: named_field(o, "server", F_SERVER)?,
            redirect_uri: named_field(o, "redirectUri", F_REDIRECT_URI)?,
            flow: named_field(o, "flow", F_FLOW)?,
            storage: named_field(o, "storage", F_STORAGE)?,
            refresh_tokens: named_field(o, "refreshTokens", F_REFRESH_TOKENS)?,
            access_token_ttl: named_field(o, "accessTokenTtl", F_ACCESS_TOKEN_TTL)?,
            refresh_token_ttl: named_field(o, "refreshTokenTtl", F_REFRESH_TOKEN_TTL)?,
            refresh_margin_seconds: named_field(o, "refreshMarginSeconds", F_REFRESH_MARGIN)?,
            api_origins: named_field(o, "apiOrigins", F_API_ORIGINS)?,
            endpoints: object_field(o, "endpoints", F_ENDPOINTS, EndpointsInput::read)?,
            authorize_params: object_field(o, "authorizeParams", F_AUTHORIZE_PARAMS, AuthorizeParamsInput::read)?,
            issuer: named_field(o, "issuer", F_ISSUER)?,
            dpop: named_field(o, "dpop", F_DPOP)?,
            silent_renew: named_field(o, "silentRenew", F_SILENT_RENEW)?,
            silent_timeout_seconds: named_field(o, "silentTimeoutSeconds", F_SILENT_TIMEOUT)?,
            popup_timeout_seconds: named_field(o, "popupTimeoutSeconds", F_POPUP_TIMEOUT)?,
            share_tabs: named_field(o, "shareTabs", F_SHARE_TABS)?,
        })
    }
}

impl EndpointsInput {
    /// `endpoints` read field by field, as [`ConfigInput::read`] reads the config.
    pub fn read(o: &impl Fields) -> Result<EndpointsInput, &'static str> {
        Ok(EndpointsInput {
            authorize: named_field(o, "authorize", F_EP_AUTHORIZE)?,
            token: named_field(o, "token", F_EP_TOKEN)?,
            revoke: named_field(o, "revoke", F_EP_REVOKE)?,
        })
    }
}

impl AuthorizeParamsInput {
    /// `authorizeParams` read field by field. A field given under both spellings (`brand_id` and `brandId`)
    /// fails as the derived read's duplicate field does: with the object's entry.
    pub fn read(o: &impl Fields) -> Result<AuthorizeParamsInput, &'static str> {
        Ok(AuthorizeParamsInput {
            brand_id: aliased(o, "brandId", "brand_id", F_AP_BRAND_ID)?,
            display: named_field(o, "display", F_AP_DISPLAY)?,
            prompt: named_field(o, "prompt", F_AP_PROMPT)?,
            ui_locales: aliased(o, "uiLocales", "ui_locales", F_AP_UI_LOCALES)?,
            login_hint: aliased(o, "loginHint", "login_hint", F_AP_LOGIN_HINT)?,
            scope: named_field(o, "scope", F_AP_SCOPE)?,
        })
    }
}

/// A field under its alias (`#[serde(alias)]`, asked first as the derived read lists it) or its name: both
/// given is the derived read's duplicate field.
fn aliased<T: serde::de::DeserializeOwned>(
    o: &impl Fields,
    alias: &str,
    name: &str,
    n: usize,
) -> Result<Option<T>, &'static str> {
    match (named_field::<Option<T>>(o, alias, n)?, named_field::<Option<T>>(o, name, n)?) {
        (Some(_), Some(_)) => Err(FIELD_ERRORS[F_AUTHORIZE_PARAMS]),
        (a, b) => Ok(a.or(b)),
    }
}

/// A deserializer's error for the config object → `invalid_config` naming the field (a value of the wrong
/// type), or the whole config when it is not an object.
pub fn config_error_from(message: &str) -> Error {
    match field_error(message) {
        Some(d) => Error::new(ErrorCode::InvalidConfig).with_description(d),
        None => config_error("config", "must be an object"),
    }
}

/// `persistence`, when given, must be an adapter: `load`, `save` and `clear` all functions (`adapter`: whether the
/// host found them so). Anything else (a number, `{}`, `localStorage`, whose methods are `getItem`/`setItem`) is a
/// wrong value, refused when the session is made rather than found out at the first load or save.
pub fn persistence_error(adapter: bool) -> Option<Error> {
    (!adapter).then(|| config_error("persistence", "must be an adapter with load(), save(tokens) and clear() methods (never localStorage)"))
}

/// `https://…`, or `http://` to a loopback host only: anything else would send tokens (or the user's login) in
/// the clear. `url` must already be an absolute http(s) URL.
fn cleartext(url: &str) -> bool {
    !origin_of(url).is_some_and(|o| is_secure_origin(&o))
}

const CLEARTEXT: &str = "must be https (http only for localhost, 127.0.0.0/8 or [::1]): bearer tokens must not travel in the clear";

/// An endpoint is a path (joined to the server) or an absolute http(s) URL. No whitespace,
/// no fragment, no backslash, no protocol-relative `//host`.
fn valid_endpoint(s: &str) -> bool {
    if s.is_empty()
        || s.bytes()
            .any(|b| b <= b' ' || b == b'#' || b == b'\\' || b == 0x7f)
    {
        return false;
    }
    if bytes::contains(s, "://") {
        split_absolute(s).is_some()
    } else {
        !s.starts_with("//")
    }
}

impl Config {
    /// Validates the config object. `has_persistence` (decided by the browser layer) is the default of
    /// `refreshTokens`.
    pub fn from_input(j: ConfigInput, has_persistence: bool) -> Result<Config, Error> {
        let client_id = match j.client_id {
            Some(s) if !s.is_empty() => s,
            _ => return Err(config_error("clientId", "required (a non-empty string)")),
        };
        let server = j.server.as_deref().and_then(normalize_base).ok_or_else(|| {
            config_error(
                "server",
                "required: an absolute http(s) URL without query or fragment",
            )
        })?;
        if cleartext(&server) {
            return Err(config_error("server", CLEARTEXT));
        }
        let redirect_uri = match j.redirect_uri {
            Some(s) if origin_of(&s).is_some() && bytes::find_any(&s, b"#").is_none() => s,
            _ => {
                return Err(config_error(
                    "redirectUri",
                    "required: an absolute http(s) URL without fragment",
                ))
            }
        };
        let flow = match j.flow.as_deref() {
            None => Flow::Pkce,
            Some(s) => Flow::from_name(s)
                .ok_or_else(|| config_error("flow", "must be \"pkce\" or \"implicit\""))?,
        };
        let storage = match j.storage.as_deref() {
            None => StorageKind::SessionStorage,
            Some(s) if s.eq_ignore_ascii_case("sessionStorage") => StorageKind::SessionStorage,
            Some(s) if s.eq_ignore_ascii_case("cookie") => StorageKind::Cookie,
            Some(s) if s.eq_ignore_ascii_case("memory") => StorageKind::Memory,
            Some(_) => {
                return Err(config_error(
                    "storage",
                    "must be \"sessionStorage\", \"cookie\" or \"memory\"; localStorage is refused (tokens there outlive the tab and are readable by any script on the origin)",
                ))
            }
        };
        let refresh_tokens = j.refresh_tokens.unwrap_or(has_persistence);
        let refresh_margin_s = j.refresh_margin_seconds.unwrap_or(60);

        let api_origins = match j.api_origins {
            None => match origin_of(&server) {
                Some(o) => vec![o],
                None => return Err(config_error("server", "has no origin")),
            },
            Some(OneOrMany(list)) => {
                let mut out: Vec<String> = Vec::with_capacity(list.len());
                for item in &list {
                    let o = origin_of(item).ok_or_else(|| {
                        config_error("apiOrigins", "each entry must be an absolute http(s) URL")
                    })?;
                    if !is_secure_origin(&o) {
                        return Err(config_error("apiOrigins", CLEARTEXT));
                    }
                    if !out.contains(&o) {
                        out.push(o);
                    }
                }
                out
            }
        };

        let mut endpoints = Endpoints::default();
        if let Some(e) = j.endpoints {
            for (field, given, slot) in [
                ("endpoints.authorize", e.authorize, &mut endpoints.authorize),
                ("endpoints.token", e.token, &mut endpoints.token),
                ("endpoints.revoke", e.revoke, &mut endpoints.revoke),
            ] {
                if let Some(s) = given {
                    if !valid_endpoint(&s) {
                        return Err(config_error(
                            field,
                            "must be a path or an absolute http(s) URL",
                        ));
                    }
                    if bytes::contains(&s, "://") && cleartext(&s) {
                        return Err(config_error(field, CLEARTEXT));
                    }
                    *slot = s;
                }
            }
        }

        let mut authorize_params = AuthorizeParams::default();
        if let Some(p) = j.authorize_params {
            // brand_id is commonly written as a number (1210): a non-negative integer is taken as its digits.
            let brand_id = match p.brand_id {
                None => None,
                Some(Scalar::Str(s)) => Some(s),
                Some(Scalar::Num(n)) => Some(
                    Some(Scalar::Num(n))
                        .filter(|_| (0.0..1e15).contains(&n))
                        .and_then(Scalar::into_id)
                        .ok_or_else(|| config_error("authorizeParams.brand_id", "must be a string"))?,
                ),
            };
            let keep = |v: Option<String>| v.filter(|s| !s.is_empty());
            authorize_params = AuthorizeParams {
                brand_id: keep(brand_id),
                display: keep(p.display),
                prompt: keep(p.prompt),
                ui_locales: keep(p.ui_locales),
                login_hint: keep(p.login_hint),
                scope: keep(p.scope),
            };
        }

        // RFC 8414 issuer identifier: https (loopback http for development), no query, no fragment. Kept exactly as
        // given: RFC 9207 compares `iss` by simple string comparison.
        let issuer = match j.issuer {
            None => None,
            Some(s) => {
                let shape = normalize_base(&s).is_some() && !s.bytes().any(|b| b <= b' ' || b == 0x7f);
                if !shape {
                    return Err(config_error("issuer", "must be an absolute https URL without query or fragment"));
                }
                if cleartext(&s) {
                    return Err(config_error("issuer", CLEARTEXT));
                }
                Some(s)
            }
        };

        let (dpop, dpop_prefer) = match j.dpop.and_then(|d| d.0) {
            Some(prefer) => (true, prefer),
            None => (false, false),
        };
        if dpop && flow == Flow::Implicit {
            // RFC 9449 binds tokens at the token endpoint; the implicit grant never calls it.
            return Err(config_error("dpop", "needs flow \"pkce\": implicit tokens cannot be bound to a key"));
        }

        Ok(Config {
            client_id,
            server,
            redirect_uri,
            flow,
            storage,
            refresh_tokens,
            access_token_ttl: j.access_token_ttl,
            refresh_token_ttl: j.refresh_token_ttl,
            refresh_margin_s,
            api_origins,
            endpoints,
            authorize_params,
            issuer,
            dpop,
            dpop_prefer,
            // Default on exactly when there is no refresh token to keep the session going (RingCentral's SPA
            // setup, refresh_token_ttl=0): then the login cookie at the server is what lasts the working day.
            silent_renew: j.silent_renew.unwrap_or(!refresh_tokens),
            silent_timeout_s: j.silent_timeout_seconds.filter(|s| *s > 0).unwrap_or(SILENT_TIMEOUT_S),
            popup_timeout_s: j.popup_timeout_seconds.filter(|s| *s > 0).unwrap_or(POPUP_TIMEOUT_S),
            share_tabs: j.share_tabs.unwrap_or(true),
        })
    }

    /// A config with every option at its default, for Rust callers and the simulator. `server` must be an
    /// absolute https URL (http only to a loopback host); `None` otherwise.
    pub fn with_defaults(client_id: &str, server: &str, redirect_uri: &str) -> Option<Config> {
        let server = normalize_base(server)?;
        if cleartext(&server) {
            return None;
        }
        let api_origins = vec![origin_of(&server)?];
        Some(Config {
            client_id: client_id.to_string(),
            server,
            redirect_uri: redirect_uri.to_string(),
            flow: Flow::Pkce,
            storage: StorageKind::SessionStorage,
            refresh_tokens: false,
            access_token_ttl: None,
            refresh_token_ttl: None,
            refresh_margin_s: 60,
            api_origins,
            endpoints: Endpoints::default(),
            authorize_params: AuthorizeParams::default(),
            issuer: None,
            dpop: false,
            dpop_prefer: false,
            // As in the JS default (no refresh tokens here): a caller that turns refresh tokens on sets it too.
            silent_renew: true,
            silent_timeout_s: SILENT_TIMEOUT_S,
            popup_timeout_s: POPUP_TIMEOUT_S,
            share_tabs: true,
        })
    }

    fn resolve(&self, ep: &str) -> String {
        if bytes::contains(ep, "://") {
            return ep.to_string();
        }
        let mut s = String::with_capacity(self.server.len() + ep.len() + 1);
        s.push_str(&self.server);
        if !ep.starts_with('/') {
            s.push('/');
        }
        s.push_str(ep);
        s
    }

    pub fn token_url(&self) -> String {
        self.resolve(&self.endpoints.token)
    }

    /// The authorize endpoint without our parameters (it may already carry a query).
    pub fn authorize_url_base(&self) -> String {
        self.resolve(&self.endpoints.authorize)
    }

    pub fn revoke_url(&self) -> String {
        self.resolve(&self.endpoints.revoke)
    }

    /// The `refresh_token_ttl` to send: `Some(0)` (= "issue no refresh token") when refresh tokens
    /// are off, else the configured value.
    pub fn refresh_token_ttl_param(&self) -> Option<u32> {
        if self.refresh_tokens {
            self.refresh_token_ttl
        } else {
            Some(0)
        }
    }

    /// Applies the refresh-token choice to what a server returned. `refresh_token_ttl=0` is RingCentral's;
    /// a standards server may ignore it and issue a refresh token anyway. Without a backend the app asked for
    /// none, so it is dropped here: never stored, never used (the session then ends with `expired`).
    pub fn keep_allowed(&self, mut t: TokenSet) -> TokenSet {
        if !self.refresh_tokens {
            t.refresh_token = None;
            t.refresh_expires_at_ms = None;
        }
        t
    }

    /// Stable storage-key / cookie-name prefix, unique per client_id + server:
    /// `oss.` + 16 hex digits (only `a-z 0-9 .`, so it is cookie-name-safe).
    pub fn storage_key(&self) -> String {
        let mut s = String::from("oss.");
        push_hex(&mut s, fnv1a64(&[&self.client_id, &self.server]), 16);
        s
    }

    /// Web Locks name for cross-tab refresh serialisation.
    pub fn lock_name(&self) -> String {
        let mut s = String::from("oauth-spa-session:");
        s.push_str(&self.client_id);
        s.push('@');
        s.push_str(&self.server);
        s
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// As the browser layer does it: a non-object (or an array) is refused, then the object is read into
    /// `ConfigInput` and validated.
    pub(crate) fn cfg(text: &str, persist: bool) -> Result<Config, Error> {
        if !text.trim_start().starts_with('{') {
            return Err(config_error("config", "must be an object"));
        }
        let v: serde_json::Value = serde_json::from_str(text).map_err(|_| config_error_from(""))?;
        let j = ConfigInput::read(&v).map_err(config_error_from)?;
        Config::from_input(j, persist)
    }

    pub(crate) fn rc() -> Config {
        cfg(
            r#"{"clientId":"abc","server":"https://platform.ringcentral.com","redirectUri":"https://app.example/cb"}"#,
            true,
        )
        .unwrap()
    }

    fn err_desc(text: &str) -> String {
        let e = cfg(text, true).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        e.description.unwrap()
    }

    #[test]
    fn defaults() {
        let c = rc();
        assert_eq!(c.client_id, "abc");
        assert_eq!(c.server, "https://platform.ringcentral.com");
        assert_eq!(c.flow, Flow::Pkce);
        assert_eq!(c.storage, StorageKind::SessionStorage);
        assert!(c.refresh_tokens);
        assert_eq!(c.refresh_margin_s, 60);
        assert_eq!(
            c.api_origins,
            vec!["https://platform.ringcentral.com".to_string()]
        );
        assert_eq!(
            c.token_url(),
            "https://platform.ringcentral.com/restapi/oauth/token"
        );
        assert_eq!(
            c.authorize_url_base(),
            "https://platform.ringcentral.com/restapi/oauth/authorize"
        );
        assert_eq!(
            c.revoke_url(),
            "https://platform.ringcentral.com/restapi/oauth/revoke"
        );
        assert_eq!(c.authorize_params, AuthorizeParams::default());
        assert!(!c.dpop, "DPoP is off unless asked for");
        assert_eq!(c.refresh_token_ttl_param(), None);
        assert_eq!(
            c.lock_name(),
            "oauth-spa-session:abc@https://platform.ringcentral.com"
        );
    }

    #[test]
    fn dpop_true_requires_prefer_accepts_a_downgrade() {
        let base = r#""clientId":"a","server":"https://s.example","redirectUri":"https://app.example/""#;
        for (v, on, prefer) in [("true", true, false), ("\"prefer\"", true, true), ("false", false, false), ("null", false, false)] {
            let c = cfg(&format!("{{{base},\"dpop\":{v}}}"), true).unwrap();
            assert_eq!((c.dpop, c.dpop_prefer), (on, prefer), "{v}");
        }
        for v in ["\"Prefer\"", "\"require\"", "1"] {
            assert!(err_desc(&format!("{{{base},\"dpop\":{v}}}")).contains("dpop"), "{v}");
        }
    }

    #[test]
    fn full_config_and_normalisation() {
        let c = cfg(
            r#"{"clientId":"id","server":"HTTP://LocalHost:3000/rc/","redirectUri":"http://localhost:8080/cb?x=1",
                "flow":"implicit","storage":"cookie","refreshTokens":false,"accessTokenTtl":600,"refreshTokenTtl":86400,
                "refreshMarginSeconds":30,"apiOrigins":["https://API.example:443/v1","http://localhost:3000","https://api.example"],
                "endpoints":{"authorize":"https://login.example/authorize?realm=x","token":"/oauth/token","revoke":null},
                "authorizeParams":{"brand_id":1210,"display":"popup","prompt":"login sso","ui_locales":"en-US","loginHint":"u@x","scope":""},
                "persistence":{"get":"function"}, "unknownKey": 1}"#,
            true,
        )
        .unwrap();
        assert_eq!(c.server, "http://localhost:3000/rc");
        assert_eq!(c.redirect_uri, "http://localhost:8080/cb?x=1");
        assert_eq!(c.flow, Flow::Implicit);
        assert_eq!(c.storage, StorageKind::Cookie);
        assert!(!c.refresh_tokens);
        assert_eq!(c.access_token_ttl, Some(600));
        assert_eq!(c.refresh_token_ttl, Some(86400));
        assert_eq!(c.refresh_margin_s, 30);
        assert_eq!(
            c.api_origins,
            vec![
                "https://api.example".to_string(),
                "http://localhost:3000".to_string()
            ]
        );
        assert_eq!(
            c.authorize_url_base(),
            "https://login.example/authorize?realm=x"
        );
        assert_eq!(c.token_url(), "http://localhost:3000/rc/oauth/token");
        assert_eq!(
            c.revoke_url(),
            "http://localhost:3000/rc/restapi/oauth/revoke"
        );
        assert_eq!(c.authorize_params.brand_id.as_deref(), Some("1210"));
        assert_eq!(c.authorize_params.prompt.as_deref(), Some("login sso"));
        assert_eq!(c.authorize_params.login_hint.as_deref(), Some("u@x"));
        assert_eq!(c.authorize_params.scope, None); // empty → absent
                                                    // refresh tokens off → an explicit refresh_token_ttl=0, whatever refreshTokenTtl says
        assert_eq!(c.refresh_token_ttl_param(), Some(0));
    }

    #[test]
    fn refresh_tokens_default_follows_persistence() {
        let text =
            r#"{"clientId":"a","server":"https://s.example","redirectUri":"https://app.example/"}"#;
        let c = cfg(text, false).unwrap();
        assert!(!c.refresh_tokens);
        assert_eq!(c.refresh_token_ttl_param(), Some(0));
        let c = cfg(text, true).unwrap();
        assert!(c.refresh_tokens);
        assert_eq!(c.refresh_token_ttl_param(), None);
        let c = cfg(r#"{"clientId":"a","server":"https://s.example","redirectUri":"https://app.example/","refreshTokens":true,"refreshTokenTtl":0}"#, false).unwrap();
        assert_eq!(c.refresh_token_ttl_param(), Some(0));
    }

    #[test]
    fn persistence_must_be_an_adapter() {
        assert!(persistence_error(true).is_none());
        let d = persistence_error(false).unwrap().description.unwrap();
        assert!(d.starts_with("persistence: must be an adapter"), "{d}");
    }

    #[test]
    fn local_storage_is_refused() {
        let d = err_desc(
            r#"{"clientId":"a","server":"https://s.example","redirectUri":"https://app.example/","storage":"localStorage"}"#,
        );
        assert!(d.starts_with("storage:"), "{}", d);
        assert!(d.contains("localStorage is refused"), "{}", d);
    }

    #[test]
    fn bad_values_name_the_field() {
        let base = r#""server":"https://s.example","redirectUri":"https://app.example/""#;
        let cases: Vec<(String, &str)> = vec![
            ("[]".into(), "config"),
            (format!("{{{}}}", base), "clientId"),
            (format!("{{\"clientId\":\"\",{}}}", base), "clientId"),
            (format!("{{\"clientId\":5,{}}}", base), "clientId"),
            (r#"{"clientId":"a","server":"platform.ringcentral.com","redirectUri":"https://app.example/"}"#.into(), "server"),
            (r#"{"clientId":"a","server":"https://s.example/?x","redirectUri":"https://app.example/"}"#.into(), "server"),
            (r#"{"clientId":"a","server":"https://s.example","redirectUri":"/cb"}"#.into(), "redirectUri"),
            (r#"{"clientId":"a","server":"https://s.example","redirectUri":"https://app.example/#x"}"#.into(), "redirectUri"),
            (format!("{{\"clientId\":\"a\",{},\"flow\":\"plain\"}}", base), "flow"),
            (format!("{{\"clientId\":\"a\",{},\"refreshTokens\":\"yes\"}}", base), "refreshTokens"),
            (format!("{{\"clientId\":\"a\",{},\"dpop\":\"true\"}}", base), "dpop"),
            (format!("{{\"clientId\":\"a\",{},\"dpop\":true,\"flow\":\"implicit\"}}", base), "dpop"),
            (format!("{{\"clientId\":\"a\",{},\"accessTokenTtl\":-1}}", base), "accessTokenTtl"),
            (format!("{{\"clientId\":\"a\",{},\"refreshTokenTtl\":1.5}}", base), "refreshTokenTtl"),
            (format!("{{\"clientId\":\"a\",{},\"refreshMarginSeconds\":\"60\"}}", base), "refreshMarginSeconds"),
            (format!("{{\"clientId\":\"a\",{},\"apiOrigins\":[\"/api\"]}}", base), "apiOrigins"),
            (format!("{{\"clientId\":\"a\",{},\"apiOrigins\":5}}", base), "apiOrigins"),
            (format!("{{\"clientId\":\"a\",{},\"endpoints\":[]}}", base), "endpoints"),
            (format!("{{\"clientId\":\"a\",{},\"endpoints\":{{\"token\":\"//evil.example/t\"}}}}", base), "endpoints.token"),
            (format!("{{\"clientId\":\"a\",{},\"endpoints\":{{\"revoke\":7}}}}", base), "endpoints.revoke"),
            (format!("{{\"clientId\":\"a\",{},\"authorizeParams\":{{\"display\":true}}}}", base), "authorizeParams.display"),
        ];
        for (text, field) in cases {
            let d = err_desc(&text);
            let mut want = field.to_string();
            want.push(':');
            assert!(d.starts_with(&want), "{} → {}", text, d);
        }
    }

    #[test]
    fn cleartext_urls_are_refused_except_loopback() {
        let ok = |extra: &str, server: &str| {
            cfg(&format!(r#"{{"clientId":"a","server":"{}","redirectUri":"https://app.example/"{}}}"#, server, extra), false)
        };
        // Each field that can send a token (or the user's login) elsewhere, with a cleartext non-loopback URL.
        for (server, extra, field) in [
            ("http://platform.ringcentral.com", "", "server"),
            ("HTTP://10.0.0.1:8080/rc", "", "server"),
            ("http://127.0.0.1.evil.example", "", "server"),
            ("https://s.example", r#","apiOrigins":["https://s.example","http://api.example"]"#, "apiOrigins"),
            ("https://s.example", r#","apiOrigins":"http://192.168.1.2""#, "apiOrigins"),
            ("https://s.example", r#","endpoints":{"authorize":"http://login.example/authorize"}"#, "endpoints.authorize"),
            ("https://s.example", r#","endpoints":{"token":"http://login.example/token"}"#, "endpoints.token"),
            ("https://s.example", r#","endpoints":{"revoke":"http://login.example/revoke"}"#, "endpoints.revoke"),
            ("https://s.example", r#","issuer":"http://login.example""#, "issuer"),
        ] {
            let e = ok(extra, server).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidConfig);
            let d = e.description.unwrap();
            assert!(d.starts_with(&format!("{}: must be https", field)), "{} {} → {}", server, extra, d);
        }
        // Loopback development servers keep working, as do https everywhere and relative endpoints.
        for (server, extra) in [
            ("http://127.0.0.1:8080", r#","apiOrigins":["http://127.0.0.1:8080","http://localhost:8080","http://[::1]:8080"]"#),
            ("http://localhost:3000/rc", r#","endpoints":{"token":"http://app.localhost:9/t","authorize":"/a"}"#),
            ("https://s.example", r#","apiOrigins":["https://api.example"],"endpoints":{"token":"https://id.example/t"}"#),
        ] {
            assert!(ok(extra, server).is_ok(), "{} {}", server, extra);
        }
        // The Rust constructor applies the same rule.
        assert!(Config::with_defaults("a", "http://platform.ringcentral.com", "https://app.example/").is_none());
        assert!(Config::with_defaults("a", "http://127.0.0.1:8080", "http://127.0.0.1:8080/cb").is_some());
    }

    #[test]
    fn issuer_is_an_https_url_kept_exactly() {
        let with = |iss: &str| {
            cfg(&format!(r#"{{"clientId":"a","server":"https://s.example","redirectUri":"https://app.example/","issuer":{}}}"#, iss), false)
        };
        assert_eq!(rc().issuer, None);
        assert_eq!(with("null").unwrap().issuer, None);
        assert_eq!(with(r#""https://Login.Example/""#).unwrap().issuer.as_deref(), Some("https://Login.Example/"));
        assert_eq!(with(r#""http://127.0.0.1:8080""#).unwrap().issuer.as_deref(), Some("http://127.0.0.1:8080"));
        for bad in [r#""login.example""#, r#""https://login.example/?x=1""#, r#""https://login.example/#f""#, r#""ftp://x.example""#, r#""""#, "5"] {
            let d = with(bad).unwrap_err().description.unwrap();
            assert!(d.starts_with("issuer:"), "{} → {}", bad, d);
        }
    }

    #[test]
    fn nested_objects_are_read_field_by_field_with_their_aliases() {
        let base = r#""clientId":"a","server":"https://s.example","redirectUri":"https://app.example/""#;
        let c = cfg(&format!(r#"{{{base},"authorizeParams":{{"brandId":1210,"uiLocales":"de","login_hint":"u"}},"endpoints":{{"token":"/t"}}}}"#), true).unwrap();
        assert_eq!(c.authorize_params.brand_id.as_deref(), Some("1210"));
        assert_eq!(c.authorize_params.ui_locales.as_deref(), Some("de"));
        assert_eq!(c.authorize_params.login_hint.as_deref(), Some("u"));
        assert_eq!(c.endpoints.token, "/t");
        assert_eq!(c.endpoints.revoke, "/restapi/oauth/revoke");
        // Both spellings of one field: the derived read's duplicate field, which names the object.
        let d = err_desc(&format!(r#"{{{base},"authorizeParams":{{"brandId":"1","brand_id":"2"}}}}"#));
        assert_eq!(d, "authorizeParams: must be an object");
        assert_eq!(err_desc(&format!(r#"{{{base},"authorizeParams":"x"}}"#)), "authorizeParams: must be an object");
    }

    #[test]
    fn nulls_mean_absent() {
        let c = cfg(
            r#"{"clientId":"a","server":"https://s.example","redirectUri":"https://app.example/","flow":null,"storage":null,
                "refreshTokens":null,"accessTokenTtl":null,"apiOrigins":null,"endpoints":null,"authorizeParams":null}"#,
            false,
        )
        .unwrap();
        assert_eq!(c.flow, Flow::Pkce);
        assert_eq!(c.storage, StorageKind::SessionStorage);
        assert!(!c.refresh_tokens);
        assert_eq!(c.access_token_ttl, None);
        assert_eq!(c.api_origins, vec!["https://s.example".to_string()]);
    }

    #[test]
    fn storage_key_is_stable_unique_and_cookie_safe() {
        let a = rc();
        let k = a.storage_key();
        assert_eq!(k, rc().storage_key());
        assert_eq!(k.len(), 20);
        assert!(k.starts_with("oss."));
        assert!(k
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-'));
        let mut b = rc();
        b.client_id = "abd".into();
        assert_ne!(b.storage_key(), k);
        let mut c = rc();
        c.server = "https://platform.ringcentral.biz".into();
        assert_ne!(c.storage_key(), k);
    }

    #[test]
    fn unrequested_refresh_tokens_are_dropped() {
        let t = crate::protocol::token::tests::parse_at(
            r#"{"access_token":"a","token_type":"bearer","expires_in":300,"refresh_token":"r","refresh_token_expires_in":900}"#,
            0.0,
        )
        .unwrap();
        let none = cfg(r#"{"clientId":"c","server":"https://s.example","redirectUri":"https://a.example/"}"#, false).unwrap();
        let kept = none.keep_allowed(t.clone());
        assert!(kept.refresh_token.is_none() && kept.refresh_expires_at_ms.is_none());
        assert_eq!(kept.access_token, t.access_token);
        let with = cfg(r#"{"clientId":"c","server":"https://s.example","redirectUri":"https://a.example/"}"#, true).unwrap();
        assert_eq!(with.keep_allowed(t.clone()).refresh_token, t.refresh_token);
    }
}

/// The TypeScript types (src/web/session.d.ts) cannot drift from the serde field names: every key that
/// `ConfigInput` (and its nested objects) reads is declared in `SessionConfig` (or `AuthorizeParams`).
#[cfg(test)]
mod ts_types {
    use super::*;
    use serde::de::{self, Deserializer, Visitor};

    /// A deserializer that only records the field names `deserialize_struct` is asked for.
    struct Probe<'a>(&'a mut Vec<&'static str>);

    impl<'de, 'a> Deserializer<'de> for Probe<'a> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("probe"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.extend_from_slice(fields);
            Err(de::Error::custom("probe"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    fn fields<T: for<'de> Deserialize<'de>>() -> Vec<&'static str> {
        let mut v = Vec::new();
        let _ = T::deserialize(Probe(&mut v));
        v
    }

    /// The body of `export interface <name> { … }` in the .d.ts.
    fn interface(dts: &str, name: &str) -> String {
        let start = dts.find(&format!("export interface {} {{", name)).expect(name);
        let body = &dts[start..];
        body[..body.find("\n}").unwrap()].to_string()
    }

    /// The field-by-field reads (what the wasm runs) ask for exactly the keys the derived `Deserialize` reads
    /// (what the TypeScript check above and the wasm-bindgen tests go by), in the same order.
    #[test]
    fn the_field_by_field_reads_ask_for_the_derived_keys() {
        use crate::protocol::serde_fields::tests::keys_read;
        use crate::protocol::{ErrorBody, TokenResponseBody};
        let same = |read: Vec<String>, derived: Vec<&'static str>| assert_eq!(read, derived);
        same(keys_read(|o| ConfigInput::read(o)), fields::<ConfigInput>());
        same(keys_read(|o| EndpointsInput::read(o)), fields::<EndpointsInput>());
        same(keys_read(|o| AuthorizeParamsInput::read(o)), fields::<AuthorizeParamsInput>());
        same(keys_read(|o| TokenResponseBody::read(o)), fields::<TokenResponseBody>());
        same(keys_read(|o| ErrorBody::read(o)), fields::<ErrorBody>());
    }

    #[test]
    fn every_config_key_is_in_the_typescript_types() {
        let dts = include_str!("../web/session.d.ts");
        let config = interface(dts, "SessionConfig");
        let top = fields::<ConfigInput>();
        assert!(top.len() >= 12, "{:?}", top);
        for f in top.iter().chain(["persistence"].iter()) {
            assert!(config.contains(&format!("\n  {}?:", f)) || config.contains(&format!("\n  {}:", f)), "SessionConfig lacks {}", f);
        }
        let endpoints = config.lines().find(|l| l.contains("endpoints?:")).unwrap().to_string();
        for f in fields::<EndpointsInput>() {
            assert!(endpoints.contains(&format!("{}?:", f)), "endpoints lacks {}", f);
        }
        let params = interface(dts, "AuthorizeParams");
        for f in fields::<AuthorizeParamsInput>() {
            // The camelCase aliases are accepted but not advertised.
            if f.contains(|c: char| c.is_ascii_uppercase()) {
                continue;
            }
            assert!(params.contains(&format!("\n  {}?:", f)), "AuthorizeParams lacks {}", f);
        }
    }
}
