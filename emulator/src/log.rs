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
