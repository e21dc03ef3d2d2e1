//! The login transaction kept in sessionStorage across the full-page redirect to the
//! authorization server: the `state` we sent, the PKCE verifier, and when it started.

#[allow(unused_imports)]
use crate::core::prelude::*;

use super::config::Flow;
use super::error::{corrupt, Error};
use super::json::Json;
use super::pkce::is_valid_verifier;
use super::secret::Secret;

/// A transaction older than this is not accepted (the user abandoned the login page).
pub const TRANSACTION_MAX_AGE_MS: f64 = 10.0 * 60.0 * 1000.0;
/// Allowed clock skew for a transaction stamped "in the future".
pub const TRANSACTION_MAX_FUTURE_MS: f64 = 60.0 * 1000.0;

#[derive(Clone, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub struct Transaction {
    pub state: String,
    /// PKCE only.
    pub verifier: Option<Secret>,
    pub flow: Flow,
    /// The redirect_uri sent to authorize; the code exchange must repeat it exactly.
    pub redirect_uri: String,
    pub created_at_ms: f64,
}

impl Transaction {
    /// `{"v":1,"state":…,"flow":"pkce"|"implicit","redirect_uri":…,"created_at_ms":…[,"verifier":…]}`
    pub fn to_json(&self) -> Json {
        let mut m = vec![
            ("v".to_string(), Json::Num(1.0)),
            ("state".to_string(), Json::Str(self.state.clone())),
            (
                "flow".to_string(),
                Json::Str(self.flow.as_str().to_string()),
            ),
            (
                "redirect_uri".to_string(),
                Json::Str(self.redirect_uri.clone()),
            ),
            ("created_at_ms".to_string(), Json::Num(self.created_at_ms)),
        ];
        if let Some(v) = &self.verifier {
            m.push(("verifier".to_string(), Json::Str(v.expose().to_string())));
        }
        Json::Obj(m)
    }

    /// Strict: anything unexpected → `corrupt_storage`. A PKCE transaction must carry a valid verifier.
    pub fn from_json(j: &Json) -> Result<Transaction, Error> {
        let bad = || corrupt("login transaction is malformed");
        if j.get("v").and_then(Json::as_f64) != Some(1.0) {
            return Err(bad());
        }
        let state = j
            .get("state")
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(bad)?;
        let flow = j
            .get("flow")
            .and_then(Json::as_str)
            .and_then(Flow::from_name)
            .ok_or_else(bad)?;
        let redirect_uri = j
            .get("redirect_uri")
            .and_then(Json::as_str)
            .ok_or_else(bad)?;
        let created_at_ms = j
            .get("created_at_ms")
            .and_then(Json::as_f64)
            .filter(|t| t.is_finite())
            .ok_or_else(bad)?;
        let verifier = match j.get_present("verifier") {
            None => None,
            Some(Json::Str(v)) if is_valid_verifier(v) => Some(Secret::new(v.as_str())),
            Some(_) => return Err(bad()),
        };
        if flow == Flow::Pkce && verifier.is_none() {
            return Err(bad());
        }
        Ok(Transaction {
            state: state.to_string(),
            verifier,
            flow,
            redirect_uri: redirect_uri.to_string(),
            created_at_ms,
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
    use crate::core::error::ErrorCode;

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
    fn round_trip_through_text() {
        let t = tx();
        let text = t.to_json().to_json_string();
        assert_eq!(
            text,
            r#"{"v":1,"state":"st","flow":"pkce","redirect_uri":"https://app.example/cb","created_at_ms":1700000000000,"verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}"#
        );
        assert_eq!(
            Transaction::from_json(&Json::parse(&text).unwrap()).unwrap(),
            t
        );
        let mut imp = tx();
        imp.flow = Flow::Implicit;
        imp.verifier = None;
        assert_eq!(Transaction::from_json(&imp.to_json()).unwrap(), imp);
    }

    #[test]
    fn malformed_transactions_are_corrupt() {
        let good = tx().to_json().to_json_string();
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
            let j = Json::parse(&v).unwrap();
            assert_eq!(
                Transaction::from_json(&j).unwrap_err().code,
                ErrorCode::CorruptStorage,
                "{}",
                v
            );
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
