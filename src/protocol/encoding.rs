//! Byte/text encodings used on the wire and in storage, each through the field's standard crate: base64url
//! (`base64`), percent-encoding (`percent-encoding`) and `application/x-www-form-urlencoded` (`form_urlencoded`,
//! the WHATWG form syntax: space as `+`); plus small integer/hex writers and FNV hashes.
//! Nothing here allocates through `format!` and nothing panics on any input.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use form_urlencoded::Serializer;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Every byte but RFC 3986's unreserved `A-Z a-z 0-9 - . _ ~` (non-ASCII bytes are always encoded).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// base64url (RFC 4648 §5) without `=` padding.
pub fn base64url_nopad(data: &[u8]) -> String {
    // `encode_slice` into a buffer of 4 bytes per 3 (enough without padding), not `encode_string`: no chunked
    // encoder, and no `expect` on its UTF-8 (whose panic message links `Utf8Error`'s `Debug`).
    let mut out = vec![0u8; data.len().div_ceil(3) * 4];
    let n = URL_SAFE_NO_PAD.encode_slice(data, &mut out).unwrap_or(0);
    out.truncate(n);
    String::from_utf8(out).unwrap_or_default()
}

/// RFC 3986 unreserved characters: `A-Z a-z 0-9 - . _ ~`.
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' || b == b'~'
}

/// Percent-encodes every byte except the unreserved set (space → `%20`, hex upper case).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    out.extend(utf8_percent_encode(s, NOT_UNRESERVED));
    out
}

/// Percent-decoding without the `+` rule: a malformed escape stays as it is; `None` when the bytes are not UTF-8.
/// Used for values this library wrote itself (cookies), which are sealed: any other damage fails the seal.
pub fn percent_decode(s: &str) -> Option<String> {
    percent_decode_str(s).decode_utf8().ok().map(|c| c.into_owned())
}

/// A form body or query string being built: `append_pair(k, v)` adds `k=v`, `&`-separated, both sides form-encoded.
pub(crate) fn form() -> Serializer<'static, String> {
    Serializer::new(String::new())
}

/// `k=v&k2=v2`, form-encoded. Usable as a form body and as a query string.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut f = form();
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    f.finish()
}

/// Parses `application/x-www-form-urlencoded` text (a query string or a fragment).
/// One leading `?` or `#` is skipped, empty segments are skipped, a segment without `=`
/// has an empty value, `+` is a space, malformed `%` escapes are kept literally, invalid UTF-8 becomes U+FFFD.
/// Never panics.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    let s = match s.as_bytes().first() {
        Some(b'?' | b'#') => s.get(1..).unwrap_or(s),
        _ => s,
    };
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
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
            "grant_type=refresh_token&x+y=1%2B1%3D2"
        );
        assert_eq!(form_encode(&[]), "");
    }

    #[test]
    fn form_encoding_leaves_only_the_safe_bytes() {
        let all: String = (1u8..128).map(char::from).chain("é€😀".chars()).collect();
        let enc = form_encode(&[(&all, &all)]);
        // WHATWG form encoding keeps `*-._` and alphanumerics, writes space as `+`, escapes everything else.
        let body = &enc[..enc.find('=').unwrap()];
        assert!(body.bytes().all(|b| b.is_ascii_alphanumeric() || b"*-._%+".contains(&b)), "{}", body);
        assert_eq!(parse_form(&enc), vec![(all.clone(), all)]);
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
    fn cookie_decoding_keeps_bad_escapes_and_refuses_bad_utf8() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("a+b").as_deref(), Some("a+b"));
        assert_eq!(percent_decode(&percent_encode("é€ x")).as_deref(), Some("é€ x"));
        // Lenient on escapes (the seal check after it catches the damage), strict on UTF-8.
        assert_eq!(percent_decode("%").as_deref(), Some("%"));
        assert_eq!(percent_decode("%4").as_deref(), Some("%4"));
        assert_eq!(percent_decode("%zz").as_deref(), Some("%zz"));
        assert_eq!(percent_decode("%FF"), None);
        assert_eq!(percent_decode("%E2%82"), None);
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
