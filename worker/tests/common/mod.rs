//! What the host integration tests share: a [`Harness`] that answers
//! requests with the worker's handlers against the memory store, on a
//! clock the test sets, and the helpers that build those requests and read
//! their answers. Each test file brings its own sites (and, in
//! `tests/api.rs`, Turnstile's `siteverify`).

use buoy_shared::config::Config;
use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::sla::AlwaysOpen;
use buoy_shared::time::Timestamp;
use buoy_worker::api::{handle, AgentToken, App, TurnstileCheck};
use buoy_worker::http::{ApiRequest, ApiResponse, Method};
use buoy_worker::store::{MemoryKv, TicketStore};
use futures_executor::block_on;
use serde_json::{json, Value};

/// Where every harness's clock starts.
pub const NOW: &str = "2026-11-30T10:00:00.000Z";
/// The value of `BUOY_IDENTITY_SECRET`, which sites name to verify identities.
pub const IDENTITY_SECRET: &str = "site identity secret";
/// `BUOY_SECRET`, which keys ticket ids, requester tokens and user keys.
pub const SERVER_SECRET: &[u8] = b"test secret";
/// The worker's origin as requests reach it (links in mail start with it).
pub const ORIGIN: &str = "https://support.lumen.example";

/// The worker's inputs for a run of requests: its configuration and
/// secrets, one store that every request shares (as KV is shared), a
/// clock, and a counter that gives each request its own fresh ticket id.
pub struct Harness {
    pub config: Config,
    pub agents: Vec<AgentToken>,
    pub identity_secrets: Vec<(String, String)>,
    pub store: TicketStore<MemoryKv>,
    /// `BUOY_SECRET`; a test takes it away to see the worker refuse.
    pub secret: Option<Vec<u8>>,
    pub next_id: std::cell::Cell<u8>,
    /// The time requests arrive, in milliseconds since the epoch.
    pub now: std::cell::Cell<i64>,
    /// The attachments' bucket, in memory.
    pub files: buoy_worker::files::MemoryFiles,
    /// The tickets' rooms (collision checks, presence), shared by every request.
    pub rooms: buoy_worker::room::MemoryRooms,
    /// The business calendars; none counts business hours around the clock.
    pub calendars: Option<buoy_shared::calendar::Calendars>,
    /// The published knowledge base's files (empty unless a test adds some).
    pub kb: buoy_worker::articles::MemoryKbFiles,
}

impl Harness {
    /// These sites and agents, with `BUOY_IDENTITY_SECRET` and `BUOY_SECRET`
    /// set, an empty store, and the clock at [`NOW`].
    pub fn serving(config: Config, agents: Vec<AgentToken>) -> Self {
        Self {
            config,
            agents,
            identity_secrets: vec![("BUOY_IDENTITY_SECRET".into(), IDENTITY_SECRET.into())],
            store: TicketStore::new(MemoryKv::default()),
            secret: Some(SERVER_SECRET.to_vec()),
            next_id: std::cell::Cell::new(1),
            now: std::cell::Cell::new(Timestamp::parse(NOW).map(Timestamp::as_millis).unwrap_or_default()),
            files: buoy_worker::files::MemoryFiles::default(),
            rooms: buoy_worker::room::MemoryRooms::default(),
            calendars: None,
            kb: buoy_worker::articles::MemoryKbFiles::default(),
        }
    }

    /// Answers `request` without Turnstile: the status, the body as JSON
    /// (`null` when it is not), and the whole response.
    // tests/api.rs sends through `send_with`, with its Turnstile.
    #[allow(dead_code)]
    pub fn send(&self, request: &ApiRequest) -> (u16, Value, ApiResponse) {
        self.send_with(None, request)
    }

    /// [`Harness::send`], with Turnstile checked as `turnstile` says.
    pub fn send_with(&self, turnstile: Option<&TurnstileCheck<'_>>, request: &ApiRequest) -> (u16, Value, ApiResponse) {
        let response = block_on(handle(&self.app(turnstile), request));
        let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        (response.status, body, response)
    }

    /// The worker's inputs for one request (or one delivered mail), each
    /// with a fresh ticket id of its own.
    fn app<'a>(&'a self, turnstile: Option<&'a TurnstileCheck<'a>>) -> App<'a, &'a MemoryKv> {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        App {
            config: &self.config,
            // Business hours count like calendar hours unless a test sets
            // calendars, so due times are plain sums.
            business: self.calendars.as_ref().map_or(&AlwaysOpen as &dyn buoy_shared::sla::NamedCalendars, |c| c),
            zone: None,
            // A `&MemoryKv` is a store too: every request shares one, as KV is shared.
            store: TicketStore::new(self.store.kv()),
            secret: self.secret.as_deref(),
            agents: &self.agents,
            identity_secrets: &self.identity_secrets,
            turnstile,
            now: Timestamp::from_millis(self.now.get()),
            fresh_id: TicketId::from_bytes([id; 16]),
            origin: ORIGIN,
            files: Some(&self.files),
            rooms: Some(&self.rooms),
            words: None,
            access: None,
            articles: Some(&self.kb),
        }
    }

    /// Delivers a raw message from envelope sender `from` to `to`, as
    /// Email Routing does: what the worker made of it.
    // Only tests/mail_in.rs receives mail.
    #[allow(dead_code)]
    pub fn deliver(&self, raw: &str, from: &str, to: &str) -> buoy_worker::mail_in::Outcome {
        let envelope = buoy_shared::email::inbound::Envelope { from, to };
        block_on(buoy_worker::mail_in::receive(&self.app(None), raw.as_bytes(), envelope))
    }
}

/// A configuration with these sites (`{ "id": { "name": …, … } }`, as in
/// `buoy.toml`) and the defaults for everything else.
#[allow(dead_code)] // tests/calendars.rs writes its whole configuration
pub fn config(sites: &Value) -> Config {
    serde_json::from_value(json!({ "sites": sites })).unwrap_or_else(|e| unreachable!("{e}"))
}

/// A site id the test knows to be valid.
pub fn site(id: &str) -> SiteId {
    SiteId::parse(id).unwrap_or_else(|e| unreachable!("{e}"))
}

/// A request; `path` may carry a `?query`.
pub fn request(method: Method, path: &str, headers: &[(&str, &str)], body: &[u8]) -> ApiRequest {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    ApiRequest {
        method,
        path: path.into(),
        query: query.into(),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body: body.to_vec(),
    }
}

/// The string at `key`, or `""`.
pub fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

/// The value of header `name` in `raw`, unfolded (for the mail tests).
#[allow(dead_code)]
pub fn header(raw: &str, name: &str) -> String {
    let unfolded = raw.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap_or_default().trim().to_owned()
}

/// Delivers nothing: for sweeps over tickets without webhooks or mail.
// Only the calendar and site-type tests sweep without a receiver.
#[allow(dead_code)]
pub struct NoOutbound;

impl buoy_worker::sweep::Outbound for NoOutbound {
    async fn post(&self, _: &str, _: &[(&str, String)], _: &str) -> Result<u16, String> {
        Err("no webhooks here".into())
    }
}
