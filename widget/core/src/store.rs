//! What the widget keeps in its own storage (the iframe's, on the
//! worker's origin, never the host page's): the requester's tickets on
//! this device, one key each, and the outbox of sends not yet taken.
//! Tokens live only in that storage and in request headers, never in a
//! URL. The panel queues a new ticket here; the inbox module sends it and
//! keeps the rest.

use crate::page::field_of;
use buoy_shared::inbox;
use buoy_shared::ticket::Status;
use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

/// One of the requester's tickets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mine {
    /// Its id.
    pub id: String,
    /// The requester's token for it.
    pub token: String,
    /// Its reference.
    pub reference: String,
    /// Its subject, as sent.
    pub subject: String,
    /// Agent replies the requester has seen.
    pub seen: u32,
    /// Agent replies the last poll found.
    pub replies: u32,
    /// Its status, once known.
    pub status: Option<Status>,
    /// Whether it has been rated.
    pub rated: bool,
    /// The last thread the API gave.
    pub view: Option<Thread>,
    /// When it was stored (ms since the epoch), which orders the list.
    pub stored: f64,
}

/// A ticket's thread as the API gives it to its requester.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Thread {
    /// Its status (none when the API named none the widget knows).
    pub status: Option<Status>,
    /// Whether it has been rated.
    pub rated: bool,
    /// When the requester wrote (RFC 3339).
    pub created_at: String,
    /// The requester's first message.
    pub message: String,
    /// Every public message since, oldest first.
    pub messages: Vec<Message>,
}

/// One public message of a thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Who wrote it: `you` for the requester, else the agent's name.
    pub from: String,
    /// When (RFC 3339).
    pub at: String,
    /// Its text.
    pub body: String,
}

impl Mine {
    /// A ticket just created.
    pub fn new(id: String, token: String, reference: String, subject: String) -> Self {
        Self { id, token, reference, subject, ..Self::default() }
    }

    /// Agent replies not yet seen.
    pub fn unread(&self) -> u32 {
        inbox::unread(self.replies, self.seen)
    }

    /// Takes in a thread from the API; true if it brought agent replies
    /// not seen by an earlier poll.
    pub fn update(&mut self, view: Thread) -> bool {
        let replies = view.messages.iter().filter(|m| m.from != "you").count() as u32;
        self.status = view.status;
        self.rated = view.rated;
        let more = replies > self.replies;
        self.replies = replies;
        self.view = Some(view);
        more
    }

    /// A thread from the API's JSON answer, its messages read by `message`.
    pub fn thread(view: &JsValue, message: fn(&JsValue) -> Message) -> Thread {
        let s = |value: &JsValue, key| field_of(value, key).unwrap_or_default();
        let status = field_of(view, "status").and_then(|s| Status::parse(&s));
        let rated = Reflect::get(view, &"csat".into()).is_ok_and(|c| c.is_object());
        let messages = messages_of(view).iter().map(message).collect();
        Thread { status, rated, created_at: s(view, "created_at"), message: s(view, "message"), messages }
    }
}

/// The messages of a thread from the API.
fn messages_of(view: &JsValue) -> Vec<JsValue> {
    Reflect::get(view, &"messages".into()).ok().and_then(|m| m.dyn_into::<Array>().ok()).map(|a| a.to_vec()).unwrap_or_default()
}

/// The panel's storage (the iframe's, on the worker's origin).
pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The storage key prefix of a site's tickets: one key per ticket,
/// `buoy:{site}:{id}`, so adding one never rewrites another.
fn prefix(site: &str) -> String {
    let mut key = String::from("buoy:");
    key.push_str(site);
    key.push(':');
    key
}

/// The stored keys under a prefix.
fn keys_under(storage: &web_sys::Storage, prefix: &str) -> Vec<String> {
    (0..storage.length().unwrap_or(0)).filter_map(|i| storage.key(i).ok().flatten()).filter(|k| k.starts_with(prefix)).collect()
}

/// The stored keys of a site's tickets (not its outbox).
fn keys(storage: &web_sys::Storage, site: &str) -> Vec<String> {
    let cut = prefix(site).len();
    keys_under(storage, &prefix(site)).into_iter().filter(|k| !k.get(cut..).is_some_and(|rest| rest.starts_with("out:"))).collect()
}

/// The key that says something was ever stored for `site` (so the panel
/// can tell without scanning storage).
pub fn marker(site: &str) -> String {
    let mut key = String::from("buoy:");
    key.push_str(site);
    key
}

/// Whether anything was stored for `site`: tickets, sends not yet taken,
/// or drafts (`drafts.rs`).
pub fn has_tickets(site: &str) -> bool {
    storage().and_then(|s| s.get_item(&marker(site)).ok().flatten()).is_some()
}

/// A send waiting in the outbox until the API takes it (a 2xx).
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Its idempotency key (also its storage key's end).
    pub key: String,
    /// Where it goes.
    pub url: String,
    /// The JSON body, as first sent.
    pub body: String,
    /// The ticket's subject (for a new ticket), or its id (for a reply).
    pub about: String,
    /// The requester token a reply goes with.
    pub token: Option<String>,
    /// When it was queued (ms), which orders the outbox; 0 for now.
    pub queued: f64,
    /// The local keys of the files it waits for, space-separated (see
    /// `protocol::tray`): the inbox does not send it until the upload
    /// module has written their upload ids into its body and emptied this.
    pub files: String,
}

fn out_key(site: &str, key: &str) -> String {
    let mut k = prefix(site);
    k.push_str("out:");
    k.push_str(key);
    k
}

/// Puts a send in the outbox, from the first try on: it survives a reload
/// and is cleared only once the API has taken it. Queued again under its
/// key (once its files are uploaded), it keeps its place.
pub fn queue(site: &str, p: &Pending) {
    // A number stays a number: formatting an f64 in Rust would pull in
    // the float printer (about 10 KB of wasm).
    let item = crate::net::object(&[
        ("u", Some(&p.url)),
        ("b", Some(&p.body)),
        ("a", Some(&p.about)),
        ("t", p.token.as_deref()),
        ("f", Some(p.files.as_str()).filter(|f| !f.is_empty())),
    ]);
    let queued = if p.queued > 0.0 { p.queued } else { js_sys::Date::now() };
    let _ = js_sys::Reflect::set(&item, &"q".into(), &JsValue::from(queued));
    if let (Some(storage), Some(text)) = (storage(), JSON::stringify(&item).ok().and_then(|t| t.as_string())) {
        let _ = storage.set_item(&out_key(site, &p.key), &text);
        let _ = storage.set_item(&marker(site), "1");
    }
}

/// The sends waiting for `site`, oldest first.
pub fn outbox(site: &str) -> Vec<Pending> {
    let Some(storage) = storage() else { return Vec::new() };
    let mut head = prefix(site);
    head.push_str("out:");
    let mut found: Vec<Pending> = keys_under(&storage, &head)
        .into_iter()
        .filter_map(|k| {
            let item = JSON::parse(&storage.get_item(&k).ok()??).ok()?;
            let s = |key: &str| field_of(&item, key);
            Some(Pending {
                key: k.get(head.len()..)?.to_owned(),
                url: s("u")?,
                body: s("b")?,
                about: s("a")?,
                token: s("t"),
                queued: js_sys::Reflect::get(&item, &"q".into()).ok().and_then(|q| q.as_f64()).unwrap_or(0.0),
                files: s("f").unwrap_or_default(),
            })
        })
        .collect();
    found.sort_by(|a, b| a.queued.total_cmp(&b.queued));
    found
}

/// Clears a send the API has taken (or refused for good).
pub fn unqueue(site: &str, key: &str) {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(&out_key(site, key));
    }
}

/// The tickets stored for `site`, oldest first (reading writes nothing).
pub fn load(site: &str) -> Vec<Mine> {
    let Some(storage) = storage() else { return Vec::new() };
    let cut = prefix(site).len();
    let mut found: Vec<(f64, Mine)> = keys(&storage, site)
        .into_iter()
        .filter_map(|key| {
            let item: Array = JSON::parse(&storage.get_item(&key).ok()??).ok()?.dyn_into().ok()?;
            let s = |i| item.get(i).as_string();
            let mut mine = Mine::new(key.get(cut..)?.to_owned(), s(0)?, s(1)?, s(2)?);
            mine.seen = item.get(3).as_f64().unwrap_or(0.0) as u32;
            mine.replies = mine.seen;
            mine.stored = item.get(4).as_f64().unwrap_or(0.0);
            Some((mine.stored, mine))
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found.into_iter().map(|(_, mine)| mine).collect()
}

/// Stores one ticket for `site`: `[token, reference, subject, seen,
/// created ms]`. Only ever called once the requester has sent something
/// (no storage before the first interaction).
pub fn save(site: &str, mine: &Mine, created: f64) {
    let item = Array::new();
    for s in [&mine.token, &mine.reference, &mine.subject] {
        item.push(&JsValue::from_str(s));
    }
    item.push(&JsValue::from(mine.seen));
    item.push(&JsValue::from(created));
    let mut key = prefix(site);
    key.push_str(&mine.id);
    if let (Some(storage), Some(text)) = (storage(), JSON::stringify(&item).ok().and_then(|t| t.as_string())) {
        let _ = storage.set_item(&key, &text);
        let _ = storage.set_item(&marker(site), "1");
    }
}

/// Keeps a new ticket for `site` (the panel does this as soon as the API
/// has created it; the inbox picks it up).
pub fn remember(site: &str, mine: &Mine) {
    save(site, mine, js_sys::Date::now());
}

/// Forgets one of the site's tickets on this device (a verified user's
/// history does at logout); once nothing of the site is left (see
/// `inbox::needs_marker`), its marker goes too.
pub fn forget(site: &str, id: &str) {
    let mut key = prefix(site);
    key.push_str(id);
    remove(site, &key);
}

/// Removes one of the site's stored keys (a ticket, a draft); once
/// nothing of the site is left (see `inbox::needs_marker`), its marker
/// goes too.
pub fn remove(site: &str, key: &str) {
    let Some(storage) = storage() else { return };
    let _ = storage.remove_item(key);
    if !inbox::needs_marker(site, keys_under(&storage, "").iter().map(String::as_str)) {
        let _ = storage.remove_item(&marker(site));
    }
}
