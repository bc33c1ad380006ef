//! The agents' queue: what a queue row holds ([`QueueRow`], built from a
//! ticket and its events, small enough for KV list metadata), which rows a
//! filter keeps, and the order of urgency they are worked in.
//!
//! A row is a snapshot of the fold at the time it was built (`built`).
//! Its clocks' due times do not move until an event moves them, so a row
//! stays exact while nothing happens to its ticket; it lags only when two
//! writers built it from event lists that lagged (KV lists lag writes by up
//! to a minute), until the sweep rebuilds it from the whole log.

use crate::events::{self, EventKind, TicketEvent};
use crate::ids::{TicketId, TicketRef};
use crate::sla::{Calendar, ClockState, Hours, Metric, NamedCalendars};
use crate::ticket::{Channel, Ticket, TicketType};
use crate::time::{Duration, Timestamp};
use crate::vocab::{Priority, Segment, Status};
#[cfg(feature = "server")]
use serde::Deserialize;
use serde::Serialize;

/// Whether a ticket in `status` is done with (solved or closed): its
/// queue entry moves behind every live one, so a queue of open work does
/// not page through a site's history first.
pub const fn is_finished(status: Status) -> bool {
    matches!(status, Status::Solved | Status::Closed)
}

/// Where a ticket's queue entry sorts among the live ones: the earliest
/// due time of its SLA stamp as received (its creation time when nothing
/// is due). Fixed for the ticket's life, so its key never moves but
/// between the live and finished parts.
pub fn index_due(ticket: &Ticket, business: &dyn NamedCalendars) -> Timestamp {
    crate::sla::initial_due(&ticket.sla, business).into_iter().map(|(_, at)| at).min().unwrap_or(ticket.created_at)
}

/// How long after a ticket's last change the sweep rebuilds its queue row
/// from the whole event log: KV lists show a write within a minute, so the
/// rebuild sees every event that a writer racing with another missed.
pub const REBUILD_AFTER_MS: i64 = 60_000;

/// The value of `assignee` that asks for unassigned tickets.
pub const UNASSIGNED: &str = "none";

/// What the queue is narrowed to: each list is "any of"; an empty list
/// does not narrow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Statuses.
    pub status: Vec<Status>,
    /// Requester segments.
    pub segment: Vec<Segment>,
    /// Ticket types.
    pub kind: Vec<TicketType>,
    /// Support tiers.
    pub tier: Vec<u8>,
    /// Assignees; `None` is "unassigned".
    pub assignee: Vec<Option<String>>,
    /// How the tickets reached Buoy.
    pub channel: Vec<Channel>,
    /// A custom field and the values it may hold (`field=plan:pro,enterprise`).
    pub field: Option<(String, Vec<String>)>,
    /// The groups routing chose (`group=billing,tier2`; `group=none` for tickets no rule routed).
    pub group: Vec<Option<String>>,
    /// Tags, any of which a ticket carries (`tag=vip,refund`).
    pub tag: Vec<String>,
}

fn list<T>(name: &str, value: Option<&str>, parse: impl Fn(&str) -> Option<T>, allowed: &str) -> Result<Vec<T>, String> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .map(|item| parse(item).ok_or_else(|| format!("{name}: unknown value {item:?}; use {allowed}")))
        .collect()
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
}

impl QueueFilter {
    /// Reads a filter from query parameters (`status=open,pending`,
    /// `segment`, `type`, `tier`, `assignee`, with `assignee=none` for
    /// unassigned tickets, `channel`); `param` gives a parameter's
    /// decoded value.
    ///
    /// # Errors
    /// A message naming the parameter and the values it takes.
    pub fn parse(param: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        Self::parse_offering(param, crate::ticket::offered_types())
    }

    /// [`QueueFilter::parse`] on a site that offers `types` (its own
    /// list, `site_types::offered`): `type` takes those.
    ///
    /// # Errors
    /// A message naming the parameter and the values it takes.
    pub fn parse_offering(param: impl Fn(&str) -> Option<String>, types: &[TicketType]) -> Result<Self, String> {
        let type_names = types.iter().map(TicketType::as_str).collect::<Vec<_>>().join(", ");
        let offered = |text: &str| types.iter().find(|kind| kind.as_str() == text).cloned();
        Ok(Self {
            status: list("status", param("status").as_deref(), Status::parse, &names(Status::ALL, Status::as_str))?,
            segment: list("segment", param("segment").as_deref(), Segment::parse, &names(Segment::ALL, Segment::as_str))?,
            kind: list("type", param("type").as_deref(), offered, &type_names)?,
            tier: list("tier", param("tier").as_deref(), |t| t.parse().ok().filter(|t| (1..=3).contains(t)), "1, 2, 3")?,
            assignee: list(
                "assignee",
                param("assignee").as_deref(),
                |a| Some((a != UNASSIGNED).then(|| a.to_owned())),
                "an agent's name or none",
            )?,
            channel: list("channel", param("channel").as_deref(), Channel::parse, &names(Channel::ALL, Channel::as_str))?,
            group: list("group", param("group").as_deref(), |g| Some((g != UNASSIGNED).then(|| g.to_owned())), "a group's name or none")?,
            tag: list("tag", param("tag").as_deref(), |t| (!t.is_empty()).then(|| t.to_owned()), "tags")?,
            field: match param("field").filter(|v| !v.trim().is_empty()) {
                None => None,
                Some(text) => {
                    let (id, values) = text.split_once(':').filter(|(id, _)| crate::fields::is_id(id)).ok_or_else(|| {
                        format!("field: expected a custom field's id and its values, such as plan:pro,enterprise; got {text:?}")
                    })?;
                    Some((id.to_owned(), values.split(',').map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect()))
                }
            },
        })
    }

    /// Whether the filter keeps a queue row; `None` when the row cannot
    /// tell (an assignee filter and an assignee name too long for the row:
    /// the caller asks [`Self::keeps_ticket`]).
    pub fn keeps(&self, row: &QueueRow) -> Option<bool> {
        let group_cut = row.group.as_deref().is_some_and(|g| g.ends_with(ELLIPSIS));
        let tag_missing = row.more_tags && !self.tag.iter().any(|t| row.tags.contains(t));
        if (!self.assignee.is_empty() && row.assignee_cut)
            || (self.field.is_some() && row.more_fields)
            || (!self.group.is_empty() && group_cut)
            || (!self.tag.is_empty() && tag_missing)
        {
            return None;
        }
        let field = |id: &str| row.fields.iter().find_map(|entry| entry.strip_prefix(id)?.strip_prefix('='));
        Some(
            self.judge(row.status, row.segment, &row.kind, row.tier, &row.assignee, row.channel)
                && self.holds(field)
                && self.routed(&row.group, &row.tags),
        )
    }

    /// Whether the filter keeps a ticket with these events, from its whole
    /// folded state.
    pub fn keeps_ticket(&self, ticket: &Ticket, events: &[TicketEvent]) -> bool {
        let state = events::fold(ticket, events);
        self.judge(state.status, state.segment, &ticket.kind, state.tier, &state.assignee, ticket.channel)
            && self.holds(|id| ticket.fields.get(id).map(String::as_str))
            && self.routed(&ticket.group, &state.tags)
    }

    /// Whether a ticket of `group` with `tags` is one of the filter's
    /// groups and carries one of its tags.
    fn routed(&self, group: &Option<String>, tags: &[String]) -> bool {
        (self.group.is_empty() || self.group.contains(group)) && (self.tag.is_empty() || self.tag.iter().any(|t| tags.contains(t)))
    }

    /// Whether the custom field the filter names holds one of its values
    /// (`value_of` gives a field's value by id).
    fn holds<'a>(&self, value_of: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.field.as_ref().is_none_or(|(id, values)| value_of(id).is_some_and(|v| values.iter().any(|w| w == v)))
    }

    fn judge(&self, status: Status, segment: Segment, kind: &TicketType, tier: u8, assignee: &Option<String>, channel: Channel) -> bool {
        let any = |list_empty: bool, found: bool| list_empty || found;
        any(self.status.is_empty(), self.status.contains(&status))
            && any(self.segment.is_empty(), self.segment.contains(&segment))
            && any(self.kind.is_empty(), self.kind.contains(kind))
            && any(self.tier.is_empty(), self.tier.contains(&tier))
            && any(self.assignee.is_empty(), self.assignee.contains(assignee))
            && any(self.channel.is_empty(), self.channel.contains(&channel))
    }
}

/// Most bytes of a row's KV metadata: Workers KV keeps at most 1,024.
pub const METADATA_BYTES: usize = 1024;
/// Most bytes (as JSON, quotes included) of a row's subject.
pub const SUBJECT_BYTES: usize = 200;
/// Most bytes (as JSON) of the requester's name in a row.
pub const REQUESTER_BYTES: usize = 100;
/// Most bytes (as JSON) of the assignee's name in a row; a longer name is
/// cut and marked, and an assignee filter reads that ticket instead.
pub const ASSIGNEE_BYTES: usize = 80;
/// Most bytes (as JSON) of the group in a row.
pub const GROUP_BYTES: usize = 80;
/// Most bytes (as JSON, brackets aside) of a row's tags; the rest are left
/// out and the row says there are more.
pub const TAGS_BYTES: usize = 200;
/// Most bytes (as JSON, brackets aside) of a row's custom field values,
/// each as `"id=value"`; only values shaped like ids are kept (a select's
/// option, a checkbox's `true`/`false`), and a row that leaves one out
/// says so, so that a field filter reads that ticket instead.
pub const FIELDS_BYTES: usize = 72;
/// What a cut text ends with.
const ELLIPSIS: char = '\u{2026}';
/// The version of the packed row; a row of another reads as missing.
#[cfg(feature = "server")]
const FORMAT: u8 = 1;

/// The bytes `c` takes inside a JSON string (as `JSON.stringify` and
/// serde_json write it: `"` and `\` escaped, control characters as short
/// or `\u` escapes, everything else as UTF-8).
const fn json_char_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
        '\0'..='\u{1f}' => 6,
        _ => c.len_utf8(),
    }
}

/// The bytes `text` takes as a JSON string, quotes included.
pub fn json_len(text: &str) -> usize {
    2 + text.chars().map(json_char_len).sum::<usize>()
}

/// `text` cut at a character boundary so that it takes at most `budget`
/// bytes as a JSON string (an ellipsis marks a cut), and whether it was cut.
pub fn cut(text: &str, budget: usize) -> (String, bool) {
    if json_len(text) <= budget {
        return (text.to_owned(), false);
    }
    let room = budget.saturating_sub(2 + ELLIPSIS.len_utf8());
    let mut used = 0;
    let mut out: String = text
        .chars()
        .take_while(|c| {
            used += json_char_len(*c);
            used <= room
        })
        .collect();
    out.push(ELLIPSIS);
    (out, true)
}

/// One clock that still runs, as a row keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowClock {
    /// What it measures.
    pub metric: Metric,
    /// Which hours it counts.
    pub hours: Hours,
    /// When it is (or was) due; `None` while paused.
    pub due: Option<Timestamp>,
    /// Working time left when the row was built (what a paused clock keeps).
    pub remaining: Duration,
}

impl RowClock {
    /// Where the clock is at `now`: paused, breached once its due time has
    /// passed, active before.
    pub fn state_at(&self, now: Timestamp) -> ClockState {
        match self.due {
            None => ClockState::Paused,
            Some(due) if due <= now => ClockState::Breached,
            Some(_) => ClockState::Active,
        }
    }

    /// Working time left at `now`.
    pub fn remaining_at(&self, now: Timestamp, business: &dyn Calendar) -> Duration {
        match self.due {
            None => self.remaining,
            Some(due) => self.hours.calendar(business).elapsed(now, due),
        }
    }
}

/// Everything the queue shows, filters and orders a ticket by, built from
/// its record and events at one instant; texts are cut to their budgets so
/// that the packed row fits KV list metadata ([`METADATA_BYTES`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueRow {
    /// The ticket.
    pub id: TicketId,
    /// When it was received.
    pub created_at: Timestamp,
    /// Its type.
    pub kind: TicketType,
    /// How it reached Buoy.
    pub channel: Channel,
    /// Its folded status.
    pub status: Status,
    /// Its folded priority.
    pub priority: Priority,
    /// The requester's folded segment.
    pub segment: Segment,
    /// Its folded tier.
    pub tier: u8,
    /// Who it is assigned to (cut to [`ASSIGNEE_BYTES`]).
    pub assignee: Option<String>,
    /// Whether the assignee's name was cut.
    pub assignee_cut: bool,
    /// The group routing chose (cut to [`GROUP_BYTES`]).
    pub group: Option<String>,
    /// Its tags, as many as fit [`TAGS_BYTES`].
    pub tags: Vec<String>,
    /// Whether it has more tags than the row holds.
    pub more_tags: bool,
    /// Its custom field values shaped like ids, as `id=value`, as many as
    /// fit [`FIELDS_BYTES`] (a select's option, a checkbox).
    pub fields: Vec<String>,
    /// Whether it has field values the row does not hold.
    pub more_fields: bool,
    /// Whether the requester was satisfied, once they rated.
    pub csat: Option<bool>,
    /// When the last public message was written (the first message's
    /// time when no other).
    pub last_public: Timestamp,
    /// Whether a clock had breached when the row was built (met late, or
    /// breached and running).
    pub breached: bool,
    /// The clocks still running.
    pub clocks: Vec<RowClock>,
    /// The subject, cut to [`SUBJECT_BYTES`].
    pub subject: String,
    /// Who asked: the signed name, the typed name, the signed email, the
    /// typed email, the first there is, cut to [`REQUESTER_BYTES`].
    pub requester: String,
    /// When the row was built.
    pub built: Timestamp,
    /// The business calendar its business-hour clocks count in, by name
    /// (the stamp's).
    pub calendar: String,
}

#[cfg(feature = "server")]
const METRICS: [Metric; 3] = [Metric::FirstResponse, Metric::NextResponse, Metric::Resolution];

/// A row as stored: one JSON array, positions instead of names: format,
/// created (ms), type, channel, status, priority, segment, tier, assignee,
/// group, tags, flags ([`MORE_TAGS`], [`ASSIGNEE_CUT`], [`BREACHED`]),
/// satisfied, last public message (ms), running clocks (metric index in
/// [`METRICS`], business hours or not, due ms or `null` while paused,
/// seconds left), subject, requester, built (ms), custom field values
/// (absent in rows from before custom fields: none; written, even empty,
/// when a calendar's name follows), and the business calendar's name
/// when not the default (left out then, and by rows written before
/// calendars had names).
#[cfg(feature = "server")]
#[derive(Serialize, Deserialize)]
struct Packed(
    u8,
    i64,
    TicketType,
    Channel,
    Status,
    Priority,
    Segment,
    u8,
    Option<String>,
    Option<String>,
    Vec<String>,
    u8,
    Option<bool>,
    i64,
    Vec<(u8, u8, Option<i64>, i64)>,
    String,
    String,
    i64,
    #[serde(default)] Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] Option<String>,
);

#[cfg(feature = "server")]
const MORE_TAGS: u8 = 1;
#[cfg(feature = "server")]
const ASSIGNEE_CUT: u8 = 2;
#[cfg(feature = "server")]
const BREACHED: u8 = 4;
#[cfg(feature = "server")]
const MORE_FIELDS: u8 = 8;

impl QueueRow {
    /// The row of `ticket` with `events` (any order) at `now`.
    pub fn build(ticket: &Ticket, events: &[TicketEvent], now: Timestamp, business: &dyn NamedCalendars) -> Self {
        let state = events::fold(ticket, events);
        let clocks = events::clocks(ticket, events, now, business);
        let last_public = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Message { public: true, .. }))
            .map(|e| e.at)
            .fold(ticket.created_at, Timestamp::max);
        let requester = ticket.requester.display_name().or_else(|| ticket.requester.reply_address()).map_or("", |(text, _)| text);
        let (assignee, assignee_cut) = match &state.assignee {
            Some(name) => {
                let (name, cut) = cut(name, ASSIGNEE_BYTES);
                (Some(name), cut)
            }
            None => (None, false),
        };
        let mut used = 0;
        let tags: Vec<String> = state
            .tags
            .iter()
            .take_while(|tag| {
                used += json_len(tag) + 1;
                used <= TAGS_BYTES
            })
            .cloned()
            .collect();
        let mut used = 0;
        let fields: Vec<String> = ticket
            .fields
            .iter()
            .filter(|(_, value)| crate::fields::is_key(value))
            .map(|(id, value)| format!("{id}={value}"))
            .take_while(|entry| {
                used += json_len(entry) + 1;
                used <= FIELDS_BYTES
            })
            .collect();
        Self {
            id: ticket.id,
            created_at: ticket.created_at,
            kind: ticket.kind.clone(),
            channel: ticket.channel,
            status: state.status,
            priority: state.priority,
            segment: state.segment,
            tier: state.tier,
            assignee,
            assignee_cut,
            group: ticket.group.as_deref().map(|g| cut(g, GROUP_BYTES).0),
            more_tags: tags.len() < state.tags.len(),
            tags,
            more_fields: fields.len() < ticket.fields.len(),
            fields,
            csat: state.csat.map(|c| c.satisfied),
            last_public,
            breached: clocks.iter().any(|c| c.state == ClockState::Breached),
            clocks: clocks
                .iter()
                .filter(|c| c.running)
                .map(|c| RowClock {
                    metric: c.metric,
                    hours: c.hours,
                    due: if c.state == ClockState::Paused { None } else { c.due },
                    remaining: c.remaining,
                })
                .collect(),
            subject: cut(&ticket.subject, SUBJECT_BYTES).0,
            requester: cut(requester, REQUESTER_BYTES).0,
            built: now,
            calendar: state.stamp.calendar,
        }
    }

    /// The earliest due time of a running clock (breached ones included):
    /// the queue's sort key, "time to the next breach".
    pub fn next_due(&self) -> Option<Timestamp> {
        self.clocks.iter().filter_map(|c| c.due).min()
    }

    /// Whether a clock has breached by `now`.
    pub fn breached_at(&self, now: Timestamp) -> bool {
        self.breached || self.clocks.iter().any(|c| c.state_at(now) == ClockState::Breached)
    }

    /// The order agents work tickets in: open tickets first, then by the
    /// next due time (overdue first), tickets with nothing running after
    /// those, oldest first among equals.
    pub fn urgency(&self) -> impl Ord {
        let next_due = self.next_due();
        (!self.status.is_open(), next_due.is_none(), next_due, self.created_at, self.id)
    }

    #[cfg(feature = "server")]
    fn pack(&self) -> Packed {
        let flags = u8::from(self.more_tags) * MORE_TAGS
            + u8::from(self.assignee_cut) * ASSIGNEE_CUT
            + u8::from(self.breached) * BREACHED
            + u8::from(self.more_fields) * MORE_FIELDS;
        let clocks = self
            .clocks
            .iter()
            .map(|c| {
                let metric = METRICS.iter().position(|m| *m == c.metric).and_then(|i| u8::try_from(i).ok()).unwrap_or_default();
                (metric, u8::from(c.hours == Hours::Business), c.due.map(Timestamp::as_millis), c.remaining.as_secs())
            })
            .collect();
        Packed(
            FORMAT,
            self.created_at.as_millis(),
            self.kind.clone(),
            self.channel,
            self.status,
            self.priority,
            self.segment,
            self.tier,
            self.assignee.clone(),
            self.group.clone(),
            self.tags.clone(),
            flags,
            self.csat,
            self.last_public.as_millis(),
            clocks,
            self.subject.clone(),
            self.requester.clone(),
            self.built.as_millis(),
            self.fields.clone(),
            Some(self.calendar.clone()).filter(|name| name != crate::sla::DEFAULT_CALENDAR),
        )
    }

    #[cfg(feature = "server")]
    fn unpack(id: TicketId, packed: Packed) -> Option<Self> {
        if packed.0 != FORMAT {
            return None;
        }
        let clocks = packed
            .14
            .into_iter()
            .map(|(metric, hours, due, remaining)| {
                Some(RowClock {
                    metric: *METRICS.get(usize::from(metric))?,
                    hours: if hours == 1 { Hours::Business } else { Hours::Calendar },
                    due: due.map(Timestamp::from_millis),
                    remaining: Duration::from_secs(remaining),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let flags = packed.11;
        Some(Self {
            id,
            created_at: Timestamp::from_millis(packed.1),
            kind: packed.2,
            channel: packed.3,
            status: packed.4,
            priority: packed.5,
            segment: packed.6,
            tier: packed.7,
            assignee: packed.8,
            assignee_cut: flags & ASSIGNEE_CUT != 0,
            group: packed.9,
            tags: packed.10,
            more_tags: flags & MORE_TAGS != 0,
            csat: packed.12,
            last_public: Timestamp::from_millis(packed.13),
            breached: flags & BREACHED != 0,
            clocks,
            subject: packed.15,
            requester: packed.16,
            built: Timestamp::from_millis(packed.17),
            fields: packed.18,
            more_fields: flags & MORE_FIELDS != 0,
            calendar: packed.19.unwrap_or_else(|| crate::sla::DEFAULT_CALENDAR.to_owned()),
        })
    }

    /// The row as KV list metadata (JSON text); `None` if it would not fit
    /// [`METADATA_BYTES`], which the budgets rule out (the entry is then
    /// written without, and read from the ticket).
    #[cfg(feature = "server")]
    pub fn to_metadata(&self) -> Option<String> {
        serde_json::to_string(&self.pack()).ok().filter(|text| text.len() <= METADATA_BYTES)
    }

    /// The row of ticket `id` from its entry's metadata; `None` for
    /// metadata of another format (or none that parses): the caller reads
    /// the ticket instead.
    #[cfg(feature = "server")]
    pub fn from_metadata(id: TicketId, text: &str) -> Option<Self> {
        Self::unpack(id, serde_json::from_str(text).ok()?)
    }

    /// The row as the queue answers it at `now`.
    pub fn view<'a>(&'a self, now: Timestamp, business: &dyn NamedCalendars) -> QueueItem<'a> {
        let business = business.named(&self.calendar);
        QueueItem {
            id: self.id,
            reference: self.id.reference(),
            subject: &self.subject,
            requester: &self.requester,
            kind: &self.kind,
            channel: self.channel,
            created_at: self.created_at,
            group: self.group.as_deref(),
            state: ItemState {
                status: self.status,
                priority: self.priority,
                segment: self.segment,
                tier: self.tier,
                assignee: self.assignee.as_deref(),
                tags: &self.tags,
                csat: self.csat.map(|satisfied| ItemCsat { satisfied }),
            },
            more_tags: self.more_tags,
            clocks: self
                .clocks
                .iter()
                .map(|c| ItemClock {
                    metric: c.metric,
                    hours: c.hours,
                    state: c.state_at(now),
                    due: c.due,
                    remaining_seconds: c.remaining_at(now, business).as_secs(),
                })
                .collect(),
            breached: self.breached_at(now),
            next_due: self.next_due(),
            last_public_at: self.last_public,
            as_of: self.built,
        }
    }
}

/// A queue row as the API answers it: the ticket's id, reference, texts
/// and folded `state`, its running clocks at the request's time, and
/// `as_of`, when the row was built.
#[derive(Debug, Serialize)]
pub struct QueueItem<'a> {
    id: TicketId,
    reference: TicketRef,
    subject: &'a str,
    requester: &'a str,
    #[serde(rename = "type")]
    kind: &'a TicketType,
    channel: Channel,
    created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    state: ItemState<'a>,
    #[serde(skip_serializing_if = "core::ops::Not::not")]
    more_tags: bool,
    clocks: Vec<ItemClock>,
    breached: bool,
    next_due: Option<Timestamp>,
    last_public_at: Timestamp,
    as_of: Timestamp,
}

#[derive(Debug, Serialize)]
struct ItemState<'a> {
    status: Status,
    priority: Priority,
    segment: Segment,
    tier: u8,
    assignee: Option<&'a str>,
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    csat: Option<ItemCsat>,
}

#[derive(Debug, Serialize)]
struct ItemCsat {
    satisfied: bool,
}

#[derive(Debug, Serialize)]
struct ItemClock {
    metric: Metric,
    hours: Hours,
    state: ClockState,
    due: Option<Timestamp>,
    remaining_seconds: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::TicketEvent;
    use crate::sla::{AlwaysOpen, DEFAULT_CALENDAR};

    #[test]
    fn solved_and_closed_tickets_are_finished() {
        assert!(is_finished(Status::Solved) && is_finished(Status::Closed));
        for live in [Status::New, Status::Open, Status::Pending, Status::OnHold] {
            assert!(!is_finished(live), "{live:?}");
        }
    }

    fn ticket(kind: &str, byte: u8) -> Ticket {
        crate::ticket::test_ticket(kind, "s", byte)
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn row(ticket: &Ticket, events: &[TicketEvent]) -> QueueRow {
        QueueRow::build(ticket, events, ticket.created_at, &AlwaysOpen)
    }

    fn changed(at: Timestamp, status: Option<Status>, tier: Option<u8>, assignee: Option<&str>, tags: Option<Vec<String>>) -> TicketEvent {
        TicketEvent {
            id: format!("c-{}", at.as_millis()),
            at,
            kind: EventKind::Changed { by: "Dana".into(), status, priority: None, tier, assignee: assignee.map(Into::into), tags },
        }
    }

    fn message(id: &str, at: Timestamp, agent: bool, public: bool) -> TicketEvent {
        TicketEvent { id: id.into(), at, kind: EventKind::Message { by: "x".into(), agent, public, body: "b".into(), original: None } }
    }

    fn query(pairs: &[(&str, &str)]) -> Result<QueueFilter, String> {
        QueueFilter::parse(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn filters_parse_lists_and_name_what_is_wrong() {
        let filter = query(&[("status", "open, pending"), ("tier", "2"), ("assignee", "none,Dana"), ("segment", "")]);
        assert_eq!(
            filter,
            Ok(QueueFilter {
                status: vec![Status::Open, Status::Pending],
                tier: vec![2],
                assignee: vec![None, Some("Dana".into())],
                ..QueueFilter::default()
            })
        );
        let error = query(&[("status", "open,archived")]).err().unwrap_or_default();
        assert!(error.starts_with("status: unknown value \"archived\"") && error.contains("on_hold"), "{error}");
        assert!(query(&[("tier", "4")]).is_err());
        // A well-formed type no site offers and a malformed one read alike.
        for kind in ["bugs", "Bug", "data-export"] {
            let error = query(&[("type", kind)]).err().unwrap_or_default();
            assert_eq!(
                error,
                format!("type: unknown value {kind:?}; use password_reset, billing, outage, bug, how_to, feature_request, account, other")
            );
        }
    }

    #[test]
    fn a_filter_reads_the_folded_state_not_the_submitted_record() {
        let bug = ticket("bug", 1);
        let assigned = row(&bug, &[changed(bug.created_at, Some(Status::Pending), Some(2), Some("Sam"), None)]);
        let keeps = |pairs: &[(&str, &str)], row: &QueueRow| query(pairs).ok().and_then(|f| f.keeps(row));
        assert_eq!(keeps(&[], &assigned), Some(true));
        assert_eq!(keeps(&[("status", "pending"), ("tier", "2"), ("assignee", "Sam"), ("type", "bug,billing")], &assigned), Some(true));
        assert_eq!(keeps(&[("status", "new")], &assigned), Some(false), "the record says new; the fold says pending");
        assert_eq!(keeps(&[("assignee", "none")], &assigned), Some(false));
        assert_eq!(keeps(&[("assignee", "none")], &row(&bug, &[])), Some(true));
        assert_eq!(keeps(&[("segment", "enterprise")], &assigned), Some(false));
        assert_eq!(keeps(&[("type", "billing")], &assigned), Some(false));
    }

    #[test]
    fn a_row_with_a_cut_assignee_cannot_answer_an_assignee_filter() {
        let bug = ticket("bug", 1);
        let long = "Ő".repeat(60);
        let cut_row = row(&bug, &[changed(bug.created_at, None, None, Some(&long), None)]);
        assert!(cut_row.assignee_cut);
        let filter = |value: &str| query(&[("assignee", value)]).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(filter(&long).keeps(&cut_row), None, "the ticket is read instead");
        assert_eq!(filter("none").keeps(&cut_row), None);
        let events = [changed(bug.created_at, None, None, Some(&long), None)];
        assert!(filter(&long).keeps_ticket(&bug, &events), "the whole name");
        assert!(!filter(&long[..long.len() - 2]).keeps_ticket(&bug, &events));
        assert!(!filter("none").keeps_ticket(&bug, &events));
        assert_eq!(query(&[("status", "new")]).map(|f| f.keeps(&cut_row)), Ok(Some(true)), "other filters still answer");
    }

    #[test]
    fn the_queue_filters_by_a_custom_field_from_the_row_or_else_the_ticket() {
        let with = |byte: u8, fields: &[(&str, &str)]| {
            let mut t = ticket("bug", byte);
            t.fields = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            t
        };
        let enterprise = with(1, &[("plan", "enterprise"), ("accepts_contact", "true")]);
        let pro = with(2, &[("plan", "pro")]);
        let none = with(3, &[]);
        // A text value not shaped like an id stays out of the row, which says so.
        let texty = with(4, &[("plan", "enterprise"), ("note", "Call after 5 pm")]);
        let filter = |value: &str| query(&[("field", value)]).unwrap_or_else(|e| unreachable!("{e}"));
        let kept = |value: &str| -> Vec<(u8, Option<bool>)> {
            let f = filter(value);
            [&enterprise, &pro, &none, &texty].into_iter().map(|t| (t.id.as_bytes()[0], f.keeps(&row(t, &[])))).collect()
        };
        assert_eq!(kept("plan:enterprise"), [(1, Some(true)), (2, Some(false)), (3, Some(false)), (4, None)]);
        assert_eq!(kept("plan:enterprise,pro"), [(1, Some(true)), (2, Some(true)), (3, Some(false)), (4, None)]);
        assert_eq!(kept("accepts_contact:true"), [(1, Some(true)), (2, Some(false)), (3, Some(false)), (4, None)]);
        assert!(filter("plan:enterprise").keeps_ticket(&texty, &[]), "the ticket answers what the row cannot");
        assert!(filter("note:Call after 5 pm").keeps_ticket(&texty, &[]));
        assert_eq!(row(&enterprise, &[]).fields, ["accepts_contact=true", "plan=enterprise"]);
        assert!(query(&[("field", "Plan:pro")]).is_err_and(|e| e.starts_with("field: expected")));
        assert!(query(&[("field", "plan")]).is_err());
    }

    #[test]
    fn the_queue_filters_by_group_and_tag_from_the_row_or_else_the_ticket() {
        let routed = |byte: u8, group: Option<&str>, tags: &[&str]| {
            let mut t = ticket("bug", byte);
            t.group = group.map(Into::into);
            t.tags = tags.iter().map(|t| (*t).to_owned()).collect();
            t
        };
        let billing = routed(1, Some("billing"), &["refund"]);
        let tier2 = routed(2, Some("tier2"), &["vip", "refund"]);
        let unrouted = routed(3, None, &[]);
        let kept = |pairs: &[(&str, &str)]| -> Vec<(u8, Option<bool>)> {
            let f = query(pairs).unwrap_or_else(|e| unreachable!("{e}"));
            [&billing, &tier2, &unrouted].into_iter().map(|t| (t.id.as_bytes()[0], f.keeps(&row(t, &[])))).collect()
        };
        assert_eq!(kept(&[("group", "billing")]), [(1, Some(true)), (2, Some(false)), (3, Some(false))]);
        assert_eq!(kept(&[("group", "billing, none")]), [(1, Some(true)), (2, Some(false)), (3, Some(true))]);
        assert_eq!(kept(&[("tag", "vip")]), [(1, Some(false)), (2, Some(true)), (3, Some(false))]);
        assert_eq!(kept(&[("tag", "refund"), ("group", "tier2")]), [(1, Some(false)), (2, Some(true)), (3, Some(false))]);
        // A tag added by an agent counts, as the fold says.
        let tagged = [changed(unrouted.created_at, None, None, None, Some(vec!["vip".into()]))];
        let vip = query(&[("tag", "vip")]).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(vip.keeps(&row(&unrouted, &tagged)), Some(true));
        assert!(vip.keeps_ticket(&unrouted, &tagged) && !vip.keeps_ticket(&billing, &[]));
        // A row that left tags out cannot say a tag is missing: the ticket says.
        let many: Vec<String> = (0..40).map(|i| format!("tag-number-{i}")).collect();
        let crowded = routed(4, None, &many.iter().map(String::as_str).collect::<Vec<_>>());
        let crowded_row = row(&crowded, &[]);
        assert!(crowded_row.more_tags);
        let last = query(&[("tag", "tag-number-39")]).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(last.keeps(&crowded_row), None);
        assert!(last.keeps_ticket(&crowded, &[]));
        assert_eq!(query(&[("tag", "tag-number-0")]).map(|f| f.keeps(&crowded_row)), Ok(Some(true)));
    }

    #[test]
    fn a_row_from_before_custom_fields_still_reads() {
        let t = ticket("bug", 7);
        let text = row(&t, &[]).to_metadata().unwrap_or_default();
        assert!(text.ends_with(']') && !text.contains("=\""), "no fields, no element: {text}");
        let read = QueueRow::from_metadata(t.id, &text);
        assert_eq!(read.map(|r| (r.fields, r.more_fields)), Some((vec![], false)));
        let mut with_fields = t.clone();
        with_fields.fields.insert("plan".into(), "pro".into());
        let r = row(&with_fields, &[]);
        assert_eq!(QueueRow::from_metadata(t.id, &r.to_metadata().unwrap_or_default()), Some(r));
    }

    #[test]
    fn the_queue_filters_by_the_channel_a_ticket_came_by() {
        let from_widget = ticket("bug", 1);
        let mut from_mail = ticket("bug", 2);
        from_mail.channel = Channel::Email;
        let kept = |value: &str| -> Vec<u8> {
            let filter = query(&[("channel", value)]).unwrap_or_else(|e| unreachable!("{e}"));
            [&from_widget, &from_mail]
                .into_iter()
                .filter(|t| filter.keeps(&row(t, &[])) == Some(true))
                .map(|t| t.id.as_bytes()[0])
                .collect()
        };
        assert_eq!(kept("email"), [2]);
        assert_eq!(kept("widget"), [1]);
        assert_eq!(kept("widget,email"), [1, 2]);
        assert_eq!(kept(""), [1, 2], "no channel, no narrowing");
        assert_eq!(query(&[("channel", "fax")]).err().as_deref(), Some("channel: unknown value \"fax\"; use widget, email"));
    }

    #[test]
    fn open_tickets_come_first_then_the_most_urgent() {
        let (a, b, c) = (ticket("bug", 1), ticket("bug", 2), ticket("bug", 3));
        let later = a.created_at.plus(Duration::from_secs(60));
        let solved = row(&a, &[changed(later, Some(Status::Solved), None, None, None)]);
        // Waiting on the requester: every clock paused, nothing due.
        let pending = row(&b, &[changed(later, Some(Status::Pending), None, None, None)]);
        let open = row(&c, &[]);
        assert_eq!(pending.next_due(), None);
        assert!(open.next_due().is_some());
        let mut rows = [&solved, &pending, &open];
        rows.sort_by_key(|r| r.urgency());
        assert_eq!(rows.map(|r| r.id), [c.id, b.id, a.id]);
    }

    #[test]
    fn a_row_keeps_what_the_queue_draws() {
        let mut t = ticket("bug", 1);
        t.group = Some("billing-team".into());
        let reply = message("m1", at("2026-11-30T10:05:00Z"), true, true);
        let note = message("m2", at("2026-11-30T10:09:00Z"), true, false);
        let tagged = changed(at("2026-11-30T10:06:00Z"), None, Some(3), Some("Sam"), Some(vec!["vip".into(), "refund".into()]));
        let rated =
            TicketEvent { id: "csat".into(), at: at("2026-11-30T10:07:00Z"), kind: EventKind::Rated { satisfied: false, comment: None } };
        let r = QueueRow::build(&t, &[note, rated, tagged, reply], at("2026-11-30T10:10:00Z"), &AlwaysOpen);
        assert_eq!((r.status, r.tier, r.assignee.as_deref(), r.csat), (Status::Open, 3, Some("Sam"), Some(false)));
        assert_eq!(r.tags, ["vip", "refund"]);
        assert_eq!(r.group.as_deref(), Some("billing-team"));
        assert_eq!(r.last_public, at("2026-11-30T10:05:00Z"), "an internal note is not public");
        assert_eq!(r.requester, "ada@example.com", "no name: the email");
        assert_eq!(r.subject, "s");
        assert_eq!(r.built, at("2026-11-30T10:10:00Z"));
        // First response met by the reply: only resolution still runs.
        assert_eq!(r.clocks.iter().map(|c| c.metric).collect::<Vec<_>>(), [Metric::Resolution]);
        assert!(!r.breached);
    }

    #[test]
    fn a_rows_clocks_tell_their_state_at_any_later_time() {
        let t = ticket("bug", 1);
        let r = row(&t, &[]);
        let due = r.next_due().unwrap_or_else(|| unreachable!("a new ticket has clocks running"));
        let full = QueueRow::build(&t, &[], t.created_at, &AlwaysOpen);
        assert_eq!(r, full);
        let before = due.plus(Duration::from_secs(-600));
        assert!(!r.breached_at(before));
        assert!(r.breached_at(due), "breached at its due time, with no rebuild");
        // What the fold says at the same instants.
        for now in [before, due, due.plus(Duration::from_secs(3600))] {
            let clocks = events::clocks(&t, &[], now, &AlwaysOpen);
            let view = serde_json::to_value(r.view(now, &AlwaysOpen)).unwrap_or_default();
            for (i, clock) in clocks.iter().filter(|c| c.running).enumerate() {
                assert_eq!(view["clocks"][i]["state"], serde_json::to_value(clock.state).unwrap_or_default(), "{now}");
                assert_eq!(view["clocks"][i]["remaining_seconds"], clock.remaining.as_secs(), "{now}");
            }
            assert_eq!(view["breached"], clocks.iter().any(|c| c.state == ClockState::Breached));
        }
        // Paused while pending: no due time, the time left kept.
        let pending = row(&t, &[changed(t.created_at.plus(Duration::from_secs(600)), Some(Status::Pending), None, None, None)]);
        let far = t.created_at.plus(Duration::from_secs(30 * 86_400));
        let view = serde_json::to_value(pending.view(far, &AlwaysOpen)).unwrap_or_default();
        assert_eq!(view["clocks"][0]["state"], "paused");
        assert_eq!(view["next_due"], serde_json::Value::Null);
        assert_eq!(view["breached"], false);
    }

    #[test]
    fn texts_are_cut_at_character_boundaries_within_their_budget() {
        for (text, budget) in [("ascii only here", 10), ("ééééééééé", 9), ("日本語のテキスト", 12), ("🦀🦀🦀🦀", 12), ("a\"b\\c\u{1}d", 12)]
        {
            let (out, was_cut) = cut(text, budget);
            assert!(was_cut, "{text}");
            assert!(json_len(&out) <= budget, "{text}: {out} takes {}", json_len(&out));
            assert!(out.ends_with(ELLIPSIS));
            assert!(text.starts_with(out.trim_end_matches(ELLIPSIS)), "{text}: a prefix");
            assert_eq!(serde_json::to_string(&out).map(|s| s.len()).unwrap_or_default(), json_len(&out), "counted as JSON writes it");
        }
        assert_eq!(cut("short", 20), ("short".to_owned(), false));
    }

    #[test]
    fn a_row_round_trips_through_its_metadata() {
        let t = ticket("bug", 7);
        let r = row(&t, &[changed(t.created_at, Some(Status::Pending), Some(2), Some("Sam"), Some(vec!["a".into()]))]);
        let text = r.to_metadata().unwrap_or_default();
        assert_eq!(QueueRow::from_metadata(t.id, &text), Some(r));
        assert_eq!(QueueRow::from_metadata(t.id, &text.replacen("[1,", "[2,", 1)), None, "another format reads as missing");
        assert_eq!(QueueRow::from_metadata(t.id, "{}"), None);
    }

    /// The default calendar open around the clock (UTC), and
    /// "afternoons" open from 12:00 to midnight UTC, every day.
    fn calendars() -> crate::calendar::Calendars {
        let every_day = |hours: &str| crate::calendar::CalendarSpec {
            time_zone: "UTC".into(),
            open: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| (d.to_owned(), hours.to_owned())).into(),
            holidays: Vec::new(),
        };
        let calendar = |hours: &str| {
            crate::calendar::BusinessCalendar::new(&every_day(hours), jiff::tz::TimeZone::UTC).unwrap_or_else(|e| unreachable!("{e}"))
        };
        crate::calendar::Calendars::new(calendar("00:00-24:00"), [("afternoons".to_owned(), calendar("12:00-24:00"))].into())
    }

    #[test]
    fn a_rows_business_clocks_count_in_its_tickets_calendar() {
        // Free tickets: first response is 24 business hours.
        let mut late = ticket("bug", 8);
        late.sla.calendar = "afternoons".into();
        let plain = ticket("bug", 9);
        let named = calendars();
        let (late_row, plain_row) =
            (QueueRow::build(&late, &[], late.created_at, &named), QueueRow::build(&plain, &[], plain.created_at, &named));
        assert_eq!(late_row.calendar, "afternoons");
        assert_eq!(plain_row.calendar, DEFAULT_CALENDAR);
        // Filed 10:00 UTC: the afternoons' 24 hours are 12:00-24:00 on two days.
        assert_eq!(late_row.next_due(), Some(at("2026-12-02T00:00:00Z")));
        assert_eq!(plain_row.next_due(), Some(at("2026-12-01T10:00:00Z")));
        assert_eq!(index_due(&late, &named), at("2026-12-02T00:00:00Z"));
        let now = at("2026-11-30T11:00:00Z");
        let left =
            |row: &QueueRow| serde_json::to_value(row.view(now, &named)).unwrap_or_default()["clocks"][0]["remaining_seconds"].clone();
        assert_eq!(left(&late_row), 24 * 3600, "nothing of the afternoons' hours has passed at 11:00");
        assert_eq!(left(&plain_row), 23 * 3600);
        // The calendar's name travels with the row; a row without one (the
        // default's, or written before rows had it) reads as the default.
        let text = late_row.to_metadata().unwrap_or_default();
        assert!(text.ends_with(",\"afternoons\"]"), "{text}");
        assert_eq!(QueueRow::from_metadata(late.id, &text), Some(late_row));
        let text = plain_row.to_metadata().unwrap_or_default();
        assert!(!text.contains("default"), "{text}");
        assert_eq!(QueueRow::from_metadata(plain.id, &text), Some(plain_row));
    }

    #[test]
    fn the_largest_row_fits_kv_metadata() {
        // Every field at its largest: the longest subject and name in
        // four-byte characters, a quote-heavy assignee and group, every tag
        // at its longest, the longest type, every clock running with
        // far-off times, every flag set.
        let mut t = ticket("bug", 9);
        t.subject = "🦀".repeat(crate::ticket::MAX_SUBJECT);
        t.requester.typed.name = "\"".repeat(crate::ticket::MAX_NAME);
        t.group = Some("\u{1}".repeat(crate::routing::MAX_LABEL));
        t.kind = TicketType::parse(&"x".repeat(crate::ticket::MAX_TYPE_LEN)).unwrap_or(TicketType::OTHER);
        t.sla.calendar = "z".repeat(32);
        t.fields = (0..20).map(|i| (format!("{i:z>32}"), "v".repeat(32))).collect();
        let tags: Vec<String> = (0..20).map(|i| format!("{i:0>64}")).collect();
        let far = Timestamp::from_millis(999_999_999_999_999);
        let mut r =
            QueueRow::build(&t, &[changed(t.created_at, None, Some(3), Some(&"\\".repeat(500)), Some(tags))], t.created_at, &AlwaysOpen);
        r.clocks = METRICS
            .iter()
            .map(|m| RowClock { metric: *m, hours: Hours::Business, due: Some(far), remaining: Duration::from_secs(i64::from(u32::MAX)) })
            .collect();
        (r.created_at, r.last_public, r.built, r.csat, r.breached) = (far, far, far, Some(false), true);
        r.status = Status::OnHold;
        r.segment = Segment::Enterprise;
        assert!(r.more_tags && r.assignee_cut && r.more_fields && !r.fields.is_empty());
        let text = r.to_metadata().unwrap_or_default();
        assert!(!text.is_empty() && text.len() <= METADATA_BYTES, "{} bytes", text.len());
        assert_eq!(QueueRow::from_metadata(t.id, &text), Some(r));
    }
}
