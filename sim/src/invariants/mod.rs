//! The invariants of issue 9 (and 10, 11), one file each: `invNN_name.rs` holds that invariant's checks and the
//! bookkeeping only it needs, as `impl World` methods named `invN_*` (and `check_*` for the ones the scheduler
//! calls after each step or at quiescence). The host, the server and the scheduler call them at the point
//! where they observe what the invariant judges; a check draws no random numbers (a seed's draws must not move).
//!
//! A new invariant: add `invNN_name.rs` here, a variant to [`Inv`] (with its `describe`), and call its checks
//! from where the simulator observes what it judges (`host/`, `server.rs`, or `scheduler.rs`'s `step`).

use crate::*;

mod inv01_reuse;
mod inv02_origin;
mod inv03_no_false_end;
mod inv04_bounded;
mod inv05_one_per_expiry;
mod inv06_newest;
mod inv07_silent;
mod inv08_nonce;
mod inv09_logout_final;
mod inv10_owner;
mod inv11_login;

pub use inv02_origin::oracle_origin;
pub(crate) use inv01_reuse::RtObs;
pub(crate) use inv09_logout_final::DeadLogin;

/// The invariants of issue 9. Each check (in its file in this folder) says precisely what it measures.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Inv {
    /// 1. No self-inflicted reuse of a refresh token.
    Reuse = 1,
    /// 2. The bearer token goes only to `apiOrigins`.
    Origin = 2,
    /// 3. No `expired` / `logout` while the session is alive and every fault was transient.
    NoFalseEnd = 3,
    /// 4. Bounded: calls settle, retries and Retry-After respected, no loops.
    Bounded = 4,
    /// 5. With Web Locks and shared storage: one token request per expiry.
    OnePerExpiry = 5,
    /// 6. At quiescence storage holds the newest pair the server issued.
    Newest = 6,
    /// 7. Silent renewal: once per pair per tab, and with Web Locks and shared storage tabs adopt a renewed pair.
    Silent = 7,
    /// 8. DPoP: every token request carries a proof; a `use_dpop_nonce` answer earns one resend, never a loop.
    Nonce = 8,
    /// 10. A tab's user (`ownerId`) never changes without a `login` event.
    Owner = 10,
    /// 9. A logout is final: once it settled, no tab uses, stores or announces a pair of the login it ended.
    LogoutFinal = 9,
    /// 11. A login carries state and S256 PKCE through the engine, and the server accepts its code exchange.
    Login = 11,
}

impl Inv {
    pub fn describe(self) -> &'static str {
        match self {
            Inv::Reuse => "1: a refresh token was sent again after the server answered its use",
            Inv::Origin => "2: a bearer token was sent outside apiOrigins",
            Inv::NoFalseEnd => "3: expired/logout while the server still holds a usable token and every fault was transient",
            Inv::Bounded => "4: an app call did not settle in bounded time, or token requests broke the retry / Retry-After bounds",
            Inv::OnePerExpiry => "5: more than one token request per expiry (Web Locks present)",
            Inv::Newest => "6: storage does not hold the newest pair the server issued (at quiescence)",
            Inv::Nonce => "8: DPoP: a token request without a proof, or more than one resend per use_dpop_nonce demand (a loop)",
            Inv::Silent => "7: a second silent renewal for one pair (in a tab, or across tabs with Web Locks and shared storage)",
            Inv::Owner => "10: a tab's user (ownerId) changed without a login event (a refresh of another user's pair, or a request sent as a user the app was not told of)",
            Inv::LogoutFinal => "9: after a logout settled, a pair of the login it ended was sent to the API, stored, or announced (login/refresh)",
            Inv::Login => "11: an authorize request without state or S256 PKCE, or a code exchange the server refused (wrong verifier, redirect_uri, client, or a code spent twice)",
        }
    }
}

impl World {
    /// Records the run's first failure (later ones are consequences).
    pub(crate) fn fail(&mut self, inv: Inv, detail: String) {
        if self.failure.is_none() {
            self.failure = Some((inv, detail));
        }
    }
}
