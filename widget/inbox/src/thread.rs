//! How the requester's tickets and a ticket's thread are drawn.

use buoy_shared::article_link::split_own;
use buoy_shared::messages::{self, MessageId};
use buoy_widget_core::dom::{element, text_element};
use buoy_widget_core::page::{lang, t, t_count};
use buoy_widget_core::store::{Mine, Thread};
use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

/// A time from the API in the reader's own words (`30/11/2026, 10:04`).
fn local_time(at: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(at));
    date.to_locale_string(&lang(), &JsValue::UNDEFINED).into()
}

fn message(doc: &Document, list: &Element, from: &str, mine: bool, at: &str, body: &str) -> Result<(), JsValue> {
    let li = element(doc, "li", &[("class", if mine { "msg you" } else { "msg agent" })], Some(list))?;
    let mut who = String::from(from);
    who.push_str(" · ");
    who.push_str(&local_time(at));
    text_element(doc, "p", &[("class", "who")], &who, Some(&li))?;
    let text = element(doc, "p", &[("class", "text")], Some(&li))?;
    // A link to one of this worker's articles (as an agent inserts a
    // suggested one) opens the article in the panel: the panel's click
    // listener takes `data-article`, as in articles; its `href` is the
    // article's page, for a reader who opens it elsewhere. The rest is text.
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let mut drawn = Ok(());
    split_own(body, &origin, |piece, article| {
        if drawn.is_ok() {
            drawn = match article {
                Some(id) => text_element(doc, "a", &[("href", piece), ("data-article", id)], piece, Some(&text)).map(drop),
                None => text.append_with_str_1(piece),
            };
        }
    });
    drawn
}

/// Draws the thread of ticket `id`: the requester's first message, then
/// every public message, each as text (links to this worker's articles
/// as links that open them in the panel). Messages only ever join its end,
/// so a redraw (every poll) adds the new ones and leaves what shows alone:
/// an image opened larger, the files drawn under a message, focus.
pub fn draw_thread(doc: &Document, list: &Element, id: &str, view: &Thread) -> Result<(), JsValue> {
    let same = list.get_attribute("data-of").as_deref() == Some(id);
    let drawn = if same { list.child_element_count() as usize } else { 0 };
    if drawn == 0 || drawn > view.messages.len() + 1 {
        list.set_text_content(None);
        list.set_attribute("data-of", id)?;
        message(doc, list, t(MessageId::You), true, &view.created_at, &view.message)?;
    }
    for m in view.messages.iter().skip(list.child_element_count().saturating_sub(1) as usize) {
        let you = m.from == "you";
        let name = if you { t(MessageId::You) } else { &m.from };
        message(doc, list, name, you, &m.at, &m.body)?;
    }
    Ok(())
}

/// A ticket's reference and status, as its requester reads them
/// (`7K2M-9QXD · Open`); on its own screen (`waiting`), whose move it is
/// too (`7K2M-9QXD · Open · Waiting for your reply`), from its status
/// and who wrote last (`buoy_shared::inbox::waiting_on`).
pub fn status_line(mine: &Mine, waiting: bool) -> String {
    let mut line = String::from(&mine.reference);
    let status = mine.status.map(|s| t(messages::status(s)));
    let agent_last = mine.view.as_ref().and_then(|v| v.messages.last()).is_some_and(|m| m.from != "you");
    let on = buoy_shared::inbox::waiting_on(mine.status, agent_last).filter(|_| waiting).map(|w| t(messages::waiting_on(w)));
    // A pending ticket's status already says it waits on the requester.
    for text in [status, on.filter(|on| Some(*on) != status)].into_iter().flatten().filter(|text| !text.is_empty()) {
        line.push_str(" · ");
        line.push_str(text);
    }
    line
}

/// Fills the list of tickets, newest first: subject, status, unread count.
pub fn draw_list(doc: &Document, list: &Element, tickets: &[Mine]) -> Result<(), JsValue> {
    list.set_text_content(None);
    for m in tickets.iter().rev() {
        let li = element(doc, "li", &[], Some(list))?;
        let button = text_element(doc, "button", &[("type", "button"), ("data-ticket", &m.id)], &m.subject, Some(&li))?;
        text_element(doc, "span", &[("class", "hint")], &status_line(m, false), Some(&button))?;
        let unread = m.unread();
        if unread > 0 {
            let count = t_count(MessageId::UnreadReplies, unread);
            text_element(doc, "span", &[("class", "count")], &count, Some(&button))?;
        }
    }
    Ok(())
}
