use crate::common::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

#[tokio::test]
async fn only_form_bodies_are_accepted() {
    let emu = Emu::start().await;
    let body =
        json!({"grant_type":"refresh_token","refresh_token":"x","client_id":SPA}).to_string();
    let r = emu
        .send(
            "POST",
            "/restapi/oauth/token",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 415);
    let r = emu
        .send(
            "POST",
            "/restapi/oauth/token",
            &[],
            b"grant_type=refresh_token",
        )
        .await
        .unwrap();
    assert_eq!(r.status, 415, "no Content-Type is not a form either");
    // A charset parameter is fine.
    let r = emu
        .send(
            "POST",
            "/restapi/oauth/token",
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )],
            b"grant_type=refresh_token&refresh_token=x&client_id=demo-spa",
        )
        .await
        .unwrap();
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn code_exchange_returns_full_token_info() {
    let emu = Emu::start().await;
    let code = emu.authorize_code(SPA, &[]).await;
    let r = emu.exchange(SPA, &code, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    assert!(r.header("rcrequestid").is_some_and(|v| v.len() == 36));
    let t = r.json();
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["expires_in"], 3599);
    assert_eq!(t["refresh_token_expires_in"], 604799);
    assert_eq!(t["owner_id"], "256440016");
    assert_eq!(t["scope"], "ReadAccounts ReadCallLog");
    for key in ["access_token", "refresh_token", "endpoint_id", "session_id"] {
        assert!(!str_of(&t, key).is_empty(), "{key}");
    }
    // Opaque, RC-shaped: base64url of "EMU01P01PAS00|…".
    let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(str_of(&t, "access_token"))
        .unwrap();
    assert!(decoded.starts_with(b"EMU01P01PAS00|"));
    // Each code grant is a new session; endpoint_id is echoed when sent.
    let code = emu.authorize_code(SPA, &[]).await;
    let t2 = emu
        .exchange(SPA, &code, &[("endpoint_id", "my-endpoint")])
        .await
        .json();
    assert_ne!(t2["session_id"], t["session_id"]);
    assert_eq!(t2["endpoint_id"], "my-endpoint");
}

#[tokio::test]
async fn code_is_single_use_and_bound_to_client_and_redirect_uri() {
    let emu = Emu::start().await;
    let code = emu.authorize_code(SPA, &[]).await;
    let wrong_redirect = format!("{}/", emu.origin());
    let r = emu
        .post_form(
            "/restapi/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &wrong_redirect),
                ("client_id", SPA),
            ],
        )
        .await;
    assert_eq!((r.status, nested_code(&r.json())), (400, "OAU-109"));
    let r = emu.exchange("no-refresh-spa", &code, &[]).await;
    assert_eq!((r.status, nested_code(&r.json())), (400, "OAU-110"));

    assert_eq!(emu.exchange(SPA, &code, &[]).await.status, 200);
    let r = emu.exchange(SPA, &code, &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn code_expires_after_60_seconds() {
    let emu = Emu::start().await;
    let code = emu.authorize_code(SPA, &[]).await;
    emu.advance(60.5).await;
    let r = emu.exchange(SPA, &code, &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
    assert_eq!(nested_code(&r.json()), "OAU-108");
    // Within the window it works.
    let code = emu.authorize_code(SPA, &[]).await;
    emu.advance(59.0).await;
    assert_eq!(emu.exchange(SPA, &code, &[]).await.status, 200);
}

#[tokio::test]
async fn pkce_s256_and_plain_are_verified() {
    let emu = Emu::start().await;
    let verifier = "a-long-random-verifier-string-with-enough-entropy-0123456789";
    let code = emu
        .authorize_code(
            SPA,
            &[
                ("code_challenge", &s256(verifier)),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    for bad in [
        vec![],
        vec![("code_verifier", "wrong")],
        vec![("code_verifier", verifier.trim_end_matches('9'))],
    ] {
        let r = emu.exchange(SPA, &code, &bad).await;
        assert_eq!(
            (r.status, r.json()["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    assert_eq!(
        emu.exchange(SPA, &code, &[("code_verifier", verifier)])
            .await
            .status,
        200
    );

    // plain is the default method when none is given.
    let code = emu
        .authorize_code(SPA, &[("code_challenge", "plain-verifier")])
        .await;
    assert_eq!(
        emu.exchange(SPA, &code, &[("code_verifier", &s256("plain-verifier"))])
            .await
            .status,
        400
    );
    assert_eq!(
        emu.exchange(SPA, &code, &[("code_verifier", "plain-verifier")])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn confidential_clients_need_basic_public_ones_send_client_id() {
    let emu = Emu::start().await;
    let redirect = emu.redirect_uri();
    let exchange = |code: String, auth: Option<String>, body_id: bool| {
        let redirect = redirect.clone();
        let emu = &emu;
        async move {
            let mut pairs = vec![
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", &redirect),
            ];
            if body_id {
                pairs.push(("client_id", "demo-confidential"));
            }
            let headers: Vec<(&str, &str)> =
                auth.iter().map(|a| ("Authorization", a.as_str())).collect();
            emu.post_form_with("/restapi/oauth/token", &pairs, &headers)
                .await
        }
    };
    let basic = |secret: &str| {
        format!(
            "Basic {}",
            STANDARD.encode(format!("demo-confidential:{secret}"))
        )
    };

    let code = emu.authorize_code("demo-confidential", &[]).await;
    let r = exchange(code.clone(), None, true).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str(), nested_code(&r.json())),
        (400, Some("invalid_client"), "OAU-123")
    );
    let r = exchange(code.clone(), Some(basic("wrong")), false).await;
    assert_eq!(
        (r.status, r.json()["error"].as_str(), nested_code(&r.json())),
        (401, Some("invalid_client"), "OAU-146")
    );
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer realm=\"RingCentral REST API\""));
    let r = exchange(code, Some(basic("demo-secret")), false).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["refresh_token"].is_string());

    // A public client without client_id, and an unknown one.
    let r = emu
        .post_form(
            "/restapi/oauth/token",
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
        )
        .await;
    assert_eq!((r.status, nested_code(&r.json())), (400, "OAU-123"));
    let r = emu
        .post_form(
            "/restapi/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", "ghost"),
            ],
        )
        .await;
    let body = r.json();
    assert_eq!(
        (r.status, body["error"].as_str(), nested_code(&body)),
        (400, Some("invalid_client"), "OAU-153")
    );
    assert_eq!(
        body["errors"][0]["parameters"][0],
        json!({"parameterName":"client_id","parameterValue":"ghost"})
    );
}

#[tokio::test]
async fn access_token_ttl_is_clamped_to_600_3600() {
    let emu = Emu::start().await;
    for (asked, expected) in [("100", 599), ("-1", 599), ("99999", 3599), ("1200", 1199)] {
        let t = emu.login_with(&[("access_token_ttl", asked)]).await;
        assert_eq!(t["expires_in"], expected, "access_token_ttl={asked}");
    }
}

#[tokio::test]
async fn non_integer_ttls_are_refused_with_cmn_101_naming_the_parameter() {
    // The spec types both as integer (int32): `abc` was ignored and `1.5` truncated
    // (refresh_token_expires_in: 0) before; now neither reaches the grant.
    let emu = Emu::start().await;
    let t = emu.login().await;
    let mut rt = str_of(&t, "refresh_token").to_string();
    for name in ["access_token_ttl", "refresh_token_ttl"] {
        for bad in ["abc", "1.5", "3599.0", " 60", "99999999999"] {
            let r = emu.refresh(&rt, &[(name, bad)]).await;
            assert_eq!(r.status, 400, "{name}={bad}: {}", r.text());
            let body = r.json();
            assert_eq!(body["error"], "invalid_request");
            assert_eq!(nested_code(&body), "CMN-101", "{body}");
            assert_eq!(
                body["errors"][0]["parameters"][0],
                json!({"parameterName": name, "parameterValue": bad})
            );
        }
        // Nothing was spent: the same refresh token still rotates.
        let ok = emu.refresh(&rt, &[(name, "-1")]).await;
        assert_eq!(ok.status, 200, "{}", ok.text());
        rt = str_of(&ok.json(), "refresh_token").to_string();
    }
}

#[tokio::test]
async fn unsupported_grant_type_carries_errors_like_every_token_400() {
    let emu = Emu::start().await;
    let r = emu
        .post_form(
            "/restapi/oauth/token",
            &[("grant_type", "magic"), ("client_id", SPA)],
        )
        .await;
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(body["error"], "unsupported_grant_type");
    assert_eq!(nested_code(&body), "OAU-250");
}

#[tokio::test]
async fn refresh_token_ttl_zero_means_no_refresh_token_and_large_values_are_capped() {
    let emu = Emu::start().await;
    let t = emu.login_with(&[("refresh_token_ttl", "0")]).await;
    assert!(
        t.get("refresh_token").is_none() && t.get("refresh_token_expires_in").is_none(),
        "{t}"
    );
    assert!(t["access_token"].is_string());

    let t = emu.login_with(&[("refresh_token_ttl", "99999999")]).await;
    assert_eq!(t["refresh_token_expires_in"], 604799);
    let t = emu.login_with(&[("refresh_token_ttl", "3600")]).await;
    assert_eq!(t["refresh_token_expires_in"], 3599);

    // Refreshing with refresh_token_ttl=0 also drops the refresh token.
    let t = emu.login().await;
    let r = emu
        .refresh(str_of(&t, "refresh_token"), &[("refresh_token_ttl", "0")])
        .await
        .json();
    assert!(
        r.get("refresh_token").is_none() && r.get("refresh_token_expires_in").is_none(),
        "{r}"
    );
}

#[tokio::test]
async fn apps_without_issue_refresh_tokens_get_none() {
    let emu = Emu::start().await;
    let code = emu.authorize_code("no-refresh-spa", &[]).await;
    let t = emu.exchange("no-refresh-spa", &code, &[]).await.json();
    assert!(t["access_token"].is_string());
    assert!(t.get("refresh_token").is_none() && t.get("refresh_token_expires_in").is_none());
    let r = emu
        .post_form(
            "/restapi/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", "no-refresh-spa"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
}

#[tokio::test]
async fn configured_ttls_and_expires_in_offset_apply() {
    let emu = Emu::start().await;
    emu.config(json!({"access_token_ttl_default": 300, "refresh_token_ttl_default": 1000, "expires_in_offset": 0})).await;
    let t = emu.login().await;
    assert_eq!(
        (
            t["expires_in"].as_i64(),
            t["refresh_token_expires_in"].as_i64()
        ),
        (Some(300), Some(1000))
    );
}

#[tokio::test]
async fn jwt_bearer_grant_needs_basic_and_the_configured_assertion() {
    let emu = Emu::start().await;
    let basic = format!("Basic {}", STANDARD.encode("demo-confidential:demo-secret"));
    let grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    let r = emu
        .post_form_with(
            "/restapi/oauth/token",
            &[("grant_type", grant), ("assertion", "nope")],
            &[("Authorization", &basic)],
        )
        .await;
    assert_eq!(r.status, 400);
    let r = emu
        .post_form_with(
            "/restapi/oauth/token",
            &[
                ("grant_type", grant),
                ("assertion", "emulator-jwt-assertion"),
            ],
            &[("Authorization", &basic)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = emu
        .post_form(
            "/restapi/oauth/token",
            &[
                ("grant_type", grant),
                ("assertion", "emulator-jwt-assertion"),
                ("client_id", SPA),
            ],
        )
        .await;
    assert_eq!(r.json()["error"], "unauthorized_client");
}
