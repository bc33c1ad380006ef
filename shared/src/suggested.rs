//! Articles for agents (feature `server`, the worker's): the articles
//! that match a ticket, found by the widget's own search
//! ([`crate::search::Index::search`] over the index the requester's
//! widget page names), and the readable page an article link opens in
//! a mail reader or a browser.

use crate::article_link::article_url;
use crate::kb::node::{inline_text, Block, Inline, Item};
use crate::kb::Article;
use crate::messages::Locale;
use crate::panel::escape_html;
use crate::search::{DocMeta, Index};
use serde::Serialize;

/// How many suggestions an agent gets for a ticket.
pub const SUGGESTED: usize = 5;
/// Most characters of a suggestion's snippet (an ellipsis added when cut).
pub const SNIPPET_CHARS: usize = 160;

/// What the worker's search reads of a ticket: its subject, then its
/// first message, ended by a space so that the last word is a whole word
/// (the widget's search treats a query's unfinished last word as a
/// prefix, which suits typing, not a written message).
pub fn query(subject: &str, message: &str) -> String {
    let mut query = String::with_capacity(subject.len() + message.len() + 2);
    query.push_str(subject);
    query.push('\n');
    query.push_str(message);
    query.push(' ');
    query
}

/// The articles of `index` best matching a ticket's subject and first
/// message, best first, at most [`SUGGESTED`].
pub fn matching<'a>(index: &'a Index, subject: &str, message: &str) -> Vec<&'a DocMeta> {
    index.search(&query(subject, message), SUGGESTED).iter().filter_map(|hit| index.docs().get(hit.doc)).collect()
}

/// The path of the search index a widget page in `locale` uses, from its
/// data block (`#buoy-data`'s `kb`, which the build writes): the
/// locale's own, else the default locale's, as the help module picks.
pub fn index_path(page: &str, locale: Locale) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Data {
        #[serde(default)]
        kb: std::collections::BTreeMap<String, String>,
    }
    let block = page.split("<script type=\"application/json\" id=\"buoy-data\">").nth(1)?.split("</script>").next()?;
    let data: Data = serde_json::from_str(block).ok()?;
    data.kb.get(locale.tag()).or_else(|| data.kb.get(crate::kb::DEFAULT_LOCALE)).cloned()
}

/// An article suggested to an agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The article's id (its slug).
    pub id: String,
    /// Its title.
    pub title: String,
    /// The language it is written in (the requester's, or the default
    /// locale's where it is not translated).
    pub locale: String,
    /// Its first words, at most [`SNIPPET_CHARS`] characters.
    pub snippet: String,
    /// The link a reply carries: it opens the article in the panel, and
    /// in mail it is the article's page on the worker.
    pub url: String,
}

impl Suggestion {
    /// The suggestion of `article`, found in an index for `locale`, on the worker at `origin`.
    pub fn of(article: &Article, locale: Locale, origin: &str) -> Self {
        Self {
            id: article.id.clone(),
            title: article.title.clone(),
            locale: article.locale.clone(),
            snippet: snippet(&article.body),
            url: article_url(origin, locale, &article.id),
        }
    }
}

/// The first words of an article's body, on one line, cut at a word
/// within [`SNIPPET_CHARS`] characters (an ellipsis marks the cut).
pub fn snippet(body: &[Block]) -> String {
    let text = crate::kb::plain_text(body);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for word in words {
        let needed = out.chars().count() + usize::from(!out.is_empty()) + word.chars().count();
        if needed > SNIPPET_CHARS - 1 {
            if out.is_empty() {
                out.extend(word.chars().take(SNIPPET_CHARS - 1));
            }
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// An article's page for a reader outside the panel: its title and body
/// as plain HTML (no script, no style, no image: images show as their
/// alt text), every text escaped, links only of the kinds the build let
/// through (`http:`, `https:`, `mailto:`, a path on this origin).
pub fn page_html(article: &Article) -> String {
    let locale = Locale::exact(&article.locale).unwrap_or_default();
    let title = escape_html(&article.title);
    let mut out = String::with_capacity(1024);
    out.push_str("<!doctype html><html lang=\"");
    out.push_str(&escape_html(&article.locale));
    out.push_str("\" dir=\"");
    out.push_str(locale.dir());
    out.push_str(
        "\"><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>",
    );
    out.push_str(&title);
    out.push_str("</title></head><body><main><article><h1>");
    out.push_str(&title);
    out.push_str("</h1>");
    blocks(&mut out, &article.body);
    out.push_str("</article></main></body></html>");
    out
}

fn blocks(out: &mut String, list: &[Block]) {
    for block in list {
        match block {
            Block::H { l, c } => {
                let level = (*l).clamp(2, 4);
                out.push_str(&format!("<h{level}>"));
                inlines(out, c);
                out.push_str(&format!("</h{level}>"));
            }
            Block::P { c } => wrap(out, "p", |out| inlines(out, c)),
            Block::Ul { i } => wrap(out, "ul", |out| items(out, i)),
            Block::Ol { i } => wrap(out, "ol", |out| items(out, i)),
            Block::Pre { s } => wrap(out, "pre", |out| out.push_str(&escape_html(s))),
            Block::Table { h, r } => wrap(out, "table", |out| {
                wrap(out, "thead", |out| row(out, "th", h));
                wrap(out, "tbody", |out| r.iter().for_each(|cells| row(out, "td", cells)));
            }),
        }
    }
}

fn wrap(out: &mut String, tag: &str, inner: impl FnOnce(&mut String)) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    inner(out);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn row(out: &mut String, cell: &str, cells: &[Vec<Inline>]) {
    wrap(out, "tr", |out| cells.iter().for_each(|c| wrap(out, cell, |out| inlines(out, c))));
}

fn items(out: &mut String, list: &[Item]) {
    for item in list {
        wrap(out, "li", |out| {
            inlines(out, &item.c);
            blocks(out, &item.b);
        });
    }
}

/// Whether a link target is one the article renderer allows (the build
/// checked it already; checked again, as the panel does).
fn allowed_href(href: &str) -> bool {
    ["http://", "https://", "mailto:"].iter().any(|p| href.starts_with(p)) || (href.starts_with('/') && !href.starts_with("//"))
}

fn inlines(out: &mut String, list: &[Inline]) {
    for inline in list {
        match inline {
            Inline::Text { s } => out.push_str(&escape_html(s)),
            Inline::Code { s } => wrap(out, "code", |out| out.push_str(&escape_html(s))),
            Inline::Em { c } => wrap(out, "em", |out| inlines(out, c)),
            Inline::Strong { c } => wrap(out, "strong", |out| inlines(out, c)),
            Inline::Img { a, .. } => out.push_str(&escape_html(a)),
            Inline::A { h, c } if allowed_href(h) => {
                out.push_str("<a href=\"");
                out.push_str(&escape_html(h));
                out.push_str("\">");
                inlines(out, c);
                out.push_str("</a>");
            }
            Inline::A { c, .. } => out.push_str(&escape_html(&inline_text(c))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::node::make::*;
    use crate::search::{build_index, IndexDoc};

    fn article(id: &str, title: &str, body: Vec<Block>) -> Article {
        Article { id: id.into(), title: title.into(), tags: vec![], locale: "en".into(), kind: None, suggest_on: vec![], body }
    }

    fn doc(id: &str, title: &str, text: &str) -> IndexDoc {
        IndexDoc {
            id: id.into(),
            title: title.into(),
            tags: vec![],
            text: text.into(),
            suggest_on: vec![],
            kind: None,
            file: format!("/kb/en/{id}.0.json"),
            locale: String::new(),
        }
    }

    fn corpus() -> Index {
        let docs = [
            doc("reset-your-password", "Reset your password", "Use the sign-in page's Forgot password link. The reset email expires."),
            doc("download-invoices", "Download invoices", "Billing lists every invoice as a PDF."),
            doc("export-data-as-csv", "Export data as CSV", "Reports can be exported as CSV files."),
        ];
        Index::parse(&build_index("en", &docs)).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn a_ticket_finds_the_article_about_it_first() {
        let index = corpus();
        for (subject, message, first) in [
            ("Can't log in", "I forgot my password and the reset email never came", "reset-your-password"),
            ("Invoice for March", "Where do I download my invoices?", "download-invoices"),
            ("export", "how do I get my data out as csv", "export-data-as-csv"),
        ] {
            let found = matching(&index, subject, message);
            assert_eq!(found.first().map(|d| d.id.as_str()), Some(first), "{subject}");
            assert!(found.len() <= SUGGESTED);
        }
    }

    #[test]
    fn a_ticket_about_nothing_the_articles_cover_finds_none() {
        assert!(matching(&corpus(), "Hello", "Zebras quarrel loudly").is_empty());
        assert!(matching(&corpus(), "", "").is_empty());
    }

    #[test]
    fn the_last_word_of_a_message_is_whole_not_a_prefix() {
        // "inv" typed in the widget finds "invoices"; a message ending in it does not.
        assert!(matching(&corpus(), "", "inv").is_empty());
        assert!(!corpus().search("inv", 5).is_empty());
    }

    #[test]
    fn the_index_is_the_locales_else_the_defaults() {
        let page = "<html><script type=\"application/json\" id=\"buoy-data\">{\"kb\":{\"de\":\"/kb/de/index.1.txt\",\"en\":\"/kb/en/index.2.txt\"},\"docs\":[]}</script>";
        assert_eq!(index_path(page, Locale::De).as_deref(), Some("/kb/de/index.1.txt"));
        assert_eq!(index_path(page, Locale::Fr).as_deref(), Some("/kb/en/index.2.txt"));
        assert_eq!(index_path("<html>no block</html>", Locale::En), None);
        assert_eq!(index_path("<script type=\"application/json\" id=\"buoy-data\">{}</script>", Locale::En), None);
    }

    #[test]
    fn a_snippet_is_the_first_words_on_one_line() {
        assert_eq!(snippet(&[h(2, vec![t("Steps")]), p(vec![t("Open  "), strong(vec![t("Settings")])])]), "Steps Open Settings");
        let long = snippet(&[p(vec![t(&"word ".repeat(100))])]);
        assert!(long.ends_with("word…") && long.chars().count() <= SNIPPET_CHARS, "{long}");
        let one = snippet(&[p(vec![t(&"x".repeat(500))])]);
        assert_eq!(one.chars().count(), SNIPPET_CHARS);
    }

    #[test]
    fn a_suggestion_links_the_requesters_language() {
        let mut a = article("sign-in-with-sso", "Sign in with SSO", vec![p(vec![t("Use your company's identity provider.")])]);
        a.locale = "en".into();
        let s = Suggestion::of(&a, Locale::De, "https://support.example.com");
        assert_eq!(s.url, "https://support.example.com/v1/articles/de/sign-in-with-sso");
        assert_eq!((s.locale.as_str(), s.snippet.as_str()), ("en", "Use your company's identity provider."));
    }

    #[test]
    fn the_page_escapes_every_text_and_drops_unsafe_links() {
        let art = article(
            "x",
            "<b>Title</b>",
            vec![
                h(9, vec![t("Head & more")]),
                p(vec![
                    a("javascript:alert(1)", vec![t("bad")]),
                    t(" "),
                    a("https://ok.example/?a=1&b=\"2\"", vec![t("good")]),
                    img("/kb/images/a.1.png", "a <diagram>", 1, 1),
                ]),
                ul(vec![vec![code("<script>")]]),
                pre("x < y"),
            ],
        );
        let html = page_html(&art);
        assert!(html.contains("<title>&lt;b&gt;Title&lt;/b&gt;</title>"), "{html}");
        assert!(html.contains("<h4>Head &amp; more</h4>"), "{html}");
        assert!(html.contains("<p>bad <a href=\"https://ok.example/?a=1&amp;b=&quot;2&quot;\">good</a>a &lt;diagram&gt;</p>"), "{html}");
        assert!(html.contains("<ul><li><code>&lt;script&gt;</code></li></ul><pre>x &lt; y</pre>"), "{html}");
        assert!(!html.contains("javascript:") && !html.contains("<img") && !html.contains("<script"), "{html}");
        assert!(html.starts_with("<!doctype html><html lang=\"en\" dir=\"ltr\">"));
    }
}
