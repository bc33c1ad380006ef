//! Verified identity: the product's backend vouches for its signed-in user,
//! so Buoy can trust the user's segment, email and account manager.
//!
//! Two ways to sign, both keyed with the site's identity secret (never
//! the user id alone, so a user cannot edit what was not signed):
//!
//! - **JWT (HS256)**: `header.payload.signature`, base64url without
//!   padding; the header's `alg` must be `HS256`; the payload carries
//!   `sub` (the user id), and optionally `email`, `name`, `segment`,
//!   `account_manager`; `exp` (seconds since the epoch) is required and
//!   must be in the future, and at most [`MAX_LIFETIME_SECS`] ahead.
//! - **HMAC**: `signature` = hex HMAC-SHA256 over the canonical string of
//!   every field the identity carries: one `key=value` line per field, in
//!   the order `id`, `email`, `name`, `segment`, `account_manager`, each
//!   line ending in `\n`, absent fields left out. A field added after
//!   signing changes the string, so the signature no longer matches.
//!
//! Anything unsigned, expired or badly signed is anonymous (segment
//! `free`, unverified), on every endpoint; checks run in constant time.

use crate::ticket::Segment;
#[cfg(feature = "server")]
use hmac::{Hmac, Mac};
use serde::Deserialize;
#[cfg(feature = "server")]
use sha2::Sha256;
#[cfg(feature = "server")]
use subtle::ConstantTimeEq;

#[cfg(feature = "server")]
type HmacSha256 = Hmac<Sha256>;

/// The longest a JWT may still be valid for: a day.
pub const MAX_LIFETIME_SECS: i64 = 24 * 3600;
/// The longest field of an identity, in characters.
pub const MAX_FIELD: usize = 254;

/// What the widget passes on from `Buoy('identify', …)`: untrusted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityClaim {
    /// The user id (HMAC form).
    #[serde(default)]
    pub id: Option<String>,
    /// Their email (HMAC form).
    #[serde(default)]
    pub email: Option<String>,
    /// Their name (HMAC form).
    #[serde(default)]
    pub name: Option<String>,
    /// Their segment (HMAC form).
    #[serde(default)]
    pub segment: Option<String>,
    /// Their named account manager (HMAC form).
    #[serde(default)]
    pub account_manager: Option<String>,
    /// Hex HMAC-SHA256 over the canonical string (HMAC form).
    #[serde(default)]
    pub signature: Option<String>,
    /// A JWT (the other form).
    #[serde(default)]
    pub token: Option<String>,
}

impl IdentityClaim {
    /// Whether it carries a signature or a token: something the worker can
    /// check (an unsigned claim is anonymous everywhere).
    pub const fn is_signed(&self) -> bool {
        self.signature.is_some() || self.token.is_some()
    }
}

/// A user the product vouched for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The user id.
    pub id: String,
    /// Their email.
    pub email: Option<String>,
    /// Their name.
    pub name: Option<String>,
    /// Their segment (`free` when the product did not say).
    pub segment: Segment,
    /// Their named account manager.
    pub account_manager: Option<String>,
}

/// Why a claim is not trusted (the requester is then anonymous).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No signature and no token.
    Unsigned,
    /// The JWT is not three base64url parts of JSON, or its header is not HS256.
    Malformed,
    /// The signature does not match.
    BadSignature,
    /// `exp` is missing, past, or too far ahead.
    Expired,
    /// A field is empty, too long, or not a known segment.
    BadField,
}

/// The canonical string an HMAC identity signs.
pub fn canonical(claim: &IdentityClaim) -> String {
    let mut out = String::new();
    for (key, value) in [
        ("id", &claim.id),
        ("email", &claim.email),
        ("name", &claim.name),
        ("segment", &claim.segment),
        ("account_manager", &claim.account_manager),
    ] {
        if let Some(value) = value {
            out.push_str(key);
            out.push('=');
            out.push_str(value);
            out.push('\n');
        }
    }
    out
}

#[cfg(feature = "server")]
fn mac(secret: &[u8], message: &[u8]) -> [u8; 32] {
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else { return [0; 32] };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(feature = "server")]
/// The hex HMAC-SHA256 signature of a claim (what the product's backend computes).
pub fn sign(secret: &[u8], claim: &IdentityClaim) -> String {
    mac(secret, canonical(claim).as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(feature = "server")]
fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(feature = "server")]
/// base64url (no padding) to bytes.
fn base64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        acc = (acc << 6) | u32::from(value(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // Leftover bits must be zero padding (fewer than 6).
    (bits < 6 && acc & ((1 << bits) - 1) == 0).then_some(out)
}

#[cfg(feature = "server")]
fn field(value: Option<String>) -> Result<Option<String>, Refusal> {
    match value {
        Some(v) if v.trim().is_empty() || v.chars().count() > MAX_FIELD || v.chars().any(char::is_control) => Err(Refusal::BadField),
        other => Ok(other),
    }
}

#[cfg(feature = "server")]
fn verified(
    id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    segment: Option<String>,
    manager: Option<String>,
) -> Result<Verified, Refusal> {
    let id = field(id)?.ok_or(Refusal::BadField)?;
    let segment = match field(segment)? {
        Some(s) => Segment::parse(&s).ok_or(Refusal::BadField)?,
        None => Segment::Free,
    };
    Ok(Verified { id, email: field(email)?, name: field(name)?, segment, account_manager: field(manager)? })
}

#[cfg(feature = "server")]
#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[cfg(feature = "server")]
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    segment: Option<String>,
    #[serde(default)]
    account_manager: Option<String>,
    exp: Option<i64>,
}

#[cfg(feature = "server")]
/// Checks a claim with the site's identity secret at `now` (seconds since
/// the epoch).
///
/// # Errors
/// Why it is not trusted.
pub fn verify(secret: &[u8], claim: &IdentityClaim, now: i64) -> Result<Verified, Refusal> {
    if let Some(token) = &claim.token {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(Refusal::Malformed);
        };
        let header: Header = base64url(header).and_then(|h| serde_json::from_slice(&h).ok()).ok_or(Refusal::Malformed)?;
        if header.alg != "HS256" {
            return Err(Refusal::Malformed);
        }
        let given = base64url(signature).ok_or(Refusal::Malformed)?;
        let signed = token.len() - signature.len() - 1;
        let expected = mac(secret, token.get(..signed).unwrap_or("").as_bytes());
        if !bool::from(expected.as_slice().ct_eq(&given)) {
            return Err(Refusal::BadSignature);
        }
        let claims: Claims = base64url(payload).and_then(|p| serde_json::from_slice(&p).ok()).ok_or(Refusal::Malformed)?;
        match claims.exp {
            Some(exp) if exp > now && exp <= now + MAX_LIFETIME_SECS => {}
            _ => return Err(Refusal::Expired),
        }
        return verified(claims.sub, claims.email, claims.name, claims.segment, claims.account_manager);
    }
    let signature = claim.signature.as_deref().ok_or(Refusal::Unsigned)?;
    let given = hex(signature).ok_or(Refusal::BadSignature)?;
    let expected = mac(secret, canonical(claim).as_bytes());
    if !bool::from(expected.as_slice().ct_eq(&given)) {
        return Err(Refusal::BadSignature);
    }
    verified(claim.id.clone(), claim.email.clone(), claim.name.clone(), claim.segment.clone(), claim.account_manager.clone())
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"site identity secret";

    fn claim(pairs: &[(&str, &str)]) -> IdentityClaim {
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned());
        IdentityClaim {
            id: get("id"),
            email: get("email"),
            name: get("name"),
            segment: get("segment"),
            account_manager: get("account_manager"),
            signature: get("signature"),
            token: get("token"),
        }
    }

    // Test vectors, also in the README (Node, Python and Rust produce them).
    const HMAC_VECTOR: &str = "id=u_42\nemail=ada@example.com\nsegment=enterprise\n";
    // HS256 over the header {"alg":"HS256","typ":"JWT"} and the payload
    // {"sub":"u_42","email":"ada@example.com","segment":"enterprise","exp":1893456000}.
    const JWT_VECTOR: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1XzQyIiwiZW1haWwiOiJhZGFAZXhhbXBsZS5jb20iLCJzZWdtZW50IjoiZW50ZXJwcmlzZSIsImV4cCI6MTg5MzQ1NjAwMH0";

    fn jwt(secret: &[u8], unsigned: &str) -> String {
        let sig = mac(secret, unsigned.as_bytes());
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in sig.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        format!("{unsigned}.{out}")
    }

    #[test]
    fn only_a_signature_or_a_token_makes_a_claim_signed() {
        assert!(!claim(&[("id", "u_42"), ("segment", "enterprise")]).is_signed());
        assert!(claim(&[("id", "u_42"), ("signature", "00")]).is_signed());
        assert!(claim(&[("token", "a.b.c")]).is_signed());
    }

    #[test]
    fn an_hmac_identity_covers_every_field_it_carries() {
        let mut c = claim(&[("id", "u_42"), ("email", "ada@example.com"), ("segment", "enterprise")]);
        assert_eq!(canonical(&c), HMAC_VECTOR);
        c.signature = Some(sign(SECRET, &c));
        // The vector Python's hmac module computes (see the README).
        assert_eq!(c.signature.as_deref(), Some("633e74e43e85b66a577fb287f38b0f1d0736853d0b19c2ebe9e521194db66056"));
        let v = verify(SECRET, &c, 0);
        assert_eq!(v.map(|v| (v.id, v.segment)), Ok(("u_42".to_owned(), Segment::Enterprise)));
        // Signed over the id alone, then a segment added: refused.
        let mut only_id = claim(&[("id", "u_42")]);
        only_id.signature = Some(sign(SECRET, &only_id));
        assert!(verify(SECRET, &only_id, 0).is_ok_and(|v| v.segment == Segment::Free));
        only_id.segment = Some("enterprise".into());
        assert_eq!(verify(SECRET, &only_id, 0), Err(Refusal::BadSignature));
        // Another secret, an empty, a random or a truncated signature: refused.
        let other = IdentityClaim { signature: Some(sign(b"another secret", &c)), ..c.clone() };
        assert_eq!(verify(SECRET, &other, 0), Err(Refusal::BadSignature));
        for bad in ["", "zz", &"0".repeat(64), &c.signature.clone().unwrap_or_default()[..62]] {
            let bad = IdentityClaim { signature: Some(bad.to_owned()), ..c.clone() };
            assert_eq!(verify(SECRET, &bad, 0), Err(Refusal::BadSignature), "{:?}", bad.signature);
        }
        assert_eq!(verify(SECRET, &claim(&[("id", "u_42"), ("segment", "enterprise")]), 0), Err(Refusal::Unsigned));
        let mut unknown = claim(&[("id", "u_42"), ("segment", "platinum")]);
        unknown.signature = Some(sign(SECRET, &unknown));
        assert_eq!(verify(SECRET, &unknown, 0), Err(Refusal::BadField));
    }

    #[test]
    fn a_jwt_must_be_hs256_signed_and_unexpired() {
        let token = jwt(SECRET, JWT_VECTOR);
        // The vector PyJWT-style code computes (see the README).
        assert_eq!(token.rsplit('.').next(), Some("NV38KvFLcuT4mxBQPVJgYmiRsGDc-Fks8s9L2Yk9hxw"));
        let at = |now: i64, token: &str| verify(SECRET, &claim(&[("token", token)]), now);
        let v = at(1_893_456_000 - 60, &token);
        assert_eq!(
            v.as_ref().map(|v| (v.id.as_str(), v.segment, v.email.as_deref())),
            Ok(("u_42", Segment::Enterprise, Some("ada@example.com")))
        );
        assert_eq!(at(1_893_456_000, &token), Err(Refusal::Expired), "expired at exp");
        assert_eq!(at(1_893_456_000 - MAX_LIFETIME_SECS - 1, &token), Err(Refusal::Expired), "too long-lived");
        assert_eq!(at(0, &jwt(b"another secret", JWT_VECTOR)), Err(Refusal::BadSignature));
        // No exp at all.
        let no_exp = jwt(SECRET, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzQyIn0");
        assert_eq!(at(0, &no_exp), Err(Refusal::Expired));
        // alg "none", and garbage.
        let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1XzQyIiwiZXhwIjoxODkzNDU2MDAwfQ.";
        assert_eq!(at(0, none), Err(Refusal::Malformed));
        for garbage in ["", "a.b", "a.b.c.d", "!!.??.**"] {
            assert!(at(0, garbage).is_err(), "{garbage}");
        }
        // A payload edited after signing (segment changed) no longer verifies.
        let (head, _) = token.rsplit_once('.').unwrap_or_default();
        let signature = token.rsplit('.').next().unwrap_or_default();
        let edited = format!("{}.{signature}", head.replace("ZW50ZXJwcmlzZ", "YnVzaW5lc3Nz"));
        assert_eq!(at(0, &edited), Err(Refusal::BadSignature));
    }

    // proptest does not build for wasm32; these run on the host.
    #[cfg(not(target_arch = "wasm32"))]
    mod fuzz {
        use super::*;

        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig { cases: 500, failure_persistence: None, ..Default::default() })]

            /// Random tokens and signatures never verify (and never panic).
            #[test]
            fn random_credentials_are_anonymous(token in "[A-Za-z0-9_.=+/-]{0,200}", signature in "[0-9a-fA-Fxz]{0,80}", segment in "[a-z]{0,12}") {
                let by_token = claim(&[("token", &token)]);
                proptest::prop_assert!(verify(SECRET, &by_token, 1_800_000_000).is_err());
                let by_signature = claim(&[("id", "u_1"), ("segment", &segment), ("signature", &signature)]);
                proptest::prop_assert!(verify(SECRET, &by_signature, 1_800_000_000).is_err());
            }
        }
    }

    #[test]
    fn base64url_decodes_without_padding_and_refuses_other_alphabets() {
        assert_eq!(base64url("eyJhbGciOiJIUzI1NiJ9").as_deref(), Some(br#"{"alg":"HS256"}"#.as_slice()));
        assert_eq!(base64url(""), Some(vec![]));
        assert_eq!(base64url("ab+/"), None);
        assert_eq!(base64url("ab=="), None);
    }
}
