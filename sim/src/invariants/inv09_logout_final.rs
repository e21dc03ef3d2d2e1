//! Invariant 9: a logout is final (see sim/README.md). Logins are the simulation's own: a login starts one, a
//! refresh stays in it, a silent renewal continues it.

use crate::*;

/// Invariant 9 without Web Locks: how long after hearing a logout a tab may take to remove a pair it stored
/// meanwhile (one storage read and one clear: the simulated storage answers within 5 ms each).
const LOGOUT_SWEEP_MS: f64 = 20.0;

/// Invariant 9: a login that a logout ended, which tab ended it, when logout() was called and when it settled.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DeadLogin {
    tab: usize,
    /// The tab shared storage then (a tab that fell back to memory logs out alone: its logout is its own).
    shared: bool,
    called_at: f64,
    settled_at: f64,
}

impl World {
    /// Invariant 9: no API request with a token of a login a settled logout ended.
    pub(crate) fn inv9_check_api_send(&mut self, tab: usize, call: CallId, t: &str) {
        if let Some(l) = self.ended_login(tab, t) {
            self.fail(Inv::LogoutFinal, format!("tab{tab} sent call #{call} with a token of login {l}, which a settled logout ended"));
        }
    }

    /// Invariant 9: no `login` / `refresh` for a login a settled logout ended.
    pub(crate) fn inv9_check_event(&mut self, tab: usize, e: &SessionEvent) {
        if matches!(e, SessionEvent::Login(_) | SessionEvent::Refresh(_)) {
            let held = self.tabs[tab].engine.access_token().map(|t| t.expose().to_string());
            if let Some(l) = held.and_then(|t| self.ended_login(tab, &t)) {
                self.fail(Inv::LogoutFinal, format!("tab{tab} emitted {} for login {l}, which a settled logout ended", e.name()));
            }
        }
    }

    /// Invariant 9: a logout call settled: the logins it ended are dead from now on.
    pub(crate) fn inv9_logout_settled(&mut self, tab: usize, call: CallId) {
        if let Some((called_at, shared, ended)) = self.logouts.remove(&(tab, call)) {
            for l in ended {
                self.dead_logins.entry(l).or_insert(DeadLogin { tab, shared, called_at, settled_at: self.now });
            }
        }
    }

    pub(crate) fn new_login(&mut self) -> u64 {
        self.next_login += 1;
        self.next_login - 1
    }

    /// Invariant 9: the login of a token (through its server session).
    /// A logout on shared storage (settled, or called and pending) ended the login of server session `sid`:
    /// the app ended it, whichever server session of it (a silent renewal started after the logout was called
    /// makes a new one that logout never revoked: oss-sim seed 1054661, where a tab following the logout's
    /// cleared storage was judged by invariant 3 for ending a session of the login the user logged out).
    pub(crate) fn login_logged_out(&self, sid: &str) -> bool {
        let Some(l) = self.login_of_session.get(sid).copied() else { return false };
        self.dead_logins.get(&l).is_some_and(|d| d.shared)
            || self.logouts.values().any(|(_, shared, ended)| *shared && ended.contains(&l))
    }

    pub(crate) fn login_of(&self, token: &str) -> Option<u64> {
        self.session_of(token).and_then(|s| self.login_of_session.get(&s).copied())
    }

    /// Invariant 9: the login of `token` if a settled logout ended it and `tab` must know by now: the tab
    /// that logged out, and, with shared storage, a tab that heard a logout broadcast since the logout was
    /// called, or opened after it settled (it starts from storage). A tab that has not heard cannot know.
    pub(crate) fn ended_login(&self, tab: usize, token: &str) -> Option<u64> {
        let l = self.login_of(token)?;
        let d = self.dead_logins.get(&l)?;
        let t = &self.tabs[tab];
        let knows = d.tab == tab || (d.shared && (t.heard_logout(d.tab) >= d.called_at || t.opened_at > d.settled_at));
        (self.now >= d.settled_at && knows).then_some(l)
    }

    /// Invariant 9 (storage): once a logout settled, storage never holds a pair of the login it ended: the
    /// tab's own sessionStorage, and the shared jar. With Web Locks the jar is judged at once; without them,
    /// once every open tab has heard the logout and had a storage round trip ([`LOGOUT_SWEEP_MS`]) to remove
    /// what it wrote meanwhile; without Web Locks and BroadcastChannel it is not judged (nothing tells a tab).
    pub(crate) fn check_logout_final(&mut self) {
        if self.dead_logins.is_empty() || self.failure.is_some() {
            return;
        }
        let login = |slot: &Slot| match slot {
            Slot::Tokens(t) => self.login_of(t.access_token.expose()),
            _ => None,
        };
        for (i, t) in self.tabs.iter().enumerate() {
            if !t.open || t.mode != Mode::Session {
                continue;
            }
            if let Some(l) = login(&t.own) {
                if self.dead_logins.get(&l).is_some_and(|d| d.tab == i && self.now >= d.settled_at) {
                    return self.fail(Inv::LogoutFinal, format!("tab{i}'s sessionStorage holds a pair of login {l} after its logout settled"));
                }
            }
        }
        if !self.prof.shared {
            return;
        }
        let Some(l) = login(&self.jar_read()) else { return };
        let Some(d) = self.dead_logins.get(&l).copied() else { return };
        if self.now < d.settled_at || !d.shared {
            return;
        }
        let judged = if self.prof.locks {
            true
        } else if !self.prof.broadcast {
            false
        } else {
            let open = self.open_tabs();
            let heard = open.iter().all(|&i| i == d.tab || self.tabs[i].heard_logout(d.tab) >= d.called_at || self.tabs[i].opened_at > d.settled_at);
            let last = open.iter().map(|&i| self.tabs[i].heard_logout(d.tab)).fold(d.settled_at, f64::max);
            heard && self.now >= last + LOGOUT_SWEEP_MS
        };
        if judged {
            self.fail(Inv::LogoutFinal, format!("the cookie jar holds a pair of login {l} after a logout in tab{} settled", d.tab));
        }
    }
}
