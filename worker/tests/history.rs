//! A verified user's tickets across devices (`POST /v1/tickets/mine`), on
//! the host against the memory store: only a valid identity lists them,
//! only its own tickets, on its own site, newest first, each with a token
//! that reads it.

mod common;

use buoy_shared::identity::{sign, IdentityClaim};
use buoy_shared::keys;
use buoy_worker::api::{AgentToken, MAX_HISTORY};
use buoy_worker::http::{ApiResponse, Method};
use buoy_worker::store::Kv;
use common::{request, site, str_of, Harness, IDENTITY_SECRET, NOW, SERVER_SECRET};
use futures_executor::block_on;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

impl Harness {
    /// Two sites that both trust the same identity secret, so that one
    /// signed user can ask on each, and one that verifies nobody.
    fn new() -> Self {
        let origins = json!(["https://app.example.com"]);
        let config = common::config(&json!({
            "demo": { "name": "Demo", "allowed_origins": origins, "identity_secret": "BUOY_IDENTITY_SECRET" },
            "other": { "name": "Other", "allowed_origins": origins, "identity_secret": "BUOY_IDENTITY_SECRET" },
            "plain": { "name": "No identity", "allowed_origins": origins },
        }));
        Self::serving(config, vec![AgentToken { agent: "Dana".into(), site: site("demo"), token: "demo-agent-token".into() }])
    }

    fn post(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> (u16, Value, ApiResponse) {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send(&request(Method::Post, path, &all, body.to_string().as_bytes()))
    }

    /// Files a ticket on `site` with this identity (or none); its id.
    fn file(&self, site: &str, subject: &str, identity: Option<Value>) -> String {
        let mut body = json!({
            "site": site, "name": "Ada", "email": "ada@example.com", "type": "bug",
            "subject": subject, "message": "It stops at 99%.",
        });
        if let Some(identity) = identity {
            body["identity"] = identity;
        }
        let (status, created, _) = self.post("/v1/tickets", &[], &body);
        assert_eq!(status, 201, "{created}");
        // A minute apart, so that "newest first" has something to order.
        self.now.set(self.now.get() + 60_000);
        str_of(&created, "id").to_owned()
    }

    /// `POST /v1/tickets/mine`: the status and the body.
    fn mine(&self, site: &str, identity: Option<Value>) -> (u16, Value) {
        let mut body = json!({ "site": site });
        if let Some(identity) = identity {
            body["identity"] = identity;
        }
        let (status, answer, _) = self.post("/v1/tickets/mine", &[], &body);
        (status, answer)
    }

    /// The subjects a verified identity lists on `site`, in order.
    fn subjects(&self, site: &str, identity: Value) -> Vec<String> {
        let (status, answer) = self.mine(site, Some(identity));
        assert_eq!(status, 200, "{answer}");
        listed(&answer).iter().map(|t| str_of(t, "subject").to_owned()).collect()
    }
}

fn listed(answer: &Value) -> Vec<Value> {
    answer["tickets"].as_array().cloned().unwrap_or_default()
}

/// An HMAC-signed (v2) identity over exactly these fields and an `exp` six
/// hours after [`NOW`], as the README shows.
fn signed(fields: &[(&str, &str)]) -> Value {
    let get = |k: &str| fields.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned());
    let exp = buoy_shared::time::Timestamp::parse(NOW).map(|t| t.as_millis() / 1000 + 6 * 3600).unwrap_or_default();
    let claim = IdentityClaim {
        id: get("id"),
        email: get("email"),
        name: get("name"),
        segment: get("segment"),
        account_manager: get("account_manager"),
        exp: Some(exp),
        ..IdentityClaim::default()
    };
    let mut value: serde_json::Map<String, Value> = fields.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
    value.insert("exp".into(), json!(exp));
    value.insert("signature".into(), json!(sign(IDENTITY_SECRET.as_bytes(), &claim)));
    Value::Object(value)
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// An HS256 JWT `{"token": …}` with these claims, signed with `secret`.
fn jwt(secret: &str, claims: &Value) -> Value {
    let unsigned = format!("{}.{}", base64url(br#"{"alg":"HS256","typ":"JWT"}"#), base64url(claims.to_string().as_bytes()));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|e| unreachable!("{e}"));
    mac.update(unsigned.as_bytes());
    json!({ "token": format!("{unsigned}.{}", base64url(&mac.finalize().into_bytes())) })
}

fn unix(h: &Harness) -> i64 {
    h.now.get().div_euclid(1000)
}

#[test]
fn a_verified_user_sees_exactly_their_tickets_newest_first_with_tokens_that_read_them() {
    let h = Harness::new();
    let ada = || signed(&[("id", "u_42")]);
    let first = h.file("demo", "Export fails", Some(signed(&[("id", "u_42"), ("email", "ada@lumen.example"), ("segment", "enterprise")])));
    h.file("demo", "Someone else's", Some(signed(&[("id", "u_7")])));
    h.file("demo", "Claimed, not signed", Some(json!({ "id": "u_42" })));
    h.file("demo", "Anonymous", None);
    let second = h.file("demo", "Invoice missing", Some(ada()));

    let (status, answer) = h.mine("demo", Some(ada()));
    assert_eq!(status, 200, "{answer}");
    let tickets = listed(&answer);
    let ids: Vec<&str> = tickets.iter().map(|t| str_of(t, "id")).collect();
    assert_eq!(ids, [second.as_str(), first.as_str()], "their two tickets, newest first, and nothing else");
    let newest = &tickets[0];
    assert_eq!(str_of(newest, "subject"), "Invoice missing");
    assert_eq!(str_of(newest, "status"), "new");
    assert_eq!(str_of(newest, "reference").len(), 9);
    assert_eq!(str_of(&tickets[1], "created_at"), NOW);
    let mut fields: Vec<&str> = newest.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    fields.sort_unstable();
    assert_eq!(fields, ["created_at", "id", "reference", "requester_token", "status", "subject"]);

    // Each token reads its ticket, as on the device that sent it.
    for t in &tickets {
        let path = format!("/v1/tickets/{}", str_of(t, "id"));
        let (status, view, _) = h.send(&request(Method::Get, &path, &[("buoy-requester-token", str_of(t, "requester_token"))], b""));
        assert_eq!((status, str_of(&view, "subject")), (200, str_of(t, "subject")));
    }

    // The status is the ticket's current one, folded from its events.
    let auth = [("authorization", "Bearer demo-agent-token")];
    let reply = h.post(&format!("/v1/agent/tickets/{first}/messages"), &auth, &json!({ "body": "Looking into it." }));
    assert_eq!(reply.0, 201);
    let (_, answer) = h.mine("demo", Some(ada()));
    assert_eq!(str_of(&listed(&answer)[1], "status"), "open");

    // The same user, signed another way (more fields, or a JWT), is the same user.
    let exp = unix(&h) + 600;
    assert_eq!(h.subjects("demo", signed(&[("id", "u_42"), ("name", "Ada")])), ["Invoice missing", "Export fails"]);
    assert_eq!(h.subjects("demo", jwt(IDENTITY_SECRET, &json!({ "sub": "u_42", "exp": exp }))), ["Invoice missing", "Export fails"]);
}

#[test]
fn another_user_or_another_site_sees_none_of_them() {
    let h = Harness::new();
    h.file("demo", "Ada's", Some(signed(&[("id", "u_42")])));
    h.file("demo", "Lin's", Some(signed(&[("id", "u_7")])));
    h.file("other", "Ada's on the other site", Some(signed(&[("id", "u_42")])));
    assert_eq!(h.subjects("demo", signed(&[("id", "u_7")])), ["Lin's"]);
    assert_eq!(h.subjects("demo", signed(&[("id", "u_4")])), Vec::<String>::new());
    assert_eq!(h.subjects("demo", signed(&[("id", "u_42 ")])), Vec::<String>::new(), "ids are compared exactly");
    assert_eq!(h.subjects("other", signed(&[("id", "u_42")])), ["Ada's on the other site"]);
    assert_eq!(h.subjects("other", signed(&[("id", "u_7")])), Vec::<String>::new(), "the same user on another site");
    // A site without an identity secret verifies nobody.
    assert_eq!(h.mine("plain", Some(signed(&[("id", "u_42")]))).0, 403);
}

#[test]
fn unsigned_forged_or_expired_identities_are_refused() {
    let h = Harness::new();
    h.file("demo", "Ada's", Some(signed(&[("id", "u_42")])));
    let now = unix(&h);
    let signed_over_id = signed(&[("id", "u_42")]);
    let mut segment_added = signed_over_id.clone();
    segment_added["segment"] = json!("enterprise");
    let mut other_id = signed_over_id;
    other_id["id"] = json!("u_7");
    let other_secret = sign(b"another secret", &IdentityClaim { id: Some("u_42".into()), ..IdentityClaim::default() });
    for identity in [
        None,
        Some(json!({ "id": "u_42" })),
        Some(json!({ "id": "u_42", "signature": "" })),
        Some(json!({ "id": "u_42", "signature": "0".repeat(64) })),
        Some(segment_added),
        Some(other_id),
        Some(json!({ "id": "u_42", "signature": other_secret })),
        Some(jwt(IDENTITY_SECRET, &json!({ "sub": "u_42", "exp": now - 1 }))),
        Some(jwt(IDENTITY_SECRET, &json!({ "sub": "u_42" }))),
        Some(jwt(IDENTITY_SECRET, &json!({ "sub": "u_42", "exp": now + 2 * 86_400 }))),
        Some(jwt("another secret", &json!({ "sub": "u_42", "exp": now + 600 }))),
        Some(json!({ "token": "not.a.jwt" })),
    ] {
        let (status, problem) = h.mine("demo", identity.clone());
        assert_eq!((status, str_of(&problem, "code")), (403, "identity_required"), "{identity:?}");
        assert_eq!(problem.get("tickets"), None);
    }
}

#[test]
fn only_tickets_filed_with_a_valid_identity_are_indexed_and_the_index_hides_the_user_id() {
    let h = Harness::new();
    h.file("demo", "Anonymous", None);
    h.file("demo", "Claimed", Some(json!({ "id": "u_42" })));
    h.file("demo", "Expired", Some(jwt(IDENTITY_SECRET, &json!({ "sub": "u_42", "exp": 1 }))));
    assert_eq!(h.store.kv().keys("u/"), Vec::<String>::new(), "nothing unsigned is listed under a user");
    let id = h.file("demo", "Signed", Some(signed(&[("id", "u_42/../admin")])));
    let keys = h.store.kv().keys("u/");
    assert_eq!(keys.len(), 1);
    let user = keys::user_key(SERVER_SECRET, &site("demo"), "u_42/../admin");
    assert!(keys[0].starts_with(&format!("u/demo/{user}/")) && keys[0].ends_with(&id), "{keys:?}");
    assert!(!keys[0].contains("u_42"), "the user id is not readable from the key");
    // A retry of the create (same Idempotency-Key) is not listed twice.
    let body = json!({
        "site": "demo", "name": "Ada", "email": "ada@example.com", "type": "bug",
        "subject": "Retried", "message": "Twice.", "identity": signed(&[("id", "u_42/../admin")]),
    });
    for expected in [201, 200] {
        assert_eq!(h.post("/v1/tickets", &[("idempotency-key", "k-1")], &body).0, expected);
    }
    assert_eq!(h.subjects("demo", signed(&[("id", "u_42/../admin")])), ["Retried", "Signed"]);
}

#[test]
fn the_index_is_only_a_hint_repeats_and_strangers_are_dropped() {
    let h = Harness::new();
    let ada = h.file("demo", "Ada's", Some(signed(&[("id", "u_42")])));
    let lin = h.file("demo", "Lin's", Some(signed(&[("id", "u_7")])));
    let user = keys::user_key(SERVER_SECRET, &site("demo"), "u_42");
    // Concurrent retries of one create can list it twice; a bad entry
    // (a collision, a bug) could name another user's ticket.
    for (ms, id) in [("000000000000001", &ada), ("000000000000002", &lin), ("000000000000003", &"0".repeat(32))] {
        block_on(h.store.kv().put(&format!("u/demo/{user}/{ms}/{id}"), "", None)).unwrap_or_else(|e| unreachable!("{e:?}"));
    }
    assert_eq!(h.subjects("demo", signed(&[("id", "u_42")])), ["Ada's"]);
}

#[test]
fn the_history_holds_the_newest_tickets_up_to_its_cap() {
    let h = Harness::new();
    let total = MAX_HISTORY as usize + 2;
    for n in 0..total {
        h.file("demo", &format!("Ticket {n}"), Some(signed(&[("id", "u_42")])));
    }
    let subjects = h.subjects("demo", signed(&[("id", "u_42")]));
    let expected: Vec<String> = (2..total).rev().map(|n| format!("Ticket {n}")).collect();
    assert_eq!(subjects, expected);
}

#[test]
fn bad_requests_get_a_problem_and_only_post_is_allowed() {
    let h = Harness::new();
    let post = |body: &[u8], content_type: &str| {
        let (status, problem, _) = h.send(&request(Method::Post, "/v1/tickets/mine", &[("content-type", content_type)], body));
        (status, str_of(&problem, "code").to_owned())
    };
    assert_eq!(post(b"{", "application/json"), (400, "malformed_json".into()));
    assert_eq!(post(br#"{"site":"demo","surprise":1}"#, "application/json"), (400, "invalid_request".into()));
    assert_eq!(post(br#"{"identity":{"id":"u_42"}}"#, "application/json"), (400, "invalid_request".into()));
    assert_eq!(post(br#"{"site":"demo","identity":{"id":"u_42","role":"admin"}}"#, "application/json"), (400, "invalid_request".into()));
    assert_eq!(post(br#"{"site":"demo"}"#, "text/plain"), (415, "unsupported_media_type".into()));
    for site in ["nowhere", "Not a site!"] {
        let (status, problem) = h.mine(site, Some(signed(&[("id", "u_42")])));
        assert_eq!((status, str_of(&problem, "code")), (422, "validation_failed"), "{site}");
        assert_eq!(problem["errors"], json!([{ "field": "site", "code": "unknown_site" }]));
    }
    for method in [Method::Get, Method::Other] {
        let (status, problem, response) = h.send(&request(method, "/v1/tickets/mine", &[], b""));
        assert_eq!((status, str_of(&problem, "code"), response.header_value("allow")), (405, "method_not_allowed", Some("POST")));
    }
    // A requester's endpoint: CORS for the site's pages.
    let origin = [("origin", "https://app.example.com")];
    let (_, _, response) = h.post("/v1/tickets/mine", &origin, &json!({ "site": "demo", "identity": signed(&[("id", "u_42")]) }));
    assert_eq!(response.header_value("access-control-allow-origin"), Some("https://app.example.com"));
}
