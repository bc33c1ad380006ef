//! Instant search over the knowledge base, inside the widget: no network
//! round trip per keystroke.
//!
//! Two sides, both pure, each in its own file, sharing only this file's
//! constants and the term rules below (ASCII folding, stop words,
//! stemming):
//!
//! 1. **Build** (`search/build.rs`: [`build_index`], on the host at build
//!    time, so only with feature `toml`, which the build uses): folds,
//!    splits, stems and counts every article, and writes the index as
//!    compact text. The benchmark corpus ([`bench_corpus`]) is there too.
//! 2. **Query** (`search/query.rs`: [`Index::parse`] once, then
//!    [`Index::search`] per keystroke, in the browser). This side uses no
//!    Unicode case tables, no hashing and no formatting: characters beyond
//!    ASCII are folded with the small table shipped inside the index, and
//!    terms are found by binary search.
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

#[cfg(any(test, feature = "toml"))]
mod build;
mod query;

#[cfg(any(test, feature = "toml"))]
pub use build::{bench_corpus, build_index, IndexDoc};
pub use query::{DocMeta, Hit, Index, SearchError};

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

// The term rules both sides apply, so a query term is spelt as the build spelt it.

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
