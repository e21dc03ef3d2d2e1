use crate::common::*;
use rc_emulator::Options;
use serde_json::json;

#[tokio::test]
async fn control_api_is_404_without_test_mode() {
    let emu = Emu::start_with(Options {
        port: 0,
        ..Options::default()
    })
    .await;
    for (method, path) in [
        ("POST", "/_emulator/reset"),
        ("GET", "/_emulator/log"),
        ("GET", "/_emulator/echo"),
        ("POST", "/_emulator/faults"),
    ] {
        let r = emu.send(method, path, &[], b"{}").await.unwrap();
        assert_eq!(r.status, 404, "{method} {path}");
    }
    // The OAuth server itself still works.
    emu.sign_in_page(&emu.authorize_path(SPA, "code", &[]), &[])
        .await;
}

#[tokio::test]
async fn clock_advances_by_fractional_seconds() {
    let emu = Emu::start().await;
    let before = emu.get("/_emulator/clock").await.json()["now_ms"]
        .as_i64()
        .unwrap();
    let after = emu
        .control("/_emulator/clock/advance", json!({"seconds": 1.5}))
        .await["now_ms"]
        .as_i64()
        .unwrap();
    assert!(
        (1500..1500 + 2000).contains(&(after - before)),
        "{}",
        after - before
    );
    emu.control("/_emulator/reset", json!({})).await;
    let reset = emu.get("/_emulator/clock").await.json()["now_ms"]
        .as_i64()
        .unwrap();
    assert!(reset < after, "reset puts the offset back to 0");
}

#[tokio::test]
async fn config_returns_everything_and_rejects_unknown_keys() {
    let emu = Emu::start().await;
    let c = emu.get("/_emulator/config").await.json();
    let expected = json!({"access_token_ttl_default":3600,"refresh_token_ttl_default":604800,"refresh_token_ttl_max":604800,
        "code_ttl_s":60,"rate_limit":false,"consent":"page","cors_mode":"friendly","expires_in_offset":1});
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&c[k], v, "{k}");
    }
    for k in ["corrupt_window_s", "grace_after_use_s", "grace_unused_s"] {
        assert!(c[k].is_number(), "{k}");
    }
    let c = emu
        .config(json!({"consent": "auto", "grace_after_use_s": 0.5}))
        .await;
    assert_eq!(
        (c["consent"].as_str(), c["grace_after_use_s"].as_f64()),
        (Some("auto"), Some(0.5))
    );
    let r = emu
        .send(
            "POST",
            "/_emulator/config",
            &[("Content-Type", "application/json")],
            br#"{"no_such_key": 1}"#,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    let r = emu
        .send("POST", "/_emulator/config", &[], br#"{"consent": "maybe"}"#)
        .await
        .unwrap();
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn reset_clears_sessions_config_faults_and_logs() {
    let emu = Emu::start().await;
    let t = emu.login().await;
    emu.config(json!({"consent": "auto", "rate_limit": true}))
        .await;
    emu.control(
        "/_emulator/faults",
        json!({"kind": "status_503", "count": 3}),
    )
    .await;
    emu.control(
        "/_emulator/apps",
        json!({"client_id": "extra", "redirect_uris": ["http://127.0.0.1:1/"]}),
    )
    .await;
    emu.control("/_emulator/reset", json!({})).await;

    assert_eq!(
        nested_code(&emu.api(str_of(&t, "access_token")).await.json()),
        "OAU-213"
    );
    let c = emu.get("/_emulator/config").await.json();
    assert_eq!(
        (c["consent"].as_str(), c["rate_limit"].as_bool()),
        (Some("page"), Some(false))
    );
    assert_eq!(
        emu.get("/_emulator/faults").await.json()["queued"],
        json!([])
    );
    let log = emu.log().await;
    assert_eq!(log["token_requests"].as_array().unwrap().len(), 0);
    assert_eq!(
        log["api_requests"].as_array().unwrap().len(),
        1,
        "only the post-reset API call"
    );
    let apps = emu.get("/_emulator/apps").await.json();
    let ids: Vec<&str> = apps
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["demo-confidential", "demo-spa", "no-refresh-spa"]);
    assert_eq!(apps[1]["redirect_uris"].as_array().unwrap().len(), 5 * 2);
}

#[tokio::test]
async fn apps_can_be_added_and_replaced() {
    let emu = Emu::start().await;
    emu.control(
        "/_emulator/apps",
        json!({"client_id":"demo-spa","client_secret":null,"confidential":false,"issue_refresh_tokens":false,
               "allow_implicit":false,"redirect_uris":[emu.redirect_uri()]}),
    )
    .await;
    let code = emu.authorize_code(SPA, &[]).await;
    let t = emu.exchange(SPA, &code, &[]).await.json();
    assert!(
        t.get("refresh_token").is_none(),
        "replaced app no longer issues refresh tokens"
    );
    let r = emu
        .send(
            "POST",
            "/_emulator/apps",
            &[],
            br#"{"client_id":"c","confidential":true}"#,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 400, "confidential without secret");
}

#[tokio::test]
async fn apps_with_unknown_or_misspelt_keys_are_refused_naming_the_key() {
    let emu = Emu::start().await;
    for (body, key) in [
        (
            json!({"client_id":"typo","redirect_uri":["http://127.0.0.1:9/cb"]}),
            "redirect_uri",
        ),
        (
            json!({"client_id":"typo","issueRefreshTokens":true}),
            "issueRefreshTokens",
        ),
    ] {
        let r = emu
            .send("POST", "/_emulator/apps", &[], body.to_string().as_bytes())
            .await
            .unwrap();
        assert_eq!(r.status, 400, "{body}");
        let msg = r.json()["error"].as_str().unwrap_or("").to_string();
        assert!(msg.contains(&format!("unknown field `{key}`")), "{msg}");
        assert!(
            msg.contains("redirect_uris"),
            "the message lists the known keys: {msg}"
        );
    }
    let apps = emu.get("/_emulator/apps").await.json();
    assert!(
        apps.as_array()
            .unwrap()
            .iter()
            .all(|a| a["client_id"] != "typo"),
        "nothing was registered"
    );
}

#[tokio::test]
async fn revoke_session_by_token() {
    let emu = Emu::start().await;
    let t = emu.login().await;
    let r = emu
        .control(
            "/_emulator/revoke-session",
            json!({"token": t["refresh_token"]}),
        )
        .await;
    assert_eq!(
        (r["revoked"].as_bool(), &r["session_id"]),
        (Some(true), &t["session_id"])
    );
    assert_eq!(emu.api(str_of(&t, "access_token")).await.status, 401);
    let r = emu
        .control(
            "/_emulator/revoke-session",
            json!({"session_id": "unknown"}),
        )
        .await;
    assert_eq!(r["revoked"], false);
}

#[tokio::test]
async fn log_records_parsed_params_and_a_shared_sequence() {
    let emu = Emu::start().await;
    let t1 = emu.login().await;
    let t2 = emu
        .post_form_with(
            "/restapi/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", str_of(&t1, "refresh_token")),
                ("client_id", SPA),
                ("refresh_token_ttl", "604799"),
                ("access_token_ttl", "-1"),
            ],
            &[("Origin", "http://localhost:3000")],
        )
        .await
        .json();
    emu.api(str_of(&t1, "access_token")).await;
    emu.api(str_of(&t2, "access_token")).await;
    emu.post_form(
        "/restapi/oauth/revoke",
        &[("token", str_of(&t2, "access_token")), ("client_id", SPA)],
    )
    .await;

    let log = emu.log().await;
    let tokens = log["token_requests"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0]["grant_type"], "authorization_code");
    assert!(tokens[0]["origin"].is_null());
    let refresh = &tokens[1];
    assert_eq!(refresh["grant_type"], "refresh_token");
    assert_eq!(refresh["client_id"], SPA);
    assert_eq!(refresh["origin"], "http://localhost:3000");
    assert_eq!(refresh["status"], 200);
    assert!(refresh["fault"].is_null());
    assert_eq!(refresh["params"]["refresh_token_ttl"], "604799");
    assert_eq!(refresh["params"]["access_token_ttl"], "-1");
    assert_eq!(refresh["params"]["refresh_token"], t1["refresh_token"]);

    let api = log["api_requests"].as_array().unwrap();
    assert_eq!(
        (api[0]["status"].as_u64(), api[0]["error_code"].as_str()),
        (Some(401), Some("OAU-129"))
    );
    assert_eq!(api[0]["token"], t1["access_token"]);
    assert_eq!(
        (api[1]["status"].as_u64(), &api[1]["error_code"]),
        (Some(200), &json!(null))
    );
    assert_eq!(api[1]["path"], "/restapi/v1.0/account/~/extension/~");
    let rev = &log["revocations"][0];
    assert_eq!(rev["session_id"], t1["session_id"]);

    let seqs = [
        &tokens[0]["seq"],
        &tokens[1]["seq"],
        &api[0]["seq"],
        &api[1]["seq"],
        &rev["seq"],
    ];
    let seqs: Vec<u64> = seqs.iter().map(|s| s.as_u64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn echo_reflects_method_and_headers_with_cors() {
    let emu = Emu::start().await;
    let r = emu
        .send(
            "PUT",
            "/_emulator/echo",
            &[("Origin", "http://localhost:1"), ("X-Thing", "a b")],
            b"",
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:1")
    );
    let v = r.json();
    assert_eq!(v["method"], "PUT");
    assert_eq!(v["headers"]["x-thing"], "a b");
    assert!(v["headers"].get("authorization").is_none());
}

#[tokio::test]
async fn state_survives_a_thousand_concurrent_token_requests() {
    let emu = std::sync::Arc::new(Emu::start().await);
    emu.control(
        "/_emulator/faults",
        json!({"kind": "status_503", "count": 400}),
    )
    .await;
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let emu = emu.clone();
            tokio::spawn(async move {
                emu.refresh("RU1VMDFQMDFQQVMwMHxub3RoaW5n", &[])
                    .await
                    .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 400);
    assert_eq!(statuses.iter().filter(|s| **s == 400).count(), 600);
    let log = emu.log().await;
    let entries = log["token_requests"].as_array().unwrap();
    assert_eq!(entries.len(), 1000);
    let mut seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    seqs.dedup();
    assert_eq!(seqs, (1..=1000).collect::<Vec<_>>());
}

/// Two requests written on one TCP connection: with `keep_alive` both are answered on it; without it the
/// first answer says `connection: close` and the socket ends there (the drop fault depends on that).
async fn answers_on_one_connection(keep_alive: bool) -> (usize, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emu = Emu::start_with(Options {
        port: 0,
        keep_alive,
        ..Options::default()
    })
    .await;
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", emu.port))
        .await
        .unwrap();
    let req = "GET /restapi/v1.0/client-info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    s.write_all(format!("{req}{req}").as_bytes()).await.unwrap();
    let mut all = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&all).matches("HTTP/1.1 ").count() == 2 {
                break;
            }
        }
    });
    let _ = read.await;
    let text = String::from_utf8_lossy(&all).into_owned();
    (text.matches("HTTP/1.1 ").count(), text.to_ascii_lowercase())
}

#[tokio::test]
async fn keep_alive_reuses_the_connection_only_when_asked() {
    let (n, text) = answers_on_one_connection(false).await;
    assert_eq!(n, 1, "{text}");
    assert!(text.contains("connection: close"), "{text}");
    let (n, text) = answers_on_one_connection(true).await;
    assert_eq!(n, 2, "{text}");
    assert!(!text.contains("connection: close"), "{text}");
}

#[tokio::test]
async fn echo_authenticates_a_presented_token_like_the_api() {
    let emu = Emu::start().await;
    let t = emu.login().await;
    let auth = format!("Bearer {}", str_of(&t, "access_token"));
    let r = emu
        .get_with("/_emulator/echo", &[("Authorization", &auth)])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["headers"]["authorization"], auth.as_str());
    let r = emu
        .get_with(
            "/_emulator/echo",
            &[("Authorization", "Bearer not-a-real-token")],
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .is_some_and(|h| h.contains("OAU-149")));
    emu.control("/_emulator/clock/advance", json!({"seconds": 3700}))
        .await;
    let r = emu
        .get_with("/_emulator/echo", &[("Authorization", &auth)])
        .await;
    assert_eq!(r.status, 401, "an expired token");
}
