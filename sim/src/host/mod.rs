//! The host: what `web/driver.rs` is to the browser, for the simulated tabs. `feed` hands one input to a tab's
//! engine and `exec` carries out each `Command` it yields, as the driver's `exec` does: storage
//! (`storage.rs`), the token endpoint (`token.rs`), logins (`login.rs`), silent renewal (`silent.rs`), API and revoke requests,
//! Web Locks (a FIFO manager), BroadcastChannel (per sender→receiver FIFO, random delays), timers, events and
//! settled calls. What goes on the wire is answered by `server.rs`; the invariants' checks are called where the
//! host observes what they judge.
//!
//! A new command: an arm in `exec` (a method in the file of its kind when it is more than a few lines). A new
//! input the host feeds: a scheduler event (`scheduler.rs`'s `Ev`) whose arm calls into here.

mod login;
mod silent;
mod storage;
mod token;

use crate::*;

impl World {
    /// Arms the tab's timer for its engine's next deadline, as the driver does after every input (setTimeout
    /// counts a duration: later clock jumps do not move it).
    pub(crate) fn sync_timer(&mut self, tab: usize) {
        let tnow = self.tab_now(tab);
        let t = &mut self.tabs[tab];
        let active = Timer::ALL.iter().any(|&k| k != Timer::Check && t.engine.deadline(k).is_some());
        let want = t.engine.poll_timeout().map(|at| (at.as_ms(), active));
        if t.timer.map(|(at, active, _)| (at, active)) == want {
            return;
        }
        match want {
            None => t.timer = None,
            Some((at, active)) => {
                t.timer_gen += 1;
                let gen = t.timer_gen;
                t.timer = Some((at, active, gen));
                let delay = (at - tnow).max(0.0);
                self.push(delay, Ev::Timer { tab, gen, active });
            }
        }
    }

    /// An input a scheduler event delivers to a tab (the bookkeeping invariants 4 and 9 need, then `feed`).
    pub(crate) fn deliver(&mut self, tab: usize, input: Input) {
        let cause = match &input {
            Input::ApiResponse { status: 401, .. } => Cause::Api401,
            Input::Wake => Cause::Wake,
            Input::Broadcast(_) => Cause::Broadcast,
            _ => Cause::Other,
        };
        if let Input::LockTimedOut { .. } = input {
            let t = &mut self.tabs[tab];
            if self.now + COOLDOWN_MS > t.auto_not_before {
                t.auto_not_before = self.now + COOLDOWN_MS;
                t.auto_reason = "the cool-down after a lock timeout";
                t.last_fail_at = self.now;
            }
        }
        if let Input::Loaded { result: Ok(Some(ts)), .. } = &input {
            // Other tokens read from storage are adopted, and adoption resets the engine's cool-down
            // (new tokens, a new chance): invariant 4's cool-down bound restarts too.
            self.touch(tab, ts.access_token.expose());
            let t = &mut self.tabs[tab];
            t.last_loaded = Some(ts.clone());
            let a = ts.access_token.expose();
            if t.known_access.as_deref() != Some(a) {
                t.known_access = Some(a.to_string());
                t.auto_not_before = 0.0;
            }
        }
        self.feed(tab, input, cause);
    }

    /// Tokens that reached `tab`, for the oracles.
    pub(crate) fn delivered(&mut self, tab: usize, ts: &TokenSet) {
        let a = ts.access_token.expose().to_string();
        self.delivered_access.insert(a.clone());
        self.delivered_to.insert((tab, a));
        if let Some(r) = &ts.refresh_token {
            self.rt_sets.entry(r.expose().to_string()).or_insert_with(|| ts.clone());
        }
    }

    /// Tabs that join: ask `id` has its answers (or stopped waiting): the asker gets them. A pair that reaches a
    /// tab this way reached it as a token answer does (invariant 6), and, like a pair read from storage, it is
    /// another chance for the engine (its cool-down restarts: invariant 4).
    pub(crate) fn answered(&mut self, id: u64) {
        let Some(a) = self.asks.remove(&id) else { return };
        // An ask made after a change was heard came back: it brought the pair, or its holder was silent.
        self.owed.retain(|&(t, _, since)| !(t == a.tab && id >= since));
        if !self.tabs[a.tab].open {
            return;
        }
        for t in &a.pairs {
            self.delivered_to.insert((a.tab, t.access_token.expose().to_string()));
        }
        // The tabs that held the mark and did not answer in time (frozen ones): the asker counts them, as
        // `navigator.locks.query()` shows their marks; invariant 1 counts the asks each left unanswered in a row.
        for &p in &a.peers {
            if a.from.contains(&p) {
                self.unanswered.remove(&(a.tab, p));
            } else {
                *self.unanswered.entry((a.tab, p)).or_default() += 1;
            }
        }
        let silent = a.peers.iter().filter(|p| !a.from.contains(p)).count() as u32;
        let before = self.tabs[a.tab].engine.access_token().map(|t| t.expose().to_string());
        self.feed(a.tab, Input::TabsAnswered { op: a.op, pairs: a.pairs, silent }, Cause::Other);
        let after = self.tabs[a.tab].engine.access_token().map(|t| t.expose().to_string());
        if after.is_some() && after != before {
            let a_tok = after.unwrap_or_default();
            self.touch(a.tab, &a_tok);
            let t = &mut self.tabs[a.tab];
            t.known_access = Some(a_tok);
            t.auto_not_before = 0.0;
        }
    }

    /// Feeds one input to a tab and carries out every command it produces.
    pub(crate) fn feed(&mut self, tab: usize, input: Input, cause: Cause) {
        if !self.tabs[tab].open {
            return;
        }
        if !self.inv4_count_input(tab) {
            return;
        }
        if self.opts.trace {
            let d = describe_input(&input);
            self.tr(Some(tab), format!("<- {d}"));
        }
        let forced = matches!(cause, Cause::AppRefresh | Cause::Api401);
        if forced {
            self.tabs[tab].forced_since_send = true;
        }
        if !matches!(cause, Cause::Other | Cause::Backoff) {
            self.tabs[tab].trigger = cause;
        }
        let tnow = self.tab_now(tab);
        self.tabs[tab].engine.handle(Instant::from_ms(tnow), input);
        while let Some(cmd) = self.tabs[tab].engine.poll() {
            if !self.tabs[tab].open {
                break;
            }
            self.exec(tab, cmd, cause);
        }
        if self.tabs[tab].open {
            self.sync_timer(tab);
            self.check_owner(tab);
        }
    }

    pub(crate) fn exec(&mut self, tab: usize, cmd: Command, cause: Cause) {
        match cmd {
            Command::Load { op } => self.load(tab, op),
            Command::Save { op, tokens } => self.save(tab, op, tokens),
            Command::Clear { op } => self.clear(tab, op),
            Command::UseMemory => self.use_memory(tab),
            Command::SendToken { id, url: _, form, timeout_ms, proof } => self.send_token(tab, id, form, timeout_ms, proof, cause),
            Command::SendRevoke { call, url: _, form, proof: _ } => {
                let p = Params::parse(form.as_bytes());
                let token = p.get("token").map(str::to_string);
                if let Some(sid) = token.as_deref().and_then(|t| self.session_of(t)) {
                    self.app_ended.insert(sid);
                }
                if let Some(l) = token.as_deref().and_then(|t| self.login_of(t)) {
                    if let Some((_, _, ended)) = self.logouts.get_mut(&(tab, call)) {
                        ended.push(l);
                    }
                }
                self.tr(Some(tab), "-> SendRevoke".into());
                let d = self.rng.real(5.0, 300.0);
                self.push(d, Ev::RevokeArrive { tab, call, token });
            }
            Command::SendApi { call, token, retry, proof } => {
                self.inv8_check_api_send(tab, call);
                let url = self.tabs[tab].calls.get(&call).map(|c| c.url.clone()).unwrap_or_default();
                let api = oracle_origin(&url).is_some_and(|o| self.cfg.api_origins.contains(&o));
                let token = token.map(|t| t.expose().to_string());
                if self.opts.trace {
                    let tn = token.as_deref().map(|t| self.name(t, 'A')).unwrap_or_else(|| "-".into());
                    self.tr(Some(tab), format!("-> SendApi #{call} token={tn} retry={retry} {url}"));
                }
                self.inv2_check_api_send(tab, call, token.is_some(), api, &url);
                if let Some(t) = &token {
                    self.touch(tab, t);
                    self.tabs[tab].known_access = Some(t.clone());
                    self.inv10_check_api_send(tab, call, t);
                    self.inv9_check_api_send(tab, call, t);
                }
                if self.tabs[tab].probe.as_ref().is_some_and(|p| p.0 == call) {
                    let stored = match self.slot_read(tab) {
                        Slot::Tokens(t) => Some(t.access_token.expose().to_string()),
                        _ => None,
                    };
                    if let (Some(p), Some(t)) = (&mut self.tabs[tab].probe, &token) {
                        p.1 = Some((t.clone(), stored));
                    }
                }
                let d = self.rng.real(5.0, 400.0);
                self.push(d, Ev::ApiArrive { tab, call, token, api, proof });
            }
            Command::Deliver { call } => self.settled(tab, call, "delivered".into()),
            // A console message for the developer; the simulated tabs only fetch their API origin.
            Command::WarnWithheld { .. } => {}
            Command::Settle { call, result } => {
                let how = match &result {
                    Ok(Value::Unit) => "ok".to_string(),
                    Ok(Value::Bool(b)) => format!("ok({b})"),
                    Ok(Value::Text(_)) => "ok(url)".to_string(),
                    Err(e) => format!("Err({})", e.code.as_str()),
                };
                self.settled(tab, call, how);
            }
            Command::Lock { id, name: _, timeout_ms } => {
                self.tr(Some(tab), "-> Lock".into());
                self.inv5_check_lock(tab);
                let ticket = self.lock.next_ticket;
                self.lock.next_ticket += 1;
                self.lock.queue.push_back((tab, ticket, id));
                self.push(timeout_ms as f64, Ev::LockTimeout { ticket });
                if self.lock.holder.is_none() {
                    self.grant_next();
                }
            }
            Command::Unlock => {
                self.tr(Some(tab), "-> Unlock".into());
                if self.lock.holder == Some(tab) {
                    self.lock.holder = None;
                    self.grant_next();
                }
            }
            Command::UnlockAfter { ms } => {
                self.tr(Some(tab), format!("-> UnlockAfter {ms} ms"));
                self.push(ms as f64, Ev::UnlockLater { tab });
            }
            Command::Broadcast(n) => {
                self.tr(Some(tab), format!("-> Broadcast({})", n.to_wire()));
                if self.prof.broadcast && (self.prof.shared || self.prof.join) {
                    for other in self.open_tabs() {
                        if other == tab {
                            continue;
                        }
                        // Per sender→receiver FIFO, as BroadcastChannel delivers.
                        let d = self.rng.real(0.5, 50.0);
                        let last = self.bc_last.get(&(tab, other)).copied().unwrap_or(0.0);
                        let at = (self.now + d).max(last + 0.001);
                        self.bc_last.insert((tab, other), at);
                        self.push_at(at, Ev::Notice { from: tab, tab: other, wire: n.to_wire() });
                    }
                }
            }
            Command::Emit(e) => self.emitted(tab, e),
            // The simulated host signs nothing (a proof is modelled by its nonce, which the server checks): no key to forget.
            Command::ForgetKey { .. } => {}
            // The frame is removed: its answer, if it still comes, is not wanted.
            Command::CancelSilent => {
                self.tr(Some(tab), "-> CancelSilent".into());
                self.tabs[tab].silent_pending = None;
                self.tabs[tab].silent_exchanging = false;
            }
            Command::Present(on) => {
                self.tr(Some(tab), format!("-> Present({on})"));
                self.tabs[tab].present = on;
            }
            // The asker counts the tabs holding the mark (`navigator.locks.query()`, exact here), posts the ask on
            // the group's channel and waits for that many answers or the timeout.
            Command::AskTabs { op, timeout_ms } => {
                let peers: Vec<usize> = self.open_tabs().into_iter().filter(|&i| i != tab && self.tabs[i].present).collect();
                self.tr(Some(tab), format!("-> AskTabs op{op} ({} tab(s) hold the session)", peers.len()));
                if peers.is_empty() {
                    let d = self.rng.real(0.1, 2.0);
                    self.push(d, Ev::Feed { tab, input: Input::TabsAnswered { op, pairs: Vec::new(), silent: 0 } });
                    return;
                }
                let id = self.next_ask;
                self.next_ask += 1;
                self.asks.insert(id, crate::world::Ask { tab, op, want: peers.len(), came: 0, pairs: Vec::new(), peers: peers.clone(), from: Vec::new() });
                for p in peers {
                    let d = self.rng.real(0.5, 50.0);
                    self.push(d, Ev::Feed { tab: p, input: Input::TabsAsked { id: id.to_string() } });
                }
                self.push(timeout_ms as f64, Ev::AskTimeout { id });
            }
            Command::AnswerTab { id, tokens } => {
                self.tr(Some(tab), format!("-> AnswerTab {id} {}", if tokens.is_some() { "pair" } else { "none" }));
                if let Ok(id) = id.parse() {
                    let d = self.rng.real(0.5, 50.0);
                    self.push(d, Ev::Answer { id, from: tab, tokens });
                }
            }
            Command::Digest { call, text } => {
                // A silent renewal's frame login starts (the engine starts it; its first step is the digest).
                if call == FRAME_CALL {
                    self.silent_renew(tab);
                }
                self.digest(tab, call, text)
            }
            Command::Authorize { call, kind, url, .. } => self.authorize(tab, call, kind, url),
            Command::ExchangeCode { call, form, proof, .. } => self.send_exchange(tab, call, form, proof),
            Command::EndLogin { call } => self.tr(Some(tab), format!("-> EndLogin #{call}")),
            // The simulated app logs in by popup (a redirect would replace the tab's page).
            c @ (Command::SaveTransaction { .. } | Command::ReplaceUrl { .. }) => {
                panic!("tab{tab}: a redirect login's command, which the simulator never asks for: {c:?}")
            }
        }
    }

    pub(crate) fn settled(&mut self, tab: usize, call: CallId, how: String) {
        self.tr(Some(tab), format!("-> Settle #{call} {how}"));
        // Invariant 4: every call settles exactly once.
        match self.tabs[tab].calls.remove(&call) {
            None => self.fail(Inv::Bounded, format!("tab{tab} settled call #{call} that is not pending (twice?)")),
            Some(c) => {
                if c.kind == CallKind::Login {
                    self.logins_pending.remove(&tab);
                }
                if c.kind == CallKind::Ready {
                    // The app reads tokenInfo() once ready: that is the user it was told of.
                    self.tabs[tab].app_owner = self.tabs[tab].engine.token_info().and_then(|i| i.owner_id);
                }
                self.inv9_logout_settled(tab, call);
            }
        }
    }

    pub(crate) fn emitted(&mut self, tab: usize, e: SessionEvent) {
        self.tr(Some(tab), format!("-> Emit {}", e.name()));
        self.owner_told(tab, &e);
        self.inv9_check_event(tab, &e);
        if let SessionEvent::Refresh(_) = e {
            self.stats.refreshes_ok += 1;
        }
        self.inv3_check_event(tab, e);
    }

    pub(crate) fn grant_next(&mut self) {
        if self.lock.holder.is_some() {
            return;
        }
        while let Some((tab, _, id)) = self.lock.queue.pop_front() {
            if !self.tabs[tab].open {
                continue;
            }
            self.lock.holder = Some(tab);
            self.lock.held_since = self.now;
            self.lock.frozen_at_grant = self.tabs[tab].frozen_total;
            self.push(0.0, Ev::Feed { tab, input: Input::LockGranted { id } });
            return;
        }
    }
}
