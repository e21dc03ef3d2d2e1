use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn redirect_uri_mismatch_is_a_400_page_without_redirect() {
    let emu = Emu::start().await;
    for bad in [
        "http://127.0.0.1:1/callback",
        &format!("{}/callback/", emu.origin()),
        &format!("{}/CALLBACK", emu.origin()),
    ] {
        let path = format!(
            "/restapi/oauth/authorize?{}",
            form(&[
                ("response_type", "code"),
                ("client_id", SPA),
                ("redirect_uri", bad)
            ])
        );
        let r = emu.get(&path).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.header("location").is_none());
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
    }
    // Unknown client: also a page, never a redirect.
    let r = emu.get(&emu.authorize_path("nobody", "code", &[])).await;
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
}

#[tokio::test]
async fn redirect_uri_may_be_omitted_only_with_a_single_registered_uri() {
    let emu = Emu::start().await;
    let r = emu
        .get("/restapi/oauth/authorize?response_type=code&client_id=demo-spa")
        .await;
    assert_eq!(
        r.status, 400,
        "demo-spa has 10 URIs, so redirect_uri is required"
    );

    emu.control(
        "/_emulator/apps",
        json!({"client_id":"single","client_secret":null,"confidential":false,"issue_refresh_tokens":true,
               "allow_implicit":false,"redirect_uris":["http://127.0.0.1:9/only"]}),
    )
    .await;
    emu.config(json!({"consent":"auto"})).await;
    let r = emu
        .get("/restapi/oauth/authorize?response_type=code&client_id=single&state=s1")
        .await;
    assert_eq!(r.status, 302);
    assert!(
        r.location().starts_with("http://127.0.0.1:9/only?code="),
        "{}",
        r.location()
    );
}

#[tokio::test]
async fn sign_in_page_has_allow_and_deny_and_allow_redirects_with_code_state_expires_in() {
    let emu = Emu::start().await;
    let page = emu
        .sign_in_page(
            &emu.authorize_path(SPA, "code", &[("state", "st&1 x")]),
            &[],
        )
        .await;
    let html = page.text();
    assert!(html.contains("<title>Sign in — RingCentral emulator</title>"));
    assert!(html.contains("id=\"allow\"") && html.contains(">Allow</button>"));
    assert!(html.contains("id=\"deny\"") && html.contains(">Deny</button>"));
    assert!(html.contains("demo-spa") && html.contains("Demo User"));

    let done = emu.click(&page, "allow").await;
    assert_eq!(done.status, 302);
    let loc = done.location();
    assert!(
        loc.starts_with(&format!("{}?code=", emu.redirect_uri())),
        "{loc}"
    );
    assert_eq!(param(&loc, "state").as_deref(), Some("st&1 x"));
    assert_eq!(param(&loc, "expires_in").as_deref(), Some("60"));
    let cookie = done.header("set-cookie").expect("login cookie");
    assert!(cookie.starts_with("RCEMU_LOGIN="));
    for attr in ["HttpOnly", "SameSite=None", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    // The transaction is single use.
    assert_eq!(emu.click(&page, "allow").await.status, 400);
}

#[tokio::test]
async fn deny_reports_access_denied_in_query_for_code_and_fragment_for_implicit() {
    let emu = Emu::start().await;
    let page = emu
        .sign_in_page(&emu.authorize_path(SPA, "code", &[("state", "abc")]), &[])
        .await;
    let loc = emu.click(&page, "deny").await.location();
    assert_eq!(
        loc,
        format!(
            "{}?error=access_denied&error_description=The+user+denied+access+to+your+application&state=abc",
            emu.redirect_uri()
        )
    );

    let page = emu
        .sign_in_page(&emu.authorize_path(SPA, "token", &[("state", "abc")]), &[])
        .await;
    let loc = emu.click(&page, "deny").await.location();
    let (base, fragment) = loc.split_once('#').expect("fragment");
    assert_eq!(base, emu.redirect_uri());
    assert_eq!(param(&loc, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&loc, "state").as_deref(), Some("abc"));
    assert!(fragment.contains("error_description="));

    // The "deny" switch answers the same without a page.
    emu.config(json!({"consent":"deny"})).await;
    let r = emu.get(&emu.authorize_path(SPA, "code", &[])).await;
    assert_eq!(
        param(&r.location(), "error").as_deref(),
        Some("access_denied")
    );
}

#[tokio::test]
async fn implicit_grant_returns_token_in_fragment_without_refresh_token() {
    let emu = Emu::start().await;
    emu.config(json!({"consent":"auto"})).await;
    let r = emu
        .get(&emu.authorize_path(SPA, "token", &[("state", "s-9")]))
        .await;
    assert_eq!(r.status, 302);
    let loc = r.location();
    assert!(
        loc.starts_with(&format!("{}#access_token=", emu.redirect_uri())),
        "{loc}"
    );
    assert!(!loc.contains('?'));
    assert_eq!(param(&loc, "token_type").as_deref(), Some("bearer"));
    assert_eq!(param(&loc, "expires_in").as_deref(), Some("3599"));
    assert_eq!(
        param(&loc, "scope").as_deref(),
        Some("ReadAccounts ReadCallLog")
    );
    assert!(loc.contains("scope=ReadAccounts%20ReadCallLog"));
    assert_eq!(param(&loc, "owner_id").as_deref(), Some("256440016"));
    assert!(param(&loc, "endpoint_id").is_some_and(|e| !e.is_empty()));
    assert_eq!(param(&loc, "state").as_deref(), Some("s-9"));
    assert!(
        param(&loc, "refresh_token").is_none() && param(&loc, "refresh_token_expires_in").is_none()
    );
    let token = param(&loc, "access_token").unwrap();
    assert_eq!(emu.api(&token).await.status, 200);

    // An app without implicit enabled gets an error back in the fragment.
    let r = emu
        .get(&emu.authorize_path("demo-confidential", "token", &[]))
        .await;
    assert_eq!(
        param(&r.location(), "error").as_deref(),
        Some("unauthorized_client")
    );
    assert!(r.location().contains("#error="));
}

#[tokio::test]
async fn prompt_none_without_login_session_is_login_required_and_with_one_succeeds() {
    let emu = Emu::start().await;
    let r = emu
        .get(&emu.authorize_path(SPA, "token", &[("prompt", "none"), ("state", "q")]))
        .await;
    assert_eq!(r.status, 302);
    assert_eq!(
        param(&r.location(), "error").as_deref(),
        Some("login_required")
    );
    assert_eq!(param(&r.location(), "state").as_deref(), Some("q"));
    let r = emu
        .get(&emu.authorize_path(SPA, "code", &[("prompt", "none")]))
        .await;
    assert!(r.location().contains("?error=login_required"));

    // Log in once through the page, then prompt=none works silently with the cookie.
    let cookie = emu.login_cookie(SPA).await;
    let r = emu
        .get_with(
            &emu.authorize_path(SPA, "token", &[("prompt", "none")]),
            &[("Cookie", &cookie)],
        )
        .await;
    assert_eq!(r.status, 302);
    assert!(
        param(&r.location(), "access_token").is_some(),
        "{}",
        r.location()
    );

    // After a reset the browser's cookie names no session any more.
    emu.control("/_emulator/reset", json!({})).await;
    let r = emu
        .get_with(
            &emu.authorize_path(SPA, "code", &[("prompt", "none")]),
            &[("Cookie", &cookie)],
        )
        .await;
    assert_eq!(
        param(&r.location(), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn login_cookie_skips_the_page_unless_prompt_asks_for_login() {
    let emu = Emu::start().await;
    let cookie = emu.login_cookie(SPA).await;

    let again = emu
        .get_with(
            &emu.authorize_path(SPA, "code", &[("state", "2")]),
            &[("Cookie", &cookie)],
        )
        .await;
    assert_eq!(again.status, 302);
    assert!(param(&again.location(), "code").is_some());

    for prompt in ["login", "consent", "login sso"] {
        let r = emu
            .get_with(
                &emu.authorize_path(SPA, "code", &[("prompt", prompt)]),
                &[("Cookie", &cookie)],
            )
            .await;
        assert_eq!(r.status, 302, "prompt={prompt} must show the page");
        assert!(
            r.location().contains("/restapi/oauth/authorize/login?txn="),
            "prompt={prompt}: {}",
            r.location()
        );
    }
}

#[tokio::test]
async fn empty_sdk_style_params_are_absent_and_brand_id_spellings_are_accepted() {
    let emu = Emu::start().await;
    emu.config(json!({"consent":"auto"})).await;
    let empties = [
        ("state", ""),
        ("brand_id", ""),
        ("display", ""),
        ("prompt", ""),
        ("ui_options", ""),
        ("ui_locales", ""),
        ("localeId", ""),
        ("code_challenge", ""),
        ("code_challenge_method", ""),
    ];
    let r = emu.get(&emu.authorize_path(SPA, "code", &empties)).await;
    assert_eq!(r.status, 302);
    let loc = r.location();
    assert!(
        param(&loc, "state").is_none(),
        "empty state must not be echoed: {loc}"
    );
    // No challenge stored from the empty code_challenge: the code redeems without a verifier.
    let code = param(&loc, "code").unwrap();
    assert_eq!(emu.exchange(SPA, &code, &[]).await.status, 200);

    for brand in [("brand_id", "1210"), ("brandId", "3420")] {
        let r = emu
            .get(&emu.authorize_path(SPA, "code", &[brand, ("scope", "Anything")]))
            .await;
        assert_eq!(r.status, 302);
    }
}

#[tokio::test]
async fn authorize_accepts_post_with_form_fields() {
    let emu = Emu::start().await;
    emu.config(json!({"consent":"auto"})).await;
    let redirect = emu.redirect_uri();
    let r = emu
        .post_form(
            "/restapi/oauth/authorize",
            &[
                ("response_type", "code"),
                ("client_id", SPA),
                ("redirect_uri", &redirect),
                ("state", "p"),
            ],
        )
        .await;
    assert_eq!(r.status, 302);
    assert_eq!(param(&r.location(), "state").as_deref(), Some("p"));
}

#[tokio::test]
async fn the_sign_in_and_error_pages_name_an_icon_so_the_browser_asks_for_no_favicon() {
    let emu = Emu::start().await;
    let icon = r#"<link rel="icon" href="data:,">"#;
    let page = emu
        .sign_in_page(&emu.authorize_path(SPA, "code", &[("state", "s")]), &[])
        .await;
    assert!(page.text().contains(icon), "{}", page.text());
    let bad = emu.get(&emu.authorize_path("nobody", "code", &[])).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains(icon), "{}", bad.text());
}
