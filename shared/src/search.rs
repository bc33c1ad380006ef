//! Instant search over the knowledge base, inside the widget: no network
//! round trip per keystroke.
//!
//! Two sides, both pure:
//!
//! 1. **Build** ([`build_index`], on the host at build time): folds, splits,
//!    stems and counts every article, and writes the index as compact text.
//! 2. **Query** ([`Index::parse`] once, then [`Index::search`] per keystroke,
//!    in the browser). This side uses no Unicode case tables, no hashing and
//!    no formatting: characters beyond ASCII are folded with the small table
//!    shipped inside the index, and terms are found by binary search.
//!
//! # Terms
//!
//! Text becomes terms the same way on both sides:
//!
//! - **Folding.** ASCII letters are lowercased. Beyond ASCII, the build
//!   lowercases (`char::to_lowercase`) and strips accents over Latin-1
//!   Supplement and Latin Extended-A (`é → e`, `ü → u`, `ß → ss`, `æ → ae`,
//!   `ø → o`, `œ → oe`, `þ → th`, `ł → l`, `ĳ → ij`, …); other letters and
//!   digits are only lowercased. Combining marks (U+0300–U+036F) and
//!   apostrophes (`'`, `’`, `ʼ`) are dropped without splitting the word, so
//!   `don't` is `dont`, `Slack's` is `slack` and a decomposed `e\u{301}` is
//!   `e`. The query side folds with the index's `FOLD` table instead (see
//!   below): a character outside ASCII that the table does not list is a
//!   separator, exactly as it would have been at build time.
//! - **Splitting** at every other character that is not a letter or digit.
//! - **Stop words**: the tokens of [`STOP_WORDS`] are dropped (checked
//!   before stemming).
//! - **Stemming** (plurals only), first rule that applies, lengths in
//!   characters: `…ies → …y` when longer than 4 (`companies → company`);
//!   `…sses → …ss` (`addresses → address`); `…xes`, `…ches`, `…shes` lose
//!   `es` when longer than the suffix (`boxes → box`, `searches → search`);
//!   a final `s` is dropped from words of 4 or more characters unless they
//!   end in `ss`, `us` or `is` (`invoices → invoice`, but `status`, `class`,
//!   `analysis` stay). Known misses: `cookies → cooky` (not `cookie`),
//!   `caches → cach`, `apis` stays `apis`.
//!
//! # Ranking
//!
//! Articles are scored with BM25 ([`K1`] = 1.2, [`B`] = 0.75) over a
//! weighted term frequency: an occurrence in the title counts
//! [`TITLE_WEIGHT`] (3), in a tag [`TAG_WEIGHT`] (2), in the body
//! [`BODY_WEIGHT`] (1); an article's length is the same weighted count of
//! its terms.
//!
//! Each query term (at most [`MAX_QUERY_TERMS`], repeats merged) matches
//! index terms in three ways:
//!
//! - **exact**, weight 1.0;
//! - **prefix** of an index term, weight [`PREFIX_WEIGHT`] (0.8): only the
//!   last query term, only while it is being typed (the query does not end
//!   with a separator: `passw` finds `password`, `passw ` does not), and
//!   only from [`MIN_PREFIX_CHARS`] (2) characters;
//! - **one edit away**, weight [`TYPO_WEIGHT`] (0.6): one insertion,
//!   deletion, substitution or swap of two neighbours (`pasword`, `invoce`,
//!   `exprot`), when the query term and the index term both have at least
//!   [`MIN_TYPO_CHARS`] (4) characters.
//!
//! Besides the exact term, at most [`MAX_EXPANSIONS`] prefix or typo terms
//! are kept per query term: prefixes before typos, then the terms found in
//! the most articles. An index term that matches more than one way counts
//! once, with its best weight (exact beats prefix beats typo).
//!
//! A query term's contribution to an article is `idf × max(weight × tf')`
//! over its matched index terms, where `tf' = tf·(K1+1) / (tf + K1·(1 − B +
//! B·len/avglen))` and `idf = ln(1 + (N − n + 0.5)/(n + 0.5))`, with `n` the
//! number of articles any of its matched terms occurs in (so a rare typo
//! neighbour cannot outrank the common word the user typed). An article's
//! score is the sum over query terms. Articles must match **every** query
//! term; when none does, every article that matches **any** term is ranked
//! instead. Hits come best first, ties in index order. A query with no
//! terms left (empty, punctuation, only stop words) finds nothing.
//!
//! Short words get no typo tolerance: with 3 letters, one edit reaches too
//! many other words (`api`/`app`, `sso`/`ssl`), so `cvs` does **not** find
//! `csv`, although it is one swap away, and `seat` does not find `set`.
//!
//! # Index format (version 1)
//!
//! UTF-8 text, one record per line (`\n`; a `\r\n` is accepted), fields
//! separated by one tab (shown as `␉`). Sections come in this order, each
//! exactly as long as the header says:
//!
//! ```text
//! buoy-search␉1␉<docs>␉<terms>␉<folds>
//! FOLD
//! <char>␉<folded>                                  × folds
//! DOCS
//! <len>␉<id>␉<title>␉<file>␉<k>[␉<kind>]␉<t>[␉<tag>]…␉<s>[␉<pattern>]…      × docs
//! TERMS
//! <term>␉<doc>:<tf>[␉<doc>:<tf>]…                   × terms
//! END
//! ```
//!
//! - Counts and numbers are unsigned decimal integers (`u32`).
//! - `FOLD`: one character beyond ASCII and its folded form (letters and
//!   digits only, possibly empty: the character is dropped inside a word),
//!   ascending by code point, without repeats. Listed: every letter, digit
//!   and combining mark of U+00A0–U+017F and U+0300–U+036F, `’` and `ʼ`,
//!   and every such character of the corpus together with its upper- and
//!   lowercase forms. Characters not listed are separators.
//! - `DOCS`: one line per article; the article's number is its position
//!   (from 0). `len` is its weighted length; `id`, `title`, `file` are as
//!   given; then three counted lists: `k` (0 or 1) then the kind, `t` then
//!   the tags, `s` then the `suggest_on` patterns. Text fields escape `\` as
//!   `\\`, tab as `\t`, line feed as `\n` and carriage return as `\r`.
//! - `TERMS`: one line per term, strictly ascending in byte order; a term
//!   is non-empty letters and digits (no escaping). Postings are ascending
//!   by article number; `tf` ≥ 1 is the weighted term frequency.
//! - `END` closes the index, so a truncated file is always detected.
//!
//! ```
//! use buoy_shared::search::{build_index, Index, IndexDoc};
//! let docs = vec![IndexDoc { id: "reset".into(), title: "Reset your password".into(), file: "kb/reset.json".into(),
//!     text: "Open the sign-in page and choose Forgot password.".into(), ..Default::default() }];
//! let index = Index::parse(&build_index(&docs)).map_err(|e| e.to_string())?;
//! let hits = index.search("PASSW", 5);
//! assert_eq!(hits.first().map(|h| index.docs()[h.doc].id.as_str()), Some("reset"));
//! # Ok::<(), String>(())
//! ```

use core::fmt;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// The index format version written by [`build_index`] and read by [`Index::parse`].
pub const FORMAT_VERSION: u32 = 1;
/// BM25 term-frequency saturation.
pub const K1: f32 = 1.2;
/// BM25 length normalisation.
pub const B: f32 = 0.75;
/// Weight of an occurrence in the title.
pub const TITLE_WEIGHT: u32 = 3;
/// Weight of an occurrence in a tag.
pub const TAG_WEIGHT: u32 = 2;
/// Weight of an occurrence in the body.
pub const BODY_WEIGHT: u32 = 1;
/// Weight of an index term that the last query term is a prefix of.
pub const PREFIX_WEIGHT: f32 = 0.8;
/// Weight of an index term one edit away from a query term.
pub const TYPO_WEIGHT: f32 = 0.6;
/// Most prefix or typo terms kept per query term (the exact term comes on top).
pub const MAX_EXPANSIONS: usize = 8;
/// Most query terms considered; later ones are ignored.
pub const MAX_QUERY_TERMS: usize = 16;
/// Fewest characters of the last query term for prefix matches.
pub const MIN_PREFIX_CHARS: usize = 2;
/// Fewest characters of a query term, and of the index term it may be mistyped from, for typo matches.
pub const MIN_TYPO_CHARS: usize = 4;

/// Words too common to search for, sorted (they are looked up by binary search).
pub const STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i", "if", "in", "is", "it", "me", "my",
    "of", "on", "or", "our", "the", "this", "to", "we", "what", "with", "you", "your",
];

const MAGIC: &str = "buoy-search";

// ---------------------------------------------------------------------------
// Shared by both sides
// ---------------------------------------------------------------------------

/// Whether `c` is dropped inside a word without splitting it.
fn is_ignorable(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2bc}' | '\u{300}'..='\u{36f}')
}

/// Folds an ASCII character into `token`; `false` when it separates words.
fn fold_ascii(c: char, token: &mut String) -> bool {
    if c.is_ascii_alphanumeric() {
        token.push(c.to_ascii_lowercase());
        true
    } else {
        c == '\''
    }
}

/// Plural stemming, in place (see the module documentation for the rules).
fn stem(token: &mut String) {
    let chars = token.chars().count();
    let len = token.len();
    if chars > 4 && token.ends_with("ies") {
        token.truncate(len.saturating_sub(3));
        token.push('y');
    } else if token.ends_with("sses")
        || (chars > 3 && token.ends_with("xes"))
        || (chars > 4 && (token.ends_with("ches") || token.ends_with("shes")))
    {
        // `sses → ss`, `xes → x`, `ches → ch`, `shes → sh`: all drop `es`.
        token.truncate(len.saturating_sub(2));
    } else if chars >= 4 && token.ends_with('s') && !token.ends_with("ss") && !token.ends_with("us") && !token.ends_with("is") {
        token.truncate(len.saturating_sub(1));
    }
}

/// Turns a folded token into a term in place; `false` when it is not one (empty or a stop word).
fn normalize(token: &mut String) -> bool {
    if token.is_empty() || STOP_WORDS.binary_search(&token.as_str()).is_ok() {
        return false;
    }
    stem(token);
    true
}

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

// ---------------------------------------------------------------------------
// Build side
// ---------------------------------------------------------------------------

/// One knowledge-base article, as given to [`build_index`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDoc {
    /// Stable article id.
    pub id: String,
    /// Title, searched with weight [`TITLE_WEIGHT`].
    pub title: String,
    /// Tags, searched with weight [`TAG_WEIGHT`].
    pub tags: Vec<String>,
    /// Plain body text, searched with weight [`BODY_WEIGHT`].
    pub text: String,
    /// Patterns telling the widget where to suggest the article; not searched.
    pub suggest_on: Vec<String>,
    /// Kind of article; not searched.
    pub kind: Option<String>,
    /// Hashed asset path of the pre-parsed article; opaque here.
    pub file: String,
}

/// The ASCII form of a lowercase letter of Latin-1 Supplement or Latin
/// Extended-A (and of the ordinal and superscript signs), if it has one.
fn strip_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'ª' | 'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ð' | 'ď' | 'đ' => "d",
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' | 'ĸ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' | 'ŋ' => "n",
        'º' | 'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ſ' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'þ' => "th",
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        '¹' => "1",
        '²' => "2",
        '³' => "3",
        _ => return None,
    })
}

/// Build-time folding of one character into `token`; `false` when it separates words.
fn fold_char(c: char, token: &mut String) -> bool {
    if c.is_ascii() {
        return fold_ascii(c, token);
    }
    if is_ignorable(c) {
        return true;
    }
    if let Some(plain) = strip_accent(c) {
        token.push_str(plain);
        return true;
    }
    if !c.is_alphanumeric() {
        return false;
    }
    for lower in c.to_lowercase() {
        if let Some(plain) = strip_accent(lower) {
            token.push_str(plain);
        } else if !is_ignorable(lower) {
            token.push(lower);
        }
    }
    true
}

/// Calls `f` with every term of `text`, build side.
fn each_term(text: &str, token: &mut String, mut f: impl FnMut(&str)) {
    token.clear();
    for c in text.chars() {
        if !fold_char(c, token) {
            if normalize(token) {
                f(token);
            }
            token.clear();
        }
    }
    if normalize(token) {
        f(token);
    }
    token.clear();
}

/// Writes `text` with `\`, tab, line feed and carriage return escaped.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
}

fn push_list<'a>(out: &mut String, items: impl ExactSizeIterator<Item = &'a str>) {
    let _ = write!(out, "\t{}", items.len());
    for item in items {
        out.push('\t');
        push_escaped(out, item);
    }
}

/// Builds the search index of `docs` in the text format of the module
/// documentation. Article `i` of the index is `docs[i]`.
pub fn build_index(docs: &[IndexDoc]) -> String {
    let mut postings: BTreeMap<String, Vec<(usize, u32)>> = BTreeMap::new();
    let mut lengths = Vec::with_capacity(docs.len());
    let mut seen: BTreeSet<char> = BTreeSet::new();
    let mut tf: HashMap<String, u32> = HashMap::new();
    let mut token = String::new();
    for (number, doc) in docs.iter().enumerate() {
        tf.clear();
        let mut length = 0u32;
        let fields = core::iter::once((doc.title.as_str(), TITLE_WEIGHT))
            .chain(doc.tags.iter().map(|t| (t.as_str(), TAG_WEIGHT)))
            .chain(core::iter::once((doc.text.as_str(), BODY_WEIGHT)));
        for (field, weight) in fields {
            seen.extend(field.chars().filter(|c| !c.is_ascii()));
            each_term(field, &mut token, |term| {
                length = length.saturating_add(weight);
                if let Some(count) = tf.get_mut(term) {
                    *count = count.saturating_add(weight);
                } else {
                    tf.insert(term.to_owned(), weight);
                }
            });
        }
        lengths.push(length);
        for (term, count) in tf.drain() {
            postings.entry(term).or_default().push((number, count));
        }
    }

    // The fold table: the Latin ranges, combining marks, apostrophes, and the
    // corpus's own characters in both cases.
    let mut fold_chars: BTreeSet<char> = ('\u{a0}'..='\u{17f}').chain('\u{300}'..='\u{36f}').chain(['\u{2019}', '\u{2bc}']).collect();
    for c in seen {
        fold_chars.insert(c);
        fold_chars.extend(c.to_lowercase().chain(c.to_uppercase()).filter(|c| !c.is_ascii()));
    }
    let mut folds = Vec::new();
    for c in fold_chars {
        token.clear();
        if fold_char(c, &mut token) {
            folds.push((c, token.clone()));
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "{MAGIC}\t{FORMAT_VERSION}\t{}\t{}\t{}", docs.len(), postings.len(), folds.len());
    out.push_str("FOLD\n");
    for (c, folded) in &folds {
        let _ = writeln!(out, "{c}\t{folded}");
    }
    out.push_str("DOCS\n");
    for (doc, length) in docs.iter().zip(&lengths) {
        let _ = write!(out, "{length}\t");
        push_escaped(&mut out, &doc.id);
        out.push('\t');
        push_escaped(&mut out, &doc.title);
        out.push('\t');
        push_escaped(&mut out, &doc.file);
        push_list(&mut out, doc.kind.iter().map(String::as_str));
        push_list(&mut out, doc.tags.iter().map(String::as_str));
        push_list(&mut out, doc.suggest_on.iter().map(String::as_str));
        out.push('\n');
    }
    out.push_str("TERMS\n");
    for (term, list) in &postings {
        out.push_str(term);
        for (doc, count) in list {
            let _ = write!(out, "\t{doc}:{count}");
        }
        out.push('\n');
    }
    out.push_str("END\n");
    out
}

// ---------------------------------------------------------------------------
// Query side
// ---------------------------------------------------------------------------

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

#[derive(Debug)]
struct QueryTerm {
    text: String,
    prefix: bool,
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
    let mut kinds = list(&mut fields)?;
    let kind = kinds.pop();
    let tags = list(&mut fields)?;
    let suggest_on = list(&mut fields)?;
    (kinds.is_empty() && fields.next().is_none()).then_some((DocMeta { id, title, file, kind, tags, suggest_on }, length))
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
    /// Reads an index written by [`build_index`].
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
        let (Some(doc_count), Some(term_count), Some(fold_count), None) =
            (number(header.next()), number(header.next()), number(header.next()), header.next())
        else {
            return Err(SearchError::Malformed { line: 1 });
        };
        // Counts only bound capacities by the text's length: a garbled header cannot ask for much memory.
        let capacity = |count: u32| (count as usize).min(text.len() / 2);
        let mut index = Index {
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
            if last == first {
                return Err(lines.malformed());
            }
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
        if c.is_ascii() {
            return fold_ascii(c, token);
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
        fn finish(token: &mut String, prefix: bool, terms: &mut Vec<QueryTerm>) {
            if normalize(token) {
                if let Some(same) = terms.iter_mut().find(|t| t.text == *token) {
                    same.prefix |= prefix;
                } else if terms.len() < MAX_QUERY_TERMS {
                    terms.push(QueryTerm { text: core::mem::take(token), prefix });
                }
            }
            token.clear();
        }
        let mut terms = Vec::new();
        let mut token = String::new();
        let mut typing = false;
        for c in query.chars() {
            typing = self.fold_query_char(c, &mut token);
            if !typing {
                finish(&mut token, false, &mut terms);
            }
        }
        finish(&mut token, typing, &mut terms);
        terms
    }

    fn term_text(&self, i: usize) -> Option<&str> {
        let term = self.terms.get(i)?;
        self.text.get(term.start as usize..term.end as usize)
    }

    fn postings(&self, i: usize) -> &[Posting] {
        self.terms.get(i).and_then(|t| self.postings.get(t.first as usize..t.last as usize)).unwrap_or_default()
    }

    /// The index terms `term` matches, with their weights: exact first, then
    /// at most [`MAX_EXPANSIONS`] prefix and typo terms.
    fn candidates(&self, term: &QueryTerm, out: &mut Vec<(usize, f32)>) {
        out.clear();
        let query = term.text.as_str();
        let start = self.terms.partition_point(|t| self.text.get(t.start as usize..t.end as usize).is_some_and(|s| s < query));
        let exact = self.term_text(start) == Some(query);
        if exact {
            out.push((start, 1.0));
        }
        let chars = query.chars().count();
        let prefix = term.prefix && chars >= MIN_PREFIX_CHARS;
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
        if chars >= MIN_TYPO_CHARS {
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
        out.extend(more.iter().map(|&(rank, _, i)| (i, if rank == 0 { PREFIX_WEIGHT } else { TYPO_WEIGHT })));
    }
}

// ---------------------------------------------------------------------------
// Benchmark corpus
// ---------------------------------------------------------------------------

/// A deterministic 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    fn below(&mut self, n: usize) -> usize {
        self.next().checked_rem(n).unwrap_or(0)
    }

    /// Skewed towards the start of the list, like word frequencies.
    fn skewed(&mut self, n: usize) -> usize {
        let (a, b) = (self.below(n), self.below(n));
        (a * b).checked_div(n).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or_default()
    }
}

const BENCH_VERBS: &str = "\
    Reset|Update|Export|Connect|Troubleshoot|Set up|Manage|Cancel|Download|Change|Understand|Enable|Disable|Verify|Invite|\
    Migrate";
/// Title objects, each with the words its articles mostly talk about.
const BENCH_TOPICS: &str = "\
    your password=password passwords reset link email expired forgot login sign locked|\
    billing details=billing card payment address company vat tax invoice owner charge|\
    invoices=invoice invoices pdf download billing receipt vat monthly annual history|\
    CSV exports=export exports csv file columns rows filter date excel sheets|\
    single sign-on (SSO)=sso saml okta identity provider metadata certificate enforce domain login|\
    webhooks=webhook webhooks signature secret hmac request retry payload endpoint timestamp|\
    the Slack integration=slack channel notification message install app workspace thread reply|\
    API keys=api key keys token secret rotate scope request limit rate|\
    team seats=seats seat team teammates invite member members plan admin role|\
    your plan=plan plans upgrade downgrade trial subscription annual monthly price cancel|\
    refunds=refund refunds charge charged card cancel annual policy days credit|\
    the status page=status outage incident degraded latency region subscribe updates uptime minutes|\
    two-factor authentication=authentication factor code app verify recovery codes phone security login|\
    email notifications=email emails notification notifications digest unsubscribe settings alert daily message|\
    custom domains=domain dns cname record certificate ssl verify website branding subdomain|\
    user roles=role roles permission permissions admin agent owner member access restrict|\
    the mobile app=mobile app ios android push notification install update offline device|\
    data retention=retention delete deleted archive privacy gdpr days policy export history|\
    reports=report reports dashboard chart metrics csat response time agents filter|\
    saved replies=reply replies macro template saved shortcut agents text variables insert|\
    business hours=hours business calendar holiday timezone sla schedule open closed weekend|\
    SLA policies=sla policy policies priority target breach response resolution escalation urgent|\
    the help widget=widget website install script snippet launcher colour language embed page|\
    audit logs=audit log logs event history export admin security retention ip";
const BENCH_QUALIFIERS: [&str; 8] =
    ["", " on mobile", " for admins", " in the dashboard", " after an outage", " for enterprise plans", " step by step", " (beta)"];
const BENCH_TAGS: &str = "\
    billing account security integrations api data team plans status mobile notifications sso export admin reports widget \
    sla email privacy getting-started";
const BENCH_WORDS: &str = "\
    account settings page click open select button menu admin user users team teammates workspace billing invoice invoices \
    payment card charge charged plan plans upgrade downgrade refund refunds seats seat trial subscription annual monthly \
    password passwords reset link email emails login sign signed session sso saml okta identity provider authentication \
    factor code verify export exports csv file download report reports data columns rows filter date range status outage \
    incident degraded performance latency region webhook webhooks api key keys token request requests response signature \
    header secret integration integrations slack channel notification notifications message messages reply ticket tickets \
    customer customers agent agents queue priority sla policy policies hours business calendar holiday timezone widget \
    website domain custom branding language translation mobile app browser cache cookies error errors problem issue issues \
    fix works working wait minutes quickly automatically manually securely available enabled disabled required optional \
    limit limits history audit log logs role roles permission permissions owner member members privacy retention delete \
    deleted archive migration import café résumé";
const BENCH_GLUE: &str = "\
    the a to of and in for your you is on with can it from when then after before each every not all new";

/// `n` realistic, deterministic support articles for benchmarks, drawn with
/// a simple LCG: titles from 16 verbs × 24 topics × 8 qualifiers, one to
/// three tags, and 150–300 word bodies mixing the topic's own words, general
/// support vocabulary (skewed like real word frequencies), glue words and a
/// few rare error codes (`e4031`).
pub fn bench_corpus(n: usize) -> Vec<IndexDoc> {
    let verbs: Vec<&str> = BENCH_VERBS.split('|').collect();
    let topics: Vec<(&str, Vec<&str>)> = BENCH_TOPICS
        .split('|')
        .map(|line| {
            let (object, words) = line.split_once('=').unwrap_or((line, ""));
            (object, words.split_whitespace().collect())
        })
        .collect();
    let tag_list: Vec<&str> = BENCH_TAGS.split_whitespace().collect();
    let word_list: Vec<&str> = BENCH_WORDS.split_whitespace().collect();
    let glue_list: Vec<&str> = BENCH_GLUE.split_whitespace().collect();
    let mut rng = Lcg(0x5eed_b00e);
    let mut docs = Vec::with_capacity(n);
    for i in 0..n {
        let verb = rng.pick(&verbs);
        let (object, topic) = topics.get(rng.below(topics.len())).map_or(("help", &[][..]), |(o, t)| (*o, t.as_slice()));
        let qualifier = rng.pick(&BENCH_QUALIFIERS);
        let title = format!("{verb} {object}{qualifier}");
        let tags: Vec<String> = (0..1 + rng.below(3)).map(|_| rng.pick(&tag_list).to_owned()).collect();
        let words = 150 + rng.below(151);
        let mut text = String::new();
        let mut sentence = 0;
        for w in 0..words {
            // 45% the article's topic, 30% general support words (skewed like
            // real frequencies), 22% glue, 3% a rare error code.
            let roll = rng.below(100);
            let code;
            let word = if roll < 45 {
                rng.pick(topic)
            } else if roll < 75 {
                word_list.get(rng.skewed(word_list.len())).copied().unwrap_or_default()
            } else if roll < 97 {
                glue_list.get(rng.skewed(glue_list.len())).copied().unwrap_or_default()
            } else {
                code = format!("e{}", 1000 + rng.below(9000));
                code.as_str()
            };
            if sentence == 0 {
                let mut chars = word.chars();
                text.extend(chars.next().map(|c| c.to_ascii_uppercase()));
                text.push_str(chars.as_str());
            } else {
                text.push_str(word);
            }
            sentence += 1;
            if w + 1 == words {
                text.push('.');
            } else if sentence > 7 && rng.below(6) == 0 {
                text.push_str(". ");
                sentence = 0;
            } else if rng.below(12) == 0 {
                text.push_str(", ");
            } else {
                text.push(' ');
            }
        }
        let kind = match rng.below(4) {
            0 => None,
            1 => Some("faq".to_owned()),
            _ => Some("how-to".to_owned()),
        };
        let suggest_on = if rng.below(3) == 0 { vec![format!("/{}/*", rng.pick(&tag_list))] } else { Vec::new() };
        let hash = rng.next() as u32;
        docs.push(IndexDoc { id: format!("kb-{i:04}"), title, tags, text, suggest_on, kind, file: format!("kb/{i:04}.{hash:08x}.json") });
    }
    docs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, title: &str, tags: &[&str], text: &str) -> IndexDoc {
        IndexDoc {
            id: id.into(),
            title: title.into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            text: text.into(),
            suggest_on: vec![],
            kind: Some("how-to".into()),
            file: format!("kb/{id}.0a1b2c3d.json"),
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
        Index::parse(&build_index(&fixture())).unwrap_or_else(|e| unreachable!("{e}"))
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
        let index = Index::parse(&build_index(&docs)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(ids(&index, "same alpha"), ["b", "a"]);
        let hits = index.search("words", 5);
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.score > 0.0));
    }

    #[test]
    fn terms_are_folded_split_and_stemmed() {
        let terms = |text: &str| {
            let mut out = Vec::new();
            each_term(text, &mut String::new(), |t| out.push(t.to_owned()));
            out
        };
        let cases: &[(&str, &[&str])] = &[
            ("Ærøskøbing STRASSE Straße ÑANDÚ Œuvre", &["aeroskobing", "strasse", "strasse", "nandu", "oeuvre"]),
            ("Łódź, İstanbul; þorn — ĳssel ſ", &["lodz", "istanbul", "thorn", "ijssel", "s"]),
            ("How do I reset MY password?", &["reset", "password"]),
            ("don't customer’s ｗide", &["dont", "customer", "ｗide"]),
            ("companies addresses boxes searches crashes invoices", &["company", "address", "box", "search", "crash", "invoice"]),
            ("status class analysis bus gas ties", &["status", "class", "analysis", "bus", "gas", "tie"]),
            ("e-mail 2FA v2.1 10×20", &["e", "mail", "2fa", "v2", "1", "10", "20"]),
            ("Пароль café", &["пароль", "cafe"]),
        ];
        for &(text, expected) in cases {
            assert_eq!(terms(text), expected, "{text:?}");
        }
        assert!(STOP_WORDS.windows(2).all(|w| w.first() < w.last()), "stop words must stay sorted");
    }

    #[test]
    fn every_latin_letter_folds_to_ascii() {
        for c in '\u{c0}'..='\u{17f}' {
            let mut token = String::new();
            let separator = !fold_char(c, &mut token);
            assert_eq!(separator, matches!(c, '×' | '÷'), "{c}");
            if !separator {
                assert!(!token.is_empty() && token.bytes().all(|b| b.is_ascii_lowercase()), "{c} → {token}");
            }
        }
    }

    #[test]
    fn query_folding_matches_build_folding() {
        let mut docs = fixture();
        docs.push(doc("ru", "Сбросить пароль", &[], "Ǆ ǅ ǆ ﬁle"));
        let index = Index::parse(&build_index(&docs)).unwrap_or_else(|e| unreachable!("{e}"));
        let samples = [
            "ÀÉÎÕÜ àéîõü Ææ Øø Œœ Ðð Þþ ß Ĳĳ Ŀŀ Łł ŉ Ŋŋ ſ İ ı ª º ¹²³ µ ¼ × ÷ « » ¿",
            "re\u{301}set don't customer’s",
            "СБРОСИТЬ ПАРОЛЬ сбросить пароль Ǆ ǅ ǆ ﬁle",
        ];
        for sample in samples {
            let mut built = Vec::new();
            each_term(sample, &mut String::new(), |t| built.push(t.to_owned()));
            built.dedup();
            let queried: Vec<String> = index.query_terms(sample).into_iter().map(|t| t.text).collect();
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
        });
        docs.push(IndexDoc { id: "bare".into(), ..IndexDoc::default() });
        let index = Index::parse(&build_index(&docs)).unwrap_or_else(|e| unreachable!("{e}"));
        let expected: Vec<DocMeta> = docs
            .iter()
            .map(|d| DocMeta {
                id: d.id.clone(),
                title: d.title.clone(),
                file: d.file.clone(),
                kind: d.kind.clone(),
                tags: d.tags.clone(),
                suggest_on: d.suggest_on.clone(),
            })
            .collect();
        assert_eq!(index.docs(), expected);
        assert_eq!(ids(&index, "backslashes"), ["odd\tid\\"]);
    }

    #[test]
    fn the_format_is_as_documented() {
        let docs = vec![IndexDoc {
            id: "a".into(),
            title: "Café invoices".into(),
            tags: vec!["Billing".into()],
            text: "Invoice".into(),
            suggest_on: vec!["/billing".into()],
            kind: None,
            file: "kb/a.json".into(),
        }];
        let text = build_index(&docs);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first().copied(), Some("buoy-search\t1\t1\t3\t313"));
        assert_eq!(lines.get(1).copied(), Some("FOLD"));
        assert!(lines.contains(&"é\te") && lines.contains(&"É\te") && lines.contains(&"\u{301}\t"));
        let tail: Vec<&str> = lines.iter().rev().take(7).rev().copied().collect();
        assert_eq!(
            tail,
            [
                "DOCS",
                "9\ta\tCafé invoices\tkb/a.json\t0\t1\tBilling\t1\t/billing",
                "TERMS",
                "billing\t0:2",
                "cafe\t0:3",
                "invoice\t0:4",
                "END"
            ]
        );
    }

    #[test]
    fn broken_indexes_are_refused() {
        let good = build_index(&fixture());
        assert!(Index::parse(&good).is_ok());
        let replace = |from: &str, to: &str| good.replacen(from, to, 1);
        // The 1-based number of the first line starting with `start`.
        let line_of = |start: &str| SearchError::Malformed { line: good.lines().position(|l| l.starts_with(start)).map_or(0, |i| i + 1) };
        let cases: Vec<(&str, String, SearchError)> = vec![
            ("empty", String::new(), SearchError::NotAnIndex),
            ("html", "<!doctype html><p>Not found</p>".into(), SearchError::NotAnIndex),
            ("future version", replace("buoy-search\t1\t", "buoy-search\t2\t"), SearchError::Version(2)),
            ("bad count", replace("buoy-search\t1\t10\t", "buoy-search\t1\tten\t"), SearchError::Malformed { line: 1 }),
            ("too few docs", replace("buoy-search\t1\t10\t", "buoy-search\t1\t9\t"), line_of("24\tconnect-slack\t")),
            ("too many docs", replace("buoy-search\t1\t10\t", "buoy-search\t1\t11\t"), line_of("TERMS")),
            ("no FOLD", replace("FOLD\n", "FOLDS\n"), SearchError::Malformed { line: 2 }),
            ("no END", good.replace("END\n", ""), SearchError::Truncated),
            ("after END", format!("{good}more\n"), SearchError::Malformed { line: good.lines().count() + 1 }),
            ("bad escape", replace("Reset your password", "Reset\\q"), line_of("23\treset-password\t")),
            ("bad kind count", replace("\t1\thow-to\t2\taccount", "\t2\thow-to\t2\taccount"), line_of("23\treset-password\t")),
            ("fold out of order", replace("\u{e9}\te\n", "\u{e8}\te\n\u{e9}\te\n"), line_of("\u{e9}\t")),
            ("doc out of range", replace("\nzip\t2:1", "\nzip\t10:1"), line_of("zip\t")),
            ("zero tf", replace("\nzip\t2:1", "\nzip\t2:0"), line_of("zip\t")),
            ("not a posting", replace("\nzip\t2:1", "\nzip\t2"), line_of("zip\t")),
            ("no postings", replace("\nzip\t2:1", "\nzip"), line_of("zip\t")),
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

    #[test]
    fn bench_corpus_is_deterministic_and_searchable() {
        let docs = bench_corpus(1000);
        assert_eq!(docs.len(), 1000);
        assert_eq!(bench_corpus(3), docs.get(..3).unwrap_or_default());
        for d in &docs {
            let words = d.text.split_whitespace().count();
            assert!((150..=300).contains(&words), "{}: {words} words", d.id);
            assert!(!d.tags.is_empty() && !d.title.is_empty());
        }
        let index = Index::parse(&build_index(&docs)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(index.docs().len(), 1000);
        // Every keystroke of a few queries, as the widget would search.
        for query in ["reset password", "pasword", "export csv", "invoices for admins", "slack webhook", "sso okta", "cafe"] {
            for (end, _) in query.char_indices().skip(1).chain([(query.len(), ' ')]) {
                let typed = query.get(..end).unwrap_or_default();
                let hits = index.search(typed, 8);
                assert!(hits.len() <= 8);
                assert!(hits.windows(2).all(|w| w.first().map(|h| h.score) >= w.last().map(|h| h.score)), "{typed:?}");
            }
            assert!(!index.search(query, 8).is_empty(), "{query:?}");
        }
    }
}
