//! The knowledge base: help articles written as Markdown with front matter
//! in `kb/`, parsed at build time into a small tree of safe nodes.
//!
//! The build reads each `kb/{id}.md` with [`parse_article`] (feature `kb`,
//! host only: no Markdown parser reaches the widget), checks the whole set
//! with [`validate_collection`] and fails on the first [`KbError`], which
//! names the file, the line and the field. The widget downloads the result
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
//! | `locale` | optional, `en` when left out; 2 or 3 letters, then optional `-` subtags: `pt-BR`, `zh-Hant` (case normalised) |
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
//! `![what it shows](images/name.png)`: PNG, JPEG, GIF, WebP or SVG. The
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
pub use front::{DEFAULT_LOCALE, KEYS, MAX_ID, MAX_TAG, MAX_TITLE};
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

/// Reads one article: its front matter, checked, and its Markdown body,
/// whose images must be among `images` (the knowledge base's `images/`
/// folder, as the build publishes it). `file_name` is the file's name or
/// path (`kb/reset-your-password.md`); the id must equal its last
/// component without `.md`.
///
/// # Errors
/// A [`KbError`] naming the file, the line and the field of the first
/// problem: one of the front matter (see [`front::parse_front`]), an
/// image that is wrong (see [`parse_markdown`]), or an empty body.
#[cfg(feature = "kb")]
pub fn parse_article(file_name: &str, text: &str, images: &Images) -> Result<Article, KbError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let front = front::parse_front(file_name, text)?;
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
