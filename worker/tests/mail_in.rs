//! Mail that Email Routing delivers, through `mail_in::receive` against
//! the memory store: what the requester's panel and the agents' console
//! then show. The rules themselves (which mail is earned, the text of an
//! answer) are tested in `buoy-shared`; these tests show what is stored.

mod common;

use buoy_shared::email::address::{message_id, FIRST_MESSAGE};
use buoy_shared::email::inbound::Reject;
use buoy_shared::email::token::address_key;
use buoy_shared::ids::TicketId;
use buoy_worker::api::AgentToken;
use buoy_worker::http::Method;
use buoy_worker::mail_in::Outcome;
use common::{config, header, request, site, str_of, Harness, SERVER_SECRET};
use futures_executor::block_on;
use serde_json::{json, Value};

const TOKEN: &str = "mail-agent-token";
const REPLY_DOMAIN: &str = "reply.mail.example";
const INTAKE: &str = "support@mail.example";
const FILES_DOMAIN: &str = "reply.files.example";
const FILES_INTAKE: &str = "support@files.example";
const FILES_TOKEN: &str = "files-agent-token";

fn harness() -> Harness {
    let sites = json!({
        "mail": {
            "name": "Mail Co",
            "allowed_origins": ["https://mail.example"],
            "email": { "from": "support@mail.example", "reply_domain": REPLY_DOMAIN, "intake": [INTAKE], "max_inbound_bytes": 8000 }
        },
        "plain": { "name": "Plain Co", "allowed_origins": ["https://plain.example"] },
        "files": {
            "name": "Files Co",
            "allowed_origins": ["https://files.example"],
            "email": { "from": "support@files.example", "reply_domain": FILES_DOMAIN, "intake": [FILES_INTAKE], "max_inbound_bytes": 8000 },
            "attachments": { "max_files": 2 }
        }
    });
    Harness::serving(
        config(&sites),
        vec![
            AgentToken { agent: "Dana".into(), site: site("mail"), token: TOKEN.into() },
            AgentToken { agent: "Fay".into(), site: site("files"), token: FILES_TOKEN.into() },
        ],
    )
}

/// A ticket from ada@example.com through the widget's form: its id and requester token.
fn file_ticket(h: &Harness) -> (String, String) {
    let body = json!({"site": "mail", "email": "ada@example.com", "type": "bug", "subject": "Export fails at 99%", "message": "It stops."});
    let (status, created, _) =
        h.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
    assert_eq!(status, 201, "{created}");
    (str_of(&created, "id").to_owned(), str_of(&created, "requester_token").to_owned())
}

fn agent_view(h: &Harness, id: &str) -> Value {
    let auth = format!("Bearer {TOKEN}");
    h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", &auth)], b"")).1
}

fn requester_messages(h: &Harness, id: &str, token: &str) -> Vec<(String, String)> {
    let (_, view, _) = h.send(&request(Method::Get, &format!("/v1/tickets/{id}"), &[("buoy-requester-token", token)], b""));
    view["messages"].as_array().into_iter().flatten().map(|m| (str_of(m, "from").to_owned(), str_of(m, "body").to_owned())).collect()
}

/// A fixture of `shared/tests/mail/`, addressed to ticket `id` at `reply`.
fn fixture(name: &str, id: &str, reply: &str) -> String {
    let path = format!("{}/../shared/tests/mail/{name}.eml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| unreachable!("{path}: {e}"));
    let ticket = TicketId::parse(id).unwrap_or_else(|e| unreachable!("{e:?}"));
    text.replace("{REPLY}", reply)
        .replace("{FIRST}", &message_id(SERVER_SECRET, &ticket, FIRST_MESSAGE, REPLY_DOMAIN))
        .replace("{LAST}", &message_id(SERVER_SECRET, &ticket, "reply-1", REPLY_DOMAIN))
}

#[test]
fn an_answer_by_mail_joins_the_thread_once_and_reopens_a_solved_ticket() {
    let h = harness();
    let (id, token) = file_ticket(&h);
    let reply = str_of(&agent_view(&h, &id), "reply_address").to_owned();
    assert!(reply.starts_with(&format!("support+{id}.")) && reply.ends_with("@reply.mail.example"), "{reply}");
    let auth = format!("Bearer {TOKEN}");
    let solve = json!({"status": "solved"}).to_string();
    let headers = [("authorization", auth.as_str()), ("content-type", "application/json")];
    assert_eq!(h.send(&request(Method::Post, &format!("/v1/agent/tickets/{id}/changes"), &headers, solve.as_bytes())).0, 200);

    let gmail = fixture("gmail", &id, &reply);
    let first = h.deliver(&gmail, "ada@example.com", &reply);
    assert!(matches!(&first, Outcome::Answered { ticket, .. } if ticket.to_string() == id), "{first:?}");
    let again = h.deliver(&gmail, "ada@example.com", &reply);
    assert!(matches!(&again, Outcome::AlreadyAnswered { .. }), "a redelivered Message-ID is one answer: {again:?}");

    let answer = "Thanks, clearing the cache worked — the export finishes now.\n\nAda";
    assert_eq!(requester_messages(&h, &id, &token), [("you".to_owned(), answer.to_owned())], "the panel shows it once, unquoted");
    let view = agent_view(&h, &id);
    assert_eq!(view["state"]["status"], "open", "the answer reopened the solved ticket");
    let bodies: Vec<&str> = view["events"].as_array().into_iter().flatten().filter_map(|e| e["body"].as_str()).collect();
    assert_eq!(bodies, [answer], "the console shows it once");
    assert_eq!(view["channel"], "widget", "the ticket itself came through the form");

    let events = view["events"].as_array().cloned().unwrap_or_default();
    let Some(answered) = events.iter().find(|e| e["body"].as_str() == Some(answer)) else { unreachable!("{view}") };
    assert_eq!(answered["original"].as_u64(), Some(gmail.len() as u64), "the event says the original is kept, and its size");
    let (status, body) = original(&h, &id, str_of(answered, "id"));
    assert_eq!((status, body), (200, gmail.into_bytes()), "agents get the message as it came");
}

/// `GET /v1/agent/tickets/{id}/originals/{name}` with the agent's token:
/// its status and bytes.
fn original(h: &Harness, id: &str, name: &str) -> (u16, Vec<u8>) {
    let auth = format!("Bearer {TOKEN}");
    let (status, _, response) =
        h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}/originals/{name}"), &[("authorization", &auth)], b""));
    if status == 200 {
        assert_eq!(response.header_value("content-type"), Some("message/rfc822"));
        assert!(response.header_value("content-disposition").is_some_and(|d| d.starts_with("attachment;")), "a download, never inline");
    }
    (status, response.body)
}

/// The mails waiting in the outbox, raw.
fn outbox(h: &Harness) -> Vec<String> {
    let store = buoy_worker::store::TicketStore::new(h.store.kv());
    let due =
        block_on(store.mail_due(buoy_shared::time::Timestamp::from_millis(i64::MAX / 2), 100)).unwrap_or_else(|e| unreachable!("{e:?}"));
    due.into_iter().map(|(_, mail)| mail.raw).collect()
}

#[test]
fn an_intake_ticket_is_acknowledged_once_in_its_requesters_thread() {
    let h = harness();
    let intake = fixture("intake", "00000000000000000000000000000000", "").replace("support@reply.lumen.example", INTAKE);
    let Outcome::Opened { ticket } = h.deliver(&intake, "grace@example.org", INTAKE) else { unreachable!() };
    h.deliver(&intake, "grace@example.org", INTAKE);
    let mails = outbox(&h);
    assert_eq!(mails.len(), 1, "one acknowledgement, however often the mail is delivered");
    let ack = &mails[0];
    assert_eq!(header(ack, "To"), "<grace@example.org>");
    assert_eq!(header(ack, "Subject"), format!("[{}] Mail Co has your request", ticket.reference()));
    assert_eq!(header(ack, "In-Reply-To"), "<intake-0001@mail.example.org>", "it answers the requester's own mail");
    assert!(header(ack, "References").starts_with("<intake-0001@mail.example.org>"), "{ack}");
    assert_eq!(header(ack, "Auto-Submitted"), "auto-replied");
    assert!(header(ack, "Reply-To").contains(&format!("support+{ticket}.")), "answers to it join the ticket");
    // Free tickets: a first reply within 24 h, counted here as plain hours from receipt.
    let view = agent_view(&h, &ticket.to_string());
    let created = buoy_shared::time::Timestamp::parse(str_of(&view, "created_at")).unwrap_or_else(|e| unreachable!("{e:?}"));
    let due = buoy_shared::email::outbound::due_text(
        created.plus(buoy_shared::time::Duration::from_hours(24)),
        &jiff::tz::TimeZone::UTC,
        buoy_shared::messages::Locale::En,
    );
    // Quoted-printable: soft line breaks joined.
    let text = ack.replace("=\r\n", "");
    assert!(text.contains(&format!("expect a first reply by {due}.")), "{due} in\n{ack}");
    assert!(!ack.contains("Cannot export"), "a typed address gets nothing the requester wrote, the subject included");

    assert_eq!(view["first_mail"]["message_id"], "intake-0001@mail.example.org");
    assert_eq!(view["first_mail"]["original"].as_u64(), Some(intake.len() as u64));
    assert_eq!(original(&h, &ticket.to_string(), "first"), (200, intake.into_bytes()));
    assert_eq!(original(&h, &ticket.to_string(), "mail-0").0, 404);
    assert_eq!(original(&h, &ticket.to_string(), "../first").0, 404);
}

#[test]
fn attachments_are_noted_with_their_names_and_sizes() {
    let h = harness();
    let (id, token) = file_ticket(&h);
    let reply = str_of(&agent_view(&h, &id), "reply_address").to_owned();
    assert!(matches!(h.deliver(&fixture("attachment", &id, &reply), "ada@example.com", &reply), Outcome::Answered { .. }));
    let messages = requester_messages(&h, &id, &token);
    assert_eq!(
        messages.iter().map(|(_, body)| body.as_str()).collect::<Vec<_>>(),
        ["Here is the screenshot of the error.\n\n[Attachments, not stored: screenshot.png (70 bytes), export été.csv (10 bytes)]"]
    );
}

#[test]
fn refused_and_automatic_mail_stores_nothing() {
    let h = harness();
    let (id, token) = file_ticket(&h);
    let reply = str_of(&agent_view(&h, &id), "reply_address").to_owned();
    let gmail = fixture("gmail", &id, &reply);
    let forged = gmail.replace("From: Ada Lovelace <ada@example.com>", "From: Eve <eve@evil.example>");
    let wrong_mac = format!("support+{id}.0000000000000000@{REPLY_DOMAIN}");
    let cases: Vec<(&str, String, &str, &str, &str)> = vec![
        ("a forged sender", forged, "eve@evil.example", &reply, "rejected:not_the_requester"),
        ("a wrong mac", gmail.clone(), "ada@example.com", &wrong_mac, "rejected:bad_mac"),
        ("an out-of-office reply", fixture("autoreply", &id, &reply), "ada@example.com", &reply, "dropped:automatic:Auto-Submitted"),
        ("over the site's cap", format!("{gmail}{}", "x".repeat(8000)), "ada@example.com", &reply, "rejected:too_large"),
        ("malformed MIME", "not mail at all".into(), "ada@example.com", &reply, "rejected:malformed"),
        ("another site's address", gmail, "ada@example.com", "help@plain.example", "rejected:no_such_recipient"),
    ];
    for (what, raw, from, to, code) in cases {
        let outcome = h.deliver(&raw, from, to);
        assert_eq!(outcome.code(), code, "{what}");
        assert_eq!(outcome.rejection().is_some(), code.starts_with("rejected"), "{what}: refused with a reason, or dropped quietly");
    }
    assert!(requester_messages(&h, &id, &token).is_empty(), "nothing stored");
    assert!(h.store.kv().keys(&format!("e/{id}/")).is_empty(), "no event written");
}

#[test]
fn a_bounce_suppresses_mail_to_its_address_until_it_writes_again() {
    let h = harness();
    let (id, _) = file_ticket(&h);
    let reply = str_of(&agent_view(&h, &id), "reply_address").to_owned();
    let key = address_key(SERVER_SECRET, &site("mail"), "ada@example.com");
    let suppressed = || block_on(h.store.is_suppressed(&site("mail"), &key)).unwrap_or_else(|e| unreachable!("{e:?}"));
    assert_eq!(suppressed(), None);
    let bounce = h.deliver(&fixture("bounce", &id, &reply), "", &reply);
    assert_eq!(bounce.code(), "dropped:bounce:suppressed");
    assert_eq!(suppressed().map(|s| s.why), Some("bounce".to_owned()));
    assert_eq!(agent_view(&h, &id)["mail_suppressed"]["why"], "bounce", "the console says so");
    let other_site = block_on(h.store.is_suppressed(&site("plain"), &address_key(SERVER_SECRET, &site("plain"), "ada@example.com")));
    assert_eq!(other_site.ok().flatten(), None, "only on the site it bounced from");
    assert!(matches!(h.deliver(&fixture("gmail", &id, &reply), "ada@example.com", &reply), Outcome::Answered { .. }));
    assert_eq!(suppressed(), None, "an answer from the address lifts it");
    assert!(agent_view(&h, &id).get("mail_suppressed").is_none());
}

#[test]
fn mail_to_the_intake_address_opens_one_email_ticket() {
    let h = harness();
    let intake = fixture("intake", "00000000000000000000000000000000", "").replace("support@reply.lumen.example", INTAKE);
    let first = h.deliver(&intake, "grace@example.org", INTAKE);
    let Outcome::Opened { ticket } = first else { unreachable!("{first:?}") };
    let again = h.deliver(&intake, "grace@example.org", INTAKE);
    assert_eq!(again, Outcome::AlreadyOpened { ticket }, "a redelivery finds the ticket it made");
    let auth = format!("Bearer {TOKEN}");
    let (_, page, _) = h.send(&request(Method::Get, "/v1/agent/tickets?channel=email", &[("authorization", &auth)], b""));
    let listed: Vec<&Value> = page["tickets"].as_array().into_iter().flatten().collect();
    assert_eq!(listed.len(), 1, "{page}");
    let view = listed[0];
    assert_eq!((str_of(view, "id"), str_of(view, "channel")), (ticket.to_string().as_str(), "email"));
    assert_eq!((str_of(&view["state"], "segment"), str_of(view, "type")), ("free", "other"), "a From header proves nothing");
    assert_eq!(str_of(view, "subject"), "Cannot export my invoices");
    assert_eq!(str_of(view, "requester"), "Grace Hopper", "the name from the From header");
    let (_, full, _) = h.send(&request(Method::Get, &format!("/v1/agent/tickets/{ticket}"), &[("authorization", &auth)], b""));
    assert_eq!(str_of(&full, "message"), "Hello, the invoice export has been failing since Friday.");
    assert_eq!(full["requester"]["typed"]["email"], "grace@example.org");
    let (_, widget_only, _) = h.send(&request(Method::Get, "/v1/agent/tickets?channel=widget", &[("authorization", &auth)], b""));
    assert_eq!(widget_only["tickets"].as_array().map(Vec::len), Some(0));
}

#[test]
fn without_the_server_secret_mail_fails_and_is_refused_for_later() {
    let mut h = harness();
    h.secret = None;
    let outcome = h.deliver("Message-ID: <a@b>\r\n\r\nhi", "ada@example.com", INTAKE);
    assert_eq!(outcome.code(), "failed");
    assert!(outcome.rejection().is_some_and(|r| r.starts_with("Temporary failure")));
    assert_eq!(Outcome::Rejected(Reject::Empty).rejection(), Some(Reject::Empty.reason()));
}

#[test]
fn a_message_is_read_only_up_to_its_cap() {
    let chunks = || futures_util::stream::iter([Ok::<_, ()>(b"abcd".to_vec()), Ok(b"efgh".to_vec()), Ok(b"ijkl".to_vec())]);
    assert_eq!(block_on(buoy_worker::mail_in::read_up_to(chunks(), 6)), Ok(b"abcdef".to_vec()));
    assert_eq!(block_on(buoy_worker::mail_in::read_up_to(chunks(), 100)), Ok(b"abcdefghijkl".to_vec()));
    let failing = futures_util::stream::iter([Ok(b"ab".to_vec()), Err("reset")]);
    assert_eq!(block_on(buoy_worker::mail_in::read_up_to(failing, 100)), Err("reset"));
}

/// A 3×2 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02\x08\x02\0\0\0\0\0\0\0IEND\xaeB`\x82";
const SVG: &[u8] = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";

/// A mail from ada@example.com with `text` and `files` (name, claimed type, bytes), base64 parts.
fn mail_with(to: &str, message_id: &str, text: &str, files: &[(&str, &str, &[u8])]) -> String {
    use base64::Engine;
    let mut out = format!(
        "From: Ada <ada@example.com>\r\nTo: {to}\r\nSubject: Screens\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    );
    for (name, claimed, bytes) in files {
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        out.push_str(&format!(
            "--b\r\nContent-Type: {claimed}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n"
        ));
    }
    out.push_str("--b--\r\n");
    out
}

/// A ticket on the `files` site from ada@example.com: its id, requester token and reply address.
fn files_ticket(h: &Harness) -> (String, String, String) {
    let body = json!({"site": "files", "email": "ada@example.com", "type": "bug", "subject": "Screens", "message": "It breaks."});
    let (status, created, _) =
        h.send(&request(Method::Post, "/v1/tickets", &[("content-type", "application/json")], body.to_string().as_bytes()));
    assert_eq!(status, 201, "{created}");
    let id = str_of(&created, "id").to_owned();
    let auth = format!("Bearer {FILES_TOKEN}");
    let (_, view, _) = h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", &auth)], b""));
    (id, str_of(&created, "requester_token").to_owned(), str_of(&view, "reply_address").to_owned())
}

/// The agent's view of a `files` ticket.
fn files_view(h: &Harness, id: &str) -> Value {
    let auth = format!("Bearer {FILES_TOKEN}");
    h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}"), &[("authorization", &auth)], b"")).1
}

#[test]
fn files_of_an_answer_by_mail_are_stored_once_and_those_refused_are_noted() {
    let h = harness();
    let (id, token, reply) = files_ticket(&h);
    let files: &[(&str, &str, &[u8])] =
        &[("screen.png", "image/png", PNG), ("logo.svg", "image/svg+xml", SVG), ("log.txt", "text/plain", b"line 1\nline 2\n")];
    let raw = mail_with(&reply, "files-1@mail.example.net", "Screens attached.", files);
    assert!(matches!(h.deliver(&raw, "ada@example.com", &reply), Outcome::Answered { .. }));
    assert!(matches!(h.deliver(&raw, "ada@example.com", &reply), Outcome::AlreadyAnswered { .. }), "a redelivery writes nothing new");

    let view = files_view(&h, &id);
    let events = view["events"].as_array().cloned().unwrap_or_default();
    let Some(message) = events.iter().find(|e| e["kind"] == "message") else { unreachable!("{view}") };
    let note = format!("Screens attached.\n\n[Attachment not stored: logo.svg ({} bytes): this type of file is not accepted]", SVG.len());
    assert_eq!(str_of(message, "body"), note, "the answer joins the thread, the SVG noted");
    let stored: Vec<(&str, &str, u64)> = message["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| (str_of(f, "name"), str_of(f, "type"), f["size"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(stored, [("screen.png", "image/png", PNG.len() as u64), ("log.txt", "text/plain; charset=utf-8", 14)]);
    assert_eq!(events.iter().filter(|e| e["kind"] == "attachment").count(), 2, "one event per file, once");
    assert_eq!(h.files.keys().len(), 2, "only the accepted files are in the bucket");
    assert_eq!((message["attachments"][0]["width"].as_u64(), message["attachments"][0]["height"].as_u64()), (Some(3), Some(2)));

    // The requester's panel sees them; the agent downloads the same bytes.
    let (_, thread, _) = h.send(&request(Method::Get, &format!("/v1/tickets/{id}"), &[("buoy-requester-token", &token)], b""));
    assert_eq!(thread["messages"][0]["attachments"].as_array().map(Vec::len), Some(2), "{thread}");
    let file = str_of(&message["attachments"][0], "id");
    let auth = format!("Bearer {FILES_TOKEN}");
    let (status, _, response) =
        h.send(&request(Method::Get, &format!("/v1/agent/tickets/{id}/files/{file}"), &[("authorization", &auth)], b""));
    assert_eq!(status, 200);
    assert_eq!(response.header_value("content-type"), Some("image/png"));
    let sha = str_of(&message["attachments"][0], "sha256");
    assert_eq!(sha, buoy_shared::keys::request_hash(PNG), "its SHA-256 is the bytes'");
}

#[test]
fn a_mail_of_files_alone_joins_the_thread_and_an_intake_mail_keeps_its_files_on_the_first_message() {
    let h = harness();
    let (id, _, reply) = files_ticket(&h);
    let raw = mail_with(&reply, "files-2@mail.example.net", "", &[("screen.png", "image/png", PNG)]);
    assert!(matches!(h.deliver(&raw, "ada@example.com", &reply), Outcome::Answered { .. }));
    let view = files_view(&h, &id);
    let Some(message) = view["events"].as_array().into_iter().flatten().find(|e| e["kind"] == "message").cloned() else {
        unreachable!("{view}")
    };
    assert_eq!((str_of(&message, "body"), message["attachments"].as_array().map(Vec::len)), ("", Some(1)));

    let raw = mail_with(FILES_INTAKE, "files-3@mail.example.net", "The chart is blank.", &[("chart.png", "image/png", PNG)]);
    let Outcome::Opened { ticket } = h.deliver(&raw, "ada@example.com", FILES_INTAKE) else { unreachable!() };
    assert!(matches!(h.deliver(&raw, "ada@example.com", FILES_INTAKE), Outcome::AlreadyOpened { .. }));
    let view = files_view(&h, &ticket.to_string());
    assert_eq!(
        view["attachments"].as_array().map(|a| a.iter().map(|f| str_of(f, "name").to_owned()).collect::<Vec<_>>()),
        Some(vec!["chart.png".to_owned()]),
        "{view}"
    );
    assert_eq!(view["events"].as_array().into_iter().flatten().filter(|e| e["kind"] == "attachment").count(), 1);
}
