//! Tickets: the untrusted [`NewTicket`] a widget sends, and the [`Ticket`]
//! that exists only once it has passed validation.

use crate::ids::{SiteId, TicketId, TicketRef};
use crate::sla::{SlaPolicy, SlaStamp};
use crate::time::Timestamp;
use crate::vocab::string_enum;
/// The vocabulary, defined in the leaf module [`crate::vocab`] and
/// re-exported so that `ticket::Segment` and the like keep working.
pub use crate::vocab::{Field, Priority, Segment, Status};
use serde::{Deserialize, Serialize};

/// The header that carries a requester's token for their ticket (never
/// the URL, so it stays out of logs and referrers).
pub const REQUESTER_TOKEN_HEADER: &str = "buoy-requester-token";
/// The header that carries a Turnstile token with a new ticket (see
/// `turnstile`): not in the body, so a retry with a fresh token keeps its
/// `Idempotency-Key` valid.
pub const TURNSTILE_HEADER: &str = "buoy-turnstile";

/// Longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
/// Longest message, in characters.
pub const MAX_MESSAGE: usize = 10_000;
/// Longest requester name, in characters.
pub const MAX_NAME: usize = 100;
/// Longest email address, in characters (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;
/// Longest page URL kept in the context, in characters.
pub const MAX_URL: usize = 2048;
/// Longest of the other context fields (title, locale, time zone, user agent).
pub const MAX_CONTEXT_FIELD: usize = 512;

string_enum! {
    /// How a ticket reached Buoy: through the widget's form, or by mail
    /// to one of a site's intake addresses. A record stored before
    /// tickets had a channel reads as `widget`, the only one there was.
    #[derive(Default)]
    Channel {
        /// The widget's form (`POST /v1/tickets`).
        #[default]
        Widget = "widget",
        /// Mail to a site's intake address.
        Email = "email",
    }
}

string_enum! {
    /// The eight ticket types every site offers today, as
    /// [`TicketType::BUILT_IN`]. Their catalog labels come from
    /// `messages::ticket_type`.
    BuiltInType {
        /// Cannot sign in, reset link problems.
        PasswordReset = "password_reset",
        /// Invoices, charges, plans.
        Billing = "billing",
        /// The product is down or degraded.
        Outage = "outage",
        /// Something does not work as documented.
        Bug = "bug",
        /// How do I…?
        HowTo = "how_to",
        /// Please add…
        FeatureRequest = "feature_request",
        /// Profile, seats, ownership, deletion.
        Account = "account",
        /// Anything else.
        Other = "other",
    }
}

/// What a ticket is about; each type has its own playbook.
///
/// Open, because sites will define their own types: any slug
/// [`TicketType::parse`] accepts is a type, and the eight built-in types
/// are constants such as [`TicketType::BILLING`]. Whether a site accepts a
/// type is a separate question, answered by [`offered_types`]: a stored
/// ticket reads back whatever its type, while a new ticket, a filter or a
/// `buoy.toml` key naming a type no site offers is refused.
///
/// Types sort with the built-in ones first, in [`TicketType::BUILT_IN`]'s
/// order, then the others by name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketType(Repr);

/// A built-in type is held as its enum (no allocation, and matched on by
/// the constants); any other slug as its text. `Custom` never holds a
/// built-in's name ([`TicketType::parse`] sees to it), so the derived
/// equality is equality of names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Repr {
    BuiltIn(BuiltInType),
    Custom(Box<str>),
}

/// The longest ticket type, in bytes.
pub const MAX_TYPE_LEN: usize = 32;

impl TicketType {
    /// `password_reset`
    pub const PASSWORD_RESET: Self = Self::built(BuiltInType::PasswordReset);
    /// `billing`
    pub const BILLING: Self = Self::built(BuiltInType::Billing);
    /// `outage`
    pub const OUTAGE: Self = Self::built(BuiltInType::Outage);
    /// `bug`
    pub const BUG: Self = Self::built(BuiltInType::Bug);
    /// `how_to`
    pub const HOW_TO: Self = Self::built(BuiltInType::HowTo);
    /// `feature_request`
    pub const FEATURE_REQUEST: Self = Self::built(BuiltInType::FeatureRequest);
    /// `account`
    pub const ACCOUNT: Self = Self::built(BuiltInType::Account);
    /// `other`
    pub const OTHER: Self = Self::built(BuiltInType::Other);

    /// The built-in types, in the order the form lists them.
    pub const BUILT_IN: &'static [Self] =
        &[Self::PASSWORD_RESET, Self::BILLING, Self::OUTAGE, Self::BUG, Self::HOW_TO, Self::FEATURE_REQUEST, Self::ACCOUNT, Self::OTHER];

    const fn built(kind: BuiltInType) -> Self {
        Self(Repr::BuiltIn(kind))
    }

    /// The type named `text`, if it is shaped like one: 1 to
    /// [`MAX_TYPE_LEN`] bytes of lowercase ASCII letters, digits and `_`,
    /// starting with a letter. Says nothing about whether a site offers
    /// it (see [`TicketType::offered`]).
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(kind) = BuiltInType::parse(text) {
            return Some(Self::built(kind));
        }
        is_type_slug(text).then(|| Self(Repr::Custom(text.into())))
    }

    /// The type named `text` when a site offers it ([`offered_types`]);
    /// `None` for a malformed name and for a well-formed one no site offers.
    pub fn offered(text: &str) -> Option<Self> {
        // Every offered type is well-formed, so finding it by name is the
        // same check as parsing it first, without the parser in the widget.
        offered_types().iter().find(|kind| kind.as_str() == text).cloned()
    }

    /// The stable wire name, as used in JSON, KV and `buoy.toml`.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::BuiltIn(kind) => kind.as_str(),
            Repr::Custom(name) => name,
        }
    }

    /// Which built-in type this is, if it is one.
    pub const fn built_in(&self) -> Option<BuiltInType> {
        match &self.0 {
            Repr::BuiltIn(kind) => Some(*kind),
            Repr::Custom(_) => None,
        }
    }
}

/// Whether `text` has the shape of a ticket type (see [`TicketType::parse`]).
fn is_type_slug(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_lowercase)
        && bytes.len() <= MAX_TYPE_LEN
        && bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The ticket types a site offers unless it lists its own
/// (`site_types::offered` gives a site's list): the built-in ones, which
/// articles' `type:` and guided-fix outcomes name (anything else is an
/// unknown type there, however well-formed).
pub const fn offered_types() -> &'static [TicketType] {
    TicketType::BUILT_IN
}

/// The names of the [`offered_types`] (the built-in ones), comma-separated, for messages that
/// say what a field takes.
pub fn offered_names() -> String {
    offered_types().iter().map(TicketType::as_str).collect::<Vec<_>>().join(", ")
}

impl From<BuiltInType> for TicketType {
    fn from(kind: BuiltInType) -> Self {
        Self::built(kind)
    }
}

impl core::fmt::Display for TicketType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TicketType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Any well-formed type reads back, offered or not, so a record of a type
/// a site has since dropped (or that newer code added) is never lost.
impl<'de> Deserialize<'de> for TicketType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = TicketType;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a ticket type: 1-32 lowercase letters, digits or `_`, starting with a letter")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<TicketType, E> {
                TicketType::parse(text).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(text), &self))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// What is wrong with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldCode {
    /// Empty, or only white space.
    Required,
    /// Longer than the field's limit.
    TooLong,
    /// Not an email address.
    InvalidEmail,
    /// Not one of the ticket types the site offers ([`offered_types`]),
    /// however well-formed.
    UnknownType,
    /// Not a known site.
    UnknownSite,
    /// Holds control characters, or is not in the expected form (a tag).
    InvalidText,
    /// Not one of the values the field takes (an outcome, a tier, an
    /// agent of the site).
    UnknownValue,
    /// A custom field the site does not define (`fields.<id>`), or more
    /// host context keys than allowed.
    UnknownField,
}

impl FieldCode {
    /// The stable code sent in API errors and mapped to messages by the widget.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::TooLong => "too_long",
            Self::InvalidEmail => "invalid_email",
            Self::UnknownType => "unknown_type",
            Self::UnknownSite => "unknown_site",
            Self::InvalidText => "invalid_text",
            Self::UnknownValue => "unknown_value",
            Self::UnknownField => "unknown_field",
        }
    }

    /// The code whose stable string is `code`, if any.
    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Required,
            Self::TooLong,
            Self::InvalidEmail,
            Self::UnknownType,
            Self::UnknownSite,
            Self::InvalidText,
            Self::UnknownValue,
            Self::UnknownField,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// One problem with one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field.
    pub field: Field,
    /// What is wrong with it.
    pub code: FieldCode,
    /// Which of the field's entries, for a field that holds several: a
    /// custom field's id under `fields`, a host context key under
    /// `context.reported`. The error then names `fields.plan`. The
    /// worker's only: the widget checks no such field.
    #[cfg(feature = "server")]
    pub key: Option<ErrorKey>,
}

/// The longest [`ErrorKey`], in bytes.
#[cfg(feature = "server")]
pub const MAX_ERROR_KEY: usize = 32;

/// A custom field's id or a host context key, as a [`FieldError`] names
/// it: 1 to [`MAX_ERROR_KEY`] bytes of `[a-z0-9_]`, held inline so that
/// errors stay `Copy`.
#[cfg(feature = "server")]
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ErrorKey {
    len: u8,
    bytes: [u8; MAX_ERROR_KEY],
}

#[cfg(feature = "server")]
impl ErrorKey {
    /// The key `text`, when it has the shape of one.
    pub fn new(text: &str) -> Option<Self> {
        let ok =
            (1..=MAX_ERROR_KEY).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        let mut bytes = [0; MAX_ERROR_KEY];
        // Byte by byte: no length check that could panic (the widget carries no panic messages).
        bytes.iter_mut().zip(text.bytes()).for_each(|(slot, b)| *slot = b);
        ok.then_some(Self { len: text.len() as u8, bytes })
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        self.bytes.get(..usize::from(self.len)).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or_default()
    }
}

#[cfg(feature = "server")]
impl core::fmt::Debug for ErrorKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl FieldError {
    /// An error on a whole field.
    pub const fn new(field: Field, code: FieldCode) -> Self {
        Self {
            field,
            code,
            #[cfg(feature = "server")]
            key: None,
        }
    }

    /// An error on one entry of a field that holds several (`fields.plan`);
    /// on the whole field when `key` is not shaped like a key.
    #[cfg(feature = "server")]
    pub fn keyed(field: Field, key: &str, code: FieldCode) -> Self {
        Self { field, code, key: ErrorKey::new(key) }
    }

    /// The name the API gives it: the field's wire name, then `.` and the
    /// key when there is one (`fields.plan`, `context.reported.app_version`).
    #[cfg(feature = "server")]
    pub fn name(&self) -> String {
        match &self.key {
            Some(key) => format!("{}.{}", self.field.as_str(), key.as_str()),
            None => self.field.as_str().to_owned(),
        }
    }
}

#[cfg(feature = "server")]
impl Serialize for FieldError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("FieldError", 2)?;
        s.serialize_field("field", &self.name())?;
        s.serialize_field("code", self.code.code())?;
        s.end()
    }
}

/// Where the requester was when they asked for help. Every field is
/// optional and untrusted; it is shown to agents as text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageContext {
    /// The host page's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The host page's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The browser's language, such as `en-GB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The browser's IANA time zone, such as `Europe/Paris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The browser's user agent string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Key/value context the host page reported (`Buoy('context', …)`):
    /// anyone can send anything here, so agents see it as *reported by the
    /// page* (limits in `fields::check_context`). The worker's only (feature
    /// `server`): the panel sends it as the page gave it, a JS object.
    #[cfg(feature = "server")]
    #[serde(default, skip_serializing_if = "crate::vocab::Pairs::is_empty")]
    pub reported: crate::vocab::Pairs,
    /// Context a verified identity signed (`context.<key>` claims): set
    /// only by the worker from a valid signature, never from the request.
    #[cfg(feature = "server")]
    #[serde(default, skip_serializing_if = "crate::vocab::Pairs::is_empty")]
    pub verified: crate::vocab::Pairs,
}

/// A ticket as submitted by a widget: untrusted, unvalidated.
///
/// Every field is text so that a wrong value is reported against its field
/// (`type: unknown_type`) rather than as unreadable JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// The site the widget belongs to.
    pub site: String,
    /// The requester's name (optional).
    #[serde(default)]
    pub name: String,
    /// The requester's email address, for replies.
    #[serde(default)]
    pub email: String,
    /// The wire name of one of the [`offered_types`].
    #[serde(rename = "type", default)]
    pub kind: String,
    /// A one-line summary.
    #[serde(default)]
    pub subject: String,
    /// What happened, in the requester's words.
    #[serde(default)]
    pub message: String,
    /// Where the requester was.
    #[serde(default)]
    pub context: PageContext,
    /// The form's honeypot (`website`, hidden from people): anything in
    /// it means a bot filled the form.
    #[serde(default, rename = "website")]
    pub honeypot: String,
    /// Who the product says the requester is (`Buoy('identify')`):
    /// trusted only once its signature checks out.
    #[serde(default)]
    pub identity: Option<crate::identity::IdentityClaim>,
    /// `false` when the requester unticked "Email me replies"; absent
    /// means yes, where the site emails its requesters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_replies: Option<bool>,
    /// The site's custom fields, by id, each value as text (a checkbox is
    /// `"true"` or `"false"`): checked against the site's definitions by
    /// `fields::check_values`. The worker's only, like the reported context.
    #[cfg(feature = "server")]
    #[serde(default)]
    pub fields: crate::vocab::Pairs,
}

/// The requester of a ticket: what they typed, and apart from it what a
/// signed identity vouched for. A typed field is never shown or used as
/// verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredRequester")]
pub struct Requester {
    /// What the form said: anyone can type anything here.
    pub typed: Typed,
    /// What the site's identity secret signed, when a valid identity came
    /// with the ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<Signed>,
}

/// The requester's own words about who they are: unverified.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typed {
    /// Their name, possibly empty.
    pub name: String,
    /// Their email address.
    pub email: String,
}

/// What a verified identity signed about the requester.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    /// Their user id in the product.
    pub user_id: String,
    /// Their email, when the identity signed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Their name, when the identity signed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Their named account manager, when the identity signed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_manager: Option<String>,
}

/// Whether an address (or a name) was vouched for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// The site's identity secret signed it.
    Signed,
    /// The requester typed it: mail to it must not read as if it reached
    /// a verified user.
    Typed,
}

/// A requester record as stored, in either shape: the current one
/// (`typed`, `signed`) or the one before the split (`name`, `email`,
/// `verified`, `user_id`, `account_manager`), read on the fly.
#[derive(Deserialize)]
struct StoredRequester {
    #[serde(default)]
    typed: Option<Typed>,
    #[serde(default)]
    signed: Option<Signed>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    verified: bool,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    account_manager: Option<String>,
}

impl From<StoredRequester> for Requester {
    fn from(stored: StoredRequester) -> Self {
        if let Some(typed) = stored.typed {
            return Self { typed, signed: stored.signed };
        }
        // The old shape kept one name and one email, the signed one when
        // an identity carried it and the typed one otherwise: nothing
        // tells which, so both count as typed. The user id and account
        // manager only ever came from a verified identity.
        let signed = match (stored.verified, stored.user_id) {
            (true, Some(user_id)) => Some(Signed { user_id, email: None, name: None, account_manager: stored.account_manager }),
            _ => None,
        };
        Self { typed: Typed { name: stored.name.unwrap_or_default(), email: stored.email.unwrap_or_default() }, signed }
    }
}

impl Requester {
    /// Whether a valid identity vouched for the requester.
    pub const fn is_verified(&self) -> bool {
        self.signed.is_some()
    }

    /// The user id a verified identity gave.
    pub fn user_id(&self) -> Option<&str> {
        self.signed.as_ref().map(|s| s.user_id.as_str())
    }

    /// The account manager a verified identity named.
    pub fn account_manager(&self) -> Option<&str> {
        self.signed.as_ref().and_then(|s| s.account_manager.as_deref())
    }

    /// Where a reply by email goes, and whether that address was vouched
    /// for: the signed email when the identity carried one, otherwise the
    /// typed one. Every mail Buoy sends picks its address here, and must
    /// treat a [`Verification::Typed`] address as unverified (no account
    /// details, no "as the signed-in user" wording).
    pub fn reply_address(&self) -> Option<(&str, Verification)> {
        match self.signed.as_ref().and_then(|s| s.email.as_deref()) {
            Some(email) => Some((email, Verification::Signed)),
            None => Some(self.typed.email.as_str()).filter(|e| !e.is_empty()).map(|e| (e, Verification::Typed)),
        }
    }

    /// The name to address the requester by, and whether it was vouched
    /// for: the signed name, otherwise the typed one (none when empty).
    pub fn display_name(&self) -> Option<(&str, Verification)> {
        match self.signed.as_ref().and_then(|s| s.name.as_deref()) {
            Some(name) => Some((name, Verification::Signed)),
            None => Some(self.typed.name.as_str()).filter(|n| !n.is_empty()).map(|n| (n, Verification::Typed)),
        }
    }
}

/// A validated ticket, as stored and as agents see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Random, unguessable identity.
    pub id: TicketId,
    /// The short form people read out.
    pub reference: TicketRef,
    /// The site it came from.
    pub site: SiteId,
    /// Who asked.
    pub requester: Requester,
    /// The requester's segment (`free` unless verified).
    pub segment: Segment,
    /// What it is about.
    #[serde(rename = "type")]
    pub kind: TicketType,
    /// How soon it needs attention.
    pub priority: Priority,
    /// How it reached Buoy.
    #[serde(default)]
    pub channel: Channel,
    /// Where it is in its life.
    pub status: Status,
    /// Support tier working it, 1–3.
    pub tier: u8,
    /// The group routing chose, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Tags routing added.
    #[serde(default)]
    pub tags: Vec<String>,
    /// One-line summary.
    pub subject: String,
    /// The requester's words.
    pub message: String,
    /// Where they were, with what the page reported and what an identity
    /// signed kept apart.
    pub context: PageContext,
    /// The site's custom fields, by id, as checked (see `fields`).
    #[serde(default, skip_serializing_if = "crate::vocab::Pairs::is_empty")]
    pub fields: crate::vocab::Pairs,
    /// When it was received.
    pub created_at: Timestamp,
    /// The SLA targets it was stamped with.
    pub sla: SlaStamp,
    /// For a ticket created with an `Idempotency-Key`: a hash of the
    /// request body, so the key cannot be reused with another body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    /// For a ticket opened by mail to an intake address: that mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_mail: Option<FirstMail>,
    /// Whether the requester wants mail about it, where the site sends
    /// mail (they can untick "Email me replies"); left out when yes.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub email_replies: bool,
}

const fn yes() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
const fn is_true(value: &bool) -> bool {
    *value
}

/// The mail that opened a ticket (channel `email`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstMail {
    /// Its `Message-ID`, without angle brackets: every mail Buoy sends
    /// about the ticket answers it (`In-Reply-To`, `References`), so the
    /// requester's client threads the conversation under their own mail.
    pub message_id: String,
    /// The size in bytes of the original message as received, when it is
    /// kept for agents (see `email::inbound::keeps_original`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<u64>,
}

/// What a validated ticket needs besides the requester's input: decided by
/// the server (identity, routing, policy), never by the requester.
#[derive(Debug)]
pub struct Stamp<'a> {
    /// The ticket's id.
    pub id: TicketId,
    /// Its requester's segment.
    pub segment: Segment,
    /// The priority routing chose.
    pub priority: Priority,
    /// The group routing chose.
    pub group: Option<String>,
    /// The tags routing chose.
    pub tags: Vec<String>,
    /// When it was received.
    pub now: Timestamp,
    /// The SLA policy that applies.
    pub policy: &'a SlaPolicy,
    /// The name of the business calendar its business hours count in
    /// (`Config::calendar_name` of its site and group).
    pub calendar: &'a str,
    /// The types its site offers (`site_types::offered`); another is
    /// refused as `unknown_type`.
    pub offered: &'a [TicketType],
}

fn check_text(out: &mut Vec<FieldError>, field: Field, value: &str, max: usize, required: bool) {
    if let Some(code) = text_problem(value, max, required) {
        out.push(FieldError::new(field, code));
    }
}

/// What is wrong with a text value, if anything: empty when required,
/// longer than `max` characters, or holding control characters other
/// than line breaks and tabs. Every text field of a ticket (custom fields
/// and host context too) is checked by this one rule.
#[inline(always)] // one rule for every text field, inlined where it was written out before
pub(crate) fn text_problem(value: &str, max: usize, required: bool) -> Option<FieldCode> {
    if required && value.trim().is_empty() {
        Some(FieldCode::Required)
    } else if value.chars().count() > max {
        Some(FieldCode::TooLong)
    } else if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        Some(FieldCode::InvalidText)
    } else {
        None
    }
}

/// Checks the text of a message on a ticket (a reply or a note): the same
/// rules as the ticket's first message. Returns it trimmed.
///
/// # Errors
/// A [`FieldError`] on `body`.
pub fn validate_body(body: &str) -> Result<String, FieldError> {
    let mut errors = Vec::new();
    check_text(&mut errors, Field::Body, body, MAX_MESSAGE, true);
    match errors.pop() {
        Some(error) => Err(error),
        None => Ok(body.trim().to_owned()),
    }
}

/// The longest comment a satisfaction rating may carry, in characters.
pub const MAX_COMMENT: usize = 2000;

/// Checks the optional comment of a satisfaction rating. Returns it
/// trimmed; an empty comment is none.
///
/// # Errors
/// A [`FieldError`] on `comment`.
pub fn validate_comment(comment: &str) -> Result<Option<String>, FieldError> {
    let mut errors = Vec::new();
    check_text(&mut errors, Field::Comment, comment, MAX_COMMENT, false);
    match errors.pop() {
        Some(error) => Err(error),
        None => Ok(Some(comment.trim().to_owned()).filter(|c| !c.is_empty())),
    }
}

/// Whether `email` looks like a deliverable address: one `@`, a non-empty
/// local part of at most 64 characters, a dotted domain, no white space.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let labels_ok = domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
    !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && labels_ok
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
        && !domain.contains('@')
}

impl NewTicket {
    /// Checks every field and returns every problem, in form order. The
    /// widget runs this before sending, where a type must be chosen (its
    /// page lists only its site's types); the worker runs
    /// [`NewTicket::validate_for`] on receipt, with the site's own types.
    ///
    /// # Errors
    /// One [`FieldError`] per faulty field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        self.check(|kind| !kind.is_empty())
    }

    /// [`NewTicket::validate`] on a site that offers `offered`
    /// (`site_types::offered`): another type is `unknown_type`.
    ///
    /// # Errors
    /// One [`FieldError`] per faulty field.
    pub fn validate_for(&self, offered: &[TicketType]) -> Result<(), Vec<FieldError>> {
        self.check(|text| offered.iter().any(|kind| kind.as_str() == text))
    }

    /// [`NewTicket::validate`], a type taken when `takes` says so.
    fn check(&self, takes: impl Fn(&str) -> bool) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if SiteId::parse(&self.site).is_err() {
            errors.push(FieldError::new(Field::Site, FieldCode::UnknownSite));
        }
        check_text(&mut errors, Field::Name, &self.name, MAX_NAME, false);
        let email = self.email.trim();
        if email.is_empty() {
            errors.push(FieldError::new(Field::Email, FieldCode::Required));
        } else if email.chars().count() > MAX_EMAIL {
            errors.push(FieldError::new(Field::Email, FieldCode::TooLong));
        } else if !is_plausible_email(email) {
            errors.push(FieldError::new(Field::Email, FieldCode::InvalidEmail));
        }
        if !takes(&self.kind) {
            let code = if self.kind.is_empty() { FieldCode::Required } else { FieldCode::UnknownType };
            errors.push(FieldError::new(Field::Type, code));
        }
        check_text(&mut errors, Field::Subject, &self.subject, MAX_SUBJECT, true);
        check_text(&mut errors, Field::Message, &self.message, MAX_MESSAGE, true);
        let c = &self.context;
        check_text(&mut errors, Field::ContextUrl, c.url.as_deref().unwrap_or(""), MAX_URL, false);
        for value in [&c.title, &c.locale, &c.time_zone, &c.user_agent] {
            check_text(&mut errors, Field::Context, value.as_deref().unwrap_or(""), MAX_CONTEXT_FIELD, false);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Validates the input and, when it passes, makes the ticket: trimmed
    /// text, status `new`, tier 1, routing's priority, group and tags, and
    /// the SLA targets of its segment and priority.
    ///
    /// # Errors
    /// Every [`FieldError`] that [`NewTicket::validate`] finds, and
    /// `unknown_type` for a type the site does not offer (`stamp.offered`).
    pub fn into_ticket(self, stamp: Stamp<'_>) -> Result<Ticket, Vec<FieldError>> {
        self.validate_for(stamp.offered)?;
        let (Ok(site), Some(kind)) = (SiteId::parse(&self.site), stamp.offered.iter().find(|kind| kind.as_str() == self.kind).cloned())
        else {
            // validate_for() has just checked both.
            return Err(vec![FieldError::new(Field::Site, FieldCode::UnknownSite)]);
        };
        let priority = stamp.priority;
        Ok(Ticket {
            id: stamp.id,
            reference: stamp.id.reference(),
            site,
            requester: Requester { typed: Typed { name: self.name.trim().to_owned(), email: self.email.trim().to_owned() }, signed: None },
            segment: stamp.segment,
            kind,
            priority,
            channel: Channel::Widget,
            status: Status::New,
            tier: 1,
            group: stamp.group,
            tags: stamp.tags,
            subject: self.subject.trim().to_owned(),
            message: self.message.trim().to_owned(),
            context: self.context,
            // The site's checked values, which the worker sets (`fields::check_values`).
            fields: crate::vocab::Pairs::new(),
            created_at: stamp.now,
            request_hash: None,
            first_mail: None,
            email_replies: self.email_replies.unwrap_or(true),
            sla: stamp.policy.stamp(stamp.segment, priority, stamp.now, stamp.calendar),
        })
    }
}

/// A free, normal-priority ticket of type `kind` on site `demo` from
/// `ada@example.com`, created 2026-11-30 10:00 UTC with the id
/// `[byte; 16]`: the one ticket other modules' tests start from.
#[cfg(test)]
pub(crate) fn test_ticket(kind: &str, subject: &str, byte: u8) -> Ticket {
    let input = NewTicket {
        site: "demo".into(),
        email: "ada@example.com".into(),
        kind: kind.into(),
        subject: subject.into(),
        message: "m".into(),
        ..NewTicket::default()
    };
    let policy = SlaPolicy::default();
    let now = Timestamp::parse("2026-11-30T10:00:00Z").unwrap_or_else(|e| unreachable!("{e:?}"));
    let stamp = Stamp {
        id: TicketId::from_bytes([byte; 16]),
        segment: Segment::Free,
        priority: Priority::Normal,
        group: None,
        tags: vec![],
        now,
        policy: &policy,
        calendar: crate::sla::DEFAULT_CALENDAR,
        offered: TicketType::BUILT_IN,
    };
    input.into_ticket(stamp).unwrap_or_else(|e| unreachable!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::Metric;
    use crate::time::Duration;

    // proptest does not build for wasm32; these run on the host.
    #[cfg(not(target_arch = "wasm32"))]
    mod fuzz {
        use super::*;

        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, failure_persistence: None, ..Default::default() })]

            /// Any text in any field: validation names only fields, never
            /// panics, and a ticket exists only for input that validates.
            #[test]
            fn any_input_is_validated_or_refused_by_field(
                subject in "\\PC{0,250}", message in "(\\PC|\\n){0,300}", email in "\\PC{0,40}", kind in "[a-z_]{0,20}", url in "\\PC{0,60}",
            ) {
                let input = NewTicket { subject, message, email, kind, context: PageContext { url: Some(url), ..PageContext::default() }, ..valid() };
                let policy = crate::sla::SlaPolicy::default();
                let stamp = Stamp {
                    id: crate::ids::TicketId::from_bytes([3; 16]),
                    segment: Segment::Free,
                    priority: Priority::Normal,
                    group: None,
                    tags: vec![],
                    now: crate::time::Timestamp::from_millis(0),
                    policy: &policy,
                    calendar: crate::sla::DEFAULT_CALENDAR,
                    offered: TicketType::BUILT_IN,
                };
                match (input.validate_for(TicketType::BUILT_IN), input.into_ticket(stamp)) {
                    (Ok(()), Ok(ticket)) => proptest::prop_assert!(!ticket.subject.trim().is_empty()),
                    (Err(errors), Err(again)) => {
                        proptest::prop_assert!(!errors.is_empty());
                        proptest::prop_assert_eq!(errors, again);
                    }
                    (a, b) => proptest::prop_assert!(false, "validate and into_ticket disagree: {a:?} / {:?}", b.map(|t| t.id)),
                }
            }
        }
    }

    fn valid() -> NewTicket {
        NewTicket {
            site: "demo".into(),
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            kind: "billing".into(),
            subject: "Charged twice".into(),
            message: "My card was charged twice for November.".into(),
            context: PageContext::default(),
            honeypot: String::new(),
            identity: None,
            email_replies: None,
            ..NewTicket::default()
        }
    }

    fn errors_of(edit: impl FnOnce(&mut NewTicket)) -> Vec<(&'static str, &'static str)> {
        let mut t = valid();
        edit(&mut t);
        t.validate_for(TicketType::BUILT_IN).err().unwrap_or_default().into_iter().map(|e| (e.field.as_str(), e.code.code())).collect()
    }

    /// A case name, an edit of a valid ticket, and the errors expected.
    type Case = (&'static str, Box<dyn FnOnce(&mut NewTicket)>, Vec<(&'static str, &'static str)>);

    #[test]
    fn validation_names_each_faulty_field() {
        let cases: Vec<Case> = vec![
            ("valid", Box::new(|_| {}), vec![]),
            ("no name is fine", Box::new(|t| t.name.clear()), vec![]),
            ("blank subject", Box::new(|t| t.subject = "   ".into()), vec![("subject", "required")]),
            ("subject at limit", Box::new(|t| t.subject = "é".repeat(200)), vec![]),
            ("subject over limit", Box::new(|t| t.subject = "é".repeat(201)), vec![("subject", "too_long")]),
            ("message at limit", Box::new(|t| t.message = "x".repeat(10_000)), vec![]),
            ("message over limit", Box::new(|t| t.message = "x".repeat(10_001)), vec![("message", "too_long")]),
            ("multi-line message", Box::new(|t| t.message = "line one\r\nline two\tend".into()), vec![]),
            ("control character", Box::new(|t| t.subject = "bell\u{7}".into()), vec![("subject", "invalid_text")]),
            ("missing email", Box::new(|t| t.email.clear()), vec![("email", "required")]),
            ("bad email", Box::new(|t| t.email = "ada.example.com".into()), vec![("email", "invalid_email")]),
            ("email without dot", Box::new(|t| t.email = "ada@localhost".into()), vec![("email", "invalid_email")]),
            ("email with space", Box::new(|t| t.email = "ada lovelace@example.com".into()), vec![("email", "invalid_email")]),
            ("malformed type", Box::new(|t| t.kind = "Refund!".into()), vec![("type", "unknown_type")]),
            ("no type", Box::new(|t| t.kind.clear()), vec![("type", "required")]),
            ("bad site", Box::new(|t| t.site = "../x".into()), vec![("site", "unknown_site")]),
            ("long url", Box::new(|t| t.context.url = Some("h".repeat(2049))), vec![("context.url", "too_long")]),
            (
                "everything wrong",
                Box::new(|t| {
                    t.email = "x".into();
                    t.subject.clear();
                    t.message.clear();
                }),
                vec![("email", "invalid_email"), ("subject", "required"), ("message", "required")],
            ),
        ];
        for (name, edit, expected) in cases {
            assert_eq!(errors_of(edit), expected, "{name}");
        }
    }

    #[test]
    fn a_ticket_type_is_a_lowercase_slug_of_1_to_32_bytes() {
        let cases = [
            ("billing", true),
            ("password_reset", true),
            ("how_to", true),
            ("feature_request", true),
            ("data_export", true),
            ("x", true),
            ("tier2", true),
            ("a_", true),
            (&*"a".repeat(32), true),
            (&*"a".repeat(33), false),
            ("", false),
            ("Billing", false),
            ("BILLING", false),
            ("2fa", false),
            ("_billing", false),
            ("data-export", false),
            ("data export", false),
            ("billing ", false),
            ("refund!", false),
            ("caf\u{e9}", false),
            ("\u{131}nvoice", false),
        ];
        for (text, well_formed) in cases {
            assert_eq!(TicketType::parse(text).map(|t| t.as_str().to_owned()), well_formed.then(|| text.to_owned()), "{text:?}");
        }
    }

    #[test]
    fn the_built_in_types_are_the_eight_every_site_offers_in_form_order() {
        let names: Vec<&str> = TicketType::BUILT_IN.iter().map(TicketType::as_str).collect();
        assert_eq!(names, ["password_reset", "billing", "outage", "bug", "how_to", "feature_request", "account", "other"]);
        assert_eq!(offered_types(), TicketType::BUILT_IN);
        assert_eq!(offered_names(), names.join(", "));
        for (kind, built_in) in TicketType::BUILT_IN.iter().zip(BuiltInType::ALL) {
            assert_eq!(kind.built_in(), Some(*built_in));
            assert_eq!(&TicketType::from(*built_in), kind);
            assert_eq!(TicketType::offered(kind.as_str()).as_ref(), Some(kind));
            let json = serde_json::to_string(kind).unwrap_or_default();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<TicketType>(&json).ok().as_ref(), Some(kind));
        }
        // A parsed built-in name is the built-in type, equal to its constant
        // and matched by it.
        let parsed = TicketType::parse("outage");
        assert!(matches!(parsed, Some(TicketType::OUTAGE)));
        assert_eq!(parsed.and_then(|t| t.built_in()), Some(BuiltInType::Outage));
    }

    #[test]
    fn a_well_formed_custom_type_is_kept_in_storage_but_refused_as_unknown_type() {
        let stored = test_ticket("bug", "s", 5);
        let mut json = serde_json::to_value(&stored).unwrap_or_default();
        json["type"] = "data_export".into();
        let read: Ticket = serde_json::from_value(json.clone()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(read.kind.as_str(), "data_export");
        assert_eq!(read.kind.built_in(), None);
        assert_eq!(serde_json::to_value(&read).ok(), Some(json), "written back exactly as read");
        assert_eq!(TicketType::offered("data_export"), None, "not a built-in type");
        assert_eq!(errors_of(|t| t.kind = "data_export".into()), [("type", "unknown_type")], "on a site of built-in types");
        // The panel only asks for a type (its page lists its site's); the
        // ticket is made only where the site offers it.
        assert_eq!(NewTicket { kind: "data_export".into(), ..valid() }.validate(), Ok(()));
        let chosen = NewTicket { kind: String::new(), ..valid() }.validate().err().unwrap_or_default();
        assert_eq!(chosen.iter().map(|e| (e.field.as_str(), e.code.code())).collect::<Vec<_>>(), [("type", "required")]);
        let policy = SlaPolicy::default();
        let custom = [TicketType::BILLING, TicketType::parse("data_export").unwrap_or(TicketType::OTHER)];
        let made = |kind: &str, offered: &[TicketType]| {
            let stamp = Stamp { offered, ..free_stamp(&policy) };
            let input = NewTicket { kind: kind.into(), ..valid() };
            input
                .into_ticket(stamp)
                .map(|t| t.kind.as_str().to_owned())
                .map_err(|e| e.iter().map(|e| (e.field.as_str(), e.code.code())).collect::<Vec<_>>())
        };
        assert_eq!(made("data_export", &custom), Ok("data_export".to_owned()));
        assert_eq!(made("data_export", TicketType::BUILT_IN), Err(vec![("type", "unknown_type")]), "a site without it");
        assert_eq!(made("bug", &custom), Err(vec![("type", "unknown_type")]), "a built-in type the site does not offer");
        assert_eq!(made("billing", &custom), Ok("billing".to_owned()));
    }

    #[test]
    fn a_malformed_type_is_refused_everywhere() {
        for text in ["Data_Export", "data-export", "1st", &"a".repeat(33)] {
            assert_eq!(TicketType::parse(text), None, "{text:?}");
            assert_eq!(errors_of(|t| t.kind = text.into()), [("type", "unknown_type")], "{text:?}");
            let json = serde_json::to_string(text).unwrap_or_default();
            let error = serde_json::from_str::<TicketType>(&json).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains("expected a ticket type: 1-32 lowercase letters"), "{text:?}: {error}");
        }
        assert!(serde_json::from_str::<TicketType>("7").is_err(), "a type is a string");
    }

    #[test]
    fn plausible_emails() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org", "ünï@exämple.de"] {
            assert!(is_plausible_email(ok), "{ok}");
        }
        for bad in ["", "@b.co", "a@", "a@b", "a@@b.co", "a@b..co", "a@-b.co", "<a@b.co>", "a,b@c.de"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn into_ticket_trims_and_stamps_what_the_server_decides() {
        let mut input = valid();
        input.subject = "  Charged twice  ".into();
        let now = Timestamp::from_millis(1_796_066_258_000);
        let policy = SlaPolicy::default();
        let id = TicketId::from_bytes([7; 16]);
        let stamp = Stamp {
            id,
            segment: Segment::Business,
            priority: Priority::High,
            group: Some("finance".into()),
            tags: vec![],
            now,
            policy: &policy,
            calendar: crate::sla::DEFAULT_CALENDAR,
            offered: TicketType::BUILT_IN,
        };
        let ticket = input.into_ticket(stamp).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(ticket.subject, "Charged twice");
        assert_eq!(ticket.status, Status::New);
        assert_eq!(ticket.priority, Priority::High);
        assert_eq!(ticket.group.as_deref(), Some("finance"));
        assert_eq!(ticket.tier, 1);
        assert_eq!(ticket.reference, id.reference());
        assert_eq!(ticket.sla.started, now);
        // Business, high: three quarters of 4 h to first response.
        assert_eq!(ticket.sla.targets[0].metric, Metric::FirstResponse);
        assert_eq!(ticket.sla.targets[0].span, Duration::from_hours(3));
    }

    #[test]
    fn unknown_json_fields_are_refused() {
        let text = r#"{"site":"demo","email":"a@b.co","type":"bug","subject":"s","message":"m","segment":"enterprise"}"#;
        let error = serde_json::from_str::<NewTicket>(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("unknown field `segment`"), "{error}");
    }

    #[test]
    fn reply_address_prefers_the_signed_email_and_labels_a_typed_one() {
        let typed = Typed { name: "Typed".into(), email: "typed@example.com".into() };
        let signed = |email: Option<&str>, name: Option<&str>| Signed {
            user_id: "u_1".into(),
            email: email.map(Into::into),
            name: name.map(Into::into),
            account_manager: None,
        };
        let cases = [
            ("anonymous", None, Some(("typed@example.com", Verification::Typed)), Some(("Typed", Verification::Typed))),
            (
                "signed id only",
                Some(signed(None, None)),
                Some(("typed@example.com", Verification::Typed)),
                Some(("Typed", Verification::Typed)),
            ),
            (
                "signed email and name",
                Some(signed(Some("ada@lumen.example"), Some("Ada"))),
                Some(("ada@lumen.example", Verification::Signed)),
                Some(("Ada", Verification::Signed)),
            ),
        ];
        for (name, signed, address, display) in cases {
            let r = Requester { typed: typed.clone(), signed };
            assert_eq!(r.reply_address(), address, "{name}");
            assert_eq!(r.display_name(), display, "{name}");
        }
        let nobody = Requester { typed: Typed::default(), signed: None };
        assert_eq!((nobody.reply_address(), nobody.display_name()), (None, None));
    }

    #[test]
    fn a_requester_stored_before_the_split_reads_with_its_email_and_name_as_typed() {
        // Exactly what the worker stored before the split, verified and not.
        let old_verified = r#"{"name":"Grace","email":"grace@lumen.example","verified":true,"user_id":"u_99","account_manager":"Dana"}"#;
        let old_anonymous = r#"{"name":"Ada Lovelace","email":"ada@example.com","verified":false}"#;
        let old_verified_without_id = r#"{"name":"X","email":"x@example.com","verified":true}"#;
        let read = |text: &str| serde_json::from_str::<Requester>(text).map_err(|e| e.to_string());
        let typed = |name: &str, email: &str| Typed { name: name.into(), email: email.into() };
        let cases = [
            (
                old_verified,
                Requester {
                    typed: typed("Grace", "grace@lumen.example"),
                    signed: Some(Signed { user_id: "u_99".into(), email: None, name: None, account_manager: Some("Dana".into()) }),
                },
            ),
            (old_anonymous, Requester { typed: typed("Ada Lovelace", "ada@example.com"), signed: None }),
            (old_verified_without_id, Requester { typed: typed("X", "x@example.com"), signed: None }),
        ];
        for (text, expected) in cases {
            assert_eq!(read(text), Ok(expected.clone()), "{text}");
            // Written back in the current shape, it reads the same.
            let again = serde_json::to_string(&expected).map_err(|e| e.to_string()).and_then(|t| read(&t));
            assert_eq!(again, Ok(expected), "{text}");
        }
        let old = read(old_verified).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(old.reply_address(), Some(("grace@lumen.example", Verification::Typed)), "an old email is never taken as signed");
        assert_eq!((old.user_id(), old.account_manager(), old.is_verified()), (Some("u_99"), Some("Dana"), true));
        // The current shape.
        let new = r#"{"typed":{"name":"Eve","email":"eve@example.com"},"signed":{"user_id":"u_1","email":"ada@lumen.example"}}"#;
        assert_eq!(
            read(new).map(|r| r.reply_address().map(|(a, v)| (a.to_owned(), v))),
            Ok(Some(("ada@lumen.example".into(), Verification::Signed)))
        );
    }

    #[test]
    fn a_ticket_stored_before_channels_reads_as_from_the_widget() {
        let ticket = test_ticket("bug", "s", 3);
        assert_eq!(ticket.channel, Channel::Widget, "the form's tickets are the widget's");
        let mut old = serde_json::to_value(&ticket).unwrap_or_else(|e| unreachable!("{e}"));
        if let Some(fields) = old.as_object_mut() {
            fields.remove("channel");
        }
        let read = serde_json::from_value::<Ticket>(old).map_err(|e| e.to_string());
        assert_eq!(read.map(|t| t.channel), Ok(Channel::Widget));
        let mut by_mail = ticket;
        by_mail.channel = Channel::Email;
        let text = serde_json::to_string(&by_mail).unwrap_or_default();
        assert!(text.contains(r#""channel":"email""#), "{text}");
        assert_eq!(serde_json::from_str::<Ticket>(&text).map(|t| t.channel).ok(), Some(Channel::Email));
    }

    /// A free, normal-priority ticket's stamp at the epoch, on a site of built-in types.
    fn free_stamp(policy: &SlaPolicy) -> Stamp<'_> {
        Stamp {
            id: TicketId::from_bytes([5; 16]),
            segment: Segment::Free,
            priority: Priority::Normal,
            group: None,
            tags: Vec::new(),
            now: Timestamp::from_millis(0),
            policy,
            calendar: crate::sla::DEFAULT_CALENDAR,
            offered: TicketType::BUILT_IN,
        }
    }

    #[test]
    fn replies_by_email_stay_on_unless_the_requester_unticks_them() {
        let policy = SlaPolicy::default();
        let stamp = || free_stamp(&policy);
        let form = |body: &str| serde_json::from_str::<NewTicket>(body).map_err(|e| e.to_string());
        let base = r#""site":"demo","email":"ada@example.com","type":"bug","subject":"s","message":"m""#;
        let cases = [
            (format!("{{{base}}}"), true),
            (format!("{{{base},\"email_replies\":true}}"), true),
            (format!("{{{base},\"email_replies\":false}}"), false),
        ];
        for (body, expected) in cases {
            let ticket = form(&body).and_then(|t| t.into_ticket(stamp()).map_err(|e| format!("{e:?}")));
            let wants = ticket.as_ref().map(|t| t.email_replies);
            assert_eq!(wants, Ok(expected), "{body}");
            // Stored and read back (a record from before the choice has none: yes).
            let text = ticket.as_ref().map(|t| serde_json::to_string(t).unwrap_or_default()).unwrap_or_default();
            assert_eq!(text.contains("email_replies"), !expected, "stored only when off: {text}");
            assert_eq!(serde_json::from_str::<Ticket>(&text).map(|t| t.email_replies).ok(), Some(expected));
        }
        assert!(form(&format!("{{{base},\"email_replies\":\"no\"}}")).is_err(), "a yes or no, nothing else");
    }

    #[test]
    fn wire_names_round_trip() {
        for t in TicketType::BUILT_IN {
            assert_eq!(TicketType::parse(t.as_str()).as_ref(), Some(t));
        }
        assert_eq!(Segment::ALL.len(), 4);
        assert_eq!(Status::parse("on_hold"), Some(Status::OnHold));
        for name in ["site", "name", "email", "type", "subject", "message", "context.url", "context"] {
            assert_eq!(Field::parse(name).map(Field::as_str), Some(name));
        }
        assert_eq!(Field::parse("segment"), None);
        assert_eq!(FieldCode::parse("too_long"), Some(FieldCode::TooLong));
        assert!(Status::Pending.is_open() && !Status::Solved.is_open());
    }
}
