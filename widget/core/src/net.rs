//! The one module that talks to the network: the ticket API on the
//! worker's origin (the panel runs there, so requests are same-origin).

use crate::page::field_of;
use buoy_shared::identity::IdentityClaim;
use buoy_shared::ticket::{Field, FieldCode, FieldError, NewTicket};
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

fn set(target: &Object, key: &str, value: &str) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &JsValue::from_str(value));
}

/// A JS object of the string fields that are present.
pub fn object(fields: &[(&str, Option<&str>)]) -> Object {
    let o = Object::new();
    for (key, value) in fields {
        if let Some(value) = value {
            set(&o, key, value);
        }
    }
    o
}

fn stringify(o: &JsValue) -> Option<String> {
    JSON::stringify(o).ok()?.as_string()
}

/// The JSON body of a ticket, built without serde (smaller wasm), with
/// the site's custom fields and the host page's context (`reported`) as
/// the panel keeps them, JS objects of text (or null).
pub fn body(ticket: &NewTicket, fields: &JsValue, reported: &JsValue) -> Option<String> {
    let t = ticket;
    let o = object(&[
        ("site", Some(&t.site)),
        ("name", Some(&t.name)),
        ("email", Some(&t.email)),
        ("type", Some(&t.kind)),
        ("subject", Some(&t.subject)),
        ("message", Some(&t.message)),
        ("website", Some(t.honeypot.as_str()).filter(|h| !h.is_empty())),
    ]);
    let c = &t.context;
    let context = object(&[
        ("url", c.url.as_deref()),
        ("title", c.title.as_deref()),
        ("locale", c.locale.as_deref()),
        ("time_zone", c.time_zone.as_deref()),
        ("user_agent", c.user_agent.as_deref()),
    ]);
    if reported.is_object() {
        let _ = Reflect::set(&context, &JsValue::from_str("reported"), reported);
    }
    let _ = Reflect::set(&o, &JsValue::from_str("context"), &context);
    let _ = Reflect::set(&o, &JsValue::from_str("fields"), fields);
    if let Some(w) = &t.identity {
        let _ = Reflect::set(&o, &JsValue::from_str("identity"), &identity(w));
    }
    if let Some(replies) = t.email_replies {
        let _ = Reflect::set(&o, &JsValue::from_str("email_replies"), &JsValue::from_bool(replies));
    }
    stringify(&o)
}

/// An identity claim as the API reads it (its fields that are present;
/// `exp` as a number).
pub fn identity(w: &IdentityClaim) -> Object {
    let o = object(&[
        ("id", w.id.as_deref()),
        ("email", w.email.as_deref()),
        ("name", w.name.as_deref()),
        ("segment", w.segment.as_deref()),
        ("account_manager", w.account_manager.as_deref()),
        ("signature", w.signature.as_deref()),
        ("token", w.token.as_deref()),
    ]);
    if let Some(exp) = w.exp {
        let _ = Reflect::set(&o, &JsValue::from_str("exp"), &JsValue::from_f64(exp as f64));
    }
    o
}

fn field_errors(problem: &JsValue) -> Vec<FieldError> {
    let Ok(list) = Reflect::get(problem, &JsValue::from_str("errors")) else {
        return Vec::new();
    };
    let Some(list) = list.dyn_ref::<Array>() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|item| {
            let field = Field::parse(&field_of(&item, "field")?)?;
            let code = FieldCode::parse(&field_of(&item, "code")?)?;
            Some(FieldError::new(field, code))
        })
        .collect()
}

/// One API call on the worker's origin: its status and its JSON body
/// (null when the body is not JSON, such as a proxy's error page).
///
/// # Errors
/// When the request never got an answer (offline, reset, blocked).
pub async fn call(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Result<(u16, JsValue), JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let h = Headers::new()?;
    for (name, value) in headers {
        h.set(name, value)?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        h.set("content-type", "application/json")?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&h);
    let request = Request::new_with_str_and_init(url, &init)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request)).await?.dyn_into()?;
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    // A 429 says when to come back; it travels with the body.
    if let (true, Ok(Some(after))) = (json.is_object(), response.headers().get("retry-after")) {
        let _ = Reflect::set(&json, &JsValue::from_str("retry_after"), &JsValue::from_str(&after));
    }
    Ok((response.status(), json))
}

/// Why a call did not get what it asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No answer: offline, DNS, connection reset.
    Network,
    /// The API answered with a problem code (and maybe field errors).
    Problem {
        /// The stable problem code.
        code: String,
        /// Field errors, for `validation_failed`.
        errors: Vec<FieldError>,
    },
}

/// What a failed call means for the requester.
pub fn failure(outcome: Result<(u16, JsValue), JsValue>) -> Failure {
    match outcome {
        Err(_) => Failure::Network,
        Ok((status, json)) => {
            let fallback = if status >= 500 { "internal" } else { "rejected" };
            let code = field_of(&json, "code").unwrap_or_else(|| fallback.into());
            Failure::Problem { code, errors: field_errors(&json) }
        }
    }
}

async fn fetch_ok(url: &str) -> Result<Response, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let response: Response = JsFuture::from(window.fetch_with_str(url)).await?.dyn_into()?;
    if response.ok() {
        Ok(response)
    } else {
        Err(JsValue::NULL)
    }
}

/// A text asset (the search index), or `None` when it cannot be had.
pub async fn get_text(url: &str) -> Option<String> {
    let response = fetch_ok(url).await.ok()?;
    JsFuture::from(response.text().ok()?).await.ok()?.as_string()
}

/// A JSON asset (a pre-parsed article), or `None` when it cannot be had.
pub async fn get_json(url: &str) -> Option<JsValue> {
    let response = fetch_ok(url).await.ok()?;
    JsFuture::from(response.json().ok()?).await.ok()
}

/// Records how a guided fix ended. Losing one is harmless: the request
/// goes out and nobody waits for it (a failure is caught and dropped), so
/// the panel needs no async machinery for it.
pub fn record_deflection(site: &str, kind: &str, outcome: &str) {
    let body = json_body(&[("site", site), ("type", kind), ("outcome", outcome)], None);
    let Some(window) = web_sys::window() else { return };
    // Built here rather than through `call`'s error-propagating steps: the
    // panel carries only this request, and sharing them costs its first
    // open about 180 B brotli (measured).
    let (Ok(headers), init) = (Headers::new(), RequestInit::new()) else { return };
    let _ = headers.set("content-type", "application/json");
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&body));
    if let Ok(request) = Request::new_with_str_and_init("/v1/deflections", &init) {
        let sent = window.fetch_with_request(&request);
        IGNORE.with(|ignore| {
            let _ = sent.catch(ignore);
        });
    }
}

thread_local! {
    /// Takes a failed request nobody waits for, so it is no uncaught
    /// error (one handler for the page's life).
    static IGNORE: wasm_bindgen::closure::Closure<dyn FnMut(JsValue)> = wasm_bindgen::closure::Closure::new(|_: JsValue| {});
}

/// A JSON body of string fields (and one boolean, when given).
pub fn json_body(fields: &[(&str, &str)], flag: Option<(&str, bool)>) -> String {
    let fields: Vec<(&str, Option<&str>)> = fields.iter().map(|(k, v)| (*k, Some(*v))).collect();
    let o = object(&fields);
    if let Some((key, value)) = flag {
        let _ = Reflect::set(&o, &JsValue::from_str(key), &JsValue::from_bool(value));
    }
    stringify(&o).unwrap_or_default()
}
