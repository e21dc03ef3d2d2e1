//! The end of a pair in shared storage: look before clearing. When this tab's pair is over (expired by the
//! clock with nothing to refresh with, or a 401 that says the token is dead), another tab may already have
//! stored a newer one (a silent renewal, a new login) that this tab did not hear of: a tab that slept through
//! the renewal, a missed or late broadcast. Clearing storage then would end every tab's live session. So the
//! tab re-reads first and adopts what storage holds if it is newer and usable; else the session ends as before.
//! What said the pair is over is typed ([`EndedBy`]: the clock, a fetch, a 401 with its error), and so is what
//! happens to the call that waits, if any.

use super::storage_ops::{AfterForget, EndedBy, Op};
use super::owner::owner_changed;
use super::{Taken, Instant, login_required, session_over, CallId, Engine, SessionEvent};
use crate::protocol::{decide, Decision, Error, Secret, TokenSet};

impl Engine {
    /// This tab's current pair is over, as `by` says.
    pub(super) fn pair_over(&mut self, by: EndedBy) {
        let Some(token) = self.current_access().cloned() else { return };
        if self.logout.is_some() {
            // The logout in progress ends the pair (and clears storage) anyway.
            match by {
                EndedBy::Clock => {}
                EndedBy::Fetch(call) => self.settle(call, Err(login_required(None))),
                EndedBy::Rejection(call, e) => self.settle(call, Err(session_over(e))),
            }
            return;
        }
        if !self.coordinated() {
            return self.end_pair(by);
        }
        if matches!(by, EndedBy::Clock) && self.ops.iter().any(|(_, o)| matches!(o, Op::Ending { by: EndedBy::Clock, .. })) {
            return; // the policy's look is under way
        }
        let owner = self.tokens.as_ref().and_then(|t| t.owner_id.clone());
        self.read_shared(Op::Ending { token, owner, by });
    }

    pub(super) fn ending_loaded(
        &mut self,
        now: Instant,
        token: Secret,
        owner: Option<String>,
        by: EndedBy,
        result: Result<Option<TokenSet>, Error>,
    ) {
        if let Ok(Some(stored)) = result {
            let stored = self.admit(stored, now);
            let usable = decide(Some(&stored), now.as_ms(), self.cfg.refresh_margin_s) != Decision::LoginRequired;
            if usable && self.takes_over(&stored) {
                if self.adopt_stored(now, stored, Taken::AsFound) {
                    // Another user's login.
                    return self.settle_as_other_users(by.call());
                }
                return self.resend(now, by);
            }
        }
        if self.current_access() == Some(&token) {
            return self.end_pair(by);
        }
        // The pair changed meanwhile (another tab's broadcast, a login): the call tries the current one, unless
        // it now belongs to another user (oss-sim seed 1145487: a second look for the same ended pair found the
        // other user's login the first look had taken, and sent the old user's call as the new user).
        if self.owner_differs(owner.as_ref()) {
            self.settle_as_other_users(by.call());
            return self.check(now);
        }
        self.resend(now, by);
        self.check(now);
    }

    /// The call was the old user's: it rejects, never sent as the new one.
    fn settle_as_other_users(&mut self, call: Option<CallId>) {
        if let Some(call) = call {
            self.settle(call, Err(session_over(owner_changed())));
        }
    }

    /// The call goes on with the pair now current: a 401's one resend, or a fetch decided anew.
    fn resend(&mut self, now: Instant, by: EndedBy) {
        match by {
            EndedBy::Rejection(call, _) => self.send_again(call),
            EndedBy::Fetch(call) => self.fetch_tracked(now, call),
            EndedBy::Clock => {}
        }
    }

    /// What the end of a pair always did: forget it (storage cleared), `expired`, and the call rejects.
    fn end_pair(&mut self, by: EndedBy) {
        match by {
            EndedBy::Rejection(call, e) => {
                let notice = self.ended_notice();
                self.forget(SessionEvent::Expired(Some(e.clone())), Some(notice), AfterForget::Nothing);
                self.settle(call, Err(session_over(e)));
            }
            EndedBy::Fetch(call) => {
                self.forget(SessionEvent::Expired(None), None, AfterForget::Nothing);
                self.settle(call, Err(login_required(Some("the session expired: log in again"))));
            }
            EndedBy::Clock => self.forget(SessionEvent::Expired(None), None, AfterForget::Nothing),
        }
    }
}
