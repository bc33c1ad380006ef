//! The one module that talks to the network: the ticket API on the
//! worker's origin (the panel runs there, so requests are same-origin).

use crate::state::{Failure, Msg};
use buoy_shared::ticket::{Field, FieldCode, FieldError, NewTicket};
use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

fn set(target: &Object, key: &str, value: &str) {
    let _ = Reflect::set(target, &JsValue::from_str(key), &JsValue::from_str(value));
}

fn get_string(target: &JsValue, key: &str) -> Option<String> {
    Reflect::get(target, &JsValue::from_str(key)).ok()?.as_string()
}

/// The JSON body of a ticket, built without serde (smaller wasm).
fn body(ticket: &NewTicket) -> Option<String> {
    let o = Object::new();
    for (key, value) in [
        ("site", &ticket.site),
        ("name", &ticket.name),
        ("email", &ticket.email),
        ("type", &ticket.kind),
        ("subject", &ticket.subject),
        ("message", &ticket.message),
    ] {
        set(&o, key, value);
    }
    let context = Object::new();
    let c = &ticket.context;
    for (key, value) in
        [("url", &c.url), ("title", &c.title), ("locale", &c.locale), ("time_zone", &c.time_zone), ("user_agent", &c.user_agent)]
    {
        if let Some(value) = value {
            set(&context, key, value);
        }
    }
    let _ = Reflect::set(&o, &JsValue::from_str("context"), &context);
    JSON::stringify(&o).ok()?.as_string()
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
            let field = Field::parse(&get_string(&item, "field")?)?;
            let code = FieldCode::parse(&get_string(&item, "code")?)?;
            Some(FieldError { field, code })
        })
        .collect()
}

async fn send(ticket: &NewTicket, key: &str) -> Result<(u16, JsValue), JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let headers = Headers::new()?;
    headers.set("content-type", "application/json")?;
    headers.set("idempotency-key", key)?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&body(ticket).ok_or(JsValue::NULL)?));
    let request = Request::new_with_str_and_init("/v1/tickets", &init)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request)).await?.dyn_into()?;
    // A body that is not JSON (a proxy's error page) reads as null.
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    Ok((response.status(), json))
}

/// Sends a ticket and turns the outcome into a [`Msg`].
pub async fn create_ticket(ticket: NewTicket, key: String) -> Msg {
    match send(&ticket, &key).await {
        Err(_) => Msg::Failed(Failure::Network),
        Ok((200..=299, json)) => match get_string(&json, "reference") {
            Some(reference) => Msg::Created { reference },
            None => Msg::Failed(Failure::Problem { code: "internal".into(), errors: Vec::new() }),
        },
        Ok((status, json)) => {
            let fallback = if status >= 500 { "internal" } else { "rejected" };
            let code = get_string(&json, "code").unwrap_or_else(|| fallback.into());
            Msg::Failed(Failure::Problem { code, errors: field_errors(&json) })
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

/// Records how a guided fix ended; losing one is harmless, so failures are ignored.
pub async fn record_deflection(site: &str, kind: &str, outcome: &str) {
    let o = Object::new();
    set(&o, "site", site);
    set(&o, "type", kind);
    set(&o, "outcome", outcome);
    let (Some(window), Ok(headers), Some(body)) = (web_sys::window(), Headers::new(), JSON::stringify(&o).ok().and_then(|b| b.as_string()))
    else {
        return;
    };
    let _ = headers.set("content-type", "application/json");
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&body));
    if let Ok(request) = Request::new_with_str_and_init("/v1/deflections", &init) {
        let _ = JsFuture::from(window.fetch_with_request(&request)).await;
    }
}
