//! Silent renewal as the host sees it, as web/ carries it out: the engine starts a login of kind `Frame` (its first
//! step, `Command::Digest` for `FRAME_CALL`, is where the host notes the renewal), whose `Command::Authorize` opens
//! the `prompt=none` frame (the server answers it in `server.rs`); the callback page hands the code back (`Input::Handover`) and the engine exchanges it
//! (host/login.rs). `Command::CancelSilent` removes the frame.

use crate::*;

impl World {
    /// A silent renewal starts (invariant 7 checks it): its `prompt=none` frame is to come.
    pub(crate) fn silent_renew(&mut self, tab: usize) {
        self.tr(Some(tab), "   silent renewal: its frame login starts".into());
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
    }

    /// The frame's `prompt=none` authorize request goes out; the server answers it after a page load's worth of
    /// time, or (fault) after the engine has given up on it.
    pub(crate) fn silent_authorize(&mut self, tab: usize, params: Params) {
        let Some(id) = self.tabs[tab].silent_pending else { return };
        let slow = !self.healing && self.prof.silent_slow > 0.0 && self.rng.chance(self.prof.silent_slow);
        let d = if slow {
            self.stats.faults += 1;
            self.tr(None, "   fault: silent frame too slow".into());
            self.rng.real(1.0, 3.0) * self.cfg.silent_timeout_s as f64 * 1000.0
        } else {
            self.rng.real(20.0, 900.0)
        };
        self.push(d, Ev::SilentArrive { tab, id, slow, params });
    }

    /// The frame's callback page hands its URL over (the code, or `login_required`), unless the frame is gone.
    pub(crate) fn silent_reply(&mut self, tab: usize, id: u64, query: String) {
        if !self.tabs[tab].open || self.tabs[tab].silent_pending != Some(id) {
            return; // cancelled (timed out) or the tab closed: the frame is gone
        }
        self.tabs[tab].silent_pending = None;
        let response = parse_redirect(&format!("?{query}"), "");
        self.tabs[tab].silent_exchanging = matches!(response, oauth_spa_session::protocol::Redirect::Code { .. });
        self.feed(tab, Input::Handover { call: FRAME_CALL, response }, Cause::Other);
    }

    /// The renewal's tokens reached the tab (its exchange answered), unless the engine gave up on it meanwhile.
    pub(crate) fn silent_delivered(&mut self, tab: usize, access: String) {
        if !std::mem::take(&mut self.tabs[tab].silent_exchanging) {
            return;
        }
        self.stats.silent_ok += 1;
        if let Some(b) = self.tabs[tab].silent_base {
            self.silent_from.insert(access, b);
        }
    }
}
