//! Service levels: policies (targets per segment × priority, each counted
//! in calendar or business time), the stamp a ticket gets from them, and
//! the clocks derived from a ticket's history.
//!
//! Nothing here is stored as mutable state: a ticket keeps the [`SlaStamp`]
//! it was given (a re-stamp is an event), its history is a list of
//! [`ClockEvent`]s, and [`clocks`] folds the two at any `now`. A breach is
//! stamped at the due time that passed, whenever it is noticed, so the
//! sweep can record it late and exactly once.

use crate::time::{Duration, Timestamp};
use crate::vocab::{Priority, Segment, Status};
use serde::{Deserialize, Serialize};

/// Counts working time: forward from an instant, and between two instants.
pub trait Calendar: core::fmt::Debug {
    /// The instant at which `span` of this calendar's working time has
    /// passed since `start`.
    fn deadline(&self, start: Timestamp, span: Duration) -> Timestamp;

    /// The working time between `from` and `to` (zero when `to` is not
    /// after `from`), in whole seconds, rounded down.
    fn elapsed(&self, from: Timestamp, to: Timestamp) -> Duration;
}

/// The name of the default business calendar (`[calendar]`): the one a
/// stamp without a calendar's name counts in.
pub const DEFAULT_CALENDAR: &str = "default";

/// A deployment's business calendars by name: a ticket's stamp names the
/// one its business-hour targets count in, and everything that counts
/// them for that ticket looks it up here.
pub trait NamedCalendars: core::fmt::Debug {
    /// The calendar called `name` (the default one for a name not known).
    fn named(&self, name: &str) -> &dyn Calendar;
}

/// Calendar time: every hour counts, around the clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlwaysOpen;

/// Every business calendar open around the clock (tests, and a
/// deployment's calendars stand-in where hours do not matter).
impl NamedCalendars for AlwaysOpen {
    fn named(&self, _: &str) -> &dyn Calendar {
        self
    }
}

impl Calendar for AlwaysOpen {
    fn deadline(&self, start: Timestamp, span: Duration) -> Timestamp {
        start.plus(span)
    }

    fn elapsed(&self, from: Timestamp, to: Timestamp) -> Duration {
        Duration::from_secs((to.as_millis() - from.as_millis()).max(0) / 1000)
    }
}

/// Which hours a target counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hours {
    /// Every hour, around the clock.
    Calendar,
    /// Only the open hours of the business calendar.
    Business,
}

impl Hours {
    /// The calendar these hours count in, given the business calendar.
    pub fn calendar(self, business: &dyn Calendar) -> &dyn Calendar {
        match self {
            Self::Calendar => &AlwaysOpen,
            Self::Business => business,
        }
    }
}

/// What a clock measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// From receipt to the first public agent reply.
    FirstResponse,
    /// From a requester's reply to the agent's next public reply.
    NextResponse,
    /// From receipt to solved (time spent solved, before a reopen, does not count).
    Resolution,
}

impl Metric {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FirstResponse => "first_response",
            Self::NextResponse => "next_response",
            Self::Resolution => "resolution",
        }
    }
}

/// One target of a segment's policy: a span per priority, in calendar or
/// business hours. A priority without its own span uses `normal`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// Which hours count.
    pub hours: Hours,
    /// For urgent tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgent: Option<Duration>,
    /// For high-priority tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<Duration>,
    /// For normal tickets (and any priority without its own span).
    pub normal: Duration,
    /// For low-priority tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<Duration>,
}

impl TargetSpec {
    const fn new(hours: Hours, urgent: i64, high: i64, normal: i64, low: i64) -> Self {
        Self {
            hours,
            urgent: Some(Duration::from_secs(urgent * 60)),
            high: Some(Duration::from_secs(high * 60)),
            normal: Duration::from_secs(normal * 60),
            low: Some(Duration::from_secs(low * 60)),
        }
    }

    /// The span for a priority.
    pub fn span(&self, priority: Priority) -> Duration {
        let chosen = match priority {
            Priority::Urgent => self.urgent,
            Priority::High => self.high,
            Priority::Normal => None,
            Priority::Low => self.low,
        };
        chosen.unwrap_or(self.normal)
    }
}

/// The targets of one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentPolicy {
    /// Receipt to first public agent reply.
    pub first_response: TargetSpec,
    /// Requester reply to the next public agent reply (none: not measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_response: Option<TargetSpec>,
    /// Receipt to solved.
    pub resolution: TargetSpec,
}

/// Targets for every segment: `[policies.<segment>.<target>]` in
/// `buoy.toml`; a segment or target left out keeps its default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PolicyOverrides")]
pub struct SlaPolicy {
    /// Enterprise contracts.
    pub enterprise: SegmentPolicy,
    /// Small and medium businesses.
    pub business: SegmentPolicy,
    /// Free plan and unverified requesters.
    pub free: SegmentPolicy,
    /// Lapsed subscribers.
    pub former: SegmentPolicy,
}

/// The targets `buoy.toml` sets for one segment.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentOverrides {
    first_response: Option<TargetSpec>,
    next_response: Option<TargetSpec>,
    resolution: Option<TargetSpec>,
}

/// What `[policies]` may hold: any segment, any of its targets.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyOverrides {
    enterprise: Option<SegmentOverrides>,
    business: Option<SegmentOverrides>,
    free: Option<SegmentOverrides>,
    former: Option<SegmentOverrides>,
}

impl SegmentOverrides {
    fn over(self, base: SegmentPolicy) -> SegmentPolicy {
        SegmentPolicy {
            first_response: self.first_response.unwrap_or(base.first_response),
            next_response: self.next_response.or(base.next_response),
            resolution: self.resolution.unwrap_or(base.resolution),
        }
    }
}

impl From<PolicyOverrides> for SlaPolicy {
    fn from(o: PolicyOverrides) -> Self {
        let d = Self::default();
        Self {
            enterprise: o.enterprise.unwrap_or_default().over(d.enterprise),
            business: o.business.unwrap_or_default().over(d.business),
            free: o.free.unwrap_or_default().over(d.free),
            former: o.former.unwrap_or_default().over(d.former),
        }
    }
}

/// The defaults of the support strategy Buoy follows (SPEC.md): enterprise
/// 1 h / 4 h around the clock; business 4 h / 24 h and free 24 h / 72 h in
/// business hours; former as free. Urgent is tighter and low looser, by
/// the table: urgent ½, high ¾, low 2× the normal span (rounded to minutes).
mod defaults {
    use super::{Hours, SegmentPolicy, TargetSpec};

    const fn target(hours: Hours, normal_minutes: i64) -> TargetSpec {
        TargetSpec::new(hours, normal_minutes / 2, normal_minutes * 3 / 4, normal_minutes, normal_minutes * 2)
    }

    pub(super) const fn enterprise() -> SegmentPolicy {
        SegmentPolicy {
            first_response: target(Hours::Calendar, 60),
            next_response: Some(target(Hours::Calendar, 2 * 60)),
            resolution: target(Hours::Calendar, 4 * 60),
        }
    }

    pub(super) const fn business() -> SegmentPolicy {
        SegmentPolicy {
            first_response: target(Hours::Business, 4 * 60),
            next_response: Some(target(Hours::Business, 8 * 60)),
            resolution: target(Hours::Business, 24 * 60),
        }
    }

    pub(super) const fn free() -> SegmentPolicy {
        SegmentPolicy {
            first_response: target(Hours::Business, 24 * 60),
            next_response: Some(target(Hours::Business, 48 * 60)),
            resolution: target(Hours::Business, 72 * 60),
        }
    }
}

impl Default for SlaPolicy {
    fn default() -> Self {
        Self { enterprise: defaults::enterprise(), business: defaults::business(), free: defaults::free(), former: defaults::free() }
    }
}

/// A target that [`SlaPolicy::validate`] refuses, with its path below `policies`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// Such as `business.resolution.urgent`.
    pub field: String,
    /// What is expected.
    pub message: &'static str,
}

impl SlaPolicy {
    /// The targets of a segment.
    pub const fn segment(&self, segment: Segment) -> &SegmentPolicy {
        match segment {
            Segment::Enterprise => &self.enterprise,
            Segment::Business => &self.business,
            Segment::Free => &self.free,
            Segment::Former => &self.former,
        }
    }

    /// Checks that every span is positive and that priorities are ordered:
    /// urgent ≤ high ≤ normal ≤ low.
    ///
    /// # Errors
    /// The first faulty target, by path.
    pub fn validate(&self) -> Result<(), PolicyError> {
        for segment in Segment::ALL {
            let policy = self.segment(*segment);
            let targets = [
                ("first_response", Some(policy.first_response)),
                ("next_response", policy.next_response),
                ("resolution", Some(policy.resolution)),
            ];
            for (name, target) in targets {
                let Some(t) = target else { continue };
                let field = |p: &str| format!("{segment}.{name}.{p}");
                let spans = [
                    ("urgent", t.span(Priority::Urgent)),
                    ("high", t.span(Priority::High)),
                    ("normal", t.normal),
                    ("low", t.span(Priority::Low)),
                ];
                for (p, span) in spans {
                    if span.as_secs() <= 0 {
                        return Err(PolicyError { field: field(p), message: "must be longer than zero" });
                    }
                }
                for pair in spans.windows(2) {
                    if pair[0].1 > pair[1].1 {
                        return Err(PolicyError {
                            field: field(pair[0].0),
                            message: "must not be longer than the next lower priority's target",
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The stamp a ticket of this segment and priority gets, its clocks
    /// counting from `started` (the ticket's receipt), its business hours
    /// in the calendar named `calendar`.
    pub fn stamp(&self, segment: Segment, priority: Priority, started: Timestamp, calendar: &str) -> SlaStamp {
        let policy = self.segment(segment);
        let mut targets = vec![StampedTarget::of(Metric::FirstResponse, &policy.first_response, priority)];
        if let Some(next) = &policy.next_response {
            targets.push(StampedTarget::of(Metric::NextResponse, next, priority));
        }
        targets.push(StampedTarget::of(Metric::Resolution, &policy.resolution, priority));
        SlaStamp { started, segment, priority, targets, calendar: calendar.to_owned() }
    }
}

/// One target as stamped on a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampedTarget {
    /// What it measures.
    pub metric: Metric,
    /// Which hours count.
    pub hours: Hours,
    /// How long.
    pub span: Duration,
}

impl StampedTarget {
    fn of(metric: Metric, spec: &TargetSpec, priority: Priority) -> Self {
        Self { metric, hours: spec.hours, span: spec.span(priority) }
    }
}

/// What a ticket's SLA was stamped with, at creation or at a re-stamp
/// (a new segment or priority). Stored, so a later policy change does not
/// move a ticket's targets until it is re-stamped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaStamp {
    /// When the clocks start: the ticket's receipt.
    pub started: Timestamp,
    /// The segment the targets came from.
    pub segment: Segment,
    /// The priority the targets came from.
    pub priority: Priority,
    /// The targets.
    pub targets: Vec<StampedTarget>,
    /// The business calendar its business-hour targets count in, by name
    /// (chosen at creation from the ticket's group and site, and kept by
    /// every re-stamp); [`DEFAULT_CALENDAR`] for a stamp stored without one.
    #[serde(default = "default_calendar_name")]
    pub calendar: String,
}

fn default_calendar_name() -> String {
    DEFAULT_CALENDAR.to_owned()
}

/// Something that happened to a ticket and moves its clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockEvent {
    /// An agent replied in public.
    AgentReplied(Timestamp),
    /// The requester replied.
    RequesterReplied(Timestamp),
    /// The status changed.
    Status(Status, Timestamp),
}

impl ClockEvent {
    const fn at(self) -> Timestamp {
        match self {
            Self::AgentReplied(at) | Self::RequesterReplied(at) | Self::Status(_, at) => at,
        }
    }
}

/// Where a clock is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Counting down.
    Active,
    /// Waiting on the requester: not counting.
    Paused,
    /// Met in time.
    Met,
    /// Passed its due time unmet.
    Breached,
}

/// One clock of a ticket, at some `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Clock {
    /// What it measures.
    pub metric: Metric,
    /// Which run of the metric: next response restarts at each requester
    /// reply that follows an agent reply; the others have only run 0.
    pub cycle: u32,
    /// Where it is.
    pub state: ClockState,
    /// Which hours count.
    pub hours: Hours,
    /// The target span.
    pub target: Duration,
    /// When it is (or was) due; none while paused.
    pub due: Option<Timestamp>,
    /// Working time left (zero once met or breached); in the API as whole
    /// seconds, `remaining_seconds`, for countdowns.
    #[serde(rename = "remaining_seconds", serialize_with = "as_seconds")]
    pub remaining: Duration,
    /// When it was met, or when it breached (its due time).
    pub at: Option<Timestamp>,
    /// Whether its run is still going: nobody has met it yet, even late.
    pub running: bool,
}

fn as_seconds<S: serde::Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_i64(d.as_secs())
}

/// The ticket's status over time, from receipt.
struct Timeline {
    changes: Vec<(Timestamp, Status)>,
}

impl Timeline {
    fn new(started: Timestamp, events: &[ClockEvent]) -> Self {
        let mut changes = vec![(started, Status::New)];
        for event in events {
            if let ClockEvent::Status(status, at) = *event {
                changes.push((at.max(started), status));
            }
        }
        changes.sort_by_key(|(at, _)| *at);
        Self { changes }
    }

    /// The instant at which `span` of working time has accrued from
    /// `from`, not counting time whose status is in `paused`, and not
    /// beyond `end`; `None` if it has not accrued by then.
    fn reach(&self, from: Timestamp, span: Duration, end: Option<Timestamp>, paused: &[Status], cal: &dyn Calendar) -> Option<Timestamp> {
        let mut left = span;
        for (i, (at, status)) in self.changes.iter().enumerate() {
            let next = self.changes.get(i + 1).map(|(t, _)| *t);
            let start = (*at).max(from);
            let stop = match (next, end) {
                (Some(n), Some(e)) => Some(n.min(e)),
                (n, e) => n.or(e),
            };
            if stop.is_some_and(|s| s <= start) || paused.contains(status) {
                continue;
            }
            match stop {
                Some(stop) => {
                    let worked = cal.elapsed(start, stop);
                    if worked >= left {
                        return Some(cal.deadline(start, left));
                    }
                    left = Duration::from_secs(left.as_secs() - worked.as_secs());
                }
                None => return Some(cal.deadline(start, left)),
            }
        }
        None
    }

    /// Working time accrued from `from` to `to`, not counting paused time.
    fn accrued(&self, from: Timestamp, to: Timestamp, paused: &[Status], cal: &dyn Calendar) -> Duration {
        let mut total = 0;
        for (i, (at, status)) in self.changes.iter().enumerate() {
            let next = self.changes.get(i + 1).map_or(to, |(t, _)| (*t).min(to));
            let start = (*at).max(from);
            if next > start && !paused.contains(status) {
                total += cal.elapsed(start, next).as_secs();
            }
        }
        Duration::from_secs(total)
    }

    fn status_at(&self, at: Timestamp) -> Status {
        self.changes.iter().take_while(|(t, _)| *t <= at).last().map_or(Status::New, |(_, s)| *s)
    }
}

const SOLVED: [Status; 2] = [Status::Solved, Status::Closed];

/// One run of a clock: from `from` until `end` (met) or still running.
#[allow(clippy::too_many_arguments)] // Every argument is one fact of the run.
fn run(
    target: &StampedTarget,
    cycle: u32,
    timeline: &Timeline,
    from: Timestamp,
    end: Option<Timestamp>,
    paused: &[Status],
    now: Timestamp,
    cal: &dyn Calendar,
) -> Clock {
    let mut clock = Clock {
        metric: target.metric,
        cycle,
        state: ClockState::Active,
        hours: target.hours,
        target: target.span,
        due: None,
        remaining: Duration::default(),
        at: None,
        running: end.is_none_or(|e| e > now),
    };
    let limit = end.map_or(now, |e| e.min(now));
    let reach = timeline.reach(from, target.span, end, paused, cal);
    if let Some(due) = reach.filter(|r| *r <= limit) {
        clock.state = ClockState::Breached;
        clock.due = Some(due);
        clock.at = Some(due);
        return clock;
    }
    if let Some(end) = end.filter(|e| *e <= now) {
        clock.state = ClockState::Met;
        clock.at = Some(end);
        clock.due = reach;
        return clock;
    }
    let worked = timeline.accrued(from, now, paused, cal);
    clock.remaining = Duration::from_secs((target.span.as_secs() - worked.as_secs()).max(0));
    if paused.contains(&timeline.status_at(now)) {
        clock.state = ClockState::Paused;
    } else {
        clock.due = reach;
    }
    clock
}

/// Every clock of a ticket at `now`: first response, each next-response
/// cycle, resolution. Business-hour targets count in the calendar of
/// `business` the stamp names.
///
/// Rules: every clock pauses while the ticket is `pending`; the first
/// public agent reply meets first response, and each later one meets the
/// running next-response cycle (a requester reply after an agent reply
/// starts one); solving or closing meets what is running; time spent
/// solved does not count toward resolution, so a reopened ticket's
/// resolution clock resumes where it stopped (a ticket that had already
/// breached stays breached). A clock breaches at the instant its target
/// is used up, which is what `at` holds however late this is computed.
pub fn clocks(stamp: &SlaStamp, events: &[ClockEvent], now: Timestamp, business: &dyn NamedCalendars) -> Vec<Clock> {
    let business = business.named(&stamp.calendar);
    let mut events: Vec<ClockEvent> = events.to_vec();
    events.sort_by_key(|e| e.at());
    let timeline = Timeline::new(stamp.started, &events);
    let first_solve = events.iter().find_map(|e| matches!(e, ClockEvent::Status(s, _) if SOLVED.contains(s)).then(|| e.at()));
    let first_reply = events.iter().find_map(|e| matches!(e, ClockEvent::AgentReplied(_)).then(|| e.at()));
    let mut out = Vec::new();
    for target in &stamp.targets {
        let cal = target.hours.calendar(business);
        match target.metric {
            Metric::FirstResponse => {
                let end = match (first_reply, first_solve) {
                    (Some(r), Some(s)) => Some(r.min(s)),
                    (r, s) => r.or(s),
                };
                out.push(run(target, 0, &timeline, stamp.started, end, &[Status::Pending], now, cal));
            }
            Metric::Resolution => {
                // Solved time is paused time: a reopen resumes the clock.
                let paused = [Status::Pending, Status::Solved, Status::Closed];
                let solved_now = SOLVED.contains(&timeline.status_at(now));
                let end = if solved_now { timeline.changes.iter().rev().find(|(_, s)| SOLVED.contains(s)).map(|(t, _)| *t) } else { None };
                out.push(run(target, 0, &timeline, stamp.started, end, &paused, now, cal));
            }
            Metric::NextResponse => {
                let mut cycle = 0;
                let mut waiting_since: Option<Timestamp> = None;
                let mut replied = false;
                for event in &events {
                    match *event {
                        ClockEvent::AgentReplied(at) => {
                            if let Some(from) = waiting_since.take() {
                                out.push(run(target, cycle, &timeline, from, Some(at), &[Status::Pending], now, cal));
                                cycle += 1;
                            }
                            replied = true;
                        }
                        ClockEvent::RequesterReplied(at) if replied && waiting_since.is_none() => waiting_since = Some(at),
                        ClockEvent::Status(s, at) if SOLVED.contains(&s) => {
                            if let Some(from) = waiting_since.take() {
                                out.push(run(target, cycle, &timeline, from, Some(at), &[Status::Pending], now, cal));
                                cycle += 1;
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(from) = waiting_since {
                    out.push(run(target, cycle, &timeline, from, None, &[Status::Pending], now, cal));
                }
            }
        }
    }
    out
}

/// The earliest due time among clocks still running, breached ones
/// included (their due time is past): the queue's sort key, "time to the
/// next breach", negative when a breach is being made worse.
pub fn next_due(clocks: &[Clock]) -> Option<Timestamp> {
    clocks.iter().filter(|c| c.running && matches!(c.state, ClockState::Active | ClockState::Breached)).filter_map(|c| c.due).min()
}

/// The due times of a ticket as first stamped, assuming nothing happens:
/// what a new ticket is told, and where its due-index entries go.
/// Business-hour targets count in the calendar of `business` the stamp names.
pub fn initial_due(stamp: &SlaStamp, business: &dyn NamedCalendars) -> Vec<(Metric, Timestamp)> {
    let business = business.named(&stamp.calendar);
    stamp
        .targets
        .iter()
        .filter(|t| t.metric != Metric::NextResponse)
        .map(|t| (t.metric, t.hours.calendar(business).deadline(stamp.started, t.span)))
        .collect()
}

/// What a new ticket's requester is told to expect: when its first
/// response is due as stamped (nothing happening before), and the target
/// it comes from (its span, and whether it counts business or calendar
/// hours, in the calendar of `business` the stamp names). Exact for the
/// ticket's segment, priority and calendar, because it is read from the
/// ticket's own stamp. `None` for a stamp without a
/// first-response target.
pub fn first_response(stamp: &SlaStamp, business: &dyn NamedCalendars) -> Option<(Timestamp, StampedTarget)> {
    let target = stamp.targets.iter().find(|t| t.metric == Metric::FirstResponse)?;
    Some((target.hours.calendar(business.named(&stamp.calendar)).deadline(stamp.started, target.span), *target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap_or_else(|e| unreachable!("{text}: {e}"))
    }

    fn h(hours: i64) -> Duration {
        Duration::from_hours(hours)
    }

    /// A calendar that counts only even hours of the day (UTC), so that
    /// business-hour behaviour is visible without a time-zone database.
    #[derive(Debug)]
    struct EvenHours;
    impl NamedCalendars for EvenHours {
        fn named(&self, _: &str) -> &dyn Calendar {
            self
        }
    }
    impl Calendar for EvenHours {
        fn deadline(&self, start: Timestamp, span: Duration) -> Timestamp {
            let mut at = start.as_millis();
            let mut left = span.as_secs() * 1000;
            loop {
                let hour_start = at - at.rem_euclid(3_600_000);
                let hour_end = hour_start + 3_600_000;
                if (hour_start / 3_600_000) % 2 == 0 {
                    if at + left <= hour_end {
                        return Timestamp::from_millis(at + left);
                    }
                    left -= hour_end - at;
                }
                at = hour_end;
            }
        }
        fn elapsed(&self, from: Timestamp, to: Timestamp) -> Duration {
            let (mut at, end, mut total) = (from.as_millis(), to.as_millis(), 0);
            while at < end {
                let hour_end = at - at.rem_euclid(3_600_000) + 3_600_000;
                let stop = hour_end.min(end);
                if ((at - at.rem_euclid(3_600_000)) / 3_600_000) % 2 == 0 {
                    total += stop - at;
                }
                at = stop;
            }
            Duration::from_secs(total / 1000)
        }
    }

    fn stamp(segment: Segment, priority: Priority) -> SlaStamp {
        SlaPolicy::default().stamp(segment, priority, t("2026-11-30T10:00:00Z"), DEFAULT_CALENDAR)
    }

    /// A clock as (cycle, state, due, at, seconds remaining), times as text.
    type Seen = (u32, ClockState, Option<String>, Option<String>, i64);

    fn state_of(clocks: &[Clock], metric: Metric) -> Vec<Seen> {
        clocks
            .iter()
            .filter(|c| c.metric == metric)
            .map(|c| (c.cycle, c.state, c.due.map(|d| d.to_string()), c.at.map(|d| d.to_string()), c.remaining.as_secs()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_strategy_and_priorities_adjust_through_the_table() {
        let p = SlaPolicy::default();
        assert!(p.validate().is_ok());
        for (segment, priority, first, resolution, hours) in [
            (Segment::Enterprise, Priority::Normal, 1, 4, Hours::Calendar),
            (Segment::Enterprise, Priority::Low, 2, 8, Hours::Calendar),
            (Segment::Business, Priority::Normal, 4, 24, Hours::Business),
            (Segment::Business, Priority::Urgent, 2, 12, Hours::Business),
            (Segment::Free, Priority::Normal, 24, 72, Hours::Business),
            (Segment::Former, Priority::Normal, 24, 72, Hours::Business),
        ] {
            let s = p.stamp(segment, priority, t("2026-11-30T10:00:00Z"), DEFAULT_CALENDAR);
            let find = |m: Metric| s.targets.iter().find(|x| x.metric == m).copied();
            assert_eq!(find(Metric::FirstResponse).map(|x| (x.span, x.hours)), Some((h(first), hours)), "{segment} {priority}");
            assert_eq!(find(Metric::Resolution).map(|x| x.span), Some(h(resolution)), "{segment} {priority}");
        }
        assert_eq!(p.enterprise.first_response.span(Priority::High), Duration::from_secs(45 * 60));
    }

    #[test]
    fn a_policy_overrides_only_what_it_names() {
        let p: SlaPolicy = serde_json::from_str(r#"{"business": {"resolution": {"hours": "calendar", "normal": "12h"}}}"#)
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(p.business.resolution.normal, h(12));
        assert_eq!(p.business.resolution.span(Priority::Urgent), h(12), "no urgent row: normal's span");
        assert_eq!(p.business.first_response, SlaPolicy::default().business.first_response);
        assert_eq!(p.enterprise, SlaPolicy::default().enterprise);
        let round_trip: SlaPolicy =
            serde_json::from_str(&serde_json::to_string(&p).unwrap_or_default()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(round_trip, p);
        assert!(serde_json::from_str::<SlaPolicy>(r#"{"vip": {}}"#).is_err());
    }

    #[test]
    fn bad_policies_name_the_target() {
        let mut p = SlaPolicy::default();
        p.business.resolution.urgent = Some(h(48));
        assert_eq!(p.validate().map_err(|e| e.field), Err("business.resolution.urgent".into()));
        let mut p = SlaPolicy::default();
        p.free.first_response.normal = Duration::from_secs(0);
        assert_eq!(p.validate().map_err(|e| e.field), Err("free.first_response.normal".into()));
    }

    #[test]
    fn a_new_ticket_counts_down_and_breaches_at_its_due_time() {
        let s = stamp(Segment::Enterprise, Priority::Normal);
        let c = clocks(&s, &[], t("2026-11-30T10:30:00Z"), &AlwaysOpen);
        assert_eq!(state_of(&c, Metric::FirstResponse), [(0, ClockState::Active, Some("2026-11-30T11:00:00.000Z".into()), None, 1800)]);
        // Noticed late, the breach is still stamped at the due time.
        let c = clocks(&s, &[], t("2026-11-30T19:00:00Z"), &AlwaysOpen);
        let due = Some("2026-11-30T11:00:00.000Z".to_string());
        assert_eq!(state_of(&c, Metric::FirstResponse), [(0, ClockState::Breached, due.clone(), due, 0)]);
        assert_eq!(state_of(&c, Metric::NextResponse), [], "no next-response cycle before a requester reply");
    }

    #[test]
    fn the_first_public_reply_meets_first_response() {
        let s = stamp(Segment::Enterprise, Priority::Normal);
        let events = [ClockEvent::AgentReplied(t("2026-11-30T10:45:00Z"))];
        let c = clocks(&s, &events, t("2026-11-30T12:00:00Z"), &AlwaysOpen);
        assert_eq!(state_of(&c, Metric::FirstResponse)[0].1, ClockState::Met);
        assert_eq!(state_of(&c, Metric::FirstResponse)[0].3, Some("2026-11-30T10:45:00.000Z".into()));
        // A late reply does not undo the breach.
        let late = [ClockEvent::AgentReplied(t("2026-11-30T11:30:00Z"))];
        let c = clocks(&s, &late, t("2026-11-30T12:00:00Z"), &AlwaysOpen);
        assert_eq!(state_of(&c, Metric::FirstResponse)[0].1, ClockState::Breached);
    }

    #[test]
    fn pending_pauses_every_clock_and_a_reply_resumes_it() {
        let s = stamp(Segment::Enterprise, Priority::Normal);
        let events = [
            ClockEvent::AgentReplied(t("2026-11-30T10:10:00Z")),
            ClockEvent::Status(Status::Pending, t("2026-11-30T11:00:00Z")),
            ClockEvent::RequesterReplied(t("2026-11-30T15:00:00Z")),
            ClockEvent::Status(Status::Open, t("2026-11-30T15:00:00Z")),
        ];
        // While pending: resolution paused with 3 h left (1 h used of 4 h).
        let c = clocks(&s, &events[..2], t("2026-11-30T13:00:00Z"), &AlwaysOpen);
        assert_eq!(state_of(&c, Metric::Resolution), [(0, ClockState::Paused, None, None, 3 * 3600)]);
        // Resumed at 15:00 with 3 h left: due 18:00, not 14:00.
        let c = clocks(&s, &events, t("2026-11-30T16:00:00Z"), &AlwaysOpen);
        assert_eq!(state_of(&c, Metric::Resolution), [(0, ClockState::Active, Some("2026-11-30T18:00:00.000Z".into()), None, 2 * 3600)]);
        // The requester's reply after an agent reply starts next response (2 h).
        assert_eq!(state_of(&c, Metric::NextResponse), [(0, ClockState::Active, Some("2026-11-30T17:00:00.000Z".into()), None, 3600)]);
    }

    #[test]
    fn next_response_runs_once_per_requester_turn() {
        let s = stamp(Segment::Enterprise, Priority::Normal);
        let events = [
            ClockEvent::AgentReplied(t("2026-11-30T10:10:00Z")),
            ClockEvent::RequesterReplied(t("2026-11-30T10:20:00Z")),
            ClockEvent::RequesterReplied(t("2026-11-30T10:25:00Z")),
            ClockEvent::AgentReplied(t("2026-11-30T13:20:00Z")),
            ClockEvent::RequesterReplied(t("2026-11-30T14:00:00Z")),
        ];
        let c = clocks(&s, &events, t("2026-11-30T14:30:00Z"), &AlwaysOpen);
        let next = state_of(&c, Metric::NextResponse);
        assert_eq!(next.len(), 2);
        assert_eq!((next[0].0, next[0].1, next[0].3.clone()), (0, ClockState::Breached, Some("2026-11-30T12:20:00.000Z".into())));
        assert_eq!((next[1].0, next[1].1), (1, ClockState::Active));
    }

    #[test]
    fn solving_meets_resolution_and_a_reopen_resumes_it() {
        let s = stamp(Segment::Enterprise, Priority::Normal);
        let solved = [ClockEvent::AgentReplied(t("2026-11-30T10:30:00Z")), ClockEvent::Status(Status::Solved, t("2026-11-30T11:00:00Z"))];
        let c = clocks(&s, &solved, t("2026-11-30T20:00:00Z"), &AlwaysOpen);
        assert_eq!(state_of(&c, Metric::Resolution)[0].1, ClockState::Met);
        assert_eq!(state_of(&c, Metric::Resolution)[0].3, Some("2026-11-30T11:00:00.000Z".into()));
        // Reopened at 20:00: 1 h was used before solving, the 9 h solved do
        // not count, so 3 h remain: due 23:00.
        let mut reopened = solved.to_vec();
        reopened.push(ClockEvent::Status(Status::Open, t("2026-11-30T20:00:00Z")));
        let c = clocks(&s, &reopened, t("2026-11-30T21:00:00Z"), &AlwaysOpen);
        assert_eq!(state_of(&c, Metric::Resolution), [(0, ClockState::Active, Some("2026-11-30T23:00:00.000Z".into()), None, 2 * 3600)]);
        // Solving again meets it at the second solve.
        reopened.push(ClockEvent::Status(Status::Solved, t("2026-11-30T22:00:00Z")));
        let c = clocks(&s, &reopened, t("2026-12-01T09:00:00Z"), &AlwaysOpen);
        assert_eq!(state_of(&c, Metric::Resolution)[0].3, Some("2026-11-30T22:00:00.000Z".into()));
        assert_eq!(state_of(&c, Metric::Resolution)[0].1, ClockState::Met);
    }

    #[test]
    fn a_ticket_breached_before_solving_stays_breached() {
        let s = stamp(Segment::Enterprise, Priority::Normal);
        let events = [ClockEvent::Status(Status::Solved, t("2026-11-30T15:00:00Z"))];
        let c = clocks(&s, &events, t("2026-11-30T16:00:00Z"), &AlwaysOpen);
        assert_eq!(state_of(&c, Metric::Resolution)[0].1, ClockState::Breached);
        assert_eq!(state_of(&c, Metric::Resolution)[0].3, Some("2026-11-30T14:00:00.000Z".into()));
    }

    #[test]
    fn business_targets_count_business_time() {
        // Business, normal: 4 business hours to first response; EvenHours
        // counts 10-11, 12-13, 14-15, 16-17 from a 10:00 start.
        let s = stamp(Segment::Business, Priority::Normal);
        let c = clocks(&s, &[], t("2026-11-30T10:00:00Z"), &EvenHours);
        assert_eq!(state_of(&c, Metric::FirstResponse)[0].2, Some("2026-11-30T17:00:00.000Z".into()));
        assert_eq!(next_due(&c), Some(t("2026-11-30T17:00:00Z")));
        let due = initial_due(&s, &EvenHours);
        assert_eq!(due[0], (Metric::FirstResponse, t("2026-11-30T17:00:00Z")));
        // Enterprise targets are calendar hours, whatever the business calendar.
        let e = initial_due(&stamp(Segment::Enterprise, Priority::Normal), &EvenHours);
        assert_eq!(e[0], (Metric::FirstResponse, t("2026-11-30T11:00:00Z")));
    }

    #[test]
    fn a_new_ticket_is_told_its_first_response_from_its_own_stamp() {
        // The "even" calendar counts even hours only: from 10:00, four business hours end at 17:00.
        let business = SlaPolicy::default().stamp(Segment::Business, Priority::Normal, t("2026-11-30T10:00:00Z"), "even");
        let (due, target) = first_response(&business, &ByName).unwrap_or_else(|| unreachable!());
        assert_eq!((target.hours, target.span), (Hours::Business, h(4)));
        assert_eq!(due, t("2026-11-30T17:00:00Z"), "closed hours do not count");
        assert_eq!(due, initial_due(&business, &ByName)[0].1, "the due time every other reader computes");
        // Enterprise counts every hour: 1 h later, whatever the calendar.
        let enterprise = SlaPolicy::default().stamp(Segment::Enterprise, Priority::Normal, t("2026-11-30T10:00:00Z"), "even");
        let (due, target) = first_response(&enterprise, &ByName).unwrap_or_else(|| unreachable!());
        assert_eq!((target.hours, due), (Hours::Calendar, t("2026-11-30T11:00:00Z")));
        let none = SlaStamp { targets: Vec::new(), ..enterprise };
        assert_eq!(first_response(&none, &ByName), None);
    }

    /// Only the calendar called "even" counts even hours; every other name is open around the clock.
    #[derive(Debug)]
    struct ByName;
    impl NamedCalendars for ByName {
        fn named(&self, name: &str) -> &dyn Calendar {
            if name == "even" {
                &EvenHours
            } else {
                &AlwaysOpen
            }
        }
    }

    #[test]
    fn a_stamps_business_hours_count_in_the_calendar_it_names() {
        let policy = SlaPolicy::default();
        let filed = t("2026-11-30T10:30:00Z");
        let due = |calendar: &str| {
            let stamp = policy.stamp(Segment::Business, Priority::Normal, filed, calendar);
            assert_eq!(stamp.calendar, calendar);
            let first = initial_due(&stamp, &ByName)[0];
            let clock = clocks(&stamp, &[], filed, &ByName)[0];
            assert_eq!(clock.due, Some(first.1), "the clock and the first due time agree");
            first.1
        };
        // Business first response is 4 business hours: 10:30-11:00, 12-13, 14-15, 16-17, 18:00-18:30.
        assert_eq!(due("even"), t("2026-11-30T18:30:00Z"));
        assert_eq!(due(DEFAULT_CALENDAR), t("2026-11-30T14:30:00Z"));
        // A stamp stored before stamps named their calendar reads as the default one.
        let mut json = serde_json::to_value(policy.stamp(Segment::Business, Priority::Normal, filed, "even")).unwrap_or_default();
        json.as_object_mut().map(|o| o.remove("calendar"));
        let old: SlaStamp = serde_json::from_value(json).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(old.calendar, DEFAULT_CALENDAR);
    }
}
