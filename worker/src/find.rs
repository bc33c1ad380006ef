//! Finding tickets: the agents' search (`GET /v1/agent/search`), the
//! rebuild of its indexes from the records (`POST /v1/agent/search/rebuild`),
//! and the index entries written when a ticket is created.
//!
//! A reference is found by a list of record keys (a reference is its id's
//! first 40 bits), an email through its `ue/` entries in KV, words through
//! the word index in D1 (`search`), where the deployment has one.

use crate::api::{self, App};
use crate::error::AppError;
use crate::http::{ApiRequest, ApiResponse};
use crate::search::{WordEntry, WordIndex};
use crate::store::{Kv, StoreError, TicketStore};
use buoy_shared::keys;
use buoy_shared::queue::QueueRow;
use buoy_shared::search::tickets::{self, TicketQuery};
use buoy_shared::ticket::Ticket;
use futures_util::future::join_all;
use serde::Serialize;

/// Most tickets one search answers with.
pub const MAX_RESULTS: u32 = 25;
/// Most tickets a search by words answers with: the best matches. Each
/// result costs a read of its record and a list of its events, which at
/// 25 took a search over 100,000 tickets past 500 ms under workerd
/// (`cargo xtask bench --search`); a query with more words narrows it.
pub const WORD_RESULTS: u32 = 10;
/// Tickets one rebuild request re-indexes: a list, a read each and an
/// email entry or two each stay within the Free plan's 1,000 KV
/// operations per invocation.
pub const REBUILD_PAGE: u32 = 200;

/// Owed word entries (`si/`) one sweep run writes at most.
pub const OWED_PER_RUN: u32 = 50;
/// The sweep looks for owed word entries in one run of this many minutes.
pub const OWED_EVERY_MINUTES: i64 = 30;

/// The tag of the language a site's tickets are written in, unless their page said.
fn site_locale<K>(app: &App<'_, K>, site: &str) -> &'static str {
    locale_of(app.config, site)
}

fn locale_of(config: &buoy_shared::config::Config, site: &str) -> &'static str {
    config.site(site).map_or("en", |s| s.locale().tag())
}

/// The sweep's part: writes up to `limit` word entries that could not be
/// written at creation (`si/`), and forgets each once written; gives how
/// many. A ticket gone since is forgotten too.
///
/// # Errors
/// When KV or D1 fails (what is left stays owed for the next run).
pub async fn write_owed<K: Kv>(
    store: &TicketStore<K>,
    words: &dyn WordIndex,
    config: &buoy_shared::config::Config,
    limit: u32,
) -> Result<usize, StoreError> {
    let owed = store.owed_search_entries(limit).await?;
    if owed.is_empty() {
        return Ok(0);
    }
    let records = join_all(owed.iter().map(|(_, id)| store.get(id))).await;
    let mut entries = Vec::with_capacity(owed.len());
    for record in records {
        if let Some(ticket) = record? {
            entries.push(WordEntry::of(&ticket, locale_of(config, ticket.site.as_str())));
        }
    }
    words.put(&entries).await?;
    for (key, _) in &owed {
        store.clear_owed_search_entry(key).await?;
    }
    Ok(entries.len())
}

/// Lists a new ticket under its requester's email addresses (KV), and
/// writes its words into the word index where there is one. A word entry
/// that cannot be written is owed (`si/`), and the sweep writes it: the
/// ticket is stored already, and the index is never the record.
///
/// # Errors
/// When KV fails.
pub async fn index_new<K: Kv>(app: &App<'_, K>, secret: &[u8], ticket: &Ticket) -> Result<(), AppError> {
    let names = buoy_shared::privacy::email_keys(secret, ticket);
    for listed in join_all(names.iter().map(|key| app.store.index_for_email(ticket, key))).await {
        listed?;
    }
    if let Some(words) = app.words {
        let entry = [WordEntry::of(ticket, site_locale(app, ticket.site.as_str()))];
        if let Err(e) = words.put(&entry).await {
            crate::log_error(&format!("ticket {} owes its word entry: {}", ticket.id, e.0));
            app.store.owe_search_entry(&ticket.id).await?;
        }
    }
    Ok(())
}

/// What a search answers.
#[derive(Serialize)]
struct Found<'a> {
    /// How the query was read: `reference`, `email` or `words`.
    query: &'static str,
    /// Whether this deployment has a word index (a D1 binding).
    word_search: bool,
    tickets: Vec<buoy_shared::queue::QueueItem<'a>>,
}

/// `GET /v1/agent/search?q=…`: the agent's site's tickets with this
/// reference, from this email address, or with these words (best first,
/// at most [`MAX_RESULTS`], by words [`WORD_RESULTS`]), as queue rows. Words on a deployment without
/// a word index find nothing and say so (`word_search: false`).
///
/// # Errors
/// `invalid_request` naming `q` when there is nothing to search.
pub async fn search<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let agent = api::agent(app, request).await?;
    let text = request.query_param("q").unwrap_or_default();
    let languages = tickets::languages(site_locale(app, agent.site.as_str()));
    let query = TicketQuery::parse(&text, &languages).map_err(|e| AppError::InvalidRequest(e.to_string()))?;
    let (kind, found) = match &query {
        TicketQuery::Reference(reference) => {
            let mut found = app.store.with_id_prefix(&agent.site, &reference.id_prefix()).await?;
            found.retain(|t| t.id.reference() == *reference);
            ("reference", found)
        }
        TicketQuery::Email(email) => {
            let key = keys::email_key(api::secret(app)?, &agent.site, email);
            ("email", app.store.for_email(&agent.site, &key, MAX_RESULTS).await?)
        }
        TicketQuery::Words(words) => match app.words {
            Some(index) => {
                let ids = index.find(&agent.site, words, WORD_RESULTS).await?;
                ("words", app.store.tickets_of(&agent.site, &ids).await)
            }
            None => ("words", Vec::new()),
        },
    };
    let events = join_all(found.iter().map(|t| app.store.events(&t.id))).await;
    let mut rows = Vec::with_capacity(found.len());
    for (ticket, events) in found.iter().zip(events) {
        rows.push(QueueRow::build(ticket, &events?, app.now, app.business));
    }
    let tickets = rows.iter().map(|row| row.view(app.now, app.business)).collect();
    Ok(ApiResponse::json(200, &Found { query: kind, word_search: app.words.is_some(), tickets }))
}

/// What one rebuild request did.
#[derive(Serialize)]
struct Rebuilt {
    /// Records read on this page (every site's).
    read: usize,
    /// The agent's site's tickets re-indexed.
    indexed: usize,
    /// Whether their words went to a word index (a D1 binding).
    word_search: bool,
    /// Where the next page starts; none once every record was read.
    cursor: Option<String>,
}

/// `POST /v1/agent/search/rebuild?cursor=…`: re-indexes one page of
/// ticket records ([`REBUILD_PAGE`]) of the agent's site: their email
/// entries in KV and their words in D1. Entries are rewritten as they
/// were (nothing about them changes after creation), so a rebuild can
/// run at any time and be repeated; call again with the answer's cursor
/// until it is none (`cargo xtask reindex` does). Admins only.
///
/// # Errors
/// `403 forbidden` for an agent who is no admin; when KV or D1 fails.
pub async fn rebuild<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let agent = api::agent(app, request).await?;
    agent.require(buoy_shared::agents::Action::RebuildSearch)?;
    let secret = api::secret(app)?;
    let cursor = request.query_param("cursor").filter(|c| !c.is_empty());
    let (ids, next) = app.store.ticket_ids(cursor.as_deref(), REBUILD_PAGE).await?;
    let found = app.store.tickets_of(&agent.site, &ids).await;
    let listed =
        found.iter().flat_map(|t| buoy_shared::privacy::email_keys(secret, t).into_iter().map(move |key| (t, key))).collect::<Vec<_>>();
    for done in join_all(listed.iter().map(|(t, key)| app.store.index_for_email(t, key))).await {
        done?;
    }
    if let Some(words) = app.words {
        let locale = site_locale(app, agent.site.as_str());
        let entries: Vec<WordEntry> = found.iter().map(|t| WordEntry::of(t, locale)).collect();
        words.put(&entries).await?;
    }
    Ok(ApiResponse::json(200, &Rebuilt { read: ids.len(), indexed: found.len(), word_search: app.words.is_some(), cursor: next }))
}
