use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn old_access_token_is_corrupted_for_10s_then_not_found() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let at1 = str_of(&t1, "access_token");
    assert_eq!(emu.api(at1).await.status, 200);
    let t2 = emu.refresh(str_of(&t1, "refresh_token"), &[]).await.json();
    assert_ne!(t2["access_token"], t1["access_token"]);
    assert_ne!(t2["refresh_token"], t1["refresh_token"]);
    assert_eq!(
        t2["session_id"], t1["session_id"],
        "refresh stays in the session"
    );

    let r = emu.api(at1).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["errorCode"], "TokenInvalid");
    assert_eq!(nested_code(&r.json()), "OAU-129");
    assert_eq!(r.json()["message"], "Access token corrupted");
    emu.advance(9.5).await;
    assert_eq!(nested_code(&emu.api(at1).await.json()), "OAU-129");
    emu.advance(1.0).await;
    let r = emu.api(at1).await;
    assert_eq!((r.status, nested_code(&r.json())), (401, "OAU-213"));
    assert_eq!(r.json()["message"], "Token not found");
    assert_eq!(emu.api(str_of(&t2, "access_token")).await.status, 200);
}

#[tokio::test]
async fn replay_while_new_token_unused_returns_identical_pair_for_60_minutes() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let rt1 = str_of(&t1, "refresh_token");
    let first = emu.refresh(rt1, &[]).await;
    assert_eq!(first.status, 200);
    emu.advance(59.0 * 60.0).await;
    let replay = emu.refresh(rt1, &[]).await;
    assert_eq!(replay.status, 200);
    assert_eq!(
        replay.body, first.body,
        "a replay returns the identical cached pair"
    );
    emu.advance(61.0).await;
    let r = emu.refresh(rt1, &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
    assert_eq!(nested_code(&r.json()), "OAU-213");
    // The new refresh token is unaffected.
    let t2 = first.json();
    assert_eq!(
        emu.refresh(str_of(&t2, "refresh_token"), &[]).await.status,
        200
    );
}

#[tokio::test]
async fn grace_ends_10s_after_the_new_access_token_is_first_used() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let rt1 = str_of(&t1, "refresh_token");
    let first = emu.refresh(rt1, &[]).await;
    let t2 = first.json();
    emu.advance(120.0).await;
    assert_eq!(emu.api(str_of(&t2, "access_token")).await.status, 200);
    emu.advance(9.0).await;
    assert_eq!(
        emu.api(str_of(&t2, "access_token")).await.status,
        200,
        "later uses do not restart the countdown"
    );
    assert_eq!(emu.refresh(rt1, &[]).await.body, first.body);
    emu.advance(1.5).await;
    let r = emu.refresh(rt1, &[]).await;
    assert_eq!((r.status, nested_code(&r.json())), (400, "OAU-213"));
}

#[tokio::test]
async fn replay_never_rotates_again() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let rt1 = str_of(&t1, "refresh_token");
    let t2 = emu.refresh(rt1, &[]).await.json();
    for _ in 0..3 {
        assert_eq!(emu.refresh(rt1, &[]).await.json(), t2);
    }
    // The pair from the first rotation is still the live one: nothing was superseded.
    assert_eq!(emu.api(str_of(&t2, "access_token")).await.status, 200);
    let t3 = emu.refresh(str_of(&t2, "refresh_token"), &[]).await.json();
    assert_eq!(emu.api(str_of(&t3, "access_token")).await.status, 200);
    // Once the session moved on, the oldest token's replay window is closed.
    assert_eq!(emu.refresh(rt1, &[]).await.status, 400);
}

#[tokio::test]
async fn expired_refresh_token_gets_the_exact_oau_210_body() {
    let emu = Emu::start().await;
    let t = emu.login().await;
    emu.advance(604_800.0).await;
    let r = emu.refresh(str_of(&t, "refresh_token"), &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.text(),
        r#"{"error":"invalid_grant","errors":[{"errorCode":"OAU-210","message":"Token expired"}],"error_description":"Token expired"}"#
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
}

#[tokio::test]
async fn refresh_slides_the_refresh_token_lifetime() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    emu.advance(600_000.0).await;
    let t2 = emu
        .refresh(
            str_of(&t1, "refresh_token"),
            &[
                ("refresh_token_ttl", "604799"),
                ("access_token_ttl", "3599"),
            ],
        )
        .await
        .json();
    assert_eq!(
        (
            t2["expires_in"].as_i64(),
            t2["refresh_token_expires_in"].as_i64()
        ),
        (Some(3598), Some(604798))
    );
    emu.advance(600_000.0).await;
    assert_eq!(
        emu.refresh(str_of(&t2, "refresh_token"), &[]).await.status,
        200
    );
}

#[tokio::test]
async fn revoked_session_refresh_is_oau_211() {
    let emu = Emu::start().await;
    let t = emu.login().await;
    let r = emu
        .control(
            "/_emulator/revoke-session",
            json!({"session_id": t["session_id"]}),
        )
        .await;
    assert_eq!(r["revoked"], true);
    let r = emu.refresh(str_of(&t, "refresh_token"), &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
    assert_eq!(nested_code(&r.json()), "OAU-211");
    assert_eq!(r.json()["error_description"], "Token revoked");
    assert_eq!(
        nested_code(&emu.api(str_of(&t, "access_token")).await.json()),
        "OAU-213"
    );
}

#[tokio::test]
async fn configured_windows_are_honoured() {
    let emu = Emu::start().await;
    emu.config(json!({"corrupt_window_s": 2, "grace_unused_s": 30}))
        .await;
    let t1 = emu.login().await;
    let first = emu.refresh(str_of(&t1, "refresh_token"), &[]).await;
    emu.advance(2.5).await;
    assert_eq!(
        nested_code(&emu.api(str_of(&t1, "access_token")).await.json()),
        "OAU-213"
    );
    assert_eq!(
        emu.refresh(str_of(&t1, "refresh_token"), &[]).await.body,
        first.body
    );
    emu.advance(28.0).await;
    assert_eq!(
        emu.refresh(str_of(&t1, "refresh_token"), &[]).await.status,
        400
    );
}

#[tokio::test]
async fn sixth_session_evicts_the_oldest() {
    let emu = Emu::start().await;
    let first = emu.login().await;
    for _ in 0..4 {
        emu.login().await;
    }
    assert_eq!(emu.api(str_of(&first, "access_token")).await.status, 200);
    emu.login().await;
    assert_eq!(
        nested_code(&emu.api(str_of(&first, "access_token")).await.json()),
        "OAU-213"
    );
    // Switchable off.
    emu.config(json!({"max_sessions_per_user": 0})).await;
    let keep = emu.login().await;
    for _ in 0..6 {
        emu.login().await;
    }
    assert_eq!(emu.api(str_of(&keep, "access_token")).await.status, 200);
}
