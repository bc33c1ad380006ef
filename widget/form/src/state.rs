//! The ticket form's state and its one `update` function: pure, tested on
//! the host. The form module draws the state and carries out the effects.

use buoy_shared::messages::{self, MessageId};
use buoy_shared::ticket::{Field, FieldError, NewTicket};
pub use buoy_widget_core::net::Failure;

/// What the API gives back for a new ticket: enough to read it later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The short reference people read out.
    pub reference: String,
    /// The ticket's id.
    pub id: String,
    /// The requester's token for it (kept in the panel's storage only).
    pub token: String,
}

/// Where the ticket form is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The requester is typing.
    Editing,
    /// The ticket is on its way.
    Sending,
    /// The ticket was created; this is its reference.
    Sent(String),
}

/// Something that happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// The requester pressed send with this input. `fresh_key` is a new
    /// random idempotency key, used unless this draft already has one.
    Submit {
        /// What the form holds.
        ticket: Box<NewTicket>,
        /// A new idempotency key.
        fresh_key: String,
    },
    /// The API created the ticket.
    Created(Receipt),
    /// The send failed.
    Failed(Failure),
    /// The requester wants to write another message.
    Reset,
}

/// What the view must do after an update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing beyond redrawing.
    Redraw,
    /// Send this ticket with this idempotency key, dropping the unsent
    /// ticket queued under the other key (the text was edited since).
    Send(Box<NewTicket>, String, Option<String>),
    /// Move focus to the first field in error.
    FocusFirstError,
    /// Move focus to the confirmation, and tell the host page.
    Confirm(Receipt),
    /// Move focus to the first field of an empty form.
    FocusForm,
}

/// The form's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// Where the form is.
    pub phase: Phase,
    /// The fields in error, in form order.
    pub errors: Vec<FieldError>,
    /// The message above the form, if any.
    pub banner: Option<MessageId>,
    /// The idempotency key of the draft being sent, and what was sent with
    /// it. A retry of the same text reuses it, so it can never create a
    /// second ticket; edited text gets a new key (the API refuses a key
    /// reused with a different body).
    pub key: Option<(String, Box<NewTicket>)>,
}

impl Default for State {
    fn default() -> Self {
        Self { phase: Phase::Editing, errors: Vec::new(), banner: None, key: None }
    }
}

impl State {
    /// The error for one field, if it has one.
    pub fn error_for(&self, field: Field) -> Option<MessageId> {
        self.errors.iter().find(|e| e.field == field).map(|e| messages::field_error(e.field, e.code))
    }

    /// Applies a message and says what the view must do.
    pub fn update(&mut self, msg: Msg) -> Effect {
        match msg {
            Msg::Submit { .. } if self.phase != Phase::Editing => Effect::Redraw,
            Msg::Submit { ticket, fresh_key } => match ticket.validate() {
                Err(errors) => {
                    self.errors = errors;
                    self.banner = Some(MessageId::FixFields);
                    Effect::FocusFirstError
                }
                Ok(()) => {
                    self.errors.clear();
                    self.banner = None;
                    self.phase = Phase::Sending;
                    let (key, replaces) = match self.key.take() {
                        Some((key, sent)) if *sent == *ticket => (key, None),
                        Some((old, _)) => (fresh_key, Some(old)),
                        None => (fresh_key, None),
                    };
                    self.key = Some((key.clone(), ticket.clone()));
                    Effect::Send(ticket, key, replaces)
                }
            },
            Msg::Created(receipt) => {
                *self = Self { phase: Phase::Sent(receipt.reference.clone()), ..Self::default() };
                Effect::Confirm(receipt)
            }
            Msg::Failed(failure) => {
                self.phase = Phase::Editing;
                match failure {
                    Failure::Network => {
                        self.banner = Some(MessageId::ErrNetwork);
                        Effect::Redraw
                    }
                    Failure::Problem { code, errors } => {
                        self.banner = Some(messages::problem(&code));
                        if errors.is_empty() {
                            Effect::Redraw
                        } else {
                            self.errors = errors;
                            Effect::FocusFirstError
                        }
                    }
                }
            }
            Msg::Reset => {
                *self = Self::default();
                Effect::FocusForm
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use buoy_shared::ticket::FieldCode;

    fn ticket() -> NewTicket {
        NewTicket {
            site: "demo".into(),
            email: "ada@example.com".into(),
            kind: "bug".into(),
            subject: "Export fails".into(),
            message: "It stops at 99%.".into(),
            ..NewTicket::default()
        }
    }

    fn submit(state: &mut State, ticket: NewTicket, key: &str) -> Effect {
        state.update(Msg::Submit { ticket: Box::new(ticket), fresh_key: key.into() })
    }

    #[test]
    fn an_invalid_form_is_not_sent_and_says_why() {
        let mut state = State::default();
        let mut t = ticket();
        t.subject.clear();
        assert_eq!(submit(&mut state, t, "k1"), Effect::FocusFirstError);
        assert_eq!(state.phase, Phase::Editing);
        assert_eq!(state.banner, Some(MessageId::FixFields));
        assert_eq!(state.error_for(Field::Subject), Some(MessageId::ErrRequired));
        assert_eq!(state.error_for(Field::Email), None);
        assert_eq!(state.key, None, "no key until something is sent");
    }

    #[test]
    fn a_valid_form_is_sent_once_and_confirmed() {
        let mut state = State::default();
        assert_eq!(submit(&mut state, ticket(), "k1"), Effect::Send(Box::new(ticket()), "k1".into(), None));
        assert_eq!(state.phase, Phase::Sending);
        assert_eq!(submit(&mut state, ticket(), "k2"), Effect::Redraw, "a second press while sending does nothing");
        let receipt = Receipt { reference: "7K2M-9QXD".into(), id: "a1".into(), token: "t1".into() };
        assert_eq!(state.update(Msg::Created(receipt.clone())), Effect::Confirm(receipt));
        assert_eq!(state.phase, Phase::Sent("7K2M-9QXD".into()));
        assert_eq!(state.key, None);
    }

    #[test]
    fn a_retry_after_a_failure_reuses_the_idempotency_key() {
        let mut state = State::default();
        submit(&mut state, ticket(), "k1");
        assert_eq!(state.update(Msg::Failed(Failure::Network)), Effect::Redraw);
        assert_eq!(state.phase, Phase::Editing);
        assert_eq!(state.banner, Some(MessageId::ErrNetwork));
        assert_eq!(submit(&mut state, ticket(), "k2"), Effect::Send(Box::new(ticket()), "k1".into(), None));
        // Edited after a failure: a new key (the old one belongs to the old text).
        state.update(Msg::Failed(Failure::Network));
        let mut edited = ticket();
        edited.message.push_str(" And again today.");
        assert_eq!(submit(&mut state, edited.clone(), "k3"), Effect::Send(Box::new(edited), "k3".into(), Some("k1".into())));
    }

    #[test]
    fn server_problems_map_to_messages_and_fields() {
        let mut state = State::default();
        submit(&mut state, ticket(), "k1");
        let errors = vec![FieldError::new(Field::Email, FieldCode::InvalidEmail)];
        let effect = state.update(Msg::Failed(Failure::Problem { code: "validation_failed".into(), errors }));
        assert_eq!(effect, Effect::FocusFirstError);
        assert_eq!(state.error_for(Field::Email), Some(MessageId::ErrInvalidEmail));
        submit(&mut state, ticket(), "k1");
        state.update(Msg::Failed(Failure::Problem { code: "internal".into(), errors: vec![] }));
        assert_eq!(state.banner, Some(MessageId::ErrServer));
    }

    #[test]
    fn reset_starts_a_fresh_draft() {
        let mut state = State::default();
        submit(&mut state, ticket(), "k1");
        state.update(Msg::Created(Receipt { reference: "R".into(), id: "a1".into(), token: "t1".into() }));
        assert_eq!(state.update(Msg::Reset), Effect::FocusForm);
        assert_eq!(state, State::default());
    }
}
