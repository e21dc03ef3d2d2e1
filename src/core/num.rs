//! `f64` rounding without std (the shipped wasm is `no_std`, and core has no float rounding on stable).
//! Same results as std's `trunc`/`floor`/`ceil` for every input, except that a zero result is always `+0.0`.

/// 2^52: every f64 at least this large in magnitude is already an integer.
const INTEGRAL: f64 = 4_503_599_627_370_496.0;

pub fn trunc(x: f64) -> f64 {
    // NaN fails the comparison and comes back as it is, like ±∞ and the large integers.
    if x.abs() < INTEGRAL {
        x as i64 as f64
    } else {
        x
    }
}

pub fn floor(x: f64) -> f64 {
    let t = trunc(x);
    if t > x {
        t - 1.0
    } else {
        t
    }
}

pub fn ceil(x: f64) -> f64 {
    let t = trunc(x);
    if t < x {
        t + 1.0
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_std() {
        let xs = [
            0.0, -0.0, 0.3, -0.3, 0.5, -0.5, 1.0, -1.0, 1.7, -1.7, 2.5, 1e15 + 0.5, -1e15 - 0.5, 4503599627370495.5,
            -4503599627370495.5, 4503599627370496.0, 1e300, -1e300, f64::MAX, f64::MIN, f64::INFINITY,
            f64::NEG_INFINITY, f64::MIN_POSITIVE, 123456.789, -98765.4321,
        ];
        for x in xs {
            // == also equates +0.0 and -0.0, the one documented difference.
            assert_eq!(trunc(x), x.trunc(), "trunc {x}");
            assert_eq!(floor(x), x.floor(), "floor {x}");
            assert_eq!(ceil(x), x.ceil(), "ceil {x}");
        }
        assert!(trunc(f64::NAN).is_nan() && floor(f64::NAN).is_nan() && ceil(f64::NAN).is_nan());
    }
}
