//! The help module's article renderer in headless Chromium: where an
//! article's links go.
#![cfg(target_arch = "wasm32")]

use buoy_widget_help::article::{render, Links};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Document, Element};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> Document {
    web_sys::window().and_then(|w| w.document()).unwrap_or_else(|| unreachable!("no document"))
}

/// The `href`s (or `None` for a plain span) an article's links become on
/// a host at `host_origin`.
fn drawn_links(host_origin: Option<&str>, hrefs: &[&str]) -> Vec<Option<String>> {
    let doc = document();
    let parent = doc.create_element("div").unwrap_or_else(|_| unreachable!());
    let links: Vec<String> = hrefs.iter().map(|h| format!(r#"{{"t":"A","h":{h:?},"c":[{{"t":"Text","s":"x"}}]}}"#)).collect();
    let blocks = js_sys::JSON::parse(&format!(r#"[{{"t":"P","c":[{}]}}]"#, links.join(","))).unwrap_or_else(|_| unreachable!());
    let exists = |_: &str| false;
    let links = Links { host_origin, article_exists: &exists };
    render(&doc, &parent, &blocks, &links).unwrap_or_else(|_| unreachable!());
    let drawn = parent.query_selector_all("p > *").unwrap_or_else(|_| unreachable!());
    (0..drawn.length())
        .filter_map(|i| drawn.item(i).and_then(|n| n.dyn_into::<Element>().ok()))
        .map(|e| (e.tag_name() == "A").then(|| e.get_attribute("href").unwrap_or_default()))
        .collect()
}

#[wasm_bindgen_test]
fn host_path_links_are_parsed_and_stay_on_the_host_origin() {
    let origin = Some("https://app.example.com");
    assert_eq!(
        drawn_links(origin, &["/login", "/a/../b?x=1#y", "/\\evil.example/x", "/\\/evil.example"]),
        vec![
            Some("https://app.example.com/login".to_owned()),
            Some("https://app.example.com/b?x=1#y".to_owned()),
            // A backslash is a slash to the URL parser: this would be another host.
            None,
            None,
        ]
    );
    // Without a host (no fragment, or one the site does not allow) a host path is text.
    assert_eq!(drawn_links(None, &["/login"]), vec![None]);
}
