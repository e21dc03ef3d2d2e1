//! DPoP's decisions against the engine with a fake clock: which request carries a proof and which nonce, the
//! one retry a `use_dpop_nonce` earns (token endpoint and resource), and when the key goes.

use super::*;
use super::tests::seeded;
use crate::protocol::dpop_proof::USE_DPOP_NONCE;
use crate::protocol::{Error, ErrorCode, Secret, TokenSet};

const T0: f64 = 1_700_000_000_000.0;
const HOUR: f64 = 3_600_000.0;
const AS: &str = "https://as.example";
const RS: &str = "https://rs.example";
const SOLO: Caps = Caps { shared: false, locks: true };

fn cfg(dpop: bool) -> Config {
    let mut c = Config::with_defaults("app", AS, "https://app.example/cb").unwrap();
    c.refresh_tokens = true;
    c.api_origins.push(RS.into());
    c.dpop = dpop;
    c
}

fn tokens(at: &str, rt: &str, kind: &str) -> TokenSet {
    TokenSet {
        access_token: Secret::new(at),
        token_type: kind.into(),
        issued_at_ms: T0,
        expires_at_ms: T0 + HOUR,
        refresh_token: Some(Secret::new(rt)),
        refresh_expires_at_ms: Some(T0 + 24.0 * HOUR),
        scope: None,
        owner_id: None,
        endpoint_id: None,
        session_id: None,
        lineage: Default::default(),
    }
}

fn use_nonce(status: u16) -> Error {
    Error::new(ErrorCode::Other(USE_DPOP_NONCE.into())).with_status(status)
}

struct T(Engine, super::tests::Last);

use super::tests::LAST;

impl T {
    fn logged_in(dpop: bool, kind: &str) -> T {
        T::logged_in_with(cfg(dpop), kind)
    }

    fn logged_in_with(c: Config, kind: &str) -> T {
        let mut t = T(Engine::new(c, SOLO, seeded()), Default::default());
        let c = t.go(Input::Start { ready: 0, storage_problem: None });
        let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
        t.go(Input::Loaded { op, result: Ok(Some(tokens("a1", "r1", kind))) });
        t
    }

    /// One input and what follows, with storage answering at once (as sessionStorage does).
    fn go(&mut self, i: Input) -> Vec<Command> {
        let i = self.1.fill(i);
        // Everything happens at one moment, but a timer fires at its deadline (never before it).
        let now = match (&i, self.0.poll_timeout()) {
            (Input::Timeout, Some(at)) => at.as_ms().max(T0 + 1.0),
            _ => T0 + 1.0,
        };
        self.0.handle(Instant::from_ms(now), i);
        let mut out: Vec<Command> = Vec::new();
        while let Some(c) = self.0.poll() {
            self.1.note(&c);
            match &c {
                Command::Save { op, .. } => self.0.handle(Instant::from_ms(T0 + 1.0), Input::Saved { op: *op, result: Ok(()) }),
                Command::Clear { op } => self.0.handle(Instant::from_ms(T0 + 1.0), Input::Cleared { op: *op }),
                _ => {}
            }
            out.push(c);
        }
        self.1.saw(&self.0);
        out
    }

    /// A `DPoP-Nonce` from the authorization server (with the answer to a revoke no call waits for).
    fn as_nonce(&mut self, n: &str) {
        self.go(Input::RevokeDone { call: NO_CALL, dpop_nonce: Some(n.into()) });
    }
}

fn token_proofs(c: &[Command]) -> Vec<Option<Proof>> {
    c.iter().filter_map(|c| if let Command::SendToken { proof, .. } = c { Some(proof.clone()) } else { None }).collect()
}

fn api_sends(c: &[Command]) -> Vec<(bool, Option<Proof>)> {
    c.iter().filter_map(|c| if let Command::SendApi { retry, proof, .. } = c { Some((*retry, proof.clone())) } else { None }).collect()
}

fn with(n: &str) -> Option<Proof> {
    Some(Proof { nonce: Some(n.into()) })
}

fn delivered(c: &[Command], call: CallId) -> bool {
    c.iter().any(|c| matches!(c, Command::Deliver { call: x } if *x == call))
}

fn forgets(c: &[Command]) -> Vec<bool> {
    c.iter().filter_map(|c| if let Command::ForgetKey { delete } = c { Some(*delete) } else { None }).collect()
}

#[test]
fn dpop_off_asks_for_no_proof_and_no_key() {
    // Even a token that says "dpop" (stored while the option was on) gets no proof: there is no key to use.
    let mut t = T::logged_in(false, "dpop");
    assert_eq!(api_sends(&t.go(Input::Fetch { call: 9, origin: AS.into() })), vec![(false, None)]);
    let mut t = T::logged_in(false, "bearer");
    t.as_nonce("ignored");
    assert_eq!(token_proofs(&t.go(Input::Refresh { call: 1 })), vec![None]);
    t.go(Input::TokenReply { id: LAST, result: Ok(tokens("a2", "r2", "bearer")), dpop_nonce: None });
    let c = t.go(Input::Fetch { call: 2, origin: AS.into() });
    assert_eq!(api_sends(&c), vec![(false, None)]);
    let c = t.go(Input::Logout { call: 3 });
    assert!(c.iter().any(|c| matches!(c, Command::SendRevoke { proof: None, .. })));
    let c = t.go(Input::RevokeDone { call: 3, dpop_nonce: None });
    assert_eq!(forgets(&c), Vec::<bool>::new());
    assert!(!c.iter().any(|c| matches!(c, Command::Emit(SessionEvent::DpopDowngrade(_)))));
}

#[test]
fn token_requests_carry_a_proof_with_the_token_endpoints_nonce() {
    let mut t = T::logged_in(true, "dpop");
    assert_eq!(token_proofs(&t.go(Input::Refresh { call: 1 })), vec![Some(Proof { nonce: None })]);
    t.go(Input::TokenReply { id: LAST, result: Ok(tokens("a2", "r2", "dpop")), dpop_nonce: None });
    t.as_nonce("n1");
    // The resource server's nonce (with an API answer) is its own.
    t.go(Input::Fetch { call: 50, origin: RS.into() });
    t.go(Input::ApiResponse { call: 50, status: 200, error: None, dpop_nonce: Some("other origin's".into()) });
    assert_eq!(token_proofs(&t.go(Input::Refresh { call: 2 })), vec![with("n1")]);
    assert_eq!(t.0.token_endpoint_nonce().as_deref(), Some("n1"));
}

#[test]
fn use_dpop_nonce_at_the_token_endpoint_is_retried_once_with_the_nonce_never_looped() {
    let mut t = T::logged_in(true, "dpop");
    t.go(Input::Refresh { call: 1 });
    let c = t.go(Input::TokenReply { id: LAST, result: Err(use_nonce(400)), dpop_nonce: Some("n1".into()) });
    assert_eq!(token_proofs(&c), vec![with("n1")], "one resend, with the nonce that came with the answer");
    let c = t.go(Input::TokenReply { id: LAST, result: Err(use_nonce(400)), dpop_nonce: Some("n2".into()) });
    assert_eq!(token_proofs(&c), Vec::<Option<Proof>>::new(), "a second demand is not retried");
    assert!(c.iter().any(|c| matches!(c, Command::Settle { call: 1, result: Err(_) })));
    // The code exchange follows the same rule.
    assert!(retries_with_nonce(&use_nonce(400), true, false));
    assert!(!retries_with_nonce(&use_nonce(400), true, true), "already retried");
    assert!(!retries_with_nonce(&use_nonce(400), false, false), "no nonce came: a resend could not do better");
    assert!(!retries_with_nonce(&Error::new(ErrorCode::InvalidGrant), true, false));
}

#[test]
fn a_resource_nonce_challenge_is_retried_once_with_that_origins_nonce() {
    let mut t = T::logged_in(true, "dpop");
    t.as_nonce("as-nonce");
    let c = t.go(Input::Fetch { call: 7, origin: RS.into() });
    assert_eq!(api_sends(&c), vec![(false, Some(Proof { nonce: None }))], "the AS's nonce is not the RS's");
    let c = t.go(Input::ApiResponse { call: 7, status: 401, error: Some(use_nonce(401)), dpop_nonce: Some("r1".into()) });
    assert_eq!(api_sends(&c), vec![(true, with("r1"))], "resent (body from the kept copy) with the RS's nonce");
    assert_eq!(token_proofs(&c).len(), 0, "a nonce challenge is no reason to refresh");
    let c = t.go(Input::ApiResponse { call: 7, status: 401, error: Some(use_nonce(401)), dpop_nonce: Some("r2".into()) });
    assert!(delivered(&c, 7), "the second challenge reaches the app");
    assert!(api_sends(&c).is_empty() && token_proofs(&c).is_empty());
    // The next call uses the remembered nonce at once.
    assert_eq!(api_sends(&t.go(Input::Fetch { call: 8, origin: RS.into() })), vec![(false, with("r2"))]);
}

#[test]
fn after_the_nonce_retry_an_expired_token_still_gets_its_one_refresh() {
    let mut t = T::logged_in(true, "dpop");
    t.go(Input::Fetch { call: 7, origin: RS.into() });
    t.go(Input::ApiResponse { call: 7, status: 401, error: Some(use_nonce(401)), dpop_nonce: Some("r1".into()) });
    let c = t.go(Input::ApiResponse { call: 7, status: 401, error: None, dpop_nonce: None });
    assert_eq!(token_proofs(&c).len(), 1, "401 invalid_token: the refresh");
    let c = t.go(Input::TokenReply { id: LAST, result: Ok(tokens("a2", "r2", "dpop")), dpop_nonce: None });
    assert_eq!(api_sends(&c), vec![(true, with("r1"))]);
    let c = t.go(Input::ApiResponse { call: 7, status: 401, error: None, dpop_nonce: None });
    assert!(delivered(&c, 7), "bounded: the retried call's 401 goes to the app");
}

fn prefer() -> Config {
    let mut c = cfg(true);
    c.dpop_prefer = true;
    c
}

fn saves(c: &[Command]) -> usize {
    c.iter().filter(|c| matches!(c, Command::Save { .. })).count()
}

fn is_downgrade(r: &Option<Result<Value, Error>>) -> bool {
    matches!(r, Some(Err(e)) if e.code.as_str() == dpop_policy::DPOP_DOWNGRADE && !e.retryable)
}

/// `dpop: true` fails closed: a bearer answer to a refresh with a proof is never stored nor used; the refresh
/// rejects with `dpop_downgrade` and the session ends (`expired` with that error), as on any terminal answer.
#[test]
fn dpop_true_refuses_a_bearer_refresh_answer() {
    let mut t = T::logged_in(true, "dpop");
    t.go(Input::Refresh { call: 1 });
    let c = t.go(Input::TokenReply { id: LAST, result: Ok(tokens("a2", "r2", "bearer")), dpop_nonce: None });
    assert_eq!(saves(&c), 0, "nothing stored: {c:?}");
    assert!(!c.iter().any(|c| matches!(c, Command::Emit(SessionEvent::DpopDowngrade(_)))));
    // The refresh call rejects like every call that finds the session over (login_required, naming why).
    let settled = c.iter().find_map(|c| match c {
        Command::Settle { call: 1, result: Err(e) } => Some(e.clone()),
        _ => None,
    });
    assert!(settled.is_some_and(|e| e.code == ErrorCode::LoginRequired && e.description.unwrap_or_default().contains(dpop_policy::DPOP_DOWNGRADE)));
    let code = |e: &Error| e.code.as_str() == dpop_policy::DPOP_DOWNGRADE && !e.retryable;
    assert!(c.iter().any(|c| matches!(c, Command::Emit(SessionEvent::RefreshError(e)) if code(e))), "{c:?}");
    assert!(c.iter().any(|c| matches!(c, Command::Emit(SessionEvent::Expired(Some(e))) if code(e))), "{c:?}");
    assert!(t.0.token_info().is_none(), "the session is over");
    let c = t.go(Input::Fetch { call: 2, origin: AS.into() });
    assert!(api_sends(&c).iter().all(|(_, p)| p.is_some()), "no bearer send: {c:?}");
}

/// A login (code exchange) or a silent renewal answered with bearer tokens: refused, nothing stored.
#[test]
fn dpop_true_refuses_a_bearer_login_and_silent_renewal() {
    let mut t = T(Engine::new(cfg(true), SOLO, seeded()), Default::default());
    let c = t.go(Input::Start { ready: 0, storage_problem: None });
    let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
    t.go(Input::Loaded { op, result: Ok(None) });
    let c = t.go(Input::LoggedIn { call: 5, tokens: tokens("a1", "r1", "bearer") });
    assert_eq!(saves(&c), 0);
    assert!(is_downgrade(&c.iter().find_map(|c| match c {
        Command::Settle { call: 5, result } => Some(result.clone()),
        _ => None,
    })), "{c:?}");
    assert!(t.0.token_info().is_none());
    // 'prefer' takes the same answer.
    let mut p = T(Engine::new(prefer(), SOLO, seeded()), Default::default());
    let c = p.go(Input::Start { ready: 0, storage_problem: None });
    let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
    p.go(Input::Loaded { op, result: Ok(None) });
    let c = p.go(Input::LoggedIn { call: 5, tokens: tokens("a1", "r1", "bearer") });
    assert_eq!(saves(&c), 1);
    assert!(c.iter().any(|c| matches!(c, Command::Emit(SessionEvent::DpopDowngrade(_)))));

    // A silent renewal (no refresh token) whose exchange came back bearer.
    let mut c0 = cfg(true);
    c0.refresh_tokens = false;
    c0.silent_renew = true;
    let mut t = T(Engine::new(c0, SOLO, seeded()), Default::default());
    let c = t.go(Input::Start { ready: 0, storage_problem: None });
    let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
    let mut first = tokens("a1", "r1", "dpop");
    first.refresh_token = None;
    first.refresh_expires_at_ms = None;
    t.go(Input::Loaded { op, result: Ok(Some(first)) });
    let c = t.go(Input::Renew { call: 6 });
    assert!(c.iter().any(|c| matches!(c, Command::Digest { call: FRAME_CALL, .. })), "the frame login starts: {c:?}");
    let mut renewed = tokens("a2", "r2", "bearer");
    renewed.refresh_token = None;
    let c = t.go(Input::SilentDone { id: LAST, result: Ok(renewed) });
    assert_eq!(saves(&c), 0, "{c:?}");
    assert!(is_downgrade(&c.iter().find_map(|c| match c {
        Command::Settle { call: 6, result } => Some(result.clone()),
        _ => None,
    })), "{c:?}");
    assert_eq!(t.0.token_info().map(|i| i.dpop), Some(true), "the DPoP pair it had stays");
}

#[test]
fn a_bearer_token_gets_no_proof_and_the_downgrade_is_announced() {
    // `dpop: 'prefer'`: the downgrade is taken.
    let mut t = T::logged_in_with(prefer(), "dpop");
    t.go(Input::Refresh { call: 1 });
    let c = t.go(Input::TokenReply { id: LAST, result: Ok(tokens("a2", "r2", "bearer")), dpop_nonce: None });
    assert!(c.iter().any(|c| matches!(c, Command::Emit(SessionEvent::DpopDowngrade(i)) if !i.dpop)));
    let c = t.go(Input::Fetch { call: 2, origin: AS.into() });
    assert_eq!(api_sends(&c), vec![(false, None)], "sent as a bearer token, no proof");
    assert_eq!(token_proofs(&t.go(Input::Refresh { call: 3 })), vec![Some(Proof { nonce: None })], "token requests still offer DPoP");
    let c = t.go(Input::TokenReply { id: LAST, result: Ok(tokens("a3", "r3", "dpop")), dpop_nonce: None });
    assert!(!c.iter().any(|c| matches!(c, Command::Emit(SessionEvent::DpopDowngrade(_)))));
}

#[test]
fn logout_deletes_the_key_first_then_revokes_with_a_proof_other_tabs_drop_theirs() {
    let mut t = T::logged_in(true, "dpop");
    t.as_nonce("n1");
    let c = t.go(Input::Logout { call: 4 });
    // Issue 20 (item 5): the key is deleted before storage is cleared and the revoke is sent (the browser layer
    // keeps it in memory for that revoke's proof), not after the revoke returns: a tab closed meanwhile, or a
    // revoke that never returns, left the key behind.
    assert_eq!(forgets(&c), vec![true]);
    let at = |f: fn(&Command) -> bool| c.iter().position(f).unwrap();
    let forget = at(|c| matches!(c, Command::ForgetKey { delete: true }));
    assert!(forget < at(|c| matches!(c, Command::Clear { .. })), "{c:?}");
    assert!(forget < at(|c| matches!(c, Command::SendRevoke { .. })), "{c:?}");
    assert!(c.iter().any(|c| matches!(c, Command::SendRevoke { proof: Some(p), .. } if p.nonce.as_deref() == Some("n1"))));
    assert_eq!(forgets(&t.go(Input::RevokeDone { call: 4, dpop_nonce: None })), Vec::<bool>::new(), "nothing left to delete");

    let mut other = T(Engine::new(cfg(true), Caps { shared: true, locks: true }, seeded()), Default::default());
    let c = other.go(Input::Start { ready: 0, storage_problem: None });
    let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
    other.go(Input::Loaded { op, result: Ok(Some(tokens("a1", "r1", "dpop"))) });
    assert_eq!(forgets(&other.go(Input::Broadcast(Notice::Logout(None)))), vec![false], "keeps nothing of the old key");

    // A tab that missed the logout and later reads a pair of another login drops its key too.
    let mut missed = T(Engine::new(cfg(true), Caps { shared: true, locks: true }, seeded()), Default::default());
    let c = missed.go(Input::Start { ready: 0, storage_problem: None });
    let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
    missed.go(Input::Loaded { op, result: Ok(Some(tokens("a1", "r1", "dpop"))) });
    let c = missed.go(Input::Broadcast(Notice::Login));
    let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
    let mut relogin = tokens("b1", "s1", "dpop");
    relogin.lineage.since_ms = T0 + 1.0;
    assert_eq!(forgets(&missed.go(Input::Loaded { op, result: Ok(Some(relogin)) })), vec![false]);
    // A refresh of the same login keeps it.
    let c = missed.go(Input::Broadcast(Notice::Refresh));
    let op = c.iter().find_map(|c| if let Command::Load { op } = c { Some(*op) } else { None }).unwrap();
    let mut next = tokens("b2", "s2", "dpop");
    next.lineage = crate::protocol::Lineage { since_ms: T0 + 1.0, seq: 1 };
    assert_eq!(forgets(&missed.go(Input::Loaded { op, result: Ok(Some(next)) })), Vec::<bool>::new());
}

#[test]
fn calls_to_other_origins_are_untouched_and_forgotten() {
    let mut t = T::logged_in(true, "dpop");
    let c = t.go(Input::Fetch { call: 9, origin: "https://elsewhere.example".into() });
    assert_eq!(api_sends(&c), vec![(false, None)]);
    t.go(Input::Fetch { call: 10, origin: RS.into() });
    t.go(Input::ApiResponse { call: 10, status: 200, error: None, dpop_nonce: None });
    assert!(t.0.dpop.calls.is_empty(), "no call's origin is kept after it was delivered");
}

/// Regression (oss-sim): the one nonce resend was counted per refresh, not per request, so a backoff retry
/// (after a 5xx; the tab asleep meanwhile, its nonce stale) whose proof the server refused with use_dpop_nonce
/// ended the session as a terminal error.
#[test]
fn each_backoff_retry_of_a_refresh_earns_its_own_nonce_resend() {
    let mut t = T::logged_in(true, "dpop");
    t.go(Input::Refresh { call: 1 });
    let c = t.go(Input::TokenReply { id: LAST, result: Err(use_nonce(400)), dpop_nonce: Some("n1".into()) });
    assert_eq!(token_proofs(&c), vec![with("n1")]);
    let busy = Error::new(ErrorCode::ServerError).with_status(503).with_retryable(true);
    t.go(Input::TokenReply { id: LAST, result: Err(busy), dpop_nonce: None });
    let c = t.go(Input::Timeout);
    assert_eq!(token_proofs(&c), vec![with("n1")], "the backoff retry");
    let c = t.go(Input::TokenReply { id: LAST, result: Err(use_nonce(400)), dpop_nonce: Some("n2".into()) });
    assert_eq!(token_proofs(&c), vec![with("n2")], "its own nonce resend");
    assert!(!c.iter().any(|c| matches!(c, Command::Settle { call: 1, result: Err(_) })));
}
