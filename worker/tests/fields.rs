//! Custom fields and host context through the API on the host: checked
//! against the site's definitions (422 naming `fields.<id>`), stored with
//! the page's context apart from what an identity signed, routed by
//! `when.fields`, listed to agents, filtered in the queue and counted in
//! metrics by select.

mod common;

use buoy_shared::identity::{sign, IdentityClaim};
use buoy_shared::time::Timestamp;
use buoy_worker::api::AgentToken;
use buoy_worker::http::Method;
use common::{request, site, str_of, Harness, NOW};
use serde_json::{json, Value};

const AGENT: &str = "Bearer lumen-agent-token";

/// `lumen` defines `app_version` (host), `plan` (required select) and
/// `accepts_contact` (checkbox), verifies identities, and routes
/// enterprise plans to the `vip` group.
fn harness() -> Harness {
    let config = common::config(&json!({
        "lumen": {
            "name": "Lumen",
            "allowed_origins": ["https://app.example.com"],
            "identity_secret": "BUOY_IDENTITY_SECRET",
            "fields": [
                { "id": "app_version", "label": { "en": "App version" }, "kind": "text", "who": "host" },
                { "id": "plan", "label": { "en": "Plan", "de": "Tarif" }, "kind": "select", "required": true,
                  "options": [{ "id": "pro", "label": { "en": "Pro" } }, { "id": "enterprise", "label": { "en": "Enterprise" } }] },
                { "id": "accepts_contact", "label": { "en": "You may call me" }, "kind": "checkbox" },
            ],
        },
    }));
    let mut h = Harness::serving(config, vec![AgentToken { agent: "Dana".into(), site: site("lumen"), token: "lumen-agent-token".into() }]);
    h.config.routing = serde_json::from_value(json!([
        { "name": "enterprise plans", "when": { "fields": { "plan": ["enterprise"] } }, "then": { "group": "vip", "tags": ["enterprise"] } }
    ]))
    .unwrap_or_else(|e| unreachable!("{e}"));
    h.config.validate().unwrap_or_else(|e| unreachable!("{e}"));
    h
}

fn ticket(extra: &Value) -> Value {
    let mut body = json!({
        "site": "lumen", "email": "ada@example.com", "type": "bug", "subject": "Export fails", "message": "It stops at 99%.",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

fn create(h: &Harness, body: &Value) -> (u16, Value) {
    let (status, body, _) =
        h.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
    (status, body)
}

fn agent_get(h: &Harness, path: &str) -> Value {
    h.send(&request(Method::Get, path, &[("authorization", AGENT)], b"")).1
}

fn errors(body: &Value) -> Vec<(String, String)> {
    body["errors"].as_array().into_iter().flatten().map(|e| (str_of(e, "field").to_owned(), str_of(e, "code").to_owned())).collect()
}

#[test]
fn bad_field_values_and_context_are_422s_naming_the_field() {
    let h = harness();
    let long = "v".repeat(201);
    let many: serde_json::Map<String, Value> = (0..21).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases = [
        (json!({}), vec![("fields.plan", "required")]),
        (json!({ "fields": { "plan": "gold" } }), vec![("fields.plan", "unknown_value")]),
        (json!({ "fields": { "plan": "pro", "colour": "red" } }), vec![("fields.colour", "unknown_field")]),
        (json!({ "fields": { "plan": "pro", "accepts_contact": "maybe" } }), vec![("fields.accepts_contact", "unknown_value")]),
        (
            json!({ "fields": { "plan": "pro" }, "context": { "reported": { "app_version": long } } }),
            vec![("context.reported.app_version", "too_long"), ("fields.app_version", "too_long")],
        ),
        (json!({ "fields": { "plan": "pro" }, "context": { "reported": many } }), vec![("context.reported", "too_long")]),
        (
            json!({ "fields": { "plan": "pro" }, "context": { "verified": { "plan": "enterprise" } } }),
            vec![("context.verified", "unknown_field")],
        ),
        (json!({ "email": "", "fields": { "plan": "gold" } }), vec![("email", "required"), ("fields.plan", "unknown_value")]),
    ];
    for (extra, expected) in cases {
        let (status, body) = create(&h, &ticket(&extra));
        let expected: Vec<(String, String)> = expected.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect();
        assert_eq!((status, errors(&body)), (422, expected), "{extra}");
    }
    let queue = agent_get(&h, "/v1/agent/tickets");
    assert_eq!(queue["tickets"].as_array().map(Vec::len), Some(0), "nothing stored");
}

#[test]
fn fields_and_both_contexts_are_stored_routed_and_shown_to_agents() {
    let h = harness();
    let exp = Timestamp::parse(NOW).map(|t| t.as_millis() / 1000 + 3600).unwrap_or_default();
    let mut claim = IdentityClaim { id: Some("u_42".into()), exp: Some(exp), ..IdentityClaim::default() };
    claim.context.insert("account_id".into(), "acc_9".into());
    let signature = sign(common::IDENTITY_SECRET.as_bytes(), &claim);
    let identity = json!({ "id": "u_42", "exp": exp, "context": { "account_id": "acc_9" }, "signature": signature });
    let (status, created) = create(
        &h,
        &ticket(&json!({
            "fields": { "plan": "enterprise", "accepts_contact": "true" },
            "context": { "url": "https://app.example.com/export", "reported": { "app_version": "4.2.1", "account_id": "acc_fake" } },
            "identity": identity,
        })),
    );
    assert_eq!(status, 201, "{created}");
    let view = agent_get(&h, &format!("/v1/agent/tickets/{}", str_of(&created, "id")));
    // The host field took the page's context of its key.
    assert_eq!(view["fields"], json!({ "plan": "enterprise", "accepts_contact": "true", "app_version": "4.2.1" }));
    assert_eq!(view["context"]["reported"], json!({ "app_version": "4.2.1", "account_id": "acc_fake" }));
    assert_eq!(view["context"]["verified"], json!({ "account_id": "acc_9" }));
    assert_eq!((str_of(&view, "group"), view["tags"].clone()), ("vip", json!(["enterprise"])), "routed by when.fields");

    let (status, pro) = create(&h, &ticket(&json!({ "fields": { "plan": "pro" } })));
    assert_eq!(status, 201);
    let pro_view = agent_get(&h, &format!("/v1/agent/tickets/{}", str_of(&pro, "id")));
    assert_eq!(pro_view["group"], Value::Null, "no rule matched");
    assert_eq!(pro_view["context"].get("verified"), None, "nothing signed, nothing verified");

    let ids = |query: &str| -> Vec<String> {
        let page = agent_get(&h, &format!("/v1/agent/tickets?{query}"));
        page["tickets"].as_array().into_iter().flatten().map(|t| str_of(t, "id").to_owned()).collect()
    };
    assert_eq!(ids("field=plan:enterprise"), [str_of(&created, "id")]);
    assert_eq!(ids("field=plan:pro"), [str_of(&pro, "id")]);
    assert_eq!(ids("field=plan:enterprise,pro").len(), 2);
    assert_eq!(ids("field=accepts_contact:true"), [str_of(&created, "id")]);
    let (status, _, _) = h.send(&request(Method::Get, "/v1/agent/tickets?field=Plan", &[("authorization", AGENT)], b""));
    assert_eq!(status, 400);

    let me = agent_get(&h, "/v1/agent/me");
    assert_eq!(me["fields"][1]["label"], json!({ "en": "Plan", "de": "Tarif" }), "the console labels fields from here");

    let response = h.send(&request(Method::Get, "/v1/agent/metrics.csv?from=2026-11-30&to=2026-12-01", &[("authorization", AGENT)], b"")).2;
    let text = String::from_utf8_lossy(&response.body);
    assert!(text.lines().any(|l| l.starts_with("volume_by_field,plan=enterprise,1")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("volume_by_field,plan=pro,1")), "{text}");
    assert!(!text.contains("accepts_contact="), "checkboxes are not broken down, selects are");
}
