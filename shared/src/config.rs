//! `buoy.toml`: sites, their allowed origins, and agents.
//!
//! The file is configuration as code: the build reads it with
//! [`Config::from_toml`], which refuses a bad file with the field named,
//! and compiles the result into the worker.

use crate::calendar::{BusinessCalendar, CalendarSpec, Calendars, Group, DEFAULT_CALENDAR};
use crate::ids::SiteId;
pub use crate::origin::{is_origin_pattern, origin_matches, url_origin};
use crate::playbook::{self, Playbook};
use crate::routing::{self, RoutingRule};
use crate::sla::SlaPolicy;
use core::fmt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

crate::vocab::string_enum! {
    /// The event types a webhook delivers and can subscribe to.
    EventType {
        /// A new ticket.
        TicketCreated = "ticket.created",
        /// An agent's change, or a new segment.
        TicketUpdated = "ticket.updated",
        /// A message from the requester or an agent (a note too).
        MessageCreated = "message.created",
        /// An SLA target passed, recorded by the sweep.
        SlaBreached = "sla.breached",
        /// An escalation rule that notifies.
        TicketEscalated = "ticket.escalated",
        /// The requester's rating.
        CsatSubmitted = "csat.submitted",
    }
}

/// The body's shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Buoy's JSON event.
    #[default]
    Json,
    /// A Slack incoming-webhook message (`{"text": …}`).
    Slack,
}

/// A `[[webhooks]]` entry of `buoy.toml`. The URL is a secret too (Slack's
/// URLs grant posting), so both are named, not written here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The secret that holds the receiver's URL.
    pub url_secret: String,
    /// The secret that signs deliveries.
    pub signing_secret: String,
    /// The event types to send (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// The body's shape.
    #[serde(default)]
    pub format: Format,
}

impl WebhookConfig {
    /// Whether this webhook wants events of this type.
    pub fn wants(&self, event_type: EventType) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == event_type.as_str())
    }
}

/// The whole of `buoy.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Every site that may embed the widget, by site id.
    pub sites: BTreeMap<String, Site>,
    /// The agents who work the queues.
    #[serde(default)]
    pub agents: Vec<Agent>,
    /// The default business calendar (named `default`), which business-hour
    /// targets count in unless a site or group names another
    /// (Monday to Friday, 09:00-17:00 UTC when left out).
    #[serde(default = "default_calendar")]
    pub calendar: CalendarSpec,
    /// More business calendars, by name (`[calendars.<name>]`, the same
    /// shape as `[calendar]`), for sites and groups to choose.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub calendars: BTreeMap<String, CalendarSpec>,
    /// Groups that routing's `then.group` names, with their settings
    /// (`[groups.<name>]`): the calendar their tickets count in.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, Group>,
    /// SLA targets per segment × priority (the defaults when left out).
    #[serde(default)]
    pub policies: SlaPolicy,
    /// Routing rules, applied in order to every new ticket.
    #[serde(default)]
    pub routing: Vec<RoutingRule>,
    /// Playbooks per ticket type (or `any`): guided-fix steps and escalations.
    #[serde(default)]
    pub playbooks: BTreeMap<String, Playbook>,
    /// Where events are delivered.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// Cloudflare Access as the agents' sign-in, when set (see [`Access`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<Access>,
}

/// `[access]`: agents sign in through a Cloudflare Access application that
/// covers `/console/*` and `/v1/agent/*`; the worker checks the JWT Access
/// adds (see [`crate::access`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// The team domain, `https://<team>.cloudflareaccess.com`: the tokens'
    /// issuer, and where its signing keys are published.
    pub team_domain: String,
    /// The Access application's AUD tag.
    pub aud: String,
    /// The first admin, by the email they sign in with: an admin of every
    /// site, who adds the others in the console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<String>,
    /// Whether agents' bearer tokens still work (true by default); false
    /// once everyone signs in through Access.
    #[serde(default = "on_by_default")]
    pub bearer_tokens: bool,
}

/// The calendar used when `buoy.toml` has no `[calendar]`.
pub fn default_calendar() -> CalendarSpec {
    let day = |d: &str| (d.to_owned(), "09:00-17:00".to_owned());
    CalendarSpec { time_zone: "UTC".into(), open: ["mon", "tue", "wed", "thu", "fri"].map(day).into_iter().collect(), holidays: Vec::new() }
}

/// One product that embeds the widget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The product's name, shown in the panel.
    pub name: String,
    /// The origins whose pages may embed the widget (`frame-ancestors`).
    /// Each is `scheme://host[:port]`; a port of `*` allows any port, as in CSP.
    pub allowed_origins: Vec<String>,
    /// The NAME of the secret that signs this site's verified identities
    /// (see `identity`); without it, every requester is anonymous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_secret: Option<String>,
    /// Refuse tickets without a valid identity.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_identity: bool,
    /// Still accept HMAC identities in the v1 form (`key=value` lines, no
    /// `exp`). UNSAFE for a product that signs user-chosen values: a name
    /// holding a line break forges any other field, and a v1 signature
    /// never expires. True by default in this release so existing
    /// integrations keep working; the worker logs each use. Set it to
    /// false once the product signs v2 (see `identity`).
    #[serde(default = "accept_v1_by_default")]
    pub identity_v1: bool,
    /// Cloudflare Turnstile on new tickets, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turnstile: Option<Turnstile>,
    /// Email continuity, when set (see [`SiteEmail`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<SiteEmail>,
    /// The panel's language when neither the embedding page nor the
    /// browser names one the catalog speaks: a tag of
    /// [`Locale::ALL`](crate::messages::Locale::ALL), `en` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Attachments, when set: the table's presence turns them on, with
    /// its limits and types (see [`crate::attach::Limits`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<crate::attach::Limits>,
    /// The business calendar of its tickets (a name of `[calendars]`, or
    /// `default`); a group's calendar comes first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// Its own ticket types (`[[sites.<id>.types]]`), in the order its
    /// panel lists them; the built-in ones when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<crate::site_types::SiteType>,
    /// The launcher's look on the host page (see
    /// [`crate::appearance::Appearance`]), baked into `/s/{site}.js`.
    #[serde(default, skip_serializing_if = "crate::appearance::Appearance::is_default")]
    pub appearance: crate::appearance::Appearance,
    /// Custom fields (`[[sites.<id>.fields]]`; see [`crate::fields`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<crate::fields::FieldDef>,
    /// Whether this site's agents may still sign in with bearer tokens
    /// (true by default); false once they sign in through Access.
    #[serde(default = "on_by_default")]
    pub bearer_tokens: bool,
}

/// Whether `domain` is an Access team domain: an `https` origin without
/// a path (a trailing slash allowed).
pub fn is_team_domain(domain: &str) -> bool {
    let Some(host) = domain.trim_end_matches('/').strip_prefix("https://") else { return false };
    !host.is_empty() && host.contains('.') && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':')
}

/// Bearer tokens, unless `[access]` or a site turns them off.
const fn on_by_default() -> bool {
    true
}

/// `identity_v1` unless a site says otherwise.
const fn accept_v1_by_default() -> bool {
    true
}

/// A site's Cloudflare Turnstile widget: new tickets from the panel carry
/// a token the worker verifies with `siteverify` before storing anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turnstile {
    /// The widget's public site key (from the Cloudflare dashboard).
    pub site_key: String,
    /// The NAME of the secret that holds the widget's secret key.
    pub secret: String,
}

/// A support agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Shown on their replies and events.
    pub name: String,
    /// The site whose tickets they work.
    pub site: String,
    /// The name of the secret (`wrangler secret`, `.dev.vars`) that holds
    /// their bearer token; the token itself never enters the repository.
    pub token_secret: String,
    /// Where their notifications go (assigned, breach, escalation); none
    /// without it. With `[access]`, also the email they sign in with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What they may do (`agent` unless set; see [`crate::vocab::Role`]).
    #[serde(default)]
    pub role: crate::vocab::Role,
}

/// What is wrong with `buoy.toml`, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field, as a path such as `sites.demo.allowed_origins[1]`.
    pub field: String,
    /// What is expected there.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

fn is_secret_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|c| c.is_ascii_uppercase() || c == b'_')
        && name.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

impl Config {
    /// Reads and validates the text of `buoy.toml`, time zone included
    /// (from the IANA database the build carries).
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first faulty field: a TOML syntax
    /// error, an unknown or missing key, or a value [`Config::validate`]
    /// refuses.
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self =
            toml::from_str(text).map_err(|e| ConfigError { field: String::new(), message: e.to_string().trim_end().to_owned() })?;
        config.validate()?;
        config.business_calendars(crate::calendar::tzdb_zone)?;
        Ok(config)
    }

    /// Every business calendar, each zone resolved by `zone` (from the
    /// IANA name the file gives): the build passes the database it
    /// carries, the worker jiff's bundled copy of the same.
    ///
    /// # Errors
    /// The first calendar whose zone is unknown or whose hours or
    /// holidays are refused, by path (`calendar.open.mon`,
    /// `calendars.emea.time_zone`).
    pub fn business_calendars(&self, zone: impl Fn(&str) -> Option<jiff::tz::TimeZone>) -> Result<Calendars, ConfigError> {
        let build = |path: &str, spec: &CalendarSpec| {
            let tz = zone(&spec.time_zone).ok_or_else(|| ConfigError {
                field: format!("{path}.time_zone"),
                message: "not an IANA time zone name such as Europe/London or America/New_York".into(),
            })?;
            BusinessCalendar::new(spec, tz).map_err(|e| ConfigError { field: format!("{path}.{}", e.path()), message: e.to_string() })
        };
        let default = build("calendar", &self.calendar)?;
        let named = self
            .calendars
            .iter()
            .map(|(name, spec)| Ok((name.clone(), build(&format!("calendars.{name}"), spec)?)))
            .collect::<Result<_, ConfigError>>()?;
        Ok(Calendars::new(default, named))
    }

    /// The name of the calendar a ticket of `site` routed to `group`
    /// counts in: the group's calendar, else the site's, else
    /// [`DEFAULT_CALENDAR`].
    pub fn calendar_name(&self, site: &str, group: Option<&str>) -> &str {
        let of_group = group.and_then(|g| self.groups.get(g)).and_then(|g| g.calendar.as_deref());
        of_group.or_else(|| self.site(site).and_then(|s| s.calendar.as_deref())).unwrap_or(DEFAULT_CALENDAR)
    }

    /// The playbooks a ticket of `kind` on `site` follows
    /// (`site_types::playbooks_for` with the site's types; an unknown site
    /// has none of its own).
    pub fn ticket_playbooks(&self, site: &str, kind: &crate::ticket::TicketType) -> std::borrow::Cow<'_, BTreeMap<String, Playbook>> {
        crate::site_types::playbooks_for(&self.playbooks, self.site(site).map_or(&[], |s| &s.types[..]), kind)
    }

    /// Checks the calendars' names and that every site's and group's
    /// calendar exists.
    fn validate_calendars(&self) -> Result<(), ConfigError> {
        let fail = |field: String, message: String| Err(ConfigError { field, message });
        for name in self.calendars.keys() {
            if name == DEFAULT_CALENDAR {
                return fail(format!("calendars.{name}"), "the default calendar is [calendar]: give this one another name".into());
            }
            if !crate::calendar::is_calendar_name(name) {
                return fail(format!("calendars.{name}"), "a calendar name is 1-32 lowercase letters, digits, _ or -".into());
            }
        }
        let known = |name: &str| name == DEFAULT_CALENDAR || self.calendars.contains_key(name);
        let expected = || {
            let names: Vec<&str> = core::iter::once(DEFAULT_CALENDAR).chain(self.calendars.keys().map(String::as_str)).collect();
            format!("no such calendar: expected one of {} (define others as [calendars.<name>])", names.join(", "))
        };
        for (id, site) in &self.sites {
            if site.calendar.as_deref().is_some_and(|name| !known(name)) {
                return fail(format!("sites.{id}.calendar"), expected());
            }
        }
        for (name, group) in &self.groups {
            if name.trim().is_empty() || name.chars().count() > 64 {
                return fail(format!("groups.{name}"), "a group name is 1-64 characters, as in routing's then.group".into());
            }
            if group.calendar.as_deref().is_some_and(|name| !known(name)) {
                return fail(format!("groups.{name}.calendar"), expected());
            }
        }
        Ok(())
    }

    /// Checks what the types alone cannot: site ids, origins, secret
    /// names, and that every agent's site exists.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first faulty field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |field: String, message: &str| Err(ConfigError { field, message: message.to_owned() });
        if self.sites.is_empty() {
            return fail("sites".into(), "at least one site is needed, as [sites.<id>]");
        }
        for (id, site) in &self.sites {
            if SiteId::parse(id).is_err() {
                return fail(format!("sites.{id}"), "a site id is 1-40 lowercase letters, digits or dashes");
            }
            if site.name.trim().is_empty() {
                return fail(format!("sites.{id}.name"), "must not be empty");
            }
            if site.allowed_origins.is_empty() {
                return fail(format!("sites.{id}.allowed_origins"), "list at least one origin that embeds the widget");
            }
            if site.identity_secret.as_deref().is_some_and(|name| !is_secret_name(name)) {
                return fail(format!("sites.{id}.identity_secret"), "expected the NAME of a secret, such as BUOY_IDENTITY_SECRET");
            }
            if site.require_identity && site.identity_secret.is_none() {
                return fail(format!("sites.{id}.require_identity"), "needs identity_secret: nobody could be verified");
            }
            if site.locale.as_deref().is_some_and(|tag| crate::messages::Locale::exact(tag).is_none()) {
                let tags: Vec<&str> = crate::messages::Locale::ALL.iter().map(|l| l.tag()).collect();
                return fail(format!("sites.{id}.locale"), &format!("expected one of {}", tags.join(", ")));
            }
            if let Err(e) = crate::fields::validate_defs(&site.fields, site.locale()) {
                return fail(format!("sites.{id}.fields{}", e.at), &e.message);
            }
            if let Some((field, message)) = site.attachments.as_ref().and_then(crate::attach::Limits::problem) {
                return fail(format!("sites.{id}.attachments.{field}"), message);
            }
            if let Some((field, message)) = site.appearance.problem() {
                return fail(format!("sites.{id}.appearance.{field}"), &message);
            }
            if let Some(turnstile) = &site.turnstile {
                let key = &turnstile.site_key;
                if key.is_empty() || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                    return fail(format!("sites.{id}.turnstile.site_key"), "expected the widget's site key, such as 0x4AAAAAAA…");
                }
                if !is_secret_name(&turnstile.secret) {
                    return fail(format!("sites.{id}.turnstile.secret"), "expected the NAME of a secret, such as BUOY_TURNSTILE_SECRET");
                }
            }
            for (i, origin) in site.allowed_origins.iter().enumerate() {
                if !is_origin_pattern(origin) {
                    return fail(
                        format!("sites.{id}.allowed_origins[{i}]"),
                        "expected an origin such as https://app.example.com (scheme, host, optional port; no path, no trailing slash)",
                    );
                }
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, agent) in self.agents.iter().enumerate() {
            if agent.name.trim().is_empty() {
                return fail(format!("agents[{i}].name"), "must not be empty");
            }
            if !names.insert(agent.name.as_str()) {
                return fail(format!("agents[{i}].name"), "two agents have this name");
            }
            if !self.sites.contains_key(&agent.site) {
                return fail(format!("agents[{i}].site"), "no such site in [sites]");
            }
            if !is_secret_name(&agent.token_secret) {
                return fail(format!("agents[{i}].token_secret"), "expected the NAME of a secret, such as BUOY_AGENT_TOKEN");
            }
        }
        self.policies.validate().map_err(|e| ConfigError { field: format!("policies.{}", e.field), message: e.message.into() })?;
        routing::validate_rules(&self.routing).map_err(|e| ConfigError { field: e.field, message: e.message })?;
        let site_fields: Vec<&[crate::fields::FieldDef]> = self.sites.values().map(|s| s.fields.as_slice()).collect();
        for (i, rule) in self.routing.iter().enumerate() {
            crate::fields::check_rule_fields(&rule.when.fields, &site_fields)
                .map_err(|e| ConfigError { field: format!("routing[{i}].when.fields.{}", e.at), message: e.message })?;
        }
        let agent_names: Vec<&str> = self.agents.iter().map(|a| a.name.as_str()).collect();
        playbook::validate(&self.playbooks, &agent_names)
            .map_err(|e| ConfigError { field: format!("playbooks.{}", e.field), message: e.message.into() })?;
        self.validate_email()?;
        self.validate_access()?;
        self.validate_calendars()?;
        let sites: Vec<crate::site_types::SiteTypes<'_>> =
            self.sites.iter().map(|(id, site)| crate::site_types::SiteTypes { id, types: &site.types, locale: site.locale() }).collect();
        crate::site_types::validate(&sites, &self.playbooks, &self.routing).map_err(|(field, message)| ConfigError { field, message })?;
        for (i, hook) in self.webhooks.iter().enumerate() {
            for (name, value) in [("url_secret", &hook.url_secret), ("signing_secret", &hook.signing_secret)] {
                if !is_secret_name(value) {
                    return fail(format!("webhooks[{i}].{name}"), "expected the NAME of a secret, such as BUOY_WEBHOOK_URL");
                }
            }
            if let Some(j) = hook.events.iter().position(|e| EventType::parse(e).is_none()) {
                let names: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
                return fail(format!("webhooks[{i}].events[{j}]"), &format!("expected one of {}", names.join(", ")));
            }
        }
        Ok(())
    }

    /// The site with this id.
    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.get(id)
    }

    /// The origin to echo in `Access-Control-Allow-Origin` for a request
    /// from `origin`: itself when some site allows it, never `*` and never
    /// `null` (sandboxed frames and files send that).
    pub fn cors_origin<'o>(&self, origin: &'o str) -> Option<&'o str> {
        (origin != "null" && self.sites.values().any(|s| s.allows_origin(origin))).then_some(origin)
    }
}

impl Site {
    /// Whether a page at `origin` may embed this site's widget.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|pattern| origin_matches(pattern, origin))
    }

    /// The Content-Security-Policy of this site's widget page: only the
    /// worker's own scripts (and their wasm), styles and API, and only the
    /// site's allowed origins may frame it. A site with Turnstile also
    /// allows the script and frames of `turnstile_script`'s origin.
    pub fn widget_page_csp(&self, turnstile_script: &str) -> String {
        let challenge = self.turnstile.as_ref().and_then(|_| url_origin(turnstile_script));
        let (script, frame) = match challenge {
            Some(origin) => (format!(" {origin}"), format!("frame-src {origin}; ")),
            None => (String::new(), String::new()),
        };
        format!(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{script}; style-src 'self'; connect-src 'self'; \
             img-src 'self' data: blob:; {frame}base-uri 'none'; form-action 'none'; {}",
            self.frame_ancestors()
        )
    }

    /// The `frame-ancestors` directive for this site's widget page.
    pub fn frame_ancestors(&self) -> String {
        let mut out = String::from("frame-ancestors");
        for origin in &self.allowed_origins {
            out.push(' ');
            out.push_str(origin);
        }
        out
    }
}

// Email continuity: `[sites.<id>.email]` and agents' `email`.

/// The inbound size cap when a site sets none: 10 MB.
pub const DEFAULT_MAX_INBOUND_BYTES: u64 = 10_000_000;

/// The longest local part a site's `from` may have: its reply addresses
/// are `{local}+{32-hex ticket id}.{16-hex mac}@{reply_domain}`, which
/// must stay within the 64 characters RFC 5321 allows before the `@`.
pub const MAX_FROM_LOCAL: usize = 64 - 1 - 32 - 1 - 16;

/// A site's `[sites.<id>.email]`: where its mail comes from, and where
/// answers and new requests arrive. Recommend a subdomain for
/// `reply_domain` and the intake addresses (`reply.lumen.example`):
/// Email Routing takes over a domain's MX records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteEmail {
    /// The address mail is sent from, on a domain set up for sending
    /// (Cloudflare Email Service). Its local part starts every reply
    /// address.
    pub from: String,
    /// The domain whose mail Email Routing delivers to the worker; each
    /// ticket's reply address is on it.
    pub reply_domain: String,
    /// Addresses whose mail, with no ticket behind it, becomes a new
    /// ticket (routed to the worker too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intake: Vec<String>,
    /// Whether requesters get mail (agents' replies, solved with a
    /// rating, acknowledgements). True unless set to false.
    #[serde(default = "notify_requesters_by_default")]
    pub notify_requesters: bool,
    /// The largest message accepted, in bytes; larger ones are refused
    /// with a reason.
    #[serde(default = "default_max_inbound_bytes")]
    pub max_inbound_bytes: u64,
}

const fn notify_requesters_by_default() -> bool {
    true
}

const fn default_max_inbound_bytes() -> u64 {
    DEFAULT_MAX_INBOUND_BYTES
}

impl Site {
    /// Whether requesters of this site get mail: the panel's text
    /// ([`crate::messages::for_site`]) promises email only then.
    pub fn emails_requesters(&self) -> bool {
        self.email.as_ref().is_some_and(|email| email.notify_requesters)
    }

    /// The site's default language (`locale`, validated), English when unset.
    pub fn locale(&self) -> crate::messages::Locale {
        self.locale.as_deref().and_then(crate::messages::Locale::exact).unwrap_or_default()
    }
}

impl SiteEmail {
    /// The local part of `from`, which starts every reply address.
    pub fn reply_local(&self) -> &str {
        self.from.rsplit_once('@').map_or(self.from.as_str(), |(local, _)| local)
    }
}

/// Whether `text` is a DNS name mail can be routed to: at least two
/// dot-separated labels of 1-63 ASCII letters, digits or dashes, none
/// starting or ending with a dash, at most 253 characters.
pub fn is_mail_domain(text: &str) -> bool {
    text.len() <= 253
        && text.contains('.')
        && text.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether `address` is a plain `local@domain` Buoy can send to and name
/// in configuration: a plausible address on a [mail domain](is_mail_domain).
fn is_mail_address(address: &str) -> bool {
    crate::ticket::is_plausible_email(address) && address.rsplit_once('@').is_some_and(|(_, domain)| is_mail_domain(domain))
}

impl Config {
    /// `[access]`: a team domain, an AUD tag, a first admin's email.
    fn validate_access(&self) -> Result<(), ConfigError> {
        let Some(access) = &self.access else { return Ok(()) };
        let fail = |field: &str, message: &str| Err(ConfigError { field: format!("access.{field}"), message: message.to_owned() });
        if !is_team_domain(&access.team_domain) {
            return fail("team_domain", "expected https://<team>.cloudflareaccess.com");
        }
        if access.aud.trim().is_empty() || access.aud.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail("aud", "expected the Access application's AUD tag");
        }
        if access.admin.as_deref().is_some_and(|a| !crate::ticket::is_plausible_email(a)) {
            return fail("admin", "expected the first admin's email, such as ada@lumen.example");
        }
        Ok(())
    }

    fn validate_email(&self) -> Result<(), ConfigError> {
        let fail = |field: String, message: &str| Err(ConfigError { field, message: message.to_owned() });
        let mut intake_sites: BTreeMap<String, &str> = BTreeMap::new();
        for (id, email) in self.email_sites() {
            if !is_mail_address(&email.from) {
                return fail(
                    format!("sites.{id}.email.from"),
                    "expected an address such as support@lumen.example, on a domain set up for sending",
                );
            }
            let local = email.reply_local();
            if local.len() > MAX_FROM_LOCAL || local.contains('+') {
                return fail(
                    format!("sites.{id}.email.from"),
                    &format!("its local part starts every reply address: at most {MAX_FROM_LOCAL} characters, no +"),
                );
            }
            if !is_mail_domain(&email.reply_domain) {
                return fail(format!("sites.{id}.email.reply_domain"), "expected a domain such as reply.lumen.example (no @, no scheme)");
            }
            if email.max_inbound_bytes == 0 {
                return fail(format!("sites.{id}.email.max_inbound_bytes"), "must be above 0 (the default is 10000000)");
            }
            for (i, address) in email.intake.iter().enumerate() {
                if !is_mail_address(address) {
                    return fail(format!("sites.{id}.email.intake[{i}]"), "expected an address such as support@reply.lumen.example");
                }
                if address.contains('+') {
                    return fail(format!("sites.{id}.email.intake[{i}]"), "no + in an intake address: it would read as a reply address");
                }
                // Each intake address must name one site: a new ticket's site comes from it.
                if let Some(other) = intake_sites.insert(address.to_ascii_lowercase(), id) {
                    return fail(format!("sites.{id}.email.intake[{i}]"), &format!("already an intake address of site {other}"));
                }
            }
        }
        for (i, agent) in self.agents.iter().enumerate() {
            if agent.email.as_deref().is_some_and(|a| !is_mail_address(a)) {
                return fail(format!("agents[{i}].email"), "expected an address such as ada@lumen.example");
            }
        }
        Ok(())
    }

    /// Whether any site uses email: the build adds the `send_email`
    /// binding only then, so a deployment without email needs no Email
    /// Service.
    pub fn uses_email(&self) -> bool {
        self.sites.values().any(|site| site.email.is_some())
    }

    /// Whether any site takes attachments: the build adds the R2 bucket's
    /// binding only then, so a deployment without them needs no R2.
    pub fn uses_attachments(&self) -> bool {
        self.sites.values().any(|site| site.attachments.is_some())
    }

    /// The site whose intake address `to` is. Letter case is ignored
    /// throughout: an intake address only picks a site, and people type
    /// `Support@` as often as `support@`.
    pub fn intake_site(&self, to: &str) -> Option<(&str, &SiteEmail)> {
        let to = to.trim();
        self.sites.iter().find_map(|(id, site)| {
            let email = site.email.as_ref()?;
            email.intake.iter().any(|a| a.eq_ignore_ascii_case(to)).then_some((id.as_str(), email))
        })
    }

    /// The sites that send mail, with their email settings.
    pub fn email_sites(&self) -> impl Iterator<Item = (&str, &SiteEmail)> {
        self.sites.iter().filter_map(|(id, site)| Some((id.as_str(), site.email.as_ref()?)))
    }
}

// Every test here reads TOML (the origin rules are tested in `origin`).
#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;

    #[test]
    fn bad_files_name_the_field() {
        let check = |text: &str, expected: &str| {
            let error = Config::from_toml(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(expected), "expected {expected:?} in {error:?}");
        };
        let site = "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"http://127.0.0.1:8788\"]\n";
        check("", "missing field `sites`");
        check("[sites]\n", "sites: at least one site");
        check("[sites.Demo]\nname = \"D\"\nallowed_origins = [\"https://a.example\"]\n", "sites.Demo: a site id");
        check(
            "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://a.example/\"]\n",
            "sites.demo.allowed_origins[0]: expected an origin",
        );
        check("[sites.demo]\nname = \" \"\nallowed_origins = [\"https://a.example\"]\n", "sites.demo.name: must not be empty");
        check("[sites.demo]\nname = \"Demo\"\nallowed_origins = []\n", "sites.demo.allowed_origins: list at least one");
        check(&format!("{site}colour = \"red\"\n"), "unknown field `colour`");
        check(
            &format!("{site}[calendar]\ntime_zone = \"Mars/Olympus\"\nopen = {{ mon = \"09:00-17:00\" }}\n"),
            "calendar.time_zone: not an IANA",
        );
        check(&format!("{site}[calendar]\ntime_zone = \"UTC\"\nopen = {{ mon = \"9-5\" }}\n"), "calendar.open.mon");
        check(
            &format!("{site}[policies.business.resolution]\nhours = \"business\"\nnormal = \"24h\"\nurgent = \"48h\"\n"),
            "policies.business.resolution.urgent",
        );
        check(&format!("{site}[policies.business.resolution]\nhours = \"sometimes\"\nnormal = \"24h\"\n"), "unknown variant `sometimes`");
        check(&format!("{site}[[playbooks.refund.escalate]]\ntier = 2\nreason = \"r\"\n"), "playbooks.refund");
        check(&format!("{site}[[webhooks]]\nurl_secret = \"https://x\"\nsigning_secret = \"S\"\n"), "webhooks[0].url_secret");
        check(
            &format!("{site}[[webhooks]]\nurl_secret = \"U\"\nsigning_secret = \"S\"\nevents = [\"ticket.deleted\"]\n"),
            "webhooks[0].events[0]",
        );
        check(&format!("{site}[[agents]]\nname = \"A\"\nsite = \"nope\"\ntoken_secret = \"T\"\n"), "agents[0].site: no such site");
        check(&format!("{site}[[agents]]\nname = \"A\"\nsite = \"demo\"\ntoken_secret = \"s3cr3t-value\"\n"), "agents[0].token_secret");
        check(
            &format!("{site}[[agents]]\nname = \"A\"\nsite = \"demo\"\ntoken_secret = \"T\"\n[[agents]]\nname = \"A\"\nsite = \"demo\"\ntoken_secret = \"U\"\n"),
            "agents[1].name: two agents",
        );
        check(&format!("{site}[sites.demo.turnstile]\nsite_key = \"\"\nsecret = \"T\"\n"), "sites.demo.turnstile.site_key");
        check(&format!("{site}[sites.demo.turnstile]\nsite_key = \"0x4AAA\"\nsecret = \"0x4secret\"\n"), "sites.demo.turnstile.secret");
        check(&format!("{site}[sites.demo.turnstile]\nsite_key = \"0x4AAA\"\n"), "missing field `secret`");
        check(&format!("{site}identity_v1 = \"no\"\n"), "expected a boolean");
    }

    /// A site with the README's fields: `plan` (select, required),
    /// `app_version` (host), `accepts_contact` (checkbox).
    #[cfg(feature = "toml")]
    const FIELDS_SITE: &str = "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://a.example\"]\n\
        [[sites.demo.fields]]\nid = \"plan\"\nlabel = { en = \"Plan\", de = \"Tarif\" }\nkind = \"select\"\nrequired = true\n\
        options = [{ id = \"free\", label = { en = \"Free\" } }, { id = \"enterprise\", label = { en = \"Enterprise\" } }]\n\
        [[sites.demo.fields]]\nid = \"app_version\"\nlabel = { en = \"App version\" }\nkind = \"text\"\nwho = \"host\"\n\
        [[sites.demo.fields]]\nid = \"accepts_contact\"\nlabel = { en = \"You may call me\" }\nkind = \"checkbox\"\n";

    #[cfg(feature = "toml")]
    #[test]
    fn custom_fields_and_rules_on_them_are_checked_with_the_field_named() {
        let config = Config::from_toml(FIELDS_SITE).unwrap_or_else(|e| unreachable!("{e}"));
        let fields = config.site("demo").map(|s| s.fields.iter().map(|f| (f.id.as_str(), f.kind, f.who)).collect::<Vec<_>>());
        use crate::fields::{Kind, Who};
        assert_eq!(
            fields,
            Some(vec![
                ("plan", Kind::Select, Who::Requester),
                ("app_version", Kind::Text, Who::Host),
                ("accepts_contact", Kind::Checkbox, Who::Requester)
            ])
        );
        let rule = |when: &str| format!("{FIELDS_SITE}[[routing]]\nname = \"vip\"\nwhen.fields = {when}\nthen.group = \"vip\"\n");
        let cases = [
            (rule("{ plan = [\"enterprise\"] }"), ""),
            (rule("{ accepts_contact = [\"true\"], app_version = [\"4.2.1\"] }"), ""),
            (rule("{ plan = [\"gold\"] }"), "routing[0].when.fields.plan[0]: not a value"),
            (rule("{ accepts_contact = [\"yes\"] }"), "routing[0].when.fields.accepts_contact[0]"),
            (rule("{ colour = [\"red\"] }"), "routing[0].when.fields.colour: no site defines"),
            (rule("{ plan = [] }"), "routing[0].when.fields.plan: list at least one value"),
            (FIELDS_SITE.replace("kind = \"checkbox\"", "kind = \"radio\""), "unknown variant `radio`"),
            (FIELDS_SITE.replace("id = \"app_version\"", "id = \"plan\""), "sites.demo.fields[1].id: fields[0] already has this id"),
            (FIELDS_SITE.replace("who = \"host\"", "who = \"host\"\nrequired = true"), "sites.demo.fields[1].required"),
            (
                FIELDS_SITE.replace("label = { en = \"Plan\", de = \"Tarif\" }", "label = { de = \"Tarif\" }"),
                "sites.demo.fields[0].label: give a label in English",
            ),
        ];
        for (text, expected) in cases {
            let error = Config::from_toml(&text).err().map(|e| e.to_string()).unwrap_or_default();
            if expected.is_empty() {
                assert_eq!(error, "", "{text}");
            } else {
                assert!(error.contains(expected), "expected {expected:?} in {error:?}");
            }
        }
    }

    #[test]
    fn a_site_speaks_english_unless_it_names_a_locale_the_catalog_has() {
        use crate::messages::Locale;
        let site = |extra: &str| {
            let text = format!("[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://a.example\"]\n{extra}");
            Config::from_toml(&text).map(|c| c.site("demo").map(Site::locale)).map_err(|e| e.to_string())
        };
        assert_eq!(site(""), Ok(Some(Locale::En)));
        assert_eq!(site("locale = \"de\"\n"), Ok(Some(Locale::De)));
        assert_eq!(site("locale = \"pt-BR\"\n"), Ok(Some(Locale::PtBr)));
        assert_eq!(site("locale = \"ar\"\n"), Ok(Some(Locale::Ar)));
        for bad in ["xx", "de-CH", "pt", "EN", ""] {
            let error = site(&format!("locale = \"{bad}\"\n")).err().unwrap_or_default();
            assert!(error.contains("sites.demo.locale: expected one of en, de, fr, es, pt-BR, ja, ar"), "{bad}: {error}");
        }
    }

    #[cfg(feature = "toml")]
    #[test]
    fn v1_identities_are_accepted_until_a_site_turns_them_off() {
        let site = |extra: &str| {
            let text = format!("[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://a.example\"]\n{extra}");
            Config::from_toml(&text).map(|c| c.site("demo").map(|s| s.identity_v1)).map_err(|e| e.to_string())
        };
        assert_eq!(site(""), Ok(Some(true)), "on by default in this release");
        assert_eq!(site("identity_v1 = false\n"), Ok(Some(false)));
        assert_eq!(site("identity_v1 = true\n"), Ok(Some(true)));
    }

    #[test]
    fn a_turnstile_site_lets_the_challenge_in_and_nothing_else() {
        let text = "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://app.example\"]\n\
                    [sites.demo.turnstile]\nsite_key = \"0x4AAAAAAA_b-1\"\nsecret = \"BUOY_TURNSTILE_SECRET\"\n";
        let config = Config::from_toml(text).unwrap_or_else(|e| unreachable!("{e}"));
        let site = config.site("demo").unwrap_or_else(|| unreachable!("no demo site"));
        assert_eq!(
            site.widget_page_csp("https://challenges.cloudflare.com/turnstile/v0/api.js"),
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval' https://challenges.cloudflare.com; style-src 'self'; \
             connect-src 'self'; img-src 'self' data: blob:; frame-src https://challenges.cloudflare.com; base-uri 'none'; \
             form-action 'none'; frame-ancestors https://app.example"
        );
        // A script URL that is not http(s) adds nothing.
        assert!(!site.widget_page_csp("javascript:alert(1)").contains("javascript"));
    }

    #[test]
    fn the_repository_config_is_valid() {
        let text = include_str!("../../buoy.toml");
        let config = Config::from_toml(text).unwrap_or_else(|e| unreachable!("buoy.toml: {e}"));
        let demo = config.site("demo").unwrap_or_else(|| unreachable!("no demo site"));
        assert!(demo.allows_origin("http://127.0.0.1:8788"));
        assert_eq!(demo.frame_ancestors(), format!("frame-ancestors {}", demo.allowed_origins.join(" ")));
        let csp = demo.widget_page_csp("https://challenges.cloudflare.com/turnstile/v0/api.js");
        assert!(csp.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "), "{csp}");
        assert!(csp.ends_with("; frame-ancestors http://127.0.0.1:8788 http://localhost:8788"), "{csp}");
        assert!(!csp.contains("challenges.cloudflare.com") && !csp.contains("frame-src"), "no Turnstile, no third party: {csp}");
        // The README's worked example: Friday 16:00 in London (GMT in December).
        let calendars = config.business_calendars(crate::calendar::tzdb_zone).unwrap_or_else(|e| unreachable!("{e}"));
        let friday = crate::time::Timestamp::parse("2026-12-04T16:00:00Z").unwrap_or_else(|e| unreachable!("{e}"));
        let due = |segment| {
            let stamp = config.policies.stamp(segment, crate::vocab::Priority::Normal, friday, crate::sla::DEFAULT_CALENDAR);
            crate::sla::initial_due(&stamp, &calendars)[0].1.to_string()
        };
        assert_eq!(due(crate::vocab::Segment::Business), "2026-12-07T11:00:00.000Z");
        assert_eq!(due(crate::vocab::Segment::Enterprise), "2026-12-04T17:00:00.000Z");
        let tests = Config::from_toml(include_str!("../../tests/buoy.toml")).unwrap_or_else(|e| unreachable!("tests/buoy.toml: {e}"));
        assert_eq!(tests.calendar.time_zone, "UTC");
    }

    #[test]
    fn email_settings_are_checked_with_the_field_named() {
        let site = "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://a.example\"]\n";
        let email = |body: &str| format!("{site}[sites.demo.email]\n{body}");
        let good = "from = \"support@lumen.example\"\nreply_domain = \"reply.lumen.example\"\n";
        let cases = [
            (email("reply_domain = \"reply.lumen.example\"\n"), "missing field `from`"),
            (email("from = \"support\"\nreply_domain = \"reply.lumen.example\"\n"), "sites.demo.email.from: expected an address"),
            (email("from = \"support@localhost\"\nreply_domain = \"reply.lumen.example\"\n"), "sites.demo.email.from: expected an address"),
            (email("from = \"customer-support@lumen.example\"\nreply_domain = \"r.lumen.example\"\n"), "at most 14 characters"),
            (email("from = \"help+x@lumen.example\"\nreply_domain = \"r.lumen.example\"\n"), "sites.demo.email.from: its local part"),
            (email("from = \"support@lumen.example\"\nreply_domain = \"https://reply.lumen.example\"\n"), "sites.demo.email.reply_domain"),
            (email("from = \"support@lumen.example\"\nreply_domain = \"@reply.lumen.example\"\n"), "sites.demo.email.reply_domain"),
            (email(&format!("{good}intake = [\"support@reply.lumen.example\", \"help\"]\n")), "sites.demo.email.intake[1]"),
            (email(&format!("{good}intake = [\"support+x@reply.lumen.example\"]\n")), "no + in an intake address"),
            (
                email(&format!("{good}intake = [\"a@reply.lumen.example\", \"A@Reply.lumen.example\"]\n")),
                "intake[1]: already an intake address of site demo",
            ),
            (email(&format!("{good}max_inbound_bytes = 0\n")), "sites.demo.email.max_inbound_bytes"),
            (email(&format!("{good}notify_requesters = \"yes\"\n")), "expected a boolean"),
            (email(&format!("{good}sender = \"x\"\n")), "unknown field `sender`"),
            (format!("{site}[[agents]]\nname = \"A\"\nsite = \"demo\"\ntoken_secret = \"T\"\nemail = \"ada\"\n"), "agents[0].email"),
        ];
        for (text, expected) in cases {
            let error = Config::from_toml(&text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(expected), "expected {expected:?} in {error:?} for\n{text}");
        }
    }

    #[test]
    fn a_sites_appearance_defaults_reads_partly_and_names_its_faults() {
        use crate::appearance::{Appearance, Scheme, Side};
        let base = "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://a.example\"]\n";
        let plain = Config::from_toml(base).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(plain.site("demo").map(|s| s.appearance.clone()), Some(Appearance::default()));
        let themed = Config::from_toml(&format!(
            "{base}[sites.demo.appearance]\naccent = {{ light = \"#0f766e\" }}\nside = \"left\"\noffset = {{ y = 32 }}\n\
             label = \"Support\"\nz_index = 1000\ncolor_scheme = \"dark\"\nhide_launcher = true\n"
        ))
        .unwrap_or_else(|e| unreachable!("{e}"));
        let look = themed.site("demo").map(|s| s.appearance.clone()).unwrap_or_default();
        assert_eq!((look.accent.light.as_str(), look.accent.dark.as_str()), ("#0f766e", "#60a5fa"), "an accent left out keeps its default");
        assert_eq!((look.side, look.offset.x, look.offset.y), (Some(Side::Left), 20, 32));
        assert_eq!(
            (look.label.as_deref(), look.z_index, look.color_scheme, look.hide_launcher),
            (Some("Support"), 1000, Scheme::Dark, true)
        );
        for (table, expected) in [
            ("accent = { light = \"#7dd3fc\" }\n", "sites.demo.appearance.accent.light: #7dd3fc on #ffffff is 1.6:1, below 4.5:1"),
            ("accent = { dark = \"#1e3a8a\" }\n", "sites.demo.appearance.accent.dark: #1e3a8a on #111827 is"),
            ("accent = { light = \"teal\" }\n", "sites.demo.appearance.accent.light: expected a colour"),
            ("side = \"top\"\n", "unknown variant `top`"),
            ("color_scheme = \"sepia\"\n", "unknown variant `sepia`"),
            ("offset = { x = 500 }\n", "sites.demo.appearance.offset.x: at most 400"),
            ("label = \"\"\n", "sites.demo.appearance.label"),
            ("z_index = -1\n", "z_index"),
            ("colour = \"#fff\"\n", "unknown field `colour`"),
        ] {
            let error =
                Config::from_toml(&format!("{base}[sites.demo.appearance]\n{table}")).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(expected), "expected {expected:?} in {error:?}");
        }
    }

    #[test]
    fn attachments_are_off_until_a_site_sets_the_table_whose_faults_are_named() {
        let base = "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://a.example\"]\n";
        let plain = Config::from_toml(base).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(!plain.uses_attachments(), "no site with attachments: no R2 binding");
        let on = Config::from_toml(&format!("{base}[sites.demo.attachments]\n")).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(on.uses_attachments());
        assert_eq!(on.site("demo").and_then(|s| s.attachments.clone()), Some(crate::attach::Limits::default()));
        let narrowed = Config::from_toml(&format!("{base}[sites.demo.attachments]\nmax_files = 2\ntypes = [\"png\", \"pdf\"]\n"))
            .unwrap_or_else(|e| unreachable!("{e}"));
        let limits = narrowed.site("demo").and_then(|s| s.attachments.clone()).unwrap_or_default();
        assert_eq!((limits.max_files, limits.types.len()), (2, 2));
        for (table, expected) in [
            ("max_file_bytes = 0\n", "sites.demo.attachments.max_file_bytes: must be at least 1"),
            ("max_files = 0\n", "sites.demo.attachments.max_files"),
            ("max_file_bytes = 30_000_000\n", "sites.demo.attachments.max_file_bytes: must not be above max_message_bytes"),
            ("types = [\"png\", \"svg\"]\n", "unknown variant `svg`"),
            ("types = []\n", "sites.demo.attachments.types"),
            ("max_size = 3\n", "unknown field `max_size`"),
        ] {
            let error =
                Config::from_toml(&format!("{base}[sites.demo.attachments]\n{table}")).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(expected), "expected {expected:?} in {error:?}");
        }
    }

    #[test]
    fn email_is_off_until_a_site_sets_it_and_has_defaults() {
        let base = "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://a.example\"]\n";
        let plain = Config::from_toml(base).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(!plain.uses_email(), "no site with email: no send_email binding");
        assert_eq!(plain.intake_site("support@reply.lumen.example"), None);
        let text = format!(
            "{base}[sites.demo.email]\nfrom = \"support@lumen.example\"\nreply_domain = \"reply.lumen.example\"\n\
             intake = [\"support@reply.lumen.example\"]\n\
             [sites.other]\nname = \"Other\"\nallowed_origins = [\"https://b.example\"]\n\
             [[agents]]\nname = \"Ada\"\nsite = \"demo\"\ntoken_secret = \"T\"\nemail = \"ada@lumen.example\"\n"
        );
        let config = Config::from_toml(&text).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(config.uses_email());
        let email = config.site("demo").and_then(|s| s.email.clone()).unwrap_or_else(|| unreachable!("no email"));
        assert!(email.notify_requesters, "on by default");
        assert_eq!(email.max_inbound_bytes, DEFAULT_MAX_INBOUND_BYTES);
        assert_eq!(email.reply_local(), "support");
        assert!(config.site("demo").is_some_and(Site::emails_requesters));
        assert!(!config.site("other").is_some_and(Site::emails_requesters), "no email, no promise");
        assert_eq!(config.intake_site(" Support@REPLY.lumen.example").map(|(id, _)| id), Some("demo"));
        assert_eq!(config.intake_site("sales@reply.lumen.example"), None);
        assert_eq!(config.email_sites().map(|(id, _)| id).collect::<Vec<_>>(), ["demo"]);
        assert_eq!(config.agents[0].email.as_deref(), Some("ada@lumen.example"));
    }

    #[test]
    fn mail_domains_are_dotted_dns_names() {
        for good in ["reply.lumen.example", "a.b", "xn--bcher-kva.example", "a-b.example"] {
            assert!(is_mail_domain(good), "{good}");
        }
        let long = format!("{}.x", "a".repeat(64));
        for bad in ["", "localhost", "a..b", "-a.example", "a-.example", "a b.example", "ä.example", "a.example.", long.as_str()] {
            assert!(!is_mail_domain(bad), "{bad}");
        }
    }
}

/// Named calendars and per-site types as `buoy.toml` writes them.
#[cfg(all(test, feature = "toml"))]
mod calendars_and_types {
    use super::*;
    use crate::calendar::{tzdb_zone, DEFAULT_CALENDAR};
    use crate::messages::Locale;
    use crate::site_types::{label, labelled, offered};
    use crate::sla::Calendar;
    use crate::ticket::TicketType;
    use crate::time::{Duration, Timestamp};

    const SITES: &str = r#"
[sites.shop]
name = "Shop"
allowed_origins = ["https://shop.example"]
calendar = "emea"

[sites.app]
name = "App"
allowed_origins = ["https://app.example"]

[calendar]
time_zone = "UTC"
open = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }

[calendars.emea]
time_zone = "Europe/London"
open = { mon = "09:00-17:30", tue = "09:00-17:30", wed = "09:00-17:30", thu = "09:00-17:30", fri = "09:00-17:30" }
holidays = ["2026-12-25"]

[calendars.americas]
time_zone = "America/New_York"
open = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }

[groups.us-billing]
calendar = "americas"

[groups.triage]
"#;

    fn config(extra: &str) -> Result<Config, String> {
        Config::from_toml(&format!("{SITES}{extra}")).map_err(|e| e.to_string())
    }

    fn utc(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap_or_else(|e| unreachable!("{text}: {e}"))
    }

    #[test]
    fn the_same_filing_is_due_at_each_calendars_own_hours() {
        let config = config("").unwrap_or_else(|e| unreachable!("{e}"));
        let calendars = config.business_calendars(tzdb_zone).unwrap_or_else(|e| unreachable!("{e}"));
        // Friday 4 December 2026, 16:00 UTC: 16:00 in London (GMT), 11:00 in New York (EST).
        let filed = utc("2026-12-04T16:00:00Z");
        let four_hours = Duration::from_hours(4);
        let due = |name: &str| calendars.get(name).deadline(filed, four_hours).to_string();
        // London: 16:00-17:30 Friday, then 2.5 h from Monday 09:00.
        assert_eq!(due("emea"), "2026-12-07T11:30:00.000Z");
        // New York: 11:00-15:00 the same Friday.
        assert_eq!(due("americas"), "2026-12-04T20:00:00.000Z");
        // UTC 09:00-17:00: one hour Friday, three from Monday 09:00.
        assert_eq!(due(DEFAULT_CALENDAR), "2026-12-07T12:00:00.000Z");
        assert_eq!(due("removed-since"), due(DEFAULT_CALENDAR), "a name the deployment no longer has counts in the default");
        // The README's example: 24 business hours (free) from the same instant.
        let day = |name: &str| calendars.get(name).deadline(filed, Duration::from_hours(24)).to_string();
        assert_eq!(day("emea"), "2026-12-09T14:30:00.000Z");
        assert_eq!(day("americas"), "2026-12-09T16:00:00.000Z");
        assert!(!calendars.get("emea").is_open(utc("2026-12-25T12:00:00Z")), "emea's own holiday");
        assert!(calendars.get("americas").is_open(utc("2026-12-25T15:00:00Z")), "not americas' holiday");
    }

    #[test]
    fn a_groups_calendar_comes_before_its_sites_and_a_sites_before_the_default() {
        let config = config("").unwrap_or_else(|e| unreachable!("{e}"));
        let cases = [
            ("shop", Some("us-billing"), "americas"),
            ("shop", Some("triage"), "emea"),
            ("shop", Some("no-such-group"), "emea"),
            ("shop", None, "emea"),
            ("app", Some("us-billing"), "americas"),
            ("app", Some("triage"), DEFAULT_CALENDAR),
            ("app", None, DEFAULT_CALENDAR),
            ("no-such-site", None, DEFAULT_CALENDAR),
        ];
        for (site, group, expected) in cases {
            assert_eq!(config.calendar_name(site, group), expected, "{site} {group:?}");
        }
    }

    #[test]
    fn bad_calendars_and_groups_are_refused_by_name() {
        let cases = [
            (
                "[calendars.default]\ntime_zone = \"UTC\"\nopen = { mon = \"09:00-17:00\" }\n",
                "calendars.default: the default calendar is [calendar]",
            ),
            ("[calendars.EMEA]\ntime_zone = \"UTC\"\nopen = { mon = \"09:00-17:00\" }\n", "calendars.EMEA: a calendar name is"),
            (
                "[calendars.apac]\ntime_zone = \"Asia/Atlantis\"\nopen = { mon = \"09:00-17:00\" }\n",
                "calendars.apac.time_zone: not an IANA",
            ),
            ("[calendars.apac]\ntime_zone = \"Asia/Tokyo\"\nopen = { mon = \"9-5\" }\n", "calendars.apac.open.mon:"),
            (
                "[calendars.apac]\ntime_zone = \"Asia/Tokyo\"\nopen = {}\nholidays = [\"2026-13-01\"]\n",
                "calendars.apac.open: the calendar is never open",
            ),
            (
                "[calendars.apac]\ntime_zone = \"Asia/Tokyo\"\nopen = { mon = \"09:00-17:00\" }\nholidays = [\"2026-13-01\"]\n",
                "calendars.apac.holidays[0]",
            ),
            ("[groups.vip]\ncalendar = \"apac\"\n", "groups.vip.calendar: no such calendar: expected one of default, americas, emea"),
            ("[groups.vip]\nhours = \"24/7\"\n", "unknown field `hours`"),
        ];
        for (extra, expected) in cases {
            let error = config(extra).err().unwrap_or_default();
            assert!(error.contains(expected), "expected {expected:?} in {error:?}");
        }
        let error = Config::from_toml(&SITES.replace("calendar = \"emea\"", "calendar = \"apac\"")).err().map(|e| e.to_string());
        assert!(error.as_deref().is_some_and(|e| e.starts_with("sites.shop.calendar: no such calendar")), "{error:?}");
    }

    const SHOP: &str = r#"
[sites.shop]
name = "Shop"
allowed_origins = ["https://shop.example"]
locale = "de"

[[sites.shop.types]]
id = "returns"
label = { en = "Returns", de = "Rücksendung" }
playbook = "refunds"

[[sites.shop.types]]
id = "billing"
label = { de = "Rechnungen" }

[sites.app]
name = "App"
allowed_origins = ["https://app.example"]

[[playbooks.refunds.escalate]]
tier = 2
reason = "Refunds go to tier 2"
"#;

    fn parse(text: &str) -> Result<Config, String> {
        Config::from_toml(text).map_err(|e| e.to_string())
    }

    fn shop() -> Config {
        parse(SHOP).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn a_site_offers_its_own_types_and_a_site_without_the_built_in_ones() {
        let config = shop();
        let names = |site: &str| offered(&config.sites[site].types).iter().map(|k| k.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(names("shop"), ["returns", "billing"]);
        assert_eq!(names("app"), TicketType::BUILT_IN.iter().map(|k| k.as_str().to_owned()).collect::<Vec<_>>());
    }

    #[test]
    fn labels_follow_the_page_then_the_sites_locale_then_english() {
        let config = shop();
        let shop = &config.sites["shop"];
        let labels = |locale| labelled(&shop.types, shop.locale(), locale).into_iter().map(|(_, l)| l).collect::<Vec<_>>();
        assert_eq!(labels(Locale::En), ["Returns", "Rechnungen"], "billing has only the site's German label");
        assert_eq!(labels(Locale::De), ["Rücksendung", "Rechnungen"]);
        assert_eq!(labels(Locale::Fr), ["Rücksendung", "Rechnungen"], "no French: the site's locale");
        // A type the site does not list keeps the catalog's label, or its slug.
        assert_eq!(label(&shop.types, shop.locale(), &TicketType::BUG, Locale::En), "Something is not working");
        let legacy = TicketType::parse("data_export").unwrap_or(TicketType::OTHER);
        assert_eq!(label(&shop.types, shop.locale(), &legacy, Locale::En), "data_export");
    }

    #[test]
    fn a_types_playbook_stands_under_its_id_for_its_tickets() {
        let config = shop();
        let returns = TicketType::parse("returns").unwrap_or(TicketType::OTHER);
        let books = config.ticket_playbooks("shop", &returns);
        assert_eq!(books.get("returns"), config.playbooks.get("refunds"));
        let at = crate::time::Timestamp::from_millis(0);
        let due = crate::playbook::escalations(&books, &returns, crate::vocab::Segment::Free, at);
        assert_eq!(due.iter().map(|d| (d.rule.as_str(), d.tier)).collect::<Vec<_>>(), [("returns.0", Some(2))]);
        // Another site, or a type without a playbook, keeps the playbooks as written.
        assert!(matches!(config.ticket_playbooks("app", &TicketType::BILLING), std::borrow::Cow::Borrowed(_)));
        assert!(matches!(config.ticket_playbooks("shop", &TicketType::BILLING), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn bad_types_are_refused_by_field() {
        let cases = [
            (SHOP.replace("id = \"returns\"", "id = \"Returns!\""), "sites.shop.types[0].id: \"Returns!\" is not a type id"),
            (SHOP.replace("id = \"billing\"", "id = \"returns\""), "sites.shop.types[1].id: \"returns\" is listed twice"),
            (SHOP.replace("playbook = \"refunds\"", "playbook = \"refund\""), "sites.shop.types[0].playbook: no playbook \"refund\""),
            (SHOP.replace("{ de = \"Rechnungen\" }", "{ fr = \"Factures\" }"), "sites.shop.types[1].label: give at least an `en` label or one in the site's locale (`de`)"),
            (SHOP.replace("de = \"Rücksendung\"", "xx = \"Rücksendung\""), "sites.shop.types[0].label.xx: not a locale"),
            (SHOP.replace("en = \"Returns\"", "en = \" \""), "sites.shop.types[0].label.en: a label is 1-64 characters"),
            (SHOP.replace("label = { en", "lable = { en"), "unknown field `lable`"),
            (format!("{SHOP}[[playbooks.exchanges.escalate]]\ntier = 2\nreason = \"r\"\n"), "playbooks.exchanges: a playbook is named after a ticket type a site offers"),
            (
                format!("{SHOP}[[routing]]\nname = \"r\"\nwhen = {{ type = [\"returns\", \"exchanges\"] }}\nthen = {{ group = \"g\" }}\n"),
                "routing[0].when.type[1]: unknown ticket type `exchanges`; expected one a site offers: password_reset, billing, outage, bug, how_to, feature_request, account, other, returns",
            ),
        ];
        for (text, expected) in cases {
            let error = parse(&text).err().unwrap_or_default();
            assert!(
                error.starts_with(expected) || (expected.starts_with("unknown field") && error.contains(expected)),
                "expected {expected:?}, got {error:?}"
            );
        }
        // Routing and playbooks may name any type some site offers, built-in or not.
        let fine = format!("{SHOP}[[routing]]\nname = \"r\"\nwhen = {{ type = [\"returns\", \"bug\"] }}\nthen = {{ group = \"g\" }}\n[playbooks.returns]\nsteps = [\"Find the order\"]\n");
        assert!(parse(&fine).is_ok(), "{:?}", parse(&fine).err());
    }
}
