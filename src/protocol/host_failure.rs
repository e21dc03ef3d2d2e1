//! What failed at the host itself (the browser's storage, WebCrypto, a window; or an app's call it could not
//! take), as the host saw it: a fact, with the browser's own words where it said some. This file decides what
//! each one is to the app: its [`Error`] (the code, whether it may pass, the description). Hosts name the
//! failure and never build an `Error`, as they never do for a server's answer (`response/`).

use super::error::{Error, ErrorCode};

/// A `String` here is the browser's message (a JS exception's `message`, never one of our tokens) or the host's
/// own account of what it saw; a `&'static str` names what was wrong.
#[derive(Clone, Debug)]
pub enum HostFailure {
    /// The storage the app chose (sessionStorage, the cookie jar, a persistence adapter) is absent, or refused a
    /// read or a write (disabled, sandboxed, full, a cookie the browser did not keep).
    Storage(Option<String>),
    /// The cookie seal's key could not be had (no IndexedDB or WebCrypto): cookies are not used unsealed.
    SealKey(Option<String>),
    /// Stored data that does not read back (tampered, truncated, another version, planted).
    Corrupt(Option<&'static str>),
    /// The app's persistence adapter lacks `load`, `save` or `clear`.
    AdapterMethod,
    /// `crypto.subtle` could not hash a login's PKCE verifier.
    Hash(Option<String>),
    /// The DPoP key could not be had or used (WebCrypto, IndexedDB).
    DpopKey(Option<String>),
    /// `window.open` gave no window (not called from a user's click).
    PopupNotOpened,
    /// The popup would not show the authorize page.
    PopupRefused(Option<String>),
    /// The page could not host the silent renewal's frame.
    Frame(Option<String>),
    /// A navigation or a `fetch` of the browser's failed before any answer.
    Network(Option<String>),
    /// `session.fetch` was given what makes no request.
    NoRequest,
    /// What the Rust API's `fetch` got back is no `Response`.
    NotAResponse,
    /// `session.on` with a name that is no event.
    UnknownEvent,
}

impl From<HostFailure> for Error {
    fn from(f: HostFailure) -> Error {
        let other = |s: &str| ErrorCode::Other(s.into());
        let (code, description) = match f {
            HostFailure::Storage(m) => (ErrorCode::StorageUnavailable, m),
            HostFailure::SealKey(m) => (
                ErrorCode::StorageUnavailable,
                m.or_else(|| Some("cookie storage needs IndexedDB and WebCrypto for its sealing key".into())),
            ),
            HostFailure::Corrupt(what) => (ErrorCode::CorruptStorage, what.map(Into::into)),
            HostFailure::AdapterMethod => (ErrorCode::InvalidConfig, Some("persistence adapter lacks a method".into())),
            HostFailure::Hash(m) => (other("crypto_unavailable"), m),
            // Local, and may pass (a blocked IndexedDB falls back to a key in memory): retryable, the tokens stay.
            HostFailure::DpopKey(m) => {
                let mut e = Error::new(other("crypto_unavailable")).with_retryable(true);
                e.description = m;
                return e;
            }
            HostFailure::PopupNotOpened => {
                (other("popup_blocked"), Some("the browser blocked the popup: call loginPopup() from a click handler".into()))
            }
            HostFailure::PopupRefused(m) => (other("popup_blocked"), m),
            // A renewal that cannot show its frame fails as one that needs the user.
            HostFailure::Frame(m) => (other("interaction_required"), m),
            HostFailure::Network(m) => (ErrorCode::Network, m),
            HostFailure::NoRequest => (ErrorCode::InvalidRequest, None),
            HostFailure::NotAResponse => (ErrorCode::InvalidResponse, None),
            HostFailure::UnknownEvent => (ErrorCode::InvalidConfig, Some("unknown event name".into())),
        };
        let mut e = Error::new(code);
        e.description = description;
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(f: HostFailure) -> (String, Option<String>, bool) {
        let e = Error::from(f);
        (e.code.as_str().to_string(), e.description, e.retryable)
    }

    #[test]
    fn each_failure_keeps_the_code_text_and_retryability_apps_see() {
        // The JS `SessionError`s of docs/api and the e2e tests: these must not change when a host changes.
        let m = || Some("the browser's words".to_string());
        let s = |x: &str| Some(x.to_string());
        assert_eq!(seen(HostFailure::Storage(m())), ("storage_unavailable".into(), m(), false));
        assert_eq!(seen(HostFailure::Storage(None)), ("storage_unavailable".into(), None, false));
        assert_eq!(seen(HostFailure::SealKey(m())), ("storage_unavailable".into(), m(), false));
        assert_eq!(
            seen(HostFailure::SealKey(None)),
            ("storage_unavailable".into(), s("cookie storage needs IndexedDB and WebCrypto for its sealing key"), false)
        );
        assert_eq!(seen(HostFailure::Corrupt(None)), ("corrupt_storage".into(), None, false));
        assert_eq!(seen(HostFailure::Corrupt(Some("planted"))), ("corrupt_storage".into(), s("planted"), false));
        assert_eq!(seen(HostFailure::AdapterMethod), ("invalid_config".into(), s("persistence adapter lacks a method"), false));
        assert_eq!(seen(HostFailure::Hash(m())), ("crypto_unavailable".into(), m(), false));
        assert_eq!(seen(HostFailure::DpopKey(m())), ("crypto_unavailable".into(), m(), true));
        assert_eq!(
            seen(HostFailure::PopupNotOpened),
            ("popup_blocked".into(), s("the browser blocked the popup: call loginPopup() from a click handler"), false)
        );
        assert_eq!(seen(HostFailure::PopupRefused(m())), ("popup_blocked".into(), m(), false));
        assert_eq!(seen(HostFailure::Frame(None)), ("interaction_required".into(), None, false));
        assert_eq!(seen(HostFailure::Network(m())), ("network".into(), m(), false));
        assert_eq!(seen(HostFailure::NoRequest), ("invalid_request".into(), None, false));
        assert_eq!(seen(HostFailure::NotAResponse), ("invalid_response".into(), None, false));
        assert_eq!(seen(HostFailure::UnknownEvent), ("invalid_config".into(), s("unknown event name"), false));
    }
}
