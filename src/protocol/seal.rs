//! Integrity envelope for stored strings: `v1.<8 hex FNV-1a-32 of the text>.<text>`.
//!
//! It detects truncation, partial cookie loss and accidental edits. It is NOT a MAC: anyone who can
//! write the storage can recompute it, so it gives no protection against a deliberate attacker
//! (who, being able to write our storage, already runs script on the origin).

use super::encoding::{fnv1a32, push_hex};
use super::error::{corrupt, Error};

const PREFIX: &str = "v1.";

pub fn seal(json_text: &str) -> String {
    let mut s = String::with_capacity(json_text.len() + 12);
    s.push_str(PREFIX);
    push_hex(&mut s, fnv1a32(json_text.as_bytes()) as u64, 8);
    s.push('.');
    s.push_str(json_text);
    s
}

/// The original text, or `corrupt_storage` when the envelope or the checksum does not match.
pub fn unseal(s: &str) -> Result<&str, Error> {
    let bad = || corrupt("stored data failed its integrity check");
    let rest = s.strip_prefix(PREFIX).ok_or_else(bad)?;
    let hex = rest.get(..8).ok_or_else(bad)?;
    let text = rest
        .get(8..)
        .and_then(|r| r.strip_prefix('.'))
        .ok_or_else(bad)?;
    let mut want = String::with_capacity(8);
    push_hex(&mut want, fnv1a32(text.as_bytes()) as u64, 8);
    // Lower-case hex only: exactly what `seal` writes.
    if hex == want {
        Ok(text)
    } else {
        Err(bad())
    }
}

/// Prefix of a value sealed with AES-GCM (the browser layer's cookie seal): `v2.<base64url(iv ‖ ciphertext ‖ tag)>`.
/// The checksum above stays for sessionStorage, which only the origin's own script can write.
pub const AEAD_PREFIX: &str = "v2.";

/// The base64url body of an AES-GCM sealed value, or `corrupt_storage` when the envelope is not one
/// (an unsealed or checksum-sealed value, or characters base64url never uses). Opening is the browser's job.
pub fn aead_body(s: &str) -> Result<&str, Error> {
    let body = s
        .strip_prefix(AEAD_PREFIX)
        .filter(|b| b.len() >= 38 && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'))
        .ok_or_else(|| corrupt("stored data is not sealed"))?;
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    #[test]
    fn round_trip() {
        for text in ["", "{}", r#"{"v":1,"access_token":"a"}"#, "é😀\u{2028}"] {
            let s = seal(text);
            assert!(s.starts_with("v1."));
            assert_eq!(s.len(), text.len() + 12);
            assert_eq!(unseal(&s).unwrap(), text);
        }
        assert_eq!(seal(""), "v1.811c9dc5.");
    }

    #[test]
    fn tampering_is_detected() {
        let s = seal(r#"{"v":1,"access_token":"abc","expires_at_ms":1700003599000}"#);
        let mut cases: Vec<String> = vec![
            s[..s.len() - 1].to_string(), // truncated
            s.replace("abc", "abd"),      // edited
            s.replace("1700003599000", "9700003599000"),
            s.replacen("v1.", "v2.", 1), // version
            s.to_uppercase(),            // hex case and content
            s.replacen('.', "", 1),
            String::new(),
            "v1.".to_string(),
            "v1.1234567".to_string(),
            "v1.12345678".to_string(),   // no separator
            "v1.é2345678.x".to_string(), // non-ASCII where hex should be
            r#"{"v":1}"#.to_string(),    // unsealed
        ];
        cases.push(s.clone() + " ");
        for c in cases {
            assert_eq!(
                unseal(&c).unwrap_err().code,
                ErrorCode::CorruptStorage,
                "{:?}",
                c
            );
        }
        assert!(unseal(&s).is_ok());
    }

    #[test]
    fn aead_envelope() {
        let b = "A".repeat(38);
        assert_eq!(aead_body(&format!("v2.{b}")).unwrap(), b);
        for bad in [String::new(), "v2.".into(), format!("v1.{b}"), format!("v2.{b}="), format!("v2.{b}+"), "v2.short".into()] {
            assert_eq!(aead_body(&bad).unwrap_err().code, ErrorCode::CorruptStorage, "{bad:?}");
        }
    }
}
