//! The widget page (`/widget/{site}/{locale}/#o={host origin}`) as both modules
//! read it: the site, the host's origin, the message catalog and the
//! page's data block.

use buoy_shared::fragment::Fragment;
use buoy_shared::messages::MessageId;
use js_sys::Reflect;
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

thread_local! {
    static CATALOG: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// A message of the catalog, in the panel's language (empty until
/// [`use_catalog`] gave the catalog).
pub fn t(id: MessageId) -> &'static str {
    CATALOG.with(|c| c.borrow().get(id as usize).copied().unwrap_or(""))
}

/// Gives the module its messages, in `MessageId` order
/// (`buoy_shared::messages::catalog`; the widget page carries them). They
/// live as long as the page.
pub fn use_catalog(texts: Vec<String>) {
    CATALOG.with(|c| *c.borrow_mut() = texts.into_iter().map(|t| &*Box::leak(t.into_boxed_str())).collect());
}

/// The strings of a JS array (none when it is not one).
pub fn strings(value: JsValue) -> Vec<String> {
    value.dyn_into::<js_sys::Array>().map(|a| a.iter().filter_map(|s| s.as_string()).collect()).unwrap_or_default()
}

/// A string field of a JS object (a host message, a JSON answer).
pub fn field_of(data: &JsValue, key: &str) -> Option<String> {
    Reflect::get(data, &JsValue::from_str(key)).ok()?.as_string()
}

/// The page's data block (`#buoy-data`), parsed.
pub fn page_json(doc: &Document) -> Option<JsValue> {
    block_json(doc, "buoy-data")
}

/// A JSON data block of the page by id (`buoy-data`, or one the worker
/// writes for the site, such as `buoy-hours`), parsed.
pub fn block_json(doc: &Document, id: &str) -> Option<JsValue> {
    js_sys::JSON::parse(&doc.get_element_by_id(id)?.text_content()?).ok()
}

/// Reads the message catalog from the page's data block (parsed once by
/// the caller, who reads the rest of it too).
pub fn read_catalog(data: &JsValue) {
    use_catalog(strings(Reflect::get(data, &"t".into()).unwrap_or(JsValue::NULL)));
}

/// The widget page: its document, the panel's root, the site, the host's origin.
pub type WidgetPage = (Document, Element, String, Option<String>);

/// The widget page (`/widget/{site}/#o={host origin}`): its document, the
/// panel's root, the site, and the host page's origin, which the loader
/// names in the fragment (messages are only taken from, and only sent to,
/// that origin; host links only go there). The origin counts only when
/// the fragment is accepted by `buoy_shared::fragment` against the
/// site's allowed origins, which the worker writes into the page
/// (`#buoy-origins`); otherwise the panel has no host. `None` on any
/// other page.
///
/// # Errors
/// When the location cannot be read.
pub fn page() -> Result<Option<WidgetPage>, JsValue> {
    let Some(window) = web_sys::window() else { return Ok(None) };
    let Some(doc) = window.document() else { return Ok(None) };
    let Some(root) = doc.get_element_by_id("buoy") else { return Ok(None) };
    let location = window.location();
    let path = location.pathname()?;
    // `/widget/{site}/` or `/widget/{site}/{locale}/`: the site is the first segment.
    let site = path.strip_prefix("/widget/").unwrap_or(&path).split('/').next().unwrap_or_default().to_owned();
    let hash = location.hash()?;
    let allowed = doc
        .get_element_by_id("buoy-origins")
        .and_then(|block| block.text_content())
        .and_then(|json| js_sys::JSON::parse(&json).ok())
        .map(strings)
        .unwrap_or_default();
    let host_origin = Fragment::parse(hash.strip_prefix('#').unwrap_or(&hash), &allowed).and_then(|f| f.origin);
    Ok(Some((doc, root, site, host_origin)))
}

/// The panel's language: the widget page's `<html lang>`, which the build
/// writes per locale (`buoy_shared::messages::Locale::tag`). Dates, times
/// and plural forms follow it through the browser's `Intl`, and a new
/// ticket stores it as the requester's locale.
pub fn lang() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|html| html.get_attribute("lang"))
        .unwrap_or_default()
}

/// A plural message of the catalog for `count`, in the panel's language:
/// the browser's `Intl.PluralRules` (CLDR's rules) names the category,
/// `buoy_shared::messages::plural` picks the form.
pub fn t_count(id: MessageId, count: u32) -> String {
    let locales = js_sys::Array::of1(&JsValue::from_str(&lang()));
    let rules = js_sys::Intl::PluralRules::new(&locales, &js_sys::Object::new());
    let category = String::from(rules.select(f64::from(count)));
    buoy_shared::messages::plural(t(id), buoy_shared::messages::PluralCategory::parse(&category), count)
}

/// A fresh idempotency key (a random UUID).
pub fn random_key() -> String {
    web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.random_uuid()).unwrap_or_default()
}
