use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn extension_and_client_info_with_any_bearer_spelling_or_query_token() {
    let emu = Emu::start().await;
    let t = emu.login().await;
    let at = str_of(&t, "access_token");
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {at}");
        let r = emu
            .get_with(
                "/restapi/v1.0/account/~/extension/~",
                &[("Authorization", &auth)],
            )
            .await;
        assert_eq!(r.status, 200, "{scheme}");
        assert_eq!(
            r.header("content-type"),
            Some("application/json;charset=UTF-8")
        );
        assert_eq!(
            r.json(),
            json!({"id":256440016,"extensionNumber":"101","name":"Demo User","type":"User","status":"Enabled","account":{"id":"37439510"}})
        );
    }
    let r = emu
        .get(&format!("/restapi/v1.0/client-info?access_token={at}"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["client_id"], SPA);
    assert!(r.json()["name"].is_string());
    let r = emu
        .get(&format!(
            "/restapi/v1.0/account/37439510/extension/256440016?access_token={at}"
        ))
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn missing_wrong_and_bogus_credentials() {
    let emu = Emu::start().await;
    let r = emu.get("/restapi/v1.0/account/~/extension/~").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["errorCode"], "AGW-401");
    assert_eq!(r.json()["message"], "Authorization header is not specified");
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .starts_with("Bearer realm=\"RingCentral REST API\""));

    let r = emu
        .get_with(
            "/restapi/v1.0/client-info",
            &[("Authorization", "Bearer not-a-real-token")],
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"errorCode":"TokenInvalid","message":"OAuth token is invalid","errors":[{"errorCode":"OAU-149","message":"OAuth token is invalid"}]})
    );
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"RingCentral REST API\", error=\"OAU-149\", error_description=\"OAuth token is invalid\"")
    );

    let r = emu
        .get_with(
            "/restapi/v1.0/client-info",
            &[("Authorization", "Basic ZGVtbzpkZW1v")],
        )
        .await;
    assert_eq!((r.status, nested_code(&r.json())), (401, "OAU-151"));

    // WWW-Authenticate on API 401s can be switched off.
    emu.config(json!({"www_authenticate": false})).await;
    assert!(emu
        .get("/restapi/v1.0/client-info")
        .await
        .header("www-authenticate")
        .is_none());
}

#[tokio::test]
async fn expired_access_token_is_oau_128() {
    let emu = Emu::start().await;
    let t = emu.login_with(&[("access_token_ttl", "600")]).await;
    emu.advance(599.0).await;
    assert_eq!(emu.api(str_of(&t, "access_token")).await.status, 200);
    emu.advance(1.0).await;
    let r = emu.api(str_of(&t, "access_token")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["errorCode"], "TokenInvalid");
    assert_eq!(nested_code(&r.json()), "OAU-128");
}

#[tokio::test]
async fn unknown_api_path_with_valid_token_is_404() {
    let emu = Emu::start().await;
    let t = emu.login().await;
    let r = emu
        .get(&format!(
            "/restapi/v1.0/nothing/here?access_token={}",
            str_of(&t, "access_token")
        ))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["errorCode"], "CMN-102");
}
