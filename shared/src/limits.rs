//! Abuse limits: which counters a request spends. The widget's writes
//! (new tickets, answers, ratings, guided-fix outcomes) and a verified
//! user's history (`POST /v1/tickets/mine`, which hands out requester
//! tokens) count per client address, and new tickets and guided fixes
//! also per site; reads (the panel polling its tickets) and the agents'
//! API are never limited here.
//! The worker counts with Cloudflare's rate-limiting bindings (one per
//! [`Limit`], configured in `wrangler.toml`), which answer yes or no for a
//! key within a fixed window; a "no" is a `429` with `Retry-After`.

/// A counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Per client address.
    Client,
    /// Per site.
    Site,
}

impl Limit {
    /// The `wrangler.toml` binding that counts it.
    pub const fn binding(self) -> &'static str {
        match self {
            Self::Client => "BUOY_CLIENT_LIMIT",
            Self::Site => "BUOY_SITE_LIMIT",
        }
    }
}

/// The window of both bindings, in seconds (`period` in `wrangler.toml`):
/// the `Retry-After` of a refusal.
pub const PERIOD_SECS: u32 = 60;

/// The counters a request spends, with their keys: the requester's writes
/// and `POST /v1/tickets/mine` (each answer holds up to 50 requester
/// tokens, so a leaked identity must not be replayed without limit).
/// `client` is the caller's address (from the edge's `CF-Connecting-IP`),
/// `site` the site the body names, if any.
pub fn keys(post: bool, path: &str, site: Option<&str>, client: Option<&str>) -> Vec<(Limit, String)> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (creates, writes) = match parts.as_slice() {
        ["v1", "tickets"] | ["v1", "deflections"] => (true, true),
        ["v1", "tickets", _, "messages" | "csat"] | ["v1", "tickets", "mine"] => (false, true),
        _ => (false, false),
    };
    if !post || !writes {
        return Vec::new();
    }
    let mut out = vec![(Limit::Client, format!("client:{}", client.unwrap_or("unknown")))];
    if let (true, Some(site)) = (creates, site) {
        out.push((Limit::Site, format!("site:{site}")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_requesters_writes_are_counted() {
        assert_eq!(
            keys(true, "/v1/tickets", Some("demo"), Some("203.0.113.9")),
            [(Limit::Client, "client:203.0.113.9".to_owned()), (Limit::Site, "site:demo".to_owned())]
        );
        assert_eq!(keys(true, "/v1/tickets/abc/messages", None, Some("203.0.113.9")), [(Limit::Client, "client:203.0.113.9".to_owned())]);
        assert_eq!(keys(true, "/v1/tickets/abc/csat", None, None), [(Limit::Client, "client:unknown".to_owned())]);
        assert_eq!(keys(true, "/v1/deflections", Some("demo"), Some("::1")).len(), 2);
        assert!(keys(false, "/v1/tickets/abc", None, Some("203.0.113.9")).is_empty(), "polling is not limited");
        assert!(keys(true, "/v1/agent/tickets/abc/messages", None, Some("203.0.113.9")).is_empty(), "agents are not limited");
        assert!(keys(true, "/v1/nope", None, None).is_empty());
    }

    #[test]
    fn mine_spends_the_client_limit() {
        // Not the site's: a user's history creates nothing.
        assert_eq!(keys(true, "/v1/tickets/mine", Some("demo"), Some("203.0.113.9")), [(Limit::Client, "client:203.0.113.9".to_owned())]);
        assert!(keys(false, "/v1/tickets/mine", Some("demo"), Some("203.0.113.9")).is_empty(), "only POST answers it");
    }
}
