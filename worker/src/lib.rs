//! Buoy's Cloudflare Worker: glue between HTTP, Workers KV and the rules
//! in `buoy-shared`.
//!
//! One worker serves everything on its origin: the API under `/v1/`, the
//! widget's iframe page at `/widget/{site}/` or `/widget/{site}/{locale}/` (through the `ASSETS` binding,
//! with that site's `frame-ancestors` and its allowed origins written in),
//! the Turnstile page script (nothing else under `/widget/`), the module
//! that reloads a page whose build's files a deploy removed, and every
//! other static file straight from Workers Static Assets (the widget's
//! content-hashed files under `/w/` among them). Every
//! response the worker builds or passes on gets its class's headers from
//! `buoy_shared::headers`, in one function (`secure`).
//!
//! Handlers live in [`api`] and work on plain [`http`] values over a
//! [`store::Kv`], so the host tests run them against [`store::MemoryKv`];
//! only this file talks to the runtime.
#![deny(missing_docs)]

pub mod agents;
pub mod api;
pub mod articles;
pub mod canned;
pub mod error;
pub mod files;
pub mod find;
pub mod http;
pub mod kv;
pub mod mail_in;
pub mod mail_out;
pub mod privacy;
pub mod room;
pub mod search;
pub mod store;
pub mod sweep;

use api::{AgentToken, App};
use buoy_shared::calendar::{BusinessCalendar, Calendars};
use buoy_shared::config::Config;
use buoy_shared::headers::{is_gone_script, widget_page_asset, widget_path, ResponseClass, WidgetPath, RELOAD_MODULE};
use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::messages::Locale;
use buoy_shared::problem::{body_cap, Problem};
use buoy_shared::time::Timestamp;
use http::{ApiRequest, ApiResponse, Method};
use std::sync::OnceLock;
use worker::{event, web_sys, Context, Env, ForwardableEmailMessage, Headers, Request, Response, ScheduleContext, ScheduledEvent};

/// The KV namespace binding that holds tickets.
pub const KV_BINDING: &str = "BUOY_KV";
/// The secret that keys ticket ids and requester tokens.
pub const SECRET_NAME: &str = "BUOY_SECRET";
/// The variable that points Turnstile's `siteverify` elsewhere (tests).
pub const TURNSTILE_VERIFY_URL: &str = "BUOY_TURNSTILE_VERIFY_URL";
/// The variable that points the Turnstile widget's script elsewhere (tests).
pub const TURNSTILE_SCRIPT_URL: &str = "BUOY_TURNSTILE_SCRIPT_URL";
/// The variable that points the Access team's JWKS elsewhere (tests run
/// a stand-in); `<team domain>/cdn-cgi/access/certs` without it.
pub const ACCESS_CERTS_URL: &str = "BUOY_ACCESS_CERTS_URL";

/// The configuration compiled in from `buoy.toml` by `build.rs` (which has
/// validated it), and its business calendars by name, their zones read
/// from the IANA database jiff bundles into the worker (the same data the
/// build validated them with).
pub fn config() -> Result<&'static (Config, Calendars), &'static str> {
    static CONFIG: OnceLock<Result<(Config, Calendars), String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let config: Config = serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/config.json"))).map_err(|e| e.to_string())?;
            let calendars = config.business_calendars(|name| jiff::tz::TimeZone::get(name).ok()).map_err(|e| e.to_string())?;
            Ok((config, calendars))
        })
        .as_ref()
        .map_err(|_| "the compiled-in configuration does not load")
}

/// The business calendar of a ticket of `site` routed to `group`: the
/// group's calendar, else the site's, else the default one
/// ([`Config::calendar_name`]).
///
/// # Errors
/// When the compiled-in configuration does not load.
pub fn calendar_for(site: &str, group: Option<&str>) -> Result<&'static BusinessCalendar, &'static str> {
    let (config, calendars) = config()?;
    Ok(calendars.get(config.calendar_name(site, group)))
}

/// Reads a secret (or a plain variable: `--var` in development), once
/// per isolate: an isolate runs one version of the worker, whose secrets
/// and variables never change under it (setting a secret deploys a new
/// version), and each lookup costs several calls into JavaScript, an
/// error built for each name that is not set among them.
fn read_secret(env: &Env, name: &str) -> Option<String> {
    thread_local! {
        static READ: std::cell::RefCell<Vec<(String, Option<String>)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    if let Some(value) = READ.with_borrow(|read| read.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())) {
        return value;
    }
    let value = env.secret(name).or_else(|_| env.var(name)).ok().map(|v| v.to_string()).filter(|v| !v.is_empty());
    READ.with_borrow_mut(|read| read.push((name.to_owned(), value.clone())));
    value
}

/// The `BUOY_KV` namespace, for a request (its absence is the request's error).
fn workers_kv(env: &Env) -> worker::Result<kv::WorkersKv> {
    kv::WorkersKv::bound(env, KV_BINDING).map_err(|e| worker::Error::RustError(e.0))
}

/// Writes an internal error to the worker's log (never to a response).
pub fn log_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{message}");
    #[cfg(not(target_arch = "wasm32"))]
    let _ = message;
}

/// The variable that turns on [`FAULT_PATH`]: set only by the test that
/// shows a panic leaves the next request served; never in production.
pub const FAULT_INJECTION: &str = "BUOY_FAULT_INJECTION";
/// With [`FAULT_INJECTION`] set, a request here panics inside the worker
/// (as a bug would); without it, it is an unknown path like any other.
pub const FAULT_PATH: &str = "/v1/__fault";

/// The variable that moves the worker's clock: milliseconds added to the
/// real time (negative for the past). Set only by the end-to-end tests
/// that file a ticket at a moment of their choosing (a Friday afternoon, a
/// holiday), as Playwright's clock moves the browser's; never in production.
pub const CLOCK_OFFSET_VAR: &str = "BUOY_TEST_CLOCK_OFFSET_MS";

/// The worker's time now: the real time, moved by [`CLOCK_OFFSET_VAR`]
/// where a test set it.
fn now(env: &Env) -> Timestamp {
    let offset = read_secret(env, CLOCK_OFFSET_VAR).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    Timestamp::from_millis((worker::Date::now().as_millis() as i64).saturating_add(offset))
}

/// The variable that turns on [`DEV_STATS_PATH`]: set only by `cargo
/// xtask dev` and the bench, never by a deploy.
pub const DEV_STATS_VAR: &str = "BUOY_DEV_STATS";
/// With [`DEV_STATS_VAR`] set, the instance's wasm memory as JSON
/// (`{"wasm_memory_bytes":…}`), so a run can follow it; without it, a 404
/// like any unknown path.
pub const DEV_STATS_PATH: &str = "/dev/stats";

/// The size of this instance's wasm linear memory: its high-water mark,
/// since wasm memory never shrinks (0 off wasm).
pub fn wasm_memory_bytes() -> usize {
    #[cfg(target_arch = "wasm32")]
    return core::arch::wasm32::memory_size(0) * 65_536;
    #[cfg(not(target_arch = "wasm32"))]
    0
}

/// The development stats' answer: the wasm memory, or a 404 when `on` is false.
pub fn dev_stats(on: bool) -> ApiResponse {
    if !on {
        return error::AppError::Problem(Problem::NotFound).into_response();
    }
    ApiResponse {
        status: 200,
        headers: vec![("content-type", "application/json".to_owned()), ("cache-control", "no-store".to_owned())],
        body: format!("{{\"wasm_memory_bytes\":{}}}", wasm_memory_bytes()).into_bytes(),
    }
}

#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> worker::Result<web_sys::Response> {
    let path = request.path();
    if path == FAULT_PATH && read_secret(&env, FAULT_INJECTION).as_deref() == Some("panic") {
        // The fault a bug would be: the runtime aborts this request, and
        // worker-build's panic recovery starts a fresh instance for the next.
        #[allow(clippy::panic)]
        {
            panic!("fault injected on purpose ({FAULT_INJECTION})");
        }
    }
    if path == "/v1" || path.starts_with("/v1/") {
        let response = api_response(request, &env).await.unwrap_or_else(|e| error::AppError::Internal(e.to_string()).into_response());
        if let Some(key) = response.file_key() {
            return file_response(&env, key.to_owned(), response).await.map(Into::into);
        }
        return Ok(respond(response));
    }
    serve(request, env, path).await.map(Into::into)
}

/// What is not the API: the widget's pages and files, the development paths, static assets.
async fn serve(request: Request, env: Env, path: String) -> worker::Result<Response> {
    // A script of a build a deploy removed (no asset matched it, or it is
    // under `/widget/`, which reaches the worker first) gets the module
    // that reloads its page.
    if is_gone_script(&path) {
        return reload_module(&request, &env).await;
    }
    if path == DEV_STATS_PATH {
        return to_worker_response(dev_stats(read_secret(&env, DEV_STATS_VAR).is_some()));
    }
    if path == mail_out::DEV_MAIL_PATH {
        let store = store::TicketStore::new(workers_kv(&env)?);
        let on = read_secret(&env, mail_out::DEV_MAIL_VAR).is_some();
        return to_worker_response(mail_out::dev_mail(&store, on).await.unwrap_or_else(error::AppError::into_response));
    }
    match widget_path(&path) {
        Some(WidgetPath::Page { site, locale }) => widget_page(&request, &env, site, locale).await,
        Some(WidgetPath::NotFound) => to_worker_response(error::AppError::Problem(Problem::NotFound).into_response()),
        Some(WidgetPath::Asset) => from_assets(request, &env, ResponseClass::WidgetAsset).await,
        None => from_assets(request, &env, ResponseClass::Asset).await,
    }
}

/// Sets the headers of `class` from the table (`buoy_shared::headers`):
/// the one place every response the worker serves gets them.
fn secure(headers: &Headers, class: ResponseClass) -> worker::Result<()> {
    for (name, value) in class.headers() {
        headers.set(name, value)?;
    }
    Ok(())
}

/// An asset, with the headers of `class` (of [`ResponseClass::Error`]
/// when the assets have no such file). A fetched response's headers are
/// immutable, so they are copied.
async fn from_assets(request: Request, env: &Env, class: ResponseClass) -> worker::Result<Response> {
    let asset = env.assets("ASSETS")?.fetch_request(request).await?;
    let headers = Headers::new();
    for (name, value) in asset.headers().entries() {
        headers.append(&name, &value)?;
    }
    secure(&headers, if asset.status_code() >= 400 { ResponseClass::Error } else { class })?;
    Ok(asset.with_headers(headers))
}

async fn api_response(mut request: Request, env: &Env) -> worker::Result<ApiResponse> {
    let (config, business) = match config() {
        Ok((config, business)) => (config, business),
        Err(e) => return Ok(error::AppError::Internal(e.into()).into_response()),
    };
    let method = match request.method() {
        worker::Method::Get | worker::Method::Head => Method::Get,
        worker::Method::Post => Method::Post,
        worker::Method::Options => Method::Options,
        _ => Method::Other,
    };
    let url = request.url()?;
    // The body first, within its route's cap, before anything is counted:
    // a body too large is refused without being read through and spends
    // no abuse-limit counter.
    let too_large = || Ok(error::AppError::Problem(Problem::PayloadTooLarge).into_response());
    // An upload is streamed to the bucket by its handler, never read here;
    // its own cap (the site's) is checked before a byte of it is read.
    let upload = method == Method::Post && matches!(url.path(), "/v1/uploads" | "/v1/agent/uploads");
    let upload_body = if upload { request.inner().body() } else { None };
    let cap = body_cap(url.path());
    let declared = request.headers().get("content-length")?.and_then(|n| n.parse::<usize>().ok());
    if !upload && declared.is_some_and(|n| n > cap) {
        return too_large();
    }
    let body = match method {
        _ if upload => Vec::new(),
        // A declared length frames the body, and it is within the cap:
        // read at once.
        Method::Post if declared.is_some() => request.bytes().await.unwrap_or_else(|e| {
            // The client went away mid-body; what little it sent is not JSON.
            log_error(&format!("request body: {e}"));
            Vec::new()
        }),
        // `stream` fails only for a request without a body.
        Method::Post => match request.stream() {
            Ok(stream) => match http::read_capped(stream, cap).await {
                Ok(body) => body,
                Err(http::BodyError::TooLarge) => return too_large(),
                Err(http::BodyError::Stream(e)) => {
                    // The client went away mid-body; what little it sent is not JSON.
                    log_error(&format!("request body: {e}"));
                    Vec::new()
                }
            },
            Err(_) => Vec::new(),
        },
        _ => Vec::new(),
    };
    if let Some(refusal) = over_limit(env, &request, method, url.path(), &body).await {
        return Ok(refusal);
    }
    let api_request = ApiRequest {
        method,
        path: url.path().to_owned(),
        query: url.query().unwrap_or("").to_owned(),
        headers: header_lines(&buoy_headers(request.inner().headers())),
        body,
    };
    let agents: Vec<AgentToken> = config
        .agents
        .iter()
        .filter_map(|a| {
            let token = read_secret(env, &a.token_secret)?;
            Some(AgentToken { agent: a.name.clone(), site: SiteId::parse(&a.site).ok()?, token })
        })
        .collect();
    let identity_secrets: Vec<(String, String)> = config
        .sites
        .values()
        .filter_map(|s| s.identity_secret.as_ref())
        .filter_map(|name| Some((name.clone(), read_secret(env, name)?)))
        .collect();
    let turnstile_secrets: Vec<(String, String)> = config
        .sites
        .values()
        .filter_map(|s| s.turnstile.as_ref())
        .filter_map(|t| Some((t.secret.clone(), read_secret(env, &t.secret)?)))
        .collect();
    let verify_url = read_secret(env, TURNSTILE_VERIFY_URL).unwrap_or_else(|| buoy_shared::turnstile::DEFAULT_VERIFY_URL.into());
    let turnstile = api::TurnstileCheck { verify_url: &verify_url, secrets: &turnstile_secrets, client: &FetchSiteverify };
    let secret = read_secret(env, SECRET_NAME);
    let mut fresh = [0u8; 16];
    if let Err(e) = getrandom::getrandom(&mut fresh) {
        return Ok(error::AppError::Internal(format!("no randomness: {e}")).into_response());
    }
    let origin = url.origin().ascii_serialization();
    // No binding where no site takes attachments: the worker runs without R2.
    let files = env.bucket(files::BUCKET_BINDING).ok().map(|bucket| files::R2Files::new(bucket, upload_body));
    // No binding where the deployment has no D1: no word search.
    let words = env.d1(search::BINDING).ok().map(search::D1Words::new);
    // Only `cargo xtask bench` sets it: the count in every answer, and
    // (`memory`) the tickets in this isolate's memory.
    let bench = read_secret(env, kv::BENCH_VAR);
    // No binding: If-Match is checked against the KV list alone, nobody is present.
    let rooms = room::EdgeRooms::bound(env);
    let edge = match bench.as_deref() {
        Some("memory") => kv::EdgeKv::isolate_memory(),
        _ => kv::EdgeKv::Workers(workers_kv(env)?),
    };
    // Access sign-ins where `[access]` is set: the team's keys, checked by WebCrypto.
    let keys = config.access.as_ref().map(|a| WebCryptoKeys {
        certs_url: read_secret(env, ACCESS_CERTS_URL).unwrap_or_else(|| buoy_shared::access::certs_url(&a.team_domain)),
    });
    let access = config.access.as_ref().zip(keys.as_ref()).map(|(settings, keys)| agents::AccessCheck { settings, keys });
    // The knowledge base as the build published it (suggested articles, article pages).
    let articles = env.assets("ASSETS").ok().map(|assets| articles::AssetFiles::new(assets, origin.clone()));
    let app = App {
        config,
        business,
        zone: Some(business.default_calendar().zone()),
        store: store::TicketStore::new(store::Counted::new(edge)),
        secret: secret.as_deref().map(str::as_bytes),
        agents: &agents,
        identity_secrets: &identity_secrets,
        turnstile: Some(&turnstile),
        now: now(env),
        fresh_id: TicketId::from_bytes(fresh),
        origin: &origin,
        files: files.as_ref().map(|f| f as &dyn files::Files),
        rooms: rooms.as_ref().map(|r| r as &dyn room::Rooms),
        words: words.as_ref().map(|w| w as &dyn search::WordIndex),
        access: access.as_ref(),
        articles: articles.as_ref().map(|a| a as &dyn articles::KbFiles),
    };
    let response = api::handle(&app, &api_request).await;
    Ok(match bench {
        Some(_) => response.header(kv::OPERATIONS_HEADER, app.store.kv().operations().to_string()),
        None => response,
    })
}

/// Spends the request's abuse-limit counters (`buoy_shared::limits`) and
/// answers 429 with `Retry-After` when one is spent out. A binding that is
/// not configured counts nothing.
async fn over_limit(env: &Env, request: &Request, method: Method, path: &str, body: &[u8]) -> Option<ApiResponse> {
    #[derive(serde::Deserialize)]
    struct Named {
        site: Option<String>,
    }
    let site = serde_json::from_slice::<Named>(body).ok().and_then(|n| n.site);
    let client = request.headers().get("cf-connecting-ip").ok().flatten();
    for (limit, key) in buoy_shared::limits::keys(method == Method::Post, path, site.as_deref(), client.as_deref()) {
        if spent_out(env, limit, key).await {
            let retry = buoy_shared::limits::PERIOD_SECS.to_string();
            return Some(error::AppError::Problem(Problem::RateLimited).into_response().header("retry-after", retry));
        }
    }
    None
}

/// Spends one of `key`'s `limit` counter: whether it was already spent
/// out. A binding that is not configured counts nothing; a failing one
/// is logged and lets the request through.
async fn spent_out(env: &Env, limit: buoy_shared::limits::Limit, key: String) -> bool {
    let Ok(limiter) = env.rate_limiter(limit.binding()) else { return false };
    match limiter.limit(key).await {
        Ok(outcome) => !outcome.success,
        Err(e) => {
            log_error(&format!("rate limiter {}: {e}", limit.binding()));
            false
        }
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = "export function buoy_respond(body, status, headers) {
  const h = new Headers();
  const p = headers.split('\\n');
  for (let i = 0; i + 1 < p.length; i += 2) h.set(p[i], p[i + 1]);
  return new Response(body.length ? body.slice() : null, { status, headers: h });
}
export function buoy_headers(headers) {
  let lines = '';
  for (const [name, value] of headers) lines += name + '\\n' + value + '\\n';
  return lines;
}")]
extern "C" {
    /// A request's headers as [`header_lines`] reads them, in one call
    /// into JavaScript (names are lower case when a `Headers` lists them).
    fn buoy_headers(headers: web_sys::Headers) -> String;

    /// A `Response` of a copy of `body` (none when empty), `status`, and
    /// `headers` as names and values each on a line of their own, the
    /// later of a name named twice winning: one call into JavaScript where
    /// building it through workers-rs takes one per header and more.
    fn buoy_respond(body: &[u8], status: u16, headers: &str) -> web_sys::Response;
}

/// Names and values each on a line of their own, as pairs.
fn header_lines(lines: &str) -> Vec<(String, String)> {
    let mut parts = lines.split('\n');
    let mut out = Vec::new();
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        out.push((name.to_ascii_lowercase(), value.to_owned()));
    }
    out
}

/// An API answer (or the worker's own error) as the runtime's response,
/// with the table's headers for an answer or an error, built in one call
/// into JavaScript: every API request ends here.
fn respond(response: ApiResponse) -> web_sys::Response {
    let ApiResponse { status, headers: own, body } = response;
    let class = if status >= 400 { ResponseClass::Error } else { ResponseClass::Api };
    let mut headers = String::with_capacity(512);
    let own = own.iter().map(|(n, v)| (*n, v.as_str()));
    for (name, value) in own.chain(class.headers()) {
        // A header's name or value never holds a line break (Headers would refuse it).
        headers.push_str(name);
        headers.push('\n');
        headers.push_str(value);
        headers.push('\n');
    }
    buoy_respond(&body, status, &headers)
}

/// An API answer (or the worker's own error) as workers-rs' response,
/// for the paths that go on to change it or answer with it among others.
#[allow(clippy::unnecessary_wraps)]
fn to_worker_response(response: ApiResponse) -> worker::Result<Response> {
    Ok(respond(response).into())
}

/// A file download: the handler's headers over the API's (the file's own
/// `Content-Security-Policy` and `Cache-Control` win), and the bucket's
/// stream as the body, never read into the worker; a 404 when the bucket
/// has no such file.
async fn file_response(env: &Env, key: String, response: ApiResponse) -> worker::Result<Response> {
    let not_found = || to_worker_response(error::AppError::Problem(Problem::NotFound).into_response());
    let Ok(bucket) = env.bucket(files::BUCKET_BINDING) else { return not_found() };
    let opened = files::R2Files::new(bucket, None).open(&key).await;
    let (body, _) = match opened {
        Ok(Some(found)) => found,
        Ok(None) => {
            log_error(&format!("attachment {key} is recorded but not in the bucket"));
            return not_found();
        }
        Err(e) => return to_worker_response(error::AppError::Internal(e.0).into_response()),
    };
    let headers = Headers::new();
    secure(&headers, ResponseClass::Api)?;
    for (name, value) in response.headers.iter().filter(|(name, _)| *name != http::FILE_KEY) {
        headers.set(name, value)?;
    }
    Ok(Response::from_body(body)?.with_status(200).with_headers(headers))
}

/// `POST url` with `fetch`, given up after `timeout`: the response.
async fn post(url: &str, headers: &[(&str, String)], body: &str, timeout: std::time::Duration) -> Result<Response, String> {
    let h = Headers::new();
    for (name, value) in headers {
        h.set(name, value).map_err(|e| e.to_string())?;
    }
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post).with_headers(h).with_body(Some(body.into()));
    let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let controller = worker::AbortController::default();
    let signal = controller.signal();
    let fetch = worker::Fetch::Request(request);
    let send = std::pin::pin!(fetch.send_with_signal(&signal));
    let timeout = std::pin::pin!(worker::Delay::from(timeout));
    match futures_util::future::select(send, timeout).await {
        futures_util::future::Either::Left((response, _)) => response.map_err(|e| e.to_string()),
        futures_util::future::Either::Right(_) => {
            controller.abort();
            Err("timed out".into())
        }
    }
}

/// Webhooks sent with `fetch`, given up after 10 seconds; mail through
/// the `send_email` binding, where the wrangler config has one.
struct FetchOutbound {
    mail: Option<worker::SendEmail>,
    dev_copies: bool,
}

impl sweep::Outbound for FetchOutbound {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String> {
        post(url, headers, body, std::time::Duration::from_secs(10)).await.map(|r| r.status_code())
    }

    async fn send_mail(&self, mail: &store::PendingMail) -> Result<(), String> {
        let Some(binding) = &self.mail else {
            return Err(format!("no {} binding (see the README's deploy section)", mail_out::MAIL_BINDING));
        };
        // The raw path: the message as built, every header kept.
        let message = worker::EmailMessage::new(&mail.from, &mail.to, &mail.raw).map_err(|e| format!("{e:?}"))?;
        binding.send(&message).await.map(|_| ()).map_err(|e| format!("{e:?}"))
    }

    fn keeps_dev_copies(&self) -> bool {
        self.dev_copies
    }
}

/// Turnstile's `siteverify` called with `fetch`, given up after 5 seconds.
struct FetchSiteverify;

impl api::Siteverify for FetchSiteverify {
    fn post<'a>(&'a self, url: &'a str, form: String) -> futures_util::future::LocalBoxFuture<'a, Result<Vec<u8>, String>> {
        Box::pin(async move {
            let headers = [("content-type", "application/x-www-form-urlencoded".to_owned())];
            let mut response = post(url, &headers, &form, std::time::Duration::from_secs(5)).await?;
            if response.status_code() != 200 {
                return Err(format!("siteverify answered {}", response.status_code()));
            }
            response.bytes().await.map_err(|e| e.to_string())
        })
    }
}

/// The Access team's signing keys: fetched from its certs URL, kept in the
/// isolate by `access::KeyCache`'s rules, and used through WebCrypto.
struct WebCryptoKeys {
    certs_url: String,
}

thread_local! {
    static ACCESS_KEYS: std::cell::RefCell<buoy_shared::access::KeyCache> = std::cell::RefCell::new(Default::default());
}

impl agents::AccessKeys for WebCryptoKeys {
    fn verify<'a>(
        &'a self,
        kid: &'a str,
        signed: &'a [u8],
        signature: &'a [u8],
        now_ms: i64,
    ) -> futures_util::future::LocalBoxFuture<'a, Result<(), buoy_shared::access::Refusal>> {
        use buoy_shared::access::Refusal;
        Box::pin(async move {
            if ACCESS_KEYS.with_borrow(|cache| cache.must_fetch(kid, now_ms)) {
                match fetch_jwks(&self.certs_url).await {
                    Ok(keys) => ACCESS_KEYS.with_borrow_mut(|cache| cache.store(keys, now_ms)),
                    Err(e) => {
                        log_error(&format!("access certs {}: {e}", self.certs_url));
                        ACCESS_KEYS.with_borrow_mut(|cache| cache.failed(now_ms));
                    }
                }
            }
            let (key, any) = ACCESS_KEYS.with_borrow(|cache| (cache.key(kid).cloned(), cache.key_count() > 0));
            let Some(key) = key else { return Err(if any { Refusal::UnknownKey } else { Refusal::KeysUnavailable }) };
            match rs256_verify(&key, signed, signature).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(Refusal::Signature),
                Err(e) => {
                    log_error(&format!("access key {kid}: {e:?}"));
                    Err(Refusal::KeysUnavailable)
                }
            }
        })
    }
}

/// The team's JWKS, fetched with `fetch` (given up after 5 seconds).
async fn fetch_jwks(url: &str) -> Result<Vec<buoy_shared::access::Jwk>, String> {
    let request = Request::new(url, worker::Method::Get).map_err(|e| e.to_string())?;
    let controller = worker::AbortController::default();
    let signal = controller.signal();
    let fetch = worker::Fetch::Request(request);
    let send = std::pin::pin!(fetch.send_with_signal(&signal));
    let timeout = std::pin::pin!(worker::Delay::from(std::time::Duration::from_secs(5)));
    let mut response = match futures_util::future::select(send, timeout).await {
        futures_util::future::Either::Left((response, _)) => response.map_err(|e| e.to_string())?,
        futures_util::future::Either::Right(_) => {
            controller.abort();
            return Err("timed out".into());
        }
    };
    if response.status_code() != 200 {
        return Err(format!("answered {}", response.status_code()));
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    buoy_shared::access::read_jwks(&body).map_err(|_| "not a JWKS".into())
}

/// Whether `signature` is `key`'s RSASSA-PKCS1-v1_5 SHA-256 signature of
/// `signed`, by the runtime's WebCrypto (`importKey` of the JWK, then
/// `verify`).
async fn rs256_verify(key: &buoy_shared::access::Jwk, signed: &[u8], signature: &[u8]) -> Result<bool, wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    let set = |object: &js_sys::Object, name: &str, value: &wasm_bindgen::JsValue| js_sys::Reflect::set(object, &name.into(), value);
    let crypto: web_sys::Crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())?.unchecked_into();
    let subtle = crypto.subtle();
    let jwk = js_sys::Object::new();
    set(&jwk, "kty", &"RSA".into())?;
    set(&jwk, "n", &key.n.as_str().into())?;
    set(&jwk, "e", &key.e.as_str().into())?;
    set(&jwk, "alg", &"RS256".into())?;
    let algorithm = js_sys::Object::new();
    set(&algorithm, "name", &"RSASSA-PKCS1-v1_5".into())?;
    set(&algorithm, "hash", &"SHA-256".into())?;
    let usages = js_sys::Array::of1(&"verify".into());
    let imported = wasm_bindgen_futures::JsFuture::from(subtle.import_key_with_object("jwk", &jwk, &algorithm, false, &usages)?).await?;
    let crypto_key: web_sys::CryptoKey = imported.unchecked_into();
    let verified = wasm_bindgen_futures::JsFuture::from(subtle.verify_with_object_and_u8_array_and_u8_array(
        &algorithm,
        &crypto_key,
        signature,
        signed,
    )?)
    .await?;
    Ok(verified.as_bool() == Some(true))
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let Ok((config, calendars)) = config() else {
        log_error("the compiled-in configuration does not load");
        return;
    };
    let kv = match kv::WorkersKv::bound(&env, KV_BINDING) {
        Ok(kv) => kv,
        Err(e) => return log_error(&e.0),
    };
    let hooks: Vec<sweep::Hook<'_>> = config
        .webhooks
        .iter()
        .enumerate()
        .filter_map(|(index, h)| {
            Some(sweep::Hook { index, config: h, url: read_secret(&env, &h.url_secret)?, secret: read_secret(&env, &h.signing_secret)? })
        })
        .collect();
    // Counted, so that the upload sweep after the SLA sweep keeps within
    // what the invocation has left of its KV and R2 operations.
    let store = store::TicketStore::new(store::Counted::new(kv));
    // No binding where no site uses email: the worker never needs one then.
    let outbound = FetchOutbound {
        mail: env.send_email(mail_out::MAIL_BINDING).ok(),
        dev_copies: read_secret(&env, mail_out::DEV_MAIL_VAR).is_some(),
    };
    let secret = read_secret(&env, SECRET_NAME);
    let origin = read_secret(&env, mail_out::PUBLIC_URL_VAR);
    let run = sweep::Sweep {
        store: &store,
        outbound: &outbound,
        config,
        business: calendars,
        hooks: &hooks,
        // The event's scheduled time, never anything a request can set.
        now: Timestamp::from_millis(event.schedule() as i64),
        mail: secret.as_deref().zip(origin.as_deref()).map(|(secret, origin)| mail_out::Links { secret: secret.as_bytes(), origin }),
    };
    // `BUOY_PLAN = "paid"` lets a run use the Paid plan's subrequests.
    let plan = read_secret(&env, "BUOY_PLAN").and_then(|p| buoy_shared::budget::Plan::parse(&p)).unwrap_or(buoy_shared::budget::Plan::Free);
    match run.run_within(plan.limits()).await {
        Ok(report) => worker::console_log!("sla sweep: {report:?}"),
        Err(e) => log_error(&format!("sla sweep failed: {e:?}")),
    }
    // Owed word entries are rare (a failed D1 write), and looking costs a
    // KV list: every half hour, not every minute (the Free plan's day has 1,000 lists).
    let owed_due = (event.schedule() as i64 / 60_000) % find::OWED_EVERY_MINUTES == 0;
    if let Some(db) = env.d1(search::BINDING).ok().filter(|_| owed_due) {
        match find::write_owed(&store, &search::D1Words::new(db), config, find::OWED_PER_RUN).await {
            Ok(0) => {}
            Ok(written) => worker::console_log!("search index: {written} owed entries written"),
            Err(e) => log_error(&format!("search index: owed entries: {}", e.0)),
        }
    }
    if let Ok(bucket) = env.bucket(files::BUCKET_BINDING) {
        let spent = store.kv().spent();
        match sweep::sweep_uploads_within(&store, &files::R2Files::new(bucket, None), run.now, plan.limits(), spent).await {
            Ok(report) if report.deleted == 0 => {}
            Ok(report) => worker::console_log!("upload sweep: {} never attached, deleted", report.deleted),
            Err(e) => log_error(&format!("upload sweep failed: {e:?}")),
        }
    }
}

/// Mail that Email Routing delivers (an answer, or mail to an intake
/// address): the sender's rate limit, then `mail_in::receive`. A refusal
/// is `set_reject` with its reason, then a short wait, without which the
/// local simulation answers 200 all the same. Every outcome is logged,
/// and nothing is returned as an error: that would trap the instance.
#[event(email)]
async fn inbound_mail(message: ForwardableEmailMessage, env: Env, _ctx: Context) -> worker::Result<()> {
    let (from, to) = (message.from(), message.to());
    let outcome = receive_mail(&message, &env, &from, &to).await;
    if let mail_in::Outcome::Failed(e) = &outcome {
        log_error(&format!("inbound mail from {from:?} to {to:?} failed: {e}"));
    }
    worker::console_log!("inbound mail from {from:?} to {to:?}: {}", outcome.code());
    if let Some(reason) = outcome.rejection() {
        message.set_reject(&reason);
        worker::Delay::from(std::time::Duration::from_millis(20)).await;
    }
    Ok(())
}

/// What became of a delivered message: the sender's rate limit first,
/// then the message read up to `limits::inbound_read_cap` and handed to
/// `mail_in::receive`.
async fn receive_mail(message: &ForwardableEmailMessage, env: &Env, from: &str, to: &str) -> mail_in::Outcome {
    use mail_in::Outcome;
    let Ok((config, business)) = config() else {
        return Outcome::Failed("the compiled-in configuration does not load".into());
    };
    let (limit, key) = buoy_shared::limits::sender_key(from);
    if spent_out(env, limit, key).await {
        return Outcome::RateLimited;
    }
    let Some(cap) = buoy_shared::limits::inbound_read_cap(config) else {
        return Outcome::Rejected(buoy_shared::email::inbound::Reject::NoSuchRecipient);
    };
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let raw = match mail_in::read_up_to(message.raw_byte_stream(), cap).await {
        Ok(raw) => raw,
        Err(e) => return Outcome::Failed(format!("reading the message: {e}")),
    };
    let kv = match kv::WorkersKv::bound(env, KV_BINDING) {
        Ok(kv) => kv,
        Err(e) => return Outcome::Failed(e.0),
    };
    let secret = read_secret(env, SECRET_NAME);
    // Links in mail an answer leads to start with the public origin, as
    // the sweep's do (there is no request to take it from).
    let origin = read_secret(env, mail_out::PUBLIC_URL_VAR).unwrap_or_default();
    let mut fresh = [0u8; 16];
    if let Err(e) = getrandom::getrandom(&mut fresh) {
        return Outcome::Failed(format!("no randomness: {e}"));
    }
    // A mail's files go to the bucket whole: they came with the mail.
    let files = env.bucket(files::BUCKET_BINDING).ok().map(|bucket| files::R2Files::new(bucket, None));
    // An answer by mail counts in its ticket's room as one from the panel does.
    let rooms = room::EdgeRooms::bound(env);
    let words = env.d1(search::BINDING).ok().map(search::D1Words::new);
    let app = App {
        config,
        business,
        zone: Some(business.default_calendar().zone()),
        store: store::TicketStore::new(kv),
        secret: secret.as_deref().map(str::as_bytes),
        agents: &[],
        identity_secrets: &[],
        turnstile: None,
        now: now(env),
        fresh_id: TicketId::from_bytes(fresh),
        origin: &origin,
        files: files.as_ref().map(|f| f as &dyn files::Files),
        rooms: rooms.as_ref().map(|r| r as &dyn room::Rooms),
        words: words.as_ref().map(|w| w as &dyn search::WordIndex),
        access: None,
        articles: None,
    };
    mail_in::receive(&app, &raw, buoy_shared::email::inbound::Envelope { from, to }).await
}

/// The answer for a script of `/w/{hash}/` the assets lack: the module
/// that reloads the page naming it (`www/widget/reload.js`), never stored.
async fn reload_module(request: &Request, env: &Env) -> worker::Result<Response> {
    let Some(module) = own_asset(request, env, RELOAD_MODULE).await? else {
        return to_worker_response(error::AppError::Problem(Problem::NotFound).into_response());
    };
    let headers = Headers::new();
    secure(&headers, ResponseClass::ReloadModule)?;
    headers.set("content-type", "text/javascript; charset=utf-8")?;
    Ok(Response::from_bytes(module)?.with_headers(headers))
}

/// The bytes of one of the worker's own files in the assets (at `path`
/// on the request's origin, without its query), which it serves under
/// other paths with headers of its own; `None`, logged, when the assets
/// do not have it.
async fn own_asset(request: &Request, env: &Env, path: &str) -> worker::Result<Option<Vec<u8>>> {
    let mut url = request.url()?;
    url.set_path(path);
    url.set_query(None);
    let mut asset = env.assets("ASSETS")?.fetch(url.to_string(), None).await?;
    if asset.status_code() != 200 {
        log_error(&format!("asset {path} answered {}", asset.status_code()));
        return Ok(None);
    }
    asset.bytes().await.map(Some)
}

/// The iframe page in `locale` (the site's default when the path names
/// none), from the assets, with this site's headers: a strict CSP whose
/// `frame-ancestors` lists the site's allowed origins, and those origins
/// in the page, which the panel checks its fragment against.
async fn widget_page(request: &Request, env: &Env, site: &str, locale: Option<Locale>) -> worker::Result<Response> {
    let Some(site_config) = config().ok().and_then(|(c, _)| c.site(site)) else {
        return to_worker_response(error::AppError::Problem(Problem::NotFound).into_response());
    };
    let locale = locale.unwrap_or_else(|| site_config.locale());
    let Some(page) = own_asset(request, env, &widget_page_asset(locale)).await? else {
        return to_worker_response(error::AppError::Internal("widget page missing from assets".into()).into_response());
    };
    let mut page = buoy_shared::panel::for_site(&page, locale, site_config.emails_requesters());
    // The site's requester fields, labelled in the page's language.
    page = buoy_shared::panel::with_fields(&page, &site_config.fields, locale, site_config.locale());
    // A site that takes no files offers none.
    if site_config.attachments.is_none() {
        page = buoy_shared::panel::without_attachments(&page, locale);
    }
    // When support is open, from now: the page is never stored (`no-cache`).
    // The site's own calendar: a group's may differ, but a requester has none yet.
    if let (Ok((config, _)), Ok(calendar)) = (config(), calendar_for(site, None)) {
        let now = now(env);
        page = buoy_shared::panel::with_hours(&page, calendar, &config.policies, now);
    }
    // A site with its own types lists them, labelled in the page's language.
    if !site_config.types.is_empty() {
        let types = buoy_shared::site_types::labelled(&site_config.types, site_config.locale(), locale);
        page = buoy_shared::panel::with_types(&page, locale, &types);
    }
    let mut body = buoy_shared::fragment::with_origins(&page, &site_config.allowed_origins);
    let script = read_secret(env, TURNSTILE_SCRIPT_URL)
        .filter(|url| buoy_shared::config::url_origin(url).is_some() && !url.contains(['"', '<', '>', '&', ' ']))
        .unwrap_or_else(|| buoy_shared::turnstile::DEFAULT_SCRIPT_URL.into());
    if let Some(turnstile) = &site_config.turnstile {
        body = buoy_shared::turnstile::with_widget(&body, &turnstile.site_key, &script);
    }
    let headers = Headers::new();
    secure(&headers, ResponseClass::WidgetPage)?;
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("content-security-policy", &site_config.widget_page_csp(&script))?;
    Ok(Response::from_bytes(body)?.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::{calendar_for, config, header_lines};

    #[test]
    fn the_compiled_in_calendars_load_with_their_zones() {
        let (config, calendars) = config().unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(calendars.default_calendar().zone().iana_name(), Some(config.calendar.time_zone.as_str()));
        let demo = calendar_for("demo", None).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(demo.zone().iana_name(), Some(config.calendar.time_zone.as_str()), "a site without a calendar has the default");
    }

    #[test]
    fn header_lines_read_back_as_pairs_with_empty_values_kept() {
        let read = header_lines("content-type\napplication/json\nx-empty\n\nIdempotency-Key\nabc\n");
        let want = [("content-type", "application/json"), ("x-empty", ""), ("idempotency-key", "abc")];
        assert_eq!(read, want.map(|(n, v)| (n.to_owned(), v.to_owned())));
        assert!(header_lines("").is_empty());
    }
}
