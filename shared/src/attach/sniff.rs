//! Recognising a file from its first bytes.

use super::{FileKind, Refusal};

/// How many of a file's first bytes [`sniff`] needs at most: every magic
/// number and image header Buoy reads lies within them (a JPEG's frame
/// header follows its metadata segments, which may fill a few dozen KiB).
pub const SNIFF_BYTES: usize = 64 * 1024;

/// What the bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sniffed {
    /// The kind.
    pub kind: FileKind,
    /// An image's width, when its header gives one.
    pub width: Option<u32>,
    /// An image's height, when its header gives one.
    pub height: Option<u32>,
}

/// The kind of a file from its first bytes (`head`: up to [`SNIFF_BYTES`],
/// and `complete` when that is the whole file), and an image's
/// dimensions: magic numbers only, never a name or a claimed type.
///
/// Plain text is UTF-8 without NUL or other control bytes (tab, line
/// feed, form feed and carriage return excepted) that does not start,
/// after white space and a byte-order mark, like HTML, XML or SVG.
///
/// # Errors
/// [`Refusal::EmptyFile`] for no bytes; [`Refusal::UnsupportedType`] for
/// anything else that is not one of [`FileKind::ALL`].
pub fn sniff(head: &[u8], complete: bool) -> Result<Sniffed, Refusal> {
    use crate::kb::image::{size, Format};
    let plain = |kind| Sniffed { kind, width: None, height: None };
    // An image's dimensions are read as the knowledge base's images are.
    let image = |kind, format| {
        let found = size(format, head);
        Sniffed { kind, width: found.map(|s| s.0), height: found.map(|s| s.1) }
    };
    if head.is_empty() {
        return Err(Refusal::EmptyFile);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(image(FileKind::Png, Format::Png));
    }
    if head.starts_with(b"\xff\xd8\xff") {
        return Ok(image(FileKind::Jpeg, Format::Jpeg));
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Ok(image(FileKind::Gif, Format::Gif));
    }
    if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        return Ok(image(FileKind::Webp, Format::Webp));
    }
    if head.starts_with(b"%PDF-") {
        return Ok(plain(FileKind::Pdf));
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Ok(plain(FileKind::Zip));
    }
    if is_plain_text(head, complete) {
        return Ok(plain(FileKind::Text));
    }
    Err(Refusal::UnsupportedType)
}

/// Markup a browser would take for HTML, XML or SVG (the WHATWG MIME
/// sniffing patterns, and `<?xml`, `<svg`), matched without regard to
/// case after leading white space.
const MARKUP: &[&[u8]] = &[
    b"<!doctype",
    b"<html",
    b"<head",
    b"<script",
    b"<iframe",
    b"<h1",
    b"<div",
    b"<font",
    b"<table",
    b"<a",
    b"<style",
    b"<title",
    b"<b",
    b"<body",
    b"<br",
    b"<p",
    b"<!--",
    b"<?xml",
    b"<svg",
];

/// Whether text starts like markup: one of [`MARKUP`] followed by a
/// space or `>` (or, for `<!--` and `<?xml`, by anything).
fn looks_like_markup(text: &[u8]) -> bool {
    let start = text.iter().position(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')).unwrap_or(text.len());
    let text = &text[start..];
    MARKUP.iter().any(|pattern| {
        let Some(head) = text.get(..pattern.len()) else { return false };
        if !head.eq_ignore_ascii_case(pattern) {
            return false;
        }
        let open_ended = pattern.starts_with(b"<!--") || pattern.starts_with(b"<?");
        open_ended || matches!(text.get(pattern.len()), None | Some(b' ' | b'>' | b'\t' | b'\n' | b'\x0c' | b'\r' | b'/'))
    })
}

/// UTF-8 (a character cut at the end of an incomplete head is allowed)
/// without control bytes but tab, line feed, form feed and carriage
/// return, and not markup.
fn is_plain_text(head: &[u8], complete: bool) -> bool {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let valid = match core::str::from_utf8(text) {
        Ok(_) => true,
        // Only a character the head cut short, and only where more follows.
        Err(e) => !complete && e.error_len().is_none(),
    };
    valid && !text.iter().any(|b| (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r')) || *b == 0x7f) && !looks_like_markup(text)
}

/// The kind a name's extension claims: `Some(None)` for a markup or
/// script extension (which no accepted kind matches), `None` for no
/// extension or one that says nothing Buoy checks.
fn extension_claim(name: &str) -> Option<Option<FileKind>> {
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => Some(FileKind::Png),
        "jpg" | "jpeg" | "jpe" | "jfif" => Some(FileKind::Jpeg),
        "gif" => Some(FileKind::Gif),
        "webp" => Some(FileKind::Webp),
        "pdf" => Some(FileKind::Pdf),
        "txt" | "text" | "log" | "csv" => Some(FileKind::Text),
        "zip" => Some(FileKind::Zip),
        "html" | "htm" | "xhtml" | "shtml" | "svg" | "svgz" | "xml" | "xsl" | "xslt" | "js" | "mjs" => None,
        _ => return None,
    })
}

/// The kind a `Content-Type` claims, in the same terms as
/// [`extension_claim`]; `application/octet-stream` claims nothing.
fn media_type_claim(content_type: &str) -> Option<Option<FileKind>> {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    Some(match essence.as_str() {
        "" | "application/octet-stream" => return None,
        "image/png" => Some(FileKind::Png),
        "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(FileKind::Jpeg),
        "image/gif" => Some(FileKind::Gif),
        "image/webp" => Some(FileKind::Webp),
        "application/pdf" => Some(FileKind::Pdf),
        "application/zip" | "application/x-zip-compressed" => Some(FileKind::Zip),
        "text/html"
        | "application/xhtml+xml"
        | "image/svg+xml"
        | "text/xml"
        | "application/xml"
        | "text/javascript"
        | "application/javascript"
        | "text/xsl" => None,
        t if t.starts_with("text/") => Some(FileKind::Text),
        t if t.starts_with("image/") => None,
        _ => return None,
    })
}

/// Checks what the upload claimed (its name's extension and the request's
/// `Content-Type`) against the kind its bytes are. A claim of no
/// particular kind (no extension, an extension Buoy does not know,
/// `application/octet-stream`, a type such as `application/json`) is no
/// contradiction; a claim of another kind, of markup or script, or of an
/// image of another format is.
///
/// # Errors
/// [`Refusal::TypeMismatch`].
pub fn check_claim(kind: FileKind, name: &str, content_type: Option<&str>) -> Result<(), Refusal> {
    let claims = [extension_claim(name), content_type.and_then(media_type_claim)];
    if claims.into_iter().flatten().any(|claim| claim != Some(kind)) {
        return Err(Refusal::TypeMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×2 PNG's first bytes.
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x03\0\0\0\x02\x08\x02\0\0\0";
    /// A JPEG with an APP0 segment before its frame header (640×480).
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xc0\0\x11\x08\x01\xe0\x02\x80\x03";
    /// A GIF, 7×5, that is also JavaScript (`GIF89a=...`): a polyglot.
    const POLYGLOT: &[u8] = b"GIF89a\x07\0\x05\0\0\0\0;window.pwned=1;//";

    fn webp(chunk: &[u8]) -> Vec<u8> {
        [b"RIFF\0\0\0\0WEBP".as_slice(), chunk].concat()
    }

    #[test]
    fn images_are_recognised_by_their_magic_numbers_with_their_dimensions() {
        let vp8 = webp(b"VP8 \0\0\0\0\0\0\0\x9d\x01\x2a\x20\x03\x58\x02");
        // Lossless 100×50: width-1 = 99, height-1 = 49 in 14-bit fields.
        let bits: u32 = 99 | (49 << 14);
        let vp8l = webp(&[b"VP8L\0\0\0\0\x2f".as_slice(), &bits.to_le_bytes()].concat());
        let vp8x = webp(b"VP8X\x0a\0\0\0\0\0\0\0\x1f\x03\0\xdf\x01\0");
        for (bytes, kind, size) in [
            (PNG, FileKind::Png, Some((3, 2))),
            (JPEG, FileKind::Jpeg, Some((640, 480))),
            (POLYGLOT, FileKind::Gif, Some((7, 5))),
            (vp8.as_slice(), FileKind::Webp, Some((800, 600))),
            (vp8l.as_slice(), FileKind::Webp, Some((100, 50))),
            (vp8x.as_slice(), FileKind::Webp, Some((800, 480))),
            (b"\xff\xd8\xff\xe0\0\x10JFIF".as_slice(), FileKind::Jpeg, None),
        ] {
            let sniffed = sniff(bytes, true);
            assert_eq!(sniffed, Ok(Sniffed { kind, width: size.map(|s| s.0), height: size.map(|s| s.1) }), "{kind}");
        }
    }

    #[test]
    fn documents_archives_and_plain_text_are_recognised() {
        for (bytes, kind) in [
            (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3".as_slice(), FileKind::Pdf),
            (b"PK\x03\x04\x14\0\0\0", FileKind::Zip),
            (b"PK\x05\x06\0\0\0\0", FileKind::Zip),
            (b"2026-01-02 error: export failed\r\n\tat line 3\n", FileKind::Text),
            (b"\xef\xbb\xbfname,amount\nAda,3\n", FileKind::Text),
            ("Ça ne marche pas — 失败".as_bytes(), FileKind::Text),
            (b"a < b and b > c", FileKind::Text),
            (b"<2026-01-02> started", FileKind::Text),
        ] {
            assert_eq!(sniff(bytes, true).map(|s| s.kind), Ok(kind), "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn markup_executables_and_binary_are_refused() {
        for bytes in [
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".as_slice(),
            b"  \n<!DOCTYPE html><p>hi",
            b"<HTML>",
            b"\xef\xbb\xbf<html>",
            b"<?xml version=\"1.0\"?><svg/>",
            b"<script>alert(1)</script>",
            b"<!-- a comment -->",
            b"<b>bold</b>",
            b"MZ\x90\0\x03\0\0\0",
            b"\x7fELF\x02\x01\x01",
            b"text with a NUL\0 in it",
            b"\x1b[31mcoloured\x1b[0m",
            b"\xff\xfe not utf-8",
        ] {
            assert_eq!(sniff(bytes, true), Err(Refusal::UnsupportedType), "{:?}", String::from_utf8_lossy(bytes));
        }
        assert_eq!(sniff(b"", true), Err(Refusal::EmptyFile));
    }

    #[test]
    fn a_character_cut_by_the_end_of_the_head_is_text_only_when_more_follows() {
        let cut = &"logé".as_bytes()[..4];
        assert_eq!(sniff(cut, false).map(|s| s.kind), Ok(FileKind::Text));
        assert_eq!(sniff(cut, true), Err(Refusal::UnsupportedType));
    }

    #[test]
    fn a_claim_that_contradicts_the_bytes_is_refused() {
        for (kind, name, content_type, answer) in [
            (FileKind::Png, "shot.png", Some("image/png"), Ok(())),
            (FileKind::Png, "shot", None, Ok(())),
            (FileKind::Png, "Screenshot 2026-01-02.PNG", Some("application/octet-stream"), Ok(())),
            (FileKind::Jpeg, "photo.jpg", Some("image/jpeg"), Ok(())),
            (FileKind::Text, "server.log", Some("text/x-log"), Ok(())),
            (FileKind::Text, "data.csv", Some("text/csv; charset=utf-8"), Ok(())),
            (FileKind::Text, "notes.json", Some("application/json"), Ok(())),
            (FileKind::Zip, "report.docx", None, Ok(())),
            (FileKind::Gif, "funny.gif", Some("image/gif"), Ok(())),
            (FileKind::Gif, "shot.png", None, Err(Refusal::TypeMismatch)),
            (FileKind::Png, "shot.png", Some("image/gif"), Err(Refusal::TypeMismatch)),
            (FileKind::Text, "page.html", None, Err(Refusal::TypeMismatch)),
            (FileKind::Text, "notes.txt", Some("text/html"), Err(Refusal::TypeMismatch)),
            (FileKind::Text, "icon.svg", Some("image/svg+xml"), Err(Refusal::TypeMismatch)),
            (FileKind::Gif, "x.gif", Some("text/javascript"), Err(Refusal::TypeMismatch)),
            (FileKind::Pdf, "x.pdf", Some("image/png"), Err(Refusal::TypeMismatch)),
        ] {
            assert_eq!(check_claim(kind, name, content_type), answer, "{kind} {name} {content_type:?}");
        }
    }

    /// Property tests: host only (proptest's random source does not build for wasm32).
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn random_bytes_never_panic_and_only_accepted_kinds_come_back(bytes in proptest::collection::vec(any::<u8>(), 0..600), complete in any::<bool>()) {
                if let Ok(sniffed) = sniff(&bytes, complete) {
                    prop_assert!(FileKind::ALL.contains(&sniffed.kind));
                    prop_assert!(sniffed.kind.is_image() || (sniffed.width, sniffed.height) == (None, None));
                    prop_assert_eq!(sniffed.width.is_some(), sniffed.height.is_some());
                    if sniffed.kind == FileKind::Text {
                        prop_assert!(!bytes.contains(&0));
                        prop_assert!(!looks_like_markup(&bytes));
                    }
                }
            }

            #[test]
            fn any_markup_start_is_refused_whatever_follows(pattern in 0..MARKUP.len(), upper in any::<bool>(), space in "[ \t\r\n]{0,3}", rest in "[ >][ -~]{0,40}") {
                let tag = String::from_utf8_lossy(MARKUP[pattern]).into_owned();
                let tag = if upper { tag.to_ascii_uppercase() } else { tag };
                let text = format!("{space}{tag}{rest}");
                prop_assert_eq!(sniff(text.as_bytes(), true), Err(Refusal::UnsupportedType), "{:?}", text);
            }

            #[test]
            fn a_known_magic_number_decides_whatever_follows(which in 0..4usize, tail in proptest::collection::vec(any::<u8>(), 0..200)) {
                let (magic, kind): (&[u8], FileKind) = [
                    (b"\x89PNG\r\n\x1a\n".as_slice(), FileKind::Png),
                    (b"GIF89a", FileKind::Gif),
                    (b"%PDF-", FileKind::Pdf),
                    (b"PK\x03\x04", FileKind::Zip),
                ][which];
                let bytes = [magic, &tail].concat();
                prop_assert_eq!(sniff(&bytes, true).map(|s| s.kind), Ok(kind));
            }
        }
    }
}
