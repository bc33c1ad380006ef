//! Attachments through the handlers, against the memory store and bucket:
//! uploads judged from their bytes, attached by reference to a new ticket,
//! an answer or an agent's reply, read back on both sides and downloaded
//! with the headers that keep a browser from running them; every refusal
//! stores nothing.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use buoy_worker::api::AgentToken;
use buoy_worker::http::{ApiResponse, Method};
use common::{request, site, str_of, Harness};
use serde_json::{json, Value};

/// `demo` takes attachments (5 files, 10 MB each, 25 MB a message);
/// `plain` takes none. Dana works `demo` (token `tok`), Olga `plain`.
fn harness() -> Harness {
    let config = common::config(&json!({
        "demo": { "name": "Demo", "allowed_origins": ["https://app.example.com"], "attachments": {} },
        "plain": { "name": "Plain", "allowed_origins": ["https://plain.example.com"] },
    }));
    Harness::serving(
        config,
        vec![
            AgentToken { agent: "Dana".into(), site: site("demo"), token: "tok".into() },
            AgentToken { agent: "Olga".into(), site: site("plain"), token: "olga".into() },
        ],
    )
}

/// A 3×2 PNG's first bytes (all a sniffer needs).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02\x08\x02\0\0\0 and the rest of the image";

fn upload(h: &Harness, path: &str, name: &str, bytes: &[u8], extra: &[(&str, &str)]) -> (u16, Value, ApiResponse) {
    let length = bytes.len().to_string();
    let mut headers = vec![("content-length", length.as_str()), ("buoy-file-name", name)];
    headers.extend_from_slice(extra);
    h.send(&request(Method::Post, path, &headers, bytes))
}

fn upload_id(h: &Harness, name: &str, bytes: &[u8]) -> String {
    let (status, body, _) = upload(h, "/v1/uploads?site=demo", name, bytes, &[]);
    assert_eq!(status, 201, "{body}");
    str_of(&body, "upload").to_owned()
}

fn post_json(h: &Harness, path: &str, auth: (&str, &str), body: &Value) -> (u16, Value, ApiResponse) {
    h.send(&request(Method::Post, path, &[("content-type", "application/json"), auth], body.to_string().as_bytes()))
}

fn new_ticket(h: &Harness, attachments: &[String]) -> (u16, Value) {
    let body = json!({"site": "demo", "email": "a@example.com", "type": "bug", "subject": "Chart", "message": "See the screenshot", "attachments": attachments});
    let (status, body, _) = post_json(h, "/v1/tickets", ("x-none", ""), &body);
    (status, body)
}

fn get(h: &Harness, path: &str, auth: (&str, &str)) -> (u16, Value, ApiResponse) {
    h.send(&request(Method::Get, path, &[auth], b""))
}

const AGENT: (&str, &str) = ("authorization", "Bearer tok");

#[test]
fn an_uploaded_screenshot_attached_to_a_new_ticket_reaches_the_agent_byte_for_byte() {
    let h = harness();
    let (status, uploaded, _) = upload(&h, "/v1/uploads?site=demo", "Screen%20shot.png", PNG, &[("content-type", "image/png")]);
    assert_eq!(status, 201, "{uploaded}");
    let file = &uploaded["file"];
    assert_eq!((str_of(file, "name"), str_of(file, "type"), str_of(file, "kind")), ("Screen shot.png", "image/png", "png"));
    assert_eq!((file["width"].as_u64(), file["height"].as_u64(), file["size"].as_u64()), (Some(3), Some(2), Some(PNG.len() as u64)));
    assert_eq!(str_of(file, "sha256"), buoy_shared::keys::request_hash(PNG));

    let (status, created) = new_ticket(&h, &[str_of(&uploaded, "upload").to_owned()]);
    assert_eq!(status, 201, "{created}");
    let id = str_of(&created, "id");
    let (_, view, _) = get(&h, &format!("/v1/agent/tickets/{id}"), AGENT);
    assert_eq!(view["attachments"][0], *file, "the first message carries its file");
    let (status, _, download) = get(&h, &format!("/v1/agent/tickets/{id}/files/{}", str_of(file, "id")), AGENT);
    assert_eq!(status, 200);
    let stored = download.file_key().and_then(|key| h.files.get(key)).map(|(bytes, _)| bytes).unwrap_or_default();
    assert_eq!(buoy_shared::keys::request_hash(&stored), str_of(file, "sha256"), "byte-identical");
    for (name, value) in [
        ("content-type", "image/png"),
        ("x-content-type-options", "nosniff"),
        ("content-security-policy", "sandbox; default-src 'none'"),
        ("content-disposition", "inline; filename*=UTF-8''Screen%20shot.png"),
        ("cache-control", "private"),
    ] {
        assert_eq!(download.header_value(name), Some(value), "{name}");
    }
    // The requester reads it too, with their token.
    let token = ("buoy-requester-token", str_of(&created, "requester_token"));
    let (_, mine, _) = get(&h, &format!("/v1/tickets/{id}"), token);
    assert_eq!(mine["attachments"][0]["id"], file["id"]);
    assert_eq!(get(&h, &format!("/v1/tickets/{id}/files/{}", str_of(file, "id")), token).0, 200);
}

#[test]
fn an_agent_attaches_a_file_to_a_reply_and_the_requester_opens_only_public_ones() {
    let h = harness();
    let (_, created) = new_ticket(&h, &[]);
    let id = str_of(&created, "id");
    let token = ("buoy-requester-token", str_of(&created, "requester_token"));
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF";
    let mut files = Vec::new();
    for (name, public) in [("steps.pdf", true), ("notes.txt", false)] {
        let bytes: &[u8] = if public { pdf } else { b"internal notes only" };
        let (status, up, _) = upload(&h, "/v1/agent/uploads", name, bytes, &[AGENT]);
        assert_eq!(status, 201, "{up}");
        let reply = json!({"body": "", "public": public, "attachments": [str_of(&up, "upload")]});
        let (status, view, _) = post_json(&h, &format!("/v1/agent/tickets/{id}/messages"), AGENT, &reply);
        assert_eq!(status, 201, "{view}");
        files.push(up["file"].clone());
    }
    let (_, thread, _) = get(&h, &format!("/v1/tickets/{id}"), token);
    let shown: Vec<&Value> =
        thread["messages"].as_array().into_iter().flatten().flat_map(|m| m["attachments"].as_array().into_iter().flatten()).collect();
    assert_eq!(shown, [&files[0]], "the note's file is not the requester's");
    let (status, _, download) = get(&h, &format!("/v1/tickets/{id}/files/{}", str_of(&files[0], "id")), token);
    assert_eq!((status, download.header_value("content-disposition")), (200, Some("attachment; filename*=UTF-8''steps.pdf")));
    assert_eq!(get(&h, &format!("/v1/tickets/{id}/files/{}", str_of(&files[1], "id")), token).0, 404, "an internal note's file");
    assert_eq!(
        get(&h, &format!("/v1/tickets/{id}/files/{}", str_of(&files[0], "id")), ("buoy-requester-token", "0".repeat(64).as_str())).0,
        404
    );
    assert_eq!(
        get(&h, &format!("/v1/agent/tickets/{id}/files/{}", str_of(&files[1], "id")), ("authorization", "Bearer olga")).0,
        404,
        "another site's agent"
    );
    let (_, agent_view, _) = get(&h, &format!("/v1/agent/tickets/{id}"), AGENT);
    let with_files = agent_view["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "message" && !e["attachments"].as_array().is_none_or(Vec::is_empty))
        .count();
    assert_eq!(with_files, 2, "agents see both messages' files");
}

#[test]
fn refused_files_are_refused_with_their_error_and_nothing_is_stored() {
    let h = harness();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let html = b"<!doctype html><script>alert(1)</script>";
    let big = "10000001";
    for (name, bytes, headers, status, code) in [
        ("logo.svg", svg.as_slice(), vec![], 415, "unsupported_type"),
        ("shot.png", html.as_slice(), vec![], 415, "unsupported_type"),
        ("shot.gif", PNG, vec![], 415, "type_mismatch"),
        ("shot.png", PNG, vec![("content-type", "text/html")], 415, "type_mismatch"),
        ("empty.txt", b"".as_slice(), vec![], 422, "empty_file"),
        ("a%2Fb.png", PNG, vec![], 422, "invalid_name"),
        ("a%5Cb.png", PNG, vec![], 422, "invalid_name"),
        ("line%0Abreak.png", PNG, vec![], 422, "invalid_name"),
        ("invoice%E2%80%AEgnp.exe", PNG, vec![], 422, "invalid_name"),
        ("", PNG, vec![], 422, "name_required"),
    ] {
        let (got, body, _) = upload(&h, "/v1/uploads?site=demo", name, bytes, &headers);
        assert_eq!((got, str_of(&body["errors"][0], "code")), (status, code), "{name}: {body}");
        assert_eq!(str_of(&body["errors"][0], "field"), "file");
    }
    // Over the cap by its Content-Length: refused before a byte is read.
    let (got, body, _) =
        h.send(&request(Method::Post, "/v1/uploads?site=demo", &[("content-length", big), ("buoy-file-name", "big.zip")], b""));
    assert_eq!((got, str_of(&body, "code"), str_of(&body["errors"][0], "code")), (413, "file_too_large", "file_too_large"));
    let (got, body, _) = h.send(&request(Method::Post, "/v1/uploads?site=demo", &[("buoy-file-name", "x.png")], PNG));
    assert_eq!((got, str_of(&body["errors"][0], "code")), (411, "length_required"));
    assert!(h.files.keys().is_empty(), "no file stored");
    assert!(h.store.kv().keys("up").is_empty(), "no upload recorded");
}

#[test]
fn a_message_names_at_most_five_known_uploads_of_its_own_site_and_side() {
    let h = harness();
    let six: Vec<String> = (0..6).map(|i| upload_id(&h, &format!("{i}.png"), PNG)).collect();
    let (status, body) = new_ticket(&h, &six);
    assert_eq!((status, str_of(&body["errors"][0], "field"), str_of(&body["errors"][0], "code")), (422, "attachments", "too_many_files"));
    assert!(h.store.kv().keys("t/").is_empty(), "no ticket stored");
    let agent_upload = {
        let (_, up, _) = upload(&h, "/v1/agent/uploads", "a.png", PNG, &[AGENT]);
        str_of(&up, "upload").to_owned()
    };
    for ids in [vec!["up_0123".to_owned()], vec![agent_upload], vec![six[0].clone(), six[0].clone()]] {
        let (status, body) = new_ticket(&h, &ids);
        assert_eq!((status, str_of(&body["errors"][0], "code")), (422, "unknown_upload"), "{ids:?}");
    }
    let (status, first) = new_ticket(&h, &six[..5]);
    assert_eq!(status, 201, "{first}");
    let (status, body) = new_ticket(&h, &six[..1]);
    assert_eq!((status, str_of(&body["errors"][0], "code")), (422, "unknown_upload"), "already attached elsewhere");
    // An upload waits 24 hours, no more.
    let late = upload_id(&h, "late.png", PNG);
    h.now.set(h.now.get() + buoy_shared::attach::PENDING_MS + 1);
    assert_eq!(new_ticket(&h, &[late]).0, 422);
}

#[test]
fn a_site_without_attachments_has_no_upload_route() {
    let h = harness();
    for (path, auth) in [
        ("/v1/uploads?site=plain", ("x-none", "")),
        ("/v1/uploads?site=nope", ("x-none", "")),
        ("/v1/agent/uploads", ("authorization", "Bearer olga")),
    ] {
        let (status, body, _) = upload(&h, path, "a.png", PNG, &[auth]);
        assert_eq!((status, str_of(&body, "code")), (404, "attachments_off"), "{path}");
    }
}

#[test]
fn an_upload_retried_with_its_key_is_the_same_upload_and_other_bytes_are_refused() {
    let h = harness();
    let key = [("idempotency-key", "6f1c2a7e-2b8e-4c53-9a0e-2f5d1b0b8c11")];
    let (first, a, _) = upload(&h, "/v1/uploads?site=demo", "a.png", PNG, &key);
    let (again, b, _) = upload(&h, "/v1/uploads?site=demo", "a.png", PNG, &key);
    assert_eq!((first, again), (201, 200));
    assert_eq!(a, b);
    let (other, body, _) = upload(&h, "/v1/uploads?site=demo", "a.png", b"GIF89a\x01\0\x01\0", &key);
    assert_eq!((other, str_of(&body, "code")), (422, "idempotency_key_reused"));
    assert_eq!(h.files.keys().len(), 1);
}

#[test]
fn an_answer_may_be_files_alone_and_its_retry_attaches_them_once() {
    let h = harness();
    let (_, created) = new_ticket(&h, &[]);
    let id = str_of(&created, "id");
    let token = str_of(&created, "requester_token");
    let up = upload_id(&h, "log.txt", b"2026-01-02 export failed\n");
    let auth = [("content-type", "application/json"), ("buoy-requester-token", token), ("idempotency-key", "k-1")];
    let body = json!({"body": "", "attachments": [up]}).to_string();
    for _ in 0..2 {
        let (status, thread, _) = h.send(&request(Method::Post, &format!("/v1/tickets/{id}/messages"), &auth, body.as_bytes()));
        assert!(status == 201, "{thread}");
        let files: usize =
            thread["messages"].as_array().into_iter().flatten().map(|m| m["attachments"].as_array().map_or(0, Vec::len)).sum();
        assert_eq!(files, 1, "{thread}");
    }
    let (status, body, _) = post_json(&h, &format!("/v1/tickets/{id}/messages"), ("buoy-requester-token", token), &json!({"body": "  "}));
    assert_eq!((status, str_of(&body["errors"][0], "field")), (422, "body"), "no text and no file");
}

#[test]
fn a_signed_link_opens_its_one_file_for_seven_days() {
    use buoy_shared::email::token::{file_link, FILE_LINK_LIFETIME};
    use buoy_shared::time::Timestamp;
    let h = harness();
    let up = upload_id(&h, "shot.png", PNG);
    let (_, created) = new_ticket(&h, &[up]);
    let ticket = buoy_shared::ids::TicketId::parse(str_of(&created, "id")).unwrap_or_else(|e| unreachable!("{e}"));
    let (_, view, _) = get(&h, &format!("/v1/agent/tickets/{ticket}"), AGENT);
    let file = str_of(&view["attachments"][0], "id").to_owned();
    let now = Timestamp::from_millis(h.now.get());
    let link = file_link(common::SERVER_SECRET, &site("demo"), &ticket, &file, now.plus(FILE_LINK_LIFETIME));
    let (status, _, download) = get(&h, &format!("/v1/files/{link}"), ("x-none", ""));
    assert_eq!((status, download.header_value("content-type")), (200, Some("image/png")));
    let other_site = file_link(common::SERVER_SECRET, &site("plain"), &ticket, &file, now.plus(FILE_LINK_LIFETIME));
    let forged = link.replacen(&file, &"0".repeat(32), 1);
    for (path, code) in [(forged, "file_link_expired"), (other_site, "not_found"), ("x.y.z".into(), "file_link_expired")] {
        let (status, body, _) = get(&h, &format!("/v1/files/{path}"), ("x-none", ""));
        assert_eq!((status, str_of(&body, "code")), (404, code), "{path}");
    }
    h.now.set(now.plus(FILE_LINK_LIFETIME).as_millis());
    let (status, body, _) = get(&h, &format!("/v1/files/{link}"), ("x-none", ""));
    assert_eq!((status, str_of(&body, "code")), (404, "file_link_expired"), "after 7 days");
}

#[test]
fn the_sweep_deletes_an_upload_left_unattached_for_24_hours_and_keeps_an_attached_one() {
    use buoy_shared::time::Timestamp;
    let h = harness();
    let left = upload_id(&h, "left.png", PNG);
    let kept = upload_id(&h, "kept.png", PNG);
    assert_eq!(new_ticket(&h, &[kept]).0, 201);
    assert_eq!(h.files.keys().len(), 2);
    let sweep = |at: i64| futures_executor::block_on(buoy_worker::sweep::sweep_uploads(&h.store, &h.files, Timestamp::from_millis(at)));
    let start = h.now.get();
    assert_eq!(sweep(start + buoy_shared::attach::PENDING_MS - 1).ok(), Some(0), "not before 24 hours");
    assert_eq!(h.files.keys().len(), 2);
    assert_eq!(sweep(start + buoy_shared::attach::PENDING_MS + 1).ok(), Some(1));
    let names: Vec<String> = h
        .files
        .keys()
        .iter()
        .filter_map(|k| h.files.get(k))
        .flat_map(|(_, meta)| meta)
        .filter(|(k, _)| k == "name")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(names, ["kept.png"], "the attached file stays");
    assert!(h.store.kv().keys(&format!("up/demo/{left}")).is_empty(), "its record is gone");
    assert!(h.store.kv().keys("upx/").is_empty(), "nothing left pending");
    assert_eq!(sweep(start + 2 * buoy_shared::attach::PENDING_MS).ok(), Some(0), "a second run deletes nothing");
}

#[test]
fn the_upload_sweep_keeps_within_what_the_invocation_has_left_and_finishes_in_later_runs() {
    use buoy_shared::budget::Limits;
    use buoy_shared::time::Timestamp;
    let h = harness();
    for n in 0..7 {
        upload_id(&h, &format!("left-{n}.png"), PNG);
    }
    assert_eq!(h.files.keys().len(), 7);
    let limits = Limits { subrequests: 50, kv_operations: 1000 };
    let at = Timestamp::from_millis(h.now.get() + buoy_shared::attach::PENDING_MS + 1);
    let sweep = |spent: u32| {
        futures_executor::block_on(buoy_worker::sweep::sweep_uploads_within(&h.store, &h.files, at, limits, spent))
            .unwrap_or_else(|e| unreachable!("{e:?}"))
    };
    // The SLA sweep left 13 operations: a list, and 3 uploads of 4 each.
    let first = sweep(1000 - 13);
    assert_eq!((first.deleted, first.stopped, first.operations), (3, true, 13), "{first:?}");
    assert!(first.left().is_some_and(|l| l.contains("wait for the next run")), "{first:?}");
    assert_eq!(h.files.keys().len(), 4, "the rest wait");
    let none = sweep(1000);
    assert_eq!((none.deleted, none.stopped, none.operations), (0, true, 0), "no room: nothing touched, and it says so");
    let second = sweep(0);
    assert_eq!((second.deleted, second.stopped), (4, false), "{second:?}");
    assert!(h.files.keys().is_empty() && h.store.kv().keys("upx/").is_empty(), "nothing left pending");
}
