//! wasm-bindgen-test in headless Chromium: the browser adapters on their own (storage backends incl. cookie
//! splitting and tampering, URL cleanup, error conversion, restore from bad data).
#![cfg(target_arch = "wasm32")]

use oauth_spa_session::protocol::{clean_url, Config, ConfigInput, ErrorCode, StorageKind, TokenResponseBody, TokenSet};
use oauth_spa_session::web::{browser, js_error, store::Store, Session};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn tokens(access_len: usize, with_refresh: bool) -> TokenSet {
    let mut body = String::from("{\"access_token\":\"");
    body.push_str(&"A".repeat(access_len));
    body.push_str("\",\"token_type\":\"bearer\",\"expires_in\":3599,\"scope\":\"ReadAccounts\",\"owner_id\":\"256440016\"");
    if with_refresh {
        body.push_str(",\"refresh_token\":\"R-");
        body.push_str(&"r".repeat(access_len));
        body.push_str("\",\"refresh_token_expires_in\":604799");
    }
    body.push('}');
    let v = js_sys::JSON::parse(&body).expect("test body parses");
    let b: TokenResponseBody = serde_wasm_bindgen::from_value(v).expect("typed body");
    TokenSet::from_response(b, browser::now_ms(), None).expect("test tokens parse")
}

fn document() -> web_sys::HtmlDocument {
    browser::window().document().unwrap().dyn_into().unwrap()
}

fn jar() -> String {
    document().cookie().unwrap()
}

fn session_storage() -> web_sys::Storage {
    browser::window().session_storage().unwrap().unwrap()
}

#[wasm_bindgen_test]
async fn session_storage_round_trip_and_clear() {
    let (s, problem) = Store::open(&StorageKind::SessionStorage, "t.ss1".into(), None);
    assert!(problem.is_none());
    assert_eq!(s.kind_name(), "sessionStorage");
    assert!(!s.is_shared());
    let t = tokens(40, true);
    s.save(&t).await.unwrap();
    let raw = session_storage().get_item("t.ss1").unwrap().unwrap();
    assert!(raw.starts_with("v1."), "sealed value");
    assert_eq!(s.load().await.unwrap(), Some(t));
    s.clear().await;
    assert_eq!(session_storage().get_item("t.ss1").unwrap(), None);
    assert_eq!(s.load().await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn session_storage_tampering_is_detected() {
    let (s, _) = Store::open(&StorageKind::SessionStorage, "t.ss2".into(), None);
    s.save(&tokens(40, false)).await.unwrap();
    let raw = session_storage().get_item("t.ss2").unwrap().unwrap();
    let tampered = raw.replacen("256440016", "256440017", 1);
    assert_ne!(raw, tampered);
    session_storage().set_item("t.ss2", &tampered).unwrap();
    assert_eq!(s.load().await.unwrap_err().code, ErrorCode::CorruptStorage);
    session_storage().set_item("t.ss2", "not even sealed").unwrap();
    assert_eq!(s.load().await.unwrap_err().code, ErrorCode::CorruptStorage);
    s.clear().await;
}

#[wasm_bindgen_test]
async fn cookie_store_splits_large_values_and_reassembles() {
    let (s, _) = Store::open(&StorageKind::Cookie, "t.ck1".into(), None);
    assert!(s.is_shared());
    // http://127.0.0.1 counts as secure for cookies in Chromium, so the names carry `__Host-`.
    assert_eq!(s.cookie_name().as_deref(), Some("__Host-t.ck1"));
    let t = tokens(5000, true); // > 10 KB once both tokens are in
    s.save(&t).await.unwrap();
    let pieces = jar().split("; ").filter(|c| c.starts_with("__Host-t.ck1.")).count();
    assert!(pieces >= 3, "split across cookies: {pieces}");
    let first = jar().split("; ").find(|c| c.starts_with("__Host-t.ck1.0=")).unwrap().to_string();
    assert!(first.starts_with("__Host-t.ck1.0=v2."), "AES-GCM sealed: {}", &first[..40]);
    assert!(!first.contains("256440016"), "the value is not readable");
    assert_eq!(s.load().await.unwrap(), Some(t));
    // A shorter value replaces every old piece.
    let small = tokens(20, false);
    s.save(&small).await.unwrap();
    assert_eq!(s.load().await.unwrap(), Some(small));
    s.clear().await;
    assert!(!jar().contains("t.ck1."), "all pieces removed: {}", jar());
}

#[wasm_bindgen_test]
async fn cookie_store_detects_a_missing_or_tampered_piece() {
    let (s, _) = Store::open(&StorageKind::Cookie, "t.ck2".into(), None);
    s.save(&tokens(5000, true)).await.unwrap();
    document().set_cookie("__Host-t.ck2.1=; Path=/; Max-Age=0; SameSite=Strict; Secure").unwrap();
    assert_eq!(s.load().await.unwrap_err().code, ErrorCode::CorruptStorage);
    assert!(!jar().contains("t.ck2."), "the bad pieces went: {}", jar());
    s.save(&tokens(30, false)).await.unwrap();
    let name_value = jar().split("; ").find(|c| c.starts_with("__Host-t.ck2.0=")).unwrap().to_string();
    // One character of the ciphertext changed: the tag no longer matches.
    let at = name_value.len() - 5;
    let c = if &name_value[at..at + 1] == "A" { "B" } else { "A" };
    let mut forged = format!("{}{}{}", &name_value[..at], c, &name_value[at + 1..]);
    forged.push_str("; Path=/; SameSite=Strict; Secure");
    document().set_cookie(&forged).unwrap();
    assert_eq!(s.load().await.unwrap_err().code, ErrorCode::CorruptStorage);
    // A checksum-sealed value (what anyone can compute) is not accepted either.
    s.save(&tokens(30, false)).await.unwrap();
    let v1 = oauth_spa_session::protocol::seal("{\"v\":1}");
    let enc = oauth_spa_session::protocol::percent_encode(&v1);
    document().set_cookie(&format!("__Host-t.ck2.0={enc}; Path=/; SameSite=Strict; Secure")).unwrap();
    assert_eq!(s.load().await.unwrap_err().code, ErrorCode::CorruptStorage);
    s.clear().await;
}

#[wasm_bindgen_test]
async fn cookie_values_are_bound_to_their_name() {
    let (a, _) = Store::open(&StorageKind::Cookie, "t.ck3".into(), None);
    let (b, _) = Store::open(&StorageKind::Cookie, "t.ck4".into(), None);
    a.save(&tokens(30, false)).await.unwrap();
    b.save(&tokens(31, false)).await.unwrap();
    // Move a's sealed value under b's name: a different key and additional data, so it does not open.
    let value = jar().split("; ").find(|c| c.starts_with("__Host-t.ck3.0=")).unwrap()["__Host-t.ck3.0=".len()..].to_string();
    document().set_cookie(&format!("__Host-t.ck4.0={value}; Path=/; SameSite=Strict; Secure")).unwrap();
    assert_eq!(b.load().await.unwrap_err().code, ErrorCode::CorruptStorage);
    a.clear().await;
    b.clear().await;
}

#[wasm_bindgen_test]
async fn memory_store_keeps_nothing_in_web_storage() {
    let (s, _) = Store::open(&StorageKind::Memory, "t.mem".into(), None);
    let before = session_storage().length().unwrap();
    let t = tokens(40, true);
    s.save(&t).await.unwrap();
    assert_eq!(session_storage().length().unwrap(), before);
    assert!(!jar().contains("t.mem"));
    assert_eq!(s.load().await.unwrap(), Some(t));
}

#[wasm_bindgen_test]
async fn adapter_store_calls_the_app_backend() {
    let adapter: JsValue = js_sys::eval(
        "({ data: null, saves: 0, async load() { return this.data }, async save(t) { this.saves++; this.data = t }, clear() { this.data = null } })",
    )
    .unwrap();
    let (s, _) = Store::open(&StorageKind::SessionStorage, "t.ad".into(), Some(adapter.clone()));
    assert_eq!(s.kind_name(), "persistence");
    assert!(s.is_shared());
    let t = tokens(40, true);
    s.save(&t).await.unwrap();
    assert_eq!(browser::get(&adapter, "saves").as_f64(), Some(1.0));
    let data = browser::get(&adapter, "data");
    assert_eq!(browser::get(&data, "v").as_f64(), Some(1.0), "a plain versioned object");
    assert_eq!(s.load().await.unwrap(), Some(t));
    s.clear().await;
    assert!(browser::get(&adapter, "data").is_null());
    browser::set(&adapter, "data", &js_sys::eval("({ v: 1, access_token: 5 })").unwrap());
    assert_eq!(s.load().await.unwrap_err().code, ErrorCode::CorruptStorage);
}

#[wasm_bindgen_test]
async fn quota_exceeded_reports_storage_unavailable() {
    let ss = session_storage();
    // Fill the origin's quota, large pieces first, then ever smaller ones, so almost nothing is left.
    let mut keys = Vec::new();
    for size in [1 << 20, 1 << 16, 1 << 12, 1 << 8, 16] {
        let chunk = "x".repeat(size);
        loop {
            let k = format!("filler{}", keys.len());
            if ss.set_item(&k, &chunk).is_err() || keys.len() > 4096 {
                break;
            }
            keys.push(k);
        }
    }
    let (s, _) = Store::open(&StorageKind::SessionStorage, "t.quota".into(), None);
    let err = s.save(&tokens(2000, true)).await.unwrap_err();
    for k in &keys {
        ss.remove_item(k).unwrap();
    }
    assert_eq!(err.code, ErrorCode::StorageUnavailable);
}

#[wasm_bindgen_test]
fn url_cleanup_keeps_other_parameters() {
    let w = browser::window();
    let h = w.history().unwrap();
    h.replace_state_with_url(&JsValue::NULL, "", Some("?keep=1&code=abc&state=xyz&expires_in=60&z=%20"))
        .unwrap();
    let href = w.location().href().unwrap();
    browser::replace_url(&clean_url(&href));
    assert_eq!(w.location().search().unwrap(), "?keep=1&z=%20");
    h.replace_state_with_url(&JsValue::NULL, "", Some("?a=b#access_token=tok&state=s")).unwrap();
    browser::replace_url(&clean_url(&w.location().href().unwrap()));
    assert_eq!(w.location().hash().unwrap(), "");
    assert_eq!(w.location().search().unwrap(), "?a=b");
}

#[wasm_bindgen_test]
fn errors_are_real_error_subclasses_with_fields() {
    let e = oauth_spa_session::protocol::Error::new(ErrorCode::InvalidGrant)
        .with_status(400)
        .with_error_code(Some("OAU-210".into()))
        .with_description("Token expired");
    let v = js_error::to_js(&e);
    assert!(v.is_instance_of::<js_sys::Error>());
    assert_eq!(browser::get(&v, "name").as_string().as_deref(), Some("SessionError"));
    assert_eq!(browser::get(&v, "code").as_string().as_deref(), Some("invalid_grant"));
    assert_eq!(browser::get(&v, "status").as_f64(), Some(400.0));
    assert_eq!(browser::get(&v, "errorCode").as_string().as_deref(), Some("OAU-210"));
    assert_eq!(browser::get(&v, "retryable").as_bool(), Some(false));
    assert!(browser::get(&v, "retryAfter").is_null());
    let msg = v.unchecked_ref::<js_sys::Error>().message();
    assert_eq!(String::from(msg), "invalid_grant: Token expired");
}

#[wasm_bindgen_test]
fn an_unknown_server_code_is_oauth_error_with_the_code_in_server_code() {
    let e = oauth_spa_session::protocol::Error::new(ErrorCode::from_oauth("unauthorized_client"))
        .with_description("The implicit grant is not enabled");
    let v = js_error::to_js(&e);
    assert_eq!(browser::get(&v, "code").as_string().as_deref(), Some("oauth_error"));
    assert_eq!(browser::get(&v, "serverCode").as_string().as_deref(), Some("unauthorized_client"));
    let msg = v.unchecked_ref::<js_sys::Error>().message();
    assert_eq!(String::from(msg), "oauth_error (unauthorized_client): The implicit grant is not enabled");
    // Back to the Rust API unchanged.
    assert_eq!(js_error::from_session_error(&v, oauth_spa_session::protocol::HostFailure::Network).code, ErrorCode::from_oauth("unauthorized_client"));
    // The library's own and the documented OIDC codes stay codes.
    for name in ["popup_closed", "interaction_required", "crypto_unavailable", "dpop_downgrade"] {
        let v = js_error::to_js(&oauth_spa_session::protocol::Error::new(ErrorCode::Other(name.into())));
        assert_eq!(browser::get(&v, "code").as_string().as_deref(), Some(name));
        assert!(browser::get(&v, "serverCode").is_null());
    }
}

fn config(storage: &str) -> JsValue {
    let text = format!(
        "({{ clientId: 'wb-test', server: 'http://127.0.0.1:9', redirectUri: location.origin + '/', storage: '{storage}' }})"
    );
    js_sys::eval(&text).unwrap()
}

#[wasm_bindgen_test]
async fn restore_from_corrupt_storage_logs_out_and_removes_the_key() {
    let input: ConfigInput = serde_wasm_bindgen::from_value(
        js_sys::eval("({ clientId: 'wb-test', server: 'http://127.0.0.1:9', redirectUri: 'http://127.0.0.1:9/' })").unwrap(),
    )
    .unwrap();
    let cfg = Config::from_input(input, false).unwrap();
    let key = cfg.storage_key();
    session_storage().set_item(&key, "v1.deadbeef.{garbage").unwrap();
    let s = Session::new(config("sessionStorage").unchecked_into()).unwrap();
    let ready: js_sys::Promise = s.ready().unchecked_into();
    let logged_in = JsFuture::from(ready).await.unwrap();
    assert_eq!(logged_in.as_bool(), Some(false));
    assert!(!s.is_logged_in());
    assert_eq!(session_storage().get_item(&key).unwrap(), None, "bad key removed");
}

#[wasm_bindgen_test]
fn bad_config_throws_invalid_config_and_local_storage_is_refused() {
    let err = Session::new(config("localStorage").unchecked_into()).err().unwrap();
    assert_eq!(browser::get(&err, "code").as_string().as_deref(), Some("invalid_config"));
    assert!(browser::get(&err, "description").as_string().unwrap().contains("localStorage"));
}

fn config_error_of(js: &str) -> String {
    let err = Session::new(js_sys::eval(js).unwrap().unchecked_into()).err().expect("config refused");
    assert_eq!(browser::get(&err, "code").as_string().as_deref(), Some("invalid_config"), "{js}");
    browser::get(&err, "description").as_string().unwrap()
}

#[wasm_bindgen_test]
fn config_errors_name_the_field_through_serde_wasm_bindgen() {
    let base = "clientId: 'a', server: 'https://s.example', redirectUri: 'https://app.example/'";
    for (extra, want) in [
        ("refreshMarginSeconds: '60'", "refreshMarginSeconds: must be a non-negative integer"),
        ("refreshMarginSeconds: -1", "refreshMarginSeconds: must be a non-negative integer"),
        ("accessTokenTtl: 1.5", "accessTokenTtl: must be a non-negative integer"),
        ("refreshTokens: 'yes'", "refreshTokens: must be a boolean"),
        ("apiOrigins: 5", "apiOrigins: must be an array of absolute http(s) URLs"),
        ("apiOrigins: ['/api']", "apiOrigins: each entry must be an absolute http(s) URL"),
        ("endpoints: []", "endpoints: must be an object"),
        ("endpoints: { revoke: 7 }", "endpoints.revoke: must be a string"),
        ("authorizeParams: { display: true }", "authorizeParams.display: must be a string"),
    ] {
        assert_eq!(config_error_of(&format!("({{ {base}, {extra} }})")), want);
    }
    assert!(config_error_of("({ clientId: 5 })").starts_with("clientId:"));
    for not_object in ["([])", "(5)", "('x')", "(null)"] {
        assert!(config_error_of(not_object).starts_with("config:"), "{not_object}");
    }
    // Unknown keys and a function-bearing persistence object are fine; numbers as brand ids too.
    let ok = format!("({{ {base}, unknown: () => 1, authorizeParams: {{ brandId: 1210 }}, apiOrigins: 'https://api.example' }})");
    assert!(Session::new(js_sys::eval(&ok).unwrap().unchecked_into()).is_ok());
}

/// The typed read of a response looks up only its own fields: a 400 KB body with 40,000 keys is quick.
#[wasm_bindgen_test]
fn hostile_token_body_is_read_in_linear_time() {
    let mut text = String::from("{");
    for i in 0..40_000 {
        text.push_str(&format!("\"k{i:05}\":\"vvv\","));
    }
    text.push_str("\"access_token\":\"a\",\"expires_in\":60}");
    let started = browser::now_ms();
    let v = js_sys::JSON::parse(&text).unwrap();
    let b: TokenResponseBody = serde_wasm_bindgen::from_value(v).unwrap();
    let t = TokenSet::from_response(b, 0.0, None).unwrap();
    assert_eq!(t.expires_at_ms, 60_000.0);
    let e: oauth_spa_session::protocol::ErrorBody = serde_wasm_bindgen::from_value(js_sys::JSON::parse(&text).unwrap()).unwrap();
    assert!(e.error.is_none());
    let took = browser::now_ms() - started;
    assert!(took < 1000.0, "took {took} ms");
    // The session never parses a body that large at all.
    assert!(text.len() > oauth_spa_session::protocol::MAX_BODY_BYTES);
    assert!(matches!(oauth_spa_session::web::json::body(Some(&text)), oauth_spa_session::protocol::Body::NotJson));
}

#[wasm_bindgen_test]
fn a_handed_over_url_is_split_by_the_browsers_parser() {
    let parts = |u: &str| browser::url_parts(u);
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(parts("http://localhost:8080/cb?code=1&state=p.x#frag"), s("?code=1&state=p.x", "#frag"));
    assert_eq!(parts("http://localhost:8080/cb#access_token=t&state=f.x"), s("", "#access_token=t&state=f.x"));
    assert_eq!(parts("http://localhost:8080/cb#x?y"), s("", "#x?y"));
    assert_eq!(parts("http://localhost:8080/cb"), s("", ""));
    // Not a URL (a forged hand-over): nothing to read, so nothing is taken for a callback.
    assert_eq!(parts("cb?code=1&state=p.x"), s("", ""));
}
