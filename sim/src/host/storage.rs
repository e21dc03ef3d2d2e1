//! The tabs' storage: sessionStorage per tab, or one cookie jar shared by all tabs (dropped when its `Max-Age`
//! has passed, by the browser's clock), or a tab's in-memory fallback; answers after a storage latency.

use crate::*;

impl World {
    pub(crate) fn slot_read(&self, tab: usize) -> Slot {
        match self.tabs[tab].mode {
            Mode::Shared => self.jar_read(),
            _ => self.tabs[tab].own.clone(),
        }
    }

    /// The jar as the browser shows it: nothing once the cookie's `Max-Age` has passed.
    pub(crate) fn jar_read(&self) -> Slot {
        match self.jar_expires_at {
            Some(at) if self.now >= at => Slot::Empty,
            _ => self.jar.clone(),
        }
    }

    pub(crate) fn broken(&self, tab: usize) -> bool {
        match self.tabs[tab].mode {
            Mode::Shared => self.now < self.jar_broken_until,
            Mode::Session => self.now < self.tabs[tab].own_broken_until,
            Mode::Memory => false,
        }
    }

    pub(crate) fn storage_latency(&mut self) -> f64 {
        if self.rng.chance(0.8) {
            0.0
        } else {
            self.rng.real(0.0, 5.0)
        }
    }

    /// `Command::Load`.
    pub(crate) fn load(&mut self, tab: usize, op: u32) {
            self.tabs[tab].loads += 1;
            let first = self.tabs[tab].loads == 1;
            let result = if first && self.broken(tab) {
                Err(HostFailure::Storage(Some("storage refused to open".into())).into())
            } else {
                match self.slot_read(tab) {
                    Slot::Empty => Ok(None),
                    // The tab touches these tokens when the read's answer reaches it (in `deliver`, host/mod.rs).
                    Slot::Tokens(t) => Ok(Some(t)),
                    Slot::Corrupt => Err(HostFailure::Corrupt(Some("stored tokens are malformed")).into()),
                }
            };
            self.tr(Some(tab), format!("-> Load op{op}"));
            let d = self.storage_latency();
            self.push(d, Ev::Feed { tab, input: Input::Loaded { op, result } });
    }

    /// `Command::Save`.
    pub(crate) fn save(&mut self, tab: usize, op: u32, tokens: TokenSet) {
            let (a, r) = (tokens.access_token.expose().to_string(), tokens.refresh_token.as_ref().map(|r| r.expose().to_string()));
            if self.opts.trace {
                let an = self.name(&a, 'A');
                let rn = r.as_deref().map(|r| self.name(r, 'R')).unwrap_or_default();
                self.tr(Some(tab), format!("-> Save op{op} {an}/{rn}"));
            }
            self.touch(tab, &a);
            self.tabs[tab].known_access = Some(a.clone());
            let full = match self.tabs[tab].mode {
                Mode::Shared => std::mem::take(&mut self.jar_full),
                Mode::Session => std::mem::take(&mut self.tabs[tab].own_full),
                Mode::Memory => false,
            };
            let result = if self.broken(tab) {
                Err(HostFailure::Storage(Some("the browser refused the write".into())).into())
            } else if full {
                Err(HostFailure::Storage(Some("quota exceeded".into())).into())
            } else {
                match self.tabs[tab].mode {
                    Mode::Shared => {
                        // The cookie's lifetime, as the web layer's store computes it at the write.
                        let tnow = self.tab_now(tab);
                        let max_age = oauth_spa_session::protocol::cookie_max_age_s(&tokens, tnow);
                        self.jar_expires_at = max_age.map(|s| self.now + s as f64 * 1000.0);
                        if let Some(&b) = self.silent_from.get(&a) {
                            self.silent_renewed.push((b, self.now));
                        }
                        self.jar = Slot::Tokens(tokens);
                        self.jar_logged_out = false;
                    }
                    _ => self.tabs[tab].own = Slot::Tokens(tokens),
                }
                Ok(())
            };
            let d = self.storage_latency();
            self.push(d, Ev::Feed { tab, input: Input::Saved { op, result } });
    }

    /// `Command::Clear`.
    pub(crate) fn clear(&mut self, tab: usize, op: u32) {
            self.tr(Some(tab), format!("-> Clear op{op}"));
            match self.tabs[tab].mode {
                Mode::Shared => {
                    self.jar = Slot::Empty;
                    self.jar_expires_at = None;
                    self.jar_logged_out = self.logouts.keys().any(|(t, _)| *t == tab);
                }
                _ => self.tabs[tab].own = Slot::Empty,
            }
            let d = self.storage_latency();
            self.push(d, Ev::Feed { tab, input: Input::Cleared { op } });
    }

    /// `Command::UseMemory`: the tab gives its storage up for memory.
    pub(crate) fn use_memory(&mut self, tab: usize) {
            self.tr(Some(tab), "-> UseMemory".into());
            if self.tabs[tab].mode == Mode::Shared {
                self.shared_abandoned = true;
                self.non_transient = true;
            }
            let t = &mut self.tabs[tab];
            t.mode = Mode::Memory;
            t.own = Slot::Empty;
    }
}
