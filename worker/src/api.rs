//! The `/v1` API: each handler parses, calls `shared`, stores, responds.

use crate::error::AppError;
use crate::http::{ApiRequest, ApiResponse, Method};
use crate::store::{Kv, TicketStore};
use buoy_shared::config::Config;
use buoy_shared::ids::{SiteId, TicketId, TicketRef};
use buoy_shared::keys;
use buoy_shared::problem::{is_valid_idempotency_key, Problem, MAX_BODY_BYTES};
use buoy_shared::sla::{AlwaysOpen, SlaPolicy};
use buoy_shared::ticket::{Field, FieldCode, FieldError, NewTicket, Segment, Stamp, Status, Ticket, TicketType};
use buoy_shared::time::Timestamp;
use serde::Serialize;

/// The header that carries a requester's token (never the URL).
pub const REQUESTER_TOKEN_HEADER: &str = "buoy-requester-token";
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

/// Everything a request is handled with; built fresh for each request at
/// the edge, and by hand in tests.
#[derive(Debug)]
pub struct App<'a, K> {
    /// The compiled-in configuration.
    pub config: &'a Config,
    /// Ticket storage.
    pub store: TicketStore<K>,
    /// `BUOY_SECRET`, which keys ticket ids and requester tokens.
    pub secret: Option<&'a [u8]>,
    /// The agents whose token secrets are set.
    pub agents: &'a [AgentToken],
    /// The time the request arrived.
    pub now: Timestamp,
    /// A random id for a ticket created without an idempotency key.
    pub fresh_id: TicketId,
}

/// Answers one `/v1` request; every error becomes a problem response here.
pub async fn handle<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> ApiResponse {
    route(app, request).await.unwrap_or_else(AppError::into_response)
}

async fn route<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let path: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let not_allowed = |allow: &str| Ok(AppError::Problem(Problem::MethodNotAllowed).into_response().header("allow", allow));
    match (request.method, path.as_slice()) {
        (Method::Post, ["v1", "tickets"]) => create_ticket(app, request).await,
        (Method::Get, ["v1", "tickets", id]) => read_ticket(app, request, id).await,
        (Method::Get, ["v1", "agent", "tickets"]) => agent_queue(app, request).await,
        (Method::Get, ["v1", "agent", "tickets", id]) => agent_ticket(app, request, id).await,
        (_, ["v1", "tickets"]) => not_allowed("POST"),
        (_, ["v1", "tickets", _] | ["v1", "agent", "tickets"] | ["v1", "agent", "tickets", _]) => not_allowed("GET"),
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
}

/// A ticket as its requester sees it: no SLA internals, no tier.
#[derive(Serialize)]
struct RequesterView<'a> {
    id: TicketId,
    reference: TicketRef,
    status: Status,
    #[serde(rename = "type")]
    kind: TicketType,
    subject: &'a str,
    message: &'a str,
    name: &'a str,
    email: &'a str,
    created_at: Timestamp,
}

/// One page of the agent queue.
#[derive(Serialize)]
struct QueuePage<'a> {
    tickets: &'a [Ticket],
    cursor: Option<String>,
}

fn secret<'a, K>(app: &App<'a, K>) -> Result<&'a [u8], AppError> {
    app.secret.filter(|s| !s.is_empty()).ok_or_else(|| AppError::Internal("the BUOY_SECRET secret is not set".into()))
}

fn read_json_body(request: &ApiRequest) -> Result<NewTicket, AppError> {
    let media_type = request.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media_type != "application/json" {
        return Err(Problem::UnsupportedMediaType.into());
    }
    if request.body.len() > MAX_BODY_BYTES {
        return Err(Problem::PayloadTooLarge.into());
    }
    serde_json::from_slice(&request.body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => AppError::InvalidRequest(e.to_string()),
        _ => AppError::Problem(Problem::MalformedJson),
    })
}

fn created(app_secret: &[u8], ticket: &Ticket, status: u16) -> ApiResponse {
    let body = Created {
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
    let input = read_json_body(request)?;
    input.validate().map_err(AppError::Validation)?;
    let site = SiteId::parse(&input.site).ok().filter(|s| app.config.site(s.as_str()).is_some());
    let Some(site) = site else {
        return Err(AppError::Validation(vec![FieldError { field: Field::Site, code: FieldCode::UnknownSite }]));
    };
    let secret = secret(app)?;
    let id = match request.header("idempotency-key") {
        Some(key) if !is_valid_idempotency_key(key) => return Err(Problem::InvalidIdempotencyKey.into()),
        Some(key) => {
            let id = keys::idempotent_ticket_id(secret, &site, key);
            if let Some(existing) = app.store.get(&id).await? {
                return Ok(created(secret, &existing, 200).header("idempotent-replayed", "true"));
            }
            id
        }
        None => app.fresh_id,
    };
    let policy = SlaPolicy::default();
    // Until verified identity exists, every requester is anonymous: `free`.
    let stamp = Stamp { id, segment: Segment::Free, now: app.now, policy: &policy, calendar: &AlwaysOpen };
    let ticket = input.into_ticket(&stamp).map_err(AppError::Validation)?;
    app.store.insert(&ticket).await?;
    Ok(created(secret, &ticket, 201))
}

/// `GET /v1/tickets/{id}` with the requester token: a wrong token and a
/// missing ticket are the same 404.
async fn read_ticket<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let secret = secret(app)?;
    let id = TicketId::parse(id).map_err(|_| Problem::NotFound)?;
    let token = request.header(REQUESTER_TOKEN_HEADER).unwrap_or("");
    if !keys::is_requester_token(secret, &id, token) {
        return Err(Problem::NotFound.into());
    }
    let ticket = app.store.get(&id).await?.ok_or(Problem::NotFound)?;
    let view = RequesterView {
        id: ticket.id,
        reference: ticket.reference,
        status: ticket.status,
        kind: ticket.kind,
        subject: &ticket.subject,
        message: &ticket.message,
        name: &ticket.requester.name,
        email: &ticket.requester.email,
        created_at: ticket.created_at,
    };
    Ok(ApiResponse::json(200, &view))
}

/// The agent whose bearer token the request carries. Every configured
/// token is compared, each in constant time.
fn agent<'a, K>(app: &App<'a, K>, request: &ApiRequest) -> Result<&'a AgentToken, AppError> {
    let given = request.header("authorization").and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    let given = given.filter(|t| !t.is_empty()).ok_or(Problem::Unauthorized)?;
    let mut found = None;
    for agent in app.agents {
        if keys::secrets_equal(agent.token.as_bytes(), given.as_bytes()) && found.is_none() {
            found = Some(agent);
        }
    }
    found.ok_or_else(|| Problem::Unauthorized.into())
}

/// `GET /v1/agent/tickets`: the agent's site's queue, most urgent first.
async fn agent_queue<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let agent = agent(app, request)?;
    let limit = match request.query_param("limit") {
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| AppError::InvalidRequest(format!("limit must be a whole number from 1 to {MAX_PAGE}")))?,
        None => DEFAULT_PAGE,
    };
    let cursor = request.query_param("cursor").filter(|c| !c.is_empty());
    let (tickets, cursor) = app.store.queue(&agent.site, limit, cursor.as_deref()).await?;
    Ok(ApiResponse::json(200, &QueuePage { tickets: &tickets, cursor }))
}

/// `GET /v1/agent/tickets/{id}`: one ticket of the agent's site; another
/// site's ticket is a 404, exactly like a missing one.
async fn agent_ticket<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let agent = agent(app, request)?;
    let id = TicketId::parse(id).map_err(|_| Problem::NotFound)?;
    let ticket = app.store.get(&id).await?.filter(|t| t.site == agent.site).ok_or(Problem::NotFound)?;
    Ok(ApiResponse::json(200, &ticket))
}
