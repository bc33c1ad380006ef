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
        let (&[a, b] | &[a, b, b'-' | b'_', ..]) = tag.as_bytes() else { return Self::Other };
        match [a.to_ascii_lowercase(), b.to_ascii_lowercase()] {
            [b'e', b'n'] => Self::English,
            [b'd', b'e'] => Self::German,
            [b'f', b'r'] => Self::French,
            [b'e', b's'] => Self::Spanish,
            [b'p', b't'] => Self::Portuguese,
            [b'a', b'r'] => Self::Arabic,
            [b'j', b'a'] => Self::Japanese,
            _ => Self::Other,
        }
    }

    /// Whether an apostrophe separates words (French `l'article`) rather
    /// than being dropped inside one (English `don't`).
    pub(super) fn apostrophe_splits(self) -> bool {
        self == Self::French
    }

    /// Whether `ñ` keeps its tilde (Spanish `año` is not `ano`).
    #[cfg(any(test, feature = "toml", feature = "server"))]
    pub(super) fn keeps_enye(self) -> bool {
        self == Self::Spanish
    }

    /// This language's stop words, folded and sorted by byte (the build
    /// drops them, and writes the readers' language's into its index for
    /// the query side).
    #[cfg(any(test, feature = "toml", feature = "server"))]
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
    #[cfg(any(test, feature = "toml", feature = "server"))]
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

#[cfg(any(test, feature = "toml", feature = "server"))]
const GERMAN_STOP: &[&str] = &[
    "am", "an", "auf", "aus", "bei", "bitte", "das", "dass", "dem", "den", "der", "des", "die", "du", "ein", "eine", "einem", "einen",
    "einer", "es", "fur", "ich", "ihr", "ihre", "im", "in", "ist", "kann", "mein", "meine", "mit", "oder", "sie", "sind", "und", "von",
    "was", "wie", "wir", "zu", "zum", "zur",
];
#[cfg(any(test, feature = "toml", feature = "server"))]
const FRENCH_STOP: &[&str] = &[
    "a", "au", "aux", "c", "ce", "d", "dans", "de", "des", "du", "en", "est", "et", "il", "j", "je", "l", "la", "le", "les", "m", "ma",
    "mes", "mon", "n", "ne", "pas", "pour", "qu", "que", "s", "sur", "t", "un", "une", "vos", "votre", "vous",
];
#[cfg(any(test, feature = "toml", feature = "server"))]
const SPANISH_STOP: &[&str] = &[
    "a", "al", "como", "con", "de", "del", "el", "en", "es", "la", "las", "lo", "los", "mi", "mis", "no", "para", "por", "que", "se", "su",
    "sus", "tu", "un", "una", "y",
];
#[cfg(any(test, feature = "toml", feature = "server"))]
const PORTUGUESE_STOP: &[&str] = &[
    "a", "as", "com", "como", "da", "das", "de", "do", "dos", "e", "em", "meu", "minha", "na", "no", "o", "os", "para", "por", "que", "se",
    "seu", "sua", "um", "uma",
];
// Folded: no diacritics, alef forms as ا, ى as ي.
#[cfg(any(test, feature = "toml", feature = "server"))]
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

/// Applies the first of the suffix `rules` that fits `token`; whether one
/// did. The rules are written `{min}{suffix}:{replacement}`, separated by
/// spaces: `5ies:y` turns a word of at least 5 characters ending in `ies`
/// into one ending in `y`. A rule that keeps its suffix (`0ss:ss`) stops
/// the rules after it from applying. (Text, not a table of string slices:
/// it ships smaller in the widget.)
fn apply(token: &mut String, rules: &str) -> bool {
    let chars = token.chars().count();
    for rule in rules.split(' ') {
        let (Some(min), Some((end, with))) = (rule.bytes().next(), rule.get(1..).and_then(|r| r.split_once(':'))) else { continue };
        if chars >= usize::from(min.wrapping_sub(b'0')) && token.ends_with(end) {
            token.truncate(token.len().saturating_sub(end.len()));
            token.push_str(with);
            return true;
        }
    }
    false
}

/// English plurals (see the parent module).
const ENGLISH_RULES: &str = "5ies:y 4sses:ss 4xes:x 5ches:ch 5shes:sh 0ss:ss 0us:us 0is:is 4s:";

/// Savoy's light German stemmer (as in Lucene's `GermanLightStemmer`), on
/// folded words: step 1 drops `ern` (6 or more characters), `em`, `en`,
/// `er`, `es` (5), `e` (4) or an `s` after a letter of `bdfghklmnt` (4);
/// step 2 drops `est` (6), `er`, `en` (5) or `st` after such a letter (5).
fn german_stem(token: &mut String) {
    let s_after = |token: &str, tail: &str, min: usize| {
        let Some(rest) = token.strip_suffix(tail) else { return false };
        // The letters after which Savoy's stemmer drops an `s` or `st`.
        matches!(rest.bytes().last(), Some(b'b' | b'd' | b'f' | b'g' | b'h' | b'k' | b'l' | b'm' | b'n' | b't'))
            && token.chars().count() >= min
    };
    if !apply(token, "6ern: 5em: 5en: 5er: 5es: 4e:") && s_after(token, "s", 4) {
        token.pop();
    }
    if !apply(token, "6est: 5er: 5en:") && s_after(token, "st", 5) {
        token.truncate(token.len().saturating_sub(2));
    }
}

/// Savoy's minimal French stemmer (as in Lucene's `FrenchMinimalStemmer`),
/// on folded words of 6 or more characters: `…aux → …al`, else a final
/// `x` dropped; otherwise a final `s`, then `r`, then `e`, then one of a
/// doubled final letter (`factures → factur`).
fn french_stem(token: &mut String) {
    if token.chars().count() < 6 || apply(token, "0aux:al 0x:") {
        return;
    }
    for rule in ["0s:", "0r:", "0e:"] {
        apply(token, rule);
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
const SPANISH_RULES: &str = "5ces:z 5les:l 5nes:n 5res:r 5des:d 5ses:s 5yes:y 4as:a 4es:e 4is:i 4os:o 4us:u";

/// The plural step of RSLP (Orengo and Huyck, 2001), on folded words of 4
/// or more characters: `ns → m`, then from 5 characters `oes`/`aes → ao`,
/// `ais → al`, `eis → el`, `ois → ol`, `res → r`, `zes → z`, `les → l`,
/// else a final `s` is dropped (not `ss`); words that only look plural
/// ([`PORTUGUESE_KEEP`]) stay.
const PORTUGUESE_RULES: &str = "0ss:ss 4ns:m 5oes:ao 5aes:ao 5ais:al 5eis:el 5ois:ol 5res:r 5zes:z 5les:l 4s:";

/// Portuguese words ending in `s` that are not plurals.
const PORTUGUESE_KEEP: &[&str] = &["atras", "cais", "lapis", "mais", "onibus", "tenis", "virus"];

/// Larkey's light10 Arabic stemmer (as in Lucene's `ArabicStemmer`), on
/// folded words (taa marbuta already `ه`): the first prefix of `ال وال بال
/// كال فال لل و` that leaves two characters (`و` only from four), then each
/// suffix of `ها ان ات ون ين يه ه ي` in turn, each only while two
/// characters stay.
fn arabic_stem(token: &mut String) {
    const PREFIXES: [(&str, usize); 7] = [("ال", 4), ("وال", 5), ("بال", 5), ("كال", 5), ("فال", 5), ("لل", 4), ("و", 4)];
    // Each while two characters stay: from 4 characters for a suffix of two, 3 for one.
    const SUFFIXES: &str = "4ها: 4ان: 4ات: 4ون: 4ين: 4يه: 3ه: 3ي:";
    let chars = token.chars().count();
    if let Some(rest) = PREFIXES.iter().find_map(|&(p, min)| token.strip_prefix(p).filter(|_| chars >= min)) {
        *token = rest.to_owned();
    }
    for rule in SUFFIXES.split(' ') {
        apply(token, rule);
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
