//! The knowledge base: help articles written as Markdown with front matter
//! in `kb/{locale}/`, parsed at build time into a small tree of safe nodes.
//!
//! # Locales
//!
//! Articles live in one folder per language, named by its tag in its
//! usual case ([`locale_folder`]): `kb/en/`, `kb/de/`, `kb/pt-BR/`. The
//! folder decides an article's language; a `locale` key that says
//! otherwise is an error. A translation has its original's id (and file
//! name). Readers of a locale get its articles, and the
//! [`DEFAULT_LOCALE`]'s (`en`) for those not translated yet, which keep
//! their own `locale` so the widget marks them ([`by_locale`]). Images
//! live in `kb/images/`, shared by every locale.
//!
//! The build reads each `kb/{locale}/{id}.md` with [`parse_article`]
//! (feature `kb`, host only: no Markdown parser reaches the widget),
//! checks each locale's set and the fallbacks with [`by_locale`] and
//! fails on the first [`KbError`], which names the file, the line and the
//! field. The widget downloads the result
//! as JSON and turns every node into a DOM node: text only ever becomes a
//! text node, never HTML, so `<script>` or an `onerror=` attribute written
//! in an article stays inert, visible text.
//!
//! The parts: [`front`] (the front matter), `markdown` (the body, feature
//! `kb`), [`image`] (the images an article may show), [`node`] (the node
//! tree), [`pattern`] (`suggest_on`'s URL path patterns).
//!
//! # Front matter
//!
//! ```text
//! ---
//! id: reset-your-password
//! title: Reset your password
//! tags: [account, password]
//! locale: en
//! type: password_reset
//! suggest_on: [/login*, /settings/*/password]
//! ---
//! Forgot your password? …
//! ```
//!
//! | key | value |
//! |---|---|
//! | `id` | required; a slug (`a-z`, `0-9`, `-`) of 1 to 64 characters, equal to the file name without `.md` |
//! | `title` | required; 1 to 120 characters |
//! | `tags` | optional; `[a, b]` or `a, b`, each a slug of at most 32 characters, no repeats |
//! | `locale` | optional: the folder decides; when given, its folder's tag (any case: `pt-br` in `kb/pt-BR/`) |
//! | `type` | optional; the [`TicketType`] wire name the article helps with, such as `billing` |
//! | `suggest_on` | optional list of URL path patterns (see [`path_matches`]), each `*` or starting with `/` |
//!
//! A value may be wrapped in double quotes, which are removed. Blank lines
//! and lines starting with `#` are skipped. Unknown or repeated keys, a
//! missing closing `---` and an empty body are errors.
//!
//! # Markdown
//!
//! CommonMark, through `pulldown-cmark`, with GFM tables:
//!
//! - headings: `#` becomes level 2 (the title is level 1), `##` level 3,
//!   deeper ones level 4; an empty heading is dropped;
//! - paragraphs; the lines of a paragraph join with a space (so does a hard
//!   line break);
//! - bulleted and numbered lists, nested to any depth: an item holds its
//!   first paragraph's text, then any further blocks;
//! - code blocks, fenced or indented, kept verbatim (the language after
//!   the opening fence is ignored);
//! - tables: a header row, then the body's rows (column alignment is
//!   ignored);
//! - inline emphasis, strong emphasis, code spans, links and images;
//! - a block quote's content joins the article as if unquoted; a thematic
//!   break (`---`) is dropped.
//!
//! Everything else, raw HTML included, is text. Markers that do not close
//! stay as written.
//!
//! Links are kept only to `http:`, `https:` and `mailto:` URLs (the scheme
//! compared without case; `<a@b.example>` is a `mailto:` link) and to site
//! paths starting with one `/`. Any other destination (`javascript:`,
//! `data:`, `vbscript:`, `//host`, relative paths, anything holding white
//! space, control characters or a backslash) leaves just the label, as
//! plain text.
//!
//! An image is a file of the knowledge base's `images/` folder, written
//! `![what it shows](../images/name.png)` (or `images/name.png`): PNG, JPEG, GIF, WebP or SVG. The
//! build publishes it under a content-hashed name and the node carries
//! that path, the alt text and the width and height read from the file.
//! An image without alt text, a remote one, one outside `images/`, one of
//! another type and a missing file are errors naming the file and line.
//!
//! # JSON shape
//!
//! Compact, because the widget downloads it, and walked by the widget as
//! plain JS objects: every node is an object whose `t` names its kind,
//! with one-letter fields. Unknown `t` values should be skipped.
//!
//! | node | JSON | DOM |
//! |---|---|---|
//! | [`Block::H`] | `{"t":"H","l":2,"c":[inline…]}`, `l` from 2 to 4 | a heading |
//! | [`Block::P`] | `{"t":"P","c":[inline…]}` | `<p>` |
//! | [`Block::Ul`] | `{"t":"Ul","i":[item…]}` | `<ul>` |
//! | [`Block::Ol`] | `{"t":"Ol","i":[item…]}` | `<ol>` |
//! | [`Item`] | `{"c":[inline…],"b":[block…]}`, `b` left out when empty | `<li>` |
//! | [`Block::Pre`] | `{"t":"Pre","s":"line\nline"}` | `<pre>` with one text node |
//! | [`Block::Table`] | `{"t":"Table","h":[[inline…],…],"r":[[[inline…],…],…]}`: header cells, then rows of cells | `<table>` with `<thead>` (`<th scope=col>`) and `<tbody>` |
//! | [`Inline::Text`] | `{"t":"Text","s":"text"}` | a text node |
//! | [`Inline::Em`] | `{"t":"Em","c":[inline…]}` | `<em>` |
//! | [`Inline::Strong`] | `{"t":"Strong","c":[inline…]}` | `<strong>` |
//! | [`Inline::Code`] | `{"t":"Code","s":"text"}` | `<code>` with one text node |
//! | [`Inline::A`] | `{"t":"A","h":"https://…","c":[inline…]}` | `<a href>` |
//! | [`Inline::Img`] | `{"t":"Img","s":"/kb/images/shot.0123456789abcdef.png","a":"alt","w":640,"h":400}` | `<img>` |
//!
//! An [`Article`] is
//! `{"id":"…","title":"…","tags":["…"],"locale":"en","type":"billing","suggest_on":["/billing*"],"body":[block…]}`;
//! `tags`, `type` and `suggest_on` are left out when empty.
//!
//! The widget maps `t` through its own fixed list of elements (never
//! passing it to `createElement`), sets `href` only from an `A` node and
//! `src` only from an `Img` node whose path is under `/kb/`.
//!
//! ```
//! # #[cfg(feature = "kb")] {
//! use buoy_shared::kb::{parse_markdown, Block, Images, Inline};
//! let blocks = parse_markdown("Read **this** <b>first</b>.", &Images::new());
//! let text = |s: &str| Inline::Text { s: s.into() };
//! let c = vec![text("Read "), Inline::Strong { c: vec![text("this")] }, text(" <b>first</b>.")];
//! assert_eq!(blocks, Ok(vec![Block::P { c }]));
//! # }
//! ```

pub mod error;
pub mod front;
pub mod image;
#[cfg(feature = "kb")]
mod markdown;
pub mod node;
pub mod pattern;

pub use error::{KbError, BODY, FRONT_MATTER};
pub use front::{language_tag, DEFAULT_LOCALE, KEYS, MAX_ID, MAX_TAG, MAX_TITLE};
pub use image::{ImageFile, Images};
#[cfg(feature = "kb")]
pub use markdown::{parse_markdown, safe_href, MarkdownError};
pub use node::{plain_text, Block, Inline, Item};
pub use pattern::path_matches;

use crate::ticket::TicketType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One help article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Its slug, equal to its file name without `.md`.
    pub id: String,
    /// Its title, shown as the level-1 heading.
    pub title: String,
    /// Slugs for search and grouping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The language it is written in, such as `en` or `pt-BR`.
    #[serde(default = "default_locale")]
    pub locale: String,
    /// The ticket type it helps with, if any.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TicketType>,
    /// The URL path patterns of the host pages where the widget suggests it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggest_on: Vec<String>,
    /// Its content.
    pub body: Vec<Block>,
}

fn default_locale() -> String {
    DEFAULT_LOCALE.to_owned()
}

/// Reads one article of the folder of `locale` (a tag as
/// [`locale_folder`] returns it): its front matter, checked, and its
/// Markdown body, whose images must be among `images` (the knowledge
/// base's `images/` folder, as the build publishes it). `file_name` is the
/// file's name or path (`kb/en/reset-your-password.md`); the id must equal
/// its last component without `.md`.
///
/// # Errors
/// A [`KbError`] naming the file, the line and the field of the first
/// problem: one of the front matter (see [`front::parse_front`]), an
/// image that is wrong (see [`parse_markdown`]), or an empty body.
#[cfg(feature = "kb")]
pub fn parse_article(locale: &str, file_name: &str, text: &str, images: &Images) -> Result<Article, KbError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let front = front::parse_front(locale, file_name, text)?;
    let error = |line: usize, message: String| KbError { file: file_name.to_owned(), field: BODY.to_owned(), line, message };
    let body = parse_markdown(text.get(front.body..).unwrap_or(""), images)
        .map_err(|e| error(front.body_line + e.line.saturating_sub(1), e.message))?;
    if body.is_empty() {
        return Err(error(front.body_line, "empty; write the article below the closing `---`".into()));
    }
    let front::Front { id, title, tags, locale, kind, suggest_on, .. } = front;
    Ok(Article { id, title, tags, locale, kind, suggest_on, body })
}

/// Checks the articles of one knowledge base together.
///
/// # Errors
/// A [`KbError`] when there is no article (file `kb`, field `articles`), or
/// when two articles share an id (file `{id}.md`, field `id`, line 0).
pub fn validate_collection(articles: &[Article]) -> Result<(), KbError> {
    if articles.is_empty() {
        return Err(KbError {
            file: "kb".into(),
            field: "articles".into(),
            line: 0,
            message: "the knowledge base has no articles; add a Markdown file with front matter".into(),
        });
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (n, article) in articles.iter().enumerate() {
        if let Some(first) = seen.insert(&article.id, n + 1) {
            return Err(KbError {
                file: format!("{}.md", article.id),
                field: "id".into(),
                line: 0,
                message: format!("`{}` is the id of articles {first} and {} of {}; ids must be unique", article.id, n + 1, articles.len()),
            });
        }
    }
    Ok(())
}

/// The locale of a knowledge base folder: its name, which must be a
/// language tag in its usual case (`en`, `de`, `pt-BR`).
///
/// # Errors
/// A [`KbError`] (file: the folder, field `locale`) when the name is not
/// one, saying which name it should have when only its case is wrong.
pub fn locale_folder(name: &str) -> Result<String, KbError> {
    let error = |message: String| KbError { file: format!("{name}/"), field: "locale".into(), line: 0, message };
    match language_tag(name) {
        Some(tag) if tag == name => Ok(tag),
        Some(tag) => Err(error(format!("name the folder `{tag}`, the language tag's usual case"))),
        None => Err(error(
            "a knowledge base folder is named after its articles' language: a tag such as `en`, `de` or `pt-BR` (or `images`)".into(),
        )),
    }
}

/// The articles each locale's readers get: for every locale with
/// articles, its own, with the [`DEFAULT_LOCALE`]'s in place of those it
/// has not translated (an article translates another when it has the
/// same id). They come in the default locale's order, then the locale's
/// articles the default locale lacks; locales come in tag order. Each
/// article keeps its own `locale`, so a fallback shows as such.
///
/// # Errors
/// A [`KbError`] when a locale's articles break [`validate_collection`]
/// (repeated ids), or when the default locale has no article (file
/// `kb/en/`, field `articles`).
pub fn by_locale(articles: &[Article]) -> Result<BTreeMap<&str, Vec<&Article>>, KbError> {
    let mut own: BTreeMap<&str, Vec<&Article>> = BTreeMap::new();
    for article in articles {
        own.entry(article.locale.as_str()).or_default().push(article);
    }
    for (locale, list) in &own {
        let list: Vec<Article> = list.iter().map(|a| (*a).clone()).collect();
        validate_collection(&list).map_err(|e| KbError { file: format!("{locale}/{}", e.file), ..e })?;
    }
    let defaults = own.get(DEFAULT_LOCALE).cloned().unwrap_or_default();
    if defaults.is_empty() {
        return Err(KbError {
            file: format!("kb/{DEFAULT_LOCALE}/"),
            field: "articles".into(),
            line: 0,
            message: format!("the default locale `{DEFAULT_LOCALE}` has no articles; every other locale falls back to them"),
        });
    }
    let mut sets = BTreeMap::new();
    for (locale, list) in &own {
        let translated = |id: &str| list.iter().find(|a| a.id == id).copied();
        let mut set: Vec<&Article> = defaults.iter().map(|d| translated(&d.id).unwrap_or(d)).collect();
        set.extend(list.iter().filter(|a| !defaults.iter().any(|d| d.id == a.id)));
        sets.insert(*locale, set);
    }
    Ok(sets)
}

#[cfg(all(test, feature = "kb"))]
mod tests {
    use super::image::tests::PNG_64_40;
    use super::node::make::*;
    use super::*;

    fn article(lines: &[&str]) -> String {
        lines.join("\n")
    }

    const VALID: &[&str] = &[
        "---",
        "id: reset-your-password",
        "title: Reset your password",
        "tags: [account, password]",
        "locale: en",
        "type: password_reset",
        "suggest_on: [/login*, /settings/*/password]",
        "---",
        "Body.",
    ];

    /// Replaces line `n` (from 1) of the valid article, or removes it when `with` is `None`.
    fn edited(n: usize, with: Option<&str>) -> String {
        let mut lines: Vec<&str> = VALID.to_vec();
        match with {
            Some(line) => lines.get_mut(n - 1).into_iter().for_each(|l| *l = line),
            None => {
                lines.remove(n - 1);
            }
        }
        article(&lines)
    }

    #[test]
    fn a_valid_article_parses() {
        let text = edited(4, Some(r#"tags: "account", password , login"#));
        let got = parse_article("en", "kb/reset-your-password.md", &text, &Images::new());
        let expected = Article {
            id: "reset-your-password".into(),
            title: "Reset your password".into(),
            tags: vec!["account".into(), "password".into(), "login".into()],
            locale: "en".into(),
            kind: Some(TicketType::PASSWORD_RESET),
            suggest_on: vec!["/login*".into(), "/settings/*/password".into()],
            body: vec![p(vec![t("Body.")])],
        };
        assert_eq!(got, Ok(expected));

        let minimal = "\u{feff}---\r\nid: \"x\"\r\n# a comment\r\n\r\ntitle: \"Hello: world\"\r\n---\r\n# Hi\r\n";
        let got = parse_article("en", "x.md", minimal, &Images::new()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!((got.title.as_str(), got.locale.as_str(), got.kind), ("Hello: world", "en", None));
        assert!(got.tags.is_empty() && got.suggest_on.is_empty());
        assert_eq!(got.body, vec![h(2, vec![t("Hi")])]);

        for (value, locale) in [("pt-br", "pt-BR"), ("ZH-hant-tw", "zh-Hant-TW"), ("es-419", "es-419"), ("\"fil\"", "fil")] {
            let text = edited(5, Some(&format!("locale: {value}")));
            let got = parse_article(locale, "reset-your-password.md", &text, &Images::new()).map(|a| a.locale);
            assert_eq!(got.as_deref(), Ok(locale), "{value}");
        }
        let text = edited(5, None);
        let got = parse_article("de", "reset-your-password.md", &text, &Images::new()).map(|a| a.locale);
        assert_eq!(got.as_deref(), Ok("de"), "without the key, the folder's");
        let text = edited(7, Some("suggest_on: *"));
        let got = parse_article("en", "reset-your-password.md", &text, &Images::new()).map(|a| a.suggest_on);
        assert_eq!(got, Ok(vec!["*".to_owned()]));
        let text = edited(4, Some("tags: []"));
        assert_eq!(parse_article("en", "reset-your-password.md", &text, &Images::new()).map(|a| a.tags), Ok(vec![]));
    }

    #[test]
    fn bad_front_matter_names_file_line_and_field() {
        let file = "kb/reset-your-password.md";
        let unclosed = article(VALID.get(..7).unwrap_or_default());
        let cases: Vec<(&str, String, usize, &str, &str)> = vec![
            ("empty file", String::new(), 1, "front matter", "empty"),
            ("no opening", "id: x\n---\nBody".into(), 1, "front matter", "starts with a line `---`"),
            ("missing id", edited(2, None), 1, "id", "required"),
            ("missing title", edited(3, None), 1, "title", "required"),
            ("id is not the file name", edited(2, Some("id: reset-password")), 2, "id", "must equal the file name"),
            ("id not a slug", edited(2, Some("id: Reset_Password")), 2, "id", "not a slug"),
            ("id too long", edited(2, Some(&format!("id: {}", "a".repeat(65)))), 2, "id", "not a slug"),
            ("unclosed quote", edited(2, Some("id: \"reset-your-password")), 2, "id", "quote"),
            ("empty title", edited(3, Some("title: \"\"")), 3, "title", "1 to 120"),
            ("long title", edited(3, Some(&format!("title: {}", "é".repeat(121)))), 3, "title", "1 to 120"),
            ("bad tag", edited(4, Some("tags: [account, Pass word]")), 4, "tags", "`Pass word` is not a slug"),
            ("long tag", edited(4, Some(&format!("tags: {}", "a".repeat(33)))), 4, "tags", "not a slug"),
            ("empty tag", edited(4, Some("tags: [a,, b]")), 4, "tags", "empty item"),
            ("repeated tag", edited(4, Some("tags: a, a")), 4, "tags", "twice"),
            ("unclosed list", edited(4, Some("tags: [a, b")), 4, "tags", "not closed"),
            ("bad locale", edited(5, Some("locale: english")), 5, "locale", "not a language tag"),
            ("bad locale subtag", edited(5, Some("locale: en-")), 5, "locale", "not a language tag"),
            (
                "locale of another folder",
                edited(5, Some("locale: de")),
                5,
                "locale",
                "`de` differs from the folder's `en`: an article's folder decides its language",
            ),
            (
                "unknown type",
                edited(6, Some("type: refund")),
                6,
                "type",
                "unknown ticket type `refund`; expected one of password_reset, billing",
            ),
            ("bad suggest_on", edited(7, Some("suggest_on: [/ok, billing*]")), 7, "suggest_on", "`billing*` is not a URL path pattern"),
            ("suggest_on with query", edited(7, Some("suggest_on: /a?b=1")), 7, "suggest_on", "not a URL path pattern"),
            ("unknown key", edited(5, Some("language: en")), 5, "language", "unknown key; expected one of id, title"),
            ("repeated key", edited(5, Some("title: Again")), 5, "title", "repeated key (first set on line 3)"),
            ("not key value", edited(5, Some("just words")), 5, "front matter", "expected `key: value`"),
            ("no key", edited(5, Some(": en")), 5, "front matter", "key is missing"),
            ("missing closing", unclosed, 1, "front matter", "no closing `---`"),
            ("empty body", edited(9, Some("  ")), 9, "body", "empty"),
            ("no body", edited(9, None), 9, "body", "empty"),
        ];
        for (name, text, line, field, message) in cases {
            let error = parse_article("en", file, &text, &Images::new()).err().unwrap_or_else(|| unreachable!("{name}: parsed"));
            assert_eq!((error.file.as_str(), error.line, error.field.as_str()), (file, line, field), "{name}: {error}");
            assert!(error.message.contains(message), "{name}: {error}");
        }
        let error =
            parse_article("en", file, &edited(6, Some("type: refund")), &Images::new()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("kb/reset-your-password.md:6: type: unknown ticket type"), "{error}");
    }

    #[test]
    fn collections_need_articles_with_unique_ids() {
        let one = parse_article("en", "reset-your-password.md", &article(VALID), &Images::new()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(validate_collection(core::slice::from_ref(&one)), Ok(()));
        let none = validate_collection(&[]).err().map(|e| (e.file, e.field));
        assert_eq!(none, Some(("kb".to_owned(), "articles".to_owned())));
        let twice = validate_collection(&[one.clone(), one]).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(twice, "reset-your-password.md:0: id: `reset-your-password` is the id of articles 1 and 2 of 2; ids must be unique");
    }

    #[test]
    fn a_folder_is_named_after_its_language() {
        assert_eq!(locale_folder("pt-BR"), Ok("pt-BR".to_owned()));
        assert_eq!(locale_folder("de"), Ok("de".to_owned()));
        let wrong_case = locale_folder("pt-br").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(wrong_case, "pt-br/:0: locale: name the folder `pt-BR`, the language tag's usual case");
        let not_a_tag = locale_folder("drafts").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(not_a_tag.starts_with("drafts/:0: locale: a knowledge base folder is named after"), "{not_a_tag}");
    }

    #[test]
    fn each_locale_gets_its_translations_and_the_default_for_the_rest() {
        let make = |locale: &str, id: &str| Article {
            id: id.into(),
            title: format!("{id} ({locale})"),
            tags: vec![],
            locale: locale.into(),
            kind: None,
            suggest_on: vec![],
            body: vec![p(vec![t("x")])],
        };
        let articles = vec![
            make("en", "a"),
            make("en", "b"),
            make("en", "c"),
            make("de", "b"),
            make("de", "only-de"),
            make("ar", "c"),
            make("ar", "a"),
        ];
        let sets = by_locale(&articles).unwrap_or_else(|e| unreachable!("{e}"));
        let shown =
            |locale: &str| -> Vec<String> { sets.get(locale).into_iter().flatten().map(|a| format!("{}:{}", a.locale, a.id)).collect() };
        assert_eq!(sets.keys().copied().collect::<Vec<_>>(), ["ar", "de", "en"]);
        assert_eq!(shown("en"), ["en:a", "en:b", "en:c"]);
        assert_eq!(shown("de"), ["en:a", "de:b", "en:c", "de:only-de"]);
        assert_eq!(shown("ar"), ["ar:a", "en:b", "ar:c"]);

        let twice = by_locale(&[make("en", "a"), make("de", "b"), make("de", "b")]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(twice.starts_with("de/b.md:0: id: `b` is the id of articles 1 and 2"), "{twice}");
        let no_default = by_locale(&[make("de", "b")]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(no_default.starts_with("kb/en/:0: articles: the default locale `en` has no articles"), "{no_default}");
    }

    #[test]
    fn a_malicious_article_stays_inert() {
        let text = article(&[
            "---",
            "id: evil",
            "title: \"<script>alert('title')</script>\"",
            "---",
            "<script>alert(1)</script>",
            "",
            "<img src=x onerror=alert(2)> and <a href=\"javascript:alert(3)\">click</a>",
            "",
            "- [one](javascript:alert(4))",
            "- [two](JaVaScRiPt:alert(5)) [three](data:text/html,<script>alert(6)</script>)",
            "- [four](//evil.example) [five](java\tscript:alert(7)) [ok](https://good.example)",
            "",
            "**[six](vbscript:x)** <iframe srcdoc=\"<script>\">",
            "",
            "```",
            "<script>alert(9)</script>",
            "```",
        ]);
        let got = parse_article("en", "kb/evil.md", &text, &Images::new()).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(got.title, "<script>alert('title')</script>");
        let inlines = all_inlines(&got.body);
        let hrefs: Vec<&str> = inlines.iter().filter_map(|i| if let Inline::A { h, .. } = i { Some(h.as_str()) } else { None }).collect();
        assert_eq!(hrefs, vec!["https://good.example"]);
        let texts: String = inlines.iter().filter_map(|i| if let Inline::Text { s } = i { Some(s.as_str()) } else { None }).collect();
        for html in ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "<a href=\"javascript:alert(3)\">", "<iframe srcdoc="] {
            assert!(texts.contains(html), "{html} in {texts}");
        }
        assert_eq!(got.body.first(), Some(&p(vec![t("<script>alert(1)</script>")])));
        assert_eq!(
            got.body.get(2),
            Some(&ul(vec![
                vec![t("one")],
                vec![t("two three")],
                vec![t("four [five](java\tscript:alert(7)) "), a("https://good.example", vec![t("ok")])]
            ]))
        );
        assert_eq!(got.body.last(), Some(&pre("<script>alert(9)</script>")));
    }

    #[test]
    fn json_is_compact_and_round_trips() {
        let image = ImageFile { src: "/kb/images/a.0123456789abcdef.png".into(), width: 64, height: 40 };
        let images = Images::from([("images/a.png".to_owned(), image)]);
        let markdown = "# Hi\n\nSee [docs](/d), *now*.\n\n- `x`\n  - n\n\n1. **y**\n\n```\nz\n```\n\n|a|\n|-|\n|![A](images/a.png)|";
        let blocks = parse_markdown(markdown, &images).unwrap_or_default();
        let json = serde_json::to_string(&blocks).unwrap_or_default();
        assert_eq!(
            json,
            concat!(
                r#"[{"t":"H","l":2,"c":[{"t":"Text","s":"Hi"}]},"#,
                r#"{"t":"P","c":[{"t":"Text","s":"See "},{"t":"A","h":"/d","c":[{"t":"Text","s":"docs"}]},{"t":"Text","s":", "},"#,
                r#"{"t":"Em","c":[{"t":"Text","s":"now"}]},{"t":"Text","s":"."}]},"#,
                r#"{"t":"Ul","i":[{"c":[{"t":"Code","s":"x"}],"b":[{"t":"Ul","i":[{"c":[{"t":"Text","s":"n"}]}]}]}]},"#,
                r#"{"t":"Ol","i":[{"c":[{"t":"Strong","c":[{"t":"Text","s":"y"}]}]}]},{"t":"Pre","s":"z"},"#,
                r#"{"t":"Table","h":[[{"t":"Text","s":"a"}]],"r":[[[{"t":"Img","s":"/kb/images/a.0123456789abcdef.png","a":"A","w":64,"h":40}]]]}]"#,
            )
        );
        assert_eq!(serde_json::from_str::<Vec<Block>>(&json).ok(), Some(blocks));

        let text = article(&["---", "id: a", "title: A", "type: billing", "---", "Hello"]);
        let got = parse_article("en", "a.md", &text, &Images::new()).unwrap_or_else(|e| unreachable!("{e}"));
        let json = serde_json::to_string(&got).unwrap_or_default();
        assert_eq!(json, r#"{"id":"a","title":"A","locale":"en","type":"billing","body":[{"t":"P","c":[{"t":"Text","s":"Hello"}]}]}"#);
        assert_eq!(serde_json::from_str::<Article>(&json).ok(), Some(got.clone()));
        let full = Article { tags: vec!["x".into()], suggest_on: vec!["*".into()], kind: None, ..got };
        let json = serde_json::to_string(&full).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"id":"a","title":"A","tags":["x"],"locale":"en","suggest_on":["*"],"body":[{"t":"P","c":[{"t":"Text","s":"Hello"}]}]}"#
        );
        assert_eq!(serde_json::from_str::<Article>(&json).ok(), Some(full));
    }

    /// The repository's own knowledge base parses, folder by folder, and
    /// every translation has an English original (skipped where there is
    /// no file system).
    #[test]
    fn the_repository_kb_parses() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../kb");
        let Ok(entries) = std::fs::read_dir(root) else {
            return;
        };
        let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(format!("{root}/images"))
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap_or_default()))
            .collect();
        let images = image::collect_images(files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())), |name, _| {
            Ok(format!("/kb/images/{name}"))
        });
        let images = images.unwrap_or_else(|e| unreachable!("{e}"));
        let mut articles = Vec::new();
        for folder in entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir() && !p.ends_with("images")) {
            let name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let locale = locale_folder(&name).unwrap_or_else(|e| unreachable!("{e}"));
            let markdown = std::fs::read_dir(&folder).into_iter().flatten().filter_map(Result::ok).map(|e| e.path());
            for path in markdown.filter(|p| p.extension().is_some_and(|x| x == "md")) {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                articles.push(parse_article(&locale, &path.display().to_string(), &text, &images).unwrap_or_else(|e| unreachable!("{e}")));
            }
        }
        let sets = by_locale(&articles).unwrap_or_else(|e| unreachable!("{e}"));
        for (locale, set) in &sets {
            let own = set.iter().filter(|a| a.locale == *locale).count();
            assert!(*locale == DEFAULT_LOCALE || own >= 10, "{locale}: {own} articles of its own; the demo ships at least ten");
            for article in set.iter().filter(|a| a.locale == *locale && *locale != DEFAULT_LOCALE) {
                assert!(
                    articles.iter().any(|a| a.id == article.id && a.locale == DEFAULT_LOCALE),
                    "{locale}/{} has no original",
                    article.id
                );
            }
        }
        for article in &articles {
            for inline in all_inlines(&article.body) {
                if let Inline::A { h, .. } = inline {
                    assert!(safe_href(h).is_some(), "{h}");
                }
            }
        }
        let shown = articles.iter().flat_map(|a| all_inlines(&a.body)).filter(|i| matches!(i, Inline::Img { .. })).count();
        let tables = articles.iter().flat_map(|a| &a.body).filter(|b| matches!(b, Block::Table { .. })).count();
        assert!(shown >= 1 && tables >= 1, "the demo shows an image ({shown}) and a table ({tables})");
    }

    #[test]
    fn an_article_names_the_line_of_a_wrong_image() {
        let text = article(&["---", "id: a", "title: A", "---", "Intro", "", "![](images/a.png)"]);
        let error = parse_article("en", "kb/a.md", &text, &Images::new()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("kb/a.md:7: body: `images/a.png` is not in the knowledge base's images"), "{error}");
        let images = image::collect_images([("a.png", PNG_64_40)], |name, _| Ok(format!("/kb/images/{name}"))).unwrap_or_default();
        let error = parse_article("en", "kb/a.md", &text, &images).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("kb/a.md:7: body: an image needs alt text"), "{error}");
        let text = text.replace("![]", "![A chart]");
        let got = parse_article("en", "kb/a.md", &text, &images).map(|a| a.body);
        assert_eq!(got, Ok(vec![p(vec![t("Intro")]), p(vec![img("/kb/images/a.png", "A chart", 64, 40)])]));
    }
}
