//! Signed single-purpose tokens for links in mail: the rating link (rate
//! that one ticket) and the unsubscribe link (stop mail to that address
//! on that site). Each is `{what it is for}.{expiry}.{mac}`, the mac keyed
//! by the server secret with a label per purpose, so a token for one use
//! never passes as another; it names no thread, no requester token and no
//! address (an address appears only as a keyed hash).

use crate::ids::{SiteId, TicketId};
use crate::keys::{hex, keyed_hash, secrets_equal};
use crate::time::{Duration, Timestamp};
use core::fmt;

/// How long a rating link works: long enough for someone back from
/// holiday, short enough that an old mail found later rates nothing.
pub const RATING_LIFETIME: Duration = Duration::from_hours(30 * 24);

/// How long an unsubscribe link works: a year, well past the 30 days the
/// law of several countries requires an opt-out to keep working.
pub const UNSUBSCRIBE_LIFETIME: Duration = Duration::from_hours(365 * 24);

// 128 bits: a link cannot be guessed, and it stays short enough to read.
const TOKEN_MAC_HEX: usize = 32;
const RATING: &str = "buoy/rating-link/v1";
const UNSUBSCRIBE: &str = "buoy/unsubscribe-link/v1";
const FILE: &str = "buoy/file-link/v1";

/// How long a file link in mail works: a week.
pub const FILE_LINK_LIFETIME: Duration = Duration::from_hours(7 * 24);

/// Why a token from a link is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token of this kind at all.
    Malformed,
    /// The mac does not check: forged, altered, or for another purpose.
    BadMac,
    /// Genuine, but past its expiry.
    Expired,
}

impl TokenError {
    /// A stable code, for the API's problem answers and logs.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Malformed => "link_malformed",
            Self::BadMac => "link_invalid",
            Self::Expired => "link_expired",
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed | Self::BadMac => "this link is not valid",
            Self::Expired => "this link has expired",
        })
    }
}

impl std::error::Error for TokenError {}

fn sign(secret: &[u8], label: &str, parts: &[&str], expires_secs: i64) -> String {
    let mut input: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
    let expiry = expires_secs.to_string();
    input.push(expiry.as_bytes());
    let mut mac = hex(&keyed_hash(secret, label, &input));
    mac.truncate(TOKEN_MAC_HEX);
    format!("{}.{expiry}.{mac}", parts.join("."))
}

/// Checks `token` has `count` parts before its expiry and mac, under
/// `label`, and is unexpired at `now`; returns those parts.
fn check<'t>(secret: &[u8], label: &str, token: &'t str, count: usize, now: Timestamp) -> Result<Vec<&'t str>, TokenError> {
    let pieces: Vec<&str> = token.split('.').collect();
    if pieces.len() != count + 2 {
        return Err(TokenError::Malformed);
    }
    let (parts, tail) = pieces.split_at(count);
    let expires: i64 = match tail.first().map(|e| e.parse()) {
        Some(Ok(secs)) => secs,
        _ => return Err(TokenError::Malformed),
    };
    let expected = sign(secret, label, parts, expires);
    if !secrets_equal(expected.as_bytes(), token.as_bytes()) {
        return Err(TokenError::BadMac);
    }
    if now.as_millis() >= expires.saturating_mul(1000) {
        return Err(TokenError::Expired);
    }
    Ok(parts.to_vec())
}

/// The token of a rating link for `ticket`, working until `expires`
/// (usually `now` plus [`RATING_LIFETIME`]).
pub fn rating_token(secret: &[u8], ticket: &TicketId, expires: Timestamp) -> String {
    sign(secret, RATING, &[&ticket.to_string()], expires.as_millis().div_euclid(1000))
}

/// The ticket a rating link may rate.
///
/// # Errors
/// A [`TokenError`]: not a rating token, forged or altered, or expired at `now`.
pub fn check_rating_token(secret: &[u8], token: &str, now: Timestamp) -> Result<TicketId, TokenError> {
    let parts = check(secret, RATING, token, 1, now)?;
    parts.first().and_then(|id| TicketId::parse(id).ok()).ok_or(TokenError::Malformed)
}

/// The name under which mail to `address` on `site` is switched off: 32
/// hex digits of a keyed hash, so no address appears in a link or a
/// storage key. The domain's case does not change it; the local part's
/// does (see [`super::address::same_mailbox`]).
pub fn address_key(secret: &[u8], site: &SiteId, address: &str) -> String {
    let address = address.trim();
    let normal = match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => address.to_owned(),
    };
    let mut key = hex(&keyed_hash(secret, "buoy/mail-address/v1", &[site.as_str().as_bytes(), normal.as_bytes()]));
    key.truncate(32);
    key
}

/// What an unsubscribe link switches off: mail to one address on one site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsubscribe {
    /// The site.
    pub site: SiteId,
    /// The address, as [`address_key`] names it.
    pub address_key: String,
}

/// The token of an unsubscribe link for `address` on `site`, working
/// until `expires` (usually `now` plus [`UNSUBSCRIBE_LIFETIME`]).
pub fn unsubscribe_token(secret: &[u8], site: &SiteId, address: &str, expires: Timestamp) -> String {
    let key = address_key(secret, site, address);
    sign(secret, UNSUBSCRIBE, &[site.as_str(), &key], expires.as_millis().div_euclid(1000))
}

/// What an unsubscribe link switches off.
///
/// # Errors
/// A [`TokenError`]: not an unsubscribe token, forged or altered, or
/// expired at `now`.
pub fn check_unsubscribe_token(secret: &[u8], token: &str, now: Timestamp) -> Result<Unsubscribe, TokenError> {
    match check(secret, UNSUBSCRIBE, token, 2, now)?.as_slice() {
        [site, key] => Ok(Unsubscribe { site: SiteId::parse(site).map_err(|_| TokenError::Malformed)?, address_key: (*key).to_owned() }),
        _ => Err(TokenError::Malformed),
    }
}

/// What a file link opens: one file of one ticket on one site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileLink {
    /// The site.
    pub site: SiteId,
    /// The ticket.
    pub ticket: TicketId,
    /// The file's id.
    pub file: String,
}

/// The token of a link that opens one attached file (`file`, its id) of
/// `ticket` on `site` until `expires` (usually `now` plus
/// [`FILE_LINK_LIFETIME`]): for mail, never the requester token, and
/// good for that file alone.
pub fn file_link(secret: &[u8], site: &SiteId, ticket: &TicketId, file: &str, expires: Timestamp) -> String {
    sign(secret, FILE, &[site.as_str(), &ticket.to_string(), file], expires.as_millis().div_euclid(1000))
}

/// The file a file link opens.
///
/// # Errors
/// A [`TokenError`]: not a file link, forged or altered, or expired at `now`.
pub fn check_file_link(secret: &[u8], token: &str, now: Timestamp) -> Result<FileLink, TokenError> {
    match check(secret, FILE, token, 3, now)?.as_slice() {
        [site, ticket, file] if !file.is_empty() => Ok(FileLink {
            site: SiteId::parse(site).map_err(|_| TokenError::Malformed)?,
            ticket: TicketId::parse(ticket).map_err(|_| TokenError::Malformed)?,
            file: (*file).to_owned(),
        }),
        _ => Err(TokenError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_link_opens_its_one_file_for_seven_days_and_nothing_else() {
        let expires = NOW.plus(FILE_LINK_LIFETIME);
        let link = file_link(SECRET, &site("lumen"), &TICKET, "0123abcd", expires);
        let opened = FileLink { site: site("lumen"), ticket: TICKET, file: "0123abcd".into() };
        assert_eq!(check_file_link(SECRET, &link, NOW), Ok(opened));
        assert_eq!(check_file_link(SECRET, &link, NOW.plus(Duration::from_hours(7 * 24 - 1))).map(|l| l.file), Ok("0123abcd".into()));
        assert_eq!(check_file_link(SECRET, &link, expires), Err(TokenError::Expired));
        let other_file = link.replacen("0123abcd", "0123abce", 1);
        assert_eq!(check_file_link(SECRET, &other_file, NOW), Err(TokenError::BadMac));
        assert_eq!(check_file_link(b"other secret", &link, NOW), Err(TokenError::BadMac));
        let rating = rating_token(SECRET, &TICKET, expires);
        assert!(check_file_link(SECRET, &rating, NOW).is_err(), "a rating link opens no file");
        assert!(check_rating_token(SECRET, &link, NOW).is_err(), "a file link rates nothing");
        assert!(!link.contains(&crate::keys::requester_token(SECRET, &TICKET)), "never the requester token");
    }

    const SECRET: &[u8] = b"secret";
    const TICKET: TicketId = TicketId::from_bytes([7; 16]);
    const NOW: Timestamp = Timestamp::from_millis(1_780_000_000_000);

    fn site(id: &str) -> SiteId {
        SiteId::parse(id).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn a_rating_link_rates_its_ticket_until_it_expires() {
        let expires = NOW.plus(RATING_LIFETIME);
        let token = rating_token(SECRET, &TICKET, expires);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'), "safe in a URL: {token}");
        assert_eq!(check_rating_token(SECRET, &token, NOW), Ok(TICKET));
        assert_eq!(check_rating_token(SECRET, &token, expires.plus(Duration::from_secs(-1))), Ok(TICKET));
        assert_eq!(check_rating_token(SECRET, &token, expires), Err(TokenError::Expired));
    }

    #[test]
    fn altered_or_borrowed_tokens_are_refused() {
        let rating = rating_token(SECRET, &TICKET, NOW.plus(RATING_LIFETIME));
        let unsubscribe = unsubscribe_token(SECRET, &site("lumen"), "ada@example.com", NOW.plus(UNSUBSCRIBE_LIFETIME));
        let later = rating.replacen(&format!(".{}.", NOW.plus(RATING_LIFETIME).as_millis() / 1000), ".99999999999.", 1);
        let other_ticket = rating.replacen(&TICKET.to_string(), &TicketId::from_bytes([8; 16]).to_string(), 1);
        let cases: &[(&str, &str, TokenError)] = &[
            ("an expiry moved later", &later, TokenError::BadMac),
            ("another ticket's id", &other_ticket, TokenError::BadMac),
            ("a truncated mac", &rating[..rating.len() - 1], TokenError::BadMac),
            ("an unsubscribe token", &unsubscribe, TokenError::Malformed),
            ("empty", "", TokenError::Malformed),
            ("no expiry", "a.b.c", TokenError::Malformed),
        ];
        for (what, token, expected) in cases {
            assert_eq!(check_rating_token(SECRET, token, NOW), Err(*expected), "{what}");
        }
        assert_eq!(check_rating_token(b"other", &rating, NOW), Err(TokenError::BadMac));
        // A rating token shaped like an unsubscribe one still fails its mac.
        let shaped = format!("lumen.{rating}");
        assert_eq!(check_unsubscribe_token(SECRET, &shaped, NOW), Err(TokenError::BadMac));
    }

    #[test]
    fn an_unsubscribe_link_names_the_site_and_a_hash_of_the_address() {
        let token = unsubscribe_token(SECRET, &site("lumen"), "Ada@Example.com", NOW.plus(UNSUBSCRIBE_LIFETIME));
        assert!(!token.to_ascii_lowercase().contains("ada"), "no address in the link: {token}");
        let off = check_unsubscribe_token(SECRET, &token, NOW);
        assert_eq!(off, Ok(Unsubscribe { site: site("lumen"), address_key: address_key(SECRET, &site("lumen"), "Ada@example.COM") }));
        assert_eq!(check_unsubscribe_token(SECRET, &token, NOW.plus(UNSUBSCRIBE_LIFETIME)), Err(TokenError::Expired));
    }

    #[test]
    fn address_keys_follow_the_mailbox_rule() {
        let key = |s: &str, a: &str| address_key(SECRET, &site(s), a);
        assert_eq!(key("lumen", "ada@example.com"), key("lumen", " ada@EXAMPLE.com "));
        assert_ne!(key("lumen", "ada@example.com"), key("lumen", "Ada@example.com"), "the local part is exact");
        assert_ne!(key("lumen", "ada@example.com"), key("other", "ada@example.com"), "per site");
        assert_eq!(key("lumen", "ada@example.com").len(), 32);
    }
}
