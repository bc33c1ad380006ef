//! A file's name: checked, never silently changed but for its length.

use super::Refusal;

/// The longest name kept, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 120;

/// The longest extension kept whole when a long name is shortened.
const MAX_EXTENSION_BYTES: usize = 16;

/// Whether `c` may not appear in a name: a path separator, a control
/// character, or one that reorders text (bidirectional overrides,
/// embeddings, isolates and marks), which could make `exe.png` of
/// `gnp.exe`.
fn is_forbidden(c: char) -> bool {
    matches!(c, '/' | '\\' | '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') || c.is_control()
}

/// The name a file is stored and shown under. A name holding a path
/// separator, `..`, a control character or a bidirectional control is
/// refused, never cleaned (what was asked for is what is stored, or
/// nothing is); a name over [`MAX_NAME_BYTES`] is shortened on a
/// character boundary, keeping its extension.
///
/// # Errors
/// [`Refusal::NameRequired`] for an empty or blank name,
/// [`Refusal::InvalidName`] for the rest.
pub fn sanitize_name(raw: &str) -> Result<String, Refusal> {
    if raw.trim().is_empty() {
        return Err(Refusal::NameRequired);
    }
    if raw.chars().any(is_forbidden) || raw.contains("..") {
        return Err(Refusal::InvalidName);
    }
    if raw.len() <= MAX_NAME_BYTES {
        return Ok(raw.to_owned());
    }
    let (stem, extension) = match raw.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= MAX_EXTENSION_BYTES => (stem, Some(ext)),
        _ => (raw, None),
    };
    let room = MAX_NAME_BYTES - extension.map_or(0, |e| e.len() + 1);
    let mut cut = room.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    // A cut just after a dot would meet the extension's dot: `..`.
    let stem = stem[..cut].trim_end_matches(|c: char| c.is_whitespace() || c == '.');
    Ok(match extension {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_are_kept_as_given() {
        for name in
            ["report.pdf", "Screenshot 2026-01-02 at 10.15.03.png", "résumé (1).txt", "日本語のファイル.zip", ".env", "no extension"]
        {
            assert_eq!(sanitize_name(name).as_deref(), Ok(name));
        }
    }

    #[test]
    fn separators_dots_controls_and_reordering_characters_are_refused() {
        for name in [
            "../etc/passwd",
            "a/b.png",
            "a\\b.png",
            "..",
            "x..png",
            "line\nbreak.txt",
            "tab\there.txt",
            "nul\0.txt",
            "del\u{7f}.txt",
            "c1\u{85}.txt",
            "invoice\u{202e}fdp.exe",
            "isolate\u{2067}x.png",
            "mark\u{200f}.png",
        ] {
            assert_eq!(sanitize_name(name), Err(Refusal::InvalidName), "{name:?}");
        }
        for name in ["", "   ", "\t"] {
            assert!(sanitize_name(name).is_err(), "{name:?}");
        }
        assert_eq!(sanitize_name(""), Err(Refusal::NameRequired));
    }

    #[test]
    fn a_long_name_is_shortened_on_a_character_boundary_keeping_its_extension() {
        let long = format!("{}.pdf", "é".repeat(100));
        let short = sanitize_name(&long).unwrap_or_default();
        assert!(short.len() <= MAX_NAME_BYTES, "{}", short.len());
        assert!(short.ends_with("é.pdf"), "{short}");
        let dotted = format!("{}.{}.pdf", "a".repeat(115), "b".repeat(10));
        assert_eq!(sanitize_name(&dotted), Ok(format!("{}.pdf", "a".repeat(115))), "no `..` where the cut meets a dot");
        let no_ext = "x".repeat(300);
        assert_eq!(sanitize_name(&no_ext).map(|n| n.len()), Ok(MAX_NAME_BYTES));
    }

    /// Property tests: host only (proptest's random source does not build for wasm32).
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn a_kept_name_is_short_safe_and_keeps_its_extension(raw in "\\PC{0,200}", ext in proptest::option::of("[a-z]{1,5}")) {
                let raw = match &ext { Some(ext) => format!("{raw}.{ext}"), None => raw };
                if let Ok(name) = sanitize_name(&raw) {
                    prop_assert!(name.len() <= MAX_NAME_BYTES);
                    prop_assert!(!name.chars().any(is_forbidden));
                    prop_assert!(!name.contains(".."));
                    prop_assert!(!name.trim().is_empty());
                    if let (Some(ext), true) = (&ext, raw.len() <= MAX_NAME_BYTES) {
                        prop_assert_eq!(&name, &raw, "{}", ext);
                    }
                    if let Some(ext) = &ext {
                        prop_assert!(name.ends_with(&format!(".{ext}")), "{:?} from {:?}", name, raw);
                    }
                }
            }

            #[test]
            fn any_string_with_a_forbidden_character_is_refused(before in "\\PC{0,20}", bad in prop::sample::select(vec!['/', '\\', '\n', '\0', '\u{202e}', '\u{2066}', '\u{1b}']), after in "\\PC{0,20}") {
                let raw = format!("{before}{bad}{after}");
                prop_assert!(sanitize_name(&raw).is_err());
            }
        }
    }
}
