//! The message catalog: every string a person reads in the widget, keyed
//! by [`MessageId`], in each [`Locale`]. Errors travel as codes; only this
//! module turns them into words. The loader's few strings are generated
//! from here at build time, so the host page and the panel never disagree.
//!
//! Each locale's words live in their own file (`en.rs`, `de.rs`, …) as one
//! [`Texts`] value with a field per message: a catalog with a missing or an
//! extra message does not compile, and the tests check placeholders and
//! untranslated words (see [`check`]).
//!
//! A plural message holds one form per CLDR plural category,
//! `category:text` joined by `|` (`one:{count} new reply|other:{count} new
//! replies`); [`plural`] picks the form for a category, which the widget
//! gets from the browser's `Intl.PluralRules`.

mod ar;
mod de;
mod en;
mod es;
mod fr;
mod ja;
mod pt_br;

use crate::problem::Problem;
use crate::ticket::{BuiltInType, FieldCode, TicketType};
use crate::vocab::Field;

/// A language the catalog speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum Locale {
    /// English, the fallback for every other language.
    #[default]
    En,
    /// German.
    De,
    /// French.
    Fr,
    /// Spanish.
    Es,
    /// Portuguese as written in Brazil, for every `pt` tag.
    PtBr,
    /// Japanese.
    Ja,
    /// Arabic (Modern Standard), written right to left.
    Ar,
}

impl Locale {
    /// Every locale, English first.
    pub const ALL: [Self; 7] = [Self::En, Self::De, Self::Fr, Self::Es, Self::PtBr, Self::Ja, Self::Ar];

    /// The locale a BCP 47 tag asks for, by its primary language subtag
    /// (`pt-PT` and `pt` read as `pt-BR`, `en-GB` as `en`, `ar-EG` as
    /// `ar`); `None` for a language the catalog does not speak.
    pub fn parse_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        Self::ALL.into_iter().find(|locale| locale.tag().split('-').next().is_some_and(|p| p.eq_ignore_ascii_case(primary)))
    }

    /// The locale for a BCP 47 tag such as `en-GB`, falling back to English.
    pub fn from_tag(tag: &str) -> Self {
        Self::parse_tag(tag).unwrap_or_default()
    }

    /// The first of `preferred` tags (most wanted first) the catalog
    /// speaks, else `fallback`: how the panel's language is chosen from
    /// `Buoy('init', { locale })` or `data-locale`, the host page's
    /// `<html lang>`, then `navigator.languages`, with the site's default
    /// last. The loader does the same over `Locale::ALL`'s tags, which the
    /// build writes into it.
    pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>, fallback: Self) -> Self {
        preferred.into_iter().find_map(Self::parse_tag).unwrap_or(fallback)
    }

    /// The BCP 47 tag to put in `lang` attributes and page paths.
    pub const fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Es => "es",
            Self::PtBr => "pt-BR",
            Self::Ja => "ja",
            Self::Ar => "ar",
        }
    }

    /// The locale whose tag is exactly `tag` (as [`Locale::tag`] writes it).
    pub fn exact(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|locale| locale.tag() == tag)
    }

    /// Whether the locale is written right to left.
    pub const fn is_rtl(self) -> bool {
        matches!(self, Self::Ar)
    }

    /// The page's `dir` attribute.
    pub const fn dir(self) -> &'static str {
        if self.is_rtl() {
            "rtl"
        } else {
            "ltr"
        }
    }

    const fn catalog(self) -> &'static Catalog {
        match self {
            Self::En => &en::CATALOG,
            Self::De => &de::CATALOG,
            Self::Fr => &fr::CATALOG,
            Self::Es => &es::CATALOG,
            Self::PtBr => &pt_br::CATALOG,
            Self::Ja => &ja::CATALOG,
            Self::Ar => &ar::CATALOG,
        }
    }
}

macro_rules! catalog {
    ($($(#[$meta:meta])* $id:ident,)+) => {
        /// Every user-facing string of the widget.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum MessageId {
            $($(#[$meta])* $id,)+
        }

        impl MessageId {
            /// Every message id, for tests and tooling.
            pub const ALL: &'static [Self] = &[$(Self::$id,)+];
        }

        /// One locale's text for every message, a field each (named as
        /// the [`MessageId`]), so that a locale file lacking a message or
        /// naming one that does not exist fails to compile.
        #[allow(non_snake_case)]
        #[derive(Debug)]
        pub struct Texts {
            $(#[doc = concat!("[`MessageId::", stringify!($id), "`]")] pub $id: &'static str,)+
        }

        impl Texts {
            const fn get(&self, id: MessageId) -> &'static str {
                match id { $(MessageId::$id => self.$id,)+ }
            }
        }
    };
}

catalog! {

    /// The launcher button's accessible name.
    LauncherLabel,
    /// The panel's heading on the form.
    PanelTitle,
    /// The panel's heading on the help screens.
    HelpTitle,
    /// The back button's accessible name.
    Back,
    /// Label of the search box.
    SearchLabel,
    /// Placeholder of the search box.
    SearchPlaceholder,
    /// Heading of the articles suggested for the host page.
    Suggested,
    /// Heading of search results.
    Results,
    /// When a search finds nothing.
    NoResults,
    /// Heading of the topic list.
    Topics,
    /// Opens the form without a topic.
    WriteToUs,
    /// Under an article.
    StillNeedHelp,
    /// Heading of a guided fix.
    GuideTitle,
    /// The guided fix worked.
    GuideFixed,
    /// The guided fix did not work.
    GuideNeedHelp,
    /// Heading after a guided fix worked.
    FixedTitle,
    /// Body after a guided fix worked.
    FixedBody,
    /// Returns to the help home screen.
    BackToHelp,
    /// While an article loads.
    Loading,
    /// An article could not be loaded.
    ArticleFailed,
    /// Above an article shown in the default language (English) because
    /// the reader's has no translation of it.
    ArticleUntranslated,
    /// Starts the prefilled message after a guided fix.
    TriedSteps,
    /// The close button's accessible name.
    Close,
    /// Under the heading of the ticket form.
    FormIntro,
    /// Label of the name field.
    FieldName,
    /// Label of the email field.
    FieldEmail,
    /// The checkbox that asks for replies by email (only where the site sends them).
    EmailReplies,
    /// Label of the type select.
    FieldType,
    /// The type select's empty choice.
    ChooseType,
    /// Label of the subject field.
    FieldSubject,
    /// Label of the message field.
    FieldMessage,
    /// Type: password reset.
    TypePasswordReset,
    /// Type: billing.
    TypeBilling,
    /// Type: outage.
    TypeOutage,
    /// Type: bug.
    TypeBug,
    /// Type: how-to.
    TypeHowTo,
    /// Type: feature request.
    TypeFeatureRequest,
    /// Type: account.
    TypeAccount,
    /// Type: other.
    TypeOther,
    /// The submit button.
    Submit,
    /// The submit button while sending.
    Sending,
    /// Heading once a ticket is created.
    SentTitle,
    /// Before the ticket reference.
    SentReference,
    /// After the reference.
    SentNext,
    /// Starts a new ticket after one was sent.
    NewRequest,
    /// Summary above the form when fields are wrong.
    FixFields,
    /// A required field is empty.
    ErrRequired,
    /// The type is not chosen.
    ErrChooseType,
    /// The subject is over 200 characters.
    ErrSubjectTooLong,
    /// The message is over 10,000 characters.
    ErrMessageTooLong,
    /// Another field is too long.
    ErrTooLong,
    /// Not an email address.
    ErrInvalidEmail,
    /// Control characters in text.
    ErrInvalidText,
    /// The site is not configured.
    ErrUnknownSite,
    /// The network failed.
    ErrNetwork,
    /// The server failed.
    ErrServer,
    /// The message is too large to send.
    ErrTooLarge,
    /// The server refused the request for another reason.
    ErrRejected,
    /// Opens the requester's tickets; heading of their list.
    YourTickets,
    /// The requester has no tickets on this device.
    NoTickets,
    /// The author of the requester's own messages.
    You,
    /// A ticket's status, as the requester reads it: new.
    StatusNew,
    /// … open.
    StatusOpen,
    /// … pending (waiting on the requester).
    StatusPending,
    /// … on hold.
    StatusOnHold,
    /// … solved.
    StatusSolved,
    /// … closed.
    StatusClosed,
    /// How many agent replies the requester has not read: a plural
    /// message (see [`plural`]) with `{count}`.
    UnreadReplies,
    /// Label of the reply box.
    ReplyLabel,
    /// The reply button.
    SendReply,
    /// The rating prompt.
    RatePrompt,
    /// Rating: satisfied.
    Satisfied,
    /// Rating: not satisfied.
    NotSatisfied,
    /// Label of the rating's comment.
    RateComment,
    /// The rating's send button.
    SendRating,
    /// After a rating.
    RateThanks,
    /// A rating without a choice.
    ChooseRating,
    /// The API refused a write for now (429).
    ErrRateLimited,
    /// A Turnstile check that did not pass (the form keeps the text).
    ErrTurnstile,
    /// The label of the form's honeypot (hidden from people).
    Honeypot,
    /// Announced to screen readers once typing pauses, before the number of search results.
    ResultsFound,
    /// Announced to screen readers when an agent replies, before the ticket's reference.
    NewReply,
    /// The button that adds files to a message.
    AttachFiles,
    /// The button that takes a file off a message before it is sent, with `{name}`.
    RemoveFile,
    /// A file of a type that cannot be sent.
    ErrFileType,
    /// A file or message over its size limit.
    ErrFileTooLarge,
    /// An empty file.
    ErrFileEmpty,
    /// A file name that cannot be used (path separators, control or direction characters).
    ErrFileName,
    /// More files than a message may carry.
    ErrTooManyFiles,
    /// Outside business hours, on the home screen and the form: `{time}`
    /// and `{day}` of the next opening, in the requester's zone.
    ClosedNow,
    /// A waiting ticket whose next step is the team's (the requester's is
    /// [`MessageId::StatusPending`]).
    WaitingOnTeam,
}

/// A locale's catalog: its [`Texts`], [`for_site`]'s wording for a site
/// that does not email its requesters, and the messages whose text is
/// rightly the same as in English.
#[derive(Debug)]
pub struct Catalog {
    /// Every message.
    pub texts: Texts,
    /// After sending: when a first reply is due, with `{span}` (an hours
    /// span) and `{when}` (the due date and time in the requester's zone).
    /// The worker writes it ([`due_line`]), so it lives outside the
    /// catalog the widget page carries.
    pub due_by: &'static str,
    /// A span of calendar hours, for `due_by`: a plural message with `{count}`.
    pub hours_span: &'static str,
    /// A span of business hours (open hours only), for `due_by`: a plural
    /// message with `{count}`.
    pub business_hours_span: &'static str,
    /// [`MessageId::FormIntro`] without the promise of email.
    pub form_intro_here: &'static str,
    /// [`MessageId::SentNext`] without the promise of email.
    pub sent_next_here: &'static str,
    /// Messages written as in English on purpose (a word the language
    /// shares); any other message equal to English is an untranslated one.
    pub same_as_english: &'static [MessageId],
}

/// The text of a message in a locale.
pub const fn text(locale: Locale, id: MessageId) -> &'static str {
    locale.catalog().texts.get(id)
}

/// A CLDR plural category, as `Intl.PluralRules.prototype.select` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluralCategory {
    /// `zero`
    Zero,
    /// `one`
    One,
    /// `two`
    Two,
    /// `few`
    Few,
    /// `many`
    Many,
    /// `other`, the form every plural message has.
    Other,
}

impl PluralCategory {
    /// Every category, in CLDR's order.
    pub const ALL: [Self; 6] = [Self::Zero, Self::One, Self::Two, Self::Few, Self::Many, Self::Other];

    /// Its CLDR name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Zero => "zero",
            Self::One => "one",
            Self::Two => "two",
            Self::Few => "few",
            Self::Many => "many",
            Self::Other => "other",
        }
    }

    /// The category a CLDR name names; anything else reads as `other`.
    pub fn parse(name: &str) -> Self {
        Self::named(name).unwrap_or(Self::Other)
    }

    fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The forms of a plural message, `(category, text)` each; a message
/// without forms is one `other` form.
pub fn plural_forms(message: &str) -> impl Iterator<Item = (PluralCategory, &str)> {
    let forms = message.contains('|') || message.split_once(':').is_some_and(|(name, _)| PluralCategory::named(name).is_some());
    message.split(if forms { '|' } else { '\0' }).map(move |form| match form.split_once(':') {
        Some((name, text)) if forms => (PluralCategory::named(name).unwrap_or(PluralCategory::Other), text),
        _ => (PluralCategory::Other, form),
    })
}

/// The form of a plural message for `count`, whose category in the
/// panel's language is `category` (from `Intl.PluralRules`), with
/// `{count}` filled in; the `other` form when the message has none for
/// that category.
pub fn plural(message: &str, category: PluralCategory, count: u32) -> String {
    let pick = |wanted| plural_forms(message).find(|(c, _)| *c == wanted).map(|(_, text)| text);
    let form = pick(category).or_else(|| pick(PluralCategory::Other)).unwrap_or_default();
    fill(form, "count", &count.to_string())
}

/// A message with its placeholder `{key}` filled in with `value` (a
/// file's name in "Remove {name}").
pub fn fill(message: &str, key: &str, value: &str) -> String {
    // Split on a character, not a string: the widget carries no substring search.
    let mut out = String::with_capacity(message.len() + value.len());
    for (i, part) in message.split('{').enumerate() {
        match part.strip_prefix(key).and_then(|rest| rest.strip_prefix('}')) {
            Some(rest) if i > 0 => {
                out.push_str(value);
                out.push_str(rest);
            }
            _ => {
                if i > 0 {
                    out.push('{');
                }
                out.push_str(part);
            }
        }
    }
    out
}

/// The placeholders (`{name}`) a message names, sorted, each once.
pub fn placeholders(message: &str) -> Vec<&str> {
    let mut found: Vec<&str> = message
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// What is wrong with one locale's catalog against English: a message
/// whose placeholders differ, one left as in English that its locale does
/// not list as the same on purpose, or one that is empty or padded. The
/// host tests and `cargo xtask build` refuse a catalog with any.
pub fn check(locale: Locale) -> Vec<String> {
    check_catalog(locale.tag(), locale.catalog())
}

fn check_catalog(tag: &str, catalog: &Catalog) -> Vec<String> {
    let mut problems = Vec::new();
    for id in MessageId::ALL {
        let (ours, english) = (catalog.texts.get(*id), text(Locale::En, *id));
        if ours.trim().is_empty() || ours != ours.trim() {
            problems.push(format!("{tag}: {id:?} is empty or has stray white space"));
        }
        if placeholders(ours) != placeholders(english) {
            problems.push(format!("{tag}: {id:?} names {:?}, English {:?}", placeholders(ours), placeholders(english)));
        }
        let listed = catalog.same_as_english.contains(id);
        if tag != Locale::En.tag() && (ours == english) != listed {
            let why = if listed { "is listed as the same as English but is not" } else { "is the same as English (untranslated?)" };
            problems.push(format!("{tag}: {id:?} {why}: {ours}"));
        }
    }
    let english = Locale::En.catalog();
    for (name, ours, theirs) in [
        ("due_by", catalog.due_by, english.due_by),
        ("hours_span", catalog.hours_span, english.hours_span),
        ("business_hours_span", catalog.business_hours_span, english.business_hours_span),
    ] {
        if ours.trim().is_empty() || placeholders(ours) != placeholders(theirs) || (tag != Locale::En.tag() && ours == theirs) {
            problems.push(format!(
                "{tag}: {name} is empty, untranslated or names {:?}, English {:?}",
                placeholders(ours),
                placeholders(theirs)
            ));
        }
    }
    for (id, here) in [(MessageId::FormIntro, catalog.form_intro_here), (MessageId::SentNext, catalog.sent_next_here)] {
        let promise = catalog.texts.get(id);
        if here == promise || here.len() > promise.len() {
            problems.push(format!("{tag}: {id:?} for a site without email must differ and be no longer"));
        }
    }
    problems
}

/// Every message of a locale, in [`MessageId`] order (`id as usize`
/// indexes it). The widget page carries this list, so the panel's wasm
/// holds no text of its own, in any language.
pub fn catalog(locale: Locale) -> Vec<&'static str> {
    MessageId::ALL.iter().map(|id| text(locale, *id)).collect()
}

/// What a refused upload (or a message refused for its attachments)
/// tells the requester about that file, from the API's status and its
/// field error's code: the type (415), the size (413), too many files, an
/// empty file, a name that cannot be used, or too many sends for now
/// (429, which keeps the file and tries again).
pub fn upload_refusal(status: u16, code: &str) -> MessageId {
    use crate::attach::Refusal;
    let refusal = Refusal::ALL.iter().copied().find(|r| r.code() == code);
    match (status, refusal) {
        (429, _) => MessageId::ErrRateLimited,
        (415, _) | (_, Some(Refusal::UnsupportedType | Refusal::TypeMismatch)) => MessageId::ErrFileType,
        (413, _) | (_, Some(Refusal::FileTooLarge | Refusal::MessageTooLarge)) => MessageId::ErrFileTooLarge,
        (_, Some(Refusal::EmptyFile)) => MessageId::ErrFileEmpty,
        (_, Some(Refusal::TooManyFiles)) => MessageId::ErrTooManyFiles,
        (_, Some(Refusal::NameRequired | Refusal::InvalidName)) => MessageId::ErrFileName,
        _ => MessageId::ErrRejected,
    }
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
    match (id, emails_requesters) {
        (MessageId::FormIntro, false) => locale.catalog().form_intro_here,
        (MessageId::SentNext, false) => locale.catalog().sent_next_here,
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
        (FieldCode::UnknownValue | FieldCode::UnknownField, _) => MessageId::ErrRejected,
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

/// How a waiting ticket says whose move it is: the team's, or the
/// requester's (the words of the `pending` status).
pub const fn waiting_on(waiting: crate::inbox::WaitingOn) -> MessageId {
    match waiting {
        crate::inbox::WaitingOn::Team => MessageId::WaitingOnTeam,
        crate::inbox::WaitingOn::Requester => MessageId::StatusPending,
    }
}

/// A first-response target's span in whole hours, rounded up (at least
/// one), so "within N hours" is never shorter than the target.
pub const fn span_hours(seconds: i64) -> u32 {
    let hours = (seconds + 3599) / 3600;
    if hours < 1 {
        1
    } else if hours > u32::MAX as i64 {
        u32::MAX
    } else {
        hours as u32
    }
}

/// The CLDR plural category of a whole number in a locale, for text
/// written away from a browser (the worker's): the cardinal rules of
/// CLDR for integers, checked against ICU4X's data in the tests. The
/// widget asks the browser's `Intl.PluralRules` instead.
pub const fn plural_category(locale: Locale, n: u32) -> PluralCategory {
    let millions = n != 0 && n.is_multiple_of(1_000_000);
    match locale {
        Locale::En | Locale::De if n == 1 => PluralCategory::One,
        Locale::Fr | Locale::PtBr if n <= 1 => PluralCategory::One,
        Locale::Es if n == 1 => PluralCategory::One,
        Locale::Fr | Locale::PtBr | Locale::Es if millions => PluralCategory::Many,
        Locale::Ar => match (n, n % 100) {
            (0, _) => PluralCategory::Zero,
            (1, _) => PluralCategory::One,
            (2, _) => PluralCategory::Two,
            (_, 3..=10) => PluralCategory::Few,
            (_, 11..=99) => PluralCategory::Many,
            _ => PluralCategory::Other,
        },
        _ => PluralCategory::Other,
    }
}

/// What a new ticket's requester is told to expect, in `locale`: the
/// catalog's `due_by` with its `{span}` (the target's [`span_hours`],
/// in business or calendar hours) filled and its `{when}` left for the
/// due time in the requester's zone. The worker writes it, so the panel
/// carries no plural rules and no time-zone code for it.
pub fn due_line(locale: Locale, business: bool, seconds: i64) -> String {
    let (hours, words) = (span_hours(seconds), locale.catalog());
    let span = if business { words.business_hours_span } else { words.hours_span };
    fill(words.due_by, "span", &plural(span, plural_category(locale, hours), hours))
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
/// of the locale at hand), and for any other type its slug (a site's own
/// labels are `site_types::label`'s).
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
    fn a_placeholder_is_filled_in_and_anything_else_stays() {
        assert_eq!(fill("Remove {name}", "name", "a{count}.png"), "Remove a{count}.png");
        assert_eq!(fill("{name} entfernen", "name", "x"), "x entfernen");
        assert_eq!(fill("{other} and {name}", "name", "x"), "{other} and x");
        assert_eq!(fill("no placeholder {", "name", "x"), "no placeholder {");
    }

    #[test]
    fn each_refused_upload_says_what_is_wrong_with_that_file() {
        for (status, code, expected) in [
            (415, "unsupported_type", MessageId::ErrFileType),
            (415, "", MessageId::ErrFileType),
            (415, "type_mismatch", MessageId::ErrFileType),
            (413, "file_too_large", MessageId::ErrFileTooLarge),
            (422, "message_too_large", MessageId::ErrFileTooLarge),
            (422, "name_required", MessageId::ErrFileName),
            (422, "unknown_upload", MessageId::ErrRejected),
            (422, "empty_file", MessageId::ErrFileEmpty),
            (422, "too_many_files", MessageId::ErrTooManyFiles),
            (422, "invalid_name", MessageId::ErrFileName),
            (429, "rate_limited", MessageId::ErrRateLimited),
            (404, "attachments_off", MessageId::ErrRejected),
        ] {
            assert_eq!(upload_refusal(status, code), expected, "{status} {code}");
        }
    }

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
        // Every locale has its own wording without email, in its own language.
        for locale in Locale::ALL {
            for id in [MessageId::FormIntro, MessageId::SentNext] {
                let (promise, plain) = (for_site(locale, id, true), for_site(locale, id, false));
                assert_ne!(promise, plain, "{locale:?} {id:?}");
                assert!(plain.len() <= promise.len(), "{locale:?} {id:?}: never longer, so no site's page grows");
                if locale != Locale::En {
                    assert_ne!(plain, for_site(Locale::En, id, false), "{locale:?} {id:?} translated");
                }
            }
        }
    }

    #[test]
    fn every_catalog_has_every_placeholder_and_no_untranslated_message() {
        for locale in Locale::ALL {
            assert_eq!(check(locale), Vec::<String>::new(), "{locale:?}");
        }
    }

    #[test]
    fn a_message_left_in_english_or_with_other_placeholders_is_refused() {
        let untranslated = Catalog { texts: Texts { Submit: "Send message", ..de::CATALOG.texts }, ..de::CATALOG };
        assert_eq!(check_catalog("de", &untranslated), vec!["de: Submit is the same as English (untranslated?): Send message"]);
        let due = Catalog { due_by: "Wir antworten bis {when}.", ..de::CATALOG };
        assert_eq!(check_catalog("de", &due).len(), 1, "the due line keeps its span");
        let lost =
            Catalog { texts: Texts { UnreadReplies: "one:eine neue Antwort|other:neue Antworten", ..de::CATALOG.texts }, ..de::CATALOG };
        assert_eq!(check_catalog("de", &lost), vec!["de: UnreadReplies names [], English [\"count\"]"]);
        let extra = Catalog { texts: Texts { Submit: "Senden an {name}", ..de::CATALOG.texts }, ..de::CATALOG };
        assert_eq!(check_catalog("de", &extra).len(), 1, "a placeholder English lacks");
        let padded = Catalog { texts: Texts { Back: " Zurück", ..de::CATALOG.texts }, ..de::CATALOG };
        assert_eq!(check_catalog("de", &padded).len(), 1);
        let listed = Catalog { same_as_english: &[MessageId::Back], ..de::CATALOG };
        assert_eq!(check_catalog("de", &listed).len(), 1, "a word listed as English must be English");
        let longer = Catalog {
            sent_next_here: "Wir antworten hier, bald, und bitte nennen Sie diese Nummer, wenn Sie uns erneut kontaktieren, danke.",
            ..de::CATALOG
        };
        assert_eq!(check_catalog("de", &longer).len(), 1, "the wording without email is never longer");
        // The same words as English pass where the locale lists them.
        assert_eq!(text(Locale::Fr, MessageId::FieldMessage), text(Locale::En, MessageId::FieldMessage));
        assert!(check(Locale::Fr).is_empty());
        assert_eq!(placeholders("one:{count} new|other:{count} new, {name}"), vec!["count", "name"]);
        assert_eq!(placeholders("no {} {Upper} braces {"), Vec::<&str>::new());
    }

    #[test]
    fn each_locale_has_its_own_words_for_the_panel() {
        for locale in Locale::ALL {
            for other in Locale::ALL.into_iter().filter(|o| *o != locale) {
                assert_ne!(text(locale, MessageId::Submit), text(other, MessageId::Submit), "{locale:?} and {other:?}");
            }
        }
        assert_eq!(text(Locale::De, MessageId::Submit), "Nachricht senden");
        assert_eq!(text(Locale::Ar, MessageId::Close), "إغلاق المساعدة");
        assert_eq!(catalog(Locale::Ja).len(), MessageId::ALL.len());
    }

    #[test]
    fn tags_resolve_to_a_locale_by_their_language_with_english_as_fallback() {
        for (tag, locale) in [
            ("en", Locale::En),
            ("en-GB", Locale::En),
            ("de", Locale::De),
            ("de-CH", Locale::De),
            ("DE-at", Locale::De),
            ("fr-CA", Locale::Fr),
            ("es-419", Locale::Es),
            ("pt", Locale::PtBr),
            ("pt-BR", Locale::PtBr),
            ("pt-PT", Locale::PtBr),
            ("pt_BR", Locale::PtBr),
            ("ja-JP", Locale::Ja),
            ("ar-EG", Locale::Ar),
            ("ar", Locale::Ar),
            ("zh-CN", Locale::En),
            ("", Locale::En),
            ("*", Locale::En),
            ("e", Locale::En),
            ("english", Locale::En),
        ] {
            assert_eq!(Locale::from_tag(tag), locale, "{tag}");
        }
        for locale in Locale::ALL {
            assert_eq!(Locale::exact(locale.tag()), Some(locale));
            assert_eq!(Locale::from_tag(locale.tag()), locale);
        }
        assert_eq!(Locale::exact("pt-br"), None, "page paths name a locale exactly");
        assert_eq!(Locale::exact("de-CH"), None);
    }

    #[test]
    fn the_first_language_the_catalog_speaks_wins_then_the_sites_default() {
        for (preferred, fallback, expected) in [
            // `data-locale` (or init's) first, then `<html lang>`, then the browser's.
            (&["de", "fr", "ja"][..], Locale::En, Locale::De),
            (&["", "fr-FR", "ja"][..], Locale::En, Locale::Fr),
            (&["he", "zh-TW", "ar-SA"][..], Locale::En, Locale::Ar),
            (&["he", "zh-TW"][..], Locale::De, Locale::De),
            (&[][..], Locale::Es, Locale::Es),
            (&["en-US", "de"][..], Locale::De, Locale::En),
        ] {
            assert_eq!(Locale::negotiate(preferred.iter().copied(), fallback), expected, "{preferred:?}");
        }
    }

    #[test]
    fn arabic_is_written_right_to_left() {
        for locale in Locale::ALL {
            assert_eq!(locale.dir(), if locale == Locale::Ar { "rtl" } else { "ltr" }, "{locale:?}");
        }
    }

    /// ICU4X's name for a CLDR plural category, as ours.
    fn from_cldr(category: icu_plurals::PluralCategory) -> PluralCategory {
        use icu_plurals::PluralCategory as Cldr;
        match category {
            Cldr::Zero => PluralCategory::Zero,
            Cldr::One => PluralCategory::One,
            Cldr::Two => PluralCategory::Two,
            Cldr::Few => PluralCategory::Few,
            Cldr::Many => PluralCategory::Many,
            Cldr::Other => PluralCategory::Other,
        }
    }

    /// The CLDR plural categories a locale uses for whole numbers, from
    /// ICU4X's compiled CLDR data.
    fn cldr_categories(locale: Locale) -> Vec<PluralCategory> {
        use icu_plurals::PluralRules;
        let Ok(id) = locale.tag().parse::<icu_locale_core::Locale>() else { return Vec::new() };
        let Ok(rules) = PluralRules::try_new_cardinal(id.into()) else { return Vec::new() };
        let mut found: Vec<PluralCategory> = rules.categories().map(from_cldr).collect();
        found.sort_by_key(|c| PluralCategory::ALL.iter().position(|a| a == c));
        found
    }

    #[test]
    fn every_plural_message_has_exactly_the_forms_cldr_gives_its_locale() {
        assert_eq!(cldr_categories(Locale::Ar).len(), 6, "Arabic has six categories");
        assert_eq!(cldr_categories(Locale::Ja), vec![PluralCategory::Other]);
        for locale in Locale::ALL {
            let wanted = cldr_categories(locale);
            assert!(wanted.contains(&PluralCategory::Other), "{locale:?}");
            for id in MessageId::ALL.iter().filter(|id| text(Locale::En, **id).contains('|')) {
                let forms: Vec<PluralCategory> = plural_forms(text(locale, *id)).map(|(c, _)| c).collect();
                assert_eq!(forms, wanted, "{locale:?} {id:?}");
            }
            for words in [locale.catalog().hours_span, locale.catalog().business_hours_span] {
                let forms: Vec<PluralCategory> = plural_forms(words).map(|(c, _)| c).collect();
                assert_eq!(forms, wanted, "{locale:?} {words}");
            }
        }
    }

    #[test]
    fn a_plural_message_reads_in_the_form_for_its_count() {
        let unread = |locale, category, count| plural(text(locale, MessageId::UnreadReplies), category, count);
        assert_eq!(unread(Locale::En, PluralCategory::One, 1), "1 new reply");
        assert_eq!(unread(Locale::En, PluralCategory::Other, 3), "3 new replies");
        assert_eq!(unread(Locale::De, PluralCategory::Other, 2), "2 neue Antworten");
        assert_eq!(unread(Locale::Ar, PluralCategory::Two, 2), "ردّان جديدان");
        assert_eq!(unread(Locale::Ar, PluralCategory::Few, 3), "3 ردود جديدة");
        assert_eq!(unread(Locale::Ar, PluralCategory::Many, 11), "11 ردًا جديدًا");
        assert_eq!(unread(Locale::Ja, PluralCategory::One, 1), "新着返信1件", "a category the locale lacks reads as other");
        assert_eq!(plural("no forms at all", PluralCategory::One, 1), "no forms at all");
        assert_eq!(plural("{count}: {name} {count}", PluralCategory::One, 7), "7: {name} 7", "only {{count}} is filled");
        assert_eq!(plural("one:ein {x}|other:{count} {", PluralCategory::Other, 2), "2 {");
        assert_eq!(plural_forms("Note: plain").collect::<Vec<_>>(), vec![(PluralCategory::Other, "Note: plain")]);
        assert_eq!(PluralCategory::parse("few"), PluralCategory::Few);
        assert_eq!(PluralCategory::parse("bogus"), PluralCategory::Other);
    }

    #[test]
    fn the_expectation_lines_read_whole_in_every_locale() {
        let en = |id| text(Locale::En, id);
        let line = fill(&due_line(Locale::En, true, 4 * 3600), "when", "Monday 11:00");
        assert_eq!(line, "We usually reply within 4 business hours — by Monday 11:00.");
        assert_eq!(due_line(Locale::En, false, 1800), "We usually reply within 1 hour — by {when}.");
        assert_eq!(due_line(Locale::De, true, 3 * 3600), "Wir antworten meist innerhalb von 3 Geschäftsstunden – bis {when}.");
        assert_eq!(due_line(Locale::Ar, true, 2 * 3600), "نردّ عادةً خلال ساعتي عمل، أي قبل {when}.");
        let closed = fill(&fill(en(MessageId::ClosedNow), "time", "09:00"), "day", "Monday");
        assert_eq!(closed, "We’re closed now. We open at 09:00 your time (Monday).");
        assert_eq!(text(Locale::En, waiting_on(crate::inbox::WaitingOn::Requester)), "Waiting for your reply");
        assert_eq!(text(Locale::En, waiting_on(crate::inbox::WaitingOn::Team)), "Waiting on our team");
        // Rounded up, never shorter than the target: 30 minutes is "within 1 hour", 3 h 1 s "within 4".
        assert_eq!([1800, 3600, 10_800, 10_801, 0].map(span_hours), [1, 1, 3, 4, 1]);
        for locale in Locale::ALL {
            let t = |id| text(locale, id);
            let line = due_line(locale, true, 24 * 3600);
            assert!(line.contains("24") && line.contains("{when}") && line.matches('{').count() == 1, "{locale:?}: {line}");
            let closed = fill(&fill(t(MessageId::ClosedNow), "time", "09:00"), "day", "D");
            assert!(closed.contains("09:00") && closed.contains('D') && !closed.contains('{'), "{locale:?}: {closed}");
        }
    }

    #[test]
    fn whole_numbers_take_the_plural_category_cldr_gives_them() {
        use icu_plurals::PluralRules;
        for locale in Locale::ALL {
            let Ok(id) = locale.tag().parse::<icu_locale_core::Locale>() else { unreachable!("{locale:?}") };
            let Ok(rules) = PluralRules::try_new_cardinal(id.into()) else { unreachable!("{locale:?}") };
            for n in (0..=2_500u32).chain([1_000_000, 2_000_000, 1_000_001, 3_000_100]) {
                assert_eq!(plural_category(locale, n), from_cldr(rules.category_for(n)), "{locale:?} {n}");
            }
        }
    }
}
