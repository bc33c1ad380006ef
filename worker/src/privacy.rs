//! Privacy requests: `POST /v1/agent/privacy/export` and
//! `POST /v1/agent/privacy/erase` (admins). The rules (whose tickets, the
//! export's shape, the erase plan, what metrics keep) are
//! `buoy_shared::privacy`; this is their glue over KV, R2, D1 and the
//! tickets' rooms.
//!
//! Tickets are found through the requester's keyed index (`ue/` for an
//! email, `u/` for a verified user id), each record checked again. An
//! erase takes away, per ticket: its files (R2) and upload records, its
//! room's log, its word entry (D1), its events, mail originals, owed word
//! entry, queue entries and its addresses' mail entries, its queued
//! webhooks and mails; its metric facts lose what could name anyone;
//! then its record, then the index entries that found it. A run that
//! stops half-way finds the same tickets again and finishes them; an
//! index entry whose record is gone (a run that stopped after the
//! record) is deleted once it has settled (`privacy::settled`).

use crate::api::{self, App};
use crate::error::AppError;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::{Kv, ListedTicket};
use buoy_shared::agents::{Action, AuditEvent, AuditKind};
use buoy_shared::email::token::address_key;
use buoy_shared::events::TicketEvent;
use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::privacy::{self, ErasePlan, Erased, Export, ExportedTicket, PrivacyBody, PrivacyRequest};
use buoy_shared::queue;
use buoy_shared::ticket::Ticket;
use buoy_shared::time::Timestamp;
use futures_util::future::join_all;

/// A requester's tickets on the request's site, newest first, and the
/// index entries whose records are gone.
struct Found {
    tickets: Vec<Ticket>,
    dangling: Vec<ListedTicket>,
}

/// The signed-in admin and their checked request.
async fn read<K: Kv>(app: &App<'_, K>, request: &ApiRequest, erase: bool) -> Result<(crate::agents::SignedIn, PrivacyRequest), AppError> {
    let admin = api::agent(app, request).await?;
    admin.require(Action::HandlePrivacy)?;
    let body: PrivacyBody = api::read_json_body(request)?;
    // The site the console works on first, then the admin's others.
    let mut sites = vec![admin.site.clone()];
    sites.extend(admin.sites.iter().filter(|s| **s != admin.site).cloned());
    let asked = body.check(erase, &sites).map_err(AppError::Privacy)?;
    Ok((admin, asked))
}

async fn find<K: Kv>(app: &App<'_, K>, asked: &PrivacyRequest) -> Result<Found, AppError> {
    let secret = api::secret(app)?;
    let mut listed = app.store.listed_for(&asked.site, &asked.subject.index(secret, &asked.site)).await?;
    let mut seen = Vec::with_capacity(listed.len());
    listed.retain(|l| {
        let first = !seen.contains(&l.ticket);
        seen.push(l.ticket);
        first
    });
    let records = join_all(listed.iter().map(|l| app.store.get(&l.ticket))).await;
    let mut found = Found { tickets: Vec::new(), dangling: Vec::new() };
    for (entry, record) in listed.into_iter().zip(records) {
        match record? {
            Some(ticket) if ticket.site == asked.site && asked.subject.owns(&ticket) => found.tickets.push(ticket),
            Some(_) => {}
            None if privacy::settled(entry.created, app.now.as_millis()) => found.dangling.push(entry),
            None => {}
        }
    }
    Ok(found)
}

/// Rewrites a ticket's metric facts without what could name anyone
/// (`privacy::anonymous`); facts already anonymous are left as they are.
async fn anonymise_facts<K: Kv>(app: &App<'_, K>, site: &SiteId, created: Timestamp, id: &TicketId) -> Result<(), AppError> {
    if let Some(facts) = app.store.ticket_facts(site, created, id).await? {
        let anonymous = privacy::anonymous(facts.clone());
        if anonymous != facts {
            app.store.put_facts_of(site, created, id, &anonymous, app.now).await?;
        }
    }
    Ok(())
}

async fn audit<K: Kv>(
    app: &App<'_, K>,
    admin: &crate::agents::SignedIn,
    kind: AuditKind,
    asked: &PrivacyRequest,
    tickets: u32,
) -> Result<(), AppError> {
    let event = AuditEvent {
        at: app.now,
        kind,
        by: admin.who().into(),
        via: admin.via.as_str().into(),
        agent: None,
        role: None,
        was: None,
        requester: Some(asked.subject.audit_name(api::secret(app)?, &asked.site)),
        tickets: Some(tickets),
    };
    Ok(app.store.audit(&event).await?)
}

/// `POST /v1/agent/privacy/export` (admins) `{"email"} | {"user_id"}`
/// (and `site`, else the agent's): every ticket of the requester, with its
/// events, files' metadata and the names of its mails
/// (`privacy::Export`). Recorded in the audit trail.
///
/// # Errors
/// `403 forbidden` for anyone but an admin; a field error naming `email`,
/// `user_id` or `site`; when KV fails.
pub async fn export<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let (admin, asked) = read(app, request, false).await?;
    let found = find(app, &asked).await?;
    let logs = join_all(found.tickets.iter().map(|t| app.store.events(&t.id))).await;
    let mails = join_all(found.tickets.iter().map(|t| app.store.original_names(&t.id))).await;
    let logs: Vec<Vec<TicketEvent>> = logs.into_iter().collect::<Result<_, _>>()?;
    let mut tickets = Vec::with_capacity(found.tickets.len());
    for ((ticket, events), mails) in found.tickets.iter().zip(&logs).zip(mails) {
        tickets.push(ExportedTicket {
            reference: ticket.reference,
            record: ticket,
            events,
            files: privacy::files_of(events),
            mail_originals: mails?,
        });
    }
    let count = tickets.len() as u32;
    let document =
        Export { format: privacy::EXPORT_FORMAT, site: &asked.site, requester: asked.subject.name(), exported_at: app.now, tickets };
    let response = ApiResponse::json(200, &document);
    audit(app, &admin, AuditKind::PrivacyExport, &asked, count).await?;
    Ok(response)
}

/// `POST /v1/agent/privacy/erase` (admins) `{"email" | "user_id",
/// "confirm"}` (and `site`): takes away everything held about the
/// requester, [`privacy::TICKETS_PER_ERASE`] tickets a request (`more`
/// says to call again), and answers what it did (`privacy::Erased`).
/// Safe to repeat. Recorded in the audit trail.
///
/// # Errors
/// `403 forbidden` for anyone but an admin; a field error naming
/// `confirm`, `email`, `user_id` or `site`; when KV, R2, D1 or a room
/// fails (what was done stays done: run it again).
pub async fn erase<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let (admin, asked) = read(app, request, true).await?;
    let secret = api::secret(app)?;
    let mut found = find(app, &asked).await?;
    let mut erased = Erased { more: found.tickets.len() > privacy::TICKETS_PER_ERASE, ..Erased::default() };
    found.tickets.truncate(privacy::TICKETS_PER_ERASE);
    let mut plans = Vec::with_capacity(found.tickets.len());
    for ticket in &found.tickets {
        let events = app.store.events(&ticket.id).await?;
        let plan = ErasePlan::of(secret, ticket, &events);
        if let Some(files) = app.files {
            for held in &plan.files {
                files.delete(&crate::files::key(&plan.site, &held.upload, &held.file.id)).await?;
                erased.files += 1;
            }
        }
        if let Some(rooms) = app.rooms {
            let name = crate::room::room_name(plan.site.as_str(), &plan.ticket.to_string());
            rooms.clear(&name).await.map_err(|e| AppError::Internal(format!("room {name}: {e}")))?;
        }
        anonymise_facts(app, &plan.site, plan.created, &plan.ticket).await?;
        let addresses: Vec<String> = plan.addresses.iter().map(|a| address_key(secret, &plan.site, a)).collect();
        let keys = app.store.erase_ticket_keys(&plan, ticket, queue::index_due(ticket, app.business), &addresses).await?;
        erased.events += keys.events;
        erased.entries += keys.entries;
        erased.mail += keys.mail;
        plans.push(plan);
    }
    let ids: Vec<_> = plans.iter().map(|p| p.ticket).collect();
    if let Some(words) = app.words {
        words.delete(&ids).await?;
    }
    if !ids.is_empty() {
        erased.mail += app.store.erase_queued(&ids).await?;
    }
    for plan in &plans {
        erased.entries += app.store.erase_record(plan).await?;
        erased.tickets += 1;
    }
    for entry in &found.dangling {
        // Its facts were made anonymous before its record went; again, in
        // case they were rewritten from a list that still showed it.
        anonymise_facts(app, &asked.site, Timestamp::from_millis(entry.created), &entry.ticket).await?;
        app.store.forget_entry(&entry.key).await?;
        erased.entries += 1;
    }
    audit(app, &admin, AuditKind::PrivacyErase, &asked, erased.tickets).await?;
    Ok(ApiResponse::json(200, &erased))
}
