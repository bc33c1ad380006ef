//! The development stats path: the wasm memory where `cargo xtask dev`
//! or the bench turns it on, and an unknown path (404) anywhere else.

use buoy_worker::{dev_stats, wasm_memory_bytes};

#[test]
fn development_stats_answer_the_wasm_memory_only_where_turned_on() {
    let on = dev_stats(true);
    assert_eq!(on.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&on.body).unwrap_or_default();
    assert_eq!(body["wasm_memory_bytes"].as_u64(), Some(wasm_memory_bytes() as u64));
    assert!(on.headers.iter().any(|(name, value)| *name == "cache-control" && value == "no-store"));

    let off = dev_stats(false);
    assert_eq!(off.status, 404, "a production deploy answers it as an unknown path");
    assert!(!String::from_utf8_lossy(&off.body).contains("wasm_memory"));
}
