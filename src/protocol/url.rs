//! Just enough absolute-URL parsing for origins: which API URLs may receive the bearer token,
//! and normalisation of the configured server.
//!
//! Only `http`/`https` URLs of the form `scheme://host[:port][/…]` are understood. Anything a
//! browser would silently repair (whitespace, tabs, `%`-encoded or non-ASCII hosts, `https:host`)
//! is rejected, which is the safe direction for an allow-list.

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

/// Whether a normalised origin may carry tokens: `https`, or `http` to a loopback host (`localhost`, a
/// `*.localhost` name, `127.0.0.0/8` written as four decimal octets, `[::1]`), which never leaves the machine.
/// Anything a browser might also read as loopback (`127.1`, `0x7f.0.0.1`, `[0:0::1]`) is refused: the safe
/// direction.
pub(crate) fn is_secure_origin(origin: &str) -> bool {
    if origin.starts_with("https://") {
        return true;
    }
    let Some(auth) = origin.strip_prefix("http://") else { return false };
    let host = if auth.starts_with('[') {
        match bytes::find_any(auth, b"]").and_then(|close| auth.get(..=close)) {
            Some(host) => host,
            None => return false,
        }
    } else {
        match bytes::split_once(auth, ":") {
            Some((h, _)) => h,
            None => auth,
        }
    };
    if host == "[::1]" || host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let mut parts = 0;
    for (i, octet) in bytes::split(host, ".").enumerate() {
        parts += 1;
        let decimal = !octet.is_empty() && octet.len() <= 3 && octet.bytes().all(|b| b.is_ascii_digit());
        if !decimal || octet.parse::<u16>().map_or(true, |n| n > 255) || (i == 0 && octet != "127") {
            return false;
        }
    }
    parts == 4
}

/// The URL string `session.fetch` hands to `new URL(…, server + "/")` for an app's `input` string: relative URLs
/// resolve under `server`'s path, whether or not they start with `/`. With `server = https://host/rc`,
/// `/restapi/v1.0/x` and `restapi/v1.0/x` both mean `https://host/rc/restapi/v1.0/x` (a bare `new URL` would
/// resolve the first against the host's root). Absolute URLs (any `scheme:`) and network-path references
/// (`//other.host/…`) are returned unchanged, as is any other relative form (`?q`, `./x`, `../x`), which the
/// `server + "/"` base resolves as URLs do.
pub fn resolve_api_url(server: &str, input: &str) -> String {
    // The URL parser ignores leading C0 controls and spaces; so does the decision.
    let t = input.trim_start_matches(|c: char| c <= ' ');
    let b = t.as_bytes();
    let slash = |i: usize| matches!(b.get(i), Some(b'/') | Some(b'\\'));
    if has_scheme(t) || !slash(0) || slash(1) {
        return input.to_string();
    }
    let mut out = String::with_capacity(server.len() + t.len());
    out.push_str(server.trim_end_matches('/'));
    out.push_str(t);
    out
}

/// RFC 3986 `scheme ":"` at the start: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
fn has_scheme(s: &str) -> bool {
    let mut it = s.bytes();
    if !it.next().is_some_and(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    for b in it {
        match b {
            b':' => return true,
            b'+' | b'-' | b'.' => {}
            _ if b.is_ascii_alphanumeric() => {}
            _ => return false,
        }
    }
    false
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

    /// The engine compares the browser's origin of a request with `apiOrigins` (normalised by [`origin_of`]);
    /// the same comparison through our parser shows what that normalisation lets through.
    fn is_allowed_origin(allowed: &[String], url: &str) -> bool {
        origin_of(url).is_some_and(|o| allowed.contains(&o))
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

    #[test]
    fn only_https_or_loopback_is_secure() {
        for ok in [
            "https://platform.ringcentral.com",
            "https://a.example:8443",
            "http://127.0.0.1",
            "http://127.0.0.1:8080",
            "http://127.255.3.4:1",
            "http://localhost",
            "http://localhost:3000",
            "http://app.localhost:5173",
            "http://[::1]:3000",
            "http://[::1]",
        ] {
            assert!(is_secure_origin(ok), "{}", ok);
        }
        for bad in [
            "http://platform.ringcentral.com",
            "http://a.example:443",
            "http://128.0.0.1",
            "http://10.0.0.1:8080",
            "http://127.0.0.1.evil.com",
            "http://127.0.0",
            "http://127.0.0.1.2",
            "http://127.0.0.256",
            "http://127.1",
            "http://0x7f.0.0.1",
            "http://127.0.0.01x",
            "http://localhost.evil.com",
            "http://evillocalhost",
            "http://[::2]",
            "http://[0:0:0:0:0:0:0:1]",
            "http://[::ffff:127.0.0.1]",
            "ftp://localhost",
            "",
        ] {
            assert!(!is_secure_origin(bad), "{}", bad);
        }
    }

    #[test]
    fn relative_api_urls_resolve_under_the_server_path() {
        let rc = "https://host.example/rc";
        for (input, want) in [
            ("/restapi/v1.0/account/~", "https://host.example/rc/restapi/v1.0/account/~"),
            ("restapi/v1.0/account/~", "restapi/v1.0/account/~"), // resolved by the base `server + "/"`
            ("\\restapi/x", "https://host.example/rc\\restapi/x"), // URL parsers read `\` as `/`
            ("  /restapi/x?a=1#f", "https://host.example/rc/restapi/x?a=1#f"),
            ("https://other.example/x", "https://other.example/x"),
            ("HTTP://127.0.0.1:9/x", "HTTP://127.0.0.1:9/x"),
            ("data:text/plain,hi", "data:text/plain,hi"),
            ("//other.example/x", "//other.example/x"),
            ("/\\other.example/x", "/\\other.example/x"),
            ("?q=1", "?q=1"),
            ("../up", "../up"),
            ("", ""),
        ] {
            assert_eq!(resolve_api_url(rc, input), want, "{:?}", input);
        }
        // A server without a path: the root, as before.
        assert_eq!(resolve_api_url("https://platform.ringcentral.com", "/restapi/v1.0"), "https://platform.ringcentral.com/restapi/v1.0");
    }
}
