//! The end of a pair in shared storage: look before clearing. When this tab's pair is over (expired by the
//! clock with nothing to refresh with, or a 401 that says the token is dead), another tab may already have
//! stored a newer one (a silent renewal, a new login) that this tab did not hear of: a tab that slept through
//! the renewal, a missed or late broadcast. Clearing storage then would end every tab's live session. So the
//! tab re-reads first and adopts what storage holds if it is newer and usable; else the session ends as before.

use super::storage_ops::{AfterForget, Op};
use super::owner::owner_changed;
use super::{Taken, Instant, login_required, session_over, CallId, Engine, SessionEvent};
use crate::protocol::{decide, Decision, Error, Secret, TokenSet};

impl Engine {
    /// This tab's current pair is over; `error` and `call`: the 401 that said so and the fetch it answered.
    pub(super) fn pair_over(&mut self, error: Option<Error>, call: Option<CallId>) {
        let Some(token) = self.current_access().cloned() else { return };
        if self.logout.is_some() {
            // The logout in progress ends the pair (and clears storage) anyway.
            if let Some(call) = call {
                self.settle(call, Err(error.map_or_else(|| login_required(None), session_over)));
            }
            return;
        }
        if !self.coordinated() {
            return self.end_pair(error, call);
        }
        if call.is_none() && self.ops.iter().any(|(_, o)| matches!(o, Op::Ending { call: None, .. })) {
            return; // the policy's look is under way
        }
        let owner = self.tokens.as_ref().and_then(|t| t.owner_id.clone());
        self.read_shared(Op::Ending { token, error, call, owner });
    }

    pub(super) fn ending_loaded(
        &mut self,
        now: Instant,
        token: Secret,
        error: Option<Error>,
        call: Option<CallId>,
        owner: Option<String>,
        result: Result<Option<TokenSet>, Error>,
    ) {
        let rejected = error.is_some();
        if let Ok(Some(stored)) = result {
            let stored = self.admit(stored, now);
            let usable = decide(Some(&stored), now.as_ms(), self.cfg.refresh_margin_s) != Decision::LoginRequired;
            if usable && self.takes_over(&stored) {
                if self.adopt_stored(now, stored, Taken::AsFound) {
                    // Another user's login: the call was the old user's, never sent as the new one.
                    if let Some(call) = call {
                        self.settle(call, Err(session_over(owner_changed())));
                    }
                    return;
                }
                return self.resend(now, call, rejected);
            }
        }
        if self.current_access() == Some(&token) {
            return self.end_pair(error, call);
        }
        // The pair changed meanwhile (another tab's broadcast, a login): the call tries the current one, unless
        // it now belongs to another user (oss-sim seed 1145487: a second look for the same ended pair found the
        // other user's login the first look had taken, and sent the old user's call as the new user).
        if self.owner_differs(owner.as_ref()) {
            if let Some(call) = call {
                self.settle(call, Err(session_over(owner_changed())));
            }
            return self.check(now);
        }
        self.resend(now, call, rejected);
        self.check(now);
    }

    /// The call goes on with the pair now current: a 401's one resend, or a fetch decided anew.
    fn resend(&mut self, now: Instant, call: Option<CallId>, rejected: bool) {
        match call {
            Some(call) if rejected => self.send_again(call),
            Some(call) => self.fetch_tracked(now, call),
            None => {}
        }
    }

    /// What the end of a pair always did: forget it (storage cleared), `expired`, and the 401's call rejects.
    fn end_pair(&mut self, error: Option<Error>, call: Option<CallId>) {
        match (error, call) {
            (Some(e), Some(call)) => {
                let notice = self.ended_notice();
                self.forget(SessionEvent::Expired(Some(e.clone())), Some(notice), AfterForget::Nothing);
                self.settle(call, Err(session_over(e)));
            }
            (None, Some(call)) => {
                self.forget(SessionEvent::Expired(None), None, AfterForget::Nothing);
                self.settle(call, Err(login_required(Some("the session expired: log in again"))));
            }
            _ => self.forget(SessionEvent::Expired(None), None, AfterForget::Nothing),
        }
    }
}
