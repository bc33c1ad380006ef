//! The help module: search as you type, and articles. The panel loads it
//! at the requester's first search keystroke or first article (see
//! `buoy_widget_core::protocol::Module`), so the panel's first open
//! carries neither the search engine nor the article renderer, and a
//! visitor who only reads the suggestions downloads neither.
//!
//! It fetches the search index of the page's locale (the page's
//! `<html lang>`; the data block names each locale's hashed index path,
//! and a locale without articles gets the default locale's), answers
//! every `input` of the search box while it holds a query (the panel
//! draws the suggestions when it is empty), and draws the article the
//! panel shows (`Screen::Article`). An article in another language than
//! the page's (the default locale's, standing in for a missing
//! translation) carries its own `lang` and opens with a note saying so.
#![deny(missing_docs)]

pub mod article;

use buoy_shared::kb::DEFAULT_LOCALE;
use buoy_shared::messages::MessageId;
use buoy_shared::search::Index;
use buoy_widget_core::dom::{self, text_element, ArticleList, Listener};
use buoy_widget_core::net;
use buoy_widget_core::page::{field_of, page, page_json, read_catalog, t};
use buoy_widget_core::protocol::{self, Screen, CHANGE_EVENT};
use js_sys::Reflect;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlInputElement};

/// The longest wait between two requests for a search index that did
/// not arrive (after about a minute of them, the module stops asking).
const INDEX_RETRY_MAX_MS: i32 = 32_000;
/// How many results a search shows.
const RESULTS: usize = 8;
/// How long typing pauses before the number of results is announced:
/// once per search, not on every keystroke.
const ANNOUNCE_AFTER_MS: i32 = 700;

struct Help {
    root: Element,
    /// The page's locale (`<html lang>`).
    locale: String,
    title: Element,
    host_origin: Option<String>,
    search: HtmlInputElement,
    list: ArticleList,
    body: Element,
    /// The search index, once loaded.
    kb: Option<Index>,
    /// The article whose body shows (or is on its way).
    drawn: Option<String>,
    /// The pending announcement of the result count: its timer and callback.
    announcing: Option<(i32, Closure<dyn FnMut()>)>,
}

impl Help {
    /// Draws the results of the search box's query; an empty query is the
    /// panel's (its suggestions).
    fn search(&self) {
        let Some(kb) = &self.kb else { return };
        let query = self.search.value();
        if query.trim().is_empty() {
            return;
        }
        let performance = web_sys::window().and_then(|w| w.performance());
        if let Some(p) = &performance {
            let _ = p.mark("buoy:search-start");
        }
        let hits = kb.search(&query, RESULTS);
        let found = hits.iter().filter_map(|hit| kb.docs().get(hit.doc)).map(|d| (d.id.as_str(), d.title.as_str()));
        self.list.draw(t(MessageId::Results), found, true);
        // A User Timing measure per keystroke: the benchmarks read it.
        if let Some(p) = &performance {
            let _ = p.measure_with_start_mark("buoy:search", "buoy:search-start");
        }
    }
}

/// Searches as the requester types, and announces the number of results
/// once typing pauses (a new keystroke puts the announcement off again).
fn typed(help: &Rc<RefCell<Help>>) {
    help.borrow().search();
    let Some(window) = web_sys::window() else { return };
    let mut state = help.borrow_mut();
    if let Some((timer, _)) = state.announcing.take() {
        window.clear_timeout_with_handle(timer);
    }
    let weak = Rc::downgrade(help);
    let said = Closure::<dyn FnMut()>::new(move || {
        let Some(help) = weak.upgrade() else { return };
        let state = help.borrow();
        let (Some(kb), Some(doc)) = (&state.kb, state.search.owner_document()) else { return };
        let query = state.search.value();
        if query.trim().is_empty() {
            return;
        }
        let count = kb.search(&query, RESULTS).len();
        let mut text = String::from(t(MessageId::ResultsFound));
        text.push(' ');
        text.push_str(&count.to_string());
        dom::announce(&doc, if count == 0 { t(MessageId::NoResults) } else { &text });
    });
    if let Ok(timer) = window.set_timeout_with_callback_and_timeout_and_arguments_0(said.as_ref().unchecked_ref(), ANNOUNCE_AFTER_MS) {
        state.announcing = Some((timer, said));
    }
}

/// Draws the body of the article the panel shows, once the index (for its
/// file and for links to other articles) and the article are here.
fn show_article(help: &Rc<RefCell<Help>>) {
    let file = {
        let mut state = help.borrow_mut();
        let Screen::Article(id) = protocol::heard(&state.root).screen else {
            state.drawn = None;
            return;
        };
        let Some(kb) = &state.kb else { return };
        if state.drawn.as_deref() == Some(id.as_str()) {
            return;
        }
        let Some(meta) = kb.docs().iter().find(|d| d.id == id) else { return };
        // The article in its own language: the page's, or the default locale's standing in.
        let lang = if meta.locale.is_empty() { &state.locale } else { &meta.locale };
        let _ = state.title.set_attribute("lang", lang);
        let _ = state.body.set_attribute("lang", lang);
        let file = (meta.file.clone(), !meta.locale.is_empty());
        state.drawn = Some(id);
        file
    };
    let (file, fallback) = file;
    let weak = Rc::downgrade(help);
    dom::spawn(async move {
        let body = net::get_json(&file).await;
        let Some(help) = weak.upgrade() else { return };
        let state = help.borrow();
        // Another screen since: not this article's body any more.
        if !matches!(protocol::heard(&state.root).screen, Screen::Article(id) if state.drawn.as_ref() == Some(&id)) {
            return;
        }
        state.body.set_text_content(None);
        let Some(doc) = state.body.owner_document() else { return };
        let exists = |id: &str| state.kb.as_ref().is_some_and(|kb| kb.docs().iter().any(|d| d.id == id));
        let links = article::Links { host_origin: state.host_origin.as_deref(), article_exists: &exists };
        let blocks = body.map(|b| Reflect::get(&b, &"body".into()).unwrap_or(JsValue::NULL));
        if fallback {
            let _ = text_element(
                &doc,
                "p",
                &[("class", "note"), ("lang", &state.locale)],
                t(MessageId::ArticleUntranslated),
                Some(&state.body),
            );
        }
        match blocks {
            Some(blocks) if article::render(&doc, &state.body, &blocks, &links).is_ok() => {}
            _ => state.body.set_text_content(Some(t(MessageId::ArticleFailed))),
        }
    });
}

/// The search index path of the page's `locale` in the data block's
/// `kb` (by locale), else the default locale's (a locale without
/// articles has no index of its own).
fn index_for(data: &JsValue, locale: &str) -> Option<String> {
    let indexes = Reflect::get(data, &"kb".into()).ok()?;
    field_of(&indexes, locale).or_else(|| field_of(&indexes, DEFAULT_LOCALE))
}

type Running = (Rc<RefCell<Help>>, Vec<Listener>);

thread_local! {
    /// The module and its listeners, for the page's life.
    static HELP: RefCell<Option<Running>> = const { RefCell::new(None) };
}

/// Runs when the help module loads on the widget page (the panel adds
/// it); does nothing on any other page.
///
/// # Errors
/// When the panel's markup lacks the search box, the list or the
/// article, or the browser refuses a listener.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    let Some((doc, root, _site, host_origin)) = page()? else { return Ok(()) };
    let data = page_json(&doc).unwrap_or(JsValue::NULL);
    read_catalog(&data);
    let (Some(search), Some(list), Some(title), Some(body)) = (
        doc.get_element_by_id("buoy-q"),
        ArticleList::find(&doc),
        doc.get_element_by_id("buoy-article-title"),
        doc.get_element_by_id("buoy-article-body"),
    ) else {
        return Err(JsValue::from_str("the panel's markup is incomplete"));
    };
    let locale = doc.document_element().and_then(|html| html.get_attribute("lang")).unwrap_or_default();
    let index = index_for(&data, &locale);
    let help = Rc::new(RefCell::new(Help {
        root: root.clone(),
        locale,
        title,
        host_origin,
        search: search.unchecked_into(),
        list,
        body,
        kb: None,
        drawn: None,
        announcing: None,
    }));
    let on = |target: &Element, kind: &'static str, f: fn(&Rc<RefCell<Help>>)| {
        let weak = Rc::downgrade(&help);
        Listener::new(target, kind, move |_| {
            if let Some(help) = weak.upgrade() {
                f(&help);
            }
        })
    };
    let search = help.borrow().search.clone();
    let listeners = vec![on(&search, "input", typed)?, on(&root, CHANGE_EVENT, show_article)?];
    if let Some(index) = index {
        let weak = Rc::downgrade(&help);
        dom::spawn(async move {
            // A dropped connection must not leave search dead until a
            // reload: the index is asked for again, 1 s, 2 s, 4 s … later.
            let mut wait = 1000;
            let text = loop {
                if let Some(text) = net::get_text(&index).await {
                    break text;
                }
                if wait > INDEX_RETRY_MAX_MS {
                    return;
                }
                dom::sleep(wait).await;
                wait *= 2;
            };
            let Some(help) = weak.upgrade() else { return };
            help.borrow_mut().kb = Index::parse(&text).ok();
            // What the requester typed, or the article they opened, while
            // this module and the index were on their way.
            help.borrow().search();
            show_article(&help);
        });
    }
    HELP.with(|slot| *slot.borrow_mut() = Some((help, listeners)));
    Ok(())
}
