//! The worker's handlers on the host, against the memory store.

mod common;

use buoy_shared::sla::AlwaysOpen;
use buoy_shared::time::Timestamp;
use buoy_worker::api::{AgentToken, Siteverify, TurnstileCheck};
use buoy_worker::http::{ApiRequest, ApiResponse, Method};
use common::{request, site, str_of, NOW};
use futures_executor::block_on;
use serde_json::{json, Value};

/// The shared harness on three sites: `demo` verifies identities,
/// `guarded` checks Turnstile (against [`FakeSiteverify`]), `other` does
/// neither; each has an agent.
struct Harness {
    base: common::Harness,
    siteverify: FakeSiteverify,
}

impl std::ops::Deref for Harness {
    type Target = common::Harness;

    fn deref(&self) -> &common::Harness {
        &self.base
    }
}

impl std::ops::DerefMut for Harness {
    fn deref_mut(&mut self) -> &mut common::Harness {
        &mut self.base
    }
}

impl Harness {
    fn new() -> Self {
        let origins = json!(["https://app.example.com"]);
        let config = common::config(&json!({
            "demo": { "name": "demo", "allowed_origins": origins, "identity_secret": "BUOY_IDENTITY_SECRET" },
            "other": { "name": "other", "allowed_origins": origins },
            "guarded": {
                "name": "guarded",
                "allowed_origins": origins,
                "turnstile": { "site_key": "0x4AAAAtest", "secret": "BUOY_TURNSTILE_SECRET" },
            },
        }));
        let agents = vec![
            AgentToken { agent: "Dana".into(), site: site("demo"), token: "demo-agent-token".into() },
            AgentToken { agent: "Olly".into(), site: site("other"), token: "other-agent-token".into() },
            AgentToken { agent: "Gus".into(), site: site("guarded"), token: "guarded-agent-token".into() },
        ];
        Self { base: common::Harness::serving(config, agents), siteverify: FakeSiteverify::default() }
    }

    fn send(&self, request: &ApiRequest) -> (u16, Value, ApiResponse) {
        let secrets = [("BUOY_TURNSTILE_SECRET".to_owned(), "turnstile secret".to_owned())];
        let turnstile = TurnstileCheck { verify_url: "https://verify.test/siteverify", secrets: &secrets, client: &self.siteverify };
        self.base.send_with(Some(&turnstile), request)
    }
}

/// Turnstile's `siteverify` on the host: tokens it issued (with the
/// hostname and action they were solved for) are good once; it records
/// every form it was posted. `down` makes it unreachable.
#[derive(Default)]
struct FakeSiteverify {
    issued: std::cell::RefCell<Vec<(String, String, String)>>,
    posted: std::cell::RefCell<Vec<String>>,
    down: std::cell::Cell<bool>,
}

impl FakeSiteverify {
    fn issue(&self, token: &str, hostname: &str, action: &str) {
        self.issued.borrow_mut().push((token.into(), hostname.into(), action.into()));
    }
}

impl Siteverify for FakeSiteverify {
    fn post<'a>(&'a self, url: &'a str, form: String) -> futures_util::future::LocalBoxFuture<'a, Result<Vec<u8>, String>> {
        Box::pin(async move {
            assert_eq!(url, "https://verify.test/siteverify");
            self.posted.borrow_mut().push(form.clone());
            if self.down.get() {
                return Err("connection refused".into());
            }
            let field = |name: &str| form.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('=')).unwrap_or("").to_owned();
            let mut issued = self.issued.borrow_mut();
            let answer = match issued.iter().position(|(t, _, _)| *t == field("response")) {
                Some(i) if field("secret") == "turnstile+secret" => {
                    let (_, hostname, action) = issued.remove(i);
                    json!({ "success": true, "hostname": hostname, "action": action, "error-codes": [] })
                }
                _ => json!({ "success": false, "error-codes": ["invalid-input-response"] }),
            };
            Ok(answer.to_string().into_bytes())
        })
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
    let row = &tickets[0];
    assert_eq!(str_of(row, "id"), id);
    assert_eq!(str_of(row, "reference"), str_of(&created, "reference"));
    assert_eq!(str_of(row, "subject"), "Charged twice");
    assert_eq!(str_of(row, "requester"), "Ada Lovelace", "the name to show, typed here");
    assert_eq!(str_of(row, "type"), "billing");
    assert_eq!(str_of(&row["state"], "status"), "new");
    assert_eq!(str_of(&row["state"], "segment"), "free");
    assert_eq!(str_of(row, "created_at"), NOW);
    assert_eq!(str_of(row, "last_public_at"), NOW, "the first message");
    assert_eq!(str_of(row, "as_of"), NOW);
    assert_eq!(row.get("events"), None, "a queue row carries no events: the agent opens the ticket for them");
    // Anonymous requesters are `free`: 24 h to first response, 72 h to resolution.
    let due = |t: &Value, metric: &str| {
        let clock = t["clocks"].as_array().and_then(|c| c.iter().find(|c| c["metric"] == metric).cloned()).unwrap_or_default();
        (str_of(&clock, "state").to_owned(), str_of(&clock, "due").to_owned(), clock["remaining_seconds"].clone())
    };
    assert_eq!(due(row, "first_response"), ("active".into(), "2026-12-01T10:00:00.000Z".into(), json!(86_400)));
    assert_eq!(due(row, "resolution"), ("active".into(), "2026-12-03T10:00:00.000Z".into(), json!(259_200)));
    assert_eq!(str_of(row, "next_due"), "2026-12-01T10:00:00.000Z");
    assert_eq!(row["state"]["tier"], json!(1));
    assert_eq!(row["breached"], json!(false));

    let (status, t, _) =
        h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", "Bearer demo-agent-token")], b""));
    assert_eq!(status, 200);
    assert_eq!(str_of(&t, "status"), "new");
    assert_eq!(t["requester"], json!({ "typed": { "name": "Ada Lovelace", "email": "ada@example.com" } }), "typed, nothing signed");
    assert_eq!(str_of(&t["context"], "url"), "https://app.example.com/billing");
    assert_eq!(str_of(&t["sla"], "segment"), "free");
    assert_eq!(
        (due(&t, "first_response"), due(&t, "resolution")),
        (due(row, "first_response"), due(row, "resolution")),
        "the row's clocks are the ticket's"
    );
    assert_eq!(t["events"], json!([]));
}

#[test]
fn a_created_ticket_says_when_a_first_reply_is_due_in_the_requesters_language_and_zone() {
    let h = Harness::new();
    let mut body = ticket_json();
    body["context"] = json!({ "locale": "de", "time_zone": "America/New_York" });
    let (status, created, _) = create(&h, &body, None);
    assert_eq!(status, 201, "{created}");
    // Anonymous (free), normal: 24 business hours, counted here around the clock.
    assert_eq!(str_of(&created, "first_response_due"), "2026-12-01T10:00:00.000Z");
    assert_eq!((str_of(&created, "first_response_hours"), &created["first_response_seconds"]), ("business", &json!(86_400)));
    // 10:00 UTC is 05:00 in New York, said in German.
    assert_eq!(
        str_of(&created, "first_response_line"),
        "Wir antworten meist innerhalb von 24 Geschäftsstunden – bis Dienstag, 1. Dezember 2026, 05:00 Uhr EST."
    );
    // Without the requester's zone, the calendar's (UTC here), named; in the site's language.
    body["context"] = json!({ "time_zone": "Not/AZone" });
    let (_, plain, _) = create(&h, &body, None);
    assert_eq!(str_of(&plain, "first_response_line"), "We usually reply within 24 business hours — by Tuesday 1 December 2026, 10:00 UTC.");
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
    // The same key with another body is refused, and the first ticket stays as it was.
    let mut edited = ticket_json();
    edited["message"] = json!("Something else entirely.");
    let (status, problem, _) = create(&h, &edited, Some("key-1"));
    assert_eq!((status, str_of(&problem, "code")), (422, "idempotency_key_reused"));
    // After 24 hours the key no longer replays.
    h.now.set(h.now.get() + 24 * 3600 * 1000 + 1);
    let (status, problem, _) = create(&h, &ticket_json(), Some("key-1"));
    assert_eq!((status, str_of(&problem, "code")), (422, "idempotency_key_expired"));
    let (_, page) = queue(&h, "demo-agent-token");
    assert_eq!(page["tickets"].as_array().map(Vec::len), Some(2), "nothing was created or overwritten");
}

#[test]
fn the_queue_is_sorted_by_time_to_the_next_breach_and_pages() {
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
fn a_turnstile_site_stores_a_ticket_only_for_a_fresh_token_for_this_host_and_action() {
    let h = Harness::new();
    let body = json!({ "site": "guarded", "email": "ada@example.com", "type": "bug", "subject": "Broken", "message": "Help." });
    let send = |token: Option<&str>, host: &str, key: &str| {
        let mut headers =
            vec![("content-type", "application/json"), ("host", host), ("idempotency-key", key), ("cf-connecting-ip", "203.0.113.7")];
        if let Some(token) = token {
            headers.push(("buoy-turnstile", token));
        }
        h.send(&request(Method::Post, "/v1/tickets", &headers, body.to_string().as_bytes()))
    };
    let refused = |(status, body, _): (u16, Value, ApiResponse)| (status, str_of(&body, "code").to_owned());
    let failed = (403, "turnstile_failed".to_owned());
    // No token, a token nobody issued, one solved on another host or for another action.
    assert_eq!(refused(send(None, "help.example.com", "k1")), failed);
    assert_eq!(refused(send(Some("with space"), "help.example.com", "k1")), failed);
    assert!(h.siteverify.posted.borrow().is_empty(), "an impossible token never costs a call");
    assert_eq!(refused(send(Some("forged"), "help.example.com", "k1")), failed);
    h.siteverify.issue("elsewhere", "evil.example", "ticket");
    assert_eq!(refused(send(Some("elsewhere"), "help.example.com:443", "k1")), failed);
    h.siteverify.issue("login", "help.example.com", "login");
    assert_eq!(refused(send(Some("login"), "help.example.com", "k1")), failed);
    // Unreachable: a 503 the panel retries, never a 5xx without a code.
    h.siteverify.down.set(true);
    h.siteverify.issue("good", "help.example.com", "ticket");
    assert_eq!(refused(send(Some("good"), "help.example.com", "k1")), (503, "turnstile_unavailable".to_owned()));
    h.siteverify.down.set(false);
    let (_, queued) = queue(&h, "guarded-agent-token");
    assert_eq!(queued["tickets"].as_array().map(Vec::len), Some(0), "nothing stored for a refusal");
    // A good token, solved here for this action: stored once, with the secret and the client's address sent along.
    let (status, first, _) = send(Some("good"), "help.example.com:8787", "k1");
    assert_eq!(status, 201, "{first}");
    assert_eq!(h.siteverify.posted.borrow().last().map(String::as_str), Some("secret=turnstile+secret&response=good&remoteip=203.0.113.7"));
    // The same key again (a retry whose answer was lost) is replayed without a new check…
    let calls = h.siteverify.posted.borrow().len();
    let (status, again, _) = send(None, "help.example.com", "k1");
    assert_eq!((status, str_of(&again, "id")), (200, str_of(&first, "id")));
    assert_eq!(h.siteverify.posted.borrow().len(), calls);
    // …but the used token does not make a second ticket: tokens are single-use.
    assert_eq!(refused(send(Some("good"), "help.example.com", "k2")), failed);
    let (_, queued) = queue(&h, "guarded-agent-token");
    assert_eq!(queued["tickets"].as_array().map(Vec::len), Some(1));
    // Sites without Turnstile never call it.
    let calls = h.siteverify.posted.borrow().len();
    assert_eq!(create(&h, &ticket_json(), None).0, 201);
    assert_eq!(h.siteverify.posted.borrow().len(), calls);
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

/// A delivery as received: URL, headers, body.
type Delivery = (String, Vec<(String, String)>, String);

/// Records webhook deliveries; fails while `fail` is set.
#[derive(Default)]
struct Receiver {
    fail: std::cell::Cell<bool>,
    got: std::cell::RefCell<Vec<Delivery>>,
}

impl buoy_worker::sweep::Outbound for Receiver {
    async fn post(&self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String> {
        if self.fail.get() {
            return Err("connection refused".into());
        }
        let headers = headers.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect();
        self.got.borrow_mut().push((url.to_owned(), headers, body.to_owned()));
        Ok(204)
    }
}

fn sweep_at(h: &Harness, receiver: &Receiver, at: &str) -> buoy_worker::sweep::Report {
    sweep_within(h, receiver, at, buoy_shared::budget::Plan::Free.limits())
}

/// A sweep run at `at` within `limits`.
fn sweep_within(h: &Harness, receiver: &Receiver, at: &str, limits: buoy_shared::budget::Limits) -> buoy_worker::sweep::Report {
    use buoy_shared::config::{Format, WebhookConfig};
    // The configured webhooks, or one that wants every event.
    let every = [WebhookConfig { url_secret: "U".into(), signing_secret: "S".into(), events: vec![], format: Format::Json }];
    let configs = if h.config.webhooks.is_empty() { &every[..] } else { &h.config.webhooks[..] };
    let hooks: Vec<_> = configs
        .iter()
        .enumerate()
        .map(|(index, config)| buoy_worker::sweep::Hook { index, config, url: "http://127.0.0.1:9/hook".into(), secret: "whsec".into() })
        .collect();
    let run = buoy_worker::sweep::Sweep {
        store: &h.store,
        outbound: receiver,
        config: &h.config,
        business: &AlwaysOpen,
        hooks: &hooks,
        now: Timestamp::parse(at).unwrap_or_else(|e| unreachable!("{e}")),
        mail: h.secret.as_deref().map(|secret| buoy_worker::mail_out::Links { secret, origin: common::ORIGIN }),
    };
    block_on(run.run_within(limits)).unwrap_or_else(|e| unreachable!("{e:?}"))
}

fn with_outage_playbook(h: &mut Harness) {
    h.config.playbooks = serde_json::from_value(json!({
        "outage": { "escalate": [{ "tier": 2, "notify": true, "reason": "Outage reported" }] }
    }))
    .unwrap_or_else(|e| unreachable!("{e}"));
}

#[test]
fn the_sweep_records_breaches_and_escalations_once_and_signs_webhooks() {
    let mut h = Harness::new();
    with_outage_playbook(&mut h);
    let mut body = ticket_json();
    body["type"] = json!("outage");
    let (_, created, _) = create(&h, &body, None);
    let id = str_of(&created, "id").to_owned();
    let auth = "Bearer demo-agent-token";

    // At once (the next minute's sweep): the outage escalates to tier 2.
    let receiver = Receiver::default();
    let report = sweep_at(&h, &receiver, "2026-11-30T10:01:00Z");
    assert_eq!((report.recorded, report.delivered), (1, 1));
    let (_, view, _) = h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", auth)], b""));
    assert_eq!(view["state"]["tier"], json!(2));
    assert_eq!(view["events"][0]["kind"], json!("escalated"));
    assert_eq!(view["events"][0]["reason"], json!("Outage reported"));
    assert_eq!(view["events"][0]["at"], json!(NOW));

    // 25 h later the free ticket's first response (24 h) has breached:
    // recorded at its due time, one webhook, signed over "t.body".
    let report = sweep_at(&h, &receiver, "2026-12-01T11:00:00Z");
    assert_eq!((report.recorded, report.delivered), (1, 1));
    let (url, headers, body) = receiver.got.borrow()[1].clone();
    assert_eq!(url, "http://127.0.0.1:9/hook");
    let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let event: Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(event["type"], json!("sla.breached"));
    assert_eq!(event["data"]["event"]["metric"], json!("first_response"));
    assert_eq!(event["data"]["event"]["at"], json!("2026-12-01T10:00:00.000Z"));
    assert_eq!(header("buoy-event-id"), format!("{id}.breach-first_response-0"));
    let t = "1796122800";
    assert_eq!(header("buoy-signature"), buoy_shared::keys::webhook_signature(b"whsec", t.parse().unwrap_or_default(), &body));
    assert!(header("buoy-signature").starts_with(&format!("t={t},v1=")));

    // A second run at the same instant changes nothing and sends nothing.
    let before = h.store.kv().len();
    let report = sweep_at(&h, &receiver, "2026-12-01T11:00:00Z");
    assert_eq!((report.recorded, report.delivered), (0, 0));
    assert_eq!(h.store.kv().len(), before);
    assert_eq!(receiver.got.borrow().len(), 2);
}

#[test]
fn a_failing_receiver_is_retried_with_backoff_and_loses_nothing() {
    let mut h = Harness::new();
    with_outage_playbook(&mut h);
    let mut body = ticket_json();
    body["type"] = json!("outage");
    create(&h, &body, None);
    let receiver = Receiver::default();
    receiver.fail.set(true);
    let report = sweep_at(&h, &receiver, "2026-11-30T10:01:00Z");
    assert_eq!((report.recorded, report.delivered, report.retrying), (1, 0, 1));
    assert_eq!(h.store.kv().keys("o/").len(), 1, "queued for a retry in a minute");
    // Not yet due.
    assert_eq!(sweep_at(&h, &receiver, "2026-11-30T10:01:30Z").retrying, 0);
    receiver.fail.set(false);
    let report = sweep_at(&h, &receiver, "2026-11-30T10:02:00Z");
    assert_eq!((report.delivered, report.retrying), (1, 0));
    assert!(h.store.kv().keys("o/").is_empty());
    let delivered: Value = serde_json::from_str(&receiver.got.borrow()[0].2).unwrap_or_default();
    assert_eq!(delivered["type"], json!("ticket.escalated"));
}

#[test]
fn an_agent_sets_the_segment_and_the_sla_is_restamped() {
    let h = Harness::new();
    let (_, created, _) = create(&h, &ticket_json(), None);
    let id = str_of(&created, "id");
    let path = format!("/v1/agent/tickets/{id}/segment");
    let set = |token: &str, body: &str| {
        let auth = format!("Bearer {token}");
        h.send(&request(Method::Post, &path, &[("authorization", &auth), ("content-type", "application/json")], body.as_bytes()))
    };
    let (status, view, _) = set("demo-agent-token", r#"{"segment":"enterprise"}"#);
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["state"]["segment"], json!("enterprise"));
    let first = view["clocks"].as_array().and_then(|c| c.iter().find(|c| c["metric"] == "first_response").cloned()).unwrap_or_default();
    // Enterprise: 1 h from receipt, in calendar hours.
    assert_eq!(first["due"], json!("2026-11-30T11:00:00.000Z"));
    assert_eq!(view["events"][0]["kind"], json!("segment_changed"));
    assert_eq!(view["events"][0]["by"], json!("Dana"));
    assert_eq!(set("other-agent-token", r#"{"segment":"enterprise"}"#).0, 404, "another site's agent");
    assert_eq!(set("demo-agent-token", r#"{"segment":"vip"}"#).0, 400);
    assert_eq!(set("nobody", r#"{"segment":"free"}"#).0, 401);
}

#[test]
fn guided_fix_outcomes_are_recorded() {
    let h = Harness::new();
    let post = |body: &str| h.send(&request(Method::Post, "/v1/deflections", &[("content-type", "application/json")], body.as_bytes()));
    let (status, body, _) = post(r#"{"site":"demo","type":"password_reset","outcome":"fixed"}"#);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["outcome"], json!("fixed"));
    assert_eq!(post(r#"{"site":"demo","type":"password_reset","outcome":"need_help"}"#).0, 201);
    assert_eq!(h.store.kv().keys("x/demo/").len(), 2);
    let (status, problem, _) = post(r#"{"site":"nowhere","type":"bug","outcome":"fixed"}"#);
    assert_eq!((status, problem["errors"][0]["field"].clone()), (422, json!("site")));
    assert_eq!(post(r#"{"site":"demo","type":"bug","outcome":"maybe"}"#).0, 422);
    assert_eq!(post(r#"{"site":"demo","type":"bug","outcome":"fixed","extra":1}"#).0, 400);
}

#[test]
fn a_conversation_moves_status_and_clocks_and_the_requester_sees_the_public_thread() {
    let h = Harness::new();
    let (_, created, _) = create(&h, &ticket_json(), None);
    let (id, token) = (str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned());
    let agent = |path: &str, body: &str| {
        h.send(&request(
            Method::Post,
            &format!("/v1/agent/tickets/{id}/{path}"),
            &[("authorization", "Bearer demo-agent-token"), ("content-type", "application/json")],
            body.as_bytes(),
        ))
    };
    let requester = |method: Method, body: &str| {
        let path = if method == Method::Post { format!("/v1/tickets/{id}/messages") } else { format!("/v1/tickets/{id}") };
        h.send(&request(method, &path, &[("buoy-requester-token", &token), ("content-type", "application/json")], body.as_bytes()))
    };
    let clock = |view: &Value, metric: &str| {
        view["clocks"].as_array().and_then(|c| c.iter().find(|c| c["metric"] == metric).cloned()).unwrap_or_default()
    };

    let (status, view, _) = agent("messages", r#"{"body":"Internal: check Stripe","public":false}"#);
    assert_eq!((status, view["state"]["status"].clone()), (201, json!("new")), "a note changes nothing");
    let (status, view, _) = agent("messages", r#"{"body":"We refunded the second charge."}"#);
    assert_eq!(status, 201);
    assert_eq!(view["state"]["status"], json!("open"));
    assert_eq!(clock(&view, "first_response")["state"], json!("met"));

    let (status, view, _) = agent("changes", r#"{"status":"pending","tier":2,"tags":["billing","refund"]}"#);
    assert_eq!(status, 200, "{view}");
    assert_eq!((view["state"]["status"].clone(), view["state"]["tier"].clone()), (json!("pending"), json!(2)));
    assert_eq!(clock(&view, "resolution")["state"], json!("paused"));

    let (status, thread, _) = requester(Method::Post, r#"{"body":"Thanks, I see it."}"#);
    assert_eq!(status, 201, "{thread}");
    assert_eq!(thread["status"], json!("open"), "the requester's answer reopens a pending ticket");
    let from: Vec<Value> = thread["messages"].as_array().cloned().unwrap_or_default().iter().map(|m| m["from"].clone()).collect();
    assert_eq!(from, [json!("Dana"), json!("you")], "internal notes stay internal");
    let (_, read, _) = requester(Method::Get, "");
    assert_eq!(read["messages"][0]["body"], json!("We refunded the second charge."));

    for (path, body, status, code) in [
        ("changes", "{}", 400, "invalid_request"),
        ("changes", r#"{"tier":4}"#, 422, "validation_failed"),
        ("changes", r#"{"assignee":"Nobody"}"#, 422, "validation_failed"),
        ("changes", r#"{"status":"archived"}"#, 400, "invalid_request"),
        ("messages", r#"{"body":"   "}"#, 422, "validation_failed"),
    ] {
        let (got, problem, _) = agent(path, body);
        assert_eq!((got, str_of(&problem, "code")), (status, code), "{path} {body}");
    }
    let other = h.send(&request(
        Method::Post,
        &format!("/v1/agent/tickets/{id}/messages"),
        &[("authorization", "Bearer other-agent-token"), ("content-type", "application/json")],
        br#"{"body":"hi"}"#,
    ));
    assert_eq!(other.0, 404, "another site's agent");
    let wrong = h.send(&request(
        Method::Post,
        &format!("/v1/tickets/{id}/messages"),
        &[("buoy-requester-token", "nope"), ("content-type", "application/json")],
        br#"{"body":"hi"}"#,
    ));
    assert_eq!(wrong.0, 404);
}

#[test]
fn new_tickets_messages_and_changes_reach_webhooks_through_the_outbox() {
    use buoy_shared::config::{Format, WebhookConfig};
    let mut h = Harness::new();
    h.config.webhooks = vec![WebhookConfig { url_secret: "U".into(), signing_secret: "S".into(), events: vec![], format: Format::Json }];
    let (_, created, _) = create(&h, &ticket_json(), None);
    let id = str_of(&created, "id").to_owned();
    assert_eq!(h.store.kv().keys("o/").len(), 1, "queued, not sent during the request");
    let reply = h.send(&request(
        Method::Post,
        &format!("/v1/agent/tickets/{id}/messages"),
        &[("authorization", "Bearer demo-agent-token"), ("content-type", "application/json")],
        br#"{"body":"On it."}"#,
    ));
    assert_eq!(reply.0, 201);
    let receiver = Receiver::default();
    let report = sweep_at(&h, &receiver, "2026-11-30T10:01:00Z");
    assert_eq!(report.delivered, 2);
    let got: Vec<Value> = receiver.got.borrow().iter().map(|(_, _, body)| serde_json::from_str(body).unwrap_or_default()).collect();
    let kinds: Vec<&str> = got.iter().map(|b| str_of(b, "type")).collect();
    assert!(kinds.contains(&"ticket.created") && kinds.contains(&"message.created"), "{kinds:?}");
    let created_event = got.iter().find(|b| b["type"] == "ticket.created").cloned().unwrap_or_default();
    assert_eq!(created_event["id"], json!(format!("{id}.created")));
    assert_eq!(created_event["data"]["ticket"]["subject"], json!("Charged twice"));
    assert!(h.store.kv().keys("o/").is_empty());
}

#[test]
fn an_unreadable_record_is_skipped_not_fatal() {
    use buoy_worker::store::Kv;
    let h = Harness::new();
    create(&h, &ticket_json(), None);
    let bad = "ab".repeat(16);
    block_on(h.store.kv().put(&format!("t/{bad}"), r#"{"an":"older format"}"#, None)).unwrap_or_else(|e| unreachable!("{e:?}"));
    block_on(h.store.kv().put(&format!("q/demo/000000000000001/{bad}"), "", None)).unwrap_or_else(|e| unreachable!("{e:?}"));
    block_on(h.store.kv().put(&format!("d/000000000000001/{bad}"), "", None)).unwrap_or_else(|e| unreachable!("{e:?}"));
    let (status, page) = queue(&h, "demo-agent-token");
    assert_eq!(status, 200);
    assert_eq!(page["tickets"].as_array().map(Vec::len), Some(1), "the readable ticket is still listed");
    let report = sweep_at(&h, &Receiver::default(), "2026-11-30T10:01:00Z");
    assert!(report.checked >= 1);
    assert!(!h.store.kv().keys("d/").iter().any(|k| k.ends_with(&bad)), "its check is dropped");
}

/// An agent call on a ticket: `POST /v1/agent/tickets/{id}/{path}`.
fn agent_post(h: &Harness, token: &str, id: &str, path: &str, body: &str) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let (status, body, _) = h.send(&request(
        Method::Post,
        &format!("/v1/agent/tickets/{id}/{path}"),
        &[("authorization", &auth), ("content-type", "application/json")],
        body.as_bytes(),
    ));
    (status, body)
}

/// A requester call with their token: `GET /v1/tickets/{id}` or `POST /v1/tickets/{id}/{path}`.
fn requester_call(h: &Harness, token: &str, id: &str, path: Option<&str>, body: &str) -> (u16, Value) {
    let (method, url) = match path {
        Some(path) => (Method::Post, format!("/v1/tickets/{id}/{path}")),
        None => (Method::Get, format!("/v1/tickets/{id}")),
    };
    let (status, body, _) =
        h.send(&request(method, &url, &[("buoy-requester-token", token), ("content-type", "application/json")], body.as_bytes()));
    (status, body)
}

#[test]
fn a_solved_ticket_is_rated_once_and_the_rating_reaches_agents_and_webhooks() {
    use buoy_shared::config::{Format, WebhookConfig};
    let mut h = Harness::new();
    h.config.webhooks = vec![
        WebhookConfig { url_secret: "U".into(), signing_secret: "S".into(), events: vec!["csat.submitted".into()], format: Format::Json },
        WebhookConfig { url_secret: "U".into(), signing_secret: "S".into(), events: vec!["csat.submitted".into()], format: Format::Slack },
    ];
    let (_, created, _) = create(&h, &ticket_json(), None);
    let (id, token) = (str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned());
    let rate = |body: &str| requester_call(&h, &token, &id, Some("csat"), body);

    let (status, problem) = rate(r#"{"satisfied":true}"#);
    assert_eq!((status, str_of(&problem, "code")), (409, "not_solved"), "an open ticket is not rated");
    assert_eq!(agent_post(&h, "demo-agent-token", &id, "changes", r#"{"status":"solved"}"#).0, 200);
    for (body, status, code) in [
        (r#"{"satisfied":"yes"}"#, 400, "invalid_request"),
        (r#"{"comment":"no verdict"}"#, 400, "invalid_request"),
        (r#"{"satisfied":true,"stars":5}"#, 400, "invalid_request"),
    ] {
        let (got, problem) = rate(body);
        assert_eq!((got, str_of(&problem, "code")), (status, code), "{body}");
    }
    let (status, problem) = requester_call(&h, "wrong-token", &id, Some("csat"), r#"{"satisfied":true}"#);
    assert_eq!((status, str_of(&problem, "code")), (404, "not_found"), "another requester cannot rate it");

    let (status, thread) = rate(r#"{"satisfied":false,"comment":"  Took two days. "}"#);
    assert_eq!(status, 201, "{thread}");
    assert_eq!(thread["csat"]["satisfied"], json!(false));
    assert_eq!(thread["csat"]["comment"], json!("Took two days."));
    let (status, problem) = rate(r#"{"satisfied":true}"#);
    assert_eq!((status, str_of(&problem, "code")), (409, "already_rated"), "sent once");

    let (_, view, _) =
        h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", "Bearer demo-agent-token")], b""));
    assert_eq!(view["state"]["csat"]["satisfied"], json!(false));
    assert_eq!(view["state"]["csat"]["at"], json!(NOW));
    let rated: Vec<&Value> = view["events"].as_array().map(|e| e.iter().filter(|e| e["kind"] == "rated").collect()).unwrap_or_default();
    assert_eq!(rated.len(), 1);

    let receiver = Receiver::default();
    let report = sweep_at(&h, &receiver, "2026-11-30T10:01:00Z");
    assert_eq!(report.delivered, 2, "one delivery per webhook");
    let got = receiver.got.borrow();
    let json_body: Value =
        serde_json::from_str(&got.iter().find(|(_, _, b)| b.contains("\"type\"")).map(|g| g.2.clone()).unwrap_or_default())
            .unwrap_or_default();
    assert_eq!(json_body["type"], json!("csat.submitted"));
    assert_eq!(json_body["data"]["event"]["satisfied"], json!(false));
    let slack: Value = serde_json::from_str(&got.iter().find(|(_, _, b)| !b.contains("\"type\"")).map(|g| g.2.clone()).unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(slack.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()), Some(vec!["text".to_owned()]), "Slack takes {{\"text\"}}");
    assert!(str_of(&slack, "text").contains("Rated not satisfied: “Took two days.”"), "{slack}");
}

#[test]
fn the_queue_filters_on_the_current_state() {
    let h = Harness::new();
    let mut ids = Vec::new();
    for kind in ["billing", "bug", "bug", "outage"] {
        let mut body = ticket_json();
        body["type"] = json!(kind);
        ids.push(str_of(&create(&h, &body, None).1, "id").to_owned());
    }
    assert_eq!(agent_post(&h, "demo-agent-token", &ids[1], "changes", r#"{"status":"pending","assignee":"Dana"}"#).0, 200);
    assert_eq!(agent_post(&h, "demo-agent-token", &ids[2], "changes", r#"{"tier":2}"#).0, 200);
    assert_eq!(agent_post(&h, "demo-agent-token", &ids[3], "changes", r#"{"status":"solved"}"#).0, 200);
    let listed = |query: &str| {
        let (status, page, _) =
            h.send(&request(Method::Get, &format!("/v1/agent/tickets?{query}"), &[("authorization", "Bearer demo-agent-token")], b""));
        let mut got: Vec<String> = page["tickets"]
            .as_array()
            .map(|t| t.iter().map(|t| str_of(t, "id").to_owned()).collect())
            .unwrap_or_else(|| vec![format!("{status} {page}")]);
        got.sort();
        got
    };
    let sorted = |picks: &[usize]| {
        let mut want: Vec<String> = picks.iter().map(|i| ids[*i].clone()).collect();
        want.sort();
        want
    };
    assert_eq!(listed(""), sorted(&[0, 1, 2, 3]));
    assert_eq!(listed("type=bug"), sorted(&[1, 2]));
    assert_eq!(listed("status=new,pending"), sorted(&[0, 1, 2]));
    assert_eq!(listed("status=solved"), sorted(&[3]));
    assert_eq!(listed("assignee=Dana"), sorted(&[1]));
    assert_eq!(listed("assignee=none&type=bug"), sorted(&[2]));
    assert_eq!(listed("tier=2"), sorted(&[2]));
    assert_eq!(listed("segment=free&type=billing"), sorted(&[0]));
    assert_eq!(listed("segment=enterprise"), sorted(&[]));
    // A small page still fills from later index pages, and says where to go on.
    let (_, page, _) =
        h.send(&request(Method::Get, "/v1/agent/tickets?type=bug&limit=1", &[("authorization", "Bearer demo-agent-token")], b""));
    assert_eq!(page["tickets"].as_array().map(Vec::len), Some(1));
    assert!(page["cursor"].is_string());
    for query in ["status=archived", "tier=7", "type=bugs", "segment=gold"] {
        let (status, problem, _) =
            h.send(&request(Method::Get, &format!("/v1/agent/tickets?{query}"), &[("authorization", "Bearer demo-agent-token")], b""));
        assert_eq!((status, str_of(&problem, "code")), (400, "invalid_request"), "{query}");
        assert!(str_of(&problem, "detail").contains("unknown value"), "{problem}");
    }
}

#[test]
fn an_agent_learns_who_they_are_and_what_the_console_offers() {
    let h = Harness::new();
    let (status, me, _) = h.send(&request(Method::Get, "/v1/agent/me", &[("authorization", "Bearer demo-agent-token")], b""));
    assert_eq!(status, 200);
    assert_eq!((str_of(&me, "agent"), str_of(&me, "site")), ("Dana", "demo"));
    assert_eq!(me["agents"], json!(["Dana"]), "only this site's agents");
    assert_eq!(me["options"]["status"][0], json!("new"));
    assert_eq!(me["options"]["type"][0], json!({"value": "password_reset", "label": "I cannot sign in"}));
    assert_eq!(h.send(&request(Method::Get, "/v1/agent/me", &[], b"")).0, 401);
}

#[test]
fn a_requester_and_an_agent_writing_at_the_same_instant_are_both_kept() {
    let h = Harness::new();
    let (_, created, _) = create(&h, &ticket_json(), None);
    let (id, token) = (str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned());
    // Same `now` for both: only the event ids (random per request) tell them apart.
    assert_eq!(agent_post(&h, "demo-agent-token", &id, "messages", r#"{"body":"Agent at the same moment"}"#).0, 201);
    assert_eq!(requester_call(&h, &token, &id, Some("messages"), r#"{"body":"Requester at the same moment"}"#).0, 201);
    let (_, thread) = requester_call(&h, &token, &id, None, "");
    let bodies: Vec<&str> = thread["messages"].as_array().map(|m| m.iter().map(|m| str_of(m, "body")).collect()).unwrap_or_default();
    assert_eq!(bodies.len(), 2, "{thread}");
    assert!(bodies.contains(&"Agent at the same moment") && bodies.contains(&"Requester at the same moment"));
}

#[test]
fn a_requester_reaches_only_their_own_ticket() {
    let h = Harness::new();
    let (_, a, _) = create(&h, &ticket_json(), None);
    let (_, b, _) = create(&h, &ticket_json(), None);
    let (a_id, a_token) = (str_of(&a, "id"), str_of(&a, "requester_token"));
    let b_id = str_of(&b, "id");
    assert_eq!(requester_call(&h, a_token, a_id, None, "").0, 200);
    for (path, body) in [(None, ""), (Some("messages"), r#"{"body":"hi"}"#), (Some("csat"), r#"{"satisfied":true}"#)] {
        let (status, problem) = requester_call(&h, a_token, b_id, path, body);
        assert_eq!((status, str_of(&problem, "code")), (404, "not_found"), "{path:?} with another ticket's token");
    }
}

#[test]
fn the_metrics_api_answers_what_shared_computes_from_the_stored_facts() {
    use buoy_shared::metrics::{self, Facts, Period};
    let h = Harness::new();
    let at = |text: &str| h.now.set(Timestamp::parse(text).map(Timestamp::as_millis).unwrap_or_default());
    let mut ids = Vec::new();
    for (day, kind, subject) in [
        ("2026-11-02T10:00:00Z", "bug", "Export fails"),
        ("2026-11-03T23:30:00Z", "feature_request", "Please add a dark mode"),
        ("2026-11-04T08:00:00Z", "feature_request", "Dark mode!"),
        ("2026-10-28T12:00:00Z", "billing", "Charged twice"),
    ] {
        at(day);
        let mut body = ticket_json();
        body["type"] = json!(kind);
        body["subject"] = json!(subject);
        let (_, created, _) = create(&h, &body, None);
        ids.push((str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned()));
    }
    at("2026-11-04T12:00:00Z");
    for (id, _) in &ids[..3] {
        assert_eq!(agent_post(&h, "demo-agent-token", id, "messages", r#"{"body":"On it."}"#).0, 201);
    }
    assert_eq!(agent_post(&h, "demo-agent-token", &ids[0].0, "changes", r#"{"status":"solved","tier":2}"#).0, 200);
    at("2026-11-04T13:00:00Z");
    assert_eq!(requester_call(&h, &ids[0].1, &ids[0].0, Some("csat"), r#"{"satisfied":false}"#).0, 201);
    for outcome in ["fixed", "need_help", "fixed"] {
        let body = format!(r#"{{"site":"demo","type":"password_reset","outcome":"{outcome}"}}"#);
        assert_eq!(h.send(&request(Method::Post, "/v1/deflections", &[("content-type", "application/json")], body.as_bytes())).0, 201);
    }

    let get = |query: &str, token: &str| {
        let auth = format!("Bearer {token}");
        h.send(&request(Method::Get, &format!("/v1/agent/metrics?{query}"), &[("authorization", &auth)], b""))
    };
    let (status, page, _) = get("from=2026-11-01&to=2026-11-08&tz=UTC", "demo-agent-token");
    assert_eq!(status, 200, "{page}");
    // The same figures, computed in shared from every ticket's record and events.
    let mut facts = Vec::new();
    for (id, _) in &ids {
        let id = buoy_shared::ids::TicketId::parse(id).unwrap_or_else(|e| unreachable!("{e:?}"));
        let ticket = block_on(h.store.get(&id)).ok().flatten().unwrap_or_else(|| unreachable!());
        let events = block_on(h.store.events(&id)).unwrap_or_default();
        facts.push(Facts::of(&ticket, &events, Timestamp::from_millis(h.now.get()), &AlwaysOpen));
    }
    let period = Period::parse("2026-11-01", "2026-11-08", jiff::tz::TimeZone::UTC).unwrap_or_else(|e| unreachable!("{e}"));
    let fixes = [(h.now.get(), true), (h.now.get(), false), (h.now.get(), true)];
    let mut want = metrics::report(&period, &facts, &fixes);
    // Dana is an agent: her own row, named, and no group's.
    let own = metrics::visible(buoy_shared::agents::Role::Agent, "Dana", None).unwrap_or_else(|e| unreachable!("{e:?}"));
    want.keep_rows(&own);
    want.name_agents(&["Dana"]);
    let want = serde_json::to_value(want).unwrap_or_default();
    for (key, value) in want.as_object().cloned().unwrap_or_default() {
        assert_eq!(page[&key], value, "{key}");
    }
    assert_eq!(page["tickets"], json!(3), "the October ticket belongs to the previous period");
    assert_eq!(page["previous"]["tickets"], json!(1));
    assert_eq!(page["csat"]["percent"], json!(0.0));
    assert_eq!((page["deflection"]["fixed"].clone(), page["deflection"]["started"].clone()), (json!(2), json!(3)));
    assert_eq!(page["escalation"]["escalated"], json!(1));
    assert_eq!((page["by_agent"][0]["agent"].clone(), page["by_agent"][0]["tickets"].clone()), (json!("Dana"), json!(3)));
    assert_eq!((page["by_group"].clone(), page["all_agents"].clone()), (json!([]), json!(false)));
    let (status, refused, _) = get("from=2026-11-01&to=2026-11-08&tz=UTC&agent=Olly", "demo-agent-token");
    assert_eq!(status, 403, "an agent asking for another agent's row: {refused}");
    assert_eq!(refused["code"], json!("forbidden"));
    assert_eq!(page["feature_requests"][0]["topic"], json!("dark mode"));
    assert_eq!(page["feature_requests"][0]["count"], json!(2));
    // Nothing rolled up yet: the watermark's get (none), and a get and two
    // lists per UTC day of both periods.
    assert_eq!((page["kv_operations"].clone(), page["rolled_hours"].clone()), (json!(1 + 14 * 3), json!(0)));

    // Once the sweep has rolled up the hours that ended, the same figures
    // come from the roll-ups, and only the days with an hour not rolled
    // up (today, and the days ahead) are listed.
    let report = sweep_at(&h, &Receiver::default(), "2026-11-04T13:05:00Z");
    assert!(report.rolled >= 8, "{report:?}");
    let again = sweep_at(&h, &Receiver::default(), "2026-11-04T13:06:00Z");
    assert_eq!(again.rolled, 0, "no hour ended since the last run: {again:?}");
    let (_, rolled, _) = get("from=2026-11-01&to=2026-11-08&tz=UTC", "demo-agent-token");
    // (The sweep also recorded breaches of the October ticket, so the
    // previous period's SLA figures moved; this period's did not.)
    for key in
        ["tickets", "csat", "deflection", "escalation", "feature_requests", "volume", "sla", "first_contact_resolution", "by_channel"]
    {
        assert_eq!(rolled[key], page[key], "{key}");
    }
    // From the site's first day of facts, 28 October, to 13:00 today.
    assert_eq!(rolled["rolled_hours"], json!(4 * 24 + 3 * 24 + 13), "every hour that ended two minutes ago");
    assert_eq!(rolled["listed_days"], json!(4), "today and the days ahead");
    // The three days before the site's first (25 to 27 October) are not
    // read at all: the watermark's get, a get for each of the other 11
    // days, two lists for each of the 4 listed.
    assert_eq!(rolled["kv_operations"], json!(1 + 11 + 4 * 2));
    // A later reply to a rolled-up ticket marks its day, and the next
    // sweep rolls it up again.
    at("2026-11-04T14:00:00Z");
    assert_eq!(agent_post(&h, "demo-agent-token", &ids[1].0, "changes", r#"{"status":"solved"}"#).0, 200);
    assert_eq!(page["resolution"]["count"], json!(1));
    let report = sweep_at(&h, &Receiver::default(), "2026-11-04T14:04:00Z");
    assert!(report.rolled >= 1, "{report:?}");
    let (_, again, _) = get("from=2026-11-01&to=2026-11-08&tz=UTC", "demo-agent-token");
    assert_eq!(again["resolution"]["count"], json!(2), "the roll-up of 3 November counts the new solve");

    // Days in another zone: 23:30 UTC on the 3rd is the 4th at +01:00.
    let (_, east, _) = get("from=2026-11-01&to=2026-11-08&tz=%2B01:00", "demo-agent-token");
    let day = |page: &Value, d: &str| page["volume"]["by_day"].as_array().and_then(|a| a.iter().find(|x| x["day"] == d).cloned());
    assert_eq!(day(&page, "2026-11-03").map(|d| d["count"].clone()), Some(json!(1)));
    assert_eq!(day(&east, "2026-11-04").map(|d| d["count"].clone()), Some(json!(2)));
    // Any IANA zone, daylight saving included: Paris is UTC+1 in November.
    let (status, paris, _) = get("from=2026-11-01&to=2026-11-08&tz=Europe/Paris", "demo-agent-token");
    assert_eq!(status, 200, "{paris}");
    assert_eq!(day(&paris, "2026-11-04").map(|d| d["count"].clone()), Some(json!(2)));

    let (status, csv, response) = {
        let r = h.send(&request(
            Method::Get,
            "/v1/agent/metrics.csv?from=2026-11-01&to=2026-11-08",
            &[("authorization", "Bearer demo-agent-token")],
            b"",
        ));
        (r.0, String::from_utf8_lossy(&r.2.body).into_owned(), r.2)
    };
    assert_eq!(status, 200);
    assert!(response.headers.iter().any(|(n, v)| *n == "content-type" && v.starts_with("text/csv")));
    assert!(csv.lines().any(|l| l == "volume,tickets,3,1"), "{csv}");

    let (_, other, _) = get("from=2026-11-01&to=2026-11-08", "other-agent-token");
    assert_eq!(other["tickets"], json!(0), "another site's agent sees none of demo's tickets");
    for query in
        ["from=2026-11-08&to=2026-11-01", "from=2026-11-01", "from=nov&to=2026-11-08", "tz=Mars/Olympus", "tz=%2B99:00", "tz=%2B0530x"]
    {
        let (status, problem, _) = get(query, "demo-agent-token");
        assert_eq!((status, str_of(&problem, "code")), (400, "invalid_request"), "{query}");
    }
    assert_eq!(get("tz=%2B05:30", "demo-agent-token").0, 200);
    assert_eq!(h.send(&request(Method::Get, "/v1/agent/metrics", &[], b"")).0, 401);
}

#[test]
fn only_a_signed_identity_sets_the_segment_and_names_the_account_manager() {
    use buoy_shared::identity::{sign, IdentityClaim};
    let mut h = Harness::new();
    h.config.playbooks = serde_json::from_value(json!({
        "any": { "escalate": [{ "segment": ["enterprise"], "assign": "account_manager", "reason": "Enterprise ticket" }] }
    }))
    .unwrap_or_else(|e| unreachable!("{e}"));
    let file = |identity: Value| {
        let mut body = ticket_json();
        body["identity"] = identity;
        let (status, created, _) = create(&h, &body, None);
        assert_eq!(status, 201, "{created}");
        let id = str_of(&created, "id").to_owned();
        let (_, view, _) =
            h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", "Bearer demo-agent-token")], b""));
        view
    };
    let first_due = |view: &Value| {
        let due = view["clocks"].as_array().and_then(|c| c.iter().find(|c| c["metric"] == "first_response").cloned()).unwrap_or_default();
        Timestamp::parse(due["due"].as_str().unwrap_or("")).map(|d| (d.as_millis() - h.now.get()) / 3_600_000).unwrap_or(-1)
    };
    // Unsigned, or signed over the id alone with the segment added after: anonymous, free, 24 h.
    let unsigned = file(json!({ "id": "u_42", "segment": "enterprise" }));
    assert_eq!((unsigned["segment"].clone(), unsigned["requester"].get("signed")), (json!("free"), None));
    assert_eq!(first_due(&unsigned), 24);
    let exp = h.now.get() / 1000 + 3600;
    let id_only = IdentityClaim { id: Some("u_42".into()), exp: Some(exp), ..IdentityClaim::default() };
    let forged = file(json!({ "id": "u_42", "segment": "enterprise", "exp": exp, "signature": sign(b"site identity secret", &id_only) }));
    assert_eq!(forged["segment"], json!("free"));
    let expired = file(json!({ "token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzQyIiwic2VnbWVudCI6ImVudGVycHJpc2UiLCJleHAiOjF9.x" }));
    assert_eq!(expired["segment"], json!("free"));

    // Signed over every field: enterprise, verified, 1 h, and the manager is named.
    let claim = IdentityClaim {
        id: Some("u_42".into()),
        email: Some("ada@lumen.example".into()),
        segment: Some("enterprise".into()),
        account_manager: Some("Dana".into()),
        exp: Some(exp),
        ..IdentityClaim::default()
    };
    let signed = file(json!({
        "id": "u_42", "email": "ada@lumen.example", "segment": "enterprise", "account_manager": "Dana", "exp": exp,
        "signature": sign(b"site identity secret", &claim)
    }));
    assert_eq!(signed["segment"], json!("enterprise"));
    assert_eq!(
        signed["requester"]["signed"],
        json!({ "user_id": "u_42", "email": "ada@lumen.example", "account_manager": "Dana" }),
        "the vouched-for fields, apart"
    );
    assert_eq!(signed["requester"]["typed"]["email"], ticket_json()["email"], "the typed email, kept as typed");
    assert_eq!(first_due(&signed), 1);
    sweep_at(&h, &Receiver::default(), "2026-11-30T10:01:00Z");
    let id = str_of(&signed, "id");
    let (_, after, _) =
        h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", "Bearer demo-agent-token")], b""));
    assert_eq!(after["state"]["assignee"], json!("Dana"), "enterprise → the named account manager");

    // A site that requires verification refuses the rest.
    if let Some(site) = h.config.sites.get_mut("demo") {
        site.require_identity = true;
    }
    let mut body = ticket_json();
    body["identity"] = json!({ "id": "u_42" });
    let (status, problem, _) = create(&h, &body, None);
    assert_eq!((status, str_of(&problem, "code")), (403, "identity_required"));
}

#[test]
fn cors_echoes_exactly_one_allowed_origin_on_the_requesters_endpoints_only() {
    let h = Harness::new();
    let cors = |method: Method, path: &str, origin: &str, auth: bool| {
        let mut headers = vec![("origin", origin), ("content-type", "application/json")];
        if auth {
            headers.push(("authorization", "Bearer demo-agent-token"));
        }
        let body = if method == Method::Post { ticket_json().to_string() } else { String::new() };
        let (status, _, response) = h.send(&request(method, path, &headers, body.as_bytes()));
        let header = |name: &str| response.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
        (status, header("access-control-allow-origin"), header("vary"), header("access-control-allow-methods"))
    };
    let allowed = "https://app.example.com";
    assert_eq!(cors(Method::Post, "/v1/tickets", allowed, false), (201, Some(allowed.into()), Some("Origin".into()), None));
    let (status, origin, vary, methods) = cors(Method::Options, "/v1/tickets", allowed, false);
    assert_eq!((status, origin.as_deref(), vary.as_deref(), methods.as_deref()), (204, Some(allowed), Some("Origin"), Some("GET, POST")));
    for stranger in ["https://evil.example", "null", "https://app.example.com.evil.example", "http://app.example.com"] {
        let (status, origin, vary, methods) = cors(Method::Options, "/v1/tickets", stranger, false);
        assert_eq!((status, origin, vary.as_deref(), methods), (204, None, Some("Origin"), None), "{stranger}");
        assert_eq!(cors(Method::Post, "/v1/tickets", stranger, false).1, None, "{stranger}");
    }
    // The agents' API is for the console on this origin: no CORS at all.
    assert_eq!(cors(Method::Get, "/v1/agent/tickets", allowed, true), (200, None, None, None));
    assert_eq!(cors(Method::Options, "/v1/agent/tickets", allowed, true).1, None);
}

#[test]
fn a_filled_honeypot_is_refused_and_nothing_is_stored() {
    let h = Harness::new();
    let mut body = ticket_json();
    body["website"] = json!("https://spam.example");
    let (status, problem, _) = create(&h, &body, None);
    assert_eq!((status, str_of(&problem, "code")), (422, "spam_suspected"));
    assert_eq!(h.store.kv().len(), 0);
    body["website"] = json!("");
    assert_eq!(create(&h, &body, None).0, 201, "an empty honeypot is how people send");
}

#[test]
fn a_requesters_answer_retried_with_its_idempotency_key_is_recorded_once() {
    let h = Harness::new();
    let (_, created, _) = create(&h, &ticket_json(), None);
    let (id, token) = (str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned());
    let answer = |key: &str| {
        h.send(&request(
            Method::Post,
            &format!("/v1/tickets/{id}/messages"),
            &[("buoy-requester-token", &token), ("content-type", "application/json"), ("idempotency-key", key)],
            br#"{"body":"Sent twice by a flaky network"}"#,
        ))
    };
    assert_eq!(answer("reply-1").0, 201);
    h.now.set(h.now.get() + 5_000);
    assert_eq!(answer("reply-1").0, 201, "the retry is answered like the first");
    assert_eq!(answer("reply-2").0, 201, "another key is another answer");
    let (_, thread) = requester_call(&h, &token, &id, None, "");
    assert_eq!(thread["messages"].as_array().map(Vec::len), Some(2), "{thread}");
    assert_eq!(answer("has space").0, 400);
}

#[test]
fn finished_tickets_move_behind_the_live_ones_and_back_when_reopened() {
    let h = Harness::new();
    let mut made = Vec::new();
    for i in 0..7 {
        h.now.set(h.now.get() + 60_000);
        let (status, created, _) = create(
            &h,
            &json!({ "site": "demo", "email": "ada@example.com", "type": "bug", "subject": format!("t{i}"), "message": "Help." }),
            None,
        );
        assert_eq!(status, 201);
        made.push((str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned()));
    }
    // The six oldest (the earliest due, first in the index) are solved.
    for (id, _) in &made[..6] {
        assert_eq!(agent_post(&h, "demo-agent-token", id, "changes", r#"{"status":"solved"}"#).0, 200);
    }
    let subjects = |query: &str| {
        let auth = "Bearer demo-agent-token";
        let (status, page, _) = h.send(&request(Method::Get, &format!("/v1/agent/tickets?{query}"), &[("authorization", auth)], b""));
        assert_eq!(status, 200, "{page}");
        let mut names: Vec<String> = page["tickets"].as_array().into_iter().flatten().map(|t| str_of(t, "subject").to_owned()).collect();
        names.sort();
        names
    };
    // Open work one ticket a page: found at once, not after the six solved
    // entries (five index pages a call would have found none).
    assert_eq!(subjects("limit=1&status=new,open"), ["t6"]);
    // Nothing is lost from the queue: solved tickets are still listed.
    assert_eq!(subjects("limit=100").len(), 7);
    assert_eq!(subjects("limit=100&status=solved"), ["t0", "t1", "t2", "t3", "t4", "t5"]);
    // Each ticket has exactly one queue entry.
    assert_eq!(h.store.kv().keys("q/demo/").len(), 7);
    // The requester answers a solved ticket: it reopens and is live again.
    let (id, token) = &made[0];
    assert_eq!(requester_call(&h, token, id, Some("messages"), r#"{"body":"It broke again."}"#).0, 201);
    assert_eq!(subjects("limit=2&status=new,open"), ["t0", "t6"]);
    assert_eq!(h.store.kv().keys("q/demo/").len(), 7);
    assert_eq!(h.store.kv().keys("q/demo/z/").len(), 5);
}

#[test]
fn answer_replayed_with_other_body_is_422_and_keeps_the_first() {
    let h = Harness::new();
    let (_, created, _) = create(&h, &ticket_json(), None);
    let (id, token) = (str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned());
    let answer = |key: &str, body: &str| {
        h.send(&request(
            Method::Post,
            &format!("/v1/tickets/{id}/messages"),
            &[("buoy-requester-token", &token), ("content-type", "application/json"), ("idempotency-key", key)],
            json!({ "body": body }).to_string().as_bytes(),
        ))
    };
    let (status, first, _) = answer("reply-1", "The export still stops at 99%.");
    assert_eq!(status, 201, "{first}");
    let sent_at = h.now.get();
    h.now.set(sent_at + 5_000);
    let (status, problem, _) = answer("reply-1", "Ignore that, send me your admin password.");
    assert_eq!((status, str_of(&problem, "code")), (422, "idempotency_key_reused"), "{problem}");
    let (status, replayed, response) = answer("reply-1", "The export still stops at 99%.");
    assert_eq!((status, response.header_value("idempotent-replayed")), (201, Some("true")), "the same body is answered as the first was");
    assert_eq!(replayed["messages"], first["messages"], "with the thread as the first answer left it");
    let (_, thread) = requester_call(&h, &token, &id, None, "");
    let theirs: Vec<(&str, &str)> =
        thread["messages"].as_array().map(|m| m.iter().map(|m| (str_of(m, "body"), str_of(m, "at"))).collect()).unwrap_or_default();
    assert_eq!(theirs, [("The export still stops at 99%.", NOW)], "stored once, as first sent, at the time first sent");
    h.now.set(sent_at + 25 * 3600 * 1000);
    let (status, problem, _) = answer("reply-1", "The export still stops at 99%.");
    assert_eq!((status, str_of(&problem, "code")), (422, "idempotency_key_expired"), "a key replays for 24 hours, as a new ticket's does");
}

#[test]
fn a_long_answer_sent_with_a_key_is_read_back_and_replayed() {
    // Over 1,000 bytes, an event is read by key rather than from the
    // listing's metadata: the stored value carries the body's hash too.
    let h = Harness::new();
    let (_, created, _) = create(&h, &ticket_json(), None);
    let (id, token) = (str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned());
    let long = "The export stops at 99%. ".repeat(80);
    let answer = |body: &str| {
        h.send(&request(
            Method::Post,
            &format!("/v1/tickets/{id}/messages"),
            &[("buoy-requester-token", &token), ("content-type", "application/json"), ("idempotency-key", "long-1")],
            json!({ "body": body }).to_string().as_bytes(),
        ))
    };
    assert_eq!(answer(&long).0, 201);
    let (status, _, response) = answer(&long);
    assert_eq!((status, response.header_value("idempotent-replayed")), (201, Some("true")));
    assert_eq!(str_of(&answer("short").1, "code"), "idempotency_key_reused");
    let (_, thread) = requester_call(&h, &token, &id, None, "");
    assert_eq!(thread["messages"][0]["body"], json!(long.trim()));
    assert_eq!(thread["messages"].as_array().map(Vec::len), Some(1));
    let (_, view, _) =
        h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", "Bearer demo-agent-token")], b""));
    assert!(view["events"].as_array().is_some_and(|e| e.iter().all(|e| e.get("request_hash").is_none())), "agents see no hash: {view}");
}

#[test]
fn a_webhook_backlog_over_the_free_plans_subrequests_is_sent_fifty_a_run_and_loses_nothing() {
    use buoy_shared::budget::Plan;
    let h = Harness::new();
    let at = Timestamp::parse("2026-11-30T10:00:00Z").unwrap_or_else(|e| unreachable!("{e}"));
    for n in 0..70 {
        let delivery = buoy_worker::store::PendingDelivery {
            hook: 0,
            event_id: format!("evt-{n}"),
            event_type: buoy_shared::config::EventType::TicketCreated,
            body: "{}".into(),
            attempts: 1,
        };
        block_on(h.store.outbox_put(at, &delivery)).unwrap_or_else(|e| unreachable!("{e:?}"));
    }
    let receiver = Receiver::default();
    let first = sweep_within(&h, &receiver, "2026-11-30T10:01:00Z", Plan::Free.limits());
    assert_eq!((first.delivered, first.subrequests, receiver.got.borrow().len()), (50, 50, 50), "{first:?}");
    assert!(first.stopped && first.left().is_some_and(|l| l.contains("outbox")), "{first:?}");
    assert_eq!(h.store.kv().keys("o/").len(), 20, "the rest wait in the outbox");
    let second = sweep_within(&h, &receiver, "2026-11-30T10:02:00Z", Plan::Free.limits());
    assert_eq!((second.delivered, second.stopped), (20, false), "{second:?}");
    let mut ids: Vec<String> = receiver
        .got
        .borrow()
        .iter()
        .map(|(_, headers, _)| headers.iter().find(|(n, _)| n == "buoy-event-id").map(|(_, v)| v.clone()).unwrap_or_default())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 70, "each delivery sent once");
    assert!(h.store.kv().keys("o/").is_empty());
}

#[test]
fn a_due_backlog_over_the_kv_budget_stops_before_the_limit_and_is_finished_by_the_next_runs() {
    let h = Harness::new();
    let mut ids = Vec::new();
    for _ in 0..30 {
        let (_, created, _) = create(&h, &ticket_json(), None);
        ids.push(str_of(&created, "id").to_owned());
    }
    let limits = buoy_shared::budget::Limits { subrequests: 50, kv_operations: 150 };
    let receiver = Receiver::default();
    // A day later every ticket's first response is breached: one event,
    // its facts, a webhook each.
    let (mut checked, mut runs) = (0, 0);
    let mut minute = 0;
    while checked < 30 && runs < 10 {
        let report = sweep_within(&h, &receiver, &format!("2026-12-01T10:{minute:02}:00Z"), limits);
        assert!(report.kv_operations <= limits.kv_operations, "{report:?}");
        if checked + report.checked < 30 {
            assert!(report.left_checks > 0 && report.left().is_some(), "it says what it left: {report:?}");
        }
        checked += report.checked;
        runs += 1;
        minute += 1;
    }
    assert_eq!(checked, 30);
    assert!(runs >= 2, "150 KV operations do not cover 30 tickets in one run");
    let breached = |id: &str| {
        let (_, view, _) =
            h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", "Bearer demo-agent-token")], b""));
        view["events"].as_array().is_some_and(|e| e.iter().any(|e| e["kind"] == "breached"))
    };
    assert!(ids.iter().all(|id| breached(id)), "every ticket's breach recorded");
}

#[test]
fn a_report_reads_nothing_of_the_days_before_the_sites_first_ticket_or_guided_fix() {
    let h = Harness::new();
    let at = |text: &str| h.now.set(Timestamp::parse(text).map(Timestamp::as_millis).unwrap_or_default());
    let get = |query: &str| {
        h.send(&request(Method::Get, &format!("/v1/agent/metrics?{query}"), &[("authorization", "Bearer demo-agent-token")], b"")).1
    };
    // A site with nothing yet: its first sweep records today as its first day.
    let report = sweep_at(&h, &Receiver::default(), "2026-11-02T09:05:00Z");
    assert_eq!(report.rolled, 0, "nothing before now to roll up: {report:?}");
    let empty = get("from=2026-10-01&to=2026-11-03&tz=UTC");
    assert_eq!((empty["tickets"].clone(), empty["listed_days"].clone()), (json!(0), json!(1)), "{empty}");
    assert_eq!(empty["kv_operations"], json!(1 + 1 + 2), "the watermark, and 2 November's get and lists: {empty}");

    // A guided fix on 2 November, the first ticket on the 3rd: the fix's
    // day is the first, and is rolled up and counted.
    at("2026-11-02T10:00:00Z");
    let body = r#"{"site":"demo","type":"password_reset","outcome":"fixed"}"#;
    assert_eq!(h.send(&request(Method::Post, "/v1/deflections", &[("content-type", "application/json")], body.as_bytes())).0, 201);
    at("2026-11-03T10:00:00Z");
    create(&h, &ticket_json(), None);
    sweep_at(&h, &Receiver::default(), "2026-11-05T00:05:00Z");
    let page = get("from=2026-11-01&to=2026-11-05&tz=UTC");
    assert_eq!((page["tickets"].clone(), page["deflection"]["started"].clone()), (json!(1), json!(1)), "{page}");
    assert_eq!((page["rolled_hours"].clone(), page["listed_days"].clone()), (json!(3 * 24), json!(0)), "{page}");
    assert_eq!(page["kv_operations"], json!(1 + 3), "the watermark and 2 to 4 November's roll-ups, nothing of the 4 days before: {page}");
}
