//! Form bodies for the token and revoke endpoints (public client: `client_id` in the body,
//! no Authorization header).

use super::config::Config;
use form_urlencoded::Serializer;

use super::encoding::{form, u64_to_string};
use super::secret::Secret;

/// `access_token_ttl` / `refresh_token_ttl` when set. `refresh_token_ttl=0` IS sent (it means
/// "issue no refresh token"; the official SDK drops zero values).
fn push_ttls(f: &mut Serializer<'static, String>, cfg: &Config) {
    if let Some(t) = cfg.access_token_ttl {
        f.append_pair("access_token_ttl", &u64_to_string(t as u64));
    }
    if let Some(t) = cfg.refresh_token_ttl_param() {
        f.append_pair("refresh_token_ttl", &u64_to_string(t as u64));
    }
}

/// `grant_type=authorization_code&code&redirect_uri[&code_verifier]&client_id[&ttls]`.
/// `redirect_uri` is `cfg.redirect_uri`; it must equal the one sent to authorize.
pub fn authorization_code_form(cfg: &Config, code: &Secret, verifier: Option<&Secret>) -> String {
    let mut f = form();
    f.append_pair("grant_type", "authorization_code")
        .append_pair("code", code.expose())
        .append_pair("redirect_uri", &cfg.redirect_uri);
    if let Some(v) = verifier {
        f.append_pair("code_verifier", v.expose());
    }
    f.append_pair("client_id", &cfg.client_id);
    push_ttls(&mut f, cfg);
    f.finish()
}

/// `grant_type=refresh_token&refresh_token&client_id[&ttls]`.
pub fn refresh_form(cfg: &Config, refresh_token: &Secret) -> String {
    let mut f = form();
    f.append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", refresh_token.expose())
        .append_pair("client_id", &cfg.client_id);
    push_ttls(&mut f, cfg);
    f.finish()
}

/// `token&client_id` (RFC 7009; RingCentral revokes the whole session for either token).
pub fn revoke_form(cfg: &Config, token: &Secret) -> String {
    form().append_pair("token", token.expose()).append_pair("client_id", &cfg.client_id).finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::config::tests::rc;

    #[test]
    fn code_exchange_body() {
        let c = rc();
        let v = Secret::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            authorization_code_form(&c, &Secret::new("U1B|c+d"), Some(&v)),
            "grant_type=authorization_code&code=U1B%7Cc%2Bd&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
             &code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_id=abc"
        );
        assert!(!authorization_code_form(&c, &Secret::new("x"), None).contains("code_verifier"));
    }

    #[test]
    fn refresh_token_ttl_zero_is_sent() {
        let mut c = rc();
        c.refresh_tokens = false;
        c.access_token_ttl = Some(600);
        let body = authorization_code_form(&c, &Secret::new("c"), None);
        assert!(
            body.ends_with("&client_id=abc&access_token_ttl=600&refresh_token_ttl=0"),
            "{}",
            body
        );
        let body = refresh_form(&c, &Secret::new("r"));
        assert_eq!(body, "grant_type=refresh_token&refresh_token=r&client_id=abc&access_token_ttl=600&refresh_token_ttl=0");
        // Explicitly configured 0 with refresh tokens "on" is also sent.
        let mut c = rc();
        c.refresh_token_ttl = Some(0);
        assert!(refresh_form(&c, &Secret::new("r")).ends_with("&refresh_token_ttl=0"));
    }

    #[test]
    fn ttls_omitted_when_unset_and_revoke_body() {
        let mut c = rc();
        let body = refresh_form(&c, &Secret::new("r t"));
        assert_eq!(
            body,
            "grant_type=refresh_token&refresh_token=r+t&client_id=abc"
        );
        c.refresh_token_ttl = Some(604800);
        assert!(refresh_form(&c, &Secret::new("r"))
            .ends_with("&client_id=abc&refresh_token_ttl=604800"));
        assert_eq!(
            revoke_form(&c, &Secret::new("a/b=")),
            "token=a%2Fb%3D&client_id=abc"
        );
    }
}
