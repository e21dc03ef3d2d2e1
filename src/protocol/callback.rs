//! What `handleRedirect` does with an authorization response: the decision, given the parsed URL, the login
//! transaction stored under its `state` (if any) and the config. The browser layer (`web/login_io.rs`) only looks
//! the transaction up, cleans the URL and carries the answer out.
//!
//! The rules, in order:
//! * no response in the URL → [`Callback::NotOurs`];
//! * an `error` response needs a pending, fresh transaction with the same `state`: otherwise it did not answer a
//!   login of ours → `NotOurs` (its text is never reported), unless the URL also carries a code or a token, which
//!   must leave the URL → `Reject(state_mismatch)`;
//! * a code or an implicit token without a matching transaction → `Reject(state_mismatch)`;
//! * a transaction older than 10 minutes → `Reject(state_mismatch)`;
//! * with `issuer` configured, `iss` must be present and equal, byte for byte (RFC 9207) → else
//!   `Reject(issuer_mismatch)`; without `issuer`, `iss` is not checked;
//! * the response kind must be the transaction's flow: a code answers only a PKCE login, tokens in the fragment
//!   answer only an implicit one → else `Reject(state_mismatch)` (flow confusion: an implicit token injected
//!   into a PKCE session would skip PKCE's proof, a code for an implicit session would be exchanged without a
//!   verifier);
//! * then the server's error is reported, the code exchanged or the implicit tokens read.

use super::config::{Config, Flow};
use super::error::{Error, ErrorCode};
use super::redirect::{check_state, Redirect};
use super::secret::Secret;
use super::transaction::Transaction;

#[cfg_attr(test, derive(Debug))]
pub enum Callback {
    /// Not an answer to a login of this session: resolve `false` and leave the URL as it is.
    NotOurs,
    /// Clean the URL and reject with this error. Nothing is exchanged or stored.
    Reject(Error),
    /// Clean the URL and exchange the code (PKCE: with the transaction's verifier).
    Exchange { code: Secret, verifier: Option<Secret> },
    /// Clean the URL and read the tokens from these fragment parameters (`token::from_implicit`).
    Implicit { params: Vec<(String, String)> },
}

impl Callback {
    /// Whether the URL must be cleaned (`history.replaceState(clean_url(href))`) before anything else.
    pub fn cleans_url(&self) -> bool {
        !matches!(self, Callback::NotOurs)
    }
}

fn mismatch(description: &str) -> Callback {
    Callback::Reject(Error::with(ErrorCode::StateMismatch, description))
}

/// `tx` is the transaction stored under the response's `state` (already removed from storage: single use), or
/// `None` when there is none or it could not be read.
pub fn decide_callback(r: Redirect, tx: Option<Transaction>, cfg: &Config, now_ms: f64) -> Callback {
    let (kind, state, iss, credential) = match &r {
        Redirect::None => return Callback::NotOurs,
        Redirect::Error { state, iss, credential, .. } => (None, state, iss, *credential),
        Redirect::Code { state, iss, .. } => (Some(Flow::Pkce), state, iss, true),
        Redirect::Implicit { state, iss, .. } => (Some(Flow::Implicit), state, iss, true),
    };
    // Constant-time comparison with the stored state; no transaction compares against "" and fails.
    let expected = tx.as_ref().map_or("", |t| t.state.as_str());
    let tx = match (check_state(expected, state.as_deref()), tx) {
        (Ok(()), Some(t)) => t,
        (Err(e), _) if credential => return Callback::Reject(e),
        _ if credential => return mismatch("state does not match the login request"),
        _ => return Callback::NotOurs,
    };
    if tx.is_stale(now_ms) {
        return mismatch("the login took longer than 10 minutes; start again");
    }
    if let Some(want) = cfg.issuer.as_deref() {
        match iss {
            None => {
                return Callback::Reject(Error::with(
                    ErrorCode::IssuerMismatch,
                    "iss missing from the authorization response (issuer is configured)",
                ))
            }
            Some(got) if got != want => {
                return Callback::Reject(Error::with(
                    ErrorCode::IssuerMismatch,
                    "iss in the authorization response is not the configured issuer",
                ))
            }
            Some(_) => {}
        }
    }
    match (kind, tx.flow) {
        (Some(Flow::Pkce), Flow::Implicit) => {
            return mismatch("the authorization response carries a code, but this login used the implicit flow")
        }
        (Some(Flow::Implicit), Flow::Pkce) => {
            return mismatch("the authorization response carries implicit-flow tokens, but this login used PKCE")
        }
        _ => {}
    }
    let verifier = tx.verifier.clone();
    match r {
        Redirect::None => Callback::NotOurs,
        Redirect::Error { error, description, .. } => {
            let mut e = Error::new(ErrorCode::from_oauth(&error));
            e.description = description;
            Callback::Reject(e)
        }
        Redirect::Code { code, .. } => Callback::Exchange { code, verifier },
        Redirect::Implicit { params, .. } => Callback::Implicit { params },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::config::tests::{cfg, rc};
    use crate::protocol::redirect::parse_redirect;

    const V: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const S: &str = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";
    const NOW: f64 = 1_700_000_000_000.0;

    fn tx(flow: Flow) -> Transaction {
        Transaction {
            state: S.into(),
            verifier: (flow == Flow::Pkce).then(|| Secret::new(V)),
            flow,
            redirect_uri: "https://app.example/cb".into(),
            created_at_ms: NOW - 1000.0,
        }
    }

    fn with_issuer(iss: &str) -> Config {
        cfg(
            &format!(r#"{{"clientId":"abc","server":"https://platform.ringcentral.com","redirectUri":"https://app.example/cb","issuer":"{}"}}"#, iss),
            true,
        )
        .unwrap()
    }

    fn run(q: &str, h: &str, tx: Option<Transaction>, c: &Config) -> Callback {
        decide_callback(parse_redirect(q, h), tx, c, NOW)
    }

    fn rejected(cb: Callback) -> Error {
        match cb {
            Callback::Reject(e) => e,
            other => panic!("expected a rejection, got {:?}", other),
        }
    }

    #[test]
    fn matching_responses_are_carried_out() {
        match run(&format!("?code=c1&state={}", S), "", Some(tx(Flow::Pkce)), &rc()) {
            Callback::Exchange { code, verifier } => {
                assert_eq!(code.expose(), "c1");
                assert_eq!(verifier.as_ref().map(|v| v.expose()), Some(V));
            }
            other => panic!("{:?}", other),
        }
        match run("", &format!("#access_token=t&expires_in=60&state={}", S), Some(tx(Flow::Implicit)), &rc()) {
            Callback::Implicit { params } => assert!(params.contains(&("access_token".into(), "t".into()))),
            other => panic!("{:?}", other),
        }
        assert!(matches!(run("?page=2", "#/route", None, &rc()), Callback::NotOurs));
    }

    #[test]
    fn flow_confusion_is_rejected_in_both_directions() {
        // A PKCE login answered with implicit tokens in the fragment (they would skip PKCE's proof).
        let e = rejected(run("", &format!("#access_token=injected&token_type=bearer&expires_in=3600&state={}", S), Some(tx(Flow::Pkce)), &rc()));
        assert_eq!(e.code, ErrorCode::StateMismatch);
        assert!(e.description.as_deref().unwrap().contains("implicit-flow tokens, but this login used PKCE"), "{:?}", e);
        // An implicit login answered with a code (it would be exchanged without a verifier).
        let e = rejected(run(&format!("?code=c1&state={}", S), "", Some(tx(Flow::Implicit)), &rc()));
        assert_eq!(e.code, ErrorCode::StateMismatch);
        assert!(e.description.as_deref().unwrap().contains("carries a code, but this login used the implicit flow"), "{:?}", e);
        assert!(run(&format!("?code=c1&state={}", S), "", Some(tx(Flow::Implicit)), &rc()).cleans_url());
    }

    #[test]
    fn error_callbacks_need_a_matching_state() {
        let attacker = "Call+support+at+555-0100";
        for (q, t) in [
            (format!("?error=access_denied&error_description={}", attacker), Some(tx(Flow::Pkce))),
            (format!("?error=access_denied&error_description={}", attacker), None),
            (format!("?error=access_denied&error_description={}&state={}", attacker, S), None),
            (format!("?error=access_denied&error_description={}&state=guess", attacker), Some(tx(Flow::Pkce))),
            (format!("?error=access_denied&error_description={}&state={}x", attacker, S), Some(tx(Flow::Pkce))),
        ] {
            let cb = run(&q, "", t, &rc());
            assert!(matches!(cb, Callback::NotOurs), "{} → {:?}", q, cb);
            assert!(!cb.cleans_url());
        }
        // With its state, the server's error and text are reported (and the URL cleaned).
        let cb = run(&format!("?error=access_denied&error_description=The+user+denied&state={}", S), "", Some(tx(Flow::Pkce)), &rc());
        assert!(cb.cleans_url());
        let e = rejected(cb);
        assert_eq!(e.code, ErrorCode::AccessDenied);
        assert_eq!(e.description.as_deref(), Some("The user denied"));
        // An implicit login's error arrives in the fragment.
        let e = rejected(run("", &format!("#error=login_required&state={}", S), Some(tx(Flow::Implicit)), &rc()));
        assert_eq!(e.code, ErrorCode::LoginRequired);
        // An error next to a code or token without our state: the credential must leave the URL, the text is not ours.
        for (q, h) in [("?code=c&error=server_error&error_description=Call+me", ""), ("?error=x&error_description=Call+me", "#access_token=t")] {
            let e = rejected(run(q, h, None, &rc()));
            assert_eq!(e.code, ErrorCode::StateMismatch);
            assert!(!format!("{:?}", e).contains("Call"), "{:?}", e);
        }
    }

    #[test]
    fn codes_and_tokens_without_a_matching_state_are_state_mismatch() {
        for (q, h, t) in [
            ("?code=c".to_string(), String::new(), Some(tx(Flow::Pkce))),
            (format!("?code=c&state={}", S), String::new(), None),
            ("?code=c&state=other".to_string(), String::new(), Some(tx(Flow::Pkce))),
            (String::new(), format!("#access_token=t&state={}", S), None),
            (String::new(), "#access_token=t".to_string(), Some(tx(Flow::Implicit))),
        ] {
            let e = rejected(run(&q, &h, t, &rc()));
            assert_eq!(e.code, ErrorCode::StateMismatch, "{} {}", q, h);
        }
        let mut old = tx(Flow::Pkce);
        old.created_at_ms = NOW - 600_001.0;
        let e = rejected(run(&format!("?code=c&state={}", S), "", Some(old), &rc()));
        assert!(e.description.unwrap().contains("10 minutes"));
    }

    #[test]
    fn issuer_when_configured_must_be_present_and_equal() {
        let c = with_issuer("https://login.example");
        let code = |iss: &str| format!("?code=c&state={}{}", S, iss);
        assert!(matches!(run(&code("&iss=https%3A%2F%2Flogin.example"), "", Some(tx(Flow::Pkce)), &c), Callback::Exchange { .. }));
        for (iss, why) in [
            ("", "missing"),
            ("&iss=https%3A%2F%2Fevil.example", "not the configured issuer"),
            ("&iss=https%3A%2F%2Flogin.example%2F", "not the configured issuer"), // byte for byte: a trailing slash differs
            ("&iss=https%3A%2F%2FLOGIN.example", "not the configured issuer"),
        ] {
            let e = rejected(run(&code(iss), "", Some(tx(Flow::Pkce)), &c));
            assert_eq!(e.code, ErrorCode::IssuerMismatch, "{}", iss);
            assert!(e.description.as_deref().unwrap().contains(why), "{} {:?}", iss, e);
            assert!(!e.description.unwrap().contains("evil"));
        }
        // Implicit tokens and error responses are checked too; a mixed-up server's error text is not reported.
        let e = rejected(run("", &format!("#access_token=t&state={}&iss=https://evil.example", S), Some(tx(Flow::Implicit)), &c));
        assert_eq!(e.code, ErrorCode::IssuerMismatch);
        assert!(matches!(run("", &format!("#access_token=t&state={}&iss=https://login.example", S), Some(tx(Flow::Implicit)), &c), Callback::Implicit { .. }));
        let e = rejected(run(&format!("?error=access_denied&error_description=Call+me&state={}&iss=https://evil.example", S), "", Some(tx(Flow::Pkce)), &c));
        assert_eq!(e.code, ErrorCode::IssuerMismatch);
        assert!(!format!("{:?}", e).contains("Call"));
        // A duplicated iss is parameter pollution.
        let e = rejected(run(&code("&iss=https://login.example&iss=https://evil.example"), "", Some(tx(Flow::Pkce)), &c));
        assert_eq!(e.code, ErrorCode::IssuerMismatch);
    }

    #[test]
    fn without_issuer_iss_is_not_checked() {
        assert_eq!(rc().issuer, None);
        let cb = run(&format!("?code=c&state={}&iss=https%3A%2F%2Fanything.example", S), "", Some(tx(Flow::Pkce)), &rc());
        assert!(matches!(cb, Callback::Exchange { .. }), "{:?}", cb);
    }
}
