//! Drafts in the page and the storage: what the requester typed but has
//! not sent yet survives a reload (issue #8, "nothing lost"). When each
//! is stored, put back or deleted is the state's word
//! ([`crate::state`]); this module reads the form's controls, writes
//! them back, and keeps the drafts in the panel's storage, one key each
//! (`buoy_shared::inbox::draft_key`).
//!
//! Part of the inbox module: a first visit downloads none of it. The
//! panel's one part is its `input` listener: typing in the panel (the
//! requester's first interaction) loads this module and says so
//! (`Signal::typed`), so what was typed before it arrived is stored at
//! its start. A stored draft sets the site's marker key too, so after a
//! reload the panel loads this module at page start. Loading and
//! opening the panel store nothing.

use crate::state::Control;
use buoy_shared::inbox::{draft_key, Draft};
use buoy_widget_core::store as convo;
use js_sys::{Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

/// Stores a draft, or deletes it when `text` is `None`. A stored draft
/// sets the marker key (the inbox module then loads at page start); the
/// last thing deleted for the site deletes it.
pub fn write(site: &str, draft: Draft<'_>, text: Option<&str>) {
    let Some(storage) = convo::storage() else { return };
    let key = draft_key(site, draft);
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

/// A stored draft.
pub fn read(site: &str, draft: Draft<'_>) -> Option<String> {
    convo::storage()?.get_item(&draft_key(site, draft)).ok()?
}

/// A DOM property as a string ("" when missing).
fn prop(el: &JsValue, name: &str) -> String {
    Reflect::get(el, &JsValue::from_str(name)).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// The form's controls, each with the element.
fn elements(form: &Element) -> Vec<(JsValue, Control)> {
    let Ok(nodes) = form.query_selector_all("input,select,textarea") else { return Vec::new() };
    (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .map(JsValue::from)
        .map(|el| {
            let control = Control { name: prop(&el, "name"), kind: prop(&el, "type"), value: prop(&el, "value") };
            (el, control)
        })
        .collect()
}

/// The form's controls: name, `type` and value of each.
pub fn controls(form: &Element) -> Vec<Control> {
    elements(form).into_iter().map(|(_, control)| control).collect()
}

/// Puts values into the form's controls of these names.
pub fn fill(form: &Element, values: &[(String, String)]) {
    for (el, control) in elements(form) {
        if let Some((_, value)) = values.iter().find(|(name, _)| *name == control.name) {
            let _ = Reflect::set(&el, &JsValue::from_str("value"), &JsValue::from_str(value));
        }
    }
}

/// The form's stored draft, by name.
pub fn read_form(site: &str) -> Vec<(String, String)> {
    let draft = read(site, Draft::Ticket).and_then(|t| JSON::parse(&t).ok());
    let Some(draft) = draft.as_ref().and_then(|d| d.dyn_ref::<Object>()) else { return Vec::new() };
    let names: Vec<String> = Object::keys(draft).iter().filter_map(|k| k.as_string()).collect();
    names.into_iter().map(|name| (prop(draft, &name), name)).map(|(value, name)| (name, value)).collect()
}

/// Stores the form's draft as `{name: value}`, or deletes it.
pub fn write_form(site: &str, fields: Option<&[(String, String)]>) {
    let text = fields.and_then(|fields| {
        let draft = Object::new();
        for (name, value) in fields {
            let _ = Reflect::set(&draft, &JsValue::from_str(name), &JsValue::from_str(value));
        }
        JSON::stringify(&draft).ok().and_then(|t| t.as_string())
    });
    write(site, Draft::Ticket, text.as_deref());
}
