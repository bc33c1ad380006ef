//! The ticket form in headless Chromium, with the panel around it as on
//! the widget page: what a person sees when they submit.
#![cfg(target_arch = "wasm32")]

use buoy_shared::messages::{text, Locale, MessageId};
use buoy_widget_form::state::Phase;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element, HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> Document {
    web_sys::window().and_then(|w| w.document()).unwrap_or_else(|| unreachable!("no document"))
}

/// A root holding the panel's markup, as the widget page does (the page
/// gets it at build time; this fixture writes the same markup in), with
/// the panel mounted on it.
fn panel_root() -> (Element, buoy_widget_panel::Panel) {
    buoy_widget_core::page::use_catalog(buoy_shared::messages::catalog(Locale::En).into_iter().map(String::from).collect());
    let doc = document();
    let root = doc.create_element("div").unwrap_or_else(|_| unreachable!());
    root.set_inner_html(&buoy_shared::panel::skeleton(Locale::En));
    doc.body().map(|b| b.append_child(&root)).transpose().unwrap_or_else(|_| unreachable!());
    let panel = buoy_widget_panel::mount(&root, "demo", None).unwrap_or_else(|_| unreachable!());
    (root, panel)
}

/// [`panel_root`] with the form module mounted too.
fn fresh_root() -> (Element, buoy_widget_panel::Panel, buoy_widget_form::FormModule) {
    let (root, panel) = panel_root();
    let form = buoy_widget_form::mount(&root, "demo", None).unwrap_or_else(|_| unreachable!());
    (root, panel, form)
}

fn find<T: JsCast>(root: &Element, selector: &str) -> T {
    root.query_selector(selector).ok().flatten().and_then(|e| e.dyn_into::<T>().ok()).unwrap_or_else(|| unreachable!("no {selector}"))
}

fn error_text(root: &Element, id: &str) -> Option<String> {
    let error: Element = find(root, &format!("#{id}-error"));
    if error.has_attribute("hidden") {
        None
    } else {
        error.text_content()
    }
}

fn submit(root: &Element) {
    find::<HtmlButtonElement>(root, "#buoy-submit").click();
}

/// Opens the form as a person would: "Send us a message" on the home screen.
fn open_form(root: &Element) {
    find::<HtmlButtonElement>(root, "button.write").click();
}

#[wasm_bindgen_test]
fn an_empty_form_shows_what_is_missing_and_sends_nothing() {
    let (root, _panel, form) = fresh_root();
    open_form(&root);
    submit(&root);
    let required = Some(text(Locale::En, MessageId::ErrRequired).to_owned());
    assert_eq!(error_text(&root, "buoy-email"), required);
    assert_eq!(error_text(&root, "buoy-type"), Some(text(Locale::En, MessageId::ErrChooseType).to_owned()));
    assert_eq!(error_text(&root, "buoy-subject"), required);
    assert_eq!(error_text(&root, "buoy-message"), required);
    assert_eq!(error_text(&root, "buoy-name"), None, "the name is optional");
    let banner: HtmlElement = find(&root, ".banner");
    assert!(!banner.has_attribute("hidden"));
    assert_eq!(banner.text_content().as_deref(), Some(text(Locale::En, MessageId::FixFields)));
    let email: HtmlInputElement = find(&root, "#buoy-email");
    assert_eq!(email.get_attribute("aria-invalid").as_deref(), Some("true"));
    // Focus moves to the first field in error.
    let active = document().active_element().map(|e| e.id());
    assert_eq!(active.as_deref(), Some("buoy-email"));
    assert_eq!(form.state().phase, Phase::Editing);
}

#[wasm_bindgen_test]
fn fixing_fields_clears_their_errors_and_keeps_the_text() {
    let (root, _panel, form) = fresh_root();
    open_form(&root);
    find::<HtmlInputElement>(&root, "#buoy-email").set_value("ada at example.com");
    find::<HtmlSelectElement>(&root, "#buoy-type").set_value("billing");
    find::<HtmlInputElement>(&root, "#buoy-subject").set_value(&"s".repeat(201));
    find::<HtmlTextAreaElement>(&root, "#buoy-message").set_value("Charged twice.");
    submit(&root);
    assert_eq!(error_text(&root, "buoy-email"), Some(text(Locale::En, MessageId::ErrInvalidEmail).to_owned()));
    assert_eq!(error_text(&root, "buoy-subject"), Some(text(Locale::En, MessageId::ErrSubjectTooLong).to_owned()));
    assert_eq!(error_text(&root, "buoy-type"), None);
    assert_eq!(error_text(&root, "buoy-message"), None);
    assert_eq!(find::<HtmlTextAreaElement>(&root, "#buoy-message").value(), "Charged twice.");
    assert_eq!(form.state().phase, Phase::Editing);
}

#[wasm_bindgen_test]
fn a_submit_before_the_module_runs_is_taken_when_it_starts() {
    let (root, _panel) = panel_root();
    open_form(&root);
    submit(&root);
    assert_eq!(error_text(&root, "buoy-email"), None, "nothing checks the form before its module runs");
    let form = buoy_widget_form::mount(&root, "demo", None).unwrap_or_else(|_| unreachable!());
    assert_eq!(error_text(&root, "buoy-email"), Some(text(Locale::En, MessageId::ErrRequired).to_owned()));
    assert_eq!(form.state().phase, Phase::Editing);
}
