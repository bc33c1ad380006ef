//! Privacy requests: what Buoy holds about one requester, the document an
//! admin exports, and how an erase takes it all away.
//!
//! A requester is named by an email address (typed or signed, as the
//! search finds it: [`normal_email`]) or by a verified user id, on one
//! site. Their tickets are found through the keyed indexes written at
//! creation (the email index and the verified user's list), never by
//! reading every record: KV lists lag, and a whole-store list would not
//! scale. An index entry is a hint, so each record found is checked
//! again with [`Subject::owns`].
//!
//! An erase is a plan per ticket ([`ErasePlan::of`]), carried out by the
//! worker in an order that makes a second run safe: everything derived
//! from the ticket first (events, files, uploads, mail, queue and word
//! entries, its room), then the record, then the index entries that find
//! it, so a run that stops half-way is found and finished by the next.
//! Metrics keep the ticket's anonymous counts: its facts lose the
//! feature-request subject and custom field values ([`anonymous`]).
//!
//! The audit trail names the requester only by [`Subject::audit_name`],
//! a keyed hash: it never holds the address or id, yet an admin asked
//! again about the same person can tell an erase was done.

use crate::attach::FileInfo;
use crate::events::{EventKind, TicketEvent};
use crate::ids::{SiteId, TicketId, TicketRef};
use crate::keys;
use crate::metrics::Facts;
use crate::search::tickets::normal_email;
use crate::ticket::Ticket;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The longest email or user id a request may name, in bytes (an
/// identity's own limit: `identity::MAX_FIELD`).
pub const MAX_NAME: usize = crate::identity::MAX_FIELD;

/// The most tickets one erase request takes away; more are left for the
/// next request (the answer says so), so one request stays within a
/// Free-plan invocation's limits: 1,000 KV operations, and 50
/// subrequests, of which each ticket spends one on its room and one per
/// file on the bucket.
pub const TICKETS_PER_ERASE: usize = 10;

/// How long after a write every KV reader sees it, with a wide margin
/// (KV's own is up to a minute), in ms: an index entry or a due check
/// older than this whose ticket record is missing names an erased ticket.
pub const SETTLE_MS: i64 = 10 * 60_000;

/// Whether something written at `written_ms` is old enough at `now_ms`
/// that a record missing beside it is gone, not late ([`SETTLE_MS`]).
pub const fn settled(written_ms: i64, now_ms: i64) -> bool {
    now_ms - written_ms > SETTLE_MS
}

/// The export document's format, its first field.
pub const EXPORT_FORMAT: &str = "buoy-privacy-export/1";

/// Who a request is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// An email address, trimmed and lower-cased ([`normal_email`]).
    Email(String),
    /// A verified user id, as the site's identity signs it.
    UserId(String),
}

/// What a request body says (`POST /v1/agent/privacy/export` and
/// `…/erase`), before [`PrivacyBody::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyBody {
    /// The site; the agent's site when left out.
    #[serde(default)]
    pub site: Option<String>,
    /// The requester's email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The requester's verified user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// An erase's confirmation: `true`, or the email or user id repeated.
    #[serde(default)]
    pub confirm: Option<Confirm>,
}

/// An erase's confirmation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Confirm {
    /// `true` (`false` confirms nothing).
    Yes(bool),
    /// The email or user id, repeated.
    Repeated(String),
}

/// A checked request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivacyRequest {
    /// The site it is about.
    pub site: SiteId,
    /// The requester.
    pub subject: Subject,
}

/// What is wrong with a request field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestCode {
    /// Missing: neither an email nor a user id, or no confirmation.
    Required,
    /// Not an email address.
    InvalidEmail,
    /// Longer than [`MAX_NAME`].
    TooLong,
    /// Both an email and a user id: a request names one requester one way.
    Ambiguous,
    /// Not one of the agent's sites.
    UnknownSite,
    /// The confirmation is neither `true` nor the email or user id.
    NotConfirmed,
}

impl RequestCode {
    /// The stable code the API answers with.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::InvalidEmail => "invalid_email",
            Self::TooLong => "too_long",
            Self::Ambiguous => "ambiguous",
            Self::UnknownSite => "unknown_site",
            Self::NotConfirmed => "not_confirmed",
        }
    }
}

/// One field error of a request: `site`, `email`, `user_id` or `confirm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestError {
    /// The field's name.
    pub field: &'static str,
    /// What is wrong with it.
    pub code: RequestCode,
}

const fn error(field: &'static str, code: RequestCode) -> RequestError {
    RequestError { field, code }
}

impl PrivacyBody {
    /// Checks a request: one site of `sites` (the first when none is
    /// named), exactly one of an email address and a user id, each at
    /// most [`MAX_NAME`] bytes, and for an erase (`erase`) a confirmation
    /// that is `true` or repeats it.
    ///
    /// # Errors
    /// Every field that is wrong, named.
    pub fn check(self, erase: bool, sites: &[SiteId]) -> Result<PrivacyRequest, Vec<RequestError>> {
        let mut errors = Vec::new();
        let site = match self.site.as_deref().map(str::trim) {
            None | Some("") => sites.first().cloned(),
            Some(name) => sites.iter().find(|s| s.as_str() == name).cloned(),
        };
        if site.is_none() {
            errors.push(error("site", RequestCode::UnknownSite));
        }
        let given = |text: &Option<String>| text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        let subject = match (given(&self.email), given(&self.user_id)) {
            (Some(_), Some(_)) => Err(error("user_id", RequestCode::Ambiguous)),
            (None, None) => Err(error("email", RequestCode::Required)),
            (Some(email), None) if email.len() > MAX_NAME => Err(error("email", RequestCode::TooLong)),
            (Some(email), None) => normal_email(&email).map(Subject::Email).ok_or(error("email", RequestCode::InvalidEmail)),
            (None, Some(id)) if id.len() > MAX_NAME => Err(error("user_id", RequestCode::TooLong)),
            (None, Some(id)) => Ok(Subject::UserId(id)),
        };
        let subject = subject.map_err(|e| errors.push(e)).ok();
        if erase {
            match (&self.confirm, &subject) {
                (None | Some(Confirm::Yes(false)), _) => errors.push(error("confirm", RequestCode::Required)),
                (Some(Confirm::Repeated(text)), Some(subject)) if !subject.is_named(text) => {
                    errors.push(error("confirm", RequestCode::NotConfirmed));
                }
                _ => {}
            }
        }
        match (site, subject) {
            (Some(site), Some(subject)) if errors.is_empty() => Ok(PrivacyRequest { site, subject }),
            _ => Err(errors),
        }
    }
}

/// Where a requester's tickets are listed (the key's hashed part; `store`
/// knows the rest of the key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Index {
    /// The email index, under `keys::email_key`.
    Email(String),
    /// A verified user's list, under `keys::user_key`.
    User(String),
}

impl Subject {
    /// Whether `text` names this requester (a confirmation repeating it:
    /// an email in any case, a user id exactly, spaces around ignored).
    pub fn is_named(&self, text: &str) -> bool {
        match self {
            Self::Email(email) => normal_email(text).as_deref() == Some(email.as_str()),
            Self::UserId(id) => text.trim() == id,
        }
    }

    /// Whether `ticket` is this requester's: its typed or signed address
    /// is the email, or its verified identity the user id. An index entry
    /// is only a hint; this decides.
    pub fn owns(&self, ticket: &Ticket) -> bool {
        let signed = ticket.requester.signed.as_ref();
        match self {
            Self::Email(_) => {
                let typed = Some(ticket.requester.typed.email.as_str());
                [typed, signed.and_then(|s| s.email.as_deref())].into_iter().flatten().any(|e| self.is_named(e))
            }
            Self::UserId(id) => signed.is_some_and(|s| &s.user_id == id),
        }
    }

    /// The index that lists this requester's tickets on `site`.
    pub fn index(&self, secret: &[u8], site: &SiteId) -> Index {
        match self {
            Self::Email(email) => Index::Email(keys::email_key(secret, site, email)),
            Self::UserId(id) => Index::User(keys::user_key(secret, site, id)),
        }
    }

    /// How the audit trail names this requester: `email:` or `user:` and
    /// 32 hex digits of a keyed hash of the site and the email or id.
    /// Never the address or id itself, and not the search index's key
    /// (another label), so the trail cannot be joined with an index; the
    /// same request made again gives the same name.
    pub fn audit_name(&self, secret: &[u8], site: &SiteId) -> String {
        let (kind, text) = match self {
            Self::Email(email) => ("email", email.as_str()),
            Self::UserId(id) => ("user", id.as_str()),
        };
        let hash = keys::keyed_hash(secret, "buoy/privacy-subject/v1", &[site.as_str().as_bytes(), kind.as_bytes(), text.as_bytes()]);
        format!("{kind}:{}", keys::hex(&hash[..16]))
    }
}

/// A file attached to one of the ticket's messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeldFile {
    /// The upload its bytes came from (it names their bucket key).
    pub upload: String,
    /// The file: name, type, size, SHA-256.
    pub file: FileInfo,
    /// The message event it belongs to.
    pub message: String,
    /// Who attached it: an agent's name, or `requester`.
    pub by: String,
}

/// Everything Buoy keeps about one ticket that an erase takes away, in
/// the terms of what it is (the worker's `store` turns each into keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasePlan {
    /// The ticket.
    pub ticket: TicketId,
    /// Its site.
    pub site: SiteId,
    /// When it was received (its index entries and facts are named by it).
    pub created: Timestamp,
    /// Its files: bucket objects and upload records.
    pub files: Vec<HeldFile>,
    /// Its email index entries' keys (typed and signed address).
    pub email_keys: Vec<String>,
    /// Its verified user's list entry's key, if it was filed verified.
    pub user_key: Option<String>,
    /// The addresses mail went to, as stored: their sending and
    /// suppression entries go too.
    pub addresses: Vec<String>,
}

/// The files of a ticket's events, in order.
pub fn files_of(events: &[TicketEvent]) -> Vec<HeldFile> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Attachment { file, message, by, upload, .. } => {
                Some(HeldFile { upload: upload.clone(), file: file.clone(), message: message.clone(), by: by.clone() })
            }
            _ => None,
        })
        .collect()
}

/// The email index names a ticket is listed under (`ue/`): its typed and
/// its signed address, each as searched (`normal_email`), each once. The
/// worker writes the index at creation and an erase takes it by this one
/// answer.
pub fn email_keys(secret: &[u8], ticket: &Ticket) -> Vec<String> {
    let typed = Some(ticket.requester.typed.email.as_str());
    let signed = ticket.requester.signed.as_ref().and_then(|s| s.email.as_deref());
    let mut out: Vec<String> = Vec::new();
    for email in [typed, signed].into_iter().flatten().filter_map(normal_email) {
        let key = keys::email_key(secret, &ticket.site, &email);
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

impl ErasePlan {
    /// The plan for `ticket` with `events`, its keyed index names made
    /// with `secret` (as the worker wrote them at creation).
    pub fn of(secret: &[u8], ticket: &Ticket, events: &[TicketEvent]) -> Self {
        let signed = ticket.requester.signed.as_ref();
        let mut addresses: Vec<String> = Vec::new();
        for address in [Some(ticket.requester.typed.email.as_str()), signed.and_then(|s| s.email.as_deref())].into_iter().flatten() {
            if !address.trim().is_empty() && !addresses.iter().any(|a| a == address) {
                addresses.push(address.to_owned());
            }
        }
        Self {
            ticket: ticket.id,
            site: ticket.site.clone(),
            created: ticket.created_at,
            files: files_of(events),
            email_keys: email_keys(secret, ticket),
            user_key: signed.map(|s| keys::user_key(secret, &ticket.site, &s.user_id)),
            addresses,
        }
    }
}

/// A ticket's facts as metrics keep them once its requester is erased:
/// the counts and times stay; the feature-request subject and the custom
/// field values, which could name or describe the requester, go.
pub fn anonymous(facts: Facts) -> Facts {
    Facts { subject: None, fields: Vec::new(), ..facts }
}

/// One ticket in an export.
#[derive(Debug, Serialize)]
pub struct ExportedTicket<'a> {
    /// Its reference, as the requester knows it.
    pub reference: TicketRef,
    /// The record as stored: requester, subject, first message, page
    /// context, custom fields, status and SLA stamp as received.
    pub record: &'a Ticket,
    /// Every event: messages (public and internal notes), changes,
    /// files, ratings, breaches.
    pub events: &'a [TicketEvent],
    /// Its files' metadata (the bytes are downloaded one by one).
    pub files: Vec<HeldFile>,
    /// The names of the mails it was written by, kept as received.
    pub mail_originals: Vec<String>,
}

/// The export document: everything held about a requester on a site.
#[derive(Debug, Serialize)]
pub struct Export<'a> {
    /// [`EXPORT_FORMAT`].
    pub format: &'static str,
    /// The site.
    pub site: &'a SiteId,
    /// The email or user id asked about.
    pub requester: RequesterName<'a>,
    /// When it was made.
    pub exported_at: Timestamp,
    /// Their tickets, newest first.
    pub tickets: Vec<ExportedTicket<'a>>,
}

/// How an export names its requester.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequesterName<'a> {
    /// By email.
    Email(&'a str),
    /// By verified user id.
    UserId(&'a str),
}

impl Subject {
    /// How an export names this requester.
    pub fn name(&self) -> RequesterName<'_> {
        match self {
            Self::Email(email) => RequesterName::Email(email),
            Self::UserId(id) => RequesterName::UserId(id),
        }
    }
}

/// What an erase request did, counted (it is also what an audit event
/// reports): a second run after a complete one counts zeros.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Tickets taken away.
    pub tickets: u32,
    /// Their events.
    pub events: u32,
    /// Their files (bucket objects).
    pub files: u32,
    /// Index entries (email, user, queue, words, due) and other keys.
    pub entries: u32,
    /// Mails queued, kept or counted for the requester.
    pub mail: u32,
    /// Whether tickets are left for another request
    /// ([`TICKETS_PER_ERASE`] a request).
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Facts;
    use crate::ticket::{test_ticket, Signed};

    const SECRET: &[u8] = b"test secret";

    fn demo() -> SiteId {
        SiteId::parse("demo").unwrap_or_else(|e| unreachable!("{e:?}"))
    }

    fn sites() -> Vec<SiteId> {
        ["demo", "acme"].iter().filter_map(|s| SiteId::parse(s).ok()).collect()
    }

    fn body(json: &str) -> PrivacyBody {
        serde_json::from_str(json).unwrap_or_else(|e| unreachable!("{json}: {e}"))
    }

    fn check(json: &str, erase: bool) -> Result<PrivacyRequest, Vec<(&'static str, &'static str)>> {
        body(json).check(erase, &sites()).map_err(|errors| errors.iter().map(|e| (e.field, e.code.code())).collect())
    }

    fn verified(byte: u8, user: &str, email: Option<&str>) -> Ticket {
        let mut ticket = test_ticket("bug", "s", byte);
        ticket.requester.typed.email = "typed@example.com".into();
        ticket.requester.signed =
            Some(Signed { user_id: user.into(), email: email.map(Into::into), name: Some("Ada".into()), account_manager: None });
        ticket
    }

    #[test]
    fn a_request_names_one_requester_on_one_of_the_agents_sites() {
        let email = |e: &str| Subject::Email(e.into());
        type Expected = Result<(&'static str, Subject), Vec<(&'static str, &'static str)>>;
        let cases: [(&str, bool, Expected); 12] = [
            (r#"{"email":" Ada@Example.COM "}"#, false, Ok(("demo", email("ada@example.com")))),
            (r#"{"user_id":"u_42","site":"acme"}"#, false, Ok(("acme", Subject::UserId("u_42".into())))),
            (r#"{}"#, false, Err(vec![("email", "required")])),
            (r#"{"email":"  "}"#, false, Err(vec![("email", "required")])),
            (r#"{"email":"ada"}"#, false, Err(vec![("email", "invalid_email")])),
            (r#"{"email":"a@b.example","user_id":"u"}"#, false, Err(vec![("user_id", "ambiguous")])),
            (r#"{"email":"a@b.example","site":"other"}"#, false, Err(vec![("site", "unknown_site")])),
            (r#"{"email":"a@b.example"}"#, true, Err(vec![("confirm", "required")])),
            (r#"{"email":"a@b.example","confirm":false}"#, true, Err(vec![("confirm", "required")])),
            (r#"{"email":"a@b.example","confirm":"b@b.example"}"#, true, Err(vec![("confirm", "not_confirmed")])),
            (r#"{"email":"a@b.example","confirm":" A@B.example"}"#, true, Ok(("demo", email("a@b.example")))),
            (r#"{"user_id":"u_42","confirm":true}"#, true, Ok(("demo", Subject::UserId("u_42".into())))),
        ];
        for (json, erase, expected) in cases {
            let expected = expected.map(|(site, subject)| PrivacyRequest { site: SiteId::parse(site).unwrap_or_else(|_| demo()), subject });
            assert_eq!(check(json, erase), expected, "{json}");
        }
        let long = format!(r#"{{"user_id":"{}"}}"#, "u".repeat(MAX_NAME + 1));
        assert_eq!(check(&long, false), Err(vec![("user_id", "too_long")]));
        assert!(serde_json::from_str::<PrivacyBody>(r#"{"mail":"a@b.example"}"#).is_err(), "an unknown field is refused");
        assert_eq!(body(r#"{"email":"a@b.example"}"#).check(false, &[]).map_err(|e| e[0].field), Err("site"));
    }

    #[test]
    fn a_ticket_is_the_requesters_by_its_typed_or_signed_address_or_its_user_id() {
        let plain = test_ticket("bug", "s", 1);
        let signed = verified(2, "u_42", Some("Ada.Signed@Example.com"));
        let cases = [
            (Subject::Email("ada@example.com".into()), &plain, true),
            (Subject::Email("ada@example.org".into()), &plain, false),
            (Subject::Email("typed@example.com".into()), &signed, true),
            (Subject::Email("ada.signed@example.com".into()), &signed, true),
            (Subject::UserId("u_42".into()), &signed, true),
            (Subject::UserId("u_4".into()), &signed, false),
            (Subject::UserId("ada@example.com".into()), &plain, false),
        ];
        for (subject, ticket, owns) in cases {
            assert_eq!(subject.owns(ticket), owns, "{subject:?}");
        }
    }

    #[test]
    fn a_missing_record_is_gone_only_once_kv_has_settled() {
        assert!(!settled(0, 60_000), "a minute: it may still be on its way");
        assert!(!settled(0, SETTLE_MS));
        assert!(settled(0, SETTLE_MS + 1));
    }

    #[test]
    fn the_audit_trail_names_a_requester_by_a_keyed_hash_only() {
        let ada = Subject::Email("ada@example.com".into());
        let name = ada.audit_name(SECRET, &demo());
        assert!(name.starts_with("email:") && name.len() == 6 + 32, "{name}");
        assert!(!name.contains("ada") && !name.contains("example"));
        assert_eq!(name, ada.audit_name(SECRET, &demo()), "the same request, the same name");
        let others = [
            ada.audit_name(b"another secret", &demo()),
            ada.audit_name(SECRET, &sites()[1]),
            Subject::UserId("ada@example.com".into()).audit_name(SECRET, &demo()),
        ];
        assert!(others.iter().all(|o| *o != name), "{others:?}");
        assert_eq!(ada.index(SECRET, &demo()), Index::Email(keys::email_key(SECRET, &demo(), "ada@example.com")));
        assert!(!matches!(ada.index(SECRET, &demo()), Index::Email(k) if name.ends_with(&k)), "not the index's key");
    }

    #[test]
    fn an_erase_plan_names_every_index_entry_file_and_address_of_a_ticket() {
        let ticket = verified(3, "u_42", Some("Ada@Example.com"));
        let file = FileInfo {
            id: "f_1".into(),
            name: "shot.png".into(),
            mime: "image/png".into(),
            kind: crate::attach::FileKind::Png,
            size: 10,
            sha256: "0".repeat(64),
            width: None,
            height: None,
        };
        let at = ticket.created_at;
        let events = [
            TicketEvent {
                id: "msg-1".into(),
                at,
                kind: EventKind::Message { by: "requester".into(), agent: false, public: true, body: "hi".into(), original: None },
            },
            TicketEvent {
                id: "msg-1.file0".into(),
                at,
                kind: EventKind::Attachment {
                    file: file.clone(),
                    message: "msg-1".into(),
                    by: "requester".into(),
                    agent: false,
                    public: true,
                    upload: "up_1".into(),
                },
            },
        ];
        let plan = ErasePlan::of(SECRET, &ticket, &events);
        assert_eq!(plan.ticket, ticket.id);
        assert_eq!(plan.addresses, ["typed@example.com", "Ada@Example.com"]);
        assert_eq!(
            plan.email_keys,
            [keys::email_key(SECRET, &demo(), "typed@example.com"), keys::email_key(SECRET, &demo(), "ada@example.com")]
        );
        assert_eq!(plan.user_key, Some(keys::user_key(SECRET, &demo(), "u_42")));
        assert_eq!(plan.files, [HeldFile { upload: "up_1".into(), file, message: "msg-1".into(), by: "requester".into() }]);
        let plain = ErasePlan::of(SECRET, &test_ticket("bug", "s", 4), &[]);
        assert_eq!((plain.addresses.len(), plain.email_keys.len(), plain.user_key, plain.files.len()), (1, 1, None, 0));
    }

    #[test]
    fn erased_facts_keep_their_counts_and_lose_what_could_name_anyone() {
        let mut ticket = test_ticket("feature_request", "Ada's own dark mode", 5);
        ticket.fields.insert("plan".into(), "pro".into());
        let facts = Facts::of(&ticket, &[], ticket.created_at, &crate::sla::AlwaysOpen);
        assert!(facts.subject.is_some() && !facts.fields.is_empty(), "{facts:?}");
        let kept = anonymous(facts.clone());
        assert_eq!((kept.subject.as_deref(), kept.fields.len()), (None, 0));
        assert_eq!((kept.created, kept.segment, &kept.kind, kept.replies, kept.csat), (facts.created, facts.segment, &facts.kind, 0, None));
        assert!(!kept.encode().contains("Ada"), "{}", kept.encode());
    }

    #[test]
    fn an_export_holds_the_record_its_events_and_its_files() {
        let ticket = test_ticket("bug", "Printer on fire", 6);
        let subject = Subject::Email("ada@example.com".into());
        let events = [TicketEvent {
            id: "msg-1".into(),
            at: ticket.created_at,
            kind: EventKind::Message { by: "Sam".into(), agent: true, public: true, body: "On it".into(), original: None },
        }];
        let site = demo();
        let export = Export {
            format: EXPORT_FORMAT,
            site: &site,
            requester: subject.name(),
            exported_at: ticket.created_at,
            tickets: vec![ExportedTicket {
                reference: ticket.reference,
                record: &ticket,
                events: &events,
                files: files_of(&events),
                mail_originals: vec![],
            }],
        };
        let json: serde_json::Value = serde_json::to_value(&export).unwrap_or_default();
        assert_eq!(json["format"], EXPORT_FORMAT);
        assert_eq!(json["requester"]["email"], "ada@example.com");
        assert_eq!(json["tickets"][0]["record"]["subject"], "Printer on fire");
        assert_eq!(json["tickets"][0]["events"][0]["body"], "On it");
        assert_eq!(json["tickets"][0]["reference"], ticket.reference.to_string());
    }
}
