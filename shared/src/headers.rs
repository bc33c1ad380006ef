//! The security headers of every kind of response Buoy serves, in one
//! table.
//!
//! Every response carries [`COMMON`]: `nosniff`, no referrer, and HSTS.
//! HSTS goes on every response, plain `http` included: browsers ignore
//! it over `http` (RFC 6797 §8.1) and keep it over `https`, so sending it
//! always is the one rule that puts it on every HTTPS response without
//! knowing how the request reached the worker (a custom domain, a proxy
//! in front). Each [`ResponseClass`] adds its own: a CSP where the class
//! has a fixed one, and its caching.
//!
//! The worker applies the table to everything it serves (the API, widget
//! pages, the widget's assets, errors); the build renders the same table
//! as the static assets' `_headers` file ([`headers_file`]) for what is
//! served without the worker (the loader, the console, the knowledge base,
//! other files). The widget page's CSP is per site
//! (`config::Site::widget_page_csp`, `frame-ancestors` from `buoy.toml`).

use crate::messages::Locale;

/// Headers on every response.
pub const COMMON: [(&str, &str); 3] = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
];

/// JSON (and CSV) from the API, problems included: nothing may run in it,
/// nothing may frame it.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The agents' console: its own scripts, styles and API, never framed.
pub const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; \
                               form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// A kind of response, by what it is and who serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseClass {
    /// A `/v1/` answer that is not an error (the worker).
    Api,
    /// An error or a 404, from the API or any path the worker owns.
    Error,
    /// A site's widget page, `/widget/{site}/` (the worker adds the site's CSP).
    WidgetPage,
    /// A script under `/widget/` (the worker, from the assets): the
    /// Turnstile page script, which the worker names in a site's page.
    WidgetAsset,
    /// The loader, `/buoy.js`, and each site's, `/s/{site}.js` (static).
    Loader,
    /// The agents' console, `/console/` (static).
    Console,
    /// Content-hashed files (static): the knowledge base's, `/kb/`, and
    /// the widget's glue, wasm and CSS, `/w/{hash}/`, outside `/widget/`
    /// so that no worker runs for them.
    HashedAsset,
    /// Any other static file (the landing page, `/openapi.json`).
    Asset,
    /// The worker's answer for a script of `/w/` the assets lack
    /// ([`is_gone_script`]): [`RELOAD_MODULE`], which reloads the page.
    /// Never stored: it stands in for a file, not for its content.
    ReloadModule,
}

impl ResponseClass {
    /// Every class, for the `_headers` file and the tests.
    pub const ALL: [Self; 9] = [
        Self::Api,
        Self::Error,
        Self::WidgetPage,
        Self::WidgetAsset,
        Self::Loader,
        Self::Console,
        Self::HashedAsset,
        Self::Asset,
        Self::ReloadModule,
    ];

    /// Its Content-Security-Policy, where the class has a fixed one. The
    /// widget page's is the site's; scripts, wasm and styles are not
    /// documents, so a CSP on them would do nothing.
    pub fn content_security_policy(self) -> Option<&'static str> {
        match self {
            Self::Api | Self::Error => Some(API_CSP),
            Self::Console => Some(CONSOLE_CSP),
            Self::WidgetPage | Self::WidgetAsset | Self::Loader | Self::HashedAsset | Self::Asset | Self::ReloadModule => None,
        }
    }

    /// Its `Cache-Control`, where the class sets one (elsewhere the asset
    /// layer's default, which revalidates, holds).
    pub fn cache_control(self) -> Option<&'static str> {
        match self {
            // Answers about tickets are private and change; the reload
            // module answers for a missing file.
            Self::Api | Self::Error | Self::ReloadModule => Some("no-store"),
            // The page carries the site's origins and Turnstile key.
            Self::WidgetPage => Some("no-cache"),
            // Host pages pick up a new loader within five minutes.
            Self::Loader => Some("public, max-age=300"),
            // Their names change with their content.
            Self::HashedAsset => Some("public, max-age=31536000, immutable"),
            Self::WidgetAsset | Self::Console | Self::Asset => None,
        }
    }

    /// The headers of this class: [`COMMON`], then its CSP and caching.
    pub fn headers(self) -> Vec<(&'static str, &'static str)> {
        let mut out = COMMON.to_vec();
        out.extend(self.own_headers());
        out
    }

    /// The headers this class adds to [`COMMON`].
    fn own_headers(self) -> impl Iterator<Item = (&'static str, &'static str)> {
        let csp = self.content_security_policy().map(|v| ("Content-Security-Policy", v));
        let cache = self.cache_control().map(|v| ("Cache-Control", v));
        csp.into_iter().chain(cache)
    }

    /// The paths of the static assets in this class, as `_headers` writes
    /// them; none for what the worker serves itself.
    pub fn static_paths(self) -> &'static [&'static str] {
        match self {
            Self::Loader => &["/buoy.js", "/s/*"],
            Self::Console => &["/console/*"],
            Self::HashedAsset => &["/kb/*", "/w/*"],
            Self::Asset => &["/*"],
            Self::Api | Self::Error | Self::WidgetPage | Self::WidgetAsset | Self::ReloadModule => &[],
        }
    }
}

/// The static assets' `_headers` file. Workers Static Assets applies
/// every rule whose path matches and joins the values of a header named
/// twice, so each header is written once: [`COMMON`] under `/*`, and each
/// class's own headers under its paths.
pub fn headers_file() -> String {
    let mut out = String::from("# Generated by `cargo xtask build` from buoy-shared's headers table; do not edit.\n");
    let mut rule = |path: &str, headers: &mut dyn Iterator<Item = (&'static str, &'static str)>| {
        out.push_str(path);
        out.push('\n');
        for (name, value) in headers {
            out.push_str("  ");
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push('\n');
        }
    };
    rule("/*", &mut COMMON.into_iter());
    for class in ResponseClass::ALL {
        for path in class.static_paths().iter().filter(|p| **p != "/*") {
            rule(path, &mut class.own_headers());
        }
    }
    out
}

/// What the worker serves at a path under `/widget/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WidgetPath<'a> {
    /// `/widget/{site}/` or `/widget/{site}/{locale}/`: that site's page,
    /// with its CSP (a 404 when `buoy.toml` has no such site), in the
    /// locale the path names exactly ([`Locale::tag`]; without one, the
    /// site's default). A locale the catalog lacks is [`WidgetPath::NotFound`],
    /// not a fallback: the loader only names the catalog's own tags, and
    /// one URL per page keeps the pages a site serves a short, known list.
    Page {
        /// The site id, as the path names it.
        site: &'a str,
        /// The locale the path names, if any.
        locale: Option<Locale>,
    },
    /// `/widget/{name}.js`, `.wasm` or `.css`: a file from the assets
    /// ([`ResponseClass::WidgetAsset`]; the page's own are content-hashed
    /// under `/w/`, [`ResponseClass::HashedAsset`]).
    Asset,
    /// Anything else, a 404: `/widget/` and `/widget/index.html` (the page
    /// as the build wrote it, with no site and so no `frame-ancestors`),
    /// other HTML, deeper paths.
    NotFound,
}

/// What `path` is, when it is under `/widget/`. Only a site's page and
/// the widget's scripts, wasm and styles are served there, so no HTML
/// leaves `/widget/` without a site's CSP.
pub fn widget_path(path: &str) -> Option<WidgetPath<'_>> {
    let rest = path.strip_prefix("/widget/")?;
    if let Some(page) = rest.strip_suffix('/') {
        let (site, locale) = match page.split_once('/') {
            Some((site, tag)) => match Locale::exact(tag) {
                Some(locale) => (site, Some(locale)),
                None => return Some(WidgetPath::NotFound),
            },
            None => (page, None),
        };
        return Some(if crate::ids::SiteId::parse(site).is_ok() { WidgetPath::Page { site, locale } } else { WidgetPath::NotFound });
    }
    let asset = rest.rsplit_once('.').is_some_and(|(name, kind)| {
        matches!(kind, "js" | "wasm" | "css")
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    });
    Some(if asset { WidgetPath::Asset } else { WidgetPath::NotFound })
}

/// Where the build writes the widget page of a locale in the static
/// assets, and where the worker fetches it from: `/widget/` for English,
/// `/widget/{tag}/` for the others. Never served as it stands: every path
/// under `/widget/` reaches the worker, which answers with a site's page.
pub fn widget_page_asset(locale: Locale) -> String {
    match locale {
        Locale::En => "/widget/".to_owned(),
        other => format!("/widget/{}/", other.tag()),
    }
}

/// The module the worker answers with for a script of the widget's
/// content-hashed folder that the assets lack (from the assets).
pub const RELOAD_MODULE: &str = "/widget/reload.js";

/// Whether `path` is a script of the widget's content-hashed folder,
/// `/w/{hash}/{name}.js`. Those the assets have never reach the worker;
/// one that does is missing, named by a page from before a deploy (which
/// removed its build's folder), and gets [`RELOAD_MODULE`]: that page
/// reloads and names the current files. A 404 would leave it without its
/// inbox module, and so without a way to send what the requester typed.
///
/// `/widget/inbox.js` is gone the same way: pages built before the hashed
/// folder load their inbox module from there, and a tab open across the
/// deploy that introduced the folder reloads like any other.
pub fn is_gone_script(path: &str) -> bool {
    if path == "/widget/inbox.js" {
        return true;
    }
    let Some((hash, file)) = path.strip_prefix("/w/").and_then(|rest| rest.split_once('/')) else { return false };
    let name = file.strip_suffix(".js").unwrap_or_default();
    !hash.is_empty()
        && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(class: ResponseClass, name: &str) -> Option<&'static str> {
        class.headers().into_iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    #[test]
    fn header_table_gives_every_class_nosniff_and_hsts() {
        for class in ResponseClass::ALL {
            assert_eq!(value(class, "x-content-type-options"), Some("nosniff"), "{class:?}");
            let hsts = value(class, "strict-transport-security").unwrap_or_default();
            let max_age = hsts.strip_prefix("max-age=").and_then(|r| r.split(';').next()).and_then(|s| s.parse::<u64>().ok());
            assert!(max_age.is_some_and(|s| s >= 180 * 24 * 3600), "{class:?}: {hsts}");
            assert_eq!(value(class, "referrer-policy"), Some("no-referrer"), "{class:?}");
        }
    }

    #[test]
    fn header_table_names_each_header_once_per_class() {
        for class in ResponseClass::ALL {
            let headers = class.headers();
            for (i, (name, _)) in headers.iter().enumerate() {
                assert!(!headers[i + 1..].iter().any(|(n, _)| n.eq_ignore_ascii_case(name)), "{class:?} names {name} twice");
            }
        }
    }

    #[test]
    fn documents_that_must_not_be_framed_say_so() {
        for class in [ResponseClass::Api, ResponseClass::Error, ResponseClass::Console] {
            let csp = value(class, "content-security-policy").unwrap_or_default();
            assert!(csp.starts_with("default-src 'none'"), "{class:?}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{class:?}: {csp}");
        }
        // The widget page's framing is the site's: no fixed CSP would be right.
        assert_eq!(value(ResponseClass::WidgetPage, "content-security-policy"), None);
        assert_eq!(value(ResponseClass::WidgetPage, "cache-control"), Some("no-cache"));
        assert_eq!(value(ResponseClass::Api, "cache-control"), Some("no-store"));
        assert_eq!(value(ResponseClass::Error, "cache-control"), Some("no-store"));
        assert_eq!(value(ResponseClass::HashedAsset, "cache-control"), Some("public, max-age=31536000, immutable"));
    }

    #[test]
    fn the_headers_file_writes_every_static_class_with_each_header_once() {
        let file = headers_file();
        let expected = "# Generated by `cargo xtask build` from buoy-shared's headers table; do not edit.\n\
/*\n  X-Content-Type-Options: nosniff\n  Referrer-Policy: no-referrer\n  Strict-Transport-Security: max-age=31536000; includeSubDomains\n\
/buoy.js\n  Cache-Control: public, max-age=300\n\
/s/*\n  Cache-Control: public, max-age=300\n\
/console/*\n  Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'\n\
/kb/*\n  Cache-Control: public, max-age=31536000, immutable\n\
/w/*\n  Cache-Control: public, max-age=31536000, immutable\n";
        assert_eq!(file, expected);
        // What a static file gets is `/*` plus its own rule: the class's headers, once each.
        let static_paths = [ResponseClass::Loader, ResponseClass::Console, ResponseClass::HashedAsset, ResponseClass::Asset]
            .into_iter()
            .flat_map(|class| class.static_paths().iter().map(move |path| (class, *path)));
        for (class, path) in static_paths {
            let mut got = COMMON.to_vec();
            if path != "/*" {
                let block = file.split(&format!("\n{path}\n")).nth(1).unwrap_or_default();
                for line in block.lines().take_while(|l| l.starts_with("  ")) {
                    let (name, v) = line.trim_start().split_once(": ").unwrap_or_default();
                    got.extend(class.headers().into_iter().filter(|(n, hv)| *n == name && *hv == v));
                }
            }
            assert_eq!(got, class.headers(), "{class:?} at {path}");
        }
    }

    #[test]
    fn each_sites_loader_is_cached_like_the_generic_one() {
        let file = headers_file();
        for path in ["/buoy.js", "/s/*"] {
            assert!(ResponseClass::Loader.static_paths().contains(&path), "{path} is a loader");
            let block = file.split(&format!("\n{path}\n")).nth(1).unwrap_or_default();
            assert!(block.starts_with("  Cache-Control: public, max-age=300\n"), "{path}: {block}");
        }
    }

    #[test]
    fn a_missing_script_of_the_hashed_folder_gets_the_reload_module() {
        for (path, expected) in [
            ("/w/0123456789abcdef/inbox.js", true),
            ("/w/0123456789abcdef/app.js", true),
            ("/w/f00d/app_bg.js", true),
            ("/w/0123456789abcdef/app_bg.wasm", false),
            ("/w/0123456789abcdef/app.css", false),
            ("/w/0123456789abcdef/.js", false),
            ("/w/0123456789ABCDEF/app.js", false),
            ("/w//app.js", false),
            ("/w/0123456789abcdef/a/b.js", false),
            ("/w/0123456789abcdef/../x.js", false),
            ("/w/app.js", false),
            ("/widget/app.js", false),
            ("/widget/inbox.js", true),
            ("/widget/inbox_bg.wasm", false),
            ("/kb/0123456789abcdef/app.js", false),
        ] {
            assert_eq!(is_gone_script(path), expected, "{path}");
        }
        assert_eq!(value(ResponseClass::ReloadModule, "cache-control"), Some("no-store"));
        assert!(ResponseClass::ReloadModule.static_paths().is_empty(), "the worker builds it");
    }

    #[test]
    fn only_site_pages_and_the_widgets_files_are_served_under_widget() {
        for (path, expected) in [
            ("/widget/demo/", Some(WidgetPath::Page { site: "demo", locale: None })),
            ("/widget/no-such-site/", Some(WidgetPath::Page { site: "no-such-site", locale: None })),
            ("/widget/demo/de/", Some(WidgetPath::Page { site: "demo", locale: Some(Locale::De) })),
            ("/widget/demo/pt-BR/", Some(WidgetPath::Page { site: "demo", locale: Some(Locale::PtBr) })),
            ("/widget/demo/ar/", Some(WidgetPath::Page { site: "demo", locale: Some(Locale::Ar) })),
            ("/widget/demo/en/", Some(WidgetPath::Page { site: "demo", locale: Some(Locale::En) })),
            // Only the catalog's own tags, exactly: one URL per page.
            ("/widget/demo/pt-br/", Some(WidgetPath::NotFound)),
            ("/widget/demo/de-CH/", Some(WidgetPath::NotFound)),
            ("/widget/demo/xx/", Some(WidgetPath::NotFound)),
            ("/widget/demo/de/x/", Some(WidgetPath::NotFound)),
            ("/widget/demo//", Some(WidgetPath::NotFound)),
            ("/widget/Demo/de/", Some(WidgetPath::NotFound)),
            ("/widget/demo/de", Some(WidgetPath::NotFound)),
            ("/widget/app.js", Some(WidgetPath::Asset)),
            ("/widget/app_bg.wasm", Some(WidgetPath::Asset)),
            ("/widget/inbox.css", Some(WidgetPath::Asset)),
            ("/widget/turnstile.js", Some(WidgetPath::Asset)),
            ("/widget/", Some(WidgetPath::NotFound)),
            ("/widget/index.html", Some(WidgetPath::NotFound)),
            ("/widget/index", Some(WidgetPath::NotFound)),
            ("/widget/demo", Some(WidgetPath::NotFound)),
            ("/widget/demo/index.html", Some(WidgetPath::NotFound)),
            ("/widget/demo/app.js", Some(WidgetPath::NotFound)),
            ("/widget/Demo/", Some(WidgetPath::NotFound)),
            ("/widget/%2e%2e/", Some(WidgetPath::NotFound)),
            ("/widget/x.html", Some(WidgetPath::NotFound)),
            ("/widget/.js", Some(WidgetPath::NotFound)),
            ("/widget/a/b.js", Some(WidgetPath::NotFound)),
            ("/widget", None),
            ("/v1/tickets", None),
            ("/buoy.js", None),
        ] {
            assert_eq!(widget_path(path), expected, "{path}");
        }
    }

    #[test]
    fn each_locales_page_has_its_own_place_in_the_assets() {
        let places: Vec<String> = Locale::ALL.into_iter().map(widget_page_asset).collect();
        assert_eq!(places, ["/widget/", "/widget/de/", "/widget/fr/", "/widget/es/", "/widget/pt-BR/", "/widget/ja/", "/widget/ar/"]);
    }
}
