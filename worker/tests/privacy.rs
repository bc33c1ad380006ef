//! Privacy requests on the host against the memory store, bucket and
//! rooms: an erase leaves no key of the requester's tickets but their
//! anonymous facts, finishes a run that stopped after a record, and a
//! second erase finds nothing.

mod common;

use buoy_worker::api::AgentToken;
use buoy_worker::http::Method;
use buoy_worker::store::Kv;
use common::{request, site, str_of, Harness};
use futures_executor::block_on;
use serde_json::{json, Value};

const ADMIN: (&str, &str) = ("authorization", "Bearer root-token");
const AGENT: (&str, &str) = ("authorization", "Bearer dana-token");
const EMAIL: &str = "ada@example.com";
/// A 3×2 PNG's first bytes (all a sniffer needs).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02\x08\x02\0\0\0 and the rest of the image";

fn harness() -> Harness {
    let config = serde_json::from_value(json!({
        "sites": { "demo": { "name": "Demo", "allowed_origins": ["https://app.example.com"], "attachments": {} } },
        "agents": [
            { "name": "Root", "site": "demo", "token_secret": "ROOT_TOKEN", "role": "admin" },
            { "name": "Dana", "site": "demo", "token_secret": "DANA_TOKEN" },
        ],
    }))
    .unwrap_or_else(|e| unreachable!("{e}"));
    Harness::serving(
        config,
        vec![
            AgentToken { agent: "Root".into(), site: site("demo"), token: "root-token".into() },
            AgentToken { agent: "Dana".into(), site: site("demo"), token: "dana-token".into() },
        ],
    )
}

fn post(h: &Harness, path: &str, auth: Option<(&str, &str)>, body: &Value) -> (u16, Value) {
    let mut headers = vec![("content-type", "application/json")];
    headers.extend(auth);
    let (status, answer, _) = h.send(&request(Method::Post, path, &headers, body.to_string().as_bytes()));
    (status, answer)
}

/// Files a ticket from `email` (with a file when `with_file`); its id.
fn file(h: &Harness, email: &str, with_file: bool) -> String {
    let mut attachments = Vec::new();
    if with_file {
        let length = PNG.len().to_string();
        let headers = [("content-length", length.as_str()), ("buoy-file-name", "shot.png")];
        let (status, up, _) = h.send(&request(Method::Post, "/v1/uploads?site=demo", &headers, PNG));
        assert_eq!(status, 201, "{up}");
        attachments.push(str_of(&up, "upload").to_owned());
    }
    let body = json!({ "site": "demo", "email": email, "type": "feature_request", "subject": "Ada's dark mode", "message": "Please.", "attachments": attachments });
    let (status, created) = post(h, "/v1/tickets", None, &body);
    assert_eq!(status, 201, "{created}");
    str_of(&created, "id").to_owned()
}

/// Every key of the store that names `id`.
fn keys_of(h: &Harness, id: &str) -> Vec<String> {
    h.store.kv().keys("").into_iter().filter(|k| k.contains(id)).collect()
}

#[test]
fn an_erase_leaves_only_anonymous_facts_and_a_second_finds_nothing() {
    let h = harness();
    let first = file(&h, EMAIL, true);
    h.now.set(h.now.get() + 1);
    let second = file(&h, EMAIL, false);
    let other = file(&h, "grace@example.com", false);
    let (status, _) = post(&h, &format!("/v1/agent/tickets/{first}/messages"), Some(AGENT), &json!({ "body": "On it." }));
    assert_eq!(status, 201);
    assert!(h.rooms.has(&format!("demo/{first}")), "the reply went through the ticket's room");
    assert_eq!(h.files.keys().len(), 1);

    let (status, refused) = post(&h, "/v1/agent/privacy/erase", Some(AGENT), &json!({ "email": EMAIL, "confirm": true }));
    assert_eq!((status, str_of(&refused, "code")), (403, "forbidden"));
    let (status, exported) = post(&h, "/v1/agent/privacy/export", Some(ADMIN), &json!({ "email": EMAIL }));
    assert_eq!(status, 200, "{exported}");
    let ids: Vec<&str> = exported["tickets"].as_array().into_iter().flatten().map(|t| str_of(&t["record"], "id")).collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);

    // A run that stopped right after the second ticket's record: all but
    // its email index entry (and its facts, due check) went; the entry
    // names nothing, and settles.
    for key in keys_of(&h, &second).iter().filter(|k| !["ue/", "m/", "d/"].iter().any(|p| k.starts_with(p))) {
        block_on(h.store.kv().delete(key)).unwrap_or_else(|e| unreachable!("{e:?}"));
    }
    h.now.set(h.now.get() + buoy_shared::privacy::SETTLE_MS + 1);
    let (status, erased) = post(&h, "/v1/agent/privacy/erase", Some(ADMIN), &json!({ "email": EMAIL, "confirm": EMAIL }));
    assert_eq!(status, 200, "{erased}");
    assert_eq!((erased["tickets"].as_u64(), erased["files"].as_u64(), erased["more"].as_bool()), (Some(1), Some(1), Some(false)));

    for id in [&first, &second] {
        let left = keys_of(&h, id);
        assert!(left.iter().all(|k| k.starts_with("m/") || k.starts_with("d/") || k.starts_with("rd/")), "{left:?}");
        for key in left.iter().filter(|k| k.starts_with("m/")) {
            let facts = h.store.kv().metadata(key).unwrap_or_default();
            assert!(!facts.contains("dark mode"), "{key}: {facts}");
        }
    }
    assert!(h.store.kv().keys("ue/").iter().all(|k| k.ends_with(&other)), "only the other requester's email entry");
    assert!(h.files.keys().is_empty(), "the file is gone from the bucket");
    assert!(!h.rooms.has(&format!("demo/{first}")), "the room is emptied");
    assert!(keys_of(&h, &other).iter().any(|k| k == &format!("t/{other}")), "another requester's ticket stays");

    h.now.set(h.now.get() + 1_000);
    let (status, again) = post(&h, "/v1/agent/privacy/erase", Some(ADMIN), &json!({ "email": EMAIL, "confirm": true }));
    assert_eq!(status, 200);
    assert_eq!(again, json!({ "tickets": 0, "events": 0, "files": 0, "entries": 0, "mail": 0, "more": false }));
    let (_, trail, _) = h.send(&request(Method::Get, "/v1/agent/audit", &[ADMIN], b""));
    let kinds: Vec<&str> = trail["events"].as_array().into_iter().flatten().map(|e| str_of(e, "kind")).collect();
    assert_eq!(kinds.iter().filter(|k| k.starts_with("privacy_")).count(), 3, "{trail}");
    assert!(!trail.to_string().contains(EMAIL), "the trail never holds the address");
}

#[test]
fn bad_requests_name_their_field_and_erase_nothing() {
    let h = harness();
    let id = file(&h, EMAIL, false);
    for (body, errors) in [
        (json!({}), json!([{ "field": "email", "code": "required" }, { "field": "confirm", "code": "required" }])),
        (json!({ "email": EMAIL }), json!([{ "field": "confirm", "code": "required" }])),
        (json!({ "email": EMAIL, "confirm": "grace@example.com" }), json!([{ "field": "confirm", "code": "not_confirmed" }])),
        (json!({ "email": EMAIL, "user_id": "u", "confirm": true }), json!([{ "field": "user_id", "code": "ambiguous" }])),
    ] {
        let (status, problem) = post(&h, "/v1/agent/privacy/erase", Some(ADMIN), &body);
        assert_eq!(status, 422, "{body}");
        assert_eq!(problem["errors"], errors, "{body}");
    }
    assert!(keys_of(&h, &id).contains(&format!("t/{id}")));
}

#[test]
fn a_requester_with_many_tickets_is_erased_over_several_requests() {
    let h = harness();
    let per_request = buoy_shared::privacy::TICKETS_PER_ERASE;
    for _ in 0..=per_request {
        file(&h, EMAIL, false);
        h.now.set(h.now.get() + 1);
    }
    let erase = || post(&h, "/v1/agent/privacy/erase", Some(ADMIN), &json!({ "email": EMAIL, "confirm": true })).1;
    let first = erase();
    assert_eq!((first["tickets"].as_u64(), first["more"].as_bool()), (Some(per_request as u64), Some(true)), "{first}");
    let rest = erase();
    assert_eq!((rest["tickets"].as_u64(), rest["more"].as_bool()), (Some(1), Some(false)), "{rest}");
    assert!(h.store.kv().keys("t/").is_empty() && h.store.kv().keys("ue/").is_empty());
}
