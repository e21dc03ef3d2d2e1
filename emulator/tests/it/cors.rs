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
