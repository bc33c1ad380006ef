//! Buoy's help panel: a view over `buoy-shared`, running in an iframe
//! served from the worker's origin.
//!
//! [`state`] holds the pure state machine; this file draws the state and
//! carries out effects. Search results and article bodies are the help
//! module's (`buoy-widget-help`), the requester's tickets the inbox
//! module's (`buoy-widget-inbox`): the panel loads each when first
//! needed and tells them what shows through `buoy_widget_core::protocol`. Every string comes from the message
//! catalog in `buoy-shared`; typed text is only ever set as text.
#![deny(missing_docs)]

pub mod state;

use buoy_shared::deflection::Outcome;
use buoy_shared::messages::{self, MessageId};
use buoy_shared::suggest;
use buoy_shared::ticket::{offered_types, Field, NewTicket, PageContext, TicketType};
use buoy_widget_core::dom::{focus, set_hidden, text_element, ArticleList, Listener};
use buoy_widget_core::host::{claim_of, post_to_host};
use buoy_widget_core::net::{self, Failure};
use buoy_widget_core::page::{field_of, page, page_json, random_key, read_catalog, strings, t};
use buoy_widget_core::protocol::{self, Form, Module, Screen};
use buoy_widget_core::store;
use js_sys::{Object, Reflect};
use state::{Effect, Msg, Phase, Receipt, State, View};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Element, HtmlButtonElement, HtmlFormElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent, MessageEvent,
};

/// The form's controls, in form order.
struct Controls {
    name: HtmlInputElement,
    email: HtmlInputElement,
    kind: HtmlSelectElement,
    subject: HtmlInputElement,
    message: HtmlTextAreaElement,
    honeypot: HtmlInputElement,
}

/// The self-service screens.
struct Help {
    home: Element,
    search: HtmlInputElement,
    /// The home screen's list: suggestions here, search results from the help module.
    list: ArticleList,
    article: Element,
    article_title: Element,
    article_body: Element,
    guide: Element,
    guide_title: Element,
    steps: Element,
    fixed: Element,
    fixed_title: Element,
}

/// The inbox's screens, which the panel shows and hides (the inbox
/// module fills them).
struct Convo {
    list_title: Element,
    section: Element,
    list_section: Element,
    title: Element,
}

/// An article as the panel knows it: enough to suggest it and show its
/// title (the help module draws its body).
struct Doc {
    id: String,
    title: String,
    /// Where it is suggested (URL path patterns).
    suggest_on: Vec<String>,
}

struct Inner {
    site: String,
    root: Element,
    convo: Convo,
    /// The knowledge base's articles, from the page.
    docs: Vec<Doc>,
    /// Guided-fix steps per ticket type, from the playbooks.
    guides: Vec<(TicketType, Vec<String>)>,
    /// Articles the host page asked to suggest (ids, URLs or paths).
    suggest: Vec<String>,
    title: Element,
    back: Element,
    help: Help,
    host_origin: Option<String>,
    host_url: Option<String>,
    host_title: Option<String>,
    /// Who the host page says the requester is (`Buoy('identify')`),
    /// passed on with each ticket for the worker to check.
    identity: Option<buoy_shared::identity::IdentityClaim>,
    /// The host page's context (`Buoy('context')`), a JS object of text
    /// (or null), sent with each ticket as reported by the page.
    context: JsValue,
    state: State,
    form: HtmlFormElement,
    banner: Element,
    controls: Controls,
    /// Each visible field, its control and its error line.
    field_errors: Vec<(Field, Element, Element)>,
    /// The site's custom fields by id, each with its control (a host
    /// field's is a hidden input), which the worker writes into the form.
    fields: Vec<(String, Element, bool)>,
    submit: HtmlButtonElement,
    sent: Element,
    sent_heading: Element,
    reference: Element,
}

/// A mounted panel. Dropping it removes its listeners.
#[derive(Debug)]
pub struct Panel {
    inner: Rc<RefCell<Inner>>,
    _listeners: Vec<Listener>,
}

impl core::fmt::Debug for Inner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Inner").field("site", &self.site).field("state", &self.state).finish_non_exhaustive()
    }
}

/// The ids of the panel's elements, in the order `build` takes them.
const IDS: [&str; 36] = [
    "buoy-name",
    "buoy-name-error",
    "buoy-email",
    "buoy-email-error",
    "buoy-type",
    "buoy-type-error",
    "buoy-subject",
    "buoy-subject-error",
    "buoy-message",
    "buoy-message-error",
    "buoy-hp",
    "buoy-tickets-title",
    "buoy-thread",
    "buoy-tickets",
    "buoy-thread-title",
    "buoy-title",
    "buoy-back",
    "buoy-home",
    "buoy-q",
    "buoy-list-title",
    "buoy-docs",
    "buoy-empty",
    "buoy-article",
    "buoy-article-title",
    "buoy-article-body",
    "buoy-guide",
    "buoy-guide-title",
    "buoy-steps",
    "buoy-fixed",
    "buoy-fixed-title",
    "buoy-form",
    "buoy-banner",
    "buoy-submit",
    "buoy-sent",
    "buoy-sent-title",
    "buoy-ref",
];

/// Finds the panel's elements in its markup (written into the page at
/// build time by `buoy_shared::panel::skeleton`). The markup is ours, so
/// each element is the type its tag says; all are looked up first and
/// taken in one step (one failure path keeps the wasm small).
fn build(root: &Element, site: &str, host_origin: Option<String>) -> Result<Inner, JsValue> {
    let mut selector = String::new();
    let found: Vec<Element> = IDS
        .iter()
        .filter_map(|id| {
            selector.clear();
            selector.push('#');
            selector.push_str(id);
            root.query_selector(&selector).ok().flatten()
        })
        .collect();
    let Ok(
        [name_el, name_err, email_el, email_err, kind_el, kind_err, subject_el, subject_err, message_el, message_err, honeypot, list_title, section, list_section, title, panel_title, back, home, search, docs_title, docs, docs_empty, article, article_title, article_body, guide, guide_title, steps, fixed, fixed_title, form, banner, submit, sent, sent_heading, reference],
    ) = <[Element; 36]>::try_from(found)
    else {
        return Err(JsValue::from_str("the panel's markup is incomplete"));
    };
    let controls = Controls {
        name: name_el.clone().unchecked_into(),
        email: email_el.clone().unchecked_into(),
        kind: kind_el.clone().unchecked_into(),
        subject: subject_el.clone().unchecked_into(),
        message: message_el.clone().unchecked_into(),
        honeypot: honeypot.unchecked_into(),
    };
    let convo = Convo { list_title, section, list_section, title };
    let field_errors = vec![
        (Field::Name, name_el, name_err),
        (Field::Email, email_el, email_err),
        (Field::Type, kind_el, kind_err),
        (Field::Subject, subject_el, subject_err),
        (Field::Message, message_el, message_err),
    ];
    let mut fields = Vec::new();
    if let Ok(nodes) = form.query_selector_all("[data-field]") {
        // The markup is the worker's: each `[data-field]` is an element.
        for control in (0..nodes.length()).filter_map(|i| Some(nodes.item(i)?.unchecked_into::<Element>())) {
            let id = control.get_attribute("data-field").unwrap_or_default();
            let is_checkbox = control.get_attribute("type").as_deref() == Some("checkbox");
            fields.push((id, control, is_checkbox));
        }
    }
    Ok(Inner {
        site: site.into(),
        root: root.clone(),
        convo,
        docs: Vec::new(),
        guides: Vec::new(),
        suggest: Vec::new(),
        title: panel_title,
        back,
        help: Help {
            home,
            search: search.unchecked_into(),
            list: ArticleList { title: docs_title, list: docs, empty: docs_empty },
            article,
            article_title,
            article_body,
            guide,
            guide_title,
            steps,
            fixed,
            fixed_title,
        },
        host_origin,
        host_url: None,
        host_title: None,
        identity: None,
        context: JsValue::NULL,
        state: State::default(),
        form: form.unchecked_into(),
        banner,
        controls,
        field_errors,
        fields,
        submit: submit.unchecked_into(),
        sent,
        sent_heading,
        reference,
    })
}

fn browser_time_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &Object::new());
    Reflect::get(&format.resolved_options(), &JsValue::from_str("timeZone")).ok()?.as_string()
}

impl Inner {
    // The updates fill what only the worker's build of these types holds.
    #[allow(clippy::needless_update)]
    fn read_form(&self) -> NewTicket {
        let c = &self.controls;
        let navigator = web_sys::window().map(|w| w.navigator());
        NewTicket {
            site: self.site.clone(),
            name: c.name.value(),
            email: c.email.value(),
            kind: c.kind.value(),
            subject: c.subject.value(),
            message: c.message.value(),
            context: PageContext {
                url: self.host_url.clone(),
                title: self.host_title.clone(),
                // The language the panel speaks, which mail to the requester follows.
                locale: Some(buoy_widget_core::page::lang()).filter(|l| !l.is_empty()),
                time_zone: browser_time_zone(),
                user_agent: navigator.and_then(|n| n.user_agent().ok()),
                ..PageContext::default()
            },
            honeypot: c.honeypot.value(),
            identity: self.identity.clone(),
            // Only a site that emails its requesters has the checkbox.
            email_replies: self
                .root
                .query_selector("#buoy-replies")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
                .filter(|c| !c.checked())
                .map(|_| false),
            // The site's fields and the host's context are the worker's to
            // read (feature `server`): the panel sends them as JS objects
            // (`fields_of`, `context`).
            ..NewTicket::default()
        }
    }

    /// The site's custom fields to send, by id: each control's value (a
    /// checkbox's `"true"` or `"false"`).
    fn fields_of(&self) -> Object {
        let out = Object::new();
        for (id, control, is_checkbox) in &self.fields {
            let value = Reflect::get(control, &(if *is_checkbox { "checked" } else { "value" }).into()).unwrap_or(JsValue::NULL);
            let value = match value.as_bool() {
                Some(checked) => JsValue::from_str(if checked { "true" } else { "false" }),
                None => value,
            };
            let _ = Reflect::set(&out, &id.into(), &value);
        }
        out
    }

    fn render(&self) {
        let state = &self.state;
        match state.banner {
            Some(id) => self.banner.set_text_content(Some(t(id))),
            None => self.banner.set_text_content(None),
        }
        set_hidden(&self.banner, state.banner.is_none());
        for (field, control, error) in &self.field_errors {
            let message = state.error_for(*field);
            error.set_text_content(message.map(t));
            set_hidden(error, message.is_none());
            let _ = control.set_attribute("aria-invalid", if message.is_some() { "true" } else { "false" });
        }
        let sending = state.phase == Phase::Sending;
        self.submit.set_disabled(sending);
        self.submit.set_text_content(Some(t(if sending { MessageId::Sending } else { MessageId::Submit })));
        let _ = self.form.set_attribute("aria-busy", if sending { "true" } else { "false" });
        let sent = match &state.phase {
            Phase::Sent(reference) => Some(reference.as_str()),
            _ => None,
        };
        self.reference.set_text_content(sent);
        let view = &state.view;
        let contact = *view == View::Contact;
        set_hidden(&self.sent, !(contact && sent.is_some()));
        set_hidden(&self.form, !(contact && sent.is_none()));
        set_hidden(&self.help.home, *view != View::Home);
        set_hidden(&self.help.article, !matches!(view, View::Article(_)));
        set_hidden(&self.help.guide, !matches!(view, View::Guide(_)));
        set_hidden(&self.help.fixed, *view != View::Fixed);
        set_hidden(&self.convo.list_section, *view != View::Tickets);
        set_hidden(&self.convo.section, !matches!(view, View::Thread(_)));
        set_hidden(&self.back, *view == View::Home);
        self.title.set_text_content(Some(t(match view {
            View::Contact => MessageId::PanelTitle,
            View::Tickets | View::Thread(_) => MessageId::YourTickets,
            _ => MessageId::HelpTitle,
        })));
    }

    fn post_to_host(&self, kind: &str, detail: Option<(&str, &str)>) {
        post_to_host(self.host_origin.as_deref(), kind, detail);
    }

    /// Tells the modules it loads which screen shows, where the form is,
    /// and (when given) whether the panel is open.
    fn signal(&self, open: Option<bool>) {
        let screen = match &self.state.view {
            View::Article(id) => Screen::Article(id.clone()),
            View::Tickets => Screen::Tickets,
            View::Thread(id) => Screen::Thread(id.clone()),
            _ => Screen::Elsewhere,
        };
        let form = match self.state.phase {
            Phase::Editing => Form::Editing,
            Phase::Sending => Form::Sending,
            Phase::Sent(_) => Form::Sent,
        };
        protocol::tell(&self.root, &screen, form, open);
        // The form takes files: the upload module is there before the first.
        if self.state.view == View::Contact {
            protocol::load(&self.root, Module::Upload);
        }
    }

    /// The controls that take focus now, in order: the focus trap's ends.
    fn focusable(&self) -> Vec<web_sys::HtmlElement> {
        let Ok(nodes) = self.title.closest(".panel").map(|p| p.map(|p| p.query_selector_all("button,input,select,textarea,a[href]")))
        else {
            return Vec::new();
        };
        let Some(Ok(nodes)) = nodes else { return Vec::new() };
        (0..nodes.length())
            .filter_map(|i| nodes.item(i).and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()))
            .filter(|el| el.offset_parent().is_some() && !el.has_attribute("disabled"))
            .collect()
    }

    /// The element that takes focus when a screen shows.
    fn entry(&self) -> Element {
        match &self.state.view {
            View::Home => self.help.search.clone().into(),
            View::Article(_) => self.help.article_title.clone(),
            View::Guide(_) => self.help.guide_title.clone(),
            View::Fixed => self.help.fixed_title.clone(),
            View::Tickets => self.convo.list_title.clone(),
            View::Thread(_) => self.convo.title.clone(),
            View::Contact => match self.state.phase {
                Phase::Sent(_) => self.sent_heading.clone(),
                _ => self.controls.name.clone().into(),
            },
        }
    }

    /// Fills the home list with the articles suggested for the host page
    /// while the search box is empty. A query is the help module's to
    /// answer: it loads now if it has not (the box may hold text typed
    /// before the panel started), and answers from then on.
    fn refresh_list(&self) {
        if !self.help.search.value().trim().is_empty() {
            return protocol::load(&self.root, Module::Help);
        }
        let docs: Vec<(&str, &[String])> = self.docs.iter().map(|d| (d.id.as_str(), d.suggest_on.as_slice())).collect();
        let found = suggest::suggestions(&docs, self.host_url.as_deref().unwrap_or("/"), &self.suggest, 5);
        let articles = found.iter().filter_map(|i| self.docs.get(*i)).map(|d| (d.id.as_str(), d.title.as_str()));
        self.help.list.draw(t(MessageId::Suggested), articles, false);
    }

    fn guide_steps(&self, kind: &TicketType) -> Option<&[String]> {
        self.guides.iter().find(|(k, _)| k == kind).map(|(_, steps)| steps.as_slice())
    }

    /// Draws what the current screen needs beyond showing it.
    fn prepare_view(inner: &Rc<RefCell<Inner>>) {
        let panel = inner.borrow();
        match panel.state.view.clone() {
            View::Article(id) => {
                // The title now; the help module draws the body.
                let Some(meta) = panel.docs.iter().find(|d| d.id == id) else { return };
                panel.help.article_title.set_text_content(Some(&meta.title));
                panel.help.article_body.set_text_content(Some(t(MessageId::Loading)));
            }
            View::Guide(kind) => {
                panel.help.steps.set_text_content(None);
                let Some(doc) = panel.help.steps.owner_document() else { return };
                for step in panel.guide_steps(&kind).unwrap_or_default() {
                    let _ = text_element(&doc, "li", &[], step, Some(&panel.help.steps));
                }
            }
            View::Home => panel.refresh_list(),
            View::Fixed | View::Contact | View::Tickets | View::Thread(_) => {}
        }
    }

    /// Writes what the guide showed into the form.
    fn prefill_from_guide(&self, kind: &TicketType) {
        self.controls.kind.set_value(kind.as_str());
        if self.controls.subject.value().is_empty() {
            self.controls.subject.set_value(messages::ticket_type_label(kind, |id| t(id)));
        }
        let mut message = String::from(t(MessageId::TriedSteps));
        for step in self.guide_steps(kind).unwrap_or_default() {
            message.push_str("\n- ");
            message.push_str(step);
        }
        message.push_str("\n\n");
        self.controls.message.set_value(&message);
    }
}

fn dispatch(inner: &Rc<RefCell<Inner>>, msg: Msg) {
    let effect = {
        let mut guard = inner.borrow_mut();
        let effect = guard.state.update(msg);
        guard.render();
        guard.signal(None);
        effect
    };
    match effect {
        Effect::Redraw => {}
        Effect::Send(ticket, key, replaces) => {
            // Into the outbox first (it survives a reload); the inbox
            // module sends it, retries it, and reports back (`buoy:sent`).
            let panel = inner.borrow();
            if let Some(old) = replaces {
                store::unqueue(&panel.site, &old);
            }
            if let Some(body) = net::body(&ticket, &panel.fields_of(), &panel.context) {
                let about = ticket.subject.trim().to_owned();
                // The upload module adds the files the form will send.
                let files = String::new();
                store::queue(&panel.site, &store::Pending { key, url: "/v1/tickets".into(), body, about, token: None, queued: 0.0, files });
            }
            protocol::load(&panel.root, Module::Inbox);
            panel.signal(None);
        }
        Effect::FocusFirstError => {
            let panel = inner.borrow();
            let first = panel.field_errors.iter().find(|(field, _, _)| panel.state.error_for(*field).is_some());
            match first {
                Some((_, control, _)) => focus(control),
                None => focus(&panel.banner),
            }
        }
        Effect::Confirm(receipt) => {
            let panel = inner.borrow();
            focus(&panel.sent_heading);
            panel.post_to_host("ticket:created", Some(("reference", &receipt.reference)));
        }
        Effect::FocusForm => {
            let panel = inner.borrow();
            panel.form.reset();
            focus(panel.controls.name.as_ref());
        }
        Effect::ShowView => {
            Inner::prepare_view(inner);
            focus(&inner.borrow().entry());
        }
        Effect::Record(kind, outcome) => {
            let panel = inner.borrow();
            net::record_deflection(&panel.site, kind.as_str(), outcome.as_str());
            if outcome == Outcome::NeedHelp {
                panel.prefill_from_guide(&kind);
                focus(panel.controls.message.as_ref());
            } else {
                focus(&panel.entry());
            }
        }
        Effect::ContactAbout(kind) => {
            let panel = inner.borrow();
            panel.controls.kind.set_value(kind.as_str());
            focus(&panel.entry());
        }
    }
}

/// A click anywhere in the panel: buttons carry `data-act`, article list
/// entries `data-i`, topics `data-kind`, links to other articles `data-article`.
fn clicked(inner: &Rc<RefCell<Inner>>, event: &web_sys::Event) {
    if let Some(id) = data_of(event, "data-article") {
        event.prevent_default();
        return dispatch(inner, Msg::Show(View::Article(id)));
    }
    if let Some(id) = data_of(event, "data-ticket") {
        return dispatch(inner, Msg::Show(View::Thread(id)));
    }
    if let Some(name) = data_of(event, "data-kind") {
        if let Some(kind) = TicketType::offered(&name) {
            let has_steps = inner.borrow().guide_steps(&kind).is_some();
            return dispatch(inner, Msg::Topic(kind, has_steps));
        }
        // A site's own type (the worker wrote its button) has no guide:
        // the form, on that type.
        dispatch(inner, Msg::Show(View::Contact));
        return inner.borrow().controls.kind.set_value(&name);
    }
    let msg = match data_of(event, "data-act").as_deref() {
        Some("close") => return inner.borrow().post_to_host("close", None),
        Some("home") => Msg::Show(View::Home),
        Some("contact") => Msg::Show(View::Contact),
        Some("tickets") => Msg::Show(View::Tickets),
        Some("again") => Msg::Reset,
        Some("fixed") => Msg::GuideEnded(Outcome::Fixed),
        Some("need") => Msg::GuideEnded(Outcome::NeedHelp),
        _ => return,
    };
    dispatch(inner, msg);
}

fn on(
    inner: &Rc<RefCell<Inner>>,
    target: &web_sys::EventTarget,
    kind: &'static str,
    f: impl Fn(&Rc<RefCell<Inner>>, web_sys::Event) + 'static,
) -> Result<Listener, JsValue> {
    let weak: Weak<RefCell<Inner>> = Rc::downgrade(inner);
    Listener::new(target, kind, move |event| {
        if let Some(inner) = weak.upgrade() {
            f(&inner, event);
        }
    })
}

/// The `data-*` value of the closest element (from an event's target) that has it.
fn data_of(event: &web_sys::Event, name: &str) -> Option<String> {
    let target: Element = event.target()?.dyn_into().ok()?;
    let mut selector = String::from("[");
    selector.push_str(name);
    selector.push(']');
    target.closest(&selector).ok()??.get_attribute(name)
}

/// Handles a checked message from the host page.
fn from_host(inner: &Rc<RefCell<Inner>>, data: &JsValue) {
    let kind = field_of(data, "type").unwrap_or_default();
    match kind.as_str() {
        "close" => inner.borrow().signal(Some(false)),
        "identify" => vouch(inner, data, Some(claim_of(data))),
        "logout" => vouch(inner, data, None),
        "open" => {
            let inline = field_of(data, "inline").as_deref() == Some("1");
            {
                let mut panel = inner.borrow_mut();
                panel.host_url = field_of(data, "url");
                panel.host_title = field_of(data, "title");
                panel.refresh_list();
            }
            let panel = inner.borrow();
            if inline {
                go_inline(&panel);
            }
            // A phone's panel fills the screen: a modal dialog that keeps
            // focus; on a desktop it leaves the host page reachable.
            let modal = if field_of(data, "modal").as_deref() == Some("1") { "true" } else { "false" };
            if let Ok(Some(dialog)) = panel.title.closest(".panel") {
                let _ = dialog.set_attribute("aria-modal", modal);
            }
            panel.signal(Some(true));
            // Inline, the panel is part of the host's page: focus stays there.
            if !inline {
                focus(&panel.entry());
            }
            // A User Timing mark: the panel is interactive (the benchmarks read it).
            if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                let _ = performance.mark("buoy:interactive");
            }
        }
        // The host's colour scheme wins over the browser's (app.css reads
        // only light and dark).
        "scheme" => set_root("data-scheme", &field_of(data, "scheme").unwrap_or_default()),
        "navigate" => {
            let arg = field_of(data, "arg").unwrap_or_default();
            let view = match field_of(data, "view").as_deref() {
                Some("article") => View::Article(arg),
                Some("contact") => View::Contact,
                Some("tickets") => View::Tickets,
                _ => {
                    inner.borrow().help.search.set_value(&arg);
                    View::Home
                }
            };
            dispatch(inner, Msg::Show(view));
        }
        "suggest" => {
            let items = Reflect::get(data, &"items".into()).ok().and_then(|v| v.dyn_into::<js_sys::Array>().ok());
            let mut panel = inner.borrow_mut();
            panel.suggest = items.map(|a| a.iter().filter_map(|v| v.as_string()).take(20).collect()).unwrap_or_default();
            panel.refresh_list();
        }
        "prefill" => {
            let panel = inner.borrow();
            let c = &panel.controls;
            if let Some(subject) = field_of(data, "subject").filter(|s| !s.is_empty()) {
                c.subject.set_value(&subject);
            }
            if let Some(body) = field_of(data, "body").filter(|s| !s.is_empty()) {
                c.message.set_value(&body);
            }
            // The select takes only the types its site offers.
            if let Some(kind) = field_of(data, "kind").filter(|k| !k.is_empty()) {
                c.kind.set_value(&kind);
            }
            let given = Reflect::get(data, &"fields".into()).unwrap_or(JsValue::NULL);
            for (id, control, is_checkbox) in &panel.fields {
                let Some(value) = Reflect::get(&given, &id.into()).ok().and_then(|v| v.as_string()) else { continue };
                let (property, value) =
                    if *is_checkbox { ("checked", JsValue::from_bool(value == "true")) } else { ("value", JsValue::from_str(&value)) };
                let _ = Reflect::set(control, &property.into(), &value);
            }
        }
        "context" => {
            // Checked by the worker, which refuses context over its limits
            // with a 422 naming the key (the loader passes 20 keys at most).
            inner.borrow_mut().context = Reflect::get(data, &"context".into()).unwrap_or(JsValue::NULL);
        }
        _ => {}
    }
}

/// Sets an attribute of the page's root, which app.css reads.
fn set_root(name: &str, value: &str) {
    if let Some(html) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = html.set_attribute(name, value);
    }
}

/// Inline in a host element (the loader's `open` says `inline: '1'`):
/// the page takes its content's height (app.css, under `data-inline`,
/// which holds the host's origin the panel checked), and the inline
/// module (`www/widget/inline.js`) tells the host each change of it.
fn go_inline(panel: &Inner) {
    if let Some(origin) = &panel.host_origin {
        set_root("data-inline", origin);
        protocol::load(&panel.root, Module::Inline);
    }
}

/// Brings the panel in `root` (which holds the markup of
/// `buoy_shared::panel::skeleton`) to life for `site`, talking to a host
/// page on `host_origin` (none when the panel is not embedded).
///
/// # Errors
/// When the browser refuses to create an element or a listener.
pub fn mount(root: &Element, site: &str, host_origin: Option<String>) -> Result<Panel, JsValue> {
    let inner = Rc::new(RefCell::new(build(root, site, host_origin)?));
    let i = inner.borrow();
    let mut listeners = vec![
        on(&inner, &i.form, "submit", |inner, event| {
            event.prevent_default();
            // The site's own fields are checked by the browser's constraints
            // (`required`, a number's type), each said at its control; the
            // worker checks them all again.
            let report = |c: &Element| {
                let check: js_sys::Function = Reflect::get(c, &"reportValidity".into()).unwrap_or(JsValue::NULL).unchecked_into();
                check.call0(c).ok().and_then(|v| v.as_bool()) == Some(false)
            };
            if inner.borrow().fields.iter().any(|(_, c, _)| report(c)) {
                return;
            }
            let ticket = inner.borrow().read_form();
            dispatch(inner, Msg::Submit { ticket: Box::new(ticket), fresh_key: random_key() });
        })?,
        // Typing in the search box: suggestions, or the help module's
        // results. Typing anywhere else is the requester's first
        // interaction: it loads the inbox module, which keeps drafts (and
        // is told so, to store what came first).
        on(&inner, root, "input", |inner, event| {
            let panel = inner.borrow();
            if event.target().as_ref() != Some(panel.help.search.as_ref()) {
                return protocol::tell_typed(&panel.root);
            }
            panel.refresh_list();
        })?,
        // The inbox module's report on a ticket this form sent.
        on(&inner, root, protocol::SENT_EVENT, |inner, _| {
            let Some(report) = protocol::read_report(&inner.borrow().root) else { return };
            let ours = inner.borrow().state.key.as_ref().is_some_and(|(key, _)| *key == report.key);
            if ours {
                inner.borrow().due(&report.body);
                dispatch(inner, ticket_outcome(if report.status == 0 { Err(JsValue::NULL) } else { Ok((report.status, report.body)) }));
            }
        })?,
        // One listener for every button and link of the panel, by data attribute.
        on(&inner, root, "click", |inner, event| clicked(inner, &event))?,
        on(&inner, root, "keydown", |inner, event| {
            let Some(key) = event.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            let panel = inner.borrow();
            match key.key().as_str() {
                "Escape" => panel.post_to_host("close", None),
                "Tab" => {
                    // Keep focus inside the dialog while it is open as a modal one.
                    let modal = panel.title.closest("[aria-modal=true]").ok().flatten().is_some();
                    if !modal {
                        return;
                    }
                    let controls = panel.focusable();
                    let (Some(first), Some(last)) = (controls.first(), controls.last()) else { return };
                    let active = doc_active();
                    let at = |el: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a == el.as_ref());
                    if key.shift_key() && at(first) {
                        key.prevent_default();
                        focus(last);
                    } else if !key.shift_key() && at(last) {
                        key.prevent_default();
                        focus(first);
                    }
                }
                _ => {}
            }
        })?,
    ];
    drop(i);
    if let Some(window) = web_sys::window() {
        // The on-screen keyboard shrinks the panel (the loader follows the
        // visual viewport): the field being typed in stays in view, above
        // the sticky send button (the scroll padding of app.css).
        listeners.push(on(&inner, &window, "resize", |_, _| {
            if let Some(field) = doc_active().filter(|a| matches!(a.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")) {
                field.scroll_into_view_with_bool(false);
            }
        })?);
        listeners.push(on(&inner, &window, "message", |inner, event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let from_parent =
                web_sys::window().and_then(|w| w.parent().ok().flatten()).zip(event.source()).is_some_and(|(p, s)| Object::is(&p, &s));
            let host = inner.borrow().host_origin.as_deref() == Some(event.origin().as_str());
            let data = event.data();
            let shaped = Reflect::get(&data, &"buoy".into()).ok().and_then(|v| v.as_f64()) == Some(1.0);
            if from_parent && host && shaped {
                from_host(inner, &data);
            }
        })?);
    }
    inner.borrow().render();
    // A requester with tickets (or a draft) gets the inbox (its unread count) at once.
    if store::has_tickets(site) {
        protocol::load(root, Module::Inbox);
    }
    Ok(Panel { inner, _listeners: listeners })
}

fn doc_active() -> Option<Element> {
    web_sys::window()?.document()?.active_element()
}

impl Panel {
    /// A snapshot of the panel's state, for tests.
    pub fn state(&self) -> State {
        self.inner.borrow().state.clone()
    }

    /// Gives the panel the guided fixes per ticket type (they come with the
    /// page, so topics work before the search index arrives).
    pub fn set_guides(&self, guides: Vec<(TicketType, Vec<String>)>) {
        self.inner.borrow_mut().guides = guides;
    }
}

/// The page's data block: the knowledge base's articles (`docs`: `[id,
/// title, [patterns]]` each) and the guides.
fn page_data(data: &JsValue) -> (Vec<Doc>, Vec<(TicketType, Vec<String>)>) {
    let listed = Reflect::get(data, &"docs".into()).ok().and_then(|d| d.dyn_into::<js_sys::Array>().ok()).unwrap_or_default();
    let docs = listed
        .iter()
        .filter_map(|doc| {
            let doc: js_sys::Array = doc.dyn_into().ok()?;
            Some(Doc { id: doc.get(0).as_string()?, title: doc.get(1).as_string()?, suggest_on: strings(doc.get(2)) })
        })
        .collect();
    let mut guides = Vec::new();
    if let Ok(map) = Reflect::get(data, &"guides".into()) {
        for kind in offered_types() {
            let steps = Reflect::get(&map, &JsValue::from_str(kind.as_str())).unwrap_or(JsValue::NULL);
            if steps.is_object() {
                guides.push((kind.clone(), strings(steps)));
            }
        }
    }
    (docs, guides)
}

thread_local! {
    static PANEL: RefCell<Option<Panel>> = const { RefCell::new(None) };
}

/// Runs when the wasm loads on the widget page (`/widget/{site}/`,
/// element `#buoy`); does nothing on any other page.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let Some((doc, root, site, host_origin)) = page()? else { return Ok(()) };
    // The catalog comes with the page data (parsed once): read it before drawing.
    let data = page_json(&doc).unwrap_or(JsValue::NULL);
    read_catalog(&data);
    let (docs, guides) = page_data(&data);
    let panel = mount(&root, &site, host_origin)?;
    // The page's language, which the loader may not have picked (the
    // site's default): it names the launcher and docks it by it.
    panel.inner.borrow().post_to_host("ready", Some(("lang", &buoy_widget_core::page::lang())));
    panel.set_guides(guides);
    {
        let mut inner = panel.inner.borrow_mut();
        inner.docs = docs;
        // An embedded panel draws its suggestions when the host opens it
        // (they follow the host page's URL); a preload draws nothing twice.
        if inner.host_origin.is_none() {
            inner.refresh_list();
        }
    }
    PANEL.with(|slot| *slot.borrow_mut() = Some(panel));
    // Its buttons answer from now on (the build wrote `data-starting`).
    root.remove_attribute("data-starting")
}

/// The panel's one part of a verified user's history (the inbox module
/// keeps it): takes the identity of the host's `identify` message (none
/// at `logout`) and passes the message on to the inbox module, loading it
/// for a signed identity. The inbox lists the user's tickets from other
/// devices once the panel opens, and forgets them at logout.
fn vouch(inner: &Rc<RefCell<Inner>>, data: &JsValue, identity: Option<buoy_shared::identity::IdentityClaim>) {
    let mut panel = inner.borrow_mut();
    panel.identity = identity;
    protocol::tell_who(&panel.root, data);
    if panel.identity.as_ref().is_some_and(buoy_shared::identity::IdentityClaim::is_signed) {
        protocol::load(&panel.root, Module::Inbox);
    }
    panel.signal(None);
}

/// What the outcome of sending a ticket means for the form.
fn ticket_outcome(outcome: Result<(u16, JsValue), JsValue>) -> Msg {
    match outcome {
        Ok((200..=299, json)) => match (field_of(&json, "reference"), field_of(&json, "id"), field_of(&json, "requester_token")) {
            (Some(reference), Some(id), Some(token)) => Msg::Created(Receipt { reference, id, token }),
            _ => Msg::Failed(Failure::Problem { code: "internal".into(), errors: Vec::new() }),
        },
        outcome => Msg::Failed(net::failure(outcome)),
    }
}

impl Inner {
    /// After sending: when a first reply is due, as the worker wrote it
    /// for the requester (`first_response_line`: their language, their zone).
    fn due(&self, answer: &JsValue) {
        let Some(line) = self.sent.query_selector("#buoy-due").ok().flatten() else { return };
        let text = field_of(answer, "first_response_line");
        line.set_text_content(text.as_deref());
        set_hidden(&line, text.is_none());
    }
}
