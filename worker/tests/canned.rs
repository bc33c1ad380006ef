//! Canned replies on the host against the memory store: leads edit them,
//! agents list and render them; bad input is a 422 naming the field; a
//! site keeps its own; the rendered change applies as a single change.

mod common;

use buoy_worker::api::AgentToken;
use buoy_worker::http::Method;
use common::{request, site, str_of, Harness};
use serde_json::{json, Value};

const LEAD: &str = "Bearer lead-token";
const AGENT: &str = "Bearer agent-token";
const OTHER: &str = "Bearer other-token";

fn harness() -> Harness {
    let origins = json!(["https://app.example.com"]);
    let mut config = common::config(&json!({
        "demo": { "name": "Demo", "allowed_origins": origins },
        "other": { "name": "Other", "allowed_origins": origins },
    }));
    config.agents = serde_json::from_value(json!([
        { "name": "Lee Lead", "site": "demo", "token_secret": "LEAD", "role": "lead" },
        { "name": "Dana Agent", "site": "demo", "token_secret": "AGENT" },
        { "name": "Olga", "site": "other", "token_secret": "OTHER", "role": "lead" },
    ]))
    .unwrap_or_else(|e| unreachable!("{e}"));
    let token = |name: &str, site_id: &str, token: &str| AgentToken { agent: name.into(), site: site(site_id), token: token.into() };
    Harness::serving(
        config,
        vec![token("Lee Lead", "demo", "lead-token"), token("Dana Agent", "demo", "agent-token"), token("Olga", "other", "other-token")],
    )
}

fn post(h: &Harness, auth: &str, path: &str, body: &Value) -> (u16, Value) {
    let headers = [("authorization", auth), ("content-type", "application/json")];
    let (status, answer, _) = h.send(&request(Method::Post, path, &headers, body.to_string().as_bytes()));
    (status, answer)
}

fn get(h: &Harness, auth: &str, path: &str) -> (u16, Value) {
    let (status, answer, _) = h.send(&request(Method::Get, path, &[("authorization", auth)], b""));
    (status, answer)
}

#[test]
fn leads_edit_agents_use_and_the_actions_are_one_change() {
    let h = harness();
    let reply = json!({ "title": "Refund sent", "body": "Hi {{requester.first_name}}, {{ticket.reference}} is refunded. {{agent.first_name}}",
        "actions": { "status": "pending", "add_tags": ["refund"], "assign": "me" } });
    let (status, answer) = post(&h, AGENT, "/v1/agent/canned", &reply);
    assert_eq!((status, str_of(&answer, "code")), (403, "forbidden"));
    let (status, added) = post(&h, LEAD, "/v1/agent/canned", &reply);
    assert_eq!(status, 201, "{added}");
    let id = str_of(&added, "id").to_owned();

    // Every agent of the site lists it; another site's lead does not see it.
    let (_, listed) = get(&h, AGENT, "/v1/agent/canned");
    assert_eq!((listed["replies"][0]["id"].as_str(), listed["editable"].as_bool()), (Some(id.as_str()), Some(false)));
    let (_, elsewhere) = get(&h, OTHER, "/v1/agent/canned");
    assert_eq!(elsewhere["replies"], json!([]));

    let body = json!({ "site": "demo", "name": "Ada Lovelace", "email": "ada@example.com", "type": "bug", "subject": "Charged twice", "message": "Twice." });
    let (status, ticket) = post(&h, "", "/v1/tickets", &body);
    assert_eq!(status, 201, "{ticket}");
    let (ticket_id, reference) = (str_of(&ticket, "id").to_owned(), str_of(&ticket, "reference").to_owned());
    let (status, rendered) = get(&h, AGENT, &format!("/v1/agent/tickets/{ticket_id}/canned/{id}"));
    assert_eq!(status, 200, "{rendered}");
    assert_eq!(str_of(&rendered, "body"), format!("Hi Ada, {reference} is refunded. Dana"));
    assert_eq!(rendered["change"], json!({ "status": "pending", "assignee": "Dana Agent", "tags": ["refund"] }));
    // Another site's lead cannot render it on this ticket, nor this site's reply on theirs.
    assert_eq!(get(&h, OTHER, &format!("/v1/agent/tickets/{ticket_id}/canned/{id}")).0, 404);

    // The change goes through the changes endpoint as any single change.
    let (status, view) = post(&h, AGENT, &format!("/v1/agent/tickets/{ticket_id}/changes"), &rendered["change"]);
    assert_eq!(status, 200, "{view}");
    assert_eq!((view["state"]["status"].as_str(), view["state"]["assignee"].as_str()), (Some("pending"), Some("Dana Agent")));

    // Changed and removed by the lead only; both are in the audit trail's keys.
    let (status, _) = post(&h, AGENT, &format!("/v1/agent/canned/{id}/remove"), &json!({}));
    assert_eq!(status, 403);
    let (status, changed) = post(&h, LEAD, &format!("/v1/agent/canned/{id}"), &json!({ "title": "Refund done", "body": "Done." }));
    assert_eq!((status, str_of(&changed, "title")), (200, "Refund done"));
    assert_eq!(post(&h, LEAD, &format!("/v1/agent/canned/{id}/remove"), &json!({})).0, 204);
    assert_eq!(post(&h, LEAD, &format!("/v1/agent/canned/{id}/remove"), &json!({})).0, 404);
    assert_eq!(get(&h, AGENT, &format!("/v1/agent/tickets/{ticket_id}/canned/{id}")).0, 404);
}

#[test]
fn bad_canned_replies_are_refused_naming_each_field() {
    let h = harness();
    let (status, answer) = post(
        &h,
        LEAD,
        "/v1/agent/canned",
        &json!({ "title": "", "body": "Hi {{requester.phone}}", "actions": { "add_tags": ["Not a tag"], "assign": "Nobody" } }),
    );
    assert_eq!((status, str_of(&answer, "code")), (422, "validation_failed"), "{answer}");
    let fields: Vec<(&str, &str)> =
        answer["errors"].as_array().map(|e| e.iter().map(|e| (str_of(e, "field"), str_of(e, "code"))).collect()).unwrap_or_default();
    assert_eq!(
        fields,
        [("title", "required"), ("body", "unknown_variable"), ("actions.add_tags", "invalid_text"), ("actions.assign", "unknown_value")]
    );
    assert!(str_of(&answer, "detail").contains("unknown variable {{requester.phone}}"), "{answer}");
    let (status, answer) = post(&h, LEAD, "/v1/agent/canned", &json!({ "title": "x", "body": "y", "extra": 1 }));
    assert_eq!((status, str_of(&answer, "code")), (400, "invalid_request"), "{answer}");
    assert_eq!(get(&h, LEAD, "/v1/agent/canned").1["replies"], json!([]), "nothing refused was stored");
}
