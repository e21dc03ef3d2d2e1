use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn drop_after_commit_loses_the_response_but_keeps_the_rotation() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let rt1 = str_of(&t1, "refresh_token");
    emu.control("/_emulator/faults", json!({"kind": "drop_after_commit"}))
        .await;

    let form_body = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", rt1),
        ("client_id", SPA),
    ]);
    let lost = emu
        .send(
            "POST",
            "/restapi/oauth/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form_body.as_bytes(),
        )
        .await;
    assert!(
        lost.is_err(),
        "the client must see a network error, got {lost:?}"
    );

    // The rotation was committed: the old access token is already superseded…
    assert_eq!(
        nested_code(&emu.api(str_of(&t1, "access_token")).await.json()),
        "OAU-129"
    );
    let log = emu.log().await;
    let entry = &log["token_requests"][1];
    assert_eq!(
        (entry["status"].as_u64(), entry["fault"].as_str()),
        (Some(200), Some("drop_after_commit"))
    );
    // …and replaying the refresh token recovers the lost pair, once.
    let recovered = emu.refresh(rt1, &[]).await;
    assert_eq!(recovered.status, 200);
    let again = emu.refresh(rt1, &[]).await;
    assert_eq!(again.body, recovered.body);
    assert_eq!(
        emu.api(str_of(&recovered.json(), "access_token"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn status_faults_do_not_process_the_grant() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let rt1 = str_of(&t1, "refresh_token");
    emu.control(
        "/_emulator/faults",
        json!({"kind": "status_503", "retry_after": 7}),
    )
    .await;
    emu.control("/_emulator/faults", json!({"kind": "status_429"}))
        .await;
    emu.control("/_emulator/faults", json!({"kind": "status_500_html"}))
        .await;

    let r = emu.refresh(rt1, &[]).await;
    assert_eq!((r.status, r.header("retry-after")), (503, Some("7")));
    assert_eq!(r.json()["error"], "service_unavailable");
    let r = emu.refresh(rt1, &[]).await;
    assert_eq!((r.status, r.header("retry-after")), (429, Some("2")));
    assert_eq!(r.json()["errorCode"], "CMN-301");
    let r = emu.refresh(rt1, &[]).await;
    assert_eq!(r.status, 500);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("<html>"));

    // None of those rotated anything: the original access token still works.
    assert_eq!(emu.api(str_of(&t1, "access_token")).await.status, 200);
    let r = emu.refresh(rt1, &[]).await;
    assert_eq!(r.status, 200);
    let faults: Vec<_> = emu.log().await["token_requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["fault"].clone())
        .collect();
    assert_eq!(
        faults,
        vec![
            json!(null),
            json!("status_503"),
            json!("status_429"),
            json!("status_500_html"),
            json!(null)
        ]
    );
}

#[tokio::test]
async fn malformed_json_commits_the_grant_and_truncates_the_body() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let rt1 = str_of(&t1, "refresh_token");
    emu.control("/_emulator/faults", json!({"kind": "malformed_json"}))
        .await;
    let r = emu.refresh(rt1, &[]).await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert!(r.text().starts_with("{\"access_token\":"));
    assert_eq!(
        nested_code(&emu.api(str_of(&t1, "access_token")).await.json()),
        "OAU-129"
    );
    let replay = emu.refresh(rt1, &[]).await.json();
    assert!(r.text().starts_with(&format!(
        "{{\"access_token\":\"{}",
        str_of(&replay, "access_token")
    )));
}

#[tokio::test]
async fn delay_and_counted_faults_apply_to_the_next_n_requests_only() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    emu.control(
        "/_emulator/faults",
        json!({"kind": "delay", "delay_ms": 80}),
    )
    .await;
    let started = std::time::Instant::now();
    let r = emu.refresh(str_of(&t1, "refresh_token"), &[]).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(80));
    assert_eq!(r.status, 200, "a delayed request is processed normally");

    emu.control(
        "/_emulator/faults",
        json!({"kind": "status_503", "count": 2}),
    )
    .await;
    // Preflights and revokes do not consume faults.
    emu.send(
        "OPTIONS",
        "/restapi/oauth/token",
        &[
            ("Origin", "http://x"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .await
    .unwrap();
    emu.post_form(
        "/restapi/oauth/revoke",
        &[("token", "x"), ("client_id", SPA)],
    )
    .await;
    let t2 = r.json();
    assert_eq!(
        emu.refresh(str_of(&t2, "refresh_token"), &[]).await.status,
        503
    );
    assert_eq!(
        emu.refresh(str_of(&t2, "refresh_token"), &[]).await.status,
        503
    );
    assert_eq!(
        emu.refresh(str_of(&t2, "refresh_token"), &[]).await.status,
        200
    );
}

#[tokio::test]
async fn unknown_fault_kind_is_rejected() {
    let emu = Emu::start().await;
    let r = emu
        .send("POST", "/_emulator/faults", &[], br#"{"kind":"explode"}"#)
        .await
        .unwrap();
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn connections_are_never_kept_alive_so_browsers_cannot_silently_resend() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emu = Emu::start().await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", emu.port))
        .await
        .unwrap();
    s.write_all(
        b"GET /_emulator/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n",
    )
    .await
    .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut raw))
        .await
        .expect("server closes")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"));
    assert!(text.contains("connection: close"), "{text}");
}

/// `huge_body`: the grant is committed and the real answer comes padded to `size` bytes, still valid JSON;
/// the log says how many bytes went out (all of them, for a client that read to the end).
#[tokio::test]
async fn huge_body_pads_the_real_answer_to_size() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let rt1 = str_of(&t1, "refresh_token");
    emu.control("/_emulator/faults", json!({"kind": "huge_body", "size": 300_000}))
        .await;
    let r = emu.refresh(rt1, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 300_000);
    assert_eq!(r.header("content-length"), Some("300000"));
    let body = r.json();
    assert!(body["padding"].as_str().unwrap().bytes().all(|b| b == b'x'));
    // A real, committed rotation.
    assert_eq!(emu.api(str_of(&body, "access_token")).await.status, 200);
    let log = emu.log().await;
    let entry = &log["token_requests"][1];
    assert_eq!(entry["fault"], "huge_body");
    assert_eq!(entry["body_sent"], 300_000);
}
