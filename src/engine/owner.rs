//! The user never changes underfoot. A pair whose owner (`owner_id`) differs from the current pair's is another
//! user's login, whatever brought it: a silent renewal answered from a server-side login that now belongs to
//! someone else, another tab's login in shared storage, a persistence `load()`. The session ends (`expired`
//! with `owner_changed`; its pending calls reject, a request sent as the old user is never resent as the new
//! one) and the new pair is announced as `login`, never as `refresh`.
//!
//! An owner one side does not know (a server that sends no `owner_id`, a pair stored without one) is unknown,
//! not a change: only two known, different owners count.

use super::{Engine, SessionEvent, Timer};
use crate::protocol::{Error, ErrorCode, TokenSet};

pub(super) fn owner_changed() -> Error {
    Error::with(ErrorCode::OwnerChanged, "the new tokens belong to another user: that is another login")
}

impl Engine {
    /// Whether `t` belongs to another user than the current pair (both owners known, and different).
    pub(super) fn other_owner(&self, t: &TokenSet) -> bool {
        self.owner_differs(t.owner_id.as_ref())
    }

    /// Whether the current pair belongs to another user than `owner` (both known, and different).
    pub(super) fn owner_differs(&self, owner: Option<&String>) -> bool {
        match (self.tokens.as_ref().and_then(|c| c.owner_id.as_ref()), owner) {
            (Some(a), Some(b)) => a != b,
            _ => false,
        }
    }

    /// The current session ends because another user's pair replaces it (the caller adopts that pair next, as
    /// a `login`). Nothing is cleared: storage already holds, or is about to hold, the new pair.
    pub(super) fn end_for_owner(&mut self) {
        let Some(old) = self.tokens.take() else { return };
        self.bury(&old);
        self.generation = self.generation.wrapping_add(1);
        self.set_timer(Timer::Check, None);
        self.drop_cached_key();
        self.emit(SessionEvent::Expired(Some(owner_changed())));
        self.emit(SessionEvent::Change(None));
    }
}
