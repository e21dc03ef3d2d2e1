//! Invariant 3: no `expired` / `logout` while the server holds a usable token and every fault was transient.

use crate::*;

impl World {
    /// Invariant 3, at each event a tab emits.
    pub(crate) fn inv3_check_event(&mut self, tab: usize, e: SessionEvent) {
        match e {
            // Invariant 3 (logout): a `logout` event only after the app called logout() in this tab, or,
            // with shared storage, in any tab (logout propagates).
            SessionEvent::Logout => {
                let asked = if self.prof.shared || self.prof.join { self.any_logout } else { self.tabs[tab].logout_requested };
                if !asked {
                    self.fail(Inv::NoFalseEnd, format!("tab{tab} emitted logout but no app asked for a logout"));
                }
            }
            // Invariant 3 (expired): no `expired` while every fault so far was transient and the session of
            // the tokens this tab last touched is still alive on the server in a form the client knows
            // (Active, its current pair delivered to some tab, that pair's access or refresh token valid)
            // and the app did not log that session out (in any tab: a logout ends it everywhere).
            SessionEvent::Expired(e) => {
                // Without refresh tokens a clock jump moves the end of the session as a tab sees it (a pair a
                // tab stamped with a clock set back looks spent to the others), so such runs are not judged.
                let clock_judged = self.prof.refresh || !self.any_jump;
                // Another user's pair ended the session (invariant 10 judges that): the old one may live on.
                let user_changed = self.prof.users.on() && e.as_ref().is_some_and(|e| e.code == ErrorCode::OwnerChanged);
                if !self.non_transient && clock_judged && !user_changed {
                    if let Some(sid) = self.tabs[tab].last_session.clone() {
                        // A tab on the jar that finds it emptied by a logout follows the user's logout, whichever
                        // login it held (seed 93532972, no BroadcastChannel: another tab's login replaced this
                        // tab's in the jar, and that tab's logout then cleared it; the user logged out).
                        let followed_logout = self.tabs[tab].mode == Mode::Shared && self.jar_logged_out;
                        if self.usable_known(&sid) && !self.app_ended.contains(&sid) && !self.lost_sessions.contains(&sid) && !self.login_logged_out(&sid) && !followed_logout {
                            let why = e.map(|e| format!("{} {}", e.code.as_str(), e.error_code.unwrap_or_default())).unwrap_or_else(|| "no error".into());
                            self.fail(Inv::NoFalseEnd, format!("tab{tab} emitted expired ({why}) while its session is alive on the server and every fault was transient"));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The session is alive on the server and the client side can know it: Active, its current pair was
    /// delivered to some tab, and that access or refresh token is still valid by the server's clock.
    pub(crate) fn usable_known(&self, sid: &str) -> bool {
        let Some(s) = self.st.sessions.get(sid) else { return false };
        if s.status != SessionStatus::Active || !self.delivered_access.contains(&s.current_access) {
            return false;
        }
        // Tabs that join keep the pair only in the tabs (their sessionStorage dies with them): the client knows it
        // while an open tab that received it can hand it over (not one the browser froze: it cannot answer).
        if self.prof.join && !self.open_tabs().iter().any(|&i| self.tabs[i].frozen_until.is_none() && self.delivered_to.contains(&(i, s.current_access.clone()))) {
            return false;
        }
        let now = self.st.now();
        // Without refresh tokens the session lives as long as its access token, which the tab judges by its own
        // clock from the pair's receipt, stamped by the receiving tab's clock: tabs' clocks differ by up to
        // 2 × MAX_SKEW_MS (a clock jump, by more: those runs are not judged here, see `any_jump`).
        let slack = if self.prof.refresh { 0 } else { 2 * MAX_SKEW_MS as i64 + 1_000 };
        let at_ok = self.st.access.get(&s.current_access).is_some_and(|a| now + slack < a.expires_ms);
        let rt_ok = s.current_refresh.as_ref().and_then(|r| self.st.refresh.get(r)).is_some_and(|r| now < r.expires_ms);
        at_ok || rt_ok
    }
}
