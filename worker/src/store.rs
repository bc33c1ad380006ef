//! Storage: the only module that knows KV key layouts.
//!
//! Layout (no key is read-modify-written by two parties):
//! - `t/{ticket}` → the ticket record, JSON, as submitted and stamped;
//!   written once.
//! - `e/{ticket}/{event id}` → one event, JSON (also in the key's metadata,
//!   so one list returns a ticket's history). Written once; ids the sweep
//!   writes are deterministic, so a repeated sweep finds them with `get`;
//!   so are those of a requester's answers sent with an `Idempotency-Key`,
//!   whose value also keeps the body's hash (`request_hash`, never in the
//!   metadata), so a retry is found with `get` and compared, not written.
//! - `q/{site}/{first due, ms, 15 digits}/{ticket}` → empty, with the
//!   ticket's queue row (`queue::QueueRow`, packed) as its metadata; lists
//!   a site's live tickets roughly most urgent first; a solved or closed
//!   ticket's entry is `q/{site}/z/{first due}/{ticket}` instead, after
//!   every live one (moved back when it reopens). Rewritten whenever the
//!   ticket's events change (by the API, mail in and the sweep), and by the
//!   sweep from the whole log at least a minute after each change, so a
//!   page of the queue is one list. An entry without a row it can read
//!   (written before rows existed) is read from the ticket instead.
//! - `qb` → how far the sweep's backfill of queue rows got: the last `q/`
//!   key it looked at, or `done`. Written only by the sweep.
//! - `d/{check at, ms, 15 digits}/{ticket}` → empty; when the sweep should
//!   look at a ticket next. Written by creation, re-stamps and the sweep;
//!   deleted only by the sweep. Stale entries are harmless: the sweep
//!   recomputes from the record.
//! - `o/{retry at, ms, 15 digits}/{delivery id}` → a webhook delivery to
//!   try again, JSON; written and deleted only by the sweep.
//! - `om/{retry at, ms, 15 digits}/{ticket}.{mail}` → a mail to send, JSON
//!   ([`PendingMail`]); written by the API and the sweep, deleted by the
//!   sweep only once the send succeeded (or its last attempt failed).
//! - `dev/mail/{newest first ms}/{message id}` → a sent mail's raw text;
//!   written only where `cargo xtask dev` turns the mail view on.
//! - `x/{site}/{UTC day}/{at, ms, 15 digits}/{random id}` → how a guided fix ended,
//!   JSON in value and metadata; written once, listed by metrics.
//! - `m/{site}/{UTC day}/{received ms, 15 digits}/{ticket}` → empty; the
//!   ticket's metric facts in its metadata, in their compact form
//!   (`Facts::encode`; the JSON object of older facts reads too).
//!   Rewritten from the whole event log whenever the ticket changes.
//! - `r/{site}/{UTC day}` → the day's 24 hourly roll-ups, JSON
//!   (`DayRollup`); written only by the sweep, for hours ended
//!   `ROLL_DELAY_MS` before, again after each `rd/` mark of the day.
//! - `rd/{minute, ms, 15 digits}/{site}/{UTC day}` → empty; a change to
//!   the facts of a ticket received on that day, in an hour that had
//!   ended. Consumed by the sweep once the minute is `ROLL_DELAY_MS` old.
//! - `rw/{site}` → JSON `{"first": ms, "until": ms}` ([`Watermark`]): the
//!   site's first UTC day with a ticket or a guided fix (a report reads
//!   nothing before it), and the first hour the sweep has not rolled up
//!   once. Missing, the sweep starts from the site's first day of facts
//!   or fixes, and a report reads every day.
//! - `u/{site}/{user key}/{newest first: 999999999999999 − created ms,
//!   15 digits}/{ticket}` → empty; a verified user's tickets on a site,
//!   newest first, for their history on another device. The user key is a
//!   keyed hash of the user id (`keys::user_key`), never the id itself.
//!   Written once, at creation, and only for a verified identity; a hint
//!   like `q/`: readers check each record's site and user.
//! - `ue/{site}/{email key}/{newest first ms, 15 digits}/{ticket}` →
//!   empty; the tickets of a requester's email address (typed or signed,
//!   as `search::tickets::normal_email` writes it), newest first, for
//!   finding them by it. The key is `keys::email_key`, a keyed hash,
//!   never the address. Written at creation and by the search rebuild; a
//!   hint like `u/`.
//! - `si/{ticket}` → empty; a ticket whose word-index entry (D1) could not
//!   be written at creation. The sweep writes the entry and deletes this.
//! - `mail:suppressed:{site}:{address key}` → JSON `{"at": ms, "why"}`;
//!   no more mail to that address on that site: a bounce named it (deleted
//!   when the address writes again) or its owner unsubscribed (kept). The
//!   key is `email::token::address_key`, a keyed hash, never the address.
//!
//! - `up/{site}/{upload id}` → an upload's record, JSON ([`Upload`]):
//!   its file, who uploaded it and when, and the ticket it is attached
//!   to once it is (its bytes are in R2, see `files`). Written at upload,
//!   rewritten once when attached; deleted by the sweep with its bytes
//!   when never attached.
//! - `upx/{uploaded ms, 15 digits}/{site}/{upload id}` → empty; an upload
//!   not attached yet, oldest first, so the sweep finds those left over
//!   24 hours without listing the bucket. Deleted when it is attached or
//!   swept.
//!
//! KV lists lag writes by up to a minute; nothing here needs a list to
//! see a write at once.

use buoy_shared::config::EventType;
use buoy_shared::deflection::Deflection;
use buoy_shared::events::TicketEvent;
use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::metrics::{DayRollup, Facts, HOUR_MS, ROLL_DELAY_MS};
use buoy_shared::queue::QueueRow;
use buoy_shared::sla::NamedCalendars;
use buoy_shared::ticket::Ticket;
use buoy_shared::time::Timestamp;
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};

/// A storage failure; the text is for the log only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

/// One listed key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its name.
    pub name: String,
    /// Its metadata, as JSON text.
    pub metadata: Option<String>,
}

/// One page of a key listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPage {
    /// Keys in lexicographic order.
    pub keys: Vec<Listed>,
    /// Where the next page starts, if there is one.
    pub cursor: Option<String>,
}

/// The key-value operations Buoy uses: Workers KV at the edge, memory in
/// host tests.
#[allow(async_fn_in_trait)] // Only used with concrete types on one thread.
pub trait Kv {
    /// The value stored under `key`.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` (and optional JSON metadata) under `key`.
    async fn put(&self, key: &str, value: &str, metadata: Option<&str>) -> Result<(), StoreError>;
    /// Up to `limit` keys starting with `prefix`, after `cursor`.
    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError>;
    /// Removes `key`.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// A shared reference to a store is a store: many requests of a test (or
/// of a seeding run) can share one in-memory KV.
impl<K: Kv> Kv for &K {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        (**self).get(key).await
    }
    async fn put(&self, key: &str, value: &str, metadata: Option<&str>) -> Result<(), StoreError> {
        (**self).put(key, value, metadata).await
    }
    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        (**self).list(prefix, limit, cursor).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        (**self).delete(key).await
    }
}

/// A [`Kv`] that counts the operations asked of the one it wraps, by
/// kind (a list page, a get, a put or a delete is one each, as Workers KV
/// counts them against an invocation's limit).
#[derive(Debug, Default)]
pub struct Counted<K> {
    inner: K,
    spent: core::cell::Cell<KvOps>,
}

impl<K> Counted<K> {
    /// Counts from zero the operations asked of `inner`.
    pub const fn new(inner: K) -> Self {
        Self { inner, spent: core::cell::Cell::new(KvOps { gets: 0, puts: 0, lists: 0, deletes: 0 }) }
    }

    /// The operations asked so far, failed ones too (they are billed).
    pub fn operations(&self) -> KvOps {
        self.spent.get()
    }

    /// How many operations in all: what an invocation's limit counts.
    pub fn spent(&self) -> u32 {
        let o = self.spent.get();
        o.gets + o.puts + o.lists + o.deletes
    }

    fn count(&self, add: impl FnOnce(&mut KvOps)) {
        let mut spent = self.spent.get();
        add(&mut spent);
        self.spent.set(spent);
    }
}

impl<K: Kv> Kv for Counted<K> {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.count(|o| o.gets += 1);
        self.inner.get(key).await
    }

    async fn put(&self, key: &str, value: &str, metadata: Option<&str>) -> Result<(), StoreError> {
        self.count(|o| o.puts += 1);
        self.inner.put(key, value, metadata).await
    }

    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        self.count(|o| o.lists += 1);
        self.inner.list(prefix, limit, cursor).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.count(|o| o.deletes += 1);
        self.inner.delete(key).await
    }
}

/// A webhook delivery waiting to be tried again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDelivery {
    /// Which `[[webhooks]]` entry.
    pub hook: usize,
    /// The event id receivers de-duplicate on.
    pub event_id: String,
    /// The event type.
    pub event_type: EventType,
    /// The body, exactly as first sent.
    pub body: String,
    /// Attempts made so far.
    pub attempts: u32,
}

/// An event as stored, with the hash of the request that sent it (kept
/// for an answer sent with an `Idempotency-Key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event.
    pub event: TicketEvent,
    /// `keys::request_hash` of the body that sent it, if kept.
    pub request_hash: Option<String>,
}

/// An uploaded file, before and after it is attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// `up_` and 32 hex digits.
    pub id: String,
    /// The site it was uploaded to.
    pub site: SiteId,
    /// The file.
    pub file: buoy_shared::attach::FileInfo,
    /// When it was uploaded.
    pub at: Timestamp,
    /// The agent who uploaded it; `None` for a requester.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The ticket it is attached to, once it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached: Option<TicketId>,
}

/// A pending upload's entry that the sweep found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    /// Its key, to delete once handled.
    pub key: String,
    /// The site.
    pub site: SiteId,
    /// The upload id.
    pub upload: String,
}

/// A due-index entry the sweep found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEntry {
    /// Its key, to delete once handled.
    pub key: String,
    /// When it was due.
    pub at: Timestamp,
    /// The ticket.
    pub ticket: TicketId,
}

/// Tickets, their events and the sweep's indexes over a [`Kv`].
#[derive(Debug)]
pub struct TicketStore<K> {
    kv: K,
}

fn ticket_key(id: &TicketId) -> String {
    format!("t/{id}")
}

/// How far the sweep's backfill of queue rows got (see the layout).
const BACKFILL_KEY: &str = "qb";

fn queue_prefix(site: &SiteId) -> String {
    format!("q/{site}/")
}

/// A ticket's queue entry: by its first due time among the live ones, or
/// in the finished part (`z/` sorts after every digit) once it is done.
fn queue_key(ticket: &Ticket, first_due: Timestamp, finished: bool) -> String {
    let part = if finished { "z/" } else { "" };
    format!("{}{part}{:015}/{}", queue_prefix(&ticket.site), millis(first_due), ticket.id)
}

/// The keys of a site's `kind` (`m`: metric facts, `x`: guided fixes)
/// on the UTC day of `ms`.
fn day_prefix(kind: &str, site: &SiteId, ms: i64) -> String {
    format!("{kind}/{site}/{}/", utc_day(ms))
}

/// The UTC day of `ms`, `YYYY-MM-DD`.
fn utc_day(ms: i64) -> String {
    let day = jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default();
    day.get(..10).unwrap_or("0000-00-00").to_owned()
}

/// A site's roll-up of the UTC day starting at `day` (ms).
fn rollup_key(site: &SiteId, day: i64) -> String {
    format!("r/{site}/{}", utc_day(day))
}

/// A mark that a ticket received on the UTC day of `created` changed at
/// `now` (by the minute, so a mark stands for a minute's changes).
fn roll_mark_key(now: i64, site: &SiteId, created: i64) -> String {
    format!("rd/{:015}/{site}/{}", now - now.rem_euclid(60_000), utc_day(created))
}

/// The first instant (ms) of a UTC day named `YYYY-MM-DD`.
fn day_start(name: &str) -> Option<i64> {
    let date: jiff::civil::Date = name.parse().ok()?;
    jiff::tz::TimeZone::UTC
        .to_ambiguous_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .compatible()
        .ok()
        .map(|t| t.as_millisecond())
}

/// A ticket's facts from its `m/` key's metadata: the compact form (a
/// JSON string), or the JSON object stored before it, read as it was.
fn facts_of(key: &str, meta: &str) -> Result<Facts, StoreError> {
    let read = if meta.starts_with('"') {
        serde_json::from_str::<String>(meta).map_err(|e| e.to_string()).and_then(|text| Facts::decode(&text))
    } else {
        serde_json::from_str(meta).map_err(|e| e.to_string())
    };
    read.map_err(|e| StoreError(format!("{key}: {e}")))
}

/// A site's roll-up watermark (`rw/{site}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    /// The start (ms) of the site's first UTC day with a ticket or a
    /// guided fix: nothing is ever stored for a day before it, so a
    /// report reads nothing of those days (`metrics::days_to_read`).
    pub first: i64,
    /// The first hour (ms) the sweep has not rolled up once.
    pub until: i64,
}

fn watermark_key(site: &SiteId) -> String {
    format!("rw/{site}")
}

/// A roll-up mark: a site's UTC day whose facts changed after some of
/// its hours were (or were due to be) rolled up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollMark {
    /// Its key.
    pub key: String,
    /// The site.
    pub site: SiteId,
    /// The day's first instant, ms.
    pub day: i64,
}

/// The prefix of a verified user's tickets on a site (see the layout).
fn user_prefix(site: &SiteId, user_key: &str) -> String {
    format!("u/{site}/{user_key}/")
}

/// The prefix of a requester's entries in the email index.
fn email_prefix(site: &SiteId, email_key: &str) -> String {
    format!("ue/{site}/{email_key}/")
}

/// A ticket's entry under an index prefix (`u/…/`, `ue/…/`), newest first.
fn newest_first_key(prefix: &str, created: Timestamp, id: &TicketId) -> String {
    format!("{prefix}{:015}/{id}", NEWEST_FIRST - millis(created).min(NEWEST_FIRST))
}

/// Sorts a later creation first in a key listing (which is ascending).
const NEWEST_FIRST: i64 = 999_999_999_999_999;

fn upload_key(site: &SiteId, upload: &str) -> String {
    format!("up/{site}/{upload}")
}

fn pending_upload_key(at: Timestamp, site: &SiteId, upload: &str) -> String {
    format!("upx/{:015}/{site}/{upload}", millis(at))
}

/// The key of a ticket's metric facts.
fn facts_key(site: &SiteId, created_ms: i64, id: &TicketId) -> String {
    format!("{}{created_ms:015}/{id}", day_prefix("m", site, created_ms))
}

fn event_key(ticket: &TicketId, event_id: &str) -> String {
    format!("e/{ticket}/{event_id}")
}

/// What a key of the layout holds, as far as a tool that reads a whole
/// store needs to know (the demo seed counts what it wrote, and clears it
/// before the next seed): the layout stays known here only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// `t/{ticket}`: a ticket's record.
    Ticket(&'a str),
    /// `e/{ticket}/{event id}`: one of a ticket's events (a `TicketEvent`).
    Event(&'a str),
    /// `x/…/{id}`: how a guided fix ended (a `Deflection`).
    GuidedFix(&'a str),
    /// `r/{site}/…`, `rd/…/{site}/…`, `rw/{site}`: a site's hourly metric
    /// roll-ups, their marks and watermark. They are made by the sweep
    /// from the site's facts, so a tool that replaces facts clears them,
    /// and the sweep rolls the site up again from its first day.
    Rollup(&'a str),
    /// `qb`: how far the sweep's backfill of queue rows got, over the
    /// whole namespace: the sweep's own, never a tool's to load or clear.
    Backfill,
    /// An index hint, a ticket's metric facts, a webhook delivery.
    Other,
}

impl<'a> Entry<'a> {
    /// What `key` holds.
    pub fn of(key: &'a str) -> Self {
        let parts: Vec<&str> = key.split('/').collect();
        match parts.as_slice() {
            ["t", id] => Self::Ticket(id),
            ["e", ticket, _] => Self::Event(ticket),
            ["x", _, _, _, id] => Self::GuidedFix(id),
            ["r", site, _] | ["rd", _, site, _] | ["rw", site] => Self::Rollup(site),
            [key] if *key == BACKFILL_KEY => Self::Backfill,
            _ => Self::Other,
        }
    }
}

/// Whether `key` belongs to one of `ids` (tickets and guided fixes):
/// every key of a ticket (its record, events, index entries and webhook
/// deliveries, whose id is `{ticket}.{event}`) has the ticket's id as one
/// of its parts, and a guided fix's key ends with its own.
pub fn belongs_to_one_of(key: &str, ids: &std::collections::BTreeSet<&str>) -> bool {
    key.split(['/', '.']).any(|part| ids.contains(part))
}

fn millis(at: Timestamp) -> i64 {
    at.as_millis().max(0)
}

fn failed(e: impl core::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl<K: Kv> TicketStore<K> {
    /// Tickets stored in `kv`.
    pub const fn new(kv: K) -> Self {
        Self { kv }
    }

    /// The key-value store underneath.
    pub const fn kv(&self) -> &K {
        &self.kv
    }

    /// The ticket with this id, if it exists.
    ///
    /// # Errors
    /// When KV fails or the record does not parse.
    pub async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        match self.kv.get(&ticket_key(id)).await? {
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| StoreError(format!("ticket {id}: {e}"))),
            None => Ok(None),
        }
    }

    /// Stores a new ticket's record. Its index entries come after
    /// ([`Self::put_row`], [`Self::schedule_check`], ...), so an index
    /// never names a ticket not written.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn insert(&self, ticket: &Ticket) -> Result<(), StoreError> {
        // Serialise to a string ourselves: handing a struct to KV can store `{}`.
        let record = serde_json::to_string(ticket).map_err(failed)?;
        self.kv.put(&ticket_key(&ticket.id), &record, None).await
    }

    /// Lists a ticket created by a verified user under their user key
    /// (`keys::user_key`), for their history on other devices. Called
    /// after [`Self::insert`], so the index never names a ticket not
    /// written.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn index_for_user(&self, ticket: &Ticket, user_key: &str) -> Result<(), StoreError> {
        self.kv.put(&newest_first_key(&user_prefix(&ticket.site, user_key), ticket.created_at, &ticket.id), "", None).await
    }

    /// Up to `limit` of the tickets listed under a user key on `site`,
    /// newest first: an id listed twice (concurrent retries of one create)
    /// counts once, and a record not visible yet, unreadable (logged), or
    /// on another site, is left out. The caller checks whose each ticket is.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn for_user(&self, site: &SiteId, user_key: &str, limit: u32) -> Result<Vec<Ticket>, StoreError> {
        let page = self.kv.list(&user_prefix(site, user_key), limit, None).await?;
        Ok(self.records_listed(site, &page.keys, "a user's history").await)
    }

    /// Lists a ticket under its requester's email address (`email_key`),
    /// for finding their tickets by it. Called after [`Self::insert`].
    ///
    /// # Errors
    /// When KV fails.
    pub async fn index_for_email(&self, ticket: &Ticket, email_key: &str) -> Result<(), StoreError> {
        self.kv.put(&newest_first_key(&email_prefix(&ticket.site, email_key), ticket.created_at, &ticket.id), "", None).await
    }

    /// Up to `limit` of `site`'s tickets listed under an email key, newest
    /// first (as [`Self::for_user`] reads its list).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn for_email(&self, site: &SiteId, email_key: &str, limit: u32) -> Result<Vec<Ticket>, StoreError> {
        let page = self.kv.list(&email_prefix(site, email_key), limit, None).await?;
        Ok(self.records_listed(site, &page.keys, "a search by email").await)
    }

    /// `site`'s tickets whose ids start with `id_prefix` (a reference's:
    /// `TicketRef::id_prefix`), from one list of the records' keys.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn with_id_prefix(&self, site: &SiteId, id_prefix: &str) -> Result<Vec<Ticket>, StoreError> {
        let page = self.kv.list(&format!("t/{id_prefix}"), 10, None).await?;
        Ok(self.records_listed(site, &page.keys, "a search by reference").await)
    }

    /// One page of every ticket record's id, in key order, and the cursor
    /// of the next page (the search rebuild walks them).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn ticket_ids(&self, cursor: Option<&str>, limit: u32) -> Result<(Vec<TicketId>, Option<String>), StoreError> {
        let page = self.kv.list("t/", limit, cursor).await?;
        let ids = page.keys.iter().filter_map(|k| k.name.strip_prefix("t/")).filter_map(|id| TicketId::parse(id).ok()).collect();
        Ok((ids, page.cursor))
    }

    /// The records of `ids` on `site`, read at once (missing ones and
    /// other sites' left out).
    pub async fn tickets_of(&self, site: &SiteId, ids: &[TicketId]) -> Vec<Ticket> {
        self.records_of(site, ids, "a search").await
    }

    /// Notes that a ticket's word-index entry is owed (its write failed).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn owe_search_entry(&self, ticket: &TicketId) -> Result<(), StoreError> {
        self.kv.put(&format!("si/{ticket}"), "", None).await
    }

    /// Up to `limit` tickets whose word-index entry is owed, with their keys.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn owed_search_entries(&self, limit: u32) -> Result<Vec<(String, TicketId)>, StoreError> {
        let page = self.kv.list("si/", limit, None).await?;
        Ok(page
            .keys
            .into_iter()
            .filter_map(|k| Some((TicketId::parse(k.name.strip_prefix("si/")?).ok()?, k.name)).map(|(id, key)| (key, id)))
            .collect())
    }

    /// Forgets an owed entry once written.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn clear_owed_search_entry(&self, key: &str) -> Result<(), StoreError> {
        self.kv.delete(key).await
    }

    /// A ticket's events, oldest first (may lag a minute behind writes).
    ///
    /// # Errors
    /// When KV fails or an event does not parse.
    pub async fn events(&self, id: &TicketId) -> Result<Vec<TicketEvent>, StoreError> {
        let mut events = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.kv.list(&format!("e/{id}/"), 1000, cursor.as_deref()).await?;
            for key in &page.keys {
                let event = match &key.metadata {
                    Some(meta) => serde_json::from_str(meta).map_err(|e| StoreError(format!("{}: {e}", key.name)))?,
                    None => match self.kv.get(&key.name).await? {
                        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError(format!("{}: {e}", key.name)))?,
                        None => continue,
                    },
                };
                events.push(event);
            }
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        events.sort_by(|a: &TicketEvent, b: &TicketEvent| (a.at, &a.id).cmp(&(b.at, &b.id)));
        Ok(events)
    }

    /// Records an event unless one with its id exists (checked with `get`,
    /// which sees this location's own writes at once); true if recorded.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn record_once(&self, ticket: &TicketId, event: &TicketEvent) -> Result<bool, StoreError> {
        if self.has_event(ticket, &event.id).await? {
            return Ok(false);
        }
        self.append(ticket, event).await?;
        Ok(true)
    }

    /// Keeps a ticket's metric facts in the metadata of its metrics key,
    /// `m/{site}/{UTC day}/{received ms}/{id}` (value empty), in their
    /// compact form (`Facts::encode`, a JSON string): a period's report
    /// lists its days and reads no ticket. Rewritten whenever the ticket
    /// changes, each time from the whole event log. A change at `now`
    /// after the hour the ticket was received in has ended also marks
    /// that day for the sweep to roll up again (`rd/…`), so its roll-up
    /// is never stale for longer than the sweep takes to come round.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn put_facts(&self, ticket: &Ticket, facts: &Facts, now: Timestamp) -> Result<(), StoreError> {
        self.put_facts_of(&ticket.site, ticket.created_at, &ticket.id, facts, now).await
    }

    /// [`Self::put_facts`] for the ticket `id` of `site` received at
    /// `created` (a privacy erase rewrites facts whose record is gone).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn put_facts_of(
        &self,
        site: &SiteId,
        created: Timestamp,
        id: &TicketId,
        facts: &Facts,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let meta = serde_json::to_string(&facts.encode()).map_err(failed)?;
        let created = millis(created);
        let key = facts_key(site, created, id);
        let put = self.kv.put(&key, "", Some(&meta));
        if millis(now) < created - created.rem_euclid(HOUR_MS) + HOUR_MS {
            return put.await;
        }
        let mark_key = roll_mark_key(millis(now), site, created);
        let (a, b) = futures_util::join!(put, self.kv.put(&mark_key, "", None));
        a.and(b)
    }

    /// The stored roll-ups of the site's UTC days starting at `days` (ms),
    /// read at once, and the KV operations spent (one `get` a day).
    ///
    /// # Errors
    /// When KV fails or a roll-up does not parse.
    pub async fn rollups(&self, site: &SiteId, days: &[i64]) -> Result<(Vec<(i64, Option<DayRollup>)>, u32), StoreError> {
        let read = join_all(days.iter().map(|day| async move {
            let key = rollup_key(site, *day);
            match self.kv.get(&key).await? {
                Some(text) => serde_json::from_str(&text).map(|r| (*day, Some(r))).map_err(|e| StoreError(format!("{key}: {e}"))),
                None => Ok((*day, None)),
            }
        }))
        .await;
        Ok((read.into_iter().collect::<Result<_, _>>()?, days.len() as u32))
    }

    /// Stores a site's roll-up of the UTC day starting at `day` (ms).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn put_rollup(&self, site: &SiteId, day: i64, rollup: &DayRollup) -> Result<(), StoreError> {
        let text = serde_json::to_string(rollup).map_err(failed)?;
        self.kv.put(&rollup_key(site, day), &text, None).await
    }

    /// The facts and guided fixes of the site's UTC days starting at
    /// `days` (ms), listed at once, and the KV operations spent.
    ///
    /// # Errors
    /// When KV fails or metadata does not parse.
    pub async fn facts_of_days(&self, site: &SiteId, days: &[i64]) -> Result<(Vec<Facts>, Vec<(i64, bool)>, u32), StoreError> {
        let listed = join_all(days.iter().map(|day| async move {
            let (m, x) = futures_util::join!(self.list_all(day_prefix("m", site, *day)), self.list_all(day_prefix("x", site, *day)));
            Ok::<_, StoreError>((m?, x?))
        }))
        .await;
        let (mut facts, mut fixes, mut operations) = (Vec::new(), Vec::new(), 0);
        for day in listed {
            let ((m, m_ops), (x, x_ops)) = day?;
            operations += m_ops + x_ops;
            for key in m {
                if let Some(meta) = &key.metadata {
                    facts.push(facts_of(&key.name, meta)?);
                }
            }
            for key in x {
                if let Some(meta) = &key.metadata {
                    let d: Deflection = serde_json::from_str(meta).map_err(|e| StoreError(format!("{}: {e}", key.name)))?;
                    fixes.push((d.at.as_millis(), d.outcome == buoy_shared::deflection::Outcome::Fixed));
                }
            }
        }
        Ok((facts, fixes, operations))
    }

    /// Up to `limit` roll-up marks (`rd/…`) set in a minute that ended
    /// [`ROLL_DELAY_MS`] before `now`, oldest first: by then every write
    /// the mark stands for is listed.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn roll_marks(&self, now: Timestamp, limit: u32) -> Result<Vec<RollMark>, StoreError> {
        let page = self.kv.list("rd/", limit.min(1000), None).await?;
        let mut marks = Vec::new();
        for key in page.keys {
            let parts: Vec<&str> = key.name.split('/').collect();
            let ["rd", minute, site, day] = parts.as_slice() else { continue };
            let (Ok(minute), Ok(site), Some(day)) = (minute.parse::<i64>(), SiteId::parse(site), day_start(day)) else { continue };
            if minute + 60_000 + ROLL_DELAY_MS > millis(now) {
                break;
            }
            marks.push(RollMark { key: key.name, site, day });
        }
        Ok(marks)
    }

    /// Removes a roll-up mark.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn clear_roll_mark(&self, mark: &RollMark) -> Result<(), StoreError> {
        self.kv.delete(&mark.key).await
    }

    /// A site's roll-up watermark, if the sweep has set it.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn watermark(&self, site: &SiteId) -> Result<Option<Watermark>, StoreError> {
        Ok(self.kv.get(&watermark_key(site)).await?.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Records a site's roll-up watermark.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn set_watermark(&self, site: &SiteId, watermark: &Watermark) -> Result<(), StoreError> {
        let text = serde_json::to_string(watermark).map_err(failed)?;
        self.kv.put(&watermark_key(site), &text, None).await
    }

    /// The start (ms) of the first UTC day with a ticket's facts or a
    /// guided fix on the site (a list of one key of each), for rolling up
    /// what was stored before roll-ups existed.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn first_metrics_day(&self, site: &SiteId) -> Result<Option<i64>, StoreError> {
        let first = |kind: &'static str| async move {
            let page = self.kv.list(&format!("{kind}/{site}/"), 1, None).await?;
            Ok::<_, StoreError>(page.keys.first().and_then(|k| k.name.split('/').nth(2)).and_then(day_start))
        };
        let (m, x) = futures_util::join!(first("m"), first("x"));
        Ok([m?, x?].into_iter().flatten().min())
    }

    /// Every key under a prefix, page by page, and the pages read.
    async fn list_all(&self, prefix: String) -> Result<(Vec<Listed>, u32), StoreError> {
        let (mut keys, mut cursor, mut operations) = (Vec::new(), None::<String>, 0);
        loop {
            let page = self.kv.list(&prefix, 1000, cursor.as_deref()).await?;
            operations += 1;
            keys.extend(page.keys);
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => return Ok((keys, operations)),
            }
        }
    }

    /// Whether a ticket has the event with this id (read by key, so a
    /// write from this location is seen at once).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn has_event(&self, ticket: &TicketId, event_id: &str) -> Result<bool, StoreError> {
        Ok(self.kv.get(&event_key(ticket, event_id)).await?.is_some())
    }

    /// Appends an event.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn append(&self, ticket: &TicketId, event: &TicketEvent) -> Result<(), StoreError> {
        self.append_hashed(ticket, event, None).await
    }

    /// Appends an event with the hash of the request that sent it (an
    /// answer sent with an `Idempotency-Key`): the hash is kept in the
    /// stored value, beside the event's fields, for [`Self::event`] to
    /// compare a retry with; the listed metadata, which agents' views and
    /// webhooks are read from, is the event alone.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn append_hashed(&self, ticket: &TicketId, event: &TicketEvent, request_hash: Option<&str>) -> Result<(), StoreError> {
        let text = serde_json::to_string(event).map_err(failed)?;
        // Metadata holds at most 1024 bytes; a larger event is read by key.
        let metadata = (text.len() <= 1000).then_some(text.as_str());
        let value = match request_hash {
            Some(hash) => {
                let mut value = serde_json::to_value(event).map_err(failed)?;
                if let Some(fields) = value.as_object_mut() {
                    fields.insert("request_hash".into(), hash.into());
                }
                value.to_string()
            }
            None => text.clone(),
        };
        self.kv.put(&event_key(ticket, &event.id), &value, metadata).await
    }

    /// The event stored under `event_id`, read by key (which sees this
    /// location's own writes at once), with the hash of the request that
    /// sent it, if one was kept ([`Self::append_hashed`]).
    ///
    /// # Errors
    /// When KV fails or the event does not parse.
    pub async fn event(&self, ticket: &TicketId, event_id: &str) -> Result<Option<StoredEvent>, StoreError> {
        #[derive(Deserialize)]
        struct Hashed {
            #[serde(default)]
            request_hash: Option<String>,
        }
        let key = event_key(ticket, event_id);
        let Some(text) = self.kv.get(&key).await? else { return Ok(None) };
        let unreadable = |e: serde_json::Error| StoreError(format!("{key}: {e}"));
        let event = serde_json::from_str(&text).map_err(unreadable)?;
        let Hashed { request_hash } = serde_json::from_str(&text).map_err(unreadable)?;
        Ok(Some(StoredEvent { event, request_hash }))
    }

    /// Stores a new upload's record and lists it as pending.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn put_upload(&self, upload: &Upload) -> Result<(), StoreError> {
        let text = serde_json::to_string(upload).map_err(failed)?;
        self.kv.put(&upload_key(&upload.site, &upload.id), &text, None).await?;
        self.kv.put(&pending_upload_key(upload.at, &upload.site, &upload.id), "", None).await
    }

    /// The upload `id` of `site`, if it exists (read by key: a write from
    /// this location is seen at once).
    ///
    /// # Errors
    /// When KV fails or the record does not parse.
    pub async fn upload(&self, site: &SiteId, id: &str) -> Result<Option<Upload>, StoreError> {
        let key = upload_key(site, id);
        match self.kv.get(&key).await? {
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| StoreError(format!("{key}: {e}"))),
            None => Ok(None),
        }
    }

    /// Records that an upload is attached to `ticket`: the sweep leaves it.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn attach_upload(&self, upload: &Upload, ticket: &TicketId) -> Result<(), StoreError> {
        let attached = Upload { attached: Some(*ticket), ..upload.clone() };
        let text = serde_json::to_string(&attached).map_err(failed)?;
        self.kv.put(&upload_key(&upload.site, &upload.id), &text, None).await?;
        self.kv.delete(&pending_upload_key(upload.at, &upload.site, &upload.id)).await
    }

    /// Pending uploads made before `before`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn pending_uploads(&self, before: Timestamp, limit: u32) -> Result<Vec<PendingUpload>, StoreError> {
        let page = self.kv.list("upx/", limit, None).await?;
        let mut found = Vec::new();
        for key in page.keys {
            let parts: Vec<&str> = key.name.split('/').collect();
            let ["upx", at, site, upload] = parts.as_slice() else { continue };
            if at.parse::<i64>().is_ok_and(|at| at >= millis(before)) {
                break;
            }
            let Ok(site) = SiteId::parse(site) else { continue };
            found.push(PendingUpload { site, upload: (*upload).to_owned(), key: key.name.clone() });
        }
        Ok(found)
    }

    /// Drops a pending entry whose upload was attached after all.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn clear_pending(&self, pending: &PendingUpload) -> Result<(), StoreError> {
        self.kv.delete(&pending.key).await
    }

    /// Forgets an upload: its record and its pending entry (`key`).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn forget_upload(&self, pending: &PendingUpload) -> Result<(), StoreError> {
        self.kv.delete(&upload_key(&pending.site, &pending.upload)).await?;
        self.kv.delete(&pending.key).await
    }

    /// Records how a guided fix ended, under a random id.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn record_deflection(&self, deflection: &Deflection, id: &TicketId) -> Result<(), StoreError> {
        let text = serde_json::to_string(deflection).map_err(failed)?;
        let key = format!("{}{:015}/{id}", day_prefix("x", &deflection.site, millis(deflection.at)), millis(deflection.at));
        self.kv.put(&key, &text, Some(&text)).await
    }

    /// Asks the sweep to look at a ticket at `at`.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn schedule_check(&self, ticket: &TicketId, at: Timestamp) -> Result<(), StoreError> {
        self.kv.put(&format!("d/{:015}/{ticket}", millis(at)), "", None).await
    }

    /// Due-index entries at or before `now`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn due_checks(&self, now: Timestamp, limit: u32) -> Result<Vec<DueEntry>, StoreError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        'pages: loop {
            let page = self.kv.list("d/", limit.min(1000), cursor.as_deref()).await?;
            for key in page.keys {
                let mut parts = key.name.splitn(3, '/').skip(1);
                let (Some(at), Some(id)) = (parts.next(), parts.next()) else { continue };
                let (Ok(at), Ok(ticket)) = (at.parse::<i64>(), TicketId::parse(id)) else { continue };
                if at > now.as_millis() || out.len() >= limit as usize {
                    break 'pages;
                }
                out.push(DueEntry { key: key.name, at: Timestamp::from_millis(at), ticket });
            }
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(out)
    }

    /// Removes a handled due-index entry.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn clear_check(&self, key: &str) -> Result<(), StoreError> {
        self.kv.delete(key).await
    }

    /// Puts a delivery in the outbox, to try again at `at`.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn outbox_put(&self, at: Timestamp, delivery: &PendingDelivery) -> Result<(), StoreError> {
        let id = format!("{}.{}", delivery.event_id, delivery.hook);
        self.kv.put(&format!("o/{:015}/{id}", millis(at)), &serde_json::to_string(delivery).map_err(failed)?, None).await
    }

    /// Outbox entries due at or before `now` (key and delivery), at most `limit`.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn outbox_due(&self, now: Timestamp, limit: u32) -> Result<Vec<(String, PendingDelivery)>, StoreError> {
        self.due_under("o/", now, limit).await
    }

    /// The entries under `prefix` (`{prefix}{due ms}/…`, JSON values) due
    /// at or before `now`, at most `limit`.
    async fn due_under<T: serde::de::DeserializeOwned>(
        &self,
        prefix: &str,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<(String, T)>, StoreError> {
        let page = self.kv.list(prefix, limit.min(1000), None).await?;
        let mut out = Vec::new();
        for key in page.keys {
            let due = key
                .name
                .strip_prefix(prefix)
                .and_then(|rest| rest.split('/').next())
                .and_then(|t| t.parse::<i64>().ok())
                .unwrap_or(i64::MAX);
            if due > now.as_millis() {
                break;
            }
            if let Some(text) = self.kv.get(&key.name).await? {
                out.push((key.name, serde_json::from_str(&text).map_err(failed)?));
            }
        }
        Ok(out)
    }

    /// Removes an outbox entry.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn outbox_delete(&self, key: &str) -> Result<(), StoreError> {
        self.kv.delete(key).await
    }

    /// Writes a ticket's queue entry with its row as metadata, in the
    /// finished part when the row says solved or closed; `moved` says the
    /// entry may sit in the other part (the status crossed, or the caller
    /// cannot tell), which is then deleted, after the new one is written so
    /// the ticket is never missing from the index.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn put_row(&self, ticket: &Ticket, first_due: Timestamp, row: &QueueRow, moved: bool) -> Result<(), StoreError> {
        let finished = buoy_shared::queue::is_finished(row.status);
        self.kv.put(&queue_key(ticket, first_due, finished), "", row.to_metadata().as_deref()).await?;
        if moved {
            self.kv.delete(&queue_key(ticket, first_due, !finished)).await?;
        }
        Ok(())
    }

    /// Gives up to `limit` queue entries without a row they can read
    /// (written before rows existed) their row, built from the ticket's
    /// record and events at `now`, going through every site's entries a
    /// page a run from where the last run stopped (`qb`); once through,
    /// each run reads `qb` alone. How many rows it wrote.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn backfill_rows(&self, now: Timestamp, business: &dyn NamedCalendars, limit: u32) -> Result<usize, StoreError> {
        const DONE: &str = "done";
        let cursor = self.kv.get(BACKFILL_KEY).await?;
        if cursor.as_deref() == Some(DONE) {
            return Ok(0);
        }
        let page = match self.kv.list("q/", limit, cursor.as_deref()).await {
            Ok(page) => page,
            // A cursor KV no longer takes must not stop every later sweep:
            // the next run starts over (rows already written are skipped).
            Err(e) if cursor.is_some() => {
                crate::log_error(&format!("queue backfill starts over: {}", e.0));
                self.kv.delete(BACKFILL_KEY).await?;
                return Ok(0);
            }
            Err(e) => return Err(e),
        };
        let mut written = 0;
        for key in &page.keys {
            let Some(id) = key.name.rsplit('/').next().and_then(|id| TicketId::parse(id).ok()) else { continue };
            if key.metadata.as_deref().and_then(|meta| QueueRow::from_metadata(id, meta)).is_some() {
                continue;
            }
            // An unreadable record (or event) must not stop the backfill
            // of every other entry: logged, and left to the per-ticket read.
            let loaded = match self.get(&id).await {
                Ok(Some(ticket)) => self.events(&id).await.map(|events| Some((ticket, events))),
                other => other.map(|_| None),
            };
            let (ticket, events) = match loaded {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(e) => {
                    crate::log_error(&format!("queue backfill skips ticket {id}: {}", e.0));
                    continue;
                }
            };
            let row = QueueRow::build(&ticket, &events, now, business);
            let due = buoy_shared::queue::index_due(&ticket, business);
            let filed = queue_key(&ticket, due, buoy_shared::queue::is_finished(row.status));
            self.put_row(&ticket, due, &row, filed != key.name).await?;
            written += 1;
        }
        self.kv.put(BACKFILL_KEY, page.cursor.as_deref().unwrap_or(DONE), None).await?;
        Ok(written)
    }

    /// A page of a site's queue, one row per ticket in listing order, and
    /// the next cursor: one list, each row from its entry's metadata. An
    /// entry without a row it can read (written before rows existed) is
    /// built from its ticket's record and events at `now` (a record not
    /// visible yet, on another site or unreadable is left out, logged);
    /// a ticket listed twice (moving between the live and finished parts)
    /// keeps its newer row.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn queue(
        &self,
        site: &SiteId,
        limit: u32,
        cursor: Option<&str>,
        now: Timestamp,
        business: &dyn NamedCalendars,
    ) -> Result<(Vec<QueueRow>, Option<String>), StoreError> {
        let page = self.kv.list(&queue_prefix(site), limit, cursor).await?;
        let mut rows: Vec<QueueRow> = Vec::with_capacity(page.keys.len());
        let mut unread: Vec<TicketId> = Vec::new();
        for key in &page.keys {
            let Some(id) = key.name.rsplit('/').next().and_then(|id| TicketId::parse(id).ok()) else { continue };
            match key.metadata.as_deref().and_then(|meta| QueueRow::from_metadata(id, meta)) {
                Some(row) => keep_newer(&mut rows, row),
                None if !unread.contains(&id) => unread.push(id),
                None => {}
            }
        }
        unread.retain(|id| !rows.iter().any(|r| r.id == *id));
        let records = self.records_of(site, &unread, "queue").await;
        let built = join_all(records.iter().map(|ticket| async move {
            let events = self.events(&ticket.id).await?;
            Ok::<_, StoreError>(QueueRow::build(ticket, &events, now, business))
        }))
        .await;
        for row in built {
            match row {
                Ok(row) => keep_newer(&mut rows, row),
                Err(e) => crate::log_error(&format!("queue skips a ticket: {}", e.0)),
            }
        }
        Ok((rows, page.cursor))
    }

    /// The records an index page names (each key ends in a ticket id),
    /// each once, in listing order, read at once, that belong to `site`.
    /// An index entry of another site cannot be listed under a site's
    /// prefix, but the check costs nothing and keeps tenants apart for
    /// sure; one unreadable record (an older format, say) must not hide
    /// the rest: it is logged (as `what` skipping it) and left out.
    async fn records_listed(&self, site: &SiteId, keys: &[Listed], what: &str) -> Vec<Ticket> {
        let mut ids: Vec<TicketId> = Vec::with_capacity(keys.len());
        for id in keys.iter().filter_map(|key| key.name.rsplit('/').next()).filter_map(|id| TicketId::parse(id).ok()) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        self.records_of(site, &ids, what).await
    }

    /// The records of `ids` (read at once) that exist and belong to
    /// `site`, in order; an unreadable one is logged (as `what` skipping
    /// it) and left out.
    async fn records_of(&self, site: &SiteId, ids: &[TicketId], what: &str) -> Vec<Ticket> {
        let records = join_all(ids.iter().map(|id| self.get(id))).await;
        let mut tickets = Vec::with_capacity(records.len());
        for record in records {
            match record {
                Ok(Some(ticket)) if &ticket.site == site => tickets.push(ticket),
                Ok(_) => {}
                Err(e) => crate::log_error(&format!("{what} skips a ticket: {}", e.0)),
            }
        }
        tickets
    }
}

/// Adds `row` to `rows`, or replaces the row of the same ticket if `row`
/// was built later.
fn keep_newer(rows: &mut Vec<QueueRow>, row: QueueRow) {
    match rows.iter_mut().find(|r| r.id == row.id) {
        Some(old) if old.built < row.built => *old = row,
        Some(_) => {}
        None => rows.push(row),
    }
}

// Mail: the outbound outbox, the addresses mail must not reach (a bounce
// until they write again, an unsubscribe for good), and the copies the
// development mail view shows.

/// A mail waiting in the outbox: built once, when its event was recorded,
/// so every attempt sends the same bytes with the same `Message-ID`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingMail {
    /// `{ticket}.{mail}`: names its outbox entry, unique per event and recipient.
    pub id: String,
    /// The site it is sent for (mail is turned off per site).
    pub site: SiteId,
    /// The recipient's `email::token::address_key` on that site.
    pub address_key: String,
    /// The envelope sender (equal to the `From` header).
    pub from: String,
    /// The envelope recipient.
    pub to: String,
    /// Its `Message-ID`, without angle brackets.
    pub message_id: String,
    /// The whole message (mail-builder writes 7-bit text).
    pub raw: String,
    /// Whether it goes to a typed address nobody vouched for: the sweep
    /// sends those within `limits::TYPED_RECIPIENT_PER_HOUR`.
    #[serde(default)]
    pub typed: bool,
    /// Attempts made so far.
    pub attempts: u32,
}

fn sends_key(site: &SiteId, address_key: &str) -> String {
    format!("mail:sent:{site}:{address_key}")
}

fn original_key(ticket: &TicketId, name: &str) -> String {
    format!("mo/{ticket}/{name}")
}

/// The name a ticket's first mail is kept under among its originals
/// (an answer's is its event id).
pub const FIRST_MAIL: &str = "first";

fn mail_key(at: Timestamp, id: &str) -> String {
    format!("om/{:015}/{id}", millis(at))
}

fn suppressed_key(site: &SiteId, address_key: &str) -> String {
    format!("mail:suppressed:{site}:{address_key}")
}

/// The reason a bounce records ([`Suppression::why`]); writing again lifts it.
pub const BOUNCE: &str = "bounce";
/// The reason the unsubscribe link records; only the site's own link sets it.
pub const UNSUBSCRIBED: &str = "unsubscribed";

/// Why an address gets no more mail, and since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// When it was recorded, in ms.
    pub at: i64,
    /// What said so: [`BOUNCE`] or [`UNSUBSCRIBED`].
    pub why: String,
}

impl<K: Kv> TicketStore<K> {
    /// Records that mail to the address `address_key` names must stop on
    /// `site` (the latest reason wins: one key per address).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn suppress(&self, site: &SiteId, address_key: &str, suppression: &Suppression) -> Result<(), StoreError> {
        let text = serde_json::to_string(suppression).map_err(failed)?;
        self.kv.put(&suppressed_key(site, address_key), &text, None).await
    }

    /// Why mail to the address `address_key` names is suppressed on
    /// `site`, if it is (read by key: this location's own writes show at once).
    ///
    /// # Errors
    /// When KV fails or the record does not parse.
    pub async fn is_suppressed(&self, site: &SiteId, address_key: &str) -> Result<Option<Suppression>, StoreError> {
        let key = suppressed_key(site, address_key);
        match self.kv.get(&key).await? {
            Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| StoreError(format!("{key}: {e}"))),
            None => Ok(None),
        }
    }

    /// Lifts a bounce's suppression: the address wrote again. An
    /// unsubscribe stands: only its owner's own link turned mail off.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn unsuppress(&self, site: &SiteId, address_key: &str) -> Result<(), StoreError> {
        match self.is_suppressed(site, address_key).await? {
            Some(suppression) if suppression.why == BOUNCE => self.kv.delete(&suppressed_key(site, address_key)).await,
            _ => Ok(()),
        }
    }

    /// Puts a mail in the outbox, to send at `at`.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn mail_put(&self, at: Timestamp, mail: &PendingMail) -> Result<(), StoreError> {
        self.kv.put(&mail_key(at, &mail.id), &serde_json::to_string(mail).map_err(failed)?, None).await
    }

    /// Mails due at or before `now` (key and mail), at most `limit`.
    ///
    /// # Errors
    /// When KV fails or an entry does not parse.
    pub async fn mail_due(&self, now: Timestamp, limit: u32) -> Result<Vec<(String, PendingMail)>, StoreError> {
        self.due_under("om/", now, limit).await
    }

    /// Removes a mail's outbox entry (sent, or given up).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn mail_delete(&self, key: &str) -> Result<(), StoreError> {
        self.kv.delete(key).await
    }

    /// When mail was sent to the address `address_key` names on `site`
    /// (ms; the sweep keeps only the last hour's).
    ///
    /// # Errors
    /// When KV fails or the record does not parse.
    pub async fn sends(&self, site: &SiteId, address_key: &str) -> Result<Vec<i64>, StoreError> {
        let key = sends_key(site, address_key);
        match self.kv.get(&key).await? {
            Some(text) => serde_json::from_str(&text).map_err(|e| StoreError(format!("{key}: {e}"))),
            None => Ok(Vec::new()),
        }
    }

    /// Records when mail was sent to the address `address_key` names on `site`.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn put_sends(&self, site: &SiteId, address_key: &str, sent: &[i64]) -> Result<(), StoreError> {
        self.kv.put(&sends_key(site, address_key), &serde_json::to_string(sent).map_err(failed)?, None).await
    }

    /// Keeps a received message as it came, for agents: under its event
    /// id, or [`FIRST_MAIL`] for the mail that opened the ticket. KV holds
    /// text, so the bytes are kept in base64.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn put_original(&self, ticket: &TicketId, name: &str, raw: &[u8]) -> Result<(), StoreError> {
        use base64::Engine as _;
        self.kv.put(&original_key(ticket, name), &base64::engine::general_purpose::STANDARD.encode(raw), None).await
    }

    /// A received message kept by [`TicketStore::put_original`].
    ///
    /// # Errors
    /// When KV fails or the record is not base64.
    pub async fn original(&self, ticket: &TicketId, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        use base64::Engine as _;
        let key = original_key(ticket, name);
        match self.kv.get(&key).await? {
            Some(text) => base64::engine::general_purpose::STANDARD.decode(text).map(Some).map_err(|e| StoreError(format!("{key}: {e}"))),
            None => Ok(None),
        }
    }

    /// Keeps a copy of a sent mail for the development mail view.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn dev_mail_put(&self, at: Timestamp, mail: &PendingMail) -> Result<(), StoreError> {
        let key = format!("dev/mail/{:015}/{}", NEWEST_FIRST - millis(at).min(NEWEST_FIRST), mail.message_id);
        self.kv.put(&key, &mail.raw, None).await
    }

    /// The latest sent mails the development view shows, newest first.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn dev_mails(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        let page = self.kv.list("dev/mail/", limit.min(1000), None).await?;
        let mut out = Vec::new();
        for key in page.keys {
            if let Some(raw) = self.kv.get(&key.name).await? {
                out.push(raw);
            }
        }
        Ok(out)
    }
}

/// The KV operations a [`MemoryKv`] served, by kind (each list call is
/// one, however many keys it returns).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KvOps {
    /// Reads by key.
    pub gets: u32,
    /// Writes.
    pub puts: u32,
    /// Key listings.
    pub lists: u32,
    /// Deletions.
    pub deletes: u32,
}

/// An in-memory [`Kv`] for host tests, counting its operations.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: std::cell::RefCell<std::collections::BTreeMap<String, (String, Option<String>)>>,
    ops: std::cell::Cell<KvOps>,
    writes: std::cell::RefCell<Vec<String>>,
}

impl MemoryKv {
    /// The operations served since it was made (or since [`Self::reset_operations`]).
    pub fn operations(&self) -> KvOps {
        self.ops.get()
    }

    /// The keys written or deleted since it was made (or since
    /// [`Self::reset_operations`]), in order, deletions as `-{key}`.
    pub fn written(&self) -> Vec<String> {
        self.writes.borrow().clone()
    }

    /// Starts counting operations (and recording writes) from zero.
    pub fn reset_operations(&self) {
        self.ops.set(KvOps::default());
        self.writes.borrow_mut().clear();
    }

    fn count(&self, op: impl FnOnce(&mut KvOps)) {
        let mut ops = self.ops.get();
        op(&mut ops);
        self.ops.set(ops);
    }

    /// The metadata stored with `key`, if any.
    pub fn metadata(&self, key: &str) -> Option<String> {
        self.entries.borrow().get(key).and_then(|(_, m)| m.clone())
    }

    /// How many keys are stored.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }

    /// The stored keys starting with `prefix`.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.entries.borrow().keys().filter(|k| k.starts_with(prefix)).cloned().collect()
    }
}

impl Kv for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.count(|ops| ops.gets += 1);
        Ok(self.entries.borrow().get(key).map(|(v, _)| v.clone()))
    }

    async fn put(&self, key: &str, value: &str, metadata: Option<&str>) -> Result<(), StoreError> {
        self.count(|ops| ops.puts += 1);
        self.writes.borrow_mut().push(key.to_owned());
        self.entries.borrow_mut().insert(key.to_owned(), (value.to_owned(), metadata.map(str::to_owned)));
        Ok(())
    }

    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        self.count(|ops| ops.lists += 1);
        let entries = self.entries.borrow();
        let start = cursor.unwrap_or(prefix);
        let mut keys: Vec<Listed> = entries
            .range::<str, _>((std::ops::Bound::Excluded(start), std::ops::Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit as usize + 1)
            .map(|(k, (_, m))| Listed { name: k.clone(), metadata: m.clone() })
            .collect();
        let cursor = if keys.len() > limit as usize {
            keys.truncate(limit as usize);
            keys.last().map(|k| k.name.clone())
        } else {
            None
        };
        Ok(KeyPage { keys, cursor })
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.count(|ops| ops.deletes += 1);
        self.writes.borrow_mut().push(format!("-{key}"));
        self.entries.borrow_mut().remove(key);
        Ok(())
    }
}

/// The key of a stored agent: `agent/{email}` (lower case).
fn agent_key(email: &str) -> String {
    format!("agent/{email}")
}

/// The key of an audit event: `audit/{13 digits counting down from
/// 9999999999999 ms}/{kind}/{who}`, so a list reads the newest first. A
/// sign-in's `at` is the start of its hour, so every isolate writes the
/// same key for an agent's sign-ins of one hour.
fn audit_key(event: &buoy_shared::agents::AuditEvent) -> String {
    let down = 9_999_999_999_999_i64.saturating_sub(event.at.as_millis()).max(0);
    let who = event.agent.as_deref().unwrap_or(&event.by);
    format!("audit/{down:013}/{}/{who}", event.kind)
}

/// The most audit events one page holds.
pub const AUDIT_PAGE: u32 = 100;

impl<K: Kv> TicketStore<K> {
    /// The agent stored under `email`, if any (read by key).
    ///
    /// # Errors
    /// When KV fails or the record does not parse.
    pub async fn agent(&self, email: &str) -> Result<Option<buoy_shared::agents::AgentRecord>, StoreError> {
        let Some(text) = self.kv.get(&agent_key(email)).await? else { return Ok(None) };
        serde_json::from_str(&text).map(Some).map_err(failed)
    }

    /// Every stored agent, from their keys' metadata (the record itself:
    /// one list per 1,000 agents). A list lags writes by up to a minute.
    ///
    /// # Errors
    /// When KV fails or a record does not parse.
    pub async fn agents(&self) -> Result<Vec<buoy_shared::agents::AgentRecord>, StoreError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.kv.list("agent/", 1000, cursor.as_deref()).await?;
            for listed in page.keys {
                let record = listed.metadata.as_deref().map(serde_json::from_str).transpose().map_err(failed)?;
                out.extend(record);
            }
            match page.cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// Stores an agent (the record as its value and its metadata).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn put_agent(&self, record: &buoy_shared::agents::AgentRecord) -> Result<(), StoreError> {
        let text = serde_json::to_string(record).map_err(failed)?;
        self.kv.put(&agent_key(&record.email), &text, Some(&text)).await
    }

    /// Removes a stored agent.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn delete_agent(&self, email: &str) -> Result<(), StoreError> {
        self.kv.delete(&agent_key(email)).await
    }

    /// Records an audit event (the event as its value and its metadata).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn audit(&self, event: &buoy_shared::agents::AuditEvent) -> Result<(), StoreError> {
        let text = serde_json::to_string(event).map_err(failed)?;
        self.kv.put(&audit_key(event), &text, Some(&text)).await
    }

    /// One page of the audit trail, newest first, and the cursor of the next.
    ///
    /// # Errors
    /// When KV fails or an event does not parse.
    pub async fn audit_trail(&self, cursor: Option<&str>) -> Result<(Vec<buoy_shared::agents::AuditEvent>, Option<String>), StoreError> {
        let page = self.kv.list("audit/", AUDIT_PAGE, cursor).await?;
        let events =
            page.keys.iter().filter_map(|l| l.metadata.as_deref()).map(serde_json::from_str).collect::<Result<_, _>>().map_err(failed)?;
        Ok((events, page.cursor))
    }
}

/// A requester's ticket as one of their indexes lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTicket {
    /// The index entry's key (deleted once its ticket is gone).
    pub key: String,
    /// The ticket it names.
    pub ticket: TicketId,
    /// When the ticket was created, ms (from the entry's newest-first part).
    pub created: i64,
}

/// What erasing one ticket's keys in KV took away, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedKeys {
    /// Events deleted.
    pub events: u32,
    /// Other keys deleted: index entries, upload records, mail.
    pub entries: u32,
    /// Mail originals and address entries deleted.
    pub mail: u32,
}

impl<K: Kv> TicketStore<K> {
    /// Every ticket a requester's index lists on `site` (the email index,
    /// `ue/`, or a verified user's list, `u/`), newest first. Entries are
    /// hints: the caller reads each record and checks whose it is.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn listed_for(&self, site: &SiteId, index: &buoy_shared::privacy::Index) -> Result<Vec<ListedTicket>, StoreError> {
        let prefix = match index {
            buoy_shared::privacy::Index::Email(key) => email_prefix(site, key),
            buoy_shared::privacy::Index::User(key) => user_prefix(site, key),
        };
        let (keys, _) = self.list_all(prefix.clone()).await?;
        let mut out: Vec<ListedTicket> = Vec::with_capacity(keys.len());
        for listed in keys {
            let Some((newest_first, id)) = listed.name.strip_prefix(&prefix).and_then(|rest| rest.split_once('/')) else { continue };
            let (Ok(newest_first), Ok(ticket)) = (newest_first.parse::<i64>(), TicketId::parse(id)) else { continue };
            out.push(ListedTicket { ticket, created: NEWEST_FIRST - newest_first, key: listed.name });
        }
        Ok(out)
    }

    /// Deletes one index entry (of a ticket already erased).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn forget_entry(&self, key: &str) -> Result<(), StoreError> {
        self.kv.delete(key).await
    }

    /// The names of the mails a ticket was written by, kept as received (`mo/`).
    ///
    /// # Errors
    /// When KV fails.
    pub async fn original_names(&self, ticket: &TicketId) -> Result<Vec<String>, StoreError> {
        let prefix = format!("mo/{ticket}/");
        let (keys, _) = self.list_all(prefix.clone()).await?;
        Ok(keys.iter().filter_map(|k| k.name.strip_prefix(&prefix)).map(str::to_owned).collect())
    }

    /// The metric facts of the ticket `id` of `site` received at
    /// `created`, as stored (read from their key's metadata).
    ///
    /// # Errors
    /// When KV fails or the facts do not read.
    pub async fn ticket_facts(&self, site: &SiteId, created: Timestamp, id: &TicketId) -> Result<Option<Facts>, StoreError> {
        let key = facts_key(site, millis(created), id);
        // Listed by the time's prefix, which few tickets share (a list's
        // prefix is no key of its own).
        let (keys, _) = self.list_all(key.trim_end_matches(&id.to_string()).to_owned()).await?;
        match keys.into_iter().find(|k| k.name == key) {
            Some(Listed { metadata: Some(meta), .. }) => facts_of(&key, &meta).map(Some),
            _ => Ok(None),
        }
    }

    /// Deletes everything KV keeps of a ticket but its record and the
    /// requester's index entries that find it (those go last, with
    /// [`Self::erase_record`], so a run that stops half-way is found
    /// again): its events, the mails it was written by, its upload
    /// records, its owed word entry, its queue entries (both parts, under
    /// `due`: `queue::index_due`), and the sending and suppression entries
    /// of `address_keys` (`email::token::address_key`s of its addresses).
    /// Deleting a missing key is no error, so a second run is harmless.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn erase_ticket_keys(
        &self,
        plan: &buoy_shared::privacy::ErasePlan,
        ticket: &Ticket,
        due: Timestamp,
        address_keys: &[String],
    ) -> Result<ErasedKeys, StoreError> {
        let mut erased = ErasedKeys::default();
        let (events, _) = self.list_all(format!("e/{}/", plan.ticket)).await?;
        let (originals, _) = self.list_all(format!("mo/{}/", plan.ticket)).await?;
        let mut entries: Vec<String> = plan.files.iter().map(|f| upload_key(&plan.site, &f.upload)).collect();
        entries.push(format!("si/{}", plan.ticket));
        entries.extend([false, true].map(|finished| queue_key(ticket, due, finished)));
        let mut mail: Vec<String> = originals.into_iter().map(|k| k.name).collect();
        for key in address_keys {
            mail.extend([sends_key(&plan.site, key), suppressed_key(&plan.site, key)]);
        }
        for done in join_all(events.iter().map(|k| self.kv.delete(&k.name))).await {
            done?;
            erased.events += 1;
        }
        for done in join_all(entries.iter().chain(&mail).map(|k| self.kv.delete(k))).await {
            done?;
        }
        erased.entries += entries.len() as u32;
        erased.mail += mail.len() as u32;
        Ok(erased)
    }

    /// Deletes the webhook deliveries and mails still queued for `tickets`
    /// (`o/`, `om/`: their ids start with the ticket's), listing both
    /// outboxes whole (they hold only what is not sent yet); how many.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn erase_queued(&self, tickets: &[TicketId]) -> Result<u32, StoreError> {
        let names: Vec<String> = tickets.iter().map(ToString::to_string).collect();
        let ids: std::collections::BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let mut gone = 0;
        for prefix in ["o/", "om/"] {
            let (keys, _) = self.list_all(prefix.to_owned()).await?;
            let theirs: Vec<&Listed> = keys.iter().filter(|k| belongs_to_one_of(&k.name, &ids)).collect();
            for done in join_all(theirs.iter().map(|k| self.kv.delete(&k.name))).await {
                done?;
                gone += 1;
            }
        }
        Ok(gone)
    }

    /// Deletes a ticket's record, then the index entries that find it
    /// (`ue/`, `u/`, by the keys of `plan`): the last step of an erase.
    /// How many keys.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn erase_record(&self, plan: &buoy_shared::privacy::ErasePlan) -> Result<u32, StoreError> {
        self.kv.delete(&ticket_key(&plan.ticket)).await?;
        let mut entries: Vec<String> =
            plan.email_keys.iter().map(|key| newest_first_key(&email_prefix(&plan.site, key), plan.created, &plan.ticket)).collect();
        if let Some(key) = &plan.user_key {
            entries.push(newest_first_key(&user_prefix(&plan.site, key), plan.created, &plan.ticket));
        }
        for done in join_all(entries.iter().map(|k| self.kv.delete(k))).await {
            done?;
        }
        Ok(1 + entries.len() as u32)
    }
}

/// The key of a site's canned replies: `canned/{site}`, the whole set as
/// one value, so a read by key sees the last save at once.
fn canned_key(site: &SiteId) -> String {
    format!("canned/{site}")
}

impl<K: Kv> TicketStore<K> {
    /// A site's canned replies (none stored: an empty set).
    ///
    /// # Errors
    /// When KV fails or the set does not parse.
    pub async fn canned(&self, site: &SiteId) -> Result<buoy_shared::canned::CannedSet, StoreError> {
        match self.kv.get(&canned_key(site)).await? {
            Some(text) => serde_json::from_str(&text).map_err(failed),
            None => Ok(buoy_shared::canned::CannedSet::default()),
        }
    }

    /// Stores a site's canned replies, replacing the set.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn put_canned(&self, site: &SiteId, set: &buoy_shared::canned::CannedSet) -> Result<(), StoreError> {
        let text = serde_json::to_string(set).map_err(failed)?;
        self.kv.put(&canned_key(site), &text, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const TICKET: &str = "0123456789abcdef0123456789abcdef";
    const FIX: &str = "fedcba9876543210fedcba9876543210";

    fn ticket() -> TicketId {
        TicketId::parse(TICKET).unwrap_or_else(|e| unreachable!("{e:?}"))
    }

    #[test]
    fn a_key_says_what_it_holds() {
        let site = SiteId::parse("demo").unwrap_or_else(|e| unreachable!("{e:?}"));
        let fix = format!("{}{:015}/{FIX}", day_prefix("x", &site, 86_400_000), 86_400_000);
        let cases = [
            (ticket_key(&ticket()), Entry::Ticket(TICKET)),
            (event_key(&ticket(), "msg-1"), Entry::Event(TICKET)),
            (fix, Entry::GuidedFix(FIX)),
            (format!("{}000000000000001/{TICKET}", queue_prefix(&site)), Entry::Other),
            (format!("d/000000000000001/{TICKET}"), Entry::Other),
            (format!("o/000000000000001/{TICKET}.msg-1"), Entry::Other),
            (mail_key(Timestamp::from_millis(1), &format!("{TICKET}.msg-1.requester")), Entry::Other),
            ("t/".to_owned() + TICKET + "/extra", Entry::Other),
            (rollup_key(&site, 86_400_000), Entry::Rollup("demo")),
            (BACKFILL_KEY.to_owned(), Entry::Backfill),
            (roll_mark_key(86_400_000, &site, 86_400_000), Entry::Rollup("demo")),
            (watermark_key(&site), Entry::Rollup("demo")),
            (format!("m/demo/1970-01-02/000000086400000/{TICKET}"), Entry::Other),
        ];
        for (key, expected) in cases {
            assert_eq!(Entry::of(&key), expected, "{key}");
        }
    }

    #[test]
    fn every_key_of_a_ticket_or_guided_fix_belongs_to_it() {
        let ids: BTreeSet<&str> = [TICKET, FIX].into_iter().collect();
        for key in [
            ticket_key(&ticket()),
            event_key(&ticket(), "breach-first_response-0"),
            format!("q/demo/z/000000000000001/{TICKET}"),
            format!("d/000000000000001/{TICKET}"),
            format!("o/000000000000001/{TICKET}.msg-1"),
            mail_key(Timestamp::from_millis(1), &format!("{TICKET}.msg-1.requester")),
            format!("u/demo/abcd/000000000000001/{TICKET}"),
            format!("x/demo/2026-01-01/000000000000001/{FIX}"),
        ] {
            assert!(belongs_to_one_of(&key, &ids), "{key}");
        }
        let other = "99999999999999999999999999999999";
        for key in [format!("t/{other}"), format!("o/000000000000001/{other}.msg-1"), format!("m/demo/2026-01-01/1/{other}")] {
            assert!(!belongs_to_one_of(&key, &ids), "{key}");
        }
    }
}
