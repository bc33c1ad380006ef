//! Buoy's form module (`buoy-widget-form`, cdylib `form`): the ticket
//! form's send path, which the panel loads when its form shows, on intent
//! (a pointer on or focus in what opens it) and at the host's prefill, so
//! the first open does without it.
//!
//! It reads and checks the form (`NewTicket::validate`; the site's custom
//! fields by the browser's constraints), queues the ticket in the outbox
//! (the inbox module sends it and reports back, `buoy:sent`), draws the
//! form's errors, its confirmation and when a first reply is due, and
//! writes the site's own fields of the host's prefill. It says where the form is through
//! `buoy_widget_core::protocol::tell_form`; the panel keeps the screens
//! and shows the form or its confirmation by it. A submit pressed before
//! the module ran is marked on the form by the panel and taken at start.
#![deny(missing_docs)]

pub mod state;

use buoy_shared::messages::MessageId;
use buoy_shared::ticket::{Field, NewTicket, PageContext};
use buoy_widget_core::dom::{by_ids, focus, set_hidden, Listener};
use buoy_widget_core::host::{claim_of, post_to_host};
use buoy_widget_core::net;
use buoy_widget_core::page::{field_of, page, page_json, random_key, read_catalog, t};
use buoy_widget_core::protocol::{self, Form, Module};
use buoy_widget_core::store;
use js_sys::{Object, Reflect};
use state::{Effect, Msg, Phase, Receipt, State};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlButtonElement, HtmlFormElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

/// The form's controls, in form order.
struct Controls {
    name: HtmlInputElement,
    email: HtmlInputElement,
    kind: HtmlSelectElement,
    subject: HtmlInputElement,
    message: HtmlTextAreaElement,
    honeypot: HtmlInputElement,
}

struct Inner {
    site: String,
    root: Element,
    host_origin: Option<String>,
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
    sent_heading: Element,
    reference: Element,
    due: Element,
}

/// A mounted form. Dropping it removes its listeners.
pub struct FormModule {
    inner: Rc<RefCell<Inner>>,
    _listeners: Vec<Listener>,
}

impl core::fmt::Debug for FormModule {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FormModule").field("state", &self.inner.borrow().state).finish_non_exhaustive()
    }
}

/// The ids of the form's elements, in the order `build` takes them.
const IDS: [&str; 17] = [
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
    "buoy-form",
    "buoy-banner",
    "buoy-submit",
    "buoy-sent-title",
    "buoy-ref",
    "buoy-due",
];

/// Finds the form's elements in the panel's markup (written into the
/// page at build time by `buoy_shared::panel::skeleton`): all are looked
/// up first and taken in one step (one failure path keeps the wasm small).
fn build(root: &Element, site: &str, host_origin: Option<String>) -> Result<Inner, JsValue> {
    let [name_el, name_err, email_el, email_err, kind_el, kind_err, subject_el, subject_err, message_el, message_err, honeypot, form, banner, submit, sent_heading, reference, due] =
        by_ids(root, &IDS)?;
    let controls = Controls {
        name: name_el.clone().unchecked_into(),
        email: email_el.clone().unchecked_into(),
        kind: kind_el.clone().unchecked_into(),
        subject: subject_el.clone().unchecked_into(),
        message: message_el.clone().unchecked_into(),
        honeypot: honeypot.unchecked_into(),
    };
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
        host_origin,
        state: State::default(),
        form: form.unchecked_into(),
        banner,
        controls,
        field_errors,
        fields,
        submit: submit.unchecked_into(),
        sent_heading,
        reference,
        due,
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
        let open = protocol::kept(&self.root, "open").unwrap_or(JsValue::NULL);
        // The host's last `identify` (none after a `logout`), passed on
        // with the ticket for the worker to check.
        let identity =
            protocol::who(&self.root).filter(|who| field_of(who, "type").as_deref() == Some("identify")).map(|who| claim_of(&who));
        NewTicket {
            site: self.site.clone(),
            name: c.name.value(),
            email: c.email.value(),
            kind: c.kind.value(),
            subject: c.subject.value(),
            message: c.message.value(),
            context: PageContext {
                url: field_of(&open, "url"),
                title: field_of(&open, "title"),
                // The language the panel speaks, which mail to the requester follows.
                locale: Some(buoy_widget_core::page::lang()).filter(|l| !l.is_empty()),
                time_zone: browser_time_zone(),
                user_agent: navigator.and_then(|n| n.user_agent().ok()),
                ..PageContext::default()
            },
            honeypot: c.honeypot.value(),
            identity,
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
            // read (feature `server`): the form sends them as JS objects
            // (`fields_of`, the kept `context`).
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

    /// The host's context (`Buoy('context')`), a JS object of text (or
    /// null), sent with each ticket as reported by the page. Checked by
    /// the worker, which refuses context over its limits with a 422
    /// naming the key (the loader passes 20 keys at most).
    fn context(&self) -> JsValue {
        protocol::kept(&self.root, "context").and_then(|m| Reflect::get(&m, &"context".into()).ok()).unwrap_or(JsValue::NULL)
    }

    /// Writes the site's own fields of the host's last prefill into the
    /// form (the panel writes its subject, message and type at once).
    fn prefill(&self) {
        let Some(data) = protocol::kept(&self.root, "prefill") else { return };
        let given = Reflect::get(&data, &"fields".into()).unwrap_or(JsValue::NULL);
        for (id, control, is_checkbox) in &self.fields {
            let Some(value) = Reflect::get(&given, &id.into()).ok().and_then(|v| v.as_string()) else { continue };
            let (property, value) =
                if *is_checkbox { ("checked", JsValue::from_bool(value == "true")) } else { ("value", JsValue::from_str(&value)) };
            let _ = Reflect::set(control, &property.into(), &value);
        }
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
        // The panel shows the form or its confirmation by this.
        protocol::tell_form(
            &self.root,
            match state.phase {
                Phase::Editing => Form::Editing,
                Phase::Sending => Form::Sending,
                Phase::Sent(_) => Form::Sent,
            },
        );
    }

    /// After sending: when a first reply is due, as the worker wrote it
    /// for the requester (`first_response_line`: their language, their zone).
    fn due(&self, answer: &JsValue) {
        let text = field_of(answer, "first_response_line");
        self.due.set_text_content(text.as_deref());
        set_hidden(&self.due, text.is_none());
    }
}

/// The form pressed: the site's own fields are checked by the browser's
/// constraints (`required`, a number's type), each said at its control
/// (the worker checks them all again); then the form's state decides.
fn submitted(inner: &Rc<RefCell<Inner>>) {
    protocol::take_submit(&inner.borrow().form);
    let report = |c: &Element| {
        let check: js_sys::Function = Reflect::get(c, &"reportValidity".into()).unwrap_or(JsValue::NULL).unchecked_into();
        check.call0(c).ok().and_then(|v| v.as_bool()) == Some(false)
    };
    if inner.borrow().fields.iter().any(|(_, c, _)| report(c)) {
        return;
    }
    let ticket = inner.borrow().read_form();
    dispatch(inner, Msg::Submit { ticket: Box::new(ticket), fresh_key: random_key() });
}

fn dispatch(inner: &Rc<RefCell<Inner>>, msg: Msg) {
    let effect = {
        let mut guard = inner.borrow_mut();
        let effect = guard.state.update(msg);
        guard.render();
        effect
    };
    let panel = inner.borrow();
    match effect {
        Effect::Redraw => {}
        Effect::Send(ticket, key, replaces) => {
            // Into the outbox first (it survives a reload); the inbox
            // module sends it, retries it, and reports back (`buoy:sent`).
            if let Some(old) = replaces {
                store::unqueue(&panel.site, &old);
            }
            if let Some(body) = net::body(&ticket, &panel.fields_of(), &panel.context()) {
                let about = ticket.subject.trim().to_owned();
                // The upload module adds the files the form will send.
                let files = String::new();
                store::queue(&panel.site, &store::Pending { key, url: "/v1/tickets".into(), body, about, token: None, queued: 0.0, files });
            }
            protocol::load(&panel.root, Module::Inbox);
            // Queued: the modules hear it now (the upload module adds the files).
            panel.render();
        }
        Effect::FocusFirstError => {
            let first = panel.field_errors.iter().find(|(field, _, _)| panel.state.error_for(*field).is_some());
            match first {
                Some((_, control, _)) => focus(control),
                None => focus(&panel.banner),
            }
        }
        Effect::Confirm(receipt) => {
            focus(&panel.sent_heading);
            post_to_host(panel.host_origin.as_deref(), "ticket:created", Some(("reference", &receipt.reference)));
        }
        Effect::FocusForm => {
            panel.form.reset();
            focus(panel.controls.name.as_ref());
        }
    }
}

/// What the outcome of sending a ticket means for the form.
fn ticket_outcome(outcome: Result<(u16, JsValue), JsValue>) -> Msg {
    match outcome {
        Ok((200..=299, json)) => match (field_of(&json, "reference"), field_of(&json, "id"), field_of(&json, "requester_token")) {
            (Some(reference), Some(id), Some(token)) => Msg::Created(Receipt { reference, id, token }),
            _ => Msg::Failed(net::Failure::Problem { code: "internal".into(), errors: Vec::new() }),
        },
        outcome => Msg::Failed(net::failure(outcome)),
    }
}

/// Brings the ticket form in `root` (which holds the markup of
/// `buoy_shared::panel::skeleton`, with the panel mounted on it) to life
/// for `site`, telling a host page on `host_origin` of each ticket sent.
///
/// # Errors
/// When the markup is incomplete or the browser refuses a listener.
pub fn mount(root: &Element, site: &str, host_origin: Option<String>) -> Result<FormModule, JsValue> {
    let inner = Rc::new(RefCell::new(build(root, site, host_origin)?));
    let form = inner.borrow().form.clone();
    let listeners = vec![
        // After the panel's own listener, which keeps the browser from sending the form.
        Listener::owned(&inner, &form, "submit", |inner, _| submitted(inner))?,
        // The inbox module's report on a ticket this form sent.
        Listener::owned(&inner, root, protocol::SENT_EVENT, |inner, _| {
            let Some(report) = protocol::read_report(&inner.borrow().root) else { return };
            let ours = inner.borrow().state.key.as_ref().is_some_and(|(key, _)| *key == report.key);
            if ours {
                inner.borrow().due(&report.body);
                dispatch(inner, ticket_outcome(if report.status == 0 { Err(JsValue::NULL) } else { Ok((report.status, report.body)) }));
            }
        })?,
        Listener::owned(&inner, root, protocol::PREFILL_EVENT, |inner, _| inner.borrow().prefill())?,
        // "Send another message", under the confirmation.
        Listener::owned(&inner, root, "click", |inner, event| {
            let again =
                event.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.closest("[data-act=again]").ok().flatten());
            if again.is_some() {
                dispatch(inner, Msg::Reset);
            }
        })?,
    ];
    inner.borrow().prefill();
    // A submit pressed before the module ran.
    if protocol::take_submit(&form) {
        submitted(&inner);
    }
    Ok(FormModule { inner, _listeners: listeners })
}

impl FormModule {
    /// A snapshot of the form's state, for tests.
    pub fn state(&self) -> State {
        self.inner.borrow().state.clone()
    }
}

thread_local! {
    static FORM: RefCell<Option<FormModule>> = const { RefCell::new(None) };
}

/// Runs when the form module loads on the widget page (the panel adds
/// it); does nothing on any other page.
///
/// # Errors
/// When the markup is incomplete or the browser refuses a listener.
#[wasm_bindgen(start)]
pub fn start_form() -> Result<(), JsValue> {
    let Some((doc, root, site, host_origin)) = page()? else { return Ok(()) };
    read_catalog(&page_json(&doc).unwrap_or(JsValue::NULL));
    let form = mount(&root, &site, host_origin)?;
    FORM.with(|slot| *slot.borrow_mut() = Some(form));
    Ok(())
}
