//! Web origins (`scheme://host[:port]`): how `buoy.toml` writes the
//! origins that may embed a site's widget, and how a browser's origin is
//! matched against them.
//!
//! In every build, the widget's too: the panel checks the host origin its
//! URL fragment names ([`crate::fragment`]) with the same rules the worker
//! uses for `frame-ancestors` and CORS. Byte checks only, no Unicode tables.

/// Whether `origin` is written as an origin: `http` or `https`, a host of
/// lowercase letters, digits, dots and dashes (or a bracketed IPv6
/// address), an optional port (digits or `*`), and nothing after it.
pub fn is_origin_pattern(origin: &str) -> bool {
    // Prefixes and single-character splits only: a substring search or a
    // slice would bring the standard library's searcher and panic paths
    // into the widget, which checks its host's origin with this.
    let Some(rest) = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")) else {
        return false;
    };
    let (host_ok, port) = match rest.strip_prefix('[') {
        // A bracketed IPv6 address: its colons are inside the brackets.
        Some(v6) => match v6.split_once(']') {
            Some((address, after)) if after.is_empty() || after.starts_with(':') => {
                (!address.is_empty() && address.bytes().all(|c| c.is_ascii_hexdigit() || c == b':'), after.strip_prefix(':'))
            }
            _ => return false,
        },
        None => {
            let (host, port) = match rest.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            };
            let host_ok = !host.is_empty()
                && host.split('.').all(|label| !label.is_empty() && !label.starts_with('-'))
                && host.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-');
            (host_ok, port)
        }
    };
    let port_ok = match port {
        None => true,
        Some("*") => true,
        Some(digits) => {
            !digits.is_empty()
                && digits
                    .bytes()
                    .try_fold(0u32, |n, c| (c.is_ascii_digit() && n <= 65_535).then(|| n * 10 + u32::from(c - b'0')))
                    .is_some_and(|n| (1..=65_535).contains(&n))
        }
    };
    host_ok && port_ok
}

/// Whether the browser origin `origin` (as in an `Origin` header or
/// `MessageEvent.origin`) is allowed by `pattern`. A port wildcard
/// matches a port as browsers write it: 1 to 5 digits, no leading zero.
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    match pattern.strip_suffix(":*") {
        Some(base) => origin
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|port| (1..=5).contains(&port.len()) && !port.starts_with('0') && port.bytes().all(|c| c.is_ascii_digit())),
        None => pattern == origin,
    }
}

/// Whether `origin` is one browser origin: an [`is_origin_pattern`]
/// without the port wildcard, as `location.origin` and
/// `MessageEvent.origin` write it for `http` and `https` pages.
pub fn is_origin(origin: &str) -> bool {
    is_origin_pattern(origin) && !origin.contains('*')
}

/// The origin (`scheme://host[:port]`) of an `http` or `https` URL.
pub fn url_origin(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let origin = &url[..url.len() - rest.len() + end];
    is_origin(origin).then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_patterns() {
        for ok in [
            "https://app.example.com",
            "http://127.0.0.1:8788",
            "http://localhost:*",
            "http://[::1]:3000",
            "http://[::1]",
            "http://[::1]:*",
            "https://a-b.example",
            "https://a.example:65535",
        ] {
            assert!(is_origin_pattern(ok), "{ok}");
        }
        for bad in [
            "",
            "app.example.com",
            "https://app.example.com/",
            "https://app.example.com/path",
            "ftp://example.com",
            "https://App.example.com",
            "https://example.com:0",
            "https://example.com:99999",
            "https://example.com:",
            "https://example.com:+80",
            "https://example.com:65536",
            "https://a.example:80:80",
            "http://[::1]x",
            "http://[::1",
            "http://[]:80",
            "https://*.example.com",
            "*",
            "null",
        ] {
            assert!(!is_origin_pattern(bad), "{bad}");
        }
    }

    #[test]
    fn origin_matching_is_exact_but_for_a_port_wildcard() {
        for (pattern, origin, expected) in [
            ("http://127.0.0.1:8788", "http://127.0.0.1:8788", true),
            ("http://127.0.0.1:8788", "http://127.0.0.1:8789", false),
            ("http://127.0.0.1:8788", "http://127.0.0.1:8788.evil.com", false),
            ("http://127.0.0.1:*", "http://127.0.0.1:41234", true),
            ("http://127.0.0.1:*", "http://127.0.0.1", false),
            ("http://127.0.0.1:*", "http://127.0.0.1:1.evil.com", false),
            ("http://127.0.0.1:*", "http://127.0.0.10:80", false),
            ("http://127.0.0.1:*", "http://127.0.0.1:080", false),
            ("http://127.0.0.1:*", "http://127.0.0.1:123456", false),
            ("http://127.0.0.1:*", "http://127.0.0.1:65535", true),
            ("http://127.0.0.1:*", "http://127.0.0.1:80\n", false),
            ("https://app.example.com", "http://app.example.com", false),
            ("https://app.example.com", "null", false),
        ] {
            assert_eq!(origin_matches(pattern, origin), expected, "{pattern} vs {origin}");
        }
    }

    #[test]
    fn origins_of_urls() {
        assert_eq!(url_origin("https://challenges.cloudflare.com/turnstile/v0/api.js"), Some("https://challenges.cloudflare.com"));
        assert_eq!(url_origin("http://127.0.0.1:9000/api.js?x=1"), Some("http://127.0.0.1:9000"));
        assert_eq!(url_origin("http://127.0.0.1:9000"), Some("http://127.0.0.1:9000"));
        for bad in ["javascript:alert(1)", "https://", "https://a b/", "ftp://x.example/", "https://*.example/"] {
            assert_eq!(url_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn one_origin_has_no_port_wildcard() {
        for (origin, expected) in [
            ("https://app.example.com", true),
            ("http://127.0.0.1:8788", true),
            ("http://[::1]:3000", true),
            ("http://127.0.0.1:*", false),
            ("https://app.example.com/", false),
            ("javascript:alert(1)//", false),
            ("https://app.example.com\n", false),
            ("https://user@app.example.com", false),
            ("https://app.example.com?x", false),
        ] {
            assert_eq!(is_origin(origin), expected, "{origin}");
        }
    }
}
