//! API answers, parsed into the plain values the state takes
//! ([`crate::state::Answer`]).

use crate::state::{Answer, Created};
use buoy_widget_core::net;
use buoy_widget_core::page::field_of;
use buoy_widget_core::store::{Message, Mine};
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The items of a JSON array field (none when it is not one).
fn items(value: &JsValue, key: &str) -> Option<Vec<JsValue>> {
    Reflect::get(value, &key.into()).ok()?.dyn_into::<Array>().ok().map(|a| a.to_vec())
}

/// One message of a thread from the API.
fn message(m: &JsValue) -> Message {
    let s = |key| field_of(m, key).unwrap_or_default();
    Message { from: s("from"), at: s("at"), body: s("body") }
}

/// A ticket a verified user's history lists (with its creation time);
/// none when a field is missing.
fn listed(item: &JsValue) -> Option<Mine> {
    let s = |key: &str| field_of(item, key);
    let mut mine = Mine::new(s("id")?, s("requester_token")?, s("reference")?, s("subject")?);
    mine.stored = s("created_at").map_or(0.0, |at| js_sys::Date::parse(&at));
    Some(mine)
}

/// What a call's outcome says; its JSON body (null when none) goes back
/// too, for the panel's report.
pub fn parse(outcome: Result<(u16, JsValue), JsValue>) -> (Answer, JsValue) {
    let (status, body) = match &outcome {
        Ok((status, body)) => (*status, body.clone()),
        Err(_) => (0, JsValue::NULL),
    };
    let s = |key: &str| field_of(&body, key);
    let created = match (s("id"), s("requester_token"), s("reference")) {
        (Some(id), Some(token), Some(reference)) => Some(Created { id, token, reference }),
        _ => None,
    };
    let answer = Answer {
        status,
        retry_after: s("retry_after").and_then(|a| a.parse().ok()),
        created,
        thread: body.is_object().then(|| Mine::thread(&body, message)),
        listed: items(&body, "tickets").map(|list| list.iter().filter_map(listed).collect()),
        failure: net::failure(outcome),
    };
    (answer, body)
}
