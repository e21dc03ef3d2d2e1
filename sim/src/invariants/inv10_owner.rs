//! Invariant 10: a tab's user never changes without a `login` event.

use crate::*;

impl World {
    /// Invariant 10: an API request acts as the token's user at the server: the one the app was told of, and
    /// the one it made the call as.
    pub(crate) fn inv10_check_api_send(&mut self, tab: usize, call: CallId, t: &str) {
        let acts_as = self.session_of(t).and_then(|s| self.st.sessions.get(&s)).map(|s| s.owner_id.clone());
        let made_as = self.tabs[tab].calls.get(&call).and_then(|c| c.owner.clone());
        for (whose, told) in [("the app was told of", self.tabs[tab].app_owner.clone()), ("the app made it as", made_as)] {
            if let (Some(a), Some(b)) = (told, &acts_as) {
                if a != *b {
                    self.fail(Inv::Owner, format!("tab{tab} sent call #{call} as user {b}; {whose} user {a}"));
                }
            }
        }
    }

    /// Invariant 10: what the app learns of the tab's user from its events. A `refresh` is the same user's
    /// session, by definition: one carrying another user's pair is the failure.
    pub(crate) fn owner_told(&mut self, tab: usize, e: &SessionEvent) {
        let t = &mut self.tabs[tab];
        match e {
            SessionEvent::Login(i) => t.app_owner = i.owner_id.clone(),
            SessionEvent::Refresh(i) => match (&t.app_owner, &i.owner_id) {
                (Some(a), Some(b)) if a != b => {
                    let d = format!("tab{tab} emitted refresh with user {b}'s tokens; the app was told of user {a}");
                    self.fail(Inv::Owner, d);
                }
                (None, b) => t.app_owner = b.clone(),
                _ => {}
            },
            SessionEvent::Expired(_) | SessionEvent::Logout | SessionEvent::Change(None) => t.app_owner = None,
            _ => {}
        }
    }

    /// Invariant 10, after every input: the tab holds tokens of the user the app was told of (unknown is unknown).
    pub(crate) fn check_owner(&mut self, tab: usize) {
        let held = self.tabs[tab].engine.token_info().and_then(|i| i.owner_id);
        if let (Some(a), Some(b)) = (&self.tabs[tab].app_owner, &held) {
            if a != b {
                let d = format!("tab{tab} holds user {b}'s tokens without a login event; the app was told of user {a}");
                self.fail(Inv::Owner, d);
            }
        }
    }
}
