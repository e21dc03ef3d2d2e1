//! serde building blocks shared by the typed bodies (config, token and error responses): a field whose type
//! error names it, a field whose type error is ignored, a string-or-number scalar and a string-or-list.
//!
//! The wasm never parses JSON text in Rust: the browser's `JSON.parse` builds the value and
//! serde-wasm-bindgen reads the typed struct from it, looking up only the struct's own fields (so a body with
//! 40,000 unknown keys costs 40,000 keys of `JSON.parse` and nothing more). Host tests feed the same structs
//! from `serde_json::Value`.

use ::core::fmt;
use ::core::marker::PhantomData;

use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, SeqAccess, Visitor};

/// Upper bound for a body we parse (token endpoint answers, 401 bodies): anything longer is not read as JSON.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What a [`named`] field fails with, `"<field>: <problem>"`; the const parameter of [`named`] indexes it.
/// The browser and host deserializers differ in their own messages; these are ours, matched exactly.
pub const FIELD_ERRORS: &[&str] = &[
    "clientId: must be a string",
    "server: must be a string",
    "redirectUri: must be a string",
    "flow: must be \"pkce\" or \"implicit\"",
    "storage: must be \"sessionStorage\", \"cookie\" or \"memory\"",
    "refreshTokens: must be a boolean",
    "accessTokenTtl: must be a non-negative integer",
    "refreshTokenTtl: must be a non-negative integer",
    "refreshMarginSeconds: must be a non-negative integer",
    "apiOrigins: must be an array of absolute http(s) URLs",
    "endpoints: must be an object",
    "endpoints.authorize: must be a string",
    "endpoints.token: must be a string",
    "endpoints.revoke: must be a string",
    "authorizeParams: must be an object",
    "authorizeParams.brand_id: must be a string",
    "authorizeParams.display: must be a string",
    "authorizeParams.prompt: must be a string",
    "authorizeParams.ui_locales: must be a string",
    "authorizeParams.login_hint: must be a string",
    "authorizeParams.scope: must be a string",
    "access_token: missing or invalid in the server response",
    "token_type: missing or invalid in the server response",
    "expires_in: missing or invalid in the server response",
    "refresh_token: missing or invalid in the server response",
    "refresh_token_expires_in: missing or invalid in the server response",
    "scope: missing or invalid in the server response",
    "owner_id: missing or invalid in the server response",
    "endpoint_id: missing or invalid in the server response",
    "session_id: missing or invalid in the server response",
    "issuer: must be a string",
    "dpop: must be a boolean",
    "silentRenew: must be a boolean",
    "silentTimeoutSeconds: must be a non-negative integer",
    "popupTimeoutSeconds: must be a non-negative integer",
    "shareTabs: must be a boolean",
];

// Indexes into FIELD_ERRORS, named after the field.
pub const F_CLIENT_ID: usize = 0;
pub const F_SERVER: usize = 1;
pub const F_REDIRECT_URI: usize = 2;
pub const F_FLOW: usize = 3;
pub const F_STORAGE: usize = 4;
pub const F_REFRESH_TOKENS: usize = 5;
pub const F_ACCESS_TOKEN_TTL: usize = 6;
pub const F_REFRESH_TOKEN_TTL: usize = 7;
pub const F_REFRESH_MARGIN: usize = 8;
pub const F_API_ORIGINS: usize = 9;
pub const F_ENDPOINTS: usize = 10;
pub const F_EP_AUTHORIZE: usize = 11;
pub const F_EP_TOKEN: usize = 12;
pub const F_EP_REVOKE: usize = 13;
pub const F_AUTHORIZE_PARAMS: usize = 14;
pub const F_AP_BRAND_ID: usize = 15;
pub const F_AP_DISPLAY: usize = 16;
pub const F_AP_PROMPT: usize = 17;
pub const F_AP_UI_LOCALES: usize = 18;
pub const F_AP_LOGIN_HINT: usize = 19;
pub const F_AP_SCOPE: usize = 20;
pub const F_ACCESS_TOKEN: usize = 21;
pub const F_TOKEN_TYPE: usize = 22;
pub const F_EXPIRES_IN: usize = 23;
pub const F_REFRESH_TOKEN: usize = 24;
pub const F_REFRESH_EXPIRES_IN: usize = 25;
pub const F_SCOPE: usize = 26;
pub const F_OWNER_ID: usize = 27;
pub const F_ENDPOINT_ID: usize = 28;
pub const F_SESSION_ID: usize = 29;
pub const F_ISSUER: usize = 30;
pub const F_DPOP: usize = 31;
pub const F_SILENT_RENEW: usize = 32;
pub const F_SILENT_TIMEOUT: usize = 33;
pub const F_POPUP_TIMEOUT: usize = 34;
pub const F_SHARE_TABS: usize = 35;

/// The entry of [`FIELD_ERRORS`] a deserializer error message carries, if any. Browser errors print as
/// `Error: <message>`; both spellings are recognised.
pub fn field_error(message: &str) -> Option<&'static str> {
    let m = message.strip_prefix("Error: ").unwrap_or(message);
    FIELD_ERRORS.iter().copied().find(|e| *e == m)
}

/// `#[serde(default, deserialize_with = "named::<_, F_X, _>")]`: a value of the wrong type fails with
/// `FIELD_ERRORS[N]`.
pub fn named<'de, T: Deserialize<'de>, const N: usize, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize(d).map_err(|e| rename(e, N))
}

/// [`named`] for a nested object (`Option<T>`): `null` is absent, and anything but an object, an array
/// included (which JS deserializers would otherwise read as an object without fields), fails with
/// `FIELD_ERRORS[N]`. Errors inside the object keep naming their own field.
pub fn named_object<'de, T: Deserialize<'de>, const N: usize, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    d.deserialize_any(ObjectVisitor(PhantomData)).map_err(|e| rename(e, N))
}

/// A parsed JSON object read one field at a time, each with serde (`from_value` of the field's own type): one
/// small read per field type, shared by every field and body of that type, instead of a derived visitor per
/// struct (kilobytes of wasm each). The browser's value in the wasm (`crate::web::json`), `serde_json::Value`
/// in host tests. The derived `Deserialize` of the same structs reads the same keys (tests check it).
pub trait Fields {
    /// The field `key` as `T` (absent reads as `null`: `None` for an `Option`), or the deserializer's message.
    fn field<T: DeserializeOwned>(&self, key: &str) -> Result<T, String>;

    /// The first entry of the list field `key` as `T`, when the field is a list and that entry an object (`None`
    /// otherwise). By default through serde (the list read as [`Maybe`]s); the wasm reads the entry field by
    /// field ([`FromFields`]) instead of linking the entry's derived visitor.
    fn first_entry<T: DeserializeOwned + FromFields>(&self, key: &str) -> Option<T> {
        self.field::<Option<Vec<Maybe<T>>>>(key).ok().flatten()?.into_iter().next()?.0
    }
}

/// A JSON object written field by field (the wasm's: a plain JS object, `Reflect.set` per field), instead of a
/// derived `Serialize` per stored struct (its serializer code in the wasm). Host tests write into a
/// `serde_json::Map` and check it equals what the derived `Serialize` of the same struct writes.
pub trait Sink {
    fn text(&mut self, key: &str, v: &str);
    fn number(&mut self, key: &str, v: f64);
    fn count(&mut self, key: &str, v: u64);
    /// A nested object, written by `write`.
    fn object(&mut self, key: &str, write: impl FnOnce(&mut Self))
    where
        Self: Sized;

    /// An optional text: absent is omitted (`skip_serializing_if = "Option::is_none"`).
    fn maybe_text(&mut self, key: &str, v: &Option<String>) {
        if let Some(x) = v {
            self.text(key, x);
        }
    }
}

/// A struct read field by field from a [`Fields`] (what the wasm runs), besides its derived `Deserialize`.
pub trait FromFields {
    fn from_fields(o: &impl Fields) -> Self;
}

/// The field `key` as [`named`] reads it: a value of the wrong type fails with `FIELD_ERRORS[n]` (a leaf
/// field's deserializer message never names a field; nested objects are read by [`object_field`]).
pub fn named_field<T: DeserializeOwned>(o: &impl Fields, key: &str, n: usize) -> Result<T, &'static str> {
    o.field(key).map_err(|_| FIELD_ERRORS[n])
}

/// The field `key` as [`lenient`] reads it: a value of the wrong type is absent.
pub fn lenient_field<T: DeserializeOwned>(o: &impl Fields, key: &str) -> Option<T> {
    o.field::<Option<T>>(key).ok().flatten()
}

/// A [`Fields`] whose fields can be objects read field by field in turn (the config's `endpoints` and
/// `authorizeParams`), instead of a derived visitor per nested struct.
pub trait Objects: Fields + Sized {
    /// The field `key` as an object: `None` when absent or `null`, `Err` for anything but a plain object (an
    /// array included), as [`named_object`] reads it.
    fn object(&self, key: &str) -> Result<Option<Self>, ()>;
}

/// The field `key` as [`named_object`] reads it, each of the object's fields by `read`: anything but an object
/// fails with `FIELD_ERRORS[n]`; an error inside the object keeps naming its own field.
pub fn object_field<O: Objects, T>(
    o: &O,
    key: &str,
    n: usize,
    read: impl FnOnce(&O) -> Result<T, &'static str>,
) -> Result<Option<T>, &'static str> {
    match o.object(key) {
        Ok(Some(inner)) => read(&inner).map(Some),
        Ok(None) => Ok(None),
        Err(()) => Err(FIELD_ERRORS[n]),
    }
}

/// An error that already names a field (from inside a nested object) is kept; any other becomes entry `n`.
fn rename<E: de::Error>(e: E, n: usize) -> E {
    if field_error(&e.to_string()).is_some() {
        e
    } else {
        E::custom(FIELD_ERRORS[n])
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_unit<E>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
}

/// `#[serde(default, deserialize_with = "lenient")]`: a value of the wrong type reads as absent. Only for
/// value-based deserializers (the browser's parsed value, `serde_json::Value`), which is all we use.
pub fn lenient<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Ok(T::deserialize(d).ok())
}

/// A list element that reads as `None` when it has the wrong type.
#[derive(Clone)]
#[cfg_attr(test, derive(Debug))]
pub struct Maybe<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Maybe<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Maybe(T::deserialize(d).ok()))
    }
}

/// A string or a number, as servers and JS configs write ids and lifetimes (`"3600"` or `3600`).
#[derive(Clone, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub enum Scalar {
    Num(f64),
    Str(String),
}

impl Scalar {
    /// An integral number as decimal digits (ids written as numbers); a string as it is.
    pub fn into_id(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Num(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
                let mut s = String::new();
                if n < 0.0 {
                    s.push('-');
                }
                super::encoding::push_u64(&mut s, n.abs() as u64);
                Some(s)
            }
            Scalar::Num(_) => None,
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// One string or a list of strings (`apiOrigins: 'https://api.example'` or `['https://a', 'https://b']`).
#[derive(Clone, PartialEq, Default)]
#[cfg_attr(test, derive(Debug))]
pub struct OneOrMany(pub Vec<String>);

struct OneOrManyVisitor;

impl<'de> Visitor<'de> for OneOrManyVisitor {
    type Value = OneOrMany;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }
    fn visit_str<E>(self, v: &str) -> Result<OneOrMany, E> {
        Ok(OneOrMany(vec![v.to_string()]))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element::<String>()? {
            out.push(s);
        }
        Ok(OneOrMany(out))
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OneOrManyVisitor)
    }
}

/// `dpop`: `true` / `false`, or `'prefer'` (DPoP asked for, a bearer answer accepted). `Some(prefer)` when on.
#[derive(Clone, Copy, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub struct DpopSetting(pub Option<bool>);

struct DpopVisitor;

impl<'de> Visitor<'de> for DpopVisitor {
    type Value = DpopSetting;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("true, false or \"prefer\"")
    }
    fn visit_bool<E>(self, v: bool) -> Result<DpopSetting, E> {
        Ok(DpopSetting(v.then_some(false)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<DpopSetting, E> {
        match v {
            "prefer" => Ok(DpopSetting(Some(true))),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
}

impl<'de> Deserialize<'de> for DpopSetting {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DpopVisitor)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    /// [`super::Sink`] into a JSON object, to compare with the derived `Serialize`'s.
    impl super::Sink for serde_json::Map<String, serde_json::Value> {
        fn text(&mut self, key: &str, v: &str) {
            self.insert(key.into(), v.into());
        }
        fn number(&mut self, key: &str, v: f64) {
            self.insert(key.into(), v.into());
        }
        fn count(&mut self, key: &str, v: u64) {
            self.insert(key.into(), v.into());
        }
        fn object(&mut self, key: &str, write: impl FnOnce(&mut Self)) {
            let mut o = serde_json::Map::new();
            write(&mut o);
            self.insert(key.into(), o.into());
        }
    }

    use super::*;

    /// The JSON text as the browser would hand it over: parsed first, then read into `T`.
    pub(crate) fn from_text<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        T::deserialize(v).map_err(|e| e.to_string())
    }

    /// Host tests read bodies field by field from `serde_json::Value`, as the wasm does from the browser's value
    /// (a list's first entry too: `web::json`'s `first_entry`).
    impl Fields for serde_json::Value {
        fn field<T: DeserializeOwned>(&self, key: &str) -> Result<T, String> {
            T::deserialize(self.get(key).cloned().unwrap_or_default()).map_err(|e| e.to_string())
        }

        fn first_entry<T: DeserializeOwned + FromFields>(&self, key: &str) -> Option<T> {
            let first = self.get(key)?.as_array()?.first()?;
            first.is_object().then(|| T::from_fields(first))
        }
    }

    /// A parsed value read with [`Fields`]' provided methods only (what the simulator's bodies use).
    pub(crate) struct Provided(pub(crate) serde_json::Value);

    impl Fields for Provided {
        fn field<T: DeserializeOwned>(&self, key: &str) -> Result<T, String> {
            self.0.field(key)
        }
    }

    impl Objects for serde_json::Value {
        fn object(&self, key: &str) -> Result<Option<Self>, ()> {
            match self.get(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(v) if v.is_object() => Ok(Some(v.clone())),
                Some(_) => Err(()),
            }
        }
    }

    /// A [`Fields`] that records the keys asked for (each read as absent).
    pub(crate) struct Keys(pub(crate) core::cell::RefCell<Vec<String>>);

    impl Fields for Keys {
        fn field<T: DeserializeOwned>(&self, key: &str) -> Result<T, String> {
            self.0.borrow_mut().push(key.to_string());
            T::deserialize(serde_json::Value::Null).map_err(|e| e.to_string())
        }
    }

    impl Objects for Keys {
        fn object(&self, key: &str) -> Result<Option<Self>, ()> {
            self.0.borrow_mut().push(key.to_string());
            Ok(None)
        }
    }

    /// The keys `read` asks for, in order.
    pub(crate) fn keys_read<R>(read: impl FnOnce(&Keys) -> R) -> Vec<String> {
        let k = Keys(Default::default());
        let _ = read(&k);
        k.0.into_inner()
    }

    #[test]
    fn indexes_match_the_table() {
        let named = [
            (F_CLIENT_ID, "clientId"),
            (F_SERVER, "server"),
            (F_REDIRECT_URI, "redirectUri"),
            (F_FLOW, "flow"),
            (F_STORAGE, "storage"),
            (F_REFRESH_TOKENS, "refreshTokens"),
            (F_ACCESS_TOKEN_TTL, "accessTokenTtl"),
            (F_REFRESH_TOKEN_TTL, "refreshTokenTtl"),
            (F_REFRESH_MARGIN, "refreshMarginSeconds"),
            (F_API_ORIGINS, "apiOrigins"),
            (F_ENDPOINTS, "endpoints"),
            (F_EP_AUTHORIZE, "endpoints.authorize"),
            (F_EP_TOKEN, "endpoints.token"),
            (F_EP_REVOKE, "endpoints.revoke"),
            (F_AUTHORIZE_PARAMS, "authorizeParams"),
            (F_AP_BRAND_ID, "authorizeParams.brand_id"),
            (F_AP_DISPLAY, "authorizeParams.display"),
            (F_AP_PROMPT, "authorizeParams.prompt"),
            (F_AP_UI_LOCALES, "authorizeParams.ui_locales"),
            (F_AP_LOGIN_HINT, "authorizeParams.login_hint"),
            (F_AP_SCOPE, "authorizeParams.scope"),
            (F_ACCESS_TOKEN, "access_token"),
            (F_TOKEN_TYPE, "token_type"),
            (F_EXPIRES_IN, "expires_in"),
            (F_REFRESH_TOKEN, "refresh_token"),
            (F_REFRESH_EXPIRES_IN, "refresh_token_expires_in"),
            (F_SCOPE, "scope"),
            (F_OWNER_ID, "owner_id"),
            (F_ENDPOINT_ID, "endpoint_id"),
            (F_SESSION_ID, "session_id"),
            (F_ISSUER, "issuer"),
            (F_DPOP, "dpop"),
            (F_SILENT_RENEW, "silentRenew"),
            (F_SILENT_TIMEOUT, "silentTimeoutSeconds"),
            (F_POPUP_TIMEOUT, "popupTimeoutSeconds"),
            (F_SHARE_TABS, "shareTabs"),
        ];
        assert_eq!(named.len(), FIELD_ERRORS.len());
        for (i, field) in named {
            let mut want = field.to_string();
            want.push(':');
            assert!(FIELD_ERRORS[i].starts_with(&want), "{} → {}", field, FIELD_ERRORS[i]);
            assert_eq!(field_error(FIELD_ERRORS[i]), Some(FIELD_ERRORS[i]));
            assert_eq!(field_error(&format!("Error: {}", FIELD_ERRORS[i])), Some(FIELD_ERRORS[i]));
        }
        let rfc = crate::protocol::invalid_response("expires_in").description.unwrap();
        assert_eq!(FIELD_ERRORS[F_EXPIRES_IN], rfc);
        assert_eq!(field_error("invalid type: boolean `true`, expected u32"), None);
    }

    #[test]
    fn scalars_and_lists() {
        assert_eq!(from_text::<Scalar>("\"a\""), Ok(Scalar::Str("a".into())));
        assert_eq!(from_text::<Scalar>("12"), Ok(Scalar::Num(12.0)));
        assert_eq!(from_text::<Scalar>("-1.5"), Ok(Scalar::Num(-1.5)));
        assert!(from_text::<Scalar>("true").is_err() && from_text::<Scalar>("{}").is_err());
        assert_eq!(Scalar::Num(256440016.0).into_id().as_deref(), Some("256440016"));
        assert_eq!(Scalar::Num(-3.0).into_id().as_deref(), Some("-3"));
        assert_eq!(Scalar::Num(1.5).into_id(), None);
        assert_eq!(Scalar::Num(f64::NAN).into_id(), None);
        assert_eq!(from_text::<OneOrMany>("\"x\""), Ok(OneOrMany(vec!["x".into()])));
        assert_eq!(from_text::<OneOrMany>("[\"x\",\"y\"]"), Ok(OneOrMany(vec!["x".into(), "y".into()])));
        assert!(from_text::<OneOrMany>("[5]").is_err() && from_text::<OneOrMany>("5").is_err());
    }
}
