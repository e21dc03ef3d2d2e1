//! Plain byte-level string search and splitting. Same results as `str::find(&str)`, `split_once`,
//! `split`, `contains(&str)` and `find([chars])` for the ASCII patterns this crate uses, but without
//! core's string searchers (`StrSearcher`, two-way, memchr) and without slicing that can panic: every
//! slice is taken with `get`. A match of a UTF-8 needle in UTF-8 text always lies on char boundaries,
//! so those `get`s never fail in practice.

/// Byte index of the first occurrence of `pat` in `s` (`Some(0)` for an empty `pat`), like `str::find`.
pub(crate) fn find(s: &str, pat: &str) -> Option<usize> {
    let (h, p) = (s.as_bytes(), pat.as_bytes());
    let last = h.len().checked_sub(p.len())?;
    let mut i = 0;
    while i <= last {
        if h.get(i..i + p.len()) == Some(p) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Whether `pat` occurs in `s`.
pub(crate) fn contains(s: &str, pat: &str) -> bool {
    find(s, pat).is_some()
}

/// Byte index of the first byte of `s` that is in `set` (ASCII bytes), like `str::find([chars])`.
// Not `set.contains(&b)`: `<[u8]>::contains` is memchr, which costs ~150 B of brotli in the wasm.
#[allow(clippy::manual_contains)]
pub(crate) fn find_any(s: &str, set: &[u8]) -> Option<usize> {
    s.bytes().position(|b| set.iter().any(|&c| c == b))
}

/// `(before, after)` around the first `pat`, like `str::split_once`.
pub(crate) fn split_once<'a>(s: &'a str, pat: &str) -> Option<(&'a str, &'a str)> {
    let i = find(s, pat)?;
    Some((s.get(..i)?, s.get(i + pat.len()..)?))
}

/// The pieces of `s` between occurrences of a non-empty `sep`, like `str::split`.
pub(crate) fn split<'a, 'p>(s: &'a str, sep: &'p str) -> Split<'a, 'p> {
    Split { rest: Some(s), sep }
}

pub(crate) struct Split<'a, 'p> {
    rest: Option<&'a str>,
    sep: &'p str,
}

impl<'a> Iterator for Split<'a, '_> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        Some(match split_once(s, self.sep) {
            Some((piece, tail)) => {
                self.rest = Some(tail);
                piece
            }
            None => {
                self.rest = None;
                s
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: &[&str] = &[
        "",
        "a",
        "://",
        "https://x.example/p?q#f",
        "a=b&&c=d&",
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "jörg=ü&x=€",
        "::::",
        "aaab",
        "ab",
        "é:",
        "&",
        "&&",
        "x, y, z",
        "no separators here",
    ];
    const PATS: &[&str] = &[
        "", "://", "=", "&", ":", ", ", " ", "?", "#", "ab", "aab", "ü", "€", "zz",
    ];

    #[test]
    fn matches_std() {
        for &s in TEXTS {
            for &p in PATS {
                assert_eq!(find(s, p), s.find(p), "find {:?} {:?}", s, p);
                assert_eq!(contains(s, p), s.contains(p), "contains {:?} {:?}", s, p);
                assert_eq!(
                    split_once(s, p),
                    s.split_once(p),
                    "split_once {:?} {:?}",
                    s,
                    p
                );
                if !p.is_empty() {
                    let mine: Vec<&str> = split(s, p).collect();
                    let std: Vec<&str> = s.split(p).collect();
                    assert_eq!(mine, std, "split {:?} {:?}", s, p);
                }
            }
            for set in [&b"/?#\\"[..], b"@", b"]", b"?#\\", b"&=", b""] {
                let chars: Vec<char> = set.iter().map(|&b| b as char).collect();
                assert_eq!(
                    find_any(s, set),
                    s.find(&chars[..]),
                    "find_any {:?} {:?}",
                    s,
                    set
                );
            }
        }
    }
}
