//! Finding tickets, for the agents' console: what a search box was given
//! (an exact reference, a requester's email address, or words), and the
//! terms a ticket's subject and first message are indexed under.
//!
//! Words follow the article search's rules (see the parent module):
//! the same folding, stop words and stemming (`build`'s term function,
//! each ticket by the rules of its own language), and the same ranking,
//! BM25 with `K1` = 1.2 and `B` = 0.75 over a weighted term frequency,
//! the subject weighing as an article's title ([`SUBJECT_WEIGHT`]) and
//! the first message as its body ([`MESSAGE_WEIGHT`]). The index itself
//! is SQLite's FTS5 in the worker's D1, whose `bm25()` has those same two
//! constants, so the terms and the weights come from here and only the
//! arithmetic runs in SQLite. A ticket must hold every word of the query;
//! when none does, tickets holding any word are ranked instead, as
//! articles are. A query word matches any of its forms under the
//! languages searched (the site's first: a stop word of the site's
//! language is no word at all), and the last word, while it is being
//! typed (no separator after it), matches as a prefix too. Unlike the
//! widget, there is no typo tolerance: an index of every ticket is too
//! large for one-edit neighbours at each query.
//!
//! ```
//! use buoy_shared::search::tickets::TicketQuery;
//! use buoy_shared::search::Language;
//! let english = [Language::English];
//! assert!(matches!(TicketQuery::parse(" 7k2m-9qxd ", &english), Ok(TicketQuery::Reference(_))));
//! assert!(matches!(TicketQuery::parse("Ada@Example.COM", &english), Ok(TicketQuery::Email(e)) if e == "ada@example.com"));
//! let Ok(TicketQuery::Words(words)) = TicketQuery::parse("Invoices missing", &english) else { unreachable!() };
//! assert_eq!(words.fts5(true), "\"invoice\" AND \"missing\"*");
//! ```

use super::build::{each_term, fold_char};
use super::{split, Language, BODY_WEIGHT, MAX_QUERY_TERMS, TITLE_WEIGHT};
use crate::ids::TicketRef;
use core::fmt;

/// Weight of a word of the subject (an article's title weighs the same).
pub const SUBJECT_WEIGHT: u32 = TITLE_WEIGHT;
/// Weight of a word of the first message (an article's body weighs the same).
pub const MESSAGE_WEIGHT: u32 = BODY_WEIGHT;
/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// What a search box was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TicketQuery {
    /// An exact reference (`7K2M-9QXD`, any case, `#` before it allowed).
    Reference(TicketRef),
    /// A requester's email address, lowercased.
    Email(String),
    /// Words of subjects and first messages.
    Words(WordQuery),
}

/// Why a query cannot be searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// Nothing but spaces.
    Empty,
    /// Longer than [`MAX_QUERY_CHARS`].
    TooLong,
    /// No word left to search once punctuation and stop words are gone.
    NoWords,
}

impl QueryError {
    /// The stable code the API answers with.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLong => "too_long",
            Self::NoWords => "no_words",
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("q: type a reference, an email address or words"),
            Self::TooLong => write!(f, "q: at most {MAX_QUERY_CHARS} characters"),
            Self::NoWords => f.write_str("q: only common words or punctuation; add a more specific word"),
        }
    }
}

impl std::error::Error for QueryError {}

/// The words of a query: each word's forms (one per language that spells
/// it differently), and whether the last one is still being typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WordQuery {
    words: Vec<Vec<String>>,
    open: bool,
}

/// The languages a site's tickets are searched in: the site's own first
/// (its stop words are no words), then every other language Buoy speaks,
/// so a word matches the tickets written in any of them.
pub fn languages(site_locale: &str) -> Vec<Language> {
    let mut out = vec![Language::of(site_locale)];
    for locale in crate::messages::Locale::ALL {
        let language = Language::of(locale.tag());
        if !out.contains(&language) {
            out.push(language);
        }
    }
    out
}

/// `text` as a requester's email address, lowercased (people type
/// addresses in any case, and no mail provider tells them apart): one
/// `@` with something before it, a domain with a dot after it, no
/// spaces or control characters.
pub fn normal_email(text: &str) -> Option<String> {
    let text = text.trim();
    let (local, domain) = text.split_once('@')?;
    let plain = |s: &str| !s.is_empty() && !s.contains('@') && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    let dotted = domain.split('.').count() >= 2 && domain.split('.').all(|label| !label.is_empty());
    (plain(local) && plain(domain) && dotted).then(|| text.to_lowercase())
}

/// The terms of `text` in `language`, separated by spaces, as the index
/// stores them: the article search's folding, stop words and stemming.
pub fn indexed_terms(text: &str, language: Language) -> String {
    let mut out = String::new();
    each_term(text, language, language, |term| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(term);
    });
    out
}

impl TicketQuery {
    /// Reads a search box's text: a reference when it is one (what a
    /// requester quotes), else an email address, else words, searched in
    /// `languages` (the site's first, see [`languages`]).
    ///
    /// # Errors
    /// [`QueryError`] when there is nothing to search.
    pub fn parse(input: &str, languages: &[Language]) -> Result<Self, QueryError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(QueryError::Empty);
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong);
        }
        if let Ok(reference) = TicketRef::parse(text.strip_prefix('#').unwrap_or(text)) {
            return Ok(Self::Reference(reference));
        }
        if let Some(email) = normal_email(text) {
            return Ok(Self::Email(email));
        }
        let site = languages.first().copied().unwrap_or(Language::Other);
        let mut query = WordQuery::default();
        split(
            input,
            |c, token| fold_char(c, site, token),
            |token, gram, open| {
                if query.words.len() >= MAX_QUERY_TERMS {
                    return;
                }
                let mut forms: Vec<String> = Vec::new();
                if gram {
                    forms.push(token.clone());
                } else {
                    for &language in languages {
                        let mut form = token.clone();
                        if language.normalize(&mut form) {
                            if !forms.contains(&form) {
                                forms.push(form);
                            }
                        } else if language == site {
                            // A stop word of the site's language.
                            return;
                        }
                    }
                }
                if !forms.is_empty() && !query.words.contains(&forms) {
                    query.words.push(forms);
                    query.open = open;
                } else if !forms.is_empty() {
                    query.open = false;
                }
            },
        );
        if query.words.is_empty() {
            return Err(QueryError::NoWords);
        }
        Ok(Self::Words(query))
    }
}

impl WordQuery {
    /// Each word's forms, in the order typed.
    pub fn words(&self) -> &[Vec<String>] {
        &self.words
    }

    /// Whether the last word is still being typed (it matches as a prefix).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The query in FTS5's syntax: each word as its forms, quoted (any
    /// of them), the last one also as a prefix while it is being typed;
    /// the words joined by `AND` when `every` word must match, else `OR`.
    pub fn fts5(&self, every: bool) -> String {
        let last = self.words.len().saturating_sub(1);
        let words: Vec<String> = self
            .words
            .iter()
            .enumerate()
            .map(|(i, forms)| {
                let star = if self.open && i == last { "*" } else { "" };
                let quoted: Vec<String> = forms.iter().map(|f| format!("\"{}\"{star}", f.replace('"', "\"\""))).collect();
                if quoted.len() == 1 {
                    quoted.concat()
                } else {
                    format!("({})", quoted.join(" OR "))
                }
            })
            .collect();
        words.join(if every { " AND " } else { " OR " })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(input: &str) -> Result<String, QueryError> {
        TicketQuery::parse(input, &[Language::English]).map(|q| match q {
            TicketQuery::Reference(r) => format!("reference {r}"),
            TicketQuery::Email(e) => format!("email {e}"),
            TicketQuery::Words(w) => format!("words {}", w.fts5(true)),
        })
    }

    #[test]
    fn a_query_is_a_reference_an_email_or_words() {
        let cases: &[(&str, Result<&str, QueryError>)] = &[
            ("7K2M-9QXD", Ok("reference 7K2M-9QXD")),
            ("  7k2m-9qxd\n", Ok("reference 7K2M-9QXD")),
            ("#7K2M-9QXD", Ok("reference 7K2M-9QXD")),
            ("7KLM-9QXO", Ok("reference 7K1M-9QX0")),
            ("ada@example.com", Ok("email ada@example.com")),
            (" Ada.Lovelace+tag@Example.CO.uk ", Ok("email ada.lovelace+tag@example.co.uk")),
            ("ada@localhost", Ok("words \"ada\" AND \"localhost\"*")),
            ("ada@@example.com", Ok("words \"ada\" AND \"example\" AND \"com\"*")),
            ("@example.com", Ok("words \"example\" AND \"com\"*")),
            ("ada @example.com", Ok("words \"ada\" AND \"example\" AND \"com\"*")),
            ("7K2M-9QX", Ok("words \"7k2m\" AND \"9qx\"*")),
            ("7K2M-9QXU", Ok("words \"7k2m\" AND \"9qxu\"*")),
            ("", Err(QueryError::Empty)),
            ("   ", Err(QueryError::Empty)),
            ("the and of ?!", Err(QueryError::NoWords)),
        ];
        for (input, expected) in cases {
            assert_eq!(kind(input).as_deref().map_err(|e| *e), *expected, "{input:?}");
        }
        assert_eq!(kind(&"a".repeat(MAX_QUERY_CHARS + 1)), Err(QueryError::TooLong));
        assert!(kind(&"word ".repeat(MAX_QUERY_CHARS / 5)).is_ok());
    }

    #[test]
    fn words_are_stemmed_in_each_language_and_the_last_one_typed_is_a_prefix() {
        assert_eq!(kind("Invoices missing"), Ok("words \"invoice\" AND \"missing\"*".into()));
        assert_eq!(kind("Invoices missing "), Ok("words \"invoice\" AND \"missing\"".into()));
        // A word other languages stem differently matches any of its forms.
        let Ok(TicketQuery::Words(w)) = TicketQuery::parse("Rechnungen ", &languages("en")) else { unreachable!() };
        assert_eq!(w.fts5(true), "(\"rechnungen\" OR \"rechnung\")");
        // Accents fold as the index folds them; a repeated word counts once.
        assert_eq!(kind("Café café export"), Ok("words \"cafe\" AND \"export\"*".into()));
        // Japanese runs are bigrams, as in the article index.
        assert_eq!(kind("パスワード"), Ok("words \"パス\" AND \"スワ\" AND \"ワー\" AND \"ード\"".into()));
        // A stop word of the site's language is no word, even where another language would keep it.
        let german_site = languages("de");
        let Ok(TicketQuery::Words(w)) = TicketQuery::parse("die export", &german_site) else { unreachable!() };
        assert_eq!(w.words().len(), 1);
        let Ok(TicketQuery::Words(w)) = TicketQuery::parse("export csv data", &[Language::English]) else { unreachable!() };
        assert_eq!(w.fts5(false), "\"export\" OR \"csv\" OR \"data\"*");
    }

    #[test]
    fn a_ticket_is_indexed_under_the_terms_the_query_side_makes() {
        assert_eq!(indexed_terms("The invoices are MISSING from my export!", Language::English), "invoice missing export");
        assert_eq!(indexed_terms("Die Rechnungen fehlen", Language::German), "rechnung fehl");
        let Ok(TicketQuery::Words(w)) = TicketQuery::parse("rechnungen", &languages("en")) else { unreachable!() };
        assert!(w.words()[0].iter().any(|form| form == "rechnung"));
        assert_eq!(indexed_terms("", Language::English), "");
    }

    #[test]
    fn languages_put_the_sites_first_and_name_each_once() {
        let list = languages("de-CH");
        assert_eq!(list.first(), Some(&Language::German));
        assert_eq!(list.iter().filter(|l| **l == Language::German).count(), 1);
        assert!(list.contains(&Language::English) && list.contains(&Language::Japanese));
    }
}
