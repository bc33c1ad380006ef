//! Each language's term rules, shared by both sides of search: which
//! characters separate words, stop words, and stemming (only where a
//! published rule is sound for the language). See the parent module for
//! what each language gets.

/// A language with its own term rules; any other falls back to
/// [`Language::Other`] (folding only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Language {
    /// `en`: English stop words and plural stemming.
    English,
    /// `de`: umlauts written as `ae`/`oe`/`ue` fold like the umlauts, German stop words, Savoy's light stemmer.
    German,
    /// `fr`: elided articles (`l'`, `d'`) split off, French stop words, Savoy's minimal stemmer.
    French,
    /// `es`: `ñ` stays apart from `n`, Spanish stop words, plural stemming.
    Spanish,
    /// `pt`: Portuguese stop words, the plural step of RSLP.
    Portuguese,
    /// `ar`: Arabic stop words, Larkey's light10 stemmer.
    Arabic,
    /// `ja`: no stop words, no stemming (Japanese is indexed by character bigrams, as every CJK text is).
    Japanese,
    /// Any other language: folding only.
    Other,
}

impl Language {
    /// The language of a BCP 47 tag, by its primary subtag, ignoring ASCII case.
    pub fn of(tag: &str) -> Self {
        let end = tag.bytes().position(|b| b == b'-' || b == b'_').unwrap_or(tag.len());
        let primary = tag.get(..end).unwrap_or_default();
        let is = |code: &str| primary.eq_ignore_ascii_case(code);
        if is("en") {
            Self::English
        } else if is("de") {
            Self::German
        } else if is("fr") {
            Self::French
        } else if is("es") {
            Self::Spanish
        } else if is("pt") {
            Self::Portuguese
        } else if is("ar") {
            Self::Arabic
        } else if is("ja") {
            Self::Japanese
        } else {
            Self::Other
        }
    }

    /// Whether an apostrophe separates words (French `l'article`) rather
    /// than being dropped inside one (English `don't`).
    pub(super) fn apostrophe_splits(self) -> bool {
        self == Self::French
    }

    /// Whether `ñ` keeps its tilde (Spanish `año` is not `ano`).
    #[cfg(any(test, feature = "toml"))]
    pub(super) fn keeps_enye(self) -> bool {
        self == Self::Spanish
    }

    /// This language's stop words, folded and sorted by byte (the build
    /// drops them, and writes the readers' language's into its index for
    /// the query side).
    #[cfg(any(test, feature = "toml"))]
    pub fn stop_words(self) -> &'static [&'static str] {
        match self {
            Self::English => &super::STOP_WORDS,
            Self::German => GERMAN_STOP,
            Self::French => FRENCH_STOP,
            Self::Spanish => SPANISH_STOP,
            Self::Portuguese => PORTUGUESE_STOP,
            Self::Arabic => ARABIC_STOP,
            Self::Japanese | Self::Other => &[],
        }
    }

    /// Turns a folded word into a term in place, build side; `false` when
    /// it is not one (empty, or a stop word of this language).
    #[cfg(any(test, feature = "toml"))]
    pub(super) fn normalize(self, token: &mut String) -> bool {
        self.respell(token);
        if token.is_empty() || self.stop_words().binary_search(&token.as_str()).is_ok() {
            return false;
        }
        self.stem(token);
        true
    }

    /// Writes a folded word as the language's other spellings of it are
    /// written (German umlauts typed as two letters), before stop words
    /// are looked up.
    pub(super) fn respell(self, token: &mut String) {
        if self == Self::German {
            german_digraphs(token);
        }
    }

    /// Stems a folded, respelt word in place by the language's rule, if it has one.
    pub(super) fn stem(self, token: &mut String) {
        match self {
            Self::English => {
                apply(token, ENGLISH_RULES);
            }
            Self::German => german_stem(token),
            Self::French => french_stem(token),
            Self::Spanish => {
                apply(token, SPANISH_RULES);
            }
            Self::Portuguese => {
                if !PORTUGUESE_KEEP.contains(&token.as_str()) {
                    apply(token, PORTUGUESE_RULES);
                }
            }
            Self::Arabic => arabic_stem(token),
            Self::Japanese | Self::Other => {}
        }
    }
}

#[cfg(any(test, feature = "toml"))]
const GERMAN_STOP: &[&str] = &[
    "am", "an", "auf", "aus", "bei", "bitte", "das", "dass", "dem", "den", "der", "des", "die", "du", "ein", "eine", "einem", "einen",
    "einer", "es", "fur", "ich", "ihr", "ihre", "im", "in", "ist", "kann", "mein", "meine", "mit", "oder", "sie", "sind", "und", "von",
    "was", "wie", "wir", "zu", "zum", "zur",
];
#[cfg(any(test, feature = "toml"))]
const FRENCH_STOP: &[&str] = &[
    "a", "au", "aux", "c", "ce", "d", "dans", "de", "des", "du", "en", "est", "et", "il", "j", "je", "l", "la", "le", "les", "m", "ma",
    "mes", "mon", "n", "ne", "pas", "pour", "qu", "que", "s", "sur", "t", "un", "une", "vos", "votre", "vous",
];
#[cfg(any(test, feature = "toml"))]
const SPANISH_STOP: &[&str] = &[
    "a", "al", "como", "con", "de", "del", "el", "en", "es", "la", "las", "lo", "los", "mi", "mis", "no", "para", "por", "que", "se", "su",
    "sus", "tu", "un", "una", "y",
];
#[cfg(any(test, feature = "toml"))]
const PORTUGUESE_STOP: &[&str] = &[
    "a", "as", "com", "como", "da", "das", "de", "do", "dos", "e", "em", "meu", "minha", "na", "no", "o", "os", "para", "por", "que", "se",
    "seu", "sua", "um", "uma",
];
// Folded: no diacritics, alef forms as ا, ى as ي.
#[cfg(any(test, feature = "toml"))]
const ARABIC_STOP: &[&str] = &["الي", "ان", "علي", "عن", "في", "كيف", "لا", "ما", "من", "هل", "هو", "هي"];

/// German umlauts typed as two letters fold like the umlauts themselves
/// (after folding, `ä` is already `a`): `ae → a`, `oe → o`, and `ue → u`
/// unless the `u` follows a vowel or `q` (`Feuer`, `Quelle` stay), as in
/// Lucene's `GermanNormalizationFilter` (after the German2 Snowball variant).
fn german_digraphs(token: &mut String) {
    if !token.contains('e') {
        return;
    }
    #[derive(PartialEq)]
    enum State {
        Plain,
        Vowel,
        Umlaut,
    }
    let mut out = String::with_capacity(token.len());
    let mut state = State::Plain;
    for c in token.chars() {
        match c {
            'a' | 'o' => state = State::Umlaut,
            'u' => state = if state == State::Plain { State::Umlaut } else { State::Vowel },
            'e' => {
                let drop = state == State::Umlaut;
                state = State::Vowel;
                if drop {
                    continue;
                }
            }
            'i' | 'q' | 'y' => state = State::Vowel,
            _ => state = State::Plain,
        }
        out.push(c);
    }
    *token = out;
}

/// A suffix rule: a word of at least `.2` characters ending in `.0` ends
/// in `.1` instead. A rule that keeps its suffix (`ss → ss`) stops the
/// rules after it from applying.
type Rule = (&'static str, &'static str, u8);

/// Applies the first rule of `rules` that fits `token`; whether one did.
fn apply(token: &mut String, rules: &[Rule]) -> bool {
    let chars = token.chars().count();
    for &(end, with, min) in rules {
        if chars >= usize::from(min) && token.ends_with(end) {
            token.truncate(token.len().saturating_sub(end.len()));
            token.push_str(with);
            return true;
        }
    }
    false
}

/// English plurals (see the parent module).
pub(super) const ENGLISH_RULES: &[Rule] =
    &[("ies", "y", 5), ("sses", "ss", 4), ("xes", "x", 4), ("ches", "ch", 5), ("shes", "sh", 5), ("ss", "ss", 0), ("us", "us", 0), ("is", "is", 0), ("s", "", 4)];

/// Savoy's light German stemmer (as in Lucene's `GermanLightStemmer`), on
/// folded words: step 1 drops `ern` (6 or more characters), `em`, `en`,
/// `er`, `es` (5), `e` (4) or an `s` after a letter of `bdfghklmnt` (4);
/// step 2 drops `est` (6), `er`, `en` (5) or `st` after such a letter (5).
fn german_stem(token: &mut String) {
    let s_after = |token: &str, tail: &str, min: usize| {
        let Some(rest) = token.strip_suffix(tail) else { return false };
        // The letters after which Savoy's stemmer drops an `s` or `st`.
        matches!(rest.bytes().last(), Some(b'b' | b'd' | b'f' | b'g' | b'h' | b'k' | b'l' | b'm' | b'n' | b't')) && token.chars().count() >= min
    };
    if !apply(token, &[("ern", "", 6), ("em", "", 5), ("en", "", 5), ("er", "", 5), ("es", "", 5), ("e", "", 4)]) && s_after(token, "s", 4) {
        token.pop();
    }
    if !apply(token, &[("est", "", 6), ("er", "", 5), ("en", "", 5)]) && s_after(token, "st", 5) {
        token.truncate(token.len().saturating_sub(2));
    }
}

/// Savoy's minimal French stemmer (as in Lucene's `FrenchMinimalStemmer`),
/// on folded words of 6 or more characters: `…aux → …al`, else a final
/// `x` dropped; otherwise a final `s`, then `r`, then `e`, then one of a
/// doubled final letter (`factures → factur`).
fn french_stem(token: &mut String) {
    if token.chars().count() < 6 || apply(token, &[("aux", "al", 0), ("x", "", 0)]) {
        return;
    }
    for end in ["s", "r", "e"] {
        apply(token, &[(end, "", 0)]);
    }
    if let [.., a, b] = token.as_bytes() {
        if a == b && a.is_ascii_alphabetic() {
            token.pop();
        }
    }
}

/// Spanish plurals, on folded words of 4 or more characters: `…ces → …z`
/// (`luces → luz`), `…es → …` after `l`, `n`, `r`, `d`, `s` or `y`
/// (`papeles → papel`, `razones → razon`), otherwise a final `s` after a
/// vowel is dropped (`facturas → factura`).
const SPANISH_RULES: &[Rule] = &[
    ("ces", "z", 5),
    ("les", "l", 5),
    ("nes", "n", 5),
    ("res", "r", 5),
    ("des", "d", 5),
    ("ses", "s", 5),
    ("yes", "y", 5),
    ("as", "a", 4),
    ("es", "e", 4),
    ("is", "i", 4),
    ("os", "o", 4),
    ("us", "u", 4),
];

/// The plural step of RSLP (Orengo and Huyck, 2001), on folded words of 4
/// or more characters: `ns → m`, then from 5 characters `oes`/`aes → ao`,
/// `ais → al`, `eis → el`, `ois → ol`, `res → r`, `zes → z`, `les → l`,
/// else a final `s` is dropped (not `ss`); words that only look plural
/// ([`PORTUGUESE_KEEP`]) stay.
const PORTUGUESE_RULES: &[Rule] = &[
    ("ss", "ss", 0),
    ("ns", "m", 4),
    ("oes", "ao", 5),
    ("aes", "ao", 5),
    ("ais", "al", 5),
    ("eis", "el", 5),
    ("ois", "ol", 5),
    ("res", "r", 5),
    ("zes", "z", 5),
    ("les", "l", 5),
    ("s", "", 4),
];

/// Portuguese words ending in `s` that are not plurals.
const PORTUGUESE_KEEP: &[&str] = &["atras", "cais", "lapis", "mais", "onibus", "tenis", "virus"];

/// Larkey's light10 Arabic stemmer (as in Lucene's `ArabicStemmer`), on
/// folded words (taa marbuta already `ه`): the first prefix of `ال وال بال
/// كال فال لل و` that leaves two characters (`و` only from four), then each
/// suffix of `ها ان ات ون ين يه ه ي` in turn, each only while two
/// characters stay.
fn arabic_stem(token: &mut String) {
    const PREFIXES: [(&str, usize); 7] = [("ال", 4), ("وال", 5), ("بال", 5), ("كال", 5), ("فال", 5), ("لل", 4), ("و", 4)];
    const SUFFIXES: [&str; 8] = ["ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"];
    let chars = token.chars().count();
    if let Some(rest) = PREFIXES.iter().find_map(|&(p, min)| token.strip_prefix(p).filter(|_| chars >= min)) {
        *token = rest.to_owned();
    }
    for end in SUFFIXES {
        // Arabic letters take two bytes each: two characters more than the suffix.
        apply(token, &[(end, "", (end.len() / 2 + 2) as u8)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(language: Language, word: &str) -> Option<String> {
        let mut token = word.to_owned();
        language.normalize(&mut token).then_some(token)
    }

    #[test]
    fn stop_words_are_sorted_and_folded() {
        for language in [Language::English, Language::German, Language::French, Language::Spanish, Language::Portuguese, Language::Arabic] {
            let words = language.stop_words();
            assert!(words.windows(2).all(|w| w.first() < w.last()), "{language:?}");
            for word in words {
                assert!(word.chars().all(|c| c.is_ascii_lowercase() || ('\u{621}'..='\u{64a}').contains(&c)), "{language:?}: {word}");
            }
        }
    }

    #[test]
    fn each_language_stems_with_its_own_rule() {
        let cases: &[(Language, &str, Option<&str>)] = &[
            // English plurals only.
            (Language::English, "invoices", Some("invoice")),
            (Language::English, "the", None),
            // German: umlauts typed as digraphs, then the light stemmer.
            (Language::German, "passworter", Some("passwort")),
            (Language::German, "passwoerter", Some("passwort")),
            (Language::German, "rechnungen", Some("rechnung")),
            (Language::German, "zuruecksetzen", Some("zurucksetz")),
            (Language::German, "zurucksetzen", Some("zurucksetz")),
            (Language::German, "feuer", Some("feu")),
            (Language::German, "quelle", Some("quell")),
            (Language::German, "der", None),
            // French: minimal stemmer.
            (Language::French, "factures", Some("factur")),
            (Language::French, "facture", Some("factur")),
            (Language::French, "chevaux", Some("cheval")),
            (Language::French, "compte", Some("compt")),
            (Language::French, "code", Some("code")),
            (Language::French, "l", None),
            // Spanish plurals; ñ kept.
            (Language::Spanish, "facturas", Some("factura")),
            (Language::Spanish, "papeles", Some("papel")),
            (Language::Spanish, "luces", Some("luz")),
            (Language::Spanish, "claves", Some("clave")),
            (Language::Spanish, "contraseñas", Some("contraseña")),
            // Portuguese: RSLP plurals.
            (Language::Portuguese, "faturas", Some("fatura")),
            (Language::Portuguese, "cartoes", Some("cartao")),
            (Language::Portuguese, "animais", Some("animal")),
            (Language::Portuguese, "mais", Some("mais")),
            (Language::Portuguese, "senhores", Some("senhor")),
            (Language::Portuguese, "bons", Some("bom")),
            // Arabic: light10.
            (Language::Arabic, "الفاتوره", Some("فاتور")),
            (Language::Arabic, "والحساب", Some("حساب")),
            (Language::Arabic, "كلمات", Some("كلم")),
            (Language::Arabic, "من", None),
            // No English stemmer anywhere else.
            (Language::Japanese, "invoices", Some("invoices")),
            (Language::Other, "invoices", Some("invoices")),
            (Language::German, "status", Some("status")),
        ];
        for &(language, word, expected) in cases {
            assert_eq!(term(language, word).as_deref(), expected, "{language:?} {word}");
        }
    }

    #[test]
    fn a_tag_names_its_language_by_the_primary_subtag() {
        let cases = [
            ("en", Language::English),
            ("en-GB", Language::English),
            ("DE-ch", Language::German),
            ("fr", Language::French),
            ("es-419", Language::Spanish),
            ("pt-BR", Language::Portuguese),
            ("ar", Language::Arabic),
            ("ja", Language::Japanese),
            ("it", Language::Other),
            ("", Language::Other),
        ];
        for (tag, language) in cases {
            assert_eq!(Language::of(tag), language, "{tag}");
        }
    }
}
