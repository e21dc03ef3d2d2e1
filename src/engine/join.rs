//! Tabs on per-tab storage (sessionStorage) that join one session (`shareTabs`, issue 23). Each tab keeps the
//! pair in its own storage, as if it had logged in itself, and the tabs coordinate as tabs on shared storage do
//! (one refresh under the Web Lock, a broadcast that says "tokens changed", never the tokens), except that
//! "read storage" becomes "ask the tabs": the pair crosses only to a tab that asked, on a channel only it
//! listens on. So every re-read of the shared session ([`Engine::read_shared`]: under the lock before a
//! refresh or renewal, before a logout, on another tab's notice, before ending a pair) asks the tabs that hold
//! the session and takes the newest answer that is newer than this tab's own pair.
//!
//! - A tab holds a presence mark while it holds the session ([`Command::Present`]); a tab that starts with
//!   nothing stored asks only when a mark is there, so a lone tab's `ready` is not delayed.
//! - A tab that starts with a pair (a reload, or storage the browser copied into a tab opened from this one)
//!   is a member at once: the tabs holding one login then refresh it once between them.
//! - Why it is safe against a second refresh: the refreshing tab adopts its new pair before it releases the
//!   lock, and the next holder asks the tabs under the lock, so it hears the new pair from the tab that holds
//!   it whatever order the broadcast and the lock arrive in. (If that tab closed first, its answer is lost with
//!   it; the next holder replays the spent refresh token, which is what a lost answer earns anywhere.)
//! - A tab holding the session that does not answer (the browser froze it) may hold the newest pair alone: it
//!   refreshed, told the tabs, and froze before this one asked. So after a change notice, a wake-up (a tab the
//!   browser froze may have missed notices) or a start with a pair stored (a reload, copied storage) a tab is unsure until every holder answered or it refreshed
//!   itself, and an unsure tab whose re-read before a refresh misses an answer asks again a few times
//!   ([`ASK_AGAIN`]) before it spends its refresh token, which the silent tab may have spent (a replay the
//!   server answers with that same newer pair only in its grace window). A tab that is sure does not wait for
//!   a frozen tab, which holds nothing newer.
//! - Only with Web Locks (the presence mark and the refresh lock need them): without, tabs do not join.

use super::storage_ops::Op;
use super::{CallId, Command, Engine, Input, Notice};
use crate::protocol::TokenSet;

/// How long a re-read waits for the tabs that hold the session: they answer within milliseconds; a tab that
/// the browser froze does not answer, and is not waited for longer than this.
pub const ASK_WAIT_MS: u32 = 500;

/// Asks again, under the lock, when a tab holding the session left the re-read before a refresh unanswered
/// (after 0.25, 0.5 and 1 s: with each ask's wait, about 3.75 s in all), then spends the refresh token anyway.
/// Why not longer: a busy tab (a long task) or one being resumed answers within that; a tab the browser froze
/// stays frozen until the user returns to it, maybe for hours, while the app's calls and the other tabs wait on
/// this lock, and waiting never makes a replay of a spent refresh token safer (RingCentral's grace window
/// only closes with time). See `Engine::ask_again` (flight.rs).
pub const ASK_AGAIN: u32 = 3;


impl Engine {
    /// Tabs on per-tab storage join one session (call before [`Engine::handle`]'s `Start`). Not for shared storage
    /// (it shares already) and not without Web Locks.
    pub fn join_tabs(&mut self) {
        self.group = !self.caps.shared && self.caps.locks;
    }

    /// Whether this tab coordinates with others: shared storage, or joined tabs.
    pub(super) fn coordinated(&self) -> bool {
        self.caps.shared || self.group
    }

    /// Reads the shared session for `op`: shared storage, or the tabs that hold the session.
    pub(super) fn read_shared(&mut self, op: Op) {
        let op = self.new_op(op);
        if self.group {
            self.push(Command::AskTabs { op, timeout_ms: ASK_WAIT_MS });
        } else {
            self.push(Command::Load { op });
        }
    }

    /// Restore found nothing stored: ask the tabs once (`true`: asked, `ready` settles with their answer).
    pub(super) fn ask_to_join(&mut self, ready: CallId) -> bool {
        if !self.group || self.join_asked {
            return false;
        }
        self.join_asked = true;
        self.read_shared(Op::Restore { ready });
        true
    }

    /// A read's answer: storage's ([`Input::Loaded`]), or the tabs' ([`Input::TabsAnswered`]): then the newest
    /// pair that is newer than this tab's (a later pair of its login, or a later login) is what "storage" holds,
    /// otherwise this tab's own pair is; a pair taken from another tab is written to this tab's storage, as if
    /// this tab had received it itself.
    pub(super) fn read_done(&mut self, now: super::Instant, i: Input) {
        let mut complete = false;
        let (op, result, access) = match i {
            Input::Loaded { op, result } => (op, result, None),
            Input::TabsAnswered { op, pairs, silent } => {
                self.unanswered = silent;
                complete = silent == 0;
                let mut taken = None::<TokenSet>;
                for t in pairs {
                    let over = taken.as_ref().or(self.tokens.as_ref());
                    if !self.is_dead(&t) && over.is_none_or(|b| newer(&t, b)) {
                        taken = Some(t);
                    }
                }
                let access = taken.as_ref().map(|t| t.access_token.clone());
                (op, Ok(taken.or_else(|| self.tokens.clone())), access)
            }
            _ => return,
        };
        self.taken = access;
        self.loaded(now, op, result);
        self.taken = None;
        self.unanswered = 0;
        // Every tab holding the session answered: none holds a newer pair than what this tab now holds.
        self.unsure &= !complete;
    }

    /// `t` becomes current: if it came from another tab, it is written to this tab's storage first, before
    /// anything its adoption leads to (oss-sim seed 2471: a call sent with it while storage held the old pair).
    pub(super) fn store_taken(&mut self, t: &TokenSet) {
        if self.taken.as_ref() == Some(&t.access_token) {
            self.taken = None;
            let op = self.new_op(Op::Ignore);
            self.push(Command::Save { op, tokens: t.clone() });
        }
    }

    /// Another tab asks: a tab that says it holds the session answers (with nothing once its logout has the
    /// lock). Until then it is one of the group: a tab that got the lock first may refresh, and needs the newest
    /// pair for that, which this tab may alone hold (oss-sim seed 1163940: it left the group as its logout asked
    /// for the lock, and the tab granted the lock before it spent the refresh token this one had spent).
    pub(super) fn tabs_asked(&mut self, id: String) {
        if !self.present {
            return;
        }
        let tokens = if self.logout.as_ref().is_none_or(|l| l.before_lock()) { self.tokens.clone() } else { None };
        self.push(Command::AnswerTab { id, tokens });
    }

    /// Another tab's notice. Where tabs join, a session that another tab ended is also removed from this tab's
    /// own storage (on shared storage the sender cleared it for all).
    pub(super) fn heard(&mut self, n: Notice) {
        let had = self.tokens.is_some();
        // Another tab made a new pair (or login): until an answer of every tab holding the session comes, it
        // may be newer than this tab's.
        self.unsure |= self.group && matches!(n, Notice::Refresh | Notice::Login);
        if let (true, Notice::Expired(Some(login))) = (self.group, n) {
            // Other tabs may still hold a pair of it (they have not heard yet) and answer with it: never taken
            // (oss-sim seed 4576: a tab took the ended login from a tab that had not heard, and spent its token).
            self.bury_named(login);
        }
        self.broadcast_received(n);
        if self.group && had && self.tokens.is_none() && matches!(n, Notice::Expired(_)) {
            let op = self.new_op(Op::Ignore);
            self.push(Command::Clear { op });
        }
    }

    /// The lock after this tab ended the session (a logout): tabs that join keep it a moment
    /// ([`super::TABS_HANDOVER_MS`]), so the next holder has heard the end when it asks (the tab that ended it
    /// no longer answers, and the next holder would spend the refresh token of the ended login: oss-sim seed
    /// 1007972). Shared storage needs none: the next holder reads the cleared storage.
    pub(super) fn unlock_after_end(&mut self) {
        if self.group {
            self.push(Command::UnlockAfter { ms: super::TABS_HANDOVER_MS });
        } else {
            self.push(Command::Unlock);
        }
    }

    /// The presence mark follows whether this tab holds the session (after every input).
    pub(super) fn sync_presence(&mut self) {
        let in_group = self.logout.as_ref().is_none_or(|l| l.before_lock());
        let want = self.group && matches!(self.restore, super::Restore::Done) && self.tokens.is_some() && in_group;
        if want != self.present {
            self.present = want;
            self.push(Command::Present(want));
        }
    }
}

/// `a` is a later pair than `b`: a later login, or a later pair of the same login.
fn newer(a: &TokenSet, b: &TokenSet) -> bool {
    a.lineage.since_ms > b.lineage.since_ms || (a.lineage.since_ms == b.lineage.since_ms && a.lineage.seq > b.lineage.seq)
}
