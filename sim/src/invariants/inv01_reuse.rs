//! Invariant 1: no refresh token is sent again after its answer reached a tab (a lost answer may be replayed).

use crate::*;

#[derive(Default)]
pub(crate) struct RtObs {
    /// Tabs that received the server's answer to a use of this refresh token.
    answered_by: Vec<usize>,
    first_answer_at: f64,
    sends: u32,
}

impl World {
    /// Invariant 1: a refresh token is never sent again by a tab that received the server's answer to its use
    /// (a success or a terminal error: the grant was processed and the answer reached it); with Web Locks and
    /// shared storage, by no tab once any tab received that answer. Sends after a lost answer (dropped after
    /// commit, timed out) are replays and allowed. (Other tabs learn of a rotation only through storage: a
    /// tampered jar since the answer exempts.) Returns, for tabs that join, the session a replay of the group's
    /// lost newest pair may end (the send's request keeps it: see [`crate::server::TokenReq`]'s `lost`).
    pub(crate) fn inv1_check_send(&mut self, tab: usize, r: &String, shared_locked: bool) -> Option<String> {
        let obs = self.rts.entry(r.clone()).or_default();
        obs.sends += 1;
        let answered = obs.answered_by.clone();
        let tampered_since = self.jar_tampered_at >= obs.first_answer_at;
        // An answer that died with its tab (closed before its pair was stored: storage still gave this tab
        // the spent token at its re-read) is lost like a dropped one: replaying it is the only recovery.
        let loaded_rt = self.tabs[tab].last_loaded.as_ref().and_then(|t| t.refresh_token.as_ref()).map(|s| s.expose());
        // Tabs that join: the tabs that received the answer closed (their sessionStorage went with them), or the
        // browser froze them and they left every ask of this tab's bounded wait unanswered (the first ask and
        // `ASK_AGAIN` more, engine/join.rs): the others can have the pair only from them. A frozen holder that
        // this tab did not wait for does not excuse the replay.
        let waited = oauth_spa_session::engine::ASK_AGAIN + 1;
        let died = !answered.is_empty()
            && if self.prof.join {
                answered.iter().all(|&a| {
                    !self.tabs[a].open || (self.tabs[a].frozen_until.is_some() && self.unanswered.get(&(tab, a)).is_some_and(|&n| n >= waited))
                })
            } else {
                answered.iter().all(|&a| !self.tabs[a].open) && loaded_rt == Some(r.as_str())
            };
        if answered.contains(&tab) {
            self.fail(Inv::Reuse, format!("tab{tab} re-sent a refresh token whose answer it had received"));
        } else if shared_locked && !answered.is_empty() && !tampered_since && !self.shared_abandoned && !died {
            self.fail(Inv::Reuse, format!("tab{tab} sent a refresh token whose answer tab{} had received (Web Locks present)", answered[0]));
        }
        // The group lost its newest pair: the replay is the only recovery. Inside the grace window the server
        // answers it with that same pair and the session lives on (invariant 3 judges it as any other); past it,
        // the refusal may end the session, and that end is the loss's, not the engine's (`token_reply`).
        if died && self.prof.join {
            self.session_of(r)
        } else {
            None
        }
    }

    /// Invariant 1: the server's answer to a use of a refresh token reached `tab`.
    pub(crate) fn inv1_answered(&mut self, req: usize, tab: usize) {
        if let Some(r) = self.reqs[req].rt.clone() {
            let now = self.now;
            let obs = self.rts.entry(r).or_default();
            if obs.answered_by.is_empty() {
                obs.first_answer_at = now;
            }
            obs.answered_by.push(tab);
        }
    }
}
