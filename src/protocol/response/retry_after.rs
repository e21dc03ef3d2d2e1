//! `Retry-After` (RFC 9110 §10.2.3): delta-seconds or an HTTP date, as whole seconds from now.

use crate::protocol::bytes;

/// Retry-After values are capped at one hour.
const MAX_RETRY_AFTER_S: u32 = 3600;

/// `Retry-After` as delta-seconds (`120`) or an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`),
/// converted to whole seconds from `now_ms` (≥ 0, rounded up), capped at 1 hour. `None` when
/// unparsable.
pub fn parse_retry_after(v: &str, now_ms: f64) -> Option<u32> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        let n = v.bytes().fold(0u64, |a, b| {
            a.saturating_mul(10).saturating_add((b - b'0') as u64)
        });
        return Some(n.min(MAX_RETRY_AFTER_S as u64) as u32);
    }
    let at = http_date_ms(v)?;
    let secs = ((at - now_ms) / 1000.0).ceil();
    Some(if secs > 0.0 {
        secs.min(MAX_RETRY_AFTER_S as f64) as u32
    } else {
        0
    })
}

fn num(s: &str, len: ::core::ops::RangeInclusive<usize>) -> Option<i64> {
    if !len.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0i64, |a, b| a * 10 + (b - b'0') as i64))
}

/// IMF-fixdate → Unix ms. The day name is not checked.
fn http_date_ms(s: &str) -> Option<f64> {
    let (_, rest) = bytes::split_once(s, ", ")?;
    let mut it = bytes::split(rest, " ");
    let day = num(it.next()?, 1..=2)?;
    let mon = it.next()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == mon)? as i64
        + 1;
    let year = num(it.next()?, 4..=4)?;
    let mut hms = bytes::split(it.next()?, ":");
    let h = num(hms.next()?, 2..=2)?;
    let mi = num(hms.next()?, 2..=2)?;
    let sec = num(hms.next()?, 2..=2)?;
    if hms.next().is_some() || it.next()? != "GMT" || it.next().is_some() {
        return None;
    }
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    // Days from civil (H. Hinnant), proleptic Gregorian, relative to 1970-01-01.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + sec) * 1000) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: f64 = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("120", NOW), Some(120));
        assert_eq!(parse_retry_after(" 0 ", NOW), Some(0));
        assert_eq!(
            parse_retry_after("999999999999999999999999", NOW),
            Some(3600)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NOW),
            Some(0)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", NOW),
            Some(30)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", NOW + 500.0),
            Some(30)
        ); // rounds up
        assert_eq!(
            parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", NOW),
            Some(0)
        ); // past
        assert_eq!(
            parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", NOW),
            Some(3600)
        ); // capped
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", 0.0),
            Some(10)
        );
        assert_eq!(
            parse_retry_after(
                "Tue, 29 Feb 2028 12:00:00 GMT",
                1_835_438_400_000.0 - 5000.0
            ),
            Some(5)
        );
        for bad in [
            "",
            "-5",
            "1.5",
            "soon",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT x",
        ] {
            assert_eq!(parse_retry_after(bad, NOW), None, "{:?}", bad);
        }
    }
}
