//! Faults: what `--no-fault` names, the token-endpoint fault drawn per request (applied by the server as the
//! request arrives), and the environment faults at random instants (clock jumps, sleep, closing tabs, storage,
//! server-side ends). A new kind of fault: a variant here (with its `--no-fault` name), applied per request
//! in `draw_token_fault` or per instant in `env_fault`. `Profile::draw` draws once per entry of `ALL_FAULTS`,
//! so a new entry there moves every seed's draws: draw a new fault's odds from a stream of its own (as
//! `Users::draw` does) if seeds must replay as before.

use crate::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Fault {
    /// Token endpoint: the grant is committed, then the connection drops (the tab sees `network`).
    Drop,
    /// Token endpoint: no answer within the engine's timeout; the server may or may not have committed.
    Timeout,
    /// Token endpoint: 500 / 502 / 503 without Retry-After, nothing committed.
    Status5xx,
    /// Token endpoint: 429 or 503 with Retry-After, nothing committed.
    RetryAfter,
    /// One tab's clock jumps forward or back (up to 2 h).
    ClockJump,
    /// One tab is frozen (laptop lid, background tab) for up to 2 h, then wakes.
    Sleep,
    /// A tab closes (preferably while holding the lock or with a token request in flight).
    CloseTab,
    /// Storage throws on every write for a while (and on the first read of a tab opened meanwhile).
    StorageThrow,
    /// The next write to a storage fails (quota exceeded).
    StorageFull,
    /// A stored value is tampered with / planted (loads give `corrupt_storage`). Not transient.
    Tamper,
    /// The session is revoked server-side (refresh answers OAU-211). Not transient.
    Revoke,
    /// The refresh token expires server-side (OAU-210). Not transient.
    RtExpire,
    /// The seed runs without BroadcastChannel.
    NoBroadcast,
    /// The seed runs without Web Locks.
    NoLocks,
    /// A silent renewal's hidden frame answers after the engine's `silentTimeoutSeconds` (the server has
    /// issued the tokens by then; nobody receives them).
    SilentSlow,
}

pub const ALL_FAULTS: [Fault; 15] = [
    Fault::Drop,
    Fault::Timeout,
    Fault::Status5xx,
    Fault::RetryAfter,
    Fault::ClockJump,
    Fault::Sleep,
    Fault::CloseTab,
    Fault::StorageThrow,
    Fault::StorageFull,
    Fault::Tamper,
    Fault::Revoke,
    Fault::RtExpire,
    Fault::NoBroadcast,
    Fault::NoLocks,
    Fault::SilentSlow,
];

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Drop => "drop",
            Fault::Timeout => "timeout",
            Fault::Status5xx => "5xx",
            Fault::RetryAfter => "retry-after",
            Fault::ClockJump => "clock-jump",
            Fault::Sleep => "sleep",
            Fault::CloseTab => "close-tab",
            Fault::StorageThrow => "storage-throw",
            Fault::StorageFull => "storage-full",
            Fault::Tamper => "tamper",
            Fault::Revoke => "revoke",
            Fault::RtExpire => "rt-expire",
            Fault::NoBroadcast => "no-broadcast",
            Fault::NoLocks => "no-locks",
            Fault::SilentSlow => "silent-timeout",
        }
    }

    pub fn from_name(s: &str) -> Option<Fault> {
        ALL_FAULTS.iter().copied().find(|f| f.name() == s)
    }

    /// Transient faults leave the session recoverable: invariant 3 keeps applying after them.
    pub fn transient(self) -> bool {
        !matches!(self, Fault::Tamper | Fault::Revoke | Fault::RtExpire)
    }

    pub(crate) fn is_token_fault(self) -> bool {
        matches!(self, Fault::Drop | Fault::Timeout | Fault::Status5xx | Fault::RetryAfter)
    }

    /// Faults drawn per request (token endpoint, silent renewal) rather than at an instant.
    pub(crate) fn per_request(self) -> bool {
        self.is_token_fault() || self == Fault::SilentSlow
    }
}

/// The fault drawn for one token request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum TokFault {
    None,
    Drop,
    Timeout,
    Status(u16, Option<u32>),
}

impl World {
    pub(crate) fn draw_token_fault(&mut self) -> TokFault {
        if self.healing {
            return TokFault::None;
        }
        for i in 0..self.prof.token_faults.len() {
            let (f, p) = self.prof.token_faults[i];
            if self.rng.chance(p) {
                return match f {
                    Fault::Drop => TokFault::Drop,
                    Fault::Timeout => TokFault::Timeout,
                    Fault::Status5xx => TokFault::Status(*self.rng.pick(&[500, 502, 503]), None),
                    _ => {
                        let ra = *self.rng.pick(&[0u32, 1, 5, 20, 45, 60, 120]);
                        TokFault::Status(*self.rng.pick(&[429, 503]), Some(ra))
                    }
                };
            }
        }
        TokFault::None
    }

    pub(crate) fn env_fault(&mut self, f: Fault) {
        if self.healing {
            return;
        }
        let open = self.open_tabs();
        if open.is_empty() {
            return;
        }
        self.stats.faults += 1;
        if !f.transient() {
            self.non_transient = true;
        }
        let tab = *self.rng.pick(&open);
        match f {
            Fault::ClockJump => {
                let d = if self.rng.chance(0.5) { self.rng.real(1_000.0, 7_200_000.0) } else { -self.rng.real(1_000.0, 7_200_000.0) };
                let jumped: Vec<usize> = if self.prof.join { (0..self.tabs.len()).collect() } else { vec![tab] };
                if self.prof.join {
                    self.browser_offset += d;
                }
                for t in jumped {
                    self.tabs[t].offset_ms += d;
                    self.tabs[t].last_clock_jump = self.now;
                }
                self.any_jump = true;
                self.tr(Some(tab), format!("fault: clock jumps {:+.1} s", d / 1000.0));
            }
            Fault::Sleep => {
                let room = EPOCH_MS + self.prof.duration_ms - self.now - 60_000.0;
                if self.tabs[tab].frozen_until.is_none() && room > 10_000.0 {
                    let d = self.rng.real(10_000.0, 7_200_000.0_f64.min(room));
                    self.tabs[tab].frozen_until = Some(self.now + d);
                    self.tabs[tab].frozen_since = self.now;
                    self.tr(Some(tab), format!("fault: sleeps {:.1} s", d / 1000.0));
                    self.push(d, Ev::Wake { tab });
                }
            }
            Fault::CloseTab => {
                let victim = self.lock.holder.or_else(|| open.iter().copied().find(|&t| self.tabs[t].outstanding.is_some())).unwrap_or(tab);
                self.tr(Some(victim), format!("fault: closed (holding the lock: {})", self.lock.holder == Some(victim)));
                self.close_tab(victim);
            }
            Fault::StorageThrow => {
                let d = self.rng.real(10_000.0, 1_200_000.0);
                if self.prof.shared {
                    self.jar_broken_until = self.now + d;
                    self.push(d, Ev::EndStorageThrow { jar: true, tab });
                } else {
                    self.tabs[tab].own_broken_until = self.now + d;
                    self.push(d, Ev::EndStorageThrow { jar: false, tab });
                }
                self.tr(Some(tab), format!("fault: storage throws for {:.0} s (shared={})", d / 1000.0, self.prof.shared));
            }
            Fault::StorageFull => {
                if self.prof.shared {
                    self.jar_full = true;
                } else {
                    self.tabs[tab].own_full = true;
                }
                self.tr(Some(tab), "fault: storage full for the next write".into());
            }
            Fault::Tamper => {
                match self.tabs[tab].mode {
                    Mode::Shared => {
                        self.jar = Slot::Corrupt;
                        self.jar_tampered_at = self.now;
                        self.jar_logged_out = false;
                        self.jar_expires_at = None;
                    }
                    _ => self.tabs[tab].own = Slot::Corrupt,
                }
                self.tr(Some(tab), "fault: stored value tampered".into());
            }
            Fault::Revoke | Fault::RtExpire => {
                let Some(sid) = self.tabs[tab].last_session.clone() else { return };
                if f == Fault::Revoke {
                    self.st.revoke_session(&sid);
                } else {
                    let now = self.st.now();
                    for r in self.st.refresh.values_mut() {
                        if r.session_id == sid {
                            r.expires_ms = r.expires_ms.min(now);
                        }
                    }
                }
                self.tr(Some(tab), format!("fault: server-side {}", f.name()));
            }
            _ => {}
        }
    }
}
