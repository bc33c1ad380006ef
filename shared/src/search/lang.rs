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
            Self::English => super::stem(token),
            Self::German => german_stem(token),
            Self::French => french_stem(token),
            Self::Spanish => spanish_stem(token),
            Self::Portuguese => portuguese_stem(token),
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

/// The last `n` characters of `token`, as bytes (stems here are ASCII once folded).
fn ends(token: &str, suffix: &str) -> bool {
    token.ends_with(suffix)
}

fn chop(token: &mut String, bytes: usize) {
    token.truncate(token.len().saturating_sub(bytes));
}

/// Savoy's light German stemmer (as in Lucene's `GermanLightStemmer`), on folded words.
fn german_stem(token: &mut String) {
    let st_ending = |c: Option<u8>| matches!(c, Some(b'b' | b'd' | b'f' | b'g' | b'h' | b'k' | b'l' | b'm' | b'n' | b't'));
    let before = |t: &str, back: usize| t.len().checked_sub(back).and_then(|i| t.as_bytes().get(i).copied());
    let len = token.chars().count();
    // Step 1.
    if len > 5 && ends(token, "ern") {
        chop(token, 3);
    } else if len > 4 && (ends(token, "em") || ends(token, "en") || ends(token, "er") || ends(token, "es")) {
        chop(token, 2);
    } else if len > 3 && ends(token, "e") {
        chop(token, 1);
    } else if len > 3 && ends(token, "s") && st_ending(before(token, 2)) {
        chop(token, 1);
    }
    // Step 2.
    let len = token.chars().count();
    if len > 5 && ends(token, "est") {
        chop(token, 3);
    } else if len > 4 && (ends(token, "er") || ends(token, "en")) {
        chop(token, 2);
    } else if len > 4 && ends(token, "st") && st_ending(before(token, 3)) {
        chop(token, 2);
    }
}

/// Savoy's minimal French stemmer (as in Lucene's `FrenchMinimalStemmer`),
/// on folded words: plurals and feminine `e` of words of 6 or more characters.
fn french_stem(token: &mut String) {
    if token.chars().count() < 6 {
        return;
    }
    if ends(token, "x") {
        if ends(token, "aux") {
            // `chevaux → cheval`
            chop(token, 2);
            token.push('l');
        } else {
            chop(token, 1);
        }
        return;
    }
    for last in ['s', 'r', 'e'] {
        if token.ends_with(last) {
            token.pop();
        }
    }
    let bytes = token.as_bytes();
    if let [.., a, b] = bytes {
        if a == b && a.is_ascii_alphabetic() {
            token.pop();
        }
    }
}

/// Spanish plurals, on folded words of 4 or more characters: `…ces → …z`
/// (`luces → luz`), `…es → …` after `l`, `n`, `r`, `d`, `s` or `y`
/// (`papeles → papel`, `razones → razon`), otherwise a final `s` after a
/// vowel is dropped (`facturas → factura`).
fn spanish_stem(token: &mut String) {
    let len = token.chars().count();
    if len < 4 || !token.ends_with('s') {
        return;
    }
    let bytes = token.as_bytes();
    let third = bytes.len().checked_sub(3).and_then(|i| bytes.get(i)).copied();
    if len > 4 && ends(token, "ces") {
        chop(token, 3);
        token.push('z');
    } else if len > 4 && ends(token, "es") && matches!(third, Some(b'l' | b'n' | b'r' | b'd' | b's' | b'y')) {
        chop(token, 2);
    } else if matches!(bytes.len().checked_sub(2).and_then(|i| bytes.get(i)), Some(b'a' | b'e' | b'i' | b'o' | b'u')) {
        chop(token, 1);
    }
}

/// The plural step of RSLP (Orengo and Huyck, 2001), on folded words of
/// more than 3 characters ending in `s`: `ns → m`, `oes`/`aes → ao`,
/// `ais → al`, `eis → el`, `ois → ol`, `res → r`,
/// `zes → z`, `les → l`, else a final `s` is dropped; words that only
/// look plural ([`PORTUGUESE_KEEP`]) stay.
/// Portuguese words ending in `s` that are not plurals.
const PORTUGUESE_KEEP: &[&str] = &["atras", "cais", "lapis", "mais", "onibus", "tenis", "virus"];

fn portuguese_stem(token: &mut String) {
    let len = token.chars().count();
    if len <= 3 || !token.ends_with('s') || token.ends_with("ss") || PORTUGUESE_KEEP.contains(&token.as_str()) {
        return;
    }
    let rules: [(&str, &str); 8] =
        [("ns", "m"), ("oes", "ao"), ("aes", "ao"), ("ais", "al"), ("eis", "el"), ("ois", "ol"), ("res", "r"), ("zes", "z")];
    for (suffix, with) in rules {
        if token.ends_with(suffix) && len > suffix.len() + 1 {
            chop(token, suffix.len());
            token.push_str(with);
            return;
        }
    }
    if len > 4 && ends(token, "les") {
        chop(token, 2);
    } else {
        chop(token, 1);
    }
}

/// Larkey's light10 Arabic stemmer (as in Lucene's `ArabicStemmer`), on
/// folded words (taa marbuta already `ه`): one prefix of `ال وال بال كال
/// فال لل و`, then each suffix of `ها ان ات ون ين يه ه ي` in turn, each only
/// while two characters stay.
fn arabic_stem(token: &mut String) {
    const PREFIXES: [&str; 7] = ["ال", "وال", "بال", "كال", "فال", "لل", "و"];
    const SUFFIXES: [&str; 8] = ["ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"];
    let chars = |t: &str| t.chars().count();
    for prefix in PREFIXES {
        let need = if chars(prefix) == 1 { 4 } else { chars(prefix) + 2 };
        if let (Some(rest), true) = (token.strip_prefix(prefix), chars(token) >= need) {
            *token = rest.to_owned();
            break;
        }
    }
    for suffix in SUFFIXES {
        if token.ends_with(suffix) && chars(token) >= chars(suffix) + 2 {
            chop(token, suffix.len());
        }
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
