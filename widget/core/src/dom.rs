//! Small DOM helpers. Every listener is owned by a [`Listener`] that
//! removes it when dropped, so nothing leaks (no `Closure::forget`).

use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Event, EventTarget};

/// An event listener that is removed when this value is dropped.
#[must_use = "the listener is removed when this is dropped"]
#[derive(Debug)]
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Calls `f` for every `kind` event on `target`.
    ///
    /// # Errors
    /// When the browser refuses the listener.
    pub fn new(target: &EventTarget, kind: &'static str, f: impl FnMut(Event) + 'static) -> Result<Self, JsValue> {
        let callback = Closure::<dyn FnMut(Event)>::new(f);
        target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref())?;
        Ok(Self { target: target.clone(), kind, callback })
    }
}

impl Listener {
    /// Calls `f` with `owner` for every `kind` event on `target`, for as
    /// long as `owner` lives (the listener holds it weakly, so the two
    /// make no cycle).
    ///
    /// # Errors
    /// When the browser refuses the listener.
    pub fn owned<T: 'static>(
        owner: &Rc<T>,
        target: &EventTarget,
        kind: &'static str,
        f: impl Fn(&Rc<T>, Event) + 'static,
    ) -> Result<Self, JsValue> {
        let weak: Weak<T> = Rc::downgrade(owner);
        Self::new(target, kind, move |event| {
            if let Some(owner) = weak.upgrade() {
                f(&owner, event);
            }
        })
    }
}

/// The elements under `root` with these ids, in their order, all looked
/// up first and taken in one step (one failure path keeps the wasm small).
///
/// # Errors
/// When one is missing: the markup is incomplete.
pub fn by_ids<const N: usize>(root: &Element, ids: &[&str; N]) -> Result<[Element; N], JsValue> {
    let mut selector = String::new();
    let found: Vec<Element> = ids
        .iter()
        .filter_map(|id| {
            selector.clear();
            selector.push('#');
            selector.push_str(id);
            root.query_selector(&selector).ok().flatten()
        })
        .collect();
    <[Element; N]>::try_from(found).map_err(|_| JsValue::from_str("the panel's markup is incomplete"))
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}

/// A new element with attributes, appended to `parent` when given.
///
/// # Errors
/// When the browser refuses the tag or an attribute name.
pub fn element(doc: &Document, tag: &str, attrs: &[(&str, &str)], parent: Option<&Element>) -> Result<Element, JsValue> {
    let el = doc.create_element(tag)?;
    for (name, value) in attrs {
        el.set_attribute(name, value)?;
    }
    if let Some(parent) = parent {
        parent.append_child(&el)?;
    }
    Ok(el)
}

/// A new element holding `text` (as text, never as HTML).
///
/// # Errors
/// As [`element`].
pub fn text_element(doc: &Document, tag: &str, attrs: &[(&str, &str)], text: &str, parent: Option<&Element>) -> Result<Element, JsValue> {
    let el = element(doc, tag, attrs, parent)?;
    el.set_text_content(Some(text));
    Ok(el)
}

/// Runs a future to completion in the background. Every task goes
/// through one boxed type, so the executor's code exists once.
pub fn spawn(task: impl core::future::Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(task));
}

fn spawn_boxed(task: core::pin::Pin<Box<dyn core::future::Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(task);
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Shows or hides an element with the `hidden` attribute.
pub fn set_hidden(el: &Element, hidden: bool) {
    let _ = if hidden { el.set_attribute("hidden", "") } else { el.remove_attribute("hidden") };
}

/// Says `text` to screen readers through the panel's one polite live
/// region (`#buoy-live` in the page's markup).
pub fn announce(doc: &Document, text: &str) {
    if let Some(live) = doc.get_element_by_id("buoy-live") {
        live.set_text_content(Some(text));
    }
}

/// Moves keyboard focus to an element, if it can take it.
pub fn focus(el: &Element) {
    if let Some(el) = el.dyn_ref::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
}

/// The home screen's list of articles (`#buoy-docs`), its heading and
/// its "nothing found" line, as the panel (suggestions) and the help
/// module (search results) both draw it.
#[derive(Debug)]
pub struct ArticleList {
    /// The list's heading.
    pub title: Element,
    /// The list.
    pub list: Element,
    /// "Nothing found".
    pub empty: Element,
}

impl ArticleList {
    /// Finds the list in the panel's markup.
    pub fn find(doc: &Document) -> Option<Self> {
        Some(Self {
            title: doc.get_element_by_id("buoy-list-title")?,
            list: doc.get_element_by_id("buoy-docs")?,
            empty: doc.get_element_by_id("buoy-empty")?,
        })
    }

    /// Draws `articles` (id, title) under `heading`, each a button that
    /// opens it. Search results with none found say so; suggestions with
    /// none hide the heading.
    pub fn draw<'a>(&self, heading: &str, articles: impl Iterator<Item = (&'a str, &'a str)>, searching: bool) {
        self.title.set_text_content(Some(heading));
        self.list.set_text_content(None);
        let Some(doc) = self.list.owner_document() else { return };
        let mut found = false;
        for (id, title) in articles {
            found = true;
            let _ = element(&doc, "li", &[], Some(&self.list))
                .and_then(|li| text_element(&doc, "button", &[("type", "button"), ("data-article", id)], title, Some(&li)));
        }
        set_hidden(&self.empty, !searching || found);
        set_hidden(&self.title, !searching && !found);
    }
}
