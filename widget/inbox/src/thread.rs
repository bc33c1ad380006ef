//! How the requester's tickets and a ticket's thread are drawn.

use buoy_shared::messages::{self, MessageId};
use buoy_shared::ticket::Status;
use buoy_widget_core::dom::{element, text_element};
use buoy_widget_core::page::{field_of, t};
use buoy_widget_core::store::{messages_of, Mine};
use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

/// A time from the API in the reader's own words (`30/11/2026, 10:04`).
fn local_time(at: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(at));
    let lang = web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default();
    date.to_locale_string(&lang, &JsValue::UNDEFINED).into()
}

fn message(doc: &Document, list: &Element, from: &str, mine: bool, at: &str, body: &str) -> Result<(), JsValue> {
    let li = element(doc, "li", &[("class", if mine { "msg you" } else { "msg agent" })], Some(list))?;
    let mut who = String::from(from);
    who.push_str(" · ");
    who.push_str(&local_time(at));
    text_element(doc, "p", &[("class", "who")], &who, Some(&li))?;
    text_element(doc, "p", &[("class", "text")], body, Some(&li))?;
    Ok(())
}

/// Draws a thread: the requester's first message, then every public
/// message, each as text.
pub fn draw_thread(doc: &Document, list: &Element, view: &JsValue) -> Result<(), JsValue> {
    list.set_text_content(None);
    let at = field_of(view, "created_at").unwrap_or_default();
    message(doc, list, t(MessageId::You), true, &at, &field_of(view, "message").unwrap_or_default())?;
    for m in messages_of(view) {
        let from = field_of(&m, "from").unwrap_or_default();
        let you = from == "you";
        let name = if you { t(MessageId::You) } else { &from };
        message(doc, list, name, you, &field_of(&m, "at").unwrap_or_default(), &field_of(&m, "body").unwrap_or_default())?;
    }
    Ok(())
}

/// The status line of a ticket, as its requester reads it.
pub fn status_text(status: Option<Status>) -> &'static str {
    status.map_or("", |s| t(messages::status(s)))
}

/// Fills the list of tickets, newest first: subject, status, unread count.
pub fn draw_list(doc: &Document, list: &Element, tickets: &[Mine]) -> Result<(), JsValue> {
    list.set_text_content(None);
    for m in tickets.iter().rev() {
        let li = element(doc, "li", &[], Some(list))?;
        let button = text_element(doc, "button", &[("type", "button"), ("data-ticket", &m.id)], &m.subject, Some(&li))?;
        let mut line = String::from(&m.reference);
        let status = status_text(m.status);
        if !status.is_empty() {
            line.push_str(" · ");
            line.push_str(status);
        }
        text_element(doc, "span", &[("class", "hint")], &line, Some(&button))?;
        let unread = m.unread();
        if unread > 0 {
            let mut count = unread.to_string();
            count.push(' ');
            count.push_str(t(MessageId::Unread));
            text_element(doc, "span", &[("class", "count")], &count, Some(&button))?;
        }
    }
    Ok(())
}
