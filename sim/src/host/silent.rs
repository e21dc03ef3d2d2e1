//! Silent renewal as the host sees it: `Command::SilentRenew` opens a `prompt=none` frame (the server answers
//! it in `server.rs`), `Command::CancelSilent` removes it, and its answer is fed as `Input::SilentDone`.

use crate::*;

impl World {
    /// A `prompt=none` frame goes out (after invariant 7's checks); the server answers it after a page load's
    /// worth of time, or (fault) after the engine has given up on it.
    pub(crate) fn silent_renew(&mut self, tab: usize) {
        self.tr(Some(tab), "-> SilentRenew".into());
        let tnow = self.tab_now(tab);
        let forced = std::mem::take(&mut self.tabs[tab].renew_asked);
        self.inv7_check_silent(tab, tnow, forced);
        let id = self.next_silent;
        self.next_silent += 1;
        let continues = self.tabs[tab].engine.access_token().map(|t| t.expose().to_string()).and_then(|t| {
            let owner = self.session_of(&t).and_then(|s| self.st.sessions.get(&s)).map(|s| s.owner_id.clone())?;
            Some((self.login_of(&t)?, owner))
        });
        self.silent_logins.insert(id, continues);
        self.tabs[tab].silent_pending = Some(id);
        let slow = !self.healing && self.prof.silent_slow > 0.0 && self.rng.chance(self.prof.silent_slow);
        let d = if slow {
            self.stats.faults += 1;
            self.tr(None, "   fault: silent frame too slow".into());
            self.rng.real(1.0, 3.0) * self.cfg.silent_timeout_s as f64 * 1000.0
        } else {
            self.rng.real(20.0, 900.0)
        };
        self.push(d, Ev::SilentArrive { tab, id, slow });
    }

    pub(crate) fn silent_reply(&mut self, tab: usize, id: u64, result: Result<TokenResponse, Error>) {
        if !self.tabs[tab].open || self.tabs[tab].silent_pending != Some(id) {
            return; // cancelled (timed out) or the tab closed: the frame is gone
        }
        self.tabs[tab].silent_pending = None;
        let tnow = self.tab_now(tab);
        // The frame's code exchange, read as web/http.rs reads it (with a proof when DPoP is on).
        let result = result.and_then(|resp| Wire::tokens(&resp).read_tokens(tnow, tnow, self.cfg.dpop));
        let result = result.map(|ts| {
            let a = ts.access_token.expose().to_string();
            self.delivered(tab, &ts);
            self.touch(tab, &a);
            self.stats.silent_ok += 1;
            if let Some(b) = self.tabs[tab].silent_base {
                self.silent_from.insert(a, b);
            }
            ts
        });
        self.feed(tab, Input::SilentDone { result }, Cause::Other);
    }
}
