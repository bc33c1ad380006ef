//! Outbound mail on the host: which events queue mail, how the sweep sends
//! it (once, retried with the same bytes, never to an address that turned
//! mail off), the link pages, and the development view.

mod common;

use buoy_shared::time::{Duration, Timestamp};
use buoy_worker::api::AgentToken;
use buoy_worker::http::{ApiResponse, Method};
use buoy_worker::mail_out::{self, Links};
use buoy_worker::store::PendingMail;
use buoy_worker::sweep::{Outbound, Report, Sweep};
use common::{header, request, site, str_of, Harness, ORIGIN, SERVER_SECRET};
use futures_executor::block_on;
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};

/// The `send_email` binding as the sweep sees it: records what it sends,
/// or fails while `fail` is set.
#[derive(Default)]
struct Mailbox {
    fail: Cell<bool>,
    sent: RefCell<Vec<PendingMail>>,
}

impl Outbound for Mailbox {
    async fn post(&self, _url: &str, _headers: &[(&str, String)], _body: &str) -> Result<u16, String> {
        Ok(204)
    }

    async fn send_mail(&self, mail: &PendingMail) -> Result<(), String> {
        if self.fail.get() {
            return Err("Email Service unavailable".into());
        }
        self.sent.borrow_mut().push(mail.clone());
        Ok(())
    }
}

fn harness() -> Harness {
    let config = common::config(&json!({
        "mail": {
            "name": "Mail Co",
            "allowed_origins": ["https://app.example.com"],
            "email": { "from": "support@mail.example", "reply_domain": "reply.mail.example" },
            "attachments": {}
        },
        "quiet": {
            "name": "Quiet Co",
            "allowed_origins": ["https://quiet.example.com"],
            "email": { "from": "support@quiet.example", "reply_domain": "reply.quiet.example", "notify_requesters": false }
        },
        "plain": { "name": "Plain Co", "allowed_origins": ["https://plain.example.com"] }
    }));
    let mut config = config;
    config.agents = serde_json::from_value(json!([
        { "name": "Mo", "site": "mail", "token_secret": "MO", "email": "mo@mail.example" },
        { "name": "Lee", "site": "mail", "token_secret": "LEE", "email": "lee@mail.example" },
        { "name": "Pia", "site": "plain", "token_secret": "PIA" },
        { "name": "Quinn", "site": "quiet", "token_secret": "QUINN", "email": "quinn@quiet.example" }
    ]))
    .unwrap_or_else(|e| unreachable!("{e}"));
    let agents = [("Mo", "mail"), ("Lee", "mail"), ("Pia", "plain"), ("Quinn", "quiet")]
        .map(|(name, s)| AgentToken { agent: name.into(), site: site(s), token: format!("{name}-token") })
        .to_vec();
    Harness::serving(config, agents)
}

/// A new ticket on `site` from a typed address; its id.
fn create(h: &Harness, site: &str) -> String {
    let body = json!({ "site": site, "name": "Ada", "email": "ada@example.com", "type": "how_to", "subject": "Export fails", "message": "It stops at 99%." });
    let (status, body, _) =
        h.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
    assert_eq!(status, 201, "{body}");
    str_of(&body, "id").to_owned()
}

fn agent(h: &Harness, name: &str, id: &str, what: &str, body: &Value) -> u16 {
    let auth = format!("Bearer {name}-token");
    let path = format!("/v1/agent/tickets/{id}/{what}");
    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
    let (status, body, _) = h.send(&request(Method::Post, &path, &headers, body.to_string().as_bytes()));
    assert!(status < 300, "{path}: {status} {body}");
    status
}

fn queued(h: &Harness) -> Vec<String> {
    h.store.kv().keys("om/")
}

fn sweep(h: &Harness, mailbox: &Mailbox, at: Timestamp) -> Report {
    let run = Sweep {
        store: &h.store,
        outbound: mailbox,
        config: &h.config,
        business: &buoy_shared::sla::AlwaysOpen,
        hooks: &[],
        now: at,
        mail: Some(Links { secret: SERVER_SECRET, origin: ORIGIN }),
    };
    block_on(run.run()).unwrap_or_else(|e| unreachable!("{e:?}"))
}

fn now(h: &Harness) -> Timestamp {
    Timestamp::from_millis(h.now.get())
}

fn page(h: &Harness, method: Method, url: &str) -> (u16, String, ApiResponse) {
    let path = url.strip_prefix(ORIGIN).unwrap_or(url);
    let (status, _, response) = h.send(&request(method, path, &[], b"List-Unsubscribe=One-Click"));
    (status, String::from_utf8_lossy(&response.body).into_owned(), response)
}

#[test]
fn which_events_mail_whom() {
    let h = harness();
    let id = create(&h, "mail");
    assert!(queued(&h).is_empty(), "a new ticket from the panel mails nobody");
    agent(&h, "Mo", &id, "messages", &json!({ "body": "A note", "public": false }));
    assert!(queued(&h).is_empty(), "an internal note mails nobody");
    agent(&h, "Mo", &id, "changes", &json!({ "assignee": "Mo" }));
    assert!(queued(&h).is_empty(), "assigning yourself mails nobody");
    let cases: [(&str, Value, &str); 3] = [
        ("messages", json!({ "body": "Try again", "public": true }), "ada@example.com"),
        ("changes", json!({ "assignee": "Lee" }), "lee@mail.example"),
        ("changes", json!({ "status": "solved" }), "ada@example.com"),
    ];
    for (what, body, to) in cases {
        let mailbox = Mailbox::default();
        agent(&h, "Mo", &id, what, &body);
        let report = sweep(&h, &mailbox, now(&h));
        assert_eq!(report.mailed, 1, "{what} {body}");
        assert_eq!(mailbox.sent.borrow()[0].to, to, "{what} {body}");
    }
    // A site without email, and one that does not email requesters.
    let plain = create(&h, "plain");
    agent(&h, "Pia", &plain, "messages", &json!({ "body": "Hello", "public": true }));
    let quiet = create(&h, "quiet");
    agent(&h, "Quinn", &quiet, "messages", &json!({ "body": "Hello", "public": true }));
    // A requester who unticked "Email me replies".
    let body = json!({ "site": "mail", "email": "ada@example.com", "type": "bug", "subject": "S", "message": "M", "email_replies": false });
    let (status, created, _) =
        h.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
    assert_eq!(status, 201, "{created}");
    let unticked = created["id"].as_str().unwrap_or_default().to_owned();
    agent(&h, "Mo", &unticked, "messages", &json!({ "body": "Hello", "public": true }));
    agent(&h, "Mo", &unticked, "changes", &json!({ "status": "solved" }));
    assert!(queued(&h).is_empty(), "{:?}", queued(&h));
}

#[test]
fn a_mail_is_sent_once_and_retried_with_the_same_bytes_until_it_is() {
    let h = harness();
    let id = create(&h, "mail");
    agent(&h, "Mo", &id, "messages", &json!({ "body": "Try again", "public": true }));
    assert_eq!(queued(&h).len(), 1);
    let mailbox = Mailbox::default();
    mailbox.fail.set(true);
    let report = sweep(&h, &mailbox, now(&h));
    assert_eq!((report.mailed, report.retrying), (0, 1));
    assert_eq!(queued(&h).len(), 1, "kept until it is sent");
    assert_eq!(sweep(&h, &mailbox, now(&h)).retrying, 0, "not before its back-off");
    mailbox.fail.set(false);
    let later = now(&h).plus(Duration::from_secs(61));
    assert_eq!(sweep(&h, &mailbox, later).mailed, 1);
    assert!(queued(&h).is_empty());
    assert_eq!(sweep(&h, &mailbox, later.plus(Duration::from_secs(3600))).mailed, 0, "sent is sent");
    let sent = mailbox.sent.borrow();
    let mail = &sent[0];
    assert_eq!(mail.attempts, 2);
    assert_eq!(header(&mail.raw, "Message-ID"), format!("<{}>", mail.message_id));
    assert!(header(&mail.raw, "Reply-To").contains(&format!("support+{id}.")), "{}", mail.raw);
    assert!(header(&mail.raw, "List-Unsubscribe").starts_with(&format!("<{ORIGIN}/v1/email/unsubscribe?t=")));
}

#[test]
fn a_typed_address_gets_at_most_its_hours_mail() {
    let h = harness();
    let id = create(&h, "mail");
    let limit = buoy_shared::limits::TYPED_RECIPIENT_PER_HOUR;
    for i in 0..limit + 2 {
        agent(&h, "Mo", &id, "messages", &json!({ "body": format!("Reply {i}"), "public": true }));
    }
    agent(&h, "Mo", &id, "changes", &json!({ "assignee": "Lee" }));
    let mailbox = Mailbox::default();
    let report = sweep(&h, &mailbox, now(&h));
    assert_eq!((report.mailed, report.limited), (limit + 1, 2), "the agent's notice is not limited: {report:?}");
    assert_eq!(mailbox.sent.borrow().iter().filter(|m| m.to == "ada@example.com").count(), limit);
    assert!(queued(&h).is_empty(), "mail over the limit is dropped, not kept for later");
    agent(&h, "Mo", &id, "messages", &json!({ "body": "Still there?", "public": true }));
    assert_eq!(sweep(&h, &mailbox, now(&h).plus(Duration::from_secs(60))).limited, 1, "within the hour");
    agent(&h, "Mo", &id, "messages", &json!({ "body": "Next day", "public": true }));
    assert_eq!(sweep(&h, &mailbox, now(&h).plus(Duration::from_secs(3601))).mailed, 1, "the next hour has room again");
}

#[test]
fn an_address_that_unsubscribed_gets_no_more_mail_from_that_site() {
    let h = harness();
    let id = create(&h, "mail");
    agent(&h, "Mo", &id, "messages", &json!({ "body": "First", "public": true }));
    let mailbox = Mailbox::default();
    sweep(&h, &mailbox, now(&h));
    let link = header(&mailbox.sent.borrow()[0].raw, "List-Unsubscribe").trim_matches(['<', '>']).to_owned();
    let (status, html, response) = page(&h, Method::Get, &link);
    assert_eq!(status, 200);
    assert_eq!(response.header_value("content-type"), Some("text/html; charset=utf-8"));
    assert!(html.contains("<button type=\"submit\">Stop the emails</button>"), "{html}");
    agent(&h, "Mo", &id, "messages", &json!({ "body": "Second", "public": true }));
    assert_eq!(page(&h, Method::Post, &link).0, 200);
    let report = sweep(&h, &mailbox, now(&h));
    assert_eq!((report.mailed, report.unsubscribed), (0, 1));
    assert_eq!(mailbox.sent.borrow().len(), 1);
    assert!(queued(&h).is_empty(), "dropped, not retried");
    // Agents still get their notices.
    agent(&h, "Mo", &id, "changes", &json!({ "assignee": "Lee" }));
    assert_eq!(sweep(&h, &mailbox, now(&h)).mailed, 1);
}

#[test]
fn the_rating_link_asks_first_then_rates_once() {
    let h = harness();
    let id = create(&h, "mail");
    agent(&h, "Mo", &id, "changes", &json!({ "status": "solved" }));
    let mailbox = Mailbox::default();
    sweep(&h, &mailbox, now(&h));
    let raw = mailbox.sent.borrow()[0].raw.clone();
    let text = raw.replace("=\r\n", "").replace("=3D", "=");
    let token = text.split(&format!("{ORIGIN}/v1/email/rate?t=")).nth(1).and_then(|rest| rest.split('&').next()).unwrap_or_default();
    let link = |answer: &str| format!("{ORIGIN}/v1/email/rate?t={token}&r={answer}");
    let (good, bad) = (link("good"), link("bad"));
    let rated = |h: &Harness| h.store.kv().keys(&format!("e/{id}/")).iter().filter(|k| k.ends_with("/csat")).count();
    let (status, html, _) = page(&h, Method::Get, &good);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Send my rating") && !html.contains("It stops at 99%"), "{html}");
    assert_eq!(rated(&h), 0, "a GET rates nothing");
    assert_eq!(page(&h, Method::Post, &good).0, 200);
    assert_eq!(page(&h, Method::Post, &bad).0, 409, "once");
    assert_eq!(rated(&h), 1);
    let cases = [(good.replace("&r=good", "&r=great"), 400), (good.replace("?t=", "?t=x"), 400), (format!("{ORIGIN}/v1/email/rate"), 400)];
    for (url, expected) in cases {
        assert_eq!(page(&h, Method::Post, &url).0, expected, "{url}");
    }
    h.now.set(h.now.get() + 31 * 24 * 3_600_000);
    let (status, html, _) = page(&h, Method::Get, &good);
    assert_eq!(status, 400);
    assert!(html.contains("this link has expired"), "{html}");
}

#[test]
fn the_development_mail_view_answers_only_when_turned_on() {
    let h = harness();
    let mail = PendingMail {
        id: "t.e.requester".into(),
        site: site("mail"),
        address_key: "k".into(),
        from: "support@mail.example".into(),
        to: "ada@example.com".into(),
        message_id: "m@reply.mail.example".into(),
        raw: "Subject: Hello\r\n\r\nHi".into(),
        typed: false,
        attempts: 1,
    };
    block_on(h.store.dev_mail_put(now(&h), &mail)).unwrap_or_else(|e| unreachable!("{e:?}"));
    let off = block_on(mail_out::dev_mail(&h.store, false)).map(|r| r.status).unwrap_or_else(|e| e.into_response().status);
    assert_eq!(off, 404);
    let on = block_on(mail_out::dev_mail(&h.store, true)).unwrap_or_else(|e| unreachable!("{e:?}"));
    assert_eq!(on.header_value("content-type"), Some("text/plain; charset=utf-8"));
    assert!(String::from_utf8_lossy(&on.body).contains("Subject: Hello"));
}

/// An agent's upload of `bytes` named `name`: its upload id.
fn agent_upload(h: &Harness, name: &str, bytes: &[u8]) -> String {
    let auth = format!("Bearer {name}-token", name = "Mo");
    let length = bytes.len().to_string();
    let headers = [("authorization", auth.as_str()), ("buoy-file-name", name), ("content-length", length.as_str())];
    let (status, body, _) = h.send(&request(Method::Post, "/v1/agent/uploads", &headers, bytes));
    assert_eq!(status, 201, "{body}");
    str_of(&body, "upload").to_owned()
}

#[test]
fn a_reply_with_files_links_each_public_one_with_a_signed_link_that_opens_only_it() {
    let h = harness();
    let id = create(&h, "mail");
    let note = agent_upload(&h, "internal.txt", b"for agents only\n");
    agent(&h, "Mo", &id, "messages", &json!({ "body": "Internal", "public": false, "attachments": [note] }));
    assert!(queued(&h).is_empty(), "an internal note's files mail nobody");
    let uploads = [agent_upload(&h, "steps.txt", b"1. Open settings\n"), agent_upload(&h, "fix.pdf", b"%PDF-1.7\n%%EOF\n")];
    agent(&h, "Mo", &id, "messages", &json!({ "body": "Here are the steps.", "public": true, "attachments": uploads }));
    let mailbox = Mailbox::default();
    assert_eq!(sweep(&h, &mailbox, now(&h)).mailed, 1);
    let raw = mailbox.sent.borrow()[0].raw.clone();
    let text = buoy_shared::email::outbound::preview(raw.as_bytes());
    assert!(text.contains("Files attached to this reply (each link opens its file for 7 days):"), "{text}");
    assert!(!text.contains("internal.txt") && !text.contains("Content-Disposition: attachment"), "links only, never the file: {text}");
    let links: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.split_once(&format!(": {ORIGIN}/v1/files/")).map(|(label, link)| (label.to_owned(), link.trim().to_owned())))
        .collect();
    assert_eq!(links.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(), ["steps.txt (17 bytes)", "fix.pdf (15 bytes)"], "{text}");
    let auth = "Bearer Mo-token";
    let (_, view, _) = h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", auth)], b""));
    let Some(reply) = view["events"].as_array().into_iter().flatten().find(|e| e["body"] == "Here are the steps.").cloned() else {
        unreachable!()
    };
    for ((_, link), file) in links.iter().zip(reply["attachments"].as_array().into_iter().flatten()) {
        let opened = buoy_shared::email::token::check_file_link(SERVER_SECRET, link, now(&h)).unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!((opened.ticket.to_string(), opened.file.as_str()), (id.clone(), str_of(file, "id")), "each link opens its one file");
        let week = now(&h).plus(Duration::from_hours(7 * 24));
        assert!(buoy_shared::email::token::check_file_link(SERVER_SECRET, link, week).is_err(), "for 7 days");
    }
}
