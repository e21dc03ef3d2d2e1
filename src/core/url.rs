//! Just enough absolute-URL parsing for origins: which API URLs may receive the bearer token,
//! and normalisation of the configured server.
//!
//! Only `http`/`https` URLs of the form `scheme://host[:port][/…]` are understood. Anything a
//! browser would silently repair (whitespace, tabs, `%`-encoded or non-ASCII hosts, `https:host`)
//! is rejected, which is the safe direction for an allow-list.

#[allow(unused_imports)]
use crate::core::prelude::*;

use super::bytes;
use super::encoding::push_u64;

/// Splits an absolute http(s) URL into its normalised origin and the rest (path, query, fragment).
pub(crate) fn split_absolute(url: &str) -> Option<(String, &str)> {
    let (scheme, after) = bytes::split_once(url, "://")?;
    let https = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return None;
    };
    // Browsers treat `\` like `/` in http(s) URLs.
    let end = bytes::find_any(after, b"/?#\\").unwrap_or(after.len());
    let (auth, rest) = (after.get(..end)?, after.get(end..)?);
    if auth.is_empty() || bytes::find_any(auth, b"@").is_some() {
        return None; // no host, or userinfo (a classic allow-list bypass)
    }
    let (host, port) = if auth.starts_with('[') {
        let close = bytes::find_any(auth, b"]")?;
        let inner = auth.get(1..close)?;
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        let r = auth.get(close + 1..)?;
        (
            auth.get(..=close)?,
            if r.is_empty() {
                None
            } else {
                Some(r.strip_prefix(':')?)
            },
        )
    } else {
        let (h, p) = match bytes::split_once(auth, ":") {
            Some((h, p)) => (h, Some(p)),
            None => (auth, None),
        };
        if h.is_empty()
            || !h
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        {
            return None;
        }
        (h, p)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            if p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n = p.bytes().fold(0u32, |a, b| a * 10 + (b - b'0') as u32);
            if n > 65535 {
                return None;
            }
            Some(n)
        }
    };
    let mut origin = String::with_capacity(host.len() + 14);
    origin.push_str(if https { "https://" } else { "http://" });
    origin.push_str(&host.to_ascii_lowercase());
    match port {
        Some(443) if https => {}
        Some(80) if !https => {}
        Some(p) => {
            origin.push(':');
            push_u64(&mut origin, p as u64);
        }
        None => {}
    }
    Some((origin, rest))
}

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL: lower-case scheme and host,
/// default ports dropped, IPv6 literals kept in brackets. `None` for anything else, including
/// relative URLs and URLs with userinfo.
pub fn origin_of(url: &str) -> Option<String> {
    split_absolute(url).map(|(o, _)| o)
}

/// Whether `url` is absolute and its origin is one of `allowed` (already-normalised origins).
pub fn is_allowed_origin(allowed: &[String], url: &str) -> bool {
    match origin_of(url) {
        Some(o) => allowed.contains(&o),
        None => false,
    }
}

/// `scheme://host[:port][/path]` without trailing slashes; `None` if the URL is not absolute
/// http(s) or has a query or fragment.
pub(crate) fn normalize_base(url: &str) -> Option<String> {
    let (mut out, rest) = split_absolute(url)?;
    if bytes::find_any(rest, b"?#\\").is_some() {
        return None;
    }
    out.push_str(rest.trim_end_matches('/'));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            origin_of("https://Platform.RingCentral.com/restapi/v1.0").as_deref(),
            Some("https://platform.ringcentral.com")
        );
        assert_eq!(
            origin_of("HTTPS://a.example:443/x").as_deref(),
            Some("https://a.example")
        );
        assert_eq!(
            origin_of("http://a.example:80").as_deref(),
            Some("http://a.example")
        );
        assert_eq!(
            origin_of("http://a.example:443/").as_deref(),
            Some("http://a.example:443")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080?x#y").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            origin_of("http://[::1]:3000/p").as_deref(),
            Some("http://[::1]:3000")
        );
        assert_eq!(
            origin_of("https://[2001:DB8::1]/").as_deref(),
            Some("https://[2001:db8::1]")
        );
        assert_eq!(
            origin_of("https://a.example:/").as_deref(),
            Some("https://a.example")
        );
        assert_eq!(
            origin_of("https://a.example\\evil.com").as_deref(),
            Some("https://a.example")
        );
        // Like browsers: `\` ends the host, so this is evil.com's origin (and `@` is in the path).
        assert_eq!(
            origin_of("https://evil.com\\@a.example").as_deref(),
            Some("https://evil.com")
        );
    }

    #[test]
    fn bad_urls_have_no_origin() {
        for bad in [
            "",
            "/restapi/v1.0",
            "//a.example/x",
            "a.example",
            "ftp://a.example",
            "javascript://x",
            "https://",
            "https:///x",
            "https://user:pw@a.example/",
            "https://a.example@evil.com",
            "https://a.example:99999",
            "https://a.example:8o",
            "https://a b.example",
            " https://a.example",
            "https://a.example\t/",
            "https://exämple.com",
            "https://%61.example",
            "https://[::1",
            "https://[]/",
            "https://[::1]x",
            "https:a.example",
        ] {
            assert_eq!(origin_of(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn allow_list_matching() {
        let allowed = vec![
            "https://platform.ringcentral.com".to_string(),
            "http://localhost:3000".to_string(),
        ];
        assert!(is_allowed_origin(
            &allowed,
            "https://platform.ringcentral.com/restapi/v1.0/account/~"
        ));
        assert!(is_allowed_origin(
            &allowed,
            "HTTPS://PLATFORM.ringcentral.com:443/x"
        ));
        assert!(is_allowed_origin(&allowed, "http://localhost:3000/restapi"));
        assert!(!is_allowed_origin(
            &allowed,
            "http://localhost:3001/restapi"
        ));
        assert!(!is_allowed_origin(
            &allowed,
            "http://platform.ringcentral.com/"
        ));
        assert!(!is_allowed_origin(
            &allowed,
            "https://platform.ringcentral.com.evil.com/"
        ));
        assert!(!is_allowed_origin(
            &allowed,
            "https://platform.ringcentral.com@evil.com/"
        ));
        assert!(!is_allowed_origin(&allowed, "/restapi/v1.0/relative"));
    }

    #[test]
    fn base_normalisation() {
        assert_eq!(
            normalize_base("https://Platform.RingCentral.com/").as_deref(),
            Some("https://platform.ringcentral.com")
        );
        assert_eq!(
            normalize_base("http://localhost:3000/rc//").as_deref(),
            Some("http://localhost:3000/rc")
        );
        assert_eq!(normalize_base("https://a.example/x?y=1"), None);
        assert_eq!(normalize_base("https://a.example/#f"), None);
    }
}
