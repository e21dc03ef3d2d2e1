//! Opaque identifiers. Tokens mimic RingCentral's shape: base64url of
//! `"<routing key>|<payload>"`, here `EMU01P01PAS00|<random>`, so anything that does
//! not decode to that prefix can be told apart as "unparsable" (OAU-149).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use std::cell::RefCell;

const TOKEN_PREFIX: &str = "EMU01P01PAS00|";

thread_local! {
    /// `None` (the default, and always for the real server): real randomness from `thread_rng`.
    static SEEDED: RefCell<Option<StdRng>> = const { RefCell::new(None) };
}

/// Makes every id drawn on this thread from now on a function of `seed` (a simulator replaying a run);
/// `None` returns to real randomness.
pub fn seed_thread(seed: Option<u64>) {
    SEEDED.with(|s| *s.borrow_mut() = seed.map(StdRng::seed_from_u64));
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    SEEDED.with(|s| match s.borrow_mut().as_mut() {
        Some(rng) => rng.fill_bytes(&mut buf),
        None => rand::thread_rng().fill_bytes(&mut buf),
    });
    buf
}

/// A random base64url string from `n` random bytes.
pub fn random_id(n: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(n))
}

/// A new access token, refresh token or authorization code.
pub fn token() -> String {
    let payload = format!("{TOKEN_PREFIX}{}", random_id(24));
    URL_SAFE_NO_PAD.encode(payload)
}

/// True if `s` has the shape of a token this server could have issued.
pub fn is_token_shaped(s: &str) -> bool {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map(|b| b.starts_with(TOKEN_PREFIX.as_bytes()))
        .unwrap_or(false)
}

/// A UUID-looking value for the `RCRequestId` header.
pub fn request_id() -> String {
    let b = random_bytes(16);
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_repeat_and_unseeded_do_not() {
        seed_thread(Some(7));
        let a = (token(), random_id(16));
        seed_thread(Some(7));
        let b = (token(), random_id(16));
        seed_thread(None);
        assert_eq!(a, b);
        assert!(is_token_shaped(&a.0));
        assert_ne!(token(), token());
    }
}
