//! A minimal JSON value, with accessors, a compact writer and a small strict parser (nesting-limited, so a
//! hostile body cannot overflow the stack). The browser layer moves values across the boundary as JSON text
//! (`JSON.stringify` / `JSON.parse`), so no serde code is linked into the wasm.

#[allow(unused_imports)]
use crate::core::prelude::*;

use super::encoding::{push_hex, push_u64};

/// Nesting limit for [`Json::parse`] (hostile input must not overflow the stack).
const MAX_DEPTH: u32 = 128;

#[derive(Clone, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    /// Key order is kept. A duplicate key (from `parse` or serde) replaces the earlier value in place,
    /// like `JSON.parse` does, so keys are unique.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// The value of `key` if `self` is an object holding it (including an explicit `null`).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Like [`Json::get`] but treats `null` as absent (JS `null`/`undefined` mean "not set").
    pub fn get_present(&self, key: &str) -> Option<&Json> {
        self.get(key).filter(|v| !v.is_null())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Obj(m) => Some(m),
            _ => None,
        }
    }

    /// Compact JSON text. Strings escape `"`, `\`, all control characters and U+2028/U+2029;
    /// integral numbers below 1e15 are written without a fraction; other finite numbers with 15
    /// significant digits; NaN and ±∞ as `null`.
    pub fn to_json_string(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(true) => out.push_str("true"),
            Json::Bool(false) => out.push_str("false"),
            Json::Num(n) => push_num(out, *n),
            Json::Str(s) => push_json_str(out, s),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Strict RFC 8259 parser (whole input, surrounding whitespace allowed). `None` on any error.
    /// Lone surrogate escapes become U+FFFD. Numbers are exact for integers up to 2^53.
    pub fn parse(text: &str) -> Option<Json> {
        let mut p = Parser {
            b: text.as_bytes(),
            i: 0,
        };
        p.ws();
        let v = p.value(0)?;
        p.ws();
        if p.i == p.b.len() {
            Some(v)
        } else {
            None
        }
    }
}

/// Inserts or replaces `key` in an object body (last value wins, first position kept).
fn obj_insert(m: &mut Vec<(String, Json)>, k: String, v: Json) {
    match m.iter_mut().find(|(ek, _)| *ek == k) {
        Some(slot) => slot.1 = v,
        None => m.push((k, v)),
    }
}

pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str("\\u");
                push_hex(out, c as u64, 4);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a number the way `JSON.stringify` would for the common cases, without `core::fmt`'s
/// float formatting (several KB of wasm): integers exactly, others with 15 significant digits.
pub(crate) fn push_num(out: &mut String, n: f64) {
    if !n.is_finite() {
        out.push_str("null");
        return;
    }
    if n == super::num::trunc(n) && n.abs() < 1e15 {
        if n < 0.0 {
            out.push('-');
        }
        push_u64(out, n.abs() as u64);
        return;
    }
    if n < 0.0 {
        out.push('-');
    }
    // Normalise m into [1, 10): n = m × 10^e. n is not 0 here (0 is integral).
    let mut m = n.abs();
    let mut e: i32 = 0;
    while m >= 1e22 {
        m /= 1e22;
        e += 22;
    }
    while m >= 10.0 {
        m /= 10.0;
        e += 1;
    }
    while m < 1e-22 {
        m *= 1e22;
        e -= 22;
    }
    while m < 1.0 {
        m *= 10.0;
        e -= 1;
    }
    // 15 significant digits, rounded; truncated near f64::MAX so the text never overflows.
    let mut d = (m * 1e14 + if e >= 308 { 0.0 } else { 0.5 }) as u64;
    if d >= 1_000_000_000_000_000 {
        d /= 10;
        e += 1;
    }
    let mut digits = String::new();
    push_u64(&mut digits, d);
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let k = digits.len() as i32;
    if (0..21).contains(&e) {
        // plain decimal: integer part then optional fraction
        let int_len = (e + 1) as usize;
        if k as usize <= int_len {
            out.push_str(digits);
            for _ in 0..(int_len - k as usize) {
                out.push('0');
            }
        } else {
            let (a, b) = digits.split_at_checked(int_len).unwrap_or((digits, ""));
            out.push_str(a);
            out.push('.');
            out.push_str(b);
        }
    } else if (-6..0).contains(&e) {
        out.push_str("0.");
        for _ in 0..(-e - 1) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let (a, b) = digits.split_at_checked(1).unwrap_or((digits, ""));
        out.push_str(a);
        if !b.is_empty() {
            out.push('.');
            out.push_str(b);
        }
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        push_u64(out, e.unsigned_abs() as u64);
    }
}

/// Parses a complete JSON number (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`). Also used for
/// numeric strings such as `"3599"` in token responses.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let (v, used) = number_prefix(s.as_bytes())?;
    if used == s.len() {
        Some(v)
    } else {
        None
    }
}

fn number_prefix(b: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let neg = b.first() == Some(&b'-');
    if neg {
        i += 1;
    }
    let mut mant: u64 = 0;
    let mut sig = 0u32; // significant digits taken into mant
    let mut exp10: i64 = 0;
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| (c - b'0') as u64)
    };
    // integer part
    match digit(i) {
        Some(0) => i += 1,
        Some(_) => {
            while let Some(d) = digit(i) {
                if sig < 19 {
                    mant = mant * 10 + d;
                    if mant > 0 {
                        sig += 1;
                    }
                } else {
                    exp10 += 1;
                }
                i += 1;
            }
        }
        None => return None,
    }
    // fraction
    if b.get(i) == Some(&b'.') {
        i += 1;
        digit(i)?;
        while let Some(d) = digit(i) {
            if sig < 19 {
                mant = mant * 10 + d;
                exp10 -= 1;
                if mant > 0 {
                    sig += 1;
                }
            }
            i += 1;
        }
    }
    // exponent
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        digit(i)?;
        let mut ev: i64 = 0;
        while let Some(d) = digit(i) {
            if ev < 100_000 {
                ev = ev * 10 + d as i64;
            }
            i += 1;
        }
        exp10 += if eneg { -ev } else { ev };
    }
    let mut v = mant as f64;
    if v != 0.0 {
        if exp10 >= 0 {
            let mut e = exp10;
            while e >= 22 && v.is_finite() {
                v *= 1e22;
                e -= 22;
            }
            for _ in 0..e.min(22) {
                v *= 10.0;
            }
        } else {
            let mut e = -exp10;
            while e >= 22 && v != 0.0 {
                v /= 1e22;
                e -= 22;
            }
            let mut p = 1.0;
            for _ in 0..e.min(22) {
                p *= 10.0;
            }
            v /= p;
        }
    }
    Some((if neg { -v } else { v }, i))
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn lit(&mut self, word: &[u8], v: Json) -> Option<Json> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Some(v)
        } else {
            None
        }
    }

    fn value(&mut self, depth: u32) -> Option<Json> {
        if depth >= MAX_DEPTH {
            return None;
        }
        match *self.b.get(self.i)? {
            b'n' => self.lit(b"null", Json::Null),
            b't' => self.lit(b"true", Json::Bool(true)),
            b'f' => self.lit(b"false", Json::Bool(false)),
            b'"' => {
                self.i += 1;
                self.string().map(Json::Str)
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.eat(b']') {
                    return Some(Json::Arr(a));
                }
                loop {
                    self.ws();
                    a.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b']') {
                        return Some(Json::Arr(a));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut m = Vec::new();
                self.ws();
                if self.eat(b'}') {
                    return Some(Json::Obj(m));
                }
                loop {
                    self.ws();
                    if !self.eat(b'"') {
                        return None;
                    }
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(b':') {
                        return None;
                    }
                    self.ws();
                    let v = self.value(depth + 1)?;
                    obj_insert(&mut m, k, v);
                    self.ws();
                    if self.eat(b'}') {
                        return Some(Json::Obj(m));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            _ => {
                let rest = self.b.get(self.i..)?;
                let (v, used) = number_prefix(rest)?;
                self.i += used;
                Some(Json::Num(v))
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let c = *self.b.get(self.i)?;
            let d = (c as char).to_digit(16)?;
            v = (v << 4) | d;
            self.i += 1;
        }
        Some(v)
    }

    /// After the opening quote.
    fn string(&mut self) -> Option<String> {
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&c) = self.b.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // Stops only at ASCII bytes, so the slice is on char boundaries of valid UTF-8.
            out.push_str(::core::str::from_utf8(self.b.get(start..self.i)?).ok()?);
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.i += 1;
                    let c = *self.b.get(self.i)?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                let save = self.i;
                                if self.eat(b'\\') && self.eat(b'u') {
                                    match self.hex4() {
                                        Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                        }
                                        _ => {
                                            self.i = save;
                                            0xFFFD
                                        }
                                    }
                                } else {
                                    self.i = save;
                                    0xFFFD
                                }
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                        _ => return None,
                    }
                }
                _ => return None, // raw control character
            }
        }
    }
}
/// serde impls for the host tests only (compared against serde_json); the wasm build links no serde at all,
/// which keeps its float formatting and error machinery out of the package.
#[cfg(test)]
mod serde_impls {
    use super::{obj_insert, Json};
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
    use std::fmt;


impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Num(n) => s.serialize_f64(*n),
            Json::Str(v) => s.serialize_str(v),
            Json::Arr(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Json::Obj(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Num(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut a = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element::<Json>()? {
            a.push(v);
        }
        Ok(Json::Arr(a))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut m = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(k) = map.next_key::<String>()? {
            let v = map.next_value::<Json>()?;
            obj_insert(&mut m, k, v);
        }
        Ok(Json::Obj(m))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Json {
        Json::Str(v.to_string())
    }

    #[test]
    fn writer_escapes_strings() {
        let j = s("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{2028}\u{2029}é😀/");
        assert_eq!(
            j.to_json_string(),
            "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\\u2028\\u2029é😀/\""
        );
        // serde_json reads our escaping back to the same string.
        let back: String = serde_json::from_str(&j.to_json_string()).unwrap();
        assert_eq!(Json::Str(back), j);
    }

    #[test]
    fn writer_numbers() {
        let cases: [(f64, &str); 14] = [
            (0.0, "0"),
            (-0.0, "0"),
            (3599.0, "3599"),
            (-42.0, "-42"),
            (1_700_000_000_000.0, "1700000000000"),
            (1.5, "1.5"),
            (-0.25, "-0.25"),
            (0.1, "0.1"),
            (123.456, "123.456"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (f64::NAN, "null"),
        ];
        for (n, want) in cases {
            assert_eq!(Json::Num(n).to_json_string(), want, "{}", n);
        }
        assert_eq!(Json::Num(f64::INFINITY).to_json_string(), "null");
        assert_eq!(Json::Num(f64::NEG_INFINITY).to_json_string(), "null");
        // Every non-integral output must be valid JSON and close to the value.
        for n in [
            std::f64::consts::PI,
            5e-324,
            1.7976931348623157e308,
            2.5e-300,
            9007199254740993.0,
        ] {
            let t = Json::Num(n).to_json_string();
            let back: f64 = serde_json::from_str(&t).unwrap();
            assert!(((back - n) / n).abs() < 1e-14, "{} -> {}", n, t);
        }
    }

    #[test]
    fn writer_compact_structures() {
        let j = Json::Obj(vec![
            (
                "a".into(),
                Json::Arr(vec![Json::Null, Json::Bool(true), Json::Bool(false)]),
            ),
            ("b".into(), Json::Obj(vec![])),
            ("c".into(), Json::Arr(vec![])),
        ]);
        assert_eq!(
            j.to_json_string(),
            r#"{"a":[null,true,false],"b":{},"c":[]}"#
        );
    }

    #[test]
    fn serde_json_round_trip() {
        let text = r#"{"access_token":"x","expires_in":3599,"f":-1.5,"n":null,"t":true,"a":[1,"two",{"k":[]}],"u":"\u00e9\u2028"}"#;
        let j: Json = serde_json::from_str(text).unwrap();
        assert_eq!(j.get("expires_in").and_then(Json::as_f64), Some(3599.0));
        assert_eq!(j.get("u").and_then(Json::as_str), Some("é\u{2028}"));
        assert!(j.get("n").unwrap().is_null());
        assert!(j.get_present("n").is_none());
        assert_eq!(
            j.get("a").and_then(Json::as_array).map(|a| a.len()),
            Some(3)
        );
        assert_eq!(j.get("t").and_then(Json::as_bool), Some(true));
        assert!(j.get("missing").is_none());
        assert!(Json::Num(1.0).get("x").is_none());
        // write → serde_json → equal value
        let again: Json = serde_json::from_str(&j.to_json_string()).unwrap();
        assert_eq!(again, j);
        // Serialize impl → serde_json text → our parser → equal value
        let via_serde = serde_json::to_string(&j).unwrap();
        assert_eq!(Json::parse(&via_serde).unwrap(), j);
    }

    #[test]
    fn parser_accepts_valid_json() {
        let j =
            Json::parse(" {\"a\" : [ 1 , 2.5e2 , -0.5 , 1E-2 ] , \"b\":\"x\\ud83d\\ude00\\/\"}\n")
                .unwrap();
        let a = j.get("a").and_then(Json::as_array).unwrap();
        assert_eq!(a[0], Json::Num(1.0));
        assert_eq!(a[1], Json::Num(250.0));
        assert_eq!(a[2], Json::Num(-0.5));
        assert_eq!(a[3], Json::Num(0.01));
        assert_eq!(j.get("b").and_then(Json::as_str), Some("x😀/"));
        assert_eq!(
            Json::parse("9007199254740991"),
            Some(Json::Num(9007199254740991.0))
        );
        assert_eq!(Json::parse("\"\\ud800x\""), Some(s("\u{FFFD}x")));
        // duplicate keys: last value wins, like JSON.parse
        let d = Json::parse(r#"{"k":1,"k":2}"#).unwrap();
        assert_eq!(d.as_object().unwrap().len(), 1);
        assert_eq!(d.get("k"), Some(&Json::Num(2.0)));
    }

    #[test]
    fn parser_rejects_invalid_json() {
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "-",
            "+1",
            "1e",
            "tru",
            "nul",
            "\"abc",
            "\"a\u{1}\"",
            "\"\\x\"",
            "\"\\u12\"",
            "{a:1}",
            "[1 2]",
            "1 2",
            "NaN",
            "'x'",
            "{\"a\"}",
            "\u{feff}{}",
        ] {
            assert_eq!(Json::parse(bad), None, "{:?}", bad);
        }
        // Deep nesting is refused without overflowing the stack.
        let deep = "[".repeat(100_000);
        assert_eq!(Json::parse(&deep), None);
        let ok = "[".repeat(100) + &"]".repeat(100);
        assert!(Json::parse(&ok).is_some());
    }

    #[test]
    fn parse_number_strings() {
        assert_eq!(parse_number("3599"), Some(3599.0));
        assert_eq!(parse_number("3599.0"), Some(3599.0));
        assert_eq!(parse_number("-1"), Some(-1.0));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(
            parse_number("12345678901234567890123"),
            Some(1.2345678901234568e22)
        );
        assert_eq!(parse_number("1e400"), Some(f64::INFINITY));
        assert_eq!(parse_number("1e-400"), Some(0.0));
        for bad in [
            "", " 1", "1 ", "0x10", "1,5", "abc", "--1", "1e+", "Infinity",
        ] {
            assert_eq!(parse_number(bad), None, "{:?}", bad);
        }
    }
}
