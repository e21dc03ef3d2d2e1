use crate::common::*;
use serde_json::json;

const ORIGIN: &str = "http://localhost:5173";

#[tokio::test]
async fn preflight_echoes_origin_with_credentials() {
    let emu = Emu::start().await;
    for path in [
        "/restapi/oauth/token",
        "/restapi/oauth/revoke",
        "/restapi/v1.0/account/~/extension/~",
        "/_emulator/log",
    ] {
        let r = emu
            .send(
                "OPTIONS",
                path,
                &[
                    ("Origin", ORIGIN),
                    ("Access-Control-Request-Method", "POST"),
                    (
                        "Access-Control-Request-Headers",
                        "authorization,content-type,x-user-agent,client-id",
                    ),
                ],
                b"",
            )
            .await
            .unwrap();
        assert!(r.status == 200 || r.status == 204, "{path}: {}", r.status);
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some(ORIGIN),
            "{path}"
        );
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        assert!(r
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST"));
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("authorization,content-type,x-user-agent,client-id")
        );
    }
    // Without Access-Control-Request-Headers the fixed list is offered.
    let r = emu
        .send(
            "OPTIONS",
            "/restapi/oauth/token",
            &[
                ("Origin", ORIGIN),
                ("Access-Control-Request-Method", "POST"),
            ],
            b"",
        )
        .await
        .unwrap();
    assert!(r
        .header("access-control-allow-headers")
        .unwrap()
        .contains("Client-Id"));
}

#[tokio::test]
async fn actual_responses_carry_cors_friendly_or_faithful_expose_list() {
    let emu = Emu::start().await;
    let r = emu
        .get_with("/restapi/v1.0/client-info", &[("Origin", ORIGIN)])
        .await;
    assert_eq!(r.status, 401, "errors must be readable cross-origin too");
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    assert!(r.headers_named("vary").iter().any(|v| v.contains("Origin")));
    let expose = r.header("access-control-expose-headers").unwrap();
    for h in [
        "Retry-After",
        "X-Rate-Limit-Remaining",
        "RCRequestId",
        "RoutingKey",
    ] {
        assert!(expose.contains(h), "{expose}");
    }
    assert_eq!(
        r.header("cross-origin-resource-policy"),
        Some("cross-origin")
    );

    emu.config(json!({"cors_mode": "faithful"})).await;
    let r = emu
        .post_form_with(
            "/restapi/oauth/token",
            &[("grant_type", "x")],
            &[("Origin", ORIGIN)],
        )
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        r.header("access-control-expose-headers"),
        Some("Date, RoutingKey, Content-Length, Content-Encoding")
    );
}

#[tokio::test]
async fn unknown_paths_get_no_cors_and_no_wildcard_ever() {
    let emu = Emu::start().await;
    for path in ["/client-info", "/restapi/client-info", "/nothing"] {
        let r = emu
            .send(
                "OPTIONS",
                path,
                &[("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")],
                b"",
            )
            .await
            .unwrap();
        assert!(r.header("access-control-allow-origin").is_none(), "{path}");
        assert_eq!(
            r.header("cross-origin-resource-policy"),
            Some("cross-origin")
        );
    }
    let r = emu
        .get_with("/restapi/v1.0/client-info", &[("Origin", "null")])
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("null"));
    // Without an Origin there is nothing to echo.
    assert!(emu
        .get("/restapi/v1.0/client-info")
        .await
        .header("access-control-allow-origin")
        .is_none());
}

/// The control API answers loopback only: any port of 127.0.0.0/8, localhost, [::1]. Another origin (a site
/// the developer visits while the emulator runs) gets a 403 without CORS headers, for reads and for writes.
#[tokio::test]
async fn control_api_answers_loopback_origins_only() {
    let emu = Emu::start().await;
    for origin in [
        "http://localhost:5173",
        "http://127.0.0.1:1",
        "http://127.8.9.10:8080",
        "https://[::1]:3000",
        "http://app.localhost",
    ] {
        let r = emu.get_with("/_emulator/clock", &[("Origin", origin)]).await;
        assert_eq!(r.status, 200, "{origin}");
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
    }
    for origin in [
        "https://evil.example",
        "http://127.0.0.1.evil.example",
        "http://localhost.evil.example:80",
        "http://[::2]:80",
        "null",
        "http://128.0.0.1",
    ] {
        for (method, path, body) in [
            ("GET", "/_emulator/log", &b""[..]),
            ("OPTIONS", "/_emulator/log", &b""[..]),
            ("POST", "/_emulator/reset", &b"{}"[..]),
            ("POST", "/_emulator/config", &b"{\"cors_mode\":\"faithful\"}"[..]),
        ] {
            let r = emu
                .send(method, path, &[("Origin", origin), ("Access-Control-Request-Method", "POST")], body)
                .await
                .unwrap();
            assert_eq!(r.status, 403, "{method} {path} from {origin}");
            assert_eq!(r.header("access-control-allow-origin"), None, "{origin}");
        }
    }
    // A loopback address under another host name (DNS rebinding) is refused too, with or without Origin.
    let r = emu
        .get_with("/_emulator/log", &[("Host", "rebind.example:80")])
        .await;
    assert_eq!(r.status, 403);
    // The OAuth and API paths keep echoing any origin, as RingCentral does.
    let r = emu
        .get_with("/restapi/v1.0/client-info", &[("Origin", "https://evil.example")])
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some("https://evil.example"));
}

/// The log shows tokens, codes and verifiers shortened; the whole values go to a test runner (no Origin, no
/// Sec-Fetch-Site) that asks for `?full=1`, never to a page.
#[tokio::test]
async fn log_shows_secrets_shortened() {
    let emu = Emu::start().await;
    let tokens = emu.login().await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let r = emu.api(&access).await;
    assert_eq!(r.status, 200);

    let short = emu.get("/_emulator/log").await;
    let text = short.text();
    assert!(!text.contains(&access) && !text.contains(&refresh), "no whole token");
    let log = short.json();
    let api = log["api_requests"].as_array().unwrap().last().unwrap().clone();
    let want: String = access.chars().take(6).chain(['…']).collect();
    assert_eq!(api["token"], want.as_str());
    let code_req = log["token_requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["grant_type"] == "authorization_code")
        .unwrap()
        .clone();
    for k in ["code", "code_verifier"] {
        let v = code_req["params"][k].as_str().unwrap();
        assert!(v.ends_with('…') && v.chars().count() == 7, "{k}: {v}");
    }
    assert_eq!(code_req["params"]["grant_type"], "authorization_code");

    let full = emu.log().await;
    assert_eq!(full["api_requests"].as_array().unwrap().last().unwrap()["token"], access.as_str());
    for browser in [("Origin", "http://localhost:5173"), ("Sec-Fetch-Site", "same-origin")] {
        let r = emu.get_with("/_emulator/log?full=1", &[browser]).await;
        assert_eq!(r.status, 403, "{browser:?}");
        assert!(!r.text().contains(&access));
    }
}
