//! The panel in headless Chromium: its controls' labels, plural forms.
//! (What a person sees when they submit is the form module's test.)
#![cfg(target_arch = "wasm32")]

use buoy_shared::messages::{text, Locale, MessageId};
use buoy_widget_panel::mount;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element, HtmlButtonElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> Document {
    web_sys::window().and_then(|w| w.document()).unwrap_or_else(|| unreachable!("no document"))
}

/// A root holding the panel's markup, as the widget page does (the page
/// gets it at build time; this fixture writes the same markup in).
fn fresh_root() -> Element {
    buoy_widget_core::page::use_catalog(buoy_shared::messages::catalog(Locale::En).into_iter().map(String::from).collect());
    let doc = document();
    let root = doc.create_element("div").unwrap_or_else(|_| unreachable!());
    root.set_inner_html(&buoy_shared::panel::skeleton(Locale::En));
    doc.body().map(|b| b.append_child(&root)).transpose().unwrap_or_else(|_| unreachable!());
    root
}

fn find<T: JsCast>(root: &Element, selector: &str) -> T {
    root.query_selector(selector).ok().flatten().and_then(|e| e.dyn_into::<T>().ok()).unwrap_or_else(|| unreachable!("no {selector}"))
}

#[wasm_bindgen_test]
fn every_control_has_a_label() {
    let root = fresh_root();
    let _panel = mount(&root, "demo", None).unwrap_or_else(|_| unreachable!());
    let controls = root.query_selector_all("input:not([type=file]), select, textarea").unwrap_or_else(|_| unreachable!());
    assert_eq!(
        controls.length(),
        12,
        "search box, five form fields, \"Email me replies\", the honeypot, the reply box, two ratings and the rating's comment"
    );
    for i in 0..controls.length() {
        let control: Element = controls.item(i).and_then(|n| n.dyn_into().ok()).unwrap_or_else(|| unreachable!());
        let by_for = root.query_selector(&format!("label[for={}]", control.id())).ok().flatten().filter(|_| !control.id().is_empty());
        let label = by_for.or_else(|| control.closest("label").ok().flatten());
        assert!(label.and_then(|l| l.text_content()).is_some_and(|t| !t.is_empty()), "{} has no label", control.id());
    }
    // Each form's file input is hidden: its "Attach files" button, just before it, is the control people reach.
    let files = root.query_selector_all("[type=file]").unwrap_or_else(|_| unreachable!());
    assert_eq!(files.length(), 2, "the ticket form's and the reply box's");
    for i in 0..files.length() {
        let input: Element = files.item(i).and_then(|n| n.dyn_into().ok()).unwrap_or_else(|| unreachable!());
        assert!(input.has_attribute("hidden"));
        let button = input.previous_element_sibling().unwrap_or_else(|| unreachable!("no attach button"));
        assert_eq!(button.text_content().as_deref(), Some(text(Locale::En, MessageId::AttachFiles)));
    }
    let close: HtmlButtonElement = find(&root, "button.close");
    assert_eq!(close.get_attribute("aria-label").as_deref(), Some(text(Locale::En, MessageId::Close)));
}

/// Plural forms come from the browser's CLDR rules (`Intl.PluralRules`)
/// in the page's language: Arabic's six categories each pick their form.
#[wasm_bindgen_test]
fn counts_read_in_the_plural_form_of_the_page_language() {
    use buoy_widget_core::page::{lang, t_count, use_catalog};
    let html = document().document_element().unwrap_or_else(|| unreachable!("no html element"));
    let before = html.get_attribute("lang");
    let speak = |locale: Locale| {
        use_catalog(buoy_shared::messages::catalog(locale).into_iter().map(String::from).collect());
        html.set_attribute("lang", locale.tag()).unwrap_or_else(|_| unreachable!());
    };
    speak(Locale::Ar);
    assert_eq!(lang(), "ar");
    for (count, expected) in
        [(0, "لا توجد ردود جديدة"), (1, "رد جديد واحد"), (2, "ردّان جديدان"), (3, "3 ردود جديدة"), (11, "11 ردًا جديدًا"), (100, "100 رد جديد")]
    {
        assert_eq!(t_count(MessageId::UnreadReplies, count), expected, "{count}");
    }
    speak(Locale::Fr);
    assert_eq!(t_count(MessageId::UnreadReplies, 1), "1 nouvelle réponse");
    assert_eq!(t_count(MessageId::UnreadReplies, 1_000_000), "1000000 de nouvelles réponses");
    speak(Locale::En);
    assert_eq!(t_count(MessageId::UnreadReplies, 1), "1 new reply");
    assert_eq!(t_count(MessageId::UnreadReplies, 2), "2 new replies");
    match before {
        Some(lang) => html.set_attribute("lang", &lang).unwrap_or_else(|_| unreachable!()),
        None => html.remove_attribute("lang").unwrap_or_else(|_| unreachable!()),
    }
}
