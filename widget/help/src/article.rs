//! Draws a pre-parsed article (the node tree `buoy-shared::kb` builds at
//! build time, as JSON) into DOM nodes. Text only ever becomes text nodes;
//! no HTML string reaches the DOM, and no Markdown parser ships here.
//! Images come only from the site's own `/kb/` files.

use buoy_widget_core::dom::{element, text_element};
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn string(value: &JsValue, key: &str) -> String {
    get(value, key).as_string().unwrap_or_default()
}

fn items(value: &JsValue) -> Array {
    value.dyn_ref::<Array>().cloned().unwrap_or_default()
}

/// Where a link may point, checked again here although the build already
/// refused anything else: the web, mail, or a path on the host site.
fn allowed(href: &str) -> bool {
    let lower = href.trim_start().get(..8).unwrap_or(href).to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (href.starts_with('/') && !href.starts_with("//"))
}

/// Whether an image may be shown: one of the knowledge base's files,
/// which the build publishes under `/kb/`; a path starting so stays on
/// the panel's own origin.
fn kb_image(src: &str) -> bool {
    src.starts_with("/kb/")
}

/// A host path resolved by the browser's URL parser against the host's
/// origin, kept only when it stays on that origin: the URL to link to.
fn host_link(origin: &str, path: &str) -> Option<String> {
    let url = web_sys::Url::new_with_base(path, origin).ok()?;
    (url.origin() == origin).then(|| url.href())
}

/// How links are resolved.
#[allow(missing_debug_implementations)] // Holds a closure.
pub struct Links<'a> {
    /// The host page's origin, for site-relative links: one the site
    /// allows (`buoy_shared::fragment`), or none.
    pub host_origin: Option<&'a str>,
    /// Whether an article id exists, for `/help/<id>` links opened in the panel.
    pub article_exists: &'a dyn Fn(&str) -> bool,
}

fn inlines(doc: &Document, parent: &Element, nodes: &JsValue, links: &Links<'_>) -> Result<(), JsValue> {
    for node in items(nodes).iter() {
        let tag = match string(&node, "t").as_str() {
            "Text" => {
                parent.append_with_str_1(&string(&node, "s"))?;
                continue;
            }
            "Code" => {
                text_element(doc, "code", &[], &string(&node, "s"), Some(parent))?;
                continue;
            }
            "Img" => {
                let src = string(&node, "s");
                if kb_image(&src) {
                    let attrs = [("src", src.as_str()), ("alt", &string(&node, "a")), ("loading", "lazy"), ("decoding", "async")];
                    let img = element(doc, "img", &attrs, Some(parent))?;
                    // Numbers, set as the element's properties: no formatting code here.
                    for (property, key) in [("width", "w"), ("height", "h")] {
                        Reflect::set(&img, &JsValue::from_str(property), &get(&node, key))?;
                    }
                }
                continue;
            }
            "Em" => "em",
            "Strong" => "strong",
            "A" => {
                let href = string(&node, "h");
                let label = get(&node, "c");
                let article = href.strip_prefix("/help/").filter(|id| (links.article_exists)(id));
                let a = match article {
                    Some(id) => element(doc, "a", &[("href", "#"), ("data-article", id)], Some(parent))?,
                    None if href.starts_with('/') && allowed(&href) => {
                        match links.host_origin.and_then(|origin| host_link(origin, &href)) {
                            Some(url) => element(doc, "a", &[("href", &url), ("target", "_top")], Some(parent))?,
                            None => element(doc, "span", &[], Some(parent))?,
                        }
                    }
                    None if allowed(&href) => {
                        element(doc, "a", &[("href", &href), ("target", "_blank"), ("rel", "noopener noreferrer")], Some(parent))?
                    }
                    None => element(doc, "span", &[], Some(parent))?,
                };
                inlines(doc, &a, &label, links)?;
                continue;
            }
            _ => continue,
        };
        let el = element(doc, tag, &[], Some(parent))?;
        inlines(doc, &el, &get(&node, "c"), links)?;
    }
    Ok(())
}

/// Appends the blocks of an article body to `parent`.
///
/// # Errors
/// When the browser refuses to create an element.
pub fn render(doc: &Document, parent: &Element, blocks: &JsValue, links: &Links<'_>) -> Result<(), JsValue> {
    for block in items(blocks).iter() {
        match string(&block, "t").as_str() {
            "H" => {
                let level = get(&block, "l").as_f64().unwrap_or(2.0);
                let tag = if level <= 2.0 {
                    "h3"
                } else if level <= 3.0 {
                    "h4"
                } else {
                    "h5"
                };
                let h = element(doc, tag, &[], Some(parent))?;
                inlines(doc, &h, &get(&block, "c"), links)?;
            }
            "P" => {
                let p = element(doc, "p", &[], Some(parent))?;
                inlines(doc, &p, &get(&block, "c"), links)?;
            }
            kind @ ("Ul" | "Ol") => {
                let list = element(doc, if kind == "Ul" { "ul" } else { "ol" }, &[], Some(parent))?;
                for item in items(&get(&block, "i")).iter() {
                    let li = element(doc, "li", &[], Some(&list))?;
                    inlines(doc, &li, &get(&item, "c"), links)?;
                    render(doc, &li, &get(&item, "b"), links)?;
                }
            }
            "Table" => {
                // The wrapper scrolls a table wider than the panel.
                let wrap = element(doc, "div", &[("class", "table")], Some(parent))?;
                let table = element(doc, "table", &[], Some(&wrap))?;
                let head: &[(&str, &str)] = &[("scope", "col")];
                for (section, rows, cell, attrs) in
                    [("thead", Array::of1(&get(&block, "h")), "th", head), ("tbody", items(&get(&block, "r")), "td", &[])]
                {
                    let section = element(doc, section, &[], Some(&table))?;
                    for cells in rows.iter() {
                        let tr = element(doc, "tr", &[], Some(&section))?;
                        for content in items(&cells).iter() {
                            let el = element(doc, cell, attrs, Some(&tr))?;
                            inlines(doc, &el, &content, links)?;
                        }
                    }
                }
            }
            "Pre" => {
                let pre = element(doc, "pre", &[], Some(parent))?;
                text_element(doc, "code", &[], &string(&block, "s"), Some(&pre))?;
            }
            _ => {}
        }
    }
    Ok(())
}
