//! A site's custom fields (`[[sites.<id>.fields]]`) and the host page's
//! context (`Buoy('context', …)`).
//!
//! - **Definitions** ([`FieldDef`]): an id, a label per locale, a kind
//!   ([`Kind`]), options for a select, whether it is required, and who
//!   fills it ([`Who`]): the requester in the form, or the host page only
//!   (by `prefill` or context; never shown). The build refuses a bad
//!   definition with the field named ([`validate_defs`]).
//! - **Values** travel as text by id (`fields: {"plan": "pro"}`) and are
//!   checked against the definitions ([`check_values`]) with the same
//!   [`FieldError`]s as the built-in fields, named `fields.<id>`.
//! - **Host context** is what the page reports: at most
//!   [`MAX_CONTEXT_KEYS`] keys of `[a-z0-9_]{1,32}`, each value at most
//!   [`MAX_CONTEXT_VALUE`] characters ([`check_context`]). Anything over a
//!   limit is refused, never cut. It is stored apart from what a verified
//!   identity signs (`context.<key>` claims), so agents see which is which.

use crate::messages::Locale;
use crate::ticket::text_problem;
#[cfg(feature = "server")]
use crate::ticket::{FieldCode, FieldError, NewTicket, PageContext, TicketType};
use crate::vocab::string_enum;
#[cfg(feature = "server")]
use crate::vocab::Field;
pub use crate::vocab::{is_key, Pairs, MAX_CONTEXT_KEY, MAX_CONTEXT_KEYS, MAX_CONTEXT_VALUE};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest value of a `text` or `number` field, in characters.
pub const MAX_VALUE: usize = 200;
/// The longest label of a field or an option, in characters.
pub const MAX_LABEL: usize = 100;
/// The most fields a site defines.
pub const MAX_FIELDS: usize = 20;
/// The most options a select offers.
pub const MAX_OPTIONS: usize = 50;
/// The longest field or option id, in bytes.
pub const MAX_ID: usize = 32;

string_enum! {
    /// What a field holds, and how the form asks for it.
    Kind {
        /// One line of text.
        Text = "text",
        /// A number (decimal; stored as typed, trimmed).
        Number = "number",
        /// One of the field's `options`, by id.
        Select = "select",
        /// `"true"` or `"false"`.
        Checkbox = "checkbox",
    }
}

string_enum! {
    /// Who fills a field.
    #[derive(Default)]
    Who {
        /// The requester, in the contact form.
        #[default]
        Requester = "requester",
        /// The host page only (`Buoy('prefill', { fields })` or context of
        /// the same key); never shown in the form.
        Host = "host",
    }
}

/// Text per locale tag (`{ en = "Plan", de = "Tarif" }`).
pub type Labels = BTreeMap<String, String>;

/// One `[[sites.<id>.fields]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// The field's id, a slug (`plan`): its key in `fields` everywhere.
    pub id: String,
    /// Its label per locale; English or the site's default locale required.
    pub label: Labels,
    /// What it holds.
    pub kind: Kind,
    /// A select's options, in the order the form lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// Whether a ticket needs it (a requester field only; a checkbox must
    /// then be ticked).
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub required: bool,
    /// Who fills it.
    #[serde(default)]
    pub who: Who,
}

/// One option of a select.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The option's id, a slug: the field's value when it is chosen.
    pub id: String,
    /// Its label per locale.
    pub label: Labels,
}

/// The text of `labels` in `locale`, else in `fallback` (the site's
/// default locale), else English, else `id`.
pub fn label_in<'a>(labels: &'a Labels, id: &'a str, locale: Locale, fallback: Locale) -> &'a str {
    [locale, fallback, Locale::En].iter().find_map(|l| labels.get(l.tag())).map_or(id, String::as_str)
}

impl FieldDef {
    /// The field's label in `locale` (see [`label_in`]).
    pub fn label(&self, locale: Locale, fallback: Locale) -> &str {
        label_in(&self.label, &self.id, locale, fallback)
    }

    /// How a value of this field reads to a person in `locale`: a select's
    /// option label; the value itself otherwise.
    pub fn value_label<'a>(&'a self, value: &'a str, locale: Locale, fallback: Locale) -> &'a str {
        match self.options.iter().find(|o| o.id == value) {
            Some(option) => label_in(&option.label, &option.id, locale, fallback),
            None => value,
        }
    }
}

/// Whether `id` is a field or option id: 1 to [`MAX_ID`] bytes of
/// `[a-z0-9_]`, starting with a letter.
pub fn is_id(id: &str) -> bool {
    id.as_bytes().first().is_some_and(u8::is_ascii_lowercase) && id.len() <= MAX_ID && is_key(id)
}

/// What is wrong with a definition, and where: `at` is a path below the
/// site's `fields`, such as `[1].options[0].label`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefError {
    /// The path, such as `[1].label`.
    pub at: String,
    /// What is expected there.
    pub message: String,
}

fn check_labels(labels: &Labels, default: Locale, at: &str) -> Result<(), DefError> {
    let fail = |at: String, message: String| Err(DefError { at, message });
    if !labels.contains_key(Locale::En.tag()) && !labels.contains_key(default.tag()) {
        return fail(at.into(), format!("give a label in English (en) or the site's locale ({})", default.tag()));
    }
    for (tag, text) in labels {
        if Locale::exact(tag).is_none() {
            let tags: Vec<&str> = Locale::ALL.iter().map(|l| l.tag()).collect();
            return fail(format!("{at}.{tag}"), format!("unknown locale; expected one of {}", tags.join(", ")));
        }
        if text_problem(text, MAX_LABEL, true).is_some() {
            return fail(format!("{at}.{tag}"), format!("expected 1-{MAX_LABEL} characters of text"));
        }
    }
    Ok(())
}

/// Checks a site's field definitions: ids are unique slugs, labels are
/// given in English or `default` (the site's locale) and only in known
/// locales, a select has options (unique slugs, labelled) and nothing else
/// has any, a host field is not required (the requester could not fill it).
///
/// # Errors
/// The first faulty definition, its path and what is expected.
pub fn validate_defs(defs: &[FieldDef], default: Locale) -> Result<(), DefError> {
    let fail = |at: String, message: String| Err(DefError { at, message });
    if defs.len() > MAX_FIELDS {
        return fail(String::new(), format!("at most {MAX_FIELDS} fields per site"));
    }
    for (i, def) in defs.iter().enumerate() {
        let at = format!("[{i}]");
        if !is_id(&def.id) {
            return fail(format!("{at}.id"), format!("expected a slug of 1-{MAX_ID} characters: a-z, 0-9 or '_', starting with a letter"));
        }
        if let Some(j) = defs.iter().take(i).position(|other| other.id == def.id) {
            return fail(format!("{at}.id"), format!("fields[{j}] already has this id"));
        }
        check_labels(&def.label, default, &format!("{at}.label"))?;
        match (def.kind, def.options.is_empty()) {
            (Kind::Select, true) => return fail(format!("{at}.options"), "a select needs at least one option".into()),
            (Kind::Select, false) if def.options.len() > MAX_OPTIONS => {
                return fail(format!("{at}.options"), format!("at most {MAX_OPTIONS} options"));
            }
            (Kind::Select, false) | (_, true) => {}
            (kind, false) => return fail(format!("{at}.options"), format!("only a select has options, not a {kind} field")),
        }
        for (k, option) in def.options.iter().enumerate() {
            let at = format!("{at}.options[{k}]");
            if !is_id(&option.id) {
                return fail(
                    format!("{at}.id"),
                    format!("expected a slug of 1-{MAX_ID} characters: a-z, 0-9 or '_', starting with a letter"),
                );
            }
            if def.options.iter().take(k).any(|other| other.id == option.id) {
                return fail(format!("{at}.id"), "another option of this field has this id".into());
            }
            check_labels(&option.label, default, &format!("{at}.label"))?;
        }
        if def.required && def.who == Who::Host {
            return fail(format!("{at}.required"), "a host field cannot be required: the requester never sees it to fill it".into());
        }
    }
    Ok(())
}

/// Checks a routing rule's `when.fields` against every site's
/// definitions: each id is a field some site defines, and each value is
/// one that field can hold there (an option of a select, `true` or
/// `false` for a checkbox; any value for text and numbers).
///
/// # Errors
/// The first faulty entry, as a path below `when.fields` (`plan[1]`), and
/// what is expected.
pub fn check_rule_fields(wanted: &BTreeMap<String, Vec<String>>, sites: &[&[FieldDef]]) -> Result<(), DefError> {
    for (id, values) in wanted {
        let defs: Vec<&FieldDef> = sites.iter().filter_map(|defs| defs.iter().find(|d| &d.id == id)).collect();
        if defs.is_empty() {
            return Err(DefError { at: id.clone(), message: "no site defines this field in [[sites.<id>.fields]]".into() });
        }
        for (k, value) in values.iter().enumerate() {
            let holds = |d: &&FieldDef| match d.kind {
                Kind::Select => d.options.iter().any(|o| &o.id == value),
                Kind::Checkbox => value == "true" || value == "false",
                Kind::Text | Kind::Number => !value.trim().is_empty(),
            };
            if !defs.iter().any(holds) {
                return Err(DefError {
                    at: format!("{id}[{k}]"),
                    message: format!("not a value field `{id}` can hold (an option's id; true or false for a checkbox)"),
                });
            }
        }
    }
    Ok(())
}

#[cfg(feature = "server")]
/// Checks the host context of a new ticket: at most [`MAX_CONTEXT_KEYS`]
/// keys shaped by [`is_key`], each value at most [`MAX_CONTEXT_VALUE`]
/// characters of text. Nothing is cut: each problem is an error on
/// `context.reported` (naming the key when it has a key's shape). What
/// an identity signed (`context.verified`) is the worker's to set, so a
/// request that sends it is refused.
pub fn check_context(out: &mut Vec<FieldError>, context: &PageContext) {
    if !context.verified.is_empty() {
        out.push(FieldError::keyed(Field::Context, "verified", FieldCode::UnknownField));
    }
    let reported = &context.reported;
    if reported.len() > MAX_CONTEXT_KEYS {
        out.push(FieldError::new(Field::Reported, FieldCode::TooLong));
    }
    for (key, value) in reported.iter() {
        if !is_key(key) {
            out.push(FieldError::new(Field::Reported, FieldCode::InvalidText));
        } else if let Some(code) = text_problem(value, MAX_CONTEXT_VALUE, false) {
            out.push(FieldError::keyed(Field::Reported, key, code));
        }
    }
}

#[cfg(feature = "server")]
/// The value a host field takes: what the page's `prefill` gave in
/// `fields`, else the context of the same key, signed context first
/// (an empty value is none: the form sends its host fields empty until
/// `prefill` fills them).
fn host_value<'a>(def: &FieldDef, values: &'a Pairs, context: &'a PageContext) -> Option<&'a String> {
    let given = |pairs: &'a Pairs| pairs.get(&def.id).filter(|v| !v.trim().is_empty());
    given(&context.verified).or_else(|| given(values)).or_else(|| given(&context.reported))
}

#[cfg(feature = "server")]
/// Checks a ticket's custom field values against the site's definitions
/// and returns the values to store: trimmed, empty optional ones left out,
/// host fields filled from the context of the same key when `prefill`
/// gave none (a signed one always wins).
///
/// # Errors
/// One [`FieldError`] per faulty field, named `fields.<id>`, in
/// definition order, then one per id the site does not define
/// ([`FieldCode::UnknownField`]): `required` (a requester field left
/// empty, a required checkbox not ticked), `too_long`, `invalid_text`
/// (control characters, or not a number), `unknown_value` (not an option
/// of a select, not `true`/`false` for a checkbox).
pub fn check_values(defs: &[FieldDef], values: &Pairs, context: &PageContext) -> Result<Pairs, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = Pairs::new();
    for def in defs {
        let given = match def.who {
            Who::Requester => values.get(&def.id),
            Who::Host => host_value(def, values, context),
        };
        let value = given.map_or("", |v| v.trim());
        let code = match def.kind {
            _ if value.is_empty() => def.required.then_some(FieldCode::Required),
            Kind::Text | Kind::Number => text_problem(value, MAX_VALUE, false)
                .or_else(|| (def.kind == Kind::Number && !is_number(value)).then_some(FieldCode::InvalidText)),
            Kind::Select => (!def.options.iter().any(|o| o.id == value)).then_some(FieldCode::UnknownValue),
            Kind::Checkbox => match value {
                "true" => None,
                "false" if def.required => Some(FieldCode::Required),
                "false" => None,
                _ => Some(FieldCode::UnknownValue),
            },
        };
        match code {
            Some(code) => errors.push(FieldError::keyed(Field::Fields, &def.id, code)),
            None if !value.is_empty() => {
                out.insert(def.id.clone(), value.to_owned());
            }
            None => {}
        }
    }
    for id in values.keys().filter(|id| !defs.iter().any(|d| &d.id == *id)) {
        errors.push(FieldError::keyed(Field::Fields, id, FieldCode::UnknownField));
    }
    if errors.is_empty() {
        Ok(out.sorted())
    } else {
        Err(errors)
    }
}

#[cfg(feature = "server")]
/// Whether `text` is a finite decimal number (`42`, `-3.5`, `1e3`).
fn is_number(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        && text.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(feature = "server")]
impl NewTicket {
    /// [`NewTicket::validate_for`] (the site's `offered` types),
    /// [`check_context`] and [`check_values`] together, every error in form order: what the worker runs on a
    /// site's ticket (the widget checks the context when the page sends
    /// it, and the fields' definitions are the worker's). Returns the
    /// custom field values to store.
    ///
    /// # Errors
    /// One [`FieldError`] per faulty field.
    pub fn validate_with(&self, offered: &[TicketType], defs: &[FieldDef]) -> Result<Pairs, Vec<FieldError>> {
        let checked = self.validate_for(offered).and_then(|()| {
            let mut errors = Vec::new();
            check_context(&mut errors, &self.context);
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors)
            }
        });
        match (checked, check_values(defs, &self.fields, &self.context)) {
            (Ok(()), Ok(values)) => Ok(values),
            (Err(mut errors), Err(more)) => {
                errors.extend(more);
                Err(errors)
            }
            (Err(errors), Ok(_)) | (Ok(()), Err(errors)) => Err(errors),
        }
    }
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn def(id: &str, kind: Kind, required: bool, who: Who, options: &[&str]) -> FieldDef {
        FieldDef {
            id: id.into(),
            label: labels(&[("en", id)]),
            kind,
            options: options.iter().map(|o| Choice { id: (*o).into(), label: labels(&[("en", o)]) }).collect(),
            required,
            who,
        }
    }

    fn site() -> Vec<FieldDef> {
        vec![
            def("app_version", Kind::Text, false, Who::Host, &[]),
            def("plan", Kind::Select, true, Who::Requester, &["free", "pro", "enterprise"]),
            def("accepts_contact", Kind::Checkbox, false, Who::Requester, &[]),
            def("seats", Kind::Number, false, Who::Requester, &[]),
        ]
    }

    fn map(pairs: &[(&str, &str)]) -> Pairs {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// Given pairs, and what comes of them.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [(&'a str, &'a str)]);

    fn names(errors: &[FieldError]) -> Vec<(String, &'static str)> {
        errors.iter().map(|e| (e.name(), e.code.code())).collect()
    }

    #[test]
    fn good_values_are_kept_trimmed_and_empty_optional_ones_dropped() {
        let cases: &[Case<'_>] = &[
            (&[("plan", "pro")], &[("plan", "pro")]),
            (
                &[("plan", " enterprise "), ("seats", "12"), ("accepts_contact", "true")],
                &[("accepts_contact", "true"), ("plan", "enterprise"), ("seats", "12")],
            ),
            (&[("plan", "free"), ("seats", ""), ("accepts_contact", "false")], &[("accepts_contact", "false"), ("plan", "free")]),
            (
                &[("plan", "free"), ("seats", "-3.5"), ("app_version", "4.2.1")],
                &[("app_version", "4.2.1"), ("plan", "free"), ("seats", "-3.5")],
            ),
        ];
        for (given, kept) in cases {
            assert_eq!(check_values(&site(), &map(given), &PageContext::default()), Ok(map(kept)), "{given:?}");
        }
    }

    #[test]
    fn each_bad_value_is_an_error_named_after_its_field() {
        let long = "x".repeat(MAX_VALUE + 1);
        let cases: &[Case<'_>] = &[
            (&[], &[("fields.plan", "required")]),
            (&[("plan", "  ")], &[("fields.plan", "required")]),
            (&[("plan", "gold")], &[("fields.plan", "unknown_value")]),
            (&[("plan", "pro"), ("seats", "twelve")], &[("fields.seats", "invalid_text")]),
            (&[("plan", "pro"), ("seats", "inf")], &[("fields.seats", "invalid_text")]),
            (&[("plan", "pro"), ("accepts_contact", "yes")], &[("fields.accepts_contact", "unknown_value")]),
            (&[("plan", "pro"), ("app_version", &long)], &[("fields.app_version", "too_long")]),
            (&[("plan", "pro"), ("app_version", "4\u{7}")], &[("fields.app_version", "invalid_text")]),
            (&[("plan", "pro"), ("colour", "red")], &[("fields.colour", "unknown_field")]),
            (&[("plan", "pro"), ("Not A Key", "red")], &[("fields", "unknown_field")]),
            (
                &[("plan", "gold"), ("seats", "x"), ("zzz", "1")],
                &[("fields.plan", "unknown_value"), ("fields.seats", "invalid_text"), ("fields.zzz", "unknown_field")],
            ),
        ];
        for (given, expected) in cases {
            let errors = check_values(&site(), &map(given), &PageContext::default()).err().unwrap_or_default();
            let expected: Vec<(String, &str)> = expected.iter().map(|(f, c)| ((*f).to_owned(), *c)).collect();
            assert_eq!(names(&errors), expected, "{given:?}");
        }
    }

    #[test]
    fn a_required_checkbox_must_be_ticked() {
        let defs = [def("terms", Kind::Checkbox, true, Who::Requester, &[])];
        for (value, ok) in [("true", true), ("false", false), ("", false)] {
            assert_eq!(check_values(&defs, &map(&[("terms", value)]), &PageContext::default()).is_ok(), ok, "{value:?}");
        }
    }

    #[test]
    fn a_host_field_takes_the_context_of_its_key_and_a_signed_one_wins() {
        let reported = map(&[("app_version", "4.2.1")]);
        let verified = map(&[("app_version", "5.0.0")]);
        let cases = [
            (map(&[]), PageContext { reported: reported.clone(), ..PageContext::default() }, Some("4.2.1")),
            (map(&[("app_version", "4.3")]), PageContext { reported: reported.clone(), ..PageContext::default() }, Some("4.3")),
            (map(&[("app_version", "4.3")]), PageContext { reported, verified, ..PageContext::default() }, Some("5.0.0")),
            (map(&[]), PageContext::default(), None),
        ];
        for (values, context, expected) in cases {
            let mut values = values;
            values.insert("plan".into(), "pro".into());
            let kept = check_values(&site(), &values, &context).unwrap_or_default();
            assert_eq!(kept.get("app_version").map(String::as_str), expected, "{context:?}");
        }
    }

    #[test]
    fn a_requester_field_does_not_take_context() {
        let context = PageContext { reported: map(&[("plan", "pro")]), ..PageContext::default() };
        let errors = check_values(&site(), &map(&[]), &context).err().unwrap_or_default();
        assert_eq!(names(&errors), [("fields.plan".to_owned(), "required")]);
    }

    #[test]
    fn host_context_over_a_limit_is_refused_never_cut() {
        let many: Pairs = (0..=MAX_CONTEXT_KEYS).map(|i| (format!("k{i}"), "v".into())).collect();
        let twenty: Pairs = (0..MAX_CONTEXT_KEYS).map(|i| (format!("k{i}"), "v".repeat(MAX_CONTEXT_VALUE))).collect();
        let long_key = "k".repeat(MAX_CONTEXT_KEY + 1);
        let cases: Vec<(Pairs, Vec<(&str, &str)>)> = vec![
            (twenty, vec![]),
            (many, vec![("context.reported", "too_long")]),
            (map(&[("plan", &"v".repeat(MAX_CONTEXT_VALUE + 1))]), vec![("context.reported.plan", "too_long")]),
            (map(&[("App", "v")]), vec![("context.reported", "invalid_text")]),
            (map(&[(&long_key, "v")]), vec![("context.reported", "invalid_text")]),
            (map(&[("", "v")]), vec![("context.reported", "invalid_text")]),
            (map(&[("plan", "a\u{0}b")]), vec![("context.reported.plan", "invalid_text")]),
        ];
        for (reported, expected) in cases {
            let mut errors = Vec::new();
            check_context(&mut errors, &PageContext { reported: reported.clone(), ..PageContext::default() });
            let expected: Vec<(String, &str)> = expected.iter().map(|(f, c)| ((*f).to_owned(), *c)).collect();
            assert_eq!(names(&errors), expected, "{} keys", reported.len());
        }
    }

    #[test]
    fn a_request_cannot_claim_verified_context() {
        let mut errors = Vec::new();
        check_context(&mut errors, &PageContext { verified: map(&[("plan", "enterprise")]), ..PageContext::default() });
        assert_eq!(names(&errors), [("context.verified".to_owned(), "unknown_field")]);
    }

    #[test]
    fn validate_with_reports_built_in_and_custom_errors_together() {
        let ticket =
            NewTicket { site: "demo".into(), kind: "bug".into(), subject: "s".into(), message: "m".into(), ..NewTicket::default() };
        let errors = ticket.validate_with(TicketType::BUILT_IN, &site()).err().unwrap_or_default();
        assert_eq!(names(&errors), [("email".to_owned(), "required"), ("fields.plan".to_owned(), "required")]);
        let good = NewTicket { email: "a@example.com".into(), fields: map(&[("plan", "pro")]), ..ticket };
        assert_eq!(good.validate_with(TicketType::BUILT_IN, &site()), Ok(map(&[("plan", "pro")])));
    }

    #[test]
    fn an_error_names_its_entry_after_its_field() {
        let name = |field, key: &str| FieldError::keyed(field, key, FieldCode::Required).name();
        assert_eq!(name(Field::Fields, "plan"), "fields.plan");
        assert_eq!(name(Field::Reported, "app_version"), "context.reported.app_version");
        assert_eq!(name(Field::Fields, "Not A Key"), "fields", "a key of the wrong shape names the whole field");
        assert_eq!(name(Field::Fields, &"k".repeat(33)), "fields");
        assert_eq!(FieldError::new(Field::Email, FieldCode::Required).name(), "email");
    }

    #[test]
    fn bad_definitions_are_refused_with_the_field_named() {
        let de = Locale::De;
        let mut no_options = def("plan", Kind::Select, false, Who::Requester, &[]);
        no_options.options.clear();
        let mut german_only = def("plan", Kind::Text, false, Who::Requester, &[]);
        german_only.label = labels(&[("de", "Tarif")]);
        let mut bad_locale = def("plan", Kind::Text, false, Who::Requester, &[]);
        bad_locale.label = labels(&[("en", "Plan"), ("xx", "?")]);
        let mut empty_label = def("plan", Kind::Text, false, Who::Requester, &[]);
        empty_label.label = labels(&[("en", " ")]);
        let mut bad_option_label = def("plan", Kind::Select, false, Who::Requester, &["pro"]);
        bad_option_label.options[0].label = labels(&[("fr", "Pro")]);
        let cases: Vec<(Vec<FieldDef>, Locale, &str)> = vec![
            (vec![def("Plan", Kind::Text, false, Who::Requester, &[])], Locale::En, "[0].id"),
            (vec![def("1plan", Kind::Text, false, Who::Requester, &[])], Locale::En, "[0].id"),
            (
                vec![def("plan", Kind::Text, false, Who::Requester, &[]), def("plan", Kind::Number, false, Who::Requester, &[])],
                Locale::En,
                "[1].id",
            ),
            (vec![no_options], Locale::En, "[0].options"),
            (vec![def("plan", Kind::Text, false, Who::Requester, &["a"])], Locale::En, "[0].options"),
            (vec![def("plan", Kind::Select, false, Who::Requester, &["pro", "pro"])], Locale::En, "[0].options[1].id"),
            (vec![def("plan", Kind::Select, false, Who::Requester, &["Pro"])], Locale::En, "[0].options[0].id"),
            (vec![german_only.clone()], Locale::En, "[0].label"),
            (vec![bad_locale], Locale::En, "[0].label.xx"),
            (vec![empty_label], Locale::En, "[0].label.en"),
            (vec![bad_option_label], Locale::En, "[0].options[0].label"),
            (vec![def("app_version", Kind::Text, true, Who::Host, &[])], Locale::En, "[0].required"),
        ];
        for (defs, locale, at) in cases {
            assert_eq!(validate_defs(&defs, locale).map_err(|e| e.at), Err(at.to_owned()), "{defs:?}");
        }
        assert_eq!(validate_defs(&[german_only], de), Ok(()), "the site's own locale is enough");
        assert_eq!(validate_defs(&site(), Locale::En), Ok(()));
    }

    #[test]
    fn labels_fall_back_to_the_site_locale_then_english_then_the_id() {
        let mut field = def("plan", Kind::Select, false, Who::Requester, &["pro"]);
        field.label = labels(&[("en", "Plan"), ("de", "Tarif")]);
        assert_eq!(field.label(Locale::De, Locale::En), "Tarif");
        assert_eq!(field.label(Locale::Fr, Locale::De), "Tarif");
        assert_eq!(field.label(Locale::Fr, Locale::Ja), "Plan");
        assert_eq!(field.value_label("pro", Locale::Fr, Locale::En), "pro");
        assert_eq!(field.value_label("other", Locale::En, Locale::En), "other");
        field.label.clear();
        assert_eq!(field.label(Locale::En, Locale::En), "plan");
    }
}
