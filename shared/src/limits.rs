//! Abuse limits: which counters a request spends. The widget's writes
//! (new tickets, answers, ratings, guided-fix outcomes) and a verified
//! user's history (`POST /v1/tickets/mine`, which hands out requester
//! tokens) count per client address, and new tickets and guided fixes
//! also per site; reads (the panel polling its tickets) and the agents'
//! API are never limited here.
//! Mail that Email Routing delivers counts per envelope sender
//! (`sender_key`), and is read only up to `inbound_read_cap`.
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
    /// Uploads (`POST /v1/uploads`), per client address: files cost more
    /// than a ticket's text, so they have a counter of their own.
    Upload,
}

impl Limit {
    /// The `wrangler.toml` binding that counts it.
    pub const fn binding(self) -> &'static str {
        match self {
            Self::Client => "BUOY_CLIENT_LIMIT",
            Self::Site => "BUOY_SITE_LIMIT",
            Self::Upload => "BUOY_UPLOAD_LIMIT",
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
    if post && parts == ["v1", "uploads"] {
        return vec![(Limit::Upload, format!("client:{}", client.unwrap_or("unknown")))];
    }
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

/// The counter a delivered mail spends: the client counter, keyed by its
/// envelope sender (the address a flood of mail would come from; a mail
/// server's address would count everyone it relays for). The address is
/// compared without case, so `Eve@` and `eve@` count as one; a bounce's
/// empty sender (`<>`) is one key for all bounces. A refusal rejects the
/// mail with [`SENDER_LIMIT_REASON`].
#[cfg(feature = "email")]
pub fn sender_key(envelope_from: &str) -> (Limit, String) {
    let sender = envelope_from.trim().trim_start_matches('<').trim_end_matches('>').trim().to_lowercase();
    let sender = if sender.is_empty() { "<>".to_owned() } else { sender };
    (Limit::Client, format!("sender:{sender}"))
}

/// The reason a mail over its sender's limit is rejected with.
#[cfg(feature = "email")]
pub const SENDER_LIMIT_REASON: &str = "Too many messages from this address: try again in a minute.";

/// How many bytes of a delivered mail the worker reads before it knows
/// which site it is for: one more than the largest `max_inbound_bytes`
/// of any site with email, so a mail over every site's cap stops being
/// read there and still reads as too large for its own site. `None`
/// when no site takes mail.
#[cfg(feature = "email")]
pub fn inbound_read_cap(config: &crate::config::Config) -> Option<u64> {
    config.email_sites().map(|(_, email)| email.max_inbound_bytes.saturating_add(1)).max()
}

/// How many mails Buoy sends, per site and per hour, to one address that
/// was typed rather than vouched for by a signed identity. Anyone can type
/// anyone's address into the form, or put it in the `From` of mail to an
/// intake address; this keeps Buoy from flooding a stranger. A real
/// conversation stays far below it.
pub const TYPED_RECIPIENT_PER_HOUR: usize = 10;

const HOUR_MS: i64 = 3_600_000;

/// Whether one more mail may go to a typed address that was sent mail at
/// `sent` (ms): the sends of the last hour with `now` added, to record
/// once it is sent; `None` when the hour's mail is spent (the mail is not
/// sent, and logged).
pub fn typed_recipient_send(sent: &[i64], now: i64) -> Option<Vec<i64>> {
    let mut recent: Vec<i64> = sent.iter().copied().filter(|at| now - at < HOUR_MS && *at <= now).collect();
    if recent.len() >= TYPED_RECIPIENT_PER_HOUR {
        return None;
    }
    recent.push(now);
    Some(recent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_address_gets_at_most_its_hours_mail() {
        const MINUTE: i64 = 60_000;
        let now = 100 * HOUR_MS;
        let full: Vec<i64> = (0..TYPED_RECIPIENT_PER_HOUR as i64).map(|i| now - 50 * MINUTE + i * MINUTE).collect();
        assert_eq!(typed_recipient_send(&full, now), None, "the hour's mail is spent");
        let later = full[0] + HOUR_MS;
        let allowed = typed_recipient_send(&full, later).unwrap_or_default();
        assert_eq!(allowed.len(), TYPED_RECIPIENT_PER_HOUR, "the oldest left the hour, the new one counts");
        assert_eq!(allowed.last(), Some(&later));
        assert!(!allowed.contains(&full[0]));
        assert_eq!(typed_recipient_send(&[], now), Some(vec![now]), "the first mail goes");
        let stale = vec![now - 2 * HOUR_MS; 50];
        assert_eq!(typed_recipient_send(&stale, now), Some(vec![now]), "old sends are forgotten");
        let future = vec![now + HOUR_MS; TYPED_RECIPIENT_PER_HOUR];
        assert_eq!(typed_recipient_send(&future, now), Some(vec![now]), "a clock that went back does not lock an address out");
    }

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

    #[cfg(feature = "email")]
    #[test]
    fn mail_counts_per_sender_whatever_its_case() {
        let cases = [
            ("ada@example.com", "sender:ada@example.com"),
            ("  Ada@Example.COM ", "sender:ada@example.com"),
            ("<eve@evil.example>", "sender:eve@evil.example"),
            ("", "sender:<>"),
            ("<>", "sender:<>"),
        ];
        for (from, key) in cases {
            assert_eq!(sender_key(from), (Limit::Client, key.to_owned()), "{from:?}");
        }
        assert!(SENDER_LIMIT_REASON.contains("try again"));
    }

    #[cfg(all(feature = "toml", feature = "email"))]
    #[test]
    fn mail_is_read_up_to_one_byte_past_the_largest_site_cap() {
        let site = |id: &str, cap: &str| {
            format!(
                "[sites.{id}]\nname = \"N\"\nallowed_origins = [\"https://{id}.example\"]\n\
                 [sites.{id}.email]\nfrom = \"s@{id}.example\"\nreply_domain = \"reply.{id}.example\"\n{cap}"
            )
        };
        let read = |text: &str| crate::config::Config::from_toml(text).map(|c| inbound_read_cap(&c)).map_err(|e| e.to_string());
        assert_eq!(read(&(site("a", "max_inbound_bytes = 500\n") + &site("b", "max_inbound_bytes = 7000\n"))), Ok(Some(7001)));
        assert_eq!(read(&site("a", "")), Ok(Some(crate::config::DEFAULT_MAX_INBOUND_BYTES + 1)), "the default cap");
        assert_eq!(read("[sites.a]\nname = \"N\"\nallowed_origins = [\"https://a.example\"]\n"), Ok(None), "no site takes mail");
    }

    #[test]
    fn a_requesters_uploads_spend_their_own_counter_and_agents_none() {
        assert_eq!(keys(true, "/v1/uploads", None, Some("203.0.113.9")), [(Limit::Upload, "client:203.0.113.9".to_owned())]);
        assert!(keys(true, "/v1/agent/uploads", None, Some("203.0.113.9")).is_empty(), "agents are not limited");
        assert!(keys(false, "/v1/uploads", None, Some("203.0.113.9")).is_empty());
    }

    #[test]
    fn mine_spends_the_client_limit() {
        // Not the site's: a user's history creates nothing.
        assert_eq!(keys(true, "/v1/tickets/mine", Some("demo"), Some("203.0.113.9")), [(Limit::Client, "client:203.0.113.9".to_owned())]);
        assert!(keys(false, "/v1/tickets/mine", Some("demo"), Some("203.0.113.9")).is_empty(), "only POST answers it");
    }
}
