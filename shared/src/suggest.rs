//! Which articles the panel's home screen suggests: those whose
//! `suggest_on` patterns match the host page's path, unless the host page
//! named its own with `Buoy('suggest', [...])` (article ids, or URLs and
//! paths whose matching articles are meant).

use crate::kb::path_matches;

/// The path of a URL (`https://app.example.com/billing?x=1` → `/billing`);
/// a bare path is returned as it is, without query and fragment.
pub fn url_path(url: &str) -> &str {
    // Byte searches and `get`: no substring searcher and no slicing panic
    // reach the widget's wasm from here.
    let bytes = url.as_bytes();
    let after_scheme = bytes.windows(3).position(|w| w == b"://").map_or(0, |i| i + 3);
    let start = match after_scheme {
        0 => 0,
        from => bytes.iter().skip(from).position(|&b| b == b'/').map_or(bytes.len(), |i| from + i),
    };
    let end = bytes.iter().skip(start).position(|&b| b == b'?' || b == b'#').map_or(bytes.len(), |i| start + i);
    match url.get(start..end) {
        Some("") | None => "/",
        Some(path) => path,
    }
}

/// Indices of the articles to suggest, at most `limit`: for each override
/// (an id, or a URL/path, in the order given) the articles it names;
/// without overrides, the articles whose patterns match `page_url`'s path.
pub fn suggestions<'a, S: AsRef<str> + 'a>(docs: &[(&'a str, &'a [S])], page_url: &str, overrides: &[String], limit: usize) -> Vec<usize> {
    let matching = |url: &str| -> Vec<usize> {
        let path = url_path(url);
        docs.iter()
            .enumerate()
            .filter(|(_, (_, patterns))| patterns.iter().any(|p| path_matches(p.as_ref(), path)))
            .map(|(i, _)| i)
            .collect()
    };
    let mut out: Vec<usize> = Vec::new();
    let mut push = |i: usize| {
        if !out.contains(&i) && out.len() < limit {
            out.push(i);
        }
    };
    if overrides.is_empty() {
        matching(page_url).into_iter().for_each(&mut push);
    } else {
        for item in overrides {
            if item.contains('/') {
                matching(item).into_iter().for_each(&mut push);
            } else if let Some(i) = docs.iter().position(|(id, _)| id == item) {
                push(i);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_urls() {
        for (url, path) in [
            ("https://app.example.com/billing?tab=1#x", "/billing"),
            ("http://127.0.0.1:8788/", "/"),
            ("http://127.0.0.1:8788", "/"),
            ("/settings/team?x", "/settings/team"),
            ("", "/"),
        ] {
            assert_eq!(url_path(url), path, "{url}");
        }
    }

    #[test]
    fn suggestions_follow_the_page_unless_overridden() {
        let billing = vec!["/billing*".to_owned()];
        let home = vec!["/".to_owned(), "/dashboard*".to_owned()];
        let docs: Vec<(&str, &[String])> = vec![("invoices", &billing), ("status", &home), ("refunds", &billing)];
        assert_eq!(suggestions(&docs, "https://app.example.com/billing/plan", &[], 5), [0, 2]);
        assert_eq!(suggestions(&docs, "https://app.example.com/", &[], 5), [1]);
        assert_eq!(suggestions(&docs, "https://app.example.com/billing", &[], 1), [0]);
        let overrides = ["refunds".to_owned(), "https://app.example.com/dashboard".to_owned(), "nope".to_owned()];
        assert_eq!(suggestions(&docs, "https://app.example.com/billing", &overrides, 5), [2, 1]);
    }
}
