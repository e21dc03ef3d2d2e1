//! Injected failures for the token endpoint, queued by `POST /_emulator/faults` and
//! consumed one per `POST /restapi/oauth/token` request.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum FaultKind {
    /// Commit the grant (rotation included), then close the connection without a byte:
    /// the "lost response" a client must recover from by replaying its refresh token.
    #[serde(rename = "drop_after_commit")]
    DropAfterCommit,
    #[serde(rename = "status_503")]
    Status503,
    #[serde(rename = "status_429")]
    Status429,
    #[serde(rename = "status_500_html")]
    Status500Html,
    /// Commit the grant, then answer 200 with a truncated JSON body.
    #[serde(rename = "malformed_json")]
    MalformedJson,
    /// Wait `delay_ms`, then process normally.
    #[serde(rename = "delay")]
    Delay,
    /// Commit the grant, then answer 200 with a JSON token body padded to `size` bytes (default 64 MiB), sent
    /// in 64 KiB chunks as the client reads: a client that stops reading at its cap makes the server stop too
    /// (the log's `body_sent` says how far it got).
    #[serde(rename = "huge_body")]
    HugeBody,
}

impl FaultKind {
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::DropAfterCommit => "drop_after_commit",
            FaultKind::Status503 => "status_503",
            FaultKind::Status429 => "status_429",
            FaultKind::Status500Html => "status_500_html",
            FaultKind::MalformedJson => "malformed_json",
            FaultKind::Delay => "delay",
            FaultKind::HugeBody => "huge_body",
        }
    }

    /// Whether the grant is processed (and committed) despite the fault.
    pub fn processes_grant(self) -> bool {
        matches!(
            self,
            FaultKind::DropAfterCommit
                | FaultKind::MalformedJson
                | FaultKind::Delay
                | FaultKind::HugeBody
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Fault {
    pub kind: FaultKind,
    pub retry_after: u64,
    pub delay_ms: u64,
    /// `huge_body`: the body's length in bytes (0: 64 MiB).
    pub size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub count: usize,
    #[serde(default = "two")]
    pub retry_after: u64,
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub size: u64,
}

fn one() -> usize {
    1
}
fn two() -> u64 {
    2
}

impl FaultRequest {
    pub fn expand(&self) -> impl Iterator<Item = Fault> + '_ {
        (0..self.count).map(|_| Fault {
            kind: self.kind,
            retry_after: self.retry_after,
            delay_ms: self.delay_ms,
            size: self.size,
        })
    }
}
