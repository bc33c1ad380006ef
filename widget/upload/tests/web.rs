//! The upload module in headless Chromium: what a requester sees when
//! they drop files on the ticket form.
#![cfg(target_arch = "wasm32")]

use buoy_shared::messages::{catalog, fill, text, Locale, MessageId};
use js_sys::{Array, Uint8Array, JSON};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{DataTransfer, Document, DragEvent, DragEventInit, Element, File, FilePropertyBag, HtmlButtonElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> Document {
    web_sys::window().and_then(|w| w.document()).unwrap_or_else(|| unreachable!("no document"))
}

/// The widget page as the build writes it: the catalog in its data
/// block, the panel's markup in `#buoy`.
fn widget_page() {
    let doc = document();
    if let Some(html) = doc.document_element() {
        let _ = html.set_attribute("lang", "en");
    }
    let texts: Array = catalog(Locale::En).into_iter().map(wasm_bindgen::JsValue::from_str).collect();
    let data = doc.create_element("script").unwrap_or_else(|_| unreachable!());
    data.set_id("buoy-data");
    let _ = data.set_attribute("type", "application/json");
    let json = JSON::stringify(&texts).ok().and_then(|t| t.as_string()).unwrap_or_default();
    data.set_text_content(Some(&["{\"t\":", &json, "}"].concat()));
    let root = doc.create_element("div").unwrap_or_else(|_| unreachable!());
    root.set_id("buoy");
    root.set_inner_html(&buoy_shared::panel::skeleton(Locale::En));
    for el in [data, root] {
        doc.body().map(|b| b.append_child(&el)).transpose().unwrap_or_else(|_| unreachable!());
    }
}

/// Drops files on `target` as a browser does; whether the drop was taken.
fn drop_files(target: &Element, files: &[(&str, &str, &[u8])]) -> bool {
    let transfer = DataTransfer::new().unwrap_or_else(|_| unreachable!());
    for (name, kind, bytes) in files {
        let options = FilePropertyBag::new();
        options.set_type(kind);
        let parts = Array::of1(&Uint8Array::from(*bytes));
        let file = File::new_with_u8_array_sequence_and_options(&parts, name, &options).unwrap_or_else(|_| unreachable!());
        let _ = transfer.items().add_with_file(&file);
    }
    let init = DragEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_data_transfer(Some(&transfer));
    let event = DragEvent::new_with_event_init_dict("drop", &init).unwrap_or_else(|_| unreachable!());
    let _ = target.dispatch_event(&event);
    event.default_prevented()
}

fn rows(form: &Element) -> Vec<Element> {
    let found = form.query_selector_all(".files li").unwrap_or_else(|_| unreachable!());
    (0..found.length()).filter_map(|i| found.item(i)?.dyn_into().ok()).collect()
}

#[wasm_bindgen_test]
fn dropped_files_show_name_size_thumbnail_and_remove_button_and_a_sixth_its_error() {
    widget_page();
    buoy_widget_upload::start_upload().unwrap_or_else(|_| unreachable!());
    let form = document().get_element_by_id("buoy-form").unwrap_or_else(|| unreachable!());
    let png = b"\x89PNG\r\n\x1a\n";
    let files: Vec<(String, &str, &[u8])> = (1..=6).map(|n| (format!("shot-{n}.png"), "image/png", &png[..])).collect();
    let files: Vec<(&str, &str, &[u8])> = files.iter().map(|(name, kind, bytes)| (name.as_str(), *kind, *bytes)).collect();
    assert!(drop_files(&form, &files), "the drop is taken, not opened by the browser");

    let listed = rows(&form);
    assert_eq!(listed.len(), 6, "each file is listed");
    for (n, row) in listed.iter().enumerate() {
        let name = format!("shot-{}.png", n + 1);
        let find = |selector: &str| row.query_selector(selector).ok().flatten();
        assert_eq!(find(".name").and_then(|e| e.text_content()), Some(name.clone()));
        assert_eq!(find(".about .hint").and_then(|e| e.text_content()), Some("8 byte".into()), "its size, in the page's language");
        assert!(find("img.thumb").and_then(|i| i.get_attribute("src")).is_some_and(|s| s.starts_with("blob:")), "a thumbnail");
        let remove = find(".remove").unwrap_or_else(|| unreachable!());
        assert_eq!(remove.get_attribute("aria-label"), Some(fill(text(Locale::En, MessageId::RemoveFile), "name", &name)));
    }
    // The sixth is one too many: its error, tied to its remove button; it never uploads.
    let sixth = &listed[5];
    let error = sixth.query_selector(".error").ok().flatten().unwrap_or_else(|| unreachable!("no error on the sixth"));
    assert_eq!(error.text_content().as_deref(), Some(text(Locale::En, MessageId::ErrTooManyFiles)));
    let remove = sixth.query_selector(".remove").ok().flatten().unwrap_or_else(|| unreachable!());
    assert_eq!(remove.get_attribute("aria-describedby"), Some(error.id()));
    assert!(sixth.query_selector("progress").ok().flatten().is_none());
    let tray = form.get_attribute("data-files").unwrap_or_default();
    assert_eq!(tray.split(' ').filter(|k| !k.is_empty()).count(), 5, "the message will carry five");

    remove.unchecked_into::<HtmlButtonElement>().click();
    assert_eq!(rows(&form).len(), 5, "removed before sending");
}
