//! The ticket word index in D1 (SQLite with FTS5), the only code that
//! knows its tables. KV stays the record: an entry holds only what never
//! changes after creation (a ticket's subject and first message, as
//! `buoy_shared::search::tickets` turns them into terms, its site and its
//! creation time), so an entry written once is never stale, and
//! rewriting it (the rebuild, the sweep's retry) changes nothing.
//!
//! Tables, created by the worker the first time an isolate uses the
//! binding (`CREATE … IF NOT EXISTS`, so `wrangler dev`, `wrangler deploy`
//! and a new database need no migration step):
//! - `ticket_rows (ticket TEXT PRIMARY KEY, site TEXT, created INTEGER)`:
//!   one row per ticket; its `rowid` names its words.
//! - `ticket_words` (FTS5: `subject`, `message`; rowid = the ticket's
//!   row), tokenised by `unicode61` without removing diacritics: the terms
//!   arrive folded and stemmed, and the tokenizer only splits them where
//!   the spaces are.
//!
//! A deployment without the `BUOY_SEARCH` binding has no word index: the
//! console still finds references and emails (KV), and says word search
//! is not set up.

use crate::store::StoreError;
use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::search::tickets::{indexed_terms, WordQuery, MESSAGE_WEIGHT, SUBJECT_WEIGHT};
use buoy_shared::search::Language;
use buoy_shared::ticket::Ticket;
use futures_util::future::LocalBoxFuture;

/// The D1 binding of the word index (opt-in: see the README).
pub const BINDING: &str = "BUOY_SEARCH";

/// The statements that create the tables, in order.
pub const SCHEMA: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS ticket_rows (ticket TEXT PRIMARY KEY, site TEXT NOT NULL, created INTEGER NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_words USING fts5(subject, message, tokenize = 'unicode61 remove_diacritics 0')",
];

/// Adds a ticket's row once (a second put keeps the first).
pub const PUT_ROW: &str = "INSERT INTO ticket_rows (ticket, site, created) VALUES (?1, ?2, ?3) ON CONFLICT(ticket) DO NOTHING";
/// Writes (or rewrites) a ticket's words under its row.
pub const PUT_WORDS: &str =
    "INSERT OR REPLACE INTO ticket_words (rowid, subject, message) SELECT rowid, ?2, ?3 FROM ticket_rows WHERE ticket = ?1";

/// Deletes a ticket's words (before its row, which names them).
pub const DELETE_WORDS: &str = "DELETE FROM ticket_words WHERE rowid IN (SELECT rowid FROM ticket_rows WHERE ticket = ?1)";
/// Deletes a ticket's row.
pub const DELETE_ROW: &str = "DELETE FROM ticket_rows WHERE ticket = ?1";

/// The query for a site's best matches: `?1` the FTS5 expression, `?2`
/// the site, `?3` the most rows; ranked by BM25 with the subject and the
/// message weighted as the article search weighs a title and a body,
/// newer first among equals.
pub fn find_sql() -> String {
    format!(
        "SELECT r.ticket AS ticket FROM ticket_words JOIN ticket_rows r ON r.rowid = ticket_words.rowid \
         WHERE ticket_words MATCH ?1 AND r.site = ?2 ORDER BY bm25(ticket_words, {SUBJECT_WEIGHT}.0, {MESSAGE_WEIGHT}.0), r.created DESC LIMIT ?3"
    )
}

/// One ticket's entry in the word index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordEntry {
    /// The ticket.
    pub ticket: TicketId,
    /// Its site.
    pub site: SiteId,
    /// When it was received, ms.
    pub created: i64,
    /// The subject's terms, space-separated.
    pub subject: String,
    /// The first message's terms, space-separated.
    pub message: String,
}

impl WordEntry {
    /// The entry of `ticket`, its words made terms by the rules of its
    /// language (the page's, else its site's `site_locale`).
    pub fn of(ticket: &Ticket, site_locale: &str) -> Self {
        let language = Language::of(ticket.context.locale.as_deref().unwrap_or(site_locale));
        Self {
            ticket: ticket.id,
            site: ticket.site.clone(),
            created: ticket.created_at.as_millis(),
            subject: indexed_terms(&ticket.subject, language),
            message: indexed_terms(&ticket.message, language),
        }
    }
}

/// The word index: D1 at the edge.
pub trait WordIndex {
    /// Writes these entries (one transaction).
    fn put<'a>(&'a self, entries: &'a [WordEntry]) -> LocalBoxFuture<'a, Result<(), StoreError>>;
    /// Up to `limit` of `site`'s tickets matching `query` (every word, else
    /// any), best first.
    fn find<'a>(&'a self, site: &'a SiteId, query: &'a WordQuery, limit: u32) -> LocalBoxFuture<'a, Result<Vec<TicketId>, StoreError>>;
    /// Deletes these tickets' entries (one transaction; a missing one is
    /// no error), for a privacy erase.
    fn delete<'a>(&'a self, tickets: &'a [TicketId]) -> LocalBoxFuture<'a, Result<(), StoreError>>;
}

/// The word index in a D1 database.
#[derive(Debug)]
pub struct D1Words {
    db: worker::D1Database,
}

fn failed(e: impl core::fmt::Display) -> StoreError {
    StoreError(format!("search index: {e}"))
}

thread_local! {
    /// Whether this isolate has made sure the tables exist.
    static SCHEMA_READY: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

impl D1Words {
    /// The index in `db`.
    pub const fn new(db: worker::D1Database) -> Self {
        Self { db }
    }

    /// Creates the tables where they are missing, once per isolate.
    async fn ready(&self) -> Result<(), StoreError> {
        if SCHEMA_READY.with(core::cell::Cell::get) {
            return Ok(());
        }
        let statements = SCHEMA.iter().map(|sql| self.db.prepare(*sql)).collect();
        self.db.batch(statements).await.map_err(failed)?;
        SCHEMA_READY.with(|ready| ready.set(true));
        Ok(())
    }
}

impl WordIndex for D1Words {
    fn put<'a>(&'a self, entries: &'a [WordEntry]) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if entries.is_empty() {
                return Ok(());
            }
            self.ready().await?;
            let mut statements = Vec::with_capacity(entries.len() * 2);
            for entry in entries {
                let id = entry.ticket.to_string();
                let row = self.db.prepare(PUT_ROW).bind(&[id.as_str().into(), entry.site.as_str().into(), (entry.created as f64).into()]);
                let words =
                    self.db.prepare(PUT_WORDS).bind(&[id.as_str().into(), entry.subject.as_str().into(), entry.message.as_str().into()]);
                statements.push(row.map_err(failed)?);
                statements.push(words.map_err(failed)?);
            }
            self.db.batch(statements).await.map_err(failed)?;
            Ok(())
        })
    }

    fn find<'a>(&'a self, site: &'a SiteId, query: &'a WordQuery, limit: u32) -> LocalBoxFuture<'a, Result<Vec<TicketId>, StoreError>> {
        #[derive(serde::Deserialize)]
        struct Found {
            ticket: String,
        }
        Box::pin(async move {
            self.ready().await?;
            let sql = find_sql();
            // Every word first; when no ticket has them all, any word.
            for every in [true, false] {
                let statement =
                    self.db.prepare(sql.as_str()).bind(&[query.fts5(every).into(), site.as_str().into(), f64::from(limit).into()]);
                let rows = statement.map_err(failed)?.all().await.map_err(failed)?.results::<Found>().map_err(failed)?;
                let ids: Vec<TicketId> = rows.iter().filter_map(|r| TicketId::parse(&r.ticket).ok()).collect();
                if !ids.is_empty() || query.words().len() < 2 {
                    return Ok(ids);
                }
            }
            Ok(Vec::new())
        })
    }

    fn delete<'a>(&'a self, tickets: &'a [TicketId]) -> LocalBoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if tickets.is_empty() {
                return Ok(());
            }
            self.ready().await?;
            let mut statements = Vec::with_capacity(tickets.len() * 2);
            for ticket in tickets {
                let id = ticket.to_string();
                for sql in [DELETE_WORDS, DELETE_ROW] {
                    statements.push(self.db.prepare(sql).bind(&[id.as_str().into()]).map_err(failed)?);
                }
            }
            self.db.batch(statements).await.map_err(failed)?;
            Ok(())
        })
    }
}

impl core::fmt::Debug for dyn WordIndex + '_ {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("WordIndex")
    }
}
