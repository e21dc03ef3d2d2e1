//! The README's guarantees, one test each, against the engine with a fake clock. Storage, the token endpoint,
//! locks and broadcasts are answered by hand, so each test shows the exact commands the engine asks for.

use super::*;
use crate::protocol::{Error, ErrorCode, Secret, TokenSet};

/// The engine's entropy in tests: a seeded generator.
pub(super) fn seeded() -> Box<dyn RandomSource> {
    Box::new(crate::protocol::random::test_rng::TestRng(0x9E37_79B9_7F4A_7C15))
}

const T0: f64 = 1_700_000_000_000.0;
const HOUR: f64 = 3_600_000.0;

/// A URL's origin as the browser would give it (the core's parser agrees on these plain URLs).
fn o(url: &str) -> String {
    crate::protocol::origin_of(url).unwrap_or_else(|| "null".into())
}

fn cfg(refresh_tokens: bool) -> Config {
    let mut c = Config::with_defaults("app", "https://platform.example.com", "https://app.example.com/cb").unwrap();
    c.refresh_tokens = refresh_tokens;
    // Today's behaviour without silent renewal; the silent tests turn it on.
    c.silent_renew = false;
    c
}

fn tokens(at: &str, rt: Option<&str>, issued: f64) -> TokenSet {
    TokenSet {
        access_token: Secret::new(at),
        token_type: "bearer".into(),
        issued_at_ms: issued,
        expires_at_ms: issued + HOUR,
        refresh_token: rt.map(Secret::new),
        refresh_expires_at_ms: rt.map(|_| issued + 7.0 * 24.0 * HOUR),
        scope: None,
        owner_id: Some("1".into()),
        endpoint_id: None,
        session_id: None,
        lineage: Default::default(),
    }
}

/// A pair another tab stored after `seq` refreshes of the same login.
fn later(at: &str, rt: &str, issued: f64, seq: u32) -> TokenSet {
    let mut t = tokens(at, Some(rt), issued);
    t.lineage.seq = seq;
    t
}

/// A tab on shared storage holding a1/r1 whose `session.refresh()` (call 5) is on the wire under the lock.
fn refreshing_under_the_lock() -> T {
    let (mut t, _) = T::restored(true, SHARED, Some(tokens("a1", Some("r1"), T0)), T0);
    t.go(T0, Input::Refresh { call: 5 });
    let c = t.go(T0, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    t.go(T0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    t
}

/// Answers the look before a refreshed pair is written (shared storage) with the pair storage still holds.
fn storage_unchanged(t: &mut T, c: Vec<Command>) -> Vec<Command> {
    match load_op(&c) {
        Some(op) => t.go(T0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) }),
        None => c,
    }
}

struct T {
    e: Engine,
    /// The id of the latest token request, silent renewal and lock request the engine asked for.
    last: Last,
}

/// In a test's input: the id of the latest request of that kind (the answers below answer it).
pub(super) const LAST: OpId = OpId::MAX;

#[derive(Default)]
pub(super) struct Last {
    token: OpId,
    silent: OpId,
    lock: OpId,
}

impl Last {
    /// Notes the ids the engine asked with.
    pub(super) fn note(&mut self, c: &Command) {
        match c {
            Command::SendToken { id, .. } => self.token = *id,
            Command::Lock { id, .. } => self.lock = *id,
            _ => {}
        }
    }

    /// Notes the silent renewal the engine waits for (its frame login's outcome comes as its `SilentDone`).
    pub(super) fn saw(&mut self, e: &Engine) {
        if let Some(frame) = e.silent_frame() {
            self.silent = frame;
        }
    }

    /// Fills [`LAST`] in with the latest request's id.
    pub(super) fn fill(&self, i: Input) -> Input {
        let or = |id: OpId, last: OpId| if id == LAST { last } else { id };
        match i {
            Input::TokenReply { id, result, dpop_nonce } => Input::TokenReply { id: or(id, self.token), result, dpop_nonce },
            Input::SilentDone { id, result } => Input::SilentDone { id: or(id, self.silent), result },
            Input::LockGranted { id } => Input::LockGranted { id: or(id, self.lock) },
            Input::LockTimedOut { id } => Input::LockTimedOut { id: or(id, self.lock) },
            other => other,
        }
    }
}

impl T {
    fn new(refresh_tokens: bool, caps: Caps) -> T {
        T { e: Engine::new(cfg(refresh_tokens), caps, seeded()), last: Last::default() }
    }

    fn go(&mut self, now: f64, i: Input) -> Vec<Command> {
        let i = self.last.fill(i);
        self.e.handle(Instant::from_ms(now), i);
        let mut out = Vec::new();
        while let Some(c) = self.e.poll() {
            self.last.note(&c);
            out.push(c);
        }
        self.last.saw(&self.e);
        out
    }

    /// Starts and restores `stored`; returns the commands after the load was answered.
    fn restored(refresh_tokens: bool, caps: Caps, stored: Option<TokenSet>, now: f64) -> (T, Vec<Command>) {
        let mut t = T::new(refresh_tokens, caps);
        let c = t.go(now, Input::Start { ready: 0, storage_problem: None });
        let op = load_op(&c).expect("start loads");
        let c = t.go(now, Input::Loaded { op, result: Ok(stored) });
        (t, c)
    }
}

fn load_op(c: &[Command]) -> Option<OpId> {
    c.iter().find_map(|c| match c {
        Command::Load { op } => Some(*op),
        _ => None,
    })
}

fn save_op(c: &[Command]) -> Option<(OpId, TokenSet)> {
    c.iter().find_map(|c| match c {
        Command::Save { op, tokens } => Some((*op, tokens.clone())),
        _ => None,
    })
}

fn clear_op(c: &[Command]) -> Option<OpId> {
    c.iter().find_map(|c| match c {
        Command::Clear { op } => Some(*op),
        _ => None,
    })
}

fn token_sends(c: &[Command]) -> usize {
    c.iter().filter(|c| matches!(c, Command::SendToken { .. })).count()
}

fn sent_form(c: &[Command]) -> Option<String> {
    c.iter().find_map(|c| match c {
        Command::SendToken { form, .. } => Some(form.clone()),
        _ => None,
    })
}

fn api_sends(c: &[Command]) -> Vec<(CallId, Option<String>, bool)> {
    c.iter()
        .filter_map(|c| match c {
            Command::SendApi { call, token, retry, .. } => Some((*call, token.as_ref().map(|t| t.expose().to_string()), *retry)),
            _ => None,
        })
        .collect()
}

fn events(c: &[Command]) -> Vec<&'static str> {
    c.iter()
        .filter_map(|c| match c {
            Command::Emit(e) => Some(e.name()),
            _ => None,
        })
        .collect()
}

fn settled(c: &[Command], call: CallId) -> Option<Result<Value, Error>> {
    c.iter().find_map(|c| match c {
        Command::Settle { call: k, result } if *k == call => Some(result.clone()),
        _ => None,
    })
}

fn transient() -> Error {
    Error::new(ErrorCode::Network).with_retryable(true)
}

fn terminal() -> Error {
    let mut e = Error::new(ErrorCode::InvalidGrant).with_status(400);
    e.error_code = Some("OAU-210".into());
    e
}

const ALONE: Caps = Caps { shared: false, locks: true };
const SHARED: Caps = Caps { shared: true, locks: true };

#[test]
fn restore_never_fails_and_reports_logged_in() {
    let (_, c) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0 + 1000.0);
    assert_eq!(settled(&c, 0), Some(Ok(Value::Bool(true))));
    // Corrupt data: removed, logged out, no error to the app.
    let mut t = T::new(true, ALONE);
    let c = t.go(T0, Input::Start { ready: 7, storage_problem: None });
    let op = load_op(&c).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Err(Error::new(ErrorCode::CorruptStorage)) });
    assert!(clear_op(&c).is_some());
    assert_eq!(settled(&c, 7), Some(Ok(Value::Bool(false))));
    // A refusing storage: memory from now on, and the app is told.
    let mut t = T::new(true, SHARED);
    let c = t.go(T0, Input::Start { ready: 7, storage_problem: None });
    let op = load_op(&c).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Err(Error::new(ErrorCode::StorageUnavailable)) });
    assert!(c.iter().any(|c| matches!(c, Command::UseMemory)));
    assert_eq!(events(&c), ["storageFallback"]);
    assert!(!t.e.is_shared());
}

#[test]
fn restore_drops_refresh_tokens_the_app_did_not_ask_for() {
    let (t, _) = T::restored(false, ALONE, Some(tokens("a1", Some("r1"), T0)), T0 + 1000.0);
    assert!(!t.e.token_info().unwrap().has_refresh_token);
}

#[test]
fn fetches_before_restore_wait_for_it_and_foreign_origins_never_do() {
    let mut t = T::new(true, ALONE);
    let c = t.go(T0, Input::Start { ready: 0, storage_problem: None });
    let op = load_op(&c).unwrap();
    assert!(t.go(T0, Input::Fetch { call: 1, origin: o("https://platform.example.com/restapi/v1.0/x") }).is_empty());
    let c = t.go(T0, Input::Fetch { call: 2, origin: o("https://evil.example/x") });
    assert_eq!(api_sends(&c), [(2, None, false)]);
    let c = t.go(T0 + 10.0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    assert_eq!(api_sends(&c), [(1, Some("a1".into()), false)]);
}

#[test]
fn bearer_token_goes_only_to_api_origins() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    for url in [
        "https://platform.example.com.evil.example/x",
        "http://platform.example.com/x",
        "https://platform.example.com:444/x",
        "https://evil.example/?u=https://platform.example.com/",
    ] {
        let c = t.go(T0, Input::Fetch { call: 9, origin: o(url) });
        assert_eq!(api_sends(&c), [(9, None, false)], "{}", url);
    }
    let c = t.go(T0, Input::Fetch { call: 10, origin: o("https://platform.example.com/restapi") });
    assert_eq!(api_sends(&c), [(10, Some("a1".into()), false)]);
}

fn withheld(c: &[Command]) -> Vec<String> {
    c.iter()
        .filter_map(|c| match c {
            Command::WarnWithheld { origin } => Some(origin.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_fetch_without_the_token_while_logged_in_is_reported_once_per_origin() {
    let mut t = T::new(true, ALONE);
    let c = t.go(T0, Input::Start { ready: 0, storage_problem: None });
    let op = load_op(&c).unwrap();
    // Not logged in (yet): a foreign origin is nothing to report.
    assert_eq!(withheld(&t.go(T0, Input::Fetch { call: 1, origin: o("https://cdn.example/x") })), Vec::<String>::new());
    t.go(T0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    let c = t.go(T0, Input::Fetch { call: 2, origin: o("https://cdn.example/x") });
    assert_eq!(withheld(&c), ["https://cdn.example"]);
    assert_eq!(api_sends(&c), [(2, None, false)], "sent untouched");
    let c = t.go(T0, Input::Fetch { call: 3, origin: o("https://cdn.example/y") });
    assert_eq!((withheld(&c), api_sends(&c)), (vec![], vec![(3, None, false)]), "once per origin");
    assert_eq!(withheld(&t.go(T0, Input::Fetch { call: 4, origin: o("http://localhost:8080/a") })), ["http://localhost:8080"]);
    // The API origin gets the token, and nothing to report.
    let c = t.go(T0, Input::Fetch { call: 5, origin: o("https://platform.example.com/a") });
    assert_eq!((withheld(&c), api_sends(&c)), (vec![], vec![(5, Some("a1".into()), false)]));
}

#[test]
fn one_refresh_at_a_time_in_a_tab() {
    // An expired token under 1000 concurrent calls: exactly one token request, every call sent once after it.
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    let now = T0 + HOUR + 1.0;
    let mut sends = 0;
    for call in 1..=1000 {
        let c = t.go(now, Input::Fetch { call, origin: o("https://platform.example.com/a") });
        sends += token_sends(&c);
        assert!(api_sends(&c).is_empty());
    }
    assert_eq!(sends, 1);
    let c = t.go(now + 50.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), now)), dpop_nonce: None });
    let (op, saved) = save_op(&c).unwrap();
    assert_eq!(saved.access_token.expose(), "a2");
    let c = t.go(now + 60.0, Input::Saved { op, result: Ok(()) });
    let sent = api_sends(&c);
    assert_eq!(sent.len(), 1000);
    assert!(sent.iter().all(|(_, tok, _)| tok.as_deref() == Some("a2")));
    assert_eq!(token_sends(&c), 0);
}

#[test]
fn refresh_resolves_only_after_the_new_tokens_are_stored() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    let c = t.go(T0, Input::Refresh { call: 5 });
    assert_eq!(token_sends(&c), 1);
    let c = t.go(T0 + 1.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0)), dpop_nonce: None });
    assert_eq!(settled(&c, 5), None);
    let (op, _) = save_op(&c).unwrap();
    let c = t.go(T0 + 2.0, Input::Saved { op, result: Ok(()) });
    assert_eq!(settled(&c, 5), Some(Ok(Value::Unit)));
    assert_eq!(events(&c), ["refresh", "change"]);
}

#[test]
fn a_server_that_does_not_rotate_keeps_the_refresh_token() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    t.go(T0, Input::Refresh { call: 5 });
    let c = t.go(T0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", None, T0)), dpop_nonce: None });
    let (_, saved) = save_op(&c).unwrap();
    assert_eq!(saved.refresh_token.as_ref().map(Secret::expose), Some("r1"));
}

#[test]
fn a_401_is_retried_once_after_one_refresh() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    let url = "https://platform.example.com/a";
    t.go(T0, Input::Fetch { call: 1, origin: o(url) });
    t.go(T0, Input::Fetch { call: 2, origin: o(url) });
    let c = t.go(T0 + 1.0, Input::ApiResponse { call: 1, status: 401, error: None, dpop_nonce: None });
    assert_eq!(token_sends(&c), 1);
    let c = t.go(T0 + 2.0, Input::ApiResponse { call: 2, status: 401, error: None, dpop_nonce: None });
    assert_eq!(token_sends(&c), 0, "joins the refresh in flight");
    let c = t.go(T0 + 3.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0)), dpop_nonce: None });
    let (op, _) = save_op(&c).unwrap();
    let c = t.go(T0 + 4.0, Input::Saved { op, result: Ok(()) });
    let mut sent = api_sends(&c);
    sent.sort();
    assert_eq!(sent, [(1, Some("a2".into()), true), (2, Some("a2".into()), true)]);
    // A second 401 is the app's to see: no second refresh.
    let c = t.go(T0 + 5.0, Input::ApiResponse { call: 1, status: 401, error: None, dpop_nonce: None });
    assert!(matches!(c.as_slice(), [Command::Deliver { call: 1 }]));
}

/// `session.fetch` is a drop-in `fetch`: the app's `AbortSignal` ends a call at once, also while it waits for
/// the restore or a refresh. The browser layer reports it as a failed answer (status 0) then: delivered at once
/// (with the signal's reason); when the engine sends it later, the browser layer sends nothing and answers status
/// 0 again, which closes it quietly (no refresh, no retry), and the refresh goes on for the others.
#[test]
fn a_fetch_the_app_aborted_while_it_waited_is_answered_at_once_and_its_late_send_ends_quietly() {
    let url = "https://platform.example.com/a";
    let quiet = |c: &[Command], call: CallId| {
        assert!(matches!(c, [Command::Deliver { call: k }] if *k == call), "{c:?}");
    };
    // Waiting for a refresh: the token was due.
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    let due = T0 + HOUR + 1.0;
    let c = t.go(due, Input::Fetch { call: 1, origin: o(url) });
    assert_eq!((token_sends(&c), api_sends(&c).len()), (1, 0), "waits for the refresh");
    t.go(due, Input::Fetch { call: 2, origin: o(url) });
    quiet(&t.go(due + 1.0, Input::ApiResponse { call: 1, status: 0, error: None, dpop_nonce: None }), 1);
    let c = t.go(due + 2.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), due)), dpop_nonce: None });
    let (op, _) = save_op(&c).unwrap();
    let mut sent = api_sends(&t.go(due + 3.0, Input::Saved { op, result: Ok(()) }));
    sent.sort();
    assert_eq!(sent, [(1, Some("a2".into()), false), (2, Some("a2".into()), false)]);
    quiet(&t.go(due + 3.0, Input::ApiResponse { call: 1, status: 0, error: None, dpop_nonce: None }), 1);
    // Waiting after a 401 for the refresh that answers it.
    let c = t.go(due + 4.0, Input::ApiResponse { call: 2, status: 401, error: None, dpop_nonce: None });
    assert_eq!(token_sends(&c), 1);
    quiet(&t.go(due + 5.0, Input::ApiResponse { call: 2, status: 0, error: None, dpop_nonce: None }), 2);
    let c = t.go(due + 6.0, Input::TokenReply { id: LAST, result: Ok(tokens("a3", Some("r3"), due)), dpop_nonce: None });
    let (op, _) = save_op(&c).unwrap();
    assert_eq!(api_sends(&t.go(due + 7.0, Input::Saved { op, result: Ok(()) })), [(2, Some("a3".into()), true)]);
    quiet(&t.go(due + 8.0, Input::ApiResponse { call: 2, status: 0, error: None, dpop_nonce: None }), 2);
    // Waiting for the restore.
    let mut t = T::new(true, ALONE);
    let c = t.go(T0, Input::Start { ready: 0, storage_problem: None });
    let op = load_op(&c).unwrap();
    assert!(t.go(T0, Input::Fetch { call: 3, origin: o(url) }).is_empty());
    quiet(&t.go(T0 + 1.0, Input::ApiResponse { call: 3, status: 0, error: None, dpop_nonce: None }), 3);
    let c = t.go(T0 + 2.0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    assert_eq!(api_sends(&c), [(3, Some("a1".into()), false)]);
    quiet(&t.go(T0 + 3.0, Input::ApiResponse { call: 3, status: 0, error: None, dpop_nonce: None }), 3);
}

#[test]
fn a_401_for_a_superseded_token_is_retried_without_a_refresh() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    let url = "https://platform.example.com/a";
    t.go(T0, Input::Fetch { call: 1, origin: o(url) });
    // The token changes (a refresh lands) while call 1 is on the wire with a1.
    t.go(T0, Input::Refresh { call: 9 });
    let c = t.go(T0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0)), dpop_nonce: None });
    let (op, _) = save_op(&c).unwrap();
    t.go(T0, Input::Saved { op, result: Ok(()) });
    let c = t.go(T0 + 1.0, Input::ApiResponse { call: 1, status: 401, error: None, dpop_nonce: None });
    assert_eq!(token_sends(&c), 0);
    assert_eq!(api_sends(&c), [(1, Some("a2".into()), true)]);
}

#[test]
fn expiry_is_checked_against_the_clock_on_every_call() {
    // A tab that slept past expiry (no timer fired) never sends the expired token.
    let (mut t, _) = T::restored(false, ALONE, Some(tokens("a1", None, T0)), T0);
    let c = t.go(T0 + HOUR + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert!(api_sends(&c).is_empty());
    let e = settled(&c, 1).unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::LoginRequired);
    let op = clear_op(&c).unwrap();
    let c = t.go(T0 + HOUR + 2.0, Input::Cleared { op });
    assert_eq!(events(&c), ["expired", "change"]);
}

#[test]
fn expiring_is_emitted_once_per_token_without_refresh_token() {
    let (mut t, _) = T::restored(false, ALONE, Some(tokens("a1", None, T0)), T0);
    let near = T0 + HOUR - 30_000.0;
    let c = t.go(near, Input::Timeout);
    assert_eq!(events(&c), ["expiring"]);
    let c = t.go(near + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert!(events(&c).is_empty());
    assert_eq!(api_sends(&c).len(), 1);
}

#[test]
fn timer_refreshes_ahead_of_expiry() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    let at = t.e.deadline(Timer::Check).map(Instant::as_ms);
    assert_eq!(at, Some(T0 + HOUR - 60_000.0 + 5.0));
    let c = t.go(T0 + HOUR - 60_000.0, Input::Timeout);
    assert_eq!(token_sends(&c), 1);
    assert!(sent_form(&c).unwrap().contains("refresh_token=r1"));
}

#[test]
fn transient_failures_retry_the_same_refresh_token_with_backoff_then_cool_down() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    let c = t.go(T0, Input::Refresh { call: 5 });
    let first = sent_form(&c).unwrap();
    let mut now = T0;
    for attempt in 0..2 {
        let mut e = transient();
        if attempt == 1 {
            e = Error::new(ErrorCode::ServerError).with_status(503).with_retryable(true).with_retry_after(Some(7));
        }
        t.go(now, Input::TokenReply { id: LAST, result: Err(e), dpop_nonce: None });
        let at = t.e.deadline(Timer::RefreshRetry).map(Instant::as_ms).unwrap();
        assert_eq!(at - now, if attempt == 0 { 250.0 } else { 7000.0 }, "Retry-After is honoured");
        now = at;
        let c = t.go(now, Input::Timeout);
        assert_eq!(sent_form(&c).unwrap(), first, "the same refresh token again");
    }
    let c = t.go(now, Input::TokenReply { id: LAST, result: Err(transient()), dpop_nonce: None });
    assert_eq!(token_sends(&c), 0, "nothing loops");
    let e = settled(&c, 5).unwrap().unwrap_err();
    assert!(e.retryable);
    assert_eq!(events(&c), ["refreshError"]);
    assert!(t.e.is_logged_in(Instant::from_ms(now)), "the tokens stay");
    // The cool-down: a fetch with a still-valid token is sent, not refreshed again.
    let c = t.go(now + 1.0, Input::Fetch { call: 6, origin: o("https://platform.example.com/a") });
    assert_eq!(token_sends(&c), 0);
    assert_eq!(api_sends(&c), [(6, Some("a1".into()), false)]);
}

/// Guarantee (bounded settle): a clock that moves back does not stretch a wait. oss-sim seed 1088991: a 60 s
/// Retry-After, then the wall clock went back 77 min; the retry was armed by the clock, 77 min away, and the
/// app's `refresh()` did not settle for 9 min.
#[test]
fn a_clock_that_moves_back_does_not_stretch_a_retry() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    t.go(T0, Input::Refresh { call: 5 });
    let e = Error::new(ErrorCode::ServerError).with_status(503).with_retryable(true).with_retry_after(Some(60));
    t.go(T0, Input::TokenReply { id: LAST, result: Err(e), dpop_nonce: None });
    let back = T0 + 20_000.0 - 77.0 * 60_000.0; // 20 s later, by a clock 77 min behind
    t.go(back, Input::Fetch { call: 6, origin: o("https://platform.example.com/a") });
    let wait = t.e.poll_timeout().map(|at| at.ms_since(Instant::from_ms(back))).unwrap();
    assert!(wait <= 60_000.0, "the retry is at most the Retry-After away, not 77 min: {wait} ms");
    assert!(t.e.deadline(Timer::RefreshRetry).unwrap().ms_since(Instant::from_ms(back)) >= 40_000.0, "never early");
}

#[test]
fn a_terminal_error_ends_the_session_once() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    t.go(T0, Input::Refresh { call: 5 });
    let c = t.go(T0, Input::TokenReply { id: LAST, result: Err(terminal()), dpop_nonce: None });
    assert_eq!(events(&c), ["refreshError"]);
    assert!(c.iter().any(|c| matches!(c, Command::Clear { .. })));
    let op = clear_op(&c).unwrap();
    let c = t.go(T0, Input::Cleared { op });
    assert_eq!(events(&c), ["expired", "change"]);
    assert!(!c.iter().any(|c| matches!(c, Command::Broadcast(Notice::Expired(_)))), "not shared: no broadcast");
    let e = settled(&c, 5).unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::LoginRequired, "one code for 'log in again'");
    assert_eq!(e.error_code.as_deref(), Some("OAU-210"), "the server's reason is kept");
    assert!(e.description.unwrap().contains("invalid_grant"));
    assert!(!t.e.is_logged_in(Instant::from_ms(T0)));
}

#[test]
fn shared_storage_refreshes_under_the_lock_and_rereads_first() {
    let (mut t, _) = T::restored(true, SHARED, Some(tokens("a1", Some("r1"), T0)), T0);
    let c = t.go(T0, Input::Refresh { call: 5 });
    assert!(matches!(c.as_slice(), [Command::Lock { .. }]));
    let c = t.go(T0, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    // Another tab refreshed while we waited: adopt, and spend nothing — for a due refresh.
    let mut t2 = T::restored(true, SHARED, Some(tokens("a1", Some("r1"), T0)), T0).0;
    t2.go(T0 + HOUR, Input::Timeout);
    let c2 = t2.go(T0 + HOUR, Input::LockGranted { id: LAST });
    let op2 = load_op(&c2).unwrap();
    let c2 = t2.go(T0 + HOUR, Input::Loaded { op: op2, result: Ok(Some(later("a2", "r2", T0 + HOUR - 5.0, 1))) });
    assert_eq!(token_sends(&c2), 0);
    assert!(c2.iter().any(|c| matches!(c, Command::Unlock)));
    assert_eq!(events(&c2), ["refresh", "change"]);
    // A forced refresh still spends the (re-read) newest refresh token.
    let c = t.go(T0, Input::Loaded { op, result: Ok(Some(later("a2", "r2", T0, 1))) });
    assert!(sent_form(&c).unwrap().contains("refresh_token=r2"));
}

/// Regression (dpop.test.mjs "four tabs", flaky on a loaded machine): cookie storage's lifetime came from the
/// access token alone when the server gave no `refresh_token_expires_in` (oidc-provider), so a timer that fired
/// a little late found the cookie gone, took it for another tab's logout and ended the session — `expired` with
/// no error in every tab, no refresh sent, though the refresh token had an hour left. The store here keeps
/// what was saved exactly as long as the cookie's `Max-Age` says.
#[test]
fn a_late_timer_still_refreshes_from_cookie_storage_when_the_refresh_tokens_end_is_unknown() {
    let mut short = tokens("a1", Some("r1"), T0);
    short.expires_at_ms = T0 + 5_000.0;
    short.refresh_expires_at_ms = None;
    let saved_at = T0 + 50.0;
    let max_age = crate::protocol::cookie_max_age_s(&short, saved_at);
    let cookie_read = |now: f64| max_age.is_none_or(|s| now < saved_at + s as f64 * 1000.0).then(|| short.clone());
    let (mut t, _) = T::restored(true, SHARED, Some(short.clone()), saved_at);
    // The check timer was due at +5 s; under load it fires 1.5 s late.
    let late = T0 + 6_500.0;
    let c = t.go(late, Input::Timeout);
    assert!(matches!(c.as_slice(), [Command::Lock { .. }]));
    let c = t.go(late, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    let c = t.go(late, Input::Loaded { op, result: Ok(cookie_read(late)) });
    assert_eq!(events(&c), Vec::<&str>::new(), "no expired");
    assert!(sent_form(&c).unwrap().contains("refresh_token=r1"));
    // So does a page loaded (restored) a minute after the access token's expiry.
    let (_, c) = T::restored(true, SHARED, cookie_read(T0 + 65_000.0), T0 + 65_000.0);
    assert_eq!(settled(&c, 0), Some(Ok(Value::Bool(true))));
}

#[test]
fn lock_timeout_is_retryable_and_sends_nothing() {
    let (mut t, _) = T::restored(true, SHARED, Some(tokens("a1", Some("r1"), T0)), T0);
    t.go(T0, Input::Refresh { call: 5 });
    let c = t.go(T0 + 30_000.0, Input::LockTimedOut { id: LAST });
    assert_eq!(token_sends(&c), 0);
    let e = settled(&c, 5).unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::LockTimeout);
    assert!(e.retryable);
}

#[test]
fn without_locks_a_terminal_error_adopts_another_tabs_newer_tokens() {
    let caps = Caps { shared: true, locks: false };
    let (mut t, _) = T::restored(true, caps, Some(tokens("a1", Some("r1"), T0)), T0);
    let c = t.go(T0, Input::Refresh { call: 5 });
    let op = load_op(&c).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    assert_eq!(token_sends(&c), 1);
    let c = t.go(T0, Input::TokenReply { id: LAST, result: Err(terminal()), dpop_nonce: None });
    let op = load_op(&c).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Ok(Some(later("a9", "r9", T0, 1))) });
    assert_eq!(settled(&c, 5), Some(Ok(Value::Unit)));
    assert_eq!(events(&c), ["refresh", "change"]);
    assert!(clear_op(&c).is_none(), "nobody is logged out");
}

#[test]
fn a_logout_broadcast_is_final_even_if_storage_still_shows_the_token() {
    let (mut t, _) = T::restored(true, SHARED, Some(tokens("a1", Some("r1"), T0)), T0);
    let c = t.go(T0, Input::Broadcast(logout_of(&tokens("a1", Some("r1"), T0))));
    assert_eq!(events(&c), ["logout", "change"]);
    // A late "login" broadcast whose read still sees the deleted cookie does not revive it.
    let c = t.go(T0, Input::Broadcast(Notice::Login));
    let op = load_op(&c).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    assert!(events(&c).is_empty());
    assert!(!t.e.is_logged_in(Instant::from_ms(T0)));
    // A real new login does come through.
    let c = t.go(T0, Input::Broadcast(Notice::Login));
    let op = load_op(&c).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Ok(Some(tokens("b1", Some("s1"), T0))) });
    assert_eq!(events(&c), ["login", "change"]);
}

#[test]
fn logout_clears_every_tab_before_revoking_and_drops_late_refresh_answers() {
    // A refresh is on the wire when the user logs out.
    let mut t = refreshing_under_the_lock();
    let c = t.go(T0, Input::Logout { call: 6 });
    let op = load_op(&c).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    let op = clear_op(&c).unwrap();
    let c = t.go(T0, Input::Cleared { op });
    let order: Vec<&str> = c
        .iter()
        .filter_map(|c| match c {
            Command::Broadcast(Notice::Logout(_)) => Some("broadcast"),
            Command::SendRevoke { form, .. } => {
                assert!(form.contains("token=r1"));
                Some("revoke")
            }
            _ => None,
        })
        .collect();
    assert_eq!(order, ["broadcast", "revoke"]);
    let c = t.go(T0, Input::RevokeDone { call: 6, dpop_nonce: None });
    assert_eq!(settled(&c, 6), Some(Ok(Value::Unit)));
    // The refresh answer of the ended session lands: nothing is stored, nothing revived.
    let c = t.go(T0 + 5.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0)), dpop_nonce: None });
    assert!(save_op(&c).is_none());
    assert_eq!(settled(&c, 5).unwrap().unwrap_err().code, ErrorCode::LoginRequired);
    assert!(!t.e.is_logged_in(Instant::from_ms(T0)));
}

#[test]
fn a_dead_token_without_refresh_ends_the_session_on_401() {
    let (mut t, _) = T::restored(false, ALONE, Some(tokens("a1", None, T0)), T0);
    t.go(T0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    let mut e = Error::new(ErrorCode::LoginRequired).with_status(401);
    e.error_code = Some("OAU-213".into());
    let c = t.go(T0, Input::ApiResponse { call: 1, status: 401, error: Some(e), dpop_nonce: None });
    let e = settled(&c, 1).unwrap().unwrap_err();
    assert_eq!((e.code, e.error_code.as_deref()), (ErrorCode::LoginRequired, Some("OAU-213")));
    assert!(clear_op(&c).is_some());
}

#[test]
fn a_late_write_of_an_older_pair_is_never_taken_over_a_newer_one() {
    // Without Web Locks two tabs can refresh at once; the one whose answer lands last must not write its older
    // pair over the newer one, and a reader never goes back to an older pair of the same login.
    let caps = Caps { shared: true, locks: false };
    let mut t = T::restored(true, caps, Some(later("a2", "r2", T0, 1)), T0).0;
    let c = t.go(T0, Input::Refresh { call: 5 });
    let op = load_op(&c).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Ok(Some(later("a2", "r2", T0, 1))) });
    assert!(sent_form(&c).unwrap().contains("refresh_token=r2"));
    let c = t.go(T0 + 1.0, Input::TokenReply { id: LAST, result: Ok(tokens("a3", Some("r3"), T0)), dpop_nonce: None });
    let op = load_op(&c).expect("a look before writing");
    assert!(save_op(&c).is_none());
    let c = t.go(T0 + 2.0, Input::Loaded { op, result: Ok(Some(later("a4", "r4", T0, 3))) });
    assert!(save_op(&c).is_none(), "the older answer is not written");
    assert_eq!(settled(&c, 5), Some(Ok(Value::Unit)));
    // A sync that reads an older pair of the same login keeps the newer one.
    let c = t.go(T0 + 3.0, Input::Broadcast(Notice::Refresh));
    let op = load_op(&c).unwrap();
    let c = t.go(T0 + 3.0, Input::Loaded { op, result: Ok(Some(later("a3", "r3", T0, 2))) });
    assert!(events(&c).is_empty());
    // Another login always wins.
    let c = t.go(T0 + 4.0, Input::Broadcast(Notice::Login));
    let op = load_op(&c).unwrap();
    let mut other = tokens("b1", Some("s1"), T0 + 4.0);
    other.lineage.since_ms = T0 + 4.0;
    let c = t.go(T0 + 4.0, Input::Loaded { op, result: Ok(Some(other)) });
    assert_eq!(events(&c), ["refresh", "change"]);
}

#[test]
fn shared_storage_that_refuses_the_new_pair_is_retried_under_the_lock_then_given_up() {
    let mut t = refreshing_under_the_lock();
    let c = t.go(T0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0)), dpop_nonce: None });
    let c = storage_unchanged(&mut t, c);
    let (mut op, _) = save_op(&c).unwrap();
    let mut now = T0;
    let refused = || Err(Error::new(ErrorCode::StorageUnavailable));
    // A storage full for one write: the second write lands, nothing else changes.
    let c = t.go(now, Input::Saved { op, result: refused() });
    assert!(!c.iter().any(|c| matches!(c, Command::Unlock | Command::UseMemory)), "the lock is kept");
    now += 250.0;
    let c = t.go(now, Input::Timeout);
    (op, _) = save_op(&c).unwrap();
    let c = t.go(now, Input::Saved { op, result: Ok(()) });
    assert!(c.iter().any(|c| matches!(c, Command::Unlock)));
    assert_eq!(settled(&c, 5), Some(Ok(Value::Unit)));
    assert!(t.e.is_shared());
    // A storage that keeps refusing: after SAVE_TRIES writes the tab keeps the pair in memory, tells the
    // others that what storage holds is spent, and keeps the lock a moment so they hear it first.
    let mut t = refreshing_under_the_lock();
    let c = t.go(T0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0)), dpop_nonce: None });
    let c = storage_unchanged(&mut t, c);
    let (mut op, _) = save_op(&c).unwrap();
    let mut now = T0;
    let mut all = Vec::new();
    for _ in 0..20 {
        let c = t.go(now, Input::Saved { op, result: refused() });
        all.extend(c.iter().cloned());
        if c.iter().any(|c| matches!(c, Command::UseMemory)) {
            break;
        }
        now += 5_000.0;
        let c = t.go(now, Input::Timeout);
        op = save_op(&c).unwrap().0;
    }
    assert!(all.iter().any(|c| matches!(c, Command::Broadcast(Notice::Expired(_)))));
    assert!(!all.iter().any(|c| matches!(c, Command::Unlock)), "not yet");
    assert!(!t.e.is_shared());
    assert_eq!(t.e.token_info().map(|i| i.has_refresh_token), Some(true), "this tab keeps the session");
    let c = t.go(now + 1_000.0, Input::Timeout);
    assert!(c.iter().any(|c| matches!(c, Command::Unlock)));
    assert_eq!(settled(&c, 5), Some(Ok(Value::Unit)));
}

#[test]
fn an_expired_broadcast_is_final_and_a_tab_in_memory_follows_no_one() {
    let (mut t, _) = T::restored(true, SHARED, Some(tokens("a1", Some("r1"), T0)), T0);
    let c = t.go(T0, Input::Broadcast(Notice::Expired(None)));
    assert_eq!(events(&c), ["expired", "change"]);
    assert!(load_op(&c).is_none(), "nothing re-read: storage holds a spent pair");
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    assert!(t.go(T0, Input::Broadcast(Notice::Logout(None))).is_empty());
}

/// Found by oss-sim (seed 16760): a tab ended its old login's pair (storage empty, `expired` sent); the notice
/// arrived just after another tab stored a brand-new login, which `expired` used to drop as final.
#[test]
fn an_expired_broadcast_about_another_login_rereads_storage_instead_of_ending_this_one() {
    let mut new_login = tokens("b1", None, T0);
    new_login.lineage.since_ms = T0;
    let (mut t, _) = T::restored(false, SHARED, Some(new_login.clone()), T0);
    let c = t.go(T0 + 1.0, Input::Broadcast(Notice::Expired(Some(5))));
    assert!(events(&c).is_empty(), "{:?}", events(&c));
    let op = load_op(&c).expect("storage is re-read");
    let c = t.go(T0 + 2.0, Input::Loaded { op, result: Ok(Some(new_login.clone())) });
    assert!(events(&c).is_empty(), "the new login stays: {:?}", events(&c));
    // A notice about this very login is final, as is one that names none.
    let c = t.go(T0 + 3.0, Input::Broadcast(Notice::Expired(Some(T0 as u64))));
    assert_eq!(events(&c), ["expired", "change"]);
}

#[test]
fn the_expired_notice_names_the_login_it_ends() {
    let mut mine = tokens("a1", None, T0);
    mine.lineage.since_ms = T0 + 0.7;
    let (mut t, _) = T::restored(false, SHARED, Some(mine), T0);
    t.go(T0 + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    let dead = Error::new(ErrorCode::LoginRequired).with_status(401).with_error_code(Some("OAU-128".into()));
    let c = t.go(T0 + 2.0, Input::ApiResponse { call: 1, status: 401, error: Some(dead), dpop_nonce: None });
    let op = load_op(&c).expect("storage is looked at first");
    let c = t.go(T0 + 3.0, Input::Loaded { op, result: Ok(None) });
    let clear = clear_op(&c).expect("nothing better stored: cleared");
    let c = t.go(T0 + 4.0, Input::Cleared { op: clear });
    assert!(c.iter().any(|c| matches!(c, Command::Broadcast(Notice::Expired(Some(n))) if *n == T0 as u64)), "{c:?}");
}

#[test]
fn notices_cross_the_channel_as_text_and_garbage_is_no_notice() {
    let logins = |l: &[u64]| {
        let mut x = Logins::default();
        l.iter().for_each(|l| assert!(x.add(*l)));
        Notice::Logout(Some(x))
    };
    for n in [
        Notice::Login,
        Notice::Refresh,
        Notice::Logout(None),
        logins(&[]),
        logins(&[1_764_000_000_123]),
        logins(&[1_764_000_000_123, 1_764_000_000_456]),
        Notice::Expired(None),
        Notice::Expired(Some(1_764_000_000_123)),
    ] {
        assert_eq!(Notice::from_wire(&n.to_wire()), Some(n), "{}", n.to_wire());
    }
    assert_eq!(Notice::Expired(Some(42)).to_wire(), "expired:42");
    assert_eq!(logins(&[42, 7]).to_wire(), "logout:42,7");
    assert_eq!(logins(&[]).to_wire(), "logout:");
    // A plain `logout` (an earlier version's) names no login: final for every tab.
    assert_eq!(Notice::Logout(None).to_wire(), "logout");
    // A logout whose list this version cannot read is still a logout, one that names none it understands.
    for odd in ["logout:x", "logout:1,", "logout:1,2,3", "logout:-1", "logout:1.5", "logout:0"] {
        assert_eq!(Notice::from_wire(odd), Some(Notice::Logout(None)), "{odd}");
    }
    for bad in ["", "expired:", "expired:x", "expired:-1", "expired:1.5", "Login", "logouts", "logout;1"] {
        assert_eq!(Notice::from_wire(bad), None, "{bad}");
    }
}

#[test]
fn a_backoff_retry_after_adopting_a_newer_pair_does_not_spend_the_old_refresh_token() {
    let caps = Caps { shared: true, locks: false };
    let (mut t, _) = T::restored(true, caps, Some(tokens("a1", Some("r1"), T0)), T0);
    let now = T0 + HOUR;
    let c = t.go(now, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    let op = load_op(&c).unwrap();
    t.go(now, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    t.go(now, Input::TokenReply { id: LAST, result: Err(transient()), dpop_nonce: None });
    // Another tab's refresh lands while we wait to retry.
    let c = t.go(now + 10.0, Input::Broadcast(Notice::Refresh));
    let op = load_op(&c).unwrap();
    t.go(now + 10.0, Input::Loaded { op, result: Ok(Some(later("a2", "r2", now, 1))) });
    let c = t.go(now + 250.0, Input::Timeout);
    assert_eq!(token_sends(&c), 0, "r1 is spent; a2 is fresh");
    assert_eq!(api_sends(&c), [(1, Some("a2".into()), false)]);
}

#[test]
fn restore_caps_forged_lifetimes() {
    // A planted value claiming validity until the year 9999 is believed for 24 h at most (refresh: 400 days).
    let mut forged = tokens("a1", Some("r1"), T0);
    forged.expires_at_ms = 253_402_300_799_000.0;
    forged.refresh_expires_at_ms = Some(253_402_300_799_000.0);
    let (t, _) = T::restored(true, ALONE, Some(forged), T0);
    let i = t.e.token_info().unwrap();
    assert_eq!(i.expires_at_ms, T0 + MAX_ACCESS_LIFETIME_MS);
    assert_eq!(i.refresh_expires_at_ms, Some(T0 + MAX_REFRESH_LIFETIME_MS));
    assert!(!t.e.is_logged_in(Instant::from_ms(T0 + MAX_REFRESH_LIFETIME_MS)));
}

// ---- silent renewal (prompt=none) -----------------------------------------------------------------------

/// A tab with silent renewal on, restored with `stored` (no refresh token) at T0.
fn silent_tab(caps: Caps, stored: Option<TokenSet>) -> T {
    let mut c = cfg(false);
    c.silent_renew = true;
    let mut t = T { e: Engine::new(c, caps, seeded()), last: Last::default() };
    let c = t.go(T0, Input::Start { ready: 0, storage_problem: None });
    let op = load_op(&c).unwrap();
    t.go(T0, Input::Loaded { op, result: Ok(stored) });
    t
}

fn silent_sends(c: &[Command]) -> usize {
    // The renewal's frame login starts with its PKCE verifier's digest.
    c.iter().filter(|c| matches!(c, Command::Digest { call: FRAME_CALL, .. })).count()
}

fn login_required_err() -> Error {
    Error::with(ErrorCode::LoginRequired, "User login is required")
}

const MARGIN: f64 = HOUR - 60_000.0;

#[test]
fn silent_renewal_inside_the_margin_renews_without_expiring() {
    let mut t = silent_tab(ALONE, Some(tokens("a1", None, T0)));
    let c = t.go(T0 + MARGIN, Input::Timeout);
    assert_eq!(silent_sends(&c), 1);
    assert!(events(&c).is_empty(), "no expiring while the renewal runs: {:?}", events(&c));
    assert_eq!(t.e.deadline(Timer::Silent), Some(Instant::from_ms(T0 + MARGIN + 10_000.0)));
    // Calls meanwhile go out with the still-valid token and start nothing more.
    let c = t.go(T0 + MARGIN + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(1, Some("a1".into()), false)]);
    assert_eq!(silent_sends(&c), 0);
    let c = t.go(T0 + MARGIN + 500.0, Input::SilentDone { id: LAST, result: Ok(tokens("a2", None, T0 + MARGIN + 500.0)) });
    let (op, saved) = save_op(&c).unwrap();
    assert_eq!(saved.access_token.expose(), "a2");
    assert_eq!(t.e.deadline(Timer::Silent), None, "the renewal's timer is disarmed");
    let c = t.go(T0 + MARGIN + 501.0, Input::Saved { op, result: Ok(()) });
    assert_eq!(events(&c), ["refresh", "change"]);
    let c = t.go(T0 + MARGIN + 502.0, Input::Fetch { call: 2, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(2, Some("a2".into()), false)]);
}

#[test]
fn a_failed_silent_renewal_falls_back_to_expiring_then_expired_and_is_tried_once_per_token() {
    let mut t = silent_tab(ALONE, Some(tokens("a1", None, T0)));
    let c = t.go(T0 + MARGIN, Input::Timeout);
    assert_eq!(silent_sends(&c), 1);
    let c = t.go(T0 + MARGIN + 100.0, Input::SilentDone { id: LAST, result: Err(login_required_err()) });
    assert_eq!(events(&c), ["expiring"]);
    // No retry loop: neither the timer, nor calls, nor a wake-up tries again for this token.
    let mut now = T0 + MARGIN + 200.0;
    for i in 0..5 {
        let mut c = t.go(now, Input::Timeout);
        c.extend(t.go(now, Input::Wake));
        c.extend(t.go(now, Input::Fetch { call: 10 + i, origin: o("https://platform.example.com/a") }));
        assert_eq!(silent_sends(&c), 0);
        assert!(events(&c).is_empty());
        now += 5_000.0;
    }
    let c = t.go(T0 + HOUR, Input::Timeout);
    let op = clear_op(&c).unwrap();
    let c = t.go(T0 + HOUR + 1.0, Input::Cleared { op });
    assert_eq!(events(&c), ["expired", "change"]);
}

#[test]
fn interaction_and_consent_required_fall_back_the_same_way() {
    for code in ["interaction_required", "consent_required"] {
        let mut t = silent_tab(ALONE, Some(tokens("a1", None, T0)));
        t.go(T0 + MARGIN, Input::Timeout);
        let c = t.go(T0 + MARGIN + 1.0, Input::SilentDone { id: LAST, result: Err(Error::new(ErrorCode::from_oauth(code))) });
        assert_eq!(events(&c), ["expiring"], "{}", code);
    }
}

#[test]
fn a_silent_renewal_without_an_answer_times_out_and_a_late_answer_changes_nothing() {
    let mut t = silent_tab(ALONE, Some(tokens("a1", None, T0)));
    t.go(T0 + MARGIN, Input::Timeout);
    let c = t.go(T0 + MARGIN + 10_000.0, Input::Timeout);
    assert!(c.iter().any(|c| matches!(c, Command::CancelSilent)));
    assert_eq!(events(&c), ["expiring"]);
    let c = t.go(T0 + MARGIN + 11_000.0, Input::SilentDone { id: LAST, result: Ok(tokens("late", None, T0 + MARGIN)) });
    assert!(save_op(&c).is_none() && events(&c).is_empty());
}

#[test]
fn renew_is_the_apps_way_to_try_again_and_logs_in_from_logged_out() {
    let mut t = silent_tab(ALONE, Some(tokens("a1", None, T0)));
    t.go(T0 + MARGIN, Input::Timeout);
    t.go(T0 + MARGIN + 1.0, Input::SilentDone { id: LAST, result: Err(login_required_err()) });
    // The app asks: a second attempt for the same token, and the call settles with its outcome.
    let c = t.go(T0 + MARGIN + 2.0, Input::Renew { call: 7 });
    assert_eq!(silent_sends(&c), 1);
    let c = t.go(T0 + MARGIN + 3.0, Input::SilentDone { id: LAST, result: Err(login_required_err()) });
    assert_eq!(settled(&c, 7).unwrap().unwrap_err().code, ErrorCode::LoginRequired);
    // Logged out, with a live login at the server: renew() logs in.
    let mut t = silent_tab(ALONE, None);
    let c = t.go(T0, Input::Renew { call: 8 });
    assert_eq!(silent_sends(&c), 1);
    let c = t.go(T0 + 1.0, Input::SilentDone { id: LAST, result: Ok(tokens("a9", None, T0)) });
    let (op, _) = save_op(&c).unwrap();
    let c = t.go(T0 + 2.0, Input::Saved { op, result: Ok(()) });
    assert_eq!(events(&c), ["login", "change"]);
    assert_eq!(settled(&c, 8), Some(Ok(Value::Unit)));
    // With silent renewal off, the margin says expiring at once and nothing is sent.
    let (mut t, _) = T::restored(false, ALONE, Some(tokens("a1", None, T0)), T0);
    let c = t.go(T0 + MARGIN, Input::Timeout);
    assert_eq!((silent_sends(&c), events(&c)), (0, vec!["expiring"]));
}

#[test]
fn a_logout_during_a_silent_renewal_wins() {
    let mut t = silent_tab(ALONE, Some(tokens("a1", None, T0)));
    t.go(T0 + MARGIN, Input::Timeout);
    let c = t.go(T0 + MARGIN + 1.0, Input::Logout { call: 3 });
    let op = clear_op(&c).unwrap();
    t.go(T0 + MARGIN + 2.0, Input::Cleared { op });
    let c = t.go(T0 + MARGIN + 3.0, Input::SilentDone { id: LAST, result: Ok(tokens("a2", None, T0 + MARGIN)) });
    assert!(save_op(&c).is_none(), "the renewed pair of a logged-out session is not stored");
    assert!(!t.e.is_logged_in(Instant::from_ms(T0 + MARGIN + 4.0)));
}

#[test]
fn across_tabs_one_renews_under_the_lock_and_the_others_adopt() {
    // Tab A renews under the lock.
    let mut a = silent_tab(SHARED, Some(tokens("a1", None, T0)));
    let c = a.go(T0 + MARGIN, Input::Timeout);
    assert!(c.iter().any(|c| matches!(c, Command::Lock { .. })));
    assert_eq!(silent_sends(&c), 0, "not before the lock");
    let c = a.go(T0 + MARGIN, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    let c = a.go(T0 + MARGIN, Input::Loaded { op, result: Ok(Some(tokens("a1", None, T0))) });
    assert_eq!(silent_sends(&c), 1);
    let c = a.go(T0 + MARGIN + 300.0, Input::SilentDone { id: LAST, result: Ok(tokens("a2", None, T0 + MARGIN + 300.0)) });
    // The look before the write: storage still holds a1.
    let c = match load_op(&c) {
        Some(op) => a.go(T0 + MARGIN + 300.0, Input::Loaded { op, result: Ok(Some(tokens("a1", None, T0))) }),
        None => c,
    };
    let (op, renewed) = save_op(&c).unwrap();
    let c = a.go(T0 + MARGIN + 301.0, Input::Saved { op, result: Ok(()) });
    assert!(c.iter().any(|c| matches!(c, Command::Broadcast(Notice::Refresh))));
    assert!(c.iter().any(|c| matches!(c, Command::Unlock)));
    // Tab B's timer fired too; it got the lock after A: it re-reads, adopts A's pair and sends nothing.
    let mut b = silent_tab(SHARED, Some(tokens("a1", None, T0)));
    b.go(T0 + MARGIN, Input::Timeout);
    let c = b.go(T0 + MARGIN + 302.0, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    let c = b.go(T0 + MARGIN + 302.0, Input::Loaded { op, result: Ok(Some(renewed)) });
    assert_eq!(silent_sends(&c), 0);
    assert_eq!(events(&c), ["refresh", "change"]);
    assert!(c.iter().any(|c| matches!(c, Command::Unlock)));
    let c = b.go(T0 + MARGIN + 303.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(1, Some("a2".into()), false)]);
}

// ---- the end of a pair in shared storage (found by the simulator's silent-renewal runs) -----------------

/// A pair another tab's silent renewal (or login) stored after `a1`: later, and of the same login, one renewal on.
fn renewed(at: &str, issued: f64) -> TokenSet {
    let mut t = tokens(at, None, issued);
    t.lineage.seq = 1;
    t
}

/// Regression (oss-sim, refresh tokens off): a tab that slept through its pair's end woke, found it expired and
/// cleared shared storage, which held the pair another tab had renewed silently meanwhile: every tab's live
/// session ended. It looks first now, and adopts the newer pair.
#[test]
fn a_tab_that_slept_past_its_pairs_end_adopts_the_newer_stored_pair_instead_of_clearing_storage() {
    let mut t = silent_tab(SHARED, Some(tokens("a1", None, T0)));
    let woke = T0 + HOUR + 60_000.0;
    let c = t.go(woke, Input::Wake);
    assert!(clear_op(&c).is_none(), "nothing cleared before looking: {c:?}");
    let op = load_op(&c).expect("it looks at storage");
    let c = t.go(woke, Input::Loaded { op, result: Ok(Some(renewed("a2", T0 + MARGIN))) });
    assert!(clear_op(&c).is_none());
    assert_eq!(events(&c), ["refresh", "change"]);
    let c = t.go(woke + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(1, Some("a2".into()), false)]);
    // Storage holding the same spent pair: the session ends as before.
    let mut t = silent_tab(SHARED, Some(tokens("a1", None, T0)));
    let c = t.go(woke, Input::Wake);
    let op = load_op(&c).unwrap();
    let c = t.go(woke, Input::Loaded { op, result: Ok(Some(tokens("a1", None, T0))) });
    let op = clear_op(&c).expect("then cleared");
    let c = t.go(woke, Input::Cleared { op });
    assert_eq!(events(&c), ["expired", "change"]);
    // A fetch that finds the pair over waits for the look too, and goes out with what it finds.
    let mut t = silent_tab(SHARED, Some(tokens("a1", None, T0)));
    let c = t.go(woke, Input::Fetch { call: 2, origin: o("https://platform.example.com/a") });
    let op = load_op(&c).unwrap();
    assert!(settled(&c, 2).is_none() && clear_op(&c).is_none());
    let c = t.go(woke, Input::Loaded { op, result: Ok(Some(renewed("a2", T0 + MARGIN))) });
    assert_eq!(api_sends(&c), [(2, Some("a2".into()), false)]);
}

/// Regression (oss-sim): without a refresh token, a 401 that says the current token is dead cleared shared
/// storage although another tab had stored a newer pair (a silent renewal, a new login): it ended that one too.
#[test]
fn a_401_without_a_refresh_token_adopts_a_newer_stored_pair_and_resends_once() {
    let mut t = silent_tab(SHARED, Some(tokens("a1", None, T0)));
    let c = t.go(T0 + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(1, Some("a1".into()), false)]);
    let dead = Error::new(ErrorCode::LoginRequired).with_status(401).with_error_code(Some("OAU-128".into()));
    let c = t.go(T0 + 2.0, Input::ApiResponse { call: 1, status: 401, error: Some(dead.clone()), dpop_nonce: None });
    assert!(clear_op(&c).is_none() && settled(&c, 1).is_none());
    let op = load_op(&c).unwrap();
    let c = t.go(T0 + 3.0, Input::Loaded { op, result: Ok(Some(renewed("a2", T0))) });
    assert_eq!(api_sends(&c), [(1, Some("a2".into()), true)]);
    assert!(clear_op(&c).is_none());
    // The resend's own 401 reaches the app: one retry, no loop.
    let c = t.go(T0 + 4.0, Input::ApiResponse { call: 1, status: 401, error: Some(dead), dpop_nonce: None });
    assert!(c.iter().any(|c| matches!(c, Command::Deliver { call: 1 })));
    assert!(load_op(&c).is_none());
}

/// Regression (oss-sim): a silent renewal waiting for the lock while a logout broadcast ended the session
/// still sent its prompt=none frame after the re-read found storage empty.
#[test]
fn a_silent_renewal_whose_session_ended_while_it_waited_sends_no_frame() {
    let mut t = silent_tab(SHARED, Some(tokens("a1", None, T0)));
    let c = t.go(T0 + MARGIN, Input::Timeout);
    assert!(c.iter().any(|c| matches!(c, Command::Lock { .. })));
    let c = t.go(T0 + MARGIN + 1.0, Input::Broadcast(logout_of(&tokens("a1", None, T0))));
    assert_eq!(events(&c), ["logout", "change"]);
    let c = t.go(T0 + MARGIN + 2.0, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    let c = t.go(T0 + MARGIN + 2.0, Input::Loaded { op, result: Ok(None) });
    assert_eq!(silent_sends(&c), 0);
    assert!(c.iter().any(|c| matches!(c, Command::Unlock)));
}

/// Regression (oss-sim): the once-per-pair mark went on the pair held when the renewal started, so when the
/// re-read under the lock adopted another pair (another tab's login, itself inside the margin) and the renewal
/// of that one timed out, the tab renewed it a second time at once.
#[test]
fn a_silent_renewal_is_once_per_pair_it_renews_even_after_adopting_one_under_the_lock() {
    let mut t = silent_tab(SHARED, Some(tokens("a1", None, T0)));
    t.go(T0 + MARGIN, Input::Timeout);
    let c = t.go(T0 + MARGIN, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    let mut other = tokens("b1", None, T0 + 30_000.0);
    other.lineage.since_ms = T0 + 30_000.0; // another login
    let now = T0 + MARGIN + 40_000.0;
    let c = t.go(now, Input::Loaded { op, result: Ok(Some(other)) });
    assert_eq!(silent_sends(&c), 1, "b1 is inside the margin too: renewed");
    let c = t.go(now + 10_000.0, Input::Timeout);
    assert!(c.iter().any(|c| matches!(c, Command::CancelSilent)));
    assert!(!c.iter().any(|c| matches!(c, Command::Lock { .. })) && silent_sends(&c) == 0, "no second try: {c:?}");
    assert_eq!(events(&c), ["expiring"]);
}

/// Regression (oss-sim, no Web Locks): a tab whose write of its refreshed pair failed retried the write after
/// its backoff without looking, so a tab that slept through that backoff wrote its pair over the later ones
/// other tabs had stored meanwhile, then spent its superseded refresh token (invalid_grant) and ended the session.
#[test]
fn without_locks_a_retried_write_of_a_refreshed_pair_looks_first() {
    const NO_LOCKS: Caps = Caps { shared: true, locks: false };
    let (mut t, _) = T::restored(true, NO_LOCKS, Some(tokens("a1", Some("r1"), T0)), T0);
    let mut c = t.go(T0, Input::Refresh { call: 5 });
    if let Some(op) = load_op(&c) {
        c = t.go(T0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    }
    assert!(sent_form(&c).unwrap().contains("refresh_token=r1"));
    let c = t.go(T0 + 100.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0 + 100.0)), dpop_nonce: None });
    let op = load_op(&c).expect("looks before the first write");
    let c = t.go(T0 + 100.0, Input::Loaded { op, result: Ok(Some(tokens("a1", Some("r1"), T0))) });
    let (op, _) = save_op(&c).unwrap();
    let full = Error::with(ErrorCode::StorageUnavailable, "quota exceeded");
    let c = t.go(T0 + 101.0, Input::Saved { op, result: Err(full) });
    assert!(save_op(&c).is_none(), "the write is retried after a backoff");
    // The tab sleeps; meanwhile other tabs refreshed twice. Its retry looks first and takes their pair.
    let woke = T0 + 2.0 * HOUR;
    let c = t.go(woke, Input::Timeout);
    assert!(save_op(&c).is_none(), "no write before looking: {c:?}");
    let op = load_op(&c).unwrap();
    let c = t.go(woke, Input::Loaded { op, result: Ok(Some(later("a4", "r4", woke - 1_000.0, 3))) });
    assert!(save_op(&c).is_none());
    assert_eq!(settled(&c, 5), Some(Ok(Value::Unit)));
    let c = t.go(woke + 1.0, Input::Fetch { call: 6, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(6, Some("a4".into()), false)]);
}

/// Regression (oss-sim, no Web Locks): two tabs logged in at once; the read that a broadcast started before this
/// tab's own login was stored answered after it and put the other tab's login over it (this tab then used a pair
/// storage no longer held). A read from before the tab's own login or logout is stale and changes nothing.
#[test]
fn a_read_started_before_this_tabs_own_login_does_not_replace_that_login() {
    const NO_LOCKS: Caps = Caps { shared: true, locks: false };
    let (mut t, _) = T::restored(true, NO_LOCKS, None, T0);
    let c = t.go(T0, Input::Broadcast(Notice::Login));
    let read = load_op(&c).unwrap();
    let mut mine = tokens("mine", Some("r1"), T0 + 1.0);
    mine.lineage.since_ms = T0 + 1.0;
    let c = t.go(T0 + 1.0, Input::LoggedIn { call: 3, tokens: mine });
    let (op, _) = save_op(&c).unwrap();
    t.go(T0 + 2.0, Input::Saved { op, result: Ok(()) });
    let mut theirs = tokens("theirs", Some("r9"), T0);
    theirs.lineage.since_ms = T0;
    let c = t.go(T0 + 3.0, Input::Loaded { op: read, result: Ok(Some(theirs)) });
    assert!(events(&c).is_empty(), "{:?}", events(&c));
    let c = t.go(T0 + 4.0, Input::Fetch { call: 4, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(4, Some("mine".into()), false)]);
}

// ---- the user never changes underfoot (issue 20, item 2) --------------------------------------------------

/// `tokens`, owned by `owner` (`None`: a server that sends no `owner_id`), of the login made at `since`.
fn owned(at: &str, rt: Option<&str>, issued: f64, owner: Option<&str>, since: f64) -> TokenSet {
    let mut t = tokens(at, rt, issued);
    t.owner_id = owner.map(Into::into);
    t.lineage.since_ms = since;
    t
}

/// The `expired` events' error codes, in order (`None` for `expired` without an error).
fn expired_codes(c: &[Command]) -> Vec<Option<ErrorCode>> {
    c.iter()
        .filter_map(|c| match c {
            Command::Emit(SessionEvent::Expired(e)) => Some(e.as_ref().map(|e| e.code.clone())),
            _ => None,
        })
        .collect()
}

fn owner_changed_code() -> Vec<Option<ErrorCode>> {
    vec![Some(ErrorCode::OwnerChanged)]
}

fn owner_now(t: &T) -> Option<String> {
    t.e.token_info().and_then(|i| i.owner_id)
}

#[test]
fn owner_changed_is_a_stable_error_code() {
    assert_eq!(ErrorCode::OwnerChanged.as_str(), "owner_changed");
    assert_eq!(ErrorCode::from_name("owner_changed"), ErrorCode::OwnerChanged);
}

/// A silent renewal answered from a server-side login that now belongs to user 2 (B signed in at the server
/// while A's tab idled): A's session ends with `owner_changed`, and B's is a `login`, never a `refresh`.
#[test]
fn a_silent_renewal_that_returns_another_user_ends_the_session_and_is_a_login() {
    for caps in [ALONE, SHARED] {
        let mut t = silent_tab(caps, Some(owned("a1", None, T0, Some("1"), T0)));
        let mut c = t.go(T0 + MARGIN, Input::Timeout);
        if caps.shared {
            c = t.go(T0 + MARGIN, Input::LockGranted { id: LAST });
            let op = load_op(&c).unwrap();
            c = t.go(T0 + MARGIN, Input::Loaded { op, result: Ok(Some(owned("a1", None, T0, Some("1"), T0))) });
        }
        assert_eq!(silent_sends(&c), 1);
        // A request sent as user 1 is on the wire while the renewal runs.
        let c = t.go(T0 + MARGIN + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
        assert_eq!(api_sends(&c), [(1, Some("a1".into()), false)]);
        let c = t.go(T0 + MARGIN + 2.0, Input::Renew { call: 9 });
        assert!(c.is_empty(), "renew() joins the renewal: {c:?}");
        let renewed_at = T0 + MARGIN + 500.0;
        let mut c = t.go(renewed_at, Input::SilentDone { id: LAST, result: Ok(owned("b1", None, renewed_at, Some("2"), 0.0)) });
        if caps.shared {
            // The look before the write finds storage as it was.
            let op = load_op(&c).unwrap();
            c = t.go(renewed_at, Input::Loaded { op, result: Ok(Some(owned("a1", None, T0, Some("1"), T0))) });
        }
        let (op, saved) = save_op(&c).unwrap();
        assert_eq!(saved.lineage, crate::protocol::Lineage { since_ms: renewed_at, seq: 0 }, "a new login's lineage");
        let c = t.go(renewed_at + 1.0, Input::Saved { op, result: Ok(()) });
        assert_eq!(events(&c), ["expired", "change", "login", "change"], "{caps:?}");
        assert_eq!(expired_codes(&c), owner_changed_code());
        if caps.shared {
            assert!(c.iter().any(|c| matches!(c, Command::Broadcast(Notice::Login))));
            assert!(!c.iter().any(|c| matches!(c, Command::Broadcast(Notice::Refresh))));
        }
        let e = settled(&c, 9).unwrap().unwrap_err();
        assert_eq!(e.code, ErrorCode::LoginRequired, "renew() for the ended session rejects");
        assert!(e.description.unwrap().contains("owner_changed"));
        assert_eq!(owner_now(&t).as_deref(), Some("2"));
        // User 1's request comes back 401: the app gets it; it is never resent with user 2's token.
        let mut err = Error::new(ErrorCode::Other("TokenInvalid".into()));
        err.error_code = Some("TokenInvalid".into());
        let c = t.go(renewed_at + 2.0, Input::ApiResponse { call: 1, status: 401, error: Some(err), dpop_nonce: None });
        assert!(api_sends(&c).is_empty() && clear_op(&c).is_none(), "{c:?}");
        assert!(c.iter().any(|c| matches!(c, Command::Deliver { call: 1 })));
    }
    // The same user again: a renewal, as before.
    let mut t = silent_tab(ALONE, Some(owned("a1", None, T0, Some("1"), T0)));
    t.go(T0 + MARGIN, Input::Timeout);
    let c = t.go(T0 + MARGIN + 1.0, Input::SilentDone { id: LAST, result: Ok(owned("a2", None, T0 + MARGIN, Some("1"), 0.0)) });
    let (op, saved) = save_op(&c).unwrap();
    assert_eq!(saved.lineage.seq, 1);
    let c = t.go(T0 + MARGIN + 2.0, Input::Saved { op, result: Ok(()) });
    assert_eq!(events(&c), ["refresh", "change"]);
}

/// Another tab logged in as user 2 on shared storage (cookies): this tab hears it (broadcast) or finds it
/// under the lock (storage), and never takes user 2's pair as a `refresh` of user 1's session.
#[test]
fn another_tabs_pair_of_another_user_is_a_login_after_an_owner_changed_expiry() {
    // By broadcast: `login`, and also `refresh` (a tab that renewed before its owner was compared kept the lineage).
    for (notice, since) in [(Notice::Login, T0 + 5_000.0), (Notice::Refresh, T0)] {
        let (mut t, _) = T::restored(true, SHARED, Some(owned("a1", Some("r1"), T0, Some("1"), T0)), T0);
        let c = t.go(T0 + 5_000.0, Input::Broadcast(notice));
        let op = load_op(&c).unwrap();
        let mut theirs = owned("b1", Some("s1"), T0 + 5_000.0, Some("2"), since);
        theirs.lineage.seq = 1;
        let c = t.go(T0 + 5_001.0, Input::Loaded { op, result: Ok(Some(theirs)) });
        assert_eq!(events(&c), ["expired", "change", "login", "change"], "{notice:?}");
        assert_eq!(expired_codes(&c), owner_changed_code());
        assert!(clear_op(&c).is_none() && save_op(&c).is_none(), "storage holds user 2's pair: left alone");
        assert_eq!(owner_now(&t).as_deref(), Some("2"));
        let c = t.go(T0 + 5_002.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
        assert_eq!(api_sends(&c), [(1, Some("b1".into()), false)]);
    }
    // Under the lock, before a refresh (no broadcast heard): the flight ends, nothing is spent, and the app's
    // refresh() and a due fetch of user 1 reject instead of going out as user 2.
    let (mut t, _) = T::restored(true, SHARED, Some(owned("a1", Some("r1"), T0, Some("1"), T0)), T0);
    let due = T0 + HOUR - 10_000.0;
    let c = t.go(due, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert!(c.iter().any(|c| matches!(c, Command::Lock { .. })));
    t.go(due, Input::Refresh { call: 2 });
    let c = t.go(due + 1.0, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    let c = t.go(due + 2.0, Input::Loaded { op, result: Ok(Some(owned("b1", Some("s1"), due - 1.0, Some("2"), due - 1.0))) });
    assert_eq!(token_sends(&c), 0, "user 1's refresh token is not spent for user 2");
    assert_eq!(events(&c), ["expired", "change", "login", "change"]);
    assert_eq!(expired_codes(&c), owner_changed_code());
    assert!(api_sends(&c).is_empty(), "user 1's call is not sent as user 2: {c:?}");
    for call in [1, 2] {
        let e = settled(&c, call).unwrap().unwrap_err();
        assert_eq!(e.code, ErrorCode::LoginRequired);
        assert!(e.description.unwrap().contains("owner_changed"));
    }
    assert!(c.iter().any(|c| matches!(c, Command::Unlock)));
}

/// A persistence adapter's `load()` (shared storage the app keeps) that hands back another user's pair: on
/// the re-read of a silent renewal under the lock, at a refresh's last look, and at the end of a pair.
#[test]
fn a_persistence_load_of_another_users_pair_is_a_login_on_every_read() {
    // The silent renewal's re-read: no frame for a session that is gone; renew() rejects.
    let mut t = silent_tab(SHARED, Some(owned("a1", None, T0, Some("1"), T0)));
    t.go(T0 + MARGIN, Input::Renew { call: 4 });
    let c = t.go(T0 + MARGIN, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    let c = t.go(T0 + MARGIN + 1.0, Input::Loaded { op, result: Ok(Some(owned("b1", None, T0 + MARGIN, Some("2"), T0 + MARGIN))) });
    assert_eq!(silent_sends(&c), 0);
    assert_eq!(events(&c), ["expired", "change", "login", "change"]);
    assert_eq!(settled(&c, 4).unwrap().unwrap_err().code, ErrorCode::LoginRequired);
    assert!(c.iter().any(|c| matches!(c, Command::Unlock)));
    // A refresh the server refused, then the last look finds user 2's pair: a login, the call rejects.
    let mut t = refreshing_under_the_lock();
    let c = t.go(T0 + 100.0, Input::TokenReply { id: LAST, result: Err(terminal()), dpop_nonce: None });
    let op = load_op(&c).unwrap();
    let c = t.go(T0 + 101.0, Input::Loaded { op, result: Ok(Some(owned("b1", Some("s1"), T0 + 50.0, Some("2"), T0 + 50.0))) });
    assert_eq!(events(&c), ["expired", "change", "login", "change"]);
    assert_eq!(expired_codes(&c), owner_changed_code());
    assert_eq!(settled(&c, 5).unwrap().unwrap_err().code, ErrorCode::LoginRequired);
    assert!(clear_op(&c).is_none());
    // The end of a pair: a fetch that found it over is not sent as user 2.
    let mut t = silent_tab(SHARED, Some(owned("a1", None, T0, Some("1"), T0)));
    let woke = T0 + HOUR + 60_000.0;
    let c = t.go(woke, Input::Fetch { call: 6, origin: o("https://platform.example.com/a") });
    let op = load_op(&c).unwrap();
    let c = t.go(woke, Input::Loaded { op, result: Ok(Some(owned("b1", None, woke - 1.0, Some("2"), woke - 1.0))) });
    assert!(api_sends(&c).is_empty());
    assert_eq!(events(&c), ["expired", "change", "login", "change"]);
    assert_eq!(settled(&c, 6).unwrap().unwrap_err().code, ErrorCode::LoginRequired);
    assert_eq!(owner_now(&t).as_deref(), Some("2"));
}

/// Unknown is unknown: a pair without an owner id (a server that sends none), or a session without one, is no
/// change of user; the adoption stays a `refresh`.
#[test]
fn an_unknown_owner_on_either_side_is_not_a_change() {
    for (ours, theirs) in [(Some("1"), None), (None, Some("2")), (None, None)] {
        let (mut t, _) = T::restored(true, SHARED, Some(owned("a1", Some("r1"), T0, ours, T0)), T0);
        let c = t.go(T0 + 1.0, Input::Broadcast(Notice::Refresh));
        let op = load_op(&c).unwrap();
        let mut stored = owned("a2", Some("r2"), T0 + 1.0, theirs, T0);
        stored.lineage.seq = 1;
        let c = t.go(T0 + 2.0, Input::Loaded { op, result: Ok(Some(stored)) });
        assert_eq!(events(&c), ["refresh", "change"], "{ours:?} → {theirs:?}");
    }
}

/// The app's own login as another user in a tab that holds a session: the old one ends first.
#[test]
fn logging_in_as_another_user_ends_the_old_session_first() {
    let (mut t, _) = T::restored(true, ALONE, Some(owned("a1", Some("r1"), T0, Some("1"), T0)), T0);
    let c = t.go(T0 + 1.0, Input::LoggedIn { call: 3, tokens: owned("b1", Some("s1"), T0 + 1.0, Some("2"), 0.0) });
    let (op, _) = save_op(&c).unwrap();
    let c = t.go(T0 + 2.0, Input::Saved { op, result: Ok(()) });
    assert_eq!(events(&c), ["expired", "change", "login", "change"]);
    assert_eq!(expired_codes(&c), owner_changed_code());
    assert_eq!(settled(&c, 3), Some(Ok(Value::Bool(true))));
}

/// A call of user 1 that waits for a refresh is not sent as user 2 when user 2's login reaches the tab while the
/// refresh is on the wire (a broadcast): the late answer is dropped and the call rejects.
#[test]
fn a_call_waiting_for_a_refresh_is_not_sent_as_the_user_who_logged_in_meanwhile() {
    let (mut t, _) = T::restored(true, SHARED, Some(owned("a1", Some("r1"), T0, Some("1"), T0)), T0);
    let due = T0 + HOUR - 10_000.0;
    t.go(due, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    let c = t.go(due, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    let c = t.go(due, Input::Loaded { op, result: Ok(Some(owned("a1", Some("r1"), T0, Some("1"), T0))) });
    assert_eq!(token_sends(&c), 1);
    let c = t.go(due + 10.0, Input::Broadcast(Notice::Login));
    let op = load_op(&c).unwrap();
    let c = t.go(due + 20.0, Input::Loaded { op, result: Ok(Some(owned("b1", Some("s1"), due, Some("2"), due))) });
    assert_eq!(events(&c), ["expired", "change", "login", "change"]);
    let c = t.go(due + 30.0, Input::TokenReply { id: LAST, result: Ok(owned("a2", Some("r2"), due, Some("1"), 0.0)), dpop_nonce: None });
    assert!(save_op(&c).is_none(), "user 1's late pair is not stored over user 2's");
    assert!(api_sends(&c).is_empty(), "{c:?}");
    let e = settled(&c, 1).unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::LoginRequired);
    assert!(e.description.unwrap().contains("owner_changed"));
}

/// Found by oss-sim (seed 29 with invariant 10's call check): a request sent as user 1, then a logout and a login
/// as user 2 in the tab, then the request's 401: it went out again with user 2's token. Now the app gets the 401.
#[test]
fn a_401_of_a_request_sent_as_another_user_is_never_resent_as_the_current_one() {
    let (mut t, _) = T::restored(true, ALONE, Some(owned("a1", Some("r1"), T0, Some("1"), T0)), T0);
    let c = t.go(T0 + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(1, Some("a1".into()), false)]);
    let c = t.go(T0 + 2.0, Input::Logout { call: 2 });
    let op = clear_op(&c).unwrap();
    t.go(T0 + 3.0, Input::Cleared { op });
    let c = t.go(T0 + 4.0, Input::LoggedIn { call: 3, tokens: owned("b1", Some("s1"), T0 + 4.0, Some("2"), 0.0) });
    let (op, _) = save_op(&c).unwrap();
    t.go(T0 + 5.0, Input::Saved { op, result: Ok(()) });
    let mut err = Error::new(ErrorCode::Other("TokenInvalid".into()));
    err.error_code = Some("OAU-211".into());
    let c = t.go(T0 + 6.0, Input::ApiResponse { call: 1, status: 401, error: Some(err.clone()), dpop_nonce: None });
    assert!(api_sends(&c).is_empty() && token_sends(&c) == 0, "{c:?}");
    assert!(c.iter().any(|c| matches!(c, Command::Deliver { call: 1 })));
    // The same user logging in again: the old request is resent with the new login's token, as before.
    let (mut t, _) = T::restored(true, ALONE, Some(owned("a1", Some("r1"), T0, Some("1"), T0)), T0);
    t.go(T0 + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    let c = t.go(T0 + 2.0, Input::Logout { call: 2 });
    let op = clear_op(&c).unwrap();
    t.go(T0 + 3.0, Input::Cleared { op });
    let c = t.go(T0 + 4.0, Input::LoggedIn { call: 3, tokens: owned("a2", Some("r2"), T0 + 4.0, Some("1"), 0.0) });
    let (op, _) = save_op(&c).unwrap();
    t.go(T0 + 5.0, Input::Saved { op, result: Ok(()) });
    let c = t.go(T0 + 6.0, Input::ApiResponse { call: 1, status: 401, error: Some(err), dpop_nonce: None });
    assert_eq!(api_sends(&c), [(1, Some("a2".into()), true)]);
}

// ---- a logout is final across tabs (issue 20, item 1) -------------------------------------------------------

/// A pair of the login made at T0 (lineage set, as every stored pair has).
fn of_login(mut t: TokenSet, seq: u32) -> TokenSet {
    t.lineage = crate::protocol::Lineage { since_ms: T0, seq };
    t
}

fn revoked(c: &[Command]) -> Vec<(CallId, String)> {
    c.iter()
        .filter_map(|c| match c {
            Command::SendRevoke { call, form, .. } => Some((*call, form.clone())),
            _ => None,
        })
        .collect()
}

fn locks_asked(c: &[Command]) -> usize {
    c.iter().filter(|c| matches!(c, Command::Lock { .. })).count()
}

fn unlocks(c: &[Command]) -> usize {
    c.iter().filter(|c| matches!(c, Command::Unlock)).count()
}

/// The notice a logout that ended `t`'s login sends (a pair stored before lineages has no name: none).
fn logout_of(t: &TokenSet) -> Notice {
    let mut l = Logins::default();
    Notice::Logout(l.add(login_of(t)).then_some(l))
}

fn broadcasts(c: &[Command]) -> Vec<Notice> {
    c.iter()
        .filter_map(|c| match c {
            Command::Broadcast(n) => Some(*n),
            _ => None,
        })
        .collect()
}

#[test]
fn a_logout_waits_for_another_tabs_refresh_under_the_lock_and_revokes_the_pair_it_stored() {
    let a1 = of_login(tokens("a1", Some("r1"), T0), 0);
    let a2 = of_login(tokens("a2", Some("r2"), T0 + 1.0), 1);
    // Tab B's refresh is on the wire under the lock; tab A logs out.
    let (mut b, _) = T::restored(true, SHARED, Some(a1.clone()), T0);
    b.go(T0, Input::Refresh { call: 5 });
    let op = load_op(&b.go(T0, Input::LockGranted { id: LAST })).unwrap();
    b.go(T0, Input::Loaded { op, result: Ok(Some(a1.clone())) });
    let (mut a, _) = T::restored(true, SHARED, Some(a1.clone()), T0);
    let c = a.go(T0, Input::Logout { call: 9 });
    assert_eq!(locks_asked(&c), 1, "the logout takes the lock first");
    assert!(load_op(&c).is_none() && clear_op(&c).is_none(), "nothing is read or cleared before the lock");
    // B's answer lands, is stored and announced, and B gives the lock back.
    let c = b.go(T0 + 1.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0 + 1.0)), dpop_nonce: None });
    // The look before the write finds storage as it was.
    let c = b.go(T0 + 1.0, Input::Loaded { op: load_op(&c).unwrap(), result: Ok(Some(a1.clone())) });
    let (op, _) = save_op(&c).unwrap();
    let c = b.go(T0 + 1.0, Input::Saved { op, result: Ok(()) });
    assert_eq!(broadcasts(&c), [Notice::Refresh]);
    assert_eq!(unlocks(&c), 1);
    // A, logging out, does not take B's pair up as a refresh; under the lock it reads it and revokes it.
    let c = a.go(T0 + 2.0, Input::Broadcast(Notice::Refresh));
    assert!(events(&c).is_empty() && load_op(&c).is_none());
    let op = load_op(&a.go(T0 + 3.0, Input::LockGranted { id: LAST })).unwrap();
    let op = clear_op(&a.go(T0 + 3.0, Input::Loaded { op, result: Ok(Some(a2.clone())) })).unwrap();
    let c = a.go(T0 + 3.0, Input::Cleared { op });
    assert_eq!(events(&c), ["logout", "change"]);
    assert_eq!(broadcasts(&c), [logout_of(&a2)]);
    assert_eq!(unlocks(&c), 1, "the lock goes back once storage is cleared and the tabs are told");
    let r = revoked(&c);
    assert_eq!(r.len(), 1);
    assert!(r[0].1.contains("token=r2"), "the pair B stored is the one revoked");
    // B follows; a late re-read in A that still sees the pair (a stale read) revives nothing.
    let c = b.go(T0 + 4.0, Input::Broadcast(logout_of(&a2)));
    assert_eq!(events(&c), ["logout", "change"]);
    let c = a.go(T0 + 5.0, Input::Broadcast(Notice::Refresh));
    let op = load_op(&c).unwrap();
    let c = a.go(T0 + 5.0, Input::Loaded { op, result: Ok(Some(a2)) });
    assert!(events(&c).is_empty());
    assert!(!a.e.is_logged_in(Instant::from_ms(T0 + 5.0)));
}

#[test]
fn a_pair_stored_after_another_tabs_logout_is_never_adopted_and_is_removed_and_revoked() {
    // Issue 20 (a), where Web Locks are missing: B's refresh answer is written after A cleared storage, and B
    // announces `refresh`. A re-reads: no `login` for the ended login; the pair goes and is revoked.
    const NO_LOCKS: Caps = Caps { shared: true, locks: false };
    let a1 = of_login(tokens("a1", Some("r1"), T0), 0);
    let a2 = of_login(tokens("a2", Some("r2"), T0 + 1.0), 1);
    let (mut a, _) = T::restored(true, NO_LOCKS, Some(a1.clone()), T0);
    let (mut b, _) = T::restored(true, NO_LOCKS, Some(a1.clone()), T0);
    let op = load_op(&b.go(T0, Input::Refresh { call: 5 })).unwrap();
    let c = b.go(T0, Input::Loaded { op, result: Ok(Some(a1.clone())) });
    assert_eq!(token_sends(&c), 1);
    // A logs out: read, clear, tell, revoke.
    let op = load_op(&a.go(T0, Input::Logout { call: 9 })).unwrap();
    let op = clear_op(&a.go(T0, Input::Loaded { op, result: Ok(Some(a1.clone())) })).unwrap();
    let c = a.go(T0, Input::Cleared { op });
    assert_eq!(events(&c), ["logout", "change"]);
    a.go(T0 + 1.0, Input::RevokeDone { call: 9, dpop_nonce: None });
    // B, not having heard yet, looked at storage just before A's clear, and writes its answer just after it.
    let op = load_op(&b.go(T0 + 1.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0 + 1.0)), dpop_nonce: None })).unwrap();
    let (op, _) = save_op(&b.go(T0 + 1.0, Input::Loaded { op, result: Ok(Some(a1.clone())) })).unwrap();
    b.go(T0 + 1.0, Input::Saved { op, result: Ok(()) });
    // A hears `refresh` and reads B's pair: of the login it logged out.
    let op = load_op(&a.go(T0 + 2.0, Input::Broadcast(Notice::Refresh))).unwrap();
    let c = a.go(T0 + 2.0, Input::Loaded { op, result: Ok(Some(a2.clone())) });
    assert!(events(&c).is_empty(), "no login for the logged-out login: {:?}", events(&c));
    assert!(!a.e.is_logged_in(Instant::from_ms(T0 + 2.0)));
    assert!(clear_op(&c).is_some(), "the revived pair is removed from storage");
    let r = revoked(&c);
    assert!(r.len() == 1 && r[0].0 == NO_CALL && r[0].1.contains("token=r2"), "and revoked: {r:?}");
    // B hears the logout: it drops the pair, and removes it from storage if it is still there.
    let c = b.go(T0 + 3.0, Input::Broadcast(logout_of(&a1)));
    assert_eq!(events(&c), ["logout", "change"]);
    let op = load_op(&c).unwrap();
    let c = b.go(T0 + 3.0, Input::Loaded { op, result: Ok(Some(a2)) });
    assert!(clear_op(&c).is_some());
    assert!(!b.e.is_logged_in(Instant::from_ms(T0 + 3.0)));
}

#[test]
fn a_save_still_pending_when_the_logout_is_heard_is_never_adopted_and_is_revoked() {
    // Issue 20 (b): B hears the logout while its refreshed pair is being stored.
    let a1 = of_login(tokens("a1", Some("r1"), T0), 0);
    let (mut b, _) = T::restored(true, SHARED, Some(a1.clone()), T0);
    b.go(T0, Input::Refresh { call: 5 });
    let op = load_op(&b.go(T0, Input::LockGranted { id: LAST })).unwrap();
    b.go(T0, Input::Loaded { op, result: Ok(Some(a1.clone())) });
    let c = b.go(T0 + 1.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0 + 1.0)), dpop_nonce: None });
    // The look before the write finds storage as it was.
    let c = b.go(T0 + 1.0, Input::Loaded { op: load_op(&c).unwrap(), result: Ok(Some(a1.clone())) });
    let (op, stored) = save_op(&c).unwrap();
    let c = b.go(T0 + 2.0, Input::Broadcast(logout_of(&a1)));
    assert_eq!(events(&c), ["logout", "change"]);
    let sweep = load_op(&c).unwrap();
    let c = b.go(T0 + 3.0, Input::Saved { op, result: Ok(()) });
    assert!(!events(&c).contains(&"refresh"), "not adopted: {:?}", events(&c));
    assert!(broadcasts(&c).is_empty(), "not announced");
    assert!(revoked(&c).iter().any(|(call, f)| *call == NO_CALL && f.contains("token=r2")), "revoked");
    assert_eq!(settled(&c, 5).unwrap().unwrap_err().code, ErrorCode::LoginRequired);
    assert_eq!(unlocks(&c), 1);
    assert!(!b.e.is_logged_in(Instant::from_ms(T0 + 3.0)));
    // The write may have landed after the other tab's clear: it is removed.
    let c = b.go(T0 + 3.0, Input::Loaded { op: sweep, result: Ok(Some(stored)) });
    assert!(clear_op(&c).is_some());
    assert!(revoked(&c).is_empty(), "revoked once, not again when swept: {:?}", revoked(&c));
    // A late RevokeDone of that revoke settles no app call.
    let c = b.go(T0 + 4.0, Input::RevokeDone { call: NO_CALL, dpop_nonce: None });
    assert!(c.is_empty());
}

#[test]
fn a_silent_renewal_that_lands_after_another_tabs_logout_is_revoked_never_stored() {
    // The new pair of a silent renewal comes from a new code: a session the logging-out tab never revoked.
    let mut b = silent_tab(SHARED, Some(of_login(tokens("a1", None, T0), 0)));
    let c = b.go(T0 + MARGIN, Input::Timeout);
    assert_eq!(locks_asked(&c), 1);
    let op = load_op(&b.go(T0 + MARGIN, Input::LockGranted { id: LAST })).unwrap();
    let c = b.go(T0 + MARGIN, Input::Loaded { op, result: Ok(Some(of_login(tokens("a1", None, T0), 0))) });
    assert_eq!(silent_sends(&c), 1);
    b.go(T0 + MARGIN + 1.0, Input::Broadcast(logout_of(&of_login(tokens("a1", None, T0), 0))));
    let c = b.go(T0 + MARGIN + 2.0, Input::SilentDone { id: LAST, result: Ok(tokens("s2", None, T0 + MARGIN)) });
    assert!(save_op(&c).is_none(), "not stored");
    assert!(!events(&c).iter().any(|e| *e == "login" || *e == "refresh"));
    assert!(revoked(&c).iter().any(|(call, f)| *call == NO_CALL && f.contains("token=s2")), "revoked at the server");
    assert!(!b.e.is_logged_in(Instant::from_ms(T0 + MARGIN + 2.0)));
}

#[test]
fn a_logout_while_this_tab_waits_for_the_lock_takes_the_request_over() {
    // The tab's own refresh waits for the lock (another tab holds it): the logout ends it and waits in its
    // place, so one lock request is outstanding, never two.
    let (mut a, _) = T::restored(true, SHARED, Some(of_login(tokens("a1", Some("r1"), T0), 0)), T0);
    let c = a.go(T0, Input::Refresh { call: 5 });
    assert_eq!(locks_asked(&c), 1);
    let c = a.go(T0, Input::Logout { call: 6 });
    assert_eq!(locks_asked(&c), 0);
    assert_eq!(settled(&c, 5).unwrap().unwrap_err().code, ErrorCode::LoginRequired);
    let c = a.go(T0 + 1.0, Input::LockGranted { id: LAST });
    let op = load_op(&c).unwrap();
    let op = clear_op(&a.go(T0 + 1.0, Input::Loaded { op, result: Ok(Some(of_login(tokens("a1", Some("r1"), T0), 0))) })).unwrap();
    let c = a.go(T0 + 1.0, Input::Cleared { op });
    assert_eq!(unlocks(&c), 1);
    assert!(revoked(&c)[0].1.contains("token=r1"));
}

#[test]
fn a_refresh_answer_that_finds_storage_cleared_is_not_written_and_is_revoked() {
    // Without Web Locks (or once this tab held the lock longer than a logout waits for it), the answer is
    // written only after a look at storage: cleared means another tab ended the session meanwhile.
    const NO_LOCKS: Caps = Caps { shared: true, locks: false };
    let a1 = of_login(tokens("a1", Some("r1"), T0), 0);
    let (mut b, _) = T::restored(true, NO_LOCKS, Some(a1.clone()), T0);
    let op = load_op(&b.go(T0, Input::Refresh { call: 5 })).unwrap();
    b.go(T0, Input::Loaded { op, result: Ok(Some(a1)) });
    let op = load_op(&b.go(T0 + 1.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0 + 1.0)), dpop_nonce: None })).unwrap();
    let c = b.go(T0 + 1.0, Input::Loaded { op, result: Ok(None) });
    assert!(save_op(&c).is_none());
    assert!(revoked(&c).iter().any(|(call, f)| *call == NO_CALL && f.contains("token=r2")));
    assert_eq!(settled(&c, 5).unwrap().unwrap_err().code, ErrorCode::LoginRequired);
    assert!(!b.e.is_logged_in(Instant::from_ms(T0 + 1.0)));

    // With Web Locks, a flight that held the lock past LOCK_WAIT_MS looks too.
    let (mut l, _) = T::restored(true, SHARED, Some(of_login(tokens("a1", Some("r1"), T0), 0)), T0);
    l.go(T0, Input::Refresh { call: 5 });
    let op = load_op(&l.go(T0, Input::LockGranted { id: LAST })).unwrap();
    l.go(T0, Input::Loaded { op, result: Ok(Some(of_login(tokens("a1", Some("r1"), T0), 0))) });
    let late = T0 + LOCK_WAIT_MS as f64;
    let c = l.go(late, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), late)), dpop_nonce: None });
    assert!(save_op(&c).is_none() && load_op(&c).is_some(), "it looks before writing");
}

#[test]
fn a_tab_that_hears_the_logout_removes_the_pair_it_held_without_revoking_it_again() {
    // The logging-out tab read that pair under the lock and revoked it; a tab that heard the broadcast and then
    // found the same pair in storage (a read that crossed the clear) removes it, but one revocation per pair.
    let a1 = of_login(tokens("a1", Some("r1"), T0), 0);
    let (mut b, _) = T::restored(true, SHARED, Some(a1.clone()), T0);
    let c = b.go(T0 + 1.0, Input::Broadcast(logout_of(&a1)));
    assert_eq!(events(&c), ["logout", "change"]);
    let op = load_op(&c).unwrap();
    let c = b.go(T0 + 1.0, Input::Loaded { op, result: Ok(Some(a1)) });
    assert!(clear_op(&c).is_some(), "the copy goes");
    assert!(revoked(&c).is_empty(), "not revoked a second time: {:?}", revoked(&c));
    // A pair of that login this tab never held (written late by a third tab) is still revoked.
    let a2 = of_login(tokens("a2", Some("r2"), T0 + 2.0), 1);
    let op = load_op(&b.go(T0 + 2.0, Input::Broadcast(Notice::Refresh))).unwrap();
    let c = b.go(T0 + 2.0, Input::Loaded { op, result: Ok(Some(a2)) });
    assert!(clear_op(&c).is_some());
    let r = revoked(&c);
    assert!(r.len() == 1 && r[0].1.contains("token=r2"), "{r:?}");
}

/// Regression (oss-sim seed 1095171: 4 tabs, cookie storage, Web Locks, no BroadcastChannel): while this tab's
/// refresh was on the wire, another tab logged out and logged in anew (a login takes no lock). The refreshed pair
/// of the old login was written over the new login, the old login's grant was then revoked, this tab's next
/// refresh got `invalid_grant` and cleared storage: the new login ended in every tab though the server held it.
/// A refreshed pair never overwrites another login stored meanwhile: the tab takes that login instead.
#[test]
fn a_refreshed_pair_never_overwrites_a_login_stored_while_it_was_on_the_wire() {
    let mut t = refreshing_under_the_lock();
    let c = t.go(T0 + 100.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0 + 100.0)), dpop_nonce: None });
    let mut theirs = tokens("new", Some("rn"), T0 + 50.0);
    theirs.lineage.since_ms = T0 + 50.0;
    let c = match load_op(&c) {
        Some(op) => t.go(T0 + 100.0, Input::Loaded { op, result: Ok(Some(theirs)) }),
        None => c,
    };
    assert!(save_op(&c).is_none(), "the new login stays in storage: {c:?}");
    assert!(c.iter().any(|c| matches!(c, Command::Unlock)));
    assert_eq!(settled(&c, 5), Some(Ok(Value::Unit)));
    let c = t.go(T0 + 101.0, Input::Fetch { call: 6, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(6, Some("new".into()), false)]);
}

/// Regression (oss-sim seed 1042305: 4 tabs, cookie storage, Web Locks, drops and timeouts): another tab's
/// refresh was on the wire when this tab logged out; its pair was stored after the logout cleared storage, and
/// its `refresh` broadcast made the tab that logged out (and others that had heard the logout) re-read storage
/// and take the revived pair as a `login`. One of them later spent a refresh token whose answer a third tab had
/// received and dropped (it had heard the logout): a refresh token sent again after its answer arrived.
/// A login this tab saw logged out is never taken from storage again; a new login is.
#[test]
fn a_logged_out_login_is_never_taken_back_from_storage() {
    let mut login = tokens("a1", Some("r1"), T0);
    login.lineage.since_ms = T0;
    let mut revived = later("a2", "r2", T0 + 10.0, 1);
    revived.lineage.since_ms = T0;
    // The tab that logged out, and one that heard it.
    let (mut t, _) = T::restored(true, SHARED, Some(login.clone()), T0);
    t.go(T0, Input::Logout { call: 5 });
    let op = load_op(&t.go(T0, Input::LockGranted { id: LAST })).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Ok(Some(login.clone())) });
    let op = clear_op(&c).unwrap();
    let c = t.go(T0, Input::Cleared { op });
    assert_eq!(events(&c), ["logout", "change"]);
    let (mut u, _) = T::restored(true, SHARED, Some(login.clone()), T0);
    let c = u.go(T0 + 1.0, Input::Broadcast(logout_of(&login)));
    assert_eq!(events(&c), ["logout", "change"]);
    for tab in [&mut t, &mut u] {
        let c = tab.go(T0 + 20.0, Input::Broadcast(Notice::Refresh));
        let op = load_op(&c).unwrap();
        let c = tab.go(T0 + 20.0, Input::Loaded { op, result: Ok(Some(revived.clone())) });
        assert!(events(&c).is_empty(), "the logged-out login came back: {:?}", events(&c));
        assert!(!tab.e.is_logged_in(Instant::from_ms(T0 + 20.0)));
        let c = tab.go(T0 + 21.0, Input::Fetch { call: 9, origin: o("https://platform.example.com/a") });
        assert!(api_sends(&c).is_empty());
        // A new login is taken as ever.
        let mut fresh = tokens("b1", Some("s1"), T0 + 30.0);
        fresh.lineage.since_ms = T0 + 30.0;
        let c = tab.go(T0 + 30.0, Input::Broadcast(Notice::Login));
        let op = load_op(&c).unwrap();
        let c = tab.go(T0 + 30.0, Input::Loaded { op, result: Ok(Some(fresh)) });
        assert_eq!(events(&c), ["login", "change"]);
    }
}

/// Regression (oss-sim seeds 1179805 and 1088154: cookie storage, Web Locks): logged out, the app called
/// `refresh()` (or `renew()`) just as a login completed. The re-read under the lock was asked for before the
/// login's pair was stored and answered "empty" after it; the tab took that for another tab's logout and ended
/// the new login (`expired`, storage left holding a pair no tab used). A re-read asked for before this tab's own
/// login landed says nothing about that login.
#[test]
fn a_reread_under_the_lock_from_before_this_tabs_own_login_does_not_end_it() {
    let mine = || {
        let mut t = tokens("mine", Some("r1"), T0 + 1.0);
        t.lineage.since_ms = T0 + 1.0;
        t
    };
    // The refresh flight (refresh() while logged out), and the silent renewal (renew() while logged out).
    let mut flight = T::restored(true, SHARED, None, T0).0;
    flight.go(T0, Input::Refresh { call: 5 });
    let mut silent = silent_tab(SHARED, None);
    silent.go(T0, Input::Renew { call: 5 });
    for t in [&mut flight, &mut silent] {
        let c = t.go(T0, Input::LockGranted { id: LAST });
        let read = load_op(&c).unwrap();
        let c = t.go(T0 + 1.0, Input::LoggedIn { call: 3, tokens: mine() });
        let (op, _) = save_op(&c).unwrap();
        let c = t.go(T0 + 1.0, Input::Saved { op, result: Ok(()) });
        assert_eq!(events(&c), ["login", "change"]);
        let c = t.go(T0 + 2.0, Input::Loaded { op: read, result: Ok(None) });
        assert!(!events(&c).contains(&"expired"), "{:?}", events(&c));
        assert!(clear_op(&c).is_none());
        assert!(t.e.is_logged_in(Instant::from_ms(T0 + 2.0)));
        let c = t.go(T0 + 3.0, Input::Fetch { call: 6, origin: o("https://platform.example.com/a") });
        assert_eq!(api_sends(&c), [(6, Some("mine".into()), false)]);
    }
}

/// Regression (oss-sim seed 1131537: cookie storage, no Web Locks, no refresh tokens): a tab that slept got its
/// silent renewal's answer before the logout and the new login that other tabs had broadcast meanwhile; it wrote
/// the old login's renewed pair over the new login in storage, and later, that pair revoked, cleared it: the new
/// login ended in every tab. A renewed pair is written only after a look: a session that changed meanwhile drops
/// it, and another login stored meanwhile is taken instead.
#[test]
fn a_silent_renewal_never_overwrites_a_login_stored_while_it_ran_nor_lands_after_a_logout() {
    const NO_LOCKS: Caps = Caps { shared: true, locks: false };
    let old = || {
        let mut t = tokens("a1", None, T0);
        t.lineage.since_ms = T0;
        t
    };
    let mut new_login = tokens("b1", None, T0 + 100.0);
    new_login.lineage.since_ms = T0 + 100.0;
    let renewing = || {
        let mut t = silent_tab(NO_LOCKS, Some(old()));
        let c = t.go(T0 + MARGIN, Input::Timeout);
        let c = match load_op(&c) {
            Some(op) => t.go(T0 + MARGIN, Input::Loaded { op, result: Ok(Some(old())) }),
            None => c,
        };
        assert_eq!(silent_sends(&c), 1);
        t
    };
    // Another login is in storage when the answer lands: it is taken, nothing is written.
    let mut t = renewing();
    let c = t.go(T0 + MARGIN + 300.0, Input::SilentDone { id: LAST, result: Ok(tokens("a2", None, T0 + MARGIN + 300.0)) });
    let c = match load_op(&c) {
        Some(op) => t.go(T0 + MARGIN + 300.0, Input::Loaded { op, result: Ok(Some(new_login.clone())) }),
        None => c,
    };
    assert!(save_op(&c).is_none(), "the renewed pair of the old login was written over the new login");
    let c = t.go(T0 + MARGIN + 301.0, Input::Fetch { call: 6, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(6, Some("b1".into()), false)]);
    // Another tab renewed this login twice meanwhile: its later pair is taken, ours not written over it.
    let mut t = renewing();
    let c = t.go(T0 + MARGIN + 300.0, Input::SilentDone { id: LAST, result: Ok(tokens("a2", None, T0 + MARGIN + 300.0)) });
    let mut theirs = tokens("a3", None, T0 + MARGIN + 200.0);
    theirs.lineage = crate::protocol::Lineage { since_ms: T0, seq: 2 };
    let c = match load_op(&c) {
        Some(op) => t.go(T0 + MARGIN + 300.0, Input::Loaded { op, result: Ok(Some(theirs)) }),
        None => c,
    };
    assert!(save_op(&c).is_none(), "an earlier pair of this login was written over a later one");
    let c = t.go(T0 + MARGIN + 301.0, Input::Fetch { call: 6, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(6, Some("a3".into()), false)]);
    // The logout is heard before the answer is written: nothing is written or adopted.
    let mut t = renewing();
    let c = t.go(T0 + MARGIN + 300.0, Input::SilentDone { id: LAST, result: Ok(tokens("a2", None, T0 + MARGIN + 300.0)) });
    let look = load_op(&c);
    let mut all = c;
    all.extend(t.go(T0 + MARGIN + 300.0, Input::Broadcast(logout_of(&old()))));
    if let Some(op) = look {
        all.extend(t.go(T0 + MARGIN + 300.0, Input::Loaded { op, result: Ok(Some(old())) }));
    }
    if let Some((op, _)) = save_op(&all) {
        all.extend(t.go(T0 + MARGIN + 300.0, Input::Saved { op, result: Ok(()) }));
    }
    assert!(save_op(&all).is_none(), "a pair of the logged-out session was written");
    assert!(!t.e.is_logged_in(Instant::from_ms(T0 + MARGIN + 301.0)));
}

/// Regression (oss-sim seed 1184817, after the fix above): the re-read under the lock answered the winner's later
/// pair of the login this tab held, but a login of this tab had landed meanwhile (its save still pending); the
/// read was ignored as stale and the tab spent the refresh token the winner had already used. A later pair of
/// the login the tab holds is still taken.
#[test]
fn a_reread_from_before_this_tabs_own_login_still_takes_the_winners_later_pair() {
    let mut held = tokens("a1", Some("r1"), T0);
    held.lineage.since_ms = T0;
    let (mut t, _) = T::restored(true, SHARED, Some(held), T0);
    let now = T0 + HOUR;
    t.go(now, Input::Timeout);
    let c = t.go(now, Input::LockGranted { id: LAST });
    let read = load_op(&c).unwrap();
    let mut mine = tokens("mine", Some("m1"), now);
    mine.lineage.since_ms = now;
    t.go(now, Input::LoggedIn { call: 3, tokens: mine });
    let mut winner = later("a2", "r2", now - 5.0, 1);
    winner.lineage.since_ms = T0;
    let c = t.go(now + 1.0, Input::Loaded { op: read, result: Ok(Some(winner)) });
    assert!(!sent_form(&c).is_some_and(|f| f.contains("refresh_token=r1")), "spent r1 again: {c:?}");
    assert_eq!(token_sends(&c), 0);
}

/// Regression (oss-sim seed 9971: 3 tabs, cookie storage, no Web Locks, no BroadcastChannel, silent renewal):
/// this tab was renewing login 1 when another tab logged login 1 out and logged in anew (login 2); a 401 made
/// this tab take login 2 from storage, and then its renewal of login 1 answered and was written over login 2,
/// reviving the login the user had ended. A renewal is for the login it started from: once the tab holds
/// another login, its answer is dropped (neither stored nor announced).
#[test]
fn a_silent_renewal_of_a_login_the_tab_no_longer_holds_is_never_stored() {
    const NO_LOCKS: Caps = Caps { shared: true, locks: false };
    let mut t = silent_tab(NO_LOCKS, Some(owned("a1", None, T0, Some("1"), T0)));
    let c = t.go(T0 + MARGIN, Input::Timeout);
    let op = load_op(&c).unwrap();
    let c = t.go(T0 + MARGIN, Input::Loaded { op, result: Ok(Some(owned("a1", None, T0, Some("1"), T0))) });
    assert_eq!(silent_sends(&c), 1);
    // A request with a1 is answered 401: storage holds another login of the same user, which the tab takes.
    let c = t.go(T0 + MARGIN + 1.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(1, Some("a1".into()), false)]);
    let mut dead = Error::new(ErrorCode::LoginRequired).with_status(401);
    dead.error_code = Some("OAU-213".into());
    let c = t.go(T0 + MARGIN + 2.0, Input::ApiResponse { call: 1, status: 401, error: Some(dead), dpop_nonce: None });
    let op = load_op(&c).unwrap();
    let login2 = owned("b1", None, T0 + MARGIN, Some("1"), T0 + MARGIN);
    t.go(T0 + MARGIN + 2.0, Input::Loaded { op, result: Ok(Some(login2)) });
    assert_eq!(t.e.current_access().map(|a| a.expose().to_string()), Some("b1".into()));
    // The renewal of login 1 answers: nothing is written, nothing announced, login 2 stays.
    let at = T0 + MARGIN + 3.0;
    let mut c = t.go(at, Input::SilentDone { id: LAST, result: Ok(owned("a2", None, at, Some("1"), 0.0)) });
    if let Some(op) = load_op(&c) {
        c = t.go(at, Input::Loaded { op, result: Ok(Some(owned("b1", None, T0 + MARGIN, Some("1"), T0 + MARGIN))) });
    }
    assert!(save_op(&c).is_none(), "the renewal of login 1 was written: {c:?}");
    assert!(events(&c).iter().all(|e| *e != "refresh" && *e != "login"), "{:?}", events(&c));
    let c = t.go(at + 1.0, Input::Fetch { call: 2, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(2, Some("b1".into()), false)]);
}

/// Regression (oss-sim seed 1010142: 4 tabs, cookie storage, Web Locks, BroadcastChannel): this tab's refresh
/// of login 1 was on the wire when another tab logged in anew (login 2) and this tab took login 2 up. The
/// refreshed pair of login 1 was then written over login 2; a logout of login 1 cleared storage, and the tabs
/// holding login 2 (alive at the server) expired. A refreshed pair of a login the tab no longer holds is
/// never written.
#[test]
fn a_refreshed_pair_of_a_login_the_tab_left_is_never_written() {
    let login1 = of_login(tokens("a1", Some("r1"), T0), 0);
    let (mut t, _) = T::restored(true, SHARED, Some(login1.clone()), T0);
    t.go(T0, Input::Refresh { call: 5 });
    let op = load_op(&t.go(T0, Input::LockGranted { id: LAST })).unwrap();
    let c = t.go(T0, Input::Loaded { op, result: Ok(Some(login1)) });
    assert_eq!(token_sends(&c), 1);
    // Another tab logs in: this tab takes login 2.
    let mut login2 = tokens("b1", Some("s1"), T0 + 10.0);
    login2.lineage.since_ms = T0 + 10.0;
    let op = load_op(&t.go(T0 + 10.0, Input::Broadcast(Notice::Login))).unwrap();
    t.go(T0 + 10.0, Input::Loaded { op, result: Ok(Some(login2.clone())) });
    assert_eq!(t.e.current_access().map(|a| a.expose().to_string()), Some("b1".into()));
    // The refresh of login 1 answers; the look before the write finds login 2.
    let c = t.go(T0 + 20.0, Input::TokenReply { id: LAST, result: Ok(tokens("a2", Some("r2"), T0 + 20.0)), dpop_nonce: None });
    let c = match load_op(&c) {
        Some(op) => t.go(T0 + 20.0, Input::Loaded { op, result: Ok(Some(login2)) }),
        None => c,
    };
    assert!(save_op(&c).is_none(), "login 1's pair was written over login 2: {c:?}");
    assert!(settled(&c, 5).is_some(), "refresh() settles");
    let c = t.go(T0 + 21.0, Input::Fetch { call: 6, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(6, Some("b1".into()), false)]);
}

/// Regression (oss-sim seed 1027646: 4 tabs, cookie storage, no Web Locks, BroadcastChannel): two tabs logged in
/// one after the other; this tab read storage for each broadcast, and the reads were answered out of order. It
/// took the newer login first and then the older one, which storage no longer held. A read answered after a
/// later-asked read was handled is older news: dropped.
#[test]
fn reads_for_broadcasts_answered_out_of_order_never_take_the_older_pair_last() {
    let (mut t, _) = T::restored(true, Caps { shared: true, locks: false }, None, T0);
    let mut first = tokens("a1", Some("r1"), T0 + 1.0);
    first.lineage.since_ms = T0 + 1.0;
    let mut second = tokens("b1", Some("s1"), T0 + 2.0);
    second.lineage.since_ms = T0 + 2.0;
    let older = load_op(&t.go(T0 + 3.0, Input::Broadcast(Notice::Login))).unwrap();
    let newer = load_op(&t.go(T0 + 3.0, Input::Broadcast(Notice::Login))).unwrap();
    let c = t.go(T0 + 4.0, Input::Loaded { op: newer, result: Ok(Some(second)) });
    assert_eq!(events(&c), ["login", "change"]);
    let c = t.go(T0 + 5.0, Input::Loaded { op: older, result: Ok(Some(first)) });
    assert!(events(&c).is_empty(), "the older read replaced the newer pair: {:?}", events(&c));
    let c = t.go(T0 + 6.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(1, Some("b1".into()), false)]);
}

/// Regression (oss-sim seed 1006293: 3 tabs, cookie storage, Web Locks, silent renewal): logged out, the app
/// called `renew()` while another tab's login was landing. The frame went out from logged out (a silent login:
/// a new server session); the tab then took the other tab's login, and the frame's pair was written as that
/// login's renewal. A logout then revoked that pair only, and the tabs holding the other tab's login (alive at
/// the server) expired. A silent login started from logged out is never written over a login taken meanwhile.
#[test]
fn a_silent_login_from_logged_out_is_never_written_over_a_login_taken_meanwhile() {
    let mut t = silent_tab(SHARED, None);
    let c = t.go(T0, Input::Renew { call: 7 });
    let op = load_op(&t.go(T0, Input::LockGranted { id: LAST })).unwrap_or_else(|| load_op(&c).unwrap());
    let c = t.go(T0, Input::Loaded { op, result: Ok(None) });
    assert_eq!(silent_sends(&c), 1);
    // Another tab's login lands: this tab takes it.
    let login = owned("a1", None, T0 + 1.0, Some("1"), T0 + 1.0);
    let op = load_op(&t.go(T0 + 1.0, Input::Broadcast(Notice::Login))).unwrap();
    let c = t.go(T0 + 1.0, Input::Loaded { op, result: Ok(Some(login.clone())) });
    assert_eq!(events(&c), ["login", "change"]);
    // The frame answers with a pair of a new server session: not that login's renewal.
    let mut c = t.go(T0 + 2.0, Input::SilentDone { id: LAST, result: Ok(owned("z1", None, T0 + 2.0, Some("1"), 0.0)) });
    if let Some(op) = load_op(&c) {
        c = t.go(T0 + 2.0, Input::Loaded { op, result: Ok(Some(login)) });
    }
    assert!(save_op(&c).is_none(), "the silent login was written over the login taken: {c:?}");
    assert!(settled(&c, 7).is_some(), "renew() settles");
    let c = t.go(T0 + 3.0, Input::Fetch { call: 8, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(8, Some("a1".into()), false)]);
}

/// Regression (oss-sim seeds 1028081, 1047205, 1066619, 1099633: cookie storage, Web Locks, no
/// BroadcastChannel, silent renewal, tampering): another tab logged out (storage cleared), then the stored value
/// was tampered with; this tab, which could not hear the logout, read the garbage under the lock, renewed
/// silently and wrote a new pair of the logged-out login. Unreadable shared storage under the lock is logged
/// out, as at the start: no frame, storage cleared, `expired` with the error.
#[test]
fn a_silent_renewal_never_runs_over_unreadable_shared_storage() {
    let mut t = silent_tab(SHARED, Some(owned("a1", None, T0, Some("1"), T0)));
    t.go(T0 + MARGIN, Input::Timeout);
    let op = load_op(&t.go(T0 + MARGIN, Input::LockGranted { id: LAST })).unwrap();
    let corrupt = Error::new(ErrorCode::CorruptStorage);
    let c = t.go(T0 + MARGIN, Input::Loaded { op, result: Err(corrupt) });
    assert_eq!(silent_sends(&c), 0, "a frame went out over unreadable storage");
    assert!(clear_op(&c).is_some(), "the bad value goes");
    assert!(!t.e.is_logged_in(Instant::from_ms(T0 + MARGIN)));
    let op = clear_op(&c).unwrap();
    let c = t.go(T0 + MARGIN, Input::Cleared { op });
    assert_eq!(events(&c), ["expired", "change"]);
    assert_eq!(expired_codes(&c), [Some(ErrorCode::CorruptStorage)]);
}

/// Regression (oss-sim seed 1145487: 2 tabs, cookie storage, Web Locks, two users, clock jumps): this tab's pair
/// was over and two calls each looked at storage. The first look found the other user's login (taken: `expired`
/// with owner_changed, then `login`); the second look, for the same ended pair, found that login current and
/// sent the old user's call with the new user's token. A call made as one user is never sent as another.
#[test]
fn a_call_waiting_on_an_ended_pair_is_never_sent_as_the_user_that_came_after() {
    let (mut t, _) = T::restored(false, SHARED, Some(owned("a1", None, T0, Some("1"), T0)), T0);
    let late = T0 + 2.0 * 3600.0 * 1000.0;
    let first = load_op(&t.go(late, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") })).unwrap();
    let second = load_op(&t.go(late, Input::Fetch { call: 2, origin: o("https://platform.example.com/a") })).unwrap();
    let other = owned("b1", None, late, Some("2"), late);
    let c = t.go(late, Input::Loaded { op: first, result: Ok(Some(other.clone())) });
    assert_eq!(expired_codes(&c), owner_changed_code());
    let c = t.go(late, Input::Loaded { op: second, result: Ok(Some(other)) });
    assert!(api_sends(&c).is_empty(), "user 1's call went out as user 2: {c:?}");
    let e = settled(&c, 2).unwrap().unwrap_err();
    assert!(e.description.as_deref().unwrap_or_default().contains("owner_changed"), "{e:?}");
}

/// Regression (oss-sim seed 83438935: 4 tabs, cookie storage, Web Locks, no BroadcastChannel, tampered storage):
/// tab A held login 3 while storage held another tab's newer login 4; A's logout read login 4 under the lock and
/// revoked only it, so login 3's server session lived on, and a tab that never heard the logout wrote its pair
/// back into storage. A logout revokes the pair it held too when that is another login than the one it read.
#[test]
fn a_logout_revokes_the_login_it_held_as_well_as_the_newer_one_it_read() {
    let mine = of_login(tokens("a5", Some("r6"), T0), 0);
    let mut theirs = tokens("a9", Some("r10"), T0 + 100.0);
    theirs.lineage = crate::protocol::Lineage { since_ms: T0 + 100.0, seq: 0 };
    let (mut t, _) = T::restored(true, SHARED, Some(mine.clone()), T0);
    t.go(T0 + 200.0, Input::Logout { call: 9 });
    let op = load_op(&t.go(T0 + 200.0, Input::LockGranted { id: LAST })).unwrap();
    let c = t.go(T0 + 200.0, Input::Loaded { op, result: Ok(Some(theirs)) });
    let r = revoked(&c);
    assert!(r.iter().any(|(call, f)| *call == NO_CALL && f.contains("token=r6")), "the held login: {r:?}");
    let op = clear_op(&c).unwrap();
    let c = t.go(T0 + 200.0, Input::Cleared { op });
    assert_eq!(events(&c), ["logout", "change"]);
    let r = revoked(&c);
    assert!(r.iter().any(|(call, f)| *call == 9 && f.contains("token=r10")), "the newest one read: {r:?}");
    // A pair of the same login that was only newer is revoked once, as before.
    let a2 = of_login(tokens("a2", Some("r2"), T0 + 1.0), 1);
    let (mut u, _) = T::restored(true, SHARED, Some(mine), T0);
    u.go(T0 + 200.0, Input::Logout { call: 9 });
    let op = load_op(&u.go(T0 + 200.0, Input::LockGranted { id: LAST })).unwrap();
    let c = u.go(T0 + 200.0, Input::Loaded { op, result: Ok(Some(a2)) });
    assert!(revoked(&c).is_empty(), "{:?}", revoked(&c));
}

/// Regression (oss-sim seed 1039109: 4 tabs, cookie storage, Web Locks): tab A logged out the login it read under
/// the lock; its `logout` notice reached tab B just after B had finished a new login of its own (a login takes no
/// lock), and B ended and swept that login: the notice named no login. It names the logins it ended now: a tab
/// holding another one keeps it, a tab holding one of them ends it, and a plain `logout` (an earlier version's)
/// is still final for every tab.
#[test]
fn a_logout_notice_ends_the_login_it_names_never_a_newer_one() {
    let theirs = of_login(tokens("a5", Some("r6"), T0), 0);
    // A holds nothing yet; under the lock it reads the login another tab stored, clears it and says so.
    let (mut a, _) = T::restored(true, SHARED, None, T0);
    a.go(T0 + 10.0, Input::Logout { call: 9 });
    let op = load_op(&a.go(T0 + 10.0, Input::LockGranted { id: LAST })).unwrap();
    let op = clear_op(&a.go(T0 + 10.0, Input::Loaded { op, result: Ok(Some(theirs.clone())) })).unwrap();
    let c = a.go(T0 + 10.0, Input::Cleared { op });
    let notice = broadcasts(&c);
    assert_eq!(notice.len(), 1, "{c:?}");
    let notice = notice[0];
    // B logged in meanwhile; A's notice arrives after B's login was stored.
    let (mut b, _) = T::restored(true, SHARED, None, T0);
    let (op, stored) = save_op(&b.go(T0 + 15.0, Input::LoggedIn { call: 2, tokens: tokens("b1", Some("s1"), T0 + 15.0) })).unwrap();
    let c = b.go(T0 + 15.0, Input::Saved { op, result: Ok(()) });
    assert_eq!(events(&c), ["login", "change"]);
    let c = b.go(T0 + 40.0, Input::Broadcast(notice));
    assert!(events(&c).is_empty(), "the new login ended: {:?}", events(&c));
    assert!(clear_op(&c).is_none() && revoked(&c).is_empty(), "nor was it swept or revoked: {c:?}");
    let c = b.go(T0 + 41.0, Input::Fetch { call: 3, origin: o("https://platform.example.com/a") });
    assert_eq!(api_sends(&c), [(3, Some("b1".into()), false)]);
    // The notice's login is over in every tab that hears it, whatever pair of it the tab holds.
    let (mut c_tab, _) = T::restored(true, SHARED, Some(of_login(tokens("a7", Some("r8"), T0 + 5.0), 1)), T0 + 5.0);
    let c = c_tab.go(T0 + 40.0, Input::Broadcast(notice));
    assert_eq!(events(&c), ["logout", "change"]);
    assert!(!c_tab.e.is_logged_in(Instant::from_ms(T0 + 40.0)));
    // A plain `logout` from a tab of an earlier version names nothing: final for B too.
    let old = Notice::from_wire("logout").unwrap();
    let c = b.go(T0 + 50.0, Input::Broadcast(old));
    assert_eq!(events(&c), ["logout", "change"]);
    let op = load_op(&c).expect("and its pair is swept if a late write put it back");
    let c = b.go(T0 + 50.0, Input::Loaded { op, result: Ok(Some(stored)) });
    assert!(clear_op(&c).is_some());
}

/// Found with the fix above: a tab that held nothing heard `login` and read storage; the logout of that login
/// was heard before the read's answer, which still held its pair (a read from before the clear). A logout used
/// to say nothing to a tab without a session: it took the logged-out login up as a `login`. Every login a notice
/// names is dead in every tab that hears it.
#[test]
fn a_tab_without_a_session_never_takes_up_a_login_it_heard_logged_out() {
    let theirs = of_login(tokens("a5", Some("r6"), T0), 0);
    let (mut a, _) = T::restored(true, SHARED, Some(theirs.clone()), T0);
    a.go(T0 + 10.0, Input::Logout { call: 9 });
    let op = load_op(&a.go(T0 + 10.0, Input::LockGranted { id: LAST })).unwrap();
    let op = clear_op(&a.go(T0 + 10.0, Input::Loaded { op, result: Ok(Some(theirs.clone())) })).unwrap();
    let notice = broadcasts(&a.go(T0 + 10.0, Input::Cleared { op }))[0];
    let (mut b, _) = T::restored(true, SHARED, None, T0);
    let read = load_op(&b.go(T0 + 5.0, Input::Broadcast(Notice::Login))).unwrap();
    let c = b.go(T0 + 12.0, Input::Broadcast(notice));
    assert!(events(&c).is_empty());
    let c = b.go(T0 + 13.0, Input::Loaded { op: read, result: Ok(Some(theirs)) });
    assert!(!events(&c).contains(&"login"), "a logged-out login was taken up: {:?}", events(&c));
    assert!(!b.e.is_logged_in(Instant::from_ms(T0 + 13.0)));
    let c = b.go(T0 + 14.0, Input::Fetch { call: 3, origin: o("https://platform.example.com/a") });
    assert!(api_sends(&c).iter().all(|(_, token, _)| token.is_none()), "{:?}", api_sends(&c));
}

/// Every I/O answer names its request: a late answer to a request the engine gave up (a token request that
/// timed out and was sent again, a lock request of a flight that ended) is never taken for the current one.
#[test]
fn a_late_answer_is_never_taken_for_another_requests() {
    let (mut t, _) = T::restored(true, ALONE, Some(tokens("a1", Some("r1"), T0)), T0);
    t.go(T0, Input::Refresh { call: 5 });
    let first = t.last.token;
    t.go(T0, Input::TokenReply { id: LAST, result: Err(transient()), dpop_nonce: None });
    let c = t.go(T0 + 250.0, Input::Timeout);
    assert_eq!(token_sends(&c), 1);
    let second = t.last.token;
    assert_ne!(first, second, "each send is its own request");
    // The first request's answer comes after all: not the answer to the second.
    let c = t.go(T0 + 300.0, Input::TokenReply { id: first, result: Ok(tokens("a2", Some("r2"), T0 + 300.0)), dpop_nonce: None });
    assert!(c.is_empty(), "{c:?}");
    let c = t.go(T0 + 301.0, Input::TokenReply { id: second, result: Ok(tokens("a3", Some("r3"), T0 + 301.0)), dpop_nonce: None });
    assert_eq!(save_op(&c).unwrap().1.access_token.expose(), "a3");
    // A lock grant nobody asked for (any more) is given back, never taken.
    let (mut s, _) = T::restored(true, SHARED, Some(tokens("a1", Some("r1"), T0)), T0);
    let c = s.go(T0, Input::LockGranted { id: 999 });
    assert!(matches!(c.as_slice(), [Command::Unlock]), "{c:?}");
}

/// Guarantee (logout finality): a logout ends the login held when it was called, and its notice names it, even
/// when that login ends on its own before the logout gets the lock (oss-sim seed 2206: another tab ended it and
/// the notice named none, so the other tabs went on sending its token).
#[test]
fn a_logout_names_the_login_held_when_it_was_called() {
    fn held_pair() -> TokenSet {
        let mut held = tokens("a1", None, T0);
        held.lineage.since_ms = T0 - 5.0;
        held
    }
    let (mut t, _) = T::restored(true, SHARED, Some(held_pair()), T0);
    // The tab's clock jumped past the expiry: a fetch starts the end of the session (it looks at storage first)…
    let later = T0 + 2.0 * HOUR;
    let c = t.go(later, Input::Fetch { call: 20, origin: o("https://platform.example.com/x") });
    let ending = load_op(&c).expect("the end of the pair looks at storage first");
    // … and the user logs out before that look is answered.
    let c = t.go(later, Input::Logout { call: 9 });
    assert!(c.iter().any(|c| matches!(c, Command::Lock { .. })), "{c:?}");
    let c = t.go(later, Input::Loaded { op: ending, result: Ok(Some(held_pair())) });
    if let Some(op) = clear_op(&c) {
        t.go(later, Input::Cleared { op });
    }
    assert!(t.e.token_info().is_none(), "the session ended on its own first");
    let c = t.go(later, Input::LockGranted { id: LAST });
    let op = load_op(&c).expect("the logout reads storage");
    let c = t.go(later, Input::Loaded { op, result: Ok(None) });
    let c = match clear_op(&c) {
        Some(op) => t.go(later, Input::Cleared { op }),
        None => c,
    };
    let named = c.iter().find_map(|c| match c {
        Command::Broadcast(Notice::Logout(Some(l))) => Some(l.contains((T0 - 5.0) as u64)),
        _ => None,
    });
    assert_eq!(named, Some(true), "{c:?}");
}

/// Regression (oss-sim seeds 1039983 and 1067880 on an older engine: cookie storage, no Web Locks): the app called
/// `refresh()` and then `logout()`; storage had been emptied (a tab cleared tampered data at its start), the
/// refresh's read came back first and this tab dropped its login, so the logout's read found nothing. The logout
/// still ends the login held when it was called: it names it and revokes it, and another tab holding it ends it.
#[test]
fn a_logout_names_and_revokes_the_login_held_when_it_was_called_though_dropped_before_its_read() {
    const NO_LOCKS: Caps = Caps { shared: true, locks: false };
    let held = of_login(tokens("a1", Some("r1"), T0), 0);
    let (mut a, _) = T::restored(true, NO_LOCKS, Some(held.clone()), T0);
    let refresh_read = load_op(&a.go(T0 + 1.0, Input::Refresh { call: 4 })).unwrap();
    let logout_read = load_op(&a.go(T0 + 1.0, Input::Logout { call: 7 })).unwrap();
    let mut c = a.go(T0 + 1.0, Input::Loaded { op: refresh_read, result: Ok(None) });
    c.extend(a.go(T0 + 1.0, Input::Loaded { op: logout_read, result: Ok(None) }));
    if let Some(clear) = clear_op(&c) {
        c.extend(a.go(T0 + 1.0, Input::Cleared { op: clear }));
    }
    assert!(revoked(&c).iter().any(|(_, f)| f.contains("token=r1")), "the login held at the call is revoked: {:?}", revoked(&c));
    let notice = broadcasts(&c);
    assert_eq!(notice, [logout_of(&held)], "{c:?}");
    // Another tab still holding that login ends it and sends no request with its token.
    let (mut b, _) = T::restored(true, NO_LOCKS, Some(held), T0);
    let c = b.go(T0 + 2.0, Input::Broadcast(notice[0].clone()));
    assert_eq!(events(&c), ["logout", "change"]);
    assert!(api_sends(&b.go(T0 + 3.0, Input::Fetch { call: 1, origin: o("https://platform.example.com/a") })).is_empty());
}

/// Guarantee (no lost session, shared storage without Web Locks): a tab whose refresh answer came last wrote its
/// older pair over the newer one another tab had stored; the tab holding the newer pair, hearing the change, puts
/// it back and tells the others, so no tab spends the refresh token already spent (oss-sim seed 1193136: every
/// tab then refreshed with it, got `invalid_grant` past the grace window, and the session ended).
#[test]
fn storage_that_went_back_to_an_older_pair_of_the_login_gets_the_newer_one_back() {
    const NO_LOCKS: Caps = Caps { shared: true, locks: false };
    let newer = of_login(tokens("a3", Some("r4"), T0), 2);
    let (mut t, _) = T::restored(true, NO_LOCKS, Some(newer), T0);
    let c = t.go(T0 + 1.0, Input::Broadcast(Notice::Refresh));
    let op = load_op(&c).unwrap();
    let c = t.go(T0 + 1.0, Input::Loaded { op, result: Ok(Some(of_login(tokens("a2", Some("r3"), T0), 1))) });
    let (_, saved) = save_op(&c).expect("the newer pair is written back");
    assert_eq!(saved.access_token.expose(), "a3");
    assert_eq!(broadcasts(&c), [Notice::Refresh]);
    assert!(events(&c).is_empty(), "nothing changed for the app: {c:?}");
    // With Web Locks the older pair cannot land after the newer (the refresh reads under the lock): no write.
    let (mut t, _) = T::restored(true, SHARED, Some(of_login(tokens("a3", Some("r4"), T0), 2)), T0);
    let op = load_op(&t.go(T0 + 1.0, Input::Broadcast(Notice::Refresh))).unwrap();
    let c = t.go(T0 + 1.0, Input::Loaded { op, result: Ok(Some(of_login(tokens("a2", Some("r3"), T0), 1))) });
    assert!(save_op(&c).is_none() && broadcasts(&c).is_empty(), "{c:?}");
}

#[path = "join_tests.rs"]
mod join_tests;
