//! The app: random clicks on random awake tabs at exponential intervals (`Ev::App`), in bursts now and then:
//! fetches (some to other origins), `refresh()`, `renew()`, `logout()`, and logins (`loginPopup()` through the
//! engine: host/login.rs).
//!
//! A new kind of action (or a new mode of an existing one) must not move an existing seed's draws: `one_action`
//! splits one `unit()` draw into bands, so a new band or an extra draw changes every seed. Gate it on a
//! profile flag drawn from a stream of its own (as `Users::draw` in profile.rs does for the second user) and
//! draw its choices from that stream (`users_rng` is the model), or branch before the main stream's draws only
//! when that flag is on.

use crate::*;

pub(crate) const API_URL: &str = "http://127.0.0.1:8080/restapi/v1.0/account/~/extension/~";
/// URLs outside `apiOrigins` the app also fetches, as the browser's URL parser serialises them.
const FOREIGN_URLS: [&str; 5] = [
    "https://evil.example/collect",
    "http://127.0.0.1:8080@evil.example/x",
    "http://127.0.0.1:8080.evil.example/restapi/v1.0/x",
    "https://127.0.0.1:8080/restapi/v1.0/x",
    "http://127.0.0.1:8081/restapi/v1.0/x",
];

impl World {
    pub(crate) fn app_action(&mut self) {
        if self.healing {
            return;
        }
        let next = self.rng.exp(self.prof.action_mean_ms);
        self.push(next, Ev::App);
        let awake: Vec<usize> = self.open_tabs().into_iter().filter(|&t| self.tabs[t].frozen_until.is_none()).collect();
        if awake.is_empty() {
            if self.open_tabs().is_empty() {
                self.open_tab();
            }
            return;
        }
        let tab = *self.rng.pick(&awake);
        let burst = if self.rng.chance(0.2) { self.rng.range(2, 12) } else { 1 };
        for _ in 0..burst {
            let tab = if burst > 1 && self.rng.chance(0.5) { *self.rng.pick(&awake) } else { tab };
            self.one_action(tab);
        }
        if self.rng.chance(0.01) && self.open_tabs().len() < MAX_TABS {
            self.open_tab();
        }
    }

    pub(crate) fn one_action(&mut self, tab: usize) {
        let tnow = self.tab_now(tab);
        let logged_in = self.tabs[tab].engine.is_logged_in(Instant::from_ms(tnow));
        if !logged_in && !self.logins_pending.contains(&tab) && self.rng.chance(0.7) {
            return self.login(tab);
        }
        let x = self.rng.unit();
        if x < 0.01 && self.prof.silent_renew {
            // session.renew(): a refresh, or else a silent renewal even of a fresh pair (or when logged out).
            let has_rt = self.tabs[tab].engine.token_info().is_some_and(|i| i.has_refresh_token);
            self.tabs[tab].renew_asked = !has_rt;
            let call = self.new_call(tab, CallKind::Renew, String::new());
            self.feed(tab, Input::Renew { call }, Cause::AppRefresh);
        } else if x < 0.06 {
            let call = self.new_call(tab, CallKind::Refresh, String::new());
            self.feed(tab, Input::Refresh { call }, Cause::AppRefresh);
        } else if x < 0.07 {
            self.tabs[tab].logout_requested = true;
            self.any_logout = true;
            // Logout ends this tab's session; with shared storage it ends every tab's (it propagates).
            let ending: Vec<usize> = if self.prof.shared || self.prof.join { self.open_tabs() } else { vec![tab] };
            for t in ending {
                if let Some(sid) = self.tabs[t].last_session.clone() {
                    self.app_ended.insert(sid);
                }
            }
            let call = self.new_call(tab, CallKind::Logout, String::new());
            let held = self.tabs[tab].engine.access_token().map(|t| t.expose().to_string()).and_then(|t| self.login_of(&t));
            // (Tabs that join log out together whatever their storage: the notice reaches them all.)
            let shared = self.tabs[tab].mode == Mode::Shared || self.prof.join;
            self.logouts.insert((tab, call), (self.now, shared, held.into_iter().collect()));
            self.feed(tab, Input::Logout { call }, Cause::Other);
        } else {
            let url = if self.rng.chance(0.1) { self.rng.pick(&FOREIGN_URLS).to_string() } else { API_URL.to_string() };
            let call = self.new_call(tab, CallKind::Fetch, url.clone());
            // The origin as a browser serializes it; invariant 2 judges the bearer by the URL itself.
            let origin = oracle_origin(&url).unwrap_or_else(|| "null".into());
            self.feed(tab, Input::Fetch { call, origin }, Cause::AppFetch);
        }
    }

    /// A login: the engine's popup login, the server's code and its exchange (host/login.rs, server.rs).
    pub(crate) fn login(&mut self, tab: usize) {
        // Who signs in: the default user, or (invariant 10's runs) sometimes the other one.
        let other = self.prof.users.other_login > 0.0 && self.users_rng.chance(self.prof.users.other_login);
        let owner = USERS[usize::from(other)].owner_id;
        self.login_popup(tab, owner);
    }
}
