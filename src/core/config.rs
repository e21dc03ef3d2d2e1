//! Library configuration, read from the JS config object (camelCase keys) and validated once,
//! so everything downstream can rely on it (URLs are absolute, the server is normalised, …).

#[allow(unused_imports)]
use crate::core::prelude::*;

use super::bytes;
use super::encoding::{fnv1a64, push_hex, push_u64};
use super::error::{config_error, Error};
use super::json::Json;
use super::token::TokenSet;
use super::url::{normalize_base, origin_of, split_absolute};

/// Which OAuth flow `login()` uses. There is no PKCE `plain`: PKCE always means S256.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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
}

// ---- field readers: absent and null both mean "not set" -------------------------------------

fn opt_str<'a>(obj: &'a Json, key: &str, field: &str) -> Result<Option<&'a str>, Error> {
    match obj.get_present(key) {
        None => Ok(None),
        Some(Json::Str(s)) => Ok(Some(s)),
        Some(_) => Err(config_error(field, "must be a string")),
    }
}

fn opt_u32(obj: &Json, key: &str) -> Result<Option<u32>, Error> {
    match obj.get_present(key) {
        None => Ok(None),
        Some(Json::Num(n)) if *n >= 0.0 && *n <= u32::MAX as f64 && super::num::trunc(*n) == *n => {
            Ok(Some(*n as u32))
        }
        Some(_) => Err(config_error(key, "must be a non-negative integer")),
    }
}

fn opt_obj<'a>(obj: &'a Json, key: &str) -> Result<Option<&'a Json>, Error> {
    match obj.get_present(key) {
        None => Ok(None),
        Some(v @ Json::Obj(_)) => Ok(Some(v)),
        Some(_) => Err(config_error(key, "must be an object")),
    }
}

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
    /// Reads the JS config object. `has_persistence` (decided by the browser layer) is the default of
    /// `refreshTokens`. Unknown keys and `persistence` are ignored here.
    pub fn from_json(j: &Json, has_persistence: bool) -> Result<Config, Error> {
        if !matches!(j, Json::Obj(_)) {
            return Err(config_error("config", "must be an object"));
        }
        let client_id = match opt_str(j, "clientId", "clientId")? {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => return Err(config_error("clientId", "required (a non-empty string)")),
        };
        let server = opt_str(j, "server", "server")?
            .and_then(normalize_base)
            .ok_or_else(|| {
                config_error(
                    "server",
                    "required: an absolute http(s) URL without query or fragment",
                )
            })?;
        let redirect_uri = match opt_str(j, "redirectUri", "redirectUri")? {
            Some(s) if origin_of(s).is_some() && bytes::find_any(s, b"#").is_none() => s.to_string(),
            _ => {
                return Err(config_error(
                    "redirectUri",
                    "required: an absolute http(s) URL without fragment",
                ))
            }
        };
        let flow = match opt_str(j, "flow", "flow")? {
            None => Flow::Pkce,
            Some(s) => Flow::from_name(s)
                .ok_or_else(|| config_error("flow", "must be \"pkce\" or \"implicit\""))?,
        };
        let storage = match opt_str(j, "storage", "storage")? {
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
        let refresh_tokens = match j.get_present("refreshTokens") {
            None => has_persistence,
            Some(Json::Bool(b)) => *b,
            Some(_) => return Err(config_error("refreshTokens", "must be a boolean")),
        };
        let access_token_ttl = opt_u32(j, "accessTokenTtl")?;
        let refresh_token_ttl = opt_u32(j, "refreshTokenTtl")?;
        let refresh_margin_s = opt_u32(j, "refreshMarginSeconds")?.unwrap_or(60);

        let api_origins = match j.get_present("apiOrigins") {
            None => match origin_of(&server) {
                Some(o) => vec![o],
                None => return Err(config_error("server", "has no origin")),
            },
            Some(v) => {
                let one;
                let list: &[Json] = match v {
                    Json::Arr(a) => a,
                    Json::Str(_) => {
                        one = [v.clone()];
                        &one
                    }
                    _ => {
                        return Err(config_error(
                            "apiOrigins",
                            "must be an array of absolute http(s) URLs",
                        ))
                    }
                };
                let mut out: Vec<String> = Vec::with_capacity(list.len());
                for item in list {
                    let o = item.as_str().and_then(origin_of).ok_or_else(|| {
                        config_error("apiOrigins", "each entry must be an absolute http(s) URL")
                    })?;
                    if !out.contains(&o) {
                        out.push(o);
                    }
                }
                out
            }
        };

        let mut endpoints = Endpoints::default();
        if let Some(e) = opt_obj(j, "endpoints")? {
            for (key, field, slot) in [
                ("authorize", "endpoints.authorize", &mut endpoints.authorize),
                ("token", "endpoints.token", &mut endpoints.token),
                ("revoke", "endpoints.revoke", &mut endpoints.revoke),
            ] {
                if let Some(s) = opt_str(e, key, field)? {
                    if !valid_endpoint(s) {
                        return Err(config_error(
                            field,
                            "must be a path or an absolute http(s) URL",
                        ));
                    }
                    *slot = s.to_string();
                }
            }
        }

        let mut authorize_params = AuthorizeParams::default();
        if let Some(p) = opt_obj(j, "authorizeParams")? {
            let ap = &mut authorize_params;
            for (snake, camel, slot) in [
                ("brand_id", "brandId", &mut ap.brand_id),
                ("display", "display", &mut ap.display),
                ("prompt", "prompt", &mut ap.prompt),
                ("ui_locales", "uiLocales", &mut ap.ui_locales),
                ("login_hint", "loginHint", &mut ap.login_hint),
                ("scope", "scope", &mut ap.scope),
            ] {
                let v = p.get_present(snake).or_else(|| p.get_present(camel));
                *slot = match v {
                    None => None,
                    Some(Json::Str(s)) => Some(s.clone()),
                    // brand_id is commonly written as a number (1210).
                    Some(Json::Num(n)) if *n >= 0.0 && super::num::trunc(*n) == *n && *n < 1e15 => {
                        let mut s = String::new();
                        push_u64(&mut s, *n as u64);
                        Some(s)
                    }
                    Some(_) => {
                        let mut f = String::from("authorizeParams.");
                        f.push_str(snake);
                        return Err(config_error(&f, "must be a string"));
                    }
                }
                .filter(|s| !s.is_empty());
            }
        }

        Ok(Config {
            client_id,
            server,
            redirect_uri,
            flow,
            storage,
            refresh_tokens,
            access_token_ttl,
            refresh_token_ttl,
            refresh_margin_s,
            api_origins,
            endpoints,
            authorize_params,
        })
    }

    /// A config with every option at its default, for Rust callers and the simulator. `server` must be an
    /// absolute http(s) URL; `None` otherwise.
    pub fn with_defaults(client_id: &str, server: &str, redirect_uri: &str) -> Option<Config> {
        let server = normalize_base(server)?;
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
    use crate::core::error::ErrorCode;

    pub(crate) fn cfg(text: &str, persist: bool) -> Result<Config, Error> {
        let j: Json = serde_json::from_str(text).unwrap();
        Config::from_json(&j, persist)
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
        assert_eq!(c.refresh_token_ttl_param(), None);
        assert_eq!(
            c.lock_name(),
            "oauth-spa-session:abc@https://platform.ringcentral.com"
        );
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
        let body = Json::parse(
            r#"{"access_token":"a","token_type":"bearer","expires_in":300,"refresh_token":"r","refresh_token_expires_in":900}"#,
        )
        .unwrap();
        let t = crate::core::parse_token_response(&body, 0.0, None).unwrap();
        let none = cfg(r#"{"clientId":"c","server":"https://s.example","redirectUri":"https://a.example/"}"#, false).unwrap();
        let kept = none.keep_allowed(t.clone());
        assert!(kept.refresh_token.is_none() && kept.refresh_expires_at_ms.is_none());
        assert_eq!(kept.access_token, t.access_token);
        let with = cfg(r#"{"clientId":"c","server":"https://s.example","redirectUri":"https://a.example/"}"#, true).unwrap();
        assert_eq!(with.keep_allowed(t.clone()).refresh_token, t.refresh_token);
    }
}
