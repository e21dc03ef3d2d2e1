//! Byte/text encodings used on the wire and in storage: base64url, percent-encoding,
//! `application/x-www-form-urlencoded`, small integer/hex writers and FNV hashes.
//! Nothing here allocates through `format!` and nothing panics on any input.

#[allow(unused_imports)]
use crate::core::prelude::*;

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// base64url (RFC 4648 §5) without `=` padding.
pub fn base64url_nopad(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b0 = chunk[0] as u32;
        let b1 = chunk.get(1).copied().unwrap_or(0) as u32;
        let b2 = chunk.get(2).copied().unwrap_or(0) as u32;
        let n = (b0 << 16) | (b1 << 8) | b2;
        let emit = chunk.len() + 1; // 1 byte → 2 chars, 2 → 3, 3 → 4
        for i in 0..emit {
            let idx = (n >> (18 - 6 * i as u32)) & 63;
            out.push(B64URL[idx as usize] as char);
        }
    }
    out
}

/// RFC 3986 unreserved characters: `A-Z a-z 0-9 - . _ ~`.
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' || b == b'~'
}

/// Percent-encodes every byte except the unreserved set (space → `%20`, hex upper case).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_percent_encoded(&mut out, s);
    out
}

pub(crate) fn push_percent_encoded(out: &mut String, s: &str) {
    for &b in s.as_bytes() {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX_UPPER[(b >> 4) as usize] as char);
            out.push(HEX_UPPER[(b & 15) as usize] as char);
        }
    }
}

/// `k=v&k2=v2` with both sides percent-encoded. Usable as a form body and as a query string.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        push_pair(&mut out, k, v);
    }
    out
}

/// Appends `k=v` (percent-encoded), preceded by `&` unless `out` is empty.
pub(crate) fn push_pair(out: &mut String, k: &str, v: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    push_percent_encoded(out, k);
    out.push('=');
    push_percent_encoded(out, v);
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Lenient percent-decoding: `%XX` → byte, a malformed escape is kept literally,
/// `+` → space when `plus_as_space`; invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(s: &str, plus_as_space: bool) -> String {
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .any(|&b| b == b'%' || (plus_as_space && b == b'+'))
    {
        return s.to_string();
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|&x| hex_val(x)),
                bytes.get(i + 2).and_then(|&x| hex_val(x)),
            ) {
                out.push((h << 4) | l);
                i += 3;
                continue;
            }
            out.push(b'%');
        } else if b == b'+' && plus_as_space {
            out.push(b' ');
        } else {
            out.push(b);
        }
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Strict percent-decoding (no `+` rule): `None` on a malformed escape or invalid UTF-8.
/// Used for values this library wrote itself (cookies), where any damage means corruption.
pub fn percent_decode_strict(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let h = hex_val(*bytes.get(i + 1)?)?;
            let l = hex_val(*bytes.get(i + 2)?)?;
            out.push((h << 4) | l);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Parses `application/x-www-form-urlencoded` text (a query string or a fragment).
/// One leading `?` or `#` is skipped, empty segments are skipped, a segment without `=`
/// has an empty value, `+` is a space, malformed `%` escapes are kept literally. Never panics.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    let s = match s.as_bytes().first() {
        Some(b'?' | b'#') => s.get(1..).unwrap_or(s),
        _ => s,
    };
    let mut out = Vec::new();
    for seg in super::bytes::split(s, "&") {
        if seg.is_empty() {
            continue;
        }
        let (k, v) = super::bytes::split_once(seg, "=").unwrap_or((seg, ""));
        out.push((percent_decode(k, true), percent_decode(v, true)));
    }
    out
}

/// Appends the decimal digits of `n` (no `core::fmt`, to keep the wasm small).
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    // u64::MAX has 20 digits; `get_mut`/`get` keep bounds-check panics out of the wasm.
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while let Some(d) = buf.get_mut(i.wrapping_sub(1)) {
        i -= 1;
        *d = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in buf.get(i..).unwrap_or_default() {
        out.push(b as char);
    }
}

pub(crate) fn u64_to_string(n: u64) -> String {
    let mut s = String::new();
    push_u64(&mut s, n);
    s
}

/// Appends `n` as exactly `digits` lower-case hex digits (most significant first).
pub(crate) fn push_hex(out: &mut String, n: u64, digits: u32) {
    for i in (0..digits).rev() {
        out.push(HEX_LOWER[((n >> (i * 4)) & 15) as usize] as char);
    }
}

/// FNV-1a, 32 bit. Not cryptographic: detects accidental damage only.
pub(crate) fn fnv1a32(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in data {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// FNV-1a, 64 bit, over several parts separated by a 0 byte.
pub(crate) fn fnv1a64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            // separator: a 0 byte (x ^ 0 == x)
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        for &b in p.as_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_rfc4648_vectors() {
        let cases: [(&str, &str); 7] = [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in cases {
            assert_eq!(base64url_nopad(i.as_bytes()), o);
        }
        // URL alphabet: 0xfb 0xff → "-_8" (standard base64 would give "+/8=").
        assert_eq!(base64url_nopad(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn percent_encode_reserved_and_unicode() {
        assert_eq!(percent_encode("a b&c=d+e/f?"), "a%20b%26c%3Dd%2Be%2Ff%3F");
        assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(percent_encode("é€"), "%C3%A9%E2%82%AC");
        assert_eq!(percent_encode(""), "");
    }

    #[test]
    fn form_encode_pairs() {
        assert_eq!(
            form_encode(&[("grant_type", "refresh_token"), ("x y", "1+1=2")]),
            "grant_type=refresh_token&x%20y=1%2B1%3D2"
        );
        assert_eq!(form_encode(&[]), "");
    }

    #[test]
    fn parse_form_basic_and_prefixes() {
        let p = parse_form("?a=1&b=two+words&c=%41%42&&d");
        assert_eq!(
            p,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "two words".into()),
                ("c".into(), "AB".into()),
                ("d".into(), "".into())
            ]
        );
        assert_eq!(parse_form("#x=%2B"), vec![("x".into(), "+".into())]);
        assert!(parse_form("").is_empty());
        assert!(parse_form("?").is_empty());
        assert!(parse_form("#&&&").is_empty());
        // Only one prefix is stripped.
        assert_eq!(parse_form("??a=1")[0].0, "?a");
    }

    #[test]
    fn parse_form_malformed_escapes_kept() {
        let p = parse_form("a=%zz&b=%&c=%4&d=100%25&e=%e2%82");
        assert_eq!(p[0].1, "%zz");
        assert_eq!(p[1].1, "%");
        assert_eq!(p[2].1, "%4");
        assert_eq!(p[3].1, "100%");
        assert_eq!(p[4].1, "\u{FFFD}"); // truncated UTF-8 sequence, lossily decoded
    }

    #[test]
    fn parse_form_round_trips_encode() {
        let v = "späce & = + % 😀 \u{2028}";
        let enc = form_encode(&[("k", v)]);
        assert_eq!(parse_form(&enc), vec![("k".to_string(), v.to_string())]);
    }

    #[test]
    fn strict_decode_rejects_damage() {
        assert_eq!(percent_decode_strict("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode_strict("a+b").as_deref(), Some("a+b"));
        assert_eq!(percent_decode_strict("%"), None);
        assert_eq!(percent_decode_strict("%4"), None);
        assert_eq!(percent_decode_strict("%zz"), None);
        assert_eq!(percent_decode_strict("%FF"), None);
    }

    #[test]
    fn integer_and_hex_writers() {
        assert_eq!(u64_to_string(0), "0");
        assert_eq!(u64_to_string(604799), "604799");
        assert_eq!(u64_to_string(u64::MAX), "18446744073709551615");
        let mut s = String::new();
        push_hex(&mut s, 0xdead_beef, 8);
        push_hex(&mut s, 0x5, 2);
        assert_eq!(s, "deadbeef05");
    }

    #[test]
    fn fnv_known_values() {
        assert_eq!(fnv1a32(b""), 0x811c9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c292c);
        assert_eq!(fnv1a64(&["a"]), 0xaf63dc4c8601ec8c);
        assert_ne!(fnv1a64(&["ab", "c"]), fnv1a64(&["a", "bc"]));
    }
}
