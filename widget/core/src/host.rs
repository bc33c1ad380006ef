//! Talking to the host page: messages out, on its origin only, and the
//! identity its `identify` message claims.

use crate::page::field_of;
use buoy_shared::identity::IdentityClaim;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// Posts a message to the host page, on its origin only (never `*`).
pub fn post_to_host(origin: Option<&str>, kind: &str, detail: Option<(&str, &str)>) {
    let (Some(origin), Some(window)) = (origin, web_sys::window()) else {
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
    let _ = parent.post_message(&message, origin);
}

/// The identity an `identify` message claims (its non-empty fields): the
/// panel sends it with a ticket, the inbox module asks for its history.
pub fn claim_of(data: &JsValue) -> IdentityClaim {
    let f = |key| field_of(data, key).filter(|v| !v.is_empty());
    IdentityClaim::new(
        f("id"),
        f("email"),
        f("name"),
        f("segment"),
        f("account_manager"),
        // A number (the loader passes it so); the worker checks its range.
        Reflect::get(data, &JsValue::from_str("exp")).ok().and_then(|e| e.as_f64()).map(|e| e as i64),
        f("signature"),
        f("token"),
    )
}
