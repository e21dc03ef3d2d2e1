//! More than one user: the sign-in page lets the person choose who signs in (the current user first, so a plain
//! Allow is what it always was), tokens and the API answer as that user, and the control API can switch the
//! user of a login session (what a later `prompt=none` renewal is answered as).

use crate::common::*;
use serde_json::json;

const USER1: &str = "256440016";
const USER2: &str = "256440029";

fn txn_of(page: &Resp) -> String {
    let html = page.text();
    let start = html.find("name=\"txn\" value=\"").expect("txn on the page") + 18;
    let len = html[start..].find('"').unwrap();
    html[start..start + len].to_string()
}

/// Signs in through the page as `user` (Allow); returns the redirect and the login cookie (`name=value`).
async fn sign_in_as(emu: &Emu, authorize: &str, user: &str) -> (Resp, String) {
    let page = emu.sign_in_page(authorize, &[]).await;
    let txn = txn_of(&page);
    let done = emu
        .post_form(
            "/restapi/oauth/authorize/decision",
            &[("txn", &txn), ("user", user), ("decision", "allow")],
        )
        .await;
    assert_eq!(done.status, 302, "{}", done.text());
    let cookie = done
        .header("set-cookie")
        .expect("login cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    (done, cookie)
}

/// A `prompt=none` implicit request with the browser's login cookie: the owner it was answered as.
async fn silent_owner(emu: &Emu, cookie: &str) -> Option<String> {
    let r = emu
        .get_with(
            &emu.authorize_path(SPA, "token", &[("prompt", "none")]),
            &[("Cookie", cookie)],
        )
        .await;
    assert_eq!(r.status, 302);
    param(&r.location(), "owner_id")
}

#[tokio::test]
async fn the_sign_in_page_offers_every_user_with_the_default_checked() {
    let emu = Emu::start().await;
    let users = emu.get("/_emulator/users").await.json();
    let ids: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| str_of(u, "owner_id"))
        .collect();
    assert_eq!(ids, [USER1, USER2]);
    let page = emu
        .sign_in_page(&emu.authorize_path(SPA, "code", &[]), &[])
        .await;
    let html = page.text();
    assert!(
        html.contains(&format!(r#"id="user-{USER1}" value="{USER1}" checked>"#)),
        "{html}"
    );
    assert!(html.contains(&format!(r#"id="user-{USER2}" value="{USER2}">"#)));
    assert!(html.contains("Second User"));
    // A plain Allow (no `user` field, as the existing tests click) signs in as the default user.
    let tokens = emu.login().await;
    assert_eq!(str_of(&tokens, "owner_id"), USER1);
    let me = emu.api(str_of(&tokens, "access_token")).await.json();
    assert_eq!(me["name"], "Demo User");
    // An unknown user is refused on a page, nothing issued.
    let page = emu
        .sign_in_page(&emu.authorize_path(SPA, "code", &[]), &[])
        .await;
    let r = emu
        .post_form(
            "/restapi/oauth/authorize/decision",
            &[
                ("txn", &txn_of(&page)),
                ("user", "1"),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.header("location").is_none());
}

#[tokio::test]
async fn signing_in_as_the_second_user_issues_their_tokens_and_the_api_answers_as_them() {
    let emu = Emu::start().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = s256(verifier);
    let authorize = emu.authorize_path(
        SPA,
        "code",
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let (done, cookie) = sign_in_as(&emu, &authorize, USER2).await;
    let code = param(&done.location(), "code").unwrap();
    let r = emu
        .exchange(SPA, &code, &[("code_verifier", verifier)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.json();
    assert_eq!(str_of(&t, "owner_id"), USER2);
    let me = emu.api(str_of(&t, "access_token")).await.json();
    assert_eq!(
        (me["id"].as_u64(), me["name"].as_str()),
        (Some(256440029), Some("Second User"))
    );
    assert_eq!(me["account"]["id"], "37439522");
    // A refresh stays theirs; a silent renewal of their login is theirs.
    let r = emu.refresh(str_of(&t, "refresh_token"), &[]).await.json();
    assert_eq!(str_of(&r, "owner_id"), USER2);
    assert_eq!(silent_owner(&emu, &cookie).await.as_deref(), Some(USER2));
    // The page shown again to that browser (prompt=login) offers the signed-in user first.
    let page = emu
        .get_with(
            &emu.authorize_path(SPA, "code", &[("prompt", "login")]),
            &[("Cookie", &cookie)],
        )
        .await;
    let page = emu
        .get_with(
            &page.location()[emu.origin().len()..],
            &[("Cookie", &cookie)],
        )
        .await;
    let html = page.text();
    assert!(
        html.contains(&format!(r#"value="{USER2}" checked>"#)),
        "{html}"
    );
    assert!(html.contains(r#"<strong id="user">Second User</strong>"#));
}

#[tokio::test]
async fn the_control_api_switches_the_user_of_a_login_session() {
    let emu = Emu::start().await;
    let (_, cookie) = sign_in_as(&emu, &emu.authorize_path(SPA, "code", &[]), USER1).await;
    let before = emu.login().await;
    assert_eq!(silent_owner(&emu, &cookie).await.as_deref(), Some(USER1));
    // Another login session named: this one is untouched.
    let r = emu
        .control(
            "/_emulator/login-user",
            json!({ "owner_id": USER2, "login": "nobody" }),
        )
        .await;
    assert_eq!(r["switched"], 0);
    assert_eq!(silent_owner(&emu, &cookie).await.as_deref(), Some(USER1));
    // This one by its cookie's value, then every live one.
    let id = cookie.split_once('=').unwrap().1;
    let r = emu
        .control(
            "/_emulator/login-user",
            json!({ "owner_id": USER2, "login": id }),
        )
        .await;
    assert_eq!(r["switched"], 1);
    assert_eq!(silent_owner(&emu, &cookie).await.as_deref(), Some(USER2));
    let r = emu
        .control("/_emulator/login-user", json!({ "owner_id": USER1 }))
        .await;
    assert!(r["switched"].as_u64().unwrap() >= 1);
    assert_eq!(silent_owner(&emu, &cookie).await.as_deref(), Some(USER1));
    // Tokens already issued keep their owner.
    let r = emu
        .refresh(str_of(&before, "refresh_token"), &[])
        .await
        .json();
    assert_eq!(str_of(&r, "owner_id"), USER1);
    // An unknown user is a 400 naming it.
    let r = emu
        .send(
            "POST",
            "/_emulator/login-user",
            &[("Content-Type", "application/json")],
            br#"{"owner_id":"7"}"#,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    assert!(r.text().contains("unknown owner_id: 7"));
}
