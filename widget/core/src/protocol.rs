//! The one contract between the panel and the modules it loads (the
//! inbox, help, upload and form modules, see [`Module`]), which share the
//! widget page but not their code or memory: what the panel tells them
//! ([`Signal`], with a [`Screen`], and the host's last `identify` or
//! `logout` message and its other messages the form reads, [`keep`]),
//! where the form module says the ticket form is ([`Form`], [`tell_form`])
//! and what the inbox reports back about a ticket the form queued
//! ([`Report`]).
//!
//! The upload module loads when a form that takes files shows (the
//! panel's ticket form, the inbox's thread with its reply box) and takes
//! files from then on. It names the files a form will send in the form's
//! `data-files` ([`set_tray`], read with [`tray`]); the outbox entry of
//! that form's message carries them until they are uploaded.
//!
//! Both sides go through this module only: it alone spells the root's
//! attributes, property and event names, and encodes and decodes each
//! type. A signal is the root's `data-inbox-*` attributes followed by a
//! `buoy:change` event; a report is the root's `data-inbox-sent` (JSON)
//! followed by `buoy:sent`. Events are synchronous, so each side reads
//! the other's latest word when it hears the event.

use crate::page::field_of;
use js_sys::{Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

/// Which screen the panel shows, as far as the modules it loads are concerned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Screen {
    /// A screen only the panel draws (home, a guide, the form…).
    #[default]
    Elsewhere,
    /// An article, by id: the help module draws its body.
    Article(String),
    /// The requester's tickets on this device.
    Tickets,
    /// One ticket's thread, by id.
    Thread(String),
}

/// Where the panel's ticket form is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Form {
    /// Being filled in (or not yet touched).
    #[default]
    Editing,
    /// Queued and being sent: the outbox holds its text.
    Sending,
    /// Taken by the API: its confirmation shows.
    Sent,
}

/// What the panel tells the inbox module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signal {
    /// The screen that shows.
    pub screen: Screen,
    /// Whether the host shows the panel.
    pub open: bool,
    /// Whether the requester typed in the panel (outside its search box).
    pub typed: bool,
    /// The ticket form's phase.
    pub form: Form,
}

impl Screen {
    /// The screen as the root's `data-inbox-view` and `data-inbox-ticket`
    /// (the article's or ticket's id) carry it.
    pub fn encode(&self) -> (&str, &str) {
        match self {
            Screen::Elsewhere => ("", ""),
            Screen::Article(id) => ("article", id),
            Screen::Tickets => ("tickets", ""),
            Screen::Thread(id) => ("thread", id),
        }
    }

    /// The screen those two attributes name (an unknown one is elsewhere).
    pub fn decode(view: &str, ticket: &str) -> Self {
        match view {
            "article" => Screen::Article(ticket.into()),
            "tickets" => Screen::Tickets,
            "thread" => Screen::Thread(ticket.into()),
            _ => Screen::Elsewhere,
        }
    }
}

impl Form {
    /// The phase as the root's `data-inbox-form` carries it.
    pub fn encode(self) -> &'static str {
        match self {
            Form::Editing => "",
            Form::Sending => "sending",
            Form::Sent => "sent",
        }
    }

    /// The phase that attribute names (an unknown one is editing).
    pub fn decode(text: &str) -> Self {
        match text {
            "sending" => Form::Sending,
            "sent" => Form::Sent,
            _ => Form::Editing,
        }
    }
}

/// The event that says a [`Signal`] changed (the panel sends it).
pub const CHANGE_EVENT: &str = "buoy:change";
/// The event that says a [`Report`] arrived (the inbox module sends it).
pub const SENT_EVENT: &str = "buoy:sent";
/// The event that says the host prefilled the form (the panel kept it).
pub const PREFILL_EVENT: &str = "buoy:prefill";

const VIEW: &str = "data-inbox-view";
const TICKET: &str = "data-inbox-ticket";
const OPEN: &str = "data-inbox-open";
const TYPED: &str = "data-inbox-typed";
const FORM: &str = "data-inbox-form";
const SENT: &str = "data-inbox-sent";
/// The form's mark of a submit the form module has not heard yet.
const SUBMIT: &str = "data-submitted";
/// A form's attribute naming the files it will send (their local keys).
const TRAY: &str = "data-files";

/// The root's property that holds the host's last `identify` or `logout`
/// message (a property, not an attribute: it stays in this page's memory).
const WHO: &str = "buoyWho";

/// A wasm module the panel loads when it is first needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Module {
    /// The requester's tickets, threads, outbox, drafts and history.
    Inbox,
    /// Search as you type, and articles.
    Help,
    /// Attachments: uploads with their progress, the files waiting for
    /// the network, and a thread's files.
    Upload,
    /// The inline panel's height, told to the host page at each change
    /// (`www/widget/inline.js`, plain JavaScript): loaded only when the
    /// loader mounts the panel inline in a host element.
    Inline,
    /// The ticket form's send path: reading and checking the form, the
    /// outbox, its errors and confirmation, the host's prefill. Loaded
    /// when the form shows, on intent (a pointer on or focus in what
    /// opens it) and at a prefill.
    Form,
}

impl Module {
    /// The root's attribute that names the module's script, in the
    /// build's content-hashed folder (`/w/{hash}/inbox.js`; the build
    /// writes it into the page). A page opened before a deploy names a
    /// file the deploy removed: the worker answers for it with
    /// `www/widget/reload.js`, which reloads the page once nothing typed
    /// would be lost.
    pub const fn source_attribute(self) -> &'static str {
        match self {
            Module::Inbox => "data-inbox-src",
            Module::Help => "data-help-src",
            Module::Upload => "data-upload-src",
            Module::Inline => "data-inline-src",
            Module::Form => "data-form-src",
        }
    }

    /// The id of the module's script element once added.
    const fn element_id(self) -> &'static str {
        match self {
            Module::Inbox => "buoy-inbox",
            Module::Help => "buoy-help",
            Module::Upload => "buoy-upload",
            Module::Inline => "buoy-inline",
            Module::Form => "buoy-form-module",
        }
    }

    /// The module whose screen this is, if any.
    pub fn drawing(screen: &Screen) -> Option<Self> {
        match screen {
            Screen::Elsewhere => None,
            Screen::Article(_) => Some(Module::Help),
            Screen::Tickets | Screen::Thread(_) => Some(Module::Inbox),
        }
    }
}

fn dispatch(root: &Element, kind: &str) {
    if let Ok(event) = web_sys::Event::new(kind) {
        let _ = root.dispatch_event(&event);
    }
}

/// The panel tells the modules it loads which screen shows and (when
/// given) whether the panel is open; a module's screen loads that module.
pub fn tell(root: &Element, screen: &Screen, open: Option<bool>) {
    let (view, ticket) = screen.encode();
    let _ = root.set_attribute(VIEW, view);
    let _ = root.set_attribute(TICKET, ticket);
    if let Some(open) = open {
        let _ = root.set_attribute(OPEN, if open { "1" } else { "" });
    }
    if let Some(module) = Module::drawing(screen) {
        load(root, module);
    }
    dispatch(root, CHANGE_EVENT);
}

/// The form module says where the ticket form is (the panel shows the
/// form or its confirmation by it).
pub fn tell_form(root: &Element, form: Form) {
    let _ = root.set_attribute(FORM, form.encode());
    dispatch(root, CHANGE_EVENT);
}

/// The panel keeps the host's last message of a kind the form module
/// reads (`open`: the host page's URL and title; `context`; `prefill`),
/// on the root, by its type; a prefill loads the form module and is
/// announced (`buoy:prefill`).
pub fn keep(root: &Element, message: &JsValue) {
    let kind = field_of(message, "type").unwrap_or_default();
    let _ = Reflect::set(root, &kept_name(&kind).into(), message);
    if kind == "prefill" {
        load(root, Module::Form);
        dispatch(root, PREFILL_EVENT);
    }
}

/// The host's last message of a kind, as the panel kept it.
pub fn kept(root: &Element, kind: &str) -> Option<JsValue> {
    Reflect::get(root, &kept_name(kind).into()).ok().filter(JsValue::is_object)
}

fn kept_name(kind: &str) -> String {
    let mut name = String::from("buoyKept:");
    name.push_str(kind);
    name
}

/// A submit the form module has not heard: the panel marks the form
/// (its own listener keeps the browser from sending it), and the module
/// takes the mark when it starts, or at once when it runs.
pub fn mark_submit(form: &Element) {
    let _ = form.set_attribute(SUBMIT, "");
}

/// Takes the form's submit mark: whether it was there.
pub fn take_submit(form: &Element) -> bool {
    let marked = form.has_attribute(SUBMIT);
    let _ = form.remove_attribute(SUBMIT);
    marked
}

/// The panel says the requester typed (outside the search box): the
/// inbox module loads, and keeps what was typed as a draft.
pub fn tell_typed(root: &Element) {
    let _ = root.set_attribute(TYPED, "");
    load(root, Module::Inbox);
}

/// The panel passes on the host's `identify` or `logout` message.
pub fn tell_who(root: &Element, message: &JsValue) {
    let _ = Reflect::set(root, &WHO.into(), message);
}

/// What the panel last told the inbox module.
pub fn heard(root: &Element) -> Signal {
    let attr = |name| root.get_attribute(name).unwrap_or_default();
    Signal {
        screen: Screen::decode(&attr(VIEW), &attr(TICKET)),
        open: attr(OPEN) == "1",
        typed: root.has_attribute(TYPED),
        form: Form::decode(&attr(FORM)),
    }
}

/// The host's last `identify` or `logout` message, as the panel passed it on.
pub fn who(root: &Element) -> Option<JsValue> {
    Reflect::get(root, &WHO.into()).ok().filter(JsValue::is_object)
}

/// How sending a ticket the form queued went.
#[derive(Clone, Debug)]
pub struct Report {
    /// The ticket's idempotency key (its outbox key).
    pub key: String,
    /// The API's status; 0 when no answer came.
    pub status: u16,
    /// The API's JSON answer (null when none).
    pub body: JsValue,
}

/// The inbox module reports on a ticket the form queued. The panel
/// answers synchronously, so the caller may hold no borrow the panel's
/// answer would need.
pub fn report(root: &Element, report: &Report) {
    let result = js_sys::Object::new();
    let _ = Reflect::set(&result, &"key".into(), &report.key.as_str().into());
    let _ = Reflect::set(&result, &"status".into(), &JsValue::from(report.status));
    let _ = Reflect::set(&result, &"body".into(), &report.body);
    if let Some(text) = JSON::stringify(&result).ok().and_then(|t| t.as_string()) {
        let _ = root.set_attribute(SENT, &text);
        dispatch(root, SENT_EVENT);
    }
}

/// The last report of the inbox module.
pub fn read_report(root: &Element) -> Option<Report> {
    let result = JSON::parse(&root.get_attribute(SENT)?).ok()?;
    let status = Reflect::get(&result, &"status".into()).ok().and_then(|s| s.as_f64()).unwrap_or(0.0) as u16;
    Some(Report { key: field_of(&result, "key")?, status, body: Reflect::get(&result, &"body".into()).unwrap_or(JsValue::NULL) })
}

/// A form's file input (none for a site without attachments).
pub fn file_input(form: &Element) -> Option<web_sys::HtmlInputElement> {
    form.query_selector("[type=file]").ok()?.map(JsCast::unchecked_into)
}

/// The upload module names the files a form will send with its message
/// (their local keys, in order).
pub fn set_tray(form: &Element, keys: &[String]) {
    let _ = form.set_attribute(TRAY, &keys.join(" "));
}

/// The files a form will send with its message, space-separated (empty
/// for none): the outbox entry keeps them until the upload module has
/// their upload ids.
pub fn tray(form: &Element) -> String {
    form.get_attribute(TRAY).unwrap_or_default()
}

/// Adds a module's styles, from beside its script (`/w/{hash}/inbox.css`
/// next to `inbox.js`, in the build's content-hashed folder).
///
/// # Errors
/// When the browser refuses the element.
// Inlined, so a module that names its own kind keeps only that kind's name.
#[inline(always)]
pub fn load_styles(doc: &web_sys::Document, module: Module) -> Result<(), JsValue> {
    styles_beside(doc, module.element_id())
}

fn styles_beside(doc: &web_sys::Document, script_id: &str) -> Result<(), JsValue> {
    let script = doc.get_element_by_id(script_id).and_then(|s| s.get_attribute("src")).unwrap_or_default();
    let mut href = script.strip_suffix("js").unwrap_or_default().to_owned();
    href.push_str("css");
    let sheet = doc.create_element("link")?;
    sheet.set_attribute("rel", "stylesheet")?;
    sheet.set_attribute("href", &href)?;
    if let Some(body) = doc.body() {
        body.append_child(&sheet)?;
    }
    Ok(())
}

/// Loads a module (once) into the widget page.
// Inlined, so a caller that names the module keeps only that module's
// names (the inbox module loads the upload module alone).
#[inline(always)]
pub fn load(root: &Element, module: Module) {
    load_script(root, module.element_id(), module.source_attribute());
}

fn load_script(root: &Element, id: &str, source_attribute: &str) {
    let Some(doc) = root.owner_document() else { return };
    if doc.get_element_by_id(id).is_some() {
        return;
    }
    let (Some(src), Ok(script)) = (root.get_attribute(source_attribute), doc.create_element("script")) else { return };
    for (name, value) in [("id", id), ("type", "module"), ("src", &src)] {
        let _ = script.set_attribute(name, value);
    }
    if let Some(body) = doc.body() {
        let _ = body.append_child(&script);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_screen_reads_back_as_itself() {
        for screen in [Screen::Elsewhere, Screen::Article("reset-your-password".into()), Screen::Tickets, Screen::Thread("t_01".into())] {
            let (view, ticket) = screen.encode();
            assert_eq!(Screen::decode(view, ticket), screen);
        }
    }

    #[test]
    fn each_screen_loads_the_module_that_draws_it() {
        assert_eq!(Module::drawing(&Screen::Elsewhere), None);
        assert_eq!(Module::drawing(&Screen::Article("a".into())), Some(Module::Help));
        assert_eq!(Module::drawing(&Screen::Tickets), Some(Module::Inbox));
        assert_eq!(Module::drawing(&Screen::Thread("t".into())), Some(Module::Inbox));
    }

    #[test]
    fn every_form_phase_reads_back_as_itself() {
        for form in [Form::Editing, Form::Sending, Form::Sent] {
            assert_eq!(Form::decode(form.encode()), form);
        }
    }

    #[test]
    fn an_unknown_screen_or_phase_is_the_default() {
        assert_eq!(Screen::decode("guide", "x"), Screen::Elsewhere);
        assert_eq!(Form::decode("bogus"), Form::Editing);
    }
}
