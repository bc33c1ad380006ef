//! The `/v1` API: each handler parses, calls `shared`, stores, responds.

use crate::error::AppError;
use crate::http::{ApiRequest, ApiResponse, Method};
use crate::mail_out;
use crate::room::{room_name, Beat, Claim, Seen};
use crate::store::{Kv, PendingDelivery, TicketStore};
use buoy_shared::attach::{self, FileInfo, Refusal};
use buoy_shared::collision::{self, Verdict};
use buoy_shared::config::{Config, EventType, Format};
use buoy_shared::deflection::NewDeflection;
use buoy_shared::events::{self, ChangeRequest, Csat, CsatRefusal, CsatRequest, EventKind, TicketEvent, TicketState, CSAT_EVENT_ID};
use buoy_shared::fields;
use buoy_shared::identity;
use buoy_shared::ids::{SiteId, TicketId, TicketRef};
use buoy_shared::keys;
use buoy_shared::messages::{self, Locale};
use buoy_shared::metrics::{self, Facts, Period};
use buoy_shared::problem::{body_cap, is_valid_idempotency_key, replayable, Problem};
use buoy_shared::queue::{self, QueueFilter, QueueRow};
use buoy_shared::routing::{self, RoutingInput};
use buoy_shared::site_types;
use buoy_shared::sla::{self, Clock, Hours, NamedCalendars};
use buoy_shared::ticket::{
    Channel, Field, FieldCode, FieldError, FirstMail, NewTicket, PageContext, Priority, Segment, Signed, Stamp, Status, Ticket, TicketType,
};
use buoy_shared::time::Timestamp;
use buoy_shared::turnstile;
use buoy_shared::webhook;
use serde::{Deserialize, Serialize};

pub use buoy_shared::ticket::REQUESTER_TOKEN_HEADER;
/// Tickets in one page of the agent queue, unless asked otherwise.
pub const DEFAULT_PAGE: u32 = 50;
/// The most tickets one page of the agent queue holds.
pub const MAX_PAGE: u32 = 100;

/// An agent's bearer token, read from the secret `buoy.toml` names.
#[derive(Debug, Clone)]
pub struct AgentToken {
    /// The agent's name.
    pub agent: String,
    /// Their site.
    pub site: SiteId,
    /// The token.
    pub token: String,
}

/// Posts a form to Turnstile's `siteverify` and gives back the answer's
/// body (Workers `fetch` at the edge, a stand-in in tests).
pub trait Siteverify {
    /// `POST url` with an `application/x-www-form-urlencoded` body.
    fn post<'a>(&'a self, url: &'a str, form: String) -> futures_util::future::LocalBoxFuture<'a, Result<Vec<u8>, String>>;
}

/// What checking a Turnstile token takes.
pub struct TurnstileCheck<'a> {
    /// The `siteverify` URL (`BUOY_TURNSTILE_VERIFY_URL`, or Cloudflare's).
    pub verify_url: &'a str,
    /// The Turnstile secrets that are set, by name.
    pub secrets: &'a [(String, String)],
    /// How the call is made.
    pub client: &'a dyn Siteverify,
}

impl core::fmt::Debug for dyn crate::files::Files + '_ {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Files")
    }
}

impl core::fmt::Debug for TurnstileCheck<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TurnstileCheck").field("verify_url", &self.verify_url).finish_non_exhaustive()
    }
}

/// Everything a request is handled with; built fresh for each request at
/// the edge, and by hand in tests.
#[derive(Debug)]
pub struct App<'a, K> {
    /// The compiled-in configuration.
    pub config: &'a Config,
    /// The business calendars, by name: a ticket's stamp names the one
    /// its business-hour targets count in.
    pub business: &'a dyn NamedCalendars,
    /// The default business calendar's time zone (metrics may be asked in it).
    pub zone: Option<&'a jiff::tz::TimeZone>,
    /// Ticket storage.
    pub store: TicketStore<K>,
    /// `BUOY_SECRET`, which keys ticket ids and requester tokens.
    pub secret: Option<&'a [u8]>,
    /// The agents whose token secrets are set.
    pub agents: &'a [AgentToken],
    /// The identity secrets that are set, by name.
    pub identity_secrets: &'a [(String, String)],
    /// How Turnstile tokens are verified; none where no site uses it.
    pub turnstile: Option<&'a TurnstileCheck<'a>>,
    /// The time the request arrived.
    pub now: Timestamp,
    /// A random id for a ticket created without an idempotency key.
    pub fresh_id: TicketId,
    /// The worker's origin as the request reached it
    /// (`https://support.lumen.example`), for the links in mail.
    pub origin: &'a str,
    /// The attachments' bucket; none where the deployment has no R2
    /// binding (then no site takes attachments).
    pub files: Option<&'a dyn crate::files::Files>,
    /// The tickets' rooms (collision checks, presence); none where the
    /// worker has no `BUOY_ROOMS` binding: then an `If-Match` is checked
    /// against the KV list alone, and nobody is present.
    pub rooms: Option<&'a dyn crate::room::Rooms>,
    /// The ticket word index; none where the deployment has no D1
    /// binding (then the search finds references and emails only).
    pub words: Option<&'a dyn crate::search::WordIndex>,
    /// How Cloudflare Access sign-ins are checked; none where `buoy.toml`
    /// has no `[access]` (then only bearer tokens sign agents in).
    pub access: Option<&'a crate::agents::AccessCheck<'a>>,
    /// The published knowledge base's files (suggested articles, article
    /// pages); none where the worker has no `ASSETS` binding (host tests
    /// that do not need them).
    pub articles: Option<&'a dyn crate::articles::KbFiles>,
}

/// Answers one `/v1` request; every error becomes a problem response here.
///
/// The requester's endpoints (`/v1/tickets…`, `/v1/deflections`) answer
/// pages of the sites' allowed origins with CORS: exactly that origin is
/// echoed, with `Vary: Origin`, never `*`, never credentials. The agents'
/// endpoints are same-origin only (the console lives on this origin).
pub async fn handle<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> ApiResponse {
    let public = request.path == "/v1/tickets"
        || request.path.starts_with("/v1/tickets/")
        || request.path == "/v1/deflections"
        || request.path == "/v1/uploads";
    let allowed = request.header("origin").and_then(|o| app.config.cors_origin(o)).filter(|_| public).map(str::to_owned);
    let response = if public && request.method == Method::Options {
        let response = ApiResponse { status: 204, headers: Vec::new(), body: Vec::new() };
        match &allowed {
            Some(_) => response
                .header("access-control-allow-methods", "GET, POST")
                .header(
                    "access-control-allow-headers",
                    "content-type, idempotency-key, buoy-requester-token, buoy-turnstile, buoy-file-name",
                )
                .header("access-control-max-age", "600"),
            None => response,
        }
    } else {
        route(app, request).await.unwrap_or_else(AppError::into_response)
    };
    match (public, allowed) {
        (true, Some(origin)) => response.header("access-control-allow-origin", origin).header("vary", "Origin"),
        (true, None) => response.header("vary", "Origin"),
        (false, _) => response,
    }
}

async fn route<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let path: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let not_allowed = |allow: &str| Ok(AppError::Problem(Problem::MethodNotAllowed).into_response().header("allow", allow));
    match (request.method, path.as_slice()) {
        (Method::Post, ["v1", "tickets"]) => create_ticket(app, request).await,
        (Method::Post, ["v1", "uploads"]) => upload(app, request, false).await,
        (Method::Post, ["v1", "agent", "uploads"]) => upload(app, request, true).await,
        (Method::Get, ["v1", "tickets", id, "files", file]) => requester_file(app, request, id, file).await,
        (Method::Get, ["v1", "agent", "tickets", id, "files", file]) => agent_file(app, request, id, file).await,
        (Method::Get, ["v1", "files", link]) => linked_file(app, link).await,
        (Method::Post, ["v1", "deflections"]) => record_deflection(app, request).await,
        // Before the `{id}` arms: "mine" is no ticket id.
        (Method::Post, ["v1", "tickets", "mine"]) => my_tickets(app, request).await,
        (_, ["v1", "tickets", "mine"]) => not_allowed("POST"),
        (Method::Get, ["v1", "tickets", id]) => read_ticket(app, request, id).await,
        (Method::Get, ["v1", "agent", "tickets"]) => agent_queue(app, request).await,
        (Method::Get, ["v1", "agent", "tickets", id]) => agent_ticket(app, request, id).await,
        (Method::Get, ["v1", "agent", "tickets", id, "originals", name]) => agent_original(app, request, id, name).await,
        (Method::Post, ["v1", "agent", "tickets", id, "segment"]) => set_segment(app, request, id).await,
        (Method::Post, ["v1", "agent", "tickets", id, "messages"]) => agent_message(app, request, id).await,
        (Method::Post, ["v1", "agent", "tickets", id, "changes"]) => agent_change(app, request, id).await,
        (Method::Post, ["v1", "agent", "tickets", id, "presence"]) => agent_presence(app, request, id).await,
        (Method::Post, ["v1", "agent", "bulk"]) => agent_bulk(app, request).await,
        (Method::Post, ["v1", "tickets", id, "messages"]) => requester_message(app, request, id).await,
        (Method::Post, ["v1", "tickets", id, "csat"]) => requester_csat(app, request, id).await,
        (Method::Get, ["v1", "email", "rate"]) => mail_out::rate_page(app, request),
        (Method::Post, ["v1", "email", "rate"]) => mail_out::rate(app, request).await,
        (Method::Get, ["v1", "email", "unsubscribe"]) => mail_out::unsubscribe_page(app, request),
        (Method::Post, ["v1", "email", "unsubscribe"]) => mail_out::unsubscribe(app, request).await,
        (Method::Get, ["v1", "agent", "me"]) => agent_me(app, request).await,
        (Method::Get, ["v1", "agent", "agents"]) => crate::agents::list(app, request).await,
        (Method::Post, ["v1", "agent", "agents"]) => crate::agents::add(app, request).await,
        (Method::Post, ["v1", "agent", "agents", email]) => crate::agents::change(app, request, email).await,
        (Method::Post, ["v1", "agent", "agents", email, "remove"]) => crate::agents::remove(app, request, email).await,
        (Method::Get, ["v1", "agent", "audit"]) => crate::agents::audit(app, request).await,
        (_, ["v1", "agent", "agents"]) => not_allowed("GET, POST"),
        (_, ["v1", "agent", "agents", _] | ["v1", "agent", "agents", _, "remove"]) => not_allowed("POST"),
        (_, ["v1", "agent", "audit"]) => not_allowed("GET"),
        (Method::Get, ["v1", "agent", "canned"]) => crate::canned::list(app, request).await,
        (Method::Post, ["v1", "agent", "canned"]) => crate::canned::add(app, request).await,
        (Method::Post, ["v1", "agent", "canned", id]) => crate::canned::change(app, request, id).await,
        (Method::Post, ["v1", "agent", "canned", id, "remove"]) => crate::canned::remove(app, request, id).await,
        (Method::Get, ["v1", "agent", "tickets", id, "canned", cid]) => crate::canned::render(app, request, id, cid).await,
        (_, ["v1", "agent", "canned"]) => not_allowed("GET, POST"),
        (_, ["v1", "agent", "canned", _] | ["v1", "agent", "canned", _, "remove"]) => not_allowed("POST"),
        (_, ["v1", "agent", "tickets", _, "canned", _]) => not_allowed("GET"),
        (Method::Get, ["v1", "agent", "search"]) => crate::find::search(app, request).await,
        (Method::Post, ["v1", "agent", "search", "rebuild"]) => crate::find::rebuild(app, request).await,
        (_, ["v1", "agent", "search"]) => not_allowed("GET"),
        (_, ["v1", "agent", "search", "rebuild"]) => not_allowed("POST"),
        (Method::Post, ["v1", "agent", "privacy", "export"]) => crate::privacy::export(app, request).await,
        (Method::Post, ["v1", "agent", "privacy", "erase"]) => crate::privacy::erase(app, request).await,
        (_, ["v1", "agent", "privacy", "export" | "erase"]) => not_allowed("POST"),
        (Method::Get, ["v1", "agent", "tickets", id, "articles"]) => crate::articles::suggested(app, request, id).await,
        (Method::Get, ["v1", "articles", locale, id]) => crate::articles::page(app, locale, id).await,
        (_, ["v1", "agent", "tickets", _, "articles"] | ["v1", "articles", _, _]) => not_allowed("GET"),
        (Method::Get, ["v1", "agent", "metrics"]) => agent_metrics(app, request, false).await,
        (Method::Get, ["v1", "agent", "metrics.csv"]) => agent_metrics(app, request, true).await,
        (
            _,
            ["v1", "tickets"]
            | ["v1", "deflections"]
            | ["v1", "uploads"]
            | ["v1", "agent", "uploads"]
            | ["v1", "tickets", _, "messages" | "csat"]
            | ["v1", "agent", "tickets", _, "segment" | "messages" | "changes"],
        ) => not_allowed("POST"),
        (_, ["v1", "agent", "tickets", _, "presence"] | ["v1", "agent", "bulk"]) => not_allowed("POST"),
        (
            _,
            ["v1", "tickets", _]
            | ["v1", "agent", "tickets"]
            | ["v1", "agent", "tickets", _]
            | ["v1", "agent", "tickets", _, "originals", _]
            | ["v1", "tickets", _, "files", _]
            | ["v1", "files", _]
            | ["v1", "agent", "tickets", _, "files", _]
            | ["v1", "agent", "me" | "metrics" | "metrics.csv"],
        ) => not_allowed("GET"),
        (_, ["v1", "email", "rate" | "unsubscribe"]) => not_allowed("GET, POST"),
        _ => Err(Problem::NotFound.into()),
    }
}

/// What the requester receives when a ticket is created (and again for a
/// retry with the same `Idempotency-Key`).
#[derive(Serialize)]
struct Created {
    id: TicketId,
    reference: TicketRef,
    requester_token: String,
    status: Status,
    created_at: Timestamp,
    /// When a first reply is due, from the ticket's SLA stamp.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_response_due: Option<Timestamp>,
    /// Which hours that target counts: `business` or `calendar`.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_response_hours: Option<Hours>,
    /// The target's span, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_response_seconds: Option<i64>,
    /// What the requester is told, in the ticket's language and their
    /// browser's zone (else the business calendar's, named).
    #[serde(skip_serializing_if = "Option::is_none")]
    first_response_line: Option<String>,
}

/// A message of the public thread, as the requester sees it.
#[derive(Serialize)]
struct ThreadMessage<'a> {
    /// `you`, or the agent's name.
    from: &'a str,
    body: &'a str,
    at: Timestamp,
    /// Its files (public ones only: the requester's view).
    attachments: Vec<&'a FileInfo>,
}

/// A ticket as its requester sees it: its status and public thread; no
/// SLA internals, no tier, no internal notes.
#[derive(Serialize)]
struct RequesterView<'a> {
    id: TicketId,
    reference: TicketRef,
    status: Status,
    messages: Vec<ThreadMessage<'a>>,
    #[serde(rename = "type")]
    kind: &'a TicketType,
    subject: &'a str,
    message: &'a str,
    name: &'a str,
    email: &'a str,
    created_at: Timestamp,
    /// The files sent with the ticket's first message.
    attachments: Vec<&'a FileInfo>,
    /// The requester's rating, once given.
    #[serde(skip_serializing_if = "Option::is_none")]
    csat: Option<Csat>,
}

/// A ticket as agents see it: the record, its current state, its clocks
/// (with the time left on each) and its history.
#[derive(Serialize)]
pub(crate) struct AgentView {
    #[serde(flatten)]
    ticket: Ticket,
    /// The address mail about the ticket is answered at, on a site with
    /// email: an answer sent there joins the thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_address: Option<String>,
    /// Why mail to the requester's address is stopped (a bounce), when it
    /// is: shown on one ticket's view, not read for every queue row.
    #[serde(skip_serializing_if = "Option::is_none")]
    mail_suppressed: Option<crate::store::Suppression>,
    state: TicketState,
    clocks: Vec<Clock>,
    next_due: Option<Timestamp>,
    #[serde(serialize_with = "events_with_files")]
    events: Vec<TicketEvent>,
    /// The files sent with the ticket's first message.
    attachments: Vec<FileInfo>,
}

/// `POST /v1/agent/tickets/{id}/segment`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SegmentChange {
    segment: Segment,
}

pub(crate) fn secret<'a, K>(app: &App<'a, K>) -> Result<&'a [u8], AppError> {
    app.secret.filter(|s| !s.is_empty()).ok_or_else(|| AppError::Internal("the BUOY_SECRET secret is not set".into()))
}

/// A request body that names uploads to attach (`"attachments": ["up_…"]`)
/// beside the fields of `T`, which still refuses any field it does not know.
struct WithFiles<T> {
    inner: T,
    attachments: Vec<String>,
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for WithFiles<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        // An object first: any other shape is refused before it is descended into.
        let mut fields = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let attachments = match fields.remove("attachments") {
            Some(list) => Vec::<String>::deserialize(list).map_err(|e| D::Error::custom(format!("attachments: {e}")))?,
            None => Vec::new(),
        };
        let inner = T::deserialize(serde_json::Value::Object(fields)).map_err(D::Error::custom)?;
        Ok(Self { inner, attachments })
    }
}

pub(crate) fn read_json_body<T: serde::de::DeserializeOwned>(request: &ApiRequest) -> Result<T, AppError> {
    let media_type = request.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media_type != "application/json" {
        return Err(Problem::UnsupportedMediaType.into());
    }
    if request.body.len() > body_cap(&request.path) {
        return Err(Problem::PayloadTooLarge.into());
    }
    serde_json::from_slice(&request.body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => AppError::InvalidRequest(e.to_string()),
        _ => AppError::Problem(Problem::MalformedJson),
    })
}

fn created<K>(app: &App<'_, K>, app_secret: &[u8], ticket: &Ticket, status: u16) -> ApiResponse {
    let first = sla::first_response(&ticket.sla, app.business);
    let locale = app.config.site(ticket.site.as_str()).map(|site| mail_out::requester_locale(site, ticket));
    let body = Created {
        first_response_line: first.zip(locale).map(|((due, target), locale)| {
            let zone = mail_out::requester_zone(ticket, app.zone.unwrap_or(&jiff::tz::TimeZone::UTC));
            let line = messages::due_line(locale, target.hours == Hours::Business, target.span.as_secs());
            messages::fill(&line, "when", &buoy_shared::email::outbound::due_text(due, &zone, locale))
        }),
        first_response_due: first.map(|(due, _)| due),
        first_response_hours: first.map(|(_, target)| target.hours),
        first_response_seconds: first.map(|(_, target)| target.span.as_secs()),
        id: ticket.id,
        reference: ticket.reference,
        requester_token: keys::requester_token(app_secret, &ticket.id),
        status: ticket.status,
        created_at: ticket.created_at,
    };
    ApiResponse::json(status, &body).header("location", format!("/v1/tickets/{}", ticket.id))
}

/// `POST /v1/tickets`: validate, stamp, store, answer 201 — or, for a
/// repeated `Idempotency-Key`, answer 200 with the ticket already stored.
async fn create_ticket<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let WithFiles { inner: input, attachments } = read_json_body::<WithFiles<NewTicket>>(request)?;
    if !input.honeypot.is_empty() {
        return Err(Problem::SpamSuspected.into());
    }
    let types = app.config.site(&input.site).map_or(&[][..], |s| &s.types[..]);
    let defs = app.config.site(&input.site).map_or(&[][..], |s| s.fields.as_slice());
    input.validate_with(&site_types::offered(types), defs).map_err(AppError::Validation)?;
    let site = SiteId::parse(&input.site).ok().filter(|s| app.config.site(s.as_str()).is_some());
    let Some(site) = site else {
        return Err(AppError::Validation(vec![FieldError::new(Field::Site, FieldCode::UnknownSite)]));
    };
    let secret = secret(app)?;
    let site_config = app.config.site(site.as_str());
    let id = match request.header("idempotency-key") {
        Some(key) if !is_valid_idempotency_key(key) => return Err(Problem::InvalidIdempotencyKey.into()),
        Some(key) => {
            let id = keys::idempotent_ticket_id(secret, &site, key);
            if let Some(existing) = app.store.get(&id).await? {
                // A retry: the same answer for 24 hours, for the same body only.
                let hash = keys::request_hash(&request.body);
                replayable(existing.request_hash.as_deref(), existing.created_at.as_millis(), &hash, app.now.as_millis())?;
                // The first try may have stopped before its files were attached.
                let uploads = uploads_for(app, &site, Some(&existing.id), &attachments, None).await?;
                let files = attachment_events(existing.created_at, FIRST_MESSAGE, "requester", false, true, &uploads);
                attach_all(app, &existing.id, &files, &uploads).await?;
                return Ok(created(app, secret, &existing, 200).header("idempotent-replayed", "true"));
            }
            id
        }
        None => app.fresh_id,
    };
    if let Some(turnstile) = site_config.and_then(|s| s.turnstile.as_ref()) {
        check_turnstile(app, request, turnstile).await?;
    }
    // The segment, email and account manager come only from an identity
    // the site's secret vouches for; anything else is anonymous and `free`.
    let verified = verified_identity(app, &site, input.identity.as_ref());
    if verified.is_none() && site_config.is_some_and(|s| s.require_identity) {
        return Err(Problem::IdentityRequired.into());
    }
    let uploads = uploads_for(app, &site, None, &attachments, None).await?;
    let hash = request.header("idempotency-key").map(|_| keys::request_hash(&request.body));
    // The files' events are known before the ticket is stored (it is
    // received now), so its facts are written once, with them.
    let files = attachment_events(app.now, FIRST_MESSAGE, "requester", false, true, &uploads);
    let ticket = create(app, secret, input, id, verified, Via::Widget { request_hash: hash }, &files).await?;
    if !uploads.is_empty() {
        attach_all(app, &ticket.id, &files, &uploads).await?;
    }
    Ok(created(app, secret, &ticket, 201))
}

/// How a new ticket came.
#[derive(Debug)]
pub(crate) enum Via {
    /// The widget's form, with the hash of a request that carried an
    /// `Idempotency-Key`.
    Widget {
        /// The request body's hash.
        request_hash: Option<String>,
    },
    /// Mail to an intake address.
    Email(FirstMail),
}

/// Creates a validated ticket under `id`, from whichever channel it came
/// by: the segment from a verified identity (`free` without one), type
/// and priority from the routing rules and the tone lexicon, the SLA
/// stamp; stores it with its index entries and metric facts (counting
/// `files`, the events of the files its first message carries, which the
/// caller appends), and queues its `ticket.created` webhooks. The widget's
/// form and mail to an intake address both come through here.
///
/// The record is written first, so no index names a ticket not written;
/// then everything else at once, none of it depending on another: the
/// queue entry with its row, the sweep's first check, the verified user's
/// index, the facts and the webhook deliveries.
pub(crate) async fn create<K: Kv>(
    app: &App<'_, K>,
    secret: &[u8],
    mut input: NewTicket,
    id: TicketId,
    verified: Option<identity::Verified>,
    via: Via,
    files: &[TicketEvent],
) -> Result<Ticket, AppError> {
    let segment = verified.as_ref().map_or(Segment::Free, |v| v.segment);
    let types = app.config.site(&input.site).map_or(&[][..], |s| &s.types[..]);
    let mut offered = site_types::offered(types);
    // Mail names no type: it comes in as `other`, whatever the site lists.
    if matches!(via, Via::Email(_)) && !offered.contains(&TicketType::OTHER) {
        offered.push(TicketType::OTHER);
    }
    let kind = offered.iter().find(|kind| kind.as_str() == input.kind).cloned().unwrap_or(TicketType::OTHER);
    // What an identity signed is the worker's to set: the request's
    // context is what the page reported.
    let signed_context = verified.as_ref().map(|v| v.context.clone()).unwrap_or_default();
    if let Via::Widget { .. } = via {
        let defs = app.config.site(&input.site).map_or(&[][..], |s| s.fields.as_slice());
        let context = PageContext { verified: signed_context.clone(), ..input.context.clone() };
        input.fields = fields::check_values(defs, &input.fields, &context).map_err(AppError::Validation)?;
    } else {
        input.fields = fields::Pairs::new();
    }
    let routed = routing::route(
        &app.config.routing,
        &RoutingInput {
            kind,
            segment,
            locale: input.context.locale.as_deref(),
            subject: &input.subject,
            message: &input.message,
            fields: &input.fields,
        },
    );
    let calendar = app.config.calendar_name(&input.site, routed.group.as_deref()).to_owned();
    let stamp = Stamp {
        id,
        segment,
        priority: routed.priority,
        group: routed.group,
        tags: routed.tags,
        now: app.now,
        policy: &app.config.policies,
        calendar: &calendar,
        offered: &offered,
    };
    let checked = core::mem::take(&mut input.fields);
    let mut ticket = input.into_ticket(stamp).map_err(AppError::Validation)?;
    ticket.fields = checked;
    ticket.context.verified = signed_context;
    match via {
        Via::Widget { request_hash } => ticket.request_hash = request_hash,
        Via::Email(first_mail) => {
            ticket.channel = Channel::Email;
            ticket.first_mail = Some(first_mail);
        }
    }
    // What the identity signed is kept apart from what was typed: a typed
    // email or name never passes for a verified one.
    ticket.requester.signed = verified.map(|v| Signed { user_id: v.id, email: v.email, name: v.name, account_manager: v.account_manager });
    let playbooks = app.config.ticket_playbooks(ticket.site.as_str(), &ticket.kind);
    let check = events::next_check(&ticket, &[], app.now, app.business, &playbooks);
    app.store.insert(&ticket).await?;
    let row = QueueRow::build(&ticket, &[], app.now, app.business);
    let event_id = format!("{}.created", ticket.id);
    let (due, facts) = (queue::index_due(&ticket, app.business), Facts::of(&ticket, files, app.now, app.business));
    let (queued, checked, indexed, found_by, stored_facts, hooks) = futures_util::join!(
        app.store.put_row(&ticket, due, &row, false),
        async {
            match check {
                Some(at) => app.store.schedule_check(&ticket.id, at).await,
                None => Ok(()),
            }
        },
        index_verified(app, secret, &ticket),
        crate::find::index_new(app, secret, &ticket),
        app.store.put_facts(&ticket, &facts, app.now),
        queue_webhooks(app, EventType::TicketCreated, &event_id, |format| webhook::created_body(format, &ticket, app.now)),
    );
    queued?;
    checked?;
    indexed?;
    found_by?;
    stored_facts?;
    hooks?;
    Ok(ticket)
}

/// Verifies the request's Turnstile token for a site that asks for one:
/// a missing, forged, reused or misdirected token is `turnstile_failed`
/// (nothing is stored; the panel keeps the text), an unreachable
/// `siteverify` is `turnstile_unavailable` (the panel tries again).
async fn check_turnstile<K: Kv>(app: &App<'_, K>, request: &ApiRequest, site: &buoy_shared::config::Turnstile) -> Result<(), AppError> {
    let token = request.header(turnstile::HEADER).filter(|t| turnstile::is_plausible_token(t));
    let Some(token) = token else {
        return Err(Problem::TurnstileFailed.into());
    };
    let check = app.turnstile.ok_or_else(|| AppError::Internal("Turnstile is configured but cannot be called".into()))?;
    let secret = check.secrets.iter().find(|(name, _)| *name == site.secret).map(|(_, value)| value.as_str());
    let secret = secret.ok_or_else(|| AppError::Internal(format!("the {} secret is not set", site.secret)))?;
    let form = turnstile::verify_form(secret, token, request.header("cf-connecting-ip"), None);
    let answer = check.client.post(check.verify_url, form).await.map_err(|e| {
        crate::log_error(&format!("turnstile siteverify: {e}"));
        AppError::Problem(Problem::TurnstileUnavailable)
    })?;
    let hostname = turnstile::hostname_of(request.header("host").unwrap_or(""));
    turnstile::judge(&answer, hostname, turnstile::ACTION).map_err(|refusal| {
        crate::log_error(&format!("turnstile refused: {refusal:?}"));
        if refusal == turnstile::Refusal::Unreadable {
            AppError::Problem(Problem::TurnstileUnavailable)
        } else {
            AppError::Problem(Problem::TurnstileFailed)
        }
    })
}

/// `POST /v1/deflections` `{"site", "type", "outcome": "fixed" | "need_help"}`:
/// how a guided fix ended, kept for the deflection rate.
async fn record_deflection<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let input: NewDeflection = read_json_body(request)?;
    let deflection = input.validate(app.now).map_err(AppError::Validation)?;
    if app.config.site(deflection.site.as_str()).is_none() {
        return Err(AppError::Validation(vec![FieldError::new(Field::Site, FieldCode::UnknownSite)]));
    }
    app.store.record_deflection(&deflection, &app.fresh_id).await?;
    Ok(ApiResponse::json(201, &deflection))
}

/// `GET /v1/tickets/{id}` with the requester token: a wrong token and a
/// missing ticket are the same 404.
async fn read_ticket<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let ticket = requester_owned(app, request, id).await?;
    let events = app.store.events(&ticket.id).await?;
    Ok(ApiResponse::json(200, &requester_view(&ticket, &events)))
}

fn requester_view<'a>(ticket: &'a Ticket, events: &'a [TicketEvent]) -> RequesterView<'a> {
    let files = |message: &str| files_of(events, message, false);
    let messages = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Message { by, agent, public: true, body, .. } => {
                Some(ThreadMessage { from: if *agent { by } else { "you" }, body, at: e.at, attachments: files(&e.id) })
            }
            _ => None,
        })
        .collect();
    let state = events::fold(ticket, events);
    RequesterView {
        id: ticket.id,
        reference: ticket.reference,
        status: state.status,
        csat: state.csat,
        messages,
        kind: &ticket.kind,
        subject: &ticket.subject,
        message: &ticket.message,
        name: &ticket.requester.typed.name,
        email: &ticket.requester.typed.email,
        created_at: ticket.created_at,
        attachments: files(FIRST_MESSAGE),
    }
}

/// The message id the files sent with a new ticket belong to (its first
/// message is the ticket's own `message`, not an event).
pub const FIRST_MESSAGE: &str = "first";

/// The files of `message`, in the order they were attached; with
/// `internal`, those of internal notes too (agents), else public ones only.
fn files_of<'a>(events: &'a [TicketEvent], message: &str, internal: bool) -> Vec<&'a FileInfo> {
    let mut files: Vec<(&str, &FileInfo)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Attachment { file, message: of, public, .. } if of == message && (internal || *public) => {
                Some((e.id.as_str(), file))
            }
            _ => None,
        })
        .collect();
    // `{message}.file{index}`: by index, not as text (file10 after file9).
    files.sort_by_key(|(id, _)| id.rsplit_once(".file").and_then(|(_, n)| n.parse::<usize>().ok()).unwrap_or(usize::MAX));
    files.into_iter().map(|(_, f)| f).collect()
}

/// A ticket's events as agents read them: each message with its files
/// (`attachments`), beside the attachment events themselves.
pub(crate) fn events_with_files<S: serde::Serializer>(events: &[TicketEvent], serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct WithFiles<'a> {
        #[serde(flatten)]
        event: &'a TicketEvent,
        #[serde(skip_serializing_if = "Option::is_none")]
        attachments: Option<Vec<&'a FileInfo>>,
    }
    serializer.collect_seq(events.iter().map(|event| WithFiles {
        event,
        attachments: matches!(event.kind, EventKind::Message { .. }).then(|| files_of(events, &event.id, true)),
    }))
}

/// The ticket a requester's token opens; a wrong token and a missing
/// ticket are the same 404.
async fn requester_owned<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<Ticket, AppError> {
    let secret = secret(app)?;
    let id = TicketId::parse(id).map_err(|_| Problem::NotFound)?;
    if !keys::is_requester_token(secret, &id, request.header(REQUESTER_TOKEN_HEADER).unwrap_or("")) {
        return Err(Problem::NotFound.into());
    }
    Ok(app.store.get(&id).await?.ok_or(Problem::NotFound)?)
}

/// `POST /v1/tickets/{id}/csat` `{"satisfied": true, "comment"?}` with the
/// requester token: the rating of a solved ticket, accepted once.
async fn requester_csat<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let ticket = requester_owned(app, request, id).await?;
    let rating: CsatRequest = read_json_body(request)?;
    let view = rate(app, ticket, rating).await?;
    Ok(ApiResponse::json(201, &requester_view(&view.ticket, &view.events)))
}

/// Records the rating of a solved ticket, once: the panel's rating and
/// the rating link in mail both come here.
///
/// # Errors
/// `not_solved`, `already_rated`, a field error, or a storage failure.
pub(crate) async fn rate<K: Kv>(app: &App<'_, K>, ticket: Ticket, rating: CsatRequest) -> Result<AgentView, AppError> {
    let events = app.store.events(&ticket.id).await?;
    let state = events::fold(&ticket, &events);
    // The list may lag a minute; the rating's own key never does.
    if app.store.has_event(&ticket.id, CSAT_EVENT_ID).await? {
        return Err(Problem::AlreadyRated.into());
    }
    let kind = rating.into_kind(&state).map_err(|refusal| match refusal {
        CsatRefusal::NotSolved => AppError::Problem(Problem::NotSolved),
        CsatRefusal::AlreadyRated => AppError::Problem(Problem::AlreadyRated),
        CsatRefusal::Invalid(error) => AppError::Validation(vec![error]),
    })?;
    record(app, ticket, CSAT_EVENT_ID.to_owned(), kind).await
}

/// `POST /v1/agent/tickets/{id}/messages` `{"body", "public": true}`: a
/// public reply (the requester sees it; the first one meets first
/// response) or, with `"public": false`, an internal note.
async fn agent_message<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Reply {
        #[serde(default)]
        body: String,
        #[serde(default = "yes")]
        public: bool,
        #[serde(default)]
        attachments: Vec<String>,
    }
    fn yes() -> bool {
        true
    }
    let agent = agent(app, request).await?;
    let reply: Reply = read_json_body(request)?;
    let body = message_body(&reply.body, &reply.attachments)?;
    let ticket = agent_owned(app, &agent, id).await?;
    let uploads = uploads_for(app, &ticket.site, Some(&ticket.id), &reply.attachments, Some(&agent.agent)).await?;
    let event_id = fresh_event_id(app, "msg");
    let files = attachment_events(app.now, &event_id, &agent.agent, true, reply.public, &uploads);
    let kind = EventKind::Message { by: agent.agent.clone(), agent: true, public: reply.public, body, original: None };
    let claimed = claim(app, request, &ticket, None, &agent.agent, &event_id, &kind, &files).await?;
    let view = record_hashed(app, ticket, event_id, kind, None, &files, claimed).await?;
    attach_all(app, &view.ticket.id, &[], &uploads).await?;
    Ok(ApiResponse::json(201, &view))
}

/// `POST /v1/agent/tickets/{id}/changes` `{"status"?, "priority"?, "tier"?,
/// "assignee"?, "tags"?}`: one event with who and when.
async fn agent_change<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let agent = agent(app, request).await?;
    let change: ChangeRequest = read_json_body(request)?;
    if change == ChangeRequest::default() {
        return Err(AppError::InvalidRequest("nothing to change: give status, priority, tier, assignee or tags".into()));
    }
    let ticket = agent_owned(app, &agent, id).await?;
    Ok(ApiResponse::json(200, &change_ticket(app, Some(request), &agent, ticket, |_| change).await?))
}

/// One agent's change to `ticket`: the request `change` makes of its
/// current state, checked as a single change is, claimed in its room
/// when `request` carries `If-Match` (none for a bulk change), recorded.
async fn change_ticket<K: Kv>(
    app: &App<'_, K>,
    request: Option<&ApiRequest>,
    agent: &crate::agents::SignedIn,
    ticket: Ticket,
    change: impl FnOnce(&TicketState) -> ChangeRequest,
) -> Result<AgentView, AppError> {
    let listed = app.store.events(&ticket.id).await?;
    let state = events::fold(&ticket, &listed);
    let names = crate::agents::names_for(app, &agent.site).await?;
    let agents: Vec<&str> = names.iter().map(String::as_str).collect();
    let kind = change(&state).into_kind(&agent.agent, &agents, &app.config.policies, &state).map_err(AppError::Validation)?;
    let event_id = fresh_event_id(app, "chg");
    let claimed = match request {
        Some(request) => claim(app, request, &ticket, Some(listed), &agent.agent, &event_id, &kind, &[]).await?,
        None => false,
    };
    record_hashed(app, ticket, event_id, kind, None, &[], claimed).await
}

/// Checks a write that carries `If-Match` (the last event its agent saw)
/// in the ticket's room, which records it at once when it holds (`409
/// edit_conflict` with what changed since, when it does not): whether
/// the room has it. Without the header, nothing is checked (scripts).
/// Without rooms, the header is checked against the KV list alone;
/// `listed` is that list when the caller read it already.
#[allow(clippy::too_many_arguments)]
async fn claim<K: Kv>(
    app: &App<'_, K>,
    request: &ApiRequest,
    ticket: &Ticket,
    listed: Option<Vec<TicketEvent>>,
    me: &str,
    event_id: &str,
    kind: &EventKind,
    files: &[TicketEvent],
) -> Result<bool, AppError> {
    let Some(seen) = request.header("if-match").and_then(collision::if_match) else { return Ok(false) };
    let listed = match listed {
        Some(listed) => listed,
        None => app.store.events(&ticket.id).await?,
    };
    let verdict = match app.rooms {
        Some(rooms) => {
            let event = TicketEvent { id: event_id.to_owned(), at: app.now, kind: kind.clone() };
            let claim = Claim {
                seen: Some(seen.to_owned()),
                me: me.to_owned(),
                listed,
                events: std::iter::once(event).chain(files.iter().cloned()).collect(),
            };
            let name = room_name(ticket.site.as_str(), &ticket.id.to_string());
            rooms.claim(&name, &claim).await.map_err(|e| AppError::Internal(format!("room {name}: {e}")))?
        }
        None => collision::check(seen, me, &listed),
    };
    match verdict {
        Verdict::Holds => Ok(app.rooms.is_some()),
        Verdict::Changed { since, latest } => Err(AppError::Conflict { since, latest }),
        Verdict::Unknown => Err(AppError::InvalidRequest(format!("If-Match: {seen} is not an event of this ticket"))),
    }
}

/// Tells the ticket's room of events written without a check, so that
/// agents' checks see them before KV's lists do. A room that cannot be
/// reached is logged: the lists show the events within a minute.
async fn note_in_room<K: Kv>(app: &App<'_, K>, ticket: &Ticket, events: Vec<TicketEvent>) {
    let Some(rooms) = app.rooms else { return };
    let me = events.first().and_then(|e| collision::author(&e.kind)).unwrap_or_default().to_owned();
    let claim = Claim { seen: None, me, listed: Vec::new(), events };
    let name = room_name(ticket.site.as_str(), &ticket.id.to_string());
    if let Err(e) = rooms.claim(&name, &claim).await {
        crate::log_error(&format!("room {name}: {e}"));
    }
}

/// `POST /v1/agent/tickets/{id}/presence` `{"activity"}`: the agent's
/// beat on a ticket (`viewing`, `replying`, or `gone` when they leave);
/// answers who else is there and the latest event the room knows of.
/// The room is the agent's site's, so no ticket is read.
async fn agent_presence<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Heartbeat {
        activity: collision::Activity,
    }
    let agent = agent(app, request).await?;
    let id = TicketId::parse(id).map_err(|_| Problem::NotFound)?;
    let heartbeat: Heartbeat = read_json_body(request)?;
    let seen = match app.rooms {
        Some(rooms) => {
            let beat = Beat { agent: agent.agent.clone(), activity: heartbeat.activity, now: app.now };
            let name = room_name(agent.site.as_str(), &id.to_string());
            rooms.beat(&name, &beat).await.map_err(|e| AppError::Internal(format!("room {name}: {e}")))?
        }
        None => Seen { present: Vec::new(), latest: None },
    };
    Ok(ApiResponse::json(200, &seen))
}

/// `POST /v1/agent/bulk` `{"tickets": [ids], "status"?, "assignee"?,
/// "add_tags"?}`: the change on each ticket, recorded as that ticket's
/// own change (its event, webhooks, SLA), one after the other; each
/// ticket's result is its own, so one refused does not hide the others.
async fn agent_bulk<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    #[derive(Serialize)]
    struct Outcome {
        id: String,
        status: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        ticket: Option<AgentView>,
        #[serde(skip_serializing_if = "Option::is_none")]
        problem: Option<Box<serde_json::value::RawValue>>,
    }
    let agent = agent(app, request).await?;
    let bulk: collision::BulkRequest = read_json_body(request)?;
    bulk.validate().map_err(|e| AppError::InvalidRequest(e.detail().into()))?;
    let mut results = Vec::with_capacity(bulk.tickets.len());
    for id in &bulk.tickets {
        let done = match agent_owned(app, &agent, id).await {
            Ok(ticket) => change_ticket(app, None, &agent, ticket, |state| bulk.change_for(state)).await,
            Err(e) => Err(e),
        };
        results.push(match done {
            Ok(view) => Outcome { id: id.clone(), status: 200, ticket: Some(view), problem: None },
            Err(e) => {
                let response = e.into_response();
                let problem = String::from_utf8(response.body).ok().and_then(|text| serde_json::value::RawValue::from_string(text).ok());
                Outcome { id: id.clone(), status: response.status, ticket: None, problem }
            }
        });
    }
    #[derive(Serialize)]
    struct Results {
        results: Vec<Outcome>,
    }
    Ok(ApiResponse::json(200, &Results { results }))
}

/// `POST /v1/tickets/{id}/messages` `{"body"}` with the requester token: the
/// requester's answer (it reopens a pending or solved ticket).
async fn requester_message<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Answer {
        #[serde(default)]
        body: String,
        #[serde(default)]
        attachments: Vec<String>,
    }
    let ticket = requester_owned(app, request, id).await?;
    let answer: Answer = read_json_body(request)?;
    let body = message_body(&answer.body, &answer.attachments)?;
    let uploads = uploads_for(app, &ticket.site, Some(&ticket.id), &answer.attachments, None).await?;
    // With an Idempotency-Key (the panel's outbox sends one), a retry lands
    // on the same event id: the answer is recorded once, with its body's
    // hash, and never rewritten; a retry is answered as the first was, for
    // the same body and 24 hours only, as a new ticket's retry is.
    let (event_id, hash) = match request.header("idempotency-key") {
        Some(key) if !is_valid_idempotency_key(key) => return Err(Problem::InvalidIdempotencyKey.into()),
        Some(key) => (keys::idempotent_event_id(secret(app)?, &ticket.id, key), Some(keys::request_hash(&request.body))),
        None => (fresh_event_id(app, "msg"), None),
    };
    if let Some(hash) = &hash {
        if let Some(first) = app.store.event(&ticket.id, &event_id).await? {
            replayable(first.request_hash.as_deref(), first.event.at.as_millis(), hash, app.now.as_millis())?;
            // The first try may have stopped before its files were attached.
            let files = attachment_events(first.event.at, &event_id, "requester", false, true, &uploads);
            attach_all(app, &ticket.id, &files, &uploads).await?;
            let mut events = app.store.events(&ticket.id).await?;
            // The list may not show the first answer yet; the reply must.
            for event in std::iter::once(first.event).chain(files) {
                if !events.iter().any(|e| e.id == event.id) {
                    events.push(event);
                }
            }
            events.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
            return Ok(ApiResponse::json(201, &requester_view(&ticket, &events)).header("idempotent-replayed", "true"));
        }
    }
    let files = attachment_events(app.now, &event_id, "requester", false, true, &uploads);
    let view = record_hashed(app, ticket, event_id, requester_answer(body, None), hash.as_deref(), &files, false).await?;
    attach_all(app, &view.ticket.id, &[], &uploads).await?;
    Ok(ApiResponse::json(201, &requester_view(&view.ticket, &view.events)))
}

/// The requester's answer, from the panel or by mail (with the size of
/// the original mail, when it is kept): a public message, which reopens a
/// pending or solved ticket (the fold's rule).
pub(crate) fn requester_answer(body: String, original: Option<u64>) -> EventKind {
    EventKind::Message { by: "requester".into(), agent: false, public: true, body, original }
}

/// Puts a delivery for every webhook that wants `kind` in the outbox, due
/// now: the next sweep (within a minute) sends it, retries it, and a
/// failing receiver never holds up the request that caused it.
async fn queue_webhooks<K: Kv>(app: &App<'_, K>, kind: EventType, event_id: &str, body: impl Fn(Format) -> String) -> Result<(), AppError> {
    let deliveries: Vec<PendingDelivery> = app
        .config
        .webhooks
        .iter()
        .enumerate()
        .filter(|(_, h)| h.wants(kind))
        .map(|(hook, config)| PendingDelivery {
            hook,
            event_id: event_id.to_owned(),
            event_type: kind,
            body: body(config.format),
            attempts: 0,
        })
        .collect();
    let put = futures_util::future::join_all(deliveries.iter().map(|delivery| app.store.outbox_put(app.now, delivery))).await;
    put.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(())
}

/// One of the agent's site's tickets; another site's is a 404.
pub(crate) async fn agent_owned<K: Kv>(app: &App<'_, K>, agent: &crate::agents::SignedIn, id: &str) -> Result<Ticket, AppError> {
    let id = TicketId::parse(id).map_err(|_| Problem::NotFound)?;
    Ok(app.store.get(&id).await?.filter(|t| agent.works(&t.site)).ok_or(Problem::NotFound)?)
}

/// A new event id, unique to this request: `<prefix>-<ms>-<random>`.
fn fresh_event_id<K>(app: &App<'_, K>, prefix: &str) -> String {
    format!("{prefix}-{:015}-{}", app.now.as_millis().max(0), app.fresh_id)
}

/// Appends an event, queues its webhooks, asks the sweep to look again if
/// a clock now runs (and a minute on, to rebuild the queue row from the
/// whole log), rewrites the queue entry's row (moved when the ticket is
/// finished or reopened), and returns the ticket as agents see it.
pub(crate) async fn record<K: Kv>(app: &App<'_, K>, ticket: Ticket, id: String, kind: EventKind) -> Result<AgentView, AppError> {
    record_hashed(app, ticket, id, kind, None, &[], false).await
}

/// A message's text: required, unless files come with it.
fn message_body(body: &str, attachments: &[String]) -> Result<String, AppError> {
    if !attachments.is_empty() && body.trim().is_empty() {
        return Ok(String::new());
    }
    buoy_shared::ticket::validate_body(body).map_err(|e| AppError::Validation(vec![e]))
}

/// [`record`], keeping the hash of the request that sent the event (a
/// requester's answer with an `Idempotency-Key`) for its retries, and
/// appending the message's `files` right after it; `claimed` when the
/// ticket's room recorded the events already (an agent's write checked
/// with `If-Match`), else the room is told of them once they are stored.
pub(crate) async fn record_hashed<K: Kv>(
    app: &App<'_, K>,
    ticket: Ticket,
    id: String,
    kind: EventKind,
    request_hash: Option<&str>,
    files: &[TicketEvent],
    claimed: bool,
) -> Result<AgentView, AppError> {
    let event = TicketEvent { id, at: app.now, kind };
    app.store.append_hashed(&ticket.id, &event, request_hash).await?;
    // A message's files right after it, before anything reads the log.
    for file in files {
        app.store.append(&ticket.id, file).await?;
    }
    if !claimed {
        note_in_room(app, &ticket, std::iter::once(event.clone()).chain(files.iter().cloned()).collect()).await;
    }
    if let Some(kind) = event.webhook_type() {
        let id = webhook::event_id(&ticket, &event);
        queue_webhooks(app, kind, &id, |format| webhook::body(format, kind, &ticket, &event, app.now)).await?;
    }
    let mut events = app.store.events(&ticket.id).await?;
    let before: Vec<TicketEvent> = events.iter().filter(|e| e.id != event.id && !files.iter().any(|f| f.id == e.id)).cloned().collect();
    if let Some(secret) = app.secret {
        let links = mail_out::Links { secret, origin: app.origin };
        mail_out::queue(&app.store, mail_out::mails_for(app.config, &links, &ticket, &before, &event, files, app.now), app.now).await?;
    }
    let was = queue::is_finished(events::fold(&ticket, &before).status);
    // The list may not show the event (and its files) yet; the view must.
    for new in std::iter::once(&event).chain(files) {
        if !events.iter().any(|e| e.id == new.id) {
            events.push(new.clone());
        }
    }
    let playbooks = app.config.ticket_playbooks(ticket.site.as_str(), &ticket.kind);
    if let Some(at) = events::next_check(&ticket, &events, app.now, app.business, &playbooks) {
        app.store.schedule_check(&ticket.id, at).await?;
    }
    // The list above may have missed another writer's event: the sweep
    // rebuilds the row from the whole log once every write shows.
    app.store.schedule_check(&ticket.id, app.now.plus(buoy_shared::time::Duration::from_secs(queue::REBUILD_AFTER_MS / 1000))).await?;
    app.store.put_facts(&ticket, &Facts::of(&ticket, &events, app.now, app.business), app.now).await?;
    let row = QueueRow::build(&ticket, &events, app.now, app.business);
    let moved = was != queue::is_finished(row.status);
    app.store.put_row(&ticket, queue::index_due(&ticket, app.business), &row, moved).await?;
    Ok(view_of(app, ticket, events))
}

/// The agent who makes the request (see [`crate::agents::sign_in`]).
pub(crate) async fn agent<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<crate::agents::SignedIn, AppError> {
    crate::agents::sign_in(app, request).await
}

/// A ticket as agents see it, from its record and its events.
fn view_of<K>(app: &App<'_, K>, ticket: Ticket, events: Vec<TicketEvent>) -> AgentView {
    let clocks = events::clocks(&ticket, &events, app.now, app.business);
    let reply_address =
        app.config.site(ticket.site.as_str()).and_then(|s| s.email.as_ref()).zip(app.secret).map(|(email, secret)| {
            buoy_shared::email::address::reply_address(secret, email.reply_local(), &ticket.id, &email.reply_domain)
        });
    let state = events::fold(&ticket, &events);
    let attachments = files_of(&events, FIRST_MESSAGE, true).into_iter().cloned().collect();
    AgentView { state, next_due: sla::next_due(&clocks), clocks, events, attachments, reply_address, mail_suppressed: None, ticket }
}

async fn agent_view<K: Kv>(app: &App<'_, K>, ticket: Ticket) -> Result<AgentView, AppError> {
    let events = app.store.events(&ticket.id).await?;
    Ok(view_of(app, ticket, events))
}

/// How many index pages one queue request reads at most to fill a
/// filtered page (the rest is reached with the cursor).
const MAX_QUEUE_READS: usize = 5;

/// One page of the agent queue.
#[derive(Serialize)]
struct QueuePage<'a> {
    tickets: Vec<queue::QueueItem<'a>>,
    cursor: Option<String>,
}

/// `GET /v1/agent/tickets`: the agent's site's queue, narrowed by `status`,
/// `segment`, `type`, `tier`, `assignee` and `channel` (each a
/// comma-separated list, `assignee=none` for unassigned) and `field`
/// (`plan:pro,enterprise`, one custom field's values), open tickets
/// first, then by time to the next breach. Each page of the index is one
/// list: rows come from the entries' metadata (see `queue::QueueRow`),
/// so a filtered page may come back short of `limit` with a cursor for
/// the rest.
async fn agent_queue<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let agent = agent(app, request).await?;
    let limit = match request.query_param("limit") {
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| AppError::InvalidRequest(format!("limit must be a whole number from 1 to {MAX_PAGE}")))?,
        None => DEFAULT_PAGE,
    };
    let types = app.config.site(agent.site.as_str()).map_or(&[][..], |s| &s.types[..]);
    let filter =
        QueueFilter::parse_offering(|name| request.query_param(name), &site_types::offered(types)).map_err(AppError::InvalidRequest)?;
    let mut cursor = request.query_param("cursor").filter(|c| !c.is_empty());
    let mut rows: Vec<QueueRow> = Vec::new();
    for _ in 0..MAX_QUEUE_READS {
        let (page, next) = app.store.queue(&agent.site, limit, cursor.as_deref(), app.now, app.business).await?;
        for row in page {
            let keep = match filter.keeps(&row) {
                Some(keep) => keep,
                // The row cut a name the filter asks about: the ticket says.
                None => match app.store.get(&row.id).await? {
                    Some(ticket) => filter.keeps_ticket(&ticket, &app.store.events(&ticket.id).await?),
                    None => false,
                },
            };
            if keep && !rows.iter().any(|r| r.id == row.id) {
                rows.push(row);
            }
        }
        cursor = next;
        if cursor.is_none() || rows.len() >= limit as usize {
            break;
        }
    }
    rows.sort_by_key(QueueRow::urgency);
    let tickets = rows.iter().map(|row| row.view(app.now, app.business)).collect();
    Ok(ApiResponse::json(200, &QueuePage { tickets, cursor }))
}

/// A value the console offers, with its label.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
}

/// The values the console's filters and controls offer.
#[derive(Serialize)]
struct Options<'a> {
    status: &'static [Status],
    segment: &'static [Segment],
    #[serde(rename = "type")]
    kind: Vec<Choice>,
    priority: &'static [Priority],
    tier: [u8; 3],
    channel: &'static [Channel],
    /// The groups routing assigns (`then.group`) and `[groups]` names.
    group: Vec<&'a str>,
    /// The tags routing adds (`then.tags`); agents may add others.
    tag: Vec<&'a str>,
}

/// The names routing rules set (by `of`), and the `[groups]` too when
/// `groups`, sorted and each once.
fn routed_names<'a>(config: &'a Config, of: impl Fn(&'a routing::Actions) -> Vec<&'a str>, groups: bool) -> Vec<&'a str> {
    let mut names: Vec<&str> = config.routing.iter().flat_map(|rule| of(&rule.then)).collect();
    if groups {
        names.extend(config.groups.keys().map(String::as_str));
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// `GET /v1/agent/me`: who the token belongs to, the site's agents (for
/// assignment) and the values the console offers.
async fn agent_me<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    #[derive(Serialize)]
    struct Me<'a> {
        agent: &'a str,
        site: &'a SiteId,
        /// What they may do: `agent`, `lead` or `admin`.
        role: buoy_shared::agents::Role,
        /// Every site they work (`?site=` picks one).
        sites: &'a [SiteId],
        /// How they signed in: `access` or `bearer`.
        via: crate::agents::Via,
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<&'a str>,
        agents: Vec<&'a str>,
        /// The business calendar's zone: metrics can be asked in it.
        time_zone: &'a str,
        options: Options<'a>,
        /// The site's attachment limits, when it takes files: the console
        /// offers to attach files only then.
        #[serde(skip_serializing_if = "Option::is_none")]
        attachments: Option<&'a attach::Limits>,
        /// The site's custom field definitions: the console labels a
        /// ticket's fields and filters the queue by them.
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        fields: &'a [fields::FieldDef],
    }
    let agent = agent(app, request).await?;
    let site = app.config.site(agent.site.as_str());
    let (types, site_locale) = site.map_or((&[][..], Locale::En), |s| (&s.types[..], s.locale()));
    let options = Options {
        status: Status::ALL,
        segment: Segment::ALL,
        kind: site_types::labelled(types, site_locale, Locale::En)
            .into_iter()
            .map(|(k, label)| Choice { value: k.as_str().to_owned(), label })
            .collect(),
        priority: Priority::ALL,
        tier: [1, 2, 3],
        channel: Channel::ALL,
        group: routed_names(app.config, |then| then.group.iter().map(String::as_str).collect(), true),
        tag: routed_names(app.config, |then| then.tags.iter().map(String::as_str).collect(), false),
    };
    let names = crate::agents::names_for(app, &agent.site).await?;
    let agents = names.iter().map(String::as_str).collect();
    let time_zone = &app.config.calendar.time_zone;
    // Without a bucket no site takes files, whatever its table says.
    let attachments = app.config.site(agent.site.as_str()).and_then(|s| s.attachments.as_ref()).filter(|_| app.files.is_some());
    let fields = app.config.site(agent.site.as_str()).map_or(&[][..], |s| s.fields.as_slice());
    let (role, sites, via, email) = (agent.role, agent.sites.as_slice(), agent.via, agent.email.as_deref());
    Ok(ApiResponse::json(
        200,
        &Me { agent: &agent.agent, site: &agent.site, role, sites, via, email, agents, time_zone, options, attachments, fields },
    ))
}

/// `GET /v1/agent/tickets/{id}`: one ticket of the agent's site; another
/// site's ticket is a 404, exactly like a missing one.
async fn agent_ticket<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let ticket = agent_owned(app, &agent(app, request).await?, id).await?;
    let mut view = agent_view(app, ticket).await?;
    view.mail_suppressed = mail_suppression(app, &view.ticket).await?;
    Ok(ApiResponse::json(200, &view))
}

/// `GET /v1/agent/tickets/{id}/originals/{name}`: a received mail as it
/// came (`first` for the mail that opened the ticket, or an answer's
/// event id), as a `message/rfc822` download. Never shown inline: it is
/// the sender's bytes.
async fn agent_original<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str, name: &str) -> Result<ApiResponse, AppError> {
    let ticket = agent_owned(app, &agent(app, request).await?, id).await?;
    let named =
        name == crate::store::FIRST_MAIL || (name.starts_with("mail-") && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !named {
        return Err(Problem::NotFound.into());
    }
    let raw = app.store.original(&ticket.id, name).await?.ok_or(Problem::NotFound)?;
    Ok(ApiResponse {
        status: 200,
        headers: vec![
            ("content-type", "message/rfc822".to_owned()),
            ("content-disposition", format!("attachment; filename=\"{}-{name}.eml\"", ticket.reference)),
            ("cache-control", "no-store".to_owned()),
            ("x-content-type-options", "nosniff".to_owned()),
        ],
        body: raw,
    })
}

/// Why mail to a ticket's requester is stopped on its site, if it is.
async fn mail_suppression<K: Kv>(app: &App<'_, K>, ticket: &Ticket) -> Result<Option<crate::store::Suppression>, AppError> {
    let has_email = app.config.site(ticket.site.as_str()).is_some_and(|s| s.email.is_some());
    let (Some(secret), Some((address, _)), true) = (app.secret, ticket.requester.reply_address(), has_email) else {
        return Ok(None);
    };
    let key = buoy_shared::email::token::address_key(secret, &ticket.site, address);
    Ok(app.store.is_suppressed(&ticket.site, &key).await?)
}

/// `POST /v1/agent/tickets/{id}/segment` `{"segment": "enterprise"}`: until
/// identity is verified, an agent sets the requester's segment; the SLA is
/// re-stamped from it (counting from receipt), breaches already recorded
/// stay recorded, and the sweep is asked to look at the new due times.
async fn set_segment<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let agent = agent(app, request).await?;
    let change: SegmentChange = read_json_body(request)?;
    let ticket = agent_owned(app, &agent, id).await?;
    let listed = app.store.events(&ticket.id).await?;
    let state = events::fold(&ticket, &listed);
    let stamp = app.config.policies.stamp(change.segment, state.priority, ticket.created_at, &state.stamp.calendar);
    let kind = EventKind::SegmentChanged { segment: change.segment, stamp, by: agent.agent.clone() };
    let event_id = fresh_event_id(app, "segment");
    let claimed = claim(app, request, &ticket, Some(listed), &agent.agent, &event_id, &kind, &[]).await?;
    Ok(ApiResponse::json(200, &record_hashed(app, ticket, event_id, kind, None, &[], claimed).await?))
}

/// The metrics report of a period, with the one before it for comparison.
#[derive(Serialize)]
struct MetricsPage<'a> {
    site: &'a SiteId,
    tz: String,
    #[serde(flatten)]
    report: metrics::Report,
    previous: metrics::Report,
    /// KV operations spent on this answer (a `get` of the roll-up
    /// watermark and of each UTC day's roll-ups from the site's first day,
    /// lists of the facts and fixes of days not rolled up).
    kv_operations: u32,
    /// UTC hours taken from roll-ups.
    rolled_hours: usize,
    /// UTC days whose tickets' facts were listed.
    listed_days: usize,
    /// Whether `by_agent` holds every agent's row (a lead or an admin
    /// asking for no one in particular) rather than one agent's.
    all_agents: bool,
}

/// The time zone of a metrics request: `UTC`, an IANA zone (the worker
/// carries the time-zone database), or a fixed offset (`+05:30`).
fn metrics_zone<K>(app: &App<'_, K>, name: &str) -> Result<jiff::tz::TimeZone, AppError> {
    let configured = &app.config.calendar.time_zone;
    if name.eq_ignore_ascii_case("utc") || name == "Z" {
        return Ok(jiff::tz::TimeZone::UTC);
    }
    if name == configured {
        if let Some(zone) = app.zone {
            return Ok(zone.clone());
        }
    }
    if name.contains('/') {
        if let Ok(zone) = jiff::tz::TimeZone::get(name) {
            return Ok(zone);
        }
    }
    // "+05:30", "+0530" and "-08" all read as offsets.
    let offset = (|| {
        let (sign, rest) = name.split_at_checked(1)?;
        let sign = match sign {
            "+" => 1,
            "-" => -1,
            _ => return None,
        };
        let digits = rest.replacen(':', "", 1);
        if !matches!(digits.len(), 2 | 4) || !digits.bytes().all(|b| b.is_ascii_digit()) || (rest.contains(':') && rest.len() != 5) {
            return None;
        }
        let (h, m) = (digits.get(..2)?.parse::<i32>().ok()?, digits.get(2..).filter(|m| !m.is_empty()).unwrap_or("0").parse::<i32>().ok()?);
        (h <= 14 && m < 60).then(|| jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()).flatten()
    })();
    offset.map(jiff::tz::TimeZone::fixed).ok_or_else(|| {
        AppError::InvalidRequest(format!("tz: use an IANA zone such as {configured} or Europe/Paris, UTC, or an offset such as +02:00"))
    })
}

/// `GET /v1/agent/metrics?from=YYYY-MM-DD&to=YYYY-MM-DD&tz=…` (and
/// `metrics.csv`): the period's figures beside the period before, from the
/// sweep's hourly roll-ups and, for hours not rolled up, the facts in KV
/// list metadata (no ticket is read). Without `from` and `to`:
/// the last 28 days. Its per-agent and per-group rows follow
/// `metrics::visible` (`agent=NAME` asks for one agent's row).
async fn agent_metrics<K: Kv>(app: &App<'_, K>, request: &ApiRequest, csv: bool) -> Result<ApiResponse, AppError> {
    let agent = agent(app, request).await?;
    // The per-agent rows: everyone's for leads and admins (one agent's
    // with `agent=`), an agent's own for an agent, who is refused another's.
    let asked = request.query_param("agent").filter(|a| !a.is_empty());
    let rows = metrics::visible(agent.role, &agent.agent, asked.as_deref())
        .map_err(|metrics::NotYours| AppError::Denied(Problem::Forbidden, "agent: only leads and admins see another agent's figures"))?;
    let tz = request.query_param("tz").filter(|t| !t.is_empty()).unwrap_or_else(|| "UTC".into());
    let zone = metrics_zone(app, &tz)?;
    let period = match (request.query_param("from"), request.query_param("to")) {
        (Some(from), Some(to)) => Period::parse(&from, &to, zone).map_err(AppError::InvalidRequest)?,
        (None, None) => Period::last_days(app.now, 28, zone),
        _ => return Err(AppError::InvalidRequest("give both from and to, or neither (the last 28 days)".into())),
    };
    let previous = period.previous();
    // Whole UTC hours come from the sweep's hourly roll-ups (one `get` a
    // UTC day); only the days with an hour not rolled up (or cut by a
    // period's edge) list their tickets' facts. Days before the site's
    // first (its roll-up watermark says which) hold nothing and are not read.
    let first = app.store.watermark(&agent.site).await?.map(|w| w.first);
    let days = metrics::days_to_read(previous.start().as_millis(), period.end().as_millis(), first);
    let (stored, get_ops) = app.store.rollups(&agent.site, &days).await?;
    let get_ops = get_ops + 1;
    let (hours, listed) = metrics::plan_reads(&[&period, &previous], &stored);
    let (facts, fixes, list_ops) = app.store.facts_of_days(&agent.site, &listed).await?;
    let (mut report, mut before) =
        (metrics::report_from(&period, &hours, &facts, &fixes), metrics::report_from(&previous, &hours, &facts, &fixes));
    // Volume and CSAT break down by the site's select fields only.
    let defs = app.config.site(agent.site.as_str()).map_or(&[][..], |s| s.fields.as_slice());
    let is_select = |id: &str| defs.iter().any(|d| d.id == id && d.kind == fields::Kind::Select);
    report.keep_fields(is_select);
    before.keep_fields(is_select);
    let names = crate::agents::names_for(app, &agent.site).await?;
    for r in [&mut report, &mut before] {
        r.keep_rows(&rows);
        r.name_agents(&names);
    }
    if csv {
        let body = metrics::csv(&report, Some(&before)).into_bytes();
        let name = format!("attachment; filename=\"buoy-metrics-{}-{}.csv\"", report.from, report.to);
        return Ok(ApiResponse {
            status: 200,
            headers: vec![("content-type", "text/csv; charset=utf-8".into()), ("content-disposition", name)],
            body,
        });
    }
    Ok(ApiResponse::json(
        200,
        &MetricsPage {
            site: &agent.site,
            tz,
            report,
            previous: before,
            kv_operations: get_ops + list_ops,
            rolled_hours: hours.len(),
            listed_days: listed.len(),
            all_agents: rows.agent.is_none(),
        },
    ))
}

/// The most tickets `POST /v1/tickets/mine` lists: the user's newest.
pub const MAX_HISTORY: u32 = 50;

/// `POST /v1/tickets/mine`: which site, and who the product says the
/// requester is (in the body: a signature or token never goes in a URL).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryRequest {
    site: String,
    #[serde(default)]
    identity: Option<identity::IdentityClaim>,
}

/// One ticket of a verified user's history: what the panel lists, and the
/// requester token it reads the thread with, as on the device that sent it.
#[derive(Serialize)]
struct HistoryTicket<'a> {
    id: TicketId,
    reference: TicketRef,
    subject: &'a str,
    status: Status,
    created_at: Timestamp,
    requester_token: String,
}

/// A verified user's tickets on a site, newest first.
#[derive(Serialize)]
struct History<'a> {
    tickets: Vec<HistoryTicket<'a>>,
}

/// Lists a ticket created with a verified identity under its user, for
/// their history on other devices; an anonymous ticket is listed nowhere.
async fn index_verified<K: Kv>(app: &App<'_, K>, secret: &[u8], ticket: &Ticket) -> Result<(), AppError> {
    match ticket.requester.user_id() {
        Some(user) => Ok(app.store.index_for_user(ticket, &keys::user_key(secret, &ticket.site, user)).await?),
        None => Ok(()),
    }
}

/// The user a claim vouches for on `site`, checked with the site's
/// identity secret at the request's time; `None` for a claim that is
/// missing, unsigned, expired or badly signed, in the v1 form on a site
/// whose `identity_v1` is off, and on a site without an identity secret.
/// Each use of the v1 form is logged: it is exploitable, and the log tells
/// the site's owner they still depend on it.
fn verified_identity<K>(app: &App<'_, K>, site: &SiteId, claim: Option<&identity::IdentityClaim>) -> Option<identity::Verified> {
    let config = app.config.site(site.as_str())?;
    let name = config.identity_secret.as_deref()?;
    let (_, secret) = app.identity_secrets.iter().find(|(n, _)| n == name)?;
    let verified = identity::verify(secret.as_bytes(), claim?, app.now.as_millis().div_euclid(1000), config.identity_v1).ok()?;
    if verified.form == identity::Form::HmacV1 {
        crate::log_error(&format!(
            "identity: site {site} accepted a v1 HMAC identity (ambiguous and never expiring): sign v2 with exp, then set identity_v1 = false"
        ));
    }
    Some(verified)
}

/// `POST /v1/tickets/mine` `{"site", "identity"}`: a verified user's
/// tickets on that site, newest first (at most [`MAX_HISTORY`]), each with
/// its status (folded from its events) and requester token, so a panel on
/// another device lists and reads them as the one that sent them. Anything
/// unsigned, expired or badly signed is a `403 identity_required`; another
/// site's tickets and another user's are never listed. It hands out
/// requester tokens, so it spends the per-client abuse limit like the
/// requester's writes (`buoy_shared::limits`).
async fn my_tickets<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let asked: HistoryRequest = read_json_body(request)?;
    let Some(site) = SiteId::parse(&asked.site).ok().filter(|s| app.config.site(s.as_str()).is_some()) else {
        return Err(AppError::Validation(vec![FieldError::new(Field::Site, FieldCode::UnknownSite)]));
    };
    let user = verified_identity(app, &site, asked.identity.as_ref()).ok_or(Problem::IdentityRequired)?;
    let secret = secret(app)?;
    let mut tickets = app.store.for_user(&site, &keys::user_key(secret, &site, &user.id), MAX_HISTORY).await?;
    // The index is a hint: each record itself must name this verified user.
    tickets.retain(|t| t.requester.user_id() == Some(user.id.as_str()));
    let logs = futures_util::future::join_all(tickets.iter().map(|t| app.store.events(&t.id))).await;
    let mut listed = Vec::with_capacity(tickets.len());
    for (ticket, log) in tickets.iter().zip(logs) {
        listed.push(HistoryTicket {
            id: ticket.id,
            reference: ticket.reference,
            subject: &ticket.subject,
            status: events::fold(ticket, &log?).status,
            created_at: ticket.created_at,
            requester_token: keys::requester_token(secret, &ticket.id),
        });
    }
    Ok(ApiResponse::json(200, &History { tickets: listed }))
}

/// The answer to an upload: its id (to name in a message's
/// `attachments`) and the file as stored.
#[derive(Serialize)]
struct Uploaded<'a> {
    upload: &'a str,
    file: &'a FileInfo,
}

/// `POST /v1/uploads?site=` (a requester) and `POST /v1/agent/uploads`
/// (an agent, for their site): one file, the raw bytes as the body, its
/// name in `Buoy-File-Name` (percent-encoded UTF-8), its size in
/// `Content-Length`, checked against the site's cap before a byte is
/// read. Its kind is sniffed from its first bytes and checked against
/// what its name and `Content-Type` claim; a refused file stores nothing.
/// With an `Idempotency-Key`, the same file sent again is the same
/// upload (`200`). The file waits to be attached for 24 hours.
async fn upload<K: Kv>(app: &App<'_, K>, request: &ApiRequest, by_agent: bool) -> Result<ApiResponse, AppError> {
    let signed = if by_agent { Some(agent(app, request).await?) } else { None };
    let agent = signed.as_ref();
    let asked = request.query_param("site").filter(|s| !s.is_empty());
    let site = match (agent, asked) {
        (Some(agent), Some(asked)) if asked != agent.site.as_str() => return Err(Problem::AttachmentsOff.into()),
        (Some(agent), _) => agent.site.clone(),
        (None, Some(asked)) => SiteId::parse(&asked).map_err(|_| Problem::AttachmentsOff)?,
        (None, None) => return Err(Problem::AttachmentsOff.into()),
    };
    let limits = app.config.site(site.as_str()).and_then(|s| s.attachments.as_ref()).ok_or(Problem::AttachmentsOff)?;
    let files = app.files.ok_or(Problem::AttachmentsOff)?;
    let length = request.header("content-length").and_then(|n| n.trim().parse::<u64>().ok()).ok_or(Refusal::LengthRequired)?;
    limits.check_file(length)?;
    // A name is sent percent-encoded (`encodeURIComponent`), where a `+` is itself.
    let raw_name = request.header(attach::FILE_NAME_HEADER).ok_or(Refusal::NameRequired)?;
    let name = crate::http::percent_decode(&raw_name.replace('+', "%2B")).ok_or(Refusal::InvalidName)?;
    let name = attach::sanitize_name(&name)?;
    let claimed = request.header("content-type");
    let id = match request.header("idempotency-key") {
        Some(key) if !is_valid_idempotency_key(key) => return Err(Problem::InvalidIdempotencyKey.into()),
        Some(key) => {
            let id = keys::idempotent_upload_id(secret(app)?, &site, key);
            if let Some(first) = app.store.upload(&site, &id).await? {
                // A retry: the same answer for 24 hours, for the same bytes only.
                let sha256 = files.digest(length, &request.body).await.map_err(received)?;
                let same = first.file.name == name && first.agent.as_deref() == agent.map(|a| a.agent.as_str());
                let hash = if same { sha256 } else { String::new() };
                replayable(Some(&first.file.sha256), first.at.as_millis(), &hash, app.now.as_millis())?;
                let body = Uploaded { upload: &first.id, file: &first.file };
                return Ok(ApiResponse::json(200, &body).header("idempotent-replayed", "true"));
            }
            id
        }
        None => format!("up_{}", app.fresh_id),
    };
    let file_id = file_id(&id);
    let key = crate::files::key(&site, &id, &file_id);
    let sniffed = std::cell::Cell::new(None);
    let judge = |head: &[u8], whole: bool| -> Result<Vec<(String, String)>, Refusal> {
        let found = attach::sniff(head, whole)?;
        limits.check_kind(found.kind)?;
        attach::check_claim(found.kind, &name, claimed)?;
        sniffed.set(Some(found));
        Ok(crate::files::metadata(&file_info(&file_id, &name, length, found, String::new())))
    };
    let sha256 = files.receive(&key, length, &request.body, &judge).await.map_err(received)?;
    let found = sniffed.get().ok_or_else(|| AppError::Internal("an upload was stored unjudged".into()))?;
    let file = file_info(&file_id, &name, length, found, sha256);
    let record = crate::store::Upload { id, site, file, at: app.now, agent: agent.map(|a| a.agent.clone()), attached: None };
    app.store.put_upload(&record).await?;
    Ok(ApiResponse::json(201, &Uploaded { upload: &record.id, file: &record.file }))
}

/// The id of an upload's file: derived from the upload's, which it does not reveal.
pub(crate) fn file_id(upload: &str) -> String {
    keys::request_hash(upload.as_bytes())[..32].to_owned()
}

/// A file as stored and sent.
pub(crate) fn file_info(id: &str, name: &str, size: u64, sniffed: attach::Sniffed, sha256: String) -> FileInfo {
    FileInfo {
        id: id.to_owned(),
        name: name.to_owned(),
        mime: sniffed.kind.mime().to_owned(),
        kind: sniffed.kind,
        size,
        sha256,
        width: sniffed.width,
        height: sniffed.height,
    }
}

/// Why an upload's bytes were not stored, as the API's error.
fn received(error: crate::files::ReceiveError) -> AppError {
    match error {
        crate::files::ReceiveError::Refused(refusal) => refusal.into(),
        crate::files::ReceiveError::Short => AppError::InvalidRequest("the body is not as long as its Content-Length says".into()),
        crate::files::ReceiveError::Failed(e) => AppError::Internal(format!("files: {e}")),
    }
}

/// The uploads a message names in `attachments`, checked before anything
/// is stored: at most the site's `max_files` and `max_message_bytes`,
/// each an upload of this site by the same side (requester or agent),
/// uploaded within 24 hours, and attached to nothing yet or, for a retry,
/// to this `ticket`. Anything else is `unknown_upload`, as a missing one is.
async fn uploads_for<K: Kv>(
    app: &App<'_, K>,
    site: &SiteId,
    ticket: Option<&TicketId>,
    ids: &[String],
    agent: Option<&str>,
) -> Result<Vec<crate::store::Upload>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let limits = app.config.site(site.as_str()).and_then(|s| s.attachments.as_ref()).ok_or(Refusal::UnknownUpload)?;
    limits.check_message(&vec![0; ids.len()])?;
    let mut uploads: Vec<crate::store::Upload> = Vec::with_capacity(ids.len());
    for id in ids {
        let upload = app.store.upload(site, id).await?.filter(|u| {
            let here = match u.attached {
                Some(attached) => Some(&attached) == ticket,
                None => app.now.as_millis() - u.at.as_millis() <= attach::PENDING_MS,
            };
            here && u.agent.as_deref() == agent && !uploads.iter().any(|seen| seen.id == u.id)
        });
        uploads.push(upload.ok_or(Refusal::UnknownUpload)?);
    }
    limits.check_message(&uploads.iter().map(|u| u.file.size).collect::<Vec<_>>())?;
    Ok(uploads)
}

/// The events that attach `uploads` to the message `message` (one each,
/// `{message}.file{index}`), as seen by whoever sees the message.
pub(crate) fn attachment_events(
    app_now: Timestamp,
    message: &str,
    by: &str,
    agent: bool,
    public: bool,
    uploads: &[crate::store::Upload],
) -> Vec<TicketEvent> {
    uploads
        .iter()
        .enumerate()
        .map(|(index, upload)| TicketEvent {
            id: events::attachment_id(message, index),
            at: app_now,
            kind: EventKind::Attachment {
                file: upload.file.clone(),
                message: message.to_owned(),
                by: by.to_owned(),
                agent,
                public,
                upload: upload.id.clone(),
            },
        })
        .collect()
}

/// Stores attachment events and marks their uploads attached to `ticket`
/// (the sweep then leaves them). Writing an event again writes the same.
async fn attach_all<K: Kv>(
    app: &App<'_, K>,
    ticket: &TicketId,
    events: &[TicketEvent],
    uploads: &[crate::store::Upload],
) -> Result<(), AppError> {
    for event in events {
        app.store.append(ticket, event).await?;
    }
    for upload in uploads {
        if upload.attached.is_none() {
            app.store.attach_upload(upload, ticket).await?;
        }
    }
    Ok(())
}

/// `GET /v1/tickets/{id}/files/{file}` with the requester token: a public
/// file of the ticket; anything else (a wrong token, another ticket's
/// file, an internal note's) is the same 404 as a missing one.
async fn requester_file<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str, file: &str) -> Result<ApiResponse, AppError> {
    let ticket = requester_owned(app, request, id).await?;
    serve_file(app, &ticket, file, false).await
}

/// `GET /v1/agent/tickets/{id}/files/{file}`: any file of one of the
/// agent's site's tickets; another site's is a 404.
async fn agent_file<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str, file: &str) -> Result<ApiResponse, AppError> {
    let ticket = agent_owned(app, &agent(app, request).await?, id).await?;
    serve_file(app, &ticket, file, true).await
}

/// `GET /v1/files/{link}`: the one file a signed link from mail opens
/// (`email::token::file_link`), for its 7 days; an expired, altered or
/// foreign link is `404 file_link_expired`, a file no longer there `404`.
async fn linked_file<K: Kv>(app: &App<'_, K>, link: &str) -> Result<ApiResponse, AppError> {
    let opened = buoy_shared::email::token::check_file_link(secret(app)?, link, app.now).map_err(|_| Problem::FileLinkExpired)?;
    let ticket = app.store.get(&opened.ticket).await?.filter(|t| t.site == opened.site).ok_or(Problem::NotFound)?;
    // The link is the server's own word for this file, whoever it names.
    serve_file(app, &ticket, &opened.file, true).await
}

/// The download of one of `ticket`'s files (public ones only unless
/// `internal`): its sniffed type, never sniffed again by the browser, in a
/// sandbox, inline only for a raster image, kept by no shared cache.
pub(crate) async fn serve_file<K: Kv>(app: &App<'_, K>, ticket: &Ticket, file: &str, internal: bool) -> Result<ApiResponse, AppError> {
    if app.files.is_none() {
        return Err(Problem::NotFound.into());
    }
    let events = app.store.events(&ticket.id).await?;
    let found = events.iter().find_map(|e| match &e.kind {
        EventKind::Attachment { file: info, upload, public, .. } if info.id == file && (internal || *public) => Some((info, upload)),
        _ => None,
    });
    let (info, upload) = found.ok_or(Problem::NotFound)?;
    let headers = vec![
        ("content-type", info.kind.mime().to_owned()),
        ("content-length", info.size.to_string()),
        ("content-disposition", attach::content_disposition(info.kind, &info.name)),
        ("content-security-policy", "sandbox; default-src 'none'".to_owned()),
        ("x-content-type-options", "nosniff".to_owned()),
        ("cache-control", "private".to_owned()),
    ];
    Ok(ApiResponse::file(crate::files::key(&ticket.site, upload, &info.id), headers))
}
