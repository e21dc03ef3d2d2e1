//! Token responses → [`TokenSet`], and the stored form of a [`TokenSet`].

#[allow(unused_imports)]
use crate::core::prelude::*;

use super::error::{corrupt, Error};
use super::json::{parse_number, push_num, Json};
use super::secret::Secret;
use super::server_error::invalid_response;

/// Upper bound for `expires_in` / `refresh_token_expires_in`: 10 years. Anything larger is not a
/// real lifetime (or is a unit mistake) and would make expiry math meaningless.
const MAX_LIFETIME_S: f64 = 10.0 * 365.0 * 86_400.0;

/// `expires_in` is RECOMMENDED, not REQUIRED, in RFC 6749 §5.1. When a server omits it we assume
/// 3600 s, RingCentral's (and most servers') default access-token lifetime. If the real lifetime is
/// shorter, the API answers 401 and the fetch path refreshes and retries once, so the guess is
/// safe; refusing the login instead would make such servers unusable.
const DEFAULT_EXPIRES_IN_S: f64 = 3600.0;

/// `Debug` is safe: the tokens are `Secret`s and print `[redacted]`.
#[derive(Clone, PartialEq, Debug)]
pub struct TokenSet {
    pub access_token: Secret,
    /// Always `"bearer"` (lower case, as RingCentral sends it).
    pub token_type: String,
    pub issued_at_ms: f64,
    pub expires_at_ms: f64,
    pub refresh_token: Option<Secret>,
    /// `None` when the server did not say (then the refresh token is assumed valid until it fails).
    pub refresh_expires_at_ms: Option<f64>,
    pub scope: Option<String>,
    pub owner_id: Option<String>,
    pub endpoint_id: Option<String>,
    pub session_id: Option<String>,
}

/// What the app may see: no token strings.
#[derive(Clone, PartialEq, Debug)]
pub struct TokenInfo {
    pub expires_at_ms: f64,
    pub refresh_expires_at_ms: Option<f64>,
    pub scope: Option<String>,
    pub owner_id: Option<String>,
    pub has_refresh_token: bool,
}

/// A lifetime in seconds → milliseconds. Accepts a number or a numeric string (implicit-grant
/// fragments carry strings); must be finite, > 0 and ≤ 10 years. Fractions are rounded to the ms.
fn lifetime_ms(body: &Json, key: &str) -> Result<Option<f64>, Error> {
    let secs = match body.get_present(key) {
        None => return Ok(None),
        Some(Json::Num(n)) => *n,
        Some(Json::Str(s)) => parse_number(s).ok_or_else(|| invalid_response(key))?,
        Some(_) => return Err(invalid_response(key)),
    };
    if secs.is_finite() && secs > 0.0 && secs <= MAX_LIFETIME_S {
        Ok(Some(super::num::floor(secs * 1000.0 + 0.5)))
    } else {
        Err(invalid_response(key))
    }
}

fn opt_string(body: &Json, key: &str, numbers_ok: bool) -> Result<Option<String>, Error> {
    match body.get_present(key) {
        None => Ok(None),
        Some(Json::Str(s)) => Ok(Some(s.clone()).filter(|s| !s.is_empty())),
        Some(Json::Num(n)) if numbers_ok && n.is_finite() => {
            let mut s = String::new();
            push_num(&mut s, *n);
            Ok(Some(s))
        }
        Some(_) => Err(invalid_response(key)),
    }
}

/// Validates a token-endpoint success body (RFC 6749 §5.1 / RingCentral `TokenInfo`).
///
/// `now_ms` should be the time the request was *sent*, so network latency shortens rather than
/// lengthens the computed lifetime. `previous` is the current set when this is a refresh response:
/// a response without `refresh_token` keeps the previous refresh token and its expiry (RFC 6749
/// §6 allows the server not to rotate). Pass `None` for a fresh login.
///
/// Errors: `invalid_response`, description naming the field, never a token value.
pub fn parse_token_response(
    body: &Json,
    now_ms: f64,
    previous: Option<&TokenSet>,
) -> Result<TokenSet, Error> {
    if !matches!(body, Json::Obj(_)) {
        return Err(invalid_response("body"));
    }
    let access_token = match body.get("access_token") {
        Some(Json::Str(s)) if !s.is_empty() => Secret::new(s.as_str()),
        _ => return Err(invalid_response("access_token")),
    };
    match body.get_present("token_type") {
        None => {}
        Some(Json::Str(t)) if t.eq_ignore_ascii_case("bearer") => {}
        Some(_) => return Err(invalid_response("token_type")),
    }
    let expires_ms = lifetime_ms(body, "expires_in")?.unwrap_or(DEFAULT_EXPIRES_IN_S * 1000.0);
    let new_refresh = match body.get_present("refresh_token") {
        None => None,
        Some(Json::Str(s)) if s.is_empty() => None,
        Some(Json::Str(s)) => Some(Secret::new(s.as_str())),
        Some(_) => return Err(invalid_response("refresh_token")),
    };
    let refresh_ms = lifetime_ms(body, "refresh_token_expires_in")?;
    let (refresh_token, refresh_expires_at_ms) = match new_refresh {
        Some(rt) => (Some(rt), refresh_ms.map(|ms| now_ms + ms)),
        None => match previous {
            Some(p) => (p.refresh_token.clone(), p.refresh_expires_at_ms),
            None => (None, None),
        },
    };
    Ok(TokenSet {
        access_token,
        token_type: "bearer".to_string(),
        issued_at_ms: now_ms,
        expires_at_ms: now_ms + expires_ms,
        refresh_token,
        refresh_expires_at_ms,
        scope: opt_string(body, "scope", false)?,
        owner_id: opt_string(body, "owner_id", true)?,
        endpoint_id: opt_string(body, "endpoint_id", true)?,
        session_id: opt_string(body, "session_id", true)?,
    })
}

/// Implicit grant: the fragment parameters (all strings). Any refresh token is ignored.
/// Duplicate keys: the first occurrence counts.
pub fn from_implicit(params: &[(String, String)], now_ms: f64) -> Result<TokenSet, Error> {
    let mut m: Vec<(String, Json)> = Vec::with_capacity(params.len());
    for (k, v) in params {
        if k != "refresh_token"
            && k != "refresh_token_expires_in"
            && !m.iter().any(|(mk, _)| mk == k)
        {
            m.push((k.clone(), Json::Str(v.clone())));
        }
    }
    parse_token_response(&Json::Obj(m), now_ms, None)
}

fn opt_str_json(m: &mut Vec<(String, Json)>, key: &str, v: &Option<String>) {
    if let Some(s) = v {
        m.push((key.to_string(), Json::Str(s.clone())));
    }
}

impl TokenSet {
    /// The stored form: `{"v":1,"access_token",…,"issued_at_ms","expires_at_ms",…}` with absolute
    /// millisecond expiries; absent optionals are omitted.
    pub fn to_stored(&self) -> Json {
        let mut m = vec![
            ("v".to_string(), Json::Num(1.0)),
            (
                "access_token".to_string(),
                Json::Str(self.access_token.expose().to_string()),
            ),
            ("token_type".to_string(), Json::Str(self.token_type.clone())),
            ("issued_at_ms".to_string(), Json::Num(self.issued_at_ms)),
            ("expires_at_ms".to_string(), Json::Num(self.expires_at_ms)),
        ];
        if let Some(rt) = &self.refresh_token {
            m.push((
                "refresh_token".to_string(),
                Json::Str(rt.expose().to_string()),
            ));
        }
        if let Some(t) = self.refresh_expires_at_ms {
            m.push(("refresh_expires_at_ms".to_string(), Json::Num(t)));
        }
        opt_str_json(&mut m, "scope", &self.scope);
        opt_str_json(&mut m, "owner_id", &self.owner_id);
        opt_str_json(&mut m, "endpoint_id", &self.endpoint_id);
        opt_str_json(&mut m, "session_id", &self.session_id);
        Json::Obj(m)
    }

    /// Strict inverse of [`TokenSet::to_stored`]: wrong version, missing or mistyped fields →
    /// `corrupt_storage`.
    pub fn from_stored(j: &Json) -> Result<TokenSet, Error> {
        let bad = || corrupt("stored tokens are malformed");
        if j.get("v").and_then(Json::as_f64) != Some(1.0) {
            return Err(bad());
        }
        let s = |key: &str| -> Result<Option<String>, Error> {
            match j.get_present(key) {
                None => Ok(None),
                Some(Json::Str(v)) if !v.is_empty() => Ok(Some(v.clone())),
                Some(_) => Err(bad()),
            }
        };
        let t = |key: &str| -> Result<Option<f64>, Error> {
            match j.get_present(key) {
                None => Ok(None),
                Some(Json::Num(v)) if v.is_finite() => Ok(Some(*v)),
                Some(_) => Err(bad()),
            }
        };
        let access_token = s("access_token")?.ok_or_else(bad)?;
        if s("token_type")?.as_deref() != Some("bearer") {
            return Err(bad());
        }
        Ok(TokenSet {
            access_token: Secret::new(access_token),
            token_type: "bearer".to_string(),
            issued_at_ms: t("issued_at_ms")?.ok_or_else(bad)?,
            expires_at_ms: t("expires_at_ms")?.ok_or_else(bad)?,
            refresh_token: s("refresh_token")?.map(Secret::new),
            refresh_expires_at_ms: t("refresh_expires_at_ms")?,
            scope: s("scope")?,
            owner_id: s("owner_id")?,
            endpoint_id: s("endpoint_id")?,
            session_id: s("session_id")?,
        })
    }

    pub fn info(&self) -> TokenInfo {
        TokenInfo {
            expires_at_ms: self.expires_at_ms,
            refresh_expires_at_ms: self.refresh_expires_at_ms,
            scope: self.scope.clone(),
            owner_id: self.owner_id.clone(),
            has_refresh_token: self.refresh_token.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;

    const NOW: f64 = 1_700_000_000_000.0;
    const AT: &str = "U1BCMDFUMDRKV1MwMXxzLFSvXdw5PHMsVLEn_MrtcyxUsw";
    const RT: &str = "U1BCMDFUMDRKV1MwMXxzLFL4ec6A0XMsUv9wLriecyxS_w";

    fn j(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }

    fn parse(text: &str) -> Result<TokenSet, Error> {
        parse_token_response(&j(text), NOW, None)
    }

    fn field_err(text: &str, field: &str) {
        let e = parse(text).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidResponse, "{}", text);
        let d = e.description.unwrap();
        assert!(d.contains(field), "{} → {}", text, d);
        assert!(
            !d.contains(AT) && !d.contains(RT) && !d.contains("SECRET"),
            "{}",
            d
        );
    }

    #[test]
    fn ringcentral_token_info_body() {
        let t = parse(
            r#"{ "access_token":"U1BCMDFUMDRKV1MwMXxzLFSvXdw5PHMsVLEn_MrtcyxUsw", "token_type":"bearer", "expires_in":3599,
  "refresh_token":"U1BCMDFUMDRKV1MwMXxzLFL4ec6A0XMsUv9wLriecyxS_w", "refresh_token_expires_in":604799,
  "scope":"AccountInfo CallLog ExtensionInfo Messages SMS", "owner_id":"256440016",
  "endpoint_id":"8zXq6oaLT7WvwWITlGiA1A", "session_id":"4503" }"#,
        )
        .unwrap();
        assert_eq!(t.access_token.expose(), AT);
        assert_eq!(t.token_type, "bearer");
        assert_eq!(t.issued_at_ms, NOW);
        assert_eq!(t.expires_at_ms, NOW + 3_599_000.0);
        assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some(RT));
        assert_eq!(t.refresh_expires_at_ms, Some(NOW + 604_799_000.0));
        assert_eq!(
            t.scope.as_deref(),
            Some("AccountInfo CallLog ExtensionInfo Messages SMS")
        );
        assert_eq!(t.owner_id.as_deref(), Some("256440016"));
        assert_eq!(t.endpoint_id.as_deref(), Some("8zXq6oaLT7WvwWITlGiA1A"));
        assert_eq!(t.session_id.as_deref(), Some("4503"));
        // Observed real values 2717/603917 and a response without session_id / refresh token.
        let t = parse(r#"{"access_token":"a","token_type":"bearer","expires_in":2717,"scope":"ReadAccounts","owner_id":"1"}"#).unwrap();
        assert_eq!(t.expires_at_ms - t.issued_at_ms, 2_717_000.0);
        assert!(
            t.refresh_token.is_none()
                && t.refresh_expires_at_ms.is_none()
                && t.session_id.is_none()
        );
    }

    #[test]
    fn lenient_where_servers_differ() {
        // expires_in as a numeric string, token_type in any case, owner_id as a number
        let t = parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":"3600","owner_id":256440016,"endpoint_id":null}"#).unwrap();
        assert_eq!(t.expires_at_ms, NOW + 3_600_000.0);
        assert_eq!(t.token_type, "bearer");
        assert_eq!(t.owner_id.as_deref(), Some("256440016"));
        assert_eq!(t.endpoint_id, None);
        // missing token_type → bearer; missing expires_in → 3600 s
        let t = parse(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(t.token_type, "bearer");
        assert_eq!(t.expires_at_ms, NOW + 3_600_000.0);
        // integer-ish values
        let t = parse(r#"{"access_token":"a","expires_in":3599.0004}"#).unwrap();
        assert_eq!(t.expires_at_ms, NOW + 3_599_000.0);
    }

    #[test]
    fn bad_bodies_name_the_field() {
        field_err("[]", "body");
        field_err(r#""x""#, "body");
        field_err(r#"{}"#, "access_token");
        field_err(r#"{"access_token":""}"#, "access_token");
        field_err(r#"{"access_token":null}"#, "access_token");
        field_err(r#"{"access_token":42}"#, "access_token");
        field_err(
            r#"{"access_token":"SECRET","token_type":"mac"}"#,
            "token_type",
        );
        field_err(r#"{"access_token":"SECRET","token_type":5}"#, "token_type");
        for bad in [
            "-1",
            "0",
            "-0.0",
            "1e300",
            "315360001",
            "\"abc\"",
            "\"\"",
            "\"-5\"",
            "\"NaN\"",
            "true",
            "[]",
            "{}",
        ] {
            field_err(
                &format!(r#"{{"access_token":"SECRET","expires_in":{}}}"#, bad),
                "expires_in",
            );
        }
        field_err(
            r#"{"access_token":"SECRET","refresh_token":7}"#,
            "refresh_token",
        );
        field_err(
            r#"{"access_token":"SECRET","refresh_token":"SECRET","refresh_token_expires_in":-5}"#,
            "refresh_token_expires_in",
        );
        field_err(r#"{"access_token":"SECRET","scope":["a"]}"#, "scope");
        field_err(
            r#"{"access_token":"SECRET","owner_id":{"id":1}}"#,
            "owner_id",
        );
        field_err(
            r#"{"access_token":"SECRET","session_id":true}"#,
            "session_id",
        );
    }

    #[test]
    fn non_finite_expires_in_rejected() {
        for n in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let body = Json::Obj(vec![
                ("access_token".into(), Json::Str("a".into())),
                ("expires_in".into(), Json::Num(n)),
            ]);
            let e = parse_token_response(&body, NOW, None).unwrap_err();
            assert_eq!(
                e.description.as_deref(),
                Some("expires_in: missing or invalid in the server response")
            );
        }
    }

    #[test]
    fn refresh_without_refresh_token_keeps_the_old_one() {
        let first = parse(&format!(
            r#"{{"access_token":"{}","expires_in":3599,"refresh_token":"{}","refresh_token_expires_in":604799}}"#,
            AT, RT
        ))
        .unwrap();
        let later = NOW + 3_000_000.0;
        let second = parse_token_response(
            &j(r#"{"access_token":"new","expires_in":3599}"#),
            later,
            Some(&first),
        )
        .unwrap();
        assert_eq!(second.access_token.expose(), "new");
        assert_eq!(second.refresh_token, first.refresh_token);
        assert_eq!(second.refresh_expires_at_ms, first.refresh_expires_at_ms);
        assert_eq!(second.expires_at_ms, later + 3_599_000.0);
        // A rotated refresh token replaces the old one and its expiry.
        let third = parse_token_response(
            &j(r#"{"access_token":"n2","expires_in":3599,"refresh_token":"r2","refresh_token_expires_in":604799}"#),
            later,
            Some(&first),
        )
        .unwrap();
        assert_eq!(third.refresh_token.as_ref().map(Secret::expose), Some("r2"));
        assert_eq!(third.refresh_expires_at_ms, Some(later + 604_799_000.0));
        // A new refresh token without a stated lifetime: expiry unknown.
        let fourth = parse_token_response(
            &j(r#"{"access_token":"n3","refresh_token":"r3"}"#),
            later,
            Some(&first),
        )
        .unwrap();
        assert_eq!(fourth.refresh_expires_at_ms, None);
    }

    #[test]
    fn implicit_fragment_values() {
        let p: Vec<(String, String)> = [
            ("access_token", "tok"),
            ("token_type", "bearer"),
            ("expires_in", "3600"),
            ("endpoint_id", "e1"),
            ("scope", "Contacts ReadCallLog"),
            ("refresh_token", "should-be-ignored"),
            ("state", "s"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let t = from_implicit(&p, NOW).unwrap();
        assert_eq!(t.access_token.expose(), "tok");
        assert_eq!(t.expires_at_ms, NOW + 3_600_000.0);
        assert!(t.refresh_token.is_none());
        assert_eq!(t.scope.as_deref(), Some("Contacts ReadCallLog"));
        let bad: Vec<(String, String)> = vec![
            ("access_token".into(), "t".into()),
            ("expires_in".into(), "soon".into()),
        ];
        assert_eq!(
            from_implicit(&bad, NOW).unwrap_err().code,
            ErrorCode::InvalidResponse
        );
        assert!(from_implicit(&[], NOW).is_err());
    }

    #[test]
    fn stored_round_trip_and_strictness() {
        let t = parse(&format!(
            r#"{{"access_token":"{}","expires_in":3599,"refresh_token":"{}","refresh_token_expires_in":604799,"scope":"A B","owner_id":"9","session_id":"s"}}"#,
            AT, RT
        ))
        .unwrap();
        let text = t.to_stored().to_json_string();
        assert!(text.starts_with(r#"{"v":1,"access_token":""#));
        assert!(text.contains(r#""expires_at_ms":1700003599000"#));
        assert!(!text.contains("endpoint_id"));
        assert_eq!(
            TokenSet::from_stored(&Json::parse(&text).unwrap()).unwrap(),
            t
        );
        let minimal = parse(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(
            TokenSet::from_stored(&minimal.to_stored()).unwrap(),
            minimal
        );

        for bad in [
            text.replace(r#""v":1"#, r#""v":2"#),
            text.replace(r#""v":1,"#, ""),
            text.replace(r#""token_type":"bearer""#, r#""token_type":"mac""#),
            text.replace("1700003599000", "\"1700003599000\""),
            text.replace(r#""scope":"A B""#, r#""scope":5"#),
            text.replace(AT, ""),
            "null".to_string(),
            "{}".to_string(),
        ] {
            let e = TokenSet::from_stored(&Json::parse(&bad).unwrap()).unwrap_err();
            assert_eq!(e.code, ErrorCode::CorruptStorage, "{}", bad);
        }
    }

    #[test]
    fn info_has_no_token_strings() {
        let t = parse(&format!(
            r#"{{"access_token":"{}","refresh_token":"{}","scope":"S","owner_id":"1"}}"#,
            AT, RT
        ))
        .unwrap();
        let i = t.info();
        assert!(i.has_refresh_token);
        assert_eq!(i.expires_at_ms, t.expires_at_ms);
        assert_eq!(i.scope.as_deref(), Some("S"));
        let dbg = format!("{:?} {:?}", i, t);
        assert!(!dbg.contains(AT) && !dbg.contains(RT), "{}", dbg);
    }
}
