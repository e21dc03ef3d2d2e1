//! Storing one value across several cookies (browsers cap a cookie at ~4096 bytes).
//!
//! Scheme: the value is percent-encoded (cookie-safe), cut into chunks of at most
//! [`MAX_COOKIE_VALUE`] bytes named `name.0`, `name.1`, …, plus a count cookie `name.n`.
//! Write the chunks first and `name.n` last; reading requires `name.n` and every chunk it names.
//! Chunk boundaries never matter because decoding happens after reassembly. Combine with
//! `seal` to detect a mix of old and new chunks.

use super::bytes;
use super::encoding::{percent_decode, percent_encode, push_u64};
use super::error::{corrupt, Error};
use super::policy::keep_until_ms;
use super::token::TokenSet;

/// Per-cookie value budget: 3800 + name + attributes stays below 4096 bytes.
pub const MAX_COOKIE_VALUE: usize = 3800;
/// More chunks than this means a corrupt count (≈ 190 KB; browsers allow ~180 cookies per domain anyway).
pub const MAX_COOKIE_CHUNKS: usize = 50;

fn chunk_name(name: &str, suffix: &str) -> String {
    let mut s = String::with_capacity(name.len() + 1 + suffix.len());
    s.push_str(name);
    s.push('.');
    s.push_str(suffix);
    s
}

fn index_name(name: &str, i: usize) -> String {
    let mut n = String::new();
    push_u64(&mut n, i as u64);
    chunk_name(name, &n)
}

/// `[(name.0, chunk0), …, (name.n, count)]`, count cookie last. An empty value gives one empty chunk.
pub fn split_into_cookies(name: &str, value: &str) -> Vec<(String, String)> {
    let enc = percent_encode(value); // ASCII only, so any byte index is a char boundary
    let mut out = Vec::new();
    let mut rest = enc.as_str();
    loop {
        let (chunk, tail) = rest
            .split_at_checked(rest.len().min(MAX_COOKIE_VALUE))
            .unwrap_or((rest, ""));
        out.push((index_name(name, out.len()), chunk.to_string()));
        rest = tail;
        if rest.is_empty() {
            break;
        }
    }
    let mut count = String::new();
    push_u64(&mut count, out.len() as u64);
    out.push((chunk_name(name, "n"), count));
    out
}

/// Iterates `(name, value)` pairs of a `document.cookie` string (`a=b; c=d`).
fn cookies(header: &str) -> impl Iterator<Item = (&str, &str)> {
    bytes::split(header, ";").filter_map(|c| {
        let (k, v) = bytes::split_once(c.trim(), "=")?;
        Some((k.trim(), v.trim()))
    })
}

fn find<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    cookies(header).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// Reassembles a value written by [`split_into_cookies`] from `document.cookie`.
/// `Ok(None)` when no `name.n` and no `name.<digit>` cookie exists; `corrupt_storage` for a missing
/// or bad count, a missing chunk, or undecodable content.
pub fn read_split_cookie(cookie_header: &str, name: &str) -> Result<Option<String>, Error> {
    let count = match find(cookie_header, &chunk_name(name, "n")) {
        Some(c) => c,
        None => {
            let prefix = chunk_name(name, "");
            let orphan = cookies(cookie_header).any(|(k, _)| {
                k.strip_prefix(prefix.as_str()).is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
                })
            });
            return if orphan {
                Err(corrupt("cookie chunk count is missing"))
            } else {
                Ok(None)
            };
        }
    };
    let n = if !count.is_empty() && count.len() <= 3 && count.bytes().all(|b| b.is_ascii_digit()) {
        count
            .bytes()
            .fold(0usize, |a, b| a * 10 + (b - b'0') as usize)
    } else {
        0
    };
    if n == 0 || n > MAX_COOKIE_CHUNKS {
        return Err(corrupt("cookie chunk count is invalid"));
    }
    let mut enc = String::new();
    for i in 0..n {
        let part = find(cookie_header, &index_name(name, i))
            .ok_or_else(|| corrupt("a cookie chunk is missing"))?;
        enc.push_str(part);
    }
    percent_decode(&enc)
        .map(Some)
        .ok_or_else(|| corrupt("cookie value is not decodable"))
}

fn push_attrs(s: &mut String, max_age_s: Option<u64>, secure: bool) {
    s.push_str("; Path=/");
    if let Some(n) = max_age_s {
        s.push_str("; Max-Age=");
        push_u64(s, n);
    }
    s.push_str("; SameSite=Strict");
    if secure {
        s.push_str("; Secure");
    }
}

/// `name=value; Path=/[; Max-Age=N]; SameSite=Strict[; Secure]` for `document.cookie = …` (no `Max-Age`: a
/// session cookie, gone when the browser ends its session).
/// `value` must already be cookie-safe (the chunks from [`split_into_cookies`] are).
pub fn set_cookie_string(name: &str, value: &str, max_age_s: Option<u64>, secure: bool) -> String {
    let mut s = String::with_capacity(name.len() + value.len() + 60);
    s.push_str(name);
    s.push('=');
    s.push_str(value);
    push_attrs(&mut s, max_age_s, secure);
    s
}

/// `name=; Path=/; Max-Age=0; SameSite=Strict[; Secure]`.
pub fn delete_cookie_string(name: &str, secure: bool) -> String {
    set_cookie_string(name, "", Some(0), secure)
}

/// The `Max-Age` of the cookies holding `t`: as long as the tokens can serve ([`keep_until_ms`]: the refresh
/// token's expiry, or the access token's when there is no refresh token), rounded up, at least 1 s; `None` (a
/// session cookie) when the refresh token's expiry is unknown. Never shorter than the policy's use of the
/// tokens, never longer than the longest-lived token when its end is known.
pub fn cookie_max_age_s(t: &TokenSet, now_ms: f64) -> Option<u64> {
    keep_until_ms(t).map(|until| ((until - now_ms) / 1000.0).ceil().max(1.0) as u64)
}

/// Names of all cookies starting with `prefix` (pass `name.` to find every chunk, stale ones included).
pub fn cookie_names_with_prefix(cookie_header: &str, prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (k, _) in cookies(cookie_header) {
        if k.starts_with(prefix) && !out.iter().any(|o| o == k) {
            out.push(k.to_string());
        }
    }
    out
}

/// The prefix that makes a cookie name host-only and Secure by the browser's own rules: a `__Host-` cookie
/// must be `Secure`, `Path=/` and carry no `Domain`, so a sibling subdomain (or an `http://` sibling) can
/// neither plant one nor shadow it with a narrower path.
pub const HOST_PREFIX: &str = "__Host-";

/// The cookie base name for the storage key: `__Host-<key>` when the browser accepts `__Host-` cookies
/// on this page (https, and loopback in Chromium), else `<key>`.
pub fn cookie_base_name(key: &str, host_prefix: bool) -> String {
    let mut s = String::with_capacity(key.len() + HOST_PREFIX.len());
    if host_prefix {
        s.push_str(HOST_PREFIX);
    }
    s.push_str(key);
    s
}

/// True when any cookie starting with `prefix` appears more than once in `document.cookie`. The browser
/// lists one name several times only for cookies of different Domain or Path: a copy planted by a sibling
/// subdomain (`Domain=<parent>`) or scoped to a narrower path. Either way the value cannot be trusted.
pub fn has_duplicate(cookie_header: &str, prefix: &str) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    for (k, _) in cookies(cookie_header) {
        if k.starts_with(prefix) {
            if seen.contains(&k) {
                return true;
            }
            seen.push(k);
        }
    }
    false
}

fn is_ip(host: &str) -> bool {
    host.starts_with('[') || host.bytes().last().is_some_and(|b| b.is_ascii_digit())
}

/// Every `Set-Cookie` line that could delete a copy of `name` visible on this page: host-only and for each
/// parent domain of `host` (`a.b.c` → `a.b.c`, `b.c`, `c`; the browser ignores the ones it would never have
/// stored), times `Path=/` and each path prefix of `pathname` with and without its trailing slash.
pub fn removal_strings(name: &str, host: &str, pathname: &str, secure: bool) -> Vec<String> {
    let mut domains: Vec<Option<&str>> = vec![None];
    if !is_ip(host) {
        let mut d = host;
        loop {
            domains.push(Some(d));
            match d.split_once('.') {
                Some((_, rest)) if !rest.is_empty() => d = rest,
                _ => break,
            }
        }
    }
    let mut paths: Vec<&str> = vec!["/"];
    for (i, b) in pathname.bytes().enumerate().skip(1) {
        // (`i` is a `/`'s index: the `get`s never fail.)
        if let (b'/', Some(parent), Some(dir)) = (b, pathname.get(..i), pathname.get(..=i)) {
            paths.push(parent);
            paths.push(dir);
        }
    }
    if pathname.len() > 1 && !pathname.ends_with('/') {
        paths.push(pathname);
    }
    paths.dedup();
    let mut out = Vec::with_capacity(domains.len() * paths.len());
    for d in &domains {
        for p in &paths {
            let mut s = String::with_capacity(name.len() + p.len() + 60);
            s.push_str(name);
            s.push_str("=; Path=");
            s.push_str(p);
            if let Some(d) = d {
                s.push_str("; Domain=");
                s.push_str(d);
            }
            s.push_str("; Max-Age=0; SameSite=Strict");
            if secure {
                s.push_str("; Secure");
            }
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encoding::percent_encode;
    use crate::protocol::error::ErrorCode;

    fn header(pairs: &[(String, String)]) -> String {
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", k, v))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn small_value_round_trip() {
        let v = r#"v1.0badf00d.{"v":1,"access_token":"U1B|x y;z=é"}"#;
        let parts = split_into_cookies("oss.1234", v);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].0, "oss.1234.0");
        assert_eq!(parts[1], ("oss.1234.n".to_string(), "1".to_string()));
        assert!(parts[0]
            .1
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"%-._~".contains(&b)));
        let h = format!("other=1; {}; x=y", header(&parts));
        assert_eq!(
            read_split_cookie(&h, "oss.1234").unwrap().as_deref(),
            Some(v)
        );
    }

    #[test]
    fn large_value_over_10kb() {
        let v: String = (0..12_000)
            .map(|i| {
                if i % 7 == 0 {
                    '"'
                } else {
                    (b'a' + (i % 26) as u8) as char
                }
            })
            .collect();
        let parts = split_into_cookies("k", &v);
        let chunks = parts.len() - 1;
        assert!(chunks >= 4, "{}", chunks);
        assert!(parts.iter().all(|(_, c)| c.len() <= MAX_COOKIE_VALUE));
        assert_eq!(parts.last().unwrap().1, chunks.to_string());
        for (i, p) in parts[..chunks].iter().enumerate() {
            assert_eq!(p.0, format!("k.{}", i));
            // Every Set-Cookie line stays below the 4096-byte browser limit.
            assert!(set_cookie_string(&p.0, &p.1, Some(604_800), true).len() < 4096);
        }
        // Order in document.cookie does not matter.
        let mut shuffled = parts.clone();
        shuffled.reverse();
        assert_eq!(
            read_split_cookie(&header(&shuffled), "k")
                .unwrap()
                .as_deref(),
            Some(v.as_str())
        );
    }

    #[test]
    fn missing_chunk_or_bad_count_is_corrupt() {
        let v = "x".repeat(9000);
        let parts = split_into_cookies("k", &v);
        let without_middle: Vec<_> = parts.iter().filter(|(n, _)| n != "k.1").cloned().collect();
        let cases = vec![
            header(&without_middle),
            header(&parts[..parts.len() - 1]), // chunks without count
            header(&parts).replace("k.n=3", "k.n=0"),
            header(&parts).replace("k.n=3", "k.n=abc"),
            header(&parts).replace("k.n=3", "k.n=4"),
            header(&parts).replace("k.n=3", "k.n=9999"),
            "k.n=1; k.0=%E2%82".to_string(), // undecodable
        ];
        for h in cases {
            let e = read_split_cookie(&h, "k").unwrap_err();
            assert_eq!(
                e.code,
                ErrorCode::CorruptStorage,
                "{}",
                &h[..h.len().min(60)]
            );
        }
        // A malformed escape is read as it is; the seal's envelope check then gives the same `corrupt_storage`.
        let sealed = format!("v2.{}", "A".repeat(40));
        for h in ["k.n=1; k.0=%zz".to_string(), format!("k.n=1; k.0={}%", percent_encode(&sealed))] {
            let text = read_split_cookie(&h, "k").unwrap().unwrap();
            assert_eq!(crate::protocol::seal::aead_body(&text).unwrap_err().code, ErrorCode::CorruptStorage, "{h}");
        }
        assert!(crate::protocol::seal::aead_body(&read_split_cookie(&format!("k.n=1; k.0={sealed}"), "k").unwrap().unwrap()).is_ok());
    }

    #[test]
    fn absent_and_other_cookies() {
        assert_eq!(read_split_cookie("", "k").unwrap(), None);
        assert_eq!(
            read_split_cookie("a=1; kk.0=2; k=3; k.x=4", "k").unwrap(),
            None
        );
        assert_eq!(
            read_split_cookie("k.n=1; k.0=", "k").unwrap().as_deref(),
            Some("")
        );
        let parts = split_into_cookies("k", "");
        assert_eq!(
            parts,
            vec![("k.0".into(), "".into()), ("k.n".into(), "1".into())]
        );
        // A longer name sharing the prefix is not confused with ours.
        let h = "k.n=1; k.0=a; k.nn=7; k.00=zz";
        assert_eq!(read_split_cookie(h, "k").unwrap().as_deref(), Some("a"));
    }

    #[test]
    fn cookie_lives_as_long_as_the_tokens_can_serve() {
        use crate::protocol::secret::Secret;
        let now = 1_000_000_000.0;
        let t = |rt: Option<Option<f64>>| TokenSet {
            access_token: Secret::new("a"),
            token_type: "DPoP".into(),
            issued_at_ms: now,
            expires_at_ms: now + 4_950.0,
            refresh_token: rt.map(|_| Secret::new("r")),
            refresh_expires_at_ms: rt.flatten().map(|s| now + s * 1000.0),
            scope: None,
            owner_id: None,
            endpoint_id: None,
            session_id: None,
            lineage: Default::default(),
        };
        // Regression: a refresh token of unknown expiry (oidc-provider) once gave the access token's 5 s, and the
        // session was lost when a tab's refresh came a little late. Now a session cookie.
        assert_eq!(cookie_max_age_s(&t(Some(None)), now), None);
        assert_eq!(cookie_max_age_s(&t(Some(Some(3600.0))), now), Some(3600));
        assert_eq!(cookie_max_age_s(&t(Some(Some(1.0))), now), Some(5), "the access token outlives it");
        assert_eq!(cookie_max_age_s(&t(None), now), Some(5));
        assert_eq!(cookie_max_age_s(&t(None), now + 10_000.0), Some(1), "at least 1 s");
    }

    #[test]
    fn cookie_strings_and_prefix_listing() {
        assert_eq!(
            set_cookie_string("oss.ab.0", "v%20x", Some(3600), true),
            "oss.ab.0=v%20x; Path=/; Max-Age=3600; SameSite=Strict; Secure"
        );
        assert_eq!(
            set_cookie_string("a", "b", Some(0), false),
            "a=b; Path=/; Max-Age=0; SameSite=Strict"
        );
        assert_eq!(set_cookie_string("a", "b", None, true), "a=b; Path=/; SameSite=Strict; Secure");
        assert_eq!(
            delete_cookie_string("oss.ab.n", false),
            "oss.ab.n=; Path=/; Max-Age=0; SameSite=Strict"
        );
        let h = "oss.ab.0=1; other=2; oss.ab.n=2;oss.ab.1=3; oss.ab.7=stale; oss.ab.0=dup";
        assert_eq!(
            cookie_names_with_prefix(h, "oss.ab."),
            vec!["oss.ab.0", "oss.ab.n", "oss.ab.1", "oss.ab.7"]
        );
        assert!(cookie_names_with_prefix(h, "nope").is_empty());
    }

    #[test]
    fn host_prefix_names() {
        assert_eq!(cookie_base_name("oss.ab", true), "__Host-oss.ab");
        assert_eq!(cookie_base_name("oss.ab", false), "oss.ab");
    }

    #[test]
    fn a_name_listed_twice_is_a_duplicate() {
        assert!(!has_duplicate("k.n=1; k.0=a; other=1; other=2", "k."));
        // A parent-domain or narrower-path copy: the browser lists the name twice.
        assert!(has_duplicate("k.n=1; k.0=evil; k.0=a", "k."));
        assert!(has_duplicate("k.0=a; k.n=1; x=y; k.n=1", "k."));
        assert!(!has_duplicate("", "k."));
    }

    #[test]
    fn removal_covers_every_domain_and_path_variant() {
        let all = removal_strings("k.n", "app.example.test", "/test/callback.html", false);
        for want in [
            "k.n=; Path=/; Max-Age=0; SameSite=Strict",
            "k.n=; Path=/; Domain=example.test; Max-Age=0; SameSite=Strict",
            "k.n=; Path=/test; Domain=example.test; Max-Age=0; SameSite=Strict",
            "k.n=; Path=/test/; Max-Age=0; SameSite=Strict",
            "k.n=; Path=/test/callback.html; Domain=app.example.test; Max-Age=0; SameSite=Strict",
            "k.n=; Path=/; Domain=test; Max-Age=0; SameSite=Strict",
        ] {
            assert!(all.iter().any(|s| s == want), "missing {want}: {all:#?}");
        }
        // 1 host-only + 3 domains, × 4 paths.
        assert_eq!(all.len(), 16);
        // An IP address has no parent domains; `/` alone gives one path.
        let ip = removal_strings("k.0", "127.0.0.1", "/", true);
        assert_eq!(ip, vec!["k.0=; Path=/; Max-Age=0; SameSite=Strict; Secure".to_string()]);
        assert_eq!(removal_strings("k.0", "[::1]", "/a/", true).len(), 3);
    }
}
