//! The login transaction kept in sessionStorage across the full-page redirect to the
//! authorization server: the `state` we sent, the PKCE verifier, and when it started.

use serde::{Deserialize, Serialize};

use super::config::Flow;
use super::error::{corrupt, Error};
use super::pkce::is_valid_verifier;
use super::secret::Secret;
use super::serde_fields::{Fields, Sink};

/// A transaction older than this is not accepted (the user abandoned the login page).
pub const TRANSACTION_MAX_AGE_MS: f64 = 10.0 * 60.0 * 1000.0;
/// Allowed clock skew for a transaction stamped "in the future".
pub const TRANSACTION_MAX_FUTURE_MS: f64 = 60.0 * 1000.0;

#[derive(Clone, PartialEq, Debug)]
pub struct Transaction {
    pub state: String,
    /// PKCE only.
    pub verifier: Option<Secret>,
    pub flow: Flow,
    /// The redirect_uri sent to authorize; the code exchange must repeat it exactly.
    pub redirect_uri: String,
    pub created_at_ms: f64,
}

/// The stored form, versioned:
/// `{"v":1,"state":…,"flow":"pkce"|"implicit","redirect_uri":…,"created_at_ms":…[,"verifier":…]}`.
#[derive(Serialize, Deserialize)]
#[cfg_attr(test, derive(Debug))]
pub struct StoredTransaction {
    pub v: u32,
    pub state: String,
    pub flow: Flow,
    pub redirect_uri: String,
    pub created_at_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier: Option<String>,
}

impl StoredTransaction {
    /// Written field by field ([`Sink`]) as the derived `Serialize` writes it (host tests compare the two).
    pub fn write(&self, o: &mut impl Sink) {
        o.count("v", self.v.into());
        o.text("state", &self.state);
        o.text("flow", self.flow.as_str());
        o.text("redirect_uri", &self.redirect_uri);
        o.number("created_at_ms", self.created_at_ms);
        o.maybe_text("verifier", &self.verifier);
    }

    /// The stored form read field by field ([`Fields`]), as the stored tokens are: in the wasm one small read
    /// per field type, shared with the other bodies, instead of a derived visitor. The same fields and defaults
    /// as the derived `Deserialize` (the tests read every case both ways); `flow` by its stored name.
    pub fn read(o: &impl Fields) -> Result<StoredTransaction, String> {
        Ok(StoredTransaction {
            v: o.field("v")?,
            state: o.field("state")?,
            flow: match o.field::<String>("flow")?.as_str() {
                "pkce" => Flow::Pkce,
                "implicit" => Flow::Implicit,
                _ => return Err(String::new()),
            },
            redirect_uri: o.field("redirect_uri")?,
            created_at_ms: o.field("created_at_ms")?,
            verifier: o.field("verifier")?,
        })
    }
}

impl Transaction {
    pub fn to_stored(&self) -> StoredTransaction {
        StoredTransaction {
            v: 1,
            state: self.state.clone(),
            flow: self.flow,
            redirect_uri: self.redirect_uri.clone(),
            created_at_ms: self.created_at_ms,
            verifier: self.verifier.as_ref().map(|v| v.expose().to_string()),
        }
    }

    /// Strict: anything unexpected → `corrupt_storage` (as is a value that did not deserialize). A PKCE
    /// transaction must carry a valid verifier.
    pub fn from_stored(s: StoredTransaction) -> Result<Transaction, Error> {
        let bad = || corrupt("login transaction is malformed");
        if s.v != 1 || s.state.is_empty() || !s.created_at_ms.is_finite() {
            return Err(bad());
        }
        let verifier = match s.verifier {
            None => None,
            Some(v) if is_valid_verifier(&v) => Some(Secret::new(v)),
            Some(_) => return Err(bad()),
        };
        if s.flow == Flow::Pkce && verifier.is_none() {
            return Err(bad());
        }
        Ok(Transaction {
            state: s.state,
            verifier,
            flow: s.flow,
            redirect_uri: s.redirect_uri,
            created_at_ms: s.created_at_ms,
        })
    }

    /// Older than 10 minutes, more than 1 minute in the future, or a non-finite clock.
    pub fn is_stale(&self, now_ms: f64) -> bool {
        let age = now_ms - self.created_at_ms;
        !(-TRANSACTION_MAX_FUTURE_MS..=TRANSACTION_MAX_AGE_MS).contains(&age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    const V: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn tx() -> Transaction {
        Transaction {
            state: "st".into(),
            verifier: Some(Secret::new(V)),
            flow: Flow::Pkce,
            redirect_uri: "https://app.example/cb".into(),
            created_at_ms: 1_700_000_000_000.0,
        }
    }

    #[test]
    fn written_field_by_field_as_the_derive_writes() {
        let mut t = tx();
        for verifier in [Some(Secret::new(V)), None] {
            t.verifier = verifier;
            for flow in [Flow::Pkce, Flow::Implicit] {
                t.flow = flow;
                let mut m = serde_json::Map::new();
                t.to_stored().write(&mut m);
                assert_eq!(serde_json::Value::Object(m), serde_json::to_value(t.to_stored()).unwrap());
            }
        }
    }

    /// The text read both ways (the derived `Deserialize`, and field by field as the wasm does), which agree.
    fn read(text: &str) -> Result<Transaction, Error> {
        let derived = crate::protocol::serde_fields::tests::from_text::<StoredTransaction>(text)
            .map_err(|_| corrupt("login transaction is malformed"))
            .and_then(Transaction::from_stored);
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        // The wasm reads a parsed object only (an array's fields read as absent).
        let fields = StoredTransaction::read(&value)
            .map_err(|_| corrupt("login transaction is malformed"))
            .and_then(Transaction::from_stored);
        assert_eq!(derived, fields, "{}", text);
        fields
    }

    #[test]
    fn round_trip_through_text() {
        let t = tx();
        let text = serde_json::to_string(&t.to_stored()).unwrap();
        // The same text as the first release's hand-made writer, except that serde_json spells the number
        // 1700000000000.0 where the browser's JSON.stringify writes 1700000000000.
        assert_eq!(
            text.replace(".0,", ","),
            r#"{"v":1,"state":"st","flow":"pkce","redirect_uri":"https://app.example/cb","created_at_ms":1700000000000,"verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}"#
        );
        assert_eq!(read(&text).unwrap(), t);
        assert_eq!(read(&text.replace(".0,", ",")).unwrap(), t);
        let mut imp = tx();
        imp.flow = Flow::Implicit;
        imp.verifier = None;
        assert_eq!(Transaction::from_stored(imp.to_stored()).unwrap(), imp);
    }

    #[test]
    fn malformed_transactions_are_corrupt() {
        let good = serde_json::to_string(&tx().to_stored()).unwrap().replace(".0,", ",");
        let variants = [
            good.replace("\"v\":1", "\"v\":2"),
            good.replace("\"state\":\"st\"", "\"state\":\"\""),
            good.replace("\"flow\":\"pkce\"", "\"flow\":\"plain\""),
            good.replace("1700000000000", "\"1700000000000\""),
            good.replace(V, "short"),
            good.replace(&format!(",\"verifier\":\"{}\"", V), ""), // PKCE without verifier
            "[]".to_string(),
            "{}".to_string(),
        ];
        for v in variants {
            assert_eq!(read(&v).unwrap_err().code, ErrorCode::CorruptStorage, "{}", v);
        }
    }

    #[test]
    fn staleness_window() {
        let t = tx();
        let c = t.created_at_ms;
        assert!(!t.is_stale(c));
        assert!(!t.is_stale(c + 600_000.0));
        assert!(t.is_stale(c + 600_001.0));
        assert!(!t.is_stale(c - 60_000.0));
        assert!(t.is_stale(c - 60_001.0));
        assert!(t.is_stale(f64::NAN));
    }
}
