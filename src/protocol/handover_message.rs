//! Logins that finish in another window: a popup (`loginPopup()`) or a hidden iframe (silent renewal). The
//! callback page in that window does not exchange the code itself; it hands the callback URL to the window that
//! started the login, which holds the transaction and checks it exactly as for a redirect (`decide_callback`).
//!
//! The `state` says which it is: a popup's starts with [`POPUP`], a silent frame's with [`FRAME`]. Neither
//! prefix can begin a plain state (base64url has no `.`), and the prefix is only a routing hint: the opener still
//! compares the whole state, in constant time, with the transaction it stored.

use serde::{Deserialize, Serialize};

use super::serde_fields::{Fields, Sink};

pub const POPUP: &str = "p.";
pub const FRAME: &str = "f.";
/// The tag of our messages (`{ oss: TAG, url }`), so other messages on the window are not mistaken for ours.
pub const TAG: &str = "oauth-spa-session:callback";

/// The hand-over message, `{ oss: TAG, url }`: what the callback page posts (to its opener or parent, or on the
/// transaction's BroadcastChannel) and what the waiting window reads back, both field by field.
#[derive(Serialize, Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub struct Message {
    oss: String,
    url: String,
}

impl Message {
    /// Our message handing over the callback URL `url`.
    pub fn new(url: String) -> Message {
        Message { oss: TAG.into(), url }
    }

    /// Written field by field ([`Sink`]) as its `Serialize` writes it: no serializer in the wasm (host tests
    /// compare the two).
    pub fn write(&self, o: &mut impl Sink) {
        o.text("oss", &self.oss);
        o.text("url", &self.url);
    }

    /// The message read field by field ([`Fields`]), as the stored forms are (no derived visitor in the wasm):
    /// `None` when a field is missing or not a string. Host tests read every case both ways.
    pub fn read(o: &impl Fields) -> Option<Message> {
        Some(Message { oss: o.field("oss").ok()?, url: o.field("url").ok()? })
    }

    /// The callback URL, when the message carries our tag (the one check of it, for every channel it came by);
    /// `None` for another library's message that happens to have the same shape.
    pub fn into_url(self) -> Option<String> {
        (self.oss == TAG).then_some(self.url)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A full-page redirect: this page holds the transaction.
    Redirect,
    Popup,
    Frame,
}

/// Which kind of login a callback's `state` belongs to.
pub fn kind_of(state: Option<&str>) -> Kind {
    match state {
        Some(s) if s.starts_with(POPUP) => Kind::Popup,
        Some(s) if s.starts_with(FRAME) => Kind::Frame,
        _ => Kind::Redirect,
    }
}

/// The state for a new login of `kind` from fresh random `base` (base64url).
pub fn state_for(kind: Kind, base: String) -> String {
    let prefix = match kind {
        Kind::Redirect => return base,
        Kind::Popup => POPUP,
        Kind::Frame => FRAME,
    };
    let mut s = String::from(prefix);
    s.push_str(&base);
    s
}

/// Whether a `message` event may be a hand-over for us: sent by a page of our own origin (the callback page is the
/// app's `redirectUri`), from the very window we opened. Anything else is ignored; what it carries is
/// [`Message::into_url`]'s to judge.
pub fn accepts(event_origin: &str, own_origin: &str, from_our_window: bool) -> bool {
    from_our_window && event_origin == own_origin && own_origin != "null"
}

/// The BroadcastChannel that carries a popup's hand-over when `window.opener` is gone (a
/// Cross-Origin-Opener-Policy page on the way severed it): one per transaction, named by its state.
pub fn channel_name(state: &str) -> String {
    let mut s = String::from("oauth-spa-session.handover.");
    s.push_str(state);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_field_by_field_as_the_derive_writes() {
        let m = Message::new("https://app.example/cb?code=c&state=p.s".into());
        let mut o = serde_json::Map::new();
        m.write(&mut o);
        assert_eq!(serde_json::Value::Object(o), serde_json::to_value(&m).unwrap());
    }

    #[test]
    fn the_state_prefix_routes_the_callback() {
        assert_eq!(kind_of(Some("p.abc")), Kind::Popup);
        assert_eq!(kind_of(Some("f.abc")), Kind::Frame);
        assert_eq!(kind_of(Some("abc-_p.")), Kind::Redirect);
        assert_eq!(kind_of(None), Kind::Redirect);
        assert_eq!(state_for(Kind::Popup, "xyz".into()), "p.xyz");
        assert_eq!(state_for(Kind::Frame, "xyz".into()), "f.xyz");
        assert_eq!(state_for(Kind::Redirect, "xyz".into()), "xyz");
    }

    #[test]
    fn only_our_window_of_our_origin_is_heard() {
        let o = "http://localhost:8080";
        assert!(accepts(o, o, true));
        assert!(!accepts("http://127.0.0.1:8080", o, true), "another origin");
        assert!(!accepts(o, o, false), "another window of our origin");
        assert!(!accepts("null", "null", true), "opaque origins never match");
    }

    #[test]
    fn the_message_is_ours_only_with_our_tag_and_a_url() {
        // Both ways: the derived `Deserialize`, and field by field from the parsed value as the wasm reads it.
        let read = |json: &str| {
            let derived = serde_json::from_str::<Message>(json).ok().and_then(Message::into_url);
            let value: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(Message::read(&value).and_then(Message::into_url), derived, "{}", json);
            derived
        };
        let sent = serde_json::to_value(Message::new("http://a/cb?code=1".into())).unwrap();
        assert_eq!(sent, serde_json::json!({ "oss": TAG, "url": "http://a/cb?code=1" }));
        assert_eq!(read(&sent.to_string()).as_deref(), Some("http://a/cb?code=1"));
        assert_eq!(read(r#"{"oss":"oauth-spa-session:callback","url":"u","extra":1}"#).as_deref(), Some("u"));
        assert_eq!(read(r#"{"oss":"other","url":"u"}"#), None, "another library's message");
        assert_eq!(read(r#"{"oss":"oauth-spa-session:callback"}"#), None, "no url");
        assert_eq!(read(r#"{"oss":"oauth-spa-session:callback","url":7}"#), None, "not a string");
        assert_eq!(read(r#"{"url":"u"}"#), None, "no tag");
        assert_eq!(read(r#""oauth-spa-session:callback""#), None, "not an object");
    }
}
