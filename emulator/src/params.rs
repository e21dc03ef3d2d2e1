//! Form/query parameters as RingCentral reads them: an empty value counts as absent,
//! because the JS SDK serialises every key (`state=&prompt=&brand_id=`).

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(input: &[u8]) -> Params {
        Params(form_urlencoded::parse(input).into_owned().collect())
    }

    /// `self`'s values take precedence over `other`'s (get() returns the first match).
    pub fn merged(mut self, other: Params) -> Params {
        self.0.extend(other.0);
        self
    }

    /// The first non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// The first name that occurs more than once with a non-empty value (RC: OAU-111).
    pub fn duplicate(&self) -> Option<&str> {
        let mut seen = std::collections::HashSet::new();
        self.0
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .find(|(k, _)| !seen.insert(k.as_str()))
            .map(|(k, _)| k.as_str())
    }

    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.0.iter().cloned().collect()
    }
}

/// An integer parameter; the token endpoint has already refused non-integers (`token::check_int32`).
pub fn int(value: Option<&str>) -> Option<i64> {
    value?.parse().ok()
}

/// Builds `k=v&k=v` with form encoding (spaces as `+`), as RC's query redirects do.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Builds `k=v&k=v` with percent encoding (spaces as `%20`), as RC's implicit fragment
/// does (`scope=Contacts%20ReadCallLog`); this also survives a bare decodeURIComponent.
pub fn fragment_encode(pairs: &[(&str, &str)]) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, SET),
                utf8_percent_encode(v, SET)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}
