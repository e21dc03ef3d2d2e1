//! The authorize URL the browser navigates to.

use super::config::{Config, Flow};
use super::encoding::form;

/// Builds the authorize URL. Parameter order: `response_type`, `client_id`, `redirect_uri`,
/// `state`, then for PKCE `code_challenge` + `code_challenge_method=S256`, then the non-empty
/// extras `brand_id, display, prompt, ui_locales, login_hint, scope`. No parameter is ever sent
/// empty. A configured authorize endpoint that already has a query is extended with `&`.
/// `code_challenge` is ignored for the implicit flow.
pub fn authorize_url(cfg: &Config, state: &str, code_challenge: Option<&str>) -> String {
    let mut q = form();
    let pkce = cfg.flow == Flow::Pkce;
    q.append_pair("response_type", if pkce { "code" } else { "token" })
        .append_pair("client_id", &cfg.client_id)
        .append_pair("redirect_uri", &cfg.redirect_uri);
    if !state.is_empty() {
        q.append_pair("state", state);
    }
    if pkce {
        if let Some(c) = code_challenge.filter(|c| !c.is_empty()) {
            q.append_pair("code_challenge", c).append_pair("code_challenge_method", "S256");
        }
    }
    let p = &cfg.authorize_params;
    for (k, v) in [
        ("brand_id", &p.brand_id),
        ("display", &p.display),
        ("prompt", &p.prompt),
        ("ui_locales", &p.ui_locales),
        ("login_hint", &p.login_hint),
        ("scope", &p.scope),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            q.append_pair(k, v);
        }
    }
    let mut url = cfg.authorize_url_base();
    if super::bytes::find_any(&url, b"?").is_none() {
        url.push('?');
    } else if !url.ends_with('?') && !url.ends_with('&') {
        url.push('&');
    }
    url.push_str(&q.finish());
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::config::tests::{cfg, rc};
    use crate::protocol::encoding::parse_form;

    #[test]
    fn pkce_url_order_and_values() {
        let c = rc();
        let u = authorize_url(
            &c,
            "st4te",
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        );
        assert_eq!(
            u,
            "https://platform.ringcentral.com/restapi/oauth/authorize?response_type=code&client_id=abc\
             &redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=st4te\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
    }

    #[test]
    fn implicit_url_has_no_challenge() {
        let mut c = rc();
        c.flow = Flow::Implicit;
        let u = authorize_url(&c, "s", Some("ignored"));
        assert!(u.contains("?response_type=token&"));
        assert!(!u.contains("code_challenge"));
        assert!(u.ends_with("&state=s"));
    }

    #[test]
    fn extras_are_encoded_and_empty_ones_skipped() {
        let c = cfg(
            r#"{"clientId":"a b&c=d","server":"https://s.example","redirectUri":"https://app.example/cb?x=1+2",
                "authorizeParams":{"brand_id":"1210","display":"","prompt":"login sso","ui_locales":"fr-CA",
                "login_hint":"jörg+test@example.com","scope":"ReadAccounts CallControl"}}"#,
            true,
        )
        .unwrap();
        let u = authorize_url(&c, "", None);
        let q = &u[u.find('?').unwrap()..];
        assert!(!q.contains("=&") && !q.ends_with('='), "{}", q);
        assert!(!q.contains("state="));
        assert!(!q.contains("display"));
        assert!(!q.contains("code_challenge"));
        assert!(q.contains("client_id=a+b%26c%3Dd&"));
        assert!(q.contains("redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1%2B2&"));
        assert!(q.contains("&login_hint=j%C3%B6rg%2Btest%40example.com&"));
        assert!(q.ends_with("&prompt=login+sso&ui_locales=fr-CA&login_hint=j%C3%B6rg%2Btest%40example.com&scope=ReadAccounts+CallControl"));
        // A form parser gets back the exact values.
        let p = parse_form(q);
        let get = |k: &str| p.iter().find(|(pk, _)| pk == k).map(|(_, v)| v.as_str());
        assert_eq!(get("client_id"), Some("a b&c=d"));
        assert_eq!(get("redirect_uri"), Some("https://app.example/cb?x=1+2"));
        assert_eq!(get("login_hint"), Some("jörg+test@example.com"));
        assert_eq!(get("brand_id"), Some("1210"));
        assert_eq!(
            p.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            [
                "response_type",
                "client_id",
                "redirect_uri",
                "brand_id",
                "prompt",
                "ui_locales",
                "login_hint",
                "scope"
            ]
        );
    }

    #[test]
    fn base_with_existing_query() {
        let mut c = rc();
        c.endpoints.authorize = "https://login.example/auth?realm=x".into();
        let u = authorize_url(&c, "s", Some("ch"));
        assert!(
            u.starts_with("https://login.example/auth?realm=x&response_type=code&"),
            "{}",
            u
        );
        c.endpoints.authorize = "https://login.example/auth?".into();
        let u = authorize_url(&c, "s", Some("ch"));
        assert!(
            u.starts_with("https://login.example/auth?response_type=code&"),
            "{}",
            u
        );
        assert_eq!(u.matches('?').count(), 1);
    }
}
