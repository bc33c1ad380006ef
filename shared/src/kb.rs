//! The knowledge base: help articles written as Markdown with front matter
//! in `kb/`, parsed at build time into a small tree of safe nodes.
//!
//! The build reads each `kb/{id}.md` with [`parse_article`], checks the
//! whole set with [`validate_collection`] and fails on the first
//! [`KbError`], which names the file, the line and the field. The widget
//! downloads the result as JSON and turns every node into a DOM node: text
//! only ever becomes a text node, never HTML, so `<script>` or an
//! `onerror=` attribute written in an article stays inert, visible text.
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
//! A small subset, enough for help articles:
//!
//! - headings `#` to `######` followed by a space: `#` becomes level 2 (the
//!   title is level 1), `##` level 3, deeper ones level 4;
//! - paragraphs, separated by blank lines; the lines of a paragraph join
//!   with a space;
//! - `- ` or `* ` bullets and `1. ` numbered items, one level: a line
//!   indented by two or more spaces continues the item (or, when it is an
//!   item itself, adds one to the same list); blank lines between items of
//!   the same kind keep one list;
//! - fenced code blocks between lines of three backticks, kept verbatim
//!   (the language after the opening fence is ignored);
//! - inline `*em*` / `_em_`, `**strong**` / `__strong__` (CommonMark's
//!   delimiter rules, so `snake_case` stays as it is), `` `code` ``,
//!   `[label](url)` (an optional `"title"` after the URL is dropped) and
//!   backslash escapes of ASCII punctuation.
//!
//! Everything else, raw HTML included, is text. Markers that do not close
//! stay as written. An image `![alt](url)` is reduced to its alt text.
//!
//! Links are kept only to `http:`, `https:` and `mailto:` URLs (the scheme
//! compared without case) and to site paths starting with one `/`. Any
//! other destination (`javascript:`, `data:`, `vbscript:`, `//host`,
//! relative paths, anything holding white space, control characters or a
//! backslash) leaves just the label, as plain text.
//!
//! # JSON shape
//!
//! Compact, because the widget downloads it, and walked by the widget as
//! plain JS objects: every node is an object whose `t` names its kind,
//! with one-letter fields (`c` children, `s` text, `l` level, `i` items,
//! `h` link target). Unknown `t` values should be skipped.
//!
//! | node | JSON | DOM |
//! |---|---|---|
//! | [`Block::H`] | `{"t":"H","l":2,"c":[inline…]}`, `l` from 2 to 4 | a heading |
//! | [`Block::P`] | `{"t":"P","c":[inline…]}` | `<p>` |
//! | [`Block::Ul`] | `{"t":"Ul","i":[[inline…],…]}`, one array per item | `<ul><li>` |
//! | [`Block::Ol`] | `{"t":"Ol","i":[[inline…],…]}` | `<ol><li>` |
//! | [`Block::Pre`] | `{"t":"Pre","s":"line\nline"}` | `<pre>` with one text node |
//! | [`Inline::Text`] | `{"t":"Text","s":"text"}` | a text node |
//! | [`Inline::Em`] | `{"t":"Em","c":[inline…]}` | `<em>` |
//! | [`Inline::Strong`] | `{"t":"Strong","c":[inline…]}` | `<strong>` |
//! | [`Inline::Code`] | `{"t":"Code","s":"text"}` | `<code>` with one text node |
//! | [`Inline::A`] | `{"t":"A","h":"https://…","c":[inline…]}` | `<a href>` |
//!
//! An [`Article`] is
//! `{"id":"…","title":"…","tags":["…"],"locale":"en","type":"billing","suggest_on":["/billing*"],"body":[block…]}`;
//! `tags`, `type` and `suggest_on` are left out when empty.
//!
//! The widget maps `t` through its own fixed list of elements (never
//! passing it to `createElement`) and sets `href` only from an `A` node.
//!
//! ```
//! use buoy_shared::kb::{parse_markdown, Block, Inline};
//! let blocks = parse_markdown("Read **this** <b>first</b>.");
//! let text = |s: &str| Inline::Text { s: s.into() };
//! let c = vec![text("Read "), Inline::Strong { c: vec![text("this")] }, text(" <b>first</b>.")];
//! assert_eq!(blocks, vec![Block::P { c }]);
//! ```

use crate::ticket::TicketType;
use core::fmt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest article id, in characters.
pub const MAX_ID: usize = 64;
/// Longest article title, in characters.
pub const MAX_TITLE: usize = 120;
/// Longest tag, in characters.
pub const MAX_TAG: usize = 32;
/// The front matter keys an article may set.
pub const KEYS: &[&str] = &["id", "title", "tags", "locale", "type", "suggest_on"];
/// The locale of an article that sets none.
pub const DEFAULT_LOCALE: &str = "en";

/// The [`KbError::field`] of an error in the front matter's structure.
pub const FRONT_MATTER: &str = "front matter";
/// The [`KbError::field`] of an error in the Markdown body.
pub const BODY: &str = "body";

/// A block of an article's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum Block {
    /// A heading.
    H {
        /// The HTML heading level, 2 to 4 (the title is level 1).
        l: u8,
        /// Its content.
        c: Vec<Inline>,
    },
    /// A paragraph.
    P {
        /// Its content.
        c: Vec<Inline>,
    },
    /// A bulleted list.
    Ul {
        /// The content of each item.
        i: Vec<Vec<Inline>>,
    },
    /// A numbered list.
    Ol {
        /// The content of each item.
        i: Vec<Vec<Inline>>,
    },
    /// A fenced code block.
    Pre {
        /// The code, verbatim, lines separated by `\n`.
        s: String,
    },
}

/// A piece of text inside a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum Inline {
    /// Emphasis.
    Em {
        /// Its content.
        c: Vec<Inline>,
    },
    /// Strong emphasis.
    Strong {
        /// Its content.
        c: Vec<Inline>,
    },
    /// A code span.
    Code {
        /// The code, verbatim.
        s: String,
    },
    /// A link whose target passed the allowed-URL check.
    A {
        /// The target: an `http:`, `https:` or `mailto:` URL, or a path starting with one `/`.
        h: String,
        /// The label.
        c: Vec<Inline>,
    },
    /// Plain text.
    Text {
        /// The text.
        s: String,
    },
}

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

/// What is wrong with a knowledge base file, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KbError {
    /// The file, as given to [`parse_article`].
    pub file: String,
    /// The front matter key at fault, or [`FRONT_MATTER`] or [`BODY`].
    pub field: String,
    /// The line, from 1; 0 when no single line is at fault.
    pub line: usize,
    /// What is expected there.
    pub message: String,
}

impl fmt::Display for KbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.file, self.line, self.field, self.message)
    }
}

impl std::error::Error for KbError {}

/// Reads one article: its front matter, checked, and its Markdown body.
/// `file_name` is the file's name or path (`kb/reset-your-password.md`);
/// the id must equal its last component without `.md`.
///
/// # Errors
/// A [`KbError`] naming the file, the line and the field of the first
/// problem: no opening or closing `---`, a line that is not `key: value`,
/// an unknown or repeated key, a missing `id` or `title`, a value out of
/// its format (see the [module documentation](self)), an id that differs
/// from the file name, or an empty body.
pub fn parse_article(file_name: &str, text: &str) -> Result<Article, KbError> {
    let error = |line: usize, field: &str, message: String| KbError { file: file_name.to_owned(), field: field.to_owned(), line, message };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut id, mut title, mut tags, mut locale, mut kind, mut suggest_on) = (None, None, None, None, None, None);
    let mut offset = 0;
    let mut number = 0;
    let mut closed = None;
    for raw in text.split_inclusive('\n') {
        number += 1;
        offset += raw.len();
        let line = raw.trim();
        if number == 1 {
            if line != "---" {
                return Err(error(1, FRONT_MATTER, "an article starts with a line `---`, then `key: value` lines, then `---`".into()));
            }
            continue;
        }
        if line == "---" {
            closed = Some(number);
            break;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(error(number, FRONT_MATTER, format!("expected `key: value` or the closing `---`, found `{line}`")));
        };
        let key = key.trim();
        let slot = match key {
            "id" => &mut id,
            "title" => &mut title,
            "tags" => &mut tags,
            "locale" => &mut locale,
            "type" => &mut kind,
            "suggest_on" => &mut suggest_on,
            "" => return Err(error(number, FRONT_MATTER, "a key is missing before `:`".into())),
            _ => return Err(error(number, key, format!("unknown key; expected one of {}", KEYS.join(", ")))),
        };
        if let Some((first, _)) = slot {
            return Err(error(number, key, format!("repeated key (first set on line {first})")));
        }
        *slot = Some((number, value.trim()));
    }
    if number == 0 {
        return Err(error(1, FRONT_MATTER, "the file is empty; an article starts with a line `---`".into()));
    }
    let Some(closed) = closed else {
        return Err(error(1, FRONT_MATTER, "the front matter opened here has no closing `---` line".into()));
    };

    let (id_line, id) = id.ok_or_else(|| error(1, "id", "required: the article's slug, equal to the file name without `.md`".into()))?;
    let id = unquote(id).map_err(|m| error(id_line, "id", m))?;
    if !is_slug(id, MAX_ID) {
        return Err(error(id_line, "id", format!("`{id}` is not a slug of 1 to {MAX_ID} characters `a-z`, `0-9` and `-`")));
    }
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = base.strip_suffix(".md").unwrap_or(base);
    if id != stem {
        return Err(error(id_line, "id", format!("`{id}` must equal the file name without `.md` (`{stem}`)")));
    }

    let (title_line, title) = title.ok_or_else(|| error(1, "title", "required: the article's title".into()))?;
    let title = unquote(title).map_err(|m| error(title_line, "title", m))?.trim();
    let length = title.chars().count();
    if length == 0 || length > MAX_TITLE || title.chars().any(char::is_control) {
        return Err(error(title_line, "title", format!("expected 1 to {MAX_TITLE} characters without control characters")));
    }

    let mut tag_list: Vec<String> = Vec::new();
    if let Some((line, value)) = tags {
        for tag in list(value).map_err(|m| error(line, "tags", m))? {
            if !is_slug(tag, MAX_TAG) {
                return Err(error(line, "tags", format!("`{tag}` is not a slug of 1 to {MAX_TAG} characters `a-z`, `0-9` and `-`")));
            }
            if tag_list.iter().any(|t| t == tag) {
                return Err(error(line, "tags", format!("`{tag}` is listed twice")));
            }
            tag_list.push(tag.to_owned());
        }
    }

    let locale = match locale {
        None => default_locale(),
        Some((line, value)) => {
            let value = unquote(value).map_err(|m| error(line, "locale", m))?;
            normalize_locale(value).ok_or_else(|| {
                error(
                    line,
                    "locale",
                    format!("`{value}` is not a language tag such as `en`, `pt-BR` or `zh-Hant` (2 or 3 letters, then `-` subtags)"),
                )
            })?
        }
    };

    let kind = match kind {
        None => None,
        Some((line, value)) => {
            let value = unquote(value).map_err(|m| error(line, "type", m))?;
            let names: Vec<&str> = TicketType::ALL.iter().map(|t| t.as_str()).collect();
            Some(
                TicketType::parse(value)
                    .ok_or_else(|| error(line, "type", format!("unknown ticket type `{value}`; expected one of {}", names.join(", "))))?,
            )
        }
    };

    let mut patterns = Vec::new();
    if let Some((line, value)) = suggest_on {
        for pattern in list(value).map_err(|m| error(line, "suggest_on", m))? {
            let bad_char = pattern.chars().any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#');
            if !(pattern == "*" || pattern.starts_with('/')) || bad_char {
                return Err(error(
                    line,
                    "suggest_on",
                    format!("`{pattern}` is not a URL path pattern: `*` or a path starting with `/`, without spaces, `?` or `#`"),
                ));
            }
            patterns.push(pattern.to_owned());
        }
    }

    let body = parse_markdown(text.get(offset..).unwrap_or(""));
    if body.is_empty() {
        return Err(error(closed + 1, BODY, "empty; write the article below the closing `---`".into()));
    }
    Ok(Article { id: id.to_owned(), title: title.to_owned(), tags: tag_list, locale, kind, suggest_on: patterns, body })
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

/// Whether the URL path `path` matches `pattern`, where `*` stands for any
/// run of characters, `/` included, and everything else must be equal
/// (case included). A query or fragment on `path` is ignored: `/billing*`
/// matches `/billing`, `/billing/invoices` and `/billing?tab=1`, not
/// `/bill`; `*` matches every path.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let (p, s) = (pattern.as_bytes(), path.as_bytes());
    let (mut pi, mut si) = (0, 0);
    // After a `*`: where the pattern resumes, and the path position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    loop {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                star = Some((pi, si));
                continue;
            }
            Some(c) if s.get(si) == Some(c) => {
                pi += 1;
                si += 1;
                continue;
            }
            None if si == s.len() => return true,
            _ => {}
        }
        match star {
            Some((resume, tried)) if tried < s.len() => {
                star = Some((resume, tried + 1));
                pi = resume;
                si = tried + 1;
            }
            _ => return false,
        }
    }
}

/// All the text of `blocks`, for the search index: one line per heading,
/// paragraph, list item and code line; code included, link targets left
/// out.
pub fn plain_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    let line = |out: &mut String, text: &str| {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(text);
    };
    for block in blocks {
        match block {
            Block::H { c, .. } | Block::P { c } => line(&mut out, &inline_text(c)),
            Block::Ul { i } | Block::Ol { i } => i.iter().for_each(|item| line(&mut out, &inline_text(item))),
            Block::Pre { s } => line(&mut out, s),
        }
    }
    out
}

fn inline_text(inlines: &[Inline]) -> String {
    fn walk(out: &mut String, inlines: &[Inline]) {
        for inline in inlines {
            match inline {
                Inline::Text { s } | Inline::Code { s } => out.push_str(s),
                Inline::Em { c } | Inline::Strong { c } | Inline::A { c, .. } => walk(out, c),
            }
        }
    }
    let mut out = String::new();
    walk(&mut out, inlines);
    out
}

fn is_slug(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The value without its surrounding double quotes, if it has them.
fn unquote(value: &str) -> Result<&str, String> {
    match value.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').ok_or_else(|| "a double quote is not closed".to_owned()),
        None => Ok(value),
    }
}

/// The items of `[a, b]` or `a, b`, trimmed and unquoted; none for `[]` or nothing.
fn list(value: &str) -> Result<Vec<&str>, String> {
    let inner = match value.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').ok_or_else(|| "a `[` list is not closed with `]`".to_owned())?,
        None => value,
    };
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|item| match unquote(item.trim())? {
            "" => Err("an empty item; separate items with single commas".to_owned()),
            item => Ok(item),
        })
        .collect()
}

/// `en`, `pt-BR`, `zh-Hant`, `es-419`: a language of 2 or 3 letters, then
/// subtags of 2 to 8 letters or digits, in their usual case.
fn normalize_locale(value: &str) -> Option<String> {
    let mut parts = value.split('-');
    let language = parts.next()?;
    if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut out = language.to_ascii_lowercase();
    for part in parts {
        if !(2..=8).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        out.push('-');
        let letters = part.bytes().all(|b| b.is_ascii_alphabetic());
        match part.len() {
            2 if letters => out.push_str(&part.to_ascii_uppercase()),
            4 if letters => {
                let lower = part.to_ascii_lowercase();
                let mut chars = lower.chars();
                out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
                out.push_str(chars.as_str());
            }
            _ => out.push_str(&part.to_ascii_lowercase()),
        }
    }
    Some(out)
}

/// Parses the Markdown subset described in the [module documentation](self).
/// Never fails: whatever is not understood stays text.
pub fn parse_markdown(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<(bool, Vec<String>)> = None;
    let mut fence: Option<Vec<&str>> = None;
    for line in text.lines() {
        if let Some(code) = fence.as_mut() {
            if is_closing_fence(line) {
                out.push(Block::Pre { s: code.join("\n") });
                fence = None;
            } else {
                code.push(line);
            }
            continue;
        }
        let rest = line.trim_start();
        let indent = line.len() - rest.len();
        let rest = rest.trim_end();
        if rest.is_empty() {
            flush_paragraph(&mut out, &mut paragraph);
            continue;
        }
        if rest.starts_with("```") {
            flush_paragraph(&mut out, &mut paragraph);
            flush_list(&mut out, &mut list);
            fence = Some(Vec::new());
            continue;
        }
        let item = list_item(rest);
        if let Some((_, items)) = list.as_mut().filter(|_| indent >= 2) {
            match item {
                Some((_, _, text)) => items.push(text.to_owned()),
                None => {
                    if let Some(last) = items.last_mut() {
                        last.push(' ');
                        last.push_str(rest);
                    }
                }
            }
            continue;
        }
        if let Some((level, content)) = heading(rest) {
            flush_paragraph(&mut out, &mut paragraph);
            flush_list(&mut out, &mut list);
            if !content.is_empty() {
                out.push(Block::H { l: level, c: parse_inlines(content) });
            }
            continue;
        }
        match item {
            Some((ordered, _, text)) if list.as_ref().is_some_and(|(o, _)| *o == ordered) => {
                if let Some((_, items)) = list.as_mut() {
                    items.push(text.to_owned());
                }
            }
            // A numbered line inside a paragraph starts a list only from 1 (as in CommonMark).
            Some((ordered, interrupts, text)) if paragraph.is_empty() || interrupts => {
                flush_paragraph(&mut out, &mut paragraph);
                flush_list(&mut out, &mut list);
                list = Some((ordered, vec![text.to_owned()]));
            }
            _ => {
                flush_list(&mut out, &mut list);
                paragraph.push(rest);
            }
        }
    }
    if let Some(code) = fence {
        out.push(Block::Pre { s: code.join("\n") });
    }
    flush_paragraph(&mut out, &mut paragraph);
    flush_list(&mut out, &mut list);
    out
}

fn flush_paragraph(out: &mut Vec<Block>, paragraph: &mut Vec<&str>) {
    if !paragraph.is_empty() {
        out.push(Block::P { c: parse_inlines(&paragraph.join(" ")) });
        paragraph.clear();
    }
}

fn flush_list(out: &mut Vec<Block>, list: &mut Option<(bool, Vec<String>)>) {
    if let Some((ordered, items)) = list.take() {
        let i = items.iter().map(|item| parse_inlines(item)).collect();
        out.push(if ordered { Block::Ol { i } } else { Block::Ul { i } });
    }
}

fn is_closing_fence(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 3 && line.bytes().all(|b| b == b'`')
}

/// The HTML level and the content of a heading line.
fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    let after = line.get(hashes..)?;
    if !(1..=6).contains(&hashes) || !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let content = after.trim();
    // An optional closing run of `#`, after a space: `## Title ##` (but `C#` keeps its `#`).
    let stripped = content.trim_end_matches('#');
    let content = if stripped.is_empty() {
        stripped
    } else if stripped.len() < content.len() && stripped.ends_with([' ', '\t']) {
        stripped.trim_end()
    } else {
        content
    };
    Some((
        if hashes == 1 {
            2
        } else if hashes == 2 {
            3
        } else {
            4
        },
        content,
    ))
}

/// A list item: whether it is numbered, whether it may interrupt a paragraph
/// (a bullet, or the number 1, as in CommonMark), and its text.
fn list_item(line: &str) -> Option<(bool, bool, &str)> {
    let mut chars = line.chars();
    if let Some('-' | '*') = chars.next() {
        let text = chars.as_str();
        return text.starts_with([' ', '\t']).then(|| (false, true, text.trim()));
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let text = line.get(digits..)?.strip_prefix('.')?;
    let number = line.get(..digits)?;
    ((1..=9).contains(&digits) && text.starts_with([' ', '\t'])).then(|| (true, number.trim_start_matches('0') == "1", text.trim()))
}

/// A token of a line of inline text, before emphasis is resolved.
enum Token {
    Text(String),
    Node(Inline),
    /// A run of `*` or `_`: its character, the count not yet used, its
    /// original length, and whether it may open and close emphasis.
    Delimiter {
        ch: char,
        count: usize,
        length: usize,
        open: bool,
        close: bool,
    },
}

fn parse_inlines(text: &str) -> Vec<Inline> {
    let chars: Vec<char> = text.chars().collect();
    inlines(&chars, false)
}

fn inlines(chars: &[char], in_link: bool) -> Vec<Inline> {
    let mut tokens = Vec::new();
    let mut text = String::new();
    let flush = |tokens: &mut Vec<Token>, text: &mut String| {
        if !text.is_empty() {
            tokens.push(Token::Text(core::mem::take(text)));
        }
    };
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => match chars.get(i + 1) {
                Some(&next) if next.is_ascii_punctuation() => {
                    text.push(next);
                    i += 2;
                }
                _ => {
                    text.push('\\');
                    i += 1;
                }
            },
            '`' => {
                let n = run_length(chars, i, '`');
                match code_span_end(chars, i + n, n) {
                    Some(end) => {
                        flush(&mut tokens, &mut text);
                        let s = code_content(chars.get(i + n..end).unwrap_or_default());
                        tokens.push(Token::Node(Inline::Code { s }));
                        i = end + n;
                    }
                    None => {
                        text.extend(core::iter::repeat_n('`', n));
                        i += n;
                    }
                }
            }
            '*' | '_' => {
                let n = run_length(chars, i, c);
                let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
                let (open, close) = flanking(c, before, chars.get(i + n).copied());
                flush(&mut tokens, &mut text);
                tokens.push(Token::Delimiter { ch: c, count: n, length: n, open, close });
                i += n;
            }
            '[' | '!' if !in_link => {
                let image = c == '!';
                match link(chars, if image { i + 1 } else { i }) {
                    Some((label, destination, end)) => {
                        let label = inlines(label, true);
                        match safe_href(&destination).filter(|_| !image) {
                            Some(h) => {
                                flush(&mut tokens, &mut text);
                                tokens.push(Token::Node(Inline::A { h, c: label }));
                            }
                            None => text.push_str(&inline_text(&label)),
                        }
                        i = end;
                    }
                    None => {
                        text.push(c);
                        i += 1;
                    }
                }
            }
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
    flush(&mut tokens, &mut text);
    resolve_emphasis(&mut tokens);
    finish(tokens)
}

fn run_length(chars: &[char], at: usize, c: char) -> usize {
    chars.get(at..).map_or(0, |rest| rest.iter().take_while(|&&x| x == c).count())
}

/// Where the run of exactly `n` backticks closing a code span starts, searching from `from`.
fn code_span_end(chars: &[char], from: usize, n: usize) -> Option<usize> {
    let mut j = from;
    while let Some(&c) = chars.get(j) {
        if c == '`' {
            let m = run_length(chars, j, '`');
            if m == n {
                return Some(j);
            }
            j += m;
        } else {
            j += 1;
        }
    }
    None
}

/// A code span's text: one space is stripped from each end when both have one.
fn code_content(chars: &[char]) -> String {
    let s: String = chars.iter().collect();
    match s.strip_prefix(' ').and_then(|t| t.strip_suffix(' ')) {
        Some(inner) if !s.bytes().all(|b| b == b' ') => inner.to_owned(),
        _ => s,
    }
}

/// Whether a `*` or `_` run between `before` and `after` may open and may
/// close emphasis (CommonMark's flanking rules; ASCII punctuation only).
fn flanking(c: char, before: Option<char>, after: Option<char>) -> (bool, bool) {
    let space = |x: Option<char>| x.is_none_or(char::is_whitespace);
    let punct = |x: Option<char>| x.is_some_and(|x| x.is_ascii_punctuation());
    let left = !space(after) && (!punct(after) || space(before) || punct(before));
    let right = !space(before) && (!punct(before) || space(after) || punct(after));
    if c == '_' {
        (left && (!right || punct(before)), right && (!left || punct(after)))
    } else {
        (left, right)
    }
}

/// A `[label](destination)` starting at `start`: the label, the destination
/// (title dropped, escapes resolved) and the position after the `)`.
fn link(chars: &[char], start: usize) -> Option<(&[char], String, usize)> {
    if chars.get(start) != Some(&'[') {
        return None;
    }
    let mut depth = 0usize;
    let mut j = start;
    let close = loop {
        match *chars.get(j)? {
            '\\' => j += 1,
            '`' => {
                let n = run_length(chars, j, '`');
                j = code_span_end(chars, j + n, n).map_or(j + n, |end| end + n);
                continue;
            }
            '[' => depth += 1,
            ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    break j;
                }
            }
            _ => {}
        }
        j += 1;
    };
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let mut depth = 0usize;
    let mut k = close + 2;
    let end = loop {
        match *chars.get(k)? {
            '\\' => k += 1,
            '(' => depth += 1,
            ')' => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => break k,
            },
            _ => {}
        }
        k += 1;
    };
    let label = chars.get(start + 1..close)?;
    let raw: String = chars.get(close + 2..end)?.iter().collect();
    Some((label, destination(raw.trim()), end + 1))
}

/// The URL of a link's `(…)`: without a `"title"` after white space, without `<>`, escapes resolved.
fn destination(raw: &str) -> String {
    let url = match raw.split_once(char::is_whitespace) {
        Some((url, title)) if title.trim_start().len() >= 2 && title.trim_start().starts_with('"') && title.ends_with('"') => url,
        _ => raw,
    };
    let url = url.strip_prefix('<').and_then(|u| u.strip_suffix('>')).unwrap_or(url);
    let mut out = String::with_capacity(url.len());
    let mut chars = url.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && next.is_ascii_punctuation() => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// The link target when it is allowed: `http:`, `https:` or `mailto:`
/// (any case), or a path starting with exactly one `/`; never anything
/// with white space, control characters or a backslash in it.
fn safe_href(destination: &str) -> Option<String> {
    let url = destination.trim();
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return None;
    }
    let allowed = match url.strip_prefix('/') {
        Some(rest) => !rest.starts_with('/'),
        None => url.split_once(':').is_some_and(|(scheme, _)| ["http", "https", "mailto"].iter().any(|s| scheme.eq_ignore_ascii_case(s))),
    };
    allowed.then(|| url.to_owned())
}

/// Pairs `*`/`_` openers and closers into emphasis, as CommonMark's
/// "process emphasis" does; unpaired delimiters stay in the list as text.
fn resolve_emphasis(tokens: &mut Vec<Token>) {
    let mut ci = 0;
    while let Some(token) = tokens.get(ci) {
        let Token::Delimiter { ch, count: closer_count, length: closer_length, open: closer_opens, close: true } = *token else {
            ci += 1;
            continue;
        };
        let opener = (0..ci).rev().find_map(|oi| match tokens.get(oi) {
            Some(&Token::Delimiter { ch: c, count, length, open: true, close: opener_closes }) if c == ch && count > 0 => {
                // The "rule of 3": `*a**b*` is not `<em>a</em><em>b</em>`.
                let odd = (closer_opens || opener_closes) && closer_length % 3 != 0 && (length + closer_length) % 3 == 0;
                (!odd).then_some((oi, count))
            }
            _ => None,
        });
        let Some((oi, opener_count)) = opener else {
            ci += 1;
            continue;
        };
        let used = if opener_count >= 2 && closer_count >= 2 { 2 } else { 1 };
        let c = finish(tokens.drain(oi + 1..ci).collect());
        tokens.insert(oi + 1, Token::Node(if used == 2 { Inline::Strong { c } } else { Inline::Em { c } }));
        ci = oi + 2;
        if take(tokens, ci, used) == 0 {
            tokens.remove(ci);
        }
        if take(tokens, oi, used) == 0 {
            tokens.remove(oi);
            ci -= 1;
        }
    }
}

/// Uses `n` characters of a delimiter run and returns how many are left.
fn take(tokens: &mut [Token], at: usize, n: usize) -> usize {
    match tokens.get_mut(at) {
        Some(Token::Delimiter { count, .. }) => {
            *count = count.saturating_sub(n);
            *count
        }
        _ => 0,
    }
}

/// The nodes of a token list, unused delimiters as text, adjacent text merged.
fn finish(tokens: Vec<Token>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    for token in tokens {
        let text = match token {
            Token::Node(node) => {
                out.push(node);
                continue;
            }
            Token::Text(text) => text,
            Token::Delimiter { ch, count, .. } => core::iter::repeat_n(ch, count).collect(),
        };
        match out.last_mut() {
            _ if text.is_empty() => {}
            Some(Inline::Text { s }) => s.push_str(&text),
            _ => out.push(Inline::Text { s: text }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Inline {
        Inline::Text { s: s.into() }
    }
    fn em(c: Vec<Inline>) -> Inline {
        Inline::Em { c }
    }
    fn strong(c: Vec<Inline>) -> Inline {
        Inline::Strong { c }
    }
    fn code(s: &str) -> Inline {
        Inline::Code { s: s.into() }
    }
    fn a(h: &str, c: Vec<Inline>) -> Inline {
        Inline::A { h: h.into(), c }
    }
    fn h(l: u8, c: Vec<Inline>) -> Block {
        Block::H { l, c }
    }
    fn p(c: Vec<Inline>) -> Block {
        Block::P { c }
    }
    fn ul(i: Vec<Vec<Inline>>) -> Block {
        Block::Ul { i }
    }
    fn ol(i: Vec<Vec<Inline>>) -> Block {
        Block::Ol { i }
    }
    fn pre(s: &str) -> Block {
        Block::Pre { s: s.into() }
    }

    #[test]
    fn markdown_becomes_nodes() {
        let cases: Vec<(&str, &str, Vec<Block>)> = vec![
            (
                "heading levels",
                "# A\n## B\n### C\n#### D\n###### E",
                vec![h(2, vec![t("A")]), h(3, vec![t("B")]), h(4, vec![t("C")]), h(4, vec![t("D")]), h(4, vec![t("E")])],
            ),
            ("heading needs a space", "#hashtag and ####### seven", vec![p(vec![t("#hashtag and ####### seven")])]),
            ("closing hashes", "## Title ##\n# C#", vec![h(3, vec![t("Title")]), h(2, vec![t("C#")])]),
            ("empty heading dropped", "#\ntext", vec![p(vec![t("text")])]),
            ("heading with inline", "## Use `id` *here*", vec![h(3, vec![t("Use "), code("id"), t(" "), em(vec![t("here")])])]),
            ("paragraphs", "one\n  two  \n\n\nthree", vec![p(vec![t("one two")]), p(vec![t("three")])]),
            ("crlf", "a\r\nb\r\n\r\nc\r\n", vec![p(vec![t("a b")]), p(vec![t("c")])]),
            (
                "emphasis kinds",
                "*a* _b_ **c** __d__",
                vec![p(vec![em(vec![t("a")]), t(" "), em(vec![t("b")]), t(" "), strong(vec![t("c")]), t(" "), strong(vec![t("d")])])],
            ),
            ("em inside strong", "**bold *it* more**", vec![p(vec![strong(vec![t("bold "), em(vec![t("it")]), t(" more")])])]),
            ("strong inside em", "*a **b** c*", vec![p(vec![em(vec![t("a "), strong(vec![t("b")]), t(" c")])])]),
            ("triple", "***both***", vec![p(vec![em(vec![strong(vec![t("both")])])])]),
            (
                "strong ending in punctuation",
                "Click **Forgot password?** now",
                vec![p(vec![t("Click "), strong(vec![t("Forgot password?")]), t(" now")])],
            ),
            ("intraword underscores", "set password_reset_link and _x_y", vec![p(vec![t("set password_reset_link and _x_y")])]),
            ("unclosed markers", "*open and **half and _under", vec![p(vec![t("*open and **half and _under")])]),
            ("spaced stars", "2 * 3 * 4", vec![p(vec![t("2 * 3 * 4")])]),
            ("code span", "use `x*y` and `<b>`", vec![p(vec![t("use "), code("x*y"), t(" and "), code("<b>")])]),
            ("double backticks", "``a ` b`` and `` `x` ``", vec![p(vec![code("a ` b"), t(" and "), code("`x`")])]),
            ("code keeps backslashes", r"`C:\path\*`", vec![p(vec![code(r"C:\path\*")])]),
            ("unclosed code", "an `open span", vec![p(vec![t("an `open span")])]),
            ("escapes", r"\*not em\* \[x](/y) \` \_ \\ a\b", vec![p(vec![t(r"*not em* [x](/y) ` _ \ a\b")])]),
            (
                "link",
                "See [the docs](https://docs.example.com/a?b=1).",
                vec![p(vec![t("See "), a("https://docs.example.com/a?b=1", vec![t("the docs")]), t(".")])],
            ),
            (
                "link kinds",
                "[m](mailto:help@example.com) [r](/help/x) [u](HTTPS://EX.COM) [p](http://x.y/a_(b))",
                vec![p(vec![
                    a("mailto:help@example.com", vec![t("m")]),
                    t(" "),
                    a("/help/x", vec![t("r")]),
                    t(" "),
                    a("HTTPS://EX.COM", vec![t("u")]),
                    t(" "),
                    a("http://x.y/a_(b)", vec![t("p")]),
                ])],
            ),
            (
                "link title and angle brackets",
                r#"[t](/x "Title") [u](<https://a.b/c>)"#,
                vec![p(vec![a("/x", vec![t("t")]), t(" "), a("https://a.b/c", vec![t("u")])])],
            ),
            ("link label formatting", "[**Docs** `v1`](/d)", vec![p(vec![a("/d", vec![strong(vec![t("Docs")]), t(" "), code("v1")])])]),
            ("emphasis around a link", "*see [x](/y)*", vec![p(vec![em(vec![t("see "), a("/y", vec![t("x")])])])]),
            ("not links", "[x] (y) and [x] and [x](no close", vec![p(vec![t("[x] (y) and [x] and [x](no close")])]),
            ("image is its alt text", "![a chart](https://x.y/c.png)!", vec![p(vec![t("a chart!")])]),
            (
                "raw html stays text",
                "<script>alert(1)</script> <img src=x onerror=alert(1)>",
                vec![p(vec![t("<script>alert(1)</script> <img src=x onerror=alert(1)>")])],
            ),
            ("bullets", "- a\n- b\n* c", vec![ul(vec![vec![t("a")], vec![t("b")], vec![t("c")]])]),
            (
                "numbered with continuation",
                "1. one\n2. two\n   more *x*",
                vec![ol(vec![vec![t("one")], vec![t("two more "), em(vec![t("x")])]])],
            ),
            ("blank lines keep the list", "- a\n\n- b", vec![ul(vec![vec![t("a")], vec![t("b")]])]),
            ("nested items flatten", "- a\n  - b\n  1. c", vec![ul(vec![vec![t("a")], vec![t("b")], vec![t("c")]])]),
            ("kind change", "- a\n1. b", vec![ul(vec![vec![t("a")]]), ol(vec![vec![t("b")]])]),
            ("text ends a list", "- a\ntext", vec![ul(vec![vec![t("a")]]), p(vec![t("text")])]),
            ("bullet interrupts a paragraph", "para\n- item", vec![p(vec![t("para")]), ul(vec![vec![t("item")]])]),
            ("number other than 1 does not", "The count is\n14. Fine", vec![p(vec![t("The count is 14. Fine")])]),
            ("list item formatting", "- **Bold**: yes", vec![ul(vec![vec![strong(vec![t("Bold")]), t(": yes")]])]),
            ("not list markers", "-dash *em* 1.5 apples", vec![p(vec![t("-dash "), em(vec![t("em")]), t(" 1.5 apples")])]),
            (
                "fence",
                "```rust\nfn main() {\n    *x* <b>\n\n}\n```\nafter",
                vec![pre("fn main() {\n    *x* <b>\n\n}"), p(vec![t("after")])],
            ),
            ("fence interrupts", "text\n```\nx\n```", vec![p(vec![t("text")]), pre("x")]),
            ("empty fence", "```\n```", vec![pre("")]),
            ("unclosed fence", "```\ncode\n  more", vec![pre("code\n  more")]),
            ("nothing", " \n\n", vec![]),
        ];
        for (name, input, expected) in cases {
            assert_eq!(parse_markdown(input), expected, "{name}");
        }
    }

    #[test]
    fn links_to_other_schemes_become_their_label() {
        for markdown in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](  javascript:alert(1)  )",
            "[x](javascript&#58;alert(1))",
            "[x](java\tscript:alert(1))",
            "[x](java\u{0}script:alert(1))",
            "[x](java\u{1b}script:alert(1))",
            "[x](\u{1}https://ok.example)",
            "[x](https://ok.example\u{7f})",
            "[x](java\\script:alert(1))",
            r"[x](javascript\:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "[x](vbscript:msgbox(1))",
            "[x](//evil.example/x)",
            r"[x](/\evil.example)",
            "[x](<java script:alert(1)>)",
            "[x](relative/path)",
            "[x](#top)",
            "[x]()",
            "[x](httpsx://evil)",
            "[x](https\u{200b}:evil)",
            "[*x*](javascript:alert(1))",
        ] {
            assert_eq!(parse_markdown(markdown), vec![p(vec![t("x")])], "{markdown:?}");
        }
    }

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
        let got = parse_article("kb/reset-your-password.md", &text);
        let expected = Article {
            id: "reset-your-password".into(),
            title: "Reset your password".into(),
            tags: vec!["account".into(), "password".into(), "login".into()],
            locale: "en".into(),
            kind: Some(TicketType::PasswordReset),
            suggest_on: vec!["/login*".into(), "/settings/*/password".into()],
            body: vec![p(vec![t("Body.")])],
        };
        assert_eq!(got, Ok(expected));

        let minimal = "\u{feff}---\r\nid: \"x\"\r\n# a comment\r\n\r\ntitle: \"Hello: world\"\r\n---\r\n# Hi\r\n";
        let got = parse_article("x.md", minimal).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!((got.title.as_str(), got.locale.as_str(), got.kind), ("Hello: world", "en", None));
        assert!(got.tags.is_empty() && got.suggest_on.is_empty());
        assert_eq!(got.body, vec![h(2, vec![t("Hi")])]);

        for (value, locale) in [("pt-br", "pt-BR"), ("ZH-hant-tw", "zh-Hant-TW"), ("es-419", "es-419"), ("\"fil\"", "fil")] {
            let text = edited(5, Some(&format!("locale: {value}")));
            let got = parse_article("reset-your-password.md", &text).map(|a| a.locale);
            assert_eq!(got.as_deref(), Ok(locale), "{value}");
        }
        let text = edited(7, Some("suggest_on: *"));
        let got = parse_article("reset-your-password.md", &text).map(|a| a.suggest_on);
        assert_eq!(got, Ok(vec!["*".to_owned()]));
        let text = edited(4, Some("tags: []"));
        assert_eq!(parse_article("reset-your-password.md", &text).map(|a| a.tags), Ok(vec![]));
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
            let error = parse_article(file, &text).err().unwrap_or_else(|| unreachable!("{name}: parsed"));
            assert_eq!((error.file.as_str(), error.line, error.field.as_str()), (file, line, field), "{name}: {error}");
            assert!(error.message.contains(message), "{name}: {error}");
        }
        let error = parse_article(file, &edited(6, Some("type: refund"))).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("kb/reset-your-password.md:6: type: unknown ticket type"), "{error}");
    }

    #[test]
    fn collections_need_articles_with_unique_ids() {
        let one = parse_article("reset-your-password.md", &article(VALID)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(validate_collection(core::slice::from_ref(&one)), Ok(()));
        let none = validate_collection(&[]).err().map(|e| (e.file, e.field));
        assert_eq!(none, Some(("kb".to_owned(), "articles".to_owned())));
        let twice = validate_collection(&[one.clone(), one]).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(twice, "reset-your-password.md:0: id: `reset-your-password` is the id of articles 1 and 2 of 2; ids must be unique");
    }

    #[test]
    fn path_patterns() {
        for (pattern, path, expected) in [
            ("/billing*", "/billing", true),
            ("/billing*", "/billing/invoices", true),
            ("/billing*", "/billing-history", true),
            ("/billing*", "/billing?tab=plans", true),
            ("/billing*", "/bill", false),
            ("/billing*", "/settings/billing", false),
            ("*", "/", true),
            ("*", "/anything/at/all", true),
            ("*", "", true),
            ("/", "/", true),
            ("/", "/dashboard", false),
            ("/", "/#top", true),
            ("/settings/*/password", "/settings/team/password", true),
            ("/settings/*/password", "/settings/a/b/password", true),
            ("/settings/*/password", "/settings/password", false),
            ("/settings/*/password", "/settings/team/password/reset", false),
            ("/settings/*/password", "/settings/team/password#x", true),
            ("/a*b*c", "/aXbYbZc", true),
            ("/a*b*c", "/aXbYbZ", false),
            ("/Login", "/login", false),
            ("/caf\u{e9}*", "/caf\u{e9}/menu", true),
        ] {
            assert_eq!(path_matches(pattern, path), expected, "{pattern} {path}");
        }
    }

    #[test]
    fn plain_text_keeps_words_and_code_not_targets() {
        let blocks =
            parse_markdown("# Title\n\nSee [the *docs*](https://secret.example) and `code`.\n\n- one\n- two\n\n```\nx = 1\ny = 2\n```");
        assert_eq!(plain_text(&blocks), "Title\nSee the docs and code.\none\ntwo\nx = 1\ny = 2");
        assert_eq!(plain_text(&[]), "");
    }

    fn walk<'a>(inlines: &'a [Inline], out: &mut Vec<&'a Inline>) {
        for inline in inlines {
            out.push(inline);
            if let Inline::Em { c } | Inline::Strong { c } | Inline::A { c, .. } = inline {
                walk(c, out);
            }
        }
    }

    fn all_inlines(blocks: &[Block]) -> Vec<&Inline> {
        let mut out = Vec::new();
        for block in blocks {
            match block {
                Block::H { c, .. } | Block::P { c } => walk(c, &mut out),
                Block::Ul { i } | Block::Ol { i } => i.iter().for_each(|item| walk(item, &mut out)),
                Block::Pre { .. } => {}
            }
        }
        out
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
            "**[six](vbscript:x)** ![img](javascript:alert(8)) <iframe srcdoc=\"<script>\">",
            "",
            "```",
            "<script>alert(9)</script>",
            "```",
        ]);
        let got = parse_article("kb/evil.md", &text).unwrap_or_else(|e| unreachable!("{e}"));
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
            Some(&ul(vec![vec![t("one")], vec![t("two three")], vec![t("four five "), a("https://good.example", vec![t("ok")])]]))
        );
        assert_eq!(got.body.last(), Some(&pre("<script>alert(9)</script>")));
    }

    #[test]
    fn json_is_compact_and_round_trips() {
        let blocks = parse_markdown("# Hi\n\nSee [docs](/d), *now*.\n\n- `x`\n\n1. **y**\n\n```\nz\n```");
        let json = serde_json::to_string(&blocks).unwrap_or_default();
        assert_eq!(
            json,
            concat!(
                r#"[{"t":"H","l":2,"c":[{"t":"Text","s":"Hi"}]},"#,
                r#"{"t":"P","c":[{"t":"Text","s":"See "},{"t":"A","h":"/d","c":[{"t":"Text","s":"docs"}]},{"t":"Text","s":", "},"#,
                r#"{"t":"Em","c":[{"t":"Text","s":"now"}]},{"t":"Text","s":"."}]},"#,
                r#"{"t":"Ul","i":[[{"t":"Code","s":"x"}]]},"#,
                r#"{"t":"Ol","i":[[{"t":"Strong","c":[{"t":"Text","s":"y"}]}]]},{"t":"Pre","s":"z"}]"#,
            )
        );
        assert_eq!(serde_json::from_str::<Vec<Block>>(&json).ok(), Some(blocks));

        let text = article(&["---", "id: a", "title: A", "type: billing", "---", "Hello"]);
        let got = parse_article("a.md", &text).unwrap_or_else(|e| unreachable!("{e}"));
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

    /// The repository's own knowledge base parses (skipped where there is no file system).
    #[test]
    fn the_repository_kb_parses() {
        let Ok(entries) = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../kb")) else {
            return;
        };
        let mut articles = Vec::new();
        for path in entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "md")) {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            articles.push(parse_article(&name, &text).unwrap_or_else(|e| unreachable!("{e}")));
        }
        assert_eq!(validate_collection(&articles), Ok(()));
        for article in &articles {
            for inline in all_inlines(&article.body) {
                if let Inline::A { h, .. } = inline {
                    assert!(safe_href(h).is_some(), "{h}");
                }
            }
        }
    }

    /// Property tests: host only (proptest's random source does not build for wasm32).
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Pieces that exercise every rule of the parser, and some hostile ones.
        const PIECES: &[&str] = &[
            "*",
            "_",
            "**",
            "__",
            "`",
            "``",
            "[",
            "]",
            "](",
            "(",
            ")",
            "![",
            "\\",
            "\\*",
            "<",
            ">",
            "\"",
            " ",
            "\t",
            "\n",
            "\n\n",
            "\r\n",
            "- ",
            "* ",
            "1. ",
            "2. ",
            "  ",
            "# ",
            "## ",
            "```",
            "a",
            "word",
            "é",
            "→",
            "javascript:alert(1)",
            "JaVaScRiPt:",
            "https://ok.example",
            "mailto:a@b.co",
            "/path",
            "//evil",
            "data:",
            "<script>",
            "onerror=",
            "\u{0}",
            "\u{200b}",
        ];

        fn config() -> ProptestConfig {
            ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() }
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_text_parses_to_safe_nodes(pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..60)) {
                let text = pieces.concat();
                let blocks = parse_markdown(&text);
                for inline in all_inlines(&blocks) {
                    if let Inline::A { h, .. } = inline {
                        prop_assert!(safe_href(h).as_deref() == Some(h.as_str()), "{h:?} from {text:?}");
                    }
                    if let Inline::Text { s } = inline {
                        prop_assert!(!s.is_empty(), "empty text from {text:?}");
                    }
                }
                for block in &blocks {
                    if let Block::H { l, .. } = block {
                        prop_assert!((2..=4).contains(l));
                    }
                }
                let json = serde_json::to_string(&blocks).unwrap_or_default();
                prop_assert_eq!(serde_json::from_str::<Vec<Block>>(&json).ok(), Some(blocks));
            }
        }
    }
}
