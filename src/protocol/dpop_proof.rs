//! DPoP proofs (RFC 9449): the JWT's header and claims as serde types, its base64url segments, and `htu` of a
//! URL (a `use_dpop_nonce` challenge is read by `response::api_answer`). Only the
//! ECDSA signature is the browser's (WebCrypto, with the non-extractable key); everything else is here and
//! tested on the host.

use serde::Serialize;

use super::bytes;
use super::encoding::base64url_nopad;
use super::serde_fields::Sink;

/// The error a server answers when a proof lacks the nonce it wants (RFC 9449 §8, §9).
pub const USE_DPOP_NONCE: &str = "use_dpop_nonce";

/// Serializes a value as JSON text. The browser layer uses `JSON.stringify` (no JSON writer in the wasm), host
/// tests serde_json: the same serde types either way.
pub trait JsonText {
    fn text<T: Serialize>(&self, v: &T) -> String;
}

/// A JSON object's text written field by field ([`Sink`]): the browser layer's is a JS object and
/// `JSON.stringify`, so the wasm links no serializer ([`signing_input_by`]; host tests check it writes what
/// [`signing_input`] writes).
pub trait ObjectText {
    type Sink: Sink;
    fn object_text(&self, write: impl FnOnce(&mut Self::Sink)) -> String;
}

/// The public half of the session's P-256 key, as RFC 7518 §6.2 spells it (`x`, `y`: base64url coordinates).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Jwk {
    pub kty: &'static str,
    pub crv: &'static str,
    pub x: String,
    pub y: String,
}

impl Jwk {
    pub fn p256(x: String, y: String) -> Jwk {
        Jwk { kty: "EC", crv: "P-256", x, y }
    }

    /// Written field by field as its `Serialize` writes it.
    fn write(&self, o: &mut impl Sink) {
        o.text("kty", self.kty);
        o.text("crv", self.crv);
        o.text("x", &self.x);
        o.text("y", &self.y);
    }
}

#[derive(Serialize)]
struct Header<'a> {
    typ: &'static str,
    alg: &'static str,
    jwk: &'a Jwk,
}

/// The claims of one proof (RFC 9449 §4.2). `iat` in seconds.
#[derive(Serialize, Debug, PartialEq)]
pub struct Claims {
    pub jti: String,
    pub htm: String,
    pub htu: String,
    pub iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// base64url SHA-256 of the access token, on requests that carry one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ath: Option<String>,
}

impl Claims {
    /// `jti_bytes`: at least 16 random bytes (RFC 9449 asks for enough entropy that a jti never repeats);
    /// `url`: the request's URL, whose query and fragment are dropped; `sha256_of_token`: the access token's
    /// digest, when the request carries one.
    pub fn new(jti_bytes: &[u8], method: &str, url: &str, now_ms: f64, nonce: Option<&str>, sha256_of_token: Option<&[u8]>) -> Claims {
        Claims {
            jti: base64url_nopad(jti_bytes),
            // As sent: methods are case-sensitive (fetch upper-cases only the standard ones; `patch` goes as is).
            htm: method.to_string(),
            htu: htu(url).to_string(),
            iat: (now_ms / 1000.0) as u64,
            nonce: nonce.map(str::to_string),
            ath: sha256_of_token.map(base64url_nopad),
        }
    }
}

impl Claims {
    /// Written field by field as its `Serialize` writes it (absent optionals omitted).
    fn write(&self, o: &mut impl Sink) {
        o.text("jti", &self.jti);
        o.text("htm", &self.htm);
        o.text("htu", &self.htu);
        o.count("iat", self.iat);
        o.maybe_text("nonce", &self.nonce);
        o.maybe_text("ath", &self.ath);
    }
}

/// [`signing_input`] with the header and claims written field by field ([`ObjectText`]): what the wasm runs.
pub fn signing_input_by(json: &impl ObjectText, jwk: &Jwk, claims: &Claims) -> String {
    let header = json.object_text(|o| {
        o.text("typ", "dpop+jwt");
        o.text("alg", "ES256");
        o.object("jwk", |j| jwk.write(j));
    });
    let mut s = base64url_nopad(header.as_bytes());
    s.push('.');
    s.push_str(&base64url_nopad(json.object_text(|o| claims.write(o)).as_bytes()));
    s
}

/// `base64url(header) . base64url(claims)`: the text the key signs.
pub fn signing_input(json: &impl JsonText, jwk: &Jwk, claims: &Claims) -> String {
    let header = json.text(&Header { typ: "dpop+jwt", alg: "ES256", jwk });
    let mut s = base64url_nopad(header.as_bytes());
    s.push('.');
    s.push_str(&base64url_nopad(json.text(claims).as_bytes()));
    s
}

/// The compact JWS: the signing input and the signature, which for ES256 is the raw `r ‖ s` (64 bytes) that
/// WebCrypto's ECDSA returns (RFC 7518 §3.4), base64url.
pub fn compact(signing_input: String, signature: &[u8]) -> String {
    let mut s = signing_input;
    s.push('.');
    s.push_str(&base64url_nopad(signature));
    s
}

/// The `htu` of a request URL: without query and fragment (RFC 9449 §4.2).
pub fn htu(url: &str) -> &str {
    match bytes::find_any(url, b"?#") {
        // (`i` is an ASCII byte's index: `get` never fails.)
        Some(i) => url.get(..i).unwrap_or(url),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct SerdeJson;
    impl JsonText for SerdeJson {
        fn text<T: Serialize>(&self, v: &T) -> String {
            serde_json::to_string(v).unwrap()
        }
    }

    fn b64d(s: &str) -> Vec<u8> {
        // A test-only decoder, to read back what base64url_nopad wrote.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = 0u32;
        let mut n = 0;
        let mut out = Vec::new();
        for c in s.bytes() {
            bits = (bits << 6) | A.iter().position(|&x| x == c).unwrap() as u32;
            n += 6;
            if n >= 8 {
                n -= 8;
                out.push((bits >> n) as u8);
            }
        }
        out
    }

    struct MapJson;
    impl ObjectText for MapJson {
        type Sink = serde_json::Map<String, serde_json::Value>;
        fn object_text(&self, write: impl FnOnce(&mut Self::Sink)) -> String {
            let mut o = serde_json::Map::new();
            write(&mut o);
            serde_json::to_string(&o).unwrap()
        }
    }

    #[test]
    fn written_field_by_field_as_the_derive_writes() {
        let parsed = |input: &str| -> Vec<serde_json::Value> {
            input.split('.').map(|p| serde_json::from_slice(&b64d(p)).unwrap()).collect()
        };
        let digest = [7u8; 32];
        for (nonce, ath) in [(Some("n-1"), Some(&digest[..])), (None, None)] {
            let c = Claims::new(&[1u8; 16], "POST", "https://as.example/token?x=1#f", 1_700_000_000_999.0, nonce, ath);
            assert_eq!(parsed(&signing_input_by(&MapJson, &jwk(), &c)), parsed(&signing_input(&SerdeJson, &jwk(), &c)));
        }
    }

    fn jwk() -> Jwk {
        Jwk::p256("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU".into(), "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0".into())
    }

    #[test]
    fn proof_header_and_claims() {
        let digest = [7u8; 32];
        let c = Claims::new(&[1u8; 16], "POST", "https://as.example/token?x=1#f", 1_700_000_000_999.0, Some("n-1"), Some(&digest));
        let input = signing_input(&SerdeJson, &jwk(), &c);
        let (h, p) = input.split_once('.').unwrap();
        let header: serde_json::Value = serde_json::from_slice(&b64d(h)).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"], serde_json::json!({"kty":"EC","crv":"P-256","x":jwk().x,"y":jwk().y}));
        assert_eq!(header.as_object().unwrap().len(), 3, "nothing else in the header (no private key part)");
        let claims: serde_json::Value = serde_json::from_slice(&b64d(p)).unwrap();
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["htu"], "https://as.example/token");
        assert_eq!(claims["iat"], 1_700_000_000u64);
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(claims["ath"], base64url_nopad(&digest));
        assert_eq!(b64d(claims["jti"].as_str().unwrap()).len(), 16, "128 random bits");
        assert!(!input.contains('=') && !input.contains('+') && !input.contains('/'));

        let bare = Claims::new(&[2u8; 16], "GET", "https://rs.example/me", 0.0, None, None);
        let text = SerdeJson.text(&bare);
        assert!(!text.contains("nonce") && !text.contains("ath"), "{text}");

        let jws = compact(input.clone(), &[0xff; 64]);
        let sig = jws.rsplit('.').next().unwrap();
        assert_eq!(b64d(sig), vec![0xff; 64]);
        assert_eq!(jws.matches('.').count(), 2);
    }

    #[test]
    fn htu_drops_query_and_fragment() {
        assert_eq!(htu("https://a.example/p/q?x=1&y#z"), "https://a.example/p/q");
        assert_eq!(htu("https://a.example/p#z?x"), "https://a.example/p");
        assert_eq!(htu("https://a.example/p"), "https://a.example/p");
    }
}
