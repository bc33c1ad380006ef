//! Canned replies: `/v1/agent/canned` (every agent lists them; leads and
//! admins add, change and remove them) and
//! `/v1/agent/tickets/{id}/canned/{cid}` (one rendered for a ticket).
//!
//! The rules (variables, limits, actions) are `buoy_shared::canned`; a
//! site's set is one KV value (`TicketStore::canned`). Using one is the
//! console's ordinary reply and change: the rendered body goes through
//! `POST …/messages`, the change through `POST …/changes`, both with
//! `If-Match`.

use crate::agents::SignedIn;
use crate::api::App;
use crate::error::AppError;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::Kv;
use buoy_shared::agents::{Action, AuditEvent, AuditKind};
use buoy_shared::canned::{self, CannedError, CannedInput, CannedReply, ChangeBody, SetRefusal, Values};
use buoy_shared::events;
use buoy_shared::problem::Problem;
use serde::Serialize;

/// The set as the API answers it, with the limits the console shows.
#[derive(Serialize)]
struct Listing<'a> {
    replies: &'a [CannedReply],
    /// Whether the agent may add, change and remove them.
    editable: bool,
    max: usize,
    variables: &'static [canned::Variable],
}

/// `GET /v1/agent/canned`: the site's canned replies (every agent).
pub async fn list<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let agent = crate::api::agent(app, request).await?;
    let set = app.store.canned(&agent.site).await?;
    let listing = Listing {
        replies: &set.replies,
        editable: agent.may(Action::EditCannedReplies),
        max: canned::MAX_REPLIES,
        variables: canned::Variable::ALL,
    };
    Ok(ApiResponse::json(200, &listing))
}

/// The lead who edits, and the body they sent, checked.
async fn edited<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<(SignedIn, CannedInput), AppError> {
    let lead = crate::api::agent(app, request).await?;
    lead.require(Action::EditCannedReplies)?;
    let input: CannedInput = crate::api::read_json_body(request)?;
    let names = crate::agents::names_for(app, &lead.site).await?;
    let agents: Vec<&str> = names.iter().map(String::as_str).collect();
    let input = canned::validate(input, &agents).map_err(AppError::Canned)?;
    Ok((lead, input))
}

fn reply_of<K>(app: &App<'_, K>, lead: &SignedIn, id: String, input: CannedInput) -> CannedReply {
    CannedReply { id, title: input.title, body: input.body, actions: input.actions, updated_at: app.now, updated_by: lead.agent.clone() }
}

/// Records a change to a canned reply in the audit trail; a failure is
/// logged, the change stands.
async fn audit<K: Kv>(app: &App<'_, K>, lead: &SignedIn, kind: AuditKind, title: &str) {
    let event = AuditEvent {
        at: app.now,
        kind,
        by: lead.who().into(),
        via: lead.via.as_str().into(),
        agent: Some(title.into()),
        role: None,
        was: None,
        requester: None,
        tickets: None,
    };
    if let Err(e) = app.store.audit(&event).await {
        crate::log_error(&format!("audit canned reply: {}", e.0));
    }
}

fn full(refusal: SetRefusal) -> AppError {
    match refusal {
        SetRefusal::Full => AppError::Canned(vec![refusal.error()]),
        SetRefusal::NotFound => Problem::NotFound.into(),
    }
}

/// `POST /v1/agent/canned` (leads) `{"title", "body", "actions"?}`: adds a
/// canned reply. `201` with it.
pub async fn add<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let (lead, input) = edited(app, request).await?;
    let mut set = app.store.canned(&lead.site).await?;
    let reply = reply_of(app, &lead, format!("c{}", app.fresh_id), input);
    set.add(reply.clone()).map_err(full)?;
    app.store.put_canned(&lead.site, &set).await?;
    audit(app, &lead, AuditKind::CannedAdded, &reply.title).await;
    Ok(ApiResponse::json(201, &reply))
}

/// `POST /v1/agent/canned/{id}` (leads) `{"title", "body", "actions"?}`:
/// replaces a canned reply. `200` with it.
pub async fn change<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let (lead, input) = edited(app, request).await?;
    let mut set = app.store.canned(&lead.site).await?;
    let reply = reply_of(app, &lead, id.to_owned(), input);
    set.replace(reply.clone()).map_err(full)?;
    app.store.put_canned(&lead.site, &set).await?;
    audit(app, &lead, AuditKind::CannedChanged, &reply.title).await;
    Ok(ApiResponse::json(200, &reply))
}

/// `POST /v1/agent/canned/{id}/remove` (leads): removes a canned reply. `204`.
pub async fn remove<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str) -> Result<ApiResponse, AppError> {
    let lead = crate::api::agent(app, request).await?;
    lead.require(Action::EditCannedReplies)?;
    let mut set = app.store.canned(&lead.site).await?;
    let was = set.remove(id).map_err(full)?;
    app.store.put_canned(&lead.site, &set).await?;
    audit(app, &lead, AuditKind::CannedRemoved, &was.title).await;
    Ok(ApiResponse { status: 204, headers: Vec::new(), body: Vec::new() })
}

/// `GET /v1/agent/tickets/{id}/canned/{cid}`: the canned reply rendered
/// for this ticket and this agent, and the change its actions make now
/// (to send, after the reply, to `POST …/changes`; none when they change
/// nothing).
pub async fn render<K: Kv>(app: &App<'_, K>, request: &ApiRequest, id: &str, cid: &str) -> Result<ApiResponse, AppError> {
    #[derive(Serialize)]
    struct Rendered<'a> {
        id: &'a str,
        title: &'a str,
        body: String,
        actions: &'a canned::Actions,
        change: Option<ChangeBody>,
    }
    let agent = crate::api::agent(app, request).await?;
    let ticket = crate::api::agent_owned(app, &agent, id).await?;
    let set = app.store.canned(&ticket.site).await?;
    let reply = set.get(cid).ok_or(Problem::NotFound)?;
    let body = canned::render(&reply.body, &Values::of(&ticket, &agent.agent)).map_err(|e: CannedError| AppError::Canned(vec![e]))?;
    let state = events::fold(&ticket, &app.store.events(&ticket.id).await?);
    let change = reply.actions.change(&agent.agent, &state.tags).map(ChangeBody::from);
    Ok(ApiResponse::json(200, &Rendered { id: &reply.id, title: &reply.title, body, actions: &reply.actions, change }))
}
