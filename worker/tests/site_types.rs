//! A site's own ticket types through the handlers: only its types are
//! accepted, agents see their labels and filter by them, and a type's
//! playbook escalates its tickets.

mod common;

use buoy_shared::time::Timestamp;
use buoy_worker::api::AgentToken;
use buoy_worker::http::Method;
use common::{request, site, str_of, Harness};
use futures_executor::block_on;
use serde_json::{json, Value};

fn harness() -> Harness {
    let origins = json!(["https://shop.example"]);
    let config: buoy_shared::config::Config = serde_json::from_value(json!({
        "sites": {
            "shop": {
                "name": "Shop",
                "allowed_origins": origins,
                "types": [
                    { "id": "returns", "label": { "en": "Returns", "de": "Rücksendung" }, "playbook": "refunds" },
                    { "id": "billing", "label": { "en": "Invoices" } },
                ],
            },
        },
        "playbooks": { "refunds": { "escalate": [{ "tier": 2, "reason": "Refunds go to tier 2" }] } },
    }))
    .unwrap_or_else(|e| unreachable!("{e}"));
    config.validate().unwrap_or_else(|e| unreachable!("{e}"));
    Harness::serving(config, vec![AgentToken { agent: "Dana".into(), site: site("shop"), token: "shop-token".into() }])
}

fn file(h: &Harness, kind: &str) -> (u16, Value) {
    let body = json!({ "site": "shop", "email": "ada@example.com", "type": kind, "subject": "Help", "message": "Please help." });
    let (status, answer, _) =
        h.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
    (status, answer)
}

fn agent_get(h: &Harness, path: &str) -> (u16, Value) {
    let (status, body, _) = h.send(&request(Method::Get, path, &[("authorization", "Bearer shop-token")], b""));
    (status, body)
}

#[test]
fn a_site_takes_only_its_own_types_and_agents_see_their_labels() {
    let h = harness();
    let (status, created) = file(&h, "returns");
    assert_eq!(status, 201, "{created}");
    let (status, refused) = file(&h, "bug");
    assert_eq!(status, 422, "a built-in type the site does not offer: {refused}");
    assert_eq!(refused["errors"], json!([{ "field": "type", "code": "unknown_type" }]));
    assert_eq!(file(&h, "billing").0, 201, "a built-in id the site lists");

    let (_, me) = agent_get(&h, "/v1/agent/me");
    assert_eq!(me["options"]["type"], json!([{ "value": "returns", "label": "Returns" }, { "value": "billing", "label": "Invoices" }]));

    let (status, queue) = agent_get(&h, "/v1/agent/tickets?type=returns");
    assert_eq!(status, 200, "{queue}");
    let ids: Vec<&str> = queue["tickets"].as_array().map(|t| t.iter().map(|t| str_of(t, "id")).collect()).unwrap_or_default();
    assert_eq!(ids, [str_of(&created, "id")]);
    let (status, problem) = agent_get(&h, "/v1/agent/tickets?type=bug");
    assert_eq!(status, 400, "{problem}");
    assert!(problem.to_string().contains("use returns, billing"), "{problem}");
}

#[test]
fn a_types_playbook_escalates_its_tickets() {
    let h = harness();
    let (_, created) = file(&h, "returns");
    let (_, other) = file(&h, "billing");
    let run = buoy_worker::sweep::Sweep {
        store: &h.store,
        outbound: &common::NoOutbound,
        config: &h.config,
        business: &buoy_shared::sla::AlwaysOpen,
        hooks: &[],
        now: Timestamp::parse("2026-11-30T10:01:00Z").unwrap_or_else(|e| unreachable!("{e}")),
        mail: None,
    };
    let report = block_on(run.run_within(buoy_shared::budget::Plan::Free.limits())).unwrap_or_else(|e| unreachable!("{e:?}"));
    assert_eq!(report.recorded, 1, "the returns ticket only");
    let (_, view) = agent_get(&h, &format!("/v1/agent/tickets/{}", str_of(&created, "id")));
    assert_eq!((view["state"]["tier"].clone(), view["events"][0]["reason"].clone()), (json!(2), json!("Refunds go to tier 2")));
    let (_, view) = agent_get(&h, &format!("/v1/agent/tickets/{}", str_of(&other, "id")));
    assert_eq!(view["state"]["tier"], json!(1));
}
