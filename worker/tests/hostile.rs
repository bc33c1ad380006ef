//! Hostile input on every endpoint: malformed, truncated, oversized,
//! wrongly typed and deeply nested bodies, and random bytes (a bounded
//! proptest run), are all answered with a 4xx problem and a stable code —
//! never a 5xx, never a panic, and nothing stored.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use buoy_shared::problem::Problem;
use buoy_worker::api::AgentToken;
use buoy_worker::http::{ApiResponse, Method};
use common::{request, site, str_of, Harness};
use proptest::prelude::*;
use serde_json::{json, Value};

/// One site, `demo`, and its agent (token `tok`).
fn harness() -> Harness {
    let config = common::config(&json!({ "demo": { "name": "Demo", "allowed_origins": ["https://app.example.com"] } }));
    Harness::serving(config, vec![AgentToken { agent: "Dana".into(), site: site("demo"), token: "tok".into() }])
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

fn store_with_a_ticket(h: &Harness) -> (String, String) {
    let (_, body, _) = h.send(&request(
        Method::Post,
        "/v1/tickets",
        &[("content-type", "application/json")],
        json!({"site": "demo", "email": "a@example.com", "type": "bug", "subject": "s", "message": "m"}).to_string().as_bytes(),
    ));
    (str_of(&body, "id").to_owned(), str_of(&body, "requester_token").to_owned())
}

#[test]
fn every_endpoint_answers_bad_bodies_with_a_stable_4xx() {
    let h = harness();
    let kv = h.store.kv();
    let (id, token) = store_with_a_ticket(&h);
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
            let response = h.send(&request(Method::Post, &path, &headers, body)).2;
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
        let h = harness();
        let (id, token) = store_with_a_ticket(&h);
        let (path, credentials) = endpoints(&id, &token).swap_remove(endpoint);
        let mut headers: Vec<(&str, &str)> = credentials.iter().map(|(n, v)| (*n, v.as_str())).collect();
        headers.push(("content-type", "application/json"));
        for body in [raw.as_slice(), text.as_bytes()] {
            let response = h.send(&request(Method::Post, &path, &headers, body)).2;
            prop_assert!(judged(&response).is_ok(), "{path} {body:?}: {:?}", judged(&response));
        }
    }
}
