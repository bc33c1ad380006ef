//! A verified user's tickets from their other devices, in the page and
//! the storage: part of the inbox module, so the panel's first open
//! carries none of it.
//!
//! The panel passes on the host's last `identify` or `logout` message
//! (`buoy_widget_core::protocol::tell_who`), and loads the inbox for a
//! signed identity. The state ([`crate::state`]) asks `POST
//! /v1/tickets/mine` once per signed identity once the panel is open
//! (never at page load: nothing is stored before the requester acts),
//! keeps the tickets it did not know (so "Your tickets" lists them and
//! polls their threads with their own tokens, as for a ticket sent
//! here), and notes which tickets the identity's list named. Those are
//! forgotten on this device at logout (or an unsigned identity), and when
//! another identity's list arrives, so a shared computer does not show
//! the last user's tickets. Replies already in a learned ticket count as
//! unread here: the worker keeps no read state.
//!
//! This module reads who the panel was told, encodes the request, and
//! keeps the noted ids under `buoy:{site}.who`.

use crate::state::Told;
use buoy_widget_core::host::claim_of;
use buoy_widget_core::net;
use buoy_widget_core::page::{field_of, strings};
use buoy_widget_core::protocol;
use buoy_widget_core::store as convo;
use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::JsValue;

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
pub fn learned(site: &str) -> Vec<String> {
    let text = convo::storage().and_then(|s| s.get_item(&learned_key(site)).ok().flatten());
    text.and_then(|t| JSON::parse(&t).ok()).map(strings).unwrap_or_default()
}

/// Notes the ids a history listed (none: deletes the note).
pub fn set_learned(site: &str, ids: &[String]) {
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

/// What the panel was last told: nothing yet, a logout or an unsigned
/// identity, or a signed identity's claim as JSON (its non-empty fields,
/// as the panel sends them with a ticket).
pub fn told(root: &web_sys::Element) -> Told {
    let Some(message) = protocol::who(root) else { return Told::Nothing };
    let claim = claim_of(&message);
    if field_of(&message, "type").as_deref() != Some("identify") || !claim.is_signed() {
        return Told::Anonymous;
    }
    match JSON::stringify(&net::identity(&claim)).ok().and_then(|t| t.as_string()) {
        Some(claim) => Told::Signed(claim),
        None => Told::Anonymous,
    }
}

/// `{"site", "identity"}`.
pub fn request_body(site: &str, claim: &str) -> Option<String> {
    let body = net::object(&[("site", Some(site))]);
    Reflect::set(&body, &"identity".into(), &JSON::parse(claim).ok()?).ok()?;
    JSON::stringify(&body).ok()?.as_string()
}
