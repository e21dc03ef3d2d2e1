//! The world of one run: its tabs (each an `Engine` with its own clock, storage mode, timers and pending app
//! calls, plus what the invariants observe of it), the shared cookie jar, the Web Locks manager, the server's
//! state, and the invariants' records. `World::new` draws the profile and opens the first tabs; the roles
//! (`scheduler`, `host`, `server`, `app`, `faults`, `invariants`, `trace`) are `impl World` blocks in their files.

use crate::*;

#[derive(Clone, Debug)]
pub(crate) enum Slot {
    Empty,
    Tokens(TokenSet),
    Corrupt,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Mode {
    Shared,
    Session,
    Memory,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum CallKind {
    Ready,
    Fetch,
    Refresh,
    Logout,
    Login,
    Probe,
    Renew,
}

pub(crate) struct Call {
    pub(crate) kind: CallKind,
    pub(crate) start: f64,
    pub(crate) frozen_at_start: f64,
    pub(crate) url: String,
    /// Invariant 8: sends of this call, and the nonce demands answered in a row.
    pub(crate) sends: u32,
    pub(crate) nonce_demands: u32,
    /// Invariant 10: the user the app was told of when it made the call.
    pub(crate) owner: Option<String>,
}

/// What caused the commands of one `handle` call.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum Cause {
    AppRefresh,
    AppFetch,
    Api401,
    Backoff,
    Check,
    Wake,
    Broadcast,
    /// An I/O completion (storage, lock, token answer): it continues whatever the last trigger started.
    Other,
}

pub(crate) struct Tab {
    pub(crate) open: bool,
    pub(crate) engine: Engine,
    pub(crate) offset_ms: f64,
    pub(crate) mode: Mode,
    pub(crate) own: Slot,
    pub(crate) own_broken_until: f64,
    pub(crate) own_full: bool,
    pub(crate) loads: u32,
    pub(crate) frozen_until: Option<f64>,
    pub(crate) frozen_since: f64,
    pub(crate) frozen_total: f64,
    /// The deadline the tab's timer is armed for, whether it is active, and its generation.
    pub(crate) timer: Option<(f64, bool, u64)>,
    pub(crate) timer_gen: u64,
    pub(crate) next_call: CallId,
    pub(crate) calls: HashMap<CallId, Call>,
    pub(crate) logout_requested: bool,
    /// The server session of the tokens this tab touched last (sent, stored, loaded or received).
    pub(crate) last_session: Option<String>,
    pub(crate) outstanding: Option<usize>,
    // flight observation for invariants 4 and 5
    /// The last input that can start a flight (not an I/O completion) since this tab's last token request.
    pub(crate) trigger: Cause,
    /// An app call forced a refresh (session.refresh() or a 401) since this tab's last token request.
    pub(crate) forced_since_send: bool,
    /// The access token this tab last stored, loaded or sent (to tell an adoption from a re-read).
    pub(crate) known_access: Option<String>,
    pub(crate) last_loaded: Option<TokenSet>,
    pub(crate) retry_run: u32,
    pub(crate) fails_in_flight: u32,
    pub(crate) last_fail_at: f64,
    pub(crate) last_fail_ra: Option<u32>,
    pub(crate) auto_not_before: f64,
    pub(crate) auto_reason: &'static str,
    pub(crate) last_clock_jump: f64,
    pub(crate) inputs_window: (f64, u32),
    /// A quiescence probe: its call, and (once sent) the token it carried and what storage held then.
    pub(crate) probe: Option<(CallId, Option<(String, Option<String>)>)>,
    /// The silent renewal whose frame is out (its answer is wanted), by number.
    pub(crate) silent_pending: Option<u64>,
    /// The silent renewal's code was handed over and is being exchanged (cleared when the engine gives up).
    pub(crate) silent_exchanging: bool,
    /// Invariant 7: the pairs (by their access token's expiry, as the engine holds it) this tab renewed
    /// silently, and whether the app called `renew()` since its last silent renewal.
    pub(crate) silent_bases: Vec<f64>,
    /// The pair the pending silent renewal renews.
    pub(crate) silent_base: Option<f64>,
    pub(crate) renew_asked: bool,
    /// Invariant 8: the input being fed is a token answer demanding a DPoP nonce; the last token request
    /// was the resend such an answer earns.
    pub(crate) feeding_nonce: bool,
    pub(crate) last_send_nonce_retry: bool,
    /// Invariant 10: the user the app was last told of (`login`, or `tokenInfo()` once `ready` settled);
    /// `None` after the session ended (`expired`, `logout`, `change(null)`) or when no owner is known.
    pub(crate) app_owner: Option<String>,
    /// Invariant 9: when this tab last heard a logout broadcast from each tab (a logout's notice names the
    /// logins it ended: hearing another tab's says nothing of this one's), and when it opened.
    pub(crate) heard_logout_from: HashMap<usize, f64>,
    pub(crate) opened_at: f64,
    /// Tabs that join: the presence mark ([`Command::Present`]).
    pub(crate) present: bool,
}

impl Tab {
    /// When this tab last heard a logout broadcast from tab `from` (never: -inf).
    pub(crate) fn heard_logout(&self, from: usize) -> f64 {
        self.heard_logout_from.get(&from).copied().unwrap_or(f64::NEG_INFINITY)
    }
}

pub(crate) struct LockMgr {
    pub(crate) holder: Option<usize>,
    pub(crate) held_since: f64,
    pub(crate) frozen_at_grant: f64,
    /// Waiting tabs: the tab, the ticket of its timeout, and the engine's id of the request.
    pub(crate) queue: VecDeque<(usize, u64, OpId)>,
    pub(crate) next_ticket: u64,
}

pub struct World {
    pub(crate) seed: u64,
    pub(crate) rng: Rng,
    pub(crate) prof: Profile,
    pub(crate) opts: Options,
    pub(crate) now: f64,
    pub(crate) seq: u64,
    pub(crate) queue: BinaryHeap<Item>,
    pub(crate) active_events: u64,
    pub(crate) st: State,
    pub(crate) cfg: Config,
    pub(crate) tabs: Vec<Tab>,
    pub(crate) jar: Slot,
    pub(crate) jar_broken_until: f64,
    pub(crate) jar_full: bool,
    pub(crate) jar_tampered_at: f64,
    /// When the jar's cookie expires by the browser's (the simulation's) clock: the `Max-Age` the engine's
    /// `cookie_max_age_s` gives the tokens at the write, by the writing tab's clock. `None`: a session cookie.
    pub(crate) jar_expires_at: Option<f64>,
    /// The user's login session at the server (the browser's login cookie, shared by its tabs).
    pub(crate) login_id: Option<String>,
    /// Invariant 10's draws (who signs in), apart from the main stream.
    pub(crate) users_rng: Rng,
    pub(crate) next_silent: u64,
    /// Invariant 7: pairs (by access expiry) a silent renewal replaced in the jar, and when.
    pub(crate) silent_renewed: Vec<(f64, f64)>,
    /// Access tokens a silent renewal delivered, with the pair (access expiry) it renewed.
    pub(crate) silent_from: HashMap<String, f64>,
    pub(crate) nonce_gen: u64,
    pub(crate) nonce_skip: u64,
    pub(crate) lock: LockMgr,
    pub(crate) bc_last: HashMap<(usize, usize), f64>,
    pub(crate) reqs: Vec<TokenReq>,
    pub(crate) rts: HashMap<String, RtObs>,
    /// The token set as first received for each refresh token (for invariant 5's "was it still fresh?").
    pub(crate) rt_sets: HashMap<String, TokenSet>,
    pub(crate) delivered_access: HashSet<String>,
    /// The jar was last emptied by a tab's logout (seeds 93532972, 1116067).
    pub(crate) jar_logged_out: bool,
    /// (tab, access token): which tab each pair reached (a tab's own storage can hold only what reached it).
    pub(crate) delivered_to: HashSet<(usize, String)>,
    pub(crate) healing: bool,
    pub(crate) non_transient: bool,
    /// A tab gave shared storage up (it refused the refreshed pair for ~20 s: `UseMemory` in shared mode).
    /// From then on the jar holds a spent pair that only a broadcast can warn the other tabs about: a
    /// permanent fault for the session (invariant 3), and invariants 1, 5 and 6 cannot hold for what the jar
    /// feeds tabs that did not hear the broadcast (none, or opened later).
    pub(crate) shared_abandoned: bool,
    pub(crate) any_logout: bool,
    /// Some tab's clock jumped.
    pub(crate) any_jump: bool,
    /// Sessions the app logged out (the logging-out tab's session when logout() was called, and the session
    /// of every revoked token): their end is the user's doing.
    pub(crate) app_ended: HashSet<String>,
    /// Tabs that join: server sessions whose newest pair the group lost (every tab that received it closed or
    /// was frozen when another had to refresh): a refresh with the pair before it may end them.
    pub(crate) lost_sessions: HashSet<String>,
    pub(crate) logins_pending: HashSet<usize>,
    /// Invariant 9: the login (a number of the simulation's own) of each server session: an interactive login
    /// starts one, a refresh stays in its session, a silent renewal continues the login of the pair it renews
    /// (a silent renewal of a tab holding nothing starts one).
    pub(crate) login_of_session: HashMap<String, u64>,
    pub(crate) next_login: u64,
    /// The user each popup login in progress signs in as, by tab and call.
    pub(crate) login_as: HashMap<(usize, CallId), &'static str>,
    /// The login (invariant 9's number) of each authorization code issued and not yet exchanged.
    pub(crate) code_logins: HashMap<String, u64>,
    /// The login each silent renewal (by number) continues.
    pub(crate) silent_logins: HashMap<u64, Option<(u64, String)>>,
    /// Logout calls in progress, by tab and call: when called, and the logins they end (the one the tab held,
    /// and the one of each token it revoked).
    pub(crate) logouts: HashMap<(usize, CallId), (f64, bool, Vec<u64>)>,
    /// Logins a settled logout ended.
    pub(crate) dead_logins: HashMap<u64, DeadLogin>,
    pub(crate) stats: Stats,
    pub(crate) trace: Vec<String>,
    pub(crate) names: HashMap<String, String>,
    pub(crate) failure: Option<(Inv, String)>,
    /// Tabs that join: asks waiting for answers, by number.
    pub(crate) asks: HashMap<u64, Ask>,
    /// Tabs that join: (asker, asked) → the asks in a row the asked tab left unanswered (invariant 1).
    pub(crate) unanswered: HashMap<(usize, usize), u32>,
    /// Tabs that join: (tab, access token, first ask): the tab heard of a change from a tab that held this pair,
    /// and no ask of it made since has come back yet (invariant 6: the tab owes itself that pair).
    pub(crate) owed: Vec<(usize, String, u64)>,
    pub(crate) next_ask: u64,
    /// Tabs that join: the browser's clock (its offset), which they all share.
    pub(crate) browser_offset: f64,
}

impl World {
    pub fn new(seed: u64, opts: Options) -> World {
        rc_emulator::ids::seed_thread(Some(seed));
        let mut rng = Rng::new(seed);
        let mut prof = Profile::draw(&mut rng, &opts);
        let (users, users_rng) = Users::draw(seed, prof.duration_ms);
        prof.users = users;
        // Half the seeds on sessionStorage with a BroadcastChannel (and no DPoP: its key is per tab) join.
        prof.join = !prof.shared && prof.broadcast && !prof.dpop && Rng::new(seed ^ 0x0000_7AB5_0023_0000).chance(0.5);
        let mut st = State::new(8080);
        st.clock.pin(EPOCH_MS as i64);
        st.config.access_token_ttl_default = prof.access_ttl_s;
        // Unlimited sessions per user: many tabs with their own sessionStorage log in many times, and the
        // eviction of the oldest is a server policy this simulation does not study.
        st.config.max_sessions_per_user = 0;
        st.config.login_session_ttl_s = prof.login_ttl_s;
        if let Some(app) = st.apps.get_mut(CLIENT_ID) {
            app.issue_refresh_tokens = prof.refresh;
        }
        let mut cfg = Config::with_defaults(CLIENT_ID, SERVER, REDIRECT_URI).expect("valid config");
        cfg.refresh_tokens = prof.refresh;
        cfg.silent_renew = prof.silent_renew;
        cfg.dpop = prof.dpop;
        // The downgrade mode runs a session on the bearer tokens the server hands out: that is `dpop: 'prefer'`.
        // With `dpop: true` every login would fail closed (dpop_downgrade) and the seed would exercise nothing;
        // that refusal is covered by the engine's host tests and tests/e2e/dpop.test.mjs.
        cfg.dpop_prefer = prof.dpop_downgrade;
        let stubborn = prof.dpop_stubborn;
        cfg.storage = if prof.shared { StorageKind::Cookie } else { StorageKind::SessionStorage };
        cfg.api_origins = vec![SERVER.to_string()];
        let mut w = World {
            seed,
            rng,
            prof,
            opts,
            now: EPOCH_MS,
            seq: 0,
            queue: BinaryHeap::new(),
            active_events: 0,
            st,
            cfg,
            tabs: Vec::new(),
            jar: Slot::Empty,
            jar_broken_until: 0.0,
            jar_full: false,
            jar_tampered_at: f64::NEG_INFINITY,
            jar_expires_at: None,
            login_id: None,
            users_rng,
            next_silent: 1,
            silent_renewed: Vec::new(),
            silent_from: HashMap::new(),
            nonce_gen: 0,
            nonce_skip: 0,
            lock: LockMgr { holder: None, held_since: 0.0, frozen_at_grant: 0.0, queue: VecDeque::new(), next_ticket: 1 },
            bc_last: HashMap::new(),
            reqs: Vec::new(),
            rts: HashMap::new(),
            rt_sets: HashMap::new(),
            delivered_access: HashSet::new(),
            jar_logged_out: false,
            delivered_to: HashSet::new(),
            healing: false,
            non_transient: stubborn,
            shared_abandoned: false,
            any_logout: false,
            any_jump: false,
            app_ended: HashSet::new(),
            lost_sessions: HashSet::new(),
            logins_pending: HashSet::new(),
            login_of_session: HashMap::new(),
            next_login: 1,
            silent_logins: HashMap::new(),
            login_as: HashMap::new(),
            code_logins: HashMap::new(),
            logouts: HashMap::new(),
            dead_logins: HashMap::new(),
            stats: Stats::default(),
            trace: Vec::new(),
            names: HashMap::new(),
            failure: None,
            asks: HashMap::new(),
            unanswered: HashMap::new(),
            owed: Vec::new(),
            next_ask: 1,
            browser_offset: 0.0,
        };
        for _ in 0..w.prof.tabs {
            w.open_tab();
        }
        let first = w.rng.real(0.0, 5_000.0);
        w.push(first, Ev::App);
        let end = EPOCH_MS + w.prof.duration_ms;
        w.push_at(end, Ev::HealStart);
        for at in w.prof.users.switches.clone() {
            w.push_at(EPOCH_MS + at, Ev::SwitchUser);
        }
        // Environment faults at random instants, early enough to be over before the heal period.
        for _ in 0..w.prof.env_fault_count {
            let f = *w.rng.pick(&w.prof.env_faults.clone());
            let at = w.rng.real(60_000.0, w.prof.duration_ms - 2.5 * 3_600_000.0_f64.min(w.prof.duration_ms / 2.0));
            w.push(at.max(60_000.0), Ev::Env(f));
        }
        w
    }

    pub(crate) fn tab_now(&self, tab: usize) -> f64 {
        self.now + self.tabs[tab].offset_ms
    }

    pub(crate) fn session_of(&self, token: &str) -> Option<String> {
        self.st.session_of_token(token)
    }

    pub(crate) fn touch(&mut self, tab: usize, token: &str) {
        if let Some(s) = self.session_of(token) {
            self.tabs[tab].last_session = Some(s);
        }
    }

    pub(crate) fn open_tabs(&self) -> Vec<usize> {
        (0..self.tabs.len()).filter(|&i| self.tabs[i].open).collect()
    }

    pub(crate) fn open_tab(&mut self) {
        let caps = Caps { shared: self.prof.shared, locks: self.prof.locks };
        let id = self.tabs.len();
        let skew = if self.rng.chance(0.3) { self.rng.real(-MAX_SKEW_MS, MAX_SKEW_MS) } else { 0.0 };
        // Tabs that join compare logins by the time each was made, by the clock of the tab that made it: the tabs
        // of one browser share one clock (oss-sim seed 1012502 gave them minutes of skew, and an older login
        // looked newer), so here they do, and a clock jump moves it for all.
        let skew = if self.prof.join { self.browser_offset } else { skew };
        self.tabs.push(Tab {
            open: true,
            engine: Engine::new(self.cfg.clone(), caps, Box::new(Rng::new(self.seed ^ (0xE4_7B09 + id as u64)))),
            offset_ms: skew,
            mode: if self.prof.shared { Mode::Shared } else { Mode::Session },
            own: Slot::Empty,
            own_broken_until: 0.0,
            own_full: false,
            loads: 0,
            frozen_until: None,
            frozen_since: 0.0,
            frozen_total: 0.0,
            timer: None,
            timer_gen: 0,
            next_call: 1,
            calls: HashMap::new(),
            logout_requested: false,
            last_session: None,
            outstanding: None,
            trigger: Cause::Other,
            forced_since_send: false,
            known_access: None,
            last_loaded: None,
            retry_run: 0,
            fails_in_flight: 0,
            last_fail_at: 0.0,
            last_fail_ra: None,
            auto_not_before: 0.0,
            auto_reason: "",
            last_clock_jump: f64::NEG_INFINITY,
            inputs_window: (0.0, 0),
            probe: None,
            silent_pending: None,
            silent_exchanging: false,
            silent_bases: Vec::new(),
            silent_base: None,
            renew_asked: false,
            feeding_nonce: false,
            last_send_nonce_retry: false,
            app_owner: None,
            heard_logout_from: HashMap::new(),
            opened_at: self.now,
            present: false,
        });
        self.tr(Some(id), "opened".into());
        if self.prof.join {
            self.tabs[id].engine.join_tabs();
            // `window.open`: the browser copies the opener's sessionStorage. The opener runs script, so it is
            // awake (oss-sim seed 1002970 copied a tab asleep through a logout: a tab cannot open one then).
            let donors: Vec<usize> = self
                .open_tabs()
                .into_iter()
                .filter(|&i| i != id && self.tabs[i].frozen_until.is_none() && matches!(self.tabs[i].own, Slot::Tokens(_)))
                .collect();
            if !donors.is_empty() && self.rng.chance(0.4) {
                let from = *self.rng.pick(&donors);
                self.tabs[id].own = self.tabs[from].own.clone();
                if let Slot::Tokens(t) = &self.tabs[from].own {
                    self.delivered_to.insert((id, t.access_token.expose().to_string()));
                }
                self.tr(Some(id), format!("opened with a copy of tab{from}'s sessionStorage"));
            }
        }
        let ready = self.new_call(id, CallKind::Ready, String::new());
        self.feed(id, Input::Start { ready, storage_problem: None }, Cause::Other);
    }

    pub(crate) fn close_tab(&mut self, tab: usize) {
        let t = &mut self.tabs[tab];
        if !t.open {
            return;
        }
        t.open = false;
        t.calls.clear();
        t.outstanding = None;
        self.tr(Some(tab), "closed".into());
        // A closed tab's locks are released; its queued requests vanish.
        self.lock.queue.retain(|(t, _, _)| *t != tab);
        if self.lock.holder == Some(tab) {
            self.lock.holder = None;
            self.grant_next();
        }
        if !self.healing && self.rng.chance(0.7) {
            let d = self.rng.real(1_000.0, 300_000.0);
            self.push(d, Ev::OpenTab);
        }
    }

    pub(crate) fn new_call(&mut self, tab: usize, kind: CallKind, url: String) -> CallId {
        let now = self.now;
        let t = &mut self.tabs[tab];
        let id = t.next_call;
        t.next_call += 1;
        let frozen_at_start = t.frozen_total;
        let owner = t.app_owner.clone();
        t.calls.insert(id, Call { kind, start: now, frozen_at_start, url, sends: 0, nonce_demands: 0, owner });
        self.stats.app_calls += 1;
        id
    }
}

/// Tabs that join: one [`Command::AskTabs`] in progress (the asker, its op, how many tabs were asked, what came).
pub(crate) struct Ask {
    pub(crate) tab: usize,
    pub(crate) op: oauth_spa_session::engine::OpId,
    pub(crate) want: usize,
    pub(crate) came: usize,
    pub(crate) pairs: Vec<TokenSet>,
    /// The tabs asked (holding the mark), and those whose answer came in time.
    pub(crate) peers: Vec<usize>,
    pub(crate) from: Vec<usize>,
}
