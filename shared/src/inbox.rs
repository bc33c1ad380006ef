//! The requester's side of the conversation, as the widget keeps it: which
//! tickets are still worth asking about, what counts as unread, when to
//! ask again, and what the requester may do with a ticket in each status.

use crate::vocab::Status;

/// How often the widget asks about open tickets while its panel is open
/// and the tab is visible, in milliseconds.
pub const POLL_OPEN_MS: u32 = 10_000;
/// The first interval while the panel is closed (the launcher's unread
/// badge still updates); it doubles while nothing changes.
pub const POLL_CLOSED_MS: u32 = 30_000;
/// The longest interval the back-off reaches.
pub const POLL_MAX_MS: u32 = 300_000;

/// How long to wait before the next poll: short while the requester is
/// looking, doubling after each poll that found nothing new while the
/// panel is closed, and none at all while the tab is hidden (the widget
/// polls again when it shows).
pub fn poll_delay(panel_open: bool, tab_hidden: bool, quiet_polls: u32) -> Option<u32> {
    if tab_hidden {
        None
    } else if panel_open {
        Some(POLL_OPEN_MS)
    } else {
        Some(POLL_CLOSED_MS.saturating_mul(1 << quiet_polls.min(4)).min(POLL_MAX_MS))
    }
}

/// How long to wait before sending again after `failures` failed tries in
/// a row (network errors, 429, 5xx): 1 s doubling to a minute, at least
/// the `Retry-After` the API asked for, times a jitter factor in
/// 0.5–1.5 from `random` (0–1), so many panels do not retry in step.
pub fn retry_delay(failures: u32, retry_after_secs: Option<u32>, random: f64) -> u32 {
    let base = (1000u32 << failures.saturating_sub(1).min(6)).min(60_000);
    let jittered = (f64::from(base) * (0.5 + random.clamp(0.0, 1.0))) as u32;
    jittered.max(retry_after_secs.unwrap_or(0).saturating_mul(1000))
}

/// Whether a send that ended this way is tried again (no answer, 429,
/// 5xx) rather than given up (a 2xx, or another refusal, which the
/// requester is shown with their text kept). Status 0: no answer.
pub const fn should_retry(status: u16) -> bool {
    status == 0 || status == 429 || status >= 500
}

/// Whether a ticket in `status` can still change by itself (an agent may
/// still reply), so it is polled. A closed ticket never changes.
pub fn is_live(status: Option<Status>) -> bool {
    status != Some(Status::Closed)
}

/// Agent replies the requester has not seen: those beyond the `seen`
/// count recorded when they last looked at the thread.
pub const fn unread(agent_replies: u32, seen: u32) -> u32 {
    agent_replies.saturating_sub(seen)
}

/// Whether the requester can write in the thread: anything but closed (a
/// reply to a pending or solved ticket reopens it).
pub fn can_reply(status: Status) -> bool {
    status != Status::Closed
}

/// Whether to ask for a satisfaction rating: once solved (or closed), and
/// only until one is given.
pub fn asks_for_rating(status: Status, rated: bool) -> bool {
    !status.is_open() && !rated
}

/// Whose move a waiting ticket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitingOn {
    /// The support team's: a reply from them comes next.
    Team,
    /// The requester's: the team answered, or asked for something.
    Requester,
}

/// Whom a ticket waits on, from its status and whether the last public
/// message is an agent's: `pending` (the team asked) and an `open` ticket
/// the team answered last wait on the requester; `new`, `on_hold` and an
/// `open` ticket the requester wrote last wait on the team; a solved or
/// closed ticket waits on no one. Unknown (no status yet): the team, as
/// for a ticket just sent.
pub fn waiting_on(status: Option<Status>, agent_wrote_last: bool) -> Option<WaitingOn> {
    match status {
        Some(Status::Solved | Status::Closed) => None,
        Some(Status::Pending) => Some(WaitingOn::Requester),
        Some(Status::Open) if agent_wrote_last => Some(WaitingOn::Requester),
        _ => Some(WaitingOn::Team),
    }
}

// Drafts: what the requester typed but has not sent yet (issue #8,
// "nothing lost"). The widget's inbox module keeps them in the panel's
// storage; these are the rules it keeps them by.

/// Which of the requester's drafts a storage key holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draft<'a> {
    /// The new-ticket form.
    Ticket,
    /// The reply box of a ticket's thread, by ticket id.
    Reply(&'a str),
    /// The comment of a ticket's rating, by ticket id.
    Comment(&'a str),
    /// The files chosen for a message and kept in the panel's IndexedDB
    /// (the key only says that some are: the inbox module then loads the
    /// upload module, which keeps them).
    Files,
}

/// The start of every draft's storage key. It lies outside the
/// `buoy:{site}:` keys of tickets and the outbox, so their readers never
/// meet a draft.
pub const DRAFT_PREFIX: &str = "buoy-draft:";

/// The storage key of a draft, one per draft: `buoy-draft:{site}:new`,
/// `buoy-draft:{site}:reply:{ticket id}`, `buoy-draft:{site}:rate:{ticket id}`.
pub fn draft_key(site: &str, draft: Draft<'_>) -> String {
    let mut key = String::from(DRAFT_PREFIX);
    key.push_str(site);
    let (part, id) = match draft {
        Draft::Ticket => (":new", ""),
        Draft::Reply(id) => (":reply:", id),
        Draft::Comment(id) => (":rate:", id),
        Draft::Files => (":files", ""),
    };
    key.push_str(part);
    key.push_str(id);
    key
}

/// The ticket form's honeypot (`NewTicket::honeypot`), which only bots
/// fill: never part of a draft.
const HONEYPOT: &str = "website";

/// Whether a control of the ticket form is part of its draft, from its
/// `name` and its `type` (the DOM property: `text`, `email`, …,
/// `select-one`, `textarea`): every named control the requester types
/// into or chooses from, so a field a ticket type adds is kept too. Not
/// the honeypot, and not hidden, password, file, check-box, radio or
/// button controls (a bot check's token is a hidden input).
pub fn is_draft_field(name: &str, kind: &str) -> bool {
    let skipped = ["hidden", "password", "file", "checkbox", "radio", "submit", "button", "reset", "image"];
    !name.is_empty() && name != HONEYPOT && !skipped.contains(&kind)
}

/// Whether a draft counts as empty, from its fields' `type`s and values:
/// no text in any field but the choices (a `select-…`). A topic chosen
/// alone is no draft: the panel chooses one itself for a topic button.
/// An empty draft is deleted, never stored.
pub fn draft_is_empty<'a>(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> bool {
    fields.into_iter().all(|(kind, value)| kind.starts_with("select") || value.trim().is_empty())
}

/// Whether the site's marker key (`buoy:{site}`, which makes the panel
/// load the inbox module at page start) is still needed, given every
/// stored key: while any ticket, queued send or draft of the site
/// remains. Another site's keys do not count.
pub fn needs_marker<'a>(site: &str, keys: impl IntoIterator<Item = &'a str>) -> bool {
    let under = |key: &str, prefix: &str| {
        key.strip_prefix(prefix).and_then(|rest| rest.strip_prefix(site)).is_some_and(|rest| rest.starts_with(':'))
    };
    keys.into_iter().any(|key| under(key, "buoy:") || under(key, DRAFT_PREFIX))
}

#[cfg(test)]
mod draft_tests {
    use super::*;

    #[test]
    fn each_draft_has_its_own_key_apart_from_tickets_and_the_outbox() {
        assert_eq!(draft_key("demo", Draft::Ticket), "buoy-draft:demo:new");
        assert_eq!(draft_key("demo", Draft::Reply("a1")), "buoy-draft:demo:reply:a1");
        assert_eq!(draft_key("demo", Draft::Files), "buoy-draft:demo:files");
        assert_eq!(draft_key("demo", Draft::Comment("a1")), "buoy-draft:demo:rate:a1");
        for draft in [Draft::Ticket, Draft::Reply("a1"), Draft::Comment("a1")] {
            assert!(!draft_key("demo", draft).starts_with("buoy:demo"), "never read as a ticket or a send");
        }
    }

    #[test]
    fn a_draft_is_what_the_requester_types_or_chooses() {
        for (name, kind) in [("name", "text"), ("email", "email"), ("type", "select-one"), ("subject", "text"), ("message", "textarea")] {
            assert!(is_draft_field(name, kind), "{name}");
        }
        assert!(is_draft_field("order", "number"), "a field a ticket type adds");
        assert!(!is_draft_field("website", "text"), "the honeypot");
        assert!(!is_draft_field("cf-turnstile-response", "hidden"), "a bot check's token");
        assert!(!is_draft_field("", "text") && !is_draft_field("pin", "password") && !is_draft_field("agree", "checkbox"));
    }

    #[test]
    fn a_draft_without_text_is_empty() {
        assert!(draft_is_empty([]));
        assert!(draft_is_empty([("text", ""), ("email", "  "), ("textarea", "\n\t"), ("select-one", "bug")]), "a topic alone");
        assert!(!draft_is_empty([("text", ""), ("textarea", "It stops at 99%.")]));
        assert!(!draft_is_empty([("email", "ada@example.com"), ("select-one", "")]));
    }

    #[test]
    fn the_marker_stays_while_anything_of_the_site_is_stored() {
        assert!(!needs_marker("demo", []));
        assert!(
            !needs_marker("demo", ["buoy:demo", "buoy:demo2:a1", "buoy-draft:other:new", "theme"]),
            "the marker itself and other sites"
        );
        assert!(needs_marker("demo", ["buoy:demo", "buoy:demo:a1"]), "a ticket");
        assert!(needs_marker("demo", ["buoy:demo:out:k1"]), "a queued send");
        assert!(needs_marker("demo", ["buoy-draft:demo:new"]) && needs_marker("demo", ["buoy-draft:demo:reply:a1"]), "a draft");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_is_quick_while_looking_backs_off_while_closed_and_stops_while_hidden() {
        assert_eq!(poll_delay(true, false, 7), Some(POLL_OPEN_MS));
        let closed: Vec<Option<u32>> = (0..7).map(|quiet| poll_delay(false, false, quiet)).collect();
        assert_eq!(closed, [Some(30_000), Some(60_000), Some(120_000), Some(240_000), Some(300_000), Some(300_000), Some(300_000)]);
        assert_eq!(poll_delay(true, true, 0), None);
        assert_eq!(poll_delay(false, true, 0), None);
    }

    #[test]
    fn failed_sends_back_off_with_jitter_and_honour_retry_after() {
        let delays: Vec<u32> = (1..=9).map(|n| retry_delay(n, None, 0.5)).collect();
        assert_eq!(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
        assert_eq!((retry_delay(1, None, 0.0), retry_delay(1, None, 1.0)), (500, 1500), "jitter: half to one and a half");
        assert_eq!(retry_delay(1, Some(30), 0.5), 30_000, "Retry-After wins when longer");
        assert_eq!(retry_delay(7, Some(1), 0.5), 60_000);
        assert!(should_retry(0) && should_retry(429) && should_retry(503));
        assert!(!should_retry(201) && !should_retry(422) && !should_retry(404));
    }

    #[test]
    fn what_a_requester_sees_and_may_do() {
        assert_eq!(unread(3, 1), 2);
        assert_eq!(unread(1, 3), 0, "a stale count never goes negative");
        assert!(is_live(None) && is_live(Some(Status::Solved)) && !is_live(Some(Status::Closed)));
        assert!(can_reply(Status::Pending) && can_reply(Status::Solved) && !can_reply(Status::Closed));
        assert!(!asks_for_rating(Status::Open, false) && !asks_for_rating(Status::Pending, false));
        assert!(asks_for_rating(Status::Solved, false) && asks_for_rating(Status::Closed, false));
        assert!(!asks_for_rating(Status::Solved, true));
    }

    #[test]
    fn a_waiting_ticket_says_whose_move_it_is() {
        use Status::*;
        for (status, agent_last, expected) in [
            (Some(New), false, Some(WaitingOn::Team)),
            (Some(Open), false, Some(WaitingOn::Team)),
            (Some(Open), true, Some(WaitingOn::Requester)),
            (Some(Pending), false, Some(WaitingOn::Requester)),
            (Some(Pending), true, Some(WaitingOn::Requester)),
            (Some(OnHold), true, Some(WaitingOn::Team)),
            (Some(Solved), true, None),
            (Some(Closed), false, None),
            (None, false, Some(WaitingOn::Team)),
        ] {
            assert_eq!(waiting_on(status, agent_last), expected, "{status:?} agent last: {agent_last}");
        }
    }
}
