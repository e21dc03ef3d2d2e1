use crate::common::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

#[tokio::test]
async fn revoke_kills_the_whole_session_with_an_empty_200() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let t2 = emu.refresh(str_of(&t1, "refresh_token"), &[]).await.json();
    let other = emu.login().await;

    let r = emu
        .post_form(
            "/restapi/oauth/revoke",
            &[("token", str_of(&t2, "access_token")), ("client_id", SPA)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some("0"));

    let api = emu.api(str_of(&t2, "access_token")).await;
    assert_eq!((api.status, nested_code(&api.json())), (401, "OAU-213"));
    for rt in [str_of(&t2, "refresh_token"), str_of(&t1, "refresh_token")] {
        let r = emu.refresh(rt, &[]).await;
        assert_eq!((r.status, nested_code(&r.json())), (400, "OAU-211"));
    }
    // Other sessions are untouched.
    assert_eq!(emu.api(str_of(&other, "access_token")).await.status, 200);
}

#[tokio::test]
async fn revoke_by_refresh_token_in_query_and_unknown_tokens_are_200() {
    let emu = Emu::start().await;
    let t = emu.login().await;
    let path = format!(
        "/restapi/oauth/revoke?{}",
        form(&[("token", str_of(&t, "refresh_token")), ("client_id", SPA)])
    );
    let r = emu.send("POST", &path, &[], b"").await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        nested_code(&emu.api(str_of(&t, "access_token")).await.json()),
        "OAU-213"
    );

    for token in ["bogus", "RU1VMDFQMDFQQVMwMHxub3RoaW5n"] {
        let r = emu
            .post_form(
                "/restapi/oauth/revoke",
                &[("token", token), ("client_id", SPA)],
            )
            .await;
        assert_eq!((r.status, r.body.len()), (200, 0));
    }
    let log = emu.log().await;
    let revs = log["revocations"].as_array().unwrap();
    assert_eq!(revs.len(), 3);
    assert_eq!(revs[0]["session_id"], t["session_id"]);
    assert!(revs[1]["session_id"].is_null());
}

#[tokio::test]
async fn revoke_uses_the_token_endpoint_client_authentication() {
    let emu = Emu::start().await;
    let t = emu.login().await;
    let r = emu
        .post_form(
            "/restapi/oauth/revoke",
            &[("token", str_of(&t, "access_token"))],
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_client"))
    );
    assert_eq!(
        emu.api(str_of(&t, "access_token")).await.status,
        200,
        "not revoked without client auth"
    );

    let code = emu.authorize_code("demo-confidential", &[]).await;
    let redirect = emu.redirect_uri();
    let basic = format!("Basic {}", STANDARD.encode("demo-confidential:demo-secret"));
    let tc = emu
        .post_form_with(
            "/restapi/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &redirect),
            ],
            &[("Authorization", &basic)],
        )
        .await
        .json();
    let r = emu
        .post_form_with(
            "/restapi/oauth/revoke",
            &[("token", str_of(&tc, "access_token"))],
            &[("Authorization", &basic)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(emu.api(str_of(&tc, "access_token")).await.status, 401);
}
