//! Outbound mail: which recorded events mail whom, the mails put in the
//! outbox (the sweep sends them, retries them with back-off, and drops
//! them for an address that turned mail off), and the pages behind the
//! links in them (`/v1/email/rate`, `/v1/email/unsubscribe`).
//!
//! Every mail is built once, when its event is recorded
//! (`buoy_shared::email::outbound`), so each attempt sends the same bytes
//! under the same `Message-ID`: a rare duplicate threads as one.

use crate::api::{self, App};
use crate::error::AppError;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::{Kv, PendingMail, Suppression, TicketStore, UNSUBSCRIBED};
use buoy_shared::config::{Config, Site as SiteConfig};
use buoy_shared::email::outbound::{self, About, Attached, Outgoing, Recipient, Said, Thread, ToAgent, ToRequester};
use buoy_shared::email::token::{self, check_rating_token, check_unsubscribe_token, TokenError};
use buoy_shared::events::{self, CsatRequest, EventKind, TicketEvent};
use buoy_shared::messages::Locale;
use buoy_shared::panel::escape_html;
use buoy_shared::problem::Problem;
use buoy_shared::sla::{self, Metric, NamedCalendars};
use buoy_shared::ticket::{Status, Ticket};
use buoy_shared::time::Timestamp;

/// The `send_email` binding (`[[send_email]]` in the wrangler config):
/// present only where `buoy.toml` has a site with email; without it, no
/// mail is sent and nothing else changes.
pub const MAIL_BINDING: &str = "BUOY_MAIL";
/// The variable that turns on the development mail view (`/dev/mail`) and
/// the copies it shows; only `cargo xtask dev` sets it.
pub const DEV_MAIL_VAR: &str = "BUOY_DEV_MAIL";
/// Where the development mail view lives.
pub const DEV_MAIL_PATH: &str = "/dev/mail";
/// The variable that holds the worker's public origin
/// (`https://support.lumen.example`), for the links of mail the sweep
/// sends (breach and escalation notices); mail sent while answering a
/// request links to that request's origin.
pub const PUBLIC_URL_VAR: &str = "BUOY_PUBLIC_URL";
/// How many sent mails the development view shows.
pub const DEV_MAIL_SHOWN: u32 = 20;

/// What building a mail's links takes.
#[derive(Clone, Copy, Debug)]
pub struct Links<'a> {
    /// `BUOY_SECRET`: signs reply addresses, Message-IDs and link tokens.
    pub secret: &'a [u8],
    /// The worker's origin, such as `https://support.lumen.example`.
    pub origin: &'a str,
}

/// A recipient's part of a mail's outbox id, so one event can mail the
/// requester and an agent under ids of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Requester,
    Agent,
}

impl Who {
    const fn tag(self) -> &'static str {
        match self {
            Self::Requester => "requester",
            Self::Agent => "agent",
        }
    }
}

/// The outbox entry of a mail about `ticket` for `event_id`; `typed`
/// when it goes to an address nobody vouched for, which the sweep sends
/// within `limits::TYPED_RECIPIENT_PER_HOUR`.
fn pending(links: &Links<'_>, ticket: &Ticket, event_id: &str, who: Who, typed: bool, out: Outgoing) -> Option<PendingMail> {
    // mail-builder encodes every part and header as 7-bit text.
    let raw = match String::from_utf8(out.raw) {
        Ok(raw) => raw,
        Err(e) => {
            crate::log_error(&format!("mail for {} {event_id} is not text: {e}", ticket.id));
            return None;
        }
    };
    Some(PendingMail {
        id: format!("{}.{event_id}.{}", ticket.id, who.tag()),
        site: ticket.site.clone(),
        address_key: token::address_key(links.secret, &ticket.site, &out.to),
        from: out.from,
        to: out.to,
        message_id: out.message_id,
        raw,
        typed,
        attempts: 0,
    })
}

/// A site's side of its mail, where it has `[sites.<id>.email]`.
fn site_of<'a>(config: &'a Config, links: &Links<'a>, ticket: &'a Ticket) -> Option<(outbound::Site<'a>, &'a SiteConfig)> {
    let site_config = config.site(ticket.site.as_str())?;
    let email = site_config.email.as_ref()?;
    Some((outbound::Site { id: &ticket.site, name: &site_config.name, email, base_url: links.origin, secret: links.secret }, site_config))
}

/// The language of the requester's mail: the one their panel spoke (the
/// ticket's `context.locale`), or the site's default for a ticket that
/// came by mail.
/// The language a ticket's requester reads: the one their panel spoke
/// (the ticket's page context), else the site's default.
pub(crate) fn requester_locale(site: &SiteConfig, ticket: &Ticket) -> Locale {
    ticket.context.locale.as_deref().and_then(Locale::parse_tag).unwrap_or_else(|| site.locale())
}

/// The zone a ticket's requester reads times in: their browser's, where
/// the ticket's page context names one this worker knows, else
/// `fallback` (the business calendar's, which the text then names).
pub(crate) fn requester_zone(ticket: &Ticket, fallback: &jiff::tz::TimeZone) -> jiff::tz::TimeZone {
    ticket.context.time_zone.as_deref().and_then(|name| jiff::tz::TimeZone::get(name).ok()).unwrap_or_else(|| fallback.clone())
}

/// What a mail about `ticket` for `event_id` is about: our mail answers
/// the requester's own first mail, for a ticket opened by email.
fn about<'a>(ticket: &'a Ticket, event_id: &'a str) -> About<'a> {
    About { ticket: ticket.id, event_id, origin: ticket.first_mail.as_ref().map(|m| m.message_id.as_str()) }
}

/// The mails `event` sends, given the ticket's events `before` it and the
/// attachment events of its `files`:
/// - to the requester (where the site emails requesters, the ticket has
///   an address, and its requester did not untick "Email me replies"):
///   an agent's public reply (with a signed link to each of its public
///   files), and the ticket solved (with the rating links);
/// - to an agent with an address in `buoy.toml`: a ticket assigned to
///   them by someone else, a breach of one assigned to them, and an
///   escalation that assigns them.
///
/// A site without `[sites.<id>.email]` sends nothing.
pub fn mails_for(
    config: &Config,
    links: &Links<'_>,
    ticket: &Ticket,
    before: &[TicketEvent],
    event: &TicketEvent,
    files: &[TicketEvent],
    now: Timestamp,
) -> Vec<PendingMail> {
    let Some((site, site_config)) = site_of(config, links, ticket) else { return Vec::new() };
    let mut out = Vec::new();

    let attached: Vec<Attached<'_>> = files
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Attachment { file, message, public: true, .. } if *message == event.id => {
                Some(Attached { id: &file.id, name: &file.name, size: file.size })
            }
            _ => None,
        })
        .collect();
    let to_requester = match &event.kind {
        EventKind::Message { by, agent: true, public: true, body, .. } => {
            Some(ToRequester::AgentReply { agent: by, body, files: &attached })
        }
        EventKind::Changed { status: Some(Status::Solved), .. } => Some(ToRequester::Solved),
        _ => None,
    };
    if let Some(mail) = to_requester.filter(|_| site_config.emails_requesters() && ticket.email_replies) {
        let mut recent = vec![Said { by: "", body: &ticket.message }];
        recent.extend(before.iter().filter_map(|e| match &e.kind {
            EventKind::Message { by, agent, public: true, body, .. } => Some(Said { by: if *agent { by.as_str() } else { "" }, body }),
            _ => None,
        }));
        let thread = Thread { subject: &ticket.subject, recent: &recent };
        if let Some(to) = Recipient::of(&ticket.requester, thread) {
            let typed = matches!(to, Recipient::Unverified { .. });
            let mail = outbound::to_requester(&site, &about(ticket, &event.id), to, mail, requester_locale(site_config, ticket), now);
            out.extend(pending(links, ticket, &event.id, Who::Requester, typed, mail));
        }
    }

    let to_agent = match &event.kind {
        EventKind::Changed { by, assignee: Some(name), .. } if !name.is_empty() && name != by => Some((name.clone(), ToAgent::Assigned)),
        EventKind::Breached { metric, .. } => events::fold(ticket, before).assignee.map(|name| (name, ToAgent::Breached(*metric))),
        EventKind::Escalated { assign: Some(name), reason, .. } => Some((name.clone(), ToAgent::Escalated { reason })),
        _ => None,
    };
    let address = to_agent.as_ref().and_then(|(name, _)| {
        config.agents.iter().find(|a| &a.name == name && a.site == ticket.site.as_str()).and_then(|a| a.email.as_deref())
    });
    if let (Some((_, mail)), Some(address)) = (to_agent, address) {
        // Its own Message-ID: a mail to the requester may share the event.
        let event_id = format!("{}/agent", event.id);
        let mail = outbound::to_agent(&site, &about(ticket, &event_id), address, &ticket.subject, mail, now);
        out.extend(pending(links, ticket, &event.id, Who::Agent, false, mail));
    }
    out
}

/// The event id of a ticket's acknowledgement (it has no event of its own).
pub const ACKNOWLEDGED: &str = "acknowledged";

/// The acknowledgement of a request that came by email, where the site
/// emails requesters: its reference, and when a first reply is due, from
/// the ticket's SLA stamp and the business calendar, said in the
/// requester's zone where the ticket knows it, else in `zone`.
/// It answers the requester's own mail, so their client threads it.
pub fn acknowledgement(
    config: &Config,
    links: &Links<'_>,
    ticket: &Ticket,
    business: &dyn NamedCalendars,
    zone: &jiff::tz::TimeZone,
    now: Timestamp,
) -> Option<PendingMail> {
    let (site, site_config) = site_of(config, links, ticket)?;
    if !site_config.emails_requesters() {
        return None;
    }
    let to = Recipient::of(&ticket.requester, Thread { subject: &ticket.subject, recent: &[] })?;
    let due = sla::initial_due(&ticket.sla, business).into_iter().find(|(metric, _)| *metric == Metric::FirstResponse);
    let zone = requester_zone(ticket, zone);
    let mail = ToRequester::Acknowledged { due: due.map(|(_, at)| (at, &zone)) };
    let typed = matches!(to, Recipient::Unverified { .. });
    let locale = requester_locale(site_config, ticket);
    pending(
        links,
        ticket,
        ACKNOWLEDGED,
        Who::Requester,
        typed,
        outbound::to_requester(&site, &about(ticket, ACKNOWLEDGED), to, mail, locale, now),
    )
}

/// Puts `mails` (see [`mails_for`]) in the outbox, due now.
///
/// # Errors
/// When KV fails.
pub async fn queue<K: Kv>(store: &TicketStore<K>, mails: Vec<PendingMail>, now: Timestamp) -> Result<(), AppError> {
    for mail in mails {
        store.mail_put(now, &mail).await?;
    }
    Ok(())
}

/// A small text-only page (the API's strict CSP: no script, no style, no
/// image), with at most one form that POSTs back to `action`.
fn page(status: u16, title: &str, lines: &[&str], form: Option<(&str, &str)>) -> ApiResponse {
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\">\
         <meta name=\"referrer\" content=\"no-referrer\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{0}</title></head><body><main><h1>{0}</h1>",
        escape_html(title)
    );
    for line in lines {
        html.push_str(&format!("<p>{}</p>", escape_html(line)));
    }
    if let Some((action, button)) = form {
        // The one-click body of RFC 8058, which the rating ignores.
        html.push_str(&format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
             <button type=\"submit\">{}</button></form>",
            escape_html(action),
            escape_html(button)
        ));
    }
    html.push_str("</main></body></html>");
    ApiResponse {
        status,
        headers: vec![
            ("content-type", "text/html; charset=utf-8".to_owned()),
            ("cache-control", "no-store".to_owned()),
            ("x-content-type-options", "nosniff".to_owned()),
            ("referrer-policy", "no-referrer".to_owned()),
        ],
        body: html.into_bytes(),
    }
}

/// A link that does not work: forged, altered, expired, or for a ticket
/// that is gone, all a `400`, with a sentence that says which.
fn link_refused(error: TokenError) -> ApiResponse {
    page(400, "This link does not work", &[&format!("Sorry: {error}.")], None)
}

/// The rating a link gives: `r=good` or `r=bad`.
fn answer(request: &ApiRequest) -> Option<bool> {
    match request.query_param("r").as_deref() {
        Some("good") => Some(true),
        Some("bad") => Some(false),
        _ => None,
    }
}

/// The link's own path and query, for the form that confirms it.
fn same_link(request: &ApiRequest) -> String {
    format!("{}?{}", request.path, request.query)
}

/// `GET /v1/email/rate?t=…&r=good|bad`: asks to confirm the rating with a
/// button (a POST), so a mail scanner that follows the link rates nothing.
/// Shows the reference only: never the thread, never a requester token.
///
/// # Errors
/// When `BUOY_SECRET` is not set.
pub fn rate_page<K>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let ticket = match check_rating_token(api::secret(app)?, &request.query_param("t").unwrap_or_default(), app.now) {
        Ok(ticket) => ticket,
        Err(e) => return Ok(link_refused(e)),
    };
    let Some(satisfied) = answer(request) else { return Ok(link_refused(TokenError::Malformed)) };
    let choice = if satisfied { "Yes, it is solved." } else { "No, it is not solved." };
    let question = format!("Did we solve your problem? Your answer for request {}: {choice}", ticket.reference());
    Ok(page(200, "Rate your request", &[&question], Some((&same_link(request), "Send my rating"))))
}

/// `POST /v1/email/rate?t=…&r=good|bad`: records the rating once, through
/// the same rules and event as the panel's rating.
///
/// # Errors
/// When `BUOY_SECRET` is not set or storage fails.
pub async fn rate<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let id = match check_rating_token(api::secret(app)?, &request.query_param("t").unwrap_or_default(), app.now) {
        Ok(ticket) => ticket,
        Err(e) => return Ok(link_refused(e)),
    };
    let Some(satisfied) = answer(request) else { return Ok(link_refused(TokenError::Malformed)) };
    let Some(ticket) = app.store.get(&id).await? else { return Ok(link_refused(TokenError::BadMac)) };
    let reference = ticket.reference.to_string();
    match api::rate(app, ticket, CsatRequest { satisfied, comment: None }).await {
        Ok(_) => Ok(page(200, "Thank you", &[&format!("Your rating of request {reference} is recorded.")], None)),
        Err(AppError::Problem(Problem::AlreadyRated)) => {
            Ok(page(409, "Already rated", &[&format!("Request {reference} has a rating already; it is kept as it was.")], None))
        }
        Err(AppError::Problem(Problem::NotSolved)) => {
            Ok(page(409, "Not solved", &[&format!("Request {reference} is open again, so it cannot be rated now.")], None))
        }
        Err(e) => Err(e),
    }
}

/// `GET /v1/email/unsubscribe?t=…`: asks to confirm with a button.
///
/// # Errors
/// When `BUOY_SECRET` is not set.
pub fn unsubscribe_page<K>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let off = match check_unsubscribe_token(api::secret(app)?, &request.query_param("t").unwrap_or_default(), app.now) {
        Ok(off) => off,
        Err(e) => return Ok(link_refused(e)),
    };
    let name = app.config.site(off.site.as_str()).map_or("this site", |s| s.name.as_str());
    let line = format!("Stop the emails {name} sends you about your requests?");
    Ok(page(200, "Stop these emails", &[&line], Some((&same_link(request), "Stop the emails"))))
}

/// `POST /v1/email/unsubscribe?t=…` (the RFC 8058 one-click POST, or the
/// page's button): turns mail off for that address on that site.
///
/// # Errors
/// When `BUOY_SECRET` is not set or storage fails.
pub async fn unsubscribe<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let off = match check_unsubscribe_token(api::secret(app)?, &request.query_param("t").unwrap_or_default(), app.now) {
        Ok(off) => off,
        Err(e) => return Ok(link_refused(e)),
    };
    let suppression = Suppression { at: app.now.as_millis(), why: UNSUBSCRIBED.into() };
    app.store.suppress(&off.site, &off.address_key, &suppression).await?;
    let name = app.config.site(off.site.as_str()).map_or("this site", |s| s.name.as_str());
    Ok(page(200, "Done", &[&format!("{name} will not email you about your requests any more.")], None))
}

/// The development mail view: the latest sent mails, newest first, each
/// as `outbound::preview` shows it, as plain text; a 404 unless `cargo xtask dev` turned it on.
///
/// # Errors
/// When KV fails.
pub async fn dev_mail<K: Kv>(store: &TicketStore<K>, on: bool) -> Result<ApiResponse, AppError> {
    if !on {
        return Err(Problem::NotFound.into());
    }
    let mails = store.dev_mails(DEV_MAIL_SHOWN).await?;
    let mut text =
        format!("{} sent mail(s), newest first, each with its headers as sent and its text (cargo xtask dev only).\n", mails.len());
    for raw in mails {
        text.push_str("\n======================================================================\n");
        text.push_str(&outbound::preview(raw.as_bytes()));
        text.push('\n');
    }
    Ok(ApiResponse {
        status: 200,
        headers: vec![
            ("content-type", "text/plain; charset=utf-8".to_owned()),
            ("cache-control", "no-store".to_owned()),
            ("x-content-type-options", "nosniff".to_owned()),
        ],
        body: text.into_bytes(),
    })
}
