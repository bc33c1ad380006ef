//! `cargo xtask bench --search`: the console's search over seed-demo
//! tickets grown to [`TICKETS`], under workerd (wrangler dev) with a local
//! KV and D1: the rebuild that indexes them (`POST /v1/agent/search/rebuild`,
//! page after page, as `cargo xtask reindex` runs it), then searches by
//! reference, by email and by words, each timed for at most
//! [`KIND_BUDGET`] and printed as p50 / p95.
//!
//! The tickets are the seed's (its requesters and its subjects with their
//! first messages), made directly rather than simulated, written by the
//! worker's own `TicketStore` over memory, and loaded into a local KV kept
//! in `target/bench-search/` under the fingerprint of the data, with the
//! indexes the rebuild wrote: a second run reuses both.

use super::{agent_call, fingerprint, start_with_vars, with_part};
use crate::build::{self, Options};
use crate::seed::Rng;
use crate::setup::{self, Need};
use crate::{cmd, seed, serve, Result};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Tickets searched over.
const TICKETS: usize = 100_000;
/// Timed searches of one kind stop after this long.
const KIND_BUDGET: Duration = Duration::from_secs(20);
/// Most timed searches of one kind.
const SEARCHES: usize = 60;
/// A search or a rebuild page with no answer after this long fails the bench.
const TIMEOUT: Duration = Duration::from_secs(60);
/// Distinct requesters: an address has about five tickets.
const REQUESTERS: usize = TICKETS / 5;
/// Word queries, typed as an agent would (the last one half typed).
const WORD_QUERIES: &[&str] = &[
    "reset link expired",
    "invoice",
    "export stuck",
    "charged twice",
    "dashboard slow",
    "sso okta",
    "csv export fails",
    "cannot log in",
    "refund",
    "passw",
];

/// The KV entries of the tickets (their records only: the rebuild writes
/// the indexes), and the references and emails the searches ask for.
fn tickets() -> Result<(Vec<Value>, Vec<String>, Vec<String>)> {
    use buoy_shared::ids::SiteId;
    use buoy_shared::sla::SlaPolicy;
    use buoy_shared::ticket::{NewTicket, PageContext, Priority, Stamp, TicketType};
    use buoy_shared::time::Timestamp;
    use buoy_worker::store::{MemoryKv, TicketStore};

    let site = SiteId::parse("demo").map_err(|e| e.to_string())?;
    let store = TicketStore::new(MemoryKv::default());
    let policy = SlaPolicy::default();
    let mut rng = Rng::new(0x5ea2c4);
    let requesters: Vec<(String, String, &str)> = (0..REQUESTERS)
        .map(|n| {
            let (name, email, _, locale) = seed::requester(&mut rng);
            let (local, domain) = email.split_once('@').unwrap_or((&email, "example.com"));
            (name, format!("{local}.{n}@{domain}"), locale)
        })
        .collect();
    let start = Timestamp::parse("2026-01-01T00:00:00Z").map_err(|e| e.to_string())?.as_millis();
    let (mut references, mut emails) = (Vec::new(), Vec::new());
    for n in 0..TICKETS {
        let kind = rng.weighted(seed::TYPES).clone();
        let (subject, message) = seed::subject(&mut rng, &kind);
        let (name, email, locale) = &requesters[rng.below(REQUESTERS as u64) as usize];
        let input = NewTicket {
            site: site.as_str().to_owned(),
            name: name.clone(),
            email: email.clone(),
            kind: kind.as_str().into(),
            subject: subject.into(),
            message: message.into(),
            context: PageContext { locale: Some((*locale).to_owned()), ..PageContext::default() },
            ..NewTicket::default()
        };
        let stamp = Stamp {
            id: rng.id(),
            segment: *rng.weighted(seed::SEGMENTS),
            priority: Priority::Normal,
            group: None,
            tags: vec![],
            now: Timestamp::from_millis(start + n as i64 * 60_000),
            policy: &policy,
            calendar: buoy_shared::sla::DEFAULT_CALENDAR,
            offered: TicketType::BUILT_IN,
        };
        let ticket = input.into_ticket(stamp).map_err(|e| format!("a bench ticket is refused: {e:?}"))?;
        if n % (TICKETS / SEARCHES) == 0 {
            references.push(ticket.id.reference().to_string());
            emails.push(email.clone());
        }
        seed::block_on(store.insert(&ticket))?.map_err(|e| e.0)?;
    }
    Ok((seed::dump(store.kv())?, references, emails))
}

/// The `p`th percentile (0–100) of `values`, nearest rank.
fn percentile(values: &[f64], p: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v.get(rank.saturating_sub(1)).copied()
}

fn query_path(q: &str) -> String {
    let encoded: String = q
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/v1/agent/search?q={encoded}")
}

/// Runs the searches of one kind, round after round over `queries`, for
/// at most [`KIND_BUDGET`] or [`SEARCHES`] calls; every answer must be a
/// 200 of that kind, and references and emails must find their ticket.
fn timed(port: u16, token: &str, kind: &str, queries: &[String]) -> Result<Value> {
    let (mut latencies, mut found) = (Vec::new(), Vec::new());
    let started = Instant::now();
    while latencies.len() < SEARCHES && started.elapsed() < KIND_BUDGET {
        let q = &queries[latencies.len() % queries.len()];
        let (status, body, ms) = agent_call(port, "GET", &query_path(q), token, TIMEOUT)?;
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if status != 200 || answer["query"] != kind {
            return Err(format!("search {q:?} answered {status}: {answer}"));
        }
        let count = answer["tickets"].as_array().map_or(0, Vec::len);
        if kind != "words" && count == 0 {
            return Err(format!("search {q:?} found nothing"));
        }
        latencies.push(ms);
        found.push(count as f64);
    }
    Ok(json!({
        "searches": latencies.len(),
        "p50_ms": percentile(&latencies, 50.0),
        "p95_ms": percentile(&latencies, 95.0),
        "max_ms": percentile(&latencies, 100.0),
        "median_results": percentile(&found, 50.0),
    }))
}

/// Measures, prints and keeps the figures in `target/bench/results.json`.
///
/// # Errors
/// When a build, the worker or a search fails.
pub fn search_only() -> Result {
    let started = Instant::now();
    setup::ensure(Need::Build)?;
    let built = build::all(&Options::test())?;
    let (entries, references, emails) = tickets()?;
    let text = serde_json::to_string(&entries).map_err(|e| e.to_string())?;
    drop(entries);
    let data = fingerprint(text.as_bytes());
    let kept = crate::root().join(format!("target/bench-search/{TICKETS}-{data:016x}"));
    if !kept.join("loaded").exists() {
        let _ = std::fs::remove_dir_all(crate::root().join("target/bench-search"));
        seed::load_local_kv(&kept.join("state"), &kept, &text, None)?;
        std::fs::remove_file(kept.join("kv-bulk.json")).map_err(|e| e.to_string())?;
        cmd::write(&kept.join("loaded"), format!("{TICKETS} tickets\n"))?;
    }
    drop(text);
    let dir = crate::root().join("target/bench/search");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let config = serve::wrangler_config(&dir, &built.worker_main, &built.site, built.needs)?;
    let token = cmd::random_hex(32)?;
    // The email index is keyed with the secret: the same one every run,
    // so the kept indexes stay valid.
    // Second agent is an admin of the demo site: the rebuild is admins'.
    let vars = vec![("BUOY_SECOND_AGENT_TOKEN".to_owned(), token.clone()), ("BUOY_SECRET".to_owned(), format!("bench-search-{data:016x}"))];
    let (wrangler, _) = start_with_vars(&config, &kept.join("state"), &dir, vars, false)?;
    let rebuild = if kept.join("indexed").exists() {
        eprintln!("bench: the indexes of {TICKETS} tickets were built before ({})", kept.display());
        Value::Null
    } else {
        let (mut cursor, mut pages, mut indexed, mut page_ms) = (None::<String>, 0u64, 0u64, Vec::new());
        let rebuilding = Instant::now();
        loop {
            let path = match &cursor {
                Some(c) => format!("/v1/agent/search/rebuild?cursor={}", query_path(c).trim_start_matches("/v1/agent/search?q=")),
                None => "/v1/agent/search/rebuild".to_owned(),
            };
            let (status, body, ms) = agent_call(wrangler.port, "POST", &path, &token, TIMEOUT)?;
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if status != 200 {
                return Err(format!("rebuild answered {status}: {answer}"));
            }
            pages += 1;
            indexed += answer["indexed"].as_u64().unwrap_or(0);
            page_ms.push(ms);
            cursor = answer["cursor"].as_str().map(str::to_owned);
            if pages % 50 == 0 {
                eprintln!("bench: rebuild: {indexed} tickets indexed");
            }
            if cursor.is_none() {
                break;
            }
        }
        cmd::write(&kept.join("indexed"), format!("{indexed} tickets\n"))?;
        json!({ "pages": pages, "indexed": indexed, "seconds": rebuilding.elapsed().as_secs_f64(), "page_p50_ms": percentile(&page_ms, 50.0) })
    };
    let words: Vec<String> = WORD_QUERIES.iter().map(|q| (*q).to_owned()).collect();
    // One untimed search first: the isolate starts and creates nothing.
    agent_call(wrangler.port, "GET", &query_path("invoice"), &token, TIMEOUT)?;
    let figures = json!({
        "tickets": TICKETS,
        "rebuild": rebuild,
        "reference": timed(wrangler.port, &token, "reference", &references)?,
        "email": timed(wrangler.port, &token, "email", &emails)?,
        "words": timed(wrangler.port, &token, "words", &words)?,
    });
    drop(wrangler);
    with_part("search", figures.clone())?;
    print(&figures);
    println!("\nwritten to target/bench/results.json in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn print(r: &Value) {
    let ms = |v: &Value| v.as_f64().map_or_else(|| "-".to_owned(), |x| format!("{x:.1} ms"));
    println!("\nSearch over {} tickets (GET /v1/agent/search, wrangler dev, local KV and D1; budget 500 ms)", r["tickets"]);
    if let Some(seconds) = r["rebuild"]["seconds"].as_f64() {
        println!(
            "  rebuild     {} tickets in {} pages, {seconds:.0} s (a page: {} p50)",
            r["rebuild"]["indexed"],
            r["rebuild"]["pages"],
            ms(&r["rebuild"]["page_p50_ms"])
        );
    }
    for kind in ["reference", "email", "words"] {
        let k = &r[kind];
        println!(
            "  {kind:<10}  p50 {:>9}  p95 {:>9}  max {:>9}  ({} searches, median {} results)",
            ms(&k["p50_ms"]),
            ms(&k["p95_ms"]),
            ms(&k["max_ms"]),
            k["searches"],
            k["median_results"]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(10.0));
        assert_eq!(percentile(&v, 95.0), Some(19.0));
        assert_eq!(percentile(&v, 100.0), Some(20.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(query_path("a b@c"), "/v1/agent/search?q=a%20b%40c");
    }
}
