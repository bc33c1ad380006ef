//! The URL path patterns of an article's `suggest_on`.

/// Whether the URL path `path` matches `pattern`, where `*` stands for any
/// run of characters, `/` included, and everything else must be equal
/// (case included). A query or fragment on `path` is ignored: `/billing*`
/// matches `/billing`, `/billing/invoices` and `/billing?tab=1`, not
/// `/bill`; `*` matches every path.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let (p, s) = (pattern.as_bytes(), path.as_bytes());
    let (mut pi, mut si) = (0, 0);
    // After a `*`: where the pattern resumes, and the path position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    loop {
        match p.get(pi) {
            Some(b'*') => {
                pi += 1;
                star = Some((pi, si));
                continue;
            }
            Some(c) if s.get(si) == Some(c) => {
                pi += 1;
                si += 1;
                continue;
            }
            None if si == s.len() => return true,
            _ => {}
        }
        match star {
            Some((resume, tried)) if tried < s.len() => {
                star = Some((resume, tried + 1));
                pi = resume;
                si = tried + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_patterns() {
        for (pattern, path, expected) in [
            ("/billing*", "/billing", true),
            ("/billing*", "/billing/invoices", true),
            ("/billing*", "/billing-history", true),
            ("/billing*", "/billing?tab=plans", true),
            ("/billing*", "/bill", false),
            ("/billing*", "/settings/billing", false),
            ("*", "/", true),
            ("*", "/anything/at/all", true),
            ("*", "", true),
            ("/", "/", true),
            ("/", "/dashboard", false),
            ("/", "/#top", true),
            ("/settings/*/password", "/settings/team/password", true),
            ("/settings/*/password", "/settings/a/b/password", true),
            ("/settings/*/password", "/settings/password", false),
            ("/settings/*/password", "/settings/team/password/reset", false),
            ("/settings/*/password", "/settings/team/password#x", true),
            ("/a*b*c", "/aXbYbZc", true),
            ("/a*b*c", "/aXbYbZ", false),
            ("/Login", "/login", false),
            ("/caf\u{e9}*", "/caf\u{e9}/menu", true),
        ] {
            assert_eq!(path_matches(pattern, path), expected, "{pattern} {path}");
        }
    }
}
