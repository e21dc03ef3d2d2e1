//! What each storage operation was for: its answer continues there. A leaf of the engine's files (it names
//! only the vocabulary), so every file that stores or reads imports it and none imports another for it.

use super::io::{CallId, Notice, Proof, SessionEvent, Value};
use crate::protocol::{Error, Secret, TokenSet};

/// What a storage operation was for; its answer continues there.
#[derive(Clone, Debug)]
pub(super) enum Op {
    Restore { ready: CallId },
    /// The flight's re-read under the lock (or its last look after a terminal error).
    Flight,
    /// Another tab announced a change; read in this session generation.
    Sync { generation: u32 },
    /// Logout reads the newest tokens first (under the lock), so it revokes the current ones.
    LogoutRead,
    /// New tokens being stored; then they become current, unless a logout came meanwhile (`logouts`).
    Accept { tokens: TokenSet, event: Accepted, logouts: u32 },
    /// A look for a pair of a logged-out login (`login`, or this access token) that landed in storage after
    /// the logout's clear: it is removed.
    Sweep { token: Secret, login: u64 },
    /// Storage being cleared; then the session's end is announced.
    Forget { event: SessionEvent, notice: Option<Notice>, then: AfterForget },
    /// The silent renewal's re-read under the lock.
    Silent,
    /// The look at storage before the end of a pair (`end_of_pair.rs`): the pair that is over (its access token
    /// and owner), and what said so.
    Ending { token: Secret, owner: Option<String>, by: EndedBy },
    /// Nothing waits (a removal of bad data, a save to memory after a fallback).
    Ignore,
}

/// What said a pair is over, with what each case carries (`end_of_pair.rs`). An ending waits for one thing
/// only, the look at storage before it clears it, so it has one stage, its [`Op::Ending`]; then it adopts the
/// pair found, or ends (an [`Op::Forget`] that no one waits for).
#[derive(Clone, Debug)]
pub(super) enum EndedBy {
    /// The policy's check: expired by the clock with nothing to refresh with. No call waits.
    Clock,
    /// `session.fetch` found it over before sending: the call is decided anew on a pair found, else rejects.
    Fetch(CallId),
    /// A 401 said the token is dead: the call is sent once more on a newer pair, else rejects with the 401's error.
    Rejection(CallId, Error),
}

impl EndedBy {
    pub(super) fn call(&self) -> Option<CallId> {
        match self {
            EndedBy::Clock => None,
            EndedBy::Fetch(call) | EndedBy::Rejection(call, _) => Some(*call),
        }
    }
}

#[derive(Clone, Debug)]
pub(super) enum Accepted {
    /// A login; its call resolves with this value.
    Login(CallId, Value),
    /// The flight's refresh.
    Refresh,
    /// A silent renewal of the current session, or (`SilentLogin`) a silent login from logged out.
    Silent,
    SilentLogin,
}

#[derive(Clone, Debug)]
pub(super) enum AfterForget {
    Nothing,
    /// The flight ends with this error.
    FailFlight(Error),
    /// Tell the server (the form is ready, and the DPoP proof to send with it), then settle the logout call.
    Revoke { call: CallId, form: Option<String>, proof: Option<Proof> },
}
