//! Invariant 2: no bearer token goes outside `apiOrigins`.

use crate::*;

/// The origin of an absolute URL the way the WHATWG parser serialises it (scheme and host lower case,
/// userinfo dropped, default port elided). The oracle for invariant 2, independent of the core's parser.
pub fn oracle_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h).to_ascii_lowercase();
    let hostport = match (scheme.as_str(), hostport.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_string(),
        _ => hostport,
    };
    if hostport.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{hostport}"))
}

impl World {
    /// Invariant 2: every request that carries a bearer token goes to an origin in apiOrigins, judged by an
    /// independent WHATWG-style origin oracle ([`oracle_origin`]) on the URL the app passed (`api`).
    pub(crate) fn inv2_check_api_send(&mut self, tab: usize, call: CallId, with_token: bool, api: bool, url: &str) {
        if with_token && !api {
            self.fail(Inv::Origin, format!("tab{tab} sent its bearer token with call #{call} to {url}"));
        }
    }
}
