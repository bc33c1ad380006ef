//! Playbooks: per ticket type, the guided-fix steps shown before the form
//! (the self-service work) and the escalation rules the sweep applies.
//!
//! ```toml
//! [[playbooks.password_reset.escalate]]
//! after = "10m"                      # not solved 10 minutes after receipt
//! tier = 2
//! reason = "Password reset not solved within 10 minutes"
//!
//! [[playbooks.outage.escalate]]      # after = "0s": at the first sweep (within a minute)
//! tier = 2
//! notify = true                      # fire the ticket.escalated webhook
//! reason = "Outage reported"
//!
//! [[playbooks.any.escalate]]         # `any`: every ticket type
//! segment = ["enterprise"]
//! assign = "account_manager"         # the requester's named account manager, or an agent's name
//! reason = "Enterprise customer: route to the account manager"
//! ```

use crate::ticket::TicketType;
use crate::time::{Duration, Timestamp};
use crate::vocab::Segment;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The playbook key that applies to every ticket type.
pub const ANY: &str = "any";
/// The `assign` value that means "the requester's named account manager".
pub const ACCOUNT_MANAGER: &str = "account_manager";

/// One ticket type's playbook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    /// Short guided-fix steps, shown before the ticket form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// Escalation rules, applied in order by the SLA sweep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate: Vec<EscalationRule>,
}

/// Escalate a ticket that is still open `after` its receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationRule {
    /// How long after receipt (calendar time); `0s` escalates at once.
    #[serde(default)]
    pub after: Duration,
    /// Only tickets of these segments (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment: Vec<Segment>,
    /// Move the ticket to this tier (1–3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<u8>,
    /// Assign it: an agent's name, or `account_manager`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign: Option<String>,
    /// Fire the `ticket.escalated` webhook.
    #[serde(default)]
    pub notify: bool,
    /// Why, in words agents read.
    pub reason: String,
}

/// An escalation a ticket is due for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueEscalation {
    /// The rule's id, `<type or any>.<index>`: the same rule never applies twice.
    pub rule: String,
    /// When it applies.
    pub due: Timestamp,
    /// The tier it moves the ticket to.
    pub tier: Option<u8>,
    /// Who it assigns the ticket to.
    pub assign: Option<String>,
    /// Whether it fires a webhook.
    pub notify: bool,
    /// Why.
    pub reason: String,
}

/// A playbook that [`validate`] refuses, with its path below `playbooks`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaybookError {
    /// Such as `password_reset.escalate[0].tier`.
    pub field: String,
    /// What is expected.
    pub message: &'static str,
}

/// Checks playbook keys (named like ticket types, or `any`), steps, tiers, assignees
/// (`account_manager` or one of `agents`) and reasons.
///
/// # Errors
/// The first faulty field.
pub fn validate(playbooks: &BTreeMap<String, Playbook>, agents: &[&str]) -> Result<(), PlaybookError> {
    for (key, playbook) in playbooks {
        let fail = |field: String, message| Err(PlaybookError { field, message });
        // Which names are known (a type some site offers, or one a site's
        // type names) is the configuration's check (`site_types::validate`).
        if key != ANY && TicketType::parse(key).is_none() {
            return fail(key.clone(), "a playbook is named like a ticket type (1-32 lowercase letters, digits or _) or `any`");
        }
        for (i, step) in playbook.steps.iter().enumerate() {
            if step.trim().is_empty() || step.chars().count() > 300 {
                return fail(format!("{key}.steps[{i}]"), "a step is 1-300 characters");
            }
        }
        for (i, rule) in playbook.escalate.iter().enumerate() {
            let field = |name: &str| format!("{key}.escalate[{i}].{name}");
            if rule.after.as_secs() < 0 {
                return fail(field("after"), "must not be negative");
            }
            if rule.tier.is_some_and(|t| !(1..=3).contains(&t)) {
                return fail(field("tier"), "a tier is 1, 2 or 3");
            }
            if let Some(who) = &rule.assign {
                if who != ACCOUNT_MANAGER && !agents.contains(&who.as_str()) {
                    return fail(field("assign"), "expected `account_manager` or the name of an agent in [[agents]]");
                }
            }
            if rule.tier.is_none() && rule.assign.is_none() && !rule.notify {
                return fail(field("tier"), "an escalation sets a tier, an assignee or notify = true");
            }
            if rule.reason.trim().is_empty() || rule.reason.chars().count() > 200 {
                return fail(field("reason"), "a reason is 1-200 characters");
            }
        }
    }
    Ok(())
}

/// The escalations a ticket of this type and segment received at
/// `received` will be due for, in rule order (the type's rules, then `any`).
pub fn escalations(playbooks: &BTreeMap<String, Playbook>, kind: &TicketType, segment: Segment, received: Timestamp) -> Vec<DueEscalation> {
    let mut out = Vec::new();
    for key in [kind.as_str(), ANY] {
        let Some(playbook) = playbooks.get(key) else { continue };
        for (i, rule) in playbook.escalate.iter().enumerate() {
            if !rule.segment.is_empty() && !rule.segment.contains(&segment) {
                continue;
            }
            out.push(DueEscalation {
                rule: format!("{key}.{i}"),
                due: received.plus(rule.after),
                tier: rule.tier,
                assign: rule.assign.clone(),
                notify: rule.notify,
                reason: rule.reason.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(text: &str) -> BTreeMap<String, Playbook> {
        serde_json::from_str(text).unwrap_or_else(|e| unreachable!("{e}"))
    }

    const BOOKS: &str = r#"{
        "password_reset": { "steps": ["Check the address"], "escalate": [{ "after": "10m", "tier": 2, "reason": "Not solved in 10 minutes" }] },
        "outage": { "escalate": [{ "tier": 2, "notify": true, "reason": "Outage" }] },
        "any": { "escalate": [{ "segment": ["enterprise"], "assign": "account_manager", "reason": "Enterprise" }] }
    }"#;

    #[test]
    fn rules_apply_by_type_then_any_and_by_segment() {
        let books = book(BOOKS);
        let at = Timestamp::parse("2026-11-30T10:00:00Z").unwrap_or_else(|e| unreachable!("{e}"));
        let due = escalations(&books, &TicketType::PASSWORD_RESET, Segment::Free, at);
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].rule.as_str(), due[0].due.to_string(), due[0].tier),
            ("password_reset.0", "2026-11-30T10:10:00.000Z".into(), Some(2))
        );
        let due = escalations(&books, &TicketType::OUTAGE, Segment::Enterprise, at);
        let rules: Vec<_> = due.iter().map(|d| (d.rule.as_str(), d.due == at)).collect();
        assert_eq!(rules, [("outage.0", true), ("any.0", true)]);
        assert!(escalations(&books, &TicketType::BILLING, Segment::Business, at).is_empty());
    }

    #[test]
    fn bad_playbooks_name_the_field() {
        let check = |text: &str, field: &str| {
            let error = validate(&book(text), &["Dana"]).err().map(|e| e.field);
            assert_eq!(error.as_deref(), Some(field), "{text}");
        };
        assert!(validate(&book(BOOKS), &["Dana"]).is_ok());
        check(r#"{"Refund": {}}"#, "Refund");
        check(r#"{"bug": {"steps": [" "]}}"#, "bug.steps[0]");
        check(r#"{"bug": {"escalate": [{"tier": 4, "reason": "r"}]}}"#, "bug.escalate[0].tier");
        check(r#"{"bug": {"escalate": [{"assign": "Nobody", "reason": "r"}]}}"#, "bug.escalate[0].assign");
        check(r#"{"bug": {"escalate": [{"reason": "does nothing"}]}}"#, "bug.escalate[0].tier");
        check(r#"{"bug": {"escalate": [{"tier": 2, "reason": ""}]}}"#, "bug.escalate[0].reason");
        assert!(validate(&book(r#"{"bug": {"escalate": [{"assign": "Dana", "reason": "r"}]}}"#), &["Dana"]).is_ok());
    }
}
