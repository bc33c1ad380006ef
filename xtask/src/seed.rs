//! `cargo xtask seed-demo`: a few thousand realistic tickets over the last
//! 90 days in the local KV that `cargo xtask dev` serves, so the console's
//! Metrics (and its queue) mean something on first run.
//!
//! Nothing here knows a KV key. The seed calls the worker's own handlers
//! (`buoy_worker::api::handle`) and its SLA sweep over a `MemoryKv`, on a
//! simulated clock, exactly as requests and cron events would arrive:
//! requesters create tickets, answer and rate; agents reply, ask, change
//! segments, tiers and statuses; guided fixes end either way; the sweep
//! records breaches and applies the playbooks' escalations every simulated
//! hour. Then every key of that memory store is copied into wrangler's
//! local KV, after the keys of the previous seed are deleted.

use crate::cmd;
use crate::Result;
use buoy_shared::calendar::{BusinessCalendar, Calendars};
use buoy_shared::config::Config;
use buoy_shared::deflection::{Deflection, Outcome};
use buoy_shared::events::{EventKind, TicketEvent};
use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::sla::Calendar;
use buoy_shared::ticket::{Segment, TicketType};
use buoy_shared::time::{Duration, Timestamp};
use buoy_worker::api::{handle, AgentToken, App};
use buoy_worker::http::{ApiRequest, Method};
use buoy_worker::store::{self, Entry, KeyPage, Kv, MemoryKv, StoreError, TicketStore};
use serde_json::{json, Value};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::path::Path;

/// Tickets seeded unless `--tickets N` says otherwise.
const DEFAULT_TICKETS: usize = 3000;
/// Days of history.
const DAYS: i64 = 90;
/// The seed of the generator: the same mix every run (the times follow today's date).
const SEED: u64 = 0x00b0_0b5e_ed00_0007;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// The KV binding the worker reads (`buoy_worker::KV_BINDING`).
const BINDING: &str = buoy_worker::KV_BINDING;

/// A small, fast, seeded generator (SplitMix64): reproducible data with no
/// dependency. Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A whole number in `[0, n)` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A whole number in `[low, high]`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + self.below(high.saturating_sub(low).max(0) as u64 + 1) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items` (which must not be empty), by weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut left = self.below(total);
        for (item, weight) in items {
            if left < u64::from(*weight) {
                return item;
            }
            left -= u64::from(*weight);
        }
        &items[items.len() - 1].0
    }

    /// One of `items` (which must not be empty), evenly.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A standard normal draw (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = self.unit().max(f64::MIN_POSITIVE);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }

    /// A log-normal duration in milliseconds with this median (in
    /// minutes) and spread: how long people take to do things.
    pub fn minutes(&mut self, median: f64, sigma: f64) -> i64 {
        ((median.ln() + sigma * self.normal()).exp() * MINUTE as f64) as i64
    }

    /// 16 random bytes (ticket and event ids).
    pub fn id(&mut self) -> TicketId {
        let (a, b) = (self.next_u64().to_le_bytes(), self.next_u64().to_le_bytes());
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a);
        bytes[8..].copy_from_slice(&b);
        TicketId::from_bytes(bytes)
    }
}

/// Runs a future over the memory store to its end. Nothing in it waits
/// (memory answers at once), so polling it a few times with a waker that
/// does nothing is enough.
///
/// # Errors
/// When the future is still pending, which the memory store never causes.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..1000 {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return Ok(value);
        }
    }
    Err("a handler waited on the memory store, which never happens".into())
}

/// Lets every request and sweep share one memory store, as they share KV.
#[derive(Debug, Clone, Copy)]
struct Shared<'a>(&'a MemoryKv);

impl Kv for Shared<'_> {
    async fn get(&self, key: &str) -> std::result::Result<Option<String>, StoreError> {
        self.0.get(key).await
    }
    async fn put(&self, key: &str, value: &str, metadata: Option<&str>) -> std::result::Result<(), StoreError> {
        self.0.put(key, value, metadata).await
    }
    async fn list(&self, prefix: &str, limit: u32, cursor: Option<&str>) -> std::result::Result<KeyPage, StoreError> {
        self.0.list(prefix, limit, cursor).await
    }
    async fn delete(&self, key: &str) -> std::result::Result<(), StoreError> {
        self.0.delete(key).await
    }
}

/// Every key of a memory store, in the form `wrangler kv bulk put` takes:
/// `[{"key", "value", "metadata"?}]`, read through the `Kv` trait (`list`
/// gives names and metadata, `get` the values).
///
/// # Errors
/// When metadata is not JSON.
pub fn dump(kv: &MemoryKv) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(kv.len());
    let mut cursor: Option<String> = None;
    loop {
        let page = block_on(kv.list("", 1000, cursor.as_deref()))?.map_err(|e| e.0)?;
        for key in page.keys {
            let value = block_on(kv.get(&key.name))?.map_err(|e| e.0)?.unwrap_or_default();
            let mut entry = json!({ "key": key.name, "value": value });
            if let Some(meta) = &key.metadata {
                entry["metadata"] = serde_json::from_str(meta).map_err(|e| format!("{}: metadata: {e}", key.name))?;
            }
            out.push(entry);
        }
        match page.cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(out),
        }
    }
}

/// Loads entries into wrangler's local KV, inside workerd (Miniflare, as
/// `wrangler dev` runs it): one request writes 500 keys. `wrangler kv bulk
/// put --local` takes the same file but writes one key per round trip
/// (about 6 ms each here: ten minutes for 100,000 keys); this takes about
/// 0.8 ms a key. It knows no key: `list` writes every key's name to a
/// file, `load` deletes the keys a file names, then writes the entries.
const LOADER: &str = r#"// Written by `cargo xtask` (seed-demo, bench): lists the keys of wrangler's
// local KV, or loads a `wrangler kv bulk put` file into it after deleting
// the keys a file names.
import { Miniflare } from "miniflare";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [persist, namespace, command, file, deleteFile] = process.argv.slice(2);
const script = `export default {
  async fetch(request, env) {
    const body = await request.json();
    const path = new URL(request.url).pathname;
    if (path === "/list") {
      const names = [];
      let cursor;
      do {
        const page = await env.KV.list({ cursor });
        for (const key of page.keys) names.push(key.name);
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
      return Response.json(names);
    }
    if (path === "/delete") {
      for (let i = 0; i < body.length; i += 500) await Promise.all(body.slice(i, i + 500).map((name) => env.KV.delete(name)));
      return Response.json({ deleted: body.length });
    }
    await Promise.all(body.map((e) => env.KV.put(e.key, e.value, e.metadata === undefined ? {} : { metadata: e.metadata })));
    return Response.json({ written: body.length });
  },
};`;
const mf = new Miniflare({
  modules: true,
  script,
  compatibilityDate: "2026-04-26",
  cf: false,
  port: 0,
  kvNamespaces: { KV: namespace },
  kvPersist: join(persist, "v3", "kv"),
});
try {
  const call = async (path, body) => {
    const response = await mf.dispatchFetch(`http://loader${path}`, { method: "POST", body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  if (command === "list") {
    const names = await call("/list", null);
    writeFileSync(file, JSON.stringify(names));
    console.log(JSON.stringify({ listed: names.length }));
  } else {
    let deleted = 0;
    let written = 0;
    if (deleteFile) deleted = (await call("/delete", JSON.parse(readFileSync(deleteFile, "utf8")))).deleted;
    const entries = JSON.parse(readFileSync(file, "utf8"));
    for (let i = 0; i < entries.length; i += 500) written += (await call("/put", entries.slice(i, i + 500))).written;
    console.log(JSON.stringify({ deleted, written }));
  }
} finally {
  await mf.dispose();
}
"#;

/// The local id of the `BUOY_KV` namespace, as wrangler picks it: the
/// `id` in `wrangler.toml` if one is set, else the binding's name.
fn local_namespace() -> Result<String> {
    Ok(namespace_in(&cmd::read(&crate::root().join("wrangler.toml"))?))
}

/// The local id of the `BUOY_KV` namespace in the text of a wrangler config.
fn namespace_in(config: &str) -> String {
    let (mut in_block, mut binding, mut id) = (false, false, None);
    for line in config.lines().map(str::trim) {
        if line.starts_with('[') {
            if in_block && binding {
                break;
            }
            (in_block, binding, id) = (line == "[[kv_namespaces]]", false, None);
            continue;
        }
        let value = |name: &str| line.strip_prefix(name)?.trim_start().strip_prefix('=').map(|v| v.trim().trim_matches('"').to_owned());
        if in_block {
            binding |= value("binding").is_some_and(|b| b == BINDING);
            id = value("id").or(id);
        }
    }
    if binding {
        id.unwrap_or_else(|| BINDING.to_owned())
    } else {
        BINDING.to_owned()
    }
}

/// What the loader did.
#[derive(Debug, Clone, Copy)]
pub struct Loaded {
    /// Keys deleted first.
    pub deleted: u64,
    /// Keys written.
    pub written: u64,
}

/// Writes `entries` (the JSON text of a `wrangler kv bulk put` file, kept
/// in `work`) into the local KV persisted under `persist_to` (the folder
/// `wrangler dev --persist-to` takes), after deleting every key stored
/// there that `doomed` picks (none without it: nothing is listed then).
///
/// # Errors
/// When node, Miniflare or a file fails.
pub fn load_local_kv(persist_to: &Path, work: &Path, entries: &str, doomed: Option<&dyn Fn(&str) -> bool>) -> Result<Loaded> {
    let script = work.join("load-kv.mjs");
    cmd::write(&script, LOADER)?;
    let namespace = local_namespace()?;
    let (script, persist) = (script.to_string_lossy(), persist_to.to_string_lossy());
    let loader = |command: &str, files: &[&Path]| -> Result<Value> {
        let files: Vec<String> = files.iter().map(|f| f.to_string_lossy().into_owned()).collect();
        let mut args = vec![script.as_ref(), persist.as_ref(), namespace.as_str(), command];
        args.extend(files.iter().map(String::as_str));
        let out = cmd::command("node", &args)
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("node: {e} (run `cargo xtask setup`)"))?;
        if !out.status.success() {
            return Err(format!("the KV loader's {command} under {} failed", persist_to.display()));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("the KV loader printed no JSON: {e}"))
    };
    let put = work.join("kv-bulk.json");
    cmd::write(&put, entries)?;
    let report = if let Some(doomed) = doomed {
        let listed = work.join("kv-keys.json");
        loader("list", &[&listed])?;
        let names: Vec<String> = serde_json::from_str(&cmd::read(&listed)?).map_err(|e| format!("{}: {e}", listed.display()))?;
        let doomed: Vec<&String> = names.iter().filter(|name| doomed(name)).collect();
        let delete = work.join("kv-delete.json");
        cmd::write(&delete, serde_json::to_string(&doomed).map_err(|e| e.to_string())?)?;
        loader("load", &[&put, &delete])?
    } else {
        loader("load", &[&put])?
    };
    Ok(Loaded { deleted: report["deleted"].as_u64().unwrap_or(0), written: report["written"].as_u64().unwrap_or(0) })
}

/// What a requester writes about, per type: subject and first message.
/// Feature requests repeat, in the words people use, so the top requests
/// group them.
const SUBJECTS: &[(TicketType, &str, &str, u32)] = &[
    (
        TicketType::PASSWORD_RESET,
        "Reset link says it has expired",
        "I clicked the link in the reset email straight away and it says the link has expired.",
        4,
    ),
    (
        TicketType::PASSWORD_RESET,
        "Never got the password reset email",
        "I've asked for a reset three times and nothing arrives, not even in spam.",
        4,
    ),
    (
        TicketType::PASSWORD_RESET,
        "Locked out after changing my password",
        "I changed my password this morning and now the new one is refused too.",
        2,
    ),
    (
        TicketType::PASSWORD_RESET,
        "Can't sign in with my work email",
        "It says no account exists for my work address, but I've used it for a year.",
        2,
    ),
    (TicketType::BILLING, "Charged twice this month", "Our card was charged twice for this month's subscription. Can you refund one?", 4),
    (TicketType::BILLING, "Need a VAT invoice", "Our finance team needs invoices with our VAT number on them. Where do I add it?", 3),
    (TicketType::BILLING, "How do I downgrade our plan?", "We'd like to move from Business to the Starter plan at renewal.", 2),
    (TicketType::BILLING, "Card declined at renewal", "We got an email saying the renewal payment failed; the card is valid.", 2),
    (TicketType::BILLING, "Refund for unused seats", "We removed five seats last month but were billed for them again.", 2),
    (TicketType::OUTAGE, "Dashboard not loading", "Blank page with a spinner since about ten minutes ago, for everyone on our team.", 4),
    (TicketType::OUTAGE, "API returning 502 errors", "Every call to the events API fails with 502 Bad Gateway.", 3),
    (TicketType::OUTAGE, "Reports stuck on processing", "All our scheduled reports have been stuck on 'processing' for an hour.", 2),
    (
        TicketType::BUG,
        "Chart shows wrong totals for last week",
        "The weekly chart says 1,204 sessions but the table underneath says 1,310.",
        3,
    ),
    (
        TicketType::BUG,
        "Date filter resets when I switch tabs",
        "I pick a date range, open another tab of the dashboard and it's back to 'last 7 days'.",
        3,
    ),
    (TicketType::BUG, "CSV import skips rows with accents", "Rows whose names contain é or ü are silently dropped from the import.", 2),
    (TicketType::BUG, "Scheduled report emails arrive empty", "The Monday report email has the title but no chart and no table.", 2),
    (TicketType::BUG, "Funnel view crashes in Safari", "Opening any funnel in Safari 18 shows 'Something went wrong'.", 2),
    (TicketType::BUG, "Exported times are an hour off", "Times in the export are an hour behind what the dashboard shows.", 2),
    (
        TicketType::BUG,
        "Possible security issue with share links",
        "A share link still opens after I revoked it. Is this a security problem?",
        1,
    ),
    (
        TicketType::HOW_TO,
        "How do I share a dashboard with a client?",
        "I want a client to see one dashboard without giving them an account.",
        4,
    ),
    (TicketType::HOW_TO, "Can I schedule a weekly report?", "Is there a way to email a report to my manager every Monday?", 3),
    (TicketType::HOW_TO, "How do I add a teammate?", "I'm the owner of our workspace and can't find where to invite people.", 3),
    (TicketType::HOW_TO, "Where do I find my API key?", "The docs mention an API key in settings but I can't see it.", 3),
    (TicketType::HOW_TO, "How do I track a custom event?", "We want to count clicks on our pricing button as an event.", 2),
    (TicketType::HOW_TO, "Filter by UTM campaign", "How do I see only visitors from our spring campaign?", 2),
    (TicketType::FEATURE_REQUEST, "Dark mode", "Our team works late; a dark theme would be much easier on the eyes.", 6),
    (TicketType::FEATURE_REQUEST, "Please add a dark mode!", "Everything else we use has one now.", 4),
    (TicketType::FEATURE_REQUEST, "Dark mode please", "The white dashboard on a big screen at night is blinding.", 3),
    (TicketType::FEATURE_REQUEST, "Export to CSV", "We need the raw numbers behind each chart in a spreadsheet.", 6),
    (TicketType::FEATURE_REQUEST, "Please add export to CSV", "Copying tables by hand into Excel takes us hours each month.", 3),
    (TicketType::FEATURE_REQUEST, "SSO", "Our IT team requires single sign-on for every tool we buy.", 4),
    (TicketType::FEATURE_REQUEST, "SSO with Okta", "We use Okta for everything; can we sign in with it?", 3),
    (TicketType::FEATURE_REQUEST, "Slack integration", "It would be great to get alerts in our Slack channel.", 3),
    (
        TicketType::FEATURE_REQUEST,
        "Custom date ranges in reports",
        "We report on our fiscal quarters, which don't match calendar months.",
        2,
    ),
    (TicketType::FEATURE_REQUEST, "A mobile app", "I'd like to glance at the numbers from my phone.", 2),
    (TicketType::ACCOUNT, "Transfer ownership to a colleague", "I'm leaving the company; how do I make my colleague the owner?", 3),
    (TicketType::ACCOUNT, "Change the email on my account", "We changed our domain and I need to update my login email.", 3),
    (TicketType::ACCOUNT, "Add more seats", "We're hiring and need ten more seats this month.", 2),
    (TicketType::ACCOUNT, "Delete my account and data", "Please delete my account and everything you hold about me.", 2),
    (TicketType::OTHER, "Data processing agreement", "Our legal team needs your DPA signed before we renew.", 3),
    (TicketType::OTHER, "Where is our data stored?", "A customer asks whether our analytics data stays in the EU.", 2),
    (TicketType::OTHER, "Partnership enquiry", "We're an agency and would like to talk about a partner programme.", 1),
];

/// How requesters' segments are spread.
pub const SEGMENTS: &[(Segment, u32)] = &[(Segment::Free, 62), (Segment::Business, 20), (Segment::Enterprise, 8), (Segment::Former, 10)];

/// How often each type arrives.
pub const TYPES: &[(TicketType, u32)] = &[
    (TicketType::HOW_TO, 24),
    (TicketType::BUG, 18),
    (TicketType::BILLING, 14),
    (TicketType::PASSWORD_RESET, 12),
    (TicketType::FEATURE_REQUEST, 12),
    (TicketType::ACCOUNT, 10),
    (TicketType::OTHER, 7),
    (TicketType::OUTAGE, 3),
];

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "Katherine",
    "John",
    "Sophie",
    "Omar",
    "Priya",
    "Mateo",
    "Yuki",
    "Chloe",
    "Kwame",
    "Ingrid",
    "Luca",
    "Amara",
    "Noah",
    "Fatima",
    "Oliver",
    "Mei",
    "Jonas",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Johnson",
    "Wilson",
    "Haddad",
    "Patel",
    "Garcia",
    "Tanaka",
    "Martin",
    "Mensah",
    "Larsen",
    "Rossi",
    "Okafor",
    "Smith",
    "Khan",
    "Brown",
    "Chen",
    "Weber",
];
const DOMAINS: &[&str] =
    &["example.com", "example.org", "example.net", "acme.example", "globex.example", "initech.example", "hooli.example"];
const PAGES: &[&str] = &["/dashboards", "/reports", "/settings/billing", "/settings/team", "/funnels", "/imports", "/login"];
const LOCALES: &[(&str, u32)] = &[("en-GB", 45), ("en-US", 30), ("de-DE", 9), ("fr-FR", 8), ("es-ES", 5), ("nl-NL", 3)];

const ANSWERS: &[&str] = &[
    "Thanks! It happens in both Chrome and Firefox.",
    "Here's the screenshot you asked for.",
    "Yes, that's the right account.",
    "I tried that and it still happens, sorry.",
    "It started on Monday, as far as I can tell.",
    "Our workspace is called Northwind Ops.",
];
const SATISFIED: &[&str] = &["Quick and clear, thank you!", "Sorted in minutes.", "That did it, thanks.", "Really helpful."];
const UNSATISFIED: &[&str] =
    &["It took days to get a first answer.", "The workaround is clunky.", "Still not properly fixed.", "I had to explain it three times."];

/// What agents will do with a ticket, decided when it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Course {
    /// Answered and solved in one reply.
    FirstContact,
    /// The agent asks something; the requester answers; then solved.
    Question,
    /// The agent asks; no answer comes; solved after a few days.
    Unanswered,
    /// Handed to tier 2, solved a day or more later.
    Tier,
    /// Waiting on a third party, then solved.
    OnHold,
}

/// One simulated ticket.
#[derive(Debug)]
struct Sim {
    kind: TicketType,
    subject: &'static str,
    message: &'static str,
    name: String,
    email: String,
    page: &'static str,
    locale: &'static str,
    /// The segment an agent will set (free: none).
    segment: Segment,
    course: Course,
    agent: usize,
    id: String,
    token: String,
    created: i64,
    first_reply: Option<i64>,
    questions: u8,
    reopened: bool,
    rated: bool,
}

/// Something that happens at a simulated instant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    /// A guided fix ends: fixed or not.
    Deflect(TicketType, bool),
    Create(usize),
    FirstTouch(usize),
    Answer(usize),
    FollowUp(usize),
    Reopen(usize),
    Rate(usize),
}

/// The simulation: the worker's handlers and sweep over one memory store.
#[derive(Debug)]
struct World<'a> {
    config: &'a Config,
    business: &'a Calendars,
    site: SiteId,
    agents: Vec<AgentToken>,
    secret: Vec<u8>,
    kv: MemoryKv,
    rng: Rng,
    sims: Vec<Sim>,
    queue: BinaryHeap<Reverse<(i64, u64, Step)>>,
    sequence: u64,
    end: i64,
    /// Requests a handler refused (none expected), and the first few.
    refused: u64,
    first_refusals: Vec<String>,
    requests: u64,
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

impl World<'_> {
    fn schedule(&mut self, at: i64, step: Step) {
        if at <= self.end {
            self.sequence += 1;
            self.queue.push(Reverse((at, self.sequence, step)));
        }
    }

    /// One request through the worker's own handler, at `now`.
    fn send(&mut self, now: i64, method: Method, path: &str, auth: Option<(&str, String)>, body: &Value) -> Result<(u16, Value)> {
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let Some((name, value)) = auth {
            headers.push((name.to_owned(), value));
        }
        let request = ApiRequest {
            method,
            path: path.to_owned(),
            query: String::new(),
            headers,
            body: if method == Method::Post { body.to_string().into_bytes() } else { Vec::new() },
        };
        let app = App {
            config: self.config,
            business: self.business,
            zone: Some(self.business.default_calendar().zone()),
            store: TicketStore::new(Shared(&self.kv)),
            secret: Some(&self.secret),
            agents: &self.agents,
            // Seeded requesters are anonymous, as in the demo.
            identity_secrets: &[],
            turnstile: None,
            now: ts(now),
            fresh_id: self.rng.id(),
            origin: crate::serve::DEV_WORKER_ORIGIN,
            // The seed's tickets carry no files.
            files: None,
            rooms: None,
            words: None,
            access: None,
            articles: None,
        };
        let response = block_on(handle(&app, &request))?;
        self.requests += 1;
        let value: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        if !(200..300).contains(&response.status) {
            self.refused += 1;
            if self.first_refusals.len() < 3 {
                self.first_refusals.push(format!("{path} → {} {value}", response.status));
            }
        }
        Ok((response.status, value))
    }

    fn agent_send(&mut self, now: i64, sim: usize, what: &str, body: &Value) -> Result<(u16, Value)> {
        let auth = format!("Bearer {}", self.agents[self.sims[sim].agent].token);
        let path = format!("/v1/agent/tickets/{}/{what}", self.sims[sim].id);
        self.send(now, Method::Post, &path, Some(("authorization", auth)), body)
    }

    fn requester_send(&mut self, now: i64, sim: usize, what: &str, body: &Value) -> Result<(u16, Value)> {
        let auth = self.sims[sim].token.clone();
        let path = format!("/v1/tickets/{}/{what}", self.sims[sim].id);
        self.send(now, Method::Post, &path, Some((buoy_worker::api::REQUESTER_TOKEN_HEADER, auth)), body)
    }

    /// The cron sweep at `now`, with no webhook receiver (their secrets are
    /// not set here, so deliveries are dropped as they would be in dev).
    fn sweep(&self, now: i64) -> Result {
        let store = TicketStore::new(Shared(&self.kv));
        let sweep = buoy_worker::sweep::Sweep {
            store: &store,
            outbound: &NoNetwork,
            config: self.config,
            business: self.business,
            hooks: &[],
            now: ts(now),
            mail: None,
        };
        block_on(sweep.run())?.map(|_| ()).map_err(|e| format!("the sweep failed at {}: {e:?}", ts(now)))
    }

    /// When an agent gets to a ticket that arrived (or was answered) at
    /// `from`: urgent work around the clock within minutes; enterprise
    /// customers mostly within the hour; everyone else in business hours,
    /// with a long tail (and a few replies sent out of hours).
    fn agent_time(&mut self, from: i64, sim: usize, first: bool) -> i64 {
        let segment = self.sims[sim].segment;
        let urgent = self.sims[sim].kind == TicketType::OUTAGE || self.sims[sim].subject.contains("security");
        let calendar = |rng: &mut Rng, median: f64, sigma: f64| from + rng.minutes(median, sigma).max(2 * MINUTE);
        if urgent {
            return calendar(&mut self.rng, 20.0, 0.7);
        }
        if segment == Segment::Enterprise && self.rng.chance(0.6) {
            return calendar(&mut self.rng, 40.0, 0.8);
        }
        if self.rng.chance(0.07) {
            return calendar(&mut self.rng, 600.0, 0.6);
        }
        let median = match (segment, first) {
            (Segment::Enterprise, _) => 30.0,
            (Segment::Business, true) => 100.0,
            (_, true) => 240.0,
            (_, false) => 150.0,
        };
        let mut span = self.rng.minutes(median, 0.9);
        if self.rng.chance(0.08) {
            span *= 3;
        }
        let due = self.business.default_calendar().deadline(ts(from), Duration::from_secs(span / 1000)).as_millis();
        due + self.rng.between(0, 20) * MINUTE / 10
    }

    fn step(&mut self, at: i64, step: Step) -> Result {
        match step {
            Step::Deflect(kind, fixed) => {
                let body = json!({ "site": self.site.as_str(), "type": kind.as_str(), "outcome": if fixed { Outcome::Fixed } else { Outcome::NeedHelp } });
                self.send(at, Method::Post, "/v1/deflections", None, &body)?;
            }
            Step::Create(i) => {
                let sim = &self.sims[i];
                let body = json!({
                    "site": self.site.as_str(),
                    "name": sim.name,
                    "email": sim.email,
                    "type": sim.kind.as_str(),
                    "subject": sim.subject,
                    "message": sim.message,
                    "context": { "url": format!("https://app.lumen.example{}", sim.page), "locale": sim.locale },
                });
                let (status, value) = self.send(at, Method::Post, "/v1/tickets", None, &body)?;
                if status != 201 {
                    return Ok(());
                }
                self.sims[i].id = value["id"].as_str().unwrap_or_default().to_owned();
                self.sims[i].token = value["requester_token"].as_str().unwrap_or_default().to_owned();
                self.sims[i].created = at;
                let touch = self.agent_time(at, i, true);
                self.schedule(touch, Step::FirstTouch(i));
            }
            Step::FirstTouch(i) => self.first_touch(at, i)?,
            Step::Answer(i) => {
                let body = json!({ "body": self.rng.pick(ANSWERS) });
                self.requester_send(at, i, "messages", &body)?;
                let next = self.agent_time(at, i, false);
                self.schedule(next, Step::FollowUp(i));
            }
            Step::FollowUp(i) => {
                let again = self.sims[i].course == Course::Question && self.sims[i].questions < 2 && self.rng.chance(0.2);
                let text = match self.sims[i].course {
                    _ if again => "Thanks, that helps. One more thing: which browser version are you on?",
                    Course::Unanswered => "I haven't heard back, so I'll close this for now. Reply any time and it reopens.",
                    Course::Tier => "Our tier 2 team found the cause and shipped a fix. Could you try again?",
                    Course::OnHold => "Good news: our provider has fixed it on their side. All should work now.",
                    _ => "Thanks for the details: that's fixed on our side now.",
                };
                self.agent_send(at, i, "messages", &json!({ "body": text }))?;
                if again {
                    self.sims[i].questions += 1;
                    self.agent_send(at + 20_000, i, "changes", &json!({ "status": "pending" }))?;
                    let answer = at + self.rng.minutes(240.0, 1.0);
                    self.schedule(answer, Step::Answer(i));
                } else {
                    self.solve(at + 20_000, i)?;
                }
            }
            Step::Reopen(i) => {
                let body = json!({ "body": "Sorry, this is happening again since this morning." });
                self.requester_send(at, i, "messages", &body)?;
                self.sims[i].course = Course::FirstContact;
                let next = self.agent_time(at, i, false);
                self.schedule(next, Step::FollowUp(i));
            }
            Step::Rate(i) => self.rate(at, i)?,
        }
        Ok(())
    }

    /// The first agent to look at a ticket: sets the requester's segment
    /// if they are a customer, perhaps raises the priority, notes, replies,
    /// and sets the status (and tier) the ticket's path needs.
    fn first_touch(&mut self, at: i64, i: usize) -> Result {
        let mut t = at;
        if self.sims[i].segment != Segment::Free {
            let body = json!({ "segment": self.sims[i].segment.as_str() });
            self.agent_send(t, i, "segment", &body)?;
            t += 15_000;
        }
        if self.sims[i].kind == TicketType::BUG && self.rng.chance(0.12) {
            self.agent_send(t, i, "changes", &json!({ "priority": "high" }))?;
            t += 15_000;
        }
        if self.rng.chance(0.1) {
            let note = json!({ "body": "Checked the logs: nothing unusual on our side for this workspace.", "public": false });
            self.agent_send(t, i, "messages", &note)?;
            t += 30_000;
        }
        t += self.rng.between(1, 8) * MINUTE;
        let path = self.sims[i].course;
        let reply = match (path, &self.sims[i].kind) {
            (Course::Question | Course::Unanswered, _) => {
                "Thanks for writing in. Could you tell us which workspace this is, and send a screenshot?"
            }
            (Course::Tier, _) => "Thanks: I can reproduce this and have passed it to our tier 2 engineers.",
            (Course::OnHold, _) => "This comes from one of our providers; we've raised it with them and will update you.",
            (_, &TicketType::FEATURE_REQUEST) => "Thanks for the suggestion! I've added your vote to this request on our roadmap.",
            (_, &TicketType::HOW_TO) => "Good question: here's how, step by step. Let us know if anything's unclear.",
            (_, &TicketType::BILLING) => "I've sorted that on your account; you'll see it on your next invoice.",
            (_, &TicketType::PASSWORD_RESET) => "I've sent you a fresh reset link; it's valid for one hour.",
            (_, &TicketType::OUTAGE) => "Sorry about this: it was an incident on our side, fixed now. Thanks for your patience.",
            _ => "Thanks! That's done now.",
        };
        self.agent_send(t, i, "messages", &json!({ "body": reply }))?;
        self.sims[i].first_reply = Some(t);
        let assignee = self.agents[self.sims[i].agent].agent.clone();
        t += 20_000;
        match path {
            Course::FirstContact => self.solve(t, i)?,
            Course::Question | Course::Unanswered => {
                self.agent_send(t, i, "changes", &json!({ "status": "pending", "assignee": assignee }))?;
                let next = if path == Course::Question { t + self.rng.minutes(300.0, 1.0) } else { t + self.rng.between(3, 5) * DAY };
                let step = if path == Course::Question { Step::Answer(i) } else { Step::FollowUp(i) };
                self.schedule(next, step);
            }
            Course::Tier => {
                self.agent_send(t, i, "changes", &json!({ "status": "open", "tier": 2, "assignee": assignee }))?;
                let later = self.business.default_calendar().deadline(ts(t), Duration::from_hours(self.rng.between(6, 24))).as_millis();
                self.schedule(later, Step::FollowUp(i));
            }
            Course::OnHold => {
                self.agent_send(t, i, "changes", &json!({ "status": "on_hold", "assignee": assignee }))?;
                let later = t + self.rng.between(2, 6) * DAY + self.rng.between(0, 8) * HOUR;
                self.schedule(later, Step::FollowUp(i));
            }
        }
        Ok(())
    }

    /// Solves a ticket; a few requesters come back, some rate the help.
    fn solve(&mut self, at: i64, i: usize) -> Result {
        let assignee = self.agents[self.sims[i].agent].agent.clone();
        self.agent_send(at, i, "changes", &json!({ "status": "solved", "assignee": assignee }))?;
        if !self.sims[i].reopened && self.rng.chance(0.03) {
            self.sims[i].reopened = true;
            let later = at + self.rng.between(20, 72) * HOUR;
            self.schedule(later, Step::Reopen(i));
        } else if !self.sims[i].rated && self.rng.chance(0.15) {
            let later = at + self.rng.minutes(180.0, 1.2);
            self.schedule(later, Step::Rate(i));
        }
        Ok(())
    }

    /// Most ratings are happy; former customers less so, and a slow first
    /// answer or a reopened ticket costs goodwill.
    fn rate(&mut self, at: i64, i: usize) -> Result {
        let sim = &self.sims[i];
        let mut p: f64 = match sim.segment {
            Segment::Enterprise => 0.95,
            Segment::Business => 0.94,
            Segment::Free => 0.93,
            Segment::Former => 0.75,
        };
        if sim.first_reply.is_some_and(|r| r - sim.created > DAY) {
            p -= 0.15;
        }
        if sim.reopened {
            p -= 0.15;
        }
        if sim.course == Course::FirstContact {
            p += 0.03;
        }
        let satisfied = self.rng.chance(p);
        let mut body = json!({ "satisfied": satisfied });
        if self.rng.chance(0.4) {
            body["comment"] = json!(self.rng.pick(if satisfied { SATISFIED } else { UNSATISFIED }));
        }
        self.sims[i].rated = true;
        self.requester_send(at, i, "csat", &body)?;
        Ok(())
    }
}

/// The webhook sender of the seed: never called (no webhook has its
/// secrets here), and it would refuse.
#[derive(Debug)]
struct NoNetwork;

impl buoy_worker::sweep::Outbound for NoNetwork {
    async fn post(&self, _url: &str, _headers: &[(&str, String)], _body: &str) -> std::result::Result<u16, String> {
        Err("the seed sends no webhooks".into())
    }
}

/// A value of `.dev.vars` (`NAME=value` lines), if set.
pub fn dev_var(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// Arrival instants over `[start, end]`: more on weekdays (Mondays most),
/// slowly growing, mostly in the business calendar's working day.
fn arrivals(rng: &mut Rng, business: &BusinessCalendar, start: i64, end: i64, count: usize) -> Result<Vec<i64>> {
    let zone = business.zone();
    let day_of = |ms: i64| -> Result<jiff::civil::Date> {
        Ok(zone.to_datetime(jiff::Timestamp::from_millisecond(ms).map_err(|e| e.to_string())?).date())
    };
    let (first, last) = (day_of(start)?, day_of(end)?);
    let days: Vec<jiff::civil::Date> = first.series(jiff::Span::new().days(1)).take_while(|d| *d <= last).collect();
    let weights: Vec<f64> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let weekday = match d.weekday().to_monday_one_offset() {
                1 => 1.15,
                2..=4 => 1.0,
                5 => 0.85,
                _ => 0.25,
            };
            weekday * (0.85 + 0.3 * i as f64 / days.len() as f64) * (0.8 + 0.4 * rng.unit())
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(count);
    for (day, weight) in days.iter().zip(&weights) {
        let n = (count as f64 * weight / total).round() as usize;
        let weekend = day.weekday().to_monday_one_offset() > 5;
        for _ in 0..n {
            let hours = if weekend {
                8.0 + 15.0 * rng.unit()
            } else if rng.chance(0.78) {
                let peak = if rng.chance(0.55) { 10.5 } else { 14.5 };
                (peak + 1.6 * rng.normal()).clamp(6.0, 22.0)
            } else {
                24.0 * rng.unit()
            };
            let seconds = (hours * 3600.0) as i64;
            let local = day.at((seconds / 3600) as i8, (seconds / 60 % 60) as i8, (seconds % 60) as i8, 0);
            let at = zone.to_ambiguous_timestamp(local).compatible().map_err(|e| e.to_string())?.as_millisecond();
            if (start..=end).contains(&at) {
                out.push(at);
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// What a requester is like: name, address, where they were.
pub(crate) fn requester(rng: &mut Rng) -> (String, String, &'static str, &'static str) {
    let (first, last) = (*rng.pick(FIRST_NAMES), *rng.pick(LAST_NAMES));
    let email = format!("{}.{}@{}", first.to_lowercase(), last.to_lowercase().replace('-', ""), rng.pick(DOMAINS));
    (format!("{first} {last}"), email, *rng.pick(PAGES), *rng.weighted(LOCALES))
}

pub(crate) fn subject(rng: &mut Rng, kind: &TicketType) -> (&'static str, &'static str) {
    let options: Vec<((&'static str, &'static str), u32)> =
        SUBJECTS.iter().filter(|(k, ..)| k == kind).map(|(_, s, m, w)| ((*s, *m), *w)).collect();
    if options.is_empty() {
        ("Question", "I have a question about my account.")
    } else {
        *rng.weighted(&options)
    }
}

/// What seeding produced, counted from the store it filled.
#[derive(Debug, Default)]
struct Counts {
    tickets: u64,
    events: u64,
    replies: u64,
    rated: u64,
    satisfied: u64,
    escalations: u64,
    breaches: u64,
    segments: u64,
    fixed: u64,
    need_help: u64,
}

fn count(entries: &[Value]) -> Counts {
    let mut c = Counts::default();
    for entry in entries {
        let value = entry["value"].as_str().unwrap_or_default();
        match Entry::of(entry["key"].as_str().unwrap_or_default()) {
            Entry::Ticket(_) => c.tickets += 1,
            Entry::GuidedFix(_) => {
                let fixed = serde_json::from_str::<Deflection>(value).is_ok_and(|d| d.outcome == Outcome::Fixed);
                c.fixed += u64::from(fixed);
                c.need_help += u64::from(!fixed);
            }
            Entry::Event(_) => {
                c.events += 1;
                let Ok(event) = serde_json::from_str::<TicketEvent>(value) else { continue };
                match event.kind {
                    EventKind::Message { agent: true, public: true, .. } => c.replies += 1,
                    EventKind::Rated { satisfied, .. } => {
                        c.rated += 1;
                        c.satisfied += u64::from(satisfied);
                    }
                    EventKind::Escalated { .. } | EventKind::Changed { tier: Some(2..), .. } => c.escalations += 1,
                    EventKind::Breached { .. } => c.breaches += 1,
                    EventKind::SegmentChanged { .. } => c.segments += 1,
                    _ => {}
                }
            }
            Entry::Rollup(_) | Entry::Backfill | Entry::Other => {}
        }
    }
    c
}

/// The ids a seed wrote: its tickets' and its guided fixes'. Keys that
/// carry one of them are the seed's (or were added to a seeded ticket
/// since, by the sweep or an agent) and go before the next seed.
fn seeded_ids(entries: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = entries
        .iter()
        .filter_map(|e| match Entry::of(e["key"].as_str()?) {
            Entry::Ticket(id) | Entry::GuidedFix(id) => Some(id.to_owned()),
            Entry::Event(_) | Entry::Rollup(_) | Entry::Backfill | Entry::Other => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Whether a re-seed deletes `key` from the KV first: every key of the
/// previous seed's tickets and guided fixes (`ids`), and the seeded site's
/// metric roll-ups, which counted them.
fn cleared_before_seed(key: &str, ids: &std::collections::BTreeSet<&str>, site: &SiteId) -> bool {
    matches!(Entry::of(key), Entry::Rollup(s) if s == site.as_str()) || store::belongs_to_one_of(key, ids)
}

/// The seed's entries that are loaded: all but what its sweeps kept for
/// themselves. The worker's sweep rolls the site up again from its first
/// day, counting every ticket the KV holds (the seed's, and any made by
/// hand before it), which the simulation's roll-ups could not; until it
/// runs, reports read the tickets' facts. The simulation's backfill
/// cursor would tell the worker's sweep that the KV's queue entries all
/// have rows, which only the worker's own sweep knows.
fn to_load(entries: &[Value]) -> Vec<&Value> {
    entries.iter().filter(|e| !matches!(Entry::of(e["key"].as_str().unwrap_or_default()), Entry::Rollup(_) | Entry::Backfill)).collect()
}

/// Simulates `tickets` tickets received over the [`DAYS`] days up to
/// `end` (ms) on `site`, answered by `agent_names`, through the worker's
/// handlers and hourly sweeps, and returns the store they filled.
///
/// # Errors
/// When a handler refuses a request (the simulation only sends what the
/// API accepts, so a refusal means it no longer matches the API) or the
/// sweep fails.
fn simulate(
    config: &Config,
    business: &Calendars,
    site: &SiteId,
    agent_names: &[&str],
    secret: Vec<u8>,
    tickets: usize,
    end: i64,
) -> Result<MemoryKv> {
    let mut rng = Rng::new(SEED);
    // The agents' tokens only live in this process: requests carry them to
    // the handlers, and nothing stores them.
    let agents: Vec<AgentToken> = agent_names
        .iter()
        .map(|name| AgentToken { agent: (*name).to_owned(), site: site.clone(), token: format!("{:x}", rng.next_u64()) })
        .collect();
    let start = end - DAYS * DAY;

    // Arrivals: the everyday flow, and three incidents where outage
    // reports pile up within a couple of hours.
    let incidents = 3;
    let per_incident = (tickets / 100).clamp(1, 40);
    let mut times = arrivals(&mut rng, business.default_calendar(), start, end, tickets.saturating_sub(incidents * per_incident))?;
    let mut outage_times = Vec::new();
    for k in 0..incidents {
        let day = start + (DAYS * DAY) * (2 * k as i64 + 1) / (2 * incidents as i64) + rng.between(0, 3) * DAY;
        let begins = business.default_calendar().deadline(ts(day), Duration::from_hours(rng.between(1, 6))).as_millis();
        for _ in 0..per_incident {
            outage_times.push(begins + rng.minutes(25.0, 0.9).min(3 * HOUR));
        }
    }
    let mut world = World {
        config,
        business,
        site: site.clone(),
        agents,
        secret,
        kv: MemoryKv::default(),
        rng,
        sims: Vec::new(),
        queue: BinaryHeap::new(),
        sequence: 0,
        end,
        refused: 0,
        first_refusals: Vec::new(),
        requests: 0,
    };
    let guided: Vec<TicketType> =
        config.playbooks.iter().filter(|(_, p)| !p.steps.is_empty()).filter_map(|(k, _)| TicketType::offered(k)).collect();
    outage_times.retain(|t| (start..=end).contains(t));
    times.extend(&outage_times);
    let mut need_help = 0usize;
    for (n, at) in times.iter().copied().enumerate() {
        let rng = &mut world.rng;
        let kind = if n >= times.len() - outage_times.len() { TicketType::OUTAGE } else { rng.weighted(TYPES).clone() };
        let (subject, message) = subject(rng, &kind);
        let (name, email, page, locale) = requester(rng);
        let segment = *rng.weighted(SEGMENTS);
        let course = match kind {
            TicketType::FEATURE_REQUEST | TicketType::OUTAGE => *rng.weighted(&[(Course::FirstContact, 90), (Course::Question, 10)]),
            TicketType::BUG => *rng.weighted(&[
                (Course::FirstContact, 25),
                (Course::Question, 35),
                (Course::Unanswered, 8),
                (Course::Tier, 22),
                (Course::OnHold, 10),
            ]),
            _ => *rng.weighted(&[
                (Course::FirstContact, 52),
                (Course::Question, 33),
                (Course::Unanswered, 8),
                (Course::Tier, 3),
                (Course::OnHold, 4),
            ]),
        };
        let agent = rng.below(world.agents.len() as u64) as usize;
        // Most password-reset tickets come from someone whose guided fix
        // did not work a few minutes before.
        if guided.contains(&kind) && rng.chance(0.8) {
            let before = at - rng.between(2, 6) * MINUTE;
            need_help += 1;
            world.schedule(before, Step::Deflect(kind.clone(), false));
        }
        world.sims.push(Sim {
            kind,
            subject,
            message,
            name,
            email,
            page,
            locale,
            segment,
            course,
            agent,
            id: String::new(),
            token: String::new(),
            created: at,
            first_reply: None,
            questions: 0,
            reopened: false,
            rated: false,
        });
        world.schedule(at, Step::Create(n));
    }
    // Guided fixes that worked (no ticket follows): a bit more than half.
    if let Some(kind) = guided.first() {
        for _ in 0..need_help * 6 / 5 {
            let at =
                times.get(world.rng.below(times.len() as u64) as usize).copied().unwrap_or(start) + world.rng.between(-90, 90) * MINUTE;
            world.schedule(at.clamp(start, end), Step::Deflect(kind.clone(), true));
        }
    }
    let mut next_sweep = start + HOUR;
    while let Some(Reverse((at, _, step))) = world.queue.pop() {
        while next_sweep <= at {
            world.sweep(next_sweep)?;
            next_sweep += HOUR;
        }
        world.step(at, step)?;
    }
    while next_sweep <= end {
        world.sweep(next_sweep)?;
        next_sweep += HOUR;
    }
    world.sweep(end)?;
    if world.refused > 0 {
        return Err(format!(
            "{} of {} simulated requests were refused, so nothing is loaded; the first: {}",
            world.refused,
            world.requests,
            world.first_refusals.join("; ")
        ));
    }
    Ok(world.kv)
}

fn usage() -> String {
    "usage: cargo xtask seed-demo [--tickets N]".into()
}

/// Runs `cargo xtask seed-demo [--tickets N]`.
///
/// # Errors
/// When `buoy.toml` does not load, a handler refuses what the simulation
/// sends, or the local KV cannot be written.
pub fn run(args: &[String]) -> Result {
    let started = std::time::Instant::now();
    let tickets = match args {
        [] => DEFAULT_TICKETS,
        [flag, n] if flag == "--tickets" => n.parse().ok().filter(|n| (1..=50_000).contains(n)).ok_or_else(usage)?,
        _ => return Err(usage()),
    };
    let root = crate::root();
    let config = Config::from_toml(&cmd::read(&root.join("buoy.toml"))?).map_err(|e| format!("buoy.toml: {e}"))?;
    let calendars = config.business_calendars(buoy_shared::calendar::tzdb_zone).map_err(|e| format!("buoy.toml: {e}"))?;
    let (site, agent_names) = config
        .sites
        .keys()
        .find_map(|site| {
            let names: Vec<&str> = config.agents.iter().filter(|a| &a.site == site).map(|a| a.name.as_str()).collect();
            (!names.is_empty()).then_some((site.clone(), names))
        })
        .ok_or("buoy.toml names no agent: the seed needs one to answer tickets")?;
    let site = SiteId::parse(&site).map_err(|e| format!("sites.{site}: {e}"))?;
    let vars_path = root.join(".dev.vars");
    let vars = if vars_path.exists() { cmd::read(&vars_path)? } else { String::new() };
    let secret = match dev_var(&vars, buoy_worker::SECRET_NAME) {
        Some(secret) => secret,
        None => {
            println!(
                "seed-demo: .dev.vars has no {} yet (`cargo xtask dev` writes it); seeding with a throwaway one: only requester tokens, which nobody holds for seeded tickets, depend on it",
                buoy_worker::SECRET_NAME
            );
            cmd::random_hex(32)?
        }
    };

    let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_millis() as i64;
    let end = now_ms - now_ms % MINUTE;
    println!("seed-demo: simulating about {tickets} tickets on site {site}, {} to {}…", ts(end - DAYS * DAY), ts(end));
    let kv = simulate(&config, &calendars, &site, &agent_names, secret.into_bytes(), tickets, end)?;
    let entries = dump(&kv)?;
    let counts = count(&entries);
    let ids = seeded_ids(&entries);

    // Into the KV `cargo xtask dev` serves, after the previous seed's keys.
    let persist_to = root.join(".wrangler/state");
    let manifest = root.join(".wrangler/seed-demo.json");
    let previous: Vec<String> = if manifest.exists() {
        let text = cmd::read(&manifest)?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", manifest.display()))?;
        value["ids"].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect()
    } else {
        Vec::new()
    };
    let work = root.join("target/seed-demo");
    let text = serde_json::to_string(&to_load(&entries)).map_err(|e| e.to_string())?;
    let write_manifest = |ids: &[String]| {
        let about = "Written by `cargo xtask seed-demo`: the ids of the tickets and guided fixes it seeded; the next seed deletes every key that names one.";
        let value = json!({ "about": about, "site": site.as_str(), "seeded_at": ts(end).to_string(), "ids": ids });
        cmd::write(&manifest, serde_json::to_string(&value).map_err(|e| e.to_string())?)
    };
    // Both seeds' ids until the load is done, so that a load that stops
    // half-way is still cleared by the next seed.
    write_manifest(&[previous.as_slice(), ids.as_slice()].concat())?;
    let ids_before: std::collections::BTreeSet<&str> = previous.iter().map(String::as_str).collect();
    let loaded = load_local_kv(&persist_to, &work, &text, Some(&|key: &str| cleared_before_seed(key, &ids_before, &site)))?;
    write_manifest(&ids)?;

    let pct = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
    println!();
    println!(
        "Seeded site `{site}` ({}) in {:.0} s:",
        config.sites.get(site.as_str()).map_or("", |s| s.name.as_str()),
        started.elapsed().as_secs_f64()
    );
    println!(
        "  tickets:       {} received {} to {} ({} days)",
        counts.tickets,
        &ts(end - DAYS * DAY).to_string()[..10],
        &ts(end).to_string()[..10],
        DAYS
    );
    println!(
        "  events:        {} (agent replies {}, segment changes {}, escalations {}, SLA breaches {})",
        counts.events, counts.replies, counts.segments, counts.escalations, counts.breaches
    );
    println!("  ratings:       {} ({:.0}% satisfied)", counts.rated, pct(counts.satisfied, counts.rated));
    println!("  guided fixes:  {} ({} fixed, {} still needed help)", counts.fixed + counts.need_help, counts.fixed, counts.need_help);
    println!(
        "  local KV:      {} keys written under {} ({} keys of the previous seed deleted first)",
        loaded.written,
        persist_to.display(),
        loaded.deleted
    );
    println!();
    println!(
        "See it: `cargo xtask dev`, open the console (http://127.0.0.1:8787/console/), sign in with the token in .dev.vars, then Metrics."
    );
    println!("Running `cargo xtask seed-demo` again replaces this seed (tickets you created yourself stay).");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_reproducible_and_stays_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!((0..5).map(|_| a.next_u64()).collect::<Vec<_>>(), (0..5).map(|_| b.next_u64()).collect::<Vec<_>>());
        for _ in 0..1000 {
            assert!(a.below(7) < 7);
            assert!((3..=5).contains(&a.between(3, 5)));
            assert!((0.0..1.0).contains(&a.unit()));
            assert_ne!(*a.weighted(&[("never", 0), ("always", 1)]), "never");
            assert!(a.minutes(30.0, 0.8) > 0);
        }
    }

    #[test]
    fn the_local_namespace_is_the_bindings_id_or_else_its_name() {
        let cases = [
            ("[[kv_namespaces]]\nbinding = \"BUOY_KV\"\n", "BUOY_KV"),
            ("[[kv_namespaces]]\nbinding = \"BUOY_KV\"\nid = \"0f2ac74b\"\n\n[triggers]\n", "0f2ac74b"),
            ("[[kv_namespaces]]\nbinding = \"OTHER\"\nid = \"aaaa\"\n[[kv_namespaces]]\nbinding = \"BUOY_KV\"\n", "BUOY_KV"),
        ];
        for (config, expected) in cases {
            assert_eq!(namespace_in(config), expected, "{config}");
        }
    }

    /// `tickets` simulated on `buoy.toml`'s first agent's site, up to
    /// 30 November 2026 at noon: the calendar, the site and the store.
    fn simulated(tickets: usize) -> (BusinessCalendar, SiteId, MemoryKv) {
        let text = cmd::read(&crate::root().join("buoy.toml")).unwrap_or_else(|e| unreachable!("{e}"));
        let config = Config::from_toml(&text).unwrap_or_else(|e| unreachable!("{e}"));
        let calendars = config.business_calendars(buoy_shared::calendar::tzdb_zone).unwrap_or_else(|e| unreachable!("{e}"));
        let agent = config.agents.first().unwrap_or_else(|| unreachable!("buoy.toml names an agent"));
        let site = SiteId::parse(&agent.site).unwrap_or_else(|e| unreachable!("{e}"));
        let end = Timestamp::parse("2026-11-30T12:00:00Z").map(Timestamp::as_millis).unwrap_or_else(|e| unreachable!("{e}"));
        let kv = simulate(&config, &calendars, &site, &[agent.name.as_str()], b"test secret".to_vec(), tickets, end)
            .unwrap_or_else(|e| unreachable!("{e}"));
        (calendars.default_calendar().clone(), site, kv)
    }

    /// The seed only sends what the API accepts: a refusal here means the
    /// simulation no longer matches the handlers (or `buoy.toml`).
    #[test]
    fn a_short_seed_goes_through_the_handlers_without_a_refusal() {
        let (_, site, kv) = simulated(150);
        let entries = dump(&kv).unwrap_or_else(|e| unreachable!("{e}"));
        let c = count(&entries);
        assert!(c.tickets > 120, "{c:?}");
        assert!(c.replies > c.tickets && c.rated > 0 && c.segments > 0 && c.escalations > 0 && c.breaches > 0, "{c:?}");
        assert!(c.fixed > 0 && c.need_help > 0, "{c:?}");
        assert_eq!(seeded_ids(&entries).len() as u64, c.tickets + c.fixed + c.need_help);

        // A re-seed: the simulation's sweeps rolled hours up, but no
        // roll-up is loaded, and before loading, every key of the previous
        // seed and every roll-up of the site (which counted its tickets)
        // is deleted, so no report reads a stale roll-up.
        let key = |e: &Value| e["key"].as_str().unwrap_or_default().to_owned();
        let keys: Vec<String> = entries.iter().map(key).collect();
        let rollups: Vec<&String> = keys.iter().filter(|k| k.starts_with("r/") || k.starts_with("rw/")).collect();
        assert!(rollups.len() > 20, "the simulation's sweeps rolled its days up: {}", rollups.len());
        assert!(keys.iter().any(|k| k == "qb"), "the simulation's sweeps went through the queue's backfill");
        let loaded: Vec<String> = to_load(&entries).into_iter().map(key).collect();
        assert_eq!(loaded.len(), keys.len() - rollups.len() - 1, "everything but the roll-ups and the backfill cursor is loaded");
        assert!(loaded.iter().all(|k| !k.starts_with("r/") && !k.starts_with("rw/") && !k.starts_with("rd/") && k != "qb"));
        let ids = seeded_ids(&entries);
        let previous: std::collections::BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        // The worker's own backfill cursor is neither loaded nor cleared.
        assert!(!cleared_before_seed("qb", &previous, &site));
        // Another site's roll-ups (buoy.toml has more than the seeded one)
        // are neither loaded nor made stale by the seed.
        let others = |k: &str| matches!(Entry::of(k), Entry::Rollup(s) if s != site.as_str());
        for k in keys.iter().filter(|k| *k != "qb" && !others(k)) {
            assert!(cleared_before_seed(k, &previous, &site), "a re-seed deletes {k}");
        }
        let stale = [format!("r/{site}/2026-01-01"), format!("rd/000000000060000/{site}/2026-01-01"), format!("rw/{site}")];
        for k in &stale {
            assert!(cleared_before_seed(k, &std::collections::BTreeSet::new(), &site), "even on a first seed, {k} goes");
        }
        let other = "99999999999999999999999999999999";
        for k in
            ["r/elsewhere/2026-01-01".to_owned(), "rw/elsewhere".to_owned(), format!("t/{other}"), format!("m/{site}/2026-01-01/1/{other}")]
        {
            assert!(!cleared_before_seed(&k, &previous, &site), "{k} is not the seed's");
        }
    }
    /// Issue #18: on seed-demo's data, the hourly roll-ups its sweeps
    /// wrote give the per-ticket path's counts, and percentiles within
    /// one histogram bucket (`buoy_shared::histogram`).
    #[test]
    fn on_seed_demo_data_the_rollups_give_the_per_ticket_figures() {
        use buoy_shared::histogram::bucket;
        use buoy_shared::metrics::{self, Period};
        let (business, site, kv) = simulated(400);
        let store = TicketStore::new(&kv);
        let zone = business.zone().clone();
        let period = Period::parse("2026-11-01", "2026-11-29", zone).unwrap_or_else(|e| unreachable!("{e}"));
        let previous = period.previous();
        let days = metrics::utc_days(previous.start().as_millis(), period.end().as_millis());
        let (stored, _) =
            block_on(store.rollups(&site, &days)).unwrap_or_else(|e| unreachable!("{e}")).unwrap_or_else(|e| unreachable!("{e:?}"));
        let (hours, listed) = metrics::plan_reads(&[&period, &previous], &stored);
        assert!(hours.len() > 24 * 20, "the seed's sweeps rolled its hours up: {}", hours.len());
        let read = |days: &[i64]| {
            block_on(store.facts_of_days(&site, days)).unwrap_or_else(|e| unreachable!("{e}")).unwrap_or_else(|e| unreachable!("{e:?}"))
        };
        let (all_facts, all_fixes, _) = read(&days);
        let (facts, fixes, _) = read(&listed);
        for p in [&period, &previous] {
            let exact = metrics::report(p, &all_facts, &all_fixes);
            let rolled = metrics::report_from(p, &hours, &facts, &fixes);
            assert!(exact.tickets > 50, "{}", exact.tickets);
            assert_eq!(
                (rolled.tickets, &rolled.csat, &rolled.sla, &rolled.volume, &rolled.deflection, &rolled.escalation),
                (exact.tickets, &exact.csat, &exact.sla, &exact.volume, &exact.deflection, &exact.escalation)
            );
            assert_eq!(
                rolled.feature_requests.iter().map(|r| (&r.topic, r.count)).collect::<Vec<_>>(),
                exact.feature_requests.iter().map(|r| (&r.topic, r.count)).collect::<Vec<_>>()
            );
            for (a, b) in [(&rolled.first_response, &exact.first_response), (&rolled.resolution, &exact.resolution)] {
                assert_eq!((a.count, &a.histogram), (b.count, &b.histogram));
                for (x, y) in [
                    (a.calendar.median, b.calendar.median),
                    (a.calendar.p90, b.calendar.p90),
                    (a.business.median, b.business.median),
                    (a.business.p90, b.business.p90),
                ] {
                    assert_eq!(x.map(bucket), y.map(bucket), "{x:?} and {y:?} share a bucket");
                }
            }
        }
    }
}
