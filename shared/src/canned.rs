//! Canned replies: saved answers with variables, and the actions that go
//! with them.
//!
//! A site keeps at most [`MAX_REPLIES`] of them; leads and admins edit
//! them (`Action::EditCannedReplies`), every agent uses them. A reply's
//! body is text like an agent's reply, with variables in double braces
//! (`{{requester.first_name}}`): [`validate`] refuses a body that names a
//! variable [`Variable`] does not list, and [`render`] fills each one in
//! for a ticket, as text, in one pass. Its [`Actions`] (a status, tags to
//! add, an assignee) become one change of the ticket ([`Actions::change`]),
//! recorded like any single change.
//!
//! ```
//! use buoy_shared::canned::{render, Values};
//! let values = Values { requester_name: Some("Ada Lovelace".into()), ticket_reference: "7K2M-9QXD".into(),
//!     agent_name: "Sam Carter".into(), ..Values::default() };
//! assert_eq!(render("Hi {{requester.first_name}}, about {{ticket.reference}}", &values).unwrap(), "Hi Ada, about 7K2M-9QXD");
//! ```

use crate::collision::BulkRequest;
use crate::events::ChangeRequest;
use crate::ticket::{text_problem, FieldCode, Ticket, MAX_MESSAGE};
use crate::time::Timestamp;
use crate::vocab::{string_enum, Status};
use serde::{Deserialize, Serialize};

/// The most canned replies one site keeps.
pub const MAX_REPLIES: usize = 200;
/// The longest title, in characters.
pub const MAX_TITLE: usize = 100;
/// The longest body, in characters: a reply's limit.
pub const MAX_BODY: usize = MAX_MESSAGE;
/// The most tags one canned reply adds.
pub const MAX_TAGS: usize = 20;
/// The longest value a variable puts into a body, in characters.
pub const MAX_VALUE: usize = 200;
/// What `actions.assign` says for "the agent who uses the reply".
pub const ASSIGN_ME: &str = "me";
/// What a missing requester name renders as (`Hi {{requester.first_name}}`
/// → `Hi there`).
pub const NAME_FALLBACK: &str = "there";
/// What a missing requester email renders as.
pub const EMAIL_FALLBACK: &str = "your email address";

string_enum! {
    /// A variable a body may name, between double braces.
    Variable {
        /// The requester's first name (the first word of their name).
        RequesterFirstName = "requester.first_name",
        /// The requester's name.
        RequesterName = "requester.name",
        /// The requester's email address.
        RequesterEmail = "requester.email",
        /// The ticket's reference (`7K2M-9QXD`).
        TicketReference = "ticket.reference",
        /// The ticket's subject.
        TicketSubject = "ticket.subject",
        /// The name of the agent who uses the reply.
        AgentName = "agent.name",
        /// The agent's first name.
        AgentFirstName = "agent.first_name",
    }
}

/// What is done to the ticket along with the reply; each part optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    /// The status the ticket takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Tags added to the ticket's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_tags: Vec<String>,
    /// Who the ticket is assigned to: an agent of the site by name, or
    /// [`ASSIGN_ME`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<String>,
}

impl Actions {
    /// Whether it does nothing.
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.add_tags.is_empty() && self.assign.is_none()
    }

    /// The one change these actions make on a ticket whose tags are
    /// `had`, used by the agent `me`: "me" becomes their name, tags are
    /// added as a bulk change adds them. `None` when nothing would change
    /// (no actions, or only tags the ticket has).
    pub fn change(&self, me: &str, had: &[String]) -> Option<ChangeRequest> {
        let assignee = self.assign.as_deref().map(|a| if a == ASSIGN_ME { me.to_owned() } else { a.to_owned() });
        let bulk = BulkRequest { tickets: Vec::new(), status: self.status, assignee, add_tags: self.add_tags.clone() };
        Some(bulk.change_with_tags(had)).filter(|c| *c != ChangeRequest::default())
    }
}

/// A canned reply as a lead sends it (`POST /v1/agent/canned`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedInput {
    /// What the picker shows.
    #[serde(default)]
    pub title: String,
    /// The text, with variables.
    #[serde(default)]
    pub body: String,
    /// What is done with it.
    #[serde(default)]
    pub actions: Actions,
}

/// A stored canned reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedReply {
    /// Its id, random, unique within its site.
    pub id: String,
    /// What the picker shows.
    pub title: String,
    /// The text, with variables.
    pub body: String,
    /// What is done with it.
    #[serde(default)]
    pub actions: Actions,
    /// When it was last saved.
    pub updated_at: Timestamp,
    /// Who saved it last (their name).
    pub updated_by: String,
}

/// One field error of a canned reply: the field's name, a stable code,
/// and a sentence that says what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CannedError {
    /// `title`, `body`, `actions.add_tags`, `actions.assign`, or `canned`
    /// (the site's set is full).
    pub field: &'static str,
    /// `required`, `too_long`, `invalid_text`, `unknown_variable`,
    /// `unclosed_variable`, `unknown_value` or `too_many`.
    pub code: &'static str,
    /// A sentence for people, naming what is wrong.
    pub detail: String,
}

impl CannedError {
    fn new(field: &'static str, code: &'static str, detail: impl Into<String>) -> Self {
        Self { field, code, detail: detail.into() }
    }

    fn text(field: &'static str, code: FieldCode, max: usize) -> Self {
        let detail = match code {
            FieldCode::Required => format!("{field} is required"),
            FieldCode::TooLong => format!("{field} is longer than {max} characters"),
            _ => format!("{field} holds control characters"),
        };
        Self::new(field, code.code(), detail)
    }
}

/// A body's pieces: text as written, and variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Variable(Variable),
}

/// Splits `body` into text and variables (spaces inside the braces are
/// allowed: `{{ ticket.reference }}`).
fn pieces(body: &str) -> Result<Vec<Piece<'_>>, CannedError> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        out.push(Piece::Text(&rest[..open]));
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(CannedError::new("body", "unclosed_variable", "body: a variable opened with {{ is not closed with }}"));
        };
        let name = after[..close].trim();
        let variable = Variable::parse(name).ok_or_else(|| {
            let known: Vec<String> = Variable::ALL.iter().map(|v| format!("{{{{{v}}}}}")).collect();
            CannedError::new("body", "unknown_variable", format!("body: unknown variable {{{{{name}}}}}; known: {}", known.join(", ")))
        })?;
        out.push(Piece::Variable(variable));
        rest = &after[close + 2..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

/// Checks and tidies a canned reply: a title of 1 to [`MAX_TITLE`]
/// characters on one line, a body of 1 to [`MAX_BODY`] characters whose
/// variables are all known, at most [`MAX_TAGS`] tags to add (each a tag's
/// shape, each once), and an assignee among `agents` or [`ASSIGN_ME`].
///
/// # Errors
/// Every field that is wrong, named.
pub fn validate(input: CannedInput, agents: &[&str]) -> Result<CannedInput, Vec<CannedError>> {
    let mut errors = Vec::new();
    let title = input.title.trim().to_owned();
    if let Some(code) = text_problem(&title, MAX_TITLE, true) {
        errors.push(CannedError::text("title", code, MAX_TITLE));
    } else if title.contains(['\n', '\r', '\t']) {
        errors.push(CannedError::new("title", FieldCode::InvalidText.code(), "title must be one line"));
    }
    let body = input.body.trim().to_owned();
    if let Some(code) = text_problem(&body, MAX_BODY, true) {
        errors.push(CannedError::text("body", code, MAX_BODY));
    } else if let Err(e) = pieces(&body) {
        errors.push(e);
    }
    let mut actions = input.actions;
    let mut tags: Vec<String> = Vec::new();
    for tag in actions.add_tags.iter().map(|t| t.trim().to_lowercase()) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        errors.push(CannedError::new("actions.add_tags", "too_long", format!("actions.add_tags: at most {MAX_TAGS} tags")));
    } else if let Some(bad) = tags.iter().find(|t| !crate::routing::is_tag(t)) {
        let detail = format!("actions.add_tags: {bad:?} is not a tag (lower-case letters, digits, - and _)");
        errors.push(CannedError::new("actions.add_tags", FieldCode::InvalidText.code(), detail));
    }
    actions.add_tags = tags;
    actions.assign = actions.assign.map(|a| a.trim().to_owned());
    if let Some(assign) = actions.assign.as_deref().filter(|a| *a != ASSIGN_ME && !agents.contains(a)) {
        let detail = format!("actions.assign: {assign:?} is not an agent of this site (or \"{ASSIGN_ME}\")");
        errors.push(CannedError::new("actions.assign", FieldCode::UnknownValue.code(), detail));
    }
    if errors.is_empty() {
        Ok(CannedInput { title, body, actions })
    } else {
        Err(errors)
    }
}

/// A site's canned replies, as one stored value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedSet {
    /// The replies, oldest first.
    pub replies: Vec<CannedReply>,
}

/// Why a change to a set is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetRefusal {
    /// The set holds [`MAX_REPLIES`] already.
    Full,
    /// No reply has that id.
    NotFound,
}

impl SetRefusal {
    /// The field error for a full set (a missing reply is a 404).
    pub fn error(self) -> CannedError {
        CannedError::new("canned", "too_many", format!("a site keeps at most {MAX_REPLIES} canned replies; remove one first"))
    }
}

impl CannedSet {
    /// The reply `id`, if any.
    pub fn get(&self, id: &str) -> Option<&CannedReply> {
        self.replies.iter().find(|r| r.id == id)
    }

    /// Adds `reply`.
    ///
    /// # Errors
    /// [`SetRefusal::Full`] at [`MAX_REPLIES`].
    pub fn add(&mut self, reply: CannedReply) -> Result<(), SetRefusal> {
        if self.replies.len() >= MAX_REPLIES {
            return Err(SetRefusal::Full);
        }
        self.replies.push(reply);
        Ok(())
    }

    /// Puts `reply` in the place of the one with its id.
    ///
    /// # Errors
    /// [`SetRefusal::NotFound`].
    pub fn replace(&mut self, reply: CannedReply) -> Result<(), SetRefusal> {
        let slot = self.replies.iter_mut().find(|r| r.id == reply.id).ok_or(SetRefusal::NotFound)?;
        *slot = reply;
        Ok(())
    }

    /// Removes the reply `id` and gives it back.
    ///
    /// # Errors
    /// [`SetRefusal::NotFound`].
    pub fn remove(&mut self, id: &str) -> Result<CannedReply, SetRefusal> {
        let at = self.replies.iter().position(|r| r.id == id).ok_or(SetRefusal::NotFound)?;
        Ok(self.replies.remove(at))
    }
}

/// What the variables stand for on one ticket, for one agent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Values {
    /// The requester's name, if they gave one.
    pub requester_name: Option<String>,
    /// The requester's email, if known.
    pub requester_email: Option<String>,
    /// The ticket's reference.
    pub ticket_reference: String,
    /// The ticket's subject.
    pub ticket_subject: String,
    /// The agent's name.
    pub agent_name: String,
}

impl Values {
    /// The values for `ticket`, answered by `agent`: the requester's name
    /// and address as the thread shows them (signed, else typed).
    pub fn of(ticket: &Ticket, agent: &str) -> Self {
        Self {
            requester_name: ticket.requester.display_name().map(|(n, _)| n.to_owned()),
            requester_email: ticket.requester.reply_address().map(|(e, _)| e.to_owned()),
            ticket_reference: ticket.reference.to_string(),
            ticket_subject: ticket.subject.clone(),
            agent_name: agent.to_owned(),
        }
    }

    /// The text `variable` stands for: on one line, at most [`MAX_VALUE`]
    /// characters, a fallback when the value is missing.
    pub fn value(&self, variable: Variable) -> String {
        let first = |name: &str| name.split_whitespace().next().unwrap_or_default().to_owned();
        let (value, fallback) = match variable {
            Variable::RequesterFirstName => (self.requester_name.as_deref().map(first), NAME_FALLBACK),
            Variable::RequesterName => (self.requester_name.clone(), NAME_FALLBACK),
            Variable::RequesterEmail => (self.requester_email.clone(), EMAIL_FALLBACK),
            Variable::TicketReference => (Some(self.ticket_reference.clone()), ""),
            Variable::TicketSubject => (Some(self.ticket_subject.clone()), ""),
            Variable::AgentName => (Some(self.agent_name.clone()), ""),
            Variable::AgentFirstName => (Some(first(&self.agent_name)), ""),
        };
        let text = one_line(value.as_deref().unwrap_or_default());
        if text.is_empty() {
            fallback.to_owned()
        } else {
            text
        }
    }
}

/// `text` on one line: every run of white space and control characters
/// becomes one space (so a value cannot start a paragraph, a heading or a
/// list), trimmed, cut at [`MAX_VALUE`] characters.
fn one_line(text: &str) -> String {
    let words: Vec<&str> = text.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect();
    words.join(" ").chars().take(MAX_VALUE).collect::<String>().trim_end().to_owned()
}

/// The body with every variable filled in from `values`, in one pass: a
/// value is inserted as text and never read again, so a requester named
/// `{{agent.name}}` stays `{{agent.name}}`. The result is cut at
/// [`MAX_BODY`] characters, a reply's limit.
///
/// # Errors
/// A [`CannedError`] on `body` for an unknown or unclosed variable (a
/// stored reply has none: [`validate`] refused it).
pub fn render(body: &str, values: &Values) -> Result<String, CannedError> {
    let mut out = String::with_capacity(body.len());
    for piece in pieces(body)? {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Variable(variable) => out.push_str(&values.value(variable)),
        }
    }
    Ok(out.chars().take(MAX_BODY).collect())
}

/// A change as the changes endpoint takes it, to send after the reply.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChangeBody {
    /// The new status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The new assignee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// The ticket's tags with the new ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

impl From<ChangeRequest> for ChangeBody {
    fn from(change: ChangeRequest) -> Self {
        Self { status: change.status, assignee: change.assignee, tags: change.tags }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str, body: &str) -> CannedInput {
        CannedInput { title: title.into(), body: body.into(), actions: Actions::default() }
    }

    fn values() -> Values {
        Values {
            requester_name: Some("Ada Lovelace".into()),
            requester_email: Some("ada@example.com".into()),
            ticket_reference: "7K2M-9QXD".into(),
            ticket_subject: "Export fails".into(),
            agent_name: "Sam Carter".into(),
        }
    }

    fn codes(result: Result<CannedInput, Vec<CannedError>>) -> Vec<(&'static str, &'static str)> {
        result.err().unwrap_or_default().iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn every_variable_renders() {
        let body = Variable::ALL.iter().map(|v| format!("{{{{{v}}}}}")).collect::<Vec<_>>().join("|");
        assert_eq!(
            render(&body, &values()).unwrap_or_else(|e| unreachable!("{e:?}")),
            "Ada|Ada Lovelace|ada@example.com|7K2M-9QXD|Export fails|Sam Carter|Sam"
        );
        assert_eq!(render("Hi {{ requester.first_name }}!", &values()).unwrap_or_else(|e| unreachable!("{e:?}")), "Hi Ada!");
    }

    #[test]
    fn missing_values_fall_back() {
        let none = Values { requester_name: None, requester_email: None, ..values() };
        assert_eq!(
            render("Hi {{requester.first_name}}, {{requester.name}}", &none).unwrap_or_else(|e| unreachable!("{e:?}")),
            "Hi there, there"
        );
        assert_eq!(render("to {{requester.email}}", &none).unwrap_or_else(|e| unreachable!("{e:?}")), "to your email address");
        let blank = Values { requester_name: Some(" \n ".into()), ..values() };
        assert_eq!(render("Hi {{requester.first_name}}", &blank).unwrap_or_else(|e| unreachable!("{e:?}")), "Hi there");
    }

    #[test]
    fn values_are_text_inserted_once() {
        let hostile = Values { requester_name: Some("{{agent.name}}\n# <img src=x onerror=alert(1)>\n\n- item".into()), ..values() };
        assert_eq!(
            render("Hi {{requester.name}}.", &hostile).unwrap_or_else(|e| unreachable!("{e:?}")),
            "Hi {{agent.name}} # <img src=x onerror=alert(1)> - item."
        );
        assert_eq!(render("Hi {{requester.first_name}}.", &hostile).unwrap_or_else(|e| unreachable!("{e:?}")), "Hi {{agent.name}}.");
        let long = Values { ticket_subject: "x".repeat(MAX_VALUE + 50), ..values() };
        assert_eq!(render("{{ticket.subject}}", &long).unwrap_or_else(|e| unreachable!("{e:?}")).chars().count(), MAX_VALUE);
    }

    #[test]
    fn unknown_and_unclosed_variables_are_refused_naming_the_body() {
        let errors = validate(input("Hello", "Hi {{requester.phone}}"), &[]).err().unwrap_or_else(|| unreachable!());
        assert_eq!((errors[0].field, errors[0].code), ("body", "unknown_variable"));
        assert!(
            errors[0].detail.contains("{{requester.phone}}") && errors[0].detail.contains("{{requester.first_name}}"),
            "{}",
            errors[0].detail
        );
        assert_eq!(codes(validate(input("Hello", "Hi {{requester.name}"), &[])), [("body", "unclosed_variable")]);
        assert_eq!(render("{{nope}}", &values()).err().unwrap_or_else(|| unreachable!()).code, "unknown_variable");
    }

    #[test]
    fn titles_bodies_and_actions_are_checked() {
        let cases: &[(CannedInput, &[(&str, &str)])] = &[
            (input("", ""), &[("title", "required"), ("body", "required")]),
            (input(&"t".repeat(MAX_TITLE + 1), "ok"), &[("title", "too_long")]),
            (input("two\nlines", "ok"), &[("title", "invalid_text")]),
            (input("ok", &"b".repeat(MAX_BODY + 1)), &[("body", "too_long")]),
            (input("ok", "bell\u{7}"), &[("body", "invalid_text")]),
            (
                CannedInput { actions: Actions { add_tags: vec!["Not A Tag".into()], ..Actions::default() }, ..input("ok", "ok") },
                &[("actions.add_tags", "invalid_text")],
            ),
            (
                CannedInput {
                    actions: Actions { add_tags: (0..=MAX_TAGS).map(|i| format!("t{i}")).collect(), ..Actions::default() },
                    ..input("ok", "ok")
                },
                &[("actions.add_tags", "too_long")],
            ),
            (
                CannedInput { actions: Actions { assign: Some("Nobody".into()), ..Actions::default() }, ..input("ok", "ok") },
                &[("actions.assign", "unknown_value")],
            ),
        ];
        for (given, expected) in cases {
            assert_eq!(codes(validate(given.clone(), &["Sam Carter"])), *expected, "{given:?}");
        }
        let tidy = validate(
            CannedInput {
                title: "  Refund sent ".into(),
                body: " Hi {{requester.first_name}} \n".into(),
                actions: Actions {
                    status: Some(Status::Solved),
                    add_tags: vec!["Refund".into(), "refund".into()],
                    assign: Some(" me ".into()),
                },
            },
            &[],
        )
        .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!((tidy.title.as_str(), tidy.body.as_str()), ("Refund sent", "Hi {{requester.first_name}}"));
        assert_eq!((tidy.actions.add_tags, tidy.actions.assign.as_deref()), (vec!["refund".to_owned()], Some(ASSIGN_ME)));
    }

    #[test]
    fn actions_become_one_change() {
        let actions = Actions { status: Some(Status::Pending), add_tags: vec!["refund".into()], assign: Some(ASSIGN_ME.into()) };
        let change = actions.change("Sam Carter", &["billing".into()]).unwrap_or_else(|| unreachable!());
        assert_eq!(change.status, Some(Status::Pending));
        assert_eq!(change.assignee.as_deref(), Some("Sam Carter"));
        assert_eq!(change.tags, Some(vec!["billing".to_owned(), "refund".to_owned()]));
        let named = Actions { assign: Some("Ana".into()), ..Actions::default() };
        assert_eq!(named.change("Sam Carter", &[]).unwrap_or_else(|| unreachable!()).assignee.as_deref(), Some("Ana"));
        // Only tags the ticket has, or nothing at all: no change.
        let tags_only = Actions { add_tags: vec!["refund".into()], ..Actions::default() };
        assert_eq!(tags_only.change("Sam", &["refund".into()]), None);
        assert_eq!(Actions::default().change("Sam", &[]), None);
    }

    #[test]
    fn a_set_holds_at_most_max_replies() {
        let reply = |id: usize| CannedReply {
            id: format!("c{id}"),
            title: "t".into(),
            body: "b".into(),
            actions: Actions::default(),
            updated_at: Timestamp::from_millis(0),
            updated_by: "Sam".into(),
        };
        let mut set = CannedSet::default();
        for i in 0..MAX_REPLIES {
            set.add(reply(i)).unwrap_or_else(|e| unreachable!("{e:?}"));
        }
        assert_eq!(set.add(reply(MAX_REPLIES)), Err(SetRefusal::Full));
        assert_eq!(SetRefusal::Full.error().field, "canned");
        let mut changed = reply(7);
        changed.title = "new".into();
        set.replace(changed).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(set.get("c7").map(|r| r.title.as_str()), Some("new"));
        assert_eq!(set.replace(reply(999)), Err(SetRefusal::NotFound));
        assert_eq!(set.remove("c7").map(|r| r.id), Ok("c7".to_owned()));
        assert_eq!(set.remove("c7"), Err(SetRefusal::NotFound));
        assert!(set.add(reply(MAX_REPLIES)).is_ok());
    }
}
