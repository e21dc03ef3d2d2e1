//! A string that must never be logged: access/refresh tokens, authorization codes, PKCE verifiers.

use ::core::fmt;

/// Holds a sensitive string. `Debug` and `Display` print `[redacted]`; use [`Secret::expose`]
/// at the single place where the value really has to leave (a form body, a header, storage).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let s = Secret::new("U1BCMDFUMDRKV1MwMXxz");
        assert_eq!(format!("{:?}", s), "[redacted]");
        assert_eq!(format!("{}", s), "[redacted]");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some([redacted])");
        assert_eq!(s.expose(), "U1BCMDFUMDRKV1MwMXxz");
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(Secret::new("a"), Secret::new(String::from("a")));
        assert_ne!(Secret::new("a"), Secret::new("b"));
    }
}
