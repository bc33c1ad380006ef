//! Who a ticket's figures belong to: the per-agent and per-group
//! breakdowns of the metrics report, and who may see which rows.
//!
//! The attribution, per ticket of the period (the report's cohort: the
//! tickets received in it, with their replies, solves and ratings
//! whenever they happened):
//! - its **first response** belongs to the agent who sent its first
//!   public reply;
//! - its **resolution** and its **CSAT** rating belong to the agent who
//!   solved it: who last set it solved or closed (a rating given and then
//!   reopened stays with them);
//! - an agent **handled** it when they sent it a public reply or solved
//!   it; their **replies** are their public replies to it;
//! - its **group** is the one routing gave it (`then.group`, kept on the
//!   ticket); its group row counts it as received, with its first
//!   response, resolution, rating and every public reply.
//!
//! A ticket no agent has handled yet counts in the "no agent" row (key
//! `None`), and one routing gave no group in the "no group" row.
//!
//! An agent is stored as [`AgentKey`], a 32-bit hash of their name (the
//! name their replies and changes carry), so a ticket's facts stay small;
//! the worker names the keys from the site's roster
//! ([`Report::name_agents`]). A key no roster name gives (an agent removed
//! or renamed since) keeps its row, shown by its key.
//!
//! Leads and admins (`Action::SeeAllMetrics`) see every row, or one
//! agent's when they ask for it; an agent sees only their own row and no
//! group rows, and asking for someone else's is refused ([`visible`]).

use super::{durations, Durations, Facts, Report, Satisfaction, Timing};
use crate::agents::{Action, Role};
use crate::events::{EventKind, TicketEvent};
use crate::histogram::{base36, push_base36};
use crate::vocab::Status;
use serde::{Deserialize, Serialize};

/// An agent as the metrics keep them: the 32-bit FNV-1a hash of their
/// name. Two names of one roster share a key about once in four billion
/// pairs; they would then share a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgentKey(pub u32);

impl AgentKey {
    /// The key of the agent named `name`.
    pub fn of(name: &str) -> Self {
        let mut hash: u32 = 0x811c_9dc5;
        for byte in name.as_bytes() {
            hash ^= u32::from(*byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
        Self(hash)
    }

    /// The key in base 36, as the API, the CSV and the compact facts show it.
    pub fn text(self) -> String {
        let mut out = String::new();
        push_base36(&mut out, u64::from(self.0));
        out
    }

    /// Reads [`Self::text`].
    ///
    /// # Errors
    /// What is wrong with the text.
    pub fn parse(text: &str) -> Result<Self, String> {
        base36(text).and_then(|n| u32::try_from(n).map(Self).map_err(|e| e.to_string()))
    }
}

/// The most agents a ticket's facts name as having handled it (the
/// first ones to): the facts stay inside KV metadata's 1,024 bytes.
pub const MAX_HANDLERS: usize = 6;
/// The most bytes of a group's name kept in a ticket's facts (names are
/// at most 64 characters; a longer one in bytes is cut at a character).
pub const GROUP_BYTES: usize = 64;

/// Whom one ticket's figures are credited to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credits {
    /// The agent of its first public reply.
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    pub first_by: Option<AgentKey>,
    /// The agent who last set it solved or closed.
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    pub solved_by: Option<AgentKey>,
    /// The agents who handled it (replied publicly or solved), with their
    /// public replies, in the order they first did (at most [`MAX_HANDLERS`]).
    #[serde(rename = "h", default, skip_serializing_if = "Vec::is_empty")]
    pub handlers: Vec<(AgentKey, u32)>,
    /// The group routing gave it.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// The tag that starts a credits segment in the compact facts.
const TAG: char = 'w';

impl Credits {
    /// The credits of a ticket routed to `group`, from its events.
    pub fn of(events: &[TicketEvent], group: Option<&str>) -> Self {
        let mut sorted: Vec<&TicketEvent> = events.iter().collect();
        sorted.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        let mut credits = Self { group: group.map(cut_group), ..Self::default() };
        let handled = |key: AgentKey, replies: u32, list: &mut Vec<(AgentKey, u32)>| {
            if let Some((_, n)) = list.iter_mut().find(|(k, _)| *k == key) {
                *n += replies;
            } else if list.len() < MAX_HANDLERS {
                list.push((key, replies));
            }
        };
        for event in sorted {
            match &event.kind {
                EventKind::Message { by, agent: true, public: true, .. } => {
                    let key = AgentKey::of(by);
                    credits.first_by.get_or_insert(key);
                    handled(key, 1, &mut credits.handlers);
                }
                EventKind::Changed { by, status: Some(Status::Solved | Status::Closed), .. } => {
                    let key = AgentKey::of(by);
                    credits.solved_by = Some(key);
                    handled(key, 0, &mut credits.handlers);
                }
                _ => {}
            }
        }
        credits
    }

    /// Whether it credits no one and names no group.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Writes the segment that starts compact facts with credits:
    /// `w{first}/{solver}/{key}:{replies},…/{group}|`, keys in base 36
    /// (empty when none) and the group as `{bytes}:{name}` (empty when
    /// none), so the name may hold any character. Nothing when empty.
    pub(super) fn encode(&self, out: &mut String) {
        if self.is_empty() {
            return;
        }
        let key = |k: Option<AgentKey>| k.map(AgentKey::text).unwrap_or_default();
        out.push(TAG);
        out.push_str(&key(self.first_by));
        out.push('/');
        out.push_str(&key(self.solved_by));
        out.push('/');
        let handlers: Vec<String> = self.handlers.iter().map(|(k, n)| format!("{}:{}", k.text(), n)).collect();
        out.push_str(&handlers.join(","));
        out.push('/');
        if let Some(group) = &self.group {
            out.push_str(&format!("{}:{group}", group.len()));
        }
        out.push('|');
    }

    /// Splits compact facts into their credits (empty without a segment)
    /// and the rest.
    ///
    /// # Errors
    /// What is wrong with the segment.
    pub(super) fn split(text: &str) -> Result<(Self, &str), String> {
        let Some(body) = text.strip_prefix(TAG) else { return Ok((Self::default(), text)) };
        let bad = || format!("bad credits {text:?}");
        let mut parts = body.splitn(4, '/');
        let (Some(first), Some(solver), Some(handlers), Some(tail)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let key = |t: &str| if t.is_empty() { Ok(None) } else { AgentKey::parse(t).map(Some) };
        let handlers = handlers
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| {
                let (k, n) = h.split_once(':').ok_or_else(bad)?;
                Ok((AgentKey::parse(k)?, n.parse::<u32>().map_err(|e| e.to_string())?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let (group, rest) = match tail.strip_prefix('|') {
            Some(rest) => (None, rest),
            None => {
                let (len, named) = tail.split_once(':').ok_or_else(bad)?;
                let len: usize = len.parse().map_err(|_| bad())?;
                let (group, rest) = (named.get(..len).ok_or_else(bad)?, named.get(len..).ok_or_else(bad)?);
                (Some(group.to_owned()), rest.strip_prefix('|').ok_or_else(bad)?)
            }
        };
        Ok((Self { first_by: key(first)?, solved_by: key(solver)?, handlers, group }, rest))
    }
}

fn cut_group(name: &str) -> String {
    let mut end = name.len().min(GROUP_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What one row (an agent, a group) adds up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// Tickets: handled (an agent's row), received (a group's).
    #[serde(rename = "n", default, skip_serializing_if = "is_zero")]
    pub tickets: u64,
    /// Public agent replies.
    #[serde(rename = "p", default, skip_serializing_if = "is_zero")]
    pub replies: u64,
    /// Solved tickets.
    #[serde(rename = "v", default, skip_serializing_if = "is_zero")]
    pub solved: u64,
    /// Satisfied ratings.
    #[serde(rename = "s", default, skip_serializing_if = "is_zero")]
    pub satisfied: u64,
    /// Ratings.
    #[serde(rename = "q", default, skip_serializing_if = "is_zero")]
    pub rated: u64,
    /// First responses.
    #[serde(rename = "f", default)]
    pub first_response: Timing,
    /// Resolutions.
    #[serde(rename = "r", default)]
    pub resolution: Timing,
}

impl Share {
    fn merge(&mut self, other: &Self) {
        self.tickets += other.tickets;
        self.replies += other.replies;
        self.solved += other.solved;
        self.satisfied += other.satisfied;
        self.rated += other.rated;
        self.first_response.merge(&other.first_response);
        self.resolution.merge(&other.resolution);
    }

    fn solve(&mut self, resolution: Option<[i64; 2]>, csat: Option<bool>) {
        self.solved += u64::from(resolution.is_some());
        self.resolution.add(resolution);
        self.satisfied += u64::from(csat == Some(true));
        self.rated += u64::from(csat.is_some());
    }
}

fn share<'a, K: PartialEq + Clone>(list: &'a mut Vec<(K, Share)>, key: &K) -> &'a mut Share {
    let at = match list.iter().position(|(k, _)| k == key) {
        Some(at) => at,
        None => {
            list.push((key.clone(), Share::default()));
            list.len() - 1
        }
    };
    &mut list[at].1
}

/// The per-agent and per-group sums of a set of tickets; they add up as
/// the rest of a [`super::Tally`] does.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByTally {
    /// Per agent (`None`: tickets no agent handled, and solves and ratings
    /// credited to no one).
    #[serde(rename = "a", default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<(Option<AgentKey>, Share)>,
    /// Per group (`None`: no group).
    #[serde(rename = "g", default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<(Option<String>, Share)>,
}

impl ByTally {
    /// Counts one ticket's figures by its credits. Facts written before
    /// credits were (their ticket answered or solved, yet crediting no
    /// one) are left out: they count in no row until their ticket changes
    /// and its facts are written again.
    pub fn add(&mut self, f: &Facts) {
        let by = &f.by;
        if by.is_empty() && (f.replies > 0 || f.resolution.is_some()) {
            return;
        }
        for (agent, replies) in &by.handlers {
            let row = share(&mut self.agents, &Some(*agent));
            row.tickets += 1;
            row.replies += u64::from(*replies);
        }
        if by.handlers.is_empty() {
            share(&mut self.agents, &None).tickets += 1;
        }
        if f.first_response.is_some() {
            share(&mut self.agents, &by.first_by).first_response.add(f.first_response);
        }
        if f.resolution.is_some() || f.csat.is_some() {
            share(&mut self.agents, &by.solved_by).solve(f.resolution, f.csat);
        }
        let group = share(&mut self.groups, &by.group);
        group.tickets += 1;
        group.replies += u64::from(f.replies);
        group.first_response.add(f.first_response);
        group.solve(f.resolution, f.csat);
    }

    /// Adds another's sums.
    pub fn merge(&mut self, other: &Self) {
        for (key, theirs) in &other.agents {
            share(&mut self.agents, key).merge(theirs);
        }
        for (key, theirs) in &other.groups {
            share(&mut self.groups, key).merge(theirs);
        }
    }

    /// Whether it counts nothing.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty() && self.groups.is_empty()
    }
}

/// One row's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowFigures {
    /// Tickets: handled (an agent's row), received (a group's).
    pub tickets: u64,
    /// Public agent replies to them.
    pub replies: u64,
    /// Tickets solved (an agent's: by them).
    pub solved: u64,
    /// First response time of the first responses credited to the row.
    pub first_response: Durations,
    /// Time to resolution of the solves credited to the row.
    pub resolution: Durations,
    /// The ratings credited to the row.
    pub csat: Satisfaction,
}

impl RowFigures {
    fn of(s: &Share) -> Self {
        Self {
            tickets: s.tickets,
            replies: s.replies,
            solved: s.solved,
            first_response: durations(&s.first_response),
            resolution: durations(&s.resolution),
            csat: Satisfaction { satisfied: s.satisfied, rated: s.rated, percent: super::percent(s.satisfied, s.rated) },
        }
    }
}

/// One agent's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AgentFigures {
    /// Their key ([`AgentKey::text`]); none for the "no agent" row.
    pub key: Option<String>,
    /// Their name, when the site's roster has it.
    pub agent: Option<String>,
    /// The figures.
    #[serde(flatten)]
    pub figures: RowFigures,
}

/// One group's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupFigures {
    /// The group; none for the "no group" row.
    pub group: Option<String>,
    /// The figures.
    #[serde(flatten)]
    pub figures: RowFigures,
}

/// The rows of a tally: agents by key, then the "no agent" row; groups
/// by name, then the "no group" row.
pub(super) fn rows(t: &ByTally) -> (Vec<AgentFigures>, Vec<GroupFigures>) {
    let mut agents: Vec<&(Option<AgentKey>, Share)> = t.agents.iter().filter(|(_, s)| *s != Share::default()).collect();
    agents.sort_by_key(|(k, _)| (k.is_none(), *k));
    let mut groups: Vec<&(Option<String>, Share)> = t.groups.iter().filter(|(_, s)| *s != Share::default()).collect();
    groups.sort_by(|(a, _), (b, _)| (a.is_none(), a).cmp(&(b.is_none(), b)));
    (
        agents.into_iter().map(|(k, s)| AgentFigures { key: k.map(AgentKey::text), agent: None, figures: RowFigures::of(s) }).collect(),
        groups.into_iter().map(|(g, s)| GroupFigures { group: g.clone(), figures: RowFigures::of(s) }).collect(),
    )
}

/// Which breakdown rows a reader sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visible {
    /// One agent's row only (with zeros when they have none); `None`: every agent's.
    pub agent: Option<AgentKey>,
    /// Whether the group rows are shown.
    pub groups: bool,
}

/// Asking for another agent's figures without `Action::SeeAllMetrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotYours;

/// Which rows the agent named `me`, of `role`, sees when they ask for the
/// agent named `asked` (or for everyone): leads and admins every row, or
/// the one agent's they ask for, and the groups'; an agent only their own
/// row, and no group's.
///
/// # Errors
/// [`NotYours`] when an agent without `Action::SeeAllMetrics` asks for
/// someone else.
pub fn visible(role: Role, me: &str, asked: Option<&str>) -> Result<Visible, NotYours> {
    if role.may(Action::SeeAllMetrics) {
        return Ok(Visible { agent: asked.map(AgentKey::of), groups: true });
    }
    match asked {
        Some(other) if other != me => Err(NotYours),
        _ => Ok(Visible { agent: Some(AgentKey::of(me)), groups: false }),
    }
}

impl Report {
    /// Keeps the breakdown rows `visible` allows: one agent's row (with
    /// zeros when they have none) or all, and the group rows or none.
    pub fn keep_rows(&mut self, visible: &Visible) {
        if let Some(key) = visible.agent {
            let text = key.text();
            self.by_agent.retain(|row| row.key.as_deref() == Some(text.as_str()));
            if self.by_agent.is_empty() {
                self.by_agent.push(AgentFigures { key: Some(text), agent: None, figures: RowFigures::of(&Share::default()) });
            }
        }
        if !visible.groups {
            self.by_group.clear();
        }
    }

    /// Names the agent rows from `names` (the site's roster) and orders
    /// them by name: named rows, then the rows no name gives, by key, then
    /// the "no agent" row.
    pub fn name_agents<S: AsRef<str>>(&mut self, names: &[S]) {
        for row in &mut self.by_agent {
            row.agent = row
                .key
                .as_deref()
                .and_then(|key| names.iter().find(|n| AgentKey::of(n.as_ref()).text() == key))
                .map(|n| n.as_ref().to_owned());
        }
        self.by_agent.sort_by(|a, b| {
            let rank = |r: &AgentFigures| (r.key.is_none(), r.agent.is_none(), r.agent.clone(), r.key.clone());
            rank(a).cmp(&rank(b))
        });
    }
}

/// The CSV rows of the breakdowns, `(section, item, value)`: per agent
/// (`by_agent`, items `{name}_{figure}`, a row no name gives under its
/// key, the "no agent" row as `(no agent)`) and per group (`by_group`,
/// `(no group)`).
pub(super) fn csv_rows(r: &Report) -> Vec<(String, String, String)> {
    let num = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
    let secs = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    let mut push = |section: &str, label: &str, f: &RowFigures| {
        let mut item = |name: &str, value: String| out.push((section.to_owned(), format!("{label}_{name}"), value));
        item("tickets", f.tickets.to_string());
        item("replies", f.replies.to_string());
        item("solved", f.solved.to_string());
        item("first_response_median_seconds", secs(f.first_response.calendar.median));
        item("first_response_p90_seconds", secs(f.first_response.calendar.p90));
        item("resolution_median_seconds", secs(f.resolution.calendar.median));
        item("resolution_p90_seconds", secs(f.resolution.calendar.p90));
        item("csat_rated", f.csat.rated.to_string());
        item("csat_percent_satisfied", num(f.csat.percent));
    };
    for row in &r.by_agent {
        let label = row.agent.clone().or_else(|| row.key.clone()).unwrap_or_else(|| "(no agent)".into());
        push("by_agent", &label, &row.figures);
    }
    for row in &r.by_group {
        push("by_group", row.group.as_deref().unwrap_or("(no group)"), &row.figures);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{csv, report, report_from, DayRollup, Facts, Period, Tally, HOUR_MS};
    use crate::sla::AlwaysOpen;
    use crate::ticket::Ticket;
    use crate::time::Timestamp;
    use jiff::tz::TimeZone;

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// A bug received at `at`, routed to `group`.
    fn ticket(at: &str, group: Option<&str>) -> Ticket {
        let mut ticket = crate::metrics::tests::ticket("bug");
        ticket.created_at = t(at);
        ticket.sla.started = t(at);
        ticket.group = group.map(str::to_owned);
        ticket
    }

    fn event(id: &str, at: &str, kind: EventKind) -> TicketEvent {
        TicketEvent { id: id.into(), at: t(at), kind }
    }

    fn said(id: &str, at: &str, by: &str, agent: bool, public: bool) -> TicketEvent {
        event(id, at, EventKind::Message { by: by.into(), agent, public, body: "b".into(), original: None })
    }

    fn set(id: &str, at: &str, by: &str, status: Status) -> TicketEvent {
        event(id, at, EventKind::Changed { by: by.into(), status: Some(status), priority: None, tier: None, assignee: None, tags: None })
    }

    fn rated(at: &str, satisfied: bool) -> TicketEvent {
        event(crate::events::CSAT_EVENT_ID, at, EventKind::Rated { satisfied, comment: None })
    }

    fn facts(ticket: &Ticket, events: &[TicketEvent]) -> Facts {
        Facts::of(ticket, events, t("2026-11-10T00:00:00Z"), &AlwaysOpen)
    }

    fn period() -> Period {
        Period::parse("2026-11-02", "2026-11-09", TimeZone::UTC).unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// Dana and Sam's week: Dana answers a finance ticket first, Sam
    /// answers it too and solves it, and its requester is satisfied; Sam
    /// answers and solves an ungrouped one, rated unsatisfied; Dana leaves
    /// a note on a third (not a reply) that nobody has answered yet.
    fn the_week() -> Vec<Facts> {
        let finance = ticket("2026-11-03T09:00:00Z", Some("finance"));
        let plain = ticket("2026-11-04T09:00:00Z", None);
        let waiting = ticket("2026-11-05T09:00:00Z", Some("finance"));
        vec![
            facts(
                &finance,
                &[
                    said("m1", "2026-11-03T09:10:00Z", "Dana", true, true),
                    said("m2", "2026-11-03T09:20:00Z", "requester", false, true),
                    said("m3", "2026-11-03T09:40:00Z", "Sam", true, true),
                    said("m4", "2026-11-03T09:50:00Z", "Sam", true, true),
                    set("c1", "2026-11-03T10:00:00Z", "Sam", Status::Solved),
                    rated("2026-11-03T11:00:00Z", true),
                ],
            ),
            facts(
                &plain,
                &[
                    said("m1", "2026-11-04T09:30:00Z", "Sam", true, true),
                    set("c1", "2026-11-04T11:00:00Z", "Sam", Status::Solved),
                    rated("2026-11-04T12:00:00Z", false),
                ],
            ),
            facts(&waiting, &[said("m1", "2026-11-05T09:30:00Z", "Dana", true, false)]),
        ]
    }

    type Row = (Option<String>, u64, u64, u64, Option<i64>, Option<i64>, Option<f64>);

    fn row(label: Option<String>, f: &RowFigures) -> Row {
        (label, f.tickets, f.replies, f.solved, f.first_response.calendar.median, f.resolution.calendar.median, f.csat.percent)
    }

    #[test]
    fn first_response_goes_to_the_first_replier_resolution_and_csat_to_the_solver() {
        let week = the_week();
        let dana = AgentKey::of("Dana");
        let sam = AgentKey::of("Sam");
        assert_eq!(
            week[0].by,
            Credits { first_by: Some(dana), solved_by: Some(sam), handlers: vec![(dana, 1), (sam, 2)], group: Some("finance".into()) }
        );
        assert_eq!(week[2].by, Credits { group: Some("finance".into()), ..Credits::default() }, "a note handles nothing");
        let mut r = report(&period(), &week, &[]);
        r.name_agents(&["Sam", "Dana", "Lee"]);
        let agents: Vec<Row> = r.by_agent.iter().map(|a| row(a.agent.clone(), &a.figures)).collect();
        assert_eq!(
            agents,
            [
                (Some("Dana".into()), 1, 1, 0, Some(600), None, None),
                (Some("Sam".into()), 2, 3, 2, Some(1800), Some(3600), Some(50.0)),
                (None, 1, 0, 0, None, None, None),
            ],
            "named rows by name, then the no-agent row; Lee handled nothing and has no row"
        );
        assert_eq!(r.by_agent[2].key, None);
        // Sam's resolutions: one hour and two hours; the nearest-rank median is the lower.
        assert_eq!(r.by_agent[1].figures.resolution.calendar.p90, Some(7200));
        let groups: Vec<Row> = r.by_group.iter().map(|g| row(g.group.clone(), &g.figures)).collect();
        assert_eq!(
            groups,
            [(Some("finance".into()), 2, 3, 1, Some(600), Some(3600), Some(100.0)), (None, 1, 1, 1, Some(1800), Some(7200), Some(0.0))]
        );
        // The groups' tickets add up to the period's.
        assert_eq!(r.by_group.iter().map(|g| g.figures.tickets).sum::<u64>(), r.tickets);
    }

    #[test]
    fn the_last_to_solve_or_close_is_credited_and_a_reopened_rating_stays_with_them() {
        let ticket = ticket("2026-11-03T09:00:00Z", None);
        let events = [
            said("m1", "2026-11-03T09:10:00Z", "Dana", true, true),
            set("c1", "2026-11-03T10:00:00Z", "Dana", Status::Solved),
            rated("2026-11-03T10:30:00Z", true),
            said("m2", "2026-11-03T11:00:00Z", "requester", false, true),
        ];
        let f = facts(&ticket, &events);
        assert_eq!((f.resolution, f.csat, f.by.solved_by), (None, Some(true), Some(AgentKey::of("Dana"))));
        let r = report(&period(), &[f], &[]);
        assert_eq!((r.by_agent[0].figures.solved, r.by_agent[0].figures.csat.rated), (0, 1), "rated, then reopened: not solved");
        let mut closed = events.to_vec();
        closed.push(set("c2", "2026-11-03T12:00:00Z", "Sam", Status::Closed));
        assert_eq!(facts(&ticket, &closed).by.solved_by, Some(AgentKey::of("Sam")));
    }

    #[test]
    fn the_handlers_kept_are_the_first_few() {
        let ticket = ticket("2026-11-03T09:00:00Z", Some(&"g".repeat(70)));
        let events: Vec<TicketEvent> =
            (0..9).map(|i| said(&format!("m{i}"), &format!("2026-11-03T10:0{i}:00Z"), &format!("Agent {i}"), true, true)).collect();
        let f = facts(&ticket, &events);
        assert_eq!(f.by.handlers.len(), MAX_HANDLERS);
        assert_eq!(f.by.handlers[0], (AgentKey::of("Agent 0"), 1));
        assert_eq!(f.by.group.as_deref().map(str::len), Some(64), "a group's name is kept to 64 bytes");
        assert!(serde_json::to_string(&f.encode()).unwrap_or_default().len() < 400);
    }

    #[test]
    fn hourly_rollups_carry_the_rows_and_add_up_to_the_per_ticket_report() {
        let week = the_week();
        let day = |d: &str| t(d).as_millis();
        let days: Vec<DayRollup> = ["2026-11-03", "2026-11-04", "2026-11-05"]
            .iter()
            .map(|d| DayRollup::of(day(&format!("{d}T00:00:00Z")), &week, &[], day("2026-11-09T00:00:00Z")))
            .collect();
        let mut hours = Vec::new();
        for (d, rollup) in days.iter().enumerate() {
            for (h, hour) in rollup.hours.iter().enumerate() {
                if let Some(hour) = hour {
                    hours.push((day("2026-11-03T00:00:00Z") + d as i64 * 24 * HOUR_MS + h as i64 * HOUR_MS, hour));
                }
            }
        }
        let exact = report(&period(), &week, &[]);
        let rolled = report_from(&period(), &hours, &[], &[]);
        assert_eq!(rolled.by_group.iter().map(|g| g.figures.tickets).collect::<Vec<_>>(), [2, 1]);
        let counts = |r: &Report| {
            r.by_agent.iter().map(|a| (a.key.clone(), a.figures.tickets, a.figures.solved, a.figures.csat.rated)).collect::<Vec<_>>()
        };
        assert_eq!(counts(&rolled), counts(&exact));
        // Stored and read back, a roll-up keeps its rows.
        let text = serde_json::to_string(&days[0]).unwrap_or_default();
        let back: DayRollup = serde_json::from_str(&text).unwrap_or_else(|e| unreachable!("{e}: {text}"));
        let tally = |d: &DayRollup| {
            d.hours.iter().flatten().fold(Tally::default(), |mut all, h| {
                all.merge(&h.tally);
                all
            })
        };
        assert_eq!(tally(&back).by.agents.len(), 2, "Dana and Sam of 3 November");
        assert_eq!(
            tally(&back).by.groups,
            tally(&days[0])
                .by
                .groups
                .iter()
                .map(|(g, s)| (
                    g.clone(),
                    Share { first_response: reread(&s.first_response), resolution: reread(&s.resolution), ..s.clone() }
                ))
                .collect::<Vec<_>>()
        );
    }

    /// A timing as it reads back from storage (its histogram only).
    fn reread(timing: &Timing) -> Timing {
        serde_json::from_str(&serde_json::to_string(timing).unwrap_or_default()).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn rollups_and_facts_stored_before_the_breakdowns_still_read_and_show_no_rows() {
        let old_day = r#"{"h":[{"q":[1,0,0,0],"t":{"n":1,"s":[[1,0,0]],"c":[{"n":1,"f":{"c":"","b":""},"r":{"c":"","b":""}}],"m":[[0,0],[0,0],[0,0]]}}]}"#;
        let day: DayRollup = serde_json::from_str(old_day).unwrap_or_else(|e| unreachable!("{e}"));
        let hour = day.hours[0].as_ref().map(|h| h.tally.clone()).unwrap_or_default();
        assert_eq!((hour.tickets, hour.by.is_empty()), (1, true));
        let old_json: Facts =
            serde_json::from_str(r#"{"c":1793700000000,"s":"free","k":"bug","f":[600,600],"n":1}"#).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(old_json.by.is_empty());
        let old_compact = Facts::decode("f1|mhhz8n40|00-00|bug|go,go||1||").unwrap_or_else(|e| unreachable!("{e}"));
        assert!(old_compact.by.is_empty());
        let r = report(&period(), &[old_compact, old_json], &[]);
        assert!(r.by_agent.is_empty() && r.by_group.is_empty(), "answered before credits: in no row, {:?}", r.by_agent);
        assert_eq!(r.tickets, 1, "yet counted in the totals");
    }

    #[test]
    fn leads_and_admins_see_every_row_an_agent_only_their_own() {
        let sam = Some(AgentKey::of("Sam"));
        let cases = [
            (Role::Admin, None, Ok(Visible { agent: None, groups: true })),
            (Role::Lead, None, Ok(Visible { agent: None, groups: true })),
            (Role::Lead, Some("Sam"), Ok(Visible { agent: sam, groups: true })),
            (Role::Agent, None, Ok(Visible { agent: Some(AgentKey::of("Dana")), groups: false })),
            (Role::Agent, Some("Dana"), Ok(Visible { agent: Some(AgentKey::of("Dana")), groups: false })),
            (Role::Agent, Some("Sam"), Err(NotYours)),
        ];
        for (role, asked, expected) in cases {
            assert_eq!(visible(role, "Dana", asked), expected, "{role:?} asking for {asked:?}");
        }
        let mut r = report(&period(), &the_week(), &[]);
        let all = r.clone();
        r.keep_rows(&Visible { agent: Some(AgentKey::of("Dana")), groups: false });
        r.name_agents(&["Dana", "Sam"]);
        assert_eq!(r.by_agent.iter().map(|a| a.agent.as_deref()).collect::<Vec<_>>(), [Some("Dana")]);
        assert!(r.by_group.is_empty());
        let text = csv(&r, None);
        assert!(text.contains("by_agent,Dana_tickets,1") && !text.contains("Sam") && !text.contains("by_group"), "{text}");
        // Someone with no row in the period gets one of zeros.
        let mut lee = all.clone();
        lee.keep_rows(&Visible { agent: Some(AgentKey::of("Lee")), groups: true });
        lee.name_agents(&["Lee"]);
        assert_eq!(lee.by_agent.iter().map(|a| (a.agent.as_deref(), a.figures.tickets)).collect::<Vec<_>>(), [(Some("Lee"), 0)]);
        assert_eq!(lee.by_group.len(), 2);
        // A row whose agent the roster no longer names shows its key.
        let mut gone = all;
        gone.name_agents(&["Dana"]);
        let text = csv(&gone, None);
        let sam_key = AgentKey::of("Sam").text();
        assert!(text.contains(&format!("by_agent,{sam_key}_solved,2")), "{text}");
        assert!(text.contains("by_agent,(no agent)_tickets,1") && text.contains("by_group,finance_csat_percent_satisfied,100.0"), "{text}");
    }

    #[test]
    fn agent_keys_read_back() {
        for name in ["Dana", "", "Zoë Ünïcode", "x".repeat(80).as_str()] {
            let key = AgentKey::of(name);
            assert_eq!(AgentKey::parse(&key.text()), Ok(key));
        }
        assert_ne!(AgentKey::of("Dana"), AgentKey::of("dana"));
        assert!(AgentKey::parse("zzzzzzzz").is_err(), "beyond 32 bits");
    }
}
