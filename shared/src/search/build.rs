//! The build side of search (host only): terms of each article with the
//! full folding (Unicode lowercase, Latin accents stripped), the fold
//! table the query side ships with, and the index text; and the
//! benchmark corpus. See the parent module for the rules and the format.

use super::{fold_common, is_cjk, split, Language, BODY_WEIGHT, FORMAT_VERSION, MAGIC, TAG_WEIGHT, TITLE_WEIGHT};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// Whether `c` is dropped inside a word without splitting it: combining
/// marks, Arabic diacritics (harakat, the superscript alef) and tatweel,
/// and apostrophes, except where `language` splits words at them.
fn is_ignorable(c: char, language: Language) -> bool {
    match c {
        '\'' | '\u{2019}' | '\u{2bc}' => !language.apostrophe_splits(),
        '\u{300}'..='\u{36f}' | '\u{610}'..='\u{61a}' | '\u{640}' | '\u{64b}'..='\u{65f}' | '\u{670}' => true,
        _ => false,
    }
}

/// The folded form of an Arabic letter or digit that has one: the alef
/// forms (`أ إ آ ٱ`) are `ا`, taa marbuta (`ة`) is `ه`, alef maksura (`ى`)
/// is `ي`, and Arabic-Indic digits are ASCII digits.
fn fold_arabic(c: char) -> Option<char> {
    Some(match c {
        '\u{622}' | '\u{623}' | '\u{625}' | '\u{671}' => '\u{627}',
        '\u{629}' => '\u{647}',
        '\u{649}' => '\u{64a}',
        '\u{660}'..='\u{669}' => char::from_u32(c as u32 - 0x660 + u32::from(b'0'))?,
        '\u{6f0}'..='\u{6f9}' => char::from_u32(c as u32 - 0x6f0 + u32::from(b'0'))?,
        _ => return None,
    })
}

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
    /// The language it is written in (a BCP 47 tag), whose rules make its
    /// terms; empty for the index's own.
    pub locale: String,
}

/// The ASCII form of a lowercase letter of Latin-1 Supplement or Latin
/// Extended-A (and of the ordinal and superscript signs), if it has one
/// in `language` (Spanish keeps `ñ`).
fn strip_accent(c: char, language: Language) -> Option<&'static str> {
    if c == 'ñ' && language.keeps_enye() {
        return None;
    }
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

/// Build-time folding of one character into `token` for an index in
/// `language`; `false` when it separates words. CJK characters are
/// [`split`]'s.
pub(super) fn fold_char(c: char, language: Language, token: &mut String) -> bool {
    if let Some(word) = fold_common(c, language, token) {
        return word;
    }
    if is_ignorable(c, language) {
        return true;
    }
    if let Some(plain) = fold_arabic(c) {
        token.push(plain);
        return true;
    }
    if let Some(plain) = strip_accent(c, language) {
        token.push_str(plain);
        return true;
    }
    if !c.is_alphanumeric() {
        return false;
    }
    for lower in c.to_lowercase() {
        if let Some(plain) = strip_accent(lower, language) {
            token.push_str(plain);
        } else if !is_ignorable(lower, language) {
            token.push(lower);
        }
    }
    true
}

/// Calls `f` with every term of `text`, build side: characters folded as
/// an index in `fold` folds them, words made terms by the rules of
/// `rules`, the language the text is written in.
pub(super) fn each_term(text: &str, fold: Language, rules: Language, mut f: impl FnMut(&str)) {
    split(
        text,
        |c, token| fold_char(c, fold, token),
        |token, gram, _| {
            if gram || rules.normalize(token) {
                f(token);
            }
        },
    );
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

/// Builds the search index of `docs` for readers of `locale` (a BCP 47
/// tag, whose language folds the characters), in the text format of the
/// module documentation. Article `i` of the index is `docs[i]`; each
/// article's terms follow its own language's rules.
///
/// ```
/// use buoy_shared::search::{build_index, Index, IndexDoc};
/// let docs = vec![IndexDoc { id: "reset".into(), title: "Reset your password".into(), file: "kb/reset.json".into(),
///     text: "Open the sign-in page and choose Forgot password.".into(), ..Default::default() }];
/// let index = Index::parse(&build_index("en", &docs)).map_err(|e| e.to_string())?;
/// let hits = index.search("PASSW", 5);
/// assert_eq!(hits.first().map(|h| index.docs()[h.doc].id.as_str()), Some("reset"));
/// # Ok::<(), String>(())
/// ```
pub fn build_index(locale: &str, docs: &[IndexDoc]) -> String {
    let language = Language::of(locale);
    let mut postings: BTreeMap<String, Vec<(usize, u32)>> = BTreeMap::new();
    let mut lengths = Vec::with_capacity(docs.len());
    let mut seen: BTreeSet<char> = BTreeSet::new();
    let mut tf: HashMap<String, u32> = HashMap::new();
    let mut token = String::new();
    for (number, doc) in docs.iter().enumerate() {
        let rules = if doc.locale.is_empty() { language } else { Language::of(&doc.locale) };
        tf.clear();
        let mut length = 0u32;
        let fields = core::iter::once((doc.title.as_str(), TITLE_WEIGHT))
            .chain(doc.tags.iter().map(|t| (t.as_str(), TAG_WEIGHT)))
            .chain(core::iter::once((doc.text.as_str(), BODY_WEIGHT)));
        for (field, weight) in fields {
            seen.extend(field.chars().filter(|c| !c.is_ascii() && !is_cjk(*c)));
            each_term(field, language, rules, |term| {
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

    // The fold table: the Latin ranges, combining marks, apostrophes, the
    // Arabic letters that fold and its diacritics in an Arabic index, and
    // the corpus's own characters in both cases.
    let mut fold_chars: BTreeSet<char> = ('\u{a0}'..='\u{17f}').chain('\u{300}'..='\u{36f}').chain(['\u{2019}', '\u{2bc}']).collect();
    if language == Language::Arabic {
        let arabic = ('\u{610}'..='\u{61a}').chain('\u{640}'..='\u{670}').chain('\u{622}'..='\u{629}').chain('\u{6f0}'..='\u{6f9}');
        fold_chars.extend(arabic.chain(['\u{649}', '\u{671}']));
    }
    for c in seen {
        fold_chars.insert(c);
        fold_chars.extend(c.to_lowercase().chain(c.to_uppercase()).filter(|c| !c.is_ascii()));
    }
    let mut folds = Vec::new();
    for c in fold_chars.into_iter().filter(|c| fold_common(*c, language, &mut String::new()).is_none()) {
        token.clear();
        if fold_char(c, language, &mut token) {
            folds.push((c, token.clone()));
        }
    }

    let mut out = String::new();
    let _ = write!(out, "{MAGIC}\t{FORMAT_VERSION}\t");
    push_escaped(&mut out, locale);
    // The readers' stop words, as terms without postings, for the query side.
    for word in language.stop_words() {
        postings.entry((*word).to_owned()).or_default();
    }
    let _ = writeln!(out, "\t{}\t{}\t{}", docs.len(), postings.len(), folds.len());
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
        out.push('\t');
        push_escaped(&mut out, &doc.locale);
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
// Benchmark corpus
// ---------------------------------------------------------------------------

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
        let file = format!("kb/{i:04}.{hash:08x}.json");
        docs.push(IndexDoc { id: format!("kb-{i:04}"), title, tags, text, suggest_on, kind, file, locale: String::new() });
    }
    docs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Index, STOP_WORDS};

    #[test]
    fn terms_are_folded_split_and_stemmed() {
        let terms = |text: &str| {
            let mut out = Vec::new();
            each_term(text, Language::English, Language::English, |t| out.push(t.to_owned()));
            out
        };
        let cases: &[(&str, &[&str])] = &[
            ("Ærøskøbing STRASSE Straße ÑANDÚ Œuvre", &["aeroskobing", "strasse", "strasse", "nandu", "oeuvre"]),
            ("Łódź, İstanbul; þorn — ĳssel ſ", &["lodz", "istanbul", "thorn", "ijssel", "s"]),
            ("How do I reset MY password?", &["reset", "password"]),
            ("don't customer’s ｗide ２ＦＡ", &["dont", "customer", "wide", "2fa"]),
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
            let separator = !fold_char(c, Language::English, &mut token);
            assert_eq!(separator, matches!(c, '×' | '÷'), "{c}");
            if !separator {
                assert!(!token.is_empty() && token.bytes().all(|b| b.is_ascii_lowercase()), "{c} → {token}");
            }
        }
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
            locale: "en".into(),
        }];
        // Italian readers (no stop words) of an English article.
        let text = build_index("it", &docs);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first().copied(), Some("buoy-search\t2\tit\t1\t3\t313"));
        assert_eq!(lines.get(1).copied(), Some("FOLD"));
        assert!(lines.contains(&"é\te") && lines.contains(&"É\te") && lines.contains(&"\u{301}\t"));
        let tail: Vec<&str> = lines.iter().rev().take(7).rev().copied().collect();
        assert_eq!(
            tail,
            [
                "DOCS",
                "9\ta\tCafé invoices\tkb/a.json\ten\t0\t1\tBilling\t1\t/billing",
                "TERMS",
                "billing\t0:2",
                "cafe\t0:3",
                "invoice\t0:4",
                "END"
            ]
        );
        // English readers' stop words are terms without postings.
        let text = build_index("en", &docs);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.first().copied(), Some("buoy-search\t2\ten\t1\t36\t313"));
        let terms: Vec<&str> = lines.iter().skip_while(|l| **l != "TERMS").skip(1).take(6).copied().collect();
        assert_eq!(terms, ["a", "an", "and", "are", "as", "at"]);
        assert!(lines.contains(&"billing\t0:2") && lines.contains(&"the") && lines.last() == Some(&"END"));
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
        let index = Index::parse(&build_index("en", &docs)).unwrap_or_else(|e| unreachable!("{e}"));
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
