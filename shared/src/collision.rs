//! Collision warnings, presence and bulk changes: the rules agents meet
//! when several of them work one queue.
//!
//! - **Collisions.** An agent's reply or change may carry the id of the
//!   last event they saw (`If-Match`). It still holds when nobody else has
//!   written to the ticket since; otherwise the write is refused (`409
//!   edit_conflict`) with what changed ([`Room::claim`]). The check and the
//!   append it allows happen in one step in the ticket's room (a Durable
//!   Object, strongly consistent, one request at a time), so two replies
//!   sent on the same view cannot both pass.
//! - **Presence.** Each open console beats every [`HEARTBEAT_MS`] with
//!   what its agent does on the ticket (viewing or replying); an agent is
//!   present until [`PRESENCE_TTL_MS`] after their last beat
//!   ([`Presence`]).
//! - **Bulk changes.** A selection in the queue gets one change, recorded
//!   on each ticket as that ticket's own change ([`BulkRequest`]).
//!
//! ```
//! use buoy_shared::collision::{Room, Verdict};
//! use buoy_shared::events::{EventKind, TicketEvent};
//! use buoy_shared::time::Timestamp;
//! let reply = |id: &str, by: &str, ms: i64| TicketEvent {
//!     id: id.into(), at: Timestamp::from_millis(ms),
//!     kind: EventKind::Message { by: by.into(), agent: true, public: true, body: "Hi".into(), original: None },
//! };
//! let mut room = Room::default();
//! // Ana and Sam both saw `m1`; Ana replies first.
//! assert_eq!(room.claim(Some("m1"), "ana", &[reply("m1", "requester", 1)], &[reply("m2", "ana", 2)]), Verdict::Holds);
//! match room.claim(Some("m1"), "sam", &[reply("m1", "requester", 1)], &[reply("m3", "sam", 3)]) {
//!     Verdict::Changed { since, latest } => assert_eq!((since.len(), latest.as_str()), (1, "m2")),
//!     other => unreachable!("{other:?}"),
//! }
//! ```

use crate::events::{ChangeRequest, EventKind, TicketEvent, TicketState};
use crate::time::Timestamp;
use crate::vocab::Status;
use serde::{Deserialize, Serialize};

/// What `If-Match` names for a ticket without events yet: its creation
/// (a ticket's first message is its record, not an event).
pub const CREATED: &str = "created";
/// How often an open console tells the room its agent is still there.
pub const HEARTBEAT_MS: i64 = 10_000;
/// How long an agent stays present after their last beat: three beats,
/// so one lost beat does not make them flicker away.
pub const PRESENCE_TTL_MS: i64 = 3 * HEARTBEAT_MS;
/// How many of a ticket's latest events its room keeps. The room only has
/// to cover what Workers KV's lists may not show yet (up to a minute of
/// writes); older events are in every list.
pub const KEPT_EVENTS: usize = 100;
/// The most tickets one bulk change takes: each costs about ten KV
/// operations and one call to its room, and a request may make 1,000 of
/// the first.
pub const BULK_MAX: usize = 50;

/// Who made a change someone else should hear of before writing: an
/// agent's name, `requester`, or `sweep` for an escalation. `None` for
/// what only follows from others (a file of a message, a breached clock).
pub fn author(kind: &EventKind) -> Option<&str> {
    match kind {
        EventKind::Message { by, .. } | EventKind::Changed { by, .. } | EventKind::SegmentChanged { by, .. } => Some(by),
        EventKind::Rated { .. } => Some("requester"),
        EventKind::Escalated { .. } => Some("sweep"),
        EventKind::Attachment { .. } | EventKind::Breached { .. } => None,
    }
}

/// Whether a write that saw up to some event still holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nobody else wrote since: the write goes ahead (and is now the
    /// room's latest).
    Holds,
    /// Someone else wrote since: the write is refused.
    Changed {
        /// Every event after the one the agent saw, in order, as the
        /// ticket's view shows them.
        since: Vec<TicketEvent>,
        /// The id of the ticket's latest event: `If-Match` for sending
        /// anyway, having seen `since`.
        latest: String,
    },
    /// The event the agent says they saw is not one of this ticket's.
    Unknown,
}

/// The event id an `If-Match` header names: an entity tag (`"msg-…"`,
/// also weak, `W/"…"`) or the bare id. `None` for `*` or an empty value,
/// which ask for no check.
pub fn if_match(header: &str) -> Option<&str> {
    let tag = header.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    let tag = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag);
    (!tag.is_empty() && tag != "*").then_some(tag)
}

/// Merges `more` into `log`: each event once (by id), in the order the
/// fold reads them (time, then id).
pub fn merge(log: &mut Vec<TicketEvent>, more: &[TicketEvent]) {
    for event in more {
        if !log.iter().any(|e| e.id == event.id) {
            log.push(event.clone());
        }
    }
    log.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
}

/// Whether a write by `me` that saw up to event `seen` still holds over
/// `log` (ordered as [`merge`] leaves it): it does when every event after
/// `seen` is `me`'s own or nobody's ([`author`]). `seen` may be
/// [`CREATED`]: every event is then since.
pub fn check(seen: &str, me: &str, log: &[TicketEvent]) -> Verdict {
    let since = match log.iter().position(|e| e.id == seen) {
        Some(at) => &log[at + 1..],
        None if seen == CREATED => log,
        None => return Verdict::Unknown,
    };
    if since.iter().all(|e| author(&e.kind).is_none_or(|by| by == me)) {
        return Verdict::Holds;
    }
    let latest = log.last().map_or_else(String::new, |e| e.id.clone());
    Verdict::Changed { since: since.to_vec(), latest }
}

/// A ticket's room: its latest events, as a Durable Object keeps them.
/// Every write through the API tells it its events, so it knows what
/// Workers KV's lists may not show yet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    /// The latest events, in order, at most [`KEPT_EVENTS`].
    pub log: Vec<TicketEvent>,
}

impl Room {
    /// Checks a write and, when it holds, records its `events` in one
    /// step: `seen` is the write's `If-Match` (none: no check, as for the
    /// requester, mail and scripts), `listed` the ticket's events as a KV
    /// list shows them (it may lag; the room fills in what it lacks).
    pub fn claim(&mut self, seen: Option<&str>, me: &str, listed: &[TicketEvent], events: &[TicketEvent]) -> Verdict {
        if let Some(seen) = seen {
            let mut known = self.log.clone();
            merge(&mut known, listed);
            let verdict = check(seen, me, &known);
            if verdict != Verdict::Holds {
                return verdict;
            }
        }
        merge(&mut self.log, events);
        let over = self.log.len().saturating_sub(KEPT_EVENTS);
        self.log.drain(..over);
        Verdict::Holds
    }

    /// The id of the latest event the room knows of.
    pub fn latest(&self) -> Option<&str> {
        self.log.last().map(|e| e.id.as_str())
    }
}

/// What an agent does on a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// The ticket is open in their console.
    Viewing,
    /// They are typing a reply or a note.
    Replying,
    /// They closed it (the console's last beat).
    Gone,
}

/// One agent on a ticket, until their presence lapses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Present {
    /// The agent's name.
    pub agent: String,
    /// What they do.
    pub activity: Activity,
    /// When they stop counting as present without another beat.
    pub until: Timestamp,
}

/// Who is on a ticket: one entry per agent, each lapsing
/// [`PRESENCE_TTL_MS`] after its last beat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The agents, in the order they came.
    pub present: Vec<Present>,
}

impl Presence {
    /// Records `agent`'s beat at `now` (`Gone` removes them), drops
    /// lapsed entries, and answers who else is there.
    pub fn beat(&mut self, agent: &str, activity: Activity, now: Timestamp) -> Vec<Present> {
        self.present.retain(|p| p.until > now && p.agent != agent);
        if activity != Activity::Gone {
            let until = Timestamp::from_millis(now.as_millis().saturating_add(PRESENCE_TTL_MS));
            self.present.push(Present { agent: agent.to_owned(), activity, until });
        }
        self.others(agent, now)
    }

    /// Everyone present at `now` but `me`.
    pub fn others(&self, me: &str, now: Timestamp) -> Vec<Present> {
        self.present.iter().filter(|p| p.agent != me && p.until > now).cloned().collect()
    }
}

/// One change for a selection of tickets (`POST /v1/agent/bulk`):
/// assign, set a status, add tags; at least one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// The tickets, by id: 1 to [`BULK_MAX`], each once.
    pub tickets: Vec<String>,
    /// A new status.
    #[serde(default)]
    pub status: Option<Status>,
    /// An agent's name, or `""` to unassign.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Tags to add to each ticket's own.
    #[serde(default)]
    pub add_tags: Vec<String>,
}

/// Why a bulk request is refused as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkError {
    /// No ticket, more than [`BULK_MAX`], or one named twice.
    Tickets,
    /// Nothing to change.
    NothingToChange,
}

impl BulkError {
    /// A sentence for the problem's `detail`.
    pub const fn detail(self) -> &'static str {
        match self {
            Self::Tickets => "tickets: give 1 to 50 ticket ids, each once",
            Self::NothingToChange => "nothing to change: give status, assignee or add_tags",
        }
    }
}

impl BulkRequest {
    /// Checks the request's shape (each ticket's change is checked on its
    /// own, as a single change is).
    ///
    /// # Errors
    /// [`BulkError`] when the selection or the change is empty or too large.
    pub fn validate(&self) -> Result<(), BulkError> {
        let repeated = self.tickets.iter().enumerate().any(|(i, t)| self.tickets[..i].contains(t));
        if self.tickets.is_empty() || self.tickets.len() > BULK_MAX || repeated {
            return Err(BulkError::Tickets);
        }
        if self.status.is_none() && self.assignee.is_none() && self.add_tags.is_empty() {
            return Err(BulkError::NothingToChange);
        }
        Ok(())
    }

    /// The single change this makes on a ticket in `state`: its status
    /// and assignee as asked, and its tags with the new ones added (none
    /// when it has them all already).
    pub fn change_for(&self, state: &TicketState) -> ChangeRequest {
        self.change_with_tags(&state.tags)
    }

    /// [`BulkRequest::change_for`] a ticket whose tags are `had`.
    pub fn change_with_tags(&self, had: &[String]) -> ChangeRequest {
        let mut tags = had.to_vec();
        for tag in &self.add_tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        ChangeRequest {
            status: self.status,
            assignee: self.assignee.clone(),
            tags: (tags != had).then_some(tags),
            ..ChangeRequest::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, ms: i64, kind: EventKind) -> TicketEvent {
        TicketEvent { id: id.into(), at: Timestamp::from_millis(ms), kind }
    }
    fn reply(id: &str, by: &str, ms: i64) -> TicketEvent {
        event(id, ms, EventKind::Message { by: by.into(), agent: by != "requester", public: true, body: "text".into(), original: None })
    }
    fn change(id: &str, by: &str, ms: i64) -> TicketEvent {
        event(
            id,
            ms,
            EventKind::Changed { by: by.into(), status: Some(Status::Pending), priority: None, tier: None, assignee: None, tags: None },
        )
    }
    fn breach(id: &str, ms: i64) -> TicketEvent {
        event(id, ms, EventKind::Breached { metric: crate::sla::Metric::FirstResponse, cycle: 0 })
    }
    fn ids(events: &[TicketEvent]) -> Vec<&str> {
        events.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn an_if_match_holds_unless_someone_else_wrote_since() {
        let log = [reply("a", "requester", 1), change("b", "ana", 2), breach("c", 3), reply("d", "sam", 4)];
        type Want<'a> = Result<(), (&'a [&'a str], &'a str)>;
        let cases: &[(&str, &str, Want<'_>)] = &[
            // The latest event: nothing since.
            ("d", "ana", Ok(())),
            // A breach (nobody's) and Sam's own reply since: holds for Sam.
            ("b", "sam", Ok(())),
            ("b", "ana", Err((&["c", "d"], "d"))),
            // Sam's own reply since: holds for Sam, not for Ana.
            ("c", "sam", Ok(())),
            ("c", "ana", Err((&["d"], "d"))),
            // Ana's own change and a breach since, then Sam's reply.
            ("a", "ana", Err((&["b", "c", "d"], "d"))),
        ];
        for (seen, me, want) in cases {
            let got = check(seen, me, &log);
            match want {
                Ok(()) => assert_eq!(got, Verdict::Holds, "{seen} by {me}"),
                Err((since, latest)) => match got {
                    Verdict::Changed { since: s, latest: l } => {
                        assert_eq!((ids(&s), l.as_str()), (since.to_vec(), *latest), "{seen} by {me}");
                    }
                    other => unreachable!("{seen} by {me}: {other:?}"),
                },
            }
        }
        let only_breach = [change("b", "ana", 2), breach("c", 3)];
        assert_eq!(check("b", "sam", &only_breach), Verdict::Holds, "a breached clock is nobody's change");
        assert_eq!(check("zz", "ana", &log), Verdict::Unknown);
        assert!(matches!(check(CREATED, "ana", &log), Verdict::Changed { since, .. } if since.len() == 4));
        assert_eq!(check(CREATED, "ana", &[]), Verdict::Holds, "nothing written on a new ticket");
        assert_eq!(check("a", "ana", &[]), Verdict::Unknown);
    }

    #[test]
    fn files_follow_their_message_and_escalations_and_ratings_count() {
        let file: TicketEvent = serde_json::from_str(
            r#"{"id":"m.file0","at":"2026-01-05T10:00:00Z","kind":"attachment","message":"m","by":"sam","agent":true,"public":true,"upload":"up",
                "file":{"id":"f","name":"a.png","type":"image/png","kind":"png","size":1,"sha256":""}}"#,
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(author(&file.kind), None);
        let escalated =
            event("e", 6, EventKind::Escalated { rule: "r".into(), tier: Some(2), assign: None, reason: "x".into(), notify: false });
        assert_eq!(author(&escalated.kind), Some("sweep"));
        assert_eq!(author(&EventKind::Rated { satisfied: true, comment: None }), Some("requester"));
    }

    #[test]
    fn a_room_serialises_two_writers_on_the_same_view() {
        let listed = [reply("m1", "requester", 1)];
        let mut room = Room::default();
        assert_eq!(room.claim(Some("m1"), "ana", &listed, &[reply("ana-1", "ana", 10)]), Verdict::Holds);
        // Sam saw the same view; the KV list has not caught up with Ana's reply.
        let refused = room.claim(Some("m1"), "sam", &listed, &[reply("sam-1", "sam", 11)]);
        assert_eq!(refused, Verdict::Changed { since: vec![reply("ana-1", "ana", 10)], latest: "ana-1".into() });
        assert_eq!(room.latest(), Some("ana-1"), "a refused write records nothing");
        // Having seen it, Sam sends anyway.
        assert_eq!(room.claim(Some("ana-1"), "sam", &listed, &[reply("sam-1", "sam", 11)]), Verdict::Holds);
        // A write without If-Match (a script, the requester) is never refused, and counts for others.
        assert_eq!(room.claim(None, "requester", &[], &[reply("r-2", "requester", 12)]), Verdict::Holds);
        assert!(matches!(room.claim(Some("sam-1"), "sam", &listed, &[]), Verdict::Changed { .. }));
        assert_eq!(ids(&room.log), ["ana-1", "sam-1", "r-2"], "listed events fill in checks, not the log");
    }

    #[test]
    fn a_room_keeps_its_latest_events_only_and_each_once() {
        let mut room = Room::default();
        for n in 0..(KEPT_EVENTS as i64 + 5) {
            let e = reply(&format!("e{n:03}"), "ana", n);
            room.claim(None, "ana", &[], &[e.clone(), e]);
        }
        assert_eq!(room.log.len(), KEPT_EVENTS);
        assert_eq!(room.log.first().map(|e| e.id.as_str()), Some("e005"));
        assert_eq!(room.latest(), Some("e104"));
        // An event older than the room's window is still known from the list.
        assert_eq!(room.claim(Some("e000"), "ana", &[reply("e000", "ana", 0)], &[]), Verdict::Holds);
        assert!(matches!(room.claim(Some("e000"), "sam", &[reply("e000", "ana", 0)], &[]), Verdict::Changed { .. }));
    }

    #[test]
    fn if_match_takes_an_entity_tag_or_a_bare_id() {
        for (header, want) in [
            ("\"msg-1\"", Some("msg-1")),
            ("W/\"msg-1\"", Some("msg-1")),
            (" msg-1 ", Some("msg-1")),
            ("*", None),
            ("\"\"", None),
            ("", None),
        ] {
            assert_eq!(if_match(header), want, "{header:?}");
        }
    }

    #[test]
    fn presence_lapses_without_beats_and_ends_when_gone() {
        let at = |ms: i64| Timestamp::from_millis(ms);
        let mut presence = Presence::default();
        assert!(presence.beat("ana", Activity::Viewing, at(0)).is_empty());
        let seen = presence.beat("sam", Activity::Replying, at(1_000));
        assert_eq!(seen.iter().map(|p| (p.agent.as_str(), p.activity)).collect::<Vec<_>>(), [("ana", Activity::Viewing)]);
        assert_eq!(presence.others("ana", at(5_000)).first().map(|p| p.activity), Some(Activity::Replying));
        // Ana's beat lapses after the TTL; Sam's later one has not.
        assert!(presence.others("sam", at(PRESENCE_TTL_MS)).is_empty());
        assert_eq!(presence.others("ana", at(PRESENCE_TTL_MS)).len(), 1);
        // Leaving ends it at once; one entry per agent.
        presence.beat("ana", Activity::Viewing, at(2_000));
        presence.beat("ana", Activity::Replying, at(3_000));
        assert_eq!(presence.present.len(), 2);
        presence.beat("sam", Activity::Gone, at(4_000));
        assert!(presence.others("ana", at(4_000)).is_empty());
    }

    #[test]
    fn a_bulk_request_adds_tags_and_refuses_empty_or_repeated_selections() {
        let had = ["billing".to_owned()];
        let bulk = BulkRequest { tickets: vec!["a".into()], add_tags: vec!["vip".into(), "billing".into()], ..BulkRequest::default() };
        assert_eq!(bulk.validate(), Ok(()));
        assert_eq!(bulk.change_with_tags(&had).tags, Some(vec!["billing".to_owned(), "vip".to_owned()]));
        let has_all = BulkRequest { add_tags: vec!["billing".into()], status: Some(Status::Solved), ..bulk.clone() };
        assert_eq!(has_all.change_with_tags(&had), ChangeRequest { status: Some(Status::Solved), ..ChangeRequest::default() });
        let cases = [
            (BulkRequest { tickets: vec![], ..bulk.clone() }, BulkError::Tickets),
            (BulkRequest { tickets: vec!["a".into(), "a".into()], ..bulk.clone() }, BulkError::Tickets),
            (BulkRequest { tickets: (0..=BULK_MAX).map(|n| n.to_string()).collect(), ..bulk }, BulkError::Tickets),
            (BulkRequest { tickets: vec!["a".into()], ..BulkRequest::default() }, BulkError::NothingToChange),
        ];
        for (request, want) in cases {
            assert_eq!(request.validate(), Err(want), "{request:?}");
        }
    }
}
