//! Webhooks: what is sent, how it is signed, and when a failed delivery is
//! tried again.
//!
//! A delivery is a POST of a JSON body with the header
//! `Buoy-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
//! (Stripe's scheme): receivers recompute the HMAC with the shared secret,
//! compare in constant time, and refuse timestamps older than five minutes.
//! Every delivery carries an event id (`Buoy-Event-Id` and `id` in the
//! body) that stays the same across retries, so receivers can drop repeats.

pub use crate::config::{EventType, Format, WebhookConfig};
use crate::events::{EventKind, TicketEvent};
use crate::ticket::Ticket;
use crate::time::{Duration, Timestamp};

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "buoy-signature";
/// The header that carries the event id.
pub const EVENT_ID_HEADER: &str = "buoy-event-id";
/// How many times a delivery is tried before it is given up (and logged).
pub const MAX_ATTEMPTS: u32 = 8;

/// The event id of a ticket event, stable across retries.
pub fn event_id(ticket: &Ticket, event: &TicketEvent) -> String {
    format!("{}.{}", ticket.id, event.id)
}

/// The body of the `ticket.created` delivery of a new ticket (its event id
/// is `<ticket>.created`).
pub fn created_body(format: Format, ticket: &Ticket, sent: Timestamp) -> String {
    match format {
        Format::Json => serde_json::json!({
            "id": format!("{}.created", ticket.id),
            "type": EventType::TicketCreated,
            "created": sent,
            "data": { "ticket": ticket },
        })
        .to_string(),
        Format::Slack => serde_json::json!({
            "text": format!(
                "[{}] New {} ticket ({}): {}{}",
                slack_escape(&ticket.reference.to_string()),
                slack_escape(&ticket.kind.to_string()),
                slack_escape(&ticket.segment.to_string()),
                slack_escape(&ticket.subject),
                slack_details(ticket)
            )
        })
        .to_string(),
    }
}

/// A ticket's custom fields and host context as Slack lines, each value
/// escaped: `Fields: plan = enterprise`, `Context (reported by the page):
/// …`, `Context (verified): …`; nothing when it has none.
fn slack_details(ticket: &Ticket) -> String {
    let c = &ticket.context;
    let mut out = String::new();
    for (title, map) in [("Fields", &ticket.fields), ("Context (verified)", &c.verified), ("Context (reported by the page)", &c.reported)] {
        if !map.is_empty() {
            let pairs: Vec<String> = map.iter().map(|(k, v)| format!("{} = {}", slack_escape(k), slack_escape(v))).collect();
            out.push_str(&format!("\n{title}: {}", pairs.join(", ")));
        }
    }
    out
}

/// The body of a delivery.
pub fn body(format: Format, event_type: EventType, ticket: &Ticket, event: &TicketEvent, sent: Timestamp) -> String {
    let summary = serde_json::json!({
        "id": ticket.id, "reference": ticket.reference, "site": ticket.site, "subject": ticket.subject,
        "type": ticket.kind, "segment": ticket.segment, "priority": ticket.priority, "fields": ticket.fields,
    });
    match format {
        Format::Json => serde_json::json!({
            "id": event_id(ticket, event),
            "type": event_type,
            "created": sent,
            "data": { "ticket": summary, "event": event },
        })
        .to_string(),
        Format::Slack => {
            // Every value goes through `slack_escape`, even those Buoy
            // writes itself: only this template's own text is markup.
            let e = |value: &dyn core::fmt::Display| slack_escape(&value.to_string());
            let what = match &event.kind {
                EventKind::Breached { metric, .. } => {
                    format!("SLA breached: {} was due {}", e(&metric.as_str().replace('_', " ")), e(&event.at))
                }
                EventKind::Escalated { reason, tier, .. } => match tier {
                    Some(tier) => format!("Escalated to tier {}: {}", e(tier), e(reason)),
                    None => format!("Escalated: {}", e(reason)),
                },
                EventKind::SegmentChanged { segment, .. } => format!("Segment changed to {}", e(segment)),
                EventKind::Message { by, .. } => format!("New message from {}", e(by)),
                EventKind::Attachment { by, file, .. } => format!("{} attached {}", e(by), e(&file.name)),
                EventKind::Changed { by, .. } => format!("Updated by {}", e(by)),
                EventKind::Rated { satisfied, comment } => {
                    let verdict = if *satisfied { "satisfied" } else { "not satisfied" };
                    match comment {
                        Some(comment) => format!("Rated {verdict}: \u{201c}{}\u{201d}", e(comment)),
                        None => format!("Rated {verdict}"),
                    }
                }
            };
            let text = format!("[{}] {} ({}): {what}", e(&ticket.reference), e(&ticket.subject), e(&ticket.segment));
            serde_json::json!({ "text": text }).to_string()
        }
    }
}

/// A value for a Slack message's `text`, escaped by Slack's rules: `&`,
/// `<` and `>` become `&amp;`, `&lt;` and `&gt;`, so nothing a requester
/// or an agent wrote turns into a mention (`<!channel>`, `<@U123>`) or a
/// link whose label hides its target (`<https://evil.example|https://…>`).
/// `@channel`, `@here` and `@everyone` also get a word joiner (U+2060,
/// invisible) after the `@`, so no workspace setting that links bare
/// names can make them ping anyone.
pub fn slack_escape(text: &str) -> String {
    const BARE_MENTIONS: [&str; 3] = ["channel", "here", "everyone"];
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => {
                out.push('@');
                let rest = text.get(i + 1..).unwrap_or("");
                // The whole word only: `@heresy` is no mention.
                let mention = BARE_MENTIONS.iter().any(|word| {
                    rest.get(..word.len()).is_some_and(|w| w.eq_ignore_ascii_case(word))
                        && !rest.get(word.len()..).and_then(|after| after.chars().next()).is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                if mention {
                    out.push('\u{2060}');
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// How long to wait before attempt `attempt` (1 is the first retry): 1, 2,
/// 4 … 64 minutes; `None` once [`MAX_ATTEMPTS`] have been made.
pub fn retry_delay(attempt: u32) -> Option<Duration> {
    (attempt < MAX_ATTEMPTS).then(|| Duration::from_secs(60 << (attempt.saturating_sub(1)).min(6)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ticket whose requester wrote `subject`.
    fn ticket(subject: &str) -> Ticket {
        crate::ticket::test_ticket("bug", subject, 1)
    }

    /// The `text` of a Slack body.
    fn slack_text(body: &str) -> String {
        let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        value["text"].as_str().unwrap_or_default().to_owned()
    }

    #[test]
    fn slack_text_cannot_mention_or_disguise_links() {
        let hostile = "<!channel> re-login at <https://evil.example|https://lumen.example/sso> & @here, @Everyone <@U123>";
        let escaped = "&lt;!channel&gt; re-login at &lt;https://evil.example|https://lumen.example/sso&gt; &amp; @\u{2060}here, @\u{2060}Everyone &lt;@U123&gt;";
        let ticket = ticket(hostile);
        let at = ticket.created_at;
        let created = slack_text(&created_body(Format::Slack, &ticket, at));
        assert_eq!(created, format!("[{}] New bug ticket (free): {escaped}", ticket.reference));
        let events = [
            (
                EventKind::Message { by: "<!here>".into(), agent: false, public: true, body: "b".into(), original: None },
                "New message from &lt;!here&gt;".to_owned(),
            ),
            (
                EventKind::Rated { satisfied: false, comment: Some(hostile.into()) },
                format!("Rated not satisfied: \u{201c}{escaped}\u{201d}"),
            ),
            (
                EventKind::Escalated { rule: "r".into(), tier: Some(2), assign: None, reason: "<!subteam^S1> & co".into(), notify: true },
                "Escalated to tier 2: &lt;!subteam^S1&gt; &amp; co".to_owned(),
            ),
        ];
        for (kind, what) in events {
            let event = TicketEvent { id: "e".into(), at, kind };
            let text = slack_text(&body(Format::Slack, EventType::TicketEscalated, &ticket, &event, at));
            assert_eq!(text, format!("[{}] {escaped} (free): {what}", ticket.reference));
        }
    }

    #[test]
    fn a_new_ticket_carries_its_fields_and_both_contexts_in_json_and_slack() {
        let mut t = ticket("Export fails");
        t.fields.insert("plan".into(), "enterprise".into());
        t.context.reported.insert("app_version".into(), "<!channel> 4.2".into());
        t.context.verified.insert("account_id".into(), "acc_9".into());
        let json: serde_json::Value = serde_json::from_str(&created_body(Format::Json, &t, t.created_at)).unwrap_or_default();
        let ticket = &json["data"]["ticket"];
        assert_eq!(ticket["fields"], serde_json::json!({ "plan": "enterprise" }));
        assert_eq!(ticket["context"]["reported"], serde_json::json!({ "app_version": "<!channel> 4.2" }));
        assert_eq!(ticket["context"]["verified"], serde_json::json!({ "account_id": "acc_9" }));
        let text = slack_text(&created_body(Format::Slack, &t, t.created_at));
        assert!(
            text.ends_with(
                "\nFields: plan = enterprise\nContext (verified): account_id = acc_9\nContext (reported by the page): app_version = &lt;!channel&gt; 4.2"
            ),
            "{text}"
        );
        let event = TicketEvent { id: "e".into(), at: t.created_at, kind: EventKind::Rated { satisfied: true, comment: None } };
        let later: serde_json::Value =
            serde_json::from_str(&body(Format::Json, EventType::CsatSubmitted, &t, &event, t.created_at)).unwrap_or_default();
        assert_eq!(later["data"]["ticket"]["fields"]["plan"], "enterprise");
    }

    #[test]
    fn slack_escaping_keeps_plain_text_and_addresses() {
        for (text, escaped) in [
            ("Export fails at 99%", "Export fails at 99%"),
            ("mail ada@example.com or @dana", "mail ada@example.com or @dana"),
            ("a<b && c>d", "a&lt;b &amp;&amp; c&gt;d"),
            ("&lt; stays as typed", "&amp;lt; stays as typed"),
            ("@channelling and @heresy", "@channelling and @heresy"),
            ("@channel!", "@\u{2060}channel!"),
            ("", ""),
        ] {
            assert_eq!(slack_escape(text), escaped, "{text}");
        }
    }

    #[test]
    fn retries_back_off_then_stop() {
        let delays: Vec<i64> = (1..=8).filter_map(retry_delay).map(|d| d.as_secs() / 60).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
    }

    #[test]
    fn subscriptions() {
        let all = WebhookConfig { url_secret: "U".into(), signing_secret: "S".into(), events: vec![], format: Format::Json };
        assert!(EventType::ALL.iter().all(|e| all.wants(*e)));
        let some = WebhookConfig { events: vec!["ticket.escalated".into()], ..all };
        assert!(!some.wants(EventType::SlaBreached) && some.wants(EventType::TicketEscalated));
    }
}
