//! PKCE (RFC 7636, S256 only) and the `state` value.
//! SHA-256 itself is computed by the browser layer with `crypto.subtle.digest`.

use super::encoding::{base64url_nopad, is_unreserved};
use super::random::RandomSource;
use super::secret::Secret;

fn random_b64(rng: &mut impl RandomSource) -> String {
    let mut buf = [0u8; 32];
    rng.fill(&mut buf);
    base64url_nopad(&buf)
}

/// 32 random bytes → 43 base64url characters (256 bits, RFC 7636 §4.1).
pub fn new_verifier(rng: &mut impl RandomSource) -> Secret {
    Secret::new(random_b64(rng))
}

/// 43–128 characters from the unreserved set.
pub fn is_valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(is_unreserved)
}

/// `code_challenge` = base64url(SHA-256(verifier)) without padding; `digest` is the SHA-256 output.
pub fn challenge_from_digest(digest: &[u8]) -> String {
    base64url_nopad(digest)
}

/// 32 random bytes → 43 base64url characters (256 bits; RFC 6749 asks for ≥128).
pub fn new_state(rng: &mut impl RandomSource) -> String {
    random_b64(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::random::test_rng::TestRng;
    use sha2::{Digest, Sha256};

    #[test]
    fn rfc7636_appendix_b_vector() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(is_valid_verifier(verifier));
        let digest = Sha256::digest(verifier.as_bytes());
        assert_eq!(
            challenge_from_digest(&digest),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        // The verifier itself is base64url of the RFC's 32 octets.
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        assert_eq!(base64url_nopad(&octets), verifier);
    }

    #[test]
    fn verifier_length_and_charset() {
        let mut rng = TestRng(42);
        let v = new_verifier(&mut rng);
        assert_eq!(v.expose().len(), 43);
        assert!(is_valid_verifier(v.expose()));
        let v2 = new_verifier(&mut rng);
        assert_ne!(v, v2);
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&("a".repeat(42) + "+")));
        assert!(!is_valid_verifier(&("a".repeat(42) + "=")));
        assert!(!is_valid_verifier(&("a".repeat(41) + "é")));
        assert!(is_valid_verifier(&("a".repeat(39) + "-._~")));
    }

    #[test]
    fn state_length_and_entropy_charset() {
        let mut rng = TestRng(7);
        let s = new_state(&mut rng);
        assert_eq!(s.len(), 43); // 43 × 6 bits ≥ 256 bits > 128
        assert!(s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let distinct: std::collections::HashSet<u8> = s.bytes().collect();
        assert!(distinct.len() > 15, "{}", s);
        assert_ne!(new_state(&mut rng), s);
    }
}
