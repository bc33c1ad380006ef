//! The agents' queue and the creation of tickets, counted in KV
//! operations on the host against the memory store: a page of the queue
//! is one list and nothing else, a create writes its record and then its
//! index entries, and the rows converge on the tickets' events.

mod common;

use buoy_shared::sla::AlwaysOpen;
use buoy_shared::time::Timestamp;
use buoy_worker::api::AgentToken;
use buoy_worker::http::Method;
use buoy_worker::store::{Kv, KvOps};
use common::{request, site, str_of, Harness};
use futures_executor::block_on;
use serde_json::{json, Value};

const AUTH: &str = "Bearer demo-agent-token";

impl Harness {
    fn new() -> Self {
        let origins = json!(["https://app.example.com"]);
        let config = common::config(&json!({ "demo": { "name": "Demo", "allowed_origins": origins } }));
        let agent = |name: &str, token: &str| AgentToken { agent: name.into(), site: site("demo"), token: token.into() };
        Self::serving(config, vec![agent("Dana", "demo-agent-token"), agent("Sam", "sam-agent-token")])
    }

    /// Files a ticket; its id.
    fn file(&self, subject: &str) -> String {
        let body =
            json!({ "site": "demo", "name": "Ada", "email": "ada@example.com", "type": "bug", "subject": subject, "message": "It stops." });
        let (status, created, _) =
            self.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
        assert_eq!(status, 201, "{created}");
        str_of(&created, "id").to_owned()
    }

    /// An agent's change to a ticket: the ticket as the answer shows it.
    fn change(&self, id: &str, change: &Value) -> Value {
        let path = format!("/v1/agent/tickets/{id}/changes");
        let headers = [("authorization", AUTH), ("content-type", "application/json")];
        let (status, view, _) = self.send(&request(Method::Post, &path, &headers, change.to_string().as_bytes()));
        assert_eq!(status, 200, "{view}");
        view
    }

    /// A page of the queue and the KV operations it took.
    fn page(&self, query: &str) -> (Value, KvOps) {
        self.store.kv().reset_operations();
        let (status, page, _) = self.send(&request(Method::Get, &format!("/v1/agent/tickets?{query}"), &[("authorization", AUTH)], b""));
        assert_eq!(status, 200, "{page}");
        (page, self.store.kv().operations())
    }

    /// The row of ticket `id` on the first page of the queue.
    fn row(&self, id: &str) -> Value {
        let (page, _) = self.page("limit=100");
        page["tickets"].as_array().and_then(|rows| rows.iter().find(|r| r["id"] == id).cloned()).unwrap_or(Value::Null)
    }

    /// Runs the sweep at `at` (ms).
    fn sweep(&self, at: i64) {
        let outbound = NoNetwork;
        let run = buoy_worker::sweep::Sweep {
            store: &self.store,
            outbound: &outbound,
            config: &self.config,
            business: &AlwaysOpen,
            hooks: &[],
            now: Timestamp::from_millis(at),
            mail: None,
        };
        block_on(run.run()).unwrap_or_else(|e| unreachable!("{e:?}"));
    }
}

struct NoNetwork;

impl buoy_worker::sweep::Outbound for NoNetwork {
    async fn post(&self, _url: &str, _headers: &[(&str, String)], _body: &str) -> Result<u16, String> {
        Err("no network in this test".into())
    }
}

fn ops(gets: u32, puts: u32, lists: u32, deletes: u32) -> KvOps {
    KvOps { gets, puts, lists, deletes }
}

#[test]
fn a_queue_page_of_fifty_is_one_list_and_nothing_else() {
    let h = Harness::new();
    let ids: Vec<String> = (0..60).map(|i| h.file(&format!("ticket {i}"))).collect();
    // Some worked on, so rows differ from what creation wrote.
    h.change(&ids[3], &json!({ "status": "pending" }));
    h.change(&ids[4], &json!({ "assignee": "Sam", "tier": 2 }));
    h.change(&ids[5], &json!({ "status": "solved" }));
    let (page, spent) = h.page("limit=50");
    assert_eq!(spent, ops(0, 0, 1, 0), "one list: no record, no event read");
    let rows = page["tickets"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 50);
    assert!(page["cursor"].is_string(), "ten more on the next page");
    let (next, spent) = h.page(&format!("limit=50&cursor={}", str_of(&page, "cursor")));
    assert_eq!(spent, ops(0, 0, 1, 0));
    let all: Vec<Value> = rows.into_iter().chain(next["tickets"].as_array().cloned().unwrap_or_default()).collect();
    assert_eq!(all.len(), 60, "every ticket once");
    let row = |id: &str| all.iter().find(|r| r["id"] == id).cloned().unwrap_or(Value::Null);
    assert_eq!(row(&ids[3])["state"]["status"], "pending");
    assert_eq!(row(&ids[3])["next_due"], Value::Null, "waiting on the requester: nothing due");
    assert_eq!((row(&ids[4])["state"]["assignee"].clone(), row(&ids[4])["state"]["tier"].clone()), (json!("Sam"), json!(2)));
    assert_eq!(str_of(&all[59], "id"), ids[5], "a solved ticket comes after every live one");
}

#[test]
fn a_filtered_page_reads_no_ticket_either() {
    let h = Harness::new();
    let ids: Vec<String> = (0..10).map(|i| h.file(&format!("ticket {i}"))).collect();
    h.change(&ids[2], &json!({ "assignee": "Sam" }));
    h.change(&ids[7], &json!({ "assignee": "Sam", "status": "pending" }));
    let (page, spent) = h.page("assignee=Sam&status=pending");
    assert_eq!(spent, ops(0, 0, 1, 0));
    let found: Vec<&str> = page["tickets"].as_array().into_iter().flatten().map(|r| str_of(r, "id")).collect();
    assert_eq!(found, [ids[7].as_str()]);
}

#[test]
fn a_create_writes_its_record_then_its_index_entries_and_reads_nothing() {
    let h = Harness::new();
    h.store.kv().reset_operations();
    let id = h.file("Charged twice");
    // The record; then at once the queue entry with its row, the sweep's
    // first check, the metric facts and the requester's email entry (no
    // webhook and no verified user on this site, so no outbox entry and
    // no user index).
    assert_eq!(h.store.kv().operations(), ops(0, 5, 0, 0));
    let written = h.store.kv().written();
    assert_eq!(written[0], format!("t/{id}"), "the record first: no index names a ticket not written");
    let mut rest: Vec<&str> = written[1..].iter().map(|k| k.split('/').next().unwrap_or_default()).collect();
    rest.sort_unstable();
    assert_eq!(rest, ["d", "m", "q", "ue"]);
    let queued = h.store.kv().keys("q/demo/");
    assert_eq!(queued.len(), 1);
    assert!(h.store.kv().metadata(&queued[0]).is_some_and(|m| m.len() <= buoy_shared::queue::METADATA_BYTES), "the row rides on the entry");
}

#[test]
fn the_agents_own_change_shows_in_the_queue_at_once() {
    let h = Harness::new();
    let id = h.file("Export fails");
    let answer = h.change(&id, &json!({ "status": "pending", "assignee": "Sam", "tags": ["export"] }));
    let row = h.row(&id);
    assert_eq!(row["state"]["status"], answer["state"]["status"]);
    assert_eq!(row["state"]["assignee"], "Sam");
    assert_eq!(row["state"]["tags"], json!(["export"]));
    let (_, spent) = h.page("status=pending");
    assert_eq!(spent.gets, 0, "from the row, not the ticket");
}

#[test]
fn an_entry_from_before_rows_is_read_from_its_ticket_so_nothing_disappears() {
    let h = Harness::new();
    let id = h.file("Old ticket");
    h.change(&id, &json!({ "status": "open" }));
    let kv = h.store.kv();
    let key = kv.keys("q/demo/").pop().unwrap_or_default();
    // As an entry written before rows existed: no metadata.
    block_on(kv.put(&key, "", None)).unwrap_or_else(|e| unreachable!("{e:?}"));
    let (page, spent) = h.page("");
    assert_eq!(spent, ops(1, 0, 2, 0), "the list, then its record and its events for that row only");
    assert_eq!(page["tickets"][0]["id"], id.as_str());
    assert_eq!(page["tickets"][0]["state"]["status"], "open", "from the events");
}

#[test]
fn the_sweep_backfills_rows_for_entries_from_before_rows_a_page_a_run() {
    let h = Harness::new();
    let ids: Vec<String> = (0..70).map(|i| h.file(&format!("old {i}"))).collect();
    h.change(&ids[0], &json!({ "status": "solved" }));
    let kv = h.store.kv();
    // As every entry written before rows existed: no metadata, and no
    // check of the sweep's due to rebuild them.
    for key in kv.keys("q/").into_iter().chain(kv.keys("d/")) {
        if key.starts_with("d/") {
            block_on(kv.delete(&key)).unwrap_or_else(|e| unreachable!("{e:?}"));
        } else {
            block_on(kv.put(&key, "", None)).unwrap_or_else(|e| unreachable!("{e:?}"));
        }
    }
    let (page, spent) = h.page("limit=10");
    assert_eq!(page["tickets"].as_array().map(Vec::len), Some(10), "read from the tickets meanwhile");
    assert_eq!(spent, ops(10, 0, 11, 0));
    let without = || kv.keys("q/").iter().filter(|k| kv.metadata(k).is_none()).count();
    let at = h.now.get() + 3_600_000;
    h.sweep(at);
    assert_eq!(without(), 20, "fifty a run");
    h.sweep(at + 60_000);
    assert_eq!(without(), 0);
    let solved = kv.keys("q/demo/z/");
    assert_eq!(solved.len(), 1);
    assert!(kv.metadata(&solved[0]).is_some_and(|m| m.contains("\"solved\"")));
    let (_, spent) = h.page("limit=50");
    assert_eq!(spent, ops(0, 0, 1, 0));
    // Once through, the backfill reads where it got to and nothing else: an
    // idle run (no hour ended since the last) reads that mark, the site's
    // roll-up watermark, and lists the due index, the two outboxes and
    // the roll-up marks.
    kv.reset_operations();
    h.sweep(at + 61_000);
    assert_eq!(kv.operations(), ops(2, 0, 4, 0), "the backfill's mark, the watermark, the due index, the outboxes, the marks");
    assert_eq!(without(), 0);
}

#[test]
fn a_row_built_from_a_lagging_list_is_rebuilt_by_the_sweep_a_minute_on() {
    let h = Harness::new();
    let id = h.file("Racing writers");
    h.change(&id, &json!({ "tier": 2 }));
    // Another writer's event that the row never saw (its list lagged, and
    // its own row write lost the race).
    let ticket = buoy_shared::ids::TicketId::parse(&id).unwrap_or_else(|e| unreachable!("{e:?}"));
    let event = buoy_shared::events::TicketEvent {
        id: "chg-racing".into(),
        at: Timestamp::from_millis(h.now.get()),
        kind: buoy_shared::events::EventKind::Changed {
            by: "Sam".into(),
            status: None,
            priority: None,
            tier: None,
            assignee: Some("Sam".into()),
            tags: None,
        },
    };
    block_on(h.store.append(&ticket, &event)).unwrap_or_else(|e| unreachable!("{e:?}"));
    assert_eq!(h.row(&id)["state"]["assignee"], Value::Null, "stale until the sweep");
    h.sweep(h.now.get() + 30_000);
    assert_eq!(h.row(&id)["state"]["assignee"], Value::Null, "not before a minute has passed");
    h.sweep(h.now.get() + 60_000);
    let row = h.row(&id);
    assert_eq!((row["state"]["assignee"].clone(), row["state"]["tier"].clone()), (json!("Sam"), json!(2)), "{row}");
}

#[test]
fn a_ticket_moves_between_the_live_and_finished_parts_and_is_listed_once() {
    let h = Harness::new();
    let id = h.file("Solved then reopened");
    h.change(&id, &json!({ "status": "solved" }));
    let keys = h.store.kv().keys("q/demo/");
    assert!(keys.len() == 1 && keys[0].starts_with("q/demo/z/"), "{keys:?}");
    h.change(&id, &json!({ "status": "open" }));
    let keys = h.store.kv().keys("q/demo/");
    assert!(keys.len() == 1 && !keys[0].starts_with("q/demo/z/"), "{keys:?}");
    // A writer that lost track left an entry in both parts: one row shows,
    // the newer, and the sweep clears the other.
    let live = keys[0].clone();
    let finished = live.replacen("q/demo/", "q/demo/z/", 1);
    let old_row =
        h.store.kv().metadata(&live).map(|m| m.replacen("\"open\"", "\"solved\"", 1).replace(&format!(",{}]", h.now.get()), ",0]"));
    block_on(h.store.kv().put(&finished, "", old_row.as_deref())).unwrap_or_else(|e| unreachable!("{e:?}"));
    let (page, _) = h.page("");
    assert_eq!(page["tickets"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["tickets"][0]["state"]["status"], "open");
    h.sweep(h.now.get() + 61_000);
    assert_eq!(h.store.kv().keys("q/demo/"), [live]);
}

#[test]
fn an_assignee_name_too_long_for_the_row_is_filtered_on_the_ticket() {
    let h = Harness::new();
    let long = format!("Dana {}", "Montgomery-".repeat(10));
    let mut h = h;
    h.agents.push(AgentToken { agent: long.clone(), site: site("demo"), token: "long-agent-token".into() });
    let ids: Vec<String> = (0..3).map(|i| h.file(&format!("ticket {i}"))).collect();
    h.change(&ids[1], &json!({ "assignee": long }));
    let row = h.row(&ids[1]);
    let shown = str_of(&row["state"], "assignee");
    assert!(shown.ends_with('\u{2026}') && long.starts_with(shown.trim_end_matches('\u{2026}')), "cut in the row: {shown}");
    let (page, spent) = h.page(&format!("assignee={}", long.replace(' ', "%20")));
    let found: Vec<&str> = page["tickets"].as_array().into_iter().flatten().map(|r| str_of(r, "id")).collect();
    assert_eq!(found, [ids[1].as_str()], "matched on the whole name");
    assert_eq!(spent, ops(1, 0, 2, 0), "the list, then that one ticket's record and events");
    let (page, spent) = h.page("assignee=none");
    assert_eq!(page["tickets"].as_array().map(Vec::len), Some(2));
    assert_eq!(spent, ops(1, 0, 2, 0));
}
