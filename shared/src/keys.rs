//! Keyed hashes and constant-time checks, for the worker only.
//!
//! One server secret (`BUOY_SECRET`) keys these derivations, each with its
//! own label so that one can never stand in for another:
//! - the id of a ticket created with an `Idempotency-Key`, so that every
//!   retry of one create lands on the same record,
//! - the requester token of a ticket, so that it need not be stored and
//!   concurrent retries all receive the same token, and
//! - the name a verified user's tickets are indexed under, so that any
//!   user id is safe in a KV key and none can be read back from the keys.

use crate::ids::{SiteId, TicketId};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of `parts` under `secret`, with `label` naming the purpose
/// (so no derivation can stand in for another) and each part length-prefixed.
pub(crate) fn keyed_hash(secret: &[u8], label: &str, parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return [0; 32];
    };
    mac.update(label.as_bytes());
    for part in parts {
        // Length-prefixed, so ("ab","c") and ("a","bc") differ.
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The id of the ticket created on `site` with this idempotency key.
pub fn idempotent_ticket_id(secret: &[u8], site: &SiteId, idempotency_key: &str) -> TicketId {
    let hash = keyed_hash(secret, "buoy/ticket-id/v1", &[site.as_str().as_bytes(), idempotency_key.as_bytes()]);
    let mut id = [0u8; 16];
    id.copy_from_slice(&hash[..16]);
    TicketId::from_bytes(id)
}

/// The id of an upload sent with an `Idempotency-Key`: a retry of the
/// same file on the same site lands on the same upload.
pub fn idempotent_upload_id(secret: &[u8], site: &SiteId, idempotency_key: &str) -> String {
    let hash = keyed_hash(secret, "buoy/upload-id/v1", &[site.as_str().as_bytes(), idempotency_key.as_bytes()]);
    format!("up_{}", hex(&hash[..16]))
}

/// The id of the message event a requester's answer sent with an
/// `Idempotency-Key` is stored under: a retry lands on the same key, so an
/// answer is never recorded twice.
pub fn idempotent_event_id(secret: &[u8], ticket: &TicketId, idempotency_key: &str) -> String {
    let hash = keyed_hash(secret, "buoy/event-id/v1", &[ticket.as_bytes(), idempotency_key.as_bytes()]);
    format!("msg-k-{}", hex(&hash[..12]))
}

/// A hash of a request body (hex SHA-256), kept with a ticket created
/// with an `Idempotency-Key` so the key cannot be reused for another body.
pub fn request_hash(body: &[u8]) -> String {
    use sha2::Digest;
    hex(&Sha256::digest(body))
}

/// The token that lets a requester read their ticket: 64 hex digits.
pub fn requester_token(secret: &[u8], id: &TicketId) -> String {
    let hash = keyed_hash(secret, "buoy/requester-token/v1", &[id.as_bytes()]);
    hex(&hash)
}

/// The name a verified user's tickets on `site` are indexed under: 32 hex
/// digits of a keyed hash of the user id. Any id (slashes, spaces, emoji)
/// becomes a safe KV key part, and no id can be read from a key name.
pub fn user_key(secret: &[u8], site: &SiteId, user_id: &str) -> String {
    index_name(secret, "buoy/user-index/v1", site, user_id)
}

/// 32 hex digits of a keyed hash of `text` on `site`, for `purpose`.
fn index_name(secret: &[u8], purpose: &str, site: &SiteId, text: &str) -> String {
    let hash = keyed_hash(secret, purpose, &[site.as_str().as_bytes(), text.as_bytes()]);
    hex(&hash[..16])
}

/// The index name of a requester's email address on a site, for finding
/// their tickets by it (`search::tickets::normal_email` gives the address
/// as searched: trimmed and lowercased). A keyed hash: the index never
/// holds the address.
pub fn email_key(secret: &[u8], site: &SiteId, normal_email: &str) -> String {
    index_name(secret, "buoy/email-index/v1", site, normal_email)
}

/// Whether `token` is the requester token of ticket `id`, compared in
/// constant time.
pub fn is_requester_token(secret: &[u8], id: &TicketId, token: &str) -> bool {
    secrets_equal(requester_token(secret, id).as_bytes(), token.as_bytes())
}

/// The `Buoy-Signature` header of a webhook delivery: `t=<seconds>,v1=<hex
/// HMAC-SHA256 over "<seconds>.<body>">`.
pub fn webhook_signature(secret: &[u8], unix_seconds: i64, body: &str) -> String {
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={unix_seconds},v1={}", hex(&mac.finalize().into_bytes()))
}

/// Bytes as lowercase hex, two digits each: every hash and signature
/// Buoy writes as text.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time that depends only on their lengths.
pub fn secrets_equal(expected: &[u8], given: &[u8]) -> bool {
    expected.len() == given.len() && bool::from(expected.ct_eq(given))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(id: &str) -> SiteId {
        SiteId::parse(id).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn idempotent_ids_depend_on_site_key_and_secret() {
        let a = idempotent_ticket_id(b"secret", &site("demo"), "k1");
        assert_eq!(a, idempotent_ticket_id(b"secret", &site("demo"), "k1"));
        assert_ne!(a, idempotent_ticket_id(b"secret", &site("demo"), "k2"));
        assert_ne!(a, idempotent_ticket_id(b"secret", &site("demo2"), "k1"));
        assert_ne!(a, idempotent_ticket_id(b"other", &site("demo"), "k1"));
        // Length prefixes keep the parts apart.
        assert_ne!(idempotent_ticket_id(b"s", &site("ab"), "c"), idempotent_ticket_id(b"s", &site("a"), "bc"));
    }

    #[test]
    fn requester_tokens_verify_only_for_their_ticket() {
        let id = TicketId::from_bytes([1; 16]);
        let token = requester_token(b"secret", &id);
        assert_eq!(token.len(), 64);
        assert!(is_requester_token(b"secret", &id, &token));
        assert!(!is_requester_token(b"secret", &TicketId::from_bytes([2; 16]), &token));
        assert!(!is_requester_token(b"other", &id, &token));
        assert!(!is_requester_token(b"secret", &id, &token[..63]));
        assert!(!is_requester_token(b"secret", &id, ""));
    }

    #[test]
    fn email_keys_are_not_user_keys() {
        let email = email_key(b"secret", &site("demo"), "ada@example.com");
        assert_eq!(email.len(), 32);
        assert_ne!(email, user_key(b"secret", &site("demo"), "ada@example.com"));
        assert_ne!(email, email_key(b"secret", &site("other"), "ada@example.com"));
    }

    #[test]
    fn user_keys_hide_the_id_and_depend_on_site_and_secret() {
        let key = user_key(b"secret", &site("demo"), "ada/../u 42");
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()), "safe in a key: {key}");
        assert_eq!(key, user_key(b"secret", &site("demo"), "ada/../u 42"));
        assert_ne!(key, user_key(b"secret", &site("demo"), "ada/../u 43"));
        assert_ne!(key, user_key(b"secret", &site("other"), "ada/../u 42"));
        assert_ne!(key, user_key(b"other", &site("demo"), "ada/../u 42"));
    }

    #[test]
    fn webhook_signatures_follow_the_documented_vector() {
        // Checked with: printf '1796066258.{"a":1}' | openssl dgst -sha256 -hmac whsec
        assert_eq!(
            webhook_signature(b"whsec", 1_796_066_258, r#"{"a":1}"#),
            "t=1796066258,v1=75c493623f4fff5fe003c1b939c0994c76a61979f411f9fd0945565b3de01a5d"
        );
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(secrets_equal(b"token", b"token"));
        assert!(!secrets_equal(b"token", b"tokem"));
        assert!(!secrets_equal(b"token", b"token2"));
    }
}
