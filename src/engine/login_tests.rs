//! Getting a session (engine/login.rs), one decision per test: the authorize request and its transaction, the
//! callback's decision, the code exchange and its one nonce resend, a popup's outcomes.

use super::tests::seeded;
use super::*;
use crate::protocol::handover_message::Kind;
use crate::protocol::{parse_redirect, Flow, Transaction};
use sha2::{Digest, Sha256};

const T0: f64 = 1_700_000_000_000.0;
const POPUP: CallId = 7;

fn cfg() -> Config {
    let mut c = Config::with_defaults("app", "https://platform.example.com", "https://app.example.com/cb").unwrap();
    c.silent_renew = false;
    c
}

struct T(Engine);

impl T {
    fn new(c: Config) -> T {
        let mut t = T(Engine::new(c, Caps { shared: false, locks: false }, seeded()));
        let c = t.go(T0, Input::Start { ready: 0, storage_problem: None });
        let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
        t.go(T0, Input::Loaded { op, result: Ok(None) });
        t
    }

    fn go(&mut self, now: f64, i: Input) -> Vec<Command> {
        self.0.handle(Instant::from_ms(now), i);
        std::iter::from_fn(|| self.0.poll()).collect()
    }

    /// `loginPopup()` up to the popup showing the authorize page: its URL and state.
    fn popup(&mut self, timeout_s: Option<f64>) -> (String, String, u32) {
        let c = self.go(T0, Input::Login { call: POPUP, kind: Kind::Popup, timeout_s });
        let text = digest_asked(&c, POPUP).expect("the verifier is hashed first");
        let c = self.go(T0, Input::Digested { call: POPUP, digest: Ok(sha(&text)) });
        c.iter()
            .find_map(|c| match c {
                Command::Authorize { call: POPUP, kind: Kind::Popup, url, state, timeout_ms } => Some((url.clone(), state.clone(), *timeout_ms)),
                _ => None,
            })
            .expect("the popup is shown the authorize page")
    }

    /// A token answer stored and adopted: the commands up to the login's settle.
    fn saved(&mut self, c: &[Command]) -> Vec<Command> {
        let op = c.iter().find_map(|c| if let Command::Save { op, .. } = c { Some(*op) } else { None }).expect("stored first");
        self.go(T0 + 2.0, Input::Saved { op, result: Ok(()) })
    }
}

fn sha(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

fn digest_asked(c: &[Command], call: CallId) -> Option<String> {
    c.iter().find_map(|c| match c {
        Command::Digest { call: k, text } if *k == call => Some(text.expose().to_string()),
        _ => None,
    })
}

fn exchange(c: &[Command]) -> Option<(String, Option<Proof>)> {
    c.iter().find_map(|c| match c {
        Command::ExchangeCode { form, proof, .. } => Some((form.clone(), proof.clone())),
        _ => None,
    })
}

fn settled(c: &[Command], call: CallId) -> Option<Result<Value, Error>> {
    c.iter().find_map(|c| match c {
        Command::Settle { call: k, result } if *k == call => Some(result.clone()),
        _ => None,
    })
}

fn param(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    crate::protocol::parse_form(q).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn tokens(kind: &str) -> TokenSet {
    TokenSet {
        access_token: Secret::new("a1"),
        token_type: kind.into(),
        issued_at_ms: T0,
        expires_at_ms: T0 + 3_600_000.0,
        refresh_token: Some(Secret::new("r1")),
        refresh_expires_at_ms: None,
        scope: None,
        owner_id: Some("1".into()),
        endpoint_id: None,
        session_id: None,
        lineage: Default::default(),
    }
}

/// The transaction `loginUrl()` stored, and the URL it resolved with.
fn redirect_login(t: &mut T) -> (Transaction, String) {
    let c = t.go(T0, Input::Login { call: 3, kind: Kind::Redirect, timeout_s: None });
    let text = digest_asked(&c, 3).expect("PKCE: the verifier is hashed");
    let c = t.go(T0, Input::Digested { call: 3, digest: Ok(sha(&text)) });
    let tx = c
        .iter()
        .find_map(|c| if let Command::SaveTransaction { call: 3, tx } = c { Some(tx.clone()) } else { None })
        .expect("the transaction is stored before the URL is handed out");
    assert!(settled(&c, 3).is_none(), "not before it is stored");
    let c = t.go(T0, Input::TransactionSaved { call: 3, result: Ok(()) });
    let Some(Ok(Value::Text(url))) = settled(&c, 3) else { panic!("{c:?}") };
    (tx, url)
}

#[test]
fn login_url_carries_a_fresh_state_and_the_s256_challenge_of_the_stored_verifier() {
    let mut t = T::new(cfg());
    let (tx, url) = redirect_login(&mut t);
    let verifier = tx.verifier.as_ref().unwrap().expose().to_string();
    assert!(crate::protocol::is_valid_verifier(&verifier));
    assert_eq!((tx.flow, tx.created_at_ms, tx.redirect_uri.as_str()), (Flow::Pkce, T0, "https://app.example.com/cb"));
    assert_eq!(param(&url, "state").as_deref(), Some(tx.state.as_str()));
    assert_eq!(param(&url, "code_challenge"), Some(crate::protocol::base64url_nopad(&sha(&verifier))));
    assert_eq!(param(&url, "code_challenge_method").as_deref(), Some("S256"));
    // Each login draws its own state and verifier.
    let (tx2, _) = redirect_login(&mut t);
    assert_ne!(tx2.state, tx.state);
    assert_ne!(tx2.verifier, tx.verifier);
}

#[test]
fn the_implicit_flow_hashes_nothing_and_a_failed_step_rejects_the_call() {
    let mut c = cfg();
    c.flow = Flow::Implicit;
    let mut t = T::new(c);
    let out = t.go(T0, Input::Login { call: 3, kind: Kind::Redirect, timeout_s: None });
    assert!(digest_asked(&out, 3).is_none());
    assert!(out.iter().any(|c| matches!(c, Command::SaveTransaction { call: 3, tx } if tx.verifier.is_none())));
    let out = t.go(T0, Input::TransactionSaved { call: 3, result: Err(Error::new(ErrorCode::StorageUnavailable)) });
    assert_eq!(settled(&out, 3).unwrap().unwrap_err().code, ErrorCode::StorageUnavailable);
    // The browser could not hash: the call rejects with its reason.
    let mut t = T::new(cfg());
    t.go(T0, Input::Login { call: 4, kind: Kind::Redirect, timeout_s: None });
    let out = t.go(T0, Input::Digested { call: 4, digest: Err(Error::new(ErrorCode::Other("crypto_unavailable".into()))) });
    assert_eq!(settled(&out, 4).unwrap().unwrap_err().code.as_str(), "crypto_unavailable");
}

#[test]
fn a_callback_with_its_transaction_cleans_the_url_then_exchanges_the_code_with_the_verifier() {
    let mut t = T::new(cfg());
    let (tx, _) = redirect_login(&mut t);
    let href = format!("https://app.example.com/cb?code=c1&state={}", tx.state);
    let response = parse_redirect(&format!("?code=c1&state={}", tx.state), "");
    let c = t.go(T0 + 1.0, Input::Callback { call: 9, href, response, tx: Ok(Some(tx.clone())) });
    assert!(matches!(&c[0], Command::ReplaceUrl { url } if url == "https://app.example.com/cb"), "the URL is cleaned first: {c:?}");
    let (form, proof) = exchange(&c).expect("the code is exchanged");
    assert!(form.contains("grant_type=authorization_code") && form.contains("code=c1"));
    assert!(form.contains(&format!("code_verifier={}", tx.verifier.unwrap().expose())));
    assert_eq!(proof, None);
    let c = t.go(T0 + 2.0, Input::Exchanged { call: 9, result: Ok(tokens("bearer")), dpop_nonce: None });
    let c = t.saved(&c);
    assert_eq!(settled(&c, 9), Some(Ok(Value::Bool(true))));
    assert!(t.0.is_logged_in(Instant::from_ms(T0 + 3.0)));
}

#[test]
fn a_callback_that_is_not_ours_resolves_false_and_leaves_the_url() {
    let mut t = T::new(cfg());
    let href = "https://app.example.com/cb?error=access_denied&state=guess".to_string();
    let response = parse_redirect("?error=access_denied&state=guess", "");
    let c = t.go(T0, Input::Callback { call: 9, href, response, tx: Ok(None) });
    assert!(!c.iter().any(|c| matches!(c, Command::ReplaceUrl { .. })));
    assert_eq!(settled(&c, 9), Some(Ok(Value::Bool(false))));
    // A code without its transaction: cleaned, and rejected (state_mismatch); nothing exchanged.
    let response = parse_redirect("?code=c1&state=guess", "");
    let c = t.go(T0, Input::Callback { call: 10, href: "https://app.example.com/cb?code=c1&state=guess".into(), response, tx: Ok(None) });
    assert!(c.iter().any(|c| matches!(c, Command::ReplaceUrl { .. })));
    assert_eq!(settled(&c, 10).unwrap().unwrap_err().code, ErrorCode::StateMismatch);
    assert!(exchange(&c).is_none());
    // Storage could not be read: the URL is still cleaned, and the storage's error is the answer.
    let response = parse_redirect("?code=c1&state=s", "");
    let c = t.go(T0, Input::Callback { call: 11, href: "https://app.example.com/cb?code=c1&state=s".into(), response, tx: Err(Error::new(ErrorCode::StorageUnavailable)) });
    assert!(c.iter().any(|c| matches!(c, Command::ReplaceUrl { .. })));
    assert_eq!(settled(&c, 11).unwrap().unwrap_err().code, ErrorCode::StorageUnavailable);
}

#[test]
fn a_callback_waits_for_the_restore() {
    let mut t = T(Engine::new(cfg(), Caps { shared: false, locks: false }, seeded()));
    let response = parse_redirect("?error=x&state=s", "");
    let c = t.go(T0, Input::Callback { call: 9, href: "https://app.example.com/cb?error=x&state=s".into(), response, tx: Ok(None) });
    assert!(c.is_empty(), "{c:?}");
    let c = t.go(T0, Input::Start { ready: 0, storage_problem: None });
    let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Ok(None) });
    assert_eq!(settled(&c, 9), Some(Ok(Value::Bool(false))));
}

#[test]
fn popup_timeout_is_chosen_in_one_place() {
    assert_eq!(popup_timeout_ms(None, 300), 300_000);
    assert_eq!(popup_timeout_ms(Some(5.0), 300), 5_000);
    assert_eq!(popup_timeout_ms(Some(5.9), 300), 5_000);
    for bad in [0.0, 0.5, -3.0, 1e6, f64::NAN, f64::INFINITY] {
        assert_eq!(popup_timeout_ms(Some(bad), 300), 300_000, "{bad}");
    }
    // A configured "for ever" stays within what a browser timer holds (2^31 - 1 ms), never an at-once timeout.
    for huge in [2_147_484, 3_000_000, u32::MAX] {
        assert_eq!(popup_timeout_ms(None, huge), 999_999_000, "{huge}");
        assert_eq!(popup_timeout_ms(Some(f64::NAN), huge), 999_999_000, "{huge}");
    }
    let mut t = T::new(cfg());
    let (url, state, timeout_ms) = t.popup(Some(20.0));
    assert_eq!(timeout_ms, 20_000);
    assert!(state.starts_with(crate::protocol::handover_message::POPUP), "a popup's state says so: {state}");
    assert_eq!(param(&url, "state"), Some(state));
}

#[test]
fn a_popup_hand_over_is_checked_against_this_windows_transaction_then_exchanged() {
    let mut t = T::new(cfg());
    let (_, state, _) = t.popup(None);
    // An error without our state is not an answer to this login: keep waiting.
    let c = t.go(T0, Input::Handover { call: POPUP, response: parse_redirect("?error=access_denied&state=other", "") });
    assert!(c.is_empty(), "{c:?}");
    let c = t.go(T0, Input::Handover { call: POPUP, response: parse_redirect(&format!("?code=c9&state={state}"), "") });
    let (form, _) = exchange(&c).expect("exchanged");
    assert!(form.contains("code=c9") && form.contains("code_verifier="));
    // A second hand-over while exchanging changes nothing.
    assert!(t.go(T0, Input::Handover { call: POPUP, response: parse_redirect(&format!("?code=c9&state={state}"), "") }).is_empty());
    let c = t.go(T0 + 1.0, Input::Exchanged { call: POPUP, result: Ok(tokens("bearer")), dpop_nonce: None });
    assert!(c.iter().any(|c| matches!(c, Command::EndLogin { call: POPUP })), "the popup goes: {c:?}");
    let c = t.saved(&c);
    assert_eq!(settled(&c, POPUP), Some(Ok(Value::Unit)), "loginPopup() resolves with nothing");
}

#[test]
fn a_popup_with_the_wrong_state_is_rejected_and_ends() {
    let mut t = T::new(cfg());
    t.popup(None);
    let c = t.go(T0, Input::Handover { call: POPUP, response: parse_redirect("?code=c9&state=p.forged", "") });
    assert_eq!(settled(&c, POPUP).unwrap().unwrap_err().code, ErrorCode::StateMismatch);
    assert!(c.iter().any(|c| matches!(c, Command::EndLogin { call: POPUP })));
    assert!(exchange(&c).is_none());
}

#[test]
fn a_closed_popup_rejects_and_a_late_hand_over_still_logs_in_until_the_timeout() {
    let mut t = T::new(cfg());
    let (_, state, _) = t.popup(None);
    let c = t.go(T0 + 5.0, Input::PopupClosed { call: POPUP, back: false });
    let e = settled(&c, POPUP).unwrap().unwrap_err();
    assert_eq!(e.code.as_str(), "popup_closed");
    assert!(e.description.unwrap().contains("check that this redirectUri is registered"));
    assert!(!c.iter().any(|c| matches!(c, Command::EndLogin { .. })), "still listening");
    let c = t.go(T0 + 9.0, Input::Handover { call: POPUP, response: parse_redirect(&format!("?code=c9&state={state}"), "") });
    assert!(exchange(&c).is_some());
    let c = t.go(T0 + 9.0, Input::Exchanged { call: POPUP, result: Ok(tokens("bearer")), dpop_nonce: None });
    let c = t.saved(&c);
    assert!(settled(&c, POPUP).is_none(), "the call was settled already");
    assert!(c.iter().any(|c| matches!(c, Command::Emit(SessionEvent::Login(_)))), "the app hears login");
    // Closed, then the timeout: the login is forgotten quietly.
    let mut t = T::new(cfg());
    t.popup(None);
    let e = settled(&t.go(T0, Input::PopupClosed { call: POPUP, back: true }), POPUP).unwrap().unwrap_err();
    assert!(e.description.unwrap().contains("does that page call handleRedirect()"));
    let c = t.go(T0 + 300_000.0, Input::LoginTimedOut { call: POPUP });
    assert!(settled(&c, POPUP).is_none());
    assert!(c.iter().any(|c| matches!(c, Command::EndLogin { call: POPUP })));
}

#[test]
fn a_popup_that_never_answers_times_out() {
    let mut t = T::new(cfg());
    t.popup(Some(2.0));
    let c = t.go(T0 + 2_000.0, Input::LoginTimedOut { call: POPUP });
    let e = settled(&c, POPUP).unwrap().unwrap_err();
    assert_eq!((e.code, e.description.as_deref()), (ErrorCode::Timeout, Some("the popup login did not finish in time")));
    assert!(c.iter().any(|c| matches!(c, Command::EndLogin { call: POPUP })));
    // A popup the browser could not navigate fails with the browser's reason.
    let mut t = T::new(cfg());
    t.popup(None);
    let c = t.go(T0, Input::LoginFailed { call: POPUP, error: Error::new(ErrorCode::Other("popup_blocked".into())) });
    assert_eq!(settled(&c, POPUP).unwrap().unwrap_err().code.as_str(), "popup_blocked");
}

#[test]
fn the_code_exchange_earns_one_resend_with_the_servers_nonce_and_dpop_true_refuses_bearer() {
    let mut c = cfg();
    c.dpop = true;
    let mut t = T::new(c);
    let (_, state, _) = t.popup(None);
    let out = t.go(T0, Input::Handover { call: POPUP, response: parse_redirect(&format!("?code=c9&state={state}"), "") });
    let (form, proof) = exchange(&out).unwrap();
    assert_eq!(proof, Some(Proof { nonce: None }));
    let demand = || Err(Error::new(ErrorCode::Other(crate::protocol::dpop_proof::USE_DPOP_NONCE.into())).with_status(400));
    let out = t.go(T0, Input::Exchanged { call: POPUP, result: demand(), dpop_nonce: Some("n1".into()) });
    let (again, proof) = exchange(&out).expect("one resend");
    assert_eq!((again, proof), (form, Some(Proof { nonce: Some("n1".into()) })));
    // A second demand is the answer.
    let out = t.go(T0, Input::Exchanged { call: POPUP, result: demand(), dpop_nonce: None });
    assert!(exchange(&out).is_none());
    assert_eq!(settled(&out, POPUP).unwrap().unwrap_err().code.as_str(), "use_dpop_nonce");
    // dpop: true and bearer tokens: refused, never stored.
    let mut c = cfg();
    c.dpop = true;
    let mut t = T::new(c);
    let (_, state, _) = t.popup(None);
    t.go(T0, Input::Handover { call: POPUP, response: parse_redirect(&format!("?code=c9&state={state}"), "") });
    let out = t.go(T0, Input::Exchanged { call: POPUP, result: Ok(tokens("bearer")), dpop_nonce: None });
    assert_eq!(settled(&out, POPUP).unwrap().unwrap_err().code.as_str(), dpop_policy::DPOP_DOWNGRADE);
    assert!(!out.iter().any(|c| matches!(c, Command::Save { .. })));
}

#[test]
fn a_silent_renewals_frame_asks_prompt_none_and_its_refusal_goes_to_the_renewal() {
    let mut t = T::new(cfg());
    let c = t.go(T0, Input::Login { call: FRAME_CALL, kind: Kind::Frame, timeout_s: None });
    let text = digest_asked(&c, FRAME_CALL).unwrap();
    let c = t.go(T0, Input::Digested { call: FRAME_CALL, digest: Ok(sha(&text)) });
    let (url, state) = c
        .iter()
        .find_map(|c| match c {
            Command::Authorize { call: FRAME_CALL, kind: Kind::Frame, url, state, .. } => Some((url.clone(), state.clone())),
            _ => None,
        })
        .expect("the frame is shown the authorize URL");
    assert_eq!(param(&url, "prompt").as_deref(), Some("none"));
    assert!(state.starts_with(crate::protocol::handover_message::FRAME));
    // The server needs the user: the frame goes, and no app call is settled (the renewal decides what follows).
    let c = t.go(T0, Input::Handover { call: FRAME_CALL, response: parse_redirect(&format!("?error=login_required&state={state}"), "") });
    assert!(c.iter().any(|c| matches!(c, Command::EndLogin { call: FRAME_CALL })), "{c:?}");
    assert!(!c.iter().any(|c| matches!(c, Command::Settle { .. })), "{c:?}");
}
