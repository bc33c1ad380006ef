//! The text of an answer by email: the first text body (HTML turned into
//! text by mail-parser, after block elements are given line breaks and
//! quoted blocks marked), with quoted history, the "On … wrote:" line,
//! Outlook's header block and signatures taken out, cut to the message
//! limit with a note (never silently); and the attachments as the mail
//! gives them.

use crate::ticket::MAX_MESSAGE;
use mail_parser::{Message, MimeHeaders, PartType};

/// An attachment of a received message, as the mail gives it: nothing
/// here is trusted until `inbound` has run it through `crate::attach`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name (decoded), when the mail gives one.
    pub name: Option<String>,
    /// The content type the mail claims for it (`image/png`), when it says one.
    pub claimed: Option<String>,
    /// Its decoded bytes.
    pub bytes: Vec<u8>,
}

impl Attachment {
    /// What to call it in a note: its name, else `unnamed` and its claimed type.
    pub fn label(&self) -> String {
        let name = self.name.as_deref().map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>());
        match (name.filter(|n| !n.trim().is_empty()), &self.claimed) {
            (Some(name), _) => name,
            (None, Some(claimed)) => format!("unnamed {claimed}"),
            (None, None) => "unnamed".to_owned(),
        }
    }
}

/// What an answer by email adds to a thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerText {
    /// The text to store as the message: the answer, then any notes (on
    /// attachments not stored, or a cut), within [`MAX_MESSAGE`]
    /// characters. Empty when the mail had nothing above its quote and
    /// nothing to note.
    pub body: String,
    /// The answer's length in characters when it had to be cut.
    pub cut_from: Option<usize>,
}

// Lines made of these mark a quoted HTML block's start and end once the
// HTML is text. They are private-use characters, and any found in the
// mail itself are removed before the markers go in.
const QUOTE_OPEN: char = '\u{F8F0}';
const QUOTE_CLOSE: char = '\u{F8F1}';

/// Elements whose start begins a line: mail-parser's `html_to_text` breaks lines
/// only at `<br>` and `</p>`, which would run a Gmail reply's `<div>`
/// lines (and its "On … wrote:" line) together.
const BLOCKS: &[&str] = &["div", "p", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "ul", "ol"];

/// Named character references as code points, for the names mail most
/// often holds: the markup five, spaces, typographic punctuation, the
/// Latin-1 letters and signs. mail-parser looks names up in a hash table
/// computed at build time with 64-bit arithmetic, which finds most names
/// on the host and few on wasm32, where the worker runs: these are turned
/// into numeric references (`&#38;`) first, which it decodes everywhere.
const ENTITIES: &[(&str, u32)] = &[
    ("amp", 38),
    ("lt", 60),
    ("gt", 62),
    ("quot", 34),
    ("apos", 39),
    ("nbsp", 160),
    ("ensp", 8194),
    ("emsp", 8195),
    ("thinsp", 8201),
    ("zwnj", 8204),
    ("zwj", 8205),
    ("ndash", 8211),
    ("mdash", 8212),
    ("lsquo", 8216),
    ("rsquo", 8217),
    ("sbquo", 8218),
    ("ldquo", 8220),
    ("rdquo", 8221),
    ("bdquo", 8222),
    ("bull", 8226),
    ("hellip", 8230),
    ("euro", 8364),
    ("trade", 8482),
    ("iexcl", 161),
    ("cent", 162),
    ("pound", 163),
    ("yen", 165),
    ("sect", 167),
    ("copy", 169),
    ("laquo", 171),
    ("reg", 174),
    ("deg", 176),
    ("plusmn", 177),
    ("middot", 183),
    ("raquo", 187),
    ("frac12", 189),
    ("iquest", 191),
    ("times", 215),
    ("divide", 247),
    ("Agrave", 192),
    ("Aacute", 193),
    ("Acirc", 194),
    ("Atilde", 195),
    ("Auml", 196),
    ("Aring", 197),
    ("AElig", 198),
    ("Ccedil", 199),
    ("Egrave", 200),
    ("Eacute", 201),
    ("Ecirc", 202),
    ("Euml", 203),
    ("Igrave", 204),
    ("Iacute", 205),
    ("Icirc", 206),
    ("Iuml", 207),
    ("ETH", 208),
    ("Ntilde", 209),
    ("Ograve", 210),
    ("Oacute", 211),
    ("Ocirc", 212),
    ("Otilde", 213),
    ("Ouml", 214),
    ("Oslash", 216),
    ("Ugrave", 217),
    ("Uacute", 218),
    ("Ucirc", 219),
    ("Uuml", 220),
    ("Yacute", 221),
    ("THORN", 222),
    ("szlig", 223),
    ("agrave", 224),
    ("aacute", 225),
    ("acirc", 226),
    ("atilde", 227),
    ("auml", 228),
    ("aring", 229),
    ("aelig", 230),
    ("ccedil", 231),
    ("egrave", 232),
    ("eacute", 233),
    ("ecirc", 234),
    ("euml", 235),
    ("igrave", 236),
    ("iacute", 237),
    ("icirc", 238),
    ("iuml", 239),
    ("eth", 240),
    ("ntilde", 241),
    ("ograve", 242),
    ("oacute", 243),
    ("ocirc", 244),
    ("otilde", 245),
    ("ouml", 246),
    ("oslash", 248),
    ("ugrave", 249),
    ("uacute", 250),
    ("ucirc", 251),
    ("uuml", 252),
    ("yacute", 253),
    ("thorn", 254),
    ("yuml", 255),
    ("OElig", 338),
    ("oelig", 339),
    ("Scaron", 352),
    ("scaron", 353),
    ("Yuml", 376),
];

/// `html` with each reference of [`ENTITIES`] (`&amp;`) written as a
/// numeric one (`&#38;`); anything else is left as it is.
fn numeric_entities(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name_len = after.bytes().take_while(u8::is_ascii_alphanumeric).count();
        let code = (after.as_bytes().get(name_len) == Some(&b';'))
            .then(|| ENTITIES.iter().find(|(name, _)| *name == &after[..name_len]).map(|(_, code)| *code))
            .flatten();
        match code {
            Some(code) => {
                out.push_str(&format!("&#{code};"));
                rest = &after[name_len + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// HTML as text: block elements on their own lines, the contents of
/// `<blockquote>` between quote markers, then mail-parser's conversion
/// (entities decoded, `<head>`, `<style>` and `<script>` dropped).
pub fn html_to_text(html: &str) -> String {
    let html: String = numeric_entities(html).chars().filter(|&c| c != QUOTE_OPEN && c != QUOTE_CLOSE).collect();
    let mut marked = String::with_capacity(html.len() + 64);
    let mut rest = html.as_str();
    while let Some(at) = rest.find('<') {
        marked.push_str(&rest[..at]);
        let tag = &rest[at + 1..];
        let closing = tag.starts_with('/');
        let name: String =
            tag.trim_start_matches('/').chars().take_while(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
        if name == "blockquote" {
            marked.push_str(if closing { "<br>\u{F8F1}<br>" } else { "<br>\u{F8F0}<br>" });
            // Skip the tag itself: the markers stand for it.
            match tag.find('>') {
                Some(end) => rest = &tag[end + 1..],
                None => rest = "",
            }
            continue;
        }
        if !closing && BLOCKS.contains(&name.as_str()) {
            marked.push_str("<br>");
        }
        marked.push('<');
        rest = tag;
    }
    marked.push_str(rest);
    mail_parser::decoders::html::html_to_text(&marked)
}

/// The first text body of a message as text (HTML converted).
fn first_body(message: &Message<'_>) -> String {
    match message.text_part(0).map(|part| &part.body) {
        Some(PartType::Text(text)) => text.to_string(),
        Some(PartType::Html(html)) => html_to_text(html),
        _ => String::new(),
    }
}

// "On Mon, Jan 5, 2026 at 4:02 PM Grace <…> wrote:" and its kin, as
// (how the line starts, a word it holds) in the languages clients most
// often write it in.
const ATTRIBUTIONS: &[(&str, &str)] = &[("On ", " wrote:"), ("Le ", " a écrit"), ("Am ", " schrieb "), ("El ", " escribió")];

fn is_attribution(line: &str) -> bool {
    let line = line.trim().trim_start_matches('>').trim();
    line.ends_with(':') && ATTRIBUTIONS.iter().any(|(start, word)| line.starts_with(start) && format!("{line} ").contains(word))
}

/// Outlook's history starts with a separator line, or a `From:` line
/// followed within three lines by `Sent:` or `Date:`.
fn starts_outlook_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let lower = line.to_ascii_lowercase();
    if lower.starts_with("-----original message") || lower.starts_with("----- original message") {
        return true;
    }
    line.starts_with("From: ")
        && lines[i + 1..].iter().take(3).any(|next| {
            let next = next.trim_start();
            next.starts_with("Sent: ") || next.starts_with("Date: ")
        })
}

fn is_signature_delimiter(line: &str) -> bool {
    // RFC 3676 says "-- "; many clients strip the trailing space.
    line == "-- " || line.trim_end() == "--"
}

/// A mobile client's one-line signature, taken off the end of an answer.
fn is_device_signature(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("Sent from my ") || line.starts_with("Get Outlook for ")
}

fn is_rule(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && line.chars().all(|c| c == '_' || c == '-')
}

/// An answer without what it quotes: `>` lines and quoted HTML blocks,
/// the line that introduces them, Outlook's history, and everything
/// from a signature delimiter on. Trailing blank lines, a mobile
/// signature and runs of more than one blank line go too.
pub fn strip_reply(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        if trimmed.contains(QUOTE_OPEN) {
            depth += 1;
        } else if trimmed.contains(QUOTE_CLOSE) {
            depth = depth.saturating_sub(1);
        } else if depth > 0 || trimmed.starts_with('>') {
            // Quoted: an inline answer between quotes is kept.
        } else if is_signature_delimiter(line) || starts_outlook_history(&lines, i) {
            break;
        } else if is_attribution(line) {
            // Without quote marks after it, what follows is the history itself.
            let next = lines[i + 1..].iter().map(|l| l.trim()).find(|l| !l.is_empty());
            if !next.is_some_and(|l| l.starts_with('>') || l.contains(QUOTE_OPEN)) {
                break;
            }
        } else if i + 1 < lines.len() && trimmed.starts_with("On ") && is_attribution(&format!("{trimmed} {}", lines[i + 1].trim())) {
            // Gmail wraps a long attribution line in two.
            i += 1;
        } else {
            kept.push(line.trim_end());
        }
        i += 1;
    }
    while kept.last().is_some_and(|l| l.trim().is_empty() || is_rule(l) || is_device_signature(l)) {
        kept.pop();
    }
    let mut out = String::new();
    let mut blank_run = 0;
    for line in kept.iter().skip_while(|l| l.trim().is_empty()) {
        blank_run = if line.trim().is_empty() { blank_run + 1 } else { 0 };
        if blank_run <= 1 {
            out.push_str(line);
            out.push('\n');
        }
    }
    let clean: String = out.trim_end().chars().filter(|&c| !c.is_control() || c == '\n' || c == '\t').collect();
    clean.replace('\u{FEFF}', "")
}

/// The attachments of a message, in order.
pub fn attachments(message: &Message<'_>) -> Vec<Attachment> {
    message
        .attachments()
        .map(|part| Attachment {
            name: part.attachment_name().map(str::to_owned),
            claimed: part
                .content_type()
                .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")).to_ascii_lowercase()),
            bytes: part.contents().to_vec(),
        })
        .collect()
}

/// A size people read: bytes, KB or MB (powers of 1000, one decimal).
pub fn human_size(bytes: usize) -> String {
    match bytes {
        0..=999 => format!("{bytes} bytes"),
        1000..=999_999 => format!("{:.1} KB", bytes as f64 / 1000.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}

/// The text of an answer by email, then `notes` (one line each, such as
/// an attachment that was not stored), within the message limit.
pub fn answer_text(message: &Message<'_>, notes: &[String]) -> AnswerText {
    let answer = strip_reply(&first_body(message));
    let notes: String = notes.iter().map(|note| format!("\n\n[{note}]")).collect();
    let length = answer.chars().count();
    let notes_length = notes.chars().count();
    if length + notes_length <= MAX_MESSAGE {
        return AnswerText { body: format!("{answer}{notes}").trim().to_owned(), cut_from: None };
    }
    let cut_note = format!("\n\n[Cut by Buoy at the message limit: the email's answer had {length} characters.]");
    // The notes give way first: the answer matters more.
    let notes: String = notes.chars().take(MAX_MESSAGE / 10).collect();
    let room = MAX_MESSAGE.saturating_sub(cut_note.chars().count() + notes.chars().count());
    let kept: String = answer.chars().take(room).collect();
    AnswerText { body: format!("{}{cut_note}{notes}", kept.trim_end()), cut_from: Some(length) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn parsed(raw: &str) -> AnswerText {
        match MessageParser::default().parse(raw.as_bytes()) {
            Some(message) => answer_text(&message, &[]),
            None => unreachable!("fixture does not parse"),
        }
    }

    #[test]
    fn answers_keep_only_what_the_sender_wrote() {
        let cases: &[(&str, &str, &str)] = &[
            ("plain text", "Hello,\nit works now.", "Hello,\nit works now."),
            ("quoted lines", "Yes.\n\n> Did it work?\n>> Older", "Yes."),
            ("an inline answer between quotes", "> Which browser?\nFirefox.\n> Which version?\n128.", "Firefox.\n128."),
            ("Gmail's attribution", "Thanks!\n\nOn Mon, Jan 5, 2026 at 4:02 PM Grace <g@x.example> wrote:\n> Try again.", "Thanks!"),
            ("Gmail's wrapped attribution", "Thanks!\n\nOn Mon, Jan 5, 2026 at 4:02 PM Lumen Support <\nsupport+ab.cd@reply.lumen.example> wrote:\n\n> Try again.", "Thanks!"),
            ("an attribution with unquoted history", "Done.\nOn 5 Jan 2026, at 16:02, Grace wrote:\nTry again.", "Done."),
            ("Apple's quoted attribution", "Yes.\n\n> On 5 Jan 2026, at 16:02, Grace <g@x.example> wrote:\n> \n> Hi", "Yes."),
            ("French", "Merci.\n\nLe lun. 5 janv. 2026 à 16:02, Grace <g@x.example> a écrit :\n> Bonjour", "Merci."),
            ("German", "Danke.\n\nAm 05.01.2026 um 16:02 schrieb Grace <g@x.example>:\n> Hallo", "Danke."),
            ("Outlook's original message", "Still failing.\n\n-----Original Message-----\nFrom: Grace\nSent: Monday\n\nTry again.", "Still failing."),
            ("Outlook's header block", "Still failing.\n\n________________________________\nFrom: Lumen Support <s@x.example>\nSent: Monday, January 5, 2026 4:02 PM\nTo: Ada\n\nTry again.", "Still failing."),
            ("a From: line that starts no history", "From: my phone, sorry.\nIt works.", "From: my phone, sorry.\nIt works."),
            ("a signature", "It works.\n\n-- \nAda\nAnalytical Engines", "It works."),
            ("a signature without its space", "It works.\n--\nAda", "It works."),
            ("a mobile signature", "Yes please.\n\nSent from my iPhone\n\n> On 5 Jan wrote:\n> Hi", "Yes please."),
            ("blank runs and trailing space", "\n\nOne.   \n\n\n\nTwo.\n\n", "One.\n\nTwo."),
            ("control characters", "Be\u{7}ll\u{0}s\r\nand tabs\tstay.", "Bells\nand tabs\tstay."),
            ("only a quote", "> Did it work?", ""),
        ];
        for (what, text, expected) in cases {
            assert_eq!(strip_reply(text), *expected, "{what}");
        }
    }

    #[test]
    fn named_references_are_decoded_as_numbers_so_every_target_decodes_them() {
        let cases = [
            ("Firefox &amp; Chrome &lt;17&gt;", "Firefox &#38; Chrome &#60;17&#62;"),
            ("caf&eacute; &mdash; &euro;5", "caf&#233; &#8212; &#8364;5"),
            ("&unknown; &amp &; &#38; a&b", "&unknown; &amp &; &#38; a&b"),
            ("&", "&"),
        ];
        for (html, expected) in cases {
            assert_eq!(numeric_entities(html), expected, "{html}");
        }
        // Each name means what mail-parser's own table (right on the host) says.
        for (name, code) in ENTITIES {
            let expected = char::from_u32(*code).map(String::from).unwrap_or_default();
            assert_eq!(mail_parser::decoders::html::html_to_text(&format!("&{name};")), expected, "{name}");
        }
    }

    #[test]
    fn html_becomes_text_without_its_quotes() {
        let cases: &[(&str, &str, &str)] = &[
            ("divs as lines", "<div>One</div><div>Two &amp; three</div>", "One\nTwo & three"),
            ("style and head dropped", "<html><head><title>x</title><style>p{}</style></head><body><p>Hi</p></body></html>", "Hi"),
            ("a blockquote", "<div>Yes</div><blockquote type=\"cite\">Did it <b>work</b>?</blockquote>", "Yes"),
            ("nested blockquotes", "<div>Yes</div><BLOCKQUOTE>a<blockquote>b</blockquote>c</BLOCKQUOTE><div>After</div>", "Yes\n\nAfter"),
            ("markers in the mail itself", "<div>A\u{F8F0}</div><div>B</div>", "A\nB"),
            ("an unclosed tag", "<div>Yes</div><blockquote", "Yes"),
            ("escaped markup stays text", "<div>&lt;script&gt;alert(1)&lt;/script&gt;</div>", "<script>alert(1)</script>"),
        ];
        for (what, html, expected) in cases {
            assert_eq!(strip_reply(&html_to_text(html)), *expected, "{what}");
        }
    }

    #[test]
    fn a_long_answer_is_cut_with_a_note_never_silently() {
        let long = "word ".repeat(3000);
        let raw = format!("From: a@example.com\r\nSubject: x\r\n\r\n{long}");
        let text = parsed(&raw);
        assert_eq!(text.cut_from, Some(long.trim_end().chars().count()));
        assert!(text.body.chars().count() <= MAX_MESSAGE, "{}", text.body.chars().count());
        assert!(
            text.body.contains("[Cut by Buoy at the message limit: the email's answer had 14999 characters.]"),
            "{}",
            &text.body[text.body.len() - 200..]
        );
        assert!(crate::ticket::validate_body(&text.body).is_ok());
        let short = parsed("From: a@example.com\r\nSubject: x\r\n\r\nShort.");
        assert_eq!((short.body.as_str(), short.cut_from), ("Short.", None));
    }

    #[test]
    fn attachments_come_out_with_their_bytes_names_and_claimed_types() {
        let raw = include_str!("../../tests/mail/attachment.eml").replace("{REPLY}", "support@reply.example");
        let Some(message) = MessageParser::default().parse(raw.as_bytes()) else { unreachable!("fixture does not parse") };
        let got: Vec<(String, Option<String>, usize, Vec<u8>)> =
            attachments(&message).into_iter().map(|a| (a.label(), a.claimed, a.bytes.len(), a.bytes[..4].to_vec())).collect();
        assert_eq!(
            got,
            [
                ("screenshot.png".to_owned(), Some("image/png".to_owned()), 70, b"\x89PNG".to_vec()),
                ("export été.csv".to_owned(), Some("text/csv".to_owned()), 10, b"a,b\r".to_vec()),
            ]
        );
        let unnamed =
            |claimed: Option<&str>| Attachment { name: Some(" \u{7}".into()), claimed: claimed.map(str::to_owned), bytes: vec![] }.label();
        assert_eq!((unnamed(Some("image/png")), unnamed(None)), ("unnamed image/png".to_owned(), "unnamed".to_owned()));
    }

    #[test]
    fn notes_follow_the_answer_and_give_way_to_it_at_the_limit() {
        let raw = "From: a@example.com\r\nSubject: x\r\n\r\nShort.";
        let Some(message) = MessageParser::default().parse(raw.as_bytes()) else { unreachable!() };
        let notes = ["Attachment not stored: a.svg (90 bytes): not allowed".to_owned()];
        assert_eq!(answer_text(&message, &notes).body, "Short.\n\n[Attachment not stored: a.svg (90 bytes): not allowed]");
        let long = format!("From: a@example.com\r\nSubject: x\r\n\r\n{}", "word ".repeat(3000));
        let Some(message) = MessageParser::default().parse(long.as_bytes()) else { unreachable!() };
        let text = answer_text(&message, &notes);
        assert!(text.body.chars().count() <= MAX_MESSAGE && text.body.ends_with("not allowed]"), "{}", &text.body[text.body.len() - 120..]);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        for (bytes, expected) in [(0, "0 bytes"), (999, "999 bytes"), (1000, "1.0 KB"), (68_200, "68.2 KB"), (2_500_000, "2.5 MB")] {
            assert_eq!(human_size(bytes), expected);
        }
    }
}
