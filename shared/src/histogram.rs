//! Fine-grained duration histograms: percentiles that merge.
//!
//! A percentile of a union is not a function of the parts' percentiles,
//! but a histogram of a union is the sum of the parts' histograms. The
//! metrics' hourly roll-ups keep each duration metric as one of these, so
//! a report over any run of hours adds them up and reads its median and
//! p90 from the sum.
//!
//! Bucket width, in seconds, by the duration it holds:
//!
//! | durations | width | relative error at most |
//! |---|---|---|
//! | 0 | one bucket of its own | exact |
//! | up to 4 h | 1 minute | 1 minute absolute; 1.7 % from 1 h |
//! | up to 24 h | 5 minutes | 2.1 % |
//! | up to 30 days | 1 hour | 4.2 % |
//! | up to 400 days | 1 day | 3.3 % |
//! | beyond | one last bucket | read as 400 days |
//!
//! A bucket holds the durations above its lower bound up to its upper
//! bound, inclusive, and a percentile read from a histogram is its
//! bucket's upper bound: never below the exact nearest-rank value, and
//! above it by less than one bucket's width. Every bound of the coarse
//! distribution the report shows (1 h, 4 h, 24 h, 72 h) is a bucket
//! bound, so that distribution is exact from a histogram too.

use core::fmt::Write as _;

/// `(up to, width)`: the ranges of durations (seconds, inclusive) and
/// their bucket width, in order (see the module's table).
pub const RANGES: [(i64, i64); 4] = [(4 * 3600, 60), (24 * 3600, 300), (30 * 86_400, 3600), (400 * 86_400, 86_400)];

/// The bucket of a duration in seconds (negative ones count as 0).
pub fn bucket(seconds: i64) -> u32 {
    let value = seconds.max(0);
    if value == 0 {
        return 0;
    }
    let (mut index, mut low) = (1i64, 0i64);
    for (high, width) in RANGES {
        if value <= high {
            return (index + (value - low - 1) / width) as u32;
        }
        index += (high - low) / width;
        low = high;
    }
    index as u32
}

/// The largest duration, in seconds, that bucket `index` holds (the last
/// bucket, open-ended, gives the last finite bound).
pub fn upper(index: u32) -> i64 {
    if index == 0 {
        return 0;
    }
    let (mut first, mut low) = (1i64, 0i64);
    for (high, width) in RANGES {
        let count = (high - low) / width;
        if i64::from(index) < first + count {
            return low + (i64::from(index) - first + 1) * width;
        }
        first += count;
        low = high;
    }
    low
}

/// Counts of durations by bucket, sparse and sorted by bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<(u32, u64)>,
}

impl Histogram {
    /// Counts one duration in seconds.
    pub fn add(&mut self, seconds: i64) {
        self.add_bucket(bucket(seconds), 1);
    }

    fn add_bucket(&mut self, index: u32, count: u64) {
        match self.counts.binary_search_by_key(&index, |(i, _)| *i) {
            Ok(at) => self.counts[at].1 += count,
            Err(at) => self.counts.insert(at, (index, count)),
        }
    }

    /// Adds another histogram's counts to this one.
    pub fn merge(&mut self, other: &Self) {
        if self.counts.is_empty() {
            self.counts.clone_from(&other.counts);
            return;
        }
        for (index, count) in &other.counts {
            self.add_bucket(*index, *count);
        }
    }

    /// How many durations it holds.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    /// How many durations of at most `seconds` it holds (exact when
    /// `seconds` is a bucket bound).
    pub fn at_most(&self, seconds: i64) -> u64 {
        let last = bucket(seconds);
        self.counts.iter().take_while(|(i, _)| *i <= last).map(|(_, n)| n).sum()
    }

    /// The nearest-rank percentile `p` (0–100), as its bucket's upper
    /// bound; none when empty.
    pub fn percentile(&self, p: u32) -> Option<i64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = (total * u64::from(p)).div_ceil(100).max(1);
        let mut seen = 0;
        for (index, count) in &self.counts {
            seen += count;
            if seen >= rank {
                return Some(upper(*index));
            }
        }
        self.counts.last().map(|(i, _)| upper(*i))
    }

    /// A compact text form: each non-empty bucket as its distance from
    /// the previous one (base 36), with `*count` when it holds more than
    /// one, separated by `.`; empty when it holds nothing.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let mut previous = 0u32;
        for (n, (index, count)) in self.counts.iter().enumerate() {
            if n > 0 {
                out.push('.');
            }
            push_base36(&mut out, u64::from(index - previous));
            if *count > 1 {
                out.push('*');
                push_base36(&mut out, *count);
            }
            previous = *index;
        }
        out
    }

    /// Reads [`Self::encode`]'s form.
    ///
    /// # Errors
    /// What is wrong with the text.
    pub fn decode(text: &str) -> Result<Self, String> {
        let mut histogram = Self::default();
        let mut index = 0u32;
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let (step, count) = match part.split_once('*') {
                Some((step, count)) => (base36(step)?, base36(count)?),
                None => (base36(part)?, 1),
            };
            index = u32::try_from(step).ok().and_then(|s| index.checked_add(s)).ok_or_else(|| format!("bucket out of range: {text}"))?;
            histogram.add_bucket(index, count);
        }
        Ok(histogram)
    }
}

/// Kept as its compact text ([`Histogram::encode`]).
impl serde::Serialize for Histogram {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl<'de> serde::Deserialize<'de> for Histogram {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::decode(&text).map_err(serde::de::Error::custom)
    }
}

pub(crate) fn push_base36(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 13];
    let mut len = 0;
    loop {
        digits[len] = b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize];
        len += 1;
        n /= 36;
        if n == 0 {
            break;
        }
    }
    for d in digits[..len].iter().rev() {
        let _ = out.write_char(char::from(*d));
    }
}

pub(crate) fn base36(text: &str) -> Result<u64, String> {
    u64::from_str_radix(text, 36).map_err(|_| format!("not a base-36 number: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_duration_falls_in_a_bucket_no_wider_than_documented() {
        // (duration, the width of its bucket)
        let cases =
            [(1, 60), (59, 60), (3600, 60), (4 * 3600, 60), (4 * 3600 + 1, 300), (86_400, 300), (86_401, 3600), (30 * 86_400, 3600)];
        for (seconds, width) in cases {
            let b = bucket(seconds);
            let (high, low) = (upper(b), upper(b - 1));
            assert!(low < seconds && seconds <= high, "{seconds} in ({low}, {high}]");
            assert_eq!(high - low, width, "{seconds}");
        }
        assert_eq!((bucket(0), upper(0), bucket(-5)), (0, 0, 0));
        let beyond = bucket(500 * 86_400);
        assert_eq!((upper(beyond), bucket(401 * 86_400)), (400 * 86_400, beyond), "one open-ended last bucket");
        for seconds in (0..3 * 86_400).step_by(7) {
            assert!(upper(bucket(seconds)) >= seconds && upper(bucket(seconds)) - seconds < 3600, "{seconds}");
        }
    }

    #[test]
    fn the_coarse_bounds_are_bucket_bounds() {
        for bound in [3600, 4 * 3600, 24 * 3600, 72 * 3600] {
            assert_eq!(upper(bucket(bound)), bound);
            assert_eq!(bucket(bound + 1), bucket(bound) + 1);
        }
        let mut h = Histogram::default();
        for s in [3600, 3601, 7200, 86_400, 90_000] {
            h.add(s);
        }
        assert_eq!((h.at_most(3600), h.at_most(4 * 3600), h.at_most(24 * 3600), h.total()), (1, 3, 4, 5));
    }

    #[test]
    fn percentiles_from_a_histogram_are_within_one_bucket_of_the_exact_ones() {
        let values: Vec<i64> = (0..500).map(|i| (i * i * 37 + 11) % 200_000).collect();
        let mut h = Histogram::default();
        values.iter().for_each(|v| h.add(*v));
        let mut sorted = values;
        sorted.sort_unstable();
        for p in [1, 50, 90, 99, 100] {
            let exact = sorted[(sorted.len() * p as usize).div_ceil(100) - 1];
            let read = h.percentile(p).unwrap_or_default();
            assert_eq!(bucket(read), bucket(exact), "p{p}: {read} and {exact} share a bucket");
            assert!(read >= exact);
        }
        assert_eq!(Histogram::default().percentile(50), None);
    }

    #[test]
    fn histograms_merge_and_round_trip_through_their_text() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        [60, 60, 3600, 90_000].iter().for_each(|s| a.add(*s));
        [61, 3600, 40 * 86_400].iter().for_each(|s| b.add(*s));
        let mut both = a;
        both.merge(&b);
        assert_eq!(both.total(), 7);
        assert_eq!(both.at_most(3600), 5);
        let text = both.encode();
        assert_eq!(Histogram::decode(&text), Ok(both), "{text}");
        assert_eq!(Histogram::decode(""), Ok(Histogram::default()));
        assert!(Histogram::decode("1.x!").is_err());
    }
}
