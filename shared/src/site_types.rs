//! Per-site ticket types: `[[sites.<id>.types]]` replaces the eight
//! built-in types with the site's own list, each with a label per locale
//! and, optionally, the playbook its tickets follow.
//!
//! ```toml
//! [[sites.shop.types]]
//! id = "returns"                                 # a type slug: a-z, 0-9, _
//! label = { en = "Returns", de = "Rücksendung" } # English or the site's locale required
//! playbook = "refunds"                           # a playbook of [playbooks], optional
//!
//! [[sites.shop.types]]
//! id = "billing"                                 # a built-in id keeps its meaning, with this label
//! label = { en = "Invoices" }
//! ```
//!
//! A site without `types` offers the built-in ones ([`TicketType::BUILT_IN`]).
//! The worker accepts only a site's own types for its tickets; routing's
//! `when.type` and the playbooks' keys may name any type some site offers.

use crate::messages::{self, Locale};
use crate::playbook::{Playbook, ANY};
use crate::routing::RoutingRule;
use crate::ticket::TicketType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most characters of a type's label.
pub const MAX_LABEL: usize = 64;

/// One `[[sites.<id>.types]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteType {
    /// The type's id, as tickets, routing and playbooks name it (the
    /// slug rules of [`TicketType::parse`]).
    pub id: String,
    /// Its label by locale tag (`en`, `de`, `pt-BR` …); English or the
    /// site's default locale is required, and a page in a locale without
    /// one shows the site's locale's label, then English's.
    pub label: BTreeMap<String, String>,
    /// The playbook (a key of `[playbooks]`) whose steps and escalations
    /// its tickets follow; without one, the playbook named after its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub playbook: Option<String>,
}

impl SiteType {
    /// Its label in `locale`, on a site whose default locale is `site_locale`.
    pub fn label_in(&self, locale: Locale, site_locale: Locale) -> &str {
        [locale, site_locale, Locale::En].iter().find_map(|l| self.label.get(l.tag())).map_or(self.id.as_str(), String::as_str)
    }
}

/// The types a site offers: its own, or the built-in ones when it lists none.
pub fn offered(types: &[SiteType]) -> Vec<TicketType> {
    if types.is_empty() {
        return TicketType::BUILT_IN.to_vec();
    }
    types.iter().filter_map(|t| TicketType::parse(&t.id)).collect()
}

/// What a site calls `kind` in `locale`: its own label, else a built-in
/// type's catalog label, else the slug.
pub fn label(types: &[SiteType], site_locale: Locale, kind: &TicketType, locale: Locale) -> String {
    match types.iter().find(|t| t.id == kind.as_str()) {
        Some(own) => own.label_in(locale, site_locale).to_owned(),
        None => messages::ticket_type_label(kind, |id| messages::text(locale, id)).to_owned(),
    }
}

/// The site's types with their labels in `locale`, in the site's order:
/// what its panel's topics and type select list.
pub fn labelled(types: &[SiteType], site_locale: Locale, locale: Locale) -> Vec<(TicketType, String)> {
    offered(types)
        .into_iter()
        .map(|kind| {
            let text = label(types, site_locale, &kind, locale);
            (kind, text)
        })
        .collect()
}

/// The key of `[playbooks]` a ticket of `kind` on a site with `types`
/// follows: its type's `playbook`, else the type's id.
pub fn playbook_key<'a>(types: &'a [SiteType], kind: &'a TicketType) -> &'a str {
    types.iter().find(|t| t.id == kind.as_str()).and_then(|t| t.playbook.as_deref()).unwrap_or(kind.as_str())
}

/// The playbooks a ticket of `kind` on a site with `types` follows, keyed
/// as the escalation and guide rules look them up (by type id, and `any`):
/// `playbooks` itself unless its type names another playbook, whose rules
/// then stand under the type's id.
pub fn playbooks_for<'a>(
    playbooks: &'a BTreeMap<String, Playbook>,
    types: &[SiteType],
    kind: &TicketType,
) -> std::borrow::Cow<'a, BTreeMap<String, Playbook>> {
    let key = playbook_key(types, kind);
    if key == kind.as_str() {
        return std::borrow::Cow::Borrowed(playbooks);
    }
    let mut aliased = playbooks.clone();
    match playbooks.get(key) {
        Some(named) => aliased.insert(kind.as_str().to_owned(), named.clone()),
        None => aliased.remove(kind.as_str()),
    };
    std::borrow::Cow::Owned(aliased)
}

/// A fault in the sites' types, routing's types or the playbooks' keys:
/// the field's path in `buoy.toml` and what is expected there.
pub type TypeError = (String, String);

/// One site as the type checks see it.
#[derive(Clone, Copy, Debug)]
pub struct SiteTypes<'a> {
    /// Its id (`sites.<id>`).
    pub id: &'a str,
    /// Its `types`.
    pub types: &'a [SiteType],
    /// Its default locale.
    pub locale: Locale,
}

/// Checks every site's `types` (ids, duplicates, labels, playbooks), that
/// each playbook is named after a type some site offers, named by a
/// site's type, or `any`, and that routing's `when.type` names a type some
/// site offers.
///
/// # Errors
/// The first faulty field.
pub fn validate(sites: &[SiteTypes<'_>], playbooks: &BTreeMap<String, Playbook>, routing: &[RoutingRule]) -> Result<(), TypeError> {
    for site in sites {
        check_site(&format!("sites.{}.types", site.id), site.types, site.locale, playbooks)?;
    }
    let offered_somewhere = |name: &str| sites.iter().any(|s| offered(s.types).iter().any(|k| k.as_str() == name));
    let named_by_a_type = |name: &str| sites.iter().flat_map(|s| s.types).any(|t| t.playbook.as_deref() == Some(name));
    for key in playbooks.keys() {
        if key != ANY && !offered_somewhere(key) && !named_by_a_type(key) {
            return Err((
                format!("playbooks.{key}"),
                format!(
                    "a playbook is named after a ticket type a site offers ({}), named by a site's type (`playbook = \"{key}\"`), or `any`",
                    all_offered(sites).join(", ")
                ),
            ));
        }
    }
    for (i, rule) in routing.iter().enumerate() {
        if let Some((k, kind)) = rule.when.kind.iter().enumerate().find(|(_, kind)| !offered_somewhere(kind.as_str())) {
            return Err((
                format!("routing[{i}].when.type[{k}]"),
                format!("unknown ticket type `{kind}`; expected one a site offers: {}", all_offered(sites).join(", ")),
            ));
        }
    }
    Ok(())
}

/// Every type some site offers, once each, in the sites' order.
fn all_offered(sites: &[SiteTypes<'_>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for site in sites {
        for kind in offered(site.types) {
            if !names.iter().any(|n| n == kind.as_str()) {
                names.push(kind.as_str().to_owned());
            }
        }
    }
    names
}

fn check_site(at: &str, types: &[SiteType], site_locale: Locale, playbooks: &BTreeMap<String, Playbook>) -> Result<(), TypeError> {
    let fail = |field: String, message: String| Err((field, message));
    for (i, own) in types.iter().enumerate() {
        let at = format!("{at}[{i}]");
        if TicketType::parse(&own.id).is_none() {
            return fail(
                format!("{at}.id"),
                format!("{:?} is not a type id: 1-{} lowercase letters, digits or _", own.id, crate::ticket::MAX_TYPE_LEN),
            );
        }
        if types[..i].iter().any(|t| t.id == own.id) {
            return fail(format!("{at}.id"), format!("{:?} is listed twice", own.id));
        }
        for (tag, text) in &own.label {
            if Locale::exact(tag).is_none() {
                let tags: Vec<&str> = Locale::ALL.iter().map(|l| l.tag()).collect();
                return fail(format!("{at}.label.{tag}"), format!("not a locale of the catalog: expected one of {}", tags.join(", ")));
            }
            if text.trim().is_empty() || text.chars().count() > MAX_LABEL || text.chars().any(char::is_control) {
                return fail(format!("{at}.label.{tag}"), format!("a label is 1-{MAX_LABEL} characters of text"));
            }
        }
        if !own.label.contains_key(Locale::En.tag()) && !own.label.contains_key(site_locale.tag()) {
            return fail(
                format!("{at}.label"),
                format!("give at least an `en` label or one in the site's locale (`{}`)", site_locale.tag()),
            );
        }
        if let Some(name) = own.playbook.as_deref().filter(|name| !playbooks.contains_key(*name)) {
            let names: Vec<&str> = playbooks.keys().map(String::as_str).collect();
            return fail(format!("{at}.playbook"), format!("no playbook {name:?} in [playbooks]; expected one of: {}", names.join(", ")));
        }
    }
    Ok(())
}
