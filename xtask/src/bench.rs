//! `cargo xtask bench`: figures, not verdicts. Builds release artifacts,
//! measures everything on 127.0.0.1, prints one table and writes
//! `target/bench/results.json`. Nothing here fails on a slow figure.

use crate::build::{self, weigh, Options, Weight};
use crate::cmd::{self, command, node_bin};
use crate::seed::{self, Rng};
use crate::serve::{self, DemoServer, Wrangler, WranglerOptions};
use crate::setup::{self, Need};
use crate::Result;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The start of the README's block of figures, which `cargo xtask bench`
/// rewrites (and `tidy` keeps apart: its cells are measurements).
pub const BENCH_BEGIN: &str = "<!-- bench:begin -->";
/// The end of that block.
pub const BENCH_END: &str = "<!-- bench:end -->";

/// How long the pointer rests on a launcher before it clicks, in the
/// browser figures (the loader preloads the panel on that intent).
const HOVER_MS: u32 = 300;
/// Runs per figure in the browser.
pub const RUNS: usize = 10;
/// Seconds of load per worker endpoint.
const LOAD_SECONDS: u32 = 8;
/// The server's core and the load generator's core.
const SERVER_CORE: u16 = 1;
const LOAD_CORE: u16 = 0;

mod search;
pub use search::search_only;

/// Tickets in each size the metrics call is measured over.
const METRICS_SIZES: [usize; 2] = [10_000, 100_000];
/// The 90 days those tickets are spread over, and the period asked for
/// (the report also reads the 90 days before, for comparison). A fixed
/// period makes the data the same every run, so a loaded KV is kept.
const METRICS_PERIOD: (&str, &str) = ("2026-01-01", "2026-04-01");
/// One guided fix for this many tickets (about the demo seed's share).
const TICKETS_PER_FIX: usize = 5;
/// Timed metrics calls of one size stop after this long, even short of [`RUNS`].
const METRICS_BUDGET: Duration = Duration::from_secs(45);
/// A metrics call with no answer after this long counts as hung.
const METRICS_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the bench waits for one sweep run: the first rolls up every
/// day of the loaded tickets, listing all their facts, on a shared machine.
const SWEEP_TIMEOUT: Duration = Duration::from_secs(300);
/// The pause between metrics calls. Back to back, about one 90-day call
/// over 100,000 tickets in seven got no answer at all under wrangler dev
/// (and the next took twice as long); with a pause, none did.
const METRICS_PAUSE: Duration = Duration::from_millis(300);

/// Vendor figures that cannot be measured offline: shown apart, labelled
/// as published, never as measured.
const PUBLISHED: &[(&str, &str, &str)] = &[
    (
        "Zendesk messaging",
        "613 KB JS on first open; 2,157 ms main thread per page",
        "figures cited in issue #3: vendor widget download; HTTP Archive average",
    ),
    (
        "Intercom",
        "344 KB JS on first open; 1,433 ms main thread per page",
        "figures cited in issue #3: vendor widget download; HTTP Archive average",
    ),
    ("Chatwoot", "170 KB JS on first open", "figure cited in issue #3: widget download"),
    ("Help Scout", "427 ms main thread per page", "figure cited in issue #3: HTTP Archive average"),
    ("Crisp", "33 ms main thread per page", "figure cited in issue #3: HTTP Archive average"),
];

fn stats(values: &[f64]) -> Value {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return Value::Null;
    }
    v.sort_by(f64::total_cmp);
    let median = if v.len() % 2 == 1 { v[v.len() / 2] } else { (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0 };
    json!({ "median": median, "min": v[0], "max": v[v.len() - 1], "runs": v.len() })
}

fn fmt_ms(s: &Value) -> String {
    match (s["median"].as_f64(), s["min"].as_f64(), s["max"].as_f64()) {
        (Some(m), Some(lo), Some(hi)) => format!("{m:.1} ms [{lo:.1}–{hi:.1}]"),
        _ => "n/a".into(),
    }
}

fn ratio(a: &Value, b: &Value) -> String {
    match (a["median"].as_f64(), b["median"].as_f64()) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => format!("{:.2}×", a / b),
        _ => "—".into(),
    }
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

/// Copies the bench host page and bundles the peers into `dist/bench`.
fn bench_site() -> Result<PathBuf> {
    let root = crate::root();
    let out = root.join("dist/bench");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    cmd::write(&out.join("index.html"), cmd::read(&root.join("xtask/bench/host.html"))?)?;
    cmd::write(&out.join("demo.css"), cmd::read(&root.join("www/demo/demo.css"))?)?;
    for peer in ["react-chat-widget", "docsearch", "plain-launcher"] {
        let entry = root.join(format!("xtask/bench/peers/{peer}.js"));
        cmd::run(&mut node_bin(
            "esbuild",
            &[
                &entry.to_string_lossy(),
                "--bundle",
                "--minify",
                "--format=iife",
                "--target=es2019",
                "--legal-comments=none",
                "--define:process.env.NODE_ENV=\"production\"",
                &format!("--outdir={}", out.join("peers").display()),
            ],
        ))?;
    }
    Ok(out)
}

/// Runs a browser harness of `xtask/bench` with its plan and reads the
/// JSON it prints (its progress goes to the terminal).
fn harness(file: &str, plan: &Value) -> Result<Value> {
    let script = crate::root().join("xtask/bench").join(file);
    let out = command("node", &[&script.to_string_lossy(), &plan.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(format!("the benchmark {file} failed"));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("the benchmark {file} printed no JSON: {e}"))
}

/// Writes the 1,000 generated articles of `search::bench_corpus` as
/// Markdown, so the bench builds them like any knowledge base.
fn bench_kb(dir: &Path) -> Result<PathBuf> {
    let out = dir.join("kb-1000");
    for doc in buoy_shared::search::bench_corpus(1000) {
        let mut text = format!("---\nid: {}\ntitle: {}\n", doc.id, doc.title);
        let mut tags: Vec<&str> = Vec::new();
        for tag in &doc.tags {
            if !tags.contains(&tag.as_str()) && tags.len() < 5 {
                tags.push(tag);
            }
        }
        if !tags.is_empty() {
            text.push_str(&format!("tags: [{}]\n", tags.join(", ")));
        }
        text.push_str("---\n");
        text.push_str(&doc.text);
        text.push('\n');
        cmd::write(&out.join(buoy_shared::kb::DEFAULT_LOCALE).join(format!("{}.md", doc.id)), text)?;
    }
    Ok(out)
}

/// Per-keystroke search over 1,000 articles, in the real panel.
fn search_speed(built: &build::Built, dir: &Path, host: &str) -> Result<Value> {
    let options = Options { site_out: "dist/bench-site", kb_dirs: vec![bench_kb(dir)?], ..Options::test() };
    let site = build::site(&options)?;
    let index = std::fs::read_dir(site.join("kb").join(buoy_shared::kb::DEFAULT_LOCALE))
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("index.")))
        .ok_or("no index in the bench site")?;
    let token = cmd::random_hex(32)?;
    let config = serve::wrangler_config(&dir.join("search-worker"), &built.worker_main, &site, built.needs)?;
    let (wrangler, _) = start_worker(&config, &dir.join("search-worker"), &token)?;
    let worker = wrangler.url();
    let plan = json!({
        "chromium": "/usr/bin/chromium",
        "host": host,
        "runs": 3,
        "rates": [1, 4],
        "queries": ["export invoices as csv", "pasword reset link", "webhok signature"],
        "widget": { "script": format!("{worker}/buoy.js"), "attrs": { "data-site": "demo" },
                    "launcher": "document.body.lastElementChild && document.body.lastElementChild.shadowRoot" },
    });
    let runs = harness("search.mjs", &plan);
    drop(wrangler);
    let runs = runs?;
    let mut figures = json!({ "articles": 1000, "index": weight_json(weigh(&[index])?) });
    for entry in runs.as_array().into_iter().flatten() {
        let durations: Vec<f64> = entry["durations"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
        figures[format!("cpu{}x", entry["rate"])] = stats(&durations);
    }
    Ok(figures)
}

/// The gzip size wrangler reports for a worker (`deploy --dry-run`).
fn bundle_gzip_kib(config: &Path, outdir: &Path) -> Result<f64> {
    let out = command(
        &crate::root().join("node_modules/.bin/wrangler").to_string_lossy(),
        &["deploy", "--dry-run", "--config", &config.to_string_lossy(), "--outdir", &outdir.to_string_lossy()],
    )
    .output()
    .map_err(|e| format!("wrangler deploy --dry-run: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.split("gzip:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no gzip size in wrangler's output:\n{text}"))
}

/// One worker under wrangler dev, pinned to the server core, with a fresh KV.
fn start_worker(config: &Path, dir: &Path, token: &str) -> Result<(Wrangler, Duration)> {
    start_worker_on(config, &dir.join("state"), dir, token, false)
}

/// One worker under wrangler dev, pinned to the server core, with the
/// local KV persisted under `persist_to`; its log in `dir`.
fn start_worker_on(config: &Path, persist_to: &Path, dir: &Path, token: &str, test_scheduled: bool) -> Result<(Wrangler, Duration)> {
    let vars = vec![
        ("BUOY_AGENT_TOKEN".into(), token.into()),
        ("BUOY_SECRET".into(), cmd::random_hex(32)?),
        // The soak follows the wasm memory there.
        (buoy_worker::DEV_STATS_VAR.into(), "1".into()),
    ];
    start_with_vars(config, persist_to, dir, vars, test_scheduled)
}

/// One worker under wrangler dev, pinned to the server core, with these
/// variables and the local KV persisted under `persist_to`; its log in
/// `dir`; with `test_scheduled`, its scheduled handler at `/__scheduled`.
fn start_with_vars(
    config: &Path,
    persist_to: &Path,
    dir: &Path,
    vars: Vec<(String, String)>,
    test_scheduled: bool,
) -> Result<(Wrangler, Duration)> {
    start_pinned(config, persist_to, dir, vars, test_scheduled, Some(SERVER_CORE))
}

/// [`start_with_vars`], pinned to `core` (or to none).
fn start_pinned(
    config: &Path,
    persist_to: &Path,
    dir: &Path,
    vars: Vec<(String, String)>,
    test_scheduled: bool,
    core: Option<u16>,
) -> Result<(Wrangler, Duration)> {
    let started = Instant::now();
    let mut wrangler = Wrangler::start(&WranglerOptions {
        config,
        port: serve::free_port()?,
        persist_to,
        vars,
        env_file: None,
        log: Some(&dir.join("wrangler.log")),
        test_scheduled,
        pin_cpu: core,
        own_group: true,
    })?;
    wrangler.wait_ready(Duration::from_secs(60))?;
    Ok((wrangler, started.elapsed()))
}

/// Parses wrk's `--latency` report.
fn parse_wrk(text: &str) -> Value {
    let ms = |value: &str| -> Option<f64> {
        let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic())?);
        let n: f64 = number.parse().ok()?;
        Some(match unit {
            "us" => n / 1000.0,
            "ms" => n,
            "s" => n * 1000.0,
            "m" => n * 60_000.0,
            _ => return None,
        })
    };
    let mut out = json!({});
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["50%", v] => out["p50_ms"] = json!(ms(v)),
            ["99%", v] => out["p99_ms"] = json!(ms(v)),
            ["Requests/sec:", v] => out["rps"] = json!(v.parse::<f64>().ok()),
            ["Non-2xx", "or", "3xx", "responses:", n] => out["non_2xx"] = json!(n.parse::<u64>().ok()),
            [n, "requests", "in", ..] => out["requests"] = json!(n.parse::<u64>().ok()),
            _ => {}
        }
    }
    if out.get("non_2xx").is_none() {
        out["non_2xx"] = json!(0);
    }
    out
}

fn load(url: &str, extra: &[&str], server: u32) -> Result<Value> {
    let run = |seconds: u32| -> Result<String> {
        let duration = format!("{seconds}s");
        let core = LOAD_CORE.to_string();
        let mut args = vec!["-c", &core, "wrk", "-t1", "-c16", "-d", &duration, "--latency"];
        args.extend_from_slice(extra);
        args.push(url);
        let out = command("taskset", &args).output().map_err(|e| format!("wrk: {e}"))?;
        if !out.status.success() {
            return Err(format!("wrk failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    // Warm first, unmeasured, the same for both workers: the runtime
    // compiles hot JavaScript and wasm functions again, optimized, as
    // they run.
    run(WARM_UP_SECONDS)?;
    let before = cpu_ticks_under(server);
    let mut figures = parse_wrk(&run(LOAD_SECONDS)?);
    let spent = cpu_ticks_under(server).saturating_sub(before);
    if let Some(requests) = figures["requests"].as_u64().filter(|n| *n > 0) {
        figures["server_cpu_ms"] = json!(spent as f64 * 1000.0 / clock_ticks_per_second() / requests as f64);
    }
    Ok(figures)
}

/// Seconds of unmeasured load before each measured one.
const WARM_UP_SECONDS: u32 = 2;

/// The kernel's clock ticks per second, in which `/proc` counts CPU time.
fn clock_ticks_per_second() -> f64 {
    cmd::probe("getconf", &["CLK_TCK"]).and_then(|t| t.trim().parse().ok()).unwrap_or(100.0)
}

/// The CPU time (user and system, in clock ticks) spent so far by `root`
/// and every process under it: wrangler, its proxy's workerd, and the
/// workerd that runs the worker and the local KV simulator.
fn cpu_ticks_under(root: u32) -> u64 {
    let all = processes_by_pid();
    all.values().filter(|p| p.pid == root || descends(&all, p.pid, root)).map(|p| p.ticks).sum()
}

/// A `GET` with the agent's token: status, body, and milliseconds from
/// connect to the body's last byte.
fn agent_get(port: u16, path: &str, token: &str) -> Result<(u16, Vec<u8>, f64)> {
    agent_get_within(port, path, token, METRICS_TIMEOUT)
}

/// [`agent_get`], waiting up to `timeout` for the answer.
fn agent_get_within(port: u16, path: &str, token: &str, timeout: Duration) -> Result<(u16, Vec<u8>, f64)> {
    agent_call(port, "GET", path, token, timeout)
}

/// An agent's bodiless `method` request, waiting up to `timeout` for the answer.
fn agent_call(port: u16, method: &str, path: &str, token: &str, timeout: Duration) -> Result<(u16, Vec<u8>, f64)> {
    use std::io::{Read, Write};
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    // Read up to the end of the body its length announces: the proxy in
    // front of workerd keeps the connection open for seconds after it.
    let (mut raw, mut chunk) = (Vec::new(), [0u8; 65536]);
    let mut expected: Option<usize> = None;
    loop {
        if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            if head.contains("transfer-encoding: chunked") {
                return Err(format!("GET {path}: a chunked answer, which this client does not read"));
            }
            let length = head.lines().find_map(|l| l.strip_prefix("content-length:")?.trim().parse::<usize>().ok());
            expected = length.map(|n| split + 4 + n);
        }
        if expected.is_some_and(|n| raw.len() >= n) {
            break;
        }
        let n = stream.read(&mut chunk).map_err(|e| format!("GET {path}: {e}"))?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| format!("GET {path}: no HTTP answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("GET {path}: no status"))?;
    Ok((status, raw[split + 4..].to_vec(), ms))
}

/// The KV entries of `tickets` tickets received from `start` up to `end`
/// (ms) on site `demo`, and one guided fix per [`TICKETS_PER_FIX`]:
/// plausible facts made directly (not by simulating each ticket), written
/// by the worker's own `TicketStore` over memory, so the keys are exactly
/// the worker's.
fn metrics_entries(tickets: usize, start: i64, end: i64) -> Result<Vec<Value>> {
    use buoy_shared::deflection::{Deflection, Outcome};
    use buoy_shared::ids::SiteId;
    use buoy_shared::metrics::{AgentKey, Credits, Facts};
    use buoy_shared::sla::{Metric, SlaPolicy};
    use buoy_shared::ticket::{NewTicket, Priority, Stamp, TicketType};
    use buoy_shared::time::Timestamp;
    use buoy_worker::store::{MemoryKv, TicketStore};

    let site = SiteId::parse("demo").map_err(|e| e.to_string())?;
    let store = TicketStore::new(MemoryKv::default());
    let policy = SlaPolicy::default();
    let mut rng = Rng::new(tickets as u64);
    let span = (end - start).max(1) as u64;
    let requests = [("Dark mode", 5), ("Export to CSV", 4), ("SSO with Okta", 3), ("Slack integration", 2), ("A mobile app", 1)];
    for _ in 0..tickets {
        let created = Timestamp::from_millis(start + rng.below(span) as i64);
        let (segment, kind) = (*rng.weighted(seed::SEGMENTS), rng.weighted(seed::TYPES).clone());
        let subject = if kind == TicketType::FEATURE_REQUEST { *rng.weighted(&requests) } else { "Chart shows wrong totals" };
        let input = NewTicket {
            site: site.as_str().to_owned(),
            email: "bench@example.com".into(),
            kind: kind.as_str().into(),
            subject: subject.into(),
            message: "m".into(),
            ..NewTicket::default()
        };
        let stamp = Stamp {
            id: rng.id(),
            segment,
            priority: Priority::Normal,
            group: None,
            tags: vec![],
            now: created,
            policy: &policy,
            calendar: buoy_shared::sla::DEFAULT_CALENDAR,
            offered: TicketType::BUILT_IN,
        };
        let ticket = input.into_ticket(stamp).map_err(|e| format!("a bench ticket is refused: {e:?}"))?;
        let replied = rng.chance(0.96);
        let first = rng.minutes(180.0, 1.2) / 1000;
        let solved = replied && rng.chance(0.92);
        let resolved = first + rng.minutes(1200.0, 1.1) / 1000;
        let mut targets = vec![];
        if replied {
            targets.push((Metric::FirstResponse, rng.chance(0.88)));
        }
        if solved {
            targets.push((Metric::Resolution, rng.chance(0.94)));
        }
        // Six agents share the replies and solves; a third of the tickets
        // each in two groups, the rest in none.
        let agent = |i: u64| AgentKey::of(["Ana", "Ben", "Chloé", "Dev", "Eli", "Fay"][i as usize % 6]);
        let first_by = replied.then(|| agent(rng.below(6)));
        let solved_by = solved.then(|| agent(rng.below(6)));
        let mut handlers: Vec<(AgentKey, u32)> = first_by.map(|k| (k, 1)).into_iter().collect();
        handlers.extend(solved_by.filter(|k| Some(*k) != first_by).map(|k| (k, 0)));
        let group = [None, Some("billing"), Some("vip")][rng.below(3) as usize].map(str::to_owned);
        let facts = Facts {
            created: created.as_millis(),
            segment,
            channel: ticket.channel,
            first_response: replied.then_some([first, first * 6 / 10]),
            resolution: solved.then_some([resolved, resolved * 4 / 10]),
            replies: if replied { 1 + rng.below(3) as u32 } else { 0 },
            escalated: rng.chance(0.15),
            targets,
            csat: (solved && rng.chance(0.15)).then(|| rng.chance(0.9)),
            subject: (kind == TicketType::FEATURE_REQUEST).then(|| subject.to_owned()),
            kind,
            attachments: false,
            fields: Vec::new(),
            by: Credits { first_by, solved_by, handlers, group },
            linked: 0,
        };
        seed::block_on(store.put_facts(&ticket, &facts, created))?.map_err(|e| e.0)?;
    }
    for _ in 0..tickets / TICKETS_PER_FIX {
        let at = Timestamp::from_millis(start + rng.below(span) as i64);
        let outcome = if rng.chance(0.55) { Outcome::Fixed } else { Outcome::NeedHelp };
        let fix = Deflection { site: site.clone(), kind: TicketType::PASSWORD_RESET, outcome, at };
        seed::block_on(store.record_deflection(&fix, &rng.id()))?.map_err(|e| e.0)?;
    }
    seed::dump(store.kv())
}

/// FNV-1a: a stable fingerprint of the generated data, naming its KV.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The metrics call (`GET /v1/agent/metrics`, 90 days, UTC) over 10,000
/// and 100,000 tickets: each size in a local KV of its own under wrangler
/// dev, one warm-up call, then up to [`RUNS`] timed calls (within
/// [`METRICS_BUDGET`]), and the KV operations the answer says it spent.
///
/// Loading 120,000 keys into a local KV takes about two minutes (more
/// with `wrangler kv bulk put`), and the data is the same every run (a
/// fixed period, a seeded generator), so each loaded KV is kept in
/// `target/bench-kv/` under the fingerprint of its data and used again
/// while the data stays the same. The calls only read.
fn metrics(built: &build::Built, dir: &Path) -> Result<Value> {
    use buoy_shared::time::Timestamp;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let (from_day, to_day) = METRICS_PERIOD;
    let midnight = |day: &str| Timestamp::parse(&format!("{day}T00:00:00Z")).map(Timestamp::as_millis).map_err(|e| format!("{day}: {e}"));
    let (from, to) = (midnight(from_day)?, midnight(to_day)?);
    let days = (to - from) / 86_400_000;
    let path = format!("/v1/agent/metrics?from={from_day}&to={to_day}&tz=UTC");
    let token = cmd::random_hex(32)?;
    let kept = crate::root().join("target/bench-kv");
    let mut sizes = Vec::new();
    for tickets in METRICS_SIZES {
        let size_dir = dir.join(format!("{tickets}"));
        let loading = Instant::now();
        let entries = metrics_entries(tickets, from, to)?;
        let keys = entries.len();
        let text = serde_json::to_string(&entries).map_err(|e| e.to_string())?;
        drop(entries);
        let state = kept.join(format!("{tickets}-{:016x}", fingerprint(text.as_bytes())));
        let reused = state.join("loaded").exists();
        if !reused {
            // Another fingerprint of this size is data of an older generator.
            for old in std::fs::read_dir(&kept).into_iter().flatten().flatten() {
                if old.file_name().to_string_lossy().starts_with(&format!("{tickets}-")) {
                    std::fs::remove_dir_all(old.path()).map_err(|e| format!("{}: {e}", old.path().display()))?;
                }
            }
            seed::load_local_kv(&state.join("state"), &state, &text, None)?;
            std::fs::remove_file(state.join("kv-bulk.json")).map_err(|e| e.to_string())?;
            cmd::write(&state.join("loaded"), format!("{keys} keys\n"))?;
        }
        drop(text);
        let load_seconds = loading.elapsed().as_secs_f64();
        if reused {
            eprintln!("bench: {keys} keys for {tickets} tickets: the local KV loaded before ({})", state.display());
        } else {
            eprintln!("bench: {keys} keys for {tickets} tickets generated and loaded into a local KV in {load_seconds:.0} s");
        }
        // A copy for this run: the sweep writes roll-ups into it, and the
        // kept KV stays as loaded (facts only) for the next run.
        let run_state = size_dir.join("state");
        std::fs::create_dir_all(&size_dir).map_err(|e| e.to_string())?;
        let copied = command("cp", &["-a", &state.join("state").to_string_lossy(), &run_state.to_string_lossy()]).status();
        if !copied.is_ok_and(|s| s.success()) {
            return Err(format!("could not copy {} for this run", state.display()));
        }
        let config = serve::wrangler_config(&size_dir, &built.worker_main, &built.site, built.needs)?;
        let (wrangler, _) = start_worker_on(&config, &run_state, &size_dir, &token, true)?;
        let timed_calls = |what: &str| -> Result<(Value, f64, Vec<f64>, u32)> {
            let (status, body, warm_up) = agent_get(wrangler.port, &path, &token).or_else(|e| {
                eprintln!("bench: {e}; once more");
                agent_get(wrangler.port, &path, &token)
            })?;
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if status != 200 {
                return Err(format!("GET {path} answered {status}: {answer}"));
            }
            let (mut latencies, mut hung) = (Vec::new(), 0);
            let timed = Instant::now();
            while latencies.len() < RUNS && (latencies.is_empty() || timed.elapsed() < METRICS_BUDGET) && hung < 3 {
                std::thread::sleep(METRICS_PAUSE);
                match agent_get(wrangler.port, &path, &token) {
                    Ok((200, _, ms)) => latencies.push(ms),
                    Ok((status, ..)) => return Err(format!("GET {path} answered {status}")),
                    Err(e) => {
                        eprintln!("bench: {e}");
                        hung += 1;
                    }
                }
            }
            eprintln!("bench: metrics over {tickets} tickets from {what} measured");
            Ok((answer, warm_up, latencies, hung))
        };
        // The per-ticket path first (no roll-ups yet), then the worker's
        // own sweep rolls the hours up, run after run until it has no day
        // left, and the same call is measured again.
        let (facts_answer, _, facts_latencies, facts_hung) = timed_calls("per-ticket facts")?;
        let mut sweeps = 0;
        for _ in 0..20 {
            let (status, body, _) = agent_get_within(wrangler.port, "/__scheduled?cron=*+*+*+*+*", &token, SWEEP_TIMEOUT)?;
            if status != 200 {
                return Err(format!("/__scheduled answered {status}: {}", String::from_utf8_lossy(&body)));
            }
            sweeps += 1;
            let (_, body, _) = agent_get(wrangler.port, &path, &token).or_else(|e| {
                eprintln!("bench: {e} (after a sweep); once more");
                agent_get_within(wrangler.port, &path, &token, SWEEP_TIMEOUT)
            })?;
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            if answer["rolled_hours"].as_u64().is_some_and(|h| h >= (days as u64) * 24) {
                break;
            }
        }
        let (answer, warm_up, latencies, hung) = timed_calls("hourly roll-ups")?;
        drop(wrangler);
        eprintln!("bench: metrics over {tickets} tickets measured");
        sizes.push(json!({
            "tickets": tickets,
            "guided_fixes": tickets / TICKETS_PER_FIX,
            "kv_keys": keys,
            "tickets_reported": answer["tickets"],
            "kv_operations": answer["kv_operations"],
            "rolled_hours": answer["rolled_hours"],
            "listed_days": answer["listed_days"],
            "sweeps": sweeps,
            "facts_only": { "latency_ms": stats(&facts_latencies), "hung": facts_hung, "kv_operations": facts_answer["kv_operations"], "tickets_reported": facts_answer["tickets"] },
            "warm_up_ms": warm_up,
            "latency_ms": stats(&latencies),
            "hung": hung,
            "load_seconds": load_seconds,
            "kv_reused": reused,
        }));
    }
    Ok(json!({ "days": days, "from": from_day, "to": to_day, "request": path, "sizes": sizes }))
}

/// The size of the upload the attachment figures are measured with: the
/// default per-file cap, 10 MB.
const UPLOAD_BYTES: usize = 10_000_000;
/// Uploads timed for the throughput figure.
const UPLOAD_RUNS: usize = 5;

/// The PIDs of `workerd` processes under `root` (wrangler's children).
fn workerd_under(root: u32) -> Vec<u32> {
    let all = processes_by_pid();
    all.values().filter(|p| p.comm.starts_with("workerd") && descends(&all, p.pid, root)).map(|p| p.pid).collect()
}

/// One process as `/proc/{pid}/stat` shows it.
#[derive(Debug, Clone)]
struct Process {
    pid: u32,
    ppid: u32,
    comm: String,
    /// User and system CPU time, in clock ticks.
    ticks: u64,
}

/// Every process `/proc` lists.
fn processes() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid … utime stime …`: the name may hold spaces, so split at its last `)`.
            let (head, tail) = stat.rsplit_once(')')?;
            let fields: Vec<&str> = tail.split_whitespace().collect();
            let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
            Some(Process {
                pid,
                ppid: u32::try_from(number(1)).unwrap_or(0),
                comm: head.split_once('(').map_or("", |(_, c)| c).to_owned(),
                ticks: number(11) + number(12),
            })
        })
        .collect()
}

fn processes_by_pid() -> std::collections::HashMap<u32, Process> {
    processes().into_iter().map(|p| (p.pid, p)).collect()
}

/// Whether `pid` is a descendant of `root`.
fn descends(all: &std::collections::HashMap<u32, Process>, mut pid: u32, root: u32) -> bool {
    for _ in 0..16 {
        match all.get(&pid).map(|p| p.ppid) {
            Some(p) if p == root => return true,
            Some(p) if p > 1 => pid = p,
            _ => return false,
        }
    }
    false
}

/// The resident memory of `pids` together, in KiB.
fn rss_kib(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|status| {
            status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .sum()
}

/// One upload of `body` as `name` to the worker on `port`: its status and
/// the milliseconds from connecting to the answer's first line.
fn upload_once(port: u16, body: &[u8], name: &str) -> Result<(u16, f64)> {
    use std::io::{Read, Write};
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST /v1/uploads?site=demo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nBuoy-File-Name: {name}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    stream.write_all(body).map_err(|e| format!("upload: {e}"))?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).map_err(|e| format!("upload answer: {e}"))?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let line = String::from_utf8_lossy(&head[..n]).into_owned();
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("upload: no HTTP answer ({line:?})"))?;
    Ok((status, ms))
}

/// Attachments: a 10 MB upload's throughput on loopback (through
/// wrangler's proxy into workerd and its local R2), and workerd's resident
/// memory while it streams, sampled from /proc, beside its memory idle:
/// a worker that buffered the file would grow by its size at least.
fn uploads(built: &build::Built, dir: &Path) -> Result<Value> {
    if !built.needs.files {
        return Err("the test buoy.toml has no site with attachments".into());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let token = cmd::random_hex(32)?;
    let (wrangler, _) = start_worker(&serve::wrangler_config(dir, &built.worker_main, &built.site, built.needs)?, dir, &token)?;
    let port = wrangler.port;
    // A ZIP by its magic number, then bytes that vary (nothing compresses them away).
    let mut body = b"PK\x03\x04".to_vec();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while body.len() < UPLOAD_BYTES {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        body.extend_from_slice(&x.to_le_bytes());
    }
    body.truncate(UPLOAD_BYTES);
    // One small upload first, so the worker's instance is up when measured.
    let (status, _) = upload_once(port, b"warm up\n", "warm.txt")?;
    if status != 201 {
        return Err(format!("a small upload answered {status}"));
    }
    let pids = workerd_under(wrangler.pid());
    let idle_kib = rss_kib(&pids);
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(idle_kib));
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling, pids) = (peak.clone(), sampling.clone(), pids.clone());
        std::thread::spawn(move || {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak.fetch_max(rss_kib(&pids), std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let mut times = Vec::new();
    let mut first_kib = idle_kib;
    for run in 0..UPLOAD_RUNS {
        let (status, ms) = upload_once(port, &body, &format!("run{run}.zip"))?;
        if status != 201 {
            sampling.store(false, std::sync::atomic::Ordering::Relaxed);
            return Err(format!("a 10 MB upload answered {status}"));
        }
        if run == 0 {
            // The first upload alone, before the garbage of later ones piles up.
            first_kib = peak.load(std::sync::atomic::Ordering::Relaxed);
        }
        times.push(ms);
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = sampler.join();
    drop(wrangler);
    let megabytes = UPLOAD_BYTES as f64 / 1_000_000.0;
    let rates: Vec<f64> = times.iter().map(|ms| megabytes / (ms / 1000.0)).collect();
    let peak_kib = peak.load(std::sync::atomic::Ordering::Relaxed);
    Ok(json!({
        "bytes": UPLOAD_BYTES,
        "upload_ms": stats(&times),
        "mb_per_s": stats(&rates),
        "workerd_processes": pids.len(),
        "rss_idle_kib": idle_kib,
        "rss_peak_kib": peak_kib,
        "rss_growth_kib": peak_kib.saturating_sub(idle_kib),
        "rss_first_upload_growth_kib": first_kib.saturating_sub(idle_kib),
    }))
}

fn print_uploads(r: &Value) {
    let u = &r["uploads"];
    println!(
        "\nattachments: a {} MB upload on loopback (wrangler dev → workerd → local R2), {UPLOAD_RUNS} runs",
        u["bytes"].as_u64().unwrap_or(0) / 1_000_000
    );
    println!("  time: {}", fmt_ms(&u["upload_ms"]));
    println!("  throughput: median {:.1} MB/s", u["mb_per_s"]["median"].as_f64().unwrap_or(0.0));
    println!(
        "  workerd resident memory ({} processes, local R2 included): {} KiB idle; +{} KiB during the first upload, {} KiB at the peak over all {UPLOAD_RUNS} (+{} KiB; the file is {} KiB)",
        u["workerd_processes"],
        u["rss_idle_kib"],
        u["rss_first_upload_growth_kib"],
        u["rss_peak_kib"],
        u["rss_growth_kib"],
        u["bytes"].as_u64().unwrap_or(0) / 1024
    );
}

/// Runs `cargo xtask bench --uploads`: only the attachment figures; they
/// replace the `uploads` part of `target/bench/results.json`.
///
/// # Errors
/// When a build or a server fails (a slow figure is never an error).
pub fn uploads_only() -> Result {
    setup::ensure(Need::Build)?;
    let built = build::all(&Options::test())?;
    let dir = crate::root().join("target/bench");
    let figures = uploads(&built, &dir.join("uploads"))?;
    let path = dir.join("results.json");
    let mut results: Value = if path.exists() { serde_json::from_str(&cmd::read(&path)?).unwrap_or_else(|_| json!({})) } else { json!({}) };
    results["uploads"] = figures;
    cmd::write(&path, serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?)?;
    print_uploads(&results);
    Ok(())
}

/// Runs `cargo xtask bench --widgets [--runs N]`: only the widgets in the
/// browser (no search per keystroke), `runs` runs per figure; their
/// figures replace the `widgets` part of `target/bench/results.json`.
///
/// # Errors
/// When a build or a server fails (a slow figure is never an error).
pub fn widgets_only(runs: usize) -> Result {
    setup::ensure(Need::Bench)?;
    let built = build::all(&Options::test())?;
    let bench = bench_site()?;
    let dir = crate::root().join("target/bench");
    let (widgets, _) = widget_figures(&built, &bench, &dir.join("widgets"), runs, false)?;
    let path = dir.join("results.json");
    let mut results: Value = if path.exists() { serde_json::from_str(&cmd::read(&path)?).unwrap_or_else(|_| json!({})) } else { json!({}) };
    results["widgets"] = widgets;
    results["runs_per_figure"] = json!(runs);
    cmd::write(&path, serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?)?;
    print_table(&results);
    Ok(())
}

/// The soak's default length, in minutes (`--soak-minutes` changes it).
pub const SOAK_MINUTES: f64 = 10.0;
/// New tickets per second the soak sends each worker.
const SOAK_CREATES_PER_SECOND: u32 = 10;
/// Queue pages (50) per second the soak reads from each worker.
const SOAK_QUEUE_PER_SECOND: u32 = 1;

/// Runs `cargo xtask bench --soak`: Buoy's worker and the JS reference
/// side by side under wrangler dev, each at a fixed rate of new tickets
/// and queue reads for `minutes`, printing requests, errors, latency and
/// memory (workerd's resident memory, Buoy's wasm memory from
/// `/dev/stats`, each isolate's JS heap from its inspector) as the run
/// goes; the figures go to
/// `target/bench/soak.json`. The budget: memory levels off.
///
/// # Errors
/// When a build or a server fails (a figure is never an error).
pub fn soak(minutes: f64) -> Result {
    setup::ensure(Need::Build)?;
    let built = build::all(&Options::test())?;
    let dir = crate::root().join("target/bench/soak");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let token = cmd::random_hex(32)?;
    let buoy_dir = dir.join("buoy-worker");
    let buoy_config = serve::wrangler_config(&buoy_dir, &built.worker_main, &built.site, built.needs)?;
    let ref_dir = dir.join("reference-worker");
    let ref_config = reference_config(&ref_dir, &Options::test().config)?;
    let (buoy, _) = start_worker(&buoy_config, &buoy_dir, &token)?;
    let (reference, _) = start_worker(&ref_config, &ref_dir, &token)?;
    let interval = (minutes * 60.0 / 20.0).clamp(10.0, 30.0).round();
    let plan = json!({
        "minutes": minutes,
        "createsPerSecond": SOAK_CREATES_PER_SECOND,
        "queuePerSecond": SOAK_QUEUE_PER_SECOND,
        "sampleSeconds": interval,
        "token": token,
        "ticket": {
            "site": "demo", "name": "Ada Lovelace", "email": "ada@example.com", "type": "billing",
            "subject": "Charged twice for November",
            "message": "My card was charged twice for the November invoice. Could you refund one of the charges? The invoice number is INV-2026-1130.",
            "context": { "url": "https://app.example.com/billing", "locale": "en-GB", "time_zone": "Europe/London" },
        },
        "workers": [
            { "name": "Buoy", "url": buoy.url(), "wrangler": buoy.pid(), "stats": buoy_worker::DEV_STATS_PATH, "inspector": buoy.inspector },
            { "name": "reference", "url": reference.url(), "wrangler": reference.pid(), "inspector": reference.inspector },
        ],
    });
    eprintln!(
        "soak: {minutes} min, {SOAK_CREATES_PER_SECOND} new tickets/s and {SOAK_QUEUE_PER_SECOND} queue read/s on each worker; a row every {interval} s"
    );
    let figures = harness("soak.mjs", &plan);
    drop(buoy);
    drop(reference);
    let figures = figures?;
    cmd::write(&dir.join("soak.json"), serde_json::to_string_pretty(&figures).map_err(|e| e.to_string())?)?;
    print_soak(&figures);
    Ok(())
}

/// The soak's summary: per worker, totals and memory at the start, the
/// middle and the end, and the growth over the second half (levelled off
/// when that is a small part of the whole).
fn print_soak(r: &Value) {
    println!(
        "\nSOAK ({} min; {} new tickets/s + {} queue read/s per worker; wrangler dev → workerd, local KV)",
        r["minutes"], r["creates_per_second"], r["queue_per_second"]
    );
    for w in r["workers"].as_array().into_iter().flatten() {
        let samples = w["samples"].as_array().cloned().unwrap_or_default();
        let mb = |s: Option<&Value>, key: &str, scale: f64| s.and_then(|s| s[key].as_f64()).map(|v| v / scale);
        let at = |i: usize| samples.get(i);
        let (first, middle, last) = (at(0), at(samples.len() / 2), samples.last());
        let shown = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.1}"));
        let growth = |key: &str, scale: f64| match (mb(first, key, scale), mb(middle, key, scale), mb(last, key, scale)) {
            (Some(a), Some(m), Some(z)) => {
                format!("{} → {} → {} MB (second half {:+.1} MB)", shown(Some(a)), shown(Some(m)), shown(Some(z)), z - m)
            }
            _ => "—".into(),
        };
        println!(
            "  {:<10} {} requests, {} errors {}",
            w["name"].as_str().unwrap_or(""),
            w["total"],
            w["errors"],
            if w["errors"].as_u64().unwrap_or(0) > 0 { w["statuses"].to_string() } else { String::new() }
        );
        println!("  {:<10} workerd resident memory: {}", "", growth("rss_kib", 1024.0));
        // wrangler dev runs two workerd processes: its proxy in front, and
        // the runtime (the worker's isolate and the local KV simulator).
        for (role, label) in [("proxy", "wrangler's proxy"), ("runtime", "runtime: the worker and the local KV")] {
            let by = |s: Option<&Value>| s.and_then(|s| s["rss_kib_by_role"][role].as_f64()).map(|v| v / 1024.0);
            if let (Some(a), Some(m), Some(z)) = (by(first), by(middle), by(last)) {
                println!("  {:<10}   {label}: {a:.1} → {m:.1} → {z:.1} MB (second half {:+.1} MB)", "", z - m);
            }
        }
        let restarts = samples.iter().filter(|s| s["restarted"] == json!(true)).count();
        if restarts > 0 {
            println!("  {:<10} workerd restarted {restarts} time(s): its memory started again", "");
        }
        println!("  {:<10} the worker isolate's JS heap (used): {}", "", growth("js_heap_bytes", 1_048_576.0));
        if samples.iter().any(|s| s["wasm_bytes"].is_number()) {
            println!("  {:<10} wasm memory: {}", "", growth("wasm_bytes", 1_048_576.0));
        }
    }
}

/// Runs `cargo xtask bench --metrics`: only the metrics call, quickly;
/// its figures replace the `metrics` part of `target/bench/results.json`.
///
/// # Errors
/// When a build or a server fails (a slow figure is never an error).
pub fn metrics_only() -> Result {
    let started = Instant::now();
    setup::ensure(Need::Build)?;
    let built = build::all(&Options::test())?;
    let dir = crate::root().join("target/bench");
    let measuring = Instant::now();
    let figures = metrics(&built, &dir.join("metrics"))?;
    let path = dir.join("results.json");
    let mut results: Value = if path.exists() { serde_json::from_str(&cmd::read(&path)?).unwrap_or_else(|_| json!({})) } else { json!({}) };
    results["metrics"] = figures;
    cmd::write(&path, serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?)?;
    print_metrics(&results);
    write_readme(&results)?;
    println!(
        "\nwritten to {} in {:.0} s ({:.0} s of them the metrics part)",
        path.display(),
        started.elapsed().as_secs_f64(),
        measuring.elapsed().as_secs_f64()
    );
    Ok(())
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The metrics call over 100,000 tickets before issue #18 (its table):
/// every ticket's facts as JSON, listed from KV on each call.
const METRICS_BEFORE: &str = "7.9 s";

fn print_metrics(r: &Value) {
    let m = &r["metrics"];
    if m.is_null() {
        return;
    }
    println!(
        "\nMETRICS CALL (GET /v1/agent/metrics: {} days, {} to {}, and the {} before for comparison, tz=UTC; wrangler dev →",
        m["days"],
        m["from"].as_str().unwrap_or(""),
        m["to"].as_str().unwrap_or(""),
        m["days"]
    );
    println!(
        "  workerd, local KV, server on core {SERVER_CORE}; median [min–max] of up to {RUNS} calls after a warm-up, within {} s)",
        METRICS_BUDGET.as_secs()
    );
    println!("  {:<10} {:<14} {:<10} {:<40} {:<15} local KV", "tickets", "guided fixes", "KV keys", "latency", "KV operations");
    for size in m["sizes"].as_array().into_iter().flatten() {
        let n = |k: &str| size[k].as_u64().map_or("n/a".into(), thousands);
        let loaded = if size["kv_reused"] == true {
            "kept from an earlier run".to_owned()
        } else {
            format!("generated and loaded in {:.0} s", size["load_seconds"].as_f64().unwrap_or(f64::NAN))
        };
        println!(
            "  {:<10} {:<14} {:<10} {:<40} {:<15} {loaded}",
            n("tickets"),
            n("guided_fixes"),
            n("kv_keys"),
            match size["hung"].as_u64() {
                Some(hung) if hung > 0 => format!("{} ({} runs, {hung} hung)", fmt_ms(&size["latency_ms"]), size["latency_ms"]["runs"]),
                _ => format!("{} ({} runs)", fmt_ms(&size["latency_ms"]), size["latency_ms"]["runs"]),
            },
            n("kv_operations"),
        );
        let facts = &size["facts_only"];
        if !facts.is_null() {
            println!(
                "  {:<10} {:<14} {:<10} {:<40} {:<15} the same call before the sweep rolled hours up (per-ticket facts, compact form)",
                "",
                "",
                "",
                format!("{} ({} runs)", fmt_ms(&facts["latency_ms"]), facts["latency_ms"]["runs"]),
                facts["kv_operations"].as_u64().map_or("n/a".into(), thousands),
            );
            println!(
                "  {:<10} hourly roll-ups by {} sweep runs: {} hours from roll-ups, {} days listed",
                "", size["sweeps"], size["rolled_hours"], size["listed_days"]
            );
        }
    }
    println!("  before issue #18, over 100,000 tickets (every ticket's facts as JSON): {METRICS_BEFORE}; budget 2 s");
}

/// The value of `BUOY_IDENTITY_SECRET` the bench's workers verify the
/// history's (`mine`) identity with.
const IDENTITY_SECRET: &str = "bench identity secret";
/// Sequential runs of every endpoint for the CPU figures.
const CPU_RUNS: usize = 100;
/// The endpoints timed one request at a time, as the CPU harness
/// (`xtask/bench/reference/cpu.mjs`) names them, with their labels;
/// `baseline` (an unknown `/v1` path) is the HTTP path's own cost.
const ENDPOINTS: [(&str, &str); 9] = [
    ("create", "create a ticket (widget)"),
    ("read", "read the requester's ticket (widget)"),
    ("answer", "the requester's answer (widget)"),
    ("rate", "rate a solved ticket (widget)"),
    ("deflection", "a guided fix's outcome (widget)"),
    ("mine", "a verified user's history, `mine` (widget)"),
    ("queue", "agent queue, a page of 50 (console)"),
    ("agent_ticket", "agent ticket view (console)"),
    ("agent_solve", "agent change: solve (console)"),
];

/// What the JS reference is handed (`BUOY_REFERENCE_DATA`): the
/// configuration compiled into Buoy's worker and the urgency and tone
/// lexicons it routes with, so both work from the same rules.
fn reference_data(config: &Path) -> Result<Value> {
    let config = buoy_shared::config::Config::from_toml(&cmd::read(config)?).map_err(|e| format!("{}: {e}", config.display()))?;
    let lexicons: Vec<Value> = buoy_shared::routing::LEXICONS
        .iter()
        .map(|l| {
            json!({
                "locale": l.locale, "urgent": l.urgent, "urgency_negators": l.urgency_negators,
                "negative": l.negative, "negated_positive": l.negated_positive, "negators": l.negators,
            })
        })
        .collect();
    Ok(json!({
        "config": serde_json::to_value(&config).map_err(|e| e.to_string())?,
        "lexicons": lexicons,
        "japanese_negations": ["ではない", "ではありません", "じゃない", "じゃありません"],
    }))
}

/// Writes the wrangler config of the JS reference worker into `dir`: its
/// KV namespace, the same abuse-limit counters as Buoy's (raised as for
/// every local run), and Buoy's rules from `config` (a `buoy.toml`).
///
/// # Errors
/// When the configuration does not load or the file cannot be written.
pub fn reference_config(dir: &Path, config: &Path) -> Result<PathBuf> {
    let limit = |name: &str, id: &str| json!({ "name": name, "namespace_id": id, "simple": { "limit": 1_000_000, "period": 60 } });
    let wrangler = json!({
        "name": "buoy-reference",
        "main": crate::root().join("xtask/bench/reference/worker.js"),
        "compatibility_date": "2026-04-26",
        "kv_namespaces": [{ "binding": "BUOY_KV" }],
        "ratelimits": [limit("BUOY_CLIENT_LIMIT", "1001"), limit("BUOY_SITE_LIMIT", "1002")],
        "vars": { "BUOY_REFERENCE_DATA": reference_data(config)? },
    });
    let path = dir.join("wrangler.json");
    cmd::write(&path, serde_json::to_string_pretty(&wrangler).map_err(|e| e.to_string())?)?;
    Ok(path)
}

/// One worker under wrangler dev for the worker figures, pinned to the
/// server core, with the agent's token, the identity secret and
/// `BUOY_BENCH=mode` (`count`, or `memory` for KV in the isolate).
fn start_measured(config: &Path, dir: &Path, token: &str, mode: &str) -> Result<(Wrangler, Duration)> {
    start_measured_on(config, dir, token, mode, Some(SERVER_CORE))
}

/// [`start_measured`], pinned to `core` (or to none).
fn start_measured_on(config: &Path, dir: &Path, token: &str, mode: &str, core: Option<u16>) -> Result<(Wrangler, Duration)> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let vars = vec![
        ("BUOY_AGENT_TOKEN".into(), token.into()),
        ("BUOY_SECRET".into(), cmd::random_hex(32)?),
        ("BUOY_IDENTITY_SECRET".into(), IDENTITY_SECRET.into()),
        (buoy_worker::kv::BENCH_VAR.into(), mode.into()),
    ];
    start_pinned(config, &dir.join("state"), dir, vars, false, core)
}

/// The time of each endpoint, one request at a time on one core, against
/// the worker of `config` with KV in its isolate's memory: the median of
/// [`CPU_RUNS`] runs less the median of a request to an unknown `/v1`
/// path (the HTTP path through wrangler's proxy and workerd, the same for
/// both workers), and the KV operations each answer reported.
fn cpu_per_request(config: &Path, dir: &Path, runs: usize) -> Result<Value> {
    let token = cmd::random_hex(32)?;
    let (wrangler, _) = start_measured(config, dir, &token, "memory")?;
    let plan = json!({ "base": wrangler.url(), "agentToken": token, "identitySecret": IDENTITY_SECRET, "runs": runs });
    let script = crate::root().join("xtask/bench/reference/cpu.mjs");
    let core = LOAD_CORE.to_string();
    let out = command("taskset", &["-c", &core, "node", &script.to_string_lossy(), &plan.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("node cpu.mjs: {e}"));
    drop(wrangler);
    let out = out?;
    if !out.status.success() {
        return Err(format!("the CPU harness failed against {} (its log: {})", config.display(), dir.join("wrangler.log").display()));
    }
    let raw: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("the CPU harness printed no JSON: {e}"))?;
    Ok(cpu_figures(&raw))
}

/// The CPU harness's timings and KV counts, as the bench keeps them: per
/// endpoint the median wall time, the same less the baseline's median,
/// and the KV operations (the one count every run reported, or each
/// count seen, when runs differed).
fn cpu_figures(raw: &Value) -> Value {
    let times = |name: &str| -> Vec<f64> { raw[name]["ms"].as_array().into_iter().flatten().filter_map(Value::as_f64).collect() };
    let baseline = stats(&times("baseline"));
    let base = baseline["median"].as_f64().unwrap_or(0.0);
    let mut out = json!({ "baseline_ms": baseline, "runs": times("baseline").len() });
    for (name, _) in ENDPOINTS {
        let wall = stats(&times(name));
        let mut kv: Vec<&str> = raw[name]["kv"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        kv.sort_unstable();
        kv.dedup();
        out[name] = json!({
            "wall_ms": wall,
            "cpu_ms": wall["median"].as_f64().map(|m| (m - base).max(0.0)),
            "kv": if kv.len() == 1 { json!(kv[0]) } else { json!(kv) },
        });
    }
    out
}

/// One request with `BUOY_BENCH=count` on: the KV operations its answer reports.
fn kv_operations(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("127.0.0.1:{port}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    write!(stream, "{head}\r\n{body}").map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    // The head is all that is needed; the proxy may hold the connection open.
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).map_err(|e| format!("{method} {path}: {e}"))?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&raw).to_ascii_lowercase();
    let header = format!("{}:", buoy_worker::kv::OPERATIONS_HEADER);
    text.lines()
        .find_map(|l| l.strip_prefix(&header).map(|v| v.trim().to_owned()))
        .ok_or_else(|| format!("{method} {path}: no {} header in {:?}", buoy_worker::kv::OPERATIONS_HEADER, text.lines().next()))
}

/// Whether both workers spent the same KV operations on each endpoint.
fn kv_match(buoy: &Value, reference: &Value) -> Value {
    let mut out = json!({});
    for (name, _) in ENDPOINTS {
        out[name] = json!(buoy[name]["kv"] == reference[name]["kv"] && buoy[name]["kv"].is_string());
    }
    out
}

/// Throughput (wrk) under wrangler dev with the local KV, the KV
/// operations of a create and of a queue page there, CPU per request of
/// every endpoint against KV in memory, bundle and cold start, of Buoy's
/// worker and the JS reference.
fn workers(built: &build::Built, dir: &Path) -> Result<Value> {
    let root = crate::root();
    let token = cmd::random_hex(32)?;
    let buoy_dir = dir.join("buoy-worker");
    let ref_dir = dir.join("reference-worker");
    // A fresh local KV each run: entries an older build wrote would be read.
    for old in [&buoy_dir, &ref_dir] {
        if old.exists() {
            std::fs::remove_dir_all(old).map_err(|e| format!("{}: {e}", old.display()))?;
        }
    }
    let buoy_config = serve::wrangler_config(&buoy_dir, &built.worker_main, &built.site, built.needs)?;
    let ref_config = reference_config(&ref_dir, &Options::test().config)?;
    let lua = root.join("xtask/bench/create.lua").to_string_lossy().into_owned();
    let create_body = std::fs::read_to_string(&lua)
        .ok()
        .and_then(|text| {
            // The body wrk posts, joined from create.lua's Lua string pieces.
            let pieces: Vec<String> = text.split('\'').skip(1).step_by(2).map(str::to_owned).collect();
            (!pieces.is_empty()).then(|| pieces.concat())
        })
        .ok_or("xtask/bench/create.lua holds no body")?;
    let auth = format!("Authorization: Bearer {token}");
    let bearer = format!("Bearer {token}");
    let mut out = json!({});
    for (name, config, wdir) in [("buoy", &buoy_config, &buoy_dir), ("reference", &ref_config, &ref_dir)] {
        let gzip = bundle_gzip_kib(config, &wdir.join("deploy"))?;
        let (wrangler, cold) = start_measured(config, wdir, &token, "count")?;
        let base = wrangler.url();
        let mut create = load(&format!("{base}/v1/tickets"), &["-s", &lua], wrangler.pid())?;
        create["kv"] = json!(kv_operations(wrangler.port, "POST", "/v1/tickets", &[("content-type", "application/json")], &create_body)?);
        let mut queue = load(&format!("{base}/v1/agent/tickets?limit=50"), &["-H", &auth], wrangler.pid())?;
        queue["kv"] = json!(kv_operations(wrangler.port, "GET", "/v1/agent/tickets?limit=50", &[("authorization", &bearer)], "")?);
        drop(wrangler);
        let cpu = cpu_per_request(config, &wdir.join("cpu"), CPU_RUNS)?;
        eprintln!("bench: {name} worker measured");
        out[name] =
            json!({ "bundle_gzip_kib": gzip, "cold_start_ms": cold.as_secs_f64() * 1000.0, "create": create, "queue": queue, "cpu": cpu });
    }
    out["kv_match"] = kv_match(&out["buoy"]["cpu"], &out["reference"]["cpu"]);
    Ok(out)
}

/// The opt-levels `cargo xtask bench --opt-levels` builds the worker with.
const OPT_LEVELS: [&str; 4] = ["z", "s", "2", "3"];
/// Sequential runs per endpoint for each opt-level (fewer than the main
/// bench's: five builds are measured).
const OPT_LEVEL_RUNS: usize = 60;

/// Builds the test worker with every crate of it at `level` (the base
/// profile, every dependency and the workspace's own crates, whatever
/// `Cargo.toml`'s per-package overrides say), in a target folder per
/// level so a second run builds nothing.
fn worker_at(level: &str) -> Result<PathBuf> {
    let root = crate::root();
    let out = format!("dist/bench-opt-{level}");
    let value = if level.bytes().all(|b| b.is_ascii_digit()) { level.to_owned() } else { format!("\"{level}\"") };
    let mut args = vec!["--release".to_owned(), "--out-dir".to_owned(), format!("../{out}")];
    // A package named in Cargo.toml wins over `"*"`, so each is named again.
    let manifest = cmd::read(&root.join("Cargo.toml"))?;
    let named = manifest.lines().filter_map(|l| l.strip_prefix("[profile.release.package.")?.strip_suffix(']')).map(str::to_owned);
    let keys = ["profile.release".to_owned(), "profile.release.package.\"*\"".to_owned(), "profile.release.package.buoy-shared".to_owned()]
        .into_iter()
        .chain(named.map(|name| format!("profile.release.package.{name}")));
    for key in keys {
        args.extend(["--config".to_owned(), format!("{key}.opt-level={value}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut c = command("worker-build", &args);
    c.current_dir(root.join("worker"))
        .env("BUOY_CONFIG", Options::test().config)
        .env("CARGO_TARGET_DIR", root.join(format!("target/bench-opt/{level}")));
    cmd::run(&mut c)?;
    Ok(root.join(out).join("index.js"))
}

/// The endpoints `cargo xtask bench --profile` can profile (as
/// `xtask/bench/profile.mjs` names them).
pub const PROFILE_ENDPOINTS: [&str; 4] = ["create", "queue", "deflection", "baseline"];
/// Requests sent one at a time while the profiler samples.
const PROFILE_RUNS: usize = 400;

/// Runs `cargo xtask bench --profile ENDPOINT`: the worker built with
/// `worker-build --profiling` (optimized as released, with the wasm's
/// function names kept), under wrangler dev with KV in its isolate's
/// memory, profiled through its inspector while [`PROFILE_RUNS`]
/// requests to `endpoint` are sent one at a time. Prints the functions
/// with the most self time and writes the `.cpuprofile` under
/// `target/bench/profile/`.
///
/// # Errors
/// When a build, the server or the profiler fails.
pub fn profile(endpoint: &str) -> Result {
    setup::ensure(Need::Bench)?;
    let built = build::all(&Options::test())?;
    let root = crate::root();
    let out = "dist/profile-worker";
    let mut c = command("worker-build", &["--profiling", "--out-dir", &format!("../{out}")]);
    c.current_dir(root.join("worker"))
        .env("BUOY_CONFIG", Options::test().config)
        .env("CARGO_TARGET_DIR", root.join("target/profile-worker"));
    cmd::run(&mut c)?;
    let dir = root.join("target/bench/profile");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let config = serve::wrangler_config(&dir, &root.join(out).join("index.js"), &built.site, built.needs)?;
    let token = cmd::random_hex(32)?;
    // Unpinned: wrangler's proxy and the worker's workerd on one core
    // would put each other's time into the samples.
    let (wrangler, _) = start_measured_on(&config, &dir, &token, "memory", None)?;
    let plan = json!({
        "base": wrangler.url(),
        "inspector": wrangler.inspector,
        "agentToken": token,
        "endpoint": endpoint,
        "runs": PROFILE_RUNS,
        "out": dir.join(format!("{endpoint}.cpuprofile")),
    });
    let script = root.join("xtask/bench/profile.mjs");
    let status = command("node", &[&script.to_string_lossy(), &plan.to_string()]).status().map_err(|e| format!("node profile.mjs: {e}"));
    drop(wrangler);
    if !status?.success() {
        return Err(format!("the profiler failed (the worker's log: {})", dir.join("wrangler.log").display()));
    }
    Ok(())
}

/// Runs `cargo xtask bench --opt-levels`: the worker built at each of
/// [`OPT_LEVELS`] and as `Cargo.toml` builds it, each measured for bundle
/// size and CPU per request; the figures go into `opt_levels` of
/// `target/bench/results.json`.
///
/// # Errors
/// When a build or a server fails (a slow figure is never an error).
pub fn opt_levels() -> Result {
    setup::ensure(Need::Bench)?;
    let built = build::all(&Options::test())?;
    let dir = crate::root().join("target/bench/opt-levels");
    let mut levels = Vec::new();
    // Each build is measured (and the results written) before the next
    // starts: a build of every crate takes minutes.
    for (i, level) in std::iter::once(None).chain(OPT_LEVELS.map(Some)).enumerate() {
        let (label, main) = match level {
            None => ("as Cargo.toml builds it".to_owned(), built.worker_main.clone()),
            Some(level) => (format!("opt-level {level}, every crate"), worker_at(level)?),
        };
        let wdir = dir.join(format!("v{i}"));
        let config = serve::wrangler_config(&wdir, &main, &built.site, built.needs)?;
        let gzip = bundle_gzip_kib(&config, &wdir.join("deploy"))?;
        let cpu = cpu_per_request(&config, &wdir.join("cpu"), OPT_LEVEL_RUNS)?;
        eprintln!("bench: {label} measured");
        levels.push(json!({ "label": label, "bundle_gzip_kib": gzip, "cpu": cpu }));
        with_part("opt_levels", json!(levels))?;
    }
    let results = with_part("opt_levels", json!(levels))?;
    print_opt_levels(&results);
    Ok(())
}

fn print_opt_levels(r: &Value) {
    let Some(levels) = r["opt_levels"].as_array() else { return };
    println!(
        "\nWORKER BUILD CHOICES (CPU per request as in the worker figures, {OPT_LEVEL_RUNS} runs each; bundle as wrangler deploys it)"
    );
    println!("  {:<32} {:>12} {:>10} {:>10} {:>10} {:>10}", "", "bundle gzip", "create", "queue 50", "read", "answer");
    for level in levels {
        let cpu = |name: &str| level["cpu"][name]["cpu_ms"].as_f64().map_or("n/a".into(), |x| format!("{x:.2} ms"));
        println!(
            "  {:<32} {:>12} {:>10} {:>10} {:>10} {:>10}",
            level["label"].as_str().unwrap_or(""),
            level["bundle_gzip_kib"].as_f64().map_or("n/a".into(), |x| format!("{x:.0} KiB")),
            cpu("create"),
            cpu("queue"),
            cpu("read"),
            cpu("answer")
        );
    }
}

/// `target/bench/results.json` with its `part` replaced by `figures`
/// (the rest kept from earlier runs), written back and returned.
fn with_part(part: &str, figures: Value) -> Result<Value> {
    let path = crate::root().join("target/bench/results.json");
    let mut results: Value = if path.exists() { serde_json::from_str(&cmd::read(&path)?).unwrap_or_else(|_| json!({})) } else { json!({}) };
    results[part] = figures;
    cmd::write(&path, serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?)?;
    Ok(results)
}

/// Runs `cargo xtask bench --workers`: only the worker figures; they
/// replace the `workers` part of `target/bench/results.json`.
///
/// # Errors
/// When a build or a server fails (a slow figure is never an error).
pub fn workers_only() -> Result {
    setup::ensure(Need::Bench)?;
    let built = build::all(&Options::test())?;
    let dir = crate::root().join("target/bench");
    let results = with_part("workers", workers(&built, &dir.join("workers"))?)?;
    print_workers(&results);
    write_readme(&results)
}

/// The file behind a URL the browser fetched, for weighing.
fn file_for(url: &str, worker: &str, host: &str, built: &build::Built, bench: &Path) -> Option<PathBuf> {
    let (dir, path) = if let Some(path) = url.strip_prefix(worker) {
        (&built.site, path)
    } else {
        (&bench.to_path_buf(), url.strip_prefix(host.trim_end_matches('/'))?)
    };
    let path = path.split(['?', '#']).next()?;
    let relative = if path.ends_with('/') {
        // The worker serves a site's panel page from its locale's page
        // (English, the bench's sites' default, when the path names none).
        if let Some(buoy_shared::headers::WidgetPath::Page { locale, .. }) = buoy_shared::headers::widget_path(path) {
            format!("{}index.html", &buoy_shared::headers::widget_page_asset(locale.unwrap_or_default())[1..])
        } else {
            format!("{}index.html", &path[1..])
        }
    } else {
        path[1..].to_owned()
    };
    Some(dir.join(relative))
}

/// The files of the built knowledge base's default locale whose names start with `prefix`.
fn kb_files(site: &Path, prefix: &str) -> Result<Vec<PathBuf>> {
    Ok(std::fs::read_dir(site.join("kb").join(buoy_shared::kb::DEFAULT_LOCALE))
        .map_err(|e| format!("{}: {e}", site.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)))
        .collect())
}

/// The first open in each language but the default, by tag.
fn first_open_by_locale(site: &Path, files: &build::WidgetFiles) -> Result<Value> {
    let mut by = serde_json::Map::new();
    for locale in buoy_shared::messages::Locale::ALL.into_iter().skip(1) {
        by.insert(locale.tag().to_owned(), weight_json(weigh(&files.first_open_in(site, locale))?));
    }
    Ok(Value::Object(by))
}

fn weight_json(w: Weight) -> Value {
    json!({ "requests": w.files, "raw": w.raw, "gzip": w.gzip, "brotli": w.brotli })
}

/// The widget in the browser: Buoy's worker serves the loader and panel;
/// the host pages (and the peers' bundles) come from a second origin.
/// Returns the figures per widget and, when `with_search`, per keystroke.
fn widget_figures(built: &build::Built, bench: &Path, dir: &Path, runs: usize, with_search: bool) -> Result<(Value, Value)> {
    let token = cmd::random_hex(32)?;
    let (wrangler, _) = start_worker(
        &serve::wrangler_config(&dir.join("widget-worker"), &built.worker_main, &built.site, built.needs)?,
        &dir.join("widget-worker"),
        &token,
    )?;
    let worker = wrangler.url();
    let host = DemoServer::start_plain(serve::free_port()?, bench, &worker)?;
    let search = if with_search { search_speed(built, dir, &host.url())? } else { Value::Null };
    let buoy_launcher = "document.body.lastElementChild && document.body.lastElementChild.shadowRoot && document.body.lastElementChild.shadowRoot.querySelector('button')";
    let plan = json!({
        "chromium": "/usr/bin/chromium",
        "host": host.url(),
        "worker": worker,
        "runs": runs,
        "rates": [1, 4],
        "settleMs": 1000,
        "hoverMs": HOVER_MS,
        "widgets": [
            { "name": "none" },
            { "name": "buoy", "script": format!("{worker}/buoy.js"), "attrs": { "data-site": "demo" }, "launcher": buoy_launcher, "onReady": true },
            { "name": "buoy-cold", "script": format!("{worker}/buoy.js"), "attrs": { "data-site": "demo", "data-preload": "off" }, "launcher": buoy_launcher, "onReady": true, "second": true },
            { "name": "react-chat-widget", "script": "/peers/react-chat-widget.js", "css": "/peers/react-chat-widget.css",
              "launcher": "document.querySelector('.rcw-launcher')", "panel": "document.querySelector('.rcw-new-message')" },
            { "name": "docsearch", "script": "/peers/docsearch.js", "css": "/peers/docsearch.css",
              "launcher": "document.querySelector('.DocSearch-Button')", "panel": "document.querySelector('.DocSearch-Input')" },
            // The control: one fixed button in a shadow root and nothing else.
            { "name": "plain-launcher", "script": "/peers/plain-launcher.js", "noPanel": true,
              "launcher": "document.body.lastElementChild && document.body.lastElementChild.shadowRoot && document.body.lastElementChild.shadowRoot.querySelector('button')" },
        ],
    });
    let runs = harness("widgets.mjs", &plan);
    drop(wrangler);
    let runs = runs?;
    let runs = runs.as_array().cloned().unwrap_or_default();

    let mut widgets = json!({});
    for entry in &runs {
        let (name, rate) = (entry["name"].as_str().unwrap_or(""), entry["rate"].as_u64().unwrap_or(1));
        let list = entry["runs"].as_array().cloned().unwrap_or_default();
        let pick = |key: &str| -> Vec<f64> { list.iter().filter_map(|r| r[key].as_f64()).collect() };
        let first = list.first().cloned().unwrap_or(Value::Null);
        let weigh_urls = |urls: &Value| -> Result<Value> {
            let urls: Vec<String> =
                urls.as_array().cloned().unwrap_or_default().iter().filter_map(|u| u.as_str().map(String::from)).collect();
            let files: Vec<PathBuf> = urls.iter().filter_map(|u| file_for(u, &worker, &host.url(), built, bench)).collect();
            Ok(json!({ "urls": urls, "weight": weight_json(weigh(&files)?) }))
        };
        widgets[name][format!("cpu{rate}x")] = json!({
            "launcher_painted_ms": stats(&pick("launcher")),
            "main_thread_ms": stats(&pick("mainThread")),
            "longest_task_ms": stats(&pick("longest")),
            "click_to_interactive_ms": stats(&pick("open")),
            "open_main_thread_ms": stats(&pick("openThread")),
            "tbt_load_ms": stats(&pick("tbtLoad")),
            "tbt_open_ms": stats(&pick("tbtOpen")),
            "inp_ms": stats(&pick("inp")),
            "ready_after_intent_ms": stats(&pick("readyAfterIntent")),
        });
        if rate == 1 {
            widgets[name]["load"] = weigh_urls(&first["requests"]["load"])?;
            widgets[name]["open"] = weigh_urls(&first["requests"]["open"])?;
            // A page view with the panel opened, and a second one with the
            // browser's cache of the first.
            let both: Vec<Value> =
                ["load", "open"].iter().flat_map(|p| first["requests"][p].as_array().cloned().unwrap_or_default()).collect();
            widgets[name]["first_view"] = weigh_urls(&Value::Array(both))?;
            if !first["second"].is_null() {
                widgets[name]["second_view"] = weigh_urls(&first["second"])?;
            }
        }
    }
    // What each widget adds to the host page: beyond the same page without
    // a widget, over the same window, with the same input.
    for rate in ["cpu1x", "cpu4x"] {
        for key in ["main_thread_ms", "open_main_thread_ms", "tbt_load_ms", "tbt_open_ms", "inp_ms"] {
            let base = widgets["none"][rate][key]["median"].as_f64().unwrap_or(0.0);
            let added = key.replace("_ms", "_added_ms");
            for name in ["buoy", "buoy-cold", "react-chat-widget", "docsearch", "plain-launcher"] {
                if let Some(m) = widgets[name][rate][key]["median"].as_f64() {
                    widgets[name][rate][&added] = json!(m - base);
                }
            }
        }
    }
    Ok((widgets, search))
}

/// Prints the table of the last run again (`cargo xtask bench --report`).
///
/// # Errors
/// When there is no readable `target/bench/results.json`.
pub fn report() -> Result {
    let path = crate::root().join("target/bench/results.json");
    let results: Value = serde_json::from_str(&cmd::read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
    print_table(&results);
    Ok(())
}

/// Runs `cargo xtask bench`.
///
/// # Errors
/// When a build or a server fails (a slow figure is never an error).
pub fn run() -> Result {
    let started = Instant::now();
    setup::ensure(Need::Bench)?;
    let built = build::all(&Options::test())?;
    let bench = bench_site()?;
    let dir = crate::root().join("target/bench");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let worker_figures = workers(&built, &dir)?;
    let metrics_figures = metrics(&built, &dir.join("metrics"))?;
    let upload_figures = uploads(&built, &dir.join("uploads"))?;

    let (widgets, search) = widget_figures(&built, &bench, &dir, RUNS, true)?;
    let files = build::widget_files(&built.site)?;
    let results = json!({
        "date": cmd::probe("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]).unwrap_or_default().trim(),
        "machine": { "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
        "runs_per_figure": RUNS,
        "weight": {
            "buoy_loader": weight_json(weigh(&[built.site.join("buoy.js")])?),
            "buoy_first_open": weight_json(weigh(&files.first_open)?),
            "buoy_first_open_by_locale": first_open_by_locale(&built.site, &files)?,
            "buoy_help": weight_json(weigh(&files.help)?),
            "buoy_inbox": weight_json(weigh(&files.inbox)?),
            "buoy_form": weight_json(weigh(&files.form)?),
            "search_index_demo": weight_json(weigh(&kb_files(&built.site, "index.")?)?),
            "articles_demo": weight_json(weigh(&kb_files(&built.site, "")?.into_iter().filter(|p| p.extension().is_some_and(|x| x == "json")).collect::<Vec<_>>())?),
        },
        "widgets": widgets,
        "search": search,
        "workers": worker_figures,
        "metrics": metrics_figures,
        "uploads": upload_figures,
        "published": PUBLISHED.iter().map(|(who, what, source)| json!({ "who": who, "figure": what, "source": source })).collect::<Vec<_>>(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    let path = dir.join("results.json");
    cmd::write(&path, serde_json::to_string_pretty(&results).map_err(|e| e.to_string())?)?;
    print_table(&results);
    print_uploads(&results);
    write_readme(&results)?;
    println!("\nwritten to {} in {:.0} s", path.display(), started.elapsed().as_secs_f64());
    Ok(())
}

fn print_table(r: &Value) {
    let w = &r["widgets"];
    println!("\nBuoy benchmarks ({} runs per browser figure: median [min–max]; 127.0.0.1; Chromium headless)", r["runs_per_figure"]);
    println!("\nWEIGHT (measured from the files the browser fetched)        requests       raw      gzip    brotli");
    let row = |label: &str, v: &Value| {
        println!(
            "  {label:<56} {:>8} {:>9} {:>9} {:>9}",
            v["requests"],
            kb(v["raw"].as_u64().unwrap_or(0) as usize),
            kb(v["gzip"].as_u64().unwrap_or(0) as usize),
            kb(v["brotli"].as_u64().unwrap_or(0) as usize)
        );
    };
    row("Buoy: before the launcher shows (buoy.js)", &w["buoy-cold"]["load"]["weight"]);
    row("Buoy: first open (page, CSS, glue, wasm)", &w["buoy-cold"]["open"]["weight"]);
    if let Some(by) = r["weight"]["buoy_first_open_by_locale"].as_object() {
        for (tag, weight) in by {
            row(&format!("Buoy: first open in {tag} (its page instead of English's)"), weight);
        }
    }
    row("Buoy: a page view with the panel opened", &w["buoy-cold"]["first_view"]["weight"]);
    row("Buoy: … the second page view (browser cache kept)", &w["buoy-cold"]["second_view"]["weight"]);
    println!(
        "  {:<56} the same files, fetched on intent (pointer on the launcher, focus)",
        "Buoy: preload (default; data-preload=\"off\" skips it)"
    );
    row("react-chat-widget + React 17: before the launcher shows", &w["react-chat-widget"]["load"]["weight"]);
    row("react-chat-widget: first open", &w["react-chat-widget"]["open"]["weight"]);
    row("@docsearch/js: before the button shows", &w["docsearch"]["load"]["weight"]);
    row("@docsearch/js: first open", &w["docsearch"]["open"]["weight"]);
    row("search index, demo knowledge base (18 articles)", &r["weight"]["search_index_demo"]);
    row("all 18 pre-parsed articles (one is fetched per view)", &r["weight"]["articles_demo"]);
    row("search index, 1,000 generated articles", &r["search"]["index"]);

    println!(
        "\nWIDGET SPEED                   CPU  Buoy                    react-chat-widget      Buoy÷rcw  @docsearch/js          Buoy÷ds"
    );
    let metric = |label: &str, key: &str, buoy: &str| {
        for rate in ["cpu1x", "cpu4x"] {
            let b = &w[buoy][rate][key];
            let c = &w["react-chat-widget"][rate][key];
            let d = &w["docsearch"][rate][key];
            println!(
                "  {label:<28} {:>3}  {:<23} {:<22} {:>8}  {:<22} {:>7}",
                if rate == "cpu1x" { "1×" } else { "4×" },
                fmt_ms(b),
                fmt_ms(c),
                ratio(b, c),
                fmt_ms(d),
                ratio(b, d)
            );
        }
    };
    metric("script tag → launcher painted", "launcher_painted_ms", "buoy");
    let added = |name: &str, rate: &str, key: &str| w[name][rate][key].as_f64();
    let shown = |v: Option<f64>| v.map_or("n/a".into(), |v| format!("{v:.1} ms"));
    let times = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => format!("{:.2}×", a / b),
        _ => "—".into(),
    };
    for (label, key) in [
        ("main thread added: loader", "main_thread_added_ms"),
        ("  … by the first open", "open_main_thread_added_ms"),
        ("TBT added: load", "tbt_load_added_ms"),
        ("  … by the first open", "tbt_open_added_ms"),
        ("INP added", "inp_added_ms"),
    ] {
        for rate in ["cpu1x", "cpu4x"] {
            let (b, c, d) = (added("buoy", rate, key), added("react-chat-widget", rate, key), added("docsearch", rate, key));
            println!(
                "  {label:<28} {:>3}  {:<23} {:<22} {:>8}  {:<22} {:>7}",
                if rate == "cpu1x" { "1×" } else { "4×" },
                shown(b),
                shown(c),
                times(b, c),
                shown(d),
                times(b, d)
            );
        }
    }
    for rate in ["cpu1x", "cpu4x"] {
        println!(
            "  {:<28} {:>3}  {:<23} (the control: one fixed button in a shadow root, no other script; what any launcher costs)",
            "  … by a plain launcher",
            if rate == "cpu1x" { "1×" } else { "4×" },
            shown(added("plain-launcher", rate, "main_thread_added_ms"))
        );
    }
    metric("longest task (0: none ≥50 ms)", "longest_task_ms", "buoy");
    metric("click → interactive, cold", "click_to_interactive_ms", "buoy-cold");
    metric("click → interactive, intent", "click_to_interactive_ms", "buoy");
    for rate in ["cpu1x", "cpu4x"] {
        println!(
            "  {:<28} {:>3}  {:<23} (the preload the pointer on the launcher starts; the click comes {HOVER_MS} ms after it)",
            "pointer → panel ready",
            if rate == "cpu1x" { "1×" } else { "4×" },
            fmt_ms(&w["buoy"][rate]["ready_after_intent_ms"])
        );
    }
    for rate in ["cpu1x", "cpu4x"] {
        println!(
            "  {:<28} {:>3}  {:<23} (1,000 articles; search and redraw, per keystroke)",
            "search per keystroke",
            if rate == "cpu1x" { "1×" } else { "4×" },
            fmt_ms(&r["search"][rate])
        );
    }

    println!("  (median of the same page without a widget, over the same window and input, subtracted; loader: at load, no");
    println!("   iframe yet; first open: pointer on the launcher, a host click, the launcher's click {HOVER_MS} ms after the pointer;");
    println!("   TBT from a CDP trace of the host's renderer, INP from Event Timing; the panel's iframe shares the host's");
    println!("   renderer here because 127.0.0.1 ports are one site, as a same-site support subdomain does in production)");
    print_workers(r);

    print_metrics(r);

    println!("\nPUBLISHED (not measured here; vendor widgets that cannot run offline)");
    for p in r["published"].as_array().into_iter().flatten() {
        println!(
            "  {:<20} {:<58} source: {}",
            p["who"].as_str().unwrap_or(""),
            p["figure"].as_str().unwrap_or(""),
            p["source"].as_str().unwrap_or("")
        );
    }
}

/// The worker figures: throughput with the KV operations beside it, CPU
/// per request of every endpoint, bundle and cold start, Buoy beside the
/// JS reference.
fn print_workers(r: &Value) {
    let wk = &r["workers"];
    if wk.is_null() {
        return;
    }
    println!("\nWORKER (wrangler dev → workerd, local KV; server on core {SERVER_CORE}, wrk on core {LOAD_CORE}, {LOAD_SECONDS} s, 16 connections)");
    println!("  {:<40} {:<26} {:<26} Buoy÷reference", "", "Buoy (Rust)", "JS reference");
    for (label, key) in [("create ticket", "create"), ("agent queue (50)", "queue")] {
        let (b, j) = (&wk["buoy"][key], &wk["reference"][key]);
        let rps = |v: &Value| v["rps"].as_f64().map_or("n/a".into(), |x| format!("{x:.0} req/s"));
        let lat = |v: &Value| format!("{:.1}/{:.1} ms", v["p50_ms"].as_f64().unwrap_or(f64::NAN), v["p99_ms"].as_f64().unwrap_or(f64::NAN));
        let q = |a: &Value, b: &Value, k: &str| match (a[k].as_f64(), b[k].as_f64()) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
            _ => "—".into(),
        };
        let kv = |v: &Value| v["kv"].as_str().unwrap_or("n/a").to_owned();
        println!("  {:<40} {:<26} {:<26} {}", format!("{label}: throughput"), rps(b), rps(j), q(b, j, "rps"));
        println!("  {:<40} {:<26} {:<26} {}", format!("{label}: latency p50/p99"), lat(b), lat(j), q(b, j, "p50_ms"));
        println!(
            "  {:<40} {:<26} {:<26} {}",
            format!("{label}: KV operations"),
            kv(b),
            kv(j),
            if b["kv"] == j["kv"] { "same" } else { "differ" }
        );
        println!("  {:<40} {:<26} {:<26}", format!("{label}: non-2xx answers"), b["non_2xx"].to_string(), j["non_2xx"].to_string());
        let core = |v: &Value| v["server_cpu_ms"].as_f64().map_or("n/a".into(), |x| format!("{x:.2} ms"));
        println!("  {:<40} {:<26} {:<26} {}", format!("{label}: server core per request"), core(b), core(j), q(b, j, "server_cpu_ms"));
    }
    let f = |v: &Value, k: &str, unit: &str| v[k].as_f64().map_or("n/a".into(), |x| format!("{x:.0} {unit}"));
    println!(
        "  {:<40} {:<26} {:<26}",
        "bundle, gzip (wrangler deploy --dry-run)",
        f(&wk["buoy"], "bundle_gzip_kib", "KiB"),
        f(&wk["reference"], "bundle_gzip_kib", "KiB")
    );
    println!(
        "  {:<40} {:<26} {:<26}",
        "cold start (wrangler spawn → first 200)",
        f(&wk["buoy"], "cold_start_ms", "ms"),
        f(&wk["reference"], "cold_start_ms", "ms")
    );
    let (b, j) = (&wk["buoy"]["cpu"], &wk["reference"]["cpu"]);
    println!(
        "\nCPU PER REQUEST (one request at a time on core {SERVER_CORE}, KV in the isolate's memory; median of {} runs less the median",
        b["runs"]
    );
    println!(
        "  of an unknown /v1 path: Buoy {}, reference {}; Workers' Free plan stops a request at 10 ms of CPU)",
        fmt_ms(&b["baseline_ms"]),
        fmt_ms(&j["baseline_ms"])
    );
    println!("  {:<44} {:>9} {:>9} {:>7}  KV operations (Buoy | reference)", "", "Buoy", "reference", "ratio");
    for (name, label) in ENDPOINTS {
        let cpu = |v: &Value| v[name]["cpu_ms"].as_f64().map_or("n/a".into(), |x| format!("{x:.2} ms"));
        let ratio = match (b[name]["cpu_ms"].as_f64(), j[name]["cpu_ms"].as_f64()) {
            (Some(x), Some(y)) if y > 0.0 => format!("{:.2}×", x / y),
            _ => "—".into(),
        };
        let kv = |v: &Value| match &v[name]["kv"] {
            Value::String(s) => s.clone(),
            other => format!("varied: {other}"),
        };
        let same = if wk["kv_match"][name] == true { "same" } else { "DIFFER" };
        println!("  {label:<44} {:>9} {:>9} {ratio:>7}  {same}: {} | {}", cpu(b), cpu(j), kv(b), kv(j));
    }
}

/// A size as the README gives it: one decimal under 100 KB.
fn kb_short(v: &Value) -> String {
    match v["brotli"].as_f64() {
        Some(bytes) if bytes >= 100.0 * 1024.0 => format!("{:.0} KB", bytes / 1024.0),
        Some(bytes) => format!("{:.1} KB", bytes / 1024.0),
        None => "n/a".into(),
    }
}

/// A size and its requests (`39.9 KB, 4`).
fn weight_cell(v: &Value) -> String {
    match v["requests"].as_u64() {
        Some(0) => "0 (all up front)".into(),
        Some(requests) => format!("{}, {requests}", kb_short(v)),
        None => "n/a".into(),
    }
}

/// A median in milliseconds, as the README gives it: one decimal under 10.
fn ms_short(v: &Value) -> Option<String> {
    v.as_f64().map(|ms| if ms < 10.0 { format!("{ms:.1}") } else { format!("{ms:.0}") })
}

/// The 1× and 4× medians of a figure (`44 / 79 ms`); a longest task of 0
/// (no task of 50 ms or more) is `none`.
fn pair(figure: &Value, key: &str) -> String {
    let one = |rate: &str| {
        let median = &figure[rate][key]["median"];
        match (key, median.as_f64()) {
            ("longest_task_ms", Some(0.0)) => Some("none".to_owned()),
            _ => ms_short(median),
        }
    };
    match (one("cpu1x"), one("cpu4x")) {
        (Some(a), Some(b)) => format!("{a} / {b} ms"),
        _ => "n/a".into(),
    }
}

/// A metrics call's median and range, in ms or, from a second, in s.
fn latency_cell(v: &Value) -> String {
    let (Some(m), Some(lo), Some(hi)) = (v["median"].as_f64(), v["min"].as_f64(), v["max"].as_f64()) else { return "n/a".into() };
    let runs = v["runs"].as_u64().unwrap_or(0);
    let shown = if m >= 1000.0 {
        format!("{:.2} s [{:.2}–{:.2}]", m / 1000.0, lo / 1000.0, hi / 1000.0)
    } else {
        format!("{m:.0} ms [{lo:.0}–{hi:.0}]")
    };
    if runs < RUNS as u64 {
        format!("{shown} ({runs} runs)")
    } else {
        shown
    }
}

/// The README's block of figures, written from a run's results (the
/// content of `target/bench/results.json`): the widget beside its peers,
/// the worker beside the JavaScript reference, and the metrics call.
fn readme_block(r: &Value) -> String {
    let w = &r["widgets"];
    let (rcw, ds) = (&w["react-chat-widget"], &w["docsearch"]);
    let date = r["date"].as_str().and_then(|d| d.get(..10)).unwrap_or("an unknown day");
    let mut out = format!(
        "{BENCH_BEGIN}\n<!-- Written by `cargo xtask bench` from its results; change xtask/src/bench.rs, not this block. -->\n\
         Figures of the run of {date} on a {}-core machine; browser figures are the median of {} runs in headless Chromium.\n\n",
        r["machine"]["cores"], r["runs_per_figure"]
    );
    let first_open = &r["weight"]["buoy_first_open"];
    let first_open_bytes = first_open["brotli"].as_u64().map_or("n/a".into(), thousands);
    let mut rows = vec![
        [
            "before the launcher shows (brotli, requests)".to_owned(),
            weight_cell(&w["buoy-cold"]["load"]["weight"]),
            weight_cell(&rcw["load"]["weight"]),
            weight_cell(&ds["load"]["weight"]),
        ],
        [
            "first open of the panel (brotli, requests)".to_owned(),
            format!(
                "{} ({first_open_bytes} B); in the browser, {}",
                weight_cell(first_open),
                weight_cell(&w["buoy-cold"]["open"]["weight"])
            ),
            weight_cell(&rcw["open"]["weight"]),
            weight_cell(&ds["open"]["weight"]),
        ],
    ];
    if let Some(by) = r["weight"]["buoy_first_open_by_locale"].as_object() {
        let english = first_open["brotli"].as_u64().unwrap_or(0);
        let each = by.iter().map(|(tag, v)| {
            let brotli = v["brotli"].as_u64().unwrap_or(0);
            format!("{tag} {} B (+{})", thousands(brotli), thousands(brotli.saturating_sub(english)))
        });
        rows.push([
            "first open in the other languages (brotli, over English's)".to_owned(),
            each.collect::<Vec<_>>().join("; "),
            String::new(),
            String::new(),
        ]);
    }
    if !w["buoy-cold"]["second_view"].is_null() {
        rows.push([
            "a page view with the panel opened, first / second (brotli, requests)".to_owned(),
            // Not `weight_cell`: no request on a second view is a cache at work, not "all up front".
            [&w["buoy-cold"]["first_view"]["weight"], &w["buoy-cold"]["second_view"]["weight"]]
                .map(|v| if v["requests"].as_u64() == Some(0) { "0".to_owned() } else { weight_cell(v) })
                .join(" / "),
            String::new(),
            String::new(),
        ]);
    }
    if !r["weight"]["buoy_help"].is_null() {
        // The help module fetches the index as it starts.
        let (help, index) = (&r["weight"]["buoy_help"], &r["weight"]["search_index_demo"]);
        let sum = |key: &str| help[key].as_u64().unwrap_or(0) + index[key].as_u64().unwrap_or(0);
        rows.push([
            "the help module and the demo's search index, at the first search or article".to_owned(),
            weight_cell(&json!({ "brotli": sum("brotli"), "requests": sum("requests") })),
            String::new(),
            String::new(),
        ]);
    }
    for (label, key) in [
        ("the inbox module, once the requester has a ticket or types", "buoy_inbox"),
        ("the form module, when the ticket form shows (or on intent)", "buoy_form"),
    ] {
        if !r["weight"][key].is_null() {
            rows.push([label.to_owned(), weight_cell(&r["weight"][key]), String::new(), String::new()]);
        }
    }
    for (label, key, buoy) in [
        ("script tag → launcher painted, 1× / 4× CPU", "launcher_painted_ms", "buoy"),
        ("main-thread time the loader adds, 1× / 4×", "main_thread_added_ms", "buoy"),
        ("main-thread time the first open adds (Buoy: the panel's iframe, on intent), 1× / 4×", "open_main_thread_added_ms", "buoy"),
        ("Total Blocking Time added at load, 1× / 4×", "tbt_load_added_ms", "buoy"),
        ("Total Blocking Time added by the first open, 1× / 4×", "tbt_open_added_ms", "buoy"),
        ("Interaction to Next Paint added (load and first open), 1× / 4×", "inp_added_ms", "buoy"),
        ("longest task, 1× / 4×", "longest_task_ms", "buoy"),
    ] {
        let cell = |v: &Value| {
            if key.ends_with("_added_ms") {
                match (ms_short(&v["cpu1x"][key]), ms_short(&v["cpu4x"][key])) {
                    (Some(a), Some(b)) => format!("{a} / {b} ms"),
                    _ => "n/a".into(),
                }
            } else {
                pair(v, key)
            }
        };
        rows.push([label.to_owned(), cell(&w[buoy]), cell(rcw), cell(ds)]);
    }
    let click = |v: &Value| ms_short(&v["cpu1x"]["click_to_interactive_ms"]["median"]).unwrap_or_else(|| "n/a".into());
    rows.push([
        format!("click → panel interactive, cold / preloaded on intent ({HOVER_MS} ms before the click) (1×)"),
        format!("{} / {} ms", click(&w["buoy-cold"]), click(&w["buoy"])),
        format!("{} ms", click(rcw)),
        format!("{} ms", click(ds)),
    ]);
    let keystroke = |rate: &str| ms_short(&r["search"][rate]["median"]).unwrap_or_else(|| "n/a".into());
    rows.push([
        "search per keystroke over 1,000 articles, 1× / 4×".to_owned(),
        format!("{} / {} ms", keystroke("cpu1x"), keystroke("cpu4x")),
        String::new(),
        String::new(),
    ]);
    out.push_str("| | Buoy | react-chat-widget + React | @docsearch/js |\n|---|---|---|---|\n");
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }

    out.push_str(&worker_rows(&r["workers"]));

    let m = &r["metrics"];
    if !m.is_null() {
        out.push_str(&format!(
            "\n| `GET /v1/agent/metrics`, {} days in UTC: tickets (guided fixes) | metrics call, median [min–max] | KV operations |\n|---|---|---|\n",
            m["days"]
        ));
        for size in m["sizes"].as_array().into_iter().flatten() {
            let n = |k: &str| size[k].as_u64().map_or("n/a".into(), thousands);
            out.push_str(&format!(
                "| {} ({}) | {} | {} |\n",
                n("tickets"),
                n("guided_fixes"),
                latency_cell(&size["latency_ms"]),
                n("kv_operations")
            ));
        }
    }
    out.push_str(BENCH_END);
    out
}

/// The README's worker figures of the last run before issue #18 made the
/// reference do Buoy's work (the reference then wrote 2 keys per create and
/// read no events), as it printed them: the run's day, then Buoy's,
/// the reference's and the ratio's cells (create / queue).
const BEFORE_18: [&str; 4] = ["2026-12-06", "124 / 14 req/s", "374 / 56 req/s", "0.33× / 0.26×"];

/// KV operations as the README gives them (`1 get, 5 puts, 1 list`).
fn kv_short(v: &Value) -> String {
    let Some(text) = v.as_str() else { return "n/a".into() };
    let parts: Vec<String> = text
        .split_whitespace()
        .filter_map(|pair| {
            let (kind, n) = pair.split_once('=')?;
            let n: u64 = n.parse().ok()?;
            (n > 0).then(|| format!("{n} {kind}{}", if n == 1 { "" } else { "s" }))
        })
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// The README's worker tables: throughput with the KV operations beside
/// it (and the figures from before #18), then CPU per request.
fn worker_rows(wk: &Value) -> String {
    let (b, j) = (&wk["buoy"], &wk["reference"]);
    let rps = |v: &Value| v["rps"].as_f64().map_or("n/a".into(), |x| format!("{x:.0} req/s"));
    let p50 = |v: &Value| v["p50_ms"].as_f64().map_or(String::new(), |x| format!(", p50 {x:.0} ms"));
    let times = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => String::new(),
    };
    let unit = |v: &Value, k: &str, scale: f64, digits: usize, unit: &str| {
        v[k].as_f64().map_or("n/a".into(), |x| format!("{:.digits$} {unit}", x * scale))
    };
    let same = |a: &Value, b: &Value| if a == b && a.is_string() { "same" } else { "differ" };
    let mut out = String::from(
        "\n| worker under `wrangler dev` (workerd, local KV, one core) | Buoy (Rust) | JS reference | ratio |\n|---|---|---|---|\n",
    );
    for (label, key) in [("create ticket", "create"), ("agent queue (a page of 50)", "queue")] {
        let (x, y) = (&b[key], &j[key]);
        out.push_str(&format!(
            "| {label} | {}{} | {}{} | {} |\n",
            rps(x),
            p50(x),
            rps(y),
            p50(y),
            times(x["rps"].as_f64(), y["rps"].as_f64())
        ));
        out.push_str(&format!(
            "| … its KV operations | {} | {} | {} |\n",
            kv_short(&x["kv"]),
            kv_short(&y["kv"]),
            same(&x["kv"], &y["kv"])
        ));
        // Runs before the bench measured it have no such figure.
        if x["server_cpu_ms"].is_null() && y["server_cpu_ms"].is_null() {
            continue;
        }
        out.push_str(&format!(
            "| … the server core's CPU per request (wrangler, its proxy, workerd with the KV simulator) | {} | {} | {} |\n",
            unit(x, "server_cpu_ms", 1.0, 2, "ms"),
            unit(y, "server_cpu_ms", 1.0, 2, "ms"),
            times(x["server_cpu_ms"].as_f64(), y["server_cpu_ms"].as_f64())
        ));
    }
    let [day, buoy, reference, ratio] = BEFORE_18;
    out.push_str(&format!(
        "| before #18 ({day}; the reference wrote 2 keys per create and read no events): create / queue | {buoy} | {reference} | {ratio} |\n"
    ));
    out.push_str(&format!(
        "| bundle, gzip | {} | {} | |\n",
        unit(b, "bundle_gzip_kib", 1.0, 0, "KiB"),
        unit(j, "bundle_gzip_kib", 1.0, 0, "KiB")
    ));
    out.push_str(&format!(
        "| cold start (process → first 200) | {} | {} | |\n",
        unit(b, "cold_start_ms", 0.001, 1, "s"),
        unit(j, "cold_start_ms", 0.001, 1, "s")
    ));
    let (bc, jc) = (&b["cpu"], &j["cpu"]);
    if !bc.is_null() {
        out.push_str(&format!(
            "\n| CPU per request: one at a time on one core, KV in the isolate's memory, median of {} runs less an unknown path's | Buoy (Rust) | JS reference | ratio | KV operations |\n|---|---|---|---|---|\n",
            bc["runs"]
        ));
        for (name, label) in ENDPOINTS.into_iter().filter(|(name, _)| !(bc[*name].is_null() && jc[*name].is_null())) {
            let cpu = |v: &Value| v[name]["cpu_ms"].as_f64().map_or("n/a".into(), |x| format!("{x:.2} ms"));
            let kv = if bc[name]["kv"] == jc[name]["kv"] {
                format!("{}, both", kv_short(&bc[name]["kv"]))
            } else {
                format!("Buoy {}; reference {}", kv_short(&bc[name]["kv"]), kv_short(&jc[name]["kv"]))
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {kv} |\n",
                label,
                cpu(bc),
                cpu(jc),
                times(bc[name]["cpu_ms"].as_f64(), jc[name]["cpu_ms"].as_f64())
            ));
        }
    }
    out
}

/// `readme` with its block of figures replaced by `block`.
///
/// # Errors
/// When the README has no block (both markers, in order) to replace.
fn with_block(readme: &str, block: &str) -> Result<String> {
    let start = readme.find(BENCH_BEGIN).ok_or_else(|| format!("README.md has no `{BENCH_BEGIN}` line"))?;
    let end = readme[start..]
        .find(BENCH_END)
        .map(|i| start + i + BENCH_END.len())
        .ok_or_else(|| format!("README.md has no `{BENCH_END}` after `{BENCH_BEGIN}`"))?;
    Ok(format!("{}{block}{}", &readme[..start], &readme[end..]))
}

/// Rewrites the README's block of figures from `results`, once they
/// hold a whole run (a `--metrics` run alone leaves the widget's empty).
fn write_readme(results: &Value) -> Result {
    if results["widgets"].is_null() || results["workers"].is_null() {
        println!("README.md not rewritten: these results hold no whole run (`cargo xtask bench` writes one)");
        return Ok(());
    }
    let path = crate::root().join("README.md");
    cmd::write(&path, with_block(&cmd::read(&path)?, &readme_block(results))?)?;
    println!("README.md: its figures rewritten from this run");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures of the run of 2026-12-01 as its results would hold them,
    /// with the widget weights of its three modules.
    fn a_run() -> Value {
        let w = |brotli: u64, requests: u64| json!({ "brotli": brotli, "requests": requests });
        let m = |median: f64| json!({ "median": median });
        let speed = |painted: [f64; 2], added: [f64; 2], longest: [f64; 2], click: f64| {
            json!({
                "cpu1x": { "launcher_painted_ms": m(painted[0]), "main_thread_added_ms": added[0], "longest_task_ms": m(longest[0]), "click_to_interactive_ms": m(click) },
                "cpu4x": { "launcher_painted_ms": m(painted[1]), "main_thread_added_ms": added[1], "longest_task_ms": m(longest[1]) },
            })
        };
        let mut buoy = speed([44.0, 79.0], [15.0, 58.0], [0.0, 26.0], 10.0);
        for (rate, open, tbt_load, tbt_open, inp) in [("cpu1x", 96.0, 0.0, 12.0, 24.0), ("cpu4x", 410.0, 0.0, 98.0, 72.0)] {
            buoy[rate]["open_main_thread_added_ms"] = json!(open);
            buoy[rate]["tbt_load_added_ms"] = json!(tbt_load);
            buoy[rate]["tbt_open_added_ms"] = json!(tbt_open);
            buoy[rate]["inp_added_ms"] = json!(inp);
        }
        let mut cold = speed([50.0, 90.0], [12.0, 50.0], [0.0, 20.0], 119.0);
        let mut rcw = speed([167.0, 552.0], [137.0, 541.0], [120.0, 453.0], 4.0);
        let mut ds = speed([80.0, 206.0], [47.0, 179.0], [0.0, 117.0], 24.0);
        cold["load"] = json!({ "weight": w(1843, 1) });
        cold["open"] = json!({ "weight": w(32_272, 4) });
        cold["first_view"] = json!({ "weight": w(50_278, 6) });
        cold["second_view"] = json!({ "weight": w(2_950, 1) });
        buoy["load"] = cold["load"].clone();
        (rcw["load"], rcw["open"]) = (json!({ "weight": w(166_912, 2) }), json!({ "weight": w(0, 0) }));
        (ds["load"], ds["open"]) = (json!({ "weight": w(161_792, 2) }), json!({ "weight": w(0, 0) }));
        let latency = |median: f64, min: f64, max: f64, runs: u64| json!({ "median": median, "min": min, "max": max, "runs": runs });
        json!({
            "date": "2026-12-01T09:12:00Z",
            "machine": { "cores": 2 },
            "runs_per_figure": 10,
            "weight": { "buoy_first_open": w(32_272, 4), "buoy_help": w(24_767, 2), "search_index_demo": w(7_580, 1) },
            "widgets": { "buoy": buoy, "buoy-cold": cold, "react-chat-widget": rcw, "docsearch": ds },
            "search": { "cpu1x": m(0.6), "cpu4x": m(2.9) },
            "workers": {
                "buoy": {
                    "create": { "rps": 113.0, "p50_ms": 139.0, "kv": "get=0 put=5 list=0 delete=0" },
                    "queue": { "rps": 16.4, "kv": "get=50 put=0 list=51 delete=0" },
                    "bundle_gzip_kib": 598.0, "cold_start_ms": 1400.0,
                    "cpu": { "runs": 100, "create": { "cpu_ms": 2.65, "kv": "get=0 put=5 list=0 delete=0" }, "queue": { "cpu_ms": 3.26, "kv": "get=50 put=0 list=51 delete=0" } },
                },
                "reference": {
                    "create": { "rps": 229.0, "p50_ms": 68.0, "kv": "get=0 put=5 list=0 delete=0" },
                    "queue": { "rps": 53.0, "kv": "get=50 put=0 list=1 delete=0" },
                    "bundle_gzip_kib": 3.0, "cold_start_ms": 1200.0,
                    "cpu": { "runs": 100, "create": { "cpu_ms": 1.25, "kv": "get=0 put=5 list=0 delete=0" }, "queue": { "cpu_ms": 2.37, "kv": "get=50 put=0 list=1 delete=0" } },
                },
            },
            "metrics": { "days": 90, "sizes": [
                { "tickets": 10_000, "guided_fixes": 2_000, "latency_ms": latency(654.0, 626.0, 668.0, 10), "kv_operations": 360 },
                { "tickets": 100_000, "guided_fixes": 20_000, "latency_ms": latency(6470.0, 6310.0, 6750.0, 7), "kv_operations": 450 },
            ] },
        })
    }

    const A_RUN_BLOCK: &str = "<!-- bench:begin -->
<!-- Written by `cargo xtask bench` from its results; change xtask/src/bench.rs, not this block. -->
Figures of the run of 2026-12-01 on a 2-core machine; browser figures are the median of 10 runs in headless Chromium.

| | Buoy | react-chat-widget + React | @docsearch/js |
|---|---|---|---|
| before the launcher shows (brotli, requests) | 1.8 KB, 1 | 163 KB, 2 | 158 KB, 2 |
| first open of the panel (brotli, requests) | 31.5 KB, 4 (32,272 B); in the browser, 31.5 KB, 4 | 0 (all up front) | 0 (all up front) |
| a page view with the panel opened, first / second (brotli, requests) | 49.1 KB, 6 / 2.9 KB, 1 |  |  |
| the help module and the demo's search index, at the first search or article | 31.6 KB, 3 |  |  |
| script tag → launcher painted, 1× / 4× CPU | 44 / 79 ms | 167 / 552 ms | 80 / 206 ms |
| main-thread time the loader adds, 1× / 4× | 15 / 58 ms | 137 / 541 ms | 47 / 179 ms |
| main-thread time the first open adds (Buoy: the panel's iframe, on intent), 1× / 4× | 96 / 410 ms | n/a | n/a |
| Total Blocking Time added at load, 1× / 4× | 0.0 / 0.0 ms | n/a | n/a |
| Total Blocking Time added by the first open, 1× / 4× | 12 / 98 ms | n/a | n/a |
| Interaction to Next Paint added (load and first open), 1× / 4× | 24 / 72 ms | n/a | n/a |
| longest task, 1× / 4× | none / 26 ms | 120 / 453 ms | none / 117 ms |
| click → panel interactive, cold / preloaded on intent (300 ms before the click) (1×) | 119 / 10 ms | 4.0 ms | 24 ms |
| search per keystroke over 1,000 articles, 1× / 4× | 0.6 / 2.9 ms |  |  |

| worker under `wrangler dev` (workerd, local KV, one core) | Buoy (Rust) | JS reference | ratio |
|---|---|---|---|
| create ticket | 113 req/s, p50 139 ms | 229 req/s, p50 68 ms | 0.49× |
| … its KV operations | 5 puts | 5 puts | same |
| agent queue (a page of 50) | 16 req/s | 53 req/s | 0.31× |
| … its KV operations | 50 gets, 51 lists | 50 gets, 1 list | differ |
| before #18 (2026-12-06; the reference wrote 2 keys per create and read no events): create / queue | 124 / 14 req/s | 374 / 56 req/s | 0.33× / 0.26× |
| bundle, gzip | 598 KiB | 3 KiB | |
| cold start (process → first 200) | 1.4 s | 1.2 s | |

| CPU per request: one at a time on one core, KV in the isolate's memory, median of 100 runs less an unknown path's | Buoy (Rust) | JS reference | ratio | KV operations |
|---|---|---|---|---|
| create a ticket (widget) | 2.65 ms | 1.25 ms | 2.12× | 5 puts, both |
| agent queue, a page of 50 (console) | 3.26 ms | 2.37 ms | 1.38× | Buoy 50 gets, 51 lists; reference 50 gets, 1 list |

| `GET /v1/agent/metrics`, 90 days in UTC: tickets (guided fixes) | metrics call, median [min–max] | KV operations |
|---|---|---|
| 10,000 (2,000) | 654 ms [626–668] | 360 |
| 100,000 (20,000) | 6.47 s [6.31–6.75] (7 runs) | 450 |
<!-- bench:end -->";

    #[test]
    fn the_readme_block_is_written_from_a_runs_results() {
        assert_eq!(readme_block(&a_run()), A_RUN_BLOCK);
    }

    #[test]
    fn only_the_block_of_the_readme_is_rewritten() {
        let readme = format!("# Buoy\n\n## Performance\n\nHow.\n\n{BENCH_BEGIN}\nold figures\n{BENCH_END}\n\nWhy.\n");
        assert_eq!(with_block(&readme, "NEW"), Ok("# Buoy\n\n## Performance\n\nHow.\n\nNEW\n\nWhy.\n".to_owned()));
        assert!(with_block("# Buoy\n", "NEW").is_err_and(|e| e.contains(BENCH_BEGIN)));
        assert!(with_block(&format!("{BENCH_END}\n{BENCH_BEGIN}\n"), "NEW").is_err_and(|e| e.contains(BENCH_END)));
    }

    #[test]
    fn the_readme_holds_a_block_the_bench_can_rewrite() {
        let readme = cmd::read(&crate::root().join("README.md")).unwrap_or_else(|e| unreachable!("{e}"));
        let block = readme.split_once(BENCH_BEGIN).and_then(|(_, rest)| rest.split_once(BENCH_END)).map(|(b, _)| b);
        assert!(
            block.is_some_and(|b| b.contains("| create ticket |")),
            "README.md has no block of figures between {BENCH_BEGIN} and {BENCH_END}"
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        for (n, shown) in [(0, "0"), (999, "999"), (1000, "1,000"), (120_000, "120,000"), (1_234_567, "1,234,567")] {
            assert_eq!(thousands(n), shown);
        }
    }

    #[test]
    fn fingerprints_follow_the_data() {
        assert_eq!(fingerprint(b"[]"), fingerprint(b"[]"));
        assert_ne!(fingerprint(b"[1]"), fingerprint(b"[2]"));
    }
}
