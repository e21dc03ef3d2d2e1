//! Source of cryptographically secure random bytes. The browser layer implements it with
//! `crypto.getRandomValues`; tests use a deterministic source.

pub trait RandomSource {
    /// Fills `buf` completely with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

impl<R: RandomSource + ?Sized> RandomSource for Box<R> {
    fn fill(&mut self, buf: &mut [u8]) {
        (**self).fill(buf)
    }
}

#[cfg(test)]
pub(crate) mod test_rng {
    use super::RandomSource;

    /// Deterministic xorshift generator, for tests only.
    pub struct TestRng(pub u64);

    impl RandomSource for TestRng {
        fn fill(&mut self, buf: &mut [u8]) {
            for b in buf.iter_mut() {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                *b = (self.0 >> 24) as u8;
            }
        }
    }

    #[test]
    fn test_rng_fills_whole_buffer() {
        let mut r = TestRng(0x9E37_79B9_7F4A_7C15);
        let mut buf = [0u8; 64];
        r.fill(&mut buf);
        // 64 zero bytes from a working generator is practically impossible.
        assert!(buf.iter().filter(|b| **b != 0).count() > 48);
    }
}
