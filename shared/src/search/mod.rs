//! Instant search over the knowledge base, inside the widget: no network
//! round trip per keystroke.
//!
//! Two sides, both pure, each in its own file, sharing only this file's
//! constants and the term rules below (ASCII folding, CJK bigrams, and
//! each language's stop words and stemming, `search/lang.rs`):
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
//! Each locale has its own index (built for its readers: their locale is
//! in its header), which may hold articles in another language (the
//! default locale's, standing in for missing translations: each
//! article's own locale is in its line). Characters fold by the index's
//! locale; words become terms by the rules of the article's language
//! ([`Language`]) on the build side, and by those of every language of
//! the index on the query side (a query word matches any of its forms,
//! and counts once). Text becomes terms the same way on both sides:
//!
//! - **Folding.** ASCII letters are lowercased, and so are full-width
//!   ASCII letters and digits (`Ｐ → p`), which Japanese input methods
//!   type. Beyond ASCII, the build lowercases (`char::to_lowercase`) and
//!   strips accents over Latin-1 Supplement and Latin Extended-A (`é → e`,
//!   `ü → u`, `ß → ss`, `æ → ae`, `ø → o`, `œ → oe`, `þ → th`, `ł → l`,
//!   `ĳ → ij`, …), except that a Spanish index keeps `ñ` (`año` is not
//!   `ano`; a query typed without the tilde still finds the word as one
//!   edit away, from 4 characters). Arabic folds its alef forms (`أ إ آ ٱ →
//!   ا`), taa marbuta (`ة → ه`), alef maksura (`ى → ي`) and Arabic-Indic
//!   digits. Combining marks (U+0300–U+036F), Arabic diacritics and tatweel,
//!   and apostrophes (`'`, `’`, `ʼ`) are dropped without splitting the
//!   word, so `don't` is `dont`, `Slack's` is `slack`, a decomposed
//!   `e\u{301}` is `e` and `كَلِمَة` is `كلمه`; in a French index an
//!   apostrophe splits (`l'adresse` is `l`, a stop word, and `adresse`).
//!   Other letters and digits are only lowercased. The query side folds
//!   with the index's `FOLD` table instead (see below): a character outside
//!   ASCII that the table does not list is a separator, exactly as it
//!   would have been at build time.
//! - **Splitting** at every other character that is not a letter or digit.
//!   Kana and CJK ideographs (by range, no tables) are not split by
//!   spaces in Japanese, so a run of them is indexed as its overlapping
//!   character bigrams (`パスワード → パス スワ ワー ード`), a run of one
//!   character as that character; a query's runs become bigrams the same
//!   way, so a query matches when the article has all its bigrams, and one
//!   character being typed matches the bigrams it begins.
//! - **Stop words** of the article's language (English: [`STOP_WORDS`];
//!   German, French, Spanish, Portuguese and Arabic have short lists;
//!   Japanese none) are dropped (checked before stemming); on the query
//!   side, a word that is a stop word of the index's own language (a term
//!   without postings in the index) is no term at all.
//! - **Stemming**, only where a published rule is sound for the language:
//!   English plurals (below); German: umlauts typed as `ae`, `oe`, `ue`
//!   fold as the umlauts do (the German2 rule), then Savoy's light
//!   stemmer; French: Savoy's minimal stemmer (plurals and final `e`, words
//!   of 6 or more characters); Spanish: plurals (`…ces → …z`, `…es` after
//!   `l n r d s y`, `s` after a vowel); Portuguese: the plural step of RSLP;
//!   Arabic: Larkey's light10 (one prefix such as `ال`, `وال`, `بال`, then
//!   suffixes such as `ات`, `ون`, `ين`, `ه`); Japanese and other languages:
//!   none. English plurals, first rule that applies, lengths in characters:
//!   `…ies → …y` when longer than 4 (`companies → company`);
//!   `…sses → …ss` (`addresses → address`); `…xes`, `…ches`, `…shes` lose
//!   `es` when longer than the suffix (`boxes → box`, `searches → search`);
//!   a final `s` is dropped from words of 4 or more characters unless they
//!   end in `ss`, `us` or `is` (`invoices → invoice`, but `status`, `class`,
//!   `analysis` stay). Known misses: `cookies → cooky` (not `cookie`),
//!   `caches → cach`, `apis` stays `apis`; half-width katakana are not
//!   folded to full-width.
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
//!   only from [`MIN_PREFIX_CHARS`] (2) characters, or one CJK character;
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
//! # Index format (version 2)
//!
//! UTF-8 text, one record per line (`\n`; a `\r\n` is accepted), fields
//! separated by one tab (shown as `␉`). Sections come in this order, each
//! exactly as long as the header says:
//!
//! ```text
//! buoy-search␉2␉<locale>␉<docs>␉<terms>␉<folds>
//! FOLD
//! <char>␉<folded>                                  × folds
//! DOCS
//! <len>␉<id>␉<title>␉<file>␉<locale>␉<k>[␉<kind>]␉<t>[␉<tag>]…␉<s>[␉<pattern>]…      × docs
//! TERMS
//! <term>[␉<doc>:<tf>]…                            × terms
//! END
//! ```
//!
//! - Counts and numbers are unsigned decimal integers (`u32`); the
//!   header's `locale` is the readers' (a BCP 47 tag), whose language
//!   folds characters.
//! - `FOLD`: one character beyond ASCII and its folded form (letters and
//!   digits only, possibly empty: the character is dropped inside a word),
//!   ascending by code point, without repeats. Listed: every letter, digit
//!   and combining mark of U+00A0–U+017F and U+0300–U+036F, `’` and `ʼ`
//!   (but in French), in an Arabic index the Arabic letters that fold and
//!   the diacritics and tatweel, and every such character of the corpus
//!   together with its upper- and lowercase forms; never ASCII, full-width
//!   ASCII or CJK characters, which both sides fold by range. Characters
//!   not listed are separators.
//! - `DOCS`: one line per article; the article's number is its position
//!   (from 0). `len` is its weighted length; `id`, `title`, `file` are as
//!   given; then three counted lists: `k` (0 or 1) then the kind, `t` then
//!   the tags, `s` then the `suggest_on` patterns. Text fields escape `\` as
//!   `\\`, tab as `\t`, line feed as `\n` and carriage return as `\r`.
//! - `TERMS`: one line per term, strictly ascending in byte order; a term
//!   is non-empty letters and digits (no escaping). Postings are ascending
//!   by article number; `tf` ≥ 1 is the weighted term frequency. A term
//!   without postings is a stop word of the readers' language (so the
//!   widget carries no word lists).
//! - `END` closes the index, so a truncated file is always detected.

#[cfg(any(test, feature = "toml", feature = "server"))]
mod build;
mod lang;
mod query;
#[cfg(any(test, feature = "server"))]
pub mod tickets;

#[cfg(any(test, feature = "toml", feature = "server"))]
pub use build::{bench_corpus, build_index, IndexDoc};
pub use lang::Language;
pub use query::{DocMeta, Hit, Index, SearchError};

/// The index format version written by [`build_index`] and read by [`Index::parse`].
pub const FORMAT_VERSION: u32 = 2;
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

/// English words too common to search for, sorted (they are looked up by binary search).
#[cfg(any(test, feature = "toml", feature = "server"))]
pub const STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i", "if", "in", "is", "it", "me", "my",
    "of", "on", "or", "our", "the", "this", "to", "we", "what", "with", "you", "your",
];

const MAGIC: &str = "buoy-search";

// The term rules both sides apply, so a query term is spelt as the build spelt it.

/// Whether `c` is a character of a CJK script (kana with their sound
/// marks, ideographs, half-width katakana), by range: such text has no spaces between
/// words, so runs of it are indexed by character bigrams.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3005}' | '\u{3041}'..='\u{309f}' | '\u{30a1}'..='\u{30fa}' | '\u{30fc}'..='\u{30ff}'
        | '\u{31f0}'..='\u{31ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}'
        | '\u{ff66}'..='\u{ff9f}' | '\u{20000}'..='\u{2ffff}')
}

/// Folds a character both sides fold alike (ASCII, and full-width ASCII
/// letters and digits, which Japanese input methods type) into `token`:
/// `Some(false)` when it separates words, `None` when it is neither.
fn fold_common(c: char, language: Language, token: &mut String) -> Option<bool> {
    let c = match c {
        // Full-width ASCII is ASCII shifted by U+FEE0.
        '\u{ff10}'..='\u{ff19}' | '\u{ff21}'..='\u{ff3a}' | '\u{ff41}'..='\u{ff5a}' => char::from((c as u32 - 0xfee0) as u8),
        _ => c,
    };
    if !c.is_ascii() {
        return None;
    }
    if c.is_ascii_alphanumeric() {
        token.push(c.to_ascii_lowercase());
        Some(true)
    } else {
        Some(c == '\'' && !language.apostrophe_splits())
    }
}

/// Splits `text` into words, folding each character with `fold` (`false`
/// at a separator), and runs of CJK characters into their bigrams (a
/// run of one character is that character). Calls `emit(term, gram,
/// open)`: `gram` for a CJK bigram or single character, `open` when it
/// ends the text (the word being typed).
fn split(text: &str, mut fold: impl FnMut(char, &mut String) -> bool, mut emit: impl FnMut(&mut String, bool, bool)) {
    let mut word = String::new();
    let mut gram = String::new();
    let mut previous: Option<char> = None;
    let mut run = 0usize;
    /// A run of one CJK character is indexed as that character.
    fn end_run(
        previous: &mut Option<char>,
        run: &mut usize,
        gram: &mut String,
        open: bool,
        emit: &mut impl FnMut(&mut String, bool, bool),
    ) {
        if let (1, Some(p)) = (*run, *previous) {
            gram.clear();
            gram.push(p);
            emit(gram, true, open);
        }
        *previous = None;
        *run = 0;
    }
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                emit(&mut word, false, false);
                word.clear();
            }
            if let Some(p) = previous {
                gram.clear();
                gram.push(p);
                gram.push(c);
                emit(&mut gram, true, false);
            }
            previous = Some(c);
            run += 1;
            continue;
        }
        end_run(&mut previous, &mut run, &mut gram, false, &mut emit);
        if !fold(c, &mut word) && !word.is_empty() {
            emit(&mut word, false, false);
            word.clear();
        }
    }
    end_run(&mut previous, &mut run, &mut gram, true, &mut emit);
    if !word.is_empty() {
        emit(&mut word, false, true);
    }
}
