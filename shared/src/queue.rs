//! The agents' queue: which tickets a filter keeps, and the order of
//! urgency they are worked in. Both read a ticket's state from the fold,
//! never from an index (index keys may lag a change by a minute).

use crate::events::TicketState;
use crate::ticket::{offered_names, Channel, Ticket, TicketType};
use crate::time::Timestamp;
use crate::vocab::{Segment, Status};

/// Whether a ticket in `status` is done with (solved or closed): its
/// queue entry moves behind every live one, so a queue of open work does
/// not page through a site's history first.
pub const fn is_finished(status: Status) -> bool {
    matches!(status, Status::Solved | Status::Closed)
}

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
        Ok(Self {
            status: list("status", param("status").as_deref(), Status::parse, &names(Status::ALL, Status::as_str))?,
            segment: list("segment", param("segment").as_deref(), Segment::parse, &names(Segment::ALL, Segment::as_str))?,
            kind: list("type", param("type").as_deref(), TicketType::offered, &offered_names())?,
            tier: list("tier", param("tier").as_deref(), |t| t.parse().ok().filter(|t| (1..=3).contains(t)), "1, 2, 3")?,
            assignee: list(
                "assignee",
                param("assignee").as_deref(),
                |a| Some((a != UNASSIGNED).then(|| a.to_owned())),
                "an agent's name or none",
            )?,
            channel: list("channel", param("channel").as_deref(), Channel::parse, &names(Channel::ALL, Channel::as_str))?,
        })
    }

    /// Whether the filter keeps a ticket in its current state.
    pub fn matches(&self, ticket: &Ticket, state: &TicketState) -> bool {
        let any = |list_empty: bool, found: bool| list_empty || found;
        any(self.status.is_empty(), self.status.contains(&state.status))
            && any(self.segment.is_empty(), self.segment.contains(&state.segment))
            && any(self.kind.is_empty(), self.kind.contains(&ticket.kind))
            && any(self.tier.is_empty(), self.tier.contains(&state.tier))
            && any(self.assignee.is_empty(), self.assignee.contains(&state.assignee))
            && any(self.channel.is_empty(), self.channel.contains(&ticket.channel))
    }
}

/// The order agents work tickets in: open tickets first, then by the next
/// due time (overdue first), tickets with nothing running after those,
/// oldest first among equals.
pub fn urgency_key(ticket: &Ticket, state: &TicketState, next_due: Option<Timestamp>) -> impl Ord {
    (!state.status.is_open(), next_due.is_none(), next_due, ticket.created_at, ticket.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solved_and_closed_tickets_are_finished() {
        assert!(is_finished(Status::Solved) && is_finished(Status::Closed));
        for live in [Status::New, Status::Open, Status::Pending, Status::OnHold] {
            assert!(!is_finished(live), "{live:?}");
        }
    }
    use crate::events::{fold, EventKind, TicketEvent};

    fn ticket(kind: &str, byte: u8) -> Ticket {
        crate::ticket::test_ticket(kind, "s", byte)
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
    fn a_filter_reads_the_current_state_not_the_submitted_record() {
        let bug = ticket("bug", 1);
        let assigned = [TicketEvent {
            id: "c1".into(),
            at: bug.created_at,
            kind: EventKind::Changed {
                by: "Dana".into(),
                status: Some(Status::Pending),
                priority: None,
                tier: Some(2),
                assignee: Some("Sam".into()),
                tags: None,
            },
        }];
        let state = fold(&bug, &assigned);
        let keeps = |pairs: &[(&str, &str)], state: &TicketState| query(pairs).is_ok_and(|f| f.matches(&bug, state));
        assert!(keeps(&[], &state));
        assert!(keeps(&[("status", "pending"), ("tier", "2"), ("assignee", "Sam"), ("type", "bug,billing")], &state));
        assert!(!keeps(&[("status", "new")], &state), "the record says new; the fold says pending");
        assert!(!keeps(&[("assignee", "none")], &state));
        assert!(keeps(&[("assignee", "none")], &fold(&bug, &[])));
        assert!(!keeps(&[("segment", "enterprise")], &state));
        assert!(!keeps(&[("type", "billing")], &state));
    }

    #[test]
    fn the_queue_filters_by_the_channel_a_ticket_came_by() {
        let from_widget = ticket("bug", 1);
        let mut from_mail = ticket("bug", 2);
        from_mail.channel = Channel::Email;
        let kept = |value: &str| -> Vec<u8> {
            let filter = query(&[("channel", value)]).unwrap_or_else(|e| unreachable!("{e}"));
            [&from_widget, &from_mail].into_iter().filter(|t| filter.matches(t, &fold(t, &[]))).map(|t| t.id.as_bytes()[0]).collect()
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
        let open = fold(&a, &[]);
        let mut solved = open.clone();
        solved.status = Status::Solved;
        let at = |s: &str| Some(Timestamp::parse(s).unwrap_or_else(|e| unreachable!("{e}")));
        let mut rows = [(&a, &solved, at("2026-11-30T09:00:00Z")), (&b, &open, None), (&c, &open, at("2026-11-30T12:00:00Z"))];
        rows.sort_by_key(|(t, s, due)| urgency_key(t, s, *due));
        assert_eq!(rows.map(|(t, _, _)| t.id), [c.id, b.id, a.id]);
    }
}
