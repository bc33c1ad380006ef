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

use crate::config::Config;
use crate::messages::{self, Locale};
use crate::playbook::{Playbook, ANY};
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

/// The playbooks a ticket of `kind` on `site` follows ([`playbooks_for`]
/// with the site's types; an unknown site has none of its own).
pub fn ticket_playbooks<'a>(config: &'a Config, site: &str, kind: &TicketType) -> std::borrow::Cow<'a, BTreeMap<String, Playbook>> {
    playbooks_for(&config.playbooks, config.site(site).map_or(&[], |s| &s.types[..]), kind)
}

/// A fault in the sites' types, routing's types or the playbooks' keys:
/// the field's path in `buoy.toml` and what is expected there.
pub type TypeError = (String, String);

/// Checks every site's `types` (ids, duplicates, labels, playbooks), that
/// each playbook is named after a type some site offers, named by a
/// site's type, or `any`, and that routing's `when.type` names a type some
/// site offers.
///
/// # Errors
/// The first faulty field.
pub fn validate(config: &Config) -> Result<(), TypeError> {
    for (site_id, site) in &config.sites {
        check_site(&format!("sites.{site_id}.types"), &site.types, site.locale(), &config.playbooks)?;
    }
    let offered_somewhere = |name: &str| config.sites.values().any(|s| offered(&s.types).iter().any(|k| k.as_str() == name));
    let named_by_a_type = |name: &str| config.sites.values().flat_map(|s| &s.types).any(|t| t.playbook.as_deref() == Some(name));
    for key in config.playbooks.keys() {
        if key != ANY && !offered_somewhere(key) && !named_by_a_type(key) {
            return Err((
                format!("playbooks.{key}"),
                format!(
                    "a playbook is named after a ticket type a site offers ({}), named by a site's type (`playbook = \"{key}\"`), or `any`",
                    all_offered(config).join(", ")
                ),
            ));
        }
    }
    for (i, rule) in config.routing.iter().enumerate() {
        if let Some((k, kind)) = rule.when.kind.iter().enumerate().find(|(_, kind)| !offered_somewhere(kind.as_str())) {
            return Err((
                format!("routing[{i}].when.type[{k}]"),
                format!("unknown ticket type `{kind}`; expected one a site offers: {}", all_offered(config).join(", ")),
            ));
        }
    }
    Ok(())
}

/// Every type some site offers, once each, in the sites' order.
fn all_offered(config: &Config) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for site in config.sites.values() {
        for kind in offered(&site.types) {
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

#[cfg(all(test, feature = "toml"))]
mod tests {
    use super::*;

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

    fn config(text: &str) -> Result<Config, String> {
        Config::from_toml(text).map_err(|e| e.to_string())
    }

    fn shop() -> Config {
        config(SHOP).unwrap_or_else(|e| unreachable!("{e}"))
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
        let books = ticket_playbooks(&config, "shop", &returns);
        assert_eq!(books.get("returns"), config.playbooks.get("refunds"));
        let at = crate::time::Timestamp::from_millis(0);
        let due = crate::playbook::escalations(&books, &returns, crate::vocab::Segment::Free, at);
        assert_eq!(due.iter().map(|d| (d.rule.as_str(), d.tier)).collect::<Vec<_>>(), [("returns.0", Some(2))]);
        // Another site, or a type without a playbook, keeps the playbooks as written.
        assert!(matches!(ticket_playbooks(&config, "app", &TicketType::BILLING), std::borrow::Cow::Borrowed(_)));
        assert!(matches!(ticket_playbooks(&config, "shop", &TicketType::BILLING), std::borrow::Cow::Borrowed(_)));
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
            let error = config(&text).err().unwrap_or_default();
            assert!(
                error.starts_with(expected) || (expected.starts_with("unknown field") && error.contains(expected)),
                "expected {expected:?}, got {error:?}"
            );
        }
        // Routing and playbooks may name any type some site offers, built-in or not.
        let fine = format!("{SHOP}[[routing]]\nname = \"r\"\nwhen = {{ type = [\"returns\", \"bug\"] }}\nthen = {{ group = \"g\" }}\n[playbooks.returns]\nsteps = [\"Find the order\"]\n");
        assert!(config(&fine).is_ok(), "{:?}", config(&fine).err());
    }
}
