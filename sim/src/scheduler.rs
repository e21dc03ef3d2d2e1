//! The scheduler: one queue of events by (simulated time, insertion order); `step` pops the next one, pins the
//! server's clock to it, holds a frozen tab's events until it wakes, dispatches it to the host, the server,
//! the app or the faults, and runs the invariants checked after every step. `run` goes on until quiescence
//! after the heal period and then checks invariant 6.
//!
//! A new kind of event: a variant of `Ev` (mark it in `active` if quiescence must wait for it) and an arm in
//! `step` that calls the role it belongs to.

use crate::*;

#[derive(Debug)]
pub(crate) enum Ev {
    App,
    /// An input for a tab (storage results, lock answers, broadcasts, API answers, revoke done).
    Feed { tab: usize, input: Input },
    /// A BroadcastChannel message from tab `from`, as it crosses the channel (text: `Notice::to_wire`).
    Notice { from: usize, tab: usize, wire: String },
    /// A popup's authorize request reaches the server: the user logs in, the callback page hands the code back.
    AuthorizeArrive { tab: usize, call: CallId, params: Params },
    /// A code exchange reaches the token endpoint.
    ExchangeArrive { tab: usize, call: CallId, form: String, proof: Option<Proof> },
    /// Its answer reaches the tab.
    ExchangeReply { tab: usize, call: CallId, wire: Wire, proved: bool, nonce: Option<String> },
    /// A silent renewal's `prompt=none` request reaches the server (answered from the user's login session).
    SilentArrive { tab: usize, id: u64, slow: bool, params: Params },
    /// Its frame's callback (a code, or `login_required`: the query) is handed to the tab, unless cancelled.
    SilentReply { tab: usize, id: u64, query: String },
    /// The tab's one timer (armed for its engine's `poll_timeout()`). `active`: a timer of the flight or the
    /// renewal is armed (quiescence waits for it), not only the policy's.
    Timer { tab: usize, gen: u64, active: bool },
    TokenArrive { req: usize },
    TokenReply { req: usize, wire: Wire, answered: bool },
    ApiArrive { tab: usize, call: CallId, token: Option<String>, api: bool, proof: Option<Proof> },
    RevokeArrive { tab: usize, call: CallId, token: Option<String> },
    LockTimeout { ticket: u64 },
    Env(Fault),
    EndStorageThrow { jar: bool, tab: usize },
    Wake { tab: usize },
    OpenTab,
    HealStart,
    /// Invariant 10: another user is now signed in at the server in the browser's login session.
    SwitchUser,
    /// Tabs that join: a tab's answer to ask `id` reaches the asker's channel.
    Answer { id: u64, from: usize, tokens: Option<TokenSet> },
    /// Tabs that join: a lock kept a moment after a logout is released (a closed tab's went with it).
    UnlockLater { tab: usize },
    /// Tabs that join: ask `id` stops waiting (`timeout_ms` of [`Command::AskTabs`]).
    AskTimeout { id: u64 },
}

impl Ev {
    /// Events that are part of some activity in progress (quiescence waits for them).
    pub(crate) fn active(&self) -> bool {
        !matches!(
            self,
            Ev::App | Ev::Env(_) | Ev::OpenTab | Ev::HealStart | Ev::EndStorageThrow { .. } | Ev::SwitchUser
        ) && !matches!(self, Ev::Timer { active: false, .. })
    }
}

pub(crate) struct Item {
    pub(crate) t: f64,
    pub(crate) seq: u64,
    pub(crate) ev: Ev,
}

impl PartialEq for Item {
    fn eq(&self, o: &Item) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Item) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    /// Min-heap on (time, insertion order).
    fn cmp(&self, o: &Item) -> Ordering {
        o.t.total_cmp(&self.t).then(o.seq.cmp(&self.seq))
    }
}

impl World {
    pub(crate) fn push(&mut self, delay: f64, ev: Ev) {
        let t = self.now + delay.max(0.0);
        self.push_at(t, ev);
    }

    pub(crate) fn push_at(&mut self, t: f64, ev: Ev) {
        if ev.active() {
            self.active_events += 1;
        }
        self.seq += 1;
        self.queue.push(Item { t: t.max(self.now), seq: self.seq, ev });
    }

    pub(crate) fn quiescent(&self) -> bool {
        self.active_events == 0
            && self.lock.holder.is_none()
            && self.lock.queue.is_empty()
            && self.tabs.iter().all(|t| !t.open || (t.outstanding.is_none() && t.calls.is_empty() && t.frozen_until.is_none()))
    }

    pub(crate) fn step(&mut self) -> bool {
        let Some(item) = self.queue.pop() else { return false };
        if item.ev.active() {
            self.active_events -= 1;
        }
        self.now = item.t;
        self.st.clock.pin(self.now as i64);
        self.stats.steps += 1;
        // A frozen tab runs nothing: its inputs wait for the wake-up (in order).
        let target = match &item.ev {
            Ev::Feed { tab, .. }
            | Ev::Notice { tab, .. }
            | Ev::Timer { tab, .. }
            | Ev::ExchangeReply { tab, .. }
            | Ev::SilentReply { tab, .. } => Some(*tab),
            Ev::ApiArrive { .. } | Ev::RevokeArrive { .. } => None,
            _ => None,
        };
        if let Some(tab) = target {
            if let Some(until) = self.tabs[tab].frozen_until {
                self.push_at(until.max(self.now), item.ev);
                return true;
            }
        }
        match item.ev {
            Ev::App => self.app_action(),
            Ev::Feed { tab, input } => self.deliver(tab, input),
            Ev::Notice { from, tab, wire } => {
                let Some(n) = Notice::from_wire(&wire) else {
                    self.fail(Inv::Bounded, format!("tab{from} broadcast {wire:?}, which no tab reads as a notice"));
                    return true;
                };
                if let (Notice::Logout(_), true) = (n, self.tabs[tab].open) {
                    self.tabs[tab].heard_logout_from.insert(from, self.now);
                }
                // Tabs that join: a change heard from an open tab: the next ask brings its pair (invariant 6).
                if let (Notice::Refresh | Notice::Login, true, true) = (n, self.prof.join, self.tabs[from].open) {
                    if let Some(p) = self.tabs[from].engine.access_token() {
                        self.owed.push((tab, p.expose().to_string(), self.next_ask));
                    }
                }
                self.deliver(tab, Input::Broadcast(n));
            }
            Ev::AuthorizeArrive { tab, call, params } => self.authorize_arrive(tab, call, params),
            Ev::ExchangeArrive { tab, call, form, proof } => self.exchange_arrive(tab, call, form, proof),
            Ev::ExchangeReply { tab, call, wire, proved, nonce } => self.exchange_reply(tab, call, wire, proved, nonce),
            Ev::Timer { tab, gen, .. } => {
                if self.tabs[tab].open && self.tabs[tab].timer.is_some_and(|(_, _, g)| g == gen) {
                    self.tabs[tab].timer = None;
                    // A wait of the flight ending is a backoff (a retry may follow); else the policy's check.
                    let tnow = Instant::from_ms(self.tab_now(tab));
                    let flight = Timer::ALL.iter().any(|&t| t.is_flight() && self.tabs[tab].engine.timer_due(t, tnow));
                    let cause = if flight { Cause::Backoff } else { Cause::Check };
                    self.feed(tab, Input::Timeout, cause);
                }
            }
            Ev::TokenArrive { req } => self.token_arrive(req),
            Ev::SilentArrive { tab, id, slow, params } => self.silent_arrive(tab, id, slow, params),
            Ev::SilentReply { tab, id, query } => self.silent_reply(tab, id, query),
            Ev::TokenReply { req, wire, answered } => {
                let tab = self.reqs[req].tab;
                if let Some(until) = self.tabs[tab].frozen_until {
                    self.push_at(until, Ev::TokenReply { req, wire, answered });
                    return true;
                }
                self.token_reply(req, wire, answered)
            }
            Ev::ApiArrive { tab, call, token, api, proof } => self.api_arrive(tab, call, token, api, proof),
            Ev::RevokeArrive { tab, call, token } => self.revoke_arrive(tab, call, token),
            Ev::LockTimeout { ticket } => {
                if let Some(i) = self.lock.queue.iter().position(|(_, k, _)| *k == ticket) {
                    let (tab, _, id) = self.lock.queue.remove(i).expect("queued");
                    self.push(0.0, Ev::Feed { tab, input: Input::LockTimedOut { id } });
                }
            }
            Ev::Env(f) => self.env_fault(f),
            Ev::EndStorageThrow { jar, tab } => {
                if jar {
                    self.jar_broken_until = 0.0;
                } else {
                    self.tabs[tab].own_broken_until = 0.0;
                }
            }
            Ev::Wake { tab } => {
                let t = &mut self.tabs[tab];
                if t.frozen_until.take().is_some() {
                    t.frozen_total += self.now - t.frozen_since;
                }
                self.feed(tab, Input::Wake, Cause::Wake);
            }
            Ev::OpenTab => {
                if !self.healing && self.open_tabs().len() < MAX_TABS {
                    self.open_tab();
                }
            }
            Ev::SwitchUser => self.switch_user(),
            Ev::Answer { id, from, tokens } => {
                let Some(a) = self.asks.get_mut(&id) else { return true };
                a.came += 1;
                a.from.push(from);
                a.pairs.extend(tokens);
                if a.came >= a.want {
                    self.answered(id);
                }
            }
            Ev::AskTimeout { id } => self.answered(id),
            Ev::UnlockLater { tab } => {
                if self.lock.holder == Some(tab) && self.tabs[tab].open {
                    self.tr(Some(tab), "lock released".into());
                    self.lock.holder = None;
                    self.grant_next();
                }
            }
            Ev::HealStart => {
                self.healing = true;
                self.jar_full = false;
                self.jar_broken_until = 0.0;
                for t in &mut self.tabs {
                    t.own_full = false;
                    t.own_broken_until = 0.0;
                }
                self.tr(None, "heal: no more app calls or faults".into());
            }
        }
        self.check_bounds();
        self.check_logout_final();
        true
    }

    /// Runs until quiescence after the heal period (or a failure).
    pub(crate) fn run_until_quiet(&mut self, not_before: f64) {
        let cap = not_before + QUIESCE_CAP_MS;
        loop {
            if self.failure.is_some() {
                return;
            }
            // Quiet, and nothing happens before `not_before` but the policy timers: quiescent from then on.
            if self.quiescent() && self.queue.peek().is_none_or(|i| self.now >= not_before || i.t >= not_before) {
                self.now = self.now.max(not_before);
                return;
            }
            if self.now > cap {
                self.fail(Inv::Bounded, "the tabs never became quiet after the faults stopped (endless activity)".into());
                return;
            }
            if self.stats.steps > MAX_STEPS {
                self.fail(Inv::Bounded, format!("more than {MAX_STEPS} steps (loop)"));
                return;
            }
            if !self.step() {
                return;
            }
        }
    }

    pub fn run(mut self) -> Result<Stats, Failure> {
        let heal_end = EPOCH_MS + self.prof.duration_ms + HEAL_MS;
        self.run_until_quiet(heal_end);
        if self.failure.is_none() {
            self.check_newest();
        }
        rc_emulator::ids::seed_thread(None);
        match self.failure.take() {
            None => Ok(self.stats),
            Some((inv, detail)) => Err(Failure {
                seed: self.seed,
                inv,
                detail,
                at_ms: self.now - EPOCH_MS,
                trace: std::mem::take(&mut self.trace),
                profile: self.prof.summary(),
            }),
        }
    }

    pub fn profile_summary(&self) -> String {
        self.prof.summary()
    }
}
