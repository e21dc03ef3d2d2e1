//! When to use, refresh or give up on tokens, and how long to back off. Pure functions of the
//! token set and the clock; the browser layer calls `decide` whenever a token is about to be used
//! (timers computed from `next_check_ms` are only hints).

use super::token::TokenSet;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Decision {
    /// Use the access token.
    Fresh,
    /// Still valid but inside the refresh margin and no usable refresh token: use it; the app may
    /// offer a re-login.
    Expiring,
    /// Refresh now (the access token may or may not still be valid).
    Refresh,
    /// Nothing usable.
    LoginRequired,
}

/// `min(margin, lifetime / 2)`: a token living 60 s with a 60 s margin is refreshed after 30 s,
/// not immediately; a non-positive lifetime gives a zero margin.
fn access_margin_ms(t: &TokenSet, margin_s: u32) -> f64 {
    let half = ((t.expires_at_ms - t.issued_at_ms) / 2.0).max(0.0);
    (margin_s as f64 * 1000.0).min(half)
}

/// * no tokens → `LoginRequired`;
/// * `now < expires_at − m` (m = `min(margin, lifetime/2)`) and the refresh token is not due → `Fresh`;
/// * else a usable refresh token (`now < refresh_expires_at`, or expiry unknown) → `Refresh`;
/// * else `now < expires_at` → `Expiring`;
/// * else `LoginRequired`.
///
/// The refresh token is *due* when `now ≥ refresh_expires_at − margin`, so a sliding refresh token
/// is renewed before it runs out — unless the current access token was itself issued inside that
/// window: then the last refresh evidently did not renew it, and refreshing again would loop.
/// An expired refresh token counts as none.
pub fn decide(tokens: Option<&TokenSet>, now_ms: f64, margin_s: u32) -> Decision {
    let t = match tokens {
        Some(t) => t,
        None => return Decision::LoginRequired,
    };
    let rt_usable = t.refresh_token.is_some() && t.refresh_expires_at_ms.is_none_or(|r| now_ms < r);
    let rt_due = rt_usable
        && t.refresh_expires_at_ms.is_some_and(|r| {
            let start = r - margin_s as f64 * 1000.0;
            now_ms >= start && t.issued_at_ms < start
        });
    if now_ms < t.expires_at_ms - access_margin_ms(t, margin_s) && !rt_due {
        Decision::Fresh
    } else if rt_usable {
        Decision::Refresh
    } else if now_ms < t.expires_at_ms {
        Decision::Expiring
    } else {
        Decision::LoginRequired
    }
}

/// The earliest absolute time after `now_ms` at which [`decide`] gives a different answer, or
/// `None` if it never changes (no tokens, or already `LoginRequired` for good).
pub fn next_check_ms(tokens: Option<&TokenSet>, now_ms: f64, margin_s: u32) -> Option<f64> {
    let t = tokens?;
    let current = decide(tokens, now_ms, margin_s);
    let candidates = [
        t.expires_at_ms - access_margin_ms(t, margin_s),
        t.expires_at_ms,
        t.refresh_expires_at_ms
            .map_or(f64::NAN, |r| r - margin_s as f64 * 1000.0),
        t.refresh_expires_at_ms.unwrap_or(f64::NAN),
    ];
    // The earliest candidate (decisions only change at these instants) that changes the answer.
    // A plain minimum instead of a sort keeps slice-sort code out of the wasm. NaN never passes `>`.
    let mut best: Option<f64> = None;
    for c in candidates {
        if c > now_ms && best.is_none_or(|b| c < b) && decide(tokens, c, margin_s) != current {
            best = Some(c);
        }
    }
    best
}

/// Until when stored tokens can still serve: the instant from which [`decide`] answers `LoginRequired` for
/// good, or `None` if no such instant is known (a refresh token whose expiry the server did not give — OAuth
/// servers need not say; RingCentral does, oidc-provider does not). Storage that expires by itself (cookies)
/// must keep the tokens at least this long: a tab whose timer runs late (a loaded machine, a background tab, a
/// laptop waking up) or a page loaded after the access token's expiry would otherwise find storage empty,
/// take it for another tab's logout and end a session whose refresh token is still good.
pub fn keep_until_ms(t: &TokenSet) -> Option<f64> {
    match (&t.refresh_token, t.refresh_expires_at_ms) {
        (Some(_), None) => None,
        (Some(_), Some(r)) => Some(r.max(t.expires_at_ms)),
        (None, _) => Some(t.expires_at_ms),
    }
}

/// Delay before retry number `attempt` (0-based): `Retry-After` when the server gave one (capped at
/// 60 s), else 250 ms × 2^attempt capped at 4 s. Deterministic (no jitter).
pub fn backoff_ms(attempt: u32, retry_after_s: Option<u32>) -> f64 {
    match retry_after_s {
        Some(s) => s.min(60) as f64 * 1000.0,
        None => (250u32 << attempt.min(4)) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::secret::Secret;

    const T0: f64 = 1_000_000_000.0;

    fn ts(lifetime_s: f64, rt_lifetime_s: Option<Option<f64>>) -> TokenSet {
        TokenSet {
            access_token: Secret::new("a"),
            token_type: "bearer".into(),
            issued_at_ms: T0,
            expires_at_ms: T0 + lifetime_s * 1000.0,
            refresh_token: rt_lifetime_s.map(|_| Secret::new("r")),
            refresh_expires_at_ms: rt_lifetime_s.flatten().map(|l| T0 + l * 1000.0),
            scope: None,
            owner_id: None,
            endpoint_id: None,
            session_id: None,
            lineage: Default::default(),
        }
    }

    fn at(t: &TokenSet, s: f64) -> Decision {
        decide(Some(t), T0 + s * 1000.0, 60)
    }

    #[test]
    fn no_tokens_means_login() {
        assert_eq!(decide(None, T0, 60), Decision::LoginRequired);
        assert_eq!(next_check_ms(None, T0, 60), None);
    }

    #[test]
    fn boundaries_with_refresh_token() {
        let t = ts(3600.0, Some(Some(604_800.0)));
        assert_eq!(at(&t, 0.0), Decision::Fresh);
        assert_eq!(at(&t, 3539.999), Decision::Fresh);
        assert_eq!(at(&t, 3540.0), Decision::Refresh);
        assert_eq!(at(&t, 3600.0), Decision::Refresh); // expired access token, refresh still possible
        assert_eq!(at(&t, 604_799.999), Decision::Refresh);
        assert_eq!(at(&t, 604_800.0), Decision::LoginRequired);
    }

    #[test]
    fn boundaries_without_refresh_token() {
        let t = ts(3600.0, None);
        assert_eq!(at(&t, 3539.0), Decision::Fresh);
        assert_eq!(at(&t, 3540.0), Decision::Expiring);
        assert_eq!(at(&t, 3599.999), Decision::Expiring);
        assert_eq!(at(&t, 3600.0), Decision::LoginRequired);
        // Unknown refresh expiry: refresh is always worth a try.
        let t = ts(3600.0, Some(None));
        assert_eq!(at(&t, 1e9), Decision::Refresh);
    }

    #[test]
    fn margin_is_clamped_to_half_the_lifetime() {
        let t = ts(60.0, Some(Some(604_800.0)));
        assert_eq!(at(&t, 0.0), Decision::Fresh); // not refreshed at once
        assert_eq!(at(&t, 29.999), Decision::Fresh);
        assert_eq!(at(&t, 30.0), Decision::Refresh);
        let t = ts(10.0, None);
        assert_eq!(at(&t, 4.9), Decision::Fresh);
        assert_eq!(at(&t, 5.0), Decision::Expiring);
        // Degenerate lifetimes never panic and never claim freshness.
        let t = ts(0.0, None);
        assert_eq!(at(&t, 0.0), Decision::LoginRequired);
        let t = ts(-5.0, Some(Some(100.0)));
        assert_eq!(at(&t, 0.0), Decision::Refresh);
        assert_eq!(
            decide(Some(&ts(3600.0, None)), f64::NAN, 60),
            Decision::LoginRequired
        );
    }

    #[test]
    fn refresh_token_due_before_its_expiry() {
        // Refresh token ends before the access token: renew it in time.
        let t = ts(3600.0, Some(Some(600.0)));
        assert_eq!(at(&t, 539.0), Decision::Fresh);
        assert_eq!(at(&t, 540.0), Decision::Refresh);
        assert_eq!(at(&t, 600.0), Decision::Fresh); // refresh token gone, access token still fine
        assert_eq!(at(&t, 3540.0), Decision::Expiring);
        // Issued inside the refresh token's window (a non-rotating refresh): no refresh loop.
        let t = ts(3600.0, Some(Some(30.0)));
        assert_eq!(at(&t, 0.0), Decision::Fresh);
        assert_eq!(at(&t, 29.0), Decision::Fresh);
    }

    #[test]
    fn next_check_points() {
        let t = ts(3600.0, Some(Some(604_800.0)));
        assert_eq!(next_check_ms(Some(&t), T0, 60), Some(T0 + 3_540_000.0));
        assert_eq!(
            next_check_ms(Some(&t), T0 + 3_540_000.0, 60),
            Some(T0 + 604_800_000.0)
        );
        assert_eq!(next_check_ms(Some(&t), T0 + 604_800_000.0, 60), None);
        let t = ts(3600.0, None);
        assert_eq!(
            next_check_ms(Some(&t), T0 + 3_550_000.0, 60),
            Some(T0 + 3_600_000.0)
        );
        let t = ts(60.0, Some(Some(604_800.0)));
        assert_eq!(next_check_ms(Some(&t), T0, 60), Some(T0 + 30_000.0));
        let t = ts(3600.0, Some(Some(600.0)));
        assert_eq!(next_check_ms(Some(&t), T0, 60), Some(T0 + 540_000.0));
        assert_eq!(
            next_check_ms(Some(&t), T0 + 540_000.0, 60),
            Some(T0 + 600_000.0)
        );
    }

    #[test]
    fn kept_while_the_policy_can_still_use_them() {
        // Regression: cookie storage once expired with the access token although the refresh token (of
        // unknown expiry, as oidc-provider issues it) was good for an hour; a late timer found the cookie
        // gone, and every tab ended the session (`expired` with no error) without a refresh.
        let cases = [
            ts(5.0, Some(None)),
            ts(5.0, Some(Some(3600.0))),
            ts(3600.0, Some(Some(600.0))),
            ts(3600.0, None),
            ts(0.0, None),
            ts(-5.0, Some(Some(100.0))),
        ];
        assert_eq!(keep_until_ms(&cases[0]), None, "refresh token of unknown expiry: no end known");
        assert_eq!(keep_until_ms(&cases[1]), Some(T0 + 3_600_000.0));
        assert_eq!(keep_until_ms(&cases[2]), Some(T0 + 3_600_000.0), "the access token outlives the refresh token");
        assert_eq!(keep_until_ms(&cases[3]), Some(T0 + 3_600_000.0));
        for t in &cases {
            for margin in [0, 60] {
                for s in [-1.0, 0.0, 4.0, 5.0, 5.005, 6.5, 30.0, 99.0, 100.0, 599.0, 600.0, 3599.0, 3600.0, 1e6] {
                    let now = T0 + s * 1000.0;
                    let usable = decide(Some(t), now, margin) != Decision::LoginRequired;
                    let kept = keep_until_ms(t).is_none_or(|u| now < u);
                    assert!(!usable || kept, "usable at +{s} s (margin {margin}) but dropped from storage: {t:?}");
                    if !kept {
                        assert_eq!(next_check_ms(Some(t), now, margin), None, "nothing changes after the end");
                    }
                }
            }
        }
    }

    #[test]
    fn backoff_schedule() {
        assert_eq!(backoff_ms(0, None), 250.0);
        assert_eq!(backoff_ms(1, None), 500.0);
        assert_eq!(backoff_ms(3, None), 2000.0);
        assert_eq!(backoff_ms(4, None), 4000.0);
        assert_eq!(backoff_ms(40, None), 4000.0);
        assert_eq!(backoff_ms(u32::MAX, None), 4000.0);
        assert_eq!(backoff_ms(0, Some(7)), 7000.0);
        assert_eq!(backoff_ms(2, Some(0)), 0.0);
        assert_eq!(backoff_ms(0, Some(3600)), 60_000.0);
    }
}
