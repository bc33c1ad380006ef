//! Hostile input on every endpoint: malformed, truncated, oversized,
//! wrongly typed and deeply nested bodies, and random bytes (a bounded
//! proptest run), are all answered with a 4xx problem and a stable code —
//! never a 5xx, never a panic, and nothing stored.
#![cfg(not(target_arch = "wasm32"))]

use buoy_shared::config::{default_calendar, Config, Site};
use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::problem::Problem;
use buoy_shared::sla::AlwaysOpen;
use buoy_shared::time::Timestamp;
use buoy_worker::api::{handle, AgentToken, App};
use buoy_worker::http::{ApiRequest, ApiResponse, Method};
use buoy_worker::store::{MemoryKv, TicketStore};
use futures_executor::block_on;
use proptest::prelude::*;
use serde_json::{json, Value};

fn config() -> Config {
    let mut sites = std::collections::BTreeMap::new();
    sites.insert(
        "demo".to_owned(),
        Site {
            name: "Demo".into(),
            allowed_origins: vec!["https://app.example.com".into()],
            identity_secret: None,
            require_identity: false,
            turnstile: None,
        },
    );
    Config {
        sites,
        agents: vec![],
        calendar: default_calendar(),
        policies: Default::default(),
        routing: vec![],
        playbooks: Default::default(),
        webhooks: vec![],
    }
}

fn send(config: &Config, store: TicketStore<&MemoryKv>, request: &ApiRequest) -> ApiResponse {
    let agents =
        [AgentToken { agent: "Dana".into(), site: SiteId::parse("demo").unwrap_or_else(|e| unreachable!("{e}")), token: "tok".into() }];
    let app = App {
        config,
        business: &AlwaysOpen,
        zone: None,
        store,
        secret: Some(b"secret"),
        agents: &agents,
        identity_secrets: &[],
        turnstile: None,
        now: Timestamp::parse("2026-11-30T10:00:00Z").unwrap_or_else(|e| unreachable!("{e}")),
        fresh_id: TicketId::from_bytes([9; 16]),
    };
    block_on(handle(&app, request))
}

fn request(path: &str, headers: &[(&str, &str)], body: &[u8]) -> ApiRequest {
    ApiRequest {
        method: Method::Post,
        path: path.into(),
        query: String::new(),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body: body.to_vec(),
    }
}

/// Every endpoint that takes a body, with the credentials it needs (so the
/// body is what gets judged).
fn endpoints(id: &str, token: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    let agent = vec![("authorization", "Bearer tok".to_owned())];
    let requester = vec![("buoy-requester-token", token.to_owned())];
    vec![
        ("/v1/tickets".into(), vec![]),
        ("/v1/deflections".into(), vec![]),
        (format!("/v1/tickets/{id}/messages"), requester.clone()),
        (format!("/v1/tickets/{id}/csat"), requester),
        (format!("/v1/agent/tickets/{id}/messages"), agent.clone()),
        (format!("/v1/agent/tickets/{id}/changes"), agent.clone()),
        (format!("/v1/agent/tickets/{id}/segment"), agent),
    ]
}

fn judged(response: &ApiResponse) -> Result<(u16, String), String> {
    let body: Value = serde_json::from_slice(&response.body).map_err(|e| format!("not JSON: {e}"))?;
    let code = body["code"].as_str().unwrap_or_default().to_owned();
    if response.status >= 500 {
        return Err(format!("{} {body}", response.status));
    }
    if response.status >= 400 && Problem::parse(&code).is_none() {
        return Err(format!("{} without a known code: {body}", response.status));
    }
    Ok((response.status, code))
}

fn store_with_a_ticket(kv: &MemoryKv, config: &Config) -> (String, String) {
    let created = send(
        config,
        TicketStore::new(kv),
        &request(
            "/v1/tickets",
            &[("content-type", "application/json")],
            json!({"site": "demo", "email": "a@example.com", "type": "bug", "subject": "s", "message": "m"}).to_string().as_bytes(),
        ),
    );
    let body: Value = serde_json::from_slice(&created.body).unwrap_or_default();
    (body["id"].as_str().unwrap_or_default().to_owned(), body["requester_token"].as_str().unwrap_or_default().to_owned())
}

#[test]
fn every_endpoint_answers_bad_bodies_with_a_stable_4xx() {
    let (config, kv) = (config(), MemoryKv::default());
    let (id, token) = store_with_a_ticket(&kv, &config);
    let stored = kv.len();
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let nested_object = format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000));
    let big = format!("{{\"body\":\"{}\"}}", "x".repeat(70_000));
    let bodies: Vec<(&str, &[u8], &str, Option<&str>)> = vec![
        ("empty", b"", "application/json", Some("malformed_json")),
        ("truncated", b"{\"", "application/json", Some("malformed_json")),
        ("truncated value", b"{\"body\": \"hel", "application/json", None),
        ("not utf-8", b"\xff\xfe\xfd", "application/json", Some("malformed_json")),
        ("null", b"null", "application/json", Some("invalid_request")),
        ("array", b"[1,2,3]", "application/json", None),
        ("number", b"42", "application/json", Some("invalid_request")),
        ("wrong types", b"{\"body\": 42, \"site\": [], \"satisfied\": \"yes\", \"status\": 7, \"segment\": {}}", "application/json", None),
        ("unknown field", b"{\"__proto__\": {\"admin\": true}}", "application/json", Some("invalid_request")),
        ("deep array", deep.as_bytes(), "application/json", None),
        ("deep object", nested_object.as_bytes(), "application/json", None),
        ("oversized", big.as_bytes(), "application/json", Some("payload_too_large")),
        ("form", b"body=hi", "application/x-www-form-urlencoded", Some("unsupported_media_type")),
        ("text", b"{\"body\":\"hi\"}", "text/plain", Some("unsupported_media_type")),
    ];
    for (path, credentials) in endpoints(&id, &token) {
        for (name, body, media, want) in &bodies {
            let mut headers: Vec<(&str, &str)> = credentials.iter().map(|(n, v)| (*n, v.as_str())).collect();
            headers.push(("content-type", media));
            let response = send(&config, TicketStore::new(&kv), &request(&path, &headers, body));
            let got = judged(&response).unwrap_or_else(|e| unreachable!("{path} {name}: {e}"));
            assert!((400..500).contains(&got.0), "{path} {name}: {got:?}");
            if let Some(want) = want {
                assert_eq!(got.1, *want, "{path} {name}");
            }
        }
    }
    assert_eq!(kv.len(), stored, "no bad body stored anything");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random bytes and random JSON-looking text on every endpoint: always
    /// a problem with a known code below 500, or a success.
    #[test]
    fn random_bodies_never_get_a_5xx(
        raw in proptest::collection::vec(any::<u8>(), 0..300),
        text in "[{}\\[\\]\":,0-9a-z \\\\nulltruefalse-]{0,200}",
        endpoint in 0usize..7,
    ) {
        let (config, kv) = (config(), MemoryKv::default());
        let (id, token) = store_with_a_ticket(&kv, &config);
        let (path, credentials) = endpoints(&id, &token).swap_remove(endpoint);
        let mut headers: Vec<(&str, &str)> = credentials.iter().map(|(n, v)| (*n, v.as_str())).collect();
        headers.push(("content-type", "application/json"));
        for body in [raw.as_slice(), text.as_bytes()] {
            let response = send(&config, TicketStore::new(&kv), &request(&path, &headers, body));
            prop_assert!(judged(&response).is_ok(), "{path} {body:?}: {:?}", judged(&response));
        }
    }
}
