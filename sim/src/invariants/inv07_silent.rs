//! Invariant 7: silent renewal once per pair in a tab (unless the app calls `renew()`); with Web Locks and
//! shared storage no tab renews a fresh pair or one another tab's renewal already replaced.

use crate::*;

impl World {
    /// Invariant 7, as a tab's `prompt=none` frame goes out (`forced`: the app called renew()).
    pub(crate) fn inv7_check_silent(&mut self, tab: usize, tnow: f64, forced: bool) {
        let base = self.tabs[tab].engine.token_info().map(|i| i.expires_at_ms);
        // Invariant 7 (once per pair): a tab renews the pair it holds silently at most once, unless the app
        // called renew() since (the engine keeps the first failure's `expiring` rather than trying again).
        if !forced {
            match base {
                None => self.fail(Inv::Silent, format!("tab{tab} renewed silently without tokens and without renew()")),
                Some(b) if self.tabs[tab].silent_bases.contains(&b) => {
                    self.fail(Inv::Silent, format!("tab{tab} renewed the same pair silently twice"));
                }
                _ => {}
            }
        }
        if let Some(b) = base {
            self.tabs[tab].silent_bases.push(b);
        }
        self.tabs[tab].silent_base = base;
        // Invariant 7 (adopt, not renew): with Web Locks and shared storage, a tab renews under the lock after a
        // re-read, so it never renews a pair that is still fresh by its clock, nor one that another tab's
        // silent renewal already replaced in the jar (it adopts the replacement), unless the app asked.
        if self.prof.shared && self.prof.locks && !self.shared_abandoned && self.tabs[tab].engine.is_shared() && !forced {
            if let (Some(info), Some(b)) = (self.tabs[tab].engine.token_info(), base) {
                let lifetime = self.prof.access_ttl_s as f64 * 1000.0;
                let margin = (self.cfg.refresh_margin_s as f64 * 1000.0).min(lifetime / 2.0);
                if tnow < info.expires_at_ms - margin {
                    self.fail(Inv::Silent, format!("tab{tab} renewed silently a pair that is still fresh"));
                }
                let replaced = self.silent_renewed.iter().find(|(old, _)| *old == b).map(|(_, at)| *at);
                if replaced.is_some_and(|at| self.jar_tampered_at < at) {
                    self.fail(Inv::Silent, format!("tab{tab} renewed silently a pair another tab's silent renewal had replaced in the jar"));
                }
            }
        }
    }
}
