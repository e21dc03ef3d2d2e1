//! The request log read by `GET /_emulator/log`. One sequence counter is shared by all
//! three lists so a test can compare the order of a refresh, an API call and a revoke.

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct TokenEntry {
    pub seq: u64,
    pub time_ms: i64,
    pub grant_type: Option<String>,
    /// Every form parameter as sent (the last one wins for a duplicated name).
    pub params: BTreeMap<String, String>,
    /// From the Basic header, else from the body.
    pub client_id: Option<String>,
    pub basic_auth: bool,
    pub content_type: Option<String>,
    pub origin: Option<String>,
    pub status: u16,
    pub fault: Option<&'static str>,
    /// `huge_body`: the body bytes handed to the connection before the client stopped reading (or all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_sent: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiEntry {
    pub seq: u64,
    pub time_ms: i64,
    pub method: String,
    pub path: String,
    pub token: Option<String>,
    pub status: u16,
    pub error_code: Option<String>,
    pub origin: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RevocationEntry {
    pub seq: u64,
    pub time_ms: i64,
    pub token: Option<String>,
    pub session_id: Option<String>,
    pub client_id: Option<String>,
    pub status: u16,
}

#[derive(Debug, Default, Serialize)]
pub struct RequestLog {
    #[serde(skip)]
    last_seq: u64,
    pub token_requests: Vec<TokenEntry>,
    pub api_requests: Vec<ApiEntry>,
    pub revocations: Vec<RevocationEntry>,
}

impl RequestLog {
    pub fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }
}

/// Form parameters whose values are secrets (a code, a verifier, a token, a client secret, a password): the
/// log shows them shortened.
const SECRET_PARAMS: &[&str] = &[
    "code",
    "code_verifier",
    "refresh_token",
    "access_token",
    "token",
    "client_secret",
    "password",
    "assertion",
    "client_assertion",
];

/// The first 6 characters and `…`: enough to tell tokens apart in a log, too little to use one.
pub fn short(s: &str) -> String {
    let mut out: String = s.chars().take(6).collect();
    out.push('…');
    out
}

impl RequestLog {
    /// The log as `GET /_emulator/log` shows it: every token, code and verifier shortened ([`short`]), so a
    /// page that can read the control API still cannot read a credential. Tests that compare whole tokens ask
    /// for `?full=1`, which only a non-browser client gets (see `control::log`).
    pub fn shortened(&self) -> RequestLog {
        let opt = |t: &Option<String>| t.as_deref().map(short);
        RequestLog {
            last_seq: self.last_seq,
            token_requests: self
                .token_requests
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    for (k, v) in e.params.iter_mut() {
                        if SECRET_PARAMS.contains(&k.as_str()) {
                            *v = short(v);
                        }
                    }
                    e
                })
                .collect(),
            api_requests: self
                .api_requests
                .iter()
                .map(|e| ApiEntry { token: opt(&e.token), ..e.clone() })
                .collect(),
            revocations: self
                .revocations
                .iter()
                .map(|e| RevocationEntry { token: opt(&e.token), ..e.clone() })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_shortened_other_params_kept() {
        let mut log = RequestLog::default();
        let mut params = BTreeMap::new();
        params.insert("grant_type".to_string(), "authorization_code".to_string());
        params.insert("code".to_string(), "U0pDMDFQMDFQQVMwMHxBQUF".to_string());
        params.insert("code_verifier".to_string(), "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".to_string());
        log.token_requests.push(TokenEntry {
            seq: 1,
            time_ms: 0,
            grant_type: Some("authorization_code".into()),
            params,
            client_id: Some("demo-spa".into()),
            basic_auth: false,
            content_type: None,
            origin: None,
            status: 200,
            fault: None,
            body_sent: None,
        });
        log.api_requests.push(ApiEntry {
            seq: 2,
            time_ms: 0,
            method: "GET".into(),
            path: "/x".into(),
            token: Some("U0pDMDFQMDFQQVMwMHxBQUF-access".into()),
            status: 200,
            error_code: None,
            origin: None,
        });
        let s = log.shortened();
        let p = &s.token_requests[0].params;
        assert_eq!(p["code"], "U0pDMD…");
        assert_eq!(p["code_verifier"], "abcdef…");
        assert_eq!(p["grant_type"], "authorization_code");
        assert_eq!(s.api_requests[0].token.as_deref(), Some("U0pDMD…"));
        // The stored log keeps whole values.
        assert_eq!(log.api_requests[0].token.as_deref(), Some("U0pDMDFQMDFQQVMwMHxBQUF-access"));
    }
}
