//! The widget page's URL fragment: what the loader tells the panel, and
//! the only thing the panel believes about its host.
//!
//! The loader opens `/widget/{site}/#o=<origin>` with the host page's
//! origin percent-encoded. The grammar:
//!
//! ```text
//! fragment = "" | param *( "&" param )
//! param    = key "=" value          ; value percent-encoded
//! o        = http(s)://host[:port]  ; the host page's origin
//! ```
//!
//! Keys the panel does not read are ignored, so a newer loader can say
//! more: `l` (a language tag) and `m` (`inline`, the panel drawn in the
//! host's layout) are reserved for that. The panel's language itself is
//! not in the fragment but in the path (`/widget/{site}/{locale}/`, see
//! `headers::widget_path`): a fragment never reaches the worker, which
//! serves each language's page. A repeated key (any key),
//! a part without `=`, bad percent-encoding, or an `o` that is not ASCII
//! or not allowed refuse the whole fragment. The origin must also be one the site
//! allows: the worker writes the site's allowed origin patterns into the
//! page it serves ([`with_origins`], the `#buoy-origins` block), and
//! [`Fragment::parse`] matches the origin against them. A panel whose
//! fragment is refused talks to nobody (it posts no message and takes
//! none) and builds no link to the host page.
//!
//! ```
//! use buoy_shared::fragment::Fragment;
//! let allowed = ["https://app.example.com".to_owned()];
//! let fragment = Fragment::parse("o=https%3A%2F%2Fapp.example.com&l=fr", &allowed);
//! assert_eq!(fragment.and_then(|f| f.origin).as_deref(), Some("https://app.example.com"));
//! assert_eq!(Fragment::parse("o=javascript%3Aalert(1)%2F%2F", &allowed), None);
//! ```

use crate::origin::origin_matches;

/// What an accepted fragment says (the keys the panel reads).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fragment {
    /// The host page's origin (`o`), one the site allows; `None` when the
    /// fragment names none (the page opened on its own).
    pub origin: Option<String>,
}

impl Fragment {
    /// Reads `fragment` (`location.hash` without its `#`) against the
    /// site's allowed origin patterns. `None` refuses it: a part that is
    /// not `key=value`, a repeated key, bad percent-encoding or non-ASCII, an
    /// `o` that is not an `http(s)://host[:port]` origin or that no
    /// pattern allows.
    pub fn parse(fragment: &str, allowed: &[String]) -> Option<Self> {
        let mut out = Self::default();
        if fragment.is_empty() {
            return Some(out);
        }
        let mut parts = fragment.split('&');
        while let Some(part) = parts.next() {
            let (key, raw) = part.split_once('=')?;
            // A key again further on: which one would count is ambiguous.
            if key.is_empty() || parts.clone().any(|later| later.split_once('=').is_some_and(|(k, _)| k == key)) {
                return None;
            }
            // Keys the panel does not read (`l`, `m`, a newer loader's) are skipped.
            if key == "o" {
                // The patterns are `buoy.toml`'s, each checked by
                // `origin::is_origin_pattern` when the worker was built,
                // so an origin one of them matches is itself
                // `http(s)://host[:port]` and nothing more.
                let origin = percent_decode(raw)?;
                if !allowed.iter().any(|pattern| origin_matches(pattern, &origin)) {
                    return None;
                }
                out.origin = Some(origin);
            }
        }
        Some(out)
    }
}

/// `%XX` escapes decoded, strictly: a `%` not followed by two hex
/// digits gives `None`, and so does any byte outside ASCII, since every
/// value a known key takes is ASCII (UTF-8 validation would only weigh
/// on the panel). `+` stays a `+`.
fn percent_decode(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw.bytes();
    while let Some(b) = rest.next() {
        let byte = if b == b'%' { hex(rest.next()?)? << 4 | hex(rest.next()?)? } else { b };
        if !byte.is_ascii() {
            return None;
        }
        out.push(char::from(byte));
    }
    Some(out)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The widget page with the site's allowed origin patterns in it, as an
/// inert JSON block (`<script type="application/json" id="buoy-origins">`)
/// before `</head>`: the panel checks its fragment's origin against them.
/// Patterns are validated by `buoy.toml`'s checks; they are escaped for a
/// JSON string inside a `<script>` element anyway.
#[cfg(feature = "server")]
pub fn with_origins(page: &[u8], patterns: &[String]) -> Vec<u8> {
    let json = serde_json::to_string(patterns).unwrap_or_else(|_| "[]".into()).replace('<', "\\u003c");
    let block = format!("<script type=\"application/json\" id=\"buoy-origins\">{json}</script>");
    crate::panel::insert_before(page, "</head>", &block, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Vec<String> {
        vec!["https://app.example.com".to_owned(), "http://127.0.0.1:*".to_owned()]
    }

    fn origin_of(fragment: &str) -> Option<String> {
        Fragment::parse(fragment, &demo()).and_then(|f| f.origin)
    }

    #[test]
    fn fragment_with_an_allowed_origin_is_accepted() {
        for (fragment, origin) in [
            ("o=https%3A%2F%2Fapp.example.com", "https://app.example.com"),
            ("o=https://app.example.com", "https://app.example.com"),
            ("o=http%3A%2F%2F127.0.0.1%3A41234", "http://127.0.0.1:41234"),
            ("o=https%3A%2F%2Fapp.example.com&l=pt-BR&m=inline", "https://app.example.com"),
            // Unknown keys are a newer loader's: ignored.
            ("o=https%3A%2F%2Fapp.example.com&theme=dark", "https://app.example.com"),
        ] {
            assert_eq!(origin_of(fragment).as_deref(), Some(origin), "{fragment}");
        }
    }

    #[test]
    fn fragment_with_javascript_scheme_is_refused() {
        for fragment in
            ["o=javascript:alert(document.domain)//", "o=javascript%3Aalert(document.domain)%2F%2F", "javascript:alert(document.domain)//"]
        {
            assert_eq!(Fragment::parse(fragment, &demo()), None, "{fragment}");
        }
    }

    #[test]
    fn fragment_with_data_or_other_schemes_is_refused() {
        for fragment in ["o=data%3Atext%2Fhtml%2C%3Cscript%3Ealert(1)%3C%2Fscript%3E", "o=ftp%3A%2F%2Fapp.example.com", "o=null", "o="] {
            assert_eq!(Fragment::parse(fragment, &demo()), None, "{fragment}");
        }
    }

    #[test]
    fn fragment_origin_not_allowed_by_site_is_refused() {
        for fragment in [
            "o=https%3A%2F%2Fevil.example",
            "o=http%3A%2F%2Fapp.example.com",
            "o=https%3A%2F%2Fapp.example.com.evil.example",
            "o=http%3A%2F%2F127.0.0.1",
            "o=http%3A%2F%2F127.0.0.10%3A80",
        ] {
            assert_eq!(Fragment::parse(fragment, &demo()), None, "{fragment}");
        }
        // The same origin is refused by a site that does not list it.
        assert_eq!(Fragment::parse("o=https%3A%2F%2Fapp.example.com", &["https://other.example".to_owned()]), None);
        assert_eq!(Fragment::parse("o=https%3A%2F%2Fapp.example.com", &[]), None);
    }

    #[test]
    fn fragment_origin_with_path_query_userinfo_or_wildcard_is_refused() {
        for fragment in [
            "o=https%3A%2F%2Fapp.example.com%2F",
            "o=https%3A%2F%2Fapp.example.com%2Fevil",
            "o=https%3A%2F%2Fapp.example.com%3Fx%3D1",
            "o=https%3A%2F%2Fapp.example.com%23x",
            "o=https%3A%2F%2Fuser%40app.example.com",
            "o=http%3A%2F%2F127.0.0.1%3A*",
            "o=https%3A%2F%2FAPP.example.com",
        ] {
            assert_eq!(Fragment::parse(fragment, &demo()), None, "{fragment}");
        }
    }

    #[test]
    fn fragment_with_control_characters_or_bad_encoding_is_refused() {
        for fragment in [
            "o=https%3A%2F%2Fapp.example.com%0A",
            "o=https%3A%2F%2Fapp.example.com%0d%0a",
            "o=https%3A%2F%2Fapp.example.com%00",
            "o=https%3A%2F%2Fapp.example.com%20",
            "o=https%3A%2F%2Fapp.example.com%",
            "o=https%3A%2F%2Fapp.example.com%zz",
            "o=https%3A%2F%2Fapp.%C3%A9xample.com",
            "o=https%3A%2F%2Fapp.example.com%FF",
            "o=%E2%80%AEhttps%3A%2F%2Fapp.example.com",
        ] {
            assert_eq!(Fragment::parse(fragment, &demo()), None, "{fragment}");
        }
    }

    #[test]
    fn fragment_with_a_repeated_key_or_a_bare_part_is_refused() {
        for fragment in [
            "o=https%3A%2F%2Fapp.example.com&o=https%3A%2F%2Fevil.example",
            "o=https%3A%2F%2Fapp.example.com&o=https%3A%2F%2Fapp.example.com",
            "o=https%3A%2F%2Fapp.example.com&x=1&x=2",
            "o=https%3A%2F%2Fapp.example.com&",
            "https%3A%2F%2Fapp.example.com",
            "=https%3A%2F%2Fapp.example.com",
        ] {
            assert_eq!(Fragment::parse(fragment, &demo()), None, "{fragment}");
        }
    }

    #[test]
    fn reserved_and_unknown_keys_are_ignored_but_not_repeated() {
        let origin = "o=https%3A%2F%2Fapp.example.com";
        for extra in ["l=pt-BR", "m=inline", "l=anything&m=else", "theme=dark"] {
            assert_eq!(origin_of(&format!("{origin}&{extra}")).as_deref(), Some("https://app.example.com"), "{extra}");
        }
        for repeated in ["l=en&l=fr", "m=inline&m=inline"] {
            assert_eq!(Fragment::parse(&format!("{origin}&{repeated}"), &demo()), None, "{repeated}");
        }
    }

    #[test]
    fn no_fragment_means_no_host() {
        assert_eq!(Fragment::parse("", &demo()), Some(Fragment::default()));
        assert_eq!(Fragment::parse("l=en", &demo()), Some(Fragment::default()));
    }

    #[cfg(feature = "server")]
    #[test]
    fn the_page_carries_the_sites_origin_patterns_before_its_head_ends() {
        let page = b"<html><head><title>Help</title></head><body></body></html>";
        let out = with_origins(page, &["https://a.example".to_owned(), "http://127.0.0.1:*".to_owned()]);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "<html><head><title>Help</title><script type=\"application/json\" id=\"buoy-origins\">\
             [\"https://a.example\",\"http://127.0.0.1:*\"]</script></head><body></body></html>"
        );
        // Nothing in a pattern can close the block.
        let out = with_origins(page, &["</script><script>alert(1)</script>".to_owned()]);
        assert!(!String::from_utf8_lossy(&out).contains("</script><script>"));
    }
}
