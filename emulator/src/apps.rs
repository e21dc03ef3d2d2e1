//! The app registry (RingCentral "apps" = OAuth clients) and the emulated users.

use serde::{Deserialize, Serialize};

/// The default user: every login signs in as this one unless the sign-in page or the control API says otherwise.
pub mod user {
    pub const OWNER_ID: &str = "256440016";
    pub const ACCOUNT_ID: &str = "37439510";
    pub const NAME: &str = "Demo User";
    pub const EXTENSION_NUMBER: &str = "101";
}

/// A user who can sign in (an extension; `owner_id` is its id, as in `TokenInfo`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct User {
    pub owner_id: &'static str,
    pub account_id: &'static str,
    pub name: &'static str,
    pub extension_number: &'static str,
}

/// Everyone who can sign in, the default user first. The second is in another account, so a test can show a
/// session moved into someone else's account (login CSRF).
pub const USERS: [User; 2] = [
    User {
        owner_id: user::OWNER_ID,
        account_id: user::ACCOUNT_ID,
        name: user::NAME,
        extension_number: user::EXTENSION_NUMBER,
    },
    User {
        owner_id: "256440029",
        account_id: "37439522",
        name: "Second User",
        extension_number: "102",
    },
];

pub fn find_user(owner_id: &str) -> Option<&'static User> {
    USERS.iter().find(|u| u.owner_id == owner_id)
}

pub const DEFAULT_SCOPE: &str = "ReadAccounts ReadCallLog";

/// `deny_unknown_fields`: a misspelt key (`redirect_uri` for `redirect_uris`) must fail
/// `POST /_emulator/apps` with a 400 naming it, not register an app that cannot log in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub client_id: String,
    /// `None` for apps that have no secret (public clients then cannot use Basic auth).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Confidential apps must authenticate with Basic; public ones send `client_id` in the body.
    #[serde(default)]
    pub confidential: bool,
    /// RingCentral's console switch "Issue refresh tokens" (off by default there too).
    #[serde(default)]
    pub issue_refresh_tokens: bool,
    /// Whether `response_type=token` (legacy implicit grant) is accepted.
    #[serde(default)]
    pub allow_implicit: bool,
    /// Exact strings; no wildcards, no normalisation.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default = "default_scope")]
    pub scope: String,
    #[serde(default)]
    pub name: Option<String>,
}

fn default_scope() -> String {
    DEFAULT_SCOPE.to_string()
}

impl App {
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.client_id)
    }
}

/// Every redirect URI the demo and the browser tests may use, for both loopback spellings
/// (5 paths x 2 hosts). RingCentral's cap of 10 URIs per app is not enforced by the
/// emulator at all, so more can be added to the default apps later.
pub fn default_redirect_uris(port: u16) -> Vec<String> {
    let paths = [
        "/",
        "/callback",
        "/callback.html",
        "/index.html",
        "/test/callback.html",
    ];
    ["127.0.0.1", "localhost"]
        .iter()
        .flat_map(|host| {
            paths
                .iter()
                .map(move |p| format!("http://{host}:{port}{p}"))
        })
        .collect()
}

pub fn default_apps(port: u16) -> Vec<App> {
    let uris = default_redirect_uris(port);
    let app = |id: &str, secret: Option<&str>, confidential, refresh, implicit, name: &str| App {
        client_id: id.to_string(),
        client_secret: secret.map(str::to_string),
        confidential,
        issue_refresh_tokens: refresh,
        allow_implicit: implicit,
        redirect_uris: uris.clone(),
        scope: DEFAULT_SCOPE.to_string(),
        name: Some(name.to_string()),
    };
    vec![
        app("demo-spa", None, false, true, true, "Demo SPA"),
        app(
            "demo-confidential",
            Some("demo-secret"),
            true,
            true,
            false,
            "Demo confidential app",
        ),
        app(
            "no-refresh-spa",
            None,
            false,
            false,
            true,
            "SPA without refresh tokens",
        ),
    ]
}
