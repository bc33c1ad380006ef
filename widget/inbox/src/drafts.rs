//! Drafts: what the requester typed but has not sent yet survives a
//! reload (issue #8, "nothing lost"). The outbox (`convo.rs`) takes over
//! from the moment something is sent.
//!
//! Part of the inbox module: a first visit downloads none of it. The
//! panel's one part is its `input` listener: typing in the panel (the
//! requester's first interaction) loads this module and says so
//! (`Signal::typed`), so what was typed before it arrived is stored at
//! its start. From then on every `input` in the ticket form,
//! a thread's reply box or its rating comment is stored at once, one key
//! each (`buoy_shared::inbox::draft_key`); one emptied is deleted, never
//! stored empty. Storing a draft sets the site's marker key too, so after
//! a reload the panel loads this module at page start: it puts the ticket
//! draft back into the form's empty fields, and a thread's drafts into
//! its boxes when it shows. Loading and opening the panel store nothing.
//!
//! The ticket draft is deleted once the panel queues the ticket (its form
//! is `aria-busy` while it sends: the outbox holds the text), once the API
//! took it, and when the form is reset ("send another"); a ticket the API
//! refuses for good is kept again, its text still in the form. A reply's
//! draft is deleted once the reply is queued, a comment's once the rating
//! is taken ([`rated`]).

use buoy_shared::inbox::{self as rules, Draft};
use buoy_widget_core::dom::Listener;
use buoy_widget_core::protocol::{self, Form, Screen, CHANGE_EVENT, SENT_EVENT};
use buoy_widget_core::store as convo;
use js_sys::{Object, Reflect, JSON};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, HtmlTextAreaElement};

/// The elements drafts are kept from, in the order `start` takes them.
const IDS: [&str; 4] = ["buoy-form", "buoy-reply-form", "buoy-reply", "buoy-comment"];

/// The drafts of one site's panel.
struct Drafts {
    site: String,
    root: Element,
    /// The new-ticket form.
    form: Element,
    reply: HtmlTextAreaElement,
    comment: HtmlTextAreaElement,
    /// The ticket whose drafts the thread's boxes hold ("" before any).
    thread: String,
    /// Whether the form's ticket went to the outbox and has no final
    /// answer yet (taken, or refused for good).
    queued: bool,
}

/// Deletes a draft (for a ticket or identity this device forgets).
pub fn discard(site: &str, draft: Draft<'_>) {
    write(site, draft, None);
}

/// Stores a draft, or deletes it when `text` is `None`. A stored draft
/// sets the marker key (the inbox module then loads at page start); the
/// last thing deleted for the site deletes it.
fn write(site: &str, draft: Draft<'_>, text: Option<&str>) {
    let Some(storage) = convo::storage() else { return };
    let key = rules::draft_key(site, draft);
    match text {
        Some(text) => {
            let _ = storage.set_item(&key, text);
            let _ = storage.set_item(&convo::marker(site), "1");
        }
        None => {
            if storage.get_item(&key).ok().flatten().is_some() {
                convo::remove(site, &key);
            }
        }
    }
}

fn read(site: &str, draft: Draft<'_>) -> Option<String> {
    convo::storage()?.get_item(&rules::draft_key(site, draft)).ok()?
}

/// A DOM property as a string ("" when missing).
fn prop(el: &JsValue, name: &str) -> String {
    Reflect::get(el, &JsValue::from_str(name)).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// Stores a reply box or a comment: its text, or nothing when blank.
fn write_box(site: &str, draft: Draft<'_>, text: &str) {
    let empty = rules::draft_is_empty([("textarea", text)]);
    write(site, draft, (!empty).then_some(text));
}

/// Forgets the comment drafted for a ticket's rating: the API took the
/// rating (the inbox calls this).
pub fn rated(site: &str, ticket: &str) {
    write(site, Draft::Comment(ticket), None);
}

impl Drafts {
    /// The form's draft controls: each with its name, `type` and value.
    fn fields(&self) -> Vec<(JsValue, String, String, String)> {
        let Ok(nodes) = self.form.query_selector_all("input,select,textarea") else { return Vec::new() };
        (0..nodes.length())
            .filter_map(|i| nodes.item(i))
            .map(JsValue::from)
            .filter_map(|el| {
                let (name, kind, value) = (prop(&el, "name"), prop(&el, "type"), prop(&el, "value"));
                rules::is_draft_field(&name, &kind).then_some((el, name, kind, value))
            })
            .collect()
    }

    /// Stores what the form holds as `{name: value}` (filled fields only),
    /// or deletes the draft when it holds no text.
    fn save_form(&self) {
        let fields = self.fields();
        let text = if rules::draft_is_empty(fields.iter().map(|(_, _, kind, value)| (kind.as_str(), value.as_str()))) {
            None
        } else {
            let draft = Object::new();
            for (_, name, _, value) in fields.iter().filter(|f| !f.3.is_empty()) {
                let _ = Reflect::set(&draft, &JsValue::from_str(name), &JsValue::from_str(value));
            }
            JSON::stringify(&draft).ok().and_then(|t| t.as_string())
        };
        write(&self.site, Draft::Ticket, text.as_deref());
    }

    /// Puts the stored draft back into the form's empty fields (what the
    /// host page or the requester put there since stays).
    fn restore_form(&self) {
        let Some(draft) = read(&self.site, Draft::Ticket).and_then(|t| JSON::parse(&t).ok()) else { return };
        for (el, name, _, value) in self.fields() {
            let saved = prop(&draft, &name);
            if value.is_empty() && !saved.is_empty() {
                let _ = Reflect::set(&el, &JsValue::from_str("value"), &JsValue::from_str(&saved));
            }
        }
    }

    /// Whether the panel is sending the form's ticket: it is in the
    /// outbox, which keeps the text from now on.
    fn sending(&self) -> bool {
        protocol::heard(&self.root).form == Form::Sending
    }

    /// Whether a reply to `ticket` waits in the outbox (its box still
    /// holds the text, until the API takes it).
    fn reply_queued(&self, ticket: &str) -> bool {
        convo::outbox(&self.site).iter().any(|p| p.token.is_some() && p.about == ticket)
    }

    /// A screen changed: a ticket being sent loses its draft; a thread
    /// shown for another ticket than the last gets that ticket's drafts
    /// in its boxes (the same ticket again keeps what its boxes hold).
    fn changed(&mut self) {
        if self.sending() {
            self.queued = true;
            write(&self.site, Draft::Ticket, None);
        }
        let Screen::Thread(ticket) = protocol::heard(&self.root).screen else { return };
        if ticket == self.thread {
            return;
        }
        self.reply.set_value(&read(&self.site, Draft::Reply(&ticket)).unwrap_or_default());
        self.comment.set_value(&read(&self.site, Draft::Comment(&ticket)).unwrap_or_default());
        self.thread = ticket;
    }

    /// The requester typed: stores the draft the control belongs to.
    fn typed(&self, event: &Event) {
        let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
        let (site, ticket) = (&self.site, self.thread.as_str());
        if target == **self.reply {
            // A reply on its way keeps its text in the outbox.
            if !ticket.is_empty() && !self.reply_queued(ticket) {
                write_box(site, Draft::Reply(ticket), &self.reply.value());
            }
        } else if target == **self.comment {
            if !ticket.is_empty() {
                write_box(site, Draft::Comment(ticket), &self.comment.value());
            }
        } else if self.form.contains(Some(target.as_ref())) && !self.sending() {
            self.save_form();
        }
    }

    /// The inbox sent a ticket (the panel heard first). The form's, taken:
    /// the panel confirms it, and anything typed while it was retried goes
    /// with the form. Refused for good, its text still in the form: that
    /// is kept again. No answer yet: the outbox still holds it.
    fn sent(&mut self) {
        let status = protocol::read_report(&self.root).map_or(0, |r| r.status);
        if !self.queued || rules::should_retry(status) {
            return;
        }
        if protocol::heard(&self.root).form == Form::Sent {
            self.queued = false;
            write(&self.site, Draft::Ticket, None);
        } else if !(200..300).contains(&status) && !self.sending() {
            self.queued = false;
            self.save_form();
        }
    }
}

/// Starts keeping drafts on the widget page (the inbox module calls this
/// as it starts, after its own listeners, so each event reaches the
/// inbox first): a ticket already being sent loses its draft, otherwise
/// the stored one fills the form's empty fields, and what the requester
/// typed before this module arrived is stored.
///
/// # Errors
/// When the panel's markup lacks the form or a box, or the browser
/// refuses a listener.
pub fn start(doc: &Document, root: &Element, site: &str) -> Result<Vec<Listener>, JsValue> {
    let found: Vec<Element> = IDS.iter().filter_map(|id| doc.get_element_by_id(id)).collect();
    let Ok([form, reply_form, reply, comment]) = <[Element; 4]>::try_from(found) else {
        return Err(JsValue::from_str("the panel's markup is incomplete"));
    };
    let mut drafts = Drafts {
        site: site.into(),
        root: root.clone(),
        form: form.clone(),
        reply: reply.unchecked_into(),
        comment: comment.unchecked_into(),
        thread: String::new(),
        queued: false,
    };
    if drafts.sending() {
        drafts.queued = true;
        write(site, Draft::Ticket, None);
    } else {
        drafts.restore_form();
        if protocol::heard(root).typed {
            drafts.save_form();
        }
    }
    let drafts = Rc::new(RefCell::new(drafts));
    drafts.borrow_mut().changed();
    let on = |target: &Element, kind: &'static str, f: fn(&mut Drafts, &Event)| {
        let drafts = Rc::clone(&drafts);
        Listener::new(target, kind, move |event| f(&mut drafts.borrow_mut(), &event))
    };
    Ok(vec![
        on(root, "input", |d, event| d.typed(event))?,
        on(root, CHANGE_EVENT, |d, _| d.changed())?,
        on(root, SENT_EVENT, |d, _| d.sent())?,
        on(&form, "reset", |d, _| write(&d.site, Draft::Ticket, None))?,
        // After the inbox queued the reply (its listener comes first).
        on(&reply_form, "submit", |d, _| {
            if d.reply_queued(&d.thread) {
                write(&d.site, Draft::Reply(&d.thread), None);
            }
        })?,
    ])
}
