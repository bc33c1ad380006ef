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

/// `blocks` (article JSON) drawn into a new element: its HTML.
fn drawn_article(blocks: &str) -> String {
    let doc = document();
    let parent = doc.create_element("div").unwrap_or_else(|_| unreachable!());
    let blocks = js_sys::JSON::parse(blocks).unwrap_or_else(|_| unreachable!());
    let exists = |_: &str| false;
    let links = Links { host_origin: None, article_exists: &exists };
    render(&doc, &parent, &blocks, &links).unwrap_or_else(|_| unreachable!());
    parent.inner_html()
}

#[wasm_bindgen_test]
fn images_are_drawn_only_from_the_sites_kb_files() {
    let image = |src: &str| format!(r#"[{{"t":"P","c":[{{"t":"Img","s":{src:?},"a":"The \"billing\" page","w":320,"h":200}}]}}]"#);
    assert_eq!(
        drawn_article(&image("/kb/images/shot.0123456789abcdef.png")),
        r#"<p><img src="/kb/images/shot.0123456789abcdef.png" alt="The &quot;billing&quot; page" loading="lazy" decoding="async" width="320" height="200"></p>"#
    );
    for src in [
        "https://evil.example/kb/x.png",
        "//evil.example/kb/x.png",
        "javascript:alert(1)",
        "data:image/png;base64,AA",
        "/v1/tickets",
        "kb/x.png",
        "",
    ] {
        assert_eq!(drawn_article(&image(src)), "<p></p>", "{src}");
    }
}

#[wasm_bindgen_test]
fn tables_and_nested_lists_are_drawn() {
    let text = |s: &str| format!(r#"{{"t":"Text","s":{s:?}}}"#);
    let table = format!(
        r#"[{{"t":"Table","h":[[{}],[{}]],"r":[[[{}],[{{"t":"Strong","c":[{}]}}]],[[],[{}]]]}}]"#,
        text("Plan"),
        text("<b>Price</b>"),
        text("Free"),
        text("0"),
        text("9")
    );
    assert_eq!(
        drawn_article(&table),
        concat!(
            r#"<div class="table"><table><thead><tr><th scope="col">Plan</th><th scope="col">&lt;b&gt;Price&lt;/b&gt;</th></tr></thead>"#,
            r#"<tbody><tr><td>Free</td><td><strong>0</strong></td></tr><tr><td></td><td>9</td></tr></tbody></table></div>"#
        )
    );
    let list =
        format!(r#"[{{"t":"Ul","i":[{{"c":[{}],"b":[{{"t":"Ol","i":[{{"c":[{}]}}]}}]}},{{"c":[{}]}}]}}]"#, text("a"), text("b"), text("c"));
    assert_eq!(drawn_article(&list), "<ul><li>a<ol><li>b</li></ol></li><li>c</li></ul>");
}
