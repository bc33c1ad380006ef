//! Agents, their roles, and who may do what; the audit trail's events.
//!
//! The roster is the configured agents (`[[agents]]` in `buoy.toml`, and
//! `[access] admin`, the first admin, who works every site) and the
//! agents an admin adds in the console, kept in KV. Configured agents
//! change only with a redeploy; stored ones through the API, under
//! [`check_change`]'s rules: one record per email, and never without an
//! admin.

use crate::config::Config;
use crate::ticket::{is_plausible_email, FieldCode};
use crate::time::Timestamp;
use crate::vocab::string_enum;
use crate::vocab::Field;
use serde::{Deserialize, Serialize};

pub use crate::vocab::Role;

string_enum! {
    /// Something only some roles may do.
    Action {
        /// Read and answer the tickets of one's sites.
        WorkQueue = "work_queue",
        /// Add, change and remove canned replies.
        EditCannedReplies = "edit_canned_replies",
        /// See every agent's metrics, not only one's own.
        SeeAllMetrics = "see_all_metrics",
        /// Add, change and remove agents and their roles.
        ManageAgents = "manage_agents",
        /// Read the audit trail.
        ReadAudit = "read_audit",
        /// Rebuild the ticket search indexes.
        RebuildSearch = "rebuild_search",
        /// Export or erase what Buoy holds about a requester.
        HandlePrivacy = "handle_privacy",
    }
}

impl Role {
    /// The least role that may do `action`.
    pub const fn least_for(action: Action) -> Self {
        match action {
            Action::WorkQueue => Self::Agent,
            Action::EditCannedReplies | Action::SeeAllMetrics => Self::Lead,
            Action::ManageAgents | Action::ReadAudit | Action::RebuildSearch | Action::HandlePrivacy => Self::Admin,
        }
    }

    const fn rank(self) -> u8 {
        match self {
            Self::Agent => 0,
            Self::Lead => 1,
            Self::Admin => 2,
        }
    }

    /// Whether this role is `other` or above it.
    pub const fn at_least(self, other: Self) -> bool {
        self.rank() >= other.rank()
    }

    /// Whether this role may do `action`.
    pub const fn may(self, action: Action) -> bool {
        self.at_least(Self::least_for(action))
    }
}

/// The longest agent name, in characters.
pub const MAX_NAME: usize = 80;
/// The most sites one agent works (a stored record is its key's KV
/// metadata, which holds 1,024 bytes).
pub const MAX_SITES: usize = 10;
/// The longest email (or Client ID), in bytes.
pub const MAX_EMAIL: usize = 254;

/// An agent as the API takes and stores it. `email` is a person's address
/// (lower case), or an Access service token's Client ID (`….access`) for
/// a script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentRecord {
    /// How Access names them: the email, or the service token's Client ID.
    pub email: String,
    /// Shown on their replies and events.
    pub name: String,
    /// The sites whose queues they work.
    pub sites: Vec<String>,
    /// What they may do.
    #[serde(default)]
    pub role: Role,
}

/// Where a roster entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `buoy.toml`: changed only by a redeploy.
    Config,
    /// Added in the console (KV).
    Console,
}

/// One agent of the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    /// How Access names them; a configured agent without `email` signs in
    /// with a bearer token only.
    pub email: Option<String>,
    /// Their name.
    pub name: String,
    /// Their sites.
    pub sites: Vec<String>,
    /// Their role.
    pub role: Role,
    /// Where the entry comes from.
    pub source: Source,
}

impl Member {
    /// A stored record as a roster entry.
    pub fn stored(record: AgentRecord) -> Self {
        Self { email: Some(record.email), name: record.name, sites: record.sites, role: record.role, source: Source::Console }
    }
}

/// Whether `text` names an Access service token: its Client ID, 1 to 64
/// lower-case letters and digits, then `.access`.
pub fn is_service_id(text: &str) -> bool {
    text.strip_suffix(".access")
        .is_some_and(|id| (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// The configured agents: `[[agents]]` with their role, and `[access]
/// admin` (the first admin), who works every site; a configured agent with
/// that email is that admin.
pub fn configured(config: &Config) -> Vec<Member> {
    let first_admin = config.access.as_ref().and_then(|a| a.admin.as_deref()).map(str::to_lowercase);
    let mut roster: Vec<Member> = config
        .agents
        .iter()
        .map(|a| {
            let email = a.email.as_deref().map(str::to_lowercase);
            let role = if email.is_some() && email == first_admin { Role::Admin } else { a.role };
            Member { email, name: a.name.clone(), sites: vec![a.site.clone()], role, source: Source::Config }
        })
        .collect();
    if let Some(admin) = first_admin.filter(|e| !roster.iter().any(|m| m.email.as_ref() == Some(e))) {
        let name = admin.split('@').next().unwrap_or(&admin).to_owned();
        roster.push(Member {
            email: Some(admin),
            name,
            sites: config.sites.keys().cloned().collect(),
            role: Role::Admin,
            source: Source::Config,
        });
    }
    roster
}

/// One field error of an agent record: the field's name and what is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentError {
    /// `email`, `name` or `sites`.
    pub field: Field,
    /// What is wrong with it.
    pub code: FieldCode,
}

/// Checks and tidies an agent record: the email (an address or a service
/// token's Client ID, lower-cased), a name of 1 to [`MAX_NAME`] characters
/// without control characters, 1 to [`MAX_SITES`] known sites, each once.
///
/// # Errors
/// Every field that is wrong, named.
pub fn validate(record: AgentRecord, known_sites: &[&str]) -> Result<AgentRecord, Vec<AgentError>> {
    let mut errors = Vec::new();
    let email = record.email.trim().to_lowercase();
    if email.is_empty() {
        errors.push(AgentError { field: Field::Email, code: FieldCode::Required });
    } else if email.len() > MAX_EMAIL {
        errors.push(AgentError { field: Field::Email, code: FieldCode::TooLong });
    } else if !is_plausible_email(&email) && !is_service_id(&email) {
        errors.push(AgentError { field: Field::Email, code: FieldCode::InvalidEmail });
    }
    let name = record.name.trim().to_owned();
    if name.is_empty() {
        errors.push(AgentError { field: Field::Name, code: FieldCode::Required });
    } else if name.chars().count() > MAX_NAME {
        errors.push(AgentError { field: Field::Name, code: FieldCode::TooLong });
    } else if name.chars().any(char::is_control) {
        errors.push(AgentError { field: Field::Name, code: FieldCode::InvalidText });
    }
    let mut sites: Vec<String> = Vec::new();
    for site in record.sites {
        if !sites.contains(&site) {
            sites.push(site);
        }
    }
    if sites.is_empty() {
        errors.push(AgentError { field: Field::Sites, code: FieldCode::Required });
    } else if sites.len() > MAX_SITES {
        errors.push(AgentError { field: Field::Sites, code: FieldCode::TooLong });
    } else if sites.iter().any(|s| !known_sites.contains(&s.as_str())) {
        errors.push(AgentError { field: Field::Sites, code: FieldCode::UnknownSite });
    }
    if errors.is_empty() {
        Ok(AgentRecord { email, name, sites, role: record.role })
    } else {
        Err(errors)
    }
}

/// A change to the stored roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change<'a> {
    /// A new agent.
    Add(&'a AgentRecord),
    /// A stored agent's new name, sites or role (found by `email`).
    Update(&'a AgentRecord),
    /// A stored agent removed.
    Remove(&'a str),
}

/// Why a change to the roster is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeRefusal {
    /// An agent with this email is already on the roster.
    Exists,
    /// No stored agent has this email.
    NotFound,
    /// The agent comes from `buoy.toml`: a redeploy changes them.
    Configured,
    /// The change would leave no admin.
    LastAdmin,
}

/// Checks a change against the roster as it is: one entry per email,
/// configured agents left alone, and at least one admin after it.
///
/// # Errors
/// Why the change is refused.
pub fn check_change(roster: &[Member], change: &Change<'_>) -> Result<(), ChangeRefusal> {
    let email = match change {
        Change::Add(record) | Change::Update(record) => record.email.as_str(),
        Change::Remove(email) => email,
    };
    let found = roster.iter().find(|m| m.email.as_deref() == Some(email));
    match (change, found) {
        (Change::Add(_), Some(_)) => return Err(ChangeRefusal::Exists),
        (Change::Add(_), None) => return Ok(()),
        (_, None) => return Err(ChangeRefusal::NotFound),
        (_, Some(m)) if m.source == Source::Config => return Err(ChangeRefusal::Configured),
        _ => {}
    }
    let admins_after = roster
        .iter()
        .filter(|m| {
            if m.email.as_deref() != Some(email) {
                return m.role == Role::Admin;
            }
            matches!(change, Change::Update(record) if record.role == Role::Admin)
        })
        .count();
    if admins_after == 0 {
        return Err(ChangeRefusal::LastAdmin);
    }
    Ok(())
}

string_enum! {
    /// What an audit event records.
    AuditKind {
        /// An agent signed in (at most one a clock hour per agent).
        SignIn = "sign_in",
        /// An admin added an agent.
        AgentAdded = "agent_added",
        /// An admin changed an agent's name, sites or role.
        AgentChanged = "agent_changed",
        /// An admin removed an agent.
        AgentRemoved = "agent_removed",
        /// An admin exported what Buoy holds about a requester.
        PrivacyExport = "privacy_export",
        /// An admin erased what Buoy held about a requester.
        PrivacyErase = "privacy_erase",
        /// A lead added a canned reply.
        CannedAdded = "canned_added",
        /// A lead changed a canned reply.
        CannedChanged = "canned_changed",
        /// A lead removed a canned reply.
        CannedRemoved = "canned_removed",
    }
}

/// One event of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When (a sign-in: the start of its clock hour).
    pub at: Timestamp,
    /// What happened.
    pub kind: AuditKind,
    /// Who did it: the agent's email, or their name where they have none.
    pub by: String,
    /// How they signed in: `access` or `bearer`.
    pub via: String,
    /// The agent changed (agent events), or the canned reply's title
    /// (canned reply events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Their role after the change (added or changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Their role before it (changed or removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was: Option<Role>,
    /// The requester a privacy request was about, by a keyed hash
    /// (`privacy::Subject::audit_name`), never the address or id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    /// How many tickets a privacy request exported or erased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tickets: Option<u32>,
}

/// The clock hour a sign-in at `now` (ms) is recorded in: one sign-in event
/// per agent per hour, whatever the number of requests or isolates.
pub const fn sign_in_hour(now_ms: i64) -> i64 {
    now_ms.div_euclid(3_600_000) * 3_600_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(email: &str, role: Role, source: Source) -> Member {
        Member { email: Some(email.into()), name: email.into(), sites: vec!["demo".into()], role, source }
    }

    fn record(email: &str, role: Role) -> AgentRecord {
        AgentRecord { email: email.into(), name: "Sam".into(), sites: vec!["demo".into()], role }
    }

    #[test]
    fn each_role_may_what_the_one_below_may() {
        assert!(Role::Agent.may(Action::WorkQueue));
        assert!(!Role::Agent.may(Action::EditCannedReplies) && !Role::Agent.may(Action::ManageAgents));
        assert!(Role::Lead.may(Action::EditCannedReplies) && Role::Lead.may(Action::SeeAllMetrics));
        assert!(!Role::Lead.may(Action::ManageAgents) && !Role::Lead.may(Action::ReadAudit) && !Role::Lead.may(Action::RebuildSearch));
        assert!(Action::ALL.iter().all(|a| Role::Admin.may(*a)));
        assert!(!Role::Lead.may(Action::HandlePrivacy) && !Role::Agent.may(Action::HandlePrivacy), "privacy requests are admins'");
        assert!(Role::Admin.at_least(Role::Lead) && !Role::Lead.at_least(Role::Admin));
        assert_eq!(Role::parse("lead"), Some(Role::Lead));
        assert_eq!(Role::parse("owner"), None);
    }

    #[test]
    fn records_are_checked_and_tidied() {
        let tidy = validate(
            AgentRecord {
                email: " Sam@Lumen.Example ".into(),
                name: " Sam ".into(),
                sites: vec!["demo".into(), "demo".into()],
                role: Role::Lead,
            },
            &["demo"],
        );
        assert_eq!(
            tidy,
            Ok(AgentRecord { email: "sam@lumen.example".into(), name: "Sam".into(), sites: vec!["demo".into()], role: Role::Lead })
        );
        let service = validate(record("88bf3b6d86161464f6509f7219099e57.access", Role::Agent), &["demo"]);
        assert!(service.is_ok(), "a service token's Client ID");
        let bad =
            validate(AgentRecord { email: "sam".into(), name: "\u{7}".into(), sites: vec!["nope".into()], role: Role::Agent }, &["demo"]);
        let fields = |r: Result<AgentRecord, Vec<AgentError>>| {
            r.err().unwrap_or_default().iter().map(|e| (e.field.as_str(), e.code.code())).collect::<Vec<_>>()
        };
        assert_eq!(fields(bad), [("email", "invalid_email"), ("name", "invalid_text"), ("sites", "unknown_site")]);
        let empty = validate(AgentRecord { email: String::new(), name: String::new(), sites: vec![], role: Role::Agent }, &["demo"]);
        assert_eq!(fields(empty), [("email", "required"), ("name", "required"), ("sites", "required")]);
        let long = validate(AgentRecord { name: "n".repeat(MAX_NAME + 1), ..record("a@b.example", Role::Agent) }, &["demo"]);
        assert_eq!(fields(long), [("name", "too_long")]);
        assert!(!is_service_id("x.access.evil") && !is_service_id(".access") && !is_service_id("ABC.access"));
    }

    #[test]
    fn the_roster_keeps_one_entry_per_email_and_leaves_configured_agents_alone() {
        let roster = [member("ada@x.example", Role::Admin, Source::Config), member("sam@x.example", Role::Agent, Source::Console)];
        assert_eq!(check_change(&roster, &Change::Add(&record("sam@x.example", Role::Agent))), Err(ChangeRefusal::Exists));
        assert_eq!(check_change(&roster, &Change::Add(&record("ada@x.example", Role::Agent))), Err(ChangeRefusal::Exists));
        assert_eq!(check_change(&roster, &Change::Add(&record("new@x.example", Role::Lead))), Ok(()));
        assert_eq!(check_change(&roster, &Change::Update(&record("ada@x.example", Role::Agent))), Err(ChangeRefusal::Configured));
        assert_eq!(check_change(&roster, &Change::Remove("ada@x.example")), Err(ChangeRefusal::Configured));
        assert_eq!(check_change(&roster, &Change::Remove("who@x.example")), Err(ChangeRefusal::NotFound));
        assert_eq!(check_change(&roster, &Change::Update(&record("sam@x.example", Role::Admin))), Ok(()));
        assert_eq!(check_change(&roster, &Change::Remove("sam@x.example")), Ok(()));
    }

    #[test]
    fn the_last_admin_stays() {
        let alone = [member("root@x.example", Role::Admin, Source::Console), member("sam@x.example", Role::Agent, Source::Console)];
        assert_eq!(check_change(&alone, &Change::Remove("root@x.example")), Err(ChangeRefusal::LastAdmin));
        assert_eq!(check_change(&alone, &Change::Update(&record("root@x.example", Role::Lead))), Err(ChangeRefusal::LastAdmin));
        assert_eq!(check_change(&alone, &Change::Update(&record("root@x.example", Role::Admin))), Ok(()), "renaming the last admin");
        let two = [member("root@x.example", Role::Admin, Source::Console), member("kim@x.example", Role::Admin, Source::Console)];
        assert_eq!(check_change(&two, &Change::Remove("root@x.example")), Ok(()));
        assert_eq!(check_change(&two, &Change::Update(&record("kim@x.example", Role::Agent))), Ok(()));
    }

    #[test]
    fn sign_ins_are_counted_by_the_clock_hour() {
        assert_eq!(sign_in_hour(7_200_000 + 59 * 60_000), 7_200_000);
        assert_eq!(sign_in_hour(7_200_000), 7_200_000);
        assert_eq!(sign_in_hour(-1), -3_600_000);
    }
}
