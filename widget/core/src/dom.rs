//! Small DOM helpers. Every listener is owned by a [`Listener`] that
//! removes it when dropped, so nothing leaks (no `Closure::forget`).

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

/// Shows or hides an element with the `hidden` attribute.
pub fn set_hidden(el: &Element, hidden: bool) {
    let _ = if hidden { el.set_attribute("hidden", "") } else { el.remove_attribute("hidden") };
}

/// Moves keyboard focus to an element, if it can take it.
pub fn focus(el: &Element) {
    if let Some(el) = el.dyn_ref::<web_sys::HtmlElement>() {
        let _ = el.focus();
    }
}
