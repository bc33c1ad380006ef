//! The panel's static markup, written into the widget page at build time
//! from the message catalog. The wasm only looks its elements up by id and
//! fills in what changes (lists, errors, articles) as text and nodes; it
//! carries no code to build the skeleton, which keeps it small.

use crate::messages::{self, text, Locale, MessageId};
use crate::ticket::{offered_types, TicketType};

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

struct Html {
    out: String,
    locale: Locale,
}

impl Html {
    fn raw(&mut self, markup: &str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    fn text(&mut self, id: MessageId) -> &mut Self {
        self.out.push_str(&escape_html(text(self.locale, id)));
        self
    }

    fn field(&mut self, id: &str, label: MessageId, control: &str) -> &mut Self {
        self.raw("<div class=\"field\"><label for=\"").raw(id).raw("\">").text(label).raw("</label>");
        self.raw(control);
        self.raw("<p class=\"error\" id=\"").raw(id).raw("-error\" hidden></p></div>")
    }
}

/// The "Email me replies" checkbox, on by default: the form has it on
/// every page as built, and [`for_site`] takes it out where the site does
/// not email its requesters.
fn email_replies(locale: Locale) -> String {
    let label = escape_html(text(locale, MessageId::EmailReplies));
    format!("<label class=\"choice\"><input type=\"checkbox\" id=\"buoy-replies\" checked> {label}</label>")
}

/// A form's attach control: the "Attach files" button and the file input
/// it opens (hidden: the button is the one control people reach); the
/// upload module adds the list of files, each with its progress and its
/// remove button. [`without_attachments`] takes it out for a site that
/// takes no files.
fn attach_controls(locale: Locale) -> String {
    let button = escape_html(text(locale, MessageId::AttachFiles));
    format!("<div class=\"attach\"><button type=\"button\" class=\"secondary\" data-act=\"attach\">{button}</button><input type=\"file\" multiple hidden></div>")
}

/// The built-in types with their labels in `locale`: what a page lists
/// until the worker writes a site's own ([`with_types`]).
fn built_in_types(locale: Locale) -> Vec<(TicketType, String)> {
    offered_types().iter().map(|kind| (kind.clone(), messages::ticket_type_label(kind, |id| text(locale, id)).to_owned())).collect()
}

/// The home screen's topic buttons, one per type.
fn topics(types: &[(TicketType, String)]) -> String {
    each_type(types, "<li><button type=\"button\" data-kind=\"", "</button></li>")
}

/// The form's type options, one per type (after the "choose" option).
fn type_options(types: &[(TicketType, String)]) -> String {
    each_type(types, "<option value=\"", "</option>")
}

/// `open`, the type's name, `">`, its escaped label and `close`, for each type.
fn each_type(types: &[(TicketType, String)], open: &str, close: &str) -> String {
    types.iter().fold(String::new(), |mut out, (kind, label)| {
        out.push_str(open);
        out.push_str(kind.as_str());
        out.push_str("\">");
        out.push_str(&escape_html(label));
        out.push_str(close);
        out
    })
}

/// A page of `locale` for a site with its own ticket types (`types`, with
/// their labels in `locale`, as `site_types::labelled` gives them): its
/// topics and its form's type select list those instead of the built-in
/// ones. Written by the worker, so the panel's wasm carries no list.
pub fn with_types(page: &[u8], locale: Locale, types: &[(TicketType, String)]) -> Vec<u8> {
    let built_in = built_in_types(locale);
    match core::str::from_utf8(page) {
        Ok(html) => {
            html.replacen(&topics(&built_in), &topics(types), 1).replacen(&type_options(&built_in), &type_options(types), 1).into_bytes()
        }
        Err(_) => page.to_vec(),
    }
}

/// The panel's markup for a locale: header, home (search, suggestions,
/// topics), article, guide, "fixed", the ticket form and its confirmation.
pub fn skeleton(locale: Locale) -> String {
    let mut h = Html { out: String::with_capacity(6000), locale };
    // Modal only on a phone, where it fills the screen: the panel sets
    // `aria-modal` when the loader says which it is.
    h.raw("<div class=\"panel\" role=\"dialog\" aria-labelledby=\"buoy-title\"><header class=\"bar\">");
    h.raw("<button type=\"button\" class=\"back\" id=\"buoy-back\" data-act=\"home\" hidden aria-label=\"").text(MessageId::Back);
    h.raw("\">‹</button><h1 id=\"buoy-title\">").text(MessageId::HelpTitle).raw("</h1>");
    h.raw("<button type=\"button\" class=\"close\" data-act=\"close\" aria-label=\"").text(MessageId::Close).raw("\">×</button></header>");

    h.raw("<section class=\"home\" id=\"buoy-home\"><label for=\"buoy-q\" class=\"hint\">").text(MessageId::SearchLabel);
    h.raw("</label><input id=\"buoy-q\" type=\"search\" autocomplete=\"off\" placeholder=\"").text(MessageId::SearchPlaceholder).raw("\">");
    h.raw("<h2 id=\"buoy-list-title\">").text(MessageId::Suggested).raw("</h2>");
    h.raw("<ul class=\"docs\" id=\"buoy-docs\" aria-labelledby=\"buoy-list-title\"></ul>");
    h.raw("<p class=\"empty\" id=\"buoy-empty\" hidden>").text(MessageId::NoResults).raw("</p>");
    h.raw("<h2 id=\"buoy-topics-title\">").text(MessageId::Topics).raw("</h2><ul class=\"topics\" aria-labelledby=\"buoy-topics-title\">");
    h.raw(&topics(&built_in_types(locale)));
    h.raw("</ul><button type=\"button\" class=\"write\" data-act=\"contact\">").text(MessageId::WriteToUs).raw("</button>");
    h.raw("<button type=\"button\" class=\"secondary\" data-act=\"tickets\" id=\"buoy-mine-link\" hidden>").text(MessageId::YourTickets);
    h.raw(" <span class=\"count\" id=\"buoy-unread\" hidden></span></button></section>");

    // The requester's tickets, and one ticket's thread with its reply box and rating.
    h.raw("<section class=\"tickets\" id=\"buoy-tickets\" hidden><h2 tabindex=\"-1\" id=\"buoy-tickets-title\">")
        .text(MessageId::YourTickets);
    h.raw(
        "</h2><ul class=\"docs\" id=\"buoy-mine\" aria-labelledby=\"buoy-tickets-title\"></ul><p class=\"empty\" id=\"buoy-mine-empty\">",
    );
    h.text(MessageId::NoTickets).raw("</p></section>");
    h.raw("<section class=\"thread\" id=\"buoy-thread\" hidden><h2 tabindex=\"-1\" id=\"buoy-thread-title\"></h2>");
    h.raw("<p class=\"hint\" id=\"buoy-thread-status\"></p><ol class=\"msgs\" id=\"buoy-msgs\"></ol>");
    h.raw("<form id=\"buoy-reply-form\" novalidate><label for=\"buoy-reply\">").text(MessageId::ReplyLabel);
    h.raw("</label><textarea id=\"buoy-reply\" rows=\"3\" aria-describedby=\"buoy-reply-error\"></textarea>");
    h.raw("<p class=\"error\" id=\"buoy-reply-error\" role=\"alert\" hidden></p>").raw(&attach_controls(locale));
    h.raw("<button type=\"submit\" class=\"send\" id=\"buoy-reply-send\">");
    h.text(MessageId::SendReply).raw("</button></form>");
    h.raw("<form id=\"buoy-rate\" novalidate hidden><fieldset><legend>").text(MessageId::RatePrompt).raw("</legend>");
    h.raw("<label class=\"choice\"><input type=\"radio\" name=\"csat\" value=\"1\"> ").text(MessageId::Satisfied).raw("</label>");
    h.raw("<label class=\"choice\"><input type=\"radio\" name=\"csat\" value=\"0\"> ")
        .text(MessageId::NotSatisfied)
        .raw("</label></fieldset>");
    h.raw("<label for=\"buoy-comment\">").text(MessageId::RateComment).raw("</label><textarea id=\"buoy-comment\" rows=\"2\"></textarea>");
    h.raw("<p class=\"error\" id=\"buoy-rate-error\" role=\"alert\" hidden></p><button type=\"submit\" class=\"send\">")
        .text(MessageId::SendRating);
    h.raw("</button></form><p class=\"thanks\" id=\"buoy-rated\" role=\"status\" hidden>")
        .text(MessageId::RateThanks)
        .raw("</p></section>");

    h.raw("<section class=\"article\" id=\"buoy-article\" hidden><h2 tabindex=\"-1\" id=\"buoy-article-title\"></h2>");
    h.raw("<div class=\"body\" id=\"buoy-article-body\"></div><p class=\"more\">").text(MessageId::StillNeedHelp);
    h.raw("</p><button type=\"button\" class=\"write\" data-act=\"contact\">").text(MessageId::WriteToUs).raw("</button></section>");

    h.raw("<section class=\"guide\" id=\"buoy-guide\" hidden><h2 tabindex=\"-1\" id=\"buoy-guide-title\">").text(MessageId::GuideTitle);
    h.raw("</h2><ol class=\"steps\" id=\"buoy-steps\"></ol><button type=\"button\" class=\"send\" data-act=\"fixed\">")
        .text(MessageId::GuideFixed);
    h.raw("</button><button type=\"button\" class=\"secondary\" data-act=\"need\">")
        .text(MessageId::GuideNeedHelp)
        .raw("</button></section>");

    h.raw("<section class=\"fixed\" id=\"buoy-fixed\" hidden><h2 tabindex=\"-1\" id=\"buoy-fixed-title\">").text(MessageId::FixedTitle);
    h.raw("</h2><p>").text(MessageId::FixedBody).raw("</p><button type=\"button\" class=\"secondary\" data-act=\"home\">");
    h.text(MessageId::BackToHelp).raw("</button></section>");

    h.raw("<form class=\"form\" id=\"buoy-form\" novalidate aria-describedby=\"buoy-intro\" hidden><p class=\"intro\" id=\"buoy-intro\">");
    h.text(MessageId::FormIntro).raw("</p><p class=\"banner\" id=\"buoy-banner\" role=\"alert\" hidden></p>");
    h.field(
        "buoy-name",
        MessageId::FieldName,
        "<input id=\"buoy-name\" name=\"name\" autocomplete=\"name\" aria-describedby=\"buoy-name-error\">",
    );
    h.field(
        "buoy-email",
        MessageId::FieldEmail,
        "<input id=\"buoy-email\" name=\"email\" type=\"email\" autocomplete=\"email\" required aria-describedby=\"buoy-email-error\">",
    );
    let mut select =
        String::from("<select id=\"buoy-type\" name=\"type\" required aria-describedby=\"buoy-type-error\"><option value=\"\">");
    select.push_str(&escape_html(text(locale, MessageId::ChooseType)));
    select.push_str("</option>");
    select.push_str(&type_options(&built_in_types(locale)));
    select.push_str("</select>");
    h.field("buoy-type", MessageId::FieldType, &select);
    h.field(
        "buoy-subject",
        MessageId::FieldSubject,
        "<input id=\"buoy-subject\" name=\"subject\" required aria-describedby=\"buoy-subject-error\">",
    );
    h.field(
        "buoy-message",
        MessageId::FieldMessage,
        "<textarea id=\"buoy-message\" name=\"message\" rows=\"6\" required aria-describedby=\"buoy-message-error\"></textarea>",
    );
    h.raw(&attach_controls(locale));
    h.raw(&email_replies(locale));
    // A honeypot: hidden from people and screen readers, filled only by bots.
    h.raw("<div hidden><label for=\"buoy-hp\">").text(MessageId::Honeypot).raw("</label>");
    h.raw("<input id=\"buoy-hp\" name=\"website\" autocomplete=\"off\"></div>");
    h.raw("<button type=\"submit\" class=\"send\" id=\"buoy-submit\">").text(MessageId::Submit).raw("</button></form>");

    h.raw("<section class=\"sent\" id=\"buoy-sent\" hidden><h2 tabindex=\"-1\" id=\"buoy-sent-title\">").text(MessageId::SentTitle);
    h.raw("</h2><p>")
        .text(MessageId::SentReference)
        .raw(" <strong class=\"ref\" id=\"buoy-ref\"></strong></p><p>")
        .text(MessageId::SentNext);
    // When a first reply is due, which the panel fills from the API's answer.
    h.raw("</p><p id=\"buoy-due\" hidden></p><button type=\"button\" class=\"again\" data-act=\"again\">")
        .text(MessageId::NewRequest)
        .raw("</button>");
    h.raw("<button type=\"button\" class=\"secondary\" data-act=\"tickets\">").text(MessageId::YourTickets).raw("</button></section>");
    // One polite live region: a search's result count once typing
    // pauses, a new agent reply.
    h.raw("<p class=\"sr\" id=\"buoy-live\" role=\"status\"></p></div>");
    h.out
}

/// `page` with `text` added where `marker` stands: before its first
/// occurrence, or its last with `last` (or at the end when it is missing,
/// or the start with `last` false). The one way the worker adds a site's
/// pieces to the widget page it serves.
pub fn insert_before(page: &[u8], marker: &str, text: &str, last: bool) -> Vec<u8> {
    let mut found = page.windows(marker.len().max(1)).map(|w| w == marker.as_bytes());
    let at = if last { found.rposition(|f| f).unwrap_or(page.len()) } else { found.position(|f| f).unwrap_or(0) };
    let mut out = Vec::with_capacity(page.len() + text.len());
    out.extend_from_slice(&page[..at]);
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&page[at..]);
    out
}

/// The widget page's root element for a locale: its language, which the
/// panel reads back for `Intl` and the tickets it sends, and its
/// direction (`rtl` for Arabic), which the style sheet's logical
/// properties follow.
pub fn html_element(locale: Locale) -> String {
    format!("<html lang=\"{}\" dir=\"{}\">", locale.tag(), locale.dir())
}

/// The widget page as it holds for one site. The build writes one page
/// per locale, its catalog (in the data block and in the markup)
/// promising replies by email; for a site that does not email its
/// requesters, the worker takes out the "Email me replies" checkbox and
/// swaps in [`messages::for_site`]'s wording, which is never longer, so
/// no site's first open grows.
pub fn for_site(page: &[u8], locale: Locale, emails_requesters: bool) -> Vec<u8> {
    let Some(html) = core::str::from_utf8(page).ok().filter(|_| !emails_requesters) else { return page.to_vec() };
    let mut out = html.replace(&email_replies(locale), "");
    for id in MessageId::ALL.iter() {
        let (promise, plain) = (text(locale, *id), messages::for_site(locale, *id, false));
        if promise != plain {
            out = out.replace(promise, plain);
        }
    }
    out.into_bytes()
}

/// The widget page for a site that takes no attachments: without the
/// forms' attach controls, so nothing offers what the API would refuse.
pub fn without_attachments(page: &[u8], locale: Locale) -> Vec<u8> {
    match core::str::from_utf8(page) {
        Ok(html) => html.replace(&attach_controls(locale), "").into_bytes(),
        Err(_) => page.to_vec(),
    }
}

/// Where a site's custom fields go in the ticket form: after the message.
const FIELDS_AFTER: &str = "id=\"buoy-message-error\" hidden></p></div>";

/// The form's markup for a site's requester fields, in definition order,
/// labelled in `locale` (else `fallback`, the site's, else English): a
/// text input, a decimal input, a select with an empty first option, or a
/// checkbox, each with `data-field` (what the panel sends it as), its
/// `required`, and an error line the panel fills from the API's
/// `fields.<id>` errors. A host field is a hidden input (never shown),
/// which the host page's `prefill` fills.
pub fn fields_markup(defs: &[crate::fields::FieldDef], locale: Locale, fallback: Locale) -> String {
    use crate::fields::{Kind, Who};
    let mut out = String::new();
    // A host field is a hidden input: `prefill` sets it, nobody sees it.
    for def in defs.iter().filter(|d| d.who == Who::Host) {
        out.push_str(&format!("<input type=\"hidden\" data-field=\"{}\">", def.id));
    }
    for def in defs.iter().filter(|d| d.who == Who::Requester) {
        // Ids are slugs (checked by the build): safe in attributes as they are.
        let id = format!("buoy-f-{}", def.id);
        let label = escape_html(def.label(locale, fallback));
        let attrs =
            format!("id=\"{id}\" data-field=\"{}\" aria-describedby=\"{id}-error\"{}", def.id, if def.required { " required" } else { "" });
        let error = format!("<p class=\"error\" id=\"{id}-error\" hidden></p>");
        let control = match def.kind {
            Kind::Checkbox => {
                out.push_str(&format!(
                    "<div class=\"field\"><label class=\"choice\"><input type=\"checkbox\" {attrs}> {label}</label>{error}</div>"
                ));
                continue;
            }
            Kind::Text => format!("<input {attrs} maxlength=\"{}\">", crate::fields::MAX_VALUE),
            Kind::Number => format!("<input type=\"number\" step=\"any\" {attrs}>"),
            Kind::Select => {
                let mut select = format!("<select {attrs}><option value=\"\"></option>");
                for option in &def.options {
                    let text = escape_html(crate::fields::label_in(&option.label, &option.id, locale, fallback));
                    select.push_str(&format!("<option value=\"{}\">{text}</option>", option.id));
                }
                select.push_str("</select>");
                select
            }
        };
        out.push_str(&format!("<div class=\"field\"><label for=\"{id}\">{label}</label>{control}{error}</div>"));
    }
    out
}

/// The widget page for a site with custom fields: their markup
/// ([`fields_markup`]) in the ticket form, after the message. A page
/// without the form's message field, or a site without fields, is
/// returned as it is.
pub fn with_fields(page: &[u8], defs: &[crate::fields::FieldDef], locale: Locale, fallback: Locale) -> Vec<u8> {
    let markup = fields_markup(defs, locale, fallback);
    let at = page.windows(FIELDS_AFTER.len()).position(|w| w == FIELDS_AFTER.as_bytes());
    match at {
        Some(at) if !markup.is_empty() => {
            let at = at + FIELDS_AFTER.len();
            let mut out = Vec::with_capacity(page.len() + markup.len());
            out.extend_from_slice(&page[..at]);
            out.extend_from_slice(markup.as_bytes());
            out.extend_from_slice(&page[at..]);
            out
        }
        _ => page.to_vec(),
    }
}

/// How far ahead the widget page says when support is open: three weeks,
/// far more than a panel stays loaded without its page being fetched again
/// (the page is served `no-cache`, so every load asks the worker).
#[cfg(feature = "calendar")]
pub const HOURS_AHEAD: crate::time::Duration = crate::time::Duration::from_hours(21 * 24);

/// How long before the worker's `now` the page's open hours begin: the
/// interval open now is carried whole (from its opening, not clipped at
/// `now`), so a requester whose clock runs behind the worker's (by
/// seconds, or by up to a day) is not told support is closed while it is
/// open.
pub const HOURS_BEHIND: crate::time::Duration = crate::time::Duration::from_hours(24);

/// The widget page's open hours (`#buoy-hours`), a JSON data block the
/// panel reads with the browser's clock: `o`, the calendar's open
/// intervals from [`HOURS_BEHIND`] before `now` to [`HOURS_AHEAD`] after it, each a start and an end in
/// Unix seconds, one after the other (`[start, end, start, end, …]`: an
/// opening is at an even index), and `a`, the segments whose first response counts every hour
/// (calendar hours), whose requesters are never told support is closed;
/// then the formats the panel writes times in (`t`, `d`).
/// The instants are absolute, so the panel shows them in the requester's
/// zone with `Intl` and carries no time-zone code.
#[cfg(feature = "calendar")]
pub fn hours_block(calendar: &crate::calendar::BusinessCalendar, policy: &crate::sla::SlaPolicy, now: crate::time::Timestamp) -> String {
    use core::fmt::Write;
    let mut out = String::from("<script type=\"application/json\" id=\"buoy-hours\">{\"o\":[");
    for (i, (start, end)) in calendar
        .open_intervals(now.plus(crate::time::Duration::from_secs(-HOURS_BEHIND.as_secs())), now.plus(HOURS_AHEAD))
        .into_iter()
        .enumerate()
    {
        let _ = write!(out, "{}{start},{end}", if i == 0 { "" } else { "," });
    }
    out.push_str("],\"a\":[");
    let always = crate::vocab::Segment::ALL.iter().filter(|s| policy.segment(**s).first_response.hours == crate::sla::Hours::Calendar);
    for (i, segment) in always.enumerate() {
        let _ = write!(out, "{}\"{}\"", if i == 0 { "" } else { "," }, segment.as_str());
    }
    // The formats the panel writes instants in (`Intl.DateTimeFormat`
    // options): a time and a weekday, for `{time}` and `{day}`. Here
    // rather than in the wasm, which carries no text.
    out.push_str(r#"],"t":{"hour":"2-digit","minute":"2-digit"},"d":{"weekday":"long"}}</script>"#);
    out
}

/// Where the panel says support is closed: the top of the home screen
/// and of the form, under its intro. Written by the worker with the
/// hours, so the page as built carries none of it.
pub const CLOSED_LINE: &str = "<p class=\"intro\" id=\"buoy-closed\" hidden></p>";

/// The form's line, under its intro, like [`CLOSED_LINE`].
pub const CLOSED_FORM_LINE: &str = "<p class=\"intro\" id=\"buoy-closed-form\" hidden></p>";

/// The widget page with the site's open hours ([`hours_block`]) added
/// before the end of its body, and the lines ([`CLOSED_LINE`],
/// [`CLOSED_FORM_LINE`]) the panel
/// fills when support is closed.
#[cfg(feature = "calendar")]
pub fn with_hours(
    page: &[u8],
    calendar: &crate::calendar::BusinessCalendar,
    policy: &crate::sla::SlaPolicy,
    now: crate::time::Timestamp,
) -> Vec<u8> {
    let page = insert_before(page, "<label for=\"buoy-q\"", CLOSED_LINE, false);
    let page = insert_before(&page, "<p class=\"banner\"", CLOSED_FORM_LINE, false);
    insert_before(&page, "</body>", &hours_block(calendar, policy, now), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requester_fields_are_drawn_labelled_in_the_form_and_host_fields_never() {
        use crate::fields::{Choice, FieldDef, Kind, Who};
        let labels = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let def = |id: &str, kind: Kind, required: bool, who: Who| FieldDef {
            id: id.into(),
            label: labels(&[("en", "Plan & <tier>"), ("de", "Tarif")]),
            kind,
            options: if kind == Kind::Select {
                vec![Choice { id: "pro".into(), label: labels(&[("en", "Pro"), ("de", "Profi")]) }]
            } else {
                vec![]
            },
            required,
            who,
        };
        let defs = [
            def("plan", Kind::Select, true, Who::Requester),
            def("app_version", Kind::Text, false, Who::Host),
            def("seats", Kind::Number, false, Who::Requester),
            def("accepts_contact", Kind::Checkbox, false, Who::Requester),
            def("note", Kind::Text, false, Who::Requester),
        ];
        let page = skeleton(Locale::De);
        let with = String::from_utf8(with_fields(page.as_bytes(), &defs, Locale::De, Locale::En)).unwrap_or_default();
        let form = with.split("<form class=\"form\" id=\"buoy-form\"").nth(1).and_then(|f| f.split("</form>").next()).unwrap_or_default();
        for expected in [
            "<label for=\"buoy-f-plan\">Tarif</label><select id=\"buoy-f-plan\" data-field=\"plan\" aria-describedby=\"buoy-f-plan-error\" required><option value=\"\"></option><option value=\"pro\">Profi</option></select><p class=\"error\" id=\"buoy-f-plan-error\" hidden></p>",
            "<input type=\"number\" step=\"any\" id=\"buoy-f-seats\" data-field=\"seats\" aria-describedby=\"buoy-f-seats-error\">",
            "<label class=\"choice\"><input type=\"checkbox\" id=\"buoy-f-accepts_contact\" data-field=\"accepts_contact\" aria-describedby=\"buoy-f-accepts_contact-error\"> Tarif</label>",
            "<input id=\"buoy-f-note\" data-field=\"note\" aria-describedby=\"buoy-f-note-error\" maxlength=\"200\">",
        ] {
            assert!(form.contains(expected), "{expected} in {form}");
        }
        assert!(form.contains("<input type=\"hidden\" data-field=\"app_version\">"), "a host field is a hidden input");
        assert!(!with.contains("buoy-f-app_version"), "with no label or error line");
        assert!(form.find("buoy-message").unwrap_or(usize::MAX) < form.find("buoy-f-plan").unwrap_or(0), "after the message");
        let english =
            String::from_utf8(with_fields(skeleton(Locale::Fr).as_bytes(), &defs[..1], Locale::Fr, Locale::En)).unwrap_or_default();
        assert!(english.contains(">Plan &amp; &lt;tier&gt;</label>"), "no French label: English, escaped");
        for tag in ["div", "select", "label", "p"] {
            let open = with.matches(&format!("<{tag}>")).count() + with.matches(&format!("<{tag} ")).count();
            assert_eq!(open, with.matches(&format!("</{tag}>")).count(), "<{tag}> balanced");
        }
        assert_eq!(with_fields(page.as_bytes(), &[], Locale::De, Locale::En), page.as_bytes(), "no fields: as built");
    }

    #[test]
    fn a_page_promises_email_only_for_a_site_that_sends_it() {
        for locale in Locale::ALL {
            let catalog: Vec<String> = messages::catalog(locale).iter().map(|t| format!("\"{t}\"")).collect();
            let page = format!("<head></head><body>{}<script>{{\"t\":[{}]}}</script></body>", skeleton(locale), catalog.join(","));
            let promise = text(locale, MessageId::FormIntro);
            assert!(page.contains(promise), "{locale:?}: the build writes the promise");
            let with = for_site(page.as_bytes(), locale, true);
            assert_eq!(with, page.as_bytes(), "{locale:?}: a site with email gets the page as built");
            let without = String::from_utf8(for_site(page.as_bytes(), locale, false)).unwrap_or_default();
            assert!(!without.contains(promise), "{locale:?}: {without}");
            assert!(page.contains(&email_replies(locale)), "{locale:?}: on by default");
            assert!(page.contains("<input type=\"checkbox\" id=\"buoy-replies\" checked>"), "{locale:?}");
            assert!(!without.contains("id=\"buoy-replies\""), "{locale:?}: no choice of email where there is none");
            assert!(without.len() <= page.len(), "{locale:?}: never longer");
            for id in [MessageId::FormIntro, MessageId::SentNext] {
                let plain = messages::for_site(locale, id, false);
                assert!(without.contains(&format!("\"{plain}\"")), "{locale:?} {id:?} in the catalog");
                // Written the same in the markup and in JSON, so one replacement covers both.
                for wording in [plain, text(locale, id)] {
                    assert_eq!(escape_html(wording), wording, "{locale:?} {id:?} needs no escaping");
                    assert!(!wording.contains(['"', '\\', '<']), "{locale:?} {id:?} needs no JSON escaping");
                    assert_eq!(without.matches(&escape_html(plain)).count(), 2, "{locale:?} {id:?}: markup and catalog");
                }
            }
        }
        let english = skeleton(Locale::En);
        assert!(english.contains("<input type=\"checkbox\" id=\"buoy-replies\" checked> Email me replies</label>"));
    }

    #[test]
    fn both_forms_offer_files_only_on_a_site_that_takes_them() {
        for locale in Locale::ALL {
            let page = skeleton(locale);
            let label = escape_html(text(locale, MessageId::AttachFiles));
            assert_eq!(page.matches(&label).count(), 2, "{locale:?}: the ticket form and the reply form");
            assert_eq!(page.matches("<input type=\"file\" multiple hidden>").count(), 2, "{locale:?}");
            for form in ["<form class=\"form\" id=\"buoy-form\"", "<form id=\"buoy-reply-form\""] {
                let inside = page.split(form).nth(1).and_then(|rest| rest.split("</form>").next()).unwrap_or_default();
                assert!(inside.contains("data-act=\"attach\"") && inside.contains("type=\"file\""), "{locale:?} {form}");
            }
            let without = String::from_utf8(without_attachments(page.as_bytes(), locale)).unwrap_or_default();
            assert!(!without.contains("data-act=\"attach\"") && !without.contains("type=\"file\""), "{locale:?}: {without}");
            assert!(!without.contains("class=\"attach\""), "{locale:?}");
            assert!(without.contains("id=\"buoy-reply-form\"") && without.contains("id=\"buoy-message\""), "{locale:?}: the rest stays");
        }
    }

    #[test]
    fn each_page_says_its_language_and_direction() {
        assert_eq!(html_element(Locale::En), "<html lang=\"en\" dir=\"ltr\">");
        assert_eq!(html_element(Locale::PtBr), "<html lang=\"pt-BR\" dir=\"ltr\">");
        assert_eq!(html_element(Locale::Ar), "<html lang=\"ar\" dir=\"rtl\">");
        let arabic = skeleton(Locale::Ar);
        assert!(arabic.contains(&escape_html(text(Locale::Ar, MessageId::Close))), "the markup speaks the locale");
        assert!(!arabic.contains(text(Locale::En, MessageId::Submit)));
    }

    #[test]
    fn the_worker_adds_to_the_page_before_the_first_or_last_marker() {
        let page = b"<head></head><body><p></body></body>";
        for (marker, text, last, expected) in [
            ("</head>", "<x>", false, "<head><x></head><body><p></body></body>"),
            ("</body>", "<y>", true, "<head></head><body><p></body><y></body>"),
            ("</body>", "<y>", false, "<head></head><body><p><y></body></body>"),
            ("</none>", "<z>", true, "<head></head><body><p></body></body><z>"),
            ("</none>", "<z>", false, "<z><head></head><body><p></body></body>"),
            ("", "<e>", true, "<head></head><body><p></body></body><e>"),
        ] {
            assert_eq!(String::from_utf8_lossy(&insert_before(page, marker, text, last)), expected, "{marker} {last}");
        }
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_html(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn the_skeleton_labels_every_control_and_balances_its_tags() {
        let html = skeleton(Locale::En);
        for id in ["buoy-name", "buoy-email", "buoy-type", "buoy-subject", "buoy-message"] {
            assert!(html.contains(&format!("<label for=\"{id}\">")), "{id} has a label");
            assert!(html.contains(&format!("id=\"{id}-error\"")), "{id} has an error line");
        }
        assert!(html.contains("<label for=\"buoy-q\""));
        for tag in ["div", "section", "form", "ul", "ol", "button", "p", "h2", "select", "li", "fieldset", "label", "span", "textarea"] {
            let open = html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
            assert_eq!(open, html.matches(&format!("</{tag}>")).count(), "<{tag}> balanced");
        }
        assert_eq!(html.matches("data-kind=").count(), offered_types().len());
        assert!(html.contains("How do I…?"), "the catalog's text, escaped only where needed");
    }

    #[cfg(feature = "calendar")]
    #[test]
    fn the_page_carries_three_weeks_of_open_hours_and_the_segments_never_closed() {
        use crate::calendar::{BusinessCalendar, CalendarSpec};
        use crate::time::Timestamp;
        let spec = CalendarSpec {
            time_zone: "Europe/London".into(),
            open: ["mon", "tue", "wed", "thu", "fri"].iter().map(|d| ((*d).to_owned(), "09:00-17:00".to_owned())).collect(),
            holidays: vec!["2026-12-25".into()],
        };
        let zone = jiff::tz::TimeZone::posix("GMT0BST,M3.5.0/1,M10.5.0").unwrap_or_else(|e| unreachable!("{e}"));
        let calendar = BusinessCalendar::new(&spec, zone).unwrap_or_else(|e| unreachable!("{e}"));
        let now = Timestamp::parse("2026-12-04T16:00:00Z").unwrap_or_else(|e| unreachable!("{e}"));
        let built = format!("<body>{}</body>", skeleton(Locale::En));
        let page = String::from_utf8(with_hours(built.as_bytes(), &calendar, &crate::sla::SlaPolicy::default(), now)).unwrap_or_default();
        // The home screen's line first, the form's under its intro.
        let home = page.split("<section class=\"home\" id=\"buoy-home\">").nth(1).unwrap_or_default();
        assert!(home.starts_with(CLOSED_LINE), "{home}");
        let form = page
            .split("</p>")
            .find(|p| p.contains("id=\"buoy-intro\""))
            .map(|_| page.split("id=\"buoy-intro\">").nth(1).unwrap_or_default());
        assert!(form.is_some_and(|f| f.contains(&format!("</p>{CLOSED_FORM_LINE}<p class=\"banner\""))), "{page}");
        assert_eq!((page.matches(CLOSED_LINE).count(), page.matches(CLOSED_FORM_LINE).count()), (1, 1));
        let block = page.split("<script type=\"application/json\" id=\"buoy-hours\">").nth(1).and_then(|b| b.split("</script>").next());
        let json: serde_json::Value = serde_json::from_str(block.unwrap_or_default()).unwrap_or_default();
        let flat: Vec<i64> = serde_json::from_value(json["o"].clone()).unwrap_or_default();
        let open: Vec<(i64, i64)> = flat.chunks(2).map(|pair| (pair[0], pair[pair.len() - 1])).collect();
        assert_eq!(flat.len(), 2 * open.len(), "{flat:?}");
        // A day back (Thursday's last hour), Friday whole, then 14 weekdays (three weeks less Christmas Day).
        assert_eq!(open.len(), 16, "{open:?}");
        let (now_secs, friday_nine) = (now.as_millis() / 1000, now.as_millis() / 1000 - 7 * 3600);
        assert_eq!(open[0], (now_secs - 86_400, now_secs - 86_400 + 3600));
        // Open now from 09:00, not from `now`: a browser a few seconds behind the worker is inside it too.
        assert_eq!(open[1], (friday_nine, friday_nine + 8 * 3600));
        assert!(open.iter().all(|(_, end)| *end <= now.plus(HOURS_AHEAD).as_millis() / 1000 + 86_400));
        // The defaults: enterprise first responses count calendar hours, so they are never "closed".
        assert_eq!(json["a"], serde_json::json!(["enterprise"]));
        assert!(page.ends_with("</script></body>"), "{page}");
    }

    #[test]
    fn a_site_with_its_own_types_lists_them_in_the_topics_and_the_form() {
        let returns = TicketType::parse("returns").unwrap_or(TicketType::OTHER);
        for locale in [Locale::En, Locale::De] {
            let page = format!("<body>{}</body>", skeleton(locale));
            let label = if locale == Locale::En { "Returns & refunds" } else { "Rücksendung" };
            let types = [(returns.clone(), label.to_owned()), (TicketType::BILLING, "Invoices".to_owned())];
            let with = String::from_utf8(with_types(page.as_bytes(), locale, &types)).unwrap_or_default();
            let escaped = escape_html(label);
            assert!(
                with.contains(&format!("<option value=\"returns\">{escaped}</option><option value=\"billing\">Invoices</option></select>")),
                "{locale:?}: {with}"
            );
            assert!(with.contains(&format!("<li><button type=\"button\" data-kind=\"returns\">{escaped}</button></li><li><button type=\"button\" data-kind=\"billing\">Invoices</button></li></ul>")), "{locale:?}");
            assert!(
                !with.contains("value=\"bug\"") && !with.contains("data-kind=\"bug\""),
                "{locale:?}: no built-in type the site leaves out"
            );
            assert_eq!(with.matches("data-kind=").count(), 2);
            // The built-in list, written again, is the page as built.
            assert_eq!(with_types(page.as_bytes(), locale, &built_in_types(locale)), page.as_bytes());
        }
    }
}
