//! Links to articles in agents' replies: the one URL form an article has
//! outside the panel (`{worker origin}/v1/articles/{locale}/{id}`, a
//! readable page the worker serves, so the link works in mail), and
//! finding such links in a message's text (the metrics count replies
//! that carry one; `split_own` is the panel's lighter reading). Every
//! build has it.

use crate::messages::Locale;

/// The path every article link starts with, after the worker's origin.
pub const ARTICLE_PATH: &str = "/v1/articles/";

/// The link to article `id` in `locale` on the worker at `origin` (such
/// as `https://support.example.com`, without a trailing slash).
pub fn article_url(origin: &str, locale: Locale, id: &str) -> String {
    let mut url = String::with_capacity(origin.len() + ARTICLE_PATH.len() + id.len() + 8);
    url.push_str(origin.trim_end_matches('/'));
    url.push_str(ARTICLE_PATH);
    url.push_str(locale.tag());
    url.push('/');
    url.push_str(id);
    url
}

/// An article link found in a text: byte ranges into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArticleLink<'a> {
    /// Where the link starts (its `http`).
    pub start: usize,
    /// Where it ends (after the article id).
    pub end: usize,
    /// The worker's origin it names (`https://support.example.com`).
    pub origin: &'a str,
    /// The language it asks for.
    pub locale: Locale,
    /// The article's id.
    pub id: &'a str,
}

impl<'a> ArticleLink<'a> {
    /// The whole link, as written.
    pub fn url(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or_default()
    }
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
}

fn is_slug_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

/// The link whose path starts at `at` (the position of [`ARTICLE_PATH`]).
fn link_at(text: &str, at: usize) -> Option<ArticleLink<'_>> {
    let bytes = text.as_bytes();
    let mut host = at;
    while host > 0 && bytes.get(host - 1).is_some_and(|b| is_host_byte(*b)) {
        host -= 1;
    }
    if host == at {
        return None;
    }
    let before = text.get(..host)?;
    let start = if before.ends_with("https://") {
        host - 8
    } else if before.ends_with("http://") {
        host - 7
    } else {
        return None;
    };
    // The scheme is a word of its own (`xhttps://…` is no link of ours).
    if start > 0 && bytes.get(start - 1).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let rest = at + ARTICLE_PATH.len();
    let tag_end = rest + bytes.get(rest..)?.iter().position(|b| *b == b'/')?;
    let locale = Locale::exact(text.get(rest..tag_end)?)?;
    let id_start = tag_end + 1;
    let id_len = bytes.get(id_start..)?.iter().position(|b| !is_slug_byte(*b)).unwrap_or(bytes.len() - id_start);
    let end = id_start + id_len;
    // A longer path or word is another page, not the article.
    if id_len == 0 || id_len > crate::kb::MAX_ID || bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_')) {
        return None;
    }
    Some(ArticleLink { start, end, origin: text.get(start..at)?, locale, id: text.get(id_start..end)? })
}

/// The article links in `text`, in order: an iterator, so the widget
/// allocates nothing for them. A byte scan, not `str::find`: the
/// widget's inbox carries this, and a substring searcher costs it
/// kilobytes.
pub fn article_links(text: &str) -> ArticleLinks<'_> {
    ArticleLinks { text, at: 0 }
}

/// The iterator of [`article_links`].
#[derive(Clone, Debug)]
pub struct ArticleLinks<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for ArticleLinks<'a> {
    type Item = ArticleLink<'a>;

    fn next(&mut self) -> Option<ArticleLink<'a>> {
        let needle = ARTICLE_PATH.as_bytes();
        while let Some(rest) = self.text.as_bytes().get(self.at..).filter(|rest| rest.len() >= needle.len()) {
            if !rest.starts_with(needle) {
                self.at += 1;
                continue;
            }
            if let Some(link) = link_at(self.text, self.at) {
                self.at = link.end;
                return Some(link);
            }
            self.at += needle.len();
        }
        None
    }
}

/// Splits `text` into plain pieces and links to this worker's articles
/// (those that start `{origin}/v1/articles/{tag}/`, `origin` being the
/// panel's own, so no host needs checking), calling `piece(text, None)`
/// for text and `piece(url, Some(id))` for a link, in order: a lighter
/// reading than [`article_links`] (no host scan, no locale table), for
/// the inbox's size budget.
pub fn split_own<'a>(text: &'a str, origin: &str, mut piece: impl FnMut(&'a str, Option<&'a str>)) {
    let bytes = text.as_bytes();
    let prefix = [origin.as_bytes(), ARTICLE_PATH.as_bytes()];
    let (mut from, mut at) = (0, 0);
    while let Some(rest) = bytes.get(at..).filter(|rest| !rest.is_empty()) {
        let tag = at + prefix[0].len() + prefix[1].len();
        let own =
            !origin.is_empty() && rest.starts_with(prefix[0]) && rest.get(prefix[0].len()..).is_some_and(|r| r.starts_with(prefix[1]));
        let slash = if own { bytes.get(tag..).and_then(|r| r.iter().position(|b| *b == b'/')) } else { None };
        if let Some(slash) = slash {
            let id = tag + slash + 1;
            let end = id + bytes.get(id..).map_or(0, |r| r.iter().take_while(|b| is_slug_byte(**b)).count());
            if end > id {
                piece(text.get(from..at).unwrap_or_default(), None);
                piece(text.get(at..end).unwrap_or_default(), text.get(id..end));
                (from, at) = (end, end);
                continue;
            }
        }
        at += 1;
    }
    piece(text.get(from..).unwrap_or_default(), None);
}

/// Whether `text` links an article (the metrics count agents' public
/// replies that do).
pub fn links_article(text: &str) -> bool {
    article_links(text).next().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<(&str, &str, &str)> {
        article_links(text).map(|l| (l.origin, l.locale.tag(), l.id)).collect()
    }

    #[test]
    fn a_link_reads_back_as_its_origin_locale_and_id() {
        let url = article_url("https://support.example.com/", Locale::PtBr, "reset-your-password");
        assert_eq!(url, "https://support.example.com/v1/articles/pt-BR/reset-your-password");
        let text = format!("Hi! See {url}. Thanks");
        let links: Vec<_> = article_links(&text).collect();
        assert_eq!(ids(&text), [("https://support.example.com", "pt-BR", "reset-your-password")]);
        assert_eq!(links[0].url(&text), url);
        assert!(links_article(&text));
    }

    #[test]
    fn links_are_found_among_text_and_punctuation() {
        for (text, want) in [
            ("(http://127.0.0.1:8787/v1/articles/en/a-b)", vec![("http://127.0.0.1:8787", "en", "a-b")]),
            (
                "one https://h.example/v1/articles/de/x, two\nhttps://h.example/v1/articles/en/y!",
                vec![("https://h.example", "de", "x"), ("https://h.example", "en", "y")],
            ),
            ("https://[::1]:8/v1/articles/ja/z?x=1", vec![("https://[::1]:8", "ja", "z")]),
        ] {
            assert_eq!(ids(text), want, "{text}");
        }
    }

    #[test]
    fn near_misses_are_not_links() {
        for text in [
            "/v1/articles/en/reset-your-password",
            "https:///v1/articles/en/x",
            "ftp://h.example/v1/articles/en/x",
            "xhttps://h.example/v1/articles/en/x",
            "https://h.example/v1/articles/EN/x",
            "https://h.example/v1/articles/xx/x",
            "https://h.example/v1/articles/en/",
            "https://h.example/v1/articles/en/Upper",
            "https://h.example/v1/articles/en/x/more",
            "https://h.example/v1/articles/en/x_y",
            "https://h.example/v1/articles/en",
            "https://h.example/help/en/x",
            "",
        ] {
            assert!(!links_article(text), "{text}");
        }
        let long = format!("https://h.example/v1/articles/en/{}", "a".repeat(crate::kb::MAX_ID + 1));
        assert!(!links_article(&long));
    }

    #[test]
    fn text_beyond_ascii_around_a_link_is_kept_whole() {
        let text = "Voilà → https://h.example/v1/articles/fr/facture — merci";
        let links: Vec<_> = article_links(text).collect();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].url(text), "https://h.example/v1/articles/fr/facture");
        assert!(text.get(..links[0].start).is_some() && text.get(links[0].end..).is_some());
    }

    #[test]
    fn the_panel_splits_out_its_own_article_links() {
        let text = "See https://w.example/v1/articles/en/reset-password. Not https://x.example/v1/articles/en/y";
        let mut pieces = Vec::new();
        split_own(text, "https://w.example", |t, id| pieces.push((t, id)));
        assert_eq!(
            pieces,
            [
                ("See ", None),
                ("https://w.example/v1/articles/en/reset-password", Some("reset-password")),
                (". Not https://x.example/v1/articles/en/y", None)
            ]
        );
        let mut plain = Vec::new();
        split_own("no link", "", |t, id| plain.push((t, id)));
        assert_eq!(plain, [("no link", None)]);
    }
}
