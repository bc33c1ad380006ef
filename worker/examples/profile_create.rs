//! Profiles `POST /v1/tickets` on the host build of the handlers: the
//! worker's own `api::handle` with the compiled-in configuration and its
//! business calendar, against the memory store, many times over, and
//! prints the time per request. Run it under `perf record` to see which
//! part of create spends the time:
//!
//! ```text
//! cargo run --release -p buoy-worker --example profile_create -- 20000
//! perf record -g target/release/examples/profile_create 20000
//! ```
//!
//! The body is the one `xtask/bench/reference/cpu.mjs` sends.

use buoy_shared::ids::TicketId;
use buoy_shared::time::Timestamp;
use buoy_worker::api::{handle, App};
use buoy_worker::http::{ApiRequest, Method};
use buoy_worker::store::{MemoryKv, TicketStore};
#[cfg(not(target_arch = "wasm32"))]
use std::io::Write;
#[cfg(not(target_arch = "wasm32"))]
use std::time::Instant;

const BODY: &str = r#"{"site":"demo","name":"Ada Lovelace","email":"ada@example.com","type":"billing","subject":"Charged twice for November","message":"My card was charged twice for the November invoice. Could you refund one of the charges? The invoice number is INV-2026-1130.","context":{"url":"https://app.example.com/billing","locale":"en-GB","time_zone":"Europe/London"}}"#;

fn main() -> Result<(), String> {
    let runs: u32 = std::env::args().nth(1).map_or(Ok(10_000), |n| n.parse()).map_err(|e| format!("runs: {e}"))?;
    let (config, business) = buoy_worker::config()?;
    let kv = MemoryKv::default();
    let request = ApiRequest {
        method: Method::Post,
        path: "/v1/tickets".into(),
        query: String::new(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: BODY.as_bytes().to_vec(),
    };
    let start = Timestamp::parse("2026-11-30T10:00:00.000Z").map_err(|e| e.to_string())?;
    // wasm32-unknown-unknown has no clock: there the caller times `main`.
    #[cfg(not(target_arch = "wasm32"))]
    let began = Instant::now();
    for run in 0..runs {
        let mut fresh = [0u8; 16];
        fresh[..4].copy_from_slice(&run.to_be_bytes());
        let app = App {
            config,
            business,
            zone: Some(business.default_calendar().zone()),
            store: TicketStore::new(&kv),
            secret: Some(b"profile secret"),
            agents: &[],
            identity_secrets: &[],
            turnstile: None,
            now: Timestamp::from_millis(start.as_millis() + i64::from(run)),
            fresh_id: TicketId::from_bytes(fresh),
            origin: "https://support.example",
            files: None,
            rooms: None,
            words: None,
            access: None,
            articles: None,
        };
        let response = futures_executor::block_on(handle(&app, &request));
        if response.status != 201 {
            return Err(format!("create answered {}: {}", response.status, String::from_utf8_lossy(&response.body)));
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let per = began.elapsed().as_secs_f64() * 1000.0 / f64::from(runs.max(1));
        writeln!(std::io::stdout(), "create: {runs} runs, {per:.4} ms per request (host, memory store)").map_err(|e| e.to_string())?;
    }
    Ok(())
}
