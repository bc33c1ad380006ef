//! Named business calendars through the handlers: a ticket is stamped with
//! its group's calendar, else its site's, else the default, and its clocks,
//! its queue row and the sweep's breaches count in that calendar.

mod common;

use buoy_shared::sla::NamedCalendars;
use buoy_shared::time::Timestamp;
use buoy_worker::api::AgentToken;
use buoy_worker::http::Method;
use common::{request, site, str_of, Harness};
use futures_executor::block_on;
use serde_json::{json, Value};

/// Friday 4 December 2026, 16:00 UTC: 16:00 in London, 11:00 in New York.
const FRIDAY_4PM: &str = "2026-12-04T16:00:00.000Z";

fn weekdays(hours: &str) -> Value {
    json!({ "mon": hours, "tue": hours, "wed": hours, "thu": hours, "fri": hours })
}

/// Site `shop` works London hours; its billing tickets go to `us-billing`,
/// which works New York hours; site `app` keeps the default (UTC 09-17).
/// Free tickets' first response is 4 business hours.
fn harness() -> Harness {
    let origins = json!(["https://app.example.com"]);
    let config: buoy_shared::config::Config = serde_json::from_value(json!({
        "sites": {
            "shop": { "name": "Shop", "allowed_origins": origins, "calendar": "emea" },
            "app": { "name": "App", "allowed_origins": origins },
        },
        "calendars": {
            "emea": { "time_zone": "Europe/London", "open": weekdays("09:00-17:30") },
            "americas": { "time_zone": "America/New_York", "open": weekdays("09:00-17:00") },
        },
        "groups": { "us-billing": { "calendar": "americas" } },
        "routing": [{ "name": "billing", "when": { "type": ["billing"] }, "then": { "group": "us-billing" } }],
        "policies": { "free": { "first_response": { "hours": "business", "normal": "4h" } } },
    }))
    .unwrap_or_else(|e| unreachable!("{e}"));
    config.validate().unwrap_or_else(|e| unreachable!("{e}"));
    let calendars = config.business_calendars(|name| jiff::tz::TimeZone::get(name).ok()).unwrap_or_else(|e| unreachable!("{e}"));
    let agents = vec![
        AgentToken { agent: "Dana".into(), site: site("shop"), token: "shop-token".into() },
        AgentToken { agent: "Ari".into(), site: site("app"), token: "app-token".into() },
    ];
    let mut h = Harness::serving(config, agents);
    h.calendars = Some(calendars);
    h.now.set(Timestamp::parse(FRIDAY_4PM).map(Timestamp::as_millis).unwrap_or_default());
    h
}

/// Files a ticket and reads it back as its site's agent: the agent view.
fn file(h: &Harness, site: &str, kind: &str, token: &str) -> Value {
    let body = json!({ "site": site, "email": "ada@example.com", "type": kind, "subject": "Help", "message": "Please help." });
    let (status, created, _) =
        h.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
    assert_eq!(status, 201, "{created}");
    let auth = format!("Bearer {token}");
    let (status, view, _) =
        h.send(&request(Method::Get, &format!("/v1/agent/tickets/{}", str_of(&created, "id")), &[("authorization", &auth)], b""));
    assert_eq!(status, 200, "{view}");
    view
}

fn first_response_due(view: &Value) -> Value {
    view["clocks"].as_array().and_then(|c| c.iter().find(|c| c["metric"] == "first_response")).map_or(Value::Null, |c| c["due"].clone())
}

#[test]
fn the_same_filing_is_due_by_the_calendar_of_its_group_its_site_or_the_default() {
    let h = harness();
    let cases = [
        // London: 16:00-17:30 Friday, then 2.5 h from Monday 09:00.
        ("shop", "bug", "shop-token", "emea", "2026-12-07T11:30:00.000Z"),
        // Routed to us-billing: New York 11:00-15:00 the same Friday.
        ("shop", "billing", "shop-token", "americas", "2026-12-04T20:00:00.000Z"),
        ("app", "billing", "app-token", "americas", "2026-12-04T20:00:00.000Z"),
        // UTC 09:00-17:00: one hour Friday, three from Monday 09:00.
        ("app", "bug", "app-token", "default", "2026-12-07T12:00:00.000Z"),
    ];
    for (site, kind, token, calendar, due) in cases {
        let view = file(&h, site, kind, token);
        assert_eq!(view["sla"]["calendar"], json!(calendar), "{site} {kind}: the stamp names its calendar");
        assert_eq!(first_response_due(&view), json!(due), "{site} {kind}");
    }
    // The queue row counts in the same calendar: at Friday 18:00 UTC the
    // London ticket has used 1.5 h (London closed at 17:30), 2.5 h left;
    // the New York one 2 h (11:00-13:00 local), 2 h left.
    h.now.set(Timestamp::parse("2026-12-04T18:00:00Z").map(Timestamp::as_millis).unwrap_or_default());
    let (status, queue, _) = h.send(&request(Method::Get, "/v1/agent/tickets", &[("authorization", "Bearer shop-token")], b""));
    assert_eq!(status, 200, "{queue}");
    let mut left: Vec<(String, i64)> = queue["tickets"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| (r["type"].as_str().unwrap_or_default().to_owned(), r["clocks"][0]["remaining_seconds"].as_i64().unwrap_or(-1)))
                .collect()
        })
        .unwrap_or_default();
    left.sort();
    assert_eq!(left, [("billing".to_owned(), 2 * 3600), ("bug".to_owned(), 2 * 3600 + 30 * 60)]);
}

#[test]
fn the_sweep_records_a_breach_at_the_due_time_of_the_tickets_calendar() {
    let h = harness();
    let view = file(&h, "shop", "bug", "shop-token");
    let id = str_of(&view, "id").to_owned();
    let sweep = |at: &str| {
        let calendars: &dyn NamedCalendars = h.calendars.as_ref().unwrap_or_else(|| unreachable!());
        let run = buoy_worker::sweep::Sweep {
            store: &h.store,
            outbound: &common::NoOutbound,
            config: &h.config,
            business: calendars,
            hooks: &[],
            now: Timestamp::parse(at).unwrap_or_else(|e| unreachable!("{e}")),
            mail: None,
        };
        block_on(run.run_within(buoy_shared::budget::Plan::Free.limits())).unwrap_or_else(|e| unreachable!("{e:?}"))
    };
    // Monday 12:00 UTC would be past due in the default calendar; in London's it is not yet.
    assert_eq!(sweep("2026-12-07T11:00:00Z").recorded, 0, "not due in London hours");
    assert_eq!(sweep("2026-12-07T11:31:00Z").recorded, 1);
    let (_, view, _) = h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", "Bearer shop-token")], b""));
    let breach = view["events"].as_array().and_then(|e| e.iter().find(|e| e["kind"] == "breached").cloned()).unwrap_or_default();
    assert_eq!(breach["at"], json!("2026-12-07T11:30:00.000Z"), "{view}");
}
