//! Webhooks: what is sent, how it is signed, and when a failed delivery is
//! tried again.
//!
//! A delivery is a POST of a JSON body with the header
//! `Buoy-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
//! (Stripe's scheme): receivers recompute the HMAC with the shared secret,
//! compare in constant time, and refuse timestamps older than five minutes.
//! Every delivery carries an event id (`Buoy-Event-Id` and `id` in the
//! body) that stays the same across retries, so receivers can drop repeats.

pub use crate::config::{Format, WebhookConfig};
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
            "type": "ticket.created",
            "created": sent,
            "data": { "ticket": ticket },
        })
        .to_string(),
        Format::Slack => serde_json::json!({
            "text": format!("[{}] New {} ticket ({}): {}", ticket.reference, ticket.kind, ticket.segment, ticket.subject)
        })
        .to_string(),
    }
}

/// The body of a delivery.
pub fn body(format: Format, event_type: &str, ticket: &Ticket, event: &TicketEvent, sent: Timestamp) -> String {
    let summary = serde_json::json!({
        "id": ticket.id, "reference": ticket.reference, "site": ticket.site, "subject": ticket.subject,
        "type": ticket.kind, "segment": ticket.segment, "priority": ticket.priority,
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
            let what = match &event.kind {
                EventKind::Breached { metric, .. } => format!("SLA breached: {} was due {}", metric.as_str().replace('_', " "), event.at),
                EventKind::Escalated { reason, tier, .. } => match tier {
                    Some(tier) => format!("Escalated to tier {tier}: {reason}"),
                    None => format!("Escalated: {reason}"),
                },
                EventKind::SegmentChanged { segment, .. } => format!("Segment changed to {segment}"),
                EventKind::Message { by, .. } => format!("New message from {by}"),
                EventKind::Changed { by, .. } => format!("Updated by {by}"),
                EventKind::Rated { satisfied, comment } => {
                    let verdict = if *satisfied { "satisfied" } else { "not satisfied" };
                    match comment {
                        Some(comment) => format!("Rated {verdict}: \u{201c}{comment}\u{201d}"),
                        None => format!("Rated {verdict}"),
                    }
                }
            };
            serde_json::json!({ "text": format!("[{}] {} ({}): {what}", ticket.reference, ticket.subject, ticket.segment) }).to_string()
        }
    }
}

/// How long to wait before attempt `attempt` (1 is the first retry): 1, 2,
/// 4 … 64 minutes; `None` once [`MAX_ATTEMPTS`] have been made.
pub fn retry_delay(attempt: u32) -> Option<Duration> {
    (attempt < MAX_ATTEMPTS).then(|| Duration::from_secs(60 << (attempt.saturating_sub(1)).min(6)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_then_stop() {
        let delays: Vec<i64> = (1..=8).filter_map(retry_delay).map(|d| d.as_secs() / 60).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(retry_delay(MAX_ATTEMPTS), None);
    }

    #[test]
    fn subscriptions() {
        let all = WebhookConfig { url_secret: "U".into(), signing_secret: "S".into(), events: vec![], format: Format::Json };
        assert!(all.wants("sla.breached"));
        let some = WebhookConfig { events: vec!["ticket.escalated".into()], ..all };
        assert!(!some.wants("sla.breached") && some.wants("ticket.escalated"));
    }
}
