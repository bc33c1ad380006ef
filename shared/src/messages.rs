//! The message catalog: every string a person reads in the widget, keyed
//! by [`MessageId`]. Errors travel as codes; only this module turns them
//! into words. The loader's few strings are generated from here at build
//! time, so the host page and the panel never disagree.

use crate::problem::Problem;
use crate::ticket::{BuiltInType, FieldCode, TicketType};
use crate::vocab::Field;

/// A language the catalog speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Locale {
    /// English, the fallback for every other language.
    #[default]
    En,
}

impl Locale {
    /// The locale for a BCP 47 tag such as `en-GB`, falling back to English.
    pub fn from_tag(_tag: &str) -> Self {
        Self::En
    }

    /// The BCP 47 tag to put in `lang` attributes.
    pub const fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
        }
    }
}

macro_rules! catalog {
    ($($(#[$meta:meta])* $id:ident => $en:literal,)+) => {
        /// Every user-facing string of the widget.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum MessageId {
            $($(#[$meta])* $id,)+
        }

        impl MessageId {
            /// Every message id, for tests and tooling.
            pub const ALL: &'static [Self] = &[$(Self::$id,)+];
        }

        /// The text of a message in a locale.
        pub const fn text(locale: Locale, id: MessageId) -> &'static str {
            match locale {
                Locale::En => match id { $(MessageId::$id => $en,)+ },
            }
        }
    };
}

catalog! {
    /// The launcher button's accessible name.
    LauncherLabel => "Help",
    /// The panel's heading on the form.
    PanelTitle => "Contact support",
    /// The panel's heading on the help screens.
    HelpTitle => "Help",
    /// The back button's accessible name.
    Back => "Back",
    /// Label of the search box.
    SearchLabel => "Search help articles",
    /// Placeholder of the search box.
    SearchPlaceholder => "Search for help",
    /// Heading of the articles suggested for the host page.
    Suggested => "Suggested for this page",
    /// Heading of search results.
    Results => "Articles",
    /// When a search finds nothing.
    NoResults => "No articles match. Try other words, or send us a message.",
    /// Heading of the topic list.
    Topics => "What do you need help with?",
    /// Opens the form without a topic.
    WriteToUs => "Send us a message",
    /// Under an article.
    StillNeedHelp => "Still need help?",
    /// Heading of a guided fix.
    GuideTitle => "Try these steps first",
    /// The guided fix worked.
    GuideFixed => "This fixed it",
    /// The guided fix did not work.
    GuideNeedHelp => "I still need help",
    /// Heading after a guided fix worked.
    FixedTitle => "Glad that helped!",
    /// Body after a guided fix worked.
    FixedBody => "If it happens again, the steps are here, and so are we.",
    /// Returns to the help home screen.
    BackToHelp => "Back to help",
    /// While an article loads.
    Loading => "Loading…",
    /// An article could not be loaded.
    ArticleFailed => "This article could not be loaded. Check your connection and try again.",
    /// Above an article shown in the default language (English) because the reader's has no translation of it.
    ArticleUntranslated => "Not translated yet: this article is in English.",
    /// Starts the prefilled message after a guided fix.
    TriedSteps => "I tried these steps and still need help:",
    /// The close button's accessible name.
    Close => "Close help",
    /// Under the heading of the ticket form.
    FormIntro => "Tell us what is going on and we will reply by email.",
    /// Label of the name field.
    FieldName => "Your name (optional)",
    /// Label of the email field.
    FieldEmail => "Email",
    /// The checkbox that asks for replies by email (only where the site sends them).
    EmailReplies => "Email me replies",
    /// Label of the type select.
    FieldType => "Topic",
    /// The type select's empty choice.
    ChooseType => "Choose a topic",
    /// Label of the subject field.
    FieldSubject => "Subject",
    /// Label of the message field.
    FieldMessage => "Message",
    /// Type: password reset.
    TypePasswordReset => "I cannot sign in",
    /// Type: billing.
    TypeBilling => "Billing and invoices",
    /// Type: outage.
    TypeOutage => "Something is down",
    /// Type: bug.
    TypeBug => "Something is not working",
    /// Type: how-to.
    TypeHowTo => "How do I…?",
    /// Type: feature request.
    TypeFeatureRequest => "Feature request",
    /// Type: account.
    TypeAccount => "My account",
    /// Type: other.
    TypeOther => "Something else",
    /// The submit button.
    Submit => "Send message",
    /// The submit button while sending.
    Sending => "Sending…",
    /// Heading once a ticket is created.
    SentTitle => "Thanks, we have your message",
    /// Before the ticket reference.
    SentReference => "Your reference:",
    /// After the reference.
    SentNext => "We will reply here and by email. Quote this reference if you contact us again.",
    /// Starts a new ticket after one was sent.
    NewRequest => "Send another message",
    /// Summary above the form when fields are wrong.
    FixFields => "Please correct the fields marked below.",
    /// A required field is empty.
    ErrRequired => "Please fill this in.",
    /// The type is not chosen.
    ErrChooseType => "Please choose a topic.",
    /// The subject is over 200 characters.
    ErrSubjectTooLong => "Please keep the subject to 200 characters or fewer.",
    /// The message is over 10,000 characters.
    ErrMessageTooLong => "Please keep the message to 10,000 characters or fewer.",
    /// Another field is too long.
    ErrTooLong => "This is too long.",
    /// Not an email address.
    ErrInvalidEmail => "Please enter an email address such as name@example.com.",
    /// Control characters in text.
    ErrInvalidText => "Please remove the unusual characters from this field.",
    /// The site is not configured.
    ErrUnknownSite => "Help is not set up for this site yet.",
    /// The network failed.
    ErrNetwork => "We could not reach our servers. Your message is saved and will be sent once you are back online.",
    /// The server failed.
    ErrServer => "Something went wrong on our side. Your message is saved; we will keep trying.",
    /// The message is too large to send.
    ErrTooLarge => "This message is too large to send. Please shorten it.",
    /// The server refused the request for another reason.
    ErrRejected => "We could not accept this message. Please check it and try again.",
    /// Opens the requester's tickets; heading of their list.
    YourTickets => "Your tickets",
    /// The requester has no tickets on this device.
    NoTickets => "You have not sent us anything from this device yet.",
    /// The author of the requester's own messages.
    You => "You",
    /// A ticket's status, as the requester reads it: new.
    StatusNew => "Received",
    /// … open.
    StatusOpen => "Open",
    /// … pending (waiting on the requester).
    StatusPending => "Waiting for your reply",
    /// … on hold.
    StatusOnHold => "On hold",
    /// … solved.
    StatusSolved => "Solved",
    /// … closed.
    StatusClosed => "Closed",
    /// Unread replies, after a count.
    Unread => "new",
    /// Label of the reply box.
    ReplyLabel => "Your reply",
    /// The reply button.
    SendReply => "Send reply",
    /// The rating prompt.
    RatePrompt => "How was the help you got?",
    /// Rating: satisfied.
    Satisfied => "Satisfied",
    /// Rating: not satisfied.
    NotSatisfied => "Not satisfied",
    /// Label of the rating's comment.
    RateComment => "Anything to add? (optional)",
    /// The rating's send button.
    SendRating => "Send rating",
    /// After a rating.
    RateThanks => "Thank you for your rating.",
    /// A rating without a choice.
    ChooseRating => "Please choose satisfied or not satisfied.",
    /// The API refused a write for now (429).
    ErrRateLimited => "Too many messages at once. Yours is saved; we will send it in a minute.",
    /// A Turnstile check that did not pass (the form keeps the text).
    ErrTurnstile => "The check that you are a person did not pass. Your message is still here: send it again.",
    /// The label of the form's honeypot (hidden from people).
    Honeypot => "Leave this field empty",
    /// Announced to screen readers once typing pauses, before the number of search results.
    ResultsFound => "Articles found:",
    /// Announced to screen readers when an agent replies, before the ticket's reference.
    NewReply => "New reply on",
}

/// Every message of a locale, in [`MessageId`] order (`id as usize`
/// indexes it). The widget page carries this list, so the panel's wasm
/// holds no text of its own, in any language.
pub fn catalog(locale: Locale) -> Vec<&'static str> {
    MessageId::ALL.iter().map(|id| text(locale, *id)).collect()
}

/// A catalog message as it holds for a site: the panel promises replies
/// "by email" only where the site emails its requesters
/// ([`Site::emails_requesters`](crate::config::Site::emails_requesters)
/// on the worker's and the build's side). Without email, the form's intro
/// and the line after the reference say "here" instead.
///
/// These alternatives live outside the catalog on purpose: the catalog
/// ships whole in every widget page, so a site's page should carry its
/// one version in the message's own slot, not both.
pub const fn for_site(locale: Locale, id: MessageId, emails_requesters: bool) -> &'static str {
    match (locale, id, emails_requesters) {
        (Locale::En, MessageId::FormIntro, false) => "Tell us what is going on and we will reply here.",
        (Locale::En, MessageId::SentNext, false) => "We will reply here. Quote this reference if you contact us again.",
        _ => text(locale, id),
    }
}

/// The message for a field's validation error.
pub const fn field_error(field: Field, code: FieldCode) -> MessageId {
    match (code, field) {
        (FieldCode::Required, Field::Type) | (FieldCode::UnknownType, _) => MessageId::ErrChooseType,
        (FieldCode::Required, _) => MessageId::ErrRequired,
        (FieldCode::TooLong, Field::Subject) => MessageId::ErrSubjectTooLong,
        (FieldCode::TooLong, Field::Message) => MessageId::ErrMessageTooLong,
        (FieldCode::TooLong, _) => MessageId::ErrTooLong,
        (FieldCode::InvalidEmail, _) => MessageId::ErrInvalidEmail,
        (FieldCode::InvalidText, _) => MessageId::ErrInvalidText,
        (FieldCode::UnknownValue, _) => MessageId::ErrRejected,
        (FieldCode::UnknownSite, _) => MessageId::ErrUnknownSite,
    }
}

/// The message for an API problem code; unknown codes read as a refusal.
pub fn problem(code: &str) -> MessageId {
    match Problem::parse(code) {
        Some(Problem::Internal | Problem::TurnstileUnavailable) => MessageId::ErrServer,
        Some(Problem::TurnstileFailed) => MessageId::ErrTurnstile,
        Some(Problem::PayloadTooLarge) => MessageId::ErrTooLarge,
        Some(Problem::ValidationFailed) => MessageId::FixFields,
        Some(Problem::AlreadyRated) => MessageId::RateThanks,
        Some(Problem::RateLimited) => MessageId::ErrRateLimited,
        _ => MessageId::ErrRejected,
    }
}

/// A ticket's status as the requester reads it.
pub const fn status(status: crate::vocab::Status) -> MessageId {
    use crate::vocab::Status;
    match status {
        Status::New => MessageId::StatusNew,
        Status::Open => MessageId::StatusOpen,
        Status::Pending => MessageId::StatusPending,
        Status::OnHold => MessageId::StatusOnHold,
        Status::Solved => MessageId::StatusSolved,
        Status::Closed => MessageId::StatusClosed,
    }
}

/// The catalog label of a built-in ticket type.
pub const fn ticket_type(kind: BuiltInType) -> MessageId {
    match kind {
        BuiltInType::PasswordReset => MessageId::TypePasswordReset,
        BuiltInType::Billing => MessageId::TypeBilling,
        BuiltInType::Outage => MessageId::TypeOutage,
        BuiltInType::Bug => MessageId::TypeBug,
        BuiltInType::HowTo => MessageId::TypeHowTo,
        BuiltInType::FeatureRequest => MessageId::TypeFeatureRequest,
        BuiltInType::Account => MessageId::TypeAccount,
        BuiltInType::Other => MessageId::TypeOther,
    }
}

/// The label of any ticket type, as the topic list and the select show
/// it: a built-in type's catalog label, looked up with `text` (the catalog
/// of the locale at hand), and for any other type its slug, since sites
/// cannot name their own types yet.
pub fn ticket_type_label<'a>(kind: &'a TicketType, text: impl FnOnce(MessageId) -> &'a str) -> &'a str {
    match kind.built_in() {
        Some(built_in) => text(ticket_type(built_in)),
        None => kind.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_indexed_by_id() {
        let list = catalog(Locale::En);
        assert_eq!(list.len(), MessageId::ALL.len());
        for id in MessageId::ALL {
            assert_eq!(list[*id as usize], text(Locale::En, *id));
        }
    }

    #[test]
    fn problems_read_as_what_the_requester_can_do() {
        assert_eq!(problem("rate_limited"), MessageId::ErrRateLimited);
        assert_eq!(problem("turnstile_failed"), MessageId::ErrTurnstile);
        assert_eq!(problem("turnstile_unavailable"), MessageId::ErrServer);
        assert_eq!(problem("internal"), MessageId::ErrServer);
        assert_eq!(problem("payload_too_large"), MessageId::ErrTooLarge);
        assert_eq!(problem("no_such_code"), MessageId::ErrRejected);
        assert!(text(Locale::En, MessageId::ErrRateLimited).contains("saved"), "nothing typed is lost");
    }

    #[test]
    fn every_message_has_text() {
        for id in MessageId::ALL {
            let text = text(Locale::En, *id);
            assert!(!text.trim().is_empty(), "{id:?}");
            assert_eq!(text, text.trim(), "{id:?} has stray white space");
        }
    }

    #[test]
    fn every_ticket_type_has_its_own_label() {
        let label = |kind: &TicketType| ticket_type_label(kind, |id| text(Locale::En, id)).to_owned();
        let mut labels: Vec<_> = TicketType::BUILT_IN.iter().map(label).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), TicketType::BUILT_IN.len());
        assert_eq!(label(&TicketType::HOW_TO), "How do I…?");
    }

    #[test]
    fn a_custom_ticket_type_reads_as_its_slug() {
        let kind = TicketType::parse("data_export").unwrap_or_else(|| unreachable!("a well-formed slug"));
        assert_eq!(ticket_type_label(&kind, |id| text(Locale::En, id)), "data_export");
    }

    #[test]
    fn codes_map_to_messages() {
        assert_eq!(problem("internal"), MessageId::ErrServer);
        assert_eq!(problem("payload_too_large"), MessageId::ErrTooLarge);
        assert_eq!(problem("something_new"), MessageId::ErrRejected);
        assert_eq!(field_error(Field::Subject, FieldCode::TooLong), MessageId::ErrSubjectTooLong);
        assert_eq!(field_error(Field::Type, FieldCode::Required), MessageId::ErrChooseType);
        assert_eq!(field_error(Field::Email, FieldCode::Required), MessageId::ErrRequired);
    }

    #[test]
    fn the_panel_promises_email_only_where_the_site_sends_it() {
        for id in MessageId::ALL {
            let with_email = for_site(Locale::En, *id, true);
            assert_eq!(with_email, text(Locale::En, *id), "{id:?}: a site with email reads the catalog");
            let without = for_site(Locale::En, *id, false);
            assert!(!without.contains("by email"), "{id:?} promises email to a site without it: {without}");
            if !with_email.contains("by email") {
                assert_eq!(without, with_email, "{id:?}: only the promises change");
            }
        }
        assert_eq!(for_site(Locale::En, MessageId::SentNext, false), "We will reply here. Quote this reference if you contact us again.");
    }
}
