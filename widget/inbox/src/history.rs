//! A verified user's tickets from their other devices: part of the inbox
//! module, so the panel's first open carries none of it.
//!
//! The panel passes on the host's last `identify` or `logout` message
//! (`buoy_widget_core::protocol::tell_who`), and loads the inbox for a
//! signed identity. Once the panel is open (never at page load: nothing is stored before
//! the requester acts), the inbox asks `POST /v1/tickets/mine` once per
//! signed identity, keeps the tickets it did not know with
//! [`convo::save`] (so "Your tickets" lists them and polls their threads
//! with their own tokens, as for a ticket sent here), and notes which
//! tickets the identity's list named. Those are forgotten on this device
//! at logout (or an unsigned identity), and when another identity's list
//! arrives, so a shared computer does not show the last user's tickets.
//! Replies already in a learned ticket count as unread here: the worker
//! keeps no read state.

use crate::{drafts, start_polling, Inbox};
use buoy_shared::inbox::Draft;
use buoy_widget_core::host::claim_of;
use buoy_widget_core::net;
use buoy_widget_core::page::field_of;
use buoy_widget_core::protocol::{self, Screen};
use buoy_widget_core::store::{self as convo, Mine};
use js_sys::{Array, Reflect, JSON};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// The identity whose history this page has asked for.
    static ASKED: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Where the ids of the identity's tickets are kept: `buoy:{site}.who`
/// (a site id has no `.`, so this is neither a ticket's key nor a site's
/// marker).
fn learned_key(site: &str) -> String {
    let mut key = String::from("buoy:");
    key.push_str(site);
    key.push_str(".who");
    key
}

/// The ids the last history listed on this device.
fn learned(site: &str) -> Vec<String> {
    let text = convo::storage().and_then(|s| s.get_item(&learned_key(site)).ok().flatten());
    let list = text.and_then(|t| JSON::parse(&t).ok()).and_then(|v| v.dyn_into::<Array>().ok());
    list.map(|a| a.iter().filter_map(|v| v.as_string()).collect()).unwrap_or_default()
}

fn set_learned(site: &str, ids: &[String]) {
    let Some(storage) = convo::storage() else { return };
    if ids.is_empty() {
        let _ = storage.remove_item(&learned_key(site));
        return;
    }
    let list: Array = ids.iter().map(|id| JsValue::from_str(id)).collect();
    if let Some(text) = JSON::stringify(&list).ok().and_then(|t| t.as_string()) {
        let _ = storage.set_item(&learned_key(site), &text);
    }
}

/// Acts on what the panel says about the identity, after each
/// `Inbox::sync`: a new signed identity's history is asked for once the
/// panel is open; a logout or an unsigned identity forgets what the last
/// history listed.
pub(crate) fn sync(inbox: &Rc<RefCell<Inbox>>) {
    let (told, open) = {
        let state = inbox.borrow();
        (told(&state.root), state.open)
    };
    let Some(told) = told else { return };
    match told {
        None => {
            ASKED.with(|asked| asked.borrow_mut().clear());
            forget(inbox, &[]);
        }
        Some(claim) if open && ASKED.with(|asked| *asked.borrow() != claim) => {
            ASKED.with(|asked| asked.borrow_mut().clone_from(&claim));
            let weak = Rc::downgrade(inbox);
            buoy_widget_core::dom::spawn(ask(weak, claim));
        }
        Some(_) => {}
    }
}

/// What the panel was last told: nothing yet (`None`), a logout or an
/// unsigned identity (`Some(None)`), or a signed identity's claim as JSON
/// (its non-empty fields, as the panel sends them with a ticket).
fn told(root: &web_sys::Element) -> Option<Option<String>> {
    let message = protocol::who(root)?;
    if field_of(&message, "type").as_deref() != Some("identify") {
        return Some(None);
    }
    let claim = claim_of(&message);
    if !claim.is_signed() {
        return Some(None);
    }
    Some(JSON::stringify(&net::identity(&claim)).ok().and_then(|t| t.as_string()))
}

/// `{"site", "identity"}`.
fn request_body(site: &str, claim: &str) -> Option<String> {
    let body = net::object(&[("site", Some(site))]);
    Reflect::set(&body, &"identity".into(), &JSON::parse(claim).ok()?).ok()?;
    JSON::stringify(&body).ok()?.as_string()
}

/// Asks for the identity's tickets, and keeps them.
async fn ask(weak: Weak<RefCell<Inbox>>, claim: String) {
    let Some(site) = weak.upgrade().map(|inbox| inbox.borrow().site.clone()) else { return };
    let Some(body) = request_body(&site, &claim) else { return };
    let outcome = net::call("POST", "/v1/tickets/mine", &[], Some(&body)).await;
    let Some(inbox) = weak.upgrade() else { return };
    // Logged out, or someone else signed in, while it was asked: not theirs.
    if told(&inbox.borrow().root) != Some(Some(claim)) {
        return;
    }
    let listed = match outcome {
        Ok((200, answer)) => Reflect::get(&answer, &"tickets".into()).ok().and_then(|t| t.dyn_into::<Array>().ok()),
        // Refused (a bad or expired identity): anonymous, nothing to keep.
        Ok(_) => None,
        // No answer: ask again at the next change the panel signals.
        Err(_) => {
            ASKED.with(|asked| asked.borrow_mut().clear());
            None
        }
    };
    let Some(listed) = listed else { return };
    let mut ids = Vec::new();
    {
        let mut state = inbox.borrow_mut();
        for item in listed.iter() {
            let s = |key: &str| field_of(&item, key);
            let (Some(id), Some(token), Some(reference), Some(subject)) = (s("id"), s("requester_token"), s("reference"), s("subject"))
            else {
                continue;
            };
            if !state.mine.iter().any(|m| m.id == id) {
                let mut mine = Mine::new(id.clone(), token, reference, subject);
                mine.stored = s("created_at").map_or(0.0, |at| js_sys::Date::parse(&at));
                convo::save(&site, &mine, mine.stored);
                state.mine.push(mine);
            }
            ids.push(id);
        }
        // Oldest first, as stored; a ticket sent in this page's life has
        // no time yet and stays the newest.
        let at = |m: &Mine| if m.stored > 0.0 { m.stored } else { f64::INFINITY };
        state.mine.sort_by(|a, b| at(a).total_cmp(&at(b)));
    }
    // The previous identity's tickets go; this one's are noted.
    forget(&inbox, &ids);
    {
        let mut state = inbox.borrow_mut();
        state.poke = true;
        state.draw();
    }
    start_polling(&inbox);
}

/// Forgets, on this device, the tickets the last history listed (and
/// their drafts) but for those in `keep`, which are noted instead; a
/// thread of theirs that shows is emptied.
fn forget(inbox: &Rc<RefCell<Inbox>>, keep: &[String]) {
    let site = inbox.borrow().site.clone();
    let before = learned(&site);
    if before != keep {
        set_learned(&site, keep);
    }
    let gone: Vec<String> = before.into_iter().filter(|id| !keep.contains(id)).collect();
    if gone.is_empty() {
        return;
    }
    for id in &gone {
        // Its half-typed reply and comment go too (`drafts.rs`), before
        // the ticket, whose forgetting decides whether the marker stays.
        for draft in [Draft::Reply(id), Draft::Comment(id)] {
            drafts::discard(&site, draft);
        }
        convo::forget(&site, id);
    }
    if keep.is_empty() {
        // Signed out: the form's half-typed ticket (their name, email,
        // words) goes too; its reset makes `drafts.rs` drop the draft.
        let form = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("buoy-form"));
        if let Some(form) = form.and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok()) {
            form.reset();
        }
        drafts::discard(&site, Draft::Ticket);
    }
    let mut state = inbox.borrow_mut();
    state.mine.retain(|m| !gone.contains(&m.id));
    if matches!(&state.screen, Screen::Thread(ticket) if gone.contains(ticket)) {
        let c = &state.c;
        for el in [&c.title, &c.status, &c.msgs] {
            el.set_text_content(None);
        }
        for el in [&c.reply_form, &c.rate, &c.rated] {
            buoy_widget_core::dom::set_hidden(el, true);
        }
    }
    state.draw();
}
