//! API answers, parsed into the plain values the state takes
//! ([`crate::state::Answer`]).

use crate::state::{Answer, Created};
use buoy_shared::ticket::Status;
use buoy_widget_core::net;
use buoy_widget_core::page::field_of;
use buoy_widget_core::store::{Message, Mine, Thread};
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The items of a JSON array field (none when it is not one).
fn items(value: &JsValue, key: &str) -> Option<Vec<JsValue>> {
    Reflect::get(value, &key.into()).ok()?.dyn_into::<Array>().ok().map(|a| a.to_vec())
}

/// A thread from the API.
fn thread(view: &JsValue) -> Thread {
    let s = |value: &JsValue, key| field_of(value, key).unwrap_or_default();
    let messages = items(view, "messages").unwrap_or_default();
    Thread {
        status: field_of(view, "status").and_then(|s| Status::parse(&s)),
        rated: Reflect::get(view, &"csat".into()).is_ok_and(|c| c.is_object()),
        created_at: s(view, "created_at"),
        message: s(view, "message"),
        messages: messages.iter().map(|m| Message { from: s(m, "from"), at: s(m, "at"), body: s(m, "body") }).collect(),
    }
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
        thread: body.is_object().then(|| thread(&body)),
        listed: items(&body, "tickets").map(|list| list.iter().filter_map(listed).collect()),
        failure: net::failure(outcome),
    };
    (answer, body)
}
