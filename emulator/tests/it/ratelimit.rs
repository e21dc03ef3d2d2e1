use crate::common::*;
use serde_json::json;

async fn bad_refresh(emu: &Emu) -> Resp {
    emu.refresh("RU1VMDFQMDFQQVMwMHxub3RoaW5n", &[]).await
}

#[tokio::test]
async fn rate_limit_is_off_by_default() {
    let emu = Emu::start().await;
    for _ in 0..12 {
        let r = bad_refresh(&emu).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.header("x-rate-limit-group"), Some("auth"));
    }
}

#[tokio::test]
async fn auth_group_allows_5_per_minute_with_a_restarting_penalty() {
    let emu = Emu::start().await;
    emu.config(json!({"rate_limit": true})).await;
    for i in 0..5 {
        let r = bad_refresh(&emu).await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.header("x-rate-limit-remaining"),
            Some((4 - i).to_string().as_str())
        );
    }
    let r = bad_refresh(&emu).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("60"));
    assert_eq!(r.json()["errorCode"], "CMN-301");
    assert_eq!(nested_code(&r.json()), "CMN-301");
    assert_eq!(r.header("x-rate-limit-limit"), Some("5"));
    assert_eq!(r.header("x-rate-limit-window"), Some("60"));

    // Each request during the penalty restarts it.
    emu.advance(59.0).await;
    assert_eq!(bad_refresh(&emu).await.status, 429);
    emu.advance(59.0).await;
    assert_eq!(bad_refresh(&emu).await.status, 429);
    emu.advance(60.5).await;
    assert_eq!(bad_refresh(&emu).await.status, 400);
}

#[tokio::test]
async fn sliding_window_frees_slots_after_60s() {
    let emu = Emu::start().await;
    emu.config(json!({"rate_limit": true})).await;
    for _ in 0..5 {
        bad_refresh(&emu).await;
        emu.advance(10.0).await;
    }
    // The first hit is now 50 s old; 11 s later it has left the window.
    emu.advance(11.0).await;
    assert_eq!(bad_refresh(&emu).await.status, 400);
    assert_eq!(bad_refresh(&emu).await.status, 429);
}
