//! Who is signed in, and the agents' roster: `/v1/agent/agents`,
//! `/v1/agent/audit`.
//!
//! An agent is signed in by the Cloudflare Access token in
//! `Cf-Access-Jwt-Assertion` (where `[access]` is set and the header is
//! there), else by a bearer token of `[[agents]]` (where bearer tokens are
//! on). The rules are `buoy_shared::access` and `buoy_shared::agents`; the
//! signature is checked by the runtime behind [`AccessKeys`].

use crate::api::App;
use crate::error::AppError;
use crate::http::{ApiRequest, ApiResponse};
use crate::store::Kv;
use buoy_shared::access::{self, Principal, Refusal};
use buoy_shared::agents::{self, Action, AgentRecord, AuditEvent, AuditKind, Change, ChangeRefusal, Member, Role};
use buoy_shared::config;
use buoy_shared::ids::SiteId;
use buoy_shared::keys;
use buoy_shared::problem::Problem;
use buoy_shared::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How an agent signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// Cloudflare Access (a person, or a service token).
    Access,
    /// A bearer token of `[[agents]]`.
    Bearer,
}

impl Via {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Bearer => "bearer",
        }
    }
}

/// The agent a request is made by.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// Their name, shown on their replies and events.
    pub agent: String,
    /// How Access names them (a configured agent may have none).
    pub email: Option<String>,
    /// The site this request acts on: the `site` query parameter when it
    /// names one of theirs, else their first.
    pub site: SiteId,
    /// Every site they work.
    pub sites: Vec<SiteId>,
    /// What they may do.
    pub role: Role,
    /// How they signed in.
    pub via: Via,
}

impl SignedIn {
    /// Whether their role is `role` or above (`Role::Lead` for canned
    /// replies and everyone's metrics).
    pub const fn is(&self, role: Role) -> bool {
        self.role.at_least(role)
    }

    /// Whether their role allows `action`.
    pub const fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }

    /// `Ok` when their role allows `action`, else `403 forbidden`.
    ///
    /// # Errors
    /// [`Problem::Forbidden`].
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(Problem::Forbidden.into())
        }
    }

    /// Whether they work `site`'s queue.
    pub fn works(&self, site: &SiteId) -> bool {
        self.sites.contains(site)
    }

    /// Who they are in the audit trail: their email, else their name.
    pub(crate) fn who(&self) -> &str {
        self.email.as_deref().unwrap_or(&self.agent)
    }
}

/// Checks an Access token's signature: the team's key named `kid`
/// (fetched and cached by the rules of `access::KeyCache`) verifies
/// `signature` over `signed` as RSASSA-PKCS1-v1_5 with SHA-256 (WebCrypto
/// at the edge).
pub trait AccessKeys {
    /// `Ok` when the signature verifies.
    fn verify<'a>(
        &'a self,
        kid: &'a str,
        signed: &'a [u8],
        signature: &'a [u8],
        now_ms: i64,
    ) -> futures_util::future::LocalBoxFuture<'a, Result<(), Refusal>>;
}

/// What checking Access sign-ins takes: `[access]` and the key checker.
pub struct AccessCheck<'a> {
    /// `[access]` from `buoy.toml`.
    pub settings: &'a config::Access,
    /// How signatures are checked.
    pub keys: &'a dyn AccessKeys,
}

impl core::fmt::Debug for AccessCheck<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccessCheck").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// The agent who makes `request`: by their Access token where `[access]`
/// is set and the request carries one (a token that does not pass is a
/// `401 access_denied`, whatever else the request carries), else by
/// their bearer token (every configured token compared in constant time;
/// `401 bearer_tokens_off` where the deployment or their site turned
/// them off).
///
/// # Errors
/// `401` or `403` problems; KV failures.
pub async fn sign_in<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<SignedIn, AppError> {
    if let (Some(check), Some(token)) = (app.access, request.header(access::ACCESS_HEADER)) {
        let denied = |r: Refusal| AppError::Denied(Problem::AccessDenied, r.detail());
        let parsed = access::parse(token).map_err(denied)?;
        let now = app.now.as_millis();
        check.keys.verify(&parsed.kid, &parsed.signed, &parsed.signature, now).await.map_err(denied)?;
        let principal =
            access::check_claims(&parsed.claims, &check.settings.team_domain, &check.settings.aud, now.div_euclid(1000)).map_err(denied)?;
        let member = member_of(app, &principal).await?.ok_or(Problem::NotAnAgent)?;
        let signed = signed_in(member, Via::Access, request)?;
        record_sign_in(app, &signed).await;
        return Ok(signed);
    }
    if app.config.access.as_ref().is_some_and(|a| !a.bearer_tokens) {
        return Err(Problem::BearerTokensOff.into());
    }
    let given = request.header("authorization").and_then(|h| {
        let (scheme, token) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    let given = given.filter(|t| !t.is_empty()).ok_or(Problem::Unauthorized)?;
    let mut found = None;
    for agent in app.agents {
        if keys::secrets_equal(agent.token.as_bytes(), given.as_bytes()) && found.is_none() {
            found = Some(agent);
        }
    }
    let found = found.ok_or(Problem::Unauthorized)?;
    if app.config.site(found.site.as_str()).is_some_and(|s| !s.bearer_tokens) {
        return Err(Problem::BearerTokensOff.into());
    }
    let configured = app.config.agents.iter().find(|a| a.name == found.agent);
    Ok(SignedIn {
        agent: found.agent.clone(),
        email: configured.and_then(|a| a.email.as_deref()).map(str::to_lowercase),
        site: found.site.clone(),
        sites: vec![found.site.clone()],
        role: configured.map_or(Role::Agent, |a| a.role),
        via: Via::Bearer,
    })
}

/// The roster entry Access names: a configured one with that email, else
/// a stored one.
async fn member_of<K: Kv>(app: &App<'_, K>, principal: &Principal) -> Result<Option<Member>, AppError> {
    let key = principal.key();
    if let Some(member) = agents::configured(app.config).into_iter().find(|m| m.email.as_deref() == Some(key)) {
        return Ok(Some(member));
    }
    Ok(app.store.agent(key).await?.map(Member::stored))
}

fn signed_in(member: Member, via: Via, request: &ApiRequest) -> Result<SignedIn, AppError> {
    let sites: Vec<SiteId> = member.sites.iter().filter_map(|s| SiteId::parse(s).ok()).collect();
    let asked = request.query_param("site").and_then(|s| SiteId::parse(&s).ok()).filter(|s| sites.contains(s));
    let site = asked.or_else(|| sites.first().cloned()).ok_or(Problem::NotAnAgent)?;
    Ok(SignedIn { agent: member.name, email: member.email, site, sites, role: member.role, via })
}

/// Records a sign-in through Access in the audit trail, at most once per
/// agent per clock hour: this isolate remembers whom it recorded this
/// hour, and the event's key is the same for every isolate (the agent and
/// the hour), so another isolate's record is overwritten, not doubled. A
/// failure is logged; the request goes on.
async fn record_sign_in<K: Kv>(app: &App<'_, K>, signed: &SignedIn) {
    thread_local! {
        static RECORDED: std::cell::RefCell<(i64, Vec<String>)> = const { std::cell::RefCell::new((0, Vec::new())) };
    }
    let hour = agents::sign_in_hour(app.now.as_millis());
    let who = signed.who().to_owned();
    let fresh = RECORDED.with_borrow_mut(|(at, seen)| {
        if *at != hour {
            *at = hour;
            seen.clear();
        }
        if seen.contains(&who) {
            false
        } else {
            seen.push(who.clone());
            true
        }
    });
    if !fresh {
        return;
    }
    let event = AuditEvent {
        at: Timestamp::from_millis(hour),
        kind: AuditKind::SignIn,
        by: who,
        via: signed.via.as_str().into(),
        agent: None,
        role: Some(signed.role),
        was: None,
    };
    if let Err(e) = app.store.audit(&event).await {
        crate::log_error(&format!("audit sign-in: {}", e.0));
    }
}

/// The roster: configured agents, then stored ones.
async fn roster<K: Kv>(app: &App<'_, K>) -> Result<Vec<Member>, AppError> {
    let mut roster = agents::configured(app.config);
    let stored = app.store.agents().await?;
    let configured: Vec<Option<String>> = roster.iter().map(|m| m.email.clone()).collect();
    roster.extend(stored.into_iter().filter(|r| !configured.contains(&Some(r.email.clone()))).map(Member::stored));
    Ok(roster)
}

/// The names of the agents of `site` (whom a ticket may be assigned to):
/// those with a bearer token, and the roster's. Without `[access]` no
/// stored agent can sign in, so the roster is not listed (no KV list).
///
/// # Errors
/// When KV fails.
pub async fn names_for<'a, K: Kv>(app: &App<'a, K>, site: &SiteId) -> Result<Vec<String>, AppError> {
    let mut names: Vec<String> = app.agents.iter().filter(|a| &a.site == site).map(|a| a.agent.clone()).collect();
    if app.config.access.is_none() {
        return Ok(names);
    }
    for member in roster(app).await? {
        if member.sites.iter().any(|s| s == site.as_str()) && !names.contains(&member.name) {
            names.push(member.name);
        }
    }
    Ok(names)
}

/// `GET /v1/agent/agents` (admins): the roster.
pub async fn list<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    sign_in(app, request).await?.require(Action::ManageAgents)?;
    #[derive(Serialize)]
    struct Roster {
        agents: Vec<Member>,
        roles: &'static [Role],
        sites: Vec<String>,
    }
    let sites = app.config.sites.keys().cloned().collect();
    Ok(ApiResponse::json(200, &Roster { agents: roster(app).await?, roles: Role::ALL, sites }))
}

fn read_record(request: &ApiRequest) -> Result<AgentRecord, AppError> {
    serde_json::from_slice(&request.body).map_err(|e| AppError::InvalidRequest(e.to_string()))
}

fn valid<K>(app: &App<'_, K>, record: AgentRecord) -> Result<AgentRecord, AppError> {
    let sites: Vec<&str> = app.config.sites.keys().map(String::as_str).collect();
    agents::validate(record, &sites).map_err(AppError::Agent)
}

fn refused(refusal: ChangeRefusal) -> AppError {
    AppError::Problem(match refusal {
        ChangeRefusal::Exists => Problem::AgentExists,
        ChangeRefusal::NotFound => Problem::NotFound,
        ChangeRefusal::Configured => Problem::AgentConfigured,
        ChangeRefusal::LastAdmin => Problem::LastAdmin,
    })
}

async fn audit_change<K: Kv>(
    app: &App<'_, K>,
    by: &SignedIn,
    kind: AuditKind,
    agent: &str,
    role: Option<Role>,
    was: Option<Role>,
) -> Result<(), AppError> {
    let event = AuditEvent { at: app.now, kind, by: by.who().into(), via: by.via.as_str().into(), agent: Some(agent.into()), role, was };
    Ok(app.store.audit(&event).await?)
}

/// `POST /v1/agent/agents` (admins) `{"email", "name", "sites", "role"}`:
/// adds an agent, who may then sign in through Access. `201` with them.
pub async fn add<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    let admin = sign_in(app, request).await?;
    admin.require(Action::ManageAgents)?;
    let record = valid(app, read_record(request)?)?;
    agents::check_change(&roster(app).await?, &Change::Add(&record)).map_err(refused)?;
    // The list lags by up to a minute; a read by key does not.
    if app.store.agent(&record.email).await?.is_some() {
        return Err(Problem::AgentExists.into());
    }
    app.store.put_agent(&record).await?;
    audit_change(app, &admin, AuditKind::AgentAdded, &record.email, Some(record.role), None).await?;
    Ok(ApiResponse::json(201, &Member::stored(record)))
}

/// What a change may set; what it leaves out stays.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentChange {
    name: Option<String>,
    sites: Option<Vec<String>>,
    role: Option<Role>,
}

/// The stored agent `email` (percent-decoded from the path), or a 404.
async fn stored<K: Kv>(app: &App<'_, K>, email: &str) -> Result<AgentRecord, AppError> {
    let email = crate::http::percent_decode(email).ok_or(Problem::NotFound)?.to_lowercase();
    match app.store.agent(&email).await? {
        Some(record) => Ok(record),
        None if agents::configured(app.config).iter().any(|m| m.email.as_deref() == Some(email.as_str())) => {
            Err(Problem::AgentConfigured.into())
        }
        None => Err(Problem::NotFound.into()),
    }
}

/// The roster with `record` as KV holds it now (the list may lag).
async fn roster_with<K: Kv>(app: &App<'_, K>, record: &AgentRecord) -> Result<Vec<Member>, AppError> {
    let mut roster = roster(app).await?;
    roster.retain(|m| m.email.as_deref() != Some(record.email.as_str()));
    roster.push(Member::stored(record.clone()));
    Ok(roster)
}

/// `POST /v1/agent/agents/{email}` (admins) `{"name"?, "sites"?, "role"?}`:
/// changes a stored agent; never the last admin's role.
pub async fn change<K: Kv>(app: &App<'_, K>, request: &ApiRequest, email: &str) -> Result<ApiResponse, AppError> {
    let admin = sign_in(app, request).await?;
    admin.require(Action::ManageAgents)?;
    let was = stored(app, email).await?;
    let asked: AgentChange = serde_json::from_slice(&request.body).map_err(|e| AppError::InvalidRequest(e.to_string()))?;
    let record = valid(
        app,
        AgentRecord {
            email: was.email.clone(),
            name: asked.name.unwrap_or_else(|| was.name.clone()),
            sites: asked.sites.unwrap_or_else(|| was.sites.clone()),
            role: asked.role.unwrap_or(was.role),
        },
    )?;
    agents::check_change(&roster_with(app, &was).await?, &Change::Update(&record)).map_err(refused)?;
    app.store.put_agent(&record).await?;
    audit_change(app, &admin, AuditKind::AgentChanged, &record.email, Some(record.role), Some(was.role)).await?;
    Ok(ApiResponse::json(200, &Member::stored(record)))
}

/// `POST /v1/agent/agents/{email}/remove` (admins): removes a stored
/// agent; never the last admin. `204`.
pub async fn remove<K: Kv>(app: &App<'_, K>, request: &ApiRequest, email: &str) -> Result<ApiResponse, AppError> {
    let admin = sign_in(app, request).await?;
    admin.require(Action::ManageAgents)?;
    let was = stored(app, email).await?;
    agents::check_change(&roster_with(app, &was).await?, &Change::Remove(&was.email)).map_err(refused)?;
    app.store.delete_agent(&was.email).await?;
    audit_change(app, &admin, AuditKind::AgentRemoved, &was.email, None, Some(was.role)).await?;
    Ok(ApiResponse { status: 204, headers: Vec::new(), body: Vec::new() })
}

/// `GET /v1/agent/audit?cursor=` (admins): the audit trail, newest first,
/// a page at a time.
pub async fn audit<K: Kv>(app: &App<'_, K>, request: &ApiRequest) -> Result<ApiResponse, AppError> {
    sign_in(app, request).await?.require(Action::ReadAudit)?;
    #[derive(Serialize)]
    struct Trail {
        events: Vec<AuditEvent>,
        cursor: Option<String>,
    }
    let cursor = request.query_param("cursor").filter(|c| !c.is_empty());
    let (events, cursor) = app.store.audit_trail(cursor.as_deref()).await?;
    Ok(ApiResponse::json(200, &Trail { events, cursor }))
}
