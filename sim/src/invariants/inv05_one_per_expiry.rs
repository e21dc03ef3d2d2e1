//! Invariant 5: with Web Locks and shared storage, one token request per expiry.

use crate::*;

impl World {
    /// Invariant 5 (single flight): one tab never has two token requests outstanding; with Web Locks and
    /// shared storage, no two open tabs have requests for the same server session outstanding at once.
    pub(crate) fn inv5_check_single_flight(&mut self, tab: usize, session: &Option<String>, shared_locked: bool) {
        if self.tabs[tab].outstanding.is_some() {
            self.fail(Inv::OnePerExpiry, format!("tab{tab} sent a token request while its previous one is unanswered"));
        }
        if shared_locked && !self.shared_abandoned {
            for other in self.open_tabs() {
                if other == tab {
                    continue;
                }
                if let Some(r) = self.tabs[other].outstanding {
                    if self.reqs[r].session.is_some() && self.reqs[r].session == *session {
                        self.fail(Inv::OnePerExpiry, format!("tab{tab} and tab{other} have token requests for the same session in flight at once"));
                    }
                }
            }
        }
    }

    /// Invariant 5 (one per expiry): a first attempt that no app call forced (session.refresh() or a 401 during
    /// the flight) is only sent when the pair it renews is no longer fresh by the sending tab's clock: a tab
    /// that waited for the lock must use the winner's tokens instead.
    pub(crate) fn inv5_check_fresh(&mut self, tab: usize, tnow: f64, retry: bool, forced: bool, shared_locked: bool) {
        if shared_locked && !retry && (self.tabs[tab].engine.is_shared() || self.prof.join) {
            // Judged on the engine's own view at the send (its token expiry, by its own clock; the
            // stored copy may carry another tab's clock): fresh = before expiry minus the margin.
            if let Some(info) = self.tabs[tab].engine.token_info() {
                let lifetime = self.prof.access_ttl_s as f64 * 1000.0;
                let margin = (self.cfg.refresh_margin_s as f64 * 1000.0).min(lifetime / 2.0);
                let rt_due = info.refresh_expires_at_ms.is_some_and(|r| tnow >= r - self.cfg.refresh_margin_s as f64 * 1000.0);
                if !forced && !rt_due && tnow < info.expires_at_ms - margin {
                    self.fail(Inv::OnePerExpiry, format!("tab{tab} refreshed a pair that was still fresh (no app call forced it): a second token request for one expiry"));
                }
            }
        }
    }

    /// Invariant 5 (and the run's shape): no tab asks for a Web Lock when Web Locks are missing.
    pub(crate) fn inv5_check_lock(&mut self, tab: usize) {
        if !self.prof.locks {
            self.fail(Inv::OnePerExpiry, format!("tab{tab} asked for a Web Lock although Web Locks are missing"));
        }
    }
}
