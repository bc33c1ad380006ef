//! A ticket's history: events stored append-only (one KV key each, never
//! rewritten), the fold that derives the ticket's current state from its
//! record and its events, and the sweep's decision of which events are
//! due at an instant.
//!
//! Event ids are deterministic where the sweep writes them
//! (`breach-first_response-0`, `escalate-outage.0`), so a second sweep at
//! the same instant finds them by key and records nothing twice.

use crate::config::EventType;
use crate::playbook::{self, Playbook, ACCOUNT_MANAGER};
use crate::sla::SlaPolicy;
use crate::sla::{self, Clock, ClockEvent, ClockState, Metric, NamedCalendars, SlaStamp};
use crate::ticket::{FieldCode, FieldError, Ticket};
use crate::time::Timestamp;
use crate::vocab::{Field, Priority, Segment, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// An agent set the requester's segment; the SLA was re-stamped.
    SegmentChanged {
        /// The new segment.
        segment: Segment,
        /// The targets it brought.
        stamp: SlaStamp,
        /// The agent.
        by: String,
    },
    /// An escalation rule applied.
    Escalated {
        /// The rule's id.
        rule: String,
        /// The tier it moved the ticket to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<u8>,
        /// Who it assigned the ticket to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assign: Option<String>,
        /// Why.
        reason: String,
        /// Whether it fires the `ticket.escalated` webhook.
        #[serde(default)]
        notify: bool,
    },
    /// A target passed unmet.
    Breached {
        /// Which target.
        metric: Metric,
        /// Which run of it.
        cycle: u32,
    },
    /// A message on the ticket: the requester's, or an agent's public
    /// reply or internal note.
    Message {
        /// An agent's name, or `requester`.
        by: String,
        /// Whether an agent wrote it.
        agent: bool,
        /// Whether the requester sees it (their own messages always are).
        public: bool,
        /// The text, as written.
        body: String,
        /// For the requester's answer by email: the size in bytes of the
        /// original message, kept for agents (see
        /// `email::inbound::keeps_original`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original: Option<u64>,
    },
    /// A file attached to a message: one event per file, recorded right
    /// after its message, with the message's event id and the file's place
    /// in it (`{message}.file{index}`) as its id, so a retry writes nothing new.
    Attachment {
        /// The file.
        file: crate::attach::FileInfo,
        /// The id of the message event it belongs to.
        message: String,
        /// Who attached it: an agent's name, or `requester`.
        by: String,
        /// Whether an agent attached it.
        agent: bool,
        /// Whether the requester sees it (as they see its message).
        public: bool,
        /// The upload it came from, which names where its bytes are kept.
        upload: String,
    },
    /// The requester rated the help (once, on a solved ticket).
    Rated {
        /// Satisfied or not.
        satisfied: bool,
        /// What they added, if anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// An agent changed the ticket.
    Changed {
        /// The agent.
        by: String,
        /// The new status.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<Status>,
        /// The new priority (and the SLA targets it brings).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<(Priority, SlaStamp)>,
        /// The new tier.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tier: Option<u8>,
        /// The new assignee (an empty name unassigns).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        assignee: Option<String>,
        /// The new tags (replacing the old).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tags: Option<Vec<String>>,
    },
}

/// One event of a ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// Unique within the ticket; the last part of its storage key.
    pub id: String,
    /// When it happened (a breach: the due time that passed).
    pub at: Timestamp,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl TicketEvent {
    /// The webhook event type it fires, if any.
    pub fn webhook_type(&self) -> Option<EventType> {
        match &self.kind {
            EventKind::Breached { .. } => Some(EventType::SlaBreached),
            EventKind::Escalated { notify: true, .. } => Some(EventType::TicketEscalated),
            EventKind::Escalated { .. } | EventKind::Attachment { .. } => None,
            EventKind::Message { .. } => Some(EventType::MessageCreated),
            EventKind::Rated { .. } => Some(EventType::CsatSubmitted),
            EventKind::Changed { .. } | EventKind::SegmentChanged { .. } => Some(EventType::TicketUpdated),
        }
    }
}

/// What an agent asks to change (`POST /v1/agent/tickets/{id}/changes`);
/// every field is optional, at least one is needed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRequest {
    /// A new status.
    #[serde(default)]
    pub status: Option<Status>,
    /// A new priority (the SLA is re-stamped from it).
    #[serde(default)]
    pub priority: Option<Priority>,
    /// A new tier, 1–3.
    #[serde(default)]
    pub tier: Option<u8>,
    /// An agent's name, or `""` to unassign.
    #[serde(default)]
    pub assignee: Option<String>,
    /// The ticket's tags, replacing the old ones.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

impl ChangeRequest {
    /// Checks the change and makes its event: tiers 1–3, assignees among
    /// `agents`, tags as lowercase slugs (at most 20), and a new priority
    /// re-stamped with `policy` from the ticket's receipt.
    ///
    /// # Errors
    /// One [`FieldError`] per faulty field.
    pub fn into_kind(self, by: &str, agents: &[&str], policy: &SlaPolicy, state: &TicketState) -> Result<EventKind, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.tier.is_some_and(|t| !(1..=3).contains(&t)) {
            errors.push(FieldError::new(Field::Tier, FieldCode::UnknownValue));
        }
        if self.assignee.as_deref().is_some_and(|a| !a.is_empty() && !agents.contains(&a)) {
            errors.push(FieldError::new(Field::Assignee, FieldCode::UnknownValue));
        }
        if self.tags.as_ref().is_some_and(|tags| tags.len() > 20 || tags.iter().any(|t| !crate::routing::is_tag(t))) {
            errors.push(FieldError::new(Field::Tags, FieldCode::InvalidText));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let priority = self.priority.map(|p| (p, policy.stamp(state.segment, p, state.stamp.started, &state.stamp.calendar)));
        Ok(EventKind::Changed {
            by: by.to_owned(),
            status: self.status,
            priority,
            tier: self.tier,
            assignee: self.assignee,
            tags: self.tags,
        })
    }
}

/// The id of a ticket's one satisfaction rating: a second rating finds it
/// by key, and two at once write the same key, so a ticket never holds two.
pub const CSAT_EVENT_ID: &str = "csat";

/// A satisfaction rating as the requester sends it
/// (`POST /v1/tickets/{id}/csat`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsatRequest {
    /// Satisfied (`true`) or not.
    pub satisfied: bool,
    /// An optional comment.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Why a rating is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsatRefusal {
    /// The ticket is not solved (or closed).
    NotSolved,
    /// The ticket already has its rating.
    AlreadyRated,
    /// The comment is not acceptable.
    Invalid(FieldError),
}

impl CsatRequest {
    /// Checks the rating against the ticket as it stands and makes its event.
    ///
    /// # Errors
    /// A [`CsatRefusal`] saying why.
    pub fn into_kind(self, state: &TicketState) -> Result<EventKind, CsatRefusal> {
        if state.csat.is_some() {
            return Err(CsatRefusal::AlreadyRated);
        }
        if state.status.is_open() {
            return Err(CsatRefusal::NotSolved);
        }
        let comment = crate::ticket::validate_comment(self.comment.as_deref().unwrap_or("")).map_err(CsatRefusal::Invalid)?;
        Ok(EventKind::Rated { satisfied: self.satisfied, comment })
    }
}

/// A ticket's satisfaction rating.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Csat {
    /// Satisfied or not.
    pub satisfied: bool,
    /// The requester's comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When it was given.
    pub at: Timestamp,
}

/// The id of the breach event of a target's run.
pub fn breach_id(metric: Metric, cycle: u32) -> String {
    format!("breach-{}-{cycle}", metric.as_str())
}

/// The id of the event of a message's `index`th file: the message's
/// event id and the file's place in it.
pub fn attachment_id(message: &str, index: usize) -> String {
    format!("{message}.file{index}")
}

/// The id of the event of an escalation rule.
pub fn escalation_id(rule: &str) -> String {
    format!("escalate-{rule}")
}

/// A ticket as it stands: its record with its events folded in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TicketState {
    /// The requester's segment.
    pub segment: Segment,
    /// Its priority.
    pub priority: Priority,
    /// Its status.
    pub status: Status,
    /// The support tier working it.
    pub tier: u8,
    /// Who it is assigned to.
    pub assignee: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// The SLA targets in force.
    pub stamp: SlaStamp,
    /// The requester's satisfaction rating, once given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<Csat>,
}

/// The status a message leaves a ticket in: the first public agent reply
/// opens a new ticket; a requester's message reopens a pending or solved
/// one (a closed ticket stays closed).
const fn after_message(status: Status, agent: bool, public: bool) -> Status {
    match (status, agent, public) {
        (Status::New, true, true) => Status::Open,
        (Status::Pending | Status::Solved, false, _) => Status::Open,
        (status, _, _) => status,
    }
}

/// Folds events, in time order, into the ticket's record.
pub fn fold(ticket: &Ticket, events: &[TicketEvent]) -> TicketState {
    let mut state = TicketState {
        segment: ticket.segment,
        priority: ticket.priority,
        status: ticket.status,
        tier: ticket.tier,
        assignee: None,
        tags: ticket.tags.clone(),
        stamp: ticket.sla.clone(),
        csat: None,
    };
    let mut sorted: Vec<&TicketEvent> = events.iter().collect();
    sorted.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    for event in sorted {
        match &event.kind {
            EventKind::SegmentChanged { segment, stamp, .. } => {
                state.segment = *segment;
                state.stamp = stamp.clone();
            }
            EventKind::Escalated { tier, assign, .. } => {
                state.tier = tier.unwrap_or(state.tier);
                state.assignee = assign.clone().or(state.assignee.take());
            }
            EventKind::Breached { .. } | EventKind::Attachment { .. } => {}
            EventKind::Rated { satisfied, comment } => {
                state.csat = Some(Csat { satisfied: *satisfied, comment: comment.clone(), at: event.at });
            }
            EventKind::Message { agent, public, .. } => state.status = after_message(state.status, *agent, *public),
            EventKind::Changed { status, priority, tier, assignee, tags, .. } => {
                state.status = status.unwrap_or(state.status);
                if let Some((priority, stamp)) = priority {
                    state.priority = *priority;
                    state.stamp = stamp.clone();
                }
                state.tier = tier.unwrap_or(state.tier);
                if let Some(who) = assignee {
                    state.assignee = (!who.is_empty()).then(|| who.clone());
                }
                if let Some(tags) = tags {
                    state.tags = tags.clone();
                }
            }
        }
    }
    state
}

/// The events that move clocks, in time order: public agent replies,
/// requester messages, and every status change, including the ones a
/// message causes (see [`fold`]).
pub fn clock_events(events: &[TicketEvent]) -> Vec<ClockEvent> {
    let mut sorted: Vec<&TicketEvent> = events.iter().collect();
    sorted.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let mut status = Status::New;
    let mut out = Vec::new();
    for event in sorted {
        let next = match &event.kind {
            EventKind::Message { agent, public, .. } => {
                match (agent, public) {
                    (true, true) => out.push(ClockEvent::AgentReplied(event.at)),
                    (false, _) => out.push(ClockEvent::RequesterReplied(event.at)),
                    (true, false) => {}
                }
                after_message(status, *agent, *public)
            }
            EventKind::Changed { status: Some(s), .. } => *s,
            _ => status,
        };
        if next != status {
            out.push(ClockEvent::Status(next, event.at));
            status = next;
        }
    }
    out
}

/// The ticket's clocks at `now`, with every recorded breach kept as
/// recorded: a later re-stamp or policy change never undoes one.
pub fn clocks(ticket: &Ticket, events: &[TicketEvent], now: Timestamp, business: &dyn NamedCalendars) -> Vec<Clock> {
    let state = fold(ticket, events);
    let mut clocks = sla::clocks(&state.stamp, &clock_events(events), now, business);
    for event in events {
        if let EventKind::Breached { metric, cycle } = event.kind {
            if let Some(clock) = clocks.iter_mut().find(|c| c.metric == metric && c.cycle == cycle) {
                clock.state = ClockState::Breached;
                clock.at = Some(event.at);
                clock.due = Some(event.at);
                clock.remaining = crate::time::Duration::default();
            }
        }
    }
    clocks
}

/// What the sweep must record for a ticket at `now`: each breach not yet
/// recorded (stamped at its due time), and each escalation rule due and
/// not yet applied while the ticket is open. `account_manager` resolves to
/// `account_manager` (the requester's named manager), none until the
/// requester's identity is verified.
pub fn due_events(
    ticket: &Ticket,
    events: &[TicketEvent],
    now: Timestamp,
    business: &dyn NamedCalendars,
    playbooks: &BTreeMap<String, Playbook>,
    account_manager: Option<&str>,
) -> Vec<TicketEvent> {
    let recorded = |id: &str| events.iter().any(|e| e.id == id);
    let state = fold(ticket, events);
    let mut out = Vec::new();
    for clock in sla::clocks(&state.stamp, &clock_events(events), now, business) {
        let id = breach_id(clock.metric, clock.cycle);
        if let (ClockState::Breached, Some(at)) = (clock.state, clock.at) {
            if !recorded(&id) {
                out.push(TicketEvent { id, at, kind: EventKind::Breached { metric: clock.metric, cycle: clock.cycle } });
            }
        }
    }
    if state.status.is_open() {
        for due in playbook::escalations(playbooks, &ticket.kind, state.segment, ticket.created_at) {
            let id = escalation_id(&due.rule);
            if due.due > now || recorded(&id) {
                continue;
            }
            let (assign, reason) = match due.assign.as_deref() {
                Some(ACCOUNT_MANAGER) => match account_manager {
                    Some(manager) => (Some(manager.to_owned()), due.reason),
                    None => (None, format!("{} (no named account manager: the requester is not verified)", due.reason)),
                },
                _ => (due.assign, due.reason),
            };
            out.push(TicketEvent {
                id,
                at: due.due,
                kind: EventKind::Escalated { rule: due.rule, tier: due.tier, assign, reason, notify: due.notify },
            });
        }
    }
    out.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    out
}

/// When the sweep should next look at a ticket: the earliest due time of a
/// running clock or of an escalation not yet applied; `None` when nothing
/// is left to watch.
pub fn next_check(
    ticket: &Ticket,
    events: &[TicketEvent],
    now: Timestamp,
    business: &dyn NamedCalendars,
    playbooks: &BTreeMap<String, Playbook>,
) -> Option<Timestamp> {
    let state = fold(ticket, events);
    // Only clocks still counting down: a breach already passed is recorded once and needs no second look.
    let clock_due = clocks(ticket, events, now, business).iter().filter(|c| c.state == ClockState::Active).filter_map(|c| c.due).min();
    let escalation_due = state.status.is_open().then(|| {
        playbook::escalations(playbooks, &ticket.kind, state.segment, ticket.created_at)
            .into_iter()
            .filter(|d| !events.iter().any(|e| e.id == escalation_id(&d.rule)))
            .map(|d| d.due)
            .min()
    });
    [clock_due, escalation_due.flatten()].into_iter().flatten().min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TicketId;
    use crate::sla::{AlwaysOpen, SlaPolicy};
    use crate::ticket::{NewTicket, Stamp};

    fn t(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn ticket(kind: &str, segment: Segment) -> Ticket {
        let input = NewTicket {
            site: "demo".into(),
            email: "ada@example.com".into(),
            kind: kind.into(),
            subject: "s".into(),
            message: "m".into(),
            ..NewTicket::default()
        };
        let policy = SlaPolicy::default();
        let stamp = Stamp {
            id: TicketId::from_bytes([1; 16]),
            segment,
            priority: Priority::Normal,
            group: None,
            tags: vec![],
            now: t("2026-11-30T10:00:00Z"),
            policy: &policy,
            calendar: crate::sla::DEFAULT_CALENDAR,
            offered: crate::ticket::TicketType::BUILT_IN,
        };
        input.into_ticket(stamp).unwrap_or_else(|e| unreachable!("{e:?}"))
    }

    fn books() -> BTreeMap<String, Playbook> {
        serde_json::from_str(
            r#"{ "password_reset": { "escalate": [{ "after": "10m", "tier": 2, "reason": "Not solved in 10 minutes" }] },
                 "any": { "escalate": [{ "segment": ["enterprise"], "assign": "account_manager", "notify": true, "reason": "Enterprise" }] } }"#,
        )
        .unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn ids(events: &[TicketEvent]) -> Vec<(String, String)> {
        events.iter().map(|e| (e.id.clone(), e.at.to_string())).collect()
    }

    #[test]
    fn the_sweep_records_breaches_at_their_due_time_and_only_once() {
        let ticket = ticket("bug", Segment::Enterprise);
        let now = t("2026-11-30T18:00:00Z");
        let due = due_events(&ticket, &[], now, &AlwaysOpen, &books(), None);
        assert_eq!(
            ids(&due),
            [
                ("escalate-any.0".into(), "2026-11-30T10:00:00.000Z".into()),
                ("breach-first_response-0".into(), "2026-11-30T11:00:00.000Z".into()),
                ("breach-resolution-0".into(), "2026-11-30T14:00:00.000Z".into()),
            ]
        );
        // A second sweep, at the same instant or later, finds them recorded.
        assert_eq!(due_events(&ticket, &due, now, &AlwaysOpen, &books(), None), []);
        assert_eq!(due_events(&ticket, &due, t("2026-12-01T00:00:00Z"), &AlwaysOpen, &books(), None), []);
        assert_eq!(
            due.iter().filter_map(TicketEvent::webhook_type).collect::<Vec<_>>(),
            [EventType::TicketEscalated, EventType::SlaBreached, EventType::SlaBreached]
        );
    }

    #[test]
    fn escalations_apply_when_due_and_fold_into_the_tier() {
        let ticket = ticket("password_reset", Segment::Free);
        assert_eq!(due_events(&ticket, &[], t("2026-11-30T10:09:59Z"), &AlwaysOpen, &books(), None), []);
        let due = due_events(&ticket, &[], t("2026-11-30T10:10:00Z"), &AlwaysOpen, &books(), None);
        assert_eq!(ids(&due), [("escalate-password_reset.0".into(), "2026-11-30T10:10:00.000Z".into())]);
        assert_eq!(due[0].webhook_type(), None, "notify is off for this rule");
        assert_eq!(fold(&ticket, &due).tier, 2);
        assert_eq!(next_check(&ticket, &[], t("2026-11-30T10:00:00Z"), &AlwaysOpen, &books()), Some(t("2026-11-30T10:10:00Z")));
        assert_eq!(next_check(&ticket, &due, t("2026-11-30T10:10:00Z"), &AlwaysOpen, &books()), Some(t("2026-12-01T10:00:00Z")));
    }

    #[test]
    fn the_account_manager_is_named_only_when_known() {
        let ticket = ticket("billing", Segment::Enterprise);
        let now = t("2026-11-30T10:00:30Z");
        let unknown = due_events(&ticket, &[], now, &AlwaysOpen, &books(), None);
        let EventKind::Escalated { assign, reason, .. } = &unknown[0].kind else { unreachable!() };
        assert_eq!(assign, &None);
        assert!(reason.contains("not verified"));
        let known = due_events(&ticket, &[], now, &AlwaysOpen, &books(), Some("Maria"));
        assert_eq!(fold(&ticket, &known).assignee.as_deref(), Some("Maria"));
    }

    #[test]
    fn a_restamp_moves_due_times_but_never_undoes_a_recorded_breach() {
        let ticket = ticket("bug", Segment::Free);
        let policy = SlaPolicy::default();
        let breach = TicketEvent {
            id: breach_id(Metric::FirstResponse, 0),
            at: t("2026-12-01T10:00:00Z"),
            kind: EventKind::Breached { metric: Metric::FirstResponse, cycle: 0 },
        };
        // Re-stamped as enterprise later; enterprise resolution (4 h) is long past.
        let restamp = TicketEvent {
            id: "segment-1".into(),
            at: t("2026-12-01T12:00:00Z"),
            kind: EventKind::SegmentChanged {
                segment: Segment::Business,
                stamp: policy.stamp(Segment::Business, Priority::Normal, ticket.created_at, crate::sla::DEFAULT_CALENDAR),
                by: "Dana".into(),
            },
        };
        let events = [breach.clone(), restamp];
        let state = fold(&ticket, &events);
        assert_eq!(state.segment, Segment::Business);
        let clocks = clocks(&ticket, &events, t("2026-12-01T13:00:00Z"), &AlwaysOpen);
        let first = clocks.iter().find(|c| c.metric == Metric::FirstResponse).copied();
        assert_eq!(first.map(|c| (c.state, c.at)), Some((ClockState::Breached, Some(breach.at))), "the recorded breach stands");
        let resolution = clocks.iter().find(|c| c.metric == Metric::Resolution).copied();
        assert_eq!(resolution.and_then(|c| c.due), Some(t("2026-12-01T10:00:00Z")), "business 24 h, calendar hours here");
    }

    fn message(id: &str, at: &str, agent: bool, public: bool) -> TicketEvent {
        TicketEvent {
            id: id.into(),
            at: t(at),
            kind: EventKind::Message {
                by: if agent { "Dana".into() } else { "requester".into() },
                agent,
                public,
                body: "hi".into(),
                original: None,
            },
        }
    }

    fn status(id: &str, at: &str, to: Status) -> TicketEvent {
        TicketEvent {
            id: id.into(),
            at: t(at),
            kind: EventKind::Changed { by: "Dana".into(), status: Some(to), priority: None, tier: None, assignee: None, tags: None },
        }
    }

    #[test]
    fn replies_and_changes_fold_into_state_and_move_clocks() {
        let ticket = ticket("bug", Segment::Enterprise);
        let events = vec![
            message("m1", "2026-11-30T10:20:00Z", true, false), // internal note: nothing moves
            message("m2", "2026-11-30T10:30:00Z", true, true),  // first public reply: open, first response met
            status("c1", "2026-11-30T10:31:00Z", Status::Pending),
            message("m3", "2026-11-30T12:31:00Z", false, true), // the requester answers: open again
        ];
        assert_eq!(fold(&ticket, &events).status, Status::Open);
        assert_eq!(fold(&ticket, &events[..3]).status, Status::Pending);
        let now = t("2026-11-30T13:00:00Z");
        let clocks = clocks(&ticket, &events, now, &AlwaysOpen);
        let of = |m: Metric| clocks.iter().filter(|c| c.metric == m).map(|c| (c.state, c.at.map(|a| a.to_string()))).collect::<Vec<_>>();
        assert_eq!(of(Metric::FirstResponse), [(ClockState::Met, Some("2026-11-30T10:30:00.000Z".into()))]);
        // Resolution (4 h): 31 min used before pending, the 2 h pending do not count.
        let resolution = clocks.iter().find(|c| c.metric == Metric::Resolution).copied();
        assert_eq!(resolution.and_then(|c| c.due), Some(t("2026-11-30T16:00:00Z")));
        // The requester's answer after an agent reply starts next response (2 h).
        let next = clocks.iter().find(|c| c.metric == Metric::NextResponse).copied();
        assert_eq!(next.map(|c| (c.state, c.due)), Some((ClockState::Active, Some(t("2026-11-30T14:31:00Z")))));
        assert_eq!(
            clock_events(&events),
            [
                ClockEvent::AgentReplied(t("2026-11-30T10:30:00Z")),
                ClockEvent::Status(Status::Open, t("2026-11-30T10:30:00Z")),
                ClockEvent::Status(Status::Pending, t("2026-11-30T10:31:00Z")),
                ClockEvent::RequesterReplied(t("2026-11-30T12:31:00Z")),
                ClockEvent::Status(Status::Open, t("2026-11-30T12:31:00Z")),
            ]
        );
    }

    #[test]
    fn changes_are_checked_and_a_new_priority_restamps_the_sla() {
        let ticket = ticket("bug", Segment::Enterprise);
        let state = fold(&ticket, &[]);
        let policy = SlaPolicy::default();
        let ask = |change: ChangeRequest| change.into_kind("Dana", &["Dana", "Sam"], &policy, &state);
        let kind = ask(ChangeRequest { priority: Some(Priority::Urgent), assignee: Some("Sam".into()), ..ChangeRequest::default() });
        let Ok(EventKind::Changed { priority: Some((p, stamp)), assignee, .. }) = kind else { unreachable!("{kind:?}") };
        assert_eq!((p, assignee.as_deref()), (Priority::Urgent, Some("Sam")));
        assert_eq!(stamp.targets[0].span, crate::time::Duration::from_secs(30 * 60), "enterprise urgent: half an hour");
        let fields =
            |r: Result<EventKind, Vec<FieldError>>| r.err().unwrap_or_default().iter().map(|e| e.field.as_str()).collect::<Vec<_>>();
        assert_eq!(
            fields(ask(ChangeRequest {
                tier: Some(4),
                assignee: Some("Nobody".into()),
                tags: Some(vec!["Bad Tag".into()]),
                ..ChangeRequest::default()
            })),
            ["tier", "assignee", "tags"]
        );
        assert!(ask(ChangeRequest { assignee: Some(String::new()), ..ChangeRequest::default() }).is_ok(), "unassigning");
    }

    #[test]
    fn a_requester_message_reopens_a_solved_ticket_but_not_a_closed_one() {
        let ticket = ticket("bug", Segment::Free);
        let solved = [status("c1", "2026-11-30T11:00:00Z", Status::Solved), message("m1", "2026-11-30T12:00:00Z", false, true)];
        assert_eq!(fold(&ticket, &solved).status, Status::Open);
        let closed = [status("c1", "2026-11-30T11:00:00Z", Status::Closed), message("m1", "2026-11-30T12:00:00Z", false, true)];
        assert_eq!(fold(&ticket, &closed).status, Status::Closed);
    }

    #[test]
    fn a_solved_ticket_is_rated_once_and_an_open_one_not_at_all() {
        let ticket = ticket("bug", Segment::Free);
        let ask = |events: &[TicketEvent], comment: Option<&str>| {
            CsatRequest { satisfied: false, comment: comment.map(str::to_owned) }.into_kind(&fold(&ticket, events))
        };
        assert_eq!(ask(&[], None), Err(CsatRefusal::NotSolved));
        let solved = [status("c1", "2026-11-30T11:00:00Z", Status::Solved)];
        let kind = ask(&solved, Some("  Slow, but it works now. "));
        assert_eq!(kind, Ok(EventKind::Rated { satisfied: false, comment: Some("Slow, but it works now.".into()) }));
        assert_eq!(ask(&solved, Some("   ")), Ok(EventKind::Rated { satisfied: false, comment: None }), "a blank comment is none");
        let too_long = "x".repeat(crate::ticket::MAX_COMMENT + 1);
        assert!(matches!(ask(&solved, Some(&too_long)), Err(CsatRefusal::Invalid(FieldError { field: Field::Comment, .. }))));
        let rated = [
            solved[0].clone(),
            TicketEvent { id: CSAT_EVENT_ID.into(), at: t("2026-11-30T12:00:00Z"), kind: kind.unwrap_or_else(|e| unreachable!("{e:?}")) },
        ];
        let state = fold(&ticket, &rated);
        assert_eq!(state.csat.as_ref().map(|c| (c.satisfied, c.at)), Some((false, t("2026-11-30T12:00:00Z"))));
        assert_eq!(ask(&rated, None), Err(CsatRefusal::AlreadyRated));
        assert_eq!(rated[1].webhook_type(), Some(EventType::CsatSubmitted));
        // A rating stays when the requester writes again and the ticket reopens.
        let reopened = [rated[0].clone(), rated[1].clone(), message("m1", "2026-11-30T13:00:00Z", false, true)];
        assert_eq!(fold(&ticket, &reopened).status, Status::Open);
        assert!(fold(&ticket, &reopened).csat.is_some());
    }

    #[test]
    fn events_round_trip_as_json() {
        let event = TicketEvent {
            id: "escalate-outage.0".into(),
            at: t("2026-11-30T10:00:00Z"),
            kind: EventKind::Escalated { rule: "outage.0".into(), tier: Some(2), assign: None, reason: "Outage".into(), notify: true },
        };
        let text = serde_json::to_string(&event).unwrap_or_default();
        assert!(text.contains(r#""kind":"escalated""#), "{text}");
        assert_eq!(serde_json::from_str::<TicketEvent>(&text).ok(), Some(event));
    }
}
