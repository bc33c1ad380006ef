//! An article's front matter: the `key: value` lines between two `---`
//! lines at its top (see the [`kb` module documentation](super)).

use super::error::{KbError, FRONT_MATTER};
use crate::ticket::{offered_names, TicketType};

/// Longest article id, in characters.
pub const MAX_ID: usize = 64;
/// Longest article title, in characters.
pub const MAX_TITLE: usize = 120;
/// Longest tag, in characters.
pub const MAX_TAG: usize = 32;
/// The front matter keys an article may set.
pub const KEYS: &[&str] = &["id", "title", "tags", "locale", "type", "suggest_on"];
/// The default locale: its articles are shown, marked as written in it,
/// to readers of a locale that has no translation of them.
pub const DEFAULT_LOCALE: &str = "en";

/// An article's front matter, checked, and where its body starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Front {
    /// The article's slug, equal to its file name without `.md`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its language: its folder's (`pt-BR`).
    pub locale: String,
    /// The ticket type it helps with, if any.
    pub kind: Option<TicketType>,
    /// Its URL path patterns.
    pub suggest_on: Vec<String>,
    /// The byte offset in the text where the body starts.
    pub body: usize,
    /// The line, from 1, where the body starts.
    pub body_line: usize,
}

/// Reads the front matter at the top of `text` (without a byte order mark)
/// of an article in the folder of `locale` (a normalised tag, see
/// [`language_tag`]). `file_name` is the file's name or path
/// (`kb/en/reset-your-password.md`); the id must equal its last component
/// without `.md`.
///
/// # Errors
/// A [`KbError`] naming the file, the line and the field of the first
/// problem: no opening or closing `---`, a line that is not `key: value`,
/// an unknown or repeated key, a missing `id` or `title`, a value out of
/// its format, an id that differs from the file name, or a `locale` that
/// differs from the folder's.
pub fn parse_front(locale: &str, file_name: &str, text: &str) -> Result<Front, KbError> {
    let folder = locale;
    let error = |line: usize, field: &str, message: String| KbError { file: file_name.to_owned(), field: field.to_owned(), line, message };
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

    // The folder decides; the key may only repeat it.
    if let Some((line, value)) = locale {
        let value = unquote(value).map_err(|m| error(line, "locale", m))?;
        let tag = language_tag(value).ok_or_else(|| {
            error(
                line,
                "locale",
                format!("`{value}` is not a language tag such as `en`, `pt-BR` or `zh-Hant` (2 or 3 letters, then `-` subtags)"),
            )
        })?;
        if tag != folder {
            return Err(error(
                line,
                "locale",
                format!(
                    "`{tag}` differs from the folder's `{folder}`: an article's folder decides its language; \
                     move the file to the `{tag}` folder or remove the key"
                ),
            ));
        }
    }
    let locale = folder.to_owned();

    let kind = match kind {
        None => None,
        Some((line, value)) => {
            let value = unquote(value).map_err(|m| error(line, "type", m))?;
            Some(
                TicketType::offered(value)
                    .ok_or_else(|| error(line, "type", format!("unknown ticket type `{value}`; expected one of {}", offered_names())))?,
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

    Ok(Front {
        id: id.to_owned(),
        title: title.to_owned(),
        tags: tag_list,
        locale,
        kind,
        suggest_on: patterns,
        body: offset,
        body_line: closed + 1,
    })
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

/// A language tag in its usual case (`pt-br` → `pt-BR`), or none when
/// `value` is not one: a language of 2 or 3 letters, then subtags of 2 to
/// 8 letters or digits (`en`, `pt-BR`, `zh-Hant`, `es-419`).
pub fn language_tag(value: &str) -> Option<String> {
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
