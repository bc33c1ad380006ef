//! The worker's handlers on the host, against the memory store.

use buoy_shared::config::{Config, Site};
use buoy_shared::ids::{SiteId, TicketId};
use buoy_shared::time::Timestamp;
use buoy_worker::api::{handle, AgentToken, App};
use buoy_worker::http::{ApiRequest, ApiResponse, Method};
use buoy_worker::store::{MemoryKv, TicketStore};
use futures_executor::block_on;
use serde_json::{json, Value};

const NOW: &str = "2026-11-30T10:00:00.000Z";

struct Harness {
    config: Config,
    agents: Vec<AgentToken>,
    store: TicketStore<MemoryKv>,
    secret: Option<Vec<u8>>,
    next_id: std::cell::Cell<u8>,
    now: std::cell::Cell<i64>,
}

fn site(id: &str) -> SiteId {
    SiteId::parse(id).unwrap_or_else(|e| unreachable!("{e}"))
}

impl Harness {
    fn new() -> Self {
        let mut sites = std::collections::BTreeMap::new();
        for id in ["demo", "other"] {
            sites.insert(id.to_owned(), Site { name: id.to_owned(), allowed_origins: vec!["https://app.example.com".into()] });
        }
        Self {
            config: Config { sites, agents: vec![] },
            agents: vec![
                AgentToken { agent: "Dana".into(), site: site("demo"), token: "demo-agent-token".into() },
                AgentToken { agent: "Olly".into(), site: site("other"), token: "other-agent-token".into() },
            ],
            store: TicketStore::new(MemoryKv::default()),
            secret: Some(b"test secret".to_vec()),
            next_id: std::cell::Cell::new(1),
            now: std::cell::Cell::new(Timestamp::parse(NOW).map(Timestamp::as_millis).unwrap_or_default()),
        }
    }

    fn send(&self, request: &ApiRequest) -> (u16, Value, ApiResponse) {
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let app = App {
            config: &self.config,
            store: TicketStore::new(MemoryKvRef(&self.store)),
            secret: self.secret.as_deref(),
            agents: &self.agents,
            now: Timestamp::from_millis(self.now.get()),
            fresh_id: TicketId::from_bytes([id; 16]),
        };
        let response = block_on(handle(&app, request));
        let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        (response.status, body, response)
    }
}

/// Lets every request of a test share one store, as KV is shared.
struct MemoryKvRef<'a>(&'a TicketStore<MemoryKv>);

impl buoy_worker::store::Kv for MemoryKvRef<'_> {
    async fn get(&self, key: &str) -> Result<Option<String>, buoy_worker::store::StoreError> {
        self.0.kv().get(key).await
    }
    async fn put(&self, key: &str, value: &str) -> Result<(), buoy_worker::store::StoreError> {
        self.0.kv().put(key, value).await
    }
    async fn list(
        &self,
        prefix: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<buoy_worker::store::KeyPage, buoy_worker::store::StoreError> {
        self.0.kv().list(prefix, limit, cursor).await
    }
}

fn request(method: Method, path: &str, headers: &[(&str, &str)], body: &[u8]) -> ApiRequest {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    ApiRequest {
        method,
        path: path.into(),
        query: query.into(),
        headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        body: body.to_vec(),
    }
}

fn ticket_json() -> Value {
    json!({
        "site": "demo",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "type": "billing",
        "subject": "Charged twice",
        "message": "My card was charged twice for November.",
        "context": { "url": "https://app.example.com/billing", "locale": "en-GB" }
    })
}

fn create(h: &Harness, body: &Value, key: Option<&str>) -> (u16, Value, ApiResponse) {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    h.send(&request(Method::Post, "/v1/tickets", &headers, body.to_string().as_bytes()))
}

fn queue(h: &Harness, token: &str) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let (status, body, _) = h.send(&request(Method::Get, "/v1/agent/tickets", &[("authorization", &auth)], b""));
    (status, body)
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

#[test]
fn a_created_ticket_is_stamped_stored_and_listed_for_agents() {
    let h = Harness::new();
    let (status, created, response) = create(&h, &ticket_json(), None);
    assert_eq!(status, 201, "{created}");
    let id = str_of(&created, "id");
    assert_eq!(id.len(), 32);
    assert_eq!(str_of(&created, "reference").len(), 9);
    assert_eq!(str_of(&created, "requester_token").len(), 64);
    assert_eq!(response.header_value("location"), Some(format!("/v1/tickets/{id}").as_str()));

    let (status, page) = queue(&h, "demo-agent-token");
    assert_eq!(status, 200);
    let tickets = page["tickets"].as_array().cloned().unwrap_or_default();
    assert_eq!(tickets.len(), 1);
    let t = &tickets[0];
    assert_eq!(str_of(t, "id"), id);
    assert_eq!(str_of(t, "subject"), "Charged twice");
    assert_eq!(str_of(t, "type"), "billing");
    assert_eq!(str_of(t, "status"), "new");
    assert_eq!(str_of(t, "segment"), "free");
    assert_eq!(str_of(&t["requester"], "email"), "ada@example.com");
    assert_eq!(t["requester"]["verified"], json!(false));
    assert_eq!(str_of(&t["context"], "url"), "https://app.example.com/billing");
    assert_eq!(str_of(t, "created_at"), NOW);
    // Anonymous requesters are `free`: 24 h to first response, 72 h to resolution.
    assert_eq!(str_of(&t["sla"], "first_response"), "2026-12-01T10:00:00.000Z");
    assert_eq!(str_of(&t["sla"], "resolution"), "2026-12-03T10:00:00.000Z");
}

#[test]
fn the_requester_reads_their_ticket_only_with_its_token() {
    let h = Harness::new();
    let (_, created, _) = create(&h, &ticket_json(), None);
    let id = str_of(&created, "id");
    let token = str_of(&created, "requester_token");
    let read = |path: &str, token: Option<&str>| {
        let headers: Vec<(&str, &str)> = token.map(|t| vec![("buoy-requester-token", t)]).unwrap_or_default();
        h.send(&request(Method::Get, path, &headers, b""))
    };
    let (status, body, _) = read(&format!("/v1/tickets/{id}"), Some(token));
    assert_eq!(status, 200, "{body}");
    assert_eq!(str_of(&body, "subject"), "Charged twice");
    assert_eq!(body.get("sla"), None, "requesters do not see SLA internals");

    let other_id = "0".repeat(32);
    for (path, token) in [
        (format!("/v1/tickets/{id}"), None),
        (format!("/v1/tickets/{id}"), Some("f".repeat(64))),
        (format!("/v1/tickets/{other_id}"), Some(token.to_owned())),
        ("/v1/tickets/not-an-id".to_owned(), Some(token.to_owned())),
    ] {
        let (status, body, _) = read(&path, token.as_deref());
        assert_eq!((status, str_of(&body, "code")), (404, "not_found"), "{path} {token:?}");
    }
}

#[test]
fn agents_need_a_valid_token_and_see_only_their_site() {
    let h = Harness::new();
    let (_, created, _) = create(&h, &ticket_json(), None);
    let id = str_of(&created, "id");
    for auth in [None, Some("Bearer wrong"), Some("Bearer "), Some("Basic demo-agent-token"), Some("demo-agent-token")] {
        let headers: Vec<(&str, &str)> = auth.map(|a| vec![("authorization", a)]).unwrap_or_default();
        let (status, body, response) = h.send(&request(Method::Get, "/v1/agent/tickets", &headers, b""));
        assert_eq!((status, str_of(&body, "code")), (401, "unauthorized"), "{auth:?}");
        assert!(response.header_value("www-authenticate").is_some());
    }
    let (status, page) = queue(&h, "other-agent-token");
    assert_eq!(status, 200);
    assert_eq!(page["tickets"], json!([]));
    let detail = |token: &str| {
        let auth = format!("Bearer {token}");
        h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", &auth)], b"")).0
    };
    assert_eq!(detail("demo-agent-token"), 200);
    assert_eq!(detail("other-agent-token"), 404);
}

#[test]
fn bad_requests_get_4xx_with_a_stable_code() {
    let h = Harness::new();
    let json_headers = [("content-type", "application/json")];
    let mut deep = "[".repeat(10_000);
    deep.push_str(&"]".repeat(10_000));
    let mut with_unknown = ticket_json();
    with_unknown["segment"] = json!("enterprise");
    let mut wrong_type = ticket_json();
    wrong_type["subject"] = json!(42);
    let oversized = json!({"site": "demo", "message": "x".repeat(70_000)}).to_string();
    let cases: Vec<(&str, ApiRequest, u16, &str)> = vec![
        ("no content type", request(Method::Post, "/v1/tickets", &[], ticket_json().to_string().as_bytes()), 415, "unsupported_media_type"),
        (
            "form encoded",
            request(Method::Post, "/v1/tickets", &[("content-type", "application/x-www-form-urlencoded")], b"a=b"),
            415,
            "unsupported_media_type",
        ),
        ("malformed", request(Method::Post, "/v1/tickets", &json_headers, b"{\"site\":"), 400, "malformed_json"),
        ("not utf-8", request(Method::Post, "/v1/tickets", &json_headers, b"\xff\xfe"), 400, "malformed_json"),
        // Serde refuses the shape before it descends, so no depth reaches the stack.
        ("deep nesting", request(Method::Post, "/v1/tickets", &json_headers, deep.as_bytes()), 400, "invalid_request"),
        ("unknown field", request(Method::Post, "/v1/tickets", &json_headers, with_unknown.to_string().as_bytes()), 400, "invalid_request"),
        (
            "wrong field type",
            request(Method::Post, "/v1/tickets", &json_headers, wrong_type.to_string().as_bytes()),
            400,
            "invalid_request",
        ),
        ("array body", request(Method::Post, "/v1/tickets", &json_headers, b"[]"), 400, "invalid_request"),
        ("oversized", request(Method::Post, "/v1/tickets", &json_headers, oversized.as_bytes()), 413, "payload_too_large"),
        (
            "bad idempotency key",
            request(
                Method::Post,
                "/v1/tickets",
                &[("content-type", "application/json"), ("idempotency-key", "has space")],
                ticket_json().to_string().as_bytes(),
            ),
            400,
            "invalid_idempotency_key",
        ),
        ("unknown path", request(Method::Get, "/v1/nope", &[], b""), 404, "not_found"),
        ("wrong method", request(Method::Other, "/v1/tickets", &[], b""), 405, "method_not_allowed"),
        ("get on create", request(Method::Get, "/v1/tickets", &[], b""), 405, "method_not_allowed"),
    ];
    for (name, req, status, code) in cases {
        let (got, body, response) = h.send(&req);
        assert_eq!((got, str_of(&body, "code")), (status, code), "{name}: {body}");
        assert_eq!(response.header_value("content-type"), Some("application/problem+json"), "{name}");
    }
    assert_eq!(h.store.kv().len(), 0, "nothing was stored");
}

#[test]
fn validation_errors_name_each_field() {
    let h = Harness::new();
    let mut body = ticket_json();
    body["email"] = json!("not an email");
    body["subject"] = json!("x".repeat(201));
    body["type"] = json!("refund");
    let (status, problem, _) = create(&h, &body, None);
    assert_eq!(status, 422);
    assert_eq!(str_of(&problem, "code"), "validation_failed");
    assert_eq!(
        problem["errors"],
        json!([{"field": "email", "code": "invalid_email"}, {"field": "type", "code": "unknown_type"}, {"field": "subject", "code": "too_long"}])
    );
    body = ticket_json();
    body["site"] = json!("nowhere");
    let (status, problem, _) = create(&h, &body, None);
    assert_eq!((status, problem["errors"].clone()), (422, json!([{"field": "site", "code": "unknown_site"}])));
}

#[test]
fn a_repeated_idempotency_key_returns_the_first_ticket() {
    let h = Harness::new();
    let (first, one, _) = create(&h, &ticket_json(), Some("key-1"));
    let (second, two, response) = create(&h, &ticket_json(), Some("key-1"));
    assert_eq!((first, second), (201, 200));
    assert_eq!(one, two);
    assert_eq!(response.header_value("idempotent-replayed"), Some("true"));
    let (_, three, _) = create(&h, &ticket_json(), Some("key-2"));
    assert_ne!(str_of(&one, "id"), str_of(&three, "id"));
    let (_, page) = queue(&h, "demo-agent-token");
    assert_eq!(page["tickets"].as_array().map(Vec::len), Some(2));
}

#[test]
fn the_queue_is_sorted_by_first_response_due_and_pages() {
    let h = Harness::new();
    let mut subjects = vec![];
    for (i, hours_ago) in [1i64, 30, 5].into_iter().enumerate() {
        h.now.set(Timestamp::parse(NOW).map(Timestamp::as_millis).unwrap_or_default() - hours_ago * 3_600_000);
        let mut body = ticket_json();
        body["subject"] = json!(format!("ticket {i} from {hours_ago}h ago"));
        subjects.push(body["subject"].clone());
        assert_eq!(create(&h, &body, None).0, 201);
    }
    let (_, page) = queue(&h, "demo-agent-token");
    let order: Vec<Value> = page["tickets"].as_array().cloned().unwrap_or_default().iter().map(|t| t["subject"].clone()).collect();
    assert_eq!(order, [subjects[1].clone(), subjects[2].clone(), subjects[0].clone()]);
    assert_eq!(page["cursor"], Value::Null);

    let auth = "Bearer demo-agent-token";
    let (_, first, _) = h.send(&request(Method::Get, "/v1/agent/tickets?limit=2", &[("authorization", auth)], b""));
    assert_eq!(first["tickets"].as_array().map(Vec::len), Some(2));
    let cursor = str_of(&first, "cursor").to_owned();
    assert!(!cursor.is_empty());
    let (_, rest, _) =
        h.send(&request(Method::Get, &format!("/v1/agent/tickets?limit=2&cursor={cursor}"), &[("authorization", auth)], b""));
    assert_eq!(rest["tickets"][0]["subject"], subjects[0]);
    for bad in ["0", "101", "ten"] {
        let (status, body, _) = h.send(&request(Method::Get, &format!("/v1/agent/tickets?limit={bad}"), &[("authorization", auth)], b""));
        assert_eq!((status, str_of(&body, "code")), (400, "invalid_request"), "limit={bad}");
    }
}

#[test]
fn a_missing_server_secret_is_an_internal_error_without_detail() {
    let mut h = Harness::new();
    h.secret = None;
    let (status, body, _) = create(&h, &ticket_json(), None);
    assert_eq!((status, str_of(&body, "code")), (500, "internal"));
    assert_eq!(body.get("detail"), None);
    assert!(!body.to_string().contains("BUOY_SECRET"));
}
