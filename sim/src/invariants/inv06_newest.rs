//! Invariant 6: at quiescence storage holds the newest pair, and each tab uses what its storage holds.

use crate::*;

impl World {
    /// Invariant 6, at quiescence: (a) every storage that a tab reads (the cookie jar, each open tab's
    /// sessionStorage or in-memory fallback) and that holds tokens of a session still Active on the server
    /// holds that session's current pair, as long as that pair was delivered to the client at all (a lost
    /// answer never replayed cannot be stored), and for a tab's own storage, to that tab (tabs that gave the
    /// jar up for memory may hold one server session, and a pair another tab received cannot reach this one's
    /// memory: seed 1184651); (b) every open logged-in tab sends the access token its storage holds (probed with one fetch per tab; with shared storage only where BroadcastChannel exists).
    pub(crate) fn check_newest(&mut self) {
        let mut slots: Vec<(String, Slot, Option<usize>)> = Vec::new();
        if self.prof.shared && !self.shared_abandoned {
            slots.push(("the cookie jar".into(), self.jar_read(), None));
        }
        for i in self.open_tabs() {
            if self.tabs[i].mode != Mode::Shared {
                slots.push((format!("tab{i}'s {:?} storage", self.tabs[i].mode), self.tabs[i].own.clone(), Some(i)));
            }
        }
        for (what, slot, tab) in slots {
            let Slot::Tokens(ts) = slot else { continue };
            let Some(sid) = self.session_of(ts.access_token.expose()) else { continue };
            let Some(s) = self.st.sessions.get(&sid) else { continue };
            let reached = match tab {
                None => self.delivered_access.contains(&s.current_access),
                // (Tabs that join: or a tab heard of a change from a tab that held it and has not asked since.)
                Some(i) => {
                    self.delivered_to.contains(&(i, s.current_access.clone()))
                        || self.owed.iter().any(|(t, p, _)| *t == i && *p == s.current_access)
                }
            };
            if s.status != SessionStatus::Active || !reached {
                continue;
            }
            let stored_rt = ts.refresh_token.as_ref().map(|r| r.expose().to_string());
            if ts.access_token.expose() != s.current_access || stored_rt != s.current_refresh {
                let msg = format!("{what} holds a superseded pair of its session: the server's newest pair was delivered but not stored");
                self.fail(Inv::Newest, msg);
                return;
            }
        }
        // (b) probe. Without BroadcastChannel a tab learns of another tab's login only at its next refresh,
        // so with shared storage (b) needs the channel.
        if self.prof.shared && !self.prof.broadcast {
            return;
        }
        let tabs: Vec<usize> = self.open_tabs().into_iter().filter(|&i| self.tabs[i].engine.token_info().is_some()).collect();
        if tabs.is_empty() {
            return;
        }
        for &i in &tabs {
            let call = self.new_call(i, CallKind::Probe, API_URL.into());
            self.tabs[i].probe = Some((call, None));
            let origin = oracle_origin(API_URL).unwrap_or_else(|| "null".into());
            self.feed(i, Input::Fetch { call, origin }, Cause::AppFetch);
        }
        let now = self.now;
        self.run_until_quiet(now);
        if self.failure.is_some() {
            return;
        }
        for &i in &tabs {
            let Some((_, Some((sent, stored)))) = self.tabs[i].probe.clone() else { continue };
            // Without Web Locks two tabs may renew silently at once: each keeps its own pair (both live, of
            // sessions of their own; neither supersedes the other) while storage holds the last one written.
            if !self.prof.locks && self.silent_from.contains_key(&sent) {
                continue;
            }
            // Without refresh tokens a pair ends with its access token. Storage that holds nothing (its cookie
            // gone by `Max-Age`, or cleared by a tab whose clock reached that end) has nothing newer to adopt,
            // and a tab whose clock is behind (by up to 2 × MAX_SKEW_MS: a real browser's tabs share one
            // clock) still sends the dead pair until its 401 or its own clock ends it.
            let slack = 2 * MAX_SKEW_MS as i64 + 1_000;
            let dead = self.st.access.get(&sent).is_some_and(|a| self.st.now() + slack >= a.expires_ms);
            // (A clock jump moves a tab's view of that end by more: such runs are not judged, as for invariant 3.)
            if !self.prof.refresh && stored.is_none() && (dead || self.any_jump) {
                continue;
            }
            if stored.as_deref() != Some(sent.as_str()) {
                let msg = format!("tab{i} uses an access token its storage ({:?}) does not hold", self.tabs[i].mode);
                self.fail(Inv::Newest, msg);
                return;
            }
        }
    }
}
