//! Several agents on one queue, on the host against the memory store and
//! rooms: collision warnings (`If-Match`, `409 edit_conflict` with what
//! changed), presence, and bulk changes recorded per ticket.

mod common;

use buoy_worker::api::AgentToken;
use buoy_worker::http::Method;
use common::{request, site, str_of, Harness};
use serde_json::{json, Value};

const DANA: &str = "Bearer demo-agent-token";
const SAM: &str = "Bearer sam-agent-token";
const OTHER: &str = "Bearer other-agent-token";

impl Harness {
    fn new() -> Self {
        let origins = json!(["https://app.example.com"]);
        let config = common::config(&json!({
            "demo": { "name": "Demo", "allowed_origins": origins },
            "other": { "name": "Other", "allowed_origins": origins },
        }));
        let agent = |name: &str, site_id: &str, token: &str| AgentToken { agent: name.into(), site: site(site_id), token: token.into() };
        Self::serving(
            config,
            vec![
                agent("Dana", "demo", "demo-agent-token"),
                agent("Sam", "demo", "sam-agent-token"),
                agent("Olga", "other", "other-agent-token"),
            ],
        )
    }

    /// Files a ticket on `site_id`; its id and requester token.
    fn file(&self, site_id: &str, subject: &str) -> (String, String) {
        let body = json!({ "site": site_id, "name": "Ada", "email": "ada@example.com", "type": "bug", "subject": subject, "message": "It stops." });
        let (status, created, _) =
            self.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
        assert_eq!(status, 201, "{created}");
        (str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned())
    }

    /// An agent's POST with an optional `If-Match`: status and body.
    fn agent_post(&self, auth: &str, path: &str, if_match: Option<&str>, body: &Value) -> (u16, Value) {
        let mut headers = vec![("authorization", auth), ("content-type", "application/json")];
        if let Some(tag) = if_match {
            headers.push(("if-match", tag));
        }
        let (status, answer, _) = self.send(&request(Method::Post, path, &headers, body.to_string().as_bytes()));
        (status, answer)
    }

    fn reply(&self, auth: &str, id: &str, if_match: Option<&str>, text: &str) -> (u16, Value) {
        self.agent_post(auth, &format!("/v1/agent/tickets/{id}/messages"), if_match, &json!({ "body": text }))
    }

    fn beat(&self, auth: &str, id: &str, activity: &str) -> Value {
        let (status, seen) = self.agent_post(auth, &format!("/v1/agent/tickets/{id}/presence"), None, &json!({ "activity": activity }));
        assert_eq!(status, 200, "{seen}");
        seen
    }

    fn view(&self, auth: &str, id: &str) -> Value {
        let (status, view, _) = self.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", auth)], b""));
        assert_eq!(status, 200, "{view}");
        view
    }
}

/// The id of a view's last event: what its console sends as `If-Match`.
fn last_event(view: &Value) -> String {
    view["events"].as_array().and_then(|e| e.last()).map_or("created".into(), |e| str_of(e, "id").to_owned())
}

fn bodies(events: &Value) -> Vec<&str> {
    events.as_array().map(|e| e.iter().filter_map(|e| e["body"].as_str()).collect()).unwrap_or_default()
}

#[test]
fn a_reply_on_a_stale_view_is_refused_with_what_changed_and_goes_through_once_seen() {
    let h = Harness::new();
    let (id, requester) = h.file("demo", "Export fails");
    // Dana and Sam open the same new ticket: nothing has happened yet.
    let seen = last_event(&h.view(SAM, &id));
    assert_eq!(seen, "created");
    let (status, dana) = h.reply(DANA, &id, Some("\"created\""), "Looking into it.");
    assert_eq!(status, 201, "{dana}");
    let (status, conflict) = h.reply(SAM, &id, Some(&format!("\"{seen}\"")), "Try the beta export.");
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(str_of(&conflict, "code"), "edit_conflict");
    assert_eq!(bodies(&conflict["since"]), ["Looking into it."]);
    assert_eq!(conflict["since"][0]["by"], "Dana");
    assert_eq!(str_of(&conflict, "latest"), last_event(&dana));
    assert_eq!(bodies(&h.view(DANA, &id)["events"]), ["Looking into it."], "the refused reply is not recorded");
    // Having seen it, Sam sends anyway.
    let (status, sent) = h.reply(SAM, &id, Some(str_of(&conflict, "latest")), "Try the beta export.");
    assert_eq!(status, 201, "{sent}");
    assert_eq!(bodies(&sent["events"]), ["Looking into it.", "Try the beta export."]);
    // Sam's own reply since does not stand in his way; the requester's answer does.
    let his = last_event(&sent);
    let answer = h.send(&request(
        Method::Post,
        &format!("/v1/tickets/{id}/messages"),
        &[("content-type", "application/json"), ("buoy-requester-token", &requester)],
        json!({ "body": "Still broken." }).to_string().as_bytes(),
    ));
    assert_eq!(answer.0, 201, "{}", answer.1);
    let (status, conflict) = h.agent_post(SAM, &format!("/v1/agent/tickets/{id}/changes"), Some(&his), &json!({ "status": "solved" }));
    assert_eq!((status, bodies(&conflict["since"])), (409, vec!["Still broken."]), "{conflict}");
    // A script without If-Match works as before; an If-Match naming no event of the ticket is a 400 naming the header.
    assert_eq!(h.reply(DANA, &id, None, "Scripted.").0, 201);
    let (status, bad) = h.reply(DANA, &id, Some("\"msg-nope\""), "Hello");
    assert_eq!((status, str_of(&bad, "code")), (400, "invalid_request"), "{bad}");
    assert!(str_of(&bad, "detail").starts_with("If-Match"), "{bad}");
}

#[test]
fn presence_shows_who_else_is_on_a_ticket_until_they_leave_or_lapse() {
    let h = Harness::new();
    let (id, _) = h.file("demo", "Export fails");
    let start = h.now.get();
    assert_eq!(h.beat(DANA, &id, "viewing")["present"], json!([]));
    let seen = h.beat(SAM, &id, "replying");
    assert_eq!(
        seen["present"].as_array().map(|p| p.iter().map(|p| (str_of(p, "agent"), str_of(p, "activity"))).collect::<Vec<_>>()),
        Some(vec![("Dana", "viewing")])
    );
    assert_eq!(h.beat(DANA, &id, "viewing")["present"][0]["activity"], "replying");
    // The room's latest event comes with every beat.
    let (_, dana) = h.reply(DANA, &id, None, "On it.");
    assert_eq!(h.beat(SAM, &id, "viewing")["latest"], json!(last_event(&dana)));
    // Another site's agent is in another room, even for the same id.
    assert_eq!(h.beat(OTHER, &id, "viewing")["present"], json!([]));
    // Leaving ends presence at once; silence ends it after the TTL.
    h.beat(SAM, &id, "gone");
    assert_eq!(h.beat(DANA, &id, "viewing")["present"], json!([]));
    h.beat(SAM, &id, "viewing");
    h.now.set(start + buoy_shared::collision::PRESENCE_TTL_MS + 1);
    assert_eq!(h.beat(DANA, &id, "viewing")["present"], json!([]));
    let (status, bad) = h.agent_post(DANA, &format!("/v1/agent/tickets/{id}/presence"), None, &json!({ "activity": "dancing" }));
    assert_eq!(status, 400, "{bad}");
    assert_eq!(h.agent_post(DANA, "/v1/agent/tickets/not-an-id/presence", None, &json!({ "activity": "viewing" })).0, 404);
}

#[test]
fn a_bulk_change_is_each_tickets_own_change_with_a_result_per_ticket() {
    let h = Harness::new();
    let ids: Vec<String> = ["One", "Two", "Three"].iter().map(|s| h.file("demo", s).0).collect();
    let (foreign, _) = h.file("other", "Not yours");
    // A ticket with a tag already keeps it.
    assert_eq!(h.agent_post(DANA, &format!("/v1/agent/tickets/{}/changes", ids[0]), None, &json!({ "tags": ["billing"] })).0, 200);
    let mut tickets: Vec<&str> = ids.iter().map(String::as_str).collect();
    tickets.push(&foreign);
    let (status, answer) = h.agent_post(
        SAM,
        "/v1/agent/bulk",
        None,
        &json!({ "tickets": tickets, "status": "solved", "assignee": "Dana", "add_tags": ["vip"] }),
    );
    assert_eq!(status, 200, "{answer}");
    let results = answer["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.iter().map(|r| r["status"].as_u64().unwrap_or(0)).collect::<Vec<_>>(), [200, 200, 200, 404]);
    assert_eq!(results[3]["problem"]["code"], "not_found", "another site's ticket is a 404 of its own");
    for (n, id) in ids.iter().enumerate() {
        let view = h.view(DANA, id);
        assert_eq!((view["state"]["status"].as_str(), view["state"]["assignee"].as_str()), (Some("solved"), Some("Dana")));
        let changes: Vec<&Value> = view["events"]
            .as_array()
            .map(|e| e.iter().filter(|e| e["kind"] == "changed" && e["by"] == "Sam").collect())
            .unwrap_or_default();
        assert_eq!(changes.len(), 1, "one event per ticket: {view}");
        let want = if n == 0 { json!(["billing", "vip"]) } else { json!(["vip"]) };
        assert_eq!(view["state"]["tags"], want);
    }
    // One ticket's refusal leaves the others changed.
    let (_, answer) = h.agent_post(SAM, "/v1/agent/bulk", None, &json!({ "tickets": [ids[0], "nope"], "add_tags": ["Not A Tag"] }));
    assert_eq!(answer["results"][0]["status"], 422, "{answer}");
    assert_eq!(answer["results"][0]["problem"]["errors"][0]["field"], "tags");
    for bad in [
        json!({ "tickets": [], "status": "solved" }),
        json!({ "tickets": [ids[0], ids[0]], "status": "solved" }),
        json!({ "tickets": [ids[0]] }),
    ] {
        let (status, problem) = h.agent_post(SAM, "/v1/agent/bulk", None, &bad);
        assert_eq!((status, str_of(&problem, "code")), (400, "invalid_request"), "{bad}: {problem}");
    }
}
