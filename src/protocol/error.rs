//! The one error type of the library. `code` is the stable, machine-readable classification;
//! `error_code` carries RingCentral's own code (`OAU-210`, `CMN-301`, `TokenInvalid`, …) when known.

/// Stable error classes. [`ErrorCode::as_str`] gives the snake_case string exposed to JS.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ErrorCode {
    LoginRequired,
    StateMismatch,
    AccessDenied,
    InvalidGrant,
    InvalidClient,
    InvalidRequest,
    Network,
    Timeout,
    RateLimited,
    ServerError,
    InvalidResponse,
    StorageUnavailable,
    CorruptStorage,
    InvalidConfig,
    LockTimeout,
    /// RFC 9207: `issuer` is configured and the authorization response's `iss` is missing or different.
    IssuerMismatch,
    /// A new pair (a silent renewal, another tab's, a persistence `load()`) belongs to another user than the
    /// session's: that session ended (`expired`), and the new one is announced as `login`.
    OwnerChanged,
    /// An OAuth `error` string from the server with no variant of its own
    /// (e.g. `interaction_required`, `unauthorized_client`).
    Other(String),
}

impl ErrorCode {
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::StateMismatch => "state_mismatch",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Network => "network",
            ErrorCode::Timeout => "timeout",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ServerError => "server_error",
            ErrorCode::InvalidResponse => "invalid_response",
            ErrorCode::StorageUnavailable => "storage_unavailable",
            ErrorCode::CorruptStorage => "corrupt_storage",
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::LockTimeout => "lock_timeout",
            ErrorCode::IssuerMismatch => "issuer_mismatch",
            ErrorCode::OwnerChanged => "owner_changed",
            ErrorCode::Other(s) => s,
        }
    }

    /// The inverse of [`ErrorCode::as_str`] (the Rust API reads codes back from JS errors).
    pub fn from_name(s: &str) -> ErrorCode {
        const ALL: [ErrorCode; 17] = [
            ErrorCode::LoginRequired,
            ErrorCode::StateMismatch,
            ErrorCode::AccessDenied,
            ErrorCode::InvalidGrant,
            ErrorCode::InvalidClient,
            ErrorCode::InvalidRequest,
            ErrorCode::Network,
            ErrorCode::Timeout,
            ErrorCode::RateLimited,
            ErrorCode::ServerError,
            ErrorCode::InvalidResponse,
            ErrorCode::StorageUnavailable,
            ErrorCode::CorruptStorage,
            ErrorCode::InvalidConfig,
            ErrorCode::LockTimeout,
            ErrorCode::IssuerMismatch,
            ErrorCode::OwnerChanged,
        ];
        ALL.into_iter().find(|c| c.as_str() == s).unwrap_or_else(|| ErrorCode::Other(s.to_string()))
    }

    /// Maps an RFC 6749 / OIDC `error` value. Unknown values (and library-internal names such
    /// as `network`, which a server has no business sending) become `Other`.
    pub fn from_oauth(s: &str) -> ErrorCode {
        match s {
            "access_denied" => ErrorCode::AccessDenied,
            "invalid_grant" => ErrorCode::InvalidGrant,
            "invalid_client" => ErrorCode::InvalidClient,
            "invalid_request" => ErrorCode::InvalidRequest,
            "login_required" => ErrorCode::LoginRequired,
            "server_error" => ErrorCode::ServerError,
            _ => ErrorCode::Other(s.to_string()),
        }
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Error {
    pub code: ErrorCode,
    /// HTTP status, when the error came from an HTTP response.
    pub status: Option<u16>,
    /// RingCentral `OAU-`/`CMN-`/`AGW-` code, or `TokenInvalid`.
    pub error_code: Option<String>,
    /// Human-readable text (server's `error_description`/`message`, or ours). Never contains secrets.
    pub description: Option<String>,
    /// Transient: the same request may succeed later (network, 5xx, 429, 408).
    pub retryable: bool,
    /// Seconds to wait before retrying, from `Retry-After`.
    pub retry_after_s: Option<u32>,
}

impl Error {
    /// A terminal (non-retryable) error with no details.
    pub fn new(code: ErrorCode) -> Error {
        Error {
            code,
            status: None,
            error_code: None,
            description: None,
            retryable: false,
            retry_after_s: None,
        }
    }

    /// `Error::new(code)` with a description.
    pub fn with(code: ErrorCode, description: &str) -> Error {
        Error::new(code).with_description(description)
    }

    pub fn with_status(mut self, status: u16) -> Error {
        self.status = Some(status);
        self
    }

    pub fn with_error_code(mut self, error_code: Option<String>) -> Error {
        self.error_code = error_code;
        self
    }

    pub fn with_description(mut self, description: &str) -> Error {
        self.description = Some(description.to_string());
        self
    }

    pub fn with_retryable(mut self, retryable: bool) -> Error {
        self.retryable = retryable;
        self
    }

    pub fn with_retry_after(mut self, retry_after_s: Option<u32>) -> Error {
        self.retry_after_s = retry_after_s;
        self
    }

    /// Stored data that does not read (a store removes every copy it can reach).
    pub fn is_corrupt_storage(&self) -> bool {
        self.code == ErrorCode::CorruptStorage
    }

    /// Terminal = do not retry the same request (e.g. `invalid_grant`: the session is over).
    pub fn is_terminal(&self) -> bool {
        !self.retryable
    }
}

/// `invalid_config` naming the offending field: `"<field>: <problem>"`.
pub(crate) fn config_error(field: &str, problem: &str) -> Error {
    Error::new(ErrorCode::InvalidConfig).with_description(&join_desc(field, problem))
}

/// `corrupt_storage` with a description.
pub(crate) fn corrupt(what: &str) -> Error {
    Error::with(ErrorCode::CorruptStorage, what)
}

pub(crate) fn join_desc(field: &str, problem: &str) -> String {
    let mut s = String::with_capacity(field.len() + problem.len() + 2);
    s.push_str(field);
    s.push_str(": ");
    s.push_str(problem);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_strings() {
        let all = [
            (ErrorCode::LoginRequired, "login_required"),
            (ErrorCode::StateMismatch, "state_mismatch"),
            (ErrorCode::AccessDenied, "access_denied"),
            (ErrorCode::InvalidGrant, "invalid_grant"),
            (ErrorCode::InvalidClient, "invalid_client"),
            (ErrorCode::InvalidRequest, "invalid_request"),
            (ErrorCode::Network, "network"),
            (ErrorCode::Timeout, "timeout"),
            (ErrorCode::RateLimited, "rate_limited"),
            (ErrorCode::ServerError, "server_error"),
            (ErrorCode::InvalidResponse, "invalid_response"),
            (ErrorCode::StorageUnavailable, "storage_unavailable"),
            (ErrorCode::CorruptStorage, "corrupt_storage"),
            (ErrorCode::InvalidConfig, "invalid_config"),
            (ErrorCode::LockTimeout, "lock_timeout"),
            (ErrorCode::IssuerMismatch, "issuer_mismatch"),
            (ErrorCode::OwnerChanged, "owner_changed"),
            (
                ErrorCode::Other("interaction_required".into()),
                "interaction_required",
            ),
        ];
        for (c, s) in all {
            assert_eq!(c.as_str(), s);
        }
    }

    #[test]
    fn from_name_inverts_as_str() {
        for c in [ErrorCode::LockTimeout, ErrorCode::IssuerMismatch, ErrorCode::Network, ErrorCode::Other("interaction_required".into())] {
            assert_eq!(ErrorCode::from_name(c.as_str()), c);
        }
    }

    #[test]
    fn from_oauth_maps_known_and_keeps_unknown() {
        assert_eq!(
            ErrorCode::from_oauth("invalid_grant"),
            ErrorCode::InvalidGrant
        );
        assert_eq!(
            ErrorCode::from_oauth("access_denied"),
            ErrorCode::AccessDenied
        );
        assert_eq!(
            ErrorCode::from_oauth("login_required"),
            ErrorCode::LoginRequired
        );
        assert_eq!(
            ErrorCode::from_oauth("invalid_client"),
            ErrorCode::InvalidClient
        );
        assert_eq!(
            ErrorCode::from_oauth("invalid_request"),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            ErrorCode::from_oauth("unauthorized_client"),
            ErrorCode::Other("unauthorized_client".into())
        );
        // Library-internal names are not accepted from a server.
        assert_eq!(
            ErrorCode::from_oauth("network"),
            ErrorCode::Other("network".into())
        );
    }

    #[test]
    fn builder_and_terminal() {
        let e = Error::new(ErrorCode::ServerError)
            .with_status(503)
            .with_retryable(true)
            .with_retry_after(Some(5))
            .with_description("down")
            .with_error_code(Some("CMN-301".into()));
        assert!(!e.is_terminal());
        assert_eq!(e.status, Some(503));
        assert_eq!(e.retry_after_s, Some(5));
        assert_eq!(e.description.as_deref(), Some("down"));
        assert_eq!(e.error_code.as_deref(), Some("CMN-301"));
        assert!(Error::new(ErrorCode::InvalidGrant).is_terminal());
        assert_eq!(
            config_error("clientId", "required").description.as_deref(),
            Some("clientId: required")
        );
    }
}
