//! The query side of search (the widget): reads the index text once and
//! answers every keystroke with no Unicode tables, folding characters
//! beyond ASCII with the table the index ships. See the parent module for
//! the rules and the format.

use super::{
    fold_common, split, Language, B, FORMAT_VERSION, K1, MAGIC, MAX_EXPANSIONS, MAX_QUERY_TERMS, MIN_PREFIX_CHARS, MIN_TYPO_CHARS,
    PREFIX_WEIGHT, TYPO_WEIGHT,
};
use core::fmt;
use serde::{Deserialize, Serialize};

/// Whether `a` and `b` are exactly one edit apart: one insertion, deletion,
/// substitution, or swap of two neighbouring characters. Linear, no allocation.
fn one_edit(a: &str, b: &str) -> bool {
    // Byte length of the common prefix, at a character boundary.
    let common = a.char_indices().zip(b.chars()).find(|((_, x), y)| x != y).map_or(a.len().min(b.len()), |((i, _), _)| i);
    let (Some(rest_a), Some(rest_b)) = (a.get(common..), b.get(common..)) else {
        return false;
    };
    let mut ia = rest_a.chars();
    let mut ib = rest_b.chars();
    match (ia.next(), ib.next()) {
        (None, None) => false,
        (Some(_), None) => ia.as_str().is_empty(),
        (None, Some(_)) => ib.as_str().is_empty(),
        (Some(x), Some(y)) => {
            let (tail_a, tail_b) = (ia.as_str(), ib.as_str());
            tail_a == tail_b || tail_a == rest_b || rest_a == tail_b || {
                let mut ja = tail_a.chars();
                let mut jb = tail_b.chars();
                ja.next() == Some(y) && jb.next() == Some(x) && ja.as_str() == jb.as_str()
            }
        }
    }
}

/// A necessary condition for [`one_edit`] when both words start with two
/// ASCII characters: one edit within the first two characters still leaves
/// one of them in place or swapped.
fn near_start(a: &[u8], b: &[u8]) -> bool {
    match (a, b) {
        ([a0, a1, ..], [b0, b1, ..]) if a0.is_ascii() && a1.is_ascii() && b0.is_ascii() && b1.is_ascii() => {
            a0 == b0 || a1 == b1 || a0 == b1 || a1 == b0
        }
        _ => true,
    }
}

/// Why an index could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchError {
    /// The first line is not a `buoy-search` header.
    NotAnIndex,
    /// The index was written in another format version.
    Version(u32),
    /// A line does not have the expected shape (1-based line number).
    Malformed {
        /// The line, counted from 1.
        line: usize,
    },
    /// The text ends before `END`.
    Truncated,
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnIndex => f.write_str("not a search index"),
            Self::Version(v) => write!(f, "search index version {v} is not supported (expected {FORMAT_VERSION})"),
            Self::Malformed { line } => write!(f, "malformed search index at line {line}"),
            Self::Truncated => f.write_str("truncated search index"),
        }
    }
}

impl std::error::Error for SearchError {}

/// What the widget needs of an article to list and open it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMeta {
    /// Stable article id.
    pub id: String,
    /// Title, as written.
    pub title: String,
    /// Hashed asset path of the pre-parsed article.
    pub file: String,
    /// The language it is written in; empty for the index's own.
    pub locale: String,
    /// Kind of article.
    pub kind: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Where to suggest the article.
    pub suggest_on: Vec<String>,
}

/// One search result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// Position of the article in [`Index::docs`].
    pub doc: usize,
    /// Relevance; only the order means anything.
    pub score: f32,
}

#[derive(Clone, Copy, Debug)]
struct Posting {
    doc: u32,
    /// BM25's saturated, length-normalised term frequency.
    tf: f32,
}

#[derive(Clone, Copy, Debug)]
struct Term {
    /// Byte range of the term in `Index::text`.
    start: u32,
    end: u32,
    /// Range of its postings in `Index::postings`.
    first: u32,
    last: u32,
}

/// A parsed search index, ready for [`Index::search`].
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// The index's language first, then its articles' other languages: a
    /// query word is searched as each of them would spell it.
    languages: Vec<Language>,
    docs: Vec<DocMeta>,
    /// Term texts and folded forms, back to back.
    text: String,
    /// `(character, start, end)` of its folded form in `text`, by character.
    fold: Vec<(char, u32, u32)>,
    /// By term text.
    terms: Vec<Term>,
    postings: Vec<Posting>,
}

/// Inserts `item` into `best`, which stays sorted by `before` (then by
/// arrival) and at most `limit` long: a top-k without a sort.
fn keep_best<T>(best: &mut Vec<T>, limit: usize, item: T, before: impl Fn(&T, &T) -> bool) {
    let at = best.partition_point(|kept| !before(&item, kept));
    if at < limit {
        if best.len() >= limit {
            best.pop();
        }
        best.insert(at, item);
    }
}

/// Whether `c` may appear in a term or a folded form. Checked without
/// Unicode tables: the build only writes letters and digits.
fn is_term_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || !c.is_ascii()
}

#[derive(Debug, PartialEq)]
struct QueryTerm {
    /// The word as each of the index's languages makes it a term.
    variants: Vec<String>,
    prefix: bool,
    /// A CJK bigram or single character.
    gram: bool,
}

fn number(field: Option<&str>) -> Option<u32> {
    field?.parse().ok()
}

fn unescape(field: &str) -> Option<String> {
    if !field.contains('\\') {
        return Some(field.to_owned());
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(match chars.next()? {
                '\\' => '\\',
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                _ => return None,
            });
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn list<'a>(fields: &mut impl Iterator<Item = &'a str>) -> Option<Vec<String>> {
    let count = number(fields.next())?;
    let mut items = Vec::new();
    for _ in 0..count {
        items.push(unescape(fields.next()?)?);
    }
    Some(items)
}

fn doc_line(line: &str) -> Option<(DocMeta, u32)> {
    let mut fields = line.split('\t');
    let length = number(fields.next())?;
    let id = unescape(fields.next()?)?;
    let title = unescape(fields.next()?)?;
    let file = unescape(fields.next()?)?;
    let locale = unescape(fields.next()?)?;
    let mut kinds = list(&mut fields)?;
    let kind = kinds.pop();
    let tags = list(&mut fields)?;
    let suggest_on = list(&mut fields)?;
    (kinds.is_empty() && fields.next().is_none()).then_some((DocMeta { id, title, file, locale, kind, tags, suggest_on }, length))
}

/// Lines of an index, numbered from 1.
struct Lines<'a> {
    inner: core::str::Lines<'a>,
    number: usize,
}

impl<'a> Lines<'a> {
    fn next(&mut self) -> Result<&'a str, SearchError> {
        self.number += 1;
        self.inner.next().ok_or(SearchError::Truncated)
    }

    fn malformed(&self) -> SearchError {
        SearchError::Malformed { line: self.number }
    }

    fn expect(&mut self, marker: &str) -> Result<(), SearchError> {
        if self.next()? == marker {
            Ok(())
        } else {
            Err(self.malformed())
        }
    }
}

impl Index {
    /// Reads an index written by [`build_index`](super::build_index).
    ///
    /// # Errors
    /// [`SearchError::NotAnIndex`] or [`SearchError::Version`] for a foreign
    /// header, [`SearchError::Malformed`] for the first line that breaks the
    /// format, [`SearchError::Truncated`] when the text stops before `END`.
    pub fn parse(text: &str) -> Result<Index, SearchError> {
        let mut lines = Lines { inner: text.lines(), number: 0 };
        let mut header = lines.next().map_err(|_| SearchError::NotAnIndex)?.split('\t');
        if header.next() != Some(MAGIC) {
            return Err(SearchError::NotAnIndex);
        }
        let version = number(header.next()).ok_or(SearchError::NotAnIndex)?;
        if version != FORMAT_VERSION {
            return Err(SearchError::Version(version));
        }
        let (Some(locale), Some(doc_count), Some(term_count), Some(fold_count), None) =
            (header.next().and_then(unescape), number(header.next()), number(header.next()), number(header.next()), header.next())
        else {
            return Err(SearchError::Malformed { line: 1 });
        };
        // Counts only bound capacities by the text's length: a garbled header cannot ask for much memory.
        let capacity = |count: u32| (count as usize).min(text.len() / 2);
        let mut index = Index {
            languages: vec![Language::of(&locale)],
            docs: Vec::with_capacity(capacity(doc_count)),
            text: String::new(),
            fold: Vec::with_capacity(capacity(fold_count)),
            terms: Vec::with_capacity(capacity(term_count)),
            postings: Vec::new(),
        };

        lines.expect("FOLD")?;
        for _ in 0..fold_count {
            let line = lines.next()?;
            let (key, folded) = line.split_once('\t').ok_or_else(|| lines.malformed())?;
            let mut chars = key.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return Err(lines.malformed());
            };
            let ordered = index.fold.last().is_none_or(|&(last, _, _)| last < c);
            if c.is_ascii() || !ordered || !folded.chars().all(is_term_char) {
                return Err(lines.malformed());
            }
            let start = index.text.len() as u32;
            index.text.push_str(folded);
            index.fold.push((c, start, index.text.len() as u32));
        }

        lines.expect("DOCS")?;
        let mut lengths = Vec::with_capacity(capacity(doc_count));
        for _ in 0..doc_count {
            let (meta, length) = doc_line(lines.next()?).ok_or_else(|| lines.malformed())?;
            let language = Language::of(&meta.locale);
            if !meta.locale.is_empty() && !index.languages.contains(&language) {
                index.languages.push(language);
            }
            index.docs.push(meta);
            lengths.push(length as f32);
        }
        let average = if lengths.is_empty() { 1.0 } else { lengths.iter().sum::<f32>() / lengths.len() as f32 };
        let average = if average > 0.0 { average } else { 1.0 };

        lines.expect("TERMS")?;
        for _ in 0..term_count {
            let line = lines.next()?;
            let mut fields = line.split('\t');
            let term = fields.next().unwrap_or_default();
            let ordered =
                index.terms.last().is_none_or(|t| index.text.get(t.start as usize..t.end as usize).is_some_and(|last| last < term));
            if term.is_empty() || !ordered || !term.chars().all(is_term_char) {
                return Err(lines.malformed());
            }
            let start = index.text.len() as u32;
            index.text.push_str(term);
            let first = index.postings.len() as u32;
            for field in fields {
                let (doc, tf) = field.split_once(':').ok_or_else(|| lines.malformed())?;
                let (Some(doc), Some(tf)) = (number(Some(doc)), number(Some(tf))) else {
                    return Err(lines.malformed());
                };
                let Some(&length) = lengths.get(doc as usize) else {
                    return Err(lines.malformed());
                };
                if tf == 0 {
                    return Err(lines.malformed());
                }
                let tf = tf as f32;
                let tf = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / average));
                index.postings.push(Posting { doc, tf });
            }
            let last = index.postings.len() as u32;
            index.terms.push(Term { start, end: index.text.len() as u32, first, last });
        }

        lines.expect("END")?;
        if lines.inner.any(|line| !line.is_empty()) {
            lines.number += 1;
            return Err(lines.malformed());
        }
        Ok(index)
    }

    /// The articles, in index order; [`Hit::doc`] is a position in this slice.
    pub fn docs(&self) -> &[DocMeta] {
        &self.docs
    }

    /// The articles that best match `query`, best first, at most `limit`.
    /// Meant to run on every keystroke; see the module documentation for
    /// the rules.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let terms = self.query_terms(query);
        if terms.is_empty() || limit == 0 || self.docs.is_empty() {
            return Vec::new();
        }
        let count = self.docs.len();
        let mut score = vec![0f32; count];
        let mut matched = vec![0u8; count];
        let mut best = vec![0f32; count];
        let mut touched: Vec<u32> = Vec::new();
        let mut candidates = Vec::new();
        for term in &terms {
            self.candidates(term, &mut candidates);
            touched.clear();
            for &(t, weight) in &candidates {
                for posting in self.postings(t) {
                    if let Some(slot) = best.get_mut(posting.doc as usize) {
                        if *slot <= 0.0 {
                            touched.push(posting.doc);
                        }
                        *slot = slot.max(weight * posting.tf);
                    }
                }
            }
            let n = touched.len() as f32;
            let idf = (1.0 + (count as f32 - n + 0.5) / (n + 0.5)).ln();
            for &doc in &touched {
                let doc = doc as usize;
                if let (Some(slot), Some(total), Some(hits)) = (best.get_mut(doc), score.get_mut(doc), matched.get_mut(doc)) {
                    *total += idf * *slot;
                    *hits += 1;
                    *slot = 0.0;
                }
            }
        }
        // Every term (AND), else any term (OR).
        let all = terms.len() as u8;
        let needed = if matched.contains(&all) { all } else { 1 };
        let mut hits = Vec::new();
        for (doc, (&m, &score)) in matched.iter().zip(&score).enumerate() {
            if m >= needed {
                // Documents come in index order, so a tie never goes before an earlier one.
                keep_best(&mut hits, limit, Hit { doc, score }, |a, b| a.score > b.score);
            }
        }
        hits
    }

    /// Folds one query character into `token` with the shipped table; `false` when it separates words.
    fn fold_query_char(&self, c: char, token: &mut String) -> bool {
        if let Some(word) = fold_common(c, self.languages.first().copied().unwrap_or(Language::Other), token) {
            return word;
        }
        match self.fold.binary_search_by_key(&c, |&(k, _, _)| k) {
            Ok(i) => {
                let folded = self.fold.get(i).and_then(|&(_, start, end)| self.text.get(start as usize..end as usize));
                token.push_str(folded.unwrap_or_default());
                true
            }
            Err(_) => false,
        }
    }

    fn query_terms(&self, query: &str) -> Vec<QueryTerm> {
        let mut terms: Vec<QueryTerm> = Vec::new();
        split(
            query,
            |c, token| self.fold_query_char(c, token),
            |token, gram, open| {
                let mut variants: Vec<String> = Vec::new();
                if gram {
                    variants.push(token.clone());
                }
                for language in self.languages.iter().filter(|_| !gram) {
                    let mut term = token.clone();
                    language.respell(&mut term);
                    // A stop word of the readers' language is no term at all.
                    if term.is_empty() || (variants.is_empty() && self.is_stop(&term)) {
                        break;
                    }
                    language.stem(&mut term);
                    // A repeat costs nothing: candidates are merged by index term.
                    variants.push(term);
                }
                if variants.is_empty() {
                    return;
                }
                if let Some(same) = terms.iter_mut().find(|t| t.variants == variants) {
                    same.prefix |= open;
                } else if terms.len() < MAX_QUERY_TERMS {
                    terms.push(QueryTerm { variants, prefix: open, gram });
                }
            },
        );
        terms
    }

    /// Where `word` is, or would be, among the index terms.
    fn term_at(&self, word: &str) -> usize {
        self.terms.partition_point(|t| self.text.get(t.start as usize..t.end as usize).is_some_and(|s| s < word))
    }

    /// Whether `word` is a stop word of the readers' language: a term without postings.
    fn is_stop(&self, word: &str) -> bool {
        let at = self.term_at(word);
        self.term_text(at) == Some(word) && self.postings(at).is_empty()
    }

    fn term_text(&self, i: usize) -> Option<&str> {
        let term = self.terms.get(i)?;
        self.text.get(term.start as usize..term.end as usize)
    }

    fn postings(&self, i: usize) -> &[Posting] {
        self.terms.get(i).and_then(|t| self.postings.get(t.first as usize..t.last as usize)).unwrap_or_default()
    }

    /// The index terms `term` matches, with their weights, each once with
    /// its best: for each of its variants, the exact term, then at most
    /// [`MAX_EXPANSIONS`] prefix and typo terms.
    fn candidates(&self, term: &QueryTerm, out: &mut Vec<(usize, f32)>) {
        out.clear();
        for variant in &term.variants {
            self.variant_candidates(variant, term, out);
        }
    }

    /// Adds index term `i` with `weight` to `out`, or raises its weight there.
    fn add_candidate(out: &mut Vec<(usize, f32)>, i: usize, weight: f32) {
        match out.iter_mut().find(|(t, _)| *t == i) {
            Some((_, w)) => *w = w.max(weight),
            None => out.push((i, weight)),
        }
    }

    fn variant_candidates(&self, query: &str, term: &QueryTerm, out: &mut Vec<(usize, f32)>) {
        let start = self.term_at(query);
        let exact = self.term_text(start) == Some(query);
        if exact {
            Self::add_candidate(out, start, 1.0);
        }
        let chars = query.chars().count();
        // One CJK character may begin a bigram: it is a prefix from one character.
        let prefix = term.prefix && (chars >= MIN_PREFIX_CHARS || term.gram);
        // (rank: 0 prefix, 1 typo; articles, negated; term)
        let mut more: Vec<(u8, isize, usize)> = Vec::new();
        let mut add = |item| keep_best(&mut more, MAX_EXPANSIONS, item, |a, b| a < b);
        if prefix {
            let mut i = start + usize::from(exact);
            while self.term_text(i).is_some_and(|t| t.starts_with(query)) {
                add((0, -(self.postings(i).len() as isize), i));
                i += 1;
            }
        }
        if chars >= MIN_TYPO_CHARS && !term.gram {
            for (i, t) in self.terms.iter().enumerate() {
                let Some(text) = self.text.get(t.start as usize..t.end as usize) else { continue };
                // Cheap filters first: this scans the whole vocabulary.
                if text.len().abs_diff(query.len()) > 4 || !near_start(query.as_bytes(), text.as_bytes()) {
                    continue;
                }
                let long = text.chars().nth(MIN_TYPO_CHARS - 1).is_some();
                if long && one_edit(query, text) && !(prefix && text.starts_with(query)) {
                    add((1, -(t.last.saturating_sub(t.first) as isize), i));
                }
            }
        }
        for &(rank, _, i) in &more {
            Self::add_candidate(out, i, if rank == 0 { PREFIX_WEIGHT } else { TYPO_WEIGHT });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::build::{build_index, each_term, IndexDoc};

    fn doc(id: &str, title: &str, tags: &[&str], text: &str) -> IndexDoc {
        IndexDoc {
            id: id.into(),
            title: title.into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            text: text.into(),
            suggest_on: vec![],
            kind: Some("how-to".into()),
            file: format!("kb/{id}.0a1b2c3d.json"),
            locale: String::new(),
        }
    }

    fn fixture() -> Vec<IndexDoc> {
        vec![
            IndexDoc {
                suggest_on: vec!["/login*".into(), "/account/security".into()],
                ..doc(
                    "reset-password",
                    "Reset your password",
                    &["account", "login"],
                    "Forgot it? Open the sign-in page and choose Forgot password. We email you a link that works for one hour.",
                )
            },
            doc(
                "billing-details",
                "Update your billing details",
                &["billing", "payment"],
                "Change the card we charge, the billing email and the company address printed on every invoice. \
                 Only owners can edit billing.",
            ),
            doc(
                "download-invoices",
                "Download invoices",
                &["billing", "factures"],
                "Every invoice is listed under Settings, then Billing. Download a PDF of one, or export them all at once as a ZIP archive.",
            ),
            doc(
                "export-csv",
                "Export data as CSV",
                &["data", "reports"],
                "Export tickets, contacts and reports to a file that opens in Excel or Google Sheets. \
                 Large exports are emailed when ready.",
            ),
            doc(
                "sso",
                "Set up single sign-on (SSO)",
                &["security", "saml", "okta"],
                "Enterprise plans can require sign-in through your identity provider. Add the metadata URL, then test with one user.",
            ),
            doc(
                "status",
                "Our status page and outages",
                &["incident"],
                "When something breaks we post updates within minutes. Subscribe to get an email or a Slack message for every incident.",
            ),
            doc(
                "invite",
                "Invite teammates",
                &["team", "seats", "users"],
                "Admins invite teammates by email. Each teammate takes one seat on your plan; add seats when you need more.",
            ),
            doc(
                "cancel-plan",
                "Cancel or downgrade your plan",
                &["plan", "refund"],
                "Downgrade at any time. When you cancel, your workspace stays active until the end of the period. \
                 Refunds cover annual plans.",
            ),
            doc(
                "webhooks",
                "Webhooks: verify signatures",
                &["api", "developers"],
                "Every webhook request carries a Buoy-Signature header, an HMAC of the body with your signing secret. \
                 Reject old timestamps.",
            ),
            doc(
                "connect-slack",
                "Connect Slack",
                &["integrations", "notifications"],
                "Install the Buoy app in Slack to get new tickets in a channel. Slack's messages come in English, Français or Español.",
            ),
        ]
    }

    fn index() -> Index {
        Index::parse(&build_index("en", &fixture())).unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn ids(index: &Index, query: &str) -> Vec<String> {
        index.search(query, 10).iter().filter_map(|h| index.docs().get(h.doc)).map(|d| d.id.clone()).collect()
    }

    #[test]
    fn queries_find_the_expected_top_article() {
        let index = index();
        let check = |query: &str, expected_top: Option<&str>| {
            let found = ids(&index, query);
            assert_eq!(found.first().map(String::as_str), expected_top, "{query:?} found {found:?}");
        };
        let cases: &[(&str, Option<&str>)] = &[
            // Plain words and case folding.
            ("password", Some("reset-password")),
            ("PASSWORD", Some("reset-password")),
            ("Password?!", Some("reset-password")),
            ("sso", Some("sso")),
            // Accents, in the query or in the corpus, in either case.
            ("réset", Some("reset-password")),
            ("RÉSET", Some("reset-password")),
            ("re\u{301}set", Some("reset-password")),
            ("facturé", Some("download-invoices")),
            ("francais", Some("connect-slack")),
            ("ESPAÑOL", Some("connect-slack")),
            // Plurals and possessives.
            ("invoices", Some("download-invoices")),
            ("invoice", Some("download-invoices")),
            ("passwords", Some("reset-password")),
            ("slack's", Some("connect-slack")),
            // Prefix of the word being typed.
            ("passw", Some("reset-password")),
            ("inv", Some("download-invoices")),
            ("invi", Some("invite")),
            ("reset passw", Some("reset-password")),
            ("passw ", None),
            ("p", None),
            // One typo, from 4 characters.
            ("pasword", Some("reset-password")),
            ("invoce", Some("download-invoices")),
            ("exprot", Some("export-csv")),
            ("Webhoks", Some("webhooks")),
            ("cvs", None),
            // Title beats body and tags; tags count.
            ("billing", Some("billing-details")),
            ("slack", Some("connect-slack")),
            ("saml", Some("sso")),
            ("users", Some("invite")),
            ("refund", Some("cancel-plan")),
            // Several words: AND, else OR.
            ("export invoices", Some("download-invoices")),
            ("webhook signature", Some("webhooks")),
            ("slack xyzzyq", Some("connect-slack")),
            // Nothing to search for.
            ("", None),
            ("  !!  ", None),
            ("how do I", None),
            ("the", None),
            ("日本語", None),
        ];
        for &(query, expected_top) in cases {
            check(query, expected_top);
        }
    }

    /// An index for readers of `locale` over `(id, locale, title, text)` articles.
    fn index_of(locale: &str, docs: &[(&str, &str, &str, &str)]) -> Index {
        let docs: Vec<IndexDoc> =
            docs.iter().map(|&(id, doc_locale, title, text)| IndexDoc { locale: doc_locale.into(), ..doc(id, title, &[], text) }).collect();
        Index::parse(&build_index(locale, &docs)).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn each_language_finds_its_articles_by_its_own_rules() {
        let german = [
            ("passwort", "de", "Passwort zurücksetzen", "Öffnen Sie die Anmeldeseite und wählen Sie „Passwort vergessen“."),
            ("rechnung", "de", "Rechnungen und Quittungen herunterladen", "Jede Rechnung steht unter Einstellungen, dann Abrechnung."),
            ("export", "en", "Export your data as CSV", "Exports open in Excel or Google Sheets."),
        ];
        let japanese = [
            ("reset", "ja", "パスワードをリセットする", "サインインページで「パスワードをお忘れですか」を選びます。"),
            ("invoice", "ja", "請求書と領収書のダウンロード", "請求書は設定の「請求」にあります。PDFでダウンロードできます。"),
        ];
        let arabic = [
            ("reset", "ar", "إعادة تعيين كلمة المرور", "افتح صفحة تسجيل الدخول واختر «نسيت كلمة المرور»."),
            ("invoice", "ar", "تنزيل الفواتير والإيصالات", "تجد كلَّ فاتورةٍ في الإعدادات ثم الفوترة."),
        ];
        let french = [
            (
                "billing",
                "fr",
                "Mettre à jour l'adresse de facturation",
                "Changez la carte débitée et l’adresse imprimée sur chaque facture.",
            ),
            ("password", "fr", "Réinitialiser votre mot de passe", "Ouvrez la page de connexion."),
        ];
        let spanish = [
            ("password", "es", "Restablecer la contraseña", "Abre la página de inicio de sesión."),
            ("year", "es", "Facturación por año", "Cada factura anual se emite en enero."),
        ];
        let portuguese = [
            ("cards", "pt-BR", "Atualizar o cartão de crédito", "Troque o cartão cobrado."),
            ("plans", "pt-BR", "Planos", "Mude de plano."),
        ];
        /// Behaviour, the readers' locale, the articles, the query, the ids found.
        type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str, &'a str, &'a str)], &'a str, &'a [&'a str]);
        let cases: &[Case<'_>] = &[
            ("a German query without umlauts finds the article with them", "de", &german, "zurucksetzen", &["passwort"]),
            ("a German query with umlauts typed as two letters finds it", "de", &german, "Passwort zuruecksetzen", &["passwort"]),
            ("a German plural finds the singular", "de", &german, "Rechnungen", &["rechnung"]),
            ("a German stop word is not searched", "de", &german, "die", &[]),
            ("an English article shown to German readers keeps English stemming", "de", &german, "exporting CSVs", &["export"]),
            ("a Japanese query finds an article by bigrams", "ja", &japanese, "パスワード", &["reset"]),
            ("a Japanese query inside a longer phrase finds it", "ja", &japanese, "領収書", &["invoice"]),
            ("one Japanese character being typed finds the bigrams it starts", "ja", &japanese, "請", &["invoice"]),
            ("Japanese and Latin mixed without spaces", "ja", &japanese, "PDFでダウンロード", &["invoice"]),
            ("full-width Latin letters find ASCII ones", "ja", &japanese, "ＰＤＦ", &["invoice"]),
            ("an Arabic query without hamza or taa marbuta finds the article", "ar", &arabic, "اعاده تعيين كلمه", &["reset"]),
            ("Arabic diacritics and tatweel are ignored", "ar", &arabic, "كَلِمـــة المرور", &["reset"]),
            ("an Arabic query without the article al- finds it", "ar", &arabic, "فواتير", &["invoice"]),
            ("a French query without accents finds the accented article", "fr", &french, "reinitialiser", &["password"]),
            ("a French elided article is split off", "fr", &french, "adresse", &["billing"]),
            ("a French plural finds the singular", "fr", &french, "factures", &["billing"]),
            ("a Spanish query without accents finds the article", "es", &spanish, "facturacion", &["year"]),
            ("a Spanish query missing the tilde of ñ finds it as a typo", "es", &spanish, "contrasena", &["password"]),
            ("Spanish ñ stays apart from n", "es", &spanish, "ano", &[]),
            ("a Portuguese plural finds the singular", "pt-BR", &portuguese, "cartões", &["cards"]),
            ("a Portuguese query without the tilde finds it", "pt-BR", &portuguese, "cartao", &["cards"]),
        ];
        for &(behaviour, locale, docs, query, expected) in cases {
            let index = index_of(locale, docs);
            assert_eq!(ids(&index, query), expected, "{behaviour}: {query:?}");
        }
    }

    #[test]
    fn and_then_or_decides_the_hit_set() {
        let index = index();
        let cases: &[(&str, &[&str])] = &[
            // Only one article has both words.
            ("export invoices", &["download-invoices"]),
            // No article has both: every article with either, best first.
            ("slack xyzzyq", &["connect-slack", "status"]),
            ("password refund", &["reset-password", "cancel-plan"]),
            ("seats plan", &["invite"]),
            ("okta refund", &["cancel-plan", "sso"]),
        ];
        for &(query, expected) in cases {
            assert_eq!(ids(&index, query), expected, "{query:?}");
        }
        assert!(index.search("password", 0).is_empty());
        assert_eq!(index.search("billing", 1).len(), 1);
    }

    #[test]
    fn ties_keep_index_order() {
        let docs = vec![doc("b", "Same words", &[], "alpha"), doc("a", "Same words", &[], "alpha"), doc("c", "Other", &[], "beta")];
        let index = Index::parse(&build_index("en", &docs)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(ids(&index, "same alpha"), ["b", "a"]);
        let hits = index.search("words", 5);
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.score > 0.0));
    }

    #[test]
    fn query_folding_matches_build_folding() {
        let mut docs = fixture();
        docs.push(doc("ru", "Сбросить пароль", &[], "Ǆ ǅ ǆ ﬁle"));
        let index = Index::parse(&build_index("en", &docs)).unwrap_or_else(|e| unreachable!("{e}"));
        let samples = [
            "ÀÉÎÕÜ àéîõü Ææ Øø Œœ Ðð Þþ ß Ĳĳ Ŀŀ Łł ŉ Ŋŋ ſ İ ı ª º ¹²³ µ ¼ × ÷ « » ¿",
            "re\u{301}set don't customer’s",
            "СБРОСИТЬ ПАРОЛЬ сбросить пароль Ǆ ǅ ǆ ﬁle",
        ];
        for sample in samples {
            let mut built = Vec::new();
            each_term(sample, Language::English, Language::English, |t| built.push(t.to_owned()));
            built.dedup();
            let queried: Vec<String> = index.query_terms(sample).into_iter().flat_map(|t| t.variants).collect();
            let mut unique = Vec::new();
            for t in built {
                if !unique.contains(&t) {
                    unique.push(t);
                }
            }
            assert_eq!(queried, unique, "{sample:?}");
        }
        assert_eq!(ids(&index, "ПАРОЛЬ"), ["ru"]);
    }

    #[test]
    fn one_edit_is_exact() {
        let cases: &[(&str, &str, bool)] = &[
            ("pasword", "password", true),
            ("password", "pasword", true),
            ("passwrod", "password", true),
            ("passward", "password", true),
            ("passwordx", "password", true),
            ("xpassword", "password", true),
            ("password", "password", false),
            ("pswd", "password", false),
            ("exprot", "export", true),
            ("exrpot", "export", false),
            ("abcd", "badc", false),
            ("café", "cafe", true),
            ("cafè", "café", true),
            ("", "a", true),
            ("", "ab", false),
        ];
        for &(a, b, expected) in cases {
            assert_eq!(one_edit(a, b), expected, "{a} / {b}");
            assert!(!expected || near_start(a.as_bytes(), b.as_bytes()), "{a} / {b}");
        }
        assert!(!near_start(b"password", b"invoice") && near_start(b"xpassword", b"password") && near_start(b"ab", b"a"));
    }

    #[test]
    fn metadata_round_trips() {
        let mut docs = fixture();
        docs.push(IndexDoc {
            id: "odd\tid\\".into(),
            title: "Tabs\tnew\nlines\r\nand \\backslashes\\t".into(),
            tags: vec![String::new(), "two words".into()],
            text: String::new(),
            suggest_on: vec!["/a\tb".into(), String::new()],
            kind: Some(String::new()),
            file: "kb/odd.json".into(),
            locale: "fr\tx".into(),
        });
        docs.push(IndexDoc { id: "bare".into(), ..IndexDoc::default() });
        let index = Index::parse(&build_index("en", &docs)).unwrap_or_else(|e| unreachable!("{e}"));
        let expected: Vec<DocMeta> = docs
            .iter()
            .map(|d| DocMeta {
                id: d.id.clone(),
                title: d.title.clone(),
                file: d.file.clone(),
                locale: d.locale.clone(),
                kind: d.kind.clone(),
                tags: d.tags.clone(),
                suggest_on: d.suggest_on.clone(),
            })
            .collect();
        assert_eq!(index.docs(), expected);
        assert_eq!(ids(&index, "backslashes"), ["odd\tid\\"]);
    }

    #[test]
    fn broken_indexes_are_refused() {
        let good = build_index("en", &fixture());
        assert!(Index::parse(&good).is_ok());
        let replace = |from: &str, to: &str| good.replacen(from, to, 1);
        // The 1-based number of the first line starting with `start`.
        let line_of = |start: &str| SearchError::Malformed { line: good.lines().position(|l| l.starts_with(start)).map_or(0, |i| i + 1) };
        let cases: Vec<(&str, String, SearchError)> = vec![
            ("empty", String::new(), SearchError::NotAnIndex),
            ("html", "<!doctype html><p>Not found</p>".into(), SearchError::NotAnIndex),
            ("future version", replace("buoy-search\t2\t", "buoy-search\t3\t"), SearchError::Version(3)),
            ("no locale", replace("buoy-search\t2\ten\t", "buoy-search\t2\t"), SearchError::Malformed { line: 1 }),
            ("bad count", replace("buoy-search\t2\ten\t10\t", "buoy-search\t2\ten\tten\t"), SearchError::Malformed { line: 1 }),
            ("too few docs", replace("buoy-search\t2\ten\t10\t", "buoy-search\t2\ten\t9\t"), line_of("24\tconnect-slack\t")),
            ("too many docs", replace("buoy-search\t2\ten\t10\t", "buoy-search\t2\ten\t11\t"), line_of("TERMS")),
            ("no FOLD", replace("FOLD\n", "FOLDS\n"), SearchError::Malformed { line: 2 }),
            ("no END", good.replace("END\n", ""), SearchError::Truncated),
            ("after END", format!("{good}more\n"), SearchError::Malformed { line: good.lines().count() + 1 }),
            ("bad escape", replace("Reset your password", "Reset\\q"), line_of("23\treset-password\t")),
            ("bad kind count", replace("\t1\thow-to\t2\taccount", "\t2\thow-to\t2\taccount"), line_of("23\treset-password\t")),
            ("fold out of order", replace("\u{e9}\te\n", "\u{e8}\te\n\u{e9}\te\n"), line_of("\u{e9}\t")),
            ("doc out of range", replace("\nzip\t2:1", "\nzip\t10:1"), line_of("zip\t")),
            ("zero tf", replace("\nzip\t2:1", "\nzip\t2:0"), line_of("zip\t")),
            ("not a posting", replace("\nzip\t2:1", "\nzip\t2"), line_of("zip\t")),
            ("terms out of order", replace("\nzip\t", "\naaa\t"), line_of("zip\t")),
        ];
        for (name, text, expected) in cases {
            assert_eq!(Index::parse(&text).err(), Some(expected), "{name}");
        }
        // Cut anywhere before the final new line, the index is refused.
        for (cut, _) in good.char_indices().filter(|(i, _)| i % 5 == 0 || good.get(i.saturating_sub(1)..*i) == Some("\n")) {
            if cut + 1 < good.len() {
                assert!(Index::parse(good.get(..cut).unwrap_or_default()).is_err(), "cut at {cut}");
            }
        }
    }
}
