//! `buoy.toml`: sites, their allowed origins, and agents.
//!
//! The file is configuration as code: the build reads it with
//! [`Config::from_toml`], which refuses a bad file with the field named,
//! and compiles the result into the worker.

use crate::ids::SiteId;
use core::fmt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The whole of `buoy.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Every site that may embed the widget, by site id.
    pub sites: BTreeMap<String, Site>,
    /// The agents who work the queues.
    #[serde(default)]
    pub agents: Vec<Agent>,
}

/// One product that embeds the widget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The product's name, shown in the panel.
    pub name: String,
    /// The origins whose pages may embed the widget (`frame-ancestors`).
    /// Each is `scheme://host[:port]`; a port of `*` allows any port, as in CSP.
    pub allowed_origins: Vec<String>,
}

/// A support agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Shown on their replies and events.
    pub name: String,
    /// The site whose tickets they work.
    pub site: String,
    /// The name of the secret (`wrangler secret`, `.dev.vars`) that holds
    /// their bearer token; the token itself never enters the repository.
    pub token_secret: String,
}

/// What is wrong with `buoy.toml`, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field, as a path such as `sites.demo.allowed_origins[1]`.
    pub field: String,
    /// What is expected there.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// Whether `origin` is written as an origin: `http` or `https`, a host of
/// lowercase letters, digits, dots and dashes (or a bracketed IPv6
/// address), an optional port (digits or `*`), and nothing after it.
pub fn is_origin_pattern(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let (host, port_ok) = match rest.rsplit_once(':') {
        // A bracketed IPv6 host without a port: its colons are inside the brackets.
        Some(_) if rest.starts_with('[') && !rest.contains("]:") => (rest, true),
        Some((host, port)) => (host, port == "*" || port.parse::<u16>().is_ok_and(|p| p > 0)),
        None => (rest, true),
    };
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty() && v6.bytes().all(|c| c.is_ascii_hexdigit() || c == b':')
    } else {
        !host.is_empty()
            && host.split('.').all(|label| !label.is_empty() && !label.starts_with('-'))
            && host.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
    };
    matches!(scheme, "http" | "https") && port_ok && host_ok
}

/// Whether the browser origin `origin` (as in an `Origin` header or
/// `MessageEvent.origin`) is allowed by `pattern`.
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    match pattern.strip_suffix(":*") {
        Some(base) => origin
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix(':'))
            .is_some_and(|port| !port.is_empty() && port.bytes().all(|c| c.is_ascii_digit())),
        None => pattern == origin,
    }
}

fn is_secret_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|c| c.is_ascii_uppercase() || c == b'_')
        && name.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

impl Config {
    /// Reads and validates the text of `buoy.toml`.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first faulty field: a TOML syntax
    /// error, an unknown or missing key, or a value [`Config::validate`]
    /// refuses.
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self =
            toml::from_str(text).map_err(|e| ConfigError { field: String::new(), message: e.to_string().trim_end().to_owned() })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what the types alone cannot: site ids, origins, secret
    /// names, and that every agent's site exists.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first faulty field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |field: String, message: &str| Err(ConfigError { field, message: message.to_owned() });
        if self.sites.is_empty() {
            return fail("sites".into(), "at least one site is needed, as [sites.<id>]");
        }
        for (id, site) in &self.sites {
            if SiteId::parse(id).is_err() {
                return fail(format!("sites.{id}"), "a site id is 1-40 lowercase letters, digits or dashes");
            }
            if site.name.trim().is_empty() {
                return fail(format!("sites.{id}.name"), "must not be empty");
            }
            if site.allowed_origins.is_empty() {
                return fail(format!("sites.{id}.allowed_origins"), "list at least one origin that embeds the widget");
            }
            for (i, origin) in site.allowed_origins.iter().enumerate() {
                if !is_origin_pattern(origin) {
                    return fail(
                        format!("sites.{id}.allowed_origins[{i}]"),
                        "expected an origin such as https://app.example.com (scheme, host, optional port; no path, no trailing slash)",
                    );
                }
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, agent) in self.agents.iter().enumerate() {
            if agent.name.trim().is_empty() {
                return fail(format!("agents[{i}].name"), "must not be empty");
            }
            if !names.insert(agent.name.as_str()) {
                return fail(format!("agents[{i}].name"), "two agents have this name");
            }
            if !self.sites.contains_key(&agent.site) {
                return fail(format!("agents[{i}].site"), "no such site in [sites]");
            }
            if !is_secret_name(&agent.token_secret) {
                return fail(format!("agents[{i}].token_secret"), "expected the NAME of a secret, such as BUOY_AGENT_TOKEN");
            }
        }
        Ok(())
    }

    /// The site with this id.
    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites.get(id)
    }
}

impl Site {
    /// Whether a page at `origin` may embed this site's widget.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|pattern| origin_matches(pattern, origin))
    }

    /// The Content-Security-Policy of this site's widget page: only the
    /// worker's own scripts (and their wasm), styles and API, and only the
    /// site's allowed origins may frame it.
    pub fn widget_page_csp(&self) -> String {
        let fixed = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; \
                     img-src 'self' data:; base-uri 'none'; form-action 'none'";
        format!("{fixed}; {}", self.frame_ancestors())
    }

    /// The `frame-ancestors` directive for this site's widget page.
    pub fn frame_ancestors(&self) -> String {
        let mut out = String::from("frame-ancestors");
        for origin in &self.allowed_origins {
            out.push(' ');
            out.push_str(origin);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_patterns() {
        for ok in ["https://app.example.com", "http://127.0.0.1:8788", "http://localhost:*", "http://[::1]:3000", "https://a-b.example"] {
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
            ("https://app.example.com", "http://app.example.com", false),
            ("https://app.example.com", "null", false),
        ] {
            assert_eq!(origin_matches(pattern, origin), expected, "{pattern} vs {origin}");
        }
    }

    #[cfg(feature = "toml")]
    #[test]
    fn bad_files_name_the_field() {
        let check = |text: &str, expected: &str| {
            let error = Config::from_toml(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(expected), "expected {expected:?} in {error:?}");
        };
        let site = "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"http://127.0.0.1:8788\"]\n";
        check("", "missing field `sites`");
        check("[sites]\n", "sites: at least one site");
        check("[sites.Demo]\nname = \"D\"\nallowed_origins = [\"https://a.example\"]\n", "sites.Demo: a site id");
        check(
            "[sites.demo]\nname = \"Demo\"\nallowed_origins = [\"https://a.example/\"]\n",
            "sites.demo.allowed_origins[0]: expected an origin",
        );
        check("[sites.demo]\nname = \" \"\nallowed_origins = [\"https://a.example\"]\n", "sites.demo.name: must not be empty");
        check("[sites.demo]\nname = \"Demo\"\nallowed_origins = []\n", "sites.demo.allowed_origins: list at least one");
        check(&format!("{site}colour = \"red\"\n"), "unknown field `colour`");
        check(&format!("{site}[[agents]]\nname = \"A\"\nsite = \"nope\"\ntoken_secret = \"T\"\n"), "agents[0].site: no such site");
        check(&format!("{site}[[agents]]\nname = \"A\"\nsite = \"demo\"\ntoken_secret = \"s3cr3t-value\"\n"), "agents[0].token_secret");
        check(
            &format!("{site}[[agents]]\nname = \"A\"\nsite = \"demo\"\ntoken_secret = \"T\"\n[[agents]]\nname = \"A\"\nsite = \"demo\"\ntoken_secret = \"U\"\n"),
            "agents[1].name: two agents",
        );
    }

    #[cfg(feature = "toml")]
    #[test]
    fn the_repository_config_is_valid() {
        let text = include_str!("../../buoy.toml");
        let config = Config::from_toml(text).unwrap_or_else(|e| unreachable!("buoy.toml: {e}"));
        let demo = config.site("demo").unwrap_or_else(|| unreachable!("no demo site"));
        assert!(demo.allows_origin("http://127.0.0.1:8788"));
        assert_eq!(demo.frame_ancestors(), format!("frame-ancestors {}", demo.allowed_origins.join(" ")));
        let csp = demo.widget_page_csp();
        assert!(csp.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "), "{csp}");
        assert!(csp.ends_with("; frame-ancestors http://127.0.0.1:8788 http://localhost:8788"), "{csp}");
    }
}
