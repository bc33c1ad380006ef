//! Buoy's help panel: a view over `buoy-shared`, running in an iframe
//! served from the worker's origin.
//!
//! [`state`] holds the pure state machine, [`net`] the one network call,
//! [`dom`] helpers that clean up after themselves; this file draws the
//! state and carries out effects. Every string comes from the message
//! catalog in `buoy-shared`; typed text is only ever set as text.
#![deny(missing_docs)]

pub mod dom;
pub mod net;
pub mod state;

use buoy_shared::messages::{self, Locale, MessageId};
use buoy_shared::ticket::{Field, NewTicket, PageContext, TicketType};
use dom::{element, focus, set_hidden, text_element, Listener};
use js_sys::{Object, Reflect};
use state::{Effect, Msg, Phase, State};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, HtmlButtonElement, HtmlFormElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent,
    MessageEvent,
};

fn t(id: MessageId) -> &'static str {
    messages::text(Locale::En, id)
}

/// The form's controls, in form order.
struct Controls {
    name: HtmlInputElement,
    email: HtmlInputElement,
    kind: HtmlSelectElement,
    subject: HtmlInputElement,
    message: HtmlTextAreaElement,
}

struct Inner {
    site: String,
    host_origin: Option<String>,
    host_url: Option<String>,
    host_title: Option<String>,
    state: State,
    form: HtmlFormElement,
    banner: Element,
    controls: Controls,
    /// Each visible field, its control and its error line.
    field_errors: Vec<(Field, Element, Element)>,
    close: Element,
    submit: HtmlButtonElement,
    sent: Element,
    sent_heading: Element,
    reference: Element,
    new_request: Element,
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

fn field<E: JsCast>(
    doc: &Document,
    form: &Element,
    id: &str,
    label: MessageId,
    tag: &str,
    attrs: &[(&str, &str)],
) -> Result<(E, Element, Element), JsValue> {
    let wrap = element(doc, "div", &[("class", "field")], Some(form))?;
    text_element(doc, "label", &[("for", id)], t(label), Some(&wrap))?;
    let control = element(doc, tag, attrs, Some(&wrap))?;
    control.set_id(id);
    let mut error_id = String::from(id);
    error_id.push_str("-error");
    control.set_attribute("aria-describedby", &error_id)?;
    let error = element(doc, "p", &[("class", "error"), ("id", &error_id), ("hidden", "")], Some(&wrap))?;
    let typed = control.clone().dyn_into::<E>().map_err(|_| JsValue::NULL)?;
    Ok((typed, control, error))
}

fn build(doc: &Document, root: &Element, site: &str, host_origin: Option<String>) -> Result<Inner, JsValue> {
    let panel = element(
        doc,
        "div",
        &[("class", "panel"), ("role", "dialog"), ("aria-modal", "true"), ("aria-labelledby", "buoy-title")],
        Some(root),
    )?;
    let bar = element(doc, "header", &[("class", "bar")], Some(&panel))?;
    text_element(doc, "h1", &[("id", "buoy-title")], t(MessageId::PanelTitle), Some(&bar))?;
    let close =
        text_element(doc, "button", &[("type", "button"), ("class", "close"), ("aria-label", t(MessageId::Close))], "×", Some(&bar))?;

    let form_el = element(doc, "form", &[("class", "form"), ("novalidate", ""), ("aria-describedby", "buoy-intro")], Some(&panel))?;
    text_element(doc, "p", &[("class", "intro"), ("id", "buoy-intro")], t(MessageId::FormIntro), Some(&form_el))?;
    let banner = element(doc, "p", &[("class", "banner"), ("role", "alert"), ("hidden", "")], Some(&form_el))?;
    let (name, name_el, name_err) = field::<HtmlInputElement>(
        doc,
        &form_el,
        "buoy-name",
        MessageId::FieldName,
        "input",
        &[("name", "name"), ("autocomplete", "name")],
    )?;
    let (email, email_el, email_err) = field::<HtmlInputElement>(
        doc,
        &form_el,
        "buoy-email",
        MessageId::FieldEmail,
        "input",
        &[("name", "email"), ("type", "email"), ("autocomplete", "email"), ("required", "")],
    )?;
    let (kind, kind_el, kind_err) =
        field::<HtmlSelectElement>(doc, &form_el, "buoy-type", MessageId::FieldType, "select", &[("name", "type"), ("required", "")])?;
    text_element(doc, "option", &[("value", "")], t(MessageId::ChooseType), Some(&kind_el))?;
    for kind in TicketType::ALL {
        text_element(doc, "option", &[("value", kind.as_str())], t(messages::ticket_type(*kind)), Some(&kind_el))?;
    }
    let (subject, subject_el, subject_err) = field::<HtmlInputElement>(
        doc,
        &form_el,
        "buoy-subject",
        MessageId::FieldSubject,
        "input",
        &[("name", "subject"), ("required", "")],
    )?;
    let (message, message_el, message_err) = field::<HtmlTextAreaElement>(
        doc,
        &form_el,
        "buoy-message",
        MessageId::FieldMessage,
        "textarea",
        &[("name", "message"), ("rows", "6"), ("required", "")],
    )?;
    let submit = text_element(doc, "button", &[("type", "submit"), ("class", "send")], t(MessageId::Submit), Some(&form_el))?;

    let sent = element(doc, "section", &[("class", "sent"), ("hidden", "")], Some(&panel))?;
    let sent_heading = text_element(doc, "h2", &[("tabindex", "-1")], t(MessageId::SentTitle), Some(&sent))?;
    let line = text_element(doc, "p", &[], t(MessageId::SentReference), Some(&sent))?;
    line.append_with_str_1(" ")?;
    let reference = element(doc, "strong", &[("class", "ref")], Some(&line))?;
    text_element(doc, "p", &[], t(MessageId::SentNext), Some(&sent))?;
    let new_request = text_element(doc, "button", &[("type", "button"), ("class", "again")], t(MessageId::NewRequest), Some(&sent))?;

    Ok(Inner {
        site: site.into(),
        host_origin,
        host_url: None,
        host_title: None,
        state: State::default(),
        form: form_el.dyn_into().map_err(|_| JsValue::NULL)?,
        banner,
        controls: Controls { name, email, kind, subject, message },
        field_errors: vec![
            (Field::Name, name_el, name_err),
            (Field::Email, email_el, email_err),
            (Field::Type, kind_el, kind_err),
            (Field::Subject, subject_el, subject_err),
            (Field::Message, message_el, message_err),
        ],
        close,
        submit: submit.dyn_into().map_err(|_| JsValue::NULL)?,
        sent,
        sent_heading,
        reference,
        new_request,
    })
}

fn browser_time_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &Object::new());
    Reflect::get(&format.resolved_options(), &JsValue::from_str("timeZone")).ok()?.as_string()
}

impl Inner {
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
                locale: navigator.as_ref().and_then(|n| n.language()),
                time_zone: browser_time_zone(),
                user_agent: navigator.and_then(|n| n.user_agent().ok()),
            },
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
        set_hidden(&self.sent, sent.is_none());
        set_hidden(&self.form, sent.is_some());
    }

    fn post_to_host(&self, kind: &str, detail: Option<(&str, &str)>) {
        let (Some(origin), Some(window)) = (&self.host_origin, web_sys::window()) else {
            return;
        };
        let Ok(Some(parent)) = window.parent() else {
            return;
        };
        let message = Object::new();
        let _ = Reflect::set(&message, &"buoy".into(), &JsValue::from(1));
        let _ = Reflect::set(&message, &"type".into(), &kind.into());
        if let Some((key, value)) = detail {
            let _ = Reflect::set(&message, &key.into(), &value.into());
        }
        // Always a named target origin, never "*".
        let _ = parent.post_message(&message, origin);
    }

    /// The first and last controls that take focus, for the focus trap.
    fn focus_ends(&self) -> (Element, Element) {
        let last: &Element = match self.state.phase {
            Phase::Sent(_) => &self.new_request,
            Phase::Sending => self.controls.message.as_ref(),
            Phase::Editing => self.submit.as_ref(),
        };
        (self.close.clone(), last.clone())
    }

    fn focus_entry(&self) {
        match self.state.phase {
            Phase::Sent(_) => focus(&self.sent_heading),
            _ => focus(self.controls.name.as_ref()),
        }
    }
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
        Effect::Send(ticket, key) => {
            let weak = Rc::downgrade(inner);
            wasm_bindgen_futures::spawn_local(async move {
                let msg = net::create_ticket(*ticket, key).await;
                if let Some(inner) = weak.upgrade() {
                    dispatch(&inner, msg);
                }
            });
        }
        Effect::FocusFirstError => {
            let first = panel.field_errors.iter().find(|(field, _, _)| panel.state.error_for(*field).is_some());
            match first {
                Some((_, control, _)) => focus(control),
                None => focus(&panel.banner),
            }
        }
        Effect::Confirm(reference) => {
            focus(&panel.sent_heading);
            panel.post_to_host("ticket:created", Some(("reference", &reference)));
        }
        Effect::FocusForm => {
            panel.form.reset();
            focus(panel.controls.name.as_ref());
        }
    }
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

fn random_key() -> String {
    web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.random_uuid()).unwrap_or_default()
}

/// Draws the panel into `root` for `site`, talking to a host page on
/// `host_origin` (none when the panel is not embedded).
///
/// # Errors
/// When the browser refuses to create an element or a listener.
pub fn mount(root: &Element, site: &str, host_origin: Option<String>) -> Result<Panel, JsValue> {
    let doc = web_sys::window().and_then(|w| w.document()).ok_or(JsValue::NULL)?;
    let inner = Rc::new(RefCell::new(build(&doc, root, site, host_origin)?));
    let (form, close, again) = {
        let i = inner.borrow();
        (i.form.clone(), i.close.clone(), i.new_request.clone())
    };
    let mut listeners = vec![
        on(&inner, &form, "submit", |inner, event| {
            event.prevent_default();
            let ticket = inner.borrow().read_form();
            dispatch(inner, Msg::Submit { ticket: Box::new(ticket), fresh_key: random_key() });
        })?,
        on(&inner, &close, "click", |inner, _| inner.borrow().post_to_host("close", None))?,
        on(&inner, &again, "click", |inner, _| dispatch(inner, Msg::Reset))?,
        on(&inner, root, "keydown", |inner, event| {
            let Some(key) = event.dyn_ref::<KeyboardEvent>() else {
                return;
            };
            let panel = inner.borrow();
            match key.key().as_str() {
                "Escape" => panel.post_to_host("close", None),
                "Tab" => {
                    // Keep focus inside the dialog while it is open.
                    let (first, last) = panel.focus_ends();
                    let active = doc_active();
                    let at = |el: &Element| active.as_ref().is_some_and(|a| a == el);
                    if key.shift_key() && at(&first) {
                        key.prevent_default();
                        focus(&last);
                    } else if !key.shift_key() && at(&last) {
                        key.prevent_default();
                        focus(&first);
                    }
                }
                _ => {}
            }
        })?,
    ];
    if let Some(window) = web_sys::window() {
        listeners.push(on(&inner, &window, "message", |inner, event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            let from_parent =
                web_sys::window().and_then(|w| w.parent().ok().flatten()).zip(event.source()).is_some_and(|(p, s)| Object::is(&p, &s));
            let mut panel = inner.borrow_mut();
            if !from_parent || panel.host_origin.as_deref() != Some(event.origin().as_str()) {
                return;
            }
            let data = event.data();
            let field = |key: &str| Reflect::get(&data, &JsValue::from_str(key)).ok();
            if field("buoy").and_then(|v| v.as_f64()) != Some(1.0) || field("type").and_then(|v| v.as_string()).as_deref() != Some("open") {
                return;
            }
            panel.host_url = field("url").and_then(|v| v.as_string());
            panel.host_title = field("title").and_then(|v| v.as_string());
            panel.focus_entry();
            // A User Timing mark: the panel is interactive (the benchmarks read it).
            if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                let _ = performance.mark("buoy:interactive");
            }
        })?);
    }
    inner.borrow().render();
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
}

thread_local! {
    static PANEL: RefCell<Option<Panel>> = const { RefCell::new(None) };
}

/// Runs when the wasm loads on the widget page (`/widget/{site}/`,
/// element `#buoy`); does nothing on any other page.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let Some(window) = web_sys::window() else {
        return Ok(());
    };
    let Some(root) = window.document().and_then(|d| d.get_element_by_id("buoy")) else {
        return Ok(());
    };
    let location = window.location();
    let path = location.pathname()?;
    let site = path.strip_prefix("/widget/").unwrap_or(&path).trim_end_matches('/');
    // The loader names the host page's origin in the fragment; messages
    // are only taken from, and only sent to, that origin.
    let hash = location.hash()?;
    let host_origin = js_sys::decode_uri_component(hash.trim_start_matches('#')).ok().map(String::from).filter(|o| !o.is_empty());
    let panel = mount(&root, site, host_origin)?;
    panel.inner.borrow().post_to_host("ready", None);
    PANEL.with(|slot| *slot.borrow_mut() = Some(panel));
    Ok(())
}
