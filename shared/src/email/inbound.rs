//! What to do with a message Email Routing delivers: answer a ticket,
//! open one from an intake address, refuse it with a reason, or drop it
//! quietly (automatic mail, which must never be answered).
//!
//! Two steps, because the ticket lives in storage: [`read`] checks size,
//! recipient and automatic mail and parses the message; the worker then
//! fetches the ticket [`Inbound::ticket`] names and [`Inbound::judge`]
//! decides with it. Nothing is accepted without a reply address whose mac
//! checks (or a reference to one of our `Message-ID`s, or an intake
//! address) and, for an answer, a sender that is the ticket's requester.

use super::address::{parse_reply_address, same_mailbox, ticket_of_message_id, AddressError};
use super::text::{answer_text, attachments, human_size, AnswerText, Attachment};
use crate::attach::{check_claim, sanitize_name, sniff, Limits, Refusal, Sniffed, SNIFF_BYTES};
use crate::config::Config;
use crate::ids::{SiteId, TicketId};
use crate::keys::{hex, idempotent_ticket_id, keyed_hash};
use crate::ticket::{NewTicket, Ticket, MAX_NAME, MAX_SUBJECT};
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders};

/// The SMTP envelope of a delivery (`ForwardableEmailMessage.from`/`to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The envelope sender (`MAIL FROM`); empty for a bounce.
    pub from: &'a str,
    /// The envelope recipient (`RCPT TO`): one of our addresses.
    pub to: &'a str,
}

/// Why a message is refused: the worker calls `set_reject` with
/// [`Reject::reason`], so the sender learns it, and logs
/// [`Reject::code`]. Nothing is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    /// Larger than the site's `max_inbound_bytes`.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Not a message mail-parser can read, or one without a `Message-ID`.
    Malformed,
    /// Not addressed to a reply address, a known thread or an intake
    /// address. Also the answer for a ticket that does not exist or is
    /// another site's, so that no answer tells whether a ticket exists.
    NoSuchRecipient,
    /// A reply address that is ours but not as we issued it.
    BadAddress(AddressError),
    /// Neither the envelope sender nor the `From` header is the
    /// ticket's requester.
    NotTheRequester,
    /// Nothing above the quoted text.
    Empty,
}

impl Reject {
    /// A stable code for logs.
    pub const fn code(self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed => "malformed",
            Self::NoSuchRecipient => "no_such_recipient",
            Self::BadAddress(e) => e.code(),
            Self::NotTheRequester => "not_the_requester",
            Self::Empty => "empty",
        }
    }

    /// The reason given to the sender's server.
    pub fn reason(self) -> String {
        match self {
            Self::TooLarge { limit } => format!("Message too large: this address accepts up to {limit} bytes."),
            Self::Malformed => "Message not readable: it is not valid MIME or has no Message-ID.".to_owned(),
            Self::NoSuchRecipient | Self::BadAddress(_) => "No such recipient: this address only takes answers to our mail.".to_owned(),
            Self::NotTheRequester => "Not accepted: answers are taken only from the address the ticket was opened with.".to_owned(),
            Self::Empty => "Not accepted: the message has no text above the quoted conversation.".to_owned(),
        }
    }
}

/// Why a message is dropped without an answer: automatic mail, which
/// must never start a mail loop. Logged, never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drop {
    /// A delivery status notification: the address it names (when it
    /// names one) should get no more mail until it writes again.
    Bounce {
        /// The `Final-Recipient` that failed.
        recipient: Option<String>,
    },
    /// An automatic message: the header or sender that says so.
    Automatic(&'static str),
    /// Mail from one of Buoy's own sending addresses or reply domains.
    OwnMail,
}

/// What Buoy takes from an accepted message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// The requester's answer on a ticket: store it as their message
    /// (reopening a pending or solved ticket as the panel does).
    Answer {
        /// The ticket.
        ticket: TicketId,
        /// The event id to store it under: derived from the message's
        /// `Message-ID`, so a redelivery lands on the same event.
        event_id: String,
        /// The text, with a note for each attachment not stored.
        text: AnswerText,
        /// The attachments to store with it.
        files: Vec<MailFile>,
    },
    /// A new request to an intake address: create this ticket (channel
    /// email, segment `free`), then acknowledge it.
    Intake {
        /// The site whose intake address it came to.
        site: SiteId,
        /// The ticket's id: derived from the `Message-ID`, so a
        /// redelivery finds the ticket it already made.
        ticket: TicketId,
        /// The ticket to create. Its email is typed, never verified: a
        /// `From` header proves nothing.
        new_ticket: Box<NewTicket>,
        /// The message's `Message-ID`, which Buoy's mail about the
        /// ticket then answers, so the requester's client threads it.
        message_id: String,
        /// The attachments to store with its first message.
        files: Vec<MailFile>,
    },
}

/// What the worker does with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Store it.
    Accept(Accepted),
    /// Refuse it with a reason (`set_reject`).
    Reject(Reject),
    /// Take it and do nothing (logged).
    Drop(Drop),
}

/// Where a message is going, once its recipient is read.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Ticket(TicketId),
    Intake,
}

/// A message that passed the checks a ticket is not needed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    site: SiteId,
    target: Target,
    event_id: String,
    envelope_from: String,
    from: Option<(String, String)>,
    subject: String,
    message_id: String,
    text: AnswerText,
    files: Vec<MailFile>,
    intake_ticket: TicketId,
}

/// Reads a delivered message: its size against the site's limit, its
/// recipient (a reply address with a valid mac, a reference to one of
/// our `Message-ID`s, or an intake address), automatic mail, its text,
/// and its attachments by the site's rules ([`sort_files`]; none are kept
/// where the deployment has no `bucket` for them).
///
/// # Errors
/// The [`Verdict`] when the message is refused or dropped already.
pub fn read(raw: &[u8], envelope: Envelope<'_>, config: &Config, secret: &[u8], bucket: bool) -> Result<Inbound, Verdict> {
    let to = envelope.to.trim();
    // The site this recipient belongs to, and the ticket its plus-address names.
    let mut found = None;
    for (id, email) in config.email_sites() {
        match parse_reply_address(secret, email.reply_local(), &email.reply_domain, to) {
            Ok(ticket) => found = Some((id, email, Some(ticket))),
            Err(AddressError::NotOurs) => {}
            Err(e) => return Err(Verdict::Reject(Reject::BadAddress(e))),
        }
        let at_reply_domain = super::address::split(to).is_some_and(|(_, d)| d.eq_ignore_ascii_case(&email.reply_domain));
        if found.is_none() && at_reply_domain {
            found = Some((id, email, None));
        }
        if found.is_some() {
            break;
        }
    }
    if found.is_none() {
        found = config.intake_site(to).map(|(id, email)| (id, email, None));
    }
    let Some((site_id, email, plus_ticket)) = found else {
        return Err(Verdict::Reject(Reject::NoSuchRecipient));
    };
    let site = SiteId::parse(site_id).map_err(|_| Verdict::Reject(Reject::NoSuchRecipient))?;
    if u64::try_from(raw.len()).unwrap_or(u64::MAX) > email.max_inbound_bytes {
        return Err(Verdict::Reject(Reject::TooLarge { limit: email.max_inbound_bytes }));
    }
    let message = MessageParser::default().parse(raw).ok_or(Verdict::Reject(Reject::Malformed))?;
    let message_id = message.message_id().map(str::trim).filter(|id| !id.is_empty()).ok_or(Verdict::Reject(Reject::Malformed))?;
    let from = message.from().and_then(|a| a.first()).and_then(|a| {
        let address = a.address()?.trim().to_owned();
        Some((a.name().map(str::trim).unwrap_or_default().to_owned(), address))
    });
    if let Some(reason) = automatic(&message, envelope.from, from.as_ref().map(|f| f.1.as_str()), config) {
        return Err(Verdict::Drop(reason));
    }
    let referenced =
        || ids(message.in_reply_to()).chain(ids(message.references())).find_map(|id| ticket_of_message_id(secret, &email.reply_domain, id));
    let target = match plus_ticket.or_else(referenced) {
        Some(ticket) => Target::Ticket(ticket),
        None if config.intake_site(to).is_some_and(|(id, _)| id == site_id) => Target::Intake,
        None => return Err(Verdict::Reject(Reject::NoSuchRecipient)),
    };
    let ticket_for_event = match &target {
        Target::Ticket(ticket) => *ticket,
        Target::Intake => idempotent_ticket_id(secret, &site, &format!("email:{message_id}")),
    };
    let subject: String = message.subject().unwrap_or_default().chars().filter(|c| !c.is_control()).collect();
    // Without a bucket, no site's files can be kept: each is noted instead.
    let limits = config.site(site_id).and_then(|s| s.attachments.as_ref()).filter(|_| bucket);
    let (files, notes) = sort_files(attachments(&message), limits);
    Ok(Inbound {
        event_id: inbound_event_id(secret, &ticket_for_event, message_id),
        intake_ticket: ticket_for_event,
        site,
        target,
        envelope_from: envelope.from.trim().to_owned(),
        from,
        subject: subject.trim().to_owned(),
        message_id: message_id.to_owned(),
        text: answer_text(&message, &notes),
        files,
    })
}

/// A file of a received message that the site's rules accept, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailFile {
    /// Its name, sanitised.
    pub name: String,
    /// What its bytes are (and an image's dimensions).
    pub sniffed: Sniffed,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Sorts a message's attachments by the site's rules (`limits`; `None`
/// for a site that takes no files), as an upload is judged: a sanitised
/// name, a size within the caps, a kind sniffed from the bytes that the
/// site accepts and the mail's claim does not contradict, and within the
/// message's count and total, in order. Each file refused gets a note for
/// the thread, saying why; the mail is never refused for its files.
pub fn sort_files(found: Vec<Attachment>, limits: Option<&Limits>) -> (Vec<MailFile>, Vec<String>) {
    let Some(limits) = limits else {
        if found.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let listed: Vec<String> = found.iter().map(|a| format!("{} ({})", a.label(), human_size(a.bytes.len()))).collect();
        return (Vec::new(), vec![format!("Attachments, not stored: {}", listed.join(", "))]);
    };
    let mut kept: Vec<MailFile> = Vec::new();
    let mut notes = Vec::new();
    for file in found {
        let size = byte_len(&file.bytes);
        let judged = judge_file(&file, limits).and_then(|found| {
            let sizes: Vec<u64> = kept.iter().map(|k| byte_len(&k.bytes)).chain([size]).collect();
            limits.check_message(&sizes).map(|()| found)
        });
        match judged {
            Ok((name, sniffed)) => kept.push(MailFile { name, sniffed, bytes: file.bytes }),
            Err(refusal) => {
                notes.push(format!("Attachment not stored: {} ({}): {}", file.label(), human_size(file.bytes.len()), why(refusal, limits)));
            }
        }
    }
    (kept, notes)
}

fn byte_len(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

/// One attachment by the rules of an upload: its name, then its size, then its bytes.
fn judge_file(file: &Attachment, limits: &Limits) -> Result<(String, Sniffed), Refusal> {
    let name = sanitize_name(file.name.as_deref().unwrap_or_default())?;
    limits.check_file(byte_len(&file.bytes))?;
    let head = &file.bytes[..file.bytes.len().min(SNIFF_BYTES)];
    let sniffed = sniff(head, file.bytes.len() <= SNIFF_BYTES)?;
    limits.check_kind(sniffed.kind)?;
    check_claim(sniffed.kind, &name, file.claimed.as_deref())?;
    Ok((name, sniffed))
}

/// Why a file was not stored, as the note in the thread says it.
fn why(refusal: Refusal, limits: &Limits) -> String {
    match refusal {
        Refusal::FileTooLarge => {
            format!("over the limit of {} a file", human_size(usize::try_from(limits.max_file_bytes).unwrap_or(usize::MAX)))
        }
        Refusal::MessageTooLarge => {
            format!(
                "over the limit of {} for all the files of a message",
                human_size(usize::try_from(limits.max_message_bytes).unwrap_or(usize::MAX))
            )
        }
        Refusal::TooManyFiles => format!("a message takes at most {} files", limits.max_files),
        Refusal::EmptyFile => "it is empty".to_owned(),
        Refusal::UnsupportedType => "this type of file is not accepted".to_owned(),
        Refusal::TypeMismatch => "its bytes are not the type its name or the mail claims".to_owned(),
        Refusal::NameRequired => "it has no file name".to_owned(),
        Refusal::InvalidName => "its name has path separators, control or direction characters".to_owned(),
        Refusal::LengthRequired | Refusal::UnknownUpload => refusal.code().replace('_', " "),
    }
}

/// The site a recipient address belongs to: the one whose reply domain
/// it is at, or whose intake address it is. A bounce names no ticket the
/// worker can trust, but the site it came back to is the one whose mail
/// to that address must stop.
pub fn site_of(config: &Config, to: &str) -> Option<SiteId> {
    let to = to.trim();
    let domain = super::address::split(to).map(|(_, domain)| domain);
    let at_reply_domain = config.email_sites().find(|(_, email)| domain.is_some_and(|d| d.eq_ignore_ascii_case(&email.reply_domain)));
    let (id, _) = at_reply_domain.or_else(|| config.intake_site(to))?;
    SiteId::parse(id).ok()
}

/// The largest original message kept for agents, in bytes: a Workers KV
/// value holds at most 25 MiB, and a message this size is already far
/// above what people write by hand.
pub const KEEP_ORIGINAL_MAX: u64 = 10_000_000;

/// Whether an accepted message of `bytes` is kept as received, for
/// agents to download; a larger one is still taken, as its text.
pub const fn keeps_original(bytes: u64) -> bool {
    bytes <= KEEP_ORIGINAL_MAX
}

/// The event id an answer by email is stored under: `mail-` and 24 hex
/// digits of a keyed hash of the ticket and the `Message-ID`, so a
/// redelivered message is one answer.
pub fn inbound_event_id(secret: &[u8], ticket: &TicketId, message_id: &str) -> String {
    let hash = keyed_hash(secret, "buoy/mail-event-id/v1", &[ticket.as_bytes(), message_id.trim().as_bytes()]);
    format!("mail-{}", hex(&hash[..12]))
}

/// The upload id a mail's `index`-th stored file is kept under, for the
/// message event `message` of `ticket`: `up_` and 32 hex digits of a keyed
/// hash, so a redelivered mail stores each file under the same key, and
/// no id can be guessed from another.
pub fn mail_upload_id(secret: &[u8], ticket: &TicketId, message: &str, index: usize) -> String {
    let index = index.to_string();
    let hash = keyed_hash(secret, "buoy/mail-upload/v1", &[ticket.as_bytes(), message.as_bytes(), index.as_bytes()]);
    format!("up_{}", hex(&hash[..16]))
}

fn ids<'a>(value: &'a HeaderValue<'_>) -> impl Iterator<Item = &'a str> {
    let (one, many) = match value {
        HeaderValue::Text(id) => (Some(id.as_ref()), None),
        HeaderValue::TextList(list) => (None, Some(list.iter().map(AsRef::as_ref))),
        _ => (None, None),
    };
    one.into_iter().chain(many.into_iter().flatten())
}

/// Whether a message was sent by a machine, and what says so.
fn automatic(message: &Message<'_>, envelope_from: &str, from: Option<&str>, config: &Config) -> Option<Drop> {
    let is_report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    });
    if is_report {
        return Some(Drop::Bounce { recipient: final_recipient(message) });
    }
    let header = |name: &'static str| message.header_raw(name).map(str::trim);
    if header("Auto-Submitted").is_some_and(|v| !v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case("no")) {
        return Some(Drop::Automatic("Auto-Submitted"));
    }
    if header("Precedence").is_some_and(|v| ["bulk", "junk", "list"].iter().any(|p| v.eq_ignore_ascii_case(p))) {
        return Some(Drop::Automatic("Precedence"));
    }
    if header("X-Autoreply").is_some() || header("X-Autorespond").is_some() {
        return Some(Drop::Automatic("X-Autoreply"));
    }
    let senders = [Some(envelope_from.trim()), from];
    let machine = |address: &str| {
        let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
        local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster")
    };
    if senders.iter().flatten().any(|a| machine(a)) {
        return Some(Drop::Automatic("mailer-daemon or postmaster sender"));
    }
    if envelope_from.trim().is_empty() || envelope_from.trim() == "<>" {
        return Some(Drop::Automatic("null envelope sender"));
    }
    let ours = |address: &str| {
        config.email_sites().any(|(_, e)| {
            same_mailbox(address, &e.from) || super::address::split(address).is_some_and(|(_, d)| d.eq_ignore_ascii_case(&e.reply_domain))
        })
    };
    senders.iter().flatten().any(|a| ours(a)).then_some(Drop::OwnMail)
}

/// The `Final-Recipient` a delivery status report names.
fn final_recipient(message: &Message<'_>) -> Option<String> {
    message.parts.iter().find_map(|part| {
        let is_status = part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("delivery-status") || s.eq_ignore_ascii_case("global-delivery-status"))
        });
        if !is_status {
            return None;
        }
        let text = String::from_utf8_lossy(part.contents());
        text.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            if !name.trim().eq_ignore_ascii_case("final-recipient") {
                return None;
            }
            let address = value.split_once(';').map_or(value, |(_, a)| a).trim();
            (!address.is_empty()).then(|| address.to_owned())
        })
    })
}

impl Inbound {
    /// The ticket whose record [`Inbound::judge`] needs, when the message
    /// answers one (none for an intake message).
    pub fn ticket(&self) -> Option<TicketId> {
        match self.target {
            Target::Ticket(ticket) => Some(ticket),
            Target::Intake => None,
        }
    }

    /// The message's `Message-ID`, for logs.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// Decides with the ticket [`Inbound::ticket`] named (`None` when it
    /// does not exist): an answer is accepted only from the requester's
    /// address, in the envelope or the `From` header.
    pub fn judge(self, ticket: Option<&Ticket>) -> Verdict {
        match self.target {
            Target::Ticket(id) => {
                let Some(ticket) = ticket.filter(|t| t.id == id && t.site == self.site) else {
                    return Verdict::Reject(Reject::NoSuchRecipient);
                };
                let Some((requester, _)) = ticket.requester.reply_address() else {
                    return Verdict::Reject(Reject::NotTheRequester);
                };
                let header_from = self.from.as_ref().map(|(_, address)| address.as_str());
                if ![Some(self.envelope_from.as_str()), header_from].into_iter().flatten().any(|a| same_mailbox(a, requester)) {
                    return Verdict::Reject(Reject::NotTheRequester);
                }
                if self.text.body.is_empty() && self.files.is_empty() {
                    return Verdict::Reject(Reject::Empty);
                }
                Verdict::Accept(Accepted::Answer { ticket: id, event_id: self.event_id, text: self.text, files: self.files })
            }
            Target::Intake => {
                let (name, email) = self.from.unwrap_or_else(|| (String::new(), self.envelope_from.clone()));
                let subject = if self.subject.is_empty() { first_line(&self.text.body) } else { self.subject };
                if self.text.body.is_empty() && subject.is_empty() {
                    return Verdict::Reject(Reject::Empty);
                }
                let message = if self.text.body.is_empty() { subject.clone() } else { self.text.body };
                let new_ticket = Box::new(NewTicket {
                    site: self.site.as_str().to_owned(),
                    name: name.chars().filter(|c| !c.is_control()).take(MAX_NAME).collect(),
                    email,
                    kind: "other".to_owned(),
                    subject: subject.chars().take(MAX_SUBJECT).collect(),
                    message,
                    ..NewTicket::default()
                });
                Verdict::Accept(Accepted::Intake {
                    site: self.site,
                    ticket: self.intake_ticket,
                    new_ticket,
                    message_id: self.message_id,
                    files: self.files,
                })
            }
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default().to_owned()
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;
    use crate::email::fixtures::{config, mail, reply, SECRET, TICKET};
    use crate::ticket::test_ticket;

    /// The verdict on `raw` sent from `from` to `to`, with the ticket
    /// the worker would find (`test_ticket`, from ada@example.com).
    fn verdict(raw: impl AsRef<[u8]>, from: &str, to: &str) -> Verdict {
        let ticket = test_ticket("bug", "Export fails at 99%", 0xab);
        match read(raw.as_ref(), Envelope { from, to }, &config(), SECRET, true) {
            Ok(inbound) => {
                let found = inbound.ticket().filter(|id| *id == ticket.id).map(|_| &ticket);
                inbound.judge(found)
            }
            Err(verdict) => verdict,
        }
    }

    /// A verdict in a line: what a test table can say.
    fn summary(verdict: &Verdict) -> String {
        match verdict {
            Verdict::Accept(Accepted::Answer { ticket, text, files, .. }) if files.is_empty() => format!("answer {ticket}: {}", text.body),
            Verdict::Accept(Accepted::Answer { ticket, text, files, .. }) => {
                let files: Vec<String> = files.iter().map(kept_line).collect();
                format!("answer {ticket}: {} + {}", text.body, files.join(", "))
            }
            Verdict::Accept(Accepted::Intake { site, new_ticket, .. }) => format!(
                "intake {}: {} <{}> | {} | {}",
                site.as_str(),
                new_ticket.name,
                new_ticket.email,
                new_ticket.subject,
                new_ticket.message
            ),
            Verdict::Reject(reject) => format!("reject {}", reject.code()),
            Verdict::Drop(Drop::Bounce { recipient }) => format!("bounce {}", recipient.as_deref().unwrap_or("?")),
            Verdict::Drop(Drop::Automatic(why)) => format!("automatic {why}"),
            Verdict::Drop(Drop::OwnMail) => "own mail".to_owned(),
        }
    }

    #[test]
    fn answers_from_real_clients_join_their_ticket_as_text() {
        let answer = |text: &str| format!("answer {TICKET}: {text}");
        let cases = [
            ("gmail", answer("Thanks, clearing the cache worked — the export finishes now.\n\nAda")),
            ("outlook", answer("It still stops at 99% on Windows 11.\n\nRegards,\nAda Lovelace")),
            ("apple", answer("Yes please, call me tomorrow.")),
            ("html_only", answer("It works on Firefox & Chrome.\nNot on Safari <17>.")),
            ("attachment", answer("Here is the screenshot of the error. + screenshot.png png 1x1, export été.csv text")),
            ("latin1", answer("Schöne Grüße, der Export läuft jetzt.")),
        ];
        for (name, expected) in cases {
            assert_eq!(summary(&verdict(mail(name), "ada@example.com", &reply())), expected, "{name}");
        }
    }

    /// A 3×2 PNG's first bytes.
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02\x08\x02\0\0\0";
    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n";

    fn attachment(name: &str, claimed: &str, bytes: &[u8]) -> Attachment {
        let claimed = (!claimed.is_empty()).then(|| claimed.to_owned());
        Attachment { name: (!name.is_empty()).then(|| name.to_owned()), claimed, bytes: bytes.to_vec() }
    }

    /// A kept file in a line: `name kind WxH`.
    fn kept_line(f: &MailFile) -> String {
        match (f.sniffed.width, f.sniffed.height) {
            (Some(w), Some(h)) => format!("{} {} {w}x{h}", f.name, f.sniffed.kind.as_str()),
            _ => format!("{} {}", f.name, f.sniffed.kind.as_str()),
        }
    }

    /// What `sort_files` keeps and notes.
    fn sorted(found: Vec<Attachment>, limits: Option<&Limits>) -> (Vec<String>, Vec<String>) {
        let (kept, notes) = sort_files(found, limits);
        let kept = kept.iter().map(kept_line).collect();
        (kept, notes)
    }

    #[test]
    fn attachments_of_mail_are_kept_or_refused_with_a_note_by_the_rules_of_an_upload() {
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        let limits = Limits { max_file_bytes: 100, max_message_bytes: 120, max_files: 2, ..Limits::default() };
        let note = |label: &str, bytes: usize, why: &str| format!("Attachment not stored: {label} ({bytes} bytes): {why}");
        // What a mail carries, what is kept, and the notes on the rest.
        type Case = (&'static str, Vec<Attachment>, Vec<&'static str>, Vec<String>);
        let cases: Vec<Case> = vec![
            (
                "a PNG and a PDF, named and claimed as what they are",
                vec![attachment("shot.png", "image/png", PNG), attachment("report.pdf", "application/pdf", PDF)],
                vec!["shot.png png 3x2", "report.pdf pdf"],
                vec![],
            ),
            (
                "a log claimed as CSV is text",
                vec![attachment("export.csv", "text/csv", b"a,b\r\n1,2\r\n")],
                vec!["export.csv text"],
                vec![],
            ),
            (
                "an SVG with script",
                vec![attachment("logo.svg", "image/svg+xml", svg)],
                vec![],
                vec![note("logo.svg", svg.len(), "this type of file is not accepted")],
            ),
            (
                "HTML named as a PNG",
                vec![attachment("page.png", "image/png", b"<!doctype html><script>alert(1)</script>")],
                vec![],
                vec![note("page.png", 40, "this type of file is not accepted")],
            ),
            (
                "a PNG the mail claims is a PDF",
                vec![attachment("shot", "application/pdf", PNG)],
                vec![],
                vec![note("shot", PNG.len(), "its bytes are not the type its name or the mail claims")],
            ),
            (
                "a name with a path, a right-to-left override, or none",
                vec![
                    attachment("../../etc/passwd", "", b"root"),
                    attachment("cod\u{202e}gnp.exe", "", PNG),
                    attachment("", "image/png", PNG),
                ],
                vec![],
                vec![
                    note("../../etc/passwd", 4, "its name has path separators, control or direction characters"),
                    note("cod\u{202e}gnp.exe", PNG.len(), "its name has path separators, control or direction characters"),
                    note("unnamed image/png", PNG.len(), "it has no file name"),
                ],
            ),
            ("an empty file", vec![attachment("empty.txt", "text/plain", b"")], vec![], vec![note("empty.txt", 0, "it is empty")]),
            (
                "a file over the cap",
                vec![attachment("big.txt", "text/plain", &[b'a'; 101])],
                vec![],
                vec![note("big.txt", 101, "over the limit of 100 bytes a file")],
            ),
            (
                "a file past the count, then one past the message's total",
                vec![
                    attachment("a.txt", "", &[b'a'; 60]),
                    attachment("b.txt", "", &[b'b'; 61]),
                    attachment("c.txt", "", &[b'c'; 50]),
                    attachment("d.txt", "", &[b'd'; 10]),
                ],
                vec!["a.txt text", "c.txt text"],
                vec![
                    note("b.txt", 61, "over the limit of 120 bytes for all the files of a message"),
                    note("d.txt", 10, "a message takes at most 2 files"),
                ],
            ),
        ];
        for (what, found, kept, notes) in cases {
            assert_eq!(sorted(found, Some(&limits)), (kept.iter().map(|k| (*k).to_owned()).collect(), notes), "{what}");
        }
        let narrowed = Limits { types: vec![crate::attach::FileKind::Pdf], ..Limits::default() };
        assert_eq!(
            sorted(vec![attachment("shot.png", "", PNG)], Some(&narrowed)).1,
            [note("shot.png", PNG.len(), "this type of file is not accepted")]
        );
        let off = sorted(vec![attachment("shot.png", "", PNG), attachment("", "text/csv", b"a")], None);
        let listed = format!("Attachments, not stored: shot.png ({} bytes), unnamed text/csv (1 bytes)", PNG.len());
        assert_eq!(off, (vec![], vec![listed]), "a site without files");
    }

    #[test]
    fn an_answer_of_files_alone_joins_the_thread_and_an_intake_mail_keeps_its_files() {
        let with_files = mail("attachment").replace("Here is the screenshot of the error.\r\n", "");
        match verdict(&with_files, "ada@example.com", &reply()) {
            Verdict::Accept(Accepted::Answer { text, files, .. }) => {
                assert_eq!(text.body, "");
                assert_eq!(files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["screenshot.png", "export été.csv"]);
            }
            other => unreachable!("{other:?}"),
        }
        match verdict(mail("attachment"), "ada@example.com", "support@reply.lumen.example") {
            Verdict::Accept(Accepted::Intake { files, new_ticket, .. }) => {
                assert_eq!(new_ticket.message, "Here is the screenshot of the error.");
                assert_eq!(files.len(), 2);
            }
            other => unreachable!("{other:?}"),
        }
        // A deployment without a bucket keeps no site's files, and says so.
        let without = read(mail("attachment").as_bytes(), Envelope { from: "ada@example.com", to: &reply() }, &config(), SECRET, false);
        match without.map(|inbound| inbound.judge(Some(&test_ticket("bug", "s", 0xab)))) {
            Ok(Verdict::Accept(Accepted::Answer { text, files, .. })) => {
                assert!(files.is_empty());
                assert!(
                    text.body.ends_with("[Attachments, not stored: screenshot.png (70 bytes), export été.csv (10 bytes)]"),
                    "{}",
                    text.body
                );
            }
            other => unreachable!("{other:?}"),
        }
    }

    #[test]
    fn a_mail_file_has_the_same_upload_id_at_every_delivery_and_none_like_another() {
        let id = |message: &str, index| mail_upload_id(SECRET, &TICKET, message, index);
        assert_eq!(id("mail-1", 0), id("mail-1", 0));
        let all = [id("mail-1", 0), id("mail-1", 1), id("mail-2", 0), mail_upload_id(b"other secret", &TICKET, "mail-1", 0)];
        assert_eq!(all.iter().collect::<std::collections::BTreeSet<_>>().len(), all.len());
        assert!(all.iter().all(|u| u.starts_with("up_") && u.len() == 3 + 32), "{all:?}");
    }

    #[test]
    fn machines_are_dropped_and_strangers_refused() {
        let gmail = mail("gmail");
        let with_header = |header: &str| format!("{header}\r\n{gmail}");
        let forged = gmail.replace("From: Ada Lovelace <ada@example.com>", "From: Eve <eve@evil.example>");
        let other_mac = reply().replace(&reply()[reply().len() - 22..reply().len() - 20], "zz");
        let big = format!("{}{}", gmail.trim_end(), "\r\nxxxxxxxxxx".repeat(2000));
        let no_id = gmail.replace("Message-ID: <CAFgmail0001+x7Zq=K3v@mail.gmail.com>\r\n", "");
        let cases: Vec<(&str, String, &str, String, &str)> = vec![
            ("a bounce", mail("bounce"), "", reply(), "bounce ada@example.com"),
            ("an out-of-office reply", mail("autoreply"), "ada@example.com", reply(), "automatic Auto-Submitted"),
            ("Auto-Submitted: no is a person", with_header("Auto-Submitted: no"), "ada@example.com", reply(), "answer"),
            ("bulk mail", with_header("Precedence: bulk"), "ada@example.com", reply(), "automatic Precedence"),
            ("X-Autoreply", with_header("X-Autoreply: yes"), "ada@example.com", reply(), "automatic X-Autoreply"),
            ("a postmaster", gmail.clone(), "Postmaster@example.com", reply(), "automatic mailer-daemon or postmaster sender"),
            ("a null sender", gmail.clone(), "<>", reply(), "automatic null envelope sender"),
            ("our own From", gmail.replace("ada@example.com>", "support@lumen.example>"), "bounces@lumen.example", reply(), "own mail"),
            ("a forged sender", forged.clone(), "eve@evil.example", reply(), "reject not_the_requester"),
            ("a forged header From, the requester's envelope", forged, "ada@example.com", reply(), "answer"),
            (
                "the requester's local part in another case",
                gmail.replace("<ada@", "<Ada@"),
                "Ada@example.com",
                reply(),
                "reject not_the_requester",
            ),
            (
                "the requester's domain in another case",
                gmail.replace("<ada@example.com", "<ada@EXAMPLE.com"),
                "x@y.example",
                reply(),
                "answer",
            ),
            ("a wrong mac", gmail.clone(), "ada@example.com", other_mac, "reject bad_mac"),
            ("a mangled tag", gmail.clone(), "ada@example.com", "support+nonsense@reply.lumen.example".into(), "reject malformed"),
            ("a lost plus-address, threaded", gmail.clone(), "ada@example.com", "support@reply.lumen.example".into(), "answer"),
            ("a lost plus-address at the reply domain", gmail.clone(), "ada@example.com", "sales@reply.lumen.example".into(), "answer"),
            ("another site's reply domain", gmail.clone(), "ada@example.com", "help@mail.other.example".into(), "reject no_such_recipient"),
            ("no address of ours", gmail.clone(), "ada@example.com", "ada@elsewhere.example".into(), "reject no_such_recipient"),
            ("over the size cap", big, "ada@example.com", reply(), "reject too_large"),
            ("no Message-ID", no_id, "ada@example.com", reply(), "reject malformed"),
            ("not mail at all", String::new(), "ada@example.com", reply(), "reject malformed"),
            (
                "only a quote",
                gmail.replace("Thanks, clearing the cache worked =E2=80=94 the export finishes now.\r\n\r\nAda", ""),
                "ada@example.com",
                reply(),
                "reject empty",
            ),
        ];
        for (what, raw, from, to, expected) in cases {
            let got = summary(&verdict(&raw, from, &to));
            assert!(got.starts_with(expected), "{what}: expected {expected:?}, got {got:?}");
        }
    }

    #[test]
    fn an_answer_for_a_missing_or_foreign_ticket_reads_as_no_such_recipient() {
        let gmail = mail("gmail");
        let read_it = || read(gmail.as_bytes(), Envelope { from: "ada@example.com", to: &reply() }, &config(), SECRET, true);
        let missing = read_it().map(|inbound| inbound.judge(None));
        assert_eq!(missing, Ok(Verdict::Reject(Reject::NoSuchRecipient)));
        let mut foreign = test_ticket("bug", "s", 0xab);
        foreign.site = SiteId::parse("other").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(read_it().map(|inbound| inbound.judge(Some(&foreign))), Ok(Verdict::Reject(Reject::NoSuchRecipient)));
        assert_eq!(Reject::NoSuchRecipient.reason(), Reject::BadAddress(AddressError::BadMac).reason(), "one answer for both");
    }

    #[test]
    fn mail_to_an_intake_address_opens_a_free_ticket_once() {
        let intake = |raw: &str, from: &str| verdict(raw, from, "Support@reply.lumen.example");
        assert_eq!(
            summary(&intake(&mail("intake"), "grace@example.org")),
            "intake demo: Grace Hopper <grace@example.org> | Cannot export my invoices | Hello, the invoice export has been failing since Friday."
        );
        // Encoded words and ISO-8859-1 decoded; no reference to a thread of ours.
        assert_eq!(
            summary(&intake(&mail("latin1"), "ada@example.com")),
            "intake demo: Jürgen Müller <ada@example.com> | Re: [7K2M-9QXD] Grüße aus München | Schöne Grüße, der Export läuft jetzt."
        );
        let first = intake(&mail("intake"), "grace@example.org");
        let again = intake(&mail("intake"), "grace@example.org");
        match (&first, &again) {
            (Verdict::Accept(Accepted::Intake { ticket: a, new_ticket, .. }), Verdict::Accept(Accepted::Intake { ticket: b, .. })) => {
                assert_eq!(a, b, "a redelivery finds the same ticket");
                assert!(new_ticket.identity.is_none(), "a From header proves nothing: never verified");
                assert_eq!(new_ticket.validate(), Ok(()));
            }
            _ => unreachable!("{first:?}"),
        }
        let no_subject = mail("intake").replace("Subject: Cannot export my invoices\r\n", "");
        assert!(summary(&intake(&no_subject, "grace@example.org")).contains("| Hello, the invoice export has been failing since Friday. |"));
    }

    #[test]
    fn a_recipient_belongs_to_the_site_whose_reply_domain_or_intake_it_is() {
        let site = |to: &str| site_of(&config(), to).map(|s| s.as_str().to_owned());
        assert_eq!(site(&reply()).as_deref(), Some("demo"));
        assert_eq!(site("anything@REPLY.lumen.example").as_deref(), Some("demo"));
        assert_eq!(site(" Support@reply.lumen.example ").as_deref(), Some("demo"));
        assert_eq!(site("help@mail.other.example").as_deref(), Some("other"));
        assert_eq!(site("ada@example.com"), None);
        assert_eq!(site("not an address"), None);
    }

    #[test]
    fn a_redelivered_answer_is_one_event() {
        let event = |raw: &str| match verdict(raw, "ada@example.com", &reply()) {
            Verdict::Accept(Accepted::Answer { event_id, .. }) => event_id,
            other => unreachable!("{other:?}"),
        };
        let gmail = mail("gmail");
        assert_eq!(event(&gmail), event(&gmail));
        assert_ne!(event(&gmail), event(&mail("apple")));
        assert!(event(&gmail).starts_with("mail-") && event(&gmail).len() == 5 + 24);
    }

    // Random bytes and mutated real messages: never a panic, and nothing
    // accepted without our address (or an intake address) and, for an
    // answer, the requester as sender.
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use crate::email::fixtures::ALL;
        use proptest::prelude::*;

        /// Whether an accepted verdict had what acceptance needs.
        fn earned(verdict: &Verdict, raw: &[u8], from: &str, to: &str) -> bool {
            match verdict {
                Verdict::Accept(Accepted::Answer { ticket, .. }) => {
                    let header_from = MessageParser::default()
                        .parse(raw)
                        .and_then(|m| m.from().and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_owned));
                    let sender_ok =
                        same_mailbox(from, "ada@example.com") || header_from.is_some_and(|f| same_mailbox(&f, "ada@example.com"));
                    let address_ok = to == reply()
                        || MessageParser::default().parse(raw).is_some_and(|m| {
                            ids(m.in_reply_to())
                                .chain(ids(m.references()))
                                .any(|id| ticket_of_message_id(SECRET, "reply.lumen.example", id) == Some(*ticket))
                        });
                    *ticket == TICKET && sender_ok && address_ok
                }
                Verdict::Accept(Accepted::Intake { .. }) => config().intake_site(to).is_some(),
                Verdict::Reject(_) | Verdict::Drop(_) => true,
            }
        }

        fn recipient() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(reply()),
                Just("support@reply.lumen.example".to_owned()),
                Just("sales@reply.lumen.example".to_owned()),
                "[a-z+.0-9]{0,40}@reply\\.lumen\\.example",
                "\\PC{0,30}",
            ]
        }

        fn sender() -> impl Strategy<Value = String> {
            prop_oneof![Just("ada@example.com".to_owned()), Just("eve@evil.example".to_owned()), Just(String::new()), "\\PC{0,30}"]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            #[test]
            fn random_bytes_are_never_accepted_unearned(raw in proptest::collection::vec(any::<u8>(), 0..2000), from in sender(), to in recipient()) {
                let v = verdict(&raw, &from, &to);
                prop_assert!(earned(&v, &raw, &from, &to), "{v:?}");
            }

            #[test]
            fn mutated_real_messages_are_never_accepted_unearned(
                which in 0..ALL.len(),
                edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 0..12),
                from in sender(),
                to in recipient(),
            ) {
                let mut raw = mail(ALL[which]).into_bytes();
                for (at, kind, byte) in edits {
                    if raw.is_empty() {
                        break;
                    }
                    let i = at.index(raw.len());
                    match kind {
                        0 => raw[i] = byte,
                        1 => { raw.remove(i); }
                        2 => raw.insert(i, byte),
                        _ => { let tail = raw.split_off(i); raw.extend_from_slice(b"\r\n"); raw.extend(tail); }
                    }
                }
                let v = verdict(&raw, &from, &to);
                prop_assert!(earned(&v, &raw, &from, &to), "{v:?}");
            }
        }
    }
}
