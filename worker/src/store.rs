//! Storage: the only module that knows KV key layouts.
//!
//! Layout (every key is written once per ticket, never read-modify-written):
//! - `t/{ticket id}` → the ticket record, JSON, as submitted and stamped.
//! - `q/{site}/{first-response due, ms, 15 digits}/{ticket id}` → empty; a
//!   list of the `q/{site}/` prefix returns a site's tickets most urgent
//!   first. KV lists lag writes by up to a minute, so readers take each
//!   ticket's state from its record, never from the index.

use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::ticket::Ticket;
use futures_util::future::join_all;

/// A storage failure; the text is for the log only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

/// One page of a key listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPage {
    /// Key names, in lexicographic order.
    pub keys: Vec<String>,
    /// Where the next page starts, if there is one.
    pub cursor: Option<String>,
}

/// The key-value operations Buoy uses: Workers KV at the edge, memory in
/// host tests.
#[allow(async_fn_in_trait)] // Only used with concrete types on one thread.
pub trait Kv {
    /// The value stored under `key`.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` under `key`.
    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Up to `limit` keys starting with `prefix`, after `cursor`.
    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError>;
}

/// Tickets over a [`Kv`].
#[derive(Debug)]
pub struct TicketStore<K> {
    kv: K,
}

fn ticket_key(id: &TicketId) -> String {
    format!("t/{id}")
}

fn queue_prefix(site: &SiteId) -> String {
    format!("q/{site}/")
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

    /// Stores a new ticket: the record first, then its queue entry, so an
    /// entry never names a ticket that was not written.
    ///
    /// # Errors
    /// When KV fails.
    pub async fn insert(&self, ticket: &Ticket) -> Result<(), StoreError> {
        // Serialise to a string ourselves: handing a struct to KV can store `{}`.
        let record = serde_json::to_string(ticket).map_err(|e| StoreError(e.to_string()))?;
        self.kv.put(&ticket_key(&ticket.id), &record).await?;
        let due = ticket.sla.first_response.as_millis().max(0);
        self.kv.put(&format!("{}{due:015}/{}", queue_prefix(&ticket.site), ticket.id), "").await
    }

    /// A page of a site's queue: at most `limit` tickets, open ones first,
    /// then by first-response due time. Entries whose record is missing
    /// (not yet visible) or that repeat a ticket are skipped.
    ///
    /// # Errors
    /// When KV fails or a record does not parse.
    pub async fn queue(&self, site: &SiteId, limit: u32, cursor: Option<&str>) -> Result<(Vec<Ticket>, Option<String>), StoreError> {
        let page = self.kv.list(&queue_prefix(site), limit, cursor).await?;
        let mut ids: Vec<TicketId> =
            page.keys.iter().filter_map(|key| key.rsplit('/').next()).filter_map(|id| TicketId::parse(id).ok()).collect();
        ids.sort_unstable();
        ids.dedup();
        let records = join_all(ids.iter().map(|id| self.get(id))).await;
        let mut tickets = Vec::with_capacity(records.len());
        for record in records {
            // A ticket on another site cannot be listed under this prefix,
            // but the check costs nothing and keeps tenants apart for sure.
            if let Some(ticket) = record?.filter(|t| &t.site == site) {
                tickets.push(ticket);
            }
        }
        tickets.sort_by_key(|t| (!t.status.is_open(), t.sla.first_response, t.id));
        Ok((tickets, page.cursor))
    }
}

/// An in-memory [`Kv`] for host tests.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: std::cell::RefCell<std::collections::BTreeMap<String, String>>,
}

impl MemoryKv {
    /// How many keys are stored.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }
}

impl Kv for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.entries.borrow().get(key).cloned())
    }

    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.entries.borrow_mut().insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> Result<KeyPage, StoreError> {
        let entries = self.entries.borrow();
        let start = cursor.unwrap_or(prefix);
        let mut keys: Vec<String> = entries
            .range::<str, _>((std::ops::Bound::Excluded(start), std::ops::Bound::Unbounded))
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(prefix))
            .take(limit as usize + 1)
            .cloned()
            .collect();
        let cursor = if keys.len() > limit as usize {
            keys.truncate(limit as usize);
            keys.last().cloned()
        } else {
            None
        };
        Ok(KeyPage { keys, cursor })
    }
}
