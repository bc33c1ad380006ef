//! Routing: which group a ticket goes to, how urgent it is and how it is
//! tagged, decided from its type, segment, language and wording.
//!
//! Two parts, both pure:
//!
//! 1. **Rules** from `buoy.toml` (`[[routing]]`, see [`RoutingRule`]), checked
//!    once by [`validate_rules`] and applied by [`route`]. A rule matches when
//!    every condition it gives holds; within one condition any listed value
//!    will do. Every matching rule applies, in file order: the first group
//!    set wins, the highest priority set wins (`urgent > high > normal >
//!    low`; a ticket no rule gives a priority starts `normal`), and tags are
//!    added in order without repeats.
//! 2. **The urgency detector**, [`urgency`], which reads the subject and the
//!    message and may then *raise* the priority, never lower it:
//!
//!    | found | priority at least |
//!    |---|---|
//!    | urgent wording and a strongly negative tone | `urgent` |
//!    | urgent wording in an `outage` ticket | `urgent` |
//!    | urgent wording | `high` |
//!    | a strongly negative tone | `high` |
//!
//! # Words
//!
//! Text is split into words at every ASCII character that is not a letter
//! or a digit. An apostrophe (`'`, `’` or `ʼ`) between two word characters
//! belongs to the word, and the three are treated as the same character.
//! Other characters beyond ASCII are word characters (so `café` is one
//! word), except the common punctuation, space and emoji ranges; Arabic
//! and CJK commas, full stops and question marks are clause breaks. Words
//! are compared with ASCII case folding only: `REFUND` matches `refund`,
//! but `RÜCKERSTATTUNG` does not match `rückerstattung` (no Unicode case
//! tables reach the widget). Arabic is compared without diacritics or
//! tatweel and with its alef forms, alef maksura and taa marbuta folded
//! (`فورًا` matches `فورا`); a French word is also compared without an
//! elided `l'`, `d'`, `qu'`… (`d'urgence` matches `urgence`).
//!
//! A keyword or lexicon entry matches **whole words**: `refund` matches
//! "Refund please" and "refund?" but not "refunded" or "refunds"; list every
//! form you want. A phrase (`"credit card"`) matches its words in sequence,
//! whatever separates them except a clause break (`. , ; : ! ?`, a new line,
//! `…`): `"log in"` matches "log-in" and "log  in" but not "log. In". The
//! subject and the message are searched separately; no phrase spans both.
//! Japanese, written without spaces, is the exception: its entries match
//! inside a word (`至急` in `至急対応をお願いします`).
//!
//! # The lexicon
//!
//! [`LEXICONS`] holds one [`Lexicon`] per shipped locale (`en`, `de`, `fr`,
//! `es`, `pt-BR`, `ja`, `ar`). Every text is read with all of them, since a
//! ticket's locale may be missing or not the language it is written in; a
//! word spelt alike in two languages is listed once, so it counts once.
//!
//! # Urgent wording
//!
//! Each lexicon's `urgent` list holds the words and phrases that make a
//! ticket urgent; English's: "urgent", "urgently", "asap", "immediately",
//! "emergency", "critical", "outage", "is down", "are down", "went down",
//! "cannot log in", "can't log in", "cannot sign in", "can't sign in",
//! "locked out", "data loss", "security breach", "hacked", "production",
//! "right now"; German's "dringend", "sofort", "kann mich nicht anmelden",
//! and so on. Bare "down" is not in the list: "scroll down" and "drop-down
//! menu" are not emergencies. An entry does not count when an urgency
//! negator of any lexicon (English's "not", "no", "isn't", "aren't",
//! "wasn't", "nothing"; German's "nicht", "kein"…; French's "pas"…) stands
//! at most [`NEGATION_WINDOW`] words before it in the same clause: "this is
//! not urgent", "no emergency", "nicht dringend", "ce n'est pas urgent"; a
//! Japanese entry does not count when a negation follows it (`緊急ではない`).
//! "Cannot" and "doesn't" are deliberately not negators here: "cannot
//! reach production" is urgent.
//!
//! # Tone
//!
//! The negative score adds up, for every occurrence:
//!
//! - the weight of each `negative` entry (English's, 3: "furious",
//!   "unacceptable", "lawyer", "lawsuit", "scam"; 2: "angry", "terrible",
//!   "horrible", "awful", "worst", "frustrated", "frustrating", "ridiculous",
//!   "useless", "pathetic", "fed up"; 1: "disappointed", "annoyed", "bad",
//!   "cancel"; the other languages' alike), unless negated ("not bad", "I'm
//!   not angry");
//! - the weight of each `negated_positive` entry when negated ("not happy"
//!   2, "not satisfied" 2, "not acceptable" 3, "not ok" 1, "not okay" 1,
//!   "not good" 1, "not helpful" 1, "nicht zufrieden" 2, "غير مقبول" 3…);
//!   un-negated, they count nothing (praise does not cancel anger);
//!
//! where a word is negated when a `negators` entry of any lexicon stands at
//! most [`NEGATION_WINDOW`] (2) words before it in the same clause ("not
//! very happy" is negated, "No. I am furious" is not). Then, once each:
//!
//! - [`SHOUTING_WEIGHT`] (2) for shouting: a run of at least
//!   [`SHOUTING_RUN`] (3) words in capitals with at least
//!   [`SHOUTING_MIN_LETTERS`] (3) letters each ("THIS IS NOT WORKING"). Short
//!   words in capitals ("IS", "I") and words without letters ("500") neither
//!   count nor break a run; a word with a lowercase letter breaks it;
//! - [`EXCLAMATION_WEIGHT`] (1) for two or more exclamation marks in a row
//!   (`!!`).
//!
//! A score of [`STRONGLY_NEGATIVE`] (4) or more is a strongly negative tone:
//! "furious" with "!!", "terrible, worst support", or shouting with "angry".
//!
//! ```
//! use buoy_shared::routing::{route, Actions, Conditions, RoutingInput, RoutingRule};
//! use buoy_shared::ticket::{Priority, Segment, TicketType};
//!
//! let rules = [RoutingRule {
//!     name: "billing to finance".into(),
//!     when: Conditions { kind: vec![TicketType::BILLING], ..Default::default() },
//!     then: Actions { group: Some("finance".into()), tags: vec!["billing".into()], ..Default::default() },
//! }];
//! let input = RoutingInput {
//!     kind: TicketType::BILLING,
//!     segment: Segment::Business,
//!     locale: Some("de-CH"),
//!     subject: "Charged twice",
//!     message: "Please refund ASAP.",
//!     fields: &Default::default(),
//! };
//! let routed = route(&rules, &input);
//! assert_eq!(routed.group.as_deref(), Some("finance"));
//! assert_eq!(routed.priority, Priority::High);
//! assert_eq!(
//!     routed.reasons,
//!     [r#"rule "billing to finance" matched"#, r#"urgent wording: "asap""#, "priority raised to high: urgent wording"],
//! );
//! ```

use crate::ticket::TicketType;
use crate::vocab::{Priority, Segment};
use core::fmt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest keyword, tag or group name, in characters.
pub const MAX_LABEL: usize = 64;

/// One language's urgency and tone words (lowercase; matched as whole
/// words, ignoring ASCII case, with apostrophes normalised; Japanese
/// entries inside words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lexicon {
    /// The locale it is written for.
    pub locale: &'static str,
    /// Words and phrases that make a ticket urgent.
    pub urgent: &'static [&'static str],
    /// Words that cancel a following urgent entry ("not urgent").
    pub urgency_negators: &'static [&'static str],
    /// Negative words and phrases with their weights; each occurrence that
    /// is not negated adds its weight to the negative score.
    pub negative: &'static [(&'static str, i32)],
    /// Positive words that count as negative, with these weights, when
    /// negated ("not happy"); un-negated they count nothing.
    pub negated_positive: &'static [(&'static str, i32)],
    /// Words that negate a following tone word ("not bad", "not happy").
    pub negators: &'static [&'static str],
}

/// The lexicon of every shipped locale. A text is read with all of them,
/// whatever its ticket's locale (which may be missing or wrong), and a
/// negator of any of them negates any entry ("pas urgent" with English's
/// "urgent"). A word spelt the same in two languages is listed once.
pub const LEXICONS: [Lexicon; 7] = [ENGLISH, GERMAN, FRENCH, SPANISH, PORTUGUESE, JAPANESE, ARABIC];

/// `en`.
pub const ENGLISH: Lexicon = Lexicon {
    locale: "en",
    urgent: &[
        "urgent",
        "urgently",
        "asap",
        "immediately",
        "emergency",
        "critical",
        "outage",
        "is down",
        "are down",
        "went down",
        "cannot log in",
        "can't log in",
        "cannot sign in",
        "can't sign in",
        "locked out",
        "data loss",
        "security breach",
        "hacked",
        "production",
        "right now",
    ],
    urgency_negators: &["not", "no", "isn't", "aren't", "wasn't", "nothing"],
    negative: &[
        ("furious", 3),
        ("unacceptable", 3),
        ("lawyer", 3),
        ("lawsuit", 3),
        ("scam", 3),
        ("angry", 2),
        ("terrible", 2),
        ("horrible", 2),
        ("awful", 2),
        ("worst", 2),
        ("frustrated", 2),
        ("frustrating", 2),
        ("ridiculous", 2),
        ("useless", 2),
        ("pathetic", 2),
        ("fed up", 2),
        ("disappointed", 1),
        ("annoyed", 1),
        ("bad", 1),
        ("cancel", 1),
    ],
    negated_positive: &[("happy", 2), ("satisfied", 2), ("acceptable", 3), ("ok", 1), ("okay", 1), ("good", 1), ("helpful", 1)],
    negators: &["not", "no", "don't", "doesn't", "didn't", "isn't", "wasn't", "aren't", "weren't", "won't", "wouldn't", "hardly"],
};

/// `de`.
pub const GERMAN: Lexicon = Lexicon {
    locale: "de",
    urgent: &[
        "dringend",
        "sofort",
        "notfall",
        "kritisch",
        "ausfall",
        "störung",
        "ist ausgefallen",
        "nicht erreichbar",
        "kann mich nicht anmelden",
        "kann mich nicht einloggen",
        "ausgesperrt",
        "datenverlust",
        "sicherheitslücke",
        "gehackt",
        "produktion",
        "so schnell wie möglich",
    ],
    urgency_negators: &["nicht", "kein", "keine", "nichts"],
    negative: &[
        ("wütend", 3),
        ("inakzeptabel", 3),
        ("unverschämt", 3),
        ("anwalt", 3),
        ("betrug", 3),
        ("verärgert", 2),
        ("schrecklich", 2),
        ("furchtbar", 2),
        ("katastrophal", 2),
        ("frustriert", 2),
        ("frustrierend", 2),
        ("lächerlich", 2),
        ("nutzlos", 2),
        ("enttäuscht", 1),
        ("genervt", 1),
        ("schlecht", 1),
        ("kündigen", 1),
    ],
    negated_positive: &[("zufrieden", 2), ("akzeptabel", 3), ("gut", 1), ("hilfreich", 1)],
    negators: &["nicht", "kein", "keine", "keinen", "kaum"],
};

/// `fr`. ("urgent", "production", "terrible", "horrible" and "acceptable"
/// are English's entries too, so they are listed there only, and
/// "urgente" is Spanish's.)
pub const FRENCH: Lexicon = Lexicon {
    locale: "fr",
    urgent: &[
        "urgence",
        "immédiatement",
        "critique",
        "panne",
        "hors service",
        "impossible de me connecter",
        "je ne peux pas me connecter",
        "compte bloqué",
        "perte de données",
        "faille de sécurité",
        "piraté",
        "tout de suite",
        "au plus vite",
        "dès que possible",
    ],
    urgency_negators: &["pas", "aucune", "aucun", "rien"],
    negative: &[
        ("furieux", 3),
        ("furieuse", 3),
        ("inacceptable", 3),
        ("avocat", 3),
        ("arnaque", 3),
        ("en colère", 2),
        ("lamentable", 2),
        ("ridicule", 2),
        ("inutile", 2),
        ("frustrant", 2),
        ("frustré", 2),
        ("déçu", 1),
        ("déçue", 1),
        ("agacé", 1),
        ("mauvais", 1),
        ("résilier", 1),
    ],
    negated_positive: &[("satisfait", 2), ("satisfaite", 2), ("bon", 1), ("utile", 1)],
    negators: &["pas", "jamais", "guère"],
};

/// `es`. (Words spelt the same in Portuguese, such as "urgente",
/// "crítico", "hackeado", "furioso", "inútil" or "cancelar", and in French,
/// "fraude", are listed here only.)
pub const SPANISH: Lexicon = Lexicon {
    locale: "es",
    urgent: &[
        "urgente",
        "urgentemente",
        "inmediatamente",
        "emergencia",
        "crítico",
        "caído",
        "se cayó",
        "no puedo iniciar sesión",
        "no puedo entrar",
        "cuenta bloqueada",
        "pérdida de datos",
        "brecha de seguridad",
        "hackeado",
        "producción",
        "ahora mismo",
        "lo antes posible",
    ],
    urgency_negators: &["no", "nada", "ningún", "ninguna"],
    negative: &[
        ("furioso", 3),
        ("furiosa", 3),
        ("inaceptable", 3),
        ("abogado", 3),
        ("estafa", 3),
        ("fraude", 3),
        ("enfadado", 2),
        ("enojado", 2),
        ("irritado", 2),
        ("pésimo", 2),
        ("frustrado", 2),
        ("frustrante", 2),
        ("ridículo", 2),
        ("inútil", 2),
        ("decepcionado", 1),
        ("molesto", 1),
        ("malo", 1),
        ("cancelar", 1),
    ],
    negated_positive: &[("contento", 2), ("satisfecho", 2), ("aceptable", 3), ("útil", 1)],
    negators: &["no", "nunca", "apenas"],
};

/// `pt-BR`. (Words spelt as in Spanish are listed there only.)
pub const PORTUGUESE: Lexicon = Lexicon {
    locale: "pt-BR",
    urgent: &[
        "imediatamente",
        "emergência",
        "fora do ar",
        "caiu",
        "não consigo entrar",
        "não consigo fazer login",
        "conta bloqueada",
        "perda de dados",
        "violação de segurança",
        "invadido",
        "produção",
        "agora mesmo",
        "o quanto antes",
    ],
    urgency_negators: &["não", "nada", "nenhum", "nenhuma"],
    negative: &[
        ("inaceitável", 3),
        ("advogado", 3),
        ("golpe", 3),
        ("irritada", 2),
        ("péssimo", 2),
        ("horrível", 2),
        ("ridícula", 2),
        ("decepcionada", 1),
        ("chateado", 1),
        ("chateada", 1),
        ("ruim", 1),
    ],
    negated_positive: &[("satisfeito", 2), ("satisfeita", 2), ("aceitável", 3), ("bom", 1)],
    negators: &["não", "nunca"],
};

/// `ja`: entries match inside words (Japanese has no spaces); an urgent
/// entry followed by a negation (`緊急ではない`) does not count.
pub const JAPANESE: Lexicon = Lexicon {
    locale: "ja",
    urgent: &[
        "緊急",
        "至急",
        "今すぐ",
        "すぐに",
        "障害",
        "停止",
        "ダウン",
        "ログインできない",
        "ログインできません",
        "サインインできない",
        "サインインできません",
        "アクセスできない",
        "データが消え",
        "データ消失",
        "不正アクセス",
        "乗っ取られ",
        "本番環境",
    ],
    urgency_negators: &[],
    negative: &[
        ("激怒", 3),
        ("許せない", 3),
        ("弁護士", 3),
        ("詐欺", 3),
        ("最悪", 2),
        ("ひどい", 2),
        ("酷い", 2),
        ("腹が立つ", 2),
        ("イライラ", 2),
        ("役に立たない", 2),
        ("納得できない", 2),
        ("満足していない", 2),
        ("がっかり", 1),
        ("不満", 1),
        ("解約", 1),
    ],
    negated_positive: &[],
    negators: &[],
};

/// `ar`: compared without diacritics or tatweel, with the alef forms,
/// alef maksura and taa marbuta folded (`فورًا` is `فورا`).
pub const ARABIC: Lexicon = Lexicon {
    locale: "ar",
    urgent: &[
        "عاجل",
        "عاجلة",
        "طارئ",
        "طارئة",
        "فورا",
        "حالا",
        "متوقف",
        "معطل",
        "انقطاع",
        "لا أستطيع تسجيل الدخول",
        "لا يمكنني تسجيل الدخول",
        "حسابي مقفل",
        "فقدان البيانات",
        "اختراق",
        "مخترق",
        "بيئة الإنتاج",
        "في أسرع وقت",
    ],
    urgency_negators: &["ليس", "ليست", "غير", "لا"],
    negative: &[
        ("محامي", 3),
        ("احتيال", 3),
        ("غاضب", 2),
        ("غاضبة", 2),
        ("فظيع", 2),
        ("مريع", 2),
        ("محبط", 2),
        ("سخيف", 2),
        ("عديم الفائدة", 2),
        ("أسوأ", 2),
        ("سيئ", 1),
        ("سيء", 1),
        ("مستاء", 1),
        ("منزعج", 1),
        ("إلغاء", 1),
    ],
    negated_positive: &[("راض", 2), ("راضي", 2), ("راضية", 2), ("مقبول", 3), ("مقبولة", 3), ("جيد", 1), ("مفيد", 1)],
    negators: &["لا", "ليس", "ليست", "غير", "لم", "لست"],
};

/// After a Japanese urgent entry, what negates it (`緊急ではない`, "not urgent").
const JAPANESE_NEGATIONS: [&str; 4] = ["ではない", "ではありません", "じゃない", "じゃありません"];

/// How many words before a tone or urgent word a negator may stand, within
/// the same clause ("not very happy").
pub const NEGATION_WINDOW: usize = 2;

/// Added once when the text shouts (see [`SHOUTING_RUN`]).
pub const SHOUTING_WEIGHT: i32 = 2;

/// How many words in capitals in a row make shouting.
pub const SHOUTING_RUN: usize = 3;

/// How many capital letters a word needs to count towards shouting.
pub const SHOUTING_MIN_LETTERS: usize = 3;

/// Added once when the text has two or more exclamation marks in a row.
pub const EXCLAMATION_WEIGHT: i32 = 1;

/// The negative score from which the tone is strongly negative.
pub const STRONGLY_NEGATIVE: i32 = 4;

/// One `[[routing]]` table of `buoy.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    /// Unique; named in reasons and errors.
    pub name: String,
    /// When the rule applies: every condition given must hold.
    #[serde(default)]
    pub when: Conditions,
    /// What the rule does to a matching ticket.
    #[serde(default)]
    pub then: Actions,
}

/// The conditions of a rule (`when.*`). An empty list is no condition; each
/// non-empty list must hold (AND), by any one of its values (OR).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// `when.type`: the ticket's type is one of these.
    #[serde(rename = "type", default, skip_serializing_if = "Vec::is_empty")]
    pub kind: Vec<TicketType>,
    /// `when.segment`: the requester's segment is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment: Vec<Segment>,
    /// `when.language`: the primary subtag of the requester's locale is one
    /// of these, ignoring ASCII case (`de` matches `de-CH` and `DE`). A
    /// ticket without a locale matches no language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub language: Vec<String>,
    /// `when.keywords`: one of these words or phrases occurs, as whole
    /// words and ignoring ASCII case, in the subject or the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// `when.fields`: for each custom field named, the ticket's value is
    /// one of these (`{ plan = ["enterprise"] }`; a checkbox's values are
    /// `"true"` and `"false"`). A ticket without the field matches none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Vec<String>>,
}

impl Conditions {
    /// Whether no condition is given (such a rule would match every ticket).
    pub fn is_empty(&self) -> bool {
        self.kind.is_empty() && self.segment.is_empty() && self.language.is_empty() && self.keywords.is_empty() && self.fields.is_empty()
    }
}

/// What a matching rule does (`then.*`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    /// `then.group`: the group to assign, unless an earlier matching rule set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `then.priority`: the priority to set; the highest set by any matching rule wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// `then.tags`: tags to add (lowercase slugs), without repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Actions {
    /// Whether the rule would do nothing.
    pub fn is_empty(&self) -> bool {
        self.group.is_none() && self.priority.is_none() && self.tags.is_empty()
    }
}

/// What is wrong with the routing rules, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingError {
    /// The field, as a path such as `routing[2].then.tags[0]`.
    pub field: String,
    /// What is expected there.
    pub message: String,
}

impl fmt::Display for RoutingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for RoutingError {}

/// Checks what the types alone cannot: names present and unique, at least
/// one condition and one action per rule, well-formed languages, keywords,
/// group names and tags.
///
/// # Errors
/// A [`RoutingError`] naming the first faulty field, such as
/// `routing[2].then.tags[0]`, and what is expected there.
pub fn validate_rules(rules: &[RoutingRule]) -> Result<(), RoutingError> {
    let fail = |field: String, message: String| Err(RoutingError { field, message });
    for (i, rule) in rules.iter().enumerate() {
        let at = format!("routing[{i}]");
        let name = rule.name.trim();
        if name.is_empty() {
            return fail(format!("{at}.name"), "must not be empty".into());
        }
        if let Some(j) = rules.iter().take(i).position(|other| other.name.trim() == name) {
            return fail(format!("{at}.name"), format!("routing[{j}] already has this name; names must be unique"));
        }
        let when = &rule.when;
        if when.is_empty() {
            return fail(
                format!("{at}.when"),
                "give at least one condition (when.type, when.segment, when.language, when.keywords or when.fields); \
                 a rule without conditions would match every ticket"
                    .into(),
            );
        }
        for (k, language) in when.language.iter().enumerate() {
            if !(2..=3).contains(&language.len()) || !language.bytes().all(|c| c.is_ascii_alphabetic()) {
                return fail(format!("{at}.when.language[{k}]"), "expected a language code of 2-3 ASCII letters, such as \"de\"".into());
            }
        }
        for (k, keyword) in when.keywords.iter().enumerate() {
            if words(keyword).next().is_none() {
                return fail(format!("{at}.when.keywords[{k}]"), "must contain a word (letters or digits)".into());
            }
            if keyword.chars().count() > MAX_LABEL {
                return fail(format!("{at}.when.keywords[{k}]"), format!("at most {MAX_LABEL} characters"));
            }
        }
        for (id, values) in &when.fields {
            if !crate::fields::is_id(id) {
                return fail(format!("{at}.when.fields.{id}"), "expected the id of a custom field, a slug such as plan".into());
            }
            if values.is_empty() {
                return fail(format!("{at}.when.fields.{id}"), "list at least one value, such as [\"enterprise\"]".into());
            }
        }
        let then = &rule.then;
        if then.is_empty() {
            return fail(format!("{at}.then"), "set at least one of then.group, then.priority or then.tags".into());
        }
        if let Some(group) = &then.group {
            if group.trim().is_empty() {
                return fail(format!("{at}.then.group"), "must not be empty".into());
            }
            if group.chars().count() > MAX_LABEL {
                return fail(format!("{at}.then.group"), format!("at most {MAX_LABEL} characters"));
            }
        }
        for (k, tag) in then.tags.iter().enumerate() {
            if !is_tag(tag) {
                return fail(
                    format!("{at}.then.tags[{k}]"),
                    format!("expected a lowercase slug of 1-{MAX_LABEL} characters: a-z, 0-9, '-' or '_'"),
                );
            }
        }
    }
    Ok(())
}

/// Whether `tag` is a lowercase slug: 1–[`MAX_LABEL`] of `a-z`, `0-9`, `-`, `_`.
pub fn is_tag(tag: &str) -> bool {
    (1..=MAX_LABEL).contains(&tag.len()) && tag.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
}

/// What [`route`] looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingInput<'a> {
    /// The ticket's type.
    pub kind: TicketType,
    /// The requester's segment.
    pub segment: Segment,
    /// The requester's locale, a BCP 47 tag such as `de-CH`, if known.
    pub locale: Option<&'a str>,
    /// The ticket's subject.
    pub subject: &'a str,
    /// The ticket's message.
    pub message: &'a str,
    /// The ticket's custom field values, by id (as checked).
    pub fields: &'a crate::vocab::Pairs,
}

/// What [`route`] decided, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Routed {
    /// The group set by the first matching rule that sets one.
    pub group: Option<String>,
    /// The priority: the highest set by the rules (else `normal`), then
    /// perhaps raised by the urgency detector.
    pub priority: Priority,
    /// The tags of every matching rule, in rule order, without repeats.
    pub tags: Vec<String>,
    /// Each decision in plain English, for agents, such as
    /// `rule "billing to finance" matched` or `urgent wording: "outage", "asap"`.
    pub reasons: Vec<String>,
}

/// What the urgency detector found in a text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Urgency {
    /// The urgent entries of the [`LEXICONS`] found, in order of first appearance, once each.
    pub urgent_words: Vec<&'static str>,
    /// How negative the tone is; [`STRONGLY_NEGATIVE`] or more is strongly negative.
    pub negative_score: i32,
}

impl Urgency {
    /// Whether any urgent wording was found.
    pub fn is_urgent(&self) -> bool {
        !self.urgent_words.is_empty()
    }

    /// Whether the tone is strongly negative.
    pub fn is_strongly_negative(&self) -> bool {
        self.negative_score >= STRONGLY_NEGATIVE
    }
}

/// Routes a ticket: applies every matching rule in order, then lets the
/// urgency detector raise the priority (see the module docs). The detector
/// reads the subject and the message as [`urgency`] reads them joined by a
/// new line. Run [`validate_rules`] first: a rule without conditions
/// matches every ticket.
pub fn route(rules: &[RoutingRule], input: &RoutingInput<'_>) -> Routed {
    let mut tokens: Vec<Word<'_>> = words(input.subject).map(Word::read).collect();
    let message_start = tokens.len();
    tokens.extend(words(input.message).map(Word::read));
    if let Some(first) = tokens.get_mut(message_start) {
        first.break_before = true;
    }

    let mut group = None;
    let mut rule_priority: Option<Priority> = None;
    let mut tags: Vec<String> = Vec::new();
    let mut reasons = Vec::new();
    for rule in rules.iter().filter(|rule| rule_matches(&rule.when, input, &tokens)) {
        reasons.push(format!("rule \"{}\" matched", rule.name));
        if group.is_none() {
            group.clone_from(&rule.then.group);
        }
        if let Some(p) = rule.then.priority {
            rule_priority = Some(rule_priority.map_or(p, |q| higher(p, q)));
        }
        for tag in &rule.then.tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
    }

    let mut priority = rule_priority.unwrap_or(Priority::Normal);
    let found = detect(&tokens, input.subject.contains("!!") || input.message.contains("!!"));
    if found.is_urgent() {
        let quoted: Vec<String> = found.urgent_words.iter().map(|w| format!("\"{w}\"")).collect();
        reasons.push(format!("urgent wording: {}", quoted.join(", ")));
    }
    if found.is_strongly_negative() {
        reasons.push(format!("strongly negative tone (score {})", found.negative_score));
    }
    let (floor, why) = match (found.is_urgent(), found.is_strongly_negative()) {
        (true, true) => (Some(Priority::Urgent), "urgent wording with a strongly negative tone"),
        (true, false) if input.kind == TicketType::OUTAGE => (Some(Priority::Urgent), "urgent wording in an outage ticket"),
        (true, false) => (Some(Priority::High), "urgent wording"),
        (false, true) => (Some(Priority::High), "strongly negative tone"),
        (false, false) => (None, ""),
    };
    if let Some(floor) = floor {
        if rank(floor) > rank(priority) {
            priority = floor;
            reasons.push(format!("priority raised to {floor}: {why}"));
        }
    }
    Routed { group, priority, tags, reasons }
}

/// Reads a text for urgent wording and a negative tone (see the module docs
/// for the lexicon and the weights).
pub fn urgency(text: &str) -> Urgency {
    let tokens: Vec<Word<'_>> = words(text).map(Word::read).collect();
    detect(&tokens, text.contains("!!"))
}

/// Reads the words for every lexicon entry. Only the entries whose first
/// word is the word at hand (or, for Japanese, any entry at a word beyond
/// ASCII) are tried there, in the lexicons' order, so the urgent words
/// are found in the order a full scan finds them.
fn detect(tokens: &[Word<'_>], exclamations: bool) -> Urgency {
    let scan = Scan::get();
    let mut found = Urgency::default();
    let mut candidates: Vec<usize> = Vec::new();
    for (at, token) in tokens.iter().enumerate() {
        candidates.clear();
        for key in core::iter::once(&token.folded).chain(&token.unelided) {
            candidates.extend(scan.by_first_word.get(key.as_str()).into_iter().flatten());
        }
        if !token.ascii {
            candidates.extend(&scan.inside_words);
        }
        candidates.sort_unstable();
        candidates.dedup();
        for entry in candidates.iter().filter_map(|&i| scan.entries.get(i)) {
            match entry.role {
                Role::Urgent => {
                    if urgent_at(tokens, at, entry, scan) && !found.urgent_words.contains(&entry.text) {
                        found.urgent_words.push(entry.text);
                    }
                }
                Role::Negative(weight) => {
                    if phrase_at(tokens, at, &entry.phrase) && !negated(tokens, at, &scan.negators) {
                        found.negative_score += weight;
                    }
                }
                Role::NegatedPositive(weight) => {
                    if phrase_at(tokens, at, &entry.phrase) && negated(tokens, at, &scan.negators) {
                        found.negative_score += weight;
                    }
                }
            }
        }
    }
    if shouts(tokens) {
        found.negative_score += SHOUTING_WEIGHT;
    }
    if exclamations {
        found.negative_score += EXCLAMATION_WEIGHT;
    }
    found
}

/// What a lexicon entry counts as.
#[derive(Clone, Copy, Debug)]
enum Role {
    Urgent,
    Negative(i32),
    NegatedPositive(i32),
}

/// A lexicon entry, its words folded once.
#[derive(Debug)]
struct Entry {
    text: &'static str,
    role: Role,
    phrase: Phrase<'static>,
}

/// Every lexicon, folded once per instance (a worker isolate keeps it
/// across requests), and indexed by each entry's first word.
#[derive(Debug)]
struct Scan {
    /// Every entry, lexicon by lexicon: urgent, negative, negated positive.
    entries: Vec<Entry>,
    /// The entries (indices into `entries`, ascending) by first folded word.
    by_first_word: std::collections::BTreeMap<String, Vec<usize>>,
    /// The entries matched inside a word (Japanese), ascending.
    inside_words: Vec<usize>,
    /// Every lexicon's `negators`, folded.
    negators: Vec<String>,
    /// Every lexicon's `urgency_negators`, folded.
    urgency_negators: Vec<String>,
}

impl Scan {
    fn get() -> &'static Self {
        static SCAN: std::sync::OnceLock<Scan> = std::sync::OnceLock::new();
        SCAN.get_or_init(Self::new)
    }

    fn new() -> Self {
        let mut entries = Vec::new();
        for lexicon in &LEXICONS {
            entries.extend(lexicon.urgent.iter().map(|&text| (text, Role::Urgent)));
            entries.extend(lexicon.negative.iter().map(|&(text, weight)| (text, Role::Negative(weight))));
            entries.extend(lexicon.negated_positive.iter().map(|&(text, weight)| (text, Role::NegatedPositive(weight))));
        }
        let entries: Vec<Entry> = entries.into_iter().map(|(text, role)| Entry { text, role, phrase: Phrase::of(text) }).collect();
        let mut by_first_word: std::collections::BTreeMap<String, Vec<usize>> = std::collections::BTreeMap::new();
        let mut inside_words = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            match &entry.phrase {
                Phrase::Inside(_) => inside_words.push(i),
                Phrase::Words(words) => {
                    if let Some(first) = words.first() {
                        by_first_word.entry(first.clone()).or_default().push(i);
                    }
                }
            }
        }
        let folded =
            |list: fn(&Lexicon) -> &'static [&'static str]| LEXICONS.iter().flat_map(|l| list(l).iter().map(|n| fold(n))).collect();
        Self { entries, by_first_word, inside_words, negators: folded(|l| l.negators), urgency_negators: folded(|l| l.urgency_negators) }
    }
}

fn rule_matches(when: &Conditions, input: &RoutingInput<'_>, tokens: &[Word<'_>]) -> bool {
    let language = input.locale.map(primary_language).filter(|l| !l.is_empty());
    (when.kind.is_empty() || when.kind.contains(&input.kind))
        && (when.segment.is_empty() || when.segment.contains(&input.segment))
        && (when.language.is_empty() || language.is_some_and(|l| when.language.iter().any(|w| w.trim().eq_ignore_ascii_case(l))))
        && (when.keywords.is_empty()
            || when.keywords.iter().any(|k| {
                let keyword = Phrase::of(k);
                (0..tokens.len()).any(|at| phrase_at(tokens, at, &keyword))
            }))
        && when.fields.iter().all(|(id, values)| input.fields.get(id).is_some_and(|v| values.contains(v)))
}

/// The primary language subtag of a locale: `de` for `de-CH` or `de_CH`.
fn primary_language(locale: &str) -> &str {
    locale.trim().split(['-', '_']).next().unwrap_or_default()
}

/// Orders priorities by urgency (`Priority`'s own order is declaration order,
/// most urgent first).
const fn rank(priority: Priority) -> u8 {
    match priority {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
    }
}

fn higher(a: Priority, b: Priority) -> Priority {
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// A word of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Token<'a> {
    /// The word as written, apostrophes included.
    text: &'a str,
    /// Whether a clause break (`. , ; : ! ?`, new line, `…`) stands between
    /// this word and the one before.
    break_before: bool,
}

/// A word of a text as it is compared, folded once (see [`fold`]).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Word<'a> {
    /// The word as written (Japanese entries are searched inside it).
    text: &'a str,
    /// The word folded.
    folded: String,
    /// The word without its elided article or pronoun, folded, when it has one (see [`elided`]).
    unelided: Option<String>,
    /// Whether the word is all ASCII (no Japanese entry is inside it).
    ascii: bool,
    /// Whether a clause break stands between this word and the one before.
    break_before: bool,
}

impl<'a> Word<'a> {
    fn read(token: Token<'a>) -> Self {
        let bare = elided(token.text);
        Word {
            text: token.text,
            folded: fold(token.text),
            unelided: (bare.len() != token.text.len()).then(|| fold(bare)),
            ascii: token.text.is_ascii(),
            break_before: token.break_before,
        }
    }

    /// Whether this word is `folded` (a folded word), with or without its elided article.
    fn is(&self, folded: &str) -> bool {
        self.folded == folded || self.unelided.as_deref() == Some(folded)
    }
}

/// An entry or keyword as it is looked for: its words folded, or, for
/// Japanese, the entry as written, found inside a word.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phrase<'a> {
    Inside(&'a str),
    Words(Vec<String>),
}

impl<'a> Phrase<'a> {
    fn of(entry: &'a str) -> Self {
        if is_japanese(entry) {
            Phrase::Inside(entry)
        } else {
            Phrase::Words(words(entry).map(|w| fold(w.text)).collect())
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    Apostrophe,
    Break,
    Space,
}

fn class(c: char) -> Class {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => Class::Word,
        '\'' | '\u{2019}' | '\u{02BC}' => Class::Apostrophe,
        '.' | ',' | ';' | ':' | '!' | '?' | '\n' | '\u{2026}' | '\u{00A1}' | '\u{00BF}' => Class::Break,
        // Arabic comma, semicolon, question mark and full stop; the ideographic comma and full stop, full-width `! , ? ;`.
        '\u{60C}' | '\u{61B}' | '\u{61F}' | '\u{6D4}' | '\u{3001}' | '\u{3002}' | '\u{FF01}' | '\u{FF0C}' | '\u{FF1F}' | '\u{FF1B}' => {
            Class::Break
        }
        // The rest of ASCII; Latin-1 punctuation and spaces; general punctuation
        // (dashes, quotes, spaces); CJK punctuation; BOM and variation selectors;
        // symbols and emoji.
        '\0'..='\u{7F}'
        | '\u{80}'..='\u{BF}'
        | '\u{D7}'
        | '\u{F7}'
        | '\u{2000}'..='\u{206F}'
        | '\u{2190}'..='\u{2BFF}'
        | '\u{3000}'..='\u{303F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{1F000}'..='\u{1FAFF}' => Class::Space,
        _ => Class::Word,
    }
}

/// The words of `text`, without allocating.
fn words(text: &str) -> Words<'_> {
    Words { text, pos: 0 }
}

struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let rest = self.text.get(self.pos..)?;
        let mut break_before = false;
        let mut chars = rest.char_indices().peekable();
        let start = loop {
            let (i, c) = chars.next()?;
            match class(c) {
                Class::Word => break i,
                Class::Break => break_before = true,
                Class::Apostrophe | Class::Space => {}
            }
        };
        let mut end = rest.len();
        while let Some((i, c)) = chars.next() {
            match class(c) {
                Class::Word => {}
                Class::Apostrophe if chars.peek().is_some_and(|&(_, next)| class(next) == Class::Word) => {}
                _ => {
                    end = i;
                    break;
                }
            }
        }
        let text = rest.get(start..end)?;
        self.pos += end;
        Some(Token { text, break_before })
    }
}

/// A character as words are compared: ASCII lowercase, one apostrophe,
/// Arabic without diacritics or tatweel (none) and with its alef forms,
/// alef maksura and taa marbuta folded.
fn compared(c: char) -> Option<char> {
    Some(match c {
        '\u{640}' | '\u{64B}'..='\u{652}' | '\u{670}' => return None,
        '\u{622}' | '\u{623}' | '\u{625}' | '\u{671}' => '\u{627}',
        '\u{649}' => '\u{64A}',
        '\u{629}' => '\u{647}',
        c if class(c) == Class::Apostrophe => '\'',
        c => c.to_ascii_lowercase(),
    })
}

/// A word as words are compared: two words are the same when they fold
/// alike, ignoring ASCII case, the kind of apostrophe and Arabic
/// diacritics and letter forms (see [`compared`]).
fn fold(word: &str) -> String {
    word.chars().filter_map(compared).collect()
}

/// A French word without its elided article or pronoun (`l'`, `d'`,
/// `qu'`…): `d'urgence` is `urgence`.
fn elided(word: &str) -> &str {
    let Some((head, rest)) = word.split_once(|c| class(c) == Class::Apostrophe) else { return word };
    let elides = ["c", "d", "j", "l", "m", "n", "qu", "s", "t"].iter().any(|e| head.eq_ignore_ascii_case(e));
    if elides && !rest.is_empty() {
        rest
    } else {
        word
    }
}

/// Whether an entry is Japanese, matched inside words (the language has no spaces).
fn is_japanese(entry: &str) -> bool {
    entry.chars().next().is_some_and(|c| ('\u{3040}'..='\u{9FFF}').contains(&c))
}

/// Whether the words of `phrase` (at least one) stand at `at` in `tokens`,
/// with no clause break between them; a Japanese entry, inside the word at
/// `at` (never inside an ASCII word, as it starts beyond ASCII).
fn phrase_at(tokens: &[Word<'_>], at: usize, phrase: &Phrase<'_>) -> bool {
    match phrase {
        Phrase::Inside(entry) => tokens.get(at).is_some_and(|t| !t.ascii && t.text.contains(entry)),
        Phrase::Words(words) => {
            !words.is_empty()
                && words.iter().enumerate().all(|(i, word)| tokens.get(at + i).is_some_and(|t| t.is(word) && (i == 0 || !t.break_before)))
        }
    }
}

/// Whether the urgent `entry` stands at `at`, not negated: by an urgency
/// negator before it, or for Japanese, by a negation right after it.
fn urgent_at(tokens: &[Word<'_>], at: usize, entry: &Entry, scan: &Scan) -> bool {
    if let Phrase::Inside(inside) = entry.phrase {
        let Some(token) = tokens.get(at).filter(|t| !t.ascii) else { return false };
        return token.text.match_indices(inside).any(|(i, _)| {
            let after = token.text.get(i + inside.len()..).unwrap_or_default();
            !JAPANESE_NEGATIONS.iter().any(|n| after.starts_with(n))
        });
    }
    phrase_at(tokens, at, &entry.phrase) && !negated(tokens, at, &scan.urgency_negators)
}

/// Whether one of `negators` (folded) stands at most [`NEGATION_WINDOW`]
/// words before `at`, in the same clause.
fn negated(tokens: &[Word<'_>], at: usize, negators: &[String]) -> bool {
    let mut k = at;
    for _ in 0..NEGATION_WINDOW {
        match (tokens.get(k), k.checked_sub(1).and_then(|j| tokens.get(j))) {
            (Some(current), Some(before)) if !current.break_before => {
                if negators.contains(&before.folded) {
                    return true;
                }
                k -= 1;
            }
            _ => return false,
        }
    }
    false
}

/// Whether a run of [`SHOUTING_RUN`] words in capitals stands in `tokens`.
fn shouts(tokens: &[Word<'_>]) -> bool {
    let mut run = 0;
    for token in tokens {
        if token.text.bytes().any(|c| c.is_ascii_lowercase()) {
            run = 0;
        } else if token.text.bytes().filter(u8::is_ascii_uppercase).count() >= SHOUTING_MIN_LETTERS {
            run += 1;
            if run >= SHOUTING_RUN {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, when: Conditions, then: Actions) -> RoutingRule {
        RoutingRule { name: name.into(), when, then }
    }

    static NO_FIELDS: crate::vocab::Pairs = crate::vocab::Pairs::new();

    fn input<'a>(kind: TicketType, segment: Segment, locale: Option<&'a str>, subject: &'a str, message: &'a str) -> RoutingInput<'a> {
        RoutingInput { kind, segment, locale, subject, message, fields: &NO_FIELDS }
    }

    #[test]
    fn a_rule_on_fields_matches_when_each_named_field_holds_one_of_its_values() {
        let when = |pairs: &[(&str, &[&str])]| Conditions {
            fields: pairs.iter().map(|(id, values)| ((*id).to_owned(), strings(values))).collect(),
            ..Conditions::default()
        };
        let values =
            |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<crate::vocab::Pairs>();
        type Case<'a> = (&'a [(&'a str, &'a [&'a str])], &'a [(&'a str, &'a str)], bool);
        let cases: &[Case<'_>] = &[
            (&[("plan", &["enterprise"])], &[("plan", "enterprise")], true),
            (&[("plan", &["enterprise", "pro"])], &[("plan", "pro")], true),
            (&[("plan", &["enterprise"])], &[("plan", "free")], false),
            (&[("plan", &["enterprise"])], &[], false),
            (&[("plan", &["enterprise"]), ("accepts_contact", &["true"])], &[("plan", "enterprise")], false),
            (&[("plan", &["enterprise"]), ("accepts_contact", &["true"])], &[("plan", "enterprise"), ("accepts_contact", "true")], true),
        ];
        for (wanted, given, matches) in cases {
            let given = values(given);
            let ticket = RoutingInput { fields: &given, ..calm(TicketType::BUG) };
            let routed = route(&[tagging("vip", when(wanted))], &ticket);
            assert_eq!(routed.tags == ["vip"], *matches, "{wanted:?} on {given:?}");
        }
    }

    fn calm(kind: TicketType) -> RoutingInput<'static> {
        input(kind, Segment::Free, None, "A question", "How do I export my data?")
    }

    fn tagging(name: &str, when: Conditions) -> RoutingRule {
        rule(name, when, Actions { tags: vec![name.into()], ..Actions::default() })
    }

    fn same_word(a: &str, b: &str) -> bool {
        fold(a) == fold(b)
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn words_split_on_ascii_punctuation_and_keep_inner_apostrophes() {
        let check = |text: &str, expected: &[(&str, bool)]| {
            let got: Vec<(&str, bool)> = words(text).map(|t| (t.text, t.break_before)).collect();
            assert_eq!(got, expected, "{text:?}");
        };
        check("", &[]);
        check("  ,.!  ", &[]);
        check("Can't log-in", &[("Can't", false), ("log", false), ("in", false)]);
        check("can’t 'quoted' rock'n'roll'", &[("can’t", false), ("quoted", false), ("rock'n'roll", false)]);
        check("Down. Now!\nok, fine", &[("Down", false), ("Now", true), ("ok", true), ("fine", true)]);
        check("café—crème «déjà» vu…done", &[("café", false), ("crème", false), ("déjà", false), ("vu", false), ("done", true)]);
        check("broken😡 again", &[("broken", false), ("again", false)]);
        check("v2.0 error_500", &[("v2", false), ("0", true), ("error", false), ("500", false)]);
    }

    #[test]
    fn each_condition_kind() {
        // (condition, ticket type, segment, locale, subject, message, matches)
        type Case = (Conditions, TicketType, Segment, Option<&'static str>, &'static str, &'static str, bool);
        let by_type = || Conditions { kind: vec![TicketType::BILLING, TicketType::ACCOUNT], ..Conditions::default() };
        let by_segment = || Conditions { segment: vec![Segment::Enterprise], ..Conditions::default() };
        let by_language = || Conditions { language: strings(&["de", "FR"]), ..Conditions::default() };
        let by_keyword = |k: &[&str]| Conditions { keywords: strings(k), ..Conditions::default() };
        let both = || Conditions { kind: vec![TicketType::BILLING], segment: vec![Segment::Enterprise], ..Conditions::default() };
        let cases: Vec<Case> = vec![
            (by_type(), TicketType::BILLING, Segment::Free, None, "", "", true),
            (by_type(), TicketType::ACCOUNT, Segment::Free, None, "", "", true),
            (by_type(), TicketType::BUG, Segment::Free, None, "", "", false),
            (by_segment(), TicketType::BUG, Segment::Enterprise, None, "", "", true),
            (by_segment(), TicketType::BUG, Segment::Business, None, "", "", false),
            (by_language(), TicketType::BUG, Segment::Free, Some("de"), "", "", true),
            (by_language(), TicketType::BUG, Segment::Free, Some("de-CH"), "", "", true),
            (by_language(), TicketType::BUG, Segment::Free, Some("DE_at"), "", "", true),
            (by_language(), TicketType::BUG, Segment::Free, Some("fr-CA"), "", "", true),
            (by_language(), TicketType::BUG, Segment::Free, Some("en-DE"), "", "", false),
            (by_language(), TicketType::BUG, Segment::Free, Some("deu"), "", "", false),
            (by_language(), TicketType::BUG, Segment::Free, Some(""), "", "", false),
            (by_language(), TicketType::BUG, Segment::Free, None, "", "", false),
            (by_keyword(&["refund"]), TicketType::BUG, Segment::Free, None, "REFUND please", "", true),
            (by_keyword(&["refund"]), TicketType::BUG, Segment::Free, None, "", "I want a refund!", true),
            (by_keyword(&["refund"]), TicketType::BUG, Segment::Free, None, "", "I was refunded twice", false),
            (by_keyword(&["refund"]), TicketType::BUG, Segment::Free, None, "", "refunds, prefund", false),
            (by_keyword(&["refund", "chargeback"]), TicketType::BUG, Segment::Free, None, "", "a Chargeback", true),
            (by_keyword(&["credit card"]), TicketType::BUG, Segment::Free, None, "", "my Credit  Card expired", true),
            (by_keyword(&["credit card"]), TicketType::BUG, Segment::Free, None, "", "my credit-card expired", true),
            (by_keyword(&["credit card"]), TicketType::BUG, Segment::Free, None, "", "no credit. Card?", false),
            (by_keyword(&["credit card"]), TicketType::BUG, Segment::Free, None, "credit", "card", false),
            (by_keyword(&["credit card"]), TicketType::BUG, Segment::Free, None, "", "card credit", false),
            (by_keyword(&["can't pay"]), TicketType::BUG, Segment::Free, None, "", "I CAN’T PAY", true),
            (both(), TicketType::BILLING, Segment::Enterprise, None, "", "", true),
            (both(), TicketType::BILLING, Segment::Free, None, "", "", false),
            (both(), TicketType::BUG, Segment::Enterprise, None, "", "", false),
        ];
        for (when, kind, segment, locale, subject, message, expected) in cases {
            let routed = route(&[tagging("r", when.clone())], &input(kind.clone(), segment, locale, subject, message));
            assert_eq!(!routed.tags.is_empty(), expected, "{when:?} with {kind} {segment} {locale:?} {subject:?} {message:?}");
        }
    }

    #[test]
    fn rule_order_priority_precedence_and_tag_dedup() {
        let billing = || Conditions { kind: vec![TicketType::BILLING], ..Conditions::default() };
        let enterprise = || Conditions { segment: vec![Segment::Enterprise], ..Conditions::default() };
        let rules = [
            rule(
                "free billing",
                Conditions { segment: vec![Segment::Free], ..billing() },
                Actions { group: Some("self-serve".into()), ..Actions::default() },
            ),
            rule(
                "billing",
                billing(),
                Actions { group: Some("finance".into()), priority: Some(Priority::Low), tags: strings(&["billing", "money"]) },
            ),
            rule(
                "enterprise",
                enterprise(),
                Actions { group: Some("vip".into()), priority: Some(Priority::High), tags: strings(&["vip", "billing"]) },
            ),
            rule(
                "enterprise low",
                enterprise(),
                Actions { priority: Some(Priority::Low), tags: strings(&["money"]), ..Actions::default() },
            ),
        ];
        let check = |segment: Segment, kind: TicketType, group: Option<&str>, priority: Priority, tags: &[&str], matched: &[&str]| {
            let routed = route(&rules, &input(kind.clone(), segment, None, "Invoice", "Where is my invoice?"));
            let reasons: Vec<String> = matched.iter().map(|name| format!("rule \"{name}\" matched")).collect();
            let expected = Routed { group: group.map(str::to_owned), priority, tags: strings(tags), reasons };
            assert_eq!(routed, expected, "{segment} {kind}");
        };
        check(Segment::Free, TicketType::BILLING, Some("self-serve"), Priority::Low, &["billing", "money"], &["free billing", "billing"]);
        check(Segment::Business, TicketType::BILLING, Some("finance"), Priority::Low, &["billing", "money"], &["billing"]);
        check(
            Segment::Enterprise,
            TicketType::BILLING,
            Some("finance"),
            Priority::High,
            &["billing", "money", "vip"],
            &["billing", "enterprise", "enterprise low"],
        );
        check(
            Segment::Enterprise,
            TicketType::BUG,
            Some("vip"),
            Priority::High,
            &["vip", "billing", "money"],
            &["enterprise", "enterprise low"],
        );
        check(Segment::Business, TicketType::BUG, None, Priority::Normal, &[], &[]);
        // Urgent beats high whatever the order.
        let urgent_last = [
            rule("high", billing(), Actions { priority: Some(Priority::High), ..Actions::default() }),
            rule("urgent", billing(), Actions { priority: Some(Priority::Urgent), ..Actions::default() }),
            rule("normal", billing(), Actions { priority: Some(Priority::Normal), ..Actions::default() }),
        ];
        assert_eq!(route(&urgent_last, &calm(TicketType::BILLING)).priority, Priority::Urgent);
        assert_eq!(route(&urgent_last[2..], &calm(TicketType::BILLING)).priority, Priority::Normal);
        assert_eq!(route(&[], &calm(TicketType::BILLING)).priority, Priority::Normal);
    }

    #[test]
    fn urgent_words() {
        let check = |text: &str, expected: &[&str]| assert_eq!(urgency(text).urgent_words, expected, "{text:?}");
        check("How do I export my data?", &[]);
        check("Production is DOWN, need help ASAP", &["production", "is down", "asap"]);
        check("asap asap ASAP!", &["asap"]);
        check("I can’t log in", &["can't log in"]);
        check("I CANNOT SIGN IN since this morning", &["cannot sign in"]);
        check("cannot log. In other news", &[]);
        check("The server went down overnight: data loss", &["went down", "data loss"]);
        check("Scroll down to the drop-down menu", &[]);
        check("Not urgent, just curious", &[]);
        check("This is not an emergency", &[]);
        check("nothing critical. Critical for us though", &["critical"]);
        check("I cannot reach production", &["production"]);
        check("urgently-needed fix", &["urgently"]);
        check("our account was hacked, security breach", &["hacked", "security breach"]);
        check("Please call me right now", &["right now"]);
        check("outages happen; emergencies too", &[]);
    }

    #[test]
    fn negative_tone() {
        let check = |text: &str, expected: i32| assert_eq!(urgency(text).negative_score, expected, "{text:?}");
        check("Thanks, all good now", 0);
        check("I'm furious, this is unacceptable", 6);
        check("terrible terrible", 4);
        check("Worst support ever. Fed up with it", 4);
        check("not bad at all", 0);
        check("I'm not angry, just disappointed", 1);
        check("I am not happy", 2);
        check("I'm not very happy", 2);
        check("I’m happy", 0);
        check("This isn't acceptable", 3);
        // Beyond the window of two words: a known limit.
        check("not at all happy", 0);
        check("No. I am furious", 3);
        check("I'm not a lawyer", 0);
        check("I will cancel", 1);
        check("I don't want to cancel", 1);
        check("Please don't cancel", 0);
        // Shouting: three words of three or more capitals in a row.
        check("THIS IS NOT WORKING", 2);
        check("WHY DOES IT FAIL", 2);
        check("THE API SDK", 2);
        check("FIX IT now PLEASE OK", 0);
        check("HTTP 500 ERROR RETURNED", 2);
        check("OUR API fails", 0);
        check("DON'T EVER DO THAT AGAIN AND AGAIN", 2);
        // Exclamation marks: two or more in a row, once.
        check("Help!", 0);
        check("Help!! Now!!!", 1);
        check("Help! !", 0);
        check("ANGRY ABOUT THIS!!", 2 + 2 + 1);
    }

    #[test]
    fn thresholds() {
        assert_eq!(STRONGLY_NEGATIVE, 4);
        assert!(urgency("I'm furious!!").is_strongly_negative());
        assert!(urgency("terrible, worst support").is_strongly_negative());
        assert!(urgency("WHY AM I SO ANGRY ABOUT THIS").is_strongly_negative());
        assert!(!urgency("I'm furious").is_strongly_negative());
        assert!(!urgency("frustrated!!").is_strongly_negative());
        assert!(urgency("asap").is_urgent() && !urgency("as soon as you can").is_urgent());
    }

    #[test]
    fn the_detector_raises_priority_and_never_lowers_it() {
        // (ticket type, priority set by a rule, subject, message, expected priority, expected detector reasons)
        type Case = (TicketType, Option<Priority>, &'static str, &'static str, Priority, &'static [&'static str]);
        let cases: [Case; 12] = [
            (TicketType::HOW_TO, None, "Export", "How do I export my data?", Priority::Normal, &[]),
            (TicketType::HOW_TO, Some(Priority::Low), "Export", "How do I export my data?", Priority::Low, &[]),
            (
                TicketType::BUG,
                None,
                "Export broken",
                "Please fix asap",
                Priority::High,
                &[r#"urgent wording: "asap""#, "priority raised to high: urgent wording"],
            ),
            (
                TicketType::BUG,
                Some(Priority::Low),
                "Urgent",
                "Export broken",
                Priority::High,
                &[r#"urgent wording: "urgent""#, "priority raised to high: urgent wording"],
            ),
            (
                TicketType::BUG,
                None,
                "Export",
                "This is terrible, the worst tool I have used",
                Priority::High,
                &["strongly negative tone (score 4)", "priority raised to high: strongly negative tone"],
            ),
            (
                TicketType::BUG,
                None,
                "Outage",
                "I'm furious, this is unacceptable!!",
                Priority::Urgent,
                &[
                    r#"urgent wording: "outage""#,
                    "strongly negative tone (score 7)",
                    "priority raised to urgent: urgent wording with a strongly negative tone",
                ],
            ),
            (
                TicketType::OUTAGE,
                None,
                "Dashboard",
                "The dashboard is down, please help immediately",
                Priority::Urgent,
                &[r#"urgent wording: "is down", "immediately""#, "priority raised to urgent: urgent wording in an outage ticket"],
            ),
            (TicketType::OUTAGE, None, "Dashboard", "Charts look slow since Monday", Priority::Normal, &[]),
            (TicketType::BUG, Some(Priority::Urgent), "Export", "Please fix asap", Priority::Urgent, &[r#"urgent wording: "asap""#]),
            (TicketType::BUG, Some(Priority::High), "Export", "Please fix asap", Priority::High, &[r#"urgent wording: "asap""#]),
            (TicketType::BUG, None, "Export", "Not urgent, and I'm not angry", Priority::Normal, &[]),
            (
                TicketType::BUG,
                None,
                "THIS IS TOTALLY BROKEN",
                "I am angry",
                Priority::High,
                &["strongly negative tone (score 4)", "priority raised to high: strongly negative tone"],
            ),
        ];
        for (kind, set, subject, message, expected, detector) in cases {
            let rules = [rule(
                "set",
                Conditions { kind: vec![kind.clone()], ..Conditions::default() },
                Actions { priority: set, tags: strings(&["t"]), ..Actions::default() },
            )];
            let routed = route(&rules, &input(kind.clone(), Segment::Free, None, subject, message));
            let mut reasons = strings(&[r#"rule "set" matched"#]);
            reasons.extend(strings(detector));
            assert_eq!((routed.priority, routed.reasons), (expected, reasons), "{kind} {set:?} {subject:?} {message:?}");
        }
    }

    #[test]
    fn route_reads_subject_and_message_like_urgency_of_both() {
        for (subject, message) in [
            ("URGENT ISSUE", "HELP NEEDED"),
            ("Outage", "We are fed up!!"),
            ("not", "happy"),
            ("Is", "down"),
            ("Critical", "It is not. Urgent"),
            ("", ""),
        ] {
            let routed = route(&[], &input(TicketType::BUG, Segment::Free, None, subject, message));
            let joined = urgency(&format!("{subject}\n{message}"));
            let expected = if joined.is_urgent() && joined.is_strongly_negative() {
                Priority::Urgent
            } else if joined.is_urgent() || joined.is_strongly_negative() {
                Priority::High
            } else {
                Priority::Normal
            };
            assert_eq!(routed.priority, expected, "{subject:?} / {message:?} gave {joined:?}");
        }
        assert_eq!(urgency("not\nhappy").negative_score, 0);
        assert_eq!(urgency("Is\ndown").urgent_words, Vec::<&str>::new());
    }

    #[test]
    fn validation_names_the_field() {
        let ok = || {
            rule(
                "ok",
                Conditions { kind: vec![TicketType::BUG], ..Conditions::default() },
                Actions { group: Some("engineering".into()), ..Actions::default() },
            )
        };
        let check = |edit: &dyn Fn(&mut Vec<RoutingRule>), expected: Option<&str>| {
            let mut rules = vec![ok(), rule("second", ok().when, ok().then)];
            edit(&mut rules);
            let got = validate_rules(&rules).err().map(|e| e.to_string());
            match expected {
                None => assert_eq!(got, None),
                Some(expected) => {
                    let got = got.unwrap_or_default();
                    assert!(got.starts_with(expected), "expected {expected:?}, got {got:?}");
                }
            }
        };
        let long = "x".repeat(MAX_LABEL + 1);
        let max = "x".repeat(MAX_LABEL);
        check(&|_| {}, None);
        check(&|r| r.clear(), None);
        check(&|r| r[1].name = " ".into(), Some("routing[1].name: must not be empty"));
        check(&|r| r[1].name = "ok ".into(), Some("routing[1].name: routing[0] already has this name"));
        check(&|r| r[1].when = Conditions::default(), Some("routing[1].when: give at least one condition"));
        check(&|r| r[0].when.language = strings(&["de", "DE", "fil"]), None);
        check(&|r| r[0].when.language = strings(&["de", "de-CH"]), Some("routing[0].when.language[1]: expected a language code of 2-3"));
        check(&|r| r[0].when.language = strings(&["d"]), Some("routing[0].when.language[0]: expected"));
        check(&|r| r[0].when.language = strings(&["deut"]), Some("routing[0].when.language[0]: expected"));
        check(&|r| r[0].when.language = strings(&["dé"]), Some("routing[0].when.language[0]: expected"));
        check(&|r| r[1].when.keywords = strings(&["refund", ""]), Some("routing[1].when.keywords[1]: must contain a word"));
        check(&|r| r[1].when.keywords = strings(&[" -- "]), Some("routing[1].when.keywords[0]: must contain a word"));
        check(&|r| r[1].when.keywords = vec![max.clone()], None);
        check(&|r| r[1].when.keywords = vec![long.clone()], Some("routing[1].when.keywords[0]: at most 64 characters"));
        check(&|r| r[0].then = Actions::default(), Some("routing[0].then: set at least one of"));
        check(&|r| r[0].then.group = Some(String::new()), Some("routing[0].then.group: must not be empty"));
        check(&|r| r[0].then.group = Some(long.clone()), Some("routing[0].then.group: at most 64 characters"));
        check(&|r| r[0].then.tags = strings(&["vip", "billing_2", "a-b"]), None);
        check(&|r| r[0].then.tags = vec![max.clone()], None);
        check(&|r| r[1].then.tags = strings(&["Billing"]), Some("routing[1].then.tags[0]: expected a lowercase slug"));
        check(&|r| r[1].then.tags = strings(&["ok", "two words"]), Some("routing[1].then.tags[1]: expected a lowercase slug"));
        check(&|r| r[1].then.tags = strings(&[""]), Some("routing[1].then.tags[0]: expected"));
        check(&|r| r[1].then.tags = vec![long.clone()], Some("routing[1].then.tags[0]: expected"));
        check(&|r| r[1].then.tags = strings(&["café"]), Some("routing[1].then.tags[0]: expected"));
        let error = RoutingError { field: "routing[2].then.tags[0]".into(), message: "expected a slug".into() };
        assert_eq!(error.to_string(), "routing[2].then.tags[0]: expected a slug");
    }

    #[test]
    fn deserialises_the_buoy_toml_shape() {
        let value = serde_json::json!([
            {
                "name": "billing to finance",
                "when": {
                    "type": ["billing"],
                    "segment": ["enterprise", "business"],
                    "language": ["de", "fr"],
                    "keywords": ["refund", "chargeback"]
                },
                "then": { "group": "finance", "priority": "high", "tags": ["billing", "refund"] }
            },
            { "name": "password resets", "when": { "type": ["password_reset"] }, "then": { "tags": ["login"] } }
        ]);
        let rules: Vec<RoutingRule> = serde_json::from_value(value.clone()).unwrap_or_else(|e| unreachable!("{e}"));
        let expected = vec![
            rule(
                "billing to finance",
                Conditions {
                    kind: vec![TicketType::BILLING],
                    segment: vec![Segment::Enterprise, Segment::Business],
                    language: strings(&["de", "fr"]),
                    keywords: strings(&["refund", "chargeback"]),
                    fields: BTreeMap::new(),
                },
                Actions { group: Some("finance".into()), priority: Some(Priority::High), tags: strings(&["billing", "refund"]) },
            ),
            rule(
                "password resets",
                Conditions { kind: vec![TicketType::PASSWORD_RESET], ..Conditions::default() },
                Actions { tags: strings(&["login"]), ..Actions::default() },
            ),
        ];
        assert_eq!(rules, expected);
        assert_eq!(validate_rules(&rules), Ok(()));
        assert_eq!(serde_json::to_value(&rules).ok(), Some(value));

        let refused =
            |value: serde_json::Value| serde_json::from_value::<RoutingRule>(value).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused(serde_json::json!({ "name": "x", "when": { "kind": ["bug"] } })).contains("unknown field `kind`"));
        assert!(refused(serde_json::json!({ "name": "x", "when": { "type": ["Bugs"] } })).contains("a ticket type: 1-32 lowercase"));
        // A well-formed type reads; whether a site offers it is the
        // configuration's check (`site_types::validate`).
        assert!(refused(serde_json::json!({ "name": "x", "then": { "priority": "highest" } })).contains("unknown variant `highest`"));
        assert!(refused(serde_json::json!({ "name": "x", "colour": "red" })).contains("unknown field `colour`"));
        assert!(refused(serde_json::json!({ "when": {} })).contains("missing field `name`"));
        // A rule without `when` reads, and validation then says why it is refused.
        let bare: RoutingRule =
            serde_json::from_value(serde_json::json!({ "name": "x", "then": { "group": "g" } })).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(validate_rules(&[bare]).map_err(|e| e.field), Err("routing[0].when".to_owned()));
    }

    #[test]
    fn the_lexicon_is_well_formed() {
        let locales: Vec<&str> = LEXICONS.iter().map(|l| l.locale).collect();
        assert_eq!(locales, ["en", "de", "fr", "es", "pt-BR", "ja", "ar"], "every shipped locale has a lexicon");
        let weighted = || LEXICONS.iter().flat_map(|l| l.negative.iter().chain(l.negated_positive));
        for lexicon in &LEXICONS {
            let entries: Vec<&str> = lexicon
                .urgent
                .iter()
                .copied()
                .chain(lexicon.negative.iter().chain(lexicon.negated_positive).map(|&(w, _)| w))
                .chain(lexicon.negators.iter().copied())
                .chain(lexicon.urgency_negators.iter().copied())
                .collect();
            for entry in entries {
                let joined: Vec<&str> = words(entry).map(|t| t.text).collect();
                assert_eq!(joined.join(" "), entry, "{entry:?} is not lowercase words separated by single spaces");
                assert!(!entry.bytes().any(|c| c.is_ascii_uppercase()), "{entry:?}");
                assert_eq!(is_japanese(entry), lexicon.locale == "ja", "{entry:?}");
            }
            for list in [lexicon.urgent, lexicon.negators, lexicon.urgency_negators] {
                for (i, entry) in list.iter().enumerate() {
                    assert!(!list[..i].contains(entry), "{entry:?} repeated");
                }
            }
            assert!(lexicon.urgent.len() >= 13 && lexicon.negative.len() >= 11, "{}", lexicon.locale);
        }
        for &(word, weight) in weighted() {
            assert!((1..=3).contains(&weight), "{word:?}");
            // A word in two lexicons would count twice.
            assert_eq!(weighted().filter(|&&(w, _)| same_word(w, word)).count(), 1, "{word:?} repeated");
        }
        let urgent: Vec<&str> = LEXICONS.iter().flat_map(|l| l.urgent.iter().copied()).collect();
        for (i, entry) in urgent.iter().enumerate() {
            assert!(!urgent[..i].contains(entry), "{entry:?} in two lexicons");
        }
    }

    #[test]
    fn each_language_is_read_for_urgency_and_tone() {
        /// Behaviour, subject, message, ticket type, priority, reasons.
        type Case<'a> = (&'a str, &'a str, &'a str, TicketType, Priority, &'a [&'a str]);
        let cases: &[Case<'_>] = &[
            (
                "an urgent German message routes as urgent wording",
                "Dringend",
                "Ich kann mich nicht anmelden, bitte sofort helfen.",
                TicketType::PASSWORD_RESET,
                Priority::High,
                &[r#"urgent wording: "dringend", "kann mich nicht anmelden", "sofort""#, "priority raised to high: urgent wording"],
            ),
            (
                "a German message that says it is not urgent stays normal",
                "Frage",
                "Nicht dringend, nur eine Frage.",
                TicketType::HOW_TO,
                Priority::Normal,
                &[],
            ),
            (
                "a furious German customer in an outage is urgent",
                "Störung",
                "Das ist inakzeptabel und schrecklich, alles ist ausgefallen!!",
                TicketType::OUTAGE,
                Priority::Urgent,
                &[
                    r#"urgent wording: "störung", "ist ausgefallen""#,
                    "strongly negative tone (score 6)",
                    "priority raised to urgent: urgent wording with a strongly negative tone",
                ],
            ),
            (
                "an urgent French message, with elision",
                "C'est une urgence",
                "Le site est en panne.",
                TicketType::BUG,
                Priority::High,
                &[r#"urgent wording: "urgence", "panne""#, "priority raised to high: urgent wording"],
            ),
            (
                "a French message that is not urgent stays normal",
                "Question",
                "Ce n'est pas urgent.",
                TicketType::HOW_TO,
                Priority::Normal,
                &[],
            ),
            (
                "an angry French message is strongly negative",
                "Facture",
                "Je suis furieux, c'est inacceptable.",
                TicketType::BILLING,
                Priority::High,
                &["strongly negative tone (score 6)", "priority raised to high: strongly negative tone"],
            ),
            (
                "an urgent Spanish message",
                "Urgente",
                "No puedo iniciar sesión.",
                TicketType::PASSWORD_RESET,
                Priority::High,
                &[r#"urgent wording: "urgente", "no puedo iniciar sesión""#, "priority raised to high: urgent wording"],
            ),
            ("a Spanish message that is not urgent stays normal", "Duda", "No es urgente.", TicketType::HOW_TO, Priority::Normal, &[]),
            (
                "an urgent Brazilian Portuguese message about an outage",
                "Sistema fora do ar",
                "Preciso de ajuda imediatamente.",
                TicketType::OUTAGE,
                Priority::Urgent,
                &[r#"urgent wording: "fora do ar", "imediatamente""#, "priority raised to urgent: urgent wording in an outage ticket"],
            ),
            (
                "an unhappy Portuguese customer is negative",
                "Cobrança",
                "Não estou satisfeito, é inaceitável.",
                TicketType::BILLING,
                Priority::High,
                &["strongly negative tone (score 5)", "priority raised to high: strongly negative tone"],
            ),
            (
                "an urgent Japanese message, inside words",
                "至急対応をお願いします",
                "本番環境にログインできません。",
                TicketType::BUG,
                Priority::High,
                &[r#"urgent wording: "至急", "ログインできません", "本番環境""#, "priority raised to high: urgent wording"],
            ),
            (
                "a Japanese message that says it is not urgent stays normal",
                "質問",
                "緊急ではありません。",
                TicketType::HOW_TO,
                Priority::Normal,
                &[],
            ),
            (
                "an angry Japanese message is strongly negative",
                "請求",
                "最悪です。詐欺ではないですか",
                TicketType::BILLING,
                Priority::High,
                &["strongly negative tone (score 5)", "priority raised to high: strongly negative tone"],
            ),
            (
                "an urgent Arabic message, with diacritics and hamza",
                "طلب عاجل",
                "النظام متوقف، أرجو المساعدة فورًا",
                TicketType::OUTAGE,
                Priority::Urgent,
                &[r#"urgent wording: "عاجل", "متوقف", "فورا""#, "priority raised to urgent: urgent wording in an outage ticket"],
            ),
            ("an Arabic message that is not urgent stays normal", "سؤال", "الأمر ليس عاجلا", TicketType::HOW_TO, Priority::Normal, &[]),
            (
                "an Arabic customer who is not satisfied is negative",
                "الفاتورة",
                "أنا غاضب والخدمة غير مقبولة",
                TicketType::BILLING,
                Priority::High,
                &["strongly negative tone (score 5)", "priority raised to high: strongly negative tone"],
            ),
        ];
        for (behaviour, subject, message, kind, priority, reasons) in cases {
            let input = RoutingInput { kind: kind.clone(), segment: Segment::Free, locale: None, subject, message, fields: &NO_FIELDS };
            let routed = route(&[], &input);
            assert_eq!(
                (routed.priority, routed.reasons),
                (*priority, reasons.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>()),
                "{behaviour}"
            );
        }
    }
}
