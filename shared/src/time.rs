//! Instants and spans of time.
//!
//! `shared` never reads a clock: every function that needs "now" takes a
//! [`Timestamp`] parameter, read at the edges (the worker's `Date.now()`, the
//! widget's `Date.now()`). `SystemTime::now()` would panic on wasm32.

use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant, as whole milliseconds since 1970-01-01T00:00:00Z.
///
/// It serialises as RFC 3339 in UTC with millisecond precision
/// (`2026-11-30T19:17:38.123Z`), the form every API response uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// A span of time, in whole seconds (SLA targets are never finer than that).
///
/// In configuration it is written as a number and a unit: `90s`, `30m`,
/// `4h`, `3d`, or a sum such as `1h30m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(i64);

/// Why a timestamp or duration could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeError {
    /// Not `YYYY-MM-DDTHH:MM:SS[.fff]Z`, or a field out of range.
    BadTimestamp,
    /// Not a sum of `<number><unit>` with units `d`, `h`, `m`, `s`.
    BadDuration,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadTimestamp => "expected an RFC 3339 UTC time such as 2026-01-31T09:00:00Z",
            Self::BadDuration => "expected a duration such as 90s, 30m, 4h, 3d or 1h30m",
        })
    }
}

impl std::error::Error for TimeError {}

const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    /// The instant `ms` milliseconds after the Unix epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This instant moved forward by `span` (saturating at the far future).
    #[must_use]
    pub const fn plus(self, span: Duration) -> Self {
        Self(self.0.saturating_add(span.0.saturating_mul(1000)))
    }

    /// Reads the RFC 3339 UTC form this type writes (`Z` suffix, optional
    /// fraction of up to nine digits, truncated to milliseconds).
    ///
    /// # Errors
    /// [`TimeError::BadTimestamp`] for anything else.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let b = text.as_bytes();
        let bad = TimeError::BadTimestamp;
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return Err(bad);
        }
        let num = |from: usize, to: usize| -> Result<i64, TimeError> {
            b[from..to].iter().try_fold(0i64, |acc, &c| if c.is_ascii_digit() { Ok(acc * 10 + i64::from(c - b'0')) } else { Err(bad) })
        };
        let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        let rest = &b[19..];
        let (fraction, zone) = match rest.first() {
            Some(b'.') => {
                let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits == 0 || digits > 9 {
                    return Err(bad);
                }
                let mut ms = num(20, 20 + digits.min(3))?;
                for _ in digits..3 {
                    ms *= 10;
                }
                (ms, &rest[1 + digits..])
            }
            _ => (0, rest),
        };
        if zone != b"Z" || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(bad);
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(bad);
        }
        let days = days_from_civil(year, month, day);
        Ok(Self(days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + fraction))
    }
}

impl Timestamp {
    /// RFC 3339 in UTC with milliseconds (`2026-12-06T09:30:00.000Z`),
    /// written digit by digit into a buffer of its own for the years
    /// 0–9999 (the formatting machinery costs more than the rest of a
    /// queue page's rows together); `None` for other years.
    fn rfc3339(self) -> Option<[u8; 24]> {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return None;
        }
        let seconds = ms_of_day / 1000;
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, width: usize, mut value: i64| {
            for i in (at..at + width).rev() {
                // A digit: `value % 10` is 0–9.
                out[i] = b'0' + u8::try_from(value % 10).unwrap_or(0);
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, seconds / 3600);
        put(14, 2, seconds / 60 % 60);
        put(17, 2, seconds % 60);
        put(20, 3, ms_of_day % 1000);
        Some(out)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.rfc3339() {
            // Only ASCII digits and separators were written.
            return f.write_str(core::str::from_utf8(&text).unwrap_or_default());
        }
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds = ms_of_day / 1000;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60,
            ms_of_day % 1000
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339() {
            Some(text) => serializer.serialize_str(core::str::from_utf8(&text).unwrap_or_default()),
            None => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for the
// proleptic Gregorian calendar, no tables.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Duration {
    /// A span of `seconds` seconds.
    pub const fn from_secs(seconds: i64) -> Self {
        Self(seconds)
    }

    /// A span of `hours` hours.
    pub const fn from_hours(hours: i64) -> Self {
        Self(hours * 3600)
    }

    /// The span in whole seconds.
    pub const fn as_secs(self) -> i64 {
        self.0
    }

    /// Reads `90s`, `30m`, `4h`, `3d` or a sum of them (`1h30m`).
    ///
    /// # Errors
    /// [`TimeError::BadDuration`] for an empty string, a missing number or
    /// unit, an unknown unit, or a total that overflows.
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let bad = TimeError::BadDuration;
        let mut total: i64 = 0;
        let mut number: Option<i64> = None;
        for c in text.chars() {
            if let Some(digit) = c.to_digit(10) {
                let n = number.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(i64::from(digit)));
                number = Some(n.ok_or(bad)?);
                continue;
            }
            let unit = match c {
                'd' => 86_400,
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => return Err(bad),
            };
            let n = number.take().ok_or(bad)?;
            total = n.checked_mul(unit).and_then(|s| total.checked_add(s)).ok_or(bad)?;
        }
        if number.is_some() || text.is_empty() {
            return Err(bad);
        }
        Ok(Self(total))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_rfc3339() {
        for (ms, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_000, "1970-01-01T00:00:01.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_796_066_258_123, "2026-11-30T19:17:38.123Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
        ] {
            let t = Timestamp::from_millis(ms);
            assert_eq!(t.to_string(), text);
            assert_eq!(Timestamp::parse(text), Ok(t), "{text}");
        }
    }

    #[test]
    fn a_timestamp_out_of_four_digit_years_still_prints_and_serializes() {
        let far = Timestamp::from_millis(253_402_300_800_000);
        assert_eq!(far.to_string(), "10000-01-01T00:00:00.000Z");
        assert_eq!(serde_json::to_string(&far).ok().as_deref(), Some("\"10000-01-01T00:00:00.000Z\""));
        let near = Timestamp::from_millis(1_796_066_258_123);
        assert_eq!(serde_json::to_string(&near).ok().as_deref(), Some("\"2026-11-30T19:17:38.123Z\""));
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// The digit-by-digit printing reads back to the same instant in
        /// any year from 0 to 9999 (parsing is written apart).
        #[test]
        fn every_four_digit_year_instant_reads_back(ms in -62_167_219_200_000_i64..253_402_300_800_000) {
            let t = Timestamp::from_millis(ms);
            let text = t.to_string();
            proptest::prop_assert_eq!(text.len(), 24);
            proptest::prop_assert_eq!(Timestamp::parse(&text), Ok(t));
        }
    }

    #[test]
    fn timestamp_parse_accepts_other_fractions_and_rejects_junk() {
        let check = |text: &str, ms: Option<i64>| {
            assert_eq!(Timestamp::parse(text).ok().map(Timestamp::as_millis), ms, "{text}");
        };
        check("2026-11-30T19:17:38Z", Some(1_796_066_258_000));
        check("2026-11-30T19:17:38.1Z", Some(1_796_066_258_100));
        check("2026-11-30T19:17:38.123456789Z", Some(1_796_066_258_123));
        check("2026-02-29T00:00:00Z", None);
        check("2026-13-01T00:00:00Z", None);
        check("2026-11-30T24:00:00Z", None);
        check("2026-11-30T19:17:38+01:00", None);
        check("2026-11-30 19:17:38Z", None);
        check("2026-11-30T19:17:38.Z", None);
        check("", None);
    }

    #[test]
    fn durations_parse_and_print() {
        for (text, secs) in [("90s", 90), ("30m", 1800), ("4h", 14_400), ("3d", 259_200), ("1h30m", 5400)] {
            assert_eq!(Duration::parse(text), Ok(Duration::from_secs(secs)), "{text}");
        }
        assert_eq!(Duration::from_secs(5400).to_string(), "1h30m");
        assert_eq!(Duration::from_hours(72).to_string(), "3d");
        for bad in ["", "4", "h", "4x", "1.5h", "-1h", "99999999999999999999s"] {
            assert_eq!(Duration::parse(bad), Err(TimeError::BadDuration), "{bad}");
        }
    }

    #[test]
    fn plus_adds_seconds() {
        let t = Timestamp::from_millis(1_000);
        assert_eq!(t.plus(Duration::from_hours(1)).as_millis(), 3_601_000);
    }
}
